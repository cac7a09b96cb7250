//! The reports of `undo`: the journal's entries (`--list`) and what an undo reversed.

use serde_json::json;

use crate::fix::journal::{Listed, UndoOutcome};
use crate::report::{Format, Output};

/// `undo --list`: one line per entry, newest last as listed.
pub fn entries(entries: &[Listed], f: Format) -> Output {
    Output::pick(
        f,
        || {
            json!(entries.iter().map(|l| json!({
                "id": l.entry.id, "created_at": l.entry.created_at, "title": l.entry.title,
                "changes": l.entry.changes.len(), "files": l.entry.files.len(), "perms": l.entry.perms.as_ref().map(|p| p.count), "undone": l.entry.undone.is_some(), "undoes": l.entry.undoes,
            })).collect::<Vec<_>>())
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
            if entries.is_empty() {
                t.push_str("the journal is empty\n");
            }
            t
        },
    )
}

/// `undo` of a `perms:fix` entry done.
pub fn undone_perms(outcome: &UndoOutcome, a: &crate::fix::perms::Applied, f: Format) -> Output {
    let count = outcome.original.entry.perms.as_ref().map_or(0, |p| p.count);
    Output::pick(
        f,
        || {
            json!({
                "undone": outcome.original.entry.id,
                "title": outcome.original.entry.title,
                "journal": outcome.undo.entry.id,
                "entries": count,
                "restored": a.changed, "already": a.already, "skipped": a.skipped, "failed": a.failed,
                "problems": a.problems.iter().map(|(p, w)| json!({"path": p, "reason": w})).collect::<Vec<_>>(),
                "overridden": outcome.overridden.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            })
        },
        || {
            let mut t = format!(
                "undid {} ({}): {} of {count} mode/owner change(s) put back ({} already as before, {} skipped, {} failed); recorded as {}\n",
                outcome.original.entry.id,
                outcome.original.entry.title,
                a.changed,
                a.already,
                a.skipped,
                a.failed,
                outcome.undo.entry.id
            );
            for (p, why) in &a.problems {
                t.push_str(&format!("  {p}: {why}\n"));
            }
            t
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
