//! Step 4 on a 2.4.9-shaped store whose cache goes through Magento's Symfony layer (env.php
//! backend `file`, `redis` or `valkey`; docs/cache-symfony.md): entries written by PHP in
//! symfony/cache's layout (file names from xxh128, `serialize()` of Magento's wrapper) and
//! Magento's tag index, stale and fresh; `cache:clean config` and `cache:flush` entry by entry
//! and key by key.

use std::path::PathBuf;

use super::{NOW, store};
use crate::lab::cache::{
    Redis, SYMFONY_LAYER_FILE, php_config_payload, redis, symfony_file_entry, symfony_file_path,
};
use crate::lab::fixture::Php;
use crate::lab::scenario::{Scenario, jwt};

const P: &str = "a6b_";

fn admin_jwt() -> String {
    jwt(1, 2, NOW - 600, NOW + 3000)
}

/// A store with the framework's Symfony layer and `backend` on the default frontend.
fn bare_symfony_store(backend: &str) -> Option<Scenario> {
    let s = store()?;
    s.file(SYMFONY_LAYER_FILE, "<?php\n// m2auth test stand-in\n");
    s.env("cache/frontend/default/id_prefix", P);
    s.env("cache/frontend/default/backend", backend);
    std::fs::create_dir_all(s.root().join("var/cache")).unwrap();
    Some(s)
}

/// [`bare_symfony_store`] with the bearer flag and the admin token lifetime in the database.
fn symfony_store(backend: &str) -> Option<Scenario> {
    let s = bare_symfony_store(backend)?;
    s.config("oauth/consumer/enable_integration_as_bearer", "1")
        .config("webapi/jwtauth/admin_expiration", "240");
    Some(s)
}

fn cache_dir(s: &Scenario) -> PathBuf {
    s.root().join("var/cache")
}

/// The default scope as Magento caches it, with the bearer flag at `bearer`.
fn payload(s: &Scenario, bearer: &str) -> Option<String> {
    let rows = s.db().query(&format!(
        "SELECT path, value FROM {} WHERE scope = 'default'",
        s.db().table("core_config_data")
    ));
    let mut tree = serde_json::json!({});
    for r in rows {
        let path = r[0].clone().unwrap();
        let mut value = r[1].clone().unwrap_or_default();
        if path == "oauth/consumer/enable_integration_as_bearer" {
            value = bearer.to_string();
        }
        let segs: Vec<&str> = path.split('/').collect();
        let mut cur = &mut tree;
        for seg in &segs[..segs.len() - 1] {
            cur = cur
                .as_object_mut()
                .unwrap()
                .entry(seg.to_string())
                .or_insert_with(|| serde_json::json!({}));
        }
        cur[segs[segs.len() - 1]] = value.into();
    }
    php_config_payload(&tree)
}

fn file_config(s: &Scenario, bearer: &str) -> Option<()> {
    let data = payload(s, bearer)?;
    symfony_file_entry(
        &cache_dir(s),
        P,
        "SYSTEM_DEFAULT",
        data.as_bytes(),
        &["CONFIG", "CONFIG_SCOPES", "MAGE"],
        NOW - 3600,
        None,
    )
}

#[test]
fn healthy_symfony_file_cache_is_not_stale() {
    let Some(s) = symfony_store("file") else {
        return;
    };
    if file_config(&s, "1").is_none() {
        return;
    }
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_error()
        .expect_no_code("config-cache-stale");
}

