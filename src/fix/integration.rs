//! Integrations: `integration:list`, `integration:show` (read-only) and `integration:activate`.
//!
//! Activation does what the admin's "Activate" does for an integration
//! (`Adminhtml\Integration\TokensExchange` → `OauthService::createAccessToken($consumerId)` and
//! `status = STATUS_ACTIVE`): when the consumer has no `oauth_token` row yet, one row is made the
//! way `Token::createVerifierToken()`, `createRequestToken()` and `convertToAccess()` leave it —
//! `type = 'access'`, a 32-character token, secret and verifier from `Oauth\Helper\Oauth`
//! (`Random::getRandomString(32, CHARS_DIGITS . CHARS_LOWERS)`), `callback_url` the consumer's or
//! `'oob'`, `user_type = 1` (integration), `revoked = 0`, and `authorized` left at its default 0
//! (none of those methods sets it; neither the bearer reader nor OAuth validation reads it).
//!
//! Every secret (consumer secret, access token, token secret) is masked in the views; the
//! journal records the new token row with digests in place of the secret columns
//! ([`REDACTED_COLUMNS`]).

use serde::Serialize;

use super::FixError;
use crate::magento::acl::{Acl, AclTree, UserType, allowed_resources};
use crate::mask::mask;
use crate::store::acl as store_acl;
use crate::store::db::write::WriteSession;
use crate::store::db::{Database, DbError, Row};
use crate::store::secrets::{OauthSecrets, SecretRead};

/// `Integration::STATUS_*`.
pub const STATUS_INACTIVE: i64 = 0;
pub const STATUS_ACTIVE: i64 = 1;
pub const STATUS_RECREATED: i64 = 2;
/// `UserContextInterface::USER_TYPE_INTEGRATION`.
pub const USER_TYPE_INTEGRATION: i64 = 1;
/// `Oauth\Helper\Oauth::CALLBACK_ESTABLISHED`.
pub const CALLBACK_ESTABLISHED: &str = "oob";
/// `Oauth\Helper\Oauth::LENGTH_TOKEN` (= secret, verifier lengths).
pub const TOKEN_LENGTH: usize = 32;
/// `Random::CHARS_DIGITS . Random::CHARS_LOWERS`: the alphabet of OAuth tokens and secrets.
pub const TOKEN_ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// Secret columns of the rows activation writes: the journal keeps digests of them only.
pub const REDACTED_COLUMNS: &[&str] = &[
    "oauth_token.token",
    "oauth_token.secret",
    "oauth_token.verifier",
];

/// Magento's label of `integration.status` (Integrations grid).
pub fn status_label(status: i64) -> &'static str {
    match status {
        STATUS_INACTIVE => "Inactive",
        STATUS_ACTIVE => "Active",
        STATUS_RECREATED => "Reset",
        _ => "Unknown",
    }
}

/// The token of an integration's consumer (`oauth_token` by `consumer_id`), secrets masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenView {
    pub entity_id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// Masked.
    pub access_token: String,
    /// Masked (decrypted first where the release stores it encrypted).
    pub token_secret: String,
    /// How `oauth_token.secret` is stored (clear, or encrypted and with which key).
    pub secret_storage: String,
    pub revoked: bool,
    pub authorized: bool,
    pub user_type: Option<i64>,
    pub created_at: Option<String>,
}

/// An integration as `integration:list` / `integration:show` print it. No secret is held whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntegrationView {
    pub integration_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub endpoint: Option<String>,
    pub identity_link_url: Option<String>,
    pub status: i64,
    pub status_label: &'static str,
    /// `manual` (0, made in the admin) or `config` (1, from `integration/config.xml`).
    pub setup_type: &'static str,
    pub consumer_id: Option<i64>,
    /// Shown whole: it is sent in every OAuth request and identifies, it does not authenticate.
    pub consumer_key: Option<String>,
    /// Masked (decrypted first where the release stores it encrypted).
    pub consumer_secret: Option<String>,
    /// How `oauth_consumer.secret` is stored (clear, or encrypted and with which key).
    pub secret_storage: Option<String>,
    pub token: Option<TokenView>,
    /// More `oauth_token` rows of the consumer than the one shown (Magento uses the first).
    pub other_tokens: usize,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// `authorization_role.role_id` of the integration (user_type 1), when saved.
    pub role_id: Option<i64>,
    /// Allowed ACL resources (`["Magento_Backend::all"]` when everything is); `None` when the
    /// ACL could not be evaluated.
    pub resources: Option<Vec<String>>,
}

