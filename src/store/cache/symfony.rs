//! Magento 2.4.9's Symfony cache layer (`Magento\Framework\Cache\Frontend\Adapter\Symfony` over
//! symfony/cache pools), used when env.php names a frontend's backend `file`, `redis` or `valkey`
//! and the installed framework has the layer. Layout (docs/cache-symfony.md has the sources):
//!
//! * ids and tags are normalised as before (upper-case, `.` → `__`, other non-`[A-Za-z0-9_]` →
//!   `_`) but **not** prefixed: the frontend's id prefix is the Symfony namespace;
//! * a value is PHP `serialize()` (Symfony's `DefaultMarshaller`; igbinary when configured, or on
//!   Redis whenever PHP has the extension) of
//!   the data, or of Magento's wrapper `['data', 'mtime', 'expire', 'tags']` when the entry has
//!   tags or a lifetime other than the default; data over the threshold of the `Compression`
//!   decorator is `CACHE_COMPRESSION` + a compressed payload;
//! * `file`: `FilesystemAdapter(namespace, dir)`: the entry of key K is
//!   `<dir>/<ns>/<A>/<B>/<rest>` where `h = base64(xxh128("Symfony\Component\Cache\Adapter\
//!   FilesystemAdapter" . K))` with `/` → `-`, `A`/`B` its first two characters upper-cased and
//!   `rest` the next 20; content `<expiry unix or 0>\n<rawurlencode(K)>\n<value>`. Magento's
//!   `FilesystemTagAdapter` keeps `<dir>/tags/<TAG>` (ids, one per line) and `<dir>/idtags/<ID>`
//!   (tags of an id, one per line);
//! * `redis`/`valkey`: `RedisAdapter(namespace)`: the value under `<ns>:<K>` (SET, or SETEX for
//!   a finite lifetime); Magento's `RedisTagAdapter` keeps SETs `cache:tags:<ns><TAG>` (ids),
//!   `cache:id_tags:<ns><ID>` (tags) and `cache:all_ids`.

use std::io::Read;
use std::path::{Path, PathBuf};

use redis::Commands;

use super::redis::{RedisConf, RedisStore};
use super::{CacheError, Entry};
use crate::magento::phpser::{self, PhpKey, PhpValue};
use crate::store::Installation;

/// The class whose name Symfony hashes with each key (`static::class` in `getFile()`).
pub const FILESYSTEM_ADAPTER: &str = "Symfony\\Component\\Cache\\Adapter\\FilesystemAdapter";
/// Prefix of the `Compression` decorator's values.
pub const COMPRESSION_PREFIX: &[u8] = b"CACHE_COMPRESSION";
/// `Symfony::DEFAULT_LIFETIME`: entries saved with exactly this lifetime and no tags are stored
/// bare (no wrapper).
pub const DEFAULT_LIFETIME: i64 = 7200;
pub const TAG_SET: &str = "cache:tags:";
pub const ID_TAGS: &str = "cache:id_tags:";
pub const ALL_IDS: &str = "cache:all_ids";
/// The mtime Symfony gives a file entry without expiry (`time() + 1 year`).
const NO_EXPIRY_MTIME: i64 = 31_556_952;

/// Where the installed framework keeps the Symfony layer (a `lib/internal` checkout or Composer).
const LAYER_FILES: &[&str] = &[
    "lib/internal/Magento/Framework/Cache/Frontend/Adapter/SymfonyAdapterProvider.php",
    "vendor/magento/framework/Cache/Frontend/Adapter/SymfonyAdapterProvider.php",
];

/// Whether the store's Magento_Framework has the Symfony cache layer (2.4.9+).
pub fn layer_installed(root: &Path) -> bool {
    LAYER_FILES.iter().any(|f| root.join(f).is_file())
}

/// The backend names `Factory::isSymfonyBackend()` sends to the Symfony layer.
pub fn is_symfony_backend(class: &str) -> bool {
    matches!(
        class.trim().to_ascii_lowercase().as_str(),
        "file" | "redis" | "valkey"
    )
}

