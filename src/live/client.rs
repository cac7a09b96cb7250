//! The HTTP client: one blocking reqwest client per run (keep-alive shared by every request of
//! `acl:matrix --live`), rustls with the ring provider, redirects never followed, a connect
//! timeout and a whole-exchange deadline, TLS verification on unless `--insecure`, bodies read up to [`BODY_LIMIT`].
//! A store that cannot be reached is an answer ([`Unreachable`]), not an error: it is a finding.

use std::io::Read;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::live::LiveError;
use crate::request::{Header, Target};

/// At most this much of a response body is read (the rest is never downloaded).
pub const BODY_LIMIT: usize = 64 * 1024;

/// How the client talks to the store.
#[derive(Debug, Clone)]
pub struct Settings {
    pub connect_timeout: Duration,
    /// The whole exchange, from connecting to the last body byte read. reqwest's blocking
    /// `timeout` bounds the wait for the headers but only each single read of the body (a server
    /// trickling a byte a second would never hit it): [`Client::send`] enforces the deadline
    /// for the body itself.
    pub timeout: Duration,
    /// Skip TLS certificate verification (said loudly by the caller).
    pub insecure: bool,
    /// A PEM file of CA certificates trusted besides the system's (a private CA).
    pub cacert: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            insecure: false,
            cacert: None,
        }
    }
}

/// One request as it goes out: the headers exactly as described (no Authorization added).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    pub body: Option<String>,
}

/// The answer, as received (bounded).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub url: String,
    pub status: u16,
    /// Names lower-cased (HTTP/1.1 names are case-insensitive), in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than [`BODY_LIMIT`] and was cut there, or it broke off (see
    /// `incomplete`).
    pub truncated: bool,
    /// Why the body is incomplete: the connection broke, or the whole-exchange deadline passed
    /// while it was still coming. What arrived is still classified.
    pub incomplete: Option<String>,
    pub elapsed_ms: u64,
}

impl Response {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why nothing answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnreachableKind {
    /// The host name does not resolve.
    Dns,
    /// Connection refused: nothing listens on the port (or a firewall rejects).
    Refused,
    /// No answer in time (a firewall that drops, a security group, a hung server).
    Timeout,
    /// No route to the host (network or host unreachable).
    NoRoute,
    /// The TLS certificate failed verification (expired, unknown issuer, another name): the
    /// server answered the handshake, but a verifying client stops there.
    Certificate,
}

impl UnreachableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnreachableKind::Dns => "dns",
            UnreachableKind::Refused => "refused",
            UnreachableKind::Timeout => "timeout",
            UnreachableKind::NoRoute => "no-route",
            UnreachableKind::Certificate => "tls-certificate",
        }
    }
}

/// Nothing answered: where m2auth tried and why it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreachable {
    pub url: String,
    /// `host:port`, with the resolved addresses when the name resolves.
    pub address: String,
    pub kind: UnreachableKind,
    pub detail: String,
    pub elapsed_ms: u64,
}

/// What came back from one request: an answer or none.
pub type Exchange = Result<Response, Unreachable>;

/// The run's HTTP client.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::blocking::Client,
    pub settings: Settings,
}

