//! Step 9, prevention (audit): one scenario per code — the three `diagnose` shows too (the
//! default admin path, 2FA off, a legacy crypt key) and the ones only `m2auth audit` runs
//! (integrations, tokens, passwords, the release, backups, dormant admins, the web server's
//! guard of the admin URL) — and a hardened store that produces none of them. `--fail-on`.

use crate::lab::fixture::MAGENTO_CRYPT_KEY;
use crate::lab::scenario::Scenario;

const LEGACY_KEY: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "aud1t0k3nx9q8w7e6r5t4y3u2i1o0pzz";

/// A hardened store on the newest patch of its line (m2auth's table): custom admin path, 2FA
/// installed and on, a base64 crypt key, a fresh backup in var/backups.
fn hardened() -> Option<Scenario> {
    let s = Scenario::new()?;
    s.release("2.4.7-p10")
        .env("backend/frontName", "backoffice_q7")
        .modules(&[("Magento_TwoFactorAuth", "magento/module-two-factor-auth")])
        .file("var/backups/1796000000_db.sql", "-- a dump\n");
    Some(s)
}

#[test]
fn hardened_store_has_no_step_9_finding() {
    let Some(s) = hardened() else { return };
    s.diagnose(&[])
        .expect_none_of_step(9)
        .expect_no_error()
        .expect_exit(0);
    s.run(&["audit"]).expect_codes(&[]).expect_exit(0);
    s.run(&["audit", "--fail-on", "warning"])
        .expect_codes(&[])
        .expect_exit(0);
}

#[test]
fn audit_default_admin_path() {
    let Some(s) = hardened() else { return };
    s.env("backend/frontName", "admin");
    s.diagnose(&[])
        .expect_codes(&["audit-default-admin-path"])
        .expect_severity("audit-default-admin-path", "warning")
        .expect_exit(0);
    s.run(&["audit"])
        .expect_codes(&["audit-default-admin-path"])
        .expect_exit(0);
}

#[test]
fn audit_2fa_disabled() {
    let Some(s) = hardened() else { return };
    s.module("Magento_TwoFactorAuth", false);
    s.diagnose(&[])
        .expect_codes(&["audit-2fa-disabled"])
        .expect_no_error();
}

#[test]
fn audit_legacy_crypt_key() {
    let Some(s) = hardened() else { return };
    // A legacy 32-character key added after the base64 one: it is the one in use.
    s.env(
        "crypt/key",
        format!("{MAGENTO_CRYPT_KEY}\n{LEGACY_KEY}").as_str(),
    );
    s.diagnose(&[])
        .expect_codes(&["audit-legacy-crypt-key"])
        .expect_severity("audit-legacy-crypt-key", "info")
        .expect_exit(0);
}

#[test]
fn audit_integration_all_resources() {
    let Some(s) = hardened() else { return };
    s.integration(1, "erp", TOKEN)
        .role(50, 0, "U", 1, "1", "erp")
        .rule(50, "Magento_Backend::all", "allow");
    let out = s
        .run(&["audit"])
        .expect_codes(&["audit-integration-all-resources"])
        .expect_severity("audit-integration-all-resources", "warning");
    assert!(
        out.finding("audit-integration-all-resources")["detail"]
            .as_str()
            .unwrap()
            .contains("erp")
    );
    // The integration's token is a secret: never in the report.
    assert!(!out.doc().to_string().contains(TOKEN));
}

#[test]
fn audit_bearer_enabled_and_fail_on() {
    let Some(s) = hardened() else { return };
    s.bearer();
    s.run(&["audit"])
        .expect_codes(&["audit-bearer-enabled"])
        .expect_severity("audit-bearer-enabled", "warning")
        .expect_exit(0);
    s.run(&["audit", "--fail-on", "warning"])
        .expect_code("audit-bearer-enabled")
        .expect_exit(1);
    s.run(&["audit", "--fail-on", "error"]).expect_exit(0);
}

