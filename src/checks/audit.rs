//! Step 9: prevention. Settings that do not cause today's 401 but weaken the store or will cause
//! trouble later.

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::cryptkey::{self, KeyForm};
use crate::magento::password::HashStep;
use crate::magento::release::ReleaseVersion;
use crate::magento::release::{self as rel, PatchStatus};
use crate::store::db::{Database, DbError, SqlValue, db_time};
use crate::store::modules::Edition;
use crate::store::root::{CONFIG_PHP, ENV_PHP};

/// Lifetimes above this many hours are "far above the defaults" (JWTs 1 h, legacy admin tokens
/// 4 h, legacy customer tokens 1 h): a stolen token keeps working for more than a day.
const LONG_LIFETIME_HOURS: f64 = 24.0;
/// Admin accounts without a login for this many days are dormant.
const UNUSED_DAYS: i64 = 90;
/// Integration access tokens older than this many days were never rotated.
const OLD_TOKEN_DAYS: i64 = 365;
/// A backup younger than this many days is recent.
const BACKUP_DAYS: i64 = 7;
/// How many names a finding lists before "and N more".
const NAMES_SHOWN: usize = 10;

/// The prevention findings `diagnose` shows with its answer: how the admin, 2FA and the crypt
/// key are set up.
pub fn run(ctx: &Context, d: &mut Diagnosis) {
    default_admin_path(ctx, d);
    two_factor(ctx, d);
    legacy_crypt_key(ctx, d);
}

/// The whole prevention audit (`m2auth audit`): [`run`], then the accounts, integrations,
/// tokens, passwords, release, backups and the web server's guard of the admin URL.
pub fn run_full(ctx: &Context, d: &mut Diagnosis) {
    run(ctx, d);
    magento_outdated(ctx, d);
    no_backup(ctx, d);
    admin_not_ip_restricted(ctx, d);
    let db = match ctx.db_for("audit-database") {
        Ok(db) => db,
        Err(s) => {
            d.skipped.push(s);
            return;
        }
    };
    bearer_enabled(ctx, d);
    anonymous_api(ctx, d);
    token_lifetimes(ctx, d);
    let mut failed = Vec::new();
    let mut track = |what: &str, r: Result<(), DbError>| {
        if let Err(e) = r {
            failed.push(format!("{what}: {e}"));
        }
    };
    track("integrations", integration_all_resources(db, d));
    track("integration tokens", integration_tokens_old(ctx, db, d));
    track("password hashes", weak_password_hashes(db, d));
    track("admin 2FA set-up", admins_without_2fa(ctx, db, d));
    track("admin last logins", admins_unused(ctx, db, d));
    for f in failed {
        d.skip("audit-database", f);
    }
}

/// `audit-default-admin-path`: the admin answers at `/admin`, the first URL bots try. The path is
/// `admin/url/custom_path` when `admin/url/use_custom_path` is on, else `backend/frontName`.
fn default_admin_path(ctx: &Context, d: &mut Diagnosis) {
    let use_custom = ctx.config.get_default("admin/url/use_custom_path");
    if use_custom.is_set_flag() {
        let custom = ctx.config.get_default("admin/url/custom_path");
        if custom
            .value
            .as_deref()
            .map(|v| v.trim_matches('/').eq_ignore_ascii_case("admin"))
            == Some(true)
        {
            d.push(
                admin_path_finding()
                    .evidence(use_custom.evidence())
                    .evidence(custom.evidence()),
            );
        }
        return;
    }
    let Some(env) = &ctx.install.env else { return };
    let Some(front) = env.string("backend/frontName") else {
        return;
    };
    if front.trim_matches('/').eq_ignore_ascii_case("admin") {
        let mut f = admin_path_finding();
        if ctx.db.is_none() {
            f.detail.push_str(
                " (The database could not be read, so a custom admin path set there, admin/url/use_custom_path, was not checked.)",
            );
        }
        d.push(f.evidence(Evidence::file(
            ENV_PHP,
            env.line("backend/frontName"),
            format!("backend/frontName = '{front}'"),
        )));
    }
}

fn admin_path_finding() -> Finding {
    Finding::new(Code::AuditDefaultAdminPath, Severity::Warning)
        .detail("The admin panel answers at /admin, the first path automated login attacks try.")
        .fix(Fix {
            summary: "Move the admin to a path of its own".into(),
            commands: vec!["bin/magento setup:config:set --backend-frontname=<unique_path>".into()],
            admin_path: None,
        })
}

