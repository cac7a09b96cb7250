//! The lab itself and the live database connection: schema conversion of every reference
//! `db_schema.xml`, every way `LiveDb` connects, the read-only session, the three distinct
//! connection errors, mysqldump output, and the env.php writer.

use std::path::Path;
use std::time::{Duration, Instant};

use m2auth::store::db::live::LiveDb;
use m2auth::store::db::{ConnParams, Database, DbError, SqlValue};
use m2auth::store::envphp::{Array, Document, Entry, Key, Value};

use crate::lab;

#[test]
fn schema_renders_columns_like_magento() {
    let xml = r#"<schema xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
            <table name="t" resource="default" engine="innodb" comment="It's">
              <column xsi:type="int" name="id" unsigned="true" nullable="false" identity="true" comment="ID"/>
              <column xsi:type="smallint" name="s" nullable="false" default="0"/>
              <column xsi:type="varchar" name="v" length="32" default="x"/>
              <column xsi:type="varchar" name="w"/>
              <column xsi:type="timestamp" name="u" on_update="true" nullable="false" default="CURRENT_TIMESTAMP"/>
              <column xsi:type="timestamp" name="z" nullable="false" default="0"/>
              <column xsi:type="decimal" name="d" scale="4" precision="12" nullable="false" default="0"/>
              <column xsi:type="boolean" name="b" nullable="false" default="false"/>
              <column xsi:type="text" name="gone" disabled="true"/>
              <constraint xsi:type="primary" referenceId="PRIMARY"><column name="id"/></constraint>
              <constraint xsi:type="unique" referenceId="T_V"><column name="v"/><column name="s"/></constraint>
              <constraint xsi:type="foreign" referenceId="FK" table="t" column="id" referenceTable="x" referenceColumn="y"/>
              <index referenceId="T_W" indexType="btree"><column name="w"/></index>
            </table></schema>"#;
    let t = &lab::schema::parse_schema(xml, "test").unwrap()[0];
    let def = |n: &str| t.column(n).unwrap().definition.clone();
    assert_eq!(
        def("id"),
        "int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'ID'"
    );
    assert_eq!(def("s"), "smallint(6) NOT NULL DEFAULT 0");
    assert_eq!(def("v"), "varchar(32) NULL DEFAULT 'x'");
    assert_eq!(def("w"), "varchar(255) NULL DEFAULT NULL");
    assert_eq!(
        def("u"),
        "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"
    );
    assert_eq!(def("z"), "timestamp NOT NULL DEFAULT '0000-00-00 00:00:00'");
    assert_eq!(def("d"), "decimal(12,4) NOT NULL DEFAULT 0");
    assert_eq!(def("b"), "tinyint(1) NOT NULL DEFAULT 0");
    assert!(t.column("gone").is_none());
    let ddl = t.ddl("p_");
    assert!(ddl.starts_with("CREATE TABLE `p_t` ("), "{ddl}");
    assert!(
        ddl.contains("PRIMARY KEY (`id`)") && ddl.contains("UNIQUE KEY `T_V` (`v`,`s`)"),
        "{ddl}"
    );
    assert!(
        ddl.contains("KEY `T_W` (`w`)") && !ddl.contains("FOREIGN"),
        "{ddl}"
    );
    assert!(ddl.ends_with("COMMENT='It''s'"), "{ddl}");
}

fn live(p: &ConnParams) -> LiveDb {
    LiveDb::connect(p).unwrap_or_else(|e| panic!("connect {}: {e}", p.target()))
}

/// A Document with `db/connection/default` = the given host and the lab credentials.
fn env_doc(db: &lab::LabDb, host: &str) -> Document {
    let s = |k: &str, v: &str| Entry {
        key: Key::Str(k.into()),
        value: Value::Str(v.into()),
        line: 1,
    };
    let a = |k: &str, entries: Vec<Entry>| Entry {
        key: Key::Str(k.into()),
        value: Value::Array(Array { entries }),
        line: 1,
    };
    let conn = vec![
        s("host", host),
        s("dbname", db.name()),
        s("username", db.user()),
        s("password", db.password()),
    ];
    let dbarr = vec![
        s("table_prefix", db.prefix()),
        a("connection", vec![a("default", conn)]),
    ];
    Document {
        root: Array {
            entries: vec![a("db", dbarr)],
        },
        unresolved: vec![],
    }
}

fn assert_store_rows(live: &LiveDb) {
    let stores = live.rows("store", &[]).unwrap();
    let codes: Vec<String> = stores.iter().filter_map(|r| r.text("code")).collect();
    assert_eq!(codes, ["admin", "default"]);
}

