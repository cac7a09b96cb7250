//! Reading a file m2auth is pointed at (a configuration, a password file, a CA bundle, a module's
//! XML): regular files only, and at most a cap of bytes. A FIFO would block the open or the read
//! for ever, `/dev/zero` would never end, a huge file would fill memory: each is refused with
//! an error that says so (the callers turn it into one line, exit 2, or a skipped check).

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Read the whole file if it is a regular file of at most `max` bytes.
///
/// Opened with `O_NONBLOCK` (which regular files ignore) so that a FIFO with no writer does not
/// block the open, then checked on the open handle, so a swap between a check and the open
/// cannot slip a FIFO or a device in.
pub fn read_capped(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            if meta.is_dir() {
                "a directory, not a file"
            } else {
                "not a regular file (a FIFO, a device or a socket): not read"
            },
        ));
    }
    if meta.len() > max {
        return Err(too_big(max));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_big(max));
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text (invalid sequences replaced).
pub fn read_text_capped(path: &Path, max: u64) -> io::Result<String> {
    read_capped(path, max).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn too_big(max: u64) -> io::Error {
    let size = if max >= 1024 * 1024 {
        format!("{} MiB", max / 1024 / 1024)
    } else {
        format!("{} KiB", max / 1024)
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than {size}: not read (size cap)"),
    )
}

/// The cap for a secret given in a file (`--password-file`): a password, not a document.
pub const SECRET_FILE_BYTES: u64 = 64 * 1024;
/// The cap for a certificate bundle (`--cacert`, a TLS file of env.php): the system's whole
/// bundle is about 200 KiB.
pub const CERT_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// The cap for a PHP or XML file of the store (env.php, config.php, module.xml, acl.xml,
/// webapi.xml): real ones are kilobytes; Magento's largest XML files are under 1 MiB.
pub const STORE_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_and_devices_are_refused_and_sizes_capped() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_capped(&fifo, 10).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let e = read_capped(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let f = dir.path().join("f");
        std::fs::write(&f, "0123456789ab").unwrap();
        assert!(
            read_capped(&f, 10)
                .unwrap_err()
                .to_string()
                .contains("size cap")
        );
        assert_eq!(read_capped(&f, 12).unwrap(), b"0123456789ab");
    }
}
