//! GraphQL (`/graphql`) and SOAP (`/soap`): the same causes as REST, found the way Magento's
//! GraphQL context and SOAP server meet them. The GraphQL modules carry schema.graphqls files
//! written here, shaped like Magento's (root fields with `@resolver` classes); the SOAP store
//! uses Magento's real webapi.xml and acl.xml like the REST scenarios. Nothing under /graphql or
//! /soap is ever routed as REST.

use super::{NOW, store};
use crate::lab::scenario::{Outcome, Scenario, db_time, jwt};

const ERP_TOKEN: &str = "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g";

/// Our own schema files, one per module, in Magento's style.
const SCHEMAS: &[(&str, &str, &str)] = &[
    (
        "Magento_GraphQl",
        "magento/module-graph-ql",
        "type Query {\n}\n\ntype Mutation {\n}\n",
    ),
    (
        "Magento_StoreGraphQl",
        "magento/module-store-graph-ql",
        "type Query {\n    storeConfig : StoreConfig @resolver(class: \"Magento\\\\StoreGraphQl\\\\Model\\\\Resolver\\\\StoreConfigResolver\") @doc(description: \"Store config.\") @cache(cacheIdentity: \"Magento\\\\StoreGraphQl\\\\Model\\\\Resolver\\\\Store\\\\Identity\")\n}\n\ntype StoreConfig {\n    code: String\n}\n",
    ),
    (
        "Magento_CustomerGraphQl",
        "magento/module-customer-graph-ql",
        "type Query {\n    customer: Customer @resolver(class: \"Magento\\\\CustomerGraphQl\\\\Model\\\\Resolver\\\\Customer\") @doc(description: \"The customer.\") @cache(cacheable: false)\n}\n\ntype Mutation {\n    generateCustomerToken(email: String!, password: String!): CustomerToken @resolver(class: \"\\\\Magento\\\\CustomerGraphQl\\\\Model\\\\Resolver\\\\GenerateCustomerToken\")\n    revokeCustomerToken: RevokeCustomerTokenOutput @resolver(class: \"\\\\Magento\\\\CustomerGraphQl\\\\Model\\\\Resolver\\\\RevokeCustomerToken\")\n}\n\ntype Customer {\n    email: String\n}\n\ntype CustomerToken {\n    token: String\n}\n\ntype RevokeCustomerTokenOutput {\n    result: Boolean!\n}\n",
    ),
    (
        "Magento_QuoteGraphQl",
        "magento/module-quote-graph-ql",
        "type Query {\n    customerCart: Cart! @resolver (class: \"\\\\Magento\\\\QuoteGraphQl\\\\Model\\\\Resolver\\\\CustomerCart\") @cache(cacheable: false)\n}\n\ntype Mutation {\n    createEmptyCart(input: createEmptyCartInput): String @resolver(class: \"\\\\Magento\\\\QuoteGraphQl\\\\Model\\\\Resolver\\\\CreateEmptyCart\")\n}\n\ninput createEmptyCartInput {\n    cart_id: String\n}\n\ntype Cart {\n    id: ID!\n}\n",
    ),
    (
        "Magento_LoginAsCustomerGraphQl",
        "magento/module-login-as-customer-graph-ql",
        "type Mutation {\n    generateCustomerTokenAsAdmin(\n        input: GenerateCustomerTokenAsAdminInput!\n    ): GenerateCustomerTokenAsAdminOutput\n    @resolver(class: \"Magento\\\\LoginAsCustomerGraphQl\\\\Model\\\\Resolver\\\\RequestCustomerToken\")\n}\n\ninput GenerateCustomerTokenAsAdminInput {\n    customer_email: String!\n}\n\ntype GenerateCustomerTokenAsAdminOutput {\n    customer_token: String!\n}\n",
    ),
    (
        "Magento_WishlistGraphQl",
        "magento/module-wishlist-graph-ql",
        "type Query {\n    wishlist: WishlistOutput @resolver(class: \"\\\\Magento\\\\WishlistGraphQl\\\\Model\\\\Resolver\\\\WishlistResolver\")\n}\n\ntype WishlistOutput {\n    items_count: Int\n}\n",
    ),
];

/// The 2.4.8 Bearer pre-validation, as the installed Magento_CustomerGraphQl has it (its
/// presence is what m2auth looks at; the contents are not read).
fn release_2_4_8(s: &Scenario) {
    s.release("2.4.8").file(
        "vendor/magento/module-customer-graph-ql/Controller/HttpRequestValidator/AuthorizationRequestValidator.php",
        "<?php\n// fixture: the 2.4.8 validator's file\n",
    );
}