#[test]
fn every_reference_schema_becomes_tables() {
    let (Some(lab), Some(reference)) = (lab::mariadb(), lab::reference_dir()) else {
        return;
    };
    let started = Instant::now();
    let db = lab.database("");
    eprintln!(
        "lab: database with {} tables in {:?}",
        lab::magento_tables().len(),
        started.elapsed()
    );

    // Each reference file on its own converts and every one of its tables exists.
    let mut files = 0;
    for entry in std::fs::read_dir(&reference).unwrap() {
        let f = entry.unwrap().path().join("etc/db_schema.xml");
        if !f.is_file() {
            continue;
        }
        files += 1;
        let tables = lab::schema::parse_schema(
            &std::fs::read_to_string(&f).unwrap(),
            &f.display().to_string(),
        )
        .unwrap();
        assert!(!tables.is_empty(), "{}", f.display());
        for t in tables {
            let cols = db.query(&format!(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = '{}' ORDER BY ORDINAL_POSITION",
                db.name(), t.name
            ));
            let cols: Vec<String> = cols.into_iter().map(|r| r[0].clone().unwrap()).collect();
            let want: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
            assert_eq!(cols, want, "table {} from {}", t.name, f.display());
        }
    }
    assert!(
        files >= 7,
        "only {files} db_schema.xml files in {}",
        reference.display()
    );

    let live = live(&db.conn_params());
    for t in m2auth::store::db::NEEDED_TABLES {
        assert!(
            live.has_table(t).unwrap(),
            "needed table {t} missing from the lab"
        );
    }
    for (table, column) in [
        ("admin_user", "lock_expires"),
        ("oauth_token", "token"),
        ("jwt_auth_revoked", "revoke_before"),
        ("core_config_data", "path"),
        ("customer_entity", "session_cutoff"),
        ("store_website", "default_group_id"),
        ("tfa_user_config", "encoded_config"),
    ] {
        let n = db.query(&format!(
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = '{table}' AND COLUMN_NAME = '{column}'",
            db.name()
        ));
        assert_eq!(n[0][0].as_deref(), Some("1"), "{table}.{column}");
    }
    // Column types as Magento renders them.
    let ty = db.query(&format!(
        "SELECT COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = 'admin_user' AND COLUMN_NAME IN ('user_id', 'modified') ORDER BY COLUMN_NAME",
        db.name()
    ));
    assert_eq!(ty[0][0].as_deref(), Some("timestamp"));
    assert!(
        ty[0][3].as_deref().unwrap_or("").contains("on update"),
        "{ty:?}"
    );
    assert_eq!(ty[1][0].as_deref(), Some("int(10) unsigned"));
    assert_eq!(ty[1][3].as_deref(), Some("auto_increment"));
    assert_store_rows(&live);
    let websites = live
        .rows("store_website", &[("code", "base".into())])
        .unwrap();
    assert_eq!(websites.len(), 1);
    assert_eq!(websites[0].int("is_default"), Some(1));
    assert_eq!(live.rows("store_group", &[]).unwrap().len(), 2);
}

#[test]
fn connects_by_socket_tcp_and_url() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    assert_store_rows(&live(&db.conn_params()));
    assert_store_rows(&live(&db.tcp_params()));
    for url in [db.tcp_url(), db.socket_url()] {
        let p = ConnParams::from_url(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_store_rows(&live(&p));
    }
    // env.php host forms: socket path, host:port.
    for host in [lab.socket.display().to_string(), db.tcp_host()] {
        let p = ConnParams::from_env(&env_doc(&db, &host), "default").unwrap();
        let l = live(&p);
        assert_store_rows(&l);
        let d = l.describe();
        assert_eq!(d.name.as_deref(), Some(db.name()));
    }
}

/// Queries run under the long timeout once the session is open (the handshake ran under the
/// 5 s one), by socket and by TCP.
#[test]
fn the_open_session_has_the_query_timeout() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    for params in [db.conn_params(), db.tcp_params()] {
        let l = live(&params);
        let t = Some(m2auth::store::db::live::IO_TIMEOUT);
        assert_eq!(l.io_timeouts().unwrap(), (t, t), "{params:?}");
        assert_store_rows(&l);
    }
}

