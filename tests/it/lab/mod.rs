//! The test lab: a real MariaDB started by `scripts/test`, fresh Magento databases per test, and
//! fixture store trees. Declared once in tests/it/main.rs (the one integration-test binary);
//! every test module uses it as `crate::lab`.
//!
//! ```ignore
//! use crate::lab;
//!
//! #[test]
//! fn locked_admin() {
//!     let Some(lab) = lab::mariadb() else { return };           // skip (or panic under CI)
//!     let db = lab.database("");                                  // all Magento tables, dropped on Drop
//!     db.insert("admin_user", &[("username", "admin".into()), ("password", "x".into())]);
//!     let store = lab::FixtureStore::new();
//!     store.env(&lab::EnvSpec::magento(&db));                     // env.php pointing at `db`
//!     let out = lab::m2auth(&["check"], store.root());
//! }
//! ```
//!
//! * [`mariadb()`] → `Option<Lab>` (reads `M2AUTH_LAB_SOCKET`, `M2AUTH_LAB_PORT`,
//!   `M2AUTH_LAB_USER`, `M2AUTH_LAB_PASSWORD`, `M2AUTH_LAB_IPV6`); [`reference_dir()`].
//! * [`tls()`] → `Option<(Lab, Tls)>`: the lab's TLS files and its REQUIRE SSL / REQUIRE X509
//!   users (`M2AUTH_LAB_TLS_*`); [`LabDb::tls_params`]`(user, password, ssl)`.
//! * [`Lab::database`]`(prefix)` → [`LabDb`]: `name()`, `prefix()`, `user()`, `password()`,
//!   `table(logical)`, `exec(sql)`, `try_exec`, `query(sql)` (rows as text), `insert(table, cols)`
//!   (logical name, returns the new id), `conn_params()` (socket), `tcp_params()`, `tcp_host()`,
//!   `tcp_url()`, `socket_url()`, `mysqldump(path, gzip)`.
//! * [`FixtureStore`]: `root()`, `path(rel)`, `file`, `env_php(text)`, `env(&EnvSpec)`,
//!   `config_php(modules)`, `vendor_module(name, package)`, `app_code_module(name)`,
//!   `composer_lock(package, version)`. [`EnvSpec`]: `magento(&db)`, `new()`, `from_json`,
//!   `db(&db)`, `set(path, value)`, `remove(path)`, `to_php()`; [`Php`] values incl. `Php::Raw`
//!   for non-literal PHP such as `getenv('DB_PASS')`.
//! * [`m2auth`]`(args, cwd)` runs the binary with `NO_COLOR=1`.
//! * [`report`]: running m2auth on a store and reading its JSON: `run_at_root(store, args)`,
//!   `run_json_doc(args, cwd)`, `codes(doc)`, `server_config_skips(doc)`; `pub_docroot_store()`,
//!   `magento_pub_htaccess()`, `write_tree(dir, files)`, `SERVER_CODES`, `RULE`.
//! * [`scenario`]: the fluent builder for one store + database + m2auth call + expectations
//!   (`Scenario::new()` → `Option<Scenario>`; `.release`, `.modules`, `.env`, `.admin`, `.row`,
//!   `.config`, … `.diagnose(args)` → `Outcome` with `.expect_root_cause`, `.expect_codes`,
//!   `.expect_no_error`, `.expect_exit`, …); used by tests/it/scenarios/.
//! * [`web`]: real Apache / nginx / php-fpm on loopback (`web::Apache::new(docroot).start()`,
//!   `web::Nginx::new(root).start()` → `Option<WebServer>`: `port`, `base_url`, `config`, `dir`,
//!   `get`/`post`/`request`, `error_log()`; stopped on Drop), the REST test double
//!   `web::magento_front_controller(root, tokens)`, `web::minimal_htaccess(passthrough)`,
//!   `web::closed_port()`. Facts it proves: tests/it/web_lab.rs.
#![allow(dead_code, unused_imports)]

pub mod cache;
pub mod fixture;
pub mod report;
pub mod scenario;
pub mod schema;
pub mod web;

pub use fixture::{EnvSpec, FixtureStore, Php, PhpKey};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use m2auth::store::db::ConnParams;
use mysql::prelude::Queryable;

