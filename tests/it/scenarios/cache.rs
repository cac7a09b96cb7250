//! Step 4, the cache: the store's real cache storage (files written by PHP in
//! `Cm_Cache_Backend_File`'s layout, or a private redis-server holding `Cm_Cache_Backend_Redis`
//! keys), stale and fresh, compared with the database; then `cache:clean` / `cache:flush` and
//! their effect entry by entry and key by key.

use std::path::PathBuf;

use super::{NOW, store};
use crate::lab::cache::{
    Redis, acl_rules_json, file_entry, php_config_payload, php_gz, redis, redis_tls,
};
use crate::lab::fixture::Php;
use crate::lab::scenario::{Outcome, Scenario, jwt};

/// The id prefix the scenario stores' env.php sets (as `setup:install` writes one).
const P: &str = "a6b_";
const ERP_TOKEN: &str = "at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g";

fn admin_jwt() -> String {
    jwt(1, 2, NOW - 600, NOW + 3000)
}

fn cache_dir(s: &Scenario) -> PathBuf {
    s.root().join("var/cache")
}

/// A store whose default cache frontend is the file backend with prefix [`P`].
fn file_store() -> Option<Scenario> {
    let s = store()?;
    s.env("cache/frontend/default/id_prefix", P);
    std::fs::create_dir_all(s.root().join("var/cache")).unwrap();
    Some(s)
}

/// A store whose default frontend is `Magento\Framework\Cache\Backend\Redis` on `r` (TCP,
/// password, database 1, gzip compression).
fn redis_store(r: &Redis) -> Option<Scenario> {
    let s = store()?;
    s.env("cache/frontend/default/id_prefix", P);
    s.env(
        "cache/frontend/default/backend",
        "Magento\\Framework\\Cache\\Backend\\Redis",
    );
    s.env(
        "cache/frontend/default/backend_options",
        Php::from_json(&r.tcp_options(1)),
    );
    Some(s)
}

/// The default scope as Magento caches it: every default row of core_config_data as a tree,
/// then `overrides` (path → value) on top: what the cache held before the rows changed.
fn config_tree(s: &Scenario, overrides: &[(&str, &str)]) -> serde_json::Value {
    let rows = s.db().query(&format!(
        "SELECT path, value FROM {} WHERE scope = 'default'",
        s.db().table("core_config_data")
    ));
    let mut tree = serde_json::json!({});
    let pairs = rows
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap_or_default()))
        .chain(
            overrides
                .iter()
                .map(|(p, v)| (p.to_string(), v.to_string())),
        );
    for (path, value) in pairs {
        let mut cur = &mut tree;
        let segs: Vec<&str> = path.split('/').collect();
        for seg in &segs[..segs.len() - 1] {
            cur = cur
                .as_object_mut()
                .unwrap()
                .entry(seg.to_string())
                .or_insert_with(|| serde_json::json!({}));
        }
        cur[segs[segs.len() - 1]] = value.into();
    }
    tree
}

/// The cached `system_default` with the bearer flag at `bearer` (file backend).
fn file_config(s: &Scenario, bearer: &str) -> Option<()> {
    let payload = php_config_payload(&config_tree(
        s,
        &[("oauth/consumer/enable_integration_as_bearer", bearer)],
    ))?;
    let tags = [
        format!("{P}CONFIG"),
        format!("{P}CONFIG_SCOPES"),
        format!("{P}MAGE"),
    ];
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    file_entry(
        &cache_dir(s),
        &format!("{P}SYSTEM_DEFAULT"),
        payload.as_bytes(),
        &tags,
        NOW - 3600,
        None,
    )
}

fn file_acl(s: &Scenario) -> Option<()> {
    let json = acl_rules_json(s.db());
    file_entry(
        &cache_dir(s),
        &format!("{P}AUTHORIZATION_RULE_CACHED_DATA"),
        json.as_bytes(),
        &[
            &format!("{P}ACL_CACHE"),
            &format!("{P}CONFIG"),
            &format!("{P}MAGE"),
        ],
        NOW - 3600,
        None,
    )
}

fn config_rows(s: &Scenario) -> &Scenario {
    s.config("oauth/consumer/enable_integration_as_bearer", "1")
        .config("webapi/jwtauth/admin_expiration", "240")
        .config("web/secure/use_in_adminhtml", "1");
    s
}

#[test]
fn healthy_cache_has_no_step_4_finding() {
    let Some(s) = file_store() else { return };
    config_rows(&s);
    if file_config(&s, "1").is_none() || file_acl(&s).is_none() {
        return;
    }
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_error()
        .expect_no_code("config-cache-stale")
        .expect_no_code("acl-cache-stale")
        .expect_no_code("cache-type-disabled")
        .expect_no_code("cache-not-writable")
        .expect_exit(0);
}

