//! Steps 1–3 for a GraphQL request (`/graphql`): who Magento's GraphQL context makes of the
//! caller, and which of the document's top-level fields refuse that caller.
//!
//! * The caller (`Magento\GraphQl\Model\Query\ContextFactory`, `AddUserInfoToContext`): the
//!   Bearer token read as for REST (the token findings of [`super::tokens`] say what is wrong
//!   with it); no OAuth user context in the graphql area (a signed request is a guest). A token
//!   Magento cannot use is silently dropped before 2.4.8 (the request runs as a guest), and a
//!   401 for every operation from 2.4.8 (`AuthorizationRequestValidator`).
//! * The fields: each top-level field of each operation, looked up in the merged
//!   `schema.graphqls` of the enabled modules, its `@resolver`'s guard
//!   ([`crate::magento::graphql::guard_of`]).
//! * The `Store` header (`StoreValidator`: an unknown or inactive code is refused).
//!
//! The findings use the REST codes of the same causes (`route-needs-admin-or-integration`,
//! `acl-resource-missing`, `route-not-found`, `route-module-disabled`, `store-code-unknown`,
//! `customer-locked`), with GraphQL's answer in the detail, and GraphQL's own codes where REST
//! has no equal: `graphql-customer-required` (a resolver's `GraphQlAuthorizationException` for a
//! request that is no customer's: answered in a 200's errors[], not a 401),
//! `graphql-token-ignored-as-guest` (a token dropped silently before 2.4.8) and
//! `graphql-store-header-mismatch` (2.4.8: a customer token on a store of another website).

use crate::checks::Diagnosis;
use crate::checks::caller::{self, Caller, CallerSpec};
use crate::checks::roles;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::graphql::{self, Guard, OpKind};
use crate::magento::routes::{Route, StorePart};
use crate::request::{Api, RequestSpec};
use crate::store::graphql as schema_store;

const CHECK: &str = "graphql";

/// How the release treats a token it cannot use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadToken {
    /// 2.4.8+: 401 `graphql-authentication` before any resolver.
    Refused,
    /// 2.4.4–2.4.7: silently a guest.
    Guest,
    /// The release is not known.
    Unknown,
}

