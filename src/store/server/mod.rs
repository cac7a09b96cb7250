//! Web-server configuration: the `.htaccess` files the store carries itself (this file), and the
//! server's own configuration, Apache ([`apache`]) and nginx ([`nginx`]), read into one shape:
//! a tree of [`Node`]s (directive or section, its arguments, the file and 1-based line it was
//! read from), with includes already inlined.
//!
//! Where the configuration comes from ([`Sources`]): the `--server-config` paths, else the usual
//! places (`/etc/apache2/apache2.conf`, `/etc/httpd/conf/httpd.conf`, `/etc/nginx/nginx.conf`),
//! whichever exist. Decisions (see [`load`]):
//! * a path given with `--server-config` that does not exist or cannot be read is the user's
//!   input: an error (exit 2);
//! * a file that cannot be parsed (ours or an included one), an unreadable included file, an
//!   include cycle or a too large file is *not* an error: the file is skipped with `file:line`
//!   and the reason (a `skipped` entry of the diagnosis), and the rest is still analysed: a
//!   parser gap of m2auth must not hide what the other checks find.

pub mod apache;
pub mod nginx;

use std::path::{Path, PathBuf};

/// The biggest configuration file read (larger ones are skipped): real ones are kilobytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// The most bytes one load reads over all its files (a file that would pass it is skipped):
/// a whole Debian /etc/apache2 is about 100 KiB.
pub const MAX_TOTAL_BYTES: u64 = 16 * 1024 * 1024;
/// The most files one configuration may pull in through includes.
pub const MAX_FILES: usize = 2000;
/// The most directories of an include pattern that may hold wildcards (`a/*/b/*/*.conf`: 2).
pub const MAX_WILDCARD_DIRS: usize = 3;
/// The deepest include nesting followed.
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// The deepest section/block nesting read, across includes (real configurations nest a few
/// levels; a file nesting deeper is skipped with `file:line` before anything recurses into it,
/// so a hostile or broken file cannot overflow the stack).
pub const MAX_NESTING: usize = 64;

/// One directive (`name args…;` / `Name args…`) or section (`<Name args>…</Name>`,
/// `name args { … }`), where it was read, and for a section its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// As written (Apache names are case-insensitive: compare with [`Node::is`]).
    pub name: String,
    /// Arguments with quotes removed.
    pub args: Vec<String>,
    pub file: PathBuf,
    /// 1-based.
    pub line: u32,
    /// `Some` for a section or block, with its contents.
    pub block: Option<Vec<Node>>,
    /// The directive as written (quotes kept, whitespace collapsed; a block's opening line).
    pub source: String,
}

impl Node {
    /// Whether the name is `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    pub fn children(&self) -> &[Node] {
        self.block.as_deref().unwrap_or(&[])
    }

    /// `file:line`, as evidence and messages print it.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }

    /// The directive as written on one line (`SetHandler "proxy:fcgi://127.0.0.1:9000"`), for
    /// evidence. Sections print their opening tag.
    pub fn text(&self, apache: bool) -> String {
        if !self.source.is_empty() {
            return self.source.clone();
        }
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| {
                if a.is_empty() || a.contains(char::is_whitespace) {
                    format!("\"{a}\"")
                } else {
                    a.clone()
                }
            })
            .collect();
        let joined = if args.is_empty() {
            self.name.clone()
        } else {
            format!("{} {}", self.name, args.join(" "))
        };
        match (&self.block, apache) {
            (Some(_), true) => format!("<{joined}>"),
            (Some(_), false) => format!("{joined} {{ … }}"),
            (None, true) => joined,
            (None, false) => format!("{joined};"),
        }
    }
}

/// Every node of a tree, depth first, sections before their contents.
pub fn walk(nodes: &[Node]) -> Vec<&Node> {
    let mut out = Vec::new();
    fn go<'a>(nodes: &'a [Node], out: &mut Vec<&'a Node>) {
        for n in nodes {
            out.push(n);
            go(n.children(), out);
        }
    }
    go(nodes, &mut out);
    out
}

/// Which web server a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Apache,
    Nginx,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Apache => "apache",
            Kind::Nginx => "nginx",
        })
    }
}