/// The scenario store plus the GraphQL modules.
fn gql_store() -> Option<Scenario> {
    let s = store()?;
    for (name, package, schema) in SCHEMAS {
        s.modules(&[(*name, *package)])
            .file(&format!("vendor/{package}/etc/schema.graphqls"), schema);
    }
    Some(s)
}

fn customer_jwt() -> String {
    jwt(1, 3, NOW - 600, NOW + 3000)
}

fn admin_jwt() -> String {
    jwt(1, 2, NOW - 600, NOW + 3000)
}

fn query(document: &str) -> String {
    serde_json::json!({ "query": document }).to_string()
}

fn gql(s: &Scenario, document: &str, token: Option<&str>, extra: &[&str]) -> Outcome {
    let body = query(document);
    let mut args = vec![
        "--request",
        "POST /graphql",
        "-H",
        "Content-Type: application/json",
        "--data",
        &body,
    ];
    if let Some(t) = token {
        args.extend_from_slice(&["--token", t]);
    }
    args.extend_from_slice(extra);
    s.diagnose(&args)
}

#[test]
fn healthy_graphql_calls_have_no_finding() {
    let Some(s) = gql_store() else { return };
    gql(&s, "{ customer { email } }", Some(&customer_jwt()), &[])
        .expect_no_error()
        .expect_no_code("route-not-found")
        .expect_no_code("graphql-customer-required")
        .expect_no_code("graphql-token-ignored-as-guest")
        .expect_no_code("graphql-store-header-mismatch")
        .expect_exit(0);
    gql(
        &s,
        "{ storeConfig { code } }",
        None,
        &["-H", "Store: default"],
    )
    .expect_no_error()
    .expect_exit(0);
    gql(
        &s,
        &format!(
            "mutation {{ generateCustomerToken(email: \"ann@example.test\", password: \"{}\") {{ token }} }}",
            super::PW
        ),
        None,
        &[],
    )
    .expect_no_error();
    // A GET query string, as Apollo sends persisted queries.
    s.diagnose(&[
        "--request",
        "GET /graphql?query=%7Bcustomer%7Bemail%7D%7D",
        "--token",
        &customer_jwt(),
    ])
    .expect_no_error()
    .expect_exit(0);
}

#[test]
fn graphql_guest_on_a_customer_query() {
    let Some(s) = gql_store() else { return };
    let out = gql(&s, "query Me { customer { email } }", None, &[])
        .expect_root_cause("graphql-customer-required")
        .expect_no_code("route-needs-customer-token")
        .expect_no_code("graphql-token-ignored-as-guest")
        .expect_exit(1);
    let detail = out.finding("graphql-customer-required")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("The current customer isn't authorized.")
            && detail.contains("graphql-authorization"),
        "{detail}"
    );
    // customerCart has its own message; wishlist refuses only a request without a user.
    gql(&s, "{ customerCart { id } }", None, &[]).expect_root_cause("graphql-customer-required");
    gql(&s, "{ wishlist { items_count } }", None, &[])
        .expect_root_cause("graphql-customer-required");
    gql(&s, "{ wishlist { items_count } }", Some(&admin_jwt()), &[])
        .expect_no_code("graphql-customer-required");
}

#[test]
fn graphql_admin_token_where_a_customer_is_needed() {
    let Some(s) = gql_store() else { return };
    gql(
        &s,
        "mutation { revokeCustomerToken { result } }",
        Some(&admin_jwt()),
        &[],
    )
    .expect_root_cause("graphql-customer-required")
    .expect_exit(1);
}

/// 2.4.7's resolver cache keys `Query.customer` by the user id alone (seen on the real
/// 2.4.7-p3): the finding says an admin token may then get a customer's cached answer.
#[test]
fn graphql_admin_token_on_the_customer_query_and_the_resolver_cache() {
    let Some(s) = gql_store() else { return };
    let out = gql(&s, "{ customer { email } }", Some(&admin_jwt()), &[])
        .expect_root_cause("graphql-customer-required");
    let detail = out.finding("graphql-customer-required")["detail"].to_string();
    assert!(
        !detail.contains("graphql_query_resolver_result"),
        "{detail}"
    );
    s.modules(&[(
        "Magento_GraphQlResolverCache",
        "magento/module-graph-ql-resolver-cache",
    )])
    .env("cache_types/graphql_query_resolver_result", 1i64);
    let out = gql(&s, "{ customer { email } }", Some(&admin_jwt()), &[])
        .expect_root_cause("graphql-customer-required");
    let detail = out.finding("graphql-customer-required")["detail"].to_string();
    assert!(
        detail.contains("cache:clean graphql_query_resolver_result")
            && detail.contains("customer 1's answer"),
        "{detail}"
    );
}

