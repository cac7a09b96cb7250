//! `m2auth diagnose` and `audit` end to end on lab stores: each finding code of the foundation
//! produced by a scenario and absent on a healthy store, the JSON contract, the text report,
//! exit codes and masking.

use crate::lab;
use crate::lab::m2auth as run;
use crate::lab::report::{codes, finding};
use crate::lab::{EnvSpec, FixtureStore, LabDb};
use serde_json::Value;

const GOOD_KEY: &str = "base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g=";

fn diagnose_json(store: &FixtureStore, extra: &[&str]) -> (i32, Value) {
    let root = store.root().to_str().unwrap();
    let mut args = vec!["diagnose", "--format", "json", "--root", root];
    args.extend_from_slice(extra);
    let (code, doc, _) = lab::report::run_json_doc(&args, store.root());
    (code, doc)
}

/// A healthy 2.4.7-p3 store: base64 key, custom admin path, 2FA enabled.
fn healthy(db: &LabDb) -> (FixtureStore, EnvSpec) {
    let store = FixtureStore::new();
    let mut spec = EnvSpec::magento(db);
    spec.set("crypt/key", GOOD_KEY);
    spec.set("backend/frontName", "backoffice_q7");
    store.env(&spec);
    store.config_php(&[
        ("Magento_Store", true),
        ("Magento_Integration", true),
        ("Magento_JwtUserToken", true),
        ("Magento_TwoFactorAuth", true),
    ]);
    store.vendor_module("Magento_TwoFactorAuth", "magento/module-two-factor-auth");
    store.composer_lock("magento/product-community-edition", "2.4.7-p3");
    (store, spec)
}

#[test]
fn healthy_store_has_no_findings() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, _) = healthy(&db);
    let (code, doc) = diagnose_json(&store, &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(codes(&doc), Vec::<String>::new(), "{doc}");
    assert_eq!(doc["root_cause"], Value::Null);
    // And from the dump of the same database.
    let dump = store.path("db.sql");
    db.mysqldump(&dump, false);
    let (code, doc) = diagnose_json(&store, &["--dump", dump.to_str().unwrap()]);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    // The whole audit also wants the newest patch of the release line and a fresh backup.
    store.composer_lock("magento/product-community-edition", "2.4.7-p10");
    store.file("var/backups/1796000000_db.sql", "-- a dump\n");
    let (code, doc) = {
        let root = store.root().to_str().unwrap();
        let out = run(&["audit", "--format", "json", "--root", root], store.root());
        (
            out.status.code().unwrap(),
            serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        )
    };
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
}

#[test]
fn json_report_follows_the_contract() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, mut spec) = healthy(&db);
    spec.remove("crypt");
    spec.set("backend/frontName", "admin");
    store.env(&spec);
    let token =
        "eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ.eyJ1aWQiOjEsInV0eXBpZCI6Mn0.c2lnbmF0dXJlc2lnbmF0dXJl";
    let (code, doc) = diagnose_json(
        &store,
        &[
            "--offline",
            "--request",
            "GET https://shop.example.test/rest/default/V1/products",
            "--token",
            token,
        ],
    );
    assert_eq!(code, 1);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "tool",
        "target",
        "request",
        "root_cause",
        "findings",
        "skipped",
    ] {
        assert!(keys.contains(&k), "missing {k}: {doc}");
    }
    assert_eq!(doc["tool"]["name"], "m2auth");
    assert_eq!(doc["target"]["root"], store.root().to_str().unwrap());
    assert_eq!(doc["target"]["magento_version"], "2.4.7-p3");
    assert_eq!(doc["target"]["mode"], "production");
    assert_eq!(doc["request"]["method"], "GET");
    assert_eq!(
        doc["request"]["url"],
        "https://shop.example.test/rest/default/V1/products"
    );
    assert_eq!(doc["request"]["auth"], "bearer-jwt-admin");
    assert_eq!(doc["root_cause"], "crypt-key-missing");
    let first = &doc["findings"][0];
    assert_eq!(
        first["code"], "crypt-key-missing",
        "root cause first: {doc}"
    );
    for k in [
        "code", "step", "severity", "title", "detail", "evidence", "fix",
    ] {
        assert!(first.get(k).is_some(), "finding lacks {k}");
    }
    assert_eq!(first["step"], 1);
    assert_eq!(first["severity"], "error");
    assert!(
        first["evidence"][0]["source"]
            .as_str()
            .unwrap()
            .starts_with("file:app/etc/env.php")
    );
    let admin = finding(&doc, "audit-default-admin-path");
    assert_eq!(admin["step"], 9);
    assert!(
        doc["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["check"] == "live-request")
    );
    // The token is masked.
    let text = doc.to_string();
    assert!(
        !text.contains(token) && !text.contains("c2lnbmF0dXJlc2lnbmF0dXJl"),
        "{text}"
    );
}

