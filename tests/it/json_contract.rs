//! The JSON contract of `diagnose` (../shared/spec/cli.md, "JSON output of diagnose"): the
//! schema at docs/diagnose.schema.json names every finding code and every `request.auth`, and
//! every diagnose/audit output a test reads is validated against it (lab::report::run_json_doc).

use m2auth::findings::{Code, is_contract_source};
use m2auth::request::RequestSpec;
use serde_json::{Value, json};

use crate::lab::report::{assert_diagnose_schema, diagnose_schema};

fn schema() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnose.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The schema's codes are the catalogue's (src/findings.rs): a code added there is added to
/// docs/diagnose.schema.json's `$defs.code.enum` too.
#[test]
fn schema_names_every_code_and_auth_kind() {
    let s = schema();
    let mut codes = strings(&s["$defs"]["code"]["enum"]);
    let mut all: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
    codes.sort();
    all.sort();
    assert_eq!(codes, all, "docs/diagnose.schema.json $defs.code.enum");
    let auth = strings(&s["$defs"]["request"]["properties"]["auth"]["enum"]);
    assert_eq!(auth, RequestSpec::AUTH_KINDS, "$defs.request.auth.enum");
}

/// The schema refuses what the contract refuses: an evidence source of another kind, a code
/// not in the catalogue, a severity of another name; and accepts the contract's example.
#[test]
fn schema_holds_the_contract() {
    let good = json!({
        "tool": {"name": "m2auth", "version": "0.3.0"},
        "target": {"root": "/var/www/magento", "magento_version": "2.4.7-p3", "mode": "production"},
        "request": {"method": "GET", "url": "https://shop.example.com/rest/default/V1/products", "auth": "bearer-jwt-admin"},
        "root_cause": "jwt-revoked",
        "findings": [{
            "code": "jwt-revoked", "step": 1, "severity": "error",
            "title": "The admin token was revoked", "detail": "…",
            "evidence": [
                {"source": "db:jwt_auth_revoked", "text": "user_type_id=2 user_id=7"},
                {"source": "file:app/etc/env.php:12", "text": "crypt/key"},
                {"source": "cache:authorization_rule_cached_data", "text": "…"},
                {"source": "log:var/log/system.log:3", "text": "…"},
                {"source": "http", "text": "GET … → 401"},
                {"source": "token", "text": "claims"},
                {"source": "request", "text": "Host: x"}
            ],
            "fix": {"summary": "Request a new token", "commands": ["curl …"], "admin_path": null}
        }],
        "skipped": [{"check": "live-request", "reason": "no --request URL with a host was given"}]
    });
    assert!(diagnose_schema().is_valid(&good));
    assert_diagnose_schema(&good, &["contract example"]);
    let store_wide = json!({
        "tool": {"name": "m2auth", "version": "0.3.0"},
        "target": {"root": "/r", "magento_version": null, "mode": null},
        "root_cause": null, "findings": [], "skipped": []
    });
    assert!(diagnose_schema().is_valid(&store_wide));
    for (path, bad) in [
        ("/findings/0/evidence/0/source", json!("clock")),
        (
            "/findings/0/evidence/0/source",
            json!("default:Magento_Integration etc/config.xml"),
        ),
        ("/findings/0/evidence/0/source", json!("routes")),
        ("/findings/0/code", json!("no-such-code")),
        ("/findings/0/severity", json!("fatal")),
        ("/request/auth", json!("bearer-jwt-admin-ish")),
        ("/root_cause", json!("nope")),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(path).unwrap() = bad.clone();
        assert!(!diagnose_schema().is_valid(&doc), "{path} = {bad} accepted");
    }
    for s in [
        "clock",
        "routes",
        "offline",
        "signed-url",
        "default:x",
        "file:",
        "db:",
    ] {
        assert!(!is_contract_source(s), "{s}");
    }
    for s in [
        "file:a:1",
        "db:admin_user",
        "cache:x",
        "log:a:1",
        "http",
        "token",
        "request",
    ] {
        assert!(is_contract_source(s), "{s}");
    }
}
