//! Property tests over every parser of untrusted input (issue 11): env.php/config.php, dump
//! statements, JWT and opaque tokens, Authorization/OAuth headers, `--curl`, `--request`, Apache
//! and nginx configurations, module XML; and those added since: GraphQL documents and calls, SOAP
//! URLs and envelopes, HAR recordings, access-log lines (combined, custom, JSON), cache values
//! (PHP serialize, igbinary, Symfony's marshalled and compressed values). Each takes arbitrary bytes and inputs built from the
//! grammar's own pieces (braces, quotes, escapes, `${`, comments, merge markers), and asserts:
//! no panic (a panic fails the case), and an error is one line that names the file and line.
//! Time and memory stay bounded because every parser is linear and iterative (no recursion on
//! input depth): the cases here are small, and the regression tests next to each fix feed the
//! huge inputs (70,000 nested blocks, a million directives, a Define bomb). Case counts are
//! bounded so the whole file runs in seconds; `PROPTEST_CASES` raises them for a longer hunt.

use std::path::Path;

use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(200),
        // No regression files written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text made of the pieces a grammar cares about, so that the cases reach past the first byte.
fn pieces(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max).prop_map(|v| v.concat())
}

const PHP: &[&str] = &[
    "<?php ",
    "return ",
    "[",
    "]",
    "(",
    ")",
    "'",
    "\"",
    "\\",
    "=>",
    ",",
    ";",
    "\n",
    " ",
    "a",
    "0",
    "1",
    "-",
    "/",
    "%",
    "*",
    "+",
    ".",
    "9223372036854775807",
    "-9223372036854775808",
    "(int)",
    "(string)",
    "getenv(",
    "$",
    "array(",
    "true",
    "null",
    "1e308",
    "0x",
    "__DIR__",
    "<<<EOT\n",
    "\nEOT",
    "#",
    "//",
    "/*",
    "*/",
    "?>",
    "é",
    "\0",
];

const NGINX: &[&str] = &[
    "server",
    "location",
    " ",
    "\n",
    "{",
    "}",
    ";",
    "#",
    "\"",
    "'",
    "\\",
    "$",
    "${",
    "a",
    "b",
    "include x.conf",
    "root /srv/x",
    "\r",
    "if (",
    ")",
    "_by_lua_block",
    "--",
];

const APACHE: &[&str] = &[
    "<VirtualHost *:80>",
    "</VirtualHost>",
    "<IfModule x>",
    "</IfModule>",
    "<",
    ">",
    "</",
    " ",
    "\n",
    "\\\n",
    "\"",
    "'",
    "\\",
    "#",
    "Define A ",
    "${A}",
    "${",
    "}",
    "DocumentRoot /srv/x",
    "Include x.conf",
    "a",
    "\r",
];

const XML: &[&str] = &[
    "<?xml version=\"1.0\"?>",
    "<config>",
    "</config>",
    "<module name=\"A_B\"/>",
    "<routes>",
    "</routes>",
    "<route url=\"/V1/x\" method=\"GET\">",
    "</route>",
    "<resource ref=\"self\"/>",
    "<acl>",
    "<resources>",
    "<resource id=\"A::b\">",
    "</resource>",
    "<<<<<<< HEAD\n",
    "=======\n",
    ">>>>>>> x\n",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&amp;",
    "&",
    "\"",
    "<",
    ">",
    "\n",
    " ",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    "&a;",
];

const HEADER: &[&str] = &[
    "OAuth ",
    "Bearer ",
    "Basic ",
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature",
    "=",
    "\"",
    ",",
    " ",
    "%",
    "%2",
    "%ZZ",
    "a",
    "realm",
    "eyJ",
    ".",
    "\t",
    "é",
];

const CURL: &[&str] = &[
    "curl ",
    "-X ",
    "POST ",
    "-H ",
    "'",
    "\"",
    "\\",
    "Authorization: Bearer x ",
    "-d ",
    "--data=",
    "-Z",
    "--json ",
    "-u ",
    "a:b ",
    "https://shop.test/rest/V1/x",
    "?a=1&access_token=x",
    " ",
    "--url ",
    "-sSk ",
    "-G ",
    "--oauth2-bearer ",
    "$",
    "`",
    "#",
    "\n",
];

const SQL: &[&str] = &[
    "INSERT INTO `oauth_token` VALUES ",
    "(",
    ")",
    ",",
    "'",
    "\\'",
    "\\",
    "1",
    "NULL",
    ";",
    "\n",
    "CREATE TABLE `core_config_data` (",
    "`",
    "/*!40101 ",
    "*/",
    "-- ",
    "DROP TABLE ",
    "0x",
    "_binary ",
    "LOCK TABLES ",
    "UNLOCK TABLES",
    "x",
];

