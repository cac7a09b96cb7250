//! TLS to a real MariaDB: `scripts/test` starts the lab with a throw-away CA and server
//! certificate, a `REQUIRE SSL` user and a `REQUIRE X509` user. These tests prove that the
//! `driver_options` TLS settings of env.php (`\PDO::MYSQL_ATTR_SSL_*`) really give an encrypted
//! session, and that every TLS failure is a clear error.

use crate::lab;
use crate::lab::{EnvSpec, FixtureStore, Php, PhpKey};
use m2auth::store::db::connect::SslParams;
use m2auth::store::db::live::LiveDb;
use m2auth::store::db::{ConnParams, Database, DbError};

fn verified(ca: &std::path::Path) -> Option<SslParams> {
    Some(SslParams {
        ca: Some(ca.to_path_buf()),
        verify_server_cert: true,
        ..SslParams::default()
    })
}

fn connect(p: &ConnParams) -> LiveDb {
    LiveDb::connect(p).unwrap_or_else(|e| panic!("connect {} as {}: {e}", p.target(), p.user))
}

fn cipher(live: &LiveDb) -> Option<String> {
    live.ssl_cipher().expect("SHOW SESSION STATUS")
}

fn assert_store_rows(live: &LiveDb) {
    let codes: Vec<String> = live
        .rows("store", &[])
        .unwrap()
        .iter()
        .filter_map(|r| r.text("code"))
        .collect();
    assert_eq!(codes, ["admin", "default"]);
}

#[test]
fn verified_tls_session_is_encrypted() {
    let Some((lab, tls)) = lab::tls() else { return };
    let db = lab.database("");

    // Control: the plain lab user over TCP without TLS is not encrypted.
    let plain = connect(&db.tcp_params());
    assert_eq!(cipher(&plain), None);

    // The same user with a CA and verification on: the server reports a cipher.
    let p = ConnParams {
        ssl: verified(&tls.ca),
        ..db.tcp_params()
    };
    let live = connect(&p);
    let c = cipher(&live).expect("the TLS session has no Ssl_cipher");
    eprintln!("tls: lab user over TLS, cipher {c}");
    // The query timeout is set on the socket under the TLS stream too.
    let t = Some(m2auth::store::db::live::IO_TIMEOUT);
    assert_eq!(live.io_timeouts().unwrap(), (t, t));
    assert_store_rows(&live);
    assert!(live.is_read_only().unwrap());
}

#[test]
fn require_ssl_user_needs_tls() {
    let Some((lab, tls)) = lab::tls() else { return };
    let db = lab.database("");

    let err = LiveDb::connect(&db.tls_params(&tls.user, &tls.password, None))
        .err()
        .expect("a REQUIRE SSL user got in without TLS");
    assert!(
        matches!(&err, DbError::AccessDenied { user, .. } if *user == tls.user),
        "{err:?}"
    );
    let msg = err.to_string();
    eprintln!("tls: REQUIRE SSL user without TLS: {msg}");
    assert!(
        msg.contains("access denied") && msg.contains("REQUIRE SSL") && msg.contains("SSL_CA"),
        "{msg}"
    );
    assert!(!msg.contains(&tls.password), "{msg}");

    let live = connect(&db.tls_params(&tls.user, &tls.password, verified(&tls.ca)));
    assert!(cipher(&live).is_some());
    assert_store_rows(&live);

    // A wrong password over TLS is still "access denied", without the TLS hint.
    let err = LiveDb::connect(&db.tls_params(&tls.user, "wrong", verified(&tls.ca)))
        .err()
        .expect("wrong password");
    assert!(matches!(&err, DbError::AccessDenied { .. }), "{err:?}");
    assert!(!err.to_string().contains("REQUIRE SSL"), "{err}");
}

