//! The admin ACL: the resource tree of the merged `etc/acl.xml` files and Magento's exact
//! evaluation of a role's permissions from the `authorization_role` / `authorization_rule` rows.
//!
//! Pure: callers hand in file texts and table rows (`store::acl` reads them).
//!
//! # What is reproduced (Magento 2.4, read in the source)
//!
//! * **Tree.** `Acl\AclResource\Config\Reader\Filesystem` merges every enabled module's
//!   `etc/acl.xml` in module order with the id attribute `/config/acl/resources(/resource)+ => id`:
//!   a `<resource>` is the same node as an earlier one only under the *same parent path*;
//!   its attributes override the earlier ones (a re-opened id without `title` keeps the earlier
//!   title) and new children are appended. `Converter\Dom` reads `id`, `title`,
//!   `sortOrder` (PHP `(int)`, default 0) and `disabled` (`== 'true'`); `TreeBuilder` drops
//!   disabled nodes with their subtrees and sorts siblings by `sortOrder` (`usort`, stable on
//!   PHP 8). `Loader\ResourceLoader` adds them depth-first to Laminas ACL, so
//!   [`AclTree::all_ids`] is also the order of `Acl::getResources()`, the order in which
//!   `Rules::saveRel` writes a role's rows. An id declared under two different parents makes
//!   Laminas throw (`Resource id '…' already exists in the ACL`).
//! * **Roles** (`Authorization\Model\Acl\Loader\Role`): every `authorization_role` row ordered
//!   by `tree_level` (ties: `role_id`, the clustered-index order); parent = `parent_id` when
//!   positive; `G` rows and `U` rows are added (ACL role id = `role_id`), any other `role_type` is
//!   ignored. A parent not added yet makes Laminas throw.
//! * **Rules** (`Authorization\Model\Acl\Loader\Rule`, 2.4 version): every `authorization_rule`
//!   row in `rule_id` order (a `SELECT` without `ORDER BY` on InnoDB); rows whose `resource_id`
//!   is not a declared resource are skipped; `allow` on `Magento_Backend::all` first does
//!   `allow(role, null)`, then every `allow` row does `allow(role, resource)`; `deny` rows do
//!   `deny(role, resource)` and mark the role as a "denied role". Non-empty `privileges`
//!   (PHP `!empty`, so `''` and `'0'` mean none) are split on `,` and become per-privilege rules.
//!   Then `applyDenyPermissionsForMissingRules`: if at least one declared resource was seen in
//!   the rows, at least one role has a deny row, and the seen resources are not exactly
//!   `{Magento_Backend::all}`, every declared resource that appears in **no** row (of any role)
//!   is denied for every denied role.
//! * **Laminas `setRule`** applies a rule to the resource **and all its descendants** (and
//!   `allow(role, null)` to the global rule and every resource); a later rule for the same role
//!   and resource overwrites the earlier one. So a row for a parent resource also decides its
//!   children until a row for the child (later in `rule_id` order) overrides it.
//! * **Laminas `isAllowed(role, resource)`** (privilege `null`): for the resource, then each
//!   parent resource, then the global pseudo-resource: depth-first over the role and its parent
//!   roles (most recently added parent first); at each role a per-privilege deny denies, else the
//!   all-privileges rule decides. Nothing found: the default deny.
//! * **`Authorization\Policy\Acl`**: if `isAllowed` throws because the resource is not declared,
//!   the answer is `isAllowed(role, null)` (only roles with the global allow pass). An unknown
//!   role or a null role (no `authorization_role` row, from `WebapiRoleLocator`) is denied.
//! * **`Acl\Builder`**: any exception while loading resources, roles or rules (see above) makes
//!   every check of the request fail (`Policy\Acl` catches the `LogicException` and answers
//!   false; later checks in the same request would see a half-built ACL, but the first check of
//!   a Web API request already fails). [`Acl::build_error`] says why.
//!
//! Layout: [`tree`] (acl.xml parsing, merging, the resource tree), [`eval`] (role and rule rows,
//! evaluation); both re-exported here, so `crate::magento::acl::X` paths stay as they were.

pub mod eval;
pub mod tree;

