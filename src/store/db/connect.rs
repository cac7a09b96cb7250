//! Connection parameters from env.php `db/connection/<name>` or a `--db` URL.
//!
//! Host rules follow `Magento\Framework\DB\Adapter\Pdo\Mysql::_connect()` / `getHostInfo()`:
//!
//! * a host containing `/` is a unix socket path;
//! * `[::1]` and `[::1]:3307` are IPv6 with an optional port; a bare IPv6 address (`::1`,
//!   `fe80::1%eth0`, two or more colons) is kept whole;
//! * `host:port` with exactly one colon is split.
//!
//! Magento 2.4 itself refuses two configurations that m2auth still accepts, so that it can read the
//! database and diagnose the store anyway, with a [`ConnParams::warnings`] entry for each:
//!
//! * a separate `port` key: `Magento\Framework\Model\ResourceModel\Type\Db\Pdo\Mysql::getValidConfig()`
//!   throws "Port must be configured within host (like 'h:3307') parameter, not within port"
//!   whenever `port` is set. m2auth uses it when the host carries no port;
//! * no `host` key: the same method throws "MySQL adapter: Missing required configuration option
//!   'host'". m2auth falls back to `localhost`.
//!
//! `localhost` keeps PDO/mysqlnd semantics: it means "the local server through the default unix
//! socket" (with or without a port, mysqlnd ignores the port for `localhost`). That is resolved at
//! connect time by [`ConnParams::resolve_localhost`]: the first existing socket among
//! [`DEFAULT_SOCKETS`] (Debian's `pdo_mysql.default_socket` is `/var/run/mysqld/mysqld.sock`),
//! else TCP to `127.0.0.1` on the given port (3306 by default).

use std::path::{Path, PathBuf};

use super::DbError;
pub use crate::mask::redact_url;
use crate::store::envphp::{Array, Document, Key, Value};

/// The sockets tried, in order, for `localhost` (PDO's `pdo_mysql.default_socket` and the usual
/// distribution paths).
pub const DEFAULT_SOCKETS: &[&str] = &[
    "/run/mysqld/mysqld.sock",
    "/var/run/mysqld/mysqld.sock",
    "/tmp/mysql.sock",
    "/var/lib/mysql/mysql.sock",
];

/// `PDO::MYSQL_ATTR_SSL_KEY` (checked with php 8.2 + pdo_mysql).
pub const PDO_MYSQL_ATTR_SSL_KEY: i64 = 1007;
/// `PDO::MYSQL_ATTR_SSL_CERT`.
pub const PDO_MYSQL_ATTR_SSL_CERT: i64 = 1008;
/// `PDO::MYSQL_ATTR_SSL_CA`.
pub const PDO_MYSQL_ATTR_SSL_CA: i64 = 1009;
/// `PDO::MYSQL_ATTR_SSL_CAPATH`.
pub const PDO_MYSQL_ATTR_SSL_CAPATH: i64 = 1010;
/// `PDO::MYSQL_ATTR_SSL_CIPHER`.
pub const PDO_MYSQL_ATTR_SSL_CIPHER: i64 = 1011;
/// `PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT`.
pub const PDO_MYSQL_ATTR_SSL_VERIFY_SERVER_CERT: i64 = 1014;

/// TLS options from `driver_options` (`\PDO::MYSQL_ATTR_SSL_*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SslParams {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT` (1014); Magento's default is to verify.
    pub verify_server_cert: bool,
}

/// How to reach the database. `password` is a secret: never print it (`Debug` shows `***`,
/// `Display` leaves it out).
#[derive(Clone, Default, PartialEq)]
pub struct ConnParams {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<PathBuf>,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub ssl: Option<SslParams>,
    pub table_prefix: String,
    /// What Magento itself would do differently with this configuration, one sentence each:
    /// settings m2auth accepts but Magento 2.4 refuses (a separate `port` key, a missing `host`).
    /// Filled by [`ConnParams::from_env`]; empty from a URL. Never holds the password.
    pub warnings: Vec<String>,
}

/// `user@target/dbname`, with ` (TLS)` when TLS is configured; never the password.
impl std::fmt::Display for ConnParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}/{}", self.user, self.target(), self.dbname)?;
        if self.ssl.is_some() {
            f.write_str(" (TLS)")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnParams")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket", &self.socket)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("dbname", &self.dbname)
            .field("ssl", &self.ssl)
            .field("table_prefix", &self.table_prefix)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// What a `host` value means.
#[derive(Debug, Clone, PartialEq)]
enum HostForm {
    Socket(PathBuf),
    Tcp { host: String, port: Option<u16> },
}

fn parse_port(text: &str, what: &str) -> Result<u16, DbError> {
    text.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
        DbError::Config(format!(
            "{what}: port `{text}` is not a number between 1 and 65535"
        ))
    })
}

