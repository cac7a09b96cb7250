//! Following a log file as it grows (`logs:watch`), safe across rotation:
//!
//! * rename (logrotate's default, `create`): the path now names another file; what was
//!   appended to the old one before the switch is read to its end, then the new file from its
//!   start;
//! * copytruncate: the file is cut back below what was read; it is read again from its start.
//!
//! Polled (a stat and a read per interval): inotify would need a dependency and a second code
//! path for the filesystems where it does not work (NFS, some containers); a poll of a few
//! files every 250 ms costs nothing.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use memchr::memchr;

use super::read::{BLOCK, MAX_LINE};

/// One followed file.
#[derive(Debug)]
pub struct Follower {
    pub path: PathBuf,
    file: Option<File>,
    id: (u64, u64),
    offset: u64,
    partial: Vec<u8>,
    dropping: bool,
    /// Rename rotations seen.
    pub rotations: u64,
    /// Truncations seen (copytruncate).
    pub truncations: u64,
    /// Lines longer than [`MAX_LINE`], dropped.
    pub oversize: u64,
}

impl Follower {
    /// Follow `path`; `from_start`: read what is already there too (else start at its end). A
    /// file that does not exist yet is picked up when it appears.
    pub fn new(path: &Path, from_start: bool) -> Follower {
        let mut f = Follower {
            path: path.to_path_buf(),
            file: None,
            id: (0, 0),
            offset: 0,
            partial: Vec::new(),
            dropping: false,
            rotations: 0,
            truncations: 0,
            oversize: 0,
        };
        if let Ok(file) = File::open(path)
            && let Ok(m) = file.metadata()
        {
            f.id = (m.dev(), m.ino());
            f.offset = if from_start { 0 } else { m.len() };
            f.file = Some(file);
        }
        f
    }

    /// Whether the file is open.
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Read what was appended since the last call: `f` gets each complete line (without its
    /// `\n` / `\r\n`). Returns the number of bytes read.
    pub fn poll(&mut self, f: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let mut total = 0;
        let now = std::fs::metadata(&self.path).ok();
        match (&self.file, &now) {
            (None, Some(m)) => {
                // Appeared (or reappeared after a rotation we saw).
                if let Ok(file) = File::open(&self.path) {
                    self.id = (m.dev(), m.ino());
                    self.offset = 0;
                    self.file = Some(file);
                }
            }
            (Some(_), Some(m)) if (m.dev(), m.ino()) != self.id => {
                // Renamed away: finish the old file, then the new one from its start.
                total += self.read_open(f)?;
                self.flush_partial(f);
                self.rotations += 1;
                self.file = File::open(&self.path).ok();
                self.id = (m.dev(), m.ino());
                self.offset = 0;
            }
            (Some(_), Some(m)) if m.len() < self.offset => {
                self.truncations += 1;
                self.partial.clear();
                self.dropping = false;
                self.offset = 0;
            }
            (Some(_), None) => {
                // Removed or renamed with no new file yet: finish the old one.
                total += self.read_open(f)?;
                return Ok(total);
            }
            _ => {}
        }
        total += self.read_open(f)?;
        Ok(total)
    }

    fn flush_partial(&mut self, f: &mut dyn FnMut(&[u8])) {
        if !self.partial.is_empty() && !self.dropping {
            let p = std::mem::take(&mut self.partial);
            let line = p.strip_suffix(b"\r").unwrap_or(&p);
            if !line.is_empty() {
                f(line);
            }
        }
        self.partial.clear();
        self.dropping = false;
    }

    fn read_open(&mut self, f: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let Some(file) = self.file.as_mut() else {
            return Ok(0);
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = vec![0u8; BLOCK];
        let mut total = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.offset += n as u64;
            total += n as u64;
            let mut data = &buf[..n];
            while let Some(i) = memchr(b'\n', data) {
                if self.dropping {
                    self.dropping = false;
                    self.oversize += 1;
                } else if self.partial.is_empty() {
                    let line = &data[..i];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if !line.is_empty() {
                        f(line);
                    }
                } else {
                    self.partial.extend_from_slice(&data[..i]);
                    let p = std::mem::take(&mut self.partial);
                    let line = p.strip_suffix(b"\r").unwrap_or(&p);
                    if !line.is_empty() {
                        f(line);
                    }
                }
                data = &data[i + 1..];
            }
            if !self.dropping {
                self.partial.extend_from_slice(data);
                if self.partial.len() > MAX_LINE {
                    self.partial = Vec::new();
                    self.dropping = true;
                }
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn poll(f: &mut Follower) -> Vec<String> {
        let mut got = Vec::new();
        f.poll(&mut |l| got.push(String::from_utf8_lossy(l).into_owned()))
            .unwrap();
        got
    }

    #[test]
    fn appends_renames_and_truncations() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("access.log");
        std::fs::write(&p, "old\n").unwrap();
        let mut f = Follower::new(&p, false);
        assert!(poll(&mut f).is_empty());
        let mut w = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        w.write_all(b"a\nb").unwrap();
        assert_eq!(poll(&mut f), ["a"]);
        w.write_all(b"c\n").unwrap();
        assert_eq!(poll(&mut f), ["bc"]);
        // Rename rotation: a line written to the old file after the rename is still read.
        std::fs::rename(&p, d.path().join("access.log.1")).unwrap();
        w.write_all(b"late\n").unwrap();
        std::fs::write(&p, "new\n").unwrap();
        assert_eq!(poll(&mut f), ["late", "new"]);
        assert_eq!(f.rotations, 1);
        // copytruncate.
        std::fs::write(&p, "").unwrap();
        assert!(poll(&mut f).is_empty());
        assert_eq!(f.truncations, 1);
        let mut w = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        w.write_all(b"after\n").unwrap();
        assert_eq!(poll(&mut f), ["after"]);
    }
}