pub use eval::{Acl, Decision, Inherited, Reason, RoleRow, RuleRow, UserType, allowed_resources};
pub use tree::{AclTree, AclTreeBuilder, AclXml, Resource, XmlProblem, XmlResource, parse_acl_xml};

/// The ACL root resource (`Magento\Framework\Acl\RootResource`), "Allow everything".
pub const ALL: &str = "Magento_Backend::all";
/// `\Magento\Backend\App\AbstractAction::ADMIN_RESOURCE`, always allowed by `saveRel` in
/// "Custom" mode; the admin role editor shows its children, not the node itself.
pub const ADMIN: &str = "Magento_Backend::admin";

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"<config><acl><resources>
        <resource id="Magento_Backend::all" title="Allow everything" sortOrder="10"/>
        <resource id="Magento_Backend::admin" title="Magento Admin" sortOrder="20">
            <resource id="Magento_Backend::stores" title="Stores" sortOrder="80">
                <resource id="Magento_Backend::stores_settings" title="Settings" sortOrder="10"/>
            </resource>
            <resource id="Magento_Backend::dashboard" title="Dashboard" sortOrder="0"/>
        </resource>
    </resources></acl></config>"#;

    const CATALOG: &str = r#"<config><acl><resources>
        <resource id="Magento_Backend::admin">
            <resource id="Magento_Catalog::catalog" title="Catalog" sortOrder="30">
                <resource id="Magento_Catalog::catalog_inventory" title="Inventory" sortOrder="10">
                    <resource id="Magento_Catalog::products" title="Products" sortOrder="10"/>
                    <resource id="Magento_Catalog::categories" title="Categories" sortOrder="20"/>
                </resource>
            </resource>
            <resource id="Magento_Backend::stores">
                <resource id="Magento_Backend::stores_settings">
                    <resource id="Magento_Config::config"/>
                </resource>
            </resource>
        </resource>
    </resources></acl></config>"#;

    /// A module installed later: a new top section and a new child of an existing node.
    const LATER: &str = r#"<config><acl><resources>
        <resource id="Magento_Backend::admin">
            <resource id="Vendor_X::top" title="Vendor X" sortOrder="95">
                <resource id="Vendor_X::child" title="Child"/>
            </resource>
            <resource id="Magento_Catalog::catalog">
                <resource id="Vendor_X::catalog_extra" title="Extra" sortOrder="90"/>
            </resource>
        </resource>
    </resources></acl></config>"#;

    fn tree(texts: &[&str]) -> AclTree {
        AclTree::from_texts(
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| (["a", "b", "c", "d"][i], *t)),
        )
    }

    #[test]
    fn merge_reopens_by_id_and_sorts_by_sort_order() {
        let t = tree(&[BASE, CATALOG]);
        assert!(t.fatal().is_empty(), "{:?}", t.fatal());
        assert_eq!(t.roots(), vec![ALL, ADMIN]);
        assert_eq!(
            t.children(ADMIN),
            vec![
                "Magento_Backend::dashboard",
                "Magento_Catalog::catalog",
                "Magento_Backend::stores"
            ]
        );
        assert_eq!(
            t.get("Magento_Backend::stores").unwrap().title.as_deref(),
            Some("Stores")
        );
        assert_eq!(
            t.parent("Magento_Config::config"),
            Some("Magento_Backend::stores_settings")
        );
        assert_eq!(t.get("Magento_Config::config").unwrap().title, None);
        assert_eq!(
            t.admin_path("Magento_Catalog::products"),
            "Catalog > Inventory > Products"
        );
        assert_eq!(
            t.admin_path("Magento_Config::config"),
            "Stores > Settings > Magento_Config::config"
        );
        assert_eq!(t.admin_path(ALL), "Allow everything");
        assert_eq!(t.admin_path(ADMIN), "");
        let ids: Vec<&str> = t.all_ids().collect();
        assert_eq!(ids[0], ALL);
        assert_eq!(ids[1], ADMIN);
        assert_eq!(ids[2], "Magento_Backend::dashboard");
        assert_eq!(ids.len(), 10);
    }

    #[test]
    fn later_attributes_override_and_disabled_drops_the_subtree() {
        let over = r#"<config><acl><resources><resource id="Magento_Backend::admin">
            <resource id="Magento_Backend::stores" title="Shops" sortOrder="1"/>
            <resource id="Magento_Backend::dashboard" disabled="true"/>
        </resource></resources></acl></config>"#;
        let t = tree(&[BASE, over]);
        assert_eq!(
            t.get("Magento_Backend::stores").unwrap().title.as_deref(),
            Some("Shops")
        );
        assert_eq!(t.children(ADMIN), vec!["Magento_Backend::stores"]);
        assert!(!t.contains("Magento_Backend::dashboard"));
    }

    #[test]
    fn an_id_under_two_parents_breaks_the_acl() {
        let dup = r#"<config><acl><resources><resource id="Magento_Backend::admin">
            <resource id="Magento_Backend::dashboard_x" title="X">
                <resource id="Magento_Backend::stores_settings" title="Again"/>
            </resource>
        </resource></resources></acl></config>"#;
        let t = tree(&[BASE, dup]);
        assert_eq!(t.fatal().len(), 1, "{:?}", t.fatal());
        let acl = Acl::build(&t, &[role(1, 0, "G")], &[]);
        assert!(matches!(
            acl.is_allowed(1, "Magento_Backend::dashboard").reason,
            Reason::AclUnavailable { .. }
        ));
    }

    #[test]
    fn broken_xml_is_fatal_and_missing_id_is_a_problem() {
        let mut b = AclTreeBuilder::new();
        assert!(b.add_text("<config><acl>", "x.xml").is_err());
        let f = b
            .add_text(
                "<config><acl><resources>\n<resource title=\"no id\"/></resources></acl></config>",
                "y.xml",
            )
            .unwrap();
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].line, 2);
        let t = b.build();
        assert_eq!(t.fatal().len(), 1);
        assert!(t.fatal()[0].starts_with("x.xml:"));
    }

    #[test]
    fn php_int_casts_like_php() {
        assert_eq!(crate::magento::php::intval("10"), 10);
        assert_eq!(crate::magento::php::intval(" 7abc"), 7);
        assert_eq!(crate::magento::php::intval("-3"), -3);
        assert_eq!(crate::magento::php::intval("abc"), 0);
        assert_eq!(crate::magento::php::intval(""), 0);
    }

    fn role(id: u64, parent: u64, kind: &str) -> RoleRow {
        RoleRow {
            role_id: id,
            parent_id: parent,
            tree_level: if parent > 0 { 2 } else { 1 },
            sort_order: 0,
            role_type: kind.into(),
            user_id: 0,
            user_type: Some("2".into()),
            role_name: None,
        }
    }

    /// `Rules::saveRel` for a role: "All" or one row per resource of `tree`.
    fn save_rel(tree: &AclTree, role_id: u64, posted: &[&str], next: &mut u64) -> Vec<RuleRow> {
        let mut row = |res: &str, perm: &str| {
            *next += 1;
            RuleRow {
                rule_id: *next,
                role_id,
                resource_id: Some(res.into()),
                privileges: Some(String::new()),
                permission: Some(perm.into()),
            }
        };
        if posted == [ALL] {
            return vec![row(ALL, "allow")];
        }
        tree.all_ids()
            .map(|id| {
                let allow = id == ADMIN || posted.contains(&id);
                row(id, if allow { "allow" } else { "deny" })
            })
            .collect()
    }

    #[test]
    fn user_inherits_group_and_explicit_rows_decide() {
        let t = tree(&[BASE, CATALOG]);
        let mut next = 0;
        let rules = save_rel(
            &t,
            1,
            &["Magento_Catalog::catalog", "Magento_Catalog::products"],
            &mut next,
        );
        let acl = Acl::build(&t, &[role(1, 0, "G"), role(2, 1, "U")], &rules);
        assert!(acl.build_error().is_none());
        let d = acl.is_allowed(2, "Magento_Catalog::products");
        assert!(d.allowed);
        let products_rule = rules
            .iter()
            .find(|r| r.resource_id.as_deref() == Some("Magento_Catalog::products"))
            .unwrap()
            .rule_id;
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(1),
                reason: Box::new(Reason::ExplicitAllow {
                    rule_id: products_rule
                })
            }
        );
        let d = acl.is_allowed(1, "Magento_Catalog::categories");
        assert!(!d.allowed);
        assert!(matches!(d.reason, Reason::ExplicitDeny { .. }));
        assert!(acl.is_allowed(2, ADMIN).allowed);
        assert!(!acl.is_allowed(2, ALL).allowed);
        // Unknown resources: only a global allow passes.
        let d = acl.is_allowed(2, "self");
        assert!(!d.allowed);
        assert_eq!(
            d.reason,
            Reason::UnknownResource {
                reason: Box::new(Reason::DefaultDeny)
            }
        );
        assert_eq!(acl.is_allowed(None, ADMIN).reason, Reason::NoRole);
        assert_eq!(acl.is_allowed(99, ADMIN).reason, Reason::RoleNotInAcl);
        assert!(acl.missing_rule_resources().is_empty());
    }

    #[test]
    fn allow_all_covers_unknown_and_later_resources() {
        let t = tree(&[BASE, CATALOG, LATER]);
        let mut next = 10;
        let rules = save_rel(&t, 1, &[ALL], &mut next);
        let acl = Acl::build(&t, &[role(1, 0, "G")], &rules);
        for res in [
            "Vendor_X::child",
            "Magento_Catalog::products",
            "anything::else",
        ] {
            let d = acl.is_allowed(1, res);
            assert!(d.allowed, "{res}");
        }
        assert_eq!(
            acl.is_allowed(1, "Vendor_X::child").reason,
            Reason::AllowAll { rule_id: 11 }
        );
        assert_eq!(
            acl.is_allowed(1, ALL).reason,
            Reason::ExplicitAllow { rule_id: 11 },
            "the row itself sets the rule on the root resource"
        );
        assert_eq!(
            acl.is_allowed(1, "x").reason,
            Reason::UnknownResource {
                reason: Box::new(Reason::AllowAll { rule_id: 11 })
            }
        );
    }

    #[test]
    fn role_saved_before_a_module_is_denied_its_resources() {
        let old = tree(&[BASE, CATALOG]);
        let new = tree(&[BASE, CATALOG, LATER]);
        let mut next = 0;
        // Role 1: saved before Vendor_X, with the whole catalog ticked.
        let mut rules = save_rel(
            &old,
            1,
            &[
                "Magento_Catalog::catalog",
                "Magento_Catalog::catalog_inventory",
                "Magento_Catalog::products",
                "Magento_Catalog::categories",
            ],
            &mut next,
        );
        let roles = [role(1, 0, "G"), role(2, 1, "U"), role(3, 0, "G")];
        let acl = Acl::build(&new, &roles, &rules);
        let d = acl.is_allowed(2, "Vendor_X::catalog_extra");
        assert!(!d.allowed);
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(1),
                reason: Box::new(Reason::MissingRuleDenied)
            }
        );
        assert_eq!(
            acl.missing_rule_resources(),
            [
                "Vendor_X::catalog_extra",
                "Vendor_X::top",
                "Vendor_X::child"
            ]
        );
        assert_eq!(acl.denied_roles(), [1]);

        // Role 3 saved after the module: now every resource has a row somewhere, the pass no
        // longer touches Vendor_X::catalog_extra, and role 1 takes its parent's row (setRule
        // copies the catalog allow onto the subtree).
        rules.extend(save_rel(&new, 3, &["Vendor_X::top"], &mut next));
        let acl = Acl::build(&new, &roles, &rules);
        let d = acl.is_allowed(2, "Vendor_X::catalog_extra");
        assert!(d.allowed, "{d:?}");
        let catalog_rule = rules
            .iter()
            .find(|r| {
                r.role_id == 1 && r.resource_id.as_deref() == Some("Magento_Catalog::catalog")
            })
            .unwrap()
            .rule_id;
        assert_eq!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(1),
                reason: Box::new(Reason::InheritedFrom {
                    from: Inherited::AncestorRule("Magento_Catalog::catalog".into()),
                    reason: Box::new(Reason::ExplicitAllow {
                        rule_id: catalog_rule
                    })
                })
            }
        );
        // Vendor_X::top hangs under admin, which role 1 allows: also allowed now.
        assert!(acl.is_allowed(1, "Vendor_X::child").allowed);
        assert!(acl.is_allowed(3, "Vendor_X::top").allowed);
        assert!(!acl.is_allowed(3, "Vendor_X::child").allowed);
        assert!(!acl.is_allowed(3, "Magento_Catalog::products").allowed);
    }

    #[test]
    fn no_deny_rows_no_missing_pass() {
        let old = tree(&[BASE, CATALOG]);
        let new = tree(&[BASE, CATALOG, LATER]);
        let mut next = 0;
        // Everything ticked in "Custom": no deny rows except Magento_Backend::all.
        let everything: Vec<&str> = old.all_ids().filter(|&i| i != ALL).collect();
        let rules: Vec<RuleRow> = save_rel(&old, 1, &everything, &mut next)
            .into_iter()
            .filter(|r| r.resource_id.as_deref() != Some(ALL))
            .collect();
        let acl = Acl::build(&new, &[role(1, 0, "G")], &rules);
        assert!(acl.denied_roles().is_empty());
        let d = acl.is_allowed(1, "Vendor_X::child");
        assert!(d.allowed);
        assert!(matches!(
            d.reason,
            Reason::InheritedFrom { from: Inherited::AncestorRule(ref a), .. } if a == ADMIN
        ));
    }

    #[test]
    fn only_all_seen_skips_the_pass() {
        let t = tree(&[BASE, CATALOG]);
        let rules = vec![RuleRow {
            rule_id: 1,
            role_id: 1,
            resource_id: Some(ALL.into()),
            privileges: None,
            permission: Some("deny".into()),
        }];
        let acl = Acl::build(&t, &[role(1, 0, "G")], &rules);
        assert!(acl.missing_rule_resources().is_empty());
        assert_eq!(acl.is_allowed(1, ADMIN).reason, Reason::DefaultDeny);
    }

    #[test]
    fn stale_rows_skipped_last_row_wins_privileges() {
        let t = tree(&[BASE, CATALOG]);
        let r = |id, res: &str, perm: &str, priv_: Option<&str>| RuleRow {
            rule_id: id,
            role_id: 1,
            resource_id: Some(res.into()),
            privileges: priv_.map(str::to_string),
            permission: Some(perm.into()),
        };
        let rules = vec![
            r(1, ADMIN, "allow", None),
            r(2, "Magento_Catalog::catalog", "allow", None),
            r(4, "Magento_Catalog::catalog_inventory", "allow", None),
            r(5, "Magento_Catalog::products", "allow", None),
            r(3, "Magento_Catalog::products", "deny", Some("0")),
            r(7, "Gone_Module::thing", "allow", None),
            r(8, "Magento_Catalog::categories", "deny", Some("")),
            r(11, "Magento_Catalog::categories", "allow", Some("read")),
            r(9, "Magento_Backend::stores", "allow", None),
            r(10, "Magento_Backend::stores", "deny", Some("edit")),
        ];
        let acl = Acl::build(&t, &[role(1, 0, "G")], &rules);
        assert_eq!(acl.skipped_rules(), [7]);
        // Rule 5 comes after rule 3 in rule_id order; privileges "0" is PHP-empty.
        assert_eq!(
            acl.is_allowed(1, "Magento_Catalog::products").reason,
            Reason::ExplicitAllow { rule_id: 5 }
        );
        // A privilege-specific allow leaves the all-privileges deny of rule 8 in force.
        assert_eq!(
            acl.is_allowed(1, "Magento_Catalog::categories").reason,
            Reason::ExplicitDeny { rule_id: 8 }
        );
        // A privilege-specific deny denies a null-privilege check.
        assert_eq!(
            acl.is_allowed(1, "Magento_Backend::stores").reason,
            Reason::ExplicitDeny { rule_id: 10 }
        );
        // No row names these: the missing-rules pass (role 1 has deny rows) denies them.
        assert_eq!(
            acl.is_allowed(1, "Magento_Backend::dashboard").reason,
            Reason::MissingRuleDenied
        );
        // Magento_Config::config is missing too, but the per-privilege deny that rule 10 put on
        // the stores subtree is checked first.
        assert_eq!(
            acl.is_allowed(1, "Magento_Config::config").reason,
            Reason::InheritedFrom {
                from: Inherited::AncestorRule("Magento_Backend::stores".into()),
                reason: Box::new(Reason::ExplicitDeny { rule_id: 10 })
            }
        );
        assert_eq!(
            acl.missing_rule_resources(),
            [
                ALL,
                "Magento_Backend::dashboard",
                "Magento_Backend::stores_settings",
                "Magento_Config::config"
            ]
        );
    }

    #[test]
    fn a_missing_parent_denies_its_whole_subtree_over_child_rows() {
        let t = tree(&[BASE, CATALOG]);
        let r = |id, res: &str, perm: &str| RuleRow {
            rule_id: id,
            role_id: 1,
            resource_id: Some(res.into()),
            privileges: Some(String::new()),
            permission: Some(perm.into()),
        };
        let rules = vec![
            r(1, ADMIN, "allow"),
            r(2, "Magento_Catalog::products", "allow"),
            r(3, "Magento_Catalog::categories", "deny"),
        ];
        let acl = Acl::build(&t, &[role(1, 0, "G")], &rules);
        // Magento_Catalog::catalog and ::catalog_inventory have no row: deny(role, …) covers
        // their subtrees, products included (the inventory deny is applied last).
        assert_eq!(
            acl.is_allowed(1, "Magento_Catalog::products").reason,
            Reason::InheritedFrom {
                from: Inherited::AncestorRule("Magento_Catalog::catalog_inventory".into()),
                reason: Box::new(Reason::MissingRuleDenied)
            }
        );
        assert!(!acl.is_allowed(1, "Magento_Backend::dashboard").allowed);
    }

    #[test]
    fn broken_role_or_rule_rows_break_the_whole_acl() {
        let t = tree(&[BASE]);
        let rule = RuleRow {
            rule_id: 1,
            role_id: 4,
            resource_id: Some(ALL.into()),
            privileges: None,
            permission: Some("allow".into()),
        };
        // Role 4 has role_type '0' (the column default): ignored, so its rule throws.
        let acl = Acl::build(
            &t,
            &[role(1, 0, "G"), role(4, 0, "0")],
            std::slice::from_ref(&rule),
        );
        assert!(acl.build_error().unwrap().contains("Role '4' not found"));
        assert!(!acl.is_allowed(1, ADMIN).allowed);
        // A user row whose group is gone.
        let acl = Acl::build(&t, &[role(2, 77, "U")], &[]);
        assert!(acl.build_error().unwrap().contains("Parent Role id '77'"));
        // A rule for an undeclared resource never reaches the role lookup.
        let stale = RuleRow {
            resource_id: Some("Gone::x".into()),
            ..rule
        };
        let acl = Acl::build(&t, &[role(1, 0, "G")], &[stale]);
        assert!(acl.build_error().is_none());
    }

    #[test]
    fn multiple_parents_most_recent_first() {
        let t = tree(&[BASE]);
        let mut roles = vec![role(1, 0, "G"), role(2, 0, "G"), role(3, 1, "U")];
        roles.push(RoleRow {
            tree_level: 3,
            ..role(3, 2, "U")
        });
        let rules = vec![
            RuleRow {
                rule_id: 1,
                role_id: 1,
                resource_id: Some(ADMIN.into()),
                privileges: None,
                permission: Some("allow".into()),
            },
            RuleRow {
                rule_id: 2,
                role_id: 2,
                resource_id: Some(ADMIN.into()),
                privileges: None,
                permission: Some("deny".into()),
            },
        ];
        let acl = Acl::build(&t, &roles, &rules);
        let d = acl.is_allowed(3, "Magento_Backend::dashboard");
        assert!(!d.allowed);
        assert!(matches!(
            d.reason,
            Reason::InheritedFrom {
                from: Inherited::Role(2),
                ..
            }
        ));
    }
}
