//! The journal: one JSON file per applied change set, and `undo`.
//!
//! Entries live in `<magento root>/var/m2auth/journal/<id>.json`, `id` = `<UTC timestamp>-<slug>`
//! (`20261128T091403.123Z-acl-grant-role-5`), so file names sort by time. The directories are
//! created `0700` and each file `0600`: an entry holds the full rows it changed, which may include
//! password hashes. It never holds a plain secret: the command line is masked, the database is
//! named without its password.
//!
//! An entry is written *before* the transaction commits; if the journal cannot be written the
//! transaction is rolled back, so no change is ever applied without its entry.
//!
//! [`Journal::undo`] applies the inverse of each change in reverse order in one transaction
//! (insert → delete by primary key; delete → re-insert the rows with their ids; update → restore
//! the values before), checking first that every row is still exactly as the entry left it. The
//! undo is itself journaled (a new entry with `undoes` set, which can be undone in turn) and the
//! original entry is marked `undone`; a second undo of it is refused.
//!
//! An entry may also (or only) hold file changes ([`FileChange`]: the absolute path, a patch —
//! the lines replaced and the lines written instead, with their line number — and the sha256 of
//! the content before and after; never the whole file, which for a web-server configuration may
//! hold secrets: `SetEnv DB_PASS …`, `ProxyPass http://user:pass@…`): [`Journal::apply_files`]
//! writes the entry, then each file ([`write_file_atomic`]: a temporary file in the same
//! directory renamed over the old one, mode and owner kept, symlinks refused), and
//! [`Journal::undo_files`] reverses each patch after checking the file's sha256 is still the one
//! the entry left (`--force`: the patch is reversed where its lines still are, keeping other
//! edits). The `database` of a file-only entry is absent; entries written before files existed,
//! and file entries of the first kind (whole content before), still read.
//!
//! What undo trusts: an entry may come from a directory another user can write to (`var/` is
//! often writable by the web server's user, and undo of a vhost fix runs as root). Undo refuses
//! an entry file or journal directory that is not owned by the user running it (or root) or that
//! group or others may write; and it only touches paths that are absolute, without `..`, and
//! either under the store root or recorded as web-server configuration files that exist (undo
//! never creates a file outside the store).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Conflict, FixError, Plan, Step, sql_literal};
use crate::mask::{Masker, mask};
use crate::store::db::write::{Change, Operation, Stored, WriteSession};
use crate::store::db::{DbError, Row, SqlValue};
use crate::store::secrets::Sealer;

/// The format version written in every entry.
pub const FORMAT: u32 = 1;

/// Where the journal of a Magento root lives, relative to it.
pub const JOURNAL_DIR: &str = "var/m2auth/journal";

/// The database an entry changed (never the password).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseRef {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<String>,
    pub name: String,
    pub user: String,
    pub table_prefix: String,
}

/// How an entry was undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Undone {
    /// RFC 3339, UTC.
    pub at: String,
    /// The id of the entry that recorded the undo.
    pub by: String,
    /// The command line of the undo (masked).
    pub command: String,
    /// Whether `--force` overrode rows changed since.
    pub forced: bool,
}

/// One journal entry: the changes of one command, in the order they were made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub format: u32,
    /// `<timestamp>-<slug>`, also the file name without `.json`.
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub title: String,
    /// The command line (masked).
    pub command: String,
    /// The database changed; absent for an entry that changed files only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseRef>,
    #[serde(default)]
    pub changes: Vec<Change>,
    /// Files changed, in the order they were written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileChange>,
    /// For the entry of an undo: the id of the entry it undid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    #[serde(default)]
    pub undone: Option<Undone>,
    /// Columns (`table.column`) whose values are secrets (access tokens, token secrets): the
    /// entry holds only [`digest`]s of them, never the values, so such a row can be deleted
    /// again by undo (its digests are compared) but not re-created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<String>,
}

/// One file an entry changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileChange {
    /// Absolute path.
    pub path: String,
    /// Entries of the first kind only: the whole content before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// `sha256:<hex>` of the content before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_sha256: Option<String>,
    /// `sha256:<hex>` of the content the entry wrote (undo refuses when the file differs).
    pub after_sha256: String,
    /// The lines changed (what undo reverses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patch: Vec<Hunk>,
    /// What was done, one line (`uncommented the Authorization passthrough rule at line 154`).
    pub description: String,
    /// Where the file is: the store's own, or the web server's configuration.
    #[serde(default)]
    pub kind: FileKind,
}

/// What a changed file is, for what undo may touch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// Under the Magento root (`pub/.htaccess`).
    #[default]
    Store,
    /// A web-server configuration file named with `--server-config`.
    ServerConfig,
}

/// One changed region of a file: at 1-based `line` (the same in the text before and after, as
/// everything above it is unchanged), the lines `removed` were replaced by the lines `added`
/// (each with its line end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub line: u32,
    #[serde(default)]
    pub removed: Vec<String>,
    #[serde(default)]
    pub added: Vec<String>,
}

