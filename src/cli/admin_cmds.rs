//! The fix commands of issue 3: `admin:user:change-password`, `admin:user:unlock`,
//! `integration:list`, `integration:show`, `integration:activate`. The logic is in
//! `m2auth::fix::{admin, integration}`; this file reads arguments, opens the write session,
//! journals and renders.

use anyhow::Context as _;

use super::Output;
use super::args::{ChangePasswordArgs, Command, IntegrationArgs, UnlockArgs};
use m2auth::checks::Context;
use m2auth::checks::permissions::AclData;
use m2auth::fix::admin::{self as admin_fix, LockState};
use m2auth::fix::integration::{self as integration_fix, IntegrationView, REDACTED_COLUMNS};
use m2auth::fix::journal::{EntryMeta, Journal, Listed};
use m2auth::magento::password::HashVersion;
use m2auth::magento::release::ReleaseVersion;
use m2auth::mask::mask;
use m2auth::request::Password;
use m2auth::store::db::DbChoice;
use m2auth::store::db::write::{DUMP_IS_READ_ONLY, WriteSession};
use m2auth::store::modules::{Edition, Release};
use m2auth::store::secrets::OauthSecrets;

/// `admin_user.rp_token` (a password-reset link token) is a secret: the journal keeps its digest.
const ADMIN_REDACTED: &[&str] = &["admin_user.rp_token"];

type Done = anyhow::Result<Result<(Output, i32), String>>;

/// The commands that write refuse `--dump` before anything is read (exit 2).
pub(super) fn refuse_dump(command: &Command, choice: &DbChoice) -> anyhow::Result<()> {
    let writes = matches!(
        command,
        Command::AdminUserChangePassword(_)
            | Command::AdminUserUnlock(_)
            | Command::IntegrationActivate(_)
    );
    if writes && matches!(choice, DbChoice::Dump(_)) {
        anyhow::bail!("{DUMP_IS_READ_ONLY}");
    }
    Ok(())
}

/// The hash version Magento writes on this installation (`Encryptor::getLatestHashVersion()`).
fn hash_version(release: &Release) -> HashVersion {
    let v = release.version.as_deref().and_then(ReleaseVersion::parse);
    let v = match (&release.edition, v) {
        (Edition::MageOs, Some(v)) => Some(v.mage_os_upstream()),
        (_, v) => v,
    };
    HashVersion::latest_for(v.as_ref())
}

/// The command line for the journal with the new password replaced whole (the generic masking
/// keeps two characters of a short value, and does not know a positional password).
fn command_without(password: &str) -> Vec<String> {
    std::env::args()
        .map(|a| {
            if password.is_empty() {
                a
            } else if a == password {
                "…".to_string()
            } else {
                a.replace(password, "…")
            }
        })
        .collect()
}

fn journal_line(listed: &Option<Listed>) -> (String, String) {
    let id = listed
        .as_ref()
        .map(|l| l.entry.id.clone())
        .unwrap_or_default();
    let undo = format!("m2auth undo {id}");
    (id, undo)
}

fn open_session(ctx: &Context, choice: &DbChoice) -> Result<WriteSession, String> {
    let mut s = WriteSession::open(choice, ctx.install.env.as_ref()).map_err(|e| e.to_string())?;
    s.begin().map_err(|e| e.to_string())?;
    Ok(s)
}

/// The new password: `--password`/positional, `--password-file`, else a hidden prompt (twice).
fn new_password(args: &ChangePasswordArgs, user: &str) -> anyhow::Result<Password> {
    use std::io::IsTerminal;
    if let Some(p) = args.password.as_ref().or(args.pass.as_ref()) {
        return Ok(Password::new(p.clone()));
    }
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--password-file {}", path.display()))?;
        return Ok(Password::from_file_contents(&text));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "no new password: give --password, --password-file FILE, or run in a terminal for a hidden prompt"
        );
    }
    let first =
        rpassword::prompt_password(format!("New password of admin user {user} (not shown): "))
            .context("cannot read the password from the terminal")?;
    let again = rpassword::prompt_password("Again: ")
        .context("cannot read the password from the terminal")?;
    if first != again {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(Password::new(first))
}

