//! `acl:check` and `acl:matrix` output. JSON field names are a contract (`../shared/spec/cli.md`):
//! `acl:check` has `route.{method,url,module}`, `required`, `missing`, `allowed`, `role_id`,
//! `findings`.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::checks::caller::Identified;
use crate::checks::roles::{RouteCheck, Verdict};
use crate::magento::routes::Route;
use crate::report::diagnosis::{TOOL_NAME, TOOL_VERSION, findings_text};
use crate::report::style::Style;

pub fn check_json(
    check: &RouteCheck,
    root: &std::path::Path,
    path: &str,
    who: Option<&Identified>,
) -> Value {
    let rel = |p: &std::path::Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let v = check.verdict.as_ref();
    json!({
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "request": {"method": check.method, "path": path},
        "caller": who.map(|w| json!({"kind": w.caller.kind(), "description": w.caller.describe()})),
        "route": check.route.as_ref().map(|r| json!({
            "method": r.method,
            "url": r.url,
            "module": r.module(),
            "secure": r.secure,
            "declared_in": r.sources.iter().map(|(p, l)| format!("{}:{l}", rel(p))).collect::<Vec<_>>(),
        })),
        "required": v.map(|v| v.required.clone()).unwrap_or_default(),
        "missing": v.map(|v| v.missing.iter().map(|m| m.id.clone()).collect::<Vec<_>>()).unwrap_or_default(),
        "missing_detail": v.map(|v| v.missing.clone()).unwrap_or_default(),
        "allowed": v.is_some_and(|v| v.allowed),
        "role_id": v.and_then(|v| v.role_id),
        "root_cause": check.diagnosis.root_cause().map(|c| c.as_str()),
        "findings": check.diagnosis.findings,
        "skipped": check.diagnosis.skipped,
    })
}

pub fn check_text(
    check: &RouteCheck,
    root: &std::path::Path,
    path: &str,
    who: Option<&Identified>,
    style: &Style,
) -> String {
    let mut o = String::new();
    let rel = |p: &std::path::Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let _ = writeln!(o, "{} {} {}", style.bold("acl:check"), check.method, path);
    match &check.route {
        Some(r) => {
            let at = r
                .sources
                .last()
                .map(|(p, l)| format!(", {}:{l}", rel(p)))
                .unwrap_or_default();
            let _ = writeln!(o, "route     {} {}  ({}{at})", r.method, r.url, r.module());
        }
        None => {
            let _ = writeln!(o, "route     {}", style.red("none matches"));
        }
    }
    if let Some(w) = who {
        let _ = writeln!(o, "caller    {}", w.caller.describe());
    }
    if let Some(v) = &check.verdict {
        let _ = writeln!(
            o,
            "role      {}",
            v.role_id
                .map(|r| r.to_string())
                .unwrap_or_else(|| "none".into())
        );
        let _ = writeln!(o, "required  {}", v.required.join(", "));
        for m in &v.missing {
            let _ = writeln!(
                o,
                "missing   {}{}  ({})",
                style.red(&m.id),
                m.admin_path
                    .as_ref()
                    .map(|p| format!("  \"{p}\""))
                    .unwrap_or_default(),
                m.why
            );
        }
        let _ = writeln!(
            o,
            "allowed   {}",
            if v.allowed {
                style.green("yes")
            } else {
                style.red("no")
            }
        );
    }
    if !check.diagnosis.findings.is_empty() || !check.diagnosis.skipped.is_empty() {
        let _ = writeln!(o);
        o.push_str(&findings_text(&check.diagnosis, style));
    }
    crate::report::layout::fit(&o, crate::report::layout::width())
}

/// One row of the matrix.
pub struct MatrixRow<'a> {
    pub route: &'a Route,
    pub verdict: Verdict,
    /// The store's answer (`acl:matrix --live`).
    pub live: Option<crate::live::matrix::Cell>,
}

