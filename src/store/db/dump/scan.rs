//! The statement splitter: streams the dump once and hands out only the statements a caller
//! wants to keep.
//!
//! It works on its own large buffer so that it can look a few bytes ahead across read
//! boundaries (for `\`, `--`, `/*`, multi-byte delimiters) by moving the unread tail to the front
//! and reading more. Skipped statements are never copied: the scanner jumps from one interesting
//! byte to the next (memchr inside quotes and comments, a table lookup in plain code). Kept
//! statements are copied into one reusable buffer, without their delimiter.
//!
//! Lexical rules follow the `mysql` command-line client, which is what loads a dump:
//! - `'…'` and `"…"` are strings with backslash escapes (a doubled quote needs no special case:
//!   it closes and reopens the string); `` `…` `` is an identifier without escapes;
//! - `-- ` (two dashes then whitespace/control or end of file) and `#` start line comments;
//!   `/* … */` is a comment, but `/*!…*/` (conditional comment) and `/*+…*/` (optimizer hint) are
//!   code: quotes inside them count and the delimiter inside them ends the statement;
//! - `DELIMITER xx` at the start of a statement changes the delimiter until the next one.

use std::io::{self, Read};
use std::path::PathBuf;

use memchr::{memchr, memchr2};

use crate::store::db::DbError;

/// The scanner's buffer; lookahead never needs more than the statement head.
const BUF_SIZE: usize = 4 << 20;

/// How many bytes of a statement's start the caller gets to classify it.
pub(super) const HEAD_SIZE: usize = 1024;

/// Bytes that need a look in code (outside quotes and comments), besides the delimiter's first byte.
static CODE_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'\'' as usize] = true;
    t[b'"' as usize] = true;
    t[b'`' as usize] = true;
    t[b'#' as usize] = true;
    t[b'-' as usize] = true;
    t[b'/' as usize] = true;
    // Control bytes other than whitespace never occur in SQL text outside a string: binary junk.
    let mut c = 0;
    while c < 0x20 {
        if !matches!(c, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            t[c as usize] = true;
        }
        c += 1;
    }
    t[0x7f] = true;
    t
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum St {
    Code,
    Quote(u8),
    LineComment,
    BlockComment,
}

/// Where the construct that is open right now (a string or comment) started, for errors.
#[derive(Clone, Copy)]
enum Mark {
    None,
    /// A position in the buffer whose line is not counted yet.
    Pos(usize),
    Line(u64),
}

/// A statement the caller kept: its first line (1-based) and its text without the delimiter.
pub(super) struct Stmt<'a> {
    pub line: u64,
    pub sql: &'a [u8],
}

/// Counters for `DumpDb::stats`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counters {
    pub bytes: u64,
    pub statements: u64,
    pub skipped: u64,
}

pub(super) struct Scanner<R> {
    reader: R,
    path: PathBuf,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// 1-based line number at `line_pos`.
    line: u64,
    line_pos: usize,
    /// While copying a kept statement: where the not yet copied part starts.
    seg: Option<usize>,
    mark: Mark,
    delim: Vec<u8>,
    stmt: Vec<u8>,
    at_file_start: bool,
    pub counters: Counters,
}

impl<R: Read> Scanner<R> {
    pub fn new(reader: R, path: PathBuf) -> Self {
        Scanner {
            reader,
            path,
            buf: vec![0; BUF_SIZE],
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            line_pos: 0,
            seg: None,
            mark: Mark::None,
            delim: b";".to_vec(),
            stmt: Vec::new(),
            at_file_start: true,
            counters: Counters::default(),
        }
    }

    /// A parse error with a message of m2auth's own. Scanner messages never quote dump input
    /// (which may hold a password), so they are not run through `redact_literals`: a message
    /// naming the quote character (`opening '`) would be garbled by it.
    fn err(&self, line: u64, message: impl Into<String>) -> DbError {
        DbError::DumpParse {
            path: self.path.clone(),
            line,
            message: message.into(),
        }
    }

