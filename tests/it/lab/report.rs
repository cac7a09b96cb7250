//! Running m2auth on a fixture store and reading its JSON report: the helpers the integration
//! tests share (`lab::report::…`).

use std::path::{Path, PathBuf};

use m2auth::context::{Context, LoadOptions};
use m2auth::store::server::Sources;
use serde_json::Value;

use super::FixtureStore;

/// The codes of the server-configuration findings.
pub const SERVER_CODES: &[&str] = &[
    "apache-htaccess-ignored",
    "apache-fcgi-strips-authorization",
    "server-denies-path",
    "basic-auth-in-front",
    "auth-header-stripped",
];

/// Magento's stock pub/.htaccess rule passing the Authorization header on to PHP, as indented there.
pub const RULE: &str = "    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]";

/// The env.php of a store whose document root is pub/ (base64 crypt key, admin path shop_admin).
pub const PUB_DOCROOT_ENV_PHP: &str = "<?php\nreturn ['crypt' => ['key' => 'base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g='], 'backend' => ['frontName' => 'shop_admin'], 'directories' => ['document_root_is_pub' => true]];\n";

/// A store m2auth can read without a database: env.php with docroot pub/ and a config.php that
/// enables Magento_Store. Callers add pub/ files themselves.
pub fn pub_docroot_store() -> FixtureStore {
    let s = FixtureStore::new();
    s.env_php(PUB_DOCROOT_ENV_PHP);
    s.config_php(&[("Magento_Store", true)]);
    s
}

/// A [`pub_docroot_store`] with a stub pub/index.php and, when given, that pub/.htaccess.
pub fn pub_store(pub_htaccess: Option<&str>) -> FixtureStore {
    let s = pub_docroot_store();
    s.file("pub/index.php", "<?php\n");
    if let Some(h) = pub_htaccess {
        s.file("pub/.htaccess", h);
    }
    s
}

/// The store's root, canonical: the path server configurations name.
pub fn root_of(s: &FixtureStore) -> PathBuf {
    s.root().canonicalize().unwrap()
}

/// Runs m2auth with `args` plus `--root <store>` in the store: (stdout, stderr, exit code).
pub fn run_at_root(s: &FixtureStore, args: &[&str]) -> (String, String, i32) {
    let root = s.root().to_str().unwrap().to_string();
    let mut all = args.to_vec();
    all.extend(["--root", root.as_str()]);
    let out = super::m2auth(&all, s.root());
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap(),
    )
}

/// Runs m2auth with `args` (which ask for `--format json`) in `cwd`: (exit code or -1, the JSON
/// document, stderr). Panics with both streams when stdout is not JSON.
pub fn run_json_doc(args: &[&str], cwd: &Path) -> (i32, Value, String) {
    let out = super::m2auth(args, cwd);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}), exit {code}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    // Every diagnose and audit report any test reads (the scenarios' among them) holds to the
    // JSON contract: docs/diagnose.schema.json.
    if matches!(args.first(), Some(&"diagnose" | &"audit")) && code != 2 {
        assert_diagnose_schema(&doc, args);
    }
    (code, doc, stderr)
}

/// docs/diagnose.schema.json, read and compiled once.
pub fn diagnose_schema() -> &'static jsonschema::Validator {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnose.schema.json");
        let text = std::fs::read_to_string(&path).expect("docs/diagnose.schema.json");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        jsonschema::draft202012::new(&schema).expect("the schema compiles")
    })
}

/// Panics with every violation when `doc` does not hold to docs/diagnose.schema.json.
pub fn assert_diagnose_schema(doc: &Value, args: &[&str]) {
    let errors: Vec<String> = diagnose_schema()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{args:?}: the JSON breaks docs/diagnose.schema.json:\n  {}\n{doc:#}",
        errors.join("\n  ")
    );
}

/// The codes of every finding, in report order.
///
/// Step 5 (file permissions) is left out: `diagnose` makes a quick permission pass over every
/// store, and the fixture stores are written with the test process's umask and owner, not as a
/// deployed store would be; step 5 has its own scenarios (tests/it/scenarios/perms.rs), which
/// read the findings with [`codes_of_step`].
pub fn codes(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["step"] != 5)
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// The codes of one step's findings, in report order.
pub fn codes_of_step(doc: &Value, step: u8) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["step"] == step)
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// The finding with `code`; panics (with the report) when there is none.
pub fn finding<'a>(doc: &'a Value, code: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code}: {doc:#}"))
}

/// The reasons (as strings) the server-config check gave for what it skipped.
pub fn server_config_skips(doc: &Value) -> Vec<String> {
    doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["check"] == "server-config")
        .map(|k| k["reason"].as_str().unwrap().to_string())
        .collect()
}

/// The checks' context for the store as the CLI loads it (database from env.php, no request),
/// with the server configurations `server`.
pub fn context(s: &FixtureStore, server: Sources) -> Context {
    Context::load(LoadOptions {
        root: s.root().to_path_buf(),
        db: m2auth::store::db::DbChoice::Env,
        now: None,
        request: None,
        env: &m2auth::store::envphp::ProcessEnv,
        server,
        progress: &m2auth::progress::Silent,
    })
    .unwrap()
}

/// Writes each `(path relative to dir, content)`, creating the directories on the way: a
/// configuration tree in a temp dir.
pub fn write_tree(dir: &Path, files: &[(&str, &str)]) {
    for (rel, content) in files {
        write_file(dir, rel, content);
    }
}

/// Writes `content` to `dir/rel`, creating the directories on the way.
pub fn write_file(dir: &Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
}

/// Magento's real pub/.htaccess (2.4.5), read in place from the reference tree; `None` when the
/// reference is not there.
pub fn magento_pub_htaccess() -> Option<String> {
    let dir = super::reference_dir()?;
    Some(std::fs::read_to_string(dir.join("server/pub.htaccess")).unwrap())
}
