//! The ACL: the merged reference acl.xml tree, and Magento's evaluation of roles and rules
//! written into the lab database the way the admin's role editor writes them (checked on the
//! live database and on its mysqldump).

use std::path::{Path, PathBuf};
use std::time::Instant;

use m2auth::magento::acl::{ADMIN, ALL, Acl, AclTree, Inherited, Reason, UserType};
use m2auth::store::acl::{
    admin_by_username, integration_by_name, load_acl_tree, load_roles, role_for,
};
use m2auth::store::db::Database;
use m2auth::store::db::dump::DumpDb;
use m2auth::store::db::live::LiveDb;
use m2auth::store::modules::{Module, ModuleSet};

use crate::lab;

/// The reference modules with an acl.xml, in a config.php-like order.
const MODULES: &[&str] = &[
    "Backend",
    "User",
    "Customer",
    "Catalog",
    "CatalogInventory",
    "Cms",
    "Tax",
    "Sales",
    "Quote",
    "Checkout",
    "SalesRule",
    "Integration",
    "TwoFactorAuth",
];

fn modules(reference: &Path, names: &[&str]) -> ModuleSet {
    ModuleSet {
        modules: names
            .iter()
            .map(|n| Module {
                name: format!("Magento_{n}"),
                enabled: true,
                dir: Some(reference.join(n)),
                layout: None,
            })
            .collect(),
        duplicates: Vec::new(),
        config_known: true,
    }
}

fn reference_tree() -> Option<(PathBuf, AclTree)> {
    let reference = lab::reference_dir()?;
    let (tree, problems) = load_acl_tree(&modules(&reference, MODULES));
    assert!(problems.is_empty(), "{problems:?}");
    assert!(tree.fatal().is_empty(), "{:?}", tree.fatal());
    Some((reference, tree))
}

#[test]
fn reference_acl_files_merge_into_one_tree() {
    let Some((_, tree)) = reference_tree() else {
        return;
    };
    // The two roots are siblings; everything else hangs under admin.
    assert_eq!(tree.roots(), vec![ALL, ADMIN]);
    assert_eq!(tree.parent(ADMIN), None);
    assert!(tree.children(ALL).is_empty());
    assert_eq!(
        tree.get(ALL).unwrap().title.as_deref(),
        Some("Allow everything")
    );
    for id in tree.all_ids() {
        if id != ALL && id != ADMIN {
            assert_eq!(tree.ancestry(id)[0], ADMIN, "{id}");
        }
    }
    let ids: Vec<&str> = tree.all_ids().collect();
    assert_eq!(&ids[..2], &[ALL, ADMIN]);

    // The fixture's Catalog/acl.xml has the older swapped titles.
    assert_eq!(
        tree.admin_path("Magento_Catalog::products"),
        "Products > Inventory > Catalog"
    );
    assert_eq!(
        tree.admin_path("Magento_Cart::manage"),
        format!(
            "{} > {}",
            tree.get("Magento_Cart::cart")
                .unwrap()
                .title
                .as_deref()
                .unwrap(),
            tree.get("Magento_Cart::manage")
                .unwrap()
                .title
                .as_deref()
                .unwrap()
        )
    );

    // Re-opened parents keep their title; children from other modules attach under them.
    assert_eq!(
        tree.get("Magento_Backend::stores")
            .unwrap()
            .title
            .as_deref(),
        Some("Stores")
    );
    assert_eq!(
        tree.parent("Magento_Config::config"),
        Some("Magento_Backend::stores_settings")
    );
    let config_children = tree.children("Magento_Config::config");
    assert!(config_children.contains(&"Magento_Catalog::config_catalog"));
    assert!(config_children.contains(&"Magento_Cms::config_cms"));
    assert_eq!(
        tree.parent("Magento_Cms::page"),
        Some("Magento_Backend::content_elements")
    );
    assert_eq!(
        tree.admin_path("Magento_Cms::page"),
        "Content > Elements > Pages"
    );

    // Siblings in sortOrder order everywhere; Dashboard (0) first under admin.
    for id in tree.all_ids() {
        let orders: Vec<i64> = tree
            .children(id)
            .iter()
            .map(|c| tree.get(c).unwrap().sort_order)
            .collect();
        assert!(orders.windows(2).all(|w| w[0] <= w[1]), "{id}: {orders:?}");
    }
    assert_eq!(tree.children(ADMIN)[0], "Magento_Backend::dashboard");
    let admin_children = tree.children(ADMIN);
    let pos = |id: &str| admin_children.iter().position(|c| *c == id).unwrap();
    assert!(pos("Magento_Sales::sales") < pos("Magento_Catalog::catalog"));
    assert!(pos("Magento_Catalog::catalog") < pos("Magento_Backend::stores"));
}

