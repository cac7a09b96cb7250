//! Step 6 from the web server's own configuration, as a user runs it: `m2auth diagnose
//! --server-config …` on Debian's stock Apache layout (apache2.conf, mods-enabled, conf-enabled,
//! sites-enabled written into a temp dir) and on Magento's real nginx.conf.sample (read in place
//! from ../shared/magento-reference/server, included from a test server block with
//! `set $MAGE_ROOT`). Each finding comes with its file:line; healthy setups produce none.

use std::path::{Path, PathBuf};

use crate::lab;
use crate::lab::FixtureStore;
use crate::lab::report::{RULE, SERVER_CODES, pub_store, root_of};
use serde_json::Value;

fn reference(name: &str) -> Option<String> {
    let dir = lab::reference_dir()?;
    Some(std::fs::read_to_string(dir.join("server").join(name)).unwrap())
}

/// How PHP is reached in the Debian layout.
#[derive(Clone, Copy)]
enum Php {
    /// php8.2-fpm.conf as Debian shipped it before it learnt SetEnvIfNoCase Authorization.
    FpmOld,
    /// php8.2-fpm.conf of current Debian (with `SetEnvIfNoCase ^Authorization$`).
    FpmNew,
    Module,
    /// `ProxyPassMatch` in the vhost.
    ProxyPassMatch,
}