fn lock_json(state: &LockState) -> serde_json::Value {
    serde_json::json!(state.describe())
}

/// `admin:user:change-password`.
pub(super) fn change_password(
    ctx: &Context,
    args: &ChangePasswordArgs,
    choice: &DbChoice,
    json: bool,
) -> Done {
    let Some(user) = args.username.as_ref().or(args.user.as_ref()) else {
        anyhow::bail!("admin:user:change-password needs a username (USERNAME or --username NAME)");
    };
    let password = new_password(args, user)?;
    if let Some(msg) = admin_fix::policy_message(password.expose()) {
        return Ok(Err(format!("{msg} Nothing was changed.")));
    }
    let version = hash_version(&ctx.install.release);
    let salt = admin_fix::new_salt()?;
    let mut session = match open_session(ctx, choice) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let now = jiff::Timestamp::now().as_second();
    let changed = match admin_fix::change_password(
        &mut session,
        user,
        password.expose(),
        version,
        &salt,
        now,
    ) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let mut masker = ctx.masker.clone();
    masker.add(password.expose());
    let meta = EntryMeta {
        title: format!("Change the password of admin user {}", changed.username),
        slug: "admin-password".into(),
        command: command_without(password.expose()),
        masker,
    };
    let listed = match Journal::for_root(&ctx.install.root).commit_redacted(
        session,
        &meta,
        ADMIN_REDACTED,
    ) {
        Ok(l) => l,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let (id, undo) = journal_line(&listed);
    let out = if json {
        Output::Json(serde_json::json!({
            "changed": true,
            "user_id": changed.user_id,
            "username": changed.username,
            "hash_version": changed.hash_version,
            "previous_hash_version": changed.previous_version,
            "admin_passwords_id": changed.history_id,
            "last_updated": changed.last_updated,
            "lock_cleared": lock_json(&changed.cleared),
            "journal": id,
            "undo": undo,
        }))
    } else {
        let mut t = format!(
            "Changed the password of admin user '{}' (user_id {}) in one transaction:\n",
            changed.username, changed.user_id
        );
        t.push_str(&format!(
            "  admin_user.password: new hash, version {} with a new 32-character salt{}\n",
            changed.hash_version,
            changed
                .previous_version
                .as_ref()
                .map(|v| format!(" (was version {v})"))
                .unwrap_or_default()
        ));
        t.push_str(&format!(
            "  admin_passwords: password history row {} (last_updated {})\n",
            changed.history_id, changed.last_updated
        ));
        for line in changed.cleared.describe() {
            t.push_str(&format!("  {line}\n"));
        }
        t.push_str(&format!("journal entry {id} (undo: {undo})\n"));
        t.push_str("The password itself is not printed nor stored anywhere: only its hash.\n");
        Output::Text(t)
    };
    Ok(Ok((out, 0)))
}

/// `admin:user:unlock NAME`.
pub(super) fn unlock(ctx: &Context, args: &UnlockArgs, choice: &DbChoice, json: bool) -> Done {
    let mut session = match open_session(ctx, choice) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let done = match admin_fix::unlock(&mut session, &args.username) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e.to_string())),
    };
    if done.cleared.is_clear() {
        session.rollback()?;
        let out = if json {
            Output::Json(serde_json::json!({
                "changed": false, "user_id": done.user_id, "username": done.username,
                "note": "nothing to unlock",
            }))
        } else {
            Output::Text(format!(
                "nothing to unlock: admin user '{}' (user_id {}) has no lock, no failure counted and no token-endpoint throttle row\n",
                done.username, done.user_id
            ))
        };
        return Ok(Ok((out, 0)));
    }
    let meta = EntryMeta {
        title: format!("Unlock admin user {}", done.username),
        slug: "admin-unlock".into(),
        command: std::env::args().collect(),
        masker: ctx.masker.clone(),
    };
    let listed = match Journal::for_root(&ctx.install.root).commit_redacted(
        session,
        &meta,
        ADMIN_REDACTED,
    ) {
        Ok(l) => l,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let (id, undo) = journal_line(&listed);
    let out = if json {
        Output::Json(serde_json::json!({
            "changed": true, "user_id": done.user_id, "username": done.username,
            "lock_cleared": lock_json(&done.cleared), "journal": id, "undo": undo,
        }))
    } else {
        let mut t = format!(
            "Unlocked admin user '{}' (user_id {}) in one transaction:\n",
            done.username, done.user_id
        );
        for line in done.cleared.describe() {
            t.push_str(&format!("  {line}\n"));
        }
        t.push_str(&format!("journal entry {id} (undo: {undo})\n"));
        Output::Text(t)
    };
    Ok(Ok((out, 0)))
}

