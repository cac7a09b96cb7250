//! Step 1: an OAuth 1.0a signed request (an integration's access token), checked the way
//! `OauthUserContext` → `Oauth::validateAccessTokenRequest` checks it, in Magento's order, and
//! stopping where Magento stops: version, required parameters, token length, signature method,
//! consumer, timestamp and nonce, token, signature; then the integration must be active.
//!
//! The request is either signed here (`--oauth KEY,SECRET,TOKEN,TOKEN_SECRET`: m2auth signs as a
//! standard client at `ctx.now`, then checks what Magento would) or carries an
//! `Authorization: OAuth …` header as the client sent it.
//!
//! The URL Magento signs is the request's URL as Magento sees it: the `--request` URL, its host
//! replaced by a `Host:` header when one is given, and its scheme `https` when the header named by
//! `web/secure/offloader_header` says `https`. When the signature does not verify, other URLs are
//! tried (http↔https, with/without the port, the hosts of `web/*/base_url`, with/without a store
//! code): one that verifies is `oauth-base-url-mismatch`, with the reason.

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::oauth1::{
    self, HMAC_SHA256, Params, SeenRequest, Variant, collect_params, magento_base_string,
    mark_difference, rfc5849_base_string, sign, signatures_equal, signing_key,
};
use crate::magento::release::ReleaseVersion;
use crate::mask::mask;
use crate::request::{RequestSpec, Target};
use crate::store::config::Scope;
use crate::store::db::Row;
use crate::store::modules::Edition;
use crate::store::secrets::{OauthSecrets, SecretRead};

pub const OFFLOADER_PATH: &str = "web/secure/offloader_header";
const BASE_URL_PATHS: &[&str] = &["web/secure/base_url", "web/unsecure/base_url"];

/// The URL as the client addresses it and as Magento sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Urls {
    /// `scheme://host[:port]/path?query` the client sends to (and signs, when m2auth signs).
    pub client: String,
    /// `getScheme() . '://' . getHttpHost(false) . getRequestUri()`.
    pub magento: String,
    /// Where the parts of the URL came from (evidence).
    pub notes: Vec<Evidence>,
}

/// The installed release as (major, minor, patch), a Mage-OS release mapped to its Magento base.
pub fn release(ctx: &Context) -> Option<(u32, u32, u32)> {
    let mut v = ReleaseVersion::parse(ctx.install.release.version.as_deref()?)?;
    if ctx.install.release.edition == Edition::MageOs && v.major < 2 {
        v = v.mage_os_upstream();
    }
    Some((v.major, v.minor, v.patch))
}

fn header<'a>(request: &'a RequestSpec, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The store's base URL (`web/secure/base_url`, else the unsecure one) at the default store view.
pub fn base_url(ctx: &Context) -> Option<(String, Evidence)> {
    let scope = ctx
        .config
        .scopes
        .default_store()
        .map(|s| Scope::Store(s.id))
        .unwrap_or(Scope::Default);
    for p in BASE_URL_PATHS {
        let v = ctx.config.get(p, scope);
        if let Some(u) = v.value.as_deref().filter(|u| u.contains("://")) {
            return Some((u.trim_end_matches('/').to_string(), v.evidence()));
        }
    }
    None
}

/// Why a request has no URL to sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoUrl {
    #[error("no --request \"METHOD TARGET\" was given: OAuth signs the URL")]
    NoTarget,
    #[error(
        "the request names no host and the store has no web/secure/base_url: give the full URL in --request"
    )]
    NoHost,
}

/// The scheme and authority (`host[:port]`) of a target that names its host: what the client
/// sends to, known without the store.
pub fn client_origin(target: &Target) -> Option<(String, String)> {
    let h = target.host.as_ref()?;
    let host = if h.contains(':') {
        format!("[{h}]")
    } else {
        h.clone()
    };
    let authority = match target.port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    Some((
        target.scheme.clone().unwrap_or_else(|| "https".into()),
        authority,
    ))
}

/// The URL the client sends a request to that names its host (`None` without a host).
pub fn client_url(target: &Target) -> Option<String> {
    let (scheme, authority) = client_origin(target)?;
    let mut url = format!("{scheme}://{authority}{}", target.path);
    if let Some(q) = &target.query {
        url.push('?');
        url.push_str(q);
    }
    Some(url)
}

