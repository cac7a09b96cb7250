//! Access-log lines to [`Record`]s, without allocating for the common formats:
//!
//! * [`Format::Combined`]: Apache/nginx `combined` and `common`, and Apache's `vhost_combined`
//!   (`host:port` first). Quotes inside the request line are escaped by both servers (`\"`,
//!   `\x22`); an unescaped one is tolerated by looking for the `" NNN ` that must follow the
//!   request.
//! * [`Format::Custom`]: an nginx `log_format` string (`$remote_addr - $remote_user
//!   [$time_local] "$request" $status …`) or an Apache `LogFormat` string (`%h %l %u %t \"%r\"
//!   %>s %b`) compiled into literal separators and fields; each field runs to the next literal.
//! * [`Format::Json`]: one JSON object per line (nginx `escape=json`, Caddy), field names as
//!   they are usually chosen (`remote_addr`, `status`, `request` or `method` + `uri`…).
//!
//! Hand-written: no crate parses these formats as a streaming byte parser (the `nom`-based
//! parsers allocate per line or handle only `combined`), and this is the hot loop of
//! `logs:scan`.

use memchr::{memchr, memchr_iter};

use super::time;

/// How a line is parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    Combined,
    Custom(Compiled),
    Json,
}

impl Format {
    pub fn name(&self) -> &'static str {
        match self {
            Format::Combined => "combined",
            Format::Custom(_) => "custom",
            Format::Json => "json",
        }
    }

    /// Parse one line (without its line ending). `None`: not a record of this format.
    pub fn parse<'a>(&self, line: &'a [u8], scratch: &'a mut Scratch) -> Option<Record<'a>> {
        match self {
            Format::Combined => combined(line),
            Format::Custom(c) => c.parse(line),
            Format::Json => json(line, scratch),
        }
    }
}

/// How a record's time is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeKind {
    #[default]
    Clf,
    Iso,
    Msec,
    Any,
}

/// One request, borrowed from its line.
#[derive(Debug, Clone, Default)]
pub struct Record<'a> {
    pub client: &'a [u8],
    pub time: &'a [u8],
    pub time_kind: TimeKind,
    pub method: &'a [u8],
    /// As logged: a path with its query (`/rest/V1/products?x=1`) or an absolute URI.
    pub target: &'a [u8],
    pub status: u16,
    /// The user agent when the format gives it directly (custom formats, JSON); combined
    /// lines leave it empty and keep [`Record::combined_tail`]: read it with
    /// [`Record::user_agent`].
    pub agent: &'a [u8],
    /// For `combined` lines: the line after the status (` bytes "referer" "user agent"`), parsed
    /// only when the user agent is asked for — only failing requests need it, and finding two
    /// more quoted fields on every line was about a third of the per-line work.
    pub combined_tail: &'a [u8],
    /// `%u` / `$remote_user` (`-` when none): a user the web server authenticated (Basic).
    pub remote_user: &'a [u8],
    /// The Authorization header when the format logs it (only its scheme is ever kept).
    pub authorization: &'a [u8],
}

