//! The store-wide diagnosis: what `diagnose` answers when no request is described. Every auth
//! problem the store has for anyone — admins and customers who cannot sign in or get a token,
//! integrations that cannot call, roles that grant nothing or deny the common API resources,
//! revocations in force, what `enable_integration_as_bearer` means for each integration — one
//! finding per problem with who is affected, plus a headline (who is refused) for the report.
//!
//! The per-account decisions are the same functions a login diagnosis uses
//! ([`super::logins`]): what is said of one admin here is what `diagnose --admin-user` says.

use std::collections::BTreeMap;

use crate::checks::Diagnosis;
use crate::checks::logins;
use crate::checks::tokens::BEARER_PATH;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::acl::UserType;
use crate::magento::token::{THROTTLE_ADMIN, THROTTLE_CUSTOMER};
use crate::store::acl as store_acl;
use crate::store::config::Scope;
use crate::store::db::{Database, Row, SqlValue};

const CHECK: &str = "store-wide";

/// How many names a title or headline lists before "and N more".
const NAMES_SHOWN: usize = 5;

/// ACL resources most API clients need: a role that allows none of them is worth saying.
const COMMON_RESOURCES: &[&str] = &[
    "Magento_Catalog::products",
    "Magento_Catalog::categories",
    "Magento_Sales::sales",
    "Magento_Customer::customer",
    "Magento_Cms::page",
];

/// Run the survey into `d` (only when no request is described) and fill `d.summary`.
pub fn run(ctx: &Context, d: &mut Diagnosis) {
    if ctx.request.is_some() {
        return;
    }
    let db = match ctx.db_for(CHECK) {
        Ok(db) => db,
        Err(s) => {
            d.skipped.push(s);
            return;
        }
    };
    let mut s = Survey::default();
    admins(ctx, db, &mut s, d);
    customers(ctx, db, &mut s, d);
    throttled(ctx, db, &mut s, d);
    integrations(ctx, db, &mut s, d);
    roles(ctx, db, &mut s, d);
    revocations(ctx, db, &mut s, d);
    lifetimes(ctx, &mut s);
    d.summary = s.headline;
    d.facts = s.facts;
}

/// After every check ran: the problems other steps found for everyone (a missing crypt key, a
/// server rule that strips the header, …) join the headline, so that it names every error and
/// warning outside prevention.
pub fn complete_headline(ctx: &Context, d: &mut Diagnosis, from_survey: &[Code]) {
    if ctx.request.is_some() {
        return;
    }
    let mut extra = Vec::new();
    for f in &d.findings {
        if f.step == 9 || f.severity == Severity::Info || from_survey.contains(&f.code) {
            continue;
        }
        // Sessions and cookies break logins in the browser, not the API callers.
        let who = match f.code {
            Code::SessionStorageUnwritable | Code::CookieDomainMismatch => "browser logins",
            _ => "every caller",
        };
        let line = format!("{who}: {}", f.title);
        if !extra.contains(&line) {
            extra.push(line);
        }
    }
    d.summary.extend(extra);
}

#[derive(Default)]
struct Survey {
    /// "2 admin users cannot get a token: bob (inactive), sam (no role)", …
    headline: Vec<String>,
    /// Facts that are not problems (token lifetimes).
    facts: Vec<String>,
}

/// Findings of one code for several accounts, from the per-account checks.
#[derive(Default)]
struct Group {
    items: Vec<(String, Finding)>,
}

/// `a, b, c and 3 more` (five names at most).
fn names(list: &[String]) -> String {
    names_up_to(list, NAMES_SHOWN)
}

