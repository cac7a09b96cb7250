//! Evaluation of the ACL: the `authorization_role` / `authorization_rule` rows, loaded the way
//! Magento's loaders and Laminas ACL load them, and [`Acl::is_allowed`] answering as
//! `Authorization\Policy\Acl` does (see the parent module for what is reproduced). Pure.

use std::collections::HashMap;
use std::fmt;

use super::ALL;
use super::tree::AclTree;

// ---------------------------------------------------------------------------------------------
// Table rows
// ---------------------------------------------------------------------------------------------

/// `UserContextInterface` user types, stored as text in `authorization_role.user_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserType {
    Integration = 1,
    Admin = 2,
    Customer = 3,
    Guest = 4,
}

impl UserType {
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// One `authorization_role` row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoleRow {
    pub role_id: u64,
    pub parent_id: u64,
    pub tree_level: i64,
    pub sort_order: i64,
    /// `G` group, `U` user/integration link; anything else is ignored by Magento's loader.
    pub role_type: String,
    pub user_id: u64,
    pub user_type: Option<String>,
    pub role_name: Option<String>,
}

/// One `authorization_rule` row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleRow {
    pub rule_id: u64,
    pub role_id: u64,
    pub resource_id: Option<String>,
    pub privileges: Option<String>,
    /// `allow` / `deny` (compared exactly, as PHP's `==` on two non-numeric strings does).
    pub permission: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// What set a Laminas rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The row `rule_id`, written for resource index `resource` (the rule may have been copied
    /// onto a descendant by `setRule`).
    Row { rule_id: u64, resource: usize },
    /// `allow(role, null)` of the `Magento_Backend::all` allow row `rule_id`.
    AllowAll { rule_id: u64 },
    /// `applyDenyPermissionsForMissingRules` for the missing resource index `resource`.
    MissingDeny { resource: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    allow: bool,
    origin: Origin,
}

/// The rules of one (role, resource) pair: Laminas' `allPrivileges` and `byPrivilegeId`.
#[derive(Debug, Clone, Default)]
struct Slot {
    all: Option<Rule>,
    by_privilege: Vec<(String, Rule)>,
}

impl Slot {
    fn set(&mut self, privileges: &[String], rule: Rule) {
        if privileges.is_empty() {
            self.all = Some(rule);
        } else {
            for p in privileges {
                match self.by_privilege.iter_mut().find(|(k, _)| k == p) {
                    Some(e) => e.1 = rule,
                    None => self.by_privilege.push((p.clone(), rule)),
                }
            }
        }
    }

    /// `roleDFSVisitAllPrivileges` for this slot: a per-privilege deny denies, else the
    /// all-privileges rule decides, else nothing.
    fn decide(&self) -> Option<Rule> {
        if let Some((_, r)) = self.by_privilege.iter().find(|(_, r)| !r.allow) {
            return Some(*r);
        }
        self.all
    }
}

#[derive(Debug, Clone)]
struct AclRole {
    role_id: u64,
    parents: Vec<usize>,
    /// `resources + 1` slots (the last one is the global rule), allocated on the first rule.
    slots: Option<Vec<Slot>>,
}

/// How an inherited decision was inherited.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Inherited {
    /// From this parent role (an admin user's `U` role inherits its group `G` role's rules).
    Role(u64),
    /// `isAllowed` walked up to this parent resource (no rule on the resource itself).
    Resource(String),
    /// The rule was written for this ancestor resource: Laminas `setRule` applies a rule to the
    /// resource's whole subtree, so a resource without a row of its own takes it.
    AncestorRule(String),
}

/// Why a check was allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reason {
    /// The role has the `Magento_Backend::all` allow row (global allow).
    AllowAll { rule_id: u64 },
    /// A row allows the resource.
    ExplicitAllow { rule_id: u64 },
    /// A row denies the resource (for a privilege-specific row: denies one privilege).
    ExplicitDeny { rule_id: u64 },
    /// No role has any row for the resource, and the role has deny rows:
    /// `applyDenyPermissionsForMissingRules` denies it (a role saved before the module was
    /// installed; re-saving the role writes the row).
    MissingRuleDenied,
    /// The deciding rule was inherited.
    InheritedFrom {
        from: Inherited,
        reason: Box<Reason>,
    },
    /// No rule for the role (or its parents) on the resource, its parents or globally: Laminas'
    /// default deny.
    DefaultDeny,
    /// The resource is not declared (module disabled, typo, `self` for a non-customer):
    /// `Policy\Acl` asks `isAllowed(role, null)` instead, which `reason` explains.
    UnknownResource { reason: Box<Reason> },
    /// No `authorization_role` row for the caller (`WebapiRoleLocator` gives null): denied.
    NoRole,
    /// The role id is not an ACL role (its row's `role_type` is neither `G` nor `U`): denied.
    RoleNotInAcl,
    /// Magento cannot build its ACL at all, so every check fails.
    AclUnavailable { problem: String },
}

