//! Secret masking. Every output of m2auth goes through a [`Masker`] before it is written, so a
//! secret that slipped into a message is still never printed whole. Also the one set of masking
//! heuristics for what m2auth stores: command lines and titles of journal entries
//! ([`Masker::scrub_command`], [`Masker::scrub_words`]), token-like words ([`looks_secret`]) and
//! `--db` URLs ([`redact_url`]).

/// The masked form of a secret: the first and last four characters of a long secret
/// (`eyJr…Q3xk`), the first two of a short one (`a1…`), nothing of a very short one (`…`).
/// Control characters (a new line inside a quoted literal) are shown as spaces: a masked value
/// never breaks an error's one line.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
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

/// A message on one line: control characters (new lines, carriage returns, tabs) as spaces. For
/// messages that quote input (a parser's "found: …", a URL that is not one).
pub fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
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

/// Secrets shorter than this are not searched for in output: a short password such as `magento`
/// or `admin` is also an ordinary word of the report, and replacing it would garble the output
/// without protecting anything (m2auth never prints a password on purpose; the masker is the
/// safety net behind that rule).
const MIN_SCRUB_LEN: usize = 8;

/// Words that stand in reports on their own and are too weak to be worth hiding as a substring.
const COMMON: &[&str] = &[
    "magento2",
    "password",
    "changeme",
    "12345678",
    "123456789",
    "localhost",
];

/// Knows the secrets of this run (crypt keys, DB password, tokens, consumer secrets) and replaces
/// every occurrence of one in a text, or in the string values of a JSON document, by its masked
/// form.
#[derive(Debug, Default, Clone)]
pub struct Masker {
    secrets: Vec<String>,
    /// Values known not to be secret (DB name, user name): a secret equal to one is not searched.
    public: Vec<String>,
    /// Secret-named fields whose values this run prints on purpose ([`Masker::print_field`]).
    printed_fields: Vec<String>,
}

impl Masker {
    pub fn new() -> Masker {
        Masker::default()
    }

