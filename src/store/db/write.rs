//! A writable session on the live database: one transaction, every write recorded.
//!
//! The only way m2auth changes a database. A [`WriteSession`] connects with the same
//! [`ConnParams`] (and the same connection code, TLS and timeouts) as the read-only
//! [`LiveDb`](super::live::LiveDb), applies `db/table_prefix` to the logical table names it is
//! given, accepts only `[A-Za-z0-9_]` identifiers, and refuses to write outside a transaction.
//!
//! Every write call records a [`Change`] holding the full rows before (read `FOR UPDATE` inside
//! the transaction) and after, keyed by the table's primary key, so that the journal can undo it
//! exactly. Writes are done row by row by primary key, so the recorded rows are exactly the rows
//! changed. Deleting a row that other rows reference through a foreign key is refused (the
//! cascade would change rows the journal does not see): delete the children first.
//!
//! The session runs as Magento's own connections do (`Pdo\Mysql::_connect()`): `time_zone =
//! '+00:00'` (timestamps read and written back in UTC, so a value round-trips exactly) and no
//! strict mode, plus `NO_AUTO_VALUE_ON_ZERO` so that a re-inserted row keeps an id of 0 (store 0,
//! website 0). Dropping a session whose transaction is open rolls it back.

use std::collections::HashMap;

use mysql::prelude::Queryable;
use serde::{Deserialize, Serialize};

use super::live::{
    IO_TIMEOUT, check_ident, connect_timeout_reason, convert_rows, open_conn, set_io_timeout,
    short_error, to_mysql,
};
use super::{ConnParams, DbChoice, DbDescription, DbError, Row, SqlValue};

/// Statements that set the session up, run once after connecting.
const SESSION_SETUP: &[&str] = &[
    "SET SESSION TRANSACTION READ WRITE",
    "SET SESSION time_zone = '+00:00'",
    "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
    "SET SESSION innodb_lock_wait_timeout = 20",
];

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Insert,
    Update,
    Delete,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Delete => "delete",
        })
    }
}

/// A column value as the journal stores it: the exact [`SqlValue`], type included
/// (`"null"`, `{"int": -1}`, `{"uint": 5}`, `{"float": 1.5}`, `{"text": "…"}`,
/// `{"bytes": "<hex>"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stored {
    Null,
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
    /// Lowercase hex.
    Bytes(String),
}

impl From<&SqlValue> for Stored {
    fn from(v: &SqlValue) -> Self {
        match v {
            SqlValue::Null => Stored::Null,
            SqlValue::Int(i) => Stored::Int(*i),
            SqlValue::UInt(u) => Stored::UInt(*u),
            SqlValue::Float(f) => Stored::Float(*f),
            SqlValue::Text(s) => Stored::Text(s.clone()),
            SqlValue::Bytes(b) => Stored::Bytes(b.iter().map(|x| format!("{x:02x}")).collect()),
        }
    }
}

impl Stored {
    /// The value to send back to the server; `None` for malformed hex.
    pub fn to_sql(&self) -> Option<SqlValue> {
        Some(match self {
            Stored::Null => SqlValue::Null,
            Stored::Int(i) => SqlValue::Int(*i),
            Stored::UInt(u) => SqlValue::UInt(*u),
            Stored::Float(f) => SqlValue::Float(*f),
            Stored::Text(s) => SqlValue::Text(s.clone()),
            Stored::Bytes(h) => {
                if h.len() % 2 != 0 {
                    return None;
                }
                let bytes: Option<Vec<u8>> = (0..h.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
                    .collect();
                SqlValue::Bytes(bytes?)
            }
        })
    }

    /// The value for a key description (`rule_id=12`): numbers and short text as they are.
    pub fn short(&self) -> String {
        match self {
            Stored::Null => "NULL".into(),
            Stored::Int(i) => i.to_string(),
            Stored::UInt(u) => u.to_string(),
            Stored::Float(f) => f.to_string(),
            Stored::Text(s) if s.chars().count() <= 40 => format!("'{s}'"),
            Stored::Text(s) => format!("'{}'", crate::mask::mask(s)),
            Stored::Bytes(h) => format!("0x{}", crate::mask::mask(h)),
        }
    }
}

/// One write: which rows of which table, before and after, in column order `columns`.
///
/// * insert: `after` = the inserted row as read back (defaults filled in); `inserted_id` = the
///   auto-increment id when the table has one;
/// * update: `before` and `after` = the full rows that changed (same order, same keys);
/// * delete: `before` = the full rows deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Logical table name (without `db/table_prefix`).
    pub table: String,
    pub operation: Operation,
    /// The primary-key columns, which identify each row of `before`/`after`.
    pub primary_key: Vec<String>,
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<Vec<Stored>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<Vec<Stored>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inserted_id: Option<u64>,
}

