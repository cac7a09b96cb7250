//! `acl:grant`: add ACL resources to a role, writing `authorization_rule` exactly as Magento's
//! role editor does.
//!
//! `Magento\Authorization\Model\ResourceModel\Rules::saveRel()` (2.4) deletes every rule of the
//! role, then
//! * if the posted resources are exactly `['Magento_Backend::all']`: inserts that one `allow` row;
//! * otherwise appends `Magento_Backend::admin` to the posted list and inserts one row per
//!   resource of the current ACL, in the ACL's order: `allow` if posted, else `deny`;
//!
//! with `privileges = ''`, then cleans the ACL cache. A grant posts "what the role allows now ∪
//! the added resources" (or only `Magento_Backend::all` when that is granted, as the editor's
//! "Resource Access: All" does). Rows of the role for resources that are no longer declared are
//! not written again, as the editor would not write them either.
//!
//! The rules are cached by Magento ([`cache_notice`]): after the change, the `config` cache type
//! must be cleaned for Magento to see it.

use std::collections::HashSet;

use super::{Conflict, FixError, Plan, Step, sql_literal};
use crate::store::db::write::WriteSession;
use crate::store::db::{Row, SqlValue};

/// The ACL root resource (`Magento\Framework\Acl\RootResource`): allow = everything.
pub const ROOT_RESOURCE: &str = "Magento_Backend::all";
/// `Magento\Backend\App\AbstractAction::ADMIN_RESOURCE`, always allowed by a custom save.
pub const ADMIN_RESOURCE: &str = "Magento_Backend::admin";

pub const ALLOW: &str = "allow";
pub const DENY: &str = "deny";

/// One `authorization_rule` row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub rule_id: i64,
    pub role_id: i64,
    pub resource_id: Option<String>,
    pub privileges: Option<String>,
    pub permission: Option<String>,
}

impl RuleRow {
    /// From a row of `authorization_rule`; `None` without `rule_id` or `role_id`.
    pub fn from_row(row: &Row) -> Option<RuleRow> {
        Some(RuleRow {
            rule_id: row.int("rule_id")?,
            role_id: row.int("role_id")?,
            resource_id: row.text("resource_id"),
            privileges: row.text("privileges"),
            permission: row.text("permission"),
        })
    }
}

/// One row the grant writes (with `privileges = ''` and the plan's role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub resource_id: String,
    /// [`ALLOW`] or [`DENY`].
    pub permission: &'static str,
}

/// What a grant would write, computed without touching the database by [`plan_grant`].
#[derive(Debug, Clone, PartialEq)]
pub struct GrantPlan {
    pub role_id: i64,
    /// The resources asked for.
    pub add: Vec<String>,
    /// The role's rules when the plan was made, by `rule_id`: [`apply_grant`] refuses if they
    /// changed since.
    pub current: Vec<RuleRow>,
    /// The rows to insert after deleting the role's rules, in order.
    pub rows: Vec<NewRule>,
    /// Asked-for resources the role did not allow yet.
    pub newly_allowed: Vec<String>,
    /// Asked-for resources the role already allowed.
    pub already_allowed: Vec<String>,
    /// Resources with a rule row of the role that are no longer declared in the ACL: their rows
    /// disappear (Magento ignores them anyway).
    pub dropped: Vec<String>,
    /// The rows would be written exactly as they are: nothing to do.
    pub unchanged: bool,
}

