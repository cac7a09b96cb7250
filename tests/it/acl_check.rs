//! Step 2 end to end: `acl:check`, `acl:matrix`, `acl:grant` and `diagnose` on a lab store whose
//! modules carry Magento's real webapi.xml and acl.xml, with roles written the way Magento's role
//! editor writes them. One scenario per finding code, and the same calls allowed on a healthy
//! role.

use std::path::Path;

use crate::lab;
use crate::lab::report::codes;
use crate::lab::{EnvSpec, FixtureStore, LabDb};
use serde_json::Value;

const MODULES: &[(&str, &str)] = &[
    ("Magento_Store", "magento/module-store"),
    ("Magento_Backend", "magento/module-backend"),
    ("Magento_Catalog", "magento/module-catalog"),
    (
        "Magento_CatalogInventory",
        "magento/module-catalog-inventory",
    ),
    ("Magento_Customer", "magento/module-customer"),
    ("Magento_Sales", "magento/module-sales"),
    ("Magento_Cms", "magento/module-cms"),
    ("Magento_Integration", "magento/module-integration"),
    ("Magento_User", "magento/module-user"),
    ("Magento_Webapi", "magento/module-webapi"),
    ("Magento_WebapiSecurity", "magento/module-webapi-security"),
];

const ERP_TOKEN: &str = "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g";
const FULL_TOKEN: &str = "fu11acce55t0ken0000000000000000a";
const NOROLE_TOKEN: &str = "n0r01eacce55t0ken000000000000000";

fn jwt(uid: i64, utypid: i64) -> String {
    lab::magento_jwt(uid, utypid)
}

struct Scenario {
    store: FixtureStore,
    db: LabDb,
}

fn scenario() -> Option<Scenario> {
    let lab = lab::mariadb()?;
    lab::reference_dir()?;
    let db = lab.database("");
    let store = FixtureStore::new();
    store.env(&EnvSpec::magento(&db));
    let mut flags: Vec<(&str, bool)> = MODULES.iter().map(|(m, _)| (*m, true)).collect();
    flags.push(("Magento_Tax", false));
    store.config_php(&flags);
    for (m, p) in MODULES {
        store.vendor_module(m, p);
    }
    store.vendor_module("Magento_Tax", "magento/module-tax");
    store.composer_lock("magento/product-community-edition", "2.4.7-p3");
    // ERP: Catalog > Inventory allowed, Products explicitly denied (a role editor save).
    db.integration(1, "ERP", ERP_TOKEN);
    db.role(10, 0, "U", 1, "1", "11");
    for (res, perm) in [
        ("Magento_Backend::admin", "allow"),
        ("Magento_Catalog::catalog", "allow"),
        ("Magento_Catalog::catalog_inventory", "allow"),
        ("Magento_Catalog::products", "deny"),
        ("Magento_Sales::sales", "deny"),
        ("Magento_Customer::customer", "deny"),
    ] {
        db.rule(10, res, perm);
    }
    // Full: "Resource Access: All".
    db.integration(2, "Full", FULL_TOKEN);
    db.role(20, 0, "U", 2, "1", "12");
    db.rule(20, "Magento_Backend::all", "allow");
    // NoRole: an integration whose role row is gone.
    db.integration(3, "NoRole", NOROLE_TOKEN);
    // Admin jane (user 2) in the group "Sales team" (role 30).
    db.insert(
        "admin_user",
        &[
            ("user_id", 2.into()),
            ("username", "jane".into()),
            ("password", "x".into()),
            ("is_active", 1.into()),
        ],
    );
    db.role(30, 0, "G", 0, "2", "Sales team");
    db.role(31, 30, "U", 2, "2", "jane");
    db.rule(30, "Magento_Backend::admin", "allow");
    db.rule(30, "Magento_Sales::sales", "allow");
    db.rule(30, "Magento_Catalog::catalog", "deny");
    // Customer 1 of website 1, for the customer-token calls.
    db.insert(
        "customer_entity",
        &[
            ("entity_id", 1.into()),
            ("website_id", 1.into()),
            ("email", "c@example.test".into()),
            ("group_id", 1.into()),
            ("is_active", 1.into()),
        ],
    );
    // Integration tokens are sent as Bearer tokens here, which 2.4.4+ accepts only with this on
    // (see `a_refused_token_is_never_allowed` for the default).
    db.integration_as_bearer();
    Some(Scenario { store, db })
}

