//! `acl:matrix --live`: every route of the matrix sent to the store with the caller's token,
//! by a few worker threads sharing one client (keep-alive), at a bounded rate. Only Magento
//! decides: its 401/403 says denied, a 2xx or its other errors allowed (an authorized call with
//! a dummy id answers 404 or 400, not 401); anything else (a web server's 502 or 404 page, a
//! redirect, Basic auth, a WAF, no answer) says nothing about the ACL: unknown.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::live::classify::{Classification, classify};
use crate::live::client::{Client, Outgoing};
use crate::magento::oauth1;
use crate::request::{Header, OauthCredentials};

/// What to send for one route.
#[derive(Debug, Clone)]
pub struct Probe {
    pub method: String,
    pub url: String,
}

/// The live answer for one route.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// `None`: no answer.
    pub status: Option<u16>,
    pub classification: &'static str,
    /// Magento's 401/403 = false; a 2xx or Magento's other errors = true; anything else `None`.
    pub allowed: Option<bool>,
    pub elapsed_ms: u64,
    /// Why there is no answer (the store unreachable, a TLS failure, an unreadable answer).
    pub error: Option<String>,
}

/// Concurrency and rate.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    /// Requests per second, all workers together; `None`: unlimited.
    pub rate: Option<f64>,
}

/// Fill `:name` placeholders of a declared route URL (`/V1/products/:sku`) with dummy values:
/// `0` for ids, `m2auth-probe` otherwise. Magento checks the ACL before the controller runs, so
/// an authorized call answers 404/400 for them, never 401.
pub fn fill_placeholders(url: &str) -> String {
    url.split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) => {
                let n = name.to_ascii_lowercase();
                if n.ends_with("id") || n == "id" {
                    "0".to_string()
                } else {
                    "m2auth-probe".to_string()
                }
            }
            None => seg.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a route of this method may be probed at all: DELETE never is. Magento reads a
/// DELETE's input from its URL only (`Webapi\Rest\Request::getRequestData`), so nothing stops an
/// authorized probe before the service method runs: `DELETE /V1/carts/mine/coupons` would
/// remove the caller's coupon.
pub fn probe_allowed(method: &str) -> bool {
    !method.eq_ignore_ascii_case("DELETE")
}

/// The body a probe carries: for POST and PUT a deliberately broken JSON document (`{`).
/// Magento's `InputParamsResolver::resolve()` runs `RequestValidator::validate()` (token and ACL
/// check: 401/403) before `getInputData()` decodes the body, and the JSON deserializer stops a
/// broken body with 400 "Decoding error." before any service method runs. So an allowed probe
/// answers 400 and changes nothing; a refused one answers 401/403 as it would with any body.
pub fn probe_body(method: &str) -> Option<&'static str> {
    (method.eq_ignore_ascii_case("POST") || method.eq_ignore_ascii_case("PUT")).then_some("{")
}

/// The classification of a cell holding Magento's "Request does not match any route" 404 (the
/// store has no such route, or not under this base URL: no ACL verdict).
pub const NO_ROUTE: &str = "magento-no-route";

/// Magento's "Request does not match any route" answer.
pub fn is_no_route(c: &Classification) -> bool {
    matches!(c, Classification::MagentoError { error, .. }
        if error.message.to_ascii_lowercase().contains("request does not match any route"))
}

/// Live allowed or denied from one answer (pure): only Magento's answers and a 2xx count.
/// Magento's "Request does not match any route" 404 comes before any ACL check: unknown.
pub fn verdict(c: &Classification) -> Option<bool> {
    match c {
        Classification::Success { .. } => Some(true),
        Classification::MagentoError {
            status: 401 | 403, ..
        } => Some(false),
        Classification::MagentoError { error, .. }
            if error
                .message
                .to_ascii_lowercase()
                .contains("request does not match any route") =>
        {
            None
        }
        Classification::MagentoError { .. } => Some(true),
        Classification::Unreachable(_)
        | Classification::Redirect { .. }
        | Classification::BasicAuth { .. }
        | Classification::Server401 { .. }
        | Classification::Server403
        | Classification::Waf { .. }
        | Classification::Other { .. } => None,
    }
}

/// The pause between two requests at `rate` per second: `None` for no limit; clamped to
/// 0.1 ms ..= 100 s so no rate (1e-20, 1e300, NaN) can panic `Duration`.
pub fn interval(rate: Option<f64>) -> Option<Duration> {
    let r = rate.filter(|r| r.is_finite() && *r > 0.0)?;
    let secs = (1.0 / r).clamp(0.0001, 100.0);
    Duration::try_from_secs_f64(secs).ok()
}

/// How each probe authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN` (an admin or customer token, or `--token`).
    Bearer(String),
    /// Signed with OAuth 1.0a HMAC-SHA256 as an integration calls (a fresh nonce per request),
    /// at `timestamp`.
    OAuth {
        creds: OauthCredentials,
        timestamp: i64,
    },
}

impl Auth {
    fn header(&self, method: &str, url: &str) -> String {
        match self {
            Auth::Bearer(t) => format!("Bearer {t}"),
            Auth::OAuth { creds, timestamp } => {
                oauth1::sign_request(
                    &oauth1::Credentials {
                        consumer_key: &creds.consumer_key,
                        consumer_secret: &creds.consumer_secret,
                        token: &creds.token,
                        token_secret: &creds.token_secret,
                    },
                    method,
                    url,
                    None,
                    &oauth1::random_nonce(),
                    *timestamp,
                )
                .header
            }
        }
    }
}