#[test]
fn crypt_key_missing_in_every_form() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, spec) = healthy(&db);
    let mut no_crypt = spec.clone();
    no_crypt.remove("crypt");
    let mut empty = spec.clone();
    empty.set("crypt/key", "");
    let mut blank = spec.clone();
    blank.set("crypt/key", " \n ");
    for (name, s) in [
        ("no crypt section", no_crypt),
        ("empty", empty),
        ("whitespace", blank),
    ] {
        store.env(&s);
        let (code, doc) = diagnose_json(&store, &[]);
        assert_eq!(code, 1, "{name}: {doc}");
        assert_eq!(doc["root_cause"], "crypt-key-missing", "{name}");
    }
    // A getenv() the environment cannot answer.
    store.env_php(
        &spec
            .to_php()
            .replace(&format!("'{GOOD_KEY}'"), "getenv('M2AUTH_NO_SUCH_KEY_VAR')"),
    );
    let (_, doc) = diagnose_json(&store, &[]);
    assert_eq!(doc["root_cause"], "crypt-key-missing", "{doc}");
    assert!(
        doc["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("not a literal")
    );
    // No env.php at all.
    std::fs::remove_file(store.path("app/etc/env.php")).unwrap();
    let (code, doc) = diagnose_json(&store, &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["root_cause"], "crypt-key-missing");
    assert!(
        doc["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["check"] == "database"),
        "{doc}"
    );
}

#[test]
fn audit_default_admin_path_from_env_or_database() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, mut spec) = healthy(&db);
    spec.set("backend/frontName", "admin");
    store.env(&spec);
    let (code, doc) = diagnose_json(&store, &[]);
    assert_eq!(code, 0, "a warning alone does not fail: {doc}");
    assert_eq!(codes(&doc), vec!["audit-default-admin-path"]);
    assert!(
        doc["findings"][0]["evidence"][0]["source"]
            .as_str()
            .unwrap()
            .starts_with("file:app/etc/env.php:")
    );
    // A custom path set in the admin wins over frontName.
    let db2 = lab.database("");
    let (store2, mut spec2) = healthy(&db2);
    spec2.set("backend/frontName", "admin");
    store2.env(&spec2);
    for (path, value) in [
        ("admin/url/use_custom_path", "1"),
        ("admin/url/custom_path", "secret_door"),
    ] {
        db2.insert(
            "core_config_data",
            &[
                ("scope", "default".into()),
                ("scope_id", 0.into()),
                ("path", path.into()),
                ("value", value.into()),
            ],
        );
    }
    let (_, doc) = diagnose_json(&store2, &[]);
    assert!(
        !codes(&doc).contains(&"audit-default-admin-path".to_string()),
        "{doc}"
    );
    db2.exec(&format!(
        "UPDATE {} SET value='admin' WHERE path='admin/url/custom_path'",
        db2.table("core_config_data")
    ));
    let (_, doc) = diagnose_json(&store2, &[]);
    assert_eq!(codes(&doc), vec!["audit-default-admin-path"], "{doc}");
    assert_eq!(
        doc["findings"][0]["evidence"][0]["source"],
        "db:core_config_data"
    );
}

#[test]
fn audit_2fa_disabled_or_not_installed() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, _) = healthy(&db);
    store.config_php(&[("Magento_Store", true), ("Magento_TwoFactorAuth", false)]);
    let (_, doc) = diagnose_json(&store, &[]);
    assert_eq!(codes(&doc), vec!["audit-2fa-disabled"], "{doc}");
    assert!(
        doc["findings"][0]["evidence"][0]["source"]
            .as_str()
            .unwrap()
            .starts_with("file:app/etc/config.php:")
    );
    store.config_php(&[("Magento_Store", true)]);
    let (_, doc) = diagnose_json(&store, &[]);
    assert_eq!(codes(&doc), vec!["audit-2fa-disabled"], "{doc}");
    // Before 2.4.0 there was no 2FA module to disable.
    store.composer_lock("magento/product-community-edition", "2.3.7-p4");
    let (_, doc) = diagnose_json(&store, &[]);
    assert_eq!(codes(&doc), Vec::<String>::new(), "{doc}");
}

