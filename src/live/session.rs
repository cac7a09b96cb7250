//! One live request as `request` and `diagnose` send it: a fresh token first for a login, the
//! OAuth signature for `--oauth`, the request itself, and the join with the offline diagnosis.

use crate::checks::Diagnosis;
use crate::findings;
use crate::live::LiveError;
use crate::live::canary::CanaryRun;
use crate::live::classify::{Classification, classify};
use crate::live::client::{Client, Exchange, Outgoing, url_of};
use crate::live::explain::{self, Offline};
use crate::live::login;
use crate::magento::oauth1;
use crate::request::{Header, RequestSpec};

/// The token endpoint's part of a login request.
#[derive(Debug, Clone)]
pub struct LoginStep {
    pub url: String,
    pub status: Option<u16>,
    /// A token was handed out (and used for the request).
    pub obtained: bool,
    /// The request being diagnosed was the token request itself (sent once).
    pub is_request: bool,
}

/// What was sent and what came back.
#[derive(Debug, Clone)]
pub struct LiveOutcome {
    /// The request as sent (a token obtained from a login is its Bearer header); the offline
    /// checks diagnose this one.
    pub sent: RequestSpec,
    /// The method of the request that went out: POST when the answer is the token endpoint's.
    pub method: String,
    pub url: String,
    pub exchange: Exchange,
    pub class: Classification,
    pub login: Option<LoginStep>,
    /// The token the login obtained: a secret for the masker.
    pub token: Option<String>,
    /// TLS certificates were not verified (`--insecure`).
    pub insecure: bool,
}

/// Send the request `spec` describes. Its target must name a host.
pub fn send(client: &Client, spec: &RequestSpec, now_secs: i64) -> Result<LiveOutcome, LiveError> {
    let target = spec
        .target
        .as_ref()
        .ok_or_else(|| LiveError::Request("no --request \"METHOD URL\" was given".into()))?;
    let url = url_of(target).ok_or_else(|| {
        LiveError::Request(format!(
            "the target {} names no host: give the full URL, e.g. \"GET https://shop.example.com{}\"",
            target.display(),
            target.path
        ))
    })?;
    let origin = crate::live::client::origin_of(target).unwrap_or_default();
    let mut sent = spec.clone();
    let mut login_step = None;
    let mut token = None;
    if let Some(l) = &spec.login {
        let password = spec.password.as_ref().ok_or_else(|| {
            LiveError::Request(
                "a login needs its password: --password-file FILE (or a terminal for the prompt)"
                    .into(),
            )
        })?;
        let token_url = login::token_url(&origin, target, l);
        let attempt = login::obtain(client, &token_url, l, password)?;
        let status = attempt.exchange.as_ref().ok().map(|r| r.status);
        // The request being diagnosed is the token request itself: its answer is the answer.
        let is_token_request = is_token_endpoint(&target.path);
        match attempt.token {
            Some(t) if !is_token_request => {
                sent.login = None;
                sent.password = None;
                sent.headers
                    .retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
                sent.headers.push(Header {
                    name: "Authorization".into(),
                    value: format!("Bearer {t}"),
                });
                login_step = Some(LoginStep {
                    url: token_url,
                    status,
                    obtained: true,
                    is_request: false,
                });
                token = Some(t);
            }
            obtained => {
                // The login failed (its answer is the live answer, the login checks explain it),
                // or the login was the request.
                if let Some(t) = &obtained {
                    token = Some(t.clone());
                }
                return Ok(LiveOutcome {
                    sent,
                    method: attempt.request.method.clone(),
                    url: token_url.clone(),
                    class: attempt.class,
                    exchange: attempt.exchange,
                    login: Some(LoginStep {
                        url: token_url,
                        status,
                        obtained: obtained.is_some(),
                        is_request: is_token_request,
                    }),
                    token,
                    insecure: client.settings.insecure,
                });
            }
        }
    }
    let mut headers = sent.headers.clone();
    if let Some(c) = &sent.oauth {
        let form_body = sent.body.as_deref().filter(|_| {
            sent.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("content-type")
                    && h.value.starts_with("application/x-www-form-urlencoded")
            })
        });
        let signed = oauth1::sign_request(
            &oauth1::Credentials {
                consumer_key: &c.consumer_key,
                consumer_secret: &c.consumer_secret,
                token: &c.token,
                token_secret: &c.token_secret,
            },
            &sent.method,
            &url,
            form_body,
            &oauth1::random_nonce(),
            now_secs,
        );
        headers.retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
        headers.push(Header {
            name: "Authorization".into(),
            value: signed.header,
        });
    }
    let out = Outgoing {
        method: sent.method.clone(),
        url: url.clone(),
        headers,
        body: sent.body.clone(),
    };
    let exchange = client.send(&out)?;
    let class = classify(&exchange);
    // A token endpoint's successful answer is a fresh token (the login given as a request
    // body, `--curl "curl -X POST …/V1/integration/admin/token -d '{…}'"`): a secret.
    if token.is_none()
        && is_token_endpoint(&target.path)
        && let (Ok(r), Classification::Success { .. }) = (&exchange, &class)
    {
        token = login::parse_token(&r.body);
    }
    Ok(LiveOutcome {
        method: out.method.clone(),
        sent,
        url,
        exchange,
        class,
        login: login_step,
        token,
        insecure: client.settings.insecure,
    })
}

