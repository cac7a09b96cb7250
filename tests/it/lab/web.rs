//! Real web servers on loopback for end-to-end tests: a private Apache (`apache2 -f <conf>
//! -DFOREGROUND`) or nginx (`nginx -p <dir> -c <conf> -g 'daemon off;'`), each with its own
//! php-fpm (`php-fpm8.2 -F [-R] -y <conf>`) on a free 127.0.0.1 port, serving a store tree whose
//! `pub/index.php` is the REST test double [`magento_front_controller`] writes
//! (`tests/it/lab/web/magento-rest.php`).
//!
//! ```ignore
//! let store = lab::FixtureStore::new();
//! lab::web::magento_front_controller(store.root(), &["tok1"]);
//! let Some(srv) = lab::web::Apache::new(&store.path("pub")).start() else { return }; // skip
//! let r = srv.get("/rest/V1/products", &[("Authorization", "Bearer tok1")]);
//! assert_eq!(r.status, 401); // Apache + proxy_fcgi drops the header unless told otherwise
//! ```
//!
//! * Every server has a private dir ([`WebServer::dir`]: config, logs, pid, htpasswd) and is
//!   stopped with its php-fpm on `Drop` (SIGTERM, wait, SIGKILL after 5 s): no orphans.
//! * The Apache vhost (docroot, AllowOverride, PHP handoff, `<Location /rest>` rules) is written
//!   into the main config file [`WebServer::config`], so that file alone shows what m2auth must
//!   analyse; Magento's `.htaccess` semantics are left to the docroot's `.htaccess`.
//! * nginx with [`Nginx::sample`] is Magento's documented setup: `upstream fastcgi_backend`,
//!   `set $MAGE_ROOT`, `include <magento-reference>/server/nginx.conf.sample` (read in place).
//! * Running as root (as the tests do here), Apache and nginx workers drop to `www-data`, so
//!   `start()` makes the served tree readable: directories `a+rx`, files `a+r`, and `o+x` on its
//!   ancestors inside the temp dir (`/tmp/.tmpXXXX` is 0700). php-fpm runs with `-R` (as root).
//! * A missing apache2 / nginx / php-fpm makes `start()` print `skipped: …` and return `None`
//!   (a panic under `CI`); a server that does not answer within 5 s panics with its logs and
//!   config (a port taken between choosing and binding it is retried with another, twice).
//! * Basic auth user: [`BASIC_USER`] / [`BASIC_PASSWORD`] (`lab` / `lab`); the test double's admin
//!   login for `POST /V1/integration/admin/token`: [`ADMIN_USER`] / [`ADMIN_PASSWORD`], which
//!   answers the first accepted token (or `lab-admin-token` when none).
//! * mod_fcgid ([`PhpHandoff::Fcgid`]) needs php-cgi; mod_security2 ([`Apache::waf`]) needs
//!   libapache2-mod-security2: both skip when absent ([`Apache::start`] → `None`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BASIC_USER: &str = "lab";
pub const BASIC_PASSWORD: &str = "lab";
pub const ADMIN_USER: &str = "lab-admin";
pub const ADMIN_PASSWORD: &str = "lab-Passw0rd";

const APACHE_MODULES: &str = "/usr/lib/apache2/modules";
const FRONT_CONTROLLER: &str = include_str!("web/magento-rest.php");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Apache,
    Nginx,
}

/// A running server (and its private php-fpm), stopped on `Drop`.
pub struct WebServer {
    pub kind: ServerKind,
    pub port: u16,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// The main config file this server was started with (the vhost / server block is in it).
    pub config: PathBuf,
    /// Its private dir: config, logs, pid, htpasswd.
    pub dir: PathBuf,
    child: Option<Child>,
    fpm: Option<PhpFpm>,
    _tmp: tempfile::TempDir,
}

/// A response read by the test client.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): HTTP {} {}", self.status, self.body))
    }
}

/// How Apache hands `.php` to PHP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhpHandoff {
    /// `<FilesMatch \.php$> SetHandler "proxy:fcgi://127.0.0.1:FPMPORT"`
    ProxyFcgi,
    /// `ProxyPassMatch ^/(.*\.php(/.*)?)$ fcgi://127.0.0.1:FPMPORT/DOCROOT/$1`
    ProxyPassMatch,
    /// mod_fcgid with a php-cgi wrapper (no php-fpm); skipped without php-cgi.
    Fcgid,
}

