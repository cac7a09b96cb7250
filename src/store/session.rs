//! Where the store keeps its sessions (env.php `session`), and whether that storage takes writes.
//!
//! `session/save` names the handler: `files` (PHP's files handler in `session/save_path`; without
//! one, `var/session` when PHP has no `session.save_path` of its own — Magento's
//! `Session\Config` creates that folder then), `redis` (`Cm\RedisSession` with
//! `session/redis/{host,port,password,database,timeout}`, defaults 127.0.0.1, 6379, database 0,
//! 2.5 s), `db` (the `session` table), or another PHP handler m2auth does not look at.

use std::path::{Path, PathBuf};

use crate::store::Installation;
use crate::store::cache::redis::RedisConf;

/// The session storage env.php configures.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionStorage {
    Files {
        dir: PathBuf,
        /// Set by env.php `session/save_path` (else Magento's `var/session`).
        configured: bool,
    },
    Redis(RedisConf),
    Db,
    /// memcache(d) or another handler: not checked.
    Other(String),
}

/// env.php's `session/save` as Magento reads it; `files` when env.php sets none (PHP's default).
pub fn storage(install: &Installation) -> SessionStorage {
    let save = install
        .env_string("session/save")
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "files".into());
    match save.as_str() {
        "files" => match install
            .env_string("session/save_path")
            .filter(|p| !p.trim().is_empty())
        {
            Some(p) => SessionStorage::Files {
                dir: files_dir(&install.root, &p),
                configured: true,
            },
            None => SessionStorage::Files {
                dir: install.root.join("var/session"),
                configured: false,
            },
        },
        "redis" => SessionStorage::Redis(redis_conf(install)),
        "db" => SessionStorage::Db,
        other => SessionStorage::Other(other.to_string()),
    }
}

/// PHP's files handler `save_path`: `[N;[MODE;]]/path` (the folder is the last part); a relative
/// path is taken from the store's root.
fn files_dir(root: &Path, save_path: &str) -> PathBuf {
    let dir = save_path.rsplit(';').next().unwrap_or(save_path).trim();
    let p = Path::new(dir);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// `session/redis/*` as `Cm\RedisSession\Handler` reads them (`?:` defaults: an empty or `0`
/// value takes the default).
fn redis_conf(install: &Installation) -> RedisConf {
    // Cm_RedisSession reads `host` (not `server`), and no username.
    RedisConf::from_options(
        |k| {
            install
                .env_string(&format!("session/redis/{k}"))
                .filter(|v| !v.is_empty() && v != "0")
        },
        "host",
        false,
    )
}

/// The env.php key the storage is configured by, for evidence.
pub fn env_key(s: &SessionStorage) -> &'static str {
    match s {
        SessionStorage::Files {
            configured: true, ..
        } => "session/save_path",
        SessionStorage::Redis(_) => "session/redis",
        _ => "session/save",
    }
}

/// One file-system fact about the session folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirState {
    pub path: PathBuf,
    /// `None`: it does not exist (or cannot be seen).
    pub meta: Option<DirMeta>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirMeta {
    pub is_dir: bool,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// The folder's owner, group and mode (following links, as PHP does).
pub fn dir_state(path: &Path) -> DirState {
    use std::os::unix::fs::MetadataExt;
    DirState {
        path: path.to_path_buf(),
        meta: std::fs::metadata(path).ok().map(|m| DirMeta {
            is_dir: m.is_dir(),
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode() & 0o7777,
        }),
    }
}

/// Whether Redis answers and takes writes: connect (with AUTH and SELECT, as the handler does),
/// then the read-only INFO probe of the cache check. `Ok(None)`: fine.
pub fn redis_refusal(conf: &RedisConf) -> Result<Option<String>, String> {
    let mut r = crate::store::cache::redis::RedisStore::connect(conf).map_err(|e| e.to_string())?;
    r.write_refusal().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_path_forms() {
        let root = Path::new("/srv/m");
        assert_eq!(
            files_dir(root, "/var/lib/php/sessions"),
            PathBuf::from("/var/lib/php/sessions")
        );
        assert_eq!(files_dir(root, "2;/tmp/s"), PathBuf::from("/tmp/s"));
        assert_eq!(files_dir(root, "2;0600;/tmp/s"), PathBuf::from("/tmp/s"));
        assert_eq!(
            files_dir(root, "var/sess"),
            PathBuf::from("/srv/m/var/sess")
        );
    }
}
