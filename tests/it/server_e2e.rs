//! End to end: each real server setup of the web lab (tests/it/lab/web.rs: Apache with proxy_fcgi,
//! ProxyPassMatch or mod_fcgid, nginx with Magento's nginx.conf.sample, on loopback) shows its
//! real behaviour — the valid token gets 401 through the setups that strip the header, 200
//! through the healthy ones — and `m2auth diagnose --server-config <the server's config>` names
//! the matching cause (and none of the server codes on the healthy ones). `fix --apply` on the
//! .htaccess, and on the vhost followed by a graceful restart of the real Apache, makes the next
//! real request pass. Skips with a message when apache2 / nginx / php-fpm are absent.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::lab::FixtureStore;
use crate::lab::report::{
    self, RULE, SERVER_CODES, finding, magento_pub_htaccess, run_at_root, server_config_skips,
};
use crate::lab::web::{self, Apache, Nginx, PhpHandoff, RawResponse, WebServer};
use serde_json::Value;

const TOKEN: &str = "labtoken0123456789abcdef";
/// A store m2auth can read (env.php with docroot pub/) whose pub/ holds the lab's REST double.
fn store(htaccess: Option<&str>) -> FixtureStore {
    let s = report::pub_docroot_store();
    web::magento_front_controller(s.root(), &[TOKEN]);
    if let Some(h) = htaccess {
        s.file("pub/.htaccess", h);
    }
    s
}

fn get(srv: &WebServer) -> RawResponse {
    let auth = format!("Bearer {TOKEN}");
    srv.get("/rest/V1/products", &[("Authorization", auth.as_str())])
}

/// The server codes `diagnose --server-config <config>` reports, and the root cause.
fn diagnose(s: &FixtureStore, config: &Path) -> (Vec<String>, Value, Value) {
    let (out, err, _) = run_at_root(
        s,
        &[
            "diagnose",
            "--format",
            "json",
            "--server-config",
            config.to_str().unwrap(),
        ],
    );
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let codes = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .filter(|c| SERVER_CODES.contains(&c.as_str()))
        .collect();
    (codes, doc["root_cause"].clone(), doc)
}

/// The lab server answers the token request with `status`, and `diagnose --server-config` on its
/// configuration reports exactly the server codes `want`: the report.
fn assert_served(s: &FixtureStore, srv: &WebServer, status: u16, want: &[&str]) -> Value {
    assert_eq!(get(srv).status, status);
    let (codes, _, doc) = diagnose(s, &srv.config);
    assert_eq!(codes, want, "{doc:#}");
    doc
}

