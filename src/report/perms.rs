//! `perms:check` and `perms:fix`: what was scanned, against which expectations, the findings
//! with counts per folder and examples; for `perms:fix` the plan (counts per folder and change)
//! and what `--apply` did.

use serde_json::{Value, json};

use crate::checks::file_perms::{self, Scan};
use crate::findings::Finding;
use crate::fix::perms::PermsFix;
use crate::report::{Format, Output};

fn expectations_json(s: &Scan) -> Value {
    let e = &s.expect;
    json!({
        "mode": e.mode.as_str(),
        "mode_from": e.mode_from,
        "owner": {"uid": e.owner.id, "name": e.owner.name, "from": e.owner_from},
        "group": {"gid": e.group.id, "name": e.group.name, "from": e.group_from},
        "web_user": e.web.as_ref().map(|w| json!({
            "user": w.user.as_ref().map(|u| json!({"uid": u.id, "name": u.name})),
            "group": w.group.as_ref().map(|g| json!({"gid": g.id, "name": g.name})),
            "from": w.how, "source": w.source,
        })),
    })
}

fn findings_json(s: &Scan, findings: &[Finding]) -> Value {
    Value::Array(
        findings
            .iter()
            .zip(s.tallies.iter())
            .map(|(f, (p, folders))| {
                let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
                let count: u64 = folders.values().map(|t| t.count).sum();
                let mut examples: Vec<&String> =
                    folders.values().flat_map(|t| &t.examples).collect();
                examples.truncate(file_perms::EXAMPLES);
                if let Value::Object(o) = &mut v {
                    o.insert("count".into(), json!(count));
                    o.insert("examples".into(), json!(examples));
                    o.insert("change".into(), json!(p.change()));
                    o.insert(
                        "folders".into(),
                        Value::Array(
                            folders
                                .iter()
                                .map(|(name, t)| {
                                    json!({"folder": name, "count": t.count, "examples": t.examples})
                                })
                                .collect(),
                        ),
                    );
                }
                v
            })
            .collect(),
    )
}

fn scan_json(s: &Scan, findings: &[Finding]) -> serde_json::Map<String, Value> {
    let w = &s.walk;
    let mut m = serde_json::Map::new();
    m.insert(
        "scanned".into(),
        json!({"files": w.files, "dirs": w.dirs, "links": w.links, "special": w.special}),
    );
    m.insert("mode".into(), json!(s.expect.mode.as_str()));
    m.insert(
        "owner".into(),
        json!(
            s.expect
                .owner
                .name
                .clone()
                .unwrap_or_else(|| s.expect.owner.id.to_string())
        ),
    );
    m.insert(
        "group".into(),
        json!(
            s.expect
                .group
                .name
                .clone()
                .unwrap_or_else(|| s.expect.group.id.to_string())
        ),
    );
    m.insert("expectations".into(), expectations_json(s));
    m.insert(
        "unreadable".into(),
        Value::Array(
            w.unreadable
                .iter()
                .map(|(p, why)| json!({"path": p, "reason": why}))
                .collect(),
        ),
    );
    m.insert("replaced_during_walk".into(), json!(w.replaced));
    m.insert("vanished_during_walk".into(), json!(w.vanished));
    m.insert("findings".into(), findings_json(s, findings));
    m
}

