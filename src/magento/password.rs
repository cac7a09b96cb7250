//! Magento's password hashes, exactly as `Magento\Framework\Encryption\Encryptor` makes and checks
//! them (lib/internal/Magento/Framework/Encryption/Encryptor.php, 2.4 line with
//! `HASH_VERSION_ARGON2ID13_AGNOSTIC`). Pure: no I/O, no clock, no randomness.
//!
//! Stored form: `<hash>:<salt>:<version>[:<version>…]`, split with `explode(':', $hash, 3)`; the
//! version field is split on `:` again and lists every algorithm applied, oldest first (an
//! upgraded hash such as `…:1:3_32_2_67108864` is `argon(sha256(salt . password))`).
//!
//! `isValidHash()` walks the chain: for each version, `3_<seed>_<ops>_<mem>` is
//! `bin2hex(sodium_crypto_pwhash(seed, data, salt16, ops, mem, ARGON2ID13))`, `(int)$v === 2` the
//! same with libsodium's interactive constants (32, 2, 64 MiB), anything else
//! `hash(['md5','sha256'][(int)$v], salt . data)`; an unknown algorithm, a salt Argon cannot use
//! or a hash that is not in three parts makes it fall back to `hash($password)`, an HMAC-SHA256
//! keyed with the current crypt key. The result is compared with `hash_equals`.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::{Digest, Sha256};

/// `SODIUM_CRYPTO_PWHASH_SALTBYTES`.
pub const SALT_BYTES: usize = 16;
/// `SODIUM_CRYPTO_SIGN_SEEDBYTES`: the output length of Magento's Argon hashes.
pub const SEED_BYTES: u64 = 32;
/// `SODIUM_CRYPTO_PWHASH_OPSLIMIT_INTERACTIVE`.
pub const OPSLIMIT_INTERACTIVE: u64 = 2;
/// `SODIUM_CRYPTO_PWHASH_MEMLIMIT_INTERACTIVE` (bytes).
pub const MEMLIMIT_INTERACTIVE: u64 = 67_108_864;
/// `Encryptor::DEFAULT_SALT_LENGTH`.
pub const DEFAULT_SALT_LENGTH: usize = 32;
/// m2auth refuses to compute an Argon2 hash whose version field asks for more memory than this:
/// a hand-edited `3_32_2_<huge>` must not make a diagnosis allocate gigabytes.
pub const MAX_ARGON_MEMORY: u64 = 1 << 30;
/// `Random::getRandomString()`'s alphabet (CHARS_LOWERS . CHARS_UPPERS . CHARS_DIGITS).
pub const SALT_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// One algorithm of the version chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashStep {
    /// `0`: `md5(salt . data)`.
    Md5,
    /// `1`: `sha256(salt . data)`.
    Sha256,
    /// `2`: Argon2id v1.3 with libsodium's interactive constants.
    Argon2id13,
    /// `3_<seed>_<ops>_<mem>`: Argon2id v1.3 with the parameters written in the version.
    Argon2id13Agnostic { seed_bytes: u64, ops: u64, mem: u64 },
    /// Anything else, as stored: Magento throws on it and falls back to the keyed hash.
    Unknown(String),
}

impl HashStep {
    /// One version token as `isValidHash()` reads it.
    pub fn parse(token: &str) -> HashStep {
        if let Some(step) = parse_agnostic(token) {
            return step;
        }
        match crate::magento::php::intval(token) {
            0 => HashStep::Md5,
            1 => HashStep::Sha256,
            2 => HashStep::Argon2id13,
            _ => HashStep::Unknown(token.to_string()),
        }
    }

    /// The token Magento writes for this step.
    pub fn token(&self) -> String {
        match self {
            HashStep::Md5 => "0".into(),
            HashStep::Sha256 => "1".into(),
            HashStep::Argon2id13 => "2".into(),
            HashStep::Argon2id13Agnostic {
                seed_bytes,
                ops,
                mem,
            } => format!("3_{seed_bytes}_{ops}_{mem}"),
            HashStep::Unknown(t) => t.clone(),
        }
    }