#[test]
fn stale_config_in_the_symfony_file_cache_then_clean_and_flush() {
    let Some(s) = symfony_store("file") else {
        return;
    };
    if file_config(&s, "0").is_none() {
        return;
    }
    // Another type's entry and a revocation without a type tag: cache:clean config leaves them.
    let dir = cache_dir(&s);
    symfony_file_entry(
        &dir,
        P,
        "LAYOUT_X",
        b"x",
        &["LAYOUT_GENERAL_CACHE_TAG", "MAGE"],
        NOW,
        None,
    )
    .unwrap();
    symfony_file_entry(
        &dir,
        P,
        "JWT_USER_TOKEN_REVOKED_2_1",
        b"1700000000",
        &["MAGE"],
        NOW,
        Some(3600),
    )
    .unwrap();
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
    let f = out.finding("config-cache-stale").to_string();
    assert!(
        f.contains("oauth/consumer/enable_integration_as_bearer")
            && f.contains(&format!("{P}:SYSTEM_DEFAULT")),
        "{f}"
    );
    let config_file = symfony_file_path(&dir, P, "SYSTEM_DEFAULT").unwrap();
    assert!(config_file.is_file());
    let clean = s.run(&["cache:clean", "config"]).expect_exit(0);
    assert_eq!(clean.doc()["types"][0]["entries"], 1, "{}", clean.doc());
    assert!(!config_file.exists());
    assert!(symfony_file_path(&dir, P, "LAYOUT_X").unwrap().is_file());
    assert!(
        symfony_file_path(&dir, P, "JWT_USER_TOKEN_REVOKED_2_1")
            .unwrap()
            .is_file()
    );
    // The index as Magento's FilesystemTagAdapter leaves it: the id gone from its tags' files
    // (CONFIG and CONFIG_SCOPES left empty, so removed) and its reverse entry removed.
    assert!(!dir.join("tags/CONFIG").exists());
    assert!(!dir.join("tags/CONFIG_SCOPES").exists());
    assert!(!dir.join("idtags/SYSTEM_DEFAULT").exists());
    let mage = std::fs::read_to_string(dir.join("tags/MAGE")).unwrap();
    assert!(!mage.contains("SYSTEM_DEFAULT\n"), "{mage}");
    assert!(mage.contains("LAYOUT_X\n"), "{mage}");
    // core_cache_invalidate re-saved as TypeList does (tag MAGE, no prefix in the key).
    assert!(
        symfony_file_path(&dir, P, "CORE_CACHE_INVALIDATE")
            .unwrap()
            .is_file()
    );
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_code("config-cache-stale")
        .expect_no_error();
    // Flush: every entry of the namespace and the tag index; foreign files stay.
    std::fs::write(dir.join("keep.txt"), "x").unwrap();
    s.run(&["cache:flush"]).expect_exit(0);
    assert!(!symfony_file_path(&dir, P, "LAYOUT_X").unwrap().exists());
    assert!(
        !symfony_file_path(&dir, P, "JWT_USER_TOKEN_REVOKED_2_1")
            .unwrap()
            .exists()
    );
    assert!(!dir.join("tags/MAGE").exists());
    assert!(
        std::fs::read_dir(dir.join("idtags"))
            .unwrap()
            .next()
            .is_none()
    );
    assert!(dir.join("keep.txt").is_file());
}

fn redis_symfony_store(r: &Redis, backend: &str) -> Option<Scenario> {
    let s = symfony_store(backend)?;
    s.env(
        "cache/frontend/default/backend_options",
        Php::from_json(&serde_json::json!({
            "server": "127.0.0.1",
            "port": r.port.to_string(),
            "database": "2",
            "password": crate::lab::cache::REDIS_PASSWORD,
        })),
    );
    Some(s)
}

#[test]
fn symfony_redis_cache_stale_healthy_clean_and_flush() {
    let Some(r) = redis() else { return };
    let Some(s) = redis_symfony_store(&r, "valkey") else {
        return;
    };
    let Some(fresh) = payload(&s, "1") else {
        return;
    };
    r.symfony_entry(
        2,
        P,
        "SYSTEM_DEFAULT",
        fresh.as_bytes(),
        &["CONFIG", "MAGE"],
        NOW,
        None,
    )
    .unwrap();
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_error()
        .expect_no_code("config-cache-stale");
    let stale = payload(&s, "0").unwrap();
    r.symfony_entry(
        2,
        P,
        "SYSTEM_DEFAULT",
        stale.as_bytes(),
        &["CONFIG", "MAGE"],
        NOW,
        None,
    )
    .unwrap();
    r.symfony_entry(
        2,
        P,
        "LAYOUT_X",
        b"x",
        &["LAYOUT_GENERAL_CACHE_TAG", "MAGE"],
        NOW,
        Some(600),
    )
    .unwrap();
    r.set(2, "sess_abc", "a session");
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
    assert!(
        out.finding("config-cache-stale")
            .to_string()
            .contains(&format!("{P}:SYSTEM_DEFAULT"))
    );
    s.run(&["cache:clean", "config"]).expect_exit(0);
    let keys = r.keys(2);
    let want: Vec<String> = [
        format!("{P}:CORE_CACHE_INVALIDATE"),
        format!("{P}:LAYOUT_X"),
        "cache:all_ids".to_string(),
        format!("cache:id_tags:{P}CORE_CACHE_INVALIDATE"),
        format!("cache:id_tags:{P}LAYOUT_X"),
        format!("cache:tags:{P}LAYOUT_GENERAL_CACHE_TAG"),
        format!("cache:tags:{P}MAGE"),
        "sess_abc".to_string(),
    ]
    .into_iter()
    .collect();
    assert_eq!(keys, want);
    let mut c = r.conn(2);
    let mage: Vec<String> = redis::cmd("SMEMBERS")
        .arg(format!("cache:tags:{P}MAGE"))
        .query(&mut c)
        .unwrap();
    assert!(!mage.contains(&"SYSTEM_DEFAULT".to_string()), "{mage:?}");
    // Flush without --force: the Symfony pool clears its namespace only (no FLUSHDB), so the
    // session key stays.
    s.run(&["cache:flush"]).expect_exit(0);
    assert_eq!(r.keys(2), vec!["sess_abc".to_string()]);
}