/// The patch from `before` to `after`: the region between their common first and last lines.
pub fn make_patch(before: &str, after: &str) -> Vec<Hunk> {
    let b: Vec<&str> = before.split_inclusive('\n').collect();
    let a: Vec<&str> = after.split_inclusive('\n').collect();
    let mut p = 0;
    while p < b.len() && p < a.len() && b[p] == a[p] {
        p += 1;
    }
    if p == b.len() && p == a.len() {
        return Vec::new();
    }
    let mut q = 0;
    while q < b.len() - p && q < a.len() - p && b[b.len() - 1 - q] == a[a.len() - 1 - q] {
        q += 1;
    }
    vec![Hunk {
        line: p as u32 + 1,
        removed: b[p..b.len() - q].iter().map(|l| l.to_string()).collect(),
        added: a[p..a.len() - q].iter().map(|l| l.to_string()).collect(),
    }]
}

/// `current` with the patch reversed: each hunk's added lines (at their line, else found once
/// elsewhere — the file was edited above them) replaced by the removed ones. `None` when the
/// added lines are not there (or not only once).
pub fn reverse_patch(current: &str, patch: &[Hunk]) -> Option<String> {
    let mut lines: Vec<String> = current.split_inclusive('\n').map(str::to_string).collect();
    for h in patch.iter().rev() {
        let n = h.added.len();
        let at = (h.line as usize).checked_sub(1)?;
        let here = |i: usize, lines: &[String]| lines.get(i..i + n).is_some_and(|w| w == h.added);
        let i = if here(at, &lines) {
            at
        } else if n > 0 {
            let found: Vec<usize> = (0..lines.len()).filter(|&i| here(i, &lines)).collect();
            match found.as_slice() {
                [one] => *one,
                _ => return None,
            }
        } else {
            return None;
        };
        lines.splice(i..i + n, h.removed.iter().cloned());
    }
    Some(lines.concat())
}

/// `sha256:<hex>` of a text.
pub fn sha256_text(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

impl Entry {
    /// Rows changed, all changes together.
    pub fn row_count(&self) -> usize {
        self.changes.iter().map(Change::row_count).sum()
    }

    /// Whether the entry changed rows Magento caches as its ACL (`authorization_rule`,
    /// `authorization_role`).
    pub fn touches_acl(&self) -> bool {
        self.changes
            .iter()
            .any(|c| super::acl_grant::ACL_TABLES.contains(&c.table.as_str()))
    }

    /// The caches to clean after this entry's changes (or their undo): the ACL cache when it
    /// touched the ACL tables, else nothing.
    pub fn cache_notice(&self) -> Vec<String> {
        if self.touches_acl() {
            super::acl_grant::cache_notice()
        } else {
            Vec::new()
        }
    }
}

impl DatabaseRef {
    /// Where the database server is: the socket path, or host and port (3306 when not given).
    pub fn server(&self) -> String {
        server_of(self.host.as_deref(), self.port, self.socket.as_deref())
    }
}

/// Where a server is, as text: `socket /run/mysqld/mysqld.sock` or `db.example.com:3306`.
fn server_of(host: Option<&str>, port: Option<u16>, socket: Option<&str>) -> String {
    match socket {
        Some(s) => format!("socket {s}"),
        None => {
            let host = host.unwrap_or("localhost");
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.to_string()
            };
            format!("{host}:{}", port.unwrap_or(3306))
        }
    }
}

/// Whether two server locations are the same server: the same socket (same file once resolved),
/// or the same host (case-insensitive) and port.
fn same_server(a: &DatabaseRef, b: &DatabaseRef) -> bool {
    match (&a.socket, &b.socket) {
        (Some(x), Some(y)) => {
            x == y
                || matches!(
                    (fs::canonicalize(x), fs::canonicalize(y)),
                    (Ok(cx), Ok(cy)) if cx == cy
                )
        }
        (None, None) => {
            let host = |r: &DatabaseRef| {
                r.host
                    .as_deref()
                    .unwrap_or("localhost")
                    .trim_matches(['[', ']'])
                    .to_ascii_lowercase()
            };
            host(a) == host(b) && a.port.unwrap_or(3306) == b.port.unwrap_or(3306)
        }
        _ => false,
    }
}

/// What to write in a new entry.
#[derive(Debug, Clone, Default)]
pub struct EntryMeta {
    /// One line, e.g. `Grant Magento_Sales::sales to role 5`.
    pub title: String,
    /// Short, for the file name (`acl-grant`); reduced to `[a-z0-9-]`.
    pub slug: String,
    /// The command line as typed (`std::env::args()`); masked before it is written.
    pub command: Vec<String>,
    /// The secrets of this run (DB password, crypt keys, tokens): scrubbed from title and command.
    pub masker: Masker,
}

/// An entry and its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub path: PathBuf,
    pub entry: Entry,
}

/// Options of [`Journal::undo`].
#[derive(Debug, Clone, Default)]
pub struct UndoOptions {
    /// Undo even where rows changed since the entry wrote them (their current values are lost,
    /// recorded in the undo's own entry).
    pub force: bool,
    /// The undo's command line and the run's secrets, as in [`EntryMeta`].
    pub command: Vec<String>,
    pub masker: Masker,
    /// The store's `crypt/key`, to open values the entry keeps sealed ([`SEALED_PREFIX`]).
    pub sealer: Option<Sealer>,
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoOutcome {
    /// The entry recording the undo's own changes.
    pub undo: Listed,
    /// The original entry, now marked undone.
    pub original: Listed,
    /// Rows that had changed since (only with `force`; empty otherwise).
    pub overridden: Vec<Conflict>,
    /// Caches to clean now ([`Entry::cache_notice`] of the undone entry).
    pub cache_notice: Vec<String>,
}

/// The journal directory of one store.
#[derive(Debug, Clone, PartialEq)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// The journal of the Magento root `root`: `<root>/var/m2auth/journal`.
    pub fn for_root(root: &Path) -> Journal {
        Journal {
            dir: root.join(JOURNAL_DIR),
        }
    }

