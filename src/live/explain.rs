//! The findings a live answer proves, and its join with the offline verdict (pure: no I/O).
//!
//! Every finding made here carries evidence from `http` (the answer itself), which is what
//! [`crate::findings::rank`] uses to put live-proven findings before inferred ones.

use crate::checks::Diagnosis;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::live::canary::CanaryOutcome;
use crate::live::classify::Classification;
use crate::live::client::{Exchange, UnreachableKind};
use crate::request::RequestSpec;

/// What the offline checks (files and database) predict for the request.
#[derive(Debug, Clone, PartialEq)]
pub enum Offline {
    /// The credentials are valid and the route's resources are granted: Magento should answer.
    Allowed { why: String },
    /// An offline finding of severity error in steps 1–3 makes Magento refuse the request.
    Refused { code: Code, title: String },
    /// The offline checks could not decide.
    Unknown { why: String },
}

impl Offline {
    pub fn as_str(&self) -> &'static str {
        match self {
            Offline::Allowed { .. } => "allowed",
            Offline::Refused { .. } => "refused",
            Offline::Unknown { .. } => "unknown",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Offline::Allowed { why } => format!("allowed: {why}"),
            Offline::Refused { code, title } => format!("refused: {code} ({title})"),
            Offline::Unknown { why } => format!("unknown: {why}"),
        }
    }
}

/// The offline verdict for `spec`, from the diagnosis of the checks (`None`: they did not run).
pub fn offline_verdict(spec: &RequestSpec, d: Option<&Diagnosis>) -> Offline {
    let Some(d) = d else {
        return Offline::Unknown {
            why: "the offline checks did not run (no Magento root)".into(),
        };
    };
    if let Some(s) = d.skipped.iter().find(|s| s.check == "database") {
        return Offline::Unknown {
            why: s.reason.clone(),
        };
    }
    if let Some(f) = d
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error && f.step <= 3 && !is_live(f))
    {
        return Offline::Refused {
            code: f.code,
            title: f.title.clone(),
        };
    }
    if let Some(s) = d.skipped.iter().find(|s| s.check == "role-permissions") {
        return Offline::Unknown {
            why: format!("role permissions: {}", s.reason),
        };
    }
    // GraphQL: the fields were not judged (no document, a syntax error, no schema…).
    if let Some(s) = d.skipped.iter().find(|s| s.check == "graphql") {
        return Offline::Unknown {
            why: format!("GraphQL: {}", s.reason),
        };
    }
    let who = if spec.authorization().is_empty() && spec.oauth.is_none() {
        "no token is needed for this route (anonymous)"
    } else {
        "the credentials are valid and the caller's role grants every resource the route needs"
    };
    Offline::Allowed { why: who.into() }
}

/// Whether a finding is proven by a live answer (evidence from `http`).
pub fn is_live(f: &Finding) -> bool {
    f.evidence.iter().any(|e| e.source == "http")
}

/// The request as sent: carries credentials (a header or OAuth signature).
fn sends_credentials(spec: &RequestSpec) -> bool {
    !spec.authorization().is_empty() || spec.oauth.is_some()
}

/// `GET https://… → 401 {"message": …}`: the evidence line of an answer.
pub fn answer_line(
    spec: &RequestSpec,
    url: &str,
    class: &Classification,
    exchange: &Exchange,
) -> String {
    match exchange {
        Ok(r) => {
            let mut s = format!("{} {url} → {} ({})", spec.method, r.status, class.summary());
            if let Some(loc) = r.header("location") {
                s.push_str(&format!("; Location: {loc}"));
            }
            if let Some(why) = &r.incomplete {
                s.push_str(&format!("; body incomplete: {why}"));
            }
            s
        }
        Err(u) => format!(
            "{} {url} → no answer: {} ({})",
            spec.method, u.detail, u.address
        ),
    }
}