/// The GraphQL checks for the request being diagnosed (nothing for other APIs).
pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let Some(request) = &ctx.request else { return };
    if request.api() != Api::Graphql {
        return;
    }
    let Some(target) = &request.target else {
        return;
    };
    let modules = &ctx.install.modules;
    if modules.is_enabled(graphql::MODULE) == Some(false) {
        d.push(
            Finding::new(Code::RouteModuleDisabled, Severity::Error)
                .title("Magento_GraphQl is disabled: /graphql is not served")
                .detail("app/etc/config.php disables Magento_GraphQl: /graphql falls through to the storefront router and answers its 404 page, whatever the token.")
                .evidence(Evidence::file("app/etc/config.php", None, "'Magento_GraphQl' => 0"))
                .fix(Fix {
                    summary: "Enable the module".into(),
                    commands: vec!["bin/magento module:enable Magento_GraphQl && bin/magento setup:upgrade".into()],
                    admin_path: None,
                }),
        );
        return;
    }
    let bad_token = match schema_store::has_authorization_validator(modules).or_else(|| {
        ctx.install
            .release
            .version
            .as_deref()
            .and_then(graphql::validates_bearer)
    }) {
        Some(true) => BadToken::Refused,
        Some(false) => BadToken::Guest,
        None => BadToken::Unknown,
    };
    store_header(ctx, request, d);
    if request.login.is_some() {
        return;
    }
    let mut dropped = false;
    let caller = effective_caller(ctx, request, bad_token, d, &mut dropped);
    let call = match graphql::read_call(
        &request.method,
        target.query.as_deref(),
        request.body.as_deref(),
    ) {
        Ok(c) => c,
        Err(e) => {
            d.skip(
                CHECK,
                format!("{e}: Magento answers 500 (400 from 2.4.8) before looking at the caller; the fields were not checked"),
            );
            return;
        }
    };
    let Some(document) = call.query.filter(|q| !q.trim().is_empty()) else {
        d.skip(
            CHECK,
            "no GraphQL document was given (--data '{\"query\":\"…\"}' for a POST, ?query=… for a GET): the fields the request needs were not checked",
        );
        return;
    };
    let operations = match graphql::operations(&document) {
        Ok(o) => o,
        Err(e) => {
            d.skip(
                CHECK,
                format!("{e}: Magento answers 500 (400 from 2.4.8) with a syntax error; the fields were not checked"),
            );
            return;
        }
    };
    let schema = schema_store::load_schema(modules);
    for p in &schema.problems {
        d.skip("schema", p.clone());
    }
    if schema.files == 0 {
        d.skip(
            CHECK,
            "no enabled module under the root has an etc/schema.graphqls (Magento_GraphQl and the *GraphQl modules were not found): the fields were not checked",
        );
        return;
    }
    // generateCustomerToken: the same sign-in as REST's customer token endpoint (issue 14).
    if let Some((email, password)) =
        graphql::customer_token_arguments(&document, call.variables.as_ref())
    {
        let before = d.findings.len();
        super::logins::customer_login(ctx, &email, password.as_deref(), d);
        for f in &mut d.findings[before..] {
            if f.severity == Severity::Error {
                f.detail.push_str(" On /graphql, generateCustomerToken calls the same service: Magento answers errors[].message with the same text, extensions.category \"graphql-authentication\" (HTTP 200 before 2.4.8, 401 from 2.4.8).");
            }
        }
    }
    let Some(caller) = caller else { return };
    let disabled = std::cell::OnceCell::new();
    let mut seen = Vec::new();
    // The fields that refused the guest a dropped token made of the caller.
    let mut refused_as_guest: Vec<(String, Evidence)> = Vec::new();
    let mut mutations = Vec::new();
    for op in &operations {
        if op.kind == OpKind::Subscription {
            d.skip(CHECK, "Magento serves no subscriptions");
            continue;
        }
        if op.kind == OpKind::Mutation && request.method.eq_ignore_ascii_case("GET") {
            d.skip(
                CHECK,
                "a mutation sent with GET: Magento refuses it (\"Mutation requests allowed only for POST requests\") before any resolver",
            );
        }
        for name in &op.fields {
            if seen.contains(&(op.kind, name.clone())) {
                continue;
            }
            seen.push((op.kind, name.clone()));
            let Some(decl) = schema.find(op.kind, name) else {
                let dis = disabled.get_or_init(|| schema_store::load_disabled_schema(modules));
                unknown_field(ctx, d, op.kind, name, dis.find(op.kind, name));
                continue;
            };
            let Some(resolver) = &decl.field.resolver else {
                continue;
            };
            let guard = graphql::guard_of(resolver);
            let ev = Evidence::file(
                &roles::relative(ctx, &decl.path),
                Some(decl.field.line),
                format!("{}.{} @resolver {}", op.kind.root_type(), name, resolver),
            );
            if op.kind == OpKind::Mutation {
                mutations.push(format!("{}.{name}", op.kind.root_type()));
            }
            if dropped && matches!(guard, Guard::Customer { .. } | Guard::UserId { .. }) {
                refused_as_guest.push((format!("{}.{name}", op.kind.root_type()), ev));
                continue;
            }
            judge(ctx, d, &caller, bad_token, op.kind, name, guard, ev);
        }
    }
    if dropped {
        token_ignored(d, bad_token, refused_as_guest, &mutations);
    }
}

