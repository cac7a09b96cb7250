//! A fluent scenario builder: one lab store (files) and its database (rows), an m2auth call, and
//! the expectations on its JSON report, in one chain.
//!
//! ```ignore
//! use crate::lab::scenario::{Scenario, jwt};
//!
//! #[test]
//! fn expired_jwt() {
//!     let Some(s) = Scenario::new() else { return };       // skip without the lab
//!     s.release("2.4.7-p3")                                 // composer.lock
//!         .modules(&[("Magento_Catalog", "magento/module-catalog")]) // real XML
//!         .admin("jane", "S3cret-pass")                     // admin_user + role rows
//!         .config("webapi/jwtauth/admin_expiration", "60")  // core_config_data
//!         .diagnose(&["--request", "GET /V1/products", "--token", &jwt(1, 2, 0, 10)])
//!         .expect_root_cause("jwt-expired")
//!         .expect_exit(1);
//! }
//! ```
//!
//! * [`Scenario::new`] → `Option<Scenario>`: `None` (a skip, a panic under `CI`) without the lab,
//!   like [`super::mariadb`]. A fresh database with every Magento table, and a store whose
//!   env.php is [`EnvSpec::magento`] pointing at it, release 2.4.7-p3 and the modules
//!   Magento_Store, Magento_Integration, Magento_JwtUserToken, Magento_User, Magento_Customer,
//!   Magento_Webapi enabled in config.php.
//! * Files: `release`, `modules` (vendor/ trees with the real webapi.xml/acl.xml of
//!   ../shared/magento-reference), `module` / `disable_module` (config.php flags only), `env`,
//!   `env_remove`, `file`, `now` (`--now` for every call).
//! * Rows: `row`, `sql`, `config`, `config_scoped`, `admin` (sha256-hashed password, linked to
//!   the group role 1 "Administrators" that holds `Magento_Backend::all`), `customer`,
//!   `integration` (+ `bearer`), `role`, `rule`.
//! * Calls: `diagnose(args)` (`diagnose ARGS --root R --offline --format json [--now]`),
//!   `oauth_sign(request, creds, nonce, timestamp)` (an OAuth header by `m2auth oauth:sign`),
//!   `password_file(password)`,
//!   `run(args)` (any command: `ARGS --root R --format json [--now]`) → [`Outcome`],
//! * [`Outcome`]: `expect_root_cause`, `expect_no_error`, `expect_codes` (exactly, in order),
//!   `expect_code` / `expect_no_code`, `expect_severity`, `expect_exit`, `expect_none_of_step`,
//!   `finding`, `doc`, `codes`.
//! * Helpers: [`jwt`] (a Magento JWT for any claims, signed with the env.php crypt key),
//!   [`jwt_signed_with`], [`password_hash`], [`db_time`], [`at`].
#![allow(dead_code)]

use std::cell::RefCell;
use std::path::Path;

use serde_json::Value;

use super::fixture::MAGENTO_CRYPT_KEY;
use super::{EnvSpec, FixtureStore, LabDb, Php};

/// The modules every scenario store enables (config.php), before [`Scenario::modules`].
pub const BASE_MODULES: &[&str] = &[
    "Magento_Store",
    "Magento_Integration",
    "Magento_JwtUserToken",
    "Magento_User",
    "Magento_Customer",
    "Magento_Webapi",
];

/// The salt of every password hash [`Scenario::admin`] and [`Scenario::customer`] store.
pub const SALT: &str = "Xb7TqPz0aLm3Nc9RvW2yKd5Hs8Jf1Ge4";

/// A lab store and database being set up, then diagnosed.
pub struct Scenario {
    db: LabDb,
    store: FixtureStore,
    env: RefCell<EnvSpec>,
    /// config.php flags, in order.
    flags: RefCell<Vec<(String, bool)>>,
    now: RefCell<Option<String>>,
    next_admin: RefCell<i64>,
    next_customer: RefCell<i64>,
}

