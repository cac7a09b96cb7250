//! Why the installation's files could not be read: the error type of `store` itself, so that
//! `store` does not depend on the crate's top-level [`crate::Error`] (which depends on `store`'s
//! errors). `crate::Error` converts it with `From`, into the variants it always had.

use std::path::PathBuf;

use super::envphp::EnvPhpError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No Magento root could be found or the given one is not one.
    #[error("{0}")]
    Root(String),
    /// env.php or config.php is not a readable PHP array file.
    #[error(transparent)]
    Parse(#[from] EnvPhpError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