#[test]
fn graphql_expired_token_is_a_guest_before_2_4_8() {
    let Some(s) = gql_store() else { return };
    let expired = jwt(1, 3, NOW - 7200, NOW - 3600);
    let out = gql(&s, "{ customer { email } }", Some(&expired), &[])
        .expect_root_cause("jwt-expired")
        .expect_code("graphql-token-ignored-as-guest")
        .expect_no_code("graphql-customer-required")
        .expect_exit(1);
    let ignored = out.finding("graphql-token-ignored-as-guest");
    assert_eq!(ignored["severity"], "error", "{ignored}");
    assert!(
        ignored["title"]
            .as_str()
            .unwrap()
            .contains("Query.customer"),
        "{ignored}"
    );
    // Only guest-capable fields: the request "works", for a guest (magento/magento2#26112).
    let cart = gql(&s, "mutation { createEmptyCart }", Some(&expired), &[])
        .expect_root_cause("jwt-expired")
        .expect_code("graphql-token-ignored-as-guest");
    let ignored = cart.finding("graphql-token-ignored-as-guest");
    assert_eq!(ignored["severity"], "warning", "{ignored}");
    assert!(
        ignored["detail"].as_str().unwrap().contains("guest cart"),
        "{ignored}"
    );
    let detail = out.finding("jwt-expired")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("silently"), "{detail}");
    // 2.4.8 refuses the token before any resolver: no field verdict, a 401 for everything.
    release_2_4_8(&s);
    let out = gql(&s, "{ storeConfig { code } }", Some(&expired), &[])
        .expect_root_cause("jwt-expired")
        .expect_no_code("graphql-token-ignored-as-guest")
        .expect_no_code("graphql-customer-required");
    let detail = out.finding("jwt-expired")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("401"), "{detail}");
}

#[test]
fn graphql_revoked_token() {
    let Some(s) = gql_store() else { return };
    s.row(
        "jwt_auth_revoked",
        &[
            ("user_type_id", 3.into()),
            ("user_id", 1.into()),
            ("revoke_before", (NOW - 100).into()),
        ],
    );
    gql(&s, "{ customer { email } }", Some(&customer_jwt()), &[])
        .expect_root_cause("jwt-revoked")
        .expect_code("graphql-token-ignored-as-guest");
}

#[test]
fn graphql_locked_customer_with_a_valid_token() {
    let Some(s) = gql_store() else { return };
    s.sql(&format!(
        "UPDATE customer_entity SET lock_expires = '{}', failures_num = 10 WHERE entity_id = 1",
        db_time(NOW + 600)
    ));
    gql(&s, "{ customer { email } }", Some(&customer_jwt()), &[])
        .expect_root_cause("customer-locked")
        .expect_exit(1);
    // Public fields are not affected.
    gql(&s, "{ storeConfig { code } }", Some(&customer_jwt()), &[]).expect_no_error();
}

#[test]
fn graphql_wrong_store_header() {
    let Some(s) = gql_store() else { return };
    gql(
        &s,
        "{ storeConfig { code } }",
        None,
        &["-H", "Store: nosuchstore"],
    )
    .expect_root_cause("store-code-unknown")
    .expect_exit(1);
}

#[test]
fn graphql_customer_of_another_website_on_2_4_8() {
    let Some(s) = gql_store() else { return };
    release_2_4_8(&s);
    s.sql("INSERT INTO store_website (website_id, code, name, sort_order, default_group_id, is_default) VALUES (2, 'b2b', 'B2B', 1, 2, 0)")
        .sql("INSERT INTO store_group (group_id, website_id, name, root_category_id, default_store_id, code) VALUES (2, 2, 'B2B', 2, 2, 'b2b')")
        .sql("INSERT INTO store (store_id, code, website_id, group_id, name, sort_order, is_active) VALUES (2, 'b2b_en', 2, 2, 'B2B', 0, 1)")
        .config("customer/account_share/scope", "1");
    gql(
        &s,
        "{ customer { email } }",
        Some(&customer_jwt()),
        &["-H", "Store: b2b_en"],
    )
    .expect_root_cause("graphql-store-header-mismatch");
    gql(
        &s,
        "{ customer { email } }",
        Some(&customer_jwt()),
        &["-H", "Store: default"],
    )
    .expect_no_error();
}

