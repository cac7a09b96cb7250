//! Store configuration: Magento's scope fallback (store → website → default), env.php/config.php
//! `system` overrides, and the shipped defaults — on a live lab database and on its real
//! mysqldump, with the same assertions.

use std::path::Path;

use m2auth::magento::defaults;
use m2auth::store::config::{Origin, Scope, StoreConfig};
use m2auth::store::db::Database;
use m2auth::store::db::dump::DumpDb;
use m2auth::store::db::live::LiveDb;
use m2auth::store::envphp::{self, NoEnv};

use crate::lab;

fn row(db: &lab::LabDb, scope: &str, scope_id: i64, path: &str, value: Option<&str>) {
    db.insert(
        "core_config_data",
        &[
            ("scope", scope.into()),
            ("scope_id", scope_id.into()),
            ("path", path.into()),
            (
                "value",
                value.map(mysql::Value::from).unwrap_or(mysql::Value::NULL),
            ),
        ],
    );
}

const ENV_PHP: &str = "<?php
return [
    'db' => ['table_prefix' => ''],
    'system' => [
        'default' => [
            'oauth' => [
                'access_token_lifetime' => [
                    'admin' => '8'
                ]
            ]
        ],
        'websites' => [
            'base' => [
                'web' => ['cookie' => ['cookie_path' => '/env-website']]
            ]
        ],
        'stores' => [
            'default' => [
                'web' => ['cookie' => ['cookie_domain' => 'env.example.test']]
            ]
        ]
    ]
];
";

fn check(cfg: &StoreConfig, source: &str) {
    let store = Scope::Store(1);
    let get = |path: &str, scope: Scope| cfg.get(path, scope).value;
    // Only a default row: every scope falls back to it.
    assert_eq!(
        get("web/secure/offloader_header", store).as_deref(),
        Some("X-Default"),
        "{source}"
    );
    // Default and website rows: the store view takes the website's.
    assert_eq!(
        get("oauth/consumer/enable_integration_as_bearer", store).as_deref(),
        Some("1"),
        "{source}"
    );
    assert_eq!(
        get(
            "oauth/consumer/enable_integration_as_bearer",
            Scope::Default
        )
        .as_deref(),
        Some("0")
    );
    // Default, website and store rows: the store's own.
    assert_eq!(
        get("webapi/jwtauth/admin_expiration", store).as_deref(),
        Some("30"),
        "{source}"
    );
    assert_eq!(
        get("webapi/jwtauth/admin_expiration", Scope::Website(1)).as_deref(),
        Some("120")
    );
    assert_eq!(
        get("webapi/jwtauth/admin_expiration", Scope::Default).as_deref(),
        Some("240")
    );
    // A store row of another store does not leak.
    assert_eq!(
        get("webapi/jwtauth/admin_expiration", Scope::Store(0)).as_deref(),
        Some("240")
    );
    // env.php system/default beats the default row, but a store row in the database still wins
    // for that store (Magento layers scopes, each from its own sources).
    let admin = cfg.get("oauth/access_token_lifetime/admin", Scope::Default);
    assert_eq!(admin.value.as_deref(), Some("8"), "{source}");
    assert!(
        matches!(admin.origin, Origin::File { line: 8, .. }),
        "{source}: {:?}",
        admin.origin
    );
    assert_eq!(
        get("oauth/access_token_lifetime/admin", store).as_deref(),
        Some("3"),
        "{source}"
    );
    // env.php system/websites/<code> and system/stores/<code> beat the rows of their scope.
    assert_eq!(
        get("web/cookie/cookie_path", store).as_deref(),
        Some("/env-website"),
        "{source}"
    );
    assert_eq!(
        get("web/cookie/cookie_domain", store).as_deref(),
        Some("env.example.test"),
        "{source}"
    );
    assert_eq!(
        get("web/cookie/cookie_domain", Scope::Default).as_deref(),
        Some("db.example.test")
    );
    // NULL in the database is a value: empty, not a fallback.
    let null = cfg.get("admin/url/custom_path", store);
    assert_eq!(null.value, None);
    assert!(
        matches!(
            null.origin,
            Origin::Db {
                scope: "default",
                ..
            }
        ),
        "{source}: {:?}",
        null.origin
    );
    // Nothing set: Magento's shipped default.
    let shipped = cfg.get("webapi/jwtauth/customer_expiration", store);
    let d = defaults::default_for("webapi/jwtauth/customer_expiration").expect("shipped default");
    assert_eq!(shipped.value.as_deref(), d.value, "{source}");
    assert!(matches!(shipped.origin, Origin::Shipped { .. }));
    // Evidence names the table row.
    let ev = cfg.get("webapi/jwtauth/admin_expiration", store).evidence();
    assert_eq!(ev.source, "db:core_config_data");
    assert!(ev.text.contains("scope=stores scope_id=1"), "{}", ev.text);
}

