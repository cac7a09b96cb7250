//! Magento's admin/customer JWTs (Magento_JwtUserToken, 2.4.4+), verified the way Magento reads
//! them, without PHP.
//!
//! * Key (`app/code/Magento/JwtUserToken/Model/SecretBasedJwksFactory.php`): `crypt/key` split on
//!   whitespace, only the LAST key kept, used as written (a 2.4.7+ `base64…` key is not decoded:
//!   the string itself, prefix included, is the secret), padded with `str_pad($key, 2048, '&',
//!   STR_PAD_BOTH)`. m2auth also tries the earlier keys, to tell a rotated key from a foreign one.
//! * Signature: compact JWS, HMAC over `header.payload` with the algorithm configured in
//!   `webapi/jwtauth/jwt_alg` (HS256 by default; the JWK set is built for that algorithm only, so a
//!   token signed with another one is refused).
//! * Claims (`app/code/Magento/JwtUserToken/Model/Reader.php`): `uid`, `utypid`, `iat`, `exp`, all
//!   required; expiry (`Integration/Model/UserToken/ExpirationValidator.php`) is `exp <= now`.
//!
//! Pure: no I/O. Keys are never part of what this module returns.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;

/// The JWS algorithms Magento offers (`JwtUserToken/Model/Config/JwtAlgorithmSource.php`).
pub const JWS_ALGORITHMS: &[&str] = &["HS256", "HS384", "HS512"];
/// The JWE key-wrap algorithms it offers: with one of these configured, tokens are JWEs.
pub const JWE_ALGORITHMS: &[&str] = &[
    "A128KW",
    "A192KW",
    "A256KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
];
/// `webapi/jwtauth/jwt_alg` when unset (`JwtUserToken/etc/config.xml`).
pub const DEFAULT_ALGORITHM: &str = "HS256";

/// The length Magento pads a key to (`JwkFactory::createOct` wants at least 2048 bits).
pub const PADDED_LENGTH: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Hs256,
    Hs384,
    Hs512,
}

impl Alg {
    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "HS256" => Some(Alg::Hs256),
            "HS384" => Some(Alg::Hs384),
            "HS512" => Some(Alg::Hs512),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Hs256 => "HS256",
            Alg::Hs384 => "HS384",
            Alg::Hs512 => "HS512",
        }
    }

    pub const ALL: [Alg; 3] = [Alg::Hs256, Alg::Hs384, Alg::Hs512];
}

/// The HMAC secret Magento derives from one key of `crypt/key`: the key's bytes as written,
/// centred in `&` to 2048 bytes (PHP `STR_PAD_BOTH`: floor(n/2) on the left, the rest on the
/// right); a key of 2048 bytes or more is used as it is.
pub fn derive_secret(key: &str) -> Vec<u8> {
    let k = key.as_bytes();
    if k.len() >= PADDED_LENGTH {
        return k.to_vec();
    }
    let pad = PADDED_LENGTH - k.len();
    let left = pad / 2;
    let mut out = Vec::with_capacity(PADDED_LENGTH);
    out.resize(left, b'&');
    out.extend_from_slice(k);
    out.resize(PADDED_LENGTH, b'&');
    out
}

fn b64url(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()
}

/// Whether the compact JWS `token` carries a valid `alg` HMAC made with the secret derived from
/// `key`. A token that is not three parts, or whose signature is not base64url, never verifies.
pub fn verifies(token: &str, alg: Alg, key: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(sig) = b64url(s) else { return false };
    let input = &token[..h.len() + 1 + p.len()];
    let secret = derive_secret(key);
    macro_rules! check {
        ($hash:ty) => {{
            let mut mac = <Hmac<$hash>>::new_from_slice(&secret).expect("HMAC takes any key size");
            mac.update(input.as_bytes());
            mac.verify_slice(&sig).is_ok()
        }};
    }
    match alg {
        Alg::Hs256 => check!(sha2::Sha256),
        Alg::Hs384 => check!(sha2::Sha384),
        Alg::Hs512 => check!(sha2::Sha512),
    }
}

/// The index (in `crypt/key` order) of the key `token` verifies with under `alg`, trying the
/// last (current) key first, then the earlier ones from the newest down.
pub fn key_index(token: &str, alg: Alg, keys: &[String]) -> Option<usize> {
    (0..keys.len())
        .rev()
        .find(|&i| verifies(token, alg, &keys[i]))
}

