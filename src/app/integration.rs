//! `integration:list`, `integration:show`, `integration:activate`: the logic is in
//! [`crate::fix::integration`]; this reads the store, opens the write session, journals.

use crate::app::{Common, Error, Outcome, Result};
use crate::checks::roles::AclData;
use crate::context::Context;
use crate::fix::integration::{self as integration_fix, REDACTED_COLUMNS};
use crate::fix::journal::Journal;
use crate::magento::acl::{Acl, AclTree};
use crate::report;
use crate::request::OauthCredentials;
use crate::store::db::Database;
use crate::store::db::write::DUMP_IS_READ_ONLY;
use crate::store::secrets::OauthSecrets;

/// `integration:show NAME|ID` and `integration:activate NAME`.
#[derive(Debug, Clone)]
pub struct IntegrationConfig {
    pub common: Common,
    /// The integration's name (`show` also takes its id).
    pub name: String,
}

fn acl_pair(data: &AclData) -> Option<(&Acl, &AclTree)> {
    data.acl.as_ref().map(|a| (a, &data.tree))
}

fn need_db<'a>(ctx: &'a Context, what: &str) -> Result<&'a dyn Database> {
    ctx.db.as_deref().ok_or_else(|| {
        Error::no_database(
            &ctx.masker,
            &format!(
                "{what} needs the database: {}",
                ctx.db_problem.as_deref().unwrap_or("none")
            ),
        )
    })
}

/// `integration:list`.
pub fn list(common: &Common) -> Result<Outcome> {
    let ctx = common.load(None)?;
    let db = need_db(&ctx, "integration:list")?;
    let data = AclData::load(&ctx);
    let secrets = OauthSecrets::for_store(&ctx.install, Some(db));
    let all = integration_fix::list(db, &secrets, acl_pair(&data))
        .map_err(|e| Error::refused(&ctx.masker, &e.to_string()))?;
    let out = report::integration::list(&all, common.format)?;
    Ok(common.outcome(&ctx, out, 0))
}

/// `integration:show NAME|ID`.
pub fn show(c: &IntegrationConfig) -> Result<Outcome> {
    let ctx = c.common.load(None)?;
    let db = need_db(&ctx, "integration:show")?;
    let data = AclData::load(&ctx);
    let secrets = OauthSecrets::for_store(&ctx.install, Some(db));
    let v = match integration_fix::show(db, &secrets, &c.name, acl_pair(&data)) {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Err(Error::refused(
                &ctx.masker,
                &crate::checks::caller::no_such_integration(db, "name", &c.name),
            ));
        }
        Err(e) => return Err(Error::refused(&ctx.masker, &e.to_string())),
    };
    let out = report::integration::show(&v, c.common.format)?;
    Ok(c.common.outcome(&ctx, out, 0))
}

/// `integration:activate NAME`: status Active and, when it has none, an access token (its
/// credentials in a file only the owner can read); journaled.
pub fn activate(c: &IntegrationConfig) -> Result<Outcome> {
    let common = &c.common;
    let root = common.find_root()?;
    refuse_dump(common)?;
    let ctx = common.load_at(root, None)?;
    let refused = |e: &dyn std::fmt::Display| Error::refused(&ctx.masker, &e.to_string());
    let _lock = crate::app::write_lock(&ctx, common)?;
    let mut session = crate::app::admin::open_session(&ctx, common)?;
    let secrets = OauthSecrets::for_store(&ctx.install, ctx.db.as_deref());
    let act = integration_fix::activate(
        &mut session,
        &secrets,
        &c.name,
        integration_fix::new_token_value,
    )
    .map_err(|e| match (&e, ctx.db.as_deref()) {
        (crate::fix::FixError::NotFound(_), Some(db)) => Error::refused(
            &ctx.masker,
            &format!(
                "{}; nothing was changed",
                crate::checks::caller::no_such_integration(db, "name", &c.name)
            ),
        ),
        _ => refused(&e),
    })?;
    if act.unchanged() {
        session.rollback()?;
        let out = report::integration::already_active(&act, common.format);
        return Ok(common.outcome(&ctx, out, 0));
    }
    // The full credentials go to a file only the owner can read, written before the commit
    // (and removed again when the commit fails).
    let file = match &act.created {
        Some(cr) => {
            let stamp = jiff::Timestamp::now()
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string();
            // The new token's row id keeps two activations in one second apart.
            let path = ctx.install.root.join(format!(
                "var/m2auth/credentials/integration-{}-{stamp}-{}.env",
                act.integration_id, cr.token_id
            ));
            integration_fix::write_private_file(&path, &cr.file_text(&act.name))
                .map_err(|e| refused(&e))?;
            Some(path)
        }
        None => None,
    };
    let mut masker = ctx.masker.clone();
    if let Some(cr) = &act.created {
        masker.add(&cr.access_token);
        masker.add(&cr.token_secret);
        masker.add(&cr.consumer_secret);
    }
    let meta = crate::fix::journal::EntryMeta {
        title: format!("Activate integration {}", act.name),
        slug: "integration-activate".into(),
        command: common.command.clone(),
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
            return Err(refused(&e));
        }
    };
    let (id, undo) = crate::app::admin::journal_line(&listed);
    let out = report::integration::activated(&act, file.as_deref(), &id, &undo, common.format);
    Ok(common.outcome(&ctx, out, 0))
}

/// The commands that write refuse `--dump` before anything is read (exit 2).
pub(crate) fn refuse_dump(common: &Common) -> Result<()> {
    if matches!(common.db, crate::store::db::DbChoice::Dump(_)) {
        return Err(Error::Usage(DUMP_IS_READ_ONLY.to_string()));
    }
    Ok(())
}

/// An integration's OAuth credentials (consumer key and secret, access token and secret), from
/// the database, the secrets decrypted as Magento does. The error says why not (unmasked).
pub fn credentials(ctx: &Context, name: &str) -> Result<OauthCredentials> {
    let db = ctx
        .db_for("integration")
        .map_err(|s| Error::Failed(s.reason))?;
    let secrets = OauthSecrets::for_store(&ctx.install, Some(db));
    integration_fix::credentials(db, &secrets, name).map_err(|e| Error::Failed(e.to_string()))
}
