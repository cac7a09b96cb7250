//! The OAuth secrets as Magento reads and writes them.
//!
//! Since 2.4.3-p2 / 2.4.4 `Magento\Integration\Model\ResourceModel\Oauth\Consumer` encrypts
//! `oauth_consumer.secret` on save and decrypts it on load, and `…\Oauth\Token` does the same for
//! `oauth_token.secret` of `type = 'access'` tokens (request and verifier tokens stay in clear);
//! the data patches `UpgradeConsumerSecret` and `UpgradeOauthToken` encrypted the rows already
//! there. Earlier releases keep both in clear. [`OauthSecrets`] knows which of the two this store
//! does, and where that was read, and holds the keys of `crypt/key` to decrypt and encrypt with
//! ([`crate::magento::encryptor`]).

use std::path::PathBuf;

use crate::magento::encryptor::{self, DecryptError, Decrypted, NONCE_LEN, Stored};
use crate::magento::release::ReleaseVersion;
use crate::store::Installation;
use crate::store::db::Database;

/// The data patch that encrypts the access tokens' secrets (and, with `UpgradeConsumerSecret`,
/// marks a release that keeps OAuth secrets encrypted).
pub const TOKEN_PATCH: &str = "Magento\\Integration\\Setup\\Patch\\Data\\UpgradeOauthToken";
const TOKEN_PATCH_FILE: &str = "Setup/Patch/Data/UpgradeOauthToken.php";

/// How a stored secret was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRead {
    /// Stored in clear, used as it is.
    Clear(String),
    /// Encrypted, opened with one of the keys of `crypt/key`.
    Decrypted(Decrypted),
    /// Encrypted, but no key of `crypt/key` opens it: Magento reads it as an empty string.
    Undecryptable(DecryptError),
}

impl SecretRead {
    /// The secret Magento signs with: the clear or decrypted text, `""` when it cannot decrypt.
    pub fn value(&self) -> &str {
        match self {
            SecretRead::Clear(s) => s,
            SecretRead::Decrypted(d) => &d.plain,
            SecretRead::Undecryptable(_) => "",
        }
    }

    /// One line for evidence: how the value was read (never the value).
    pub fn how(&self) -> String {
        match self {
            SecretRead::Clear(_) => "stored in clear".into(),
            SecretRead::Decrypted(d) => format!(
                "stored encrypted (ChaCha20-Poly1305), decrypted with key #{} of crypt/key",
                d.key_version
            ),
            SecretRead::Undecryptable(e) => format!("stored encrypted, cannot be decrypted: {e}"),
        }
    }
}

/// Whether this store keeps OAuth secrets encrypted, and the keys to read and write them.
#[derive(Clone)]
pub struct OauthSecrets {
    keys: Vec<String>,
    /// The release encrypts `oauth_consumer.secret` and access tokens' `oauth_token.secret`.
    pub encrypts: bool,
    /// `encrypts` was read from the store's code or `patch_list` (not the release number alone).
    pub strong: bool,
    /// Where that was read (a file, `db:patch_list`, the release, the rows).
    pub source: String,
}

impl std::fmt::Debug for OauthSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OauthSecrets")
            .field("keys", &self.keys.len())
            .field("encrypts", &self.encrypts)
            .field("source", &self.source)
            .finish()
    }
}

impl OauthSecrets {
    /// Find out, in this order: the Integration module's code (the `UpgradeOauthToken` data
    /// patch ships with the releases that encrypt), `patch_list` (the patch was applied), the
    /// release number (2.4.3-p2 and later, every Mage-OS), and last the rows themselves (a
    /// consumer secret in the encrypted form).
    pub fn for_store(install: &Installation, db: Option<&dyn Database>) -> OauthSecrets {
        let keys = install.crypt_keys();
        let (encrypts, strong, source) = Self::policy(install, db);
        OauthSecrets {
            keys,
            encrypts,
            strong,
            source,
        }
    }

    /// With a known policy (tests, library users).
    pub fn new(keys: Vec<String>, encrypts: bool, source: impl Into<String>) -> OauthSecrets {
        OauthSecrets {
            keys,
            encrypts,
            strong: true,
            source: source.into(),
        }
    }

    /// (encrypts, strong evidence, where it was read). Strong: the store's own code or its
    /// `patch_list`, what a real installation always has; weak: the release number or a guess.
    fn policy(install: &Installation, db: Option<&dyn Database>) -> (bool, bool, String) {
        let module_dir = install
            .modules
            .get("Magento_Integration")
            .and_then(|m| m.dir.clone());
        if let Some(dir) = &module_dir {
            let patch: PathBuf = dir.join(TOKEN_PATCH_FILE);
            if patch.is_file() {
                let shown = patch
                    .strip_prefix(&install.root)
                    .unwrap_or(&patch)
                    .display()
                    .to_string();
                return (true, true, format!("file:{shown}"));
            }
        }
        if let Some(db) = db
            && let Ok(rows) = db.rows("patch_list", &[])
            && !rows.is_empty()
        {
            let applied = rows
                .iter()
                .any(|r| r.text("patch_name").as_deref() == Some(TOKEN_PATCH));
            return if applied {
                (true, true, format!("db:patch_list {TOKEN_PATCH}"))
            } else {
                (
                    false,
                    true,
                    format!(
                        "db:patch_list (no {TOKEN_PATCH}: this release keeps OAuth secrets in clear)"
                    ),
                )
            };
        }
        if let Some(v) = install
            .release
            .version
            .as_deref()
            .and_then(ReleaseVersion::parse)
        {
            let v = if matches!(install.release.edition, super::modules::Edition::MageOs) {
                v.mage_os_upstream()
            } else {
                v
            };
            let first = ReleaseVersion::parse("2.4.3-p2").expect("a release number");
            return (
                v >= first,
                false,
                format!(
                    "release {} ({}; OAuth secrets are encrypted since 2.4.3-p2)",
                    install.release.version.as_deref().unwrap_or(""),
                    install.release.source.as_deref().unwrap_or("release")
                ),
            );
        }
        if let Some(db) = db
            && let Ok(rows) = db.rows("oauth_consumer", &[])
            && !rows.is_empty()
        {
            let encrypted = rows.iter().any(|r| {
                r.text("secret")
                    .is_some_and(|s| matches!(encryptor::parse(&s), Stored::Encrypted { .. }))
            });
            return (
                encrypted,
                false,
                "db:oauth_consumer (the form of the stored secrets)".into(),
            );
        }
        (
            true,
            false,
            "not known (no Integration patch, patch_list or release found): assumed encrypted, as every supported release does".into(),
        )
    }

