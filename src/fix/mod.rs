//! Changing the store, safely: plans, the journal of applied changes, and the writers.
//!
//! Every command that changes something first builds a [`Plan`] (printed as is without
//! `--apply`); with `--apply` it opens a [`WriteSession`](crate::store::db::write::WriteSession),
//! makes its changes in one transaction and hands the session to [`journal::Journal::commit`],
//! which writes the journal entry (the rows before and after) and then commits. Any error before
//! that rolls everything back. [`journal::Journal::undo`] reverses an entry.

pub mod acl_grant;
pub mod admin;
pub mod cache;
pub mod integration;
pub mod journal;
pub mod own;
pub mod perms;
pub mod server;
pub mod varnish;

use serde::Serialize;

use crate::store::db::DbError;

/// What a command would change, step by step, what that changes for whom, and what to do
/// afterwards.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub title: String,
    /// What to know before applying (who else is affected…), one sentence each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub steps: Vec<Step>,
    /// For ACL changes: every role whose allowed/denied answer changes, and for which resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<acl_grant::RoleEffect>,
    /// Caches holding the changed data and how to clean them (one sentence each).
    pub cache_notice: Vec<String>,
}

/// One step of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub description: String,
    /// The statement(s) the step runs, with the table prefix applied; values that could be
    /// secret are masked.
    pub sql_preview: String,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A failure to plan, apply or undo a change. Messages are one line and hold no secret.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A journal file that cannot be read as one.
    #[error("{}: not a readable m2auth journal entry: {message}", path.display())]
    BadJournal {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("journal entry {id} was already undone at {at}")]
    AlreadyUndone { id: String, at: String },
    /// Rows changed since the entry wrote them (undo), or since the plan read them (apply).
    #[error("{}", conflicts_message(.0))]
    Conflict(Vec<Conflict>),
    /// A request that cannot be carried out as asked (unknown ACL resource…).
    #[error("{0}")]
    Refused(String),
    /// COMMIT failed after the journal entry was written; the entry was removed again.
    #[error(
        "the database refused to commit ({0}); nothing was changed and no journal entry was kept"
    )]
    CommitFailed(DbError),
    /// The operating system's random source failed (no token or salt is made without it).
    #[error(transparent)]
    Random(crate::random::RandomError),
}

/// A row that is not as expected: `table` and `key` name it (`authorization_rule`,
/// `rule_id=42`), `problem` says what differs (column names, never values).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub table: String,
    pub key: String,
    pub problem: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.table == "file" {
            write!(f, "file {}: {}", self.key, self.problem)
        } else {
            write!(f, "{} row {}: {}", self.table, self.key, self.problem)
        }
    }
}

fn conflicts_message(c: &[Conflict]) -> String {
    let first = c.first().map(ToString::to_string).unwrap_or_default();
    match c.len() {
        0 | 1 => format!("{first} (nothing was changed; --force overrides)"),
        n => format!(
            "{first}, and {} more row(s) (nothing was changed; --force overrides)",
            n - 1
        ),
    }
}

/// A SQL literal for previews (numbers bare, text quoted with `'` doubled, NULL).
pub(crate) fn sql_literal(v: &crate::store::db::SqlValue) -> String {
    use crate::store::db::SqlValue;
    match v {
        SqlValue::Null => "NULL".into(),
        SqlValue::Int(i) => i.to_string(),
        SqlValue::UInt(u) => u.to_string(),
        SqlValue::Float(f) => f.to_string(),
        SqlValue::Text(s) => format!("'{}'", s.replace('\'', "''")),
        SqlValue::Bytes(b) => format!(
            "0x{}",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
    }
}

/// `len` characters drawn uniformly from `alphabet` (as `Math\Random::getRandomString()` does),
/// from the operating system's random source, by rejection sampling ([`crate::random::string`]).
pub fn random_string(len: usize, alphabet: &[u8]) -> Result<String, FixError> {
    crate::random::string(len, alphabet).map_err(|e| match e {
        crate::random::RandomError::BadAlphabet => FixError::Refused(e.to_string()),
        crate::random::RandomError::Os(_) => FixError::Random(e),
    })
}