/// Send every probe; results in the probes' order.
pub fn run(
    client: &Client,
    probes: &[Probe],
    auth: &Auth,
    limits: Limits,
    progress: &dyn crate::progress::Progress,
) -> Vec<Cell> {
    let _task = crate::progress::Task::start(
        progress,
        "sending the routes",
        Some(probes.len() as u64),
        crate::progress::Unit::Items,
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Cell>>> = Mutex::new(vec![None; probes.len()]);
    let interval = interval(limits.rate);
    let slot = Mutex::new(Instant::now());
    let workers = limits.concurrency.clamp(1, 64).min(probes.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = probes.get(i) else { break };
                    if let Some(iv) = interval {
                        let wait = {
                            let mut at = slot.lock().unwrap_or_else(|e| e.into_inner());
                            let now = Instant::now();
                            let mine = (*at).max(now);
                            *at = mine + iv;
                            mine - now
                        };
                        std::thread::sleep(wait);
                    }
                    let mut out = Outgoing {
                        method: p.method.clone(),
                        url: p.url.clone(),
                        headers: vec![
                            Header {
                                name: "Authorization".into(),
                                value: auth.header(&p.method, &p.url),
                            },
                            Header {
                                name: "Accept".into(),
                                value: "application/json".into(),
                            },
                        ],
                        body: None,
                    };
                    if let Some(body) = probe_body(&p.method) {
                        out.headers.push(Header {
                            name: "Content-Type".into(),
                            value: "application/json".into(),
                        });
                        out.body = Some(body.into());
                    }
                    let started = Instant::now();
                    let cell = match client.send(&out) {
                        Ok(x) => {
                            let c = classify(&x);
                            Cell {
                                status: x.as_ref().ok().map(|r| r.status),
                                classification: if is_no_route(&c) {
                                    NO_ROUTE
                                } else {
                                    c.as_str()
                                },
                                allowed: verdict(&c),
                                elapsed_ms: started.elapsed().as_millis() as u64,
                                error: x.as_ref().err().map(|_| c.summary()),
                            }
                        }
                        Err(e) => Cell {
                            status: None,
                            classification: "error",
                            allowed: None,
                            elapsed_ms: started.elapsed().as_millis() as u64,
                            error: Some(e.to_string()),
                        },
                    };
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(cell);
                    progress.advance(1);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|c| {
            c.unwrap_or(Cell {
                status: None,
                classification: "error",
                allowed: None,
                elapsed_ms: 0,
                error: Some("not sent".into()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_never_delete_and_post_a_broken_body() {
        assert!(probe_allowed("GET") && probe_allowed("POST") && probe_allowed("PUT"));
        assert!(!probe_allowed("DELETE") && !probe_allowed("delete"));
        assert_eq!(probe_body("GET"), None);
        assert_eq!(probe_body("POST"), Some("{"));
        assert_eq!(probe_body("PUT"), Some("{"));
        assert!(serde_json::from_str::<serde_json::Value>("{").is_err());
    }

    #[test]
    fn any_rate_gives_a_sane_interval() {
        assert_eq!(interval(None), None);
        assert_eq!(interval(Some(0.0)), None);
        assert_eq!(interval(Some(f64::NAN)), None);
        assert_eq!(interval(Some(1e-20)), Some(Duration::from_secs(100)));
        assert_eq!(interval(Some(1e300)), Some(Duration::from_micros(100)));
        assert_eq!(interval(Some(2.0)), Some(Duration::from_millis(500)));
    }

    #[test]
    fn only_magentos_answers_decide() {
        use crate::live::client::Response;
        let resp = |status: u16, body: &str| Response {
            url: "u".into(),
            status,
            headers: vec![("server".into(), "nginx".into())],
            body: body.as_bytes().to_vec(),
            truncated: false,
            incomplete: None,
            elapsed_ms: 1,
        };
        let v = |status, body| {
            verdict(&crate::live::classify::classify_response(&resp(
                status, body,
            )))
        };
        assert_eq!(v(200, "[]"), Some(true));
        assert_eq!(
            v(
                401,
                r#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"x"}}"#
            ),
            Some(false)
        );
        assert_eq!(v(400, r#"{"message":"Decoding error."}"#), Some(true));
        assert_eq!(
            v(404, r#"{"message":"Request does not match any route."}"#),
            None
        );
        assert_eq!(v(502, "<html><h1>502 Bad Gateway</h1></html>"), None);
        assert_eq!(v(404, "<html><h1>404 Not Found</h1></html>"), None);
        assert_eq!(v(301, ""), None);
        assert_eq!(v(403, "<html>403 Forbidden</html>"), None);
    }

    #[test]
    fn placeholders_get_dummy_values() {
        assert_eq!(
            fill_placeholders("/V1/products/:sku"),
            "/V1/products/m2auth-probe"
        );
        assert_eq!(
            fill_placeholders("/V1/orders/:id/comments"),
            "/V1/orders/0/comments"
        );
        assert_eq!(
            fill_placeholders("/V1/carts/:cartId/items/:itemId"),
            "/V1/carts/0/items/0"
        );
        assert_eq!(
            fill_placeholders("/V1/store/storeViews"),
            "/V1/store/storeViews"
        );
    }
}