#[test]
fn healthy_redis_cache_over_a_unix_socket() {
    let Some(r) = redis() else { return };
    let Some(s) = store() else { return };
    s.env("cache/frontend/default/id_prefix", P);
    s.env("cache/frontend/default/backend", "Cm_Cache_Backend_Redis");
    s.env(
        "cache/frontend/default/backend_options",
        Php::from_json(&r.socket_options(3)),
    );
    config_rows(&s);
    let Some(payload) = php_config_payload(&config_tree(&s, &[])) else {
        return;
    };
    r.entry(
        3,
        &format!("{P}SYSTEM_DEFAULT"),
        payload.as_bytes(),
        &[&format!("{P}CONFIG"), &format!("{P}MAGE")],
        NOW,
        None,
    );
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_error()
        .expect_no_code("config-cache-stale")
        .expect_no_code("cache-not-writable");
}

/// A `tls://` Redis server (ElastiCache in-transit encryption, a stunnel): read over TLS with the
/// certificate checked against the system's roots — here the lab CA through `SSL_CERT_FILE`, as
/// OpenSSL (and so PHP) honours it too. Without the CA the certificate is refused, with the reason.
#[test]
fn stale_config_read_from_redis_over_tls() {
    let Some(r) = redis_tls() else { return };
    let Some(s) = store() else { return };
    s.env("cache/frontend/default/id_prefix", P);
    s.env("cache/frontend/default/backend", "Cm_Cache_Backend_Redis");
    s.env(
        "cache/frontend/default/backend_options",
        Php::from_json(&r.tls_options(4)),
    );
    config_rows(&s);
    let Some(payload) = php_config_payload(&config_tree(
        &s,
        &[("oauth/consumer/enable_integration_as_bearer", "0")],
    )) else {
        return;
    };
    r.entry(
        4,
        &format!("{P}SYSTEM_DEFAULT"),
        payload.as_bytes(),
        &[&format!("{P}CONFIG"), &format!("{P}MAGE")],
        NOW,
        None,
    );
    // Writes env.php and config.php.
    s.run(&["info"]);
    let ca = std::env::var("M2AUTH_LAB_TLS_CA").unwrap();
    let root = s.root().to_str().unwrap().to_string();
    let token = admin_jwt();
    let args = [
        "diagnose",
        "--root",
        &root,
        "--offline",
        "--format",
        "json",
        "--now",
        &crate::lab::scenario::at(NOW),
        "--request",
        "GET /V1/products/abc",
        "--token",
        &token,
    ];
    let run = |ca: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_m2auth"));
        c.args(args).env("NO_COLOR", "1").env_remove("SSL_CERT_DIR");
        match ca {
            Some(ca) => c.env("SSL_CERT_FILE", ca),
            None => c.env("SSL_CERT_FILE", "/nonexistent-m2auth-ca.pem"),
        };
        let out = c.output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        doc
    };
    let doc = run(Some(&ca));
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"config-cache-stale"), "{doc:#}");
    assert!(!codes.contains(&"cache-not-writable"), "{doc:#}");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "config-cache-stale")
        .unwrap();
    assert!(
        f.to_string()
            .contains("oauth/consumer/enable_integration_as_bearer"),
        "{f}"
    );
    assert!(
        !doc.to_string().contains(crate::lab::cache::REDIS_PASSWORD),
        "{doc:#}"
    );
    // No trusted CA: the cache cannot be read, and the output says why.
    let doc = run(None);
    assert!(!doc.to_string().contains("config-cache-stale"), "{doc:#}");
    assert!(doc.to_string().contains("tls://127.0.0.1"), "{doc:#}");
}

/// A cached scope tree (`system_websites_base`, file backend) built from the default rows plus
/// `overrides`.
fn file_scope_config(s: &Scenario, id: &str, overrides: &[(&str, &str)]) -> Option<()> {
    let payload = php_config_payload(&config_tree(s, overrides))?;
    let tags = [format!("{P}CONFIG"), format!("{P}MAGE")];
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    file_entry(
        &cache_dir(s),
        &format!("{P}{id}"),
        payload.as_bytes(),
        &tags,
        NOW - 3600,
        None,
    )
}

