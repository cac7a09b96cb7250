//! The forms of `crypt/key` (lib/internal/Magento/Framework/Encryption/Encryptor.php,
//! ConfigOptionsListConstants::STORE_KEY_ENCODED_RANDOM_STRING_PREFIX).

/// Magento's split of the key string: `preg_split('/\s+/s', trim($key))`; the last is current.
/// PCRE's `\s` without the `u` flag is ASCII whitespace including vertical tab, never a Unicode
/// space such as NBSP (which stays part of a key, as in Magento).
pub fn split_keys(raw: &str) -> Vec<&str> {
    raw.split(|c: char| c.is_ascii_whitespace() || c == '\x0b')
        .filter(|k| !k.is_empty())
        .collect()
}

/// What a single key looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyForm {
    /// 32 hexadecimal characters: installs up to 2.4.6 (md5 of random bytes).
    LegacyHex,
    /// `base64` followed by base64 of 32 random bytes: what 2.4.7+ writes.
    Base64,
    /// Anything else (hand-made keys). Magento still signs JWTs with it.
    Other,
}

pub fn key_form(key: &str) -> KeyForm {
    if key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return KeyForm::LegacyHex;
    }
    if let Some(b64) = key.strip_prefix("base64") {
        let ok = !b64.is_empty()
            && b64
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        if ok {
            return KeyForm::Base64;
        }
    }
    KeyForm::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            key_form("0123456789abcdef0123456789abcdef"),
            KeyForm::LegacyHex
        );
        assert_eq!(
            key_form("base64rZ3mWlWq0tT0m1h0Qm1mZ0Jz3gk6vY2fQ0i8b0K1cXo="),
            KeyForm::Base64
        );
        assert_eq!(key_form("changeme"), KeyForm::Other);
        assert_eq!(split_keys(" a\nb \n c "), vec!["a", "b", "c"]);
        assert_eq!(split_keys("a\u{a0}b\x0bc"), vec!["a\u{a0}b", "c"]);
    }
}