/// Where to read the server configuration from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sources {
    /// The usual places, whichever exist.
    #[default]
    Default,
    /// `--server-config` paths: files or directories.
    Given(Vec<PathBuf>),
    /// Read none (library users, tests).
    Nothing,
}

/// The usual main configuration files.
pub const DEFAULT_PLACES: &[(&str, Kind)] = &[
    ("/etc/apache2/apache2.conf", Kind::Apache),
    ("/etc/httpd/conf/httpd.conf", Kind::Apache),
    ("/etc/nginx/nginx.conf", Kind::Nginx),
];

/// A configuration read from one main file (or one directory of loose files).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub kind: Kind,
    /// The main file, or the directory whose files were read.
    pub main: PathBuf,
    /// Whether it came from `--server-config` (only then may `fix --apply` edit it).
    pub given: bool,
    /// The tree, includes inlined.
    pub nodes: Vec<Node>,
    /// Every file read.
    pub files: Vec<PathBuf>,
    /// Files or lines that could not be read or parsed: `file:line: reason`.
    pub problems: Vec<String>,
    /// Apache: the `ServerRoot` relative paths were resolved against.
    pub server_root: Option<PathBuf>,
}

/// What [`load`] found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    pub configs: Vec<Config>,
    /// Why a place was not read (`/etc/nginx/nginx.conf: no such file`), or what went wrong.
    pub skipped: Vec<String>,
}

/// A `--server-config` path that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ServerConfigError {
    #[error("--server-config {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "--server-config {}: neither an Apache nor an nginx configuration (no `<VirtualHost>`, `<Directory>`, `server {{` …)",
        .0.display()
    )]
    UnknownKind(PathBuf),
}

/// Read the web-server configuration. Errors only for a `--server-config` path that does not
/// exist or cannot be read (see the module documentation); everything else is a skip.
pub fn load(sources: &Sources) -> Result<Loaded, ServerConfigError> {
    let mut loaded = Loaded::default();
    let mut budget = Budget::default();
    match sources {
        Sources::Nothing => {}
        Sources::Default => {
            for (place, kind) in DEFAULT_PLACES {
                let path = Path::new(place);
                match std::fs::metadata(path) {
                    Ok(m) if m.is_file() => {
                        loaded
                            .configs
                            .push(read_main(path, *kind, false, &mut budget))
                    }
                    Ok(_) => loaded.skipped.push(format!("{place}: not a file")),
                    Err(e) => loaded.skipped.push(format!("{place}: {}", io_reason(&e))),
                }
            }
        }
        Sources::Given(paths) => {
            for path in paths {
                // Absolute from here on: every file, evidence and journal path derived from it
                // then names the file whatever the directory of a later run.
                let path = &absolute(path);
                let meta =
                    std::fs::metadata(path).map_err(|source| ServerConfigError::Unreadable {
                        path: path.clone(),
                        source,
                    })?;
                if meta.is_dir() {
                    loaded.configs.extend(read_dir(path, &mut budget)?);
                } else {
                    let text =
                        super::fsread::read_capped(path, MAX_FILE_BYTES).map_err(|source| {
                            ServerConfigError::Unreadable {
                                path: path.clone(),
                                source,
                            }
                        })?;
                    let kind = detect(path, &String::from_utf8_lossy(&text))
                        .ok_or_else(|| ServerConfigError::UnknownKind(path.clone()))?;
                    loaded
                        .configs
                        .push(read_main(path, kind, true, &mut budget));
                }
            }
        }
    }
    // The same file given twice (or a file and the directory holding it): read once.
    let mut seen: std::collections::HashSet<PathBuf> = Default::default();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut kept = Vec::new();
    for mut c in std::mem::take(&mut loaded.configs) {
        if !c.files.is_empty() && c.files.iter().all(|f| seen.contains(&canon(f))) {
            loaded.skipped.push(format!(
                "{}: already read through another --server-config path",
                c.main.display()
            ));
            continue;
        }
        seen.extend(c.files.iter().map(|f| canon(f)));
        collapse_caps(&mut c.problems);
        kept.push(c);
    }
    loaded.configs = kept;
    Ok(loaded)
}