/// Website and store-view trees are cached apart (`SYSTEM_WEBSITES_<CODE>`,
/// `SYSTEM_STORES_<CODE>`): a website-scope row changed after caching is stale there only; a
/// default changed after caching is stale in every tree, reported once with its scopes.
#[test]
fn config_cache_stale_at_website_scope() {
    let Some(s) = file_store() else { return };
    config_rows(&s);
    s.config_scoped("webapi/jwtauth/admin_expiration", "websites", 1, "60");
    if file_config(&s, "1").is_none()
        || file_acl(&s).is_none()
        || file_scope_config(&s, "SYSTEM_WEBSITES_BASE", &[]).is_none()
    {
        return;
    }
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
    let f = out.finding("config-cache-stale").to_string();
    assert!(
        f.contains("webapi/jwtauth/admin_expiration (scope websites/base)")
            && f.contains(&format!("cache:{P}SYSTEM_WEBSITES_BASE"))
            && f.contains("= 240")
            && f.contains("say 60"),
        "{f}"
    );
    // The website's tree as Magento rebuilds it: nothing stale.
    file_scope_config(
        &s,
        "SYSTEM_WEBSITES_BASE",
        &[("webapi/jwtauth/admin_expiration", "60")],
    )
    .unwrap();
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_code("config-cache-stale")
        .expect_no_error();
    // A default changed after caching: stale in both trees, one finding naming both.
    file_config(&s, "0").unwrap();
    file_scope_config(
        &s,
        "SYSTEM_WEBSITES_BASE",
        &[
            ("webapi/jwtauth/admin_expiration", "60"),
            ("oauth/consumer/enable_integration_as_bearer", "0"),
        ],
    )
    .unwrap();
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
    let stale: Vec<&serde_json::Value> = out.doc()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "config-cache-stale")
        .collect();
    assert_eq!(stale.len(), 1, "{:#}", out.doc());
    assert!(
        stale[0]["title"]
            .as_str()
            .unwrap()
            .contains("(scopes default, websites/base)"),
        "{}",
        stale[0]
    );
}

#[test]
fn config_cache_stale_then_cache_clean_config() {
    let Some(s) = file_store() else { return };
    config_rows(&s);
    if file_config(&s, "0").is_none() || file_acl(&s).is_none() {
        return;
    }
    // An entry of another type and an untagged one: cache:clean config leaves them.
    file_entry(
        &cache_dir(&s),
        &format!("{P}LAYOUT_X"),
        b"layout",
        &[&format!("{P}LAYOUT_GENERAL_CACHE_TAG"), &format!("{P}MAGE")],
        NOW,
        None,
    )
    .unwrap();
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale")
        .expect_severity("config-cache-stale", "warning");
    let f = out.finding("config-cache-stale");
    let text = f.to_string();
    assert!(
        text.contains("oauth/consumer/enable_integration_as_bearer")
            && text.contains(&format!("cache:{P}SYSTEM_DEFAULT"))
            && text.contains("m2auth cache:clean config"),
        "{f}"
    );
    let clean = s.run(&["cache:clean", "config"]).expect_exit(0);
    assert_eq!(clean.doc()["types"][0]["entries"], 2, "{}", clean.doc());
    // What bin/magento leaves: the config entries gone, the others there, and
    // core_cache_invalidate (re)written with the MAGE tag.
    let data = |id: &str| {
        let h = md5_last(&format!("{P}{id}"));
        cache_dir(&s).join(format!("mage--{h}/mage---{P}{id}"))
    };
    assert!(!data("SYSTEM_DEFAULT").exists());
    assert!(!data("AUTHORIZATION_RULE_CACHED_DATA").exists());
    assert!(data("LAYOUT_X").exists());
    let inv = std::fs::read_to_string(data("CORE_CACHE_INVALIDATE")).unwrap();
    assert!(
        inv.ends_with(&format!("s:8:\"{P}MAGE\";}}\n[]")),
        "core_cache_invalidate: {inv:?}"
    );
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_code("config-cache-stale")
        .expect_no_error();
}

fn md5_last(s: &str) -> char {
    use md5::{Digest, Md5};
    format!("{:x}", Md5::digest(s.as_bytes())).pop().unwrap()
}

