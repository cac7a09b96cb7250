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
//! "Resource Access: All" does). "Allows now" is what the editor's tree shows ticked: the
//! resources with an `allow` row of the role. A resource the role reached without a row of its
//! own (through a parent resource's rule) is written as `deny`, as the editor would: [`grant`]
//! shows every such change before anything is written. Rows of the role for resources that are
//! no longer declared are not written again, as the editor would not write them either.
//!
//! Which role: the role editor writes rules for group roles (`G`) and an integration's own role
//! (`U`, user_type 1). An admin user's own `U` row (user_type 2) inherits its group's rules; a
//! rule set written on it would override the group's, so it is refused: grant to the group
//! (`--admin-user NAME` means "this user's group"), which changes every user of that group.
//!
//! The rules are cached by Magento ([`cache_notice`]): after the change, the `config` cache type
//! must be cleaned for Magento to see it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::cache::cache_notice;
use super::journal::{EntryMeta, Journal, Listed};
use super::{Conflict, FixError, Plan, Step, sql_literal};
use crate::checks::caller::{self, Caller, CallerSpec};
use crate::context::Context;
use crate::magento::acl::{ADMIN, ALL, Acl, AclTree, RoleRow, RuleRow, UserType};
use crate::store::acl as store_acl;
use crate::store::db::write::WriteSession;
use crate::store::db::{Database, DbChoice, Row, SqlValue};

pub const ALLOW: &str = "allow";
pub const DENY: &str = "deny";

/// An `authorization_rule` row as read, with its ids converted to the ACL's `u64`; `None`
/// without a usable `rule_id` or `role_id`.
pub fn rule_from_row(row: &Row) -> Option<RuleRow> {
    Some(RuleRow {
        rule_id: u64::try_from(row.int("rule_id")?).ok()?,
        role_id: u64::try_from(row.int("role_id")?).ok()?,
        resource_id: row.text("resource_id"),
        privileges: row.text("privileges"),
        permission: row.text("permission"),
    })
}

/// A role id as the database takes it.
fn role_value(role_id: u64) -> SqlValue {
    SqlValue::UInt(role_id)
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
    pub role_id: u64,
    /// The resources asked for.
    pub add: Vec<String>,
    /// The role's rules when the plan was made, by `rule_id`: [`apply_grant`] refuses if they
    /// changed since.
    pub current: Vec<RuleRow>,
    /// The rows to insert after deleting the role's rules, in order.
    pub rows: Vec<NewRule>,
    /// Asked-for resources the role had no `allow` row for.
    pub newly_allowed: Vec<String>,
    /// Asked-for resources the role already had an `allow` row for (or everything).
    pub already_allowed: Vec<String>,
    /// Resources with a rule row of the role that are no longer declared in the ACL: their rows
    /// disappear (Magento ignores them anyway).
    pub dropped: Vec<String>,
    /// The rows would be written exactly as they are: nothing to do.
    pub unchanged: bool,
}

/// The asked-for resources, trimmed and deduplicated; refused when there is none or one is not
/// declared in `tree` (Magento would write no row for it).
pub fn check_resources(tree_ids: &[String], add: &[String]) -> Result<Vec<String>, FixError> {
    let in_tree: HashSet<&str> = tree_ids.iter().map(String::as_str).collect();
    let mut clean: Vec<String> = Vec::new();
    for a in add {
        let a = a.trim();
        if !a.is_empty() && !clean.iter().any(|x| x == a) {
            clean.push(a.to_string());
        }
    }
    if clean.is_empty() {
        return Err(FixError::Refused("no ACL resource to grant".into()));
    }
    let unknown: Vec<&str> = clean
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
    Ok(clean)
}

