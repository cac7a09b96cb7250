//! The real-Magento tier: asks a running Magento 2.4.7-p3 (../shared/real-magento/lab.sh) for
//! its own answer to each state, and checks that m2auth names the cause Magento acts on.
//!
//! Runs when `M2AUTH_REAL_MAGENTO` names a running lab (its folder or its `lab.env`); skipped
//! with one line otherwise (CI has no snapshot of the store). Every case sets its state up in the
//! real store (SQL on its MariaDB, Magento's own PHP services through `app/bootstrap.php`,
//! `bin/magento`), records Magento's answer (status and message), runs m2auth as a user does, and
//! puts the store back. The cases run one after another in one test: they share the store.
//! docs/real-magento.md lists the cases with Magento's answers.

use crate::lab;
use crate::lab::scenario::jwt_signed_with as jwt;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

struct Real {
    vars: HashMap<String, String>,
    py: String,
    /// The store is shared: one test at a time.
    _turn: std::sync::MutexGuard<'static, ()>,
}

static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Real {
    fn from_env() -> Option<Real> {
        let Some(given) = std::env::var_os("M2AUTH_REAL_MAGENTO") else {
            eprintln!(
                "skipped: no real Magento (set M2AUTH_REAL_MAGENTO to a lab started by ../shared/real-magento/lab.sh)"
            );
            return None;
        };
        let mut p = PathBuf::from(given);
        if p.is_dir() {
            p = p.join("lab.env");
        }
        let text = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("M2AUTH_REAL_MAGENTO: {}: {e}", p.display()));
        let vars = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_string(),
                    v.trim().trim_matches('\'').to_string(),
                )
            })
            .collect();
        let py = lab::python_with("oauthlib", "python3-oauthlib")?;
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        Some(Real {
            vars,
            py,
            _turn: turn,
        })
    }

    /// What an earlier, interrupted run may have left: login throttles, a locked or inactive
    /// admin, a stale revocation.
    fn reset(&self) {
        self.sql("DELETE FROM oauth_token_request_log");
        self.sql(&format!(
            "UPDATE admin_user SET lock_expires = NULL, failures_num = 0, is_active = 1 WHERE username = '{}'",
            self.var("M2REAL_ADMIN_USER")
        ));
        self.sql("DELETE FROM jwt_auth_revoked");
        self.sql("DELETE FROM oauth_nonce WHERE nonce LIKE 'nnnnnnnn%'");
        self.sql("DELETE FROM core_config_data WHERE path = 'oauth/consumer/enable_integration_as_bearer'");
        self.magento(&["cache:flush"]);
    }

    fn var(&self, k: &str) -> &str {
        self.vars
            .get(k)
            .unwrap_or_else(|| panic!("lab.env has no {k}"))
    }

    fn root(&self) -> &str {
        self.var("M2REAL_ROOT")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.var("M2REAL_URL"))
    }

    fn sql(&self, sql: &str) -> String {
        let out = Command::new("mariadb")
            .args([
                "--no-defaults",
                "-N",
                "-S",
                self.var("M2REAL_DB_SOCKET"),
                "-u",
                self.var("M2REAL_DB_USER"),
                &format!("-p{}", self.var("M2REAL_DB_PASSWORD")),
                self.var("M2REAL_DB_NAME"),
                "-e",
                sql,
            ])
            .output()
            .expect("mariadb client");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn magento(&self, args: &[&str]) {
        let out = Command::new("php")
            .arg("bin/magento")
            .args(args)
            .current_dir(self.root())
            .output()
            .expect("php");
        assert!(out.status.success(), "bin/magento {args:?}: {out:?}");
    }

    /// An integration made through Magento's own services (IntegrationService::create, then the
    /// token exchange of the admin's Activate), with its credentials as Magento loads them.
    fn integration(&self, name: &str, resources: &[&str]) -> Creds {
        let script = r#"<?php
use Magento\Framework\App\Bootstrap;
require $argv[1] . '/app/bootstrap.php';
$om = Bootstrap::create(BP, $_SERVER)->getObjectManager();
$om->get(\Magento\Framework\App\State::class)->setAreaCode('adminhtml');
$svc = $om->get(\Magento\Integration\Api\IntegrationServiceInterface::class);
$oauth = $om->get(\Magento\Integration\Api\OauthServiceInterface::class);
$res = array_slice($argv, 3);
$i = $svc->findByName($argv[2]);
if (!$i->getId()) {
    $d = ['name' => $argv[2], 'email' => 'real@example.test', 'status' => 1, 'setup_type' => 0];
    if ($res === ['all']) { $d['all_resources'] = 1; } else { $d['all_resources'] = 0; $d['resource'] = $res; }
    $i = $svc->create($d);
}
$oauth->createAccessToken($i->getConsumerId(), true);
$i->setStatus(1)->save();
$c = $oauth->loadConsumer($i->getConsumerId());
$t = $oauth->getAccessToken($i->getConsumerId());
echo json_encode([$c->getKey(), $c->getSecret(), $t->getToken(), $t->getSecret()]);
"#;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("integration.php");
        std::fs::write(&file, script).unwrap();
        let mut cmd = Command::new("php");
        cmd.arg(&file).arg(self.root()).arg(name).args(resources);
        let out = cmd.current_dir(self.root()).output().expect("php");
        assert!(out.status.success(), "{out:?}");
        let v: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
        Creds {
            key: v[0].clone(),
            secret: v[1].clone(),
            token: v[2].clone(),
            token_secret: v[3].clone(),
        }
    }

    /// The Authorization header oauthlib (an independent implementation) signs.
    fn sign(&self, c: &Creds, method: &str, url: &str, sig: &str) -> String {
        let script = r#"
import sys
from oauthlib.oauth1 import Client
ck, cs, t, ts, method, url, sm = sys.argv[1:8]
c = Client(ck, client_secret=cs, resource_owner_key=t, resource_owner_secret=ts, signature_method=sm)
print(c.sign(url, http_method=method)[1]["Authorization"])
"#;
        let out = Command::new(&self.py)
            .args([
                "-c",
                script,
                &c.key,
                &c.secret,
                &c.token,
                &c.token_secret,
                method,
                url,
                sig,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Magento's own answer: (status, body).
    fn call(
        &self,
        method: &str,
        url: &str,
        headers: &[String],
        body: Option<&str>,
    ) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "-X", method, "-w", "\n%{http_code}"]);
        for h in headers {
            cmd.args(["-H", h]);
        }
        if let Some(b) = body {
            cmd.args(["-H", "Content-Type: application/json", "--data", b]);
        }
        let out = cmd.arg(url).output().expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (status.trim().parse().unwrap_or(0), body.to_string())
    }

    /// `diagnose --offline` of `GET url` with this Authorization header line.
    fn offline_with(&self, url: &str, header: &str) -> Value {
        self.m2auth_json(&[
            "diagnose",
            "--offline",
            "--request",
            &format!("GET {url}"),
            "-H",
            header,
        ])
        .1
    }

    /// The codes of `request` for `GET url` with this bearer token.
    fn request_codes(&self, url: &str, token: &str) -> Vec<String> {
        let (_, doc) = self.m2auth_json(&[
            "request",
            "--request",
            &format!("GET {url}"),
            "--token",
            token,
        ]);
        codes(&doc)
    }

    /// `request --integration NAME` of `GET url` (signed with the stored, decrypted secrets).
    fn request_as(&self, integration: &str, url: &str) -> (i32, Value) {
        self.m2auth_json(&[
            "request",
            "--integration",
            integration,
            "--request",
            &format!("GET {url}"),
        ])
    }

    fn m2auth_json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--root", self.root(), "--format", "json"]);
        let out = lab::m2auth(&all, Path::new(self.root()));
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let doc = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), doc)
    }
}

struct Creds {
    key: String,
    secret: String,
    token: String,
    token_secret: String,
}

fn codes(doc: &Value) -> Vec<String> {
    lab::report::codes(doc)
}

fn finding<'a>(doc: &'a Value, code: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["code"] == code))
        .unwrap_or_else(|| panic!("no {code}: {doc:#}"))
}

const PRODUCTS: &str = "/rest/V1/products?searchCriteria%5BpageSize%5D=1";

