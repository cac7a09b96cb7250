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
