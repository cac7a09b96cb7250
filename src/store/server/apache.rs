//! Apache httpd configuration: a hand-written line scanner, and what a request meets in it.
//!
//! Hand-written because no maintained crate reads Apache's configuration (the one candidate,
//! `misc-conf`, is a barely documented nom grammar), and m2auth needs little of it: directives
//! with their file and line, section nesting, `\` continuations, comments, and
//! `Include`/`IncludeOptional` (globs, directories, paths relative to `ServerRoot`), with an
//! include-cycle check and caps on file size, file count and include depth.
//!
//! The second half answers the questions the checks ask, the way Apache merges sections for a
//! request: which `<VirtualHost>` serves the store ([`store_vhosts`]), and which directives are
//! in effect for a file path and URL path ([`scope`]): the server's, the vhost's, then
//! `<Directory>` sections shortest path first, `<DirectoryMatch>`, `<Files>`/`<FilesMatch>`, and
//! `<Location>`/`<LocationMatch>` in the order they appear. `<IfModule>` is evaluated against the
//! `LoadModule` lines when there are any (else taken as true); `<IfVersion>` and `<IfDefine>`
//! are taken as true, `<If>` as false (its expression is not evaluated).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{
    Budget, Config, Kind, MAX_NESTING, Node, expand_include, over_file_count, over_include_depth,
    parsed_or_skipped, read_text,
};

/// Sections whose contents apply conditionally to the whole enclosing context.
const CONDITIONALS: &[&str] = &["ifmodule", "ifversion", "ifdefine", "ifdirective", "iffile"];
/// Sections that stay in force for every method (their contents are taken as applying).
const TRANSPARENT: &[&str] = &["limit", "limitexcept"];

struct Reader {
    /// `Define NAME value` seen so far: `${NAME}` in later arguments is replaced.
    defines: std::collections::HashMap<String, String>,
    server_root: PathBuf,
    files: Vec<PathBuf>,
    problems: Vec<String>,
    stack: Vec<PathBuf>,
    budget: Budget,
    /// Sections open in the including files (nesting counts across includes).
    outer_depth: usize,
}

/// Read an Apache main configuration file and everything it includes.
pub fn read(main: &Path) -> Config {
    read_with(main, &mut Budget::default())
}

/// [`read`], counting the bytes read into `budget`. Relative paths resolve against the
/// ServerRoot ([`super::include_base`]) until the file sets its own `ServerRoot`.
pub(crate) fn read_with(main: &Path, budget: &mut Budget) -> Config {
    let mut r = Reader {
        defines: Default::default(),
        server_root: super::include_base(main, Kind::Apache),
        files: Vec::new(),
        problems: Vec::new(),
        stack: Vec::new(),
        budget: std::mem::take(budget),
        outer_depth: 0,
    };
    let nodes = r.file(main, true).unwrap_or_default();
    *budget = r.budget;
    Config {
        kind: Kind::Apache,
        main: main.to_path_buf(),
        given: false,
        nodes,
        files: r.files,
        problems: r.problems,
        server_root: Some(r.server_root),
    }
}

/// Parse text as one file (no includes followed): the nodes, or `line: reason`.
pub fn parse_str(text: &str, file: &Path) -> Result<Vec<Node>, (u32, String)> {
    let mut r = Reader {
        defines: Default::default(),
        server_root: PathBuf::from("/"),
        files: Vec::new(),
        problems: Vec::new(),
        stack: Vec::new(),
        budget: Budget::default(),
        outer_depth: 0,
    };
    r.parse(text, file, false)
}

