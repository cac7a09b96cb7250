//! A live MySQL/MariaDB server, in a read-only session.
//!
//! The session is opened with `SET SESSION TRANSACTION READ ONLY` and then
//! `START TRANSACTION READ ONLY`, so the server itself refuses any write (error 1792) whatever
//! the statement; m2auth only ever sends `SELECT`s.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mysql::consts::{ColumnFlags, ColumnType};
use mysql::prelude::Queryable;

use super::connect::{DEFAULT_SOCKETS, SslParams};
use super::{ConnParams, Database, DbDescription, DbError, Row, SqlValue};

/// Time allowed to open the session: the TCP connect, and then each read and write of the
/// handshake, authentication and the two statements that make the session read-only. A port that
/// accepts connections but never answers like a MySQL server fails after this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Read/write timeout of every query once the session is open (unix; elsewhere the session keeps
/// [`CONNECT_TIMEOUT`], as the `mysql` driver has no way to change it on an open connection).
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);

const ER_DBACCESS_DENIED_ERROR: u16 = 1044;
const ER_ACCESS_DENIED_ERROR: u16 = 1045;
const ER_BAD_DB_ERROR: u16 = 1049;
pub(super) const ER_NO_SUCH_TABLE: u16 = 1146;

pub struct LiveDb {
    /// The parameters actually used (`localhost` resolved to a socket or `127.0.0.1`).
    params: ConnParams,
    conn: Mutex<mysql::Conn>,
}

impl LiveDb {
    /// Connect (timeout at most 5 s) and open a `START TRANSACTION READ ONLY` session.
    ///
    /// `localhost` (or no host) without a socket means the default local socket, as PDO does:
    /// see [`ConnParams::resolve_localhost`] with [`DEFAULT_SOCKETS`].
    pub fn connect(params: &ConnParams) -> Result<LiveDb, DbError> {
        let (params, mut conn) = open_conn(params)?;
        let target = params.target();
        for stmt in [
            "SET SESSION TRANSACTION READ ONLY",
            "START TRANSACTION READ ONLY",
        ] {
            conn.query_drop(stmt).map_err(|e| DbError::Unreachable {
                target: target.clone(),
                reason: match connect_timeout_reason(&e) {
                    Some(why) => why,
                    None => format!("cannot open a read-only session: {}", short_error(&e)),
                },
            })?;
        }
        set_io_timeout(&conn, params.socket.is_some(), IO_TIMEOUT).map_err(|e| {
            DbError::Unreachable {
                target: target.clone(),
                reason: format!("cannot set the query timeout on the connection: {e}"),
            }
        })?;
        Ok(LiveDb {
            params,
            conn: Mutex::new(conn),
        })
    }

    /// Run one statement in the read-only session and discard its result. Meant for tests that
    /// prove the session refuses writes; m2auth itself only reads through [`Database`].
    pub fn try_statement(&self, sql: &str) -> Result<(), DbError> {
        let mut conn = self.lock();
        conn.query_drop(sql).map_err(|e| DbError::Query {
            table: "-".into(),
            message: short_error(&e),
        })
    }

    /// The TLS cipher of the session as the server reports it (`SHOW SESSION STATUS LIKE
    /// 'Ssl_cipher'`), `None` when the connection is not encrypted. Lets tests (and a person)
    /// confirm that TLS is really in use rather than trusting the client side.
    pub fn ssl_cipher(&self) -> Result<Option<String>, DbError> {
        let mut conn = self.lock();
        let row: Option<(String, String)> = conn
            .query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            .map_err(|e| DbError::Query {
                table: "-".into(),
                message: short_error(&e),
            })?;
        Ok(row.map(|(_, v)| v).filter(|v| !v.is_empty()))
    }

