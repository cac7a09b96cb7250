//! Step 9, prevention (audit): the default admin path, 2FA off, a legacy crypt key; and a
//! hardened store that produces none of them.

use crate::lab::fixture::MAGENTO_CRYPT_KEY;
use crate::lab::scenario::Scenario;

const LEGACY_KEY: &str = "0123456789abcdef0123456789abcdef";

/// A hardened 2.4.7-p3 store: custom admin path, 2FA installed and on, a base64 crypt key.
fn hardened() -> Option<Scenario> {
    let s = Scenario::new()?;
    s.release("2.4.7-p3")
        .env("backend/frontName", "backoffice_q7")
        .modules(&[("Magento_TwoFactorAuth", "magento/module-two-factor-auth")]);
    Some(s)
}

#[test]
fn hardened_store_has_no_step_9_finding() {
    let Some(s) = hardened() else { return };
    s.diagnose(&[])
        .expect_none_of_step(9)
        .expect_no_error()
        .expect_exit(0);
    s.run(&["audit"]).expect_none_of_step(9).expect_codes(&[]);
}

#[test]
fn audit_default_admin_path() {
    let Some(s) = hardened() else { return };
    s.env("backend/frontName", "admin");
    s.diagnose(&[])
        .expect_codes(&["audit-default-admin-path"])
        .expect_severity("audit-default-admin-path", "warning")
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