impl Reader {
    fn file(&mut self, path: &Path, required: bool) -> Option<Vec<Node>> {
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.stack.contains(&canon) {
            let from = self
                .stack
                .last()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            self.problems.push(format!(
                "{}: include cycle (included again from {from}): not followed",
                path.display()
            ));
            return None;
        }
        if over_include_depth(path, self.stack.len(), &mut self.problems)
            || over_file_count(path, self.files.len(), &mut self.problems)
        {
            return None;
        }
        let text = match read_text(path, &mut self.budget) {
            Ok(t) => t,
            Err(why) => {
                if required {
                    self.problems.push(format!("{}: {why}", path.display()));
                }
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
        // (section node, its children so far)
        let mut stack: Vec<(Node, Vec<Node>)> = Vec::new();
        let mut top: Vec<Node> = Vec::new();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line_no = i as u32 + 1;
            let mut logical = lines[i].trim_end_matches('\r').to_string();
            while logical.ends_with('\\') && i + 1 < lines.len() {
                logical.pop();
                i += 1;
                logical.push_str(lines[i].trim_end_matches('\r'));
            }
            i += 1;
            let l = logical.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if let Some(name) = l.strip_prefix("</") {
                let name = name.trim_end_matches('>').trim();
                let Some((mut node, children)) = stack.pop() else {
                    return Err((line_no, format!("</{name}> without <{name}>")));
                };
                if !node.name.eq_ignore_ascii_case(name) {
                    return Err((
                        line_no,
                        format!("</{name}> closes <{}> (line {})", node.name, node.line),
                    ));
                }
                node.block = Some(children);
                match stack.last_mut() {
                    Some((_, c)) => c.push(node),
                    None => top.push(node),
                }
                continue;
            }
            // A section's words are inside `<…>` and its source is the line as written; a
            // directive's source has its white space folded.
            let (words, is_section) = if let Some(open) = l.strip_prefix('<') {
                let Some(inner) = open.trim_end().strip_suffix('>') else {
                    return Err((line_no, format!("section `{l}` has no closing `>`")));
                };
                (split_words(inner), true)
            } else {
                (split_words(l), false)
            };
            let Some((name, args)) = words.split_first() else {
                if is_section {
                    return Err((line_no, "empty section tag `<>`".into()));
                }
                continue;
            };
            if !self.budget.count_node() {
                return Err((line_no, super::too_many_nodes()));
            }
            let mut node = Node {
                name: name.clone(),
                args: args.to_vec(),
                file: file.to_path_buf(),
                line: line_no,
                block: None,
                source: if is_section {
                    l.to_string()
                } else {
                    l.split_whitespace().collect::<Vec<_>>().join(" ")
                },
            };
            if !self.defines.is_empty() {
                for a in &mut node.args {
                    *a = self.expand(a).map_err(|why| (line_no, why))?;
                }
            }
            if is_section {
                if self.outer_depth + stack.len() >= MAX_NESTING {
                    return Err((
                        line_no,
                        format!("sections nested deeper than {MAX_NESTING}"),
                    ));
                }
                stack.push((node, Vec::new()));
                continue;
            }
            if node.is("Define")
                && let Some(name) = node.arg(0)
            {
                self.defines
                    .insert(name.to_string(), node.arg(1).unwrap_or("").to_string());
            }
            if node.is("ServerRoot")
                && let Some(dir) = node.arg(0)
            {
                self.server_root = PathBuf::from(dir);
            }
            let include = node.is("Include") || node.is("IncludeOptional");
            let target = match stack.last_mut() {
                Some((_, c)) => c,
                None => &mut top,
            };
            if include && follow {
                let optional = node.is("IncludeOptional");
                let pattern = node.arg(0).unwrap_or("");
                let place = node.place();
                target.push(node.clone());
                let path = if Path::new(pattern).is_absolute() {
                    PathBuf::from(pattern)
                } else {
                    self.server_root.join(pattern)
                };
                let found = if path.is_dir() {
                    let mut v: Vec<PathBuf> = std::fs::read_dir(&path)
                        .map(|rd| {
                            rd.filter_map(|e| e.ok().map(|e| e.path()))
                                .filter(|p| p.is_file())
                                .collect()
                        })
                        .unwrap_or_default();
                    v.sort();
                    Ok(v)
                } else {
                    expand_include(&path)
                };
                match found {
                    Err(why) => self.problems.push(format!("{place}: {why}")),
                    Ok(files) => {
                        if files.is_empty() && !optional && !pattern.contains(['*', '?', '[']) {
                            self.problems
                                .push(format!("{place}: Include {}: no such file", path.display()));
                        }
                        for f in files {
                            self.outer_depth += stack.len();
                            let read = self.file(&f, !optional);
                            self.outer_depth -= stack.len();
                            if let Some(nodes) = read {
                                let target = match stack.last_mut() {
                                    Some((_, c)) => c,
                                    None => &mut top,
                                };
                                target.extend(nodes);
                            }
                        }
                    }
                }
                continue;
            }
            target.push(node);
        }
        if let Some((node, _)) = stack.pop() {
            return Err((node.line, format!("<{}> is never closed", node.name)));
        }
        Ok(top)
    }
}

impl Reader {
    /// `${NAME}` replaced by its `Define` value (unknown names, e.g. Debian's envvars
    /// `${APACHE_LOG_DIR}`, are left as written).
    /// Capped: past [`super::MAX_EXPANDED_BYTES`] produced in the load (`Define A ${A}${A}`
    /// doubles on every line), an error, and the file is skipped.
    fn expand(&mut self, text: &str) -> Result<String, String> {
        if !text.contains("${") {
            return Ok(text.to_string());
        }
        let room = super::MAX_EXPANDED_BYTES.saturating_sub(self.budget.expanded);
        match self.expand_within(text, room) {
            Some(out) => {
                self.budget.expanded += out.len();
                Ok(out)
            }
            None => Err(format!(
                "Define expansion (${{NAME}}) produces more than {} KiB: not expanded (expansion cap)",
                super::MAX_EXPANDED_BYTES / 1024
            )),
        }
    }

