//! The report of `token:inspect`: text and JSON.

use std::fmt::Write;

use jiff::Timestamp;

use crate::checks::tokens::Inspection;
use crate::report::diagnosis::findings_text;
use crate::report::style::Style;

pub fn to_text(i: &Inspection, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold("Token"));
    let format = match i.shape {
        "jws" => "signed JWT (JWS)",
        "jwe" => "encrypted JWT (JWE)",
        "opaque" => "32-character opaque token (oauth_token)",
        _ => "malformed",
    };
    let _ = writeln!(out, "  kind:      {} ({format})", i.kind);
    match &i.user {
        Some(u) => {
            let _ = writeln!(
                out,
                "  user:      {} {}{}",
                u.user_type,
                u.id,
                u.name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(out, "  user:      unknown");
        }
    }
    let ts =
        |t: &Option<jiff::Timestamp>| t.map(|t| t.to_string()).unwrap_or_else(|| "unknown".into());
    let _ = writeln!(out, "  issued:    {}", ts(&i.issued_at));
    let _ = writeln!(out, "  expires:   {}", ts(&i.expires_at));
    if i.shape == "jws" || i.shape == "jwe" {
        let _ = writeln!(
            out,
            "  header:    alg {} kid {} (store: webapi/jwtauth/jwt_alg = {})",
            i.alg.as_deref().unwrap_or("(none)"),
            i.kid.as_deref().unwrap_or("(none)"),
            i.configured_alg.as_deref().unwrap_or("not read")
        );
        let verified = match i.verified_with_key {
            Some(k) if k + 1 == i.keys => {
                format!("crypt/key index {k} (the current key, of {})", i.keys)
            }
            Some(k) => format!(
                "crypt/key index {k} only (an earlier key; Magento uses index {})",
                i.keys.saturating_sub(1)
            ),
            None if i.keys == 0 => "not checked (no crypt key)".into(),
            None => format!("no key of {} in crypt/key", i.keys),
        };
        let _ = writeln!(out, "  verified:  {verified}");
    }
    let not_checked = |check: &str| i.diagnosis.skipped.iter().any(|s| s.check == check);
    let revoked = match i.revoked {
        true => "yes",
        false if not_checked("jwt-revocation") => "not checked (no database)",
        false => "no",
    };
    let _ = writeln!(out, "  revoked:   {revoked}");
    let _ = writeln!(out);
    out.push_str(&findings_text(&i.diagnosis, style));
    crate::report::layout::fit(&out, crate::report::layout::width())
}

/// The JSON of `token:inspect` (`cli.md`).
pub fn to_json(i: &Inspection) -> serde_json::Value {
    let ts = |t: &Option<Timestamp>| t.map(|t| t.to_string());
    serde_json::json!({
        "kind": i.kind,
        "format": i.shape,
        "user": i.user,
        "issued_at": ts(&i.issued_at),
        "expires_at": ts(&i.expires_at),
        "verified_with_key": i.verified_with_key,
        "crypt_keys": i.keys,
        "alg": i.alg,
        "kid": i.kid,
        "configured_alg": i.configured_alg,
        "revoked": i.revoked,
        "root_cause": i.diagnosis.root_cause(),
        "findings": i.diagnosis.findings,
        "skipped": i.diagnosis.skipped,
    })
}
