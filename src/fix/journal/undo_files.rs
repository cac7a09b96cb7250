//! File changes and their undo: [`Journal::apply_files`] journals then writes each file,
//! [`Journal::undo_files`] reverses the patches after checking each file is as the entry left
//! it, and the paths undo may touch (under the store root, or existing server configuration).

use std::fs;
use std::path::{Path, PathBuf};

use crate::fix::{Conflict, FixError};

use super::entry::{
    EntryMeta, FileChange, FileKind, Listed, UndoOptions, UndoOutcome, marked_undone, new_entry_for,
};
use super::file_io::{create_file_atomic, io_err, refuse_symlink, write_file_atomic};
use super::patch::{make_patch, reverse_patch, sha256_text};
use super::store::rewrite;
use super::{JOURNAL_DIR, Journal};

impl Journal {
    /// Change files: write the entry (each file's content before, the sha256 of the content
    /// after), then each file with [`write_file_atomic`]. When a file cannot be written, the
    /// files already written are put back and the entry removed: all or nothing, as far as the
    /// file system allows. `edits`: (path, new content, one-line description).
    pub fn apply_files(
        &self,
        meta: &EntryMeta,
        edits: &[(PathBuf, String, String)],
    ) -> Result<Option<Listed>, FixError> {
        let root = self.store_root();
        let mut files = Vec::new();
        let mut befores = Vec::new();
        for (path, after, description) in edits {
            if !path.is_absolute() {
                return Err(FixError::Refused(format!(
                    "internal: {} is not an absolute path",
                    path.display()
                )));
            }
            refuse_symlink(path)?;
            let before = fs::read_to_string(path).map_err(|e| io_err(path, e))?;
            if before == *after {
                continue;
            }
            let kind = match &root {
                Some(r) if path.starts_with(r) => FileKind::Store,
                _ => FileKind::ServerConfig,
            };
            files.push(FileChange {
                path: path.display().to_string(),
                before: None,
                before_sha256: Some(sha256_text(&before)),
                after_sha256: sha256_text(after),
                patch: make_patch(&before, after),
                description: description.clone(),
                kind,
            });
            befores.push(before);
        }
        if files.is_empty() {
            return Ok(None);
        }
        let mut entry = new_entry_for(meta, None, Vec::new());
        entry.files = files;
        let entry_path = self.write_new(&mut entry)?;
        super::kill_point("entry-written");
        let mut written: Vec<(&FileChange, &String)> = Vec::new();
        for (n, f) in entry.files.iter().enumerate() {
            super::kill_point(&format!("file-{}-start", n + 1));
            let after = &edits
                .iter()
                .find(|(p, _, _)| p.display().to_string() == f.path)
                .expect("edit of a recorded file")
                .1;
            if let Err(e) = write_file_atomic(Path::new(&f.path), after) {
                // Put back what was written; the entry stays when that fails too, so the
                // files it names can still be found and undone.
                let written = written
                    .iter()
                    .map(|(w, before)| (w.path.as_str(), Some(*before)));
                return Err(put_back(e, written, &entry_path, |e, failed| {
                    format!(
                        "{e}; and putting back the files already written failed ({failed}): the journal entry {} is kept (m2auth undo --apply reverses what was written)",
                        entry_path.display()
                    )
                }));
            }
            written.push((f, &befores[written.len()]));
            super::kill_point(&format!("file-{}", n + 1));
        }
        Ok(Some(Listed {
            path: entry_path,
            entry,
        }))
    }

