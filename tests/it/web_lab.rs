//! The web-server lab (tests/it/lab/web.rs) against real Apache, nginx and php-fpm on loopback:
//! each test proves one fact about how a server setup hands (or does not hand) the Authorization
//! header to PHP, which m2auth's server-config analysis and `m2auth request` rely on. Skips with a
//! message when apache2 / nginx / php-fpm are absent (scripts/test installs them).

use crate::lab::FixtureStore;
use crate::lab::report::magento_pub_htaccess;
use crate::lab::web::{self, Apache, Nginx, PhpHandoff, RawResponse, WebServer};

const TOKEN: &str = "labtoken0123456789abcdef";

fn bearer() -> [(&'static str, String); 1] {
    [("Authorization", format!("Bearer {TOKEN}"))]
}

fn get_bearer(srv: &WebServer, path: &str) -> RawResponse {
    let h = bearer();
    srv.get(path, &[(h[0].0, h[0].1.as_str())])
}

/// A store whose pub/ holds the test double and `htaccess` (None: no .htaccess).
fn store(htaccess: Option<&str>) -> FixtureStore {
    let store = FixtureStore::new();
    web::magento_front_controller(store.root(), &[TOKEN]);
    if let Some(h) = htaccess {
        store.file("pub/.htaccess", h);
    }
    store
}

fn assert_not_authorized(r: &RawResponse, what: &str) {
    assert_eq!(r.status, 401, "{what}: {r:?}");
    let j = r.json();
    assert_eq!(
        j["message"], "The consumer isn't authorized to access %resources.",
        "{what}: {r:?}"
    );
    assert_eq!(j["parameters"]["resources"], "Magento_Catalog::products");
    assert!(r.header("WWW-Authenticate").is_none(), "{what}: {r:?}");
}

/// A 401 that asks for Basic credentials (the server's own, not Magento's).
fn assert_basic_challenge(r: &RawResponse) {
    assert_eq!(r.status, 401, "{r:?}");
    assert!(
        r.header("WWW-Authenticate")
            .is_some_and(|v| v.starts_with("Basic")),
        "{r:?}"
    );
}

/// With the Basic credentials, PHP gets a Basic header: Magento runs as a guest.
fn assert_basic_credentials_reach_magento(srv: &WebServer) {
    let r = srv.get(
        "/rest/V1/products",
        &[("Authorization", "Basic bGFiOmxhYg==")],
    );
    assert_not_authorized(&r, "Basic credentials reach Magento");
}

/// The server's own HTML page.
fn assert_html(r: &RawResponse) {
    assert!(
        r.header("Content-Type")
            .is_some_and(|v| v.contains("text/html")),
        "{r:?}"
    );
}

fn assert_ok(r: &RawResponse, what: &str) {
    assert_eq!(r.status, 200, "{what}: {r:?}");
    assert_eq!(r.json()["total_count"], 0, "{what}: {r:?}");
}

fn server_vars(srv: &WebServer) -> serde_json::Value {
    let r = get_bearer(srv, "/rest/V1/lab/server");
    assert_eq!(r.status, 200, "{r:?}\n{}", srv.error_log());
    r.json()
}

#[test]
fn apache_proxy_fcgi_without_passthrough_strips_the_header() {
    let s = store(Some(&web::minimal_htaccess(false)));
    let Some(srv) = Apache::new(&s.path("pub")).start() else {
        return;
    };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_not_authorized(&r, "proxy_fcgi, no passthrough");
    let v = server_vars(&srv);
    assert_eq!(v["HTTP_AUTHORIZATION"], false, "{v}");
    assert_eq!(v["REDIRECT_HTTP_AUTHORIZATION"], false, "{v}");
    assert_eq!(v["apache_request_headers"], false, "{v}");
    assert_eq!(v["sapi"], "fpm-fcgi");
    // The test double's other answers through a real server.
    let r = srv.get("/rest/V1/products", &[]);
    assert_not_authorized(&r, "no header");
    let r = srv.get("/rest/default/V1/nope", &[]);
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.json()["message"], "Request does not match any route.");
    let r = srv.get("/rest/V1/directory/currency", &[]);
    assert_eq!(r.status, 200, "{r:?}");
    let r = srv.get("/rest/V1/products", &[("Accept", "application/xml")]);
    assert_eq!(r.status, 401, "{r:?}");
    assert!(r.body.starts_with("<?xml version=\"1.0\"?>"), "{r:?}");
    assert!(r.body.contains("<response>"), "{r:?}");
    assert!(
        r.body
            .contains("<message>The consumer isn't authorized to access %resources.</message>"),
        "{r:?}"
    );
    // The token endpoint needs no Authorization header, so it works even here.
    let login = format!(
        r#"{{"username":"{}","password":"{}"}}"#,
        web::ADMIN_USER,
        web::ADMIN_PASSWORD
    );
    let r = srv.post("/rest/V1/integration/admin/token", &[], &login);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json(), serde_json::json!(TOKEN));
    let r = srv.post(
        "/rest/V1/integration/admin/token",
        &[],
        r#"{"username":"lab-admin","password":"wrong"}"#,
    );
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(
        r.json()["message"],
        "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."
    );
}

