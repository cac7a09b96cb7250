//! What answered, from the response alone (pure: no I/O). The order matters: a 2xx is a
//! success whatever its body; then Magento's own error body (a Magento 401 behind Cloudflare
//! still is Magento's), redirects, a web server's Basic auth (a CDN passes it through), WAF and
//! CDN block pages (by their block-page body, not a CDN header alone), and any other 401/403.

use serde_json::Value;

use crate::live::client::{Exchange, Response, Unreachable};

/// Magento's REST error (`Magento\Framework\Webapi\ErrorProcessor`): JSON `{"message": …,
/// "parameters": …, "trace": …}` or XML `<response><message>…</message>…</response>`.
#[derive(Debug, Clone, PartialEq)]
pub struct MagentoError {
    /// The message as sent, with `%name`/`%1` placeholders.
    pub message: String,
    /// The message with its parameters filled in, as the admin would read it.
    pub rendered: String,
    /// `parameters` as name → value (`resources` → `Magento_Catalog::products`; list
    /// parameters are named `1`, `2`, … as Magento's phrase renderer numbers them).
    pub parameters: Vec<(String, String)>,
    /// Present in developer mode only.
    pub trace: Option<String>,
    /// `json` or `xml`.
    pub format: &'static str,
}

impl MagentoError {
    /// "The consumer isn't authorized to access %resources." — Magento's one message for every
    /// refused caller (bad/missing token, stripped header, missing ACL resource).
    pub fn is_consumer_not_authorized(&self) -> bool {
        let m = self.message.to_ascii_lowercase();
        m.starts_with("the consumer isn't authorized")
            || m.starts_with("consumer is not authorized")
            || m.starts_with("the consumer isn’t authorized")
    }

    /// The ACL resources the message names (`%resources`), if any.
    pub fn resources(&self) -> Vec<String> {
        self.parameters
            .iter()
            .filter(|(k, _)| k == "resources")
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// A WAF or CDN recognised by its signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Waf {
    pub vendor: &'static str,
    /// What gave it away (a header or a body phrase).
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Classification {
    /// Magento's REST error body (any status).
    MagentoError { status: u16, error: MagentoError },
    /// 2xx: the request went through.
    Success { status: u16 },
    /// 3xx: the server redirects; m2auth never follows.
    Redirect {
        status: u16,
        location: Option<String>,
    },
    /// A WAF or CDN block page (4xx/5xx with its signature).
    Waf { status: u16, waf: Waf },
    /// 401 with `WWW-Authenticate: Basic` and no Magento body: HTTP Basic auth in front.
    BasicAuth { realm: Option<String> },
    /// Any other 401 that is not Magento's.
    Server401 { www_authenticate: Option<String> },
    /// A 403 that is not Magento's and not a WAF's: a server rule.
    Server403,
    /// Anything else (a web server's 404, a 500 page, a 2xx from something else…).
    Other { status: u16 },
    /// Nothing answered.
    Unreachable(Unreachable),
}

impl Classification {
    /// The stable name in `response.classification`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Classification::MagentoError { .. } => "magento-error",
            Classification::Success { .. } => "success",
            Classification::Redirect { .. } => "redirect",
            Classification::Waf { .. } => "waf",
            Classification::BasicAuth { .. } => "basic-auth",
            Classification::Server401 { .. } => "server-401",
            Classification::Server403 => "server-403",
            Classification::Other { .. } => "other",
            Classification::Unreachable(u)
                if u.kind == crate::live::client::UnreachableKind::Certificate =>
            {
                "tls-certificate-invalid"
            }
            Classification::Unreachable(_) => "unreachable",
        }
    }