/// A port that accepts TCP connections but never sends a MySQL greeting: the connect fails as
/// unreachable within the 5 s connect timeout, not after the 60 s query timeout. Needs no lab.
#[test]
fn silent_port_fails_within_the_connect_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold every connection open, silently, for the whole test.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            match s {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
    });
    let p = ConnParams {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        user: "u".into(),
        password: Some("silent-port-pw".into()),
        dbname: "d".into(),
        ..ConnParams::default()
    };
    let started = Instant::now();
    let err = LiveDb::connect(&p)
        .err()
        .expect("a silent port cannot connect");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(7), "took {took:?}: {err}");
    assert!(
        took >= Duration::from_secs(4),
        "took {took:?}, expected the 5 s timeout: {err}"
    );
    match &err {
        DbError::Unreachable { target, reason } => {
            assert_eq!(target, &format!("127.0.0.1:{port}"));
            assert!(
                reason.starts_with("no MySQL answer within 5 s ("),
                "{reason}"
            );
            assert!(!reason.contains("CodecError"), "{reason}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("silent-port-pw"));
}

#[test]
fn connects_by_localhost_and_ipv6() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    // `localhost:<port>` is the default socket when one exists (PDO semantics), else TCP 127.0.0.1.
    let default_socket = m2auth::store::db::connect::DEFAULT_SOCKETS
        .iter()
        .any(|s| Path::new(s).exists());
    if default_socket {
        eprintln!(
            "skipped localhost:<port>: a default MySQL socket exists on this machine and would be used"
        );
    } else {
        let p = ConnParams::from_env(&env_doc(&db, &format!("localhost:{}", lab.port)), "default")
            .unwrap();
        let l = live(&p);
        assert_store_rows(&l);
        assert_eq!(l.describe().host.as_deref(), Some("127.0.0.1"));
        assert_eq!(l.describe().port, Some(lab.port));
    }
    if lab.ipv6 {
        let p =
            ConnParams::from_env(&env_doc(&db, &format!("[::1]:{}", lab.port)), "default").unwrap();
        assert_eq!(p.host.as_deref(), Some("::1"));
        assert_store_rows(&live(&p));
        let url = format!(
            "mysql://{}:{}@[::1]:{}/{}",
            lab::pct(db.user()),
            lab::pct(db.password()),
            lab.port,
            db.name()
        );
        assert_store_rows(&live(&ConnParams::from_url(&url).unwrap()));
    } else {
        eprintln!("skipped [::1]: the lab server does not listen on IPv6 here");
    }
}

#[test]
fn table_prefix_and_filters() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("m2_");
    assert_eq!(db.query("SHOW TABLES LIKE 'm2\\_admin\\_user'").len(), 1);
    assert!(db.query("SHOW TABLES LIKE 'admin\\_user'").is_empty());
    let id = db.insert(
        "admin_user",
        &[
            ("username", "alice".into()),
            ("password", "h1".into()),
            ("lock_expires", "2031-02-03 04:05:06".into()),
        ],
    );
    db.insert(
        "admin_user",
        &[
            ("username", "bob".into()),
            ("password", "h2".into()),
            ("is_active", 0.into()),
        ],
    );
    db.insert(
        "core_config_data",
        &[
            ("path", "oauth/access_token_lifetime/admin".into()),
            ("value", "4".into()),
        ],
    );

    let live = live(&ConnParams::from_url(&db.tcp_url()).unwrap());
    assert_eq!(live.describe().table_prefix, "m2_");
    assert!(live.has_table("admin_user").unwrap());
    assert!(!live.has_table("no_such_table").unwrap());
    assert!(
        live.rows("no_such_table", &[]).unwrap().is_empty(),
        "a missing table is an empty result"
    );

    let all = live.rows("admin_user", &[]).unwrap();
    assert_eq!(all.len(), 2);
    let alice = live
        .rows("admin_user", &[("username", "alice".into())])
        .unwrap();
    assert_eq!(alice.len(), 1);
    let a = &alice[0];
    assert_eq!(a.get("user_id"), Some(&SqlValue::UInt(id)));
    assert_eq!(a.get("lognum"), Some(&SqlValue::UInt(0)));
    assert_eq!(a.get("reload_acl_flag"), Some(&SqlValue::Int(0)));
    assert_eq!(a.get("logdate"), Some(&SqlValue::Null));
    assert_eq!(
        a.text("lock_expires").as_deref(),
        Some("2031-02-03 04:05:06")
    );
    let created = a.text("created").unwrap();
    assert_eq!(created.len(), 19, "{created}");
    assert_eq!(a.text("interface_locale").as_deref(), Some("en_US"));

    let inactive = live
        .rows(
            "admin_user",
            &[("is_active", SqlValue::Int(0)), ("username", "bob".into())],
        )
        .unwrap();
    assert_eq!(inactive.len(), 1);
    assert!(
        live.rows(
            "admin_user",
            &[
                ("is_active", SqlValue::Int(0)),
                ("username", "alice".into())
            ]
        )
        .unwrap()
        .is_empty()
    );
    assert!(
        live.rows("admin_user", &[("username", SqlValue::Null)])
            .unwrap()
            .is_empty()
    );
    let cfg = live
        .rows(
            "core_config_data",
            &[("path", "oauth/access_token_lifetime/admin".into())],
        )
        .unwrap();
    assert_eq!(cfg[0].text("value").as_deref(), Some("4"));
    assert_eq!(cfg[0].text("scope").as_deref(), Some("default"));

    // Identifiers are validated, never spliced.
    assert!(matches!(
        live.rows("admin_user", &[("username` = 'x' OR 1=1 -- ", "a".into())]),
        Err(DbError::Query { .. })
    ));
    assert!(matches!(
        live.rows("admin_user`; DROP TABLE x; --", &[]),
        Err(DbError::Query { .. })
    ));
}