/// An Apache setup; [`Apache::start`] runs it.
#[derive(Debug, Clone)]
pub struct Apache {
    pub docroot: PathBuf,
    /// `"All"` or `"None"` (or any AllowOverride value) on the docroot's `<Directory>`.
    pub allow_override: &'static str,
    pub php: PhpHandoff,
    /// `CGIPassAuth On` in the docroot's `<Directory>`.
    pub cgi_pass_auth: bool,
    /// `SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1` in the vhost.
    pub setenvif_authorization: bool,
    /// `FallbackResource /index.php` in the docroot's `<Directory>`.
    pub fallback_resource: bool,
    /// `<Location /rest>` Basic auth (user `lab`, password `lab`).
    pub basic_auth_rest: bool,
    /// `<Location /rest> Require ip 10.255.255.1` (denies loopback).
    pub deny_rest: bool,
    /// mod_security2 with rules blocking a request carrying `X-Lab-Attack` (403) or a
    /// SQL-injection-looking argument (`@detectSQLi`, 403).
    pub waf: bool,
    /// Extra lines in the docroot's `<Directory>` (`@HTPASSWD@` names the lab's htpasswd file:
    /// user `lab`, password `lab`); with a `Require` or `Allow` line of their own they replace
    /// the lab's `Require all granted`.
    pub directory_extra: String,
    /// Extra lines in the `<VirtualHost>` (`@HTPASSWD@` as above).
    pub vhost_extra: String,
    /// The path written on the DocumentRoot line (a symlink to the docroot, say); the docroot's
    /// `<Directory>` keeps the real path.
    pub document_root_as: Option<PathBuf>,
}

/// An nginx setup; [`Nginx::start`] runs it.
#[derive(Debug, Clone)]
pub struct Nginx {
    pub magento_root: PathBuf,
    /// Magento's documented setup (`include …/nginx.conf.sample`); else a minimal
    /// `root <root>/pub; try_files … /index.php` server.
    pub sample: bool,
    /// `location /rest { auth_basic …; }` (user `lab`, password `lab`).
    pub basic_auth_rest: bool,
    /// `location /rest { deny all; }`
    pub deny_rest: bool,
    /// Extra lines in the PHP location of the minimal server (`sample: false`).
    pub php_extra: String,
    /// Write the configuration with CRLF line ends (as edited on Windows).
    pub crlf: bool,
}

// ------------------------------------------------------------------------------------------------

fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

fn skip(reason: &str) -> Option<WebServer> {
    if ci() {
        panic!("CI is set but {reason} (scripts/test installs it)");
    }
    eprintln!("skipped: {reason} (scripts/test installs it)");
    None
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// uid/gid of a user from /etc/passwd.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

/// A free loopback port (bind 127.0.0.1:0, read the port, close).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("cannot bind 127.0.0.1:0")
        .port()
}

/// A loopback port nothing listens on (bind, read port, close).
pub fn closed_port() -> u16 {
    free_port()
}

fn find_exe(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// php-fpm: `php-fpm8.2`, else any `/usr/sbin/php-fpm*`.
pub fn php_fpm_binary() -> Option<PathBuf> {
    if let Some(p) = find_exe(&["/usr/sbin/php-fpm8.2"]) {
        return Some(p);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/sbin")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("php-fpm"))
        })
        .collect();
    found.sort();
    found.pop()
}

pub fn apache_binary() -> Option<PathBuf> {
    find_exe(&["/usr/sbin/apache2"])
        .filter(|_| Path::new(APACHE_MODULES).join("mod_mpm_event.so").is_file())
}

pub fn nginx_binary() -> Option<PathBuf> {
    find_exe(&["/usr/sbin/nginx"])
}

pub fn php_cgi_binary() -> Option<PathBuf> {
    find_exe(&["/usr/bin/php-cgi", "/usr/bin/php-cgi8.2"])
}

/// mod_security2 is installed (libapache2-mod-security2).
pub fn has_mod_security2() -> bool {
    Path::new(APACHE_MODULES).join("mod_security2.so").is_file()
}

/// Make `tree` readable by the servers' unprivileged workers: directories a+rx, files a+r, and
/// o+x on its ancestors inside the temp dir.
pub fn make_readable(tree: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fn walk(p: &Path) {
        let Ok(meta) = std::fs::symlink_metadata(p) else {
            return;
        };
        if meta.file_type().is_symlink() {
            return;
        }
        let mode = meta.permissions().mode();
        let want = if meta.is_dir() {
            mode | 0o555
        } else {
            mode | 0o444
        };
        if want != mode {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(want));
        }
        if meta.is_dir()
            && let Ok(rd) = std::fs::read_dir(p)
        {
            for e in rd.flatten() {
                walk(&e.path());
            }
        }
    }
    walk(tree);
    let tmp = std::env::temp_dir();
    let tmp = tmp.canonicalize().unwrap_or(tmp);
    let abs = tree.canonicalize().unwrap_or_else(|_| tree.to_path_buf());
    for anc in abs.ancestors().skip(1) {
        if !anc.starts_with(&tmp) || anc == tmp {
            break;
        }
        if let Ok(meta) = std::fs::metadata(anc) {
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                let _ =
                    std::fs::set_permissions(anc, std::fs::Permissions::from_mode(mode | 0o011));
            }
        }
    }
}