#[test]
fn graphql_admin_only_mutation() {
    let Some(s) = gql_store() else { return };
    let doc = "mutation { generateCustomerTokenAsAdmin(input: {customer_email: \"ann@example.test\"}) { customer_token } }";
    gql(&s, doc, Some(&customer_jwt()), &[])
        .expect_root_cause("route-needs-admin-or-integration")
        .expect_exit(1);
    // The admin of the scenario store has Magento_Backend::all.
    gql(&s, doc, Some(&admin_jwt()), &[]).expect_no_error();
}

#[test]
fn graphql_unknown_and_disabled_fields() {
    let Some(s) = gql_store() else { return };
    gql(&s, "{ customr { email } }", Some(&customer_jwt()), &[])
        .expect_root_cause("route-not-found")
        .expect_exit(1);
    s.module("Magento_QuoteGraphQl", false);
    gql(&s, "{ customerCart { id } }", Some(&customer_jwt()), &[])
        .expect_root_cause("route-module-disabled");
    s.module("Magento_GraphQl", false);
    gql(&s, "{ customer { email } }", Some(&customer_jwt()), &[])
        .expect_root_cause("route-module-disabled");
}

#[test]
fn graphql_from_a_pasted_curl_is_never_a_rest_route() {
    let Some(s) = gql_store() else { return };
    let curl = format!(
        "curl -X POST https://shop.test/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer {}' --data-raw '{{\"query\":\"{{ customer {{ email }} }}\"}}'",
        customer_jwt()
    );
    s.diagnose(&["--curl", &curl])
        .expect_no_code("route-not-found")
        .expect_no_error()
        .expect_exit(0);
}

// --- SOAP --------------------------------------------------------------------------------------

fn envelope(operation: &str, service: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:ns1=\"https://shop.test/soap/default?services={service}\"><env:Body><ns1:{operation}Request><sku>abc</sku></ns1:{operation}Request></env:Body></env:Envelope>"
    )
}

fn soap(s: &Scenario, service: &str, operation: &str, token: &str) -> Outcome {
    let body = envelope(operation, service);
    let req = format!("POST /soap/default?services={service}");
    s.diagnose(&["--request", &req, "--data", &body, "--token", token])
}

#[test]
fn soap_operations_get_the_rest_routes_acl_verdicts() {
    let Some(s) = store() else { return };
    // The ERP integration may use Catalog > Inventory but Products is denied, as in REST.
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
    let out = soap(
        &s,
        "catalogProductRepositoryV1",
        "catalogProductRepositoryV1Get",
        ERP_TOKEN,
    )
    .expect_root_cause("acl-resource-missing")
    .expect_exit(1);
    let f = out.finding("acl-resource-missing");
    assert!(
        f["title"]
            .as_str()
            .unwrap()
            .contains("SOAP operation catalogProductRepositoryV1Get"),
        "{f}"
    );
    // The same call over REST gives the same verdict.
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", ERP_TOKEN])
        .expect_root_cause("acl-resource-missing");
    // --soap-operation alone: the URL and the envelope follow from the operation's name.
    let out = s
        .diagnose(&[
            "--soap-operation",
            "catalogProductRepositoryV1Get",
            "--token",
            ERP_TOKEN,
        ])
        .expect_root_cause("acl-resource-missing")
        .expect_no_code("route-not-found")
        .expect_exit(1);
    assert!(
        out.finding("acl-resource-missing")["title"]
            .as_str()
            .unwrap()
            .contains("SOAP operation catalogProductRepositoryV1Get"),
        "{:#}",
        out.doc()
    );
    s.diagnose(&[
        "--request",
        "POST /soap/default?services=catalogProductRepositoryV1",
        "--soap-operation",
        "catalogProductRepositoryV1Get",
        "--token",
        &admin_jwt(),
    ])
    .expect_no_error()
    .expect_exit(0);
    // Contradictions and non-names are one-line usage errors (exit 2).
    let body = envelope(
        "catalogProductRepositoryV1GetList",
        "catalogProductRepositoryV1",
    );
    for args in [
        vec![
            "--request",
            "POST /soap/default?services=catalogProductRepositoryV1",
            "--data",
            body.as_str(),
            "--soap-operation",
            "catalogProductRepositoryV1Get",
        ],
        vec![
            "--request",
            "GET /V1/products",
            "--soap-operation",
            "catalogProductRepositoryV1Get",
        ],
        vec!["--soap-operation", "products"],
    ] {
        let mut all = vec!["diagnose"];
        all.extend(args);
        let (code, _, err) = s.run_text(&all);
        assert_eq!(code, 2, "{all:?}: {err}");
        assert!(
            err.contains("--soap-operation") && err.trim().lines().count() == 1,
            "{err}"
        );
    }
    // An admin may.
    soap(
        &s,
        "catalogProductRepositoryV1",
        "catalogProductRepositoryV1Get",
        &admin_jwt(),
    )
    .expect_no_error()
    .expect_exit(0);
    // One operation for every route of a service method, all their resources required: the
    // reference Customer webapi.xml gives GET /V1/customers/me no soapOperation, so getById is
    // both `self` and Magento_Customer::customer on SOAP, and a customer's token, fine on
    // REST's /V1/customers/me, is refused.
    s.diagnose(&[
        "--request",
        "GET /V1/customers/me",
        "--token",
        &customer_jwt(),
    ])
    .expect_no_error();
    soap(
        &s,
        "customerCustomerRepositoryV1",
        "customerCustomerRepositoryV1GetById",
        &customer_jwt(),
    )
    .expect_root_cause("route-needs-admin-or-integration");
}

