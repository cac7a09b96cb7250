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

use std::collections::HashMap;
use std::fmt;

/// The ACL root resource (`Magento\Framework\Acl\RootResource`), "Allow everything".
pub const ALL: &str = "Magento_Backend::all";
/// `\Magento\Backend\App\AbstractAction::ADMIN_RESOURCE`, always allowed by `saveRel` in
/// "Custom" mode; the admin role editor shows its children, not the node itself.
pub const ADMIN: &str = "Magento_Backend::admin";

// ---------------------------------------------------------------------------------------------
// acl.xml parsing
// ---------------------------------------------------------------------------------------------

/// One `<resource>` element as one acl.xml file writes it (attributes raw, as in the XML).
#[derive(Debug, Clone, PartialEq)]
pub struct XmlResource {
    pub id: String,
    pub title: Option<String>,
    /// `sortOrder` as written.
    pub sort_order: Option<String>,
    /// `disabled` as written.
    pub disabled: Option<String>,
    /// 1-based line of the element in its file.
    pub line: u32,
    pub children: Vec<XmlResource>,
}

/// A problem in one acl.xml file, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlProblem {
    pub line: u32,
    pub message: String,
}

/// The resources of one acl.xml file (`/config/acl/resources/resource` and their nested
/// `resource` children), and the elements skipped: a `<resource>` without `id` (the schema
/// requires one; what Magento then does depends on how its DOM merge folds the element, so it is
/// reported, not treated as breaking the ACL).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AclXml {
    pub resources: Vec<XmlResource>,
    pub problems: Vec<XmlProblem>,
}

/// Parse one acl.xml text. `Err` when the text is not well-formed XML.
pub fn parse_acl_xml(text: &str) -> Result<AclXml, XmlProblem> {
    let doc = roxmltree::Document::parse(text).map_err(|e| XmlProblem {
        line: e.pos().row,
        message: e.to_string(),
    })?;
    let mut out = AclXml::default();
    let root = doc.root_element();
    if root.tag_name().name() != "config" {
        return Ok(out);
    }
    for acl in root.children().filter(|n| n.has_tag_name("acl")) {
        for resources in acl.children().filter(|n| n.has_tag_name("resources")) {
            for node in resources.children().filter(|n| n.has_tag_name("resource")) {
                if let Some(r) = convert(&doc, node, &mut out.problems) {
                    out.resources.push(r);
                }
            }
        }
    }
    Ok(out)
}

fn convert(
    doc: &roxmltree::Document,
    node: roxmltree::Node,
    problems: &mut Vec<XmlProblem>,
) -> Option<XmlResource> {
    let line = doc.text_pos_at(node.range().start).row;
    let Some(id) = node.attribute("id") else {
        problems.push(XmlProblem {
            line,
            message:
                "Attribute \"id\" is required for ACL resource (element and its children skipped)"
                    .into(),
        });
        return None;
    };
    let children = node
        .children()
        .filter(|n| n.has_tag_name("resource"))
        .filter_map(|n| convert(doc, n, problems))
        .collect();
    Some(XmlResource {
        id: id.to_string(),
        title: node.attribute("title").map(str::to_string),
        sort_order: node.attribute("sortOrder").map(str::to_string),
        disabled: node.attribute("disabled").map(str::to_string),
        line,
        children,
    })
}

// ---------------------------------------------------------------------------------------------
// Merging and the tree
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct MergeNode {
    id: String,
    title: Option<String>,
    sort_order: Option<String>,
    disabled: Option<String>,
    /// Where the node was first declared (file label, line), for messages.
    origin: (String, u32),
    children: Vec<usize>,
}

/// Merges acl.xml files in module order, then [`AclTreeBuilder::build`]s the tree.
#[derive(Debug, Clone, Default)]
pub struct AclTreeBuilder {
    nodes: Vec<MergeNode>,
    roots: Vec<usize>,
    fatal: Vec<String>,
}