/// `graphql-token-ignored-as-guest`: before 2.4.8 the GraphQL context reads the user from
/// `Magento\Webapi\Model\Authorization\TokenUserContext`, which answers no user for a token it
/// cannot use; `AddUserInfoToContext` then sets is_customer false and every resolver sees a
/// guest. The token's own finding says why it was unusable; this one says what the request did
/// instead: customer fields refused, guest-capable mutations acting for a guest
/// (magento/magento2#26112: a guest cart instead of the customer's).
fn token_ignored(
    d: &mut Diagnosis,
    bad_token: BadToken,
    refused: Vec<(String, Evidence)>,
    mutations: &[String],
) {
    let release = match bad_token {
        BadToken::Unknown => {
            " (2.4.4–2.4.7; 2.4.8 refuses such a token with a 401 instead — the release could not be read)"
        }
        _ => "",
    };
    let (severity, title, what) = if refused.is_empty() {
        (
            Severity::Warning,
            "Magento drops the token: the GraphQL request runs as a guest".to_string(),
            if mutations.is_empty() {
                "The public fields answer, but with a guest's data (guest prices, no customer group).".to_string()
            } else {
                format!(
                    "The public fields still answer, and {} act for a guest: a guest cart is created or changed instead of the customer's (magento/magento2#26112) — no error tells the storefront.",
                    mutations.join(", ")
                )
            },
        )
    } else {
        let fields: Vec<&str> = refused.iter().map(|(f, _)| f.as_str()).collect();
        (
            Severity::Error,
            format!(
                "Magento drops the token, so {} refuse{} the request as a guest's",
                fields.join(", "),
                if fields.len() == 1 { "s" } else { "" }
            ),
            "Magento answers HTTP 200 with errors[].message \"The current customer isn't authorized.\" (extensions.category \"graphql-authorization\"): it reads like a permission problem, but the token is the cause.".to_string(),
        )
    };
    let mut f = Finding::new(Code::GraphqlTokenIgnoredAsGuest, severity)
        .title(title)
        .detail(format!(
            "The Bearer token cannot be used (see the token finding), and the GraphQL context does not refuse it: TokenUserContext answers no user, AddUserInfoToContext sets is_customer false, and every resolver sees a guest{release}. {what}"
        ))
        .evidence(Evidence::request("Authorization: Bearer <token>"));
    for (_, ev) in refused {
        f = f.evidence(ev);
    }
    d.push(f.fix(Fix {
        summary: "Get a new customer token (mutation generateCustomerToken) and make the storefront renew it when GraphQL answers graphql-authorization".into(),
        commands: vec![
            "curl -X POST https://<store>/graphql -H 'Content-Type: application/json' -d '{\"query\":\"mutation { generateCustomerToken(email: \\\"…\\\", password: \\\"…\\\") { token } }\"}'".into(),
        ],
        admin_path: None,
    }));
}

/// Who the resolvers see, and the notes about how the token was treated. `None` when the
/// caller cannot be told (then the fields are not judged).
fn effective_caller(
    ctx: &Context,
    request: &RequestSpec,
    bad_token: BadToken,
    d: &mut Diagnosis,
    dropped: &mut bool,
) -> Option<Caller> {
    let token_refused = d.findings.iter().any(|f| {
        f.severity == Severity::Error && (f.step == 1 || f.code == Code::AuthHeaderMalformed)
    });
    let graphql_answer = match bad_token {
        BadToken::Refused => {
            " On /graphql this release refuses the request before any resolver runs: HTTP 401, errors[0].extensions.category \"graphql-authentication\" — for every operation, public ones (products, storeConfig, generateCustomerToken) included."
        }
        BadToken::Guest => {
            " On /graphql this release drops such a token silently: the request runs as a guest (or as a logged-in storefront session's customer) — customer queries fail with \"The current customer isn't authorized.\" (HTTP 200) and guest-capable mutations such as createEmptyCart act for a guest."
        }
        BadToken::Unknown => {
            " On /graphql, 2.4.4–2.4.7 drop such a token silently (the request runs as a guest); 2.4.8 answers 401 (graphql-authentication) for every operation."
        }
    };
    if request.bearer_token().is_some() && token_refused {
        for f in &mut d.findings {
            if f.severity == Severity::Error && (f.step == 1 || f.code == Code::AuthHeaderMalformed)
            {
                f.detail.push_str(graphql_answer);
            }
        }
        return match bad_token {
            BadToken::Refused => None,
            _ => {
                *dropped = true;
                Some(Caller::Guest)
            }
        };
    }
    if request.oauth.is_some() || request.is_oauth_signed() {
        d.skip(
            CHECK,
            "the request is OAuth-signed: GraphQL has no OAuth user context, Magento runs it as a guest (send the integration's access token as Bearer, with oauth/consumer/enable_integration_as_bearer on)",
        );
        return Some(Caller::Guest);
    }
    let Some(token) = request.bearer_token() else {
        if request.authorization().is_empty() {
            if request
                .header("cookie")
                .is_some_and(|c| c.contains("PHPSESSID"))
            {
                // `Magento\GraphQl\Model\Config\DisableSession::isDisabled()`: the default-scope
                // value compared with the string '1' (2.4.5+).
                let disabled = ctx.config.get_default("graphql/session/disable");
                d.skip(
                    CHECK,
                    if disabled.value.as_deref() == Some("1") {
                        "the request sends a session cookie and no token, and graphql/session/disable is 1: GraphQL starts no session, the request is a guest's"
                    } else {
                        "the request sends a session cookie and no token: a logged-in storefront session makes it that customer's request (graphql/session/disable is not 1); judged as a guest"
                    },
                );
            }
            return Some(Caller::Guest);
        }
        d.skip(
            CHECK,
            "the Authorization header is not a Bearer token: Magento ignores it (a guest)",
        );
        return Some(Caller::Guest);
    };
    match caller::identify(ctx, &CallerSpec::Token(token.to_string())) {
        Ok(who) => Some(who.caller),
        Err(why) => {
            d.skip(CHECK, format!("the caller could not be identified: {why}"));
            None
        }
    }
}

