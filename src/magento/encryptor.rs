//! Magento's `Encryptor::encrypt()` / `decrypt()` (lib/internal/Magento/Framework/Encryption/
//! Encryptor.php and Adapter/SodiumChachaIetf.php), for the values Magento keeps encrypted in
//! the database: `oauth_consumer.secret` and the access tokens' `oauth_token.secret` since
//! 2.4.3-p2 / 2.4.4, `core_config_data` values of `Encrypted` backends.
//!
//! The stored form is `KEY_VERSION:CIPHER_VERSION:BASE64` where KEY_VERSION indexes the keys of
//! `crypt/key` (split on whitespace, oldest first), CIPHER_VERSION 3 is ChaCha20-Poly1305 IETF and
//! BASE64 holds the 12-byte nonce followed by the ciphertext and tag; the nonce is also the
//! additional data. A key written as `base64…` is base64-decoded first (`decodeKey()`), any other
//! key is used as its bytes (32 hexadecimal characters → 32 bytes). Magento `trim()`s what it
//! decrypts and answers `''` for anything it cannot decrypt.
//!
//! Pure: the caller passes the keys and, to encrypt, the nonce.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// `Encryptor::CIPHER_AEAD_CHACHA20POLY1305`, the cipher every release since 2.3 writes.
pub const CIPHER_CHACHA20POLY1305: u32 = 3;
/// `SODIUM_CRYPTO_AEAD_CHACHA20POLY1305_IETF_NPUBBYTES`.
pub const NONCE_LEN: usize = 12;

/// How a stored value reads, split as `Encryptor::decrypt()` splits it (`explode(':', $data, 4)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored<'a> {
    /// No `N:N:` prefix: a value in clear (or, for Magento, a Blowfish ciphertext of key 0).
    Clear(&'a str),
    /// `KEY:CIPHER:DATA` (or `CIPHER:DATA`, key 0; or `KEY:CIPHER:IV:DATA`, Rijndael-256).
    Encrypted {
        key_version: usize,
        cipher: u32,
        data: &'a str,
    },
}

/// Read a stored value's form. Only a value whose version fields are decimal numbers counts as
/// encrypted: a clear secret (Magento's are 32 characters of `[0-9a-z]`) never has a colon.
pub fn parse(stored: &str) -> Stored<'_> {
    let num = |s: &str| {
        (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let parts: Vec<&str> = stored.splitn(4, ':').collect();
    match parts.as_slice() {
        [k, c, data] => match (num(k), num(c)) {
            (Some(k), Some(c)) => Stored::Encrypted {
                key_version: k as usize,
                cipher: c,
                data,
            },
            _ => Stored::Clear(stored),
        },
        [c, data] => match num(c) {
            Some(c) => Stored::Encrypted {
                key_version: 0,
                cipher: c,
                data,
            },
            None => Stored::Clear(stored),
        },
        // `KEY:CIPHER:IV:DATA`: Magento reads it as Rijndael-256 whatever CIPHER says.
        [k, c, _iv, data] if num(k).is_some() && num(c).is_some() => Stored::Encrypted {
            key_version: num(k).unwrap_or(0) as usize,
            cipher: 2,
            data,
        },
        _ => Stored::Clear(stored),
    }
}

/// Why a value cannot be decrypted. Magento reads every one of these as an empty string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error(
        "key #{key_version} is not in crypt/key ({keys} key(s)): the value was written with a key since removed"
    )]
    NoSuchKey { key_version: usize, keys: usize },
    #[error(
        "key #{key_version} of crypt/key is not 32 bytes once decoded ({len}): ChaCha20-Poly1305 cannot use it"
    )]
    BadKey { key_version: usize, len: usize },
    #[error("cipher version {0} is mcrypt's (Blowfish/Rijndael), which PHP 7.2+ no longer has")]
    LegacyCipher(u32),
    #[error("the value is not base64")]
    NotBase64,
    #[error(
        "the value does not decrypt with key #{key_version} of crypt/key: it was written with another key (env.php's crypt/key was replaced, or the row was copied from another store)"
    )]
    WrongKey { key_version: usize },
    #[error("the value is stored in clear")]
    Clear,
    #[error(
        "the value is stored in clear, but this release stores it encrypted and decrypts it on load ({read_from}): Magento does not read the secret the client holds; this is what an integration written by hand in SQL, or by a tool that ignores the encryption, looks like"
    )]
    ClearOnEncryptingRelease { read_from: String },
}

/// What [`decrypt`] gives: the text and which key of `crypt/key` opened it.
#[derive(Clone, PartialEq, Eq)]
pub struct Decrypted {
    pub plain: String,
    pub key_version: usize,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decrypted")
            .field("plain", &crate::mask::mask(&self.plain))
            .field("key_version", &self.key_version)
            .finish()
    }
}

/// `Encryptor::decodeKey()`: `base64…` keys are decoded, others used as they are.
pub fn decode_key(key: &str) -> Vec<u8> {
    match key.strip_prefix("base64") {
        // PHP's non-strict base64_decode skips characters outside the alphabet.
        Some(b64) => {
            let clean: String = b64
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
                .collect();
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(clean.trim_end_matches('='))
                .unwrap_or_default()
        }
        None => key.as_bytes().to_vec(),
    }
}

