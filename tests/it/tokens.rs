//! Step 1, bearer tokens, end to end on the lab: `token:inspect` and `diagnose` for JWTs minted
//! by an independent implementation (PyJWT, with Magento's key padding done in Python) and for
//! opaque `oauth_token` rows. One scenario per finding code, and each code absent on a healthy
//! token. No token or key is ever printed whole.

use std::path::Path;
use std::process::Command;

use crate::lab;
use crate::lab::report::{codes, finding};
use crate::lab::{EnvSpec, FixtureStore, LabDb};
use serde_json::{Value, json};

const OLD_KEY: &str = "0123456789abcdef0123456789abcdef";
const NEW_KEY: &str = "base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g=";
const OTHER_KEY: &str = "fedcba9876543210fedcba9876543210";
/// The instant every test runs at (`--now`).
const NOW: i64 = 1_800_000_000;

const INTEGRATION_TOKEN: &str = "in7egrat10nacce55t0ken000000000a";
const ADMIN_OPAQUE: &str = "adm1nacce55t0ken0000000000000000";
const CUSTOMER_OPAQUE: &str = "cu5t0meracce55t0ken0000000000000";
const REVOKED_OPAQUE: &str = "rev0kedacce55t0ken00000000000000";
const REQUEST_OPAQUE: &str = "reque5tt0ken00000000000000000000";
const VERIFIER_OPAQUE: &str = "ver1f1ert0ken0000000000000000000";
const UNKNOWN_OPAQUE: &str = "unkn0wnt0ken00000000000000000000";

/// A Python with PyJWT, or `None` (a panic under CI: scripts/test installs python3-jwt).
fn python() -> Option<String> {
    lab::python_with("jwt", "python3-jwt")
}

/// A JWT minted by PyJWT, with the secret Magento derives: the key centred in `&` to 2048 bytes
/// (PHP STR_PAD_BOTH: the odd `&` on the right), header `{"kid":"1","alg":…}`.
fn mint(py: &str, key: &str, alg: &str, claims: Value) -> String {
    let script = r#"
import sys, json, jwt
key, alg, claims = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
pad = 2048 - len(key.encode())
left = pad // 2
secret = ('&' * left + key + '&' * (pad - left)).encode() if pad > 0 else key.encode()
tok = jwt.encode(claims, secret, algorithm=alg, headers={"kid": "1", "typ": None})
print(tok if isinstance(tok, str) else tok.decode())
"#;
    let out = Command::new(py)
        .args(["-c", script, key, alg, &claims.to_string()])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "PyJWT failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn claims(uid: i64, utypid: i64, iat: i64, exp: i64) -> Value {
    json!({"uid": uid, "utypid": utypid, "iat": iat, "exp": exp})
}

fn now_arg() -> String {
    jiff::Timestamp::from_second(NOW).unwrap().to_string()
}

fn db_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

struct Lab {
    store: FixtureStore,
    db: LabDb,
    py: String,
}

fn admin(db: &LabDb, id: i64, name: &str, active: i64) {
    db.insert(
        "admin_user",
        &[
            ("user_id", id.into()),
            ("username", name.into()),
            ("email", format!("{name}@example.test").into()),
            ("password", "x".into()),
            ("is_active", active.into()),
        ],
    );
}

fn opaque_row(db: &LabDb, token: &str, ty: &str, cols: &[(&str, mysql::Value)]) {
    let mut v: Vec<(&str, mysql::Value)> = vec![
        ("type", ty.into()),
        ("token", token.into()),
        ("secret", "s3cr3t000000000000000000000000ab".into()),
        ("callback_url", "oob".into()),
        ("authorized", 1.into()),
    ];
    v.extend(cols.iter().cloned());
    db.insert("oauth_token", &v);
}