#[test]
fn audit_token_lifetime_long() {
    let Some(s) = hardened() else { return };
    // A week, in minutes; the legacy customer lifetime at Magento's default stays quiet.
    s.config("webapi/jwtauth/admin_expiration", "10080");
    let out = s
        .run(&["audit"])
        .expect_codes(&["audit-token-lifetime-long"]);
    let detail = out.finding("audit-token-lifetime-long")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("7 days"), "{detail}");
}

#[test]
fn audit_weak_password_hash() {
    let Some(s) = hardened() else { return };
    // The lab's admins and customers are stored with hash version 1 (sha256).
    s.admin("jane", super::PW)
        .customer("ann@example.test", super::PW);
    let out = s
        .run(&["audit"])
        .expect_code("audit-weak-password-hash")
        .expect_severity("audit-weak-password-hash", "warning");
    let f = out.finding("audit-weak-password-hash");
    let detail = f["detail"].as_str().unwrap();
    assert!(
        detail.contains("jane") && detail.contains("1 customer"),
        "{f:#}"
    );
    assert!(
        f["fix"]["commands"]
            .to_string()
            .contains("customer:hash:upgrade")
    );
}

#[test]
fn audit_magento_outdated() {
    let Some(s) = hardened() else { return };
    s.release("2.4.7-p3");
    let out = s
        .run(&["audit"])
        .expect_codes(&["audit-magento-outdated"])
        .expect_severity("audit-magento-outdated", "warning");
    let detail = out.finding("audit-magento-outdated")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("2.4.7-p10")
            && detail.contains("APSB25-88")
            && !detail.contains("APSB24-40"),
        "{detail}"
    );
    // An Open Source line Adobe patches for Commerce only: move to a supported line.
    s.release("2.4.5-p3");
    let out = s.run(&["audit"]).expect_codes(&["audit-magento-outdated"]);
    assert!(
        out.finding("audit-magento-outdated")["detail"]
            .as_str()
            .unwrap()
            .contains("APSB24-40")
    );
}

#[test]
fn audit_no_backup_found() {
    let Some(s) = hardened() else { return };
    std::fs::remove_file(s.root().join("var/backups/1796000000_db.sql")).unwrap();
    s.run(&["audit"])
        .expect_codes(&["audit-no-backup-found"])
        .expect_severity("audit-no-backup-found", "info")
        .expect_exit(0);
}

#[test]
fn audit_admin_2fa_not_configured() {
    let Some(s) = hardened() else { return };
    s.admin("jane", super::PW).admin("ravi", super::PW);
    // ravi has set up Google Authenticator; jane has not.
    s.sql("INSERT INTO tfa_user_config (user_id, encoded_providers, encoded_config) VALUES (2, '[\"google\"]', '0:3:c2VjcmV0')");
    let out = s
        .run(&["audit"])
        .expect_code("audit-admin-2fa-not-configured")
        .expect_severity("audit-admin-2fa-not-configured", "warning");
    let detail = out.finding("audit-admin-2fa-not-configured")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("jane") && !detail.contains("ravi"),
        "{detail}"
    );
    // With 2FA off it is audit-2fa-disabled's to say.
    s.module("Magento_TwoFactorAuth", false);
    s.run(&["audit"])
        .expect_code("audit-2fa-disabled")
        .expect_no_code("audit-admin-2fa-not-configured");
}

#[test]
fn audit_admin_unused() {
    let Some(s) = hardened() else { return };
    s.admin("jane", super::PW).admin("old", super::PW);
    s.sql("UPDATE admin_user SET logdate = NOW() WHERE username = 'jane'");
    s.sql("UPDATE admin_user SET logdate = '2020-03-01 10:00:00' WHERE username = 'old'");
    let out = s
        .run(&["audit"])
        .expect_code("audit-admin-unused")
        .expect_severity("audit-admin-unused", "warning");
    let detail = out.finding("audit-admin-unused")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("old (last login 2020-03-01)") && !detail.contains("jane"),
        "{detail}"
    );
}

