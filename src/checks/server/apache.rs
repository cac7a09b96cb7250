//! Step 6 from Apache's configuration: for the vhost serving the store and the request's path,
//! whether `.htaccess` is read (AllowOverride), how PHP is reached and whether the Authorization
//! header survives that hand-off, and whether access rules deny the path or demand Basic auth.
//!
//! Assumption, stated in the findings: the client is this machine (127.0.0.1 / ::1), as when the
//! store is diagnosed locally; `Require ip` lists are judged for that client.
//!
//! The `Require` evaluation is in [`super::apache_authz`]; the docroot's `.htaccess` is read by
//! [`crate::store::server::vhost_htaccess`] (I/O lives under `store/`).

use std::path::{Path, PathBuf};

use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::store::server::apache::{self as ap, Level, Modules, Scoped, Vhost};
use crate::store::server::{self, Config, Htaccess, Node};

use super::apache_authz::{
    Verdict, block_verdict, combine, compat_verdict, pass_env, require_lines, require_verdict,
};
// `Env` is the type of the public `Pass::env`; both keep their old paths here.
pub use super::apache_authz::{Env, loopback_matches};

pub const CGI_PASS_AUTH: &str = "CGIPassAuth On";
pub const SET_ENV_IF: &str = r#"SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1"#;
pub const RELOAD: &str = "apachectl configtest && systemctl reload apache2";

