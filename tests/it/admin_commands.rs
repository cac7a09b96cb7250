//! The fix commands of issue 3 on the lab: `admin:user:change-password` (checked back by PHP's
//! `sodium_crypto_pwhash` over the stored salt and parameters), `admin:user:unlock`,
//! `integration:list/show/activate`, their journal entries (no password, no token in clear),
//! `undo`, and the refusal of `--dump`.

use std::path::Path;
use std::process::Output;

use crate::lab;
use crate::lab::{EnvSpec, FixtureStore, LabDb};
use crate::lab::{php, php_quote as q};
use serde_json::Value;

const OLD_PW: &str = "0ld password";
const OLD_SALT: &str = "Xb7TqPz0aLm3Nc9RvW2yKd5Hs8Jf1Ge4";
const NEW_PW: &str = "N3w-secret-pass";

const MODULES: &[(&str, &str)] = &[
    ("Magento_Store", "magento/module-store"),
    ("Magento_Backend", "magento/module-backend"),
    ("Magento_Catalog", "magento/module-catalog"),
    ("Magento_Customer", "magento/module-customer"),
    ("Magento_Sales", "magento/module-sales"),
    ("Magento_Integration", "magento/module-integration"),
    ("Magento_User", "magento/module-user"),
    ("Magento_Webapi", "magento/module-webapi"),
];

const ERP_TOKEN: &str = "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g";

/// `Encryptor::decrypt()` of a `0:3:` value by PHP's libsodium with the lab's crypt key.
fn php_decrypt(stored: &str) -> Option<String> {
    php(&format!(
        "$k = base64_decode(substr({}, 6)); $d = base64_decode(explode(':', {}, 3)[2]); $n = substr($d, 0, 12); echo sodium_crypto_aead_chacha20poly1305_ietf_decrypt(substr($d, 12), $n, $n, $k);",
        q(lab::fixture::MAGENTO_CRYPT_KEY),
        q(stored)
    ))
}

struct Scenario {
    store: FixtureStore,
    db: LabDb,
}

/// A 2.4.7 store with admin "admin" (user 1, SHA-256 hash of OLD_PW made by PHP, locked, a
/// throttle row), admin "jane" (user 2, not locked), integration ERP (active, with a token) and
/// integration Shop (inactive, no token, a role allowing Catalog > Products).
fn scenario(release: &str) -> Option<Scenario> {
    let lab = lab::mariadb()?;
    let with_acl = lab::reference_dir().is_some();
    let old_hash = php(&format!(
        "echo hash('sha256',{}.{});",
        q(OLD_SALT),
        q(OLD_PW)
    ))?;
    let db = lab.database("");
    let store = FixtureStore::new();
    store.env(&EnvSpec::magento(&db));
    store.config_php(&MODULES.iter().map(|(m, _)| (*m, true)).collect::<Vec<_>>());
    if with_acl {
        for (m, p) in MODULES {
            store.vendor_module(m, p);
        }
    }
    store.composer_lock("magento/product-community-edition", release);
    db.insert(
        "admin_user",
        &[
            ("user_id", 1.into()),
            ("username", "admin".into()),
            ("email", "admin@example.test".into()),
            ("password", format!("{old_hash}:{OLD_SALT}:1").into()),
            ("is_active", 1.into()),
            ("failures_num", 6.into()),
            ("first_failure", "2026-11-28 08:00:00".into()),
            ("lock_expires", "2036-11-28 08:30:00".into()),
        ],
    );
    db.insert(
        "admin_user",
        &[
            ("user_id", 2.into()),
            ("username", "jane".into()),
            ("email", "jane@example.test".into()),
            ("password", format!("{old_hash}:{OLD_SALT}:1").into()),
            ("is_active", 1.into()),
        ],
    );
    // The token endpoint's throttle: admin "admin" (user_type 3) and a customer of the same
    // name (user_type 2), which must stay.
    for (t, n) in [(3, 7), (2, 4)] {
        db.insert(
            "oauth_token_request_log",
            &[
                ("user_name", "admin".into()),
                ("user_type", (t as i64).into()),
                ("failures_count", (n as i64).into()),
                ("lock_expires_at", "2036-11-28 08:30:00".into()),
            ],
        );
    }
    db.integration(1, "ERP", ERP_TOKEN);
    db.insert(
        "oauth_consumer",
        &[
            ("entity_id", 2.into()),
            ("name", "Integration2".into()),
            ("key", "shopkey0000000000000000000000002".into()),
            ("secret", "shopsecret00000000000000000000a2".into()),
            ("rejected_callback_url", "".into()),
        ],
    );
    db.insert(
        "integration",
        &[
            ("integration_id", 2.into()),
            ("name", "Shop".into()),
            ("email", "shop@example.test".into()),
            ("status", 0.into()),
            ("consumer_id", 2.into()),
            ("setup_type", 0.into()),
        ],
    );
    db.role(20, 0, "U", 2, "1", "12");
    db.rule(20, "Magento_Backend::admin", "allow");
    db.rule(20, "Magento_Catalog::catalog", "allow");
    db.rule(20, "Magento_Catalog::catalog_inventory", "allow");
    db.rule(20, "Magento_Catalog::products", "allow");
    // The role editor writes a deny row for every resource left unticked.
    db.rule(20, "Magento_Sales::sales", "deny");
    db.rule(20, "Magento_Customer::customer", "deny");
    db.integration_as_bearer();
    // The lab's schema is the reference db_schema.xml of a release before 2.4.3-p2 (secrets
    // varchar(32)); the releases that encrypt them widened both columns to 128.
    db.exec(&format!(
        "ALTER TABLE {} MODIFY secret varchar(128) NOT NULL; ALTER TABLE {} MODIFY secret varchar(128) NULL",
        db.table("oauth_consumer"),
        db.table("oauth_token")
    ));
    Some(Scenario { store, db })
}