    /// Register one secret, as it is (a password may contain spaces).
    pub fn add(&mut self, secret: impl AsRef<str>) {
        let s = secret.as_ref().trim();
        if s.chars().count() >= MIN_SCRUB_LEN
            && !COMMON.iter().any(|c| c.eq_ignore_ascii_case(s))
            && !self.secrets.iter().any(|k| k == s)
        {
            self.secrets.push(s.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
    }

    /// Register `crypt/key`: the whole value and each key of it (keys are separated by
    /// whitespace, see [`crate::magento::cryptkey::split_keys`]).
    pub fn add_keys(&mut self, raw: &str) {
        self.add(raw);
        for k in crate::magento::cryptkey::split_keys(raw) {
            self.add(k);
        }
    }

    /// A secret-named field whose value the command's output is for (`oauth:sign` prints the
    /// `oauth_token` and `oauth_signature` of the header it made: a signature is good for one
    /// request, the token useless without its secret): [`mask_fields`] leaves it.
    pub fn print_field(&mut self, name: &str) {
        self.printed_fields.push(name.to_ascii_lowercase());
    }

    /// Declare a value public (e.g. the DB user name): if a secret equals it, it is not searched.
    pub fn public(&mut self, value: impl AsRef<str>) {
        self.public.push(value.as_ref().to_string());
    }

    fn active(&self) -> impl Iterator<Item = &String> {
        self.secrets
            .iter()
            .filter(|s| !self.public.iter().any(|p| p == *s))
    }

    /// The text with every known secret masked (also their JSON-escaped forms), then the values
    /// of secret-named fields ([`mask_fields`]: `?access_token=…`, `password=…`,
    /// `"password": "…"`), whoever wrote them (an echoed request, a URL, an error line).
    pub fn scrub(&self, text: &str) -> String {
        let out = self.scrub_known(text);
        mask_fields_except(&out, &self.printed_fields).into_owned()
    }

    /// Text (e.g. a response body) scrubbed whole, then cut to at most `max` bytes on a
    /// character boundary: mask first, then cut, so no cut leaves a prefix of a secret that the
    /// masker no longer recognises.
    pub fn scrub_then_cut(&self, text: &str, max: usize) -> String {
        let mut s = self.scrub(text);
        if s.len() > max {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        s
    }

    fn scrub_known(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.active() {
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

    /// Mask secrets in the string values of a JSON document; keys are never changed, so the
    /// document keeps its shape whatever the secrets are.
    pub fn scrub_json(&self, v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                let clean = self.scrub(s);
                if clean != *s {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.scrub_json(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.scrub_json(i)),
            _ => {}
        }
    }
}

/// Names of query parameters, form fields and JSON keys whose value is a credential: any name
/// ending in `password`, `passwd`, `token` or `secret` (`access_token`, `oauth_token`,
/// `consumer_secret`, `new_password`…), and `pass`, `pwd`, `oauth_signature`, `signature`,
/// `sig`, `api_key`, `apikey`, `client_secret`.
const FIELD_NAME: &str = r"[A-Za-z0-9_\-]*(?i:password|passwd|token|secret)|(?i:pass|pwd|oauth_signature|signature|sig|api_?key)";

/// `NAME=VALUE` in a query string, a form body, a command line: NAME one of [`FIELD_NAME`]
/// (case-insensitive), preceded by the start, a separator or a quote, VALUE up to the next
/// separator (or quoted).
static QUERY_FIELD: std::sync::LazyLock<fancy_regex::Regex> = std::sync::LazyLock::new(|| {
    fancy_regex::Regex::new(&format!(
        r#"(^|[?&;,\s"'(\[{{])({FIELD_NAME})=("[^"]*"|[^&\s"'<>#;,)\]}}]+)"#
    ))
    .expect("valid pattern")
});

/// `"NAME": "VALUE"` in JSON (and `\"NAME\":\"VALUE\"` in JSON inside a JSON string).
static JSON_FIELD: std::sync::LazyLock<fancy_regex::Regex> = std::sync::LazyLock::new(|| {
    fancy_regex::Regex::new(&format!(
        r#"((\\?)"({FIELD_NAME})\\?"\s*:\s*\\?")((?:[^"\\]|\\[^"])*)"#
    ))
    .expect("valid pattern")
});

/// The values of secret-named fields masked: `?access_token=…` and `&password=…` in URLs and
/// form bodies, `"password": "…"` in JSON. Linear in the text (the patterns have no
/// backtracking constructs, so fancy-regex runs them on the regex crate's automata).
pub fn mask_fields(text: &str) -> std::borrow::Cow<'_, str> {
    mask_fields_except(text, &[])
}

/// [`mask_fields`], leaving the fields named in `printed` (lower case).
fn mask_fields_except<'t>(text: &'t str, printed: &[String]) -> std::borrow::Cow<'t, str> {
    let printed_field = |name: &str| {
        printed
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name.trim_matches('\\')))
    };
    if !text.contains('=') && !text.contains(':') {
        return std::borrow::Cow::Borrowed(text);
    }
    let step = QUERY_FIELD.replace_all(text, |c: &fancy_regex::Captures<'_, str>| {
        let v = &c[3];
        if printed_field(&c[2]) {
            return c[0].to_string();
        }
        let shown = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => format!("\"{}\"", mask_or_dots(inner)),
            None => mask_or_dots(v),
        };
        format!("{}{}={shown}", &c[1], &c[2])
    });
    let out = JSON_FIELD.replace_all(&step, |c: &fancy_regex::Captures<'_, str>| {
        let v = &c[4];
        if v.is_empty() || printed_field(&c[3]) {
            c[0].to_string()
        } else {
            format!("{}{}", &c[1], mask_or_dots(v))
        }
    });
    let changed =
        matches!(step, std::borrow::Cow::Owned(_)) || matches!(out, std::borrow::Cow::Owned(_));
    if changed {
        std::borrow::Cow::Owned(out.into_owned())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A query parameter, form field or JSON key whose value is a credential (see [`FIELD_NAME`]).
pub fn secret_field_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "passwd", "token", "secret"]
        .iter()
        .any(|s| n.ends_with(s))
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || matches!(
            n.as_str(),
            "pass" | "pwd" | "oauth_signature" | "signature" | "sig" | "api_key" | "apikey"
        )
}

/// The values of secret-named fields of a request body (a JSON document or a form), for the
/// masker: `{"username":"admin","password":"…"}` → the password.
pub fn body_secrets(body: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, key: Option<&str>, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if key.is_some_and(secret_field_name) => {
                out.push(s.clone())
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, key, out)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, i)| walk(i, Some(k), out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body.trim()) {
        walk(&v, None, &mut out);
    } else {
        for (k, v) in url::form_urlencoded::parse(body.trim().as_bytes()) {
            if secret_field_name(&k) {
                out.push(v.into_owned());
            }
        }
    }
    out
}

/// [`mask`], or `…` for a value too short to show anything of: never empty.
fn mask_or_dots(v: &str) -> String {
    if v == "…" || v.is_empty() {
        return "…".into();
    }
    let m = mask(v);
    if m.is_empty() { "…".into() } else { m }
}