impl AclTreeBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Merge one parsed file; `origin` names it in messages (a path).
    pub fn add(&mut self, file: &AclXml, origin: &str) {
        let mut roots = std::mem::take(&mut self.roots);
        for r in &file.resources {
            self.merge_into(&mut roots, r, origin);
        }
        self.roots = roots;
    }

    /// Parse and merge one file. A file that is not well-formed XML makes Magento's config
    /// reader throw, so the ACL cannot be built; that is recorded as fatal.
    pub fn add_text(&mut self, text: &str, origin: &str) -> Result<AclXml, XmlProblem> {
        match parse_acl_xml(text) {
            Ok(file) => {
                self.add(&file, origin);
                Ok(file)
            }
            Err(p) => {
                self.fatal.push(format!(
                    "{origin}:{}: invalid XML, Magento cannot read its ACL: {}",
                    p.line, p.message
                ));
                Err(p)
            }
        }
    }

    /// Record a problem that keeps Magento from building its ACL at all.
    pub fn add_fatal(&mut self, message: impl Into<String>) {
        self.fatal.push(message.into());
    }

    fn merge_into(&mut self, siblings: &mut Vec<usize>, r: &XmlResource, origin: &str) {
        let existing = siblings.iter().copied().find(|&i| self.nodes[i].id == r.id);
        let idx = match existing {
            Some(i) => {
                let n = &mut self.nodes[i];
                if r.title.is_some() {
                    n.title = r.title.clone();
                }
                if r.sort_order.is_some() {
                    n.sort_order = r.sort_order.clone();
                }
                if r.disabled.is_some() {
                    n.disabled = r.disabled.clone();
                }
                i
            }
            None => {
                self.nodes.push(MergeNode {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    sort_order: r.sort_order.clone(),
                    disabled: r.disabled.clone(),
                    origin: (origin.to_string(), r.line),
                    children: Vec::new(),
                });
                let i = self.nodes.len() - 1;
                siblings.push(i);
                i
            }
        };
        let mut children = std::mem::take(&mut self.nodes[idx].children);
        for c in &r.children {
            self.merge_into(&mut children, c, origin);
        }
        self.nodes[idx].children = children;
    }

    /// Drop disabled subtrees, sort siblings by `sortOrder`, lay the tree out depth-first.
    pub fn build(self) -> AclTree {
        let mut tree = AclTree {
            nodes: Vec::new(),
            index: HashMap::new(),
            roots: Vec::new(),
            fatal: self.fatal,
        };
        let mut roots = self.roots.clone();
        sort_siblings(&self.nodes, &mut roots);
        for r in roots {
            if let Some(i) = lay_out(&self.nodes, r, None, &mut tree) {
                tree.roots.push(i);
            }
        }
        tree
    }
}

fn sort_siblings(nodes: &[MergeNode], list: &mut [usize]) {
    // `sort_by_key` is stable, like PHP 8's usort.
    list.sort_by_key(|&i| {
        nodes[i]
            .sort_order
            .as_deref()
            .map(crate::magento::php::intval)
            .unwrap_or(0)
    });
}

fn lay_out(
    nodes: &[MergeNode],
    m: usize,
    parent: Option<usize>,
    tree: &mut AclTree,
) -> Option<usize> {
    let n = &nodes[m];
    if n.disabled.as_deref() == Some("true") {
        return None;
    }
    if let Some(&first) = tree.index.get(&n.id) {
        let parent_of =
            |i: Option<usize>| i.map_or("(top)".to_string(), |p| tree.nodes[p].resource.id.clone());
        tree.fatal.push(format!(
            "ACL resource {} is declared under {} ({}:{}) and under {} ({}:{}): Laminas refuses the second one (\"Resource id '{}' already exists in the ACL\"), so Magento cannot build its ACL",
            n.id,
            parent_of(tree.nodes[first].parent),
            tree.nodes[first].origin.0,
            tree.nodes[first].origin.1,
            parent_of(parent),
            n.origin.0,
            n.origin.1,
            n.id
        ));
        return None;
    }
    let i = tree.nodes.len();
    tree.nodes.push(TreeNode {
        resource: Resource {
            id: n.id.clone(),
            title: n.title.clone(),
            sort_order: n
                .sort_order
                .as_deref()
                .map(crate::magento::php::intval)
                .unwrap_or(0),
        },
        origin: n.origin.clone(),
        parent,
        children: Vec::new(),
        end: i + 1,
    });
    tree.index.insert(n.id.clone(), i);
    let mut kids = n.children.clone();
    sort_siblings(nodes, &mut kids);
    for k in kids {
        if let Some(c) = lay_out(nodes, k, Some(i), tree) {
            tree.nodes[i].children.push(c);
        }
    }
    tree.nodes[i].end = tree.nodes.len();
    Some(i)
}

