//! Step 1, OAuth 1.0a signed requests, end to end on the lab: headers signed by an independent
//! implementation (Python oauthlib, HMAC-SHA256 and HMAC-SHA1) and checked by `diagnose` the
//! way Magento checks them; `oauth:sign` output recomputed by oauthlib. One scenario per code,
//! each code absent on a healthy request, and no consumer secret, token secret or access token
//! printed whole by `diagnose`.

use std::path::Path;
use std::process::Command;

use crate::lab;
use crate::lab::report::finding;
use crate::lab::{EnvSpec, FixtureStore, LabDb};
use serde_json::Value;

/// The instant every test runs at (`--now`).
const NOW: i64 = 1_800_000_000;
const TOKEN1: &str = "acce55t0ken0f1ntegrat10n00000001";
const TOKEN2: &str = "acce55t0ken0f1ntegrat10n00000002";
const TOKEN3: &str = "acce55t0ken0f1ntegrat10n00000003";
const TOKEN4: &str = "acce55t0ken0f1ntegrat10n00000004";
const URL: &str = "https://shop.test/rest/default/V1/products?searchCriteria%5BpageSize%5D=1";

const OAUTH_CODES: &[&str] = &[
    "oauth-consumer-unknown",
    "oauth-token-unknown",
    "oauth-token-consumer-mismatch",
    "oauth-token-revoked",
    "oauth-signature-method-unsupported",
    "oauth-signature-invalid",
    "oauth-base-url-mismatch",
    "oauth-timestamp-future",
    "oauth-nonce-reused",
    "oauth-nonce-too-long",
    "integration-inactive",
];

fn key(id: i64) -> String {
    format!("key{id:029}")
}
fn secret(id: i64) -> String {
    format!("sec{id:029}")
}
fn token_secret(id: i64) -> String {
    format!("ts{id:030}")
}

/// A Python with oauthlib, or `None` (a panic under CI: scripts/test installs python3-oauthlib).
fn python() -> Option<String> {
    lab::python_with("oauthlib", "python3-oauthlib")
}

struct Lab {
    store: FixtureStore,
    db: LabDb,
    py: String,
}

/// What oauthlib signs.
struct Sig<'a> {
    id: i64,
    token: &'a str,
    method: &'a str,
    url: &'a str,
    signature_method: &'a str,
    nonce: &'a str,
    timestamp: i64,
}

impl<'a> Sig<'a> {
    fn new(url: &'a str) -> Sig<'a> {
        Sig {
            id: 1,
            token: TOKEN1,
            method: "GET",
            url,
            signature_method: "HMAC-SHA256",
            nonce: "n0nce0000000000000000000000000ab",
            timestamp: NOW - 5,
        }
    }
}

fn setup(version: &str) -> Option<Lab> {
    let lab = lab::mariadb()?;
    let py = python()?;
    let db = lab.database("");
    let store = FixtureStore::new();
    store.env(&EnvSpec::magento(&db));
    store.config_php(&[
        ("Magento_Store", true),
        ("Magento_Integration", true),
        ("Magento_Webapi", true),
    ]);
    store.composer_lock("magento/product-community-edition", version);
    for (id, name, token) in [
        (1, "ERP", TOKEN1),
        (2, "PIM", TOKEN2),
        (3, "Revoked", TOKEN3),
        (4, "Sleeping", TOKEN4),
    ] {
        db.integration(id, name, token);
    }
    let l = Lab { store, db, py };
    l.sql("UPDATE oauth_token SET revoked = 1 WHERE token = '{TOKEN3}'");
    l.sql("UPDATE integration SET status = 0 WHERE integration_id = 4");
    for (path, value) in [
        ("web/secure/base_url", "https://shop.test/"),
        ("web/unsecure/base_url", "http://shop.test/"),
    ] {
        l.db.insert(
            "core_config_data",
            &[
                ("scope", "default".into()),
                ("scope_id", 0.into()),
                ("path", path.into()),
                ("value", value.into()),
            ],
        );
    }
    Some(l)
}

impl Lab {
    fn sql(&self, sql: &str) {
        let sql = sql
            .replace("{TOKEN3}", TOKEN3)
            .replace(
                "oauth_token ",
                &format!("{} ", self.db.table("oauth_token")),
            )
            .replace(
                "integration ",
                &format!("{} ", self.db.table("integration")),
            );
        self.db.exec(&sql);
    }