    /// `oauth_consumer.secret` as `Consumer::_afterLoad()` reads it.
    pub fn consumer_secret(&self, stored: &str) -> SecretRead {
        self.read(stored)
    }

    /// `oauth_token.secret` as `Token::_afterLoad()` reads it: decrypted for access tokens only.
    pub fn token_secret(&self, stored: &str, token_type: &str) -> SecretRead {
        if token_type != "access" {
            return SecretRead::Clear(stored.to_string());
        }
        self.read(stored)
    }

    fn read(&self, stored: &str) -> SecretRead {
        match encryptor::decrypt(stored, &self.keys) {
            Ok(d) => SecretRead::Decrypted(d),
            // A release that decrypts reads a value in clear as a Blowfish ciphertext of key #0
            // (mcrypt, gone since PHP 7.2): no signature made with the real secret matches (the
            // real 2.4.7-p3 answers "The signature is invalid" for it, also with an empty
            // secret). Only said when the store's own code or patch_list shows it decrypts.
            Err(DecryptError::Clear) if self.encrypts && self.strong && !stored.is_empty() => {
                SecretRead::Undecryptable(DecryptError::ClearOnEncryptingRelease {
                    read_from: self.source.clone(),
                })
            }
            Err(DecryptError::Clear) => SecretRead::Clear(stored.to_string()),
            Err(e) => SecretRead::Undecryptable(e),
        }
    }

    /// The value to store for a new secret: `Encryptor::encrypt()` output on a release that
    /// encrypts (with a fresh random nonce), the secret itself on one that does not.
    pub fn to_store(&self, plain: &str) -> Result<String, DecryptError> {
        if !self.encrypts {
            return Ok(plain.to_string());
        }
        let mut nonce = [0u8; NONCE_LEN];
        // No nonce, no encryption: refused like a bad key rather than reusing a fixed nonce.
        getrandom::fill(&mut nonce).map_err(|_| DecryptError::BadKey {
            key_version: self.keys.len().saturating_sub(1),
            len: 0,
        })?;
        encryptor::encrypt(plain, &self.keys, nonce)
    }

    /// A [`Sealer`] with this store's keys.
    pub fn sealer(&self) -> Sealer {
        Sealer {
            keys: self.keys.clone(),
        }
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

/// Seals text with the store's own `crypt/key` (`Encryptor::encrypt()`'s format), for values
/// m2auth must keep to put back later but must not keep readable: the secret columns of a row a
/// journal entry deleted. Whoever can open them holds env.php, and so the database, already.
#[derive(Clone)]
pub struct Sealer {
    keys: Vec<String>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({} key(s))", self.keys.len())
    }
}

impl Sealer {
    pub fn new(keys: Vec<String>) -> Sealer {
        Sealer { keys }
    }

    /// Encrypted with the current (last) key and a random nonce.
    pub fn seal(&self, plain: &str) -> Result<String, DecryptError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| DecryptError::BadKey {
            key_version: self.keys.len().saturating_sub(1),
            len: 0,
        })?;
        encryptor::encrypt(plain, &self.keys, nonce)
    }

    /// Open what [`Sealer::seal`] sealed (with any key of `crypt/key`, so a key rotated since
    /// still opens it).
    pub fn unseal(&self, sealed: &str) -> Result<String, DecryptError> {
        encryptor::decrypt(sealed, &self.keys).map(|d| d.plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        let keys = vec!["0123456789abcdef0123456789abcdef".to_string()];
        let s = OauthSecrets::new(keys.clone(), true, "test");
        let stored = s.to_store("abcdefghijklmnopqrstuvwxyz012345").unwrap();
        assert!(stored.starts_with("0:3:"));
        assert_eq!(
            s.consumer_secret(&stored).value(),
            "abcdefghijklmnopqrstuvwxyz012345"
        );
        // A request token's secret is never decrypted.
        assert_eq!(s.token_secret(&stored, "request").value(), stored);
        // In clear on a release that decrypts: Magento does not read what the client holds.
        assert!(matches!(
            s.token_secret("plainsecret", "access"),
            SecretRead::Undecryptable(DecryptError::ClearOnEncryptingRelease { .. })
        ));
        let other = OauthSecrets::new(
            vec!["fedcba9876543210fedcba9876543210".to_string()],
            true,
            "t",
        );
        let r = other.consumer_secret(&stored);
        assert_eq!(r.value(), "");
        assert!(r.how().contains("cannot be decrypted"), "{}", r.how());
        let clear = OauthSecrets::new(keys, false, "t");
        assert_eq!(clear.to_store("x").unwrap(), "x");
        assert_eq!(
            clear.token_secret("plainsecret", "access"),
            SecretRead::Clear("plainsecret".into())
        );
        let sealer = s.sealer();
        assert_eq!(sealer.unseal(&sealer.seal("tok").unwrap()).unwrap(), "tok");
    }
}
