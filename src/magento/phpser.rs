//! PHP's `unserialize()` for the values Magento's caches hold: the file cache's metadata line
//! (`a:4:{s:4:"hash";…}`) and the scoped configuration tree (`serialize($data)` of nested arrays
//! of strings, ints, floats, booleans and nulls).
//!
//! Written by hand: the format is six small productions, and the PHP crates on crates.io either
//! target serde structs (the configuration tree has no fixed shape) or are unmaintained. Objects
//! are not needed (Magento serializes plain arrays here, and reads them with
//! `allowed_classes => false`): an `O:`/`C:` value is an error, as are references.

/// One PHP value.
#[derive(Debug, Clone, PartialEq)]
pub enum PhpValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// PHP strings are bytes.
    Str(Vec<u8>),
    /// An ordered array, keys as PHP keeps them.
    Array(Vec<(PhpKey, PhpValue)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhpKey {
    Int(i64),
    Str(String),
}

impl PhpKey {
    pub fn as_string(&self) -> String {
        match self {
            PhpKey::Int(i) => i.to_string(),
            PhpKey::Str(s) => s.clone(),
        }
    }
}

impl PhpValue {
    /// The entry under `key` of an array.
    pub fn get(&self, key: &str) -> Option<&PhpValue> {
        match self {
            PhpValue::Array(items) => items
                .iter()
                .find(|(k, _)| k.as_string() == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entry at a `/`-separated path of array keys.
    pub fn at(&self, path: &str) -> Option<&PhpValue> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .try_fold(self, |v, seg| v.get(seg))
    }

    /// The value as PHP's `(string)` cast gives it for scalars (`null` → `""`, `true` → `"1"`,
    /// `false` → `""`); `None` for arrays.
    pub fn as_php_string(&self) -> Option<String> {
        Some(match self {
            PhpValue::Null | PhpValue::Bool(false) => String::new(),
            PhpValue::Bool(true) => "1".into(),
            PhpValue::Int(i) => i.to_string(),
            PhpValue::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    format!("{}", *f as i64)
                } else {
                    f.to_string()
                }
            }
            PhpValue::Str(b) => String::from_utf8_lossy(b).into_owned(),
            PhpValue::Array(_) => return None,
        })
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            PhpValue::Int(i) => Some(*i),
            PhpValue::Str(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a PHP serialized value (at byte {at}: {what})")]
pub struct UnserializeError {
    pub at: usize,
    pub what: &'static str,
}

/// `unserialize($bytes)`: the first value; what follows it is ignored (as PHP does).
pub fn unserialize(bytes: &[u8]) -> Result<PhpValue, UnserializeError> {
    let mut p = Parser { b: bytes, i: 0 };
    p.value(0)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> UnserializeError {
        UnserializeError { at: self.i, what }
    }

    fn expect(&mut self, c: u8) -> Result<(), UnserializeError> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err("unexpected byte"))
        }
    }

    /// Text up to (not including) `end`, which is consumed.
    fn until(&mut self, end: u8) -> Result<&str, UnserializeError> {
        let start = self.i;
        let len = self.b[start..]
            .iter()
            .position(|&c| c == end)
            .ok_or_else(|| self.err("unterminated value"))?;
        self.i = start + len + 1;
        std::str::from_utf8(&self.b[start..start + len]).map_err(|_| self.err("not text"))
    }

    fn int(&mut self, end: u8) -> Result<i64, UnserializeError> {
        let t = self.until(end)?;
        t.parse().map_err(|_| UnserializeError {
            at: self.i,
            what: "bad integer",
        })
    }

    fn value(&mut self, depth: usize) -> Result<PhpValue, UnserializeError> {
        if depth > 512 {
            return Err(self.err("nested too deep"));
        }
        let tag = *self.b.get(self.i).ok_or_else(|| self.err("end of data"))?;
        self.i += 1;
        if tag == b'N' {
            self.expect(b';')?;
            return Ok(PhpValue::Null);
        }
        self.expect(b':')?;
        match tag {
            b'b' => Ok(PhpValue::Bool(self.int(b';')? != 0)),
            b'i' => Ok(PhpValue::Int(self.int(b';')?)),
            b'd' => {
                let t = self.until(b';')?;
                let f = match t {
                    "INF" => f64::INFINITY,
                    "-INF" => f64::NEG_INFINITY,
                    "NAN" => f64::NAN,
                    _ => t.parse().map_err(|_| UnserializeError {
                        at: self.i,
                        what: "bad float",
                    })?,
                };
                Ok(PhpValue::Float(f))
            }
            b's' => {
                let len = usize::try_from(self.int(b':')?).map_err(|_| self.err("bad length"))?;
                self.expect(b'"')?;
                let end = self
                    .i
                    .checked_add(len)
                    .filter(|&e| e <= self.b.len())
                    .ok_or_else(|| self.err("string past the end"))?;
                let s = self.b[self.i..end].to_vec();
                self.i = end;
                self.expect(b'"')?;
                self.expect(b';')?;
                Ok(PhpValue::Str(s))
            }
            b'a' => {
                let n = usize::try_from(self.int(b':')?).map_err(|_| self.err("bad count"))?;
                self.expect(b'{')?;
                let mut items = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    let key = match self.value(depth + 1)? {
                        PhpValue::Int(i) => PhpKey::Int(i),
                        PhpValue::Str(s) => PhpKey::Str(String::from_utf8_lossy(&s).into_owned()),
                        _ => return Err(self.err("bad array key")),
                    };
                    let v = self.value(depth + 1)?;
                    items.push((key, v));
                }
                self.expect(b'}')?;
                Ok(PhpValue::Array(items))
            }
            _ => Err(self.err("unsupported type (objects and references are not read)")),
        }
    }
}