/// `Factory::isSymfonyL2Cache()`.
pub fn is_symfony_l2(class: &str) -> bool {
    matches!(
        class
            .trim()
            .trim_start_matches('\\')
            .to_ascii_lowercase()
            .as_str(),
        "symfony_l2"
            | "l2_symfony"
            | "symfony_l2_cache"
            | "magento\\framework\\cache\\backend\\symfonyl2cache"
    )
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `FilesystemAdapter` under `dir` (entries in `dir/<namespace>/`), tag index in `dir`.
    File {
        dir: PathBuf,
    },
    Redis(RedisConf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SymfonyConf {
    pub kind: Kind,
    /// The Symfony namespace: the frontend's id prefix.
    pub namespace: String,
}

impl SymfonyConf {
    pub fn from_env(
        install: &Installation,
        class: &str,
        opts: &str,
        default_dir: PathBuf,
        namespace: &str,
    ) -> SymfonyConf {
        let kind = if class.trim().eq_ignore_ascii_case("file") {
            let dir = install
                .env_string(&format!("{opts}/cache_dir"))
                .filter(|d| !d.trim().is_empty())
                .map(|d| super::resolve_dir(install, &d))
                .unwrap_or(default_dir);
            Kind::File { dir }
        } else {
            Kind::Redis(RedisConf::from_env(install, opts))
        };
        SymfonyConf {
            kind,
            namespace: namespace.to_string(),
        }
    }

    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::File { dir } => format!("symfony file {}", dir.join(&self.namespace).display()),
            Kind::Redis(r) => format!("symfony redis {}", r.describe()),
        }
    }
}

/// `getFile()`: the entry path of key `key` under the namespace folder `ns_dir`.
pub fn file_path(ns_dir: &Path, key: &str) -> PathBuf {
    use base64::Engine;
    let digest = xxhash_rust::xxh3::xxh3_128(format!("{FILESYSTEM_ADAPTER}{key}").as_bytes());
    let hash = base64::engine::general_purpose::STANDARD
        .encode(digest.to_be_bytes())
        .replace('/', "-");
    let a = hash[0..1].to_ascii_uppercase();
    let b = hash[1..2].to_ascii_uppercase();
    ns_dir.join(a).join(b).join(&hash[2..22])
}

/// PHP `rawurlencode()`.
pub fn rawurlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rawurldecode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What one stored value holds once unmarshalled and unwrapped.
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrapped {
    pub data: Vec<u8>,
    pub mtime: Option<i64>,
    pub expire: Option<i64>,
    pub tags: Vec<String>,
}

/// `DefaultMarshaller::unmarshall()` then `Symfony::load()`'s unwrapping and the `Compression`
/// decorator's decompression.
pub fn unmarshall(id: &str, value: &[u8]) -> Result<Unwrapped, CacheError> {
    let corrupt = |m: String| CacheError::Corrupt {
        id: id.to_string(),
        message: m,
    };
    // `DefaultMarshaller::unmarshall()`: PHP serialize() when the second byte is `:`, else
    // igbinary (the `serializer` option, or the igbinary extension on a Redis cache).
    let v = if value.get(1).is_none_or(|&c| c == b':') {
        phpser::unserialize(value).map_err(|e| corrupt(e.to_string()))?
    } else {
        crate::magento::igbinary::unserialize(value).map_err(|e| corrupt(e.to_string()))?
    };
    let (data, mtime, expire, tags) = match &v {
        PhpValue::Array(items) if items.iter().any(|(k, _)| k == &PhpKey::Str("data".into())) => {
            let data = v.get("data").cloned().unwrap_or(PhpValue::Null);
            let tags = match v.get("tags") {
                Some(PhpValue::Array(t)) => {
                    t.iter().filter_map(|(_, x)| x.as_php_string()).collect()
                }
                _ => Vec::new(),
            };
            (
                data,
                v.get("mtime").and_then(PhpValue::as_int),
                v.get("expire").and_then(PhpValue::as_int),
                tags,
            )
        }
        _ => (v.clone(), None, None, Vec::new()),
    };
    let data = match data {
        PhpValue::Str(b) => b,
        PhpValue::Int(_) | PhpValue::Float(_) | PhpValue::Bool(_) => {
            data.as_php_string().unwrap_or_default().into_bytes()
        }
        PhpValue::Null => Vec::new(),
        PhpValue::Array(_) => phpser::serialize(&data),
    };
    Ok(Unwrapped {
        data: decompress(&data).map_err(corrupt)?,
        mtime,
        expire,
        tags,
    })
}