/// How Apache hands `index.php` to PHP.
#[derive(Debug, Clone, PartialEq)]
pub enum Handoff<'a> {
    /// mod_php (libphp): PHP runs inside Apache and sees every header.
    ModPhp(Option<&'a Node>),
    /// `SetHandler "proxy:fcgi://…"` / `proxy:unix:…|fcgi://…` (mod_proxy_fcgi).
    ProxyFcgi(&'a Node),
    /// `ProxyPassMatch … fcgi://…`: the request is proxied at URL translation, so no
    /// `<Directory>`, `<Files>` or `.htaccess` applies to it.
    ProxyPassMatch(&'a Node),
    /// mod_fcgid (`FcgidWrapper`, `AddHandler fcgid-script`).
    Fcgid(&'a Node),
    /// mod_fastcgi `FastCGIExternalServer`/`FastCgiServer`; `true` with `-pass-header Authorization`.
    FastCgi(&'a Node, bool),
    /// Not found in the configuration.
    Unknown,
}

impl Handoff<'_> {
    pub fn strips(&self) -> bool {
        matches!(
            self,
            Handoff::ProxyFcgi(_)
                | Handoff::ProxyPassMatch(_)
                | Handoff::Fcgid(_)
                | Handoff::FastCgi(_, false)
        )
    }

    pub fn node(&self) -> Option<&Node> {
        match self {
            Handoff::ModPhp(n) => *n,
            Handoff::ProxyFcgi(n)
            | Handoff::ProxyPassMatch(n)
            | Handoff::Fcgid(n)
            | Handoff::FastCgi(n, _) => Some(n),
            Handoff::Unknown => None,
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Handoff::ModPhp(_) => "mod_php",
            Handoff::ProxyFcgi(_) => "PHP-FPM through mod_proxy_fcgi (SetHandler)",
            Handoff::ProxyPassMatch(_) => "PHP-FPM through ProxyPassMatch",
            Handoff::Fcgid(_) => "mod_fcgid",
            Handoff::FastCgi(..) => "mod_fastcgi",
            Handoff::Unknown => "unknown",
        }
    }
}

/// What the store's vhost does with the request, the facts the findings and `fix` use.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub config: &'a Config,
    pub vhost: Vhost<'a>,
    pub docroot: PathBuf,
    pub handoff: Handoff<'a>,
    /// The `AllowOverride` in force for the docroot (`None`: not set, Apache 2.4's default None).
    pub allow_override: Option<Scoped<'a>>,
    /// Whether `.htaccess` may carry RewriteRule/SetEnvIf (AllowOverride All or FileInfo).
    pub htaccess_honoured: bool,
    /// The docroot's `.htaccess`, if any.
    pub htaccess: Option<Htaccess>,
    /// A passthrough in the server configuration in force for the request.
    pub passthrough: Option<&'a Node>,
    /// Whether the `.htaccess` passthrough rule runs for the request.
    pub htaccess_passthrough: bool,
    /// The vhost's `<Directory>` section for the docroot, if it has one (where `CGIPassAuth On`
    /// goes).
    pub docroot_section: Option<&'a Node>,
    pub scope: Vec<Scoped<'a>>,
    /// The passes Apache checks access on, in order: the request's own URI, then (unless it
    /// names index.php itself) the internal redirect to `/index.php` Magento's rewrite (or
    /// FallbackResource) makes. Access must be granted on both.
    pub passes: Vec<Pass<'a>>,
    /// The request targets this machine (127.0.0.1, ::1, localhost): its client is local.
    pub client_local: bool,
}

/// One request Apache checks access for: its URI, the directives in force, and the
/// environment variables set by the time access is checked.
#[derive(Debug, Clone)]
pub struct Pass<'a> {
    pub uri: String,
    pub scope: Vec<Scoped<'a>>,
    pub env: Env,
}

/// The facts for the vhost serving the store, or `None` when no vhost has its docroot.
pub fn facts<'a>(
    config: &'a Config,
    magento_root: &Path,
    host: Option<&str>,
    port: Option<u16>,
    url: &str,
) -> Option<Facts<'a>> {
    let m = Modules::of(config);
    let vhost = ap::store_vhosts(config, &m, magento_root, host, port)
        .into_iter()
        .next()?;
    let docroot = vhost.document_root.clone();
    let index = docroot.join("index.php");
    let top = ap::active(&config.nodes, &m);
    let inner: Vec<&Node> = vhost
        .node
        .map(|v| ap::active(v.children(), &m))
        .unwrap_or_default();

    // ProxyPassMatch maps the (rewritten) index.php request at URL translation.
    let proxy_match = top
        .iter()
        .filter(|n| !n.is("VirtualHost"))
        .chain(inner.iter())
        .rev()
        .find(|n| {
            n.is("ProxyPassMatch")
                && n.arg(1).is_some_and(|t| t.contains("fcgi://"))
                && n.arg(0).is_some_and(|r| ap::regex_matches(r, "/index.php"))
        })
        .copied();
    let dir_scope = ap::scope(config, &m, &vhost, &index, url, false);
    let handoff = match proxy_match {
        Some(n) => Handoff::ProxyPassMatch(n),
        None => handoff_in(&dir_scope, &m),
    };
    let proxied = matches!(handoff, Handoff::ProxyPassMatch(_));
    // The first pass (before any rewrite to index.php) is the one .htaccess runs in.
    let allow_override = dir_scope
        .iter()
        .rev()
        .find(|s| s.node.is("AllowOverride") && s.level == Level::Directory)
        .copied();
    // A partial configuration (a vhost file alone: no LoadModule seen) does not show the
    // server-wide <Directory> sections: an AllowOverride it does not set is not judged (taken
    // as honouring .htaccess) rather than assumed to be Apache's default None.
    let partial = m.is_unknown();
    // AllowOverrideList names single directives .htaccess may use besides AllowOverride's
    // classes (`AllowOverrideList RewriteEngine RewriteRule RewriteCond`).
    let list: Vec<String> = dir_scope
        .iter()
        .rev()
        .find(|s| s.node.is("AllowOverrideList") && s.level == Level::Directory)
        .map(|s| s.node.args.iter().map(|a| a.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let class = |c: &str| match allow_override {
        Some(s) => s
            .node
            .args
            .iter()
            .any(|a| a.eq_ignore_ascii_case("All") || a.eq_ignore_ascii_case(c)),
        None => partial,
    };
    let allowed = |directive: &str, c: &str| {
        class(c) || list.iter().any(|l| l == &directive.to_ascii_lowercase())
    };
    let rewrite_allowed =
        allowed("RewriteEngine", "FileInfo") && allowed("RewriteRule", "FileInfo");
    let htaccess_honoured = rewrite_allowed;
    let htaccess = server::vhost_htaccess(&docroot, magento_root);
    let request_scope = if proxied {
        ap::scope(config, &m, &vhost, &index, url, true)
    } else {
        dir_scope
    };
    let passthrough = passthrough_in(&request_scope);
    let rewrite_on = m.test("mod_rewrite.c");
    let htaccess_passthrough = !proxied
        && htaccess.as_ref().is_some_and(|h| {
            h.lines.iter().any(|l| match server::passthrough(l) {
                Some(server::Passthrough::RewriteEnv) => rewrite_allowed && rewrite_on,
                Some(server::Passthrough::SetEnvIf) => allowed("SetEnvIf", "FileInfo"),
                Some(server::Passthrough::CgiPassAuth) => allowed("CGIPassAuth", "AuthConfig"),
                None => false,
            })
        });
    let passes = access_passes(config, &m, &vhost, &docroot, url, proxied);
    // The docroot's own section, by its path as written (Apache does not resolve symlinks to
    // match <Directory>).
    let docroot_section = inner.iter().copied().find(|n| {
        n.is("Directory")
            && n.block.is_some()
            && n.arg(0)
                .is_some_and(|d| ap::normalize(Path::new(d)) == ap::normalize(&docroot))
    });
    Some(Facts {
        config,
        vhost,
        docroot,
        handoff,
        allow_override,
        htaccess_honoured,
        htaccess,
        passthrough,
        htaccess_passthrough,
        docroot_section,
        scope: request_scope,
        passes,
        client_local: host.is_some_and(|h| {
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h.eq_ignore_ascii_case("localhost")
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
    })
}

/// The passes of a request for `url` (see [`Facts::passes`]).
fn access_passes<'a>(
    config: &'a Config,
    m: &Modules,
    vhost: &Vhost<'a>,
    docroot: &Path,
    url: &str,
    proxied: bool,
) -> Vec<Pass<'a>> {
    let uri = url.split(['?', '#']).next().unwrap_or(url);
    let index = docroot.join("index.php");
    if uri == "/index.php" || uri.starts_with("/index.php/") {
        let scope = ap::scope(config, m, vhost, &index, uri, proxied);
        let env = pass_env(&scope, uri, uri, false);
        return vec![Pass {
            uri: uri.to_string(),
            scope,
            env,
        }];
    }
    let file = docroot.join(uri.trim_start_matches('/'));
    let first = ap::scope(config, m, vhost, &file, uri, false);
    let second = ap::scope(config, m, vhost, &index, "/index.php", proxied);
    let env1 = pass_env(&first, uri, uri, false);
    let env2 = pass_env(&second, uri, "/index.php", true);
    vec![
        Pass {
            uri: uri.to_string(),
            scope: first,
            env: env1,
        },
        Pass {
            uri: "/index.php".into(),
            scope: second,
            env: env2,
        },
    ]
}

fn handoff_in<'a>(scope: &[Scoped<'a>], m: &Modules) -> Handoff<'a> {
    for s in scope.iter().rev() {
        let n = s.node;
        let value = |i: usize| n.arg(i).unwrap_or("").to_ascii_lowercase();
        if n.is("SetHandler") || n.is("AddHandler") || n.is("AddType") {
            let v = value(0);
            if n.is("AddHandler") || n.is("AddType") {
                // AddHandler handler .php: only when it names PHP's extension.
                if !n
                    .args
                    .iter()
                    .skip(1)
                    .any(|e| e.to_ascii_lowercase().contains("php"))
                {
                    continue;
                }
            }
            if v.starts_with("proxy:") && v.contains("fcgi") {
                return Handoff::ProxyFcgi(n);
            }
            if v == "fcgid-script" {
                return Handoff::Fcgid(n);
            }
            if v.contains("x-httpd-php") || v.starts_with("php") {
                if m.mod_php() == Some(false) {
                    continue;
                }
                return Handoff::ModPhp(Some(n));
            }
        }
        if n.is("FcgidWrapper") {
            return Handoff::Fcgid(n);
        }
        if n.is("FastCGIExternalServer") || n.is("FastCgiServer") {
            let pass = n.args.windows(2).any(|w| {
                w[0].eq_ignore_ascii_case("-pass-header")
                    && w[1].eq_ignore_ascii_case("authorization")
            });
            return Handoff::FastCgi(n, pass);
        }
    }
    if m.mod_php() == Some(true) {
        return Handoff::ModPhp(None);
    }
    Handoff::Unknown
}

