//! One writer at a time per store: `var/m2auth/lock`, held with `flock(2)` for the whole of a
//! command that changes the store (read, plan, write, journal). The kernel drops the lock when
//! the process ends, however it ends (`kill -9` included), so there is no stale lock to clear;
//! the file keeps the holder's pid and command line (masked) for the second writer's message.

use std::fs;
use std::io::{Read, Seek, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::fix::FixError;

use super::file_io::{create_private_dir, io_err};

/// Where the lock lives, relative to the Magento root.
pub const LOCK_FILE: &str = "var/m2auth/lock";

/// The store's write lock, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StoreLock {
    _file: fs::File,
    pub path: PathBuf,
}

impl StoreLock {
    /// Take the lock of the store at `root`, or refuse at once (no waiting: a second `fix
    /// --apply` would otherwise plan from files the first one is changing) with who holds it.
    pub fn acquire(root: &Path, command: &str) -> Result<StoreLock, FixError> {
        let path = root.join(LOCK_FILE);
        let dir = path.parent().expect("lock file has a parent");
        if !dir.is_dir() {
            if let Some(var) = dir.parent() {
                fs::create_dir_all(var).map_err(|e| io_err(var, e))?;
            }
            create_private_dir(dir)?;
        }
        let mut file = {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map_err(|e| io_err(&path, e))?
        };
        // SAFETY: flock on a file descriptor we own; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(FixError::Refused(format!(
                "another m2auth is changing this store{}: run this again when it has finished (lock: {})",
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" ({holder})")
                },
                path.display()
            )));
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "pid {}: {command}", std::process::id());
        let _ = file.sync_all();
        Ok(StoreLock { _file: file, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holder() {
        let root = tempfile::tempdir().unwrap();
        let first = StoreLock::acquire(root.path(), "m2auth fix --apply").unwrap();
        let e = StoreLock::acquire(root.path(), "m2auth undo").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("another m2auth") && msg.contains("fix --apply"),
            "{msg}"
        );
        drop(first);
        StoreLock::acquire(root.path(), "m2auth undo").unwrap();
    }
}
