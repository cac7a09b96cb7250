//! The store's database, read-only, from a live server or from a mysqldump file.
//!
//! Checks see one [`Database`] trait and never know which source answers. Table names given to
//! it are Magento's logical names (`admin_user`); each source applies `db/table_prefix` itself.

pub mod connect;
pub mod dump;
pub mod live;
pub mod write;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use connect::ConnParams;

/// The tables m2auth reads. A dump reader keeps these and skips every other table unparsed.
pub const NEEDED_TABLES: &[&str] = &[
    "admin_passwords",
    "admin_user",
    "admin_user_expiration",
    "admin_user_session",
    "authorization_role",
    "authorization_rule",
    "core_config_data",
    "customer_entity",
    "integration",
    "jwt_auth_revoked",
    "oauth_consumer",
    "oauth_nonce",
    "oauth_token",
    "oauth_token_request_log",
    "store",
    "store_group",
    "store_website",
    "tfa_user_config",
];

/// One column value. Dates and times come back as text (`2026-11-28 09:14:03`) from both sources.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl SqlValue {
    pub fn is_null(&self) -> bool {
        matches!(self, SqlValue::Null)
    }

    /// The value as text, as MySQL would print it; `None` for NULL.
    pub fn as_text(&self) -> Option<String> {
        match self {
            SqlValue::Null => None,
            SqlValue::Int(i) => Some(i.to_string()),
            SqlValue::UInt(u) => Some(u.to_string()),
            SqlValue::Float(f) => Some(f.to_string()),
            SqlValue::Text(s) => Some(s.clone()),
            SqlValue::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        }
    }

    /// The value as an integer, parsing text as MySQL's numeric context would for plain numbers.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            SqlValue::Int(i) => Some(*i),
            SqlValue::UInt(u) => i64::try_from(*u).ok(),
            SqlValue::Float(f) => Some(*f as i64),
            SqlValue::Text(s) => s.trim().parse().ok(),
            SqlValue::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
            SqlValue::Null => None,
        }
    }

    /// Equality as a `WHERE col = value` on MySQL would see it for the types m2auth filters on
    /// (integers and text; numbers compare with numeric text). Text compares as Magento's
    /// `utf8_general_ci` columns do: case-insensitively and ignoring trailing spaces (PAD SPACE),
    /// so a dump finds the same `oauth_token`, `admin_user` or `customer_entity` row a live
    /// server finds.
    pub fn sql_eq(&self, other: &SqlValue) -> bool {
        if self.is_null() || other.is_null() {
            return false;
        }
        match (self.as_i64(), other.as_i64()) {
            (Some(a), Some(b)) => a == b,
            _ => match (self.as_text(), other.as_text()) {
                (Some(a), Some(b)) => {
                    a.trim_end_matches(' ').to_lowercase() == b.trim_end_matches(' ').to_lowercase()
                }
                _ => false,
            },
        }
    }
}

/// A `timestamp`/`datetime` column value (`2026-11-28 09:14:03`, which Magento stores in UTC);
/// `None` for zero dates and other text.
pub fn db_time(s: &str) -> Option<jiff::Timestamp> {
    let t = s.trim().replacen(' ', "T", 1);
    let dt: jiff::civil::DateTime = t.parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod sql_eq_tests {
    use super::SqlValue;

    #[test]
    fn text_compares_like_a_ci_collation() {
        let t = |s: &str| SqlValue::Text(s.into());
        assert!(t("AT7Q1w9e").sql_eq(&t("at7q1W9E")));
        assert!(t("jane ").sql_eq(&t("jane")));
        assert!(!t("jane").sql_eq(&t(" jane")));
        assert!(SqlValue::Int(7).sql_eq(&t("7")));
        assert!(!SqlValue::Null.sql_eq(&SqlValue::Null));
    }

    #[test]
    fn db_times_are_utc() {
        let t = super::db_time("2026-11-28 09:14:03").unwrap();
        assert_eq!(t.to_string(), "2026-11-28T09:14:03Z");
        assert!(super::db_time("0000-00-00 00:00:00").is_none());
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_string())
    }
}

impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}

impl From<i64> for SqlValue {
    fn from(i: i64) -> Self {
        SqlValue::Int(i)
    }
}

/// One row, with its column names shared across the rows of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub columns: Arc<Vec<String>>,
    pub values: Vec<SqlValue>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&SqlValue> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.values.get(i)
    }

    /// Text of a column; `None` when the column is absent or NULL.
    pub fn text(&self, column: &str) -> Option<String> {
        self.get(column).and_then(SqlValue::as_text)
    }

    pub fn int(&self, column: &str) -> Option<i64> {
        self.get(column).and_then(SqlValue::as_i64)
    }
}

/// Where the rows come from, for `info` and for evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Live,
    Dump,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Live => "live",
            Source::Dump => "dump",
        })
    }
}