/// `…/V1/integration/{admin,customer}/token`: Magento's token endpoints.
pub fn is_token_endpoint(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    p.ends_with("/V1/integration/admin/token") || p.ends_with("/V1/integration/customer/token")
}

impl LiveOutcome {
    /// The answer's body with the run's secrets and secret-named fields masked, before anything
    /// cuts it into an excerpt: a server that echoes the request (its Authorization header, a
    /// password in the body) must not get a prefix of the secret past the masker. Call once the
    /// masker knows every secret of the run (the token a login obtained included).
    pub fn mask_body(&mut self, masker: &crate::mask::Masker) {
        if let Ok(r) = &mut self.exchange {
            let text = String::from_utf8_lossy(&r.body);
            let clean = masker.scrub(&text);
            if clean != text {
                r.body = clean.into_bytes();
            }
        }
    }

    /// The live answer refused the request (401 or 403, whoever answered): a problem, whatever
    /// the findings say about why (`request` and `diagnose` then exit 1).
    pub fn refused(&self) -> Option<u16> {
        match &self.exchange {
            Ok(r) if matches!(r.status, 401 | 403) && !self.login_failed() => Some(r.status),
            _ => None,
        }
    }

    /// A login that handed out no token for a request that is not the token request itself:
    /// the request was never sent.
    pub fn login_failed(&self) -> bool {
        self.login
            .as_ref()
            .is_some_and(|l| !l.obtained && !l.is_request)
    }

    /// One line about a failed login: the token call and its answer, with a body excerpt.
    pub fn login_failure_line(&self) -> Option<String> {
        if !self.login_failed() {
            return None;
        }
        let answer = match &self.exchange {
            Ok(r) => {
                let body: String = excerpt(&r.body)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(200)
                    .collect();
                let what = match &self.class {
                    Classification::Success { .. } => {
                        "no token in the body: not Magento's token answer".to_string()
                    }
                    c => c.summary(),
                };
                format!("{} ({what}); body: {body}", r.status)
            }
            Err(_) => self.class.summary(),
        };
        Some(format!(
            "the login failed: POST {} → {answer}. No token was handed out, so the request itself ({} {}) was not sent",
            self.url,
            self.sent.method,
            self.sent
                .target
                .as_ref()
                .and_then(url_of)
                .unwrap_or_default()
        ))
    }
}

/// The login codes of the offline checks: a failed login they explain carries the live answer.
const LOGIN_CODES: &[findings::Code] = &[
    findings::Code::AdminUserUnknown,
    findings::Code::AdminPasswordWrong,
    findings::Code::AdminUserInactive,
    findings::Code::AdminUserLocked,
    findings::Code::AdminUserExpired,
    findings::Code::AdminUserNoRole,
    findings::Code::AdminPasswordExpired,
    findings::Code::TokenEndpointLocked,
    findings::Code::TokenEndpointLockZero,
    findings::Code::Admin2faRequired,
    findings::Code::AdminImsEnabled,
    findings::Code::CustomerUnknown,
    findings::Code::CustomerPasswordWrong,
    findings::Code::CustomerLocked,
    findings::Code::CustomerInactive,
];