    /// One line for the text report.
    pub fn summary(&self) -> String {
        match self {
            Classification::MagentoError { status, error } => format!(
                "Magento's {} error ({status}): {}",
                error.format.to_uppercase(),
                error.rendered
            ),
            Classification::Success { status } => format!("success ({status})"),
            Classification::Redirect { status, location } => format!(
                "redirect ({status}) to {}",
                location.as_deref().unwrap_or("(no Location header)")
            ),
            Classification::Waf { status, waf } => {
                format!("blocked by {} ({status}; {})", waf.vendor, waf.signature)
            }
            Classification::BasicAuth { realm } => match realm {
                Some(r) => format!("the web server asks for HTTP Basic auth (realm \"{r}\")"),
                None => "the web server asks for HTTP Basic auth".into(),
            },
            Classification::Server401 { .. } => "a 401 that is not Magento's".into(),
            Classification::Server403 => "a 403 from the web server, not from Magento".into(),
            Classification::Other { status } => {
                format!("status {status}, not Magento's REST answer")
            }
            Classification::Unreachable(u)
                if u.kind == crate::live::client::UnreachableKind::Certificate =>
            {
                format!("TLS certificate of {} rejected: {}", u.address, u.detail)
            }
            Classification::Unreachable(u) => {
                format!(
                    "no answer from {} ({}): {}",
                    u.address,
                    u.kind.as_str(),
                    u.detail
                )
            }
        }
    }
}

/// Classify an exchange.
pub fn classify(exchange: &Exchange) -> Classification {
    match exchange {
        Ok(r) => classify_response(r),
        Err(u) => Classification::Unreachable(u.clone()),
    }
}

pub fn classify_response(r: &Response) -> Classification {
    let status = r.status;
    let body = r.body_text();
    // GraphQL answers its errors in `errors[]` (HTTP 200 before 2.4.8) and SOAP its faults at
    // HTTP 200: Magento's answer either way (issue 14).
    if let Some(error) = graphql_error(&body).or_else(|| soap_fault(&body)) {
        return Classification::MagentoError { status, error };
    }
    // A 2xx went through, whatever its body looks like (a product may have a `message` field).
    if (200..300).contains(&status) {
        return Classification::Success { status };
    }
    if let Some(error) = magento_error(r, &body) {
        return Classification::MagentoError { status, error };
    }
    if (300..400).contains(&status) {
        return Classification::Redirect {
            status,
            location: r.header("location").map(str::to_string),
        };
    }
    // Basic auth before WAFs: a CDN in front (cf-ray, x-amz-cf-id) passes the origin's
    // Basic-auth 401 through.
    if status == 401
        && let Some(challenge) = basic_challenge(r)
    {
        return Classification::BasicAuth {
            realm: realm(&challenge),
        };
    }
    if status >= 400
        && let Some(waf) = waf(r, &body)
    {
        return Classification::Waf { status, waf };
    }
    match status {
        401 => Classification::Server401 {
            www_authenticate: r.header("www-authenticate").map(str::to_string),
        },
        403 => Classification::Server403,
        _ => Classification::Other { status },
    }
}

/// The challenges of every `WWW-Authenticate` header, each as `Scheme params…`: one header may
/// hold several (`Bearer realm="api", Basic realm="Staging"`), and several headers may come.
fn challenges(r: &Response) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in r.header_all("www-authenticate") {
        let mut in_quotes = false;
        let mut part = String::new();
        let mut parts = Vec::new();
        for c in v.chars() {
            match c {
                '"' => {
                    in_quotes = !in_quotes;
                    part.push(c);
                }
                ',' if !in_quotes => parts.push(std::mem::take(&mut part)),
                _ => part.push(c),
            }
        }
        parts.push(part);
        for p in parts {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            // `Scheme` or `Scheme param=…` starts a challenge; `param=…` continues the last one.
            let first = p.split_whitespace().next().unwrap_or("");
            if first.contains('=') || out.is_empty() {
                match out.last_mut() {
                    Some(last) if first.contains('=') => {
                        last.push_str(", ");
                        last.push_str(p);
                    }
                    _ => out.push(p.to_string()),
                }
            } else {
                out.push(p.to_string());
            }
        }
    }
    out
}

fn scheme(challenge: &str) -> &str {
    challenge.split_whitespace().next().unwrap_or("")
}

/// The Basic challenge among the answer's challenges.
fn basic_challenge(r: &Response) -> Option<String> {
    challenges(r)
        .into_iter()
        .find(|c| scheme(c).eq_ignore_ascii_case("basic"))
}