pub const SKIP_MESSAGE: &str = "skipped: the MariaDB lab is not running (run scripts/test)";

/// The running lab server, as `scripts/test` exported it.
#[derive(Debug, Clone)]
pub struct Lab {
    pub socket: PathBuf,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// The server also listens on `[::1]`.
    pub ipv6: bool,
}

/// The lab, or `None` (with a skip message) when `scripts/test` did not start it. Under `CI`
/// a missing lab is a panic: a CI run must never silently skip database tests.
pub fn mariadb() -> Option<Lab> {
    let socket = std::env::var_os("M2AUTH_LAB_SOCKET").filter(|s| !s.is_empty());
    let port = std::env::var("M2AUTH_LAB_PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok());
    let (Some(socket), Some(port)) = (socket, port) else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("CI is set but the MariaDB lab is not running: run the tests with scripts/test");
        }
        eprintln!("{SKIP_MESSAGE}");
        return None;
    };
    Some(Lab {
        socket: PathBuf::from(socket),
        port,
        user: std::env::var("M2AUTH_LAB_USER").unwrap_or_else(|_| "root".into()),
        password: std::env::var("M2AUTH_LAB_PASSWORD").unwrap_or_default(),
        ipv6: std::env::var("M2AUTH_LAB_IPV6").is_ok_and(|v| v == "1"),
    })
}

/// The lab's TLS material and TLS-only users, as `scripts/test` exported them.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The CA that signed the server certificate (SAN `IP:127.0.0.1`, `DNS:localhost`).
    pub ca: PathBuf,
    /// A CA that signed nothing the server uses.
    pub other_ca: PathBuf,
    /// A client certificate and key signed by [`Tls::ca`].
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A user created `REQUIRE SSL` (SELECT on everything).
    pub user: String,
    /// A user created `REQUIRE X509` (needs the client certificate).
    pub x509_user: String,
    /// The password of both users.
    pub password: String,
}

/// The lab and its TLS setup, or `None` (with a skip message) when `scripts/test` did not provide
/// them; under `CI` a missing TLS lab is a panic, as in [`mariadb()`].
pub fn tls() -> Option<(Lab, Tls)> {
    let lab = mariadb()?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(ca) = var("M2AUTH_LAB_TLS_CA") else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!(
                "CI is set but the lab has no TLS (M2AUTH_LAB_TLS_CA): run the tests with scripts/test"
            );
        }
        eprintln!(
            "skipped: the MariaDB lab has no TLS (M2AUTH_LAB_TLS_CA is unset; run scripts/test)"
        );
        return None;
    };
    let need = |name: &str| {
        var(name).unwrap_or_else(|| panic!("lab: M2AUTH_LAB_TLS_CA is set but {name} is not"))
    };
    let tls = Tls {
        ca: PathBuf::from(ca),
        other_ca: PathBuf::from(need("M2AUTH_LAB_TLS_OTHER_CA")),
        client_cert: PathBuf::from(need("M2AUTH_LAB_TLS_CERT")),
        client_key: PathBuf::from(need("M2AUTH_LAB_TLS_KEY")),
        user: need("M2AUTH_LAB_TLS_USER"),
        x509_user: need("M2AUTH_LAB_X509_USER"),
        password: need("M2AUTH_LAB_TLS_PASSWORD"),
    };
    Some((lab, tls))
}

/// `../shared/magento-reference` beside the repository, or `None` with a skip message.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/magento-reference");
    match dir.canonicalize() {
        Ok(d) if d.is_dir() => Some(d),
        _ => {
            eprintln!(
                "skipped: {} is absent (the Magento reference files live beside the repository)",
                dir.display()
            );
            None
        }
    }
}

/// The tables of every reference `db_schema.xml` plus the hand-written ones, parsed once.
pub fn magento_tables() -> &'static [schema::Table] {
    static TABLES: OnceLock<Vec<schema::Table>> = OnceLock::new();
    TABLES.get_or_init(|| match reference_dir() {
        Some(dir) => schema::all_tables(&dir)
            .unwrap_or_else(|e| panic!("db_schema.xml conversion failed: {e}")),
        None => schema::hand_written_tables(),
    })
}