/// rustls is built without a bundled provider: ring (the one `mysql` already uses) becomes the
/// process default once. An already installed default is kept.
fn install_ring() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    pub fn new(settings: Settings) -> Result<Client, LiveError> {
        Client::with_pool(settings, 1)
    }

    /// A client keeping up to `idle` idle connections per host (the matrix's workers).
    pub fn with_pool(settings: Settings, idle: usize) -> Result<Client, LiveError> {
        install_ring();
        let mut b = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("m2auth/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(idle.max(1))
            .referer(false)
            .no_proxy()
            .http1_only();
        if let Some(path) = &settings.cacert {
            let pem =
                crate::store::fsread::read_capped(path, crate::store::fsread::CERT_FILE_BYTES)
                    .map_err(|e| LiveError::CaCert {
                        path: path.clone(),
                        why: e.to_string(),
                    })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| LiveError::CaCert {
                    path: path.clone(),
                    why: format!("not a PEM certificate bundle ({e})"),
                })?;
            if certs.is_empty() {
                return Err(LiveError::CaCert {
                    path: path.clone(),
                    why: "holds no PEM certificate".into(),
                });
            }
            b = b.tls_certs_merge(certs);
        }
        if settings.insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        let inner = b.build().map_err(|e| LiveError::Client(chain(&e)))?;
        Ok(Client { inner, settings })
    }

    /// Send one request. `Ok(Err(_))` = nothing answered (a finding); `Err` = m2auth could not
    /// send it (a TLS failure, a header that cannot be sent, a bad URL).
    pub fn send(&self, out: &Outgoing) -> Result<Exchange, LiveError> {
        let method = reqwest::Method::from_bytes(out.method.as_bytes())
            .map_err(|_| LiveError::Request(format!("\"{}\" is not an HTTP method", out.method)))?;
        let url = reqwest::Url::parse(&out.url)
            .map_err(|e| LiveError::Request(format!("{}: not a URL ({e})", out.url)))?;
        let mut headers = reqwest::header::HeaderMap::new();
        for h in &out.headers {
            let name =
                reqwest::header::HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| {
                    LiveError::Request(format!("\"{}\" is not a valid header name", h.name))
                })?;
            let value = reqwest::header::HeaderValue::from_bytes(h.value.as_bytes()).map_err(|_| {
                LiveError::Request(format!(
                    "the {} header holds a line break or control character: no HTTP client can send it like that (the offline checks explain what Magento would make of it)",
                    h.name
                ))
            })?;
            headers.append(name, value);
        }
        let mut req = self.inner.request(method, url.clone()).headers(headers);
        if let Some(body) = &out.body {
            req = req.body(body.clone());
        }
        let started = Instant::now();
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) => return self.failure(&out.url, &url, &e, started),
        };
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let deadline = started + self.settings.timeout;
        let (body, incomplete) = read_body(resp, deadline);
        let truncated = body.len() > BODY_LIMIT || incomplete.is_some();
        let mut body = body;
        body.truncate(BODY_LIMIT);
        Ok(Ok(Response {
            url: out.url.clone(),
            status,
            headers,
            body,
            truncated,
            incomplete,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }))
    }

    fn failure(
        &self,
        shown: &str,
        url: &reqwest::Url,
        e: &reqwest::Error,
        started: Instant,
    ) -> Result<Exchange, LiveError> {
        let detail = chain(e);
        let lower = detail.to_ascii_lowercase();
        // An answer that is not TLS on an https:// URL: the port answered (plain HTTP).
        if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
            return Err(LiveError::NotTls {
                url: shown.to_string(),
                why: detail,
            });
        }
        // rustls' error sits inside an io::Error whose `source()` skips it: the message too.
        let tls_words = [
            "invalid peer certificate",
            "peer is incompatible",
            "received fatal alert",
            "handshake",
            "invalidcertificate",
            "unknownissuer",
        ];
        // A certificate that fails verification is the store's problem for every client: a
        // finding (tls-certificate-invalid), not a failure to run.
        // (rustls' error often sits where `source()` does not reach: then its message.)
        if let Some(why) = certificate_failure(e).or_else(|| {
            let i = lower.find("invalid peer certificate")?;
            let what = &detail[i..];
            Some(format!(
                "{}: {what}",
                plain_certificate_error(&what.to_ascii_lowercase())
            ))
        }) {
            return Ok(Err(Unreachable {
                url: shown.to_string(),
                address: address_of(url),
                kind: UnreachableKind::Certificate,
                detail: why,
                elapsed_ms: started.elapsed().as_millis() as u64,
            }));
        }
        if tls_failure(e) || tls_words.iter().any(|w| lower.contains(w)) {
            return Err(LiveError::Tls {
                url: shown.to_string(),
                why: detail,
            });
        }
        let io_kind = io_kind(e);
        // Only these mean nothing answered: refused, timed out, no route, no such name.
        let kind = if lower.contains("dns error")
            || lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
            || lower.contains("no address associated")
        {
            UnreachableKind::Dns
        } else if io_kind == Some(std::io::ErrorKind::ConnectionRefused)
            || lower.contains("connection refused")
        {
            UnreachableKind::Refused
        } else if e.is_timeout() || lower.contains("timed out") {
            UnreachableKind::Timeout
        } else if matches!(
            io_kind,
            Some(std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable)
        ) || lower.contains("no route to host")
            || lower.contains("network is unreachable")
        {
            UnreachableKind::NoRoute
        } else {
            // The port accepted the connection and something came back (or the connection
            // broke mid-answer): a server answered, m2auth could not read it.
            return Err(LiveError::Unreadable {
                url: shown.to_string(),
                why: detail,
            });
        };
        Ok(Err(Unreachable {
            url: shown.to_string(),
            address: address_of(url),
            kind,
            detail,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }))
    }
}

/// Read the body up to [`BODY_LIMIT`] (+1 byte, to know it was longer) until `deadline`. The
/// reads run in a helper thread because a single blocking read may wait up to the whole
/// timeout; at the deadline the thread is left to end with its read (dropping the response).
/// Returns what arrived and, when it is incomplete, why.
fn read_body(resp: reqwest::blocking::Response, deadline: Instant) -> (Vec<u8>, Option<String>) {
    let (tx, rx) = std::sync::mpsc::channel::<Result<Vec<u8>, String>>();
    std::thread::spawn(move || {
        let mut limited = resp.take(BODY_LIMIT as u64 + 1);
        let mut buf = [0u8; 8192];
        loop {
            match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send(Ok(buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(chain(&e)));
                    break;
                }
            }
        }
    });
    let mut body = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Ok(chunk)) => body.extend_from_slice(&chunk),
            Ok(Err(why)) => return (body, Some(format!("the body broke off: {why}"))),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return (body, None),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                return (
                    body,
                    Some("the whole-exchange deadline (--timeout) passed while the body was still coming".into()),
                );
            }
        }
    }
}