#[test]
fn require_x509_user_needs_a_client_certificate() {
    let Some((lab, tls)) = lab::tls() else { return };
    let db = lab.database("");

    let err = LiveDb::connect(&db.tls_params(&tls.x509_user, &tls.password, verified(&tls.ca)))
        .err()
        .expect("a REQUIRE X509 user got in without a client certificate");
    assert!(matches!(&err, DbError::AccessDenied { .. }), "{err:?}");
    assert!(err.to_string().contains("SSL_CERT"), "{err}");

    let ssl = SslParams {
        cert: Some(tls.client_cert.clone()),
        key: Some(tls.client_key.clone()),
        ..verified(&tls.ca).unwrap()
    };
    let live = connect(&db.tls_params(&tls.x509_user, &tls.password, Some(ssl)));
    assert!(cipher(&live).is_some());
    assert_store_rows(&live);

    // Certificate and key in one PEM file, MYSQL_ATTR_SSL_KEY unset: PHP reads the key from the
    // certificate file, so does m2auth.
    let dir = FixtureStore::new();
    let mut pem = std::fs::read(&tls.client_cert).unwrap();
    pem.extend(std::fs::read(&tls.client_key).unwrap());
    dir.file("client-with-key.pem", pem);
    let ssl = SslParams {
        cert: Some(dir.path("client-with-key.pem")),
        ..verified(&tls.ca).unwrap()
    };
    let live = connect(&db.tls_params(&tls.x509_user, &tls.password, Some(ssl)));
    assert!(cipher(&live).is_some());
}

#[test]
fn wrong_ca_is_a_clear_tls_error() {
    let Some((lab, tls)) = lab::tls() else { return };
    let db = lab.database("");

    let p = db.tls_params(&tls.user, &tls.password, verified(&tls.other_ca));
    let err = LiveDb::connect(&p)
        .err()
        .expect("a server certificate from another CA was accepted");
    let msg = err.to_string();
    eprintln!("tls: wrong CA: {msg}");
    assert!(matches!(&err, DbError::Unreachable { .. }), "{err:?}");
    assert!(
        msg.contains("TLS") && msg.contains("certificate") && msg.contains(&db.tcp_host()),
        "{msg}"
    );

    // `\PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => false`: encrypted, not verified.
    let unverified = SslParams {
        verify_server_cert: false,
        ..verified(&tls.other_ca).unwrap()
    };
    let live = connect(&db.tls_params(&tls.user, &tls.password, Some(unverified)));
    assert!(cipher(&live).is_some());

    // Verification off without any CA at all.
    let bare = SslParams {
        verify_server_cert: false,
        ..SslParams::default()
    };
    let live = connect(&db.tls_params(&tls.user, &tls.password, Some(bare)));
    assert!(cipher(&live).is_some());
}

#[test]
fn missing_or_bad_tls_files_are_named() {
    let Some((lab, tls)) = lab::tls() else { return };
    let db = lab.database("");

    let missing = tls.ca.with_file_name("no-such-ca.pem");
    let err = LiveDb::connect(&db.tls_params(&tls.user, &tls.password, verified(&missing)))
        .err()
        .expect("missing CA file");
    let msg = err.to_string();
    assert!(matches!(&err, DbError::Config(_)), "{err:?}");
    assert!(
        msg.contains("SSL_CA") && msg.contains("no-such-ca.pem") && !msg.contains("socket"),
        "{msg}"
    );

    // A file that is no certificate at all (the client key).
    let err = LiveDb::connect(&db.tls_params(&tls.user, &tls.password, verified(&tls.client_key)))
        .err()
        .expect("a key as CA file");
    let msg = err.to_string();
    eprintln!("tls: key as CA: {msg}");
    assert!(msg.contains("TLS") || msg.contains("SSL_CA"), "{msg}");

    // A client certificate without its key.
    let ssl = SslParams {
        cert: Some(tls.client_cert.clone()),
        ..verified(&tls.ca).unwrap()
    };
    let err = LiveDb::connect(&db.tls_params(&tls.x509_user, &tls.password, Some(ssl)))
        .err()
        .expect("a certificate without key");
    let msg = err.to_string();
    assert!(matches!(&err, DbError::Config(_)), "{err:?}");
    assert!(msg.contains("SSL_KEY"), "{msg}");
}

/// env.php pointing at `db` over TCP as `user`, with `driver_options` = `opts`.
fn tls_store(
    db: &lab::LabDb,
    user: &str,
    password: &str,
    opts: Vec<(PhpKey, Php)>,
) -> FixtureStore {
    let store = FixtureStore::new();
    let mut spec = EnvSpec::magento(db);
    spec.set("db/connection/default/host", db.tcp_host().as_str())
        .set("db/connection/default/username", user)
        .set("db/connection/default/password", password)
        .set("db/connection/default/driver_options", Php::Map(opts));
    store.env(&spec);
    store
}