/// How evidence names a file: relative to the Magento root when it is under it
/// (`pub/.htaccess`), else absolute (`/etc/apache2/sites-enabled/magento.conf`).
pub fn store_relative(path: &Path, magento_root: &Path) -> String {
    if let Ok(r) = path.strip_prefix(magento_root) {
        return r.display().to_string();
    }
    // The same place named through a symlink (a root given as a link, a linked docroot).
    let resolved = path.parent().and_then(|d| {
        Some((
            std::fs::canonicalize(d).ok()?.join(path.file_name()?),
            std::fs::canonicalize(magento_root).ok()?,
        ))
    });
    if let Some((p, r)) = resolved
        && let Ok(rel) = p.strip_prefix(&r)
    {
        return rel.display().to_string();
    }
    absolute(path).display().to_string()
}

/// A path made absolute against the current directory (not resolving symlinks: the path as
/// named is the one shown and edited).
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The checks [`load`] makes on `--server-config` paths (they exist and can be read; a file is
/// of a known kind), without reading the configuration: an error here is the user's (exit 2).
pub fn check_given(sources: &Sources) -> Result<(), ServerConfigError> {
    let Sources::Given(paths) = sources else {
        return Ok(());
    };
    for path in paths {
        let path = &absolute(path);
        let unreadable = |source| ServerConfigError::Unreadable {
            path: path.clone(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        if meta.is_dir() {
            std::fs::read_dir(path).map_err(unreadable)?;
        } else {
            let text = read_text(path, &mut Budget::default()).map_err(|why| {
                ServerConfigError::Unreadable {
                    path: path.clone(),
                    source: std::io::Error::other(why),
                }
            })?;
            detect(path, &text).ok_or_else(|| ServerConfigError::UnknownKind(path.clone()))?;
        }
    }
    Ok(())
}

fn read_main(path: &Path, kind: Kind, given: bool, budget: &mut Budget) -> Config {
    let mut c = match kind {
        Kind::Apache => apache::read_with(path, budget),
        Kind::Nginx => nginx::read_with(path, budget),
    };
    c.given = given;
    c
}

/// A directory given with `--server-config`: the main file when it holds one (`apache2.conf`,
/// `httpd.conf`, `conf/httpd.conf`, `nginx.conf`), else each file in it (sorted; hidden files
/// and backups skipped), each read as the kind its text shows.
fn read_dir(dir: &Path, budget: &mut Budget) -> Result<Vec<Config>, ServerConfigError> {
    for (rel, kind) in [
        ("apache2.conf", Kind::Apache),
        ("httpd.conf", Kind::Apache),
        ("conf/httpd.conf", Kind::Apache),
        ("nginx.conf", Kind::Nginx),
    ] {
        let p = dir.join(rel);
        if p.is_file() {
            return Ok(vec![read_main(&p, kind, true, budget)]);
        }
    }
    let unreadable = |source| ServerConfigError::Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            p.is_file() && !name.starts_with('.') && !name.ends_with('~')
        })
        .collect();
    files.sort();
    // Loose files of one kind are fragments of one server (sites-enabled/*, conf.d/*): merged
    // into one configuration per kind, in file-name order, as an `Include dir/*` would.
    let mut out: Vec<Config> = Vec::new();
    for f in files {
        let Ok(text) = read_text(&f, &mut Budget::default()) else {
            continue;
        };
        let Some(kind) = detect(&f, &text) else {
            continue;
        };
        let c = read_main(&f, kind, true, budget);
        match out.iter_mut().find(|o| o.kind == kind) {
            Some(o) => {
                o.nodes.extend(c.nodes);
                o.files.extend(c.files);
                o.problems.extend(c.problems);
            }
            None => out.push(Config {
                main: dir.to_path_buf(),
                ..c
            }),
        }
    }
    if out.is_empty() {
        return Err(ServerConfigError::UnknownKind(dir.to_path_buf()));
    }
    Ok(out)
}

/// Apache or nginx, from the file name and text: Apache sections are `<Name …>` lines; nginx
/// blocks end lines with `{`.
pub fn detect(path: &Path, text: &str) -> Option<Kind> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let mut apache = 0;
    let mut nginx = 0;
    for l in text.lines().map(str::trim) {
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        if l.starts_with('<') && l.ends_with('>') {
            apache += 1;
        }
        if l.ends_with('{') || l.ends_with(';') {
            nginx += 1;
        }
        let first = l.split_whitespace().next().unwrap_or("");
        if [
            "ServerRoot",
            "DocumentRoot",
            "LoadModule",
            "Listen",
            "ServerName",
            "Include",
            "IncludeOptional",
        ]
        .contains(&first)
            && !l.ends_with(';')
        {
            apache += 1;
        }
    }
    if apache == 0 && nginx == 0 {
        return if name.contains("nginx") {
            Some(Kind::Nginx)
        } else if name.contains("apache") || name.contains("httpd") {
            Some(Kind::Apache)
        } else {
            None
        };
    }
    Some(if apache >= nginx {
        Kind::Apache
    } else {
        Kind::Nginx
    })
}

