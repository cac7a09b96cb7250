//! `--format markdown` and `--format html`: the `diagnose` / `audit` report as one document to
//! hand over (a ticket, an e-mail attachment), rendered from the report's JSON after the run's
//! masker has scrubbed it, so every secret is masked exactly as in the JSON and text reports.
//!
//! The HTML is one self-contained file: inline CSS, no scripts, no external assets, printable
//! (`@media print`). The verdict comes first, then the findings by troubleshooting step with
//! their evidence and fixes, then what was not checked. Escaping is by hand (`esc`): five
//! characters, not worth a template engine.

use std::fmt::Write as _;

use serde_json::Value;

use crate::mask::Masker;

/// The troubleshooting steps, as the catalogue names them.
const STEPS: [&str; 9] = [
    "Credentials and tokens",
    "Role permissions and routes",
    "Authentication method and headers",
    "Cache and session",
    "File permissions",
    "Server rules",
    "Logs",
    "Admin password",
    "Prevention (audit)",
];

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Markdown,
    Html,
}

/// The document for `doc` (the JSON of `diagnose` / `audit`), scrubbed by `masker` first.
pub fn render(kind: Kind, mut doc: Value, masker: &Masker, command: &str) -> String {
    masker.scrub_json(&mut doc);
    match kind {
        Kind::Markdown => markdown(&doc, command),
        Kind::Html => html(&doc, command),
    }
}