#[test]
fn real_magento_answers_and_m2auth_names_the_cause() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let url = r.url(PRODUCTS);
    let full = r.integration("m2auth-real-full", &["all"]);

    // 1. OAuth secrets are stored encrypted; HMAC-SHA256 signed by oauthlib is accepted, and
    //    m2auth finds nothing wrong with it; HMAC-SHA1 is refused (400) and named.
    let stored = r.sql(&format!(
        "SELECT secret FROM oauth_consumer WHERE `key` = '{}'",
        full.key
    ));
    assert!(stored.starts_with("0:3:"), "{stored}");
    let h = r.sign(&full, "GET", &url, "HMAC-SHA256");
    let doc = r.offline_with(&url, &format!("Authorization: {h}"));
    assert!(doc["root_cause"].is_null(), "{doc:#}");
    let (status, body) = r.call("GET", &url, &[format!("Authorization: {h}")], None);
    assert_eq!(status, 200, "{body}");
    let h1 = r.sign(&full, "GET", &url, "HMAC-SHA1");
    let doc = r.offline_with(&url, &format!("Authorization: {h1}"));
    assert_eq!(
        doc["root_cause"], "oauth-signature-method-unsupported",
        "{doc:#}"
    );
    let (status, body) = r.call("GET", &url, &[format!("Authorization: {h1}")], None);
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("Signature method %1 is not supported"),
        "{body}"
    );

    // 2. request --integration signs with the decrypted secrets: Magento answers 200.
    let (code, doc) = r.request_as("m2auth-real-full", &url);
    assert_eq!(
        (code, &doc["response"]["status"]),
        (0, &Value::from(200)),
        "{doc:#}"
    );

    // 3. A wrong consumer secret: Magento 401 "The signature is invalid"; m2auth names it.
    let wrong = Creds {
        secret: "x".repeat(32),
        ..Creds {
            key: full.key.clone(),
            secret: String::new(),
            token: full.token.clone(),
            token_secret: full.token_secret.clone(),
        }
    };
    let hw = r.sign(&wrong, "GET", &url, "HMAC-SHA256");
    let doc = r.offline_with(&url, &format!("Authorization: {hw}"));
    assert_eq!(doc["root_cause"], "oauth-signature-invalid", "{doc:#}");
    let (status, body) = r.call("GET", &url, &[format!("Authorization: {hw}")], None);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("The signature is invalid"), "{body}");

    // 4. A token secret written in clear (what integration:activate used to write): Magento
    //    refuses the right signature; m2auth says why; integration:activate repairs it and undo
    //    puts the clear row back.
    let enc = r.sql(&format!(
        "SELECT secret FROM oauth_token WHERE token = '{}'",
        full.token
    ));
    r.sql(&format!(
        "UPDATE oauth_token SET secret = '{}' WHERE token = '{}'",
        full.token_secret, full.token
    ));
    let h = r.sign(&full, "GET", &url, "HMAC-SHA256");
    let doc = r.offline_with(&url, &format!("Authorization: {h}"));
    assert!(
        finding(&doc, "oauth-signature-invalid")["detail"]
            .as_str()
            .unwrap()
            .contains("stored in clear"),
        "{doc:#}"
    );
    let (status, body) = r.call("GET", &url, &[format!("Authorization: {h}")], None);
    assert_eq!(status, 401, "{body}");
    let (code, doc) = r.m2auth_json(&["integration:activate", "m2auth-real-full", "--apply"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["replaced_existing_token"], true, "{doc:#}");
    let (code, doc) = r.request_as("m2auth-real-full", &url);
    assert_eq!(
        (code, &doc["response"]["status"]),
        (0, &Value::from(200)),
        "{doc:#}"
    );
    let out = lab::m2auth(
        &["undo", "--apply", "--root", r.root()],
        Path::new(r.root()),
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        r.sql(&format!(
            "SELECT secret FROM oauth_token WHERE token = '{}'",
            full.token
        )),
        full.token_secret
    );
    r.sql(&format!(
        "UPDATE oauth_token SET secret = '{enc}' WHERE token = '{}'",
        full.token
    ));

    // 5. integration:activate on a reset integration: a real OAuth call works; undo restores.
    let limited = r.integration(
        "m2auth-real-limited",
        &["Magento_Catalog::catalog", "Magento_Catalog::products"],
    );
    r.sql("UPDATE integration SET status = 2 WHERE name = 'm2auth-real-limited'");
    let (code, doc) = r.m2auth_json(&["integration:activate", "m2auth-real-limited", "--apply"]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(
        doc["token_created"]["secret_storage"]
            .as_str()
            .unwrap()
            .starts_with("encrypted"),
        "{doc:#}"
    );
    let (code, doc) = r.request_as("m2auth-real-limited", &url);
    assert_eq!(
        (code, &doc["response"]["status"]),
        (0, &Value::from(200)),
        "{doc:#}"
    );
    let out = lab::m2auth(
        &["undo", "--apply", "--root", r.root()],
        Path::new(r.root()),
    );
    assert!(out.status.success(), "{out:?}");
    // Undo put status 2 back: Magento treats the integration as a guest until it is active.
    let h = r.sign(&limited, "GET", &url, "HMAC-SHA256");
    let (status, _) = r.call("GET", &url, &[format!("Authorization: {h}")], None);
    assert_eq!(status, 401);
    r.sql("UPDATE integration SET status = 1 WHERE name = 'm2auth-real-limited'");
    let h = r.sign(&limited, "GET", &url, "HMAC-SHA256");
    let (status, body) = r.call("GET", &url, &[format!("Authorization: {h}")], None);
    assert_eq!(status, 200, "the restored token works again: {body}");

    // 6. acl:matrix --live for the limited integration: no disagreement with Magento.
    let (_, doc) = r.m2auth_json(&[
        "acl:matrix",
        "--integration",
        "m2auth-real-limited",
        "--live",
        "--base-url",
        r.var("M2REAL_URL"),
    ]);
    assert_eq!(doc["live"]["disagreements"], 0, "{:#}", doc["live"]);
    assert!(
        doc["live"]["sent"].as_u64().unwrap() > 100,
        "{:#}",
        doc["live"]
    );

    // 7. A stale configuration cache: enable_integration_as_bearer set to 1 in the table only.
    //    Magento still refuses the Bearer token; m2auth names both candidates (no root cause);
    //    after cache:clean config Magento answers 200.
    r.sql(
        "DELETE FROM core_config_data WHERE path = 'oauth/consumer/enable_integration_as_bearer'",
    );
    r.magento(&["cache:clean", "config"]);
    let bearer = format!("Authorization: Bearer {}", full.token);
    let (status, _) = r.call("GET", &url, std::slice::from_ref(&bearer), None);
    assert_eq!(status, 401);
    r.sql("INSERT INTO core_config_data (scope, scope_id, path, value) VALUES ('default', 0, 'oauth/consumer/enable_integration_as_bearer', '1') ON DUPLICATE KEY UPDATE value = '1'");
    let (status, body) = r.call("GET", &url, std::slice::from_ref(&bearer), None);
    assert_eq!(status, 401, "stale config: {body}");
    let (_, doc) = r.m2auth_json(&[
        "request",
        "--token",
        &full.token,
        "--request",
        &format!("GET {url}"),
    ]);
    assert!(doc["root_cause"].is_null(), "{doc:#}");
    assert!(
        finding(&doc, "auth-header-stripped")["detail"]
            .as_str()
            .unwrap()
            .contains("Two candidates remain"),
        "{doc:#}"
    );
    // The stale entry with both values and the clean command (issue 17).
    let f = finding(&doc, "config-cache-stale").to_string();
    assert!(
        f.contains("oauth/consumer/enable_integration_as_bearer")
            && f.contains("SYSTEM_DEFAULT")
            && f.contains("cache:clean config"),
        "{f}"
    );
    // m2auth's own cache:clean config (no PHP) leaves what bin/magento's would: Magento reads
    // the table again.
    let (code, doc) = r.m2auth_json(&["cache:clean", "config"]);
    assert_eq!(code, 0, "{doc:#}");
    let (status, body) = r.call("GET", &url, std::slice::from_ref(&bearer), None);
    assert_eq!(status, 200, "after m2auth cache:clean config: {body}");
    r.sql(
        "DELETE FROM core_config_data WHERE path = 'oauth/consumer/enable_integration_as_bearer'",
    );
    r.magento(&["cache:clean", "config"]);

    // 8. An inactive admin's JWT: Magento answers 200 (tokens are checked for expiry and
    //    revocation only); m2auth gives a warning, not the cause.
    let login = format!(
        "{{\"username\":\"{}\",\"password\":\"{}\"}}",
        r.var("M2REAL_ADMIN_USER"),
        r.var("M2REAL_ADMIN_PASSWORD")
    );
    let (status, body) = r.call(
        "POST",
        &r.url("/rest/V1/integration/admin/token"),
        &[],
        Some(&login),
    );
    assert_eq!(status, 200, "{body}");
    let jwt: String = serde_json::from_str(&body).unwrap();
    r.sql(&format!(
        "UPDATE admin_user SET is_active = 0 WHERE username = '{}'",
        r.var("M2REAL_ADMIN_USER")
    ));
    let (status, body) = r.call("GET", &url, &[format!("Authorization: Bearer {jwt}")], None);
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &format!("GET {url}"),
        "--token",
        &jwt,
    ]);
    r.sql(&format!(
        "UPDATE admin_user SET is_active = 1 WHERE username = '{}'",
        r.var("M2REAL_ADMIN_USER")
    ));
    assert_eq!(status, 200, "{body}");
    assert!(doc["root_cause"].is_null(), "{doc:#}");
    assert!(
        codes(&doc).contains(&"admin-user-inactive".to_string()),
        "{doc:#}"
    );
    assert_eq!(finding(&doc, "admin-user-inactive")["severity"], "warning");
}

impl Real {
    fn crypt_key(&self) -> String {
        let out = Command::new("php")
            .args(["-r", "echo (include 'app/etc/env.php')['crypt']['key'];"])
            .current_dir(self.root())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    fn now(&self) -> i64 {
        self.sql("SELECT UNIX_TIMESTAMP()").parse().unwrap()
    }

    /// A sign-in to the admin panel as a browser does it (the login form's form_key, then the
    /// POST): `true` when Magento lets the user in (a redirect to the dashboard).
    fn admin_panel_login(&self, user: &str, password: &str) -> bool {
        let front = Command::new("php")
            .args([
                "-r",
                "echo (include 'app/etc/env.php')['backend']['frontName'];",
            ])
            .current_dir(self.root())
            .output()
            .unwrap();
        let front = String::from_utf8(front.stdout).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let jar = dir.path().join("cookies");
        let jar = jar.to_str().unwrap();
        let page = self.url(&format!("/{front}/"));
        let form = Command::new("curl")
            .args(["-s", "-c", jar, "-b", jar, &page])
            .output()
            .unwrap();
        let html = String::from_utf8_lossy(&form.stdout);
        let key = html
            .split("name=\"form_key\" type=\"hidden\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the admin login form has a form_key")
            .to_string();
        let out = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{redirect_url}",
                "-c",
                jar,
                "-b",
                jar,
            ])
            .args(["--data-urlencode", &format!("login[username]={user}")])
            .args(["--data-urlencode", &format!("login[password]={password}")])
            .args(["--data-urlencode", &format!("form_key={key}")])
            .arg(&page)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("/dashboard")
    }

    /// Magento's answer to a login at the admin (or customer) token endpoint.
    fn login(&self, who: &str, user: &str, password: &str) -> (u16, String) {
        let body = serde_json::json!({"username": user, "password": password}).to_string();
        self.call(
            "POST",
            &self.url(&format!("/rest/V1/integration/{who}/token")),
            &[],
            Some(&body),
        )
    }

    /// `diagnose --offline` and, for a GET, `diagnose` with the live request too: the root cause
    /// of each (the live run never signs, never logs in).
    fn diagnose_both(&self, args: &[&str], live: bool) -> Vec<Value> {
        let mut out = Vec::new();
        let mut a = vec!["diagnose", "--offline"];
        a.extend_from_slice(args);
        out.push(self.m2auth_json(&a).1);
        if live {
            let mut a = vec!["diagnose"];
            a.extend_from_slice(args);
            out.push(self.m2auth_json(&a).1);
        }
        out
    }
}