fn opt_text(row: &Row, col: &str) -> Option<String> {
    row.text(col).filter(|s| !s.is_empty())
}

/// The token Magento uses for a consumer (`TokenProvider::getIntegrationTokenByConsumerId()`:
/// the row of `consumer_id`, the first by id), and how many more there are.
fn consumer_token(
    db: &dyn Database,
    secrets: &OauthSecrets,
    consumer_id: i64,
) -> Result<(Option<TokenView>, usize), DbError> {
    let mut rows = db.rows("oauth_token", &[("consumer_id", consumer_id.into())])?;
    rows.sort_by_key(|r| r.int("entity_id").unwrap_or(i64::MAX));
    let n = rows.len();
    let view = rows.first().map(|t| TokenView::from_row(t, secrets));
    Ok((view, n.saturating_sub(1)))
}

fn view(
    db: &dyn Database,
    secrets: &OauthSecrets,
    row: &Row,
    acl: Option<(&Acl, &AclTree)>,
) -> Result<IntegrationView, DbError> {
    let integration_id = row.int("integration_id").unwrap_or(0);
    let status = row.int("status").unwrap_or(0);
    let consumer_id = row.int("consumer_id");
    let (consumer_key, consumer_secret, secret_storage, token, other_tokens) = match consumer_id {
        Some(cid) => {
            let consumer = db.rows("oauth_consumer", &[("entity_id", cid.into())])?;
            let c = consumer.first();
            let (token, others) = consumer_token(db, secrets, cid)?;
            let read = c
                .and_then(|c| c.text("secret"))
                .map(|s| secrets.consumer_secret(&s));
            (
                c.and_then(|c| c.text("key")),
                read.as_ref().map(|r| mask(r.value())),
                read.as_ref().map(SecretRead::how),
                token,
                others,
            )
        }
        None => (None, None, None, None, 0),
    };
    let role = u64::try_from(integration_id)
        .ok()
        .map(|id| store_acl::role_for(db, id, UserType::Integration))
        .transpose()?
        .flatten();
    let role_id = role.as_ref().and_then(|r| i64::try_from(r.role_id).ok());
    let resources = match (acl, &role) {
        (Some((acl, tree)), Some(role)) if acl.build_error().is_none() => {
            if acl.is_allowed(role.role_id, "Magento_Backend::all").allowed {
                Some(vec!["Magento_Backend::all".to_string()])
            } else {
                Some(allowed_resources(acl, tree, role.role_id))
            }
        }
        (Some(_), None) => Some(Vec::new()),
        _ => None,
    };
    Ok(IntegrationView {
        integration_id,
        name: row.text("name").unwrap_or_default(),
        email: opt_text(row, "email"),
        endpoint: opt_text(row, "endpoint"),
        identity_link_url: opt_text(row, "identity_link_url"),
        status,
        status_label: status_label(status),
        setup_type: if row.int("setup_type").unwrap_or(0) == 1 {
            "config"
        } else {
            "manual"
        },
        consumer_id,
        consumer_key,
        consumer_secret,
        secret_storage,
        token,
        other_tokens,
        created_at: row.text("created_at"),
        updated_at: row.text("updated_at"),
        role_id,
        resources,
    })
}

