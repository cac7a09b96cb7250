//! The PHP value evaluator under the parser: what an expression evaluates to ([`Ev`]), PHP's
//! conversions and operators on values (truthiness, casts, numeric strings, `.` `+` `-` `*` `/`
//! `%` and comparisons), assigning into arrays by key path, and the caps on what evaluating one
//! file may cost ([`Budget`]).
//!
//! Hand-written for the same reason as the parser (see `super`): the PHP subset of env.php, with
//! values that may be unknown, has no maintained crate.

use std::rc::Rc;

use super::lexer::{Cast, Src};
use super::{Array, Entry, EnvPhpError, Key, Unresolved, Value};

// Caps on what evaluating one file may cost, so that a small hostile file cannot take gigabytes
// or minutes (`$a[] = $a;` doubles an array, `$a = $a . $a;` a string, closures calling closures
// multiply the work). Going over one is an `EnvPhpError` at the expression. Real files (≤ ~100 KB)
// stay orders of magnitude below them.

/// Longest string built by evaluation (`.`, interpolation); literals are bounded by the file.
pub(crate) const MAX_STRING: usize = 1 << 20;
/// Array entries created while evaluating (literals, copies of variables, assignments); a file
/// bigger than this many bytes may create one per byte.
pub(crate) const MAX_NODES: usize = 1_000_000;
/// String bytes created while evaluating (literals, copies, concatenations, environment
/// values); a file bigger than half of this may create two per byte.
pub(super) const MAX_STRING_BYTES: usize = 64 << 20;
/// Closure calls evaluated in all.
pub(super) const MAX_CALLS_TOTAL: usize = 25_000;
/// Source bytes lexed in all (expressions are read again when skipped or called); plus 32 per
/// byte of the file.
pub(super) const MAX_WORK: usize = 32 << 20;

/// The result of evaluating an expression.
#[derive(Debug, Clone)]
pub(super) enum Ev {
    /// A known value (an array may still hold non-literals inside).
    Val(Value),
    /// An environment lookup the environment could not answer; holds what PHP would give when the
    /// variable is unset (`getenv` → `false`, `$_ENV[…]` → `null`). Only `??`, `?:`, ternaries,
    /// `isset` and `empty` use it: anywhere else the real value is unknown.
    Unset(Value),
    /// A class or global constant: a non-literal value, but a fine array key.
    Const(String),
    /// `$_ENV` or `$_SERVER`, waiting for its `['NAME']`.
    Env,
    /// A closure whose body is a single `return <expr>;` (or an arrow function).
    Closure(Rc<Closure>),
    Unknown,
}

#[derive(Debug)]
pub(super) struct Closure {
    pub(super) params: Vec<(String, Option<Ev>)>,
    /// Byte offset of the returned expression; `None` for a body we cannot evaluate.
    pub(super) body: Option<usize>,
    pub(super) arrow: bool,
}

/// What evaluation has cost so far, against the caps above.
pub(super) struct Budget {
    pub(super) nodes: usize,
    pub(super) max_nodes: usize,
    pub(super) bytes: usize,
    pub(super) max_bytes: usize,
    pub(super) calls: usize,
    pub(super) work: usize,
    pub(super) max_work: usize,
    /// A cap was hit: the error must reach the caller even where errors are otherwise
    /// recovered from (a closure body that is not evaluated is skipped).
    pub(super) exhausted: bool,
}

impl Budget {
    pub(super) fn new(src_len: usize) -> Self {
        Budget {
            nodes: 0,
            max_nodes: MAX_NODES.max(src_len),
            bytes: 0,
            max_bytes: MAX_STRING_BYTES.max(src_len.saturating_mul(2)),
            calls: 0,
            work: 0,
            max_work: MAX_WORK.saturating_add(src_len.saturating_mul(32)),
            exhausted: false,
        }
    }

    /// Count `nodes` array entries and `bytes` string bytes about to be created at `pos`.
    pub(super) fn charge(
        &mut self,
        src: &Src,
        pos: usize,
        nodes: usize,
        bytes: usize,
    ) -> Result<(), EnvPhpError> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.nodes > self.max_nodes {
            let n = self.max_nodes;
            return Err(self.fail(
                src,
                pos,
                format!(
                    "value too large (over {n} array entries evaluated: is an array copied into itself?)"
                ),
            ));
        }
        if self.bytes > self.max_bytes {
            let mib = self.max_bytes >> 20;
            return Err(self.fail(
                src,
                pos,
                format!("value too large (over {mib} MiB of strings evaluated)"),
            ));
        }
        Ok(())
    }

    /// Check a string built by evaluation and count its bytes.
    pub(super) fn string(&mut self, src: &Src, pos: usize, len: usize) -> Result<(), EnvPhpError> {
        if len > MAX_STRING {
            let mib = MAX_STRING >> 20;
            return Err(self.fail(
                src,
                pos,
                format!("value too large (a string over {mib} MiB)"),
            ));
        }
        self.charge(src, pos, 0, len)
    }

    pub(super) fn fail(&mut self, src: &Src, pos: usize, msg: String) -> EnvPhpError {
        self.exhausted = true;
        src.err(pos, msg)
    }
}

