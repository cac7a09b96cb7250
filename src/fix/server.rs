//! `m2auth fix`: the fixes for the findings of a diagnosis, as a plan; `--apply` carries out the
//! ones m2auth automates, each journaled (file changes: the content before, for `undo`).
//!
//! Automated today:
//! * `htaccess-auth-passthrough-missing`: Magento's stock passthrough rule restored in the
//!   docroot's `.htaccess` (the commented-out rule uncommented, else the rule inserted after
//!   `RewriteEngine on` inside `<IfModule mod_rewrite.c>`);
//! * `apache-fcgi-strips-authorization`: `CGIPassAuth On` added to the vhost's `<Directory>` for
//!   the docroot (or `SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1` to the
//!   `<VirtualHost>` when it has no such section or PHP is reached through ProxyPassMatch) —
//!   only when the configuration was named with `--server-config` (m2auth never edits a file it
//!   merely found); otherwise the plan gives the exact lines, where they go, and the reload
//!   command;
//! * `apache-htaccess-ignored`: `AllowOverride All` in the vhost's `<Directory>` for the docroot
//!   (same conditions).
//!
//! One problem gets one fix: when the `.htaccess` rule and the vhost's CGIPassAuth would each
//! pass the header on, the `.htaccess` rule (Magento's own) is chosen where the server honours
//! `.htaccess`, the vhost line where it does not, and the plan says why
//! (`all_server_fixes` makes both).
//!
//! m2auth's own steps that findings propose (`m2auth acl:grant`, `admin:user:unlock`,
//! `integration:activate`: [`super::own`]) are planned as such and carried out by `fix --apply`
//! in the application layer, each journaled by its command.
//!
//! Every other finding's fix is listed as a manual step.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::journal::{EntryMeta, Journal, Listed};
use super::own::{OwnFix, OwnStep};
use super::{FixError, Plan, Step};
use crate::checks;
use crate::checks::server::{STOCK_RULE, apache as ap_check};
use crate::context::Context;
use crate::findings::{Code, Finding, Severity};
use crate::store::server::{self, Htaccess, Kind};

/// A file edit the plan would make.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileEdit {
    pub path: PathBuf,
    pub description: String,
    /// The lines added or changed, as they will read.
    pub preview: Vec<String>,
    /// The finding it fixes.
    pub code: Code,
    /// When `path` was reached through a symbolic link (Debian's sites-enabled/*.conf): the
    /// link. The edit goes to `path`, the link's target, resolved once when the plan is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_link: Option<PathBuf>,
    #[serde(skip)]
    pub after: String,
    /// `sha256:` of the content the plan was computed from (apply refuses when it changed).
    #[serde(skip)]
    pub before_sha256: String,
}

/// A fix m2auth does not carry out: what to do by hand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manual {
    pub code: Code,
    pub summary: String,
    pub commands: Vec<String>,
}

/// The plan of `fix`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixPlan {
    pub edits: Vec<FileEdit>,
    /// m2auth's own steps (grants, unlocks, activations), carried out by `fix --apply`.
    pub own: Vec<OwnFix>,
    /// Why a fix was chosen over another for one problem (one sentence each).
    pub choices: Vec<String>,
    pub manual: Vec<Manual>,
    /// Commands to run after the edits (reloads).
    pub afterwards: Vec<String>,
}

/// What `fix` did.
#[derive(Debug, Clone, PartialEq)]
pub struct FixOutcome {
    pub plan: FixPlan,
    pub applied: Option<Listed>,
}

/// The fixes for the findings of `checks::diagnose(ctx)`: one per problem.
pub fn plan(ctx: &Context) -> FixPlan {
    plan_with(ctx, false)
}

/// [`plan`]; `all_server_fixes`: both the `.htaccess` rule and the vhost line where each would
/// pass the header on.
pub fn plan_with(ctx: &Context, all_server_fixes: bool) -> FixPlan {
    let d = checks::diagnose(ctx);
    plan_for_with(ctx, &d.findings, all_server_fixes)
}

pub fn plan_for(ctx: &Context, findings: &[Finding]) -> FixPlan {
    plan_for_with(ctx, findings, false)
}

