//! The outcome of `acl:grant` ([`GrantOutcome`]): its plan, then one line saying what happened,
//! as text and JSON; `fix::acl_grant` plans and applies the grant, this renders it.

use crate::fix::acl_grant::{GrantOutcome, GrantStatus};

impl GrantOutcome {
    /// One line after the plan saying what happened.
    pub fn note(&self) -> String {
        match (self.status, &self.journal) {
            (GrantStatus::AlreadyAllowed, _) => {
                "nothing to change: the role already has every asked-for resource".into()
            }
            (GrantStatus::Planned, _) if self.plan.is_empty() => "nothing to change".into(),
            (GrantStatus::Planned, _) => {
                "plan only: nothing was changed; run again with --apply".into()
            }
            (GrantStatus::Applied, Some(l)) => format!(
                "applied in one transaction; journal entry {id} (undo: m2auth undo {id} --apply)",
                id = l.entry.id
            ),
            (GrantStatus::Applied, None) => "applied".into(),
        }
    }

    /// The plan (effects first; its SQL only when `verbose`) and the note.
    pub fn to_text(&self, verbose: bool) -> String {
        format!("{}{}\n", self.plan.render(verbose), self.note())
    }

    /// The plan's JSON (`title`, `notes`, `steps`, `effects`, `cache_notice`) plus `status`,
    /// `applied`, `role_id`, `role`, `note`, and `journal`/`undo` when applied.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = self.plan.to_json();
        v["status"] = serde_json::to_value(self.status).unwrap_or_default();
        v["applied"] = (self.status == GrantStatus::Applied).into();
        v["role_id"] = self.role_id.into();
        v["role"] = self.role.clone().into();
        v["note"] = self.note().into();
        if let Some(l) = &self.journal {
            v["journal"] = l.entry.id.clone().into();
            v["undo"] = format!("m2auth undo {} --apply", l.entry.id).into();
        }
        v
    }
}