fn info(store: &FixtureStore) -> serde_json::Value {
    let root = store.root().to_str().unwrap();
    let out = lab::m2auth(&["info", "--format", "json", "--root", root], store.root());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "info --format json: {e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn info_connects_with_env_php_driver_options() {
    let Some((lab, tls)) = lab::tls() else { return };
    let db = lab.database("");
    let ca = || Php::Str(tls.ca.display().to_string());
    let konst = |c: &str| PhpKey::Const(format!("PDO::{c}"));

    // Constant names, as Magento's docs write them.
    let store = tls_store(
        &db,
        &tls.user,
        &tls.password,
        vec![
            (konst("MYSQL_ATTR_SSL_CA"), ca()),
            (konst("MYSQL_ATTR_SSL_VERIFY_SERVER_CERT"), Php::Bool(true)),
        ],
    );
    let env = std::fs::read_to_string(store.path("app/etc/env.php")).unwrap();
    assert!(
        env.contains("\\PDO::MYSQL_ATTR_SSL_CA => '")
            && env.contains("\\PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => true"),
        "{env}"
    );
    let doc = info(&store);
    assert_eq!(doc["db"]["reachable"], true, "constant keys: {doc}");
    assert_eq!(doc["db"]["host"], "127.0.0.1");
    assert_eq!(doc["stores"], serde_json::json!(["admin", "default"]));

    // The numbers PHP stores (`var_export` of a Magento config writes them so).
    let store = tls_store(
        &db,
        &tls.user,
        &tls.password,
        vec![
            (PhpKey::Int(1009), ca()),
            (PhpKey::Int(1014), Php::Bool(true)),
        ],
    );
    let doc = info(&store);
    assert_eq!(doc["db"]["reachable"], true, "numeric keys: {doc}");

    // Client certificate for the REQUIRE X509 user, numeric keys.
    let store = tls_store(
        &db,
        &tls.x509_user,
        &tls.password,
        vec![
            (
                PhpKey::Int(1007),
                Php::Str(tls.client_key.display().to_string()),
            ),
            (
                PhpKey::Int(1008),
                Php::Str(tls.client_cert.display().to_string()),
            ),
            (PhpKey::Int(1009), ca()),
        ],
    );
    let doc = info(&store);
    assert_eq!(doc["db"]["reachable"], true, "client certificate: {doc}");

    // The wrong CA with `1014 => false` still connects (encrypted, unverified), as PDO does.
    let store = tls_store(
        &db,
        &tls.user,
        &tls.password,
        vec![
            (
                PhpKey::Int(1009),
                Php::Str(tls.other_ca.display().to_string()),
            ),
            (PhpKey::Int(1014), Php::Bool(false)),
        ],
    );
    let doc = info(&store);
    assert_eq!(doc["db"]["reachable"], true, "unverified: {doc}");

    // No TLS options for the REQUIRE SSL user: unreachable, and the reason says why.
    let store = tls_store(
        &db,
        &tls.user,
        &tls.password,
        vec![(PhpKey::Int(1014), Php::Bool(false))],
    );
    let doc = info(&store);
    assert_eq!(doc["db"]["reachable"], false, "no TLS: {doc}");
    let why = doc["db"]["error"].as_str().unwrap_or_default();
    assert!(
        why.contains("access denied") && why.contains("REQUIRE SSL"),
        "{doc}"
    );

    // The wrong CA, verified: unreachable with a TLS reason.
    let store = tls_store(
        &db,
        &tls.user,
        &tls.password,
        vec![
            (
                konst("MYSQL_ATTR_SSL_CA"),
                Php::Str(tls.other_ca.display().to_string()),
            ),
            (konst("MYSQL_ATTR_SSL_VERIFY_SERVER_CERT"), Php::Bool(true)),
        ],
    );
    let doc = info(&store);
    assert_eq!(doc["db"]["reachable"], false, "wrong CA: {doc}");
    let why = doc["db"]["error"].as_str().unwrap_or_default();
    assert!(why.contains("TLS") && why.contains("certificate"), "{doc}");
}