/// The findings the answer proves, joined with the offline verdict.
pub fn findings(
    spec: &RequestSpec,
    url: &str,
    exchange: &Exchange,
    class: &Classification,
    offline: &Offline,
) -> Vec<Finding> {
    let ev = Evidence::other("http", answer_line(spec, url, class, exchange));
    let mut out = Vec::new();
    match class {
        Classification::Unreachable(u) if u.kind == UnreachableKind::Certificate => out.push(
            Finding::new(Code::TlsCertificateInvalid, Severity::Error)
                .title(format!("The TLS certificate of {} is rejected: {}", u.address, u.detail.split(':').next().unwrap_or("")))
                .detail(format!("m2auth verifies the certificate as clients do (the system's roots, plus --cacert): {}. Every client that verifies it (curl, Guzzle, Postman, an ERP's integration) stops at the handshake, so the request never reaches the web server and Magento never sees it.", u.detail))
                .evidence(ev)
                .fix(Fix {
                    summary: "Serve a valid certificate for this host name (not expired, the name in its subjectAltName, the full chain); for a private CA, trust it on the clients (here: --cacert FILE)".into(),
                    commands: vec![format!("openssl s_client -connect {} -servername {} -showcerts </dev/null", u.address.split(' ').next().unwrap_or(""), url::Url::parse(url).ok().and_then(|x| x.host_str().map(str::to_string)).unwrap_or_default())],
                    admin_path: None,
                }),
        ),
        Classification::Unreachable(u) => {
            let why = match u.kind {
                UnreachableKind::Dns => "the host name does not resolve",
                UnreachableKind::Refused => "the connection is refused: nothing listens on that port, or a firewall rejects it",
                UnreachableKind::Timeout => "the connection or the answer timed out: a firewall or security group that drops packets, or a hung server",
                UnreachableKind::NoRoute => "there is no route to the host (network or host unreachable)",
                UnreachableKind::Certificate => "the TLS certificate is rejected",
            };
            let title = match u.kind {
                UnreachableKind::Dns => format!("{} does not resolve (DNS): no address to connect to", u.address),
                _ => format!("{} does not answer from here", u.address),
            };
            out.push(
                Finding::new(Code::PortUnreachable, Severity::Error)
                    .title(title)
                    .detail(format!("{why}. The request never reached the web server, so Magento never saw it."))
                    .evidence(ev)
                    .fix(Fix {
                        summary: "Check DNS, the port, and the firewall or security group between this machine and the store".into(),
                        commands: vec![format!("curl -v {url}")],
                        admin_path: None,
                    }),
            );
        }
        Classification::Redirect { status, location } => {
            // A relative Location (`/rest/V1/products/`) is resolved against the URL sent.
            let resolved = location.as_deref().map(|l| {
                url::Url::parse(url)
                    .and_then(|u| u.join(l))
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| l.to_string())
            });
            let location = &resolved;
            let loc = location.as_deref().unwrap_or("(no Location header)");
            let origin = |u: &str| {
                url::Url::parse(u)
                    .ok()
                    .map(|u| (u.scheme().to_string(), u.host_str().map(str::to_string), u.port_or_known_default()))
            };
            let other_origin = origin(url) != origin(loc);
            let scheme_change = url.starts_with("http://") && loc.starts_with("https://");
            let method_change = matches!(status, 301..=303) && spec.method != "GET" && spec.method != "HEAD";
            let mut why = format!("The server answers {status} and sends the client to {loc}; m2auth does not follow redirects, and Magento never saw the request.");
            if scheme_change {
                why.push_str(" It is an http→https redirect: call the https URL directly.");
            }
            if method_change {
                why.push_str(&format!(" A client that follows a {status} turns {} into GET and drops the body.", spec.method));
            }
            if sends_credentials(spec) && other_origin {
                why.push_str(" Clients that follow a redirect to another host, port or scheme drop the Authorization header (curl -L, browsers, Guzzle), so the next request arrives without the token: a 401.");
            }
            out.push(
                Finding::new(Code::RequestRedirected, Severity::Error)
                    .title(format!("The request is redirected ({status}) before it reaches Magento"))
                    .detail(why)
                    .evidence(ev)
                    .fix(Fix {
                        summary: "Send the request to the final URL (scheme, host, store path) so no redirect happens".into(),
                        commands: location.iter().map(|l| format!("curl -X {} '{l}' …", spec.method)).collect(),
                        admin_path: None,
                    }),
            );
        }
        Classification::Waf { waf, status } => out.push(
            Finding::new(Code::WafBlocked, Severity::Error)
                .title(format!("{} blocked the request ({status})", waf.vendor))
                .detail(format!("The answer is {}'s block page, not Magento's: the request never reached the store. Signature: {}.", waf.vendor, waf.signature))
                .evidence(ev)
                .fix(Fix {
                    summary: format!("Allow the client (IP, user agent) or the REST path in {}'s rules; its event log names the rule that matched", waf.vendor),
                    commands: Vec::new(),
                    admin_path: None,
                }),
        ),
        Classification::BasicAuth { realm } => out.push(
            Finding::new(Code::BasicAuthInFront, Severity::Error)
                .title(match realm {
                    Some(r) => format!("The web server demands HTTP Basic auth (realm \"{r}\") on this path"),
                    None => "The web server demands HTTP Basic auth on this path".into(),
                })
                .detail("The 401 carries `WWW-Authenticate: Basic` and is not Magento's JSON/XML error: the web server answered. A request has one Authorization header: Basic credentials for the server leave no room for the Bearer token or OAuth signature Magento needs, and a Bearer header fails the server's Basic check.")
                .evidence(ev)
                .fix(Fix {
                    summary: "Exempt the REST API from Basic auth (or restrict by IP instead)".into(),
                    commands: vec![
                        "Apache: <LocationMatch \"^/(index\\.php/)?rest/\"> Require all granted </LocationMatch>".into(),
                        "nginx:  location ~ ^/(index\\.php/)?rest/ { auth_basic off; … }".into(),
                    ],
                    admin_path: None,
                }),
        ),
        Classification::Server401 { www_authenticate } => out.push(
            Finding::new(Code::Server401NotMagento, Severity::Error)
                .detail(format!(
                    "The 401 is not Magento's JSON/XML error body: a web server, proxy, CDN or WAF answered before Magento{}.{}",
                    www_authenticate.as_ref().map(|w| format!(" (WWW-Authenticate: {w})")).unwrap_or_default(),
                    json_note(exchange)
                ))
                .evidence(ev)
                .fix(Fix {
                    summary: "Find the layer that answers (server/via headers, access logs of each hop) and let /rest through to PHP".into(),
                    commands: vec![format!("curl -sv {url} -o /dev/null")],
                    admin_path: None,
                }),
        ),
        Classification::Server403 => out.push(
            Finding::new(Code::ServerDeniesPath, Severity::Error)
                .detail(format!("The 403 is not Magento's (Magento refuses callers with 401) and no WAF signature was recognised: a web-server rule denies this path or this client (`Require`, `Deny from`, nginx `deny`/`allow`, a `location` that returns 403), or a WAF module that answers with the server's own 403 page (ModSecurity's default: its audit log names the rule).{}", json_note(exchange)))
                .evidence(ev)
                .fix(Fix {
                    summary: "Allow /rest (and /index.php/rest) to the client in the web server's rules".into(),
                    commands: vec!["grep -rnE 'Require|Deny from|deny |allow |return 403' /etc/apache2 /etc/nginx".into()],
                    admin_path: None,
                }),
        ),
        // SOAP answers the same refusal as a fault at HTTP 200 (issue 14).
        Classification::MagentoError { status, error }
            if error.is_consumer_not_authorized() && (*status == 401 || error.format == "soap") =>
        {
            match offline {
                Offline::Allowed { why } if sends_credentials(spec) => out.push(stripped(
                    "Magento answers as if no credentials were sent, although they are valid",
                    format!(
                        "The store answered \"{}\" while, offline, {why}: Magento's PHP did not receive the Authorization header, so the request ran as a guest.",
                        error.rendered
                    ),
                    vec![ev],
                )),
                Offline::Allowed { why } => out.push(mismatch(
                    format!("The store refuses a request the offline checks allow ({why}): the running store decides with other data than the files and database m2auth read"),
                    ev,
                )),
                _ => {}
            }
        }
        // GraphQL's refusals: errors[].extensions.category (issue 14).
        Classification::MagentoError { status, error }
            if error.format == "graphql"
                && error.parameters.iter().any(|(k, v)| {
                    k == "category"
                        && (v == "graphql-authorization" || v == "graphql-authentication")
                }) =>
        {
            if let Offline::Allowed { why } = offline {
                out.push(mismatch(
                    format!(
                        "The store refuses the GraphQL request (\"{}\", {status}) that the offline checks allow ({why}): the running store decides with other data than the files and database m2auth read",
                        error.rendered
                    ),
                    ev,
                ));
            }
        }
        Classification::Success { status } => {
            if let Offline::Refused { code, title } = offline {
                out.push(mismatch(
                    format!("The store answered {status} although, offline, {code} ({title}) should make it refuse the request: the running store decides with other data than the files and database m2auth read"),
                    ev,
                ));
            }
        }
        _ => {}
    }
    out
}

