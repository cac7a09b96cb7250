//! Step 2: role permissions and routes (a role's ACL grants; file permissions are step 5).
//! Which route a request hits (Magento's REST router), which ACL resources it needs (every one
//! of them: `Magento\Framework\Webapi\Authorization`), which role Magento resolves for the
//! caller (`WebapiRoleLocator`), what that role grants (`Magento\Framework\Acl` as the
//! Authorization module loads it), and where to tick what is missing in the admin.

use crate::checks::Diagnosis;
use crate::checks::caller::{Caller, Identified};
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::acl::{Acl, AclTree, Reason, UserType};
use crate::magento::routes::{Outcome, Route, RouteIndex, StorePart};
use crate::magento::webapi_security;
use crate::request::Target;
use crate::store::acl as store_acl;
use crate::store::webapi;

/// The routes and the ACL tree of the installation (files only), and the roles (database).
pub struct AclData {
    pub routes: RouteIndex,
    /// Routes declared by disabled modules, to tell "disabled" from "no such route".
    pub disabled_routes: RouteIndex,
    pub tree: AclTree,
    /// The evaluated ACL; `None` without a database.
    pub acl: Option<Acl>,
    /// The `authorization_role` rows (empty without a database).
    pub roles: Vec<crate::magento::acl::RoleRow>,
    /// XML files that could not be read, and why the ACL could not be built.
    pub problems: Vec<String>,
}

impl AclData {
    pub fn load(ctx: &Context) -> AclData {
        let (routes, route_problems) = webapi::load_routes(&ctx.install.modules);
        let (disabled_routes, _) = webapi::load_disabled_routes(&ctx.install.modules);
        let (tree, tree_problems) = store_acl::load_acl_tree(&ctx.install.modules);
        let mut problems: Vec<String> = route_problems
            .iter()
            .map(|p| match p.line {
                Some(l) => format!("{}:{l}: {}", p.path.display(), p.message),
                None => format!("{}: {}", p.path.display(), p.message),
            })
            .collect();
        problems.extend(tree_problems.iter().map(|p| match p.line {
            Some(l) => format!("{}:{l}: {}", p.path.display(), p.message),
            None => format!("{}: {}", p.path.display(), p.message),
        }));
        let (acl, roles) = match ctx.db.as_deref() {
            Some(db) => match store_acl::load_roles(db) {
                Ok((roles, rules)) => (Some(Acl::build(&tree, &roles, &rules)), roles),
                Err(e) => {
                    problems.push(format!("roles could not be read: {e}"));
                    (None, Vec::new())
                }
            },
            None => (None, Vec::new()),
        };
        AclData {
            routes,
            disabled_routes,
            tree,
            acl,
            roles,
            problems,
        }
    }

    /// The group role an admin user's role row belongs to: (role_id, name).
    pub fn group_of(&self, role_id: i64) -> Option<(i64, String)> {
        let row = self
            .roles
            .iter()
            .find(|r| i64::try_from(r.role_id).ok() == Some(role_id))?;
        let parent = self
            .roles
            .iter()
            .find(|r| r.role_id == row.parent_id && row.parent_id != 0)?;
        Some((
            i64::try_from(parent.role_id).ok()?,
            parent.role_name.clone().unwrap_or_default(),
        ))
    }
}

/// A required resource the caller lacks.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Missing {
    pub id: String,
    /// Where to tick it in the admin role editor ("Catalog > Inventory > Products").
    pub admin_path: Option<String>,
    /// `denied` (a deny row, its own or an ancestor's), `missing-rule` (no row: resource added
    /// after the role was saved), `not-granted`, `unknown-resource`, `needs-customer`,
    /// `customer-other-website`, `no-role`, `unknown` (the roles could not be read).
    pub why: String,
    /// Magento's reasoning, in words.
    pub reason: String,
}

/// The innermost reason of an inherited decision.
fn base_reason(r: &Reason) -> &Reason {
    match r {
        Reason::InheritedFrom { reason, .. } => base_reason(reason),
        other => other,
    }
}

/// The outcome for one route and one caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub required: Vec<String>,
    pub missing: Vec<Missing>,
    pub allowed: bool,
    pub role_id: Option<i64>,
}

