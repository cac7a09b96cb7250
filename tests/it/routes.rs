//! The REST route index: real reference webapi.xml files (self-resolution, merging), Magento's
//! matching rules on small hand-made indexes, and the loader on temporary module trees.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::lab::reference_dir;
use crate::lab::report::write_file;
use m2auth::magento::routes::{ClosestKind, Mode, Outcome, Resolution, RouteIndex, StorePart};
use m2auth::store::modules::{Module, ModuleSet};
use m2auth::store::webapi::{load_disabled_routes, load_routes};

fn module(name: &str, dir: &Path, enabled: bool) -> Module {
    Module {
        name: name.to_string(),
        enabled,
        dir: Some(dir.to_path_buf()),
        layout: None,
    }
}

fn set(modules: Vec<Module>) -> ModuleSet {
    ModuleSet {
        modules,
        duplicates: Vec::new(),
        config_known: true,
    }
}

/// Every reference `<Dir>/etc/webapi.xml` as module `Magento_<Dir>`, enabled, in name order
/// (Integration before TwoFactorAuth, as in a real config.php).
fn reference_modules(dir: &Path) -> ModuleSet {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("etc/webapi.xml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    set(names
        .iter()
        .map(|n| module(&format!("Magento_{n}"), &dir.join(n), true))
        .collect())
}

fn codes() -> Vec<String> {
    vec!["admin".into(), "default".into(), "fr".into()]
}

fn matched(r: &Resolution) -> (usize, Vec<(String, String)>) {
    match &r.outcome {
        Outcome::Matched { route, params } => (*route, params.clone()),
        other => panic!("not matched: {r:?} {other:?}"),
    }
}

/// Index from inline files: `(module, xml)` in load order.
fn index(files: &[(&str, &str)]) -> RouteIndex {
    let mut idx = RouteIndex::new();
    for (m, xml) in files {
        let problems = idx
            .add_file(m, Path::new(&format!("{m}/etc/webapi.xml")), xml)
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }
    idx
}

fn routes_xml(routes: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<routes>\n");
    for (url, method, res) in routes {
        s.push_str(&format!(
            "  <route url=\"{url}\" method=\"{method}\">\n    <service class=\"S\" method=\"m\"/>\n    <resources><resource ref=\"{res}\"/></resources>\n  </route>\n"
        ));
    }
    s.push_str("</routes>\n");
    s
}

// ---------------------------------------------------------------------------------------------
// Reference files

#[test]
fn reference_self_resolution() {
    let Some(dir) = reference_dir() else { return };
    let (idx, problems) = load_routes(&reference_modules(&dir));
    assert!(problems.is_empty(), "{problems:?}");
    assert!(idx.len() > 300, "{} routes", idx.len());
    let routes = idx.routes();

    let mut shadowed = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        let mut n = 0;
        let sample: Vec<String> = r
            .url
            .trim_matches('/')
            .split('/')
            .map(|s| {
                if s.starts_with(':') {
                    n += 1;
                    format!("abc{n}")
                } else {
                    s.to_string()
                }
            })
            .collect();
        let sample = format!("/{}", sample.join("/"));
        for prefix in ["/rest", "/rest/default", "/rest/all"] {
            let res = idx.resolve(&r.method, &format!("{prefix}{sample}"), &codes());
            assert_eq!(res.route_path, sample);
            assert_eq!(res.mode, Mode::Sync);
            let (j, params) = matched(&res);
            assert_eq!(params.len(), n, "{}", r.url);
            if j == i {
                continue;
            }
            let o = &routes[j];
            assert!(o.method.eq_ignore_ascii_case(&r.method));
            // Explained by the exact-match shortcut, or by the last-match rule (the winner sorts
            // after the route in byte order of the url).
            let why = if o.url == sample && o.method == r.method {
                "exact match"
            } else if o.url.as_bytes() > r.url.as_bytes() {
                "last match"
            } else {
                panic!(
                    "{} {} resolved to {} {}: unexplained",
                    r.method, r.url, o.method, o.url
                );
            };
            if prefix == "/rest" {
                shadowed.push(format!("{} {} -> {} ({why})", r.method, r.url, o.url));
            }
        }

        // Async and bulk reuse the route (not for GET).
        if r.method != "GET" {
            let res = idx.resolve(&r.method, &format!("/rest/all/async{sample}"), &codes());
            assert_eq!(res.mode, Mode::Async);
            let (j, _) = matched(&res);
            assert!(j == i || shadowed.iter().any(|s| s.contains(&r.url)));
            let bulk = r.bulk_url();
            let res = idx.resolve(
                &r.method,
                &format!("/rest/default/async/bulk{bulk}"),
                &codes(),
            );
            assert_eq!(
                (res.mode, res.route_path.as_str()),
                (Mode::Bulk, bulk.trim_end_matches('/'))
            );
            let (j, params) = matched(&res);
            if j != i {
                assert_eq!(
                    routes[j].bulk_url().trim_matches('/'),
                    bulk.trim_matches('/')
                );
                shadowed.push(format!("bulk {} {} -> {}", r.method, r.url, routes[j].url));
            }
            assert!(params.is_empty());
        }
    }
    eprintln!("shadowed routes ({}):", shadowed.len());
    for s in &shadowed {
        eprintln!("  {s}");
    }
    assert!(shadowed.len() <= 8, "{shadowed:#?}");
    // The documented one: POST /V1/customers/ loses to the exact POST /V1/customers.
    assert!(
        shadowed
            .iter()
            .any(|s| s.starts_with("POST /V1/customers/ -> /V1/customers "))
    );
}

