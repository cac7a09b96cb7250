//! A fresh token from Magento's token endpoint (`POST /rest/V1/integration/{admin,customer}/token`
//! with `{"username": …, "password": …}`), for `request --admin-user/--customer`.

use crate::live::LiveError;
use crate::live::classify::{Classification, classify};
use crate::live::client::{Client, Exchange, Outgoing};
use crate::request::{Header, Login, Password, Target};

/// The token endpoint for a target: same origin, same store subfolder and store code
/// (`/shop/rest/default/V1/products` → `/shop/rest/default/V1/integration/admin/token`).
pub fn token_url(origin: &str, target: &Target, login: &Login) -> String {
    let path = &target.path;
    let base = match path.find("/V1/") {
        Some(i) => &path[..i],
        None => path.trim_end_matches('/'),
    };
    let base = if base.is_empty() { "/rest" } else { base };
    let kind = match login {
        Login::Admin(_) => "admin",
        Login::Customer(_) => "customer",
    };
    format!("{origin}{base}/V1/integration/{kind}/token")
}

/// The token request, the answer, and the token when Magento handed one out.
pub struct TokenAttempt {
    pub request: Outgoing,
    pub exchange: Exchange,
    pub class: Classification,
    pub token: Option<String>,
}

pub fn obtain(
    client: &Client,
    url: &str,
    login: &Login,
    password: &Password,
) -> Result<TokenAttempt, LiveError> {
    let username = match login {
        Login::Admin(u) | Login::Customer(u) => u,
    };
    let body = serde_json::json!({"username": username, "password": password.expose()}).to_string();
    let request = Outgoing {
        method: "POST".into(),
        url: url.to_string(),
        headers: vec![
            Header {
                name: "Content-Type".into(),
                value: "application/json".into(),
            },
            Header {
                name: "Accept".into(),
                value: "application/json".into(),
            },
        ],
        body: Some(body),
    };
    let exchange = client.send(&request)?;
    let class = classify(&exchange);
    let token = match (&exchange, &class) {
        (Ok(r), Classification::Success { .. }) => parse_token(&r.body),
        _ => None,
    };
    Ok(TokenAttempt {
        request,
        exchange,
        class,
        token,
    })
}

/// Magento answers a JSON string: `"eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ…"`.
pub fn parse_token(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(body).ok()? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_urls_keep_subfolder_and_store_code() {
        let t =
            crate::request::parse_target("https://m.test/shop/rest/default/V1/products").unwrap();
        assert_eq!(
            token_url("https://m.test", &t, &Login::Admin("a".into())),
            "https://m.test/shop/rest/default/V1/integration/admin/token"
        );
        let t = crate::request::parse_target("https://m.test/rest/V1/customers/me").unwrap();
        assert_eq!(
            token_url("https://m.test", &t, &Login::Customer("c@x".into())),
            "https://m.test/rest/V1/integration/customer/token"
        );
        assert_eq!(
            parse_token(br#""abc.def.ghi""#).as_deref(),
            Some("abc.def.ghi")
        );
        assert_eq!(parse_token(br#"{"message":"x"}"#), None);
    }
}
