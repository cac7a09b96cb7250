//! One scenario per finding code, grouped by troubleshooting step, all written with the lab's
//! scenario builder ([`crate::lab::scenario`]): store files and database rows, one m2auth call,
//! the expectations. Each step also has a healthy store that produces none of its codes.
//!
//! * [`credentials`]: step 1 (tokens, JWTs, OAuth 1.0a, admin and customer logins, crypt key);
//! * [`roles`]: step 2 (ACL resources and routes);
//! * [`headers`]: step 3 (the Authorization header as sent, and as the server passes it);
//! * [`perms`]: step 5 (file modes and owners, `perms:check` and `diagnose`'s quick pass);
//! * [`cache`]: step 4 (the cache entries the running store decides with, file and Redis);
//! * [`server`]: step 6 (.htaccess and the web server's configuration);
//! * [`logs`]: step 7 (access logs, Magento's logs and reports);
//! * [`audit`]: step 9 (prevention);
//! * [`store_wide`]: `diagnose` without a request (every problem of the store, for anyone).
//!
//! [`every_code_has_a_scenario`] keeps the catalogue honest: every code of src/findings.rs is
//! named in an expectation of some test under tests/it/, or is in [`NOT_OFFLINE`] with its reason.

mod audit;
mod cache;
mod cache_symfony;
mod credentials;
mod graphql;
mod headers;
mod logs;
mod perms;
mod roles;
mod server;
mod store_wide;

use std::path::Path;

use m2auth::findings::Code;

use crate::lab::scenario::Scenario;

/// The modules of the step 1 and 2 scenario stores (vendor/ trees with Magento's real webapi.xml
/// and acl.xml).
pub const MODULES: &[(&str, &str)] = &[
    ("Magento_Store", "magento/module-store"),
    ("Magento_Backend", "magento/module-backend"),
    ("Magento_Catalog", "magento/module-catalog"),
    ("Magento_Customer", "magento/module-customer"),
    ("Magento_Sales", "magento/module-sales"),
    ("Magento_Integration", "magento/module-integration"),
    ("Magento_User", "magento/module-user"),
    ("Magento_Webapi", "magento/module-webapi"),
    ("Magento_WebapiSecurity", "magento/module-webapi-security"),
];

/// The instant every credential scenario runs at (`--now`).
pub const NOW: i64 = 1_800_000_000;

/// The password of every admin and customer the scenarios create.
pub const PW: &str = "Right-Passw0rd";

/// A 2.4.7-p3 store with [`MODULES`], admin `admin` (id 1, all resources) and customer
/// `ann@example.test` (id 1), at [`NOW`]; `None` without the lab or the reference files.
pub fn store() -> Option<Scenario> {
    crate::lab::reference_dir()?;
    let s = Scenario::new()?;
    s.release("2.4.7-p3")
        .modules(MODULES)
        .admin("admin", PW)
        .customer("ann@example.test", PW)
        .now(&crate::lab::scenario::at(NOW));
    Some(s)
}

/// Codes no offline scenario (store files + database) can produce, each with its reason. A code
/// listed here must not be named by any test: when one gets a test, it leaves the list.
const NOT_OFFLINE: &[(&str, &str)] = &[
    // Only the live store's answer proves these (tests/it/live.rs covers the ones implemented).
    ("server-401-not-magento", "live: the 401 response itself"),
    (
        "live-verdict-mismatch",
        "live: compares the store's answer with the offline verdict",
    ),
    ("port-unreachable", "live: a TCP connect"),
    ("waf-blocked", "live: the WAF's response page"),
    ("request-redirected", "live: the redirect response"),
    ("tls-certificate-invalid", "live: the TLS handshake"),
];

/// The text of every test source under tests/it/ but the lab (helpers, not expectations) and
/// this file (the allow-list), with its path.
fn test_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "lab") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("scenarios/mod.rs") {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it"),
        &mut out,
    );
    out
}

/// Every code of the catalogue is named (as the string literal `"code"`) by a test under
/// tests/it/, or is in [`NOT_OFFLINE`]; and no code is both.
#[test]
fn every_code_has_a_scenario() {
    let sources = test_sources();
    assert!(sources.len() > 10, "tests/it/ not found: {sources:?}");
    let named = |code: &str| {
        let lit = format!("\"{code}\"");
        sources
            .iter()
            .filter(|(_, text)| text.contains(&lit))
            .map(|(p, _)| p.clone())
            .collect::<Vec<_>>()
    };
    let mut missing = Vec::new();
    for code in Code::ALL {
        let c = code.as_str();
        let allowed = NOT_OFFLINE.iter().find(|(a, _)| *a == c);
        let files = named(c);
        match (allowed, files.is_empty()) {
            (None, true) => missing.push(c),
            (Some((_, why)), true) => eprintln!("{c}: allow-listed ({why})"),
            (None, false) => {}
            // A live-only code tested through the live lab is covered: fine either way.
            (Some((_, why)), false) if why.starts_with("live") => {}
            (Some(_), false) => panic!(
                "{c} is allow-listed as not implemented but named by {files:?}: remove it from NOT_OFFLINE"
            ),
        }
    }
    assert!(missing.is_empty(), "codes without a scenario: {missing:?}");
    for (c, _) in NOT_OFFLINE {
        assert!(Code::parse(c).is_some(), "NOT_OFFLINE names no code: {c}");
    }
}

/// Every code a scenario module names is a catalogue code (a typo would pass unnoticed).
#[test]
fn scenario_files_name_only_catalogue_codes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/scenarios");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        for call in [
            "expect_root_cause(\"",
            "expect_code(\"",
            "expect_severity(\"",
        ] {
            for part in text.split(call).skip(1) {
                let code = part.split('"').next().unwrap();
                assert!(
                    Code::parse(code).is_some(),
                    "{}: {code} is not a finding code",
                    p.display()
                );
            }
        }
    }
}