const GRAPHQL: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "$",
    "!",
    "...",
    "@",
    "\"",
    "\\",
    "#",
    "\n",
    " ",
    ",",
    "query ",
    "mutation ",
    "subscription ",
    "fragment F on Query ",
    "on ",
    "customer",
    "email",
    "generateCustomerToken",
    "email: \"a\"",
    "password: $p",
    "0",
    "1.5e3",
    "true",
    "null",
];

const HAR: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    " ",
    "\"log\"",
    "\"entries\"",
    "\"request\"",
    "\"response\"",
    "\"method\"",
    "\"url\"",
    "\"headers\"",
    "\"name\"",
    "\"value\"",
    "\"postData\"",
    "\"text\"",
    "\"status\"",
    "\"content\"",
    "401",
    "200",
    "\"POST\"",
    "\"https://s.test/graphql\"",
    "\"/rest/V1/x\"",
    "\"http://[::1\"",
    "\":authority\"",
    "\"Authorization\"",
    "\"Bearer x\"",
    "null",
    "\n",
];

const LOG: &[&str] = &[
    "1.2.3.4 ",
    "- ",
    "- ",
    "[",
    "]",
    "07/Dec/2026:10:00:00 +0000",
    "\"",
    "\\\"",
    "GET ",
    "POST ",
    "/rest/V1/products",
    "/graphql",
    "/soap/default?services=a",
    "/index.php",
    "?x=1",
    " HTTP/1.1",
    " 401 ",
    " 200 ",
    "123 ",
    "\"-\" ",
    "\"curl/8\"",
    "{",
    "}",
    ":",
    ",",
    "\"status\"",
    "\"request\"",
    "\n",
    "\r",
    " ",
    "http://h",
    "Bearer ",
    "::1 ",
];