#[test]
fn reference_two_factor_auth_overrides_admin_token() {
    let Some(dir) = reference_dir() else { return };
    let (idx, _) = load_routes(&reference_modules(&dir));
    let r = idx.find("/V1/integration/admin/token", "POST").unwrap();
    assert_eq!(
        r.service_class,
        "Magento\\TwoFactorAuth\\Api\\AdminTokenServiceInterface"
    );
    assert_eq!(r.service_method, "createAdminAccessToken");
    assert_eq!(r.modules, ["Magento_Integration", "Magento_TwoFactorAuth"]);
    assert_eq!(r.module(), "Magento_TwoFactorAuth");
    assert_eq!(r.resources, ["anonymous"]);
    assert!(r.is_anonymous() && !r.is_self());
    assert_eq!(r.sources.len(), 2);
    assert!(r.sources[0].0.ends_with("Integration/etc/webapi.xml"));
    assert_eq!(r.sources[0].1, 10);
    assert!(r.sources[1].0.ends_with("TwoFactorAuth/etc/webapi.xml"));
    assert_eq!(r.sources[1].1, 11);

    // Self routes carry their forced parameters.
    let me = idx.find("/V1/customers/me", "PUT").unwrap();
    assert!(me.is_self());
    assert!(
        me.parameters
            .iter()
            .any(|p| p.force && p.value.as_deref() == Some("%customer_id%"))
    );
}

#[test]
fn reference_examples() {
    let Some(dir) = reference_dir() else { return };
    let (idx, _) = load_routes(&reference_modules(&dir));
    let c = codes();
    let url = |r: &Resolution| idx.routes()[matched(r).0].url.clone();

    // Literal sibling beats :sku (exact match), and by last-match with a deeper path.
    let r = idx.resolve("GET", "/rest/V1/products/attributes", &c);
    assert_eq!(url(&r), "/V1/products/attributes");
    let r = idx.resolve("GET", "/rest/V1/products/abc", &c);
    assert_eq!(url(&r), "/V1/products/:sku");
    assert_eq!(matched(&r).1, [("sku".to_string(), "abc".to_string())]);
    let r = idx.resolve("GET", "/rest/V1/products/attributes/color", &c);
    assert_eq!(url(&r), "/V1/products/attributes/:attributeCode");

    // Trailing slash declared in the file, and sent by the client.
    let r = idx.resolve("GET", "/rest/V1/stockItems/lowStock/", &c);
    assert_eq!(url(&r), "/V1/stockItems/lowStock/");

    // Wrong method: 404 with the other method offered first.
    let r = idx.resolve("POST", "/rest/V1/products/abc", &c);
    let Outcome::NotFound { closest } = &r.outcome else {
        panic!("{r:?}")
    };
    assert!(closest.len() <= 5);
    assert_eq!(closest[0].kind, ClosestKind::OtherMethod);
    eprintln!("{closest:?}");

    // Typo.
    let r = idx.resolve("GET", "/rest/V1/product/abc", &c);
    let Outcome::NotFound { closest } = &r.outcome else {
        panic!("{r:?}")
    };
    let first = &idx.routes()[closest[0].route];
    assert_eq!(
        (first.url.as_str(), first.method.as_str()),
        ("/V1/products/:sku", "GET")
    );
    assert_eq!(closest[0].kind, ClosestKind::Typo);
    assert!(
        closest[0].reason.contains("`product` → `products`"),
        "{}",
        closest[0].reason
    );

    // The reference files declare no secure route.
    assert!(idx.routes().iter().all(|r| !r.secure));

    // Bulk: PUT /async/bulk/V1/products/bySku.
    let r = idx.resolve("PUT", "/rest/all/async/bulk/V1/products/bySku", &c);
    assert_eq!(r.mode, Mode::Bulk);
    assert_eq!(r.store, StorePart::All);
    assert_eq!(url(&r), "/V1/products/:sku");
}

