//! The `diagnose`/`audit` report: JSON exactly as `../shared/spec/cli.md`, and grouped text.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Finding, Severity, step_name};
use crate::report::layout::{self, FixLine};
use crate::report::style::Style;

pub const TOOL_NAME: &str = "m2auth";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

fn request_json(ctx: &Context) -> Value {
    match &ctx.request {
        Some(r) => {
            let (method, url) = r.shown();
            json!({
                "method": method,
                "url": url,
                "auth": r.auth_kind(),
            })
        }
        None => Value::Null,
    }
}

/// The JSON document of a diagnosis.
pub fn to_json(ctx: &Context, d: &Diagnosis) -> Value {
    let mut doc = json!({
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "target": {
            "root": ctx.install.root.display().to_string(),
            "magento_version": ctx.install.release.version,
            "mode": ctx.install.mode(),
            "host": store_host(ctx),
        },
        "root_cause": d.root_cause().map(|c| c.as_str()),
        "findings": d.findings,
        "skipped": d.skipped,
    });
    // The contract: without a request (store-wide) `request` is absent.
    if ctx.request.is_some() {
        doc["request"] = request_json(ctx);
    }
    // Store-wide (no request): who is refused, and facts that are not problems.
    if ctx.request.is_none() && (!d.summary.is_empty() || !d.facts.is_empty()) {
        doc["refused"] = json!(d.summary);
        doc["facts"] = json!(d.facts);
    }
    doc
}