    /// One pass of `${NAME}` replacement, or `None` as soon as the output passes `limit` bytes.
    fn expand_within(&self, text: &str, limit: usize) -> Option<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            match after.find('}') {
                Some(end) => {
                    match self.defines.get(&after[..end]) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&rest[i..i + 3 + end]),
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
            if out.len() > limit {
                return None;
            }
        }
        out.push_str(rest);
        (out.len() <= limit).then_some(out)
    }
}

/// Split a directive line into words as Apache does: whitespace-separated, `"…"` and `'…'`
/// quoted (quotes removed, `\"` kept as `"`).
pub fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut w = String::new();
        if c == '"' || c == '\'' {
            chars.next();
            while let Some(ch) = chars.next() {
                if ch == '\\' && chars.peek() == Some(&c) {
                    w.push(c);
                    chars.next();
                } else if ch == c {
                    break;
                } else {
                    w.push(ch);
                }
            }
        } else {
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                w.push(ch);
                chars.next();
            }
        }
        out.push(w);
    }
    out
}

/// The modules a configuration loads, for `<IfModule>`.
#[derive(Debug, Clone, Default)]
pub struct Modules {
    /// No `LoadModule` at all (a vhost file alone): every `<IfModule>` is taken as true.
    unknown: bool,
    names: HashSet<String>,
}

impl Modules {
    pub fn of(cfg: &Config) -> Modules {
        let mut names = HashSet::new();
        for n in super::walk(&cfg.nodes) {
            if n.is("LoadModule") {
                if let Some(id) = n.arg(0) {
                    // rewrite_module → mod_rewrite.c, rewrite_module
                    names.insert(id.to_ascii_lowercase());
                    if let Some(base) = id.strip_suffix("_module") {
                        names.insert(format!("mod_{base}.c").to_ascii_lowercase());
                    }
                }
                if let Some(file) = n.arg(1) {
                    let stem = Path::new(file)
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    names.insert(format!("{stem}.c"));
                    // libphp8.2.so → mod_php8.c, mod_php.c
                    if let Some(version) = stem.strip_prefix("libphp") {
                        let major: String = version.chars().take(1).collect();
                        names.insert(format!("mod_php{major}.c"));
                        names.insert("mod_php.c".into());
                    }
                }
            }
        }
        Modules {
            unknown: names.is_empty(),
            names,
        }
    }

    /// Whether `<IfModule arg>` holds (`!` negates).
    pub fn test(&self, arg: &str) -> bool {
        let (neg, name) = match arg.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, arg),
        };
        if self.unknown {
            // A vhost file alone: every <IfModule> is taken as holding, negated ones too (the
            // Debian php-fpm conf wraps its SetHandler in <IfModule !mod_php8.c>).
            return true;
        }
        let n = name.to_ascii_lowercase();
        // Compiled in everywhere.
        let builtin = ["core.c", "mod_so.c", "http_core.c", "mod_unixd.c"].contains(&n.as_str());
        let loaded = builtin || self.names.contains(&n);
        loaded != neg
    }

    /// No `LoadModule` was seen: a partial configuration.
    pub fn is_unknown(&self) -> bool {
        self.unknown
    }

    pub fn loaded(&self, name: &str) -> bool {
        self.names.contains(&name.to_ascii_lowercase())
    }

    /// Whether PHP runs inside Apache (mod_php / libphp).
    pub fn mod_php(&self) -> Option<bool> {
        if self.unknown {
            return None;
        }
        Some(
            self.names
                .iter()
                .any(|n| n.starts_with("php") && n.ends_with("_module")),
        )
    }
}