/// One request state: Magento's answer (status, a part of its message) and the root cause
/// m2auth must name, offline and with the live request.
struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    header: Option<String>,
    status: u16,
    message: &'static str,
    code: &'static str,
}

impl Real {
    /// m2auth first, then Magento: Magento stores an OAuth nonce it has seen, after which the
    /// same header is a replay (oauth-nonce-reused).
    fn case(&self, c: &Case) {
        let url = self.url(&c.path);
        let headers: Vec<String> = c.header.iter().cloned().collect();
        let request = format!("{} {url}", c.method);
        let mut args = vec!["--request", request.as_str()];
        let h;
        if let Some(v) = &c.header {
            h = v.clone();
            args.extend_from_slice(&["-H", h.as_str()]);
        }
        for doc in self.diagnose_both(&args, c.method == "GET") {
            assert_eq!(doc["root_cause"], c.code, "{}: {doc:#}", c.name);
        }
        let (status, body) = self.call(c.method, &url, &headers, None);
        assert_eq!(status, c.status, "{}: Magento answered {body}", c.name);
        assert!(body.contains(c.message), "{}: {body}", c.name);
        eprintln!("real: {} → {status} {body}", c.name);
    }
}

#[test]
fn real_magento_tokens_routes_and_logins() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let key = r.crypt_key();
    let now = r.now();
    let admin = r.var("M2REAL_ADMIN_USER").to_string();
    let pw = r.var("M2REAL_ADMIN_PASSWORD").to_string();
    let bearer = |t: &str| Some(format!("Authorization: Bearer {t}"));
    let products = PRODUCTS.to_string();
    let consumer = "The consumer isn't authorized to access";

    // A JWT minted with m2auth's key derivation is accepted: the derivation is Magento's.
    let minted = jwt(&key, 1, 2, now - 60, now + 3600);
    let (status, body) = r.call(
        "GET",
        &r.url(PRODUCTS),
        &[format!("Authorization: Bearer {minted}")],
        None,
    );
    assert_eq!(status, 200, "minted: {body}");
    for doc in r.diagnose_both(
        &[
            "--request",
            &format!("GET {}", r.url(PRODUCTS)),
            "--token",
            &minted,
        ],
        true,
    ) {
        assert!(doc["root_cause"].is_null(), "minted: {doc:#}");
    }

    let full = r.integration("m2auth-real-full", &["all"]);
    let cases = [
        Case {
            name: "guest on a catalog route",
            method: "GET",
            path: products.clone(),
            header: None,
            status: 401,
            message: consumer,
            code: "route-anonymous-disabled",
        },
        Case {
            name: "no route",
            method: "GET",
            path: "/rest/V1/m2auth-nothing-here".into(),
            header: bearer(&minted),
            status: 404,
            message: "Request does not match any route.",
            code: "route-not-found",
        },
        Case {
            name: "unknown store code",
            method: "GET",
            path: "/rest/nostore/V1/products?searchCriteria%5BpageSize%5D=1".into(),
            header: bearer(&minted),
            status: 400,
            message: "Specified request cannot be processed.",
            code: "store-code-unknown",
        },
        Case {
            name: "Bearer: with a colon",
            method: "GET",
            path: products.clone(),
            header: Some(format!("Authorization: Bearer: {minted}")),
            status: 401,
            message: consumer,
            code: "auth-header-malformed",
        },
        Case {
            name: "malformed token",
            method: "GET",
            path: products.clone(),
            header: bearer("abc.def"),
            status: 401,
            message: consumer,
            code: "token-malformed",
        },
        Case {
            name: "unknown opaque token",
            method: "GET",
            path: products.clone(),
            header: bearer("abcdefghijklmnopqrstuvwxyz012345"),
            status: 401,
            message: consumer,
            code: "opaque-token-unknown",
        },
        Case {
            name: "admin on a customer route",
            method: "GET",
            path: "/rest/V1/customers/me".into(),
            header: bearer(&minted),
            status: 400,
            message: "is required",
            code: "route-needs-customer-token",
        },
        Case {
            name: "expired JWT",
            method: "GET",
            path: products.clone(),
            header: bearer(&jwt(&key, 1, 2, now - 7200, now - 3600)),
            status: 401,
            message: consumer,
            code: "jwt-expired",
        },
        Case {
            name: "foreign JWT",
            method: "GET",
            path: products.clone(),
            header: bearer(&jwt(
                "base64AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                1,
                2,
                now - 60,
                now + 3600,
            )),
            status: 401,
            message: consumer,
            code: "jwt-foreign",
        },
        Case {
            name: "JWT of a missing user",
            method: "GET",
            path: products.clone(),
            header: bearer(&jwt(&key, 9999, 2, now - 60, now + 3600)),
            status: 401,
            message: consumer,
            code: "jwt-user-missing",
        },
        Case {
            name: "integration token as Bearer, option off",
            method: "GET",
            path: products.clone(),
            header: bearer(&full.token),
            status: 401,
            message: consumer,
            code: "integration-bearer-disabled",
        },
    ];
    for c in &cases {
        r.case(c);
    }

    // Revoked: a jwt_auth_revoked row newer than the token. Magento keeps what it read of that
    // table in its cache (FastStorageRevokedWrapper: `jwt-user-token:revoked:TYPE:ID`, no tag,
    // for the token lifetime), so a row changed by SQL counts only after `cache:flush`
    // (`cache:clean` keeps untagged entries).
    let old = jwt(&key, 1, 2, now - 120, now + 3600);
    r.sql(&format!("INSERT INTO jwt_auth_revoked (user_type_id, user_id, revoke_before) VALUES (2, 1, {}) ON DUPLICATE KEY UPDATE revoke_before = VALUES(revoke_before)", now - 60));
    r.magento(&["cache:flush"]);
    r.case(&Case {
        name: "revoked JWT",
        method: "GET",
        path: products.clone(),
        header: bearer(&old),
        status: 401,
        message: consumer,
        code: "jwt-revoked",
    });
    // The row deleted: Magento still refuses from its cache; m2auth says the cached revocation
    // decides, with the cache entry as evidence and cache:flush as the fix (issue 17).
    r.sql("DELETE FROM jwt_auth_revoked WHERE user_type_id = 2 AND user_id = 1");
    let (status, body) = r.call(
        "GET",
        &r.url(&products),
        &[format!("Authorization: Bearer {old}")],
        None,
    );
    assert_eq!(status, 401, "cached revocation: {body}");
    let doc = r.offline_with(&r.url(&products), &format!("Authorization: Bearer {old}"));
    assert_eq!(doc["root_cause"], "jwt-revoked", "{doc:#}");
    let f = finding(&doc, "jwt-revoked").to_string();
    assert!(
        f.contains("cache:") && f.contains("jwt-user-token") && f.contains("cache:flush"),
        "{f}"
    );
    // m2auth's own flush (no PHP) lets the token through, as bin/magento's would.
    let (code, doc) = r.m2auth_json(&["cache:flush", "--force"]);
    assert_eq!(code, 0, "{doc:#}");
    let (status, body) = r.call(
        "GET",
        &r.url(&products),
        &[format!("Authorization: Bearer {old}")],
        None,
    );
    assert_eq!(status, 200, "after m2auth cache:flush: {body}");

    // OAuth states, signed by oauthlib for the URL Magento sees.
    let url = r.url(PRODUCTS);
    let signed = |c: &Creds| {
        Some(format!(
            "Authorization: {}",
            r.sign(c, "GET", &url, "HMAC-SHA256")
        ))
    };
    let other_key = Creds {
        key: "k".repeat(32),
        secret: full.secret.clone(),
        token: full.token.clone(),
        token_secret: full.token_secret.clone(),
    };
    r.case(&Case {
        name: "unknown consumer key",
        method: "GET",
        path: products.clone(),
        header: signed(&other_key),
        status: 401,
        message: "",
        code: "oauth-consumer-unknown",
    });
    let other_token = Creds {
        key: full.key.clone(),
        secret: full.secret.clone(),
        token: "t".repeat(32),
        token_secret: full.token_secret.clone(),
    };
    r.case(&Case {
        name: "unknown OAuth token",
        method: "GET",
        path: products.clone(),
        header: signed(&other_token),
        status: 401,
        message: "",
        code: "oauth-token-unknown",
    });
    let limited = r.integration(
        "m2auth-real-limited",
        &["Magento_Catalog::catalog", "Magento_Catalog::products"],
    );
    let mixed = Creds {
        key: full.key.clone(),
        secret: full.secret.clone(),
        token: limited.token.clone(),
        token_secret: limited.token_secret.clone(),
    };
    r.case(&Case {
        name: "token of another consumer",
        method: "GET",
        path: products.clone(),
        header: signed(&mixed),
        status: 401,
        message: "",
        code: "oauth-token-consumer-mismatch",
    });
    r.sql(&format!(
        "UPDATE oauth_token SET revoked = 1 WHERE token = '{}'",
        full.token
    ));
    r.case(&Case {
        name: "revoked OAuth token",
        method: "GET",
        path: products.clone(),
        header: signed(&full),
        status: 401,
        message: "",
        code: "oauth-token-revoked",
    });
    r.sql(&format!(
        "UPDATE oauth_token SET revoked = 0 WHERE token = '{}'",
        full.token
    ));
    r.sql("UPDATE integration SET status = 0 WHERE name = 'm2auth-real-full'");
    r.case(&Case {
        name: "inactive integration",
        method: "GET",
        path: products.clone(),
        header: signed(&full),
        status: 401,
        message: consumer,
        code: "integration-inactive",
    });
    r.sql("UPDATE integration SET status = 1 WHERE name = 'm2auth-real-full'");
    r.case(&Case {
        name: "role without the resource",
        method: "GET",
        path: "/rest/V1/customers/search?searchCriteria%5BpageSize%5D=1".into(),
        header: Some(format!(
            "Authorization: {}",
            r.sign(
                &limited,
                "GET",
                &r.url("/rest/V1/customers/search?searchCriteria%5BpageSize%5D=1"),
                "HMAC-SHA256"
            )
        )),
        status: 401,
        message: consumer,
        code: "acl-resource-missing",
    });

    // acl:grant --apply, the cache cleaned as its output says, then Magento lets it through.
    let (code, doc) = r.m2auth_json(&[
        "acl:grant",
        "--integration",
        "m2auth-real-limited",
        "--resource",
        "Magento_Customer::customer",
        "--apply",
    ]);
    assert_eq!(code, 0, "{doc:#}");
    // Before cleaning, Magento still decides with the cached ACL: refused, and m2auth says so
    // (acl-cache-stale in acl:check and diagnose, issue 17).
    let search = r.url("/rest/V1/customers/search?searchCriteria%5BpageSize%5D=1");
    let sign = || {
        format!(
            "Authorization: {}",
            r.sign(&limited, "GET", &search, "HMAC-SHA256")
        )
    };
    let (status, body) = r.call("GET", &search, &[sign()], None);
    assert_eq!(status, 401, "cached ACL: {body}");
    let (_, doc) = r.m2auth_json(&[
        "acl:check",
        "--integration",
        "m2auth-real-limited",
        "--request",
        "GET /V1/customers/search",
    ]);
    let f = finding(&doc, "acl-cache-stale").to_string();
    assert!(
        f.contains("Magento_Customer::customer") && f.contains("cache:clean config"),
        "{f}"
    );
    // m2auth's own cache:clean config (no PHP), then Magento lets it through.
    let (code, doc) = r.m2auth_json(&["cache:clean", "config"]);
    assert_eq!(code, 0, "{doc:#}");
    let (status, body) = r.call("GET", &search, &[sign()], None);
    assert_eq!(
        status, 200,
        "after acl:grant and m2auth cache:clean config: {body}"
    );
    let out = lab::m2auth(
        &["undo", "--apply", "--root", r.root()],
        Path::new(r.root()),
    );
    assert!(out.status.success(), "{out:?}");
    r.magento(&["cache:clean", "config"]);

    // Logins: Magento's answer and m2auth's diagnosis of the same login.
    let dir = tempfile::tempdir().unwrap();
    let pwfile = |p: &str| {
        let f = dir.path().join(format!("pw{}", p.len()));
        std::fs::write(&f, p).unwrap();
        f.to_str().unwrap().to_string()
    };
    let login_case = |name: &str, user: &str, password: &str, code: &str| {
        let (status, body) = r.login("admin", user, password);
        assert_eq!(status, 401, "{name}: {body}");
        assert!(
            body.contains("The account sign-in was incorrect"),
            "{name}: {body}"
        );
        let (_, doc) = r.m2auth_json(&[
            "diagnose",
            "--offline",
            "--admin-user",
            user,
            "--password-file",
            &pwfile(password),
        ]);
        assert_eq!(doc["root_cause"], code, "{name}: {doc:#}");
        r.sql("DELETE FROM oauth_token_request_log");
    };
    login_case(
        "wrong password",
        &admin,
        "Not-the-password-1",
        "admin-password-wrong",
    );
    login_case(
        "unknown admin",
        "m2auth-ghost",
        "Not-the-password-1",
        "admin-user-unknown",
    );
    r.sql(&format!(
        "UPDATE admin_user SET is_active = 0 WHERE username = '{admin}'"
    ));
    login_case("inactive admin", &admin, &pw, "admin-user-inactive");
    r.sql(&format!(
        "UPDATE admin_user SET is_active = 1 WHERE username = '{admin}'"
    ));
    // The admin-panel lock (admin_user.lock_expires) is kept by an adminhtml-area observer
    // (Magento_User's AuthObserver): the REST token endpoint still hands out a token, and m2auth
    // says so with a warning, not a cause. admin:user:unlock clears it.
    r.sql(&format!("UPDATE admin_user SET lock_expires = DATE_ADD(NOW(), INTERVAL 1 HOUR), failures_num = 6 WHERE username = '{admin}'"));
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--admin-user",
        &admin,
        "--password-file",
        &pwfile(&pw),
    ]);
    assert!(doc["root_cause"].is_null(), "locked admin: {doc:#}");
    assert_eq!(finding(&doc, "admin-user-locked")["severity"], "warning");
    let (status, body) = r.login("admin", &admin, &pw);
    assert_eq!(status, 200, "locked admin at the token endpoint: {body}");
    assert!(
        !r.admin_panel_login(&admin, &pw),
        "the admin panel refuses a locked admin"
    );
    let (code, doc) = r.m2auth_json(&["admin:user:unlock", &admin, "--apply"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        r.sql(&format!(
            "SELECT COALESCE(lock_expires, 'NULL') FROM admin_user WHERE username = '{admin}'"
        )),
        "NULL"
    );
    let (status, body) = r.login("admin", &admin, &pw);
    assert_eq!(status, 200, "after admin:user:unlock: {body}");
    assert!(
        r.admin_panel_login(&admin, &pw),
        "the admin panel lets the unlocked admin in"
    );
    r.sql(&format!("INSERT INTO oauth_token_request_log (user_name, user_type, failures_count, lock_expires_at) VALUES ('{admin}', 3, 6, DATE_ADD(NOW(), INTERVAL 1 HOUR))"));
    login_case(
        "token endpoint locked",
        &admin,
        &pw,
        "token-endpoint-locked",
    );

    // admin:user:change-password, then a real login with the new password; undo brings the old.
    let new_pw = "M2auth-real-New-1";
    let (code, doc) = r.m2auth_json(&[
        "admin:user:change-password",
        &admin,
        "--password-file",
        &pwfile(new_pw),
        "--apply",
    ]);
    assert_eq!(code, 0, "{doc:#}");
    let (status, body) = r.login("admin", &admin, new_pw);
    assert_eq!(status, 200, "the new password: {body}");
    // The real login wrote admin_user.logdate/lognum (and `modified`): columns the entry did not
    // change, which undo must leave as they are.
    let out = lab::m2auth(
        &["undo", "--apply", "--root", r.root()],
        Path::new(r.root()),
    );
    assert!(out.status.success(), "{out:?}");
    let (status, body) = r.login("admin", &admin, &pw);
    assert_eq!(status, 200, "the old password after undo: {body}");

    // acl:matrix --live for the full admin: no disagreement.
    let (_, doc) = r.m2auth_json(&[
        "acl:matrix",
        "--token",
        &minted,
        "--live",
        "--base-url",
        r.var("M2REAL_URL"),
    ]);
    assert_eq!(doc["live"]["disagreements"], 0, "{:#}", doc["live"]);
}

