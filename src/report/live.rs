//! The `request` report (and the live part of `diagnose`): diagnose's JSON shape plus
//! `response`; text with the response summary before the findings.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::Severity;
use crate::live::canary::CanaryRun;
use crate::live::classify::Classification;
use crate::live::explain::Offline;
use crate::live::session::{EXCERPT, LiveOutcome, excerpt};
use crate::mask::mask;
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
pub fn response_text(live: &LiveReport<'_>, d: &Diagnosis, style: &Style) -> String {
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
            let body = excerpt(&r.body);
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
            let _ = writeln!(out, "Response: {} — {}", style.red("none"), short_reason(u));
        }
    }
    if o.url.starts_with("http://") {
        let _ = writeln!(
            out,
            "TLS:      {}",
            style.yellow(
                "none: plain HTTP (no certificate to verify; the token travelled unencrypted)"
            )
        );
    } else if o.insecure {
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
            crate::report::canary::summary(&c.outcome),
            if c.removed {
                " (file removed)".to_string()
            } else {
                format!(" ({} could NOT be removed: delete it)", c.file.display())
            }
        );
    }
    let _ = writeln!(out, "Offline:  {}", offline_line(live.offline, d));
    out
}

/// One short reason for no answer (the client library's whole error chain stays in the JSON
/// report and the finding's evidence).
fn short_reason(u: &crate::live::client::Unreachable) -> String {
    use crate::live::client::UnreachableKind as K;
    match u.kind {
        K::Refused => format!("connection refused by {}", u.address),
        K::Timeout => format!("no answer from {} in time (timeout)", u.address),
        K::Dns => format!("{} does not resolve (DNS)", u.address),
        K::NoRoute => format!("no route to {}", u.address),
        K::Certificate => format!(
            "TLS certificate of {} rejected: {}",
            u.address,
            u.detail.split(':').next().unwrap_or("")
        ),
    }
}

/// Why the store refused, worded from the facts: the probable cause (a warning: unproven),
/// else what the files and database could (not) say.
fn refusal_line(ctx: Option<&Context>, d: &Diagnosis, live: &LiveReport<'_>) -> String {
    use crate::findings::Code;
    use crate::live::Classification;
    let o = live.outcome;
    let status = match &o.exchange {
        Ok(r) => r.status.to_string(),
        Err(_) => "no answer".into(),
    };
    let who = match &o.class {
        Classification::MagentoError { .. } => "Magento refused",
        _ => "The request was refused",
    };
    let consumer = matches!(&o.class, Classification::MagentoError { status: 401, error } if error.is_consumer_not_authorized());
    let probable = d
        .findings
        .iter()
        .find(|f| f.code == Code::AuthHeaderStripped)
        .or_else(|| {
            d.findings
                .iter()
                .find(|f| f.severity == Severity::Warning && f.step <= 6)
        });
    if let Some(f) = probable {
        let how = if f.code == Code::AuthHeaderStripped
            && f.detail.contains("Two candidates remain")
        {
            "unproven: run `bin/magento cache:clean config` and retry, then `m2auth request --canary` on the store's server".to_string()
        } else if f.code == Code::AuthHeaderStripped {
            "unproven: run `m2auth request --canary` on the store's server".to_string()
        } else {
            "unproven".to_string()
        };
        return format!(
            "{who} ({status}); probable cause: {} — {} ({how}).",
            f.code, f.title
        );
    }
    let canary = if consumer {
        " Magento's \"consumer isn't authorized\" is also what a stripped Authorization header gives: `m2auth request --canary` on the store's server tells them apart."
    } else {
        ""
    };
    if ctx.is_none() {
        return format!(
            "{who} ({status}); without --root (the store's files and database) m2auth cannot say why.{canary}"
        );
    }
    if let Some(s) = d.skipped.iter().find(|s| s.check == "database") {
        return format!(
            "{who} ({status}); the store's database was not read ({}), so the credentials and the role were not checked.{canary}",
            s.reason
        );
    }
    if d.findings.is_empty() {
        format!("{who} ({status}); the files and database show no cause.{canary}")
    } else {
        format!(
            "{who} ({status}); the findings below are what the files and database say about why."
        )
    }
}

/// The `Offline:` line: the credentials' verdict and the server configuration's apart (a
/// server-config finding such as basic-auth-in-front is no verdict on the credentials).
fn offline_line(offline: &Offline, d: &Diagnosis) -> String {
    let server: Vec<&str> = d
        .findings
        .iter()
        .filter(|f| {
            is_server_code(f.code)
                && f.severity == Severity::Error
                && f.evidence.iter().any(|e| e.source != "http")
        })
        .map(|f| f.code.as_str())
        .collect();
    let credentials =
        match offline {
            Offline::Refused { code, .. } if is_server_code(*code) => {
                match d.findings.iter().find(|f| {
                    f.severity == Severity::Error && f.step <= 3 && !is_server_code(f.code)
                }) {
                    Some(f) => format!("refused: {} ({})", f.code, f.title),
                    None => match d.skipped.iter().find(|s| s.check == "role-permissions") {
                        Some(s) => format!("unknown: role permissions: {}", s.reason),
                        None => "valid, and the caller's role grants the route".to_string(),
                    },
                }
            }
            other => other.describe(),
        };
    if server.is_empty() {
        format!("credentials: {credentials}")
    } else {
        format!(
            "credentials: {credentials}; server config: {}",
            server.join(", ")
        )
    }
}

