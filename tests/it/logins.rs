//! Step 1, logins, end to end on the lab: admin users and customers whose password hashes are
//! made by PHP (`hash()`, `md5()`, `sodium_crypto_pwhash()` the way Magento's Encryptor calls
//! them), one scenario per finding code, none of the codes for a healthy admin and customer, and
//! the password never in the output.

use std::path::Path;

use crate::lab;
use crate::lab::report::finding;
use crate::lab::{EnvSpec, FixtureStore, LabDb};
use crate::lab::{php, php_quote as q};
use serde_json::Value;

const PW: &str = "Corr3ct horse!";
const SALT: &str = "Xb7TqPz0aLm3Nc9RvW2yKd5Hs8Jf1Ge4";

/// Magento's stored hash of PW for a version field, computed by PHP.
fn php_hash(version: &str) -> Option<String> {
    let argon = |data: &str| {
        format!(
            "bin2hex(sodium_crypto_pwhash(32,{data},substr({s},0,16),SODIUM_CRYPTO_PWHASH_OPSLIMIT_INTERACTIVE,SODIUM_CRYPTO_PWHASH_MEMLIMIT_INTERACTIVE,SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13))",
            s = q(SALT)
        )
    };
    let expr = match version {
        "0" => format!("md5({}.{})", q(SALT), q(PW)),
        "1" => format!("hash('sha256',{}.{})", q(SALT), q(PW)),
        "2" | "3_32_2_67108864" => argon(&q(PW)),
        "1:3_32_2_67108864" => argon(&format!("hash('sha256',{}.{})", q(SALT), q(PW))),
        other => panic!("no recipe for {other}"),
    };
    let h = php(&format!("echo {expr};"))?;
    Some(format!("{h}:{SALT}:{version}"))
}

struct Scenario {
    store: FixtureStore,
    db: LabDb,
}

fn admin(db: &LabDb, id: i64, name: &str, hash: &str, active: i64, with_role: bool) {
    db.insert(
        "admin_user",
        &[
            ("user_id", id.into()),
            ("username", name.into()),
            ("email", format!("{name}@example.test").into()),
            ("password", hash.into()),
            ("is_active", active.into()),
        ],
    );
    if with_role {
        db.insert(
            "authorization_role",
            &[
                ("role_id", (100 + id).into()),
                ("parent_id", 1.into()),
                ("tree_level", 2.into()),
                ("sort_order", 0.into()),
                ("role_type", "U".into()),
                ("user_id", id.into()),
                ("user_type", "2".into()),
                ("role_name", name.into()),
            ],
        );
    }
}

fn customer(db: &LabDb, id: i64, email: &str, website: i64, hash: &str) {
    db.insert(
        "customer_entity",
        &[
            ("entity_id", id.into()),
            ("website_id", website.into()),
            ("email", email.into()),
            ("store_id", website.into()),
            ("firstname", "C".into()),
            ("lastname", "D".into()),
            ("password_hash", hash.into()),
            ("is_active", 1.into()),
        ],
    );
}

fn config(db: &LabDb, path: &str, value: &str) {
    db.insert(
        "core_config_data",
        &[
            ("scope", "default".into()),
            ("scope_id", 0.into()),
            ("path", path.into()),
            ("value", value.into()),
        ],
    );
}