/// Compute the rows Magento's role editor would write for "allowed now ∪ `add`".
///
/// `tree_ids`: every resource id of the current ACL in the ACL's order (the merged acl.xml tree,
/// depth-first, `Magento_Backend::all` first); `current_rules`: the role's `authorization_rule`
/// rows (rows of other roles are ignored). Refused when the tree is empty, nothing is asked for,
/// or an asked-for resource is not in the tree (Magento would write no row for it).
pub fn plan_grant(
    tree_ids: &[String],
    role_id: i64,
    current_rules: &[RuleRow],
    add: &[String],
) -> Result<GrantPlan, FixError> {
    if tree_ids.is_empty() {
        return Err(FixError::Refused(
            "the ACL resource tree is empty: cannot tell which rows Magento would write".into(),
        ));
    }
    let mut seen = HashSet::new();
    let tree: Vec<&str> = tree_ids
        .iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect();
    let in_tree: HashSet<&str> = tree.iter().copied().collect();

    let mut add_clean: Vec<String> = Vec::new();
    for a in add {
        let a = a.trim();
        if !a.is_empty() && !add_clean.iter().any(|x| x == a) {
            add_clean.push(a.to_string());
        }
    }
    if add_clean.is_empty() {
        return Err(FixError::Refused("no ACL resource to grant".into()));
    }
    let unknown: Vec<&str> = add_clean
        .iter()
        .map(String::as_str)
        .filter(|a| !in_tree.contains(a))
        .collect();
    if !unknown.is_empty() {
        return Err(FixError::Refused(format!(
            "unknown ACL resource{} {}: not declared in the acl.xml of any enabled module, so Magento would write no rule for {}",
            if unknown.len() > 1 { "s" } else { "" },
            unknown.join(", "),
            if unknown.len() > 1 { "them" } else { "it" }
        )));
    }

    let mut current: Vec<RuleRow> = current_rules
        .iter()
        .filter(|r| r.role_id == role_id)
        .cloned()
        .collect();
    current.sort_by_key(|r| r.rule_id);
    let allowed_now: HashSet<&str> = current
        .iter()
        .filter(|r| r.permission.as_deref() == Some(ALLOW))
        .filter_map(|r| r.resource_id.as_deref())
        .collect();

    let rows: Vec<NewRule> = if add_clean.iter().any(|a| a == ROOT_RESOURCE) {
        vec![NewRule {
            resource_id: ROOT_RESOURCE.into(),
            permission: ALLOW,
        }]
    } else {
        let mut posted: HashSet<&str> = allowed_now.clone();
        posted.extend(add_clean.iter().map(String::as_str));
        if posted.len() == 1 && posted.contains(ROOT_RESOURCE) {
            vec![NewRule {
                resource_id: ROOT_RESOURCE.into(),
                permission: ALLOW,
            }]
        } else {
            posted.insert(ADMIN_RESOURCE);
            tree.iter()
                .map(|id| NewRule {
                    resource_id: id.to_string(),
                    permission: if posted.contains(id) { ALLOW } else { DENY },
                })
                .collect()
        }
    };

    let unchanged = current.len() == rows.len()
        && current.iter().zip(&rows).all(|(c, n)| {
            c.resource_id.as_deref() == Some(n.resource_id.as_str())
                && c.permission.as_deref() == Some(n.permission)
                && c.privileges.as_deref() == Some("")
        });
    let (already_allowed, newly_allowed): (Vec<String>, Vec<String>) =
        add_clean.iter().cloned().partition(|a| {
            allowed_now.contains(a.as_str())
                || (allowed_now.contains(ROOT_RESOURCE) && current.len() == 1)
        });
    let mut dropped: Vec<String> = Vec::new();
    for r in &current {
        if let Some(id) = r.resource_id.as_deref()
            && !in_tree.contains(id)
            && !dropped.iter().any(|d| d == id)
        {
            dropped.push(id.to_string());
        }
    }
    // A role that is "All" already (its only rule: Magento_Backend::all allow) has everything.
    let all_already = current.len() == 1
        && current[0].resource_id.as_deref() == Some(ROOT_RESOURCE)
        && current[0].permission.as_deref() == Some(ALLOW)
        && current[0].privileges.as_deref() == Some("");
    Ok(GrantPlan {
        role_id,
        add: add_clean,
        current,
        rows,
        newly_allowed,
        already_allowed,
        dropped,
        unchanged: unchanged || all_already,
    })
}