#[test]
fn audit_legacy_crypt_key_only_where_base64_keys_are_written() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, mut spec) = healthy(&db);
    spec.set(
        "crypt/key",
        format!("{GOOD_KEY}\n0123456789abcdef0123456789abcdef").as_str(),
    );
    store.env(&spec);
    let (code, doc) = diagnose_json(&store, &[]);
    assert_eq!(code, 0);
    assert_eq!(codes(&doc), vec!["audit-legacy-crypt-key"], "{doc}");
    assert_eq!(doc["findings"][0]["severity"], "info");
    // The old key first and a base64 key last is a completed rotation: fine.
    spec.set(
        "crypt/key",
        format!("0123456789abcdef0123456789abcdef\n{GOOD_KEY}").as_str(),
    );
    store.env(&spec);
    let (_, doc) = diagnose_json(&store, &[]);
    assert_eq!(codes(&doc), Vec::<String>::new());
    // 2.4.6 still writes 32-hex keys.
    spec.set("crypt/key", "0123456789abcdef0123456789abcdef");
    store.env(&spec);
    store.composer_lock("magento/product-community-edition", "2.4.6-p8");
    let (_, doc) = diagnose_json(&store, &[]);
    assert_eq!(codes(&doc), Vec::<String>::new());
    // No key text ever appears.
    assert!(!doc.to_string().contains("0123456789abcdef0123"));
}

#[test]
fn text_report_groups_by_step_without_colour_when_piped() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, mut spec) = healthy(&db);
    spec.remove("crypt");
    spec.set("backend/frontName", "admin");
    store.env(&spec);
    let root = store.root().to_str().unwrap();
    let out = run(&["diagnose", "--root", root], store.root());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "colour in piped output: {text}");
    // Without a request the answer is store-wide: the first problem to fix, then the steps in
    // order, prevention last under its own heading.
    let root_cause = text.find("First to fix: crypt-key-missing").expect(&text);
    let step1 = text.find("1. Credentials and tokens").expect(&text);
    let step9 = text
        .find("9. Prevention (audit) — not why a request fails today")
        .expect(&text);
    assert!(root_cause < step1 && step1 < step9, "{text}");
    // (Plus step 5's info findings of the quick permission pass: the fixture store is written
    // with the test's umask.)
    assert!(text.contains(" findings: 1 error, 1 warning, "), "{text}");
    assert!(text.contains("To diagnose one failing call:"), "{text}");
    // The headline names what refuses everyone too, not only the accounts' problems.
    let headline = text.find("Who is refused").expect(&text);
    assert!(headline < root_cause, "{text}");
    assert!(text.contains("  - every caller: "), "{text}");
}

#[test]
fn unreachable_database_is_exit_2_unless_partial_results_are_allowed() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, mut spec) = healthy(&db);
    spec.set("db/connection/default/host", "127.0.0.1:1");
    store.env(&spec);
    // Configured but unreadable: the report (partial, saying so) and exit 2 with one line.
    let root = store.root().to_str().unwrap();
    let out = run(&["diagnose", "--root", root], store.root());
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}\n{err}");
    assert!(
        text.contains("The database could not be read (cannot reach"),
        "{text}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--allow-partial"), "{err}");
    assert!(!text.contains("No problems found"), "{text}");
    // Evidence never claims a value is not set in a database that was never read.
    assert!(!text.contains("not set in the database"), "{text}");
    let (code, _) = diagnose_json(&store, &[]);
    assert_eq!(code, 2);
    let info = run(&["info", "--root", root], store.root());
    assert_eq!(info.status.code(), Some(2));
    // --allow-partial: the checks that need it are listed as not checked, exit 0.
    let (code, doc) = diagnose_json(&store, &["--allow-partial"]);
    assert_eq!(code, 0, "{doc}");
    let skipped = doc["skipped"].as_array().unwrap();
    let db_skip = skipped
        .iter()
        .find(|s| s["check"] == "database")
        .expect("database skipped");
    assert!(
        db_skip["reason"].as_str().unwrap().contains("cannot reach"),
        "{db_skip}"
    );
}

