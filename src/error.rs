//! The library's error type: every failure to run, each with a one-line user-facing message.
//! Problems *found* in the store are findings, never errors.

use std::path::PathBuf;

use crate::store::StoreError;
use crate::store::db::DbError;
use crate::store::envphp::EnvPhpError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No Magento root could be found or the given one is not one.
    #[error("{0}")]
    Root(String),
    /// env.php or config.php is not a readable PHP array file.
    #[error(transparent)]
    Parse(#[from] EnvPhpError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A `--server-config` path that cannot be used.
    #[error(transparent)]
    ServerConfig(#[from] crate::store::server::ServerConfigError),
    /// Options that do not fit together or a bad option value.
    #[error("{0}")]
    Usage(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

// Written out rather than a `#[from]` variant: a store error becomes the variant it was before
// `store` had its own error type (the same message and source, and the same variant for
// anyone matching on `Error`).
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Root(message) => Error::Root(message),
            StoreError::Parse(e) => Error::Parse(e),
            StoreError::Io { path, source } => Error::Io { path, source },
        }
    }
}
