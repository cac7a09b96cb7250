//! The reports of `integration:list`, `integration:show` and `integration:activate` (secrets
//! masked: only what the views and the activation carry, masked again by the run's masker).

use std::path::Path;

use serde_json::json;

use crate::fix::integration::{self as integration_fix, Activation, IntegrationView};
use crate::mask::mask;
use crate::report::{Format, Output};

fn integration_text(v: &IntegrationView, out: &mut String) {
    let line = |out: &mut String, k: &str, val: &str| out.push_str(&format!("  {k:<18} {val}\n"));
    out.push_str(&format!("Integration {} '{}'\n", v.integration_id, v.name));
    line(out, "status", &format!("{} ({})", v.status_label, v.status));
    line(out, "setup type", v.setup_type);
    if let Some(e) = &v.email {
        line(out, "email", e);
    }
    if let Some(e) = &v.endpoint {
        line(out, "endpoint", e);
    }
    line(
        out,
        "consumer",
        &v.consumer_id
            .map_or_else(|| "none".to_string(), |c| c.to_string()),
    );
    line(
        out,
        "consumer key",
        v.consumer_key.as_deref().unwrap_or("-"),
    );
    line(
        out,
        "consumer secret",
        v.consumer_secret.as_deref().unwrap_or("-"),
    );
    if let Some(how) = &v.secret_storage {
        line(out, "  stored", how);
    }
    match &v.token {
        Some(t) => {
            line(out, "access token", &t.access_token);
            line(out, "token secret", &t.token_secret);
            line(out, "  stored", &t.secret_storage);
            let mut state = format!("oauth_token {} type {}", t.entity_id, t.kind);
            if t.revoked {
                state.push_str(", REVOKED");
            }
            if let Some(u) = t.user_type {
                state.push_str(&format!(", user_type {u}"));
            }
            if let Some(c) = &t.created_at {
                state.push_str(&format!(", created {c}"));
            }
            line(out, "token", &state);
        }
        None => line(
            out,
            "access token",
            "none (activate the integration to make one)",
        ),
    }
    match (&v.role_id, &v.resources) {
        (None, _) => line(
            out,
            "resources",
            "none: no role (API resources never saved)",
        ),
        (Some(r), Some(res)) => {
            line(out, "role", &r.to_string());
            if res.is_empty() {
                line(out, "resources", "none allowed");
            }
            for (i, id) in res.iter().enumerate() {
                line(out, if i == 0 { "resources" } else { "" }, id);
            }
        }
        (Some(r), None) => {
            line(out, "role", &r.to_string());
            line(out, "resources", "unknown (the ACL could not be evaluated)");
        }
    }
}

/// `integration:list`: one line per integration, or the JSON array of views.
pub fn list(all: &[IntegrationView], f: Format) -> serde_json::Result<Output> {
    if f == Format::Json {
        return Ok(Output::Json(serde_json::to_value(all)?));
    }
    let mut t = String::new();
    t.push_str(&format!(
        "{:<4} {:<24} {:<9} {:<33} {:<14} {}\n",
        "ID", "NAME", "STATUS", "CONSUMER KEY", "TOKEN", "RESOURCES"
    ));
    for v in all {
        let token = match &v.token {
            Some(t) if t.revoked => format!("{} revoked", t.kind),
            Some(t) => t.kind.clone(),
            None => "none".into(),
        };
        let res = match &v.resources {
            Some(r) if r.len() == 1 && r[0] == "Magento_Backend::all" => "all".to_string(),
            Some(r) => r.len().to_string(),
            None if v.role_id.is_none() => "no role".into(),
            None => "?".into(),
        };
        t.push_str(&format!(
            "{:<4} {:<24} {:<9} {:<33} {:<14} {}\n",
            v.integration_id,
            crate::report::layout::shorten_middle(&v.name, 24),
            v.status_label,
            v.consumer_key.as_deref().unwrap_or("-"),
            token,
            res
        ));
    }
    if all.is_empty() {
        t = "no integrations\n".into();
    }
    Ok(Output::Text(t))
}

