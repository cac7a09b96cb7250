//! Secret masking. Every output of m2auth goes through a [`Masker`] before it is written, so a
//! secret that slipped into a message is still never printed whole.

/// The masked form of a secret: the first and last four characters of a long secret
/// (`eyJr…Q3xk`), the first two of a short one (`a1…`), nothing of a very short one (`…`).
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    match chars.len() {
        0 => String::new(),
        1..=5 => "…".to_string(),
        6..=15 => format!("{}…", chars[..2].iter().collect::<String>()),
        n => format!(
            "{}…{}",
            chars[..4].iter().collect::<String>(),
            chars[n - 4..].iter().collect::<String>()
        ),
    }
}

/// A message with the inside of every quoted literal (`'…'`, `"…"`) masked: parser messages
/// quote the input they choke on, and in a dump or env.php that may be a password or a token.
pub fn redact_literals(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\'' || c == '"' {
            let mut inner = String::new();
            let mut closed = false;
            for d in chars.by_ref() {
                if d == c {
                    closed = true;
                    break;
                }
                inner.push(d);
            }
            out.push_str(&mask(&inner));
            if closed {
                out.push(c);
            }
        }
    }
    out
}

/// Knows the secrets of this run (crypt keys, DB password, tokens, consumer secrets) and replaces
/// every occurrence of one in a text by its masked form.
#[derive(Debug, Default, Clone)]
pub struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    pub fn new() -> Masker {
        Masker::default()
    }

    /// Register a secret. Empty and very short values (under 4 characters) are ignored: masking
    /// them would garble ordinary text, and they reveal little.
    pub fn add(&mut self, secret: impl AsRef<str>) {
        let s = secret.as_ref().trim();
        if s.chars().count() >= 4 && !self.secrets.iter().any(|k| k == s) {
            self.secrets.push(s.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
        // A multi-line secret (several crypt keys) is also masked key by key.
        let parts: Vec<&str> = s.split_whitespace().collect();
        if parts.len() > 1 {
            for p in parts {
                self.add(p);
            }
        }
    }

    /// The text with every known secret masked. Also masks JSON-escaped forms of a secret.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), &mask(s));
            }
            let escaped = serde_json::to_string(s).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            if escaped != s && out.contains(escaped) {
                out = out.replace(escaped, &mask(s));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_length() {
        assert_eq!(mask("eyJraWQiOiIxIn0.abc.defQ3xk"), "eyJr…Q3xk");
        assert_eq!(mask("a1b2c3d4"), "a1…");
        assert_eq!(mask("abc"), "…");
    }

    #[test]
    fn literals_in_messages_are_masked() {
        assert_eq!(
            redact_literals("Expected: ), found: 'S3cret-Passw0rd' at Line: 1"),
            "Expected: ), found: 'S3…' at Line: 1"
        );
        assert_eq!(redact_literals("unknown column 'x'"), "unknown column '…'");
        assert_eq!(redact_literals("no quotes"), "no quotes");
    }

    #[test]
    fn scrubs_each_of_several_keys() {
        let mut m = Masker::new();
        m.add("0123456789abcdef0123456789abcdef\nbase64QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=");
        let out = m.scrub(
            "k1=0123456789abcdef0123456789abcdef k2=base64QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
        );
        assert!(!out.contains("0123456789abcdef0123"));
        assert!(!out.contains("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"));
    }
}