fn integration_text(v: &IntegrationView, out: &mut String) {
    let line = |out: &mut String, k: &str, val: &str| out.push_str(&format!("  {k:<18} {val}\n"));
    out.push_str(&format!("Integration {} '{}'\n", v.integration_id, v.name));
    line(out, "status", &format!("{} ({})", v.status_label, v.status));
    line(out, "setup type", v.setup_type);
    if let Some(e) = &v.email {
        line(out, "email", e);
    }
    if let Some(e) = &v.endpoint {
        line(out, "endpoint", e);
    }
    line(
        out,
        "consumer",
        &v.consumer_id
            .map_or_else(|| "none".to_string(), |c| c.to_string()),
    );
    line(
        out,
        "consumer key",
        v.consumer_key.as_deref().unwrap_or("-"),
    );
    line(
        out,
        "consumer secret",
        v.consumer_secret.as_deref().unwrap_or("-"),
    );
    if let Some(how) = &v.secret_storage {
        line(out, "  stored", how);
    }
    match &v.token {
        Some(t) => {
            line(out, "access token", &t.access_token);
            line(out, "token secret", &t.token_secret);
            line(out, "  stored", &t.secret_storage);
            let mut state = format!("oauth_token {} type {}", t.entity_id, t.kind);
            if t.revoked {
                state.push_str(", REVOKED");
            }
            if let Some(u) = t.user_type {
                state.push_str(&format!(", user_type {u}"));
            }
            if let Some(c) = &t.created_at {
                state.push_str(&format!(", created {c}"));
            }
            line(out, "token", &state);
        }
        None => line(
            out,
            "access token",
            "none (activate the integration to make one)",
        ),
    }
    match (&v.role_id, &v.resources) {
        (None, _) => line(
            out,
            "resources",
            "none: no role (API resources never saved)",
        ),
        (Some(r), Some(res)) => {
            line(out, "role", &r.to_string());
            if res.is_empty() {
                line(out, "resources", "none allowed");
            }
            for (i, id) in res.iter().enumerate() {
                line(out, if i == 0 { "resources" } else { "" }, id);
            }
        }
        (Some(r), None) => {
            line(out, "role", &r.to_string());
            line(out, "resources", "unknown (the ACL could not be evaluated)");
        }
    }
}

fn acl_pair(
    data: &AclData,
) -> Option<(&m2auth::magento::acl::Acl, &m2auth::magento::acl::AclTree)> {
    data.acl.as_ref().map(|a| (a, &data.tree))
}

fn need_db<'a>(
    ctx: &'a Context,
    what: &str,
) -> Result<&'a dyn m2auth::store::db::Database, String> {
    ctx.db.as_deref().ok_or_else(|| {
        format!(
            "{what} needs the database: {}",
            ctx.db_problem.as_deref().unwrap_or("none")
        )
    })
}