/// A non-Magento 403 while the server configuration turns ModSecurity on for the request and
/// no configuration rule denies the path: the WAF blocked it (ModSecurity answers with the
/// server's own 403 page, so only the configuration tells it from a `Require` rule).
/// `answer`: the `server-denies-path` finding the answer alone gave (its `http` evidence).
pub fn modsecurity_blocked(answer: &Finding, waf: &crate::checks::server::WafEngine) -> Finding {
    let log = waf.error_log.clone().unwrap_or_else(|| match waf.kind {
        crate::store::server::Kind::Apache => "/var/log/apache2/error.log".into(),
        crate::store::server::Kind::Nginx => "/var/log/nginx/error.log".into(),
    });
    let (server, exclude) = match waf.kind {
        crate::store::server::Kind::Apache => (
            "Apache",
            "<LocationMatch \"^/(index\\.php/)?rest/\"> SecRuleRemoveById ID </LocationMatch>  (in the store's vhost, ID from the log; then apachectl configtest && systemctl reload apache2)",
        ),
        crate::store::server::Kind::Nginx => (
            "nginx",
            "location ~ ^/(index\\.php/)?rest/ { modsecurity_rules 'SecRuleRemoveById ID'; … }  (ID from the log; then nginx -t && systemctl reload nginx)",
        ),
    };
    let mut f = Finding::new(Code::WafBlocked, Severity::Error)
        .title(format!("{} blocked the request (403) before Magento", waf.module))
        .detail(format!(
            "The 403 is {server}'s own page, not Magento's (Magento refuses callers with 401), no rule in the server configuration denies this path, and {} is on for it ({}): one of its rules matched the request and denied it before PHP ran. Its log entry names the rule id and what matched (a header, an argument, the body).",
            waf.module, waf.evidence.text
        ))
        .fix(Fix {
            summary: "Find the rule id in the web server's error log, then exclude that rule for the REST API, or change the client's request so it no longer matches".into(),
            commands: vec![format!("grep ModSecurity {log} | tail"), exclude.into()],
            admin_path: None,
        });
    for e in answer.evidence.iter().filter(|e| e.source == "http") {
        f = f.evidence(e.clone());
    }
    f.evidence(waf.evidence.clone())
}

