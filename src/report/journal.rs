//! The reports of `undo`: the journal's entries (`--list`) and what an undo reversed.

use std::path::PathBuf;

use serde_json::json;

use crate::fix::journal::{Listed, UndoOutcome};
use crate::report::{Format, Output};

/// `undo --list`: one line per entry, newest last as listed.
pub fn entries(entries: &[Listed], damaged: &[(PathBuf, String)], f: Format) -> Output {
    Output::pick(
        f,
        || {
            let mut v: Vec<serde_json::Value> = entries.iter().map(|l| json!({
                "id": l.entry.id, "created_at": l.entry.created_at, "title": l.entry.title,
                "changes": l.entry.changes.len(), "files": l.entry.files.len(), "undone": l.entry.undone.is_some(), "undoes": l.entry.undoes,
            })).collect();
            v.extend(damaged.iter().map(|(p, why)| {
                json!({
                    "file": p.display().to_string(), "damaged": why,
                })
            }));
            json!(v)
        },
        || {
            let mut t = String::new();
            for l in entries {
                let state = if l.entry.undone.is_some() {
                    " (undone)"
                } else {
                    ""
                };
                t.push_str(&format!("{}  {}{state}\n", l.entry.id, l.entry.title));
            }
            for (p, why) in damaged {
                t.push_str(&format!(
                    "{}  DAMAGED, cannot be undone: {why}\n",
                    p.display()
                ));
            }
            if entries.is_empty() && damaged.is_empty() {
                t.push_str("the journal is empty\n");
            }
            t
        },
    )
}

/// `undo` without `--apply`: what it would reverse, and the command that does it.
pub fn undo_plan(target: &Listed, f: Format) -> Output {
    let mut plan = crate::fix::journal::undo_plan(&target.entry);
    plan.title = format!(
        "undo journal entry {} ({})",
        target.entry.id, target.entry.title
    );
    let cache_notice = target.entry.cache_notice();
    if !cache_notice.is_empty() {
        plan.cache_notice = cache_notice;
    }
    // The entry by its id: a newer entry may be written before the user applies.
    let command = format!("m2auth undo {} --apply", target.entry.id);
    Output::pick(
        f,
        || {
            json!({
                "plan": plan.to_json(),
                "journal": target.entry.id,
                "applied": false,
                "apply_with": command,
            })
        },
        || {
            format!(
                "{}nothing was changed: `{command}` reverses it\n",
                plan.to_text()
            )
        },
    )
}

/// `undo` done.
pub fn undone(outcome: &UndoOutcome, f: Format) -> Output {
    Output::pick(
        f,
        || {
            json!({
                "undone": outcome.original.entry.id,
                "title": outcome.original.entry.title,
                "journal": outcome.undo.entry.id,
                "changes": outcome.undo.entry.changes.len(),
                "files": outcome.undo.entry.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
                "overridden": outcome.overridden.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "cache_notice": outcome.cache_notice,
            })
        },
        || {
            let mut t = if outcome.undo.entry.database.is_none() {
                format!(
                    "undid {} ({}): {} file(s) put back as they were; recorded as {}\n",
                    outcome.original.entry.id,
                    outcome.original.entry.title,
                    outcome.undo.entry.files.len(),
                    outcome.undo.entry.id
                )
            } else {
                format!(
                    "undid {} ({}): {} change(s) reversed in one transaction; recorded as {}\n",
                    outcome.original.entry.id,
                    outcome.original.entry.title,
                    outcome.undo.entry.changes.len(),
                    outcome.undo.entry.id
                )
            };
            if !outcome.cache_notice.is_empty() {
                t.push_str("Afterwards:\n");
                for n in &outcome.cache_notice {
                    t.push_str(&format!("  - {n}\n"));
                }
            }
            t
        },
    )
}