pub fn plan_for_with(ctx: &Context, findings: &[Finding], all_server_fixes: bool) -> FixPlan {
    let mut edits = Vec::new();
    let mut own: Vec<OwnFix> = Vec::new();
    let mut choices = Vec::new();
    let mut manual = Vec::new();
    let mut afterwards = Vec::new();
    // The AllowOverride edit first: once .htaccess runs, its passthrough rule may make the
    // vhost's CGIPassAuth unneeded, and two edits of one file are not computed from one text;
    // then the .htaccess rule, then the vhost line (which is not needed when the rule works).
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    ordered.sort_by_key(|f| match f.code {
        Code::ApacheHtaccessIgnored => 0,
        Code::HtaccessAuthPassthroughMissing => 1,
        Code::ApacheFcgiStripsAuthorization => 2,
        _ => 3,
    });
    let has = |c: Code| findings.iter().any(|f| f.code == c);
    // Prevention (audit) findings are not why a call fails: they never become fixes here
    // (`m2auth audit` lists them with their advice and its consequences).
    ordered.retain(|f| f.step != 9);
    for f in ordered {
        match f.code {
            // Only when nothing else routes REST to index.php (an error): with FallbackResource
            // the vhost's CGIPassAuth is the smaller change.
            Code::ApacheHtaccessIgnored if f.severity == Severity::Error => {
                if let Some(e) = allow_override_fix(ctx) {
                    edits.push(e);
                    push_once(&mut afterwards, ap_check::RELOAD);
                    continue;
                }
            }
            Code::HtaccessAuthPassthroughMissing => {
                // A server that ignores .htaccess (and no AllowOverride edit here) never runs
                // the rule: the vhost line is the fix that works.
                let ignored = htaccess_honoured(ctx) == Some(false)
                    && !edits.iter().any(|e| e.code == Code::ApacheHtaccessIgnored);
                if ignored && has(Code::ApacheFcgiStripsAuthorization) && !all_server_fixes {
                    choices.push(
                        "the .htaccess rule is not restored: the web server ignores .htaccess for the docroot (AllowOverride None), so only the vhost line passes the header on (--all-server-fixes restores the rule too)".to_string(),
                    );
                    continue;
                }
                if let Some(e) = htaccess_fix(ctx) {
                    edits.push(e);
                    continue;
                }
            }
            Code::ApacheFcgiStripsAuthorization => {
                let rule_works = edits
                    .iter()
                    .any(|e| e.code == Code::HtaccessAuthPassthroughMissing)
                    && (htaccess_honoured(ctx) == Some(true)
                        || edits.iter().any(|e| e.code == Code::ApacheHtaccessIgnored));
                if rule_works && !all_server_fixes {
                    choices.push(
                        "the vhost is not changed: the .htaccess rule restored above passes the header on, since the web server honours .htaccess for the docroot; it is Magento's own setup and needs no reload (--all-server-fixes adds CGIPassAuth to the vhost too)".to_string(),
                    );
                    continue;
                }
                if let Some(e) = vhost_fix(ctx)
                    && !edits.iter().any(|x| x.path == e.path)
                {
                    edits.push(e);
                    push_once(&mut afterwards, ap_check::RELOAD);
                    continue;
                }
            }
            _ => {}
        }
        // m2auth's own step: carried out by --apply (one step for several findings).
        if let Some(fix) = &f.fix
            && let Some(step) = fix
                .commands
                .iter()
                .filter_map(|c| OwnStep::parse(c))
                .find(OwnStep::automated)
        {
            match own.iter_mut().find(|o| o.step == step) {
                Some(o) => {
                    if !o.codes.contains(&f.code) {
                        o.codes.push(f.code);
                    }
                }
                None => own.push(OwnFix::new(f.code, &fix.summary, step)),
            }
            continue;
        }
        let (summary, commands) = match &f.fix {
            Some(x) => (x.summary.clone(), x.commands.clone()),
            None => (f.title.clone(), Vec::new()),
        };
        manual.push(Manual {
            code: f.code,
            summary,
            commands,
        });
    }
    FixPlan {
        edits,
        own,
        choices,
        manual,
        afterwards,
    }
}

/// Whether the Apache configuration read honours the docroot's `.htaccess` (`None`: no Apache
/// configuration for this store was read).
fn htaccess_honoured(ctx: &Context) -> Option<bool> {
    let (path, host, port) = checks::server::probe(ctx);
    ctx.server()
        .configs
        .iter()
        .filter(|c| c.kind == Kind::Apache)
        .find_map(|c| ap_check::facts(c, &ctx.install.root, host.as_deref(), port, &path))
        .map(|f| f.htaccess_honoured)
}