/// The directives of a context in force, conditionals resolved: plain directives and the
/// sections other than conditionals (which the caller matches itself).
pub fn active<'a>(nodes: &'a [Node], m: &Modules) -> Vec<&'a Node> {
    let mut out = Vec::new();
    for n in nodes {
        let lower = n.name.to_ascii_lowercase();
        if n.block.is_some() && CONDITIONALS.contains(&lower.as_str()) {
            let holds = if lower == "ifmodule" {
                m.test(n.arg(0).unwrap_or(""))
            } else {
                true
            };
            if holds {
                out.extend(active(n.children(), m));
            }
        } else if n.block.is_some() && TRANSPARENT.contains(&lower.as_str()) {
            out.extend(active(n.children(), m));
        } else if n.block.is_some() && lower == "if" {
            continue;
        } else {
            out.push(n);
        }
    }
    out
}

/// A virtual host (or the main server, `node: None`) and its document root.
#[derive(Debug, Clone)]
pub struct Vhost<'a> {
    /// The `<VirtualHost>` section; `None` for the main server.
    pub node: Option<&'a Node>,
    /// Where `DocumentRoot` is set.
    pub document_root_node: &'a Node,
    pub document_root: PathBuf,
    pub names: Vec<String>,
    pub ports: Vec<u16>,
    /// `SSLEngine on` in the vhost.
    pub tls: bool,
}

impl Vhost<'_> {
    /// `file:line` of the vhost (or of the main server's DocumentRoot).
    pub fn place(&self) -> String {
        self.node.unwrap_or(self.document_root_node).place()
    }
}

/// Every vhost with a DocumentRoot, and the main server when it has one.
pub fn vhosts<'a>(cfg: &'a Config, m: &Modules) -> Vec<Vhost<'a>> {
    let mut out = Vec::new();
    let top = active(&cfg.nodes, m);
    let docroot = |nodes: &[&'a Node]| -> Option<&'a Node> {
        nodes
            .iter()
            .rev()
            .find(|n| n.is("DocumentRoot") && n.block.is_none())
            .copied()
    };
    for v in top.iter().filter(|n| n.is("VirtualHost")) {
        let inner = active(v.children(), m);
        let Some(d) = docroot(&inner).or_else(|| docroot(&top)) else {
            continue;
        };
        let mut names = Vec::new();
        for n in &inner {
            if n.is("ServerName") || n.is("ServerAlias") {
                names.extend(
                    n.args
                        .iter()
                        .map(|a| a.split(':').next().unwrap_or("").to_ascii_lowercase()),
                );
            }
        }
        let ports = v
            .args
            .iter()
            .filter_map(|a| a.rsplit_once(':').and_then(|(_, p)| p.parse().ok()))
            .collect();
        let tls = inner
            .iter()
            .any(|n| n.is("SSLEngine") && n.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("on")));
        out.push(Vhost {
            node: Some(v),
            document_root_node: d,
            document_root: PathBuf::from(d.arg(0).unwrap_or("")),
            names,
            ports,
            tls,
        });
    }
    if let Some(d) = docroot(&top) {
        out.push(Vhost {
            node: None,
            document_root_node: d,
            document_root: PathBuf::from(d.arg(0).unwrap_or("")),
            names: top
                .iter()
                .filter(|n| n.is("ServerName"))
                .flat_map(|n| n.args.iter().map(|a| a.to_ascii_lowercase()))
                .collect(),
            ports: Vec::new(),
            tls: false,
        });
    }
    out
}