impl Change {
    /// The primary-key filter of one recorded row.
    pub fn key_of(&self, row: &[Stored]) -> Option<Vec<(String, SqlValue)>> {
        self.primary_key
            .iter()
            .map(|k| {
                let i = self.columns.iter().position(|c| c == k)?;
                Some((k.clone(), row.get(i)?.to_sql()?))
            })
            .collect()
    }

    /// `rule_id=12` (`a=1, b='x'` for a composite key) for messages.
    pub fn describe_key(&self, row: &[Stored]) -> String {
        self.primary_key
            .iter()
            .map(|k| {
                let v = self
                    .columns
                    .iter()
                    .position(|c| c == k)
                    .and_then(|i| row.get(i))
                    .map_or_else(|| "?".to_string(), Stored::short);
                format!("{k}={v}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The number of rows this change wrote.
    pub fn row_count(&self) -> usize {
        match self.operation {
            Operation::Insert | Operation::Update => self.after.len(),
            Operation::Delete => self.before.len(),
        }
    }
}

/// The full row as stored values, in the order of `columns` (missing columns as NULL).
pub fn stored_row(row: &Row, columns: &[String]) -> Vec<Stored> {
    columns
        .iter()
        .map(|c| row.get(c).map_or(Stored::Null, Stored::from))
        .collect()
}

/// What the session knows about a table's keys.
#[derive(Debug, Clone, Default)]
struct TableInfo {
    primary: Vec<String>,
    auto_increment: Option<String>,
    /// Generated (virtual/stored) columns: never written.
    generated: Vec<String>,
    /// Columns MySQL sets by itself on every UPDATE (`ON UPDATE CURRENT_TIMESTAMP`).
    auto_updated: Vec<String>,
}

/// A writable session on the live database. See the module documentation.
pub struct WriteSession {
    /// The parameters actually used (`localhost` resolved).
    params: ConnParams,
    conn: mysql::Conn,
    in_transaction: bool,
    changes: Vec<Change>,
    tables: HashMap<String, TableInfo>,
}

impl std::fmt::Debug for WriteSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteSession")
            .field("params", &self.params)
            .field("in_transaction", &self.in_transaction)
            .field("changes", &self.changes.len())
            .finish()
    }
}

/// The error a writing command gets for `--dump`.
pub const DUMP_IS_READ_ONLY: &str = "--dump: a dump is read-only input and m2auth never writes to it; commands that change the store need the live database (drop --dump, or pass --db URL)";

impl WriteSession {
    /// Open a writable session on the chosen database. A `--dump` is refused
    /// ([`DUMP_IS_READ_ONLY`]): a dump is read-only input.
    pub fn open(
        choice: &DbChoice,
        env: Option<&crate::store::envphp::Document>,
    ) -> Result<WriteSession, DbError> {
        if matches!(choice, DbChoice::Dump(_)) {
            return Err(DbError::Config(DUMP_IS_READ_ONLY.into()));
        }
        WriteSession::connect(&super::params_for(choice, env)?)
    }

    /// Connect (as [`LiveDb::connect`](super::live::LiveDb::connect) does: same connection
    /// building, TLS and timeouts) and set the session up for writing. No transaction yet:
    /// call [`WriteSession::begin`].
    pub fn connect(params: &ConnParams) -> Result<WriteSession, DbError> {
        let (params, mut conn) = open_conn(params)?;
        let target = params.target();
        for stmt in SESSION_SETUP {
            conn.query_drop(stmt).map_err(|e| DbError::Unreachable {
                target: target.clone(),
                reason: match connect_timeout_reason(&e) {
                    Some(why) => why,
                    None => format!("cannot open a writable session: {}", short_error(&e)),
                },
            })?;
        }
        set_io_timeout(&conn, params.socket.is_some(), IO_TIMEOUT).map_err(|e| {
            DbError::Unreachable {
                target,
                reason: format!("cannot set the query timeout on the connection: {e}"),
            }
        })?;
        Ok(WriteSession {
            params,
            conn,
            in_transaction: false,
            changes: Vec::new(),
            tables: HashMap::new(),
        })
    }

    /// The parameters in use (never print the password: use `Display`).
    pub fn params(&self) -> &ConnParams {
        &self.params
    }

    /// Where the session writes, for the journal and messages (never the password).
    pub fn describe(&self) -> DbDescription {
        DbDescription {
            source: super::Source::Live,
            host: self.params.host.clone(),
            port: self.params.port,
            socket: self.params.socket.clone(),
            name: Some(self.params.dbname.clone()),
            table_prefix: self.params.table_prefix.clone(),
            dump: None,
        }
    }

    /// Start the transaction every write of this session runs in.
    pub fn begin(&mut self) -> Result<(), DbError> {
        if self.in_transaction {
            return Err(self.misuse("a transaction is already open"));
        }
        self.conn
            .query_drop("START TRANSACTION")
            .map_err(|e| query_error("-", &e))?;
        self.in_transaction = true;
        Ok(())
    }

    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// The changes recorded so far, in order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Commit the transaction; returns the changes it made, in order.
    pub fn commit(mut self) -> Result<Vec<Change>, DbError> {
        if !self.in_transaction {
            return Err(self.misuse("commit without an open transaction"));
        }
        let result = self.conn.query_drop("COMMIT");
        // Whatever COMMIT answered, the transaction is over (a failed COMMIT rolls back).
        self.in_transaction = false;
        result.map_err(|e| query_error("-", &e))?;
        Ok(std::mem::take(&mut self.changes))
    }

    /// Roll the transaction back: nothing of this session is kept.
    pub fn rollback(mut self) -> Result<(), DbError> {
        self.rollback_in_place()
    }

    fn rollback_in_place(&mut self) -> Result<(), DbError> {
        if !self.in_transaction {
            return Ok(());
        }
        self.in_transaction = false;
        self.changes.clear();
        self.conn
            .query_drop("ROLLBACK")
            .map_err(|e| query_error("-", &e))
    }

    /// Rows of `table` whose columns equal the filter (an empty filter: every row), read in the
    /// session (inside the transaction when one is open). A missing table is an error.
    pub fn rows(&mut self, table: &str, filter: &[(&str, SqlValue)]) -> Result<Vec<Row>, DbError> {
        let name = self.table_name(table)?;
        self.select(&name, filter, false)
    }

    /// [`WriteSession::rows`] with `FOR UPDATE`: the rows are locked until commit or rollback.
    /// Needs an open transaction.
    pub fn select_for_update(
        &mut self,
        table: &str,
        filter: &[(&str, SqlValue)],
    ) -> Result<Vec<Row>, DbError> {
        self.need_transaction()?;
        let name = self.table_name(table)?;
        self.select(&name, filter, true)
    }

    /// Insert one row; returns the auto-increment id (`LAST_INSERT_ID()`, 0 when the table has
    /// none). The inserted row is read back whole for the journal.
    pub fn insert(&mut self, table: &str, values: &[(&str, SqlValue)]) -> Result<u64, DbError> {
        self.need_transaction()?;
        let name = self.table_name(table)?;
        if values.is_empty() {
            return Err(query_msg(&name, "insert without values"));
        }
        let info = self.info(&name)?;
        let mut cols = Vec::with_capacity(values.len());
        for (c, _) in values {
            check_ident(c, &name)?;
            if info.generated.iter().any(|g| g == c) {
                return Err(query_msg(
                    &name,
                    &format!("column {c} is generated and cannot be written"),
                ));
            }
            cols.push(format!("`{c}`"));
        }
        let sql = format!(
            "INSERT INTO `{name}` ({}) VALUES ({})",
            cols.join(", "),
            vec!["?"; values.len()].join(", ")
        );
        let params: Vec<mysql::Value> = values.iter().map(|(_, v)| to_mysql(v)).collect();
        self.conn
            .exec_drop(&sql, params)
            .map_err(|e| query_error(&name, &e))?;
        let id = self.conn.last_insert_id();

        // The primary key of the new row: given, or the auto-increment id.
        let mut key: Vec<(String, SqlValue)> = Vec::new();
        for k in &info.primary {
            let v = match values.iter().find(|(c, _)| c == k) {
                Some((_, v)) => v.clone(),
                None if info.auto_increment.as_deref() == Some(k.as_str()) && id > 0 => {
                    SqlValue::UInt(id)
                }
                None => {
                    return Err(query_msg(
                        &name,
                        &format!(
                            "cannot tell which row was inserted: primary key column {k} was not given"
                        ),
                    ));
                }
            };
            key.push((k.clone(), v));
        }
        let filter: Vec<(&str, SqlValue)> =
            key.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let rows = self.select(&name, &filter, false)?;
        let [row] = rows.as_slice() else {
            return Err(query_msg(
                &name,
                "the inserted row cannot be read back by its primary key",
            ));
        };
        let columns = row.columns.as_ref().clone();
        self.changes.push(Change {
            table: table.to_string(),
            operation: Operation::Insert,
            primary_key: info.primary.clone(),
            after: vec![stored_row(row, &columns)],
            columns,
            before: Vec::new(),
            inserted_id: info
                .auto_increment
                .is_some()
                .then_some(id)
                .filter(|i| *i > 0),
        });
        Ok(id)
    }

    /// Set columns of the rows matching `filter` (which must not be empty). Primary-key columns
    /// and columns other rows reference by foreign key cannot be set. Returns the number of rows
    /// whose values changed; only those are recorded.
    pub fn update(
        &mut self,
        table: &str,
        set: &[(&str, SqlValue)],
        filter: &[(&str, SqlValue)],
    ) -> Result<u64, DbError> {
        self.need_transaction()?;
        let name = self.table_name(table)?;
        if set.is_empty() {
            return Err(query_msg(&name, "update without values"));
        }
        if filter.is_empty() {
            return Err(query_msg(
                &name,
                "update without a filter (m2auth never updates a whole table)",
            ));
        }
        let info = self.info(&name)?;
        let referenced = self.referenced_columns(&name)?;
        let mut assignments = Vec::with_capacity(set.len());
        for (c, _) in set {
            check_ident(c, &name)?;
            if info.primary.iter().any(|k| k == c) {
                return Err(query_msg(
                    &name,
                    &format!("column {c} is part of the primary key and cannot be updated"),
                ));
            }
            if referenced.iter().any(|r| r == c) || info.generated.iter().any(|g| g == c) {
                return Err(query_msg(
                    &name,
                    &format!(
                        "column {c} is referenced by a foreign key or generated, and cannot be updated"
                    ),
                ));
            }
            assignments.push(format!("`{c}` = ?"));
        }
        let before = self.select(&name, filter, true)?;
        let Some(first) = before.first() else {
            return Ok(0);
        };
        let columns = first.columns.as_ref().clone();
        let sql = format!("UPDATE `{name}` SET {}", assignments.join(", "));
        let mut before_rows = Vec::new();
        let mut after_rows = Vec::new();
        for row in &before {
            let key = key_filter(&info.primary, row, &name)?;
            let (where_sql, key_params) = where_clause(&key);
            let mut params: Vec<mysql::Value> = set.iter().map(|(_, v)| to_mysql(v)).collect();
            params.extend(key_params);
            self.conn
                .exec_drop(format!("{sql}{where_sql}"), params)
                .map_err(|e| query_error(&name, &e))?;
            let key_ref: Vec<(&str, SqlValue)> =
                key.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let after = self.select(&name, &key_ref, false)?;
            let [after] = after.as_slice() else {
                return Err(query_msg(&name, "an updated row cannot be read back"));
            };
            let b = stored_row(row, &columns);
            let a = stored_row(after, &columns);
            if a != b {
                before_rows.push(b);
                after_rows.push(a);
            }
        }
        let n = after_rows.len() as u64;
        if n > 0 {
            self.changes.push(Change {
                table: table.to_string(),
                operation: Operation::Update,
                primary_key: info.primary.clone(),
                columns,
                before: before_rows,
                after: after_rows,
                inserted_id: None,
            });
        }
        Ok(n)
    }

    /// Delete the rows matching `filter` (which must not be empty), each by its primary key.
    /// Refused when other rows reference one of them by foreign key (the cascade would not be
    /// journaled). Returns the number of rows deleted.
    pub fn delete(&mut self, table: &str, filter: &[(&str, SqlValue)]) -> Result<u64, DbError> {
        self.need_transaction()?;
        let name = self.table_name(table)?;
        if filter.is_empty() {
            return Err(query_msg(
                &name,
                "delete without a filter (m2auth never empties a whole table)",
            ));
        }
        let info = self.info(&name)?;
        let before = self.select(&name, filter, true)?;
        let Some(first) = before.first() else {
            return Ok(0);
        };
        let columns = first.columns.as_ref().clone();
        self.check_no_children(&name, &before)?;
        let mut rows = Vec::with_capacity(before.len());
        for row in &before {
            let key = key_filter(&info.primary, row, &name)?;
            let (where_sql, params) = where_clause(&key);
            self.conn
                .exec_drop(format!("DELETE FROM `{name}`{where_sql}"), params)
                .map_err(|e| query_error(&name, &e))?;
            if self.conn.affected_rows() != 1 {
                return Err(query_msg(
                    &name,
                    "a row locked for deletion was not deleted",
                ));
            }
            rows.push(stored_row(row, &columns));
        }
        let n = rows.len() as u64;
        self.changes.push(Change {
            table: table.to_string(),
            operation: Operation::Delete,
            primary_key: info.primary.clone(),
            columns,
            before: rows,
            after: Vec::new(),
            inserted_id: None,
        });
        Ok(n)
    }

    /// The declared length of a character column (`varchar(32)` → 32), `None` for other types.
    pub fn column_max_length(&mut self, table: &str, column: &str) -> Result<Option<u64>, DbError> {
        let name = self.table_name(table)?;
        check_ident(column, &name)?;
        let len: Option<Option<u64>> = self
            .conn
            .exec_first(
                "SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
                (&name, column),
            )
            .map_err(|e| query_error(&name, &e))?;
        Ok(len.flatten())
    }

    /// The columns MySQL updates by itself on every UPDATE of a row (`ON UPDATE
    /// CURRENT_TIMESTAMP`, e.g. `admin_user.modified`).
    pub fn auto_updated_columns(&mut self, table: &str) -> Result<Vec<String>, DbError> {
        let name = self.table_name(table)?;
        Ok(self.info(&name)?.auto_updated)
    }

    /// The generated columns of a table (skipped when a row is re-inserted).
    pub fn generated_columns(&mut self, table: &str) -> Result<Vec<String>, DbError> {
        let name = self.table_name(table)?;
        Ok(self.info(&name)?.generated)
    }

    fn misuse(&self, what: &str) -> DbError {
        query_msg("-", what)
    }

    fn need_transaction(&self) -> Result<(), DbError> {
        if self.in_transaction {
            Ok(())
        } else {
            Err(self.misuse(
                "writes need an open transaction (call begin() first): m2auth changes a database in one transaction",
            ))
        }
    }

    fn table_name(&self, table: &str) -> Result<String, DbError> {
        check_ident(table, table)?;
        let name = format!("{}{}", self.params.table_prefix, table);
        check_ident(&name, &name)?;
        Ok(name)
    }

    fn select(
        &mut self,
        name: &str,
        filter: &[(&str, SqlValue)],
        for_update: bool,
    ) -> Result<Vec<Row>, DbError> {
        let mut sql = format!("SELECT * FROM `{name}`");
        let mut params = Vec::with_capacity(filter.len());
        for (i, (col, value)) in filter.iter().enumerate() {
            check_ident(col, name)?;
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(&format!("`{col}` = ?"));
            params.push(to_mysql(value));
        }
        if for_update {
            sql.push_str(" FOR UPDATE");
        }
        let params = if params.is_empty() {
            mysql::Params::Empty
        } else {
            mysql::Params::Positional(params)
        };
        let raw: Vec<mysql::Row> = self
            .conn
            .exec(&sql, params)
            .map_err(|e| query_error(name, &e))?;
        Ok(convert_rows(raw))
    }

    fn info(&mut self, name: &str) -> Result<TableInfo, DbError> {
        if let Some(info) = self.tables.get(name) {
            return Ok(info.clone());
        }
        let cols: Vec<(String, String, String)> = self
            .conn
            .exec(
                "SELECT COLUMN_NAME, COLUMN_KEY, EXTRA FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                (name,),
            )
            .map_err(|e| query_error(name, &e))?;
        if cols.is_empty() {
            return Err(query_msg(name, "no such table"));
        }
        let primary: Vec<String> = self
            .conn
            .exec(
                "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' \
                 ORDER BY ORDINAL_POSITION",
                (name,),
            )
            .map_err(|e| query_error(name, &e))?;
        if primary.is_empty() {
            return Err(query_msg(
                name,
                "the table has no primary key, so m2auth cannot record its changes for undo and does not write to it",
            ));
        }
        let extra = |e: &str, what: &str| e.to_ascii_lowercase().contains(what);
        let info = TableInfo {
            primary,
            auto_increment: cols
                .iter()
                .find(|(_, _, e)| extra(e, "auto_increment"))
                .map(|(c, _, _)| c.clone()),
            generated: cols
                .iter()
                .filter(|(_, _, e)| {
                    extra(e, "generated") || extra(e, "virtual") || extra(e, "persistent")
                })
                .map(|(c, _, _)| c.clone())
                .collect(),
            auto_updated: cols
                .iter()
                .filter(|(_, _, e)| extra(e, "on update"))
                .map(|(c, _, _)| c.clone())
                .collect(),
        };
        self.tables.insert(name.to_string(), info.clone());
        Ok(info)
    }

    /// Foreign keys of other tables (or this one) pointing at `name`: (child table, child
    /// columns, referenced columns), one entry per constraint.
    #[allow(clippy::type_complexity)]
    fn foreign_keys_to(
        &mut self,
        name: &str,
    ) -> Result<Vec<(String, Vec<String>, Vec<String>)>, DbError> {
        let rows: Vec<(String, String, String, String)> = self
            .conn
            .exec(
                "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_COLUMN_NAME \
                 FROM information_schema.KEY_COLUMN_USAGE \
                 WHERE REFERENCED_TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = ? \
                 ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
                (name,),
            )
            .map_err(|e| query_error(name, &e))?;
        let mut out: Vec<(String, String, Vec<String>, Vec<String>)> = Vec::new();
        for (constraint, child, col, referenced) in rows {
            match out
                .iter_mut()
                .find(|(c, t, _, _)| *c == constraint && *t == child)
            {
                Some(entry) => {
                    entry.2.push(col);
                    entry.3.push(referenced);
                }
                None => out.push((constraint, child, vec![col], vec![referenced])),
            }
        }
        Ok(out.into_iter().map(|(_, t, c, r)| (t, c, r)).collect())
    }

    fn referenced_columns(&mut self, name: &str) -> Result<Vec<String>, DbError> {
        Ok(self
            .foreign_keys_to(name)?
            .into_iter()
            .flat_map(|(_, _, r)| r)
            .collect())
    }

    fn check_no_children(&mut self, name: &str, rows: &[Row]) -> Result<(), DbError> {
        for (child, cols, referenced) in self.foreign_keys_to(name)? {
            check_ident(&child, &child)?;
            for row in rows {
                let mut filter = Vec::with_capacity(cols.len());
                for (c, r) in cols.iter().zip(&referenced) {
                    check_ident(c, &child)?;
                    filter.push((c.clone(), row.get(r).cloned().unwrap_or(SqlValue::Null)));
                }
                let (where_sql, params) = where_clause(&filter);
                let n: Option<i64> = self
                    .conn
                    .exec_first(format!("SELECT COUNT(*) FROM `{child}`{where_sql}"), params)
                    .map_err(|e| query_error(&child, &e))?;
                let n = n.unwrap_or(0);
                if n > 0 {
                    return Err(query_msg(
                        name,
                        &format!(
                            "deleting a row would also change {n} row(s) of {child} through a foreign key ({} → {}), which m2auth would not record: delete those first",
                            cols.join(", "),
                            referenced.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Drop for WriteSession {
    fn drop(&mut self) {
        let _ = self.rollback_in_place();
    }
}

/// The primary-key values of a row.
fn key_filter(
    primary: &[String],
    row: &Row,
    table: &str,
) -> Result<Vec<(String, SqlValue)>, DbError> {
    primary
        .iter()
        .map(|k| match row.get(k) {
            Some(v) if !v.is_null() => Ok((k.clone(), v.clone())),
            _ => Err(query_msg(table, &format!("a row has no value for key {k}"))),
        })
        .collect()
}

fn where_clause(filter: &[(String, SqlValue)]) -> (String, Vec<mysql::Value>) {
    let mut sql = String::new();
    let mut params = Vec::with_capacity(filter.len());
    for (i, (col, value)) in filter.iter().enumerate() {
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        sql.push_str(&format!("`{col}` = ?"));
        params.push(to_mysql(value));
    }
    (sql, params)
}

fn query_error(table: &str, e: &mysql::Error) -> DbError {
    query_msg(table, &short_error(e))
}

fn query_msg(table: &str, message: &str) -> DbError {
    DbError::Query {
        table: table.to_string(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_round_trip() {
        for v in [
            SqlValue::Null,
            SqlValue::Int(-7),
            SqlValue::UInt(u64::MAX),
            SqlValue::Float(0.1),
            SqlValue::Text("x'\"é".into()),
            SqlValue::Bytes(vec![0, 0xff, 0x10]),
        ] {
            let s = Stored::from(&v);
            let json = serde_json::to_string(&s).unwrap();
            let back: Stored = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_sql(), Some(v), "{json}");
        }
        assert_eq!(Stored::Bytes("abc".into()).to_sql(), None);
        assert_eq!(Stored::Bytes("zz".into()).to_sql(), None);
    }

    #[test]
    fn dump_is_refused() {
        let err = WriteSession::open(&DbChoice::Dump("/tmp/x.sql".into()), None).unwrap_err();
        assert_eq!(err.to_string(), DUMP_IS_READ_ONLY);
    }
}