    /// A name for reports: `md5`, `sha256`, `argon2id13`, `argon2id13 (ops 2, 64 MiB, 32 bytes)`.
    pub fn describe(&self) -> String {
        match self {
            HashStep::Md5 => "md5".into(),
            HashStep::Sha256 => "sha256".into(),
            HashStep::Argon2id13 => "argon2id13".into(),
            HashStep::Argon2id13Agnostic {
                seed_bytes,
                ops,
                mem,
            } => format!(
                "argon2id13 (ops {ops}, {} MiB, {seed_bytes} bytes)",
                mem / (1024 * 1024)
            ),
            HashStep::Unknown(t) => format!("unknown version '{t}'"),
        }
    }

    /// Whether this step is an Argon2 one.
    pub fn is_argon(&self) -> bool {
        matches!(
            self,
            HashStep::Argon2id13 | HashStep::Argon2id13Agnostic { .. }
        )
    }
}

/// `'/^3\_(?<seed>\d+)\_(?<ops>\d+)\_(?<mem>\d+)$/'` (PCRE's `$` also matches before a final
/// newline).
fn parse_agnostic(token: &str) -> Option<HashStep> {
    let t = token.strip_suffix('\n').unwrap_or(token);
    let rest = t.strip_prefix("3_")?;
    let mut it = rest.split('_');
    let mut num = || -> Option<u64> {
        let s = it.next()?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // PHP's (int) of an overlong digit string saturates; no valid parameter is that large.
        Some(s.parse().unwrap_or(u64::MAX))
    };
    let (seed_bytes, ops, mem) = (num()?, num()?, num()?);
    if it.next().is_some() {
        return None;
    }
    Some(HashStep::Argon2id13Agnostic {
        seed_bytes,
        ops,
        mem,
    })
}

/// A stored password hash in Magento's three-part form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHash {
    pub hash: String,
    pub salt: String,
    /// The version field as stored (`1:3_32_2_67108864`).
    pub version_field: String,
    pub versions: Vec<HashStep>,
}

impl StoredHash {
    /// `explodePasswordHash()`: `None` when the value is not in three parts (Magento then
    /// compares it with the keyed hash of the password).
    pub fn parse(stored: &str) -> Option<StoredHash> {
        let mut parts = stored.splitn(3, ':');
        let hash = parts.next()?;
        let salt = parts.next()?;
        let version_field = parts.next()?;
        Some(StoredHash {
            hash: hash.to_string(),
            salt: salt.to_string(),
            version_field: version_field.to_string(),
            versions: version_field.split(':').map(HashStep::parse).collect(),
        })
    }

    /// `validateHashVersion($hash, $validateCount)` on a release whose latest version is
    /// `latest`: whether Magento leaves the hash as it is after a successful login (else it
    /// re-hashes the password with the latest algorithm).
    pub fn is_current(&self, latest: HashVersion, validate_count: bool) -> bool {
        let last = self.versions.last();
        let ok = match latest {
            HashVersion::Argon2id13Agnostic => {
                matches!(last, Some(HashStep::Argon2id13Agnostic { .. }))
            }
            HashVersion::Argon2id13 => matches!(last, Some(HashStep::Argon2id13)),
            HashVersion::Sha256 => matches!(last, Some(HashStep::Sha256)),
            HashVersion::Md5 => matches!(last, Some(HashStep::Md5)),
        };
        ok && (!validate_count || self.versions.len() == 1)
    }
}

/// A hash version to write (`getHash(..., $version)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashVersion {
    Md5 = 0,
    Sha256 = 1,
    Argon2id13 = 2,
    Argon2id13Agnostic = 3,
}

