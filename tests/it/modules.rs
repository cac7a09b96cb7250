//! Module discovery and release detection on temporary store trees.

use std::fs;
use std::path::Path;
use std::time::Instant;

use crate::lab::report::write_file;
use m2auth::store::envphp::{Array, Document, Entry, Key, Value};
use m2auth::store::modules::{Edition, Layout, ModuleSet, detect_release};

fn module_xml(name: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<config xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="urn:magento:framework:Module/etc/module.xsd">
    <module name="{name}">
        <sequence>
            <module name="Magento_Store"/>
        </sequence>
    </module>
</config>
"#
    )
}

fn registration(name: &str, dir_expr: &str) -> String {
    format!(
        "<?php\nuse Magento\\Framework\\Component\\ComponentRegistrar;\n\nComponentRegistrar::register(ComponentRegistrar::MODULE, '{name}', {dir_expr});\n"
    )
}

/// A composer package `vendor/<package>` holding module `name` at its root.
fn vendor_module(root: &Path, package: &str, name: &str) {
    write_file(
        root,
        &format!("vendor/{package}/etc/module.xml"),
        &module_xml(name),
    );
    write_file(
        root,
        &format!("vendor/{package}/registration.php"),
        &registration(name, "__DIR__"),
    );
}

fn app_code_module(root: &Path, name: &str) {
    let (v, m) = name.split_once('_').unwrap();
    write_file(
        root,
        &format!("app/code/{v}/{m}/etc/module.xml"),
        &module_xml(name),
    );
    write_file(
        root,
        &format!("app/code/{v}/{m}/registration.php"),
        &registration(name, "__DIR__"),
    );
}

/// config.php's `modules` as the parser would give it.
fn config(modules: &[(&str, Value)]) -> Document {
    let entries = modules
        .iter()
        .enumerate()
        .map(|(i, (n, v))| Entry {
            key: Key::Str(n.to_string()),
            value: v.clone(),
            line: i as u32 + 3,
        })
        .collect();
    let mut root = Array::default();
    root.entries.push(Entry {
        key: Key::Str("modules".into()),
        value: Value::Array(Array { entries }),
        line: 2,
    });
    Document {
        root,
        unresolved: Vec::new(),
    }
}

fn names(set: &ModuleSet) -> Vec<&str> {
    set.modules.iter().map(|m| m.name.as_str()).collect()
}

#[test]
fn composer_layout() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    vendor_module(root, "magento/module-store", "Magento_Store");
    vendor_module(root, "magento/module-integration", "Magento_Integration");
    vendor_module(
        root,
        "magento/module-jwt-user-token",
        "Magento_JwtUserToken",
    );
    // non-module packages: a library, a theme, a metapackage-like folder, vendor/bin
    write_file(
        root,
        "vendor/magento/framework/registration.php",
        "<?php\nComponentRegistrar::register(ComponentRegistrar::LIBRARY, 'magento/framework', __DIR__);\n",
    );
    write_file(
        root,
        "vendor/magento/theme-frontend-luma/registration.php",
        "<?php\nComponentRegistrar::register(ComponentRegistrar::THEME, 'frontend/Magento/luma', __DIR__);\n",
    );
    write_file(
        root,
        "vendor/magento/theme-frontend-luma/etc/view.xml",
        "<view/>",
    );
    write_file(root, "vendor/symfony/console/Application.php", "<?php");
    write_file(
        root,
        "vendor/bin/x/etc/module.xml",
        &module_xml("Not_AModule"),
    );
    write_file(root, "vendor/composer/installed.json", "{}");
    write_file(root, "vendor/autoload.php", "<?php");

    let doc = config(&[
        ("Magento_Store", Value::Int(1)),
        ("Magento_JwtUserToken", Value::Int(1)),
        ("Magento_Integration", Value::Int(0)),
    ]);
    let set = ModuleSet::load(root, Some(&doc));
    assert!(set.config_known);
    assert_eq!(
        names(&set),
        [
            "Magento_Store",
            "Magento_JwtUserToken",
            "Magento_Integration"
        ]
    );
    let store = set.get("Magento_Store").unwrap();
    assert!(store.enabled);
    assert_eq!(store.layout, Some(Layout::Vendor));
    assert_eq!(
        store.dir.as_deref(),
        Some(root.join("vendor/magento/module-store").as_path())
    );
    assert_eq!(set.is_enabled("Magento_Integration"), Some(false));
    assert_eq!(set.is_enabled("Magento_Nope"), None);
    assert_eq!(set.enabled().count(), 2);
    assert_eq!(set.disabled().count(), 1);
    assert!(set.duplicates.is_empty());
}

