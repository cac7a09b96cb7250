//! `m2auth info` end to end: the binary on lab stores, from a live database and from the real
//! mysqldump of the same database, across env.php, host and layout variants.

use std::path::Path;
use std::process::Output;

use crate::lab;
use crate::lab::{EnvSpec, FixtureStore, LabDb};
use serde_json::Value;

/// `m2auth ARGS --allow-partial`: these tests look at what `info` reports of a database it cannot
/// read (without the flag that is exit 2 after the report:
/// [`unreachable_denied_and_unknown_database_are_reported_then_exit_2`]).
fn run(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_m2auth"));
    cmd.args(args)
        .arg("--allow-partial")
        .current_dir(cwd)
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run m2auth")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// `info --format json` on the store, once against the live database and once against its
/// real mysqldump (plain and gzipped); returns the three documents.
fn info_everywhere(store: &FixtureStore, db: &LabDb) -> Vec<Value> {
    let root = store.root().to_str().unwrap();
    let live = json_of(&run(
        &["info", "--format", "json", "--root", root],
        store.root(),
        &[],
    ));
    let mut docs = vec![live];
    for (name, gz) in [("dump.sql", false), ("dump.sql.gz", true)] {
        let path = store.path(name);
        db.mysqldump(&path, gz);
        let out = run(
            &[
                "info",
                "--format",
                "json",
                "--root",
                root,
                "--dump",
                path.to_str().unwrap(),
            ],
            store.root(),
            &[],
        );
        docs.push(json_of(&out));
    }
    docs
}

fn composer_store(db: &LabDb) -> FixtureStore {
    let store = FixtureStore::new();
    store.env(&EnvSpec::magento(db));
    store.config_php(&[
        ("Magento_Store", true),
        ("Magento_Backend", true),
        ("Magento_Catalog", true),
        ("Magento_Customer", true),
        ("Magento_Integration", true),
        ("Magento_Webapi", true),
        ("Magento_TwoFactorAuth", false),
    ]);
    for (m, p) in [
        ("Magento_Store", "magento/module-store"),
        ("Magento_Backend", "magento/module-backend"),
        ("Magento_Catalog", "magento/module-catalog"),
        ("Magento_Customer", "magento/module-customer"),
        ("Magento_Integration", "magento/module-integration"),
        ("Magento_Webapi", "magento/module-webapi"),
        ("Magento_TwoFactorAuth", "magento/module-two-factor-auth"),
    ] {
        store.vendor_module(m, p);
    }
    store.composer_lock("magento/product-community-edition", "2.4.7-p3");
    store
}

#[test]
fn composer_store_live_and_dump_agree() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    for (i, doc) in info_everywhere(&store, &db).iter().enumerate() {
        assert_eq!(doc["magento"]["version"], "2.4.7-p3", "{doc}");
        assert_eq!(doc["magento"]["edition"], "community");
        assert_eq!(doc["magento"]["mode"], "production");
        assert_eq!(doc["modules"]["enabled"].as_array().unwrap().len(), 6);
        assert_eq!(
            doc["modules"]["disabled"],
            serde_json::json!(["Magento_TwoFactorAuth"])
        );
        assert_eq!(doc["db"]["source"], if i == 0 { "live" } else { "dump" });
        assert_eq!(doc["db"]["reachable"], true, "{doc}");
        assert_eq!(doc["db"]["table_prefix"], "");
        assert_eq!(doc["crypt"]["keys"], 1);
        assert_eq!(doc["cache"]["default"]["backend"], "file");
        assert_eq!(doc["cache"]["page_cache"]["backend"], "file");
        assert_eq!(doc["session"]["save"], "files");
        assert!(
            doc["session"]["location"]
                .as_str()
                .is_some_and(|l| l.contains("var/session (when PHP sets no session.save_path)")),
            "{doc}"
        );
        assert_eq!(doc["admin"]["front_name"], "admin");
        assert_eq!(doc["stores"], serde_json::json!(["admin", "default"]));
    }
    let live = &info_everywhere(&store, &db)[0];
    assert_eq!(live["db"]["socket"], lab.socket.display().to_string());
    assert_eq!(live["db"]["name"], db.name());
    assert_eq!(live["db"]["host"], Value::Null);
}

#[test]
fn table_prefix_is_applied_to_live_and_dump() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("m2_");
    db.insert(
        "store",
        &[
            ("store_id", 2.into()),
            ("code", "fr".into()),
            ("website_id", 1.into()),
            ("group_id", 1.into()),
            ("name", "French".into()),
            ("sort_order", 0.into()),
            ("is_active", 1.into()),
        ],
    );
    let store = composer_store(&db);
    for doc in info_everywhere(&store, &db) {
        assert_eq!(doc["db"]["table_prefix"], "m2_");
        assert_eq!(
            doc["stores"],
            serde_json::json!(["admin", "default", "fr"]),
            "{doc}"
        );
    }
}