/// The resources Magento checks for this route: `anonymous` replaces them for the routes
/// `allow_insecure` opens, when Magento_WebapiSecurity is enabled and the setting is on.
pub fn effective_resources(ctx: &Context, route: &Route) -> Vec<String> {
    let opened = ctx.install.modules.is_enabled(webapi_security::MODULE) == Some(true)
        && webapi_security::is_listed(&route.url, &route.method)
        && ctx
            .config
            .get_default(webapi_security::CONFIG_PATH)
            .is_set_flag();
    if opened {
        vec!["anonymous".into()]
    } else {
        route.resources.clone()
    }
}

/// The caller's role id, as `WebapiRoleLocator::getAclRoleId()` finds it.
pub fn role_of(ctx: &Context, caller: &Caller) -> Option<i64> {
    match caller {
        Caller::Role { role_id } => Some(*role_id),
        other => {
            let (user_id, user_type) = other.role_key()?;
            let user_type = match user_type {
                1 => UserType::Integration,
                2 => UserType::Admin,
                _ => return None,
            };
            let db = ctx.db.as_deref()?;
            let role = store_acl::role_for(db, u64::try_from(user_id).ok()?, user_type)
                .ok()
                .flatten()?;
            i64::try_from(role.role_id).ok()
        }
    }
}

/// Evaluate one route for one caller: every listed resource must be allowed.
pub fn evaluate(
    ctx: &Context,
    data: &AclData,
    route: &Route,
    caller: &Caller,
    role_id: Option<i64>,
) -> Verdict {
    let required = effective_resources(ctx, route);
    let mut missing = Vec::new();
    for res in &required {
        let admin_path = data.tree.contains(res).then(|| data.tree.admin_path(res));
        let lack = |why: &str| Missing {
            id: res.clone(),
            admin_path: admin_path.clone(),
            why: why.into(),
            reason: match why {
                "needs-customer" => "only a customer token passes `self`".into(),
                "no-role" => "the caller has no role".into(),
                "not-granted" => "a customer or guest has no ACL role".into(),
                _ => String::new(),
            },
        };
        match res.as_str() {
            "anonymous" => {}
            "self" if matches!(caller, Caller::Customer { .. }) => {}
            _ => match (caller, role_id, data.acl.as_ref()) {
                (Caller::Guest | Caller::Customer { .. }, _, _) => {
                    missing.push(lack(if res == "self" {
                        "needs-customer"
                    } else {
                        "not-granted"
                    }))
                }
                (_, None, _) => missing.push(lack("no-role")),
                (_, Some(_), None) => missing.push(lack("unknown")),
                (_, Some(role), Some(acl)) => {
                    let d = acl.is_allowed(u64::try_from(role).ok(), res);
                    if !d.allowed {
                        let why = match base_reason(&d.reason) {
                            Reason::ExplicitDeny { .. } => "denied",
                            Reason::MissingRuleDenied => "missing-rule",
                            Reason::UnknownResource { .. } if res == "self" => "needs-customer",
                            Reason::UnknownResource { .. } => "unknown-resource",
                            _ => "not-granted",
                        };
                        let mut m = lack(why);
                        m.reason = d.reason.to_string();
                        missing.push(m);
                    }
                }
            },
        }
    }
    Verdict {
        allowed: missing.is_empty(),
        required,
        missing,
        role_id,
    }
}

/// The result of `acl:check` (and the step-2 part of `diagnose`).
#[derive(Debug, Clone)]
pub struct RouteCheck {
    pub method: String,
    /// The route as declared, when one matched.
    pub route: Option<Route>,
    pub verdict: Option<Verdict>,
    pub diagnosis: Diagnosis,
}

/// The path from the REST front name on: a store installed in a subfolder
/// (`/shop/rest/V1/…`, `/shop/index.php/rest/V1/…`) is routed like `/rest/V1/…`.
pub fn rest_path(path: &str) -> &str {
    for marker in ["/index.php/rest/", "/rest/"] {
        if let Some(i) = path.find(marker) {
            return &path[i..];
        }
    }
    path
}

/// The methods Magento's REST request accepts (`Magento\Framework\Webapi\Rest\Request::getHttpMethod`);
/// any other gives 400 "Request method is invalid.".
const REST_METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE"];