impl HashVersion {
    /// `getLatestHashVersion()` of a release, with PHP's sodium extension present (Argon2id
    /// needs it): 3 from 2.4.7, 2 from 2.3.2 (Argon2ID13 support, devdocs), 1 before; unknown
    /// release: 3. Without sodium, releases before the agnostic version wrote 1 (SHA256).
    /// **[unverified: the release that introduced version 3; 2.4.7 assumed]**
    pub fn latest_for(release: Option<&crate::magento::release::ReleaseVersion>) -> HashVersion {
        match release {
            None => HashVersion::Argon2id13Agnostic,
            Some(r) if r.major == 2 && !r.at_least(2, 3, 2) => HashVersion::Sha256,
            Some(r) if r.major == 2 && !r.at_least(2, 4, 7) => HashVersion::Argon2id13,
            Some(_) => HashVersion::Argon2id13Agnostic,
        }
    }
}

/// How a password was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// The version chain of a three-part hash.
    Chain(Vec<HashStep>),
    /// `hash($password)`: HMAC-SHA256 keyed with the current crypt key, because the value is not
    /// a password hash Magento can walk (`why`).
    Keyed { why: String },
}

impl Method {
    /// For evidence: `version 1:3_32_2_67108864 (sha256 → argon2id13 (…))` or the keyed reason.
    pub fn describe(&self) -> String {
        match self {
            Method::Chain(steps) => format!(
                "hash version {} ({})",
                steps
                    .iter()
                    .map(HashStep::token)
                    .collect::<Vec<_>>()
                    .join(":"),
                steps
                    .iter()
                    .map(HashStep::describe)
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
            Method::Keyed { why } => {
                format!(
                    "not a password hash Magento can walk ({why}): compared with the HMAC-SHA256 of the password keyed with the crypt key"
                )
            }
        }
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    pub method: Method,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The keyed fallback needs `crypt/key`; Magento throws "No key available".
    #[error(
        "the stored value is not a password hash Magento can walk ({why}), and without a crypt key its keyed fallback cannot be computed"
    )]
    NoKey { why: String },
    #[error(
        "the hash asks for {mem} bytes of Argon2 memory; m2auth computes at most {MAX_ARGON_MEMORY}"
    )]
    TooCostly { mem: u64 },
}

/// Why a hash cannot be computed (where PHP's `Encryptor` or libsodium throws).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("unknown hash version '{0}'")]
    UnknownVersion(String),
    #[error("the salt is empty, which Argon2 hashing cannot pad")]
    EmptySalt,
    #[error("Argon2 output length {0} is outside libsodium's range")]
    OutputLength(u64),
    #[error("Argon2 opslimit {0} is outside libsodium's range")]
    OpsLimit(u64),
    #[error("Argon2 memlimit {0} is below libsodium's minimum")]
    MemoryTooSmall(u64),
    #[error("Argon2 memlimit {0} is above what m2auth computes")]
    MemoryTooLarge(u64),
    #[error("Argon2 parameters rejected: {0}")]
    Params(String),
    #[error("Argon2 failed: {0}")]
    Argon2(String),
}

/// `Encryptor::isValidHash($password, $stored)`. `crypt_key` is the current (last) key of
/// `crypt/key`, needed only for the keyed fallback.
pub fn verify(
    password: &str,
    stored: &str,
    crypt_key: Option<&str>,
) -> Result<Verification, PasswordError> {
    let (expected, attempt) = match StoredHash::parse(stored) {
        None => (
            stored.to_string(),
            Err("it is not in the form hash:salt:version".to_string()),
        ),
        Some(h) => {
            let attempt = recreate(password.as_bytes(), &h)
                .map(|r| (r, h.versions.clone()))
                .map_err(|e| e.to_string());
            (h.hash, attempt)
        }
    };
    match attempt {
        Ok((recreated, steps)) => Ok(Verification {
            matches: hash_equals(&recreated, &expected),
            method: Method::Chain(steps),
        }),
        Err(why) => {
            let Some(key) = crypt_key.filter(|k| !k.is_empty()) else {
                return Err(PasswordError::NoKey { why });
            };
            let recreated = keyed_hash(password, key);
            Ok(Verification {
                matches: hash_equals(&recreated, &expected),
                method: Method::Keyed { why },
            })
        }
    }
}

