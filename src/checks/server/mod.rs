//! Step 6: server rules the store's own files carry. Magento's stock `.htaccess` files pass the
//! Authorization header on to PHP (`RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]`,
//! "workaround for HTTP authorization in CGI environment"); under PHP-FPM/FastCGI the header
//! reaches PHP only through such a rule (or a vhost's `CGIPassAuth On` / `SetEnvIf`).
//!
//! Then the web server's own configuration ([`apache`], [`nginx`]): the vhost or server block
//! whose document root is the store, and what it does with the request's path (`--request`,
//! else [`PROBE_PATH`]).

pub mod apache;
pub mod apache_authz;
pub mod nginx;

use serde::Serialize;

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::store::server::{self, Kind};

pub const STOCK_RULE: &str = "RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]";

/// The path judged when no `--request` is given: Magento's REST API.
pub const PROBE_PATH: &str = "/rest/V1/";

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    htaccess(ctx, d);
    server_config(ctx, d);
}

/// The request path (without query) the server rules are judged for, and its host and port.
pub fn probe(ctx: &Context) -> (String, Option<String>, Option<u16>) {
    match ctx.request.as_ref().and_then(|r| r.target.as_ref()) {
        Some(t) => {
            // The port the request reaches: given, else the scheme's (a URL with a host).
            let port = t.port.or_else(|| {
                t.host.as_ref()?;
                Some(if t.scheme.as_deref() == Some("http") {
                    80
                } else {
                    443
                })
            });
            (t.path.clone(), t.host.clone(), port)
        }
        None => (PROBE_PATH.to_string(), None, None),
    }
}

/// Which configuration serves the store, for `info` and the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Serving {
    pub kind: Kind,
    /// The main file (or directory) read.
    pub config: String,
    /// `file:line` of the vhost / server block.
    pub at: String,
    pub document_root: String,
    pub names: Vec<String>,
    /// How PHP is reached (Apache).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub php: Option<String>,
}

/// The vhosts / server blocks serving the store, one per configuration at most.
pub fn serving(ctx: &Context) -> Vec<Serving> {
    let (path, host, port) = probe(ctx);
    let root = &ctx.install.root;
    let mut out = Vec::new();
    for c in &ctx.server().configs {
        match c.kind {
            Kind::Apache => {
                if let Some(f) = apache::facts(c, root, host.as_deref(), port, &path) {
                    out.push(Serving {
                        kind: c.kind,
                        config: c.main.display().to_string(),
                        at: f.vhost.place(),
                        document_root: f.docroot.display().to_string(),
                        names: f.vhost.names.clone(),
                        php: Some(f.handoff.describe().to_string()),
                    });
                }
            }
            Kind::Nginx => {
                if let Some(f) = nginx::facts(c, root, host.as_deref(), port, &path) {
                    out.push(Serving {
                        kind: c.kind,
                        config: c.main.display().to_string(),
                        at: f.server.node.place(),
                        document_root: f
                            .server
                            .root
                            .as_ref()
                            .map(|r| r.display().to_string())
                            .unwrap_or_default(),
                        names: f.server.names.clone(),
                        php: None,
                    });
                }
            }
        }
    }
    out
}

/// A WAF module the server configuration turns on for the store's request: ModSecurity
/// (Apache `SecRuleEngine On`, nginx `modsecurity on;`) in force for the path. Not a finding by
/// itself (a WAF that lets clean requests through is no problem): the live join names
/// `waf-blocked` when the store answers a non-Magento 403 that no config rule explains.
#[derive(Debug, Clone, PartialEq)]
pub struct WafEngine {
    /// `ModSecurity`.
    pub module: &'static str,
    /// The directive that turns it on (`file:line`).
    pub evidence: Evidence,
    /// The web server's error log for the store (ModSecurity logs the rule id there), when the
    /// configuration names it.
    pub error_log: Option<String>,
    pub kind: Kind,
}