/// `{SHA}` htpasswd line (Apache and nginx both read it).
fn htpasswd_line(user: &str, password: &str) -> String {
    use base64::Engine as _;
    use sha1::Digest as _;
    let digest = sha1::Sha1::digest(password.as_bytes());
    format!(
        "{user}:{{SHA}}{}\n",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Poll-connect until `port` answers (≤ `timeout`), or the child exits.
fn wait_port(port: u16, child: &mut Child, timeout: Duration) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
            .is_ok()
        {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited with {status}"));
        }
        if start.elapsed() > timeout {
            return Err(format!("port {port} did not answer within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// SIGTERM, wait ≤ 5 s, then SIGKILL.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn read_or_empty(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn spawn_logged(cmd: &mut Command, dir: &Path, name: &str) -> std::io::Result<Child> {
    let out = std::fs::File::create(dir.join(format!("{name}.stdout")))?;
    let err = std::fs::File::create(dir.join(format!("{name}.stderr")))?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
}

// --- php-fpm ---------------------------------------------------------------------------------

struct PhpFpm {
    port: u16,
    child: Child,
    dir: PathBuf,
}

impl PhpFpm {
    fn start(bin: &Path, dir: &Path) -> PhpFpm {
        let dir = dir.join("php-fpm");
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("php-fpm.conf");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port();
            std::fs::write(
                &conf,
                format!(
                    "[global]\n\
                     pid = {d}/php-fpm.pid\n\
                     error_log = {d}/php-fpm.log\n\
                     daemonize = no\n\
                     \n\
                     [lab]\n\
                     listen = 127.0.0.1:{port}\n\
                     listen.allowed_clients = 127.0.0.1\n\
                     pm = static\n\
                     pm.max_children = 3\n\
                     catch_workers_output = yes\n\
                     php_admin_flag[log_errors] = on\n\
                     php_admin_value[error_log] = {d}/php-errors.log\n",
                    d = dir.display()
                ),
            )
            .unwrap();
            let mut cmd = Command::new(bin);
            cmd.arg("-F");
            if is_root() {
                cmd.arg("-R");
            }
            cmd.arg("-y").arg(&conf);
            let mut child = spawn_logged(&mut cmd, &dir, "php-fpm")
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
            match wait_port(port, &mut child, Duration::from_secs(5)) {
                Ok(()) => return PhpFpm { port, child, dir },
                Err(why) => {
                    stop(&mut child);
                    let log = format!(
                        "--- php-fpm.log\n{}--- stderr\n{}",
                        read_or_empty(&dir.join("php-fpm.log")),
                        read_or_empty(&dir.join("php-fpm.stderr"))
                    );
                    if attempt < 3 && log.contains("Address already in use") {
                        continue;
                    }
                    panic!("php-fpm {why}\n{log}");
                }
            }
        }
    }

    fn log(&self) -> String {
        format!(
            "--- php-fpm.log\n{}--- php-errors.log\n{}",
            read_or_empty(&self.dir.join("php-fpm.log")),
            read_or_empty(&self.dir.join("php-errors.log"))
        )
    }
}

impl Drop for PhpFpm {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

// --- the server handle -----------------------------------------------------------------------

impl WebServer {
    /// The server's error log, its stderr, and its php-fpm's logs.
    pub fn error_log(&self) -> String {
        let mut s = format!(
            "--- error.log\n{}--- stderr\n{}",
            read_or_empty(&self.dir.join("error.log")),
            read_or_empty(&self.dir.join("server.stderr"))
        );
        if let Some(fpm) = &self.fpm {
            s.push_str(&fpm.log());
        }
        s
    }

    /// `GET path` with `headers` (test-only raw HTTP/1.1 client, `Connection: close`).
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> RawResponse {
        self.request("GET", path, headers, None)
    }

    /// `POST path` with a body (`Content-Type: application/json` unless given in `headers`).
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> RawResponse {
        self.request("POST", path, headers, Some(body))
    }

    /// Any method; `body` sent with a Content-Length.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> RawResponse {
        raw_request(self.port, method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.error_log()))
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop(&mut c);
        }
        self.fpm.take();
    }
}

/// A raw HTTP/1.1 request to 127.0.0.1:`port` (`Connection: close`; chunked bodies decoded).
pub fn raw_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> std::io::Result<RawResponse> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(status_line))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let size_txt = String::from_utf8_lossy(&rest[..nl]);
            let size = usize::from_str_radix(size_txt.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            rest = &rest[nl + 2..];
            if size == 0 || rest.len() < size {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[(size + 2).min(rest.len())..];
        }
        body = out;
    }
    Ok(RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

// --- Apache ----------------------------------------------------------------------------------

impl Apache {
    /// AllowOverride All, proxy_fcgi, everything else off.
    pub fn new(docroot: &Path) -> Apache {
        Apache {
            docroot: docroot.to_path_buf(),
            allow_override: "All",
            php: PhpHandoff::ProxyFcgi,
            cgi_pass_auth: false,
            setenvif_authorization: false,
            fallback_resource: false,
            basic_auth_rest: false,
            deny_rest: false,
            waf: false,
            directory_extra: String::new(),
            vhost_extra: String::new(),
            document_root_as: None,
        }
    }

    /// Start it, or `None` after `skipped: …` when apache2 / php-fpm (php-cgi for Fcgid,
    /// mod_security2 for `waf`) is missing.
    pub fn start(&self) -> Option<WebServer> {
        let Some(apache) = apache_binary() else {
            return skip("apache2 is not installed");
        };
        if self.php == PhpHandoff::Fcgid
            && !Path::new(APACHE_MODULES).join("mod_fcgid.so").is_file()
        {
            return skip("mod_fcgid is not installed (libapache2-mod-fcgid)");
        }
        let php_cgi = match self.php {
            PhpHandoff::Fcgid => match php_cgi_binary() {
                Some(p) => Some(p),
                None => return skip("php-cgi is not installed (php-cgi)"),
            },
            _ => None,
        };
        let fpm_bin = match self.php {
            PhpHandoff::Fcgid => None,
            _ => match php_fpm_binary() {
                Some(p) => Some(p),
                None => return skip("php-fpm is not installed (php-fpm)"),
            },
        };
        if self.waf && !has_mod_security2() {
            // Optional in scripts/test (not every apt has it): a skip even under CI.
            eprintln!("skipped: mod_security2 is not installed (libapache2-mod-security2)");
            return None;
        }
        let tmp = tempfile::Builder::new()
            .prefix("m2auth-apache.")
            .tempdir()
            .unwrap();
        let dir = tmp.path().to_path_buf();
        let root = is_root();
        let docroot = self
            .docroot
            .canonicalize()
            .unwrap_or_else(|e| panic!("docroot {}: {e}", self.docroot.display()));
        make_readable(&docroot);
        make_readable(&dir);
        std::fs::create_dir_all(dir.join("run")).unwrap();
        let fpm = fpm_bin.map(|b| PhpFpm::start(&b, &dir));
        let port = PORT;
        let htpasswd = dir.join("htpasswd");
        std::fs::write(&htpasswd, htpasswd_line(BASIC_USER, BASIC_PASSWORD)).unwrap();
        make_readable(&htpasswd);

        let d = dir.display();
        let doc = docroot.display();
        let mut modules = vec![
            "mpm_event",
            "authz_core",
            "authn_core",
            "authn_file",
            "authz_user",
            "authz_host",
            "auth_basic",
            "access_compat",
            "rewrite",
            "setenvif",
            "env",
            "dir",
            "mime",
            "alias",
            "headers",
            "expires",
        ];
        match self.php {
            PhpHandoff::ProxyFcgi | PhpHandoff::ProxyPassMatch => {
                modules.extend(["proxy", "proxy_fcgi"])
            }
            PhpHandoff::Fcgid => modules.push("fcgid"),
        }
        if self.waf {
            modules.extend(["unique_id", "security2"]);
        }
        let mut c = String::new();
        c.push_str(&format!(
            "# m2auth web lab: a private Apache (apache2 -f this-file -DFOREGROUND)\n\
             ServerRoot \"{d}\"\n\
             DefaultRuntimeDir \"{d}/run\"\n\
             PidFile \"{d}/run/apache2.pid\"\n\
             ErrorLog \"{d}/error.log\"\n\
             LogLevel warn\n\
             Listen 127.0.0.1:{port}\n\
             ServerName 127.0.0.1\n\
             Timeout 30\n"
        ));
        for m in &modules {
            c.push_str(&format!(
                "LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so\n"
            ));
        }
        if root {
            c.push_str("User www-data\nGroup www-data\n");
        }
        c.push_str(&format!(
            "StartServers 1\nServerLimit 1\nThreadLimit 16\nThreadsPerChild 16\n\
             MaxRequestWorkers 16\nMinSpareThreads 1\nMaxSpareThreads 16\n\
             TypesConfig /etc/mime.types\n\
             LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common\n\
             CustomLog \"{d}/access.log\" common\n\
             <Directory />\n    AllowOverride None\n    Require all denied\n</Directory>\n\
             AccessFileName .htaccess\n\
             <FilesMatch \"^\\.ht\">\n    Require all denied\n</FilesMatch>\n"
        ));
        if self.php == PhpHandoff::Fcgid {
            let fcgid = dir.join("fcgid");
            std::fs::create_dir_all(&fcgid).unwrap();
            if root && let Some((uid, gid)) = user_ids("www-data") {
                let _ = std::os::unix::fs::chown(&fcgid, Some(uid), Some(gid));
            }
            let wrapper = dir.join("php-wrapper");
            std::fs::write(
                &wrapper,
                format!("#!/bin/sh\nexec {}\n", php_cgi.as_ref().unwrap().display()),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
            c.push_str(&format!(
                "FcgidIPCDir \"{d}/fcgid\"\nFcgidProcessTableFile \"{d}/fcgid/shm\"\n\
                 FcgidMaxProcesses 4\nFcgidConnectTimeout 20\n"
            ));
        }
        if self.waf {
            std::fs::create_dir_all(dir.join("modsec")).unwrap();
            if root && let Some((uid, gid)) = user_ids("www-data") {
                let _ = std::os::unix::fs::chown(dir.join("modsec"), Some(uid), Some(gid));
            }
            c.push_str(&format!(
                "# mod_security2: two lab rules (403)\n\
                 SecRuleEngine On\n\
                 SecRequestBodyAccess Off\n\
                 SecAuditEngine Off\n\
                 SecTmpDir \"{d}/modsec\"\n\
                 SecDataDir \"{d}/modsec\"\n\
                 SecRule REQUEST_HEADERS:X-Lab-Attack \"@rx .\" \"id:1000001,phase:1,deny,status:403,log,msg:'lab attack header'\"\n\
                 SecRule ARGS \"@detectSQLi\" \"id:1000002,phase:2,deny,status:403,log,msg:'lab SQL injection'\"\n"
            ));
        }
        c.push_str(&format!(
            "\n<VirtualHost 127.0.0.1:{port}>\n    ServerName 127.0.0.1\n    DocumentRoot \"{}\"\n",
            self.document_root_as
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| doc.to_string())
        ));
        if self.setenvif_authorization {
            c.push_str("    SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1\n");
        }
        c.push_str(&format!(
            "    <Directory \"{doc}\">\n        Options FollowSymLinks{}\n        AllowOverride {}\n{}        DirectoryIndex index.php\n",
            if self.php == PhpHandoff::Fcgid {
                " ExecCGI"
            } else {
                ""
            },
            self.allow_override,
            // directory_extra with access rules of its own replaces the lab's grant.
            if self.directory_extra.contains("Require") || self.directory_extra.contains("Allow") {
                ""
            } else {
                "        Require all granted\n"
            }
        ));
        if self.cgi_pass_auth {
            c.push_str("        CGIPassAuth On\n");
        }
        if self.fallback_resource {
            c.push_str("        FallbackResource /index.php\n");
        }
        if self.php == PhpHandoff::Fcgid {
            c.push_str(&format!("        FcgidWrapper \"{d}/php-wrapper\" .php\n"));
        }
        let htpasswd_text = htpasswd.display().to_string();
        c.push_str(&self.directory_extra.replace("@HTPASSWD@", &htpasswd_text));
        c.push_str("    </Directory>\n");
        c.push_str(&self.vhost_extra.replace("@HTPASSWD@", &htpasswd_text));
        match (self.php, &fpm) {
            (PhpHandoff::ProxyFcgi, Some(f)) => c.push_str(&format!(
                "    <FilesMatch \\.php$>\n        SetHandler \"proxy:fcgi://127.0.0.1:{}\"\n    </FilesMatch>\n",
                f.port
            )),
            (PhpHandoff::ProxyPassMatch, Some(f)) => c.push_str(&format!(
                "    ProxyPassMatch \"^/(.*\\.php(/.*)?)$\" \"fcgi://127.0.0.1:{}{doc}/$1\"\n",
                f.port
            )),
            _ => c.push_str(
                "    <FilesMatch \\.php$>\n        SetHandler fcgid-script\n    </FilesMatch>\n",
            ),
        }
        if self.basic_auth_rest || self.deny_rest {
            c.push_str("    <Location /rest>\n");
            if self.basic_auth_rest {
                c.push_str(&format!(
                    "        AuthType Basic\n        AuthName \"lab\"\n        AuthUserFile \"{}\"\n        Require valid-user\n",
                    htpasswd.display()
                ));
            }
            if self.deny_rest {
                c.push_str("        Require ip 10.255.255.1\n");
            }
            c.push_str("    </Location>\n");
        }
        c.push_str("</VirtualHost>\n");
        let config = dir.join("apache2.conf");

        let mut cmd = Command::new(&apache);
        cmd.arg("-f").arg(&config).arg("-DFOREGROUND");
        // Debian's apache2 reads APACHE_* from /etc/apache2/envvars only through apache2ctl; the
        // config above names every path itself. A clean locale keeps messages stable.
        cmd.env("LANG", "C");
        start_server(ServerKind::Apache, cmd, &c, config, dir, tmp, fpm)
    }
}

/// The port in a config template, replaced by a free port at each start attempt.
const PORT: &str = "@LAB_PORT@";

/// Write `template` with a free port to `config` and start `cmd`; a port taken in between
/// (another test's server) is retried with a new port, any other failure panics with the logs.
fn start_server(
    kind: ServerKind,
    mut cmd: Command,
    template: &str,
    config: PathBuf,
    dir: PathBuf,
    tmp: tempfile::TempDir,
    fpm: Option<PhpFpm>,
) -> Option<WebServer> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = free_port();
        std::fs::write(&config, template.replace(PORT, &port.to_string())).unwrap();
        let mut child = spawn_logged(&mut cmd, &dir, "server")
            .unwrap_or_else(|e| panic!("cannot run {kind:?}: {e}"));
        match wait_port(port, &mut child, Duration::from_secs(5)) {
            Ok(()) => {
                return Some(WebServer {
                    kind,
                    port,
                    base_url: format!("http://127.0.0.1:{port}"),
                    config,
                    dir,
                    child: Some(child),
                    fpm,
                    _tmp: tmp,
                });
            }
            Err(why) => {
                stop(&mut child);
                let log = format!(
                    "--- error.log\n{}--- stderr\n{}{}",
                    read_or_empty(&dir.join("error.log")),
                    read_or_empty(&dir.join("server.stderr")),
                    fpm.as_ref().map(PhpFpm::log).unwrap_or_default()
                );
                if attempt < 3 && log.contains("Address already in use") {
                    continue;
                }
                let conf = read_or_empty(&config);
                drop(fpm);
                panic!("{kind:?} {why}\n{log}\n--- config\n{conf}");
            }
        }
    }
}

