//! A mysqldump file (`.sql` or `.sql.gz`) read offline.
//!
//! The file is streamed once ([`scan`]): statements for tables outside
//! [`NEEDED_TABLES`](super::NEEDED_TABLES) are skipped unparsed and uncopied, so memory is bounded
//! by the kept tables. Kept statements are parsed with sqlparser ([`parse`]) and replayed the way
//! loading the dump would: `CREATE TABLE` (re)creates the table empty, `DROP TABLE` removes it,
//! `TRUNCATE` empties it, `INSERT` appends rows, `INSERT IGNORE` skips and `REPLACE` replaces
//! rows whose primary key is already there.
//!
//! Values: integers are `Int` (`UInt` above `i64::MAX`); numbers with a fraction or exponent are
//! `Float` in FLOAT/DOUBLE/REAL columns and otherwise (DECIMAL) `Text` exactly as written
//! (`12.5000`), like MySQL prints them; quoted strings are `Text` with MySQL escapes decoded
//! (`Bytes` if they are not valid UTF-8); `_binary '…'`, `X'…'` and `0x…` are always `Bytes`;
//! `b'101'` is `UInt`; dates and times are `Text`. Columns missing from an INSERT's column list
//! are `Null` (their DEFAULT is not evaluated).
//!
//! Not supported: `NO_BACKSLASH_ESCAPES` dumps, `ANSI_QUOTES` dumps (`"x"` is read as a string).

mod fast;
mod head;
mod parse;
mod scan;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;

use super::{Database, DbDescription, DbError, NEEDED_TABLES, Row, SqlValue};
use head::Head;
use parse::{InsertMode, Parsed};

/// What reading the dump took, for benchmarks and `info`.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpStats {
    /// Bytes of SQL read (after gzip decompression).
    pub bytes_read: u64,
    /// Statements seen (`DELIMITER` commands excluded).
    pub statements: u64,
    /// Statements skipped without parsing (other tables, `SET`, `LOCK TABLES`, …).
    pub statements_skipped: u64,
    /// Needed tables present at the end of the dump.
    pub tables_kept: usize,
    /// Rows held for them.
    pub rows_kept: u64,
    pub elapsed: Duration,
}

impl DumpStats {
    /// Throughput in MB/s (10^6 bytes).
    pub fn mb_per_s(&self) -> f64 {
        self.bytes_read as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

struct Table {
    columns: Arc<Vec<String>>,
    float: Vec<bool>,
    /// Indexes of the primary key columns (empty: unknown).
    primary_key: Vec<usize>,
    rows: Vec<Vec<SqlValue>>,
    /// Primary key → row index, built at the first `REPLACE`/`INSERT IGNORE`.
    index: Option<HashMap<String, usize>>,
}

impl Table {
    fn new(columns: Vec<String>, float: Vec<bool>, primary_key: Vec<usize>) -> Table {
        Table {
            columns: Arc::new(columns),
            float,
            primary_key,
            rows: Vec::new(),
            index: None,
        }
    }

    fn key(&self, row: &[SqlValue]) -> String {
        let mut k = String::new();
        for &i in &self.primary_key {
            match row[i].as_text() {
                Some(t) => k.push_str(&t),
                None => k.push('\0'),
            }
            k.push('\u{1}');
        }
        k
    }

    fn add(&mut self, row: Vec<SqlValue>, mode: InsertMode) {
        if self.primary_key.is_empty() || (mode == InsertMode::Insert && self.index.is_none()) {
            self.rows.push(row);
            return;
        }
        if self.index.is_none() {
            let index = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| (self.key(r), i))
                .collect();
            self.index = Some(index);
        }
        let key = self.key(&row);
        let index = self.index.as_mut().expect("index built");
        match (index.get(&key), mode) {
            (Some(_), InsertMode::Ignore) => {}
            (Some(&i), _) => self.rows[i] = row,
            (None, _) => {
                index.insert(key, self.rows.len());
                self.rows.push(row);
            }
        }
    }
}

pub struct DumpDb {
    path: PathBuf,
    table_prefix: String,
    tables: HashMap<String, Table>,
    stats: DumpStats,
}

impl DumpDb {
    /// Stream the dump once, keeping only [`super::NEEDED_TABLES`] (with `table_prefix`).
    /// Gzip is recognised by its magic bytes, whatever the file is called.
    pub fn open(path: &Path, table_prefix: &str) -> Result<DumpDb, DbError> {
        DumpDb::open_with(path, table_prefix, &crate::progress::Silent)
    }

