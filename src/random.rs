//! Random strings from the operating system's random source (through the `getrandom` crate):
//! OAuth nonces, canary file names, token values and password salts.
//!
//! This is I/O (a system call), so it lives here and not under [`crate::magento`], which stays
//! pure. A failing random source is an error ([`RandomError`]), never a weaker fallback (clock,
//! process id). Characters are drawn uniformly from the alphabet by rejection sampling: a byte is
//! used only when it is below the largest multiple of the alphabet's length that fits in 256,
//! so no character is more likely than another (no modulo bias).
//!
//! Hand-written rather than taken from `rand`: `getrandom` is already a dependency (for sealing
//! secrets) and these few lines are all that is needed.

/// Letters and digits, the alphabet of Magento's nonces and of `Math\Random::getRandomString()`.
pub const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The length of an OAuth nonce m2auth makes (as Magento's own generator makes them).
pub const NONCE_LENGTH: usize = 32;

/// Why no random string could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RandomError {
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Os(String),
    /// An alphabet that is empty or has more than 256 characters (a bug in the caller).
    #[error("internal: bad alphabet")]
    BadAlphabet,
}

/// `len` characters drawn uniformly from `alphabet` (bytes, at most 256 of them), as
/// `Math\Random::getRandomString()` does, by rejection sampling over OS random bytes.
pub fn string(len: usize, alphabet: &[u8]) -> Result<String, RandomError> {
    let n = alphabet.len();
    if n == 0 || n > 256 {
        return Err(RandomError::BadAlphabet);
    }
    // Bytes at or above `limit` would make the first `256 % n` characters more likely.
    let limit = (256 / n) * n;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| RandomError::Os(e.to_string()))?;
        for &b in &buf {
            if out.len() == len {
                break;
            }
            if (b as usize) < limit {
                out.push(alphabet[b as usize % n] as char);
            }
        }
    }
    Ok(out)
}

/// A random OAuth nonce: [`NONCE_LENGTH`] letters and digits.
pub fn nonce() -> Result<String, RandomError> {
    string(NONCE_LENGTH, ALPHANUMERIC)
}

/// [`nonce`] for callers that cannot return an error (signing a header inside a `-> String`
/// API, clap's default value).
///
/// # Panics
///
/// When the operating system's random source fails: signing with a guessable nonce would be
/// worse than stopping, and there is no weaker fallback.
pub fn random_nonce() -> String {
    match nonce() {
        Ok(s) => s,
        Err(e) => panic!("m2auth: cannot make an OAuth nonce: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_have_the_length_and_alphabet_asked() {
        for len in [0, 1, 24, 32, 100, 300] {
            let s = string(len, ALPHANUMERIC).unwrap();
            assert_eq!(s.len(), len);
            assert!(s.bytes().all(|b| ALPHANUMERIC.contains(&b)), "{s}");
        }
        let s = string(50, b"ab").unwrap();
        assert!(s.bytes().all(|b| b == b'a' || b == b'b'));
        assert_eq!(string(5, b"x").unwrap(), "xxxxx");
        let n = nonce().unwrap();
        assert_eq!(n.len(), NONCE_LENGTH);
        assert_ne!(n, nonce().unwrap());
        assert_eq!(random_nonce().len(), NONCE_LENGTH);
    }

    #[test]
    fn bad_alphabets_are_refused() {
        assert_eq!(string(3, b""), Err(RandomError::BadAlphabet));
        assert_eq!(string(3, &[b'a'; 257]), Err(RandomError::BadAlphabet));
        assert!(string(3, &[b'a'; 256]).is_ok());
    }

    #[test]
    fn every_character_is_drawn() {
        // 62 characters: a biased or truncated sampler would miss some in 20,000 draws only
        // with negligible probability; a broken one (always the same byte) misses most.
        let s = string(20_000, ALPHANUMERIC).unwrap();
        for c in ALPHANUMERIC {
            assert!(s.as_bytes().contains(c), "{} never drawn", *c as char);
        }
    }
}
