//! nginx configuration: read with the `nginx-lint-parser` crate (it parses Magento's
//! `nginx.conf.sample` and real configs, accepts any directive name, and gives every directive
//! a line), turned into [`Node`]s with `include`s inlined (globs; relative paths against the main
//! configuration's directory, as with the default prefix), then asked what nginx would do with a
//! request: which `server` serves the store ([`store_servers`]), which `location` a URI lands in
//! ([`find_location`]: exact `=`, longest prefix, `^~`, regexes in order, nested locations), and
//! which directive is in force there, inherited from `server` and `http` the way nginx merges
//! ([`effective`], [`effective_list`]).
//!
//! One quirk of the crate is undone here: it splits an argument at a variable (`$MAGE_ROOT/pub`
//! comes as `$MAGE_ROOT` and `/pub`); adjacent pieces (no space between them) are joined again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{
    Budget, Config, Kind, MAX_NESTING, Node, expand_include, over_file_count, over_include_depth,
    parsed_or_skipped, read_text,
};

struct Reader {
    base: PathBuf,
    files: Vec<PathBuf>,
    problems: Vec<String>,
    stack: Vec<PathBuf>,
    budget: Budget,
    /// Blocks open around the directive being converted (nesting counts across includes).
    depth: usize,
}

/// Read an nginx main configuration file (or a file of `server` blocks) and its includes.
pub fn read(main: &Path) -> Config {
    read_with(main, &mut Budget::default())
}

/// [`read`], counting the bytes read into `budget`. Relative includes resolve against the
/// prefix ([`super::include_base`]: the directory of the main nginx.conf).
pub(crate) fn read_with(main: &Path, budget: &mut Budget) -> Config {
    let mut r = Reader {
        base: super::include_base(main, Kind::Nginx),
        files: Vec::new(),
        problems: Vec::new(),
        stack: Vec::new(),
        budget: std::mem::take(budget),
        depth: 0,
    };
    let nodes = r.file(main).unwrap_or_default();
    *budget = r.budget;
    Config {
        kind: Kind::Nginx,
        main: main.to_path_buf(),
        given: false,
        nodes,
        files: r.files,
        problems: r.problems,
        server_root: None,
    }
}

/// Parse text as one file (includes not followed): the nodes, or `line: reason`.
pub fn parse_str(text: &str, file: &Path) -> Result<Vec<Node>, (u32, String)> {
    let mut r = Reader {
        base: PathBuf::from("/"),
        files: Vec::new(),
        problems: Vec::new(),
        stack: Vec::new(),
        budget: Budget::default(),
        depth: 0,
    };
    r.parse(text, file, false)
}

impl Reader {
    fn file(&mut self, path: &Path) -> Option<Vec<Node>> {
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.stack.contains(&canon) {
            self.problems
                .push(format!("{}: include cycle: not followed", path.display()));
            return None;
        }
        if over_file_count(path, self.files.len(), &mut self.problems)
            || over_include_depth(path, self.stack.len(), &mut self.problems)
        {
            return None;
        }
        let text = match read_text(path, &mut self.budget) {
            Ok(t) => t,
            Err(why) => {
                self.problems.push(format!("{}: {why}", path.display()));
                return None;
            }
        };
        self.files.push(path.to_path_buf());
        self.stack.push(canon);
        let nodes_before = self.budget.nodes;
        let parsed = self.parse(&text, path, true);
        if parsed.is_err() {
            // A skipped file keeps none of its nodes: they no longer count against the cap.
            self.budget.nodes = nodes_before;
        }
        let out = parsed_or_skipped(parsed, path, &mut self.problems);
        self.stack.pop();
        out
    }

