//! The env.php / config.php parser through its public API.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use m2auth::store::envphp::{
    Document, Environment, Key, NoEnv, ParseError, Value, parse, parse_file,
};

struct MapEnv(HashMap<&'static str, &'static str>);

impl Environment for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|s| s.to_string())
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/envphp")
        .join(name)
}

fn load(name: &str, env: &dyn Environment) -> Document {
    parse_file(&fixture(name), env).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_str(src: &str) -> Result<Document, ParseError> {
    parse(src.as_bytes(), Path::new("app/etc/env.php"), &NoEnv)
}

fn err(src: &str) -> String {
    parse_str(src).expect_err("must fail").to_string()
}

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

#[test]
fn generated_2_4_short_syntax() {
    let d = load("env-2.4.php", &NoEnv);
    assert!(d.unresolved.is_empty());
    assert_eq!(d.string("backend/frontName").as_deref(), Some("admin_x1y2"));
    assert_eq!(d.line("backend/frontName"), Some(4));
    // Two crypt keys separated by a raw new line inside a double-quoted string.
    let key = d.string("crypt/key").unwrap();
    assert_eq!(
        key.lines().collect::<Vec<_>>(),
        [
            "base64Q29uZ3JhdHVsYXRpb25zLCB5b3UgZm91bmQgaXQh",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90"
        ]
    );
    assert_eq!(d.line("crypt/key"), Some(13));
    assert_eq!(
        d.string("db/connection/default/password").as_deref(),
        Some("p@ss'w\\rd")
    );
    assert_eq!(d.line("db/connection/default/password"), Some(23));
    assert_eq!(
        d.get("db/connection/default/driver_options/1014"),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        d.get("queue/consumers_wait_for_messages"),
        Some(&Value::Int(1))
    );
    assert_eq!(
        d.string("cache/frontend/default/backend").as_deref(),
        Some("Magento\\Framework\\Cache\\Backend\\Redis")
    );
    assert_eq!(d.get("cache_types/full_page"), Some(&Value::Int(0)));
    assert_eq!(
        d.get("directories/document_root_is_pub"),
        Some(&Value::Bool(true))
    );
    let domains = d
        .get("downloadable_domains")
        .and_then(Value::as_array)
        .unwrap();
    assert_eq!(domains.entries[0].key, Key::Int(0));
    assert_eq!(domains.entries[0].line, 85);
    assert_eq!(
        d.string("system/default/web/secure/base_url").as_deref(),
        Some("https://shop.example.com/")
    );
    assert_eq!(d.line("system"), Some(90));
}

#[test]
fn var_export_2_1_long_syntax() {
    let d = load("env-2.1.php", &NoEnv);
    assert!(d.unresolved.is_empty());
    assert_eq!(d.string("backend/frontName").as_deref(), Some("admin"));
    assert_eq!(d.line("backend"), Some(3));
    assert_eq!(d.line("backend/frontName"), Some(5));
    assert_eq!(d.get("db/connection/default/password"), Some(&Value::Null));
    assert_eq!(d.line("db/connection/default/password"), Some(29));
    assert_eq!(d.get("cache_types/full_page"), Some(&Value::Int(1)));
    assert_eq!(d.root.len(), 9);
}

#[test]
fn hand_edited_comments_tabs_crlf_bom() {
    let d = load("env-handedited.php", &NoEnv);
    assert_eq!(
        d.string("backend/frontName").as_deref(),
        Some("secret_admin")
    );
    assert_eq!(d.line("backend"), Some(7));
    assert_eq!(d.string("MAGE_MODE").as_deref(), Some("production"));
    assert_eq!(
        d.root
            .iter()
            .filter(|e| e.key == Key::Str("MAGE_MODE".into()))
            .count(),
        1,
        "commented out"
    );
    assert_eq!(d.line("MAGE_MODE"), Some(11));
    assert_eq!(
        d.string("db/connection/default/host").as_deref(),
        Some("db\t1")
    );
    assert_eq!(d.line("db/connection/default/password"), Some(16));
    let opts = d
        .get("db/connection/default/driver_options")
        .and_then(Value::as_array)
        .unwrap();
    assert_eq!(
        opts.entries[0].key,
        Key::Const("PDO::MYSQL_ATTR_SSL_CA".into())
    );
    assert_eq!(opts.entries[0].value, s("/etc/ssl/ca.pem"));
    assert_eq!(
        opts.entries[1].key,
        Key::Const("PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT".into())
    );
    assert_eq!(
        d.get("db/connection/default/driver_options/PDO::MYSQL_ATTR_SSL_CA"),
        Some(&s("/etc/ssl/ca.pem"))
    );
    assert_eq!(d.get("empty"), Some(&Value::Array(Default::default())));
    assert_eq!(d.get("empty2"), Some(&Value::Array(Default::default())));
}

fn docker_env() -> MapEnv {
    MapEnv(HashMap::from([
        ("MYSQL_HOST", "mysql.svc"),
        ("MYSQL_USER", "mage"),
        ("CRYPT_KEY", "k3y"),
        ("REDIS_PORT", "6380"),
        ("DOMAIN", "shop.test"),
    ]))
}

#[test]
fn docker_style_resolved_through_environment() {
    let d = load("env-docker.php", &docker_env());
    assert_eq!(
        d.string("db/connection/default/host").as_deref(),
        Some("mysql.svc")
    );
    assert_eq!(
        d.string("db/connection/default/username").as_deref(),
        Some("mage")
    );
    assert_eq!(
        d.string("db/connection/default/dbname").as_deref(),
        Some("magento")
    );
    assert_eq!(d.string("crypt/key").as_deref(), Some("k3y"));
    assert_eq!(d.string("backend/frontName").as_deref(), Some("admin"));
    assert_eq!(
        d.string("cache/frontend/default/backend_options/server")
            .as_deref(),
        Some("redis")
    );
    assert_eq!(
        d.get("cache/frontend/default/backend_options/port"),
        Some(&Value::Int(6380))
    );
    assert_eq!(d.string("http_cache_hosts/0/port").as_deref(), Some("80"));
    assert_eq!(d.string("base_url").as_deref(), Some("https://shop.test/"));
    assert_eq!(d.string("MAGE_MODE").as_deref(), Some("developer"));
    // Only the password is not set in this environment.
    assert_eq!(d.unresolved.len(), 1);
    let u = &d.unresolved[0];
    assert_eq!(
        (u.path.as_str(), u.line, u.text.as_str()),
        (
            "db/connection/default/password",
            22,
            "$_ENV['MYSQL_PASSWORD']"
        )
    );
    assert_eq!(
        d.unresolved_at("db/connection/default/password")
            .map(|u| u.line),
        Some(22)
    );
}

#[test]
fn docker_style_without_environment() {
    let d = load("env-docker.php", &NoEnv);
    assert_eq!(
        d.string("db/connection/default/host").as_deref(),
        Some("db")
    );
    assert_eq!(
        d.string("cache/frontend/default/backend_options/port")
            .as_deref(),
        Some("6379")
    );
    let paths: Vec<_> = d
        .unresolved
        .iter()
        .map(|u| (u.path.as_str(), u.line))
        .collect();
    assert_eq!(
        paths,
        [
            ("crypt/key", 14),
            ("db/connection/default/username", 21),
            ("db/connection/default/password", 22),
            ("base_url", 40),
        ]
    );
    let nl = d.get("crypt/key").and_then(Value::non_literal).unwrap();
    assert_eq!((nl.text.as_str(), nl.line), ("getenv('CRYPT_KEY')", 14));
    assert_eq!(d.line("crypt/key"), Some(14));
}

#[test]
fn config_php_modules() {
    let d = load("config.php", &NoEnv);
    let modules = d.get("modules").and_then(Value::as_array).unwrap();
    assert_eq!(modules.len(), 10);
    assert_eq!(modules.entries[0].key, Key::Str("Magento_Store".into()));
    assert_eq!(modules.entries[0].line, 4);
    let off: Vec<_> = modules
        .iter()
        .filter(|e| e.value == Value::Int(0))
        .map(|e| e.key.to_string())
        .collect();
    assert_eq!(
        off,
        [
            "Magento_TwoFactorAuth",
            "Magento_AdminAdobeImsTwoFactorAuth"
        ]
    );
    assert_eq!(
        d.string("scopes/websites/admin/website_id").as_deref(),
        Some("0")
    );
    assert_eq!(
        d.string("system/default/oauth/access_token_lifetime/admin")
            .as_deref(),
        Some("4")
    );
}

#[test]
fn every_literal_form() {
    let src = r#"<?php
# comment
return [
    'sq' => 'a\'b\\c\d',
    "dq" => "tab\there\x41\101\u{263A}\$x\"\q",
    'nl' => 'one
two',
    'int' => 0x1F + 0b11 + 0o7 + 010 + 1_000,
    'neg' => -42,
    'floats' => [1.5, .5, 1e3, -2.5],
    'bools' => [TRUE, false, Null],
    'casts' => [(int) '42', (string) 5, (bool) 1],
    'list' => ['a', 'b', 10 => 'c', 'd'],
    -1 => 'negative key',
    'nested' => array('x' => ARRAY('y' => [])),
    'heredoc' => <<<EOT
        Line $notset
        EOT,
    'nowdoc' => <<<'EOT'
    raw $x \n
    EOT,
];
"#;
    let d = parse_str(src).unwrap();
    assert_eq!(d.get("sq"), Some(&s("a'b\\c\\d")));
    assert_eq!(d.get("dq"), Some(&s("tab\there\u{41}A☺$x\"\\q")));
    assert_eq!(d.get("nl"), Some(&s("one\ntwo")));
    assert_eq!(d.line("nl"), Some(6));
    assert_eq!(d.get("int"), Some(&Value::Int(31 + 3 + 7 + 8 + 1000)));
    assert_eq!(d.get("neg"), Some(&Value::Int(-42)));
    let floats: Vec<_> = d
        .get("floats")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|e| e.value.clone())
        .collect();
    assert_eq!(
        floats,
        [
            Value::Float(1.5),
            Value::Float(0.5),
            Value::Float(1000.0),
            Value::Float(-2.5)
        ]
    );
    assert_eq!(d.get("bools/0"), Some(&Value::Bool(true)));
    assert_eq!(d.get("bools/2"), Some(&Value::Null));
    assert_eq!(d.get("casts/0"), Some(&Value::Int(42)));
    assert_eq!(d.get("casts/1"), Some(&s("5")));
    assert_eq!(d.get("casts/2"), Some(&Value::Bool(true)));
    let keys: Vec<_> = d
        .get("list")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|e| e.key.clone())
        .collect();
    assert_eq!(keys, [Key::Int(0), Key::Int(1), Key::Int(10), Key::Int(11)]);
    assert_eq!(d.get("-1"), Some(&s("negative key")));
    assert_eq!(d.get("nested/x/y"), Some(&Value::Array(Default::default())));
    assert!(
        d.get("heredoc").unwrap().non_literal().is_some(),
        "unknown variable in a heredoc"
    );
    assert_eq!(d.unresolved.len(), 1);
    assert_eq!(d.unresolved[0].line, 16);
    assert_eq!(d.get("nowdoc"), Some(&s("raw $x \\n")));
}

