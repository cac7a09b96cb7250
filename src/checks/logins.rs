//! Step 1, logins: why `POST /V1/integration/admin/token` or `/V1/integration/customer/token`
//! refuses `--admin-user NAME` / `--customer EMAIL` with the password given.
//!
//! Admin (Integration `AdminTokenService`, 2.4.4+, wrapped by TwoFactorAuth's
//! `AdminAccessTokenService` and AdminAdobeIms' `AdminTokenPlugin`): IMS refuses first; the
//! throttle (`oauth_token_request_log`, user_type 3) before the user is read; then
//! `User::verifyIdentity()`: password, `is_active`, a role; the Security module's expiry check;
//! and with 2FA the token is discarded in favour of the provider endpoints. `admin_user`'s
//! `lock_expires` and the password lifetime are kept by admin-panel observers: reported, but they
//! do not refuse the REST token.
//!
//! Customer (`CustomerTokenService`): throttle (user_type 2), `AccountManagement::authenticate()`:
//! the customer of the current website (accounts shared per website by default), the lock, the
//! password, the e-mail confirmation.

use jiff::Timestamp;

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::password::{self, PasswordError, StoredHash};
use crate::request::Login;
use crate::store::acl::role_for;
use crate::store::config::Scope;
use crate::store::db::{Database, Row, SqlValue};

const CHECK: &str = "logins";

/// `RequestThrottler::USER_TYPE_CUSTOMER` / `USER_TYPE_ADMIN` (not UserContextInterface's).
use crate::magento::token::{THROTTLE_ADMIN, THROTTLE_CUSTOMER};
use crate::store::db::db_time;

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let Some(login) = ctx.request.as_ref().and_then(|r| r.login.clone()) else {
        return;
    };
    let db = match ctx.db_for(CHECK) {
        Ok(db) => db,
        Err(s) => {
            d.skipped.push(s);
            return;
        }
    };
    match &login {
        Login::Admin(name) => admin(ctx, db, name, d),
        Login::Customer(email) => customer(ctx, db, email, d),
    }
}

fn password_of(ctx: &Context) -> Option<&str> {
    ctx.request.as_ref()?.password.as_ref().map(|p| p.expose())
}

fn skip_password(d: &mut Diagnosis) {
    d.skip(
        "login-password",
        "no password was given (no --password-file, and no terminal to prompt on): the password was not checked",
    );
}

// ---------------------------------------------------------------------------------------------
// Admin

fn admin(ctx: &Context, db: &dyn Database, name: &str, d: &mut Diagnosis) {
    let rows = match db.rows("admin_user", &[("username", SqlValue::from(name))]) {
        Ok(r) => r,
        Err(e) => return d.skip(CHECK, e.to_string()),
    };
    let user = rows.first();
    let uid = user.and_then(|u| u.int("user_id"));
    match (user, uid) {
        (Some(u), Some(uid)) => admin_account(ctx, db, name, uid, u, d),
        _ => d.push(
            Finding::new(Code::AdminUserUnknown, Severity::Error)
                .detail(format!(
                    "No admin user is named '{name}' (usernames are matched exactly). Magento answers 401 \"The account sign-in was incorrect or your account is disabled temporarily.\" and counts a failure for this name in oauth_token_request_log."
                ))
                .evidence(Evidence::db("admin_user", format!("no row with username='{name}'")))
                .fix(Fix {
                    summary: "Use an existing admin username, or create the user".into(),
                    commands: vec![format!(
                        "bin/magento admin:user:create --admin-user={name} --admin-email=<email> --admin-firstname=<first> --admin-lastname=<last> --admin-password=<password>"
                    )],
                    admin_path: Some("System > Permissions > All Users".into()),
                }),
        ),
    }
    tfa(ctx, db, name, uid, d);
    ims(ctx, d);
    throttle(ctx, db, name, THROTTLE_ADMIN, Scope::Default, d);
    if let (Some(u), Some(_)) = (user, uid) {
        admin_password(ctx, name, u, d);
    }
}