/// The four claims Magento requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub uid: i64,
    pub utypid: i64,
    pub iat: i64,
    pub exp: i64,
}

/// A claim as an integer, as PHP's `(int)` would read a number or a numeric string.
fn int_claim(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// The claims, or the message Magento's reader fails with (its own wording, typos included).
pub fn claims(payload: &Value) -> Result<Claims, &'static str> {
    let Some(map) = payload.as_object().filter(|m| !m.is_empty()) else {
        return Err("JWT does not contain claims");
    };
    let get = |name: &str| map.get(name).and_then(int_claim);
    let uid = get("uid").ok_or("UserId (uid) time not provided by the received JWT")?;
    let utypid =
        get("utypid").ok_or("UserTypeId (utypid) time not provided by the received JWT")?;
    let iat = get("iat").ok_or("IssuedAt (iat) time not provided by the received JWT")?;
    let exp = get("exp").ok_or("ExpiresAt (exp) time not provided by the received JWT")?;
    Ok(Claims {
        uid,
        utypid,
        iat,
        exp,
    })
}

/// Magento's expiry rule: a token whose `exp` is at or before now is refused.
pub fn is_expired(exp: i64, now: i64) -> bool {
    exp <= now
}

/// How the store would verify a JWS.
#[derive(Debug, Clone, PartialEq)]
pub enum Verification {
    /// Signed with the configured algorithm and the current (last) key.
    Current { index: usize },
    /// Signed with the configured algorithm and an earlier key: refused since the rotation.
    EarlierKey { index: usize },
    /// Signed with one of the keys, but with another algorithm than the configured one.
    OtherAlgorithm { alg: Alg, index: usize },
    /// No key verifies it.
    Foreign,
    /// The header's `alg` is not one Magento signs with (or is missing).
    UnsupportedAlgorithm,
    /// The store issues JWEs (`jwt_alg` is a key-wrap algorithm): it reads no JWS at all.
    StoreUsesJwe,
    /// `crypt/key` is empty: nothing can be verified.
    NoKey,
}

impl Verification {
    /// The key index that verifies the token as the store reads it now, or an earlier one.
    pub fn key_index(&self) -> Option<usize> {
        match self {
            Verification::Current { index } | Verification::EarlierKey { index } => Some(*index),
            _ => None,
        }
    }
}