/// Graceful restart of the lab's Apache on its (edited) config, then wait until it answers
/// with the new configuration (`ok` says when).
fn graceful(srv: &WebServer, ok: impl Fn(&RawResponse) -> bool) -> RawResponse {
    let status = std::process::Command::new(web::apache_binary().unwrap())
        .arg("-f")
        .arg(&srv.config)
        .args(["-k", "graceful"])
        .env("LANG", "C")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "apache2 -k graceful failed\n{}",
        srv.error_log()
    );
    let start = Instant::now();
    loop {
        let r = get(srv);
        if ok(&r) || start.elapsed() > Duration::from_secs(10) {
            return r;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn apache_proxy_fcgi_stripping_is_named_and_fixed_in_the_htaccess() {
    let Some(stock) = magento_pub_htaccess() else {
        return;
    };
    // Magento's real pub/.htaccess with its passthrough rule commented out.
    let commented = stock.replace(RULE, &format!("#{RULE}"));
    let s = store(Some(&commented));
    let Some(srv) = Apache::new(&s.path("pub")).start() else {
        return;
    };
    assert_eq!(get(&srv).status, 401, "{:?}", get(&srv));
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert_eq!(root_cause, "apache-fcgi-strips-authorization", "{doc:#}");
    assert_eq!(codes, vec!["apache-fcgi-strips-authorization"], "{doc:#}");

    // fix --apply restores the rule; the very next real request passes (no reload needed).
    let (out, err, code) = run_at_root(&s, &["fix", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(s.path("pub/.htaccess")).unwrap(),
        stock
    );
    let r = get(&srv);
    assert_eq!(r.status, 200, "{r:?}");
    let (codes, root_cause, _) = diagnose(&s, &srv.config);
    assert!(codes.is_empty() && root_cause.is_null(), "{codes:?}");

    // undo: the header is stripped again.
    let (out, err, code) = run_at_root(&s, &["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(get(&srv).status, 401);
}

#[test]
fn apache_minimal_htaccess_without_the_rule_is_fixed_by_insertion() {
    let s = store(Some(&web::minimal_htaccess(false)));
    let Some(srv) = Apache::new(&s.path("pub")).start() else {
        return;
    };
    assert_eq!(get(&srv).status, 401);
    let (codes, _, _) = diagnose(&s, &srv.config);
    assert_eq!(codes, vec!["apache-fcgi-strips-authorization"]);
    let (out, err, code) = run_at_root(&s, &["fix", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(s.path("pub/.htaccess")).unwrap(),
        web::minimal_htaccess(true)
    );
    assert_eq!(get(&srv).status, 200);
}

#[test]
fn apache_allow_override_none_is_named_and_fixed_in_the_vhost() {
    let Some(stock) = magento_pub_htaccess() else {
        return;
    };
    let s = store(Some(&stock));
    let mut a = Apache::new(&s.path("pub"));
    a.allow_override = "None";
    a.fallback_resource = true;
    let Some(srv) = a.start() else { return };
    assert_eq!(get(&srv).status, 401, "{:?}", get(&srv));
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert_eq!(root_cause, "apache-fcgi-strips-authorization", "{doc:#}");
    assert!(
        codes.contains(&"apache-htaccess-ignored".to_string()),
        "{doc:#}"
    );

    // The plan names the vhost line; --apply with --server-config adds CGIPassAuth On to the
    // docroot's <Directory>; after a graceful restart the real request passes.
    let cfg = srv.config.to_str().unwrap().to_string();
    let (out, _, _) = run_at_root(&s, &["fix", "--server-config", &cfg]);
    assert!(
        out.contains("CGIPassAuth On") && out.contains(&cfg),
        "{out}"
    );
    let (out, err, code) = run_at_root(&s, &["fix", "--apply", "--server-config", &cfg]);
    assert_eq!(code, 0, "{out}{err}");
    let conf = std::fs::read_to_string(&srv.config).unwrap();
    assert!(conf.contains("        CGIPassAuth On\n"), "{conf}");
    let r = graceful(&srv, |r| r.status == 200);
    assert_eq!(r.status, 200, "{r:?}\n{}", srv.error_log());
    let (codes, _, doc) = diagnose(&s, &srv.config);
    assert!(
        !codes.contains(&"apache-fcgi-strips-authorization".to_string()),
        "{doc:#}"
    );
    // undo, restart: 401 again.
    let (out, err, code) = run_at_root(&s, &["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    let r = graceful(&srv, |r| r.status == 401);
    assert_eq!(r.status, 401, "{r:?}");
}

#[test]
fn apache_allow_override_none_without_fallback_is_the_root_cause_and_fixed_in_the_vhost() {
    let Some(stock) = magento_pub_htaccess() else {
        return;
    };
    let s = store(Some(&stock));
    let mut a = Apache::new(&s.path("pub"));
    a.allow_override = "None";
    a.fallback_resource = false;
    let Some(srv) = a.start() else { return };
    // Nothing routes /rest to index.php: Apache's own 404, PHP never runs.
    assert_eq!(get(&srv).status, 404, "{:?}", get(&srv));
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert_eq!(root_cause, "apache-htaccess-ignored", "{doc:#}");
    assert!(
        codes.contains(&"apache-htaccess-ignored".to_string()),
        "{doc:#}"
    );
    // The live request: the 404 is named in the finding.
    let cfg = srv.config.to_str().unwrap().to_string();
    let req = format!(
        "GET {}/rest/V1/products",
        srv.base_url.trim_end_matches('/')
    );
    let (out, err, code) = run_at_root(
        &s,
        &[
            "request",
            "--format",
            "json",
            "--server-config",
            &cfg,
            "--request",
            &req,
            "--token",
            TOKEN,
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert_eq!(doc["root_cause"], "apache-htaccess-ignored", "{doc:#}");
    assert!(
        doc["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("404"),
        "{doc:#}"
    );

    // The plan names the line; --apply edits the docroot's <Directory> (journaled).
    let (out, _, _) = run_at_root(&s, &["fix", "--server-config", &cfg]);
    assert!(out.contains("AllowOverride All"), "{out}");
    let (out, err, code) = run_at_root(&s, &["fix", "--apply", "--server-config", &cfg]);
    assert_eq!(code, 0, "{out}{err}");
    let conf = std::fs::read_to_string(&srv.config).unwrap();
    assert!(conf.contains("        AllowOverride All\n"), "{conf}");
    assert!(!conf.contains("        AllowOverride None\n"), "{conf}");
    let r = graceful(&srv, |r| r.status == 200);
    assert_eq!(r.status, 200, "{r:?}\n{}", srv.error_log());
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert!(codes.is_empty() && root_cause.is_null(), "{doc:#}");
    // undo, restart: Apache's 404 again.
    let (out, err, code) = run_at_root(&s, &["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    let r = graceful(&srv, |r| r.status == 404);
    assert_eq!(r.status, 404, "{r:?}");
}

#[test]
fn apache_healthy_setups_pass_and_are_not_flagged() {
    let Some(stock) = magento_pub_htaccess() else {
        return;
    };
    // proxy_fcgi + AllowOverride All + Magento's stock .htaccess.
    let s = store(Some(&stock));
    let Some(srv) = Apache::new(&s.path("pub")).start() else {
        return;
    };
    assert_eq!(get(&srv).status, 200);
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert!(codes.is_empty() && root_cause.is_null(), "{doc:#}");
    drop(srv);

    // proxy_fcgi + CGIPassAuth (no rule in the .htaccess).
    let s = store(Some(&web::minimal_htaccess(false)));
    let mut a = Apache::new(&s.path("pub"));
    a.cgi_pass_auth = true;
    let Some(srv) = a.start() else { return };
    assert_served(&s, &srv, 200, &[]);
    drop(srv);

    // proxy_fcgi + SetEnvIf in the vhost.
    a.cgi_pass_auth = false;
    a.setenvif_authorization = true;
    let Some(srv) = a.start() else { return };
    assert_served(&s, &srv, 200, &[]);
}

#[test]
fn apache_proxy_pass_match_needs_setenvif_and_m2auth_says_so() {
    let s = store(Some(&web::minimal_htaccess(true)));
    let mut a = Apache::new(&s.path("pub"));
    a.php = PhpHandoff::ProxyPassMatch;
    // The .htaccess rule does not help under ProxyPassMatch …
    let Some(srv) = a.start() else { return };
    assert_served(&s, &srv, 401, &["apache-fcgi-strips-authorization"]);
    drop(srv);
    // … nor CGIPassAuth in <Directory> …
    a.cgi_pass_auth = true;
    let Some(srv) = a.start() else { return };
    let doc = assert_served(&s, &srv, 401, &["apache-fcgi-strips-authorization"]);
    let f = finding(&doc, "apache-fcgi-strips-authorization");
    assert!(
        f["fix"]["commands"][0]
            .as_str()
            .unwrap()
            .starts_with("SetEnvIf Authorization"),
        "{f}"
    );
    drop(srv);
    // … SetEnvIf in the vhost does.
    a.cgi_pass_auth = false;
    a.setenvif_authorization = true;
    let Some(srv) = a.start() else { return };
    assert_served(&s, &srv, 200, &[]);
}

#[test]
fn apache_fcgid_strips_unless_told() {
    let s = store(Some(&web::minimal_htaccess(false)));
    let mut a = Apache::new(&s.path("pub"));
    a.php = PhpHandoff::Fcgid;
    let Some(srv) = a.start() else { return };
    assert_served(&s, &srv, 401, &["apache-fcgi-strips-authorization"]);
    s.file("pub/.htaccess", web::minimal_htaccess(true));
    assert_served(&s, &srv, 200, &[]);
    drop(srv);
    s.file("pub/.htaccess", web::minimal_htaccess(false));
    a.cgi_pass_auth = true;
    let Some(srv) = a.start() else { return };
    assert_served(&s, &srv, 200, &[]);
}

#[test]
fn apache_basic_auth_and_deny_on_rest() {
    let s = store(Some(&web::minimal_htaccess(true)));
    let mut a = Apache::new(&s.path("pub"));
    a.basic_auth_rest = true;
    let Some(srv) = a.start() else { return };
    let r = get(&srv);
    assert_eq!(r.status, 401);
    assert!(
        r.header("WWW-Authenticate")
            .is_some_and(|v| v.starts_with("Basic")),
        "{r:?}"
    );
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert_eq!(root_cause, "basic-auth-in-front", "{doc:#}");
    assert_eq!(codes, vec!["basic-auth-in-front"], "{doc:#}");
    // Basic auth sits on <Location /rest> itself: remove it there (its lines named); no word
    // about an exemption that would not help.
    let f = basic_finding(&doc);
    let summary = f["fix"]["summary"].as_str().unwrap();
    assert!(
        summary
            .starts_with("Remove AuthType/AuthName/AuthUserFile/Require valid-user from <Location")
            && summary.contains(srv.config.to_str().unwrap())
            && summary.contains("(lines "),
        "{f:#}"
    );
    assert!(
        !f["detail"]
            .as_str()
            .unwrap()
            .contains("exemption does not help"),
        "{f:#}"
    );
    drop(srv);

    a.basic_auth_rest = false;
    a.deny_rest = true;
    let Some(srv) = a.start() else { return };
    assert_eq!(get(&srv).status, 403);
    // `Require ip 10.255.255.1`: without a request, the client's address is unknown (a
    // warning); for a request to the lab's loopback URL, the refusal is the cause.
    let (codes, _, doc) = diagnose(&s, &srv.config);
    assert_eq!(codes, vec!["server-denies-path"], "{doc:#}");
    let url = format!("GET {}/rest/V1/products", srv.base_url);
    let (out, err, _) = run_at_root(
        &s,
        &[
            "diagnose",
            "--format",
            "json",
            "--offline",
            "--server-config",
            srv.config.to_str().unwrap(),
            "--request",
            &url,
        ],
    );
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let f = finding(&doc, "server-denies-path");
    assert_eq!(f["severity"], "error", "{f:#}");
}

#[test]
fn nginx_sample_healthy_basic_auth_and_deny() {
    let s = store(None);
    let Some(srv) = Nginx::new(s.root()).start() else {
        return;
    };
    assert_eq!(get(&srv).status, 200);
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert!(codes.is_empty() && root_cause.is_null(), "{doc:#}");
    drop(srv);

    let mut n = Nginx::new(s.root());
    n.basic_auth_rest = true;
    let Some(srv) = n.start() else { return };
    let r = get(&srv);
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").is_some(), "{r:?}");
    let (codes, _, doc) = diagnose(&s, &srv.config);
    assert_eq!(codes, vec!["basic-auth-in-front"], "{doc:#}");
    // auth_basic sits in `location /rest`, a sibling of the PHP location: no "inherits".
    let f = basic_finding(&doc);
    let summary = f["fix"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Remove `auth_basic") && summary.contains("location /rest"),
        "{f:#}"
    );
    assert!(!summary.contains("inherits"), "{f:#}");
    drop(srv);

    n.basic_auth_rest = false;
    n.deny_rest = true;
    let Some(srv) = n.start() else { return };
    // Under the sample, `error_page 404 403 = /errors/404.php` turns the 403 into a 404 page.
    assert_served(&s, &srv, 404, &["server-denies-path"]);
}

/// The `basic-auth-in-front` finding of a report.
fn basic_finding(doc: &Value) -> Value {
    finding(doc, "basic-auth-in-front").clone()
}

#[test]
fn nginx_pass_request_headers_off_with_an_explicit_param_and_crlf() {
    let s = store(None);
    let mut n = Nginx::new(s.root());
    n.sample = false;
    // Real nginx sends an explicitly named parameter even with the client's headers off; the
    // file is written with CRLF line ends, which nginx reads as well.
    n.php_extra = "            fastcgi_pass_request_headers off;\n            fastcgi_param HTTP_AUTHORIZATION $http_authorization;\n".into();
    n.crlf = true;
    let Some(srv) = n.start() else { return };
    assert!(
        std::fs::read_to_string(&srv.config)
            .unwrap()
            .contains("\r\n")
    );
    assert_eq!(get(&srv).status, 200);
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert!(server_config_skips(&doc).is_empty(), "{doc:#}");
    assert!(codes.is_empty() && root_cause.is_null(), "{doc:#}");
    drop(srv);

    // Without the explicit parameter the header is gone: 401, and m2auth says so.
    n.php_extra = "            fastcgi_pass_request_headers off;\n".into();
    let Some(srv) = n.start() else { return };
    assert_eq!(get(&srv).status, 401);
    let (codes, _, doc) = diagnose(&s, &srv.config);
    assert!(server_config_skips(&doc).is_empty(), "{doc:#}");
    assert_eq!(codes, vec!["auth-header-stripped"], "{doc:#}");
}

/// Basic auth on the whole docroot with the header for PHP passed on.
fn staging_apache(s: &FixtureStore, directory_require: &str, vhost_extra: &str) -> Apache {
    let mut a = Apache::new(&s.path("pub"));
    a.cgi_pass_auth = true;
    a.directory_extra = format!(
        "        AuthType Basic\n        AuthName \"staging\"\n        AuthUserFile \"@HTPASSWD@\"\n{directory_require}"
    );
    a.vhost_extra = vhost_extra.to_string();
    a
}

#[test]
fn basic_auth_exemption_must_hold_for_the_rewritten_index_php_too() {
    let s = store(Some(&web::minimal_htaccess(true)));
    // A common attempt: `<Location /rest> Require all granted`. Real Apache still answers 401
    // Basic: after the .htaccess rewrite, the internal request for /index.php matches the
    // <Directory>'s `Require valid-user` and no longer the <Location>.
    let location = "    <Location /rest>\n        Require all granted\n    </Location>\n";
    let a = staging_apache(&s, "        Require valid-user\n", location);
    let Some(srv) = a.start() else { return };
    let r = get(&srv);
    assert_eq!(r.status, 401, "{r:?}");
    assert!(
        r.header("WWW-Authenticate")
            .is_some_and(|v| v.starts_with("Basic")),
        "{r:?}"
    );
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert_eq!(root_cause, "basic-auth-in-front", "{doc:#}");
    assert_eq!(codes, vec!["basic-auth-in-front"], "{doc:#}");
    let f = finding(&doc, "basic-auth-in-front");
    let fix = f["fix"]["commands"].as_array().unwrap();
    let lines: Vec<&str> = fix.iter().map(|c| c.as_str().unwrap()).collect();
    // The <Location> it used to recommend is not among them.
    assert!(!lines.iter().any(|l| l.contains("<Location")), "{lines:?}");
    drop(srv);

    // The exemption m2auth recommends, as it gives it: the SetEnvIf line in the vhost, and the
    // Require lines in the section that demands Basic auth. Real Apache: 200 from PHP.
    let setenv: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.trim_start().starts_with("SetEnvIf"))
        .collect();
    let require: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.trim_start().starts_with("SetEnvIf") && !l.contains("systemctl"))
        .collect();
    assert!(!setenv.is_empty() && !require.is_empty(), "{lines:?}");
    let a = staging_apache(
        &s,
        &require
            .iter()
            .map(|l| format!("        {l}\n"))
            .collect::<String>(),
        &setenv
            .iter()
            .map(|l| format!("    {l}\n"))
            .collect::<String>(),
    );
    let Some(srv) = a.start() else { return };
    let r = get(&srv);
    assert_eq!(r.status, 200, "{r:?}\n{}", srv.error_log());
    // Still protected elsewhere.
    assert_eq!(srv.get("/", &[]).status, 401);
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert!(codes.is_empty() && root_cause.is_null(), "{doc:#}");
}

#[test]
fn satisfy_any_lets_allowed_hosts_past_basic_auth() {
    let s = store(Some(&web::minimal_htaccess(true)));
    // Staging's classic: Basic auth for everyone but the office (here: loopback), through
    // mod_access_compat's `Satisfy Any`. Real Apache: 200 from loopback, on both passes.
    let rules = "        Require valid-user\n        Order allow,deny\n        Allow from 127.0.0.1\n        Satisfy Any\n";
    let Some(srv) = staging_apache(&s, rules, "").start() else {
        return;
    };
    assert_eq!(get(&srv).status, 200, "{}", srv.error_log());
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert!(codes.is_empty() && root_cause.is_null(), "{doc:#}");
    drop(srv);

    // Satisfy All: both are needed, the Bearer request gets the Basic challenge.
    let rules = rules.replace("Satisfy Any", "Satisfy All");
    let Some(srv) = staging_apache(&s, &rules, "").start() else {
        return;
    };
    assert_served(&s, &srv, 401, &["basic-auth-in-front"]);
}

#[test]
fn allow_override_list_lets_the_htaccess_rewrites_run() {
    // AllowOverride None, but AllowOverrideList names the rewrite directives: real Apache runs
    // the .htaccess passthrough and routing (200), and m2auth must not call .htaccess ignored.
    // (Without the <IfModule> wrapper: real Apache answers 500 for a section in .htaccess that
    // only AllowOverrideList allows.)
    let plain: String = web::minimal_htaccess(true)
        .lines()
        .filter(|l| !l.contains("IfModule"))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    let s = store(Some(&plain));
    let mut a = Apache::new(&s.path("pub"));
    a.allow_override = "None\n        AllowOverrideList RewriteEngine RewriteCond RewriteRule";
    let Some(srv) = a.start() else { return };
    assert_eq!(get(&srv).status, 200, "{}", srv.error_log());
    let (codes, root_cause, doc) = diagnose(&s, &srv.config);
    assert!(codes.is_empty() && root_cause.is_null(), "{doc:#}");
    drop(srv);

    // Without RewriteRule in the list the .htaccess rules do not run: 404/401, and m2auth says
    // .htaccess is ignored.
    a.allow_override = "None\n        AllowOverrideList SetEnvIf";
    let Some(srv) = a.start() else { return };
    assert_ne!(get(&srv).status, 200);
    let (codes, _, doc) = diagnose(&s, &srv.config);
    assert!(
        codes.contains(&"apache-htaccess-ignored".to_string()),
        "{doc:#}"
    );
}

#[test]
fn symlinked_document_root_is_matched_as_apache_maps_it() {
    // DocumentRoot names a symlink to the store; the <Directory> with the grants names the real
    // path. Apache matches <Directory> on the path as mapped (not resolved): only
    // <Directory /> (AllowOverride None, Require all denied) applies, 403.
    let s = store(Some(&web::minimal_htaccess(true)));
    let links = tempfile::tempdir().unwrap();
    let link = links.path().join("shop");
    std::os::unix::fs::symlink(s.root().canonicalize().unwrap(), &link).unwrap();
    web::make_readable(links.path());
    let mut a = Apache::new(&s.path("pub"));
    a.cgi_pass_auth = true;
    a.document_root_as = Some(link.join("pub"));
    let Some(srv) = a.start() else { return };
    assert_eq!(get(&srv).status, 403, "{}", srv.error_log());
    // m2auth still finds the vhost of the store reached through the link, and names the 403.
    // (The CGIPassAuth On of the <Directory> that does not apply is rightly not counted
    // either.)
    let (codes, _, doc) = diagnose(&s, &srv.config);
    assert!(codes.contains(&"server-denies-path".to_string()), "{doc:#}");
    assert!(
        codes.contains(&"apache-fcgi-strips-authorization".to_string()),
        "{doc:#}"
    );
}