    fn parse(&mut self, text: &str, file: &Path, follow: bool) -> Result<Vec<Node>, (u32, String)> {
        // (the block's node, its children so far)
        let mut stack: Vec<(Node, Vec<Node>)> = Vec::new();
        let mut top: Vec<Node> = Vec::new();
        let mut lex = Lexer::new(text);
        // The directive being read: its words (raw as written, and as nginx reads them).
        let mut words: Vec<Word<'_>> = Vec::new();
        loop {
            let tok = lex.next().map_err(|(line, why)| (line, why.to_string()))?;
            match tok {
                Tok::Word(w) => words.push(w),
                Tok::Semi(line) => {
                    if words.is_empty() {
                        return Err((line, "unexpected \";\"".into()));
                    }
                    let node = self.node(std::mem::take(&mut words), file, None)?;
                    let depth = stack.len();
                    let target = match stack.last_mut() {
                        Some((_, c)) => c,
                        None => &mut top,
                    };
                    self.push(node, target, follow, depth);
                }
                Tok::Open(line) => {
                    if words.is_empty() {
                        return Err((line, "unexpected \"{\"".into()));
                    }
                    if self.depth + stack.len() >= MAX_NESTING {
                        return Err((line, format!("blocks nested deeper than {MAX_NESTING}")));
                    }
                    let node = self.node(std::mem::take(&mut words), file, Some(Vec::new()))?;
                    // OpenResty's `*_by_lua_block { … }` holds Lua, not directives.
                    if node.name.ends_with("_by_lua_block") {
                        lex.skip_raw_block()
                            .map_err(|why| (node.line, why.to_string()))?;
                        let target = match stack.last_mut() {
                            Some((_, c)) => c,
                            None => &mut top,
                        };
                        target.push(node);
                    } else {
                        stack.push((node, Vec::new()));
                    }
                }
                Tok::Close(line) => {
                    if !words.is_empty() {
                        return Err((
                            line,
                            "unexpected \"}\": the directive before it has no \";\"".into(),
                        ));
                    }
                    let Some((mut node, children)) = stack.pop() else {
                        return Err((line, "unexpected \"}\"".into()));
                    };
                    node.block = Some(children);
                    match stack.last_mut() {
                        Some((_, c)) => c.push(node),
                        None => top.push(node),
                    }
                }
                Tok::Eof(line) => {
                    if let Some(w) = words.first() {
                        return Err((
                            w.line,
                            "unexpected end of file: the directive has no \";\"".into(),
                        ));
                    }
                    if let Some((node, _)) = stack.last() {
                        return Err((
                            node.line,
                            format!(
                                "unexpected end of file: the block opened here is never closed (line {line})"
                            ),
                        ));
                    }
                    return Ok(top);
                }
            }
        }
    }

    /// A directive or block node from its words, counted against the directive cap.
    fn node(
        &mut self,
        words: Vec<Word<'_>>,
        file: &Path,
        block: Option<Vec<Node>>,
    ) -> Result<Node, (u32, String)> {
        let line = words[0].line;
        if !self.budget.count_node() {
            return Err((line, super::too_many_nodes()));
        }
        let mut it = words.into_iter();
        let first = it.next().expect("one word at least");
        let mut source = first.raw.to_string();
        let mut args = Vec::new();
        for w in it {
            source.push(' ');
            source.push_str(w.raw);
            args.push(w.text);
        }
        source.push_str(if block.is_some() { " {" } else { ";" });
        Ok(Node {
            name: first.text,
            args,
            file: file.to_path_buf(),
            line,
            block,
            source,
        })
    }

    /// Add a finished directive to `target`; an `include` is followed (its files' nodes come
    /// right after it) when `follow`.
    fn push(&mut self, node: Node, target: &mut Vec<Node>, follow: bool, open_blocks: usize) {
        if !(follow && node.name == "include") {
            target.push(node);
            return;
        }
        let pattern = node.arg(0).unwrap_or("").to_string();
        let place = node.place();
        target.push(node);
        let path = if Path::new(&pattern).is_absolute() {
            PathBuf::from(&pattern)
        } else {
            self.base.join(&pattern)
        };
        match expand_include(&path) {
            Err(why) => self.problems.push(format!("{place}: {why}")),
            Ok(files) => {
                for f in files {
                    self.depth += open_blocks;
                    let read = self.file(&f);
                    self.depth -= open_blocks;
                    if let Some(nodes) = read {
                        target.extend(nodes);
                    } else if !f.exists() {
                        // `file()` recorded why; say where it was included from.
                        if let Some(last) = self.problems.last_mut() {
                            last.push_str(&format!(" (included at {place})"));
                        }
                    }
                }
            }
        }
    }
}