impl<'a> Record<'a> {
    /// The user agent (`-` or empty when the line has none).
    pub fn user_agent(&self) -> &'a [u8] {
        if !self.agent.is_empty() || self.combined_tail.is_empty() {
            return self.agent;
        }
        combined_agent(self.combined_tail)
    }

    /// Unix seconds, when the time parses.
    pub fn unix_time(&self) -> Option<i64> {
        match self.time_kind {
            TimeKind::Clf => time::clf(self.time),
            TimeKind::Iso => time::iso(self.time),
            TimeKind::Msec => time::msec(self.time),
            TimeKind::Any => time::any(self.time),
        }
    }

    /// The path without the query, and without `scheme://host` of an absolute URI.
    pub fn path(&self) -> &[u8] {
        let mut t = self.target;
        if !t.starts_with(b"/")
            && let Some(i) = find(t, b"://")
        {
            let after = &t[i + 3..];
            t = match memchr(b'/', after) {
                Some(j) => &after[j..],
                None => b"/",
            };
        }
        match memchr(b'?', t) {
            Some(i) => &t[..i],
            None => t,
        }
    }

    /// The authentication scheme the request carried, when the log says: the Authorization
    /// header's first word (`Bearer`, `OAuth`, `Basic`), else `Basic` for a user the server
    /// authenticated. Never the credentials.
    pub fn auth_scheme(&self) -> Option<&[u8]> {
        let a = trim(self.authorization);
        if !a.is_empty() && a != b"-" {
            let end = a.iter().position(|c| *c == b' ').unwrap_or(a.len());
            return Some(&a[..end.min(16)]);
        }
        let u = self.remote_user;
        (!u.is_empty() && u != b"-").then_some(b"Basic".as_slice())
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Split a request line `METHOD TARGET PROTOCOL` (the target may hold spaces).
pub fn split_request(r: &[u8]) -> (&[u8], &[u8]) {
    let Some(sp) = memchr(b' ', r) else {
        return (b"", r);
    };
    let method = &r[..sp];
    let mut rest = &r[sp + 1..];
    if let Some(last) = memchr::memrchr(b' ', rest)
        && rest[last + 1..].first_chunk::<5>() == Some(b"HTTP/")
    {
        rest = &rest[..last];
    }
    (method, rest)
}

fn status3(b: &[u8]) -> Option<u16> {
    match b {
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

/// The closing quote of a quoted field starting at `from` (just after its opening quote):
/// skips backslash-escaped quotes.
fn closing_quote(line: &[u8], from: usize) -> Option<usize> {
    memchr_iter(b'"', &line[from..])
        .map(|i| from + i)
        .find(|&q| {
            let backslashes = line[from..q]
                .iter()
                .rev()
                .take_while(|c| **c == b'\\')
                .count();
            backslashes % 2 == 0
        })
}

/// `combined` / `common` / `vhost_combined`.
pub fn combined(line: &[u8]) -> Option<Record<'_>> {
    let lb = memchr(b'[', line)?;
    let head = &line[..lb];
    // `client ident user ` or `vhost:port client ident user `.
    let mut toks = head.split(|c| *c == b' ').filter(|t| !t.is_empty());
    let (t0, t1, t2, t3) = (toks.next()?, toks.next()?, toks.next()?, toks.next());
    let (client, user) = match (t3, toks.next()) {
        (None, _) => (t0, t2),
        (Some(t3), None) => (t1, t3),
        _ => return None,
    };
    let rb = lb + memchr(b']', &line[lb..])?;
    let time = &line[lb + 1..rb];
    let rest = line.get(rb + 1..)?;
    if !rest.starts_with(b" \"") {
        return None;
    }
    let q0 = rb + 3;
    // The request's closing quote is the first one (unescaped) followed by ` NNN`.
    let mut from = q0;
    let (qe, status) = loop {
        let q = closing_quote(line, from)?;
        let after = &line[q + 1..];
        if after.len() >= 4
            && after[0] == b' '
            && (after.len() == 4 || after[4] == b' ')
            && let Some(s) = status3(&after[1..4])
        {
            break (q, s);
        }
        from = q + 1;
    };
    let (method, target) = split_request(&line[q0..qe]);
    let mut r = Record {
        client,
        time,
        time_kind: TimeKind::Clf,
        method,
        target,
        status,
        remote_user: user,
        ..Record::default()
    };
    r.combined_tail = line.get(qe + 5..).unwrap_or_default();
    Some(r)
}

/// The user agent of a combined line's tail: ` bytes "referer" "user agent"` (common ends after
/// bytes: none).
fn combined_agent(tail: &[u8]) -> &[u8] {
    if let Some(rq) = memchr(b'"', tail).map(|i| i + 1)
        && let Some(re) = closing_quote(tail, rq)
        && tail.get(re + 1..re + 3) == Some(b" \"")
        && let Some(ue) = closing_quote(tail, re + 3)
    {
        return &tail[re + 3..ue];
    }
    b""
}

/// A field of a custom format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Client,
    TimeClf,
    /// Apache `%t`: the time with its brackets.
    TimeClfBracketed,
    TimeIso,
    TimeMsec,
    Request,
    Method,
    /// The path with the query (`$request_uri`).
    Uri,
    /// The path without the query (`$uri`, `%U`).
    Path,
    Status,
    UserAgent,
    RemoteUser,
    Authorization,
    Ignored,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(Vec<u8>),
    Field(Field),
}

/// A compiled nginx `log_format` or Apache `LogFormat` string.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pieces: Vec<Piece>,
    pub source: String,
}

/// A format string that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log format {format:?}: {why}")]
pub struct FormatError {
    pub format: String,
    pub why: String,
}

fn nginx_field(name: &str) -> Field {
    match name {
        "remote_addr" | "binary_remote_addr" | "realip_remote_addr" => Field::Client,
        "time_local" => Field::TimeClf,
        "time_iso8601" => Field::TimeIso,
        "msec" => Field::TimeMsec,
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" => Field::Uri,
        "uri" | "document_uri" => Field::Path,
        "status" => Field::Status,
        "http_user_agent" => Field::UserAgent,
        "remote_user" => Field::RemoteUser,
        "http_authorization" => Field::Authorization,
        _ => Field::Ignored,
    }
}

