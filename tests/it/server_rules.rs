//! Step 6 from the store's own files: Magento's real `.htaccess` files (read in place from
//! ../shared/magento-reference/server and copied into a temp store), with the Authorization
//! passthrough present, commented out, removed, or replaced by CGIPassAuth.

use crate::lab;
use crate::lab::FixtureStore;
use serde_json::Value;

const CODE: &str = "htaccess-auth-passthrough-missing";

fn store(docroot_is_pub: bool) -> FixtureStore {
    let s = FixtureStore::new();
    s.env_php(&format!(
        "<?php\nreturn ['crypt' => ['key' => 'base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g='], 'backend' => ['frontName' => 'shop_admin'], 'directories' => ['document_root_is_pub' => {docroot_is_pub}]];\n"
    ));
    s.config_php(&[("Magento_Store", true), ("Magento_TwoFactorAuth", true)]);
    s.vendor_module("Magento_TwoFactorAuth", "magento/module-two-factor-auth");
    s
}

fn diagnose(s: &FixtureStore) -> Value {
    let out = lab::m2auth(
        &[
            "diagnose",
            "--format",
            "json",
            "--root",
            s.root().to_str().unwrap(),
        ],
        s.root(),
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn finding(doc: &Value) -> Option<&Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == CODE)
}

#[test]
fn stock_htaccess_files_pass_the_header_and_edited_ones_are_caught() {
    let Some(reference) = lab::reference_dir() else {
        return;
    };
    let pub_htaccess = std::fs::read_to_string(reference.join("server/pub.htaccess")).unwrap();
    let root_htaccess = std::fs::read_to_string(reference.join("server/root.htaccess")).unwrap();
    let rule = "    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]";
    assert!(
        pub_htaccess.contains(rule) && root_htaccess.contains(rule),
        "the reference files changed"
    );

    // Docroot pub/ (the 2.4 setup): pub/.htaccess is the one Apache reads.
    let s = store(true);
    s.file("pub/.htaccess", pub_htaccess.as_str());
    assert!(
        finding(&diagnose(&s)).is_none(),
        "stock pub/.htaccess flagged"
    );
    // Commented out: found, with the line.
    let line = pub_htaccess.lines().position(|l| l == rule).unwrap() + 1;
    s.file(
        "pub/.htaccess",
        pub_htaccess.replace(rule, &format!("#{rule}")),
    );
    let doc = diagnose(&s);
    let f = finding(&doc).unwrap_or_else(|| panic!("not flagged: {doc}"));
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["step"], 6);
    assert_eq!(
        f["evidence"][0]["source"],
        format!("file:pub/.htaccess:{line}")
    );
    // Removed: found.
    s.file("pub/.htaccess", pub_htaccess.replace(rule, ""));
    assert!(finding(&diagnose(&s)).is_some());
    // CGIPassAuth instead: fine.
    s.file(
        "pub/.htaccess",
        pub_htaccess.replace(rule, "CGIPassAuth On"),
    );
    assert!(finding(&diagnose(&s)).is_none());
    // The root .htaccess does not matter when the docroot is pub/.
    s.file("pub/.htaccess", pub_htaccess.as_str());
    s.file(".htaccess", root_htaccess.replace(rule, ""));
    assert!(finding(&diagnose(&s)).is_none());

    // Docroot = Magento root: the root .htaccess is read.
    let s = store(false);
    s.file(".htaccess", root_htaccess.replace(rule, ""));
    let doc = diagnose(&s);
    assert_eq!(
        finding(&doc).unwrap()["evidence"][0]["source"],
        "file:.htaccess",
        "{doc}"
    );
    s.file(".htaccess", root_htaccess.as_str());
    assert!(finding(&diagnose(&s)).is_none());
}

#[test]
fn no_htaccess_is_no_finding() {
    // nginx, or a vhost-only Apache: nothing to say from the files.
    let s = store(true);
    assert!(finding(&diagnose(&s)).is_none());
}