/// nginx's own tokenizer (`ngx_conf_read_token`), by hand: a word ends at white space, `;` or
/// `{` (not at `}` nor `#`, which belong to a word once it has begun), `\` takes the next
/// character literally, `${` continues a word, `#` outside a word comments to the end of the
/// line, `"…"` / `'…'` quote. Written here rather than taken from a crate: the parser crate used
/// before recursed per block (a stack overflow at 70,000 levels, its own pre-scan disagreeing
/// with it) and kept a lossless syntax tree of about 1.5 KB per directive; this reads in one pass,
/// iteratively, holding only the [`Node`]s.
struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

/// One word of a directive: as written (quotes kept) and as nginx reads it.
struct Word<'a> {
    raw: &'a str,
    text: String,
    line: u32,
}

enum Tok<'a> {
    Word(Word<'a>),
    Semi(u32),
    Open(u32),
    Close(u32),
    Eof(u32),
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn bump(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn next(&mut self) -> Result<Tok<'a>, (u32, &'static str)> {
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Ok(Tok::Eof(self.line));
            };
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    self.bump();
                }
                b'#' => {
                    while let Some(&c) = self.bytes.get(self.pos) {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                b';' => {
                    self.bump();
                    return Ok(Tok::Semi(self.line));
                }
                b'{' => {
                    self.bump();
                    return Ok(Tok::Open(self.line));
                }
                b'}' => {
                    self.bump();
                    return Ok(Tok::Close(self.line));
                }
                _ => return self.word().map(Tok::Word),
            }
        }
    }

    /// A word starting at the current position (not white space nor `;{}#`).
    fn word(&mut self) -> Result<Word<'a>, (u32, &'static str)> {
        let start = self.pos;
        let line = self.line;
        let mut text = String::new();
        // Quoted pieces and bare pieces glued together (`"a"b`) make one word, as the parser
        // used before read them (nginx itself refuses it).
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' => break,
                b'"' | b'\'' => {
                    self.bump();
                    let piece_start = self.pos;
                    loop {
                        match self.bump() {
                            None => {
                                return Err((
                                    line,
                                    "unexpected end of file inside a quoted string",
                                ));
                            }
                            Some(b'\\') => {
                                self.bump();
                            }
                            Some(c) if c == b => break,
                            Some(_) => {}
                        }
                    }
                    unescape(&self.text[piece_start..self.pos - 1], &mut text);
                }
                _ => {
                    let piece_start = self.pos;
                    let mut variable = false;
                    while let Some(&c) = self.bytes.get(self.pos) {
                        match c {
                            b'{' if variable => {}
                            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'"' | b'\'' => break,
                            b'\\' => {
                                self.bump();
                                if self.bytes.get(self.pos).is_some() {
                                    self.bump();
                                }
                                variable = false;
                                continue;
                            }
                            _ => {}
                        }
                        variable = c == b'$';
                        self.bump();
                    }
                    unescape(&self.text[piece_start..self.pos], &mut text);
                }
            }
        }
        Ok(Word {
            raw: &self.text[start..self.pos],
            text,
            line,
        })
    }

    /// Skip the contents of a raw (Lua) block whose `{` was just read, to its matching `}`
    /// (braces inside quoted strings and `--` comments do not count).
    fn skip_raw_block(&mut self) -> Result<(), &'static str> {
        let mut depth = 1usize;
        while let Some(b) = self.bump() {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b'"' | b'\'' => loop {
                    match self.bump() {
                        None => return Err("unexpected end of file inside a Lua block"),
                        Some(b'\\') => {
                            self.bump();
                        }
                        Some(c) if c == b || c == b'\n' => break,
                        Some(_) => {}
                    }
                },
                b'-' if self.bytes.get(self.pos) == Some(&b'-') => {
                    while let Some(&c) = self.bytes.get(self.pos) {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => {}
            }
        }
        Err("unexpected end of file inside a Lua block")
    }
}