fn apache_field(directive: u8, arg: Option<&str>) -> Field {
    match (directive, arg.map(str::to_ascii_lowercase).as_deref()) {
        (b'h' | b'a', _) => Field::Client,
        (b't', None) => Field::TimeClfBracketed,
        (b'r', _) => Field::Request,
        (b'm', _) => Field::Method,
        (b'U', _) => Field::Path,
        (b's', _) => Field::Status,
        (b'u', _) => Field::RemoteUser,
        (b'i', Some("user-agent")) => Field::UserAgent,
        (b'i', Some("authorization")) => Field::Authorization,
        _ => Field::Ignored,
    }
}

impl Compiled {
    /// Compile an nginx `log_format` string (`$var`, `${var}`) or, when it holds `%`
    /// directives, an Apache `LogFormat` string (`%h`, `%>s`, `%{User-Agent}i`, `\"`).
    pub fn new(format: &str) -> Result<Compiled, FormatError> {
        let err = |why: &str| FormatError {
            format: format.to_string(),
            why: why.to_string(),
        };
        let apache = format.contains('%') && !format.contains('$');
        let b = format.as_bytes();
        let mut pieces: Vec<Piece> = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        let push_field = |pieces: &mut Vec<Piece>, lit: &mut Vec<u8>, f: Field| {
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(lit)));
            }
            pieces.push(Piece::Field(f));
        };
        while i < b.len() {
            let c = b[i];
            if !apache && c == b'$' {
                let (name, next) = if b.get(i + 1) == Some(&b'{') {
                    let end = b[i + 2..]
                        .iter()
                        .position(|c| *c == b'}')
                        .ok_or_else(|| err("unclosed ${"))?;
                    (&format[i + 2..i + 2 + end], i + 3 + end)
                } else {
                    let n = b[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                        .count();
                    (&format[i + 1..i + 1 + n], i + 1 + n)
                };
                if name.is_empty() {
                    lit.push(c);
                    i += 1;
                    continue;
                }
                push_field(&mut pieces, &mut lit, nginx_field(name));
                i = next;
            } else if apache && c == b'%' {
                let mut j = i + 1;
                // Modifiers: `>`, `<`, status conditions `!200,304`.
                while j < b.len() && matches!(b[j], b'>' | b'<' | b'!' | b',' | b'0'..=b'9') {
                    j += 1;
                }
                let mut arg = None;
                if b.get(j) == Some(&b'{') {
                    let end = b[j + 1..]
                        .iter()
                        .position(|c| *c == b'}')
                        .ok_or_else(|| err("unclosed %{"))?;
                    arg = Some(&format[j + 1..j + 1 + end]);
                    j += end + 2;
                }
                let Some(&d) = b.get(j) else {
                    return Err(err("a % at the end"));
                };
                if d == b'%' {
                    lit.push(b'%');
                } else {
                    push_field(&mut pieces, &mut lit, apache_field(d, arg));
                }
                i = j + 1;
            } else if apache && c == b'\\' && i + 1 < b.len() {
                lit.push(match b[i + 1] {
                    b'n' => b'\n',
                    b't' => b'\t',
                    o => o,
                });
                i += 2;
            } else {
                lit.push(c);
                i += 1;
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        // Two fields in a row cannot be told apart.
        if pieces
            .windows(2)
            .any(|w| matches!(w, [Piece::Field(_), Piece::Field(_)]))
        {
            return Err(err("two variables with nothing between them"));
        }
        if !pieces
            .iter()
            .any(|p| matches!(p, Piece::Field(Field::Status)))
        {
            return Err(err("no status ($status or %s/%>s)"));
        }
        if !pieces
            .iter()
            .any(|p| matches!(p, Piece::Field(Field::Request | Field::Uri | Field::Path)))
        {
            return Err(err("no request ($request, $request_uri or %r)"));
        }
        Ok(Compiled {
            pieces,
            source: format.to_string(),
        })
    }

    pub fn parse<'a>(&self, line: &'a [u8]) -> Option<Record<'a>> {
        let mut r = Record::default();
        let mut at = 0;
        let mut path_only: &[u8] = b"";
        for (k, p) in self.pieces.iter().enumerate() {
            match p {
                Piece::Lit(l) => {
                    if !line[at..].starts_with(l) {
                        return None;
                    }
                    at += l.len();
                }
                Piece::Field(f) => {
                    let end = match self.pieces.get(k + 1) {
                        Some(Piece::Lit(next)) => {
                            // A quoted request may hold an escaped quote; nginx writes it as
                            // \x22, Apache as \".
                            if next.first() == Some(&b'"') {
                                let q = closing_quote(line, at)?;
                                if line[q..].starts_with(next) {
                                    q
                                } else {
                                    at + find(&line[at..], next)?
                                }
                            } else {
                                at + find(&line[at..], next)?
                            }
                        }
                        _ => line.len(),
                    };
                    let v = &line[at..end];
                    match f {
                        Field::Client => r.client = v,
                        Field::TimeClf => r.time = v,
                        Field::TimeClfBracketed => {
                            r.time = v.strip_prefix(b"[").unwrap_or(v);
                            r.time = r.time.strip_suffix(b"]").unwrap_or(r.time);
                        }
                        Field::TimeIso => {
                            r.time = v;
                            r.time_kind = TimeKind::Iso;
                        }
                        Field::TimeMsec => {
                            r.time = v;
                            r.time_kind = TimeKind::Msec;
                        }
                        Field::Request => (r.method, r.target) = split_request(v),
                        Field::Method => r.method = v,
                        Field::Uri => r.target = v,
                        Field::Path => path_only = v,
                        Field::Status => r.status = status3(v)?,
                        Field::UserAgent => r.agent = v,
                        Field::RemoteUser => r.remote_user = v,
                        Field::Authorization => r.authorization = v,
                        Field::Ignored => {}
                    }
                    at = end;
                }
            }
        }
        if r.target.is_empty() {
            r.target = path_only;
        }
        if r.status == 0 || r.target.is_empty() {
            return None;
        }
        Some(r)
    }
}