fn push_once(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// The docroot `.htaccess` with the stock rule restored.
fn htaccess_fix(ctx: &Context) -> Option<FileEdit> {
    let file = server::docroot_htaccess(&ctx.install.root, ctx.install.docroot_is_pub())?;
    let path = ctx.install.root.join(&file.path);
    let text = std::fs::read_to_string(&path).ok()?;
    let (after, description, preview) = restore_rule(&file, &text)?;
    Some(FileEdit {
        path,
        description,
        preview,
        code: Code::HtaccessAuthPassthroughMissing,
        via_link: None,
        before_sha256: super::journal::sha256_text(&text),
        after,
    })
}

/// The text with Magento's passthrough rule restored: `(new text, description, lines)`.
pub fn restore_rule(file: &Htaccess, text: &str) -> Option<(String, String, Vec<String>)> {
    if file.passthrough_line().is_some() {
        return None;
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    let trailing = text.ends_with('\n');
    let (description, preview) = if let Some(n) = file.disabled_rule_line() {
        let l = &lines[n as usize - 1];
        let t = l.trim_start();
        let indent = &l[..l.len() - t.len()];
        let new = format!("{indent}{}", t.trim_start_matches('#'));
        lines[n as usize - 1] = new.clone();
        (
            format!("uncomment Magento's Authorization passthrough rule at line {n}"),
            vec![format!("{n}: {new}")],
        )
    } else {
        // After `RewriteEngine on` inside `<IfModule mod_rewrite.c>`.
        let mut in_rewrite = false;
        let mut at = None;
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim().to_ascii_lowercase();
            if t.starts_with("<ifmodule") && t.contains("mod_rewrite") {
                in_rewrite = true;
            } else if t.starts_with("</ifmodule") {
                in_rewrite = false;
            } else if in_rewrite
                && t.split_whitespace().collect::<Vec<_>>() == ["rewriteengine", "on"]
            {
                at = Some(i);
                break;
            }
        }
        match at {
            Some(i) => {
                let l = &lines[i];
                let indent = &l[..l.len() - l.trim_start().len()];
                let new = format!("{indent}{STOCK_RULE}");
                lines.insert(i + 1, new.clone());
                (
                    format!(
                        "insert Magento's Authorization passthrough rule after `RewriteEngine on` (line {})",
                        i + 1
                    ),
                    vec![format!("{}: {new}", i + 2)],
                )
            }
            None => {
                let block = vec![
                    "<IfModule mod_rewrite.c>".to_string(),
                    "    RewriteEngine on".to_string(),
                    format!("    {STOCK_RULE}"),
                    "</IfModule>".to_string(),
                ];
                let first = lines.len() + 1;
                lines.extend(block.clone());
                (
                    "append a mod_rewrite block with Magento's Authorization passthrough rule"
                        .to_string(),
                    block
                        .iter()
                        .enumerate()
                        .map(|(k, l)| format!("{}: {l}", first + k))
                        .collect(),
                )
            }
        }
    };
    let mut out = lines.join(eol);
    if trailing {
        out.push_str(eol);
    }
    Some((out, description, preview))
}

/// The vhost lines, as an edit when the vhost's file came from `--server-config`.
fn vhost_fix(ctx: &Context) -> Option<FileEdit> {
    let (path, host, port) = checks::server::probe(ctx);
    for c in ctx
        .server()
        .configs
        .iter()
        .filter(|c| c.kind == Kind::Apache && c.given)
    {
        let Some(f) = ap_check::facts(c, &ctx.install.root, host.as_deref(), port, &path) else {
            continue;
        };
        if !(f.handoff.strips() && f.passthrough.is_none() && !f.htaccess_passthrough) {
            continue;
        }
        let (file, line, add) = ap_check::vhost_fix_lines(&f);
        // Debian's sites-enabled/*.conf are links to sites-available/: the edit goes to the
        // link's target (resolved here, once, and named in the plan and the journal), so the
        // link stays a link and `a2dissite` keeps working.
        let (target, via_link) = match std::fs::symlink_metadata(&file) {
            Ok(m) if m.file_type().is_symlink() => {
                (std::fs::canonicalize(&file).ok()?, Some(file.clone()))
            }
            _ => (file.clone(), None),
        };
        let text = std::fs::read_to_string(&target).ok()?;
        let (after, preview) = insert_after(&text, line, &add)?;
        return Some(FileEdit {
            description: match &via_link {
                Some(l) => format!(
                    "add `{}` after line {line} (the target of the link {})",
                    add.join("; "),
                    l.display()
                ),
                None => format!("add `{}` after line {line}", add.join("; ")),
            },
            path: target,
            preview,
            code: Code::ApacheFcgiStripsAuthorization,
            via_link,
            before_sha256: super::journal::sha256_text(&text),
            after,
        });
    }
    None
}

/// `AllowOverride All` in the vhost's `<Directory>` for the docroot (the line replaced when the
/// section sets AllowOverride, else inserted after its opening line), as an edit when the vhost's
/// file came from `--server-config`. A docroot without its own section in the vhost: no edit
/// (the plan prints the lines; m2auth does not widen a server-wide section).
fn allow_override_fix(ctx: &Context) -> Option<FileEdit> {
    let (path, host, port) = checks::server::probe(ctx);
    for c in ctx
        .server()
        .configs
        .iter()
        .filter(|c| c.kind == Kind::Apache && c.given)
    {
        let Some(f) = ap_check::facts(c, &ctx.install.root, host.as_deref(), port, &path) else {
            continue;
        };
        if f.htaccess_honoured {
            continue;
        }
        let Some(d) = f.docroot_section else {
            continue;
        };
        let (target, via_link) = match std::fs::symlink_metadata(&d.file) {
            Ok(m) if m.file_type().is_symlink() => {
                (std::fs::canonicalize(&d.file).ok()?, Some(d.file.clone()))
            }
            _ => (d.file.clone(), None),
        };
        let text = std::fs::read_to_string(&target).ok()?;
        let existing = d
            .children()
            .iter()
            .rev()
            .find(|n| n.is("AllowOverride") && n.file == d.file);
        let (after, preview, what) = match existing {
            Some(n) => {
                let (after, preview) = replace_line(&text, n.line, "AllowOverride All")?;
                (
                    after,
                    preview,
                    format!(
                        "set `AllowOverride All` at line {} (was `{}`)",
                        n.line,
                        n.text(true)
                    ),
                )
            }
            None => {
                let (after, preview) =
                    insert_after(&text, d.line, &["AllowOverride All".to_string()])?;
                (
                    after,
                    preview,
                    format!("add `AllowOverride All` after line {}", d.line),
                )
            }
        };
        return Some(FileEdit {
            description: match &via_link {
                Some(l) => format!("{what} (the target of the link {})", l.display()),
                None => what,
            },
            path: target,
            preview,
            code: Code::ApacheHtaccessIgnored,
            via_link,
            before_sha256: super::journal::sha256_text(&text),
            after,
        });
    }
    None
}

/// Replace 1-based line `n` by `new`, keeping its indentation.
pub fn replace_line(text: &str, n: u32, new: &str) -> Option<(String, Vec<String>)> {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    let i = (n as usize).checked_sub(1).filter(|i| *i < lines.len())?;
    let l = &lines[i];
    let indent = l[..l.len() - l.trim_start().len()].to_string();
    lines[i] = format!("{indent}{new}");
    let preview = vec![format!("{n}: {}", lines[i])];
    let mut out = lines.join(eol);
    if text.ends_with('\n') {
        out.push_str(eol);
    }
    Some((out, preview))
}

/// Insert lines after 1-based line `n`: indented one step deeper than a section's opening line,
/// else like line `n`.
pub fn insert_after(text: &str, n: u32, add: &[String]) -> Option<(String, Vec<String>)> {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    let i = (n as usize).checked_sub(1).filter(|i| *i < lines.len())?;
    let l = &lines[i];
    let t = l.trim_start();
    let mut indent = l[..l.len() - t.len()].to_string();
    if t.starts_with('<') {
        indent.push_str("    ");
    }
    let mut preview = Vec::new();
    for (k, a) in add.iter().enumerate() {
        let new = format!("{indent}{a}");
        preview.push(format!("{}: {new}", i + 2 + k));
        lines.insert(i + 1 + k, new);
    }
    let mut out = lines.join(eol);
    if text.ends_with('\n') {
        out.push_str(eol);
    }
    Some((out, preview))
}

/// Apply the plan's edits, journaled as one entry.
pub fn apply(
    ctx: &Context,
    plan: &FixPlan,
    command: Vec<String>,
) -> Result<Option<Listed>, FixError> {
    if plan.edits.is_empty() {
        return Ok(None);
    }
    // The edits were computed from the files as the plan read them: a file changed since (by
    // hand, by another run) is refused rather than overwritten with a stale result.
    for e in &plan.edits {
        let now = std::fs::read_to_string(&e.path).map_err(|source| FixError::Io {
            path: e.path.clone(),
            source,
        })?;
        if super::journal::sha256_text(&now) != e.before_sha256 {
            return Err(FixError::Refused(format!(
                "{} changed since the plan was computed: nothing was changed; run fix again",
                e.path.display()
            )));
        }
    }
    let journal = Journal::for_root(&ctx.install.root);
    let meta = EntryMeta {
        // No "fix:" prefix: the entry's id already ends in `-fix` (undo --list shows both).
        title: {
            let t = plan
                .edits
                .iter()
                .map(|e| format!("{} in {}", e.description, display(&e.path)))
                .collect::<Vec<_>>()
                .join("; ");
            let mut c = t.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        },
        slug: "fix".into(),
        command,
        masker: ctx.masker.clone(),
    };
    let edits: Vec<(PathBuf, String, String)> = plan
        .edits
        .iter()
        .map(|e| (e.path.clone(), e.after.clone(), e.description.clone()))
        .collect();
    journal.apply_files(&meta, &edits)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

impl FixPlan {
    /// The plan in the shape of the other commands' plans.
    pub fn as_plan(&self) -> Plan {
        let mut notes = Vec::new();
        if self.edits.is_empty() && self.manual.is_empty() && self.own.is_empty() {
            notes.push("the diagnosis found nothing to fix".to_string());
        }
        Plan {
            title: "fix the findings of the diagnosis".into(),
            notes,
            steps: self
                .edits
                .iter()
                .map(|e| Step {
                    description: format!("{} ({}): {}", display(&e.path), e.code, e.description),
                    sql_preview: e.preview.join("\n"),
                })
                .collect(),
            effects: Vec::new(),
            cache_notice: self.afterwards.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ht(text: &str) -> Htaccess {
        Htaccess {
            path: "pub/.htaccess".into(),
            lines: text.lines().map(str::to_string).collect(),
        }
    }

    #[test]
    fn uncomments_or_inserts_the_rule() {
        let text = "<IfModule mod_rewrite.c>\n    RewriteEngine on\n    #RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]\n</IfModule>\n";
        let (out, _, preview) = restore_rule(&ht(text), text).unwrap();
        assert!(
            out.contains("\n    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]\n")
        );
        assert_eq!(
            preview,
            vec!["3:     RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]"]
        );
        let text = "Options -Indexes\n<IfModule mod_rewrite.c>\n  RewriteEngine On\n  RewriteRule .* index.php [L]\n</IfModule>\n";
        let (out, _, _) = restore_rule(&ht(text), text).unwrap();
        assert_eq!(
            out,
            "Options -Indexes\n<IfModule mod_rewrite.c>\n  RewriteEngine On\n  RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]\n  RewriteRule .* index.php [L]\n</IfModule>\n"
        );
        let text = "Options -Indexes\r\n";
        let (out, _, _) = restore_rule(&ht(text), text).unwrap();
        assert!(out.ends_with("</IfModule>\r\n") && out.contains("\r\n    RewriteEngine on\r\n"));
        let ok = "RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]\n";
        assert!(restore_rule(&ht(ok), ok).is_none());
    }

    #[test]
    fn inserts_inside_a_section() {
        let text = "<VirtualHost *:80>\n  DocumentRoot /x\n  <Directory /x>\n    Require all granted\n  </Directory>\n</VirtualHost>\n";
        let (out, preview) = insert_after(text, 3, &["CGIPassAuth On".to_string()]).unwrap();
        assert!(out.contains("  <Directory /x>\n      CGIPassAuth On\n    Require all granted\n"));
        assert_eq!(preview, vec!["4:       CGIPassAuth On"]);
        let (out, _) = insert_after(text, 2, &["SetEnvIf x".to_string()]).unwrap();
        assert!(out.contains("  DocumentRoot /x\n  SetEnvIf x\n"));
    }
}