#[test]
fn host_forms_reach_the_same_database() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let root = store.root().to_str().unwrap().to_string();
    let mut forms: Vec<(String, Option<&str>, Option<u16>)> = vec![
        (db.tcp_host(), Some("127.0.0.1"), Some(lab.port)),
        (lab.socket.display().to_string(), None, None),
    ];
    if lab.ipv6 {
        forms.push((format!("[::1]:{}", lab.port), Some("::1"), Some(lab.port)));
    }
    for (host, want_host, want_port) in forms {
        let mut spec = EnvSpec::magento(&db);
        spec.set("db/connection/default/host", host.as_str());
        store.env(&spec);
        let doc = json_of(&run(
            &["info", "--format", "json", "--root", &root],
            store.root(),
            &[],
        ));
        assert_eq!(doc["db"]["reachable"], true, "host {host}: {doc}");
        assert_eq!(doc["db"]["host"].as_str(), want_host, "host {host}");
        assert_eq!(
            doc["db"]["port"].as_u64(),
            want_port.map(u64::from),
            "host {host}"
        );
        assert_eq!(doc["stores"], serde_json::json!(["admin", "default"]));
    }
    // --db URL, over TCP and through the socket, overrides env.php.
    let mut spec = EnvSpec::magento(&db);
    spec.set("db/connection/default/host", "127.0.0.1:1");
    store.env(&spec);
    for url in [db.tcp_url(), db.socket_url()] {
        let doc = json_of(&run(
            &["info", "--format", "json", "--root", &root, "--db", &url],
            store.root(),
            &[],
        ));
        assert_eq!(doc["db"]["reachable"], true, "{url}: {doc}");
        assert_eq!(doc["db"]["name"], db.name());
    }
}

#[test]
fn unreachable_denied_and_unknown_database_are_reported_then_exit_2() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let root = store.root().to_str().unwrap().to_string();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "db/connection/default/host",
            "127.0.0.1:1".into(),
            "cannot reach",
        ),
        (
            "db/connection/default/password",
            "wrong-password".into(),
            "access denied",
        ),
        (
            "db/connection/default/dbname",
            "no_such_db".into(),
            "does not exist",
        ),
    ];
    for (path, value, expect) in cases {
        let mut spec = EnvSpec::magento(&db);
        spec.set(path, value.as_str().unwrap());
        store.env(&spec);
        let out = run(
            &["info", "--format", "json", "--root", &root],
            store.root(),
            &[],
        );
        let doc = json_of(&out);
        assert_eq!(doc["db"]["reachable"], false);
        let err = doc["db"]["error"].as_str().unwrap_or_default();
        assert!(err.contains(expect), "{path}: {err}");
        assert!(!err.contains("wrong-password"), "a password leaked: {err}");
        // Without --allow-partial: the same report, then exit 2 with one line on stderr.
        let strict = lab::m2auth(&["info", "--format", "json", "--root", &root], store.root());
        assert_eq!(strict.status.code(), Some(2), "{path}");
        let doc: Value = serde_json::from_slice(&strict.stdout).unwrap();
        assert_eq!(doc["db"]["reachable"], false);
        let stderr = String::from_utf8_lossy(&strict.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!stderr.contains("wrong-password"), "{stderr}");
    }
}