/// Puts a file back as it was when dropped (also when a case panics).
struct Restore(PathBuf, String);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.0, &self.1);
    }
}

/// The real store served by a real Apache + php-fpm (proxy_fcgi, as most hosts run it) with its
/// own pub/.htaccess: healthy, then with the Authorization passthrough rule commented out (the
/// header never reaches PHP), then repaired by `m2auth fix --apply`, and undone.
#[test]
fn real_magento_behind_apache_php_fpm() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let pub_dir = Path::new(r.root()).join("pub");
    let Some(srv) = lab::web::Apache::new(&pub_dir).start() else {
        return;
    };
    let key = r.crypt_key();
    let now = r.now();
    let token = jwt(&key, 1, 2, now - 60, now + 3600);
    let url = format!("{}{PRODUCTS}", srv.base_url);
    let auth = format!("Authorization: Bearer {token}");
    let conf = srv.config.to_str().unwrap().to_string();
    let req = format!("GET {url}");
    let request = |extra: &[&str]| {
        let mut a = vec![
            "request",
            "--request",
            req.as_str(),
            "--token",
            token.as_str(),
            "--server-config",
            conf.as_str(),
        ];
        a.extend_from_slice(extra);
        r.m2auth_json(&a)
    };

    // Healthy: Magento's own .htaccess passes the header on to php-fpm.
    let (status, body) = r.call("GET", &url, std::slice::from_ref(&auth), None);
    assert_eq!(status, 200, "through Apache: {body}\n{}", srv.error_log());
    let (code, doc) = request(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(doc["root_cause"].is_null(), "{doc:#}");

    // The passthrough rule commented out: PHP never sees the header.
    let htaccess = pub_dir.join(".htaccess");
    let original = std::fs::read_to_string(&htaccess).unwrap();
    let _restore = Restore(htaccess.clone(), original.clone());
    let rule = "RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]";
    assert!(
        original.contains(rule),
        "the real pub/.htaccess has the rule"
    );
    std::fs::write(&htaccess, original.replacen(rule, &format!("#{rule}"), 1)).unwrap();
    let (status, body) = r.call("GET", &url, std::slice::from_ref(&auth), None);
    assert_eq!(status, 401, "without the rule: {body}");
    assert!(body.contains("The consumer isn't authorized"), "{body}");
    let (code, doc) = request(&[]);
    assert_eq!(code, 1, "{doc:#}");
    let cause = doc["root_cause"].as_str().unwrap_or_default().to_string();
    assert!(
        ["auth-header-stripped", "apache-fcgi-strips-authorization"].contains(&cause.as_str()),
        "{doc:#}"
    );

    // fix --apply puts the rule back in the store's own .htaccess: Magento answers 200 again.
    let out = lab::m2auth(
        &[
            "fix",
            "--root",
            r.root(),
            "--server-config",
            &conf,
            "--apply",
        ],
        Path::new(r.root()),
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        std::fs::read_to_string(&htaccess)
            .unwrap()
            .contains(&format!("\n    {rule}"))
            || std::fs::read_to_string(&htaccess)
                .unwrap()
                .lines()
                .any(|l| l.trim() == rule)
    );
    let (status, body) = r.call("GET", &url, std::slice::from_ref(&auth), None);
    assert_eq!(status, 200, "after fix --apply: {body}");
    // undo brings the commented rule back, byte for byte.
    let out = lab::m2auth(
        &["undo", "--apply", "--root", r.root()],
        Path::new(r.root()),
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&htaccess).unwrap(),
        original.replacen(rule, &format!("#{rule}"), 1)
    );
}

