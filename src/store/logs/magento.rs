//! Magento's own logs: `var/log/*.log` written by Monolog (1: `[2024-05-01 10:00:00]`, 2/3:
//! `[2024-05-01T10:00:00.123456+00:00]`, records running over several lines: stack traces,
//! `[previous exception]`, `Next …`) and the error reports `var/report/<id>` (a JSON object)
//! and `var/report/api/<id>` (a JSON string). Only records tied to authentication are kept:
//! token and JWT errors, authentication and authorization exceptions, OAuth errors, database
//! errors.

use std::path::{Path, PathBuf};

use super::read;
use super::time;

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    Token,
    Authentication,
    Authorization,
    Oauth,
    Database,
}

impl AuthKind {
    pub fn describe(self) -> &'static str {
        match self {
            AuthKind::Token => "token or JWT error",
            AuthKind::Authentication => "authentication error",
            AuthKind::Authorization => "authorization error",
            AuthKind::Oauth => "OAuth error",
            AuthKind::Database => "database error",
        }
    }
}

/// Substrings (backslashes single) that tie a record to authentication, most specific first.
const PATTERNS: &[(&str, AuthKind)] = &[
    ("JwtUserToken", AuthKind::Token),
    ("UserTokenException", AuthKind::Token),
    ("UserToken\\", AuthKind::Token),
    ("TokenReader", AuthKind::Token),
    ("Jwt\\", AuthKind::Token),
    ("JwtException", AuthKind::Token),
    ("The token", AuthKind::Token),
    ("Oauth\\Exception", AuthKind::Oauth),
    ("OauthException", AuthKind::Oauth),
    ("Oauth\\", AuthKind::Oauth),
    ("oauth_", AuthKind::Oauth),
    ("AuthenticationException", AuthKind::Authentication),
    (
        "The account sign-in was incorrect",
        AuthKind::Authentication,
    ),
    ("AuthorizationException", AuthKind::Authorization),
    ("isn't authorized", AuthKind::Authorization),
    ("is not authorized", AuthKind::Authorization),
    ("SQLSTATE", AuthKind::Database),
    ("Zend_Db_Adapter_Exception", AuthKind::Database),
    ("PDOException", AuthKind::Database),
];

/// How a record's text relates to authentication, if it does.
pub fn classify(text: &str) -> Option<AuthKind> {
    let norm;
    let t = if text.contains("\\\\") {
        norm = text.replace("\\\\", "\\");
        norm.as_str()
    } else {
        text
    };
    PATTERNS
        .iter()
        .find(|(p, _)| t.contains(p))
        .map(|(_, k)| *k)
}

/// The webapi report id in a record (`Report ID: webapi-65f1c0ffee123`).
pub fn report_id(text: &str) -> Option<String> {
    let i = text.find("Report ID: ")?;
    let id: String = text[i + 11..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Where a Monolog record starts: `[date] channel.LEVEL: ` → (time text, level).
pub fn record_start(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find("] ")?;
    let stamp = &rest[..close];
    time::iso(stamp.as_bytes())?;
    let after = &rest[close + 2..];
    let colon = after.find(": ")?;
    let head = &after[..colon];
    let dot = head.rfind('.')?;
    let (channel, level) = (&head[..dot], &head[dot + 1..]);
    let channel_ok = !channel.is_empty()
        && channel
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    let level_ok = !level.is_empty() && level.bytes().all(|c| c.is_ascii_uppercase());
    (channel_ok && level_ok).then_some((stamp, level))
}

/// One record tied to authentication.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuthRecord {
    pub file: PathBuf,
    /// 1-based line of the record's first line (`None` for a report file).
    pub line: Option<u64>,
    pub time: Option<i64>,
    pub level: String,
    pub kind: AuthKind,
    /// The first line, at most 300 characters.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
}

/// What [`scan`] found in Magento's logs.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MagentoScan {
    pub files: Vec<super::scan::FileResult>,
    /// Records (Monolog) or reports read.
    pub records: u64,
    /// Those tied to authentication (at most [`KEEP`] kept in `auth`).
    pub auth_count: u64,
    pub auth: Vec<AuthRecord>,
}

/// Auth records kept (the newest).
pub const KEEP: usize = 200;
/// The longest record text looked at.
const MAX_RECORD: usize = 64 << 10;

fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

struct Pending {
    line: u64,
    time: Option<i64>,
    level: String,
    text: String,
}

