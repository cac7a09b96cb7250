//! Safe file writes for the journal and the file fixes: atomic replacement (a private
//! temporary file in the same directory, renamed over the old one, mode and owner kept),
//! private (0600/0700) files and directories, and symlinks refused.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::fix::FixError;

/// Refuse to write through a symlink: the change would land in another file than the one
/// named (edit the link's target instead).
pub(super) fn refuse_symlink(path: &Path) -> Result<(), FixError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(FixError::Refused(format!(
            "{} is a symbolic link: m2auth does not write through links (edit {} instead)",
            path.display(),
            fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "its target".into())
        ))),
        _ => Ok(()),
    }
}

/// Replace a file's content safely: a new file in the same directory (created exclusively, so
/// never through a link), given the old file's mode and owner, synced, then renamed over the old
/// one (atomic: readers see the old or the new content, never a mix). A symlink is refused.
pub fn write_file_atomic(path: &Path, content: &str) -> Result<(), FixError> {
    refuse_symlink(path)?;
    let meta = fs::metadata(path).map_err(|e| io_err(path, e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path);
    let _ = fs::remove_file(&tmp);
    let mut f = create_private_file(&tmp).map_err(|e| io_err(&tmp, e))?;
    let result = (|| -> std::io::Result<()> {
        f.write_all(content.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            if let Err(e) = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid())) {
                let tmp_meta = f.metadata()?;
                if tmp_meta.uid() != meta.uid() || tmp_meta.gid() != meta.gid() {
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!(
                            "cannot keep the file's owner {}:{} ({e})",
                            meta.uid(),
                            meta.gid()
                        ),
                    ));
                }
            }
            fs::set_permissions(&tmp, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        }
        f.sync_all()?;
        super::kill_point("temp-written");
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    sync_dir(dir);
    Ok(())
}

/// Create a file that is gone again (undo of an entry of the first kind with `--force`): a
/// new private file renamed into place (atomic), given mode 0644 like a new configuration file.
pub(super) fn create_file_atomic(path: &Path, content: &str) -> Result<(), FixError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path);
    let _ = fs::remove_file(&tmp);
    let mut f = create_private_file(&tmp).map_err(|e| io_err(&tmp, e))?;
    let result = (|| -> std::io::Result<()> {
        f.write_all(content.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
        }
        f.sync_all()?;
        if fs::symlink_metadata(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "appeared meanwhile",
            ));
        }
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    sync_dir(dir);
    Ok(())
}

/// The prefix of every temporary file m2auth writes next to a file it replaces.
const TEMP_PREFIX: &str = ".ht.m2auth-";

/// The temporary file for replacing `path`: in the same directory (the rename must stay on one
/// file system to be atomic), named `.ht.m2auth-PID-NAME.tmp`. The `.ht` start is what web
/// servers refuse to serve (Apache's stock `<Files ".ht*"> Require all denied`, Magento's
/// pub/.htaccess and nginx sample deny dot-files), so a copy of `pub/.htaccess` left by a
/// crash is never served; the copy is also mode 0600 until the rename. Temporary files that a
/// killed m2auth left there are removed first ([`clean_stale_temps`]).
fn temp_path(path: &Path) -> std::path::PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    clean_stale_temps(dir);
    dir.join(format!("{TEMP_PREFIX}{}-{name}.tmp", std::process::id()))
}

/// Remove the temporary files of m2auth processes that are gone (killed mid-write) in `dir`.
pub(super) fn clean_stale_temps(dir: &Path) {
    let Ok(read) = fs::read_dir(dir) else { return };
    for item in read.flatten() {
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(TEMP_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if name.ends_with(".tmp") && !alive(pid) {
            let _ = fs::remove_file(item.path());
        }
    }
}

/// Whether a process with this id exists (a pid reused by another program keeps its file:
/// removed by a later run).
fn alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks for the process; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

pub(super) fn io_err(path: &Path, source: std::io::Error) -> FixError {
    FixError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
pub(super) fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
pub(super) fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
pub(super) fn create_private_dir(dir: &Path) -> Result<(), FixError> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err(dir, e)),
    }
}

#[cfg(not(unix))]
pub(super) fn create_private_dir(dir: &Path) -> Result<(), FixError> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))
}

#[cfg(unix)]
pub(super) fn set_mode(path: &Path, mode: u32) -> Result<(), FixError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|e| io_err(path, e))?;
    if meta.permissions().mode() & 0o777 != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| io_err(path, e))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn set_mode(_: &Path, _: u32) -> Result<(), FixError> {
    Ok(())
}

pub(super) fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
