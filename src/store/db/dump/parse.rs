//! Kept statements (`CREATE TABLE`, `INSERT`, `REPLACE`) parsed with sqlparser's `MySqlDialect`.
//!
//! The tokenizer runs with `unescape(false)`: sqlparser would decode `\a`/`\f` (MySQL reads them
//! as `a`/`f`) and can only take UTF-8 text, while a dump may hold raw binary bytes inside
//! strings. So a statement that is not valid UTF-8 is read as Latin-1 (one char per byte), and
//! string literals are decoded here, mapping chars back to the original bytes.

use sqlparser::ast::{
    AssignmentTarget, ColumnOption, Expr, ObjectName, SetExpr, Statement, TableConstraint,
    TableObject, UnaryOperator, Value,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Tokenizer;

use crate::store::db::SqlValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InsertMode {
    Insert,
    Ignore,
    Replace,
}

pub(super) struct Created {
    pub table: String,
    pub columns: Vec<String>,
    /// Per column: FLOAT/DOUBLE/REAL (numbers with a fraction become `Float`, else `Text`).
    pub float: Vec<bool>,
    pub primary_key: Vec<String>,
}

pub(super) struct Inserted {
    pub table: String,
    /// The explicit column list; empty when the statement has none.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Expr>>,
    pub mode: InsertMode,
}

pub(super) enum Parsed {
    Create(Created),
    Insert(Inserted),
}

/// Parse one kept statement. The flag tells whether it was read as Latin-1 (pass it to [`value`]).
pub(super) fn parse(sql: &[u8]) -> Result<(Parsed, bool), String> {
    let latin1_text;
    let (text, latin1) = match std::str::from_utf8(sql) {
        Ok(t) => (t, false),
        Err(_) => {
            latin1_text = sql.iter().map(|&b| b as char).collect::<String>();
            (latin1_text.as_str(), true)
        }
    };
    let dialect = MySqlDialect {};
    let tokens = Tokenizer::new(&dialect, text)
        .with_unescape(false)
        .tokenize_with_location()
        .map_err(|e| e.to_string())?;
    let mut statements = Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| e.to_string())?;
    if statements.len() != 1 {
        return Err(format!(
            "expected one statement, found {}",
            statements.len()
        ));
    }
    let parsed = match statements.pop().expect("one statement") {
        Statement::CreateTable(ct) => {
            let table = last_ident(&ct.name, latin1)?;
            let mut columns = Vec::new();
            let mut float = Vec::new();
            let mut primary_key = Vec::new();
            for c in &ct.columns {
                let name = ident(&c.name.value, latin1);
                let ty = c.data_type.to_string().to_ascii_uppercase();
                float.push(
                    ty.starts_with("FLOAT") || ty.starts_with("DOUBLE") || ty.starts_with("REAL"),
                );
                if c.options
                    .iter()
                    .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
                {
                    primary_key = vec![name.clone()];
                }
                columns.push(name);
            }
            for k in &ct.constraints {
                if let TableConstraint::PrimaryKey(pk) = k {
                    primary_key.clear();
                    for ic in &pk.columns {
                        match &ic.column.expr {
                            Expr::Identifier(id) => primary_key.push(ident(&id.value, latin1)),
                            // A prefix or expression key: no duplicate handling for this table.
                            _ => {
                                primary_key.clear();
                                break;
                            }
                        }
                    }
                }
            }
            if columns.is_empty() {
                return Err(format!("CREATE TABLE {table} has no columns"));
            }
            Parsed::Create(Created {
                table,
                columns,
                float,
                primary_key,
            })
        }
        Statement::Insert(ins) => {
            let TableObject::TableName(name) = &ins.table else {
                return Err("INSERT into a table function".into());
            };
            let table = last_ident(name, latin1)?;
            let mode = if ins.replace_into {
                InsertMode::Replace
            } else if ins.ignore {
                InsertMode::Ignore
            } else {
                InsertMode::Insert
            };
            let mut columns = ins
                .columns
                .iter()
                .map(|c| last_ident(c, latin1))
                .collect::<Result<Vec<_>, _>>()?;
            let rows = if let Some(q) = ins.source {
                match *q.body {
                    SetExpr::Values(v) => v.rows.into_iter().map(|r| r.content).collect(),
                    other => {
                        return Err(format!(
                            "INSERT … {} is not a VALUES list",
                            first_word(&other.to_string())
                        ));
                    }
                }
            } else if !ins.assignments.is_empty() {
                // INSERT … SET a = 1, b = 2
                let mut row = Vec::new();
                columns.clear();
                for a in ins.assignments {
                    let AssignmentTarget::ColumnName(c) = &a.target else {
                        return Err("INSERT … SET with a tuple target".into());
                    };
                    columns.push(last_ident(c, latin1)?);
                    row.push(a.value);
                }
                vec![row]
            } else {
                return Err("INSERT without VALUES".into());
            };
            Parsed::Insert(Inserted {
                table,
                columns,
                rows,
                mode,
            })
        }
        other => {
            return Err(format!(
                "unexpected {} statement",
                first_word(&other.to_string())
            ));
        }
    };
    Ok((parsed, latin1))
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

/// Identifier text as the dump has it (sqlparser keeps doubled quotes with `unescape(false)`).
fn ident(s: &str, latin1: bool) -> String {
    let s = s.replace("``", "`");
    if latin1 {
        String::from_utf8_lossy(&to_bytes(&s, true)).into_owned()
    } else {
        s
    }
}

fn last_ident(name: &ObjectName, latin1: bool) -> Result<String, String> {
    let part = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .ok_or_else(|| format!("bad table name {name}"))?;
    Ok(ident(&part.value, latin1))
}

fn to_bytes(s: &str, latin1: bool) -> Vec<u8> {
    if latin1 {
        s.chars().map(|c| c as u32 as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

/// A string literal's raw content (between the quotes, escapes not yet decoded) to bytes, as
/// MySQL reads it: `\0 \b \n \r \t \Z` are control bytes, `\%` and `\_` stay two characters
/// (they only mean something in LIKE patterns), any other `\x` is `x`, a doubled quote is one.
pub(super) fn unescape(raw: &str, quote: char, latin1: bool) -> Vec<u8> {
    if latin1 {
        unescape_bytes(&to_bytes(raw, true), quote as u8)
    } else {
        unescape_bytes(raw.as_bytes(), quote as u8)
    }
}

/// [`unescape`] on bytes. Escapes are ASCII, so bytes of multi-byte characters pass unchanged.
pub(super) fn unescape_bytes(raw: &[u8], quote: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'\\' {
            match raw.get(i + 1) {
                Some(b'0') => out.push(0),
                Some(b'b') => out.push(8),
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                Some(b't') => out.push(b'\t'),
                Some(b'Z') => out.push(0x1a),
                Some(&c @ (b'%' | b'_')) => out.extend_from_slice(&[b'\\', c]),
                Some(&c) => out.push(c),
                None => out.push(b'\\'),
            }
            i += 2;
        } else {
            // Inside the content a quote only occurs doubled.
            out.push(b);
            i += if b == quote { 2 } else { 1 };
        }
    }
    out
}

pub(super) fn text_or_bytes(b: Vec<u8>) -> SqlValue {
    match String::from_utf8(b) {
        Ok(s) => SqlValue::Text(s),
        Err(e) => SqlValue::Bytes(e.into_bytes()),
    }
}

pub(super) fn hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|b| *b != b'_').collect();
    let mut padded = Vec::with_capacity(digits.len() + 1);
    if digits.len() % 2 == 1 {
        padded.push(b'0');
    }
    padded.extend_from_slice(&digits);
    padded
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad hex literal {s}"))
        })
        .collect()
}