fn is_server_code(code: crate::findings::Code) -> bool {
    use crate::findings::Code;
    matches!(
        code,
        Code::BasicAuthInFront
            | Code::Server401NotMagento
            | Code::ServerDeniesPath
            | Code::ApacheHtaccessIgnored
            | Code::ApacheFcgiStripsAuthorization
            | Code::HtaccessAuthPassthroughMissing
            | Code::AuthHeaderStripped
    )
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
        "Request:  {} {}, with {}",
        o.method,
        crate::report::layout::shorten_middle(
            &o.url,
            crate::report::layout::width().saturating_sub(40).max(40)
        ),
        crate::report::diagnosis::auth_words(o.sent.auth_kind())
    );
    out.push_str(&response_text(live, d, style));
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
        None if o.login_failed() => {}
        None if o.refused().is_some()
            || matches!(o.class, crate::live::Classification::MagentoError { .. })
                && !matches!(live.offline, Offline::Allowed { .. }) =>
        {
            let _ = writeln!(out, "{}\n", style.yellow(&refusal_line(ctx, d, live)));
        }
        None => {
            let _ = writeln!(out, "{}\n", no_root_cause_line(d, style, "the"));
        }
    }
    out.push_str(&findings_text(d, style));
    crate::report::layout::fit(&out, crate::report::layout::width())
}

/// `response` of the JSON report. Cookie values are masked here; tokens in headers and body
/// are masked by the run's masker when the document is written.
pub fn response_json(o: &LiveOutcome, offline: &Offline, canary: Option<&CanaryRun>) -> Value {
    let mut v = match &o.exchange {
        Ok(r) => json!({
            "url": o.url,
            "status": r.status,
            "headers": r.headers.iter().map(|(n, v)| json!({"name": n, "value": shown_header(n, v)})).collect::<Vec<_>>(),
            "body_excerpt": excerpt(&r.body),
            "body_truncated": r.truncated || r.body.len() > EXCERPT,
            "classification": o.class.as_str(),
            "summary": o.class.summary(),
            "elapsed_ms": r.elapsed_ms,
        }),
        Err(u) => json!({
            "url": o.url,
            "status": null,
            "headers": [],
            "body_excerpt": null,
            "classification": o.class.as_str(),
            "summary": o.class.summary(),
            "elapsed_ms": u.elapsed_ms,
            "address": u.address,
            "failure": u.kind.as_str(),
        }),
    };
    if let Classification::MagentoError { error, .. } = &o.class {
        v["magento_error"] = json!({
            "message": error.message,
            "rendered": error.rendered,
            "parameters": error.parameters.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "trace": error.trace,
            "format": error.format,
        });
    }
    // Plain HTTP has no certificate to verify: null, not false.
    v["tls_verified"] = if o.url.starts_with("https://") {
        json!(!o.insecure)
    } else {
        Value::Null
    };
    if o.insecure && o.url.starts_with("https://") {
        v["tls_warning"] = json!("--insecure: the store's TLS certificate was NOT verified");
    }
    if let Some(l) = &o.login {
        v["login"] = json!({"url": l.url, "status": l.status, "token_obtained": l.obtained});
        if let Some(line) = o.login_failure_line() {
            v["login"]["failure"] = json!(line);
            v["request_sent"] = json!(false);
        }
    }
    if let Ok(r) = &o.exchange
        && let Some(why) = &r.incomplete
    {
        v["body_incomplete"] = json!(why);
    }
    v["offline_verdict"] = json!({"verdict": offline.as_str(), "detail": offline.describe()});
    if let Some(c) = canary {
        v["canary"] = crate::report::canary::to_json(&c.outcome, c.removed);
    }
    v
}

/// A header value as reported: `Set-Cookie` / `Cookie` values masked (session ids are
/// credentials), everything else as received (the masker still scrubs known secrets).
pub fn shown_header(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "set-cookie" || n == "cookie" {
        return value
            .split(';')
            .map(|part| match part.split_once('=') {
                Some((k, v)) if !is_cookie_attribute(k) => format!("{k}={}", mask_or_dots(v)),
                _ => part.to_string(),
            })
            .collect::<Vec<_>>()
            .join(";");
    }
    if n == "authorization" || n == "proxy-authorization" {
        return match value.split_once(' ') {
            Some((scheme, rest)) => format!("{scheme} {}", mask_or_dots(rest)),
            None => mask_or_dots(value),
        };
    }
    value.to_string()
}

fn mask_or_dots(v: &str) -> String {
    let m = mask(v);
    if m.is_empty() { "…".into() } else { m }
}

fn is_cookie_attribute(k: &str) -> bool {
    matches!(
        k.trim().to_ascii_lowercase().as_str(),
        "path" | "domain" | "expires" | "max-age" | "samesite" | "secure" | "httponly"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_credentials_are_masked_in_headers() {
        assert_eq!(
            shown_header(
                "set-cookie",
                "PHPSESSID=0123456789abcdefghij; path=/; HttpOnly"
            ),
            "PHPSESSID=0123…ghij; path=/; HttpOnly"
        );
        assert_eq!(shown_header("server", "nginx"), "nginx");
        assert_eq!(
            shown_header("authorization", "Bearer abcdefghijklmnopqrstuvwxyz"),
            "Bearer abcd…wxyz"
        );
    }
}
