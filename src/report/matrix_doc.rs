//! `acl:matrix --format html|markdown`: the matrix as one document to hand over, rendered from
//! the matrix's JSON ([`super::acl::matrix_json`]) after the run's masker has scrubbed it, so
//! every secret is masked exactly as in the JSON and text output.
//!
//! The HTML is self-contained and readable without scripts: the summary first, the resources
//! the role lacks, then one open `<details>` per module with a plain table of its routes. Two
//! filters: allowed / denied / live disagreement as radio buttons styled by CSS alone (no script
//! needed), and a text filter, an `<input>` that stays hidden unless the small inline script
//! runs (progressive enhancement). Printing shows every row.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::document::{Kind, esc, html_foot, html_head, html_table, md_table, s};
use crate::mask::Masker;

/// The document for `doc` (the JSON of `acl:matrix`), scrubbed by `masker` first.
pub fn render(kind: Kind, mut doc: Value, masker: &Masker) -> String {
    masker.scrub_json(&mut doc);
    match kind {
        Kind::Markdown => markdown(&doc),
        Kind::Html => html(&doc),
    }
}

fn rows(doc: &Value) -> Vec<&Value> {
    doc["matrix"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn role(doc: &Value) -> String {
    doc["role_id"]
        .as_i64()
        .map_or_else(|| "no role".to_string(), |r| format!("role {r}"))
}

/// The verdict line and its class: how many routes the caller may call, and with `--live` how
/// many the store answers otherwise (an error then: the command exits 1).
fn verdict(doc: &Value) -> (String, &'static str) {
    let total = doc["routes"].as_u64().unwrap_or(0);
    let allowed = doc["allowed"].as_u64().unwrap_or(0);
    let mut v = format!(
        "{} ({}): {allowed} of {total} routes allowed",
        s(&doc["caller"], "description"),
        role(doc)
    );
    let disagree = doc["live"]["disagreements"].as_u64().unwrap_or(0);
    if doc["live"].is_object() {
        let _ = write!(
            v,
            "; live: {} sent, {disagree} answered otherwise",
            doc["live"]["sent"].as_u64().unwrap_or(0)
        );
    }
    (v, if disagree > 0 { "error" } else { "info" })
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The ACL resources the role lacks, with how many denied routes name each, most first
/// (`self` and `anonymous` are no resources a role is granted: they stay in the routes' rows).
fn missing(doc: &Value) -> Vec<(String, u64)> {
    let mut count: BTreeMap<&str, u64> = BTreeMap::new();
    for r in rows(doc) {
        for m in strings(&r["missing"])
            .into_iter()
            .filter(|m| m.contains("::"))
        {
            *count.entry(m).or_default() += 1;
        }
    }
    let mut v: Vec<(String, u64)> = count.into_iter().map(|(k, n)| (k.into(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// The routes by module, modules in name order, routes in the JSON's order.
fn by_module(doc: &Value) -> BTreeMap<&str, Vec<&Value>> {
    let mut m: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for r in rows(doc) {
        m.entry(s(r, "module")).or_default().push(r);
    }
    m
}

/// The live cells of a row: the status and what it says (allowed, denied, unknown: not
/// Magento's answer).
fn live_cells(r: &Value) -> (String, String) {
    let l = &r["live"];
    if !l.is_object() {
        return (String::new(), String::new());
    }
    let status = l["status"]
        .as_u64()
        .map_or_else(|| "no answer".to_string(), |s| s.to_string());
    let said = match (l["allowed"].as_bool(), l["agrees"].as_bool()) {
        (Some(a), Some(false)) => format!("{} ≠ offline", if a { "allowed" } else { "denied" }),
        (Some(a), _) => (if a { "allowed" } else { "denied" }).to_string(),
        (None, _) => match l["error"].as_str() {
            Some(e) => format!("unknown: {e}"),
            None => format!("unknown: {}", s(l, "classification")),
        },
    };
    (status, said)
}

fn missing_rows(doc: &Value) -> Vec<Vec<String>> {
    missing(doc)
        .into_iter()
        .map(|(k, n)| vec![k, n.to_string()])
        .collect()
}

fn grant_hint(doc: &Value) -> Option<String> {
    doc["role_id"].as_i64().map(|r| {
        format!("m2auth acl:grant --role {r} --resource RESOURCE (a plan; --apply grants it)")
    })
}

fn markdown(doc: &Value) -> String {
    let mut o = String::new();
    let (v, _) = verdict(doc);
    let _ = writeln!(o, "# m2auth acl:matrix: {v}\n");
    let live = doc["live"].is_object();
    if let Some(reason) = doc["live"]["no_answer_reason"].as_str() {
        let _ = writeln!(o, "Routes without an answer: {reason}\n");
    }
    let lacking = missing_rows(doc);
    if !lacking.is_empty() {
        o.push_str("## Resources the role lacks\n\n");
        md_table(&mut o, &["resource", "#denied routes"], &lacking);
        if let Some(h) = grant_hint(doc) {
            let _ = writeln!(o, "Grant one: `{h}`\n");
        }
    }
    for (module, list) in by_module(doc) {
        let allowed = list.iter().filter(|r| r["allowed"] == true).count();
        let _ = writeln!(o, "## {module} ({allowed} of {} allowed)\n", list.len());
        let mut head = vec!["verdict", "method", "route", "missing"];
        if live {
            head.extend(["live status", "live"]);
        }
        let table: Vec<Vec<String>> = list
            .iter()
            .map(|r| {
                let mut row = vec![
                    (if r["allowed"] == true {
                        "allow"
                    } else {
                        "deny"
                    })
                    .to_string(),
                    s(r, "method").to_string(),
                    format!("`{}`", s(r, "url").replace('`', "'")),
                    strings(&r["missing"]).join(", "),
                ];
                if live {
                    let (a, b) = live_cells(r);
                    row.extend([a, b]);
                }
                row
            })
            .collect();
        md_table(&mut o, &head, &table);
    }
    let _ = writeln!(
        o,
        "_{} {}_",
        s(&doc["tool"], "name"),
        s(&doc["tool"], "version")
    );
    o
}

/// The matrix's own CSS: the row colours, the radio filters (CSS only), the hidden text filter.
const CSS: &str = "tr.allow td.v{color:#1e8449;font-weight:600}tr.deny td.v{color:#c0392b;font-weight:600}\
tr.diff{background:#fde2e1}tr.unknown td.l{color:#9a7d0a}details{margin:.6rem 0}summary{cursor:pointer;font-weight:600}\
.filters{margin:1rem 0;display:flex;gap:1rem;flex-wrap:wrap;align-items:center}.filters input[type=search]{font:inherit;padding:.2rem .4rem}\
#show-allow:checked~.modules tr.deny,#show-deny:checked~.modules tr.allow,#show-diff:checked~.modules tbody tr:not(.diff){display:none}\
tr.nomatch{display:none}.modules table{width:100%}\
@media print{.filters,input[type=radio],label.f{display:none}.modules tbody tr{display:table-row!important}}";

/// The text filter, only when scripts run: shows the input, hides the rows that do not
/// contain what is typed.
const SCRIPT: &str = "(function(){var q=document.getElementById('q');if(!q)return;q.hidden=false;\
q.addEventListener('input',function(){var t=q.value.toLowerCase();\
document.querySelectorAll('.modules tbody tr').forEach(function(r){\
r.classList.toggle('nomatch',t!==''&&r.textContent.toLowerCase().indexOf(t)<0);});});})();";

fn html(doc: &Value) -> String {
    let (v, class) = verdict(doc);
    let mut o = html_head("acl:matrix", &v, class, CSS);
    let live = doc["live"].is_object();
    if let Some(reason) = doc["live"]["no_answer_reason"].as_str() {
        let _ = writeln!(o, "<p>Routes without an answer: {}</p>", esc(reason));
    }
    let lacking = missing_rows(doc);
    if !lacking.is_empty() {
        o.push_str("<h2>Resources the role lacks</h2>\n");
        html_table(&mut o, "missing", &["resource", "#denied routes"], &lacking);
        if let Some(h) = grant_hint(doc) {
            let _ = writeln!(o, "<p>Grant one: <code>{}</code></p>", esc(&h));
        }
    }
    o.push_str("<h2>Routes</h2>\n");
    // The radios come before the modules: `:checked ~ .modules` filters with CSS alone.
    o.push_str(
        "<input type=\"radio\" name=\"show\" id=\"show-all\" checked><label class=\"f\" for=\"show-all\">all</label> \
<input type=\"radio\" name=\"show\" id=\"show-allow\"><label class=\"f\" for=\"show-allow\">allowed</label> \
<input type=\"radio\" name=\"show\" id=\"show-deny\"><label class=\"f\" for=\"show-deny\">denied</label> ",
    );
    if live {
        o.push_str("<input type=\"radio\" name=\"show\" id=\"show-diff\"><label class=\"f\" for=\"show-diff\">live disagrees</label> ");
    }
    o.push_str(
        "<span class=\"filters\"><input type=\"search\" id=\"q\" placeholder=\"filter routes, resources…\" aria-label=\"filter\" hidden></span>\n<div class=\"modules\">\n",
    );
    for (module, list) in by_module(doc) {
        let allowed = list.iter().filter(|r| r["allowed"] == true).count();
        let _ = writeln!(
            o,
            "<details open><summary>{} — {allowed} of {} allowed</summary>",
            esc(module),
            list.len()
        );
        o.push_str(
            "<table><thead><tr><th>verdict</th><th>method</th><th>route</th><th>missing</th>",
        );
        if live {
            o.push_str("<th>live status</th><th>live</th>");
        }
        o.push_str("</tr></thead><tbody>\n");
        for r in list {
            let allowed = r["allowed"] == true;
            let mut class = String::from(if allowed { "allow" } else { "deny" });
            if r["live"]["agrees"] == false {
                class.push_str(" diff");
            } else if r["live"].is_object() && r["live"]["allowed"].is_null() {
                class.push_str(" unknown");
            }
            let _ = write!(
                o,
                "<tr class=\"{class}\"><td class=\"v\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>",
                if allowed { "allow" } else { "deny" },
                esc(s(r, "method")),
                esc(s(r, "url")),
                esc(&strings(&r["missing"]).join(", ")),
            );
            if live {
                let (a, b) = live_cells(r);
                let _ = write!(
                    o,
                    "<td class=\"n\">{}</td><td class=\"l\">{}</td>",
                    esc(&a),
                    esc(&b)
                );
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody></table></details>\n");
    }
    o.push_str("</div>\n");
    let _ = writeln!(o, "<script>{SCRIPT}</script>");
    html_foot(&mut o, &doc["tool"]);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_json::json!({
            "tool": {"name": "m2auth", "version": "0.1.0"},
            "caller": {"kind": "integration", "description": "integration \"erp\" <x>"},
            "role_id": 50,
            "routes": 3,
            "allowed": 1,
            "matrix": [
                {"method": "GET", "url": "/V1/customers/:id", "module": "Magento_Customer",
                 "required": ["Magento_Customer::customer"], "allowed": false,
                 "missing": ["Magento_Customer::customer"],
                 "live": {"status": 200, "classification": "ok", "allowed": true, "agrees": false,
                          "elapsed_ms": 3, "error": null}},
                {"method": "GET", "url": "/V1/customers/me", "module": "Magento_Customer",
                 "required": ["self"], "allowed": true, "missing": [], "live": null},
                {"method": "GET", "url": "/V1/products|x", "module": "Magento_Catalog",
                 "required": ["Magento_Catalog::products"], "allowed": false,
                 "missing": ["Magento_Catalog::products"], "live": null}
            ],
            "live": {"sent": 1, "disagreements": 1, "unknown": 0, "no_route": 0, "no_answer": 0,
                     "no_answer_reason": "token sekret1234567890 refused"}
        })
    }

    #[test]
    fn summary_first_modules_as_tables_filters_and_masking() {
        let mut m = Masker::new();
        m.add("sekret1234567890");
        let h = render(Kind::Html, doc(), &m);
        assert!(!h.contains("sekret1234567890"), "{h}");
        let verdict = h.find("id=\"verdict\"").unwrap();
        assert!(verdict < h.find("<details").unwrap());
        assert!(h.contains("1 of 3 routes allowed; live: 1 sent, 1 answered otherwise"));
        assert!(h.contains("verdict error"), "a disagreement is the error");
        assert!(h.contains("integration &quot;erp&quot; &lt;x&gt;"));
        assert!(h.contains("<tr class=\"deny diff\">"));
        assert!(h.contains("id=\"show-diff\"") && h.contains("hidden></span>"));
        // Modules in name order.
        assert!(h.find("Magento_Catalog —").unwrap() < h.find("Magento_Customer —").unwrap());
        let md = render(Kind::Markdown, doc(), &m);
        assert!(md.starts_with("# m2auth acl:matrix: integration \"erp\" <x> (role 50)"));
        assert!(md.contains("| Magento_Customer::customer | 1 |"), "{md}");
        assert!(md.contains("`/V1/products\\|x`"), "{md}");
        assert!(!md.contains("sekret1234567890"));
    }
}