/// Add what the live answer (and the canary) prove to the offline diagnosis `d` (`None`: the
/// offline checks did not run), re-rank, and return the offline verdict used.
///
/// `doubt`: why the offline facts may not describe the store that answered (a dump, another
/// host): an `auth-header-stripped` inferred from the join alone is then a warning that says
/// so. The canary, or a server-configuration finding of the same code, still proves it.
///
/// `stale_cache`: why a stale cached configuration or ACL cannot be ruled out
/// ([`crate::store::cache::staleness_doubt`]): a 401 the database does not explain may then come
/// from the cached copy the store still answers from, so stripping is one candidate of two.
pub fn join(
    d: &mut Diagnosis,
    offline_ran: bool,
    outcome: &LiveOutcome,
    canary: Option<&CanaryRun>,
    doubt: Option<&str>,
    stale_cache: Option<&str>,
) -> Offline {
    let offline = explain::offline_verdict(&outcome.sent, offline_ran.then_some(&*d));
    // The answer lines name the request that went out (POST to the token endpoint for a login).
    let mut shown = outcome.sent.clone();
    shown.method = outcome.method.clone();
    // A failed login's answer is the token endpoint's: the offline verdict is about the request
    // that was never sent, so no join with it (only what the answer proves: Basic auth, a WAF…).
    let join_with = if outcome.login_failed() {
        Offline::Unknown {
            why: "the login failed".into(),
        }
    } else {
        offline.clone()
    };
    let mut found = explain::findings(
        &shown,
        &outcome.url,
        &outcome.exchange,
        &outcome.class,
        &join_with,
    );
    if let Some(line) = outcome.login_failure_line() {
        let ev = findings::Evidence::other("http", line.clone());
        match d
            .findings
            .iter_mut()
            .find(|f| LOGIN_CODES.contains(&f.code))
        {
            // The offline login checks say why (wrong password, locked…): the answer proves it.
            Some(f) => f.evidence.insert(0, ev),
            None if found.is_empty() => d.skip("live-request", line),
            None => {}
        }
    }
    // The canary proves it either way: the doubt about the offline facts then no longer applies.
    let canary_proved = canary
        .is_some_and(|c| matches!(c.outcome, super::canary::CanaryOutcome::NotArrived { .. }));
    if let Some(why) = doubt.filter(|_| !canary_proved) {
        for f in found
            .iter_mut()
            .filter(|f| f.code == findings::Code::AuthHeaderStripped)
        {
            f.severity = findings::Severity::Warning;
            f.detail.push_str(&format!(
                " Not proven: {why}. `m2auth request --canary` against the store proves it either way."
            ));
        }
    }
    // Inferred from the join alone (no canary, no server rule): a stale cache explains the same
    // answer (the real 2.4.7-p3 answered exactly this 401 for a role granted in the table while
    // its cached ACL still denied). Name both candidates rather than assert one.
    let config_says = d.has(findings::Code::AuthHeaderStripped);
    if let Some(why) = stale_cache.filter(|_| !canary_proved && !config_says) {
        for f in found
            .iter_mut()
            .filter(|f| f.code == findings::Code::AuthHeaderStripped)
        {
            f.severity = findings::Severity::Warning;
            f.title = "The Authorization header may not reach Magento — or the store answers from a stale cache".into();
            f.detail.push_str(&format!(
                " Two candidates remain: the header is stripped on the way, or the store still runs on a cached configuration or ACL older than the database ({why}): a value changed in core_config_data (oauth/consumer/enable_integration_as_bearer) or a role granted in authorization_rule without a cache clean is not seen until `bin/magento cache:clean config` (the ACL is in the same cache). Clean the cache and retry: if the 401 stays, the header is stripped (`m2auth request --canary` proves it)."
            ));
        }
    }
    if let Some(c) = canary {
        explain::add_canary(&mut found, &c.outcome);
    }
    // A non-Magento 403 no configuration rule explains, while the configuration turns
    // ModSecurity on for the path: the WAF blocked it (its 403 is the server's own page).
    if matches!(outcome.class, Classification::Server403)
        && !d.has(findings::Code::ServerDeniesPath)
        && let Some(waf) = &d.waf
    {
        for f in found
            .iter_mut()
            .filter(|f| f.code == findings::Code::ServerDeniesPath)
        {
            *f = explain::modsecurity_blocked(f, waf);
        }
    }
    // A cause the server configuration already names (basic-auth-in-front, server-denies-path…)
    // is one finding: the configuration's (its lines and fix), now proven by the answer.
    for f in found {
        match d.findings.iter_mut().find(|e| e.code == f.code) {
            Some(existing) => {
                let mut evidence = f.evidence;
                evidence.append(&mut existing.evidence);
                existing.evidence = evidence;
                existing.severity = existing.severity.min(f.severity);
            }
            None => d.findings.push(f),
        }
    }
    // A web server's own 404 on /rest/…: the .htaccess rewrites to index.php did not run.
    if let Classification::Other { status: 404 } = &outcome.class
        && outcome.url.contains("/rest/")
        && let Some(f) = d
            .findings
            .iter_mut()
            .find(|f| f.code == findings::Code::ApacheHtaccessIgnored)
    {
        f.severity = findings::Severity::Error;
        f.detail.push_str(
            " The live answer proves it: a 404 that is not Magento's (the web server's own page), so the request never reached index.php.",
        );
        f.evidence.insert(
            0,
            findings::Evidence::other(
                "http",
                explain::answer_line(&shown, &outcome.url, &outcome.class, &outcome.exchange),
            ),
        );
    }
    findings::rank(&mut d.findings);
    offline
}