fn passthrough_in<'a>(scope: &[Scoped<'a>]) -> Option<&'a Node> {
    let cgi = scope
        .iter()
        .rev()
        .find(|s| s.node.is("CGIPassAuth"))
        .filter(|s| s.node.arg(0).is_some_and(|v| v.eq_ignore_ascii_case("on")))
        .map(|s| s.node);
    cgi.or_else(|| {
        scope
            .iter()
            .find(|s| sets_http_authorization(s.node))
            .map(|s| s.node)
    })
}

/// `SetEnvIf[NoCase] Authorization|^Authorization$ "(.*)" HTTP_AUTHORIZATION=$1`, or a
/// `RewriteRule … [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]`.
pub fn sets_http_authorization(n: &Node) -> bool {
    if n.is("RewriteRule") {
        let line = format!("{} {}", n.name, n.args.join(" "));
        return server::passthrough(&line) == Some(server::Passthrough::RewriteEnv);
    }
    if !(n.is("SetEnvIf") || n.is("SetEnvIfNoCase")) {
        return false;
    }
    let attr = n.arg(0).unwrap_or("");
    let names_header = attr.eq_ignore_ascii_case("authorization")
        || ap::regex_matches(&format!("(?i){attr}"), "Authorization")
            && !attr.is_empty()
            && attr.to_ascii_lowercase().contains("authorization");
    names_header
        && n.args
            .iter()
            .skip(2)
            .any(|a| a.to_ascii_uppercase().starts_with("HTTP_AUTHORIZATION=$1"))
}