impl Scenario {
    /// A fresh lab database and store (see the module doc), or `None` without the lab.
    pub fn new() -> Option<Scenario> {
        let lab = super::mariadb()?;
        let db = lab.database("");
        let store = FixtureStore::new();
        let env = EnvSpec::magento(&db);
        store.composer_lock("magento/product-community-edition", "2.4.7-p3");
        // The group every `admin` joins.
        db.role(1, 0, "G", 0, "2", "Administrators");
        db.rule(1, "Magento_Backend::all", "allow");
        Some(Scenario {
            db,
            store,
            env: RefCell::new(env),
            flags: RefCell::new(BASE_MODULES.iter().map(|m| (m.to_string(), true)).collect()),
            now: RefCell::new(None),
            next_admin: RefCell::new(1),
            next_customer: RefCell::new(1),
        })
    }

    pub fn db(&self) -> &LabDb {
        &self.db
    }

    pub fn store(&self) -> &FixtureStore {
        &self.store
    }

    pub fn root(&self) -> &Path {
        self.store.root()
    }

    // --- files --------------------------------------------------------------------------------

    /// `magento/product-community-edition` at `version` in composer.lock.
    pub fn release(&self, version: &str) -> &Self {
        self.store
            .composer_lock("magento/product-community-edition", version);
        self
    }

    /// Modules installed under vendor/ with their real webapi.xml and acl.xml, enabled.
    pub fn modules(&self, modules: &[(&str, &str)]) -> &Self {
        for (name, package) in modules {
            self.store.vendor_module(name, package);
            self.module(name, true);
        }
        self
    }

    /// A module's config.php flag (no files).
    pub fn module(&self, name: &str, enabled: bool) -> &Self {
        let mut flags = self.flags.borrow_mut();
        match flags.iter_mut().find(|(m, _)| m == name) {
            Some(f) => f.1 = enabled,
            None => flags.push((name.to_string(), enabled)),
        }
        self
    }

    /// Set an env.php value at a `/` path (`crypt/key`, `backend/frontName`).
    pub fn env(&self, path: &str, value: impl Into<Php>) -> &Self {
        self.env.borrow_mut().set(path, value);
        self
    }

    pub fn env_remove(&self, path: &str) -> &Self {
        self.env.borrow_mut().remove(path);
        self
    }

    /// Any file of the store tree.
    pub fn file(&self, rel: &str, contents: &str) -> &Self {
        self.store.file(rel, contents);
        self
    }

    /// Every call runs at this instant (`--now`, RFC 3339 or Unix seconds via [`at`]).
    pub fn now(&self, now: &str) -> &Self {
        *self.now.borrow_mut() = Some(now.to_string());
        self
    }

    // --- rows ---------------------------------------------------------------------------------

    /// A row of a logical table; returns `self` (use `db().insert` for the new id).
    pub fn row(&self, table: &str, cols: &[(&str, mysql::Value)]) -> &Self {
        self.db.insert(table, cols);
        self
    }

    /// Any SQL (tables by their unprefixed names: the scenario database has no prefix).
    pub fn sql(&self, sql: &str) -> &Self {
        self.db.exec(sql);
        self
    }

    /// A `core_config_data` value at the default scope.
    pub fn config(&self, path: &str, value: &str) -> &Self {
        self.config_scoped(path, "default", 0, value)
    }

    pub fn config_scoped(&self, path: &str, scope: &str, scope_id: i64, value: &str) -> &Self {
        self.row(
            "core_config_data",
            &[
                ("scope", scope.into()),
                ("scope_id", scope_id.into()),
                ("path", path.into()),
                ("value", value.into()),
            ],
        )
    }

    /// An active admin (ids 1, 2, … in call order) with `password` (sha256, version 1), in
    /// the "Administrators" group (`Magento_Backend::all`).
    pub fn admin(&self, name: &str, password: &str) -> &Self {
        let id = self.admin_row(name, password);
        self.db
            .role(100 + id, 1, "U", id, "2", &format!("{name} role"));
        self
    }

    /// An active admin without any role row; returns its id.
    pub fn admin_row(&self, name: &str, password: &str) -> i64 {
        let id = {
            let mut n = self.next_admin.borrow_mut();
            *n += 1;
            *n - 1
        };
        self.db.insert(
            "admin_user",
            &[
                ("user_id", id.into()),
                ("firstname", "Ad".into()),
                ("lastname", "Min".into()),
                ("username", name.into()),
                ("email", format!("{name}@example.test").into()),
                ("password", password_hash(password).into()),
                ("is_active", 1.into()),
            ],
        );
        id
    }