/// `integration:show`: one integration.
pub fn show(v: &IntegrationView, f: Format) -> serde_json::Result<Output> {
    if f == Format::Json {
        return Ok(Output::Json(serde_json::to_value(v)?));
    }
    let mut t = String::new();
    integration_text(v, &mut t);
    Ok(Output::Text(t))
}

/// `integration:activate` on an integration already active with a token.
pub fn already_active(act: &Activation, f: Format) -> Output {
    Output::pick(
        f,
        || {
            json!({
                "changed": false, "integration_id": act.integration_id, "name": act.name,
                "status": integration_fix::status_label(act.status_before),
                "token": act.existing,
                "note": "already active, with a token",
            })
        },
        || {
            format!(
                "nothing to do: integration '{}' (integration_id {}) is already active and has a token{}\n",
                act.name,
                act.integration_id,
                act.existing
                    .as_ref()
                    .map(|t| format!(" (oauth_token {}, type {})", t.entity_id, t.kind))
                    .unwrap_or_default()
            )
        },
    )
}

/// `integration:activate` done: `file` holds the new credentials (when a token was made);
/// `journal` is the entry's id, `undo` its undo command.
pub fn activated(
    act: &Activation,
    file: Option<&Path>,
    journal: &str,
    undo: &str,
    f: Format,
) -> Output {
    let status_change = format!(
        "{} → Active",
        integration_fix::status_label(act.status_before)
    );
    let endpoint_note = act.endpoint.as_ref().filter(|_| act.created.is_some()).map(|e| {
        format!(
            "Magento would post the consumer credentials to the endpoint {e} and let the application fetch its token over OAuth; m2auth made the token directly, so give the application the credentials from the file."
        )
    });
    if f == Format::Json {
        Output::Json(serde_json::json!({
            "changed": true,
            "integration_id": act.integration_id,
            "name": act.name,
            "status": status_change,
            "token_created": act.created.as_ref().map(|c| serde_json::json!({
                "oauth_token_id": c.token_id,
                "type": "access",
                "user_type": integration_fix::USER_TYPE_INTEGRATION,
                "access_token": mask(&c.access_token),
                "token_secret": mask(&c.token_secret),
                "secret_storage": act.secret_storage,
            })),
            "existing_token": act.existing,
            "replaced_existing_token": act.replaced,
            "credentials_file": file.as_ref().map(|p| p.display().to_string()),
            "note": endpoint_note,
            "journal": journal,
            "undo": undo,
        }))
    } else {
        let mut t = format!(
            "Activated integration '{}' (integration_id {}) in one transaction:\n",
            act.name, act.integration_id
        );
        if act.status_before != integration_fix::STATUS_ACTIVE {
            t.push_str(&format!("  integration.status {status_change}\n"));
        }
        if act.replaced
            && let Some(e) = &act.existing
        {
            t.push_str(&format!(
                "  reauthorised: deleted its {}token (oauth_token {}, type {}), as the admin's Reauthorize does\n",
                if e.revoked { "revoked " } else { "" },
                e.entity_id,
                e.kind
            ));
        }
        if let Some(c) = &act.created {
            t.push_str(&format!(
                "  oauth_token {}: a new access token (type access, user_type 1)\n    access token  {}\n    token secret  {}\n",
                c.token_id,
                mask(&c.access_token),
                mask(&c.token_secret)
            ));
            if let Some(how) = &act.secret_storage {
                t.push_str(&format!("    stored        {how}\n"));
            }
        } else if let Some(e) = &act.existing {
            t.push_str(&format!(
                "  kept its existing token (oauth_token {}, type {}{})\n",
                e.entity_id,
                e.kind,
                if e.revoked { ", REVOKED" } else { "" }
            ));
        }
        if let Some(p) = &file {
            t.push_str(&format!(
                "The full credentials (consumer key and secret, access token and secret) are in\n  {}\n(mode 0600, readable only by you): store them where they are needed, then delete the file.\n",
                p.display()
            ));
        }
        if let Some(n) = &endpoint_note {
            t.push_str(&format!("{n}\n"));
        }
        t.push_str(&format!("journal entry {journal} (undo: {undo})\n"));
        t.push_str("Afterwards: bin/magento cache:clean config (integration caches).\n");
        Output::Text(t)
    }
}