fn setup() -> Option<Lab> {
    let lab = lab::mariadb()?;
    let py = python()?;
    let db = lab.database("");
    let store = FixtureStore::new();
    let mut spec = EnvSpec::magento(&db);
    // Rotated once: the old legacy key first, the current 2.4.7 key last.
    spec.set("crypt/key", format!("{OLD_KEY}\n{NEW_KEY}").as_str());
    store.env(&spec);
    store.config_php(&[
        ("Magento_Store", true),
        ("Magento_Integration", true),
        ("Magento_JwtUserToken", true),
        ("Magento_User", true),
        ("Magento_Customer", true),
    ]);
    store.composer_lock("magento/product-community-edition", "2.4.7-p3");
    admin(&db, 1, "admin", 1);
    admin(&db, 3, "revokee", 1);
    admin(&db, 5, "gone_quiet", 0);
    db.insert(
        "customer_entity",
        &[
            ("entity_id", 7.into()),
            ("website_id", 1.into()),
            ("email", "carla@example.test".into()),
            ("is_active", 1.into()),
        ],
    );
    db.insert(
        "jwt_auth_revoked",
        &[
            ("user_type_id", 2.into()),
            ("user_id", 3.into()),
            ("revoke_before", (NOW - 1000).into()),
        ],
    );
    // An integration with its access token.
    db.insert(
        "oauth_consumer",
        &[
            ("entity_id", 1.into()),
            ("name", "Integration1".into()),
            ("key", "k0000000000000000000000000000001".into()),
            ("secret", "c0000000000000000000000000000001".into()),
            ("rejected_callback_url", "".into()),
        ],
    );
    db.insert(
        "integration",
        &[
            ("integration_id", 1.into()),
            ("name", "ERP".into()),
            ("email", "erp@example.test".into()),
            ("status", 1.into()),
            ("consumer_id", 1.into()),
            ("setup_type", 0.into()),
        ],
    );
    opaque_row(
        &db,
        INTEGRATION_TOKEN,
        "access",
        &[
            ("consumer_id", 1.into()),
            ("user_type", 1.into()),
            ("revoked", 0.into()),
        ],
    );
    opaque_row(
        &db,
        ADMIN_OPAQUE,
        "access",
        &[
            ("admin_id", 1.into()),
            ("user_type", 2.into()),
            ("revoked", 0.into()),
            ("created_at", db_time(NOW - 3600).into()),
        ],
    );
    opaque_row(
        &db,
        CUSTOMER_OPAQUE,
        "access",
        &[
            ("customer_id", 7.into()),
            ("user_type", 3.into()),
            ("revoked", 0.into()),
            ("created_at", db_time(NOW - 2 * 3600).into()),
        ],
    );
    opaque_row(
        &db,
        REVOKED_OPAQUE,
        "access",
        &[
            ("admin_id", 1.into()),
            ("user_type", 2.into()),
            ("revoked", 1.into()),
            ("created_at", db_time(NOW - 60).into()),
        ],
    );
    opaque_row(
        &db,
        REQUEST_OPAQUE,
        "request",
        &[("consumer_id", 1.into()), ("revoked", 0.into())],
    );
    opaque_row(
        &db,
        VERIFIER_OPAQUE,
        "verifier",
        &[("consumer_id", 1.into()), ("revoked", 0.into())],
    );
    Some(Lab { store, db, py })
}

impl Lab {
    fn root(&self) -> &str {
        self.store.root().to_str().unwrap()
    }

    fn raw(&self, args: &[&str]) -> std::process::Output {
        let now = now_arg();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", self.root()]);
        if !args.contains(&"--now") {
            all.extend_from_slice(&["--now", &now]);
        }
        lab::m2auth(&all, Path::new(self.root()))
    }

    /// `token:inspect TOKEN --format json`: (exit code, document); checks that neither the
    /// token nor a key is printed whole.
    fn inspect(&self, token: &str) -> (i32, Value) {
        self.inspect_with(token, &[])
    }

    fn inspect_with(&self, token: &str, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["token:inspect", token, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.raw(&args);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        no_secret(&text, token);
        let doc = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {text}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), doc)
    }

    fn diagnose(&self, request: &str, token: &str) -> (i32, Value) {
        let out = self.raw(&[
            "diagnose",
            "--request",
            request,
            "--token",
            token,
            "--format",
            "json",
        ]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        no_secret(&text, token);
        (
            out.status.code().unwrap_or(-1),
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
        )
    }

    fn set_config(&self, path: &str, scope: &str, scope_id: i64, value: Option<&str>) {
        self.db.exec(&format!(
            "DELETE FROM {} WHERE path = '{path}'",
            self.db.table("core_config_data")
        ));
        let v: mysql::Value = match value {
            Some(v) => v.into(),
            None => mysql::Value::NULL,
        };
        self.db.insert(
            "core_config_data",
            &[
                ("scope", scope.into()),
                ("scope_id", scope_id.into()),
                ("path", path.into()),
                ("value", v),
            ],
        );
    }

    fn jwt(&self, key: &str, alg: &str, c: Value) -> String {
        mint(&self.py, key, alg, c)
    }
}