    /// Undo the file changes of a file-only entry: refused when it was undone already, and —
    /// unless `force` — when a file no longer has the content the entry wrote
    /// ([`FixError::Conflict`], nothing changed). The undo is journaled like [`Journal::undo`].
    pub fn undo_files(&self, target: &Listed, opts: &UndoOptions) -> Result<UndoOutcome, FixError> {
        let entry = &target.entry;
        if let Some(u) = &entry.undone {
            return Err(FixError::AlreadyUndone {
                id: entry.id.clone(),
                at: u.at.clone(),
            });
        }
        if entry.database.is_some() {
            return Err(FixError::Refused(format!(
                "internal: journal entry {} changed a database",
                entry.id
            )));
        }
        self.check_trusted(&target.path)?;
        for f in &entry.files {
            self.check_path(f)?;
        }
        let mut conflicts = Vec::new();
        let mut current = Vec::new();
        let mut restored = Vec::new();
        for f in &entry.files {
            let path = Path::new(&f.path);
            refuse_symlink(path)?;
            let now = match fs::read_to_string(path) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_err(path, e)),
            };
            // A file still as it was before the entry (the journal is written first, then each
            // file: a kill between two files leaves the later ones untouched): nothing to
            // reverse there, so a half-applied entry is rolled back whole.
            let untouched = now.as_ref().is_some_and(|t| {
                let sha = sha256_text(t);
                sha != f.after_sha256 && f.before_sha256.as_deref() == Some(sha.as_str())
            });
            let problem = match &now {
                None => Some("was deleted since the entry wrote it"),
                Some(_) if untouched => None,
                Some(t) if sha256_text(t) != f.after_sha256 => {
                    Some("changed since the entry wrote it")
                }
                _ => None,
            };
            if let Some(p) = problem {
                conflicts.push(Conflict {
                    table: "file".into(),
                    key: f.path.clone(),
                    problem: p.into(),
                });
            }
            // What the file becomes: the patch reversed (entries of the first kind: the whole
            // content they hold).
            let back = match (&f.before, &now) {
                (_, Some(t)) if untouched => Some(t.clone()),
                (Some(b), _) => Some(b.clone()),
                (None, Some(t)) => reverse_patch(t, &f.patch),
                (None, None) => None,
            };
            if back.is_none() && (problem.is_none() || opts.force) {
                return Err(FixError::Refused(format!(
                    "{}: the lines the journal entry {} wrote are no longer there{}: nothing was changed",
                    f.path,
                    entry.id,
                    if now.is_none() {
                        " (the file is gone, and the entry holds only the lines it changed)"
                    } else {
                        ""
                    }
                )));
            }
            if problem.is_none()
                && let (Some(b), Some(want)) = (&back, &f.before_sha256)
                && sha256_text(b) != *want
            {
                return Err(FixError::Refused(format!(
                    "{}: reversing the journal entry {} does not give the content it recorded (sha256 differs): nothing was changed",
                    f.path, entry.id
                )));
            }
            current.push(now);
            restored.push(back.unwrap_or_default());
        }
        if !conflicts.is_empty() && !opts.force {
            return Err(FixError::Conflict(conflicts));
        }
        let meta = EntryMeta {
            title: format!("Undo {}: {}", entry.id, entry.title),
            slug: "undo".into(),
            command: opts.command.clone(),
            masker: opts.masker.clone(),
        };
        let mut undo_entry = new_entry_for(&meta, None, Vec::new());
        undo_entry.undoes = Some(entry.id.clone());
        undo_entry.files = entry
            .files
            .iter()
            .zip(current.iter().zip(&restored))
            .rev()
            .filter(|(_, (now, back))| now.as_ref() != Some(*back))
            .map(|(f, (now, back))| {
                let now = now.clone().unwrap_or_default();
                FileChange {
                    path: f.path.clone(),
                    before: None,
                    before_sha256: Some(sha256_text(&now)),
                    after_sha256: sha256_text(back),
                    patch: make_patch(&now, back),
                    description: format!("undo: {}", f.description),
                    kind: f.kind,
                }
            })
            .collect();
        let undo_path = self.write_new(&mut undo_entry)?;
        super::kill_point("undo-entry-written");
        let mut done: Vec<(&FileChange, &Option<String>)> = Vec::new();
        for (f, (now, back)) in entry.files.iter().zip(current.iter().zip(&restored)).rev() {
            if now.as_ref() == Some(back) {
                continue;
            }
            let path = Path::new(&f.path);
            let result = if now.is_none() {
                create_file_atomic(path, back)
            } else {
                write_file_atomic(path, back)
            };
            if let Err(e) = result {
                let done = done.iter().map(|(d, was)| (d.path.as_str(), was.as_ref()));
                return Err(put_back(e, done, &undo_path, |e, failed| {
                    format!(
                        "{e}; and putting back the files already undone failed ({failed}): the undo's journal entry {} is kept",
                        undo_path.display()
                    )
                }));
            }
            done.push((f, now));
            super::kill_point(&format!("undo-file-{}", done.len()));
        }
        let marked = marked_undone(entry, &undo_entry, opts.force && !conflicts.is_empty());
        rewrite(&target.path, &marked)?;
        Ok(UndoOutcome {
            undo: Listed {
                path: undo_path,
                entry: undo_entry,
            },
            original: Listed {
                path: target.path.clone(),
                entry: marked,
            },
            overridden: conflicts,
            cache_notice: Vec::new(),
        })
    }

    /// The Magento root of a journal at `<root>/var/m2auth/journal`.
    pub(super) fn store_root(&self) -> Option<PathBuf> {
        let root = self.dir.parent()?.parent()?.parent()?;
        (self.dir == root.join(JOURNAL_DIR)).then(|| root.to_path_buf())
    }

    /// The paths undo may write: absolute, without `..`, and under the store root, or (recorded
    /// as web-server configuration) an existing file.
    pub(super) fn check_path(&self, f: &FileChange) -> Result<(), FixError> {
        let path = Path::new(&f.path);
        let refuse = |why: &str| {
            Err(FixError::Refused(format!(
                "journal entry names {}: {why}; m2auth does not undo it",
                f.path
            )))
        };
        if !path.is_absolute() {
            return refuse("not an absolute path");
        }
        if path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return refuse("a path with `..`");
        }
        let under_root = self.store_root().is_some_and(|r| path.starts_with(&r));
        match f.kind {
            FileKind::Store if under_root => Ok(()),
            FileKind::Store => {
                refuse("recorded as a file of the store, but not under the store's root")
            }
            FileKind::ServerConfig if under_root => Ok(()),
            FileKind::ServerConfig => match fs::symlink_metadata(path) {
                Ok(m) if m.is_file() => Ok(()),
                _ => refuse(
                    "a web-server configuration file that does not exist (undo never creates a file outside the store)",
                ),
            },
        }
    }
}

/// A write failed with `e` after the files in `written` (path, the content to put back; `None`:
/// nothing to put back) were written: puts them back, the last written first. When that works,
/// the new journal entry at `entry_path` is removed and `e` returned; when it does not, the
/// entry is kept and the refusal is `kept(e, the failures)`.
pub(super) fn put_back<'a>(
    e: FixError,
    written: impl DoubleEndedIterator<Item = (&'a str, Option<&'a String>)>,
    entry_path: &Path,
    kept: impl FnOnce(&FixError, &str) -> String,
) -> FixError {
    let mut failed = Vec::new();
    for (path, content) in written.rev() {
        if let Some(content) = content
            && let Err(r) = write_file_atomic(Path::new(path), content)
        {
            failed.push(format!("{path}: {r}"));
        }
    }
    if failed.is_empty() {
        let _ = fs::remove_file(entry_path);
        return e;
    }
    FixError::Refused(kept(&e, &failed.join("; ")))
}