/// Run the m2auth binary in `cwd` with `NO_COLOR=1`.
pub fn m2auth(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_m2auth"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("cannot run the m2auth binary")
}

/// A JWT as Magento issues it for `uid`/`utypid`, signed HS256 with the crypt key of
/// `EnvSpec::magento` and padded as `SecretBasedJwksFactory` pads it, valid until 2099. (The
/// token checks themselves are tested against PyJWT in tests/it/tokens.rs.)
pub fn magento_jwt(uid: i64, utypid: i64) -> String {
    scenario::jwt(uid, utypid, 1_900_000_000, 4_100_000_000)
}

/// `php -r CODE` (an implementation independent of m2auth, for test vectors), or `None` with a
/// skip message when PHP is missing; under `CI` a missing PHP is a failure.
pub fn php(code: &str) -> Option<String> {
    let Ok(out) = Command::new("php").arg("-r").arg(code).output() else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("CI is set but php is not installed (scripts/test installs php-cli)");
        }
        eprintln!("skipped: php is not installed (scripts/test installs php-cli)");
        return None;
    };
    assert!(
        out.status.success(),
        "php: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// A PHP single-quoted string literal of `s`.
pub fn php_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A python3 that can `import module` (Debian's python3-jwt / python3-oauthlib live in
/// /usr/bin/python3), or `None` with a skip message; under `CI` a missing one is a failure.
pub fn python_with(module: &str, package: &str) -> Option<String> {
    for p in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(p)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(p.to_string());
        }
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("CI is set but no python3 with {module} ({package}) is installed");
    }
    eprintln!("skipped: no python3 with {module} (apt-get install {package})");
    None
}

impl Lab {
    /// A connection as the lab user over the socket, without a default database.
    pub fn admin_conn(&self) -> mysql::Conn {
        let opts = mysql::OptsBuilder::new()
            .socket(Some(self.socket.to_string_lossy().into_owned()))
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .prefer_socket(false);
        mysql::Conn::new(opts)
            .unwrap_or_else(|e| panic!("lab: cannot connect to {}: {e}", self.socket.display()))
    }

    /// A fresh, uniquely named database holding every Magento table (with `prefix`) and the
    /// standard store/website rows. Dropped with the returned value unless `M2AUTH_LAB_KEEP`.
    pub fn database(&self, prefix: &str) -> LabDb {
        assert!(
            prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "lab: table prefix {prefix:?} must be [A-Za-z0-9_]*"
        );
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "m2lab_{}_{}_{:05}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos % 100_000
        );
        let mut conn = self.admin_conn();
        conn.query_drop(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"
        ))
        .unwrap_or_else(|e| panic!("lab: CREATE DATABASE {name}: {e}"));
        conn.query_drop(format!("USE `{name}`")).unwrap();
        conn.query_drop("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
            .unwrap();
        let db = LabDb {
            lab: self.clone(),
            name,
            prefix: prefix.to_string(),
            conn: Mutex::new(conn),
        };
        for t in magento_tables() {
            db.exec(&t.ddl(prefix));
        }
        for sql in schema::standard_rows(prefix) {
            db.exec(&sql);
        }
        db
    }
}

/// One test database on the lab server.
pub struct LabDb {
    pub lab: Lab,
    name: String,
    prefix: String,
    conn: Mutex<mysql::Conn>,
}

impl LabDb {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The lab user (a password user with every privilege).
    pub fn user(&self) -> &str {
        &self.lab.user
    }

    pub fn password(&self) -> &str {
        &self.lab.password
    }

    /// The physical name of a logical table (`admin_user` → `m2_admin_user`).
    pub fn table(&self, logical: &str) -> String {
        format!("{}{logical}", self.prefix)
    }

    /// Run SQL (several statements allowed) in this database; panics with the statement on error.
    pub fn exec(&self, sql: &str) {
        self.try_exec(sql)
            .unwrap_or_else(|e| panic!("lab: {e}\nin: {sql}"));
    }

    pub fn try_exec(&self, sql: &str) -> Result<(), mysql::Error> {
        self.conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .query_drop(sql)
    }