#[test]
fn config_cache_stale_on_redis_with_gzip() {
    let Some(r) = redis() else { return };
    let Some(s) = redis_store(&r) else { return };
    config_rows(&s);
    let pad = "x".repeat(30_000);
    let Some(payload) = php_config_payload(&config_tree(
        &s,
        &[
            ("oauth/consumer/enable_integration_as_bearer", "0"),
            ("design/pad/x", &pad),
        ],
    )) else {
        return;
    };
    let Some(gz) = php_gz(payload.as_bytes()) else {
        return;
    };
    r.entry(
        1,
        &format!("{P}SYSTEM_DEFAULT"),
        &gz,
        &[
            &format!("{P}CONFIG"),
            &format!("{P}CONFIG_SCOPES"),
            &format!("{P}MAGE"),
        ],
        NOW,
        None,
    );
    r.entry(
        1,
        &format!("{P}EAV_X"),
        b"eav",
        &[&format!("{P}EAV"), &format!("{P}MAGE")],
        NOW,
        None,
    );
    r.set(1, "sess_abc", "a session");
    r.set(2, "other", "another store's db");
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("config-cache-stale");
    s.run(&["cache:clean", "config"]).expect_exit(0);
    // matchingTag: the entry's key gone, the tag sets and zc:tags left as the library leaves them.
    let keys = r.keys(1);
    assert!(
        !keys.contains(&format!("zc:k:{P}SYSTEM_DEFAULT")),
        "{keys:?}"
    );
    assert!(keys.contains(&format!("zc:k:{P}EAV_X")), "{keys:?}");
    assert!(keys.contains(&format!("zc:ti:{P}CONFIG")), "{keys:?}");
    assert!(
        keys.contains(&format!("zc:k:{P}CORE_CACHE_INVALIDATE")),
        "{keys:?}"
    );
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_code("config-cache-stale");
    // cache:flush refuses while the database holds a session, then FLUSHDB with --force:
    // database 1 empty, database 2 untouched.
    let root = s.root().to_str().unwrap().to_string();
    let refused = crate::lab::m2auth(&["cache:flush", "--root", &root], s.root());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("sess_abc"), "{stderr}");
    assert!(r.keys(1).contains(&"sess_abc".to_string()));
    s.run(&["cache:flush", "--force"]).expect_exit(0);
    assert!(r.keys(1).is_empty(), "{:?}", r.keys(1));
    assert_eq!(r.keys(2), vec!["other".to_string()]);
}

#[test]
fn acl_cache_stale_after_acl_grant_then_cache_clean() {
    let Some(s) = file_store() else { return };
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
    // The running store has cached the ACL as it is now.
    if file_acl(&s).is_none() {
        return;
    }
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", ERP_TOKEN])
        .expect_root_cause("acl-resource-missing")
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
    let f = out.finding("acl-cache-stale").to_string();
    assert!(
        f.contains("Magento_Catalog::products: cached denied, database allowed")
            && f.contains(&format!("cache:{P}AUTHORIZATION_RULE_CACHED_DATA")),
        "{f}"
    );
    // acl:check gives the database's verdict, and says the running store answers the cached one.
    let check = s
        .run(&[
            "acl:check",
            "--request",
            "GET /V1/products/abc",
            "--token",
            ERP_TOKEN,
        ])
        .expect_code("acl-cache-stale")
        .expect_exit(0);
    let f = check.finding("acl-cache-stale").to_string();
    assert!(
        f.contains("Magento_Catalog::products is denied in the cache but allowed in the database"),
        "{f}"
    );
    s.run(&["cache:clean", "config"]).expect_exit(0);
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", ERP_TOKEN])
        .expect_no_code("acl-cache-stale")
        .expect_no_error()
        .expect_exit(0);
    s.run(&[
        "acl:check",
        "--request",
        "GET /V1/products/abc",
        "--token",
        ERP_TOKEN,
    ])
    .expect_no_code("acl-cache-stale")
    .expect_exit(0);
}

#[test]
fn cache_type_disabled() {
    let Some(s) = file_store() else { return };
    s.env("cache_types/config", 0i64);
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("cache-type-disabled")
        .expect_severity("cache-type-disabled", "info")
        .expect_no_error();
    // A disabled type is left alone by cache:clean, as AccessProxy does.
    let out = s.run(&["cache:clean", "config"]).expect_exit(0);
    assert_eq!(out.doc()["types"][0]["enabled"], false, "{}", out.doc());
}

#[test]
fn cache_not_writable_when_redis_refuses_the_password() {
    let Some(r) = redis() else { return };
    let Some(s) = redis_store(&r) else { return };
    let mut opts = r.tcp_options(1);
    opts["password"] = "wrong-password".into();
    s.env(
        "cache/frontend/default/backend_options",
        Php::from_json(&opts),
    );
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("cache-not-writable");
    let f = out.finding("cache-not-writable").to_string();
    assert!(!f.contains("wrong-password"), "the password is masked: {f}");
}

#[test]
fn cached_revocation_decides_after_the_row_is_deleted() {
    let Some(s) = file_store() else { return };
    // FastStorageRevokedWrapper cached revoke_before for admin 1 (lifetime = token lifetime,
    // no type tag); the jwt_auth_revoked row was deleted since.
    file_entry(
        &cache_dir(&s),
        &format!("{P}JWT_USER_TOKEN_REVOKED_2_1"),
        (NOW - 100).to_string().as_bytes(),
        &[&format!("{P}MAGE")],
        NOW - 100,
        Some(NOW + 3600),
    )
    .unwrap();
    let call = || s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()]);
    let out = call().expect_root_cause("jwt-revoked").expect_exit(1);
    let f = out.finding("jwt-revoked").to_string();
    assert!(
        f.contains(&format!("cache:{P}JWT_USER_TOKEN_REVOKED_2_1")) && f.contains("cache:flush"),
        "{f}"
    );
    // cache:clean of every type leaves it (no type tag); cache:flush removes it.
    s.run(&["cache:clean"]).expect_exit(0);
    call().expect_root_cause("jwt-revoked");
    s.run(&["cache:flush"]).expect_exit(0);
    call().expect_no_code("jwt-revoked").expect_no_error();
    // A flush leaves mage-tags/ and foreign files, as the library does.
    assert!(cache_dir(&s).join("mage-tags").is_dir());
}

