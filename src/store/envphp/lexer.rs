//! Tokens of the PHP subset found in `app/etc/env.php` and `app/etc/config.php`.
//!
//! Hand-written (like the parser) because no maintained crate lexes this subset while keeping
//! byte offsets for line numbers, and because a broken file must give one precise error, never a
//! panic. The lexer works on bytes: positions are byte offsets, columns count bytes (1-based).
//! It is pull-based so that the parser can stop at the end of the `return` statement (whatever
//! follows is never looked at) and can rewind to skip an expression it does not evaluate.

use std::path::Path;

use super::EnvPhpError;

/// The source bytes, the file name for messages, and where each line starts.
pub(crate) struct Src<'a> {
    pub bytes: &'a [u8],
    pub path: &'a Path,
    line_starts: Vec<usize>,
}

impl<'a> Src<'a> {
    pub fn new(bytes: &'a [u8], path: &'a Path) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        Src {
            bytes,
            path,
            line_starts,
        }
    }

    /// 1-based line and byte column of a byte offset.
    pub fn line_col(&self, pos: usize) -> (u32, u32) {
        let i = self.line_starts.partition_point(|&s| s <= pos) - 1;
        ((i + 1) as u32, (pos - self.line_starts[i] + 1) as u32)
    }

    pub fn line(&self, pos: usize) -> u32 {
        self.line_col(pos).0
    }

    /// `line:column` of a byte offset, for messages.
    pub fn at(&self, pos: usize) -> String {
        let (l, c) = self.line_col(pos);
        format!("{l}:{c}")
    }

    pub fn err(&self, pos: usize, message: impl Into<String>) -> EnvPhpError {
        let (line, column) = self.line_col(pos);
        EnvPhpError {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The source text between two offsets, whitespace collapsed and shortened to
    /// [`TEXT_MAX`] chars. Quotes string literals as written: only for short tokens that are not
    /// strings (names, numbers, punctuation), or masked (see [`Src::masked_text`]).
    pub fn text(&self, start: usize, end: usize) -> String {
        let raw = String::from_utf8_lossy(&self.bytes[start.min(end)..end.min(self.bytes.len())]);
        shorten(raw.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The source of the expression between two offsets (which must start at a token), safe to
    /// print: env.php holds the DB password and the crypt key, and an expression such as
    /// `'old-key' . getenv('NEW')` quotes them.
    ///
    /// The rule: the content of every string literal is masked with [`crate::mask::mask`]
    /// (quotes kept: `'a1b2…c5d6'`), except a literal that names an environment variable, which
    /// users need to read to know what to set: the argument of `getenv('X')`, the index of
    /// `$_ENV['X']` / `$_SERVER['X']`, and the first argument of a call to a variable
    /// (`$env('X', …)`, the usual helper closure) when it is an `UPPER_SNAKE` name. Such a name
    /// must look like one (`[A-Za-z_][A-Za-z0-9_]*`, at most 64 chars) or it is masked too.
    /// Interpolated strings keep their `{$var['index']}` parts (indexes masked by the same rule)
    /// and mask their literal parts. Numbers, names, variables and operators are kept; comments
    /// are dropped (a run of whitespace or comments becomes one space). The result is shortened
    /// to [`TEXT_MAX`] chars with `…`.
    pub fn masked_text(&self, start: usize, end: usize) -> String {
        let end = end.min(self.bytes.len());
        // Every token renders as at least one char, so this many are enough to fill TEXT_MAX
        // (plus one to look ahead); a hostile expression is never lexed further.
        let mut toks = Vec::new();
        let mut lx = Lexer::new(start);
        let mut cut = false;
        while lx.pos < end {
            if toks.len() > TEXT_MAX + 1 {
                cut = true;
                break;
            }
            match lx.next(self) {
                Ok(t) if t.tok != Tok::Eof && t.end <= end => toks.push(t),
                Ok(_) => break,
                Err(_) => {
                    cut = true;
                    break;
                }
            }
        }
        let mut out = String::new();
        for (i, t) in toks.iter().enumerate() {
            if i > 0 && t.start > toks[i - 1].end {
                out.push(' ');
            }
            let raw = &self.bytes[t.start..t.end];
            match &t.tok {
                Tok::Str(s) => {
                    if names_env_var(&toks, i, s) {
                        out.push_str(&String::from_utf8_lossy(raw));
                    } else {
                        let q = quote_of(raw);
                        out.push_str(&q.0);
                        out.push_str(&crate::mask::mask(s));
                        out.push_str(&q.1);
                    }
                }
                Tok::Interp(parts) => {
                    let q = quote_of(raw);
                    out.push_str(&q.0);
                    for p in parts {
                        match p {
                            Part::Lit(s) => out.push_str(&crate::mask::mask(s)),
                            Part::Complex => out.push_str("{…}"),
                            Part::Var { name, index } => {
                                out.push_str("{$");
                                out.push_str(name);
                                match index {
                                    None => {}
                                    Some(Index::Int(n)) => out.push_str(&format!("[{n}]")),
                                    Some(Index::Var(v)) => out.push_str(&format!("[${v}]")),
                                    Some(Index::Str(k)) => {
                                        let env = matches!(name.as_str(), "_ENV" | "_SERVER");
                                        let k = if env && is_env_name(k, false) {
                                            k.clone()
                                        } else {
                                            crate::mask::mask(k)
                                        };
                                        out.push_str(&format!("['{k}']"));
                                    }
                                }
                                out.push('}');
                            }
                        }
                    }
                    out.push_str(&q.1);
                }
                _ => out.push_str(&String::from_utf8_lossy(raw)),
            }
            if out.len() > 4 * TEXT_MAX {
                cut = true;
                break;
            }
        }
        let mut out = out.split_whitespace().collect::<Vec<_>>().join(" ");
        if cut {
            out.push('…');
        }
        shorten(out)
    }
}

/// Longest text of an expression kept in messages and [`super::NonLiteral::text`], in chars.
pub(crate) const TEXT_MAX: usize = 120;

fn shorten(s: String) -> String {
    if s.chars().count() > TEXT_MAX {
        s.chars().take(TEXT_MAX - 1).collect::<String>() + "…"
    } else {
        s
    }
}

/// The opening and closing of a string token as rendered: `'`, `"`, or `<<<ID ` … ` ID`.
fn quote_of(raw: &[u8]) -> (String, String) {
    match raw.first() {
        Some(b'\'') => ("'".into(), "'".into()),
        Some(b'"') => ("\"".into(), "\"".into()),
        _ => {
            let rest = raw.get(3..).unwrap_or_default();
            let id: String = rest
                .iter()
                .skip_while(|c| matches!(c, b' ' | b'\t' | b'\'' | b'"'))
                .take_while(|&&c| is_ident(c) && c < 0x80)
                .map(|&c| c as char)
                .collect();
            (format!("<<<{id} "), format!(" {id}"))
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`, at most 64 chars; `upper` also forbids lowercase letters.
fn is_env_name(s: &str, upper: bool) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && !b[0].is_ascii_digit()
        && b.iter().all(|&c| {
            c == b'_'
                || c.is_ascii_digit()
                || c.is_ascii_uppercase()
                || (!upper && c.is_ascii_lowercase())
        })
}

/// Is the string token `toks[i]` the name in `getenv('X')`, `$_ENV['X']`, `$_SERVER['X']` or
/// `$helper('X', …)`?
fn names_env_var(toks: &[Token], i: usize, s: &str) -> bool {
    let (Some(before), Some(open), Some(after)) = (
        i.checked_sub(2).map(|j| &toks[j].tok),
        i.checked_sub(1).map(|j| &toks[j].tok),
        toks.get(i + 1).map(|t| &t.tok),
    ) else {
        return false;
    };
    match (before, open, after) {
        (Tok::Name(n), Tok::Punct("("), Tok::Punct(")" | ","))
            if n.eq_ignore_ascii_case("getenv") =>
        {
            is_env_name(s, false)
        }
        (Tok::Var(v), Tok::Punct("["), Tok::Punct("]")) if v == "_ENV" || v == "_SERVER" => {
            is_env_name(s, false)
        }
        (Tok::Var(_), Tok::Punct("("), Tok::Punct(")" | ",")) => is_env_name(s, true),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cast {
    Int,
    Float,
    Str,
    Bool,
    /// `(array)`, `(object)`, `(unset)`: never evaluated.
    Other,
}

/// A piece of a double-quoted or heredoc string with interpolation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Lit(String),
    /// `$name`, `$name[key]`, `{$name['key']}`, `${name}`.
    Var {
        name: String,
        index: Option<Index>,
    },
    /// Anything more complex (`{$a->b()}`), never evaluated.
    Complex,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Index {
    Str(String),
    Int(i64),
    Var(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Str(String),
    Interp(Vec<Part>),
    Int(i64),
    Float(f64),
    /// An identifier or qualified name (`getenv`, `PDO`, `\Foo\Bar`), leading `\` removed.
    Name(String),
    /// `$name`, without the `$`.
    Var(String),
    Cast(Cast),
    Punct(&'static str),
    /// `?>`: acts as `;`, and nothing after it is read.
    CloseTag,
    Eof,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

const PUNCTS: &[&str] = &[
    "<<=", ">>=", "**=", "...", "<=>", "===", "!==", "??=", "?->", "=>", "->", "::", "??", "==",
    "!=", "<>", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", ".=", "%=", "&=", "|=",
    "^=", "<<", ">>", "**", "#[", "[", "]", "(", ")", "{", "}", ",", ";", "=", "?", ":", ".", "+",
    "-", "*", "/", "%", "!", "~", "<", ">", "&", "|", "^", "@", "`", "$",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

#[derive(Clone, Copy)]
pub(crate) struct Lexer {
    pub pos: usize,
    /// Set after `?>`: the rest is inline output, never PHP we need.
    pub closed: bool,
}

impl Lexer {
    pub fn new(pos: usize) -> Self {
        Lexer { pos, closed: false }
    }

    pub fn next(&mut self, src: &Src) -> Result<Token, EnvPhpError> {
        let b = src.bytes;
        if !self.closed {
            self.skip_trivia(src)?;
        }
        let start = self.pos;
        if self.closed || start >= b.len() {
            return Ok(Token {
                tok: Tok::Eof,
                start: b.len(),
                end: b.len(),
            });
        }
        let c = b[start];
        let next = b.get(start + 1).copied().unwrap_or(0);
        let tok = match c {
            b'\'' => self.single_quoted(src)?,
            b'"' => self.double_quoted(src)?,
            b'$' if is_ident_start(next) => {
                self.pos += 1;
                Tok::Var(self.ident(src)?)
            }
            b'0'..=b'9' => self.number(src)?,
            b'.' if next.is_ascii_digit() => self.number(src)?,
            b'<' if b[start..].starts_with(b"<<<") => self.heredoc(src)?,
            b'(' if let Some(cast) = self.cast(src) => {
                self.pos = start + memchr::memchr(b')', &b[start..]).map_or(1, |i| i + 1);
                Tok::Cast(cast)
            }
            b'?' if next == b'>' => {
                self.pos += 2;
                self.closed = true;
                Tok::CloseTag
            }
            b'\\' if is_ident_start(next) => self.name(src)?,
            c if is_ident_start(c) => self.name(src)?,
            0 => return Err(src.err(start, "not a PHP file: binary data (NUL byte)")),
            _ => match PUNCTS.iter().find(|p| b[start..].starts_with(p.as_bytes())) {
                Some(p) => {
                    self.pos += p.len();
                    Tok::Punct(p)
                }
                None => return Err(src.err(start, format!("unexpected character {:?}", c as char))),
            },
        };
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    /// Whitespace and comments. `#[` is an attribute, not a comment.
    fn skip_trivia(&mut self, src: &Src) -> Result<(), EnvPhpError> {
        let b = src.bytes;
        while self.pos < b.len() {
            let rest = &b[self.pos..];
            match rest[0] {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'#' if rest.get(1) != Some(&b'[') => self.line_comment(b),
                b'/' if rest.get(1) == Some(&b'/') => self.line_comment(b),
                b'/' if rest.get(1) == Some(&b'*') => match memchr::memmem::find(&rest[2..], b"*/")
                {
                    Some(i) => self.pos += i + 4,
                    None => {
                        let msg = format!("unterminated comment starting at {}", src.at(self.pos));
                        return Err(src.err(b.len(), msg));
                    }
                },
                _ => break,
            }
        }
        Ok(())
    }

    /// A `//` or `#` comment ends at the end of the line or just before `?>`.
    fn line_comment(&mut self, b: &[u8]) {
        while self.pos < b.len() && b[self.pos] != b'\n' && !b[self.pos..].starts_with(b"?>") {
            self.pos += 1;
        }
    }

    /// Identifier bytes; non-ASCII bytes must be valid UTF-8.
    fn ident(&mut self, src: &Src) -> Result<String, EnvPhpError> {
        let b = src.bytes;
        let start = self.pos;
        while self.pos < b.len() && is_ident(b[self.pos]) {
            self.pos += 1;
        }
        match std::str::from_utf8(&b[start..self.pos]) {
            Ok(s) => Ok(s.to_string()),
            Err(e) => Err(src.err(
                start + e.valid_up_to(),
                "not a PHP file: binary data (invalid UTF-8)",
            )),
        }
    }

    fn name(&mut self, src: &Src) -> Result<Tok, EnvPhpError> {
        let b = src.bytes;
        let mut parts = Vec::new();
        loop {
            if b.get(self.pos) == Some(&b'\\')
                && b.get(self.pos + 1).is_some_and(|&c| is_ident_start(c))
            {
                self.pos += 1;
            }
            parts.push(self.ident(src)?);
            if !(b.get(self.pos) == Some(&b'\\')
                && b.get(self.pos + 1).is_some_and(|&c| is_ident_start(c)))
            {
                break;
            }
        }
        Ok(Tok::Name(parts.join("\\")))
    }

    /// `(int)`, `( string )`… at the current `(`.
    fn cast(&self, src: &Src) -> Option<Cast> {
        let b = src.bytes;
        let mut i = self.pos + 1;
        let blank = |i: &mut usize| {
            while matches!(b.get(*i), Some(b' ' | b'\t')) {
                *i += 1;
            }
        };
        blank(&mut i);
        let w = i;
        while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
        }
        let word = std::str::from_utf8(&b[w..i]).ok()?.to_ascii_lowercase();
        blank(&mut i);
        if b.get(i) != Some(&b')') {
            return None;
        }
        let cast = match word.as_str() {
            "int" | "integer" => Cast::Int,
            "float" | "double" | "real" => Cast::Float,
            "string" | "binary" => Cast::Str,
            "bool" | "boolean" => Cast::Bool,
            "array" | "object" | "unset" => Cast::Other,
            _ => return None,
        };
        Some(cast)
    }

    fn unterminated(src: &Src, what: &str, start: usize) -> EnvPhpError {
        src.err(
            src.bytes.len(),
            format!("unterminated {what} starting at {}", src.at(start)),
        )
    }

    fn single_quoted(&mut self, src: &Src) -> Result<Tok, EnvPhpError> {
        let b = src.bytes;
        let start = self.pos;
        let mut out = Vec::new();
        let mut i = start + 1;
        loop {
            match b.get(i) {
                None => return Err(Self::unterminated(src, "string", start)),
                Some(b'\'') => break,
                Some(b'\\') if matches!(b.get(i + 1), Some(b'\\' | b'\'')) => {
                    out.push(b[i + 1]);
                    i += 2;
                }
                Some(&c) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        Ok(Tok::Str(String::from_utf8_lossy(&out).into_owned()))
    }

    fn double_quoted(&mut self, src: &Src) -> Result<Tok, EnvPhpError> {
        let b = src.bytes;
        let start = self.pos;
        let mut i = start + 1;
        loop {
            match b.get(i) {
                None => return Err(Self::unterminated(src, "string", start)),
                Some(b'"') => break,
                Some(b'\\') => i += 2,
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        Ok(interpolated(&b[start + 1..i], Some(b'"')))
    }

    /// `<<<ID`, `<<<"ID"` (heredoc) and `<<<'ID'` (nowdoc), with PHP 7.3 closing indentation.
    fn heredoc(&mut self, src: &Src) -> Result<Tok, EnvPhpError> {
        let b = src.bytes;
        let start = self.pos;
        let mut i = start + 3;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let quote = b.get(i).copied().filter(|q| *q == b'\'' || *q == b'"');
        if quote.is_some() {
            i += 1;
        }
        let id_start = i;
        while b.get(i).is_some_and(|&c| is_ident(c)) {
            i += 1;
        }
        let id = &b[id_start..i];
        if let Some(q) = quote {
            if b.get(i) != Some(&q) {
                return Err(src.err(i, "malformed heredoc opening"));
            }
            i += 1;
        }
        if b.get(i) == Some(&b'\r') {
            i += 1;
        }
        if id.is_empty() || b.get(i) != Some(&b'\n') {
            return Err(src.err(
                start,
                "malformed heredoc opening: expected `<<<ID` and a new line",
            ));
        }
        let body_start = i + 1;
        let mut line = body_start;
        let (close, indent) = loop {
            if line >= b.len() {
                return Err(Self::unterminated(src, "heredoc", start));
            }
            let mut k = line;
            while matches!(b.get(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            if b[k..].starts_with(id) && !b.get(k + id.len()).is_some_and(|&c| is_ident(c)) {
                break (k, &b[line..k]);
            }
            line = match memchr::memchr(b'\n', &b[line..]) {
                Some(n) => line + n + 1,
                None => b.len(),
            };
        };
        // The body ends before the new line that precedes the closing line.
        let mut body_end = line.max(body_start);
        if body_end > body_start {
            body_end -= 1;
            if body_end > body_start && b[body_end - 1] == b'\r' {
                body_end -= 1;
            }
        }
        let mut body = Vec::new();
        for (n, l) in b[body_start..body_end].split(|&c| c == b'\n').enumerate() {
            if n > 0 {
                body.push(b'\n');
            }
            body.extend_from_slice(l.strip_prefix(indent).unwrap_or(l));
        }
        self.pos = close + id.len();
        Ok(match quote {
            Some(b'\'') => Tok::Str(String::from_utf8_lossy(&body).into_owned()),
            _ => interpolated(&body, None),
        })
    }

    fn number(&mut self, src: &Src) -> Result<Tok, EnvPhpError> {
        let b = src.bytes;
        let start = self.pos;
        let digits = |i: &mut usize, ok: fn(u8) -> bool| {
            while b
                .get(*i)
                .is_some_and(|&c| ok(c) || (c == b'_' && b.get(*i + 1).is_some_and(|&d| ok(d))))
            {
                *i += 1;
            }
        };
        let mut i = start;
        let radix = match (b[start], b.get(start + 1).map(u8::to_ascii_lowercase)) {
            (b'0', Some(b'x')) => 16,
            (b'0', Some(b'b')) => 2,
            (b'0', Some(b'o')) => 8,
            _ => 10,
        };
        let mut float = false;
        if radix != 10 {
            i += 2;
            let d = i;
            digits(
                &mut i,
                match radix {
                    16 => |c: u8| c.is_ascii_hexdigit(),
                    8 => |c: u8| (b'0'..=b'7').contains(&c),
                    _ => |c: u8| c == b'0' || c == b'1',
                },
            );
            if i == d {
                return Err(src.err(start, "invalid numeric literal"));
            }
        } else {
            digits(&mut i, |c| c.is_ascii_digit());
            if b.get(i) == Some(&b'.') && b.get(i + 1) != Some(&b'.') {
                float = true;
                i += 1;
                digits(&mut i, |c| c.is_ascii_digit());
            }
            if matches!(b.get(i), Some(b'e' | b'E')) {
                let mut j = i + 1;
                if matches!(b.get(j), Some(b'+' | b'-')) {
                    j += 1;
                }
                if b.get(j).is_some_and(u8::is_ascii_digit) {
                    float = true;
                    i = j;
                    digits(&mut i, |c| c.is_ascii_digit());
                }
            }
        }
        if b.get(i).is_some_and(|&c| is_ident(c)) {
            return Err(src.err(start, "invalid numeric literal"));
        }
        self.pos = i;
        let text: String = b[start..i]
            .iter()
            .filter(|&&c| c != b'_')
            .map(|&c| c as char)
            .collect();
        if float {
            return Ok(Tok::Float(text.parse().unwrap_or(0.0)));
        }
        let (radix, body) = match radix {
            10 if text.len() > 1 && text.starts_with('0') => (8, &text[1..]),
            10 => (10, &text[..]),
            r => (r, &text[2..]),
        };
        if radix == 8 && body.bytes().any(|c| c > b'7') {
            return Err(src.err(start, "invalid numeric literal (bad octal digit)"));
        }
        Ok(match i64::from_str_radix(body, radix) {
            Ok(n) => Tok::Int(n),
            // PHP turns an integer literal that overflows into a float.
            Err(_) if radix == 10 => Tok::Float(body.parse().unwrap_or(f64::INFINITY)),
            Err(_) => Tok::Float(body.bytes().fold(0.0, |acc, c| {
                acc * radix as f64 + (c as char).to_digit(radix).unwrap_or(0) as f64
            })),
        })
    }
}

/// Escapes and `$var` interpolation of a double-quoted string (`quote` = `Some(b'"')`) or a
/// heredoc body (`None`, where `\"` stays as written).
pub(crate) fn interpolated(body: &[u8], quote: Option<u8>) -> Tok {
    let mut parts = Vec::new();
    let mut lit: Vec<u8> = Vec::new();
    let mut i = 0;
    let flush = |lit: &mut Vec<u8>, parts: &mut Vec<Part>| {
        if !lit.is_empty() {
            parts.push(Part::Lit(String::from_utf8_lossy(lit).into_owned()));
            lit.clear();
        }
    };
    while i < body.len() {
        let c = body[i];
        let next = body.get(i + 1).copied().unwrap_or(0);
        if c == b'\\' {
            i += 1 + escape(&body[i + 1..], quote, &mut lit);
        } else if c == b'$' && is_ident_start(next) {
            flush(&mut lit, &mut parts);
            let (part, len) = simple_var(&body[i + 1..]);
            parts.push(part);
            i += 1 + len;
        } else if (c == b'{' && next == b'$') || (c == b'$' && next == b'{') {
            let Some(close) = matching_brace(body, if c == b'{' { i } else { i + 1 }) else {
                lit.push(c);
                i += 1;
                continue;
            };
            flush(&mut lit, &mut parts);
            let inner = &body[i + 2..close];
            parts.push(if c == b'{' {
                complex_var(inner)
            } else {
                dollar_brace(inner)
            });
            i = close + 1;
        } else {
            lit.push(c);
            i += 1;
        }
    }
    flush(&mut lit, &mut parts);
    match parts.as_slice() {
        [] => Tok::Str(String::new()),
        [Part::Lit(s)] => Tok::Str(s.clone()),
        _ => Tok::Interp(parts),
    }
}

/// One escape after a `\`; returns how many bytes after the backslash were used.
fn escape(rest: &[u8], quote: Option<u8>, out: &mut Vec<u8>) -> usize {
    let Some(&n) = rest.first() else {
        out.push(b'\\');
        return 0;
    };
    let simple = match n {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'v' => Some(0x0b),
        b'e' => Some(0x1b),
        b'f' => Some(0x0c),
        b'\\' => Some(b'\\'),
        b'$' => Some(b'$'),
        b'"' if quote == Some(b'"') => Some(b'"'),
        _ => None,
    };
    if let Some(s) = simple {
        out.push(s);
        return 1;
    }
    let take = |ok: fn(&u8) -> bool, from: usize, max: usize| {
        rest[from..].iter().take(max).take_while(|c| ok(c)).count()
    };
    if (b'0'..=b'7').contains(&n) {
        let len = take(|c| (b'0'..=b'7').contains(c), 0, 3);
        let v = rest[..len]
            .iter()
            .fold(0u32, |a, &c| a * 8 + (c - b'0') as u32);
        out.push((v & 0xff) as u8);
        return len;
    }
    if n == b'x' {
        let len = take(u8::is_ascii_hexdigit, 1, 2);
        if len > 0 {
            let s = std::str::from_utf8(&rest[1..1 + len]).unwrap_or("0");
            out.push(u8::from_str_radix(s, 16).unwrap_or(0));
            return 1 + len;
        }
    }
    if n == b'u' && rest.get(1) == Some(&b'{') {
        let len = take(u8::is_ascii_hexdigit, 2, 8);
        if len > 0 && rest.get(2 + len) == Some(&b'}') {
            let s = std::str::from_utf8(&rest[2..2 + len]).unwrap_or("");
            if let Some(ch) = u32::from_str_radix(s, 16).ok().and_then(char::from_u32) {
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                return 3 + len;
            }
        }
    }
    // Unknown escape: kept as written.
    out.push(b'\\');
    0
}

fn ident_len(b: &[u8]) -> usize {
    if b.first().is_some_and(|&c| is_ident_start(c)) {
        b.iter().take_while(|&&c| is_ident(c)).count()
    } else {
        0
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `$name`, `$name[key]`, `$name[0]`, `$name[$k]` (after the `$`); `$a->b` is complex.
fn simple_var(b: &[u8]) -> (Part, usize) {
    let n = ident_len(b);
    let name = lossy(&b[..n]);
    if b[n..].starts_with(b"->") && ident_len(&b[n + 2..]) > 0 {
        return (Part::Complex, n + 2 + ident_len(&b[n + 2..]));
    }
    if b.get(n) == Some(&b'[')
        && let Some(close) = b[n..].iter().position(|&c| c == b']').map(|p| p + n)
    {
        let key = &b[n + 1..close];
        let index = if let Some(v) = key
            .strip_prefix(b"$")
            .filter(|v| ident_len(v) == v.len() && !v.is_empty())
        {
            Some(Index::Var(lossy(v)))
        } else if let Ok(i) = std::str::from_utf8(key).unwrap_or("x").parse::<i64>() {
            Some(Index::Int(i))
        } else if !key.is_empty() && ident_len(key) == key.len() {
            Some(Index::Str(lossy(key)))
        } else {
            None
        };
        if let Some(index) = index {
            return (
                Part::Var {
                    name,
                    index: Some(index),
                },
                close + 1,
            );
        }
    }
    (Part::Var { name, index: None }, n)
}

/// The inside of `{$…}` (after `{$`): `name` or `name['key']`/`name["key"]`/`name[0]`/`name[$k]`.
fn complex_var(b: &[u8]) -> Part {
    let n = ident_len(b);
    if n == 0 {
        return Part::Complex;
    }
    let name = lossy(&b[..n]);
    let rest = &b[n..];
    if rest.is_empty() {
        return Part::Var { name, index: None };
    }
    let Some(key) = rest.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")) else {
        return Part::Complex;
    };
    let quoted = |q: u8| {
        key.len() >= 2
            && key[0] == q
            && key[key.len() - 1] == q
            && !key[1..key.len() - 1].contains(&q)
    };
    let index = if quoted(b'\'') || quoted(b'"') {
        Index::Str(lossy(&key[1..key.len() - 1]))
    } else if let Some(v) = key
        .strip_prefix(b"$")
        .filter(|v| !v.is_empty() && ident_len(v) == v.len())
    {
        Index::Var(lossy(v))
    } else if let Ok(i) = std::str::from_utf8(key).unwrap_or("x").parse::<i64>() {
        Index::Int(i)
    } else {
        return Part::Complex;
    };
    Part::Var {
        name,
        index: Some(index),
    }
}

/// The inside of `${…}`: `name` only.
fn dollar_brace(b: &[u8]) -> Part {
    if !b.is_empty() && ident_len(b) == b.len() {
        Part::Var {
            name: lossy(b),
            index: None,
        }
    } else {
        Part::Complex
    }
}

/// The `}` matching the `{` at `open`, skipping quoted strings.
fn matching_brace(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex_all(s: &str) -> Vec<Tok> {
        let path = Path::new("t.php");
        let src = Src::new(s.as_bytes(), path);
        let mut lx = Lexer::new(0);
        let mut out = Vec::new();
        loop {
            let t = lx.next(&src).unwrap();
            if t.tok == Tok::Eof {
                return out;
            }
            out.push(t.tok);
        }
    }

    fn one(s: &str) -> Tok {
        lex_all(s).remove(0)
    }

    fn lex_err(s: &str) -> String {
        let path = Path::new("t.php");
        let src = Src::new(s.as_bytes(), path);
        let mut lx = Lexer::new(0);
        loop {
            match lx.next(&src) {
                Ok(t) if t.tok == Tok::Eof => panic!("no error"),
                Ok(_) => {}
                Err(e) => return e.to_string(),
            }
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(one("42"), Tok::Int(42));
        assert_eq!(one("0x1F"), Tok::Int(31));
        assert_eq!(one("0X1f"), Tok::Int(31));
        assert_eq!(one("0o17"), Tok::Int(15));
        assert_eq!(one("017"), Tok::Int(15));
        assert_eq!(one("0b101"), Tok::Int(5));
        assert_eq!(one("1_000"), Tok::Int(1000));
        assert_eq!(one("0"), Tok::Int(0));
        assert_eq!(one("1.5"), Tok::Float(1.5));
        assert_eq!(one(".5"), Tok::Float(0.5));
        assert_eq!(one("1e3"), Tok::Float(1000.0));
        assert_eq!(one("2.5E-1"), Tok::Float(0.25));
        assert_eq!(
            one("9223372036854775808"),
            Tok::Float(9223372036854775808.0)
        );
        assert!(lex_err("089").contains("1:1: invalid numeric literal"));
        assert!(lex_err("12abc").contains("invalid numeric literal"));
    }

    #[test]
    fn single_quoted_escapes() {
        assert_eq!(one(r"'a\'b\\c\nd'"), Tok::Str(r"a'b\c\nd".into()));
        assert_eq!(one("'line1\nline2'"), Tok::Str("line1\nline2".into()));
    }

    #[test]
    fn double_quoted_escapes() {
        assert_eq!(
            one(r#""\n\t\r\v\e\f\\\$\"""#),
            Tok::Str("\n\t\r\u{b}\u{1b}\u{c}\\$\"".into())
        );
        assert_eq!(
            one(r#""\101\0\x41\x4a\u{e9}\u{1F600}""#),
            Tok::Str("A\0AJé😀".into())
        );
        assert_eq!(one(r#""\q\xZ\u{zz}""#), Tok::Str(r"\q\xZ\u{zz}".into()));
        assert_eq!(one(r#""\400""#), Tok::Str("\0".into()));
    }

    #[test]
    fn interpolation_parts() {
        let var = |n: &str, i: Option<Index>| Part::Var {
            name: n.into(),
            index: i,
        };
        assert_eq!(
            one(r#""a $x b""#),
            Tok::Interp(vec![
                Part::Lit("a ".into()),
                var("x", None),
                Part::Lit(" b".into())
            ])
        );
        assert_eq!(
            one(r#""{$x['k']}""#),
            Tok::Interp(vec![var("x", Some(Index::Str("k".into())))])
        );
        assert_eq!(
            one(r#""$_ENV[HOST]:""#),
            Tok::Interp(vec![
                var("_ENV", Some(Index::Str("HOST".into()))),
                Part::Lit(":".into())
            ])
        );
        assert_eq!(one(r#""${x}""#), Tok::Interp(vec![var("x", None)]));
        assert_eq!(one(r#""{$a->b()}""#), Tok::Interp(vec![Part::Complex]));
        assert_eq!(one(r#""\$x costs $5""#), Tok::Str("$x costs $5".into()));
    }

    #[test]
    fn heredoc_and_nowdoc() {
        assert_eq!(
            one("<<<EOT\n  a $x\n  b\n  EOT"),
            Tok::Interp(vec![
                Part::Lit("a ".into()),
                Part::Var {
                    name: "x".into(),
                    index: None
                },
                Part::Lit("\nb".into())
            ])
        );
        assert_eq!(one("<<<'EOT'\na $x\\n\nEOT;"), Tok::Str("a $x\\n".into()));
        assert_eq!(one("<<<\"EOT\"\r\nx\r\nEOT\r\n"), Tok::Str("x".into()));
        assert_eq!(one("<<<EOT\nEOT"), Tok::Str(String::new()));
        assert!(lex_err("<<<EOT\nabc\n").contains("unterminated heredoc starting at 1:1"));
    }

    #[test]
    fn names_casts_puncts_comments() {
        assert_eq!(
            lex_all(
                "\\PDO::X => (int) ( string ) (foo) $a ?? ?: ?-> #[A] # c\n// d\n/* e */ ?> junk \0"
            ),
            vec![
                Tok::Name("PDO".into()),
                Tok::Punct("::"),
                Tok::Name("X".into()),
                Tok::Punct("=>"),
                Tok::Cast(Cast::Int),
                Tok::Cast(Cast::Str),
                Tok::Punct("("),
                Tok::Name("foo".into()),
                Tok::Punct(")"),
                Tok::Var("a".into()),
                Tok::Punct("??"),
                Tok::Punct("?"),
                Tok::Punct(":"),
                Tok::Punct("?->"),
                Tok::Punct("#["),
                Tok::Name("A".into()),
                Tok::Punct("]"),
                Tok::CloseTag,
            ]
        );
        assert_eq!(lex_all("Foo\\Bar"), vec![Tok::Name("Foo\\Bar".into())]);
    }

    #[test]
    fn errors_with_positions() {
        assert_eq!(
            lex_err("\n  'abc"),
            "t.php:2:7: unterminated string starting at 2:3"
        );
        assert_eq!(
            lex_err("/* x"),
            "t.php:1:5: unterminated comment starting at 1:1"
        );
        assert_eq!(
            lex_err("a \0"),
            "t.php:1:3: not a PHP file: binary data (NUL byte)"
        );
        assert_eq!(
            lex_err("a\u{1}"),
            "t.php:1:2: unexpected character '\\u{1}'"
        );
        let bad = b"ab\xff";
        let src = Src::new(bad, Path::new("t.php"));
        let e = Lexer::new(0).next(&src).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.php:1:3: not a PHP file: binary data (invalid UTF-8)"
        );
    }

    #[test]
    fn masked_text_hides_literals_but_not_env_names() {
        let text = |s: &str| Src::new(s.as_bytes(), Path::new("t.php")).masked_text(0, s.len());
        assert_eq!(
            text("getenv('DB_PASS') ?: 'Sup3r-Secret-DB-pw'"),
            "getenv('DB_PASS') ?: 'Sup3…B-pw'"
        );
        assert_eq!(
            text("$_SERVER['X'] . $_ENV[\"Y\"] . getenv('a b')"),
            "$_SERVER['X'] . $_ENV[\"Y\"] . getenv('…')"
        );
        // A helper's first argument is kept only when it is an UPPER_SNAKE name.
        assert_eq!(
            text("$e('DB_PASS', 'secret') . $e('secret')"),
            "$e('DB_PASS', 'se…') . $e('se…')"
        );
        assert_eq!(
            text("<<<EOT\n  Sup3r-Secret-DB-pw\n  EOT . x"),
            "<<<EOT Sup3…B-pw EOT . x"
        );
        assert_eq!(
            text("\"a$_ENV[HOST]b{$c['Sup3r-Secret-DB-pw']}\""),
            "\"…{$_ENV['HOST']}…{$c['Sup3…B-pw']}\""
        );
        let long = text(&"$a . ".repeat(100));
        assert_eq!(long.chars().count(), TEXT_MAX);
        assert!(long.ends_with('…'));
        // An unterminated literal in the range is never printed.
        assert_eq!(text("f() . 'Sup3r-Secret"), "f() .…");
    }

    #[test]
    fn lossy_strings() {
        let bytes = b"'a\xffb'";
        let src = Src::new(bytes, Path::new("t.php"));
        assert_eq!(
            Lexer::new(0).next(&src).unwrap().tok,
            Tok::Str("a\u{fffd}b".into())
        );
    }
}
