//! The journal entry model: what one entry records (the database changed, its rows, files
//! changed, how it was undone) and how a new entry is made from a command's changes (id and
//! slug, masked title and command, secret columns digested or sealed).

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fix::Conflict;
use crate::mask::Masker;
use crate::store::db::write::{Change, Operation, Stored, WriteSession};
use crate::store::secrets::Sealer;

use super::FORMAT;
use super::patch::Hunk;

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
    /// Mode and owner changes (`perms:fix`): held in a compressed attachment beside the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perms: Option<super::perms::PermsChanges>,
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
            .any(|c| crate::fix::cache::ACL_TABLES.contains(&c.table.as_str()))
    }

    /// The caches to clean after this entry's changes (or their undo): the ACL cache when it
    /// touched the ACL tables, else nothing.
    pub fn cache_notice(&self) -> Vec<String> {
        if self.touches_acl() {
            crate::fix::cache::cache_notice()
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
pub(super) fn server_of(host: Option<&str>, port: Option<u16>, socket: Option<&str>) -> String {
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
pub(super) fn same_server(a: &DatabaseRef, b: &DatabaseRef) -> bool {
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

pub(super) fn new_entry(meta: &EntryMeta, session: &WriteSession, changes: Vec<Change>) -> Entry {
    new_entry_for(meta, Some(database_ref(session.params())), changes)
}

pub(super) fn new_entry_for(
    meta: &EntryMeta,
    database: Option<DatabaseRef>,
    changes: Vec<Change>,
) -> Entry {
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
        title: meta.masker.scrub_words(&meta.title),
        command: meta.masker.scrub_command(&meta.command),
        database,
        changes,
        files: Vec::new(),
        undoes: None,
        undone: None,
        redacted: Vec::new(),
        perms: None,
    }
}

/// The database a session writes to, as an entry records it (never the password).
pub(super) fn database_ref(p: &crate::store::db::ConnParams) -> DatabaseRef {
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
pub(super) fn is_redacted(redacted: &[String], table: &str, column: &str) -> bool {
    redacted
        .iter()
        .any(|r| r.split_once('.') == Some((table, column)))
}

/// Replace the values of the redacted columns of every recorded row by their digests.
///
/// With a `sealer`, the values of rows a change deleted are sealed instead ([`SEALED_PREFIX`]):
/// undo re-inserts such a row with the values unsealed.
pub(super) fn redact_entry(entry: &mut Entry, redacted: &[String], sealer: Option<&Sealer>) {
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

/// Marks a value the journal keeps sealed with the store's `crypt/key` ([`Sealer`]).
pub const SEALED_PREFIX: &str = "m2auth-sealed:";

pub(super) fn is_sealed(v: Option<&Stored>) -> bool {
    matches!(v, Some(Stored::Text(t)) if t.starts_with(SEALED_PREFIX))
}

pub(super) fn slugify(s: &str) -> String {
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

pub(super) fn to_json(entry: &Entry) -> String {
    let mut text = serde_json::to_string_pretty(entry).unwrap_or_default();
    text.push('\n');
    text
}

/// `entry`, marked undone by `undo` (`forced`: past conflicts).
pub(super) fn marked_undone(entry: &Entry, undo: &Entry, forced: bool) -> Entry {
    let mut marked = entry.clone();
    marked.undone = Some(Undone {
        at: undo.created_at.clone(),
        by: undo.id.clone(),
        command: undo.command.clone(),
        forced,
    });
    marked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::journal::patch::sha256_text;
    use crate::fix::journal::undo_db::undo_plan;

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
    fn slugs() {
        assert_eq!(slugify("acl:grant role 5"), "acl-grant-role-5");
        assert_eq!(slugify("  "), "change");
        assert_eq!(slugify(&"x".repeat(80)).len(), 40);
    }
}
