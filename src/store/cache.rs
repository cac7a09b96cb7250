//! The store's cache storage, as far as this version reads it: which backend holds the `default`
//! cache frontend (where Magento keeps the merged configuration, the ACL and the web API
//! routes), and whether it holds anything at all.
//!
//! A value changed in `core_config_data` or `authorization_rule` without a cache clean is not
//! seen by the running store: it answers from the cached copy. Until the cache entries themselves
//! are read, a live refusal that the database does not explain may come from such a stale copy;
//! [`staleness_doubt`] says when that cannot be ruled out.

use std::path::{Path, PathBuf};

use crate::store::Installation;

/// Where the `default` cache frontend keeps its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The file backend (Magento's default): this folder.
    Files(PathBuf),
    /// Another backend (Redis, Valkey, a database or memcached backend), by its class name.
    Remote(String),
}

/// env.php's `cache/frontend/default`: the backend class and, for files, the folder
/// (`backend_options/cache_dir`, relative to the root; `var/cache` when not set).
pub fn backend(install: &Installation) -> Backend {
    let class = install
        .env_string("cache/frontend/default/backend")
        .filter(|c| !c.trim().is_empty());
    match class {
        Some(c) if !is_file_backend(&c) => Backend::Remote(c),
        _ => {
            let dir = install
                .env_string("cache/frontend/default/backend_options/cache_dir")
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| "var/cache".into());
            let path = Path::new(&dir);
            Backend::Files(if path.is_absolute() {
                path.to_path_buf()
            } else {
                install.root.join(path)
            })
        }
    }
}

fn is_file_backend(class: &str) -> bool {
    let c = class.trim_start_matches('\\').to_ascii_lowercase();
    c == "file" || c.ends_with("cache\\backend\\file") || c == "cm_cache_backend_file"
}

/// Why a stale cached configuration or ACL cannot be ruled out, or `None` when the cache is
/// known to be empty (nothing cached: the store reads the database as it is).
pub fn staleness_doubt(install: &Installation) -> Option<String> {
    match backend(install) {
        Backend::Remote(class) => Some(format!(
            "the configuration and ACL caches are kept by {class} (env.php cache/frontend/default/backend), which this version does not read"
        )),
        Backend::Files(dir) => {
            let entries = count_entries(&dir, 3, 10_000);
            let shown = dir
                .strip_prefix(&install.root)
                .unwrap_or(&dir)
                .display()
                .to_string();
            match entries {
                0 => None,
                n => Some(format!(
                    "{shown} holds {n}{} cached entr{} that this version does not compare with the database",
                    if n >= 10_000 { "+" } else { "" },
                    if n == 1 { "y" } else { "ies" }
                )),
            }
        }
    }
}

/// Regular files under `dir` (`mage--*/mage---*`), up to `depth` levels and `cap` files; symlinks
/// are not followed. A folder that cannot be read counts as one entry (unknown, so not empty).
fn count_entries(dir: &Path, depth: u32, cap: usize) -> usize {
    let Ok(read) = std::fs::read_dir(dir) else {
        return usize::from(dir.exists());
    };
    let mut n = 0;
    for e in read.flatten() {
        if n >= cap {
            break;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_file() {
            n += 1;
        } else if ft.is_dir() && depth > 0 {
            n += count_entries(&e.path(), depth - 1, cap - n);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_backends() {
        assert!(is_file_backend("Magento\\Framework\\Cache\\Backend\\File"));
        assert!(is_file_backend("Cm_Cache_Backend_File"));
        assert!(!is_file_backend(
            "Magento\\Framework\\Cache\\Backend\\Redis"
        ));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(count_entries(&dir.path().join("none"), 3, 10), 0);
        std::fs::create_dir_all(dir.path().join("mage--a")).unwrap();
        assert_eq!(count_entries(dir.path(), 3, 10), 0);
        std::fs::write(dir.path().join("mage--a/mage---x_CONFIG"), "x").unwrap();
        assert_eq!(count_entries(dir.path(), 3, 10), 1);
    }
}