/// Array entries, string bytes and array nesting depth of a value.
pub(super) fn size_of(v: &Value) -> (usize, usize, usize) {
    match v {
        Value::Str(s) => (0, s.len(), 0),
        Value::NonLiteral(n) => (0, n.text.len(), 0),
        Value::Array(a) => {
            let (mut nodes, mut bytes, mut depth) = (a.entries.len(), 0, 0);
            for e in &a.entries {
                bytes += match &e.key {
                    Key::Str(k) | Key::Const(k) => k.len(),
                    Key::Int(_) => 0,
                };
                let (n, b, d) = size_of(&e.value);
                nodes += n;
                bytes += b;
                depth = depth.max(d);
            }
            (nodes, bytes, depth + 1)
        }
        _ => (0, 0, 0),
    }
}

pub(super) fn size_of_ev(ev: &Ev) -> (usize, usize, usize) {
    match ev {
        Ev::Val(v) | Ev::Unset(v) => size_of(v),
        Ev::Const(c) => (0, c.len(), 0),
        _ => (0, 0, 0),
    }
}

/// PHP truthiness where it is known; `Unset` counts as its unset value.
pub(super) fn truthy(v: &Ev) -> Option<bool> {
    match v {
        Ev::Val(v) | Ev::Unset(v) => Some(v.is_truthy()),
        Ev::Closure(_) => Some(true),
        _ => None,
    }
}

pub(super) fn truthy_known(v: &Ev) -> Option<bool> {
    match v {
        Ev::Val(v) => Some(v.is_truthy()),
        _ => None,
    }
}