/// The chain applied to the password; `Err(reason)` where Magento throws and falls back.
fn recreate(password: &[u8], h: &StoredHash) -> Result<String, HashError> {
    let mut recreated = password.to_vec();
    for step in &h.versions {
        let next = match step {
            HashStep::Md5 => hex(&Md5::digest(salted(&h.salt, &recreated))),
            HashStep::Sha256 => hex(&Sha256::digest(salted(&h.salt, &recreated))),
            HashStep::Argon2id13 => argon_hex(
                &recreated,
                &h.salt,
                SEED_BYTES,
                OPSLIMIT_INTERACTIVE,
                MEMLIMIT_INTERACTIVE,
            )?,
            HashStep::Argon2id13Agnostic {
                seed_bytes,
                ops,
                mem,
            } => argon_hex(&recreated, &h.salt, *seed_bytes, *ops, *mem)?,
            HashStep::Unknown(t) => return Err(HashError::UnknownVersion(t.clone())),
        };
        recreated = next.into_bytes();
    }
    Ok(String::from_utf8(recreated).unwrap_or_default())
}

/// The largest Argon2 memory a stored hash asks for, to refuse before computing.
pub fn argon_memory(stored: &str) -> u64 {
    StoredHash::parse(stored)
        .map(|h| {
            h.versions
                .iter()
                .map(|s| match s {
                    HashStep::Argon2id13 => MEMLIMIT_INTERACTIVE,
                    HashStep::Argon2id13Agnostic { mem, .. } => *mem,
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// [`verify`], refusing hashes that ask for more than [`MAX_ARGON_MEMORY`].
pub fn verify_or_refuse(
    password: &str,
    stored: &str,
    crypt_key: Option<&str>,
) -> Result<Verification, PasswordError> {
    let mem = argon_memory(stored);
    if mem > MAX_ARGON_MEMORY {
        return Err(PasswordError::TooCostly { mem });
    }
    verify(password, stored, crypt_key)
}

fn salted(salt: &str, data: &[u8]) -> Vec<u8> {
    let mut v = salt.as_bytes().to_vec();
    v.extend_from_slice(data);
    v
}

/// `getArgonHash()`: the salt padded (`str_pad($salt, 16, $salt)`) or cut to 16 bytes, then
/// `sodium_crypto_pwhash(seed, data, salt, ops, mem, ARGON2ID13)` = Argon2id v1.3, one lane,
/// `mem / 1024` KiB, hex-encoded.
fn argon_hex(data: &[u8], salt: &str, seed: u64, ops: u64, mem: u64) -> Result<String, HashError> {
    let salt16 = argon_salt(salt.as_bytes())?;
    // libsodium's crypto_pwhash limits (PHP throws SodiumException outside them).
    if !(16..=u32::MAX as u64).contains(&seed) {
        return Err(HashError::OutputLength(seed));
    }
    if !(1..=u32::MAX as u64).contains(&ops) {
        return Err(HashError::OpsLimit(ops));
    }
    if mem < 8192 {
        return Err(HashError::MemoryTooSmall(mem));
    }
    if mem > MAX_ARGON_MEMORY {
        return Err(HashError::MemoryTooLarge(mem));
    }
    let params = Params::new((mem / 1024) as u32, ops as u32, 1, Some(seed as usize))
        .map_err(|e| HashError::Params(e.to_string()))?;
    let mut out = vec![0u8; seed as usize];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(data, &salt16, &mut out)
        .map_err(|e| HashError::Argon2(e.to_string()))?;
    Ok(hex(&out))
}

/// The 16-byte salt `getArgonHash()` passes to libsodium. An empty salt cannot be padded
/// (`str_pad` with an empty pad string throws).
pub fn argon_salt(salt: &[u8]) -> Result<[u8; SALT_BYTES], HashError> {
    if salt.is_empty() {
        return Err(HashError::EmptySalt);
    }
    let mut out = [0u8; SALT_BYTES];
    for (i, b) in out.iter_mut().enumerate() {
        *b = salt[i % salt.len()];
    }
    Ok(out)
}

/// `Encryptor::hash($data)`: `hash_hmac('sha256', $data, <current crypt key>)`.
pub fn keyed_hash(data: &str, key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// `hash_equals()`: constant time in the length of the known string.
fn hash_equals(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// `getHash($password, $salt, $version)` with a given salt: what Magento writes. Argon versions
/// use libsodium's interactive constants; version 3 records them (`3_32_2_67108864`).
pub fn hash_new(password: &str, salt: &str, version: HashVersion) -> Result<String, HashError> {
    let (hash, token) = match version {
        HashVersion::Md5 => (
            hex(&Md5::digest(salted(salt, password.as_bytes()))),
            "0".to_string(),
        ),
        HashVersion::Sha256 => (
            hex(&Sha256::digest(salted(salt, password.as_bytes()))),
            "1".to_string(),
        ),
        HashVersion::Argon2id13 | HashVersion::Argon2id13Agnostic => {
            let h = argon_hex(
                password.as_bytes(),
                salt,
                SEED_BYTES,
                OPSLIMIT_INTERACTIVE,
                MEMLIMIT_INTERACTIVE,
            )?;
            let token = if version == HashVersion::Argon2id13 {
                HashStep::Argon2id13.token()
            } else {
                HashStep::Argon2id13Agnostic {
                    seed_bytes: SEED_BYTES,
                    ops: OPSLIMIT_INTERACTIVE,
                    mem: MEMLIMIT_INTERACTIVE,
                }
                .token()
            };
            (h, token)
        }
    };
    Ok(format!("{hash}:{salt}:{token}"))
}

/// A salt of `Random::getRandomString()`'s alphabet from random bytes (the caller's randomness):
/// bytes at or above 248 (= 4 × 62) are skipped so each character is uniform. `None` when the
/// bytes run out before `len` characters.
pub fn salt_from_random(random: &[u8], len: usize) -> Option<String> {
    let n = SALT_ALPHABET.len();
    let limit = (256 / n) * n;
    let s: String = random
        .iter()
        .filter(|&&b| (b as usize) < limit)
        .take(len)
        .map(|&b| SALT_ALPHABET[b as usize % n] as char)
        .collect();
    (s.len() == len).then_some(s)
}

/// Why a new admin password breaks Magento's policy
/// (app/code/Magento/User/Model/UserValidationRules.php).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    Empty,
    TooShort,
    NeedsLettersAndDigits,
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyViolation::Empty => "Password is required field.",
            PolicyViolation::TooShort => "Your password must be at least 7 characters.",
            PolicyViolation::NeedsLettersAndDigits => {
                "Your password must include both numeric and alphabetic characters."
            }
        })
    }
}

/// `UserValidationRules::MIN_PASSWORD_LENGTH`.
pub const ADMIN_MIN_PASSWORD_LENGTH: usize = 7;

/// Magento's admin password rules: required, at least 7 characters (`StringLength`, counted in
/// UTF-8 characters), and `'/[a-z].*\d|\d.*[a-z]/iu'`: an ASCII letter and an ASCII digit (PCRE's
/// `\d` without UCP is ASCII, `[a-z]` with `i` also matches `K` and `ſ`-free ASCII letters).
pub fn admin_password_policy(password: &str) -> Result<(), Vec<PolicyViolation>> {
    if password.is_empty() {
        return Err(vec![PolicyViolation::Empty]);
    }
    let mut v = Vec::new();
    if password.chars().count() < ADMIN_MIN_PASSWORD_LENGTH {
        v.push(PolicyViolation::TooShort);
    }
    let letter = password.chars().any(|c| c.is_ascii_alphabetic());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    if !(letter && digit) {
        v.push(PolicyViolation::NeedsLettersAndDigits);
    }
    if v.is_empty() { Ok(()) } else { Err(v) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Run `php -r CODE` and return stdout; `None` (with a message) when PHP or sodium is absent.
    fn php(code: &str) -> Option<String> {
        let out = match Command::new("php").arg("-r").arg(code).output() {
            Ok(o) => o,
            Err(_) => {
                eprintln!("skipped: php is not installed (scripts/test installs php-cli)");
                return None;
            }
        };
        assert!(
            out.status.success(),
            "php failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap())
    }

    fn php_str(s: &str) -> String {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }

    /// Magento's getArgonHash in PHP, from the parameters given.
    fn php_argon(data_expr: &str, salt: &str, seed: u64, ops: u64, mem: u64) -> String {
        format!(
            "$s={salt};if(strlen($s)<16){{$s=str_pad($s,16,$s);}}elseif(strlen($s)>16){{$s=substr($s,0,16);}}\
             echo bin2hex(sodium_crypto_pwhash({seed},{data_expr},$s,{ops},{mem},SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13));",
            salt = php_str(salt)
        )
    }

    #[test]
    fn md5_and_sha256_match_php() {
        let salt = "QjbEqHs4Y9AjB3rVzXxbvWNp7aAeB2bQ";
        for pw in ["Admin123", "pässwörd 1", ""] {
            let code = format!(
                "echo md5({s}.{p}),' ',hash('sha256',{s}.{p});",
                s = php_str(salt),
                p = php_str(pw)
            );
            let Some(out) = php(&code) else { return };
            let (md5, sha) = out.split_once(' ').unwrap();
            let stored_md5 = format!("{md5}:{salt}:0");
            let stored_sha = format!("{sha}:{salt}:1");
            assert_eq!(hash_new(pw, salt, HashVersion::Md5).unwrap(), stored_md5);
            assert_eq!(hash_new(pw, salt, HashVersion::Sha256).unwrap(), stored_sha);
            for stored in [&stored_md5, &stored_sha] {
                let v = verify(pw, stored, None).unwrap();
                assert!(v.matches, "{stored}");
                assert!(!verify("wrong1", stored, None).unwrap().matches);
            }
        }
    }

    #[test]
    fn argon_versions_and_chains_match_php_sodium() {
        let pw = "Magento2 s3cret";
        let salt = "8qnyO4H1OYIfGCUbXkz0Aq9rT1mWvB2c";
        let Some(v3) = php(&php_argon(&php_str(pw), salt, 32, 2, 67_108_864)) else {
            return;
        };
        // Version 3 (what 2.4.7 writes) and version 2 are the same computation.
        let stored3 = format!("{v3}:{salt}:3_32_2_67108864");
        assert_eq!(
            hash_new(pw, salt, HashVersion::Argon2id13Agnostic).unwrap(),
            stored3
        );
        assert_eq!(
            hash_new(pw, salt, HashVersion::Argon2id13).unwrap(),
            format!("{v3}:{salt}:2")
        );
        let v = verify(pw, &stored3, None).unwrap();
        assert!(v.matches);
        assert_eq!(
            v.method.describe(),
            "hash version 3_32_2_67108864 (argon2id13 (ops 2, 64 MiB, 32 bytes))"
        );
        assert!(!verify("magento2 s3cret", &stored3, None).unwrap().matches);
        // Other parameters in the version field, and a short salt (str_pad repeats it).
        let short = "abc";
        let Some(small) = php(&php_argon(&php_str(pw), short, 24, 3, 8_388_608)) else {
            return;
        };
        let stored_small = format!("{small}:{short}:3_24_3_8388608");
        assert!(verify(pw, &stored_small, None).unwrap().matches);
        // Upgraded chain 1:3_… = argon(sha256(salt . password)).
        let inner = format!("hash('sha256',{}.{})", php_str(salt), php_str(pw));
        let Some(chain) = php(&php_argon(&inner, salt, 32, 2, 67_108_864)) else {
            return;
        };
        let stored_chain = format!("{chain}:{salt}:1:3_32_2_67108864");
        let v = verify(pw, &stored_chain, None).unwrap();
        assert!(v.matches, "{stored_chain}");
        assert!(
            v.method
                .describe()
                .starts_with("hash version 1:3_32_2_67108864 (sha256 → argon2id13")
        );
        assert!(!verify("other pw1", &stored_chain, None).unwrap().matches);
        // And 0:2 (md5, then Argon with the interactive constants).
        let inner = format!("md5({}.{})", php_str(salt), php_str(pw));
        let Some(chain2) = php(&php_argon(&inner, salt, 32, 2, 67_108_864)) else {
            return;
        };
        assert!(
            verify(pw, &format!("{chain2}:{salt}:0:2"), None)
                .unwrap()
                .matches
        );
    }

    #[test]
    fn not_password_hashes_fall_back_to_the_keyed_hash() {
        let key = "0123456789abcdef0123456789abcdef";
        let Some(hmac) = php(&format!(
            "echo hash_hmac('sha256',{},{});",
            php_str("Admin123"),
            php_str(key)
        )) else {
            return;
        };
        // Two parts: the whole value is compared.
        let v = verify("Admin123", &hmac, Some(key)).unwrap();
        assert!(v.matches);
        assert!(matches!(v.method, Method::Keyed { .. }));
        // Unknown version: the hash part is compared with the keyed hash.
        let v = verify("Admin123", &format!("{hmac}:salt:7"), Some(key)).unwrap();
        assert!(v.matches);
        assert_eq!(
            verify("Admin123", &format!("{hmac}:salt:7"), None),
            Err(PasswordError::NoKey {
                why: "unknown hash version '7'".into()
            })
        );
        // Argon with an empty salt cannot pad it.
        assert!(matches!(
            verify("x", "abcd::2", Some(key)).unwrap().method,
            Method::Keyed { .. }
        ));
    }

    #[test]
    fn version_tokens_are_read_like_php() {
        assert_eq!(HashStep::parse("1"), HashStep::Sha256);
        assert_eq!(HashStep::parse(""), HashStep::Md5);
        assert_eq!(HashStep::parse(" 2"), HashStep::Argon2id13);
        assert_eq!(HashStep::parse("3"), HashStep::Unknown("3".into()));
        assert_eq!(
            HashStep::parse("3_32_2"),
            HashStep::Unknown("3_32_2".into())
        );
        assert_eq!(
            HashStep::parse("3_32_2_67108864"),
            HashStep::Argon2id13Agnostic {
                seed_bytes: 32,
                ops: 2,
                mem: 67_108_864
            }
        );
        let h = StoredHash::parse("aa:bb:1:3_32_2_67108864").unwrap();
        assert_eq!(h.versions.len(), 2);
        assert!(h.is_current(HashVersion::Argon2id13Agnostic, false));
        assert!(!h.is_current(HashVersion::Argon2id13Agnostic, true));
        assert!(StoredHash::parse("aa:bb").is_none());
        assert_eq!(
            verify_or_refuse("x", "aa:bb:3_32_2_99999999999", None),
            Err(PasswordError::TooCostly {
                mem: 99_999_999_999
            })
        );
    }

    #[test]
    fn admin_policy_is_magentos() {
        assert!(admin_password_policy("abc1234").is_ok());
        assert_eq!(admin_password_policy(""), Err(vec![PolicyViolation::Empty]));
        assert_eq!(
            admin_password_policy("ab12"),
            Err(vec![PolicyViolation::TooShort])
        );
        assert_eq!(
            admin_password_policy("abcdefgh"),
            Err(vec![PolicyViolation::NeedsLettersAndDigits])
        );
        assert_eq!(
            admin_password_policy("12345"),
            Err(vec![
                PolicyViolation::TooShort,
                PolicyViolation::NeedsLettersAndDigits
            ])
        );
    }

    #[test]
    fn salts_use_magentos_alphabet() {
        let bytes: Vec<u8> = (0..=255).collect();
        let s = salt_from_random(&bytes, 32).unwrap();
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|b| SALT_ALPHABET.contains(&b)));
        assert!(salt_from_random(&[255; 40], 32).is_none());
        assert_eq!(
            HashVersion::latest_for(
                crate::magento::release::ReleaseVersion::parse("2.4.6-p3").as_ref()
            ),
            HashVersion::Argon2id13
        );
    }
}