#[test]
fn disabled_modules_and_missing_files_add_nothing() {
    let Some(reference) = lab::reference_dir() else {
        return;
    };
    let mut set = modules(&reference, &["Backend", "Cms", "Tax"]);
    set.modules[1].enabled = false;
    set.modules.push(Module {
        name: "Vendor_None".into(),
        enabled: true,
        dir: Some(reference.join("does-not-exist")),
        layout: None,
    });
    let (tree, problems) = load_acl_tree(&set);
    assert!(problems.is_empty());
    assert!(!tree.contains("Magento_Cms::page"));
    assert!(tree.contains("Magento_Tax::manage_tax"));
}

/// What `Rules::saveRel` writes for a role: the single `Magento_Backend::all` allow row for
/// "All", else one row per resource of the ACL of the moment, `Magento_Backend::admin` allowed.
fn save_rel(db: &lab::LabDb, tree: &AclTree, role_id: u64, posted: &[&str]) {
    let row = |res: &str, perm: &str| {
        db.insert(
            "authorization_rule",
            &[
                ("role_id", role_id.into()),
                ("resource_id", res.into()),
                ("privileges", "".into()),
                ("permission", perm.into()),
            ],
        );
    };
    if posted == [ALL] {
        row(ALL, "allow");
        return;
    }
    for id in tree.all_ids() {
        let allow = id == ADMIN || posted.contains(&id);
        row(id, if allow { "allow" } else { "deny" });
    }
}

fn role(
    db: &lab::LabDb,
    role_id: u64,
    parent: u64,
    level: i64,
    kind: &str,
    (user, ty): (u64, &str),
    name: &str,
) {
    db.insert(
        "authorization_role",
        &[
            ("role_id", role_id.into()),
            ("parent_id", parent.into()),
            ("tree_level", level.into()),
            ("sort_order", 0.into()),
            ("role_type", kind.into()),
            ("user_id", user.into()),
            ("user_type", ty.into()),
            ("role_name", name.into()),
        ],
    );
}

fn admin(db: &lab::LabDb, name: &str) -> u64 {
    db.insert(
        "admin_user",
        &[
            ("username", name.into()),
            ("firstname", name.into()),
            ("password", "x".into()),
        ],
    )
}

fn build(db: &dyn Database, tree: &AclTree) -> Acl {
    let (roles, rules) = load_roles(db).expect("roles");
    Acl::build(tree, &roles, &rules)
}

