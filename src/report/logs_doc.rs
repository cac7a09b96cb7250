//! `logs:scan --format html|markdown`: the scan as one document to hand over, rendered from its
//! JSON ([`super::logs::to_json`]) after the run's masker has scrubbed it, so every secret is
//! masked exactly as in the JSON and text output.
//!
//! The HTML is self-contained (no scripts, no external assets) and prints: the verdict first,
//! the findings, the failures over time as an inline SVG bar chart drawn here (401 and 403
//! stacked per time bucket, each bar titled with its counts), then the tables: totals per API,
//! failing routes, clients, auth schemes, user agents, store codes, the token endpoint,
//! brute force, Magento's log records, the files read, what was not checked. Markdown has the
//! same sections with the chart as a one-line text chart.

use std::fmt::Write as _;

use serde_json::Value;

use super::document::{
    Kind, esc, finding_html, finding_markdown, html_foot, html_head, html_skipped, html_table,
    md_table, s,
};
use crate::mask::Masker;

/// The document for `doc` (the JSON of `logs:scan`), scrubbed by `masker` first; `top` rows
/// per table.
pub fn render(kind: Kind, mut doc: Value, masker: &Masker, top: usize) -> String {
    masker.scrub_json(&mut doc);
    let top = top.max(1);
    match kind {
        Kind::Markdown => markdown(&doc, top),
        Kind::Html => html(&doc, top),
    }
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The 401s and 403s of the three APIs.
fn failures(doc: &Value) -> (u64, u64) {
    let t = &doc["totals"];
    (
        n(&t["rest_401"]) + n(&t["graphql_401"]) + n(&t["soap_401"]),
        n(&t["rest_403"]) + n(&t["graphql_403"]) + n(&t["soap_403"]),
    )
}

/// The verdict, one sentence, and its class: the first finding of severity error (the root
/// cause, as the exit status says), else the failures counted, else nothing wrong.
fn verdict(doc: &Value) -> (String, &'static str) {
    let findings = arr(&doc["findings"]);
    if let Some(f) = findings.iter().find(|f| f["severity"] == "error") {
        return (
            format!("Root cause: {} ({})", s(f, "title"), s(f, "code")),
            "error",
        );
    }
    let (f401, f403) = failures(doc);
    if f401 + f403 > 0 {
        return (
            format!(
                "{} failed API requests (401: {f401}, 403: {f403})",
                f401 + f403
            ),
            "warning",
        );
    }
    match findings.len() {
        0 => (
            "No failing API requests and no authentication errors in the logs read".into(),
            "ok",
        ),
        k => (
            format!("No failing API requests; {k} finding(s) in the logs"),
            "warning",
        ),
    }
}

/// Where and when: the store, the time range asked for, the failures' span, the files read.
fn scope(doc: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(r) = doc["root"].as_str() {
        parts.push(format!("Store: {r}"));
    }
    match (doc["since"].as_str(), doc["until"].as_str()) {
        (Some(a), Some(b)) => parts.push(format!("requests from {a} to {b}")),
        (Some(a), None) => parts.push(format!("requests since {a}")),
        (None, Some(b)) => parts.push(format!("requests until {b}")),
        (None, None) => {}
    }
    let t = &doc["totals"];
    if let (Some(a), Some(b)) = (t["first_failure"].as_str(), t["last_failure"].as_str()) {
        parts.push(format!("failures from {a} to {b}"));
    }
    parts.push(format!(
        "{} access log(s), {} lines, {} requests",
        arr(&doc["files"]).len(),
        n(&t["lines"]),
        n(&t["requests"])
    ));
    parts.join("; ")
}

fn unit(doc: &Value) -> &'static str {
    match n(&doc["timeline"]["bucket_seconds"]) {
        60 => "minute",
        3600 => "hour",
        _ => "day",
    }
}