impl MagentoScan {
    fn keep(&mut self, r: AuthRecord) {
        self.auth_count += 1;
        self.auth.push(r);
        if self.auth.len() > 2 * KEEP {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.auth.sort_by_key(|r| std::cmp::Reverse(r.time));
        self.auth.truncate(KEEP);
    }

    fn finish(&mut self, since: Option<i64>, until: Option<i64>) {
        let _ = (since, until);
        self.trim();
        self.auth.sort_by_key(|r| (r.time, r.file.clone(), r.line));
    }

    fn close(&mut self, file: &Path, p: Pending, since: Option<i64>, until: Option<i64>) {
        self.records += 1;
        if p.time
            .is_some_and(|t| since.is_some_and(|s| t < s) || until.is_some_and(|u| t > u))
        {
            return;
        }
        if let Some(kind) = classify(&p.text) {
            let first = p.text.lines().next().unwrap_or("");
            self.keep(AuthRecord {
                file: file.to_path_buf(),
                line: Some(p.line),
                time: p.time,
                level: p.level,
                kind,
                message: cut(first, 300),
                report_id: report_id(&p.text),
            });
        }
    }
}

/// Read Monolog files and report directories. `tail_bytes`: only the end of each log file.
pub fn scan(
    logs: &[PathBuf],
    report_dirs: &[PathBuf],
    since: Option<i64>,
    until: Option<i64>,
    tail_bytes: Option<u64>,
) -> MagentoScan {
    let mut out = MagentoScan::default();
    for path in logs {
        monolog_file(&mut out, path, since, until, tail_bytes);
    }
    for dir in report_dirs {
        reports(&mut out, dir, since, until);
    }
    out.finish(since, until);
    out
}

fn monolog_file(
    out: &mut MagentoScan,
    path: &Path,
    since: Option<i64>,
    until: Option<i64>,
    tail_bytes: Option<u64>,
) {
    let mut fr = super::scan::FileResult {
        path: path.to_path_buf(),
        format: "monolog".into(),
        ..Default::default()
    };
    let gz = read::is_gzip(path).unwrap_or(false);
    fr.gzip = gz;
    fr.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let opened: std::io::Result<(Box<dyn std::io::Read>, bool)> = if gz {
        read::GzReader::open(path).map(|g| (Box::new(g) as Box<dyn std::io::Read>, false))
    } else {
        let start = tail_bytes.map_or(0, |t| fr.bytes.saturating_sub(t));
        read::open_range(path, read::Range { start, end: None })
            .map(|(f, partial, _)| (Box::new(f) as Box<dyn std::io::Read>, partial))
    };
    let (mut reader, partial) = match opened {
        Ok(o) => o,
        Err(e) => {
            fr.problem = Some(e.to_string());
            out.files.push(fr);
            return;
        }
    };
    let mut pending: Option<Pending> = None;
    let mut n = 0u64;
    let mut skipped = 0u64;
    let (stats, err) = read::for_each_line(&mut reader, partial, None, &|_| {}, &mut |raw| {
        n += 1;
        let line = String::from_utf8_lossy(raw);
        match record_start(&line) {
            Some((stamp, level)) => {
                if let Some(p) = pending.take() {
                    out.close(path, p, since, until);
                }
                pending = Some(Pending {
                    line: n,
                    time: time::iso(stamp.as_bytes()),
                    level: level.to_string(),
                    text: cut(&line, MAX_RECORD),
                });
            }
            None => match &mut pending {
                Some(p) if p.text.len() < MAX_RECORD => {
                    p.text.push('\n');
                    p.text.push_str(&line);
                }
                Some(_) => {}
                None => skipped += 1,
            },
        }
    });
    if let Some(p) = pending.take() {
        out.close(path, p, since, until);
    }
    fr.lines = stats.lines + stats.oversize + stats.cut;
    fr.skipped = skipped + stats.oversize + stats.cut;
    if let Some(e) = err {
        fr.problem = Some(e.to_string());
    }
    out.files.push(fr);
}

/// `var/report/<id>` (JSON object: `"0"` message, `"1"` trace, `"url"`) and
/// `var/report/api/<id>` (a JSON string). The time is the file's modification time.
fn reports(out: &mut MagentoScan, dir: &Path, since: Option<i64>, until: Option<i64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(PathBuf, std::fs::Metadata)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.path(), e.metadata().ok()?)))
        .filter(|(_, m)| m.is_file())
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, meta) in files {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64);
        if mtime.is_some_and(|t| since.is_some_and(|s| t < s) || until.is_some_and(|u| t > u)) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path).map(|mut b| {
            b.truncate(1 << 20);
            b
        }) else {
            continue;
        };
        out.records += 1;
        let text = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(serde_json::Value::Object(o)) => {
                let get = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                format!("{}\n{}\nurl: {}", get("0"), get("1"), get("url"))
            }
            _ => String::from_utf8_lossy(&bytes).into_owned(),
        };
        if let Some(kind) = classify(&text) {
            let id = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let api = dir.ends_with("api");
            out.keep(AuthRecord {
                file: path.clone(),
                line: None,
                time: mtime,
                level: "REPORT".into(),
                kind,
                message: cut(text.lines().next().unwrap_or(""), 300),
                report_id: id.map(|i| if api { format!("api/{i}") } else { i }),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_starts() {
        assert_eq!(
            record_start("[2024-05-01T10:00:00.123456+00:00] main.CRITICAL: boom {} []"),
            Some(("2024-05-01T10:00:00.123456+00:00", "CRITICAL"))
        );
        assert_eq!(
            record_start("[2024-05-01 10:00:00] main.ERROR: x"),
            Some(("2024-05-01 10:00:00", "ERROR"))
        );
        assert!(record_start("[previous exception] [object] (X(code: 0): y)").is_none());
        assert!(record_start("#0 /var/www/x.php(12): f()").is_none());
    }

    #[test]
    fn classification() {
        assert_eq!(
            classify(
                r#"{"exception":"[object] (Magento\\Framework\\Exception\\AuthenticationException(code: 0)"#
            ),
            Some(AuthKind::Authentication)
        );
        assert_eq!(
            classify("SQLSTATE[HY000] [2002] Connection refused"),
            Some(AuthKind::Database)
        );
        assert_eq!(
            classify("Magento\\Framework\\Oauth\\Exception: x"),
            Some(AuthKind::Oauth)
        );
        assert_eq!(classify("Cache cleared"), None);
        assert_eq!(
            report_id("Report ID: webapi-65f1c0ffee123; Message: x").as_deref(),
            Some("webapi-65f1c0ffee123")
        );
    }
}
