//! A unit test that keeps the top-level modules layered: a module may use the ones below it,
//! never one above it. The order is `magento` (pure knowledge, no I/O) → `store` (all file and
//! database I/O) → `context` (the shared loader) → `checks` → `fix` / `live` → `report` → `app`
//! → the binary's `cli`. Checked here:
//!
//! * `magento/` uses none of `store`, `context`, `checks`, `fix`, `live`, `report`, `request`,
//!   `error`;
//! * `store/` uses none of `context`, `checks`, `fix`, `live`, `report`, `request`, `error`
//!   (store returns its own errors; `crate::Error` wraps them);
//! * `context` uses none of `checks`, `fix`, `live`, `report`, `app`, `cli`;
//! * `checks/` uses none of `fix`, `live`, `report`;
//! * `report/` uses neither `app` nor `cli`.
//!
//! Hand-written, grep-like, rather than a dependency-graph tool: the crate is one package, so
//! tools that work on crates (cargo-deny, cargo-modules) do not see its modules, and a text scan
//! is enough. Every `.rs` file under the module's folder is read, comments (`//…`, `/* … */`)
//! are dropped, and each path is resolved to the top-level module it names:
//! `crate::X…` (and `crate::Error` / `crate::Result`, re-exports of `error`) names `X`;
//! `super::…` is resolved from the file's place in the tree (`src/store/db/mod.rs` is
//! `store::db`, so `super::super::X` there names `X`); `{…}` groups are followed. Inside the
//! inline `mod tests { … }`, `super` starts one level deeper, as it does for the compiler; the
//! test module is taken to run to the end of the file (where this crate keeps it), so a `super::`
//! path written after it would be read one level too deep. Text inside string literals is not
//! told apart from code; no message in the crate names such a path.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// (module, the top-level modules it must not use).
    const RULES: &[(&str, &[&str])] = &[
        (
            "magento",
            &[
                "store", "context", "checks", "fix", "live", "report", "request", "error", "cli",
            ],
        ),
        (
            "store",
            &[
                "context", "checks", "fix", "live", "report", "request", "error", "cli",
            ],
        ),
        (
            "context",
            &["checks", "fix", "live", "report", "app", "cli"],
        ),
        ("checks", &["fix", "live", "report", "cli"]),
        ("report", &["app", "cli"]),
    ];

    /// The text without `//` line comments and `/* */` block comments (strings are not parsed:
    /// a `//` inside one cuts the rest of that line, which can only hide a path, never add one).
    fn strip_comments(src: &str) -> String {
        let mut out = String::with_capacity(src.len());
        let mut rest = src;
        loop {
            let line = rest.find("//");
            let block = rest.find("/*");
            match (line, block) {
                (Some(l), b) if b.is_none_or(|b| l < b) => {
                    out.push_str(&rest[..l]);
                    match rest[l..].find('\n') {
                        Some(n) => rest = &rest[l + n..],
                        None => return out,
                    }
                }
                (_, Some(b)) => {
                    out.push_str(&rest[..b]);
                    match rest[b + 2..].find("*/") {
                        Some(e) => {
                            // Keep the line count (for the line numbers reported).
                            let skipped = &rest[b..b + 2 + e + 2];
                            out.extend(skipped.chars().filter(|&c| c == '\n'));
                            rest = &rest[b + 2 + e + 2..];
                        }
                        None => return out,
                    }
                }
                (None, None) => {
                    out.push_str(rest);
                    return out;
                }
                _ => unreachable!(),
            }
        }
    }

    fn is_ident(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    /// The identifier at the start of `s` (empty when none: `*`, `{`…).
    fn ident(s: &str) -> &str {
        let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
        &s[..end]
    }

    /// The names a path names at the crate root: `fix` of `fix::Plan`, `fix` and `store` of
    /// `{fix::Plan, store}` (a group may span lines; `self` and `*` name nothing).
    fn root_names(rest: &str) -> Vec<String> {
        let Some(group) = rest.strip_prefix('{') else {
            let name = ident(rest);
            return match name {
                "" | "self" => Vec::new(),
                // Re-exports of `error` at the crate root.
                "Error" | "Result" => vec!["error".to_string()],
                n => vec![n.to_string()],
            };
        };
        let mut names = Vec::new();
        let mut depth = 0;
        let mut item_start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    names.extend(root_names(group[item_start..i].trim()));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    names.extend(root_names(group[item_start..i].trim()));
                    item_start = i + 1;
                }
                _ => {}
            }
        }
        names
    }

    /// The top-level module each path in `src` names, with its 1-based line: `module_path` is
    /// the file's module (`["store", "db"]` for `src/store/db/mod.rs`).
    fn top_level_paths(src: &str, module_path: &[String]) -> Vec<(String, usize)> {
        let code = strip_comments(src);
        let line_of = |pos: usize| code[..pos].matches('\n').count() + 1;
        // Where the inline test module starts: `super` is one level deeper after it.
        let tests_at = code
            .match_indices("mod tests {")
            .map(|(i, _)| i)
            .find(|&i| code[..i].ends_with('\n') || code[..i].ends_with("\npub "))
            .unwrap_or(code.len());
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(found) = code[at..].find(['c', 's']) {
            let pos = at + found;
            at = pos + 1;
            if code[..pos].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let here = &code[pos..];
            if let Some(rest) = here.strip_prefix("crate::") {
                for name in root_names(rest) {
                    out.push((name, line_of(pos)));
                }
            } else if here.starts_with("super::") {
                let mut rest = here;
                let mut ups = 0;
                while let Some(r) = rest.strip_prefix("super::") {
                    rest = r;
                    ups += 1;
                }
                at = pos + (here.len() - rest.len());
                let depth = module_path.len() + usize::from(pos > tests_at);
                if ups >= depth {
                    // Reaches the crate root (beyond it does not compile).
                    for name in root_names(rest) {
                        out.push((name, line_of(pos)));
                    }
                } else if let Some(top) = module_path.first() {
                    out.push((top.clone(), line_of(pos)));
                }
            }
        }
        out
    }

    /// Every `.rs` file under `dir`, with its module path (`src` itself is the crate root).
    fn rust_files(src_root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<String>)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                rust_files(src_root, &p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(src_root).unwrap();
                let mut module: Vec<String> = rel
                    .iter()
                    .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
                    .collect();
                if module.last().is_some_and(|m| m == "mod") {
                    module.pop();
                }
                out.push((p, module));
            }
        }
    }

    #[test]
    fn lower_modules_do_not_use_higher_ones() {
        let src_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut violations = Vec::new();
        for (module, forbidden) in RULES {
            let mut files = Vec::new();
            let dir = src_root.join(module);
            if dir.is_dir() {
                rust_files(&src_root, &dir, &mut files);
            }
            let single = src_root.join(format!("{module}.rs"));
            if single.is_file() {
                files.push((single, vec![module.to_string()]));
            }
            assert!(!files.is_empty(), "no source files for module {module}");
            for (path, module_path) in files {
                let text = std::fs::read_to_string(&path).unwrap();
                for (name, line) in top_level_paths(&text, &module_path) {
                    if forbidden.contains(&name.as_str()) {
                        violations.push(format!(
                            "{}:{line}: `{module}` uses `{name}`, a module above it",
                            path.strip_prefix(&src_root).unwrap_or(&path).display()
                        ));
                    }
                }
            }
        }
        assert!(
            violations.is_empty(),
            "layering broken (see src/layering.rs):\n{}",
            violations.join("\n")
        );
    }

    #[test]
    fn the_scan_finds_paths_and_skips_comments() {
        let m = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let src = "use crate::store::db::Row;\n\
                   // use crate::fix::Plan;\n\
                   /* crate::live::x\n crate::report */ fn f() -> crate::Result<()> { Ok(()) }\n\
                   use super::super::checks::Context;\n\
                   use super::acl::Acl;\n\
                   let s = \"http://x\"; mycrate::fix::y();\n\
                   #[cfg(test)]\n\
                   mod tests {\n    use super::*;\n    use super::super::super::fix;\n}\n";
        let found = top_level_paths(src, &m(&["magento", "acl"]));
        let names: Vec<(&str, usize)> = found.iter().map(|(n, l)| (n.as_str(), *l)).collect();
        assert_eq!(
            names,
            vec![
                ("store", 1),
                ("error", 4),
                ("checks", 5),
                ("magento", 6),
                ("magento", 10),
                ("fix", 11),
            ]
        );
        // In a top-level file, `super::` is the crate root; groups may span lines.
        let found = top_level_paths(
            "use super::{\n    fix::Plan,\n    store::{db, root},\n    self,\n};\n",
            &m(&["request"]),
        );
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["fix", "store"]);
    }
}