fn unlock_fix(name: &str) -> Fix {
    Fix {
        summary: format!("Unlock {name}"),
        commands: vec![
            format!("bin/magento admin:user:unlock {name}"),
            format!("m2auth admin:user:unlock {name}"),
        ],
        admin_path: Some("System > Permissions > Locked Users".into()),
    }
}

pub(crate) fn admin_account(
    ctx: &Context,
    db: &dyn Database,
    name: &str,
    uid: i64,
    u: &Row,
    d: &mut Diagnosis,
) {
    let row_id = format!("user_id={uid} username={name}");
    if u.int("is_active") != Some(1) {
        d.push(
            Finding::new(Code::AdminUserInactive, Severity::Error)
                .detail(format!("Admin user '{name}' is inactive: User::verifyIdentity() refuses it with \"The account sign-in was incorrect or your account is disabled temporarily.\" (401) even with the right password."))
                .evidence(Evidence::db("admin_user", format!("{row_id} is_active={}", u.text("is_active").unwrap_or_else(|| "NULL".into()))))
                .fix(Fix {
                    summary: format!("Activate {name} (User Info > This account is Active)"),
                    commands: vec![format!("UPDATE admin_user SET is_active = 1 WHERE user_id = {uid};")],
                    admin_path: Some("System > Permissions > All Users > (user) > Account Status: Active".into()),
                }),
        );
    }
    if let Ok(rows) = db.rows("admin_user_expiration", &[("user_id", SqlValue::Int(uid))])
        && let Some(r) = rows.first()
        && let Some(at) = r.text("expires_at")
        && db_time(&at).is_some_and(|t| t <= ctx.now)
    {
        d.push(
            Finding::new(Code::AdminUserExpired, Severity::Error)
                .detail(format!("Admin user '{name}' expired at {at} UTC: the Security module's check before authentication deactivates the user (saving it inactive also revokes its tokens: a jwt_auth_revoked row) and refuses the login, as the real 2.4.7-p3 did."))
                .evidence(Evidence::db("admin_user_expiration", format!("user_id={uid} expires_at={at}")))
                .fix(Fix {
                    summary: format!("Remove or move the expiry date of {name}, and make the user active again"),
                    commands: vec![
                        format!("DELETE FROM admin_user_expiration WHERE user_id = {uid};"),
                        format!("UPDATE admin_user SET is_active = 1 WHERE user_id = {uid};"),
                    ],
                    admin_path: Some("System > Permissions > All Users > (user) > Expiration Date".into()),
                }),
        );
    }
    if let Some(at) = u.text("lock_expires")
        && db_time(&at).is_some_and(|t| t > ctx.now)
    {
        d.push(
            Finding::new(Code::AdminUserLocked, Severity::Warning)
                .detail(format!("Admin user '{name}' is locked out of the admin panel until {at} UTC after {} failed sign-ins (admin/security/lockout_failures). The lock is kept by admin-panel observers: the REST token endpoint is throttled by oauth_token_request_log instead, but the user cannot sign in to the admin.", u.text("failures_num").unwrap_or_else(|| "0".into())))
                .evidence(Evidence::db("admin_user", format!("{row_id} lock_expires={at} failures_num={}", u.text("failures_num").unwrap_or_else(|| "NULL".into()))))
                .evidence(ctx.config.get_default("admin/security/lockout_failures").evidence())
                .fix(unlock_fix(name)),
        );
    }
    match role_for(db, uid as u64, crate::magento::acl::UserType::Admin) {
        Ok(None) => d.push(
            Finding::new(Code::AdminUserNoRole, Severity::Error)
                .detail(format!("Admin user '{name}' has no role: User::verifyIdentity() refuses the login with \"More permissions are needed to access this.\" (401)."))
                .evidence(Evidence::db("authorization_role", format!("no row with user_id={uid} user_type=2")))
                .fix(Fix {
                    summary: format!("Assign a role to {name} (User Role tab)"),
                    commands: vec![],
                    admin_path: Some("System > Permissions > All Users > (user) > User Role".into()),
                }),
        ),
        Ok(Some(_)) => {}
        Err(e) => d.skip("admin-role", e.to_string()),
    }
    password_expired(ctx, db, name, uid, d);
}