    /// An active customer of website 1 (ids 1, 2, … in call order) with `password`.
    pub fn customer(&self, email: &str, password: &str) -> &Self {
        let id = {
            let mut n = self.next_customer.borrow_mut();
            *n += 1;
            *n - 1
        };
        self.db.insert(
            "customer_entity",
            &[
                ("entity_id", id.into()),
                ("website_id", 1.into()),
                ("store_id", 1.into()),
                ("email", email.into()),
                ("firstname", "C".into()),
                ("lastname", "D".into()),
                ("group_id", 1.into()),
                ("password_hash", password_hash(password).into()),
                ("is_active", 1.into()),
            ],
        );
        self
    }

    /// An active integration `id` with its consumer (`key{id:029}` / `sec{id:029}`) and access
    /// token (secret `ts{id:030}`), see [`LabDb::integration`].
    pub fn integration(&self, id: i64, name: &str, token: &str) -> &Self {
        self.db.integration(id, name, token);
        self
    }

    /// Integration tokens accepted as Bearer tokens (`enable_integration_as_bearer` = 1).
    pub fn bearer(&self) -> &Self {
        self.db.integration_as_bearer();
        self
    }

    /// An `authorization_role` row, see [`LabDb::role`].
    pub fn role(
        &self,
        id: i64,
        parent: i64,
        kind: &str,
        user: i64,
        user_type: &str,
        name: &str,
    ) -> &Self {
        self.db.role(id, parent, kind, user, user_type, name);
        self
    }

    /// An `authorization_rule` row.
    pub fn rule(&self, role: i64, resource: &str, permission: &str) -> &Self {
        self.db.rule(role, resource, permission);
        self
    }

    // --- calls --------------------------------------------------------------------------------

    fn write_files(&self) {
        self.store.env(&self.env.borrow());
        let flags = self.flags.borrow();
        let flags: Vec<(&str, bool)> = flags.iter().map(|(m, on)| (m.as_str(), *on)).collect();
        self.store.config_php(&flags);
    }

    /// `m2auth diagnose ARGS --root R --offline --format json` (and `--now`).
    pub fn diagnose(&self, args: &[&str]) -> Outcome {
        let mut all = vec!["diagnose"];
        all.extend_from_slice(args);
        all.push("--offline");
        self.run(&all)
    }

    /// `m2auth ARGS --root R --format json` (and `--now` when set and not in ARGS).
    pub fn run(&self, args: &[&str]) -> Outcome {
        self.write_files();
        let root = self.root().to_str().unwrap().to_string();
        let now = self.now.borrow().clone();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", &root, "--format", "json"]);
        if let Some(now) = &now
            && !args.contains(&"--now")
        {
            all.extend_from_slice(&["--now", now]);
        }
        let (code, doc, stderr) = super::report::run_json_doc(&all, self.root());
        Outcome {
            args: args.iter().map(|a| a.to_string()).collect(),
            code,
            doc,
            stderr,
        }
    }

    /// `m2auth ARGS --root R` as text (and `--now` when set and not in ARGS): (exit code,
    /// stdout, stderr).
    pub fn run_text(&self, args: &[&str]) -> (i32, String, String) {
        self.write_files();
        let root = self.root().to_str().unwrap().to_string();
        let now = self.now.borrow().clone();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", &root]);
        if let Some(now) = &now
            && !args.contains(&"--now")
        {
            all.extend_from_slice(&["--now", now]);
        }
        let out = super::m2auth(&all, self.root());
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The `Authorization` header `m2auth oauth:sign` makes for `request` (`METHOD URL`) with
    /// `creds` (`key,secret,token,token_secret`), this nonce and timestamp.
    pub fn oauth_sign(&self, request: &str, creds: &str, nonce: &str, timestamp: i64) -> String {
        let ts = timestamp.to_string();
        let out = self.run(&[
            "oauth:sign",
            "--request",
            request,
            "--oauth",
            creds,
            "--nonce",
            nonce,
            "--timestamp",
            &ts,
        ]);
        assert_eq!(out.code, 0, "oauth:sign: {}", out.ctx());
        out.doc["authorization"].as_str().unwrap().to_string()
    }

    /// A password file in the store (for `--password-file`); returns its path.
    pub fn password_file(&self, password: &str) -> String {
        let p = self.store.path("password.txt");
        std::fs::write(&p, format!("{password}\n")).unwrap();
        p.to_str().unwrap().to_string()
    }
}

/// What one m2auth call answered, with the expectations as chainable methods (each panics with
/// the whole report when it does not hold).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub args: Vec<String>,
    pub code: i32,
    pub doc: Value,
    pub stderr: String,
}