/// The vhosts serving the store: DocumentRoot is the Magento root or its `pub/` (compared after
/// resolving symlinks). With a request host (and port), the ones whose ServerName/ServerAlias
/// (and port) match come first; the others follow.
pub fn store_vhosts<'a>(
    cfg: &'a Config,
    m: &Modules,
    magento_root: &Path,
    host: Option<&str>,
    port: Option<u16>,
) -> Vec<Vhost<'a>> {
    let mut found: Vec<Vhost<'a>> = vhosts(cfg, m)
        .into_iter()
        .filter(|v| {
            super::same_dir(&v.document_root, magento_root)
                || super::same_dir(&v.document_root, &magento_root.join("pub"))
        })
        .collect();
    // Best first: ServerName/ServerAlias matching the request's host, then its port; without a
    // request, a TLS vhost (REST clients use https; the :80 one often only redirects). Ties keep
    // the configuration's order.
    let h = host.map(str::to_ascii_lowercase);
    found.sort_by_key(|v| {
        let name = h
            .as_ref()
            .is_some_and(|h| v.names.iter().any(|n| n == h || wildcard(n, h)));
        let port_ok = match port {
            Some(p) => v.ports.is_empty() || v.ports.contains(&p),
            None => v.ports.contains(&443) || v.tls,
        };
        (!name, !port_ok)
    });
    found
}

fn wildcard(pattern: &str, text: &str) -> bool {
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches(text))
}

/// Where a directive in scope came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Server,
    Vhost,
    Directory,
    Files,
    Location,
}

/// A directive in force, with the section that brought it in (`None` at server/vhost level).
#[derive(Debug, Clone, Copy)]
pub struct Scoped<'a> {
    pub node: &'a Node,
    pub section: Option<&'a Node>,
    pub level: Level,
}

