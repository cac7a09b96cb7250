//! The `diagnose`/`audit` report: JSON exactly as `../shared/spec/cli.md`, and grouped text.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Finding, Severity, step_name};
use crate::report::style::Style;

pub const TOOL_NAME: &str = "m2auth";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

fn request_json(ctx: &Context) -> Value {
    match &ctx.request {
        Some(r) => json!({
            "method": r.method,
            "url": r.target.as_ref().map(|t| t.display()),
            "auth": r.auth_kind(),
        }),
        None => Value::Null,
    }
}

/// The JSON document of a diagnosis.
pub fn to_json(ctx: &Context, d: &Diagnosis) -> Value {
    json!({
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "target": {
            "root": ctx.install.root.display().to_string(),
            "magento_version": ctx.install.release.version,
            "mode": ctx.install.mode(),
        },
        "request": request_json(ctx),
        "root_cause": d.root_cause().map(|c| c.as_str()),
        "findings": d.findings,
        "skipped": d.skipped,
    })
}

fn severity_label(s: Severity, style: &Style) -> String {
    match s {
        Severity::Error => style.red("error  "),
        Severity::Warning => style.yellow("warning"),
        Severity::Info => style.blue("info   "),
    }
}

pub(crate) fn finding_text(out: &mut String, f: &Finding, style: &Style) {
    let _ = writeln!(
        out,
        "  {} {}  {}",
        severity_label(f.severity, style),
        style.bold(f.code.as_str()),
        f.title
    );
    let pad = "            ";
    if !f.detail.is_empty() {
        for line in wrap(&f.detail, 88) {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
    for e in &f.evidence {
        let _ = writeln!(
            out,
            "{pad}{} {}  {}",
            style.dim("evidence"),
            e.source,
            e.text
        );
    }
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "{pad}{} {}", style.green("fix     "), fix.summary);
        for c in &fix.commands {
            let _ = writeln!(out, "{pad}         $ {c}");
        }
        if let Some(p) = &fix.admin_path {
            let _ = writeln!(out, "{pad}         admin: {p}");
        }
    }
}

/// The human report: header, root cause, findings grouped by troubleshooting step (in ranked
/// order of their first finding), skipped checks, and a summary line.
pub fn to_text(ctx: &Context, d: &Diagnosis, title: &str, style: &Style) -> String {
    let mut out = String::new();
    let release = ctx
        .install
        .release
        .version
        .as_deref()
        .unwrap_or("version unknown");
    let _ = writeln!(
        out,
        "{} {} — {} (Magento {}, {} mode)",
        style.bold("m2auth"),
        title,
        ctx.install.root.display(),
        release,
        ctx.install.mode()
    );
    if let Some(r) = &ctx.request {
        let url = r
            .target
            .as_ref()
            .map(|t| t.display())
            .unwrap_or_else(|| "(no target)".into());
        let _ = writeln!(
            out,
            "Request: {} {} (auth: {})",
            r.method,
            url,
            r.auth_kind()
        );
    }
    let _ = writeln!(out);
    match d.findings.iter().find(|f| f.severity == Severity::Error) {
        Some(f) => {
            let _ = writeln!(out, "{}\n", root_cause_line(f, style));
        }
        None if d.skipped.iter().any(|s| s.check == "database") => {
            let _ = writeln!(
                out,
                "{}\n",
                style.yellow("No root cause found in what could be checked: the database could not be read (see Not checked).")
            );
        }
        None => {
            let _ = writeln!(out, "{}\n", no_root_cause_line(d, style, "a"));
        }
    }
    out.push_str(&findings_text(d, style));
    out
}

/// `Root cause: <code> — <title>` for the finding that makes the request fail.
pub(crate) fn root_cause_line(f: &Finding, style: &Style) -> String {
    format!(
        "{} {} — {}",
        style.red("Root cause:"),
        style.bold(f.code.as_str()),
        f.title
    )
}

/// What the text report says when no finding is an error: "No problems found." without any
/// finding, else that nothing alone makes `which` ("a", "the") request fail.
pub(crate) fn no_root_cause_line(d: &Diagnosis, style: &Style, which: &str) -> String {
    if d.findings.is_empty() {
        style.green("No problems found.")
    } else {
        style.green(&format!(
            "No root cause found: nothing here alone makes {which} request fail."
        ))
    }
}

/// Findings grouped by troubleshooting step (in ranked order of their first finding), the
/// checks that did not run, and a summary line.
pub fn findings_text(d: &Diagnosis, style: &Style) -> String {
    let mut out = String::new();
    let mut steps: Vec<u8> = Vec::new();
    for f in &d.findings {
        if !steps.contains(&f.step) {
            steps.push(f.step);
        }
    }
    for step in steps {
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!("{step}. {}", step_name(step)))
        );
        for f in d.findings.iter().filter(|f| f.step == step) {
            finding_text(&mut out, f, style);
        }
        let _ = writeln!(out);
    }
    if !d.skipped.is_empty() {
        let _ = writeln!(out, "{}", style.bold("Not checked"));
        for s in &d.skipped {
            let _ = writeln!(out, "  - {}: {}", s.check, s.reason);
        }
        let _ = writeln!(out);
    }
    let count = |s: Severity| d.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{} finding(s): {} error(s), {} warning(s), {} info",
        d.findings.len(),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    out
}

/// Greedy word wrap for detail paragraphs.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}
