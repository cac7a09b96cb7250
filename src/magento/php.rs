//! PHP's own conversions where Magento relies on them (its config values and hash version
//! tokens are strings read with `(int)`).

/// PHP 8's `(int)` of a string: leading whitespace, an optional sign, the leading digits; no
/// digits is 0, overflow saturates.
pub fn intval(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let v: i64 = digits[..end]
        .parse()
        .unwrap_or(if end == 0 { 0 } else { i64::MAX });
    if neg { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::intval;

    #[test]
    fn like_php() {
        assert_eq!(intval("4"), 4);
        assert_eq!(intval(" 12abc"), 12);
        assert_eq!(intval(""), 0);
        assert_eq!(intval("abc"), 0);
        assert_eq!(intval("-3"), -3);
        assert_eq!(intval("+7"), 7);
        assert_eq!(intval("99999999999999999999"), i64::MAX);
    }
}