pub(super) fn number(s: &str, negative: bool, float: bool) -> Result<SqlValue, String> {
    let signed = if negative {
        format!("-{s}")
    } else {
        s.to_string()
    };
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        if let Ok(i) = signed.parse::<i64>() {
            return Ok(SqlValue::Int(i));
        }
        if let Ok(u) = signed.parse::<u64>() {
            return Ok(SqlValue::UInt(u));
        }
        // Wider than 64 bits (DECIMAL(30,0)): keep the digits.
        return Ok(SqlValue::Text(signed));
    }
    if float {
        return signed
            .parse::<f64>()
            .map(SqlValue::Float)
            .map_err(|_| format!("bad number {signed}"));
    }
    if signed.parse::<f64>().is_err() {
        return Err(format!("bad number {signed}"));
    }
    // DECIMAL and friends: exactly as written, as MySQL prints them (`12.5000`).
    Ok(SqlValue::Text(signed))
}

/// A number value with a leading `-` (or `+`) applied, as MySQL reads `-5`.
pub(super) fn signed(v: SqlValue, negative: bool) -> Option<SqlValue> {
    match v {
        SqlValue::Int(i) if negative => i.checked_neg().map(SqlValue::Int),
        SqlValue::UInt(u) if negative => Some(if u == i64::MAX as u64 + 1 {
            SqlValue::Int(i64::MIN)
        } else {
            SqlValue::Text(format!("-{u}"))
        }),
        SqlValue::Float(f) if negative => Some(SqlValue::Float(-f)),
        SqlValue::Text(t) if negative && !t.starts_with('-') && t.parse::<f64>().is_ok() => {
            Some(SqlValue::Text(format!("-{t}")))
        }
        v @ (SqlValue::Int(_) | SqlValue::UInt(_) | SqlValue::Float(_)) if !negative => Some(v),
        _ => None,
    }
}