impl Real {
    /// An admin user with its own role limited to `resources`, made through Magento's models
    /// (Role with parent 0, Rules::saveRel, User with the role), as the admin's role editor does.
    fn limited_admin(&self, name: &str, password: &str, resources: &[&str]) {
        let script = r#"<?php
use Magento\Framework\App\Bootstrap;
require $argv[1] . '/app/bootstrap.php';
$om = Bootstrap::create(BP, $_SERVER)->getObjectManager();
$om->get(\Magento\Framework\App\State::class)->setAreaCode('adminhtml');
[$_, $root, $name, $password] = $argv;
$res = array_slice($argv, 4);
$user = $om->create(\Magento\User\Model\User::class)->loadByUsername($name);
if ($user->getId()) { exit(0); }
$role = $om->create(\Magento\Authorization\Model\Role::class);
$role->setName($name . '-role')->setParentId(0)->setRoleType('G')->setUserType(2)->save();
$om->create(\Magento\Authorization\Model\Rules::class)->setRoleId($role->getId())->setResources($res)->saveRel();
$user->setData(['username' => $name, 'firstname' => 'M2', 'lastname' => 'Auth', 'email' => $name . '@example.test',
    'password' => $password, 'is_active' => 1]);
$user->setRoleId($role->getId());
$user->save();
"#;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin.php");
        std::fs::write(&file, script).unwrap();
        let out = Command::new("php")
            .arg(&file)
            .arg(self.root())
            .arg(name)
            .arg(password)
            .args(resources)
            .current_dir(self.root())
            .output()
            .expect("php");
        assert!(out.status.success(), "{out:?}");
    }
}

/// A JWT issued before crypt/key was rotated (a second key added after it) is refused by
/// Magento, and named; a role-limited admin's matrix agrees with Magento route by route.
#[test]
fn real_magento_rotated_key_and_a_limited_admin() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let key = r.crypt_key();
    let now = r.now();
    let before = jwt(&key, 1, 2, now - 60, now + 3600);
    let url = r.url(PRODUCTS);
    let auth = format!("Authorization: Bearer {before}");
    let (status, _) = r.call("GET", &url, std::slice::from_ref(&auth), None);
    assert_eq!(status, 200);

    // Rotate: a new key after the current one, as `bin/magento encryption:key:change` appends it.
    let env = Path::new(r.root()).join("app/etc/env.php");
    let original = std::fs::read_to_string(&env).unwrap();
    {
        let _restore = Restore(env.clone(), original.clone());
        let new_key = "base64AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert!(original.contains(&key));
        std::fs::write(
            &env,
            original.replacen(&key, &format!("{key}\n{new_key}"), 1),
        )
        .unwrap();
        // The built-in server's opcache revalidates PHP files every 2 s.
        std::thread::sleep(std::time::Duration::from_secs(3));
        let (status, body) = r.call("GET", &url, std::slice::from_ref(&auth), None);
        for doc in r.diagnose_both(
            &["--request", &format!("GET {url}"), "--token", &before],
            true,
        ) {
            assert_eq!(doc["root_cause"], "jwt-old-crypt-key", "{doc:#}");
        }
        assert_eq!(status, 401, "a token of the old key: {body}");
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (status, _) = r.call("GET", &url, std::slice::from_ref(&auth), None);
    assert_eq!(status, 200, "env.php restored");

    // A limited admin role (Catalog > Products and Sales > Orders): live matrix agrees.
    let pw = "M2auth-Jane-Pass-1";
    r.limited_admin(
        "m2auth-jane",
        pw,
        &[
            "Magento_Backend::admin",
            "Magento_Catalog::catalog",
            "Magento_Catalog::catalog_inventory",
            "Magento_Catalog::products",
            "Magento_Sales::sales",
            "Magento_Sales::sales_operation",
            "Magento_Sales::sales_order",
            "Magento_Sales::actions",
            "Magento_Sales::actions_view",
        ],
    );
    let (status, body) = r.login("admin", "m2auth-jane", pw);
    assert_eq!(status, 200, "{body}");
    let jane: String = serde_json::from_str(&body).unwrap();
    let (_, doc) = r.m2auth_json(&[
        "acl:matrix",
        "--token",
        &jane,
        "--live",
        "--base-url",
        r.var("M2REAL_URL"),
    ]);
    assert_eq!(doc["live"]["disagreements"], 0, "{:#}", doc["live"]);
    assert!(
        doc["allowed"].as_u64().unwrap() > 0
            && doc["allowed"].as_u64().unwrap() < doc["routes"].as_u64().unwrap()
    );
    // And one refused route, named.
    let search = r.url("/rest/V1/customers/search?searchCriteria%5BpageSize%5D=1");
    let (status, _) = r.call(
        "GET",
        &search,
        &[format!("Authorization: Bearer {jane}")],
        None,
    );
    assert_eq!(status, 401);
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &format!("GET {search}"),
        "--token",
        &jane,
    ]);
    assert_eq!(doc["root_cause"], "acl-resource-missing", "{doc:#}");
}

/// Customers, and the OAuth and token states the other tests leave out.
#[test]
fn real_magento_customers_and_more_oauth() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let consumer = "The consumer isn't authorized to access";
    // A customer made by the storefront's own account creation (anonymous POST /V1/customers).
    let email = "m2auth-real-customer@example.test";
    let cpw = "M2auth-Cust-Pass-1";
    r.sql(&format!(
        "DELETE FROM customer_entity WHERE email = '{email}'"
    ));
    let body = serde_json::json!({"customer": {"email": email, "firstname": "M", "lastname": "A"}, "password": cpw}).to_string();
    let (status, answer) = r.call("POST", &r.url("/rest/V1/customers"), &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = r.login("customer", email, cpw);
    assert_eq!(status, 200, "{answer}");
    let customer: String = serde_json::from_str(&answer).unwrap();
    let bearer = |t: &str| Some(format!("Authorization: Bearer {t}"));

    // A customer token on its own route passes; on an admin route it is refused.
    let (status, _) = r.call(
        "GET",
        &r.url("/rest/V1/customers/me"),
        &[format!("Authorization: Bearer {customer}")],
        None,
    );
    assert_eq!(status, 200);
    r.case(&Case {
        name: "customer on an admin route",
        method: "GET",
        path: "/rest/V1/customers/search?searchCriteria%5BpageSize%5D=1".into(),
        header: bearer(&customer),
        status: 401,
        message: consumer,
        code: "route-needs-admin-or-integration",
    });

    // Customer logins.
    let dir = tempfile::tempdir().unwrap();
    let pwfile = dir.path().join("pw");
    let customer_login = |name: &str, user: &str, password: &str, code: &str| {
        std::fs::write(&pwfile, password).unwrap();
        let (_, doc) = r.m2auth_json(&[
            "diagnose",
            "--offline",
            "--customer",
            user,
            "--password-file",
            pwfile.to_str().unwrap(),
        ]);
        assert_eq!(doc["root_cause"], code, "{name}: {doc:#}");
        let (status, body) = r.login("customer", user, password);
        assert_eq!(status, 401, "{name}: {body}");
        eprintln!("real: {name} → {status} {body}");
        r.sql("DELETE FROM oauth_token_request_log");
    };
    customer_login(
        "customer: wrong password",
        email,
        "Not-the-password-1",
        "customer-password-wrong",
    );
    customer_login(
        "customer: unknown",
        "m2auth-nobody@example.test",
        cpw,
        "customer-unknown",
    );
    r.sql(&format!("UPDATE customer_entity SET lock_expires = DATE_ADD(NOW(), INTERVAL 1 HOUR), failures_num = 10 WHERE email = '{email}'"));
    customer_login("customer: locked", email, cpw, "customer-locked");
    r.sql(&format!(
        "UPDATE customer_entity SET lock_expires = NULL, failures_num = 0 WHERE email = '{email}'"
    ));

    // Integration tokens as Bearer with the option on: a revoked one, a request token.
    let full = r.integration("m2auth-real-full", &["all"]);
    r.sql("INSERT INTO core_config_data (scope, scope_id, path, value) VALUES ('default', 0, 'oauth/consumer/enable_integration_as_bearer', '1') ON DUPLICATE KEY UPDATE value = '1'");
    r.magento(&["cache:clean", "config"]);
    let products = PRODUCTS.to_string();
    let (status, answer) = r.call(
        "GET",
        &r.url(PRODUCTS),
        &[format!("Authorization: Bearer {}", full.token)],
        None,
    );
    assert_eq!(
        status, 200,
        "integration token as Bearer with the option on: {answer}"
    );
    r.sql(&format!(
        "UPDATE oauth_token SET revoked = 1 WHERE token = '{}'",
        full.token
    ));
    r.case(&Case {
        name: "revoked integration token as Bearer",
        method: "GET",
        path: products.clone(),
        header: bearer(&full.token),
        status: 401,
        message: consumer,
        code: "opaque-token-revoked",
    });
    r.sql(&format!(
        "UPDATE oauth_token SET revoked = 0, type = 'request' WHERE token = '{}'",
        full.token
    ));
    // A 'request' row as Bearer: the reader never looks at the type, Magento answers 200.
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &format!("GET {}", r.url(PRODUCTS)),
        "--token",
        &full.token,
    ]);
    assert!(doc["root_cause"].is_null(), "{doc:#}");
    assert_eq!(
        finding(&doc, "opaque-token-not-access")["severity"],
        "warning"
    );
    let (status, answer) = r.call(
        "GET",
        &r.url(PRODUCTS),
        &[format!("Authorization: Bearer {}", full.token)],
        None,
    );
    assert_eq!(status, 200, "a request token as Bearer: {answer}");
    r.sql(&format!(
        "UPDATE oauth_token SET type = 'access' WHERE token = '{}'",
        full.token
    ));
    // An integration whose role row is gone.
    let limited = r.integration(
        "m2auth-real-limited",
        &["Magento_Catalog::catalog", "Magento_Catalog::products"],
    );
    let role = r.sql("SELECT role_id FROM authorization_role WHERE user_type = 1 AND user_id = (SELECT integration_id FROM integration WHERE name = 'm2auth-real-limited')");
    let rules = r.sql(&format!(
        "SELECT COUNT(*) FROM authorization_rule WHERE role_id = {role}"
    ));
    assert_ne!(rules, "0");
    r.sql(&format!(
        "UPDATE authorization_role SET user_id = 999999 WHERE role_id = {role}"
    ));
    r.magento(&["cache:clean", "config"]);
    r.case(&Case {
        name: "integration without a role",
        method: "GET",
        path: products.clone(),
        header: bearer(&limited.token),
        status: 401,
        message: consumer,
        code: "acl-role-missing",
    });
    r.sql(&format!("UPDATE authorization_role SET user_id = (SELECT integration_id FROM integration WHERE name = 'm2auth-real-limited') WHERE role_id = {role}"));
    r.sql(
        "DELETE FROM core_config_data WHERE path = 'oauth/consumer/enable_integration_as_bearer'",
    );
    r.magento(&["cache:clean", "config"]);

    // OAuth headers made wrong on purpose (oauthlib signs; the header is then edited).
    let url = r.url(PRODUCTS);
    let script = r#"
