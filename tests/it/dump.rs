//! The mysqldump reader on small synthetic dumps.

use std::io::Write;
use std::path::Path;

use m2auth::store::db::dump::DumpDb;
use m2auth::store::db::{Database, DbError, Source, SqlValue};

const FIXTURE: &str = "tests/fixtures/dump/mariadb-opt.sql";

fn load(sql: &str, prefix: &str) -> Result<DumpDb, DbError> {
    DumpDb::from_reader(sql.as_bytes(), Path::new("test.sql"), prefix)
}

fn ok(sql: &str) -> DumpDb {
    load(sql, "").unwrap_or_else(|e| panic!("{e}"))
}

/// The (line, message) of a parse error.
fn parse_err(r: Result<DumpDb, DbError>) -> (u64, String) {
    match r {
        Err(DbError::DumpParse { line, message, .. }) => (line, message),
        Err(e) => panic!("expected a parse error, got {e}"),
        Ok(_) => panic!("expected a parse error, got Ok"),
    }
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn check_fixture(db: &DumpDb) {
    let users = db.rows("admin_user", &[]).unwrap();
    // The trigger's INSERT IGNORE INTO `admin_user` is part of the trigger, not a row.
    assert_eq!(users.len(), 2);
    let cols = &users[0].columns;
    assert_eq!(cols.len(), 19);
    assert_eq!(
        &cols[..5],
        &["user_id", "firstname", "lastname", "email", "username"]
    );
    assert_eq!(cols[18], "lock_expires");
    let ada = &users[0];
    assert_eq!(ada.get("user_id"), Some(&SqlValue::Int(1)));
    assert_eq!(
        ada.text("password").as_deref(),
        Some("8e1d2b0a:3:{\"x\":1}")
    );
    assert_eq!(
        ada.text("extra").as_deref(),
        Some("{\"configState\":{\"dev_debug\":\"0\"}}")
    );
    assert_eq!(ada.text("created").as_deref(), Some("2024-01-02 03:04:05"));
    assert_eq!(ada.get("rp_token"), Some(&SqlValue::Null));
    let ob = &users[1];
    assert_eq!(ob.text("firstname").as_deref(), Some("O'Brien"));
    assert_eq!(ob.text("lastname").as_deref(), Some("Semi;colon"));
    assert_eq!(
        ob.text("password").as_deref(),
        Some("hash\\with\\backslashes")
    );
    assert_eq!(
        ob.text("extra").as_deref(),
        Some("line1\nline2\r\n\ttab),('x'")
    );
    assert_eq!(ob.int("failures_num"), Some(3));

    assert!(!db.has_table("catalog_product_entity_varchar").unwrap());
    assert!(
        db.rows("catalog_product_entity_varchar", &[])
            .unwrap()
            .is_empty()
    );
    assert!(db.has_table("core_config_data").unwrap());
    assert!(db.has_table("oauth_token").unwrap());
    assert!(!db.has_table("store").unwrap());
    assert!(db.rows("store", &[]).unwrap().is_empty());

    let urls = db
        .rows(
            "core_config_data",
            &[("path", "web/secure/base_url".into())],
        )
        .unwrap();
    assert_eq!(urls.len(), 2);
    let eu = db
        .rows(
            "core_config_data",
            &[
                ("path", "web/secure/base_url".into()),
                ("scope_id", text("1")),
            ],
        )
        .unwrap();
    assert_eq!(eu.len(), 1);
    assert_eq!(
        eu[0].text("value").as_deref(),
        Some("https://eu.example.com/")
    );
    let revoked = db
        .rows("oauth_token", &[("revoked", SqlValue::Int(1))])
        .unwrap();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].int("customer_id"), Some(5));

    let s = db.stats();
    assert_eq!(s.tables_kept, 3);
    assert_eq!(s.rows_kept, 7);
    assert!(s.statements > 50, "{s:?}");
    // Kept: 3 × (DROP, CREATE, INSERT).
    assert_eq!(s.statements - s.statements_skipped, 9, "{s:?}");
}