impl Scenario {
    fn root(&self) -> &str {
        self.store.root().to_str().unwrap()
    }

    fn run(&self, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", self.root(), "--format", "json"]);
        let (code, doc, _) = lab::report::run_json_doc(&all, Path::new(self.root()));
        (code, doc)
    }

    fn check(&self, request: &str, caller: &[&str]) -> (i32, Value) {
        let mut args = vec!["acl:check", "--request", request];
        args.extend_from_slice(caller);
        self.run(&args)
    }
}

#[test]
fn acl_resource_missing_names_the_resource_its_admin_path_and_the_deny() {
    let Some(s) = scenario() else { return };
    let (code, doc) = s.check("GET /V1/products/abc", &["--token", ERP_TOKEN]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["route"]["url"], "/V1/products/:sku");
    assert_eq!(doc["route"]["method"], "GET");
    assert_eq!(doc["route"]["module"], "Magento_Catalog");
    assert_eq!(
        doc["required"],
        serde_json::json!(["Magento_Catalog::products"])
    );
    assert_eq!(
        doc["missing"],
        serde_json::json!(["Magento_Catalog::products"])
    );
    assert_eq!(doc["allowed"], false);
    assert_eq!(doc["role_id"], 10);
    assert_eq!(codes(&doc), vec!["acl-resource-missing"]);
    let detail = doc["findings"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("explicitly denied"), "{detail}");
    assert!(detail.contains(" > "), "no admin path: {detail}");
    // A resource no role had when the roles were saved (Magento_Cms added later): denied by
    // Magento's deny pass for missing rules, fixed by re-saving the role.
    let (_, doc) = s.check("GET /V1/cmsPage/1", &["--integration", "ERP"]);
    assert_eq!(doc["missing_detail"][0]["why"], "missing-rule", "{doc}");
    assert!(
        doc["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("re-save the role"),
        "{doc}"
    );
    // By integration name too, and the admin user's group role.
    let (_, doc) = s.check("GET /V1/products/abc", &["--integration", "ERP"]);
    assert_eq!(
        doc["missing"],
        serde_json::json!(["Magento_Catalog::products"])
    );
    let (code, doc) = s.check("GET /V1/products/abc", &["--admin-user", "jane"]);
    assert_eq!(
        (code, doc["role_id"].clone()),
        (1, Value::from(31)),
        "{doc}"
    );
    let (code, doc) = s.check("GET /V1/orders/5", &["--admin-user", "jane"]);
    assert_eq!(
        (code, doc["allowed"].clone()),
        (0, Value::Bool(true)),
        "{doc}"
    );
}

#[test]
fn allowed_calls_have_no_findings() {
    let Some(s) = scenario() else { return };
    for (req, caller) in [
        ("GET /V1/products/abc", FULL_TOKEN),
        ("POST /rest/default/V1/products", FULL_TOKEN),
        ("GET /rest/all/V1/customers/7", FULL_TOKEN),
        ("GET /V1/modules", ERP_TOKEN),
    ] {
        let (code, doc) = s.check(req, &["--token", caller]);
        assert_eq!(code, 0, "{req}: {doc}");
        assert_eq!(doc["allowed"], true, "{req}");
        assert_eq!(codes(&doc), Vec::<String>::new(), "{req}");
    }
    // Anonymous routes need no token at all.
    let (code, doc) = s.check("POST /V1/integration/admin/token", &[]);
    assert_eq!(
        (code, doc["allowed"].clone()),
        (0, Value::Bool(true)),
        "{doc}"
    );
}

#[test]
fn acl_role_missing() {
    let Some(s) = scenario() else { return };
    let (code, doc) = s.check("GET /V1/products/abc", &["--token", NOROLE_TOKEN]);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["acl-role-missing"], "{doc}");
    assert_eq!(doc["role_id"], Value::Null);
}