fn no_secret(text: &str, token: &str) {
    let t = token.trim();
    if t.chars().count() >= 8 {
        assert!(!text.contains(t), "token printed whole: {text}");
    }
    for k in [OLD_KEY, NEW_KEY, OTHER_KEY] {
        assert!(!text.contains(k), "key printed: {text}");
    }
}

#[test]
fn jwts_minted_by_pyjwt() {
    let Some(l) = setup() else { return };
    // Healthy: admin HS256 with the current key.
    let good = l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 600, NOW + 3000));
    let (code, doc) = l.inspect(&good);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(codes(&doc), Vec::<String>::new(), "{doc}");
    assert_eq!(doc["kind"], "jwt-admin");
    assert_eq!(
        doc["user"],
        json!({"id": 1, "name": "admin", "type": "admin"})
    );
    assert_eq!(
        doc["issued_at"],
        jiff::Timestamp::from_second(NOW - 600).unwrap().to_string()
    );
    assert_eq!(
        doc["expires_at"],
        jiff::Timestamp::from_second(NOW + 3000)
            .unwrap()
            .to_string()
    );
    assert_eq!(doc["verified_with_key"], 1);
    assert_eq!(doc["revoked"], false);
    // The text form says the same, masked.
    let out = l.raw(&["token:inspect", &good]);
    let text = String::from_utf8_lossy(&out.stdout);
    no_secret(&text, &good);
    assert!(
        text.contains("jwt-admin") && text.contains("crypt/key index 1"),
        "{text}"
    );

    // Healthy customer token.
    let cust = l.jwt(NEW_KEY, "HS256", claims(7, 3, NOW - 60, NOW + 3540));
    let (code, doc) = l.inspect(&cust);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    assert_eq!(doc["kind"], "jwt-customer");
    assert_eq!(doc["user"]["name"], "carla@example.test");

    // Expired, and the healthy token at a later --now.
    let old = l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 7200, NOW - 3600));
    let (code, doc) = l.inspect(&old);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["jwt-expired"]);
    let f = finding(&doc, "jwt-expired");
    assert_eq!(f["severity"], "error");
    assert!(
        f["evidence"]
            .to_string()
            .contains("webapi/jwtauth/admin_expiration"),
        "{f}"
    );
    let later = jiff::Timestamp::from_second(NOW + 3000)
        .unwrap()
        .to_string();
    let (_, doc) = l.inspect_with(&good, &["--now", &later]);
    assert_eq!(codes(&doc), vec!["jwt-expired"], "exp == now is expired");

    // Signed with the earlier key.
    let rotated = l.jwt(OLD_KEY, "HS256", claims(1, 2, NOW - 60, NOW + 3000));
    let (code, doc) = l.inspect(&rotated);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["jwt-old-crypt-key"]);
    assert_eq!(doc["verified_with_key"], 0);
    let ev = finding(&doc, "jwt-old-crypt-key")["evidence"].to_string();
    assert!(
        ev.contains("index 0") && ev.contains("app/etc/env.php"),
        "{ev}"
    );

    // Foreign key, and a tampered payload.
    let foreign = l.jwt(OTHER_KEY, "HS256", claims(1, 2, NOW - 60, NOW + 3000));
    let (code, doc) = l.inspect(&foreign);
    assert_eq!((code, codes(&doc)), (1, vec!["jwt-foreign".to_string()]));
    assert_eq!(doc["verified_with_key"], Value::Null);
    assert!(
        finding(&doc, "jwt-foreign")["evidence"]
            .to_string()
            .contains("alg=HS256 kid=1")
    );
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    {
        use base64::Engine as _;
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(claims(2, 2, NOW - 600, NOW + 3000).to_string());
    }
    let (_, doc) = l.inspect(&parts.join("."));
    assert!(codes(&doc).contains(&"jwt-foreign".to_string()), "{doc}");

    // HS512 on a store configured for HS256: refused.
    let hs512 = l.jwt(NEW_KEY, "HS512", claims(1, 2, NOW - 60, NOW + 3000));
    let (_, doc) = l.inspect(&hs512);
    assert_eq!(codes(&doc), vec!["jwt-foreign"]);
    assert!(
        doc["findings"][0]["title"]
            .as_str()
            .unwrap()
            .contains("HS512")
    );

    // Revoked (revoke_before >= iat), and a token issued after the revocation.
    let revoked = l.jwt(NEW_KEY, "HS256", claims(3, 2, NOW - 1000, NOW + 2600));
    let (code, doc) = l.inspect(&revoked);
    assert_eq!((code, codes(&doc)), (1, vec!["jwt-revoked".to_string()]));
    assert_eq!(doc["revoked"], true);
    assert!(finding(&doc, "jwt-revoked")["evidence"][0]["source"] == "db:jwt_auth_revoked");
    let fresh = l.jwt(NEW_KEY, "HS256", claims(3, 2, NOW - 999, NOW + 2600));
    let (code, doc) = l.inspect(&fresh);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");

    // The user is gone; the admin is inactive.
    let missing = l.jwt(NEW_KEY, "HS256", claims(99, 2, NOW - 60, NOW + 3000));
    let (_, doc) = l.inspect(&missing);
    assert_eq!(codes(&doc), vec!["jwt-user-missing"]);
    let missing_c = l.jwt(NEW_KEY, "HS256", claims(99, 3, NOW - 60, NOW + 3000));
    assert_eq!(codes(&l.inspect(&missing_c).1), vec!["jwt-user-missing"]);
    // An inactive admin's token still passes (the real 2.4.7-p3 answered 200: bearer tokens are
    // checked for expiry and revocation only): a warning, never the cause.
    let inactive = l.jwt(NEW_KEY, "HS256", claims(5, 2, NOW - 60, NOW + 3000));
    let (code, doc) = l.inspect(&inactive);
    assert_eq!(
        (code, codes(&doc)),
        (0, vec!["admin-user-inactive".to_string()]),
        "{doc}"
    );
    assert_eq!(finding(&doc, "admin-user-inactive")["severity"], "warning");
    let (_, doc) = l.diagnose("GET /V1/products", &inactive);
    assert_ne!(doc["root_cause"], "admin-user-inactive", "{doc}");
    assert!(
        finding(&doc, "admin-user-inactive")["fix"]["admin_path"]
            .as_str()
            .unwrap()
            .contains("All Users")
    );

    // The fix is the exact curl for the token endpoint.
    let (_, doc) = l.inspect(&old);
    let cmd = finding(&doc, "jwt-expired")["fix"]["commands"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        cmd.starts_with("curl -X POST")
            && cmd.contains("/rest/V1/integration/admin/token")
            && cmd.contains("\"username\":\"admin\""),
        "{cmd}"
    );
    let old_c = l.jwt(NEW_KEY, "HS256", claims(7, 3, NOW - 7200, NOW - 3600));
    let (_, doc) = l.inspect(&old_c);
    assert!(
        finding(&doc, "jwt-expired")["fix"]["commands"][0]
            .as_str()
            .unwrap()
            .contains("/rest/V1/integration/customer/token")
    );
}

