//! `oauth:sign`: sign a request as a standard OAuth 1.0a client (RFC 5849, HMAC-SHA256) for the
//! URL it is sent to: the Authorization header, the base string and a curl command.

use crate::app::{Common, Error, Outcome, Result};
use crate::magento::oauth1;
use crate::report;
use crate::report::oauth::Signed;
use crate::request::RequestSpec;

/// `oauth:sign`.
#[derive(Debug, Clone)]
pub struct SignConfig {
    /// Its `secrets` hold the consumer secret and the token secret (never printed).
    pub common: Common,
    /// The request with its `oauth` credentials and its body.
    pub request: RequestSpec,
    /// The nonce to sign with; `None`: 32 random letters and digits.
    pub nonce: Option<String>,
    /// The Unix time to sign with; `None`: `--now`, else the clock.
    pub timestamp: Option<i64>,
}

/// `oauth:sign`.
pub fn sign(c: &SignConfig) -> Result<Outcome> {
    let common = &c.common;
    let spec = &c.request;
    let Some(creds) = spec.oauth.clone() else {
        return Err(Error::Usage("oauth:sign needs --oauth".into()));
    };
    // A URL with its host needs nothing of the store: no root, no database. A path alone is
    // completed with the store's base URL.
    let (client, mut masker, now) = match spec
        .target
        .as_ref()
        .and_then(crate::checks::oauth::client_url)
    {
        Some(url) => {
            let mut masker = crate::mask::Masker::new();
            for s in &common.secrets {
                masker.add(s);
            }
            (url, masker, common.now.unwrap_or_else(jiff::Timestamp::now))
        }
        None => {
            let ctx = common.load(None)?;
            let urls = crate::checks::oauth::urls(&ctx, spec)
                .map_err(|why| Error::refused(&ctx.masker, &why.to_string()))?;
            (urls.client, ctx.masker.clone(), ctx.now)
        }
    };

    // The header is this command's output: its token and one-off signature are printed whole
    // (the consumer and token secrets, which sign, stay masked).
    masker.print_field("oauth_token");
    masker.print_field("oauth_signature");
    let form_body = spec.body.as_deref().filter(|_| {
        spec.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("content-type")
                && h.value.starts_with("application/x-www-form-urlencoded")
        })
    });
    let nonce = c.nonce.clone().unwrap_or_else(oauth1::random_nonce);
    let timestamp = c.timestamp.unwrap_or_else(|| now.as_second());
    let signed = oauth1::sign_request(
        &oauth1::Credentials {
            consumer_key: &creds.consumer_key,
            consumer_secret: &creds.consumer_secret,
            token: &creds.token,
            token_secret: &creds.token_secret,
        },
        &spec.method,
        &client,
        form_body,
        &nonce,
        timestamp,
    );
    // `-g`: Magento's query strings (`searchCriteria[pageSize]=1`) would otherwise be taken
    // as curl URL globs.
    let mut curl = vec![
        "curl".to_string(),
        "-g".into(),
        "-X".into(),
        spec.method.clone(),
        client.clone(),
        "-H".into(),
        format!("Authorization: {}", signed.header),
    ];
    for h in &spec.headers {
        curl.push("-H".into());
        curl.push(format!("{}: {}", h.name, h.value));
    }
    if let Some(b) = &spec.body {
        curl.push("--data-raw".into());
        curl.push(b.clone());
    }
    let signed = Signed {
        method: spec.method.clone(),
        url: client.clone(),
        nonce,
        timestamp,
        signature: signed.signature,
        header: signed.header,
        base_string: signed.base_string,
        curl: shell_words::join(&curl),
    };
    let out = report::oauth::signed(&signed, common.format);
    Ok(Outcome {
        output: out,
        code: 0,
        masker,
    })
}