/// Compute the rows Magento's role editor would write for "allowed now ∪ `add`".
///
/// `tree_ids`: every resource id of the current ACL in the ACL's order (the merged acl.xml tree,
/// depth-first, `Magento_Backend::all` first); `current_rules`: the `authorization_rule` rows
/// (rows of other roles are ignored). Refused when the tree is empty, nothing is asked for, or
/// an asked-for resource is not in the tree (Magento would write no row for it).
pub fn plan_grant(
    tree_ids: &[String],
    role_id: u64,
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
    let add_clean = check_resources(tree_ids, add)?;

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

    let rows: Vec<NewRule> = if add_clean.iter().any(|a| a == ALL) {
        vec![NewRule {
            resource_id: ALL.into(),
            permission: ALLOW,
        }]
    } else {
        let mut posted: HashSet<&str> = allowed_now.clone();
        posted.extend(add_clean.iter().map(String::as_str));
        if posted.len() == 1 && posted.contains(ALL) {
            vec![NewRule {
                resource_id: ALL.into(),
                permission: ALLOW,
            }]
        } else {
            posted.insert(ADMIN);
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
            allowed_now.contains(a.as_str()) || (allowed_now.contains(ALL) && current.len() == 1)
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
        && current[0].resource_id.as_deref() == Some(ALL)
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
    /// Every rule of the store once this plan is applied: the role's rules replaced by the
    /// plan's rows, with the ids the inserts would get (after every existing `rule_id`, in order).
    pub fn rules_after(&self, all_rules: &[RuleRow]) -> Vec<RuleRow> {
        let next = all_rules.iter().map(|r| r.rule_id).max().unwrap_or(0) + 1;
        let mut out: Vec<RuleRow> = all_rules
            .iter()
            .filter(|r| r.role_id != self.role_id)
            .cloned()
            .collect();
        out.extend(self.rows.iter().enumerate().map(|(i, r)| RuleRow {
            rule_id: next + i as u64,
            role_id: self.role_id,
            resource_id: Some(r.resource_id.clone()),
            privileges: Some(String::new()),
            permission: Some(r.permission.to_string()),
        }));
        out
    }

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
                ..Plan::default()
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
        let insert = if self.rows.len() == 1 && self.rows[0].resource_id == ALL {
            format!("Insert the single rule {ALL} allow (Resource Access: All)")
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
        let role_sql = sql_literal(&role_value(self.role_id));
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
            ..Plan::default()
        }
    }
}

/// Carry out a [`GrantPlan`] in `session`'s open transaction: check the role exists and its rules
/// are still those the plan read, delete them, insert the plan's rows. Nothing is committed
/// here: hand the session to [`Journal::commit`](super::journal::Journal::commit).
pub fn apply_grant(session: &mut WriteSession, plan: &GrantPlan) -> Result<(), FixError> {
    if plan.unchanged {
        return Ok(());
    }
    let role = role_value(plan.role_id);
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
        .filter_map(rule_from_row)
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

// ---------------------------------------------------------------------------------------------
// The whole command: which role, is anything needed, what changes for whom, apply
// ---------------------------------------------------------------------------------------------

/// Whose rules to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantTarget {
    /// The integration's own role (`U`, user_type 1), by integration name.
    Integration(String),
    /// The group role (`G`) of this admin user (by username): every user of the group changes.
    AdminUser(String),
    /// A role by `authorization_role.role_id`: a group role, or an integration's own role.
    Role(i64),
}

/// What `acl:grant` was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantRequest {
    pub target: GrantTarget,
    /// ACL resource ids to allow.
    pub resources: Vec<String>,
    /// Write (one journaled transaction); otherwise only plan.
    pub apply: bool,
    /// The database to write to (`--dump` is refused when applying).
    pub db: DbChoice,
    /// The command line, for the journal (masked there).
    pub command: Vec<String>,
}

/// How a grant ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    /// Every asked-for resource is allowed to the role already: nothing planned, nothing written.
    AlreadyAllowed,
    /// The plan, nothing written (no `--apply`).
    Planned,
    /// Written in one transaction, with its journal entry.
    Applied,
}

/// How one role's answers change (Magento's ACL before and after the grant).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleEffect {
    pub role_id: u64,
    /// The role for people: `group role 30 "Sales team"`, `admin user jane (role 31)`.
    pub role: String,
    /// The role whose rules the grant writes (`false`: another role, changed through it).
    pub written: bool,
    /// Why this role changes, one sentence.
    pub how: String,
    /// Resources denied before, allowed after (tree order).
    pub newly_allowed: Vec<String>,
    /// Resources allowed before, denied after (tree order).
    pub newly_denied: Vec<String>,
}

