//! Web-server configuration from an untrusted or unusual system: nothing in it may crash m2auth
//! (deep nesting, malformed variables, CRLF files, huge includes), and what is read is judged as
//! the real server would (relative includes, symlinked document roots, old access rules…).
//! Each test runs `m2auth diagnose --server-config …` as a user does.

mod lab;

use std::path::{Path, PathBuf};

use lab::FixtureStore;
use serde_json::Value;

/// A store whose docroot is pub/.
fn store() -> FixtureStore {
    let s = FixtureStore::new();
    s.env_php("<?php\nreturn ['crypt' => ['key' => 'base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g='], 'backend' => ['frontName' => 'shop_admin'], 'directories' => ['document_root_is_pub' => true]];\n");
    s.config_php(&[("Magento_Store", true)]);
    s.file("pub/index.php", "<?php\n");
    s
}

fn root_of(s: &FixtureStore) -> PathBuf {
    s.root().canonicalize().unwrap()
}

fn run(s: &FixtureStore, args: &[&str]) -> (Value, i32, String) {
    let root = s.root().to_str().unwrap().to_string();
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--root", root.as_str()]);
    let out = lab::m2auth(&all, s.root());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: exit {code}, {err}"));
    (doc, code, err)
}

fn diagnose(s: &FixtureStore, config: &Path) -> (Value, i32) {
    let (doc, code, _) = run(s, &["diagnose", "--server-config", config.to_str().unwrap()]);
    (doc, code)
}

fn codes(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn skipped(doc: &Value) -> Vec<String> {
    doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["check"] == "server-config")
        .map(|k| k["reason"].as_str().unwrap().to_string())
        .collect()
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
    let s = store();
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
    let s = store();
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
        sk.iter().any(|r| r.starts_with(&format!("{}:", ng.display()))
            && r.contains("nested deeper")),
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
    assert!(
        doc["web_server"].is_null() || !doc.to_string().contains("has the store"),
        "{doc:#}"
    );

    // Commands that do not need the server configuration do not read it.
    let (_, code, err) = run(
        &s,
        &[
            "token:inspect",
            "eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjF9.c2ln",
            "--server-config",
            ng.to_str().unwrap(),
        ],
    );
    assert_ne!(code, 134, "{err}");
}

#[test]
fn only_commands_that_judge_the_server_read_its_configuration() {
    use m2auth::checks::{Context, LoadOptions};
    use m2auth::store::server::Sources;
    let s = store();
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("nginx.conf");
    std::fs::write(&conf, "http { server { root /srv/x; } }\n").unwrap();
    let ctx = Context::load(LoadOptions {
        root: s.root().to_path_buf(),
        db: m2auth::store::db::DbChoice::Env,
        now: None,
        request: None,
        env: &m2auth::store::envphp::ProcessEnv,
        server: Sources::Given(vec![conf.clone()]),
    })
    .unwrap();
    assert!(!ctx.server_read());
    let _ = m2auth::checks::diagnose(&ctx);
    assert!(ctx.server_read());
    assert_eq!(ctx.server().configs.len(), 1);
}