#[test]
fn roles_and_rules_from_the_database() {
    let Some(lab) = lab::mariadb() else { return };
    let Some((reference, tree)) = reference_tree() else {
        return;
    };
    // The store before Magento_Cms was installed.
    let without_cms: Vec<&str> = MODULES.iter().copied().filter(|m| *m != "Cms").collect();
    let (old_tree, _) = load_acl_tree(&modules(&reference, &without_cms));
    assert!(!old_tree.contains("Magento_Cms::page"));

    let db = lab.database("m2_");
    let boss = admin(&db, "boss");
    let cat = admin(&db, "cat");
    let norole = admin(&db, "norole");
    let integration = db.insert(
        "integration",
        &[
            ("name", "shop-sync".into()),
            ("email", "ops@example.test".into()),
            ("status", 1.into()),
        ],
    );
    // Ids that collide across user types must not be confused.
    assert_eq!(boss, integration);

    role(&db, 1, 0, 1, "G", (0, "2"), "Administrators");
    save_rel(&db, &tree, 1, &[ALL]);
    role(&db, 2, 0, 1, "G", (0, "2"), "Editors");
    // Saved before Magento_Cms existed, with Content > Elements and the catalog ticked.
    save_rel(
        &db,
        &old_tree,
        2,
        &[
            "Magento_Backend::content",
            "Magento_Backend::content_elements",
            "Magento_Catalog::catalog",
            "Magento_Catalog::catalog_inventory",
            "Magento_Catalog::products",
        ],
    );
    role(&db, 3, 2, 2, "U", (cat, "2"), "cat");
    role(&db, 4, 1, 2, "U", (boss, "2"), "boss");
    // The integration's own U role (role_name "1" . id), rules directly on it; also saved
    // before Magento_Cms.
    role(
        &db,
        5,
        0,
        0,
        "U",
        (integration, "1"),
        &format!("1{integration}"),
    );
    save_rel(
        &db,
        &old_tree,
        5,
        &[
            "Magento_Sales::sales",
            "Magento_Sales::sales_operation",
            "Magento_Sales::sales_order",
            "Magento_Sales::actions",
            "Magento_Sales::actions_view",
        ],
    );
    // A row for a resource whose module is gone.
    let stale = db.insert(
        "authorization_rule",
        &[
            ("role_id", 5.into()),
            ("resource_id", "Vendor_Gone::thing".into()),
            ("privileges", "".into()),
            ("permission", "allow".into()),
        ],
    );

    let rule_id = |db: &dyn Database, role: u64, res: &str| -> u64 {
        let (_, rules) = load_roles(db).unwrap();
        rules
            .iter()
            .find(|r| r.role_id == role && r.resource_id.as_deref() == Some(res))
            .unwrap()
            .rule_id
    };

    let phase1 = |db: &dyn Database, what: &str| {
        let acl = build(db, &tree);
        assert!(acl.build_error().is_none(), "{what}");
        assert_eq!(acl.skipped_rules(), [stale], "{what}");

        // WebapiRoleLocator.
        let cat_role = role_for(db, cat, UserType::Admin).unwrap().unwrap();
        assert_eq!(cat_role.role_id, 3, "{what}");
        assert_eq!(
            role_for(db, integration, UserType::Integration)
                .unwrap()
                .unwrap()
                .role_id,
            5,
            "{what}"
        );
        assert_eq!(
            role_for(db, boss, UserType::Admin)
                .unwrap()
                .unwrap()
                .role_id,
            4,
            "{what}"
        );
        assert_eq!(
            role_for(db, norole, UserType::Admin).unwrap(),
            None,
            "{what}"
        );
        assert_eq!(
            role_for(db, cat, UserType::Integration).unwrap(),
            None,
            "{what}"
        );
        assert_eq!(admin_by_username(db, "cat").unwrap(), Some(cat), "{what}");
        assert_eq!(admin_by_username(db, "nobody").unwrap(), None, "{what}");
        let i = integration_by_name(db, "shop-sync").unwrap().unwrap();
        assert_eq!(
            (i.integration_id, i.status, i.consumer_id),
            (integration, 1, None)
        );

        // No role row: denied.
        let d = acl.is_allowed(None, "Magento_Backend::admin");
        assert_eq!((d.allowed, d.reason), (false, Reason::NoRole), "{what}");

        // Admin U row under the "All" group.
        let all_rule = rule_id(db, 1, ALL);
        let d = acl.is_allowed(4, "Magento_Sales::actions_edit");
        assert!(d.allowed, "{what}");
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(1),
                reason: Box::new(Reason::AllowAll { rule_id: all_rule })
            },
            "{what}"
        );
        let d = acl.is_allowed(4, "self");
        assert!(
            d.allowed,
            "{what}: unknown resources pass for Magento_Backend::all"
        );
        assert!(matches!(d.reason, Reason::UnknownResource { .. }), "{what}");

        // Admin U row under a custom group: explicit rows of the group.
        let d = acl.is_allowed(3, "Magento_Catalog::products");
        assert!(d.allowed, "{what}");
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(2),
                reason: Box::new(Reason::ExplicitAllow {
                    rule_id: rule_id(db, 2, "Magento_Catalog::products")
                })
            },
            "{what}"
        );
        let d = acl.is_allowed(3, "Magento_Catalog::categories");
        assert!(!d.allowed, "{what}");
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(2),
                reason: Box::new(Reason::ExplicitDeny {
                    rule_id: rule_id(db, 2, "Magento_Catalog::categories")
                })
            },
            "{what}"
        );
        assert!(acl.is_allowed(3, ADMIN).allowed, "{what}");
        let d = acl.is_allowed(3, "self");
        assert_eq!(
            (d.allowed, d.reason),
            (
                false,
                Reason::UnknownResource {
                    reason: Box::new(Reason::DefaultDeny)
                }
            ),
            "{what}"
        );

        // Saved before Magento_Cms: its resources have no row anywhere → denied.
        let d = acl.is_allowed(3, "Magento_Cms::page");
        assert!(!d.allowed, "{what}");
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(2),
                reason: Box::new(Reason::MissingRuleDenied)
            },
            "{what}"
        );
        assert!(
            acl.missing_rule_resources()
                .iter()
                .any(|r| r == "Magento_Cms::page"),
            "{what}"
        );
        // The integration has deny rows too, so the pass denies the Cms resources to it as
        // well; its own sales rows decide the rest.
        assert_eq!(
            acl.is_allowed(5, "Magento_Cms::page").reason,
            Reason::MissingRuleDenied,
            "{what}"
        );
        let d = acl.is_allowed(5, "Magento_Sales::actions_view");
        assert!(d.allowed, "{what}");
        assert!(matches!(d.reason, Reason::ExplicitAllow { .. }), "{what}");
        let d = acl.is_allowed(5, "Magento_Sales::actions_edit");
        assert!(!d.allowed, "{what}");
        assert!(matches!(d.reason, Reason::ExplicitDeny { .. }), "{what}");
        assert!(
            !acl.is_allowed(5, "Magento_Catalog::products").allowed,
            "{what}"
        );
    };
    check_both(&db, "m2_", "phase1", &phase1);

    // Another role saved now: every Cms resource has a row, so the missing-rules pass no
    // longer applies to them, and the old role falls back to its Content > Elements row,
    // which Laminas copied onto the whole subtree.
    role(&db, 6, 0, 1, "G", (0, "2"), "Content");
    save_rel(&db, &tree, 6, &["Magento_Cms::page"]);
    let phase2 = |db: &dyn Database, what: &str| {
        let acl = build(db, &tree);
        assert!(
            !acl.missing_rule_resources()
                .iter()
                .any(|r| r.starts_with("Magento_Cms::")),
            "{what}"
        );
        let d = acl.is_allowed(3, "Magento_Cms::page");
        assert!(d.allowed, "{what}");
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(2),
                reason: Box::new(Reason::InheritedFrom {
                    from: Inherited::AncestorRule("Magento_Backend::content_elements".into()),
                    reason: Box::new(Reason::ExplicitAllow {
                        rule_id: rule_id(db, 2, "Magento_Backend::content_elements")
                    })
                })
            },
            "{what}"
        );
        // The integration falls back to its own Content > Elements row: a deny.
        let d = acl.is_allowed(5, "Magento_Cms::page");
        assert!(!d.allowed, "{what}");
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::AncestorRule("Magento_Backend::content_elements".into()),
                reason: Box::new(Reason::ExplicitDeny {
                    rule_id: rule_id(db, 5, "Magento_Backend::content_elements")
                })
            },
            "{what}"
        );
        assert!(acl.is_allowed(6, "Magento_Cms::page").allowed, "{what}");
        assert!(!acl.is_allowed(6, "Magento_Cms::save").allowed, "{what}");
    };
    check_both(&db, "m2_", "phase2", &phase2);
}