    /// The line of buffer position `p` (positions must be asked in increasing order).
    fn line_at(&mut self, p: usize) -> u64 {
        debug_assert!(p >= self.line_pos);
        self.line += memchr::memchr_iter(b'\n', &self.buf[self.line_pos..p]).count() as u64;
        self.line_pos = p;
        self.line
    }

    fn resolve_mark(&mut self) {
        if let Mark::Pos(p) = self.mark {
            self.mark = Mark::Line(self.line_at(p));
        }
    }

    fn mark_line(&mut self) -> u64 {
        self.resolve_mark();
        match self.mark {
            Mark::Line(l) => l,
            _ => self.line,
        }
    }

    /// Keep `buf[pos..end]`, move it to the front and read more. False at end of input.
    fn fill_more(&mut self) -> Result<bool, DbError> {
        if self.eof {
            return Ok(false);
        }
        self.resolve_mark();
        let pos = self.pos;
        self.line_at(pos);
        if let Some(s) = self.seg {
            self.stmt.extend_from_slice(&self.buf[s..pos]);
            self.seg = Some(0);
        }
        self.buf.copy_within(pos..self.end, 0);
        self.end -= pos;
        self.pos = 0;
        self.line_pos = 0;
        if self.end == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    self.counters.bytes += n as u64;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let message = format!(
                        "reading the dump failed after {} bytes: {e}",
                        self.counters.bytes
                    );
                    return Err(DbError::Io {
                        path: self.path.clone(),
                        source: io::Error::new(e.kind(), message),
                    });
                }
            }
        }
    }

    /// Make `n` bytes from `pos` available if the input has them.
    fn ensure(&mut self, n: usize) -> Result<(), DbError> {
        while self.end - self.pos < n && self.fill_more()? {}
        Ok(())
    }

    /// The next statement that `keep` accepts (given the statement's first bytes), skipping
    /// the others; `None` at the end of the dump.
    pub fn next_kept(
        &mut self,
        mut keep: impl FnMut(&[u8]) -> bool,
    ) -> Result<Option<Stmt<'_>>, DbError> {
        loop {
            if !self.skip_between()? {
                return Ok(None);
            }
            self.ensure(HEAD_SIZE)?;
            let line = self.line_at(self.pos);
            let head_end = self.end.min(self.pos + HEAD_SIZE);
            if is_delimiter_command(&self.buf[self.pos..head_end]) {
                self.delimiter_command(line)?;
                continue;
            }
            self.counters.statements += 1;
            let kept = keep(&self.buf[self.pos..head_end]);
            if !kept {
                self.counters.skipped += 1;
            }
            self.stmt.clear();
            self.scan_statement(kept, line)?;
            if kept {
                return Ok(Some(Stmt {
                    line,
                    sql: &self.stmt,
                }));
            }
        }
    }

    /// Skip whitespace, comments and empty statements up to the next statement's first byte.
    /// False at the end of input.
    fn skip_between(&mut self) -> Result<bool, DbError> {
        if self.at_file_start {
            self.at_file_start = false;
            self.ensure(3)?;
            if self.buf[self.pos..self.end].starts_with(b"\xEF\xBB\xBF") {
                self.pos += 3;
            }
        }
        let mut st = St::Code;
        loop {
            let buf = &self.buf[..self.end];
            let mut p = self.pos;
            let eof = self.eof;
            // Some(true): a statement starts at p; None: need more input.
            let found: Option<bool> = 'scan: loop {
                match st {
                    St::LineComment => match memchr(b'\n', &buf[p..]) {
                        Some(i) => {
                            p += i + 1;
                            st = St::Code;
                        }
                        None => {
                            p = buf.len();
                            break 'scan None;
                        }
                    },
                    St::BlockComment => match memchr(b'*', &buf[p..]) {
                        Some(i) => {
                            let at = p + i;
                            if at + 1 >= buf.len() && !eof {
                                p = at;
                                break 'scan None;
                            }
                            if buf.get(at + 1) == Some(&b'/') {
                                p = at + 2;
                                st = St::Code;
                                self.mark = Mark::None;
                            } else {
                                p = at + 1;
                            }
                        }
                        None => {
                            p = buf.len();
                            break 'scan None;
                        }
                    },
                    St::Code | St::Quote(_) => {
                        let Some(&b) = buf.get(p) else {
                            break 'scan None;
                        };
                        match b {
                            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => p += 1,
                            b'#' => {
                                p += 1;
                                st = St::LineComment;
                            }
                            b'-' | b'/' => {
                                if p + 2 >= buf.len() && !eof {
                                    break 'scan None;
                                }
                                let b1 = buf.get(p + 1).copied();
                                let b2 = buf.get(p + 2).copied();
                                if b == b'-' && b1 == Some(b'-') && b2.is_none_or(|c| c <= b' ') {
                                    p += 2;
                                    st = St::LineComment;
                                } else if b == b'/'
                                    && b1 == Some(b'*')
                                    && !matches!(b2, Some(b'!' | b'+'))
                                {
                                    self.mark = Mark::Pos(p);
                                    p += 2;
                                    st = St::BlockComment;
                                } else if buf[p..].starts_with(&self.delim) {
                                    p += self.delim.len();
                                } else {
                                    break 'scan Some(true);
                                }
                            }
                            _ => {
                                if b == self.delim[0] {
                                    if p + self.delim.len() > buf.len() && !eof {
                                        break 'scan None;
                                    }
                                    if buf[p..].starts_with(&self.delim) {
                                        p += self.delim.len();
                                        continue;
                                    }
                                }
                                break 'scan Some(true);
                            }
                        }
                    }
                }
            };
            self.pos = p;
            if found.is_some() {
                return Ok(true);
            }
            if !self.fill_more()? {
                if st == St::BlockComment {
                    let line = self.mark_line();
                    return Err(self.err(line, "unterminated /* comment at end of dump"));
                }
                if self.pos >= self.end {
                    return Ok(false);
                }
            }
        }
    }

    /// `DELIMITER xx` (a `mysql` client command, up to the end of the line).
    fn delimiter_command(&mut self, line: u64) -> Result<(), DbError> {
        let nl = loop {
            if let Some(i) = memchr(b'\n', &self.buf[self.pos..self.end]) {
                break self.pos + i;
            }
            if !self.fill_more()? {
                break self.end;
            }
        };
        let text = &self.buf[self.pos + b"DELIMITER".len()..nl];
        let new = text
            .split(|b| b.is_ascii_whitespace())
            .find(|t| !t.is_empty())
            .unwrap_or(&[]);
        if new.is_empty() {
            return Err(self.err(line, "DELIMITER must be followed by a delimiter"));
        }
        self.delim = new.to_vec();
        self.pos = nl;
        Ok(())
    }

    /// Scan one statement from its first byte to past its delimiter (or the end of input),
    /// copying it into `self.stmt` when `keep`.
    fn scan_statement(&mut self, keep: bool, line: u64) -> Result<(), DbError> {
        self.seg = if keep { Some(self.pos) } else { None };
        self.mark = Mark::None;
        let mut st = St::Code;
        let d0 = self.delim[0];
        loop {
            let buf = &self.buf[..self.end];
            let eof = self.eof;
            let mut p = self.pos;
            // Some(i): the statement ends at i (delimiter at i); None: need more input from p.
            let ended: Option<usize> = 'scan: loop {
                match st {
                    St::Code => {
                        // Plain code is short in dumps (numbers, commas, parentheses): a table lookup.
                        let mut i = p;
                        while i < buf.len() && !CODE_SPECIAL[buf[i] as usize] && buf[i] != d0 {
                            i += 1;
                        }
                        p = i;
                        let Some(&b) = buf.get(i) else {
                            break 'scan None;
                        };
                        if b == d0 {
                            if i + self.delim.len() > buf.len() && !eof {
                                break 'scan None;
                            }
                            if buf[i..].starts_with(&self.delim) {
                                break 'scan Some(i);
                            }
                            if !CODE_SPECIAL[b as usize] {
                                p += 1;
                                continue;
                            }
                        }
                        match b {
                            b'\'' | b'"' | b'`' => {
                                self.mark = Mark::Pos(i);
                                st = St::Quote(b);
                                p = i + 1;
                            }
                            b'#' => {
                                st = St::LineComment;
                                p = i + 1;
                            }
                            b'-' | b'/' => {
                                if i + 2 >= buf.len() && !eof {
                                    break 'scan None;
                                }
                                let b1 = buf.get(i + 1).copied();
                                let b2 = buf.get(i + 2).copied();
                                if b == b'-' && b1 == Some(b'-') && b2.is_none_or(|c| c <= b' ') {
                                    st = St::LineComment;
                                    p = i + 2;
                                } else if b == b'/'
                                    && b1 == Some(b'*')
                                    && !matches!(b2, Some(b'!' | b'+'))
                                {
                                    self.mark = Mark::Pos(i);
                                    st = St::BlockComment;
                                    p = i + 2;
                                } else {
                                    p = i + 1;
                                }
                            }
                            _ => {
                                self.pos = i;
                                let l = self.line_at(i);
                                return Err(self.err(
                                    l,
                                    format!(
                                        "unexpected byte 0x{b:02x} outside a string: this is not a SQL text dump \
                                         (statement started at line {line})"
                                    ),
                                ));
                            }
                        }
                    }
                    St::Quote(q) => {
                        let found = if q == b'`' {
                            memchr(q, &buf[p..])
                        } else {
                            memchr2(q, b'\\', &buf[p..])
                        };
                        match found {
                            Some(i) => {
                                let at = p + i;
                                if buf[at] == q {
                                    st = St::Code;
                                    self.mark = Mark::None;
                                    p = at + 1;
                                } else if at + 1 < buf.len() {
                                    p = at + 2;
                                } else {
                                    // A backslash ending the input consumes nothing more.
                                    p = if eof { buf.len() } else { at };
                                    break 'scan None;
                                }
                            }
                            None => {
                                p = buf.len();
                                break 'scan None;
                            }
                        }
                    }
                    St::LineComment => match memchr(b'\n', &buf[p..]) {
                        Some(i) => {
                            p += i + 1;
                            st = St::Code;
                        }
                        None => {
                            p = buf.len();
                            break 'scan None;
                        }
                    },
                    St::BlockComment => match memchr(b'*', &buf[p..]) {
                        Some(i) => {
                            let at = p + i;
                            if at + 1 >= buf.len() && !eof {
                                p = at;
                                break 'scan None;
                            }
                            if buf.get(at + 1) == Some(&b'/') {
                                st = St::Code;
                                self.mark = Mark::None;
                                p = at + 2;
                            } else {
                                p = at + 1;
                            }
                        }
                        None => {
                            p = buf.len();
                            break 'scan None;
                        }
                    },
                }
            };
            if let Some(i) = ended {
                if let Some(s) = self.seg.take() {
                    self.stmt.extend_from_slice(&self.buf[s..i]);
                }
                self.pos = i + self.delim.len();
                return Ok(());
            }
            self.pos = p;
            if !self.fill_more()? && self.pos >= self.end {
                // End of input inside the statement.
                match st {
                    St::Quote(q) => {
                        let l = self.mark_line();
                        let what = if q == b'`' { "identifier" } else { "string" };
                        return Err(self.err(
                            l,
                            format!(
                                "unterminated {what} (opening {}) at end of dump (statement started at line {line})",
                                q as char
                            ),
                        ));
                    }
                    St::BlockComment => {
                        let l = self.mark_line();
                        return Err(self.err(l, "unterminated /* comment at end of dump"));
                    }
                    St::Code | St::LineComment => {
                        // The last statement lacks its delimiter: the client runs it anyway.
                        if let Some(s) = self.seg.take() {
                            self.stmt.extend_from_slice(&self.buf[s..self.end]);
                        }
                        self.pos = self.end;
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// `DELIMITER` (any case) followed by blank space, at a statement start.
fn is_delimiter_command(head: &[u8]) -> bool {
    head.len() > 9
        && head[..9].eq_ignore_ascii_case(b"DELIMITER")
        && matches!(head[9], b' ' | b'\t')
}