    /// [`DumpDb::open`], telling `progress` of the file's bytes as they are read (the
    /// compressed bytes of a `.sql.gz`: the total is the file's size).
    pub fn open_with(
        path: &Path,
        table_prefix: &str,
        progress: &dyn crate::progress::Progress,
    ) -> Result<DumpDb, DbError> {
        let io_err = |source| DbError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let size = file.metadata().ok().map(|m| m.len());
        let _task = crate::progress::Task::start(
            progress,
            "reading the dump",
            size,
            crate::progress::Unit::Bytes,
        );
        let file = crate::progress::Counting::new(file, progress);
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let gz = reader
            .fill_buf()
            .map_err(io_err)?
            .starts_with(&[0x1f, 0x8b]);
        if gz {
            DumpDb::from_reader(MultiGzDecoder::new(reader), path, table_prefix)
        } else {
            DumpDb::from_reader(reader, path, table_prefix)
        }
    }

    /// Read SQL text (not gzip) from any reader; `label_path` names it in errors and `describe`.
    pub fn from_reader(
        reader: impl Read,
        label_path: &Path,
        table_prefix: &str,
    ) -> Result<DumpDb, DbError> {
        let started = Instant::now();
        let mut db = DumpDb {
            path: label_path.to_path_buf(),
            table_prefix: table_prefix.to_string(),
            tables: HashMap::new(),
            stats: DumpStats {
                bytes_read: 0,
                statements: 0,
                statements_skipped: 0,
                tables_kept: 0,
                rows_kept: 0,
                elapsed: Duration::ZERO,
            },
        };
        let mut scanner = scan::Scanner::new(reader, label_path.to_path_buf());
        let prefix = table_prefix.to_string();
        let keep = |head: &[u8]| {
            let complete = head.len() < scan::HEAD_SIZE;
            match head::classify(head, complete) {
                Head::Table(name) | Head::Truncate(name) => logical(&prefix, &name).is_some(),
                Head::Drop(names) => names.iter().any(|n| logical(&prefix, n).is_some()),
                Head::Other => false,
            }
        };
        while let Some(stmt) = scanner.next_kept(keep)? {
            let (line, sql) = (stmt.line, stmt.sql);
            db.apply(line, sql)?;
        }
        db.stats.bytes_read = scanner.counters.bytes;
        db.stats.statements = scanner.counters.statements;
        db.stats.statements_skipped = scanner.counters.skipped;
        db.stats.tables_kept = db.tables.len();
        db.stats.rows_kept = db.tables.values().map(|t| t.rows.len() as u64).sum();
        db.stats.elapsed = started.elapsed();
        Ok(db)
    }

    pub fn stats(&self) -> &DumpStats {
        &self.stats
    }

    /// A parse error. `message` is shown as given: any part of it that quotes dump input (which
    /// may hold a password or token) must already have gone through [`quoted_input`].
    fn err(&self, line: u64, message: impl Into<String>) -> DbError {
        DbError::DumpParse {
            path: self.path.clone(),
            line,
            message: message.into(),
        }
    }