/// `audit-2fa-disabled`: Magento_TwoFactorAuth (on by default since 2.4.0) is disabled.
fn two_factor(ctx: &Context, d: &mut Diagnosis) {
    const MODULE: &str = "Magento_TwoFactorAuth";
    let Some(config) = &ctx.install.config else {
        d.skip(
            "audit-2fa-disabled",
            "app/etc/config.php does not exist: module states are unknown",
        );
        return;
    };
    if let Some(v) = release(ctx)
        && !v.at_least(2, 4, 0)
    {
        return;
    }
    if ctx.install.modules.is_enabled(MODULE) == Some(true) {
        return;
    }
    let evidence = match config.entry(&format!("modules/{MODULE}")) {
        Some(e) => Evidence::file(
            CONFIG_PHP,
            Some(e.line),
            format!("'{MODULE}' => {}", e.value.as_string().unwrap_or_default()),
        ),
        None => Evidence::file(
            CONFIG_PHP,
            config.line("modules"),
            format!("{MODULE} is not listed in modules: Magento does not load it"),
        ),
    };
    // The commands that work on this installation: `module:enable` refuses unknown modules, and
    // a store that removed the module (composer `replace`) must require it again first.
    let on_disk = |m: &str| ctx.install.modules.get(m).is_some_and(|m| m.dir.is_some());
    let mut commands = Vec::new();
    if !on_disk(MODULE) {
        commands.push("composer require magento/module-two-factor-auth".to_string());
    }
    let mut enable = format!("bin/magento module:enable {MODULE}");
    const IMS_2FA: &str = "Magento_AdminAdobeImsTwoFactorAuth";
    if on_disk(IMS_2FA) && ctx.install.modules.is_enabled(IMS_2FA) != Some(true) {
        enable.push_str(&format!(" {IMS_2FA}"));
    }
    commands.push(enable);
    commands.push("bin/magento setup:upgrade".into());
    d.push(
        Finding::new(Code::Audit2faDisabled, Severity::Warning)
            .detail("Two-factor authentication is off for the admin: a stolen admin password is enough to log in and to obtain admin API tokens.")
            .evidence(evidence)
            .fix(Fix {
                summary: "Enable two-factor authentication (and configure a provider for each admin). Consequence: POST /V1/integration/admin/token then stops handing out tokens (admin-2fa-required): move admin API clients to an integration or to the 2FA provider endpoints first".into(),
                commands,
                admin_path: Some("Stores > Settings > Configuration > Security > 2FA".into()),
            }),
    );
}

/// `audit-legacy-crypt-key`: the current key is a 32-hex-character key on 2.4.7+, which writes
/// `base64`-prefixed 256-bit keys.
fn legacy_crypt_key(ctx: &Context, d: &mut Diagnosis) {
    let keys = ctx.install.crypt_keys();
    let Some(current) = keys.last() else { return };
    if cryptkey::key_form(current) != KeyForm::LegacyHex {
        return;
    }
    let Some(v) = release(ctx) else {
        d.skip(
            "audit-legacy-crypt-key",
            "the Magento release is unknown (no composer.lock or magento2-base)",
        );
        return;
    };
    if !v.at_least(2, 4, 7) {
        return;
    }
    let line = ctx.install.env.as_ref().and_then(|e| e.line("crypt/key"));
    d.push(
        Finding::new(Code::AuditLegacyCryptKey, Severity::Info)
            .detail(format!(
                "The current crypt key (the last of {} in crypt/key) is a legacy 32-hex-character key; Magento {} writes base64-encoded 256-bit keys. Rotating it invalidates every issued admin and customer token.",
                keys.len(),
                ctx.install.release.version.as_deref().unwrap_or("2.4.7+")
            ))
            .evidence(Evidence::file(ENV_PHP, line, format!("crypt/key: {} key(s), current one 32 hex characters", keys.len())))
            .fix(Fix {
                summary: "Rotate the encryption key (re-encrypts stored values; clients must request new tokens)".into(),
                commands: vec!["bin/magento encryption:key:change".into()],
                admin_path: Some("System > Other Settings > Manage Encryption Key".into()),
            }),
    );
}

