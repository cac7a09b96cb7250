//! APPLICATION: the library's front door, one module per command or group. Each takes a
//! validated, clap-free `…Config`, runs the flow (find the root → load the store → check → live →
//! join → fix) and returns an [`Outcome`]: the rendered result, the exit status and the masker
//! every byte of it must go through. Nothing here prints: warnings go to [`Common::warn`],
//! failures are an [`Error`].
//!
//! ```no_run
//! use m2auth::app::{self, Common, diagnose::DiagnoseConfig};
//! let config = DiagnoseConfig::offline(Common::default(), None);
//! let outcome = app::diagnose::run(&config)?;
//! println!("exit {}", outcome.code);
//! # Ok::<(), app::Error>(())
//! ```

pub mod acl;
pub mod admin;
pub mod cache;
pub mod diagnose;
pub mod fix;
pub mod info;
pub mod integration;
pub mod logs;
pub mod oauth;
pub mod perms;
pub mod token;

use std::path::PathBuf;

use jiff::Timestamp;

use crate::context::{Context, LoadOptions};
use crate::mask::{self, Masker};
use crate::report::style::Style;
use crate::store::db::DbChoice;
use crate::store::envphp::ProcessEnv;
use crate::store::root::find_root;
use crate::store::server::Sources;

pub use crate::report::{Format, Output};

