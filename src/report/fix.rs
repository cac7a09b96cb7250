//! The plans of the commands that change something ([`Plan`], the plan of `fix`
//! ([`FixPlan`])) as text and JSON; `fix/` builds and applies them, this renders them.

use crate::fix::Plan;
use crate::fix::journal::Listed;
use crate::fix::server::FixPlan;

impl Plan {
    /// The plan as text: title, notes, numbered steps with their SQL indented, the effects per
    /// role (denials loudly), then the cache notice.
    pub fn to_text(&self) -> String {
        let mut out = format!("PLAN: {}\n", self.title);
        for n in &self.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        if self.steps.is_empty() {
            out.push_str("  nothing to change\n");
        }
        for (i, step) in self.steps.iter().enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, step.description));
            for line in step.sql_preview.lines() {
                out.push_str(&format!("       {line}\n"));
            }
        }
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

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl FixPlan {
    pub fn to_text(&self, applied: Option<&Listed>) -> String {
        let mut out = self.as_plan().to_text();
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
                "applied: {} file(s) changed; journal {} (m2auth undo reverses it)\n",
                l.entry.files.len(),
                l.entry.id
            )),
            None if !self.edits.is_empty()
                || (!self.cache_clean.is_empty() && !self.cache_cleaned) =>
            {
                out.push_str("nothing was changed: run with --apply to make the changes above\n")
            }
            None => {}
        }
        out
    }

    pub fn to_json(&self, applied: Option<&Listed>) -> serde_json::Value {
        serde_json::json!({
            "plan": self.as_plan().to_json(),
            "edits": self.edits,
            "manual": self.manual,
            "afterwards": self.afterwards,
            "cache_clean": self.cache_clean,
            "cache_cleaned": self.cache_cleaned,
            "applied": applied.is_some(),
            "journal": applied.map(|l| l.entry.id.clone()),
        })
    }
}