/// The client's and Magento's URL for the request (`Err`: why there is none).
pub fn urls(ctx: &Context, request: &RequestSpec) -> Result<Urls, NoUrl> {
    let target: &Target = request.target.as_ref().ok_or(NoUrl::NoTarget)?;
    let mut notes = Vec::new();
    let (scheme, authority) = match client_origin(target) {
        Some(origin) => origin,
        None => {
            let (u, ev) = base_url(ctx).ok_or(NoUrl::NoHost)?;
            notes.push(ev);
            let parts = oauth1::split_url(&u);
            let authority = match parts.port {
                Some(p) => format!("{}:{p}", parts.host),
                None => parts.host.to_string(),
            };
            (parts.scheme.to_string(), authority)
        }
    };
    let mut path_query = target.path.clone();
    if let Some(q) = &target.query {
        path_query.push('?');
        path_query.push_str(q);
    }
    let client = format!("{scheme}://{authority}{path_query}");
    // What PHP sees: the Host header as sent, https from the offloader header.
    let host_seen = match header(request, "host") {
        Some(h) => {
            notes.push(Evidence::other("request", format!("Host: {h}")));
            h.trim().to_string()
        }
        None => authority.clone(),
    };
    let mut scheme_seen = scheme.clone();
    let offloader = ctx.config.get_default(OFFLOADER_PATH);
    if scheme_seen != "https"
        && let Some(name) = offloader.value.as_deref().filter(|n| !n.is_empty())
        && header(request, name) == Some("https")
    {
        scheme_seen = "https".into();
        notes.push(offloader.evidence());
    }
    Ok(Urls {
        client,
        magento: format!("{scheme_seen}://{host_seen}{path_query}"),
        notes,
    })
}

fn err(code: Code) -> Finding {
    Finding::new(code, Severity::Error)
}

/// The findings for the request's OAuth signature (nothing when it is not an OAuth request).
pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let Some(request) = &ctx.request else { return };
    let sent_header = request
        .authorization()
        .first()
        .filter(|h| oauth1::parse_authorization(h).is_some())
        .map(|h| h.to_string());
    if request.oauth.is_none() && sent_header.is_none() {
        return;
    }
    let urls = match urls(ctx, request) {
        Ok(u) => u,
        Err(why) => {
            d.skip("oauth", why.to_string());
            return;
        }
    };
    let content_type = header(request, "content-type").map(str::to_string);
    let form_body = request
        .body
        .as_deref()
        .filter(|_| {
            content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        })
        .map(str::to_string);
    // Signed here: as a standard client signs the URL it sends to, now.
    let signed = request.oauth.as_ref().map(|c| {
        oauth1::sign_request(
            &oauth1::Credentials {
                consumer_key: &c.consumer_key,
                consumer_secret: &c.consumer_secret,
                token: &c.token,
                token_secret: &c.token_secret,
            },
            &request.method,
            &urls.client,
            form_body.as_deref(),
            &oauth1::random_nonce(),
            ctx.now.as_second(),
        )
    });
    let header_value = match (&signed, sent_header) {
        (Some(s), _) => s.header.clone(),
        (None, Some(h)) => h,
        (None, None) => return,
    };
    let seen = SeenRequest {
        method: request.method.clone(),
        url: urls.magento.clone(),
        authorization: Some(header_value),
        content_type,
        body: request.body.clone(),
    };
    let Some(params) = collect_params(&seen) else {
        return;
    };
    let v = Validation {
        ctx,
        request,
        urls: &urls,
        params: &params,
        form_body: form_body.as_deref(),
        signed: signed.as_ref(),
        release: release(ctx),
    };
    v.run(d);
}

struct Validation<'a> {
    ctx: &'a Context,
    request: &'a RequestSpec,
    urls: &'a Urls,
    params: &'a Params,
    form_body: Option<&'a str>,
    signed: Option<&'a oauth1::Signed>,
    release: Option<(u32, u32, u32)>,
}

