//! Reads every enabled module's `etc/schema.graphqls` (Magento merges them into one schema) into
//! the root fields and their resolvers ([`crate::magento::graphql::root_fields`]), and tells
//! whether the installed Magento_CustomerGraphQl validates Bearer tokens before any resolver
//! (2.4.8+). A file that cannot be read or parsed is a problem; the others are still loaded.

use std::path::PathBuf;

use crate::magento::graphql::{self, OpKind, RootField};
use crate::store::modules::ModuleSet;

/// A root field and where it is declared.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredField {
    pub field: RootField,
    pub module: String,
    pub path: PathBuf,
}

/// The merged root fields of the enabled modules.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub fields: Vec<DeclaredField>,
    /// `path: why` for files that could not be used.
    pub problems: Vec<String>,
    /// How many schema files were read.
    pub files: usize,
}

impl Schema {
    /// The field a module declared last (a later module's declaration replaces an earlier one).
    pub fn find(&self, kind: OpKind, name: &str) -> Option<&DeclaredField> {
        self.fields
            .iter()
            .rev()
            .find(|f| f.field.kind == kind && f.field.name == name)
    }
}

/// The schema of the enabled modules, in config.php order.
pub fn load_schema(modules: &ModuleSet) -> Schema {
    load(modules.enabled())
}

/// The schema files of the disabled modules (to tell "its module is disabled" from "no such
/// field").
pub fn load_disabled_schema(modules: &ModuleSet) -> Schema {
    load(modules.disabled())
}

fn load<'a>(modules: impl Iterator<Item = &'a crate::store::modules::Module>) -> Schema {
    let mut s = Schema::default();
    for m in modules {
        let Some(dir) = &m.dir else { continue };
        let path = dir.join("etc/schema.graphqls");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                s.problems.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        s.files += 1;
        match graphql::root_fields(&text) {
            Ok(fields) => s
                .fields
                .extend(fields.into_iter().map(|field| DeclaredField {
                    field,
                    module: m.name.clone(),
                    path: path.clone(),
                })),
            Err(e) => s.problems.push(format!("{}: {e}", path.display())),
        }
    }
    s
}

/// Whether the installed Magento_CustomerGraphQl has the 2.4.8 Bearer validator; `None` when
/// the module's folder is not found.
pub fn has_authorization_validator(modules: &ModuleSet) -> Option<bool> {
    let dir = modules.get(graphql::CUSTOMER_MODULE)?.dir.as_ref()?;
    Some(dir.join(graphql::AUTHORIZATION_VALIDATOR).is_file())
}