/// A numeric string's leading number, as PHP's `(int)`/`(float)` casts read it.
pub(super) fn leading_number(s: &str) -> f64 {
    let s = s.trim_start();
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    (1..=i)
        .rev()
        .find_map(|n| s[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

pub(super) fn cast(c: Cast, v: Ev) -> Ev {
    let Ev::Val(v) = v else { return Ev::Unknown };
    let num = |v: &Value| match v {
        Value::Str(s) => Some(leading_number(s)),
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Bool(b) => Some(*b as i64 as f64),
        Value::Null => Some(0.0),
        _ => None,
    };
    Ev::Val(match (c, &v) {
        (Cast::Int, Value::Int(_)) => v,
        (Cast::Int, Value::Str(s)) if s.trim().parse::<i64>().is_ok() => {
            Value::Int(s.trim().parse().unwrap_or(0))
        }
        (Cast::Int, _) => match num(&v) {
            Some(f) if f.is_finite() => Value::Int(f as i64),
            Some(_) => Value::Int(0),
            None => return Ev::Unknown,
        },
        (Cast::Float, _) => match num(&v) {
            Some(f) => Value::Float(f),
            None => return Ev::Unknown,
        },
        (Cast::Str, _) => match v.as_string() {
            Some(s) => Value::Str(s),
            None => return Ev::Unknown,
        },
        (Cast::Bool, Value::NonLiteral(_)) => return Ev::Unknown,
        (Cast::Bool, _) => Value::Bool(v.is_truthy()),
        (Cast::Other, _) => return Ev::Unknown,
    })
}

pub(super) fn num_value(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

pub(super) fn binop(op: &str, l: Ev, r: Ev) -> Ev {
    match op {
        "||" => match (truthy_known(&l), truthy_known(&r)) {
            (Some(true), _) | (_, Some(true)) => Ev::Val(Value::Bool(true)),
            (Some(false), Some(false)) => Ev::Val(Value::Bool(false)),
            _ => Ev::Unknown,
        },
        "&&" => match (truthy_known(&l), truthy_known(&r)) {
            (Some(false), _) | (_, Some(false)) => Ev::Val(Value::Bool(false)),
            (Some(true), Some(true)) => Ev::Val(Value::Bool(true)),
            _ => Ev::Unknown,
        },
        _ => {
            let (Ev::Val(l), Ev::Val(r)) = (l, r) else {
                return Ev::Unknown;
            };
            binop_values(op, &l, &r).map_or(Ev::Unknown, Ev::Val)
        }
    }
}

pub(super) fn binop_values(op: &str, l: &Value, r: &Value) -> Option<Value> {
    let scalar = |v: &Value| !matches!(v, Value::Array(_) | Value::NonLiteral(_));
    if !scalar(l) || !scalar(r) {
        return None;
    }
    Some(match op {
        "." => Value::Str(l.as_string()? + &r.as_string()?),
        "===" | "!==" => {
            let same = match (l, r) {
                (Value::Float(a), Value::Float(b)) => a == b,
                _ => std::mem::discriminant(l) == std::mem::discriminant(r) && l == r,
            };
            Value::Bool(same == (op == "==="))
        }
        "==" | "!=" | "<>" => {
            let eq = match (l, r) {
                (Value::Bool(_), _) | (_, Value::Bool(_)) | (Value::Null, _) | (_, Value::Null) => {
                    l.is_truthy() == r.is_truthy()
                }
                (Value::Str(a), Value::Str(b)) => a == b,
                _ => num_value(l)? == num_value(r)?,
            };
            Value::Bool(eq == (op == "=="))
        }
        "<" | "<=" | ">" | ">=" => {
            let (a, b) = (num_value(l)?, num_value(r)?);
            Value::Bool(match op {
                "<" => a < b,
                "<=" => a <= b,
                ">" => a > b,
                _ => a >= b,
            })
        }
        _ => match (l, r) {
            (Value::Int(a), Value::Int(b)) => match op {
                "+" => a
                    .checked_add(*b)
                    .map_or(Value::Float(*a as f64 + *b as f64), Value::Int),
                "-" => a
                    .checked_sub(*b)
                    .map_or(Value::Float(*a as f64 - *b as f64), Value::Int),
                "*" => a
                    .checked_mul(*b)
                    .map_or(Value::Float(*a as f64 * *b as f64), Value::Int),
                "/" if *b == 0 => return None,
                // PHP: an exact quotient is an int, anything else (PHP_INT_MIN / -1 too, which
                // overflows) a float. Checked: `i64::MIN % -1` and `i64::MIN / -1` overflow in Rust.
                "/" => match (a.checked_rem(*b), a.checked_div(*b)) {
                    (Some(0), Some(q)) => Value::Int(q),
                    _ => Value::Float(*a as f64 / *b as f64),
                },
                "%" if *b == 0 => return None,
                // PHP's `%` by -1 is 0 for every int, PHP_INT_MIN included.
                "%" if *b == -1 => Value::Int(0),
                "%" => Value::Int(a.checked_rem(*b)?),
                _ => return None,
            },
            _ => {
                let (a, b) = (num_value(l)?, num_value(r)?);
                match op {
                    "+" => Value::Float(a + b),
                    "-" => Value::Float(a - b),
                    "*" => Value::Float(a * b),
                    "/" if b != 0.0 => Value::Float(a / b),
                    _ => return None,
                }
            }
        },
    })
}

/// `$a['x'][] = v`: set a value deep in an array, creating arrays as needed.
pub(super) fn set_path(a: &mut Array, path: &[Option<Key>], value: Value, line: u32) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let key = match first {
        Some(k) => k.clone(),
        None => Key::Int(
            a.entries
                .iter()
                .filter_map(|e| {
                    if let Key::Int(i) = e.key {
                        Some(i + 1)
                    } else {
                        None
                    }
                })
                .max()
                .unwrap_or(0),
        ),
    };
    let pos = a.entries.iter().rposition(|e| e.key == key);
    if rest.is_empty() {
        match pos {
            Some(p) => a.entries[p].value = value,
            None => a.entries.push(Entry { key, value, line }),
        }
        return true;
    }
    let p = match pos {
        Some(p) => p,
        None => {
            a.entries.push(Entry {
                key,
                value: Value::Array(Array::default()),
                line,
            });
            a.entries.len() - 1
        }
    };
    let entry = &mut a.entries[p];
    if matches!(entry.value, Value::Null) {
        entry.value = Value::Array(Array::default());
    }
    match &mut entry.value {
        Value::Array(inner) => set_path(inner, rest, value, line),
        _ => false,
    }
}

pub(super) fn collect_unresolved(a: &Array, prefix: &str, out: &mut Vec<Unresolved>) {
    for e in &a.entries {
        let path = if prefix.is_empty() {
            e.key.as_segment()
        } else {
            format!("{prefix}/{}", e.key.as_segment())
        };
        match &e.value {
            Value::NonLiteral(n) => out.push(Unresolved {
                path,
                line: n.line,
                text: n.text.clone(),
            }),
            Value::Array(inner) => collect_unresolved(inner, &path, out),
            _ => {}
        }
    }
}