impl Validation<'_> {
    fn p(&self, k: &str) -> &str {
        self.params.get(k).unwrap_or("")
    }

    fn origin(&self) -> Evidence {
        match self.signed {
            Some(_) => Evidence::other(
                "request",
                format!(
                    "signed by m2auth (--oauth) at {} for {} {}",
                    self.ctx.now, self.request.method, self.urls.client
                ),
            ),
            None => Evidence::other(
                "request",
                format!(
                    "Authorization: OAuth header as sent, for {} {}",
                    self.request.method, self.urls.client
                ),
            ),
        }
    }

    fn run(&self, d: &mut Diagnosis) {
        // 1. Version, 2. required parameters (OauthInputException: HTTP 400).
        if let Some(ver) = self.params.get("oauth_version")
            && ver != "1.0"
        {
            d.push(
                err(Code::AuthHeaderMalformed)
                    .title("The OAuth version is not 1.0")
                    .detail(format!("Magento answers 400 \"The \"{ver}\" Oauth version isn't supported.\": oauth_version must be 1.0 or absent."))
                    .evidence(self.origin())
                    .fix(sign_fix()),
            );
            return;
        }
        let missing: Vec<&str> = oauth1::REQUIRED
            .iter()
            .copied()
            .filter(|k| self.params.get(k).is_none())
            .collect();
        if !missing.is_empty() {
            let msgs: Vec<String> = missing
                .iter()
                .map(|k| format!("\"{k}\" is required. Enter and try again."))
                .collect();
            d.push(
                err(Code::AuthHeaderMalformed)
                    .title("The OAuth header lacks required parameters")
                    .detail(format!(
                        "Magento answers 400: {} (parameters are read from the Authorization header only; oauth_* parameters in the query string are ignored).",
                        msgs.join(" ")
                    ))
                    .evidence(self.origin())
                    .fix(sign_fix()),
            );
            return;
        }
        // 3. Token length.
        let token = self.p("oauth_token");
        if token.chars().count() != oauth1::TOKEN_LENGTH {
            d.push(
                err(Code::OauthTokenUnknown)
                    .detail(format!(
                        "oauth_token has {} characters, not 32: Magento answers 400 \"The token length is invalid. Check the length and try again.\" Use the integration's Access Token (not its consumer key or a token secret).",
                        token.chars().count()
                    ))
                    .evidence(self.origin())
                    .fix(token_fix()),
            );
            return;
        }
        // 4. Signature method.
        let method = self.p("oauth_signature_method").to_string();
        let supported = oauth1::supported_methods(self.release);
        let method_ok = supported.contains(&method.as_str());
        // 5. Consumer.
        let db = match self.ctx.db_for("oauth") {
            Ok(db) => Some(db),
            Err(s) => {
                if !method_ok {
                    self.method_unsupported(d, &method, supported, None);
                    return;
                }
                d.skipped.push(s);
                None
            }
        };
        let consumer_key = self.p("oauth_consumer_key").to_string();
        let consumer = db.and_then(|db| {
            db.rows("oauth_consumer", &[("key", consumer_key.as_str().into())])
                .ok()
                .and_then(|r| r.into_iter().next())
        });
        let token_row = db.and_then(|db| {
            db.rows("oauth_token", &[("token", token.into())])
                .ok()
                .and_then(|r| r.into_iter().next())
        });
        if !method_ok {
            let secrets = match (&consumer, &token_row) {
                (Some(c), Some(t)) => {
                    let (cs, ts) = stored_secrets(self.ctx, db, c, t);
                    Some((cs.value().to_string(), ts.value().to_string()))
                }
                _ => None,
            };
            self.method_unsupported(d, &method, supported, secrets);
            return;
        }
        let Some(db) = db else {
            self.timestamp_only(d);
            return;
        };
        let Some(consumer) = consumer else {
            let why = if consumer_key.chars().count() != oauth1::CONSUMER_KEY_LENGTH {
                format!(
                    "the key has {} characters, not 32: Magento answers 401 \"Consumer key is not the correct length\"",
                    consumer_key.chars().count()
                )
            } else {
                "Magento answers 401 \"A consumer having the specified key does not exist\"".into()
            };
            d.push(
                err(Code::OauthConsumerUnknown)
                    .detail(format!(
                        "No oauth_consumer row has key {consumer_key}: {why}. The integration was deleted or re-created (new keys), or the client holds another store's keys."
                    ))
                    .evidence(Evidence::db("oauth_consumer", format!("no row with key = {consumer_key}")))
                    .evidence(self.origin())
                    .fix(keys_fix()),
            );
            return;
        };
        let consumer_id = consumer.int("entity_id").unwrap_or(0);
        let consumer_ev = Evidence::db(
            "oauth_consumer",
            format!(
                "entity_id={consumer_id} name={} key={consumer_key}",
                consumer.text("name").unwrap_or_default()
            ),
        );
        // 6. Timestamp, then nonce (Nonce\Generator::validateNonce).
        if self.timestamp(d) {
            return;
        }
        let nonce = self.p("oauth_nonce").to_string();
        let used = db
            .rows(
                "oauth_nonce",
                &[
                    ("nonce", nonce.as_str().into()),
                    ("consumer_id", consumer_id.into()),
                ],
            )
            .unwrap_or_default();
        if let Some(row) = used.first() {
            let at = row
                .int("timestamp")
                .and_then(|t| jiff::Timestamp::from_second(t).ok())
                .map(|t| t.to_string())
                .unwrap_or_else(|| "?".into());
            d.push(
                err(Code::OauthNonceReused)
                    .detail(format!(
                        "The nonce {nonce} was already used by consumer {consumer_id} (request of {at}): Magento answers 401 \"The nonce is already being used by the consumer with ID {consumer_id}\". Every request needs a fresh nonce: a client that retries with the same header, or a fixed nonce, is refused. Rows are removed only after oauth/cleanup/expiration_period minutes, by chance (oauth/cleanup/cleanup_probability)."
                    ))
                    .evidence(Evidence::db("oauth_nonce", format!("nonce={nonce} consumer_id={consumer_id} timestamp={}", row.int("timestamp").unwrap_or(0))))
                    .evidence(self.origin())
                    .fix(Fix {
                        summary: "Generate a new random nonce (and timestamp) for every request; never replay a signed header".into(),
                        commands: vec![self.sign_command()],
                        admin_path: None,
                    }),
            );
            return;
        }
        if nonce.chars().count() > oauth1::NONCE_LENGTH {
            // Magento's MySQL adapter connects with SQL_MODE='' (Pdo\Mysql::_connect), so the
            // varchar(32) column truncates the nonce instead of refusing it: the real 2.4.7-p3
            // answered 200 for a 40-character nonce. It fails only when a stored nonce of this
            // consumer has the same first 32 characters (a fixed prefix longer than 32): the
            // save then hits the primary key and Magento answers 401 "An error occurred
            // validating the nonce".
            let head: String = nonce.chars().take(oauth1::NONCE_LENGTH).collect();
            let clash = db
                .rows(
                    "oauth_nonce",
                    &[
                        ("nonce", head.as_str().into()),
                        ("consumer_id", consumer_id.into()),
                    ],
                )
                .unwrap_or_default();
            let n = nonce.chars().count();
            let f = if clash.is_empty() {
                Finding::new(Code::OauthNonceTooLong, Severity::Warning).detail(format!(
                    "The nonce has {n} characters; oauth_nonce.nonce is varchar(32) and Magento's connection runs with SQL_MODE='', so it stores the first 32 and accepts the request. Replays of this request are not detected (Magento looks for the whole nonce), and the next nonce sharing these 32 characters is refused with 401 \"An error occurred validating the nonce\"."
                ))
            } else {
                err(Code::OauthNonceTooLong).detail(format!(
                    "The nonce has {n} characters; Magento stores only the first 32 (varchar(32), SQL_MODE=''), and consumer {consumer_id} already has a stored nonce with the same first 32 characters: saving this one hits the primary key and Magento answers 401 \"An error occurred validating the nonce\". Clients that build nonces from a fixed prefix longer than 32 characters fail from the second request on."
                ))
            };
            d.push(
                f.evidence(Evidence::other("request", format!("oauth_nonce={nonce}")))
                    .evidence(Evidence::db(
                        "oauth_nonce",
                        if clash.is_empty() {
                            format!("no row with nonce = {head} consumer_id={consumer_id}")
                        } else {
                            format!("nonce={head} consumer_id={consumer_id} (stored)")
                        },
                    ))
                    .fix(Fix {
                        summary: "Use a random nonce of at most 32 characters (Magento's own are 32 letters and digits)".into(),
                        commands: vec![self.sign_command()],
                        admin_path: None,
                    }),
            );
            if !clash.is_empty() {
                return;
            }
        }
        // 7. Token (Token\Provider::validateAccessTokenRequest).
        let Some(tok) = token_row else {
            d.push(
                err(Code::OauthTokenUnknown)
                    .detail(format!(
                        "No oauth_token row has token {}: Magento answers 401 \"Specified token does not exist\". The integration was re-authorised (new token) or the client holds another store's token.",
                        mask(token)
                    ))
                    .evidence(Evidence::db("oauth_token", format!("no row with token = {}", mask(token))))
                    .evidence(consumer_ev)
                    .fix(token_fix()),
            );
            return;
        };
        let tok_ev = token_evidence(&tok);
        let tok_consumer = tok.int("consumer_id");
        if tok_consumer != Some(consumer_id) {
            d.push(
                err(Code::OauthTokenConsumerMismatch)
                    .detail(format!(
                        "The access token belongs to consumer {}, the key to consumer {consumer_id}: Magento answers 401 \"Token is not associated with the specified consumer\". The client mixes the keys of two integrations.",
                        tok_consumer.map(|c| c.to_string()).unwrap_or_else(|| "NULL".into())
                    ))
                    .evidence(tok_ev)
                    .evidence(consumer_ev)
                    .fix(keys_fix()),
            );
            return;
        }
        let ty = tok.text("type").unwrap_or_default();
        if ty != "access" {
            d.push(
                err(Code::OpaqueTokenNotAccess)
                    .detail(format!(
                        "The token is a '{ty}' token: Magento answers 401 \"Token is not an access token\". Finish the OAuth handshake or use the integration's Access Token."
                    ))
                    .evidence(tok_ev)
                    .fix(token_fix()),
            );
            return;
        }
        if tok.int("revoked").unwrap_or(0) != 0 {
            d.push(
                err(Code::OauthTokenRevoked)
                    .detail("oauth_token.revoked = 1: Magento answers 401 \"Access token has been revoked\".")
                    .evidence(tok_ev)
                    .fix(Fix {
                        summary: "Reauthorize the integration to issue a new access token and secret, and give them to the client".into(),
                        commands: Vec::new(),
                        admin_path: Some("System > Extensions > Integrations > (integration) > Reauthorize".into()),
                    }),
            );
            return;
        }
        // 8. Signature, with the secrets as the resource models load them (decrypted).
        let (cs, ts) = stored_secrets(self.ctx, Some(db), &consumer, &tok);
        if let Some(f) = undecryptable(&cs, &ts, &consumer_ev, &tok_ev) {
            d.push(f.evidence(self.origin()));
            return;
        }
        let consumer_ev = Evidence::db(
            "oauth_consumer",
            format!(
                "{}; consumer secret {}; oauth_token.secret {}",
                consumer_ev.text,
                cs.how(),
                ts.how()
            ),
        );
        if !self.signature(d, cs.value(), ts.value(), &consumer_ev) {
            return;
        }
        // Then OauthUserContext wants an active integration for the consumer.
        let integ = db
            .rows("integration", &[("consumer_id", consumer_id.into())])
            .unwrap_or_default();
        match integ.first() {
            Some(i) if i.int("status") == Some(1) => {}
            Some(i) => {
                let status = i.int("status").unwrap_or(0);
                let name = i.text("name").unwrap_or_default();
                d.push(
                    err(Code::IntegrationInactive)
                        .detail(format!(
                            "The signature is valid, but integration '{name}' has status {status} ({}): OauthUserContext finds no active integration, the request runs as a guest and is refused with 401 \"The consumer isn't authorized to access %resources.\"",
                            if status == 2 { "recreated: waiting for reactivation" } else { "inactive" }
                        ))
                        .evidence(Evidence::db("integration", format!("integration_id={} name={name} status={status} consumer_id={consumer_id}", i.int("integration_id").unwrap_or(0))))
                        .fix(Fix {
                            summary: format!("Activate integration '{name}'"),
                            commands: vec![format!("m2auth integration:activate '{name}' --apply")],
                            admin_path: Some("System > Extensions > Integrations > (integration) > Activate".into()),
                        }),
                );
            }
            None => d.push(
                err(Code::IntegrationInactive)
                    .title("No integration uses this OAuth consumer")
                    .detail(format!("The signature is valid, but no integration row has consumer_id {consumer_id}: OauthUserContext finds no active integration and the request runs as a guest (401)."))
                    .evidence(consumer_ev)
                    .fix(keys_fix()),
            ),
        }
    }

    fn sign_command(&self) -> String {
        format!(
            "m2auth oauth:sign --request '{} {}' --oauth KEY,SECRET,TOKEN,TOKEN_SECRET",
            self.request.method, self.urls.client
        )
    }

    fn method_unsupported(
        &self,
        d: &mut Diagnosis,
        method: &str,
        supported: &[&str],
        secrets: Option<(String, String)>,
    ) {
        let mut detail = format!(
            "The client signs with {method}; this Magento accepts {} only: it answers 400 \"Signature method {method} is not supported\". Postman, httpie-oauth1 and many OAuth libraries default to HMAC-SHA1.",
            supported.join(", ")
        );
        if let Some((cs, ts)) = secrets {
            let key = signing_key(&cs, &ts);
            let ok = self.variants().iter().any(|v| {
                let base =
                    magento_base_string(*v, &self.request.method, &self.urls.magento, self.params);
                sign(method, &key, &base)
                    .is_some_and(|s| signatures_equal(&s, self.p("oauth_signature")))
            });
            detail.push_str(if ok {
                " Apart from the method the signature is right: switching to HMAC-SHA256 is the whole fix."
            } else {
                " The signature does not verify with this method either: check the secrets and URL too."
            });
        }
        d.push(
            err(Code::OauthSignatureMethodUnsupported)
                .detail(detail)
                .evidence(Evidence::other("request", format!("oauth_signature_method={method}")))
                .fix(Fix {
                    summary: "Sign with HMAC-SHA256 (in Postman: Authorization > OAuth 1.0 > Signature Method HMAC-SHA256)".into(),
                    commands: vec![self.sign_command()],
                    admin_path: None,
                }),
        );
    }

    /// Without a database: only the timestamp can be checked.
    fn timestamp_only(&self, d: &mut Diagnosis) {
        self.timestamp(d);
    }

    /// `true` when the timestamp is refused (a finding was added).
    fn timestamp(&self, d: &mut Diagnosis) -> bool {
        let raw = self.p("oauth_timestamp");
        // PHP (int): the leading digits.
        let ts: i64 = raw
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        let now = self.ctx.now.as_second();
        if ts > 0 && ts <= now + oauth1::TIME_DEVIATION {
            return false;
        }
        let detail = if ts <= 0 {
            format!(
                "oauth_timestamp \"{raw}\" is not a positive number of seconds: Magento refuses it with 401 (\"An error occurred validating the nonce\"; older releases: \"Incorrect timestamp value in the oauth_timestamp parameter\")."
            )
        } else {
            format!(
                "oauth_timestamp {ts} is {} s ahead of the server clock ({now} at {}); Magento accepts at most {} s: it answers 401 \"An error occurred validating the nonce\" (older releases: \"Incorrect timestamp value in the oauth_timestamp parameter\"). The client's clock is fast, or it sends milliseconds.",
                ts - now,
                self.ctx.now,
                oauth1::TIME_DEVIATION
            )
        };
        d.push(
            err(Code::OauthTimestampFuture)
                .detail(detail)
                .evidence(Evidence::request(format!(
                    "oauth_timestamp={raw}; now={} ({now})",
                    self.ctx.now
                )))
                .fix(Fix {
                    summary: "Send the current Unix time in seconds and keep the client's clock in sync (NTP)".into(),
                    commands: vec!["date +%s".into()],
                    admin_path: None,
                }),
        );
        true
    }

    fn variants(&self) -> Vec<Variant> {
        oauth1::variants_for(self.release)
    }

    /// Magento's base string and signature for `url` with `key`, per variant.
    fn matches(&self, url: &str, key: &str) -> Option<Variant> {
        let sent = self.p("oauth_signature");
        let mut params = self.params.clone();
        // The query of another URL replaces the request's.
        if url != self.urls.magento {
            let seen = SeenRequest {
                method: self.request.method.clone(),
                url: url.to_string(),
                authorization: Some(oauth1::authorization_header(&self.params.protocol())),
                content_type: self
                    .form_body
                    .map(|_| "application/x-www-form-urlencoded".to_string()),
                body: self.form_body.map(str::to_string),
            };
            params = collect_params(&seen).unwrap_or(params);
        }
        [Variant::Native, Variant::Laminas].into_iter().find(|v| {
            let base = magento_base_string(*v, &self.request.method, url, &params);
            sign(HMAC_SHA256, key, &base).is_some_and(|s| signatures_equal(&s, sent))
        })
    }

    /// `true` when the signature verifies (a finding was added otherwise).
    fn signature(&self, d: &mut Diagnosis, cs: &str, ts: &str, consumer_ev: &Evidence) -> bool {
        let key = signing_key(cs, ts);
        let sent = self.p("oauth_signature");
        let variants = self.variants();
        let primary = variants[0];
        for v in &variants {
            let base =
                magento_base_string(*v, &self.request.method, &self.urls.magento, self.params);
            if sign(HMAC_SHA256, &key, &base).is_some_and(|s| signatures_equal(&s, sent)) {
                return true;
            }
        }
        let magento_base = magento_base_string(
            primary,
            &self.request.method,
            &self.urls.magento,
            self.params,
        );
        let token = self.p("oauth_token").to_string();
        let hide = |s: &str| s.replace(&token, &mask(&token));
        // Secrets given with --oauth that are not the stored ones.
        if let Some(c) = &self.request.oauth {
            let mut wrong = Vec::new();
            if c.consumer_secret != cs {
                wrong.push(format!(
                    "the consumer secret given ({}) is not the one stored for consumer {} ({})",
                    mask(&c.consumer_secret),
                    self.p("oauth_consumer_key"),
                    mask(cs)
                ));
            }
            if c.token_secret != ts {
                wrong.push(format!(
                    "the access token secret given ({}) is not the one stored for the token ({})",
                    mask(&c.token_secret),
                    mask(ts)
                ));
            }
            if !wrong.is_empty() {
                d.push(
                    err(Code::OauthSignatureInvalid)
                        .detail(format!(
                            "The base strings agree but the key differs: {}. Magento answers 401 \"The signature is invalid. Verify and try again.\"",
                            wrong.join("; ")
                        ))
                        .evidence(consumer_ev.clone())
                        .evidence(Evidence::request(format!("Magento's base string: {}", hide(&magento_base))))
                        .fix(keys_fix()),
                );
                return false;
            }
        }
        // Another URL that verifies: the client signed what Magento does not see.
        if let Some((url, why, fix)) = self.search_urls(&key) {
            d.push(
                err(Code::OauthBaseUrlMismatch)
                    .detail(format!(
                        "The signature verifies for {url}, not for {} (the URL Magento sees and signs): {why} Magento answers 401 \"The signature is invalid. Verify and try again.\"",
                        self.urls.magento
                    ))
                    .evidence(Evidence::request(format!("signed URL: {url}")))
                    .evidence(Evidence::request(format!("URL Magento sees: {}", self.urls.magento)))
                    .evidence(self.ctx.config.get_default(OFFLOADER_PATH).evidence())
                    .evidence(Evidence::request(format!("Magento's base string: {}", hide(&magento_base))))
                    .fix(fix),
            );
            for n in &self.urls.notes {
                if let Some(f) = d.findings.last_mut() {
                    f.evidence.push(n.clone());
                }
            }
            return false;
        }
        // Nothing verifies: both base strings, the difference marked.
        let client_base = match self.signed {
            Some(s) => s.base_string.clone(),
            None => rfc5849_base_string(
                &self.request.method,
                &self.urls.client,
                &self.params.protocol(),
                self.form_body,
            ),
        };
        let who = if self.signed.is_some() {
            "m2auth signed (as a standard RFC 5849 client)"
        } else {
            "a standard RFC 5849 client signs for this request"
        };
        let (m, c) = mark_difference(&magento_base, &client_base);
        let detail = if magento_base == client_base {
            format!(
                "Magento computes another signature than the one sent, and the base string {who} is the same as Magento's: the key differs (the client uses another consumer secret or access token secret than oauth_consumer/oauth_token hold: the integration was reauthorised, or the secrets are swapped), or the request was changed after it was signed. Magento answers 401 \"The signature is invalid. Verify and try again.\""
            )
        } else {
            format!(
                "Magento computes another signature than the one sent. Magento's base string ({}) differs from the one {who}, in the part marked ⟦…⟧. Magento answers 401 \"The signature is invalid. Verify and try again.\"",
                primary.describe()
            )
        };
        d.push(
            err(Code::OauthSignatureInvalid)
                .detail(detail)
                .evidence(Evidence::request(format!(
                    "Magento's base string: {}",
                    hide(&m)
                )))
                .evidence(Evidence::request(format!(
                    "the client's base string: {}",
                    hide(&c)
                )))
                .evidence(consumer_ev.clone())
                .fix(keys_fix()),
        );
        false
    }

    /// Other URLs for the same request, each with why the client may have signed it.
    fn search_urls(&self, key: &str) -> Option<(String, String, Fix)> {
        let m = oauth1::split_url(&self.urls.magento);
        let path_query = match m.query {
            Some(q) => format!("{}?{q}", m.path),
            None => m.path.to_string(),
        };
        let authority = |host: &str, port: Option<&str>| match port {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let default_port = |s: &str| if s == "https" { "443" } else { "80" };
        let mut tries: Vec<(String, String, Fix)> = Vec::new();
        // Scheme.
        let other_scheme = if m.scheme == "https" { "http" } else { "https" };
        let offloader = self.ctx.config.get_default(OFFLOADER_PATH);
        let (why, fix) = if other_scheme == "https" {
            (
                match offloader.value.as_deref().filter(|v| !v.is_empty()) {
                    Some(h) => format!(
                        "the client signed an https:// URL but Magento sees plain HTTP: TLS ends at a proxy or load balancer, and the request that reaches PHP does not carry '{h}: https' ({OFFLOADER_PATH} = '{h}'): the proxy must send that header."
                    ),
                    None => format!(
                        "the client signed an https:// URL but Magento sees plain HTTP: TLS ends at a proxy or load balancer, and Magento is not told so ({OFFLOADER_PATH} is not set)."
                    ),
                },
                Fix {
                    summary: "Tell Magento about the TLS offloader: set web/secure/offloader_header and make the proxy send it (nginx: proxy_set_header X-Forwarded-Proto $scheme;)".into(),
                    commands: vec!["bin/magento config:set web/secure/offloader_header X-Forwarded-Proto".into(), "m2auth config:set web/secure/offloader_header X-Forwarded-Proto --apply".into()],
                    admin_path: Some("Stores > Configuration > General > Web > Base URLs (Secure) > Offloader header".into()),
                },
            )
        } else {
            (
                "the client signed an http:// URL but the request reaches Magento over HTTPS (the client's base URL is http:// and a redirect or proxy upgrades it).".to_string(),
                Fix {
                    summary: "Configure the client with the store's https:// base URL, and sign exactly the URL it sends to".into(),
                    commands: vec![self.sign_command()],
                    admin_path: None,
                },
            )
        };
        let host_port = |scheme: &str| match m.port {
            Some(p) if p == default_port(m.scheme) => authority(m.host, Some(default_port(scheme)))
                .replace(&format!(":{}", default_port(scheme)), ""),
            p => authority(m.host, p),
        };
        tries.push((
            format!("{other_scheme}://{}{path_query}", host_port(other_scheme)),
            why,
            fix,
        ));
        // Port.
        let port_fix = Fix {
            summary: "Sign the URL with the host and port exactly as the Host header reaches Magento (or make the proxy pass the original Host header)".into(),
            commands: vec![self.sign_command()],
            admin_path: None,
        };
        match m.port {
            Some(p) => tries.push((
                format!("{}://{}{path_query}", m.scheme, m.host),
                format!("the client signed without the port, but Magento sees Host: {}:{p}, and this release signs the port as the Host header gives it.", m.host),
                port_fix.clone(),
            )),
            None => tries.push((
                format!("{}://{}:{}{path_query}", m.scheme, m.host, default_port(m.scheme)),
                format!("the client signed with the explicit port {}, Magento sees the Host header without it.", default_port(m.scheme)),
                port_fix.clone(),
            )),
        }
        // Hosts of the base URLs.
        let mut scopes = vec![Scope::Default];
        scopes.extend(
            self.ctx
                .config
                .scopes
                .websites
                .iter()
                .map(|w| Scope::Website(w.id)),
        );
        scopes.extend(
            self.ctx
                .config
                .scopes
                .stores
                .iter()
                .map(|s| Scope::Store(s.id)),
        );
        for scope in scopes {
            for p in BASE_URL_PATHS {
                let v = self.ctx.config.get(p, scope);
                let Some(u) = v.value.as_deref().filter(|u| u.contains("://")) else {
                    continue;
                };
                let b = oauth1::split_url(u);
                let auth = authority(b.host, b.port);
                if auth.eq_ignore_ascii_case(&authority(m.host, m.port)) {
                    continue;
                }
                for scheme in [m.scheme, b.scheme] {
                    tries.push((
                        format!("{scheme}://{auth}{path_query}"),
                        format!("the client signed for host {auth} ({p} = {u}), but Magento sees Host: {}: a proxy in front of Magento rewrites the Host header (or the client is configured with another store URL).", authority(m.host, m.port)),
                        Fix {
                            summary: "Make the proxy pass the original Host header (nginx: proxy_set_header Host $host; Apache: ProxyPreserveHost On), or configure the client with the URL Magento receives".into(),
                            commands: vec![self.sign_command()],
                            admin_path: None,
                        },
                    ));
                }
            }
        }
        // Store code.
        let store_fix = Fix {
            summary: "Sign exactly the path the request is sent to, store code included".into(),
            commands: vec![self.sign_command()],
            admin_path: None,
        };
        let (prefix, rest) = match m.path.find("/rest/") {
            Some(i) => (&m.path[..i + 6], &m.path[i + 6..]),
            None => ("", ""),
        };
        if !prefix.is_empty() {
            let first = rest.split('/').next().unwrap_or("");
            let q = m.query.map(|q| format!("?{q}")).unwrap_or_default();
            let base = format!("{}://{}", m.scheme, authority(m.host, m.port));
            let is_version =
                first.starts_with('V') && first[1..].chars().all(|c| c.is_ascii_digit());
            if !is_version && !first.is_empty() {
                let without = &rest[first.len()..];
                tries.push((
                    format!("{base}{prefix}{}{q}", without.trim_start_matches('/')),
                    format!("the client signed the path without the store code '{first}', but sent it with it."),
                    store_fix.clone(),
                ));
            } else if is_version {
                let mut codes = self.ctx.config.scopes.codes();
                for c in ["default", "all"] {
                    if !codes.iter().any(|x| x == c) {
                        codes.push(c.to_string());
                    }
                }
                for code in codes {
                    tries.push((
                        format!("{base}{prefix}{code}/{rest}{q}"),
                        format!("the client signed the path with the store code '{code}', but sent it without one."),
                        store_fix.clone(),
                    ));
                }
            }
        }
        tries
            .into_iter()
            .filter(|(u, _, _)| *u != self.urls.magento)
            .find(|(u, _, _)| self.matches(u, key).is_some() || self.rfc_matches(u, key))
    }

    fn rfc_matches(&self, url: &str, key: &str) -> bool {
        let base = rfc5849_base_string(
            &self.request.method,
            url,
            &self.params.protocol(),
            self.form_body,
        );
        sign(HMAC_SHA256, key, &base)
            .is_some_and(|s| signatures_equal(&s, self.p("oauth_signature")))
    }
}

