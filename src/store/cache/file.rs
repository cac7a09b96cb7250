//! `Cm_Cache_Backend_File` as Magento configures it: data files
//! `<dir>/mage--<h>/mage---<ID>` (`<h>` = last hex char of md5 of the id, level 1), each a PHP
//! `serialize()`d metadata array (`hash`, `mtime`, `expire`, `tags`), `"\n"`, then the data;
//! tag files `<dir>/mage-tags/mage---<TAG>` listing ids one per line (appended to, so they may
//! hold duplicates and ids of removed entries). See magento-server.md §2.3.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CacheError, Entry};
use crate::magento::cache as mc;
use crate::magento::phpser::{self, PhpKey, PhpValue};

#[derive(Debug, Clone, PartialEq)]
pub struct FileConf {
    pub dir: PathBuf,
    pub prefix: String,
    pub level: usize,
}

impl FileConf {
    pub fn new(dir: PathBuf, prefix: Option<String>, level: Option<i64>) -> FileConf {
        FileConf {
            dir,
            prefix: prefix.unwrap_or_else(|| mc::FILE_NAME_PREFIX.to_string()),
            level: level.map(|l| l.clamp(0, 32) as usize).unwrap_or(1),
        }
    }
}

pub struct FileStore {
    pub conf: FileConf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl FileStore {
    pub fn new(conf: FileConf) -> FileStore {
        FileStore { conf }
    }

    /// The folder of an id's data file (`_path()`).
    fn id_dir(&self, id: &str) -> PathBuf {
        if self.conf.level == 0 {
            return self.conf.dir.clone();
        }
        use md5::{Digest, Md5};
        let hex = format!("{:x}", Md5::digest(id.as_bytes()));
        let tail = &hex[hex.len() - self.conf.level.min(32)..];
        self.conf.dir.join(format!("{}--{tail}", self.conf.prefix))
    }

    /// The data file of an id.
    pub fn data_file(&self, id: &str) -> PathBuf {
        self.id_dir(id).join(format!("{}---{id}", self.conf.prefix))
    }

    fn tags_dir(&self) -> PathBuf {
        self.conf.dir.join(format!("{}-tags", self.conf.prefix))
    }

    /// The tag file of a tag.
    pub fn tag_file(&self, tag: &str) -> PathBuf {
        self.tags_dir()
            .join(format!("{}---{tag}", self.conf.prefix))
    }

    pub fn load(&self, id: &str, now: i64) -> Result<Option<Entry>, CacheError> {
        let path = self.data_file(id);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        let entry = parse_data_file(id, &bytes)?;
        if entry.expires.is_some_and(|e| now > e) {
            return Ok(None);
        }
        Ok(Some(entry))
    }

    /// The ids a tag file lists (text up to its last newline), de-duplicated, in file order.
    fn tag_ids(&self, tag: &str) -> Result<Vec<String>, CacheError> {
        let path = self.tag_file(tag);
        let text = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&path)(e)),
        };
        let upto = text.iter().rposition(|&c| c == b'\n').unwrap_or(0);
        let mut seen = BTreeSet::new();
        Ok(String::from_utf8_lossy(&text[..upto])
            .split('\n')
            .map(str::trim)
            .filter(|s| !s.is_empty() && seen.insert(s.to_string()))
            .map(str::to_string)
            .collect())
    }

    pub fn ids_with_tag(&self, tag: &str) -> Result<Vec<String>, CacheError> {
        Ok(self
            .tag_ids(tag)?
            .into_iter()
            .filter(|id| self.data_file(id).is_file())
            .collect())
    }

    /// `clean('matchingTag', tags)`: the ids in every tag file; those ids leave those tag files
    /// (rewritten as the library does), their data files are unlinked.
    pub fn clean_matching_tags(&self, tags: &[String]) -> Result<usize, CacheError> {
        let Some((first, rest)) = tags.split_first() else {
            return Ok(0);
        };
        let mut ids: Vec<String> = self.tag_ids(first)?;
        for t in rest {
            let other: BTreeSet<String> = self.tag_ids(t)?.into_iter().collect();
            ids.retain(|i| other.contains(i));
        }
        if ids.is_empty() {
            return Ok(0);
        }
        let mut removed = 0;
        for id in &ids {
            let f = self.data_file(id);
            match std::fs::remove_file(&f) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&f)(e)),
            }
        }
        let gone: BTreeSet<&String> = ids.iter().collect();
        for t in tags {
            let path = self.tag_file(t);
            if !path.exists() {
                continue;
            }
            let keep: Vec<String> = self
                .tag_ids(t)?
                .into_iter()
                .filter(|i| !gone.contains(i))
                .collect();
            std::fs::write(&path, format!("{}\n", keep.join("\n"))).map_err(io(&path))?;
        }
        Ok(removed)
    }

    /// `clean('all')`: every tag file, then every `mage--*` entry of the folder (files
    /// unlinked, folders emptied of their `mage--*` files and removed when empty).
    pub fn flush(&self) -> Result<usize, CacheError> {
        let tags = self.tags_dir();
        let lead = format!("{}---", self.conf.prefix);
        if let Ok(rd) = std::fs::read_dir(&tags) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().starts_with(&lead) {
                    let p = e.path();
                    std::fs::remove_file(&p).map_err(io(&p))?;
                }
            }
        }
        let dir_lead = format!("{}--", self.conf.prefix);
        let mut removed = 0;
        let rd = match std::fs::read_dir(&self.conf.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io(&self.conf.dir)(e)),
        };
        for e in rd.flatten() {
            if !e.file_name().to_string_lossy().starts_with(&dir_lead) {
                continue;
            }
            let p = e.path();
            let ft = e.file_type().map_err(io(&p))?;
            if ft.is_dir() {
                for f in std::fs::read_dir(&p).map_err(io(&p))?.flatten() {
                    let fp = f.path();
                    if f.file_name().to_string_lossy().starts_with(&dir_lead)
                        && f.file_type().is_ok_and(|t| t.is_file())
                    {
                        std::fs::remove_file(&fp).map_err(io(&fp))?;
                        removed += 1;
                    }
                }
                // Fails silently when foreign files remain, as PHP's @rmdir does.
                let _ = std::fs::remove_dir(&p);
            } else {
                std::fs::remove_file(&p).map_err(io(&p))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// `save()`: the data file written whole, the id appended to each tag file.
    pub fn save(
        &self,
        id: &str,
        data: &[u8],
        tags: &[String],
        lifetime: Option<i64>,
        now: i64,
    ) -> Result<(), CacheError> {
        let dir = self.id_dir(id);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = self.data_file(id);
        let mut bytes = metadata_line(now, lifetime.map(|l| now + l), tags);
        bytes.push(b'\n');
        bytes.extend_from_slice(data);
        std::fs::write(&path, bytes).map_err(io(&path))?;
        let tdir = self.tags_dir();
        std::fs::create_dir_all(&tdir).map_err(io(&tdir))?;
        for t in tags {
            let tp = self.tag_file(t);
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&tp)
                .map_err(io(&tp))?;
            f.write_all(format!("{id}\n").as_bytes()).map_err(io(&tp))?;
        }
        Ok(())
    }

    /// Data files under the folder.
    pub fn count(&self) -> Result<usize, CacheError> {
        let dir_lead = format!("{}--", self.conf.prefix);
        let mut n = 0;
        let Ok(rd) = std::fs::read_dir(&self.conf.dir) else {
            return Ok(0);
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(&dir_lead) || name == format!("{}-tags", self.conf.prefix) {
                continue;
            }
            match e.file_type() {
                Ok(t) if t.is_dir() => {
                    n += std::fs::read_dir(e.path())
                        .map(|r| r.flatten().filter(|f| f.path().is_file()).count())
                        .unwrap_or(0)
                }
                Ok(t) if t.is_file() => n += 1,
                _ => {}
            }
        }
        Ok(n)
    }
}