    /// Whether the server reports the session as read-only (`@@session.tx_read_only`, or
    /// `@@session.transaction_read_only` on MySQL 8).
    pub fn is_read_only(&self) -> Result<bool, DbError> {
        let mut conn = self.lock();
        let q = |conn: &mut mysql::Conn, sql: &str| conn.query_first::<i64, _>(sql);
        let v = q(&mut conn, "SELECT @@session.tx_read_only")
            .or_else(|_| q(&mut conn, "SELECT @@session.transaction_read_only"))
            .map_err(|e| DbError::Query {
                table: "-".into(),
                message: short_error(&e),
            })?;
        Ok(v == Some(1))
    }

    /// The read and write timeouts of the session's socket (`None`: no timeout). Lets tests
    /// confirm that queries run under [`IO_TIMEOUT`] once the session is open, while the
    /// handshake ran under [`CONNECT_TIMEOUT`].
    #[cfg(unix)]
    pub fn io_timeouts(&self) -> std::io::Result<(Option<Duration>, Option<Duration>)> {
        use std::os::fd::{AsRawFd, BorrowedFd};
        let conn = self.lock();
        // SAFETY: as in `set_io_timeout`: the descriptor is `conn`'s, held open by the lock.
        let fd = unsafe { BorrowedFd::borrow_raw(conn.as_raw_fd()) };
        let s = std::net::TcpStream::from(fd.try_clone_to_owned()?);
        Ok((s.read_timeout()?, s.write_timeout()?))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, mysql::Conn> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn table_name(&self, table: &str) -> Result<String, DbError> {
        let name = format!("{}{}", self.params.table_prefix, table);
        check_ident(&name, &name)?;
        Ok(name)
    }
}

impl Database for LiveDb {
    fn describe(&self) -> DbDescription {
        DbDescription {
            source: super::Source::Live,
            host: self.params.host.clone(),
            port: self.params.port,
            socket: self.params.socket.clone(),
            name: Some(self.params.dbname.clone()),
            table_prefix: self.params.table_prefix.clone(),
            dump: None,
        }
    }

    fn has_table(&self, table: &str) -> Result<bool, DbError> {
        let name = self.table_name(table)?;
        let mut conn = self.lock();
        let n: Option<i64> = conn
            .exec_first(
                "SELECT COUNT(*) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                (name.clone(),),
            )
            .map_err(|e| DbError::Query {
                table: name,
                message: short_error(&e),
            })?;
        Ok(n.unwrap_or(0) > 0)
    }

    fn rows(&self, table: &str, filter: &[(&str, SqlValue)]) -> Result<Vec<Row>, DbError> {
        let name = self.table_name(table)?;
        let mut sql = format!("SELECT * FROM `{name}`");
        let mut params = Vec::with_capacity(filter.len());
        for (i, (col, value)) in filter.iter().enumerate() {
            check_ident(col, &name)?;
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(&format!("`{col}` = ?"));
            params.push(to_mysql(value));
        }
        let mut conn = self.lock();
        // Always a prepared statement: the binary protocol gives typed values (the text protocol
        // would give every value as bytes).
        let params = if params.is_empty() {
            mysql::Params::Empty
        } else {
            mysql::Params::Positional(params)
        };
        let result: Result<Vec<mysql::Row>, _> = conn.exec(&sql, params);
        let raw = match result {
            Ok(r) => r,
            Err(mysql::Error::MySqlError(e)) if e.code == ER_NO_SUCH_TABLE => return Ok(Vec::new()),
            Err(e) => {
                return Err(DbError::Query {
                    table: name,
                    message: short_error(&e),
                });
            }
        };
        Ok(convert_rows(raw))
    }

    fn rows_later_than(
        &self,
        table: &str,
        column: &str,
        after: jiff::Timestamp,
    ) -> Result<Vec<Row>, DbError> {
        let name = self.table_name(table)?;
        check_ident(column, &name)?;
        let sql = format!("SELECT * FROM `{name}` WHERE `{column}` > ?");
        let when = after.strftime("%Y-%m-%d %H:%M:%S").to_string();
        let mut conn = self.lock();
        let result: Result<Vec<mysql::Row>, _> =
            conn.exec(&sql, mysql::Params::Positional(vec![when.into()]));
        match result {
            Ok(raw) => Ok(convert_rows(raw)),
            Err(mysql::Error::MySqlError(e)) if e.code == ER_NO_SUCH_TABLE => Ok(Vec::new()),
            Err(e) => Err(DbError::Query {
                table: name,
                message: short_error(&e),
            }),
        }
    }