#[test]
fn hs512_store_and_jwe() {
    let Some(l) = setup() else { return };
    l.set_config("webapi/jwtauth/jwt_alg", "default", 0, Some("HS512"));
    let hs512 = l.jwt(NEW_KEY, "HS512", claims(1, 2, NOW - 60, NOW + 3000));
    let (code, doc) = l.inspect(&hs512);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    assert_eq!(doc["verified_with_key"], 1);
    let hs256 = l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 60, NOW + 3000));
    assert_eq!(codes(&l.inspect(&hs256).1), vec!["jwt-foreign"]);
    // A JWE on a store that signs: recognised and refused.
    l.set_config("webapi/jwtauth/jwt_alg", "default", 0, Some("HS256"));
    use base64::Engine as _;
    let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"alg":"A256KW","enc":"A256GCM","kid":"1"}"#);
    let jwe = format!("{h}.a2V5a2V5a2V5.aXZpdml2.Y2lwaGVydGV4dA.dGFndGFn");
    let (code, doc) = l.inspect(&jwe);
    assert_eq!((code, codes(&doc)), (1, vec!["jwt-foreign".to_string()]));
    assert!(
        doc["findings"][0]["title"]
            .as_str()
            .unwrap()
            .contains("JWE")
    );
    // On a store that issues JWEs it is not refused, just not decrypted.
    l.set_config("webapi/jwtauth/jwt_alg", "default", 0, Some("A256KW"));
    let (code, doc) = l.inspect(&jwe);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    assert!(doc["skipped"].to_string().contains("JWE"));
}