/// nginx's unescaping of a word: `\"`, `\'`, `\\`, `\t`, `\r`, `\n` (and `\$` in double quotes
/// as the parser used before read it); any other `\x` is kept as written (regexes need it).
fn unescape(piece: &str, out: &mut String) {
    let mut chars = piece.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
}

/// A `server` block and what it serves.
#[derive(Debug, Clone)]
pub struct Server<'a> {
    pub node: &'a Node,
    /// The enclosing `http` block, if any (a file of bare `server` blocks has none).
    pub http: Option<&'a Node>,
    /// The `root` in force at server level (`$MAGE_ROOT/pub` resolved through `set`).
    pub root: Option<PathBuf>,
    pub root_node: Option<&'a Node>,
    pub names: Vec<String>,
    pub ports: Vec<u16>,
    /// A `listen … ssl`.
    pub tls: bool,
    /// `set $NAME value` at server and http level.
    pub vars: HashMap<String, String>,
}

/// Every `server` block (inside `http`, or at the top of a file given alone).
pub fn servers(cfg: &Config) -> Vec<Server<'_>> {
    let mut out = Vec::new();
    for n in &cfg.nodes {
        if n.name == "http" {
            for s in n.children().iter().filter(|c| c.name == "server") {
                out.push(server(s, Some(n)));
            }
        } else if n.name == "server" && n.block.is_some() {
            out.push(server(n, None));
        }
    }
    out
}

fn server<'a>(s: &'a Node, http: Option<&'a Node>) -> Server<'a> {
    let mut vars = HashMap::new();
    for level in http.into_iter().chain([s]) {
        for c in level.children() {
            if c.name == "set"
                && let (Some(k), Some(v)) = (c.arg(0), c.arg(1))
            {
                vars.insert(k.trim_start_matches('$').to_string(), v.to_string());
            }
        }
    }
    let root_node = s
        .children()
        .iter()
        .rev()
        .find(|c| c.name == "root")
        .or_else(|| http.and_then(|h| h.children().iter().rev().find(|c| c.name == "root")))
        // Some configurations set the root only in `location /`.
        .or_else(|| {
            s.children()
                .iter()
                .find(|c| c.name == "location" && c.args == ["/"])
                .and_then(|l| l.children().iter().rev().find(|c| c.name == "root"))
        });
    let root = root_node
        .and_then(|r| r.arg(0))
        .map(|r| PathBuf::from(substitute(r, &vars)));
    let mut names = Vec::new();
    let mut ports = Vec::new();
    let mut tls = false;
    for c in s.children() {
        if c.name == "listen" && c.args.iter().any(|a| a == "ssl") {
            tls = true;
        }
        if c.name == "server_name" {
            names.extend(c.args.iter().map(|a| a.to_ascii_lowercase()));
        }
        if c.name == "listen"
            && let Some(a) = c.arg(0)
        {
            let p = a.rsplit(':').next().unwrap_or(a);
            if let Ok(p) = p.parse() {
                ports.push(p);
            }
        }
    }
    Server {
        node: s,
        http,
        root,
        root_node,
        names,
        ports,
        tls,
        vars,
    }
}