#[test]
fn mariadb_default_dump() {
    let db = DumpDb::open(Path::new(FIXTURE), "").unwrap();
    check_fixture(&db);
    let d = db.describe();
    assert_eq!(d.source, Source::Dump);
    assert_eq!(d.dump.as_deref(), Some(Path::new(FIXTURE)));
    assert_eq!(d.table_prefix, "");
    assert_eq!(
        db.stats().bytes_read,
        std::fs::metadata(FIXTURE).unwrap().len()
    );
}

#[test]
fn gzip_is_detected_by_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Named .sql on purpose: the content decides.
    let path = dir.path().join("dump.sql");
    let data = std::fs::read(FIXTURE).unwrap();
    // Two gzip members back to back (pigz, cat a.gz b.gz) are one stream.
    let half = data.len() / 2;
    let mut gz = gzip(&data[..half]);
    gz.extend(gzip(&data[half..]));
    std::fs::write(&path, gz).unwrap();
    let db = DumpDb::open(&path, "").unwrap();
    check_fixture(&db);
    assert_eq!(db.stats().bytes_read, data.len() as u64);
}

#[test]
fn missing_file_is_io_error() {
    assert!(matches!(
        DumpDb::open(Path::new("/nonexistent/x.sql"), ""),
        Err(DbError::Io { .. })
    ));
}

#[test]
fn corrupt_and_truncated_gzip_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.sql.gz");
    let gz = gzip(&std::fs::read(FIXTURE).unwrap());
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let e = DumpDb::open(&path, "")
        .err()
        .expect("truncated gzip must fail");
    assert!(
        matches!(e, DbError::Io { .. } | DbError::DumpParse { .. }),
        "{e}"
    );
    let mut bad = gz.clone();
    for b in &mut bad[20..60] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &bad).unwrap();
    let e = DumpDb::open(&path, "")
        .err()
        .expect("corrupt gzip must fail");
    assert!(
        matches!(e, DbError::Io { .. } | DbError::DumpParse { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("dump.sql.gz"), "{e}");
}

#[test]
fn binary_junk_fails_cleanly() {
    let mut junk = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        junk.push((x >> 16) as u8);
    }
    let r = DumpDb::from_reader(&junk[..], Path::new("junk.bin"), "");
    assert!(matches!(r, Err(DbError::DumpParse { .. })));
    let r = DumpDb::from_reader(&b"\x7fELF\x02\x01\x01\0\0\0"[..], Path::new("a.out"), "");
    let (line, msg) = parse_err(r);
    assert_eq!(line, 1);
    assert!(msg.contains("not a SQL text dump"), "{msg}");
}

#[test]
fn complete_insert_and_partial_column_lists() {
    let db = ok(
        "CREATE TABLE store (store_id int, code varchar(32), name varchar(255), is_active int);\n\
         INSERT INTO `store` (`store_id`, `code`, `name`, `is_active`) VALUES (0,'admin','Admin',1),(1,'default','Default',1);\n\
         INSERT INTO store (name, store_id) VALUES ('Reordered', 2);\n",
    );
    let rows = db.rows("store", &[]).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].get("store_id"), Some(&SqlValue::Int(2)));
    assert_eq!(rows[2].text("name").as_deref(), Some("Reordered"));
    assert_eq!(rows[2].get("code"), Some(&SqlValue::Null));
    assert_eq!(
        rows[2].columns.as_slice(),
        ["store_id", "code", "name", "is_active"]
    );
    // A column list without any CREATE TABLE defines the columns.
    let db = ok("INSERT INTO store_website (website_id, code) VALUES (1, 'base');");
    assert!(db.has_table("store_website").unwrap());
    assert_eq!(
        db.rows("store_website", &[("code", "base".into())])
            .unwrap()
            .len(),
        1
    );
    // Unknown column in a filter.
    assert!(matches!(
        db.rows("store_website", &[("nope", SqlValue::Int(1))]),
        Err(DbError::Query { .. })
    ));
}