/// Route the request, identify the role, evaluate, and explain.
pub fn check_request(
    ctx: &Context,
    data: &AclData,
    method: &str,
    target: &Target,
    who: &Identified,
) -> RouteCheck {
    let mut d = Diagnosis::default();
    for p in &data.problems {
        d.skip("xml", p.clone());
    }
    let path = rest_path(&target.path);
    if !REST_METHODS.contains(&method) {
        d.push(
            Finding::new(Code::RouteNotFound, Severity::Error)
                .title(format!("Magento's REST API does not accept the method {method}"))
                .detail("Only GET, POST, PUT and DELETE reach the router: Magento answers 400 \"Request method is invalid.\"")
                .fix(Fix { summary: "Use GET, POST, PUT or DELETE (PUT for updates)".into(), commands: Vec::new(), admin_path: None }),
        );
        return RouteCheck {
            method: method.to_string(),
            route: None,
            verdict: None,
            diagnosis: d,
        };
    }
    // No route at all: the modules' code is not there (an env.php and a dump without vendor/ or
    // app/code, or an unreadable tree). Every Magento has hundreds of routes, so "no route
    // matches" would be a wrong answer: not checked, with the reason.
    if data.routes.routes().is_empty() {
        d.skip(
            "role-permissions",
            "no webapi.xml of an enabled module was found (no vendor/ or app/code modules under the root): the route and its ACL resources were not checked",
        );
        return RouteCheck {
            method: method.to_string(),
            route: None,
            verdict: None,
            diagnosis: d,
        };
    }
    let codes = ctx.config.scopes.codes();
    let resolution = data.routes.resolve(method, path, &codes);
    let matched = match &resolution.outcome {
        Outcome::Matched { route, .. } => data.routes.routes().get(*route).cloned(),
        Outcome::NotFound { .. } => None,
    };
    let Some(route) = matched else {
        not_found(ctx, data, method, path, &resolution, &codes, &mut d);
        return RouteCheck {
            method: method.to_string(),
            route: None,
            verdict: None,
            diagnosis: d,
        };
    };
    if route.secure && target.scheme.as_deref() == Some("http") {
        d.push(
            Finding::new(Code::RouteHttpsOnly, Severity::Error)
                .title(format!("{} {} is served over HTTPS only", route.method, route.url))
                .detail("The route is declared secure=\"true\": over plain HTTP Magento answers 400 \"Operation allowed only in HTTPS\" (after the permission check). Behind a TLS-terminating proxy, Magento must see the request as HTTPS (web/secure/offloader_header).")
                .fix(Fix {
                    summary: "Call the https:// URL (or make the proxy send the offloader header)".into(),
                    commands: vec![format!("… {}", target.display().replacen("http://", "https://", 1))],
                    admin_path: None,
                }),
        );
    }
    let role_id = role_of(ctx, &who.caller);
    let mut verdict = evaluate(ctx, data, &route, &who.caller, role_id);
    if let Caller::Customer { customer_id } = &who.caller
        && verdict.required.iter().any(|r| r == "self")
        && let Some(why) = customer_outside_website(ctx, *customer_id, &resolution.store)
    {
        verdict.allowed = false;
        verdict.missing.push(Missing {
            id: "self".into(),
            admin_path: None,
            why: "customer-other-website".into(),
            reason: why,
        });
    }
    explain(ctx, data, &route, who, &verdict, &mut d);
    RouteCheck {
        method: method.to_string(),
        route: Some(route),
        verdict: Some(verdict),
        diagnosis: d,
    }
}