/// What [`grant`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantOutcome {
    pub status: GrantStatus,
    /// The role whose rules are (or would be) written.
    pub role_id: u64,
    pub role: String,
    /// The plan, with its notes and [`Plan::effects`]; no steps when nothing is needed.
    pub plan: Plan,
    /// The journal entry, when applied.
    pub journal: Option<Listed>,
}

/// Names for roles: admin usernames and integration names by id.
struct Names {
    admins: HashMap<u64, String>,
    integrations: HashMap<u64, String>,
}

impl Names {
    fn load(db: &dyn Database) -> Result<Names, FixError> {
        let by_id = |table: &str, id: &str, name: &str| -> Result<HashMap<u64, String>, FixError> {
            Ok(db
                .rows(table, &[])?
                .iter()
                .filter_map(|r| {
                    Some((
                        u64::try_from(r.int(id)?).ok()?,
                        r.text(name).unwrap_or_default(),
                    ))
                })
                .collect())
        };
        Ok(Names {
            admins: by_id("admin_user", "user_id", "username")?,
            integrations: by_id("integration", "integration_id", "name")?,
        })
    }

    fn label(&self, r: &RoleRow) -> String {
        let name = r.role_name.clone().unwrap_or_default();
        match (r.role_type.as_str(), user_type(r)) {
            ("G", _) => format!("group role {} \"{name}\"", r.role_id),
            ("U", Some(UserType::Admin)) => match self.admins.get(&r.user_id) {
                Some(u) => format!("admin user {u} (role {})", r.role_id),
                None => format!("admin user id {} (role {})", r.user_id, r.role_id),
            },
            ("U", Some(UserType::Integration)) => match self.integrations.get(&r.user_id) {
                Some(i) => format!("integration \"{i}\" (role {})", r.role_id),
                None => format!("integration id {} (role {})", r.user_id, r.role_id),
            },
            _ => format!("role {} \"{name}\"", r.role_id),
        }
    }
}

/// `authorization_role.user_type` (a varchar Magento compares numerically).
fn user_type(r: &RoleRow) -> Option<UserType> {
    match r.user_type.as_deref()?.trim().parse::<i64>().ok()? {
        1 => Some(UserType::Integration),
        2 => Some(UserType::Admin),
        3 => Some(UserType::Customer),
        4 => Some(UserType::Guest),
        _ => None,
    }
}

/// The role the grant writes and what to tell about it.
struct Target {
    role: RoleRow,
    label: String,
    notes: Vec<String>,
}

fn refused(msg: String) -> FixError {
    FixError::Refused(msg)
}

/// The users (`U` rows) of group role `group`, named.
fn group_users(roles: &[RoleRow], group: u64, names: &Names) -> Vec<String> {
    roles
        .iter()
        .filter(|r| r.parent_id == group && r.role_type == "U")
        .map(|r| names.label(r))
        .collect()
}

/// The note for a grant to a group role: it changes every user of the group.
fn group_note(roles: &[RoleRow], group: &RoleRow, names: &Names) -> String {
    let users = group_users(roles, group.role_id, names);
    if users.is_empty() {
        format!(
            "{} has no users yet; the change applies to every user given this role",
            names.label(group)
        )
    } else {
        format!(
            "this changes {}, so it applies to every user of that group ({}): {}",
            names.label(group),
            users.len(),
            users.join(", ")
        )
    }
}