#[test]
fn insert_ignore_and_replace() {
    let db = ok(
        "CREATE TABLE `store` (`store_id` smallint NOT NULL, `code` varchar(32), PRIMARY KEY (`store_id`));\n\
         INSERT INTO `store` VALUES (1,'a'),(2,'b');\n\
         INSERT  IGNORE INTO `store` VALUES (1,'ignored'),(3,'c');\n\
         REPLACE INTO `store` VALUES (2,'replaced');\n\
         replace into store (store_id, code) values (4,'d');\n",
    );
    let codes: Vec<_> = db
        .rows("store", &[])
        .unwrap()
        .iter()
        .map(|r| r.text("code").unwrap())
        .collect();
    assert_eq!(codes, ["a", "replaced", "c", "d"]);
}

#[test]
fn every_escape_null_numbers_and_binary() {
    let db = ok(
        r#"CREATE TABLE `oauth_consumer` (`a` text, `b` float, `c` decimal(12,4), `d` bigint unsigned, `e` varbinary(8), `f` blob, `g` blob, `h` text);
INSERT INTO `oauth_consumer` VALUES ('\0\'\"\b\n\r\t\Z\\\%\_''x',1.5,12.5000,18446744073709551615,_binary 'ab\0c',X'DEADBEEF',0xCAFE,"dq""\'"),(NULL,-2.5e1,-0.0100,-42,_binary '',x'',NULL,''),('semi;colon','3',7,0,NULL,NULL,NULL,'),(');
"#,
    );
    let rows = db.rows("oauth_consumer", &[]).unwrap();
    let r = &rows[0].values;
    assert_eq!(r[0], text("\0'\"\u{8}\n\r\t\u{1a}\\\\%\\_'x"));
    assert_eq!(r[1], SqlValue::Float(1.5));
    assert_eq!(r[2], text("12.5000"));
    assert_eq!(r[3], SqlValue::UInt(u64::MAX));
    assert_eq!(r[4], SqlValue::Bytes(b"ab\0c".to_vec()));
    assert_eq!(r[5], SqlValue::Bytes(vec![0xde, 0xad, 0xbe, 0xef]));
    assert_eq!(r[6], SqlValue::Bytes(vec![0xca, 0xfe]));
    assert_eq!(r[7], text("dq\"'"));
    let r = &rows[1].values;
    assert_eq!(r[0], SqlValue::Null);
    assert_eq!(r[1], SqlValue::Float(-25.0));
    assert_eq!(r[2], text("-0.0100"));
    assert_eq!(r[3], SqlValue::Int(-42));
    assert_eq!(r[4], SqlValue::Bytes(vec![]));
    assert_eq!(r[5], SqlValue::Bytes(vec![]));
    assert_eq!(r[7], text(""));
    let r = &rows[2].values;
    assert_eq!(r[0], text("semi;colon"));
    assert_eq!(r[1], text("3"));
    assert_eq!(r[7], text("),("));
}

#[test]
fn raw_non_utf8_bytes_in_strings() {
    let mut sql = b"CREATE TABLE admin_user (a blob, b text);\nINSERT INTO admin_user VALUES ('\xff\x00\\'\xfe','caf\xc3\xa9');".to_vec();
    sql.extend_from_slice(b"\nINSERT INTO other VALUES ('\xff');");
    let db = DumpDb::from_reader(&sql[..], Path::new("t.sql"), "").unwrap();
    let rows = db.rows("admin_user", &[]).unwrap();
    assert_eq!(
        rows[0].values[0],
        SqlValue::Bytes(b"\xff\x00'\xfe".to_vec())
    );
    assert_eq!(rows[0].values[1], text("café"));
}

