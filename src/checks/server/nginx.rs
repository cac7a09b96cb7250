//! Step 6 (and 3) from nginx's configuration: for the server block serving the store, the
//! location the request's path lands in (then, after `try_files`' internal redirect, the PHP
//! location), and what is in force there: `deny`/`allow`, `return 403`, `auth_basic`, and whether
//! FastCGI gets the request's headers (`fastcgi_pass_request_headers off`,
//! `fastcgi_param HTTP_AUTHORIZATION ""`).
//!
//! Assumption, stated in the findings: the client is this machine (127.0.0.1 / ::1).

use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::store::server::nginx::{self as ng, Server};
use crate::store::server::{Config, Node};

use super::apache_authz::loopback_matches;

pub const RELOAD: &str = "nginx -t && systemctl reload nginx";

/// What the store's server block does with the request.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub config: &'a Config,
    pub server: Server<'a>,
    /// The location chain the path lands in first.
    pub first: Vec<&'a Node>,
    /// The location chain PHP runs in (after `try_files`), when found.
    pub php: Option<Vec<&'a Node>>,
}

pub fn facts<'a>(
    config: &'a Config,
    magento_root: &std::path::Path,
    host: Option<&str>,
    port: Option<u16>,
    url: &str,
) -> Option<Facts<'a>> {
    let server = ng::store_servers(config, magento_root, host, port)
        .into_iter()
        .next()?;
    let first = ng::find_location(server.node, url);
    let php = php_chain(&server, &first);
    Some(Facts {
        config,
        server,
        first,
        php,
    })
}

fn has_fastcgi(chain: &[&Node]) -> bool {
    chain.last().is_some_and(|l| {
        l.children()
            .iter()
            .any(|c| c.name == "fastcgi_pass" || c.name == "proxy_pass")
    })
}

/// Where PHP runs: the first chain when it passes to FastCGI itself, else the location the
/// last `try_files` fallback (`/index.php$is_args$args`, `@name`) redirects to.
fn php_chain<'a>(server: &Server<'a>, first: &[&'a Node]) -> Option<Vec<&'a Node>> {
    if has_fastcgi(first) {
        return Some(first.to_vec());
    }
    let levels = ng::levels(server, first);
    let try_files = levels
        .iter()
        .rev()
        .find_map(|l| l.children().iter().rev().find(|c| c.name == "try_files"))?;
    let fallback = try_files.args.last()?;
    let chain = if fallback.starts_with('@') {
        vec![ng::named_location(server.node, fallback)?]
    } else if fallback.starts_with('/') {
        let uri = fallback.split(['$', '?']).next().unwrap_or(fallback);
        ng::find_location(server.node, uri)
    } else {
        return None;
    };
    has_fastcgi(&chain).then_some(chain)
}

fn ev(n: &Node, text: impl Into<String>) -> Evidence {
    Evidence::file(&n.file.display().to_string(), Some(n.line), text)
}

/// ModSecurity (the nginx connector) turned on for the request: `modsecurity on;` in force in
/// the location the path lands in (inherited from `server` or `http`).
pub fn waf_engine(f: &Facts<'_>) -> Option<super::WafEngine> {
    let levels = ng::levels(&f.server, &f.first);
    let on = ng::effective(&levels, "modsecurity")?;
    if !on.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("on")) {
        return None;
    }
    let error_log = ng::effective(&levels, "error_log")
        .and_then(|n| n.arg(0))
        .filter(|l| l.starts_with('/'))
        .map(str::to_string);
    Some(super::WafEngine {
        module: "ModSecurity",
        evidence: ev(on, on.text(false)),
        error_log,
        kind: crate::store::server::Kind::Nginx,
    })
}

fn where_(chain: &[&Node]) -> String {
    match chain.last() {
        Some(l) => format!("location {} ({})", l.args.join(" "), l.place()),
        None => "the server block".into(),
    }
}

