//! `diagnose` without a request: the store-wide diagnosis. Every problem of the store for
//! anyone, with who is affected, a headline of who is refused, the exit status; and a healthy
//! store that gets none of it.

use serde_json::Value;

use super::{NOW, PW, store};
use crate::lab::scenario::db_time;

fn titles(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["title"].as_str().unwrap_or("").to_string())
        .collect()
}

fn refused(doc: &Value) -> String {
    doc["refused"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn a_healthy_store_has_nothing_for_anyone() {
    let Some(s) = store() else { return };
    let out = s
        .diagnose(&[])
        .expect_no_error()
        .expect_exit(0)
        .expect_no_code("admin-user-inactive")
        .expect_no_code("customer-locked")
        .expect_no_code("integration-inactive")
        .expect_no_code("acl-resource-missing")
        .expect_no_code("jwt-revoked");
    let doc = out.doc();
    assert!(
        doc.get("request").is_none(),
        "store-wide: no request key {doc:#}"
    );
    assert!(refused(doc).is_empty(), "{doc:#}");
    // Only prevention (audit) findings, or context (info: the quick permission pass sees the
    // fixture's umask), on a healthy store.
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["step"] == 9 || f["severity"] == "info"),
        "{doc:#}"
    );
}

#[test]
fn inactive_locked_and_roleless_admins_are_named() {
    let Some(s) = store() else { return };
    s.admin("bob", PW)
        .admin("jane", PW)
        .admin("sam", PW)
        .sql("UPDATE admin_user SET is_active = 0 WHERE username IN ('bob', 'sam')")
        .sql(&format!(
            "UPDATE admin_user SET lock_expires = '{}', failures_num = 6 WHERE username = 'jane'",
            db_time(NOW + 3600)
        ));
    let id = s.admin_row("norole", PW);
    assert!(id > 0);
    let out = s
        .diagnose(&[])
        .expect_exit(1)
        .expect_code("admin-user-inactive")
        .expect_severity("admin-user-locked", "warning")
        .expect_code("admin-user-no-role");
    let doc = out.doc();
    let t = titles(doc).join("\n");
    assert!(t.contains("2 admin users are inactive: bob, sam"), "{t}");
    assert!(t.contains("locked out of the admin panel: jane"), "{t}");
    assert!(t.contains("no role: norole"), "{t}");
    let r = refused(doc);
    assert!(
        r.contains("3 admin users cannot sign in or get a token: bob (inactive)"),
        "{r}"
    );
    assert!(r.contains("jane (locked)"), "{r}");
    // One finding per problem, listing everyone: the evidence names each row.
    let f = out.finding("admin-user-inactive");
    assert_eq!(f["evidence"].as_array().unwrap().len(), 2, "{f:#}");
}

#[test]
fn locked_and_inactive_customers_are_named() {
    let Some(s) = store() else { return };
    s.customer("locked@example.test", PW)
        .customer("off@example.test", PW)
        .sql(&format!(
            "UPDATE customer_entity SET lock_expires = '{}', failures_num = 10 WHERE email = 'locked@example.test'",
            db_time(NOW + 600)
        ))
        .sql("UPDATE customer_entity SET is_active = 0 WHERE email = 'off@example.test'");
    // A lock that ran out is no problem.
    s.customer("past@example.test", PW).sql(&format!(
        "UPDATE customer_entity SET lock_expires = '{}' WHERE email = 'past@example.test'",
        db_time(NOW - 600)
    ));
    let out = s
        .diagnose(&[])
        .expect_exit(1)
        .expect_code("customer-locked")
        .expect_code("customer-inactive");
    let t = titles(out.doc()).join("\n");
    assert!(
        t.contains("1 customer is locked: locked@example.test"),
        "{t}"
    );
    assert!(!t.contains("past@example.test"), "{t}");
    assert!(
        refused(out.doc()).contains("2 customers cannot sign in or get a token"),
        "{}",
        refused(out.doc())
    );
}

