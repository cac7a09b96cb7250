//! Admin user fixes: `admin:user:change-password` and `admin:user:unlock`, writing what Magento
//! itself writes.
//!
//! * Password: `Magento\User\Model\User::beforeSave()` stores `Encryptor::getHash($password,
//!   true)` (a 32-character salt from `Random::getRandomString()`, the release's latest hash
//!   version), and the `TrackAdminNewPasswordObserver` calls `ResourceModel\User::trackPassword()`,
//!   which inserts `admin_passwords (user_id, password_hash, last_updated = time())` (2.4: the
//!   deprecated `expires` is left at its default). The admin lock is cleared as
//!   `ResourceModel\User::unlock()` does, and the token endpoint's throttle row is removed.
//! * Unlock: `ResourceModel\User::unlock()` (`failures_num = 0, first_failure = NULL,
//!   lock_expires = NULL`) plus the user's `oauth_token_request_log` row (user_type 3 in that
//!   table's own numbering, `RequestThrottler::USER_TYPE_ADMIN`).
//!
//! Everything runs inside the caller's [`WriteSession`] transaction; the caller journals and
//! commits. The new password is never returned, stored or printed: only its hash reaches the
//! database (and the journal, which records rows as the database holds them).

use serde::Serialize;

use super::FixError;
use crate::magento::password::{
    self, DEFAULT_SALT_LENGTH, HashStep, HashVersion, PolicyViolation, StoredHash,
};
use crate::store::db::write::WriteSession;
use crate::store::db::{Row, SqlValue};

pub use crate::magento::token::THROTTLE_ADMIN as THROTTLE_USER_TYPE_ADMIN;

/// Magento's messages for a password its admin policy refuses, one sentence each.
pub fn policy_message(password: &str) -> Option<String> {
    match password::admin_password_policy(password) {
        Ok(()) => None,
        Err(v) => Some(
            v.iter()
                .map(PolicyViolation::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

/// The lock state of an admin user as it was before a fix.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LockState {
    pub lock_expires: Option<String>,
    pub failures_num: Option<i64>,
    pub first_failure: Option<String>,
    /// The token endpoint's throttle row (`oauth_token_request_log`, user_type 3), if any:
    /// (failures_count, lock_expires_at).
    pub throttle: Option<(Option<i64>, Option<String>)>,
}

impl LockState {
    /// Nothing to clear: no lock, no failure counted, no throttle row.
    pub fn is_clear(&self) -> bool {
        self.lock_expires.is_none()
            && self.first_failure.is_none()
            && self.failures_num.unwrap_or(0) == 0
            && self.throttle.is_none()
    }

    /// One line per thing that was set, for "what changed".
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(at) = &self.lock_expires {
            out.push(format!("admin_user.lock_expires {at} → NULL"));
        }
        if let Some(n) = self.failures_num.filter(|n| *n != 0) {
            out.push(format!("admin_user.failures_num {n} → 0"));
        }
        if let Some(at) = &self.first_failure {
            out.push(format!("admin_user.first_failure {at} → NULL"));
        }
        if let Some((n, until)) = &self.throttle {
            out.push(format!(
                "oauth_token_request_log row deleted (failures_count {}, lock_expires_at {})",
                n.map_or_else(|| "NULL".into(), |n| n.to_string()),
                until.as_deref().unwrap_or("NULL")
            ));
        }
        out
    }
}

/// What `change_password` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PasswordChange {
    pub user_id: i64,
    pub username: String,
    /// The version field written (`3_32_2_67108864`).
    pub hash_version: String,
    /// The version field of the hash replaced (`1`, `3_32_2_67108864`…), when it had one.
    pub previous_version: Option<String>,
    /// `admin_passwords.password_id` of the new history row.
    pub history_id: u64,
    /// `admin_passwords.last_updated` written (Unix time).
    pub last_updated: i64,
    pub cleared: LockState,
}

/// What `unlock` did (or found).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unlock {
    pub user_id: i64,
    pub username: String,
    pub cleared: LockState,
}

/// A random salt of Magento's length and alphabet from the system's random source.
pub fn new_salt() -> Result<String, FixError> {
    super::random_string(DEFAULT_SALT_LENGTH, password::SALT_ALPHABET)
}

/// The admin user named `username` (as `User::loadByUsername()` finds it), locked for update.
fn admin_row(session: &mut WriteSession, username: &str) -> Result<Row, FixError> {
    let rows = session.select_for_update("admin_user", &[("username", username.into())])?;
    match rows.as_slice() {
        [] => Err(FixError::NotFound(format!(
            "no admin user is named '{username}' (admin_user.username); nothing was changed"
        ))),
        [one] => Ok(one.clone()),
        _ => Err(FixError::Refused(format!(
            "several admin users match '{username}'; nothing was changed"
        ))),
    }
}