/// One ACL resource of the merged tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    /// The (untranslated) label; `None` when no file gave one.
    pub title: Option<String>,
    pub sort_order: i64,
}

#[derive(Debug, Clone)]
struct TreeNode {
    resource: Resource,
    origin: (String, u32),
    parent: Option<usize>,
    children: Vec<usize>,
    /// One past the last node of this node's subtree (nodes are in depth-first order).
    end: usize,
}

/// The merged ACL resource tree, in depth-first, sortOrder order.
#[derive(Debug, Clone, Default)]
pub struct AclTree {
    nodes: Vec<TreeNode>,
    index: HashMap<String, usize>,
    roots: Vec<usize>,
    fatal: Vec<String>,
}

impl AclTree {
    /// Merge acl.xml texts (in module order) into a tree; unparsable texts are recorded in
    /// [`AclTree::fatal`]. Convenience over [`AclTreeBuilder`].
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> AclTree {
        let mut b = AclTreeBuilder::new();
        for (origin, text) in texts {
            let _ = b.add_text(text, origin);
        }
        b.build()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    pub fn get(&self, id: &str) -> Option<&Resource> {
        self.index.get(id).map(|&i| &self.nodes[i].resource)
    }

    /// The parent's id; `None` for a top-level resource or an unknown id.
    pub fn parent(&self, id: &str) -> Option<&str> {
        let i = *self.index.get(id)?;
        self.nodes[i]
            .parent
            .map(|p| self.nodes[p].resource.id.as_str())
    }

    /// The children's ids in sortOrder order (empty for a leaf or an unknown id).
    pub fn children(&self, id: &str) -> Vec<&str> {
        match self.index.get(id) {
            Some(&i) => self.nodes[i]
                .children
                .iter()
                .map(|&c| self.nodes[c].resource.id.as_str())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The top-level ids (`Magento_Backend::all`, `Magento_Backend::admin`) in sortOrder order.
    pub fn roots(&self) -> Vec<&str> {
        self.roots
            .iter()
            .map(|&i| self.nodes[i].resource.id.as_str())
            .collect()
    }

    /// Every id, depth-first in sortOrder order: Laminas' `getResources()` order.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.resource.id.as_str())
    }

    /// The ids from the top of the tree down to `id` (inclusive); empty for an unknown id.
    pub fn ancestry(&self, id: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut cur = self.index.get(id).copied();
        while let Some(i) = cur {
            out.push(self.nodes[i].resource.id.as_str());
            cur = self.nodes[i].parent;
        }
        out.reverse();
        out
    }

    /// The label path as the role editor's tree shows it, e.g. `Catalog > Inventory > Products`:
    /// titles of the ancestors below `Magento_Backend::admin` (which is not shown) down to the
    /// resource; a resource outside `admin` (`Magento_Backend::all`) gets its whole path. A node
    /// without a title shows its id. Empty for an unknown id and for `admin` itself.
    pub fn admin_path(&self, id: &str) -> String {
        let chain = self.ancestry(id);
        let start = match chain.iter().position(|&c| c == ADMIN) {
            Some(p) => p + 1,
            None => 0,
        };
        chain[start..]
            .iter()
            .map(|&c| {
                let r = self.get(c).expect("ancestry ids are in the tree");
                r.title.as_deref().unwrap_or(&r.id)
            })
            .collect::<Vec<_>>()
            .join(" > ")
    }

    /// Where the resource was first declared: (file, line).
    pub fn origin(&self, id: &str) -> Option<(&str, u32)> {
        self.index
            .get(id)
            .map(|&i| (self.nodes[i].origin.0.as_str(), self.nodes[i].origin.1))
    }

    /// Problems that keep Magento from building its ACL at all (every ACL check then fails):
    /// an unreadable acl.xml, an id declared under two parents.
    pub fn fatal(&self) -> &[String] {
        &self.fatal
    }
}

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
