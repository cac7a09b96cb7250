//! `perms:check` (one parallel pass: what is wrong, per kind and folder) and `perms:fix` (the
//! plan; with `--apply` exactly those changes, journaled). Neither needs the database: only the
//! store's files, env.php's `MAGE_MODE`, and the web server's user (php-fpm pools, Apache,
//! nginx, or `--web-user`).

use std::path::PathBuf;

use crate::app::{Common, Error, Outcome, Result};
use crate::checks::file_perms::{self, PermsOptions};
use crate::fix::journal::{EntryMeta, Journal};
use crate::fix::perms::FixOptions;
use crate::mask::Masker;
use crate::progress::{Task, Unit};
use crate::store::Installation;
use crate::store::envphp::ProcessEnv;

/// `perms:check` / `perms:fix`.
#[derive(Debug, Clone)]
pub struct PermsConfig {
    pub common: Common,
    pub options: PermsOptions,
    /// `perms:fix --apply`.
    pub apply: bool,
}

struct Loaded {
    root: PathBuf,
    expect: file_perms::Expectations,
    masker: Masker,
}

fn load(c: &PermsConfig) -> Result<Loaded> {
    let root = c.common.find_root()?;
    let install = Installation::load(&root, &ProcessEnv).map_err(crate::Error::from)?;
    let mut masker = Masker::new();
    if let Some(k) = install.env_string("crypt/key") {
        masker.add_keys(&k);
    }
    if let Some(p) = install.env_string("db/connection/default/password") {
        masker.add(p);
    }
    let server = crate::store::server::load(&c.common.server).map_err(crate::Error::from)?;
    let env_mode = install.env_string("MAGE_MODE");
    let expect = file_perms::expectations(&root, env_mode.as_deref(), &server, &c.options)
        .map_err(Error::Usage)?;
    Ok(Loaded {
        root,
        expect,
        masker,
    })
}

/// `perms:check`: exit 1 when anything is wrong.
pub fn check(c: &PermsConfig) -> Result<Outcome> {
    let l = load(c)?;
    let progress = c.common.progress.get();
    let task = Task::start(progress, "checking the store's files", None, Unit::Items);
    let scan = file_perms::scan(
        &l.root,
        l.expect,
        &file_perms::full_walk(c.options.threads),
        progress,
        None,
    )
    .map_err(|e| Error::Io {
        what: e.path.display().to_string(),
        source: e.source,
    })?;
    drop(task);
    let findings = file_perms::findings(&scan);
    // The contract: exit 1 for a finding of severity error (warnings are reported, exit 0).
    let code = i32::from(
        findings
            .iter()
            .any(|f| f.severity == crate::findings::Severity::Error),
    );
    Ok(Outcome {
        output: crate::report::perms::check(&scan, &findings, c.common.format),
        code,
        masker: l.masker,
    })
}

/// `perms:fix [--apply]`: exit 1 when a change failed or was skipped.
pub fn fix(c: &PermsConfig) -> Result<Outcome> {
    let chown = c.options.owner.is_some();
    if chown && c.apply && crate::store::perms::users::euid() != 0 {
        return Err(Error::Usage(
            "--owner with --apply changes owners: only root may do that (run it as root, or leave out --owner to change modes only)".into(),
        ));
    }
    let l = load(c)?;
    // One writer per store (issue 11): held until the journal entry is written.
    let _lock = if c.apply {
        Some(
            crate::fix::journal::StoreLock::acquire(
                &l.root,
                &l.masker.scrub_command(&c.common.command),
            )
            .map_err(|e| Error::refused(&l.masker, &e.to_string()))?,
        )
    } else {
        None
    };
    let journal = Journal::for_root(&l.root);
    let meta = EntryMeta {
        title: format!(
            "perms:fix ({} mode{})",
            l.expect.mode.as_str(),
            if chown { ", owners" } else { "" }
        ),
        slug: "perms-fix".into(),
        command: c.common.command.clone(),
        masker: l.masker.clone(),
    };
    let result = crate::fix::perms::run(
        &l.root,
        l.expect,
        &FixOptions {
            chown,
            threads: c.options.threads,
        },
        c.apply.then_some((&journal, &meta)),
        c.common.progress.get(),
    )
    .map_err(|e| Error::refused(&l.masker, &e.to_string()))?;
    let findings = file_perms::findings(&result.scan);
    let code = match &result.applied {
        Some((_, a)) => i32::from(a.failed > 0 || a.skipped > 0),
        None => 0,
    };
    Ok(Outcome {
        output: crate::report::perms::fix(&result, &findings, c.common.format),
        code,
        masker: l.masker,
    })
}