// ---------------------------------------------------------------------------------------------
// Matching rules

#[test]
fn merge_replaces_service_and_unites_resources() {
    let a = r#"<routes>
  <route url=" /V1/x " method="POST" secure="true">
    <service class="A\Service" method="run"/>
    <resources><resource ref="A::one"/><resource ref="A::two"/></resources>
    <data><parameter name="p" force="true">%customer_id%</parameter><parameter name="q">1</parameter></data>
  </route>
</routes>"#;
    let b = r#"<routes>

  <route url="/V1/x" method="POST">
    <service class="B\Service" method="run2"/>
    <resources><resource ref="A::two"/><resource ref="B::three"/></resources>
    <data><parameter name="q">null</parameter><parameter name="r"/></data>
  </route>
</routes>"#;
    let idx = index(&[("A_Mod", a), ("B_Mod", b)]);
    assert_eq!(idx.len(), 1);
    let r = idx.find("/V1/x", "POST").unwrap();
    assert_eq!(
        (r.service_class.as_str(), r.service_method.as_str()),
        ("B\\Service", "run2")
    );
    assert_eq!(r.resources, ["A::one", "A::two", "B::three"]);
    assert!(
        r.secure,
        "an absent secure attribute keeps the earlier value"
    );
    assert_eq!(r.modules, ["A_Mod", "B_Mod"]);
    assert_eq!(r.module(), "B_Mod");
    assert_eq!(
        r.sources,
        [
            (PathBuf::from("A_Mod/etc/webapi.xml"), 2),
            (PathBuf::from("B_Mod/etc/webapi.xml"), 3)
        ]
    );
    let p: Vec<_> = r
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.force, p.value.as_deref()))
        .collect();
    assert_eq!(
        p,
        [
            ("p", true, Some("%customer_id%")),
            ("q", false, None),
            ("r", false, Some(""))
        ]
    );
    assert_eq!(
        r.acl_resources().collect::<Vec<_>>(),
        ["A::one", "A::two", "B::three"]
    );
}

#[test]
fn literal_digit_segment_loses_to_param() {
    let idx = index(&[(
        "M",
        &routes_xml(&[
            ("/V1/things/:id/items/:item", "GET", "r1"),
            ("/V1/things/2020/items/:item", "GET", "r2"),
            ("/V1/things/latest/items/:item", "GET", "r3"),
        ]),
    )]);
    let c = codes();
    let url = |p: &str| {
        idx.routes()[matched(&idx.resolve("GET", p, &c)).0]
            .url
            .clone()
    };
    // No exact key, so the last matching candidate in byte order wins: `2` (0x32) sorts before
    // `:` (0x3A), so the :id route comes later and wins.
    assert_eq!(
        url("/rest/V1/things/2020/items/5"),
        "/V1/things/:id/items/:item"
    );
    // `l` sorts after `:`: the literal wins.
    assert_eq!(
        url("/rest/V1/things/latest/items/5"),
        "/V1/things/latest/items/:item"
    );
    assert_eq!(
        url("/rest/V1/things/other/items/5"),
        "/V1/things/:id/items/:item"
    );
    // The exact-url shortcut comes first: a fully literal route always wins its own url.
    let idx2 = index(&[(
        "M",
        &routes_xml(&[("/V1/x/:id", "GET", "a"), ("/V1/x/2020", "GET", "b")]),
    )]);
    let r = idx2.resolve("GET", "/rest/V1/x/2020", &c);
    assert_eq!(idx2.routes()[matched(&r).0].url, "/V1/x/2020");
    // PHP `!=` compares numeric strings as numbers: `2020.0` still equals the literal `2020`.
    let idx3 = index(&[("M", &routes_xml(&[("/V1/y/2020/:id", "GET", "a")]))]);
    assert!(
        idx3.resolve("GET", "/rest/V1/y/2020.0/1", &c)
            .route()
            .is_some()
    );
    assert!(
        idx3.resolve("GET", "/rest/V1/y/2021/1", &c)
            .route()
            .is_none()
    );
}