/// The installed release as a Magento release number (a Mage-OS version is mapped to the Magento
/// release it is built on).
fn release(ctx: &Context) -> Option<ReleaseVersion> {
    let v = ReleaseVersion::parse(ctx.install.release.version.as_deref()?)?;
    if ctx.install.release.edition == Edition::MageOs && v.major < 2 {
        return Some(v.mage_os_upstream());
    }
    Some(v)
}

/// `a, b, c and 3 more` (ten names at most).
fn names(list: &[String]) -> String {
    super::store_wide::names_up_to(list, NAMES_SHOWN)
}

fn days_before(ctx: &Context, days: i64) -> jiff::Timestamp {
    ctx.now
        .checked_sub(jiff::SignedDuration::from_hours(days * 24))
        .unwrap_or(ctx.now)
}

/// `audit-integration-all-resources`: an integration whose own role holds
/// `Magento_Backend::all` (the "All" resource access of the integration's API tab).
fn integration_all_resources(db: &dyn Database, d: &mut Diagnosis) -> Result<(), DbError> {
    let all_rules = db.rows(
        "authorization_rule",
        &[("resource_id", crate::magento::acl::ALL.into())],
    )?;
    let allowed: Vec<i64> = all_rules
        .iter()
        .filter(|r| r.text("permission").as_deref() == Some("allow"))
        .filter_map(|r| r.int("role_id"))
        .collect();
    if allowed.is_empty() {
        return Ok(());
    }
    let integrations = db.rows("integration", &[])?;
    let mut hits = Vec::new();
    for role in db.rows("authorization_role", &[])? {
        let is_integration = role.text("user_type").as_deref() == Some("1")
            && role.text("role_type").as_deref() == Some("U");
        let (Some(role_id), Some(uid)) = (role.int("role_id"), role.int("user_id")) else {
            continue;
        };
        if !is_integration || !allowed.contains(&role_id) {
            continue;
        }
        let name = integrations
            .iter()
            .find(|i| i.int("integration_id") == Some(uid))
            .and_then(|i| i.text("name"))
            .unwrap_or_else(|| format!("integration {uid}"));
        hits.push((name, role_id, uid));
    }
    if hits.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = hits.iter().map(|(n, _, _)| n.clone()).collect();
    let mut f = Finding::new(Code::AuditIntegrationAllResources, Severity::Warning)
        .detail(format!(
            "{} {} every ACL resource (Magento_Backend::all): {}. Whoever holds its credentials can read and change everything the admin can, customers and orders included.",
            list.len(),
            if list.len() == 1 { "integration holds" } else { "integrations hold" },
            names(&list)
        ))
        .fix(Fix {
            summary: "Give each integration only the resources it calls (Resource Access: Custom), then reauthorize it".into(),
            commands: vec!["m2auth acl:matrix --integration <name>".into()],
            admin_path: Some("System > Extensions > Integrations > Edit > API > Resource Access".into()),
        });
    for (name, role_id, uid) in hits.iter().take(NAMES_SHOWN) {
        f = f.evidence(Evidence::db(
            "authorization_rule",
            format!("role_id={role_id} (integration {uid}, {name}) resource_id=Magento_Backend::all permission=allow"),
        ));
    }
    d.push(f);
    Ok(())
}

/// `audit-bearer-enabled`: `oauth/consumer/enable_integration_as_bearer` is on.
fn bearer_enabled(ctx: &Context, d: &mut Diagnosis) {
    let v = ctx
        .config
        .get_default("oauth/consumer/enable_integration_as_bearer");
    if !v.is_set_flag() {
        return;
    }
    d.push(
        Finding::new(Code::AuditBearerEnabled, Severity::Warning)
            .detail("Integration access tokens are accepted as Bearer tokens: a token copied from a log, a proxy or a client's configuration is enough to call the API, with no OAuth signature, nonce or timestamp to stop a replay.")
            .evidence(v.evidence())
            .fix(Fix {
                summary: "Turn it off once every integration signs its requests with OAuth 1.0a (m2auth oauth:sign shows how)".into(),
                commands: vec![
                    "bin/magento config:set oauth/consumer/enable_integration_as_bearer 0".into(),
                    "bin/magento cache:clean config".into(),
                ],
                admin_path: Some("Stores > Settings > Configuration > Services > OAuth > Consumer Settings > Allow OAuth Access Tokens to be used as standalone Bearer tokens".into()),
            }),
    );
}