fn cipher_for(keys: &[String], key_version: usize) -> Result<ChaCha20Poly1305, DecryptError> {
    let key = keys.get(key_version).ok_or(DecryptError::NoSuchKey {
        key_version,
        keys: keys.len(),
    })?;
    let bytes = decode_key(key);
    if bytes.len() != 32 {
        return Err(DecryptError::BadKey {
            key_version,
            len: bytes.len(),
        });
    }
    Ok(ChaCha20Poly1305::new(Key::from_slice(&bytes)))
}

/// `Encryptor::decrypt()` of a value written by `encrypt()`, with the keys of `crypt/key`
/// (oldest first). A value in clear is [`DecryptError::Clear`]: the caller knows whether its
/// release stores that column in clear.
pub fn decrypt(stored: &str, keys: &[String]) -> Result<Decrypted, DecryptError> {
    let (key_version, cipher, data) = match parse(stored) {
        Stored::Clear(_) => return Err(DecryptError::Clear),
        Stored::Encrypted {
            key_version,
            cipher,
            data,
        } => (key_version, cipher, data),
    };
    if cipher < CIPHER_CHACHA20POLY1305 {
        return Err(DecryptError::LegacyCipher(cipher));
    }
    let aead = cipher_for(keys, key_version)?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| DecryptError::NotBase64)?;
    if raw.len() < NONCE_LEN {
        return Err(DecryptError::WrongKey { key_version });
    }
    let (nonce, payload) = raw.split_at(NONCE_LEN);
    let plain = aead
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: payload,
                aad: nonce,
            },
        )
        .map_err(|_| DecryptError::WrongKey { key_version })?;
    Ok(Decrypted {
        plain: php_trim(&String::from_utf8_lossy(&plain)).to_string(),
        key_version,
    })
}

/// `Encryptor::encrypt()`: ChaCha20-Poly1305 IETF with the current (last) key of `crypt/key`.
pub fn encrypt(
    plain: &str,
    keys: &[String],
    nonce: [u8; NONCE_LEN],
) -> Result<String, DecryptError> {
    let key_version = keys.len().checked_sub(1).ok_or(DecryptError::NoSuchKey {
        key_version: 0,
        keys: 0,
    })?;
    let aead = cipher_for(keys, key_version)?;
    let sealed = aead
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plain.as_bytes(),
                aad: &nonce,
            },
        )
        .map_err(|_| DecryptError::BadKey {
            key_version,
            len: 32,
        })?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(format!(
        "{key_version}:{CIPHER_CHACHA20POLY1305}:{}",
        base64::engine::general_purpose::STANDARD.encode(out)
    ))
}

/// PHP's `trim()` without a character list: " \t\n\r\0\x0B".
fn php_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn forms() {
        assert_eq!(parse("abc"), Stored::Clear("abc"));
        assert_eq!(
            parse("1:3:QUJD"),
            Stored::Encrypted {
                key_version: 1,
                cipher: 3,
                data: "QUJD"
            }
        );
        assert_eq!(
            parse("3:QUJD"),
            Stored::Encrypted {
                key_version: 0,
                cipher: 3,
                data: "QUJD"
            }
        );
        assert_eq!(parse("a:3:x"), Stored::Clear("a:3:x"));
        assert_eq!(parse("http://x"), Stored::Clear("http://x"));
    }

    #[test]
    fn round_trip_with_every_key_form() {
        let keys = vec![
            HEX.to_string(),
            "base64AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
        ];
        let enc = encrypt("s3cr3t", &keys, [7; 12]).unwrap();
        assert!(enc.starts_with("1:3:"), "{enc}");
        let d = decrypt(&enc, &keys).unwrap();
        assert_eq!(d.plain, "s3cr3t");
        assert_eq!(d.key_version, 1);
        // Written with the older key: read with it.
        let old = encrypt("older", &keys[..1], [1; 12]).unwrap();
        assert!(old.starts_with("0:3:"));
        assert_eq!(decrypt(&old, &keys).unwrap().key_version, 0);
        // Another key: refused, as Magento's '' is.
        let other = vec!["fedcba9876543210fedcba9876543210".to_string()];
        assert_eq!(
            decrypt(&old, &other),
            Err(DecryptError::WrongKey { key_version: 0 })
        );
        assert_eq!(
            decrypt(&enc, &other),
            Err(DecryptError::NoSuchKey {
                key_version: 1,
                keys: 1
            })
        );
        assert_eq!(decrypt("plain", &keys), Err(DecryptError::Clear));
        assert_eq!(
            decrypt("0:2:xyz", &keys),
            Err(DecryptError::LegacyCipher(2))
        );
        assert!(matches!(
            encrypt("x", &["short".to_string()], [0; 12]),
            Err(DecryptError::BadKey { .. })
        ));
    }

    /// A vector made by PHP's libsodium (`sodium_crypto_aead_chacha20poly1305_ietf_encrypt`,
    /// the nonce as additional data, exactly as SodiumChachaIetf does) with the key `HEX`, nonce
    /// twelve 0x01 bytes, message "magento".
    #[test]
    fn matches_libsodium() {
        let keys = vec![HEX.to_string()];
        let enc = encrypt("magento", &keys, [1; 12]).unwrap();
        assert_eq!(enc, PHP_VECTOR);
        assert_eq!(decrypt(PHP_VECTOR, &keys).unwrap().plain, "magento");
    }

    const PHP_VECTOR: &str = "0:3:AQEBAQEBAQEBAQEByNJE6i+ZI2dOmwFyVQTGqI/ijsuG1v4=";
}