    fn count_by_last_field(
        &self,
        table: &str,
        column: &str,
    ) -> Result<Vec<(Option<String>, i64)>, DbError> {
        let name = self.table_name(table)?;
        check_ident(column, &name)?;
        let sql = format!(
            "SELECT SUBSTRING_INDEX(`{column}`, ':', -1) AS v, COUNT(*) AS n FROM `{name}` GROUP BY v ORDER BY n DESC, v"
        );
        let mut conn = self.lock();
        let result: Result<Vec<(Option<String>, i64)>, _> = conn.exec(&sql, mysql::Params::Empty);
        match result {
            Ok(rows) => Ok(rows),
            Err(mysql::Error::MySqlError(e)) if e.code == ER_NO_SUCH_TABLE => Ok(Vec::new()),
            Err(e) => Err(DbError::Query {
                table: name,
                message: short_error(&e),
            }),
        }
    }
}

/// Open a connection with the parameters m2auth uses for every session (read-only or writable):
/// `localhost` resolved as PDO does, at most [`CONNECT_TIMEOUT`] for the connect and handshake, TLS
/// from `driver_options`, errors explained. Returns the parameters actually used with the
/// connection; the caller sets its session up and then raises the socket timeouts with
/// [`set_io_timeout`].
pub(super) fn open_conn(params: &ConnParams) -> Result<(ConnParams, mysql::Conn), DbError> {
    let candidates: Vec<&Path> = DEFAULT_SOCKETS.iter().map(Path::new).collect();
    let params = params.resolve_localhost(&candidates);
    let target = params.target();

    if let Some(sock) = &params.socket
        && !sock.exists()
    {
        return Err(DbError::Unreachable {
            target,
            reason: "no such socket (is the server running on this machine?)".into(),
        });
    }

    let mut builder = mysql::OptsBuilder::new()
        .user(Some(params.user.clone()))
        .pass(params.password.clone())
        .db_name(Some(params.dbname.clone()))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
        // The handshake runs under these: a silent port must fail within CONNECT_TIMEOUT, not
        // after the query timeout. Raised to IO_TIMEOUT once the session is open.
        .read_timeout(Some(CONNECT_TIMEOUT))
        .write_timeout(Some(CONNECT_TIMEOUT))
        .stmt_cache_size(Some(16));
    builder = match &params.socket {
        Some(sock) => builder.socket(Some(sock.to_string_lossy().into_owned())),
        None => builder
            .ip_or_hostname(Some(
                params.host.clone().unwrap_or_else(|| "127.0.0.1".into()),
            ))
            .tcp_port(params.port.unwrap_or(3306)),
    };
    if let Some(ssl) = &params.ssl {
        builder = builder.ssl_opts(Some(ssl_opts(ssl)?));
    }

    let conn = mysql::Conn::new(builder).map_err(|e| connect_error(&params, e))?;
    Ok((params, conn))
}

/// Rows of a binary-protocol result as m2auth's [`Row`]s (column names shared).
pub(super) fn convert_rows(raw: Vec<mysql::Row>) -> Vec<Row> {
    let Some(first) = raw.first() else {
        return Vec::new();
    };
    let columns: Arc<Vec<String>> = Arc::new(
        first
            .columns_ref()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect(),
    );
    let types: Vec<(ColumnType, bool)> = first
        .columns_ref()
        .iter()
        .map(|c| {
            (
                c.column_type(),
                c.flags().contains(ColumnFlags::UNSIGNED_FLAG),
            )
        })
        .collect();
    raw.into_iter()
        .map(|row| {
            let values = row
                .unwrap()
                .into_iter()
                .zip(&types)
                .map(|(v, (t, unsigned))| from_mysql(v, *t, *unsigned))
                .collect();
            Row {
                columns: Arc::clone(&columns),
                values,
            }
        })
        .collect()
}

/// Table and column names go into SQL text: only `[A-Za-z0-9_]+` is accepted.
pub(super) fn check_ident(ident: &str, table: &str) -> Result<(), DbError> {
    if !ident.is_empty()
        && ident
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        Err(DbError::Query {
            table: table.to_string(),
            message: format!(
                "invalid identifier `{ident}` (only letters, digits and `_` are allowed)"
            ),
        })
    }
}