#[test]
fn app_code_layout_and_base_package_version() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = FixtureStore::new();
    let mut spec = EnvSpec::magento(&db);
    spec.set("MAGE_MODE", "developer");
    spec.set("backend/frontName", "backoffice_x7");
    spec.set("session/save", "redis");
    spec.set(
        "cache/frontend/default/backend",
        "Magento\\Framework\\Cache\\Backend\\Redis",
    );
    spec.set(
        "cache/frontend/page_cache/backend",
        "Cm_Cache_Backend_Redis",
    );
    spec.set(
        "crypt/key",
        "0123456789abcdef0123456789abcdef\nbase64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g=",
    );
    store.env(&spec);
    store.config_php(&[
        ("Magento_Store", true),
        ("Magento_Catalog", true),
        ("Acme_Api", true),
        ("Acme_Old", false),
    ]);
    store
        .app_code_module("Magento_Store")
        .app_code_module("Magento_Catalog");
    store
        .app_code_module("Acme_Api")
        .app_code_module("Acme_Old");
    store.file(
        "vendor/magento/magento2-base/composer.json",
        r#"{"name": "magento/magento2-base", "version": "2.4.6-p8"}"#,
    );
    let doc = json_of(&run(
        &["info", "--format", "json"],
        &store.path("app/etc"),
        &[],
    ));
    assert_eq!(doc["magento"]["version"], "2.4.6-p8");
    assert_eq!(doc["magento"]["mode"], "developer");
    // enabled and disabled are of one type: arrays of module names (issue 10, item 8).
    let enabled = doc["modules"]["enabled"].as_array().unwrap();
    assert_eq!(enabled.len(), 3);
    assert!(enabled.iter().all(|m| m.is_string()), "{enabled:?}");
    assert!(
        enabled.contains(&serde_json::json!("Magento_Store")),
        "{enabled:?}"
    );
    assert_eq!(doc["modules"]["disabled"], serde_json::json!(["Acme_Old"]));
    assert_eq!(doc["crypt"]["keys"], 2);
    assert_eq!(doc["cache"]["default"]["backend"], "redis");
    assert_eq!(doc["cache"]["page_cache"]["backend"], "redis");
    assert_eq!(doc["session"]["save"], "redis");
    // No session/redis options: Cm_RedisSession's defaults.
    assert_eq!(doc["session"]["location"], "127.0.0.1:6379 db 0");
    assert_eq!(doc["admin"]["front_name"], "backoffice_x7");
}

#[test]
fn environment_values_resolve_or_are_reported_per_key() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let text = EnvSpec::magento(&db).to_php().replace(
        &format!(
            "'password' => '{}'",
            db.password().replace('\\', "\\\\").replace('\'', "\\'")
        ),
        "'password' => getenv('M2AUTH_TEST_DB_PASS')",
    );
    assert!(
        text.contains("getenv('M2AUTH_TEST_DB_PASS')"),
        "the env.php writer changed: {text}"
    );
    store.env_php(&text);
    let root = store.root().to_str().unwrap().to_string();
    let args = ["info", "--format", "json", "--root", root.as_str()];
    let doc = json_of(&run(
        &args,
        store.root(),
        &[("M2AUTH_TEST_DB_PASS", db.password())],
    ));
    assert_eq!(doc["db"]["reachable"], true, "{doc}");
    assert_eq!(doc["unresolved"], serde_json::json!([]));
    let doc = json_of(&run(&args, store.root(), &[]));
    assert_eq!(doc["db"]["reachable"], false);
    assert!(
        doc["db"]["error"]
            .as_str()
            .unwrap()
            .contains("not a literal"),
        "{doc}"
    );
    assert_eq!(
        doc["unresolved"][0]["path"],
        "db/connection/default/password"
    );
    // Everything else still works.
    assert_eq!(doc["magento"]["version"], "2.4.7-p3");
    assert_eq!(doc["crypt"]["keys"], 1);
}

#[test]
fn no_secret_in_any_format() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let mut spec = EnvSpec::magento(&db);
    let key = "base64QWxsIHdvcmsgYW5kIG5vIHBsYXkgbWFrZXMgSmFjayBhIGR1bGwgYm95Lg==";
    spec.set("crypt/key", key);
    spec.set("db/connection/default/password", "S3cret-Pa55word");
    store.env(&spec);
    let root = store.root().to_str().unwrap().to_string();
    for format in ["text", "json"] {
        let out = run(
            &["info", "--format", format, "--root", &root],
            store.root(),
            &[],
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("S3cret-Pa55word"), "{format}: {all}");
        assert!(!all.contains("QWxsIHdvcmsgYW5k"), "{format}: {all}");
    }
}

#[test]
fn common_word_passwords_do_not_garble_the_output() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let mut spec = EnvSpec::magento(&db);
    // The docker/Warden default: the password is a word the report itself uses.
    spec.set("db/connection/default/password", "magento");
    store.env(&spec);
    let root = store.root().to_str().unwrap().to_string();
    let doc = json_of(&run(
        &["info", "--format", "json", "--root", &root],
        store.root(),
        &[],
    ));
    assert_eq!(doc["magento"]["version"], "2.4.7-p3", "{doc}");
    let out = run(&["info", "--root", &root], store.root(), &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("magento     2.4.7-p3"));
}