    fn root(&self) -> &str {
        self.store.root().to_str().unwrap()
    }

    fn m2auth(&self, args: &[&str]) -> std::process::Output {
        let now = jiff::Timestamp::from_second(NOW).unwrap().to_string();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", self.root()]);
        if !args.contains(&"--now") {
            all.extend_from_slice(&["--now", &now]);
        }
        lab::m2auth(&all, Path::new(self.root()))
    }

    /// The Authorization header oauthlib makes.
    fn oauthlib(&self, s: &Sig<'_>) -> String {
        let script = r#"
import sys
from oauthlib.oauth1 import Client
ck, cs, t, ts, method, url, sm, nonce, timestamp = sys.argv[1:10]
c = Client(ck, client_secret=cs, resource_owner_key=t, resource_owner_secret=ts,
           signature_method=sm, nonce=nonce, timestamp=timestamp)
uri, headers, body = c.sign(url, http_method=method)
print(headers["Authorization"])
"#;
        let out = Command::new(&self.py)
            .args([
                "-c",
                script,
                &key(s.id),
                &secret(s.id),
                s.token,
                &token_secret(s.id),
                s.method,
                s.url,
                s.signature_method,
                s.nonce,
                &s.timestamp.to_string(),
            ])
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "oauthlib failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// `diagnose --request "METHOD URL" -H "Authorization: …" --format json`.
    fn diagnose(&self, request: &str, header: &str, extra: &[&str]) -> (i32, Value) {
        let auth = format!("Authorization: {header}");
        // --offline: shop.test is not a store to contact; these tests are about the files and DB.
        let mut args = vec![
            "diagnose",
            "--offline",
            "--request",
            request,
            "-H",
            &auth,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        self.run_json(&args)
    }

    fn run_json(&self, args: &[&str]) -> (i32, Value) {
        let out = self.m2auth(args);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        no_secret(&text);
        for t in [TOKEN1, TOKEN2, TOKEN3, TOKEN4] {
            assert!(!text.contains(t), "access token printed whole: {text}");
        }
        let doc = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {text}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), doc)
    }

    /// Sign with oauthlib for `s.url`, send to `sent` (METHOD URL), diagnose.
    fn check(&self, s: &Sig<'_>, sent: &str) -> (i32, Value) {
        let header = self.oauthlib(s);
        self.diagnose(sent, &header, &[])
    }
}

/// No consumer secret or token secret of the lab, ever.
fn no_secret(text: &str) {
    for id in 1..=4 {
        assert!(
            !text.contains(&secret(id)),
            "consumer secret printed: {text}"
        );
        assert!(
            !text.contains(&token_secret(id)),
            "token secret printed: {text}"
        );
    }
}

fn oauth_codes(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["code"].as_str().unwrap().to_string())
                .filter(|c| OAUTH_CODES.contains(&c.as_str()) || c == "opaque-token-not-access")
                .collect()
        })
        .unwrap_or_default()
}

/// The text after `label: ` of the finding's `request` evidence that starts with it (the
/// contract's sources: what the request carries is `request`).
fn evidence<'a>(f: &'a Value, label: &str) -> &'a str {
    let prefix = format!("{label}: ");
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "request")
        .find_map(|e| e["text"].as_str()?.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no request evidence {label}: {f}"))
}

fn get(url: &str) -> String {
    format!("GET {url}")
}

/// Expect exactly `code` (first, as root cause) among the OAuth codes.
fn only(doc: &Value, code: &str) {
    assert_eq!(oauth_codes(doc), vec![code.to_string()], "{doc:#}");
    assert_eq!(doc["root_cause"], code, "{doc:#}");
}