/// `serialize($value)`, for writing fixtures and entries the way PHP does.
pub fn serialize(v: &PhpValue) -> Vec<u8> {
    let mut out = Vec::new();
    write(v, &mut out);
    out
}

fn write(v: &PhpValue, out: &mut Vec<u8>) {
    match v {
        PhpValue::Null => out.extend_from_slice(b"N;"),
        PhpValue::Bool(b) => out.extend_from_slice(if *b { b"b:1;" } else { b"b:0;" }),
        PhpValue::Int(i) => out.extend_from_slice(format!("i:{i};").as_bytes()),
        PhpValue::Float(f) => out.extend_from_slice(format!("d:{f};").as_bytes()),
        PhpValue::Str(s) => {
            out.extend_from_slice(format!("s:{}:\"", s.len()).as_bytes());
            out.extend_from_slice(s);
            out.extend_from_slice(b"\";");
        }
        PhpValue::Array(items) => {
            out.extend_from_slice(format!("a:{}:{{", items.len()).as_bytes());
            for (k, v) in items {
                match k {
                    PhpKey::Int(i) => write(&PhpValue::Int(*i), out),
                    PhpKey::Str(s) => write(&PhpValue::Str(s.as_bytes().to_vec()), out),
                }
                write(v, out);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_file_cache_metadata_line() {
        // As PHP 8.2 prints serialize(['hash'=>'','mtime'=>1800000000,'expire'=>9999999999,'tags'=>'a6b_CONFIG,a6b_MAGE'])
        let line = br#"a:4:{s:4:"hash";s:0:"";s:5:"mtime";i:1800000000;s:6:"expire";i:9999999999;s:4:"tags";s:19:"a6b_CONFIG,a6b_MAGE";}"#;
        let v = unserialize(line).unwrap();
        assert_eq!(v.get("expire"), Some(&PhpValue::Int(9_999_999_999)));
        assert_eq!(
            v.get("tags").unwrap().as_php_string().unwrap(),
            "a6b_CONFIG,a6b_MAGE"
        );
        assert_eq!(serialize(&v), line.to_vec());
    }

    #[test]
    fn nested_paths_and_scalars() {
        let v = unserialize(
            br#"a:1:{s:5:"oauth";a:2:{i:0;N;s:1:"x";a:2:{s:1:"b";b:1;s:1:"d";d:0.5;}}}"#,
        )
        .unwrap();
        assert_eq!(v.at("oauth/x/b").unwrap().as_php_string().unwrap(), "1");
        assert_eq!(v.at("oauth/0"), Some(&PhpValue::Null));
        assert!(unserialize(b"O:8:\"stdClass\":0:{}").is_err());
        assert!(unserialize(b"s:10:\"short\";").is_err());
        assert!(unserialize(b"a:99999999999:{").is_err());
    }
}
