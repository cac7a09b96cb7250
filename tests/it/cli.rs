//! The command line as a user meets it: bad input gives one line on stderr naming the file and
//! line, and exit code 2; never a panic or a stack trace. No database is needed here.

use std::process::Output;

use crate::lab::{FixtureStore, m2auth as run};

/// Exit 2, nothing on stdout, exactly one line on stderr that contains `want`.
fn assert_fails_with(out: &Output, want: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    assert!(stderr.contains(want), "{want:?} not in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn store_with_env(text: &[u8]) -> FixtureStore {
    let store = FixtureStore::new();
    store.file("app/etc/env.php", text);
    store.config_php(&[("Magento_Store", true)]);
    store
}

#[test]
fn broken_env_php_names_file_line_and_column() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"<?php\nreturn [\n    'db' => [\n        'host' => 'x',\n",
            "app/etc/env.php:",
        ),
        (
            b"<?php\nreturn [\n    'a' => 'b'\n    ]]\n];\n",
            "app/etc/env.php:",
        ),
        (
            b"<?php\nreturn [\n    'a' => 'unterminated\n];\n",
            "app/etc/env.php:",
        ),
        (b"\x00\x01\x02\xff\xfe binary junk", "app/etc/env.php:"),
        (b"", "app/etc/env.php:"),
    ];
    for (text, want) in cases {
        let store = store_with_env(text);
        for cmd in ["info", "diagnose"] {
            let out = run(
                &[cmd, "--root", store.root().to_str().unwrap()],
                store.root(),
            );
            assert_fails_with(&out, want);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let loc = stderr.split("app/etc/env.php:").nth(1).unwrap();
            let mut parts = loc.split(':');
            assert!(
                parts.next().unwrap().parse::<u32>().is_ok(),
                "no line: {stderr}"
            );
            assert!(
                parts.next().unwrap().parse::<u32>().is_ok(),
                "no column: {stderr}"
            );
        }
    }
}

#[test]
fn broken_config_php_is_an_error_too() {
    let store = FixtureStore::new();
    store.env_php("<?php\nreturn ['crypt' => ['key' => 'abc']];\n");
    store.file(
        "app/etc/config.php",
        "<?php\nreturn ['modules' => ['Magento_Store' => 1,,]];\n",
    );
    let out = run(
        &["info", "--root", store.root().to_str().unwrap()],
        store.root(),
    );
    assert_fails_with(&out, "app/etc/config.php:2:");
}

#[test]
fn broken_dump_names_its_line() {
    let store = store_with_env(
        b"<?php\nreturn ['crypt' => ['key' => 'abc'], 'db' => ['table_prefix' => '']];\n",
    );
    let dump = store.path("bad.sql");
    std::fs::write(
        &dump,
        "-- MySQL dump\nCREATE TABLE `core_config_data` (\n  `config_id` int NOT NULL,\n  `path` varchar(255)\n);\nINSERT INTO `core_config_data` VALUES (1,'a'),(2,'b';\n",
    )
    .unwrap();
    let out = run(
        &[
            "info",
            "--root",
            store.root().to_str().unwrap(),
            "--dump",
            dump.to_str().unwrap(),
        ],
        store.root(),
    );
    assert_fails_with(&out, "bad.sql:");
    let missing = store.path("missing.sql");
    let out = run(
        &[
            "info",
            "--root",
            store.root().to_str().unwrap(),
            "--dump",
            missing.to_str().unwrap(),
        ],
        store.root(),
    );
    assert_fails_with(&out, "missing.sql");
    let junk = store.path("junk.sql.gz");
    std::fs::write(&junk, b"\x1f\x8b\x08\x00 not really gzip").unwrap();
    let out = run(
        &[
            "info",
            "--root",
            store.root().to_str().unwrap(),
            "--dump",
            junk.to_str().unwrap(),
        ],
        store.root(),
    );
    assert_fails_with(&out, "junk.sql.gz");
}