/// Magento's `getHostInfo()`; `what` names the value for messages.
fn parse_host(host: &str, what: &str) -> Result<HostForm, DbError> {
    let host = host.trim();
    if host.contains('/') {
        return Ok(HostForm::Socket(PathBuf::from(host)));
    }
    if let Some(rest) = host.strip_prefix('[') {
        let Some((addr, after)) = rest.split_once(']') else {
            return Err(DbError::Config(format!(
                "{what}: `{host}` has `[` without `]`"
            )));
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(p) => Some(parse_port(p, what)?),
                None => {
                    return Err(DbError::Config(format!(
                        "{what}: unexpected `{after}` after `]` in `{host}`"
                    )));
                }
            },
        };
        return Ok(HostForm::Tcp {
            host: addr.to_string(),
            port,
        });
    }
    match host.matches(':').count() {
        0 => Ok(HostForm::Tcp {
            host: host.to_string(),
            port: None,
        }),
        1 => {
            let (h, p) = host.split_once(':').unwrap_or((host, ""));
            Ok(HostForm::Tcp {
                host: h.to_string(),
                port: Some(parse_port(p, what)?),
            })
        }
        // Two or more colons: an IPv6 address without brackets, kept whole.
        _ => Ok(HostForm::Tcp {
            host: host.to_string(),
            port: None,
        }),
    }
}

fn pdo_ssl_attr(key: &Key) -> Option<i64> {
    let by_name = |name: &str| -> Option<i64> {
        let short = name.rsplit("::").next().unwrap_or(name);
        let short = short.strip_prefix("MYSQL_").unwrap_or(short);
        Some(match short {
            "ATTR_SSL_KEY" => PDO_MYSQL_ATTR_SSL_KEY,
            "ATTR_SSL_CERT" => PDO_MYSQL_ATTR_SSL_CERT,
            "ATTR_SSL_CA" => PDO_MYSQL_ATTR_SSL_CA,
            "ATTR_SSL_CAPATH" => PDO_MYSQL_ATTR_SSL_CAPATH,
            "ATTR_SSL_CIPHER" => PDO_MYSQL_ATTR_SSL_CIPHER,
            "ATTR_SSL_VERIFY_SERVER_CERT" => PDO_MYSQL_ATTR_SSL_VERIFY_SERVER_CERT,
            _ => return None,
        })
    };
    match key {
        Key::Int(i) => Some(*i),
        Key::Str(s) => s.trim().parse().ok().or_else(|| by_name(s)),
        Key::Const(c) => by_name(c),
    }
}