/// For a JSON body that is not Magento's error: say so (an API gateway's own answer).
fn json_note(exchange: &Exchange) -> String {
    let Ok(r) = exchange else {
        return String::new();
    };
    let body = r.body_text();
    if serde_json::from_str::<serde_json::Value>(body.trim()).is_ok_and(|v| v.is_object()) {
        " The body is JSON that is not Magento's error (not its shape or phrases; or a WWW-Authenticate challenge Magento never sends), e.g. an API gateway in front (Kong, AWS API Gateway, Apigee): its configuration decides.".into()
    } else {
        String::new()
    }
}

/// `auth-header-stripped`, with the server-side causes as the fix.
pub fn stripped(title: &str, detail: String, evidence: Vec<Evidence>) -> Finding {
    let mut f = Finding::new(Code::AuthHeaderStripped, Severity::Error)
        .title(title)
        .detail(detail)
        .fix(Fix {
            summary: "Make the web server hand the Authorization header to PHP".into(),
            commands: vec![
                "Apache + PHP-FPM/FastCGI: CGIPassAuth On (in the docroot's <Directory>), or SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1".into(),
                "Apache + .htaccess: AllowOverride All, and Magento's RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}] in pub/.htaccess".into(),
                "nginx + PHP-FPM: fastcgi_param HTTP_AUTHORIZATION $http_authorization;".into(),
                "a reverse proxy / load balancer in front: forward the header (proxy_set_header Authorization $http_authorization;)".into(),
            ],
            admin_path: None,
        });
    for e in evidence {
        f = f.evidence(e);
    }
    f
}

fn mismatch(detail: String, ev: Evidence) -> Finding {
    Finding::new(Code::LiveVerdictMismatch, Severity::Warning)
        .detail(format!("{detail}. Usual causes: the configuration or ACL caches still hold old values, the database given (--dump, --db) is not the live store's, or another server (a load-balancer node, a staging copy) answered."))
        .evidence(ev)
        .fix(Fix {
            summary: "Compare with the running store: clean its caches, and diagnose against its live database".into(),
            commands: vec!["bin/magento cache:clean config full_page".into()],
            admin_path: None,
        })
}

