//! The journal as a directory of entry files: writing an entry before the transaction
//! commits, listing and finding entries, reading one, rewriting one (marked undone), and what
//! undo trusts (entry files and directory owned by the user running m2auth, not writable by
//! others).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::fix::FixError;
use crate::store::db::DbError;
use crate::store::db::write::WriteSession;
use crate::store::secrets::Sealer;

use super::entry::{Entry, EntryMeta, Listed, new_entry, redact_entry, to_json};
use super::file_io::{create_private_dir, create_private_file, io_err, set_mode, sync_dir};
use super::{FORMAT, Journal};

impl Journal {
    /// Write the entry for the session's changes, then commit the session.
    ///
    /// * no change recorded: the transaction is rolled back, nothing is written, `Ok(None)`;
    /// * the entry cannot be written: the transaction is rolled back, the error returned;
    /// * COMMIT fails with an answer from the server: the entry is removed again
    ///   ([`FixError::CommitFailed`]); when the outcome is unknown (the connection broke during
    ///   COMMIT) the entry is kept, so that a committed change is never left without its entry
    ///   (an undo of a change that was not applied is refused: its rows are not there).
    pub fn commit(
        &self,
        session: WriteSession,
        meta: &EntryMeta,
    ) -> Result<Option<Listed>, FixError> {
        self.commit_redacted(session, meta, &[])
    }

    /// [`Journal::commit`], with the values of the secret columns `redacted` (`table.column`,
    /// e.g. `oauth_token.token`) written as [`digest`]s only. Undo can still delete a row this
    /// entry inserted (it compares digests), but cannot restore a redacted value.
    pub fn commit_redacted(
        &self,
        session: WriteSession,
        meta: &EntryMeta,
        redacted: &[&str],
    ) -> Result<Option<Listed>, FixError> {
        self.commit_sealed(session, meta, redacted, None)
    }

    /// [`Journal::commit_redacted`], with the secret values of the rows the session deleted
    /// sealed with the store's `crypt/key` ([`Sealer`]) instead of digested, so that undo can put
    /// those rows back (an integration's access token replaced by a reauthorisation).
    pub fn commit_sealed(
        &self,
        session: WriteSession,
        meta: &EntryMeta,
        redacted: &[&str],
        sealer: Option<&Sealer>,
    ) -> Result<Option<Listed>, FixError> {
        if !session.in_transaction() {
            return Err(FixError::Refused(
                "internal: commit of a session without an open transaction".into(),
            ));
        }
        if session.changes().is_empty() {
            session.rollback()?;
            return Ok(None);
        }
        let redacted: Vec<String> = redacted.iter().map(|r| r.to_string()).collect();
        let mut entry = new_entry(meta, &session, session.changes().to_vec());
        redact_entry(&mut entry, &redacted, sealer);
        let path = self.write_new(&mut entry)?;
        super::kill_point("entry-written");
        let committed = session.commit();
        if committed.is_ok() {
            super::kill_point("committed");
        }
        match committed {
            Ok(_) => Ok(Some(Listed { path, entry })),
            Err(e) => {
                if commit_surely_failed(&e) {
                    let _ = fs::remove_file(&path);
                }
                Err(FixError::CommitFailed(e))
            }
        }
    }