impl ConnParams {
    /// From `db/connection/<connection>` and `db/table_prefix` of env.php, with Magento's host
    /// rules: a `/` in `host` makes it a socket path, `host:port` is split, IPv6 is kept whole.
    ///
    /// Two settings Magento 2.4 refuses are accepted, each with an entry in
    /// [`ConnParams::warnings`]: a separate `port` key (used when `host` carries no port), and a
    /// missing `host` (taken as `localhost`).
    pub fn from_env(doc: &Document, connection: &str) -> Result<ConnParams, DbError> {
        let base = format!("db/connection/{connection}");
        if let Some(u) = doc.unresolved_at(&base) {
            return Err(not_literal(&u.path, u.line, &u.text));
        }
        let conn = match doc.get(&base) {
            Some(Value::Array(a)) => a,
            Some(Value::NonLiteral(n)) => return Err(not_literal(&base, n.line, &n.text)),
            Some(_) => {
                return Err(DbError::Config(format!(
                    "app/etc/env.php: {base} is not an array (line {})",
                    doc.line(&base).unwrap_or(0)
                )));
            }
            None => {
                return Err(DbError::NotConfigured(format!(
                    "app/etc/env.php has no {base}: the store's database connection is not configured (pass --db URL to name it)"
                )));
            }
        };

        let mut warnings = Vec::new();
        // Magento tests `isset($config['host'])`: a missing key or `null` fails.
        let host_value = match conn.entry("host").map(|e| &e.value) {
            None | Some(Value::Null) => None,
            Some(_) => scalar(doc, conn, &base, "host")?,
        };
        let host = host_value.unwrap_or_else(|| {
            warnings.push(format!(
                "{base}/host is missing: Magento refuses to connect (\"MySQL adapter: Missing required configuration option 'host'\"); m2auth uses localhost instead"
            ));
            "localhost".into()
        });
        let dbname = scalar(doc, conn, &base, "dbname")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                DbError::Config(format!(
                    "app/etc/env.php: {base}/dbname is missing or empty"
                ))
            })?;
        let user = scalar(doc, conn, &base, "username")?.ok_or_else(|| {
            DbError::Config(format!("app/etc/env.php: {base}/username is missing"))
        })?;
        let password = scalar(doc, conn, &base, "password")?;
        // Magento 2.4 refuses any `port` that `isset()` sees (everything but a missing key or
        // `null`); m2auth uses a non-empty one when the host carries no port.
        let port_is_set = !matches!(
            conn.entry("port").map(|e| &e.value),
            None | Some(Value::Null)
        );
        let port_key = scalar(doc, conn, &base, "port")?.filter(|p| !p.trim().is_empty());

        let mut params = ConnParams {
            user,
            password,
            dbname,
            ..ConnParams::default()
        };
        let form = parse_host(&host, &format!("{base}/host"))?;
        if port_is_set {
            let raw_port = port_key.as_deref().unwrap_or("").trim();
            let refused = format!(
                "Magento 2.4 refuses a separate port key (\"Port must be configured within host (like '{}:{raw_port}') parameter, not within port\")",
                host.trim()
            );
            let advice = match (&form, &port_key) {
                (HostForm::Tcp { host, port: None }, Some(p)) => {
                    let h = if host.contains(':') {
                        format!("[{host}]")
                    } else {
                        host.clone()
                    };
                    format!("set host to '{h}:{}' and remove the port key", p.trim())
                }
                (HostForm::Tcp { port: Some(_), .. }, _) => {
                    "host already names a port, which m2auth used; remove the port key".to_string()
                }
                (HostForm::Socket(_), _) => {
                    "host is a socket path, which m2auth used; remove the port key".to_string()
                }
                _ => "remove the port key".to_string(),
            };
            warnings.push(format!("{base}/port is set: {refused}; {advice}"));
        }
        match form {
            HostForm::Socket(path) => params.socket = Some(path),
            HostForm::Tcp { host, port } => {
                params.port = match (port, port_key) {
                    (Some(p), _) => Some(p),
                    // Magento would refuse this; m2auth takes it so the diagnosis can go on.
                    (None, Some(p)) => Some(parse_port(p.trim(), &format!("{base}/port"))?),
                    (None, None) => None,
                };
                params.host = Some(host);
            }
        }
        params.warnings = warnings;

        params.ssl = match conn.get("driver_options") {
            Some(Value::Array(opts)) => {
                ssl_from_driver_options(doc, opts, &format!("{base}/driver_options"))?
            }
            Some(Value::NonLiteral(n)) => {
                return Err(not_literal(
                    &format!("{base}/driver_options"),
                    n.line,
                    &n.text,
                ));
            }
            _ => None,
        };

        params.table_prefix = match doc.get("db/table_prefix") {
            Some(Value::NonLiteral(n)) => {
                return Err(not_literal("db/table_prefix", n.line, &n.text));
            }
            Some(v) => v.as_string().unwrap_or_default(),
            None => String::new(),
        };
        Ok(params)
    }

    /// From `mysql://user:pass@host:port/db` or `mysql://user@localhost/db?socket=/path`.
    ///
    /// User, password, database and query values are percent-decoded; `[::1]` hosts take an
    /// optional port; `?socket=` gives a unix socket; `?prefix=` gives the table prefix (an m2auth
    /// extension). `mariadb://` is accepted as well.
    ///
    /// An unencoded `@` in the password is accepted (the last `@` of the authority ends it), but
    /// an `@` after a `/` or `?` is refused: it means the password holds a `/` or `?` that must be
    /// percent-encoded, and guessing would put part of the password into the host or database
    /// name. Error messages never show the URL's user-info (see [`redact_url`]).
    pub fn from_url(url: &str) -> Result<ConnParams, DbError> {
        let bad = |why: &str| DbError::Config(format!("--db URL {}: {why}", redact_url(url)));
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .ok_or_else(|| bad("must start with mysql:// (mysql://user:pass@host:port/dbname)"))?;
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if rest[authority_end..].contains('@') {
            return Err(bad(
                "`@` after a `/` or `?`: percent-encode `/` (%2F), `?` (%3F) and `@` (%40) in the password (and `@` in the database name or parameters)",
            ));
        }
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match main.split_once('/') {
            Some((a, p)) => (a, p),
            None => (main, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((u, p)) => (
                    percent_decode(u).map_err(|e| bad(&e))?,
                    Some(percent_decode(p).map_err(|e| bad(&e))?),
                ),
                None => (percent_decode(u).map_err(|e| bad(&e))?, None),
            },
            None => (String::new(), None),
        };
        if user.is_empty() {
            return Err(bad("no user name (mysql://user:pass@host/dbname)"));
        }
        let dbname = percent_decode(path.trim_end_matches('/')).map_err(|e| bad(&e))?;
        if dbname.is_empty() || dbname.contains('/') {
            return Err(bad(
                "no database name after the host (mysql://user:pass@host/dbname)",
            ));
        }

        let mut params = ConnParams {
            user,
            password,
            dbname,
            ..ConnParams::default()
        };
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v).map_err(|e| bad(&e))?;
            match k {
                "socket" => params.socket = Some(PathBuf::from(v)),
                "prefix" | "table_prefix" => params.table_prefix = v,
                _ => {
                    return Err(bad(&format!(
                        "unknown parameter `{k}` (known: socket, prefix)"
                    )));
                }
            }
        }

        let hostport = percent_decode(hostport).map_err(|e| bad(&e))?;
        if hostport.is_empty() {
            if params.socket.is_none() {
                return Err(bad(
                    "no host (mysql://user:pass@host:port/dbname, or ?socket=/path)",
                ));
            }
            return Ok(params);
        }
        match parse_host(&hostport, "--db URL host").map_err(|e| bad(&e.to_string()))? {
            HostForm::Socket(p) => params.socket = Some(p),
            HostForm::Tcp { host, port } => {
                params.host = Some(host);
                params.port = port;
            }
        }
        Ok(params)
    }

    /// The server as a person would name it: `db.example:3307`, `[::1]:3306`, or the socket path.
    pub fn target(&self) -> String {
        if let Some(s) = &self.socket {
            return s.display().to_string();
        }
        let host = self.host.clone().unwrap_or_else(|| "localhost".into());
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        format!("{host}:{}", self.port.unwrap_or(3306))
    }

    /// PDO's meaning of `localhost` (or no host at all) without a socket: the first existing
    /// socket among `candidates`, else TCP to `127.0.0.1` on the same port. Other params are
    /// returned unchanged.
    pub fn resolve_localhost(&self, candidates: &[&Path]) -> ConnParams {
        let mut p = self.clone();
        if p.socket.is_some() {
            return p;
        }
        let is_local = match p.host.as_deref() {
            None => true,
            Some(h) => h.eq_ignore_ascii_case("localhost"),
        };
        if !is_local {
            return p;
        }
        if let Some(sock) = candidates.iter().find(|c| is_socket(c)) {
            p.socket = Some(sock.to_path_buf());
            p.host = Some("localhost".into());
            p.port = None;
        } else {
            p.host = Some("127.0.0.1".into());
        }
        p
    }
}