/// `audit-anonymous-api-allowed`: `webapi/webapisecurity/allow_insecure` is on.
fn anonymous_api(ctx: &Context, d: &mut Diagnosis) {
    let v = ctx
        .config
        .get_default("webapi/webapisecurity/allow_insecure");
    if !v.is_set_flag() {
        return;
    }
    d.push(
        Finding::new(Code::AuditAnonymousApiAllowed, Severity::Warning)
            .detail("Anonymous guest access to the catalog, CMS and store REST reads is on: anyone can list products, prices, stock, CMS pages and blocks through /rest without a token.")
            .evidence(v.evidence())
            .fix(Fix {
                summary: "Turn off anonymous access unless a headless front end relies on it".into(),
                commands: vec![
                    "bin/magento config:set webapi/webapisecurity/allow_insecure 0".into(),
                    "bin/magento cache:clean config".into(),
                ],
                admin_path: Some("Stores > Settings > Configuration > Services > Magento Web API > Web API Security > Allow Anonymous Guest Access".into()),
            }),
    );
}

/// `audit-token-lifetime-long`: JWT (minutes) or legacy token (hours) lifetimes above
/// [`LONG_LIFETIME_HOURS`].
fn token_lifetimes(ctx: &Context, d: &mut Diagnosis) {
    let paths = [
        ("webapi/jwtauth/admin_expiration", 60.0, "admin token (JWT)"),
        (
            "webapi/jwtauth/customer_expiration",
            60.0,
            "customer token (JWT)",
        ),
        (
            "oauth/access_token_lifetime/admin",
            1.0,
            "legacy admin token",
        ),
        (
            "oauth/access_token_lifetime/customer",
            1.0,
            "legacy customer token",
        ),
    ];
    let mut long = Vec::new();
    let mut evidence = Vec::new();
    for (path, per_hour, what) in paths {
        let v = ctx.config.get_default(path);
        let Some(n) = v.as_f64() else { continue };
        let hours = n / per_hour;
        if hours > LONG_LIFETIME_HOURS {
            long.push(format!("{what}: {}", human_hours(hours)));
            evidence.push(v.evidence());
        }
    }
    if long.is_empty() {
        return;
    }
    let mut f = Finding::new(Code::AuditTokenLifetimeLong, Severity::Warning)
        .detail(format!(
            "Token lifetimes far above Magento's defaults (1 hour; legacy admin tokens 4 hours): {}. A leaked token stays usable that long.",
            long.join("; ")
        ))
        .fix(Fix {
            summary: "Shorten the lifetimes; clients request a new token when theirs expires".into(),
            commands: vec![
                "bin/magento config:set webapi/jwtauth/admin_expiration 60".into(),
                "bin/magento config:set webapi/jwtauth/customer_expiration 60".into(),
            ],
            admin_path: Some("Stores > Settings > Configuration > Services > OAuth > Access Token Expiration".into()),
        });
    for e in evidence {
        f = f.evidence(e);
    }
    d.push(f);
}

fn human_hours(h: f64) -> String {
    if h >= 48.0 {
        format!("{:.0} days", h / 24.0)
    } else {
        format!("{h:.0} hours")
    }
}