    /// Rows of a query as text (NULL → `None`), for assertions.
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let rows: Vec<mysql::Row> = self
            .conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .query(sql)
            .unwrap_or_else(|e| panic!("lab: {e}\nin: {sql}"));
        rows.into_iter()
            .map(|r| {
                r.unwrap()
                    .into_iter()
                    .map(|v| match v {
                        mysql::Value::NULL => None,
                        mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
                    })
                    .collect()
            })
            .collect()
    }

    /// Insert one row into the logical `table` (prefix applied); returns `LAST_INSERT_ID()`.
    /// Values: `"text".into()`, `1.into()`, `mysql::Value::NULL`, `Some(…)`/`None::<i64>`…
    pub fn insert(&self, table: &str, values: &[(&str, mysql::Value)]) -> u64 {
        let cols: Vec<String> = values.iter().map(|(c, _)| format!("`{c}`")).collect();
        let marks = vec!["?"; values.len()].join(", ");
        let sql = format!(
            "INSERT INTO `{}` ({}) VALUES ({marks})",
            self.table(table),
            cols.join(", ")
        );
        let params: Vec<mysql::Value> = values.iter().map(|(_, v)| v.clone()).collect();
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.exec_drop(&sql, params)
            .unwrap_or_else(|e| panic!("lab: {e}\nin: {sql}"));
        conn.last_insert_id()
    }

    /// m2auth's parameters for this database through the unix socket.
    pub fn conn_params(&self) -> ConnParams {
        ConnParams {
            socket: Some(self.lab.socket.clone()),
            user: self.lab.user.clone(),
            password: Some(self.lab.password.clone()),
            dbname: self.name.clone(),
            table_prefix: self.prefix.clone(),
            ..ConnParams::default()
        }
    }

    /// m2auth's parameters for this database over TCP on 127.0.0.1.
    pub fn tcp_params(&self) -> ConnParams {
        ConnParams {
            host: Some("127.0.0.1".into()),
            port: Some(self.lab.port),
            socket: None,
            ..self.conn_params()
        }
    }

    /// [`LabDb::tcp_params`] as another `user` (a TLS lab user), with `ssl`.
    pub fn tls_params(
        &self,
        user: &str,
        password: &str,
        ssl: Option<m2auth::store::db::connect::SslParams>,
    ) -> ConnParams {
        ConnParams {
            user: user.to_string(),
            password: Some(password.to_string()),
            ssl,
            ..self.tcp_params()
        }
    }

    /// `127.0.0.1:<port>`, the env.php `host` form for TCP.
    pub fn tcp_host(&self) -> String {
        format!("127.0.0.1:{}", self.lab.port)
    }

    /// A `--db` URL over TCP (`mysql://user:pass@127.0.0.1:port/db?prefix=…`), percent-encoded.
    pub fn tcp_url(&self) -> String {
        let mut url = format!(
            "mysql://{}:{}@127.0.0.1:{}/{}",
            pct(&self.lab.user),
            pct(&self.lab.password),
            self.lab.port,
            self.name
        );
        if !self.prefix.is_empty() {
            url.push_str(&format!("?prefix={}", pct(&self.prefix)));
        }
        url
    }

    /// A `--db` URL through the socket (`mysql://user:pass@localhost/db?socket=…&prefix=…`).
    pub fn socket_url(&self) -> String {
        let mut url = format!(
            "mysql://{}:{}@localhost/{}?socket={}",
            pct(&self.lab.user),
            pct(&self.lab.password),
            self.name,
            pct(&self.lab.socket.to_string_lossy())
        );
        if !self.prefix.is_empty() {
            url.push_str(&format!("&prefix={}", pct(&self.prefix)));
        }
        url
    }

    /// Dump this database with the real `mysqldump` client (default options) over the socket;
    /// gzip it when `gzip` (name the file `….sql.gz` then).
    pub fn mysqldump(&self, path: &Path, gzip: bool) {
        use std::process::Stdio;
        let out =
            std::fs::File::create(path).unwrap_or_else(|e| panic!("lab: {}: {e}", path.display()));
        let mut dump = Command::new("mysqldump");
        dump.arg("--no-defaults")
            .arg(format!("--socket={}", self.lab.socket.display()))
            .arg(format!("--user={}", self.lab.user))
            .arg(&self.name)
            .env("MYSQL_PWD", &self.lab.password)
            .stderr(Stdio::piped());
        if gzip {
            let mut child = dump
                .stdout(Stdio::piped())
                .spawn()
                .expect("lab: cannot run mysqldump");
            let stdout = child.stdout.take().unwrap();
            let gz = Command::new("gzip")
                .arg("-c")
                .stdin(stdout)
                .stdout(out)
                .status()
                .expect("lab: cannot run gzip");
            let res = child.wait_with_output().unwrap();
            assert!(
                res.status.success(),
                "mysqldump failed: {}",
                String::from_utf8_lossy(&res.stderr)
            );
            assert!(gz.success(), "gzip failed");
        } else {
            let res = dump
                .stdout(out)
                .output()
                .expect("lab: cannot run mysqldump");
            assert!(
                res.status.success(),
                "mysqldump failed: {}",
                String::from_utf8_lossy(&res.stderr)
            );
        }
    }
}