/// The findings from the web server's configuration.
fn server_config(ctx: &Context, d: &mut Diagnosis) {
    let loaded = ctx.server();
    if loaded.configs.is_empty() {
        let why = if loaded.skipped.is_empty() {
            "no web-server configuration was read".to_string()
        } else {
            format!(
                "no web-server configuration found ({}); give it with --server-config",
                loaded.skipped.join("; ")
            )
        };
        d.skip("server-config", why);
        return;
    }
    for c in &loaded.configs {
        for p in &c.problems {
            d.skip("server-config", p.clone());
        }
    }
    let (path, host, port) = probe(ctx);
    let root = &ctx.install.root;
    let mut any = false;
    for c in &loaded.configs {
        match c.kind {
            Kind::Apache => {
                if let Some(f) = apache::facts(c, root, host.as_deref(), port, &path) {
                    any = true;
                    if f.handoff == apache::Handoff::Unknown {
                        d.skip("server-config", format!("{}: how Apache hands PHP requests over (mod_php, SetHandler proxy:fcgi, ProxyPassMatch, mod_fcgid) was not found for the vhost at {}", c.main.display(), f.vhost.place()));
                    }
                    for finding in apache::findings(&f) {
                        d.push(finding);
                    }
                    if d.waf.is_none() {
                        d.waf = apache::waf_engine(&f);
                    }
                }
            }
            Kind::Nginx => {
                if let Some(f) = nginx::facts(c, root, host.as_deref(), port, &path) {
                    any = true;
                    for finding in nginx::findings(&f, &path) {
                        d.push(finding);
                    }
                    if d.waf.is_none() {
                        d.waf = nginx::waf_engine(&f);
                    }
                }
            }
        }
    }
    if !any {
        let files: Vec<String> = loaded
            .configs
            .iter()
            .map(|c| c.main.display().to_string())
            .collect();
        d.skip(
            "server-config",
            format!(
                "no Apache vhost or nginx server in {} has the store ({} or its pub/) as its document root",
                files.join(", "),
                root.display()
            ),
        );
    }
}

/// Whether the `.htaccess` passthrough rule is what gets the header to PHP, by the server
/// configuration: `Some(false)` when every vhost/server serving the store passes it without the
/// rule (nginx, mod_php, CGIPassAuth or SetEnvIf in the vhost); `None` when unknown.
pub fn htaccess_rule_needed(ctx: &Context) -> Option<bool> {
    let (path, host, port) = probe(ctx);
    let root = &ctx.install.root;
    let mut any = false;
    for c in &ctx.server().configs {
        match c.kind {
            Kind::Apache => {
                if let Some(f) = apache::facts(c, root, host.as_deref(), port, &path) {
                    any = true;
                    let handled = matches!(f.handoff, apache::Handoff::ModPhp(_))
                        || (f.handoff.strips() && f.passthrough.is_some());
                    if !handled {
                        return if f.handoff == apache::Handoff::Unknown {
                            None
                        } else {
                            Some(true)
                        };
                    }
                }
            }
            Kind::Nginx => {
                if nginx::facts(c, root, host.as_deref(), port, &path).is_some() {
                    any = true;
                }
            }
        }
    }
    if any { Some(false) } else { None }
}

fn htaccess(ctx: &Context, d: &mut Diagnosis) {
    // The server configuration shows the header reaches PHP without the rule: nothing to say.
    if htaccess_rule_needed(ctx) == Some(false) {
        return;
    }
    let Some(file) = server::docroot_htaccess(&ctx.install.root, ctx.install.docroot_is_pub())
    else {
        return;
    };
    if file.passthrough_line().is_some() {
        return;
    }
    let mut f = Finding::new(Code::HtaccessAuthPassthroughMissing, Severity::Warning)
        .detail(format!(
            "{} has no active rule passing the Authorization header on to PHP. Under PHP-FPM or FastCGI (the usual setup) Apache then drops the header unless the vhost has `CGIPassAuth On` or `SetEnvIf Authorization`, and every token request runs as a guest (401).",
            file.path
        ))
        .fix(Fix {
            summary: format!("Restore Magento's stock rule in {} (inside `<IfModule mod_rewrite.c>`, after `RewriteEngine on`)", file.path),
            commands: vec![format!("    {STOCK_RULE}")],
            admin_path: None,
        });
    f = match file.disabled_rule_line() {
        Some(line) => f.evidence(Evidence::file(&file.path, Some(line), format!("commented out: {}", file.lines[line as usize - 1].trim()))),
        None => f.evidence(Evidence::file(&file.path, None, "no RewriteRule with E=HTTP_AUTHORIZATION, no SetEnvIf Authorization, no CGIPassAuth On")),
    };
    d.push(f);
}