// --- nginx -----------------------------------------------------------------------------------

impl Nginx {
    /// Magento's documented setup (`sample: true`), no auth, no deny.
    pub fn new(magento_root: &Path) -> Nginx {
        Nginx {
            magento_root: magento_root.to_path_buf(),
            sample: true,
            basic_auth_rest: false,
            deny_rest: false,
            php_extra: String::new(),
            crlf: false,
        }
    }

    /// Start it, or `None` after `skipped: …` when nginx / php-fpm (or, with `sample`, the
    /// magento-reference folder) is missing.
    pub fn start(&self) -> Option<WebServer> {
        let Some(nginx) = nginx_binary() else {
            return skip("nginx is not installed");
        };
        let Some(fpm_bin) = php_fpm_binary() else {
            return skip("php-fpm is not installed (php-fpm)");
        };
        let sample = if self.sample {
            let sample = super::reference_dir()?.join("server/nginx.conf.sample");
            if !sample.is_file() {
                eprintln!("skipped: {} is missing", sample.display());
                return None;
            }
            sample
        } else {
            PathBuf::new()
        };
        let tmp = tempfile::Builder::new()
            .prefix("m2auth-nginx.")
            .tempdir()
            .unwrap();
        let dir = tmp.path().to_path_buf();
        let root = self
            .magento_root
            .canonicalize()
            .unwrap_or_else(|e| panic!("magento root {}: {e}", self.magento_root.display()));
        make_readable(&root);
        for sub in ["tmp", "logs"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // `include fastcgi_params;` (in nginx.conf.sample) is relative to the config's folder.
        let params = std::fs::read_to_string("/etc/nginx/fastcgi_params")
            .unwrap_or_else(|_| DEFAULT_FASTCGI_PARAMS.to_string());
        std::fs::write(dir.join("fastcgi_params"), params).unwrap();
        let htpasswd = dir.join("htpasswd");
        std::fs::write(&htpasswd, htpasswd_line(BASIC_USER, BASIC_PASSWORD)).unwrap();
        make_readable(&dir);
        let fpm = PhpFpm::start(&fpm_bin, &dir);
        let port = PORT;
        let d = dir.display();
        let mut c = String::new();
        c.push_str(
            "# m2auth web lab: a private nginx (nginx -p DIR -c this-file -g 'daemon off;')\n",
        );
        if is_root() {
            c.push_str("user www-data;\n");
        }
        c.push_str(&format!(
            "worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\n\
             events {{\n    worker_connections 64;\n}}\n\
             http {{\n\
             \x20   include /etc/nginx/mime.types;\n\
             \x20   default_type application/octet-stream;\n\
             \x20   access_log {d}/access.log;\n\
             \x20   client_body_temp_path {d}/tmp/client_body;\n\
             \x20   proxy_temp_path {d}/tmp/proxy;\n\
             \x20   fastcgi_temp_path {d}/tmp/fastcgi;\n\
             \x20   uwsgi_temp_path {d}/tmp/uwsgi;\n\
             \x20   scgi_temp_path {d}/tmp/scgi;\n\
             \x20   upstream fastcgi_backend {{\n\
             \x20       server 127.0.0.1:{};\n\
             \x20   }}\n\
             \x20   server {{\n\
             \x20       listen 127.0.0.1:{port};\n\
             \x20       server_name localhost;\n",
            fpm.port
        ));
        if self.basic_auth_rest || self.deny_rest {
            c.push_str("        location /rest {\n");
            if self.deny_rest {
                c.push_str("            deny all;\n");
            }
            if self.basic_auth_rest {
                c.push_str(&format!(
                    "            auth_basic \"lab\";\n            auth_basic_user_file {};\n",
                    htpasswd.display()
                ));
            }
            c.push_str("            try_files $uri $uri/ /index.php$is_args$args;\n        }\n");
        }
        if self.sample {
            c.push_str(&format!(
                "        set $MAGE_ROOT {};\n        include {};\n",
                root.display(),
                sample.display()
            ));
        } else {
            c.push_str(&format!(
                "        root {}/pub;\n\
                 \x20       index index.php;\n\
                 \x20       location / {{\n\
                 \x20           try_files $uri $uri/ /index.php$is_args$args;\n\
                 \x20       }}\n\
                 \x20       location ~ \\.php$ {{\n\
                 \x20           try_files $uri =404;\n\
                 \x20           fastcgi_pass fastcgi_backend;\n\
                 \x20           fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n\
                 \x20           include fastcgi_params;\n\
                 {}\
                 \x20       }}\n",
                root.display(),
                self.php_extra
            ));
        }
        c.push_str("    }\n}\n");
        if self.crlf {
            c = c.replace('\n', "\r\n");
        }
        let config = dir.join("nginx.conf");
        let mut cmd = Command::new(&nginx);
        cmd.arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&config)
            .arg("-g")
            .arg("daemon off;")
            .arg("-e")
            .arg(dir.join("error.log"));
        start_server(ServerKind::Nginx, cmd, &c, config, dir, tmp, Some(fpm))
    }
}