#[test]
fn the_session_refuses_writes() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    for params in [db.conn_params(), db.tcp_params()] {
        let live = live(&params);
        assert!(live.is_read_only().unwrap());
        for sql in [
            "INSERT INTO admin_user (username, password) VALUES ('mallory', 'x')".to_string(),
            "UPDATE store SET name = 'x'".to_string(),
            "DELETE FROM store".to_string(),
            "DROP TABLE store".to_string(),
            "CREATE TABLE m2auth_probe (a int)".to_string(),
            "CREATE DATABASE m2auth_probe".to_string(),
            "COMMIT".to_string(),
            "INSERT INTO admin_user (username, password) VALUES ('mallory2', 'x')".to_string(),
        ] {
            let res = live.try_statement(&sql);
            if sql == "COMMIT" {
                continue; // ends the transaction; the session default keeps the next one read-only
            }
            let err = res.expect_err(&sql).to_string();
            assert!(
                err.contains("READ ONLY") || err.contains("read only") || err.contains("1792"),
                "{sql}: {err}"
            );
        }
        assert!(live.rows("admin_user", &[]).unwrap().is_empty());
        assert_eq!(
            db.query("SELECT COUNT(*) FROM store")[0][0].as_deref(),
            Some("2")
        );
    }
}

#[test]
fn distinct_connection_errors() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");

    // A closed loopback port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let p = ConnParams {
        port: Some(port),
        ..db.tcp_params()
    };
    let started = Instant::now();
    let err = LiveDb::connect(&p).err().expect("closed port");
    assert!(
        matches!(&err, DbError::Unreachable { reason, .. } if reason.contains("refused")),
        "{err:?}"
    );
    assert!(started.elapsed().as_secs() < 6);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );

    // A missing socket.
    let p = ConnParams {
        socket: Some(lab.socket.with_file_name("nope.sock")),
        ..db.conn_params()
    };
    let err = LiveDb::connect(&p).err().expect("missing socket");
    assert!(
        matches!(&err, DbError::Unreachable { reason, .. } if reason.contains("no such socket")),
        "{err:?}"
    );

    // Wrong password, by socket and TCP.
    for base in [db.conn_params(), db.tcp_params()] {
        let p = ConnParams {
            password: Some("wrong-password-x".into()),
            ..base
        };
        let err = LiveDb::connect(&p).err().expect("wrong password");
        assert!(
            matches!(&err, DbError::AccessDenied { user, .. } if user == db.user()),
            "{err:?}"
        );
        let text = format!("{err} {err:?} {p:?}");
        assert!(
            !text.contains("wrong-password-x") && !text.contains(db.password()),
            "{text}"
        );
    }

    // Unknown database.
    let p = ConnParams {
        dbname: format!("{}_missing", db.name()),
        ..db.tcp_params()
    };
    let err = LiveDb::connect(&p).err().expect("unknown db");
    assert!(
        matches!(&err, DbError::UnknownDatabase { name, .. } if name.ends_with("_missing")),
        "{err:?}"
    );
}