/// Where the vhost lines go: `(file, line after which to insert, the lines)`: `CGIPassAuth On`
/// after the opening line of the vhost's `<Directory>` for the docroot; else (no such section,
/// or ProxyPassMatch, which no `<Directory>` reaches) `SetEnvIf Authorization` after the vhost's
/// DocumentRoot line (after `<VirtualHost>` when DocumentRoot is set outside it).
pub fn vhost_fix_lines(f: &Facts<'_>) -> (PathBuf, u32, Vec<String>) {
    match (&f.handoff, f.docroot_section) {
        (Handoff::ProxyPassMatch(_), _) | (_, None) => {
            let dr = f.vhost.document_root_node;
            let line = match f.vhost.node {
                Some(v)
                    if !server::walk(v.children())
                        .iter()
                        .any(|n| std::ptr::eq(*n, dr)) =>
                {
                    return (v.file.clone(), v.line, vec![SET_ENV_IF.to_string()]);
                }
                _ => dr.line,
            };
            (dr.file.clone(), line, vec![SET_ENV_IF.to_string()])
        }
        (_, Some(d)) => (d.file.clone(), d.line, vec![CGI_PASS_AUTH.to_string()]),
    }
}

fn ev(n: &Node, text: impl Into<String>) -> Evidence {
    Evidence::file(&n.file.display().to_string(), Some(n.line), text)
}

/// ModSecurity turned on for the request: the last `SecRuleEngine` in scope (server, vhost, or a
/// section for the path) is `On`. `DetectionOnly` and `Off` block nothing.
pub fn waf_engine(f: &Facts<'_>) -> Option<super::WafEngine> {
    let engine = ap::last(&f.scope, "SecRuleEngine")?;
    if !engine
        .node
        .arg(0)
        .is_some_and(|a| a.eq_ignore_ascii_case("On"))
    {
        return None;
    }
    let error_log = ap::last(&f.scope, "ErrorLog")
        .and_then(|s| s.node.arg(0))
        .filter(|l| !l.starts_with('|') && !l.starts_with("syslog"))
        .map(|l| {
            let p = Path::new(l);
            if p.is_absolute() {
                l.to_string()
            } else {
                // Relative to ServerRoot.
                f.config
                    .server_root
                    .as_ref()
                    .map(|r| r.join(p).display().to_string())
                    .unwrap_or_else(|| l.to_string())
            }
        });
    Some(super::WafEngine {
        module: "ModSecurity",
        evidence: ev(engine.node, engine.node.text(true)),
        error_log,
        kind: server::Kind::Apache,
    })
}

