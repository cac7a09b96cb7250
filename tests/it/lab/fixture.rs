//! Fixture Magento trees in a temp dir, and an env.php writer producing Magento 2.2+'s
//! `PhpFormatter::varExportShort()` format (short arrays, 4-space indent, no trailing comma after
//! the last element, lists without keys, single-quoted strings escaping only `\` and `'`).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use super::LabDb;

/// A PHP value as env.php holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Php {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An array written without keys (`[ 'a', 'b' ]`).
    List(Vec<Php>),
    /// An array with keys, in order.
    Map(Vec<(PhpKey, Php)>),
    /// PHP source written as is: `getenv('DB_PASS')`, `$_ENV['X'] ?? 'y'`.
    Raw(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum PhpKey {
    Str(String),
    Int(i64),
    /// A class constant written with a leading backslash: `PDO::MYSQL_ATTR_SSL_CA` →
    /// `\PDO::MYSQL_ATTR_SSL_CA`.
    Const(String),
}

impl From<&str> for PhpKey {
    fn from(s: &str) -> Self {
        PhpKey::Str(s.into())
    }
}

impl From<&str> for Php {
    fn from(s: &str) -> Self {
        Php::Str(s.into())
    }
}

impl From<String> for Php {
    fn from(s: String) -> Self {
        Php::Str(s)
    }
}

impl From<i64> for Php {
    fn from(i: i64) -> Self {
        Php::Int(i)
    }
}

impl From<bool> for Php {
    fn from(b: bool) -> Self {
        Php::Bool(b)
    }
}

impl Php {
    /// A map from `(key, value)` pairs with string keys.
    pub fn map<K: Into<PhpKey>, V: Into<Php>>(pairs: impl IntoIterator<Item = (K, V)>) -> Php {
        Php::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// JSON objects → keyed arrays, arrays → lists, numbers, bools, null and strings as themselves.
    pub fn from_json(v: &serde_json::Value) -> Php {
        use serde_json::Value as J;
        match v {
            J::Null => Php::Null,
            J::Bool(b) => Php::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Php::Int(i),
                None => Php::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Php::Str(s.clone()),
            J::Array(a) => Php::List(a.iter().map(Php::from_json).collect()),
            J::Object(o) => Php::Map(
                o.iter()
                    .map(|(k, v)| (PhpKey::Str(k.clone()), Php::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value at a `/` path of string keys.
    pub fn get(&self, path: &str) -> Option<&Php> {
        let mut cur = self;
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let Php::Map(entries) = cur else { return None };
            cur = &entries.iter().rev().find(|(k, _)| key_is(k, seg))?.1;
        }
        Some(cur)
    }

    /// Set the value at a `/` path, creating maps on the way (an existing key keeps its place).
    pub fn set(&mut self, path: &str, value: Php) {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut cur = self;
        for (i, seg) in segs.iter().enumerate() {
            if !matches!(cur, Php::Map(_)) {
                *cur = Php::Map(Vec::new());
            }
            let Php::Map(entries) = cur else {
                unreachable!()
            };
            let pos = match entries.iter().position(|(k, _)| key_is(k, seg)) {
                Some(p) => p,
                None => {
                    entries.push((seg_key(seg), Php::Map(Vec::new())));
                    entries.len() - 1
                }
            };
            if i + 1 == segs.len() {
                entries[pos].1 = value;
                return;
            }
            cur = &mut entries[pos].1;
        }
        *cur = value;
    }

    /// Remove the key at a `/` path (no-op when absent).
    pub fn remove(&mut self, path: &str) {
        let (parent, last) = match path.rsplit_once('/') {
            Some((p, l)) => (p, l),
            None => ("", path),
        };
        let mut cur = self;
        for seg in parent.split('/').filter(|s| !s.is_empty()) {
            let Php::Map(entries) = cur else { return };
            let Some(p) = entries.iter().position(|(k, _)| key_is(k, seg)) else {
                return;
            };
            cur = &mut entries[p].1;
        }
        if let Php::Map(entries) = cur {
            entries.retain(|(k, _)| !key_is(k, last));
        }
    }

    /// The value as PHP source at `depth` levels of indentation (PhpFormatter style).
    pub fn to_php(&self, depth: usize) -> String {
        let pad = "    ".repeat(depth + 1);
        let close = "    ".repeat(depth);
        match self {
            Php::Null => "null".into(),
            Php::Bool(b) => b.to_string(),
            Php::Int(i) => i.to_string(),
            Php::Float(f) => {
                let s = format!("{f:?}");
                if s.contains(['.', 'e', 'E', 'N', 'i']) {
                    s
                } else {
                    format!("{s}.0")
                }
            }
            Php::Str(s) => php_string(s),
            Php::Raw(r) => r.clone(),
            Php::List(items) if items.is_empty() => "[]".into(),
            Php::Map(items) if items.is_empty() => "[]".into(),
            Php::List(items) => {
                let body: Vec<String> = items
                    .iter()
                    .map(|v| format!("{pad}{}", v.to_php(depth + 1)))
                    .collect();
                format!("[\n{}\n{close}]", body.join(",\n"))
            }
            Php::Map(items) => {
                let body: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{pad}{} => {}", php_key(k), v.to_php(depth + 1)))
                    .collect();
                format!("[\n{}\n{close}]", body.join(",\n"))
            }
        }
    }
}

fn key_is(k: &PhpKey, seg: &str) -> bool {
    match k {
        PhpKey::Str(s) => s == seg,
        PhpKey::Int(i) => seg.parse::<i64>().ok() == Some(*i),
        PhpKey::Const(c) => c == seg,
    }
}

fn seg_key(seg: &str) -> PhpKey {
    match seg.parse::<i64>() {
        Ok(i) if i.to_string() == seg => PhpKey::Int(i),
        _ => PhpKey::Str(seg.to_string()),
    }
}

/// A PHP single-quoted string: only `\` and `'` are escaped (as `var_export` does).
pub fn php_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn php_key(k: &PhpKey) -> String {
    match k {
        PhpKey::Str(s) => php_string(s),
        PhpKey::Int(i) => i.to_string(),
        PhpKey::Const(c) => format!("\\{}", c.trim_start_matches('\\')),
    }
}

/// The crypt key `EnvSpec::magento` writes.
pub const MAGENTO_CRYPT_KEY: &str = "base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g=";

/// The content of `app/etc/env.php`, edited as a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvSpec {
    pub root: Php,
}

impl Default for EnvSpec {
    fn default() -> Self {
        EnvSpec {
            root: Php::Map(Vec::new()),
        }
    }
}

impl EnvSpec {
    /// An empty env.php (`return [];`).
    pub fn new() -> EnvSpec {
        EnvSpec::default()
    }

    /// From JSON (objects → keyed arrays, arrays → lists).
    pub fn from_json(v: &serde_json::Value) -> EnvSpec {
        EnvSpec {
            root: Php::from_json(v),
        }
    }

    /// A typical 2.4 env.php as `setup:install` writes it, with `db/connection/default` pointing
    /// at `db` through its unix socket (`host` = the socket path) and `db/table_prefix` = its prefix.
    pub fn magento(db: &LabDb) -> EnvSpec {
        let mut spec = EnvSpec::from_json(&serde_json::json!({
            "backend": { "frontName": "admin" },
            "remote_storage": { "driver": "file" },
            "queue": { "consumers_wait_for_messages": 1 },
            "crypt": { "key": MAGENTO_CRYPT_KEY },
            "db": {
                "table_prefix": "",
                "connection": {}
            },
            "resource": { "default_setup": { "connection": "default" } },
            "x-frame-options": "SAMEORIGIN",
            "MAGE_MODE": "production",
            "session": { "save": "files" },
            "lock": { "provider": "db" },
            "directories": { "document_root_is_pub": true },
            "cache_types": {
                "config": 1, "layout": 1, "block_html": 1, "collections": 1, "reflection": 1,
                "db_ddl": 1, "compiled_config": 1, "eav": 1, "customer_notification": 1,
                "config_integration": 1, "config_integration_api": 1, "full_page": 1,
                "config_webservice": 1, "translate": 1
            },
            "downloadable_domains": ["localhost"],
            "install": { "date": "Wed, 19 Apr 2023 15:45:39 +0000" }
        }));
        spec.db(db);
        spec
    }

    /// Point `db/connection/default` at `db` (socket host) and set `db/table_prefix`.
    pub fn db(&mut self, db: &LabDb) -> &mut Self {
        self.set("db/table_prefix", db.prefix());
        self.set(
            "db/connection/default",
            Php::Map(vec![
                ("host".into(), Php::Str(db.lab.socket.display().to_string())),
                ("dbname".into(), db.name().into()),
                ("username".into(), db.user().into()),
                ("password".into(), db.password().into()),
                ("model".into(), "mysql4".into()),
                ("engine".into(), "innodb".into()),
                ("initStatements".into(), "SET NAMES utf8;".into()),
                ("active".into(), "1".into()),
                (
                    "driver_options".into(),
                    Php::Map(vec![(PhpKey::Int(1014), Php::Bool(false))]),
                ),
            ]),
        );
        self
    }

    /// Set a value at a `/` path (`db/connection/default/host`), creating arrays on the way.
    pub fn set(&mut self, path: &str, value: impl Into<Php>) -> &mut Self {
        self.root.set(path, value.into());
        self
    }

    pub fn remove(&mut self, path: &str) -> &mut Self {
        self.root.remove(path);
        self
    }

    pub fn get(&self, path: &str) -> Option<&Php> {
        self.root.get(path)
    }

    /// The file text: `<?php\nreturn [...];\n`.
    pub fn to_php(&self) -> String {
        format!("<?php\nreturn {};\n", self.root.to_php(0))
    }
}

/// A Magento installation tree in a temp dir (deleted on drop).
pub struct FixtureStore {
    dir: tempfile::TempDir,
    locked: RefCell<Vec<(String, String)>>,
}

impl Default for FixtureStore {
    fn default() -> Self {
        Self::new()
    }
}

impl FixtureStore {
    /// An empty tree with `app/etc/`.
    pub fn new() -> FixtureStore {
        let dir = tempfile::Builder::new()
            .prefix("m2auth-store-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("app/etc")).unwrap();
        FixtureStore {
            dir,
            locked: RefCell::new(Vec::new()),
        }
    }

    /// The Magento root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Write a file (parents created).
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("fixture: {}: {e}", p.display()));
        self
    }

    /// `app/etc/env.php`, raw text.
    pub fn env_php(&self, text: &str) -> &Self {
        self.file("app/etc/env.php", text)
    }

    /// `app/etc/env.php` written from a spec.
    pub fn env(&self, spec: &EnvSpec) -> &Self {
        self.env_php(&spec.to_php())
    }

    /// `app/etc/config.php` with these module flags (1/0), in order.
    pub fn config_php(&self, modules: &[(&str, bool)]) -> &Self {
        let spec = EnvSpec {
            root: Php::Map(vec![(
                "modules".into(),
                Php::Map(
                    modules
                        .iter()
                        .map(|(m, on)| (PhpKey::Str(m.to_string()), Php::Int(*on as i64)))
                        .collect(),
                ),
            )]),
        };
        self.file("app/etc/config.php", spec.to_php())
    }

    /// `vendor/<package>/` for module `name` (`Magento_Catalog`, `magento/module-catalog`):
    /// `etc/module.xml`, `registration.php`, `composer.json`, and the module's real `webapi.xml`
    /// and `acl.xml` copied from the reference folder when it has them.
    pub fn vendor_module(&self, name: &str, package: &str) -> &Self {
        let base = format!("vendor/{package}");
        self.module_files(name, &base);
        self.file(
            &format!("{base}/composer.json"),
            serde_json::to_string_pretty(&serde_json::json!({
                "name": package,
                "type": "magento2-module",
                "autoload": { "files": ["registration.php"] }
            }))
            .unwrap(),
        );
        if let Some(short) = name.split_once('_').map(|(_, m)| m)
            && let Some(reference) = super::reference_dir()
        {
            for f in ["webapi.xml", "acl.xml"] {
                let src = reference.join(short).join("etc").join(f);
                if src.is_file() {
                    std::fs::create_dir_all(self.path(&format!("{base}/etc"))).unwrap();
                    std::fs::copy(&src, self.path(&format!("{base}/etc/{f}"))).unwrap();
                }
            }
        }
        self
    }

    /// `app/code/<Vendor>/<Module>/` for `name` (`Acme_Api`): `etc/module.xml` and `registration.php`.
    pub fn app_code_module(&self, name: &str) -> &Self {
        let (vendor, module) = name.split_once('_').expect("module name Vendor_Module");
        self.module_files(name, &format!("app/code/{vendor}/{module}"))
    }

    fn module_files(&self, name: &str, base: &str) -> &Self {
        self.file(
            &format!("{base}/etc/module.xml"),
            format!(
                "<?xml version=\"1.0\"?>\n<config xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                 xsi:noNamespaceSchemaLocation=\"urn:magento:framework:Module/etc/module.xsd\">\n    \
                 <module name=\"{name}\"/>\n</config>\n"
            ),
        );
        self.file(
            &format!("{base}/registration.php"),
            format!(
                "<?php\nuse Magento\\Framework\\Component\\ComponentRegistrar;\n\n\
                 ComponentRegistrar::register(ComponentRegistrar::MODULE, '{name}', __DIR__);\n"
            ),
        )
    }

    /// Add a package to `composer.lock` (rewritten with every package added so far).
    pub fn composer_lock(&self, package: &str, version: &str) -> &Self {
        let mut locked = self.locked.borrow_mut();
        locked.retain(|(p, _)| p != package);
        locked.push((package.to_string(), version.to_string()));
        let packages: Vec<serde_json::Value> = locked
            .iter()
            .map(|(p, v)| {
                let ty = if p.contains("/module-") {
                    "magento2-module"
                } else if p.contains("/product-") {
                    "metapackage"
                } else {
                    "library"
                };
                serde_json::json!({ "name": p, "version": v, "type": ty })
            })
            .collect();
        let lock = serde_json::json!({
            "_readme": ["This file locks the dependencies of your project to a known state"],
            "content-hash": "0123456789abcdef0123456789abcdef",
            "packages": packages,
            "packages-dev": []
        });
        drop(locked);
        self.file(
            "composer.lock",
            serde_json::to_string_pretty(&lock).unwrap(),
        )
    }
}
