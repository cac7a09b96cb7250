//! `fix` (the plan for a diagnosis' findings; with `apply`, carried out and journaled) and
//! `undo` (reverse a journal entry, or list them).

use crate::app::acl::GrantConfig;
use crate::app::admin::UnlockConfig;
use crate::app::integration::IntegrationConfig;
use crate::app::{Common, Error, Outcome, Output, Result};
use crate::fix::journal::{Journal, UndoOptions};
use crate::fix::own::{OwnDone, OwnStep};
use crate::report;
use crate::request::RequestSpec;
use crate::store::db::write::WriteSession;
use crate::store::secrets::Sealer;

/// `fix`.
#[derive(Debug, Clone)]
pub struct FixConfig {
    pub common: Common,
    /// The request being diagnosed, if one was described.
    pub request: Option<RequestSpec>,
    /// Carry out the automated fixes (otherwise only the plan).
    pub apply: bool,
    /// Where the vhost and the .htaccess could each pass the Authorization header on: both
    /// edits, not only the one chosen.
    pub all_server_fixes: bool,
    /// Show the SQL of the database changes.
    pub verbose: bool,
}

/// `undo`.
#[derive(Debug, Clone)]
pub struct UndoConfig {
    pub common: Common,
    /// The journal entry (its id or file); `None`: the newest.
    pub journal: Option<String>,
    /// List the entries instead.
    pub list: bool,
    /// Undo even when the rows were changed since.
    pub force: bool,
    /// Reverse the entry (otherwise only its plan, like every other write).
    pub apply: bool,
}

/// `fix`: the plan; with `apply` the automated fixes (file edits, then m2auth's own steps),
/// each journaled. Exit 1 when a step of m2auth's own could not be carried out.
pub fn fix(c: &FixConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = common.load(c.request.clone())?;
    // Held from the plan to the journal entry: a second `fix --apply` plans from the files as
    // the first one left them (so an edit is never made twice).
    let lock = if c.apply {
        Some(crate::app::write_lock(&ctx, common)?)
    } else {
        None
    };
    let mut plan = crate::fix::server::plan_with(&ctx, c.all_server_fixes);
    let applied = if c.apply {
        crate::fix::server::apply(&ctx, &plan, common.command.clone())
            .map_err(|e| Error::refused(&ctx.masker, &e.to_string()))?
    } else {
        None
    };
    if c.apply && !plan.cache_clean.is_empty() {
        crate::fix::cache::clean_types(&ctx.install, &plan.cache_clean, ctx.now.as_second())
            .map_err(|e| Error::refused(&ctx.masker, &e.to_string()))?;
        plan.cache_cleaned = true;
    }
    // m2auth's own steps each take the store's write lock themselves, as their commands do.
    drop(lock);
    let own: Vec<OwnDone> = if c.apply {
        plan.own.iter().map(|o| run_own(common, &o.step)).collect()
    } else {
        Vec::new()
    };
    let code = if own.iter().any(|d| !d.ok) { 1 } else { 0 };
    let out = Output::pick(
        common.format,
        || plan.to_json(applied.as_ref(), &own),
        || plan.to_text(applied.as_ref(), &own),
    );
    Ok(common.outcome(&ctx, out, code))
}

/// Carry out one of m2auth's own steps as its command would (`m2auth acl:grant … --apply`):
/// the command's own checks, transaction and journal entry, recorded with its command line.
fn run_own(common: &Common, step: &OwnStep) -> OwnDone {
    let argv = step.argv();
    let command = shell_words::join(&argv);
    let sub = Common {
        format: crate::report::Format::Json,
        command: argv,
        ..common.clone()
    };
    let result = match step {
        OwnStep::Grant { target, resources } => crate::app::acl::grant(&GrantConfig {
            common: sub,
            target: target.clone(),
            resources: resources.clone(),
            apply: true,
            verbose: false,
        }),
        OwnStep::Unlock { user } => crate::app::admin::unlock(&UnlockConfig {
            common: sub,
            user: user.clone(),
        }),
        OwnStep::Activate { integration } => {
            crate::app::integration::activate(&IntegrationConfig {
                common: sub,
                name: integration.clone(),
            })
        }
        // Not automated yet (OwnStep::automated): never planned as m2auth's own.
        OwnStep::CacheClean { .. } => Err(Error::Failed("m2auth does not clean caches yet".into())),
    };
    match result {
        Ok(out) => {
            let doc = match out.output {
                Output::Json(mut v) => {
                    out.masker.scrub_json(&mut v);
                    v
                }
                Output::Text(_) => serde_json::Value::Null,
            };
            let journal = doc["journal"]
                .as_str()
                .filter(|j| !j.is_empty())
                .map(str::to_string);
            let note = match (&journal, doc["note"].as_str()) {
                (_, Some(n)) => n.to_string(),
                (Some(j), None) => {
                    format!("done; journal entry {j} (undo: m2auth undo {j} --apply)")
                }
                (None, None) => "nothing to change".to_string(),
            };
            OwnDone {
                command,
                journal,
                note,
                ok: out.code == 0,
            }
        }
        Err(e) => OwnDone {
            command,
            journal: None,
            note: e.to_string(),
            ok: false,
        },
    }
}

/// `undo [JOURNAL]`: reverse a journal entry in one transaction (or list the entries).
pub fn undo(c: &UndoConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = common.load(None)?;
    let refused = |e: &dyn std::fmt::Display| Error::refused(&ctx.masker, &e.to_string());
    let journal = Journal::for_root(&ctx.install.root);
    if c.list {
        let entries = journal.list().map_err(|e| refused(&e))?;
        let damaged = journal.damaged();
        let out = report::journal::entries(&entries, &damaged, common.format);
        return Ok(common.outcome(&ctx, out, 0));
    }
    let target = journal
        .find(c.journal.as_deref())
        .map_err(|e| refused(&e))?;
    if !c.apply {
        if let Some(u) = &target.entry.undone {
            return Err(refused(&crate::fix::FixError::AlreadyUndone {
                id: target.entry.id.clone(),
                at: u.at.clone(),
            }));
        }
        let out = report::journal::undo_plan(&target, common.format);
        return Ok(common.outcome(&ctx, out, 0));
    }
    let _lock = crate::app::write_lock(&ctx, common)?;
    let opts = UndoOptions {
        force: c.force,
        command: common.command.clone(),
        masker: ctx.masker.clone(),
        sealer: Some(Sealer::new(ctx.install.crypt_keys())),
    };
    if target.entry.perms.is_some() {
        let (outcome, applied) = journal
            .undo_perms(&target, &opts)
            .map_err(|e| refused(&e))?;
        let code = i32::from(applied.failed > 0 || applied.skipped > 0);
        let out = report::journal::undone_perms(&outcome, &applied, common.format);
        return Ok(common.outcome(&ctx, out, code));
    }
    let outcome = if target.entry.database.is_none() {
        // A file-only entry (fix): no database session needed.
        journal
            .undo_files(&target, &opts)
            .map_err(|e| refused(&e))?
    } else {
        let session =
            WriteSession::open(&common.db, ctx.install.env.as_ref()).map_err(|e| refused(&e))?;
        journal
            .undo(session, &target, &opts)
            .map_err(|e| refused(&e))?
    };
    let out = report::journal::undone(&outcome, common.format);
    Ok(common.outcome(&ctx, out, 0))
}