/// Verify a compact JWS as the store would: `header` is its decoded header, `keys` the keys of
/// `crypt/key` in order, `configured` the value of `webapi/jwtauth/jwt_alg`.
pub fn verify(token: &str, header: &Value, keys: &[String], configured: &str) -> Verification {
    if keys.is_empty() {
        return Verification::NoKey;
    }
    if JWE_ALGORITHMS.contains(&configured) {
        return Verification::StoreUsesJwe;
    }
    let configured = Alg::parse(configured).unwrap_or(Alg::Hs256);
    let Some(alg) = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Alg::parse)
    else {
        return Verification::UnsupportedAlgorithm;
    };
    if alg == configured {
        return match key_index(token, alg, keys) {
            Some(i) if i + 1 == keys.len() => Verification::Current { index: i },
            Some(i) => Verification::EarlierKey { index: i },
            None => Verification::Foreign,
        };
    }
    match key_index(token, alg, keys) {
        Some(index) => Verification::OtherAlgorithm { alg, index },
        None => Verification::Foreign,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(alg: Alg, key: &str, header: &str, payload: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let input = format!("{}.{}", e(header), e(payload));
        let secret = derive_secret(key);
        let sig = match alg {
            Alg::Hs256 => {
                let mut m = Hmac::<sha2::Sha256>::new_from_slice(&secret).unwrap();
                m.update(input.as_bytes());
                m.finalize().into_bytes().to_vec()
            }
            Alg::Hs384 => {
                let mut m = Hmac::<sha2::Sha384>::new_from_slice(&secret).unwrap();
                m.update(input.as_bytes());
                m.finalize().into_bytes().to_vec()
            }
            Alg::Hs512 => {
                let mut m = Hmac::<sha2::Sha512>::new_from_slice(&secret).unwrap();
                m.update(input.as_bytes());
                m.finalize().into_bytes().to_vec()
            }
        };
        format!(
            "{input}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
        )
    }

    #[test]
    fn padding_is_php_str_pad_both() {
        let s = derive_secret("0123456789abcdef0123456789abcdef");
        assert_eq!(s.len(), 2048);
        assert!(s[..1008].iter().all(|&b| b == b'&'));
        assert_eq!(&s[1008..1040], b"0123456789abcdef0123456789abcdef");
        assert!(s[1040..].iter().all(|&b| b == b'&'));
        // Odd padding: the extra `&` goes to the right.
        let s = derive_secret("abc");
        assert_eq!(&s[1022..1025], b"abc");
        assert_eq!(s.len() - 1025, 1023);
        // A base64 key is used as written, prefix included.
        let k = "base64QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=";
        let s = derive_secret(k);
        assert_eq!(&s[(2048 - k.len()) / 2..][..k.len()], k.as_bytes());
        let long = "x".repeat(3000);
        assert_eq!(derive_secret(&long).len(), 3000);
    }

    /// Round trips with this module's own signing; tokens minted by an independent library
    /// (PyJWT) are checked in tests/it/tokens.rs.
    #[test]
    fn verifies_with_the_last_key_first_and_names_earlier_ones() {
        let old = "0123456789abcdef0123456789abcdef".to_string();
        let new = "base64QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=".to_string();
        let keys = vec![old.clone(), new.clone()];
        let h = r#"{"kid":"1","alg":"HS256"}"#;
        let p = r#"{"uid":1,"utypid":2,"iat":1,"exp":2}"#;
        let header: Value = serde_json::from_str(h).unwrap();
        let t = sign(Alg::Hs256, &new, h, p);
        assert_eq!(
            verify(&t, &header, &keys, "HS256"),
            Verification::Current { index: 1 }
        );
        let t_old = sign(Alg::Hs256, &old, h, p);
        assert_eq!(
            verify(&t_old, &header, &keys, "HS256"),
            Verification::EarlierKey { index: 0 }
        );
        assert_eq!(
            verify(&sign(Alg::Hs256, "other", h, p), &header, &keys, "HS256"),
            Verification::Foreign
        );
        // Tampered payload.
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"uid":2,"utypid":2,"iat":1,"exp":2}"#);
        parts[1] = &forged;
        assert_eq!(
            verify(&parts.join("."), &header, &keys, "HS256"),
            Verification::Foreign
        );
        // HS512 token on a store configured for HS512, and on one configured for HS256.
        let h512 = r#"{"kid":"1","alg":"HS512"}"#;
        let header512: Value = serde_json::from_str(h512).unwrap();
        let t512 = sign(Alg::Hs512, &new, h512, p);
        assert_eq!(
            verify(&t512, &header512, &keys, "HS512"),
            Verification::Current { index: 1 }
        );
        assert_eq!(
            verify(&t512, &header512, &keys, "HS256"),
            Verification::OtherAlgorithm {
                alg: Alg::Hs512,
                index: 1
            }
        );
        assert_eq!(
            verify(&t512, &header512, &keys, "A256KW"),
            Verification::StoreUsesJwe
        );
        let none: Value = serde_json::from_str(r#"{"alg":"none"}"#).unwrap();
        assert_eq!(
            verify(&t, &none, &keys, "HS256"),
            Verification::UnsupportedAlgorithm
        );
        assert_eq!(verify(&t, &header, &[], "HS256"), Verification::NoKey);
        assert!(!verifies("a.b", Alg::Hs256, &new));
        assert!(!verifies("a.b.!!", Alg::Hs256, &new));
    }

    #[test]
    fn claims_and_expiry() {
        let c = claims(
            &serde_json::json!({"uid": 68, "utypid": 2, "iat": 1689350618, "exp": 1689354218}),
        )
        .unwrap();
        assert_eq!((c.uid, c.utypid, c.exp - c.iat), (68, 2, 3600));
        assert_eq!(
            claims(&serde_json::json!({"uid": "7", "utypid": 3, "iat": 1.0, "exp": 2}))
                .unwrap()
                .uid,
            7
        );
        assert_eq!(
            claims(&serde_json::json!({})),
            Err("JWT does not contain claims")
        );
        assert_eq!(
            claims(&serde_json::json!({"uid": 1, "utypid": 2, "iat": 1})),
            Err("ExpiresAt (exp) time not provided by the received JWT")
        );
        assert!(is_expired(100, 100));
        assert!(is_expired(99, 100));
        assert!(!is_expired(101, 100));
    }
}