fn resolve_target(
    ctx: &Context,
    db: &dyn Database,
    target: &GrantTarget,
    roles: &[RoleRow],
    names: &Names,
) -> Result<Target, FixError> {
    let find = |id: u64| roles.iter().find(|r| r.role_id == id);
    match target {
        GrantTarget::Integration(name) => {
            let who = caller::identify(ctx, &CallerSpec::Integration(name.clone()))
                .map_err(|e| refused(e.to_string()))?;
            let Some(role) = crate::checks::roles::role_of(ctx, &who.caller)
                .and_then(|id| u64::try_from(id).ok())
                .and_then(find)
            else {
                return Err(refused(format!(
                    "integration '{name}' has no role (authorization_role): save its API resources once in System > Extensions > Integrations"
                )));
            };
            let label = format!("integration \"{name}\" (role {})", role.role_id);
            check_writable(role, roles, names)?;
            Ok(Target {
                role: role.clone(),
                label,
                notes: Vec::new(),
            })
        }
        GrantTarget::AdminUser(name) => {
            let who = caller::identify(ctx, &CallerSpec::AdminUser(name.clone()))
                .map_err(|e| refused(e.to_string()))?;
            let Caller::Admin { user_id, .. } = who.caller else {
                return Err(refused(format!("'{name}' is not an admin user")));
            };
            let user_id = u64::try_from(user_id)
                .map_err(|_| refused(format!("admin user '{name}' has a negative user_id")))?;
            let Some(own) = store_acl::role_for(db, user_id, UserType::Admin)? else {
                return Err(refused(format!(
                    "admin user '{name}' has no role (no authorization_role row with user_id {user_id}, user_type 2): give the user a role in System > Permissions > All Users > User Role"
                )));
            };
            let group = (own.parent_id > 0)
                .then(|| find(own.parent_id))
                .flatten()
                .filter(|g| g.role_type == "G");
            let Some(group) = group else {
                return Err(refused(format!(
                    "admin user '{name}' (role {}) belongs to no group role (parent_id {} is not a G row): give the user a role in System > Permissions > All Users > User Role; m2auth never writes rules on a user's own role",
                    own.role_id, own.parent_id
                )));
            };
            let mut notes = vec![
                format!(
                    "admin user {name}'s access comes from its group: Magento checks the user's own role {} (a U row), which inherits the rules of {}; the rules are written for the group, as Magento's role editor does",
                    own.role_id,
                    names.label(group)
                ),
                group_note(roles, group, names),
            ];
            notes.extend(own_rules_note(&own, db, names)?);
            Ok(Target {
                role: group.clone(),
                label: names.label(group),
                notes,
            })
        }
        GrantTarget::Role(id) => {
            let Some(role) = u64::try_from(*id).ok().and_then(find) else {
                return Err(refused(format!(
                    "no role {id} in authorization_role (see acl:matrix --admin-user NAME or --integration NAME for a caller's role)"
                )));
            };
            check_writable(role, roles, names)?;
            let notes = if role.role_type == "G" {
                vec![group_note(roles, role, names)]
            } else {
                Vec::new()
            };
            Ok(Target {
                role: role.clone(),
                label: names.label(role),
                notes,
            })
        }
    }
}

/// A note when an admin's own `U` row carries rules (Magento's editor never writes them): they
/// override the group's for that user.
fn own_rules_note(
    own: &RoleRow,
    db: &dyn Database,
    names: &Names,
) -> Result<Vec<String>, FixError> {
    let n = db
        .rows(
            "authorization_rule",
            &[("role_id", role_value(own.role_id))],
        )?
        .len();
    Ok(if n == 0 {
        Vec::new()
    } else {
        vec![format!(
            "WARNING: {} has {n} rule(s) of its own, which Magento's role editor never writes; for this user they take precedence over the group's rules (see the effects below)",
            names.label(own)
        )]
    })
}

/// Only roles Magento's editors write rules for: a `G` role, or an integration's own `U` role.
fn check_writable(role: &RoleRow, roles: &[RoleRow], names: &Names) -> Result<(), FixError> {
    match (role.role_type.as_str(), user_type(role)) {
        ("G", _) | ("U", Some(UserType::Integration)) => Ok(()),
        ("U", Some(UserType::Admin)) => {
            let group = roles
                .iter()
                .find(|g| g.role_id == role.parent_id && role.parent_id > 0);
            Err(refused(match group {
                Some(g) => format!(
                    "role {} is {}'s own role (a U row, user_type 2): its permissions come from its group, and a rule set written on it would override the group's and remove access; grant to the group instead: --role {} ({}) or --admin-user, which changes every user of that group",
                    role.role_id,
                    names.label(role),
                    g.role_id,
                    names.label(g)
                ),
                None => format!(
                    "role {} is {}'s own role (a U row, user_type 2) and belongs to no group (parent_id {}); m2auth never writes rules on a user's own role: give the user a role in System > Permissions > All Users > User Role",
                    role.role_id,
                    names.label(role),
                    role.parent_id
                ),
            }))
        }
        ("U", _) => Err(refused(format!(
            "role {} is a U row of user_type {}: only group roles and integrations' own roles (user_type 1) carry rules",
            role.role_id,
            role.user_type.as_deref().unwrap_or("NULL")
        ))),
        (other, _) => Err(refused(format!(
            "role {} has role_type '{other}', neither G nor U: Magento's ACL does not load it, so rules for it are never used",
            role.role_id
        ))),
    }
}