/// The `Compression` decorator's `decompressData()`: the payload after `CACHE_COMPRESSION`
/// tried as zlib (`gzcompress`), snappy, lz4 (php-lz4, size-prefixed) and zstd, in that order.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, String> {
    let Some(payload) = data.strip_prefix(COMPRESSION_PREFIX) else {
        return Ok(data.to_vec());
    };
    let mut out = Vec::new();
    if flate2::read::ZlibDecoder::new(payload)
        .read_to_end(&mut out)
        .is_ok()
    {
        return Ok(out);
    }
    if let Ok(v) = snap::raw::Decoder::new().decompress_vec(payload) {
        return Ok(v);
    }
    if let Ok(v) = lz4_flex::block::decompress_size_prepended(payload) {
        return Ok(v);
    }
    let mut src = payload;
    if let Ok(mut d) = ruzstd::decoding::StreamingDecoder::new(&mut src) {
        let mut v = Vec::new();
        if d.read_to_end(&mut v).is_ok() {
            return Ok(v);
        }
    }
    Err("a CACHE_COMPRESSION value none of zlib, snappy, lz4 or zstd could decompress".into())
}

/// What `Symfony::save()` stores for `data`: the bare string when there are no tags and the
/// lifetime is the default, else the wrapper; serialized as `DefaultMarshaller` does.
pub fn marshall(data: &[u8], tags: &[String], lifetime: Option<i64>, now: i64) -> Vec<u8> {
    if tags.is_empty() && lifetime == Some(DEFAULT_LIFETIME) {
        return phpser::serialize(&PhpValue::Str(data.to_vec()));
    }
    let k = |s: &str| PhpKey::Str(s.into());
    phpser::serialize(&PhpValue::Array(vec![
        (k("data"), PhpValue::Str(data.to_vec())),
        (k("mtime"), PhpValue::Int(now)),
        (
            k("expire"),
            lifetime.map_or(PhpValue::Null, |l| PhpValue::Int(now + l)),
        ),
        (
            k("tags"),
            PhpValue::Array(
                tags.iter()
                    .enumerate()
                    .map(|(i, t)| (PhpKey::Int(i as i64), PhpValue::Str(t.as_bytes().to_vec())))
                    .collect(),
            ),
        ),
    ]))
}

/// An opened Symfony-layer storage.
pub enum SymfonyStore {
    File {
        conf: SymfonyConf,
        dir: PathBuf,
    },
    Redis {
        conf: SymfonyConf,
        store: RedisStore,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Lines of a tag-index file up to its last newline (`parseIds()`).
fn index_lines(path: &Path) -> Result<Vec<String>, CacheError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path)(e)),
    };
    let upto = text.iter().rposition(|&c| c == b'\n').unwrap_or(text.len());
    Ok(String::from_utf8_lossy(&text[..upto])
        .trim()
        .split('\n')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// Rewrites an index file with `lines` (one per line), or removes it when empty
/// (`mutateFileLocked()`).
fn write_index(path: &Path, lines: &[String]) -> Result<(), CacheError> {
    if lines.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path)(e)),
            _ => Ok(()),
        };
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, format!("{}\n", lines.join("\n"))).map_err(io(path))
}

impl SymfonyStore {
    pub fn open(conf: &SymfonyConf) -> Result<SymfonyStore, CacheError> {
        Ok(match &conf.kind {
            Kind::File { dir } => SymfonyStore::File {
                conf: conf.clone(),
                dir: dir.clone(),
            },
            Kind::Redis(r) => SymfonyStore::Redis {
                conf: conf.clone(),
                store: RedisStore::connect(r)?,
            },
        })
    }

    pub fn redis_mut(&mut self) -> Option<&mut RedisStore> {
        match self {
            SymfonyStore::Redis { store, .. } => Some(store),
            SymfonyStore::File { .. } => None,
        }
    }

    fn conf(&self) -> &SymfonyConf {
        match self {
            SymfonyStore::File { conf, .. } | SymfonyStore::Redis { conf, .. } => conf,
        }
    }

    /// The Redis data-key prefix (`<ns>:`, none for an empty namespace).
    fn data_prefix(&self) -> String {
        let ns = &self.conf().namespace;
        if ns.is_empty() {
            String::new()
        } else {
            format!("{ns}:")
        }
    }

    /// The id as shown in evidence: `<ns>:<ID>` (Symfony's own notion of the item id).
    fn shown(&self, id: &str) -> String {
        format!("{}{id}", self.data_prefix())
    }