/// A path as evidence names it: relative to the Magento root.
pub fn relative(ctx: &Context, path: &std::path::Path) -> String {
    path.strip_prefix(&ctx.install.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn route_evidence(ctx: &Context, route: &Route) -> Vec<Evidence> {
    route
        .sources
        .iter()
        .map(|(path, line)| {
            Evidence::file(
                &relative(ctx, path),
                Some(*line),
                format!(
                    "{} {} → {} (needs {})",
                    route.method,
                    route.url,
                    route.module(),
                    route.resources.join(", ")
                ),
            )
        })
        .collect()
}

fn not_found(
    ctx: &Context,
    data: &AclData,
    method: &str,
    path: &str,
    resolution: &crate::magento::routes::Resolution,
    codes: &[String],
    d: &mut Diagnosis,
) {
    // A route of a disabled module.
    let disabled = data.disabled_routes.resolve(method, path, codes);
    if let Outcome::Matched { route, .. } = disabled.outcome
        && let Some(r) = data.disabled_routes.routes().get(route)
    {
        let module = r.module().to_string();
        let line = ctx
            .install
            .config
            .as_ref()
            .and_then(|c| c.line(&format!("modules/{module}")));
        d.push(
            Finding::new(Code::RouteModuleDisabled, Severity::Error)
                .title(format!("{} {} belongs to {module}, which is disabled", r.method, r.url))
                .detail("Magento only reads webapi.xml of enabled modules: the request gets \"Request does not match any route\" (404).")
                .evidence(Evidence::file(crate::store::root::CONFIG_PHP, line, format!("'{module}' => 0 (or not listed)")))
                .fix(Fix {
                    summary: format!("Enable {module} if the integration needs it"),
                    commands: vec![format!("bin/magento module:enable {module}"), "bin/magento setup:upgrade".into()],
                    admin_path: None,
                }),
        );
        return;
    }
    if let StorePart::Unknown(code) = &resolution.store {
        let usable: Vec<&str> = codes
            .iter()
            .map(String::as_str)
            .filter(|c| *c != "admin")
            .collect();
        let why = if code == "admin" {
            "the admin store is not addressed by its code: use 'all'".to_string()
        } else {
            format!(
                "Magento takes /rest/{code}/… as the route path /{code}/… when '{code}' is not a store code"
            )
        };
        d.push(
            Finding::new(Code::StoreCodeUnknown, Severity::Error)
                .title(format!("The store code '{code}' names no store"))
                .detail(format!(
                    "{why}; no request processor takes that path, so Magento answers 400 \"Specified request cannot be processed.\" Usable codes: {}, and 'all'.",
                    usable.join(", ")
                ))
                .evidence(Evidence::db("store", format!("codes: {}", codes.join(", "))))
                .fix(Fix {
                    summary: "Use an existing store code, `all`, or none".into(),
                    commands: vec![format!("… {}", path.replacen(&format!("/{code}/"), "/default/", 1))],
                    admin_path: Some("Stores > Settings > All Stores".into()),
                }),
        );
        return;
    }
    let closest = match &resolution.outcome {
        Outcome::NotFound { closest } => closest
            .iter()
            .filter_map(|c| {
                data.routes
                    .routes()
                    .get(c.route)
                    .map(|r| format!("{} {} ({})", r.method, r.url, c.reason))
            })
            .collect::<Vec<_>>(),
        Outcome::Matched { .. } => Vec::new(),
    };
    let versioned = resolution
        .route_path
        .strip_prefix("/V")
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    let answer = if versioned {
        "Magento answers \"Request does not match any route.\" with HTTP 404 (a wrong method is a 404 too)."
    } else {
        "The path does not start with a version segment (/V1/…), so no request processor takes it: Magento answers 400 \"Specified request cannot be processed.\""
    };
    let mut f = Finding::new(Code::RouteNotFound, Severity::Error)
        .title(format!(
            "No route matches {method} {}",
            resolution.route_path
        ))
        .detail(answer);
    for c in &closest {
        f = f.evidence(Evidence::request(format!("closest declared route: {c}")));
    }
    d.push(f);
}

fn explain(
    ctx: &Context,
    data: &AclData,
    route: &Route,
    who: &Identified,
    v: &Verdict,
    d: &mut Diagnosis,
) {
    // `self` is no declared resource: a role that may use every resource passes it, yet the
    // route takes the customer id from the token's customer context (`%customer_id%`), which an
    // admin or integration token does not have. The real 2.4.7-p3 answers an admin JWT on
    // GET /V1/customers/me with 400 "\"%fieldName\" is required. Enter and try again."
    // (customerId).
    if v.allowed
        && v.required.iter().any(|r| r == "self")
        && !matches!(who.caller, Caller::Customer { .. } | Caller::Guest)
    {
        let mut f = needs_customer(route).detail(format!(
            "The route's resource is `self`: {}'s role may use every resource, so Magento's ACL lets the call through, but the route takes the customer id from the token's customer (`%customer_id%`), and this token has none: Magento answers 400: \"customerId\" is required. Enter and try again. Only a customer's own token works here.",
            who.caller.describe()
        ));
        for e in who.evidence.iter().chain(route_evidence(ctx, route).iter()) {
            f = f.evidence(e.clone());
        }
        d.push(f);
        return;
    }
    if v.allowed {
        return;
    }
    let ev = route_evidence(ctx, route);
    let caller = &who.caller;
    let with_evidence = |mut f: Finding| {
        for e in who.evidence.iter().chain(ev.iter()) {
            f = f.evidence(e.clone());
        }
        f
    };
    let only_self = v
        .missing
        .iter()
        .all(|m| m.why == "needs-customer" || m.why == "customer-other-website");
    match caller {
        Caller::Guest
            if webapi_security::is_listed(&route.url, &route.method)
                && ctx.install.modules.is_enabled(webapi_security::MODULE) == Some(true) =>
        {
            let cfg = ctx.config.get_default(webapi_security::CONFIG_PATH);
            d.push(with_evidence(
                Finding::new(Code::RouteAnonymousDisabled, Severity::Error)
                    .title(format!("{} {} is open to guests only when {} is on", route.method, route.url, webapi_security::CONFIG_PATH))
                    .detail("Magento_WebapiSecurity keeps this catalog/CMS/store route behind its ACL resources unless anonymous access is allowed; the request has no token.")
                    .evidence(cfg.evidence())
                    .fix(Fix {
                        summary: "Send an admin or integration token, or allow anonymous access to these routes (less secure)".into(),
                        commands: vec![
                            format!("bin/magento config:set {} 1", webapi_security::CONFIG_PATH),
                            "bin/magento cache:clean config config_webservice".into(),
                        ],
                        admin_path: Some("Stores > Settings > Configuration > Services > Magento Web API > Web API Security > Allow Anonymous Guest Access".into()),
                    }),
            ));
        }
        Caller::Guest | Caller::Customer { .. } if only_self => {
            let mut f = needs_customer(route);
            if let Some(m) = v.missing.iter().find(|m| m.why == "customer-other-website") {
                f = f
                    .title(format!("{} {} refuses this customer on this store", route.method, route.url))
                    .detail(format!("{}: Magento's `self` check passes only on a store of the customer's own website.", m.reason))
                    .evidence(Evidence::db("customer_entity", m.reason.clone()));
            }
            d.push(with_evidence(f));
        }
        Caller::Guest | Caller::Customer { .. } => {
            d.push(with_evidence(
                Finding::new(Code::RouteNeedsAdminOrIntegration, Severity::Error)
                    .title(format!("{} {} needs an admin or integration token", route.method, route.url))
                    .detail(format!(
                        "The route is guarded by {}; {} has no ACL role, so Magento answers \"The consumer isn't authorized to access {}.\"",
                        v.required.join(", "),
                        caller.describe(),
                        v.required.join(", ")
                    ))
                    .fix(Fix {
                        summary: "Call it with an admin token or an integration's OAuth credentials".into(),
                        commands: vec!["curl -X POST https://<store>/rest/V1/integration/admin/token -H 'Content-Type: application/json' -d '{\"username\":\"<username>\",\"password\":\"<password>\"}'".into()],
                        admin_path: Some("System > Extensions > Integrations".into()),
                    }),
            ));
        }
        _ if v.role_id.is_none() => {
            d.push(with_evidence(
                Finding::new(Code::AclRoleMissing, Severity::Error)
                    .title(format!("{} has no ACL role", caller.describe()))
                    .detail("WebapiRoleLocator finds no authorization_role row for this user id and user type, so every ACL resource is refused.")
                    .evidence(Evidence::db("authorization_role", match caller.role_key() {
                        Some((id, t)) => format!("no row with user_id={id} user_type={t}"),
                        None => "no role".into(),
                    }))
                    .fix(Fix {
                        summary: "Give the user a role (or re-save the integration's API resources)".into(),
                        commands: Vec::new(),
                        admin_path: Some(match caller {
                            Caller::Integration { .. } => "System > Extensions > Integrations > (edit) > API > Resource Access".into(),
                            _ => "System > Permissions > All Users > (user) > User Role".into(),
                        }),
                    }),
            ));
        }
        _ if only_self => d.push(with_evidence(needs_customer(route))),
        _ => {
            let list: Vec<String> = v
                .missing
                .iter()
                .map(|m| {
                    let how = match m.why.as_str() {
                        "denied" => format!("explicitly denied ({})", m.reason),
                        "missing-rule" => format!(
                            "no rule row ({}): the role was saved before this resource existed; re-save the role",
                            m.reason
                        ),
                        "unknown-resource" => "not a resource of any enabled module".into(),
                        _ => format!("not granted ({})", m.reason),
                    };
                    match &m.admin_path {
                        Some(p) => format!("{} (\"{p}\"): {how}", m.id),
                        None => format!("{}: {how}", m.id),
                    }
                })
                .collect();
            let (admin_path, grant) = match caller {
                Caller::Integration { name, .. } => (
                    "System > Extensions > Integrations > (edit) > API > Resource Access"
                        .to_string(),
                    format!(
                        "m2auth acl:grant --integration '{name}' {} --apply",
                        resource_args(v)
                    ),
                ),
                Caller::Admin { username, .. } => {
                    // An admin's rules live on its group role: the role editor never writes rules
                    // on the user's own row, and granting there would override the group.
                    let group = v.role_id.and_then(|r| data.group_of(r));
                    let who = match username {
                        Some(u) => format!("--admin-user '{u}'"),
                        None => format!("--role {}", group.as_ref().map(|g| g.0).unwrap_or(0)),
                    };
                    (
                        match &group {
                            Some((id, name)) => format!(
                                "System > Permissions > User Roles > {name} (role {id}) > Role Resources (applies to every user of the role)"
                            ),
                            None => "System > Permissions > User Roles > (the user's role) > Role Resources".to_string(),
                        },
                        format!("m2auth acl:grant {who} {} --apply", resource_args(v)),
                    )
                }
                _ => (
                    "System > Permissions > User Roles > (role) > Role Resources".to_string(),
                    format!(
                        "m2auth acl:grant --role {} {} --apply",
                        v.role_id.unwrap_or(0),
                        resource_args(v)
                    ),
                ),
            };
            let mut f = Finding::new(Code::AclResourceMissing, Severity::Error)
                .title(format!("The role lacks {} of the resources {} {} requires", v.missing.len(), route.method, route.url))
                .detail(format!(
                    "Role {} of {}: {}. Magento requires every listed resource and answers \"The consumer isn't authorized to access {}.\"",
                    v.role_id.unwrap_or(0),
                    caller.describe(),
                    list.join("; "),
                    v.required.join(", ")
                ))
                .fix(Fix {
                    summary: "Tick the missing resources in the role (then clean the ACL caches)".into(),
                    commands: vec![grant, "bin/magento cache:clean config".into()],
                    admin_path: Some(admin_path),
                });
            if let Some(role) = v.role_id {
                f = f.evidence(Evidence::db(
                    "authorization_rule",
                    format!("role_id={role}: {}", list.join("; ")),
                ));
            }
            d.push(with_evidence(f));
        }
    }
}

/// `Magento\Customer\Model\Plugin\CustomerAuthorization`: `self` passes only when the current
/// store is among the customer's shared stores — with account sharing per website
/// (`customer/account_share/scope` = 1, the default) the stores of the customer's website.
fn customer_outside_website(ctx: &Context, customer_id: i64, store: &StorePart) -> Option<String> {
    if !ctx
        .config
        .get_default("customer/account_share/scope")
        .is_set_flag()
    {
        return None;
    }
    let db = ctx.db.as_deref()?;
    let rows = db
        .rows("customer_entity", &[("entity_id", customer_id.into())])
        .ok()?;
    let customer_website = rows.first()?.int("website_id")?;
    let scopes = &ctx.config.scopes;
    let view = match store {
        StorePart::Code(code) => scopes.store_by_code(code),
        StorePart::All => scopes.store(0),
        StorePart::Default => scopes.default_store(),
        StorePart::Unknown(_) => None,
    }?;
    (view.website_id != customer_website).then(|| {
        format!(
            "customer {customer_id} belongs to website {customer_website}, the request runs on store '{}' of website {} (accounts are shared per website)",
            view.code, view.website_id
        )
    })
}

fn resource_args(v: &Verdict) -> String {
    v.missing
        .iter()
        .map(|m| format!("--resource {}", m.id))
        .collect::<Vec<_>>()
        .join(" ")
}

fn needs_customer(route: &Route) -> Finding {
    Finding::new(Code::RouteNeedsCustomerToken, Severity::Error)
        .title(format!("{} {} needs a customer token", route.method, route.url))
        .detail("The route's resource is `self`: only a customer's own token passes it (on a store of the customer's website).")
        .fix(Fix {
            summary: "Obtain a customer token and call the route with it".into(),
            commands: vec!["curl -X POST https://<store>/rest/V1/integration/customer/token -H 'Content-Type: application/json' -d '{\"username\":\"<username>\",\"password\":\"<password>\"}'".into()],
            admin_path: None,
        })
}