#[test]
fn usage_errors_exit_2() {
    let store = store_with_env(b"<?php\nreturn ['crypt' => ['key' => 'abc']];\n");
    let root = store.root().to_str().unwrap();
    let out = run(
        &["diagnose", "--root", root, "--now", "yesterday"],
        store.root(),
    );
    assert_fails_with(&out, "--now");
    let out = run(
        &["diagnose", "--root", root, "--request", "/V1/products"],
        store.root(),
    );
    assert_fails_with(&out, "METHOD TARGET");
    let out = run(
        &["diagnose", "--root", root, "--oauth", "a,b"],
        store.root(),
    );
    assert_fails_with(&out, "--oauth");
    let out = run(&["no-such-command"], store.root());
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        &["info", "--dump", "a.sql", "--db", "mysql://x@y/z"],
        store.root(),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--help"], store.root());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn root_is_found_by_walking_up_or_refused() {
    let store = store_with_env(
        b"<?php\nreturn ['crypt' => ['key' => 'abc'], 'MAGE_MODE' => 'developer'];\n",
    );
    std::fs::create_dir_all(store.path("app/code/Acme/Deep/etc")).unwrap();
    let out = run(
        &["info", "--format", "json"],
        &store.path("app/code/Acme/Deep/etc"),
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["magento"]["mode"], "developer");
    let empty = tempfile::tempdir().unwrap();
    let out = run(&["info"], empty.path());
    assert_fails_with(&out, "app/etc/env.php");
    let out = run(
        &["info", "--root", empty.path().to_str().unwrap()],
        empty.path(),
    );
    assert_fails_with(&out, "not a Magento root");
}

#[test]
fn errors_are_one_line_said_once_and_keep_secrets() {
    let store = store_with_env(b"<?php\nreturn ['crypt' => ['key' => 'abc']];\n");
    let root = store.root().to_str().unwrap();
    // clap's own errors are cut to one line.
    let out = run(&["no-such-command"], store.root());
    assert_fails_with(&out, "no-such-command");
    // A token passed where it does not belong is not echoed whole.
    let jwt = "eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ.eyJ1aWQiOjF9.c2lnbmF0dXJlMTIzNDU2";
    let out = run(&["diagnose", jwt], store.root());
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(jwt));
    // A cause is not repeated.
    let out = run(
        &["info", "--root", root, "--dump", "/nonexistent/x.sql"],
        store.root(),
    );
    assert_fails_with(&out, "/nonexistent/x.sql");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    // A bad --db URL is a usage error, and its password is not printed.
    for url in [
        "postgres://u:S3cretPass@h/db",
        "mysql://u:pa/ss@h",
        "mysql://u:S3cretPass",
    ] {
        let out = run(&["info", "--root", root, "--db", url], store.root());
        assert_fails_with(&out, "--db");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("S3cretPass") && !stderr.contains("pa/ss"),
            "{stderr}"
        );
    }
    // The request's target is not echoed on a usage error.
    let out = run(
        &[
            "diagnose",
            "--root",
            root,
            "--request",
            "GET https://u:pw@shop.test/x?access_token=SECRET123 extra",
        ],
        store.root(),
    );
    assert_fails_with(&out, "METHOD TARGET");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("SECRET123"));
    let out = run(
        &["diagnose", "--root", root, "--password-file", "/tmp/x"],
        store.root(),
    );
    assert_fails_with(&out, "--password-file");
}

/// The database is needed and cannot be reached: every command that needs it exits 2 with one
/// line (the contract's "database unreachable when it is needed"), never 1 (issue 11, defect 9).
#[test]
fn commands_that_need_an_unreachable_database_exit_2() {
    let store = FixtureStore::new();
    let port = crate::lab::web::closed_port();
    store.env_php(&format!(
        "<?php return ['crypt' => ['key' => '0123456789abcdef0123456789abcdef'], 'db' => ['connection' => ['default' => ['host' => '127.0.0.1:{port}', 'dbname' => 'magento', 'username' => 'magento', 'password' => 'Sup3r-secret-pw']]]];\n"
    ));
    let root = store.root().to_str().unwrap();
    for args in [
        vec!["integration:list"],
        vec!["integration:show", "ERP"],
        vec!["integration:activate", "ERP", "--apply"],
        vec![
            "acl:check",
            "--request",
            "GET /V1/products",
            "--token",
            "abcdefghijklmnopqrstuvwxyz012345",
        ],
        vec!["acl:matrix", "--role", "1"],
        vec![
            "acl:grant",
            "--role",
            "1",
            "--resource",
            "Magento_Sales::sales",
            "--apply",
        ],
        vec!["admin:user:unlock", "admin", "--apply"],
        vec![
            "admin:user:change-password",
            "admin",
            "Xx-1234567890ab",
            "--apply",
        ],
    ] {
        let mut a = args.clone();
        a.extend_from_slice(&["--root", root]);
        let out = run(&a, store.root());
        assert_fails_with(&out, "cannot reach the database server");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("Sup3r-secret-pw"), "{args:?}: {stderr}");
    }
}

