//! Step 3: the Authorization header as the client sends it, read the way Magento's
//! `TokenUserContext::processRequest()` reads it: `explode(' ', $header)` must give exactly two
//! pieces and the first, lower-cased, must be `bearer`; anything else is silently ignored and the
//! request runs as a guest. (OAuth headers are read by the OAuth checks.)

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::mask::mask;

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let Some(request) = &ctx.request else { return };
    if request.target.is_none() || request.oauth.is_some() || request.login.is_some() {
        return;
    }
    let headers = request.authorization();
    if headers.is_empty() {
        // Whether a missing header matters depends on the route: the role checks say so
        // (route-needs-admin-or-integration, route-anonymous-disabled); here only the fact.
        d.push(
            Finding::new(Code::AuthHeaderMissing, Severity::Info)
                .detail("The request carries no Authorization header: Magento treats it as a guest, which passes only `anonymous` routes.")
                .fix(Fix {
                    summary: "Send the token as `Authorization: Bearer <token>` (or sign the request with OAuth 1.0a)".into(),
                    commands: vec!["curl -H 'Authorization: Bearer <token>' …".into()],
                    admin_path: None,
                }),
        );
        return;
    }
    if headers.len() > 1 {
        d.push(malformed(
            "The request sends the Authorization header more than once",
            format!(
                "{} Authorization headers: PHP receives them joined (\"a, b\") or only one of them, and Magento's reader then sees no valid `Bearer <token>`.",
                headers.len()
            ),
            headers.iter().map(|h| shown(h)).collect::<Vec<_>>().join(" | "),
        ));
        return;
    }
    let value = headers[0];
    if value
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("oauth ")
    {
        return;
    }
    let pieces: Vec<&str> = value.split(' ').collect();
    let problem = if pieces.len() != 2 {
        Some(match pieces.len() {
            1 if value.to_ascii_lowercase().starts_with("bearer:") => {
                "`Bearer:` with a colon and no space: the scheme must be the word `Bearer`, then one space".to_string()
            }
            1 => "there is no space between the scheme and the token (or no scheme at all)".to_string(),
            _ if value.ends_with(' ') => "it ends with a space, which makes a third, empty piece".to_string(),
            _ if value.starts_with(' ') => "it starts with a space".to_string(),
            _ if value.contains("  ") => "two spaces between the scheme and the token".to_string(),
            n => format!("it splits into {n} space-separated pieces, not 2"),
        })
    } else if !pieces[0].eq_ignore_ascii_case("bearer") {
        Some(
            if pieces[0]
                .trim_end_matches(':')
                .eq_ignore_ascii_case("bearer")
            {
                "`Bearer:` with a colon: the scheme is the word `Bearer` alone".to_string()
            } else {
                format!("the scheme is `{}`, not `Bearer`", pieces[0])
            },
        )
    } else {
        None
    };
    if let Some(why) = problem {
        d.push(malformed(
            "The Authorization header is not `Bearer <token>`",
            format!(
                "Magento splits the header on single spaces and needs exactly `Bearer` and the token; {why}. The token is then never read and the request runs as a guest (401)."
            ),
            shown(value),
        ));
    }
}

/// The header with its credentials masked, and invisible characters made visible.
fn shown(value: &str) -> String {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let visible = |s: &str| {
        s.replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', "\\t")
    };
    if rest.is_empty() {
        format!("Authorization: {}", visible(&mask(scheme)))
    } else {
        let leading = rest.len() - rest.trim_start_matches(' ').len();
        let trailing = rest.len() - rest.trim_end_matches(' ').len();
        format!(
            "Authorization: {}{}{}{}",
            visible(scheme),
            "␠".repeat(leading + 1),
            visible(&mask(rest.trim_matches(' '))),
            "␠".repeat(trailing)
        )
    }
}

fn malformed(title: &str, detail: String, evidence: String) -> Finding {
    Finding::new(Code::AuthHeaderMalformed, Severity::Error)
        .title(title)
        .detail(detail)
        .evidence(Evidence::other("request", evidence))
        .fix(Fix {
            summary: "Send exactly `Authorization: Bearer <token>`: one header, one space, nothing around".into(),
            commands: vec!["curl -H \"Authorization: Bearer $TOKEN\" …".into()],
            admin_path: None,
        })
}
