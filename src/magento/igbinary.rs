//! Reading values PHP's igbinary extension serialized (format version 2, igbinary 2.x/3.x),
//! which 2.4.9's Symfony Redis cache uses whenever the extension is loaded. Written by hand: no
//! crate reads igbinary. Only what cache values hold is read: null, booleans, integers, doubles,
//! strings (with the string back-references igbinary's `compact_strings` writes) and arrays;
//! objects and references are refused.
//!
//! Layout (big-endian throughout): the header `00 00 00 02`, then one value. Type bytes:
//! `00` null, `04`/`05` false/true, `06`/`07` u8 positive/negative, `08`/`09` u16, `0a`/`0b` u32,
//! `20`/`21` u64, `0c` double (8 bytes IEEE), `0d` empty string, `11`/`12`/`13` string with an
//! 8/16/32-bit length (appended to the string table), `0e`/`0f`/`10` a back-reference to the
//! string table by an 8/16/32-bit index, `14`/`15`/`16` array with an 8/16/32-bit element count,
//! each element a key (an integer or a string type) then a value.

use super::phpser::{PhpKey, PhpValue};

pub const HEADER: &[u8] = b"\x00\x00\x00\x02";

#[derive(Debug, thiserror::Error)]
#[error("igbinary value: {what} at byte {at}")]
pub struct IgbinaryError {
    pub at: usize,
    pub what: &'static str,
}

/// Whether `bytes` start with igbinary's version-2 header.
pub fn is_igbinary(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER)
}

pub fn unserialize(bytes: &[u8]) -> Result<PhpValue, IgbinaryError> {
    if !is_igbinary(bytes) {
        return Err(IgbinaryError {
            at: 0,
            what: "no igbinary version 2 header",
        });
    }
    let mut r = Reader {
        b: bytes,
        i: HEADER.len(),
        strings: Vec::new(),
    };
    let v = r.value(0)?;
    if r.i != bytes.len() {
        return Err(r.err("trailing bytes"));
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
    strings: Vec<Vec<u8>>,
}

enum Item {
    Int(i64),
    Str(Vec<u8>),
    Other(PhpValue),
}

impl Reader<'_> {
    fn err(&self, what: &'static str) -> IgbinaryError {
        IgbinaryError { at: self.i, what }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], IgbinaryError> {
        let end = self.i.checked_add(n).filter(|e| *e <= self.b.len());
        let Some(end) = end else {
            return Err(self.err("truncated"));
        };
        let s = &self.b[self.i..end];
        self.i = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, IgbinaryError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &c| (acc << 8) | u64::from(c)))
    }

    fn item(&mut self, depth: usize) -> Result<Item, IgbinaryError> {
        if depth > 64 {
            return Err(self.err("nested too deeply"));
        }
        let t = self.uint(1)? as u8;
        let int = |v: u64, neg: bool| -> Result<Item, IgbinaryError> {
            let v = i64::try_from(v).map_err(|_| IgbinaryError {
                at: 0,
                what: "integer out of range",
            })?;
            Ok(Item::Int(if neg { -v } else { v }))
        };
        match t {
            0x00 => Ok(Item::Other(PhpValue::Null)),
            0x04 => Ok(Item::Other(PhpValue::Bool(false))),
            0x05 => Ok(Item::Other(PhpValue::Bool(true))),
            0x06 | 0x07 => int(self.uint(1)?, t == 0x07),
            0x08 | 0x09 => int(self.uint(2)?, t == 0x09),
            0x0a | 0x0b => int(self.uint(4)?, t == 0x0b),
            0x20 | 0x21 => {
                let v = self.uint(8)?;
                if t == 0x21 && v == 1u64 << 63 {
                    return Ok(Item::Int(i64::MIN));
                }
                int(v, t == 0x21)
            }
            0x0c => Ok(Item::Other(PhpValue::Float(f64::from_bits(self.uint(8)?)))),
            0x0d => Ok(Item::Str(Vec::new())),
            0x0e..=0x10 => {
                let n = [1, 2, 4][usize::from(t - 0x0e)];
                let idx = self.uint(n)? as usize;
                let s = self
                    .strings
                    .get(idx)
                    .cloned()
                    .ok_or_else(|| self.err("string back-reference out of range"))?;
                Ok(Item::Str(s))
            }
            0x11..=0x13 => {
                let n = [1, 2, 4][usize::from(t - 0x11)];
                let len = self.uint(n)? as usize;
                let s = self.take(len)?.to_vec();
                self.strings.push(s.clone());
                Ok(Item::Str(s))
            }
            0x14..=0x16 => {
                let n = [1, 2, 4][usize::from(t - 0x14)];
                let count = self.uint(n)? as usize;
                let mut items = Vec::with_capacity(count.min(4096));
                for _ in 0..count {
                    let key = match self.item(depth + 1)? {
                        Item::Int(i) => PhpKey::Int(i),
                        Item::Str(s) => PhpKey::Str(String::from_utf8_lossy(&s).into_owned()),
                        Item::Other(_) => return Err(self.err("array key neither int nor string")),
                    };
                    let value = self.value(depth + 1)?;
                    items.push((key, value));
                }
                Ok(Item::Other(PhpValue::Array(items)))
            }
            _ => Err(self.err("type m2auth does not read (object or reference)")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<PhpValue, IgbinaryError> {
        Ok(match self.item(depth)? {
            Item::Int(i) => PhpValue::Int(i),
            Item::Str(s) => PhpValue::Str(s),
            Item::Other(v) => v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Made by PHP 8.2 with igbinary 3.2.13 (Debian php-igbinary): `bin2hex(igbinary_serialize(
    /// ['data' => 'ab', 'mtime' => 1800000000, 'expire' => null, 'tags' => ['CONFIG', 'MAGE',
    /// 'CONFIG'], 'n' => -5, 'f' => 1.5, 'b' => true, 'big' => 70000]))`.
    #[test]
    fn reads_what_php_igbinary_wrote() {
        let b = unhex(concat!(
            "0000000214081104646174611102616211056d74696d650a6b49d2001106657870697265",
            "00110474616773140306001106434f4e464947060111044d41474506020e0511016e0705",
            "1101660c3ff80000000000001101620511036269670a00011170"
        ));
        let v = unserialize(&b).unwrap();
        assert_eq!(v.get("data"), Some(&PhpValue::Str(b"ab".to_vec())));
        assert_eq!(v.get("mtime"), Some(&PhpValue::Int(1_800_000_000)));
        assert_eq!(v.get("expire"), Some(&PhpValue::Null));
        assert_eq!(
            v.get("tags").unwrap().get("2"),
            Some(&PhpValue::Str(b"CONFIG".to_vec()))
        );
        assert_eq!(v.get("n"), Some(&PhpValue::Int(-5)));
        assert_eq!(v.get("f"), Some(&PhpValue::Float(1.5)));
        assert_eq!(v.get("b"), Some(&PhpValue::Bool(true)));
        assert_eq!(v.get("big"), Some(&PhpValue::Int(70000)));
        assert!(unserialize(&b[..b.len() - 1]).is_err());
        assert!(unserialize(b"a:0:{}").is_err());
    }
}
