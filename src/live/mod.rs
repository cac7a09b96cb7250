//! LIVE: the request sent to the running store, the classification of its answer, the canary
//! that proves whether PHP receives the Authorization header, and the join of the live answer
//! with the offline verdict.
//!
//! * [`client`]: the HTTP client (reqwest, blocking, rustls on ring): timeouts, no redirects,
//!   TLS verification (`--insecure`, `--cacert`), bounded bodies, connection failures as data.
//! * [`classify`]: pure: what answered (Magento's JSON/XML error, a web server's Basic auth, a
//!   WAF/CDN, a redirect, a non-Magento 401/403, nothing at all).
//! * [`explain`]: pure: the findings the live answer proves, joined with the offline diagnosis.
//! * [`canary`]: the one write of `m2auth request --canary`: a one-off PHP file in the docroot.
//! * [`login`]: a fresh token from Magento's token endpoint for `--admin-user`/`--customer`.
//! * [`matrix`]: every route of `acl:matrix` sent to the store, with bounded concurrency.

pub mod canary;
pub mod classify;
pub mod client;
pub mod explain;
pub mod login;
pub mod matrix;
pub mod metrics;
pub mod session;

pub use classify::Classification;
pub use client::{Client, Exchange, Outgoing, Response, Settings, Unreachable};

use std::path::PathBuf;

/// A failure to run the live part (exit 2): never a finding about the store.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("--cacert {}: {why}", path.display())]
    CaCert { path: PathBuf, why: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("the request cannot be sent as described: {0}")]
    Request(String),
    #[error(
        "TLS with {url} failed: {why} (for a private CA pass --cacert FILE; --insecure skips verification)"
    )]
    Tls { url: String, why: String },
    #[error("{url}: {why}")]
    Http { url: String, why: String },
    #[error("{url}: the port answered, but not with TLS: http:// instead of https://? ({why})")]
    NotTls { url: String, why: String },
    #[error("{url}: the server sent a response m2auth could not read: {why}")]
    Unreadable { url: String, why: String },
    #[error("canary: {0}")]
    Canary(String),
}