import sys, time
from oauthlib.oauth1 import Client
ck, cs, t, ts, url, nonce, ts_shift, sign_url = sys.argv[1:9]
c = Client(ck, client_secret=cs, resource_owner_key=t, resource_owner_secret=ts,
           signature_method="HMAC-SHA256", nonce=nonce or None, timestamp=str(int(time.time()) + int(ts_shift)))
print(c.sign(sign_url or url, http_method="GET")[1]["Authorization"])
"#;
    let sign = |nonce: &str, shift: i64, sign_url: &str| {
        let out = Command::new(&r.py)
            .args([
                "-c",
                script,
                &full.key,
                &full.secret,
                &full.token,
                &full.token_secret,
                &url,
                nonce,
                &shift.to_string(),
                sign_url,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        format!(
            "Authorization: {}",
            String::from_utf8(out.stdout).unwrap().trim()
        )
    };
    r.case(&Case {
        name: "timestamp an hour ahead",
        method: "GET",
        path: products.clone(),
        header: Some(sign("", 3600, "")),
        status: 401,
        message: "An error occurred validating the nonce",
        code: "oauth-timestamp-future",
    });
    // A 40-character nonce: stored cut to 32 (SQL_MODE=''), accepted; the next one with the
    // same first 32 characters is refused.
    let long = "n".repeat(40);
    let doc = r.offline_with(&url, &sign(&long, 0, ""));
    assert!(doc["root_cause"].is_null(), "{doc:#}");
    let (status, answer) = r.call("GET", &url, &[sign(&long, 0, "")], None);
    assert_eq!(status, 200, "a 40-character nonce: {answer}");
    let longer = format!("{}x", "n".repeat(39));
    r.case(&Case {
        name: "a second long nonce with the same first 32 characters",
        method: "GET",
        path: products.clone(),
        header: Some(sign(&longer, 0, "")),
        status: 401,
        message: "An error occurred validating the nonce",
        code: "oauth-nonce-too-long",
    });
    let other = url.replacen("http://", "https://", 1);
    r.case(&Case {
        name: "signed for https, sent over http",
        method: "GET",
        path: products.clone(),
        header: Some(sign("", 0, &other)),
        status: 401,
        message: "The signature is invalid",
        code: "oauth-base-url-mismatch",
    });
    // A replay: the same header twice. Magento stored the nonce the first time.
    let h = sign("", 0, "");
    let (status, _) = r.call("GET", &url, std::slice::from_ref(&h), None);
    assert_eq!(status, 200);
    r.case(&Case {
        name: "replayed header",
        method: "GET",
        path: products.clone(),
        header: Some(h),
        status: 401,
        message: "The nonce is already being used",
        code: "oauth-nonce-reused",
    });
}

/// Account states, legacy opaque tokens, an HTTPS-only route, and web-server rules in front of
/// the real store.
#[test]
fn real_magento_accounts_legacy_tokens_and_server_rules() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let consumer = "The consumer isn't authorized to access";
    let admin = r.var("M2REAL_ADMIN_USER").to_string();
    let pw = r.var("M2REAL_ADMIN_PASSWORD").to_string();
    let key = r.crypt_key();
    let now = r.now();
    let token = jwt(&key, 1, 2, now - 60, now + 3600);
    let bearer = |t: &str| Some(format!("Authorization: Bearer {t}"));
    let products = PRODUCTS.to_string();

    // A route declared secure="true", over plain HTTP.
    r.case(&Case {
        name: "HTTPS-only route over http",
        method: "GET",
        path: "/rest/V1/analytics/link".into(),
        header: bearer(&token),
        status: 400,
        message: "Operation allowed only in HTTPS",
        code: "route-https-only",
    });

    // Legacy opaque admin tokens (oauth_token rows of user type 2): expired after
    // oauth/access_token_lifetime/admin hours, and one that names no admin.
    r.sql("DELETE FROM oauth_token WHERE token IN ('m2authexpiredadmintoken000000001', 'm2authinvalidadmintoken000000001')");
    r.sql("INSERT INTO oauth_token (type, token, secret, verifier, callback_url, revoked, authorized, user_type, admin_id, created_at) VALUES ('access', 'm2authexpiredadmintoken000000001', 's', 'v', 'oob', 0, 0, 2, 1, '2020-01-01 00:00:00'), ('access', 'm2authinvalidadmintoken000000001', 's', 'v', 'oob', 0, 0, 2, NULL, NOW())");
    r.case(&Case {
        name: "expired opaque admin token",
        method: "GET",
        path: products.clone(),
        header: bearer("m2authexpiredadmintoken000000001"),
        status: 401,
        message: consumer,
        code: "opaque-token-expired",
    });
    r.case(&Case {
        name: "opaque token naming no admin",
        method: "GET",
        path: products.clone(),
        header: bearer("m2authinvalidadmintoken000000001"),
        status: 401,
        message: consumer,
        code: "opaque-token-invalid",
    });
    r.sql("DELETE FROM oauth_token WHERE token IN ('m2authexpiredadmintoken000000001', 'm2authinvalidadmintoken000000001')");

    // Logins refused by the account's state or the throttle's configuration.
    let dir = tempfile::tempdir().unwrap();
    let pwfile = dir.path().join("pw");
    let login = |who: &str, flag: &str, user: &str, password: &str, code: &str, name: &str| {
        std::fs::write(&pwfile, password).unwrap();
        let (_, doc) = r.m2auth_json(&[
            "diagnose",
            "--offline",
            flag,
            user,
            "--password-file",
            pwfile.to_str().unwrap(),
        ]);
        assert_eq!(doc["root_cause"], code, "{name}: {doc:#}");
        let (status, body) = r.login(who, user, password);
        assert_eq!(status, 401, "{name}: {body}");
        eprintln!("real: {name} → {status} {body}");
        r.sql("DELETE FROM oauth_token_request_log");
    };
    r.sql(
        "INSERT INTO admin_user_expiration (user_id, expires_at) VALUES (1, '2020-01-01 00:00:00')",
    );
    login(
        "admin",
        "--admin-user",
        &admin,
        &pw,
        "admin-user-expired",
        "expired admin",
    );
    // Magento deactivated the user on the way (Security's expiration check), and saving it
    // inactive revoked its tokens (a jwt_auth_revoked row, cached): undo both.
    r.sql("DELETE FROM admin_user_expiration WHERE user_id = 1");
    r.sql(&format!(
        "UPDATE admin_user SET is_active = 1 WHERE username = '{admin}'"
    ));
    assert_ne!(
        r.sql("SELECT COUNT(*) FROM jwt_auth_revoked WHERE user_type_id = 2 AND user_id = 1"),
        "0"
    );
    r.sql("DELETE FROM jwt_auth_revoked");
    r.magento(&["cache:flush"]);
    r.sql("INSERT INTO core_config_data (scope, scope_id, path, value) VALUES ('default', 0, 'oauth/authentication_lock/max_failures_count', '0') ON DUPLICATE KEY UPDATE value = '0'");
    r.magento(&["cache:clean", "config"]);
    login(
        "admin",
        "--admin-user",
        &admin,
        &pw,
        "token-endpoint-lock-zero",
        "max_failures_count 0",
    );
    r.sql(
        "DELETE FROM core_config_data WHERE path = 'oauth/authentication_lock/max_failures_count'",
    );
    r.magento(&["cache:clean", "config"]);
    let (status, body) = r.login("admin", &admin, &pw);
    assert_eq!(status, 200, "{body}");
    // A customer who must confirm the account first.
    let email = "m2auth-real-unconfirmed@example.test";
    let cpw = "M2auth-Cust-Pass-1";
    r.sql(&format!(
        "DELETE FROM customer_entity WHERE email = '{email}'"
    ));
    let body = serde_json::json!({"customer": {"email": email, "firstname": "M", "lastname": "A"}, "password": cpw}).to_string();
    let (status, answer) = r.call("POST", &r.url("/rest/V1/customers"), &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    r.sql("INSERT INTO core_config_data (scope, scope_id, path, value) VALUES ('default', 0, 'customer/create_account/confirm', '1') ON DUPLICATE KEY UPDATE value = '1'");
    r.sql(&format!(
        "UPDATE customer_entity SET confirmation = 'm2authconfirmationkey' WHERE email = '{email}'"
    ));
    r.magento(&["cache:clean", "config"]);
    login(
        "customer",
        "--customer",
        email,
        cpw,
        "customer-inactive",
        "unconfirmed customer",
    );
    r.sql("DELETE FROM core_config_data WHERE path = 'customer/create_account/confirm'");
    r.magento(&["cache:clean", "config"]);

    // Web-server rules in front of the real store (Apache + php-fpm, its own pub/.htaccess).
    let pub_dir = Path::new(r.root()).join("pub");
    let url = |srv: &lab::web::WebServer| format!("{}{PRODUCTS}", srv.base_url);
    let server_case = |apache: lab::web::Apache, name: &str, status: u16, codes: &[&str]| {
        let Some(srv) = apache.start() else { return };
        let u = url(&srv);
        let (got, body) = r.call("GET", &u, &[format!("Authorization: Bearer {token}")], None);
        assert_eq!(got, status, "{name}: {body}");
        let conf = srv.config.to_str().unwrap().to_string();
        let (_, doc) = r.m2auth_json(&[
            "request",
            "--request",
            &format!("GET {u}"),
            "--token",
            &token,
            "--server-config",
            &conf,
        ]);
        let cause = doc["root_cause"].as_str().unwrap_or_default().to_string();
        assert!(codes.contains(&cause.as_str()), "{name}: {doc:#}");
        eprintln!("real: {name} → {got}; m2auth: {cause}");
    };
    let mut a = lab::web::Apache::new(&pub_dir);
    a.basic_auth_rest = true;
    server_case(a, "Basic auth on /rest", 401, &["basic-auth-in-front"]);
    let mut a = lab::web::Apache::new(&pub_dir);
    a.deny_rest = true;
    // Apache refuses with 403, and the store's own .htaccess (`ErrorDocument 403
    // /errors/404.php`) turns that into Magento's 404 page.
    server_case(a, "Require ip on /rest", 404, &["server-denies-path"]);
    let mut a = lab::web::Apache::new(&pub_dir);
    a.allow_override = "None";
    server_case(a, "AllowOverride None", 404, &["apache-htaccess-ignored"]);
}

/// Turns Magento_TwoFactorAuth off again (module:disable + setup:upgrade) when dropped.
struct TwoFactorOff<'a>(&'a Real);