/// The `Store` header: `StoreValidator` refuses a code that is no active store view's (the
/// value `default`, any case, always passes).
fn store_header(ctx: &Context, request: &RequestSpec, d: &mut Diagnosis) {
    let Some(value) = request.header("store") else {
        return;
    };
    let code = value.trim();
    if code.is_empty() || code.eq_ignore_ascii_case("default") {
        return;
    }
    let scopes = &ctx.config.scopes;
    if scopes.stores.is_empty() {
        d.skip(
            "store-header",
            "the store views could not be read: the Store header was not checked",
        );
        return;
    }
    let view = scopes.store_by_code(code).filter(|s| s.id != 0);
    if view.is_some_and(|s| s.is_active) {
        return;
    }
    let codes: Vec<String> = scopes
        .stores
        .iter()
        .filter(|s| s.id != 0 && s.is_active)
        .map(|s| s.code.clone())
        .collect();
    d.push(
        Finding::new(Code::StoreCodeUnknown, Severity::Error)
            .title(format!("The Store header names no active store view: {code}"))
            .detail(format!(
                "Magento's StoreGraphQl validator refuses the request before any resolver: \"Requested store is not found ({code})\" (HTTP 500 before 2.4.8, 400 from 2.4.8). Store codes are case-sensitive{}.",
                if view.is_some() { "; this store view is disabled" } else { "" }
            ))
            .evidence(Evidence::db("store", format!("active codes: {}", codes.join(", "))))
            .fix(Fix {
                summary: "Send the code of an active store view in the Store header".into(),
                commands: codes.first().map(|c| format!("-H 'Store: {c}'")).into_iter().collect(),
                admin_path: Some("Stores > Settings > All Stores".into()),
            }),
    );
}

/// The store the request runs on, as a [`StorePart`] (the `Store` header, else the default).
fn header_store(ctx: &Context) -> StorePart {
    match ctx
        .request
        .as_ref()
        .and_then(|r| r.header("store"))
        .map(str::trim)
    {
        Some(c)
            if !c.is_empty()
                && !c.eq_ignore_ascii_case("default")
                && ctx.config.scopes.store_by_code(c).is_some() =>
        {
            StorePart::Code(c.to_string())
        }
        _ => StorePart::Default,
    }
}

fn unknown_field(
    ctx: &Context,
    d: &mut Diagnosis,
    kind: OpKind,
    name: &str,
    disabled: Option<&schema_store::DeclaredField>,
) {
    if let Some(f) = disabled {
        d.push(
            Finding::new(Code::RouteModuleDisabled, Severity::Error)
                .title(format!("{}.{name} belongs to {}, which is disabled", kind.root_type(), f.module))
                .detail(format!(
                    "The field is declared by a disabled module: Magento's schema has no such field and answers (HTTP 200) \"Cannot query field \\\"{name}\\\" on type \\\"{}\\\".\"",
                    kind.root_type()
                ))
                .evidence(Evidence::file(&roles::relative(ctx, &f.path), Some(f.field.line), format!("{}.{name}", kind.root_type())))
                .fix(Fix {
                    summary: format!("Enable {}", f.module),
                    commands: vec![format!("bin/magento module:enable {} && bin/magento setup:upgrade", f.module)],
                    admin_path: None,
                }),
        );
        return;
    }
    d.push(
        Finding::new(Code::RouteNotFound, Severity::Error)
            .title(format!("No enabled module declares {}.{name}", kind.root_type()))
            .detail(format!(
                "No schema.graphqls of an enabled module has this field: Magento answers (HTTP 200) \"Cannot query field \\\"{name}\\\" on type \\\"{}\\\".\" — a misspelt field, a module that is not installed, or a stale schema cache after enabling one.",
                kind.root_type()
            ))
            .fix(Fix {
                summary: "Check the field's spelling; after enabling a module, clean the config cache".into(),
                commands: vec!["bin/magento cache:clean config".into()],
                admin_path: None,
            }),
    );
}

