//! OAuth 1.0a as Magento checks an integration's signed REST request, and as a standard client
//! (RFC 5849) signs one. Pure: no I/O.
//!
//! Magento (read from magento/magento2):
//! - `lib/internal/Magento/Framework/Oauth/Helper/Request.php::_processRequest`: the parameters
//!   are the `name="value"` pairs after the first case-insensitive `oauth ` of the Authorization
//!   header whose name matches `/oauth_[a-z_-]+/` (unanchored), both rawurldecoded; then the
//!   non-protocol parameters of a body whose Content-Type *starts with*
//!   `application/x-www-form-urlencoded` (`parse_str`); then the non-protocol pairs of the query
//!   string that split into exactly two pieces on `=` (`urldecode`). Protocol parameters in the
//!   query are never read (`_fetchProtocolParamsFromQuery` wants an array, gets a string).
//! - The URL is `getScheme() . '://' . getHttpHost(false) . getRequestUri()`: the Host header with
//!   its port, the path and query as sent.
//! - The base string has two shapes ([`Variant`]): up to 2.4.7 the Zend/Laminas
//!   `Oauth\Http\Utility::sign` (URL normalised: scheme and host lower-cased, default port
//!   dropped, path dot segments removed and unreserved escapes decoded, query cleared; keys sorted
//!   with `strnatcmp`); from 2.4.8 the in-house `Helper\Signature\Hmac` (URL from `parse_url`:
//!   scheme, host as sent, the port when one is present, path; the URL's query merged in again
//!   with `parse_str`; keys sorted with `ksort`). Values and keys are `rawurlencode`d; the key is
//!   `rawurlencode(consumer secret) & rawurlencode(token secret)`; the signature is
//!   base64(HMAC); `Security::compareStrings` compares it byte for byte.
//! - `Oauth::getSupportedSignatureMethods()` is `[HMAC-SHA256]` since 2.4.4 (HMAC-SHA1 too before).

use std::cmp::Ordering;

use hmac::{Hmac, Mac};

/// `Generator::TIME_DEVIATION`: a timestamp may be at most this many seconds ahead.
pub const TIME_DEVIATION: i64 = 600;
/// `Helper\Oauth::LENGTH_NONCE` (and the `oauth_nonce.nonce` varchar(32) column).
pub const NONCE_LENGTH: usize = 32;
/// `LENGTH_TOKEN`, `LENGTH_CONSUMER_KEY`.
pub const TOKEN_LENGTH: usize = 32;
pub const CONSUMER_KEY_LENGTH: usize = 32;

pub const HMAC_SHA256: &str = "HMAC-SHA256";
pub const HMAC_SHA1: &str = "HMAC-SHA1";

/// The parameters `validateAccessTokenRequest` requires, in Magento's order.
pub const REQUIRED: &[&str] = &[
    "oauth_consumer_key",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_nonce",
    "oauth_timestamp",
    "oauth_token",
];

/// How Magento builds the signature base string (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Zend/Laminas `Oauth\Http\Utility` (up to 2.4.7).
    Laminas,
    /// In-house `Magento\Framework\Oauth\Helper\Signature\Hmac` (2.4.8 and later).
    Native,
}

impl Variant {
    pub fn describe(self) -> &'static str {
        match self {
            Variant::Laminas => "Laminas/Zend OAuth (Magento up to 2.4.7)",
            Variant::Native => "Magento's own Signature\\Hmac (2.4.8 and later)",
        }
    }
}

/// The variants to try for a release (`None` = unknown: both, newest first).
pub fn variants_for(release: Option<(u32, u32, u32)>) -> Vec<Variant> {
    match release {
        Some(v) if v >= (2, 4, 8) => vec![Variant::Native],
        Some(_) => vec![Variant::Laminas],
        None => vec![Variant::Native, Variant::Laminas],
    }
}