const DEFAULT_FASTCGI_PARAMS: &str = "fastcgi_param QUERY_STRING $query_string;
fastcgi_param REQUEST_METHOD $request_method;
fastcgi_param CONTENT_TYPE $content_type;
fastcgi_param CONTENT_LENGTH $content_length;
fastcgi_param SCRIPT_NAME $fastcgi_script_name;
fastcgi_param REQUEST_URI $request_uri;
fastcgi_param DOCUMENT_URI $document_uri;
fastcgi_param DOCUMENT_ROOT $document_root;
fastcgi_param SERVER_PROTOCOL $server_protocol;
fastcgi_param REQUEST_SCHEME $scheme;
fastcgi_param GATEWAY_INTERFACE CGI/1.1;
fastcgi_param REMOTE_ADDR $remote_addr;
fastcgi_param REMOTE_PORT $remote_port;
fastcgi_param SERVER_ADDR $server_addr;
fastcgi_param SERVER_PORT $server_port;
fastcgi_param SERVER_NAME $server_name;
fastcgi_param REDIRECT_STATUS 200;
";

// --- the PHP test double ---------------------------------------------------------------------

/// Write the REST test double (`tests/it/lab/web/magento-rest.php`, answering like Magento's REST
/// layer) to `<store_root>/pub/index.php`, accepting `Bearer <t>` for each of `accepted_tokens`,
/// and `<store_root>/index.php` requiring it (Magento's root-docroot layout).
/// `POST /V1/integration/admin/token` accepts [`ADMIN_USER`] / [`ADMIN_PASSWORD`] and answers
/// the first accepted token (`lab-admin-token` when there is none).
pub fn magento_front_controller(store_root: &Path, accepted_tokens: &[&str]) {
    let q = super::php_quote;
    let tokens: Vec<String> = accepted_tokens.iter().map(|t| q(t)).collect();
    let admin_token = accepted_tokens
        .first()
        .copied()
        .unwrap_or("lab-admin-token");
    let body = FRONT_CONTROLLER
        .strip_prefix("<?php")
        .expect("magento-rest.php starts with <?php");
    let php = format!(
        "<?php\n// Written by tests/it/lab/web.rs (m2auth's web lab): a TEST DOUBLE, not Magento's index.php.\n\
         $LAB_TOKENS = [{}];\n$LAB_ADMINS = [{} => {}];\n$LAB_ADMIN_TOKEN = {};\n{body}",
        tokens.join(", "),
        q(ADMIN_USER),
        q(ADMIN_PASSWORD),
        q(admin_token)
    );
    let pub_dir = store_root.join("pub");
    std::fs::create_dir_all(&pub_dir).unwrap();
    std::fs::write(pub_dir.join("index.php"), php).unwrap();
    // Magento's pub/errors/404.php is the ErrorDocument 403/404 of pub/.htaccess and the
    // `error_page 404 403` of nginx.conf.sample; its double answers like
    // Magento\Framework\Error\Processor::process404() (status 404, errors/default/404.phtml).
    std::fs::create_dir_all(pub_dir.join("errors")).unwrap();
    std::fs::write(pub_dir.join("errors/404.php"), ERRORS_404).unwrap();
    std::fs::write(
        store_root.join("index.php"),
        "<?php\n// m2auth web lab: the root entry point runs pub/index.php (the test double).\nrequire __DIR__ . '/pub/index.php';\n",
    )
    .unwrap();
}