    /// The folder of the namespace's entries (file).
    pub fn ns_dir(&self) -> Option<PathBuf> {
        match self {
            SymfonyStore::File { conf, dir } => Some(if conf.namespace.is_empty() {
                dir.join("@")
            } else {
                dir.join(&conf.namespace)
            }),
            SymfonyStore::Redis { .. } => None,
        }
    }

    /// The entry file of key `id` (file).
    pub fn data_file(&self, id: &str) -> Option<PathBuf> {
        self.ns_dir().map(|d| file_path(&d, id))
    }

    fn tag_file(dir: &Path, tag: &str) -> PathBuf {
        dir.join("tags").join(tag)
    }

    fn idtags_file(dir: &Path, id: &str) -> PathBuf {
        dir.join("idtags").join(id)
    }

    fn redis_err(store: &RedisStore, e: redis::RedisError) -> CacheError {
        CacheError::Redis {
            server: store.conf.describe(),
            message: e.to_string(),
        }
    }

    /// The entry of normalised key `id`, unless missing or expired at `now`.
    pub fn load(&mut self, id: &str, now: i64) -> Result<Option<Entry>, CacheError> {
        let shown = self.shown(id);
        let (raw, expires) = match self {
            SymfonyStore::File { .. } => {
                let path = self.data_file(id).expect("file store");
                let bytes = match std::fs::read(&path) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(io(&path)(e)),
                };
                let corrupt = |m: &str| CacheError::Corrupt {
                    id: shown.clone(),
                    message: m.to_string(),
                };
                let nl1 = memchr::memchr(b'\n', &bytes).ok_or_else(|| corrupt("no expiry line"))?;
                let expiry = crate::magento::php::intval(&String::from_utf8_lossy(&bytes[..nl1]));
                if expiry != 0 && now >= expiry {
                    return Ok(None);
                }
                let rest = &bytes[nl1 + 1..];
                let nl2 = memchr::memchr(b'\n', rest).ok_or_else(|| corrupt("no key line"))?;
                let key = rawurldecode(String::from_utf8_lossy(&rest[..nl2]).trim_end());
                if key != id {
                    // Another key with the same hash: a miss, as doFetch() treats it.
                    return Ok(None);
                }
                (rest[nl2 + 1..].to_vec(), (expiry != 0).then_some(expiry))
            }
            SymfonyStore::Redis { store, .. } => {
                let key = shown.clone();
                let v: Option<Vec<u8>> = store
                    .conn_mut()
                    .get(&key)
                    .map_err(|e| Self::redis_err(store, e))?;
                let Some(v) = v.filter(|v| !v.is_empty()) else {
                    return Ok(None);
                };
                let ttl: i64 = store
                    .conn_mut()
                    .ttl(&key)
                    .map_err(|e| Self::redis_err(store, e))?;
                (v, (ttl >= 0).then_some(now + ttl))
            }
        };
        let u = unmarshall(&shown, &raw)?;
        Ok(Some(Entry {
            id: shown,
            data: u.data,
            tags: u.tags,
            mtime: u.mtime.unwrap_or(0),
            expires: u.expire.or(expires),
        }))
    }

    /// The ids the tag index lists for `tag` that still have an entry.
    pub fn ids_with_tag(&mut self, tag: &str) -> Result<Vec<String>, CacheError> {
        let ids = self.tag_members(tag)?;
        let mut out = Vec::new();
        for id in ids {
            if self.exists(&id)? {
                out.push(id);
            }
        }
        out.sort();
        Ok(out)
    }

    fn tag_members(&mut self, tag: &str) -> Result<Vec<String>, CacheError> {
        let ns = self.conf().namespace.clone();
        match self {
            SymfonyStore::File { dir, .. } => index_lines(&Self::tag_file(dir, tag)),
            SymfonyStore::Redis { store, .. } => store
                .conn_mut()
                .smembers(format!("{TAG_SET}{ns}{tag}"))
                .map_err(|e| Self::redis_err(store, e)),
        }
    }

    fn exists(&mut self, id: &str) -> Result<bool, CacheError> {
        let key = self.shown(id);
        match self {
            SymfonyStore::File { .. } => Ok(self.data_file(id).is_some_and(|p| p.is_file())),
            SymfonyStore::Redis { store, .. } => store
                .conn_mut()
                .exists(&key)
                .map_err(|e| Self::redis_err(store, e)),
        }
    }

    /// `Symfony::cleanMatchingTag()` on a file or Redis tag adapter: the ids in every tag's index
    /// (`getIdsMatchingTags()`), then `deleteByIds()`: the entries deleted, then each id removed
    /// from the tag index through its reverse index. How many entries were there.
    pub fn clean_matching_tags(&mut self, tags: &[String]) -> Result<usize, CacheError> {
        let Some((first, rest)) = tags.split_first() else {
            return Ok(0);
        };
        let mut ids = self.tag_members(first)?;
        for t in rest {
            if ids.is_empty() {
                break;
            }
            let other: std::collections::BTreeSet<String> =
                self.tag_members(t)?.into_iter().collect();
            ids.retain(|i| other.contains(i));
        }
        ids.dedup();
        if ids.is_empty() {
            return Ok(0);
        }
        self.delete_by_ids(&ids)
    }

    fn delete_by_ids(&mut self, ids: &[String]) -> Result<usize, CacheError> {
        let ns = self.conf().namespace.clone();
        let prefix = self.data_prefix();
        match self {
            SymfonyStore::File { .. } => {
                let mut removed = 0;
                for id in ids {
                    let f = self.data_file(id).expect("file store");
                    match std::fs::remove_file(&f) {
                        Ok(()) => removed += 1,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(io(&f)(e)),
                    }
                }
                let SymfonyStore::File { dir, .. } = self else {
                    unreachable!()
                };
                // pruneIdsFromIndex(): tag → ids from the reverse index, each tag file once.
                let mut by_tag: std::collections::BTreeMap<String, Vec<&String>> =
                    Default::default();
                let mut reverse = Vec::new();
                for id in ids {
                    let tags = index_lines(&Self::idtags_file(dir, id))?;
                    if tags.is_empty() {
                        continue;
                    }
                    for t in tags {
                        by_tag.entry(t).or_default().push(id);
                    }
                    reverse.push(id);
                }
                for (tag, gone) in by_tag {
                    let path = Self::tag_file(dir, &tag);
                    let current = index_lines(&path)?;
                    let keep: Vec<String> = current
                        .iter()
                        .filter(|i| !gone.contains(i))
                        .cloned()
                        .collect();
                    if keep.len() != current.len() {
                        write_index(&path, &keep)?;
                    }
                }
                for id in reverse {
                    write_index(&Self::idtags_file(dir, id), &[])?;
                }
                Ok(removed)
            }
            SymfonyStore::Redis { store, .. } => {
                let mut removed = 0usize;
                for chunk in ids.chunks(10_000) {
                    let keys: Vec<String> = chunk.iter().map(|i| format!("{prefix}{i}")).collect();
                    let n: usize = redis::cmd("DEL")
                        .arg(&keys)
                        .query(store.conn_mut())
                        .map_err(|e| Self::redis_err(store, e))?;
                    removed += n;
                    // pruneTagIndexPipelined(): reverse index read, then every removal.
                    let mut read = redis::pipe();
                    for id in chunk {
                        read.smembers(format!("{ID_TAGS}{ns}{id}"));
                    }
                    let tags: Vec<Vec<String>> = read
                        .query(store.conn_mut())
                        .map_err(|e| Self::redis_err(store, e))?;
                    let mut write = redis::pipe();
                    for (id, tags) in chunk.iter().zip(tags) {
                        write.srem(ALL_IDS, id).ignore();
                        if !tags.is_empty() {
                            for t in &tags {
                                write.srem(format!("{TAG_SET}{ns}{t}"), id).ignore();
                            }
                            write.del(format!("{ID_TAGS}{ns}{id}")).ignore();
                        }
                    }
                    write
                        .query::<()>(store.conn_mut())
                        .map_err(|e| Self::redis_err(store, e))?;
                }
                Ok(removed)
            }
        }
    }

    /// `Symfony::cleanAll()`: the tag index cleared (`clearAllIndices()`), then the pool
    /// (`clear()`): file: every entry file under the namespace folder; Redis: the keys
    /// `<ns>:*` (not FLUSHDB). How many entries there were.
    pub fn flush(&mut self) -> Result<usize, CacheError> {
        let ns = self.conf().namespace.clone();
        let prefix = self.data_prefix();
        let n = self.count()?;
        let ns_dir = self.ns_dir();
        match self {
            SymfonyStore::File { dir, .. } => {
                for sub in ["tags", "idtags"] {
                    let d = dir.join(sub);
                    if let Ok(rd) = std::fs::read_dir(&d) {
                        for e in rd.flatten() {
                            if e.file_type().is_ok_and(|t| t.is_file()) {
                                let p = e.path();
                                std::fs::remove_file(&p).map_err(io(&p))?;
                            }
                        }
                    }
                }
                for f in hash_files(&ns_dir.expect("file store")) {
                    match std::fs::remove_file(&f) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(io(&f)(e));
                        }
                        _ => {}
                    }
                }
            }
            SymfonyStore::Redis { store, .. } => {
                let mut keys = store.keys_matching(&format!("{TAG_SET}{ns}*"))?;
                keys.push(ALL_IDS.to_string());
                keys.extend(store.keys_matching(&format!("{ID_TAGS}{ns}*"))?);
                if prefix.is_empty() {
                    redis::cmd("FLUSHDB")
                        .query::<()>(store.conn_mut())
                        .map_err(|e| Self::redis_err(store, e))?;
                    return Ok(n);
                }
                keys.extend(store.keys_matching(&format!("{}*", glob_escape(&prefix)))?);
                for chunk in keys.chunks(1000) {
                    redis::cmd("DEL")
                        .arg(chunk)
                        .query::<()>(store.conn_mut())
                        .map_err(|e| Self::redis_err(store, e))?;
                }
            }
        }
        Ok(n)
    }

    /// `Symfony::save()` then the tag adapter's `onSave()`; `tags` normalised, `lifetime`
    /// `None` = no expiry.
    pub fn save(
        &mut self,
        id: &str,
        data: &[u8],
        tags: &[String],
        lifetime: Option<i64>,
        now: i64,
    ) -> Result<(), CacheError> {
        let value = marshall(data, tags, lifetime, now);
        let ns = self.conf().namespace.clone();
        let key = self.shown(id);
        match self {
            SymfonyStore::File { .. } => {
                let path = self.data_file(id).expect("file store");
                let parent = path.parent().expect("hash dirs").to_path_buf();
                std::fs::create_dir_all(&parent).map_err(io(&parent))?;
                let expiry = lifetime.map_or(0, |l| now + l);
                let mut bytes = format!("{expiry}\n{}\n", rawurlencode(id)).into_bytes();
                bytes.extend_from_slice(&value);
                std::fs::write(&path, bytes).map_err(io(&path))?;
                let mtime = if expiry == 0 {
                    now + NO_EXPIRY_MTIME
                } else {
                    expiry
                };
                let when =
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime.max(0) as u64);
                let _ = std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_modified(when));
                let SymfonyStore::File { dir, .. } = self else {
                    unreachable!()
                };
                if tags.is_empty() {
                    return Ok(());
                }
                for old in index_lines(&Self::idtags_file(dir, id))? {
                    if !tags.contains(&old) {
                        let p = Self::tag_file(dir, &old);
                        let ids: Vec<String> =
                            index_lines(&p)?.into_iter().filter(|i| i != id).collect();
                        write_index(&p, &ids)?;
                    }
                }
                for t in tags {
                    let p = Self::tag_file(dir, t);
                    let mut ids = index_lines(&p)?;
                    if !ids.iter().any(|i| i == id) {
                        ids.push(id.to_string());
                        write_index(&p, &ids)?;
                    }
                }
                let mut uniq: Vec<String> = Vec::new();
                for t in tags {
                    if !uniq.contains(t) {
                        uniq.push(t.clone());
                    }
                }
                write_index(&Self::idtags_file(dir, id), &uniq)
            }
            SymfonyStore::Redis { store, .. } => {
                let mut pipe = redis::pipe();
                match lifetime {
                    Some(l) if l > 0 => pipe.cmd("SETEX").arg(&key).arg(l).arg(&value).ignore(),
                    _ => pipe.cmd("SET").arg(&key).arg(&value).ignore(),
                };
                let rev = format!("{ID_TAGS}{ns}{id}");
                let old: Vec<String> = store
                    .conn_mut()
                    .smembers(&rev)
                    .map_err(|e| Self::redis_err(store, e))?;
                for o in old.iter().filter(|o| !tags.contains(o)) {
                    pipe.srem(format!("{TAG_SET}{ns}{o}"), id).ignore();
                }
                pipe.sadd(ALL_IDS, id).ignore();
                if !tags.is_empty() {
                    for t in tags {
                        pipe.sadd(format!("{TAG_SET}{ns}{t}"), id).ignore();
                    }
                    pipe.del(&rev).ignore();
                    for t in tags {
                        pipe.sadd(&rev, t).ignore();
                    }
                }
                pipe.query::<()>(store.conn_mut())
                    .map_err(|e| Self::redis_err(store, e))
            }
        }
    }

    /// Entries of the namespace.
    pub fn count(&mut self) -> Result<usize, CacheError> {
        let prefix = self.data_prefix();
        let ns_dir = self.ns_dir();
        match self {
            SymfonyStore::File { .. } => Ok(hash_files(&ns_dir.expect("file store")).len()),
            SymfonyStore::Redis { store, .. } => {
                if prefix.is_empty() {
                    return Ok(0);
                }
                Ok(store
                    .keys_matching(&format!("{}*", glob_escape(&prefix)))?
                    .len())
            }
        }
    }
}