#[test]
fn multi_line_inserts_with_raw_newlines_and_comments() {
    // phpMyAdmin style: one row a line, raw newlines inside strings, comments around.
    let db = ok("-- phpMyAdmin SQL Dump\n\
         SET SQL_MODE = \"NO_AUTO_VALUE_ON_ZERO\";\n\
         # hash comment; with a semicolon\n\
         CREATE TABLE IF NOT EXISTS `authorization_rule` (\n  `rule_id` int(10) UNSIGNED NOT NULL,\n  `role_id` int(10) UNSIGNED NOT NULL DEFAULT 0,\n  `resource_id` varchar(255) DEFAULT NULL,\n  `permission` varchar(10) DEFAULT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8;\n\
         \n\
         INSERT INTO `authorization_rule` (`rule_id`, `role_id`, `resource_id`, `permission`) VALUES\n\
         (1, 1, 'Magento_Backend::all', 'allow'), -- trailing comment; with ;\n\
         (2, 2, 'multi\nline;\n''string''', /* inline; */ 'deny'),\n\
         (3, 2, 'x', 'allow');\n");
    let rows = db.rows("authorization_rule", &[]).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1].text("resource_id").as_deref(),
        Some("multi\nline;\n'string'")
    );
    assert_eq!(rows[1].text("permission").as_deref(), Some("deny"));
    assert_eq!(
        db.rows("authorization_rule", &[("role_id", SqlValue::Int(2))])
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn delimiter_blocks() {
    let db = ok("CREATE TABLE store (id int);\n\
         DELIMITER ;;\n\
         CREATE TRIGGER t1 BEFORE INSERT ON store FOR EACH ROW BEGIN INSERT INTO store VALUES (99); SET @x = ';'; END ;;\n\
         INSERT INTO store VALUES (1);;\n\
         DELIMITER $$\n\
         CREATE PROCEDURE p() BEGIN INSERT INTO store VALUES (98); END$$\n\
         delimiter ;\n\
         INSERT INTO store VALUES (2);\n");
    let ids: Vec<_> = db
        .rows("store", &[])
        .unwrap()
        .iter()
        .map(|r| r.int("id").unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
}

#[test]
fn conditional_comments() {
    let db = ok("/*!40101 SET NAMES utf8mb4 */;\n\
         /* plain; comment 'with quote */\n\
         /*!50001 CREATE ALGORITHM=UNDEFINED */\n\
         /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n\
         /*!50001 VIEW `v` AS select 1 AS `1` */;\n\
         CREATE TABLE store (id int) /*!50100 ENGINE=InnoDB */;\n\
         INSERT INTO store VALUES (1);\n");
    assert_eq!(db.rows("store", &[]).unwrap().len(), 1);
    assert_eq!(db.stats().statements, 4);
}

#[test]
fn table_prefix() {
    let sql = "CREATE TABLE `m2_admin_user` (user_id int, username varchar(40));\n\
         INSERT INTO `m2_admin_user` VALUES (1,'prefixed');\n\
         CREATE TABLE `admin_user` (user_id int, username varchar(40));\n\
         INSERT INTO `admin_user` VALUES (2,'foreign');\n\
         INSERT INTO `admin_user` VALUES (3,'not even a create');\n";
    let db = load(sql, "m2_").unwrap();
    let rows = db.rows("admin_user", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text("username").as_deref(), Some("prefixed"));
    assert!(!db.has_table("m2_admin_user").unwrap());
    assert_eq!(db.describe().table_prefix, "m2_");
    assert_eq!(db.stats().statements_skipped, 3);
    // Without the prefix, the prefixed table is someone else's.
    let db =
        ok("CREATE TABLE `m2_admin_user` (user_id int);\nINSERT INTO m2_admin_user VALUES (1);\n");
    assert!(!db.has_table("admin_user").unwrap());
}

#[test]
fn repeated_create_drop_and_truncate() {
    let db = ok(
        "CREATE TABLE store (id int);\nINSERT INTO store VALUES (1),(2);\n\
         DROP TABLE IF EXISTS `store`;\nCREATE TABLE store (id int, code text);\nINSERT INTO store VALUES (3,'c');\n",
    );
    let rows = db.rows("store", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].columns.as_slice(), ["id", "code"]);
    let db = ok("CREATE TABLE store (id int);\nINSERT INTO store VALUES (1);\nDROP TABLE store;\n");
    assert!(!db.has_table("store").unwrap());
    let db =
        ok("CREATE TABLE store (id int);\nINSERT INTO store VALUES (1);\nTRUNCATE TABLE store;\n");
    assert!(db.has_table("store").unwrap());
    assert!(db.rows("store", &[]).unwrap().is_empty());
    // A last statement without its semicolon still counts.
    let db = ok("CREATE TABLE store (id int);\nINSERT INTO store VALUES (1)");
    assert_eq!(db.rows("store", &[]).unwrap().len(), 1);
}

#[test]
fn insert_without_create_or_column_list() {
    let (line, msg) = parse_err(load("-- header\n\nINSERT INTO `store` VALUES (1);\n", ""));
    assert_eq!(line, 3);
    assert!(msg.contains("`store`"), "{msg}");
}

#[test]
fn malformed_kept_statement() {
    let sql = "CREATE TABLE store (id int);\nINSERT INTO other VALUES (((;\nINSERT INTO store\n  VALUES (1,;\n";
    let (line, _) = parse_err(load(sql, ""));
    assert_eq!(line, 3);
    let (line, msg) = parse_err(load(
        "CREATE TABLE store (id int);\n\nINSERT INTO store VALUES (1),(2,3);",
        "",
    ));
    assert_eq!(line, 3);
    assert!(msg.contains("row 2"), "{msg}");
    let (line, _) = parse_err(load("\n\nCREATE TABLE store (;", ""));
    assert_eq!(line, 3);
    let (line, msg) = parse_err(load(
        "CREATE TABLE store (id int);\nINSERT INTO store VALUES (NOW());",
        "",
    ));
    assert_eq!(line, 2);
    assert!(msg.contains("unsupported"), "{msg}");
}

#[test]
fn unterminated_string_and_comment() {
    let sql = "CREATE TABLE store (id int);\nINSERT INTO other VALUES (1,'ok'),\n(2,'never\nclosed);\nINSERT INTO store VALUES (1);\n";
    let (line, msg) = parse_err(load(sql, ""));
    assert_eq!(line, 3);
    assert!(msg.contains("unterminated string"), "{msg}");
    let (line, msg) = parse_err(load("SELECT 1;\n\n/* open\n comment", ""));
    assert_eq!(line, 3);
    assert!(msg.contains("comment"), "{msg}");
    let (line, _) = parse_err(load("SELECT 1;\nSELECT `x\n\n", ""));
    assert_eq!(line, 2);
    let (line, _) = parse_err(load("SELECT 1;\nSELECT 'x\\", ""));
    assert_eq!(line, 2);
}

#[test]
fn survives_truncation_anywhere() {
    let data = std::fs::read(FIXTURE).unwrap();
    for cut in 0..data.len() {
        // Ok or Err, never a panic.
        let _ = DumpDb::from_reader(&data[..cut], Path::new("cut.sql"), "");
    }
    let gz = gzip(&data);
    for cut in (0..gz.len()).step_by(7) {
        let _ = DumpDb::from_reader(
            flate2::read::MultiGzDecoder::new(&gz[..cut]),
            Path::new("cut.sql.gz"),
            "",
        );
    }
}

/// Reads the file named by `M2AUTH_BENCH_DUMP` and prints the throughput:
/// `M2AUTH_BENCH_DUMP=/tmp/x.sql cargo test --release --test it -- --ignored --nocapture dump::bench_throughput`
#[test]
#[ignore]
fn bench_throughput() {
    let Ok(path) = std::env::var("M2AUTH_BENCH_DUMP") else {
        eprintln!("set M2AUTH_BENCH_DUMP to a dump file");
        return;
    };
    let prefix = std::env::var("M2AUTH_BENCH_PREFIX").unwrap_or_default();
    let db = DumpDb::open(Path::new(&path), &prefix).unwrap_or_else(|e| panic!("{e}"));
    let s = db.stats();
    println!(
        "{path}: {:.1} MB in {:.2} s = {:.0} MB/s; {} statements, {} skipped, {} tables kept, {} rows",
        s.bytes_read as f64 / 1e6,
        s.elapsed.as_secs_f64(),
        s.mb_per_s(),
        s.statements,
        s.statements_skipped,
        s.tables_kept,
        s.rows_kept
    );
}

/// A reader that hands out a few bytes per read, so every lookahead crosses a read boundary.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn read_boundaries_anywhere() {
    let data = std::fs::read(FIXTURE).unwrap();
    for chunk in [1, 2, 3, 5, 64] {
        let db =
            DumpDb::from_reader(Trickle { data: &data, chunk }, Path::new("t.sql"), "").unwrap();
        check_fixture(&db);
    }
    let sql = "CREATE TABLE store (id int, s text);\nDELIMITER $$\nINSERT INTO store VALUES (1,'a\\'$$')$$\n-- c\n/* d */ DELIMITER ;\nINSERT INTO store VALUES (2,'x\n\n');\n\nSELECT 'open\n";
    for chunk in [1, 2, 3] {
        let r = DumpDb::from_reader(
            Trickle {
                data: sql.as_bytes(),
                chunk,
            },
            Path::new("t.sql"),
            "",
        );
        assert_eq!(parse_err(r).0, 10, "chunk {chunk}");
        let ok_sql = &sql[..sql.rfind("SELECT").unwrap()];
        let db = DumpDb::from_reader(
            Trickle {
                data: ok_sql.as_bytes(),
                chunk,
            },
            Path::new("t.sql"),
            "",
        )
        .unwrap();
        let rows = db.rows("store", &[]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text("s").as_deref(), Some("a'$$"));
        assert_eq!(rows[1].text("s").as_deref(), Some("x\n\n"));
    }
}