const ERRORS_404: &str = "<?php
// m2auth web lab: a TEST DOUBLE of Magento's pub/errors/404.php (Error\\Processor::process404()).
http_response_code(404);
header('Content-Type: text/html; charset=UTF-8');
echo \"<!doctype html>\\n<html><head><title>Error 404: Not Found</title></head><body><h1>404 error: Page not found.</h1></body></html>\\n\";
";

/// A minimal Magento-like `.htaccess` for a docroot: `RewriteEngine on`, Magento's Authorization
/// pass-through rule when `passthrough`, and the front-controller rewrite.
pub fn minimal_htaccess(passthrough: bool) -> String {
    let mut s = String::from(
        "# m2auth web lab: a minimal Magento-like .htaccess\n<IfModule mod_rewrite.c>\n    RewriteEngine on\n",
    );
    if passthrough {
        s.push_str("    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]\n");
    }
    s.push_str(
        "    RewriteCond %{REQUEST_FILENAME} !-f\n    RewriteCond %{REQUEST_FILENAME} !-d\n    RewriteCond %{REQUEST_FILENAME} !-l\n    RewriteRule .* index.php [L]\n</IfModule>\n",
    );
    s
}

/// Debian's fastcgi_params (what `include fastcgi_params;` reads), `extra` appended.
pub fn fastcgi_params(extra: &str) -> String {
    let mut t = String::new();
    for (k, v) in [
        ("QUERY_STRING", "$query_string"),
        ("REQUEST_METHOD", "$request_method"),
        ("CONTENT_TYPE", "$content_type"),
        ("CONTENT_LENGTH", "$content_length"),
        ("SCRIPT_NAME", "$fastcgi_script_name"),
        ("REQUEST_URI", "$request_uri"),
        ("DOCUMENT_URI", "$document_uri"),
        ("DOCUMENT_ROOT", "$document_root"),
        ("SERVER_PROTOCOL", "$server_protocol"),
        ("REQUEST_SCHEME", "$scheme"),
        ("HTTPS", "$https if_not_empty"),
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SERVER_SOFTWARE", "nginx/$nginx_version"),
        ("REMOTE_ADDR", "$remote_addr"),
        ("REMOTE_PORT", "$remote_port"),
        ("SERVER_ADDR", "$server_addr"),
        ("SERVER_PORT", "$server_port"),
        ("SERVER_NAME", "$server_name"),
        ("REDIRECT_STATUS", "200"),
    ] {
        t.push_str(&format!("fastcgi_param  {k:<18} {v};\n"));
    }
    t.push_str(extra);
    t
}