#[test]
fn a_database_without_magento_tables_is_not_reachable() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let root = store.root().to_str().unwrap().to_string();
    // The wrong table prefix, live and on the dump.
    let mut spec = EnvSpec::magento(&db);
    spec.set("db/table_prefix", "m2_");
    store.env(&spec);
    let doc = json_of(&run(
        &["info", "--format", "json", "--root", &root],
        store.root(),
        &[],
    ));
    assert_eq!(doc["db"]["reachable"], false);
    assert!(
        doc["db"]["error"]
            .as_str()
            .unwrap()
            .contains("m2_core_config_data"),
        "{doc}"
    );
    let dump = store.path("d.sql");
    db.mysqldump(&dump, false);
    let doc = json_of(&run(
        &[
            "info",
            "--format",
            "json",
            "--root",
            &root,
            "--dump",
            dump.to_str().unwrap(),
        ],
        store.root(),
        &[],
    ));
    assert_eq!(doc["db"]["reachable"], false);
    assert!(
        doc["db"]["error"]
            .as_str()
            .unwrap()
            .contains("table prefix 'm2_'"),
        "{doc}"
    );
    // An empty dump.
    let empty = store.path("empty.sql");
    std::fs::write(&empty, "-- nothing here\n").unwrap();
    let doc = json_of(&run(
        &[
            "info",
            "--format",
            "json",
            "--root",
            &root,
            "--dump",
            empty.to_str().unwrap(),
        ],
        store.root(),
        &[],
    ));
    assert_eq!(doc["db"]["reachable"], false, "{doc}");
}

/// env.php as 2.0/2.1 wrote it (`var_export`: `array (`, `NULL`, trailing commas) and as people
/// edit it by hand (comments, tabs, CRLF, `\PDO::` keys, double quotes, code before `return`).
#[test]
fn old_and_hand_edited_env_php_forms_read_the_same_database() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let root = store.root().to_str().unwrap().to_string();
    let q = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    let (sock, name, user, pass) = (
        lab.socket.display().to_string(),
        db.name().to_string(),
        db.user().to_string(),
        db.password().to_string(),
    );
    let old = format!(
        "<?php\nreturn array (\n  'backend' => \n  array (\n    'frontName' => 'admin',\n  ),\n  'crypt' => \n  array (\n    'key' => '0123456789abcdef0123456789abcdef',\n  ),\n  'session' => \n  array (\n    'save' => 'db',\n  ),\n  'db' => \n  array (\n    'table_prefix' => '',\n    'connection' => \n    array (\n      'default' => \n      array (\n        'host' => '{}',\n        'dbname' => '{}',\n        'username' => '{}',\n        'password' => '{}',\n        'active' => '1',\n        'initStatements' => NULL,\n      ),\n    ),\n  ),\n  'MAGE_MODE' => 'default',\n);\n",
        q(&sock),
        q(&name),
        q(&user),
        q(&pass)
    );
    let hand = format!(
        "<?php\r\n// edited by hand\r\n$host = '{}';\r\nreturn [\r\n\t/* admin */\r\n\t'backend' => ['frontName' => \"shop_admin\"], # custom\r\n\t'crypt' => ['key' => \"0123456789abcdef0123456789abcdef\\nbase64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g=\"],\r\n\t'db' => ['table_prefix' => '', 'connection' => ['default' => ['host' => $host, 'dbname' => '{}', 'username' => '{}', 'password' => '{}', 'driver_options' => [\\PDO::MYSQL_ATTR_LOCAL_INFILE => 1,],],],],\r\n\t'MAGE_MODE' => 'developer',\r\n];\r\n",
        q(&sock),
        q(&name),
        q(&user),
        q(&pass)
    );
    for (label, text, mode, keys, front, session) in [
        ("var_export", old, "default", 1, "admin", "db"),
        ("hand-edited", hand, "developer", 2, "shop_admin", "files"),
    ] {
        store.env_php(&text);
        let doc = json_of(&run(
            &["info", "--format", "json", "--root", &root],
            store.root(),
            &[],
        ));
        assert_eq!(doc["db"]["reachable"], true, "{label}: {doc}");
        assert_eq!(doc["magento"]["mode"], mode, "{label}");
        assert_eq!(doc["crypt"]["keys"], keys, "{label}");
        assert_eq!(doc["admin"]["front_name"], front, "{label}");
        assert_eq!(doc["session"]["save"], session, "{label}");
        assert_eq!(
            doc["stores"],
            serde_json::json!(["admin", "default"]),
            "{label}"
        );
    }
}

#[test]
fn a_separate_port_key_works_here_but_is_flagged() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let store = composer_store(&db);
    let mut spec = EnvSpec::magento(&db);
    spec.set("db/connection/default/host", "127.0.0.1");
    spec.set("db/connection/default/port", lab.port.to_string().as_str());
    store.env(&spec);
    let root = store.root().to_str().unwrap().to_string();
    let doc = json_of(&run(
        &["info", "--format", "json", "--root", &root],
        store.root(),
        &[],
    ));
    assert_eq!(doc["db"]["reachable"], true, "{doc}");
    let warnings = doc["db"]["warnings"].to_string();
    assert!(
        warnings.contains("Port must be configured within host"),
        "{warnings}"
    );
}