    /// Replay one kept statement.
    fn apply(&mut self, line: u64, sql: &[u8]) -> Result<(), DbError> {
        let prefix = self.table_prefix.clone();
        match head::classify(sql, true) {
            Head::Drop(names) => {
                for n in names {
                    if let Some(t) = logical(&prefix, &n) {
                        self.tables.remove(t);
                    }
                }
                return Ok(());
            }
            Head::Truncate(n) => {
                if let Some(t) = logical(&prefix, &n).and_then(|t| self.tables.get_mut(t)) {
                    t.rows.clear();
                    t.index = None;
                }
                return Ok(());
            }
            Head::Table(_) => {}
            Head::Other => return Ok(()),
        }
        if self.apply_fast(line, sql)? {
            return Ok(());
        }
        // sqlparser's messages quote the tokens they choke on, and ours name table values.
        let (parsed, latin1) = parse::parse(sql).map_err(|m| self.err(line, quoted_input(&m)))?;
        match parsed {
            Parsed::Create(c) => {
                let Some(name) = logical(&prefix, &c.table) else {
                    return Ok(());
                };
                let pk = c
                    .primary_key
                    .iter()
                    .map(|k| c.columns.iter().position(|c| c == k))
                    .collect::<Option<Vec<_>>>();
                self.tables.insert(
                    name.to_string(),
                    Table::new(c.columns, c.float, pk.unwrap_or_default()),
                );
            }
            Parsed::Insert(ins) => {
                let Some(name) = logical(&prefix, &ins.table) else {
                    return Ok(());
                };
                let map = self.insert_target(line, name, &ins.table, &ins.columns)?;
                let table = self.tables.get(name).expect("table present");
                let width = table.columns.len();
                let mut rows = Vec::with_capacity(ins.rows.len());
                for (n, exprs) in ins.rows.iter().enumerate() {
                    if exprs.len() != map.len() {
                        return Err(self.err(
                            line,
                            format!(
                                "INSERT into `{}`: row {} has {} values, expected {}",
                                ins.table,
                                n + 1,
                                exprs.len(),
                                map.len()
                            ),
                        ));
                    }
                    let mut row = vec![SqlValue::Null; width];
                    for (e, &i) in exprs.iter().zip(&map) {
                        row[i] = parse::value(e, latin1, table.float[i]).map_err(|m| {
                            self.err(
                                line,
                                format!(
                                    "INSERT into `{}`, row {}: {}",
                                    ins.table,
                                    n + 1,
                                    quoted_input(&m)
                                ),
                            )
                        })?;
                    }
                    rows.push(row);
                }
                let table = self.tables.get_mut(name).expect("table present");
                for row in rows {
                    table.add(row, ins.mode);
                }
            }
        }
        Ok(())
    }
}

impl DumpDb {
    /// The plain `INSERT … VALUES` of dumps without sqlparser; false when it needs sqlparser.
    fn apply_fast(&mut self, line: u64, sql: &[u8]) -> Result<bool, DbError> {
        let Some(h) = head::insert_header(sql) else {
            return Ok(false);
        };
        let prefix = self.table_prefix.clone();
        let Some(name) = logical(&prefix, &h.table) else {
            return Ok(false);
        };
        let map = self.insert_target(line, name, &h.table, &h.columns)?;
        let table = self.tables.get_mut(name).expect("table present");
        let Some(rows) = fast::rows(&sql[h.values_at..], &map, table.columns.len(), &table.float)
        else {
            return Ok(false);
        };
        let mode = if h.replace {
            InsertMode::Replace
        } else if h.ignore {
            InsertMode::Ignore
        } else {
            InsertMode::Insert
        };
        for row in rows {
            table.add(row, mode);
        }
        Ok(true)
    }