/// `$NAME` and `${NAME}` replaced by their `set` values (unknown ones left as written, and so is
/// an unclosed `${…`: the text comes from the configuration and is never trusted to be well
/// formed).
pub fn substitute(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // (the name, the bytes the reference takes after `$`)
        let (name, len) = if let Some(b) = after.strip_prefix('{') {
            match b.find('}') {
                Some(end) => (&b[..end], end + 2),
                None => {
                    // `${x` without its `}`: literal to the end.
                    out.push_str(&rest[i..]);
                    return out;
                }
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        let reference = after.get(..len).unwrap_or(after);
        match vars.get(name) {
            Some(v) if !name.is_empty() => out.push_str(v),
            _ => {
                out.push('$');
                out.push_str(reference);
            }
        }
        rest = after.get(len..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The servers whose root is the Magento root or its `pub/`; with a request host (and port),
/// those whose `server_name` (and `listen` port) match first.
pub fn store_servers<'a>(
    cfg: &'a Config,
    magento_root: &Path,
    host: Option<&str>,
    port: Option<u16>,
) -> Vec<Server<'a>> {
    let mut found: Vec<Server<'a>> = servers(cfg)
        .into_iter()
        .filter(|s| {
            s.root.as_ref().is_some_and(|r| {
                super::same_dir(r, magento_root) || super::same_dir(r, &magento_root.join("pub"))
            })
        })
        .collect();
    // Best first: server_name matching the request's host, then its port; without a request,
    // a TLS server (`listen 443 ssl`).
    let h = host.map(str::to_ascii_lowercase);
    found.sort_by_key(|s| {
        let name = h.as_ref().is_some_and(|h| {
            s.names.iter().any(|n| {
                n == h
                    || n.strip_prefix('*')
                        .is_some_and(|suffix| h.ends_with(suffix))
                    || n.strip_prefix('.')
                        .is_some_and(|d| h == d || h.ends_with(&format!(".{d}")))
            })
        });
        let port_ok = match port {
            Some(p) => s.ports.is_empty() || s.ports.contains(&p),
            None => s.ports.contains(&443) || s.tls,
        };
        (!name, !port_ok)
    });
    found
}

/// How a `location` matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    Exact,
    /// `^~`: a prefix that stops the regex search.
    PrefixNoRegex,
    Prefix,
    Regex {
        case_insensitive: bool,
    },
    Named,
}

/// The modifier and pattern of a `location` block.
pub fn location_of(n: &Node) -> Option<(Modifier, &str)> {
    match (n.arg(0), n.arg(1)) {
        (Some("="), Some(p)) => Some((Modifier::Exact, p)),
        (Some("^~"), Some(p)) => Some((Modifier::PrefixNoRegex, p)),
        (Some("~"), Some(p)) => Some((
            Modifier::Regex {
                case_insensitive: false,
            },
            p,
        )),
        (Some("~*"), Some(p)) => Some((
            Modifier::Regex {
                case_insensitive: true,
            },
            p,
        )),
        (Some(p), None) if p.starts_with('@') => Some((Modifier::Named, p)),
        (Some(p), None) => {
            // `location =/x` written without a space
            if let Some(x) = p.strip_prefix('=') {
                Some((Modifier::Exact, x))
            } else {
                Some((Modifier::Prefix, p))
            }
        }
        _ => None,
    }
}

/// The chain of `location` blocks a URI lands in under `parent` (a server or location), as
/// nginx chooses: an exact match wins; else the longest prefix, searched for nested locations
/// first; a `^~` longest prefix stops there; else the first regex in order of appearance (nested
/// ones of the chosen prefix before the outer ones); else the longest prefix. Empty when none
/// matches.
pub fn find_location<'a>(parent: &'a Node, uri: &str) -> Vec<&'a Node> {
    let locs: Vec<(&'a Node, Modifier, &'a str)> = parent
        .children()
        .iter()
        .filter(|c| c.name == "location" && c.block.is_some())
        .filter_map(|c| location_of(c).map(|(m, p)| (c, m, p)))
        .collect();
    if let Some((n, _, _)) = locs
        .iter()
        .find(|(_, m, p)| *m == Modifier::Exact && *p == uri)
    {
        return vec![n];
    }
    let longest = locs
        .iter()
        .filter(|(_, m, p)| {
            matches!(m, Modifier::Prefix | Modifier::PrefixNoRegex) && uri.starts_with(p)
        })
        .max_by_key(|(_, _, p)| p.len());
    if let Some((n, m, _)) = longest {
        let nested = find_location(n, uri);
        let mut chain = vec![*n];
        if let Some(first) = nested.first()
            && location_of(first)
                .is_some_and(|(m, _)| matches!(m, Modifier::Regex { .. } | Modifier::Exact))
        {
            chain.extend(nested);
            return chain;
        }
        if *m == Modifier::PrefixNoRegex {
            chain.extend(nested);
            return chain;
        }
        if let Some(r) = first_regex(&locs, uri) {
            let mut chain = vec![r];
            chain.extend(find_location(r, uri));
            return chain;
        }
        chain.extend(nested);
        return chain;
    }
    match first_regex(&locs, uri) {
        Some(r) => {
            let mut chain = vec![r];
            chain.extend(find_location(r, uri));
            chain
        }
        None => Vec::new(),
    }
}

