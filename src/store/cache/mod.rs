//! The store's cache storage, as far as this version reads it: which backend holds the `default`
//! cache frontend (where Magento keeps the merged configuration, the ACL and the web API
//! routes), and whether it holds anything at all.
//!
//! A value changed in `core_config_data` or `authorization_rule` without a cache clean is not
//! seen by the running store: it answers from the cached copy. Until the cache entries themselves
//! are read, a live refusal that the database does not explain may come from such a stale copy;
//! [`staleness_doubt`] says when that cannot be ruled out.

pub mod file;
pub mod redis;
pub mod symfony;

use std::path::{Path, PathBuf};

use crate::magento::cache as mc;
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
/// empty or its configuration entry was read (then step 4 compares it with the database and
/// says itself what is stale).
pub fn staleness_doubt(install: &Installation) -> Option<String> {
    let f = frontend(install, "default");
    let mut storage = match Storage::open(&f.backend) {
        Ok(s) => s,
        Err(e) => {
            return Some(format!(
                "the configuration and ACL caches ({}) could not be read: {e}",
                f.backend.describe()
            ));
        }
    };
    let entries = match (&f.backend, storage.count()) {
        (BackendConf::File(conf), _) => count_entries(&conf.dir, 3, 10_000),
        (_, Ok(n)) => n,
        (_, Err(e)) => return Some(format!("the cache could not be read: {e}")),
    };
    if entries == 0 {
        return None;
    }
    let now = jiff::Timestamp::now().as_second();
    let id = match &f.backend {
        BackendConf::Symfony(_) => mc::backend_id("", mc::ids::SYSTEM_DEFAULT),
        _ => mc::backend_id(&f.id_prefix, mc::ids::SYSTEM_DEFAULT),
    };
    let readable = match storage.load(&id, now) {
        Ok(Some(e)) => {
            let text = e.text();
            text.starts_with("a:")
                || crate::magento::encryptor::decrypt(&text, &install.crypt_keys()).is_ok()
        }
        _ => false,
    };
    if readable {
        return None;
    }
    let shown = match &f.backend {
        BackendConf::File(conf) => conf
            .dir
            .strip_prefix(&install.root)
            .unwrap_or(&conf.dir)
            .display()
            .to_string(),
        other => other.describe(),
    };
    Some(format!(
        "{shown} holds {entries}{} cached entr{} but no configuration entry m2auth could read under the id prefix {} (another prefix, or an unreadable entry), so they were not compared with the database",
        if entries >= 10_000 { "+" } else { "" },
        if entries == 1 { "y" } else { "ies" },
        f.id_prefix
    ))
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

/// One cache frontend (`default` or `page_cache`) as env.php and Magento's defaults configure it.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontend {
    pub name: String,
    /// The prefix in front of every id and tag (`id_prefix`, or the factory's md5 fallback).
    pub id_prefix: String,
    pub backend: BackendConf,
    /// The backend class as env.php names it (`Cm_Cache_Backend_File` when not set).
    pub class: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BackendConf {
    File(file::FileConf),
    Redis(redis::RedisConf),
    /// `RemoteSynchronizedCache`: entries in the remote backend, a local file copy per node.
    L2 {
        remote: Box<BackendConf>,
        local: file::FileConf,
    },
    /// 2.4.9's Symfony layer (`file`, `redis`, `valkey` with the layer installed).
    Symfony(symfony::SymfonyConf),
    /// A backend m2auth does not read (database, memcached, 2.4.9's `symfony_l2`…).
    Unsupported(String),
}

impl BackendConf {
    /// A short name for reports: `file var/cache`, `redis 127.0.0.1:6379 db 0`.
    pub fn describe(&self) -> String {
        match self {
            BackendConf::File(f) => format!("file {}", f.dir.display()),
            BackendConf::Redis(r) => format!("redis {}", r.describe()),
            BackendConf::L2 { remote, local } => {
                format!("l2 ({} + local {})", remote.describe(), local.dir.display())
            }
            BackendConf::Symfony(s) => s.describe(),
            BackendConf::Unsupported(c) => format!("{c} (not read)"),
        }
    }
}

/// The frontend `name` (`default` or `page_cache`).
pub fn frontend(install: &Installation, name: &str) -> Frontend {
    let base = format!("cache/frontend/{name}");
    let get = |k: &str| {
        install
            .env_string(&format!("{base}/{k}"))
            .filter(|v| !v.trim().is_empty())
    };
    let id_prefix = get("id_prefix")
        .or_else(|| get("prefix"))
        .unwrap_or_else(|| {
            let root = std::fs::canonicalize(&install.root).unwrap_or(install.root.clone());
            mc::default_prefix(&format!("{}/app/etc/", root.display()))
        });
    let class = get("backend").unwrap_or_else(|| "Cm_Cache_Backend_File".into());
    let default_dir = if name == "page_cache" {
        "page_cache"
    } else {
        "cache"
    };
    let symfony_layer = symfony::layer_installed(&install.root);
    let backend = if symfony_layer && symfony::is_symfony_backend(&class) {
        // Factory::createSymfonyCache(): the frontend's id prefix is the Symfony namespace; the
        // file adapter's folder is `cache_dir` or the frontend's default (`var/cache`,
        // `var/page_cache`).
        BackendConf::Symfony(symfony::SymfonyConf::from_env(
            install,
            &class,
            &format!("{base}/backend_options"),
            resolve_dir(install, default_dir),
            &id_prefix,
        ))
    } else if symfony_layer && symfony::is_symfony_l2(&class) {
        BackendConf::Unsupported(format!("{class} (2.4.9's Symfony L2 cache)"))
    } else if symfony::is_symfony_backend(&class) {
        // Before 2.4.9 the short names are no backend class (PHP's `Redis` class is not a Zend
        // backend): `_getBackendOptions()` falls back to `Cm_Cache_Backend_File`.
        backend_conf(
            install,
            "Cm_Cache_Backend_File",
            &format!("{base}/backend_options"),
            default_dir,
        )
    } else {
        backend_conf(
            install,
            &class,
            &format!("{base}/backend_options"),
            default_dir,
        )
    };
    Frontend {
        name: name.to_string(),
        id_prefix,
        backend,
        class,
    }
}

fn backend_conf(install: &Installation, class: &str, opts: &str, default_dir: &str) -> BackendConf {
    let c = class.trim_start_matches('\\').to_ascii_lowercase();
    let opt = |k: &str| {
        install
            .env_string(&format!("{opts}/{k}"))
            .filter(|v| !v.trim().is_empty())
    };
    if is_file_backend(class) {
        return BackendConf::File(file::FileConf::new(
            resolve_dir(install, opt("cache_dir").as_deref().unwrap_or(default_dir)),
            opt("file_name_prefix"),
            opt("hashed_directory_level").map(|l| crate::magento::php::intval(&l)),
        ));
    }
    match c.as_str() {
        "cm_cache_backend_redis" | "magento\\framework\\cache\\backend\\redis" => {
            BackendConf::Redis(redis::RedisConf::from_env(install, opts))
        }
        "magento\\framework\\cache\\backend\\remotesynchronizedcache"
        | "remote_synchronized_cache" => {
            let base = opts.trim_end_matches("/backend_options");
            let remote_class = install
                .env_string(&format!("{base}/backend_options/remote_backend"))
                .unwrap_or_default();
            let remote = backend_conf(
                install,
                &remote_class,
                &format!("{base}/backend_options/remote_backend_options"),
                default_dir,
            );
            let local_dir = install
                .env_string(&format!(
                    "{base}/backend_options/local_backend_options/cache_dir"
                ))
                .unwrap_or_else(|| default_dir.to_string());
            BackendConf::L2 {
                remote: Box::new(remote),
                local: file::FileConf::new(resolve_dir(install, &local_dir), None, None),
            }
        }
        _ => BackendConf::Unsupported(class.to_string()),
    }
}

/// A relative `cache_dir` is under `var/` (the factory resolves it in `DirectoryList::VAR_DIR`);
/// `var/cache` style values written by some installers resolve from the root.
fn resolve_dir(install: &Installation, dir: &str) -> PathBuf {
    let p = Path::new(dir);
    if p.is_absolute() {
        p.to_path_buf()
    } else if p.starts_with("var") {
        install.root.join(p)
    } else {
        install.root.join("var").join(p)
    }
}

/// Whether each cache type is enabled (env.php `cache_types`; a missing type is disabled), or
/// `None` when env.php has no `cache_types` at all.
pub fn type_states(install: &Installation) -> Option<Vec<(String, bool)>> {
    let env = install.env.as_ref()?;
    let arr = env.get("cache_types")?.as_array()?;
    Some(
        arr.iter()
            .map(|e| (e.key.as_segment(), e.value.is_truthy()))
            .collect(),
    )
}

/// `cache_types[type]`, as `Cache\State::isEnabled()` reads it.
pub fn type_enabled(install: &Installation, id: &str) -> bool {
    type_states(install)
        .and_then(|s| s.into_iter().find(|(t, _)| t == id).map(|(_, on)| on))
        .unwrap_or(false)
}

/// The frontend a cache type uses (env.php `cache/type/<id>/frontend`, else Magento's map).
pub fn type_frontend(install: &Installation, id: &str) -> String {
    install
        .env_string(&format!("cache/type/{id}/frontend"))
        .unwrap_or_else(|| {
            mc::cache_type(id)
                .map(|t| t.frontend)
                .unwrap_or("default")
                .to_string()
        })
}

/// env.php `http_cache_hosts` as `PageCache\Model\Cache\Server::getUris()` reads them: each
/// `host` with its `port` (80 when not set). Empty when env.php lists none (Magento then purges
/// the store's own base URL host).
pub fn http_cache_hosts(install: &Installation) -> Vec<(String, u16)> {
    let Some(list) = install
        .env
        .as_ref()
        .and_then(|e| e.get("http_cache_hosts"))
        .and_then(|v| v.as_array())
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            let a = e.value.as_array()?;
            let host = a
                .get("host")?
                .as_string()
                .filter(|h| !h.trim().is_empty())?;
            let port = a
                .get("port")
                .and_then(|p| p.as_string())
                .map(|p| crate::magento::php::intval(&p))
                .filter(|p| (1..=65535).contains(p))
                .unwrap_or(80) as u16;
            Some((host.trim().to_string(), port))
        })
        .collect()
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The id as stored (prefixed, normalised).
    pub id: String,
    /// The data, decompressed.
    pub data: Vec<u8>,
    /// The tags as stored (prefixed).
    pub tags: Vec<String>,
    pub mtime: i64,
    /// Unix time it expires at; `None` = never.
    pub expires: Option<i64>,
}