/// Read the lock state of `row` and the user's throttle row (locked for update).
fn lock_state(
    session: &mut WriteSession,
    row: &Row,
    username: &str,
) -> Result<LockState, FixError> {
    let throttle = session
        .select_for_update(
            "oauth_token_request_log",
            &[
                ("user_name", username.into()),
                ("user_type", THROTTLE_USER_TYPE_ADMIN.into()),
            ],
        )?
        .first()
        .map(|t| (t.int("failures_count"), t.text("lock_expires_at")));
    Ok(LockState {
        lock_expires: row.text("lock_expires"),
        failures_num: row.int("failures_num"),
        first_failure: row.text("first_failure"),
        throttle,
    })
}

/// Clear what `state` says is set: `ResourceModel\User::unlock()` and the throttle row.
fn clear_lock(
    session: &mut WriteSession,
    user_id: i64,
    username: &str,
    state: &LockState,
) -> Result<(), FixError> {
    if state.lock_expires.is_some()
        || state.first_failure.is_some()
        || state.failures_num.unwrap_or(0) != 0
    {
        session.update(
            "admin_user",
            &[
                ("failures_num", 0.into()),
                ("first_failure", SqlValue::Null),
                ("lock_expires", SqlValue::Null),
            ],
            &[("user_id", user_id.into())],
        )?;
    }
    if state.throttle.is_some() {
        session.delete(
            "oauth_token_request_log",
            &[
                ("user_name", username.into()),
                ("user_type", THROTTLE_USER_TYPE_ADMIN.into()),
            ],
        )?;
    }
    Ok(())
}

/// Set the password of admin user `username` in the session's open transaction: the hash
/// Magento writes for `version` with `salt`, a password-history row stamped `now_unix`, and the
/// lock cleared. The policy is checked first ([`FixError::Refused`] with Magento's message).
pub fn change_password(
    session: &mut WriteSession,
    username: &str,
    new_password: &str,
    version: HashVersion,
    salt: &str,
    now_unix: i64,
) -> Result<PasswordChange, FixError> {
    if let Some(msg) = policy_message(new_password) {
        return Err(FixError::Refused(msg));
    }
    let row = admin_row(session, username)?;
    let user_id = row
        .int("user_id")
        .ok_or_else(|| FixError::Refused("admin_user row without user_id".into()))?;
    let name = row.text("username").unwrap_or_else(|| username.to_string());
    let previous_version = row
        .text("password")
        .and_then(|p| StoredHash::parse(&p))
        .map(|h| h.version_field);
    let state = lock_state(session, &row, &name)?;
    let hash = password::hash_new(new_password, salt, version)
        .map_err(|e| FixError::Refused(e.to_string()))?;
    let hash_version = StoredHash::parse(&hash)
        .map(|h| h.version_field)
        .unwrap_or_else(|| HashStep::Sha256.token());
    session.update(
        "admin_user",
        &[("password", hash.clone().into())],
        &[("user_id", user_id.into())],
    )?;
    let history_id = session.insert(
        "admin_passwords",
        &[
            ("user_id", user_id.into()),
            ("password_hash", hash.into()),
            ("last_updated", now_unix.into()),
        ],
    )?;
    clear_lock(session, user_id, &name, &state)?;
    Ok(PasswordChange {
        user_id,
        username: name,
        hash_version,
        previous_version,
        history_id,
        last_updated: now_unix,
        cleared: state,
    })
}

/// Unlock admin user `username` in the session's open transaction. When nothing is locked the
/// returned state is clear and nothing was written.
pub fn unlock(session: &mut WriteSession, username: &str) -> Result<Unlock, FixError> {
    let row = admin_row(session, username)?;
    let user_id = row
        .int("user_id")
        .ok_or_else(|| FixError::Refused("admin_user row without user_id".into()))?;
    let name = row.text("username").unwrap_or_else(|| username.to_string());
    let state = lock_state(session, &row, &name)?;
    clear_lock(session, user_id, &name, &state)?;
    Ok(Unlock {
        user_id,
        username: name,
        cleared: state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_messages_are_magentos() {
        assert_eq!(policy_message("abc1234"), None);
        assert_eq!(
            policy_message("abc123").as_deref(),
            Some("Your password must be at least 7 characters.")
        );
        assert_eq!(
            policy_message("abcdefgh").as_deref(),
            Some("Your password must include both numeric and alphabetic characters.")
        );
        assert_eq!(
            policy_message("").as_deref(),
            Some("Password is required field.")
        );
    }

    #[test]
    fn lock_state_clear_and_described() {
        let clear = LockState {
            failures_num: Some(0),
            ..LockState::default()
        };
        assert!(clear.is_clear());
        assert!(clear.describe().is_empty());
        let locked = LockState {
            lock_expires: Some("2030-01-01 00:00:00".into()),
            failures_num: Some(6),
            first_failure: None,
            throttle: Some((Some(6), None)),
        };
        assert!(!locked.is_clear());
        assert_eq!(locked.describe().len(), 3);
    }

    #[test]
    fn salts_are_fresh() {
        let a = new_salt().unwrap();
        let b = new_salt().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
