//! `app/etc/env.php` and `app/etc/config.php` read without PHP.
//!
//! Written by hand on purpose: no maintained crate parses the `<?php return [...];` subset with
//! line numbers, class-constant keys and a per-key account of non-literal values (see
//! `../shared/reference/peers.md` §4), and a broken store is exactly where PHP may be unusable.

mod value;

pub use value::{Array, Document, Entry, Key, NonLiteral, Unresolved, Value};

use std::path::{Path, PathBuf};

/// A file that cannot be read as a PHP array literal file. Displayed as one line:
/// `app/etc/env.php:12:5: expected `]` or `,`, found `;``.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ParseError {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Where `getenv('X')`, `$_ENV['X']` and `$_SERVER['X']` get their values.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// No environment at all: every `getenv()` is unresolved unless it has a `??` fallback.
pub struct NoEnv;

impl Environment for NoEnv {
    fn var(&self, _: &str) -> Option<String> {
        None
    }
}

/// Parse the bytes of a PHP file that returns an array. `path` is used for messages only.
pub fn parse(src: &[u8], path: &Path, env: &dyn Environment) -> Result<Document, ParseError> {
    let _ = (src, env);
    Err(ParseError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: "env.php parser not implemented yet".into(),
    })
}

/// Read and parse a file. An unreadable file is a `ParseError` at 0:0 with the OS reason.
pub fn parse_file(path: &Path, env: &dyn Environment) -> Result<Document, ParseError> {
    let bytes = std::fs::read(path).map_err(|e| ParseError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse(&bytes, path, env)
}