/// An error message: one line, naming `file` and a line number (`file:N`).
fn one_line_naming(msg: &str, file: &str) -> Result<(), TestCaseError> {
    prop_assert!(!msg.contains('\n'), "not one line: {msg:?}");
    prop_assert!(
        msg.contains(&format!("{file}:")),
        "does not name {file}:LINE: {msg:?}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn env_php_never_panics_and_errors_name_file_and_line(
        text in pieces(PHP, 60),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        for src in [text.as_bytes(), bytes.as_slice()] {
            let r = m2auth::store::envphp::parse(src, Path::new("app/etc/env.php"), &m2auth::store::envphp::NoEnv);
            if let Err(e) = r {
                one_line_naming(&e.to_string(), "app/etc/env.php")?;
            }
        }
    }

    #[test]
    fn dump_statements_never_panic(text in pieces(SQL, 60), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for src in [text.into_bytes(), bytes] {
            let r = m2auth::store::db::dump::DumpDb::from_reader(src.as_slice(), Path::new("dump.sql"), "");
            if let Err(e) = r {
                let msg = e.to_string();
                prop_assert!(!msg.contains('\n'), "{msg:?}");
                prop_assert!(msg.contains("dump.sql"), "{msg:?}");
            }
        }
    }

    #[test]
    fn tokens_and_headers_never_panic(s in ".{0,300}", h in pieces(HEADER, 40)) {
        for t in [s.as_str(), h.as_str()] {
            let _ = m2auth::magento::token::parse(t);
            let _ = m2auth::magento::jwt::verify(t, &serde_json::json!({"alg": "HS256"}), &["k".repeat(32)], "HS256");
            let _ = m2auth::magento::oauth1::parse_authorization(t);
            let _ = m2auth::magento::oauth1::parse_str(t);
            let _ = m2auth::magento::oauth1::rawurldecode(t);
            let _ = m2auth::mask::mask_fields(t);
        }
    }

    #[test]
    fn curl_and_request_never_panic_and_errors_are_one_line(c in pieces(CURL, 30), r in ".{0,80}") {
        let curl = m2auth::request::RequestOptions { curl: Some(c.clone()), ..Default::default() };
        let req = m2auth::request::RequestOptions { request: Some(r), headers: vec![c.clone()], ..Default::default() };
        for o in [curl, req] {
            if let Err(e) = m2auth::request::RequestSpec::from_options(&o) {
                let msg = e.to_string();
                prop_assert!(!msg.contains('\n'), "{msg:?}");
                // An unknown curl option is named, never the value glued to it.
                if let Some(rest) = msg.split("curl option ").nth(1) {
                    let opt = rest.split(' ').next().unwrap_or("");
                    prop_assert!(!opt.contains('='), "{msg:?}");
                    prop_assert!(opt.starts_with("--") || opt.chars().count() <= 2, "{msg:?}");
                }
            }
        }
    }

    #[test]
    fn nginx_never_panics_and_errors_name_a_line(text in pieces(NGINX, 120), s in ".{0,200}") {
        for t in [text.as_str(), s.as_str()] {
            if let Err((line, why)) = m2auth::store::server::nginx::parse_str(t, Path::new("n.conf")) {
                prop_assert!(line >= 1 && line as usize <= t.split('\n').count(), "line {line}: {why}");
                prop_assert!(!why.contains('\n'), "{why:?}");
            }
        }
    }

    #[test]
    fn apache_never_panics_and_errors_name_a_line(text in pieces(APACHE, 80), s in ".{0,200}") {
        for t in [text.as_str(), s.as_str()] {
            if let Err((line, why)) = m2auth::store::server::apache::parse_str(t, Path::new("a.conf")) {
                prop_assert!(line >= 1 && line as usize <= t.split('\n').count(), "line {line}: {why}");
                prop_assert!(!why.contains('\n'), "{why:?}");
            }
        }
    }

    #[test]
    fn module_xml_never_panics_and_errors_name_a_line(text in pieces(XML, 40), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for src in [text.as_bytes(), bytes.as_slice()] {
            if let Some((line, why)) = m2auth::store::module_xml::check(src) {
                prop_assert!(line.is_some_and(|l| l >= 1), "{why}");
                prop_assert!(!why.contains('\n'), "{why:?}");
            }
            let s = String::from_utf8_lossy(src);
            let _ = m2auth::store::modules::parse_module_xml_name(&s);
            let _ = m2auth::magento::routes::RouteIndex::new().add_file("A_B", Path::new("webapi.xml"), &s);
            let _ = m2auth::magento::acl::AclTreeBuilder::new().add_text(&s, "acl.xml");
        }
    }

    #[test]
    fn graphql_and_soap_requests_never_panic(d in pieces(GRAPHQL, 60), q in ".{0,120}") {
        for text in [d.as_str(), q.as_str()] {
            let _ = m2auth::magento::graphql::operations(text);
            let body = serde_json::json!({"query": text, "variables": text}).to_string();
            for b in [text, body.as_str()] {
                let _ = m2auth::magento::graphql::read_call("POST", Some(text), Some(b));
                let _ = m2auth::magento::graphql::read_call("GET", Some(b), None);
                let _ = m2auth::magento::soap::read_request(Some(b), Some(text));
                let _ = m2auth::magento::soap::operation_of_envelope(b);
                let _ = m2auth::magento::soap::service_of_operation(b);
            }
        }
    }

    #[test]
    fn har_files_never_panic_and_errors_are_one_line(j in pieces(HAR, 60), n in 0usize..4) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.har");
        std::fs::write(&path, &j).unwrap();
        let o = m2auth::request::RequestOptions {
            har: Some(path),
            har_entry: (n > 0).then_some(n),
            ..Default::default()
        };
        if let Err(e) = m2auth::request::RequestSpec::from_options(&o) {
            let msg = e.to_string();
            prop_assert!(!msg.contains('\n'), "{msg:?}");
            prop_assert!(msg.contains("rec.har"), "{msg:?}");
        }
    }

    #[test]
    fn access_log_lines_never_panic(text in pieces(LOG, 40), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        use m2auth::store::logs::access::{self, Compiled, Format, Scratch};
        let custom = Compiled::new(r#"$remote_addr [$time_iso8601] "$request" $status "$http_user_agent" "$http_authorization""#).unwrap();
        for line in [text.as_bytes(), bytes.as_slice()] {
            let mut scratch = Scratch::default();
            for f in [Format::Combined, Format::Json, Format::Custom(custom.clone())] {
                if let Some(r) = f.parse(line, &mut scratch) {
                    let _ = (r.unix_time(), r.path(), r.auth_scheme(), r.user_agent());
                }
            }
            let _ = access::detect(line, Some(&custom));
        }
    }

    #[test]
    fn cache_values_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), text in pieces(PHP, 40)) {
        use m2auth::store::cache::symfony;
        let tagged = [b"\x00\x00\x00\x02".as_slice(), bytes.as_slice()].concat();
        for v in [bytes.as_slice(), text.as_bytes(), tagged.as_slice()] {
            let _ = m2auth::magento::phpser::unserialize(v);
            let _ = m2auth::magento::igbinary::unserialize(v);
            let _ = symfony::unmarshall("ID", v);
            let _ = symfony::decompress(v);
        }
    }
}