#[test]
fn malformed_texts() {
    let Some(l) = setup() else { return };
    let good = l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 600, NOW + 3000));
    for bad in [
        format!("\"{good}\""),
        format!("{good}\n"),
        format!("Bearer {good}"),
        format!("'{ADMIN_OPAQUE}'"),
        "eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9".to_string(),
        format!("{good}.extra"),
        "not-a-token".to_string(),
    ] {
        let (code, doc) = l.inspect(&bad);
        assert_eq!(code, 1, "{bad:?}: {doc}");
        assert_eq!(codes(&doc), vec!["token-malformed"], "{bad:?}: {doc}");
        assert_eq!(doc["kind"], "unknown");
    }
    let (_, doc) = l.inspect(&format!("Bearer {good}"));
    let detail = doc["findings"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("Bearer") && detail.contains("well-formed JWT"),
        "{detail}"
    );
    let (_, doc) = l.inspect(&format!("{good}\n"));
    assert!(
        doc["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("line break")
    );
    // diagnose: a pasted "Bearer" in --token.
    let (code, doc) = l.diagnose("GET /V1/products", &format!("Bearer {good}"));
    assert_eq!(code, 1);
    assert_eq!(doc["root_cause"], "token-malformed", "{doc}");
}

#[test]
fn opaque_tokens() {
    let Some(l) = setup() else { return };
    // Healthy admin legacy token: 1 h old, lifetime 4 h (shipped default).
    let (code, doc) = l.inspect(ADMIN_OPAQUE);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    assert_eq!(doc["kind"], "opaque-admin");
    assert_eq!(
        doc["user"],
        json!({"id": 1, "name": "admin", "type": "admin"})
    );
    assert_eq!(
        doc["expires_at"],
        jiff::Timestamp::from_second(NOW + 3 * 3600)
            .unwrap()
            .to_string()
    );
    assert_eq!(doc["verified_with_key"], Value::Null);
    // Customer legacy token, 2 h old, lifetime 1 h (shipped default): expired.
    let (code, doc) = l.inspect(CUSTOMER_OPAQUE);
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["opaque-token-expired".to_string()])
    );
    assert_eq!(doc["kind"], "opaque-customer");
    assert!(
        finding(&doc, "opaque-token-expired")["evidence"]
            .to_string()
            .contains("oauth/access_token_lifetime/customer")
    );
    // Admin lifetime 0 and empty: expires at once; 4 again: fine.
    for v in [Some("0"), Some(""), None] {
        l.set_config("oauth/access_token_lifetime/admin", "default", 0, v);
        let (_, doc) = l.inspect(ADMIN_OPAQUE);
        assert_eq!(codes(&doc), vec!["opaque-token-expired"], "{v:?}: {doc}");
        assert!(
            finding(&doc, "opaque-token-expired")["detail"]
                .as_str()
                .unwrap()
                .contains("0 hours")
        );
    }
    l.set_config("oauth/access_token_lifetime/admin", "default", 0, Some("4"));
    assert_eq!(codes(&l.inspect(ADMIN_OPAQUE).1), Vec::<String>::new());
    // 5 h old with 4 h lifetime: expired.
    l.db.exec(&format!(
        "UPDATE {} SET created_at = '{}' WHERE token = '{ADMIN_OPAQUE}'",
        l.db.table("oauth_token"),
        db_time(NOW - 5 * 3600)
    ));
    assert_eq!(
        codes(&l.inspect(ADMIN_OPAQUE).1),
        vec!["opaque-token-expired"]
    );

    // Unknown, revoked, request/verifier tokens.
    let (code, doc) = l.inspect(UNKNOWN_OPAQUE);
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["opaque-token-unknown".to_string()])
    );
    assert_eq!(doc["kind"], "unknown");
    let (_, doc) = l.inspect(REVOKED_OPAQUE);
    assert_eq!(codes(&doc), vec!["opaque-token-revoked"]);
    assert_eq!(doc["revoked"], true);
    // A handshake token still passes as Bearer (the real 2.4.7-p3 answered 200: the reader
    // never looks at the type): a warning.
    for t in [REQUEST_OPAQUE, VERIFIER_OPAQUE] {
        let (code, doc) = l.inspect(t);
        assert!(
            codes(&doc).contains(&"opaque-token-not-access".to_string()),
            "{doc}"
        );
        assert_eq!(
            finding(&doc, "opaque-token-not-access")["severity"],
            "warning"
        );
        // These fixture rows name no user type: the reader refuses them for that (an error).
        assert_eq!(code, 1, "{doc}");
        assert_eq!(doc["root_cause"], "opaque-token-invalid", "{doc}");
    }
}