/// Run `check` on the live database and on its mysqldump.
fn check_both(db: &lab::LabDb, prefix: &str, phase: &str, check: &dyn Fn(&dyn Database, &str)) {
    let live = LiveDb::connect(&db.conn_params()).expect("live");
    check(&live, &format!("{phase} live"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.sql");
    db.mysqldump(&path, false);
    let dump = DumpDb::open(&path, prefix).expect("dump");
    check(&dump, &format!("{phase} dump"));
}

#[test]
fn a_role_row_without_its_group_breaks_every_check() {
    let Some(lab) = lab::mariadb() else { return };
    let Some((_, tree)) = reference_tree() else {
        return;
    };
    let db = lab.database("");
    role(&db, 1, 0, 1, "G", (0, "2"), "Administrators");
    save_rel(&db, &tree, 1, &[ALL]);
    role(&db, 2, 1, 2, "U", (1, "2"), "boss");
    role(&db, 3, 42, 2, "U", (2, "2"), "orphan");
    let live = LiveDb::connect(&db.conn_params()).expect("live");
    let acl = build(&live, &tree);
    assert!(acl.build_error().unwrap().contains("42"));
    let d = acl.is_allowed(2, "Magento_Catalog::products");
    assert!(!d.allowed);
    assert!(matches!(d.reason, Reason::AclUnavailable { .. }));
}

/// Not a test: timings for the report:
/// `cargo test --release --test it -- --ignored --nocapture acl::benchmark`
#[test]
#[ignore]
fn benchmark() {
    let Some(reference) = lab::reference_dir() else {
        return;
    };
    let set = modules(&reference, MODULES);
    let t = Instant::now();
    let mut tree = None;
    for _ in 0..20 {
        tree = Some(load_acl_tree(&set).0);
    }
    let tree = tree.unwrap();
    let per_tree = t.elapsed() / 20;

    let ids: Vec<&str> = tree.all_ids().collect();
    let mut roles = Vec::new();
    let mut rules = Vec::new();
    let mut next = 0u64;
    for r in 1..=50u64 {
        roles.push(m2auth::magento::acl::RoleRow {
            role_id: r,
            parent_id: 0,
            tree_level: 1,
            sort_order: 0,
            role_type: "G".into(),
            user_id: 0,
            user_type: Some("2".into()),
            role_name: None,
        });
        for (i, id) in ids.iter().enumerate() {
            next += 1;
            let allow = *id == ADMIN || (i as u64 * 7 + r).is_multiple_of(3);
            rules.push(m2auth::magento::acl::RuleRow {
                rule_id: next,
                role_id: r,
                resource_id: Some(id.to_string()),
                privileges: Some(String::new()),
                permission: Some(if allow { "allow" } else { "deny" }.into()),
            });
        }
    }
    let t = Instant::now();
    let acl = Acl::build(&tree, &roles, &rules);
    let build = t.elapsed();

    let t = Instant::now();
    let mut allowed = 0usize;
    for k in 0..100_000usize {
        let id = ids[k % ids.len()];
        if acl.is_allowed((k % 50) as u64 + 1, id).allowed {
            allowed += 1;
        }
    }
    let checks = t.elapsed();

    let t = Instant::now();
    let matrix: usize = ids
        .iter()
        .filter(|id| acl.is_allowed(7, id).allowed)
        .count();
    let one_role = t.elapsed();
    println!(
        "acl bench: {} resources; parse+merge {:?}/tree; build 50 roles x {} rows = {} rules in {:?}; 100000 is_allowed in {:?} ({} allowed); one role over all resources {:?} ({} allowed)",
        ids.len(),
        per_tree,
        ids.len(),
        rules.len(),
        build,
        checks,
        allowed,
        one_role,
        matrix
    );
}