fn first_regex<'a>(locs: &[(&'a Node, Modifier, &'a str)], uri: &str) -> Option<&'a Node> {
    locs.iter()
        .find(|(_, m, p)| match m {
            Modifier::Regex { case_insensitive } => {
                let pat = if *case_insensitive {
                    format!("(?i){p}")
                } else {
                    p.to_string()
                };
                super::apache::regex_matches(&pat, uri)
            }
            _ => false,
        })
        .map(|(n, _, _)| *n)
}

/// A named location (`@name`) of a server.
pub fn named_location<'a>(server: &'a Node, name: &str) -> Option<&'a Node> {
    super::walk(server.children())
        .into_iter()
        .find(|n| n.name == "location" && n.arg(0) == Some(name))
}

/// The levels a request meets, outermost first: `http`, `server`, then the location chain.
pub fn levels<'a>(server: &Server<'a>, chain: &[&'a Node]) -> Vec<&'a Node> {
    server
        .http
        .into_iter()
        .chain([server.node])
        .chain(chain.iter().copied())
        .collect()
}

/// The innermost directive `name` in force (nginx inherits a directive from the outer level
/// when a level does not set it).
pub fn effective<'a>(levels: &[&'a Node], name: &str) -> Option<&'a Node> {
    levels.iter().rev().find_map(|l| {
        l.children()
            .iter()
            .rev()
            .find(|c| c.name == name && c.block.is_none())
    })
}