/// Debian's /etc/apache2 in `dir`, with the vhost text given.
fn debian(dir: &Path, php: Php, vhost: &str) -> PathBuf {
    let a = dir.join("apache2");
    for sub in ["mods-enabled", "conf-enabled", "sites-enabled"] {
        std::fs::create_dir_all(a.join(sub)).unwrap();
    }
    std::fs::write(
        a.join("apache2.conf"),
        r#"# This is the main Apache server configuration file (Debian layout).
DefaultRuntimeDir ${APACHE_RUN_DIR}
PidFile ${APACHE_PID_FILE}
Timeout 300
KeepAlive On
User ${APACHE_RUN_USER}
Group ${APACHE_RUN_GROUP}
HostnameLookups Off
ErrorLog ${APACHE_LOG_DIR}/error.log
LogLevel warn

# Include module configuration:
IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf

# Include list of ports to listen on
Include ports.conf

<Directory />
	Options FollowSymLinks
	AllowOverride None
	Require all denied
</Directory>

<Directory /usr/share>
	AllowOverride None
	Require all granted
</Directory>

<Directory /var/www/>
	Options Indexes FollowSymLinks
	AllowOverride None
	Require all granted
</Directory>

AccessFileName .htaccess

<FilesMatch "^\.ht">
	Require all denied
</FilesMatch>

LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" vhost_combined

IncludeOptional conf-enabled/*.conf
IncludeOptional sites-enabled/*.conf
"#,
    )
    .unwrap();
    std::fs::write(
        a.join("ports.conf"),
        "Listen 80\n\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n",
    )
    .unwrap();
    let mut mods = vec![
        "rewrite",
        "setenvif",
        "authz_core",
        "auth_basic",
        "authn_file",
        "authz_user",
        "authz_host",
        "access_compat",
    ];
    match php {
        Php::Module => {
            std::fs::write(
                a.join("mods-enabled/php8.2.load"),
                "# Conflicts: php5\nLoadModule php_module /usr/lib/apache2/modules/libphp8.2.so\n",
            )
            .unwrap();
            std::fs::write(
                a.join("mods-enabled/php8.2.conf"),
                "<FilesMatch \".+\\.ph(?:ar|p|tml)$\">\n    SetHandler application/x-httpd-php\n</FilesMatch>\n",
            )
            .unwrap();
        }
        _ => mods.extend(["proxy", "proxy_fcgi"]),
    }
    for m in mods {
        std::fs::write(
            a.join(format!("mods-enabled/{m}.load")),
            format!("LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"),
        )
        .unwrap();
    }
    let fpm = |with_auth: bool| {
        format!(
            r#"# Redirect to local php-fpm if mod_php is not available
<IfModule !mod_php8.c>
<IfModule proxy_fcgi_module>
{}    <FilesMatch ".+\.ph(?:ar|p|tml)$">
        SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
    </FilesMatch>
    <FilesMatch ".+\.phps$">
        Require all denied
    </FilesMatch>
    <FilesMatch "^\.ph(?:ar|p|ps|tml)$">
        Require all denied
    </FilesMatch>
</IfModule>
</IfModule>
"#,
            if with_auth {
                "    # Enable http authorization headers\n    <IfModule setenvif_module>\n    SetEnvIfNoCase ^Authorization$ \"(.+)\" HTTP_AUTHORIZATION=$1\n    </IfModule>\n\n"
            } else {
                ""
            }
        )
    };
    match php {
        Php::FpmOld => std::fs::write(a.join("conf-enabled/php8.2-fpm.conf"), fpm(false)).unwrap(),
        Php::FpmNew => std::fs::write(a.join("conf-enabled/php8.2-fpm.conf"), fpm(true)).unwrap(),
        _ => {}
    }
    std::fs::write(a.join("sites-enabled/magento.conf"), vhost).unwrap();
    a
}

/// The store's vhost: `directory` goes inside its `<Directory docroot>`, `extra` inside the
/// `<VirtualHost>`.
fn vhost(docroot: &Path, directory: &str, extra: &str) -> String {
    format!(
        "<VirtualHost *:80>\n\tServerName shop.test\n\tServerAdmin webmaster@localhost\n\tDocumentRoot {d}\n\n\t<Directory {d}>\n\t\tOptions FollowSymLinks\n{directory}\t\tRequire all granted\n\t</Directory>\n{extra}\n\tErrorLog ${{APACHE_LOG_DIR}}/error.log\n\tCustomLog ${{APACHE_LOG_DIR}}/access.log combined\n</VirtualHost>\n",
        d = docroot.display()
    )
}

fn diagnose(s: &FixtureStore, extra: &[&str]) -> (Value, i32) {
    let root = s.root().to_str().unwrap().to_string();
    // --offline: shop.test is not a store to contact (diagnose sends a request with a host).
    let mut args = vec![
        "diagnose",
        "--offline",
        "--format",
        "json",
        "--root",
        root.as_str(),
    ];
    args.extend_from_slice(extra);
    let (code, doc, _) = lab::report::run_json_doc(&args, s.root());
    (doc, code)
}

fn server_findings(doc: &Value) -> Vec<&Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| SERVER_CODES.contains(&f["code"].as_str().unwrap()))
        .collect()
}

fn codes(doc: &Value) -> Vec<String> {
    server_findings(doc)
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(doc: &'a Value, code: &str) -> &'a Value {
    server_findings(doc)
        .into_iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code}: {doc:#}"))
}

fn sources(f: &Value) -> Vec<String> {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap().to_string())
        .collect()
}

/// The 1-based line of the first line containing `needle`.
fn line_of(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {}", path.display()))
        + 1
}

fn src(path: &Path, needle: &str) -> String {
    format!("file:{}:{}", path.display(), line_of(path, needle))
}

#[test]
fn debian_php_fpm_without_passthrough_strips_the_header() {
    let Some(pub_htaccess) = reference("pub.htaccess") else {
        return;
    };
    let s = pub_store(Some(&pub_htaccess));
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    // Stock Debian: <Directory /var/www/> AllowOverride None, the store elsewhere with no
    // AllowOverride of its own: Apache 2.4's default None, the .htaccess rule never runs.
    // Nothing else (FallbackResource, a vhost RewriteRule) routes /rest to index.php: Apache's
    // own 404 for every REST URL, the root cause before the header question.
    let a = debian(tmp.path(), Php::FpmOld, &vhost(&docroot, "", ""));
    let (doc, code) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["root_cause"], "apache-htaccess-ignored", "{doc:#}");
    let f = finding(&doc, "apache-fcgi-strips-authorization");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["step"], 6);
    let fpm = a.join("conf-enabled/php8.2-fpm.conf");
    let site = a.join("sites-enabled/magento.conf");
    let ev = sources(f);
    assert!(ev.contains(&src(&fpm, "SetHandler")), "{ev:?}");
    assert!(ev.contains(&src(&site, "<VirtualHost")), "{ev:?}");
    // The fix names the exact line and where it goes.
    let fix = &f["fix"];
    assert!(
        fix["commands"]
            .as_array()
            .unwrap()
            .contains(&Value::from("CGIPassAuth On")),
        "{fix}"
    );
    assert!(
        fix["summary"].as_str().unwrap().contains(&format!(
            "{}:{}",
            site.display(),
            line_of(&site, "<Directory")
        )),
        "{fix}"
    );
    let ignored = finding(&doc, "apache-htaccess-ignored");
    assert_eq!(ignored["severity"], "error");
    assert!(
        ignored["fix"]["commands"]
            .to_string()
            .contains("AllowOverride All"),
        "{ignored}"
    );
    // With FallbackResource routing REST to index.php it is only a warning: the header is the
    // cause.
    std::fs::write(
        &site,
        vhost(&docroot, "\t\tFallbackResource /index.php\n", ""),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert_eq!(
        doc["root_cause"], "apache-fcgi-strips-authorization",
        "{doc:#}"
    );
    assert_eq!(
        finding(&doc, "apache-htaccess-ignored")["severity"],
        "warning"
    );

    // AllowOverride None said in the vhost's own <Directory>: that line is the evidence.
    std::fs::write(&site, vhost(&docroot, "\t\tAllowOverride None\n", "")).unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    let ev = sources(finding(&doc, "apache-htaccess-ignored"));
    assert!(ev.contains(&src(&site, "AllowOverride None")), "{ev:?}");
    // Too narrow (no FileInfo) is the same.
    std::fs::write(
        &site,
        vhost(&docroot, "\t\tAllowOverride AuthConfig Limit\n", ""),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert!(codes(&doc).contains(&"apache-fcgi-strips-authorization".into()));

    // AllowOverride All with the stock .htaccess: the rule runs, nothing to say.
    std::fs::write(&site, vhost(&docroot, "\t\tAllowOverride All\n", "")).unwrap();
    let (doc, code) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
    // … but with the rule commented out, it strips again, and the .htaccess line is evidence.
    s.file(
        "pub/.htaccess",
        pub_htaccess.replace(RULE, &format!("#{RULE}")),
    );
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    let ev = sources(finding(&doc, "apache-fcgi-strips-authorization"));
    let rule_line = pub_htaccess.lines().position(|l| l == RULE).unwrap() + 1;
    assert!(
        // Files under the store root are named relative to it, as every finding does.
        ev.contains(&format!("file:pub/.htaccess:{rule_line}")),
        "{ev:?}"
    );
    s.file("pub/.htaccess", pub_htaccess.as_str());

    // CGIPassAuth On in the vhost: healthy, even with AllowOverride None when FallbackResource
    // routes REST URLs to index.php.
    std::fs::write(
        &site,
        vhost(
            &docroot,
            "\t\tAllowOverride None\n\t\tCGIPassAuth On\n\t\tFallbackResource /index.php\n",
            "",
        ),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
    assert_eq!(code, 0);
    // SetEnvIf in the vhost: healthy too.
    std::fs::write(
        &site,
        vhost(
            &docroot,
            "\t\tAllowOverride All\n",
            "\tSetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1\n",
        ),
    )
    .unwrap();
    s.file("pub/.htaccess", pub_htaccess.replace(RULE, ""));
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
    // The vhost passes the header: the .htaccess rule is not needed, so its absence is no
    // finding either (it is, without the server configuration).
    let all = doc["findings"].to_string();
    assert!(
        !all.contains("htaccess-auth-passthrough-missing"),
        "{doc:#}"
    );
    let (doc, _) = diagnose(&s, &[]);
    assert!(
        doc["findings"]
            .to_string()
            .contains("htaccess-auth-passthrough-missing"),
        "{doc:#}"
    );
}

#[test]
fn current_debian_php_fpm_and_mod_php_pass_the_header() {
    let Some(pub_htaccess) = reference("pub.htaccess") else {
        return;
    };
    // Current Debian's php-fpm conf carries SetEnvIfNoCase ^Authorization$: healthy even with
    // AllowOverride None (FallbackResource routing).
    let s = pub_store(Some(&pub_htaccess.replace(RULE, "")));
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let a = debian(
        tmp.path(),
        Php::FpmNew,
        &vhost(&docroot, "\t\tFallbackResource /index.php\n", ""),
    );
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert!(codes(&doc).is_empty(), "{doc:#}");

    // mod_php never strips, whatever the .htaccess says.
    let tmp = tempfile::tempdir().unwrap();
    let a = debian(
        tmp.path(),
        Php::Module,
        &vhost(&docroot, "\t\tAllowOverride All\n", ""),
    );
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
    // info names the vhost and the hand-off.
    let root = s.root().to_str().unwrap();
    let out = lab::m2auth(
        &[
            "info",
            "--format",
            "json",
            "--root",
            root,
            "--server-config",
            a.to_str().unwrap(),
        ],
        s.root(),
    );
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    let serving = &info["web_server"]["serving"][0];
    let site = a.join("sites-enabled/magento.conf");
    assert_eq!(serving["kind"], "apache");
    assert_eq!(serving["at"], format!("{}:1", site.display()));
    assert_eq!(serving["php"], "mod_php");
    assert_eq!(
        info["web_server"]["configs"][0]["main"],
        a.join("apache2.conf").display().to_string()
    );
}

#[test]
fn the_vhost_the_request_reaches_is_judged() {
    let Some(pub_htaccess) = reference("pub.htaccess") else {
        return;
    };
    let s = pub_store(Some(&pub_htaccess));
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    // Two vhosts serve the store: :80 fine, :443 (TLS) denies /rest. Without a request the TLS
    // one is judged (REST clients use https); a request names its own.
    let both = format!(
        "{}\n<VirtualHost *:443>\n\tServerName shop.test\n\tDocumentRoot {d}\n\tSSLEngine on\n\t<Directory {d}>\n\t\tAllowOverride All\n\t\tRequire all granted\n\t</Directory>\n\t<Location /rest>\n\t\tRequire all denied\n\t</Location>\n</VirtualHost>\n",
        vhost(&docroot, "\t\tAllowOverride All\n", ""),
        d = docroot.display()
    );
    let a = debian(tmp.path(), Php::FpmOld, &both);
    let cfg = a.to_str().unwrap().to_string();
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert_eq!(codes(&doc), vec!["server-denies-path"], "{doc:#}");
    let (doc, _) = diagnose(
        &s,
        &[
            "--server-config",
            &cfg,
            "--request",
            "GET http://shop.test/rest/V1/products",
        ],
    );
    assert!(codes(&doc).is_empty(), "{doc:#}");
    let (doc, _) = diagnose(
        &s,
        &[
            "--server-config",
            &cfg,
            "--request",
            "GET https://shop.test/rest/V1/products",
        ],
    );
    assert_eq!(codes(&doc), vec!["server-denies-path"], "{doc:#}");
}

#[test]
fn a_directory_of_loose_files_is_one_configuration() {
    // `--server-config /etc/apache2/sites-enabled` style: no LoadModule known, so every
    // <IfModule> is taken as holding; a directory's files are one configuration. Here one folder
    // holds the php-fpm conf and the vhost. (A partial configuration does not show the
    // server-wide AllowOverride: the .htaccess is taken as read, so here it lacks the rule.)
    let Some(pub_htaccess) = reference("pub.htaccess") else {
        return;
    };
    let s = pub_store(Some(&pub_htaccess.replace(RULE, "")));
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let a = debian(tmp.path(), Php::FpmOld, &vhost(&docroot, "", ""));
    let loose = tmp.path().join("loose");
    std::fs::create_dir_all(&loose).unwrap();
    std::fs::copy(
        a.join("conf-enabled/php8.2-fpm.conf"),
        loose.join("php8.2-fpm.conf"),
    )
    .unwrap();
    std::fs::copy(
        a.join("sites-enabled/magento.conf"),
        loose.join("zz-magento.conf"),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", loose.to_str().unwrap()]);
    let f = finding(&doc, "apache-fcgi-strips-authorization");
    assert!(
        sources(f).contains(&src(&loose.join("php8.2-fpm.conf"), "SetHandler")),
        "{f}"
    );
    // The vhost alone: how PHP is reached is unknown, said as a skip, no finding.
    let (doc, code) = diagnose(
        &s,
        &[
            "--server-config",
            loose.join("zz-magento.conf").to_str().unwrap(),
        ],
    );
    assert!(codes(&doc).is_empty(), "{doc:#}");
    assert!(
        doc["skipped"]
            .to_string()
            .contains("how Apache hands PHP requests over"),
        "{doc:#}"
    );
    assert_ne!(code, 2);
}

#[test]
fn proxypassmatch_needs_a_vhost_passthrough() {
    let Some(pub_htaccess) = reference("pub.htaccess") else {
        return;
    };
    // The .htaccess rule does not reach requests ProxyPassMatch hands to PHP-FPM.
    let s = pub_store(Some(&pub_htaccess));
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let ppm = format!(
        "\tProxyPassMatch ^/(.*\\.php(/.*)?)$ fcgi://127.0.0.1:9000{}/$1\n",
        docroot.display()
    );
    let a = debian(
        tmp.path(),
        Php::ProxyPassMatch,
        &vhost(&docroot, "\t\tAllowOverride All\n", &ppm),
    );
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    let f = finding(&doc, "apache-fcgi-strips-authorization");
    let site = a.join("sites-enabled/magento.conf");
    assert!(sources(f).contains(&src(&site, "ProxyPassMatch")), "{f}");
    assert!(
        f["fix"]["commands"][0]
            .as_str()
            .unwrap()
            .starts_with("SetEnvIf Authorization"),
        "{f}"
    );
    let with = format!("{ppm}\tSetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1\n");
    std::fs::write(&site, vhost(&docroot, "\t\tAllowOverride All\n", &with)).unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
}

#[test]
fn apache_access_rules_on_rest() {
    let Some(pub_htaccess) = reference("pub.htaccess") else {
        return;
    };
    let s = pub_store(Some(&pub_htaccess));
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let dir = "\t\tAllowOverride All\n";
    let a = debian(tmp.path(), Php::FpmOld, &vhost(&docroot, dir, ""));
    let site = a.join("sites-enabled/magento.conf");
    let cfg = a.to_str().unwrap().to_string();

    // Basic auth on /rest.
    std::fs::write(
        &site,
        vhost(&docroot, dir, "\t<Location /rest>\n\t\tAuthType Basic\n\t\tAuthName \"Staging\"\n\t\tAuthUserFile /etc/apache2/.htpasswd\n\t\tRequire valid-user\n\t</Location>\n"),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &["--server-config", &cfg]);
    assert_eq!(code, 1);
    assert_eq!(doc["root_cause"], "basic-auth-in-front", "{doc:#}");
    let f = finding(&doc, "basic-auth-in-front");
    let ev = sources(f);
    assert!(ev.contains(&src(&site, "AuthType Basic")), "{ev:?}");
    assert!(ev.contains(&src(&site, "Require valid-user")), "{ev:?}");
    // Basic auth sits on <Location /rest> itself: the advice is to remove it there, naming the
    // section and its lines (no exemption block, which would re-grant what it removes).
    let summary = f["fix"]["summary"].as_str().unwrap();
    let lines = [
        "AuthType Basic",
        "AuthName",
        "AuthUserFile",
        "Require valid-user",
    ]
    .iter()
    .map(|n| line_of(&site, n).to_string())
    .collect::<Vec<_>>()
    .join(", ");
    assert!(
        summary.starts_with(&format!(
            "Remove AuthType/AuthName/AuthUserFile/Require valid-user from <Location /rest> at {}:{} (lines {lines})",
            site.display(),
            line_of(&site, "<Location /rest>")
        )),
        "{f}"
    );
    assert!(
        !f["detail"]
            .as_str()
            .unwrap()
            .contains("exemption does not help"),
        "{f}"
    );
    // The same on the whole site, with /rest exempted: fine.
    std::fs::write(
        &site,
        vhost(&docroot, "\t\tAllowOverride All\n\t\tAuthType Basic\n\t\tAuthName x\n\t\tAuthUserFile /etc/apache2/.htpasswd\n\t\tRequire valid-user\n", "\t<Location /rest>\n\t\tRequire all granted\n\t</Location>\n"),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(codes(&doc).is_empty(), "{doc:#}");

    // Require ip without loopback: denied (for a client on this machine).
    std::fs::write(
        &site,
        vhost(&docroot, dir, "\t<LocationMatch \"^/(index\\.php/)?rest/\">\n\t\tRequire ip 10.0.0.0/8 192.168.1.5\n\t</LocationMatch>\n"),
    )
    .unwrap();
    // Without a request the client's address is unknown: a warning, not the cause.
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    let f = finding(&doc, "server-denies-path");
    assert_eq!(f["severity"], "warning");
    assert!(sources(f).contains(&src(&site, "Require ip")), "{f}");
    assert!(f["detail"].as_str().unwrap().contains("127.0.0.1"), "{f}");
    // A request to this machine: its client is local, refused: an error.
    let (doc, _) = diagnose(
        &s,
        &[
            "--server-config",
            &cfg,
            "--request",
            "GET http://127.0.0.1/rest/V1/products",
        ],
    );
    assert_eq!(finding(&doc, "server-denies-path")["severity"], "error");
    // With --request the request's own path is judged: /rest/… is denied, another path not.
    let (doc, _) = diagnose(
        &s,
        &["--server-config", &cfg, "--request", "GET /V1/products"],
    );
    assert!(codes(&doc).contains(&"server-denies-path".into()));
    // Loopback allowed: fine.
    std::fs::write(
        &site,
        vhost(
            &docroot,
            dir,
            "\t<Location /rest>\n\t\tRequire ip 127.0.0.1 10.0.0.0/8\n\t</Location>\n",
        ),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
    // Require all denied / Apache 2.2 Deny from all.
    std::fs::write(
        &site,
        vhost(
            &docroot,
            dir,
            "\t<Location /rest>\n\t\tRequire all denied\n\t</Location>\n",
        ),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(
        sources(finding(&doc, "server-denies-path")).contains(&src(&site, "Require all denied"))
    );
    std::fs::write(
        &site,
        vhost(
            &docroot,
            "\t\tAllowOverride All\n",
            "\t<Location /rest>\n\t\tOrder deny,allow\n\t\tDeny from all\n\t</Location>\n",
        ),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(
        sources(finding(&doc, "server-denies-path")).contains(&src(&site, "Deny from all")),
        "{doc:#}"
    );
}

#[test]
fn broken_and_missing_configuration_is_skipped_not_fatal() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let a = debian(tmp.path(), Php::FpmOld, &vhost(&docroot, "", ""));
    // An unbalanced section in an included file: that file is skipped with file:line.
    let bad = a.join("sites-enabled/broken.conf");
    std::fs::write(&bad, "<VirtualHost *:8080>\n\tDocumentRoot /srv/x\n").unwrap();
    // A file over the size cap (4 MiB): not read.
    let big = a.join("conf-enabled/huge.conf");
    std::fs::write(&big, "#".repeat(5 * 1024 * 1024)).unwrap();
    // An include cycle.
    std::fs::write(
        a.join("conf-enabled/loop.conf"),
        format!("Include {}\n", a.join("conf-enabled/loop.conf").display()),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &["--server-config", a.to_str().unwrap()]);
    assert_ne!(code, 2, "{doc:#}");
    let skipped = lab::report::server_config_skips(&doc);
    assert!(
        skipped
            .iter()
            .any(|r| r.starts_with(&format!("{}:1: ", bad.display()))),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|r| r.contains("include cycle")),
        "{skipped:?}"
    );
    // The good files were still analysed.
    assert!(
        codes(&doc).contains(&"apache-fcgi-strips-authorization".into()),
        "{doc:#}"
    );

    // A config that serves another root: skipped with the reason.
    let other = tempfile::tempdir().unwrap();
    let a2 = debian(
        other.path(),
        Php::FpmOld,
        &vhost(Path::new("/srv/elsewhere"), "", ""),
    );
    let (doc, _) = diagnose(&s, &["--server-config", a2.to_str().unwrap()]);
    assert!(
        doc["skipped"].to_string().contains("has the store"),
        "{doc:#}"
    );

    // --server-config naming nothing: a usage error (exit 2, one line).
    let out = lab::m2auth(
        &[
            "diagnose",
            "--root",
            s.root().to_str().unwrap(),
            "--server-config",
            "/nonexistent/apache2.conf",
        ],
        s.root(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/apache2.conf") && err.lines().count() == 1,
        "{err}"
    );
}

/// /etc/nginx in `dir` ([`lab::web::debian_nginx`]).
fn nginx(
    dir: &Path,
    root: &Path,
    sample: &Path,
    server_extra: &str,
    params_extra: &str,
) -> PathBuf {
    lab::web::debian_nginx(dir, root, sample, server_extra, params_extra)
}

#[test]
fn magento_nginx_sample_is_healthy_and_edits_are_caught() {
    let Some(reference) = lab::reference_dir() else {
        return;
    };
    let sample = reference.join("server/nginx.conf.sample");
    let s = pub_store(None);
    let root = root_of(&s);
    let tmp = tempfile::tempdir().unwrap();
    let conf = nginx(tmp.path(), &root, &sample, "", "");
    let cfg = conf.to_str().unwrap().to_string();
    let (doc, code) = diagnose(&s, &["--server-config", &cfg]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
    assert!(
        !doc["skipped"].to_string().contains("server-config"),
        "the sample was not fully understood: {doc:#}"
    );
    for req in [
        "GET /rest/default/V1/products",
        "GET /index.php/rest/V1/products",
        "POST /V1/integration/admin/token",
    ] {
        let (doc, _) = diagnose(&s, &["--server-config", &cfg, "--request", req]);
        assert!(codes(&doc).is_empty(), "{req}: {doc:#}");
    }
    // info: the server block, by file:line.
    let out = lab::m2auth(
        &[
            "info",
            "--format",
            "json",
            "--root",
            s.root().to_str().unwrap(),
            "--server-config",
            &cfg,
        ],
        s.root(),
    );
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    let site = conf.parent().unwrap().join("sites-enabled/magento");
    assert_eq!(
        info["web_server"]["serving"][0]["at"],
        format!("{}:5", site.display())
    );
    assert_eq!(
        info["web_server"]["serving"][0]["document_root"],
        format!("{}/pub", root.display())
    );

    // Basic auth at server level: inherited into the PHP location.
    let conf = nginx(
        tmp.path(),
        &root,
        &sample,
        "    auth_basic \"Staging\";\n    auth_basic_user_file /etc/nginx/.htpasswd;\n",
        "",
    );
    let (doc, code) = diagnose(&s, &["--server-config", &cfg]);
    assert_eq!(code, 1);
    let f = finding(&doc, "basic-auth-in-front");
    assert!(
        sources(f).contains(&src(&site, "auth_basic \"Staging\"")),
        "{f}"
    );
    assert!(
        f["fix"]["commands"][0]
            .as_str()
            .unwrap()
            .starts_with("map $request_uri"),
        "{f}"
    );
    // auth_basic off for /rest/ alone does not help: PHP runs in the PHP location.
    let _ = nginx(
        tmp.path(),
        &root,
        &sample,
        "    auth_basic \"Staging\";\n    location /rest/ {\n        auth_basic off;\n        try_files $uri $uri/ /index.php$is_args$args;\n    }\n",
        "",
    );
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(
        codes(&doc).contains(&"basic-auth-in-front".into()),
        "{doc:#}"
    );
    // The map fix: nothing.
    let _ = nginx(
        tmp.path(),
        &root,
        &sample,
        "    auth_basic $m2auth_basic_realm;\n",
        "",
    );
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(
        !codes(&doc).contains(&"basic-auth-in-front".into()),
        "{doc:#}"
    );

    // deny in the location /rest lands in.
    let _ = nginx(
        tmp.path(),
        &root,
        &sample,
        "    location /rest/ {\n        allow 10.0.0.0/8;\n        deny all;\n    }\n",
        "",
    );
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    let f = finding(&doc, "server-denies-path");
    assert!(sources(f).contains(&src(&site, "deny all")), "{f}");
    assert!(f["detail"].as_str().unwrap().contains("127.0.0.1"));
    let _ = nginx(
        tmp.path(),
        &root,
        &sample,
        "    location ^~ /rest {\n        return 403;\n    }\n",
        "",
    );
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(sources(finding(&doc, "server-denies-path")).contains(&src(&site, "return 403")));
    // Loopback allowed first: fine.
    let _ = nginx(
        tmp.path(),
        &root,
        &sample,
        "    location /rest/ {\n        allow 127.0.0.1;\n        deny all;\n        try_files $uri $uri/ /index.php$is_args$args;\n    }\n",
        "",
    );
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    assert!(codes(&doc).is_empty(), "{doc:#}");

    // Headers kept from PHP: fastcgi_pass_request_headers off at server level is inherited by
    // the sample's PHP location.
    let _ = nginx(
        tmp.path(),
        &root,
        &sample,
        "    fastcgi_pass_request_headers off;\n",
        "",
    );
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    let f = finding(&doc, "auth-header-stripped");
    assert_eq!(f["step"], 3);
    assert!(
        sources(f).contains(&src(&site, "fastcgi_pass_request_headers off")),
        "{f}"
    );
    // An emptied HTTP_AUTHORIZATION in fastcgi_params (included by the PHP location).
    let _ = nginx(
        tmp.path(),
        &root,
        &sample,
        "",
        "fastcgi_param  HTTP_AUTHORIZATION \"\";\n",
    );
    let (doc, _) = diagnose(&s, &["--server-config", &cfg]);
    let params = conf.parent().unwrap().join("fastcgi_params");
    assert!(
        sources(finding(&doc, "auth-header-stripped"))
            .contains(&src(&params, "HTTP_AUTHORIZATION")),
        "{doc:#}"
    );
}

#[test]
fn mod_fastcgi_needs_pass_header() {
    let s = pub_store(Some("# no rules\n"));
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("httpd.conf");
    let write = |pass: &str| {
        std::fs::write(
            &conf,
            format!(
                "LoadModule fastcgi_module modules/mod_fastcgi.so\nLoadModule actions_module modules/mod_actions.so\n<IfModule mod_fastcgi.c>\n    AddHandler php-fcgi .php\n    Action php-fcgi /php-fcgi\n    Alias /php-fcgi /usr/lib/cgi-bin/php-fcgi\n    FastCgiExternalServer /usr/lib/cgi-bin/php-fcgi -socket /run/php/php-fpm.sock{pass} -idle-timeout 60\n</IfModule>\n<VirtualHost *:80>\n    DocumentRoot {d}\n    <Directory {d}>\n        AllowOverride All\n        FallbackResource /index.php\n        Require all granted\n    </Directory>\n</VirtualHost>\n",
                d = docroot.display()
            ),
        )
        .unwrap();
    };
    write("");
    let (doc, _) = diagnose(&s, &["--server-config", conf.to_str().unwrap()]);
    let f = finding(&doc, "apache-fcgi-strips-authorization");
    assert!(
        sources(f).contains(&src(&conf, "FastCgiExternalServer")),
        "{f}"
    );
    write(" -pass-header Authorization");
    let (doc, _) = diagnose(&s, &["--server-config", conf.to_str().unwrap()]);
    assert!(codes(&doc).is_empty(), "{doc:#}");
}