/// What `info` shows about the database (never the password).
#[derive(Debug, Clone, PartialEq)]
pub struct DbDescription {
    pub source: Source,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<PathBuf>,
    pub name: Option<String>,
    pub table_prefix: String,
    /// The dump file, for `--dump`.
    pub dump: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot reach the database server at {target}: {reason}")]
    Unreachable { target: String, reason: String },
    /// `hint` is empty or starts with `; `: what else than the password can deny the account
    /// (the server gives the same error 1045 for an account that requires TLS or a client
    /// certificate the connection did not offer).
    #[error(
        "access denied for database user '{user}' at {target}: check db/connection/default/username and password in app/etc/env.php{hint}"
    )]
    AccessDenied {
        target: String,
        user: String,
        hint: String,
    },
    #[error(
        "database '{name}' does not exist on {target}: check db/connection/default/dbname in app/etc/env.php"
    )]
    UnknownDatabase { target: String, name: String },
    #[error("{0}")]
    Config(String),
    /// No database is named (no `--db`/`--dump`) and env.php configures none: checks that need
    /// one are skipped, which is not a failure to run.
    #[error("{0}")]
    NotConfigured(String),
    #[error("query on table {table} failed: {message}")]
    Query { table: String, message: String },
    #[error("{}:{line}: {message}", path.display())]
    DumpParse {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A read-only view of the Magento tables m2auth needs.
pub trait Database: Send + Sync {
    fn describe(&self) -> DbDescription;

    /// Whether the table exists (in a dump: whether its `CREATE TABLE` was seen).
    fn has_table(&self, table: &str) -> Result<bool, DbError>;

    /// The rows of `table` whose columns equal the given values (all of them; an empty filter
    /// gives every row). A missing table is an empty result; check [`Database::has_table`]
    /// to tell the two apart.
    fn rows(&self, table: &str, filter: &[(&str, SqlValue)]) -> Result<Vec<Row>, DbError>;

    /// The rows of `table` whose datetime `column` is later than `after` (`YYYY-MM-DD hh:mm:ss`,
    /// UTC as Magento stores it): the store-wide survey's locked customers, without reading a
    /// million-row `customer_entity` whole. The default filters [`Database::rows`] in memory
    /// (a dump is in memory anyway); the live database asks the server.
    fn rows_later_than(
        &self,
        table: &str,
        column: &str,
        after: jiff::Timestamp,
    ) -> Result<Vec<Row>, DbError> {
        Ok(self
            .rows(table, &[])?
            .into_iter()
            .filter(|r| {
                r.text(column)
                    .and_then(|t| db_time(&t))
                    .is_some_and(|t| t > after)
            })
            .collect())
    }

    /// How many rows of `table` end `column` with each last `:`-separated field (the text after
    /// the last `:`, or the whole value without one; `None` for NULL), most first: the audit's
    /// password hash versions without reading a million-row `customer_entity` whole. The default
    /// counts [`Database::rows`] in memory; the live database asks the server (`GROUP BY`).
    fn count_by_last_field(
        &self,
        table: &str,
        column: &str,
    ) -> Result<Vec<(Option<String>, i64)>, DbError> {
        let mut counts: Vec<(Option<String>, i64)> = Vec::new();
        for r in self.rows(table, &[])? {
            let key = r
                .text(column)
                .map(|v| v.rsplit(':').next().unwrap_or("").to_string());
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some(c) => c.1 += 1,
                None => counts.push((key, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(counts)
    }
}

/// Which database to read: the one env.php names, a `--db URL`, or a `--dump FILE`.
#[derive(Debug, Clone, PartialEq)]
pub enum DbChoice {
    Env,
    Url(String),
    Dump(PathBuf),
}

/// The connection parameters of a live choice (without connecting), for `info` and messages.
pub fn params_for(
    choice: &DbChoice,
    env: Option<&crate::store::envphp::Document>,
) -> Result<ConnParams, DbError> {
    match choice {
        DbChoice::Env => match env {
            Some(doc) => ConnParams::from_env(doc, "default"),
            None => Err(DbError::NotConfigured("app/etc/env.php is missing: no database connection is configured (pass --db URL or --dump FILE)".into())),
        },
        DbChoice::Url(url) => ConnParams::from_url(url),
        DbChoice::Dump(_) => Err(DbError::Config("a dump has no connection".into())),
    }
}

/// Open the chosen database read-only. For a dump, `table_prefix` comes from env.php when known,
/// and `progress` is told of the bytes read.
pub fn open(
    choice: &DbChoice,
    env: Option<&crate::store::envphp::Document>,
    progress: &dyn crate::progress::Progress,
) -> Result<Box<dyn Database>, DbError> {
    match choice {
        DbChoice::Dump(path) => {
            let prefix = env
                .and_then(|d| d.string("db/table_prefix"))
                .unwrap_or_default();
            Ok(Box::new(dump::DumpDb::open_with(path, &prefix, progress)?))
        }
        live_choice => Ok(Box::new(live::LiveDb::connect(&params_for(
            live_choice,
            env,
        )?)?)),
    }
}
