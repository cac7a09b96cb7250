//! Step 5, file permissions: one end-to-end scenario per code with `perms:check` on a store tree
//! (tests/it/perms.rs's [`Tree`]: a deployed default-mode store, healthy as made), the healthy
//! store producing none, and `diagnose` reporting them from its quick pass.

use serde_json::Value;

use crate::lab::report;
use crate::perms::{Tree, codes, me};

/// `perms:check` finds exactly `code` after `spoil` changed a healthy tree of mode `mode`.
fn only(mode: &str, spoil: impl FnOnce(&Tree), code: &str, extra: &[&str]) -> Value {
    let t = Tree::new(mode);
    spoil(&t);
    let (doc, exit) = t.check(extra);
    assert_eq!(codes(&doc), [code], "{doc:#}");
    // Warnings: reported, exit 0 (the contract's exit 1 is for a finding of severity error).
    assert_eq!(exit, 0);
    let f = &doc["findings"][0];
    assert_eq!(f["step"], 5);
    assert_eq!(f["severity"], "warning");
    assert!(f["count"].as_u64().unwrap() >= 1);
    assert!(!f["examples"].as_array().unwrap().is_empty());
    doc
}

#[test]
fn healthy_store_has_no_step_5_finding() {
    for mode in ["default", "developer"] {
        let t = Tree::new(mode);
        let (doc, exit) = t.check(&[]);
        assert_eq!((codes(&doc), exit), (Vec::<String>::new(), 0), "{doc:#}");
    }
}

#[test]
fn perms_not_group_writable() {
    let doc = only(
        "default",
        |t| t.chmod("pub/media/catalog/a.jpg", 0o644),
        "perms-not-group-writable",
        &[],
    );
    assert_eq!(doc["findings"][0]["examples"][0], "pub/media/catalog/a.jpg");
}

#[test]
fn perms_dir_missing_setgid() {
    only(
        "default",
        |t| t.chmod("generated/code", 0o775),
        "perms-dir-missing-setgid",
        &[],
    );
}

#[test]
fn perms_bin_magento_not_executable() {
    only(
        "default",
        |t| t.chmod("bin/magento", 0o664),
        "perms-bin-magento-not-executable",
        &[],
    );
}

#[test]
fn perms_env_php_world_readable() {
    only(
        "default",
        |t| t.chmod("app/etc/env.php", 0o664),
        "perms-env-php-world-readable",
        &[],
    );
}

#[test]
fn perms_world_writable() {
    only(
        "default",
        |t| t.chmod("app/code", 0o757),
        "perms-world-writable",
        &[],
    );
}

#[test]
fn perms_owner_mismatch() {
    // The shared group named by --owner is not the tree's: every entry of the writable
    // folders lacks it.
    let doc = only(
        "default",
        |_| {},
        "perms-owner-mismatch",
        &["--owner", "0:65534"],
    );
    let f = &doc["findings"][0];
    assert!(f["count"].as_u64().unwrap() > 10, "{f:#}");
}

#[test]
fn perms_code_writable() {
    only(
        "default",
        |_| {},
        "perms-code-writable",
        &["--mode", "production"],
    );
}

#[test]
fn diagnose_reports_the_quick_permission_pass() {
    let Some(s) = crate::lab::scenario::Scenario::new() else {
        return;
    };
    let doc = s.diagnose(&[]).doc().clone();
    // The fixture store is written with the test's umask: env.php is open to others.
    let step5 = report::codes_of_step(&doc, 5);
    assert!(
        step5.contains(&"perms-env-php-world-readable".to_string()),
        "{step5:?} {me}",
        me = me()
    );
    let f = report::finding(&doc, "perms-env-php-world-readable");
    assert!(
        f["detail"].as_str().unwrap().contains("quick pass"),
        "{f:#}"
    );
}