/// `admin/security/password_lifetime` days after `admin_passwords.last_updated` (admin panel).
fn password_expired(ctx: &Context, db: &dyn Database, name: &str, uid: i64, d: &mut Diagnosis) {
    let lifetime = ctx.config.get_default("admin/security/password_lifetime");
    let days = lifetime.as_f64().unwrap_or(0.0);
    if days <= 0.0 {
        return;
    }
    let Ok(rows) = db.rows("admin_passwords", &[("user_id", SqlValue::Int(uid))]) else {
        return;
    };
    let Some(last) = rows
        .iter()
        .max_by_key(|r| (r.int("last_updated").unwrap_or(0), r.int("password_id")))
    else {
        return;
    };
    let updated = last.int("last_updated").unwrap_or(0);
    let expires = updated + (days * 86_400.0) as i64;
    if expires > ctx.now.as_second() {
        return;
    }
    let forced = ctx.config.get_default("admin/security/password_is_forced");
    let when = Timestamp::from_second(updated)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| updated.to_string());
    d.push(
        Finding::new(
            Code::AdminPasswordExpired,
            if forced.is_set_flag() { Severity::Warning } else { Severity::Info },
        )
        .detail(format!(
            "The password of '{name}' was last changed {when} UTC, more than {days} days ago (admin/security/password_lifetime). {} This concerns the admin panel; the REST token endpoint does not check it.",
            if forced.is_set_flag() {
                "With admin/security/password_is_forced the admin panel makes the user change it before anything else."
            } else {
                "The admin panel only reminds the user (password_is_forced is off)."
            }
        ))
        .evidence(Evidence::db(
            "admin_passwords",
            format!(
                "password_id={} user_id={uid} last_updated={updated}",
                last.text("password_id").unwrap_or_default()
            ),
        ))
        .evidence(lifetime.evidence())
        .evidence(forced.evidence())
        .fix(Fix {
            summary: format!("Set a new password for {name}"),
            commands: vec![format!(
                "m2auth admin:user:change-password --username={name}"
            )],
            admin_path: Some("Account Setting (top right) > New Password".into()),
        }),
    );
}

/// The provider code as stored in `tfa_user_config` → the segment of its Web API routes.
fn tfa_route(provider: &str) -> String {
    match provider {
        "duo_security" => "duo".into(),
        other => other.to_string(),
    }
}