#[cfg(unix)]
fn is_socket(p: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(p)
        .map(|m| m.file_type().is_socket())
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_socket(_: &Path) -> bool {
    false
}

fn not_literal(path: &str, line: u32, text: &str) -> DbError {
    DbError::Config(format!(
        "{path} is not a literal at line {line} ({text}): set the variable or pass --db URL"
    ))
}

/// A scalar of the connection array as text; `None` when absent.
fn scalar(doc: &Document, conn: &Array, base: &str, key: &str) -> Result<Option<String>, DbError> {
    let path = format!("{base}/{key}");
    if let Some(u) = doc.unresolved_at(&path) {
        return Err(not_literal(&u.path, u.line, &u.text));
    }
    let Some(entry) = conn.entry(key) else {
        return Ok(None);
    };
    match &entry.value {
        Value::NonLiteral(n) => Err(not_literal(&path, n.line, &n.text)),
        Value::Array(_) => Err(DbError::Config(format!(
            "app/etc/env.php: {path} is an array at line {}, expected a string",
            entry.line
        ))),
        v => Ok(v.as_string()),
    }
}

fn ssl_from_driver_options(
    doc: &Document,
    opts: &Array,
    base: &str,
) -> Result<Option<SslParams>, DbError> {
    let mut ssl = SslParams {
        verify_server_cert: true,
        ..SslParams::default()
    };
    let mut enabled = false;
    for entry in opts.iter() {
        let Some(attr) = pdo_ssl_attr(&entry.key) else {
            continue;
        };
        let path = format!("{base}/{}", entry.key);
        if let Value::NonLiteral(n) = &entry.value {
            return Err(not_literal(&path, n.line, &n.text));
        }
        if let Some(u) = doc.unresolved_at(&path) {
            return Err(not_literal(&u.path, u.line, &u.text));
        }
        let text = entry.value.as_string().unwrap_or_default();
        let file = || (!text.is_empty()).then(|| PathBuf::from(&text));
        match attr {
            PDO_MYSQL_ATTR_SSL_KEY => ssl.key = file(),
            PDO_MYSQL_ATTR_SSL_CERT => ssl.cert = file(),
            PDO_MYSQL_ATTR_SSL_CA => ssl.ca = file(),
            // CAPATH and CIPHER turn TLS on in PDO; rustls takes neither a CA directory nor an
            // OpenSSL cipher list, so they only enable TLS here.
            PDO_MYSQL_ATTR_SSL_CAPATH | PDO_MYSQL_ATTR_SSL_CIPHER => {
                enabled |= !text.is_empty();
                continue;
            }
            PDO_MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => {
                ssl.verify_server_cert = entry.value.is_truthy();
                continue;
            }
            _ => continue,
        }
        enabled |= !text.is_empty();
    }
    Ok(enabled.then_some(ssl))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
            match byte {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => {
                    return Err(
                        "bad percent-encoding (`%` must be followed by two hex digits)".into(),
                    );
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "percent-encoding does not decode to UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::envphp::{Entry, NonLiteral, Unresolved};

    fn e(key: &str, value: Value) -> Entry {
        Entry {
            key: Key::Str(key.into()),
            value,
            line: 1,
        }
    }

    fn arr(entries: Vec<Entry>) -> Value {
        Value::Array(Array { entries })
    }

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    fn doc_with(conn: Vec<Entry>, prefix: Option<&str>) -> Document {
        let mut db = vec![e("connection", arr(vec![e("default", arr(conn))]))];
        if let Some(p) = prefix {
            db.insert(0, e("table_prefix", s(p)));
        }
        Document {
            root: Array {
                entries: vec![e("db", arr(db))],
            },
            unresolved: vec![],
        }
    }

    fn basic(host: &str) -> Vec<Entry> {
        vec![
            e("host", s(host)),
            e("dbname", s("magento")),
            e("username", s("mage")),
            e("password", s("secret")),
            e("model", s("mysql4")),
            e("active", s("1")),
        ]
    }

    fn env(host: &str) -> ConnParams {
        ConnParams::from_env(&doc_with(basic(host), None), "default").unwrap()
    }

    #[test]
    fn env_hostname_without_port() {
        let p = env("db.example");
        assert_eq!(p.host.as_deref(), Some("db.example"));
        assert_eq!(p.port, None);
        assert_eq!(p.socket, None);
        assert_eq!(p.user, "mage");
        assert_eq!(p.password.as_deref(), Some("secret"));
        assert_eq!(p.dbname, "magento");
        assert_eq!(p.table_prefix, "");
        assert_eq!(p.ssl, None);
        assert_eq!(p.target(), "db.example:3306");
    }

    #[test]
    fn env_host_port_split() {
        let p = env("127.0.0.1:3307");
        assert_eq!(p.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.port, Some(3307));
        assert_eq!(p.target(), "127.0.0.1:3307");
    }

    #[test]
    fn env_socket_path() {
        let p = env("/var/run/mysqld/mysqld.sock");
        assert_eq!(
            p.socket.as_deref(),
            Some(Path::new("/var/run/mysqld/mysqld.sock"))
        );
        assert_eq!(p.host, None);
        assert_eq!(p.target(), "/var/run/mysqld/mysqld.sock");
    }

    #[test]
    fn env_ipv6_forms() {
        let p = env("::1");
        assert_eq!((p.host.as_deref(), p.port), (Some("::1"), None));
        assert_eq!(p.target(), "[::1]:3306");
        let p = env("[::1]");
        assert_eq!((p.host.as_deref(), p.port), (Some("::1"), None));
        let p = env("[::1]:3307");
        assert_eq!((p.host.as_deref(), p.port), (Some("::1"), Some(3307)));
        assert_eq!(p.target(), "[::1]:3307");
        let p = env("fe80::1:2");
        assert_eq!((p.host.as_deref(), p.port), (Some("fe80::1:2"), None));
    }

    #[test]
    fn env_localhost_is_kept_for_connect_time() {
        let p = env("localhost");
        assert_eq!(
            (p.host.as_deref(), p.port, p.socket.as_deref()),
            (Some("localhost"), None, None)
        );
    }

    #[test]
    fn env_bad_port() {
        let err = ConnParams::from_env(&doc_with(basic("db:abc"), None), "default").unwrap_err();
        assert!(err.to_string().contains("port `abc`"), "{err}");
        let err = ConnParams::from_env(&doc_with(basic("[::1"), None), "default").unwrap_err();
        assert!(matches!(err, DbError::Config(_)));
    }

    #[test]
    fn env_port_key_used_when_host_has_none() {
        let mut c = basic("db.example");
        c.push(e("port", Value::Int(3308)));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert_eq!(p.port, Some(3308));
        let mut c = basic("db.example:3309");
        c.push(e("port", s("3308")));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert_eq!(p.port, Some(3309));
    }

    #[test]
    fn env_table_prefix_and_other_connection() {
        let mut doc = doc_with(basic("db"), Some("m2_"));
        let p = ConnParams::from_env(&doc, "default").unwrap();
        assert_eq!(p.table_prefix, "m2_");
        let err = ConnParams::from_env(&doc, "indexer").unwrap_err();
        assert!(
            err.to_string().contains("no db/connection/indexer"),
            "{err}"
        );
        doc.root.entries.clear();
        let err = ConnParams::from_env(&doc, "default").unwrap_err();
        assert!(
            matches!(&err, DbError::NotConfigured(m) if m.contains("has no db/connection/default")),
            "{err}"
        );
    }

    #[test]
    fn env_missing_dbname_or_user() {
        let c: Vec<Entry> = basic("db")
            .into_iter()
            .filter(|e| e.key.as_segment() != "dbname")
            .collect();
        let err = ConnParams::from_env(&doc_with(c, None), "default").unwrap_err();
        assert!(err.to_string().contains("dbname"), "{err}");
        let c: Vec<Entry> = basic("db")
            .into_iter()
            .filter(|e| e.key.as_segment() != "username")
            .collect();
        let err = ConnParams::from_env(&doc_with(c, None), "default").unwrap_err();
        assert!(err.to_string().contains("username"), "{err}");
    }

    #[test]
    fn env_missing_password_is_none_and_int_values_are_text() {
        let c = vec![
            e("host", s("db")),
            e("dbname", Value::Int(42)),
            e("username", s("u")),
        ];
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert_eq!(p.password, None);
        assert_eq!(p.dbname, "42");
    }

    #[test]
    fn env_non_literal_password() {
        let mut c = basic("db");
        c[3] = Entry {
            key: Key::Str("password".into()),
            value: Value::NonLiteral(NonLiteral {
                text: "getenv('DB_PASS')".into(),
                line: 12,
            }),
            line: 12,
        };
        let mut doc = doc_with(c, None);
        doc.unresolved.push(Unresolved {
            path: "db/connection/default/password".into(),
            line: 12,
            text: "getenv('DB_PASS')".into(),
        });
        let err = ConnParams::from_env(&doc, "default").unwrap_err();
        assert_eq!(
            err.to_string(),
            "db/connection/default/password is not a literal at line 12 (getenv('DB_PASS')): set the variable or pass --db URL"
        );
        // Same message from the value alone, without the unresolved list.
        doc.unresolved.clear();
        let err2 = ConnParams::from_env(&doc, "default").unwrap_err();
        assert_eq!(err.to_string(), err2.to_string());
    }

    #[test]
    fn env_non_literal_connection() {
        let db = vec![e(
            "connection",
            arr(vec![e(
                "default",
                Value::NonLiteral(NonLiteral {
                    text: "$connection ?? []".into(),
                    line: 7,
                }),
            )]),
        )];
        let doc = Document {
            root: Array {
                entries: vec![e("db", arr(db))],
            },
            unresolved: vec![],
        };
        let err = ConnParams::from_env(&doc, "default").unwrap_err();
        assert!(
            err.to_string()
                .contains("db/connection/default is not a literal at line 7"),
            "{err}"
        );
    }

    fn with_driver_options(opts: Vec<Entry>) -> ConnParams {
        let mut c = basic("db");
        c.push(e("driver_options", arr(opts)));
        ConnParams::from_env(&doc_with(c, None), "default").unwrap()
    }

    #[test]
    fn env_driver_options_verify_only_is_no_tls() {
        let p = with_driver_options(vec![Entry {
            key: Key::Int(1014),
            value: Value::Bool(false),
            line: 3,
        }]);
        assert_eq!(p.ssl, None);
    }

    #[test]
    fn env_driver_options_by_constant_name() {
        let p = with_driver_options(vec![
            Entry {
                key: Key::Const("PDO::MYSQL_ATTR_SSL_CA".into()),
                value: s("/etc/ssl/ca.pem"),
                line: 3,
            },
            Entry {
                key: Key::Const("PDO::MYSQL_ATTR_SSL_CERT".into()),
                value: s("/etc/ssl/c.pem"),
                line: 4,
            },
            Entry {
                key: Key::Const("PDO::MYSQL_ATTR_SSL_KEY".into()),
                value: s("/etc/ssl/k.pem"),
                line: 5,
            },
            Entry {
                key: Key::Const("PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT".into()),
                value: Value::Bool(false),
                line: 6,
            },
        ]);
        let ssl = p.ssl.unwrap();
        assert_eq!(ssl.ca.as_deref(), Some(Path::new("/etc/ssl/ca.pem")));
        assert_eq!(ssl.cert.as_deref(), Some(Path::new("/etc/ssl/c.pem")));
        assert_eq!(ssl.key.as_deref(), Some(Path::new("/etc/ssl/k.pem")));
        assert!(!ssl.verify_server_cert);
    }

    #[test]
    fn env_driver_options_by_number_and_php84_names() {
        let p = with_driver_options(vec![
            Entry {
                key: Key::Int(1009),
                value: s("/ca.pem"),
                line: 3,
            },
            Entry {
                key: Key::Str("1008".into()),
                value: s("/c.pem"),
                line: 4,
            },
            Entry {
                key: Key::Const("Pdo\\Mysql::ATTR_SSL_KEY".into()),
                value: s("/k.pem"),
                line: 5,
            },
        ]);
        let ssl = p.ssl.unwrap();
        assert_eq!(ssl.ca.as_deref(), Some(Path::new("/ca.pem")));
        assert_eq!(ssl.cert.as_deref(), Some(Path::new("/c.pem")));
        assert_eq!(ssl.key.as_deref(), Some(Path::new("/k.pem")));
        assert!(
            ssl.verify_server_cert,
            "verification is on unless 1014 => false"
        );
    }

    #[test]
    fn url_tcp() {
        let p = ConnParams::from_url("mysql://mage:s%40cr%3At@db.example:3307/magento").unwrap();
        assert_eq!(p.user, "mage");
        assert_eq!(p.password.as_deref(), Some("s@cr:t"));
        assert_eq!(p.host.as_deref(), Some("db.example"));
        assert_eq!(p.port, Some(3307));
        assert_eq!(p.dbname, "magento");
        assert_eq!(p.socket, None);
        assert_eq!(p.table_prefix, "");
    }

    #[test]
    fn url_password_with_at_sign_unencoded() {
        let p = ConnParams::from_url("mysql://mage:p@ss@db/magento").unwrap();
        assert_eq!(p.password.as_deref(), Some("p@ss"));
        assert_eq!(p.host.as_deref(), Some("db"));
    }

    #[test]
    fn url_socket_and_prefix() {
        let p = ConnParams::from_url(
            "mysql://mage@localhost/magento?socket=/run/mysqld/mysqld.sock&prefix=m2_",
        )
        .unwrap();
        assert_eq!(p.password, None);
        assert_eq!(
            p.socket.as_deref(),
            Some(Path::new("/run/mysqld/mysqld.sock"))
        );
        assert_eq!(p.table_prefix, "m2_");
        let p = ConnParams::from_url("mysql://mage@/magento?socket=%2Ftmp%2Fmy.sock").unwrap();
        assert_eq!(p.socket.as_deref(), Some(Path::new("/tmp/my.sock")));
    }

    #[test]
    fn url_ipv6() {
        let p = ConnParams::from_url("mysql://u:p@[::1]:3307/db").unwrap();
        assert_eq!((p.host.as_deref(), p.port), (Some("::1"), Some(3307)));
        let p = ConnParams::from_url("mariadb://u:p@[::1]/db").unwrap();
        assert_eq!((p.host.as_deref(), p.port), (Some("::1"), None));
    }

    #[test]
    fn url_errors_are_config_and_hide_password() {
        for bad in [
            "postgres://u:topsecret@h/db",
            "mysql://u:topsecret@h",
            "mysql://u:topsecret@h/",
            "mysql://:topsecret@h/db",
            "mysql://u:topsecret@h:99999/db",
            "mysql://u:topsecret@h/db?foo=1",
            "mysql://u:topsecret@/db",
            "mysql://u:top%zzsecret@h/db",
        ] {
            let err = ConnParams::from_url(bad).unwrap_err();
            assert!(matches!(err, DbError::Config(_)), "{bad}: {err:?}");
            assert!(!err.to_string().contains("topsecret"), "{bad}: {err}");
        }
    }

    #[test]
    fn url_redaction_hides_everything_up_to_the_last_at() {
        for (url, shown) in [
            ("mysql://u:pa/ss@h/db", "mysql://***@h/db"),
            ("mysql://u:pa?ss@h/db", "mysql://***@h/db"),
            ("mysql://u:p@ss@h:3307/db", "mysql://***@h:3307/db"),
            ("mysql://u:S3cretPass", "mysql://***"),
            ("mysql://u:S3cretPass/db", "mysql://***"),
            ("mysql://u@h/db?socket=/s", "mysql://***@h/db?socket=/s"),
            ("u:S3cretPass@h/db", "***@h/db"),
            ("mysql://h/db", "mysql://h/db"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn url_errors_never_show_a_password_with_url_delimiters() {
        for (bad, secret) in [
            ("mysql://u:Kq7v/Zx9w@h/db", "Kq7v/Zx9w"),
            ("mysql://u:Kq7v?Zx9w@h/db", "Kq7v?Zx9w"),
            ("mysql://u:Kq7vZx9w", "Kq7vZx9w"),
            ("mysql://u:Kq7vZx9w/db", "Kq7vZx9w"),
            ("mysql://u:Kq7vZx9w@", "Kq7vZx9w"),
            ("mysql://x@u:Kq7v/Zx9w@h", "Kq7v/Zx9w"),
            ("mysql://u:Kq7v@Zx/9w@h", "Kq7v@Zx/9w"),
            ("mysql://u:Kq7v@Zx/9w@h/db", "Kq7v@Zx/9w"),
            ("mysql://u:Kq7v/Zx9w@h:99999/db", "Kq7v/Zx9w"),
            ("mysql://u:Kq7v/Zx9w@h/db?x=1", "Kq7v/Zx9w"),
            ("pgsql://u:Kq7vZx9w@h/db", "Kq7vZx9w"),
            ("u:Kq7vZx9w@h/db", "Kq7vZx9w"),
            ("u:Kq7vZx9w", "Kq7vZx9w"),
        ] {
            let err = ConnParams::from_url(bad).unwrap_err();
            assert!(matches!(err, DbError::Config(_)), "{bad}: {err:?}");
            let text = format!("{err} {err:?}");
            assert!(!text.contains(secret), "{bad}: {text}");
            // Not even the part after the first delimiter.
            for part in secret.split(['/', '?', '@']).filter(|p| p.len() > 2) {
                assert!(!text.contains(part), "{bad}: {part} in {text}");
            }
        }
        // The delimiter case says what to do.
        let err = ConnParams::from_url("mysql://u:Kq7v/Zx9w@h/db").unwrap_err();
        assert!(err.to_string().contains("%2F"), "{err}");
    }

    #[test]
    fn display_and_debug_never_show_the_password() {
        let mut p =
            ConnParams::from_url("mysql://mage:Pw-0f-the-Store@db.example/magento").unwrap();
        assert_eq!(p.to_string(), "mage@db.example:3306/magento");
        p.ssl = Some(SslParams::default());
        assert_eq!(p.to_string(), "mage@db.example:3306/magento (TLS)");
        let debug = format!("{p:?} {p:#?}");
        assert!(!debug.contains("Pw-0f-the-Store"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
        let mut c = basic("db");
        c.push(e("port", s("3307")));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        let all = format!("{p} {p:?} {}", p.warnings.join(" "));
        assert!(!all.contains("secret"), "{all}");
    }

    #[test]
    fn default_has_no_warnings() {
        let p = ConnParams::default();
        assert!(p.warnings.is_empty());
        assert!(env("db.example").warnings.is_empty());
        assert!(
            ConnParams::from_url("mysql://u:p@h/db")
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn env_port_key_warns_as_magento_refuses_it() {
        let mut c = basic("db.example");
        c.push(e("port", Value::Int(3308)));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert_eq!(p.port, Some(3308), "m2auth still uses it");
        assert_eq!(
            p.warnings,
            vec![
                "db/connection/default/port is set: Magento 2.4 refuses a separate port key (\"Port must be configured within host (like 'db.example:3308') parameter, not within port\"); set host to 'db.example:3308' and remove the port key".to_string()
            ]
        );

        let mut c = basic("db.example:3309");
        c.push(e("port", s("3308")));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert_eq!(p.warnings.len(), 1);
        assert!(
            p.warnings[0].contains("host already names a port"),
            "{:?}",
            p.warnings
        );

        let mut c = basic("::1");
        c.push(e("port", s("3307")));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert!(
            p.warnings[0].ends_with("set host to '[::1]:3307' and remove the port key"),
            "{:?}",
            p.warnings
        );

        let mut c = basic("/run/mysqld/mysqld.sock");
        c.push(e("port", s("3307")));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert!(p.warnings[0].contains("socket path"), "{:?}", p.warnings);

        // An empty port is still `isset()` for Magento; `null` is not.
        let mut c = basic("db");
        c.push(e("port", s("")));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert_eq!((p.port, p.warnings.len()), (None, 1));
        let mut c = basic("db");
        c.push(e("port", Value::Null));
        let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
        assert_eq!((p.port, p.warnings.len()), (None, 0));
    }

    #[test]
    fn env_missing_host_warns_and_means_localhost() {
        for c in [
            basic("x")
                .into_iter()
                .filter(|e| e.key.as_segment() != "host")
                .collect::<Vec<_>>(),
            {
                let mut c = basic("x");
                c[0].value = Value::Null;
                c
            },
        ] {
            let p = ConnParams::from_env(&doc_with(c, None), "default").unwrap();
            assert_eq!(p.host.as_deref(), Some("localhost"));
            assert_eq!(
                p.warnings,
                vec![
                    "db/connection/default/host is missing: Magento refuses to connect (\"MySQL adapter: Missing required configuration option 'host'\"); m2auth uses localhost instead".to_string()
                ]
            );
        }
    }

    #[test]
    fn localhost_resolution() {
        let dir = std::env::temp_dir().join(format!("m2auth-sock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("mysqld.sock");
        let _ = std::fs::remove_file(&sock);
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let missing = dir.join("missing.sock");

        let p = env("localhost");
        let r = p.resolve_localhost(&[&missing, &sock]);
        assert_eq!(r.socket.as_deref(), Some(sock.as_path()));
        let r = p.resolve_localhost(&[&missing]);
        assert_eq!(
            (r.host.as_deref(), r.port, r.socket.as_deref()),
            (Some("127.0.0.1"), None, None)
        );
        let r = env("localhost:3310").resolve_localhost(&[&missing]);
        assert_eq!((r.host.as_deref(), r.port), (Some("127.0.0.1"), Some(3310)));
        let r = env("db.example").resolve_localhost(&[&sock]);
        assert_eq!(r.socket, None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