/// Redaction for an error line on stderr, where the run's secrets may not be known yet: known
/// secrets, the password of a URL (`scheme://user:…@host`), and words that look like tokens
/// (24+ characters of letters and digits with `.`, `_`, `-`, `+`, `=`, no `/`).
pub fn redact_error(line: &str, masker: &Masker) -> String {
    let line = masker.scrub(line);
    let mut out = String::with_capacity(line.len());
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&redact_word(word));
    }
    out
}

fn redact_word(word: &str) -> String {
    if let Some(scheme_end) = word.find("://")
        && let Some(at) = word.rfind('@')
        && at > scheme_end + 3
    {
        let auth = &word[scheme_end + 3..at];
        let user = auth.split(':').next().unwrap_or("");
        let kept = if auth.contains(':') {
            format!("{user}:…")
        } else {
            "…".to_string()
        };
        return format!("{}{kept}{}", &word[..scheme_end + 3], &word[at..]);
    }
    let core = word.trim_matches(|c: char| "'\"`(),;".contains(c));
    let tokenish = !is_journal_id(core)
        && core.chars().count() >= 24
        && core
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+=".contains(c))
        && core.chars().any(|c| c.is_ascii_digit())
        && core.chars().any(|c| c.is_ascii_alphabetic());
    if tokenish {
        word.replace(core, &mask(core))
    } else {
        word.to_string()
    }
}

/// Command lines and titles as the journal stores them: the values of secret options, token-like
/// words and the run's known secrets masked.
impl Masker {
    /// The command line as the journal stores it: values of secret options masked (`--password`,
    /// `--token`, `--oauth`, secrets in `--db` URLs and in Authorization/Cookie headers), any word
    /// that looks like a token masked, then the run's known secrets scrubbed.
    pub fn scrub_command(&self, args: &[String]) -> String {
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
        self.scrub(&shell_words::join(out))
    }

    /// Text with every word that looks like a token or key masked, then known secrets scrubbed.
    pub fn scrub_words(&self, text: &str) -> String {
        let masked: Vec<String> = text.split(' ').map(mask_word).collect();
        self.scrub(&masked.join(" "))
    }
}

fn secret_option(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password", "pass", "secret", "token", "oauth", "key", "db", "header", "curl",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n == "h"
}