pub(crate) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn findings(doc: &Value) -> Vec<&Value> {
    doc["findings"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// The verdict, one sentence: the root cause, else how many warnings, else nothing wrong.
fn verdict(doc: &Value) -> (String, &'static str) {
    let all = findings(doc);
    if let Some(code) = doc["root_cause"].as_str() {
        let title = all
            .iter()
            .find(|f| f["code"] == code)
            .map(|f| s(f, "title"))
            .unwrap_or("");
        return (format!("Root cause: {title} ({code})"), "error");
    }
    let warnings = all.iter().filter(|f| f["severity"] == "warning").count();
    match warnings {
        0 if all.is_empty() => ("Nothing wrong found".to_string(), "ok"),
        0 => (format!("No problem found ({} notes)", all.len()), "ok"),
        1 => ("No root cause; 1 warning".to_string(), "warning"),
        n => (format!("No root cause; {n} warnings"), "warning"),
    }
}

fn target_line(doc: &Value) -> String {
    let t = &doc["target"];
    let mut line = format!("Store: {}", s(t, "root"));
    if let Some(v) = t["magento_version"].as_str() {
        let _ = write!(line, ", Magento {v}");
    }
    if let Some(m) = t["mode"].as_str() {
        let _ = write!(line, ", {m} mode");
    }
    if let Some(r) = doc.get("request") {
        let _ = write!(line, ". Request: {} {}", s(r, "method"), s(r, "url"));
    }
    line
}

/// The findings grouped by step, in step order.
fn by_step(doc: &Value) -> Vec<(usize, Vec<&Value>)> {
    let all = findings(doc);
    (1..=9)
        .filter_map(|step| {
            let here: Vec<&Value> = all
                .iter()
                .copied()
                .filter(|f| f["step"].as_u64() == Some(step as u64))
                .collect();
            (!here.is_empty()).then_some((step, here))
        })
        .collect()
}

fn markdown(doc: &Value, command: &str) -> String {
    let mut out = String::new();
    let (v, _) = verdict(doc);
    let _ = writeln!(out, "# m2auth {command}: {v}\n");
    let _ = writeln!(out, "{}\n", target_line(doc));
    for key in ["refused", "facts"] {
        if let Some(items) = doc[key].as_array().filter(|a| !a.is_empty()) {
            let _ = writeln!(
                out,
                "**{}**\n",
                if key == "refused" {
                    "Who is refused"
                } else {
                    "Facts"
                }
            );
            for i in items {
                let _ = writeln!(out, "- {}", i.as_str().unwrap_or(""));
            }
            out.push('\n');
        }
    }
    for (step, list) in by_step(doc) {
        let _ = writeln!(out, "## Step {step}: {}\n", STEPS[step - 1]);
        for f in list {
            finding_markdown(&mut out, f);
        }
    }
    if let Some(sk) = doc["skipped"].as_array().filter(|a| !a.is_empty()) {
        out.push_str("## Not checked\n\n");
        for k in sk {
            let _ = writeln!(out, "- {}: {}", s(k, "check"), s(k, "reason"));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "_{} {}_",
        s(&doc["tool"], "name"),
        s(&doc["tool"], "version")
    );
    out
}

/// One finding in Markdown: severity, code and title, detail, evidence, fix.
pub(crate) fn finding_markdown(out: &mut String, f: &Value) {
    let _ = writeln!(
        out,
        "### {} `{}` — {}\n",
        s(f, "severity"),
        s(f, "code"),
        s(f, "title")
    );
    if !s(f, "detail").is_empty() {
        let _ = writeln!(out, "{}\n", s(f, "detail"));
    }
    if let Some(ev) = f["evidence"].as_array().filter(|a| !a.is_empty()) {
        out.push_str("Evidence:\n\n");
        for e in ev {
            let _ = writeln!(out, "- `{}` {}", s(e, "source"), s(e, "text"));
        }
        out.push('\n');
    }
    if let Some(fix) = f["fix"].as_object() {
        let _ = writeln!(out, "Fix: {}\n", fix["summary"].as_str().unwrap_or(""));
        if let Some(cmds) = fix["commands"].as_array().filter(|a| !a.is_empty()) {
            out.push_str("```sh\n");
            for c in cmds {
                let _ = writeln!(out, "{}", c.as_str().unwrap_or(""));
            }
            out.push_str("```\n\n");
        }
        if let Some(p) = fix["admin_path"].as_str() {
            let _ = writeln!(out, "Admin: {p}\n");
        }
    }
}

/// HTML text: `&`, `<`, `>`, `"`, `'` escaped.
pub(crate) fn esc(t: &str) -> String {
    let mut o = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

pub(crate) const CSS: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.5rem}.verdict{padding:.8rem 1rem;border-radius:.4rem;font-weight:600}\
.error{background:#fde2e1;border-left:.4rem solid #c0392b}.warning{background:#fff4d6;border-left:.4rem solid #d68910}\
.ok{background:#e3f6e8;border-left:.4rem solid #1e8449}.info{background:#e8f0fb;border-left:.4rem solid #2e86c1}\
section.finding{margin:1rem 0;padding:.5rem 1rem;border-radius:.3rem}code,pre{font:13px ui-monospace,monospace}\
pre{background:#f4f4f4;padding:.5rem;overflow-x:auto;white-space:pre-wrap}.src{color:#555}\
footer{color:#777;margin-top:2rem;font-size:.85rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
@media print{body{margin:0;max-width:none}pre{white-space:pre-wrap}}";

/// One finding as an HTML section: severity, code and title, detail, evidence, fix.
pub(crate) fn finding_html(o: &mut String, f: &Value) {
    let sev = s(f, "severity");
    let _ = write!(
        o,
        "<section class=\"finding {sev}\"><h3>{} <code>{}</code> {}</h3>",
        esc(sev),
        esc(s(f, "code")),
        esc(s(f, "title"))
    );
    if !s(f, "detail").is_empty() {
        let _ = write!(o, "<p>{}</p>", esc(s(f, "detail")));
    }
    if let Some(ev) = f["evidence"].as_array().filter(|a| !a.is_empty()) {
        o.push_str("<p>Evidence:</p><ul>");
        for e in ev {
            let _ = write!(
                o,
                "<li><code class=\"src\">{}</code> {}</li>",
                esc(s(e, "source")),
                esc(s(e, "text"))
            );
        }
        o.push_str("</ul>");
    }
    if let Some(fix) = f["fix"].as_object() {
        let _ = write!(
            o,
            "<p><strong>Fix:</strong> {}</p>",
            esc(fix["summary"].as_str().unwrap_or(""))
        );
        if let Some(cmds) = fix["commands"].as_array().filter(|a| !a.is_empty()) {
            let lines: Vec<String> = cmds.iter().map(|c| esc(c.as_str().unwrap_or(""))).collect();
            let _ = write!(o, "<pre>{}</pre>", lines.join("\n"));
        }
        if let Some(p) = fix["admin_path"].as_str() {
            let _ = write!(o, "<p>Admin: {}</p>", esc(p));
        }
    }
    o.push_str("</section>\n");
}

/// An HTML table of plain-text cells (escaped here). A column name starting with `#` is
/// numeric (right-aligned; the `#` is not shown). `id` names the table (empty: none).
pub(crate) fn html_table(o: &mut String, id: &str, head: &[&str], rows: &[Vec<String>]) {
    if id.is_empty() {
        o.push_str("<table><thead><tr>");
    } else {
        let _ = write!(o, "<table id=\"{}\"><thead><tr>", esc(id));
    }
    for h in head {
        match h.strip_prefix('#') {
            Some(h) => {
                let _ = write!(o, "<th class=\"n\">{}</th>", esc(h));
            }
            None => {
                let _ = write!(o, "<th>{}</th>", esc(h));
            }
        }
    }
    o.push_str("</tr></thead><tbody>\n");
    for r in rows {
        o.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            if head.get(i).is_some_and(|h| h.starts_with('#')) {
                let _ = write!(o, "<td class=\"n\">{}</td>", esc(c));
            } else {
                let _ = write!(o, "<td>{}</td>", esc(c));
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
}

/// A Markdown table cell: `|` escaped, line breaks as spaces, backticks kept out of the way.
pub(crate) fn md_cell(t: &str) -> String {
    t.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A Markdown table (the `#` of a numeric column name right-aligns it, as in [`html_table`]).
pub(crate) fn md_table(o: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let names: Vec<String> = head
        .iter()
        .map(|h| md_cell(h.trim_start_matches('#')))
        .collect();
    let _ = writeln!(o, "| {} |", names.join(" | "));
    let rule: Vec<&str> = head
        .iter()
        .map(|h| if h.starts_with('#') { "---:" } else { "---" })
        .collect();
    let _ = writeln!(o, "|{}|", rule.join("|"));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| md_cell(c)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    o.push('\n');
}

/// The start of an HTML document for `command`: the title, the shared CSS and `extra_css`
/// inline, the heading and the verdict, which comes first on the page (`id="verdict"`, with
/// the class `error`, `warning`, `ok` or `info`).
pub(crate) fn html_head(command: &str, verdict: &str, class: &str, extra_css: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>m2auth {cmd}: {v}</title><style>{CSS}{extra_css}</style></head><body>\n\
<h1>m2auth {cmd}</h1>\n<p class=\"verdict {class}\" id=\"verdict\">{v}</p>\n",
        cmd = esc(command),
        v = esc(verdict),
    )
}

/// The end of an HTML document: the tool and its version (`tool` of the JSON).
pub(crate) fn html_foot(o: &mut String, tool: &Value) {
    let _ = writeln!(
        o,
        "<footer>{} {}</footer>\n</body></html>",
        esc(s(tool, "name")),
        esc(s(tool, "version"))
    );
}

fn html(doc: &Value, command: &str) -> String {
    let (v, class) = verdict(doc);
    let mut o = html_head(command, &v, class, "");
    let _ = writeln!(o, "<p>{}</p>", esc(&target_line(doc)));
    for key in ["refused", "facts"] {
        if let Some(items) = doc[key].as_array().filter(|a| !a.is_empty()) {
            let _ = write!(
                o,
                "<h2>{}</h2><ul>",
                if key == "refused" {
                    "Who is refused"
                } else {
                    "Facts"
                }
            );
            for i in items {
                let _ = write!(o, "<li>{}</li>", esc(i.as_str().unwrap_or("")));
            }
            o.push_str("</ul>\n");
        }
    }
    for (step, list) in by_step(doc) {
        let _ = writeln!(o, "<h2>Step {step}: {}</h2>", STEPS[step - 1]);
        for f in list {
            finding_html(&mut o, f);
        }
    }
    html_skipped(&mut o, &doc["skipped"]);
    html_foot(&mut o, &doc["tool"]);
    o
}

/// The "Not checked" list of a report's `skipped` array (nothing when it is empty).
pub(crate) fn html_skipped(o: &mut String, skipped: &Value) {
    let Some(sk) = skipped.as_array().filter(|a| !a.is_empty()) else {
        return;
    };
    o.push_str("<h2>Not checked</h2><ul>");
    for k in sk {
        let _ = write!(
            o,
            "<li><code>{}</code>: {}</li>",
            esc(s(k, "check")),
            esc(s(k, "reason"))
        );
    }
    o.push_str("</ul>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_json::json!({
            "tool": {"name": "m2auth", "version": "0.1.0"},
            "target": {"root": "/srv/shop", "magento_version": "2.4.7-p3", "mode": "production"},
            "root_cause": "jwt-expired",
            "findings": [
                {"code": "jwt-expired", "step": 1, "severity": "error", "title": "The token has expired",
                 "detail": "Token eyJhbGciOiJIUzI1NiJ9.secretpart.sig <script> expired.",
                 "evidence": [{"source": "db:core_config_data", "text": "a & b"}],
                 "fix": {"summary": "Request a new token", "commands": ["curl -X POST …"], "admin_path": null}},
                {"code": "audit-bearer-enabled", "step": 9, "severity": "warning", "title": "Bearer on",
                 "detail": "", "evidence": [], "fix": null}
            ],
            "skipped": [{"check": "live-request", "reason": "offline"}]
        })
    }

    #[test]
    fn verdict_first_steps_in_order_secrets_masked_and_escaped() {
        let mut m = Masker::new();
        m.add("eyJhbGciOiJIUzI1NiJ9.secretpart.sig");
        let h = render(Kind::Html, doc(), &m, "diagnose");
        assert!(!h.contains("secretpart"), "{h}");
        assert!(
            h.contains("&lt;script&gt;") && !h.contains("<script"),
            "{h}"
        );
        let verdict = h.find("id=\"verdict\"").unwrap();
        assert!(verdict < h.find("Step 1").unwrap());
        assert!(h.find("Step 1").unwrap() < h.find("Step 9").unwrap());
        assert!(h.contains("Root cause: The token has expired (jwt-expired)"));
        let md = render(Kind::Markdown, doc(), &m, "diagnose");
        assert!(md.starts_with("# m2auth diagnose: Root cause: The token has expired"));
        assert!(!md.contains("secretpart") && md.contains("## Step 9: Prevention (audit)"));
        assert!(md.contains("## Not checked"));
    }
}