/// env.php that is there but cannot be read — a symlink loop, a FIFO — is exit 2 with the OS's
/// reason, never "missing" (which led to `crypt-key-missing` and the advice of a new key: issue
/// 11, defect 10), and a FIFO never blocks the run (defect 5).
#[test]
fn an_unreadable_env_php_is_exit_2_with_the_reason() {
    let store = FixtureStore::new();
    let etc = store.root().join("app/etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::os::unix::fs::symlink("loop-b", etc.join("env.php")).unwrap();
    std::os::unix::fs::symlink("env.php", etc.join("loop-b")).unwrap();
    let root = store.root().to_str().unwrap();
    let out = run(&["diagnose", "--offline", "--root", root], store.root());
    assert_fails_with(&out, "symbolic links");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("crypt"));

    let fifo_store = FixtureStore::new();
    let etc = fifo_store.root().join("app/etc");
    std::fs::create_dir_all(&etc).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(etc.join("env.php"))
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let root = fifo_store.root().to_str().unwrap();
        let out = run(&["info", "--root", root], fifo_store.root());
        assert_fails_with(&out, "not a regular file");
    }
}

/// clap's suggestions survive the one-line error: the command or option meant, the possible
/// values, and the help to read (issue 10, item 6).
#[test]
fn usage_errors_keep_clap_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["diagnos"], dir.path());
    assert_fails_with(&out, "did you mean `diagnose`?");
    let out = run(&["diagnose", "--format", "xml"], dir.path());
    assert_fails_with(&out, "possible values: text, json, csv");
    let out = run(&["diagnose", "--requst", "GET /V1/x"], dir.path());
    assert_fails_with(&out, "did you mean `--request`?");
    assert_fails_with(&out, "see m2auth diagnose --help");
    let out = run(&["info", "--color", "sometimes"], dir.path());
    assert_fails_with(&out, "possible values: auto, always, never");
}

/// `-h` is the short help, `--help` the long one with examples; the common options have their
/// own heading in both.
#[test]
fn help_short_and_long_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        "diagnose",
        "request",
        "info",
        "audit",
        "acl:check",
        "token:inspect",
        "acl:matrix",
        "acl:grant",
        "fix",
        "undo",
        "admin:user:change-password",
        "admin:user:unlock",
        "integration:list",
        "integration:show",
        "integration:activate",
        "oauth:sign",
    ] {
        let short = run(&[cmd, "-h"], dir.path());
        let long = run(&[cmd, "--help"], dir.path());
        assert_eq!(
            (short.status.code(), long.status.code()),
            (Some(0), Some(0))
        );
        let short = String::from_utf8_lossy(&short.stdout);
        let long = String::from_utf8_lossy(&long.stdout);
        assert!(short.contains("Common options:"), "{cmd}: {short}");
        assert!(long.contains("Common options:"), "{cmd}: {long}");
        assert!(!short.contains("Examples:"), "{cmd}: {short}");
        assert!(long.contains("Examples:"), "{cmd}: {long}");
        assert!(long.contains(&format!("m2auth {cmd}")), "{cmd}: {long}");
        assert!(
            long.lines().all(|l| l.chars().count() <= 100),
            "{cmd}: {long}"
        );
    }
}

