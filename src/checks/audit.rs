//! Step 9: prevention. Settings that do not cause today's 401 but weaken the store or will cause
//! trouble later.

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::cryptkey::{self, KeyForm};
use crate::magento::release::ReleaseVersion;
use crate::store::modules::Edition;
use crate::store::root::{CONFIG_PHP, ENV_PHP};

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    default_admin_path(ctx, d);
    two_factor(ctx, d);
    legacy_crypt_key(ctx, d);
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