fn mask_option_value(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "db" {
        return redact_url(value);
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
pub fn looks_secret(w: &str) -> bool {
    !is_journal_id(w)
        && w.chars().count() >= 16
        && !w.contains("::")
        && !w.starts_with('/')
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars().any(|c| c.is_ascii_alphabetic())
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.+/=~$:".contains(c))
}

/// A journal entry's id (`20261128T091403.123Z-acl-grant`, see
/// [`crate::fix::journal`]), alone or as its file name (`….json`): never a secret, and the
/// user needs it whole to undo the entry.
pub fn is_journal_id(w: &str) -> bool {
    let w = w.strip_suffix(".json").unwrap_or(w);
    let b = w.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    b.len() > 21
        && digits(0..8)
        && b[8] == b'T'
        && digits(9..15)
        && b[15] == b'.'
        && digits(16..19)
        && &b[19..21] == b"Z-"
        && b[21..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn mask_word(w: &str) -> String {
    if looks_secret(w) {
        mask(w)
    } else {
        w.to_string()
    }
}

/// The URL as messages may show it: everything between `://` and the last `@` (user and
/// password, whatever characters the password holds) becomes `***`. Without any `@` there is no
/// user-info to tell apart from the host, so everything after `://` is hidden when it holds a `:`
/// (`mysql://u:S3cret` could be a user and password as well as a host and port).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    match rest.rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None if rest.contains(':') => format!("{scheme}***"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_ids_are_never_masked() {
        let m = Masker::new();
        for id in [
            "20261128T091403.123Z-acl-grant",
            "20261128T091403.123Z-acl-grant-role-5.json",
            "20261207T150212.004Z-undo",
        ] {
            assert!(is_journal_id(id), "{id}");
            assert!(!looks_secret(id), "{id}");
            let line = format!("journal entry {id} was already undone");
            assert_eq!(redact_error(&line, &m), line);
            assert_eq!(m.scrub_words(&line), line);
            let cmd = vec!["m2auth".to_string(), "undo".into(), id.into()];
            assert_eq!(m.scrub_command(&cmd), format!("m2auth undo {id}"));
        }
        // Shaped like one but not one: still masked.
        assert!(!is_journal_id("20261128T091403.123Z-ABCdef0123456789"));
        assert!(looks_secret("20261128x091403x123Zabcdef0123456789"));
    }

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
    fn common_and_public_words_are_left_alone() {
        let mut m = Masker::new();
        m.add("magento");
        m.add("magento2");
        m.add("Keep Calm and Run Magento Setup");
        m.add("m2_user_x");
        m.public("m2_user_x");
        let mut doc = serde_json::json!({"magento": {"version": "2.4.7", "source": "magento/magento2-base"}, "user": "m2_user_x"});
        let before = doc.clone();
        m.scrub_json(&mut doc);
        assert_eq!(doc, before);
        assert_eq!(m.scrub("Magento Setup"), "Magento Setup");
    }

    #[test]
    fn json_values_are_scrubbed_keys_never() {
        let mut m = Masker::new();
        m.add("S3cret-Pa55word");
        let mut doc = serde_json::json!({"S3cret-Pa55word": ["x S3cret-Pa55word y"]});
        m.scrub_json(&mut doc);
        assert_eq!(
            doc,
            serde_json::json!({"S3cret-Pa55word": ["x S3…  y".replace("  ", " ")]})
        );
    }

    #[test]
    fn error_lines_lose_url_passwords_and_tokens() {
        let m = Masker::new();
        assert_eq!(
            redact_error("bad URL mysql://u:pa/ss@h/db here", &m),
            "bad URL mysql://u:…@h/db here"
        );
        let jwt = "eyJraWQiOiIxIn0.eyJ1aWQiOjF9.c2lnbmF0dXJlMTIz";
        assert!(!redact_error(&format!("unexpected argument '{jwt}'"), &m).contains(jwt));
        assert_eq!(
            redact_error("app/etc/env.php:3:5: expected `]`", &m),
            "app/etc/env.php:3:5: expected `]`"
        );
    }

    #[test]
    fn scrubs_each_of_several_keys() {
        let mut m = Masker::new();
        m.add_keys("0123456789abcdef0123456789abcdef\nbase64QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=");
        let out = m.scrub(
            "k1=0123456789abcdef0123456789abcdef k2=base64QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
        );
        assert!(!out.contains("0123456789abcdef0123"));
        assert!(!out.contains("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"));
    }

    #[test]
    fn secret_fields_are_masked_wherever_they_stand() {
        let m = Masker::new();
        let line = "Request:  GET https://shop.test/rest/V1/x?access_token=abcdefghijklmnop1234&page=2 (auth: none)";
        let out = m.scrub(line);
        assert!(!out.contains("abcdefghijklmnop1234"), "{out}");
        assert!(out.contains("page=2"), "{out}");
        let body = r#"{"username":"admin","password":"Sup3r-Secret-Pw!","nested":{"new_password":"x1y2z3w4v5"}}"#;
        let out = m.scrub(body);
        assert!(
            !out.contains("Sup3r-Secret-Pw!") && !out.contains("x1y2z3w4v5"),
            "{out}"
        );
        assert!(out.contains(r#""username":"admin""#), "{out}");
        let escaped = r#"{\"password\":\"Sup3r-Secret-Pw!\"}"#;
        assert!(!m.scrub(escaped).contains("Sup3r-Secret-Pw!"));
        let form = "username=admin&password=Hunter2Hunter2&oauth_signature=c2lnbmF0dXJl";
        let out = m.scrub(form);
        assert!(
            !out.contains("Hunter2Hunter2") && !out.contains("c2lnbmF0dXJl"),
            "{out}"
        );
        assert_eq!(
            m.scrub("oauth_signature_method=HMAC-SHA256"),
            "oauth_signature_method=HMAC-SHA256"
        );
        assert_eq!(m.scrub("no fields here: a=b"), "no fields here: a=b");
        assert_eq!(
            body_secrets(r#"{"username":"admin","password":"Sup3r-Secret-Pw!"}"#),
            vec!["Sup3r-Secret-Pw!"]
        );
        assert_eq!(body_secrets("user=a&pass=b%20c"), vec!["b c"]);
    }

    #[test]
    fn mask_first_then_cut() {
        let jwt = "eyJraWQiOiIxIn0.eyJ1aWQiOjEsInV0eXBpZCI6Mn0.c2lnbmF0dXJlc2lnbmF0dXJlc2ln";
        let mut m = Masker::new();
        m.add(jwt);
        let body = format!("{{\"echo\":\"Bearer {jwt}\"}}");
        for cut in 0..body.len() {
            let out = m.scrub_then_cut(&body, cut);
            assert!(!out.contains(&jwt[..24]), "{out}");
        }
    }

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
        let text = m.scrub_command(&args);
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
