//! The shape of a bearer token as Magento's readers see it, before any verification: a compact
//! JWS (2.4.4+ admin and customer tokens, `app/code/Magento/JwtUserToken/Model/Reader.php`), a JWE,
//! or a 32-character opaque token (`oauth_token.token`: legacy admin/customer tokens and
//! integration access tokens).

use base64::Engine as _;
use serde_json::Value;

/// `UserContextInterface` user types (`app/code/Magento/Authorization/Model/UserContextInterface.php`).
pub const USER_TYPE_INTEGRATION: i64 = 1;
pub const USER_TYPE_ADMIN: i64 = 2;
pub const USER_TYPE_CUSTOMER: i64 = 3;
pub const USER_TYPE_GUEST: i64 = 4;

/// `oauth_token_request_log.user_type` has its own numbering
/// (`Magento\Integration\Model\Oauth\Token\RequestThrottler`): customers 2, admins 3.
pub const THROTTLE_CUSTOMER: i64 = 2;
pub const THROTTLE_ADMIN: i64 = 3;

/// `oauth_token` values are 32 characters (`Magento\Framework\Oauth\Helper\Oauth::LENGTH_TOKEN`).
pub const OPAQUE_LENGTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenShape {
    /// A compact JWS: header and claims decoded (not verified).
    Jws { header: Value, claims: Value },
    /// A compact JWE (5 parts): encrypted, only the header is readable.
    Jwe { header: Value },
    /// 32 characters of letters and digits.
    Opaque,
    /// Neither: with the reason.
    Malformed(String),
}

impl TokenShape {
    /// `uid` and `utypid` of a JWS.
    pub fn jwt_user(&self) -> Option<(i64, i64)> {
        match self {
            TokenShape::Jws { claims, .. } => Some((
                claims.get("uid")?.as_i64()?,
                claims.get("utypid")?.as_i64()?,
            )),
            _ => None,
        }
    }
}

fn decode_part(part: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Classify a token as sent (after `Bearer `).
pub fn parse(token: &str) -> TokenShape {
    if token.is_empty() {
        return TokenShape::Malformed("the token is empty".into());
    }
    if let Some(c) = token
        .chars()
        .find(|c| c.is_whitespace() || *c == '"' || *c == '\'')
    {
        return TokenShape::Malformed(format!(
            "the token contains {}",
            match c {
                '"' | '\'' => "a quote",
                '\n' | '\r' => "a line break",
                _ => "whitespace",
            }
        ));
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.len() {
        3 => match (decode_part(parts[0]), decode_part(parts[1])) {
            (Some(header), Some(claims)) if header.is_object() && claims.is_object() => {
                TokenShape::Jws { header, claims }
            }
            _ => TokenShape::Malformed(
                "three dot-separated parts, but not base64url JSON (not a JWT)".into(),
            ),
        },
        5 => match decode_part(parts[0]) {
            Some(header) if header.is_object() => TokenShape::Jwe { header },
            _ => TokenShape::Malformed("five dot-separated parts, but no JWE header".into()),
        },
        1 if token.len() == OPAQUE_LENGTH && token.chars().all(|c| c.is_ascii_alphanumeric()) => {
            TokenShape::Opaque
        }
        1 => TokenShape::Malformed(format!(
            "{} characters: neither a JWT nor a {OPAQUE_LENGTH}-character token",
            token.chars().count()
        )),
        n => TokenShape::Malformed(format!(
            "{n} dot-separated parts: a JWT has 3 (JWS) or 5 (JWE)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        // {"kid":"1","alg":"HS256"} . {"uid":68,"utypid":2,"iat":1689350618,"exp":1689354218}
        let jwt = "eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ.eyJ1aWQiOjY4LCJ1dHlwaWQiOjIsImlhdCI6MTY4OTM1MDYxOCwiZXhwIjoxNjg5MzU0MjE4fQ.sig";
        assert_eq!(parse(jwt).jwt_user(), Some((68, 2)));
        assert_eq!(
            parse("at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g"),
            TokenShape::Opaque
        );
        assert!(matches!(parse("Bearer x"), TokenShape::Malformed(_)));
        assert!(matches!(parse("\"abc\""), TokenShape::Malformed(_)));
        assert!(matches!(parse("a.b"), TokenShape::Malformed(_)));
        assert!(matches!(parse("short"), TokenShape::Malformed(_)));
    }
}