/// One value of a VALUES row. `float`: the column is FLOAT/DOUBLE.
pub(super) fn value(e: &Expr, latin1: bool, float: bool) -> Result<SqlValue, String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Null => Ok(SqlValue::Null),
            Value::Number(s, _) => number(s, false, float),
            Value::SingleQuotedString(s) => Ok(text_or_bytes(unescape(s, '\'', latin1))),
            Value::DoubleQuotedString(s) => Ok(text_or_bytes(unescape(s, '"', latin1))),
            Value::HexStringLiteral(s) => Ok(SqlValue::Bytes(hex(s)?)),
            Value::SingleQuotedByteStringLiteral(s) | Value::DoubleQuotedByteStringLiteral(s) => {
                u64::from_str_radix(s, 2)
                    .map(SqlValue::UInt)
                    .map_err(|_| format!("bad bit literal b'{s}'"))
            }
            Value::Boolean(b) => Ok(SqlValue::Int(*b as i64)),
            other => Err(format!("unsupported value {other}")),
        },
        Expr::UnaryOp { op, expr } => {
            let negative = match op {
                UnaryOperator::Minus => true,
                UnaryOperator::Plus => false,
                _ => return Err(format!("unsupported value {e}")),
            };
            signed(value(expr, latin1, float)?, negative)
                .ok_or_else(|| format!("unsupported value {e}"))
        }
        Expr::Prefixed {
            prefix,
            value: inner,
        } => {
            let binary = prefix.value.eq_ignore_ascii_case("_binary");
            match value(inner, latin1, float)? {
                SqlValue::Text(t) if binary => Ok(SqlValue::Bytes(t.into_bytes())),
                v => Ok(v),
            }
        }
        _ => Err(format!("unsupported value {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_row(sql: &str) -> Vec<SqlValue> {
        let (Parsed::Insert(ins), latin1) = parse(sql.as_bytes()).unwrap() else {
            panic!("not an insert")
        };
        ins.rows[0]
            .iter()
            .map(|e| value(e, latin1, false).unwrap())
            .collect()
    }

    #[test]
    fn values_and_escapes() {
        let row = one_row(
            r#"INSERT INTO t VALUES (1,-2,18446744073709551615,12.5000,-0.5,NULL,'a\'b''c\"d\\e\0\b\n\r\t\Z\%\_\q',"x""y",_binary 'ab\0',X'4142',0x4344,b'101',TRUE,-9223372036854775808)"#,
        );
        assert_eq!(row[0], SqlValue::Int(1));
        assert_eq!(row[1], SqlValue::Int(-2));
        assert_eq!(row[2], SqlValue::UInt(u64::MAX));
        assert_eq!(row[3], SqlValue::Text("12.5000".into()));
        assert_eq!(row[4], SqlValue::Text("-0.5".into()));
        assert_eq!(row[5], SqlValue::Null);
        assert_eq!(
            row[6],
            SqlValue::Text("a'b'c\"d\\e\0\u{8}\n\r\t\u{1a}\\%\\_q".into())
        );
        assert_eq!(row[7], SqlValue::Text("x\"y".into()));
        assert_eq!(row[8], SqlValue::Bytes(b"ab\0".to_vec()));
        assert_eq!(row[9], SqlValue::Bytes(b"AB".to_vec()));
        assert_eq!(row[10], SqlValue::Bytes(b"CD".to_vec()));
        assert_eq!(row[11], SqlValue::UInt(5));
        assert_eq!(row[12], SqlValue::Int(1));
        assert_eq!(row[13], SqlValue::Int(i64::MIN));
    }

    #[test]
    fn float_columns() {
        let (Parsed::Insert(ins), _) = parse(b"INSERT INTO t VALUES (1.5e3)").unwrap() else {
            panic!()
        };
        assert_eq!(
            value(&ins.rows[0][0], false, true).unwrap(),
            SqlValue::Float(1500.0)
        );
    }

    #[test]
    fn latin1_fallback_keeps_raw_bytes() {
        let mut sql = b"INSERT INTO t VALUES ('\xff\xfe\\'x','caf\xc3\xa9')".to_vec();
        let (Parsed::Insert(ins), latin1) = parse(&sql).unwrap() else {
            panic!()
        };
        assert!(latin1);
        assert_eq!(
            value(&ins.rows[0][0], latin1, false).unwrap(),
            SqlValue::Bytes(b"\xff\xfe'x".to_vec())
        );
        assert_eq!(
            value(&ins.rows[0][1], latin1, false).unwrap(),
            SqlValue::Text("café".into())
        );
        sql.truncate(10);
        assert!(parse(&sql).is_err());
    }
}