/// Provider codes of `encoded_providers` (a JSON array) or `force_providers` (comma list).
fn provider_list(text: &str) -> Vec<String> {
    if let Ok(v) = serde_json::from_str::<Vec<String>>(text) {
        return v;
    }
    text.split([',', ' ', '[', ']', '"'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn tfa(
    ctx: &Context,
    db: &dyn Database,
    name: &str,
    uid: Option<i64>,
    d: &mut Diagnosis,
) {
    if ctx.install.modules.is_enabled("Magento_TwoFactorAuth") != Some(true) {
        return;
    }
    let mut f = Finding::new(Code::Admin2faRequired, Severity::Error).evidence(Evidence::file(
        crate::store::root::CONFIG_PHP,
        None,
        "Magento_TwoFactorAuth => 1",
    ));
    let mut providers: Vec<String> = Vec::new();
    if let Some(uid) = uid
        && let Ok(rows) = db.rows("tfa_user_config", &[("user_id", SqlValue::Int(uid))])
        && let Some(r) = rows.first()
    {
        let enc = r.text("encoded_providers").unwrap_or_default();
        providers = provider_list(&enc);
        f = f.evidence(Evidence::db(
            "tfa_user_config",
            format!(
                "user_id={uid} encoded_providers={enc} default_provider={}",
                r.text("default_provider").unwrap_or_else(|| "NULL".into())
            ),
        ));
    }
    let forced = ctx
        .config
        .get_default("twofactorauth/general/force_providers");
    let configured = !providers.is_empty();
    if !configured {
        providers = provider_list(forced.value.as_deref().unwrap_or(""));
        f = f.evidence(forced.evidence());
    }
    let first = providers.first().map(|p| tfa_route(p));
    let endpoint = format!(
        "/V1/tfa/provider/{}/authenticate",
        first.as_deref().unwrap_or("<provider>")
    );
    let why = if configured {
        format!(
            "'{name}' has 2FA configured ({}): POST /V1/integration/admin/token answers \"Please use the 2fa provider-specific endpoints to obtain a token.\"; the token comes from POST {endpoint} with username, password and the one-time code.",
            providers.join(", ")
        )
    } else if providers.is_empty() {
        format!(
            "'{name}' has no 2FA provider configured and twofactorauth/general/force_providers is empty: the admin token endpoint answers \"Please ask an administrator with sufficient access to configure 2FA first\"."
        )
    } else {
        format!(
            "'{name}' has not configured 2FA yet: the admin token endpoint sends a configuration e-mail and answers \"You are required to configure personal Two-Factor Authorization in order to login.\"; once {} is configured, the token comes from POST {endpoint}.",
            providers.join(", ")
        )
    };
    let mut commands = vec![format!(
        "curl -X POST https://<store>/rest/V1/tfa/provider/{}/authenticate -H 'Content-Type: application/json' -d '{{\"username\":\"{name}\",\"password\":\"<password>\",\"otp\":\"<code>\"}}'",
        first.as_deref().unwrap_or("google")
    )];
    commands.push("# or call the API as an integration (System > Extensions > Integrations) instead of an admin user".into());
    d.push(
        f.detail(format!(
            "Magento_TwoFactorAuth is enabled, and 2FA cannot be switched off by configuration: the admin token endpoint does not hand out tokens. {why}"
        ))
        .fix(Fix {
            summary: "Get the admin token from the 2FA provider endpoint, or use an integration".into(),
            commands,
            admin_path: None,
        }),
    );
}

pub(crate) fn ims(ctx: &Context, d: &mut Diagnosis) {
    if ctx.install.modules.is_enabled("Magento_AdminAdobeIms") == Some(false) {
        return;
    }
    let v = ctx
        .config
        .get_default("adobe_ims/integration/admin_enabled");
    if !v.is_set_flag() {
        return;
    }
    d.push(
        Finding::new(Code::AdminImsEnabled, Severity::Error)
            .detail("Adobe IMS admin login is enabled: AdminTokenPlugin refuses every admin token with \"Admin token generation is disabled. Please use Adobe IMS ACCESS_TOKEN.\" (401).")
            .evidence(v.evidence())
            .fix(Fix {
                summary: "Send an Adobe IMS access token as Bearer, or disable the IMS admin login".into(),
                commands: vec!["bin/magento admin:adobe-ims:disable".into()],
                admin_path: None,
            }),
    );
}

/// `RequestThrottler::throttle()`: refused when `failures_count >= max_failures_count`.
pub(crate) fn throttle(
    ctx: &Context,
    db: &dyn Database,
    user: &str,
    user_type: i64,
    scope: Scope,
    d: &mut Diagnosis,
) {
    let max_v = ctx
        .config
        .get("oauth/authentication_lock/max_failures_count", scope);
    let timeout = ctx.config.get("oauth/authentication_lock/timeout", scope);
    let max = max_v.as_f64().map(|v| v as i64).unwrap_or(0);
    if max <= 0 {
        d.push(
            Finding::new(Code::TokenEndpointLockZero, Severity::Error)
                .detail("oauth/authentication_lock/max_failures_count is 0 (or empty): the throttle compares failures >= 0, so every token request is refused with \"The account sign-in was incorrect or your account is disabled temporarily.\" (401), whatever the password.")
                .evidence(max_v.evidence())
                .fix(Fix {
                    summary: "Set a positive maximum of failures (Magento's default is 6)".into(),
                    commands: vec!["bin/magento config:set oauth/authentication_lock/max_failures_count 6".into(), "bin/magento cache:clean config".into()],
                    admin_path: Some("Stores > Configuration > Services > OAuth > Authentication Locks".into()),
                }),
        );
        return;
    }
    let rows = match db.rows(
        "oauth_token_request_log",
        &[
            ("user_name", SqlValue::from(user)),
            ("user_type", SqlValue::Int(user_type)),
        ],
    ) {
        Ok(r) => r,
        Err(e) => return d.skip("token-endpoint-throttle", e.to_string()),
    };
    let Some(r) = rows.first() else { return };
    let failures = r.int("failures_count").unwrap_or(0);
    if failures < max {
        return;
    }
    let until = r.text("lock_expires_at").unwrap_or_default();
    let active = db_time(&until).is_none_or(|t| t > ctx.now);
    let detail = if active {
        format!(
            "'{user}' has {failures} failed token requests (max {max}): the token endpoint refuses it until {until} UTC, whatever the password, and every new failure pushes the lock another oauth/authentication_lock/timeout seconds."
        )
    } else {
        format!(
            "'{user}' has {failures} failed token requests (max {max}); the lock ran out at {until} UTC but the row is still there. Releases that count failures without looking at lock_expires_at keep refusing until cron job outdated_authentication_failures_cleanup deletes the row: is cron running?"
        )
    };
    let mut commands = Vec::new();
    if user_type == THROTTLE_ADMIN {
        commands.push(format!("bin/magento admin:user:unlock {user}"));
        commands.push(format!("m2auth admin:user:unlock {user}"));
    }
    commands.push(format!(
        "DELETE FROM oauth_token_request_log WHERE user_name = '{}' AND user_type = {user_type};",
        user.replace('\'', "''")
    ));
    if !active {
        commands.push("bin/magento cron:run --group default".into());
    }
    d.push(
        Finding::new(
            Code::TokenEndpointLocked,
            if active { Severity::Error } else { Severity::Warning },
        )
        .detail(detail)
        .evidence(Evidence::db(
            "oauth_token_request_log",
            format!(
                "log_id={} user_name={user} user_type={user_type} failures_count={failures} lock_expires_at={until}",
                r.text("log_id").unwrap_or_default()
            ),
        ))
        .evidence(max_v.evidence())
        .evidence(timeout.evidence())
        .fix(Fix {
            summary: format!("Clear the failed-request log of '{user}' (then send the right password)"),
            commands,
            admin_path: None,
        }),
    );
}

fn admin_password(ctx: &Context, name: &str, u: &Row, d: &mut Diagnosis) {
    let Some(pw) = password_of(ctx) else {
        return skip_password(d);
    };
    let stored = u.text("password").unwrap_or_default();
    let Some(f) = check_password(
        ctx,
        pw,
        &stored,
        Code::AdminPasswordWrong,
        "admin_user",
        &format!(
            "user_id={} username={name}",
            u.text("user_id").unwrap_or_default()
        ),
        d,
    ) else {
        return;
    };
    d.push(f.detail(format!(
        "The password given does not match the stored hash of '{name}': the token endpoint answers 401 \"The account sign-in was incorrect or your account is disabled temporarily.\" and counts a failure in oauth_token_request_log."
    )).fix(Fix {
        summary: format!("Send the right password, or set a new one for {name}"),
        commands: vec![
            format!("m2auth admin:user:change-password --username={name}"),
            format!("bin/magento admin:user:unlock {name}"),
        ],
        admin_path: Some("System > Permissions > All Users > (user) > User Info".into()),
    }));
}

/// Check `pw` against `stored`; a finding of `code` (without detail) when it does not match.
fn check_password(
    ctx: &Context,
    pw: &str,
    stored: &str,
    code: Code,
    table: &str,
    row_id: &str,
    d: &mut Diagnosis,
) -> Option<Finding> {
    let key = ctx.install.crypt_keys().pop();
    let version = StoredHash::parse(stored)
        .map(|h| h.version_field)
        .unwrap_or_else(|| "(not a hash:salt:version value)".into());
    match password::verify_or_refuse(pw, stored, key.as_deref()) {
        Ok(v) if v.matches => None,
        Ok(v) => Some(Finding::new(code, Severity::Error).evidence(Evidence::db(
            table,
            format!(
                "{row_id}: {} (hash and salt not shown); version field {version}",
                v.method.describe()
            ),
        ))),
        Err(e @ (PasswordError::NoKey { .. } | PasswordError::TooCostly { .. })) => {
            d.skip("login-password", e.to_string());
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Customer

/// The store view the request runs on: the store code after `/rest/`, else the default store.
fn request_store(ctx: &Context) -> Option<&crate::store::scopes::StoreView> {
    super::request_store(ctx)
}

fn customer(ctx: &Context, db: &dyn Database, email: &str, d: &mut Diagnosis) {
    let store = request_store(ctx);
    let website = store.map(|s| s.website_id);
    let scope = website.map(Scope::Website).unwrap_or(Scope::Default);
    throttle(ctx, db, email, THROTTLE_CUSTOMER, scope, d);
    let share = ctx.config.get_default("customer/account_share/scope");
    let per_website = share.is_set_flag();
    let rows = match db.rows("customer_entity", &[("email", SqlValue::from(email))]) {
        Ok(r) => r,
        Err(e) => return d.skip(CHECK, e.to_string()),
    };
    let found = rows
        .iter()
        .find(|r| !per_website || website.is_none() || r.int("website_id") == website);
    let where_ = match (store, website) {
        (Some(s), Some(w)) => format!("store '{}' of website {w}", s.code),
        _ => "the default store".into(),
    };
    let Some(c) = found else {
        let elsewhere: Vec<String> = rows
            .iter()
            .filter_map(|r| r.int("website_id").map(|w| w.to_string()))
            .collect();
        let mut f = Finding::new(Code::CustomerUnknown, Severity::Error)
            .detail(if elsewhere.is_empty() {
                format!("No customer has the e-mail '{email}'. The token endpoint answers 401 \"The account sign-in was incorrect or your account is disabled temporarily.\" and counts a failure.")
            } else {
                format!("The customer '{email}' exists on website {} but the request runs on {where_}, and customer accounts are shared per website (customer/account_share/scope = 1): Magento does not find it there.", elsewhere.join(", "))
            })
            .evidence(Evidence::db(
                "customer_entity",
                match website {
                    Some(w) if per_website => format!("no row with email='{email}' and website_id={w}"),
                    _ => format!("no row with email='{email}'"),
                },
            ))
            .evidence(share.evidence());
        f = f.fix(Fix {
            summary: if elsewhere.is_empty() {
                "Use the e-mail of an existing customer, or register the customer".into()
            } else {
                "Call the token endpoint with the store code of the customer's website (/rest/<store_code>/V1/integration/customer/token)".into()
            },
            commands: vec![],
            admin_path: Some("Customers > All Customers".into()),
        });
        d.push(f);
        return;
    };
    customer_locked(ctx, c, email, scope, d);
    let row_id = customer_row_id(c, email);
    if let Some(pw) = password_of(ctx) {
        let stored = c.text("password_hash").unwrap_or_default();
        if let Some(f) = check_password(
            ctx,
            pw,
            &stored,
            Code::CustomerPasswordWrong,
            "customer_entity",
            &row_id,
            d,
        ) {
            d.push(f.detail(format!("The password given does not match the stored hash of '{email}': the token endpoint answers 401 and counts a failure (after customer/password/lockout_failures the account locks).")).fix(Fix {
                summary: "Send the right password, or reset it (the customer's \"Forgot your password?\" e-mail)".into(),
                commands: vec![],
                admin_path: Some("Customers > All Customers > (customer) > Reset Password".into()),
            }));
        }
    } else {
        skip_password(d);
    }
    customer_inactive(ctx, c, email, scope, d);
}

fn customer_row_id(c: &Row, email: &str) -> String {
    format!(
        "entity_id={} email={email} website_id={}",
        c.int("entity_id").unwrap_or(0),
        c.text("website_id").unwrap_or_else(|| "NULL".into())
    )
}

/// `customer-locked` for the customer row `c` (a login, or the store-wide survey).
pub(crate) fn customer_locked(
    ctx: &Context,
    c: &Row,
    email: &str,
    scope: Scope,
    d: &mut Diagnosis,
) {
    let id = c.int("entity_id").unwrap_or(0);
    let row_id = customer_row_id(c, email);
    if let Some(at) = c.text("lock_expires")
        && db_time(&at).is_some_and(|t| t > ctx.now)
    {
        d.push(
            Finding::new(Code::CustomerLocked, Severity::Error)
                .detail(format!("The customer '{email}' is locked until {at} UTC after {} failed sign-ins (customer/password/lockout_failures): AccountManagement refuses it, and the token endpoint answers the same 401 as for a wrong password.", c.text("failures_num").unwrap_or_else(|| "0".into())))
                .evidence(Evidence::db("customer_entity", format!("{row_id} lock_expires={at} failures_num={}", c.text("failures_num").unwrap_or_else(|| "NULL".into()))))
                .evidence(ctx.config.get("customer/password/lockout_failures", scope).evidence())
                .fix(Fix {
                    summary: format!("Unlock the customer {email}"),
                    commands: vec![format!("UPDATE customer_entity SET lock_expires = NULL, failures_num = 0, first_failure = NULL WHERE entity_id = {id};")],
                    admin_path: Some("Customers > All Customers > (customer) > Customer View > Unlock".into()),
                }),
        );
    }
}

/// `customer-inactive` (inactive, or unconfirmed while confirmation is required) for `c`.
pub(crate) fn customer_inactive(
    ctx: &Context,
    c: &Row,
    email: &str,
    scope: Scope,
    d: &mut Diagnosis,
) {
    let id = c.int("entity_id").unwrap_or(0);
    let row_id = customer_row_id(c, email);
    let confirm = ctx.config.get("customer/create_account/confirm", scope);
    let unconfirmed =
        c.text("confirmation").is_some_and(|v| !v.is_empty()) && confirm.is_set_flag();
    let inactive = c.int("is_active") == Some(0);
    if unconfirmed || inactive {
        let mut f = Finding::new(Code::CustomerInactive, Severity::Error)
            .detail(if unconfirmed {
                format!("The customer '{email}' has not confirmed the account e-mail, and confirmation is required (customer/create_account/confirm): AccountManagement refuses the sign-in; the token endpoint answers the same 401 as for a wrong password.")
            } else {
                format!("The customer '{email}' is inactive (customer_entity.is_active = 0).")
            })
            .evidence(Evidence::db(
                "customer_entity",
                format!(
                    "{row_id} is_active={} confirmation={}",
                    c.text("is_active").unwrap_or_else(|| "NULL".into()),
                    if c.text("confirmation").is_some() { "(set)" } else { "NULL" }
                ),
            ));
        if unconfirmed {
            f = f.evidence(confirm.evidence());
        }
        d.push(f.fix(Fix {
            summary: "Confirm the account (the link in the confirmation e-mail), or confirm it in the admin".into(),
            commands: vec![format!(
                "UPDATE customer_entity SET confirmation = NULL, is_active = 1 WHERE entity_id = {id};"
            )],
            admin_path: Some("Customers > All Customers > (customer) > Confirm Account".into()),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_parse_from_json_or_lists() {
        assert_eq!(
            provider_list("[\"google\",\"duo_security\"]"),
            vec!["google", "duo_security"]
        );
        assert_eq!(provider_list("google,authy"), vec!["google", "authy"]);
        assert_eq!(tfa_route("duo_security"), "duo");
    }
}