#[test]
fn mysqldump_produces_a_dump() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("m2_");
    db.insert(
        "admin_user",
        &[("username", "alice".into()), ("password", "h".into())],
    );
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("store.sql");
    db.mysqldump(&plain, false);
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(
        text.contains("CREATE TABLE `m2_admin_user`"),
        "{}",
        &text[..text.len().min(500)]
    );
    assert!(text.contains("'alice'"));

    let gz = dir.path().join("store.sql.gz");
    db.mysqldump(&gz, true);
    let mut unzipped = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()),
        &mut unzipped,
    )
    .unwrap();
    assert!(unzipped.contains("CREATE TABLE `m2_store`"));
}

#[test]
fn env_writer_is_magento_short_syntax_and_valid_php() {
    let mut spec = lab::EnvSpec::from_json(&serde_json::json!({
        "backend": { "frontName": "admin" },
        "crypt": { "key": "a\\b'c\nd" },
        "list": ["x", 2, true, null, 1.5],
        "empty": {}
    }));
    spec.set("db/connection/default/driver_options/1014", false);
    spec.set(
        "db/connection/default/password",
        lab::Php::Raw("getenv('DB_PASS')".into()),
    );
    let php = spec.to_php();
    // (serde_json keeps the JSON's key order: the crate is built with `preserve_order`.)
    let expected = "<?php\nreturn [\n    'backend' => [\n        'frontName' => 'admin'\n    ],\n    'crypt' => [\n        'key' => 'a\\\\b\\'c\nd'\n    ],\n    'list' => [\n        'x',\n        2,\n        true,\n        null,\n        1.5\n    ],\n    'empty' => [],\n    'db' => [\n        'connection' => [\n            'default' => [\n                'driver_options' => [\n                    1014 => false\n                ],\n                'password' => getenv('DB_PASS')\n            ]\n        ]\n    ]\n];\n";
    assert_eq!(php, expected);

    // PHP itself reads it back to the same tree.
    let Ok(out) = std::process::Command::new("php").arg("-v").output() else {
        eprintln!("skipped the php round trip: no php");
        return;
    };
    assert!(out.status.success());
    let store = lab::FixtureStore::new();
    spec.remove("db");
    store.env(&spec);
    let out = std::process::Command::new("php")
        .args(["-r", "echo json_encode(include $argv[1]);"])
        .arg(store.path("app/etc/env.php"))
        .output()
        .unwrap();
    let back: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(back["crypt"]["key"], "a\\b'c\nd");
    assert_eq!(back["list"], serde_json::json!(["x", 2, true, null, 1.5]));
    assert_eq!(back["backend"]["frontName"], "admin");
}

#[test]
fn fixture_store_tree() {
    let store = lab::FixtureStore::new();
    store
        .config_php(&[("Magento_Store", true), ("Magento_TwoFactorAuth", false)])
        .vendor_module("Magento_Integration", "magento/module-integration")
        .app_code_module("Acme_Api")
        .composer_lock("magento/product-community-edition", "2.4.7-p3")
        .composer_lock("magento/module-integration", "100.4.7-p3")
        .file("pub/index.php", "<?php\n");
    let cfg = std::fs::read_to_string(store.path("app/etc/config.php")).unwrap();
    assert_eq!(
        cfg,
        "<?php\nreturn [\n    'modules' => [\n        'Magento_Store' => 1,\n        'Magento_TwoFactorAuth' => 0\n    ]\n];\n"
    );
    let xml =
        std::fs::read_to_string(store.path("vendor/magento/module-integration/etc/module.xml"))
            .unwrap();
    assert!(xml.contains("<module name=\"Magento_Integration\"/>") && xml.contains("module.xsd"));
    assert!(store.path("app/code/Acme/Api/etc/module.xml").is_file());
    assert!(store.path("app/code/Acme/Api/registration.php").is_file());
    if lab::reference_dir().is_some() {
        assert!(
            store
                .path("vendor/magento/module-integration/etc/webapi.xml")
                .is_file()
        );
        assert!(
            store
                .path("vendor/magento/module-integration/etc/acl.xml")
                .is_file()
        );
    }
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.path("composer.lock")).unwrap())
            .unwrap();
    assert_eq!(lock["packages"].as_array().unwrap().len(), 2);
    assert_eq!(lock["packages"][0]["version"], "2.4.7-p3");

    // The env.php of a lab database, and the binary runs in the tree.
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    store.env(&lab::EnvSpec::magento(&db));
    let env = std::fs::read_to_string(store.path("app/etc/env.php")).unwrap();
    assert!(env.contains(&format!("'dbname' => '{}'", db.name())));
    assert!(env.contains("1014 => false"));
    let out = lab::m2auth(&["--help"], store.root());
    assert!(out.status.code().is_some());
}