/// An integration's OAuth credentials for signing requests: its consumer's key and secret and
/// its access token (not revoked) and secret, the secrets as Magento loads them (decrypted on
/// releases that store them encrypted). A secret that cannot be decrypted is an error.
pub fn credentials(
    db: &dyn Database,
    secrets: &OauthSecrets,
    name: &str,
) -> Result<crate::request::OauthCredentials, FixError> {
    let rows = db.rows("integration", &[("name", name.into())])?;
    let consumer_id = rows
        .first()
        .and_then(|r| r.int("consumer_id"))
        .ok_or_else(|| {
            FixError::NotFound(format!("no integration '{name}' with an OAuth consumer"))
        })?;
    let consumer = db.rows("oauth_consumer", &[("entity_id", consumer_id.into())])?;
    let consumer = consumer.first().ok_or_else(|| {
        FixError::NotFound(format!(
            "integration '{name}': no oauth_consumer row {consumer_id}"
        ))
    })?;
    let tokens = db.rows("oauth_token", &[("consumer_id", consumer_id.into())])?;
    let token = tokens
        .iter()
        .find(|t| t.text("type").as_deref() == Some("access") && t.int("revoked") != Some(1))
        .ok_or_else(|| FixError::NotFound(format!("integration '{name}' has no access token that is not revoked (integration:activate {name})")))?;
    let open = |what: &str, read: SecretRead| match read {
        SecretRead::Undecryptable(e) => Err(FixError::Refused(format!(
            "integration '{name}': {what} {e}"
        ))),
        r => Ok(r.value().to_string()),
    };
    Ok(crate::request::OauthCredentials {
        consumer_key: consumer.text("key").unwrap_or_default(),
        consumer_secret: open(
            "oauth_consumer.secret",
            secrets.consumer_secret(&consumer.text("secret").unwrap_or_default()),
        )?,
        token: token.text("token").unwrap_or_default(),
        token_secret: open(
            "oauth_token.secret",
            secrets.token_secret(&token.text("secret").unwrap_or_default(), "access"),
        )?,
    })
}

/// Every integration, by id.
pub fn list(
    db: &dyn Database,
    secrets: &OauthSecrets,
    acl: Option<(&Acl, &AclTree)>,
) -> Result<Vec<IntegrationView>, DbError> {
    let mut rows = db.rows("integration", &[])?;
    rows.sort_by_key(|r| r.int("integration_id").unwrap_or(i64::MAX));
    rows.iter().map(|r| view(db, secrets, r, acl)).collect()
}

/// One integration by name, or by id when `name` is a number and no integration has that name
/// (as n98's `integration:show name|id`).
pub fn show(
    db: &dyn Database,
    secrets: &OauthSecrets,
    name: &str,
    acl: Option<(&Acl, &AclTree)>,
) -> Result<Option<IntegrationView>, DbError> {
    let mut rows = db.rows("integration", &[("name", name.into())])?;
    if rows.is_empty()
        && let Ok(id) = name.parse::<i64>()
    {
        rows = db.rows("integration", &[("integration_id", id.into())])?;
    }
    rows.first().map(|r| view(db, secrets, r, acl)).transpose()
}

/// A freshly made access token and secret. `Debug` never shows them.
#[derive(Clone, PartialEq)]
pub struct NewCredentials {
    /// `oauth_token.entity_id` of the new row.
    pub token_id: u64,
    pub consumer_key: String,
    pub consumer_secret: String,
    pub access_token: String,
    pub token_secret: String,
}

impl std::fmt::Debug for NewCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCredentials")
            .field("token_id", &self.token_id)
            .field("access_token", &mask(&self.access_token))
            .finish_non_exhaustive()
    }
}

impl NewCredentials {
    /// The file body: the four OAuth 1.0a values, `NAME=value` per line.
    pub fn file_text(&self, integration: &str) -> String {
        format!(
            "# m2auth integration:activate: OAuth 1.0a credentials of integration '{integration}'\n\
             # Keep this file private (0600) and delete it once the values are stored where they are needed.\n\
             CONSUMER_KEY={}\nCONSUMER_SECRET={}\nACCESS_TOKEN={}\nACCESS_TOKEN_SECRET={}\n",
            self.consumer_key, self.consumer_secret, self.access_token, self.token_secret
        )
    }
}

/// What `activate` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Activation {
    pub integration_id: i64,
    pub name: String,
    pub status_before: i64,
    pub endpoint: Option<String>,
    /// The token row made, when the consumer had none.
    pub created: Option<NewCredentials>,
    /// The consumer's existing token (masked view), when it had one.
    pub existing: Option<TokenView>,
    /// The existing token was deleted and `created` replaces it (Reauthorize).
    pub replaced: bool,
    /// How the new token's secret was stored (encrypted with which key, or in clear and why).
    pub secret_storage: Option<String>,
}

impl Activation {
    /// Nothing was (or needs to be) written.
    pub fn unchanged(&self) -> bool {
        self.status_before == STATUS_ACTIVE && self.created.is_none()
    }
}

