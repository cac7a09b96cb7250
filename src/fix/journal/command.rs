//! Masking for the journal: the command line and titles as an entry stores them, with the
//! values of secret options, token-like words and the run's known secrets masked.

use crate::mask::{Masker, mask};

/// The command line as the journal stores it: values of secret options masked (`--password`,
/// `--token`, `--oauth`, secrets in `--db` URLs and in Authorization/Cookie headers), any word
/// that looks like a token masked, then the run's known secrets scrubbed.
pub fn mask_command(args: &[String], masker: &Masker) -> String {
    let mut out: Vec<String> = Vec::with_capacity(args.len());
    let mut mask_next: Option<String> = None;
    for arg in args {
        if let Some(opt) = mask_next.take() {
            out.push(mask_option_value(&opt, arg));
            continue;
        }
        if let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            if secret_option(name) {
                match value {
                    Some(v) => {
                        let dashes = if arg.starts_with("--") { "--" } else { "-" };
                        out.push(format!("{dashes}{name}={}", mask_option_value(name, v)));
                    }
                    None => {
                        out.push(arg.clone());
                        mask_next = Some(name.to_string());
                    }
                }
                continue;
            }
        }
        out.push(mask_word(arg));
    }
    masker.scrub(&shell_words::join(out))
}

/// Text with every word that looks like a token or key masked, then known secrets scrubbed.
pub fn mask_text(text: &str, masker: &Masker) -> String {
    let masked: Vec<String> = text.split(' ').map(mask_word).collect();
    masker.scrub(&masked.join(" "))
}

pub(super) fn secret_option(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password", "pass", "secret", "token", "oauth", "key", "db", "header", "curl",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n == "h"
}

pub(super) fn mask_option_value(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "db" {
        return crate::store::db::connect::redact_url(value);
    }
    if n == "h" || n == "header" {
        return match value.split_once(':') {
            Some((h, v)) => {
                let h_l = h.trim().to_ascii_lowercase();
                if h_l == "authorization"
                    || h_l == "cookie"
                    || h_l.contains("token")
                    || h_l.contains("key")
                {
                    let v = v.trim();
                    match v.split_once(' ') {
                        Some((scheme, cred)) => format!("{h}: {scheme} {}", mask(cred)),
                        None => format!("{h}: {}", mask(v)),
                    }
                } else {
                    value.to_string()
                }
            }
            None => value.to_string(),
        };
    }
    if n == "curl" {
        return "…".into();
    }
    mask(value)
}

/// A word that looks like a secret (token, key, hash): 16+ characters of token alphabet with
/// letters and digits, not an ACL id (`::`) nor a path.
pub(super) fn looks_secret(w: &str) -> bool {
    w.chars().count() >= 16
        && !w.contains("::")
        && !w.starts_with('/')
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars().any(|c| c.is_ascii_alphabetic())
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.+/=~$:".contains(c))
}

pub(super) fn mask_word(w: &str) -> String {
    if looks_secret(w) {
        mask(w)
    } else {
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_masking() {
        let args: Vec<String> = [
            "m2auth",
            "acl:grant",
            "--integration",
            "shop-sync",
            "Magento_Sales::sales",
            "--db",
            "mysql://u:Sup3rSecretPw@db/magento",
            "--password=Hunter2Hunter2",
            "--token",
            "eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9.abc123def456",
            "-H",
            "Authorization: Bearer abcdef1234567890abcdef",
            "8f14e45fceea167a5a36dedd4bea2543",
            "--apply",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut m = Masker::new();
        m.add("shop-sync-secret-1");
        let text = mask_command(&args, &m);
        for secret in [
            "Sup3rSecretPw",
            "Hunter2Hunter2",
            "eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9.abc123def456",
            "abcdef1234567890abcdef",
            "8f14e45fceea167a5a36dedd4bea2543",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("Magento_Sales::sales"), "{text}");
        assert!(text.contains("shop-sync"), "{text}");
        assert!(text.contains("--apply"), "{text}");
    }
}