/// `audit-weak-password-hash`: admin or customer password hashes whose last version is 0 (md5)
/// or 1 (sha256). Counted by the server (`GROUP BY`), never read row by row for customers.
fn weak_password_hashes(db: &dyn Database, d: &mut Diagnosis) -> Result<(), DbError> {
    let weak = |v: &Option<String>| {
        matches!(
            v.as_deref().map(HashStep::parse),
            Some(HashStep::Md5 | HashStep::Sha256)
        )
    };
    let mut parts = Vec::new();
    let mut evidence = Vec::new();
    let admins: Vec<String> = db
        .rows("admin_user", &[])?
        .iter()
        .filter(|r| {
            weak(
                &r.text("password")
                    .map(|p| p.rsplit(':').next().unwrap_or("").to_string()),
            )
        })
        .filter_map(|r| r.text("username"))
        .collect();
    if !admins.is_empty() {
        parts.push(format!(
            "{} admin {} ({})",
            admins.len(),
            if admins.len() == 1 { "user" } else { "users" },
            names(&admins)
        ));
        evidence.push(Evidence::db(
            "admin_user",
            format!(
                "password hash version 0 (md5) or 1 (sha256): {}",
                names(&admins)
            ),
        ));
    }
    let customers: i64 = db
        .count_by_last_field("customer_entity", "password_hash")?
        .iter()
        .filter(|(v, _)| weak(v))
        .map(|(_, n)| n)
        .sum();
    if customers > 0 {
        parts.push(format!(
            "{customers} {}",
            if customers == 1 {
                "customer"
            } else {
                "customers"
            }
        ));
        evidence.push(Evidence::db(
            "customer_entity",
            format!("{customers} password_hash values with hash version 0 (md5) or 1 (sha256)"),
        ));
    }
    if parts.is_empty() {
        return Ok(());
    }
    let mut commands = Vec::new();
    if customers > 0 {
        commands.push("bin/magento customer:hash:upgrade".to_string());
    }
    if !admins.is_empty() {
        commands.push("m2auth admin:user:change-password <username> --apply".to_string());
    }
    let mut f = Finding::new(Code::AuditWeakPasswordHash, Severity::Warning)
        .detail(format!(
            "Passwords stored with a fast hash (md5 or sha256, not Argon2id): {}. A copy of the database lets an attacker guess them quickly.",
            parts.join(" and ")
        ))
        .fix(Fix {
            summary: "Re-hash them: Magento upgrades a hash at the next successful login; customer:hash:upgrade wraps every customer hash in Argon2id now, and a new password does it for an admin".into(),
            commands,
            admin_path: None,
        });
    for e in evidence {
        f = f.evidence(e);
    }
    d.push(f);
    Ok(())
}

/// `audit-magento-outdated`: the release is behind the newest patch of its line in
/// [`rel::NEWEST_PATCHES`], with the auth-related bulletins it lacks.
fn magento_outdated(ctx: &Context, d: &mut Diagnosis) {
    let Some(shown) = ctx.install.release.version.clone() else {
        d.skip(
            "audit-magento-outdated",
            "the Magento release is unknown (no composer.lock or magento2-base)",
        );
        return;
    };
    if ctx.install.release.edition == Edition::MageOs {
        d.skip(
            "audit-magento-outdated",
            format!(
                "Mage-OS {shown}: its own release line, not in m2auth's table of Magento patches"
            ),
        );
        return;
    }
    let Some(v) = ReleaseVersion::parse(&shown) else {
        d.skip(
            "audit-magento-outdated",
            format!("release {shown} is not a release number"),
        );
        return;
    };
    let open_source = ctx.install.release.edition == Edition::Community;
    let (why, target) = match rel::patch_status(&v) {
        PatchStatus::Current => return,
        PatchStatus::Unknown => {
            d.skip(
                "audit-magento-outdated",
                format!(
                    "{shown} is newer than m2auth's table of patches (checked {})",
                    rel::PATCHES_CHECKED
                ),
            );
            return;
        }
        PatchStatus::Unsupported => (
            format!(
                "the {}.{}.{} line gets no security patches any more",
                v.major, v.minor, v.patch
            ),
            rel::NEWEST_PATCHES[0].newest.to_string(),
        ),
        PatchStatus::Behind {
            newest,
            commerce_only,
        } if commerce_only && open_source => (
            format!(
                "{newest} is out, for Adobe Commerce only: Magento Open Source {}.{}.{} gets no more security patches",
                v.major, v.minor, v.patch
            ),
            rel::NEWEST_PATCHES[0].newest.to_string(),
        ),
        PatchStatus::Behind { newest, .. } => (
            format!("{newest} is the newest patch of its line"),
            newest.to_string(),
        ),
    };
    let missing: Vec<String> = rel::AUTH_BULLETINS
        .iter()
        .filter(|b| b.affects(&v))
        .map(|b| format!("{} ({})", b.id, b.what))
        .collect();
    let mut detail = format!(
        "Magento {shown} is outdated: {why} (m2auth's table, checked {}).",
        rel::PATCHES_CHECKED
    );
    if !missing.is_empty() {
        detail.push_str(&format!(
            " Authentication fixes it lacks: {}.",
            missing.join("; ")
        ));
    }
    let package = match ctx.install.release.edition {
        Edition::Enterprise | Edition::B2b => "magento/product-enterprise-edition",
        _ => "magento/product-community-edition",
    };
    d.push(
        Finding::new(Code::AuditMagentoOutdated, Severity::Warning)
            .detail(detail)
            .evidence(Evidence::file(
                "composer.lock",
                None,
                format!("{package} {shown}"),
            ))
            .fix(Fix {
                summary: format!("Upgrade to {target} (test on a copy first)"),
                commands: vec![
                    format!("composer require-commerce {package} {target} --no-update"),
                    "composer update".into(),
                    "bin/magento setup:upgrade".into(),
                ],
                admin_path: None,
            }),
    );
}