/// `a, b, c and 3 more`: at most `max` names.
pub(crate) fn names_up_to(list: &[String], max: usize) -> String {
    let shown: Vec<&str> = list.iter().take(max).map(String::as_str).collect();
    let more = list.len().saturating_sub(max);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One finding for a group: the account's own finding when there is one; else the first one's
/// severity, a title naming everyone, every account's evidence and the fix commands of all.
fn merge(code: Code, g: Group, title: impl Fn(usize, &str) -> String) -> Option<Finding> {
    let n = g.items.len();
    let who: Vec<String> = g.items.iter().map(|(w, _)| w.clone()).collect();
    let mut items = g.items.into_iter();
    let (_, first) = items.next()?;
    let mut f = first.title(title(n, &names(&who)));
    if n == 1 {
        return Some(f);
    }
    f.detail = format!(
        "{} For each of them: {}",
        f.title.trim_end_matches('.'),
        f.detail
    );
    for (_, other) in items {
        for e in other.evidence {
            if !f.evidence.contains(&e) && f.evidence.len() < 12 {
                f.evidence.push(e);
            }
        }
        if let (Some(fix), Some(o)) = (f.fix.as_mut(), other.fix) {
            for c in o.commands {
                if !fix.commands.contains(&c) && fix.commands.len() < 12 {
                    fix.commands.push(c);
                }
            }
        }
    }
    debug_assert_eq!(f.code, code);
    Some(f)
}

// ---------------------------------------------------------------------------------------------
// Admin users

fn admins(ctx: &Context, db: &dyn Database, s: &mut Survey, d: &mut Diagnosis) {
    let rows = match db.rows("admin_user", &[]) {
        Ok(r) => r,
        Err(e) => return d.skip("store-wide-admins", e.to_string()),
    };
    let mut groups: BTreeMap<Code, Group> = BTreeMap::new();
    let mut no_provider: Vec<String> = Vec::new();
    let mut tfa_finding: Option<Finding> = None;
    for u in &rows {
        let Some(uid) = u.int("user_id") else {
            continue;
        };
        let name = u.text("username").unwrap_or_else(|| format!("#{uid}"));
        let mut one = Diagnosis::default();
        logins::admin_account(ctx, db, &name, uid, u, &mut one);
        for f in one.findings {
            groups
                .entry(f.code)
                .or_default()
                .items
                .push((name.clone(), f));
        }
        if u.int("is_active") == Some(1) {
            let mut t = Diagnosis::default();
            logins::tfa(ctx, db, &name, Some(uid), &mut t);
            if let Some(f) = t.findings.into_iter().next() {
                if !f.evidence.iter().any(|e| e.source == "db:tfa_user_config") {
                    no_provider.push(name.clone());
                }
                tfa_finding.get_or_insert(f);
            }
        }
    }
    let mut cannot_token: Vec<String> = Vec::new();
    let mut cannot_panel: Vec<String> = Vec::new();
    for (code, g) in groups {
        let why = match code {
            Code::AdminUserInactive => "inactive",
            Code::AdminUserExpired => "expired",
            Code::AdminUserNoRole => "no role",
            Code::AdminUserLocked => "locked",
            Code::AdminPasswordExpired => "password expired",
            _ => "",
        };
        for (who, f) in &g.items {
            let entry = format!("{who} ({why})");
            match f.severity {
                Severity::Error => cannot_token.push(entry),
                _ if code == Code::AdminUserLocked => cannot_panel.push(entry),
                _ => {}
            }
        }
        let finding = merge(code, g, |n, who| match code {
            Code::AdminUserInactive => format!(
                "{} inactive: {who}",
                plural(n, "admin user is", "admin users are")
            ),
            Code::AdminUserExpired => {
                format!(
                    "{} expired: {who}",
                    plural(n, "admin user has", "admin users have")
                )
            }
            Code::AdminUserNoRole => {
                format!(
                    "{} no role: {who}",
                    plural(n, "admin user has", "admin users have")
                )
            }
            Code::AdminUserLocked => format!(
                "{} locked out of the admin panel: {who}",
                plural(n, "admin user is", "admin users are")
            ),
            Code::AdminPasswordExpired => format!(
                "The password of {} has expired: {who}",
                plural(n, "admin user", "admin users")
            ),
            other => other.default_title().to_string(),
        });
        d.findings.extend(finding);
    }
    if !cannot_token.is_empty() {
        s.headline.push(format!(
            "{} cannot sign in or get a token: {}",
            plural(cannot_token.len(), "admin user", "admin users"),
            names(&cannot_token)
        ));
    }
    if !cannot_panel.is_empty() {
        s.headline.push(format!(
            "{} cannot sign in to the admin panel: {}",
            plural(cannot_panel.len(), "admin user", "admin users"),
            names(&cannot_panel)
        ));
    }
    if let Some(mut f) = tfa_finding {
        // Store-wide, 2FA is how the store is meant to work: a warning, unless some admins have
        // no provider and no forced one, and so cannot get a token at all.
        f.severity = Severity::Warning;
        f.title = if no_provider.is_empty() {
            "Admin tokens come from the 2FA provider endpoints, not /V1/integration/admin/token"
                .into()
        } else {
            format!(
                "{} no 2FA provider configured and cannot get an admin token: {}",
                plural(no_provider.len(), "admin user has", "admin users have"),
                names(&no_provider)
            )
        };
        if !no_provider.is_empty() {
            s.headline.push(format!(
                "{} cannot get an admin token (2FA without a provider): {}",
                plural(no_provider.len(), "admin user", "admin users"),
                names(&no_provider)
            ));
        }
        d.push(f);
    }
    let mut ims = Diagnosis::default();
    logins::ims(ctx, &mut ims);
    for f in ims.findings {
        s.headline
            .push("no admin user can get an admin token (Adobe IMS admin login is on)".into());
        d.push(f);
    }
}

// ---------------------------------------------------------------------------------------------
// Customers

fn customers(ctx: &Context, db: &dyn Database, s: &mut Survey, d: &mut Diagnosis) {
    let locked = match db.rows_later_than("customer_entity", "lock_expires", ctx.now) {
        Ok(r) => r,
        Err(e) => return d.skip("store-wide-customers", e.to_string()),
    };
    let inactive = db
        .rows("customer_entity", &[("is_active", SqlValue::Int(0))])
        .unwrap_or_default();
    let mut refused: Vec<String> = Vec::new();
    for (code, rows) in [
        (Code::CustomerLocked, &locked),
        (Code::CustomerInactive, &inactive),
    ] {
        let mut g = Group::default();
        for c in rows {
            let email = c.text("email").unwrap_or_default();
            let scope = c
                .int("website_id")
                .map(Scope::Website)
                .unwrap_or(Scope::Default);
            let mut one = Diagnosis::default();
            match code {
                Code::CustomerLocked => logins::customer_locked(ctx, c, &email, scope, &mut one),
                _ => logins::customer_inactive(ctx, c, &email, scope, &mut one),
            }
            for f in one.findings {
                refused.push(email.clone());
                g.items.push((email.clone(), f));
            }
        }
        let f = merge(code, g, |n, who| match code {
            Code::CustomerLocked => {
                format!(
                    "{} locked: {who}",
                    plural(n, "customer is", "customers are")
                )
            }
            _ => format!(
                "{} inactive: {who}",
                plural(n, "customer is", "customers are")
            ),
        });
        d.findings.extend(f);
    }
    if !refused.is_empty() {
        s.headline.push(format!(
            "{} cannot sign in or get a token: {}",
            plural(refused.len(), "customer", "customers"),
            names(&refused)
        ));
    }
}

/// The token endpoint's failure log: every user it refuses now (or the lock of 0).
fn throttled(ctx: &Context, db: &dyn Database, s: &mut Survey, d: &mut Diagnosis) {
    let rows = match db.rows("oauth_token_request_log", &[]) {
        Ok(r) => r,
        Err(e) => return d.skip("token-endpoint-throttle", e.to_string()),
    };
    let mut one = Diagnosis::default();
    // The lock of 0 concerns everyone: checked once, with no user.
    logins::throttle(ctx, db, "", THROTTLE_ADMIN, Scope::Default, &mut one);
    if one.has(Code::TokenEndpointLockZero) {
        s.headline
            .push("every admin and customer token request is refused (max failures is 0)".into());
        d.findings.extend(one.findings);
        return;
    }
    let mut g = Group::default();
    for r in &rows {
        let Some(user) = r.text("user_name") else {
            continue;
        };
        let kind = r.int("user_type").unwrap_or(0);
        let mut one = Diagnosis::default();
        logins::throttle(ctx, db, &user, kind, Scope::Default, &mut one);
        for f in one.findings {
            let who = if kind == THROTTLE_CUSTOMER {
                format!("customer {user}")
            } else {
                format!("admin {user}")
            };
            g.items.push((who, f));
        }
    }
    let active: Vec<String> = g
        .items
        .iter()
        .filter(|(_, f)| f.severity == Severity::Error)
        .map(|(w, _)| w.clone())
        .collect();
    if !active.is_empty() {
        s.headline.push(format!(
            "the token endpoint refuses {}: {}",
            plural(active.len(), "user", "users"),
            names(&active)
        ));
    }
    d.findings
        .extend(merge(Code::TokenEndpointLocked, g, |n, who| {
            format!(
                "The token endpoint is locked for {}: {who}",
                plural(n, "user", "users")
            )
        }));
}

// ---------------------------------------------------------------------------------------------
// Integrations

fn integrations(ctx: &Context, db: &dyn Database, s: &mut Survey, d: &mut Diagnosis) {
    let rows = match db.rows("integration", &[]) {
        Ok(r) => r,
        Err(e) => return d.skip("store-wide-integrations", e.to_string()),
    };
    let bearer = ctx.config.get_default(BEARER_PATH);
    let mut inactive = Group::default();
    let mut no_role = Group::default();
    let mut oauth_only: Vec<String> = Vec::new();
    for r in &rows {
        let id = r.int("integration_id").unwrap_or(0);
        let name = r.text("name").unwrap_or_else(|| format!("#{id}"));
        let status = r.int("status").unwrap_or(0);
        let row_ev = Evidence::db(
            "integration",
            format!(
                "integration_id={id} name={name} status={status} consumer_id={}",
                r.text("consumer_id").unwrap_or_else(|| "NULL".into())
            ),
        );
        let token = access_token(db, r);
        if status != 1 {
            inactive.items.push((
                name.clone(),
                Finding::new(Code::IntegrationInactive, Severity::Error)
                    .detail(format!(
                        "Integration '{name}' is {} (status {status}): Magento refuses every call made with its credentials or token.",
                        match status {
                            0 => "inactive (never activated, or deactivated)",
                            2 => "recalled (its resources changed and it needs reauthorizing)",
                            _ => "not active",
                        }
                    ))
                    .evidence(row_ev.clone())
                    .fix(activate_fix(&name)),
            ));
            continue;
        }
        if token.is_none() {
            inactive.items.push((
                name.clone(),
                Finding::new(Code::IntegrationInactive, Severity::Error)
                    .detail(format!(
                        "Integration '{name}' is active but has no usable access token (no oauth_token row of type access, or only revoked ones): nothing can call as it until it is activated again."
                    ))
                    .evidence(row_ev.clone())
                    .evidence(Evidence::db(
                        "oauth_token",
                        format!(
                            "no access token with revoked=0 for consumer_id={}",
                            r.text("consumer_id").unwrap_or_else(|| "NULL".into())
                        ),
                    ))
                    .fix(activate_fix(&name)),
            ));
            continue;
        }
        match store_acl::role_for(db, id.max(0) as u64, UserType::Integration) {
            Ok(None) => {
                no_role.items.push((
                name.clone(),
                Finding::new(Code::AclRoleMissing, Severity::Error)
                    .detail(format!(
                        "Integration '{name}' has no role (no authorization_role row with user_type 1 and user_id {id}): Magento denies it every ACL resource, so every call it makes is refused with \"The consumer isn't authorized to access %resources.\""
                    ))
                    .evidence(Evidence::db(
                        "authorization_role",
                        format!("no row with user_id={id} user_type=1"),
                    ))
                    .fix(Fix {
                        summary: format!("Give '{name}' its resources again (API tab) and save, then reauthorize it"),
                        commands: vec![],
                        admin_path: Some("System > Extensions > Integrations > (integration) > API".into()),
                    }),
                ));
                continue;
            }
            Ok(Some(_)) => {}
            Err(e) => d.skip("store-wide-integrations", e.to_string()),
        }
        if !bearer.is_set_flag() {
            oauth_only.push(name.clone());
        }
    }
    let bad: Vec<String> = inactive
        .items
        .iter()
        .chain(no_role.items.iter())
        .map(|(w, _)| w.clone())
        .collect();
    if !bad.is_empty() {
        s.headline.push(format!(
            "{} cannot call at all: {}",
            plural(bad.len(), "integration", "integrations"),
            names(&bad)
        ));
    }
    d.findings
        .extend(merge(Code::IntegrationInactive, inactive, |n, who| {
            format!(
                "{} cannot call: {who}",
                plural(n, "integration", "integrations")
            )
        }));
    d.findings
        .extend(merge(Code::AclRoleMissing, no_role, |n, who| {
            format!(
                "{} no role: {who}",
                plural(n, "integration has", "integrations have")
            )
        }));
    if !oauth_only.is_empty() {
        let shown = bearer.value.as_deref().unwrap_or("unset");
        s.headline.push(format!(
            "{} can only call with OAuth signatures: {}",
            plural(oauth_only.len(), "integration", "integrations"),
            names(&oauth_only)
        ));
        d.push(
            Finding::new(Code::IntegrationBearerDisabled, Severity::Info)
                .title(format!(
                    "{} can only call with OAuth signatures: {}",
                    plural(oauth_only.len(), "integration", "integrations"),
                    names(&oauth_only)
                ))
                .detail(format!(
                    "{BEARER_PATH} is {shown} (off, Magento's default since 2.4.4): an integration's access token sent as \"Authorization: Bearer\" is refused (\"Invalid token found\", then a 401 for the route's resource); its requests must be signed with OAuth 1.0a HMAC-SHA256 with the consumer key/secret and access token/secret. Clients that send the token as a bearer token stop working."
                ))
                .evidence(bearer.evidence())
                .fix(Fix {
                    summary: "Sign the integration's requests with OAuth 1.0a (m2auth oauth:sign shows how), or allow integration tokens as bearer tokens (less secure)".into(),
                    commands: vec![
                        format!("bin/magento config:set {BEARER_PATH} 1"),
                        "bin/magento cache:clean config".into(),
                    ],
                    admin_path: Some("Stores > Settings > Configuration > Services > OAuth > Consumer Settings > Allow OAuth Access Tokens to be used as standalone Bearer tokens".into()),
                }),
        );
    }
}

/// The integration's unrevoked access token row, if any.
fn access_token(db: &dyn Database, integration: &Row) -> Option<Row> {
    let consumer = integration.int("consumer_id")?;
    db.rows(
        "oauth_token",
        &[
            ("consumer_id", SqlValue::Int(consumer)),
            ("type", SqlValue::from("access")),
        ],
    )
    .ok()?
    .into_iter()
    .find(|t| t.int("revoked") != Some(1))
}

fn activate_fix(name: &str) -> Fix {
    Fix {
        summary: format!("Activate (or reauthorize) the integration '{name}'"),
        commands: vec![format!("m2auth integration:activate '{name}' --apply")],
        admin_path: Some(
            "System > Extensions > Integrations > (integration) > Activate / Reauthorize".into(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Roles

/// Roles that callers use (the group roles of admin users, the integrations' own roles) and
/// that allow nothing, or none of the common API resources.
fn roles(ctx: &Context, db: &dyn Database, s: &mut Survey, d: &mut Diagnosis) {
    let data = super::roles::AclData::load(ctx);
    let Some(acl) = &data.acl else { return };
    if data.tree.is_empty() {
        d.skip(
            "store-wide-roles",
            "no acl.xml of an enabled module was found: the roles' resources cannot be evaluated",
        );
        return;
    }
    let admins: BTreeMap<i64, String> = db
        .rows("admin_user", &[])
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((r.int("user_id")?, r.text("username")?)))
        .collect();
    let integrations: BTreeMap<i64, String> = db
        .rows("integration", &[])
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((r.int("integration_id")?, r.text("name")?)))
        .collect();
    // role id → (its name, who uses it)
    let mut used: BTreeMap<u64, (String, Vec<String>)> = BTreeMap::new();
    for r in &data.roles {
        if r.role_type != "U" {
            continue;
        }
        let uid = r.user_id as i64;
        match r.user_type.as_deref() {
            Some("2") => {
                let Some(name) = admins.get(&uid) else {
                    continue;
                };
                let group = data
                    .roles
                    .iter()
                    .find(|g| g.role_id == r.parent_id && g.role_type == "G");
                if let Some(g) = group {
                    used.entry(g.role_id)
                        .or_insert_with(|| (g.role_name.clone().unwrap_or_default(), Vec::new()))
                        .1
                        .push(format!("admin {name}"));
                }
            }
            Some("1") => {
                let Some(name) = integrations.get(&uid) else {
                    continue;
                };
                used.entry(r.role_id)
                    .or_insert_with(|| (format!("integration {name}"), Vec::new()))
                    .1
                    .push(format!("integration {name}"));
            }
            _ => {}
        }
    }
    let common: Vec<&str> = COMMON_RESOURCES
        .iter()
        .copied()
        .filter(|r| data.tree.contains(r))
        .collect();
    for (role_id, (role_name, users)) in used {
        if acl.is_allowed(role_id, "Magento_Backend::all").allowed {
            continue;
        }
        let allowed = crate::magento::acl::allowed_resources(acl, &data.tree, role_id);
        let denied: Vec<&str> = common
            .iter()
            .copied()
            .filter(|r| !acl.is_allowed(role_id, r).allowed)
            .collect();
        let role_ev = Evidence::db(
            "authorization_rule",
            format!(
                "role_id={role_id} ({role_name}): {} resource(s) allowed",
                allowed.len()
            ),
        );
        let missing_rows: Vec<String> = if acl.denied_roles().contains(&role_id) {
            acl.missing_rule_resources().to_vec()
        } else {
            Vec::new()
        };
        let why_missing = if missing_rows.is_empty() {
            String::new()
        } else {
            format!(
                " The role has deny rows, so Magento also denies every resource without a rule row, with everything under it ({}): roles saved by the role editor have a row for every resource; rows written by a script, or resources added by a module since, do not.",
                names(&missing_rows)
            )
        };
        if allowed.is_empty() {
            s.headline.push(format!(
                "role '{role_name}' allows nothing, so every call by {} is refused",
                names(&users)
            ));
            d.push(
                Finding::new(Code::AclResourceMissing, Severity::Warning)
                    .title(format!("Role '{role_name}' allows no resource"))
                    .detail(format!(
                        "The role '{role_name}' (role_id {role_id}) has no allowed resource: every Web API call of {} that needs an ACL resource is refused with \"The consumer isn't authorized to access %resources.\"{why_missing}",
                        names(&users)
                    ))
                    .evidence(role_ev)
                    .fix(role_fix(&role_name, &users)),
            );
        } else if !denied.is_empty() {
            let paths: Vec<String> = denied
                .iter()
                .map(|r| format!("{r} ({})", data.tree.admin_path(r)))
                .collect();
            d.push(
                Finding::new(Code::AclResourceMissing, Severity::Info)
                    .title(format!(
                        "Role '{role_name}' does not allow {}",
                        denied.join(", ")
                    ))
                    .detail(format!(
                        "The role '{role_name}' (role_id {role_id}), used by {}, does not allow {}: the REST routes that need them answer 401 \"The consumer isn't authorized to access %resources.\" for these callers. Fine if intended.{why_missing}",
                        names(&users),
                        paths.join(", ")
                    ))
                    .evidence(role_ev)
                    .fix(role_fix(&role_name, &users)),
            );
        }
    }
}

fn role_fix(role_name: &str, users: &[String]) -> Fix {
    let integration = users.iter().find_map(|u| u.strip_prefix("integration "));
    match integration {
        Some(name) => Fix {
            summary: format!("Grant the resources the integration '{name}' needs"),
            commands: vec![format!(
                "m2auth acl:grant --integration '{name}' --resource <Resource_Id>"
            )],
            admin_path: Some("System > Extensions > Integrations > (integration) > API".into()),
        },
        None => Fix {
            summary: format!("Grant the resources the role '{role_name}' needs"),
            commands: users
                .iter()
                .find_map(|u| u.strip_prefix("admin "))
                .map(|a| format!("m2auth acl:grant --admin-user '{a}' --resource <Resource_Id>"))
                .into_iter()
                .collect(),
            admin_path: Some("System > Permissions > User Roles > (role) > Role Resources".into()),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Revocations and lifetimes

/// JWT revocations that still refuse tokens: `revoke_before` + the token lifetime is in the
/// future (a token issued before it would otherwise still be valid).
fn revocations(ctx: &Context, db: &dyn Database, s: &mut Survey, d: &mut Diagnosis) {
    if !db.has_table("jwt_auth_revoked").unwrap_or(false) {
        return;
    }
    let rows = match db.rows("jwt_auth_revoked", &[]) {
        Ok(r) => r,
        Err(e) => return d.skip("jwt-revoked", e.to_string()),
    };
    let mut who: Vec<String> = Vec::new();
    let mut f = Finding::new(Code::JwtRevoked, Severity::Info);
    for r in &rows {
        let (Some(t), Some(uid), Some(before)) = (
            r.int("user_type_id"),
            r.int("user_id"),
            r.int("revoke_before"),
        ) else {
            continue;
        };
        let (kind, path, table, col, label) = match t {
            2 => (
                "admin",
                "webapi/jwtauth/admin_expiration",
                "admin_user",
                "user_id",
                "username",
            ),
            3 => (
                "customer",
                "webapi/jwtauth/customer_expiration",
                "customer_entity",
                "entity_id",
                "email",
            ),
            _ => continue,
        };
        let minutes = ttl_minutes(ctx, path);
        if before + minutes * 60 <= ctx.now.as_second() {
            continue;
        }
        let name = db
            .rows(table, &[(col, SqlValue::Int(uid))])
            .ok()
            .and_then(|rows| rows.first().and_then(|r| r.text(label)))
            .unwrap_or_else(|| format!("#{uid}"));
        who.push(format!("{kind} {name}"));
        if f.evidence.len() < 12 {
            f.evidence.push(Evidence::db(
                "jwt_auth_revoked",
                format!(
                    "user_type_id={t} user_id={uid} ({name}) revoke_before={before} ({})",
                    fmt_ts(before)
                ),
            ));
        }
    }
    if who.is_empty() {
        return;
    }
    s.headline.push(format!(
        "tokens issued before a revocation are refused for {}",
        names(&who)
    ));
    d.push(
        f.title(format!(
            "Revoked tokens are refused for {}: {}",
            plural(who.len(), "user", "users"),
            names(&who)
        ))
        .detail(
            "Tokens issued at or before revoke_before are refused for these users (logout, a revoke call, or the user deactivated); new tokens work. A revocation also lives in the cache (jwt-user-token:revoked:<type>:<id>) until it expires or the cache storage is flushed.",
        )
        .fix(Fix {
            summary: "Clients of these users must request a new token".into(),
            commands: vec![],
            admin_path: None,
        }),
    );
}

fn ttl_minutes(ctx: &Context, path: &str) -> i64 {
    let v = ctx.config.get_default(path);
    let m = v
        .value
        .as_deref()
        .map(crate::magento::php::intval)
        .unwrap_or(0);
    if m <= 0 { 30 } else { m }
}

fn lifetimes(ctx: &Context, s: &mut Survey) {
    let admin = ttl_minutes(ctx, "webapi/jwtauth/admin_expiration");
    let customer = ttl_minutes(ctx, "webapi/jwtauth/customer_expiration");
    s.facts.push(format!(
        "admin tokens live {}, customer tokens {} (webapi/jwtauth/admin_expiration, customer_expiration)",
        minutes(admin),
        minutes(customer)
    ));
}

fn minutes(m: i64) -> String {
    if m % 60 == 0 {
        plural((m / 60) as usize, "hour", "hours")
    } else {
        plural(m as usize, "minute", "minutes")
    }
}

fn fmt_ts(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| secs.to_string())
}