impl MatrixRow<'_> {
    /// The live answer disagrees with the offline verdict.
    pub fn disagrees(&self) -> bool {
        self.live
            .as_ref()
            .and_then(|c| c.allowed)
            .is_some_and(|l| l != self.verdict.allowed)
    }
}

fn live_json(r: &MatrixRow<'_>) -> Value {
    match &r.live {
        Some(c) => json!({
            "status": c.status,
            "classification": c.classification,
            "allowed": c.allowed,
            // Unknown (not Magento's verdict): neither agrees nor disagrees.
            "agrees": c.allowed.map(|_| !r.disagrees()),
            "elapsed_ms": c.elapsed_ms,
            "error": c.error,
        }),
        None => Value::Null,
    }
}

pub fn matrix_json(rows: &[MatrixRow<'_>], who: &Identified, role_id: Option<i64>) -> Value {
    json!({
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "caller": {"kind": who.caller.kind(), "description": who.caller.describe()},
        "role_id": role_id,
        "routes": rows.len(),
        "allowed": rows.iter().filter(|r| r.verdict.allowed).count(),
        "matrix": rows.iter().map(|r| json!({
            "method": r.route.method,
            "url": r.route.url,
            "module": r.route.module(),
            "required": r.verdict.required,
            "allowed": r.verdict.allowed,
            "missing": r.verdict.missing.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            "live": live_json(r),
        })).collect::<Vec<_>>(),
        "live": rows.iter().any(|r| r.live.is_some()).then(|| {
            let s = LiveSummary::of(rows);
            json!({
                "sent": s.sent,
                "disagreements": s.disagree,
                "unknown": s.unknown,
                "no_route": s.no_route,
                "no_answer": s.no_answer,
                "no_answer_reason": s.reason,
            })
        }),
    })
}

/// The live comparison in numbers: sent, disagreeing, undecided (not Magento's answer), and
/// without any answer (with the first reason).
struct LiveSummary {
    sent: usize,
    disagree: usize,
    /// Not Magento's answer (a web server's page, a redirect, a WAF…).
    unknown: usize,
    /// Magento's "Request does not match any route" 404.
    no_route: usize,
    no_answer: usize,
    reason: Option<String>,
}

impl LiveSummary {
    fn of(rows: &[MatrixRow<'_>]) -> LiveSummary {
        let cells: Vec<&crate::live::matrix::Cell> =
            rows.iter().filter_map(|r| r.live.as_ref()).collect();
        LiveSummary {
            sent: cells.len(),
            disagree: rows.iter().filter(|r| r.disagrees()).count(),
            unknown: cells
                .iter()
                .filter(|c| {
                    c.allowed.is_none()
                        && c.status.is_some()
                        && c.classification != crate::live::matrix::NO_ROUTE
                })
                .count(),
            no_route: cells
                .iter()
                .filter(|c| c.classification == crate::live::matrix::NO_ROUTE)
                .count(),
            no_answer: cells.iter().filter(|c| c.status.is_none()).count(),
            reason: cells.iter().find_map(|c| c.error.clone()),
        }
    }

    fn line(&self) -> String {
        let mut s = format!(
            "live: {} route(s) sent, {} disagree with the offline verdict",
            self.sent, self.disagree
        );
        if self.unknown > 0 {
            s.push_str(&format!(
                ", {} answered by something other than Magento (unknown: not compared)",
                self.unknown
            ));
        }
        if self.no_route > 0 {
            s.push_str(&format!(
                ", {} got Magento's \"Request does not match any route\" 404 (no such route under this base URL: not compared)",
                self.no_route
            ));
        }
        if self.no_answer > 0 {
            s.push_str(&format!(
                ", {} got no answer ({})",
                self.no_answer,
                self.reason.as_deref().unwrap_or("no answer")
            ));
        }
        s
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn matrix_csv(rows: &[MatrixRow<'_>]) -> String {
    let live = rows.iter().any(|r| r.live.is_some());
    let mut o = String::from("method,url,module,required,allowed,missing");
    o.push_str(if live {
        ",live_status,live_allowed,live_classification,live_error\n"
    } else {
        "\n"
    });
    for r in rows {
        let _ = write!(
            o,
            "{},{},{},{},{},{}",
            r.route.method,
            csv_field(&r.route.url),
            r.route.module(),
            csv_field(&r.verdict.required.join(" ")),
            r.verdict.allowed,
            csv_field(
                &r.verdict
                    .missing
                    .iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        );
        if live {
            let (status, allowed, class, error) = match &r.live {
                Some(c) => (
                    c.status.map(|s| s.to_string()).unwrap_or_default(),
                    c.allowed.map(|a| a.to_string()).unwrap_or_default(),
                    c.classification.to_string(),
                    c.error.clone().unwrap_or_default(),
                ),
                None => Default::default(),
            };
            let _ = write!(o, ",{status},{allowed},{class},{}", csv_field(&error));
        }
        o.push('\n');
    }
    o
}

pub fn matrix_text(
    rows: &[MatrixRow<'_>],
    who: &Identified,
    role_id: Option<i64>,
    style: &Style,
) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} {} (role {})",
        style.bold("acl:matrix"),
        who.caller.describe(),
        role_id
            .map(|r| r.to_string())
            .unwrap_or_else(|| "none".into())
    );
    let any_live = rows.iter().any(|r| r.live.is_some());
    // A table that fits the terminal (100 columns when piped): the URL column takes what the
    // longest URL needs up to half of what is left; longer URLs and notes are shortened.
    let total = crate::report::layout::width();
    let fixed = 5 + 2 + if any_live { 11 } else { 0 } + 7 + 2;
    let room = total.saturating_sub(fixed).max(40);
    let width = rows
        .iter()
        .map(|r| r.route.url.chars().count())
        .max()
        .unwrap_or(10)
        .min(room / 2);
    let note_room = room.saturating_sub(width).max(20);
    for r in rows {
        let mark = if r.verdict.allowed {
            style.green("allow")
        } else {
            style.red("deny ")
        };
        let missing: Vec<&str> = r.verdict.missing.iter().map(|m| m.id.as_str()).collect();
        let live = match &r.live {
            Some(c) => {
                let status = c
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "---".into());
                if r.disagrees() {
                    style.red(&format!("live {status} ≠ "))
                } else if c.allowed.is_none() {
                    style.yellow(&format!("live {status} ? "))
                } else {
                    format!("live {status}   ")
                }
            }
            None if any_live => "           ".into(),
            None => String::new(),
        };
        let url = crate::report::layout::shorten_middle(&r.route.url, width);
        let line = format!("{mark}  {live}{:<6} {:<width$}  {}", r.route.method, url, {
            let mut note = if missing.is_empty() {
                String::new()
            } else {
                format!("missing {}", missing.join(", "))
            };
            if let Some(c) = r.live.as_ref().filter(|c| c.allowed.is_none()) {
                if !note.is_empty() {
                    note.push_str("; ");
                }
                note.push_str(&format!("live: {}", c.classification));
            }
            if note.chars().count() > note_room {
                note = note.chars().take(note_room - 1).collect::<String>() + "…";
            }
            note
        },);
        let _ = writeln!(o, "{}", line.trim_end());
    }
    let allowed = rows.iter().filter(|r| r.verdict.allowed).count();
    let _ = writeln!(o, "\n{allowed} of {} routes allowed", rows.len());
    if any_live {
        let summary = LiveSummary::of(rows);
        let disagree = summary.disagree;
        let _ = writeln!(
            o,
            "{}{}",
            summary.line(),
            if disagree > 0 {
                " (≠: the store answers otherwise than its files and database say; `m2auth request` explains one)"
            } else {
                ""
            }
        );
    }
    o
}
