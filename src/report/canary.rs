//! The canary of `request --canary`: its JSON block and its one-line summary.

use crate::live::canary::CanaryOutcome;

/// The `canary` block of the JSON report.
pub fn to_json(outcome: &CanaryOutcome, removed: bool) -> serde_json::Value {
    use serde_json::json;
    match outcome {
        CanaryOutcome::Arrived { url, via, intact } => json!({
            "url": url, "result": "arrived", "via": via, "intact": intact, "file_removed": removed,
        }),
        CanaryOutcome::NotArrived { url, status } => json!({
            "url": url, "result": "stripped", "status": status, "file_removed": removed,
        }),
        CanaryOutcome::Unusable { reason } => json!({
            "result": "unusable", "reason": reason, "file_removed": removed,
        }),
    }
}

/// One line on what the canary proved.
pub fn summary(outcome: &CanaryOutcome) -> String {
    match outcome {
        CanaryOutcome::Arrived { via, intact, .. } => format!(
            "the Authorization header reached PHP (as {via}{})",
            if *intact {
                ", unchanged"
            } else {
                ", but altered"
            }
        ),
        CanaryOutcome::NotArrived { .. } => "the Authorization header did NOT reach PHP".into(),
        CanaryOutcome::Unusable { reason } => format!("no proof: {reason}"),
    }
}