/// Owned values of a JSON line (JSON strings may hold escapes).
#[derive(Debug, Default)]
pub struct Scratch {
    client: String,
    time: String,
    method: String,
    target: String,
    user_agent: String,
    remote_user: String,
    authorization: String,
}

fn json_str(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Array(a) => a.first().and_then(json_str),
        _ => None,
    }
}

fn pick(obj: &serde_json::Map<String, serde_json::Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| obj.get(*k).and_then(json_str))
}

/// One JSON object per line. Nested `request` objects (Caddy) are looked into.
pub fn json<'a>(line: &[u8], s: &'a mut Scratch) -> Option<Record<'a>> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    let top = v.as_object()?;
    let nested = top.get("request").and_then(|r| r.as_object());
    let get = |keys: &[&str]| pick(top, keys).or_else(|| nested.and_then(|n| pick(n, keys)));
    let status: u16 = get(&["status", "status_code", "response", "code"])?
        .trim()
        .parse()
        .ok()
        .filter(|s| (100..=999).contains(s))?;
    s.client = get(&[
        "remote_addr",
        "client",
        "client_ip",
        "remote_ip",
        "clientip",
        "ip",
    ])
    .unwrap_or_default();
    s.time = get(&[
        "time_iso8601",
        "time_local",
        "time",
        "timestamp",
        "@timestamp",
        "ts",
        "msec",
    ])
    .unwrap_or_default();
    let request = top.get("request").and_then(json_str);
    match request {
        Some(req) if req.contains(' ') => {
            let (m, t) = split_request(req.as_bytes());
            s.method = String::from_utf8_lossy(m).into_owned();
            s.target = String::from_utf8_lossy(t).into_owned();
        }
        _ => {
            s.method = get(&["request_method", "method", "verb"]).unwrap_or_default();
            s.target = get(&["request_uri", "uri", "url", "path"])?;
        }
    }
    s.user_agent = get(&["http_user_agent", "user_agent", "agent", "ua"]).unwrap_or_else(|| {
        nested
            .and_then(|n| n.get("headers"))
            .and_then(|h| h.get("User-Agent"))
            .and_then(json_str)
            .unwrap_or_default()
    });
    s.remote_user = get(&["remote_user", "user"]).unwrap_or_default();
    s.authorization =
        get(&["http_authorization", "authorization", "auth_scheme"]).unwrap_or_default();
    Some(Record {
        client: s.client.as_bytes(),
        time: s.time.as_bytes(),
        time_kind: TimeKind::Any,
        method: s.method.as_bytes(),
        target: s.target.as_bytes(),
        status,
        agent: s.user_agent.as_bytes(),
        combined_tail: b"",
        remote_user: s.remote_user.as_bytes(),
        authorization: s.authorization.as_bytes(),
    })
}

