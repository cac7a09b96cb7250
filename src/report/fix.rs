//! The plans of the commands that change something ([`Plan`], the plan of `fix`
//! ([`FixPlan`])) as text and JSON; `fix/` builds and applies them, this renders them.

use crate::fix::Plan;
use crate::fix::journal::Listed;
use crate::fix::own::OwnDone;
use crate::fix::server::FixPlan;

impl Plan {
    /// The plan as text with every step's statements ([`Plan::render`] with them).
    pub fn to_text(&self) -> String {
        self.render(true)
    }

    /// The plan as text: title, the effects per role first (denials loudly: what the change
    /// means), notes, numbered steps (their SQL statements indented when `show_sql`; file
    /// previews always), then the cache notice.
    pub fn render(&self, show_sql: bool) -> String {
        let mut out = format!("PLAN: {}\n", self.title);
        if !self.effects.is_empty() {
            out.push_str("Effects (Magento's answer for each resource, before and after):\n");
            for e in &self.effects {
                out.push_str(&format!("  {}: {}\n", e.role, e.how));
                if !e.newly_allowed.is_empty() {
                    out.push_str(&format!(
                        "    newly allowed ({}): {}\n",
                        e.newly_allowed.len(),
                        e.newly_allowed.join(", ")
                    ));
                }
                if !e.newly_denied.is_empty() {
                    out.push_str(&format!(
                        "    !! newly DENIED ({}): {}\n",
                        e.newly_denied.len(),
                        e.newly_denied.join(", ")
                    ));
                    if e.written {
                        out.push_str("       (allowed now without an allow row of the role's own, e.g. through a parent resource's rule; the role editor's save writes them as deny. Add them with --resource to keep them)\n");
                    }
                }
                if e.newly_allowed.is_empty() && e.newly_denied.is_empty() {
                    out.push_str("    no change\n");
                }
            }
            if self.effects.iter().all(|e| e.written) {
                out.push_str("  no other role changes\n");
            }
        }
        for n in &self.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        if self.steps.is_empty() {
            out.push_str("  nothing to change\n");
        } else if !self.effects.is_empty() {
            out.push_str("Steps:\n");
        }
        let mut hidden = false;
        for (i, step) in self.steps.iter().enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, step.description));
            if !show_sql && is_sql(&step.sql_preview) {
                hidden = true;
                continue;
            }
            for line in step.sql_preview.lines() {
                out.push_str(&format!("       {line}\n"));
            }
        }
        if hidden {
            out.push_str("  (--verbose shows the SQL statements)\n");
        }
        if !self.cache_notice.is_empty() && !self.steps.is_empty() {
            out.push_str("Afterwards:\n");
            for n in &self.cache_notice {
                out.push_str(&format!("  - {n}\n"));
            }
        }
        out
    }

    /// The plan as JSON: `{"title", "notes"?, "steps": [{"description", "sql_preview"}],
    /// "effects"?: [{"role_id", "role", "written", "how", "newly_allowed", "newly_denied"}],
    /// "cache_notice"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Whether a step's preview is SQL statements (not the lines of a file edit).
fn is_sql(preview: &str) -> bool {
    let first = preview.trim_start().to_ascii_uppercase();
    ["DELETE ", "INSERT ", "UPDATE ", "REPLACE ", "SELECT "]
        .iter()
        .any(|k| first.starts_with(k))
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl FixPlan {
    pub fn to_text(&self, applied: Option<&Listed>, own: &[OwnDone]) -> String {
        let plan = self.as_plan();
        // No file to edit but steps of m2auth's own: no "nothing to change" above them.
        let mut out = if self.edits.is_empty() && !self.own.is_empty() {
            format!("PLAN: {}\n", plan.title)
        } else {
            plan.to_text()
        };
        for c in &self.choices {
            out.push_str(&format!("  one fix per problem: {c}\n"));
        }
        if !self.own.is_empty() {
            out.push_str("m2auth's own steps (--apply carries them out, each journaled):\n");
            for o in &self.own {
                let codes: Vec<&str> = o.codes.iter().map(|c| c.as_str()).collect();
                out.push_str(&format!("  - {}: {}\n", codes.join(", "), o.summary));
                out.push_str(&format!("      $ {}\n", o.command));
                if let Some(d) = own.iter().find(|d| d.command == o.command) {
                    let state = if d.ok { "done" } else { "FAILED" };
                    out.push_str(&format!("      {state}: {}\n", d.note));
                }
            }
        }
        if !self.manual.is_empty() {
            out.push_str("Manual steps (m2auth does not carry these out):\n");
            for m in &self.manual {
                out.push_str(&format!("  - {}: {}\n", m.code, m.summary));
                for c in &m.commands {
                    out.push_str(&format!("      {c}\n"));
                }
            }
        }
        if self.cache_cleaned {
            out.push_str(&format!(
                "cleaned the cache type(s) {}\n",
                self.cache_clean.join(", ")
            ));
        }
        match applied {
            Some(l) => out.push_str(&format!(
                "applied: {} file(s) changed; journal {id} (m2auth undo {id} --apply reverses it)\n",
                l.entry.files.len(),
                id = l.entry.id
            )),
            None if own.is_empty()
                && (!(self.edits.is_empty() && self.own.is_empty())
                    || (!self.cache_clean.is_empty() && !self.cache_cleaned)) =>
            {
                out.push_str("nothing was changed: run with --apply to carry out the fixes above\n")
            }
            None => {}
        }
        out
    }

    pub fn to_json(&self, applied: Option<&Listed>, own: &[OwnDone]) -> serde_json::Value {
        let own_json: Vec<serde_json::Value> = self
            .own
            .iter()
            .map(|o| {
                let done = own.iter().find(|d| d.command == o.command);
                serde_json::json!({
                    "codes": o.codes,
                    "summary": o.summary,
                    "command": o.command,
                    "applied": done.is_some_and(|d| d.ok),
                    "journal": done.and_then(|d| d.journal.clone()),
                    "note": done.map(|d| d.note.clone()),
                })
            })
            .collect();
        serde_json::json!({
            "plan": self.as_plan().to_json(),
            "edits": self.edits,
            "own": own_json,
            "choices": self.choices,
            "manual": self.manual,
            "afterwards": self.afterwards,
            "cache_clean": self.cache_clean,
            "cache_cleaned": self.cache_cleaned,
            "applied": applied.is_some() || own.iter().any(|d| d.ok) || self.cache_cleaned,
            "journal": applied.map(|l| l.entry.id.clone()),
        })
    }
}