/// The timeline's buckets as (start, 401s, 403s), merged `per` at a time so at most `most`
/// remain.
fn buckets(doc: &Value, most: usize) -> Vec<(String, u64, u64)> {
    let all: Vec<(String, u64, u64)> = arr(&doc["timeline"]["buckets"])
        .iter()
        .map(|b| {
            (
                s(b, "start").to_string(),
                n(&b["status_401"]),
                n(&b["status_403"]),
            )
        })
        .collect();
    let per = all.len().div_ceil(most.max(1)).max(1);
    all.chunks(per)
        .map(|c| {
            (
                c[0].0.clone(),
                c.iter().map(|b| b.1).sum(),
                c.iter().map(|b| b.2).sum(),
            )
        })
        .collect()
}

/// The failures over time as an SVG bar chart: 401s (red) under 403s (amber) per bucket, the
/// peak on the y axis, the first and last bucket under the x axis; each bar's `<title>` says
/// its counts (a tooltip on screen, read by screen readers). `None` without failures.
fn chart_svg(doc: &Value) -> Option<String> {
    let b = buckets(doc, 240);
    if b.is_empty() {
        return None;
    }
    let (left, top, width, height) = (56.0_f64, 12.0_f64, 780.0_f64, 180.0_f64);
    let peak = b.iter().map(|x| x.1 + x.2).max().unwrap_or(0).max(1);
    let bar = width / b.len() as f64;
    let gap = if bar > 4.0 { 1.0 } else { 0.0 };
    let scale = |v: u64| v as f64 / peak as f64 * height;
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"Failed API requests per {u}\" class=\"chart\">",
        w = left + width + 20.0,
        h = top + height + 52.0,
        u = unit(doc)
    );
    // Axes, the peak and zero.
    let base = top + height;
    let _ = write!(
        o,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{base}\" stroke=\"#888\"/>\
<line x1=\"{left}\" y1=\"{base}\" x2=\"{r}\" y2=\"{base}\" stroke=\"#888\"/>\
<text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\">{peak}</text>\
<text x=\"{tx}\" y=\"{base}\" text-anchor=\"end\" font-size=\"12\">0</text>",
        r = left + width,
        tx = left - 6.0,
        ty = top + 10.0,
    );
    for (i, (start, a, c)) in b.iter().enumerate() {
        let x = left + i as f64 * bar;
        let (h401, h403) = (scale(*a), scale(*c));
        let w = (bar - gap).max(0.5);
        let _ = write!(o, "<g><title>{}: 401 ×{a}, 403 ×{c}</title>", esc(start));
        if *a > 0 {
            let _ = write!(
                o,
                "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{w:.2}\" height=\"{h401:.2}\" fill=\"#c0392b\"/>",
                base - h401
            );
        }
        if *c > 0 {
            let _ = write!(
                o,
                "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{w:.2}\" height=\"{h403:.2}\" fill=\"#d68910\"/>",
                base - h401 - h403
            );
        }
        o.push_str("</g>");
    }
    let first = &b[0].0;
    let last = &b[b.len() - 1].0;
    let _ = write!(
        o,
        "<text x=\"{left}\" y=\"{y}\" font-size=\"12\">{}</text>",
        esc(first),
        y = base + 16.0
    );
    if b.len() > 1 {
        let _ = write!(
            o,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
            esc(last),
            x = left + width,
            y = base + 16.0
        );
    }
    let ly = base + 38.0;
    let _ = write!(
        o,
        "<rect x=\"{left}\" y=\"{ry}\" width=\"12\" height=\"12\" fill=\"#c0392b\"/>\
<text x=\"{t1}\" y=\"{ly}\" font-size=\"12\">401</text>\
<rect x=\"{r2}\" y=\"{ry}\" width=\"12\" height=\"12\" fill=\"#d68910\"/>\
<text x=\"{t2}\" y=\"{ly}\" font-size=\"12\">403</text></svg>",
        ry = ly - 10.0,
        t1 = left + 16.0,
        r2 = left + 60.0,
        t2 = left + 76.0,
    );
    Some(o)
}