pub(super) fn to_mysql(v: &SqlValue) -> mysql::Value {
    match v {
        SqlValue::Null => mysql::Value::NULL,
        SqlValue::Int(i) => mysql::Value::Int(*i),
        SqlValue::UInt(u) => mysql::Value::UInt(*u),
        SqlValue::Float(f) => mysql::Value::Double(*f),
        SqlValue::Text(s) => mysql::Value::Bytes(s.as_bytes().to_vec()),
        SqlValue::Bytes(b) => mysql::Value::Bytes(b.clone()),
    }
}

/// A server value as m2auth sees it: dates and times as MySQL prints them, bytes as text when
/// they are UTF-8, integers of `unsigned` columns as `UInt` (the driver does not tell them apart).
pub fn from_mysql(v: mysql::Value, column_type: ColumnType, unsigned: bool) -> SqlValue {
    match v {
        mysql::Value::NULL => SqlValue::Null,
        mysql::Value::Int(i) if unsigned && i >= 0 => SqlValue::UInt(i as u64),
        mysql::Value::Int(i) => SqlValue::Int(i),
        mysql::Value::UInt(u) => SqlValue::UInt(u),
        mysql::Value::Float(f) => SqlValue::Float(f64::from(f)),
        mysql::Value::Double(f) => SqlValue::Float(f),
        mysql::Value::Bytes(b) => match String::from_utf8(b) {
            Ok(s) => SqlValue::Text(s),
            Err(e) => SqlValue::Bytes(e.into_bytes()),
        },
        mysql::Value::Date(y, mo, d, h, mi, s, us) => {
            let is_date = matches!(
                column_type,
                ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE
            );
            let mut text = format!("{y:04}-{mo:02}-{d:02}");
            if !is_date {
                text.push_str(&format!(" {h:02}:{mi:02}:{s:02}"));
                if us != 0 {
                    text.push_str(&format!(".{us:06}"));
                }
            }
            SqlValue::Text(text)
        }
        mysql::Value::Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(days) * 24 + u64::from(h);
            let mut text = format!("{}{hours:02}:{mi:02}:{s:02}", if neg { "-" } else { "" });
            if us != 0 {
                text.push_str(&format!(".{us:06}"));
            }
            SqlValue::Text(text)
        }
    }
}