#[test]
fn soap_unknown_services_and_operations() {
    let Some(s) = store() else { return };
    soap(
        &s,
        "catalogProductRepositoryV1",
        "catalogProductRepositoryV1Fetch",
        &admin_jwt(),
    )
    .expect_root_cause("route-not-found");
    soap(
        &s,
        "catalogProductRepositoryV9",
        "catalogProductRepositoryV9Get",
        &admin_jwt(),
    )
    .expect_root_cause("route-not-found");
    s.diagnose(&[
        "--request",
        "POST /soap/default?services=nope",
        "--token",
        &admin_jwt(),
    ])
    .expect_root_cause("route-not-found");
    // The operation must be among the requested services.
    soap(
        &s,
        "customerCustomerRepositoryV1",
        "catalogProductRepositoryV1Get",
        &admin_jwt(),
    )
    .expect_root_cause("route-not-found");
}

#[test]
fn soap_wsdl_for_a_guest() {
    let Some(s) = store() else { return };
    let out = s
        .diagnose(&[
            "--request",
            "GET /soap/default?wsdl&services=catalogProductRepositoryV1",
        ])
        .expect_exit(1);
    let codes = out.codes();
    assert!(
        codes
            .iter()
            .any(|c| c == "route-anonymous-disabled" || c == "route-needs-admin-or-integration"),
        "{codes:?}"
    );
    s.diagnose(&["--request", "GET /soap/all?wsdl_list=1"])
        .expect_no_error();
}

#[test]
fn graphql_generate_customer_token_failures_are_the_login_checks() {
    let Some(s) = gql_store() else { return };
    let login = |password: &str| {
        let doc = "mutation Login($email: String!, $password: String!) { generateCustomerToken(email: $email, password: $password) { token } }";
        let body = serde_json::json!({
            "query": doc,
            "variables": { "email": "ann@example.test", "password": password }
        })
        .to_string();
        s.diagnose(&["--request", "POST /graphql", "--data", &body])
    };
    let out = login("Wrong-Passw0rd")
        .expect_root_cause("customer-password-wrong")
        .expect_exit(1);
    assert!(
        out.finding("customer-password-wrong")["detail"]
            .as_str()
            .unwrap()
            .contains("generateCustomerToken")
    );
    // The password never appears in the output.
    assert!(!out.doc().to_string().contains("Wrong-Passw0rd"));
    login(super::PW).expect_no_error().expect_exit(0);
    s.sql(&format!(
        "UPDATE customer_entity SET lock_expires = '{}' WHERE entity_id = 1",
        db_time(NOW + 600)
    ));
    login(super::PW).expect_root_cause("customer-locked");
}