fn opt(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn totals_rows(doc: &Value) -> Vec<Vec<String>> {
    let t = &doc["totals"];
    [("REST", "rest"), ("GraphQL", "graphql"), ("SOAP", "soap")]
        .iter()
        .map(|(name, k)| {
            vec![
                name.to_string(),
                n(&t[format!("{k}_requests")]).to_string(),
                n(&t[format!("{k}_401")]).to_string(),
                n(&t[format!("{k}_403")]).to_string(),
            ]
        })
        .collect()
}

const ROUTES: [&str; 8] = [
    "route",
    "#failures",
    "#401",
    "#403",
    "#share",
    "#requests",
    "first seen",
    "last seen",
];

fn route_rows(doc: &Value, top: usize) -> Vec<Vec<String>> {
    arr(&doc["by_route"])
        .iter()
        .take(top)
        .map(|r| {
            let mut key = s(r, "key").to_string();
            if r["known_route"] == false {
                key.push_str(" (no such route)");
            }
            vec![
                key,
                n(&r["count"]).to_string(),
                n(&r["status_401"]).to_string(),
                n(&r["status_403"]).to_string(),
                format!("{:.1}%", r["share"].as_f64().unwrap_or(0.0) * 100.0),
                n(&r["requests"]).to_string(),
                opt(&r["first_seen"]),
                opt(&r["last_seen"]),
            ]
        })
        .collect()
}

fn client_rows(doc: &Value, top: usize) -> Vec<Vec<String>> {
    arr(&doc["by_client"])
        .iter()
        .take(top)
        .map(|r| {
            vec![
                s(r, "key").to_string(),
                n(&r["count"]).to_string(),
                opt(&r["first_seen"]),
                opt(&r["last_seen"]),
            ]
        })
        .collect()
}

/// A `key`/`count` table's rows.
fn kc_rows(v: &Value, top: usize) -> Vec<Vec<String>> {
    arr(v)
        .iter()
        .take(top)
        .map(|r| vec![s(r, "key").to_string(), n(&r["count"]).to_string()])
        .collect()
}

fn brute_rows(doc: &Value, top: usize) -> Vec<Vec<String>> {
    arr(&doc["brute_force"]["clients"])
        .iter()
        .take(top)
        .map(|b| {
            vec![
                s(b, "key").to_string(),
                n(&b["count"]).to_string(),
                s(b, "window_start").to_string(),
                n(&b["total"]).to_string(),
            ]
        })
        .collect()
}

fn record_rows(doc: &Value, top: usize) -> Vec<Vec<String>> {
    arr(&doc["magento"]["auth"])
        .iter()
        .take(top)
        .map(|r| {
            let place = match r["line"].as_u64() {
                Some(l) => format!("{}:{l}", s(r, "file")),
                None => s(r, "file").to_string(),
            };
            vec![
                opt(&r["time"]),
                s(r, "level").to_string(),
                s(r, "kind").to_string(),
                place,
                s(r, "message").to_string(),
            ]
        })
        .collect()
}

fn file_rows(doc: &Value) -> Vec<Vec<String>> {
    arr(&doc["files"])
        .iter()
        .chain(arr(&doc["magento"]["files"]))
        .map(|f| {
            vec![
                s(f, "path").to_string(),
                s(f, "format").to_string(),
                n(&f["lines"]).to_string(),
                n(&f["skipped"]).to_string(),
                opt(&f["problem"]),
            ]
        })
        .collect()
}

/// The tables, in order: (title, column names, rows); empty ones are left out.
#[allow(clippy::type_complexity)]
fn tables(doc: &Value, top: usize) -> Vec<(String, Vec<&'static str>, Vec<Vec<String>>)> {
    let folded = if doc["route_folding"] == "store-routes" {
        "matched with the store's webapi.xml"
    } else {
        "folded by shape"
    };
    let token = &doc["token_endpoint"];
    let brute = &doc["brute_force"];
    let mut out = vec![
        (
            "Failures per API".to_string(),
            vec!["API", "#requests", "#401", "#403"],
            totals_rows(doc),
        ),
        (
            format!("Failing routes ({folded})"),
            ROUTES.to_vec(),
            route_rows(doc, top),
        ),
        (
            "Failing clients".into(),
            vec!["client", "#failures", "first seen", "last seen"],
            client_rows(doc, top),
        ),
        (
            "Auth schemes of the failures".into(),
            vec!["scheme", "#failures"],
            kc_rows(&doc["by_auth_scheme"], top),
        ),
        (
            "User agents of the failures".into(),
            vec!["user agent", "#failures"],
            kc_rows(&doc["by_user_agent"], top),
        ),
        (
            "Store codes of the failures".into(),
            vec!["store", "#failures"],
            kc_rows(&doc["by_store"], top),
        ),
        (
            format!(
                "Token endpoint: {} failed POST /V1/integration/{{admin,customer}}/token",
                n(&token["failures"])
            ),
            vec!["client", "#failures"],
            kc_rows(&token["by_client"], top),
        ),
        (
            format!(
                "Brute force (over {} failed token requests in {} minutes)",
                n(&brute["threshold"]),
                n(&brute["window_minutes"])
            ),
            vec!["client", "#in the window", "window start", "#in all"],
            brute_rows(doc, top),
        ),
        (
            format!(
                "Magento logs: {} records read, {} tied to authentication",
                n(&doc["magento"]["records"]),
                n(&doc["magento"]["auth_records"])
            ),
            vec!["time", "level", "kind", "where", "message"],
            record_rows(doc, top),
        ),
        (
            "Files read".into(),
            vec!["file", "format", "#lines", "#skipped", "problem"],
            file_rows(doc),
        ),
    ];
    out.retain(|(_, _, rows)| !rows.is_empty());
    out
}

fn markdown(doc: &Value, top: usize) -> String {
    let mut o = String::new();
    let (v, _) = verdict(doc);
    let _ = writeln!(o, "# m2auth logs:scan: {v}\n");
    let _ = writeln!(o, "{}\n", scope(doc));
    let findings = arr(&doc["findings"]);
    if !findings.is_empty() {
        o.push_str("## Findings (step 7, logs)\n\n");
        for f in findings {
            finding_markdown(&mut o, f);
        }
    }
    let b = buckets(doc, usize::MAX);
    if !b.is_empty() {
        let values: Vec<u64> = b.iter().map(|x| x.1 + x.2).collect();
        let peak = values.iter().max().copied().unwrap_or(0);
        let _ = writeln!(
            o,
            "## Failures over time (per {}, peak {peak})\n\n```\n{}\n{} … {}\n```\n",
            unit(doc),
            super::logs::sparkline(&values, 80),
            b[0].0,
            b[b.len() - 1].0
        );
    }
    for (title, head, rows) in tables(doc, top) {
        let _ = writeln!(o, "## {title}\n");
        md_table(&mut o, &head, &rows);
    }
    skipped_markdown(&mut o, doc);
    let _ = writeln!(
        o,
        "_{} {}_",
        s(&doc["tool"], "name"),
        s(&doc["tool"], "version")
    );
    o
}

fn skipped_markdown(o: &mut String, doc: &Value) {
    let sk = arr(&doc["skipped"]);
    if !sk.is_empty() {
        o.push_str("## Not checked\n\n");
        for k in sk {
            let _ = writeln!(o, "- {}: {}", s(k, "check"), s(k, "reason"));
        }
        o.push('\n');
    }
}

const CSS: &str = "svg.chart{max-width:100%;height:auto;margin:.5rem 0}svg.chart text{font-family:system-ui,sans-serif;fill:#444}";

fn html(doc: &Value, top: usize) -> String {
    let (v, class) = verdict(doc);
    let mut o = html_head("logs:scan", &v, class, CSS);
    let _ = writeln!(o, "<p>{}</p>", esc(&scope(doc)));
    let findings = arr(&doc["findings"]);
    if !findings.is_empty() {
        o.push_str("<h2>Findings (step 7, logs)</h2>\n");
        for f in findings {
            finding_html(&mut o, f);
        }
    }
    if let Some(svg) = chart_svg(doc) {
        let _ = writeln!(o, "<h2>Failures over time (per {})</h2>\n{svg}", unit(doc));
    }
    for (i, (title, head, rows)) in tables(doc, top).into_iter().enumerate() {
        let _ = writeln!(o, "<h2>{}</h2>", esc(&title));
        html_table(&mut o, &format!("t{i}"), &head, &rows);
    }
    html_skipped(&mut o, &doc["skipped"]);
    html_foot(&mut o, &doc["tool"]);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_json::json!({
            "tool": {"name": "m2auth", "version": "0.1.0"},
            "root": "/srv/shop", "since": null, "until": null, "route_folding": "shape",
            "files": [{"path": "/var/log/nginx/access.log", "format": "combined", "lines": 9,
                       "skipped": 0, "problem": null}],
            "totals": {"lines": 9, "requests": 9, "rest_requests": 8, "rest_401": 3, "rest_403": 1,
                       "graphql_401": 0, "graphql_403": 0, "soap_401": 0, "soap_403": 0,
                       "first_failure": "2024-05-01T10:00:00Z", "last_failure": "2024-05-01T10:02:00Z"},
            "by_route": [{"key": "GET /V1/orders/<id>|x", "count": 4, "status_401": 3, "status_403": 1,
                          "requests": 8, "share": 0.5, "known_route": null,
                          "first_seen": "2024-05-01T10:00:00Z", "last_seen": "2024-05-01T10:02:00Z"}],
            "by_client": [{"key": "10.0.0.9", "count": 4, "first_seen": null, "last_seen": null}],
            "by_user_agent": [], "by_auth_scheme": [{"key": "Bearer", "count": 4}], "by_store": [],
            "timeline": {"bucket_seconds": 60, "buckets": [
                {"start": "2024-05-01T10:00:00Z", "status_401": 2, "status_403": 0},
                {"start": "2024-05-01T10:01:00Z", "status_401": 0, "status_403": 0},
                {"start": "2024-05-01T10:02:00Z", "status_401": 1, "status_403": 1}]},
            "token_endpoint": {"failures": 0, "by_client": []},
            "brute_force": {"threshold": 20, "window_minutes": 5, "clients": []},
            "magento": {"files": [], "records": 1, "auth_records": 1, "auth": [
                {"file": "/srv/shop/var/log/system.log", "line": 7, "time": null, "level": "ERROR",
                 "kind": "token", "message": "bad token s3cr3tt0k3n <b>"}]},
            "findings": [{"code": "logs-401-spike", "step": 7, "severity": "warning",
                          "title": "401s", "detail": "", "evidence": [], "fix": null}],
            "skipped": []
        })
    }

    #[test]
    fn verdict_first_chart_as_svg_tables_and_masking() {
        let mut m = Masker::new();
        m.add("s3cr3tt0k3n");
        let h = render(Kind::Html, doc(), &m, 10);
        assert!(!h.contains("s3cr3tt0k3n") && h.contains("&lt;b&gt;"), "{h}");
        assert!(h.contains("4 failed API requests (401: 3, 403: 1)"));
        let verdict = h.find("id=\"verdict\"").unwrap();
        assert!(verdict < h.find("<svg").unwrap());
        assert!(h.find("<svg").unwrap() < h.find("Failing routes").unwrap());
        // Three buckets: two with bars (the empty one has only its title), 401 and 403 stacked.
        assert_eq!(h.matches("<title>").count(), 4, "{h}");
        assert_eq!(
            h.matches("fill=\"#d68910\"").count(),
            2,
            "one bar and the legend"
        );
        assert!(h.contains("<title>2024-05-01T10:02:00Z: 401 ×1, 403 ×1</title>"));
        assert!(!h.contains("<script"));
        let md = render(Kind::Markdown, doc(), &m, 10);
        assert!(md.starts_with("# m2auth logs:scan: 4 failed API requests"));
        assert!(
            md.contains("| GET /V1/orders/<id>\\|x | 4 | 3 | 1 | 50.0% | 8 |"),
            "{md}"
        );
        assert!(md.contains("## Failures over time (per minute, peak 2)"));
        assert!(!md.contains("s3cr3tt0k3n"));
    }
}