impl Drop for TwoFactorOff<'_> {
    fn drop(&mut self) {
        let _ = Command::new("php")
            .args([
                "bin/magento",
                "module:disable",
                "Magento_TwoFactorAuth",
                "Magento_AdminAdobeImsTwoFactorAuth",
            ])
            .current_dir(self.0.root())
            .output();
        let _ = Command::new("php")
            .args(["bin/magento", "setup:upgrade", "--keep-generated"])
            .current_dir(self.0.root())
            .output();
    }
}

/// Admin tokens that Magento does not hand out at all: 2FA enabled with no provider for the
/// admin (module:enable + setup:upgrade, about 30 s each way), and Adobe IMS admin login on.
#[test]
fn real_magento_two_factor_and_ims() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let admin = r.var("M2REAL_ADMIN_USER").to_string();
    let pw = r.var("M2REAL_ADMIN_PASSWORD").to_string();
    let dir = tempfile::tempdir().unwrap();
    let pwfile = dir.path().join("pw");
    std::fs::write(&pwfile, &pw).unwrap();
    let diagnose = || {
        r.m2auth_json(&[
            "diagnose",
            "--offline",
            "--admin-user",
            &admin,
            "--password-file",
            pwfile.to_str().unwrap(),
        ])
        .1
    };

    // Adobe IMS admin login on: the token endpoint refuses every admin.
    r.sql("INSERT INTO core_config_data (scope, scope_id, path, value) VALUES ('default', 0, 'adobe_ims/integration/admin_enabled', '1') ON DUPLICATE KEY UPDATE value = '1'");
    r.magento(&["cache:clean", "config"]);
    let doc = diagnose();
    let (status, body) = r.login("admin", &admin, &pw);
    r.sql("DELETE FROM core_config_data WHERE path = 'adobe_ims/integration/admin_enabled'");
    r.magento(&["cache:clean", "config"]);
    assert_eq!(doc["root_cause"], "admin-ims-enabled", "{doc:#}");
    assert_eq!(status, 401, "{body}");
    assert!(
        body.contains("Admin token generation is disabled"),
        "{body}"
    );

    // Two-factor authentication enabled, no provider configured for the admin.
    {
        let _off = TwoFactorOff(&r);
        r.magento(&[
            "module:enable",
            "Magento_TwoFactorAuth",
            "Magento_AdminAdobeImsTwoFactorAuth",
        ]);
        r.magento(&["setup:upgrade", "--keep-generated"]);
        let doc = diagnose();
        let (status, body) = r.login("admin", &admin, &pw);
        eprintln!("real: 2FA on → {status} {body}");
        assert_eq!(doc["root_cause"], "admin-2fa-required", "{doc:#}");
        assert!(
            finding(&doc, "admin-2fa-required")["detail"]
                .as_str()
                .unwrap()
                .contains(
                    "Please ask an administrator with sufficient access to configure 2FA first"
                ),
            "{doc:#}"
        );
        assert_eq!(status, 400, "{body}");
        assert!(
            body.contains(
                "Please ask an administrator with sufficient access to configure 2FA first"
            ),
            "{body}"
        );
    }
    let (status, body) = r.login("admin", &admin, &pw);
    assert_eq!(status, 200, "2FA off again: {body}");

    // A route of a module disabled in config.php: Magento reads only enabled modules' webapi.xml.
    let key = r.crypt_key();
    let now = r.now();
    let token = jwt(&key, 1, 2, now - 60, now + 3600);
    // Disabled by hand in app/etc/config.php (as a deployment does), the cache cleaned.
    {
        let config = Path::new(r.root()).join("app/etc/config.php");
        let original = std::fs::read_to_string(&config).unwrap();
        let _back = Restore(config.clone(), original.clone());
        let on = "'Magento_CheckoutAgreements' => 1,";
        assert!(original.contains(on));
        std::fs::write(
            &config,
            original.replacen(on, "'Magento_CheckoutAgreements' => 0,", 1),
        )
        .unwrap();
        r.magento(&["cache:clean"]);
        std::thread::sleep(std::time::Duration::from_secs(3));
        r.case(&Case {
            name: "route of a disabled module",
            method: "GET",
            path: "/rest/V1/carts/licence/list".into(),
            header: Some(format!("Authorization: Bearer {token}")),
            status: 404,
            message: "Request does not match any route.",
            code: "route-module-disabled",
        });
    }
    r.magento(&["cache:clean"]);
}

/// `oauth:sign`'s header sent by curl, a redirect in front of the store, a closed port, and a
/// live answer the database does not explain (an ACL still allowed in Magento's cache).
#[test]
fn real_magento_signing_redirects_and_a_live_mismatch() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let url = r.url(PRODUCTS);
    let full = r.integration("m2auth-real-full", &["all"]);

    // oauth:sign's Authorization header: accepted by Magento.
    let oauth = format!(
        "{},{},{},{}",
        full.key, full.secret, full.token, full.token_secret
    );
    let (code, doc) = r.m2auth_json(&[
        "oauth:sign",
        "--request",
        &format!("GET {url}"),
        "--oauth",
        &oauth,
    ]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["signature_method"], "HMAC-SHA256");
    let header = format!("Authorization: {}", doc["authorization"].as_str().unwrap());
    let (status, body) = r.call("GET", &url, &[header], None);
    assert_eq!(status, 200, "oauth:sign's header: {body}");

    // A role allowed in Magento's cached ACL but denied in authorization_rule since (no cache
    // clean): Magento answers 200, the database says no: live-verdict-mismatch.
    let limited = r.integration(
        "m2auth-real-limited",
        &["Magento_Catalog::catalog", "Magento_Catalog::products"],
    );
    let role = r.sql("SELECT role_id FROM authorization_role WHERE user_type = 1 AND user_id = (SELECT integration_id FROM integration WHERE name = 'm2auth-real-limited')");
    r.magento(&["cache:clean", "config"]);
    let h = format!(
        "Authorization: {}",
        r.sign(&limited, "GET", &url, "HMAC-SHA256")
    );
    let (status, _) = r.call("GET", &url, &[h], None);
    assert_eq!(status, 200);
    r.sql(&format!("UPDATE authorization_rule SET permission = 'deny' WHERE role_id = {role} AND resource_id = 'Magento_Catalog::products'"));
    let (_, doc) = r.request_as("m2auth-real-limited", &url);
    r.sql(&format!("UPDATE authorization_rule SET permission = 'allow' WHERE role_id = {role} AND resource_id = 'Magento_Catalog::products'"));
    r.magento(&["cache:clean", "config"]);
    assert_eq!(
        doc["response"]["status"], 200,
        "the cached ACL still allows: {doc:#}"
    );
    assert!(
        codes(&doc).contains(&"live-verdict-mismatch".to_string()),
        "{doc:#}"
    );

    // A redirect in front of /rest: the client would follow it without its Authorization header.
    let pub_dir = Path::new(r.root()).join("pub");
    let mut a = lab::web::Apache::new(&pub_dir);
    let closed = lab::web::closed_port();
    a.vhost_extra = format!("RedirectMatch 302 ^/rest/(.*)$ http://127.0.0.1:{closed}/rest/$1\n");
    if let Some(srv) = a.start() {
        let u = format!("{}{PRODUCTS}", srv.base_url);
        let (status, _) = r.call("GET", &u, &[], None);
        assert_eq!(status, 302);
        let key = r.crypt_key();
        let now = r.now();
        let token = jwt(&key, 1, 2, now - 60, now + 3600);
        assert!(
            r.request_codes(&u, &token)
                .contains(&"request-redirected".to_string())
        );
        // A 401 of the web server's own (a rule in front, no Basic challenge): not Magento's.
        let mut a = lab::web::Apache::new(&pub_dir);
        a.vhost_extra =
            "<Location /rest>\n    RewriteEngine On\n    RewriteRule .* - [R=401,L]\n</Location>\n"
                .into();
        if let Some(srv401) = a.start() {
            let u = format!("{}{PRODUCTS}", srv401.base_url);
            let (status, body) =
                r.call("GET", &u, &[format!("Authorization: Bearer {token}")], None);
            assert_eq!(status, 401, "{body}");
            assert!(!body.contains("consumer isn't authorized"), "{body}");
            assert!(
                r.request_codes(&u, &token)
                    .contains(&"server-401-not-magento".to_string())
            );
        }
        // And the port it points at answers nothing.
        let (_, doc) = r.m2auth_json(&[
            "request",
            "--request",
            &format!("GET http://127.0.0.1:{closed}{PRODUCTS}"),
            "--token",
            &token,
        ]);
        assert!(
            codes(&doc).contains(&"port-unreachable".to_string()),
            "{doc:#}"
        );
    }
}