/// Every role whose answer for some resource differs between `before` and `after`; the
/// `written` role first, then by `role_id`.
fn effects(
    tree: &AclTree,
    roles: &[RoleRow],
    before: &Acl,
    after: &Acl,
    written: &RoleRow,
    names: &Names,
) -> Vec<RoleEffect> {
    let mut order: Vec<&RoleRow> = roles.iter().collect();
    order.sort_by_key(|r| (r.role_id != written.role_id, r.role_id));
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in order {
        if !seen.insert(r.role_id) {
            continue;
        }
        let (mut newly_allowed, mut newly_denied) = (Vec::new(), Vec::new());
        for id in tree.all_ids() {
            let (b, a) = (
                before.is_allowed(r.role_id, id).allowed,
                after.is_allowed(r.role_id, id).allowed,
            );
            if !b && a {
                newly_allowed.push(id.to_string());
            } else if b && !a {
                newly_denied.push(id.to_string());
            }
        }
        let is_written = r.role_id == written.role_id;
        if !is_written && newly_allowed.is_empty() && newly_denied.is_empty() {
            continue;
        }
        let how = if is_written {
            "its rules are replaced".to_string()
        } else if r.parent_id == written.role_id {
            format!("inherits the rules of {}", names.label(written))
        } else {
            "Magento denies every resource that no role has a rule row for to each role with a deny rule (applyDenyPermissionsForMissingRules); the new rows change which resources those are".to_string()
        };
        out.push(RoleEffect {
            role_id: r.role_id,
            role: names.label(r),
            written: is_written,
            how,
            newly_allowed,
            newly_denied,
        });
    }
    out
}