/// The answer of one check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::AllowAll { rule_id } => {
                write!(f, "rule {rule_id} allows everything ({ALL})")
            }
            Reason::ExplicitAllow { rule_id } => write!(f, "rule {rule_id} allows it"),
            Reason::ExplicitDeny { rule_id } => write!(f, "rule {rule_id} denies it"),
            Reason::MissingRuleDenied => f.write_str(
                "no role has a rule row for it (the role was saved before the resource existed), so Magento denies it; re-saving the role fixes it",
            ),
            Reason::InheritedFrom { from, reason } => match from {
                Inherited::Role(r) => write!(f, "{reason}, inherited from parent role {r}"),
                Inherited::Resource(r) => write!(f, "{reason}, inherited from parent resource {r}"),
                Inherited::AncestorRule(r) => write!(f, "{reason} (the row is for {r}, which covers its subtree)"),
            },
            Reason::DefaultDeny => f.write_str("no rule applies (Laminas default deny)"),
            Reason::UnknownResource { reason } => write!(
                f,
                "the resource is not declared in any enabled module's acl.xml, so only a global allow counts: {reason}"
            ),
            Reason::NoRole => f.write_str("the caller has no authorization_role row"),
            Reason::RoleNotInAcl => {
                f.write_str("the role's role_type is neither G nor U, so it is not in the ACL")
            }
            Reason::AclUnavailable { problem } => {
                write!(f, "Magento cannot build its ACL: {problem}")
            }
        }
    }
}

/// The built ACL: resources, roles and rules as Magento's loaders leave them.
#[derive(Debug, Clone)]
pub struct Acl {
    ids: Vec<String>,
    parent: Vec<Option<usize>>,
    end: Vec<usize>,
    index: HashMap<String, usize>,
    roles: Vec<AclRole>,
    role_index: HashMap<u64, usize>,
    build_error: Option<String>,
    skipped_rules: Vec<u64>,
    denied_roles: Vec<u64>,
    missing_denied: Vec<String>,
}

impl Acl {
    /// Build the ACL as Magento's `Acl\Builder` does: the roles, the resources of the tree, then
    /// the rules and `applyDenyPermissionsForMissingRules`. Never fails: a problem Magento
    /// would throw on is kept in [`Acl::build_error`] and every check is then denied.
    pub fn build(tree: &AclTree, roles: &[RoleRow], rules: &[RuleRow]) -> Acl {
        let n = tree.nodes.len();
        let mut acl = Acl {
            ids: tree.nodes.iter().map(|t| t.resource.id.clone()).collect(),
            parent: tree.nodes.iter().map(|t| t.parent).collect(),
            end: tree.nodes.iter().map(|t| t.end).collect(),
            index: tree.index.clone(),
            roles: Vec::new(),
            role_index: HashMap::new(),
            build_error: None,
            skipped_rules: Vec::new(),
            denied_roles: Vec::new(),
            missing_denied: Vec::new(),
        };
        // Builder order: roles, resources, rules. A resource problem is found before rules run.
        if let Err(e) = acl.load_roles(roles) {
            acl.build_error = Some(e);
            return acl;
        }
        if let Some(f) = tree.fatal.first() {
            acl.build_error = Some(f.clone());
            return acl;
        }
        if let Err(e) = acl.load_rules(n, rules) {
            acl.build_error = Some(e);
        }
        acl
    }

    fn load_roles(&mut self, rows: &[RoleRow]) -> Result<(), String> {
        let mut sorted: Vec<&RoleRow> = rows.iter().collect();
        sorted.sort_by_key(|r| (r.tree_level, r.role_id));
        for r in sorted {
            match r.role_type.as_str() {
                "G" | "U" => {}
                _ => continue,
            }
            let parent = if r.parent_id > 0 {
                match self.role_index.get(&r.parent_id) {
                    Some(&p) => Some(p),
                    None => {
                        return Err(format!(
                            "authorization_role {} has parent_id {}, which is not a loaded role (missing, not G/U, or not at a lower tree_level): Laminas throws \"Parent Role id '{}' does not exist\"",
                            r.role_id, r.parent_id, r.parent_id
                        ));
                    }
                }
            } else {
                None
            };
            if let Some(&existing) = self.role_index.get(&r.role_id) {
                if r.role_type == "G" {
                    return Err(format!(
                        "authorization_role {} appears twice: Laminas throws \"Role id '{}' already exists in the registry\"",
                        r.role_id, r.role_id
                    ));
                }
                // `addRoleParent` for a U row already present.
                match parent {
                    Some(p) => {
                        if !self.roles[existing].parents.contains(&p) {
                            self.roles[existing].parents.push(p);
                        }
                    }
                    None => {
                        return Err(format!(
                            "authorization_role {} appears twice without a parent: addRoleParent fails",
                            r.role_id
                        ));
                    }
                }
                continue;
            }
            self.role_index.insert(r.role_id, self.roles.len());
            self.roles.push(AclRole {
                role_id: r.role_id,
                parents: parent.into_iter().collect(),
                slots: None,
            });
        }
        Ok(())
    }