/// A challenge of a scheme Magento never sends (Magento sends none; Bearer/OAuth are tolerated).
fn foreign_challenge(r: &Response) -> bool {
    challenges(r).iter().any(|c| {
        let s = scheme(c);
        !s.eq_ignore_ascii_case("bearer") && !s.eq_ignore_ascii_case("oauth")
    })
}

fn realm(v: &str) -> Option<String> {
    let i = v.to_ascii_lowercase().find("realm=")?;
    let rest = v[i + 6..].trim();
    let r = match rest.strip_prefix('"') {
        Some(q) => q.split('"').next().unwrap_or(""),
        None => rest.split([',', ' ']).next().unwrap_or(""),
    };
    Some(r.to_string())
}

/// Phrases of Magento's own REST errors (lower-case, matched as substrings of `message`): the
/// ones m2auth explains (token, OAuth, login, route and HTTPS checks) and a few the webapi layer
/// sends for any request.
const MAGENTO_PHRASES: &[&str] = &[
    "consumer isn't authorized",
    "consumer isn’t authorized",
    "consumer is not authorized",
    "request does not match any route",
    "the signature is invalid",
    "sign-in was incorrect",
    "operation allowed only in https",
    "decoding error",
    "specified request cannot be processed",
    "request method is invalid",
    "the token length is invalid",
    "a consumer having the specified key does not exist",
    "access token has been revoked",
    "an error occurred validating the nonce",
    "consumer key is not the correct length",
    "specified token does not exist",
    "the nonce is already being used",
    "token is not an access token",
    "token is not associated with the specified consumer",
    "signature method",
    "invalid token found",
    "internal error. details are available in magento log file",
];

