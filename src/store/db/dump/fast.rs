//! A fast reader for the `VALUES (…),(…)` lists that dumps are made of.
//!
//! sqlparser builds a full AST (tokens with spans, one `Expr` per value) and reads kept rows at
//! only ~6 MB/s, which makes a 500k-row `oauth_token` take seconds. This reader handles the
//! literal forms dumps use (NULL, numbers, quoted strings, introducers, hex and bit literals,
//! TRUE/FALSE) with the same value rules as [`super::parse::value`] and gives up (`None`) on
//! anything else — comments, expressions, wrong row widths — so that sqlparser reads those
//! statements and reports their errors.

use super::parse::{hex, number, signed, text_or_bytes, unescape_bytes};
use crate::store::db::SqlValue;

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> P<'a> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// A quoted string starting at the quote; its raw content.
    fn quoted(&mut self) -> Option<&[u8]> {
        let q = self.peek()?;
        let start = self.i + 1;
        let mut j = start;
        loop {
            let k = memchr::memchr2(q, b'\\', &self.s[j..])? + j;
            if self.s[k] == b'\\' {
                j = k + 2;
                if j > self.s.len() {
                    return None;
                }
            } else if self.s.get(k + 1) == Some(&q) {
                j = k + 2;
            } else {
                self.i = k + 1;
                return Some(&self.s[start..k]);
            }
        }
    }

    fn word(&mut self) -> &'a [u8] {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    fn value(&mut self, float: bool) -> Option<SqlValue> {
        let b = self.peek()?;
        match b {
            b'\'' | b'"' => {
                let raw = self.quoted()?;
                Some(text_or_bytes(unescape_bytes(raw, b)))
            }
            b'-' | b'+' => {
                self.i += 1;
                if !self.peek()?.is_ascii_digit() && self.peek()? != b'.' {
                    return None;
                }
                signed(self.value(float)?, b == b'-')
            }
            b'0'..=b'9' | b'.' => {
                let s = self.s;
                if b == b'0' && matches!(s.get(self.i + 1), Some(b'x' | b'X')) {
                    self.i += 2;
                    let w = self.word();
                    return hex(std::str::from_utf8(w).ok()?).ok().map(SqlValue::Bytes);
                }
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == b'.') {
                    self.i += 1;
                }
                if matches!(self.peek(), Some(b'e' | b'E')) {
                    self.i += 1;
                    if matches!(self.peek(), Some(b'+' | b'-')) {
                        self.i += 1;
                    }
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                }
                if self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    return None;
                }
                let text = std::str::from_utf8(&s[start..self.i]).ok()?;
                number(text, false, float).ok()
            }
            _ => {
                let w = self.word();
                if w.eq_ignore_ascii_case(b"NULL") {
                    Some(SqlValue::Null)
                } else if w.eq_ignore_ascii_case(b"TRUE") {
                    Some(SqlValue::Int(1))
                } else if w.eq_ignore_ascii_case(b"FALSE") {
                    Some(SqlValue::Int(0))
                } else if (w == b"x" || w == b"X") && self.peek() == Some(b'\'') {
                    let raw = self.quoted()?;
                    hex(std::str::from_utf8(raw).ok()?)
                        .ok()
                        .map(SqlValue::Bytes)
                } else if (w == b"b" || w == b"B") && self.peek() == Some(b'\'') {
                    let raw = self.quoted()?;
                    u64::from_str_radix(std::str::from_utf8(raw).ok()?, 2)
                        .ok()
                        .map(SqlValue::UInt)
                } else if w.len() > 1 && w[0] == b'_' {
                    let binary = w.eq_ignore_ascii_case(b"_binary");
                    self.ws();
                    if !matches!(self.peek(), Some(b'\'' | b'"' | b'x' | b'X' | b'0')) {
                        return None;
                    }
                    match self.value(float)? {
                        SqlValue::Text(t) if binary => Some(SqlValue::Bytes(t.into_bytes())),
                        v @ (SqlValue::Text(_) | SqlValue::Bytes(_)) => Some(v),
                        _ => None,
                    }
                } else {
                    None
                }
            }
        }
    }
}