/// With PHP's igbinary extension loaded, Magento's provider marshals Redis values with
/// `igbinary_serialize()`: read the same.
#[test]
fn symfony_redis_values_marshalled_with_igbinary() {
    let Some(r) = redis() else { return };
    let Some(s) = redis_symfony_store(&r, "redis") else {
        return;
    };
    let Some(stale) = payload(&s, "0") else {
        return;
    };
    if r.symfony_entry_igbinary(
        2,
        P,
        "SYSTEM_DEFAULT",
        stale.as_bytes(),
        &["CONFIG", "MAGE"],
        NOW,
        None,
    )
    .is_none()
    {
        return;
    }
    let raw: Vec<u8> = redis::cmd("GET")
        .arg(format!("{P}:SYSTEM_DEFAULT"))
        .query(&mut r.conn(2))
        .unwrap();
    assert!(raw.starts_with(b"\x00\x00\x00\x02"), "igbinary header");
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
}

/// FastStorageRevokedWrapper's cached revoke_before (tag MAGE only, lifetime = the token's) on
/// the Symfony file cache decides after the row is gone; `cache:clean` leaves it, `cache:flush`
/// removes it.
#[test]
fn cached_revocation_in_the_symfony_file_cache() {
    let Some(s) = symfony_store("file") else {
        return;
    };
    if symfony_file_entry(
        &cache_dir(&s),
        P,
        "JWT_USER_TOKEN_REVOKED_2_1",
        (NOW - 100).to_string().as_bytes(),
        &["MAGE"],
        NOW - 100,
        Some(7200),
    )
    .is_none()
    {
        return;
    }
    let call = || s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()]);
    let out = call().expect_root_cause("jwt-revoked").expect_exit(1);
    let f = out.finding("jwt-revoked").to_string();
    assert!(
        f.contains(&format!("cache:{P}:JWT_USER_TOKEN_REVOKED_2_1")) && f.contains("cache:flush"),
        "{f}"
    );
    s.run(&["cache:clean"]).expect_exit(0);
    call().expect_root_cause("jwt-revoked");
    s.run(&["cache:flush"]).expect_exit(0);
    call().expect_no_code("jwt-revoked").expect_no_error();
}

/// The cached ACL rules on the Symfony file cache: `acl:grant --apply` makes them stale,
/// `cache:clean config` (tags CONFIG + MAGE) removes them.
#[test]
fn acl_cache_stale_in_the_symfony_file_cache() {
    const ERP_TOKEN: &str = "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g";
    let Some(s) = bare_symfony_store("file") else {
        return;
    };
    s.integration(1, "ERP", ERP_TOKEN)
        .bearer()
        .role(10, 0, "U", 1, "1", "11");
    for (res, perm) in [
        ("Magento_Backend::admin", "allow"),
        ("Magento_Catalog::catalog", "allow"),
        ("Magento_Catalog::catalog_inventory", "allow"),
        ("Magento_Catalog::products", "deny"),
    ] {
        s.rule(10, res, perm);
    }
    let acl = crate::lab::cache::acl_rules_json(s.db());
    if symfony_file_entry(
        &cache_dir(&s),
        P,
        "AUTHORIZATION_RULE_CACHED_DATA",
        acl.as_bytes(),
        &["ACL_CACHE", "CONFIG", "MAGE"],
        NOW - 3600,
        None,
    )
    .is_none()
    {
        return;
    }
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", ERP_TOKEN])
        .expect_no_code("acl-cache-stale");
    s.run(&[
        "acl:grant",
        "--integration",
        "ERP",
        "--resource",
        "Magento_Catalog::products",
        "--apply",
    ])
    .expect_exit(0);
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", ERP_TOKEN])
        .expect_code("acl-cache-stale");
    assert!(
        out.finding("acl-cache-stale")
            .to_string()
            .contains(&format!("cache:{P}:AUTHORIZATION_RULE_CACHED_DATA"))
    );
    s.run(&["cache:clean", "config"]).expect_exit(0);
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", ERP_TOKEN])
        .expect_no_code("acl-cache-stale")
        .expect_no_error()
        .expect_exit(0);
}

