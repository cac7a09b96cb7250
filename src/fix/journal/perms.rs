//! Mode and owner changes in the journal: one compressed attachment per entry, and their undo.
//!
//! A `perms:fix` may change millions of entries, far too many for the entry's JSON. The entry
//! names an attachment beside it (`<id>.perms.gz`, mode 0600) and records its count and
//! sha256; the attachment is gzip over a small binary list (after the magic line
//! `m2auth-perms 1\n`, each record: path length u32 LE, the store-relative path bytes, kind
//! u8, device u64, inode u64, then old mode, new mode, old uid, old gid, new uid, new gid as
//! u32 LE). Paths are bytes (a file name need not be UTF-8) and relative to the root recorded in
//! the entry; a million Magento paths take a few megabytes.
//!
//! Undo ([`Journal::undo_perms`]) first checks every entry is still the one the fix left (same
//! device and inode, the new mode and owner) — any other state is a conflict, refused unless
//! `--force`; an entry already back as it was is left alone — then writes its own entry (the
//! records with old and new swapped, so an undo can be undone) and puts back each owner and mode
//! with [`crate::fix::perms::DirCache::apply`], never following a link.

use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use crate::fix::perms::{Applied, DirCache};
use crate::fix::{Conflict, FixError};

use super::Journal;
use super::entry::{EntryMeta, Listed, UndoOptions, UndoOutcome, marked_undone, new_entry_for};
use super::file_io::{create_private_file, io_err};
use super::patch::sha256_bytes;
use super::store::rewrite;

const MAGIC: &[u8] = b"m2auth-perms 1\n";

/// What an entry records of its mode and owner changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermsChanges {
    /// The store root the paths are relative to (absolute).
    pub root: String,
    /// The attachment's file name, in the journal directory.
    pub attachment: String,
    /// Records in the attachment.
    pub count: u64,
    /// `sha256:<hex>` of the attachment file.
    pub sha256: String,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeChange {
    pub rel: Vec<u8>,
    /// `f` file, `d` directory, `s` other.
    pub kind: u8,
    pub dev: u64,
    pub ino: u64,
    pub old_mode: u32,
    pub new_mode: u32,
    pub old_uid: u32,
    pub old_gid: u32,
    pub new_uid: u32,
    pub new_gid: u32,
}

impl ModeChange {
    /// The same change the other way round (for an undo's own entry).
    pub fn reversed(&self) -> ModeChange {
        ModeChange {
            old_mode: self.new_mode,
            new_mode: self.old_mode,
            old_uid: self.new_uid,
            old_gid: self.new_gid,
            new_uid: self.old_uid,
            new_gid: self.old_gid,
            ..self.clone()
        }
    }

    pub fn shown(&self) -> String {
        if self.rel.is_empty() {
            ".".into()
        } else {
            String::from_utf8_lossy(&self.rel).into_owned()
        }
    }
}

/// Writes an attachment (a new private file, gzip).
pub struct AttachmentWriter {
    path: PathBuf,
    enc: GzEncoder<BufWriter<fs::File>>,
    pub count: u64,
}

impl AttachmentWriter {
    /// A new attachment file `name` in the journal directory (created 0600, never overwriting).
    pub fn create(journal: &Journal, name: &str) -> Result<AttachmentWriter, FixError> {
        journal.ensure_dir()?;
        let path = journal.dir().join(name);
        let f = create_private_file(&path).map_err(|e| io_err(&path, e))?;
        let mut enc = GzEncoder::new(BufWriter::with_capacity(1 << 16, f), Compression::fast());
        enc.write_all(MAGIC).map_err(|e| io_err(&path, e))?;
        Ok(AttachmentWriter {
            path,
            enc,
            count: 0,
        })
    }

    pub fn push(&mut self, c: &ModeChange) -> Result<(), FixError> {
        let mut rec = Vec::with_capacity(c.rel.len() + 45);
        rec.extend_from_slice(&(c.rel.len() as u32).to_le_bytes());
        rec.extend_from_slice(&c.rel);
        rec.push(c.kind);
        rec.extend_from_slice(&c.dev.to_le_bytes());
        rec.extend_from_slice(&c.ino.to_le_bytes());
        for v in [
            c.old_mode, c.new_mode, c.old_uid, c.old_gid, c.new_uid, c.new_gid,
        ] {
            rec.extend_from_slice(&v.to_le_bytes());
        }
        self.enc
            .write_all(&rec)
            .map_err(|e| io_err(&self.path, e))?;
        self.count += 1;
        Ok(())
    }