#[allow(clippy::too_many_arguments)]
fn judge(
    ctx: &Context,
    d: &mut Diagnosis,
    caller: &Caller,
    bad_token: BadToken,
    kind: OpKind,
    name: &str,
    guard: Guard,
    ev: Evidence,
) {
    let field = format!("{}.{name}", kind.root_type());
    let status = match bad_token {
        BadToken::Refused => "HTTP 403",
        BadToken::Guest => "HTTP 200",
        BadToken::Unknown => "HTTP 200 before 2.4.8, 403 from 2.4.8",
    };
    let customer_token_fix = || {
        Fix {
        summary: "Get a customer token (mutation generateCustomerToken) and send it as Authorization: Bearer".into(),
        commands: vec![
            "curl -X POST https://<store>/graphql -H 'Content-Type: application/json' -d '{\"query\":\"mutation { generateCustomerToken(email: \\\"…\\\", password: \\\"…\\\") { token } }\"}'".into(),
        ],
        admin_path: None,
    }
    };
    match guard {
        Guard::Public => {}
        Guard::Customer { message } => match caller {
            Caller::Customer { customer_id } => customer_state(ctx, d, *customer_id, bad_token, &field, ev),
            other => d.push(
                Finding::new(Code::GraphqlCustomerRequired, Severity::Error)
                    .title(format!("{field} needs a customer token"))
                    .detail(format!(
                        "The resolver lets only a customer through (the GraphQL context's is_customer), and {}: Magento answers errors[].message \"{message}\", extensions.category \"graphql-authorization\" ({status}).{}",
                        match other {
                            Caller::Guest => "the request runs as a guest".to_string(),
                            o => format!("the caller is {}, not a customer", o.describe()),
                        },
                        resolver_cache_note(ctx, other, name)
                    ))
                    .evidence(ev)
                    .fix(customer_token_fix()),
            ),
        },
        Guard::UserId { message } => {
            if *caller == Caller::Guest {
                d.push(
                    Finding::new(Code::GraphqlCustomerRequired, Severity::Error)
                        .title(format!("{field} needs a customer token"))
                        .detail(format!(
                            "The resolver refuses a request without a user: Magento answers \"{message}\" (graphql-authorization, {status})."
                        ))
                        .evidence(ev)
                        .fix(customer_token_fix()),
                );
            }
        }
        Guard::Admin { resource, message } => match caller {
            Caller::Admin { .. } => {
                let data = roles::AclData::load(ctx);
                let route = Route {
                    url: format!("graphql:{field}"),
                    method: "POST".into(),
                    secure: false,
                    service_class: String::new(),
                    service_method: String::new(),
                    soap_operation: None,
                    resources: vec![resource.to_string()],
                    parameters: Vec::new(),
                    modules: Vec::new(),
                    sources: Vec::new(),
                };
                let role = roles::role_of(ctx, caller);
                let v = roles::evaluate(ctx, &data, &route, caller, role);
                if !v.allowed {
                    let m = &v.missing[0];
                    d.push(
                        Finding::new(Code::AclResourceMissing, Severity::Error)
                            .title(format!("{field} needs {resource}, which the admin's role lacks"))
                            .detail(format!(
                                "Login as Customer checks the admin's role: {}. Magento answers \"{message}\" (graphql-authorization, {status}).",
                                if m.reason.is_empty() { m.why.clone() } else { m.reason.clone() }
                            ))
                            .evidence(ev)
                            .fix(Fix {
                                summary: format!("Grant {resource} to the admin's role"),
                                commands: Vec::new(),
                                admin_path: Some(format!(
                                    "System > Permissions > User Roles > (role) > Role Resources > {}",
                                    m.admin_path.clone().unwrap_or_else(|| resource.to_string())
                                )),
                            }),
                    );
                }
            }
            other => d.push(
                Finding::new(Code::RouteNeedsAdminOrIntegration, Severity::Error)
                    .title(format!("{field} needs an admin token"))
                    .detail(format!(
                        "The resolver (Login as Customer) lets only an admin user through, and {}: Magento answers \"{message}\" (graphql-authorization, {status}).",
                        match other {
                            Caller::Guest => "the request runs as a guest".to_string(),
                            o => format!("the caller is {}, not an admin", o.describe()),
                        }
                    ))
                    .evidence(ev)
                    .fix(Fix {
                        summary: "Call it with an admin token".into(),
                        commands: vec!["curl -X POST https://<store>/rest/V1/integration/admin/token -H 'Content-Type: application/json' -d '{\"username\":\"…\",\"password\":\"…\"}'".into()],
                        admin_path: None,
                    }),
            ),
        },
    }
}