#[test]
fn mage_os_releases_are_compared_as_the_magento_release_they_follow() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, mut spec) = healthy(&db);
    store.file(
        "composer.lock",
        r#"{"packages": [{"name": "mage-os/product-community-edition", "version": "1.0.4"}]}"#,
    );
    spec.set("crypt/key", "0123456789abcdef0123456789abcdef");
    store.env(&spec);
    store.config_php(&[("Magento_Store", true), ("Magento_TwoFactorAuth", false)]);
    let (_, doc) = diagnose_json(&store, &[]);
    let mut got = codes(&doc);
    got.sort();
    assert_eq!(
        got,
        vec!["audit-2fa-disabled", "audit-legacy-crypt-key"],
        "{doc}"
    );
    assert_eq!(doc["target"]["magento_version"], "1.0.4");
}

#[test]
fn the_2fa_fix_fits_the_installation() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let (store, _) = healthy(&db);
    store.config_php(&[("Magento_Store", true), ("Magento_TwoFactorAuth", false)]);
    let (_, doc) = diagnose_json(&store, &[]);
    let cmds = doc["findings"][0]["fix"]["commands"].to_string();
    assert!(
        cmds.contains("bin/magento module:enable Magento_TwoFactorAuth\""),
        "{cmds}"
    );
    assert!(!cmds.contains("composer require"), "{cmds}");
    // Removed from the code base (composer replace): it must be required first.
    std::fs::remove_dir_all(store.path("vendor/magento/module-two-factor-auth")).unwrap();
    let (_, doc) = diagnose_json(&store, &[]);
    let cmds = doc["findings"][0]["fix"]["commands"].to_string();
    assert!(
        cmds.contains("composer require magento/module-two-factor-auth"),
        "{cmds}"
    );
}

#[test]
fn a_store_missing_pieces_gives_partial_results_with_reasons() {
    // Only env.php: no config.php, no composer files, no database.
    let store = FixtureStore::new();
    store.env_php("<?php\nreturn ['crypt' => ['key' => '0123456789abcdef0123456789abcdef'], 'backend' => ['frontName' => 'admin']];\n");
    let (code, doc) = diagnose_json(&store, &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(codes(&doc), vec!["audit-default-admin-path"], "{doc}");
    let skipped: Vec<&str> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["check"].as_str().unwrap())
        .collect();
    for check in ["audit-2fa-disabled", "audit-legacy-crypt-key", "database"] {
        assert!(skipped.contains(&check), "{check} not in {skipped:?}");
    }
    let reason = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["check"] == "database")
        .unwrap()["reason"]
        .to_string();
    assert!(reason.contains("db/connection/default"), "{reason}");
    let out = lab::m2auth(
        &["info", "--root", store.root().to_str().unwrap()],
        store.root(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The request shown is the request diagnosed: a login is the POST to the token endpoint it
/// diagnoses, and GraphQL/SOAP paths are never rewritten into REST ones (without a document or
/// an envelope their fields/operations are not checked, with the reason).
#[test]
fn the_request_shown_is_the_request_diagnosed() {
    let Some(s) = crate::scenarios::store() else {
        return;
    };
    let pw = s.password_file(crate::scenarios::PW);
    let out = s.diagnose(&["--admin-user", "admin", "--password-file", &pw]);
    let doc = out.doc();
    assert_eq!(doc["request"]["method"], "POST", "{doc:#}");
    assert_eq!(
        doc["request"]["url"], "/rest/V1/integration/admin/token",
        "{doc:#}"
    );
    let (_, text, _) = s.run_text(&[
        "diagnose",
        "--offline",
        "--admin-user",
        "admin",
        "--password-file",
        &pw,
    ]);
    assert!(
        text.contains(
            "Request: POST /rest/V1/integration/admin/token, with an admin username and password"
        ),
        "{text}"
    );
    for request in [
        "POST /graphql",
        "POST /soap/default?services=catalogProductRepositoryV1",
    ] {
        let jwt = crate::lab::scenario::jwt(
            1,
            3,
            crate::scenarios::NOW - 60,
            crate::scenarios::NOW + 3600,
        );
        let out = s
            .diagnose(&["--request", request, "--token", &jwt])
            .expect_no_code("route-not-found");
        let doc = out.doc();
        let url = doc["request"]["url"].as_str().unwrap();
        assert!(!url.contains("/rest"), "{doc:#}");
    }
}
