//! Web-server configuration from an untrusted or unusual system: nothing in it may crash m2auth
//! (deep nesting, malformed variables, CRLF files, huge includes), and what is read is judged as
//! the real server would (relative includes, symlinked document roots, old access rules…).
//! Each test runs `m2auth diagnose --server-config …` as a user does.

use std::path::Path;

use crate::lab;
use crate::lab::FixtureStore;
use crate::lab::report::{self, codes, pub_store, root_of};
use serde_json::Value;

fn run(s: &FixtureStore, args: &[&str]) -> (Value, i32, String) {
    let root = s.root().to_str().unwrap().to_string();
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--root", root.as_str()]);
    let (code, doc, err) = report::run_json_doc(&all, s.root());
    (doc, code, err)
}

fn diagnose(s: &FixtureStore, config: &Path) -> (Value, i32) {
    let (doc, code, _) = run(
        s,
        &["diagnose", "--server-config", config.to_str().unwrap()],
    );
    (doc, code)
}

fn skipped(doc: &Value) -> Vec<String> {
    report::server_config_skips(doc)
}

/// An nginx server block for the store, PHP through FastCGI with the header passed.
fn nginx_server(docroot: &Path, root_line: &str, php_extra: &str) -> String {
    format!(
        "server {{\n    listen 80;\n    server_name shop.test;\n    {root_line}\n    location / {{ try_files $uri $uri/ /index.php$is_args$args; }}\n    location ~ \\.php$ {{\n        fastcgi_pass 127.0.0.1:9000;\n{php_extra}        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n    }}\n}}\n# docroot {}\n",
        docroot.display()
    )
}

#[test]
fn malformed_nginx_variable_is_kept_as_written() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("nginx.conf");
    // `${x` never closed: nginx itself refuses it; m2auth must not panic on it.
    std::fs::write(
        &conf,
        format!(
            "http {{\n{}{}}}\n",
            nginx_server(&docroot, "root \"/srv/${x\";", ""),
            nginx_server(&docroot, &format!("root {};", docroot.display()), "")
        ),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &conf);
    assert!(code == 0 || code == 1, "exit {code}: {doc:#}");
}

#[test]
fn deep_nesting_is_skipped_with_its_line_not_a_crash() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    // 5,000 nested nginx locations (the parser recursed until the stack overflowed: exit 134).
    let ng = tmp.path().join("deep-nginx.conf");
    std::fs::write(
        &ng,
        format!(
            "http {{\nserver {{\n root {};\n{}{}}}\n}}\n",
            docroot.display(),
            "location / {\n".repeat(5000),
            "}\n".repeat(5000)
        ),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &ng);
    assert!(code == 0 || code == 1, "exit {code}");
    let sk = skipped(&doc);
    assert!(
        sk.iter()
            .any(|r| r.starts_with(&format!("{}:", ng.display())) && r.contains("nested deeper")),
        "{sk:?}"
    );
    // 150,000 nested <IfModule> in an included Apache file: that file is skipped with its line,
    // the rest is still read.
    let a = tmp.path().join("apache");
    std::fs::create_dir_all(&a).unwrap();
    let deep = a.join("deep.conf");
    std::fs::write(
        &deep,
        format!(
            "{}{}",
            "<IfModule x>\n".repeat(150_000),
            "</IfModule>\n".repeat(150_000)
        ),
    )
    .unwrap();
    std::fs::write(
        a.join("apache2.conf"),
        format!(
            "ServerRoot {}\nInclude deep.conf\n<VirtualHost *:80>\n DocumentRoot {}\n</VirtualHost>\n",
            a.display(),
            docroot.display()
        ),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &a.join("apache2.conf"));
    assert!(code == 0 || code == 1, "exit {code}");
    let sk = skipped(&doc);
    assert!(
        sk.iter()
            .any(|r| r.starts_with(&format!("{}:65: ", deep.display()))),
        "{sk:?}"
    );

    // Commands that do not need the server configuration refuse it (exit 2), never read it.
    let out = crate::lab::m2auth(
        &[
            "token:inspect",
            "eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9.c2ln",
            "--server-config",
            ng.to_str().unwrap(),
            "--root",
            s.root().to_str().unwrap(),
        ],
        s.root(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("token:inspect does not take --server-config"),
        "{err}"
    );
}

#[test]
fn only_commands_that_judge_the_server_read_its_configuration() {
    use m2auth::store::server::Sources;
    let s = pub_store(None);
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("nginx.conf");
    std::fs::write(&conf, "http { server { root /srv/x; } }\n").unwrap();
    let ctx = report::context(&s, Sources::Given(vec![conf.clone()]));
    assert!(!ctx.server_read());
    let _ = m2auth::checks::diagnose(&ctx);
    assert!(ctx.server_read());
    assert_eq!(ctx.server().configs.len(), 1);
}