/// `audit-no-backup-found`: nothing younger than [`BACKUP_DAYS`] in `var/backups/`, where
/// `bin/magento setup:backup` writes (`*_db.sql`, `*_filesystem_code.tgz`, …). Backups kept
/// elsewhere (host snapshots, the database server's dumps) are invisible here: info only.
fn no_backup(ctx: &Context, d: &mut Diagnosis) {
    const DIR: &str = "var/backups";
    let dir = ctx.install.root.join(DIR);
    let newest = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().to_ascii_lowercase();
            [".sql", ".sql.gz", ".tgz", ".tar.gz", ".gz", ".zip", ".tar"]
                .iter()
                .any(|x| n.ends_with(x))
        })
        .filter_map(|e| {
            let m = e.metadata().ok()?.modified().ok()?;
            Some((
                jiff::Timestamp::try_from(m).ok()?,
                e.file_name().to_string_lossy().into_owned(),
            ))
        })
        .max();
    let since = days_before(ctx, BACKUP_DAYS);
    let evidence = match &newest {
        Some((t, _)) if *t >= since => return,
        Some((t, name)) => Evidence::file(
            &format!("{DIR}/{name}"),
            None,
            format!("the newest backup there, from {}", t.strftime("%Y-%m-%d")),
        ),
        None => Evidence::file(
            DIR,
            None,
            "no database or code backup file (.sql, .sql.gz, .tgz, .zip)",
        ),
    };
    d.push(
        Finding::new(Code::AuditNoBackupFound, Severity::Info)
            .detail(format!(
                "No backup younger than {BACKUP_DAYS} days in {DIR}/, where bin/magento setup:backup writes them. Backups kept elsewhere (host snapshots, the database server's own dumps) are not visible here: check that one exists before any fix that writes."
            ))
            .evidence(evidence)
            .fix(Fix {
                summary: "Back up the database and code before changing anything".into(),
                commands: vec!["bin/magento setup:backup --db --code".into()],
                admin_path: None,
            }),
    );
}

/// Active admin users: (user_id, username, row).
fn active_admins(db: &dyn Database) -> Result<Vec<crate::store::db::Row>, DbError> {
    Ok(db
        .rows("admin_user", &[("is_active", SqlValue::Int(1))])?
        .into_iter()
        .collect())
}