/// The findings for the facts.
pub fn findings(f: &Facts<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let vhost_ev = ev(
        f.vhost.node.unwrap_or(f.vhost.document_root_node),
        format!(
            "serves the store: DocumentRoot {}{}",
            f.docroot.display(),
            if f.vhost.names.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.vhost.names.join(", "))
            }
        ),
    );
    let ao_ev = match &f.allow_override {
        Some(s) => ev(s.node, s.node.text(true)),
        None => ev(
            f.vhost.document_root_node,
            format!(
                "no AllowOverride applies to {}: Apache 2.4's default is None",
                f.docroot.display()
            ),
        ),
    };

    // .htaccess ignored: reported when it matters for REST calls: the .htaccess passthrough is
    // what the FastCGI hand-off needs, or nothing else routes /rest/… to index.php
    // (FallbackResource, a RewriteRule in the vhost).
    let needed_for_header = f.handoff.strips() && f.passthrough.is_none();
    let routed = f.scope.iter().any(|s| {
        s.node.is("FallbackResource")
            || (s.node.is("RewriteRule") && s.node.args.iter().any(|a| a.contains("index.php")))
    });
    if f.htaccess.is_some()
        && !f.htaccess_honoured
        && !matches!(f.handoff, Handoff::ProxyPassMatch(_))
        && (needed_for_header || !routed)
    {
        let (file, line) = match f.docroot_section {
            Some(d) => (d.file.display().to_string(), d.line),
            None => (
                f.vhost.document_root_node.file.display().to_string(),
                f.vhost.document_root_node.line,
            ),
        };
        // Nothing else routes /rest/… to index.php: every REST call answers Apache's own 404,
        // whatever the credentials (the root cause, before any header question).
        let severity = if routed {
            Severity::Warning
        } else {
            Severity::Error
        };
        let htaccess_path = f
            .htaccess
            .as_ref()
            .map(|h| h.path.clone())
            .unwrap_or_default();
        let detail = if routed {
            format!(
                "{} is never read for this vhost (AllowOverride without FileInfo): its Authorization passthrough rule does not run (FallbackResource or a vhost RewriteRule still routes REST URLs to index.php).",
                Path::new(&htaccess_path).display()
            )
        } else {
            format!(
                "{} is never read for this vhost (AllowOverride without FileInfo) and nothing else (no FallbackResource, no RewriteRule to index.php in the vhost) routes /rest/… to index.php: every REST URL answers Apache's own 404 before PHP runs, and Magento's Authorization passthrough rule does not run either.",
                Path::new(&htaccess_path).display()
            )
        };
        out.push(
            Finding::new(Code::ApacheHtaccessIgnored, severity)
                .detail(detail)
                .evidence(ao_ev.clone())
                .evidence(vhost_ev.clone())
                .fix(Fix {
                    summary: format!(
                        "Let .htaccess rules run: in the vhost's <Directory> for the docroot ({file}:{line}), set `AllowOverride All` (or FileInfo) (or run `m2auth fix --apply --server-config {}`), then reload Apache",
                        f.config.main.display()
                    ),
                    commands: vec![
                        format!("<Directory \"{}\">", f.docroot.display()),
                        "    AllowOverride All".into(),
                        "</Directory>".into(),
                        RELOAD.into(),
                    ],
                    admin_path: None,
                }),
        );
    }

    // The FastCGI hand-off strips the header.
    if f.handoff.strips() && f.passthrough.is_none() && !f.htaccess_passthrough {
        let mut finding = Finding::new(Code::ApacheFcgiStripsAuthorization, Severity::Error)
            .detail(format!(
                "PHP is reached through {} and nothing passes the Authorization header on: no CGIPassAuth On or SetEnvIf Authorization in force for {}, and the .htaccess rule {}. Magento sees every token request as a guest's (401).",
                f.handoff.describe(),
                f.docroot.display(),
                match (&f.htaccess, f.htaccess_honoured, &f.handoff) {
                    (_, _, Handoff::ProxyPassMatch(_)) => "does not apply to requests ProxyPassMatch hands to PHP",
                    (None, _, _) => "is absent (no .htaccess in the docroot)",
                    (Some(h), true, _) if h.passthrough_line().is_none() => "is absent or commented out",
                    (Some(_), false, _) => "is not read (AllowOverride)",
                    _ => "does not run",
                }
            ));
        if let Some(n) = f.handoff.node() {
            finding = finding.evidence(ev(n, n.text(true)));
        }
        if let (Some(_), false) = (&f.htaccess, f.htaccess_honoured) {
            finding = finding.evidence(ao_ev.clone());
        }
        if let Some(h) = &f.htaccess
            && f.htaccess_honoured
            && h.passthrough_line().is_none()
        {
            let line = h.disabled_rule_line();
            finding = finding.evidence(Evidence::file(
                &h.path,
                line,
                match line {
                    Some(l) => format!("commented out: {}", h.lines[l as usize - 1].trim()),
                    None => "no Authorization passthrough rule".into(),
                },
            ));
        }
        finding = finding.evidence(vhost_ev.clone());
        let (file, line, lines) = vhost_fix_lines(f);
        let mut commands = lines.clone();
        commands.push(RELOAD.into());
        finding = finding.fix(Fix {
            summary: format!(
                "Pass the header on in the vhost: add `{}` after {}:{line} (or run `m2auth fix --apply --server-config {}`), then reload Apache",
                lines.join("; "),
                file.display(),
                f.config.main.display()
            ),
            commands,
            admin_path: None,
        });
        out.push(finding);
    }

    out.extend(access(f));
    out
}

