//! Text of `cache:clean`, `cache:flush` and `cache:status`.

use serde::Serialize;

use crate::report::style::Style;

pub use crate::fix::cache::TypeResult;

/// One storage flushed.
#[derive(Debug, Clone, Serialize)]
pub struct BackendResult {
    pub frontend: String,
    pub backend: String,
    pub removed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheResult {
    pub action: &'static str,
    pub types: Vec<TypeResult>,
    pub backends: Vec<BackendResult>,
    /// The Varnish purges sent (only when the full-page cache is Varnish).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purges: Vec<crate::fix::varnish::PurgeResult>,
    pub notes: Vec<String>,
}

pub fn to_text(r: &CacheResult, style: &Style) -> String {
    let mut out = String::new();
    match r.action {
        "clean" => {
            for t in &r.types {
                match t.entries {
                    Some(n) => out.push_str(&format!(
                        "{:<30} cleaned ({n} entr{} removed)\n",
                        t.id,
                        if n == 1 { "y" } else { "ies" }
                    )),
                    None => out.push_str(&format!("{:<30} disabled: left as it is\n", t.id)),
                }
            }
        }
        "flush" => {
            for b in &r.backends {
                out.push_str(&format!(
                    "{} flushed: {} ({} entr{})\n",
                    b.frontend,
                    b.backend,
                    b.removed,
                    if b.removed == 1 { "y" } else { "ies" }
                ));
            }
        }
        _ => {
            for b in &r.backends {
                out.push_str(&format!(
                    "{} {:<10} {} ({} entries)\n",
                    style.bold("frontend"),
                    b.frontend,
                    b.backend,
                    b.removed
                ));
            }
            for t in &r.types {
                out.push_str(&format!(
                    "{:<30} {:<8} {:>7} entries  ({})\n",
                    t.id,
                    if t.enabled { "enabled" } else { "disabled" },
                    t.entries
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "?".into()),
                    t.frontend
                ));
            }
        }
    }
    for p in &r.purges {
        out.push_str(&format!(
            "varnish {}:{} PURGE X-Magento-Tags-Pattern: {}: {}\n",
            p.host,
            p.port,
            p.pattern,
            match (&p.answer, &p.error) {
                (Some(a), _) => a.clone(),
                (None, Some(e)) => format!("not purged ({e})"),
                (None, None) => "no answer".into(),
            }
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// Text of `cache:enable` / `cache:disable` (from their JSON).
pub fn state_text(doc: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in doc["changes"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "{}:{}\n",
            doc["file"].as_str().unwrap_or(""),
            c.as_str().unwrap_or("")
        ));
    }
    if let Some(j) = doc["journal"].as_str() {
        out.push_str(&format!("applied; journal {j} (m2auth undo reverses it)\n"));
    }
    for n in doc["notes"].as_array().into_iter().flatten() {
        out.push_str(&format!("note: {}\n", n.as_str().unwrap_or("")));
    }
    out
}
