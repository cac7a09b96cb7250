//! The journal: one JSON file per applied change set, and `undo`.
//!
//! Entries live in `<magento root>/var/m2auth/journal/<id>.json`, `id` = `<UTC timestamp>-<slug>`
//! (`20261128T091403.123Z-acl-grant-role-5`), so file names sort by time. The directories are
//! created `0700` and each file `0600`: an entry holds the full rows it changed, which may include
//! password hashes. It never holds a plain secret: the command line is masked, the database is
//! named without its password.
//!
//! An entry is written *before* the transaction commits; if the journal cannot be written the
//! transaction is rolled back, so no change is ever applied without its entry.
//!
//! [`Journal::undo`] applies the inverse of each change in reverse order in one transaction
//! (insert → delete by primary key; delete → re-insert the rows with their ids; update → restore
//! the values before), checking first that every row is still exactly as the entry left it. The
//! undo is itself journaled (a new entry with `undoes` set, which can be undone in turn) and the
//! original entry is marked `undone`; a second undo of it is refused.
//!
//! An entry may also (or only) hold file changes ([`FileChange`]: the absolute path, a patch —
//! the lines replaced and the lines written instead, with their line number — and the sha256 of
//! the content before and after; never the whole file, which for a web-server configuration may
//! hold secrets: `SetEnv DB_PASS …`, `ProxyPass http://user:pass@…`): [`Journal::apply_files`]
//! writes the entry, then each file ([`write_file_atomic`]: a temporary file in the same
//! directory renamed over the old one, mode and owner kept, symlinks refused), and
//! [`Journal::undo_files`] reverses each patch after checking the file's sha256 is still the one
//! the entry left (`--force`: the patch is reversed where its lines still are, keeping other
//! edits). The `database` of a file-only entry is absent; entries written before files existed,
//! and file entries of the first kind (whole content before), still read.
//!
//! What undo trusts: an entry may come from a directory another user can write to (`var/` is
//! often writable by the web server's user, and undo of a vhost fix runs as root). Undo refuses
//! an entry file or journal directory that is not owned by the user running it (or root) or that
//! group or others may write; and it only touches paths that are absolute, without `..`, and
//! either under the store root or recorded as web-server configuration files that exist (undo
//! never creates a file outside the store).
//!
//! Layout: this file holds [`Journal`] and re-exports the public items, so that
//! `crate::fix::journal::X` paths stay as they were; `entry` (the entry model, making a new
//! entry), `patch` (file patches, sha256), `store` (writing, listing, finding, loading entries;
//! trust), `undo_db` (undo of rows, the undo plan), `undo_files` (file changes and their undo),
//! `file_io` (atomic, private file writes). The command line and title an entry stores are
//! masked by [`crate::mask::Masker::scrub_command`] and [`crate::mask::Masker::scrub_words`].

mod entry;
mod file_io;
mod lock;
mod patch;
mod store;
mod undo_db;
mod undo_files;

pub use entry::{
    DatabaseRef, Entry, EntryMeta, FileChange, FileKind, Listed, SEALED_PREFIX, UndoOptions,
    UndoOutcome, Undone, digest,
};
pub use file_io::write_file_atomic;
pub use lock::{LOCK_FILE, StoreLock};
pub use patch::{Hunk, make_patch, reverse_patch, sha256_text};
pub use store::load;
pub use undo_db::undo_plan;

use std::path::{Path, PathBuf};

/// The format version written in every entry.
pub const FORMAT: u32 = 1;

/// Where the journal of a Magento root lives, relative to it.
pub const JOURNAL_DIR: &str = "var/m2auth/journal";

/// The journal directory of one store.
#[derive(Debug, Clone, PartialEq)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// The journal of the Magento root `root`: `<root>/var/m2auth/journal`.
    pub fn for_root(root: &Path) -> Journal {
        Journal {
            dir: root.join(JOURNAL_DIR),
        }
    }

    /// A journal in any directory (tests).
    pub fn at(dir: impl Into<PathBuf>) -> Journal {
        Journal { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A crash-test hook, compiled into debug builds only: when `M2AUTH_TEST_KILL_AT` names this
/// point (`entry-written`, `file-1-temp`, `file-1`, `undo-marked`…) the process kills itself
/// with SIGKILL there, as a power cut or `kill -9` would (tests/it/crash.rs). Release builds
/// have no hook and read no variable.
#[inline]
pub fn kill_point(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("M2AUTH_TEST_KILL_AT").is_ok_and(|v| v == point) {
        // SAFETY: raising a signal at ourselves; SIGKILL cannot be caught.
        unsafe {
            libc::raise(libc::SIGKILL);
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}