fn config_from(db: &dyn Database) -> StoreConfig {
    let env =
        envphp::parse(ENV_PHP.as_bytes(), Path::new("app/etc/env.php"), &NoEnv).expect("env.php");
    let mut cfg = StoreConfig::from_files(Some(&env), None);
    cfg.load_db(db).expect("load core_config_data");
    cfg
}

#[test]
fn scope_fallback_and_overrides_live_and_dump() {
    let Some(lab) = lab::mariadb() else { return };
    for prefix in ["", "mg_"] {
        let db = lab.database(prefix);
        row(
            &db,
            "default",
            0,
            "web/secure/offloader_header",
            Some("X-Default"),
        );
        row(
            &db,
            "default",
            0,
            "oauth/consumer/enable_integration_as_bearer",
            Some("0"),
        );
        row(
            &db,
            "websites",
            1,
            "oauth/consumer/enable_integration_as_bearer",
            Some("1"),
        );
        row(
            &db,
            "default",
            0,
            "webapi/jwtauth/admin_expiration",
            Some("240"),
        );
        row(
            &db,
            "websites",
            1,
            "webapi/jwtauth/admin_expiration",
            Some("120"),
        );
        row(
            &db,
            "stores",
            1,
            "webapi/jwtauth/admin_expiration",
            Some("30"),
        );
        row(
            &db,
            "default",
            0,
            "oauth/access_token_lifetime/admin",
            Some("2"),
        );
        row(
            &db,
            "stores",
            1,
            "oauth/access_token_lifetime/admin",
            Some("3"),
        );
        row(
            &db,
            "websites",
            1,
            "web/cookie/cookie_path",
            Some("/db-website"),
        );
        row(
            &db,
            "default",
            0,
            "web/cookie/cookie_domain",
            Some("db.example.test"),
        );
        row(
            &db,
            "stores",
            1,
            "web/cookie/cookie_domain",
            Some("db-store.example.test"),
        );
        row(&db, "default", 0, "admin/url/custom_path", None);

        let live = LiveDb::connect(&db.conn_params()).expect("live");
        check(&config_from(&live), &format!("live prefix={prefix:?}"));

        let dir = tempfile::tempdir().unwrap();
        for (name, gz) in [("d.sql", false), ("d.sql.gz", true)] {
            let path = dir.path().join(name);
            db.mysqldump(&path, gz);
            let dump = DumpDb::open(&path, prefix).expect("dump");
            check(&config_from(&dump), &format!("{name} prefix={prefix:?}"));
        }
    }
}

#[test]
fn stores_and_websites_come_from_the_tables() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    let live = LiveDb::connect(&db.conn_params()).expect("live");
    let cfg = config_from(&live);
    assert_eq!(cfg.scopes.codes(), vec!["admin", "default"]);
    assert_eq!(
        cfg.scopes.default_store().map(|s| s.code.as_str()),
        Some("default")
    );
    assert_eq!(cfg.scopes.website(1).map(|w| w.code.as_str()), Some("base"));
}

#[test]
fn files_alone_give_overrides_and_defaults() {
    let env =
        envphp::parse(ENV_PHP.as_bytes(), Path::new("app/etc/env.php"), &NoEnv).expect("env.php");
    let cfg = StoreConfig::from_files(Some(&env), None);
    assert_eq!(
        cfg.get_default("oauth/access_token_lifetime/admin")
            .value
            .as_deref(),
        Some("8")
    );
    let d = defaults::default_for("oauth/access_token_lifetime/customer").unwrap();
    assert_eq!(
        cfg.get_default("oauth/access_token_lifetime/customer")
            .value
            .as_deref(),
        d.value
    );
}

#[test]
fn default_rows_count_whatever_their_scope_id() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    row(
        &db,
        "default",
        3,
        "web/secure/offloader_header",
        Some("X-Imported"),
    );
    row(
        &db,
        "default",
        0,
        "oauth/consumer/enable_integration_as_bearer",
        Some("false"),
    );
    let live = LiveDb::connect(&db.conn_params()).expect("live");
    let cfg = config_from(&live);
    assert_eq!(
        cfg.get("web/secure/offloader_header", Scope::Store(1))
            .value
            .as_deref(),
        Some("X-Imported")
    );
    // Magento's isSetFlag() is PHP's (bool): the string 'false' is true.
    assert!(
        cfg.get_default("oauth/consumer/enable_integration_as_bearer")
            .is_set_flag()
    );
}