/// The variable the recommended Basic-auth exemption sets for REST URIs.
pub const REST_ENV: &str = "M2_REST";
/// The line setting it (vhost level: it runs once, before any rewrite; the internal redirect to
/// index.php sees it as `REDIRECT_M2_REST`).
pub const REST_SETENVIF: &str = r#"SetEnvIf Request_URI "^/(index\.php/)?rest/" M2_REST"#;

/// `Require` (or the old `Order`/`Deny`/`Allow`) for the local client, and Basic auth, on each
/// pass of the request (see [`Facts::passes`]): the first pass that is refused is reported.
fn access(f: &Facts<'_>) -> Vec<Finding> {
    for (i, pass) in f.passes.iter().enumerate() {
        let how = if i == 0 {
            format!("the request for {}", pass.uri)
        } else {
            format!(
                "the internal request for {} that Magento's rewrite (or FallbackResource) makes of {}",
                pass.uri, f.passes[0].uri
            )
        };
        let out = access_pass(f, pass, &how);
        if !out.is_empty() {
            return out;
        }
    }
    Vec::new()
}

fn access_pass(f: &Facts<'_>, pass: &Pass<'_>, how: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let scope = &pass.scope;
    let reqs = ap::requires(scope);
    let section_ev = |s: &Scoped<'_>| s.section.map(|sec| ev(sec, sec.text(true)));
    let url_note = "m2auth assumes the client runs on this machine (127.0.0.1 or ::1), as when the store is diagnosed locally";
    // Satisfy Any (mod_access_compat): either the host rules or the Require rules suffice.
    let satisfy_any = ap::last(scope, "Satisfy")
        .is_some_and(|s| s.node.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("any")));
    let compat = compat_verdict(scope);
    let verdict = |env: &Env| {
        let items: Vec<Verdict> = reqs
            .iter()
            .map(|s| {
                if s.node.block.is_some() {
                    block_verdict(s.node, env)
                } else {
                    require_verdict(s.node, env)
                }
            })
            .collect();
        combine("requireany", &items)
    };
    let require = if reqs.is_empty() {
        Verdict::Granted
    } else {
        verdict(&pass.env)
    };
    if satisfy_any && compat.as_ref().is_some_and(|(ok, _)| *ok) {
        // `Allow from` grants: Require (and Basic auth) is not needed.
        return out;
    }
    match require {
        Verdict::Granted => {}
        Verdict::Denied => {
            // Refused only because of the client's address (`Require ip`/`host`), and the
            // client is not known to be this machine: a warning, not the cause.
            let by_address = verdict(&Env {
                any_client: true,
                ..pass.env.clone()
            }) != Verdict::Denied;
            let (severity, note) = if by_address && !f.client_local {
                (
                    Severity::Warning,
                    format!(
                        "{url_note}; the request's client is not known to be local (give --request with the URL it calls): if the REST clients are not on this machine, check their addresses against the rule"
                    ),
                )
            } else {
                (Severity::Error, url_note.to_string())
            };
            let mut finding =
                Finding::new(Code::ServerDeniesPath, severity).detail(format!(
                    "Apache refuses {how} with 403 before PHP runs ({note}); Magento's pub/.htaccess (`ErrorDocument 403 /errors/404.php`) shows it as a 404 page.",
                ));
            if let Some(e) = section_ev(&reqs[0]) {
                finding = finding.evidence(e);
            }
            for r in &reqs {
                finding = finding.evidence(ev(r.node, r.node.text(true)));
            }
            out.push(finding.fix(Fix {
                summary: "Grant the REST path to its clients: replace the Require line(s) quoted above, e.g. with `Require all granted` or `Require ip` plus the clients' addresses, then reload Apache".into(),
                commands: vec!["Require all granted".into(), RELOAD.into()],
                admin_path: None,
            }));
            return out;
        }
        Verdict::Auth => {
            let auth_type = ap::last(scope, "AuthType");
            // Basic auth set on the REST location itself (`<Location /rest>`): removing it there
            // is the fix, and no exemption question arises.
            let on_rest = reqs[0].section.filter(|sec| {
                (sec.is("Location") || sec.is("LocationMatch"))
                    && sec.arg(0).is_some_and(|a| a.contains("rest"))
            });
            let mut finding = Finding::new(Code::BasicAuthInFront, Severity::Error).detail(match on_rest {
                Some(sec) => format!(
                    "Apache demands HTTP Basic authentication for {how}, set on the REST path itself ({} at {}): the client's only Authorization header must carry the Basic credentials, so the Bearer token never reaches Magento (or Apache answers 401 itself).",
                    sec.text(true),
                    sec.place()
                ),
                None => format!(
                    "Apache demands HTTP Basic authentication for {how}: the client's only Authorization header must carry the Basic credentials, so the Bearer token never reaches Magento (or Apache answers 401 itself). A `<Location /rest>` exemption does not help once the request is rewritten to /index.php.",
                ),
            });
            if let Some(e) = section_ev(&reqs[0]) {
                finding = finding.evidence(e);
            }
            if let Some(a) = auth_type {
                finding = finding.evidence(ev(a.node, a.node.text(true)));
            }
            for r in &reqs {
                finding = finding.evidence(ev(r.node, r.node.text(true)));
            }
            // Proved on a real Apache (tests/it/server_e2e.rs): the variable is set once for the
            // REST URI and seen as REDIRECT_M2_REST by the rewritten request.
            let mut commands = vec![REST_SETENVIF.to_string(), "<RequireAny>".to_string()];
            for r in &reqs {
                require_lines(r.node, "    ", &mut commands);
            }
            commands.push(format!("    Require env {REST_ENV}"));
            commands.push(format!("    Require env REDIRECT_{REST_ENV}"));
            commands.push("</RequireAny>".into());
            commands.push(RELOAD.into());
            let at = reqs
                .iter()
                .map(|r| r.node.place())
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(sec) = on_rest {
                let auth_lines: Vec<String> = sec
                    .children()
                    .iter()
                    .filter(|n| {
                        [
                            "AuthType",
                            "AuthName",
                            "AuthUserFile",
                            "AuthBasicProvider",
                            "AuthGroupFile",
                        ]
                        .iter()
                        .any(|d| n.is(d))
                            || n.is("Require")
                                && n.arg(0).is_some_and(|a| {
                                    ["valid-user", "user", "group"]
                                        .iter()
                                        .any(|v| a.eq_ignore_ascii_case(v))
                                })
                    })
                    .map(|n| n.line.to_string())
                    .collect();
                out.push(finding.fix(Fix {
                    summary: format!(
                        "Remove AuthType/AuthName/AuthUserFile/Require valid-user from {} at {}:{} (lines {}), or restrict it by IP instead, then reload Apache",
                        sec.text(true),
                        sec.file.display(),
                        sec.line,
                        auth_lines.join(", ")
                    ),
                    commands: vec![RELOAD.into()],
                    admin_path: None,
                }));
                return out;
            }
            out.push(finding.fix(Fix {
                summary: format!(
                    "Exempt the REST API from Basic auth on both passes Apache makes (the REST URI, then the rewritten /index.php): add `{REST_SETENVIF}` to the vhost ({}), replace the Require line(s) at {at} with the <RequireAny> block below (it keeps them), then reload Apache",
                    f.vhost.place()
                ),
                commands,
                admin_path: None,
            }));
            return out;
        }
    }
    // mod_access_compat (checked besides Require: both must pass, unless Satisfy Any).
    if let Some((false, here)) = compat {
        if satisfy_any && require == Verdict::Granted && !reqs.is_empty() {
            return out;
        }
        let mut finding = Finding::new(Code::ServerDeniesPath, Severity::Error).detail(format!(
            "Apache's Order/Deny/Allow rules refuse {how} with 403 before PHP runs ({url_note})."
        ));
        for s in &here {
            finding = finding.evidence(ev(s.node, s.node.text(true)));
        }
        out.push(finding.fix(Fix {
            summary: "Allow the REST clients (Apache 2.4: replace Order/Deny/Allow by `Require`), then reload Apache".into(),
            commands: vec!["Require all granted".into(), RELOAD.into()],
            admin_path: None,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    /// `SecRuleEngine On` in scope turns ModSecurity on; DetectionOnly, Off, or an `Off` for the
    /// REST path do not.
    #[test]
    fn modsecurity_engine_in_scope() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("magento");
        std::fs::create_dir_all(root.join("pub")).unwrap();
        let engine = |server: &str, vhost: &str| {
            let conf = dir.path().join("apache2.conf");
            std::fs::write(
                &conf,
                format!(
                    "ServerRoot \"{d}\"\nLoadModule security2_module /x/mod_security2.so\n{server}\n<VirtualHost *:80>\n    DocumentRoot \"{r}/pub\"\n    ErrorLog logs/store-error.log\n{vhost}\n</VirtualHost>\n",
                    d = dir.path().display(),
                    r = root.display()
                ),
            )
            .unwrap();
            let cfg = ap::read(&conf);
            let f = facts(&cfg, &root, None, None, "/rest/V1/products").unwrap();
            waf_engine(&f).map(|w| (w.evidence.source, w.error_log))
        };
        let (source, log) = engine("SecRuleEngine On", "").unwrap();
        assert!(source.ends_with("apache2.conf:3"), "{source}");
        assert_eq!(
            log,
            Some(
                dir.path()
                    .join("logs/store-error.log")
                    .display()
                    .to_string()
            )
        );
        assert!(engine("SecRuleEngine DetectionOnly", "").is_none());
        assert!(engine("SecRuleEngine On", "    SecRuleEngine Off").is_none());
        assert!(engine("", "    SecRuleEngine on").is_some());
        assert!(
            engine(
                "SecRuleEngine On",
                "    <LocationMatch \"^/(index\\.php/)?rest/\">\n        SecRuleEngine Off\n    </LocationMatch>"
            )
            .is_none()
        );
        assert!(engine("", "").is_none());
    }
}