    fn slots(&mut self, role: usize, n: usize) -> &mut Vec<Slot> {
        self.roles[role]
            .slots
            .get_or_insert_with(|| vec![Slot::default(); n + 1])
    }

    /// Laminas `setRule(OP_ADD, …)` for one role and resource index (`None` = `null` = the
    /// global rule plus every resource).
    fn set_rule(
        &mut self,
        role: usize,
        resource: Option<usize>,
        privileges: &[String],
        rule: Rule,
        n: usize,
    ) {
        let (start, end) = match resource {
            Some(i) => (i, self.end[i]),
            None => (0, n),
        };
        let slots = self.slots(role, n);
        if resource.is_none() {
            slots[n].set(privileges, rule);
        }
        for s in &mut slots[start..end] {
            s.set(privileges, rule);
        }
    }

    fn load_rules(&mut self, n: usize, rows: &[RuleRow]) -> Result<(), String> {
        let mut sorted: Vec<&RuleRow> = rows.iter().collect();
        sorted.sort_by_key(|r| r.rule_id);
        let mut found = vec![false; n];
        let mut found_count = 0usize;
        let mut denied: Vec<usize> = Vec::new();
        let all_idx = self.index.get(ALL).copied();
        for r in sorted {
            let Some(res) = r
                .resource_id
                .as_deref()
                .and_then(|id| self.index.get(id))
                .copied()
            else {
                self.skipped_rules.push(r.rule_id);
                continue;
            };
            if !found[res] {
                found[res] = true;
                found_count += 1;
            }
            let allow = match r.permission.as_deref() {
                Some("allow") => true,
                Some("deny") => false,
                _ => continue,
            };
            let Some(&role) = self.role_index.get(&r.role_id) else {
                return Err(format!(
                    "authorization_rule {} belongs to role {}, which is not in the ACL (no such authorization_role row, or its role_type is neither G nor U): Laminas throws \"Role '{}' not found\"",
                    r.rule_id, r.role_id, r.role_id
                ));
            };
            let privileges: Vec<String> = match r.privileges.as_deref() {
                None | Some("") | Some("0") => Vec::new(),
                Some(p) => p.split(',').map(str::to_string).collect(),
            };
            let origin = Origin::Row {
                rule_id: r.rule_id,
                resource: res,
            };
            if allow {
                if Some(res) == all_idx {
                    let rule = Rule {
                        allow: true,
                        origin: Origin::AllowAll { rule_id: r.rule_id },
                    };
                    self.set_rule(role, None, &privileges, rule, n);
                }
                self.set_rule(role, Some(res), &privileges, Rule { allow, origin }, n);
            } else {
                if !denied.contains(&role) {
                    denied.push(role);
                }
                self.set_rule(role, Some(res), &privileges, Rule { allow, origin }, n);
            }
        }
        self.denied_roles = denied.iter().map(|&r| self.roles[r].role_id).collect();

        let only_all = found_count == 1 && all_idx.is_some_and(|a| found[a]);
        if found_count > 0 && !denied.is_empty() && !only_all {
            let missing: Vec<usize> = (0..n).filter(|&r| !found[r]).collect();
            for res in missing {
                self.missing_denied.push(self.ids[res].clone());
                for &role in &denied {
                    let rule = Rule {
                        allow: false,
                        origin: Origin::MissingDeny { resource: res },
                    };
                    self.set_rule(role, Some(res), &[], rule, n);
                }
            }
        }
        Ok(())
    }

    /// Why Magento cannot build this ACL (every check then fails), if it cannot.
    pub fn build_error(&self) -> Option<&str> {
        self.build_error.as_deref()
    }

    /// `rule_id`s of rows skipped because their resource is not declared (any more).
    pub fn skipped_rules(&self) -> &[u64] {
        &self.skipped_rules
    }

    /// Roles with at least one deny row on a declared resource (the ones the missing-rules
    /// pass applies to), in order of their first deny row.
    pub fn denied_roles(&self) -> &[u64] {
        &self.denied_roles
    }