/// Activate integration `name` in the session's open transaction: status 1 and, when the
/// consumer has no token yet, a fresh access token. `random` makes each 32-character value;
/// the token secret is stored as this release stores it (`secrets`: encrypted with the current
/// key of `crypt/key` since 2.4.3-p2, in clear before).
pub fn activate(
    session: &mut WriteSession,
    secrets: &OauthSecrets,
    name: &str,
    mut random: impl FnMut() -> Result<String, FixError>,
) -> Result<Activation, FixError> {
    let rows = session.select_for_update("integration", &[("name", name.into())])?;
    let Some(row) = rows.first() else {
        return Err(FixError::NotFound(format!(
            "no integration is named '{name}' (integration.name); nothing was changed"
        )));
    };
    let integration_id = row
        .int("integration_id")
        .ok_or_else(|| FixError::Refused("integration row without integration_id".into()))?;
    let status_before = row.int("status").unwrap_or(0);
    let Some(consumer_id) = row.int("consumer_id") else {
        return Err(FixError::Refused(format!(
            "integration '{name}' has no OAuth consumer (integration.consumer_id is NULL): save it once in System > Extensions > Integrations; nothing was changed"
        )));
    };
    let consumer =
        session.select_for_update("oauth_consumer", &[("entity_id", consumer_id.into())])?;
    let Some(consumer) = consumer.first() else {
        return Err(FixError::Refused(format!(
            "integration '{name}' points at OAuth consumer {consumer_id}, which does not exist; nothing was changed"
        )));
    };
    let mut tokens =
        session.select_for_update("oauth_token", &[("consumer_id", consumer_id.into())])?;
    tokens.sort_by_key(|r| r.int("entity_id").unwrap_or(i64::MAX));
    let existing = tokens.first().map(|t| TokenView::from_row(t, secrets));
    // The credentials handed out carry the consumer secret as Magento loads it: one that no key
    // decrypts is no secret a client can sign with.
    let consumer_secret = match secrets
        .consumer_secret(&consumer.text("secret").unwrap_or_default())
    {
        SecretRead::Undecryptable(e) => {
            return Err(FixError::Refused(format!(
                "integration '{name}': oauth_consumer.secret {e}; no OAuth call can be signed with it, so activation would not help. Reauthorise it in System > Extensions > Integrations (Magento makes and encrypts new credentials); nothing was changed"
            )));
        }
        r => r.value().to_string(),
    };
    if status_before != STATUS_ACTIVE {
        session.update(
            "integration",
            &[("status", STATUS_ACTIVE.into())],
            &[("integration_id", integration_id.into())],
        )?;
    }
    // Magento's Reauthorize (`OauthService::createAccessToken($consumerId, true)`) deletes the
    // consumer's token and issues a new one; it is what a recreated integration (status 2)
    // needs, and what a revoked or non-access leftover token needs too.
    // So does a token whose secret Magento cannot read (written in clear on a release that
    // encrypts, e.g. by an older m2auth, or with a crypt key since replaced).
    let unreadable = tokens.first().is_some_and(|t| {
        matches!(
            secrets.token_secret(
                &t.text("secret").unwrap_or_default(),
                &t.text("type").unwrap_or_default()
            ),
            SecretRead::Undecryptable(_)
        )
    });
    let reauthorize = existing.as_ref().is_some_and(|e| {
        status_before == STATUS_RECREATED || e.revoked || e.kind != "access" || unreadable
    });
    if reauthorize {
        session.delete("oauth_token", &[("consumer_id", consumer_id.into())])?;
    }
    let mut secret_storage = None;
    let created = if existing.is_none() || reauthorize {
        let access_token = random()?;
        let token_secret = random()?;
        let (stored_secret, how) = store_form(session, secrets, &token_secret)?;
        secret_storage = Some(how);
        let verifier = random()?;
        let callback = consumer
            .text("callback_url")
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| CALLBACK_ESTABLISHED.to_string());
        let token_id = session.insert(
            "oauth_token",
            &[
                ("consumer_id", consumer_id.into()),
                ("type", "access".into()),
                ("token", access_token.clone().into()),
                ("secret", stored_secret.into()),
                ("verifier", verifier.into()),
                ("callback_url", callback.into()),
                ("revoked", 0.into()),
                ("user_type", USER_TYPE_INTEGRATION.into()),
            ],
        )?;
        Some(NewCredentials {
            token_id,
            consumer_key: consumer.text("key").unwrap_or_default(),
            consumer_secret,
            access_token,
            token_secret,
        })
    } else {
        None
    };
    Ok(Activation {
        integration_id,
        name: row.text("name").unwrap_or_else(|| name.to_string()),
        status_before,
        endpoint: opt_text(row, "endpoint"),
        created,
        existing,
        replaced: reauthorize,
        secret_storage,
    })
}

