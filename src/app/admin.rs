//! `admin:user:change-password` and `admin:user:unlock`: the logic is in
//! [`crate::fix::admin`]; this opens the write session, journals, and renders.

use crate::app::{Common, Error, Outcome, Result};
use crate::context::Context;
use crate::fix::admin as admin_fix;
use crate::fix::journal::{EntryMeta, Journal, Listed};
use crate::magento::password::HashVersion;
use crate::magento::release::ReleaseVersion;
use crate::report;
use crate::request::Password;
use crate::store::db::write::WriteSession;
use crate::store::modules::{Edition, Release};

/// `admin_user.rp_token` (a password-reset link token) is a secret: the journal keeps its digest.
const ADMIN_REDACTED: &[&str] = &["admin_user.rp_token"];

/// Where the new password comes from.
#[derive(Debug, Clone)]
pub enum NewPassword {
    /// Given on the command line.
    Given(Password),
    /// Read from this file (minus one trailing newline).
    File(std::path::PathBuf),
    /// Asked twice with this hidden prompt (the CLI's terminal prompt).
    Prompt(fn(&str) -> std::io::Result<String>),
    /// None given and no terminal to ask on.
    Missing,
}

/// `admin:user:change-password`.
#[derive(Debug, Clone)]
pub struct ChangePasswordConfig {
    pub common: Common,
    pub user: String,
    pub password: NewPassword,
}

/// `admin:user:unlock`.
#[derive(Debug, Clone)]
pub struct UnlockConfig {
    pub common: Common,
    pub user: String,
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
fn command_without(command: &[String], password: &str) -> Vec<String> {
    command
        .iter()
        .map(|a| {
            if password.is_empty() {
                a.clone()
            } else if a == password {
                "…".to_string()
            } else {
                a.replace(password, "…")
            }
        })
        .collect()
}

/// The journal entry's id and the command that undoes it.
pub(crate) fn journal_line(listed: &Option<Listed>) -> (String, String) {
    let id = listed
        .as_ref()
        .map(|l| l.entry.id.clone())
        .unwrap_or_default();
    let undo = format!("m2auth undo {id} --apply");
    (id, undo)
}

/// A write session with its transaction open; failing to open one is a refusal (exit 1).
pub(crate) fn open_session(ctx: &Context, common: &Common) -> Result<WriteSession> {
    // Cannot open or start a transaction (unreachable, refused, a read-only dump): exit 2.
    let failed = |e: &dyn std::fmt::Display| Error::no_database(&ctx.masker, &e.to_string());
    let mut s = WriteSession::open(&common.db, ctx.install.env.as_ref()).map_err(|e| failed(&e))?;
    s.begin().map_err(|e| failed(&e))?;
    Ok(s)
}

fn read_new_password(how: &NewPassword, user: &str) -> Result<Password> {
    let terminal = |e| Error::Io {
        what: "cannot read the password from the terminal".into(),
        source: e,
    };
    match how {
        NewPassword::Given(p) => Ok(p.clone()),
        NewPassword::File(path) => crate::app::password_from_file(path),
        NewPassword::Missing => Err(Error::Usage(
            "no new password: give --password, --password-file FILE, or run in a terminal for a hidden prompt".into(),
        )),
        NewPassword::Prompt(prompt) => {
            let first = prompt(&format!("New password of admin user {user} (not shown): "))
                .map_err(terminal)?;
            let again = prompt("Again: ").map_err(terminal)?;
            if first != again {
                return Err(Error::Usage(
                    "the two passwords differ; nothing was changed".into(),
                ));
            }
            Ok(Password::new(first))
        }
    }
}

/// `admin:user:change-password`: the hash Magento would write, password history, lock cleared;
/// journaled.
pub fn change_password(c: &ChangePasswordConfig) -> Result<Outcome> {
    let common = &c.common;
    let root = common.find_root()?;
    crate::app::integration::refuse_dump(common)?;
    let ctx = common.load_at(root, None)?;
    let refused = |e: &dyn std::fmt::Display| Error::refused(&ctx.masker, &e.to_string());
    let password = read_new_password(&c.password, &c.user)?;
    let _lock = crate::app::write_lock(&ctx, common)?;
    if let Some(msg) = admin_fix::policy_message(password.expose()) {
        return Err(refused(&format!("{msg} Nothing was changed.")));
    }
    let version = hash_version(&ctx.install.release);
    let salt = admin_fix::new_salt()?;
    let mut session = open_session(&ctx, common)?;
    let now = jiff::Timestamp::now().as_second();
    let changed = admin_fix::change_password(
        &mut session,
        &c.user,
        password.expose(),
        version,
        &salt,
        now,
    )
    .map_err(|e| refused(&e))?;
    let mut masker = ctx.masker.clone();
    masker.add(password.expose());
    let meta = EntryMeta {
        title: format!("Change the password of admin user {}", changed.username),
        slug: "admin-password".into(),
        command: command_without(&common.command, password.expose()),
        masker,
    };
    let listed = Journal::for_root(&ctx.install.root)
        .commit_redacted(session, &meta, ADMIN_REDACTED)
        .map_err(|e| refused(&e))?;
    let (id, undo) = journal_line(&listed);
    let out = report::admin::password_changed(&changed, &id, &undo, common.format);
    Ok(common.outcome(&ctx, out, 0))
}

/// `admin:user:unlock NAME`: lock, failures and token-endpoint throttle cleared; journaled.
pub fn unlock(c: &UnlockConfig) -> Result<Outcome> {
    let common = &c.common;
    let root = common.find_root()?;
    crate::app::integration::refuse_dump(common)?;
    let ctx = common.load_at(root, None)?;
    let refused = |e: &dyn std::fmt::Display| Error::refused(&ctx.masker, &e.to_string());
    let _lock = crate::app::write_lock(&ctx, common)?;
    let mut session = open_session(&ctx, common)?;
    let done = admin_fix::unlock(&mut session, &c.user).map_err(|e| refused(&e))?;
    if done.cleared.is_clear() {
        session.rollback()?;
        let out = report::admin::nothing_to_unlock(&done, common.format);
        return Ok(common.outcome(&ctx, out, 0));
    }
    let meta = EntryMeta {
        title: format!("Unlock admin user {}", done.username),
        slug: "admin-unlock".into(),
        command: common.command.clone(),
        masker: ctx.masker.clone(),
    };
    let listed = Journal::for_root(&ctx.install.root)
        .commit_redacted(session, &meta, ADMIN_REDACTED)
        .map_err(|e| refused(&e))?;
    let (id, undo) = journal_line(&listed);
    let out = report::admin::unlocked(&done, &id, &undo, common.format);
    Ok(common.outcome(&ctx, out, 0))
}
