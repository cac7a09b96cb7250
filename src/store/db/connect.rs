//! Connection parameters from env.php `db/connection/<name>` or a `--db` URL.

use std::path::PathBuf;

use super::DbError;
use crate::store::envphp::Document;

/// TLS options from `driver_options` (`\PDO::MYSQL_ATTR_SSL_*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SslParams {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT` (1014); Magento's default is to verify.
    pub verify_server_cert: bool,
}

/// How to reach the database. `password` is a secret: never print it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnParams {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<PathBuf>,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub ssl: Option<SslParams>,
    pub table_prefix: String,
}

impl ConnParams {
    /// From `db/connection/<connection>` and `db/table_prefix` of env.php, with Magento's host
    /// rules: a `/` in `host` makes it a socket path, `host:port` is split, IPv6 is kept whole.
    pub fn from_env(doc: &Document, connection: &str) -> Result<ConnParams, DbError> {
        let _ = (doc, connection);
        Err(DbError::Config("not implemented yet".into()))
    }

    /// From `mysql://user:pass@host:port/db` or `mysql://user@localhost/db?socket=/path`.
    pub fn from_url(url: &str) -> Result<ConnParams, DbError> {
        let _ = url;
        Err(DbError::Config("not implemented yet".into()))
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
}