/// A glob pattern matching `s` literally (Redis SCAN MATCH).
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Regular files in the two hash levels under `ns_dir` (`scanHashDir()`: the 38 characters
/// `+-A-Z0-9` at each level).
fn hash_files(ns_dir: &Path) -> Vec<PathBuf> {
    let chars = "+-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = Vec::new();
    for a in chars.chars() {
        let da = ns_dir.join(a.to_string());
        if !da.is_dir() {
            continue;
        }
        for b in chars.chars() {
            let db = da.join(b.to_string());
            let Ok(rd) = std::fs::read_dir(&db) else {
                continue;
            };
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_file()) {
                    out.push(e.path());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from PHP 8.2 on this machine:
    /// `str_replace('/', '-', base64_encode(hash('xxh128', 'Symfony\Component\Cache\Adapter\
    /// FilesystemAdapter' . $key, true)))`; hex of the raw digest for SYSTEM_DEFAULT
    /// `937d894048c496046d94447011d7e240`.
    #[test]
    fn file_names_as_symfony_hashes_them() {
        let d = Path::new("/c/a6b_");
        // base64 "k32JQEjElgRtlERwEdfiQA==": K/3/ then the 20 characters from the third
        assert_eq!(
            file_path(d, "SYSTEM_DEFAULT"),
            Path::new("/c/a6b_/K/3/2JQEjElgRtlERwEdfiQA")
        );
        let digest =
            xxhash_rust::xxh3::xxh3_128(format!("{FILESYSTEM_ADAPTER}SYSTEM_DEFAULT").as_bytes());
        assert_eq!(format!("{digest:032x}"), "937d894048c496046d94447011d7e240");
    }

    #[test]
    fn backends_and_urlencoding() {
        assert!(is_symfony_backend("Redis"));
        assert!(is_symfony_backend("valkey"));
        assert!(is_symfony_backend("file"));
        assert!(!is_symfony_backend(
            "Magento\\Framework\\Cache\\Backend\\Redis"
        ));
        assert!(!is_symfony_backend("Cm_Cache_Backend_File"));
        assert!(is_symfony_l2("symfony_l2"));
        assert_eq!(rawurlencode("A_B-c.d~e f/g"), "A_B-c.d~e%20f%2Fg");
        assert_eq!(rawurldecode("A%20B%2f"), "A B/");
    }

    #[test]
    fn values_unwrapped() {
        let tags = vec!["CONFIG".to_string(), "MAGE".to_string()];
        let v = marshall(b"a:1:{}", &tags, None, 100);
        let u = unmarshall("x", &v).unwrap();
        assert_eq!(u.data, b"a:1:{}");
        assert_eq!(u.tags, tags);
        assert_eq!(u.mtime, Some(100));
        assert_eq!(u.expire, None);
        let bare = marshall(b"plain", &[], Some(DEFAULT_LIFETIME), 1);
        assert_eq!(bare, b"s:5:\"plain\";");
        assert_eq!(unmarshall("x", &bare).unwrap().data, b"plain");
        assert_eq!(
            unmarshall("x", b"\x00\x00\x00\x02\x11\x01a").unwrap().data,
            b"a"
        );
        assert!(unmarshall("x", b"\x00\x00\x00\x02\x17\x01a").is_err());
        let mut z = COMPRESSION_PREFIX.to_vec();
        z.extend(&crate::magento::cache::encode_gzip(b"hello", 6)[5..]);
        assert_eq!(decompress(&z).unwrap(), b"hello");
    }
}