    /// A journal in any directory (tests).
    pub fn at(dir: impl Into<PathBuf>) -> Journal {
        Journal { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

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
        match session.commit() {
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

    /// Undo `target` through `session` (which must not have a transaction open yet).
    ///
    /// Refused when the entry was already undone, when it was written for another database
    /// (server — host and port, or socket —, name or table prefix; `force` does not override
    /// this), and — unless `force` — when any row is no longer as the entry left
    /// it ([`FixError::Conflict`] names each such row). Either everything is undone, or nothing.
    pub fn undo(
        &self,
        mut session: WriteSession,
        target: &Listed,
        opts: &UndoOptions,
    ) -> Result<UndoOutcome, FixError> {
        let entry = &target.entry;
        if let Some(u) = &entry.undone {
            return Err(FixError::AlreadyUndone {
                id: entry.id.clone(),
                at: u.at.clone(),
            });
        }
        // Rows an entry re-inserts are as dangerous as files it writes (an admin user).
        self.check_trusted(&target.path)?;
        let here = database_ref(session.params());
        let Some(there) = &entry.database else {
            return Err(FixError::Refused(format!(
                "internal: journal entry {} changed no database",
                entry.id
            )));
        };
        if !same_server(&here, there)
            || here.name != there.name
            || here.table_prefix != there.table_prefix
        {
            return Err(FixError::Refused(format!(
                "journal entry {} changed database `{}` (table prefix `{}`) on {}, but this run writes to database `{}` (table prefix `{}`) on {}: an entry is only undone on the database it changed (--force does not override this)",
                entry.id,
                there.name,
                there.table_prefix,
                there.server(),
                here.name,
                here.table_prefix,
                here.server()
            )));
        }
        session.begin()?;
        let mut conflicts = Vec::new();
        for change in entry.changes.iter().rev() {
            undo_change(
                &mut session,
                change,
                &entry.redacted,
                opts.sealer.as_ref(),
                opts.force,
                &mut conflicts,
            )?;
        }
        if !conflicts.is_empty() && !opts.force {
            session.rollback()?;
            return Err(FixError::Conflict(conflicts));
        }

        let meta = EntryMeta {
            title: format!("Undo {}: {}", entry.id, entry.title),
            slug: "undo".into(),
            command: opts.command.clone(),
            masker: opts.masker.clone(),
        };
        let mut undo_entry = new_entry(&meta, &session, session.changes().to_vec());
        undo_entry.undoes = Some(entry.id.clone());
        redact_entry(&mut undo_entry, &entry.redacted, None);
        let undo_path = self.write_new(&mut undo_entry)?;

        let marked = marked_undone(entry, &undo_entry, opts.force && !conflicts.is_empty());
        if let Err(e) = rewrite(&target.path, &marked) {
            let _ = fs::remove_file(&undo_path);
            return Err(e);
        }
        if let Err(e) = session.commit() {
            if commit_surely_failed(&e) {
                let _ = rewrite(&target.path, entry);
                let _ = fs::remove_file(&undo_path);
            }
            return Err(FixError::CommitFailed(e));
        }
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
            cache_notice: entry.cache_notice(),
        })
    }

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
        let mut written: Vec<(&FileChange, &String)> = Vec::new();
        for f in &entry.files {
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
                        "{e}; and putting back the files already written failed ({failed}): the journal entry {} is kept (m2auth undo reverses what was written)",
                        entry_path.display()
                    )
                }));
            }
            written.push((f, &befores[written.len()]));
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
            let problem = match &now {
                None => Some("was deleted since the entry wrote it"),
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
        let mut done: Vec<(&FileChange, &Option<String>)> = Vec::new();
        for (f, (now, back)) in entry.files.iter().zip(current.iter().zip(&restored)).rev() {
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
    fn store_root(&self) -> Option<PathBuf> {
        let root = self.dir.parent()?.parent()?.parent()?;
        (self.dir == root.join(JOURNAL_DIR)).then(|| root.to_path_buf())
    }

    /// Refuse an entry another user could have written: the entry file and the journal
    /// directory must be owned by the user running m2auth (or root) and not writable by group
    /// or others.
    fn check_trusted(&self, entry: &Path) -> Result<(), FixError> {
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

    /// The paths undo may write: absolute, without `..`, and under the store root, or (recorded
    /// as web-server configuration) an existing file.
    fn check_path(&self, f: &FileChange) -> Result<(), FixError> {
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

    /// Create the directory chain with mode 0700 for the parts m2auth owns.
    fn ensure_dir(&self) -> Result<(), FixError> {
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
    fn write_new(&self, entry: &mut Entry) -> Result<PathBuf, FixError> {
        self.ensure_dir()?;
        let base = entry.id.clone();
        for n in 1..1000 {
            if n > 1 {
                entry.id = format!("{base}-{n}");
            }
            let path = self.dir.join(format!("{}.json", entry.id));
            match create_private_file(&path) {
                Ok(mut f) => {
                    let text = to_json(entry);
                    f.write_all(text.as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| {
                            let _ = fs::remove_file(&path);
                            io_err(&path, e)
                        })?;
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

/// The plan of undoing `entry`: one step per change, last change first.
pub fn undo_plan(entry: &Entry) -> Plan {
    let prefix = entry
        .database
        .as_ref()
        .map(|d| d.table_prefix.clone())
        .unwrap_or_default();
    let mut steps = Vec::new();
    for f in entry.files.iter().rev() {
        steps.push(Step {
            description: format!(
                "Put {} back as it was before ({}), unless it changed since",
                f.path, f.description
            ),
            sql_preview: String::new(),
        });
    }
    for change in entry.changes.iter().rev() {
        let table = format!("{prefix}{}", change.table);
        let keys: Vec<String> = change
            .before
            .iter()
            .chain(&change.after)
            .map(|r| change.describe_key(r))
            .collect();
        let (description, sql) = match change.operation {
            Operation::Insert => (
                format!(
                    "Delete the {} row(s) of {} the entry inserted",
                    change.after.len(),
                    change.table
                ),
                change
                    .after
                    .iter()
                    .map(|r| format!("DELETE FROM `{table}` WHERE {};", where_text(change, r)))
                    .collect::<Vec<_>>(),
            ),
            Operation::Delete => (
                format!(
                    "Re-insert the {} row(s) of {} the entry deleted, with their ids",
                    change.before.len(),
                    change.table
                ),
                change
                    .before
                    .iter()
                    .map(|r| {
                        let values: Vec<String> = r.iter().map(preview_value).collect();
                        format!(
                            "INSERT INTO `{table}` ({}) VALUES ({});",
                            change
                                .columns
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            values.join(", ")
                        )
                    })
                    .collect(),
            ),
            Operation::Update => (
                format!(
                    "Restore the values of {} row(s) of {} the entry updated ({})",
                    change.after.len(),
                    change.table,
                    keys.first().cloned().unwrap_or_default()
                ),
                change
                    .before
                    .iter()
                    .zip(&change.after)
                    .map(|(b, a)| {
                        let set: Vec<String> = changed_columns(change, b, a)
                            .into_iter()
                            .map(|i| format!("`{}` = {}", change.columns[i], preview_value(&b[i])))
                            .collect();
                        format!(
                            "UPDATE `{table}` SET {} WHERE {};",
                            set.join(", "),
                            where_text(change, b)
                        )
                    })
                    .collect(),
            ),
        };
        steps.push(Step {
            description,
            sql_preview: sql.join("\n"),
        });
    }
    Plan {
        title: format!("Undo {}: {}", entry.id, entry.title),
        steps,
        cache_notice: entry.cache_notice(),
        ..Plan::default()
    }
}

/// The command line as the journal stores it: values of secret options masked (`--password`,
/// `--token`, `--oauth`, secrets in `--db` URLs and in Authorization/Cookie headers), any word
/// that looks like a token masked, then the run's known secrets scrubbed.
pub fn mask_command(args: &[String], masker: &Masker) -> String {
    let mut out: Vec<String> = Vec::with_capacity(args.len());
    let mut mask_next: Option<String> = None;
    for arg in args {
        if let Some(opt) = mask_next.take() {
            out.push(mask_option_value(&opt, arg));
            continue;
        }
        if let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            if secret_option(name) {
                match value {
                    Some(v) => {
                        let dashes = if arg.starts_with("--") { "--" } else { "-" };
                        out.push(format!("{dashes}{name}={}", mask_option_value(name, v)));
                    }
                    None => {
                        out.push(arg.clone());
                        mask_next = Some(name.to_string());
                    }
                }
                continue;
            }
        }
        out.push(mask_word(arg));
    }
    masker.scrub(&shell_words::join(out))
}

/// Text with every word that looks like a token or key masked, then known secrets scrubbed.
pub fn mask_text(text: &str, masker: &Masker) -> String {
    let masked: Vec<String> = text.split(' ').map(mask_word).collect();
    masker.scrub(&masked.join(" "))
}

fn secret_option(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password", "pass", "secret", "token", "oauth", "key", "db", "header", "curl",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n == "h"
}

fn mask_option_value(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "db" {
        return crate::store::db::connect::redact_url(value);
    }
    if n == "h" || n == "header" {
        return match value.split_once(':') {
            Some((h, v)) => {
                let h_l = h.trim().to_ascii_lowercase();
                if h_l == "authorization"
                    || h_l == "cookie"
                    || h_l.contains("token")
                    || h_l.contains("key")
                {
                    let v = v.trim();
                    match v.split_once(' ') {
                        Some((scheme, cred)) => format!("{h}: {scheme} {}", mask(cred)),
                        None => format!("{h}: {}", mask(v)),
                    }
                } else {
                    value.to_string()
                }
            }
            None => value.to_string(),
        };
    }
    if n == "curl" {
        return "…".into();
    }
    mask(value)
}

/// A word that looks like a secret (token, key, hash): 16+ characters of token alphabet with
/// letters and digits, not an ACL id (`::`) nor a path.
fn looks_secret(w: &str) -> bool {
    w.chars().count() >= 16
        && !w.contains("::")
        && !w.starts_with('/')
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars().any(|c| c.is_ascii_alphabetic())
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.+/=~$:".contains(c))
}

fn mask_word(w: &str) -> String {
    if looks_secret(w) {
        mask(w)
    } else {
        w.to_string()
    }
}

fn new_entry(meta: &EntryMeta, session: &WriteSession, changes: Vec<Change>) -> Entry {
    new_entry_for(meta, Some(database_ref(session.params())), changes)
}

fn new_entry_for(meta: &EntryMeta, database: Option<DatabaseRef>, changes: Vec<Change>) -> Entry {
    let now = jiff::Timestamp::now();
    let slug = slugify(&meta.slug);
    let id = format!(
        "{}.{:03}Z-{slug}",
        now.strftime("%Y%m%dT%H%M%S"),
        now.subsec_millisecond()
    );
    Entry {
        format: FORMAT,
        id,
        created_at: now.to_string(),
        title: mask_text(&meta.title, &meta.masker),
        command: mask_command(&meta.command, &meta.masker),
        database,
        changes,
        files: Vec::new(),
        undoes: None,
        undone: None,
        redacted: Vec::new(),
    }
}

/// The database a session writes to, as an entry records it (never the password).
fn database_ref(p: &crate::store::db::ConnParams) -> DatabaseRef {
    DatabaseRef {
        host: p.host.clone(),
        port: p.port,
        socket: p.socket.as_ref().map(|s| s.to_string_lossy().into_owned()),
        name: p.dbname.clone(),
        user: p.user.clone(),
        table_prefix: p.table_prefix.clone(),
    }
}

/// The journal's stand-in for a secret value: `sha256:<hex>` of its text. Enough to recognise
/// the row again, useless to anyone reading the journal.
pub fn digest(value: &Stored) -> Stored {
    use sha2::{Digest, Sha256};
    let text = match value {
        Stored::Null => return Stored::Null,
        Stored::Text(t) => t.clone(),
        other => other.short(),
    };
    let hex: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Stored::Text(format!("sha256:{hex}"))
}

/// Whether `table.column` is one of the redacted columns.
fn is_redacted(redacted: &[String], table: &str, column: &str) -> bool {
    redacted
        .iter()
        .any(|r| r.split_once('.') == Some((table, column)))
}

/// Replace the values of the redacted columns of every recorded row by their digests.
///
/// With a `sealer`, the values of rows a change deleted are sealed instead ([`SEALED_PREFIX`]):
/// undo re-inserts such a row with the values unsealed.
fn redact_entry(entry: &mut Entry, redacted: &[String], sealer: Option<&Sealer>) {
    if redacted.is_empty() {
        return;
    }
    let mut used = Vec::new();
    for change in &mut entry.changes {
        let deleted = change.operation == Operation::Delete;
        for (i, c) in change.columns.iter().enumerate() {
            if !is_redacted(redacted, &change.table, c) {
                continue;
            }
            for row in change.before.iter_mut() {
                if let Some(v) = row.get_mut(i) {
                    *v = match (sealer, &*v) {
                        (Some(s), Stored::Text(t)) if deleted => s
                            .seal(t)
                            .map(|x| Stored::Text(format!("{SEALED_PREFIX}{x}")))
                            .unwrap_or_else(|_| digest(v)),
                        _ => digest(v),
                    };
                }
            }
            for row in change.after.iter_mut() {
                if let Some(v) = row.get_mut(i) {
                    *v = digest(v);
                }
            }
            let name = format!("{}.{c}", change.table);
            if !used.contains(&name) {
                used.push(name);
            }
        }
    }
    entry.redacted = used;
}

fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(40).collect();
    if out.is_empty() {
        "change".into()
    } else {
        out.trim_end_matches('-').to_string()
    }
}

fn to_json(entry: &Entry) -> String {
    let mut text = serde_json::to_string_pretty(entry).unwrap_or_default();
    text.push('\n');
    text
}

/// `entry`, marked undone by `undo` (`forced`: past conflicts).
fn marked_undone(entry: &Entry, undo: &Entry, forced: bool) -> Entry {
    let mut marked = entry.clone();
    marked.undone = Some(Undone {
        at: undo.created_at.clone(),
        by: undo.id.clone(),
        command: undo.command.clone(),
        forced,
    });
    marked
}

/// Replace an entry file atomically (temporary file 0600 in the same directory, then rename).
fn rewrite(path: &Path, entry: &Entry) -> Result<(), FixError> {
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

/// Refuse to write through a symlink: the change would land in another file than the one
/// named (edit the link's target instead).
fn refuse_symlink(path: &Path) -> Result<(), FixError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(FixError::Refused(format!(
            "{} is a symbolic link: m2auth does not write through links (edit {} instead)",
            path.display(),
            fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "its target".into())
        ))),
        _ => Ok(()),
    }
}

/// A write failed with `e` after the files in `written` (path, the content to put back; `None`:
/// nothing to put back) were written: puts them back, the last written first. When that works,
/// the new journal entry at `entry_path` is removed and `e` returned; when it does not, the
/// entry is kept and the refusal is `kept(e, the failures)`.
fn put_back<'a>(
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

/// Replace a file's content safely: a new file in the same directory (created exclusively, so
/// never through a link), given the old file's mode and owner, synced, then renamed over the old
/// one (atomic: readers see the old or the new content, never a mix). A symlink is refused.
pub fn write_file_atomic(path: &Path, content: &str) -> Result<(), FixError> {
    refuse_symlink(path)?;
    let meta = fs::metadata(path).map_err(|e| io_err(path, e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.m2auth-{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut f = create_private_file(&tmp).map_err(|e| io_err(&tmp, e))?;
    let result = (|| -> std::io::Result<()> {
        f.write_all(content.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            if let Err(e) = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid())) {
                let tmp_meta = f.metadata()?;
                if tmp_meta.uid() != meta.uid() || tmp_meta.gid() != meta.gid() {
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!(
                            "cannot keep the file's owner {}:{} ({e})",
                            meta.uid(),
                            meta.gid()
                        ),
                    ));
                }
            }
            fs::set_permissions(&tmp, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        }
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    sync_dir(dir);
    Ok(())
}

/// Create a file that is gone again (undo of an entry of the first kind with `--force`): a
/// new private file renamed into place (atomic), given mode 0644 like a new configuration file.
fn create_file_atomic(path: &Path, content: &str) -> Result<(), FixError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.m2auth-{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut f = create_private_file(&tmp).map_err(|e| io_err(&tmp, e))?;
    let result = (|| -> std::io::Result<()> {
        f.write_all(content.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
        }
        f.sync_all()?;
        if fs::symlink_metadata(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "appeared meanwhile",
            ));
        }
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    sync_dir(dir);
    Ok(())
}

/// Whether a failed COMMIT certainly did not commit (the server answered with an error).
fn commit_surely_failed(e: &DbError) -> bool {
    matches!(e, DbError::Query { message, .. } if message.contains("(error "))
}

fn io_err(path: &Path, source: std::io::Error) -> FixError {
    FixError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), FixError> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err(dir, e)),
    }
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), FixError> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), FixError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|e| io_err(path, e))?;
    if meta.permissions().mode() & 0o777 != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| io_err(path, e))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), FixError> {
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Columns (indexes into `change.columns`) whose values differ between two rows.
fn changed_columns(change: &Change, before: &[Stored], after: &[Stored]) -> Vec<usize> {
    (0..change.columns.len())
        .filter(|i| before.get(*i) != after.get(*i))
        .collect()
}

fn where_text(change: &Change, row: &[Stored]) -> String {
    change
        .key_of(row)
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| format!("`{k}` = {}", sql_literal(v)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A value for a SQL preview: long text (hashes, tokens) masked.
fn preview_value(v: &Stored) -> String {
    match v {
        Stored::Text(s) if s.chars().count() > 40 || looks_secret(s) => {
            format!("'{}'", mask(s))
        }
        other => other
            .to_sql()
            .map_or_else(|| "?".into(), |v| sql_literal(&v)),
    }
}

/// Compare a current row with the values a change left; the differing column names, or
/// `None` when equal.
fn differs(
    change: &Change,
    expected: &[Stored],
    current: &Row,
    redacted: &[String],
) -> Option<String> {
    let mut cols = Vec::new();
    for (i, c) in change.columns.iter().enumerate() {
        match current.get(c) {
            None => cols.push(format!("{c} (column gone)")),
            Some(v) => {
                let mut now = Stored::from(v);
                if is_redacted(redacted, &change.table, c) {
                    now = digest(&now);
                }
                if expected.get(i) != Some(&now) {
                    cols.push(c.clone());
                }
            }
        }
    }
    (!cols.is_empty()).then(|| cols.join(", "))
}

fn key_ref(key: &[(String, SqlValue)]) -> Vec<(&str, SqlValue)> {
    key.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
}

fn bad_entry(change: &Change) -> FixError {
    FixError::Refused(format!(
        "the journal entry's {} of {} has a row without a usable primary key",
        change.operation, change.table
    ))
}

/// Marks a value the journal keeps sealed with the store's `crypt/key` ([`Sealer`]).
pub const SEALED_PREFIX: &str = "m2auth-sealed:";

fn is_sealed(v: Option<&Stored>) -> bool {
    matches!(v, Some(Stored::Text(t)) if t.starts_with(SEALED_PREFIX))
}

/// Re-insert a recorded row with every column (ids included) but generated ones; sealed
/// values are unsealed first.
fn reinsert(
    session: &mut WriteSession,
    change: &Change,
    row: &[Stored],
    sealer: Option<&Sealer>,
) -> Result<(), FixError> {
    let generated = session.generated_columns(&change.table)?;
    let mut values: Vec<(&str, SqlValue)> = Vec::new();
    for (c, v) in change.columns.iter().zip(row) {
        if generated.iter().any(|g| g == c) {
            continue;
        }
        let v = match v {
            Stored::Text(t) if t.starts_with(SEALED_PREFIX) => {
                let opened = sealer
                    .ok_or_else(|| FixError::Refused(format!(
                        "the journal keeps {}.{c} sealed with the store's crypt/key, and env.php's crypt/key could not be read; nothing was changed",
                        change.table
                    )))?
                    .unseal(&t[SEALED_PREFIX.len()..])
                    .map_err(|e| FixError::Refused(format!(
                        "the journal keeps {}.{c} sealed with the store's crypt/key, and it does not open: {e}; nothing was changed",
                        change.table
                    )))?;
                Stored::Text(opened)
            }
            other => other.clone(),
        };
        values.push((c.as_str(), v.to_sql().ok_or_else(|| bad_entry(change))?));
    }
    session.insert(&change.table, &values)?;
    Ok(())
}

/// Apply the inverse of one change, row by row in reverse, after checking each row.
fn undo_change(
    session: &mut WriteSession,
    change: &Change,
    redacted: &[String],
    sealer: Option<&Sealer>,
    force: bool,
    conflicts: &mut Vec<Conflict>,
) -> Result<(), FixError> {
    // A redacted value can be compared (by digest) but not written back: refuse a delete that
    // would re-create one, or an update that would restore one.
    let needs_restore = |i: usize| match change.operation {
        Operation::Insert => false,
        Operation::Delete => change
            .before
            .iter()
            .any(|r| r.get(i) != Some(&Stored::Null) && !is_sealed(r.get(i))),
        Operation::Update => change
            .before
            .iter()
            .zip(&change.after)
            .any(|(b, a)| b.get(i) != a.get(i)),
    };
    if let Some(c) = change
        .columns
        .iter()
        .enumerate()
        .find(|(i, c)| is_redacted(redacted, &change.table, c) && needs_restore(*i))
        .map(|(_, c)| c)
    {
        return Err(FixError::Refused(format!(
            "the journal keeps only a digest of {}.{c} (a secret), so the {} of {} cannot be reversed; nothing was changed",
            change.table, change.operation, change.table
        )));
    }
    let conflict = |row: &[Stored], problem: String| Conflict {
        table: change.table.clone(),
        key: change.describe_key(row),
        problem,
    };
    match change.operation {
        Operation::Insert => {
            for row in change.after.iter().rev() {
                let key = change.key_of(row).ok_or_else(|| bad_entry(change))?;
                let current = session.select_for_update(&change.table, &key_ref(&key))?;
                match current.first() {
                    None => {
                        conflicts.push(conflict(
                            row,
                            "was deleted since the entry inserted it".into(),
                        ));
                        continue;
                    }
                    Some(cur) => {
                        if let Some(cols) = differs(change, row, cur, redacted) {
                            conflicts.push(conflict(
                                row,
                                format!("changed since the entry inserted it ({cols})"),
                            ));
                            if !force {
                                continue;
                            }
                        }
                    }
                }
                session.delete(&change.table, &key_ref(&key))?;
            }
        }
        Operation::Delete => {
            for row in change.before.iter().rev() {
                let key = change.key_of(row).ok_or_else(|| bad_entry(change))?;
                let current = session.select_for_update(&change.table, &key_ref(&key))?;
                if !current.is_empty() {
                    conflicts.push(conflict(
                        row,
                        "a row with this key exists again since the entry deleted it".into(),
                    ));
                    if !force {
                        continue;
                    }
                    session.delete(&change.table, &key_ref(&key))?;
                }
                reinsert(session, change, row, sealer)?;
            }
        }
        Operation::Update => {
            let generated = session.generated_columns(&change.table)?;
            let auto = session.auto_updated_columns(&change.table)?;
            for (before, after) in change.before.iter().zip(&change.after).rev() {
                let key = change.key_of(after).ok_or_else(|| bad_entry(change))?;
                let current = session.select_for_update(&change.table, &key_ref(&key))?;
                let Some(cur) = current.first() else {
                    conflicts.push(conflict(
                        after,
                        "was deleted since the entry updated it".into(),
                    ));
                    if force {
                        reinsert(session, change, before, sealer)?;
                    }
                    continue;
                };
                // The entry owns the columns it changed; MySQL's own timestamps
                // (`ON UPDATE CURRENT_TIMESTAMP`) move with any write. A column someone else
                // changed since (a real login writes admin_user.logdate and lognum) is theirs:
                // neither a conflict nor restored.
                let owned: Vec<usize> = (0..change.columns.len())
                    .filter(|&i| {
                        let c = &change.columns[i];
                        before.get(i) != after.get(i)
                            && !change.primary_key.iter().any(|k| k == c)
                            && !generated.iter().any(|g| g == c)
                            && !auto.iter().any(|a| a == c)
                            && !is_redacted(redacted, &change.table, c)
                    })
                    .collect();
                let now = |i: usize| {
                    let c = &change.columns[i];
                    let mut v = cur.get(c).map(Stored::from);
                    if is_redacted(redacted, &change.table, c) {
                        v = v.map(|x| digest(&x));
                    }
                    v
                };
                let changed: Vec<&str> = owned
                    .iter()
                    .filter(|&&i| now(i).as_ref() != after.get(i))
                    .map(|&i| change.columns[i].as_str())
                    .collect();
                if !changed.is_empty() {
                    conflicts.push(conflict(
                        after,
                        format!(
                            "changed since the entry updated it ({})",
                            changed.join(", ")
                        ),
                    ));
                    if !force {
                        continue;
                    }
                }
                let mut set: Vec<(&str, SqlValue)> = Vec::new();
                for &i in &owned {
                    if now(i).as_ref() != before.get(i) {
                        set.push((
                            change.columns[i].as_str(),
                            before[i].to_sql().ok_or_else(|| bad_entry(change))?,
                        ));
                    }
                }
                if !set.is_empty() {
                    // MySQL's own timestamps go back to what the entry found when nobody else
                    // wrote the row since, and keep their current value otherwise (an UPDATE
                    // that does not name them would set them to now).
                    for c in &auto {
                        let Some(i) = change.columns.iter().position(|x| x == c) else {
                            continue;
                        };
                        let keep = if changed.is_empty()
                            && owned.iter().all(|&o| now(o).as_ref() == after.get(o))
                            && now(i).as_ref() == after.get(i)
                        {
                            before[i].clone()
                        } else {
                            now(i).unwrap_or(Stored::Null)
                        };
                        set.push((c.as_str(), keep.to_sql().ok_or_else(|| bad_entry(change))?));
                    }
                    session.update(&change.table, &set, &key_ref(&key))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_masking() {
        let args: Vec<String> = [
            "m2auth",
            "acl:grant",
            "--integration",
            "shop-sync",
            "Magento_Sales::sales",
            "--db",
            "mysql://u:Sup3rSecretPw@db/magento",
            "--password=Hunter2Hunter2",
            "--token",
            "eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9.abc123def456",
            "-H",
            "Authorization: Bearer abcdef1234567890abcdef",
            "8f14e45fceea167a5a36dedd4bea2543",
            "--apply",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut m = Masker::new();
        m.add("shop-sync-secret-1");
        let text = mask_command(&args, &m);
        for secret in [
            "Sup3rSecretPw",
            "Hunter2Hunter2",
            "eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9.abc123def456",
            "abcdef1234567890abcdef",
            "8f14e45fceea167a5a36dedd4bea2543",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("Magento_Sales::sales"), "{text}");
        assert!(text.contains("shop-sync"), "{text}");
        assert!(text.contains("--apply"), "{text}");
    }

    #[test]
    fn servers() {
        let r = |host: Option<&str>, port: Option<u16>, socket: Option<&str>| DatabaseRef {
            host: host.map(String::from),
            port,
            socket: socket.map(String::from),
            name: "magento".into(),
            user: "m".into(),
            table_prefix: String::new(),
        };
        let a = r(Some("DB.example.com"), None, None);
        assert!(same_server(
            &a,
            &r(Some("db.example.com"), Some(3306), None)
        ));
        assert!(!same_server(&a, &r(Some("db2.example.com"), None, None)));
        assert!(!same_server(
            &a,
            &r(Some("db.example.com"), Some(3307), None)
        ));
        let s = r(Some("localhost"), None, Some("/run/mysqld/mysqld.sock"));
        assert!(same_server(
            &s,
            &r(None, None, Some("/run/mysqld/mysqld.sock"))
        ));
        assert!(!same_server(&s, &r(None, None, Some("/tmp/other.sock"))));
        assert!(!same_server(&s, &a));
        assert_eq!(a.server(), "DB.example.com:3306");
        assert_eq!(s.server(), "socket /run/mysqld/mysqld.sock");
    }

    #[test]
    fn entries_without_files_and_file_only_entries_read() {
        // An entry as m2auth wrote them before file changes existed.
        let old = r#"{"format":1,"id":"20261128T091403.123Z-acl-grant","created_at":"2026-11-28T09:14:03.123Z","title":"t","command":"m2auth acl:grant","database":{"host":null,"port":null,"socket":"/run/mysqld/mysqld.sock","name":"magento","user":"m","table_prefix":""},"changes":[],"undone":null}"#;
        let e: Entry = serde_json::from_str(old).unwrap();
        assert_eq!(e.database.as_ref().unwrap().name, "magento");
        assert!(e.files.is_empty());
        // A file-only entry: no database, no changes.
        let new = r#"{"format":1,"id":"x-fix","created_at":"2026-11-28T09:14:03.123Z","title":"fix","command":"m2auth fix --apply","files":[{"path":"/s/pub/.htaccess","before":"a\n","after_sha256":"sha256:00","description":"d"}]}"#;
        let e: Entry = serde_json::from_str(new).unwrap();
        assert!(e.database.is_none() && e.changes.is_empty());
        assert_eq!(e.files[0].before.as_deref(), Some("a\n"));
        assert_eq!(e.files[0].kind, FileKind::Store);
        let round = serde_json::to_value(&e).unwrap();
        assert!(round.get("database").is_none());
        assert_eq!(undo_plan(&e).steps.len(), 1);
        assert_eq!(
            sha256_text("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn patches_hold_only_the_changed_lines_and_reverse() {
        let before =
            "SetEnv DB_PASS s3cret\r\n<Directory /x>\r\n  Require all granted\r\n</Directory>\r\n";
        let after = "SetEnv DB_PASS s3cret\r\n<Directory /x>\r\n    CGIPassAuth On\r\n  Require all granted\r\n</Directory>\r\n";
        let p = make_patch(before, after);
        assert_eq!(
            p,
            vec![Hunk {
                line: 3,
                removed: vec![],
                added: vec!["    CGIPassAuth On\r\n".into()]
            }]
        );
        assert!(!serde_json::to_string(&p).unwrap().contains("s3cret"));
        assert_eq!(reverse_patch(after, &p).as_deref(), Some(before));
        // Edited above and below since: the lines are found and only they are reversed.
        let edited = format!("# new\n{after}# end\n");
        assert_eq!(
            reverse_patch(&edited, &p),
            Some(format!("# new\n{before}# end\n"))
        );
        // Gone: None.
        assert_eq!(reverse_patch(before, &p), None);
        // A changed line (uncommented), no trailing newline.
        let p = make_patch("a\n#x\nb", "a\nx\nb");
        assert_eq!(p[0].removed, vec!["#x\n"]);
        assert_eq!(reverse_patch("a\nx\nb", &p).as_deref(), Some("a\n#x\nb"));
        assert!(make_patch("same", "same").is_empty());
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("acl:grant role 5"), "acl-grant-role-5");
        assert_eq!(slugify("  "), "change");
        assert_eq!(slugify(&"x".repeat(80)).len(), 40);
    }
}
