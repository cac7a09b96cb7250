//! The reports of `admin:user:change-password` and `admin:user:unlock`: what changed, and the
//! journal entry that undoes it.

use serde_json::json;

use crate::fix::admin::{LockState, PasswordChange, Unlock};
use crate::report::{Format, Output};

fn lock_json(state: &LockState) -> serde_json::Value {
    json!(state.describe())
}

/// `admin:user:change-password` done: `journal` is the entry's id, `undo` its undo command.
pub fn password_changed(changed: &PasswordChange, journal: &str, undo: &str, f: Format) -> Output {
    Output::pick(
        f,
        || {
            json!({
                "changed": true,
                "user_id": changed.user_id,
                "username": changed.username,
                "hash_version": changed.hash_version,
                "previous_hash_version": changed.previous_version,
                "admin_passwords_id": changed.history_id,
                "last_updated": changed.last_updated,
                "lock_cleared": lock_json(&changed.cleared),
                "journal": journal,
                "undo": undo,
            })
        },
        || {
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
            t.push_str(&format!("journal entry {journal} (undo: {undo})\n"));
            t.push_str("The password itself is not printed nor stored anywhere: only its hash.\n");
            t
        },
    )
}

/// `admin:user:unlock` on a user with nothing to unlock.
pub fn nothing_to_unlock(done: &Unlock, f: Format) -> Output {
    Output::pick(
        f,
        || {
            json!({
                "changed": false, "user_id": done.user_id, "username": done.username,
                "note": "nothing to unlock",
            })
        },
        || {
            format!(
                "nothing to unlock: admin user '{}' (user_id {}) has no lock, no failure counted and no token-endpoint throttle row\n",
                done.username, done.user_id
            )
        },
    )
}

/// `admin:user:unlock` done.
pub fn unlocked(done: &Unlock, journal: &str, undo: &str, f: Format) -> Output {
    Output::pick(
        f,
        || {
            json!({
                "changed": true, "user_id": done.user_id, "username": done.username,
                "lock_cleared": lock_json(&done.cleared), "journal": journal, "undo": undo,
            })
        },
        || {
            let mut t = format!(
                "Unlocked admin user '{}' (user_id {}) in one transaction:\n",
                done.username, done.user_id
            );
            for line in done.cleared.describe() {
                t.push_str(&format!("  {line}\n"));
            }
            t.push_str(&format!("journal entry {journal} (undo: {undo})\n"));
            t
        },
    )
}