/// The signature methods Magento accepts for a release (`None` = unknown: the current list).
pub fn supported_methods(release: Option<(u32, u32, u32)>) -> &'static [&'static str] {
    match release {
        Some(v) if v < (2, 4, 4) => &[HMAC_SHA1, HMAC_SHA256],
        _ => &[HMAC_SHA256],
    }
}

/// Parameters in PHP array order: a key set again keeps its place and takes the new value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, key: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.0.push((key.to_string(), value.to_string())),
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `oauth_*` parameters only.
    pub fn protocol(&self) -> Params {
        Params(
            self.0
                .iter()
                .filter(|(k, _)| is_protocol_parameter(k))
                .cloned()
                .collect(),
        )
    }
}

/// `Helper\Request::_isProtocolParameter`: `preg_match('/oauth_[a-z_-]+/', $name)`, unanchored.
pub fn is_protocol_parameter(name: &str) -> bool {
    let b = name.as_bytes();
    let mut from = 0;
    while let Some(i) = name[from..].find("oauth_") {
        let after = from + i + 6;
        if b.get(after)
            .is_some_and(|c| c.is_ascii_lowercase() || *c == b'_' || *c == b'-')
        {
            return true;
        }
        from = from + i + 1;
    }
    false
}

/// PHP `rawurlencode` (RFC 3986: everything but `A-Za-z0-9-_.~` is escaped), which is also
/// Laminas' `Utility::urlEncode` and RFC 5849's percent-encoding.
pub fn rawurlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// PHP `rawurldecode` (`%XX` only).
pub fn rawurldecode(s: &str) -> String {
    decode(s, false)
}

/// PHP `urldecode` (`+` is a space too).
pub fn urldecode(s: &str) -> String {
    decode(s, true)
}

/// PHP `parse_str`, for flat parameters: pairs split on `&` and the first `=`, `urldecode`d; a
/// later pair replaces an earlier one with the same name. Names with `[]` are kept as written.
pub fn parse_str(s: &str) -> Params {
    let mut p = Params::default();
    for pair in s.split('&').filter(|x| !x.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = urldecode(k);
        if k.is_empty() {
            continue;
        }
        // PHP turns ' ' and '.' in names into '_'.
        let k = k.replace([' ', '.'], "_");
        p.set(&k, &urldecode(v));
    }
    p
}

/// PHP `trim()`'s default characters.
fn php_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B'])
}

/// `Helper\Request::_processHeader`: `None` when the header holds no `oauth ` (the request is not
/// an OAuth one for Magento); else the protocol parameters, decoded.
pub fn parse_authorization(value: &str) -> Option<Params> {
    let lower = value.to_ascii_lowercase();
    let pos = lower.find("oauth ")?;
    let mut params = Params::default();
    for piece in value[pos + 6..].split(',') {
        let Some((name, v)) = php_trim(piece).split_once('=') else {
            continue;
        };
        if is_protocol_parameter(name) {
            params.set(&rawurldecode(name), &rawurldecode(v.trim_matches('"')));
        }
    }
    Some(params)
}

/// A request as Magento sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenRequest {
    pub method: String,
    /// `scheme://Host-header/path?query`, as `Helper\Request::getRequestUrl` builds it.
    pub url: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Option<String>,
}

/// `Helper\Request::_processRequest`: every parameter Magento signs and validates, or `None` when
/// the Authorization header is no OAuth one.
pub fn collect_params(req: &SeenRequest) -> Option<Params> {
    let mut params = parse_authorization(req.authorization.as_deref().unwrap_or(""))?;
    if let (Some(body), Some(ct)) = (&req.body, &req.content_type)
        && ct.starts_with("application/x-www-form-urlencoded")
    {
        let header_empty = params.is_empty();
        for (k, v) in parse_str(body).0 {
            if !is_protocol_parameter(&k) || header_empty {
                params.set(&k, &v);
            }
        }
    }
    if let Some(query) = split_url(&req.url).query {
        for pair in query.split('&') {
            let parts: Vec<&str> = pair.split('=').collect();
            if parts.len() == 2 && !is_protocol_parameter(parts[0]) {
                params.set(&urldecode(parts[0]), &urldecode(parts[1]));
            }
        }
    }
    Some(params)
}

