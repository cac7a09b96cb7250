//! Reads what the ACL needs: the enabled modules' `etc/acl.xml` files and the
//! `authorization_role` / `authorization_rule` rows (evaluation is in [`crate::magento::acl`]).

use std::path::PathBuf;

use crate::magento::acl::{AclTree, AclTreeBuilder, RoleRow, RuleRow, UserType};
use crate::store::db::{Database, DbError, Row, SqlValue};
use crate::store::modules::ModuleSet;

/// A problem with one acl.xml file. `line` is 1-based, `None` when the whole file is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub path: PathBuf,
    pub line: Option<u32>,
    pub message: String,
}

/// Merge the `etc/acl.xml` of every enabled module, in config.php order (Magento's module
/// order). Modules without a folder or without the file contribute nothing. An unreadable or
/// malformed file is reported here and also recorded in [`AclTree::fatal`] when Magento would
/// fail on it.
pub fn load_acl_tree(modules: &ModuleSet) -> (AclTree, Vec<LoadProblem>) {
    let mut builder = AclTreeBuilder::new();
    let mut problems = Vec::new();
    for module in modules.enabled() {
        let Some(dir) = &module.dir else { continue };
        let path = dir.join("etc/acl.xml");
        let label = path.display().to_string();
        let text = match crate::store::fsread::read_capped(
            &path,
            crate::store::fsread::STORE_FILE_BYTES,
        ) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                builder.add_fatal(format!("{label}: cannot be read: {e}"));
                problems.push(LoadProblem {
                    path,
                    line: None,
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        let text = String::from_utf8_lossy(&text);
        match builder.add_text(&text, &label) {
            Ok(file) => problems.extend(file.problems.into_iter().map(|p| LoadProblem {
                path: path.clone(),
                line: Some(p.line),
                message: p.message,
            })),
            Err(p) => problems.push(LoadProblem {
                path,
                line: Some(p.line),
                message: format!("invalid XML: {}", p.message),
            }),
        }
    }
    (builder.build(), problems)
}

fn uint(row: &Row, col: &str) -> u64 {
    row.int(col)
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(0)
}

fn role_row(row: &Row) -> RoleRow {
    RoleRow {
        role_id: uint(row, "role_id"),
        parent_id: uint(row, "parent_id"),
        tree_level: row.int("tree_level").unwrap_or(0),
        sort_order: row.int("sort_order").unwrap_or(0),
        role_type: row.text("role_type").unwrap_or_default(),
        user_id: uint(row, "user_id"),
        user_type: row.text("user_type"),
        role_name: row.text("role_name"),
    }
}

fn rule_row(row: &Row) -> RuleRow {
    RuleRow {
        rule_id: uint(row, "rule_id"),
        role_id: uint(row, "role_id"),
        resource_id: row.text("resource_id"),
        privileges: row.text("privileges"),
        permission: row.text("permission"),
    }
}

/// Every `authorization_role` row (by `role_id`) and every `authorization_rule` row (by
/// `rule_id`, the order Magento's unordered `SELECT` returns them in).
pub fn load_roles(db: &dyn Database) -> Result<(Vec<RoleRow>, Vec<RuleRow>), DbError> {
    let mut roles: Vec<RoleRow> = db
        .rows("authorization_role", &[])?
        .iter()
        .map(role_row)
        .collect();
    roles.sort_by_key(|r| r.role_id);
    let mut rules: Vec<RuleRow> = db
        .rows("authorization_rule", &[])?
        .iter()
        .map(rule_row)
        .collect();
    rules.sort_by_key(|r| r.rule_id);
    Ok((roles, rules))
}

/// The role a Web API caller gets, as `WebapiRoleLocator::getAclRoleId()` finds it: the first
/// `authorization_role` row (lowest `role_id`) with this `user_id` and `user_type` (any
/// `role_type`). `None`: no row, and Magento denies every ACL resource.
pub fn role_for(
    db: &dyn Database,
    user_id: u64,
    user_type: UserType,
) -> Result<Option<RoleRow>, DbError> {
    let rows = db.rows(
        "authorization_role",
        &[
            ("user_id", SqlValue::UInt(user_id)),
            // Magento binds the integer constant; MySQL compares the varchar numerically.
            ("user_type", SqlValue::Int(user_type.code())),
        ],
    )?;
    Ok(rows.iter().map(role_row).min_by_key(|r| r.role_id))
}

/// An `integration` row's essentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationRow {
    pub integration_id: u64,
    /// 0 inactive, 1 active, 2 recalled.
    pub status: i64,
    /// `oauth_consumer.entity_id`; `None` when the integration has no consumer.
    pub consumer_id: Option<u64>,
}

/// The integration named `name` (the name is unique).
pub fn integration_by_name(
    db: &dyn Database,
    name: &str,
) -> Result<Option<IntegrationRow>, DbError> {
    let rows = db.rows("integration", &[("name", SqlValue::from(name))])?;
    Ok(rows.first().map(|r| IntegrationRow {
        integration_id: uint(r, "integration_id"),
        status: r.int("status").unwrap_or(0),
        consumer_id: r.int("consumer_id").and_then(|v| u64::try_from(v).ok()),
    }))
}

/// `admin_user.user_id` of the admin `username`.
pub fn admin_by_username(db: &dyn Database, username: &str) -> Result<Option<u64>, DbError> {
    let rows = db.rows("admin_user", &[("username", SqlValue::from(username))])?;
    Ok(rows.first().map(|r| uint(r, "user_id")))
}