/// The canary's outcome as findings: the header did not reach PHP → `auth-header-stripped`
/// (merged into an existing one); arrived or unusable → no finding.
pub fn add_canary(findings: &mut Vec<Finding>, outcome: &CanaryOutcome) {
    let CanaryOutcome::NotArrived { url, status } = outcome else {
        return;
    };
    let ev = Evidence::other(
        "http",
        format!(
            "canary {url} ({status}): PHP saw neither HTTP_AUTHORIZATION nor REDIRECT_HTTP_AUTHORIZATION for a request sent with `Authorization: Bearer m2auth-canary-…`"
        ),
    );
    if let Some(f) = findings
        .iter_mut()
        .find(|f| f.code == Code::AuthHeaderStripped)
    {
        // The canary proves what the join inferred, whatever its doubt.
        f.severity = Severity::Error;
        f.evidence.push(ev);
        return;
    }
    findings.push(stripped(
        "The Authorization header does not reach PHP (proved by a canary)",
        "A one-off PHP file in the docroot, requested with an Authorization header, reported that PHP did not receive it: every token request then runs as a guest and Magento answers 401.".into(),
        vec![ev],
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/findings.md says "yes" in the produced column for every code the live part makes.
    #[test]
    fn the_projects_list_marks_live_codes_as_produced() {
        let doc = include_str!("../../docs/findings.md");
        for code in [
            Code::PortUnreachable,
            Code::RequestRedirected,
            Code::WafBlocked,
            Code::BasicAuthInFront,
            Code::Server401NotMagento,
            Code::ServerDeniesPath,
            Code::AuthHeaderStripped,
            Code::LiveVerdictMismatch,
            Code::TlsCertificateInvalid,
        ] {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{code}` |")))
                .unwrap_or_else(|| panic!("{code} not in docs/findings.md"));
            let produced = row.split('|').nth(3).unwrap_or("").trim();
            assert!(produced.starts_with("yes"), "{code}: {row}");
        }
    }

    fn spec(auth: bool) -> RequestSpec {
        let mut o = crate::request::RequestOptions {
            request: Some("GET http://127.0.0.1:1/rest/V1/products".into()),
            ..Default::default()
        };
        if auth {
            o.token = Some("eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9.c2ln".into());
        }
        RequestSpec::from_options(&o).unwrap().unwrap()
    }

    fn magento_401() -> (Exchange, Classification) {
        let r = crate::live::client::Response {
            url: "u".into(),
            status: 401,
            headers: Vec::new(),
            body: br#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Catalog::products"}}"#.to_vec(),
            truncated: false,
            incomplete: None,
            elapsed_ms: 1,
        };
        let c = crate::live::classify::classify_response(&r);
        (Ok(r), c)
    }

    #[test]
    fn a_magento_401_for_valid_credentials_is_a_stripped_header() {
        let (x, c) = magento_401();
        let allowed = Offline::Allowed {
            why: "valid".into(),
        };
        let f = findings(&spec(true), "u", &x, &c, &allowed);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::AuthHeaderStripped);
        assert!(is_live(&f[0]));
        // Without credentials it is a mismatch, not stripping.
        let f = findings(&spec(false), "u", &x, &c, &allowed);
        assert_eq!(f[0].code, Code::LiveVerdictMismatch);
        // A refusal offline explains the 401: nothing to add.
        let refused = Offline::Refused {
            code: Code::JwtExpired,
            title: "t".into(),
        };
        assert!(findings(&spec(true), "u", &x, &c, &refused).is_empty());
    }

    #[test]
    fn relative_redirects_are_resolved() {
        let r = crate::live::client::Response {
            url: "u".into(),
            status: 301,
            headers: vec![("location".into(), "/rest/V1/products/".into())],
            body: Vec::new(),
            truncated: false,
            incomplete: None,
            elapsed_ms: 1,
        };
        let c = crate::live::classify::classify_response(&r);
        let f = findings(
            &spec(true),
            "https://m.test/rest/V1/products",
            &Ok(r),
            &c,
            &Offline::Unknown { why: "x".into() },
        );
        assert_eq!(f[0].code, Code::RequestRedirected);
        let fix = f[0].fix.as_ref().unwrap();
        assert!(
            fix.commands[0].contains("https://m.test/rest/V1/products/"),
            "{fix:?}"
        );
        assert!(
            !f[0].detail.contains("drop the Authorization"),
            "same origin: {}",
            f[0].detail
        );
    }

    #[test]
    fn the_offline_verdict_reads_the_diagnosis() {
        let mut d = Diagnosis::default();
        assert!(matches!(
            offline_verdict(&spec(true), Some(&d)),
            Offline::Allowed { .. }
        ));
        d.push(Finding::new(Code::AuditDefaultAdminPath, Severity::Warning));
        assert!(matches!(
            offline_verdict(&spec(true), Some(&d)),
            Offline::Allowed { .. }
        ));
        d.push(Finding::new(Code::AclResourceMissing, Severity::Error));
        assert!(matches!(
            offline_verdict(&spec(true), Some(&d)),
            Offline::Refused {
                code: Code::AclResourceMissing,
                ..
            }
        ));
        let mut d = Diagnosis::default();
        d.skip("role-permissions", "x");
        assert!(matches!(
            offline_verdict(&spec(true), Some(&d)),
            Offline::Unknown { .. }
        ));
        assert!(matches!(
            offline_verdict(&spec(true), None),
            Offline::Unknown { .. }
        ));
    }
}