    /// Finish and sync the file: its name and sha256.
    pub fn finish(self) -> Result<(PathBuf, String), FixError> {
        let path = self.path;
        let buf = self.enc.finish().map_err(|e| io_err(&path, e))?;
        let f = buf
            .into_inner()
            .map_err(|e| io_err(&path, e.into_error()))?;
        f.sync_all().map_err(|e| io_err(&path, e))?;
        let sha = sha256_file(&path)?;
        Ok((path, sha))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn sha256_file(path: &Path) -> Result<String, FixError> {
    let bytes = fs::read(path).map_err(|e| io_err(path, e))?;
    Ok(sha256_bytes(&bytes))
}

/// Reads an attachment's records in order.
pub struct AttachmentReader {
    path: PathBuf,
    dec: GzDecoder<BufReader<fs::File>>,
}

impl AttachmentReader {
    pub fn open(path: &Path) -> Result<AttachmentReader, FixError> {
        let f = fs::File::open(path).map_err(|e| io_err(path, e))?;
        let mut dec = GzDecoder::new(BufReader::with_capacity(1 << 16, f));
        let mut magic = [0u8; MAGIC.len()];
        dec.read_exact(&mut magic).map_err(|e| io_err(path, e))?;
        if magic != MAGIC {
            return Err(FixError::BadJournal {
                path: path.to_path_buf(),
                message: "not an m2auth permissions attachment".into(),
            });
        }
        Ok(AttachmentReader {
            path: path.to_path_buf(),
            dec,
        })
    }

    /// The next record; `None` at the end.
    pub fn next_change(&mut self) -> Result<Option<ModeChange>, FixError> {
        let bad = |m: &str| FixError::BadJournal {
            path: self.path.clone(),
            message: m.to_string(),
        };
        let mut len = [0u8; 4];
        match self.dec.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(io_err(&self.path, e)),
        }
        let len = u32::from_le_bytes(len) as usize;
        if len > 64 * 1024 {
            return Err(bad("a path longer than 64 KiB"));
        }
        let mut rel = vec![0u8; len];
        let mut rest = [0u8; 1 + 8 + 8 + 24];
        self.dec
            .read_exact(&mut rel)
            .and_then(|_| self.dec.read_exact(&mut rest))
            .map_err(|_| bad("cut short"))?;
        let u64_at = |i: usize| u64::from_le_bytes(rest[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(rest[i..i + 4].try_into().expect("4 bytes"));
        Ok(Some(ModeChange {
            rel,
            kind: rest[0],
            dev: u64_at(1),
            ino: u64_at(9),
            old_mode: u32_at(17),
            new_mode: u32_at(21),
            old_uid: u32_at(25),
            old_gid: u32_at(29),
            new_uid: u32_at(33),
            new_gid: u32_at(37),
        }))
    }
}

/// A store-relative path that undo may touch: no `..`, no absolute path, no empty component.
pub(crate) fn safe_rel(rel: &[u8]) -> bool {
    rel.is_empty()
        || (!rel.starts_with(b"/")
            && rel
                .split(|b| *b == b'/')
                .all(|c| !c.is_empty() && c != b"." && c != b".."))
}

impl Journal {
    /// The attachment of a perms entry, checked: trusted like the entry, and its sha256 the
    /// recorded one.
    fn attachment(&self, target: &Listed, p: &PermsChanges) -> Result<PathBuf, FixError> {
        if p.attachment.contains('/') || p.attachment.starts_with('.') {
            return Err(FixError::Refused(format!(
                "journal entry {} names the attachment `{}` outside its directory",
                target.entry.id, p.attachment
            )));
        }
        let dir = target.path.parent().unwrap_or(&self.dir);
        let path = dir.join(&p.attachment);
        self.check_trusted(&path)?;
        let sha = sha256_file(&path)?;
        if sha != p.sha256 {
            return Err(FixError::Refused(format!(
                "{}: its sha256 is not the one journal entry {} recorded: m2auth does not undo from it",
                path.display(),
                target.entry.id
            )));
        }
        Ok(path)
    }

    /// Write a perms entry for an attachment already written (see [`AttachmentWriter`]).
    pub fn write_perms_entry(
        &self,
        meta: &EntryMeta,
        root: &Path,
        written: (PathBuf, String),
        count: u64,
        undoes: Option<String>,
    ) -> Result<Listed, FixError> {
        let (path, sha256) = written;
        let mut entry = new_entry_for(meta, None, Vec::new());
        entry.undoes = undoes;
        entry.perms = Some(PermsChanges {
            root: root.display().to_string(),
            attachment: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            count,
            sha256,
        });
        let entry_path = self.write_new(&mut entry).inspect_err(|_| {
            let _ = fs::remove_file(&path);
        })?;
        Ok(Listed {
            path: entry_path,
            entry,
        })
    }

    /// Undo a perms entry: every entry back to its recorded mode and owner (see the module
    /// documentation). `Applied` says what was put back, left alone, or failed.
    pub fn undo_perms(
        &self,
        target: &Listed,
        opts: &UndoOptions,
    ) -> Result<(UndoOutcome, Applied), FixError> {
        let entry = &target.entry;
        if let Some(u) = &entry.undone {
            return Err(FixError::AlreadyUndone {
                id: entry.id.clone(),
                at: u.at.clone(),
            });
        }
        let Some(p) = &entry.perms else {
            return Err(FixError::Refused(format!(
                "internal: journal entry {} holds no permission changes",
                entry.id
            )));
        };
        self.check_trusted(&target.path)?;
        let att = self.attachment(target, p)?;
        let root = PathBuf::from(&p.root);
        if !root.is_absolute() || self.store_root().is_some_and(|r| r != root) {
            return Err(FixError::Refused(format!(
                "journal entry {} names the root {}, not this store's",
                entry.id, p.root
            )));
        }
        // 1. Every entry as the fix left it?
        let mut dirs = DirCache::open(&root)?;
        let mut conflicts = Vec::new();
        let mut reader = AttachmentReader::open(&att)?;
        while let Some(c) = reader.next_change()? {
            if !safe_rel(&c.rel) {
                return Err(FixError::Refused(format!(
                    "journal entry {} names the path `{}`: m2auth does not undo it",
                    entry.id,
                    c.shown()
                )));
            }
            if let Some(problem) = dirs.state_problem(&c) {
                conflicts.push(Conflict {
                    table: "file".into(),
                    key: format!("{}/{}", p.root, c.shown()),
                    problem,
                });
            }
        }
        if !conflicts.is_empty() && !opts.force {
            return Err(FixError::Conflict(conflicts));
        }
        // 2. The undo's own entry (records reversed), then the changes.
        let meta = EntryMeta {
            title: format!("Undo {}: {}", entry.id, entry.title),
            slug: "undo-perms".into(),
            command: opts.command.clone(),
            masker: opts.masker.clone(),
        };
        let name = format!("{}.perms.gz", new_entry_for(&meta, None, Vec::new()).id);
        let mut w = AttachmentWriter::create(self, &name)?;
        let mut reader = AttachmentReader::open(&att)?;
        while let Some(c) = reader.next_change()? {
            w.push(&c.reversed())?;
        }
        let count = w.count;
        let written = w.finish()?;
        let undo = self.write_perms_entry(&meta, &root, written, count, Some(entry.id.clone()))?;
        let mut applied = Applied::default();
        let mut reader = AttachmentReader::open(&att)?;
        while let Some(c) = reader.next_change()? {
            let back = c.reversed();
            let outcome = dirs.apply(&back, opts.force);
            applied.count(&back, outcome);
        }
        let marked = marked_undone(entry, &undo.entry, opts.force && !conflicts.is_empty());
        rewrite(&target.path, &marked)?;
        Ok((
            UndoOutcome {
                undo,
                original: Listed {
                    path: target.path.clone(),
                    entry: marked,
                },
                overridden: conflicts,
                cache_notice: Vec::new(),
            },
            applied,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let j = Journal::at(t.path().join("j"));
        let mut w = AttachmentWriter::create(&j, "x.perms.gz").unwrap();
        let c = ModeChange {
            rel: b"var/cache/\xffa".to_vec(),
            kind: b'f',
            dev: 1 << 40,
            ino: 7,
            old_mode: 0o644,
            new_mode: 0o664,
            old_uid: 0,
            old_gid: 0,
            new_uid: 1000,
            new_gid: 33,
        };
        for _ in 0..1000 {
            w.push(&c).unwrap();
        }
        let (path, sha) = w.finish().unwrap();
        assert!(sha.starts_with("sha256:"));
        assert!(fs::metadata(&path).unwrap().len() < 2000);
        let mut r = AttachmentReader::open(&path).unwrap();
        let mut n = 0;
        while let Some(got) = r.next_change().unwrap() {
            assert_eq!(got, c);
            n += 1;
        }
        assert_eq!(n, 1000);
        assert_eq!(c.reversed().reversed(), c);
        assert!(safe_rel(b"var/a") && safe_rel(b""));
        assert!(!safe_rel(b"../etc") && !safe_rel(b"/etc") && !safe_rel(b"a//b"));
    }
}
