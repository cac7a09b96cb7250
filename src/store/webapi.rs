//! Reads every module's `etc/webapi.xml` into a [`RouteIndex`] (the merging and matching live in
//! [`crate::magento::routes`]).
//!
//! * [`load_routes`]: the ENABLED modules, in config.php order (the order Magento merges in):
//!   the routes Magento serves.
//! * [`load_disabled_routes`]: the DISABLED modules (config.php order, then modules found only on
//!   disk), merged into a separate index, so a request that matches nothing served can be
//!   resolved there: a match means "this route belongs to Magento_X, which is disabled"
//!   (finding `route-module-disabled`).
//!
//! A module without a folder on disk or without `etc/webapi.xml` contributes nothing. A file
//! that cannot be read or is not well-formed XML is a [`LoadProblem`] (Magento itself would fail
//! every REST request on it); the other files are still loaded.

use std::path::PathBuf;

use crate::magento::routes::RouteIndex;
use crate::store::modules::{Module, ModuleSet};

/// A webapi.xml that could not be used (whole file), or a `<route>` in it that was skipped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadProblem {
    pub module: String,
    pub path: PathBuf,
    /// 1-based line, when the problem has one.
    pub line: Option<u32>,
    pub message: String,
}

/// The routes Magento serves: every enabled module's `etc/webapi.xml`, merged in config.php
/// order.
pub fn load_routes(modules: &ModuleSet) -> (RouteIndex, Vec<LoadProblem>) {
    load(modules.enabled())
}

/// The routes of the disabled modules, merged among themselves (not with the enabled ones).
pub fn load_disabled_routes(modules: &ModuleSet) -> (RouteIndex, Vec<LoadProblem>) {
    load(modules.disabled())
}

fn load<'a>(modules: impl Iterator<Item = &'a Module>) -> (RouteIndex, Vec<LoadProblem>) {
    let mut index = RouteIndex::new();
    let mut problems = Vec::new();
    for m in modules {
        let Some(dir) = &m.dir else { continue };
        let path = dir.join("etc/webapi.xml");
        let problem = |line, message| LoadProblem {
            module: m.name.clone(),
            path: path.clone(),
            line,
            message,
        };
        let text = match crate::store::fsread::read_capped(
            &path,
            crate::store::fsread::STORE_FILE_BYTES,
        ) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(problem(None, format!("not UTF-8: {e}")));
                    continue;
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                problems.push(problem(None, e.to_string()));
                continue;
            }
        };
        match index.add_file(&m.name, &path, &text) {
            Ok(skipped) => problems.extend(
                skipped
                    .into_iter()
                    .map(|e| problem(Some(e.line), e.message)),
            ),
            Err(e) => problems.push(problem(Some(e.line), e.message)),
        }
    }
    (index, problems)
}