/// The directory relative includes of `main` resolve against, as the server would: Apache's
/// ServerRoot, nginx's prefix (the main nginx.conf's directory). For a file given alone (a vhost
/// file, `sites-enabled/magento.conf`): the server's usual root when the file is under it
/// (`/etc/apache2`, `/etc/httpd`, `/etc/nginx`), else the nearest directory above it that holds
/// the main file (`apache2.conf`, `httpd.conf`, `conf/httpd.conf`, `nginx.conf`: a copy of
/// /etc/apache2 elsewhere), else the file's own directory.
pub fn include_base(main: &Path, kind: Kind) -> PathBuf {
    let dir = main.parent().unwrap_or(Path::new("/"));
    let (usual, mains): (&[&str], &[&str]) = match kind {
        Kind::Apache => (
            &["/etc/apache2", "/etc/httpd"],
            &["apache2.conf", "httpd.conf"],
        ),
        Kind::Nginx => (&["/etc/nginx"], &["nginx.conf"]),
    };
    if let Some(u) = usual.iter().find(|u| main.starts_with(u)) {
        return PathBuf::from(u);
    }
    for anc in dir.ancestors() {
        if mains.iter().any(|m| anc.join(m).is_file()) {
            return anc.to_path_buf();
        }
        if kind == Kind::Apache && anc.join("conf/httpd.conf").is_file() {
            return anc.to_path_buf();
        }
    }
    dir.to_path_buf()
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Expand an include pattern (`sites-enabled/*.conf`, `/etc/nginx/conf.d/*.conf`): the
/// matching files sorted, or the path itself when it has no wildcard.
pub(crate) fn expand_include(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let text = pattern.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        return Ok(vec![pattern.to_path_buf()]);
    }
    // Apache (apr_fnmatch, one path component at a time) and nginx (glob(3)) have no recursive
    // `**`: it is `*`, matching within one directory. The glob crate would recurse (following
    // symlinks to `..` for ever); collapsing the stars keeps every match within one level.
    let mut text = text.into_owned();
    while text.contains("**") {
        text = text.replace("**", "*");
    }
    // Each wildcard directory multiplies the walk by its entries: a few are plenty for real
    // configurations (`sites-enabled/*.conf`, `conf.d/*/*.conf`).
    let wild_dirs = text
        .split('/')
        .rev()
        .skip(1)
        .filter(|c| c.contains(['*', '?', '[']))
        .count();
    if wild_dirs > MAX_WILDCARD_DIRS {
        return Err(format!(
            "pattern {text} has wildcards in {wild_dirs} directories (more than {MAX_WILDCARD_DIRS}): not followed"
        ));
    }
    let mut out: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| format!("bad pattern {text}: {e}"))?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        // Past this many matches the file-count cap has long been passed: stop walking.
        .take(50 * MAX_FILES)
        .collect();
    out.sort();
    Ok(out)
}

/// An include `stack_len` deep would go past [`MAX_INCLUDE_DEPTH`]: says so in `problems`.
pub(crate) fn over_include_depth(
    path: &Path,
    stack_len: usize,
    problems: &mut Vec<String>,
) -> bool {
    let over = stack_len >= MAX_INCLUDE_DEPTH;
    if over {
        problems.push(format!(
            "{}: includes nested deeper than {MAX_INCLUDE_DEPTH}: not followed",
            path.display()
        ));
    }
    over
}

