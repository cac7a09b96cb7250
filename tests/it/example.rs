//! The bundled example store (`examples/store` + `examples/store.sql`): the README's first
//! command must work on a fresh clone with no server, and the dump is real mysqldump output that
//! anyone can regenerate:
//!
//! ```sh
//! scripts/test --test it -- --ignored example::regenerate_example_dump
//! ```

use std::path::{Path, PathBuf};

use crate::lab;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The README's demo command, as a user types it (minus `cargo run`).
#[test]
fn readme_demo_runs_without_a_server() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let demo = "cargo run -q -- diagnose --root examples/store --dump examples/store.sql";
    assert!(
        readme.contains(demo),
        "the README no longer shows the demo command"
    );
    let out = lab::m2auth(
        &[
            "diagnose",
            "--root",
            "examples/store",
            "--dump",
            "examples/store.sql",
        ],
        &repo(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for code in [
        "audit-default-admin-path",
        "audit-2fa-disabled",
        "audit-legacy-crypt-key",
    ] {
        assert!(text.contains(code), "{code} missing from the demo:\n{text}");
    }
    assert!(
        !text.contains("Example-DB-Passw0rd"),
        "secret in the demo output"
    );
    assert!(
        !text.contains("Not checked\n  - database"),
        "the dump was not read:\n{text}"
    );
    let out = lab::m2auth(
        &[
            "info",
            "--root",
            "examples/store",
            "--dump",
            "examples/store.sql",
            "--format",
            "json",
        ],
        &repo(),
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("info json");
    assert_eq!(doc["magento"]["version"], "2.4.7-p3");
    assert_eq!(doc["db"]["source"], "dump");
    assert_eq!(doc["db"]["reachable"], true);
    assert_eq!(doc["stores"], serde_json::json!(["admin", "default", "fr"]));
}

const ADMIN_HASH: &str = "2ec9c6b7819c1c0b8fefdc4407de19effd2e522a1ef81627a6192f5dbd75043a:Xk9pQ2mW7rT4yB8nV3cZ6hJ1fL5dS0aE:3_32_2_67108864";
const JANE_HASH: &str = "2bb1a620ace4e5e3d53becdbfba6e6dc324a388ccc855fae59cd950370965ca2:aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY:1";

/// Rebuild `examples/store.sql` from the lab: the Magento tables from the real db_schema.xml and
/// a small store with deliberate problems (see examples/README.md).
#[test]
#[ignore = "regenerates examples/store.sql; run it on purpose"]
fn regenerate_example_dump() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let cfg = |path: &str, value: &str| {
        db.insert(
            "core_config_data",
            &[
                ("scope", "default".into()),
                ("scope_id", 0.into()),
                ("path", path.into()),
                ("value", value.into()),
            ],
        );
    };
    cfg("web/unsecure/base_url", "http://shop.example.test/");
    cfg("web/secure/base_url", "https://shop.example.test/");
    cfg("web/secure/use_in_frontend", "1");
    cfg("web/secure/use_in_adminhtml", "1");
    cfg("webapi/jwtauth/admin_expiration", "240");
    cfg("oauth/access_token_lifetime/admin", "4");
    db.insert(
        "store",
        &[
            ("store_id", 2.into()),
            ("code", "fr".into()),
            ("website_id", 1.into()),
            ("group_id", 1.into()),
            ("name", "Français".into()),
            ("sort_order", 1.into()),
            ("is_active", 1.into()),
        ],
    );
    let admin =
        |id: i64, username: &str, hash: &str, active: i64, lock: Option<&str>, failures: i64| {
            db.insert(
                "admin_user",
                &[
                    ("user_id", id.into()),
                    ("firstname", username.into()),
                    ("lastname", "Example".into()),
                    ("email", format!("{username}@example.test").into()),
                    ("username", username.into()),
                    ("password", hash.into()),
                    ("is_active", active.into()),
                    ("failures_num", failures.into()),
                    (
                        "lock_expires",
                        lock.map(mysql::Value::from).unwrap_or(mysql::Value::NULL),
                    ),
                    ("interface_locale", "en_US".into()),
                ],
            );
        };
    admin(1, "admin", ADMIN_HASH, 1, None, 0);
    admin(2, "jane", JANE_HASH, 1, Some("2031-01-01 00:00:00"), 6);
    admin(3, "bob", ADMIN_HASH, 0, None, 0);
    db.role(1, 0, "G", 0, "2", "Administrators");
    db.rule(1, "Magento_Backend::all", "allow");
    db.role(2, 1, "U", 1, "2", "admin");
    db.role(3, 0, "G", 0, "2", "Catalog editors");
    db.rule(3, "Magento_Backend::all", "deny");
    db.rule(3, "Magento_Catalog::catalog", "allow");
    db.rule(3, "Magento_Catalog::catalog_inventory", "allow");
    db.rule(3, "Magento_Catalog::products", "deny");
    db.role(4, 3, "U", 2, "2", "jane");
    db.role(5, 3, "U", 3, "2", "bob");
    db.insert(
        "oauth_consumer",
        &[
            ("entity_id", 1.into()),
            ("name", "Integration1".into()),
            ("key", "ck4u1n0ex9yq2m7hx3p8r5t1w6z0a2b4".into()),
            ("secret", "cs9k2m4n6p8r0t2v4x6z8b0d2f4h6j8l".into()),
            ("rejected_callback_url", "".into()),
        ],
    );
    db.insert(
        "integration",
        &[
            ("integration_id", 1.into()),
            ("name", "ERP Connector".into()),
            ("email", "erp@example.test".into()),
            ("status", 1.into()),
            ("consumer_id", 1.into()),
            ("setup_type", 0.into()),
        ],
    );
    db.insert(
        "oauth_token",
        &[
            ("entity_id", 1.into()),
            ("consumer_id", 1.into()),
            ("type", "access".into()),
            ("token", "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g".into()),
            ("secret", "ts2h4j6k8l0z2x4c6v8b0n2m4q6w8e0r".into()),
            ("callback_url", "oob".into()),
            ("revoked", 0.into()),
            ("authorized", 1.into()),
            ("user_type", 1.into()),
        ],
    );
    db.role(6, 0, "U", 1, "1", "ERP Connector");
    db.rule(6, "Magento_Sales::sales", "allow");
    db.rule(6, "Magento_Catalog::catalog", "allow");
    db.rule(6, "Magento_Catalog::products", "allow");
    db.insert(
        "jwt_auth_revoked",
        &[
            ("user_type_id", 2.into()),
            ("user_id", 1.into()),
            ("revoke_before", 1764320000.into()),
        ],
    );

    let out = repo().join("examples/store.sql");
    let tmp = out.with_extension("sql.tmp");
    db.mysqldump(&tmp, false);
    // The lab database has a generated name; the example calls it `magento`. Dump dates too.
    let text = std::fs::read_to_string(&tmp)
        .unwrap()
        .replace(db.name(), "magento");
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("-- Dump completed on") && !l.starts_with("-- Server version"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&out, text).unwrap();
    std::fs::remove_file(&tmp).unwrap();
    assert!(Path::new(&out).metadata().unwrap().len() > 1000);
}

/// Every command of the README's "Try it" blocks (```sh lines starting with `m2auth `) runs as
/// written on the example store: exit 0 or 1 (never a usage error or a failure to run), nothing on
/// stderr but warnings, no secret of the example in the output; the two the README describes say
/// what it says.
#[test]
fn every_readme_command_works_on_the_example_store() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut in_sh = false;
    let mut commands: Vec<Vec<String>> = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if in_sh && let Some(rest) = line.strip_prefix("m2auth ") {
            commands.push(shell_words::split(rest).expect(line));
        }
    }
    assert!(commands.len() >= 8, "{commands:?}");
    for args in &commands {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = lab::m2auth(&argv, &repo());
        let text = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "m2auth {}: exit {:?}\n{text}\n{err}",
            args.join(" "),
            out.status.code()
        );
        assert!(!err.contains("error:"), "m2auth {}: {err}", args.join(" "));
        assert!(!text.contains("Example-DB-Passw0rd"), "{text}");
        if argv.first() == Some(&"diagnose") && !argv.contains(&"--request") {
            assert!(text.contains("Who is refused"), "{text}");
            assert!(text.contains("First to fix: admin-user-inactive"), "{text}");
            assert_eq!(out.status.code(), Some(1));
        }
        if argv.contains(&"--request") && argv.first() == Some(&"diagnose") {
            assert!(
                text.contains("Root cause: integration-bearer-disabled"),
                "{text}"
            );
        }
    }
}