/// m2auth's own messages are shown as written: the quote character they name is not taken for
/// the start of a quoted literal and masked away.
#[test]
fn own_messages_read_cleanly() {
    // A dump truncated inside a string of a kept table.
    let sql = "CREATE TABLE admin_user (user_id int, password varchar(255));\nINSERT INTO admin_user VALUES (1,'abc";
    let err = load(sql, "").err().expect("truncated dump");
    assert_eq!(
        err.to_string(),
        "test.sql:2: unterminated string (opening ') at end of dump (statement started at line 2)"
    );
    let (_, msg) = parse_err(load("SELECT 1;\nSELECT \"x", ""));
    assert_eq!(
        msg,
        "unterminated string (opening \") at end of dump (statement started at line 2)"
    );
    let (_, msg) = parse_err(load("SELECT 1;\nSELECT `x", ""));
    assert_eq!(
        msg,
        "unterminated identifier (opening `) at end of dump (statement started at line 2)"
    );
    let (_, msg) = parse_err(load(
        "CREATE TABLE store (id int);\n\nINSERT INTO store VALUES (1),(2,3);",
        "",
    ));
    assert_eq!(msg, "INSERT into `store`: row 2 has 2 values, expected 1");
}

/// Messages that quote dump input (sqlparser's errors, values, column names) never show a
/// secret the row holds.
#[test]
fn input_quoted_in_messages_is_masked() {
    const SECRET: &str = "S3cret-Passw0rd-Hash";
    let create = "CREATE TABLE admin_user (user_id int, password varchar(255));\n";
    for (row, expect) in [
        // sqlparser errors on the row (not the fast reader's plain VALUES).
        (
            format!("INSERT INTO admin_user VALUES (1, '{SECRET}' '{SECRET}' +);"),
            "",
        ),
        (
            format!("INSERT INTO admin_user VALUES (1, '{SECRET}' 7);"),
            "",
        ),
        (
            format!("INSERT INTO admin_user VALUES (1, '{SECRET}'), (2 '{SECRET}');"),
            "",
        ),
        (
            format!("INSERT INTO admin_user VALUES (1, 'x'), (2 'a\\'{SECRET}');"),
            "",
        ),
        (
            format!("INSERT INTO admin_user VALUES (1, 'x'), (2 'a''{SECRET}');"),
            "",
        ),
        // A value m2auth does not evaluate.
        (
            format!("INSERT INTO admin_user VALUES (1, CONCAT('{SECRET}', 'x'));"),
            "unsupported value",
        ),
        // A column name that is not in the table.
        (
            format!("INSERT INTO admin_user (user_id, `pw'{SECRET}'`) VALUES (1, 'x');"),
            "unknown column",
        ),
    ] {
        let sql = format!("{create}{row}\n");
        let err = load(&sql, "")
            .err()
            .unwrap_or_else(|| panic!("{row}: no error"));
        let text = format!("{err} {err:?}");
        assert!(matches!(err, DbError::DumpParse { .. }), "{row}: {text}");
        assert!(!text.contains(SECRET), "{row}: {text}");
        assert!(!text.contains("Passw0rd"), "{row}: {text}");
        assert!(text.contains(expect), "{row}: {text}");
        eprintln!("{text}");
    }
}