/// `integration:list`.
pub(super) fn integration_list(ctx: &Context, json: bool) -> Done {
    let db = match need_db(ctx, "integration:list") {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let data = AclData::load(ctx);
    let secrets = OauthSecrets::for_store(&ctx.install, Some(db));
    let all = match integration_fix::list(db, &secrets, acl_pair(&data)) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let out = if json {
        Output::Json(serde_json::to_value(&all)?)
    } else {
        let mut t = String::new();
        t.push_str(&format!(
            "{:<4} {:<28} {:<9} {:<34} {:<12} {}\n",
            "ID", "NAME", "STATUS", "CONSUMER KEY", "TOKEN", "RESOURCES"
        ));
        for v in &all {
            let token = match &v.token {
                Some(t) if t.revoked => format!("{} revoked", t.kind),
                Some(t) => t.kind.clone(),
                None => "none".into(),
            };
            let res = match &v.resources {
                Some(r) if r.len() == 1 && r[0] == "Magento_Backend::all" => "all".to_string(),
                Some(r) => r.len().to_string(),
                None if v.role_id.is_none() => "no role".into(),
                None => "?".into(),
            };
            t.push_str(&format!(
                "{:<4} {:<28} {:<9} {:<34} {:<12} {}\n",
                v.integration_id,
                v.name,
                v.status_label,
                v.consumer_key.as_deref().unwrap_or("-"),
                token,
                res
            ));
        }
        if all.is_empty() {
            t = "no integrations\n".into();
        }
        Output::Text(t)
    };
    Ok(Ok((out, 0)))
}

/// `integration:show NAME|ID`.
pub(super) fn integration_show(ctx: &Context, args: &IntegrationArgs, json: bool) -> Done {
    let db = match need_db(ctx, "integration:show") {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let data = AclData::load(ctx);
    let secrets = OauthSecrets::for_store(&ctx.install, Some(db));
    let v = match integration_fix::show(db, &secrets, &args.name, acl_pair(&data)) {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Ok(Err(format!(
                "no integration is named '{}' (integration.name)",
                args.name
            )));
        }
        Err(e) => return Ok(Err(e.to_string())),
    };
    let out = if json {
        Output::Json(serde_json::to_value(&v)?)
    } else {
        let mut t = String::new();
        integration_text(&v, &mut t);
        Output::Text(t)
    };
    Ok(Ok((out, 0)))
}

/// `integration:activate NAME`.
pub(super) fn integration_activate(
    ctx: &Context,
    args: &IntegrationArgs,
    choice: &DbChoice,
    json: bool,
) -> Done {
    let mut session = match open_session(ctx, choice) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let secrets = OauthSecrets::for_store(&ctx.install, ctx.db.as_deref());
    let act = match integration_fix::activate(
        &mut session,
        &secrets,
        &args.name,
        integration_fix::new_token_value,
    ) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e.to_string())),
    };
    if act.unchanged() {
        session.rollback()?;
        let out = if json {
            Output::Json(serde_json::json!({
                "changed": false, "integration_id": act.integration_id, "name": act.name,
                "status": integration_fix::status_label(act.status_before),
                "token": act.existing,
                "note": "already active, with a token",
            }))
        } else {
            Output::Text(format!(
                "nothing to do: integration '{}' (integration_id {}) is already active and has a token{}\n",
                act.name,
                act.integration_id,
                act.existing
                    .as_ref()
                    .map(|t| format!(" (oauth_token {}, type {})", t.entity_id, t.kind))
                    .unwrap_or_default()
            ))
        };
        return Ok(Ok((out, 0)));
    }
    // The full credentials go to a file only the owner can read, written before the commit
    // (and removed again when the commit fails).
    let file = match &act.created {
        Some(c) => {
            let stamp = jiff::Timestamp::now()
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string();
            // The new token's row id keeps two activations in one second apart.
            let path = ctx.install.root.join(format!(
                "var/m2auth/credentials/integration-{}-{stamp}-{}.env",
                act.integration_id, c.token_id
            ));
            if let Err(e) = integration_fix::write_private_file(&path, &c.file_text(&act.name)) {
                return Ok(Err(e.to_string()));
            }
            Some(path)
        }
        None => None,
    };
    let mut masker = ctx.masker.clone();
    if let Some(c) = &act.created {
        masker.add(&c.access_token);
        masker.add(&c.token_secret);
        masker.add(&c.consumer_secret);
    }
    let meta = EntryMeta {
        title: format!("Activate integration {}", act.name),
        slug: "integration-activate".into(),
        command: std::env::args().collect(),
        masker: masker.clone(),
    };
    let listed = match Journal::for_root(&ctx.install.root).commit_sealed(
        session,
        &meta,
        REDACTED_COLUMNS,
        Some(&secrets.sealer()),
    ) {
        Ok(l) => l,
        Err(e) => {
            if let Some(p) = &file {
                let _ = std::fs::remove_file(p);
            }
            return Ok(Err(e.to_string()));
        }
    };
    let (id, undo) = journal_line(&listed);
    let status_change = format!(
        "{} → Active",
        integration_fix::status_label(act.status_before)
    );
    let endpoint_note = act.endpoint.as_ref().filter(|_| act.created.is_some()).map(|e| {
        format!(
            "Magento would post the consumer credentials to the endpoint {e} and let the application fetch its token over OAuth; m2auth made the token directly, so give the application the credentials from the file."
        )
    });
    let out = if json {
        Output::Json(serde_json::json!({
            "changed": true,
            "integration_id": act.integration_id,
            "name": act.name,
            "status": status_change,
            "token_created": act.created.as_ref().map(|c| serde_json::json!({
                "oauth_token_id": c.token_id,
                "type": "access",
                "user_type": integration_fix::USER_TYPE_INTEGRATION,
                "access_token": mask(&c.access_token),
                "token_secret": mask(&c.token_secret),
                "secret_storage": act.secret_storage,
            })),
            "existing_token": act.existing,
            "replaced_existing_token": act.replaced,
            "credentials_file": file.as_ref().map(|p| p.display().to_string()),
            "note": endpoint_note,
            "journal": id,
            "undo": undo,
        }))
    } else {
        let mut t = format!(
            "Activated integration '{}' (integration_id {}) in one transaction:\n",
            act.name, act.integration_id
        );
        if act.status_before != integration_fix::STATUS_ACTIVE {
            t.push_str(&format!("  integration.status {status_change}\n"));
        }
        if act.replaced
            && let Some(e) = &act.existing
        {
            t.push_str(&format!(
                "  reauthorised: deleted its {}token (oauth_token {}, type {}), as the admin's Reauthorize does\n",
                if e.revoked { "revoked " } else { "" },
                e.entity_id,
                e.kind
            ));
        }
        if let Some(c) = &act.created {
            t.push_str(&format!(
                "  oauth_token {}: a new access token (type access, user_type 1)\n    access token  {}\n    token secret  {}\n",
                c.token_id,
                mask(&c.access_token),
                mask(&c.token_secret)
            ));
            if let Some(how) = &act.secret_storage {
                t.push_str(&format!("    stored        {how}\n"));
            }
        } else if let Some(e) = &act.existing {
            t.push_str(&format!(
                "  kept its existing token (oauth_token {}, type {}{})\n",
                e.entity_id,
                e.kind,
                if e.revoked { ", REVOKED" } else { "" }
            ));
        }
        if let Some(p) = &file {
            t.push_str(&format!(
                "The full credentials (consumer key and secret, access token and secret) are in\n  {}\n(mode 0600, readable only by you): store them where they are needed, then delete the file.\n",
                p.display()
            ));
        }
        if let Some(n) = &endpoint_note {
            t.push_str(&format!("{n}\n"));
        }
        t.push_str(&format!("journal entry {id} (undo: {undo})\n"));
        t.push_str("Afterwards: bin/magento cache:clean config (integration caches).\n");
        Output::Text(t)
    };
    Ok(Ok((out, 0)))
}