/// Rows as Magento's own code writes them, for scenarios.
impl LabDb {
    /// An `authorization_role` row: `kind` `G` (group, tree level 1) or `U` (user link, level 2);
    /// `user_type` '1' integration, '2' admin.
    pub fn role(&self, id: i64, parent: i64, kind: &str, user: i64, user_type: &str, name: &str) {
        self.insert(
            "authorization_role",
            &[
                ("role_id", id.into()),
                ("parent_id", parent.into()),
                ("tree_level", (if kind == "G" { 1 } else { 2 }).into()),
                ("sort_order", 0.into()),
                ("role_type", kind.into()),
                ("user_id", user.into()),
                ("user_type", user_type.into()),
                ("role_name", name.into()),
            ],
        );
    }

    /// An `authorization_rule` row (`privileges` '' as `Rules::saveRel` writes it).
    pub fn rule(&self, role: i64, resource: &str, permission: &str) {
        self.insert(
            "authorization_rule",
            &[
                ("role_id", role.into()),
                ("resource_id", resource.into()),
                ("privileges", "".into()),
                ("permission", permission.into()),
            ],
        );
    }

    /// `oauth/consumer/enable_integration_as_bearer` = 1 (default scope): integration tokens are
    /// accepted as Bearer tokens (2.4.4+ refuses them without it).
    pub fn integration_as_bearer(&self) {
        self.insert(
            "core_config_data",
            &[
                ("scope", "default".into()),
                ("scope_id", 0.into()),
                ("path", "oauth/consumer/enable_integration_as_bearer".into()),
                ("value", "1".into()),
            ],
        );
    }

    /// An active integration `id` with its OAuth consumer (same id) and an access token.
    pub fn integration(&self, id: i64, name: &str, token: &str) {
        self.insert(
            "oauth_consumer",
            &[
                ("entity_id", id.into()),
                ("name", format!("Integration{id}").into()),
                ("key", format!("key{id:029}").into()),
                ("secret", format!("sec{id:029}").into()),
                ("rejected_callback_url", "".into()),
            ],
        );
        self.insert(
            "integration",
            &[
                ("integration_id", id.into()),
                ("name", name.into()),
                ("email", format!("integration{id}@example.test").into()),
                ("status", 1.into()),
                ("consumer_id", id.into()),
                ("setup_type", 0.into()),
            ],
        );
        self.insert(
            "oauth_token",
            &[
                ("consumer_id", id.into()),
                ("type", "access".into()),
                ("token", token.into()),
                ("secret", format!("ts{id:030}").into()),
                ("callback_url", "oob".into()),
                ("revoked", 0.into()),
                ("authorized", 1.into()),
                ("user_type", 1.into()),
            ],
        );
    }
}

impl Drop for LabDb {
    fn drop(&mut self) {
        if std::env::var_os("M2AUTH_LAB_KEEP").is_some() {
            eprintln!("lab: kept database {} (M2AUTH_LAB_KEEP)", self.name);
            return;
        }
        let conn = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        let _ = conn.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
    }
}

/// Percent-encode everything but unreserved URL characters.
pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