impl Scenario {
    fn root(&self) -> &str {
        self.store.root().to_str().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", self.root()]);
        lab::m2auth(&all, Path::new(self.root()))
    }

    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--format", "json", "--root", self.root()]);
        let (code, doc, _) = lab::report::run_json_doc(&all, Path::new(self.root()));
        (code, doc)
    }

    fn one(&self, sql: &str) -> Vec<Option<String>> {
        self.db
            .query(sql)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no row: {sql}"))
    }

    fn count(&self, sql: &str) -> i64 {
        self.one(sql)[0].as_deref().unwrap().parse().unwrap()
    }

    fn admin(&self, user: &str) -> Vec<Option<String>> {
        self.one(&format!(
            "SELECT password, lock_expires, failures_num, first_failure FROM admin_user WHERE username = '{user}'"
        ))
    }

    /// Every journal file's text.
    fn journals(&self) -> Vec<String> {
        let dir = self.store.path("var/m2auth/journal");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        rd.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn change_password_writes_a_hash_php_verifies_and_undo_restores_it() {
    let Some(s) = scenario("2.4.7-p3") else {
        return;
    };
    let before = s.admin("admin");
    let out = s.run(&[
        "admin:user:change-password",
        "--username=admin",
        &format!("--password={NEW_PW}"),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!stdout.contains(NEW_PW) && !stderr.contains(NEW_PW));
    assert!(stdout.contains("version 3_32_2_67108864"), "{stdout}");
    assert!(stdout.contains("(was version 1)"), "{stdout}");
    assert!(stdout.contains("lock_expires"), "{stdout}");

    // The stored hash: Argon2id 3_32_2_67108864 over a 32-character salt, checked by PHP.
    let row = s.admin("admin");
    let stored = row[0].clone().unwrap();
    let parts: Vec<&str> = stored.splitn(3, ':').collect();
    assert_eq!(parts.len(), 3, "{stored}");
    let (hash, salt, version) = (parts[0], parts[1], parts[2]);
    assert_eq!(version, "3_32_2_67108864");
    assert_eq!(salt.len(), 32);
    assert!(salt.bytes().all(|b| b.is_ascii_alphanumeric()), "{salt}");
    let Some(php_hex) = php(&format!(
        "echo bin2hex(sodium_crypto_pwhash(32,{},substr({},0,16),2,67108864,SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13));",
        q(NEW_PW),
        q(salt)
    )) else {
        return;
    };
    assert_eq!(php_hex, hash, "PHP's sodium_crypto_pwhash disagrees");
    // And m2auth's own verification agrees.
    assert!(
        m2auth::magento::password::verify(NEW_PW, &stored, None)
            .unwrap()
            .matches
    );

    // The lock is cleared, the admin throttle row is gone, the customer's stays.
    assert_eq!(row[1], None);
    assert_eq!(row[2].as_deref(), Some("0"));
    assert_eq!(row[3], None);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM oauth_token_request_log WHERE user_type = 3"),
        0
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM oauth_token_request_log WHERE user_type = 2"),
        1
    );

    // Password history as trackPassword() writes it.
    let hist = s.one(
        "SELECT user_id, password_hash, expires, last_updated FROM admin_passwords ORDER BY password_id DESC",
    );
    assert_eq!(hist[0].as_deref(), Some("1"));
    // admin_passwords.password_hash is varchar(100) in Magento's schema and Magento's sessions
    // are not strict: the 113-character Argon2id hash is stored cut to 100, as Magento stores it.
    let width: usize = s.one(
        "SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'admin_passwords' AND COLUMN_NAME = 'password_hash'",
    )[0]
    .as_deref()
    .unwrap()
    .parse()
    .unwrap();
    let expected: String = stored.chars().take(width).collect();
    assert_eq!(hist[1].as_deref(), Some(expected.as_str()));
    assert_eq!(hist[2].as_deref(), Some("0"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let last: i64 = hist[3].as_deref().unwrap().parse().unwrap();
    assert!((now - last).abs() < 120, "last_updated {last}, now {now}");

    // The journal holds the hash (as the database does), never the password.
    let journals = s.journals();
    assert_eq!(journals.len(), 1);
    assert!(!journals[0].contains(NEW_PW), "{}", journals[0]);
    assert!(journals[0].contains(hash));

    // Undo restores the old hash, the lock and the throttle row, and drops the history row —
    // also when it runs in a later second than the change (admin_user.modified is an
    // ON UPDATE CURRENT_TIMESTAMP column the revert must not let MySQL move).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = s.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(s.admin("admin"), before);
    assert_eq!(s.count("SELECT COUNT(*) FROM admin_passwords"), 0);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM oauth_token_request_log WHERE user_type = 3"),
        1
    );
}

#[test]
fn change_password_forms_policy_and_unknown_users() {
    let Some(s) = scenario("2.4.6-p3") else {
        return;
    };
    let jane = s.admin("jane");
    // Magento's policy, with Magento's messages; nothing changes.
    for (pw, msg) in [
        ("abc123", "Your password must be at least 7 characters."),
        (
            "abcdefghij",
            "Your password must include both numeric and alphabetic characters.",
        ),
        (
            "1234567890",
            "Your password must include both numeric and alphabetic characters.",
        ),
    ] {
        let out = s.run(&["admin:user:change-password", "jane", pw]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{pw}: {stdout}{stderr}");
        assert!(stderr.contains(msg), "{pw}: {stderr}");
        assert!(!stderr.contains(pw) && !stdout.contains(pw), "{stderr}");
    }
    assert_eq!(s.admin("jane"), jane);
    // An unknown user: exit 1 (n98 exits 0), a clear message, nothing written.
    let out = s.run(&[
        "admin:user:change-password",
        "--username",
        "nobody",
        "--password",
        NEW_PW,
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no admin user is named 'nobody'"),
        "{stderr}"
    );
    assert!(s.journals().is_empty());
    // No password and no terminal: refused, not guessed.
    let out = s.run(&["admin:user:change-password", "--username", "jane"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    // The n98-magerun2 form; on 2.4.6 Magento writes version 2.
    let out = s.run(&["admin:user:change-password", "jane", NEW_PW]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let stored = s.admin("jane")[0].clone().unwrap();
    assert!(stored.ends_with(":2"), "{stored}");
    assert!(
        m2auth::magento::password::verify(NEW_PW, &stored, None)
            .unwrap()
            .matches
    );
    // --password-file, JSON output.
    let pwfile = s.store.path("pw.txt");
    std::fs::write(&pwfile, "An0ther-one\n").unwrap();
    let (code, doc) = s.json(&[
        "admin:user:change-password",
        "--admin-user",
        "jane",
        "--password-file",
        pwfile.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["username"], "jane");
    assert_eq!(doc["hash_version"], "2");
    assert!(!doc.to_string().contains("An0ther-one"));
    let stored = s.admin("jane")[0].clone().unwrap();
    assert!(
        m2auth::magento::password::verify("An0ther-one", &stored, None)
            .unwrap()
            .matches
    );
    for j in s.journals() {
        assert!(!j.contains(NEW_PW) && !j.contains("An0ther-one"), "{j}");
    }
}

#[test]
fn unlock_with_and_without_a_lock() {
    let Some(s) = scenario("2.4.7-p3") else {
        return;
    };
    let before = s.admin("admin");
    let out = s.run(&["admin:user:unlock", "admin"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("admin_user.lock_expires"), "{stdout}");
    assert!(stdout.contains("oauth_token_request_log"), "{stdout}");
    let row = s.admin("admin");
    assert_eq!(row[0], before[0], "the password is not touched");
    assert_eq!(
        (row[1].clone(), row[2].as_deref(), row[3].clone()),
        (None, Some("0"), None)
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM oauth_token_request_log WHERE user_name = 'admin' AND user_type = 3"),
        0
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM oauth_token_request_log WHERE user_name = 'admin' AND user_type = 2"),
        1,
        "the customer throttle row of the same name stays"
    );
    assert_eq!(s.journals().len(), 1);
    // Already clear: nothing to unlock, exit 0, no journal entry.
    let (code, doc) = s.json(&["admin:user:unlock", "admin"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["changed"], false);
    let out = s.run(&["admin:user:unlock", "jane"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out).0.contains("nothing to unlock"),
        "{:?}",
        text(&out)
    );
    assert_eq!(s.journals().len(), 1);
    // Unknown user: exit 1.
    let out = s.run(&["admin:user:unlock", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("no admin user is named 'nobody'"));
    // Undo brings the lock back.
    let out = s.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(s.admin("admin"), before);
}

#[test]
fn integrations_list_show_and_activate() {
    let Some(s) = scenario("2.4.7-p3") else {
        return;
    };
    let with_acl = lab::reference_dir().is_some();
    // list: status, consumer key whole, secrets masked.
    let out = s.run(&["integration:list", "--format", "json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        !stdout.contains(ERP_TOKEN) && !stdout.contains("sec00000"),
        "{stdout}"
    );
    assert!(!stdout.contains("shopsecret00000000000000000000a2"));
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let all = doc.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["name"], "ERP");
    assert_eq!(all[0]["status_label"], "Active");
    assert_eq!(all[0]["consumer_key"], format!("key{:029}", 1));
    assert_eq!(all[0]["token"]["type"], "access");
    assert_eq!(all[0]["token"]["access_token"], "at7q…3f5g");
    assert_eq!(all[1]["name"], "Shop");
    assert_eq!(all[1]["status_label"], "Inactive");
    assert_eq!(all[1]["token"], Value::Null);
    // Text too.
    let out = s.run(&["integration:list"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("Shop") && stdout.contains("Inactive"),
        "{stdout}"
    );

    // show: the role's resources through the ACL.
    let (code, doc) = s.json(&["integration:show", "Shop"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["status"], 0);
    assert_eq!(doc["role_id"], 20);
    assert_eq!(doc["consumer_secret"], "shop…00a2");
    if with_acl {
        let res: Vec<&str> = doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(res.contains(&"Magento_Catalog::products"), "{res:?}");
        assert!(!res.contains(&"Magento_Sales::sales"), "{res:?}");
    }
    let (code, doc) = s.json(&["integration:show", "1"]);
    assert_eq!((code, doc["name"].as_str()), (0, Some("ERP")));
    let out = s.run(&["integration:show", "Nope"]);
    assert_eq!(out.status.code(), Some(1));

    // activate: status 1 and a fresh access token, masked in the output, whole in a 0600 file.
    let (code, doc) = s.json(&["integration:activate", "Shop"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["changed"], true);
    let file = doc["credentials_file"].as_str().unwrap().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let creds = std::fs::read_to_string(&file).unwrap();
    let value = |k: &str| {
        creds
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_string()
    };
    let token = value("ACCESS_TOKEN");
    let secret = value("ACCESS_TOKEN_SECRET");
    assert_eq!(value("CONSUMER_KEY"), "shopkey0000000000000000000000002");
    for v in [&token, &secret] {
        assert_eq!(v.len(), 32);
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
            "{v}"
        );
    }
    assert!(!doc.to_string().contains(&token) && !doc.to_string().contains(&secret));
    let row = s.one(
        "SELECT consumer_id, type, token, secret, callback_url, revoked, user_type, admin_id, customer_id, LENGTH(verifier) FROM oauth_token WHERE consumer_id = 2",
    );
    assert_eq!(row[0].as_deref(), Some("2"));
    assert_eq!(row[1].as_deref(), Some("access"));
    assert_eq!(row[2].as_deref(), Some(token.as_str()));
    // 2.4.7-p3 keeps the token secret encrypted: PHP's libsodium opens it with crypt/key.
    let stored = row[3].clone().unwrap();
    assert!(stored.starts_with("0:3:"), "{stored}");
    assert_eq!(php_decrypt(&stored).as_deref(), Some(secret.as_str()));
    assert_eq!(row[4].as_deref(), Some("oob"));
    assert_eq!(row[5].as_deref(), Some("0"));
    assert_eq!(row[6].as_deref(), Some("1"));
    assert_eq!((row[7].clone(), row[8].clone()), (None, None));
    assert_eq!(row[9].as_deref(), Some("32"));
    assert_eq!(
        s.one("SELECT status FROM integration WHERE name = 'Shop'")[0].as_deref(),
        Some("1")
    );
    // The journal keeps digests of the token, never the token.
    let journals = s.journals();
    assert_eq!(journals.len(), 1);
    assert!(!journals[0].contains(&token) && !journals[0].contains(&secret));
    assert!(journals[0].contains("sha256:"), "{}", journals[0]);

    // The new token identifies the integration.
    let (_, doc) = s.json(&[
        "acl:check",
        "--request",
        "GET /V1/products/abc",
        "--token",
        &token,
    ]);
    assert_eq!(doc["caller"]["kind"], "integration", "{doc}");
    assert!(
        doc["caller"]["description"]
            .as_str()
            .unwrap()
            .contains("Shop"),
        "{doc}"
    );
    if with_acl {
        assert_eq!(doc["allowed"], true, "{doc}");
    }

    // Again: nothing to do. Unknown: exit 1.
    let (code, doc) = s.json(&["integration:activate", "Shop"]);
    assert_eq!((code, &doc["changed"]), (0, &Value::Bool(false)), "{doc}");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM oauth_token WHERE consumer_id = 2"),
        1
    );
    let out = s.run(&["integration:activate", "Nope"]);
    assert_eq!(out.status.code(), Some(1));

    // Undo deletes the token (recognised by its digests) and restores the status.
    let out = s.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(
        s.count("SELECT COUNT(*) FROM oauth_token WHERE consumer_id = 2"),
        0
    );
    assert_eq!(
        s.one("SELECT status FROM integration WHERE name = 'Shop'")[0].as_deref(),
        Some("0")
    );
    for j in s.journals() {
        assert!(!j.contains(&token) && !j.contains(&secret), "{j}");
    }
    // An existing token is kept: re-activating an inactive ERP only sets the status.
    s.db.exec("UPDATE integration SET status = 0 WHERE name = 'ERP'");
    let (code, doc) = s.json(&["integration:activate", "ERP"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["token_created"], Value::Null);
    assert_eq!(doc["credentials_file"], Value::Null);
    assert_eq!(
        s.one("SELECT token FROM oauth_token WHERE consumer_id = 1")[0].as_deref(),
        Some(ERP_TOKEN)
    );
}

#[test]
fn writers_refuse_a_dump_and_readers_read_one() {
    let Some(s) = scenario("2.4.7-p3") else {
        return;
    };
    let dump = s.store.path("db.sql");
    s.db.mysqldump(&dump, false);
    let d = dump.to_str().unwrap();
    for args in [
        vec!["admin:user:change-password", "admin", NEW_PW],
        vec!["admin:user:unlock", "admin"],
        vec!["integration:activate", "Shop"],
    ] {
        let mut a = args.clone();
        a.extend_from_slice(&["--dump", d]);
        let out = s.run(&a);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains("read-only"), "{stderr}");
        assert!(!stderr.contains(NEW_PW));
    }
    assert_eq!(s.admin("admin")[2].as_deref(), Some("6"));
    assert!(s.journals().is_empty());
    let (code, doc) = s.json(&["integration:list", "--dump", d]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc.as_array().unwrap().len(), 2);
    let (code, doc) = s.json(&["integration:show", "Shop", "--dump", d]);
    assert_eq!((code, doc["status_label"].as_str()), (0, Some("Inactive")));
}

/// A recreated integration (status 2), or one whose token was revoked, is re-authorised as the
/// admin's Reauthorize does: the old token deleted, a new access token issued.
#[test]
fn activate_reauthorises_a_recreated_or_revoked_integration() {
    let Some(s) = scenario("2.4.7-p3") else {
        return;
    };
    let tokens = format!(
        "SELECT token FROM {} WHERE consumer_id = (SELECT consumer_id FROM {} WHERE name = 'ERP')",
        s.db.table("oauth_token"),
        s.db.table("integration")
    );
    for setup in [
        format!(
            "UPDATE {} SET status = 2 WHERE name = 'ERP'",
            s.db.table("integration")
        ),
        format!(
            "UPDATE {} SET revoked = 1 WHERE consumer_id = (SELECT consumer_id FROM {} WHERE name = 'ERP')",
            s.db.table("oauth_token"),
            s.db.table("integration")
        ),
    ] {
        s.db.exec(&setup);
        let before = s.one(&tokens);
        let (code, doc) = s.json(&["integration:activate", "ERP"]);
        assert_eq!(code, 0, "{doc}");
        assert_eq!(doc["replaced_existing_token"], true, "{doc}");
        let after = s.one(&tokens);
        assert_eq!(after.len(), 1, "one token after reauthorising");
        assert_ne!(before, after, "the token was replaced");
        assert_eq!(
            s.count(&format!(
                "SELECT COUNT(*) FROM {} WHERE name = 'ERP' AND status = 1",
                s.db.table("integration")
            )),
            1
        );
    }
}

/// On a release that encrypts OAuth secrets the new token secret is stored encrypted; on one
/// before the encryption (2.4.3-p1) in clear. Undo of a reauthorisation puts the deleted token
/// back as it was (its secret columns sealed in the journal with the store's crypt key, never in
/// clear), and the integration then signs with its old credentials again.
#[test]
fn activate_stores_secrets_per_release_and_undo_restores_a_replaced_token() {
    for (release, encrypted) in [("2.4.3-p1", false), ("2.4.7-p3", true)] {
        let Some(s) = scenario(release) else {
            return;
        };
        let (code, doc) = s.json(&["integration:activate", "Shop"]);
        assert_eq!(code, 0, "{doc}");
        let stored = s.one("SELECT secret FROM oauth_token WHERE consumer_id = 2")[0]
            .clone()
            .unwrap();
        assert_eq!(stored.starts_with("0:3:"), encrypted, "{release}: {stored}");
        let how = doc["token_created"]["secret_storage"].as_str().unwrap();
        assert!(
            how.starts_with(if encrypted { "encrypted" } else { "in clear" }),
            "{how}"
        );

        // Reauthorise ERP (status 2): its token is replaced; undo brings it back whole.
        let before = s.one(
            "SELECT entity_id, token, secret, verifier FROM oauth_token WHERE consumer_id = 1",
        );
        s.db.exec(&format!(
            "UPDATE {} SET status = 2 WHERE name = 'ERP'",
            s.db.table("integration")
        ));
        let (code, doc) = s.json(&["integration:activate", "ERP"]);
        assert_eq!(
            (code, &doc["replaced_existing_token"]),
            (0, &Value::Bool(true)),
            "{doc}"
        );
        for j in s.journals() {
            assert!(
                !j.contains(ERP_TOKEN),
                "the old token in clear in the journal: {j}"
            );
        }
        let out = s.run(&["undo", "--apply"]);
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        assert_eq!(
            s.one(
                "SELECT entity_id, token, secret, verifier FROM oauth_token WHERE consumer_id = 1"
            ),
            before,
            "{release}"
        );
        assert_eq!(
            s.one("SELECT status FROM integration WHERE name = 'ERP'")[0].as_deref(),
            Some("2")
        );
    }
}

/// A schema whose oauth_token.secret is still varchar(32) cannot hold an encrypted secret: on a
/// store known only by its release number the secret is stored in clear (as that schema's release
/// does), never cut short; with the Integration module's encrypting patch on disk, refused.
#[test]
fn activate_never_truncates_an_encrypted_secret() {
    let Some(s) = scenario("2.4.7-p3") else {
        return;
    };
    s.db.exec(&format!(
        "ALTER TABLE {} MODIFY secret varchar(32) NULL",
        s.db.table("oauth_token")
    ));
    let (code, doc) = s.json(&["integration:activate", "Shop"]);
    assert_eq!(code, 0, "{doc}");
    let how = doc["token_created"]["secret_storage"].as_str().unwrap();
    assert!(how.contains("varchar(32)"), "{how}");
    let stored = s.one("SELECT secret FROM oauth_token WHERE consumer_id = 2")[0]
        .clone()
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!stored.contains(':'), "{stored}");
    s.run(&["undo", "--apply"]);
    // The store's code says it encrypts: refused, nothing written.
    let patch = s
        .store
        .path("vendor/magento/module-integration/Setup/Patch/Data/UpgradeOauthToken.php");
    if s.store
        .path("vendor/magento/module-integration/etc")
        .is_dir()
    {
        std::fs::create_dir_all(patch.parent().unwrap()).unwrap();
        std::fs::write(&patch, "<?php // the data patch of 2.4.3-p2+\n").unwrap();
        let out = s.run(&["integration:activate", "Shop"]);
        let (stdout, stderr) = text(&out);
        assert_ne!(out.status.code(), Some(0), "{stdout}{stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert_eq!(
            s.count("SELECT COUNT(*) FROM oauth_token WHERE consumer_id = 2"),
            0
        );
    }
}

/// A login after a password change writes admin_user.logdate and lognum (and MySQL moves
/// `modified`): columns the change did not touch. Undo still restores the password and the lock,
/// and leaves the login's columns as they are; a column the change did touch, changed since, is
/// still a conflict.
#[test]
fn undo_of_an_update_ignores_columns_the_entry_did_not_change() {
    let Some(s) = scenario("2.4.7-p3") else {
        return;
    };
    let before = s.admin("admin");
    let out = s.run(&[
        "admin:user:change-password",
        "--username=admin",
        &format!("--password={NEW_PW}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    s.db.exec(&format!(
        "UPDATE {} SET logdate = '2026-12-07 10:00:00', lognum = lognum + 1 WHERE username = 'admin'",
        s.db.table("admin_user")
    ));
    let out = s.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(s.admin("admin"), before);
    assert_eq!(
        s.one("SELECT logdate, lognum FROM admin_user WHERE username = 'admin'"),
        vec![
            Some("2026-12-07 10:00:00".to_string()),
            Some("1".to_string())
        ]
    );
    // Changed since in a column the entry owns: refused, named.
    let out = s.run(&[
        "admin:user:change-password",
        "--username=admin",
        &format!("--password={NEW_PW}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    s.db.exec(&format!(
        "UPDATE {} SET failures_num = 3 WHERE username = 'admin'",
        s.db.table("admin_user")
    ));
    let out = s.run(&["undo", "--apply"]);
    let (_, stderr) = text(&out);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("failures_num"), "{stderr}");
}

/// Issue 11, "a kill at any moment of any write command leaves the store either unchanged or fully
/// changed and undoable": every database write command killed (debug builds:
/// `M2AUTH_TEST_KILL_AT`) after its journal entry and after its COMMIT, then `undo` killed after
/// its own entry and after its COMMIT; each time, a later `undo` brings the rows back exactly.
#[test]
fn a_kill_at_any_point_of_a_database_write_leaves_it_undoable() {
    use std::os::unix::process::ExitStatusExt;
    let commands: &[&[&str]] = &[
        &["admin:user:unlock", "admin"],
        &[
            "admin:user:change-password",
            "--username=jane",
            "--password=N3w-Passw0rd-2026",
        ],
        &["integration:activate", "Shop"],
        &[
            "acl:grant",
            "--integration",
            "Shop",
            "--resource",
            "Magento_Sales::sales",
            "--apply",
        ],
    ];
    let kill = |s: &Scenario, args: &[&str], point: &str| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", s.root()]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_m2auth"))
            .args(&all)
            .env("M2AUTH_TEST_KILL_AT", point)
            .current_dir(s.root())
            .output()
            .unwrap();
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{args:?} at {point}: {:?}",
            text(&out)
        );
    };
    for cmd in commands {
        for point in ["entry-written", "committed"] {
            let Some(s) = scenario("2.4.7-p3") else {
                return;
            };
            let tables = [
                "admin_user",
                "oauth_token_request_log",
                "integration",
                "oauth_token",
                "oauth_consumer",
                "authorization_role",
                "authorization_rule",
            ];
            let snapshot = || -> String {
                tables
                    .iter()
                    .map(|t| {
                        format!(
                            "{:?}",
                            s.db.query(&format!("SELECT * FROM {} ORDER BY 1", s.db.table(t)))
                        )
                    })
                    .collect()
            };
            let before = snapshot();
            kill(&s, cmd, point);
            if snapshot() != before {
                let out = s.run(&["undo", "--apply"]);
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{cmd:?} at {point}: {:?}",
                    text(&out)
                );
            }
            assert_eq!(snapshot(), before, "{cmd:?} killed at {point}, then undo");
            // The undo itself killed, then finished by the next undo.
            for undo_point in ["undo-entry-written", "undo-committed"] {
                let out = s.run(cmd);
                assert_eq!(out.status.code(), Some(0), "{cmd:?}: {:?}", text(&out));
                assert_ne!(snapshot(), before, "{cmd:?} changed nothing");
                kill(&s, &["undo", "--apply"], undo_point);
                let out = s.run(&["undo", "--apply"]);
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{cmd:?}, undo killed at {undo_point}: {:?}",
                    text(&out)
                );
                assert_eq!(snapshot(), before, "{cmd:?}, undo killed at {undo_point}");
                let out = s.run(&["undo", "--list"]);
                assert!(!text(&out).0.contains("DAMAGED"), "{:?}", text(&out));
            }
        }
    }
}