/// Magento's error body. Stricter than "a JSON object with a `message`", which API gateways
/// send too (Kong `401 {"message":"Unauthorized"}`, AWS API Gateway `403 {"message":"Missing
/// Authentication Token"}`):
/// * a `WWW-Authenticate` challenge of a scheme other than Bearer/OAuth (Kong's `Key`, `Basic`,
///   `Digest`…) means another layer answered: Magento sends no such challenge;
/// * JSON: an object whose keys are within {message, parameters, trace, errors, code}, and whose
///   message is a phrase Magento sends ([`MAGENTO_PHRASES`]) or carries Magento's marks:
///   `%name`/`%1` placeholders, `parameters` or `trace`;
/// * XML: `<response>` holding `<message>` (Magento's XML renderer; gateways do not send it).
pub fn magento_error(r: &Response, body: &str) -> Option<MagentoError> {
    if foreign_challenge(r) {
        return None;
    }
    let t = body.trim_start_matches('\u{feff}').trim();
    if t.starts_with('{') {
        let v: Value = serde_json::from_str(t).ok()?;
        let obj = v.as_object()?;
        let message = obj.get("message")?.as_str()?.to_string();
        if !obj
            .keys()
            .all(|k| ["message", "parameters", "trace", "errors", "code"].contains(&k.as_str()))
        {
            return None;
        }
        let lower = message.to_lowercase();
        let known = MAGENTO_PHRASES.iter().any(|p| lower.contains(p));
        let placeholder = message.split('%').skip(1).any(|rest| {
            rest.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        });
        let marks = obj.contains_key("parameters") || obj.contains_key("trace");
        if !(known || placeholder || marks) {
            return None;
        }
        let parameters = match obj.get("parameters") {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| ((i + 1).to_string(), scalar(v)))
                .collect(),
            _ => Vec::new(),
        };
        let trace = obj.get("trace").map(scalar);
        return Some(MagentoError {
            rendered: render(&message, &parameters),
            message,
            parameters,
            trace,
            format: "json",
        });
    }
    let xmlish = t.starts_with("<?xml") || t.starts_with("<response");
    if xmlish || r.header("content-type").is_some_and(|c| c.contains("xml")) {
        let doc = roxmltree::Document::parse(t).ok()?;
        let root = doc.root_element();
        if root.tag_name().name() != "response" {
            return None;
        }
        let child = |name: &str| root.children().find(|c| c.tag_name().name() == name);
        let message = child("message")?.text().unwrap_or("").to_string();
        let parameters: Vec<(String, String)> = child("parameters")
            .map(|p| {
                p.children()
                    .filter(|c| c.is_element())
                    .enumerate()
                    .map(|(i, c)| {
                        let name = c.tag_name().name();
                        let key = if name == "item" || name.is_empty() {
                            (i + 1).to_string()
                        } else {
                            name.to_string()
                        };
                        (key, c.text().unwrap_or("").to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let trace = child("trace").and_then(|c| c.text()).map(str::to_string);
        return Some(MagentoError {
            rendered: render(&message, &parameters),
            message,
            parameters,
            trace,
            format: "xml",
        });
    }
    None
}

/// A GraphQL response's first error (`{"errors":[{"message":…,"extensions":{"category":…},
/// "locations":…,"path":…}], "data":…}`): only the first is reported outside developer mode.
/// The category (`graphql-authorization`, `graphql-authentication`, `graphql-input`…) becomes
/// the parameter `category`.
pub fn graphql_error(body: &str) -> Option<MagentoError> {
    let t = body.trim_start_matches('\u{feff}').trim();
    if !t.starts_with('{') {
        return None;
    }
    let v: Value = serde_json::from_str(t).ok()?;
    let obj = v.as_object()?;
    if !obj
        .keys()
        .all(|k| ["errors", "data", "extensions"].contains(&k.as_str()))
    {
        return None;
    }
    let first = obj.get("errors")?.as_array()?.first()?.as_object()?;
    let message = first.get("message")?.as_str()?.to_string();
    if !first
        .keys()
        .any(|k| ["extensions", "locations", "path"].contains(&k.as_str()))
    {
        return None;
    }
    let mut parameters = Vec::new();
    if let Some(c) = first
        .get("extensions")
        .and_then(|e| e.get("category"))
        .and_then(Value::as_str)
    {
        parameters.push(("category".to_string(), c.to_string()));
    }
    Some(MagentoError {
        rendered: message.clone(),
        message,
        parameters,
        trace: None,
        format: "graphql",
    })
}

/// A SOAP fault (`env:Envelope/env:Body/env:Fault`, SOAP 1.2 as Magento writes it, or 1.1):
/// the Reason text (placeholders unsubstituted) and the `GenericFaultParameter` key/values.
pub fn soap_fault(body: &str) -> Option<MagentoError> {
    let t = body.trim_start_matches('\u{feff}').trim();
    if !t.starts_with('<') {
        return None;
    }
    let doc = roxmltree::Document::parse(t).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "Envelope" {
        return None;
    }
    let fault = root
        .descendants()
        .find(|n| n.tag_name().name() == "Fault")?;
    let text_of = |name: &str| {
        fault
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .and_then(|n| n.descendants().find(|c| c.is_text()).and_then(|c| c.text()))
            .map(|s| s.trim().to_string())
    };
    let message = text_of("Text").or_else(|| text_of("faultstring"))?;
    let parameters: Vec<(String, String)> = fault
        .descendants()
        .filter(|n| n.tag_name().name() == "GenericFaultParameter")
        .filter_map(|p| {
            let get = |n: &str| {
                p.children()
                    .find(|c| c.tag_name().name() == n)
                    .and_then(|c| c.text())
                    .map(str::to_string)
            };
            Some((get("key")?, get("value").unwrap_or_default()))
        })
        .collect();
    Some(MagentoError {
        rendered: render(&message, &parameters),
        message,
        parameters,
        trace: None,
        format: "soap",
    })
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Fill `%name` and `%1` placeholders the way Magento's phrase renderer does.
fn render(message: &str, params: &[(String, String)]) -> String {
    let mut out = message.to_string();
    // Longest names first, so `%10` is not taken for `%1` followed by `0`.
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    for (k, v) in sorted {
        out = out.replace(&format!("%{k}"), v);
    }
    out
}

/// Known WAF and CDN block pages. A CDN's header alone (cf-ray, x-amz-cf-id, x-sucuri-id,
/// x-iinfo, AkamaiGHost) is on every answer that passes through it, the origin's errors too: a
/// block needs the vendor's block-page body (or its block header), and a 5xx from a CDN is an
/// origin problem (Cloudflare's 502 "Bad gateway" page), not a block.
fn waf(r: &Response, body: &str) -> Option<Waf> {
    let header_has = |name: &str, needle: &str| {
        r.header_all(name)
            .any(|v| v.to_ascii_lowercase().contains(needle))
    };
    let has_header = |name: &str| r.header(name).is_some();
    let lower = body.to_ascii_lowercase();
    let hit = |vendor: &'static str, signature: String| Some(Waf { vendor, signature });
    let blocking_status = (400..500).contains(&r.status);
    let behind_cloudflare = has_header("cf-ray") || header_has("server", "cloudflare");
    if blocking_status {
        let cf_phrase = [
            (
                "attention required",
                "\"Attention Required! | Cloudflare\" page",
            ),
            (
                "sorry, you have been blocked",
                "\"Sorry, you have been blocked\" page",
            ),
            (
                "cf-error-details",
                "Cloudflare error page (cf-error-details)",
            ),
        ]
        .into_iter()
        .find(|(p, _)| lower.contains(p) && (behind_cloudflare || lower.contains("cloudflare")));
        if let Some((_, sig)) = cf_phrase {
            let ray = r
                .header("cf-ray")
                .map(|v| format!("; cf-ray: {v}"))
                .unwrap_or_default();
            return hit("Cloudflare", format!("{sig}{ray}"));
        }
    }
    if blocking_status
        && (has_header("x-sucuri-block")
            || (lower.contains("sucuri website firewall") && lower.contains("access denied")))
    {
        return hit(
            "Sucuri",
            "x-sucuri-block / \"Sucuri WebSite Firewall - Access Denied\"".into(),
        );
    }
    if blocking_status
        && (lower.contains("incapsula incident id") || lower.contains("_incapsula_resource"))
    {
        return hit("Imperva Incapsula", "\"Incapsula incident ID\" page".into());
    }
    let akamai_ref = lower.contains("reference #") || lower.contains("reference&#32;&#35;");
    if blocking_status && lower.contains("access denied") && akamai_ref {
        return hit("Akamai", "\"Access Denied … Reference #\" page".into());
    }
    let cloudfront = has_header("x-amz-cf-id") || lower.contains("cloudfront");
    if r.status == 403
        && cloudfront
        && (lower.contains("request blocked") || lower.contains("generated by cloudfront"))
    {
        return hit(
            "AWS CloudFront / AWS WAF",
            "403 \"Request blocked\" / \"Generated by cloudfront\" page".into(),
        );
    }
    if lower.contains("the requested url was rejected") {
        return hit("F5 BIG-IP ASM", "\"The requested URL was rejected\"".into());
    }
    if lower.contains("mod_security")
        || lower.contains("modsecurity")
        || header_has("server", "mod_security")
    {
        return hit("ModSecurity", "\"Mod_Security\" / \"ModSecurity\"".into());
    }
    if lower.contains("imunify360") || header_has("server", "imunify360") {
        return hit("Imunify360", "\"Imunify360\"".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            url: "https://m.test/rest/V1/products".into(),
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            incomplete: None,
            elapsed_ms: 1,
        }
    }

    #[test]
    fn magento_json_401_with_parameters() {
        // Magento 2.4's ErrorProcessor output, exactly.
        let r = resp(
            401,
            &[("content-type", "application/json; charset=utf-8")],
            r#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Catalog::products"}}"#,
        );
        let Classification::MagentoError { status, error } = classify_response(&r) else {
            panic!()
        };
        assert_eq!(status, 401);
        assert!(error.is_consumer_not_authorized());
        assert_eq!(
            error.rendered,
            "The consumer isn't authorized to access Magento_Catalog::products."
        );
        assert_eq!(error.resources(), vec!["Magento_Catalog::products"]);
        assert_eq!(error.format, "json");
    }

    #[test]
    fn magento_json_with_trace_and_list_parameters() {
        let r = resp(
            404,
            &[],
            r##"{"message":"The product that was requested doesn't exist. Verify the product and try again.","trace":"#0 /var/www/vendor/magento/module-catalog/Model/ProductRepository.php(287)"}"##,
        );
        let Classification::MagentoError { error, .. } = classify_response(&r) else {
            panic!()
        };
        assert!(error.trace.unwrap().contains("ProductRepository"));
        let r = resp(
            400,
            &[],
            r#"{"message":"\"%fieldName\" is required. Enter and try again.","parameters":{"fieldName":"sku"}}"#,
        );
        let Classification::MagentoError { error, .. } = classify_response(&r) else {
            panic!()
        };
        assert_eq!(error.rendered, "\"sku\" is required. Enter and try again.");
        let r = resp(
            400,
            &[],
            r#"{"message":"%1 and %2","parameters":["a","b"]}"#,
        );
        let Classification::MagentoError { error, .. } = classify_response(&r) else {
            panic!()
        };
        assert_eq!(error.rendered, "a and b");
    }

    #[test]
    fn magento_xml_error() {
        let r = resp(
            401,
            &[("content-type", "application/xml; charset=utf-8")],
            "<?xml version=\"1.0\"?>\n<response><message>The consumer isn't authorized to access %resources.</message><parameters><resources>Magento_Sales::actions_view</resources></parameters></response>\n",
        );
        let Classification::MagentoError { error, .. } = classify_response(&r) else {
            panic!()
        };
        assert_eq!(error.format, "xml");
        assert_eq!(error.resources(), vec!["Magento_Sales::actions_view"]);
    }

    #[test]
    fn product_json_is_success_not_an_error() {
        let r = resp(
            200,
            &[],
            r#"{"id":1,"sku":"24-MB01","name":"Joust Duffle Bag"}"#,
        );
        assert_eq!(
            classify_response(&r),
            Classification::Success { status: 200 }
        );
        // A body that has a `message` among data fields is not Magento's error shape.
        let r = resp(400, &[], r#"{"message":"x","sku":"y"}"#);
        assert_eq!(classify_response(&r).as_str(), "other");
    }

    #[test]
    fn apache_basic_auth_page() {
        let r = resp(
            401,
            &[
                ("www-authenticate", "Basic realm=\"Staging\""),
                ("content-type", "text/html; charset=iso-8859-1"),
            ],
            "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>401 Unauthorized</title>\n</head><body>\n<h1>Unauthorized</h1>\n<p>This server could not verify that you\nare authorized to access the document\nrequested.</p>\n</body></html>\n",
        );
        assert_eq!(
            classify_response(&r),
            Classification::BasicAuth {
                realm: Some("Staging".into())
            }
        );
    }

    #[test]
    fn nginx_401_and_403_are_not_magento() {
        let r = resp(
            401,
            &[("server", "nginx/1.22.1")],
            "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
        );
        assert_eq!(classify_response(&r).as_str(), "server-401");
        let r = resp(
            403,
            &[("server", "nginx")],
            "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body></html>",
        );
        assert_eq!(classify_response(&r), Classification::Server403);
    }

    #[test]
    fn wafs_by_signature() {
        type Case<'a> = (u16, &'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: &[Case<'_>] = &[
            (
                403,
                &[("server", "cloudflare"), ("cf-ray", "8c1e2f3a4b5c6d7e-FRA")],
                "<title>Attention Required! | Cloudflare</title>",
                "Cloudflare",
            ),
            (
                403,
                &[("x-sucuri-id", "14016")],
                "<title>Sucuri WebSite Firewall - Access Denied</title>",
                "Sucuri",
            ),
            (
                403,
                &[(
                    "x-iinfo",
                    "12-345-678 NNNN CT(0 0 0) RT(1 2) q(0 0 0 -1) r(0 0) U5",
                )],
                "Request unsuccessful. Incapsula incident ID: 123000450123456789-12345678901234567",
                "Imperva Incapsula",
            ),
            (
                403,
                &[("server", "AkamaiGHost")],
                "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\nReference&#32;&#35;18&#46;1f2e3d4c",
                "Akamai",
            ),
            (
                403,
                &[
                    ("x-amz-cf-id", "abc=="),
                    ("x-cache", "Error from cloudfront"),
                ],
                "<H1>403 ERROR</H1>\n<H2>The request could not be satisfied.</H2>\nRequest blocked.",
                "AWS CloudFront / AWS WAF",
            ),
            (200, &[], "x", ""),
            (
                403,
                &[],
                "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 1234567890</body></html>",
                "F5 BIG-IP ASM",
            ),
            (
                406,
                &[],
                "<h1>Not Acceptable!</h1><p>An appropriate representation of the requested resource could not be found on this server. This error was generated by Mod_Security.</p>",
                "ModSecurity",
            ),
            (
                403,
                &[],
                "<title>Access denied by Imunify360 bot-protection</title>",
                "Imunify360",
            ),
        ];
        for (status, headers, body, vendor) in cases {
            let c = classify_response(&resp(*status, headers, body));
            if vendor.is_empty() {
                assert_eq!(c.as_str(), "success");
                continue;
            }
            let Classification::Waf { waf, .. } = &c else {
                panic!("{vendor}: {c:?}")
            };
            assert_eq!(waf.vendor, *vendor);
        }
    }

    #[test]
    fn a_magento_401_behind_cloudflare_is_magentos() {
        let r = resp(
            401,
            &[("server", "cloudflare"), ("cf-ray", "8c1e-FRA")],
            r#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"self"}}"#,
        );
        assert_eq!(classify_response(&r).as_str(), "magento-error");
    }

    #[test]
    fn redirects_keep_their_location() {
        let r = resp(
            301,
            &[("location", "https://m.test/rest/V1/products")],
            "<html><head><title>301 Moved Permanently</title></head></html>",
        );
        assert_eq!(
            classify_response(&r),
            Classification::Redirect {
                status: 301,
                location: Some("https://m.test/rest/V1/products".into())
            }
        );
    }

    #[test]
    fn gateway_json_is_not_magentos() {
        // Kong: a JSON message and a `Key` challenge.
        let r = resp(
            401,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("server", "kong/3.4.0"),
                ("www-authenticate", "Key realm=\"kong\""),
            ],
            r#"{"message":"Unauthorized"}"#,
        );
        assert_eq!(classify_response(&r).as_str(), "server-401");
        // Without the challenge still not Magento's: no known phrase, no placeholder.
        let r = resp(401, &[], r#"{"message":"Unauthorized"}"#);
        assert_eq!(classify_response(&r).as_str(), "server-401");
        // AWS API Gateway.
        let r = resp(
            403,
            &[("x-amzn-errortype", "MissingAuthenticationTokenException")],
            r#"{"message":"Missing Authentication Token"}"#,
        );
        assert_eq!(classify_response(&r).as_str(), "server-403");
        // Magento's phrases without parameters still are Magento's.
        for m in [
            "The signature is invalid. Verify and try again.",
            "Request does not match any route.",
            "Decoding error.",
            "Operation allowed only in HTTPS",
            "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.",
        ] {
            let r = resp(401, &[], &serde_json::json!({ "message": m }).to_string());
            assert_eq!(classify_response(&r).as_str(), "magento-error", "{m}");
        }
        // A 2xx is a success whatever its shape.
        let r = resp(
            200,
            &[],
            r#"{"message":"The consumer isn't authorized to access %resources."}"#,
        );
        assert_eq!(classify_response(&r).as_str(), "success");
    }

    #[test]
    fn a_cdn_header_alone_is_no_block() {
        let cf = [("cf-ray", "8c1e2f3a4b5c6d7e-FRA"), ("server", "cloudflare")];
        // Cloudflare's 502: the origin is down.
        let r = resp(
            502,
            &cf,
            "<html><title>example.com | 502: Bad gateway</title><div id=\"cf-error-details\">cloudflare</div></html>",
        );
        assert_eq!(classify_response(&r).as_str(), "other");
        // The origin's nginx 403 passed through Cloudflare.
        let r = resp(
            403,
            &cf,
            "<html><center>nginx</center><h1>403 Forbidden</h1></html>",
        );
        assert_eq!(classify_response(&r), Classification::Server403);
        // The origin's Basic auth passed through Cloudflare / CloudFront.
        let r = resp(
            401,
            &[
                cf[0],
                cf[1],
                ("www-authenticate", "Basic realm=\"Staging\""),
            ],
            "<html>401</html>",
        );
        assert_eq!(classify_response(&r).as_str(), "basic-auth");
        let r = resp(
            401,
            &[
                ("x-amz-cf-id", "abc=="),
                ("www-authenticate", "Basic realm=\"x\""),
            ],
            "<html>401</html>",
        );
        assert_eq!(classify_response(&r).as_str(), "basic-auth");
        // Cloudflare's own block page.
        let r = resp(403, &cf, "<h1>Sorry, you have been blocked</h1>");
        assert_eq!(classify_response(&r).as_str(), "waf");
        // CloudFront's 502 is no block; its 403 "Request blocked" is.
        let r = resp(
            502,
            &[("x-amz-cf-id", "abc==")],
            "<H2>The request could not be satisfied.</H2> Generated by cloudfront (CloudFront)",
        );
        assert_eq!(classify_response(&r).as_str(), "other");
    }

    #[test]
    fn basic_is_found_among_several_challenges() {
        let r = resp(
            401,
            &[(
                "www-authenticate",
                "Bearer realm=\"api\", Basic realm=\"Staging\"",
            )],
            "<html>401</html>",
        );
        assert_eq!(
            classify_response(&r),
            Classification::BasicAuth {
                realm: Some("Staging".into())
            }
        );
        let r = resp(
            401,
            &[
                (
                    "www-authenticate",
                    "Bearer realm=\"api\", error=\"invalid_token\"",
                ),
                ("www-authenticate", "basic REALM=Staging"),
            ],
            "<html>401</html>",
        );
        assert_eq!(
            classify_response(&r),
            Classification::BasicAuth {
                realm: Some("Staging".into())
            }
        );
    }

    #[test]
    fn graphql_errors_and_soap_faults_are_magentos_answers() {
        let r = resp(
            200,
            &[("content-type", "application/json")],
            r#"{"errors":[{"message":"The current customer isn't authorized.","locations":[{"line":1,"column":3}],"path":["customer"],"extensions":{"category":"graphql-authorization"}}],"data":{"customer":null}}"#,
        );
        let Classification::MagentoError { status, error } = classify_response(&r) else {
            panic!()
        };
        assert_eq!(status, 200);
        assert_eq!(error.format, "graphql");
        assert_eq!(
            error.parameters,
            vec![("category".to_string(), "graphql-authorization".to_string())]
        );
        // A GraphQL success with data only is a success.
        let r = resp(200, &[], r#"{"data":{"storeConfig":{"code":"default"}}}"#);
        assert_eq!(
            classify_response(&r),
            Classification::Success { status: 200 }
        );
        let fault = r#"<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:m="http%3A%2F%2Fm.test%2Fsoap%2Fdefault%3Fservices%3DcatalogProductRepositoryV1"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code><env:Reason><env:Text xml:lang="en">The consumer isn't authorized to access %resources.</env:Text></env:Reason><env:Detail><m:GenericFault><m:Parameters><m:GenericFaultParameter><m:key>resources</m:key><m:value>catalogProductRepositoryV1</m:value></m:GenericFaultParameter></m:Parameters></m:GenericFault></env:Detail></env:Fault></env:Body></env:Envelope>"#;
        let r = resp(
            200,
            &[("content-type", "application/soap+xml; charset=utf-8")],
            fault,
        );
        let Classification::MagentoError { error, .. } = classify_response(&r) else {
            panic!()
        };
        assert_eq!(error.format, "soap");
        assert!(error.is_consumer_not_authorized());
        assert_eq!(error.resources(), vec!["catalogProductRepositoryV1"]);
    }
}