fn scenario(tfa: bool) -> Option<Scenario> {
    let lab = lab::mariadb()?;
    let hashes: Vec<String> = ["0", "1", "2", "3_32_2_67108864", "1:3_32_2_67108864"]
        .iter()
        .map(|v| php_hash(v))
        .collect::<Option<_>>()?;
    let db = lab.database("");
    let store = FixtureStore::new();
    store.env(&EnvSpec::magento(&db));
    store.config_php(&[
        ("Magento_Store", true),
        ("Magento_Customer", true),
        ("Magento_Integration", true),
        ("Magento_User", true),
        ("Magento_Webapi", true),
        ("Magento_TwoFactorAuth", tfa),
    ]);
    store.composer_lock("magento/product-community-edition", "2.4.7-p3");
    db.insert(
        "authorization_role",
        &[
            ("role_id", 1.into()),
            ("parent_id", 0.into()),
            ("tree_level", 1.into()),
            ("sort_order", 0.into()),
            ("role_type", "G".into()),
            ("user_id", 0.into()),
            ("user_type", "2".into()),
            ("role_name", "Administrators".into()),
        ],
    );
    // One healthy admin per hash version.
    for (i, (name, h)) in ["md5user", "shauser", "argon2user", "alice", "chained"]
        .iter()
        .zip(&hashes)
        .enumerate()
    {
        admin(&db, i as i64 + 1, name, h, 1, true);
    }
    let good = &hashes[3];
    admin(&db, 10, "inactive", good, 0, true);
    admin(&db, 11, "locked", good, 1, true);
    db.exec("UPDATE admin_user SET lock_expires = '2037-12-31 00:00:00', failures_num = 6 WHERE user_id = 11");
    admin(&db, 12, "expired", good, 1, true);
    db.insert(
        "admin_user_expiration",
        &[
            ("user_id", 12.into()),
            ("expires_at", "2001-01-01 00:00:00".into()),
        ],
    );
    admin(&db, 13, "norole", good, 1, false);
    admin(&db, 14, "oldpass", good, 1, true);
    db.insert(
        "admin_passwords",
        &[
            ("user_id", 14.into()),
            ("password_hash", "old".into()),
            ("last_updated", 1_000_000_000.into()),
        ],
    );
    admin(&db, 15, "throttled", good, 1, true);
    db.insert(
        "oauth_token_request_log",
        &[
            ("user_name", "throttled".into()),
            ("user_type", 3.into()),
            ("failures_count", 6.into()),
            ("lock_expires_at", "2037-12-31 00:00:00".into()),
        ],
    );
    // A customer row of the same name does not lock the admin (its own user_type numbering).
    db.insert(
        "oauth_token_request_log",
        &[
            ("user_name", "alice".into()),
            ("user_type", 2.into()),
            ("failures_count", 9.into()),
            ("lock_expires_at", "2037-12-31 00:00:00".into()),
        ],
    );
    customer(&db, 1, "ann@example.test", 1, good);
    customer(&db, 2, "locked@example.test", 1, good);
    db.exec("UPDATE customer_entity SET lock_expires = '2037-12-31 00:00:00', failures_num = 10 WHERE entity_id = 2");
    customer(&db, 3, "off@example.test", 1, good);
    db.exec("UPDATE customer_entity SET is_active = 0 WHERE entity_id = 3");
    customer(&db, 4, "new@example.test", 1, &hashes[1]);
    db.exec("UPDATE customer_entity SET confirmation = 'abc123' WHERE entity_id = 4");
    customer(&db, 5, "admin-site@example.test", 0, good);
    Some(Scenario { store, db })
}

impl Scenario {
    fn root(&self) -> &str {
        self.store.root().to_str().unwrap()
    }

    fn raw(&self, who: &[&str], password: &str, format: &str) -> (i32, String, String) {
        let file = self.store.path("pw.txt");
        std::fs::write(&file, format!("{password}\n")).unwrap();
        let mut args = vec!["diagnose"];
        args.extend_from_slice(who);
        args.extend_from_slice(&[
            "--password-file",
            file.to_str().unwrap(),
            "--root",
            self.root(),
            "--format",
            format,
        ]);
        let out = lab::m2auth(&args, Path::new(self.root()));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn run(&self, who: &[&str], password: &str) -> Value {
        let (_, out, err) = self.raw(who, password, "json");
        assert!(
            !out.contains(password) && !err.contains(password),
            "password printed: {out}{err}"
        );
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{who:?}: not JSON ({e}): {out}\n{err}"))
    }

    fn admin(&self, name: &str, password: &str) -> Value {
        self.run(&["--admin-user", name], password)
    }
}

const LOGIN_CODES: &[&str] = &[
    "admin-user-unknown",
    "admin-password-wrong",
    "admin-user-inactive",
    "admin-user-locked",
    "admin-user-expired",
    "admin-user-no-role",
    "admin-password-expired",
    "token-endpoint-locked",
    "token-endpoint-lock-zero",
    "admin-2fa-required",
    "admin-ims-enabled",
    "customer-unknown",
    "customer-password-wrong",
    "customer-locked",
    "customer-inactive",
];

fn login_codes(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .filter(|c| LOGIN_CODES.contains(&c.as_str()))
        .collect()
}

#[test]
fn every_hash_version_accepts_the_right_password_and_names_the_wrong_one() {
    let Some(s) = scenario(false) else { return };
    for name in ["md5user", "shauser", "argon2user", "alice", "chained"] {
        let doc = s.admin(name, PW);
        assert_eq!(login_codes(&doc), Vec::<String>::new(), "{name}: {doc}");
        let doc = s.admin(name, "Wrong passw0rd");
        assert_eq!(
            login_codes(&doc),
            vec!["admin-password-wrong"],
            "{name}: {doc}"
        );
        assert_eq!(doc["root_cause"], "admin-password-wrong", "{doc}");
    }
    let doc = s.admin("chained", "Wrong passw0rd");
    let ev = finding(&doc, "admin-password-wrong")["evidence"].to_string();
    assert!(ev.contains("1:3_32_2_67108864"), "{ev}");
    assert!(!ev.contains(SALT), "the salt is printed: {ev}");
    let hash = php_hash("1:3_32_2_67108864").unwrap();
    assert!(
        !ev.contains(hash.split(':').next().unwrap()),
        "the hash is printed: {ev}"
    );
    // Text output too: neither the password nor the hash.
    let (code, out, err) = s.raw(&["--admin-user", "alice"], "Wrong passw0rd", "text");
    assert_eq!(code, 1);
    assert!(out.contains("admin-password-wrong"), "{out}");
    assert!(!out.contains("Wrong passw0rd") && !err.contains("Wrong passw0rd"));
}

#[test]
fn admin_account_states_each_have_their_code() {
    let Some(s) = scenario(false) else { return };
    for (name, code) in [
        ("nobody", "admin-user-unknown"),
        ("inactive", "admin-user-inactive"),
        ("locked", "admin-user-locked"),
        ("expired", "admin-user-expired"),
        ("norole", "admin-user-no-role"),
        ("oldpass", "admin-password-expired"),
        ("throttled", "token-endpoint-locked"),
    ] {
        let doc = s.admin(name, PW);
        assert_eq!(login_codes(&doc), vec![code], "{name}: {doc}");
    }
    let doc = s.admin("locked", PW);
    let fix = finding(&doc, "admin-user-locked")["fix"]["commands"].to_string();
    assert!(
        fix.contains("bin/magento admin:user:unlock locked"),
        "{fix}"
    );
    assert!(fix.contains("m2auth admin:user:unlock locked"), "{fix}");
    let doc = s.admin("throttled", PW);
    assert_eq!(doc["root_cause"], "token-endpoint-locked");
    // Lock at 0: every request is refused.
    config(&s.db, "oauth/authentication_lock/max_failures_count", "0");
    let doc = s.admin("alice", PW);
    assert_eq!(login_codes(&doc), vec!["token-endpoint-lock-zero"], "{doc}");
    // IMS admin login.
    s.db.exec("UPDATE core_config_data SET value = '6' WHERE path = 'oauth/authentication_lock/max_failures_count'");
    config(&s.db, "adobe_ims/integration/admin_enabled", "1");
    let doc = s.admin("alice", PW);
    assert_eq!(login_codes(&doc), vec!["admin-ims-enabled"], "{doc}");
}

#[test]
fn two_factor_auth_names_the_provider_endpoint() {
    let Some(s) = scenario(true) else { return };
    s.db.insert(
        "tfa_user_config",
        &[
            ("user_id", 4.into()),
            ("encoded_providers", "[\"google\"]".into()),
        ],
    );
    let doc = s.admin("alice", PW);
    assert_eq!(login_codes(&doc), vec!["admin-2fa-required"], "{doc}");
    let f = finding(&doc, "admin-2fa-required");
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("/V1/tfa/provider/google/authenticate"),
        "{f}"
    );
    assert!(
        f["fix"]["commands"][0]
            .as_str()
            .unwrap()
            .contains("curl -X POST"),
        "{f}"
    );
}