/// A URL split as `parse_url` does, for the URLs m2auth builds (`scheme://host[:port]/path?q`).
#[derive(Debug, Clone, PartialEq)]
pub struct UrlParts<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
    pub port: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
}

pub fn split_url(url: &str) -> UrlParts<'_> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split('#').next().unwrap_or("");
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i..]),
        None => (before_query, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p))
            if !h.is_empty()
                && !p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (!h.contains(':') || h.ends_with(']')) =>
        {
            (h, Some(p))
        }
        _ => (authority, None),
    };
    UrlParts {
        scheme,
        host,
        port,
        path,
        query,
    }
}

/// RFC 5849 §3.4.1.2 (and Laminas' `normaliseBaseSignatureUrl`): scheme and host lower-cased,
/// the default port dropped, query and fragment removed. `normalise_path` also applies Magento's
/// Laminas path normalisation (dot segments, unreserved escapes decoded, unsafe bytes escaped).
pub fn normalise_url(url: &str, normalise_path: bool) -> String {
    let u = split_url(url);
    let scheme = u.scheme.to_ascii_lowercase();
    let mut s = format!("{scheme}://{}", u.host.to_ascii_lowercase());
    let default = match scheme.as_str() {
        "http" => Some("80"),
        "https" => Some("443"),
        _ => None,
    };
    if let Some(p) = u.port
        && Some(p) != default
    {
        s.push(':');
        s.push_str(p);
    }
    let path = if u.path.is_empty() { "/" } else { u.path };
    if normalise_path {
        s.push_str(&laminas_path(path));
    } else {
        s.push_str(path);
    }
    s
}

/// `Magento\Framework\Oauth\Helper\Uri\Http::normalizePath`.
fn laminas_path(path: &str) -> String {
    // Dot segments (RFC 3986 §5.2.4).
    let mut out: Vec<&str> = Vec::new();
    let trailing = path.ends_with("/.") || path.ends_with("/..") || path.ends_with('/');
    for seg in path.split('/').skip(1) {
        match seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut p = format!("/{}", out.join("/"));
    if trailing && !p.ends_with('/') {
        p.push('/');
    }
    // Decode escapes of unreserved characters, then escape what a path may not hold.
    let b = p.as_bytes();
    let mut decoded = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            let c = h * 16 + l;
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                decoded.push(c);
                i += 3;
                continue;
            }
        }
        decoded.push(b[i]);
        i += 1;
    }
    let mut s = String::new();
    for (j, &c) in decoded.iter().enumerate() {
        let escape_ok = c == b'%'
            && decoded.get(j + 1).and_then(|x| hex(*x)).is_some()
            && decoded.get(j + 2).and_then(|x| hex(*x)).is_some();
        if c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&c) || escape_ok {
            s.push(c as char);
        } else {
            s.push_str(&format!("%{c:02X}"));
        }
    }
    s
}

/// PHP `strnatcmp` (natural order: digit runs compare as numbers).
pub fn strnatcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let na = trim_zeros(&a[si..i]);
            let nb = trim_zeros(&b[sj..j]);
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|c| **c == b'0').count();
    &d[n.min(d.len().saturating_sub(1))..]
}