#[test]
fn app_code_layout() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    app_code_module(root, "Magento_Store");
    app_code_module(root, "Magento_Backend");
    // a folder without module.xml is not a module
    write_file(root, "app/code/Magento/Half/registration.php", "<?php");
    let doc = config(&[
        ("Magento_Store", Value::Int(1)),
        ("Magento_Backend", Value::Bool(true)),
    ]);
    let set = ModuleSet::load(root, Some(&doc));
    assert_eq!(names(&set), ["Magento_Store", "Magento_Backend"]);
    assert!(
        set.modules
            .iter()
            .all(|m| m.enabled && m.layout == Some(Layout::AppCode))
    );
    assert_eq!(
        set.get("Magento_Backend").unwrap().dir.as_deref(),
        Some(root.join("app/code/Magento/Backend").as_path())
    );
}

#[test]
fn mixed_layout_and_duplicates() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    vendor_module(root, "magento/module-store", "Magento_Store");
    vendor_module(root, "acme/module-auth", "Acme_Auth");
    app_code_module(root, "Acme_Local");
    // Acme_Auth also copied into app/code: Magento throws on the second registration; app/code is kept.
    app_code_module(root, "Acme_Auth");
    let doc = config(&[
        ("Magento_Store", Value::Int(1)),
        ("Acme_Auth", Value::Int(1)),
        ("Acme_Local", Value::Int(1)),
    ]);
    let set = ModuleSet::load(root, Some(&doc));
    assert_eq!(
        set.get("Magento_Store").unwrap().layout,
        Some(Layout::Vendor)
    );
    assert_eq!(set.get("Acme_Local").unwrap().layout, Some(Layout::AppCode));
    let auth = set.get("Acme_Auth").unwrap();
    assert_eq!(auth.layout, Some(Layout::AppCode));
    assert_eq!(
        auth.dir.as_deref(),
        Some(root.join("app/code/Acme/Auth").as_path())
    );
    assert_eq!(set.duplicates.len(), 1);
    assert_eq!(set.duplicates[0].name, "Acme_Auth");
    assert_eq!(set.duplicates[0].kept, root.join("app/code/Acme/Auth"));
    assert_eq!(
        set.duplicates[0].others,
        vec![root.join("vendor/acme/module-auth")]
    );
    assert_eq!(set.modules.len(), 3);
}

#[test]
fn registration_php_subfolder() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write_file(
        root,
        "vendor/acme/module-sso/registration.php",
        &registration("Acme_Sso", "__DIR__ . '/src'"),
    );
    write_file(
        root,
        "vendor/acme/module-sso/src/etc/module.xml",
        &module_xml("Acme_Sso"),
    );
    // registered name differs from module.xml: module.xml's name is the one Magento uses
    write_file(
        root,
        "vendor/acme/other/registration.php",
        &registration("Acme_Typo", "__DIR__ . \"/module\""),
    );
    write_file(
        root,
        "vendor/acme/other/module/etc/module.xml",
        &module_xml("Acme_Other"),
    );
    // registration pointing at a folder with no module.xml: ignored
    write_file(
        root,
        "vendor/acme/broken/registration.php",
        &registration("Acme_Broken", "__DIR__ . '/nowhere'"),
    );
    let set = ModuleSet::load(root, Some(&config(&[("Acme_Sso", Value::Str("1".into()))])));
    let sso = set.get("Acme_Sso").unwrap();
    assert!(sso.enabled);
    assert_eq!(
        sso.dir.as_deref(),
        Some(root.join("vendor/acme/module-sso/src").as_path())
    );
    assert_eq!(sso.layout, Some(Layout::Vendor));
    assert_eq!(
        set.get("Acme_Other").unwrap().dir.as_deref(),
        Some(root.join("vendor/acme/other/module").as_path())
    );
    assert!(set.get("Acme_Typo").is_none());
    assert!(set.get("Acme_Broken").is_none());
}

