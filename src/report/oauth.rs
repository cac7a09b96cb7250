//! The report of `oauth:sign`: the Authorization header, the base string and a curl command.

use serde_json::json;

use crate::magento::oauth1;
use crate::report::{Format, Output};

/// A signed request, as `oauth:sign` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    pub method: String,
    pub url: String,
    pub nonce: String,
    pub timestamp: i64,
    pub signature: String,
    /// The `Authorization` header's value.
    pub header: String,
    pub base_string: String,
    /// A ready curl command (shell-quoted).
    pub curl: String,
}

pub fn signed(s: &Signed, f: Format) -> Output {
    Output::pick(
        f,
        || {
            json!({
                "method": s.method,
                "url": s.url,
                "signature_method": oauth1::HMAC_SHA256,
                "nonce": s.nonce,
                "timestamp": s.timestamp,
                "signature": s.signature,
                "authorization": s.header,
                "base_string": s.base_string,
                "curl": s.curl,
            })
        },
        || {
            format!(
                "Authorization: {}\n\nbase string:\n{}\n\ncurl:\n{}\n",
                s.header, s.base_string, s.curl
            )
        },
    )
}