/// The list directives among `names` in force (`allow`/`deny`, `fastcgi_param`): those of the
/// innermost level that has any of them; outer levels' lists are inherited only by levels
/// without one (nginx's array merge).
pub fn effective_list<'a>(levels: &[&'a Node], names: &[&str]) -> Vec<&'a Node> {
    for l in levels.iter().rev() {
        let here: Vec<&Node> = l
            .children()
            .iter()
            .filter(|c| c.block.is_none() && names.contains(&c.name.as_str()))
            .collect();
        if !here.is_empty() {
            return here;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_of(text: &str) -> Node {
        let nodes = parse_str(text, Path::new("t.conf")).unwrap();
        nodes.into_iter().find(|n| n.name == "server").unwrap()
    }

    fn landed(s: &Node, uri: &str) -> String {
        find_location(s, uri)
            .iter()
            .map(|n| n.args.join(" "))
            .collect::<Vec<_>>()
            .join(" > ")
    }

    #[test]
    fn variables_are_joined_and_substituted() {
        let s = server_of("server {\n set $MAGE_ROOT /var/www/m;\n root $MAGE_ROOT/pub;\n}\n");
        let root = s.children().iter().find(|c| c.name == "root").unwrap();
        assert_eq!(root.args, vec!["$MAGE_ROOT/pub"]);
        assert_eq!(root.line, 3);
        let mut vars = HashMap::new();
        vars.insert("MAGE_ROOT".to_string(), "/var/www/m".to_string());
        assert_eq!(substitute("$MAGE_ROOT/pub", &vars), "/var/www/m/pub");
        assert_eq!(substitute("${MAGE_ROOT}/pub", &vars), "/var/www/m/pub");
        assert_eq!(substitute("$other/x", &vars), "$other/x");
        // Malformed references from an untrusted file: kept as written, never a panic.
        assert_eq!(substitute("/srv/${x", &vars), "/srv/${x");
        assert_eq!(substitute("/srv/${", &vars), "/srv/${");
        assert_eq!(substitute("/srv/$", &vars), "/srv/$");
        assert_eq!(substitute("${MAGE_ROOT}é${", &vars), "/var/www/mé${");
        assert_eq!(substitute("$é$MAGE_ROOT", &vars), "$é/var/www/m");
    }

    #[test]
    fn nesting_is_capped_before_parsing() {
        let deep = format!(
            "server {{\n{}{}}}\n",
            "location / {\n".repeat(5000),
            "}\n".repeat(5000)
        );
        let e = parse_str(&deep, Path::new("t")).unwrap_err();
        assert_eq!(e.0, MAX_NESTING as u32 + 1);
        // Braces inside quotes, `${…}`, comments, words (`a#{`) and escapes (`\{`) open no
        // block, as for nginx; 70,000 levels are refused at the cap, without recursion.
        let ok = parse_str("a { b \"{{{\" ${x}; # {{{\n c { } }", Path::new("t")).unwrap();
        assert_eq!(ok[0].children().len(), 2);
        let words = format!("server{{root /x;}}\na# {}", "{a#".repeat(70_000));
        assert!(parse_str(&words, Path::new("t")).is_err());
        let escaped = format!("a \\{}", "{\\".repeat(70_000));
        assert!(parse_str(&escaped, Path::new("t")).is_err());
        let braces = format!("a {}", "{".repeat(70_000));
        let e = parse_str(&braces, Path::new("t")).unwrap_err();
        assert_eq!(e.0, 1);
    }

    #[test]
    fn location_selection_as_nginx_does() {
        let s = server_of(
            r#"server {
  location / { }
  location /rest { }
  location ^~ /static/ { location ~ \.php$ { } }
  location = /rest/V1/exact { }
  location ~ ^/rest/V1/reg { }
  location ~* \.PHP$ { }
  location /media/ { location ~ \.xml$ { } }
}"#,
        );
        assert_eq!(landed(&s, "/rest/default/V1/products"), "/rest");
        assert_eq!(landed(&s, "/rest/V1/exact"), "= /rest/V1/exact");
        assert_eq!(landed(&s, "/rest/V1/regx"), "~ ^/rest/V1/reg");
        assert_eq!(landed(&s, "/index.php"), "~* \\.PHP$");
        assert_eq!(landed(&s, "/static/a.php"), "^~ /static/ > ~ \\.php$");
        assert_eq!(landed(&s, "/media/a.xml"), "/media/ > ~ \\.xml$");
        assert_eq!(landed(&s, "/other"), "/");
    }

    #[test]
    fn inheritance() {
        let nodes = parse_str(
            "http { auth_basic \"x\"; server { deny all; location / { allow 10.0.0.1; } location /a { } } }",
            Path::new("t"),
        )
        .unwrap();
        let http = &nodes[0];
        let s = &http.children()[1];
        let srv = server(s, Some(http));
        let chain = find_location(s, "/x");
        let lv = levels(&srv, &chain);
        assert_eq!(effective(&lv, "auth_basic").unwrap().args, vec!["x"]);
        let list = effective_list(&lv, &["allow", "deny"]);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "allow");
        let chain = find_location(s, "/a");
        let lv = levels(&srv, &chain);
        assert_eq!(effective_list(&lv, &["allow", "deny"])[0].name, "deny");
    }
}