    /// Every readable entry, newest first. Files that are not entries are skipped.
    pub fn list(&self) -> Result<Vec<Listed>, FixError> {
        let read = match fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.dir, e)),
        };
        let mut out = Vec::new();
        for item in read {
            let path = item.map_err(|e| io_err(&self.dir, e))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".json") || name.starts_with('.') {
                continue;
            }
            if let Ok(entry) = load(&path) {
                out.push(Listed { path, entry });
            }
        }
        out.sort_by(|a, b| {
            (&b.entry.created_at, &b.entry.id).cmp(&(&a.entry.created_at, &a.entry.id))
        });
        Ok(out)
    }

    /// Entry files that cannot be read as entries (cut short by a crash of an older m2auth, edited
    /// by hand): the file and why, for `undo --list` (never silently skipped).
    pub fn damaged(&self) -> Vec<(PathBuf, String)> {
        let Ok(read) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, String)> = read
            .filter_map(|i| i.ok().map(|i| i.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.ends_with(".json") && !name.starts_with('.')
            })
            .filter_map(|p| load(&p).err().map(|e| (p, e.to_string())))
            .collect();
        out.sort();
        out
    }

    /// The entry `undo [JOURNAL]` means: `None` → the newest entry that is neither undone nor
    /// itself an undo (so repeated `undo` walks back through the changes; an undo is redone only
    /// by naming its entry); otherwise a path to an entry file, or an entry id (or a unique
    /// prefix of one).
    pub fn find(&self, which: Option<&str>) -> Result<Listed, FixError> {
        let Some(which) = which else {
            return self
                .list()?
                .into_iter()
                .find(|l| l.entry.undone.is_none() && l.entry.undoes.is_none())
                .ok_or_else(|| {
                    FixError::NotFound(format!(
                        "no journal entry to undo in {}",
                        self.dir.display()
                    ))
                });
        };
        let as_path = Path::new(which);
        if which.ends_with(".json") || which.contains('/') {
            let path = if as_path.exists() {
                as_path.to_path_buf()
            } else {
                self.dir.join(as_path)
            };
            if path.exists() {
                return Ok(Listed {
                    entry: load(&path)?,
                    path,
                });
            }
        }
        let list = self.list()?;
        if let Some(l) = list.iter().find(|l| l.entry.id == which) {
            return Ok(l.clone());
        }
        let matches: Vec<&Listed> = list
            .iter()
            .filter(|l| l.entry.id.starts_with(which))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(FixError::NotFound(format!(
                "no journal entry `{which}` in {}",
                self.dir.display()
            ))),
            many => Err(FixError::NotFound(format!(
                "`{which}` matches {} journal entries; give more of the id",
                many.len()
            ))),
        }
    }

    /// Refuse an entry another user could have written: the entry file and the journal
    /// directory must be owned by the user running m2auth (or root) and not writable by group
    /// or others.
    pub(super) fn check_trusted(&self, entry: &Path) -> Result<(), FixError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: geteuid has no preconditions and cannot fail.
            let me = unsafe { libc::geteuid() };
            let dir = entry.parent().unwrap_or(&self.dir);
            for p in [dir, entry] {
                let m = fs::symlink_metadata(p).map_err(|e| io_err(p, e))?;
                let why = if m.file_type().is_symlink() {
                    Some("is a symbolic link".to_string())
                } else if m.uid() != me && m.uid() != 0 {
                    Some(format!(
                        "is owned by uid {}, not by the user running m2auth (uid {me}) or root",
                        m.uid()
                    ))
                } else if m.mode() & 0o022 != 0 {
                    Some(format!(
                        "may be written by its group or by others (mode {:o})",
                        m.mode() & 0o7777
                    ))
                } else {
                    None
                };
                if let Some(why) = why {
                    return Err(FixError::Refused(format!(
                        "{} {why}: m2auth does not undo a journal entry another user could have written",
                        p.display()
                    )));
                }
            }
        }
        #[cfg(not(unix))]
        let _ = entry;
        Ok(())
    }

    /// Create the directory chain with mode 0700 for the parts m2auth owns.
    pub(super) fn ensure_dir(&self) -> Result<(), FixError> {
        if self.dir.is_dir() {
            return set_mode(&self.dir, 0o700);
        }
        // `var/m2auth` and `var/m2auth/journal` are m2auth's: 0700. Anything above (`var`) is
        // created as Magento would, with the default mode.
        let owned_parent = self
            .dir
            .parent()
            .filter(|p| p.file_name().is_some_and(|n| n == "m2auth"));
        let top = owned_parent.unwrap_or(&self.dir);
        if let Some(above) = top.parent() {
            fs::create_dir_all(above).map_err(|e| io_err(above, e))?;
        }
        for dir in [owned_parent, Some(self.dir.as_path())]
            .into_iter()
            .flatten()
        {
            if !dir.is_dir() {
                create_private_dir(dir)?;
            }
            set_mode(dir, 0o700)?;
        }
        Ok(())
    }

    /// Write a new entry file (mode 0600, never overwriting); adjusts `entry.id` when the name
    /// is taken.
    pub(super) fn write_new(&self, entry: &mut Entry) -> Result<PathBuf, FixError> {
        self.ensure_dir()?;
        let base = entry.id.clone();
        for n in 1..1000 {
            if n > 1 {
                entry.id = format!("{base}-{n}");
            }
            let path = self.dir.join(format!("{}.json", entry.id));
            if path.exists() {
                continue;
            }
            // Written whole to a hidden file, synced, then linked under its name (which fails
            // when the name is taken: never an overwrite), so a kill never leaves an entry cut
            // short: it is there whole, or not at all.
            let tmp = self
                .dir
                .join(format!(".{}.json.{}.tmp", entry.id, std::process::id()));
            let _ = fs::remove_file(&tmp);
            let mut f = create_private_file(&tmp).map_err(|e| io_err(&tmp, e))?;
            let text = to_json(entry);
            let written = f.write_all(text.as_bytes()).and_then(|_| f.sync_all());
            let linked = written.and_then(|_| fs::hard_link(&tmp, &path));
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => {
                    sync_dir(&self.dir);
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err(&path, e)),
            }
        }
        Err(FixError::Refused(format!(
            "too many journal entries named {base} in {}",
            self.dir.display()
        )))
    }
}

/// Read one entry file.
pub fn load(path: &Path) -> Result<Entry, FixError> {
    let text = fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    let entry: Entry = serde_json::from_str(&text).map_err(|e| FixError::BadJournal {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if entry.format != FORMAT {
        return Err(FixError::BadJournal {
            path: path.to_path_buf(),
            message: format!("format {} (this m2auth reads {FORMAT})", entry.format),
        });
    }
    Ok(entry)
}

/// Replace an entry file atomically (temporary file 0600 in the same directory, then rename).
pub(super) fn rewrite(path: &Path, entry: &Entry) -> Result<(), FixError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let tmp = dir.join(format!(".{name}.tmp"));
    let _ = fs::remove_file(&tmp);
    let mut f = create_private_file(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(to_json(entry).as_bytes())
        .and_then(|_| f.sync_all())
        .and_then(|_| fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_err(path, e)
        })?;
    sync_dir(dir);
    Ok(())
}

/// Whether a failed COMMIT certainly did not commit (the server answered with an error).
pub(super) fn commit_surely_failed(e: &DbError) -> bool {
    matches!(e, DbError::Query { message, .. } if message.contains("(error "))
}