#[test]
fn oauthlib_signatures_checked_as_magento_does() {
    let Some(l) = setup("2.4.7-p3") else { return };

    // Healthy: HMAC-SHA256 for the URL sent → no OAuth finding at all.
    let (_, doc) = l.check(&Sig::new(URL), &get(URL));
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");
    assert!(doc["root_cause"].is_null(), "{doc:#}");

    // HMAC-SHA1 (Postman's default): refused before anything else; otherwise right.
    let s = Sig {
        signature_method: "HMAC-SHA1",
        ..Sig::new(URL)
    };
    let (code, doc) = l.check(&s, &get(URL));
    assert_eq!(code, 1);
    only(&doc, "oauth-signature-method-unsupported");
    let f = finding(&doc, "oauth-signature-method-unsupported");
    assert!(f["detail"].as_str().unwrap().contains("whole fix"), "{f:#}");

    // Tampered: signed for pageSize=1, sent with pageSize=2 → invalid, both base strings.
    let tampered = URL.replace("%5D=1", "%5D=2");
    let (_, doc) = l.check(&Sig::new(URL), &get(&tampered));
    only(&doc, "oauth-signature-invalid");
    let f = finding(&doc, "oauth-signature-invalid");
    let m = evidence(f, "Magento's base string");
    let c = evidence(f, "the client's base string");
    assert!(m.starts_with("GET&https%3A%2F%2Fshop.test%2Frest%2Fdefault%2FV1%2Fproducts&"));
    assert!(m.contains("pageSize%255D%3D2"), "{m}");
    assert!(!c.is_empty());

    // Signed for http://, Magento sees https:// → base-url mismatch naming the http URL.
    let http = URL.replace("https://", "http://");
    let (_, doc) = l.check(&Sig::new(&http), &get(URL));
    only(&doc, "oauth-base-url-mismatch");
    let f = finding(&doc, "oauth-base-url-mismatch");
    assert_eq!(evidence(f, "signed URL"), http, "{f:#}");
    assert!(f["detail"].as_str().unwrap().contains("http://"), "{f:#}");

    // Signed with https, Magento sees http (TLS offloaded, no offloader header) → named too.
    let (_, doc) = l.check(&Sig::new(URL), &get(&http));
    only(&doc, "oauth-base-url-mismatch");
    let f = finding(&doc, "oauth-base-url-mismatch");
    assert_eq!(evidence(f, "signed URL"), URL);
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("does not carry 'X-Forwarded-Proto: https'"),
        "{f:#}"
    );
    // … and with the offloader header configured and sent, Magento sees https: healthy.
    l.db.insert(
        "core_config_data",
        &[
            ("scope", "default".into()),
            ("scope_id", 0.into()),
            ("path", "web/secure/offloader_header".into()),
            ("value", "X-Forwarded-Proto".into()),
        ],
    );
    let header = l.oauthlib(&Sig::new(URL));
    let (_, doc) = l.diagnose(&get(&http), &header, &["-H", "X-Forwarded-Proto: https"]);
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");

    // Store code: signed without it, sent with /rest/default/.
    let no_code = URL.replace("/rest/default/", "/rest/");
    let (_, doc) = l.check(&Sig::new(&no_code), &get(URL));
    only(&doc, "oauth-base-url-mismatch");
    let f = finding(&doc, "oauth-base-url-mismatch");
    assert_eq!(evidence(f, "signed URL"), no_code);
    assert!(f["detail"].as_str().unwrap().contains("store code"));

    // A proxy rewriting Host: Magento sees Host: backend:8080, the client signed shop.test.
    let header = l.oauthlib(&Sig::new(URL));
    let (_, doc) = l.diagnose(&get(URL), &header, &["-H", "Host: backend.internal:8080"]);
    only(&doc, "oauth-base-url-mismatch");
    let f = finding(&doc, "oauth-base-url-mismatch");
    assert!(evidence(f, "signed URL").starts_with("https://shop.test/"));
    assert!(f["detail"].as_str().unwrap().contains("rewrites the Host"));

    // Unknown consumer (a 32-character key in no row).
    let mut h = l.oauthlib(&Sig::new(URL));
    h = h.replace(&key(1), "key99999999999999999999999999999");
    let (_, doc) = l.diagnose(&get(URL), &h, &[]);
    only(&doc, "oauth-consumer-unknown");

    // Unknown token: oauthlib signs with a token no row has.
    let s = Sig {
        token: "unkn0wnt0ken00000000000000000000",
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    only(&doc, "oauth-token-unknown");

    // Token of another consumer: integration 1's key and secret, integration 2's token.
    let s = Sig {
        token: TOKEN2,
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    only(&doc, "oauth-token-consumer-mismatch");

    // Revoked token.
    let s = Sig {
        id: 3,
        token: TOKEN3,
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    only(&doc, "oauth-token-revoked");

    // Timestamp more than 600 s ahead of --now (601 is too far; 600 is accepted).
    let s = Sig {
        timestamp: NOW + 601,
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    only(&doc, "oauth-timestamp-future");
    assert!(
        finding(&doc, "oauth-timestamp-future")["detail"]
            .as_str()
            .unwrap()
            .contains("601 s ahead")
    );
    let s = Sig {
        timestamp: NOW + 600,
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");

    // Reused nonce: the (nonce, consumer) pair is in oauth_nonce.
    l.db.insert(
        "oauth_nonce",
        &[
            ("nonce", "usedn0nce".into()),
            ("timestamp", (NOW - 60).into()),
            ("consumer_id", 1.into()),
        ],
    );
    let s = Sig {
        nonce: "usedn0nce",
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    only(&doc, "oauth-nonce-reused");
    // The same nonce for another consumer is fine.
    let s = Sig {
        id: 2,
        token: TOKEN2,
        nonce: "usedn0nce",
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");

    // A nonce of 33 characters: Magento stores the first 32 (SQL_MODE='') and accepts it (the
    // real 2.4.7-p3 answered 200): a warning. Once a nonce with the same first 32 characters is
    // stored for the consumer, saving it fails: 401, the cause.
    let long = "n".repeat(33);
    let s = Sig {
        nonce: &long,
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    assert_eq!(
        oauth_codes(&doc),
        vec!["oauth-nonce-too-long".to_string()],
        "{doc:#}"
    );
    assert!(doc["root_cause"].is_null(), "{doc:#}");
    l.db.insert(
        "oauth_nonce",
        &[
            ("nonce", "n".repeat(32).into()),
            ("timestamp", (NOW - 60).into()),
            ("consumer_id", 1.into()),
        ],
    );
    let (_, doc) = l.check(&s, &get(URL));
    only(&doc, "oauth-nonce-too-long");

    // Inactive integration: the signature is right, the integration is off.
    let s = Sig {
        id: 4,
        token: TOKEN4,
        ..Sig::new(URL)
    };
    let (_, doc) = l.check(&s, &get(URL));
    only(&doc, "integration-inactive");
}

#[test]
fn signing_with_oauth_credentials() {
    let Some(l) = setup("2.4.7-p3") else { return };
    let creds = format!("{},{},{TOKEN1},{}", key(1), secret(1), token_secret(1));
    // m2auth signs at --now and checks: healthy.
    let (code, doc) = l.run_json(&[
        "diagnose",
        "--offline",
        "--request",
        &get(URL),
        "--oauth",
        &creds,
        "--format",
        "json",
    ]);
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
    // A wrong consumer secret: the key differs, said so, secrets masked.
    let wrong = format!("{},{},{TOKEN1},{}", key(1), secret(2), token_secret(1));
    let (_, doc) = l.run_json(&[
        "diagnose",
        "--offline",
        "--request",
        &get(URL),
        "--oauth",
        &wrong,
        "--format",
        "json",
    ]);
    only(&doc, "oauth-signature-invalid");
    assert!(
        finding(&doc, "oauth-signature-invalid")["detail"]
            .as_str()
            .unwrap()
            .contains("consumer secret given")
    );
}

#[test]
fn oauth_sign_output_recomputed_by_oauthlib() {
    let Some(l) = setup("2.4.8") else { return };
    let creds = format!("{},{},{TOKEN1},{}", key(1), secret(1), token_secret(1));
    let out = l.m2auth(&[
        "oauth:sign",
        "--request",
        &get(URL),
        "--oauth",
        &creds,
        "--nonce",
        "fixedn0nce",
        "--timestamp",
        &(NOW - 1).to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    no_secret(&text);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let header = doc["authorization"].as_str().unwrap();
    assert!(
        header.contains(&format!("oauth_token=\"{TOKEN1}\"")),
        "{header}"
    );
    assert!(header.contains("oauth_signature_method=\"HMAC-SHA256\""));
    assert!(doc["curl"].as_str().unwrap().starts_with("curl -g -X GET"));
    // oauthlib recomputes the base string and the signature from the header alone.
    let script = r#"
import sys, json
from urllib.parse import urlparse
from oauthlib.oauth1.rfc5849 import signature
method, url, header, cs, ts = sys.argv[1:6]
params = signature.collect_parameters(uri_query=urlparse(url).query,
    headers={"Authorization": header}, exclude_oauth_signature=True)
base = signature.signature_base_string(method, signature.base_string_uri(url),
    signature.normalize_parameters(params))
print(json.dumps({"base": base, "sig": signature.sign_hmac_sha256(base, cs, ts)}))
"#;
    let py = Command::new(&l.py)
        .args([
            "-c",
            script,
            "GET",
            URL,
            header,
            &secret(1),
            &token_secret(1),
        ])
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let theirs: Value = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(theirs["base"], doc["base_string"]);
    assert_eq!(theirs["sig"], doc["signature"]);
    // And the header passes m2auth's own check of Magento's (2.4.8) validation.
    let (_, d) = l.diagnose(&get(URL), header, &[]);
    assert!(oauth_codes(&d).is_empty(), "{d:#}");
    // Text output: header, base string, curl; no secret.
    let out = l.m2auth(&["oauth:sign", "--request", &get(URL), "--oauth", &creds]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    no_secret(&text);
    assert!(text.starts_with("Authorization: OAuth "), "{text}");
    assert!(text.contains("base string:\nGET&https%3A%2F%2Fshop.test"));
    assert!(text.contains("curl -g -X GET"));
}

#[test]
fn native_variant_signs_the_default_port_as_sent() {
    // 2.4.8+: Magento's own Signature\Hmac keeps ":443" of the Host header; RFC clients drop it.
    let Some(l) = setup("2.4.8-p1") else { return };
    let header = l.oauthlib(&Sig::new(URL));
    let (_, doc) = l.diagnose(&get(URL), &header, &["-H", "Host: shop.test:443"]);
    only(&doc, "oauth-base-url-mismatch");
    let f = finding(&doc, "oauth-base-url-mismatch");
    assert_eq!(evidence(f, "signed URL"), URL);
    // Up to 2.4.7 (Laminas) the default port is normalised away: healthy.
    let Some(old) = setup("2.4.7") else { return };
    let header = old.oauthlib(&Sig::new(URL));
    let (_, doc) = old.diagnose(&get(URL), &header, &["-H", "Host: shop.test:443"]);
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");
}

/// The same signed requests give the same findings from the live database and its mysqldump.
#[test]
fn live_and_dump_agree() {
    let Some(l) = setup("2.4.7-p3") else { return };
    let dump = l.store.path("oauth.sql");
    l.db.mysqldump(&dump, false);
    let dump = dump.to_str().unwrap().to_string();
    let http = URL.replace("https://", "http://");
    let cases: Vec<(Sig<'_>, String)> = vec![
        (Sig::new(URL), get(URL)),
        (
            Sig {
                signature_method: "HMAC-SHA1",
                ..Sig::new(URL)
            },
            get(URL),
        ),
        (Sig::new(&http), get(URL)),
        (
            Sig {
                id: 2,
                ..Sig::new(URL)
            },
            get(URL),
        ),
        (
            Sig {
                id: 3,
                token: TOKEN3,
                ..Sig::new(URL)
            },
            get(URL),
        ),
        (
            Sig {
                id: 4,
                token: TOKEN4,
                ..Sig::new(URL)
            },
            get(URL),
        ),
    ];
    for (s, sent) in &cases {
        let header = l.oauthlib(s);
        let (live_code, live) = l.diagnose(sent, &header, &[]);
        let (dump_code, from_dump) = l.diagnose(sent, &header, &["--dump", &dump]);
        assert_eq!(
            oauth_codes(&live),
            oauth_codes(&from_dump),
            "live {live}\ndump {from_dump}"
        );
        assert_eq!(live_code, dump_code);
    }
}

/// `Encryptor::encrypt()` of `plain` as PHP's libsodium makes it (SodiumChachaIetf: a random
/// 12-byte nonce, also the additional data), with the key `key` of crypt/key (`base64…` form).
fn php_encrypt(plain: &str, key: &str, key_version: usize) -> Option<String> {
    lab::php(&format!(
        "$k = {}; $k = str_starts_with($k, 'base64') ? base64_decode(substr($k, 6)) : $k; $n = random_bytes(12); echo '{key_version}:3:' . base64_encode($n . sodium_crypto_aead_chacha20poly1305_ietf_encrypt({}, $n, $n, $k));",
        lab::php_quote(key),
        lab::php_quote(plain)
    ))
}

/// Since 2.4.3-p2 Magento keeps `oauth_consumer.secret` and the access tokens'
/// `oauth_token.secret` encrypted (ChaCha20-Poly1305 with crypt/key) and signs with the decrypted
/// value: a header oauthlib signs with the real secrets is valid; a secret no key of crypt/key
/// opens, or one left in clear on a release that decrypts, makes every signature invalid (what
/// the real 2.4.7-p3 answered for each).
#[test]
fn encrypted_secrets_are_decrypted_with_crypt_key() {
    let Some(l) = setup("2.4.7-p3") else { return };
    let key_now = lab::fixture::MAGENTO_CRYPT_KEY;
    let Some(cs) = php_encrypt(&secret(1), key_now, 0) else {
        return;
    };
    let ts = php_encrypt(&token_secret(1), key_now, 0).unwrap();
    let set = |c: &str, t: &str| {
        l.sql(&format!(
            "UPDATE {} SET secret = '{c}' WHERE entity_id = 1",
            l.db.table("oauth_consumer")
        ));
        l.sql(&format!(
            "UPDATE oauth_token SET secret = '{t}' WHERE consumer_id = 1"
        ));
    };
    // The schema of the releases that encrypt (the lab's reference db_schema.xml is older).
    l.db.exec(&format!(
        "ALTER TABLE {} MODIFY secret varchar(128) NOT NULL",
        l.db.table("oauth_consumer")
    ));
    l.db.exec(&format!(
        "ALTER TABLE {} MODIFY secret varchar(128) NULL",
        l.db.table("oauth_token")
    ));
    set(&cs, &ts);
    // A store whose patch_list shows the encrypting patch ran (every real 2.4.3-p2+ store).
    // The table belongs to Magento's setup framework, not to a module's db_schema.xml.
    l.db.exec(&format!(
        "CREATE TABLE {} (patch_id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, patch_name text NOT NULL)",
        l.db.table("patch_list")
    ));
    l.db.insert(
        "patch_list",
        &[(
            "patch_name",
            "Magento\\Integration\\Setup\\Patch\\Data\\UpgradeOauthToken".into(),
        )],
    );
    let (code, doc) = l.check(&Sig::new(URL), &get(URL));
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");

    // integration:show reads them as Magento does: masked plain secrets, never the ciphertext.
    let (code, doc) = l.run_json(&["integration:show", "ERP", "--format", "json"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["consumer_secret"], "sec0…0001", "{doc}");
    assert_eq!(doc["token"]["token_secret"], "ts00…0001", "{doc}");
    assert!(
        doc["secret_storage"]
            .as_str()
            .unwrap()
            .contains("decrypted with key #0"),
        "{doc}"
    );
    assert!(!doc.to_string().contains(&cs[..20]), "{doc}");

    // Written with a key that crypt/key no longer holds: Magento reads '' and refuses.
    let other = "base64AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    set(&php_encrypt(&secret(1), other, 0).unwrap(), &ts);
    let s = Sig {
        nonce: "n0nce0000000000000000000000000ac",
        ..Sig::new(URL)
    };
    let (code, doc) = l.check(&s, &get(URL));
    assert_eq!(code, 1);
    only(&doc, "oauth-signature-invalid");
    let f = finding(&doc, "oauth-signature-invalid");
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("does not decrypt with key #0"),
        "{f:#}"
    );
    assert!(f.to_string().contains("integration:activate"), "{f:#}");
    // The old key kept first in crypt/key (a rotation done right): readable again as key #0…
    // only when the value says key #0; a value of key #1 that does not exist is named too.
    set(&cs, &ts.replacen("0:3:", "1:3:", 1));
    let (_, doc) = l.check(&s, &get(URL));
    let f = finding(&doc, "oauth-signature-invalid");
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("key #1 is not in crypt/key"),
        "{f:#}"
    );

    // In clear on a release that decrypts (what integration:activate wrote before): refused.
    set(&cs, &token_secret(1));
    let (code, doc) = l.check(&s, &get(URL));
    assert_eq!(code, 1);
    only(&doc, "oauth-signature-invalid");
    assert!(
        finding(&doc, "oauth-signature-invalid")["detail"]
            .as_str()
            .unwrap()
            .contains("stored in clear"),
        "{doc:#}"
    );
}

/// A release before the encryption (2.4.3-p1) keeps the secrets in clear and signs with them.
#[test]
fn clear_secrets_on_a_release_before_the_encryption() {
    let Some(l) = setup("2.4.3-p1") else { return };
    let (code, doc) = l.check(&Sig::new(URL), &get(URL));
    assert!(oauth_codes(&doc).is_empty(), "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
    let (_, doc) = l.run_json(&["integration:show", "ERP", "--format", "json"]);
    assert_eq!(doc["secret_storage"], "stored in clear", "{doc}");
}