/// The signature base string Magento computes (`oauth_signature` is never part of it).
pub fn magento_base_string(variant: Variant, method: &str, url: &str, params: &Params) -> String {
    let mut params = params.clone();
    params.remove("oauth_signature");
    match variant {
        Variant::Laminas => {
            let mut enc: Vec<(String, String)> = Vec::new();
            for (k, v) in &params.0 {
                let k = rawurlencode(k);
                match enc.iter_mut().find(|(ek, _)| *ek == k) {
                    Some(slot) => slot.1 = rawurlencode(v),
                    None => enc.push((k, rawurlencode(v))),
                }
            }
            enc.sort_by(|a, b| strnatcmp(&a.0, &b.0));
            let joined: Vec<String> = enc.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "{}&{}&{}",
                method.to_ascii_uppercase(),
                rawurlencode(&normalise_url(url, true)),
                rawurlencode(&joined.join("&"))
            )
        }
        Variant::Native => {
            let u = split_url(url);
            let mut base = format!("{}://{}", u.scheme, u.host);
            if let Some(p) = u.port {
                base.push(':');
                base.push_str(p);
            }
            base.push_str(u.path);
            if let Some(q) = u.query {
                for (k, v) in parse_str(q).0 {
                    params.set(&k, &v);
                }
            }
            params.remove("oauth_signature");
            let mut sorted = params.0.clone();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let joined: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}={}", rawurlencode(k), rawurlencode(v)))
                .collect();
            format!(
                "{}&{}&{}",
                method.to_ascii_uppercase(),
                rawurlencode(&base),
                rawurlencode(&joined.join("&"))
            )
        }
    }
}

/// The RFC 5849 §3.4.1 base string a standard client (oauthlib, Postman…) signs: the query's
/// pairs (all of them), the protocol parameters but `oauth_signature` and `realm`, and the pairs
/// of a form body; each encoded, sorted by name then value.
pub fn rfc5849_base_string(
    method: &str,
    url: &str,
    protocol: &Params,
    form_body: Option<&str>,
) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut add_query = |s: &str| {
        for pair in s.split('&').filter(|x| !x.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            pairs.push((rawurlencode(&urldecode(k)), rawurlencode(&urldecode(v))));
        }
    };
    if let Some(q) = split_url(url).query {
        add_query(q);
    }
    if let Some(b) = form_body {
        add_query(b);
    }
    for (k, v) in &protocol.0 {
        if k != "oauth_signature" && k != "realm" {
            pairs.push((rawurlencode(k), rawurlencode(v)));
        }
    }
    pairs.sort();
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        rawurlencode(&normalise_url(url, false)),
        rawurlencode(&joined.join("&"))
    )
}

/// The HMAC key: `rawurlencode(consumer secret) & rawurlencode(token secret)`.
pub fn signing_key(consumer_secret: &str, token_secret: &str) -> String {
    format!(
        "{}&{}",
        rawurlencode(consumer_secret),
        rawurlencode(token_secret)
    )
}

/// base64(HMAC(key, base string)) for `HMAC-SHA256` or `HMAC-SHA1`; `None` for another method.
pub fn sign(method: &str, key: &str, base: &str) -> Option<String> {
    use base64::Engine as _;
    let mac = match method {
        HMAC_SHA256 => {
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).ok()?;
            m.update(base.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        HMAC_SHA1 => {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).ok()?;
            m.update(base.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        _ => return None,
    };
    Some(base64::engine::general_purpose::STANDARD.encode(mac))
}

/// `Security::compareStrings`: equal bytes, in constant time.
pub fn signatures_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a client needs to sign a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
}

/// A request signed by m2auth as a standard client would (RFC 5849, HMAC-SHA256).
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    /// The protocol parameters sent, `oauth_signature` included.
    pub params: Params,
    pub base_string: String,
    pub signature: String,
    /// `OAuth oauth_consumer_key="…", …` (values rawurlencoded).
    pub header: String,
}

/// Sign `method url` (the URL as the client sends it, query included) with HMAC-SHA256.
pub fn sign_request(
    creds: &Credentials<'_>,
    method: &str,
    url: &str,
    form_body: Option<&str>,
    nonce: &str,
    timestamp: i64,
) -> Signed {
    let mut params = Params::default();
    params.set("oauth_consumer_key", creds.consumer_key);
    params.set("oauth_nonce", nonce);
    params.set("oauth_signature_method", HMAC_SHA256);
    params.set("oauth_timestamp", &timestamp.to_string());
    params.set("oauth_token", creds.token);
    params.set("oauth_version", "1.0");
    let base_string = rfc5849_base_string(method, url, &params, form_body);
    let key = signing_key(creds.consumer_secret, creds.token_secret);
    let signature = sign(HMAC_SHA256, &key, &base_string).unwrap_or_default();
    params.set("oauth_signature", &signature);
    let header = authorization_header(&params);
    Signed {
        params,
        base_string,
        signature,
        header,
    }
}