#[test]
fn store_codes_and_prefixes() {
    let idx = index(&[(
        "M",
        &routes_xml(&[("/V1/products/:sku", "GET", "Magento_Catalog::products")]),
    )]);
    let c = codes();
    for (path, store) in [
        ("/rest/V1/products/a", StorePart::Default),
        (
            "/rest/default/V1/products/a",
            StorePart::Code("default".into()),
        ),
        ("/rest/fr/V1/products/a", StorePart::Code("fr".into())),
        ("/rest/all/V1/products/a", StorePart::All),
        ("/index.php/rest/V1/products/a", StorePart::Default),
        ("/index.php/rest/all/V1/products/a?x=1", StorePart::All),
        ("/rest/V1/products/a/", StorePart::Default),
        ("//rest//V1/products/a", StorePart::Default),
    ] {
        let r = idx.resolve("GET", path, &c);
        assert_eq!(r.store, store, "{path}");
        assert_eq!(r.route_path, "/V1/products/a", "{path}");
        matched(&r);
    }
    // Case-sensitive store codes; unknown code → not found, flagged.
    for (path, code) in [
        ("/rest/Default/V1/products/a", "Default"),
        ("/rest/unknowncode/V1/products/a", "unknowncode"),
        ("/rest/admin/V1/products/a", "admin"),
    ] {
        let r = idx.resolve("GET", path, &c);
        assert_eq!(r.store, StorePart::Unknown(code.into()), "{path}");
        assert_eq!(r.route_path, format!("/{code}/V1/products/a"));
        let Outcome::NotFound { closest } = &r.outcome else {
            panic!("{r:?}")
        };
        assert_eq!(closest[0].kind, ClosestKind::StoreCode);
    }
    // Not found without a store-code explanation.
    let r = idx.resolve("GET", "/rest/unknowncode/V1/orders", &c);
    assert_eq!(r.store, StorePart::Default);
    // urldecoded params (`+` too, like PHP urldecode)
    let r = idx.resolve("GET", "/rest/V1/products/a%2Fb", &c);
    assert_eq!(matched(&r).1, [("sku".to_string(), "a/b".to_string())]);
    let r = idx.resolve("GET", "/rest/V1/products/a+b%20c%zz", &c);
    assert_eq!(matched(&r).1[0].1, "a b c%zz");
    // A raw `/` splits segments: no match.
    assert!(
        idx.resolve("GET", "/rest/V1/products/a/b", &c)
            .route()
            .is_none()
    );
}

#[test]
fn methods_are_matched_like_magento() {
    let idx = index(&[(
        "M",
        &routes_xml(&[
            ("/V1/orders/:id", "GET", "Magento_Sales::actions_view"),
            ("/V1/orders/:id/cancel", "POST", "Magento_Sales::cancel"),
            ("/V1/orders", "GET", "Magento_Sales::actions_view"),
        ]),
    )]);
    let c = codes();
    // Candidates compare methods ignoring case; the exact shortcut does not (but falls back).
    assert!(
        idx.resolve("get", "/rest/V1/orders/5", &c)
            .route()
            .is_some()
    );
    assert!(idx.resolve("get", "/rest/V1/orders", &c).route().is_some());
    let r = idx.resolve("POST", "/rest/V1/orders/5", &c);
    let Outcome::NotFound { closest } = &r.outcome else {
        panic!()
    };
    assert_eq!(closest[0].kind, ClosestKind::OtherMethod);
    assert_eq!(closest[0].reason, "exists for GET, not POST");
    assert_eq!(idx.routes()[closest[0].route].url, "/V1/orders/:id");
    // Segment count near miss.
    let r = idx.resolve("GET", "/rest/V1/orders/5/items", &c);
    let Outcome::NotFound { closest } = &r.outcome else {
        panic!()
    };
    assert!(
        closest.iter().any(|x| x.kind == ClosestKind::SegmentCount),
        "{closest:?}"
    );
    // Too short for the base-url prefix: nothing.
    assert!(idx.resolve("GET", "/rest/V1", &c).route().is_none());
}