#[test]
fn total_bytes_are_capped_and_size_skips_collapsed() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path();
    // Just under the 4 MiB file cap, included ten times (and once more under another name):
    // before, every copy was parsed (GBs of memory); now the load stops at 16 MiB in all.
    let big = a.join("big.conf");
    std::fs::write(&big, format!("{}\n", "#".repeat(4 * 1024 * 1024 - 16))).unwrap();
    for i in 0..10 {
        std::fs::copy(&big, a.join(format!("big{i}.conf"))).unwrap();
    }
    std::fs::write(
        a.join("apache2.conf"),
        format!(
            "ServerRoot {}\nInclude big*.conf\n<VirtualHost *:80>\n DocumentRoot {}\n</VirtualHost>\n",
            a.display(),
            docroot.display()
        ),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &a.join("apache2.conf"));
    assert!(code == 0 || code == 1, "exit {code}");
    let sk = skipped(&doc);
    let capped: Vec<&String> = sk.iter().filter(|r| r.contains("size cap")).collect();
    assert_eq!(capped.len(), 1, "{sk:?}");
    // 11 files of ~4 MiB after apache2.conf: 3 fit in 16 MiB, 8 are skipped, as one entry.
    assert!(capped[0].contains("and 7 more file(s)"), "{sk:?}");
    // The vhost after the includes was still read.
    assert!(
        !doc["skipped"].to_string().contains("has the store"),
        "{doc:#}"
    );
}

#[test]
fn relative_includes_of_a_file_given_alone_resolve_as_the_server_does() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    // A copy of /etc/apache2: the vhost includes `snippets/php-fpm.conf`, relative to the
    // ServerRoot (the directory of apache2.conf), not to sites-enabled/.
    let deb = tmp.path().join("apache2");
    let vhost = format!(
        "<VirtualHost *:80>\n    DocumentRoot {d}\n    <Directory {d}>\n        AllowOverride All\n        Require all granted\n    </Directory>\n    Include snippets/php-fpm.conf\n</VirtualHost>\n",
        d = docroot.display()
    );
    report::write_tree(
        &deb,
        &[
            ("apache2.conf", "Timeout 300\n"),
            (
                "snippets/php-fpm.conf",
                "<FilesMatch \".+\\.php$\">\n    SetHandler \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"\n</FilesMatch>\n",
            ),
            ("sites-enabled/magento.conf", &vhost),
        ],
    );
    // The include was found, and what it says is judged.
    let assert_resolved = |site: &Path, code: &str| {
        let (doc, _) = diagnose(&s, site);
        let sk = skipped(&doc);
        assert!(sk.iter().all(|r| !r.contains("no such file")), "{sk:?}");
        assert!(codes(&doc).contains(&code.to_string()), "{doc:#}");
    };
    // The included SetHandler was read: the FastCGI hand-off without passthrough is named.
    assert_resolved(
        &deb.join("sites-enabled/magento.conf"),
        "apache-fcgi-strips-authorization",
    );

    // nginx: `include snippets/fastcgi-php.conf;` in a site file resolves against the prefix
    // (the directory of nginx.conf).
    let ngx = tmp.path().join("nginx");
    let server = nginx_server(
        &docroot,
        &format!("root {};", docroot.display()),
        "        include snippets/fastcgi-php.conf;\n",
    );
    report::write_tree(
        &ngx,
        &[
            ("nginx.conf", "events {}\n"),
            (
                "snippets/fastcgi-php.conf",
                "fastcgi_pass_request_headers off;\n",
            ),
            ("sites-enabled/magento", &server),
        ],
    );
    assert_resolved(&ngx.join("sites-enabled/magento"), "auth-header-stripped");
}

