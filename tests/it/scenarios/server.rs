//! Step 6, server rules, from the store's own files and the web server's configuration
//! (`--server-config`): Magento's real pub/.htaccess and nginx.conf.sample (from
//! ../shared/magento-reference/server) with one edit each, and the stock files as the healthy
//! case. The running-server side of step 6 is tests/it/web_lab.rs and tests/it/live.rs.

use super::{NOW, store};
use crate::lab;
use crate::lab::report::RULE;
use crate::lab::scenario::{Outcome, Scenario, jwt};

/// A scenario store served from pub/ with Magento's stock pub/.htaccess.
pub(super) fn web_store() -> Option<Scenario> {
    let htaccess = lab::report::magento_pub_htaccess()?;
    let s = store()?;
    s.file("pub/index.php", "<?php\n")
        .file("pub/.htaccess", &htaccess);
    Some(s)
}

/// An /etc/nginx under the store's `.etc/nginx/` whose server block serves the store and
/// includes Magento's real nginx.conf.sample in place, with `server_extra` in the server block
/// and `params_extra` appended to fastcgi_params; returns nginx.conf's path.
pub(super) fn nginx(s: &Scenario, server_extra: &str, params_extra: &str) -> String {
    let sample = lab::reference_dir()
        .expect("reference")
        .join("server/nginx.conf.sample");
    let root = s.root().canonicalize().unwrap();
    lab::web::debian_nginx(
        &root.join(".etc"),
        &root,
        &sample,
        server_extra,
        params_extra,
    )
    .display()
    .to_string()
}

/// A one-file Apache configuration (httpd.conf under the store's `.etc/`) serving pub/ with
/// `modules` (LoadModule lines and their settings) and `directory` inside `<Directory pub>`.
fn apache(s: &Scenario, modules: &str, directory: &str) -> String {
    let root = s.root().canonicalize().unwrap();
    let conf = root.join(".etc/httpd.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(
        &conf,
        format!(
            "LoadModule rewrite_module modules/mod_rewrite.so\n{modules}<VirtualHost *:80>\n    DocumentRoot {d}\n    <Directory {d}>\n{directory}        Require all granted\n    </Directory>\n</VirtualHost>\n",
            d = root.join("pub").display()
        ),
    )
    .unwrap();
    conf.to_str().unwrap().to_string()
}

const MOD_PHP: &str = "LoadModule php_module /usr/lib/apache2/modules/libphp8.2.so\n<FilesMatch \".+\\.ph(?:ar|p|tml)$\">\n    SetHandler application/x-httpd-php\n</FilesMatch>\n";

/// `GET /V1/products` as admin 1 (a valid JWT), through the server configuration `conf`.
fn with_config(s: &Scenario, conf: &str) -> Outcome {
    let token = jwt(1, 2, NOW - 600, NOW + 3000);
    s.diagnose(&[
        "--request",
        "GET /V1/products",
        "--token",
        &token,
        "--server-config",
        conf,
    ])
}

#[test]
fn healthy_server_rules_have_no_step_6_finding() {
    let Some(s) = web_store() else { return };
    // The store's own .htaccess only.
    s.diagnose(&["--request", "GET /V1/products"])
        .expect_none_of_step(6);
    // Magento's nginx sample as shipped.
    let conf = nginx(&s, "", "");
    with_config(&s, &conf).expect_none_of_step(6);
    // Apache with mod_php and AllowOverride All: the .htaccess rule runs.
    let conf = apache(&s, MOD_PHP, "        AllowOverride All\n");
    with_config(&s, &conf).expect_none_of_step(6);
}

#[test]
fn htaccess_auth_passthrough_missing() {
    let Some(s) = web_store() else { return };
    let htaccess = lab::report::magento_pub_htaccess().unwrap();
    assert!(
        htaccess.contains(RULE),
        "the reference pub/.htaccess changed"
    );
    s.file("pub/.htaccess", &htaccess.replace(RULE, ""));
    s.diagnose(&["--request", "GET /V1/products"])
        .expect_code("htaccess-auth-passthrough-missing");
}

#[test]
fn apache_htaccess_ignored() {
    let Some(s) = web_store() else { return };
    let conf = apache(&s, MOD_PHP, "        AllowOverride None\n");
    with_config(&s, &conf)
        .expect_root_cause("apache-htaccess-ignored")
        .expect_exit(1);
}

#[test]
fn apache_fcgi_strips_authorization() {
    let Some(s) = web_store() else { return };
    // mod_fastcgi without -pass-header Authorization, the vhost routing by FallbackResource
    // (pub/.htaccess holds no rule).
    s.file("pub/.htaccess", "# no rules\n");
    let root = s.root().canonicalize().unwrap();
    let conf = root.join(".etc/httpd.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(
        &conf,
        format!(
            "LoadModule fastcgi_module modules/mod_fastcgi.so\nLoadModule actions_module modules/mod_actions.so\n<IfModule mod_fastcgi.c>\n    AddHandler php-fcgi .php\n    Action php-fcgi /php-fcgi\n    Alias /php-fcgi /usr/lib/cgi-bin/php-fcgi\n    FastCgiExternalServer /usr/lib/cgi-bin/php-fcgi -socket /run/php/php-fpm.sock -idle-timeout 60\n</IfModule>\n<VirtualHost *:80>\n    DocumentRoot {d}\n    <Directory {d}>\n        AllowOverride All\n        FallbackResource /index.php\n        Require all granted\n    </Directory>\n</VirtualHost>\n",
            d = root.join("pub").display()
        ),
    )
    .unwrap();
    let conf = conf.to_str().unwrap().to_string();
    with_config(&s, &conf)
        .expect_code("apache-fcgi-strips-authorization")
        .expect_severity("apache-fcgi-strips-authorization", "error");
}

#[test]
fn server_denies_path() {
    let Some(s) = web_store() else { return };
    let conf = nginx(
        &s,
        "    location /rest/ {\n        allow 10.0.0.0/8;\n        deny all;\n    }\n",
        "",
    );
    with_config(&s, &conf)
        .expect_root_cause("server-denies-path")
        .expect_exit(1);
}