/// The consumer's and the access token's secrets as `Consumer::_afterLoad()` and
/// `Token::_afterLoad()` give them: decrypted with `crypt/key` on releases that store them
/// encrypted (2.4.3-p2 and later).
fn stored_secrets(
    ctx: &Context,
    db: Option<&dyn crate::store::db::Database>,
    consumer: &Row,
    tok: &Row,
) -> (SecretRead, SecretRead) {
    let secrets = OauthSecrets::for_store(&ctx.install, db);
    (
        secrets.consumer_secret(&consumer.text("secret").unwrap_or_default()),
        secrets.token_secret(
            &tok.text("secret").unwrap_or_default(),
            &tok.text("type").unwrap_or_default(),
        ),
    )
}

/// A stored secret no key of `crypt/key` decrypts: Magento signs with an empty secret, so no
/// client signature can match.
fn undecryptable(
    cs: &SecretRead,
    ts: &SecretRead,
    consumer_ev: &Evidence,
    tok_ev: &Evidence,
) -> Option<Finding> {
    let mut why = Vec::new();
    if let SecretRead::Undecryptable(e) = cs {
        why.push(format!("oauth_consumer.secret: {e}"));
    }
    if let SecretRead::Undecryptable(e) = ts {
        why.push(format!("oauth_token.secret: {e}"));
    }
    if why.is_empty() {
        return None;
    }
    Some(
        err(Code::OauthSignatureInvalid)
            .title("Magento cannot read the stored OAuth secret")
            .detail(format!(
                "{}. Magento signs with what it reads (an empty string when decryption fails), not with the secret the client holds, so no signature matches: 401 \"The signature is invalid. Verify and try again.\"",
                why.join("; ")
            ))
            .evidence(consumer_ev.clone())
            .evidence(tok_ev.clone())
            .fix(Fix {
                summary: "Reauthorise the integration (a new access token and secret, stored as this release stores them) and give the client the new credentials; or, when crypt/key was replaced, put the old key back in front of the current one in crypt/key".into(),
                commands: vec!["m2auth integration:activate NAME --apply".into()],
                admin_path: Some("System > Extensions > Integrations > (integration) > Reauthorize".into()),
            }),
    )
}

