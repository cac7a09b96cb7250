//! Step 2, role permissions and routes: one scenario per code on a store whose modules carry
//! Magento's real webapi.xml and acl.xml, roles written as Magento's role editor writes them,
//! and a healthy call.

use super::{NOW, store};
use crate::lab::scenario::{Outcome, Scenario, jwt};

const ERP_TOKEN: &str = "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g";
const NOROLE_TOKEN: &str = "n0r01eacce55t0ken000000000000000";

fn admin_jwt() -> String {
    jwt(1, 2, NOW - 600, NOW + 3000)
}

fn customer_jwt() -> String {
    jwt(1, 3, NOW - 600, NOW + 3000)
}

fn call(s: &Scenario, request: &str, token: Option<&str>) -> Outcome {
    match token {
        Some(t) => s.diagnose(&["--request", request, "--token", t]),
        None => s.diagnose(&["--request", request]),
    }
}

#[test]
fn healthy_routes_and_roles_have_no_step_2_finding() {
    let Some(s) = store() else { return };
    call(&s, "GET /V1/products/abc", Some(&admin_jwt()))
        .expect_no_error()
        .expect_none_of_step(2)
        .expect_exit(0);
    call(&s, "GET /V1/customers/me", Some(&customer_jwt()))
        .expect_no_error()
        .expect_none_of_step(2);
    call(&s, "POST /V1/integration/admin/token", None).expect_none_of_step(2);
}

#[test]
fn acl_resource_missing() {
    let Some(s) = store() else { return };
    // ERP: Catalog > Inventory allowed, Products denied (a role editor save).
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
    call(&s, "GET /V1/products/abc", Some(ERP_TOKEN))
        .expect_root_cause("acl-resource-missing")
        .expect_exit(1);
}

#[test]
fn acl_role_missing() {
    let Some(s) = store() else { return };
    // An integration whose role row is gone.
    s.integration(3, "NoRole", NOROLE_TOKEN).bearer();
    call(&s, "GET /V1/products/abc", Some(NOROLE_TOKEN))
        .expect_root_cause("acl-role-missing")
        .expect_exit(1);
}

#[test]
fn route_not_found() {
    let Some(s) = store() else { return };
    call(&s, "GET /V1/productz", Some(&admin_jwt()))
        .expect_root_cause("route-not-found")
        .expect_exit(1);
}

#[test]
fn route_module_disabled() {
    let Some(s) = store() else { return };
    s.modules(&[("Magento_Tax", "magento/module-tax")])
        .module("Magento_Tax", false);
    call(&s, "GET /V1/taxRates/1", Some(&admin_jwt()))
        .expect_root_cause("route-module-disabled")
        .expect_exit(1);
}

#[test]
fn store_code_unknown() {
    let Some(s) = store() else { return };
    call(&s, "GET /rest/nosuchstore/V1/products", Some(&admin_jwt()))
        .expect_root_cause("store-code-unknown")
        .expect_exit(1);
}

#[test]
fn route_needs_customer_token() {
    let Some(s) = store() else { return };
    call(&s, "GET /V1/customers/me", Some(&admin_jwt()))
        .expect_root_cause("route-needs-customer-token")
        .expect_exit(1);
}

#[test]
fn route_needs_admin_or_integration() {
    let Some(s) = store() else { return };
    call(&s, "GET /V1/orders/5", Some(&customer_jwt()))
        .expect_root_cause("route-needs-admin-or-integration")
        .expect_exit(1);
}

#[test]
fn route_anonymous_disabled() {
    let Some(s) = store() else { return };
    call(&s, "GET /V1/products/abc", None)
        .expect_root_cause("route-anonymous-disabled")
        .expect_exit(1);
    // allow_insecure opens it.
    s.config("webapi/webapisecurity/allow_insecure", "1");
    call(&s, "GET /V1/products/abc", None).expect_no_code("route-anonymous-disabled");
}

#[test]
fn route_https_only() {
    let Some(s) = store() else { return };
    s.store().app_code_module("Acme_Secure");
    s.file(
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
    )
    .module("Acme_Secure", true);
    call(&s, "GET http://shop.test/rest/V1/acme/secret", None)
        .expect_root_cause("route-https-only")
        .expect_exit(1);
    call(&s, "GET https://shop.test/rest/V1/acme/secret", None).expect_none_of_step(2);
}

/// Issue 11, defect 11: module.xml, webapi.xml and acl.xml with left-over merge markers. Magento
/// stops with "Invalid Document"; each file is an error naming the file and the line.
#[test]
fn module_xml_invalid() {
    let Some(s) = store() else { return };
    let markers = "<?xml version=\"1.0\"?>\n<config>\n<<<<<<< HEAD\n    <module name=\"Magento_Catalog\"/>\n=======\n    <module name=\"Magento_Catalog\" />\n>>>>>>> feature\n</config>\n";
    s.file("vendor/magento/module-catalog/etc/module.xml", markers)
        .file(
            "vendor/magento/module-sales/etc/webapi.xml",
            "<?xml version=\"1.0\"?>\n<routes>\n    <route url=\"/V1/orders\" method=\"GET\">\n</routes>\n",
        )
        .file(
            "vendor/magento/module-customer/etc/acl.xml",
            "<?xml version=\"1.0\"?>\n<config>\n  <acl>\n    <resources>\n",
        );
    let out = call(&s, "GET /V1/products/abc", Some(&admin_jwt()))
        .expect_root_cause("module-xml-invalid")
        .expect_severity("module-xml-invalid", "error")
        .expect_exit(1);
    let sources: Vec<String> = out.doc()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "module-xml-invalid")
        .flat_map(|f| f["evidence"].as_array().unwrap().clone())
        .map(|e| e["source"].as_str().unwrap().to_string())
        .collect();
    assert!(
        sources.contains(&"file:vendor/magento/module-catalog/etc/module.xml:3".to_string()),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .any(|e| e.starts_with("file:vendor/magento/module-sales/etc/webapi.xml:")),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .any(|e| e.starts_with("file:vendor/magento/module-customer/etc/acl.xml:")),
        "{sources:?}"
    );
}