#[test]
fn integration_tokens_as_bearer() {
    let Some(l) = setup() else { return };
    // Off by default.
    let (code, doc) = l.inspect(INTEGRATION_TOKEN);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["integration-bearer-disabled"]);
    assert_eq!(doc["kind"], "integration");
    assert_eq!(
        doc["user"],
        json!({"id": 1, "name": "ERP", "type": "integration"})
    );
    let f = finding(&doc, "integration-bearer-disabled");
    let cmds = f["fix"]["commands"].to_string();
    assert!(
        cmds.contains("bin/magento config:set oauth/consumer/enable_integration_as_bearer 1")
            && cmds.contains("cache:clean"),
        "{cmds}"
    );
    // On at the store scope of the request's store: accepted.
    l.set_config(
        "oauth/consumer/enable_integration_as_bearer",
        "stores",
        1,
        Some("1"),
    );
    let (code, doc) = l.inspect(INTEGRATION_TOKEN);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    let (_, doc) = l.diagnose("GET /rest/default/V1/products", INTEGRATION_TOKEN);
    assert!(
        !codes(&doc).contains(&"integration-bearer-disabled".to_string()),
        "{doc}"
    );
    // ... but not for the admin store (/rest/all/…), which does not inherit store 1's value.
    let (_, doc) = l.diagnose("GET /rest/all/V1/products", INTEGRATION_TOKEN);
    assert!(
        codes(&doc).contains(&"integration-bearer-disabled".to_string()),
        "{doc}"
    );
    // Off at store scope although on by default: still refused, with the store-scope evidence.
    l.set_config(
        "oauth/consumer/enable_integration_as_bearer",
        "default",
        0,
        Some("1"),
    );
    l.db.insert(
        "core_config_data",
        &[
            ("scope", "stores".into()),
            ("scope_id", 1.into()),
            ("path", "oauth/consumer/enable_integration_as_bearer".into()),
            ("value", "0".into()),
        ],
    );
    let (_, doc) = l.inspect(INTEGRATION_TOKEN);
    let f = finding(&doc, "integration-bearer-disabled");
    assert!(
        f["evidence"][0]["text"]
            .as_str()
            .unwrap()
            .contains("scope=stores scope_id=1"),
        "{f}"
    );
    assert!(
        f["fix"]["commands"][0]
            .as_str()
            .unwrap()
            .contains("--scope=stores --scope-code=default")
    );
    l.db.exec(&format!(
        "DELETE FROM {} WHERE scope = 'stores'",
        l.db.table("core_config_data")
    ));
    assert_eq!(codes(&l.inspect(INTEGRATION_TOKEN).1), Vec::<String>::new());
    // Integration inactive.
    l.db.exec(&format!(
        "UPDATE {} SET status = 0",
        l.db.table("integration")
    ));
    let (_, doc) = l.inspect(INTEGRATION_TOKEN);
    assert_eq!(codes(&doc), vec!["integration-inactive"]);
    let f = finding(&doc, "integration-inactive");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["fix"]["admin_path"]
            .as_str()
            .unwrap()
            .contains("Integrations > ERP > Activate")
    );
}

#[test]
fn diagnose_ranks_the_refused_token_first() {
    let Some(l) = setup() else { return };
    let expired = l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 7200, NOW - 3600));
    let (code, doc) = l.diagnose("GET /V1/products", &expired);
    assert_eq!(code, 1);
    assert_eq!(doc["root_cause"], "jwt-expired", "{doc}");
    assert_eq!(doc["findings"][0]["code"], "jwt-expired");
    assert_eq!(doc["findings"][0]["step"], 1);
    // A healthy token: none of the token codes.
    let good = l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 600, NOW + 3000));
    let (_, doc) = l.diagnose("GET /V1/products", &good);
    for c in codes(&doc) {
        assert!(
            ![
                "token-malformed",
                "jwt-expired",
                "jwt-old-crypt-key",
                "jwt-foreign",
                "jwt-revoked",
                "jwt-user-missing",
                "admin-user-inactive",
            ]
            .contains(&c.as_str()),
            "{c} on a healthy token: {doc}"
        );
    }
    // The text report masks the token too.
    let out = l.raw(&[
        "diagnose",
        "--request",
        "GET /V1/products",
        "--token",
        &expired,
    ]);
    no_secret(&String::from_utf8_lossy(&out.stdout), &expired);
}