/// The `mysql` (rustls) TLS options for env.php's `driver_options`, with PDO/mysqlnd semantics.
///
/// The files are checked first, so that a wrong path is named as such: the driver would report a
/// missing CA file as a bare "not found", which reads like a missing socket.
fn ssl_opts(ssl: &SslParams) -> Result<mysql::SslOpts, DbError> {
    let readable = |path: &Path, option: &str| -> Result<Vec<u8>, DbError> {
        super::super::fsread::read_capped(path, super::super::fsread::CERT_FILE_BYTES).map_err(|e| {
            DbError::Config(format!(
                "TLS file {} (driver_options \\PDO::MYSQL_ATTR_SSL_{option}) cannot be read: {e}",
                path.display()
            ))
        })
    };
    let mut opts = mysql::SslOpts::default();
    if let Some(ca) = &ssl.ca {
        readable(ca, "CA")?;
        opts = opts.with_root_cert_path(Some(ca.clone()));
    }
    if let Some(cert) = &ssl.cert {
        let pem = readable(cert, "CERT")?;
        // PHP (mysqlnd's stream context `local_cert` without `local_pk`) reads the private key
        // from the certificate file when MYSQL_ATTR_SSL_KEY is not given; do the same, and say so
        // when that file holds no key rather than fail later with a key parse error.
        let key = match &ssl.key {
            Some(key) => {
                readable(key, "KEY")?;
                key.clone()
            }
            None if memchr::memmem::find(&pem, b"PRIVATE KEY-----").is_some() => cert.clone(),
            None => {
                return Err(DbError::Config(format!(
                    "driver_options \\PDO::MYSQL_ATTR_SSL_CERT ({}) holds no private key and \\PDO::MYSQL_ATTR_SSL_KEY is not set: a client certificate needs its key",
                    cert.display()
                )));
            }
        };
        opts = opts.with_client_identity(Some(mysql::ClientIdentity::new(cert.clone(), key)));
    }
    // A key without a certificate is ignored, as mysqlnd ignores `local_pk` without `local_cert`.
    if !ssl.verify_server_cert {
        // `\PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => false`: encrypt, but trust any certificate
        // for any name (mysqlnd's `verify_peer` and `verify_peer_name` both off). With rustls both
        // flags are needed: `accept_invalid_certs` alone still checks the name.
        opts = opts
            .with_danger_accept_invalid_certs(true)
            .with_danger_skip_domain_validation(true);
    }
    Ok(opts)
}

/// The rustls error behind a failed TLS handshake: rustls reports it as an `io::Error`
/// (`InvalidData`) from the stream, which the driver wraps as an I/O or a codec error.
fn tls_failure(e: &mysql::Error) -> Option<&rustls::Error> {
    let io: &std::io::Error = match e {
        mysql::Error::IoError(io) => io,
        mysql::Error::CodecError(c) => std::error::Error::source(c)?.downcast_ref()?,
        _ => return None,
    };
    io.get_ref()?.downcast_ref::<rustls::Error>()
}

/// Why a TLS connection failed, and which `driver_options` entry to look at.
fn tls_reason(e: &rustls::Error, params: &ConnParams) -> String {
    use rustls::{AlertDescription, CertificateError};
    let host = params.host.as_deref().unwrap_or("localhost");
    let why = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                "the server's certificate is not signed by a trusted CA: check \\PDO::MYSQL_ATTR_SSL_CA in driver_options (or set \\PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => false to encrypt without verifying)".to_string()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the server's certificate is not valid for `{host}` (its subjectAltName does not name it): connect by a name the certificate holds, or set \\PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => false"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the server's certificate has expired".to_string()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet (check the clocks)".to_string()
            }
            _ => "the server's certificate was rejected".to_string(),
        },
        rustls::Error::AlertReceived(
            AlertDescription::UnknownCA
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateRequired
            | AlertDescription::CertificateUnknown
            | AlertDescription::DecryptError,
        ) => "the server rejected the client certificate: check \\PDO::MYSQL_ATTR_SSL_CERT and \\PDO::MYSQL_ATTR_SSL_KEY in driver_options".to_string(),
        _ => "check the TLS settings (\\PDO::MYSQL_ATTR_SSL_*) in driver_options".to_string(),
    };
    format!("TLS handshake failed ({e}): {why}")
}

/// Access denied (error 1045) says nothing about TLS, yet an account created `REQUIRE SSL` /
/// `REQUIRE X509` is refused with exactly that error when the connection lacks TLS or a client
/// certificate. Name that possibility when it can apply.
fn access_denied_hint(params: &ConnParams) -> String {
    let ssl = params.ssl.as_ref();
    if params.socket.is_some() && ssl.is_some() {
        // The `mysql` driver never starts TLS on a unix socket (`make_secure` leaves it as is);
        // a server that insists on TLS there cannot be reached through the socket by m2auth.
        return "; m2auth does not use TLS over a unix socket: if the account requires TLS (REQUIRE SSL/X509), set host to the server's TCP address".into();
    }
    match ssl {
        None => "; or the account requires TLS (created with REQUIRE SSL or X509) and no TLS is configured: set \\PDO::MYSQL_ATTR_SSL_CA (plus _SSL_CERT and _SSL_KEY for X509) in db/connection/default/driver_options".into(),
        Some(s) if s.cert.is_none() => "; or the account requires a client certificate (created with REQUIRE X509): set \\PDO::MYSQL_ATTR_SSL_CERT and \\PDO::MYSQL_ATTR_SSL_KEY in driver_options".into(),
        Some(_) => String::new(),
    }
}