#[test]
fn routes_not_found_disabled_or_wrong_store() {
    let Some(s) = scenario() else { return };
    let (code, doc) = s.check("GET /V1/productz", &["--token", FULL_TOKEN]);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), vec!["route-not-found"], "{doc}");
    assert!(
        doc["findings"][0]["evidence"]
            .to_string()
            .contains("/V1/products"),
        "{doc}"
    );
    let (_, doc) = s.check("DELETE /V1/products", &["--token", FULL_TOKEN]);
    assert_eq!(codes(&doc), vec!["route-not-found"], "{doc}");
    // Magento_Tax is disabled: its routes are not served.
    let (_, doc) = s.check("GET /V1/taxRates/1", &["--token", FULL_TOKEN]);
    assert_eq!(codes(&doc), vec!["route-module-disabled"], "{doc}");
    let (_, doc) = s.check(
        "GET /rest/nosuchstore/V1/products",
        &["--token", FULL_TOKEN],
    );
    assert_eq!(codes(&doc), vec!["store-code-unknown"], "{doc}");
}

#[test]
fn who_may_call_what() {
    let Some(s) = scenario() else { return };
    // A customer route with an integration token.
    let (_, doc) = s.check("GET /V1/customers/me", &["--token", ERP_TOKEN]);
    assert_eq!(codes(&doc), vec!["route-needs-customer-token"], "{doc}");
    // The same route with a customer token is fine.
    let customer = jwt(1, 3);
    let (code, doc) = s.check("GET /V1/customers/me", &["--token", &customer]);
    assert_eq!(code, 0, "{doc}");
    // The same customer on a store of another website (accounts shared per website).
    s.db.insert(
        "store_website",
        &[
            ("website_id", 2.into()),
            ("code", "b2b".into()),
            ("name", "B2B".into()),
            ("sort_order", 1.into()),
            ("default_group_id", 2.into()),
            ("is_default", 0.into()),
        ],
    );
    s.db.insert(
        "store_group",
        &[
            ("group_id", 2.into()),
            ("website_id", 2.into()),
            ("name", "B2B".into()),
            ("root_category_id", 2.into()),
            ("default_store_id", 2.into()),
            ("code", "b2b_group".into()),
        ],
    );
    s.db.insert(
        "store",
        &[
            ("store_id", 2.into()),
            ("code", "b2b_en".into()),
            ("website_id", 2.into()),
            ("group_id", 2.into()),
            ("name", "B2B EN".into()),
            ("sort_order", 0.into()),
            ("is_active", 1.into()),
        ],
    );
    let (code, doc) = s.check("GET /rest/default/V1/customers/me", &["--token", &customer]);
    assert_eq!(code, 0, "{doc}");
    let (code, doc) = s.check("GET /rest/b2b_en/V1/customers/me", &["--token", &customer]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(codes(&doc), vec!["route-needs-customer-token"], "{doc}");
    assert!(
        doc["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("website"),
        "{doc}"
    );
    // A customer calling an admin route.
    let (_, doc) = s.check("GET /V1/orders/5", &["--token", &customer]);
    assert_eq!(
        codes(&doc),
        vec!["route-needs-admin-or-integration"],
        "{doc}"
    );
    // A guest on a catalog route that only allow_insecure opens.
    let (_, doc) = s.check("GET /V1/products/abc", &[]);
    assert_eq!(codes(&doc), vec!["route-anonymous-disabled"], "{doc}");
    s.db.insert(
        "core_config_data",
        &[
            ("scope", "default".into()),
            ("scope_id", 0.into()),
            ("path", "webapi/webapisecurity/allow_insecure".into()),
            ("value", "1".into()),
        ],
    );
    let (code, doc) = s.check("GET /V1/products/abc", &[]);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    // An admin JWT names the admin user.
    let (_, doc) = s.check("GET /V1/orders/5", &["--token", &jwt(2, 2)]);
    assert_eq!(doc["allowed"], true, "{doc}");
}

#[test]
fn a_refused_token_is_never_allowed() {
    let Some(s) = scenario() else { return };
    s.db.exec(&format!(
        "DELETE FROM {} WHERE path = 'oauth/consumer/enable_integration_as_bearer'",
        s.db.table("core_config_data")
    ));
    let (code, doc) = s.check("GET /V1/products/abc", &["--token", FULL_TOKEN]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["allowed"], false);
    assert_eq!(codes(&doc)[0], "integration-bearer-disabled", "{doc}");
    // OAuth signatures and other schemes are not guessed at.
    let out = lab::m2auth(
        &[
            "acl:check",
            "--request",
            "GET /V1/products",
            "-H",
            "Authorization: OAuth oauth_consumer_key=\"x\"",
            "--root",
            s.root(),
        ],
        Path::new(s.root()),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn methods_https_subfolders_and_the_admin_store() {
    let Some(s) = scenario() else { return };
    // Only GET, POST, PUT and DELETE reach Magento's router.
    let (code, doc) = s.check("PATCH /V1/products/abc", &["--token", FULL_TOKEN]);
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["route-not-found".to_string()]),
        "{doc}"
    );
    assert!(
        doc["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("Request method is invalid")
    );
    // A store installed in a subfolder.
    let (code, doc) = s.check(
        "GET https://shop.test/shop/rest/default/V1/products/abc",
        &["--token", FULL_TOKEN],
    );
    assert_eq!(
        (code, doc["route"]["url"].clone()),
        (0, Value::from("/V1/products/:sku")),
        "{doc}"
    );
    // A secure route over plain HTTP.
    s.store.app_code_module("Acme_Secure");
    s.store.file(
        "app/code/Acme/Secure/etc/webapi.xml",
        r#"<?xml version="1.0"?>
<routes xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="urn:magento:module:Magento_Webapi:etc/webapi.xsd">
    <route url="/V1/acme/secret" method="GET" secure="true">
        <service class="Acme\Secure\Api\SecretInterface" method="get"/>
        <resources>
            <resource ref="anonymous"/>
        </resources>
    </route>
</routes>
"#,
    );
    let mut flags: Vec<(&str, bool)> = MODULES.iter().map(|(m, _)| (*m, true)).collect();
    flags.push(("Acme_Secure", true));
    s.store.config_php(&flags);
    let (code, doc) = s.check("GET http://shop.test/rest/V1/acme/secret", &[]);
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["route-https-only".to_string()]),
        "{doc}"
    );
    let (code, doc) = s.check("GET https://shop.test/rest/V1/acme/secret", &[]);
    assert_eq!((code, codes(&doc)), (0, vec![]), "{doc}");
    // `self` never passes on the admin store (/rest/all/), whatever the account sharing.
    let (_, doc) = s.check("GET /rest/all/V1/customers/me", &["--token", &jwt(1, 3)]);
    assert_eq!(codes(&doc), vec!["route-needs-customer-token"], "{doc}");
    // The admin store is addressed as `all`, not by its code.
    let (_, doc) = s.check("GET /rest/admin/V1/products", &["--token", FULL_TOKEN]);
    assert_eq!(codes(&doc), vec!["store-code-unknown"], "{doc}");
    assert!(
        doc["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("'all'"),
        "{doc}"
    );
}

#[test]
fn matrix_lists_every_route_and_agrees_with_check() {
    let Some(s) = scenario() else { return };
    let (code, doc) = s.run(&["acl:matrix", "--integration", "ERP"]);
    assert_eq!(code, 0, "{doc}");
    let rows = doc["matrix"].as_array().unwrap();
    assert!(rows.len() > 100, "{} routes", rows.len());
    assert_eq!(doc["role_id"], 10);
    let row = rows
        .iter()
        .find(|r| r["url"] == "/V1/products/:sku" && r["method"] == "GET")
        .unwrap();
    assert_eq!(row["allowed"], false);
    let row = rows
        .iter()
        .find(|r| r["url"] == "/V1/modules" && r["method"] == "GET")
        .unwrap();
    assert_eq!(row["allowed"], true);
    let (_, full) = s.run(&["acl:matrix", "--role", "20"]);
    assert!(
        full["matrix"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["allowed"] == true || r["required"].to_string().contains("self"))
    );
    // CSV.
    let out = lab::m2auth(
        &[
            "acl:matrix",
            "--integration",
            "ERP",
            "--format",
            "csv",
            "--root",
            s.root(),
        ],
        Path::new(s.root()),
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.starts_with("method,url,module,required,allowed,missing\n"),
        "{csv}"
    );
    assert!(csv.contains("GET,/V1/products/:sku,Magento_Catalog,Magento_Catalog::products,false,Magento_Catalog::products"), "{csv}");
}

#[test]
fn grant_plans_then_applies_exactly_what_is_missing() {
    let Some(s) = scenario() else { return };
    let before = s.db.query(&format!(
        "SELECT resource_id, permission FROM {} WHERE role_id = 10 ORDER BY resource_id",
        s.db.table("authorization_rule")
    ));
    // Without --apply: a plan, nothing written.
    let (code, plan) = s.run(&[
        "acl:grant",
        "--integration",
        "ERP",
        "--resource",
        "Magento_Catalog::products",
    ]);
    assert_eq!(code, 0, "{plan}");
    let after_plan = s.db.query(&format!(
        "SELECT resource_id, permission FROM {} WHERE role_id = 10 ORDER BY resource_id",
        s.db.table("authorization_rule")
    ));
    assert_eq!(before, after_plan, "a plan must not write");
    let (code, applied) = s.run(&[
        "acl:grant",
        "--integration",
        "ERP",
        "--resource",
        "Magento_Catalog::products",
        "--apply",
    ]);
    assert_eq!(code, 0, "{applied}");
    let (code, doc) = s.check("GET /V1/products/abc", &["--token", ERP_TOKEN]);
    assert_eq!(
        (code, doc["allowed"].clone()),
        (0, Value::Bool(true)),
        "{doc}"
    );
    // Nothing more: sales is still refused.
    let (_, doc) = s.check("GET /V1/orders/5", &["--token", ERP_TOKEN]);
    assert_eq!(doc["allowed"], false, "{doc}");
    // And undo restores the rows.
    let out = lab::m2auth(
        &["undo", "--apply", "--root", s.root()],
        Path::new(s.root()),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = s.db.query(&format!(
        "SELECT resource_id, permission FROM {} WHERE role_id = 10 ORDER BY resource_id",
        s.db.table("authorization_rule")
    ));
    assert_eq!(before, restored);
}

#[test]
fn diagnose_uses_the_same_engine() {
    let Some(s) = scenario() else { return };
    let out = lab::m2auth(
        &[
            "diagnose",
            "--request",
            "GET /V1/products/abc",
            "--token",
            ERP_TOKEN,
            "--root",
            s.root(),
            "--format",
            "json",
        ],
        Path::new(s.root()),
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["root_cause"], "acl-resource-missing", "{doc}");
    assert_eq!(out.status.code(), Some(1));
}

impl Scenario {
    /// Run without `--format json`: (exit code, stdout, stderr).
    fn run_text(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", self.root()]);
        let out = lab::m2auth(&all, Path::new(self.root()));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Every rule row as (rule_id, role_id, resource_id, permission).
    fn rules(&self) -> Vec<Vec<Option<String>>> {
        self.db.query(&format!(
            "SELECT rule_id, role_id, resource_id, permission FROM {} ORDER BY rule_id",
            self.db.table("authorization_rule")
        ))
    }

    fn journal_files(&self) -> Vec<std::path::PathBuf> {
        match std::fs::read_dir(self.store.path("var/m2auth/journal")) {
            Ok(d) => d.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The effect entry of `role` in a grant's JSON.
fn effect(doc: &Value, role: u64) -> Option<Value> {
    doc["effects"]
        .as_array()?
        .iter()
        .find(|e| e["role_id"] == role)
        .cloned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn grant_for_an_admin_user_writes_the_group_and_names_every_user() {
    let Some(s) = scenario() else { return };
    // A second user of "Sales team".
    s.db.insert(
        "admin_user",
        &[
            ("user_id", 3.into()),
            ("username", "bob".into()),
            ("password", "x".into()),
            ("is_active", 1.into()),
        ],
    );
    s.db.role(32, 30, "U", 3, "2", "Bob");
    let before = s.rules();

    // jane's own U row: refused, naming the group and saying it applies to all its users.
    let (code, out, err) = s.run_text(&[
        "acl:grant",
        "--role",
        "31",
        "--resource",
        "Magento_Catalog::products",
        "--apply",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--role 30"), "{err}");
    assert!(err.contains("\"Sales team\""), "{err}");
    assert!(err.contains("every user of that group"), "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(s.rules(), before);

    // --admin-user jane: the plan names the group and its users, and every change.
    let (code, plan) = s.run(&[
        "acl:grant",
        "--admin-user",
        "jane",
        "--resource",
        "Magento_Catalog::products",
    ]);
    assert_eq!(code, 0, "{plan}");
    assert_eq!(plan["status"], "planned", "{plan}");
    assert_eq!(plan["role_id"], 30, "{plan}");
    let notes = plan["notes"].to_string();
    assert!(notes.contains("every user of that group"), "{notes}");
    assert!(notes.contains("admin user jane (role 31)"), "{notes}");
    assert!(notes.contains("admin user bob (role 32)"), "{notes}");
    assert_eq!(s.rules(), before, "a plan must not write");
    let group = effect(&plan, 30).expect("the group's effects");
    assert_eq!(group["written"], true);
    assert_eq!(
        strings(&group["newly_allowed"]),
        vec!["Magento_Catalog::products"],
        "{group}"
    );
    // Customers was allowed only through the Magento_Backend::admin row (the group has no row
    // for it; ERP has one, so Magento's deny pass left it alone): the save writes it as deny.
    assert_eq!(
        strings(&group["newly_denied"]),
        vec!["Magento_Customer::customer"],
        "{group}"
    );
    for user in [31, 32] {
        let e = effect(&plan, user).unwrap_or_else(|| panic!("no effects for {user}: {plan}"));
        assert_eq!(e["written"], false);
        assert_eq!(e["newly_allowed"], group["newly_allowed"], "{e}");
        assert_eq!(e["newly_denied"], group["newly_denied"], "{e}");
    }
    // Another role: ERP (with deny rows) loses Magento's deny for resources no role had a row
    // for, now that the group has a row for every resource.
    let erp = effect(&plan, 10).expect("ERP changes through the deny pass");
    assert_eq!(erp["written"], false);
    assert!(
        strings(&erp["newly_allowed"])
            .iter()
            .any(|r| r.starts_with("Magento_Cms::")),
        "{erp}"
    );
    assert!(effect(&plan, 20).is_none(), "Full does not change: {plan}");
    // The same in text, denials loudly.
    let (code, text, _) = s.run_text(&[
        "acl:grant",
        "--admin-user",
        "jane",
        "--resource",
        "Magento_Catalog::products",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("!! newly DENIED"), "{text}");
    assert!(text.contains("integration \"ERP\" (role 10)"), "{text}");
    assert!(text.contains("plan only"), "{text}");

    // Applied: the group's rows, not jane's.
    let (code, applied) = s.run(&[
        "acl:grant",
        "--admin-user",
        "jane",
        "--resource",
        "Magento_Catalog::products",
        "--apply",
    ]);
    assert_eq!(code, 0, "{applied}");
    assert_eq!(applied["status"], "applied", "{applied}");
    assert!(applied["journal"].is_string(), "{applied}");
    let by_role = |role: &str| -> Vec<(String, String)> {
        s.rules()
            .into_iter()
            .filter(|r| r[1].as_deref() == Some(role))
            .map(|r| (r[2].clone().unwrap(), r[3].clone().unwrap()))
            .collect()
    };
    assert!(by_role("31").is_empty() && by_role("32").is_empty());
    let group_rows = by_role("30");
    // One row per resource of the ACL, as the plan said.
    let planned = plan["steps"][1]["sql_preview"]
        .as_str()
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(planned > 50, "{plan}");
    assert_eq!(group_rows.len(), planned, "{group_rows:?}");
    for (res, perm) in [
        ("Magento_Backend::admin", "allow"),
        ("Magento_Sales::sales", "allow"),
        ("Magento_Catalog::products", "allow"),
        ("Magento_Catalog::catalog", "deny"),
        ("Magento_Customer::customer", "deny"),
    ] {
        assert!(
            group_rows.contains(&(res.to_string(), perm.to_string())),
            "{res} {perm}: {group_rows:?}"
        );
    }
    // jane gains Products and keeps Sales.
    let (code, doc) = s.check("GET /V1/products/abc", &["--admin-user", "jane"]);
    assert_eq!(
        (code, doc["allowed"].clone()),
        (0, Value::Bool(true)),
        "{doc}"
    );
    let (code, doc) = s.check("GET /V1/orders/5", &["--admin-user", "jane"]);
    assert_eq!(
        (code, doc["allowed"].clone()),
        (0, Value::Bool(true)),
        "{doc}"
    );
    let (code, doc) = s.run(&[
        "acl:grant",
        "--admin-user",
        "jane",
        "--resource",
        "Magento_Sales::sales",
        "--resource",
        "Magento_Catalog::products",
    ]);
    assert_eq!(
        (code, doc["status"].clone()),
        (0, "already_allowed".into()),
        "{doc}"
    );
    // One journal entry, for the group.
    assert_eq!(s.journal_files().len(), 1);
}

#[test]
fn grant_of_what_is_already_allowed_changes_nothing() {
    let Some(s) = scenario() else { return };
    let before = s.rules();
    for args in [
        // An explicit allow row.
        &[
            "acl:grant",
            "--integration",
            "ERP",
            "--resource",
            "Magento_Catalog::catalog_inventory",
            "--apply",
        ][..],
        // Allowed through the parent resource's rule (no row of the group's own).
        &[
            "acl:grant",
            "--admin-user",
            "jane",
            "--resource",
            "Magento_Customer::customer",
            "--apply",
        ][..],
        // "All".
        &[
            "acl:grant",
            "--integration",
            "Full",
            "--resource",
            "Magento_Cms::page",
            "--apply",
        ][..],
    ] {
        let (code, doc) = s.run(args);
        assert_eq!(code, 0, "{args:?}: {doc}");
        assert_eq!(doc["status"], "already_allowed", "{args:?}: {doc}");
        assert_eq!(doc["applied"], false);
        assert_eq!(doc["steps"], serde_json::json!([]), "{doc}");
        assert!(doc.get("journal").is_none(), "{doc}");
    }
    let (code, text, _) = s.run_text(&[
        "acl:grant",
        "--integration",
        "ERP",
        "--resource",
        "Magento_Catalog::catalog",
    ]);
    assert_eq!(code, 0);
    assert!(text.contains("already allowed"), "{text}");
    assert_eq!(s.rules(), before);
    assert!(s.journal_files().is_empty(), "{:?}", s.journal_files());
}

#[test]
fn grant_refuses_unknown_and_unusable_roles() {
    let Some(s) = scenario() else { return };
    s.db.role(40, 0, "X", 0, "2", "Odd");
    let before = s.rules();
    for (role, expect) in [
        ("999", "no role 999"),
        ("=-3", "no role -3"),
        ("40", "neither G nor U"),
    ] {
        let flag = match role.strip_prefix('=') {
            Some(v) => format!("--role={v}"),
            None => format!("--role={role}"),
        };
        let (code, out, err) = s.run_text(&[
            "acl:grant",
            &flag,
            "--resource",
            "Magento_Catalog::products",
            "--apply",
        ]);
        assert_eq!(code, 1, "{role}: {out}{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(expect), "{role}: {err}");
    }
    // An admin user without a group, and an unknown admin user.
    s.db.insert(
        "admin_user",
        &[
            ("user_id", 5.into()),
            ("username", "solo".into()),
            ("password", "x".into()),
            ("is_active", 1.into()),
        ],
    );
    s.db.role(50, 0, "U", 5, "2", "Solo");
    for (user, expect) in [("solo", "no group"), ("nobody", "no admin user")] {
        let (code, _, err) = s.run_text(&[
            "acl:grant",
            "--admin-user",
            user,
            "--resource",
            "Magento_Catalog::products",
        ]);
        assert_eq!(code, 1, "{user}: {err}");
        assert!(err.contains(expect), "{user}: {err}");
    }
    // A group role by id is fine (a plan).
    let (code, doc) = s.run(&[
        "acl:grant",
        "--role",
        "30",
        "--resource",
        "Magento_Catalog::products",
    ]);
    assert_eq!(
        (code, doc["status"].clone()),
        (0, "planned".into()),
        "{doc}"
    );
    assert_eq!(s.rules(), before);
    assert!(s.journal_files().is_empty());
}

#[test]
fn undo_prints_the_cache_notice_and_refuses_an_entry_of_another_server() {
    let Some(s) = scenario() else { return };
    let before = s.rules();
    let grant = [
        "acl:grant",
        "--integration",
        "ERP",
        "--resource",
        "Magento_Catalog::products",
        "--apply",
    ];
    let (code, out, err) = s.run_text(&grant);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = s.run_text(&["undo", "--apply"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bin/magento cache:clean config"), "{out}");
    assert_eq!(s.rules(), before);

    // An entry written for another server (same database name and prefix) is refused, even
    // with --force.
    let (code, applied) = s.run(&grant);
    assert_eq!(code, 0, "{applied}");
    let after_grant = s.rules();
    let id = applied["journal"].as_str().unwrap().to_string();
    let path = s.store.path(&format!("var/m2auth/journal/{id}.json"));
    let mut entry: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let original = entry["database"].clone();
    let here = entry["database"]["socket"].as_str().unwrap().to_string();
    entry["database"]["host"] = "db.other.example".into();
    entry["database"]["port"] = 3307.into();
    entry["database"]["socket"] = Value::Null;
    std::fs::write(&path, serde_json::to_string_pretty(&entry).unwrap()).unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["undo", "--apply", id.as_str()];
        args.extend_from_slice(extra);
        let (code, out, err) = s.run_text(&args);
        assert_eq!(code, 1, "{extra:?}: {out}{err}");
        assert!(err.contains("db.other.example:3307"), "{err}");
        assert!(err.contains(&here), "{err}");
        assert!(err.contains("--force does not override"), "{err}");
        assert_eq!(s.rules(), after_grant);
    }
    // Put back, it is undone, and the JSON carries the notice.
    entry["database"] = original;
    std::fs::write(&path, serde_json::to_string_pretty(&entry).unwrap()).unwrap();
    let (code, doc) = s.run(&["undo", "--apply", &id]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        doc["cache_notice"]
            .to_string()
            .contains("cache:clean config"),
        "{doc}"
    );
    assert_eq!(s.rules(), before);
}

/// A role that may use every resource passes Magento's ACL on a `self` route (`self` is no
/// declared resource), but the route takes the customer id from the token's customer: the real
/// 2.4.7-p3 answers an admin JWT on GET /V1/customers/me with 400 "customerId" is required. Still
/// route-needs-customer-token, the root cause of diagnose.
#[test]
fn an_all_resources_caller_on_a_self_route_needs_a_customer_token() {
    let Some(s) = scenario() else { return };
    let (_, doc) = s.check("GET /V1/customers/me", &["--token", FULL_TOKEN]);
    assert_eq!(codes(&doc), vec!["route-needs-customer-token"], "{doc}");
    let out = lab::m2auth(
        &[
            "diagnose",
            "--offline",
            "--request",
            "GET /V1/customers/me",
            "--token",
            FULL_TOKEN,
            "--format",
            "json",
            "--root",
            s.store.root().to_str().unwrap(),
        ],
        s.store.root(),
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["root_cause"], "route-needs-customer-token", "{doc}");
}

/// SOAP: the operation named by the envelope is judged with its REST route's resources; GraphQL
/// has no ACL routes (a usage error pointing at diagnose). Issue 14.
#[test]
fn soap_operations_get_their_rest_routes_verdict() {
    let Some(s) = scenario() else { return };
    let envelope = "<?xml version=\"1.0\"?><env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:ns1=\"http://m.test/soap/default?services=catalogProductRepositoryV1\"><env:Body><ns1:catalogProductRepositoryV1GetRequest><sku>abc</sku></ns1:catalogProductRepositoryV1GetRequest></env:Body></env:Envelope>";
    let req = "POST /soap/default?services=catalogProductRepositoryV1";
    let (code, doc) = s.check(req, &["--token", ERP_TOKEN, "--data", envelope]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["route"]["url"], "/V1/products/:sku", "{doc}");
    assert_eq!(
        doc["missing"],
        serde_json::json!(["Magento_Catalog::products"])
    );
    assert_eq!(codes(&doc), vec!["acl-resource-missing"], "{doc}");
    let (code, doc) = s.check(req, &["--token", FULL_TOKEN, "--data", envelope]);
    assert_eq!(
        (code, doc["allowed"].clone()),
        (0, Value::Bool(true)),
        "{doc}"
    );
    let out = lab::m2auth(
        &[
            "acl:check",
            "--request",
            "POST /graphql",
            "--token",
            FULL_TOKEN,
            "--root",
            s.root(),
        ],
        Path::new(s.root()),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("diagnose"));
}
