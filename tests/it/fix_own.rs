//! `fix --apply` carries out m2auth's own steps that findings propose (issue 10, item 7): the
//! grant an integration lacks, the unlock of a locked admin, each journaled by its command and
//! undone with `undo ID --apply`; and `undo` without `--apply` shows its plan and changes nothing.

use serde_json::Value;

use crate::lab::scenario::Scenario;
use crate::scenarios::{PW, store};

const ERP_TOKEN: &str = "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g";

/// ERP's role allows Catalog > Inventory and denies Products (as the role editor saves it).
fn erp_without_products(s: &Scenario) {
    s.integration(1, "ERP", ERP_TOKEN)
        .bearer()
        .role(10, 0, "U", 1, "1", "11");
    for (res, perm) in [
        ("Magento_Backend::admin", "allow"),
        ("Magento_Catalog::catalog", "allow"),
        ("Magento_Catalog::catalog_inventory", "allow"),
        ("Magento_Catalog::products", "deny"),
    ] {
        s.rule(10, res, perm);
    }
}

fn products_rule(s: &Scenario) -> Vec<Vec<Option<String>>> {
    s.db().query(&format!(
        "SELECT permission FROM {} WHERE role_id = 10 AND resource_id = 'Magento_Catalog::products'",
        s.db().table("authorization_rule")
    ))
}

fn own(doc: &Value) -> &Vec<Value> {
    doc["own"].as_array().unwrap()
}

#[test]
fn fix_apply_runs_the_grant_it_proposes_and_undo_reverses_it() {
    let Some(s) = store() else { return };
    erp_without_products(&s);
    let call = ["--request", "GET /V1/products/abc", "--token", ERP_TOKEN];

    // The plan: the grant is m2auth's own step, not a manual one; nothing changes.
    let plan = s.run(&[&["fix", "--offline"][..], &call].concat());
    assert_eq!(plan.code, 0, "{:#}", plan.doc);
    let steps = own(&plan.doc);
    assert_eq!(steps.len(), 1, "{:#}", plan.doc);
    assert_eq!(
        steps[0]["command"],
        "m2auth acl:grant --integration ERP --resource Magento_Catalog::products --apply"
    );
    assert_eq!(
        steps[0]["codes"],
        serde_json::json!(["acl-resource-missing"])
    );
    assert_eq!(steps[0]["applied"], false);
    assert!(
        plan.doc["manual"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["code"] != "acl-resource-missing"),
        "{:#}",
        plan.doc
    );
    assert_eq!(products_rule(&s), vec![vec![Some("deny".to_string())]]);
    let (code, out, err) = s.run_text(&[&["fix", "--offline"][..], &call].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "$ m2auth acl:grant --integration ERP --resource Magento_Catalog::products --apply"
        ),
        "{out}"
    );
    assert!(!out.contains("nothing to change"), "{out}");
    assert!(out.contains("run with --apply"), "{out}");

    // --apply: granted, journaled under the grant's own command.
    let done = s.run(&[&["fix", "--offline", "--apply"][..], &call].concat());
    assert_eq!(done.code, 0, "{:#}\n{}", done.doc, done.stderr);
    let step = &own(&done.doc)[0];
    assert_eq!(step["applied"], true, "{:#}", done.doc);
    let id = step["journal"].as_str().unwrap().to_string();
    assert!(id.ends_with("-acl-grant"), "{id}");
    assert_eq!(products_rule(&s), vec![vec![Some("allow".to_string())]]);
    s.diagnose(&call).expect_no_code("acl-resource-missing");

    // undo without --apply: the plan, the whole id (never masked), nothing changed.
    let (code, out, err) = s.run_text(&["undo", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("m2auth undo {id} --apply")), "{out}");
    assert!(out.contains("nothing was changed"), "{out}");
    assert_eq!(products_rule(&s), vec![vec![Some("allow".to_string())]]);
    let listed = s.run(&["undo", "--list"]);
    assert!(
        listed
            .doc
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == id.as_str()),
        "{:#}",
        listed.doc
    );
    let undone = s.run(&["undo", &id, "--apply"]);
    assert_eq!(undone.code, 0, "{:#}", undone.doc);
    assert_eq!(undone.doc["undone"], id.as_str());
    assert_eq!(products_rule(&s), vec![vec![Some("deny".to_string())]]);
}