/// `serialize(['hash' => '', 'mtime' => …, 'expire' => …, 'tags' => 'A,B'])`.
pub fn metadata_line(mtime: i64, expires: Option<i64>, tags: &[String]) -> Vec<u8> {
    let s = |v: &str| PhpValue::Str(v.as_bytes().to_vec());
    let k = |v: &str| PhpKey::Str(v.to_string());
    phpser::serialize(&PhpValue::Array(vec![
        (k("hash"), s("")),
        (k("mtime"), PhpValue::Int(mtime)),
        (
            k("expire"),
            PhpValue::Int(expires.unwrap_or(mc::FILE_INFINITE_EXPIRE)),
        ),
        (k("tags"), s(&tags.join(","))),
    ]))
}

/// A data file's metadata line and data.
pub fn parse_data_file(id: &str, bytes: &[u8]) -> Result<Entry, CacheError> {
    let corrupt = |m: String| CacheError::Corrupt {
        id: id.to_string(),
        message: m,
    };
    let nl = memchr::memchr(b'\n', bytes).ok_or_else(|| corrupt("no metadata line".into()))?;
    let meta = phpser::unserialize(&bytes[..nl]).map_err(|e| corrupt(e.to_string()))?;
    let expire = meta.get("expire").and_then(PhpValue::as_int).unwrap_or(0);
    let tags = meta
        .get("tags")
        .and_then(PhpValue::as_php_string)
        .unwrap_or_default();
    Ok(Entry {
        id: id.to_string(),
        data: bytes[nl + 1..].to_vec(),
        tags: tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        mtime: meta.get("mtime").and_then(PhpValue::as_int).unwrap_or(0),
        expires: (expire != mc::FILE_INFINITE_EXPIRE).then_some(expire),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_clean_flush() {
        let dir = tempfile::tempdir().unwrap();
        let fs = FileStore::new(FileConf::new(dir.path().to_path_buf(), None, None));
        let tags = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        fs.save("p_A", b"one", &tags(&["p_CONFIG", "p_MAGE"]), None, 100)
            .unwrap();
        fs.save("p_B", b"two", &tags(&["p_MAGE"]), Some(10), 100)
            .unwrap();
        let h = mc::file_hash_dir("p_A");
        assert!(dir.path().join(format!("mage--{h}/mage---p_A")).is_file());
        assert_eq!(fs.load("p_A", 200).unwrap().unwrap().data, b"one");
        assert!(fs.load("p_B", 200).unwrap().is_none(), "expired");
        assert_eq!(fs.count().unwrap(), 2);
        assert_eq!(
            fs.clean_matching_tags(&tags(&["p_CONFIG", "p_MAGE"]))
                .unwrap(),
            1
        );
        assert!(fs.load("p_A", 100).unwrap().is_none());
        assert_eq!(
            std::fs::read_to_string(fs.tag_file("p_MAGE")).unwrap(),
            "p_B\n"
        );
        assert_eq!(fs.flush().unwrap(), 1);
        assert_eq!(fs.count().unwrap(), 0);
        assert!(dir.path().join("mage-tags").is_dir());
    }
}