    /// Resources no row mentions that `applyDenyPermissionsForMissingRules` denied to the
    /// [`Acl::denied_roles`] (empty when the pass did not apply), in tree order.
    pub fn missing_rule_resources(&self) -> &[String] {
        &self.missing_denied
    }

    /// Whether the role id is an ACL role (a `G` or `U` row).
    pub fn has_role(&self, role_id: u64) -> bool {
        self.role_index.contains_key(&role_id)
    }

    /// Magento's `Authorization::isAllowed(resource)` for the ACL role `role_id` (`None`: no
    /// role row), through `Policy\Acl`, with the reason.
    pub fn is_allowed(&self, role_id: impl Into<Option<u64>>, resource: &str) -> Decision {
        let deny = |reason| Decision {
            allowed: false,
            reason,
        };
        if let Some(e) = &self.build_error {
            return deny(Reason::AclUnavailable { problem: e.clone() });
        }
        let Some(role_id) = role_id.into() else {
            return deny(Reason::NoRole);
        };
        let Some(&role) = self.role_index.get(&role_id) else {
            return deny(Reason::RoleNotInAcl);
        };
        match self.index.get(resource) {
            Some(&res) => self.evaluate(role, Some(res)),
            None => {
                let d = self.evaluate(role, None);
                Decision {
                    allowed: d.allowed,
                    reason: Reason::UnknownResource {
                        reason: Box::new(d.reason),
                    },
                }
            }
        }
    }

    /// Laminas `isAllowed($role, $resource)` with privilege null.
    fn evaluate(&self, role: usize, resource: Option<usize>) -> Decision {
        let n = self.ids.len();
        let mut cur = resource;
        loop {
            let slot = cur.unwrap_or(n);
            if let Some((at_role, rule)) = self.role_dfs(role, slot) {
                let mut reason = match rule.origin {
                    Origin::AllowAll { rule_id } => Reason::AllowAll { rule_id },
                    Origin::Row { rule_id, resource } => {
                        let base = if rule.allow {
                            Reason::ExplicitAllow { rule_id }
                        } else {
                            Reason::ExplicitDeny { rule_id }
                        };
                        self.via_ancestor(base, resource, cur)
                    }
                    Origin::MissingDeny { resource } => {
                        self.via_ancestor(Reason::MissingRuleDenied, resource, cur)
                    }
                };
                if at_role != role {
                    reason = Reason::InheritedFrom {
                        from: Inherited::Role(self.roles[at_role].role_id),
                        reason: Box::new(reason),
                    };
                }
                if cur != resource
                    && let Some(c) = cur
                {
                    reason = Reason::InheritedFrom {
                        from: Inherited::Resource(self.ids[c].clone()),
                        reason: Box::new(reason),
                    };
                }
                return Decision {
                    allowed: rule.allow,
                    reason,
                };
            }
            // Magento sets no rules for the 'allRoles' pseudo-role; the global one is the
            // default deny.
            match cur {
                Some(c) => cur = self.parent[c],
                None => {
                    return Decision {
                        allowed: false,
                        reason: Reason::DefaultDeny,
                    };
                }
            }
        }
    }

    fn via_ancestor(&self, base: Reason, written_for: usize, at: Option<usize>) -> Reason {
        if Some(written_for) == at {
            base
        } else {
            Reason::InheritedFrom {
                from: Inherited::AncestorRule(self.ids[written_for].clone()),
                reason: Box::new(base),
            }
        }
    }

    /// `roleDFSAllPrivileges`: the role, then its parents depth-first, most recent parent first.
    fn role_dfs(&self, start: usize, slot: usize) -> Option<(usize, Rule)> {
        let mut visited: Vec<usize> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let visit = |r: usize, visited: &mut Vec<usize>, stack: &mut Vec<usize>| {
            if let Some(rule) = self.roles[r].slots.as_ref().and_then(|s| s[slot].decide()) {
                return Some((r, rule));
            }
            visited.push(r);
            stack.extend(self.roles[r].parents.iter().copied());
            None
        };
        if let Some(hit) = visit(start, &mut visited, &mut stack) {
            return Some(hit);
        }
        while let Some(r) = stack.pop() {
            if !visited.contains(&r)
                && let Some(hit) = visit(r, &mut visited, &mut stack)
            {
                return Some(hit);
            }
        }
        None
    }
}

/// The set of resource ids a role is allowed, in tree order (for a role's permission matrix).
pub fn allowed_resources(acl: &Acl, tree: &AclTree, role_id: u64) -> Vec<String> {
    tree.all_ids()
        .filter(|id| acl.is_allowed(role_id, id).allowed)
        .map(str::to_string)
        .collect()
}
