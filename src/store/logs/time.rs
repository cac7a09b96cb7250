//! Timestamps as access logs and Magento's logs write them, to Unix seconds, without
//! allocating: Apache/nginx `%t` / `$time_local` (`10/Oct/2000:13:55:36 -0700`), ISO 8601 /
//! RFC 3339 (`$time_iso8601`, Monolog 2/3 `2024-05-01T10:00:00.123456+00:00`), Monolog 1
//! (`2024-05-01 10:00:00`, UTC as Magento sets it) and nginx `$msec` (`1714557600.123`).
//!
//! Hand-written: jiff parses these too, but through its general format machinery; the access
//! log's time is read for every failing line of gigabytes of logs, and the fixed layouts take a
//! few comparisons each.

/// Days from 1970-01-01 to the civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

fn month(b: &[u8]) -> Option<u32> {
    const NAMES: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(b))
        .map(|i| i as u32 + 1)
}

fn civil(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(
        days_from_civil(i64::from(y), mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(s),
    )
}

/// `+hhmm`, `-hh:mm` or `Z` → seconds east of UTC.
fn offset(b: &[u8]) -> Option<i64> {
    match b {
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [a, b, b':', c, d] | [a, b, c, d] => (digits(&[*a, *b])?, digits(&[*c, *d])?),
                [a, b] => (digits(&[*a, *b])?, 0),
                _ => return None,
            };
            let secs = i64::from(h) * 3600 + i64::from(m) * 60;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

/// `10/Oct/2000:13:55:36 -0700` (the brackets removed).
pub fn clf(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let d = digits(&b[0..2])?;
    let mo = month(&b[3..6])?;
    let y = digits(&b[7..11])?;
    let h = digits(&b[12..14])?;
    let mi = digits(&b[15..17])?;
    let s = digits(&b[18..20])?;
    let t = civil(y, mo, d, h, mi, s)?;
    let off = match b.get(20..) {
        Some([b' ', rest @ ..]) => offset(rest)?,
        Some([]) => 0,
        _ => return None,
    };
    Some(t - off)
}

/// `2024-05-01T10:00:00[.ffffff][+00:00|Z]` or `2024-05-01 10:00:00` (no offset: UTC).
pub fn iso(b: &[u8]) -> Option<i64> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let s = digits(&b[17..19])?;
    let t = civil(y, mo, d, h, mi, s)?;
    let mut rest = &b[19..];
    if let [b'.' | b',', more @ ..] = rest {
        let n = more.iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &more[n..];
    }
    let off = if rest.is_empty() { 0 } else { offset(rest)? };
    Some(t - off)
}

/// nginx `$msec`: `1714557600.123`.
pub fn msec(b: &[u8]) -> Option<i64> {
    let int = b.split(|&c| c == b'.').next()?;
    if int.len() > 12 {
        return None;
    }
    digits(int)
        .map(i64::from)
        .or_else(|| std::str::from_utf8(int).ok()?.parse().ok())
}

/// Any of the forms above.
pub fn any(b: &[u8]) -> Option<i64> {
    let b = b.strip_prefix(b"[").unwrap_or(b);
    let b = b.strip_suffix(b"]").unwrap_or(b);
    clf(b).or_else(|| iso(b)).or_else(|| msec(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jiff(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    #[test]
    fn forms_agree_with_jiff() {
        assert_eq!(
            clf(b"10/Oct/2000:13:55:36 -0700"),
            Some(jiff("2000-10-10T13:55:36-07:00"))
        );
        assert_eq!(
            clf(b"29/Feb/2024:00:00:00 +0000"),
            Some(jiff("2024-02-29T00:00:00Z"))
        );
        assert_eq!(
            iso(b"2024-05-01T10:00:00.123456+02:00"),
            Some(jiff("2024-05-01T08:00:00Z"))
        );
        assert_eq!(
            iso(b"2024-05-01 10:00:00"),
            Some(jiff("2024-05-01T10:00:00Z"))
        );
        assert_eq!(iso(b"1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(msec(b"1714557600.123"), Some(1_714_557_600));
        assert_eq!(
            any(b"[10/Oct/2000:13:55:36 +0000]"),
            Some(jiff("2000-10-10T13:55:36Z"))
        );
        assert_eq!(clf(b"99/Foo/2000:13:55:36 -0700"), None);
        assert_eq!(iso(b"2024-13-01T10:00:00Z"), None);
    }
}