/// `audit-admin-2fa-not-configured`: 2FA is on, and active admins have no `tfa_user_config`
/// row with a provider configuration (they set one up at their next login, from wherever they
/// log in).
fn admins_without_2fa(ctx: &Context, db: &dyn Database, d: &mut Diagnosis) -> Result<(), DbError> {
    if ctx.install.modules.is_enabled("Magento_TwoFactorAuth") != Some(true)
        || !db.has_table("tfa_user_config")?
    {
        return Ok(());
    }
    let configured: Vec<i64> = db
        .rows("tfa_user_config", &[])?
        .iter()
        .filter(|r| {
            r.text("encoded_config")
                .is_some_and(|c| !c.trim().is_empty())
        })
        .filter_map(|r| r.int("user_id"))
        .collect();
    let missing: Vec<String> = active_admins(db)?
        .iter()
        .filter(|r| r.int("user_id").is_some_and(|id| !configured.contains(&id)))
        .filter_map(|r| r.text("username"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    d.push(
        Finding::new(Code::AuditAdmin2faNotConfigured, Severity::Warning)
            .detail(format!(
                "Two-factor authentication is on, but {} active admin {} no provider set up: {}. Whoever next logs in with the password sets the second factor up for them.",
                missing.len(),
                if missing.len() == 1 { "user has" } else { "users have" },
                names(&missing)
            ))
            .evidence(Evidence::db(
                "tfa_user_config",
                format!("no provider configuration for {}", names(&missing)),
            ))
            .fix(Fix {
                summary: "Have each of them log in and set up a provider now, or deactivate the accounts that are not needed".into(),
                commands: vec!["bin/magento security:tfa:reset <username> <provider>".into()],
                admin_path: Some("System > Permissions > All Users > (user) > 2FA".into()),
            }),
    );
    Ok(())
}

/// `audit-admin-unused`: active admins whose last login (`logdate`), or creation when they
/// never logged in, is more than [`UNUSED_DAYS`] ago.
fn admins_unused(ctx: &Context, db: &dyn Database, d: &mut Diagnosis) -> Result<(), DbError> {
    let before = days_before(ctx, UNUSED_DAYS);
    let mut unused = Vec::new();
    for r in active_admins(db)? {
        let last = r.text("logdate").and_then(|t| db_time(&t));
        let seen = last.or_else(|| r.text("created").and_then(|t| db_time(&t)));
        let Some(seen) = seen else { continue };
        if seen < before {
            let name = r.text("username").unwrap_or_default();
            unused.push(match last {
                Some(t) => format!("{name} (last login {})", t.strftime("%Y-%m-%d")),
                None => format!(
                    "{name} (never logged in, created {})",
                    seen.strftime("%Y-%m-%d")
                ),
            });
        }
    }
    if unused.is_empty() {
        return Ok(());
    }
    d.push(
        Finding::new(Code::AuditAdminUnused, Severity::Warning)
            .detail(format!(
                "{} active admin {} not used for {UNUSED_DAYS} days: {}. A dormant account's password is nobody's to notice when it leaks.",
                unused.len(),
                if unused.len() == 1 { "account" } else { "accounts" },
                names(&unused)
            ))
            .evidence(Evidence::db("admin_user", format!("is_active=1, logdate before {}", before.strftime("%Y-%m-%d"))))
            .fix(Fix {
                summary: "Deactivate the accounts nobody uses (User Info > This account is Inactive)".into(),
                commands: Vec::new(),
                admin_path: Some("System > Permissions > All Users".into()),
            }),
    );
    Ok(())
}

/// `audit-integration-token-old`: an integration's live access token (`oauth_token` of its
/// consumer, type access, not revoked) created more than [`OLD_TOKEN_DAYS`] ago.
fn integration_tokens_old(
    ctx: &Context,
    db: &dyn Database,
    d: &mut Diagnosis,
) -> Result<(), DbError> {
    let before = days_before(ctx, OLD_TOKEN_DAYS);
    let integrations = db.rows("integration", &[])?;
    let mut old = Vec::new();
    for t in db.rows("oauth_token", &[("type", "access".into())])? {
        if t.int("revoked") == Some(1) {
            continue;
        }
        let Some(consumer) = t.int("consumer_id") else {
            continue;
        };
        let Some(created) = t.text("created_at").and_then(|c| db_time(&c)) else {
            continue;
        };
        if created >= before {
            continue;
        }
        let name = integrations
            .iter()
            .find(|i| i.int("consumer_id") == Some(consumer))
            .and_then(|i| i.text("name"))
            .unwrap_or_else(|| format!("consumer {consumer}"));
        old.push(format!(
            "{name} (token of {})",
            created.strftime("%Y-%m-%d")
        ));
    }
    if old.is_empty() {
        return Ok(());
    }
    d.push(
        Finding::new(Code::AuditIntegrationTokenOld, Severity::Warning)
            .detail(format!(
                "{} integration access {} older than a year, never rotated: {}. Every copy ever made of it still works.",
                old.len(),
                if old.len() == 1 { "token is" } else { "tokens are" },
                names(&old)
            ))
            .evidence(Evidence::db("oauth_token", format!("type=access revoked=0 created_at before {}", before.strftime("%Y-%m-%d"))))
            .fix(Fix {
                summary: "Reauthorize the integration (new token and secret) and update its client".into(),
                commands: Vec::new(),
                admin_path: Some("System > Extensions > Integrations > Reauthorize".into()),
            }),
    );
    Ok(())
}

/// The admin's URL path: `admin/url/custom_path` when `admin/url/use_custom_path` is on, else
/// `backend/frontName`.
fn admin_front(ctx: &Context) -> Option<String> {
    if ctx
        .config
        .get_default("admin/url/use_custom_path")
        .is_set_flag()
        && let Some(p) = ctx.config.get_default("admin/url/custom_path").value
    {
        // A custom admin URL may be a whole URL on its own host: its path is what matters.
        let path = url::Url::parse(p.trim())
            .map(|u| u.path().to_string())
            .unwrap_or(p);
        let path = path.trim_matches('/');
        if !path.is_empty() {
            return Some(path.to_string());
        }
    }
    let env = ctx.install.env.as_ref()?;
    Some(
        env.string("backend/frontName")?
            .trim_matches('/')
            .to_string(),
    )
}

/// `audit-admin-not-ip-restricted`: the vhost / server block serving the store has no address
/// allow-list for the admin URL (Apache `Require ip|host` / `Allow from`, nginx `allow` + `deny`
/// in force for `/<front>/`). Only when a configuration serving the store was read.
fn admin_not_ip_restricted(ctx: &Context, d: &mut Diagnosis) {
    use crate::checks::server::{apache, nginx};
    use crate::store::server::Kind;
    use crate::store::server::apache as ap;
    use crate::store::server::nginx as ng;
    let Some(front) = admin_front(ctx) else {
        return;
    };
    let url = format!("/{front}/");
    let root = &ctx.install.root;
    let mut open = Vec::new();
    let mut any = false;
    for c in &ctx.server().configs {
        match c.kind {
            Kind::Apache => {
                let Some(f) = apache::facts(c, root, None, None, &url) else {
                    continue;
                };
                any = true;
                // Access must be granted on every pass: a guard on any of them restricts.
                let guarded = f.passes.iter().any(|p| {
                    let req = ap::requires(&p.scope).iter().any(|s| {
                        let a: Vec<String> =
                            s.node.args.iter().map(|a| a.to_ascii_lowercase()).collect();
                        s.node.is("Require")
                            && matches!(a.first().map(String::as_str), Some("ip" | "host"))
                    }) || ap::requires(&p.scope)
                        .iter()
                        .any(|s| ap::is_require_block(s.node));
                    let compat = p.scope.iter().any(|s| {
                        s.node.is("Allow")
                            && !s.node.args.iter().any(|a| a.eq_ignore_ascii_case("all"))
                    }) && p.scope.iter().any(|s| s.node.is("Deny"));
                    req || compat
                });
                if !guarded {
                    let n = f.vhost.node.unwrap_or(f.vhost.document_root_node);
                    open.push(Evidence::file(
                        &n.file.display().to_string(),
                        Some(n.line),
                        format!(
                            "Apache vhost: no Require ip/host or Allow from in force for {url}"
                        ),
                    ));
                }
            }
            Kind::Nginx => {
                let Some(f) = nginx::facts(c, root, None, None, &url) else {
                    continue;
                };
                any = true;
                let chains: Vec<&Vec<&crate::store::server::Node>> =
                    std::iter::once(&f.first).chain(f.php.as_ref()).collect();
                // The location the path lands in first, or the PHP one: a guard on either restricts.
                let guarded = chains.iter().any(|chain| {
                    let levels = ng::levels(&f.server, chain);
                    let rules = ng::effective_list(&levels, &["allow", "deny"]);
                    rules
                        .iter()
                        .any(|n| n.name == "deny" && n.arg(0) == Some("all"))
                        && rules.iter().any(|n| n.name == "allow")
                });
                if !guarded {
                    let n = f.server.node;
                    open.push(Evidence::file(
                        &n.file.display().to_string(),
                        Some(n.line),
                        format!("nginx server block: no allow/deny list in force for {url}"),
                    ));
                }
            }
        }
    }
    if !any {
        d.skip(
            "audit-admin-not-ip-restricted",
            "no web-server configuration serving the store was read (--server-config)",
        );
        return;
    }
    if open.is_empty() {
        return;
    }
    let mut f = Finding::new(Code::AuditAdminNotIpRestricted, Severity::Warning)
        .detail(format!(
            "The admin URL /{front}/ answers every address: no allow-list in the web server's configuration keeps password guessing and admin exploits to the office or VPN."
        ))
        .fix(Fix {
            summary: format!("Allow only the addresses that administer the store on /{front}/ (a firewall or WAF rule in front does the same)"),
            commands: vec![
                format!("nginx: location /{front} {{ allow 203.0.113.0/24; deny all; try_files $uri $uri/ /index.php$is_args$args; }}"),
                format!("Apache: <Location /{front}> Require ip 203.0.113.0/24 </Location>"),
            ],
            admin_path: None,
        });
    for e in open {
        f = f.evidence(e);
    }
    d.push(f);
}