/// Reading another file after `files_read` would go past [`MAX_FILES`]: says so in `problems`.
pub(crate) fn over_file_count(path: &Path, files_read: usize, problems: &mut Vec<String>) -> bool {
    let over = files_read >= MAX_FILES;
    if over {
        problems.push(format!(
            "{}: more than {MAX_FILES} files included: {TOO_MANY}",
            path.display()
        ));
    }
    over
}

/// A parsed file's nodes, or `None` with `path:line: reason: the file was skipped` in `problems`.
pub(crate) fn parsed_or_skipped<T>(
    parsed: Result<T, (u32, String)>,
    path: &Path,
    problems: &mut Vec<String>,
) -> Option<T> {
    match parsed {
        Ok(nodes) => Some(nodes),
        Err((line, why)) => {
            problems.push(format!(
                "{}:{line}: {why}: the file was skipped",
                path.display()
            ));
            None
        }
    }
}

/// The most directives and sections one load keeps (over all files): real configurations hold
/// hundreds to a few thousand; the cap keeps memory proportional to what is kept (a 4 MiB file of
/// `a b;` would otherwise be a million nodes).
pub const MAX_NODES: usize = 100_000;
/// The most bytes Apache `Define` expansion (`${NAME}`) may produce in one load: `Define A
/// ${A}${A}` doubles on every line.
pub const MAX_EXPANDED_BYTES: usize = 1024 * 1024;

/// What one [`load`] has read so far, for [`MAX_TOTAL_BYTES`], [`MAX_NODES`] and
/// [`MAX_EXPANDED_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct Budget {
    pub(crate) read: u64,
    pub(crate) nodes: usize,
    pub(crate) expanded: usize,
}

impl Budget {
    /// One more node kept; false past [`MAX_NODES`].
    pub(crate) fn count_node(&mut self) -> bool {
        self.nodes += 1;
        self.nodes <= MAX_NODES
    }
}

/// The reason a file past the directive cap is skipped with.
pub(crate) fn too_many_nodes() -> String {
    format!("more than {MAX_NODES} directives in all: not read (directive cap)")
}

/// The reason a file over a cap is skipped with; [`collapse_caps`] counts them.
const TOO_BIG: &str = "not read (size cap)";

/// Read a configuration file's text, with the size caps (one file, and all files of a load).
pub(crate) fn read_text(path: &Path, budget: &mut Budget) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    // A FIFO, a device or a socket would block the open or never end: regular files only.
    if !meta.is_file() {
        return Err(if meta.is_dir() {
            "a directory, not a file".into()
        } else {
            "not a regular file (a FIFO, a device or a socket): not read".into()
        });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB: {TOO_BIG}",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    if budget.read + meta.len() > MAX_TOTAL_BYTES {
        return Err(format!(
            "the files read already hold {} KiB, this one would pass the {} MiB in all: {TOO_BIG}",
            budget.read / 1024,
            MAX_TOTAL_BYTES / 1024 / 1024
        ));
    }
    let mut bytes = Vec::new();
    {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        // Read no more than the budget even if the file grew since its metadata was read.
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .and_then(|f| {
                f.take(MAX_FILE_BYTES.min(MAX_TOTAL_BYTES - budget.read) + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(|e| io_reason(&e))?;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES.min(MAX_TOTAL_BYTES - budget.read) {
        return Err(format!("grew past the size cap while read: {TOO_BIG}"));
    }
    budget.read += bytes.len() as u64;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The reason a file past the file-count cap is skipped with.
pub(crate) const TOO_MANY: &str = "not read (file-count cap)";

/// Repeated cap skips (size, file count) collapsed into the first of each, with how many more
/// there were.
fn collapse_caps(problems: &mut Vec<String>) {
    for (marker, what) in [(TOO_BIG, "for size"), (TOO_MANY, "past the file count")] {
        let capped = problems.iter().filter(|p| p.ends_with(marker)).count();
        if capped < 2 {
            continue;
        }
        let mut first = true;
        problems.retain(|p| !p.ends_with(marker) || std::mem::replace(&mut first, false));
        if let Some(p) = problems.iter_mut().find(|p| p.ends_with(marker)) {
            p.push_str(&format!(
                " (and {} more file(s) skipped {what})",
                capped - 1
            ));
        }
    }
}

/// Whether two paths name the same directory (after resolving symlinks when both exist).
pub fn same_dir(a: &Path, b: &Path) -> bool {
    let norm = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            PathBuf::from(p.to_string_lossy().trim_end_matches('/').to_string())
        })
    };
    norm(a) == norm(b)
}

/// One `.htaccess` file, as numbered lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Htaccess {
    /// Relative to the Magento root: `pub/.htaccess` or `.htaccess`.
    pub path: String,
    pub lines: Vec<String>,
}