/// The error without the driver's wrapping; never contains the password (the server's messages
/// only say `using password: YES`).
pub(super) fn short_error(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(m) => format!("{} (error {})", m.message, m.code),
        mysql::Error::IoError(io) => io_reason(io),
        mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((_, desc, kind)))) => {
            io_reason(&std::io::Error::new(*kind, desc.clone()))
        }
        other => other.to_string(),
    }
}

/// Set the read and write timeouts of the open connection's socket (the `mysql` driver takes
/// them only when it connects). The options belong to the socket, so setting them through a
/// duplicate of its descriptor changes them for the connection; the duplicate is closed at once.
#[cfg(unix)]
pub(super) fn set_io_timeout(
    conn: &mysql::Conn,
    unix_socket: bool,
    timeout: Duration,
) -> std::io::Result<()> {
    use std::os::fd::{AsRawFd, BorrowedFd};
    // SAFETY: the descriptor belongs to `conn`, which is borrowed (so open) for this whole call,
    // and it is only borrowed here: `try_clone_to_owned` duplicates it, nothing closes it.
    let fd = unsafe { BorrowedFd::borrow_raw(conn.as_raw_fd()) };
    let dup = fd.try_clone_to_owned()?;
    if unix_socket {
        let s = std::os::unix::net::UnixStream::from(dup);
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))
    } else {
        let s = std::net::TcpStream::from(dup);
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))
    }
}

#[cfg(not(unix))]
pub(super) fn set_io_timeout(_: &mysql::Conn, _: bool, _: Duration) -> std::io::Result<()> {
    Ok(())
}

/// Why opening the session timed out, when it did: the TCP connect was not answered, or the port
/// accepted it but sent no MySQL greeting or reply within [`CONNECT_TIMEOUT`]. The driver reports
/// the latter as an I/O error or, inside its packet codec, as `CodecError { IO error: … }`, with
/// kind `WouldBlock` (EAGAIN from the socket timeout) or `TimedOut`.
pub(super) fn connect_timeout_reason(e: &mysql::Error) -> Option<String> {
    use std::io::ErrorKind;
    let secs = CONNECT_TIMEOUT.as_secs();
    let io: &std::io::Error = match e {
        mysql::Error::DriverError(
            mysql::DriverError::ConnectTimeout
            | mysql::DriverError::CouldNotConnect(Some((
                _,
                _,
                ErrorKind::TimedOut | ErrorKind::WouldBlock,
            ))),
        ) => {
            return Some(format!(
                "no MySQL answer within {secs} s (the TCP connection was not accepted: a firewall dropping packets, or a wrong host or port?)"
            ));
        }
        mysql::Error::IoError(io) => io,
        mysql::Error::CodecError(c) => std::error::Error::source(c)?.downcast_ref()?,
        _ => return None,
    };
    matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut).then(|| {
        format!(
            "no MySQL answer within {secs} s (the port accepts connections but the server sent no MySQL greeting or reply: is it a MySQL/MariaDB server, and is it overloaded?)"
        )
    })
}

fn io_reason(io: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match io.kind() {
        ErrorKind::ConnectionRefused => "connection refused (no server listening there)".into(),
        ErrorKind::NotFound => "no such socket (is the server running on this machine?)".into(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            let t = if cfg!(unix) {
                IO_TIMEOUT
            } else {
                CONNECT_TIMEOUT
            };
            format!("no answer within {} s (timed out)", t.as_secs())
        }
        ErrorKind::PermissionDenied => format!("permission denied ({io})"),
        _ => io.to_string(),
    }
}