#[test]
fn fix_apply_unlocks_a_locked_admin() {
    let Some(s) = store() else { return };
    s.sql(
        "UPDATE admin_user SET lock_expires = '2037-12-31 00:00:00', failures_num = 6 WHERE username = 'admin'",
    );
    let pw = s.password_file(PW);
    let call = ["--admin-user", "admin", "--password-file", pw.as_str()];
    s.diagnose(&call).expect_code("admin-user-locked");
    let done = s.run(&[&["fix", "--offline", "--apply"][..], &call].concat());
    assert_eq!(done.code, 0, "{:#}\n{}", done.doc, done.stderr);
    let step = own(&done.doc)
        .iter()
        .find(|o| o["command"] == "m2auth admin:user:unlock admin --apply")
        .unwrap_or_else(|| panic!("{:#}", done.doc));
    assert_eq!(step["applied"], true, "{:#}", done.doc);
    assert!(step["journal"].as_str().unwrap().ends_with("-admin-unlock"));
    s.diagnose(&call).expect_no_code("admin-user-locked");
}

/// The grant's plan starts with what it changes for whom; the SQL only with --verbose.
#[test]
fn acl_grant_plan_shows_effects_first_and_sql_with_verbose() {
    let Some(s) = store() else { return };
    erp_without_products(&s);
    let args = [
        "acl:grant",
        "--integration",
        "ERP",
        "--resource",
        "Magento_Catalog::products",
    ];
    let (code, out, err) = s.run_text(&args);
    assert_eq!(code, 0, "{out}{err}");
    let effects = out.find("Effects").unwrap_or_else(|| panic!("{out}"));
    let steps = out.find("Steps:").unwrap_or_else(|| panic!("{out}"));
    assert!(effects < steps, "{out}");
    assert!(
        !out.contains("DELETE FROM") && !out.contains("INSERT INTO"),
        "{out}"
    );
    assert!(out.contains("--verbose"), "{out}");
    let (_, out, _) = s.run_text(&[&args[..], &["--verbose"]].concat());
    assert!(
        out.contains("DELETE FROM") && out.contains("INSERT INTO"),
        "{out}"
    );
}

/// An OAuth-signed call of an inactive integration: `fix --apply` activates it (its token kept),
/// journaled as `integration:activate`.
#[test]
fn fix_apply_activates_the_integration() {
    let Some(s) = store() else { return };
    s.integration(1, "ERP", ERP_TOKEN)
        .role(10, 0, "U", 1, "1", "11")
        .rule(10, "Magento_Backend::all", "allow")
        .sql("UPDATE integration SET status = 0");
    let creds = format!("key{:029},sec{:029},{ERP_TOKEN},ts{:030}", 1, 1, 1);
    let call = [
        "--request",
        "GET https://shop.example.test/rest/V1/products/abc",
        "--oauth",
        creds.as_str(),
    ];
    s.diagnose(&call).expect_code("integration-inactive");
    let done = s.run(&[&["fix", "--offline", "--apply"][..], &call].concat());
    assert_eq!(done.code, 0, "{:#}\n{}", done.doc, done.stderr);
    let step = own(&done.doc)
        .iter()
        .find(|o| o["command"] == "m2auth integration:activate ERP --apply")
        .unwrap_or_else(|| panic!("{:#}", done.doc));
    assert_eq!(step["applied"], true, "{:#}", done.doc);
    assert!(
        step["journal"]
            .as_str()
            .unwrap()
            .ends_with("-integration-activate")
    );
    s.diagnose(&call).expect_no_code("integration-inactive");
}