#[test]
fn fix_cleans_exactly_the_stale_types() {
    let Some(s) = file_store() else { return };
    config_rows(&s);
    if file_config(&s, "0").is_none() {
        return;
    }
    file_entry(
        &cache_dir(&s),
        &format!("{P}LAYOUT_X"),
        b"layout",
        &[&format!("{P}LAYOUT_GENERAL_CACHE_TAG"), &format!("{P}MAGE")],
        NOW,
        None,
    )
    .unwrap();
    let req = [
        "--request",
        "GET /V1/products/abc",
        "--token",
        &admin_jwt(),
        "--offline",
    ];
    let mut args = vec!["fix"];
    args.extend_from_slice(&req);
    let plan = s.run(&args).expect_exit(0);
    assert_eq!(
        plan.doc()["cache_clean"],
        serde_json::json!(["config"]),
        "{}",
        plan.doc()
    );
    let status = s.run(&["cache:status"]).expect_exit(0);
    let count = |doc: &serde_json::Value, t: &str| {
        doc["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == t)
            .unwrap()["entries"]
            .clone()
    };
    assert_eq!(count(status.doc(), "config"), 1, "{}", status.doc());
    assert_eq!(count(status.doc(), "layout"), 1, "{}", status.doc());
    args.push("--apply");
    let applied = s.run(&args).expect_exit(0);
    assert_eq!(applied.doc()["cache_cleaned"], true, "{}", applied.doc());
    let status = s.run(&["cache:status"]).expect_exit(0);
    assert_eq!(count(status.doc(), "config"), 0, "{}", status.doc());
    assert_eq!(count(status.doc(), "layout"), 1, "{}", status.doc());
    let info = s.run(&["info"]).expect_exit(0);
    assert_eq!(
        info.doc()["cache"]["default"]["entries"],
        2,
        "{}",
        info.doc()
    );
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_code("config-cache-stale");
}

fn file_webapi(s: &Scenario, drop: &[&str]) -> Option<()> {
    let json = crate::lab::cache::php_webapi_config(s.root(), drop)?;
    file_entry(
        &cache_dir(s),
        &format!("{P}WEBAPI_CONFIG"),
        json.as_bytes(),
        &[&format!("{P}WEBSERVICE"), &format!("{P}MAGE")],
        NOW,
        None,
    )
}

#[test]
fn healthy_cached_route_map() {
    let Some(s) = file_store() else { return };
    if file_webapi(&s, &[]).is_none() {
        return;
    }
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_code("webapi-cache-stale")
        .expect_no_error();
}

#[test]
fn webapi_cache_stale_after_a_deploy() {
    let Some(s) = file_store() else { return };
    // The map was cached before the products route existed.
    if file_webapi(&s, &["GET /V1/products/:sku"]).is_none() {
        return;
    }
    let out = s
        .diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_code("webapi-cache-stale");
    let f = out.finding("webapi-cache-stale").to_string();
    assert!(
        f.contains("GET /V1/products/:sku added")
            && f.contains(&format!("cache:{P}WEBAPI_CONFIG"))
            && f.contains("m2auth cache:clean config_webservice"),
        "{f}"
    );
    s.run(&["cache:clean", "config_webservice"]).expect_exit(0);
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
        .expect_no_code("webapi-cache-stale");
}

/// `m2auth ARGS --root R --format json` without rewriting the store's files (the scenario's
/// `run` writes env.php from its spec first).
fn run_as_is(s: &Scenario, args: &[&str]) -> (i32, serde_json::Value) {
    let root = s.root().to_str().unwrap().to_string();
    let mut all = args.to_vec();
    all.extend_from_slice(&["--root", &root, "--format", "json"]);
    let (code, doc, _) = crate::lab::report::run_json_doc(&all, s.root());
    (code, doc)
}

#[test]
fn cache_enable_and_disable_write_env_php_journaled() {
    let Some(s) = file_store() else { return };
    s.run(&["cache:status"]).expect_exit(0);
    let env = s.root().join("app/etc/env.php");
    let before = std::fs::read_to_string(&env).unwrap();
    let (code, plan) = run_as_is(&s, &["cache:disable", "config"]);
    assert_eq!(code, 0, "{plan}");
    assert_eq!(
        std::fs::read_to_string(&env).unwrap(),
        before,
        "a plan writes nothing"
    );
    let (code, done) = run_as_is(&s, &["cache:disable", "config", "--apply"]);
    assert_eq!((code, done["applied"].clone()), (0, true.into()), "{done}");
    let after = std::fs::read_to_string(&env).unwrap();
    assert!(after.contains("'config' => 0,"), "{after}");
    let changed: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "only the config line changes: {changed:?}"
    );
    let (_, status) = run_as_is(&s, &["cache:status"]);
    let config = status["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "config")
        .unwrap();
    assert_eq!(config["enabled"], false, "{status}");
    // A type env.php does not list is added; then undo restores the file.
    let (code, done) = run_as_is(
        &s,
        &[
            "cache:enable",
            "config",
            "graphql_query_resolver_result",
            "--apply",
        ],
    );
    assert_eq!(code, 0, "{done}");
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(
        text.contains("'config' => 1,") && text.contains("'graphql_query_resolver_result' => 1,"),
        "{text}"
    );
    let (code, _) = run_as_is(&s, &["undo", "--apply"]);
    let (code2, _) = run_as_is(&s, &["undo", "--apply"]);
    assert_eq!((code, code2), (0, 0));
    assert_eq!(std::fs::read_to_string(&env).unwrap(), before);
    let root = s.root().to_str().unwrap().to_string();
    let out = crate::lab::m2auth(&["cache:enable", "nope", "--root", &root], s.root());
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

// --- sessions and cookies -----------------------------------------------------------------

fn chmod(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn admin_request(s: &Scenario) -> Outcome {
    s.diagnose(&["--request", "GET /V1/products/abc", "--token", &admin_jwt()])
}

#[test]
fn session_storage_unwritable_files() {
    let Some(s) = store() else { return };
    // env.php's save_path: a folder nobody but root may write (mode bits alone decide).
    let dir = s.root().join("sessions");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o555);
    s.env("session/save_path", dir.to_str().unwrap());
    let out = admin_request(&s)
        .expect_code("session-storage-unwritable")
        .expect_severity("session-storage-unwritable", "warning");
    let f = out.finding("session-storage-unwritable").to_string();
    assert!(
        f.contains("file:app/etc/env.php:")
            && f.contains(dir.to_str().unwrap())
            && f.contains("mode 555")
            && f.contains("chown -R"),
        "{f}"
    );
    // A save_path that does not exist: PHP's files handler does not create it.
    std::fs::remove_dir(&dir).unwrap();
    let out = admin_request(&s).expect_code("session-storage-unwritable");
    let f = out.finding("session-storage-unwritable").to_string();
    assert!(
        f.contains("does not exist") && f.contains("mkdir -p"),
        "{f}"
    );
    // Magento's own var/session when env.php sets no save_path.
    s.env_remove("session/save_path");
    let var_session = s.root().join("var/session");
    std::fs::create_dir_all(&var_session).unwrap();
    chmod(&var_session, 0o500);
    let out = admin_request(&s).expect_code("session-storage-unwritable");
    assert!(
        out.finding("session-storage-unwritable")
            .to_string()
            .contains("var/session"),
    );
    chmod(&var_session, 0o2770);
}

#[test]
fn session_storage_unwritable_redis() {
    let Some(r) = redis() else { return };
    let Some(s) = store() else { return };
    let mut session = serde_json::json!({
        "save": "redis",
        "redis": {
            "host": "127.0.0.1",
            "port": r.port.to_string(),
            "password": "wrong-password",
            "timeout": "2.5",
            "database": "2",
        }
    });
    s.env("session", Php::from_json(&session));
    let out = admin_request(&s).expect_code("session-storage-unwritable");
    let f = out.finding("session-storage-unwritable").to_string();
    assert!(
        f.contains(&format!("127.0.0.1:{} db 2", r.port)) && f.contains("file:app/etc/env.php:"),
        "{f}"
    );
    assert!(!f.contains("wrong-password"), "the password is masked: {f}");
    // Nothing listening on the port.
    let closed = crate::lab::web::free_port();
    session["redis"]["port"] = closed.to_string().into();
    session["redis"]["password"] = crate::lab::cache::REDIS_PASSWORD.into();
    s.env("session", Php::from_json(&session));
    admin_request(&s).expect_code("session-storage-unwritable");
    // A read-only replica refuses the session writes.
    session["redis"]["port"] = r.port.to_string().into();
    s.env("session", Php::from_json(&session));
    admin_request(&s).expect_no_code("session-storage-unwritable");
    let mut c = r.conn(0);
    let _: () = redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(closed)
        .query(&mut c)
        .unwrap();
    let out = admin_request(&s).expect_code("session-storage-unwritable");
    assert!(
        out.finding("session-storage-unwritable")
            .to_string()
            .contains("read-only replica")
    );
}

#[test]
fn healthy_sessions_and_cookies() {
    let Some(r) = redis() else { return };
    let Some(s) = store() else { return };
    // Debian's PHP session folder: root-owned, 1733 (anyone may create files, not list them).
    let dir = s.root().join("php-sessions");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o1733);
    s.env("session/save_path", dir.to_str().unwrap());
    s.config("web/unsecure/base_url", "http://shop.example.test/")
        .config("web/secure/base_url", "https://shop.example.test/")
        .config("web/secure/use_in_adminhtml", "1")
        .config("web/cookie/cookie_domain", ".example.test")
        .config("web/cookie/cookie_path", "/");
    admin_request(&s)
        .expect_no_code("session-storage-unwritable")
        .expect_no_code("cookie-domain-mismatch")
        .expect_no_error();
    // Redis sessions on a server that answers.
    s.env(
        "session",
        Php::from_json(&serde_json::json!({
            "save": "redis",
            "redis": {
                "host": "127.0.0.1",
                "port": r.port.to_string(),
                "password": crate::lab::cache::REDIS_PASSWORD,
                "database": "2",
            }
        })),
    );
    admin_request(&s)
        .expect_no_code("session-storage-unwritable")
        .expect_no_code("cookie-domain-mismatch");
    // Over the unix socket (Cm_RedisSession: host = the socket path, port 0).
    s.env(
        "session",
        Php::from_json(&serde_json::json!({
            "save": "redis",
            "redis": {
                "host": r.socket.to_str().unwrap(),
                "port": "0",
                "password": crate::lab::cache::REDIS_PASSWORD,
                "database": "3",
            }
        })),
    );
    admin_request(&s).expect_no_code("session-storage-unwritable");
    let info = s.run(&["info"]).expect_exit(0);
    assert_eq!(
        info.doc()["session"]["location"],
        format!("{} db 3", r.socket.display()),
        "{}",
        info.doc()
    );
}

#[test]
fn cookie_domain_mismatch_for_the_admin_and_the_storefront() {
    let Some(s) = store() else { return };
    s.config("web/unsecure/base_url", "http://shop.example.test/")
        .config("web/secure/base_url", "{{unsecure_base_url}}")
        .config("web/cookie/cookie_domain", ".old-shop.test");
    let out = admin_request(&s)
        .expect_code("cookie-domain-mismatch")
        .expect_severity("cookie-domain-mismatch", "warning");
    let f = out.finding("cookie-domain-mismatch").to_string();
    assert!(
        f.contains(".old-shop.test")
            && f.contains("shop.example.test")
            && f.contains("db:core_config_data")
            && f.contains("http://shop.example.test/admin"),
        "{f}"
    );
    // A custom admin URL on its own host: the default scope's domain must cover it.
    s.sql("DELETE FROM core_config_data WHERE path = 'web/cookie/cookie_domain'");
    s.config("web/cookie/cookie_domain", "www.example.test")
        .config("admin/url/use_custom", "1")
        .config("admin/url/custom", "https://admin.example.test/");
    let out = admin_request(&s).expect_code("cookie-domain-mismatch");
    assert!(
        out.finding("cookie-domain-mismatch")
            .to_string()
            .contains("admin.example.test")
    );
    // The storefront's path: the session cookie never reaches / nor /rest/.
    s.sql("DELETE FROM core_config_data WHERE path LIKE 'web/cookie/%' OR path LIKE 'admin/url/%'");
    s.config_scoped("web/cookie/cookie_path", "stores", 1, "/shop");
    let out = admin_request(&s).expect_code("cookie-domain-mismatch");
    let f = out.finding("cookie-domain-mismatch").to_string();
    assert!(f.contains("/shop") && f.contains("/rest/"), "{f}");
    s.sql("DELETE FROM core_config_data WHERE path = 'web/cookie/cookie_path'");
    admin_request(&s).expect_no_code("cookie-domain-mismatch");
}

// --- Varnish --------------------------------------------------------------------------------

/// A private `varnishd` on a loopback port whose VCL answers a PURGE with a synthetic 200 whose
/// reason names what it received (the tags pattern, the Host header and the URL); stopped on
/// Drop. `None` (a skip message) when varnish is not installed.
struct Varnish {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

const PURGE_VCL: &str = r#"vcl 4.1;
backend default none;
sub vcl_recv {
    if (req.method == "PURGE") {
        return (synth(200, "Purged " + req.http.X-Magento-Tags-Pattern + " host " + req.http.Host + " url " + req.url));
    }
    return (synth(405, "Not allowed"));
}
"#;

fn varnish() -> Option<Varnish> {
    let Some(bin) = ["/usr/sbin/varnishd", "/usr/local/sbin/varnishd"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        eprintln!(
            "skipped: varnishd is not installed (scripts/test installs the varnish package when apt has it)"
        );
        return None;
    };
    let dir = tempfile::Builder::new()
        .prefix("m2v")
        .tempdir_in("/tmp")
        .unwrap();
    let vcl = dir.path().join("purge.vcl");
    std::fs::write(&vcl, PURGE_VCL).unwrap();
    let port = crate::lab::web::free_port();
    let child = std::process::Command::new(bin)
        .args(["-F", "-j", "none", "-T", "none", "-s", "malloc,16m"])
        .arg("-n")
        .arg(dir.path().join("work"))
        .arg("-a")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-f")
        .arg(&vcl)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start varnishd");
    let mut v = Varnish {
        child,
        port,
        _dir: dir,
    };
    let t0 = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(st)) = v.child.try_wait() {
            panic!("varnishd exited: {st}");
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(60),
            "varnishd did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Some(v)
}

impl Drop for Varnish {
    fn drop(&mut self) {
        // SIGTERM: the manager stops its worker process before it exits.
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

#[test]
fn cache_clean_and_flush_purge_varnish_hosts() {
    let Some(v) = varnish() else { return };
    let Some(s) = file_store() else { return };
    let closed = crate::lab::web::free_port();
    s.env(
        "http_cache_hosts",
        Php::from_json(&serde_json::json!([
            { "host": "127.0.0.1", "port": v.port.to_string() },
            { "host": "127.0.0.1", "port": closed.to_string() },
        ])),
    );
    // Not Varnish (built-in full-page cache): nothing about Varnish.
    s.config("system/full_page_cache/caching_application", "1");
    let out = s.run(&["cache:clean", "full_page"]).expect_exit(0);
    assert!(out.doc().get("purges").is_none(), "{}", out.doc());
    assert!(!out.doc().to_string().contains("Varnish"), "{}", out.doc());
    s.sql("UPDATE core_config_data SET value = '2' WHERE path = 'system/full_page_cache/caching_application'");
    // A type other than full_page: bin/magento sends no purge either.
    let out = s.run(&["cache:clean", "config"]).expect_exit(0);
    assert!(out.doc().get("purges").is_none(), "{}", out.doc());
    for args in [
        vec!["cache:clean", "full_page"],
        vec!["cache:clean"],
        vec!["cache:flush"],
    ] {
        let out = s.run(&args).expect_exit(0);
        let purges = out.doc()["purges"].as_array().cloned().unwrap_or_default();
        assert_eq!(purges.len(), 2, "{args:?}: {}", out.doc());
        // What varnishd received: PURGE / with the full pattern and Host as Magento sends them.
        assert_eq!(
            purges[0]["answer"],
            "HTTP/1.1 200 Purged .* host 127.0.0.1 url /",
            "{}",
            out.doc()
        );
        assert_eq!(purges[0]["port"], v.port);
        // The unreachable host is reported, not fatal.
        assert!(purges[1]["answer"].is_null(), "{}", out.doc());
        assert!(purges[1]["error"].is_string(), "{}", out.doc());
        assert!(
            out.doc()["notes"]
                .to_string()
                .contains(&format!("127.0.0.1:{closed} was not purged")),
            "{}",
            out.doc()
        );
    }
    // The full_page type disabled: no purge (FlushAllCacheObserver checks isEnabled()).
    s.env("cache_types/full_page", 0i64);
    let out = s.run(&["cache:flush"]).expect_exit(0);
    assert!(out.doc().get("purges").is_none(), "{}", out.doc());
    let (code, text, _) = s.run_text(&["cache:clean", "full_page"]);
    assert_eq!(code, 0);
    assert!(!text.contains("varnish"), "{text}");
    // No http_cache_hosts: Magento purges the store's own base URL host and port.
    s.env("cache_types/full_page", 1i64);
    s.env_remove("http_cache_hosts");
    s.config(
        "web/unsecure/base_url",
        &format!("http://127.0.0.1:{}/", v.port),
    );
    let (code, text, _) = s.run_text(&["cache:clean", "full_page"]);
    assert_eq!(code, 0);
    assert!(
        text.contains(&format!(
            "varnish 127.0.0.1:{} PURGE X-Magento-Tags-Pattern: .*: HTTP/1.1 200 Purged .* host 127.0.0.1 url /",
            v.port
        )) && text.contains("lists no http_cache_hosts"),
        "{text}"
    );
}