#[test]
fn disabled_unlisted_and_missing_modules() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    vendor_module(root, "magento/module-store", "Magento_Store");
    vendor_module(
        root,
        "magento/module-two-factor-auth",
        "Magento_TwoFactorAuth",
    );
    vendor_module(root, "zeta/module-z", "Zeta_Z");
    vendor_module(root, "alpha/module-a", "Alpha_A");
    let doc = config(&[
        ("Magento_TwoFactorAuth", Value::Int(0)),
        ("Magento_Store", Value::Int(1)),
        ("Gone_Module", Value::Int(1)),
        ("Magento_Str", Value::Str("0".into())),
        ("Magento_TwoFactorAuth", Value::Int(1)), // repeated key: last value wins, first position kept
    ]);
    let set = ModuleSet::load(root, Some(&doc));
    assert_eq!(
        names(&set),
        [
            "Magento_TwoFactorAuth",
            "Magento_Store",
            "Gone_Module",
            "Magento_Str",
            "Alpha_A",
            "Zeta_Z"
        ]
    );
    assert_eq!(set.is_enabled("Magento_TwoFactorAuth"), Some(true));
    let gone = set.get("Gone_Module").unwrap();
    assert!(gone.enabled && gone.dir.is_none() && gone.layout.is_none());
    assert_eq!(set.is_enabled("Magento_Str"), Some(false));
    // on disk, not in config.php: disabled
    assert_eq!(set.is_enabled("Alpha_A"), Some(false));
    assert_eq!(set.is_enabled("Zeta_Z"), Some(false));
}

#[test]
fn missing_config_php() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    vendor_module(root, "magento/module-store", "Magento_Store");
    app_code_module(root, "Acme_Local");
    let set = ModuleSet::load(root, None);
    assert!(!set.config_known);
    assert_eq!(names(&set), ["Acme_Local", "Magento_Store"]);
    assert!(set.modules.iter().all(|m| !m.enabled && m.dir.is_some()));
    // a config.php without a modules array is as unknown
    let set = ModuleSet::load(root, Some(&Document::default()));
    assert!(!set.config_known);
    assert_eq!(set.modules.len(), 2);
    // an empty folder: nothing, no panic
    let empty = tempfile::tempdir().unwrap();
    assert!(ModuleSet::load(empty.path(), None).modules.is_empty());
}

fn lock(packages: &[(&str, &str)]) -> String {
    let p: Vec<String> = packages
        .iter()
        .map(|(n, v)| {
            format!(
                "        {{\n            \"name\": \"{n}\",\n            \"version\": \"{v}\",\n            \"require\": {{\"magento/product-community-edition\": \"2.4.0\"}}\n        }}"
            )
        })
        .collect();
    format!(
        "{{\n    \"_readme\": [\"This file locks the dependencies\"],\n    \"content-hash\": \"abc\",\n    \"packages\": [\n{}\n    ],\n    \"packages-dev\": [],\n    \"aliases\": [],\n    \"minimum-stability\": \"stable\"\n}}\n",
        p.join(",\n")
    )
}