#[test]
fn integrations_that_cannot_call_or_only_with_oauth() {
    let Some(s) = store() else { return };
    s.integration(1, "ERP Connector", "erptoken0000000000000000000000a1")
        .integration(2, "Old Sync", "oldtoken0000000000000000000000b2")
        .sql("UPDATE integration SET status = 0 WHERE name = 'Old Sync'")
        .integration(3, "No Role", "noroletoken00000000000000000000c")
        // The integrations' own roles (the lab's integrations have none): all but "No Role".
        .role(201, 0, "U", 1, "1", "ERP Connector")
        .rule(201, "Magento_Catalog::products", "allow")
        .role(202, 0, "U", 2, "1", "Old Sync")
        .rule(202, "Magento_Catalog::products", "allow");
    let out = s
        .diagnose(&[])
        .expect_exit(1)
        .expect_code("integration-inactive")
        .expect_code("acl-role-missing")
        .expect_severity("integration-bearer-disabled", "info");
    let bearer = out.finding("integration-bearer-disabled");
    assert!(
        bearer["title"]
            .as_str()
            .unwrap()
            .contains("can only call with OAuth signatures: ERP Connector"),
        "{bearer:#}"
    );
    let r = refused(out.doc());
    assert!(r.contains("cannot call at all: Old Sync, No Role"), "{r}");
    // With integration tokens accepted as bearer tokens, that consequence is gone.
    s.bearer();
    s.diagnose(&[])
        .expect_no_code("integration-bearer-disabled");
}

#[test]
fn an_empty_role_and_revocations_in_force() {
    let Some(s) = store() else { return };
    // A group role with one deny row only: its users get nothing.
    s.role(50, 0, "G", 0, "2", "Nothing")
        .rule(50, "Magento_Backend::all", "deny");
    let id = s.admin_row("empty", PW);
    s.role(60, 50, "U", id, "2", "empty");
    // A revocation of admin 1 ten minutes ago is in force; one of a week ago is not.
    s.row(
        "jwt_auth_revoked",
        &[
            ("user_type_id", 2.into()),
            ("user_id", 1.into()),
            ("revoke_before", (NOW - 600).into()),
        ],
    )
    .row(
        "jwt_auth_revoked",
        &[
            ("user_type_id", 3.into()),
            ("user_id", 1.into()),
            ("revoke_before", (NOW - 7 * 86_400).into()),
        ],
    );
    let out = s
        .diagnose(&[])
        .expect_severity("acl-resource-missing", "warning")
        .expect_severity("jwt-revoked", "info");
    let f = out.finding("acl-resource-missing");
    assert!(
        f["title"]
            .as_str()
            .unwrap()
            .contains("Role 'Nothing' allows no resource"),
        "{f:#}"
    );
    let revoked = out.finding("jwt-revoked");
    assert!(
        revoked["title"].as_str().unwrap().contains("admin admin")
            && !revoked["title"].as_str().unwrap().contains("customer"),
        "{revoked:#}"
    );
}

#[test]
fn the_text_report_has_a_headline_fits_and_ends_with_the_line_to_try() {
    let Some(s) = store() else { return };
    s.admin("bob", PW)
        .sql("UPDATE admin_user SET is_active = 0 WHERE username = 'bob'");
    let (code, text, _) = s.run_text(&["diagnose", "--offline"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Who is refused"), "{text}");
    assert!(
        text.contains("1 admin user cannot sign in or get a token: bob (inactive)"),
        "{text}"
    );
    assert!(text.contains("To diagnose one failing call:"), "{text}");
    assert!(
        text.contains("sql> UPDATE admin_user SET is_active = 1"),
        "{text}"
    );
    assert!(text.contains(" findings: 1 error, "), "{text}");
    for line in text.lines() {
        if line.trim_start().starts_with("$ ") || line.trim_start().starts_with("sql> ") {
            continue; // commands are copied whole, never cut
        }
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.len()
        );
    }
}

#[test]
fn no_audit_leaves_prevention_out() {
    let Some(s) = store() else { return };
    s.module("Magento_TwoFactorAuth", false);
    s.diagnose(&[]).expect_code("audit-2fa-disabled");
    s.diagnose(&["--no-audit"]).expect_none_of_step(9);
}

/// Prevention advice is never a fix for a failing call: `fix` leaves the audit findings out
/// (enabling 2FA would itself make admin tokens fail: `audit` says so with its consequence).
#[test]
fn fix_never_proposes_prevention_advice() {
    let Some(s) = store() else { return };
    s.module("Magento_TwoFactorAuth", false);
    s.admin("bob", PW)
        .sql("UPDATE admin_user SET is_active = 0 WHERE username = 'bob'");
    let out = s.run(&["fix"]);
    let plan = out.doc().to_string();
    assert!(plan.contains("admin-user-inactive"), "{plan}");
    assert!(!plan.contains("audit-"), "{plan}");
    let audit = s.run(&["audit"]);
    let f = audit.finding("audit-2fa-disabled");
    assert!(
        f["fix"]["summary"]
            .as_str()
            .unwrap()
            .contains("admin-2fa-required"),
        "{f:#}"
    );
}
