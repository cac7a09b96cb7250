//! `token:inspect`: decode and verify a bearer token (kind, user, expiry, which crypt key
//! verifies it, revocation) and the findings for it.

use crate::app::{Common, Outcome, Output, Result};
use crate::checks::tokens;
use crate::report;

/// `token:inspect`.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// Its `secrets` hold the token (the CLI adds it whole and in pieces).
    pub common: Common,
    /// The token exactly as sent after "Bearer ".
    pub token: String,
}

/// `token:inspect`: exit 1 when Magento would refuse the token.
pub fn inspect(c: &TokenConfig) -> Result<Outcome> {
    let common = &c.common;
    // No root given and none at or above the current folder: decode only (nothing of the
    // store is needed for that); the rest is listed as not checked.
    if common.root.is_none() && common.find_root().is_err() {
        let found = tokens::decode(&c.token, common.now.unwrap_or_else(jiff::Timestamp::now));
        let mut masker = crate::mask::Masker::new();
        for s in &common.secrets {
            masker.add(s);
        }
        return Ok(Outcome {
            code: if found.diagnosis.root_cause().is_some() {
                1
            } else {
                0
            },
            output: Output::pick(
                common.format,
                || report::token::to_json(&found),
                || report::token::to_text(&found, &common.style),
            ),
            masker,
        });
    }
    let ctx = common.load(None)?;
    let found = tokens::inspect(&ctx, &c.token);
    let code = if found.diagnosis.root_cause().is_some() {
        1
    } else {
        0
    };
    let out = Output::pick(
        common.format,
        || report::token::to_json(&found),
        || report::token::to_text(&found, &common.style),
    );
    Ok(common.outcome(&ctx, out, code))
}