/// A common option a command does not use is refused, not ignored: `diagnose --apply` (it never
/// writes), `--server-config` where the server configuration is not read.
#[test]
fn options_a_command_does_not_take_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (args, want) in [
        (
            &["diagnose", "--apply"][..],
            "diagnose does not take --apply",
        ),
        (&["audit", "--apply"][..], "audit does not take --apply"),
        (&["info", "--apply"][..], "info does not take --apply"),
        (
            &["acl:check", "--apply", "--request", "GET /V1/x"][..],
            "acl:check does not take --apply",
        ),
        (
            &["integration:list", "--apply"][..],
            "integration:list does not take --apply",
        ),
        (
            &["token:inspect", "x", "--apply"][..],
            "token:inspect does not take --apply",
        ),
        (
            &["acl:matrix", "--role", "1", "--apply"][..],
            "acl:matrix does not take --apply",
        ),
        (
            &["token:inspect", "x", "--server-config", "/etc/apache2"][..],
            "token:inspect does not take --server-config",
        ),
    ] {
        let out = run(args, dir.path());
        assert_fails_with(&out, want);
    }
}

/// `--color always` colours even when piped and with NO_COLOR set (an explicit choice wins);
/// `auto` (the default) and `never` do not.
#[test]
fn color_auto_always_never() {
    let dir = tempfile::tempdir().unwrap();
    let jwt = crate::lab::scenario::jwt(7, 2, 1_700_000_000, 1_700_003_600);
    for (color, escapes) in [
        (None, false),
        (Some("never"), false),
        (Some("always"), true),
    ] {
        let mut args = vec!["token:inspect", jwt.as_str()];
        if let Some(c) = color {
            args.extend(["--color", c]);
        }
        let out = run(&args, dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.contains('\x1b'), escapes, "{color:?}: {stdout}");
    }
}

/// Without a Magento root, token:inspect decodes the token and says what it could not check;
/// oauth:sign signs a URL with its host. Neither needs a store.
#[test]
fn token_inspect_and_oauth_sign_without_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let jwt = crate::lab::scenario::jwt(7, 2, 1_700_000_000, 1_700_003_600);
    let out = run(
        &[
            "token:inspect",
            &jwt,
            "--format",
            "json",
            "--now",
            "2023-11-14T22:30:00Z",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "jwt-admin");
    assert_eq!(doc["user"]["id"], 7);
    assert_eq!(doc["expires_at"], "2023-11-14T23:13:20Z");
    let skipped: Vec<&str> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["check"].as_str().unwrap())
        .collect();
    for check in ["jwt-signature", "jwt-revocation", "token-user"] {
        assert!(skipped.contains(&check), "{doc:#}");
    }
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&jwt),
        "token printed whole"
    );
    // Expired at the clock: exit 1 with jwt-expired, still without a store.
    let out = run(&["token:inspect", &jwt], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("jwt-expired") && text.contains("Not checked"),
        "{text}"
    );
    assert!(text.contains("revoked:   not checked"), "{text}");

    let out = run(
        &[
            "oauth:sign",
            "--request",
            "GET https://shop.test/rest/V1/products",
            "--oauth",
            "ck1234567890,cs1234567890,tk1234567890,ts1234567890",
            "--nonce",
            "abc",
            "--timestamp",
            "1",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("oauth_consumer_key=\"ck1234567890\""),
        "{text}"
    );
    assert!(
        !text.contains("cs1234567890") && !text.contains("ts1234567890"),
        "{text}"
    );
    // A path alone needs the store's base URL: without a root, exit 2 naming it.
    let out = run(
        &[
            "oauth:sign",
            "--request",
            "GET /V1/products",
            "--oauth",
            "a,b,c,d",
        ],
        dir.path(),
    );
    assert_fails_with(&out, "app/etc/env.php");
}

/// `--quiet`: no warnings on stderr (here the one of `--insecure`); the exit status is the same.
#[test]
fn quiet_silences_warnings() {
    let store = store_with_env(b"<?php\nreturn ['crypt' => ['key' => 'abc']];\n");
    let root = store.root().to_str().unwrap();
    let port = crate::lab::web::closed_port();
    let url = format!("GET https://127.0.0.1:{port}/rest/V1/products");
    let args = [
        "diagnose",
        "--root",
        root,
        "--insecure",
        "--request",
        url.as_str(),
    ];
    let loud = run(&args, store.root());
    let quiet = run(&[&args[..], &["--quiet"]].concat(), store.root());
    let loud_err = String::from_utf8_lossy(&loud.stderr);
    assert!(loud_err.contains("--insecure"), "{loud_err}");
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert_eq!(loud.status.code(), quiet.status.code());
}