impl GrantPlan {
    /// The plan to print. `table_prefix` is `db/table_prefix`; `role_label` names the role for
    /// people (`integration "shop-sync" (role 12)`); empty → `role <id>`.
    pub fn plan(&self, table_prefix: &str, role_label: &str) -> Plan {
        let role = if role_label.is_empty() {
            format!("role {}", self.role_id)
        } else {
            role_label.to_string()
        };
        let title = format!("Grant {} to {role}", self.add.join(", "));
        if self.unchanged {
            return Plan {
                title: format!("{title}: already granted, nothing to change"),
                steps: Vec::new(),
                cache_notice: Vec::new(),
            };
        }
        let table = format!("{table_prefix}authorization_rule");
        let mut delete = format!(
            "Delete the {} rule(s) of {role}, as Magento's role editor does before saving",
            self.current.len()
        );
        if !self.dropped.is_empty() {
            delete.push_str(&format!(
                " ({} of them for resources no longer declared, not written again: {})",
                self.dropped.len(),
                self.dropped.join(", ")
            ));
        }
        let allow = self.rows.iter().filter(|r| r.permission == ALLOW).count();
        let insert = if self.rows.len() == 1 && self.rows[0].resource_id == ROOT_RESOURCE {
            format!("Insert the single rule {ROOT_RESOURCE} allow (Resource Access: All)")
        } else {
            format!(
                "Insert {} rules, one per resource of the current ACL: {allow} allow, {} deny; newly allowed: {}",
                self.rows.len(),
                self.rows.len() - allow,
                if self.newly_allowed.is_empty() {
                    "none".to_string()
                } else {
                    self.newly_allowed.join(", ")
                }
            )
        };
        let role_sql = sql_literal(&SqlValue::Int(self.role_id));
        let values: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "  ({role_sql}, {}, '', '{}')",
                    sql_literal(&SqlValue::Text(r.resource_id.clone())),
                    r.permission
                )
            })
            .collect();
        Plan {
            title,
            steps: vec![
                Step {
                    description: delete,
                    sql_preview: format!("DELETE FROM `{table}` WHERE `role_id` = {role_sql};"),
                },
                Step {
                    description: insert,
                    sql_preview: format!(
                        "INSERT INTO `{table}` (`role_id`, `resource_id`, `privileges`, `permission`) VALUES\n{};",
                        values.join(",\n")
                    ),
                },
            ],
            cache_notice: cache_notice(),
        }
    }
}

/// Where Magento caches the ACL and how to make it reload the rules.
///
/// `Magento\Authorization\Model\Acl\Loader\Role` and `…\Loader\Rule` cache the rows of
/// `authorization_role` and `authorization_rule` under the ids `authorization_role_cached_data`
/// and `authorization_rule_cached_data` through `Magento\Framework\Acl\Data\Cache`, which stores
/// them in the `config` cache type (`Magento\Framework\Config\CacheInterface`) with the tag
/// `acl_cache`; `saveRel()` cleans that tag after saving.
pub fn cache_notice() -> Vec<String> {
    vec![
        "Magento caches the ACL rules (ids authorization_rule_cached_data and authorization_role_cached_data, tag acl_cache, in the config cache type): until that cache is cleaned the store keeps answering with the old permissions".to_string(),
        "run `bin/magento cache:clean config` (or `m2auth cache:clean config`)".to_string(),
    ]
}