#[test]
fn release_from_composer_lock() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, Edition, &'a str);
    let cases: &[Case] = &[
        (
            &[
                ("magento/magento2-base", "2.4.7-p3"),
                ("magento/product-community-edition", "2.4.7-p3"),
            ],
            "2.4.7-p3",
            Edition::Community,
            "composer.lock (magento/product-community-edition)",
        ),
        (
            &[
                ("magento/product-enterprise-edition", "2.4.6-p5"),
                ("magento/magento2-base", "2.4.6-p5"),
            ],
            "2.4.6-p5",
            Edition::Enterprise,
            "composer.lock (magento/product-enterprise-edition)",
        ),
        (
            &[
                ("magento/product-enterprise-edition", "2.4.8"),
                ("magento/extension-b2b", "1.5.2"),
            ],
            "2.4.8",
            Edition::B2b,
            "composer.lock (magento/product-enterprise-edition)",
        ),
        (
            &[
                ("mage-os/product-community-edition", "1.0.5"),
                ("mage-os/magento2-base", "1.0.5"),
            ],
            "1.0.5",
            Edition::MageOs,
            "composer.lock (mage-os/product-community-edition)",
        ),
        (
            &[
                ("magento/magento2-base", "2.4.4"),
                ("laminas/laminas-code", "4.5.1"),
            ],
            "2.4.4",
            Edition::Community,
            "composer.lock (magento/magento2-base)",
        ),
    ];
    for (packages, version, edition, source) in cases {
        let t = tempfile::tempdir().unwrap();
        write_file(t.path(), "composer.lock", &lock(packages));
        let r = detect_release(t.path());
        assert_eq!(r.version.as_deref(), Some(*version));
        assert_eq!(r.edition, *edition);
        assert_eq!(r.source.as_deref(), Some(*source));
    }
}

#[test]
fn release_from_vendor_base() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write_file(
        root,
        "vendor/magento/magento2-base/composer.json",
        r#"{"name": "magento/magento2-base", "version": "2.4.5-p1"}"#,
    );
    let r = detect_release(root);
    assert_eq!(
        (r.version.as_deref(), r.edition),
        (Some("2.4.5-p1"), Edition::Community)
    );
    assert_eq!(
        r.source.as_deref(),
        Some("vendor/magento/magento2-base/composer.json")
    );
    fs::create_dir_all(root.join("vendor/magento/magento2-ee-base")).unwrap();
    assert_eq!(detect_release(root).edition, Edition::Enterprise);
    fs::create_dir_all(root.join("vendor/magento/module-company")).unwrap();
    assert_eq!(detect_release(root).edition, Edition::B2b);
}

#[test]
fn release_from_root_composer_json() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    // source install (a git clone of magento/magento2)
    write_file(
        root,
        "composer.json",
        r#"{"name": "magento/magento2ce", "version": "2.4.8-dev", "require": {"php": "~8.2"}}"#,
    );
    let r = detect_release(root);
    assert_eq!(
        (r.version.as_deref(), r.edition),
        (Some("2.4.8-dev"), Edition::Community)
    );
    assert_eq!(
        r.source.as_deref(),
        Some("composer.json (magento/magento2ce)")
    );

    write_file(
        root,
        "composer.json",
        r#"{"name": "magento/magento2ee", "version": "2.4.7"}"#,
    );
    assert_eq!(detect_release(root).edition, Edition::Enterprise);

    // project metapackage with an exact constraint
    write_file(
        root,
        "composer.json",
        r#"{"name": "magento/project-community-edition", "require": {"magento/product-community-edition": "2.4.7", "magento/composer-root-update-plugin": "^2.0.4"}}"#,
    );
    let r = detect_release(root);
    assert_eq!(
        (r.version.as_deref(), r.edition),
        (Some("2.4.7"), Edition::Community)
    );
    assert_eq!(
        r.source.as_deref(),
        Some("composer.json (requires magento/product-community-edition 2.4.7)")
    );

    // a renamed project with a range: edition known, version not
    write_file(
        root,
        "composer.json",
        r#"{"name": "acme/shop", "require": {"magento/product-enterprise-edition": "^2.4.6"}}"#,
    );
    let r = detect_release(root);
    assert_eq!((r.version, r.edition), (None, Edition::Enterprise));

    // nothing Magento
    write_file(
        root,
        "composer.json",
        r#"{"name": "acme/shop", "require": {"php": "^8.1"}}"#,
    );
    assert_eq!(detect_release(root).edition, Edition::Unknown);
}