impl Entry {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Why the cache could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("redis {server}: {message}")]
    Redis { server: String, message: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("cache entry {id}: {message}")]
    Corrupt { id: String, message: String },
}

/// An opened backend.
pub enum Storage {
    File(file::FileStore),
    Redis(redis::RedisStore),
    /// The L2 cache: the remote decides (local copies are only served while their hash matches).
    L2 {
        remote: Box<Storage>,
        local: file::FileStore,
    },
    /// 2.4.9's Symfony layer.
    Symfony(symfony::SymfonyStore),
}

impl Storage {
    pub fn open(conf: &BackendConf) -> Result<Storage, CacheError> {
        Ok(match conf {
            BackendConf::File(f) => Storage::File(file::FileStore::new(f.clone())),
            BackendConf::Redis(r) => Storage::Redis(redis::RedisStore::connect(r)?),
            BackendConf::L2 { remote, local } => Storage::L2 {
                remote: Box::new(Storage::open(remote)?),
                local: file::FileStore::new(local.clone()),
            },
            BackendConf::Symfony(s) => Storage::Symfony(symfony::SymfonyStore::open(s)?),
            BackendConf::Unsupported(c) => {
                return Err(CacheError::Unsupported(format!(
                    "the cache backend {c} is not read by m2auth"
                )));
            }
        })
    }