pub fn findings(f: &Facts<'_>, url: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut chains = vec![f.first.clone()];
    if let Some(p) = &f.php
        && *p != f.first
    {
        chains.push(p.clone());
    }
    let server_ev = ev(
        f.server.node,
        format!(
            "serves the store: root {}{}",
            f.server
                .root
                .as_ref()
                .map(|r| r.display().to_string())
                .unwrap_or_default(),
            if f.server.names.is_empty() {
                String::new()
            } else {
                format!(" (server_name {})", f.server.names.join(" "))
            }
        ),
    );
    let mut denied = false;
    let mut basic = false;
    for chain in &chains {
        let levels = ng::levels(&f.server, chain);
        // return 403 / 444 in the location itself
        if !denied
            && let Some(ret) = chain.last().and_then(|l| {
                l.children()
                    .iter()
                    .find(|c| c.name == "return" && matches!(c.arg(0), Some("403" | "444" | "401")))
            })
        {
            denied = true;
            out.push(
                Finding::new(Code::ServerDeniesPath, Severity::Error)
                    .detail(format!(
                        "nginx answers {url} with `{}` in {} before PHP runs.",
                        ret.text(false),
                        where_(chain)
                    ))
                    .evidence(ev(ret, ret.text(false)))
                    .evidence(server_ev.clone())
                    .fix(Fix {
                        summary: format!(
                            "Remove `{}` at {} (or limit it to other paths), then reload nginx",
                            ret.text(false),
                            ret.place()
                        ),
                        commands: vec![RELOAD.into()],
                        admin_path: None,
                    }),
            );
        }
        // allow / deny, first match wins
        let rules = ng::effective_list(&levels, &["allow", "deny"]);
        if !denied
            && let Some(rule) = rules
                .iter()
                .find(|r| r.arg(0).is_some_and(loopback_matches))
            && rule.name == "deny"
        {
            denied = true;
            out.push(
                Finding::new(Code::ServerDeniesPath, Severity::Error)
                    .detail(format!(
                        "nginx refuses {url} with 403 in {} (m2auth assumes the client runs on this machine, 127.0.0.1 or ::1, as when the store is diagnosed locally).",
                        where_(chain)
                    ))
                    .evidence(ev(rule, rule.text(false)))
                    .evidence(server_ev.clone())
                    .fix(Fix {
                        summary: format!(
                            "Allow the REST clients before the deny at {}: `allow <client address>;` (or remove the deny), then reload nginx",
                            rule.place()
                        ),
                        commands: vec!["allow 127.0.0.1;".into(), RELOAD.into()],
                        admin_path: None,
                    }),
            );
        }
        // auth_basic
        if !basic
            && let Some(ab) = ng::effective(&levels, "auth_basic")
            // `off`, or a variable (a map may switch it off for REST): not flagged.
            && ab
                .arg(0)
                .is_some_and(|v| !v.eq_ignore_ascii_case("off") && !v.starts_with('$'))
        {
            basic = true;
            let mut finding = Finding::new(Code::BasicAuthInFront, Severity::Error)
                .detail(format!(
                    "nginx demands HTTP Basic authentication for {url} ({}, in force for {}): the client's only Authorization header must carry the Basic credentials, so the Bearer token never reaches Magento (or nginx answers 401 itself).",
                    ab.text(false),
                    where_(chain)
                ))
                .evidence(ev(ab, ab.text(false)));
            if let Some(uf) = ng::effective(&levels, "auth_basic_user_file") {
                finding = finding.evidence(ev(uf, uf.text(false)));
            }
            // Where auth_basic actually is: inherited by the PHP location (server/http level,
            // or the PHP location itself), or only in a sibling location (`location /rest`).
            let php_has_it = f.php.as_ref().is_some_and(|php| {
                ng::effective(&ng::levels(&f.server, php), "auth_basic")
                    .is_some_and(|n| std::ptr::eq(n, ab))
            });
            let in_location = chain
                .iter()
                .rev()
                .find(|l| l.children().iter().any(|c| std::ptr::eq(c, ab)));
            let summary = match in_location {
                Some(l) if !php_has_it => format!(
                    "Remove `{}` (and its auth_basic_user_file) from location {} at {} (or set `auth_basic off;` there): that location is the REST path's own, the PHP location does not inherit it; then reload nginx",
                    ab.text(false),
                    l.args.join(" "),
                    ab.place()
                ),
                _ => format!(
                    "Exempt the REST API from Basic auth: the PHP location inherits `{}` (set at {}) too, so switch it off by URI with a map (in http {{}}) and use the variable there, then reload nginx",
                    ab.text(false),
                    ab.place()
                ),
            };
            out.push(finding.evidence(server_ev.clone()).fix(Fix {
                summary,
                commands: vec![
                    format!(
                        "map $request_uri $m2auth_basic_realm {{ ~^/(index\\.php/)?rest/ off; default \"{}\"; }}",
                        ab.arg(0).unwrap_or("Restricted")
                    ),
                    "auth_basic $m2auth_basic_realm;".into(),
                    RELOAD.into(),
                ],
                admin_path: None,
            }));
        }
    }
    // Headers to FastCGI (or a proxy) in the PHP location.
    if let Some(php) = &f.php {
        let levels = ng::levels(&f.server, php);
        // `*_pass_request_headers off` drops the client's headers, but a parameter naming the
        // header explicitly (`fastcgi_param HTTP_AUTHORIZATION $http_authorization;`) is still
        // sent: only `off` without such a non-empty parameter strips it.
        let explicit = |list: &[&str], key: &str| {
            ng::effective_list(&levels, list).into_iter().any(|n| {
                n.arg(0).is_some_and(|k| k.eq_ignore_ascii_case(key))
                    && n.arg(1).is_some_and(|v| !v.is_empty())
            })
        };
        let off = [
            (
                "fastcgi_pass_request_headers",
                "fastcgi_param",
                "HTTP_AUTHORIZATION",
            ),
            (
                "proxy_pass_request_headers",
                "proxy_set_header",
                "Authorization",
            ),
        ]
        .iter()
        .filter(|(_, param, key)| !explicit(&[param], key))
        .find_map(|(d, _, _)| ng::effective(&levels, d).filter(|n| n.arg(0) == Some("off")));
        let emptied = ng::effective_list(&levels, &["fastcgi_param"])
            .into_iter()
            .chain(ng::effective_list(&levels, &["proxy_set_header"]))
            .find(|n| {
                n.arg(0).is_some_and(|k| {
                    k.eq_ignore_ascii_case("HTTP_AUTHORIZATION")
                        || k.eq_ignore_ascii_case("Authorization")
                }) && n.arg(1).is_none_or(|v| v.is_empty())
            });
        if let Some(n) = off.or(emptied) {
            let (summary, commands) = if n.name.ends_with("pass_request_headers") {
                (
                    format!(
                        "Remove `{}` at {} (or add `fastcgi_param HTTP_AUTHORIZATION $http_authorization;`), then reload nginx",
                        n.text(false),
                        n.place()
                    ),
                    vec![
                        "fastcgi_param HTTP_AUTHORIZATION $http_authorization;".into(),
                        RELOAD.into(),
                    ],
                )
            } else if n.name == "proxy_set_header" {
                (
                    format!(
                        "Replace `{}` at {} by `proxy_set_header Authorization $http_authorization;`, then reload nginx",
                        n.text(false),
                        n.place()
                    ),
                    vec![
                        "proxy_set_header Authorization $http_authorization;".into(),
                        RELOAD.into(),
                    ],
                )
            } else {
                (
                    format!(
                        "Replace `{}` at {} by `fastcgi_param HTTP_AUTHORIZATION $http_authorization;`, then reload nginx",
                        n.text(false),
                        n.place()
                    ),
                    vec![
                        "fastcgi_param HTTP_AUTHORIZATION $http_authorization;".into(),
                        RELOAD.into(),
                    ],
                )
            };
            out.push(
                Finding::new(Code::AuthHeaderStripped, Severity::Error)
                    .detail(format!(
                        "nginx does not pass the Authorization header on to PHP in {}: Magento sees every token request as a guest's (401).",
                        where_(php)
                    ))
                    .evidence(ev(n, n.text(false)))
                    .evidence(server_ev.clone())
                    .fix(Fix {
                        summary,
                        commands,
                        admin_path: None,
                    }),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `modsecurity on;` inherited into the location the path lands in; `off` there wins.
    #[test]
    fn modsecurity_in_scope() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("magento");
        std::fs::create_dir_all(root.join("pub")).unwrap();
        let engine = |http: &str, rest: &str| {
            let conf = dir.path().join("nginx.conf");
            std::fs::write(
                &conf,
                format!(
                    "events {{}}\nhttp {{\n    {http}\n    error_log /var/log/nginx/store.log;\n    server {{\n        listen 80;\n        root {r}/pub;\n        location /rest/ {{\n            {rest}\n            try_files $uri /index.php$is_args$args;\n        }}\n        location ~ \\.php$ {{\n            fastcgi_pass 127.0.0.1:9000;\n        }}\n    }}\n}}\n",
                    r = root.display()
                ),
            )
            .unwrap();
            let cfg = ng::read(&conf);
            let f = facts(&cfg, &root, None, None, "/rest/V1/products").unwrap();
            waf_engine(&f).map(|w| (w.evidence.source, w.error_log))
        };
        let (source, log) = engine("modsecurity on;", "").unwrap();
        assert!(source.ends_with("nginx.conf:3"), "{source}");
        assert_eq!(log.as_deref(), Some("/var/log/nginx/store.log"));
        assert!(engine("modsecurity on;", "modsecurity off;").is_none());
        assert!(engine("modsecurity off;", "").is_none());
        assert!(engine("", "modsecurity on;").is_some());
        assert!(engine("", "").is_none());
    }
}