fn token_evidence(t: &Row) -> Evidence {
    Evidence::db(
        "oauth_token",
        format!(
            "entity_id={} consumer_id={} type={} revoked={} user_type={}",
            t.int("entity_id").unwrap_or(0),
            t.int("consumer_id")
                .map(|c| c.to_string())
                .unwrap_or_else(|| "NULL".into()),
            t.text("type").unwrap_or_default(),
            t.int("revoked").unwrap_or(0),
            t.int("user_type")
                .map(|c| c.to_string())
                .unwrap_or_else(|| "NULL".into()),
        ),
    )
}

fn sign_fix() -> Fix {
    Fix {
        summary: "Send a complete OAuth 1.0a header: oauth_consumer_key, oauth_token, oauth_signature_method=HMAC-SHA256, oauth_nonce, oauth_timestamp, oauth_version=1.0, oauth_signature".into(),
        commands: vec!["m2auth oauth:sign --request 'METHOD URL' --oauth KEY,SECRET,TOKEN,TOKEN_SECRET".into()],
        admin_path: None,
    }
}

fn token_fix() -> Fix {
    Fix {
        summary: "Use the integration's current Access Token and Access Token Secret".into(),
        commands: vec!["m2auth integration:show NAME".into()],
        admin_path: Some(
            "System > Extensions > Integrations > (integration) > Edit > Integration Details"
                .into(),
        ),
    }
}

fn keys_fix() -> Fix {
    Fix {
        summary: "Give the client the integration's current Consumer Key, Consumer Secret, Access Token and Access Token Secret (all four from the same integration)".into(),
        commands: vec!["m2auth integration:show NAME".into()],
        admin_path: Some("System > Extensions > Integrations > (integration) > Edit > Integration Details".into()),
    }
}
