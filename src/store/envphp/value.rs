//! The value model of a PHP array literal file (`app/etc/env.php`, `app/etc/config.php`).
//!
//! Order is kept (PHP arrays are ordered), every entry remembers the line it was written on so
//! findings can cite `file:app/etc/env.php:LINE`, and a value that is not a literal (a `getenv()`
//! call the environment cannot answer, a variable…) is kept as [`Value::NonLiteral`] so the rest
//! of the file still works.

use std::fmt;

/// An array key as written: `'db'`, `0`, or a class constant such as `\PDO::MYSQL_ATTR_SSL_CA`.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Int(i64),
    Str(String),
    /// A class constant key, kept as written without the leading backslash (`PDO::MYSQL_ATTR_SSL_CA`).
    Const(String),
}

impl Key {
    /// The key as a path segment: strings as they are, ints in decimal, constants by name.
    pub fn as_segment(&self) -> String {
        match self {
            Key::Int(i) => i.to_string(),
            Key::Str(s) => s.clone(),
            Key::Const(c) => c.clone(),
        }
    }

    fn matches(&self, segment: &str) -> bool {
        match self {
            Key::Str(s) => s == segment,
            Key::Int(i) => segment.parse::<i64>().ok() == Some(*i),
            Key::Const(c) => c == segment || c.rsplit("::").next() == Some(segment),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_segment())
    }
}

/// One `key => value` of an array, with the 1-based line the key (or the value, for list items)
/// starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Key,
    pub value: Value,
    pub line: u32,
}

/// An ordered PHP array.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Array {
    pub entries: Vec<Entry>,
}

impl Array {
    /// The entry for one key (the last one wins, as in PHP).
    pub fn entry(&self, segment: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key.matches(segment))
    }

    pub fn get(&self, segment: &str) -> Option<&Value> {
        self.entry(segment).map(|e| &e.value)
    }

    /// Follow a `/`-separated path such as `db/connection/default/host`.
    pub fn entry_at(&self, path: &str) -> Option<&Entry> {
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let mut entry = self.entry(segments.next()?)?;
        for seg in segments {
            entry = entry.value.as_array()?.entry(seg)?;
        }
        Some(entry)
    }

    pub fn get_path(&self, path: &str) -> Option<&Value> {
        self.entry_at(path).map(|e| &e.value)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }
}

/// A value of the file. Anything that is not a PHP literal and could not be resolved from the
/// environment is a [`Value::NonLiteral`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Array),
    NonLiteral(NonLiteral),
}

/// A value m2auth could not evaluate, e.g. `getenv('DB_PASS')` with no such variable set.
#[derive(Debug, Clone, PartialEq)]
pub struct NonLiteral {
    /// The source text of the expression, trimmed (may be shortened).
    pub text: String,
    pub line: u32,
}

impl Value {
    pub fn as_array(&self) -> Option<&Array> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A scalar as PHP's `(string)` cast would give it (`true` → `1`, `false`/`null` → empty).
    /// Arrays and non-literals give `None`.
    pub fn as_string(&self) -> Option<String> {
        match self {
            Value::Null => Some(String::new()),
            Value::Bool(true) => Some("1".into()),
            Value::Bool(false) => Some(String::new()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(php_float_to_string(*f)),
            Value::Str(s) => Some(s.clone()),
            Value::Array(_) | Value::NonLiteral(_) => None,
        }
    }

    /// A scalar as PHP's `(int)` cast of a numeric value would give it.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            Value::Float(f) => Some(*f as i64),
            Value::Str(s) => s.trim().parse::<i64>().ok(),
            Value::Null => Some(0),
            _ => None,
        }
    }

    /// PHP truthiness for scalars (`'0'`, `''`, `0`, `null`, `false` are false).
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !(s.is_empty() || s == "0"),
            Value::Array(a) => !a.is_empty(),
            Value::NonLiteral(_) => false,
        }
    }

    pub fn non_literal(&self) -> Option<&NonLiteral> {
        match self {
            Value::NonLiteral(n) => Some(n),
            _ => None,
        }
    }
}

fn php_float_to_string(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A parsed file: its top-level returned array and every value that could not be evaluated,
/// by path, so callers can say "db/connection/default/password: not a literal at line 12".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub root: Array,
    pub unresolved: Vec<Unresolved>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unresolved {
    /// `/`-separated path of the key whose value is not a literal.
    pub path: String,
    pub line: u32,
    pub text: String,
}

impl Document {
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.root.get_path(path)
    }

    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.root.entry_at(path)
    }

    /// The scalar at `path` as a string, if it is a literal scalar.
    pub fn string(&self, path: &str) -> Option<String> {
        self.get(path).and_then(Value::as_string)
    }

    pub fn line(&self, path: &str) -> Option<u32> {
        self.entry(path).map(|e| e.line)
    }

    /// If the value at `path` (or one of its parents) is not a literal, the reason.
    pub fn unresolved_at(&self, path: &str) -> Option<&Unresolved> {
        self.unresolved
            .iter()
            .find(|u| path == u.path || path.starts_with(&format!("{}/", u.path)))
    }
}