#[test]
fn invalid_utf8_inside_strings_is_lossy() {
    let d = parse(
        b"<?php return ['k' => 'a\xff\xfeb'];",
        Path::new("env.php"),
        &NoEnv,
    )
    .unwrap();
    assert_eq!(d.get("k"), Some(&s("a\u{fffd}\u{fffd}b")));
}

#[test]
fn code_after_return_is_ignored() {
    let d = parse_str("<?php return ['a' => 1]; 'unterminated \0 junk ((( ").unwrap();
    assert_eq!(d.get("a"), Some(&Value::Int(1)));
    let d = parse_str("<?php return ['a' => 1] ?>\n<html>").unwrap();
    assert_eq!(d.get("a"), Some(&Value::Int(1)));
}

#[test]
fn broken_files_give_one_error_with_position() {
    let cases = [
        (
            "",
            "app/etc/env.php:1:1: empty file: no `<?php` opening tag",
        ),
        (
            "   \n  ",
            "app/etc/env.php:2:3: empty file: no `<?php` opening tag",
        ),
        (
            "\0\u{1}ELF\0",
            "app/etc/env.php:1:1: not a PHP file: binary data",
        ),
        (
            "<?php\nreturn [\n  'a' => 1;\n];",
            "app/etc/env.php:3:11: expected `]` or `,` after array element, found `;`",
        ),
        (
            "<?php\nreturn [\n  'a' => 'x\n];",
            "app/etc/env.php:4:3: unterminated string starting at 3:10",
        ),
        (
            "<?php\nreturn [\n  'a' => [\n    'b' => 1,\n",
            "app/etc/env.php:5:1: unexpected end of file: 2 brackets still open (opened at 3:10)",
        ),
        (
            "<?php\nreturn [1, 2)];",
            "app/etc/env.php:2:13: expected `]` or `,` after array element, found `)`",
        ),
        (
            "<?php\n$a = 1;",
            "app/etc/env.php:2:8: no `return` statement",
        ),
        (
            "<?php\nreturn 1;",
            "app/etc/env.php:2:8: `return` must give an array, found `1`",
        ),
        (
            "<?php\nreturn 'x';",
            "app/etc/env.php:2:8: `return` must give an array, found a string",
        ),
        (
            "<?php\nreturn ['a' => 1]",
            "app/etc/env.php:2:18: unexpected end of file (expected `;` after the returned array)",
        ),
        (
            "<?php\nreturn ['a' => 1] 'b';",
            "app/etc/env.php:2:19: expected `;` after the returned array, found string `…`",
        ),
        (
            "<?php\nreturn ['a' => \0];",
            "app/etc/env.php:2:16: not a PHP file: binary data (NUL byte)",
        ),
        (
            "<?php\nreturn [, 1];",
            "app/etc/env.php:2:9: expected a value, found `,`",
        ),
        (
            "<?php\nreturn [1,, 2];",
            "app/etc/env.php:2:11: expected a value, found `,`",
        ),
        (
            "<?php\n/* open comment\nreturn [];",
            "app/etc/env.php:3:11: unterminated comment starting at 2:1",
        ),
        (
            "<?phpreturn [];",
            "app/etc/env.php:1:6: expected a space or a new line after `<?php`",
        ),
        (
            "<?php\nreturn ['a' => (1];",
            "app/etc/env.php:2:18: expected `)`, found `]`",
        ),
        (
            "<?php\nreturn ['a' => foo(1, ];",
            "app/etc/env.php:2:23: expected a value, found `]`",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(err(src), want, "{src:?}");
    }
    let invalid_utf8 = parse(
        b"<?php\nreturn [\xff];",
        Path::new("app/etc/env.php"),
        &NoEnv,
    )
    .unwrap_err();
    assert_eq!(
        invalid_utf8.to_string(),
        "app/etc/env.php:2:9: not a PHP file: binary data (invalid UTF-8)"
    );
    assert_eq!((invalid_utf8.line, invalid_utf8.column), (2, 9));
}

#[test]
fn parse_error_display_is_one_line() {
    let e = ParseError {
        path: "app/etc/env.php".into(),
        line: 12,
        column: 5,
        message: "boom".into(),
    };
    assert_eq!(e.to_string(), "app/etc/env.php:12:5: boom");
    let missing = parse_file(Path::new("/nonexistent/env.php"), &NoEnv).unwrap_err();
    assert_eq!((missing.line, missing.column), (0, 0));
    assert!(!missing.to_string().contains('\n'));
}

#[test]
fn every_prefix_and_byte_flip_never_panics() {
    for name in [
        "env-2.4.php",
        "env-docker.php",
        "env-handedited.php",
        "env-2.1.php",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let env = docker_env();
        for cut in 0..bytes.len() {
            let r = parse(&bytes[..cut], Path::new(name), &env);
            if let Err(e) = r {
                assert!(!e.to_string().contains('\n'), "{e}");
                assert!(e.line >= 1 && e.column >= 1, "{e}");
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..1500 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut v = bytes.clone();
            let at = (seed % v.len() as u64) as usize;
            v[at] = match seed >> 60 {
                0 => 0,
                1 => b'[',
                2 => b']',
                3 => b'\'',
                4 => b'"',
                5 => b'(',
                6 => b'$',
                7 => b'\\',
                8 => 0xff,
                _ => (seed >> 32) as u8,
            };
            let _ = parse(&v, Path::new(name), &env);
        }
    }
}

#[test]
fn ten_thousand_brackets_is_an_error_not_a_stack_overflow() {
    for open in ["[", "array(", "(", "['a' => ", "fn() => ", "1 ? "] {
        let src = format!("<?php return {};", open.repeat(10_000));
        let e = err(&src);
        assert!(e.contains("nesting deeper than 64 levels"), "{open}: {e}");
    }
    let closed = format!("<?php return {}{};", "[".repeat(10_000), "]".repeat(10_000));
    assert!(err(&closed).contains("nesting deeper"));
}

#[test]
fn typical_file_parses_fast() {
    let bytes = std::fs::read(fixture("env-2.4.php")).unwrap();
    let start = std::time::Instant::now();
    for _ in 0..100 {
        parse(&bytes, Path::new("env.php"), &NoEnv).unwrap();
    }
    // Generous even for an unoptimised build on a busy machine.
    assert!(start.elapsed().as_millis() < 2000, "{:?}", start.elapsed());
}

// ---- secrets never leak through non-literal texts and errors ----------------------------------

/// Every place an expression's text or an error reaches the user.
fn all_texts(r: &Result<Document, ParseError>) -> Vec<String> {
    let mut out = Vec::new();
    match r {
        Ok(d) => {
            for u in &d.unresolved {
                out.push(u.text.clone());
                out.push(u.path.clone());
            }
            collect_non_literals(&d.root, &mut out);
        }
        Err(e) => out.push(e.to_string()),
    }
    out
}

fn collect_non_literals(a: &m2auth::store::envphp::Array, out: &mut Vec<String>) {
    for e in a.iter() {
        out.push(e.key.to_string());
        match &e.value {
            Value::NonLiteral(n) => out.push(n.text.clone()),
            Value::Array(inner) => collect_non_literals(inner, out),
            _ => {}
        }
    }
}

fn assert_hidden(r: &Result<Document, ParseError>, secrets: &[&str]) {
    let texts = all_texts(r);
    assert!(!texts.is_empty());
    for t in &texts {
        for s in secrets {
            assert!(!t.contains(s), "{s:?} leaks in {t:?}");
        }
    }
}

#[test]
fn old_crypt_key_in_an_unresolved_concatenation_is_masked() {
    let src = r#"<?php
return [
    'crypt' => [
        'key' => 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6' . "\n" . getenv('NEW')
    ],
];"#;
    let r = parse_str(src);
    assert_hidden(&r, &["a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "e5f6a7b8"]);
    let d = r.unwrap();
    let u = d.unresolved_at("crypt/key").unwrap();
    assert_eq!(u.text, r#"'a1b2…c5d6' . "…" . getenv('NEW')"#);
    let nl = d.get("crypt/key").and_then(Value::non_literal).unwrap();
    assert_eq!(nl.text, u.text);
}

#[test]
fn password_concatenated_with_getenv_is_masked_and_the_variable_named() {
    let src = "<?php return ['db' => ['connection' => ['default' => [\n\
               'password' => 'p4ss' . getenv('X'),\n\
               'username' => $_ENV['DB_USER'] ?? 'Sup3r-Secret-DB-pw' . $_SERVER['Y'],\n\
               'host' => \"db-{$_ENV['DB_HOST']}-Sup3r-Secret-DB-pw-$x\",\n\
               'dbname' => $e('DB_PASS', 'Sup3r-Secret-DB-pw'),\n\
               'model' => getenv('DB_PASS'),\n\
               'engine' => getenv('Sup3r-Secret-DB-pw'),\n\
               ]]]];";
    let r = parse_str(src);
    assert_hidden(&r, &["p4ss", "Sup3r-Secret-DB-pw", "Secret"]);
    let d = r.unwrap();
    let text = |k: &str| {
        d.unresolved_at(&format!("db/connection/default/{k}"))
            .unwrap()
            .text
            .clone()
    };
    assert_eq!(text("password"), "'…' . getenv('X')");
    assert_eq!(
        text("username"),
        "$_ENV['DB_USER'] ?? 'Sup3…B-pw' . $_SERVER['Y']"
    );
    assert_eq!(text("host"), "\"…{$_ENV['DB_HOST']}-Sup…-pw-{$x}\"");
    assert_eq!(text("dbname"), "$e('DB_PASS', 'Sup3…B-pw')");
    assert_eq!(text("model"), "getenv('DB_PASS')");
    // Not an environment variable name: masked like any literal.
    assert_eq!(text("engine"), "getenv('Sup3…B-pw')");
}

#[test]
fn comments_inside_a_non_literal_are_dropped() {
    let src = "<?php return ['a' => getenv('A') /* old: Sup3r-Secret-DB-pw */ . 'x' // Sup3r-Secret-DB-pw\n];";
    let r = parse_str(src);
    assert_hidden(&r, &["Sup3r-Secret-DB-pw"]);
    assert_eq!(r.unwrap().unresolved[0].text, "getenv('A') . '…'");
}

#[test]
fn long_non_literal_texts_are_shortened() {
    let src = format!(
        "<?php return ['a' => foo({})];",
        (0..200)
            .map(|i| format!("$v{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let d = parse_str(&src).unwrap();
    let t = &d.unresolved[0].text;
    assert_eq!(t.chars().count(), 120, "{t}");
    assert!(t.starts_with("foo($v0, $v1, ") && t.ends_with('…'), "{t}");
}

#[test]
fn non_array_return_does_not_echo_the_expression() {
    let src = "<?php\nreturn array_merge(['crypt' => ['key' => 'base64SuperSecretCryptKeyQUJDREVGR0g='],\n\
               'db' => ['connection' => ['default' => ['password' => 'Sup3r-Secret-DB-pw']]]], []);";
    let r = parse_str(src);
    assert_hidden(
        &r,
        &[
            "base64SuperSecret",
            "SuperSecret",
            "Sup3r-Secret-DB-pw",
            "crypt",
        ],
    );
    assert_eq!(
        r.unwrap_err().to_string(),
        "app/etc/env.php:2:8: `return` must give an array literal, found a function call `array_merge(…)` (not a literal)"
    );
    for (src, want) in [
        (
            "<?php\nreturn 'Sup3r-Secret-DB-pw' . $x;",
            "app/etc/env.php:2:8: `return` must give an array literal, found an expression starting with string `'Sup…-pw'` (not a literal)",
        ),
        (
            "<?php\nreturn 'Sup3r-Secret-DB-pw' . 'x';",
            "app/etc/env.php:2:8: `return` must give an array, found a string",
        ),
        (
            "<?php\nreturn \\Foo::bar(['password' => 'Sup3r-Secret-DB-pw']);",
            "app/etc/env.php:2:8: `return` must give an array literal, found a class member `Foo::…` (not a literal)",
        ),
        (
            "<?php\nreturn new Config(['password' => 'Sup3r-Secret-DB-pw']);",
            "app/etc/env.php:2:8: `return` must give an array literal, found an object (`new …`) (not a literal)",
        ),
        (
            "<?php\nreturn CONFIG;",
            "app/etc/env.php:2:8: `return` must give an array literal, found the constant `CONFIG` (not a literal)",
        ),
    ] {
        let r = parse_str(src);
        assert_hidden(&r, &["Sup3r-Secret-DB-pw", "Secret"]);
        assert_eq!(err(src), want);
    }
}

#[test]
fn syntax_errors_never_quote_a_string_whole() {
    for src in [
        "<?php return ['password' => 'Sup3r-Secret-DB-pw' 'x'];",
        "<?php return ['password' => 1 'Sup3r-Secret-DB-pw'];",
        "<?php return ['password' => (1 'Sup3r-Secret-DB-pw')];",
        "<?php return ['password' => 1] 'Sup3r-Secret-DB-pw';",
        "<?php return ['password' => <<<EOT\nSup3r-Secret-DB-pw\nEOT 'Sup3r-Secret-DB-pw'];",
        "<?php $p = ['Sup3r-Secret-DB-pw' 1]; return [];",
        "<?php return ['Sup3r-Secret-DB-pw' . $x => 1, 'k' => $y];",
    ] {
        assert_hidden(&parse_str(src), &["Sup3r-Secret-DB-pw", "Secret"]);
    }
}

// ---- bounded memory and time on hostile input --------------------------------------------------

fn hostile(src: &str) -> (String, std::time::Duration) {
    let start = std::time::Instant::now();
    let r = parse_str(src);
    let took = start.elapsed();
    match r {
        Ok(d) => panic!("must fail, parsed {} entries", d.root.len()),
        Err(e) => (e.to_string(), took),
    }
}

#[test]
fn array_doubling_fails_fast() {
    for n in [24, 42, 1000] {
        let src = format!("<?php $a=[1];{} return $a;", " $a[]=$a;".repeat(n));
        let (e, took) = hostile(&src);
        assert!(
            e.contains("value too large (over 1000000 array entries"),
            "{e}"
        );
        assert!(e.starts_with("app/etc/env.php:1:"), "{e}");
        assert!(took.as_secs_f64() < 2.0, "{n}: {took:?}");
    }
    // Copies through a new array, a closure and a list of reads double too.
    for src in [
        format!("<?php $a=[1];{} return $a;", " $a=[$a,$a];".repeat(40)),
        format!(
            "<?php $a=[1,2,3,4,5,6,7,8];{} return $a;",
            " $a=[$a,$a,$a,$a,$a,$a,$a,$a];".repeat(20)
        ),
        format!(
            "<?php $a=[1]; $f = fn($x) => [$x, $x];{} return $a;",
            " $a=$f($a);".repeat(40)
        ),
    ] {
        let (e, took) = hostile(&src);
        assert!(e.contains("value too large"), "{e}");
        assert!(took.as_secs_f64() < 2.0, "{took:?}");
    }
}

#[test]
fn string_doubling_fails_fast() {
    for n in [27, 64] {
        let src = format!("<?php $a='x';{} return [$a];", " $a=$a.$a;".repeat(n));
        let (e, took) = hostile(&src);
        assert!(e.contains("value too large (a string over 1 MiB)"), "{e}");
        assert!(took.as_secs_f64() < 2.0, "{n}: {took:?}");
    }
    // Through interpolation, and many strings just under the cap.
    let src = format!("<?php $a='x';{} return [$a];", " $a=\"$a$a\";".repeat(40));
    let (e, took) = hostile(&src);
    assert!(e.contains("value too large (a string over 1 MiB)"), "{e}");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
    let src = format!(
        "<?php $a='x';{} $b=[{}];{} return $b;",
        " $a=$a.$a;".repeat(19),
        "$a,".repeat(60),
        " $b[]=$b;".repeat(30)
    );
    let (e, took) = hostile(&src);
    assert!(e.contains("value too large (over 64 MiB of strings"), "{e}");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
}

#[test]
fn closure_call_fan_out_fails_fast() {
    let mut src = "<?php $f0 = fn() => 1;".to_string();
    for i in 1..=8 {
        src += &format!(
            " $f{i} = fn() => {}1;",
            format!("$f{}() + ", i - 1).repeat(10)
        );
    }
    src += " return [$f8()];";
    let (e, took) = hostile(&src);
    assert!(e.contains("too many closure calls"), "{e}");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
}

#[test]
fn closure_bodies_read_again_and_again_fail_fast() {
    let src = format!(
        "<?php $f = fn() => 1 /*{}*/ + 1; return [{}];",
        " ".repeat(100_000),
        "$f(),".repeat(2000)
    );
    let (e, took) = hostile(&src);
    assert!(e.contains("too much to evaluate"), "{e}");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
}

#[test]
fn deep_values_built_from_variables_are_an_error() {
    let src = format!("<?php $a=1;{} return [$a];", " $a=[$a];".repeat(100));
    let e = err(&src);
    assert!(e.contains("nesting deeper than 64 levels"), "{e}");
    let src = format!("<?php $a{} = 1; return [];", "[0]".repeat(100));
    let e = err(&src);
    assert!(e.contains("nesting deeper than 64 levels"), "{e}");
}

#[test]
fn real_uses_of_variables_and_closures_stay_within_the_caps() {
    // A big configuration kept in a variable, read many times through a helper.
    let mut src = "<?php $e = fn($k, $d = null) => getenv($k) ?: $d;\n$cfg = [".to_string();
    for i in 0..5000 {
        src += &format!("'k{i}' => ['v' => 'value number {i}', 'n' => {i}],\n");
    }
    src += "];\nreturn ['cfg' => $cfg";
    for i in 0..200 {
        src += &format!(", 'r{i}' => $e('X{i}', $cfg['k{i}']['v']), 'c{i}' => $cfg['k{i}']");
    }
    src += "];";
    let start = std::time::Instant::now();
    let d = parse_str(&src).unwrap();
    assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
    assert_eq!(d.string("r7").as_deref(), Some("value number 7"));
    assert_eq!(d.get("c9/n"), Some(&Value::Int(9)));
    assert_eq!(d.get("cfg/k4999/n"), Some(&Value::Int(4999)));
}