#[test]
fn paths_are_absolute_or_store_relative_whatever_the_cwd() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    // No passthrough anywhere: the .htaccess is named in two findings, the same way.
    s.file(
        "pub/.htaccess",
        "<IfModule mod_rewrite.c>\n    RewriteEngine on\n    RewriteRule .* index.php [L]\n</IfModule>\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    let deb = tmp.path().join("deb");
    std::fs::create_dir_all(&deb).unwrap();
    std::fs::write(
        deb.join("site.conf"),
        format!(
            "<VirtualHost *:80>\n    DocumentRoot {d}\n    <Directory {d}>\n        AllowOverride All\n        Require all granted\n    </Directory>\n    <FilesMatch \\.php$>\n        SetHandler \"proxy:fcgi://127.0.0.1:9000\"\n    </FilesMatch>\n</VirtualHost>\n",
            d = docroot.display()
        ),
    )
    .unwrap();
    let root = s.root().to_str().unwrap().to_string();
    // Run from the config's parent with a relative --server-config.
    let out = lab::m2auth(
        &[
            "diagnose",
            "--format",
            "json",
            "--root",
            root.as_str(),
            "--server-config",
            "deb/site.conf",
        ],
        tmp.path(),
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap().iter())
        .filter_map(|e| e["source"].as_str())
        .filter(|s| s.starts_with("file:"))
        .map(str::to_string)
        .collect();
    assert!(
        sources
            .iter()
            .any(|s| s.starts_with(&format!("file:{}:", deb.join("site.conf").display()))),
        "{sources:?}"
    );
    for s in &sources {
        assert!(
            !s.starts_with("file:deb/"),
            "cwd-relative config path: {sources:?}"
        );
        if s.contains(".htaccess") {
            assert!(s.starts_with("file:pub/.htaccess"), "{sources:?}");
        }
    }
}

/// A vhost for the store, PHP-FPM through SetHandler with CGIPassAuth (healthy), `extra` in it.
fn apache_site(docroot: &Path, extra: &str) -> String {
    format!(
        "<VirtualHost *:80>\n    DocumentRoot {d}\n    <Directory {d}>\n        AllowOverride All\n        CGIPassAuth On\n        Require all granted\n    </Directory>\n    <FilesMatch \\.php$>\n        SetHandler \"proxy:fcgi://127.0.0.1:9000\"\n    </FilesMatch>\n{extra}</VirtualHost>\n",
        d = docroot.display()
    )
}

#[test]
fn location_prefix_whole_segments_vhost_require_and_duplicates() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("site.conf");
    let deny_rest = "    <Location /rest>\n        Require all denied\n    </Location>\n";
    // The site with `extra` in its vhost: does diagnose say server-denies-path (and the report)?
    let denies = |extra: &str| {
        std::fs::write(&conf, apache_site(&docroot, extra)).unwrap();
        let (doc, _) = diagnose(&s, &conf);
        (codes(&doc).contains(&"server-denies-path".into()), doc)
    };
    // <Location /res> does not apply to /rest/… (whole segments; the unit test location_matching
    // has /rest against /restx: a request m2auth judges is always under /rest/).
    let (denied, doc) =
        denies("    <Location /res>\n        Require all denied\n    </Location>\n");
    assert!(!denied, "{doc:#}");
    let (denied, doc) = denies(deny_rest);
    assert!(denied, "{doc:#}");
    // A Require at vhost level is not allowed by Apache: not counted.
    let (denied, doc) = denies("    Require all denied\n");
    assert!(!denied, "{doc:#}");

    // The same configuration given twice: read once, each finding once.
    std::fs::write(&conf, apache_site(&docroot, deny_rest)).unwrap();
    let c = conf.to_str().unwrap();
    let (doc, _, _) = run(
        &s,
        &["diagnose", "--server-config", c, "--server-config", c],
    );
    let n = codes(&doc)
        .iter()
        .filter(|c| *c == "server-denies-path")
        .count();
    assert_eq!(n, 1, "{doc:#}");
}

#[test]
fn file_count_skips_are_one_entry() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path();
    std::fs::create_dir_all(a.join("many")).unwrap();
    for i in 0..2100 {
        std::fs::write(a.join(format!("many/f{i:04}.conf")), "Timeout 300\n").unwrap();
    }
    std::fs::write(
        a.join("apache2.conf"),
        format!(
            "ServerRoot {}\nInclude many/*.conf\n<VirtualHost *:80>\n DocumentRoot {}\n</VirtualHost>\n",
            a.display(),
            docroot.display()
        ),
    )
    .unwrap();
    let (doc, _) = diagnose(&s, &a.join("apache2.conf"));
    let sk = skipped(&doc);
    let capped: Vec<&String> = sk.iter().filter(|r| r.contains("file-count cap")).collect();
    // apache2.conf and 1,999 includes are read; the other 101 are one entry.
    assert_eq!(capped.len(), 1, "{sk:?}");
    assert!(capped[0].contains("and 100 more file(s)"), "{sk:?}");
}