#[test]
fn param_in_prefix_is_never_matched() {
    let idx = index(&[("M", &routes_xml(&[("/V1/:store/config", "GET", "x")]))]);
    let r = idx.resolve("GET", "/rest/V1/abc/config", &codes());
    let Outcome::NotFound { closest } = &r.outcome else {
        panic!("{r:?}")
    };
    assert_eq!(closest[0].kind, ClosestKind::PrefixSkipped);
    // The literal url is an exact key, though.
    assert!(
        idx.resolve("GET", "/rest/V1/:store/config", &codes())
            .route()
            .is_some()
    );
}

#[test]
fn async_and_bulk() {
    let idx = index(&[(
        "M",
        &routes_xml(&[
            ("/V1/products/:sku", "PUT", "Magento_Catalog::products"),
            ("/V1/products/:sku", "GET", "Magento_Catalog::products"),
            ("/V1/carts/:cartId/items", "POST", "Magento_Cart::manage"),
            ("/V1/products", "POST", "Magento_Catalog::products"),
        ]),
    )]);
    let c = codes();
    let r = idx.resolve("PUT", "/rest/default/async/V1/products/abc", &c);
    assert_eq!(
        (r.mode, r.route_path.as_str()),
        (Mode::Async, "/V1/products/abc")
    );
    assert_eq!(matched(&r).1[0].1, "abc");
    let r = idx.resolve("PUT", "/rest/all/async/bulk/V1/products/bySku", &c);
    assert_eq!(
        (r.mode, r.route_path.as_str()),
        (Mode::Bulk, "/V1/products/bySku")
    );
    assert_eq!(idx.routes()[matched(&r).0].method, "PUT");
    let r = idx.resolve("POST", "/rest/async/bulk/V1/carts/byCartId/items", &c);
    assert_eq!(idx.routes()[matched(&r).0].url, "/V1/carts/:cartId/items");
    let r = idx.resolve("POST", "/rest/async/bulk/V1/products", &c);
    assert_eq!(idx.routes()[matched(&r).0].url, "/V1/products");
    // Bulk needs the by<Param> form.
    let r = idx.resolve("PUT", "/rest/all/async/bulk/V1/products/abc", &c);
    assert_eq!(r.route(), None);
    // GET is never asynchronous.
    let r = idx.resolve("GET", "/rest/async/V1/products/abc", &c);
    assert_eq!(
        (r.mode, r.route_path.as_str()),
        (Mode::Sync, "/async/V1/products/abc")
    );
    let Outcome::NotFound { closest } = &r.outcome else {
        panic!()
    };
    assert_eq!(closest[0].kind, ClosestKind::AsyncGet);
}

#[test]
fn secure_and_php_bool() {
    let xml = r#"<routes>
<route url="/V1/a" method="GET" secure="true"><service class="S" method="m"/><resources><resource ref="self"/></resources></route>
<route url="/V1/b" method="GET" secure="0"><service class="S" method="m"/><resources><resource ref="anonymous"/><resource ref="X::y"/></resources></route>
<route url="/V1/c" method="GET" secure="false"><service class="S" method="m"/><resources><resource ref="anonymous"/></resources></route>
</routes>"#;
    let idx = index(&[("M", xml)]);
    let a = idx.find("/V1/a", "GET").unwrap();
    assert!(a.secure && a.is_self() && !a.is_anonymous());
    let b = idx.find("/V1/b", "GET").unwrap();
    assert!(!b.secure && !b.is_anonymous() && !b.is_self());
    // PHP (bool)"false" is true.
    assert!(idx.find("/V1/c", "GET").unwrap().secure);
}

// ---------------------------------------------------------------------------------------------
// Loader