/// The directives in force for a request that Apache maps to `file` (a path under the
/// document root) with URL path `url`, in merge order: later ones override earlier ones.
/// `proxied`: the request is handed to a proxy (ProxyPassMatch) at URL translation, so no
/// `<Directory>` or `<Files>` section applies.
pub fn scope<'a>(
    cfg: &'a Config,
    m: &Modules,
    vhost: &Vhost<'a>,
    file: &Path,
    url: &str,
    proxied: bool,
) -> Vec<Scoped<'a>> {
    let top = active(&cfg.nodes, m);
    let inner: Vec<&Node> = vhost
        .node
        .map(|v| active(v.children(), m))
        .unwrap_or_default();
    let mut out = Vec::new();
    let plain = |nodes: &[&'a Node], level: Level, out: &mut Vec<Scoped<'a>>| {
        for n in nodes {
            // Access rules are not allowed at server or vhost level (Apache refuses to start
            // with them there): not counted.
            if n.is("Require") || is_require_block(n) {
                continue;
            }
            if n.block.is_none() {
                out.push(Scoped {
                    node: n,
                    section: None,
                    level,
                });
            }
        }
    };
    plain(&top, Level::Server, &mut out);
    plain(&inner, Level::Vhost, &mut out);
    let sections: Vec<&'a Node> = top
        .iter()
        .filter(|n| !n.is("VirtualHost"))
        .chain(inner.iter())
        .copied()
        .filter(|n| n.block.is_some())
        .collect();
    let dir = file.parent().unwrap_or(file);
    let base = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let push_section = |s: &'a Node, level: Level, out: &mut Vec<Scoped<'a>>| {
        for n in active(s.children(), m) {
            if n.block.is_none() || is_require_block(n) {
                out.push(Scoped {
                    node: n,
                    section: Some(s),
                    level,
                });
            }
        }
    };
    let mut files_sections: Vec<&'a Node> =
        sections.iter().copied().filter(|s| is_files(s)).collect();
    if !proxied {
        // <Directory> (not regex), shortest path first; then regex ones in order.
        let mut dirs: Vec<(usize, usize, &'a Node)> = sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is("Directory") && !is_regex_section(s))
            .filter(|(_, s)| directory_applies(s.arg(0).unwrap_or(""), dir))
            .map(|(i, s)| (components(s.arg(0).unwrap_or("")), i, *s))
            .collect();
        dirs.sort_by_key(|(len, i, _)| (*len, *i));
        for (_, _, s) in dirs {
            push_section(s, Level::Directory, &mut out);
            files_sections.extend(active(s.children(), m).into_iter().filter(|n| is_files(n)));
        }
        for s in sections.iter().filter(|s| {
            (s.is("DirectoryMatch") || (s.is("Directory") && is_regex_section(s)))
                && regex_arg(s).is_some_and(|r| regex_matches(&r, &dir.to_string_lossy()))
        }) {
            push_section(s, Level::Directory, &mut out);
        }
        for s in files_sections {
            let applies = if s.is("FilesMatch") || is_regex_section(s) {
                regex_arg(s).is_some_and(|r| regex_matches(&r, &base))
            } else {
                wildcard(s.arg(0).unwrap_or(""), &base)
            };
            if applies {
                push_section(s, Level::Files, &mut out);
            }
        }
    }
    for s in sections
        .iter()
        .filter(|s| s.is("Location") || s.is("LocationMatch"))
    {
        let applies = if s.is("LocationMatch") || is_regex_section(s) {
            regex_arg(s).is_some_and(|r| regex_matches(&r, url))
        } else {
            location_applies(s.arg(0).unwrap_or(""), url)
        };
        if applies {
            push_section(s, Level::Location, &mut out);
        }
    }
    out
}

fn is_files(s: &Node) -> bool {
    s.block.is_some() && (s.is("Files") || s.is("FilesMatch"))
}

/// `<RequireAll>`, `<RequireAny>`, `<RequireNone>`: kept whole for access evaluation.
pub fn is_require_block(n: &Node) -> bool {
    n.block.is_some() && (n.is("RequireAll") || n.is("RequireAny") || n.is("RequireNone"))
}

fn is_regex_section(s: &Node) -> bool {
    s.arg(0) == Some("~")
}

fn regex_arg(s: &Node) -> Option<String> {
    if is_regex_section(s) {
        s.arg(1).map(str::to_string)
    } else {
        s.arg(0).map(str::to_string)
    }
}

/// PCRE-ish match (lookarounds supported); a pattern that does not compile matches nothing.
pub fn regex_matches(pattern: &str, text: &str) -> bool {
    fancy_regex::Regex::new(pattern)
        .ok()
        .and_then(|r| r.is_match(text).ok())
        .unwrap_or(false)
}

fn components(p: &str) -> usize {
    p.split('/').filter(|c| !c.is_empty()).count()
}

/// Whether `<Directory pattern>` applies to `dir`: the pattern (wildcards allowed) names `dir`
/// or one of its parents. As Apache does, on the path as mapped from DocumentRoot and the URL,
/// not with symlinks resolved: `<Directory /srv/real>` does not apply to a DocumentRoot
/// `/srv/link` pointing there.
fn directory_applies(pattern: &str, dir: &Path) -> bool {
    let pat = pattern.trim_end_matches('/');
    if pat.is_empty() {
        return true; // <Directory />
    }
    let wild = pat.contains(['*', '?', '[']);
    let dir = normalize(dir);
    let pat_path = normalize(Path::new(pat));
    for anc in dir.ancestors() {
        if anc == pat_path {
            return true;
        }
        if wild && wildcard(pat, &anc.to_string_lossy()) {
            return true;
        }
    }
    false
}

/// A path with `.` and `..` components and repeated or trailing `/` removed, lexically (no
/// symlink is followed), as Apache compares section paths.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// `<Location /rest>` applies to `/rest` and `/rest/…`, not to `/restx` (Apache matches whole
/// path segments unless the path ends with `/`).
fn location_applies(prefix: &str, url: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    match url.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// The last directive named `name` in scope.
pub fn last<'a, 'b>(scope: &'b [Scoped<'a>], name: &str) -> Option<&'b Scoped<'a>> {
    scope.iter().rev().find(|s| s.node.is(name))
}

/// The Require directives in force: those of the last context that has any (sections replace
/// the access rules of earlier ones, Apache's default `AuthMerging Off`).
pub fn requires<'a>(scope: &[Scoped<'a>]) -> Vec<Scoped<'a>> {
    let is_req = |s: &Scoped<'_>| s.node.is("Require") || is_require_block(s.node);
    let Some(last) = scope.iter().rev().find(|s| is_req(s)) else {
        return Vec::new();
    };
    let key = (last.section.map(|s| s as *const Node), last.level);
    scope
        .iter()
        .filter(|s| is_req(s) && (s.section.map(|s| s as *const Node), s.level) == key)
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Node> {
        parse_str(text, Path::new("t.conf")).unwrap()
    }

    #[test]
    fn sections_lines_continuations() {
        let nodes = parse(
            "# comment\nServerRoot \"/etc/apache2\"\n<VirtualHost *:80>\n  DocumentRoot /var/www/m\n  SetEnvIf Authorization \\\n    \"(.*)\" HTTP_AUTHORIZATION=$1\n  <Directory \"/var/www/m\">\n    AllowOverride All\n  </Directory>\n</VirtualHost>\n",
        );
        assert_eq!(nodes.len(), 2);
        let v = &nodes[1];
        assert!(v.is("virtualhost"));
        assert_eq!(v.line, 3);
        assert_eq!(v.args, vec!["*:80"]);
        let c = v.children();
        assert_eq!(c[1].name, "SetEnvIf");
        assert_eq!(c[1].line, 5);
        assert_eq!(
            c[1].args,
            vec!["Authorization", "(.*)", "HTTP_AUTHORIZATION=$1"]
        );
        assert_eq!(c[2].children()[0].line, 8);
        let nodes = parse(
            "Define DOCROOT /var/www/m/pub\nDocumentRoot ${DOCROOT}\nErrorLog ${APACHE_LOG_DIR}/e.log\n",
        );
        assert_eq!(nodes[1].args, vec!["/var/www/m/pub"]);
        assert_eq!(nodes[2].args, vec!["${APACHE_LOG_DIR}/e.log"]);
    }

    #[test]
    fn nesting_is_capped() {
        let n = 150_000;
        let deep = format!(
            "{}{}",
            "<IfModule x>\n".repeat(n),
            "</IfModule>\n".repeat(n)
        );
        let e = parse_str(&deep, Path::new("x")).unwrap_err();
        assert_eq!(e.0, MAX_NESTING as u32 + 1);
        assert!(e.1.contains("nested deeper"), "{}", e.1);
    }

    #[test]
    fn unbalanced_is_an_error_with_the_line() {
        let e = parse_str("<Directory />\nAllowOverride None\n", Path::new("x")).unwrap_err();
        assert_eq!(e.0, 1);
        let e = parse_str("</Directory>\n", Path::new("x")).unwrap_err();
        assert_eq!(e.0, 1);
        let e = parse_str("<Directory />\n</Location>\n", Path::new("x")).unwrap_err();
        assert_eq!(e.0, 2);
    }

    #[test]
    fn words() {
        assert_eq!(
            split_words(r#"SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost""#),
            vec![
                "SetHandler",
                "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
            ]
        );
        assert_eq!(
            split_words(r#"a 'b c' "d \" e""#),
            vec!["a", "b c", "d \" e"]
        );
    }

    #[test]
    fn ifmodule() {
        let cfg_text = "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\nLoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so\n";
        let cfg = Config {
            kind: Kind::Apache,
            main: "x".into(),
            given: false,
            nodes: parse(cfg_text),
            files: vec![],
            problems: vec![],
            server_root: None,
        };
        let m = Modules::of(&cfg);
        assert!(m.test("mod_rewrite.c"));
        assert!(m.test("proxy_fcgi_module"));
        assert!(!m.test("mod_php8.c"));
        assert!(m.test("!mod_php8.c"));
        assert!(!m.test("!mod_rewrite.c"));
        assert_eq!(m.mod_php(), Some(false));
    }

    #[test]
    fn location_matching() {
        assert!(location_applies("/rest", "/rest"));
        assert!(location_applies("/rest", "/rest/V1/products"));
        assert!(!location_applies("/rest", "/restx"));
        assert!(location_applies("/re/", "/re/x"));
        assert!(location_applies("/", "/anything"));
    }

    #[test]
    fn directory_matching() {
        assert!(directory_applies("/", Path::new("/var/www/m/pub")));
        assert!(directory_applies("/var/www/", Path::new("/var/www/m/pub")));
        assert!(directory_applies(
            "/var/www/*/pub",
            Path::new("/var/www/m/pub")
        ));
        assert!(!directory_applies("/srv", Path::new("/var/www/m/pub")));
        assert!(!directory_applies(
            "/var/www/m/pub/static",
            Path::new("/var/www/m/pub")
        ));
    }
}