#[test]
fn graphql_session_cookie_without_a_token() {
    let Some(s) = gql_store() else { return };
    let out = gql(
        &s,
        "{ customer { email } }",
        None,
        &["-H", "Cookie: PHPSESSID=abc123"],
    )
    .expect_root_cause("graphql-customer-required");
    assert!(
        out.doc()["skipped"]
            .to_string()
            .contains("graphql/session/disable is not 1"),
        "{:#}",
        out.doc()
    );
    s.config("graphql/session/disable", "1");
    let out = gql(
        &s,
        "{ customer { email } }",
        None,
        &["-H", "Cookie: PHPSESSID=abc123"],
    );
    assert!(
        out.doc()["skipped"]
            .to_string()
            .contains("GraphQL starts no session"),
        "{:#}",
        out.doc()
    );
}

// --- HAR recordings ----------------------------------------------------------------------------

/// A HAR file as Chrome's DevTools saves it: a page, a static file, the storefront's GraphQL
/// call refused inside a 200, HTTP/2 pseudo-headers included.
fn har(token: &str) -> String {
    let entry = |method: &str,
                 url: &str,
                 headers: serde_json::Value,
                 body: Option<&str>,
                 status: u16,
                 answer: &str| {
        let mut request = serde_json::json!({
            "method": method,
            "url": url,
            "httpVersion": "http/2.0",
            "headers": headers,
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        });
        if let Some(b) = body {
            request["postData"] = serde_json::json!({"mimeType": "application/json", "text": b});
        }
        serde_json::json!({
            "startedDateTime": "2026-12-07T10:00:00.000Z",
            "time": 12.5,
            "request": request,
            "response": {
                "status": status,
                "statusText": "",
                "httpVersion": "http/2.0",
                "headers": [],
                "cookies": [],
                "content": {"size": answer.len(), "mimeType": "application/json", "text": answer},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
            },
            "cache": {},
            "timings": {"send": 0, "wait": 10, "receive": 2.5},
        })
    };
    let doc = serde_json::json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [],
            "entries": [
                entry("GET", "https://shop.test/customer/account/", serde_json::json!([{"name": ":authority", "value": "shop.test"}]), None, 200, "<html></html>"),
                entry("GET", "https://shop.test/static/version1/frontend/app.js", serde_json::json!([]), None, 200, ""),
                entry("POST", "https://shop.test/graphql", serde_json::json!([
                    {"name": ":authority", "value": "shop.test"},
                    {"name": ":method", "value": "POST"},
                    {"name": "content-type", "value": "application/json"},
                    {"name": "authorization", "value": format!("Bearer {token}")},
                    {"name": "store", "value": "default"},
                ]), Some(&query("{ customer { email } }")), 200,
                r#"{"errors":[{"message":"The current customer isn't authorized.","extensions":{"category":"graphql-authorization"}}],"data":{"customer":null}}"#),
            ],
        }
    });
    serde_json::to_string_pretty(&doc).unwrap()
}

#[test]
fn graphql_from_a_har_recording() {
    let Some(s) = gql_store() else { return };
    let expired = jwt(1, 3, NOW - 7200, NOW - 3600);
    let path = s.root().join("recording.har");
    std::fs::write(&path, har(&expired)).unwrap();
    let file = path.to_str().unwrap();
    // The refused GraphQL call is found among the page's requests, its token judged.
    let out = s
        .diagnose(&["--har", file])
        .expect_root_cause("jwt-expired")
        .expect_code("graphql-token-ignored-as-guest")
        .expect_no_code("route-not-found")
        .expect_exit(1);
    assert!(
        !out.doc().to_string().contains(&expired),
        "the token is masked"
    );
    // --har-entry picks one; a page is no API call.
    s.diagnose(&["--har", file, "--har-entry", "3"])
        .expect_root_cause("jwt-expired");
    // A valid token in the same recording: healthy.
    std::fs::write(&path, har(&customer_jwt())).unwrap();
    s.diagnose(&["--har", file])
        .expect_no_error()
        .expect_exit(0);
    // Bad input: one line naming the file (and the line for JSON), exit 2.
    std::fs::write(&path, "{\n  \"log\": {\n    \"entries\": [\n  oops\n").unwrap();
    let (code, _, err) = s.run_text(&["diagnose", "--har", file]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("recording.har:4:") && err.trim().lines().count() == 1,
        "{err}"
    );
    std::fs::write(&path, r#"{"log":{"entries":[]}}"#).unwrap();
    let (code, _, err) = s.run_text(&["diagnose", "--har", file]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--har-entry"), "{err}");
    let (code, _, err) = s.run_text(&["diagnose", "--har", file, "--har-entry", "9"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("0 entries"), "{err}");
    // Not a regular file (a device never ends, a FIFO blocks): refused at once.
    let (code, _, err) = s.run_text(&["diagnose", "--har", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}