#[test]
fn customers_are_checked_on_the_requests_website() {
    let Some(s) = scenario(false) else { return };
    let cust = |email: &str, pw: &str| s.run(&["--customer", email], pw);
    let doc = cust("ann@example.test", PW);
    assert_eq!(login_codes(&doc), Vec::<String>::new(), "{doc}");
    for (email, pw, code) in [
        (
            "ann@example.test",
            "Wrong passw0rd",
            "customer-password-wrong",
        ),
        ("nobody@example.test", PW, "customer-unknown"),
        ("locked@example.test", PW, "customer-locked"),
        ("off@example.test", PW, "customer-inactive"),
        // Another website's customer, accounts shared per website.
        ("admin-site@example.test", PW, "customer-unknown"),
    ] {
        let doc = cust(email, pw);
        assert_eq!(login_codes(&doc), vec![code], "{email}: {doc}");
    }
    // Unconfirmed: only when confirmation is required.
    let doc = cust("new@example.test", PW);
    assert_eq!(login_codes(&doc), Vec::<String>::new(), "{doc}");
    config(&s.db, "customer/create_account/confirm", "1");
    let doc = cust("new@example.test", PW);
    assert_eq!(login_codes(&doc), vec!["customer-inactive"], "{doc}");
}

/// The same logins give the same findings from the live database and from its mysqldump.
#[test]
fn live_and_dump_agree() {
    let Some(s) = scenario(false) else { return };
    let dump = s.store.path("logins.sql");
    s.db.mysqldump(&dump, false);
    let dump = dump.to_str().unwrap().to_string();
    let rows = s.db.query(&format!(
        "SELECT username FROM {}",
        s.db.table("admin_user")
    ));
    let mut names: Vec<String> = rows.into_iter().filter_map(|r| r[0].clone()).collect();
    names.push("nobody".into());
    for name in &names {
        for password in ["Right-Passw0rd", "wrong-one-1"] {
            let live = s.admin(name, password);
            let from_dump = s.run(&["--admin-user", name, "--dump", &dump], password);
            assert_eq!(
                login_codes(&live),
                login_codes(&from_dump),
                "{name}: live {live}\ndump {from_dump}"
            );
        }
    }
}