#[test]
fn apache_magento_pub_htaccess_passes_the_header() {
    let Some(h) = magento_pub_htaccess() else {
        return;
    };
    let s = store(Some(&h));
    let Some(srv) = Apache::new(&s.path("pub")).start() else {
        return;
    };
    assert_ok(&get_bearer(&srv, "/rest/V1/products"), "pub/.htaccess");
    assert_ok(
        &get_bearer(&srv, "/index.php/rest/V1/products"),
        "/index.php/rest",
    );
    let v = server_vars(&srv);
    // The E= rule runs on the first pass and again after the rewrite to index.php.
    assert_eq!(v["HTTP_AUTHORIZATION"], true, "{v}");
    assert_eq!(v["REDIRECT_HTTP_AUTHORIZATION"], true, "{v}");
    // The same file without its pass-through line: stripped again.
    let stripped: String = h
        .lines()
        .filter(|l| !l.contains("E=HTTP_AUTHORIZATION"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(stripped.len(), h.len() + 1, "the rule was not found");
    s.file("pub/.htaccess", &stripped);
    assert_not_authorized(
        &get_bearer(&srv, "/rest/V1/products"),
        "pub/.htaccess without the E= rule",
    );
}

#[test]
fn apache_allow_override_none_ignores_the_htaccess() {
    let Some(h) = magento_pub_htaccess() else {
        return;
    };
    let s = store(Some(&h));
    let mut a = Apache::new(&s.path("pub"));
    a.allow_override = "None";
    a.fallback_resource = true;
    let Some(srv) = a.start() else { return };
    assert_not_authorized(
        &get_bearer(&srv, "/rest/V1/products"),
        "AllowOverride None + FallbackResource",
    );
    assert_eq!(server_vars(&srv)["HTTP_AUTHORIZATION"], false);
}

#[test]
fn apache_cgi_pass_auth_passes_the_header() {
    let s = store(Some(&web::minimal_htaccess(false)));
    let mut a = Apache::new(&s.path("pub"));
    a.cgi_pass_auth = true;
    let Some(srv) = a.start() else { return };
    assert_ok(&get_bearer(&srv, "/rest/V1/products"), "CGIPassAuth On");
    let v = server_vars(&srv);
    assert_eq!(v["HTTP_AUTHORIZATION"], true, "{v}");
    assert_eq!(v["REDIRECT_HTTP_AUTHORIZATION"], false, "{v}");
}

#[test]
fn apache_setenvif_passes_the_header() {
    let s = store(Some(&web::minimal_htaccess(false)));
    let mut a = Apache::new(&s.path("pub"));
    a.setenvif_authorization = true;
    let Some(srv) = a.start() else { return };
    assert_ok(&get_bearer(&srv, "/rest/V1/products"), "SetEnvIf");
}

#[test]
fn apache_proxy_pass_match_needs_setenvif() {
    // ProxyPassMatch proxies at translate-name time: the rewritten /index.php request never walks
    // the docroot's <Directory> or .htaccess, so Magento's E= rule only leaves
    // REDIRECT_HTTP_AUTHORIZATION (which Laminas does not read), CGIPassAuth in <Directory> has no
    // effect, and only the vhost-level SetEnvIf gets the header through.
    let s = store(Some(&web::minimal_htaccess(false)));
    let mut a = Apache::new(&s.path("pub"));
    a.php = PhpHandoff::ProxyPassMatch;
    let Some(srv) = a.start() else { return };
    assert_not_authorized(
        &get_bearer(&srv, "/rest/V1/products"),
        "ProxyPassMatch, no passthrough",
    );
    s.file("pub/.htaccess", web::minimal_htaccess(true));
    assert_not_authorized(
        &get_bearer(&srv, "/rest/V1/products"),
        "ProxyPassMatch + .htaccess passthrough",
    );
    assert_not_authorized(
        &get_bearer(&srv, "/index.php/rest/V1/products"),
        "ProxyPassMatch + .htaccess passthrough, /index.php/rest",
    );
    let v = server_vars(&srv);
    assert_eq!(v["HTTP_AUTHORIZATION"], false, "{v}");
    assert_eq!(v["REDIRECT_HTTP_AUTHORIZATION"], true, "{v}");
    drop(srv);

    a.cgi_pass_auth = true;
    let Some(srv) = a.start() else { return };
    assert_not_authorized(
        &get_bearer(&srv, "/rest/V1/products"),
        "ProxyPassMatch + CGIPassAuth in <Directory>",
    );
    drop(srv);

    a.cgi_pass_auth = false;
    a.setenvif_authorization = true;
    let Some(srv) = a.start() else { return };
    assert_ok(
        &get_bearer(&srv, "/rest/V1/products"),
        "ProxyPassMatch + SetEnvIf",
    );
    assert_ok(
        &get_bearer(&srv, "/index.php/rest/V1/products"),
        "ProxyPassMatch + SetEnvIf, /index.php/rest",
    );
}

#[test]
fn apache_fcgid_without_passthrough_strips_the_header() {
    let s = store(Some(&web::minimal_htaccess(false)));
    let mut a = Apache::new(&s.path("pub"));
    a.php = PhpHandoff::Fcgid;
    let Some(srv) = a.start() else { return };
    assert_not_authorized(
        &get_bearer(&srv, "/rest/V1/products"),
        "mod_fcgid, no passthrough",
    );
    assert_eq!(server_vars(&srv)["sapi"], "cgi-fcgi");
    s.file("pub/.htaccess", web::minimal_htaccess(true));
    assert_ok(
        &get_bearer(&srv, "/rest/V1/products"),
        "mod_fcgid + passthrough",
    );
    drop(srv);
    s.file("pub/.htaccess", web::minimal_htaccess(false));
    a.cgi_pass_auth = true;
    let Some(srv) = a.start() else { return };
    assert_ok(
        &get_bearer(&srv, "/rest/V1/products"),
        "mod_fcgid + CGIPassAuth",
    );
}

#[test]
fn apache_basic_auth_on_rest_answers_401_basic() {
    let s = store(Some(&web::minimal_htaccess(true)));
    let mut a = Apache::new(&s.path("pub"));
    a.basic_auth_rest = true;
    let Some(srv) = a.start() else { return };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_basic_challenge(&r);
    assert_html(&r);
    assert!(r.body.contains("401 Unauthorized"), "{r:?}");
    assert_basic_credentials_reach_magento(&srv);
}

#[test]
fn apache_deny_on_rest_answers_403_html() {
    let s = store(Some(&web::minimal_htaccess(true)));
    let mut a = Apache::new(&s.path("pub"));
    a.deny_rest = true;
    let Some(srv) = a.start() else { return };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_eq!(r.status, 403, "{r:?}");
    assert_html(&r);
    assert!(r.body.contains("Forbidden"), "{r:?}");
    // Outside /rest the store still answers.
    assert_eq!(srv.get("/", &[]).status, 200);
}

#[test]
fn apache_deny_under_magento_pub_htaccess_becomes_404() {
    // pub/.htaccess has `ErrorDocument 403 /errors/404.php`; that PHP page (here its double,
    // answering 404 like Error\Processor::process404()) replaces the 403 status.
    let Some(h) = magento_pub_htaccess() else {
        return;
    };
    let s = store(Some(&h));
    let mut a = Apache::new(&s.path("pub"));
    a.deny_rest = true;
    let Some(srv) = a.start() else { return };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_eq!(r.status, 404, "{r:?}");
    assert!(r.body.contains("404 error: Page not found."), "{r:?}");
    // Basic auth is not covered by an ErrorDocument there: Apache's own 401 page.
    drop(srv);
    a.deny_rest = false;
    a.basic_auth_rest = true;
    let Some(srv) = a.start() else { return };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_eq!(r.status, 401, "{r:?}");
    assert!(r.header("WWW-Authenticate").is_some(), "{r:?}");
}

#[test]
fn apache_mod_security_blocks_an_attack_header() {
    if !web::has_mod_security2() {
        eprintln!("skipped: mod_security2 is not installed (libapache2-mod-security2)");
        return;
    }
    let s = store(Some(&web::minimal_htaccess(true)));
    let mut a = Apache::new(&s.path("pub"));
    a.waf = true;
    let Some(srv) = a.start() else { return };
    assert_ok(&get_bearer(&srv, "/rest/V1/products"), "WAF, clean request");
    let h = bearer();
    let r = srv.get(
        "/rest/V1/products",
        &[(h[0].0, h[0].1.as_str()), ("X-Lab-Attack", "1")],
    );
    assert_eq!(r.status, 403, "{r:?}");
    assert_html(&r);
    let r = get_bearer(&srv, "/rest/V1/products?q=1%27%20OR%20%271%27%3D%271");
    assert_eq!(r.status, 403, "{r:?}");
    assert!(srv.error_log().contains("1000002"), "{}", srv.error_log());
}

#[test]
fn nginx_magento_sample_passes_the_header() {
    let s = store(None);
    let Some(srv) = Nginx::new(s.root()).start() else {
        return;
    };
    assert_ok(&get_bearer(&srv, "/rest/V1/products"), "nginx.conf.sample");
    assert_ok(
        &get_bearer(&srv, "/rest/default/V1/products"),
        "nginx.conf.sample, store code",
    );
    let v = server_vars(&srv);
    assert_eq!(v["HTTP_AUTHORIZATION"], true, "{v}");
    assert_eq!(v["REDIRECT_HTTP_AUTHORIZATION"], false, "{v}");
    assert_not_authorized(&srv.get("/rest/V1/products", &[]), "no header");
    let config = std::fs::read_to_string(&srv.config).unwrap();
    assert!(config.contains("nginx.conf.sample"), "{config}");
    assert!(config.contains("upstream fastcgi_backend"), "{config}");
}

#[test]
fn nginx_basic_auth_on_rest_answers_401_basic() {
    let s = store(None);
    let mut n = Nginx::new(s.root());
    n.basic_auth_rest = true;
    let Some(srv) = n.start() else { return };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_basic_challenge(&r);
    assert!(r.body.contains("401 Authorization Required"), "{r:?}");
    assert_basic_credentials_reach_magento(&srv);
}

#[test]
fn nginx_deny_on_rest_answers_403() {
    let s = store(None);
    let mut n = Nginx::new(s.root());
    n.sample = false;
    n.deny_rest = true;
    let Some(srv) = n.start() else { return };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_eq!(r.status, 403, "{r:?}");
    assert!(r.body.contains("403 Forbidden"), "{r:?}");
}

#[test]
fn nginx_deny_under_magento_sample_becomes_404() {
    // nginx.conf.sample has `error_page 404 403 = /errors/404.php;`: a deny is served as
    // Magento's 404 page (its double here).
    let s = store(None);
    let mut n = Nginx::new(s.root());
    n.deny_rest = true;
    let Some(srv) = n.start() else { return };
    let r = get_bearer(&srv, "/rest/V1/products");
    assert_eq!(r.status, 404, "{r:?}");
    assert!(r.body.contains("404 error: Page not found."), "{r:?}");
}

#[test]
fn closed_port_refuses_the_connection() {
    let port = web::closed_port();
    let err = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    let err = web::raw_request(port, "GET", "/rest/V1/products", &[], None).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn servers_leave_no_process_behind() {
    let s = store(Some(&web::minimal_htaccess(true)));
    let Some(srv) = Apache::new(&s.path("pub")).start() else {
        return;
    };
    let dir = srv.dir.clone();
    let port = srv.port;
    drop(srv);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    // No process still runs with this server's config or its php-fpm config.
    let needle = dir.to_string_lossy().into_owned();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            assert!(!cmd.contains(&needle), "left running: {cmd}");
        }
    }
}
