//! The real-Magento tier: asks a running Magento 2.4.7-p3 (../shared/real-magento/lab.sh) for
//! its own answer to each state, and checks that m2auth names the cause Magento acts on.
//!
//! Runs when `M2AUTH_REAL_MAGENTO` names a running lab (its folder or its `lab.env`); skipped
//! with one line otherwise (CI has no snapshot of the store). Every case sets its state up in the
//! real store (SQL on its MariaDB, Magento's own PHP services through `app/bootstrap.php`,
//! `bin/magento`), records Magento's answer (status and message), runs m2auth as a user does, and
//! puts the store back. The cases run one after another in one test: they share the store.
//! docs/real-magento.md lists the cases with Magento's answers.

mod lab;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

struct Real {
    vars: HashMap<String, String>,
    py: String,
}

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
        Some(Real { vars, py })
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
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &format!("GET {url}"),
        "-H",
        &format!("Authorization: {h}"),
    ]);
    assert!(doc["root_cause"].is_null(), "{doc:#}");
    let (status, body) = r.call("GET", &url, &[format!("Authorization: {h}")], None);
    assert_eq!(status, 200, "{body}");
    let h1 = r.sign(&full, "GET", &url, "HMAC-SHA1");
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &format!("GET {url}"),
        "-H",
        &format!("Authorization: {h1}"),
    ]);
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
    let (code, doc) = r.m2auth_json(&[
        "request",
        "--integration",
        "m2auth-real-full",
        "--request",
        &format!("GET {url}"),
    ]);
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
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &format!("GET {url}"),
        "-H",
        &format!("Authorization: {hw}"),
    ]);
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
    let (_, doc) = r.m2auth_json(&[
        "diagnose",
        "--offline",
        "--request",
        &format!("GET {url}"),
        "-H",
        &format!("Authorization: {h}"),
    ]);
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
    let (code, doc) = r.m2auth_json(&[
        "request",
        "--integration",
        "m2auth-real-full",
        "--request",
        &format!("GET {url}"),
    ]);
    assert_eq!(
        (code, &doc["response"]["status"]),
        (0, &Value::from(200)),
        "{doc:#}"
    );
    let out = lab::m2auth(&["undo", "--root", r.root()], Path::new(r.root()));
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
    let (code, doc) = r.m2auth_json(&[
        "request",
        "--integration",
        "m2auth-real-limited",
        "--request",
        &format!("GET {url}"),
    ]);
    assert_eq!(
        (code, &doc["response"]["status"]),
        (0, &Value::from(200)),
        "{doc:#}"
    );
    let out = lab::m2auth(&["undo", "--root", r.root()], Path::new(r.root()));
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
    r.magento(&["cache:clean", "config"]);
    let (status, body) = r.call("GET", &url, std::slice::from_ref(&bearer), None);
    assert_eq!(status, 200, "after cache:clean: {body}");
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
