//! `fix` (the plan for a diagnosis' findings; with `apply`, carried out and journaled) and
//! `undo` (reverse a journal entry, or list them).

use crate::app::{Common, Error, Outcome, Output, Result};
use crate::fix::journal::{Journal, UndoOptions};
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
}

/// `fix`: the plan; with `apply` the automated fixes, journaled.
pub fn fix(c: &FixConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = common.load(c.request.clone())?;
    let mut plan = crate::fix::server::plan(&ctx);
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
    let out = Output::pick(
        common.format,
        || plan.to_json(applied.as_ref()),
        || plan.to_text(applied.as_ref()),
    );
    Ok(common.outcome(&ctx, out, 0))
}

/// `undo [JOURNAL]`: reverse a journal entry in one transaction (or list the entries).
pub fn undo(c: &UndoConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = common.load(None)?;
    let refused = |e: &dyn std::fmt::Display| Error::refused(&ctx.masker, &e.to_string());
    let journal = Journal::for_root(&ctx.install.root);
    if c.list {
        let entries = journal.list().map_err(|e| refused(&e))?;
        let out = report::journal::entries(&entries, common.format);
        return Ok(common.outcome(&ctx, out, 0));
    }
    let target = journal
        .find(c.journal.as_deref())
        .map_err(|e| refused(&e))?;
    let opts = UndoOptions {
        force: c.force,
        command: common.command.clone(),
        masker: ctx.masker.clone(),
        sealer: Some(Sealer::new(ctx.install.crypt_keys())),
    };
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