/// The `.htaccess` Apache reads for the store's entry point: `pub/.htaccess` when the document
/// root is `pub/` (env.php `directories/document_root_is_pub`, the 2.4 default setup), else the
/// root `.htaccess`. `None` when that file does not exist (nginx, or a vhost-only setup).
pub fn docroot_htaccess(root: &Path, docroot_is_pub: bool) -> Option<Htaccess> {
    let rel = if docroot_is_pub {
        "pub/.htaccess"
    } else {
        ".htaccess"
    };
    let bytes = std::fs::read(root.join(rel)).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(Htaccess {
        path: rel.to_string(),
        lines: text.lines().map(str::to_string).collect(),
    })
}

/// The `.htaccess` in a vhost's document root (the Apache checks), named as every finding names
/// files: relative to the store root when it is under it (`pub/.htaccess`), else absolute. `None`
/// when it does not exist or is not readable as text.
pub fn vhost_htaccess(docroot: &Path, magento_root: &Path) -> Option<Htaccess> {
    let p = docroot.join(".htaccess");
    let text = std::fs::read_to_string(&p).ok()?;
    Some(Htaccess {
        path: store_relative(&p, magento_root),
        lines: text.lines().map(str::to_string).collect(),
    })
}

/// How an Apache config line passes the Authorization header on to PHP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passthrough {
    /// `RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]` (Magento's stock rule).
    RewriteEnv,
    /// `SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1`.
    SetEnvIf,
    /// `CGIPassAuth On` (Apache 2.4.13+).
    CgiPassAuth,
}

/// Whether a line (comments excluded) passes the header on.
pub fn passthrough(line: &str) -> Option<Passthrough> {
    let l = line.trim();
    if l.starts_with('#') {
        return None;
    }
    let lower = l.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.first().copied() {
        Some("rewriterule") if lower.contains("e=http_authorization:%{http:authorization}") => {
            Some(Passthrough::RewriteEnv)
        }
        Some("setenvif")
            if words.get(1) == Some(&"authorization")
                && lower.contains("http_authorization=$1") =>
        {
            Some(Passthrough::SetEnvIf)
        }
        Some("cgipassauth") if words.get(1) == Some(&"on") => Some(Passthrough::CgiPassAuth),
        _ => None,
    }
}

impl Htaccess {
    /// The 1-based line of the first active passthrough, if any.
    pub fn passthrough_line(&self) -> Option<(u32, Passthrough)> {
        self.lines
            .iter()
            .enumerate()
            .find_map(|(i, l)| passthrough(l).map(|p| (i as u32 + 1, p)))
    }

    /// A commented-out stock rule (`#RewriteRule .* - [E=HTTP_AUTHORIZATION…`): its line.
    pub fn disabled_rule_line(&self) -> Option<u32> {
        self.lines
            .iter()
            .position(|l| {
                let t = l.trim();
                t.starts_with('#')
                    && passthrough(t.trim_start_matches('#')) == Some(Passthrough::RewriteEnv)
            })
            .map(|i| i as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            passthrough("    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]"),
            Some(Passthrough::RewriteEnv)
        );
        assert_eq!(
            passthrough("RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization},L]"),
            Some(Passthrough::RewriteEnv)
        );
        assert_eq!(
            passthrough("##    SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1"),
            None
        );
        assert_eq!(
            passthrough("SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1"),
            Some(Passthrough::SetEnvIf)
        );
        assert_eq!(
            passthrough("CGIPassAuth On"),
            Some(Passthrough::CgiPassAuth)
        );
        assert_eq!(passthrough("RewriteRule .* index.php [L]"), None);
    }
}
