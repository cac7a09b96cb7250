//! Whether the modules' XML files Magento must read are well-formed: every module's
//! `etc/module.xml` (read by the module list at start-up, enabled or not), and the enabled
//! modules' `etc/webapi.xml` and `etc/acl.xml` (merged into the REST routes and the ACL). A file
//! that is not well-formed (left-over merge markers `<<<<<<< HEAD`, a truncated copy) makes
//! Magento stop with "Invalid Document" where the other readers of m2auth would quietly read
//! nothing from it.

use std::path::PathBuf;

use crate::store::fsread;
use crate::store::modules::ModuleSet;

/// One XML file Magento cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlProblem {
    pub module: String,
    /// `module.xml`, `webapi.xml` or `acl.xml`.
    pub kind: &'static str,
    pub path: PathBuf,
    /// 1-based, when the parser names one.
    pub line: Option<u32>,
    pub message: String,
}

/// The module XML files that are there but not well-formed (or cannot be read), in module order.
pub fn problems(modules: &ModuleSet) -> Vec<XmlProblem> {
    let mut out = Vec::new();
    for m in modules.enabled().chain(modules.disabled()) {
        let Some(dir) = &m.dir else { continue };
        let kinds: &[&'static str] = if m.enabled {
            &["module.xml", "webapi.xml", "acl.xml"]
        } else {
            &["module.xml"]
        };
        for kind in kinds {
            let path = dir.join("etc").join(kind);
            let problem = |line, message| XmlProblem {
                module: m.name.clone(),
                kind,
                path: path.clone(),
                line,
                message,
            };
            let bytes = match fsread::read_capped(&path, fsread::STORE_FILE_BYTES) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    out.push(problem(None, format!("cannot be read: {e}")));
                    continue;
                }
            };
            if let Some((line, message)) = check(&bytes) {
                out.push(problem(line, message));
            }
        }
    }
    out
}

/// `None` when the bytes are a well-formed XML document, else the line (1-based) and why.
pub fn check(bytes: &[u8]) -> Option<(Option<u32>, String)> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32
                + 1;
            return Some((Some(line), "not UTF-8".into()));
        }
    };
    match roxmltree::Document::parse(text) {
        Ok(_) => None,
        Err(e) => Some((Some(e.pos().row), one_line(&e.to_string()))),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_markers_are_not_well_formed_with_their_line() {
        let ok = b"<?xml version=\"1.0\"?>\n<config><module name=\"A_B\"/></config>\n";
        assert_eq!(check(ok), None);
        let bad = b"<?xml version=\"1.0\"?>\n<config>\n<<<<<<< HEAD\n<module name=\"A_B\"/>\n=======\n>>>>>>> x\n</config>\n";
        let (line, why) = check(bad).unwrap();
        assert_eq!(line, Some(3), "{why}");
        assert!(!why.contains('\n'));
        assert_eq!(check(b"<a>\xff</a>").unwrap().0, Some(1));
    }
}