/// Observed on the real 2.4.7-p3: the GraphQL resolver cache (`graphql_query_resolver_result`,
/// Magento_GraphQlResolverCache, 2.4.7+) keys `Query.customer` by the context's user id alone
/// (`CurrentCustomerId::getFactorValue` returns `getUserId()` whatever the user type), and
/// answers from the cache before the resolver's is_customer guard runs: once customer N's answer
/// is cached, an admin or integration token of user id N gets customer N's data.
fn resolver_cache_note(ctx: &Context, caller: &Caller, field: &str) -> String {
    let id = match caller {
        Caller::Admin { user_id, .. } => *user_id,
        Caller::Integration { integration_id, .. } => *integration_id,
        _ => return String::new(),
    };
    if field != "customer"
        || ctx
            .install
            .modules
            .is_enabled("Magento_GraphQlResolverCache")
            != Some(true)
        || !crate::store::cache::type_enabled(&ctx.install, "graphql_query_resolver_result")
    {
        return String::new();
    }
    format!(
        " But while the graphql_query_resolver_result cache holds customer {id}'s answer, Magento serves it to this token instead (its cache key is the user id, whatever the user type; seen on 2.4.7-p3): the same call can then \"work\" and return another account's data — clean that cache type (bin/magento cache:clean graphql_query_resolver_result) and use a customer token."
    )
}

/// A customer passes the resolver's guard; `GetCustomer` then re-checks the account on every
/// request (locked → "The account is locked.", graphql-authentication), and 2.4.8 makes a
/// customer of another website no customer at all under per-website account sharing.
fn customer_state(
    ctx: &Context,
    d: &mut Diagnosis,
    customer_id: i64,
    bad_token: BadToken,
    field: &str,
    ev: Evidence,
) {
    let Some(db) = ctx.db.as_deref() else { return };
    let Ok(rows) = db.rows("customer_entity", &[("entity_id", customer_id.into())]) else {
        return;
    };
    let Some(c) = rows.first() else { return };
    if let Some(at) = c.text("lock_expires")
        && crate::store::db::db_time(&at).is_some_and(|t| t > ctx.now)
    {
        d.push(
            Finding::new(Code::CustomerLocked, Severity::Error)
                .title(format!("Customer {customer_id} is locked: {field} refuses the valid token"))
                .detail(format!(
                    "The token is valid, but the customer resolvers re-check the account on every request (GetCustomer): locked until {at} UTC, Magento answers \"The account is locked.\" (graphql-authentication{}).",
                    if bad_token == BadToken::Refused { ", HTTP 401" } else { "" }
                ))
                .evidence(Evidence::db("customer_entity", format!("entity_id={customer_id} lock_expires={at}")))
                .evidence(ev)
                .fix(Fix {
                    summary: "Wait for the lock to expire, or unlock the customer".into(),
                    commands: Vec::new(),
                    admin_path: Some("Customers > All Customers > (customer) > Unlock".into()),
                }),
        );
        return;
    }
    if bad_token != BadToken::Guest
        && let Some(why) = roles::customer_outside_website(ctx, customer_id, &header_store(ctx))
    {
        d.push(
            Finding::new(Code::GraphqlStoreHeaderMismatch, Severity::Error)
                .title(format!("{field} refuses this customer on this store"))
                .detail(format!(
                    "{why}: from 2.4.8 the GraphQL context counts the token as a customer only on a store of the customer's website, so Magento answers \"The current customer isn't authorized.\" (graphql-authorization, HTTP 403). 2.4.4–2.4.7 accept it."
                ))
                .evidence(Evidence::db("customer_entity", why.clone()))
                .evidence(ev)
                .fix(Fix {
                    summary: "Send the Store header of a store view of the customer's website".into(),
                    commands: vec!["-H 'Store: <store_code>'".into()],
                    admin_path: None,
                }),
        );
    }
}