/// nginx terminating TLS in front of the real store with a self-signed certificate, stopped on
/// drop.
struct TlsFront {
    child: std::process::Child,
    port: u16,
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    fn start(upstream: &str) -> Option<TlsFront> {
        let nginx = lab::web::nginx_binary()?;
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        // A private CA (`cert`, what --cacert trusts) and a server certificate it signed for
        // 127.0.0.1 (rustls refuses a self-signed CA certificate as the server's own).
        let script = "set -e
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=m2auth-lab-ca -keyout ca.key -out cert.pem
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out server.csr
printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext
openssl x509 -req -in server.csr -CA cert.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext -out server.pem";
        let ok = Command::new("sh")
            .args(["-c", script])
            .current_dir(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("skipped: openssl could not make a certificate");
            return None;
        }
        let port = lab::web::free_port();
        let d = dir.path().display();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {};\n    ssl_certificate_key {};\n    location / {{ proxy_pass {upstream}; proxy_set_header Host $http_host; }}\n  }}\n}}\n",
                dir.path().join("server.pem").display(),
                key.display()
            ),
        )
        .unwrap();
        let child = Command::new(nginx)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .spawn()
            .ok()?;
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Some(TlsFront {
            child,
            port,
            cert,
            _dir: dir,
        })
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// TLS in front of the store: an untrusted certificate is named before anything is sent; with
/// `--cacert` the request goes through and Magento answers.
#[test]
fn real_magento_behind_tls() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let Some(front) = TlsFront::start(r.var("M2REAL_URL")) else {
        return;
    };
    let key = r.crypt_key();
    let now = r.now();
    let token = jwt(&key, 1, 2, now - 60, now + 3600);
    let url = format!("https://127.0.0.1:{}{PRODUCTS}", front.port);
    assert!(
        r.request_codes(&url, &token)
            .contains(&"tls-certificate-invalid".to_string())
    );
    let cacert = front.cert.to_str().unwrap();
    let (code, doc) = r.m2auth_json(&[
        "request",
        "--request",
        &format!("GET {url}"),
        "--token",
        &token,
        "--cacert",
        cacert,
    ]);
    assert_eq!(
        (code, &doc["response"]["status"]),
        (0, &Value::from(200)),
        "{doc:#}"
    );
    assert_eq!(doc["response"]["tls_verified"], true, "{doc:#}");
}

/// GraphQL and SOAP on the real 2.4.7-p3 (issue 14): Magento's own answers for a customer query
/// with a valid, an expired and an admin token, as a guest, for a locked customer and with an
/// unknown Store header; a SOAP operation the integration's role lacks. m2auth names the cause.
#[test]
fn real_magento_graphql_and_soap() {
    let Some(r) = Real::from_env() else { return };
    r.reset();
    let key = r.crypt_key();
    let now = r.now();
    let email = "m2auth-real-graphql@example.test";
    let cpw = "M2auth-Gql-Pass-1";
    r.sql(&format!(
        "DELETE FROM customer_entity WHERE email = '{email}' OR entity_id = 1"
    ));
    // Customer id 1 (the admin's user id too), for the resolver-cache case below.
    r.sql("ALTER TABLE customer_entity AUTO_INCREMENT = 1");
    let body = serde_json::json!({"customer": {"email": email, "firstname": "G", "lastname": "Q"}, "password": cpw}).to_string();
    let (status, answer) = r.call("POST", &r.url("/rest/V1/customers"), &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    let id: i64 = r
        .sql(&format!(
            "SELECT entity_id FROM customer_entity WHERE email = '{email}'"
        ))
        .parse()
        .unwrap();
    let document = r#"{"query":"{ customer { email } }"}"#;
    let graphql = r.url("/graphql");
    let ask = |headers: &[String]| r.call("POST", &graphql, headers, Some(document));
    let diagnose = |headers: &[String]| {
        let req = format!("POST {graphql}");
        let mut args = vec![
            "diagnose",
            "--offline",
            "--request",
            req.as_str(),
            "-H",
            "Content-Type: application/json",
            "--data",
            document,
        ];
        for h in headers {
            args.extend_from_slice(&["-H", h.as_str()]);
        }
        r.m2auth_json(&args).1
    };
    let bearer = |t: &str| vec![format!("Authorization: Bearer {t}")];

    // A valid customer token: the data.
    let valid = jwt(&key, id, 3, now - 60, now + 3600);
    let (status, answer) = ask(&bearer(&valid));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains(email), "{answer}");
    let doc = diagnose(&bearer(&valid));
    assert!(doc["root_cause"].is_null(), "valid: {doc:#}");

    // Guest, admin token, expired token: Magento's resolver error inside a 200 — once the
    // resolver cache no longer holds the valid call's answer (see below).
    r.magento(&["cache:clean", "graphql_query_resolver_result"]);
    let refused = "The current customer isn't authorized.";
    let admin = jwt(&key, 1, 2, now - 60, now + 3600);
    let expired = jwt(&key, id, 3, now - 7200, now - 3600);
    for (name, headers, root, also) in [
        ("guest", vec![], "graphql-customer-required", None),
        (
            "admin token",
            bearer(&admin),
            "graphql-customer-required",
            None,
        ),
        (
            "expired customer token",
            bearer(&expired),
            "jwt-expired",
            Some("graphql-token-ignored-as-guest"),
        ),
    ] {
        let (status, answer) = ask(&headers);
        eprintln!("real: graphql {name} → {status} {answer}");
        assert_eq!(status, 200, "{name}: {answer}");
        assert!(
            answer.contains(refused) && answer.contains("graphql-authorization"),
            "{name}: {answer}"
        );
        let doc = diagnose(&headers);
        assert_eq!(doc["root_cause"], root, "{name}: {doc:#}");
        if let Some(code) = also {
            assert!(codes(&doc).contains(&code.to_string()), "{name}: {doc:#}");
        }
        assert!(
            !codes(&doc).contains(&"route-not-found".to_string()),
            "{doc:#}"
        );
    }

    // 2.4.7's resolver cache keys Query.customer by the user id alone: once customer `id`'s
    // answer is cached, an admin token of the same user id receives it (Magento's answer, not
    // the resolver's guard). The lab's first customer and its admin are both id 1.
    if id == 1 {
        let (_, answer) = ask(&bearer(&valid));
        assert!(answer.contains(email), "{answer}");
        let (_, answer) = ask(&bearer(&admin));
        eprintln!("real: graphql admin token after customer 1's cached answer → {answer}");
        assert!(answer.contains(email), "{answer}");
        let doc = diagnose(&bearer(&admin));
        let f = finding(&doc, "graphql-customer-required").to_string();
        assert!(f.contains("graphql_query_resolver_result"), "{f}");
        r.magento(&["cache:clean", "graphql_query_resolver_result"]);
    }

    // A locked customer with a valid token.
    r.sql(&format!("UPDATE customer_entity SET lock_expires = DATE_ADD(NOW(), INTERVAL 1 HOUR), failures_num = 10 WHERE entity_id = {id}"));
    let (status, answer) = ask(&bearer(&valid));
    eprintln!("real: graphql locked customer → {status} {answer}");
    let doc = diagnose(&bearer(&valid));
    r.sql(&format!(
        "UPDATE customer_entity SET lock_expires = NULL, failures_num = 0 WHERE entity_id = {id}"
    ));
    assert!(answer.contains("The account is locked."), "{answer}");
    assert_eq!(doc["root_cause"], "customer-locked", "{doc:#}");

    // An unknown Store header.
    let mut headers = bearer(&valid);
    headers.push("Store: nosuchstore".into());
    let (status, answer) = ask(&headers);
    eprintln!("real: graphql unknown Store header → {status} {answer}");
    assert!(answer.contains("nosuchstore"), "{answer}");
    let doc = diagnose(&headers);
    assert_eq!(doc["root_cause"], "store-code-unknown", "{doc:#}");

    // SOAP: an integration whose role lacks Magento_Catalog::products. First with integration
    // tokens refused as Bearer (the default): SOAP obeys enable_integration_as_bearer too.
    let creds = r.integration("m2auth-real-soap", &["Magento_Customer::customer"]);
    let soap = r.url("/soap/default?services=catalogProductRepositoryV1");
    let req = format!("POST {soap}");
    let envelope = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:ns1=\"urn:x\"><env:Body><ns1:catalogProductRepositoryV1GetRequest><sku>m2auth-none</sku></ns1:catalogProductRepositoryV1GetRequest></env:Body></env:Envelope>";
    let soap_call = || {
        let out = Command::new("curl")
            .args(["-s", "-X", "POST", "-w", "\n%{http_code}", "-H"])
            .arg(format!("Authorization: Bearer {}", creds.token))
            .args([
                "-H",
                "Content-Type: application/soap+xml",
                "--data",
                envelope,
            ])
            .arg(&soap)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let answer = soap_call();
    eprintln!("real: soap with an integration token, bearer off → {answer}");
    // The fault's text is XML-escaped (`isn&#039;t`).
    assert!(answer.contains("authorized to access"), "{answer}");
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &req,
        "--soap-operation",
        "catalogProductRepositoryV1Get",
        "--token",
        &creds.token,
    ]);
    assert_eq!(doc["root_cause"], "integration-bearer-disabled", "{doc:#}");
    r.sql("INSERT INTO core_config_data (scope, scope_id, path, value) VALUES ('default', 0, 'oauth/consumer/enable_integration_as_bearer', '1') ON DUPLICATE KEY UPDATE value = '1'");
    r.magento(&["cache:clean", "config"]);
    let answer = soap_call();
    eprintln!("real: soap without the resource → {answer}");
    assert!(
        answer.contains("catalogProductRepositoryV1") && answer.contains("authorized to access"),
        "{answer}"
    );
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &req,
        "--soap-operation",
        "catalogProductRepositoryV1Get",
        "--token",
        &creds.token,
    ]);
    assert_eq!(doc["root_cause"], "acl-resource-missing", "{doc:#}");
    r.sql(
        "DELETE FROM core_config_data WHERE path = 'oauth/consumer/enable_integration_as_bearer'",
    );
    r.magento(&["cache:clean", "config"]);
}