    /// The entry stored under `backend_id` (prefixed, normalised), unless missing or expired
    /// at `now`.
    pub fn load(&mut self, backend_id: &str, now: i64) -> Result<Option<Entry>, CacheError> {
        match self {
            Storage::File(f) => f.load(backend_id, now),
            Storage::Redis(r) => r.load(backend_id),
            Storage::L2 { remote, .. } => remote.load(backend_id, now),
            Storage::Symfony(s) => s.load(backend_id, now),
        }
    }

    /// The ids carrying `tag` (prefixed) that still have an entry.
    pub fn ids_with_tag(&mut self, tag: &str) -> Result<Vec<String>, CacheError> {
        match self {
            Storage::File(f) => f.ids_with_tag(tag),
            Storage::Redis(r) => r.ids_with_tag(tag),
            Storage::L2 { remote, .. } => remote.ids_with_tag(tag),
            Storage::Symfony(s) => s.ids_with_tag(tag),
        }
    }

    /// `clean('matchingTag', tags)`: removes the entries carrying every tag; how many.
    pub fn clean_matching_tags(&mut self, tags: &[String]) -> Result<usize, CacheError> {
        match self {
            Storage::File(f) => f.clean_matching_tags(tags),
            Storage::Redis(r) => r.clean_matching_tags(tags),
            Storage::L2 { remote, local } => {
                let n = remote.clean_matching_tags(tags)?;
                // The local copies carry no tags: they stay, and are ignored once the remote
                // hash is gone (as Magento leaves them).
                let _ = local;
                Ok(n)
            }
            Storage::Symfony(s) => s.clean_matching_tags(tags),
        }
    }