fn connect_error(params: &ConnParams, e: mysql::Error) -> DbError {
    let target = params.target();
    match &e {
        mysql::Error::MySqlError(m) if m.code == ER_ACCESS_DENIED_ERROR => DbError::AccessDenied {
            target,
            user: params.user.clone(),
            hint: access_denied_hint(params),
        },
        mysql::Error::MySqlError(m) if m.code == ER_DBACCESS_DENIED_ERROR => DbError::AccessDenied {
            target,
            user: params.user.clone(),
            hint: String::new(),
        },
        mysql::Error::MySqlError(m) if m.code == ER_BAD_DB_ERROR => DbError::UnknownDatabase {
            target,
            name: params.dbname.clone(),
        },
        _ if tls_failure(&e).is_some() => DbError::Unreachable {
            target,
            reason: tls_failure(&e).map(|t| tls_reason(t, params)).unwrap_or_default(),
        },
        mysql::Error::TlsError(t) => DbError::Unreachable {
            target,
            reason: format!(
                "TLS setup failed ({t}): check the files of \\PDO::MYSQL_ATTR_SSL_CA, _SSL_CERT and _SSL_KEY in driver_options (PEM certificates and key)"
            ),
        },
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported) => DbError::Unreachable {
            target,
            reason: "the server does not offer TLS, but driver_options ask for it (\\PDO::MYSQL_ATTR_SSL_*)".into(),
        },
        _ if connect_timeout_reason(&e).is_some() => DbError::Unreachable {
            target,
            reason: connect_timeout_reason(&e).unwrap_or_default(),
        },
        _ => DbError::Unreachable {
            target,
            reason: short_error(&e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(check_ident("m2_admin_user", "t").is_ok());
        for bad in ["", "a b", "a`b", "a;drop", "é"] {
            assert!(check_ident(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn value_conversion() {
        use mysql::Value as V;
        let dt = ColumnType::MYSQL_TYPE_TIMESTAMP;
        assert_eq!(from_mysql(V::NULL, dt, false), SqlValue::Null);
        assert_eq!(
            from_mysql(V::Date(2026, 11, 28, 9, 14, 3, 0), dt, false),
            SqlValue::Text("2026-11-28 09:14:03".into())
        );
        assert_eq!(
            from_mysql(
                V::Date(2026, 1, 2, 0, 0, 0, 0),
                ColumnType::MYSQL_TYPE_DATE,
                false
            ),
            SqlValue::Text("2026-01-02".into())
        );
        assert_eq!(
            from_mysql(
                V::Time(true, 1, 2, 3, 4, 0),
                ColumnType::MYSQL_TYPE_TIME,
                false
            ),
            SqlValue::Text("-26:03:04".into())
        );
        assert_eq!(from_mysql(V::Int(-3), dt, false), SqlValue::Int(-3));
        assert_eq!(from_mysql(V::UInt(3), dt, false), SqlValue::UInt(3));
        assert_eq!(from_mysql(V::Int(3), dt, true), SqlValue::UInt(3));
        assert_eq!(from_mysql(V::Float(1.5), dt, false), SqlValue::Float(1.5));
        assert_eq!(
            from_mysql(V::Bytes(b"abc".to_vec()), dt, false),
            SqlValue::Text("abc".into())
        );
        assert_eq!(
            from_mysql(V::Bytes(vec![0xff, 0]), dt, false),
            SqlValue::Bytes(vec![0xff, 0])
        );
    }

    #[test]
    fn missing_socket_is_unreachable() {
        let p = ConnParams {
            socket: Some("/nonexistent/m2auth/mysqld.sock".into()),
            user: "u".into(),
            password: Some("pw-never-shown".into()),
            dbname: "d".into(),
            ..ConnParams::default()
        };
        let err = LiveDb::connect(&p).err().unwrap();
        assert!(matches!(err, DbError::Unreachable { .. }), "{err:?}");
        assert!(!err.to_string().contains("pw-never-shown"));
    }
}