/// `OAuth k="v", …` with names and values rawurlencoded (Magento's `toAuthorizationHeader`).
pub fn authorization_header(params: &Params) -> String {
    let parts: Vec<String> = params
        .0
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", rawurlencode(k), rawurlencode(v)))
        .collect();
    format!("OAuth {}", parts.join(", "))
}

// A random nonce needs the operating system's random source (I/O), which this pure module
// does not do: the generator lives in `crate::random`; re-exported so that
// `magento::oauth1::random_nonce` keeps working for its callers.
pub use crate::random::random_nonce;

/// Two strings with the part where they differ wrapped in `⟦…⟧` (common prefix and suffix left
/// as they are).
pub fn mark_difference(a: &str, b: &str) -> (String, String) {
    if a == b {
        return (a.to_string(), b.to_string());
    }
    let ac: Vec<char> = a.chars().collect();
    let bc: Vec<char> = b.chars().collect();
    let pre = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let max_suf = ac.len().min(bc.len()) - pre;
    let suf = ac
        .iter()
        .rev()
        .zip(bc.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    let mark = |c: &[char]| {
        let (p, rest) = c.split_at(pre);
        let (mid, s) = rest.split_at(rest.len() - suf);
        format!(
            "{}⟦{}⟧{}",
            p.iter().collect::<String>(),
            mid.iter().collect::<String>(),
            s.iter().collect::<String>()
        )
    };
    (mark(&ac), mark(&bc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5849 §3.4.1.1's example request (HMAC-SHA1 in the RFC; the base string is the same).
    #[test]
    fn rfc5849_example_base_string() {
        let header = r#"OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D""#;
        let p = parse_authorization(header).unwrap();
        assert_eq!(
            p.get("oauth_signature"),
            Some("bYT5CMsGcbgUdFHObYMEfcx6bsw=")
        );
        assert_eq!(p.get("realm"), None);
        let base = rfc5849_base_string(
            "post",
            "http://EXAMPLE.com:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
            &p,
            Some("c2&a3=2+q"),
        );
        assert_eq!(
            base,
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        );
    }

    /// RFC 5849 §1.2 (the photos example) with HMAC-SHA1: the signature as corrected by erratum 2550
    /// (the RFC text prints `MdpQcU8iPSUjWoN5UDK1tx0WEOg=`, computed with an older base string).
    #[test]
    fn rfc5849_photos_signature() {
        let mut p = Params::default();
        for (k, v) in [
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ] {
            p.set(k, v);
        }
        let base = rfc5849_base_string(
            "GET",
            "http://photos.example.net/photos?file=vacation.jpg&size=original",
            &p,
            None,
        );
        let key = signing_key("kd94hf93k423kf44", "pfkkdhi9sl3r4s00");
        assert_eq!(
            sign(HMAC_SHA1, &key, &base).unwrap(),
            "MdpQcU8iPSUjWoN/UDMsK2sui9I="
        );
    }

    #[test]
    fn magento_header_parsing() {
        // Anything before "oauth " is ignored, names must match oauth_[a-z_-]+, quotes trimmed.
        let p = parse_authorization(
            "Foo OAUTH oauth_consumer_key=\"a%20b\",realm=\"x\", oauth_nonce=n1 ,bogus",
        )
        .unwrap();
        assert_eq!(p.get("oauth_consumer_key"), Some("a b"));
        assert_eq!(p.get("oauth_nonce"), Some("n1"));
        assert_eq!(p.get("realm"), None);
        assert!(parse_authorization("Bearer abc").is_none());
        assert!(is_protocol_parameter("xoauth_foo"));
        assert!(!is_protocol_parameter("oauth_"));
        assert!(!is_protocol_parameter("oauth_1"));
    }

    #[test]
    fn magento_collects_query_and_form_body_but_not_json() {
        let header = "OAuth oauth_consumer_key=\"k\", oauth_signature=\"s\"";
        let mut req = SeenRequest {
            method: "POST".into(),
            url: "https://m.test/rest/V1/x?a=1&b=2=3&flag&oauth_token=t&c=%7E+".into(),
            authorization: Some(header.into()),
            content_type: Some("application/x-www-form-urlencoded; charset=UTF-8".into()),
            body: Some("d=4&oauth_nonce=n".into()),
        };
        let p = collect_params(&req).unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("flag"), None);
        assert_eq!(p.get("oauth_token"), None);
        assert_eq!(p.get("c"), Some("~ "));
        assert_eq!(p.get("d"), Some("4"));
        assert_eq!(p.get("oauth_nonce"), None);
        req.content_type = Some("application/json".into());
        assert_eq!(collect_params(&req).unwrap().get("d"), None);
    }

    #[test]
    fn variants_differ_on_default_port_and_natural_order() {
        let mut p = Params::default();
        p.set("a10", "x");
        p.set("a9", "y");
        let url = "https://Shop.test:443/rest/V1/x";
        let lam = magento_base_string(Variant::Laminas, "GET", url, &p);
        let nat = magento_base_string(Variant::Native, "GET", url, &p);
        assert!(lam.starts_with("GET&https%3A%2F%2Fshop.test%2Frest"));
        assert!(lam.ends_with("a9%3Dy%26a10%3Dx"));
        assert!(nat.starts_with("GET&https%3A%2F%2FShop.test%3A443%2Frest"));
        assert!(nat.ends_with("a10%3Dx%26a9%3Dy"));
    }

    #[test]
    fn laminas_normalises_the_path() {
        assert_eq!(
            normalise_url("HTTP://a.test:8080/rest/./x/../V1/%7Efoo bar?q=1", true),
            "http://a.test:8080/rest/V1/~foo%20bar"
        );
    }

    #[test]
    fn signing_round_trips_through_magento_parsing() {
        let creds = Credentials {
            consumer_key: "key00000000000000000000000000001",
            consumer_secret: "sec 1&~",
            token: "tok00000000000000000000000000001",
            token_secret: "ts/1",
        };
        let url = "https://m.test/rest/default/V1/products?searchCriteria[pageSize]=1";
        let s = sign_request(&creds, "GET", url, None, "abc", 1_800_000_000);
        assert!(s.header.contains("oauth_signature_method=\"HMAC-SHA256\""));
        let req = SeenRequest {
            method: "GET".into(),
            url: url.into(),
            authorization: Some(s.header.clone()),
            content_type: None,
            body: None,
        };
        let p = collect_params(&req).unwrap();
        assert_eq!(p.get("oauth_signature"), Some(s.signature.as_str()));
        let key = signing_key(creds.consumer_secret, creds.token_secret);
        for v in [Variant::Laminas, Variant::Native] {
            let base = magento_base_string(v, "GET", url, &p);
            assert_eq!(base, s.base_string, "{v:?}");
            assert!(signatures_equal(
                &sign(HMAC_SHA256, &key, &base).unwrap(),
                &s.signature
            ));
        }
    }

    #[test]
    fn natural_order() {
        assert_eq!(strnatcmp("a9", "a10"), Ordering::Less);
        assert_eq!(strnatcmp("oauth_nonce", "oauth_token"), Ordering::Less);
        assert_eq!(strnatcmp("a", "a0"), Ordering::Less);
    }

    #[test]
    fn differences_are_marked() {
        let (a, b) = mark_difference("GET&http%3A%2F%2Fx", "GET&https%3A%2F%2Fx");
        assert_eq!(a, "GET&http⟦⟧%3A%2F%2Fx");
        assert_eq!(b, "GET&http⟦s⟧%3A%2F%2Fx");
    }
}