/// `acl:grant`: find the role, say so and stop when it already has every asked-for resource,
/// otherwise plan the rows Magento's role editor would write, show every change of every role's
/// answers, and with `apply` write them in one journaled transaction.
///
/// Refused ([`FixError::Refused`]): no database; Magento cannot build its ACL (a fatal acl.xml
/// problem or broken roles: the role editor could not save either); an unknown or
/// non-writable role (an admin user's own `U` row: its group is named); an undeclared resource.
pub fn grant(ctx: &Context, req: &GrantRequest) -> Result<GrantOutcome, FixError> {
    let Some(db) = ctx.db.as_deref() else {
        return Err(refused(format!(
            "acl:grant needs the database: {}",
            ctx.db_problem.as_deref().unwrap_or("none")
        )));
    };
    let (tree, _) = store_acl::load_acl_tree(&ctx.install.modules);
    if let Some(f) = tree.fatal().first() {
        return Err(refused(format!(
            "Magento cannot build its ACL ({f}), so its role editor could not save a role either; fix that first"
        )));
    }
    let tree_ids: Vec<String> = tree.all_ids().map(str::to_string).collect();
    let (roles, rules) = store_acl::load_roles(db)?;
    let names = Names::load(db)?;
    let target = resolve_target(ctx, db, &req.target, &roles, &names)?;
    let role_id = target.role.role_id;
    let add = check_resources(&tree_ids, &req.resources)?;

    let before = Acl::build(&tree, &roles, &rules);
    if let Some(e) = before.build_error() {
        return Err(refused(format!(
            "Magento cannot build its ACL ({e}), so its role editor could not save a role either; fix that first"
        )));
    }
    let missing: Vec<&String> = add
        .iter()
        .filter(|r| !before.is_allowed(role_id, r.as_str()).allowed)
        .collect();
    if missing.is_empty() {
        return Ok(GrantOutcome {
            status: GrantStatus::AlreadyAllowed,
            role_id,
            role: target.label.clone(),
            plan: Plan {
                title: format!(
                    "Grant {} to {}: already allowed, nothing to change",
                    add.join(", "),
                    target.label
                ),
                notes: add
                    .iter()
                    .map(|r| format!("{r}: {}", before.is_allowed(role_id, r.as_str()).reason))
                    .collect(),
                ..Plan::default()
            },
            journal: None,
        });
    }

    let gp = plan_grant(&tree_ids, role_id, &rules, &add)?;
    let after = Acl::build(&tree, &roles, &gp.rules_after(&rules));
    let mut plan = gp.plan(&db.describe().table_prefix, &target.label);
    plan.notes = target.notes;
    if !gp.unchanged {
        plan.effects = effects(&tree, &roles, &before, &after, &target.role, &names);
    }
    let mut outcome = GrantOutcome {
        status: GrantStatus::Planned,
        role_id,
        role: target.label.clone(),
        plan,
        journal: None,
    };
    if !req.apply || gp.unchanged {
        return Ok(outcome);
    }

    let mut session = WriteSession::open(&req.db, ctx.install.env.as_ref())?;
    session.begin()?;
    apply_grant(&mut session, &gp)?;
    let meta = EntryMeta {
        title: format!("Grant {} to {}", gp.add.join(", "), target.label),
        slug: "acl-grant".into(),
        command: req.command.clone(),
        masker: ctx.masker.clone(),
    };
    outcome.journal = Journal::for_root(&ctx.install.root).commit(session, &meta)?;
    outcome.status = GrantStatus::Applied;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Vec<String> {
        [
            ALL,
            ADMIN,
            "Magento_Sales::sales",
            "Magento_Sales::sales_order",
            "Magento_Catalog::catalog",
            "Magento_Catalog::products",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn rule(id: u64, res: &str, perm: &str) -> RuleRow {
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
            rule(10, ALL, DENY),
            rule(11, ADMIN, ALLOW),
            rule(12, "Magento_Catalog::catalog", ALLOW),
            rule(13, "Gone_Module::x", ALLOW),
        ];
        let p = plan_grant(&tree(), 5, &current, &["Magento_Sales::sales".into()]).unwrap();
        assert_eq!(
            perms(&p),
            vec![
                (ALL, DENY),
                (ADMIN, ALLOW),
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
            &[ALL.into(), "Magento_Sales::sales".into()],
        )
        .unwrap();
        assert_eq!(perms(&p), vec![(ALL, ALLOW)]);
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
            .map(|(i, r)| rule(i as u64 + 1, &r.resource_id, r.permission))
            .collect();
        let again = plan_grant(&tree(), 5, &written, &["Magento_Sales::sales".into()]).unwrap();
        assert!(again.unchanged);
        assert!(again.plan("", "").is_empty());
        let all = plan_grant(
            &tree(),
            5,
            &[rule(1, ALL, ALLOW)],
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
    fn rules_after_and_effects_text() {
        let current = vec![
            rule(10, ADMIN, ALLOW),
            rule(11, "Magento_Sales::sales", ALLOW),
        ];
        let p = plan_grant(&tree(), 5, &current, &["Magento_Catalog::products".into()]).unwrap();
        let mut other = rule(20, ALL, ALLOW);
        other.role_id = 6;
        let after = p.rules_after(&[current[0].clone(), other.clone(), current[1].clone()]);
        assert_eq!(after[0], other);
        assert_eq!(after.len(), 1 + tree().len());
        assert!(after[1..].iter().all(|r| r.role_id == 5));
        assert_eq!(
            after[1..].iter().map(|r| r.rule_id).collect::<Vec<_>>(),
            (21..21 + tree().len() as u64).collect::<Vec<_>>()
        );
        let mut plan = p.plan("", "group role 5 \"Editors\"");
        plan.effects = vec![RoleEffect {
            role_id: 5,
            role: "group role 5 \"Editors\"".into(),
            written: true,
            how: "its rules are replaced".into(),
            newly_allowed: vec!["Magento_Catalog::products".into()],
            newly_denied: vec!["Magento_Sales::sales_order".into()],
        }];
        let text = plan.to_text();
        assert!(
            text.contains("!! newly DENIED (1): Magento_Sales::sales_order"),
            "{text}"
        );
        assert!(text.contains("no other role changes"), "{text}");
        let json = plan.to_json();
        assert_eq!(
            json["effects"][0]["newly_denied"][0],
            "Magento_Sales::sales_order"
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