/// A Debian-style /etc/nginx in `dir`: nginx.conf with a server block for the store that includes Magento's
/// real nginx.conf.sample in place.
pub fn debian_nginx(
    dir: &Path,
    root: &Path,
    sample: &Path,
    server_extra: &str,
    params_extra: &str,
) -> PathBuf {
    let n = dir.join("nginx");
    std::fs::create_dir_all(n.join("sites-enabled")).unwrap();
    std::fs::write(n.join("fastcgi_params"), fastcgi_params(params_extra)).unwrap();
    std::fs::write(
        n.join("nginx.conf"),
        "user www-data;\nworker_processes auto;\npid /run/nginx.pid;\n\nevents {\n\tworker_connections 768;\n}\n\nhttp {\n\tsendfile on;\n\ttcp_nopush on;\n\ttypes_hash_max_size 2048;\n\tdefault_type application/octet-stream;\n\taccess_log /var/log/nginx/access.log;\n\tgzip on;\n\tinclude conf.d/*.conf;\n\tinclude sites-enabled/*;\n}\n",
    )
    .unwrap();
    std::fs::write(
        n.join("sites-enabled/magento"),
        format!(
            "upstream fastcgi_backend {{\n    server unix:/run/php/php8.2-fpm.sock;\n}}\n\nserver {{\n    listen 80;\n    server_name shop.test;\n    set $MAGE_ROOT {};\n    set $MAGE_DEBUG_SHOW_ARGS 0;\n{server_extra}    include {};\n}}\n",
            root.display(),
            sample.display()
        ),
    )
    .unwrap();
    n.join("nginx.conf")
}