/// The same tokens give the same findings from the live database and from its mysqldump.
#[test]
fn live_and_dump_agree() {
    let Some(l) = setup() else { return };
    let dump = l.store.path("tokens.sql.gz");
    l.db.mysqldump(&dump, true);
    let dump = dump.to_str().unwrap().to_string();
    let cases = [
        l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 60, NOW + 3600)),
        l.jwt(OLD_KEY, "HS256", claims(1, 2, NOW - 60, NOW + 3600)),
        l.jwt(OTHER_KEY, "HS256", claims(1, 2, NOW - 60, NOW + 3600)),
        l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 7200, NOW - 3600)),
        l.jwt(NEW_KEY, "HS256", claims(99, 2, NOW - 60, NOW + 3600)),
        l.jwt(NEW_KEY, "HS256", claims(5, 2, NOW - 60, NOW + 3600)),
        ADMIN_OPAQUE.to_string(),
        CUSTOMER_OPAQUE.to_string(),
        REVOKED_OPAQUE.to_string(),
        REQUEST_OPAQUE.to_string(),
        VERIFIER_OPAQUE.to_string(),
        UNKNOWN_OPAQUE.to_string(),
        INTEGRATION_TOKEN.to_string(),
    ];
    for token in &cases {
        let (live_code, live) = l.inspect(token);
        let (dump_code, from_dump) = l.inspect_with(token, &["--dump", &dump]);
        assert_eq!(
            codes(&live),
            codes(&from_dump),
            "{token}: live {live}\ndump {from_dump}"
        );
        assert_eq!(live_code, dump_code, "{token}");
        assert_eq!(live["kind"], from_dump["kind"], "{token}");
        assert_eq!(live["revoked"], from_dump["revoked"], "{token}");
    }
}

/// Benchmark (not a timed test): `token:inspect` of a JWT, target under 20 ms. Run with
/// `scripts/test --test it -- --ignored --nocapture tokens::token_inspect_timing` on a release
/// build for real figures.
#[test]
#[ignore = "benchmark"]
fn token_inspect_timing() {
    let Some(l) = setup() else { return };
    let token = l.jwt(NEW_KEY, "HS256", claims(1, 2, NOW - 60, NOW + 3600));
    let start = std::time::Instant::now();
    for _ in 0..20 {
        l.inspect(&token);
    }
    eprintln!(
        "token:inspect: {:.1} ms per run (debug build, includes process start and DB connect)",
        start.elapsed().as_secs_f64() * 50.0
    );
}

/// Rows Magento's opaque-token reader refuses ("Invalid token found") although they look like
/// a user's token; and a token typed in another case, found in the dump as MySQL finds it.
#[test]
fn rows_the_reader_refuses_and_case() {
    let Some(l) = setup() else { return };
    let no_type = "n0usertype0000000000000000000000";
    let no_admin = "n0adm1n1d000000000000000000000000"[..32].to_string();
    opaque_row(
        &l.db,
        no_type,
        "access",
        &[("admin_id", 1.into()), ("user_type", mysql::Value::NULL)],
    );
    opaque_row(&l.db, &no_admin, "access", &[("user_type", 2.into())]);
    let dump = l.store.path("reader.sql");
    l.db.mysqldump(&dump, false);
    let dump = dump.to_str().unwrap().to_string();
    for token in [no_type.to_string(), no_admin.clone()] {
        for extra in [vec![], vec!["--dump", dump.as_str()]] {
            let (code, doc) = l.inspect_with(&token, &extra);
            assert_eq!(code, 1, "{token} {extra:?}: {doc}");
            assert_eq!(
                codes(&doc),
                vec!["opaque-token-invalid"],
                "{token} {extra:?}: {doc}"
            );
            assert_eq!(doc["kind"], "unknown");
        }
    }
    // MySQL's _ci collation finds a token whatever its case; so must the dump.
    let upper = ADMIN_OPAQUE.to_uppercase();
    let (_, live) = l.inspect(&upper);
    let (_, from_dump) = l.inspect_with(&upper, &["--dump", &dump]);
    assert_eq!(live["kind"], "opaque-admin", "{live}");
    assert_eq!(
        codes(&live),
        codes(&from_dump),
        "live {live}\ndump {from_dump}"
    );
}