/// The store's host, from its default base URL (secure first), for fleets of stores.
fn store_host(ctx: &Context) -> Option<String> {
    ["web/secure/base_url", "web/unsecure/base_url"]
        .iter()
        .filter_map(|p| ctx.config.get_default(p).value)
        .find_map(|u| {
            url::Url::parse(u.trim())
                .ok()?
                .host_str()
                .map(str::to_string)
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
    let width = layout::width();
    let head = format!(
        "  {} {}  ",
        severity_label(f.severity, style),
        f.code.as_str()
    );
    let head_cols = layout::columns(&head);
    for (i, line) in layout::wrap(&f.title, width.saturating_sub(head_cols).max(30))
        .iter()
        .enumerate()
    {
        if i == 0 {
            let _ = writeln!(
                out,
                "  {} {}  {line}",
                severity_label(f.severity, style),
                style.bold(f.code.as_str())
            );
        } else {
            let _ = writeln!(out, "{}{line}", " ".repeat(head_cols));
        }
    }
    let pad = "            ";
    if !f.detail.is_empty() {
        for line in layout::wrap(&f.detail, width - pad.len()) {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
    for e in &f.evidence {
        let first = format!("{pad}{} {}  ", style.dim("evidence"), e.source);
        for line in layout::hanging(&first, &e.text, pad.len() + 9, width) {
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(fix) = &f.fix {
        let first = format!("{pad}{} ", style.green("fix     "));
        for line in layout::hanging(&first, &fix.summary, pad.len() + 9, width) {
            let _ = writeln!(out, "{line}");
        }
        let inner = format!("{pad}         ");
        let mut previous = None;
        for c in &fix.commands {
            let kind = layout::fix_line_kind(c);
            let label = match kind {
                FixLine::Shell => "$ ",
                FixLine::Sql => "sql> ",
                FixLine::Note => "",
                FixLine::Config if previous == Some(FixLine::Config) => "        ",
                FixLine::Config => "config: ",
            };
            previous = Some(kind);
            // Commands are never wrapped (they are copied whole); only a command longer than
            // the line is continued, as it is, on the next.
            let _ = writeln!(out, "{inner}{label}{c}");
        }
        if let Some(p) = &fix.admin_path {
            let first = format!("{inner}admin: ");
            for line in layout::hanging(&first, p, inner.len() + 7, width) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}

/// How the request authenticates, in words, for the text report (the JSON keeps the codes).
pub(crate) fn auth_words(kind: &str) -> String {
    match kind {
        "none" => "no Authorization header".into(),
        "bearer-jwt" => "a Bearer JWT".into(),
        "bearer-jwt-admin" => "an admin token (Bearer JWT)".into(),
        "bearer-jwt-customer" => "a customer token (Bearer JWT)".into(),
        "bearer-opaque" => "a 32-character Bearer token".into(),
        "bearer-integration" => "an integration access token as Bearer".into(),
        "bearer" => "a Bearer token".into(),
        "oauth1" => "an OAuth 1.0a signature".into(),
        "basic" => "HTTP Basic credentials".into(),
        "login-admin" => "an admin username and password".into(),
        "login-customer" => "a customer e-mail and password".into(),
        "malformed" => "a malformed Authorization header".into(),
        _ => "an Authorization header of another scheme".into(),
    }
}

/// The request line of a text report: `Request: GET /rest/V1/products, with a Bearer JWT`.
pub(crate) fn request_line(r: &crate::request::RequestSpec) -> String {
    let (method, url) = r.shown();
    let url = url.unwrap_or_else(|| "(no URL given)".into());
    format!(
        "Request: {method} {url}, with {}",
        auth_words(r.auth_kind())
    )
}

/// The line that ends a store-wide report: how to diagnose one failing call.
pub const ONE_CALL_HINT: &str = "To diagnose one failing call:\n  m2auth diagnose --request \"GET /rest/V1/…\" --token <token>\n  m2auth diagnose --curl '<the curl command>'";

/// The human report: header, what is refused (store-wide), the root cause, findings grouped by
/// troubleshooting step in step order (prevention last), skipped checks, and a summary line.
pub fn to_text(ctx: &Context, d: &Diagnosis, title: &str, style: &Style) -> String {
    let mut out = String::new();
    let release = ctx
        .install
        .release
        .version
        .as_deref()
        .unwrap_or("version unknown");
    let root = ctx.install.root.display().to_string();
    let root = layout::shorten_middle(&root, layout::width().saturating_sub(50).max(30));
    let _ = writeln!(
        out,
        "{} {} — {} (Magento {}, {} mode)",
        style.bold("m2auth"),
        title,
        root,
        release,
        ctx.install.mode()
    );
    let store_wide = ctx.request.is_none() && title == "diagnose";
    match &ctx.request {
        Some(r) => {
            let _ = writeln!(out, "{}", request_line(r));
        }
        None if store_wide => {
            let _ = writeln!(
                out,
                "No request was given: every auth problem of the store, for anyone."
            );
        }
        None => {}
    }
    let _ = writeln!(out);
    if let Some(problem) = &ctx.db_problem
        && ctx.db.is_none()
    {
        for line in layout::wrap(
            &format!(
                "The database could not be read ({problem}): only the files were checked, and what needs the database is listed under Not checked."
            ),
            layout::width(),
        ) {
            let _ = writeln!(out, "{}", style.yellow(&line));
        }
        let _ = writeln!(out);
    }
    if !d.summary.is_empty() {
        let _ = writeln!(out, "{}", style.bold("Who is refused"));
        for s in &d.summary {
            for line in layout::hanging("  - ", s, 4, layout::width()) {
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out);
    }
    match d.findings.iter().find(|f| f.severity == Severity::Error) {
        Some(f) if store_wide => {
            let _ = writeln!(
                out,
                "{} {} — {}\n",
                style.red("First to fix:"),
                style.bold(f.code.as_str()),
                f.title
            );
        }
        Some(f) => {
            let _ = writeln!(out, "{}\n", root_cause_line(f, style));
        }
        None if ctx.db.is_none() => {
            let _ = writeln!(
                out,
                "{}\n",
                style.yellow("No root cause found in what could be checked: the database could not be read (see Not checked).")
            );
        }
        None if store_wide => {
            let _ = writeln!(
                out,
                "{}\n",
                if d.findings.iter().any(|f| f.step != 9) {
                    style.green("Nothing found that refuses a caller on its own.")
                } else {
                    style.green("No auth problem found for any admin, customer or integration.")
                }
            );
        }
        None => {
            let _ = writeln!(out, "{}\n", no_root_cause_line(d, style, "a"));
        }
    }
    out.push_str(&findings_text(d, style));
    for f in &d.facts {
        for line in layout::hanging("Good to know: ", f, 14, layout::width()) {
            let _ = writeln!(out, "{line}");
        }
    }
    if store_wide {
        let _ = writeln!(out, "{ONE_CALL_HINT}");
    }
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

/// Findings grouped by troubleshooting step, in step order, the prevention (audit) findings
/// last under their own heading, then the checks that did not run, and a summary line.
pub fn findings_text(d: &Diagnosis, style: &Style) -> String {
    let mut out = String::new();
    let mut steps: Vec<u8> = d.findings.iter().map(|f| f.step).collect();
    steps.sort_unstable();
    steps.dedup();
    for step in steps {
        let heading = if step == 9 {
            format!(
                "{step}. {} — not why a request fails today",
                step_name(step)
            )
        } else {
            format!("{step}. {}", step_name(step))
        };
        let _ = writeln!(out, "{}", style.bold(&heading));
        for f in d.findings.iter().filter(|f| f.step == step) {
            finding_text(&mut out, f, style);
        }
        let _ = writeln!(out);
    }
    if !d.skipped.is_empty() {
        let _ = writeln!(out, "{}", style.bold("Not checked"));
        for s in &d.skipped {
            let first = format!("  - {}: ", s.check);
            for line in layout::hanging(&first, &s.reason, 6, layout::width()) {
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out);
    }
    let count = |s: Severity| d.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{}: {}, {}, {} info",
        layout::plural(d.findings.len(), "finding", "findings"),
        layout::plural(count(Severity::Error), "error", "errors"),
        layout::plural(count(Severity::Warning), "warning", "warnings"),
        count(Severity::Info)
    );
    out
}
