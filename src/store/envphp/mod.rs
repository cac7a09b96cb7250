//! `app/etc/env.php` and `app/etc/config.php` read without PHP.
//!
//! Written by hand on purpose: no maintained crate parses the `<?php return [...];` subset with
//! line numbers, class-constant keys and a per-key account of non-literal values (see
//! `../shared/reference/peers.md` §4), and a broken store is exactly where PHP may be unusable.
//!
//! - `lexer`: bytes → tokens with byte offsets (lines and byte columns are computed from them).
//! - `parser`: recursive descent over the tokens, evaluating as it goes into `value`'s model.
//! - `evaluator`: what expressions evaluate to, PHP operators and casts on values, the caps.
//!
//! Semantics worth knowing:
//! - Columns are 1-based and count bytes (a UTF-8 BOM counts as 3 on line 1).
//! - Implicit list keys follow the largest integer key so far, as PHP ≥ 8.3 does (also for
//!   negative keys). Duplicate keys are all kept in order; lookups return the last (PHP's winner).
//! - `getenv('X')`, `$_ENV['X']`, `$_SERVER['X']` are answered by the [`Environment`]. When it has
//!   no answer the value is unknown, except through `??`, `?:`, ternaries, `isset()` and
//!   `empty()`, which use what PHP would give for an unset variable (`getenv` → `false`,
//!   `$_ENV[…]` → `null`): `getenv('X') ?: 'd'` and `$_ENV['X'] ?? 'd'` give `'d'`.
//! - Variables assigned before `return` (`$a = …;`, `$a['k'][] = …;`) are remembered; closures
//!   whose body is a single `return <expr>;` (and arrow functions) are evaluated when called, so
//!   the common `$e = function ($k, $d) { return getenv($k) ?: $d; }` helper resolves.
//! - Anything else that is not a literal is skipped (balanced brackets) and kept as
//!   [`Value::NonLiteral`], listed in [`Document::unresolved`] by `/`-joined key path. A key that
//!   is not a literal becomes [`Key::Const`] with its source text.
//! - Nesting deeper than 64 levels is an error (debug builds use ~18 KB of stack per level).
//!   At an unexpected end of file, "opened at" names the innermost bracket still open.
//! - The text of a non-literal ([`NonLiteral::text`], [`Unresolved::text`], expression keys) and
//!   every error message may be printed, and env.php holds the DB password and the crypt key:
//!   the content of every string literal in them is masked (`'a1b2…c5d6' . getenv('NEW')`),
//!   except environment variable names (`getenv('X')`, `$_ENV['X']`, `$_SERVER['X']`, and an
//!   `UPPER_SNAKE` first argument of a helper closure `$e('X', …)`), which users need to read.
//!   Comments are dropped and texts shortened to 120 chars. A `return` that is not an array
//!   names only its kind or callee ("a function call `array_merge(…)`"), never its content.
//! - Evaluation is capped so that a small hostile file cannot take gigabytes or minutes
//!   (`$a[] = $a;` doubles an array, `$a = $a . $a;` a string): a string built by evaluation is
//!   at most 1 MiB; in all at most 1,000,000 array entries (or one per byte of a bigger file)
//!   and 64 MiB of strings are created, 25,000 closure calls evaluated, and 32 MiB plus 32 times
//!   the file's size lexed. Going over one is an [`EnvPhpError`] at the expression ("value too
//!   large …"). Real files stay far below.

mod evaluator;
mod lexer;
mod parser;
mod value;

pub use value::{Array, Document, Entry, Key, NonLiteral, Unresolved, Value};

use std::path::{Path, PathBuf};

/// A file that cannot be read as a PHP array literal file. Displayed as one line:
/// `app/etc/env.php:12:5: expected `]` or `,`, found `;``.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct EnvPhpError {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// The old name (the webapi.xml error in `magento::routes` had the same one; each now says what it
/// parses), kept because the integration tests (tests/it/envphp.rs) use it.
pub use EnvPhpError as ParseError;

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
///
/// Accepts `<?php`, optional statements (variable assignments are remembered, others skipped),
/// then `return <array>;`; whatever follows is ignored. Lines are 1-based; columns are 1-based
/// and count bytes (a UTF-8 BOM counts as 3). Values that are not literals and cannot be
/// resolved through `env` become [`Value::NonLiteral`] and are listed in
/// [`Document::unresolved`]. A file that is not such a PHP file gives one [`EnvPhpError`].
pub fn parse(src: &[u8], path: &Path, env: &dyn Environment) -> Result<Document, EnvPhpError> {
    let text = lexer::Src::new(src, path);
    let mut i = if src.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    while src.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if i >= src.len() {
        return Err(text.err(i.min(src.len()), "empty file: no `<?php` opening tag"));
    }
    let tag = b"<?php";
    if !src[i..]
        .get(..tag.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(tag))
    {
        if looks_binary(src) {
            return Err(text.err(0, "not a PHP file: binary data"));
        }
        return Err(text.err(i, "not a PHP file: expected `<?php` at the start"));
    }
    i += tag.len();
    if src.get(i).is_some_and(|b| !b.is_ascii_whitespace()) {
        return Err(text.err(i, "expected a space or a new line after `<?php`"));
    }
    parser::Parser::new(&text, i, env).document()
}

/// NUL bytes or invalid UTF-8 in the first 8 KiB.
fn looks_binary(src: &[u8]) -> bool {
    let head = &src[..src.len().min(8192)];
    head.contains(&0) || std::str::from_utf8(head).is_err_and(|e| e.error_len().is_some())
}

/// Read and parse a file. An unreadable file is an `EnvPhpError` at 0:0 with the OS reason.
pub fn parse_file(path: &Path, env: &dyn Environment) -> Result<Document, EnvPhpError> {
    let bytes = crate::store::fsread::read_capped(path, crate::store::fsread::STORE_FILE_BYTES)
        .map_err(|e| EnvPhpError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        })?;
    parse(&bytes, path, env)
}