    /// `clean('all')`: the whole storage (file: every `mage--*` under the dir and the tag files;
    /// Redis: FLUSHDB of its database number); how many entries were there.
    pub fn flush(&mut self) -> Result<usize, CacheError> {
        match self {
            Storage::File(f) => f.flush(),
            Storage::Redis(r) => r.flush(),
            Storage::L2 { remote, local } => {
                let n = remote.flush()?;
                local.flush()?;
                Ok(n)
            }
            Storage::Symfony(s) => s.flush(),
        }
    }

    /// `save()`: writes an entry with its tags; `lifetime` in seconds, `None` = infinite.
    pub fn save(
        &mut self,
        backend_id: &str,
        data: &[u8],
        tags: &[String],
        lifetime: Option<i64>,
        now: i64,
    ) -> Result<(), CacheError> {
        match self {
            Storage::File(f) => f.save(backend_id, data, tags, lifetime, now),
            Storage::Redis(r) => r.save(backend_id, data, tags, lifetime, now),
            Storage::L2 { remote, .. } => remote.save(backend_id, data, tags, lifetime, now),
            Storage::Symfony(s) => s.save(backend_id, data, tags, lifetime, now),
        }
    }

    /// The Redis connection of a Redis-backed storage (legacy or Symfony layer).
    pub fn redis_mut(&mut self) -> Option<&mut redis::RedisStore> {
        match self {
            Storage::Redis(r) => Some(r),
            Storage::Symfony(s) => s.redis_mut(),
            _ => None,
        }
    }

    /// How many entries the storage holds.
    pub fn count(&mut self) -> Result<usize, CacheError> {
        match self {
            Storage::File(f) => f.count(),
            Storage::Redis(r) => r.count(),
            Storage::L2 { remote, .. } => remote.count(),
            Storage::Symfony(s) => s.count(),
        }
    }
}

/// A frontend opened: its configuration and its storage.
pub struct Opened {
    pub frontend: Frontend,
    pub storage: Storage,
}

impl Opened {
    pub fn open(install: &Installation, name: &str) -> Result<Opened, CacheError> {
        let frontend = frontend(install, name);
        let storage = Storage::open(&frontend.backend)?;
        Ok(Opened { frontend, storage })
    }

    /// The folder of a file-backed frontend (the file backend, or the Symfony layer's `file`).
    pub fn file_conf(&self) -> Option<file::FileConf> {
        match &self.frontend.backend {
            BackendConf::File(c) => Some(c.clone()),
            BackendConf::Symfony(symfony::SymfonyConf {
                kind: symfony::Kind::File { dir },
                ..
            }) => Some(file::FileConf::new(dir.clone(), None, None)),
            _ => None,
        }
    }

    /// The backend id of a Magento id (or tag) on this frontend: normalised and prefixed; on
    /// the Symfony layer normalised only (the prefix is the Symfony namespace there).
    pub fn id(&self, id: &str) -> String {
        match self.storage {
            Storage::Symfony(_) => mc::backend_id("", id),
            _ => mc::backend_id(&self.frontend.id_prefix, id),
        }
    }

    /// Load a Magento id (normalised and prefixed here).
    pub fn load(&mut self, id: &str, now: i64) -> Result<Option<Entry>, CacheError> {
        let bid = self.id(id);
        self.storage.load(&bid, now)
    }

    /// Save as Magento's frontends do: id and tags normalised, the scope tag `MAGE` added.
    pub fn save(
        &mut self,
        id: &str,
        data: &[u8],
        tags: &[&str],
        lifetime: Option<i64>,
        now: i64,
    ) -> Result<(), CacheError> {
        let mut all: Vec<String> = tags.iter().map(|t| self.id(t)).collect();
        all.push(self.id(mc::SCOPE_TAG));
        let bid = self.id(id);
        self.storage.save(&bid, data, &all, lifetime, now)
    }

    /// `cache:clean TYPE` on this frontend: `matchingTag [<prefix>TYPE_TAG, <prefix>MAGE]`.
    pub fn clean_type(&mut self, tag: &str) -> Result<usize, CacheError> {
        let tags = vec![self.id(tag), self.id(mc::SCOPE_TAG)];
        self.storage.clean_matching_tags(&tags)
    }

    /// Entries of a type (carrying its tag) on this frontend.
    pub fn count_type(&mut self, tag: &str) -> Result<usize, CacheError> {
        let t = self.id(tag);
        Ok(self.storage.ids_with_tag(&t)?.len())
    }
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