#[test]
fn loader_enabled_order_disabled_and_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let xml = |class: &str, res: &str| {
        format!(
            "<routes>\n<route url=\"/V1/thing\" method=\"GET\"><service class=\"{class}\" method=\"get\"/><resources><resource ref=\"{res}\"/></resources></route>\n</routes>\n"
        )
    };
    write_file(root, "A/etc/webapi.xml", &xml("A\\S", "A::r"));
    write_file(root, "B/etc/webapi.xml", &xml("B\\S", "B::r"));
    write_file(
        root,
        "Off/etc/webapi.xml",
        "<routes><route url=\"/V1/off/:id\" method=\"DELETE\"><service class=\"O\" method=\"d\"/><resources><resource ref=\"O::r\"/></resources></route></routes>",
    );
    write_file(
        root,
        "Broken/etc/webapi.xml",
        "<routes>\n  <route url=\"/V1/x\" method=\"GET\">\n</routes>\n",
    );
    write_file(
        root,
        "Partial/etc/webapi.xml",
        "<routes>\n<route method=\"GET\"/>\n</routes>",
    );
    fs::create_dir_all(root.join("NoFile/etc")).unwrap();

    let mods = |order: &[&str]| {
        let mut v: Vec<Module> = order
            .iter()
            .map(|n| module(&format!("V_{n}"), &root.join(n), true))
            .collect();
        v.push(module("V_Off", &root.join("Off"), false));
        v.push(Module {
            name: "V_Nowhere".into(),
            enabled: true,
            dir: None,
            layout: None,
        });
        set(v)
    };

    let (idx, problems) = load_routes(&mods(&["A", "B", "Broken", "Partial", "NoFile"]));
    let r = idx.find("/V1/thing", "GET").unwrap();
    assert_eq!((r.service_class.as_str(), r.module()), ("B\\S", "V_B"));
    assert_eq!(r.resources, ["A::r", "B::r"]);
    assert!(
        idx.find("/V1/off/:id", "DELETE").is_none(),
        "disabled module loaded"
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].module, "V_Broken");
    assert!(problems[0].path.ends_with("Broken/etc/webapi.xml"));
    assert_eq!(problems[0].line, Some(3));
    assert_eq!(
        (problems[1].module.as_str(), problems[1].line),
        ("V_Partial", Some(2))
    );

    // config.php order decides the merge.
    let (idx, _) = load_routes(&mods(&["B", "A"]));
    let r = idx.find("/V1/thing", "GET").unwrap();
    assert_eq!((r.service_class.as_str(), r.module()), ("A\\S", "V_A"));
    assert_eq!(r.resources, ["B::r", "A::r"]);

    // Disabled modules, separately: a request that 404s can be attributed.
    let (off, problems) = load_disabled_routes(&mods(&["A"]));
    assert!(problems.is_empty());
    assert_eq!(off.len(), 1);
    let res = off.resolve("DELETE", "/rest/V1/off/7", &codes());
    assert_eq!(off.routes()[matched(&res).0].module(), "V_Off");
}

// ---------------------------------------------------------------------------------------------
// Benchmark (reported, not asserted):
// `cargo test --release --test it -- --ignored --nocapture routes::bench_reference_index_and_resolve`

#[test]
#[ignore]
fn bench_reference_index_and_resolve() {
    let Some(dir) = reference_dir() else { return };
    let modules = reference_modules(&dir);
    let runs = 20;
    let t = Instant::now();
    let mut idx = RouteIndex::new();
    for _ in 0..runs {
        idx = load_routes(&modules).0;
        idx.resolve("GET", "/rest/V1/products/x", &[]);
    }
    let load = t.elapsed() / runs;
    let c = codes();
    let paths: Vec<(String, String)> = idx
        .routes()
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                format!("/rest/default{}", r.url.replace(":", "x")),
            )
        })
        .chain([("GET".to_string(), "/rest/V1/product/abc".to_string())])
        .collect();
    let t = Instant::now();
    let mut found = 0;
    for k in 0..10_000 {
        let (m, p) = &paths[k % paths.len()];
        found += usize::from(idx.resolve(m, p, &c).route().is_some());
    }
    let resolve = t.elapsed();
    eprintln!(
        "routes: {} from {} files; load+index {:?} per run; 10,000 resolves {:?} ({found} matched)",
        idx.len(),
        modules.modules.len(),
        load,
        resolve
    );
}