/// Issue 11, defect 2: the nesting cap holds whatever the words hold (`a#{`, `\{`): nginx's
/// tokenizer is the one that counts, so 70,000 levels are refused at the cap with a line (the
/// pre-scan and the parser disagreed, and the parser overflowed the stack: exit 134).
#[test]
fn nginx_nesting_cap_holds_for_hash_and_backslash_words() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    for (name, tail) in [
        ("nginx-hash.conf", format!("a#{}", "{a#".repeat(70_000))),
        ("nginx-escape.conf", format!("a \\{}", "{\\".repeat(70_000))),
    ] {
        let conf = tmp.path().join(name);
        std::fs::write(
            &conf,
            format!("server{{root {};}}\n{tail}\n", docroot.display()),
        )
        .unwrap();
        let (doc, code) = diagnose(&s, &conf);
        assert!(code == 0 || code == 1, "{name}: exit {code}");
        let sk = skipped(&doc);
        assert!(
            sk.iter()
                .any(|r| r.starts_with(&format!("{}:2: ", conf.display()))),
            "{name}: {sk:?}"
        );
    }
}

/// Issue 11, defect 4: a 4.16 MB line of `a b;` (a million directives) is refused at the
/// directive cap instead of being held (1.5 GB before; figures in docs/benchmarks.md).
#[test]
fn a_million_nginx_directives_hit_the_directive_cap() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let flat = tmp.path().join("flat.conf");
    std::fs::write(&flat, "a b;".repeat(1_040_000)).unwrap();
    let conf = tmp.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "http {{\ninclude {};\nserver {{ root {}; }}\n}}\n",
            flat.display(),
            docroot.display()
        ),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &conf);
    assert!(code == 0 || code == 1, "exit {code}");
    let sk = skipped(&doc);
    assert!(
        sk.iter()
            .any(|r| r.starts_with(&format!("{}:1: ", flat.display()))
                && r.contains("directive cap")),
        "{sk:?}"
    );
}

/// Issue 11, defect 3: `Define A ${A}${A}` doubles on every line; the expansion is capped and the
/// file skipped with its line (40 lines never ended before).
#[test]
fn apache_define_expansion_is_capped() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path();
    std::fs::write(
        a.join("bomb.conf"),
        format!("Define A x\n{}", "Define A ${A}${A}\n".repeat(40)),
    )
    .unwrap();
    std::fs::write(
        a.join("apache2.conf"),
        format!(
            "ServerRoot {}\nInclude bomb.conf\n<VirtualHost *:80>\n DocumentRoot {}\n</VirtualHost>\n",
            a.display(),
            docroot.display()
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (doc, code) = diagnose(&s, &a.join("apache2.conf"));
    assert!(code == 0 || code == 1, "exit {code}");
    assert!(started.elapsed().as_secs() < 60);
    let sk = skipped(&doc);
    assert!(
        sk.iter().any(
            |r| r.starts_with(&format!("{}:", a.join("bomb.conf").display()))
                && r.contains("expansion cap")
        ),
        "{sk:?}"
    );
}

/// Issue 11, defect 5: `**` is not recursive for Apache (nor for nginx): two symlinks to `..`
/// under the directory are one level of matches, not a walk for minutes; an `Include` of a FIFO
/// is skipped (regular files only), and `--server-config` naming a FIFO is exit 2, never a wait.
#[test]
fn globs_symlink_loops_and_fifos_never_hang() {
    let s = pub_store(None);
    let docroot = root_of(&s).join("pub");
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path();
    let d = a.join("conf.d");
    std::fs::create_dir_all(&d).unwrap();
    std::os::unix::fs::symlink("..", d.join("up1")).unwrap();
    std::os::unix::fs::symlink("..", d.join("up2")).unwrap();
    let fifo = a.join("fifo.conf");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::fs::write(
        a.join("apache2.conf"),
        format!(
            "ServerRoot {}\nIncludeOptional {}/**/*.conf\nInclude {}\n<VirtualHost *:80>\n DocumentRoot {}\n</VirtualHost>\n",
            a.display(),
            d.display(),
            fifo.display(),
            docroot.display()
        ),
    )
    .unwrap();
    let (doc, code) = diagnose(&s, &a.join("apache2.conf"));
    assert!(code == 0 || code == 1, "exit {code}: {doc:#}");
    let sk = skipped(&doc);
    assert!(
        sk.iter()
            .any(|r| r.contains(&fifo.display().to_string()) && r.contains("not a regular file")),
        "{sk:?}"
    );
    let root = s.root().to_str().unwrap().to_string();
    let out = lab::m2auth(
        &[
            "diagnose",
            "--root",
            &root,
            "--server-config",
            fifo.to_str().unwrap(),
        ],
        s.root(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not a regular file") && err.lines().count() == 1,
        "{err}"
    );
}
