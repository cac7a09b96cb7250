//! Reading lines fast and in bounded memory: 1 MiB blocks split with `memchr`, a line longer
//! than [`MAX_LINE`] counted and dropped (never buffered whole), byte ranges of one big file
//! read by different threads (each line belongs to the range holding its first byte), and
//! gzip decompressed on a thread of its own, handed over in blocks through a bounded channel.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc::{Receiver, sync_channel};

use memchr::memchr;

/// The read size.
pub const BLOCK: usize = 1 << 20;
/// The longest line kept (longer ones are counted in [`Lines::oversize`] and dropped).
pub const MAX_LINE: usize = 16 << 20;

/// What [`for_each_line`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lines {
    /// Non-empty lines given to the callback.
    pub lines: u64,
    /// Lines longer than [`MAX_LINE`], dropped.
    pub oversize: u64,
    /// A last line cut short by a read error (a truncated gzip), dropped.
    pub cut: u64,
}

/// Where a range starts and what to read.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub start: u64,
    /// Lines starting at or after `end` belong to the next range (`None`: to the end).
    pub end: Option<u64>,
}

/// Call `f` for every non-empty line of `r` (`\n` or `\r\n` endings removed). `first_partial`:
/// the reader starts one byte before the range (at `start - 1`), so the line in progress there
/// is skipped up to its end. `limit`: bytes after the reader's start at which no new line
/// starts. `progress` gets the bytes of each read. A read error ends the reading: the lines
/// before it were given, the cut one is counted in `cut`, and the error is returned with them.
pub fn for_each_line(
    r: &mut dyn Read,
    first_partial: bool,
    limit: Option<u64>,
    progress: &dyn Fn(u64),
    f: &mut dyn FnMut(&[u8]),
) -> (Lines, Option<io::Error>) {
    let mut out = Lines::default();
    let mut buf = vec![0u8; BLOCK];
    let (mut start, mut end) = (0usize, 0usize);
    // Offset (from the reader's start) of buf[0].
    let mut base: u64 = 0;
    let mut skipping = first_partial;
    let mut oversize_pending = false;
    let mut give = |line: &[u8], out: &mut Lines| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            out.lines += 1;
            f(line);
        }
    };
    loop {
        // Complete lines in buf[start..end].
        while let Some(i) = memchr(b'\n', &buf[start..end]) {
            let line_start = base + start as u64;
            // A dropped (too long) line started before the limit, wherever it ends.
            if limit.is_some_and(|l| line_start >= l) && !skipping && !oversize_pending {
                return (out, None);
            }
            if skipping {
                skipping = false;
            } else if oversize_pending {
                oversize_pending = false;
                out.oversize += 1;
            } else {
                give(&buf[start..start + i], &mut out);
            }
            start += i + 1;
        }
        if limit.is_some_and(|l| base + start as u64 >= l) && !skipping && !oversize_pending {
            return (out, None);
        }
        // Keep the partial line: move it to the front, or grow, or drop it (too long).
        if start > 0 {
            buf.copy_within(start..end, 0);
            base += start as u64;
            end -= start;
            start = 0;
        }
        if end == buf.len() {
            if buf.len() < MAX_LINE && !skipping && !oversize_pending {
                buf.resize((buf.len() * 2).min(MAX_LINE), 0);
            } else {
                // A line too long to keep (or the skipped partial one): drop what is buffered.
                if !skipping {
                    oversize_pending = true;
                }
                base += end as u64;
                end = 0;
            }
        }
        let n = match r.read(&mut buf[end..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if end > start && !skipping {
                    out.cut += 1;
                }
                return (out, Some(e));
            }
        };
        progress(n as u64);
        if n == 0 {
            if end > start && !skipping {
                if oversize_pending {
                    out.oversize += 1;
                } else {
                    give(&buf[start..end], &mut out);
                }
            } else if oversize_pending {
                out.oversize += 1;
            }
            return (out, None);
        }
        end += n;
    }
}

/// Open a plain file positioned for `range`: `(reader, first_partial, limit)`.
pub fn open_range(path: &Path, range: Range) -> io::Result<(File, bool, Option<u64>)> {
    let mut f = File::open(path)?;
    if range.start == 0 {
        return Ok((f, false, range.end));
    }
    f.seek(SeekFrom::Start(range.start - 1))?;
    Ok((f, true, range.end.map(|e| e - (range.start - 1))))
}

/// Whether the file is gzip-compressed (by its magic bytes).
pub fn is_gzip(path: &Path) -> io::Result<bool> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match f.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got == 2 && magic == [0x1f, 0x8b])
}

/// Decompresses a gzip file (all members, as `zcat` does) on its own thread; read the
/// decompressed bytes from it. At most 4 blocks wait in the channel.
pub struct GzReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

impl GzReader {
    pub fn open(path: &Path) -> io::Result<GzReader> {
        let file = File::open(path)?;
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(4);
        std::thread::Builder::new()
            .name("m2auth-gunzip".into())
            .spawn(move || {
                let mut dec = flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(
                    256 << 10,
                    file,
                ));
                loop {
                    let mut block = vec![0u8; BLOCK];
                    let mut filled = 0;
                    let result = loop {
                        match dec.read(&mut block[filled..]) {
                            Ok(0) => break Ok(()),
                            Ok(n) => {
                                filled += n;
                                if filled == block.len() {
                                    break Ok(());
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => break Err(e),
                        }
                    };
                    block.truncate(filled);
                    let end = filled == 0 || result.is_err();
                    if filled > 0 && tx.send(Ok(block)).is_err() {
                        return;
                    }
                    if let Err(e) = result {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    if end {
                        return;
                    }
                }
            })?;
        Ok(GzReader {
            rx,
            current: Vec::new(),
            at: 0,
            done: false,
        })
    }
}

impl Read for GzReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(block)) => {
                    self.current = block;
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(data: &[u8], first_partial: bool, limit: Option<u64>) -> (Vec<String>, Lines) {
        let mut got = Vec::new();
        let (stats, err) = for_each_line(&mut &data[..], first_partial, limit, &|_| {}, &mut |l| {
            got.push(String::from_utf8_lossy(l).into_owned())
        });
        assert!(err.is_none());
        (got, stats)
    }

    #[test]
    fn endings_ranges_and_partial_lines() {
        let (l, s) = lines_of(b"a\r\nb\n\nc", false, None);
        assert_eq!(l, ["a", "b", "c"]);
        assert_eq!(s.lines, 3);
        // A range reader starting at byte 2 - 1 (inside "aa\n"): skips to the next line.
        let (l, _) = lines_of(b"a\nbb\ncc\n", true, None);
        assert_eq!(l, ["bb", "cc"]);
        // Lines starting before the limit are read whole.
        let (l, _) = lines_of(b"aa\nbb\ncc\n", false, Some(4));
        assert_eq!(l, ["aa", "bb"]);
    }

    #[test]
    fn splitting_a_file_at_any_point_reads_each_line_once() {
        let data: Vec<u8> = (0..500)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        for cut in [1usize, 5, 6, 7, 100, 1000, data.len() - 1] {
            let mut all = Vec::new();
            for (s, e) in [(0usize, cut), (cut, data.len())] {
                let (first_partial, from) = if s == 0 { (false, 0) } else { (true, s - 1) };
                let (l, _) = lines_of(&data[from..], first_partial, Some((e - from) as u64));
                all.extend(l);
            }
            assert_eq!(all.len(), 500, "cut at {cut}");
        }
    }
}