impl Outcome {
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// The codes of every finding, in report order.
    pub fn codes(&self) -> Vec<String> {
        super::report::codes(&self.doc)
    }

    fn ctx(&self) -> String {
        format!(
            "{:?} (exit {}):\n{:#}\nstderr: {}",
            self.args, self.code, self.doc, self.stderr
        )
    }

    /// The finding with `code` (panics when there is none).
    pub fn finding(&self, code: &str) -> &Value {
        self.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no {code}: {}", self.ctx()))
    }

    pub fn expect_exit(self, code: i32) -> Self {
        assert_eq!(self.code, code, "exit code: {}", self.ctx());
        self
    }

    /// The report's `root_cause` is `code`.
    pub fn expect_root_cause(self, code: &str) -> Self {
        assert_eq!(self.doc["root_cause"], code, "root cause: {}", self.ctx());
        self
    }

    /// No finding of severity error (and no root cause).
    pub fn expect_no_error(self) -> Self {
        let errors: Vec<String> = self.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        assert!(errors.is_empty(), "errors {errors:?}: {}", self.ctx());
        assert!(
            self.doc["root_cause"].is_null(),
            "root cause: {}",
            self.ctx()
        );
        self
    }

    /// Exactly these codes, in report order.
    pub fn expect_codes(self, codes: &[&str]) -> Self {
        assert_eq!(self.codes(), codes, "codes: {}", self.ctx());
        self
    }

    pub fn expect_code(self, code: &str) -> Self {
        assert!(
            self.codes().iter().any(|c| c == code),
            "no {code}: {}",
            self.ctx()
        );
        self
    }

    pub fn expect_no_code(self, code: &str) -> Self {
        assert!(
            !self.codes().iter().any(|c| c == code),
            "{code} present: {}",
            self.ctx()
        );
        self
    }

    /// The finding `code` has this severity (`error`, `warning`, `info`).
    pub fn expect_severity(self, code: &str, severity: &str) -> Self {
        assert_eq!(
            self.finding(code)["severity"],
            severity,
            "{code}: {}",
            self.ctx()
        );
        self
    }

    /// None of the findings belongs to troubleshooting step `step`.
    pub fn expect_none_of_step(self, step: u8) -> Self {
        let of_step: Vec<&Value> = self.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["step"] == step)
            .collect();
        assert!(
            of_step.is_empty(),
            "step {step} findings {of_step:?}: {}",
            self.ctx()
        );
        self
    }
}

/// Magento's stored hash of `password`, version 1 (sha256 of salt + password): `hex:salt:1`.
pub fn password_hash(password: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{SALT}{password}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}:{SALT}:1")
}

/// A Magento JWT (HS256, kid 1) for these claims, signed with the crypt key of every scenario
/// store ([`EnvSpec::magento`]'s).
pub fn jwt(uid: i64, utypid: i64, iat: i64, exp: i64) -> String {
    jwt_signed_with(MAGENTO_CRYPT_KEY, uid, utypid, iat, exp)
}

/// A Magento JWT signed with the crypt key `key` (padded as `SecretBasedJwksFactory` pads it).
pub fn jwt_signed_with(key: &str, uid: i64, utypid: i64, iat: i64, exp: i64) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let e = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let signing_input = format!(
        "{}.{}",
        e(serde_json::json!({"kid": "1", "alg": "HS256"})),
        e(serde_json::json!({"uid": uid, "utypid": utypid, "iat": iat, "exp": exp}))
    );
    let secret = m2auth::magento::jwt::derive_secret(key);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&secret).unwrap();
    mac.update(signing_input.as_bytes());
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// Unix seconds as RFC 3339 (for `--now`).
pub fn at(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).unwrap().to_string()
}

/// Unix seconds as a MySQL DATETIME (UTC).
pub fn db_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}