    /// The table an INSERT goes to (created from its column list if no CREATE TABLE came
    /// before), and for each value position its column index.
    fn insert_target(
        &mut self,
        line: u64,
        name: &str,
        physical: &str,
        columns: &[String],
    ) -> Result<Vec<usize>, DbError> {
        if !self.tables.contains_key(name) {
            if columns.is_empty() {
                return Err(self.err(
                    line,
                    format!("INSERT into `{physical}` has no column list and no CREATE TABLE comes before it"),
                ));
            }
            let n = columns.len();
            self.tables.insert(
                name.to_string(),
                Table::new(columns.to_vec(), vec![false; n], Vec::new()),
            );
        }
        let table = self.tables.get(name).expect("table present");
        if columns.is_empty() {
            return Ok((0..table.columns.len()).collect());
        }
        let mut map = Vec::with_capacity(columns.len());
        for c in columns {
            match table.columns.iter().position(|t| t == c) {
                Some(i) => map.push(i),
                None => {
                    return Err(self.err(
                        line,
                        format!(
                            "INSERT into `{physical}`: unknown column `{}`",
                            quoted_input(c)
                        ),
                    ));
                }
            }
        }
        Ok(map)
    }
}

/// Text that quotes dump input (sqlparser's error text, a value or a column name), with the inside
/// of every quoted literal masked: a dump's rows hold password hashes and tokens. Only for such
/// text: on m2auth's own messages it would garble a lone quote character.
///
/// [`crate::mask::redact_literals`] with SQL's escapes: the literals here are SQL as the dump
/// wrote it (sqlparser keeps them unescaped), so `\'` and `''` inside one do not end it. Plain
/// `redact_literals` would end the literal there and show the rest of the value.
fn quoted_input(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '\'' && c != '"' {
            continue;
        }
        let mut inner = String::new();
        let mut closed = false;
        while let Some(d) = chars.next() {
            // A backslash escapes the next character; a doubled quote is one quote.
            if d == '\\' || (d == c && chars.peek() == Some(&c)) {
                inner.push(d);
                inner.extend(chars.next());
            } else if d == c {
                closed = true;
                break;
            } else {
                inner.push(d);
            }
        }
        out.push_str(&crate::mask::mask(&inner));
        if closed {
            out.push(c);
        }
    }
    // One line whatever the input held (sqlparser quotes it with its new lines).
    crate::mask::one_line(&out)
}

/// The logical name of a physical table we keep, if it is one.
fn logical<'a>(prefix: &str, physical: &'a str) -> Option<&'a str> {
    let name = physical.strip_prefix(prefix)?;
    NEEDED_TABLES.contains(&name).then_some(name)
}

impl Database for DumpDb {
    fn describe(&self) -> DbDescription {
        DbDescription {
            source: super::Source::Dump,
            host: None,
            port: None,
            socket: None,
            name: None,
            table_prefix: self.table_prefix.clone(),
            dump: Some(self.path.clone()),
        }
    }

    fn has_table(&self, table: &str) -> Result<bool, DbError> {
        Ok(self.tables.contains_key(table))
    }

    fn rows(&self, table: &str, filter: &[(&str, SqlValue)]) -> Result<Vec<Row>, DbError> {
        let Some(t) = self.tables.get(table) else {
            return Ok(Vec::new());
        };
        let mut cols = Vec::with_capacity(filter.len());
        for (c, v) in filter {
            match t.columns.iter().position(|x| x == c) {
                Some(i) => cols.push((i, v)),
                None => {
                    return Err(DbError::Query {
                        table: table.to_string(),
                        message: format!("unknown column '{c}' in the dump's table"),
                    });
                }
            }
        }
        Ok(t.rows
            .iter()
            .filter(|r| cols.iter().all(|(i, v)| r[*i].sql_eq(v)))
            .map(|r| Row {
                columns: t.columns.clone(),
                values: r.clone(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::quoted_input;

    #[test]
    fn quoted_input_masks_whole_sql_literals() {
        const SECRET: &str = "S3cret-Passw0rd-Hash";
        for text in [
            format!("found: '{SECRET}' at Line: 1"),
            format!("found: 'a\\'{SECRET}' at Line: 1"),
            format!("found: 'a''{SECRET}' at Line: 1"),
            format!("found: \"a\\\"{SECRET}\" at Line: 1"),
            format!("found: 'a\\\\{SECRET}' at Line: 1"),
            format!("unsupported value CONCAT('x', '{SECRET}')"),
            format!("found: '{SECRET}"),
        ] {
            let shown = quoted_input(&text);
            assert!(!shown.contains("Passw0rd"), "{text} -> {shown}");
        }
        assert_eq!(
            quoted_input("found: 'S3cret-Passw0rd-Hash' at Line: 1, Column: 5"),
            "found: 'S3cr…Hash' at Line: 1, Column: 5"
        );
        assert_eq!(quoted_input("unknown column `c`"), "unknown column `c`");
        assert_eq!(quoted_input("found: '' at x"), "found: '' at x");
    }
}