/// Carry out a [`GrantPlan`] in `session`'s open transaction: check the role exists and its rules
/// are still those the plan read, delete them, insert the plan's rows. Nothing is committed
/// here: hand the session to [`Journal::commit`](super::journal::Journal::commit).
pub fn apply_grant(session: &mut WriteSession, plan: &GrantPlan) -> Result<(), FixError> {
    if plan.unchanged {
        return Ok(());
    }
    let role = SqlValue::Int(plan.role_id);
    let roles = session.select_for_update("authorization_role", &[("role_id", role.clone())])?;
    if roles.is_empty() {
        return Err(FixError::Refused(format!(
            "role {} does not exist (authorization_role)",
            plan.role_id
        )));
    }
    let mut now: Vec<RuleRow> = session
        .select_for_update("authorization_rule", &[("role_id", role.clone())])?
        .iter()
        .filter_map(RuleRow::from_row)
        .collect();
    now.sort_by_key(|r| r.rule_id);
    if now != plan.current {
        return Err(FixError::Conflict(vec![Conflict {
            table: "authorization_rule".into(),
            key: format!("role_id={}", plan.role_id),
            problem: format!(
                "the role's rules changed since the plan was made ({} rule(s) then, {} now); plan again",
                plan.current.len(),
                now.len()
            ),
        }]));
    }
    session.delete("authorization_rule", &[("role_id", role.clone())])?;
    for r in &plan.rows {
        session.insert(
            "authorization_rule",
            &[
                ("role_id", role.clone()),
                ("resource_id", SqlValue::Text(r.resource_id.clone())),
                ("privileges", SqlValue::Text(String::new())),
                ("permission", SqlValue::Text(r.permission.to_string())),
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Vec<String> {
        [
            ROOT_RESOURCE,
            ADMIN_RESOURCE,
            "Magento_Sales::sales",
            "Magento_Sales::sales_order",
            "Magento_Catalog::catalog",
            "Magento_Catalog::products",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn rule(id: i64, res: &str, perm: &str) -> RuleRow {
        RuleRow {
            rule_id: id,
            role_id: 5,
            resource_id: Some(res.into()),
            privileges: Some(String::new()),
            permission: Some(perm.into()),
        }
    }

    fn perms(p: &GrantPlan) -> Vec<(&str, &str)> {
        p.rows
            .iter()
            .map(|r| (r.resource_id.as_str(), r.permission))
            .collect()
    }

    #[test]
    fn custom_role_gets_union_with_admin() {
        let current = vec![
            rule(10, ROOT_RESOURCE, DENY),
            rule(11, ADMIN_RESOURCE, ALLOW),
            rule(12, "Magento_Catalog::catalog", ALLOW),
            rule(13, "Gone_Module::x", ALLOW),
        ];
        let p = plan_grant(&tree(), 5, &current, &["Magento_Sales::sales".into()]).unwrap();
        assert_eq!(
            perms(&p),
            vec![
                (ROOT_RESOURCE, DENY),
                (ADMIN_RESOURCE, ALLOW),
                ("Magento_Sales::sales", ALLOW),
                ("Magento_Sales::sales_order", DENY),
                ("Magento_Catalog::catalog", ALLOW),
                ("Magento_Catalog::products", DENY),
            ]
        );
        assert_eq!(p.newly_allowed, vec!["Magento_Sales::sales".to_string()]);
        assert_eq!(p.dropped, vec!["Gone_Module::x".to_string()]);
        assert!(!p.unchanged);
        let text = p.plan("m2_", "").to_text();
        assert!(text.contains("DELETE FROM `m2_authorization_rule` WHERE `role_id` = 5;"));
        assert!(
            text.contains("(5, 'Magento_Sales::sales', '', 'allow')"),
            "{text}"
        );
    }

    #[test]
    fn root_grant_is_the_single_row() {
        let p = plan_grant(
            &tree(),
            5,
            &[],
            &[ROOT_RESOURCE.into(), "Magento_Sales::sales".into()],
        )
        .unwrap();
        assert_eq!(perms(&p), vec![(ROOT_RESOURCE, ALLOW)]);
    }

    #[test]
    fn empty_role_gets_admin_and_the_resource() {
        let p = plan_grant(&tree(), 5, &[], &["Magento_Catalog::products".into()]).unwrap();
        assert_eq!(p.rows.iter().filter(|r| r.permission == ALLOW).count(), 2);
    }

    #[test]
    fn unchanged_and_already_all() {
        let p = plan_grant(&tree(), 5, &[], &["Magento_Sales::sales".into()]).unwrap();
        let written: Vec<RuleRow> = p
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| rule(i as i64 + 1, &r.resource_id, r.permission))
            .collect();
        let again = plan_grant(&tree(), 5, &written, &["Magento_Sales::sales".into()]).unwrap();
        assert!(again.unchanged);
        assert!(again.plan("", "").is_empty());
        let all = plan_grant(
            &tree(),
            5,
            &[rule(1, ROOT_RESOURCE, ALLOW)],
            &["Magento_Sales::sales".into()],
        )
        .unwrap();
        assert!(all.unchanged);
        assert_eq!(
            all.already_allowed,
            vec!["Magento_Sales::sales".to_string()]
        );
    }

    #[test]
    fn refusals() {
        assert!(plan_grant(&[], 5, &[], &["Magento_Sales::sales".into()]).is_err());
        assert!(plan_grant(&tree(), 5, &[], &[]).is_err());
        let err = plan_grant(&tree(), 5, &[], &["Magento_Sales::nope".into()]).unwrap_err();
        assert!(err.to_string().contains("Magento_Sales::nope"), "{err}");
    }
}