/// The rows of `values` (from the first `(` to the end of the statement), each value placed at
/// `map[k]` in a row of `width` columns; `float[c]` tells FLOAT/DOUBLE columns.
pub(super) fn rows(
    values: &[u8],
    map: &[usize],
    width: usize,
    float: &[bool],
) -> Option<Vec<Vec<SqlValue>>> {
    if map.is_empty() {
        return None;
    }
    let mut p = P { s: values, i: 0 };
    let mut rows = Vec::new();
    loop {
        p.ws();
        if p.peek()? != b'(' {
            return None;
        }
        p.i += 1;
        let mut row = vec![SqlValue::Null; width];
        for (k, &c) in map.iter().enumerate() {
            p.ws();
            row[c] = p.value(float[c])?;
            p.ws();
            let want = if k + 1 == map.len() { b')' } else { b',' };
            if p.peek()? != want {
                return None;
            }
            p.i += 1;
        }
        rows.push(row);
        p.ws();
        match p.peek() {
            Some(b',') => p.i += 1,
            None => return Some(rows),
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::head::insert_header;
    use super::super::parse::{Parsed, parse, value};
    use super::*;

    fn fast(sql: &[u8], float: &[bool]) -> Option<Vec<Vec<SqlValue>>> {
        let h = insert_header(sql)?;
        let map: Vec<usize> = (0..float.len()).collect();
        rows(&sql[h.values_at..], &map, float.len(), float)
    }

    fn slow(sql: &[u8], float: &[bool]) -> Vec<Vec<SqlValue>> {
        let (Parsed::Insert(ins), latin1) = parse(sql).unwrap() else {
            panic!()
        };
        ins.rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(float)
                    .map(|(e, f)| value(e, latin1, *f).unwrap())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn same_values_as_sqlparser() {
        let cases: &[(&[u8], &[bool])] = &[
            (br#"INSERT INTO `t` VALUES ('\0\'\"\b\n\r\t\Z\\\%\_\q''x',"dq""\'",''),('semi;colon','),(','-- x /* y')"#, &[false; 3]),
            (b"INSERT INTO t VALUES (1,-2,18446744073709551615,18446744073709551616,-9223372036854775808,-18446744073709551615,+7)", &[false; 7]),
            (b"INSERT INTO t VALUES (12.5000,-0.0100,.5,1e3,1.5E-3,-2.5e1,12.5000,1e3)", &[false, false, false, false, false, true, true, true]),
            (b"INSERT INTO t VALUES (NULL,null,TRUE,false,X'DEADbeef',x'',0xCAFE,0x0,b'101',B'0')", &[false; 10]),
            (b"INSERT INTO t VALUES (_binary 'ab\\0c',_binary'',_utf8mb4 'caf\xc3\xa9',_binary X'41',_latin1\"x\")", &[false; 5]),
            (b"INSERT INTO t VALUES ('\xff\xfe\\'x','caf\xc3\xa9')", &[false; 2]),
            (b"INSERT IGNORE INTO `db`.`t` (`a`, `b`) VALUES\n(1, 'multi\nline'),\n (2 , 'x' ) ", &[false; 2]),
            (b"REPLACE INTO t VALUE (1)", &[false]),
        ];
        for (sql, float) in cases {
            let f = fast(sql, float)
                .unwrap_or_else(|| panic!("fast path gave up on {}", String::from_utf8_lossy(sql)));
            assert_eq!(f, slow(sql, float), "{}", String::from_utf8_lossy(sql));
        }
    }

    #[test]
    fn gives_up_on_the_unusual() {
        for sql in [
            "INSERT INTO t VALUES (NOW())",
            "INSERT INTO t VALUES (1 /* c */)",
            "INSERT INTO t VALUES (- 1)",
            "INSERT INTO t VALUES (1+1)",
            "INSERT INTO t VALUES (1),(2,3)",
            "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a=1",
            "INSERT INTO t VALUES (1.2.3)",
            "INSERT INTO t VALUES ('open",
            "INSERT INTO t VALUES (1",
            "INSERT INTO t VALUES (1),",
            "INSERT INTO t SET a=1",
            "INSERT LOW_PRIORITY INTO t VALUES (1)",
            "INSERT INTO t VALUES (0xZZ)",
        ] {
            assert_eq!(fast(sql.as_bytes(), &[false]), None, "{sql}");
        }
    }
}
