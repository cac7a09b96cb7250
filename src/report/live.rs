//! The `request` report (and the live part of `diagnose`): diagnose's JSON shape plus
//! `response`; text with the response summary before the findings.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::checks::{Context, Diagnosis};
use crate::findings::Severity;
use crate::live::canary::CanaryRun;
use crate::live::explain::Offline;
use crate::live::session::{LiveOutcome, response_json, shown_header};
use crate::report::diagnosis::{
    TOOL_NAME, TOOL_VERSION, findings_text, no_root_cause_line, root_cause_line,
};
use crate::report::style::Style;

/// Everything the live part produced.
pub struct LiveReport<'a> {
    pub outcome: &'a LiveOutcome,
    pub offline: &'a Offline,
    pub canary: Option<&'a CanaryRun>,
}

fn request_json(o: &LiveOutcome) -> Value {
    json!({
        "method": o.method,
        "url": o.url,
        "auth": o.sent.auth_kind(),
    })
}

/// The JSON document: `tool`, `target`, `request`, `root_cause`, `findings`, `skipped` as
/// diagnose, and `response`.
pub fn to_json(ctx: Option<&Context>, d: &Diagnosis, live: &LiveReport<'_>) -> Value {
    let mut doc = match ctx {
        Some(ctx) => crate::report::diagnosis::to_json(ctx, d),
        None => json!({
            "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
            "target": {"root": null, "magento_version": null, "mode": null},
            "request": null,
            "root_cause": d.root_cause().map(|c| c.as_str()),
            "findings": d.findings,
            "skipped": d.skipped,
        }),
    };
    doc["request"] = request_json(live.outcome);
    doc["response"] = response_json(live.outcome, live.offline, live.canary);
    doc
}

/// The response block of the text report.
pub fn response_text(live: &LiveReport<'_>, style: &Style) -> String {
    let mut out = String::new();
    let o = live.outcome;
    if let Some(l) = &o.login {
        let _ = writeln!(
            out,
            "Login:    POST {} → {}{}",
            l.url,
            l.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no answer".into()),
            if l.obtained {
                ", token obtained and used as Bearer"
            } else {
                ", no token handed out"
            }
        );
    }
    match &o.exchange {
        Ok(r) => {
            let _ = writeln!(
                out,
                "Response: {} in {} ms — {}",
                style.bold(&r.status.to_string()),
                r.elapsed_ms,
                o.class.summary()
            );
            for (n, v) in &r.headers {
                if [
                    "server",
                    "www-authenticate",
                    "location",
                    "content-type",
                    "set-cookie",
                    "cf-ray",
                    "x-sucuri-id",
                    "x-iinfo",
                    "x-amz-cf-id",
                    "via",
                ]
                .contains(&n.as_str())
                {
                    let _ = writeln!(out, "          {n}: {}", shown_header(n, v));
                }
            }
            let body = crate::live::session::excerpt(&r.body);
            let one_line: String = body
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(300)
                .collect();
            if !one_line.is_empty() {
                let _ = writeln!(out, "          body: {one_line}");
            }
        }
        Err(u) => {
            let _ = writeln!(
                out,
                "Response: {} — {}",
                style.red("none"),
                o.class.summary()
            );
            let _ = u;
        }
    }
    if o.insecure {
        let _ = writeln!(
            out,
            "TLS:      {}",
            style.red(
                "NOT verified (--insecure): anyone between here and the store could have answered"
            )
        );
    }
    if let Some(c) = live.canary {
        let _ = writeln!(
            out,
            "Canary:   {}{}",
            c.outcome.summary(),
            if c.removed {
                " (file removed)".to_string()
            } else {
                format!(" ({} could NOT be removed: delete it)", c.file.display())
            }
        );
    }
    let _ = writeln!(out, "Offline:  {}", live.offline.describe());
    out
}

/// The text report of `request`.
pub fn to_text(
    ctx: Option<&Context>,
    d: &Diagnosis,
    live: &LiveReport<'_>,
    title: &str,
    style: &Style,
) -> String {
    let mut out = String::new();
    match ctx {
        Some(ctx) => {
            let _ = writeln!(
                out,
                "{} {} — {} (Magento {}, {} mode)",
                style.bold("m2auth"),
                title,
                ctx.install.root.display(),
                ctx.install
                    .release
                    .version
                    .as_deref()
                    .unwrap_or("version unknown"),
                ctx.install.mode()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{} {} — no Magento root: only the live answer is explained",
                style.bold("m2auth"),
                title
            );
        }
    }
    let o = live.outcome;
    let _ = writeln!(
        out,
        "Request:  {} {} (auth: {})",
        o.method,
        o.url,
        o.sent.auth_kind()
    );
    out.push_str(&response_text(live, style));
    let _ = writeln!(out);
    if let Some(line) = o.login_failure_line() {
        let mut first = line.chars();
        let capitalized: String = first
            .next()
            .map(|c| c.to_uppercase().chain(first).collect())
            .unwrap_or_default();
        let _ = writeln!(out, "{}\n", style.red(&format!("{capitalized}.")));
    }
    match d.findings.iter().find(|f| f.severity == Severity::Error) {
        Some(f) => {
            let _ = writeln!(out, "{}\n", root_cause_line(f, style));
        }
        None if matches!(o.class, crate::live::Classification::MagentoError { .. })
            && !matches!(live.offline, Offline::Allowed { .. }) =>
        {
            let _ = writeln!(
                out,
                "{}\n",
                style.yellow("Magento itself refused the request; the findings below are what the files and database say about why (none: run with --root on the store, and its database).")
            );
        }
        None if o.login_failed() => {}
        None => {
            let _ = writeln!(out, "{}\n", no_root_cause_line(d, style, "the"));
        }
    }
    out.push_str(&findings_text(d, style));
    out
}