/// Why a command did not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command cannot do what was asked, safely or at all (a user or integration not found,
    /// a password the policy refuses, a journal entry already undone…): exit 1. The message is
    /// already masked with the run's secrets.
    #[error("{0}")]
    Refused(String),
    /// Options that do not fit together, or that the store cannot satisfy: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The store cannot be read (no root, unreadable env.php, database unreachable…): exit 2.
    #[error(transparent)]
    Store(#[from] crate::Error),
    #[error(transparent)]
    Db(#[from] crate::store::db::DbError),
    #[error(transparent)]
    Fix(#[from] crate::fix::FixError),
    /// The live request could not be sent or answered: exit 2.
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A file or the terminal could not be read: `what` names it.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The run failed for another reason: exit 2.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// "Could not do it" with the run's secrets masked.
    pub fn refused(masker: &Masker, why: &str) -> Error {
        Error::Refused(mask::redact_error(why, masker))
    }

    /// The database is needed and cannot be read (unreachable, refused, no credentials): a
    /// failure to run, exit 2 as the contract says, with the run's secrets masked.
    pub fn no_database(masker: &Masker, why: &str) -> Error {
        Error::Failed(mask::redact_error(why, masker))
    }

    /// The exit status: 1 for [`Error::Refused`], 2 for everything else.
    pub fn code(&self) -> i32 {
        match self {
            Error::Refused(_) => 1,
            _ => 2,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a command produced.
#[derive(Debug)]
pub struct Outcome {
    /// The result, rendered in the format asked for; write it through `masker`.
    pub output: Output,
    /// 0 nothing wrong / done, 1 problems found.
    pub code: i32,
    /// The run's secrets: every byte of `output` goes through [`Masker::scrub`] or
    /// [`Masker::scrub_json`] before it is written.
    pub masker: Masker,
}

/// The options every command shares: where the store is and how it is read, how the result is
/// rendered, where warnings go.
#[derive(Debug, Clone)]
pub struct Common {
    /// The Magento root; `None`: the nearest one at or above the current folder.
    pub root: Option<PathBuf>,
    pub db: DbChoice,
    /// Evaluate everything time-dependent at this instant instead of the clock.
    pub now: Option<Timestamp>,
    pub server: Sources,
    pub format: Format,
    pub style: Style,
    /// Values given on the command line that are never printed (a token to inspect, OAuth
    /// secrets to sign with): added to the run's masker.
    pub secrets: Vec<String>,
    /// The command line, for the journal of commands that write.
    pub command: Vec<String>,
    /// Told to the user while the command runs (a warning; the CLI writes `m2auth: {line}` on
    /// stderr).
    pub warn: fn(&str),
    /// Accept partial results when the database that was named or configured cannot be read
    /// (`--allow-partial`): the checks that need it are listed as not checked, exit 0/1 as
    /// usual. Without it such a run exits 2 after its report.
    pub allow_partial: bool,
    /// Which part of the logs the step 7 checks read (`diagnose --logs-since`).
    pub logs: crate::context::LogScope,
    /// Told of long work (a big `--dump`, the logs, the file walk, live requests): the CLI's
    /// progress bar on a terminal, else silent.
    pub progress: crate::progress::Shared,
}

impl Default for Common {
    fn default() -> Common {
        Common {
            root: None,
            db: DbChoice::Env,
            now: None,
            server: Sources::Default,
            format: Format::Text,
            style: Style::plain(),
            secrets: Vec::new(),
            command: Vec::new(),
            warn: |_| {},
            allow_partial: false,
            logs: crate::context::LogScope::default(),
            progress: crate::progress::Shared::default(),
        }
    }
}

impl Common {
    /// The Magento root: the one given, else the nearest at or above the current folder.
    pub fn find_root(&self) -> Result<PathBuf> {
        let cwd = std::env::current_dir().map_err(|e| Error::Io {
            what: "cannot read the current folder".into(),
            source: e,
        })?;
        Ok(find_root(self.root.as_deref(), &cwd).map_err(crate::Error::from)?)
    }

    /// Load the store at `root` (files, database, server configuration) for `request`; the
    /// command line's secrets join its masker.
    pub fn load_at(
        &self,
        root: PathBuf,
        request: Option<crate::request::RequestSpec>,
    ) -> Result<Context> {
        let mut ctx = Context::load(LoadOptions {
            root,
            db: self.db.clone(),
            now: self.now,
            request,
            env: &ProcessEnv,
            server: self.server.clone(),
            progress: self.progress.get(),
        })?;
        for s in &self.secrets {
            ctx.masker.add(s);
        }
        ctx.logs = self.logs;
        Ok(ctx)
    }

    /// Find the root and load the store.
    pub fn load(&self, request: Option<crate::request::RequestSpec>) -> Result<Context> {
        let root = self.find_root()?;
        self.load_at(root, request)
    }

    /// An outcome rendered from the loaded store: its masker goes with it. A database that was
    /// named or configured but could not be read makes it exit 2 (said on stderr in one line)
    /// unless partial results are allowed.
    fn outcome(&self, ctx: &Context, output: Output, code: i32) -> Outcome {
        let code = match ctx.db_unreadable() {
            Some(why) if !self.allow_partial => {
                (self.warn)(&mask::redact_error(
                    &format!(
                        "the database could not be read: {why} (the report above is partial; --allow-partial accepts that)"
                    ),
                    &ctx.masker,
                ));
                2
            }
            _ => code,
        };
        Outcome {
            output,
            code,
            masker: ctx.masker.clone(),
        }
    }
}

/// A password read from a file: the whole file minus one trailing newline.
pub fn password_from_file(path: &std::path::Path) -> Result<crate::request::Password> {
    let text =
        crate::store::fsread::read_text_capped(path, crate::store::fsread::SECRET_FILE_BYTES)
            .map_err(|e| Error::Io {
                what: format!("--password-file {}", path.display()),
                source: e,
            })?;
    Ok(crate::request::Password::from_file_contents(&text))
}

/// The store's write lock for a command that changes it (one writer at a time per store: a
/// second one is refused at once, exit 1, naming the first), held until the guard is dropped.
pub fn write_lock(
    ctx: &crate::context::Context,
    common: &Common,
) -> Result<crate::fix::journal::StoreLock> {
    let command = ctx.masker.scrub_command(&common.command);
    crate::fix::journal::StoreLock::acquire(&ctx.install.root, &command)
        .map_err(|e| Error::refused(&ctx.masker, &e.to_string()))
}