/// The value to write to `oauth_token.secret` for a new access token, and how it is stored.
/// Never truncated: an encrypted secret that does not fit the column (varchar(32), the schema of
/// the releases before 2.4.3-p2 widened it to 128) is stored in clear as that schema's release
/// does, unless the store's own code or patch_list says it decrypts (then nothing is written).
fn store_form(
    session: &mut WriteSession,
    secrets: &OauthSecrets,
    plain: &str,
) -> Result<(String, String), FixError> {
    if !secrets.encrypts {
        return Ok((plain.to_string(), format!("in clear ({})", secrets.source)));
    }
    let sealed = secrets.to_store(plain).map_err(|e| {
        FixError::Refused(format!(
            "the new token secret cannot be encrypted as this release stores it ({e}); nothing was changed"
        ))
    })?;
    let width = session.column_max_length("oauth_token", "secret")?;
    match width {
        Some(w) if (sealed.len() as u64) > w => {
            if secrets.strong {
                return Err(FixError::Refused(format!(
                    "this release stores token secrets encrypted ({}), but oauth_token.secret is varchar({w}), too short for them: the database schema is older than the code (run bin/magento setup:upgrade); nothing was changed",
                    secrets.source
                )));
            }
            Ok((
                plain.to_string(),
                format!(
                    "in clear: oauth_token.secret is varchar({w}), the schema of a release before the encryption (2.4.3-p2 widened it to 128)"
                ),
            ))
        }
        _ => Ok((
            sealed.clone(),
            format!(
                "encrypted with key #{} of crypt/key, as this release stores it ({})",
                sealed.split(':').next().unwrap_or("0"),
                secrets.source
            ),
        )),
    }
}

impl TokenView {
    /// The masked view of an `oauth_token` row.
    pub fn from_row(t: &crate::store::db::Row, secrets: &OauthSecrets) -> TokenView {
        let kind = t.text("type").unwrap_or_default();
        let secret = secrets.token_secret(&t.text("secret").unwrap_or_default(), &kind);
        TokenView {
            entity_id: t.int("entity_id").unwrap_or(0),
            access_token: mask(&t.text("token").unwrap_or_default()),
            token_secret: mask(secret.value()),
            secret_storage: secret.how(),
            kind,
            revoked: t.int("revoked").unwrap_or(0) != 0,
            authorized: t.int("authorized").unwrap_or(0) != 0,
            user_type: t.int("user_type"),
            created_at: t.text("created_at"),
        }
    }
}

/// A random OAuth token value: 32 characters of [`TOKEN_ALPHABET`].
pub fn new_token_value() -> Result<String, FixError> {
    super::random_string(TOKEN_LENGTH, TOKEN_ALPHABET)
}

/// Write `text` to a new file `path` readable only by its owner (0600; the folders m2auth
/// creates are 0700). Never overwrites.
pub fn write_private_file(path: &std::path::Path, text: &str) -> Result<(), FixError> {
    use std::io::Write;
    let io = |e: std::io::Error| FixError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    if let Some(dir) = path.parent() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            io(e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_values_use_magentos_alphabet() {
        let t = new_token_value().unwrap();
        assert_eq!(t.len(), 32);
        assert!(t.bytes().all(|b| TOKEN_ALPHABET.contains(&b)));
        assert_ne!(t, new_token_value().unwrap());
    }

    #[test]
    fn credentials_debug_is_masked() {
        let c = NewCredentials {
            token_id: 7,
            consumer_key: "k".repeat(32),
            consumer_secret: "s".repeat(32),
            access_token: "abcdefghijklmnopqrstuvwxyz012345".into(),
            token_secret: "t".repeat(32),
        };
        let d = format!("{c:?}");
        assert!(!d.contains("abcdefghijklmnopqrstuvwxyz012345"), "{d}");
        assert!(!d.contains(&"s".repeat(32)));
        assert_eq!(status_label(2), "Reset");
    }

    #[test]
    fn private_file_is_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("var/m2auth/credentials/x.env");
        write_private_file(&p, "A=b\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(write_private_file(&p, "again").is_err());
    }
}
