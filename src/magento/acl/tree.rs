//! The ACL resource tree: parsing one `etc/acl.xml`, and merging every enabled module's files
//! into [`AclTree`] as `Acl\AclResource\Config\Reader\Filesystem` and `TreeBuilder` do (see
//! the parent module for what is reproduced). Pure.

use std::collections::HashMap;

use super::ADMIN;

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
pub(super) struct TreeNode {
    pub(super) resource: Resource,
    pub(super) origin: (String, u32),
    pub(super) parent: Option<usize>,
    pub(super) children: Vec<usize>,
    /// One past the last node of this node's subtree (nodes are in depth-first order).
    pub(super) end: usize,
}

/// The merged ACL resource tree, in depth-first, sortOrder order.
#[derive(Debug, Clone, Default)]
pub struct AclTree {
    // Read by the evaluation (`eval`), which copies the shape of the tree.
    pub(super) nodes: Vec<TreeNode>,
    pub(super) index: HashMap<String, usize>,
    roots: Vec<usize>,
    pub(super) fatal: Vec<String>,
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