/// `compress_data` on: the `Compression` decorator stores `CACHE_COMPRESSION` + gzcompress() of
/// data over the threshold, inside Magento's wrapper (made by PHP here).
#[test]
fn compressed_symfony_file_entry_is_read() {
    let Some(s) = symfony_store("file") else {
        return;
    };
    s.env("cache/frontend/default/backend_options/compress_data", "1");
    let Some(stale) = payload(&s, "0") else {
        return;
    };
    let Some(hex) = crate::lab::php(&format!(
        "echo bin2hex('CACHE_COMPRESSION' . gzcompress({}, 6));",
        crate::lab::php_quote(&stale)
    )) else {
        return;
    };
    let data = crate::lab::cache::unhex(hex.trim());
    symfony_file_entry(
        &cache_dir(&s),
        P,
        "SYSTEM_DEFAULT",
        &data,
        &["CONFIG", "MAGE"],
        NOW,
        None,
    )
    .unwrap();
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
}

/// Without the framework's Symfony layer (2.4.8 and older), `file` and `redis` are still
/// `Cm_Cache_Backend_File` (the factory's fallback): the legacy layout is read, not the Symfony
/// one; and 2.4.9's `symfony_l2` is named as a backend m2auth does not read.
#[test]
fn file_backend_without_the_layer_is_the_legacy_layout() {
    let Some(s) = store() else { return };
    s.env("cache/frontend/default/id_prefix", P);
    s.env("cache/frontend/default/backend", "file");
    s.config("oauth/consumer/enable_integration_as_bearer", "1");
    let Some(stale) = payload(&s, "0") else {
        return;
    };
    let dir = cache_dir(&s);
    crate::lab::cache::file_entry(
        &dir,
        &format!("{P}SYSTEM_DEFAULT"),
        stale.as_bytes(),
        &[&format!("{P}CONFIG"), &format!("{P}MAGE")],
        NOW,
        None,
    )
    .unwrap();
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
    // `redis` is no backend class before 2.4.9 either: the file backend again.
    s.env("cache/frontend/default/backend", "redis");
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
    s.file(SYMFONY_LAYER_FILE, "<?php\n");
    s.env("cache/frontend/default/backend", "symfony_l2");
    let out = s.run(&["cache:status"]);
    assert!(
        out.doc().to_string().contains("symfony_l2"),
        "{}",
        out.doc()
    );
}

/// Symfony file-cache folders left by root (a `sudo bin/magento`) while the store's files belong
/// to another user: `cache-not-writable`, as for the legacy file backend.
#[test]
fn symfony_file_cache_not_writable() {
    let Some(s) = symfony_store("file") else {
        return;
    };
    if file_config(&s, "1").is_none() {
        return;
    }
    // The store's files belong to uid 4242; the cache folders (written here) to this user.
    let etc = s.root().join("app/etc");
    s.run(&["info"]);
    if rustix::process::geteuid().as_raw() != 0
        || std::os::unix::fs::chown(&etc, Some(4242), Some(4242)).is_err()
    {
        eprintln!("skipped: needs root to give app/etc to another user");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let ns = cache_dir(&s).join(P);
    std::fs::set_permissions(&ns, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("cache-not-writable");
    assert!(
        out.finding("cache-not-writable")
            .to_string()
            .contains(&format!("var/cache/{P}")),
        "{}",
        out.finding("cache-not-writable")
    );
}
