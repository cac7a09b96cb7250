//! REPORT: renderers for findings and command results, one file per output kind. Renderers
//! never decide; checks never print. Every renderer returns an [`Output`] (or the `String` or
//! JSON value inside one); the CLI scrubs it through the run's [`crate::mask::Masker`] before
//! writing.

pub mod acl;
pub mod acl_grant;
pub mod admin;
pub mod cache;
pub mod canary;
pub mod diagnosis;
pub mod document;
pub mod fix;
pub mod info;
pub mod integration;
pub mod journal;
pub mod layout;
pub mod live;
pub mod logs;
pub mod logs_doc;
pub mod matrix_doc;
pub mod oauth;
pub mod perms;
pub mod style;
pub mod token;

/// The output format asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    /// For listings (`acl:matrix`).
    Csv,
    /// One self-contained HTML document (`diagnose`, `audit`: [`document`]; `acl:matrix`:
    /// [`matrix_doc`]; `logs:scan`: [`logs_doc`]).
    Html,
    /// Markdown for tickets (the same commands and modules as [`Format::Html`]).
    Markdown,
    /// One JSON object per store and line (`diagnose`, `audit` over many roots).
    Jsonl,
}

/// A rendered result, ready to be scrubbed by the run's masker and written: a JSON document or
/// text.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Json(serde_json::Value),
    Text(String),
}

impl Output {
    /// JSON when `format` asks for it, else the text.
    pub fn pick(
        format: Format,
        json: impl FnOnce() -> serde_json::Value,
        text: impl FnOnce() -> String,
    ) -> Output {
        if format == Format::Json {
            Output::Json(json())
        } else {
            Output::Text(text())
        }
    }
}