/// `host:port (1.2.3.4, …)`: the address m2auth tried, resolved when the name resolves.
fn address_of(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let port = url.port_or_known_default().unwrap_or(0);
    let shown = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let bare = host.trim_matches(['[', ']']);
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return shown;
    }
    match (bare, port).to_socket_addrs() {
        Ok(addrs) => {
            let mut ips: Vec<String> = addrs.map(|a| a.ip().to_string()).collect();
            ips.dedup();
            if ips.is_empty() {
                shown
            } else {
                format!("{shown} ({})", ips.join(", "))
            }
        }
        Err(_) => shown,
    }
}

/// The error and its causes, joined (reqwest's own message is only the outermost one).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = c.source();
    }
    None
}

/// rustls' certificate verification error in the chain, said plainly.
fn certificate_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        let found = c.downcast_ref::<rustls::Error>().or_else(|| {
            c.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|i| i.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(ce)) = found {
            use rustls::CertificateError as C;
            let name = match ce {
                C::Expired | C::ExpiredContext { .. } => "expired",
                C::NotValidYet | C::NotValidYetContext { .. } => "notvalidyet",
                C::UnknownIssuer => "unknownissuer",
                C::NotValidForName | C::NotValidForNameContext { .. } => "notvalidforname",
                C::Revoked => "revoked",
                _ => "",
            };
            return Some(format!("{}: {ce}", plain_certificate_error(name)));
        }
        cur = c.source();
    }
    None
}

/// What a rustls certificate error (its Debug name, lower-cased, or a message holding it) means.
fn plain_certificate_error(lower: &str) -> &'static str {
    if lower.contains("notvalidyet") || lower.contains("not valid yet") {
        "the certificate is not valid yet"
    } else if lower.contains("expired") {
        "the certificate has expired"
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        "the certificate's issuer is unknown here (self-signed, a private CA, or an incomplete chain)"
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        "the certificate is for another name"
    } else if lower.contains("causedasendentity") || lower.contains("ca used as end entity") {
        "the server presents a CA certificate as its own"
    } else if lower.contains("revoked") {
        "the certificate was revoked"
    } else {
        "the certificate is rejected"
    }
}

fn tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|i| i.downcast_ref::<rustls::Error>().is_some())
        {
            return true;
        }
        cur = c.source();
    }
    false
}

/// The URL of a target that names a host (`None` without one).
pub fn url_of(target: &Target) -> Option<String> {
    let host = target.host.as_ref()?;
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let mut s = format!("{}://{host}", target.scheme.as_deref().unwrap_or("https"));
    if let Some(p) = target.port {
        s.push_str(&format!(":{p}"));
    }
    s.push_str(&target.path);
    if let Some(q) = &target.query {
        s.push('?');
        s.push_str(q);
    }
    Some(s)
}

/// `scheme://host[:port]` of a target with a host.
pub fn origin_of(target: &Target) -> Option<String> {
    let t = Target {
        path: String::new(),
        query: None,
        ..target.clone()
    };
    url_of(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_bracket_ipv6_hosts() {
        let t = crate::request::parse_target("http://[::1]:8080/rest/V1/x?a=1").unwrap();
        assert_eq!(url_of(&t).unwrap(), "http://[::1]:8080/rest/V1/x?a=1");
        assert_eq!(origin_of(&t).unwrap(), "http://[::1]:8080");
        let t = crate::request::parse_target("/V1/x").unwrap();
        assert!(url_of(&t).is_none());
    }

    #[test]
    fn a_closed_port_is_unreachable_with_its_address() {
        // Bind and drop a listener: the port is (almost certainly) closed right after.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Client::new(Settings::default()).unwrap();
        let out = Outgoing {
            method: "GET".into(),
            url: format!("http://127.0.0.1:{port}/rest/V1/products"),
            headers: Vec::new(),
            body: None,
        };
        let u = c.send(&out).unwrap().unwrap_err();
        assert_eq!(u.kind, UnreachableKind::Refused, "{u:?}");
        assert_eq!(u.address, format!("127.0.0.1:{port}"));
    }

    #[test]
    fn headers_with_line_breaks_cannot_be_sent() {
        let c = Client::new(Settings::default()).unwrap();
        let out = Outgoing {
            method: "GET".into(),
            url: "http://127.0.0.1:9/x".into(),
            headers: vec![Header {
                name: "Authorization".into(),
                value: "Bearer abc\n".into(),
            }],
            body: None,
        };
        assert!(matches!(c.send(&out), Err(LiveError::Request(_))));
    }
}