#[test]
fn audit_integration_token_old() {
    let Some(s) = hardened() else { return };
    s.integration(1, "erp", TOKEN)
        .integration(2, "pim", "pimt0k3nx9q8w7e6r5t4y3u2i1o0pzzz");
    s.sql("UPDATE oauth_token SET created_at = '2021-06-01 00:00:00' WHERE consumer_id = 1");
    let out = s
        .run(&["audit"])
        .expect_codes(&["audit-integration-token-old"])
        .expect_severity("audit-integration-token-old", "warning");
    let detail = out.finding("audit-integration-token-old")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("erp") && !detail.contains("pim"),
        "{detail}"
    );
    assert!(!out.doc().to_string().contains(TOKEN));
}

#[test]
fn audit_anonymous_api_allowed() {
    let Some(s) = hardened() else { return };
    s.config("webapi/webapisecurity/allow_insecure", "1");
    s.run(&["audit"])
        .expect_codes(&["audit-anonymous-api-allowed"])
        .expect_severity("audit-anonymous-api-allowed", "warning");
}

/// An Apache configuration serving the store from pub/, with `extra` inside the vhost.
fn apache(s: &Scenario, extra: &str) -> String {
    let root = s.root().canonicalize().unwrap();
    let conf = root.join(".etc/httpd.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(
        &conf,
        format!(
            "LoadModule rewrite_module modules/mod_rewrite.so\nLoadModule php_module /usr/lib/apache2/modules/libphp8.2.so\n<VirtualHost *:80>\n    DocumentRoot {d}\n    <Directory {d}>\n        AllowOverride All\n        Require all granted\n    </Directory>\n{extra}</VirtualHost>\n",
            d = root.join("pub").display()
        ),
    )
    .unwrap();
    conf.to_str().unwrap().to_string()
}

#[test]
fn audit_admin_not_ip_restricted() {
    let Some(s) = hardened() else { return };
    s.file("pub/index.php", "<?php\n");
    let open = apache(&s, "");
    let out = s
        .run(&["audit", "--server-config", &open])
        .expect_codes(&["audit-admin-not-ip-restricted"])
        .expect_severity("audit-admin-not-ip-restricted", "warning");
    assert!(
        out.finding("audit-admin-not-ip-restricted")["evidence"][0]["source"]
            .as_str()
            .unwrap()
            .contains("httpd.conf")
    );
    let guarded = apache(
        &s,
        "    <Location /backoffice_q7>\n        Require ip 10.0.0.0/8\n    </Location>\n",
    );
    s.run(&["audit", "--server-config", &guarded])
        .expect_codes(&[]);
}

/// A fleet: `audit --root A --root B --format jsonl` gives one JSON object per store and line
/// with its root and host; the exit is the worst store's; a store that cannot be read is a line
/// with its error.
#[test]
fn audit_fleet_jsonl() {
    let Some(a) = hardened() else { return };
    let Some(b) = hardened() else { return };
    b.bearer()
        .config("web/secure/base_url", "https://shop-b.example.test/");
    // Writes b's files.
    b.run(&["audit"]).expect_codes(&["audit-bearer-enabled"]);
    let b_root = b.root().to_str().unwrap().to_string();
    let out = a.run_text(&[
        "audit",
        "--format",
        "jsonl",
        "--fail-on",
        "warning",
        "--root",
        &b_root,
    ]);
    let (code, text, _) = out;
    assert_eq!(code, 1, "{text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["root"], b_root.as_str());
    assert_eq!(lines[0]["host"], "shop-b.example.test");
    assert_eq!(lines[0]["exit"], 1);
    assert_eq!(
        lines[0]["report"]["findings"][0]["code"],
        "audit-bearer-enabled"
    );
    assert_eq!(lines[1]["exit"], 0);
    assert_eq!(lines[1]["report"]["findings"], serde_json::json!([]));
    // A root that is no store: its line says why, exit 2.
    let out = a.run_text(&["audit", "--format", "jsonl", "--root", "/nonexistent/shop"]);
    assert_eq!(out.0, 2);
    let first: serde_json::Value = serde_json::from_str(out.1.lines().next().unwrap()).unwrap();
    assert!(first["error"].as_str().is_some(), "{first}");
}