#[test]
fn release_precedence_and_broken_files() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write_file(
        root,
        "composer.json",
        r#"{"name": "magento/project-community-edition", "require": {"magento/product-community-edition": "2.4.6"}}"#,
    );
    write_file(
        root,
        "vendor/magento/magento2-base/composer.json",
        r#"{"version": "2.4.6-p2"}"#,
    );
    write_file(
        root,
        "composer.lock",
        &lock(&[("magento/product-community-edition", "2.4.6-p3")]),
    );
    let r = detect_release(root);
    assert_eq!(r.version.as_deref(), Some("2.4.6-p3"));

    // invalid JSON in the lock: fall through to the installed base package
    write_file(
        root,
        "composer.lock",
        "{\n    \"packages\": [\n        {\"name\": \"magento/product-community-edition\", \"version\": \"2.4.6-p3\"",
    );
    let r = detect_release(root);
    assert_eq!(r.version.as_deref(), Some("2.4.6-p2"));
    assert_eq!(
        r.source.as_deref(),
        Some("vendor/magento/magento2-base/composer.json")
    );

    // everything broken: unknown, no panic
    write_file(
        root,
        "vendor/magento/magento2-base/composer.json",
        "not json",
    );
    write_file(root, "composer.json", "{");
    let r = detect_release(root);
    assert_eq!(
        (r.version, r.edition, r.source),
        (None, Edition::Unknown, None)
    );

    let empty = tempfile::tempdir().unwrap();
    assert_eq!(detect_release(empty.path()).edition, Edition::Unknown);
}

/// 300 synthetic modules (220 core + 80 third-party) plus 100 non-module packages and a ~4 MB
/// composer.lock. Times are printed, not asserted:
/// `cargo test --test it -- --nocapture modules::many_modules_timing`.
#[test]
fn many_modules_timing() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let mut listed = Vec::new();
    for i in 0..220 {
        let name = format!("Magento_Module{i:03}");
        vendor_module(root, &format!("magento/module-m{i:03}"), &name);
        listed.push(name);
    }
    for i in 0..80 {
        let name = format!("Vendor{}_Ext{i:02}", i % 10);
        vendor_module(root, &format!("vendor{}/module-ext{i:02}", i % 10), &name);
        listed.push(name);
    }
    for i in 0..100 {
        write_file(
            root,
            &format!("lib{}/package{i:02}/src/Thing.php", i % 20),
            "<?php",
        );
    }
    let mut packages: Vec<(String, String)> = (0..700)
        .map(|i| (format!("vendor{i}/package{i}"), "1.0.0".to_string()))
        .collect();
    packages.push((
        "magento/product-community-edition".into(),
        "2.4.7-p3".into(),
    ));
    let refs: Vec<(&str, &str)> = packages
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut big = lock(&refs);
    // pad every package like a real lock (descriptions, autoload, dist URLs...)
    big = big.replace(
        "\"require\":",
        &format!(
            "\"description\": \"{}\",\n            \"require\":",
            "x".repeat(5500)
        ),
    );
    write_file(root, "composer.lock", &big);
    let entries: Vec<(&str, Value)> = listed.iter().map(|n| (n.as_str(), Value::Int(1))).collect();
    let doc = config(&entries);

    let start = Instant::now();
    let set = ModuleSet::load(root, Some(&doc));
    let modules_time = start.elapsed();
    let start = Instant::now();
    let release = detect_release(root);
    let release_time = start.elapsed();

    assert_eq!(set.modules.len(), 300);
    assert_eq!(set.enabled().count(), 300);
    assert_eq!(release.version.as_deref(), Some("2.4.7-p3"));
    println!(
        "300 modules + 100 other packages: {modules_time:?}; release from a {:.1} MB composer.lock: {release_time:?} (debug build)",
        big.len() as f64 / 1e6
    );
}