fn scan_text(s: &Scan, findings: &[Finding], t: &mut String) {
    let w = &s.walk;
    let e = &s.expect;
    t.push_str(&format!(
        "Scanned {} files and {} folders ({} links, never followed).\n",
        w.files, w.dirs, w.links
    ));
    t.push_str(&format!(
        "Mode: {} (from {})\n",
        e.mode.as_str(),
        e.mode_from
    ));
    t.push_str(&format!(
        "Owner: {} ({})\n",
        e.owner.show("uid"),
        e.owner_from
    ));
    t.push_str(&format!(
        "Shared group: {} ({})\n",
        e.group.show("gid"),
        e.group_from
    ));
    match &e.web {
        Some(web) => t.push_str(&format!(
            "Web server user: {} ({}{})\n",
            web.user
                .as_ref()
                .map(|u| u.show("uid"))
                .unwrap_or_else(|| "unknown on this system".into()),
            web.how,
            web.source
                .as_ref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default()
        )),
        None => t.push_str(
            "Web server user: not found (no php-fpm pool, Apache User or nginx user read; --web-user names it)\n",
        ),
    }
    if !w.unreadable.is_empty() {
        t.push_str(&format!(
            "\n{} folder(s) could not be read (not checked):\n",
            w.unreadable.len()
        ));
        for (p, why) in w.unreadable.iter().take(10) {
            t.push_str(&format!("  {p}: {why}\n"));
        }
    }
    if !w.replaced.is_empty() {
        t.push_str(&format!(
            "\n{} folder(s) were replaced while they were read (not entered): {}\n",
            w.replaced.len(),
            w.replaced
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if findings.is_empty() {
        t.push_str("\nNo permission or owner problem found.\n");
        return;
    }
    for (f, (p, folders)) in findings.iter().zip(s.tallies.iter()) {
        let total: u64 = folders.values().map(|t| t.count).sum();
        t.push_str(&format!(
            "\n{} [{}] {} ({total})\n",
            f.severity, f.code, f.title
        ));
        t.push_str(&format!("  {}\n", f.detail));
        for (name, tally) in folders {
            t.push_str(&format!("  {name}: {} — {}\n", tally.count, p.change()));
            for ex in tally.examples.iter().take(3) {
                t.push_str(&format!("    {ex}\n"));
            }
            if tally.count > 3 {
                t.push_str(&format!("    … ({} more)\n", tally.count - 3));
            }
        }
    }
    t.push_str("\nFix: m2auth perms:fix (the plan), then m2auth perms:fix --apply (journaled; m2auth undo reverses it)\n");
}

/// `perms:check`.
pub fn check(s: &Scan, findings: &[Finding], f: Format) -> Output {
    Output::pick(
        f,
        || Value::Object(scan_json(s, findings)),
        || {
            let mut t = String::new();
            scan_text(s, findings, &mut t);
            t
        },
    )
}

/// `perms:fix [--apply]`.
pub fn fix(p: &PermsFix, findings: &[Finding], f: Format) -> Output {
    Output::pick(
        f,
        || {
            let mut m = scan_json(&p.scan, findings);
            m.insert(
                "plan".into(),
                json!({
                    "changes": p.planned,
                    "owner_not_changed": p.owner_not_changed,
                    "hard_links_outside": p.hard_links_outside,
                }),
            );
            m.insert(
                "applied".into(),
                match &p.applied {
                    None => Value::Null,
                    Some((l, a)) => json!({
                        "journal": l.entry.id,
                        "changed": a.changed, "already": a.already,
                        "skipped": a.skipped, "failed": a.failed,
                        "problems": a.problems.iter().map(|(p, w)| json!({"path": p, "reason": w})).collect::<Vec<_>>(),
                    }),
                },
            );
            Value::Object(m)
        },
        || {
            let mut t = String::new();
            scan_text(&p.scan, findings, &mut t);
            t.push('\n');
            if p.planned == 0 {
                t.push_str("Nothing to change.\n");
            } else {
                t.push_str(&format!("Plan: {} change(s)", p.planned));
                t.push_str(
                    " — exactly the entries above, nothing else; links are never followed.\n",
                );
            }
            if p.owner_not_changed > 0 {
                t.push_str(&format!(
                    "{} entr{} wrong only in owner or group: not changed (chown needs --owner USER[:GROUP], as root).\n",
                    p.owner_not_changed,
                    if p.owner_not_changed == 1 { "y" } else { "ies" }
                ));
            }
            if !p.hard_links_outside.is_empty() {
                t.push_str(&format!(
                    "{} hard-linked file(s) also named outside the store: not changed ({}).\n",
                    p.hard_links_outside.len(),
                    p.hard_links_outside
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            match &p.applied {
                None if p.planned > 0 => {
                    t.push_str("Nothing was changed: add --apply to make these changes.\n")
                }
                None => {}
                Some((l, a)) => {
                    t.push_str(&format!(
                        "Applied: {} changed, {} already right, {} skipped, {} failed; journal {} (m2auth undo {} reverses it)\n",
                        a.changed, a.already, a.skipped, a.failed, l.entry.id, l.entry.id
                    ));
                    for (path, why) in &a.problems {
                        t.push_str(&format!("  {path}: {why}\n"));
                    }
                }
            }
            t
        },
    )
}