/// The format of a file from its first lines: JSON when they are objects, the given custom
/// format when it parses most of them, else combined.
pub fn detect(sample: &[u8], custom: Option<&Compiled>) -> Format {
    let lines: Vec<&[u8]> = sample
        .split(|c| *c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(50)
        .collect();
    if lines.is_empty() {
        return custom.map_or(Format::Combined, |c| Format::Custom(c.clone()));
    }
    let json_ok = lines
        .iter()
        .filter(|l| l.first() == Some(&b'{') && json(l, &mut Scratch::default()).is_some())
        .count();
    if json_ok * 2 > lines.len() {
        return Format::Json;
    }
    if let Some(c) = custom {
        let ok = lines.iter().filter(|l| c.parse(l).is_some()).count();
        let comb = lines.iter().filter(|l| combined(l).is_some()).count();
        if ok >= comb {
            return Format::Custom(c.clone());
        }
    }
    Format::Combined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_lines() {
        let l = br#"203.0.113.9 - - [01/May/2024:10:00:00 +0000] "GET /rest/default/V1/products/a%20b?x=1 HTTP/1.1" 401 123 "-" "curl/8.0""#;
        let r = combined(l).unwrap();
        assert_eq!(r.client, b"203.0.113.9");
        assert_eq!(r.method, b"GET");
        assert_eq!(r.path(), b"/rest/default/V1/products/a%20b");
        assert_eq!(r.status, 401);
        assert_eq!(r.user_agent(), b"curl/8.0");
        assert_eq!(r.unix_time(), Some(1_714_557_600));
        // common, IPv6, vhost_combined, a request with spaces and quotes.
        let c =
            br#"2001:db8::1 - bob [01/May/2024:10:00:00 +0000] "POST /rest/V1/x HTTP/1.1" 403 -"#;
        let r = combined(c).unwrap();
        assert_eq!(
            (r.client, r.status, r.auth_scheme()),
            (&b"2001:db8::1"[..], 403, Some(&b"Basic"[..]))
        );
        let v = br#"shop.test:443 10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET /rest/V1/a b "q" HTTP/1.1" 401 5 "-" "ua \"x\"""#;
        let r = combined(v).unwrap();
        assert_eq!(r.client, b"10.0.0.1");
        assert_eq!(r.target, br#"/rest/V1/a b "q""#);
        assert_eq!(r.user_agent(), br#"ua \"x\""#);
        assert!(combined(b"\x16\x03\x01garbage").is_none());
        assert!(combined(b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" abc 1").is_none());
    }

    #[test]
    fn custom_formats() {
        let c = Compiled::new(
            r#"$remote_addr [$time_iso8601] "$request" $status "$http_user_agent" $request_time "$http_authorization""#,
        )
        .unwrap();
        let r = c
            .parse(br#"::1 [2024-05-01T10:00:00+00:00] "GET /rest/V1/x HTTP/2.0" 401 "ua" 0.01 "Bearer abc""#)
            .unwrap();
        assert_eq!(
            (r.client, r.status, r.auth_scheme()),
            (&b"::1"[..], 401, Some(&b"Bearer"[..]))
        );
        assert_eq!(r.unix_time(), Some(1_714_557_600));
        let a = Compiled::new(r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""#)
            .unwrap();
        let line = br#"1.2.3.4 - - [01/May/2024:10:00:00 +0000] "GET /x HTTP/1.1" 200 1 "-" "ua""#;
        let r = a.parse(line).unwrap();
        assert_eq!((r.status, r.user_agent()), (200, &b"ua"[..]));
        assert!(Compiled::new("$remote_addr$status").is_err());
        assert!(Compiled::new("$remote_addr $request").is_err());
    }

    #[test]
    fn json_lines() {
        let mut s = Scratch::default();
        let r = json(
            br#"{"remote_addr":"1.2.3.4","time_iso8601":"2024-05-01T10:00:00+00:00","request":"GET /rest/V1/x HTTP/1.1","status":"401","http_user_agent":"ua"}"#,
            &mut s,
        )
        .unwrap();
        assert_eq!((r.status, r.path()), (401, &b"/rest/V1/x"[..]));
        let mut s = Scratch::default();
        let r = json(
            br#"{"ts":1714557600.5,"request":{"remote_ip":"::1","method":"POST","uri":"/graphql","headers":{"User-Agent":["x"]}},"status":403}"#,
            &mut s,
        )
        .unwrap();
        assert_eq!(
            (r.status, r.method, r.user_agent()),
            (403, &b"POST"[..], &b"x"[..])
        );
        assert_eq!(r.unix_time(), Some(1_714_557_600));
    }
}