/// At most this much of the body goes into the report.
pub const EXCERPT: usize = 2048;

/// The first [`EXCERPT`] bytes of the body as text.
pub fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT)];
    String::from_utf8_lossy(cut).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome_403() -> LiveOutcome {
        let r = crate::live::client::Response {
            url: "http://127.0.0.1:1/rest/V1/products".into(),
            status: 403,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>".to_vec(),
            truncated: false,
            incomplete: None,
            elapsed_ms: 1,
        };
        let class = crate::live::classify::classify_response(&r);
        assert!(matches!(class, Classification::Server403), "{class:?}");
        let o = crate::request::RequestOptions {
            request: Some("GET http://127.0.0.1:1/rest/V1/products".into()),
            ..Default::default()
        };
        LiveOutcome {
            sent: RequestSpec::from_options(&o).unwrap().unwrap(),
            method: "GET".into(),
            url: "http://127.0.0.1:1/rest/V1/products".into(),
            exchange: Ok(r),
            class,
            login: None,
            token: None,
            insecure: false,
        }
    }

    fn modsecurity() -> crate::checks::server::WafEngine {
        crate::checks::server::WafEngine {
            module: "ModSecurity",
            evidence: findings::Evidence::file(
                "/etc/apache2/apache2.conf",
                Some(7),
                "SecRuleEngine On",
            ),
            error_log: None,
            kind: crate::store::server::Kind::Apache,
        }
    }

    #[test]
    fn a_server_403_with_modsecurity_on_and_no_deny_rule_is_the_waf() {
        let o = outcome_403();
        // No server configuration: a server rule (the detail names WAF modules).
        let mut d = Diagnosis::default();
        join(&mut d, true, &o, None, None, None);
        assert_eq!(d.root_cause(), Some(findings::Code::ServerDeniesPath));
        // ModSecurity on, no rule denies the path: waf-blocked, with the directive and the answer.
        let mut d = Diagnosis {
            waf: Some(modsecurity()),
            ..Default::default()
        };
        join(&mut d, true, &o, None, None, None);
        assert_eq!(d.root_cause(), Some(findings::Code::WafBlocked));
        assert!(!d.has(findings::Code::ServerDeniesPath));
        let f = &d.findings[0];
        assert_eq!(f.severity, findings::Severity::Error);
        let sources: Vec<&str> = f.evidence.iter().map(|e| e.source.as_str()).collect();
        assert_eq!(sources, ["http", "file:/etc/apache2/apache2.conf:7"]);
        assert!(f.detail.contains("ModSecurity"), "{}", f.detail);
        let fix = f.fix.as_ref().unwrap();
        assert!(fix.commands[0].contains("grep ModSecurity /var/log/apache2/error.log"));
        assert!(fix.commands[1].contains("SecRuleRemoveById"));
        // A configuration rule that denies the path explains the 403: it stays that.
        let mut d = Diagnosis {
            waf: Some(modsecurity()),
            ..Default::default()
        };
        d.push(findings::Finding::new(
            findings::Code::ServerDeniesPath,
            findings::Severity::Error,
        ));
        join(&mut d, true, &o, None, None, None);
        assert_eq!(d.root_cause(), Some(findings::Code::ServerDeniesPath));
        assert!(!d.has(findings::Code::WafBlocked));
    }
}
