//! Step 1: the bearer token, as Magento's token readers and validators would judge it
//! (`Magento\Webapi\Model\Authorization\TokenUserContext`): the token text, a JWT's signature
//! (the last `crypt/key`), claims, expiry, revocation and user, or an opaque token's
//! `oauth_token` row, lifetime, and for integration tokens the bearer setting and the
//! integration's state. Magento turns every one of these into the same silent guest 401.
//!
//! [`inspect`] serves `token:inspect`; [`run`] adds the findings for the request's bearer token
//! to a diagnosis. Tokens and keys never go into a message: the key is named by its index.

use jiff::Timestamp;
use serde::Serialize;

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::jwt::{self, Verification};
use crate::magento::token::{
    self, TokenShape, USER_TYPE_ADMIN, USER_TYPE_CUSTOMER, USER_TYPE_INTEGRATION,
};
use crate::mask::mask;
use crate::store::config::{ConfigValue, Scope};
use crate::store::db::{Database, Row};
use crate::store::root::ENV_PHP;

pub const BEARER_PATH: &str = "oauth/consumer/enable_integration_as_bearer";
pub const JWT_ALG_PATH: &str = "webapi/jwtauth/jwt_alg";

/// The user a token names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenUser {
    pub id: i64,
    /// Admin username, customer email or integration name, when found.
    pub name: Option<String>,
    /// `admin`, `customer`, `integration` (or `type N` for another user type).
    #[serde(rename = "type")]
    pub user_type: String,
}

/// What `token:inspect` reports.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// `jwt-admin`, `jwt-customer`, `opaque-admin`, `opaque-customer`, `integration`, `unknown`.
    pub kind: &'static str,
    /// `jws`, `jwe`, `opaque` or `malformed`.
    pub shape: &'static str,
    pub user: Option<TokenUser>,
    pub issued_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    /// The index in `crypt/key` of the key that verifies the JWT (0 = first), or `None`.
    pub verified_with_key: Option<usize>,
    /// How many keys `crypt/key` holds.
    pub keys: usize,
    /// The JWT header's `alg` and `kid`, and the store's `webapi/jwtauth/jwt_alg`.
    pub alg: Option<String>,
    pub kid: Option<String>,
    pub configured_alg: Option<String>,
    pub revoked: bool,
    /// The findings for this token, ranked, and what could not be checked.
    pub diagnosis: Diagnosis,
}

impl Inspection {
    fn new(shape: &'static str) -> Inspection {
        Inspection {
            kind: "unknown",
            shape,
            user: None,
            issued_at: None,
            expires_at: None,
            verified_with_key: None,
            keys: 0,
            alg: None,
            kid: None,
            configured_alg: None,
            revoked: false,
            diagnosis: Diagnosis::default(),
        }
    }
}

/// The findings for the request's bearer token (nothing when the request carries none).
pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let Some(request) = &ctx.request else { return };
    let Some(header) = request.authorization().first().copied() else {
        return;
    };
    let Some((scheme, rest)) = header.trim_start().split_once(' ') else {
        return;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return;
    }
    // Spaces around the token are the header's business (step 3: Magento splits the header on
    // single spaces); what is inside, newlines and tabs included, is the token's.
    let raw = rest.trim_matches(' ');
    let store = request_store(ctx);
    let found = inspect_at(ctx, raw, store);
    d.findings.extend(found.diagnosis.findings);
    d.skipped.extend(found.diagnosis.skipped);
}

/// Inspect a token as the default store view would receive it.
pub fn inspect(ctx: &Context, raw: &str) -> Inspection {
    let store = ctx
        .config
        .scopes
        .default_store()
        .map(|s| (s.id, s.code.clone()));
    let mut i = inspect_at(ctx, raw, store);
    crate::findings::rank(&mut i.diagnosis.findings);
    i
}

/// The store view a request reaches: the code in `/rest/<code>/V…`, `all` = admin (0), else
/// the default store view.
fn request_store(ctx: &Context) -> Option<(i64, String)> {
    super::request_store(ctx).map(|s| (s.id, s.code.clone()))
}

fn inspect_at(ctx: &Context, raw: &str, store: Option<(i64, String)>) -> Inspection {
    if let Some(why) = text_problem(raw) {
        let mut i = Inspection::new("malformed");
        malformed(&mut i, raw, &why);
        return i;
    }
    match token::parse(raw) {
        TokenShape::Malformed(why) => {
            let mut i = Inspection::new("malformed");
            malformed(&mut i, raw, &why);
            i
        }
        TokenShape::Jwe { header } => jwe(ctx, &header),
        TokenShape::Jws { header, claims } => jws(ctx, raw, &header, &claims),
        TokenShape::Opaque => opaque(ctx, raw, store),
    }
}

/// What is wrong with the text itself, before its shape: a pasted `Bearer`, quotes, whitespace.
fn text_problem(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("bearer ") || lower.starts_with("bearer:") || lower == "bearer" {
        return Some(
            "it starts with the word \"Bearer\": the header carries it twice (\"Bearer Bearer …\")"
                .into(),
        );
    }
    let quotes = |c: char| c == '"' || c == '\'' || c == '`';
    if raw.starts_with(quotes) || raw.ends_with(quotes) {
        return Some(
            "it is wrapped in quotes (copied from JSON or a shell command with the quotes)".into(),
        );
    }
    if raw.contains(['\n', '\r']) {
        return Some("it contains a line break (a trailing newline from a file or echo)".into());
    }
    if raw.contains(char::is_whitespace) {
        return Some("it contains whitespace".into());
    }
    None
}

fn malformed(i: &mut Inspection, raw: &str, why: &str) {
    // What the text would be without the junk around it.
    let cleaned: String = {
        let mut t = raw.trim();
        for prefix in ["Bearer:", "bearer:", "Bearer ", "bearer ", "BEARER "] {
            if let Some(r) = t.strip_prefix(prefix) {
                t = r.trim();
            }
        }
        t.trim_matches(|c: char| c == '"' || c == '\'' || c == '`' || c.is_whitespace())
            .to_string()
    };
    let hint = match token::parse(&cleaned) {
        TokenShape::Jws { .. } if cleaned != raw => {
            " Without that it is a well-formed JWT: send exactly those characters after \"Bearer \"."
        }
        TokenShape::Opaque if cleaned != raw => {
            " Without that it is a well-formed 32-character token: send exactly those characters after \"Bearer \"."
        }
        _ => "",
    };
    i.diagnosis.push(
        Finding::new(Code::TokenMalformed, Severity::Error)
            .detail(format!(
                "Magento cannot read this token: {why}. Its readers fail silently and the request runs as a guest (401 \"The consumer isn't authorized to access %resources.\").{hint}"
            ))
            .evidence(Evidence::other(
                "token",
                format!("{} characters: {}", raw.chars().count(), mask(raw.trim())),
            ))
            .fix(Fix {
                summary: "Send the token exactly as Magento returned it: `Authorization: Bearer <token>`, one space, no quotes, no line break".into(),
                commands: vec!["curl -H \"Authorization: Bearer $(tr -d '\\r\\n\\\"' < token.txt)\" …".into()],
                admin_path: None,
            }),
    );
}

fn jwe(ctx: &Context, header: &serde_json::Value) -> Inspection {
    let mut i = Inspection::new("jwe");
    i.alg = header
        .get("alg")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    i.kid = header
        .get("kid")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let configured = ctx.config.get_default(JWT_ALG_PATH);
    let alg = configured
        .value
        .clone()
        .unwrap_or_else(|| jwt::DEFAULT_ALGORITHM.into());
    i.configured_alg = Some(alg.clone());
    i.keys = ctx.install.crypt_keys().len();
    if jwt::JWE_ALGORITHMS.contains(&alg.as_str()) {
        i.diagnosis.skip(
            "jwt-decrypt",
            format!(
                "the token is a JWE (encrypted, alg {}, enc {}), which this store issues (jwt_alg {alg}); m2auth does not decrypt JWEs, so its user, expiry and revocation are not checked",
                i.alg.as_deref().unwrap_or("?"),
                header.get("enc").and_then(|v| v.as_str()).unwrap_or("?")
            ),
        );
    } else {
        i.diagnosis.push(
            Finding::new(Code::JwtForeign, Severity::Error)
                .title("The token is an encrypted JWT (JWE), but this store signs its tokens")
                .detail(format!(
                    "The token has 5 parts (a JWE with alg {}), while webapi/jwtauth/jwt_alg is {alg}: Magento reads only signed (JWS) tokens, so this one was issued by another store or with another configuration.",
                    i.alg.as_deref().unwrap_or("?")
                ))
                .evidence(configured.evidence())
                .fix(new_token_fix(ctx, None)),
        );
    }
    i
}

/// The JWS header's `alg` and `kid` as the inspection shows them.
fn header_fields(i: &mut Inspection, header: &serde_json::Value) {
    i.alg = header
        .get("alg")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    i.kid = header.get("kid").map(|v| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    });
}

/// Kind, issue and expiry times, and user (without its name) from Magento's JWT claims.
fn claim_fields(i: &mut Inspection, c: &jwt::Claims) {
    i.kind = match c.utypid {
        USER_TYPE_ADMIN => "jwt-admin",
        USER_TYPE_CUSTOMER => "jwt-customer",
        _ => "unknown",
    };
    i.issued_at = Timestamp::from_second(c.iat).ok();
    i.expires_at = Timestamp::from_second(c.exp).ok();
    i.user = Some(TokenUser {
        id: c.uid,
        name: None,
        user_type: user_type_name(c.utypid),
    });
}

fn jws(
    ctx: &Context,
    raw: &str,
    header: &serde_json::Value,
    payload: &serde_json::Value,
) -> Inspection {
    let mut i = Inspection::new("jws");
    let keys = ctx.install.crypt_keys();
    i.keys = keys.len();
    header_fields(&mut i, header);
    let configured = ctx.config.get_default(JWT_ALG_PATH);
    let alg = configured
        .value
        .clone()
        .unwrap_or_else(|| jwt::DEFAULT_ALGORITHM.into());
    i.configured_alg = Some(alg.clone());
    let claims = jwt::claims(payload);
    if let Ok(c) = &claims {
        claim_fields(&mut i, c);
        fill_user_name(ctx, &mut i);
    }
    let header_text = format!(
        "header alg={} kid={}",
        i.alg.as_deref().unwrap_or("(none)"),
        i.kid.as_deref().unwrap_or("(none)")
    );
    let key_line = ctx.install.env.as_ref().and_then(|e| e.line("crypt/key"));
    let keys_evidence = |text: String| Evidence::file(ENV_PHP, key_line, text);
    let verification = jwt::verify(raw, header, &keys, &alg);
    i.verified_with_key = verification.key_index();
    let user_fix = |ctx: &Context, i: &Inspection| new_token_fix(ctx, i.user.as_ref());
    match &verification {
        Verification::NoKey => i.diagnosis.skip(
            "jwt-signature",
            "crypt/key is empty or unreadable: the signature cannot be verified (see crypt-key-missing)",
        ),
        Verification::StoreUsesJwe => i.diagnosis.push(
            Finding::new(Code::JwtForeign, Severity::Error)
                .title("The token is a signed JWT, but this store issues encrypted ones (JWE)")
                .detail(format!(
                    "webapi/jwtauth/jwt_alg is {alg}: Magento reads only JWEs and refuses every signed token ({header_text})."
                ))
                .evidence(configured.evidence())
                .evidence(Evidence::other("token", header_text.clone()))
                .fix(user_fix(ctx, &i)),
        ),
        Verification::UnsupportedAlgorithm => i.diagnosis.push(
            Finding::new(Code::JwtForeign, Severity::Error)
                .title("The token is not signed with an algorithm Magento uses")
                .detail(format!(
                    "Magento signs admin and customer tokens with {} only (webapi/jwtauth/jwt_alg = {alg}); this token's {header_text}: it was not issued by a Magento store.",
                    jwt::JWS_ALGORITHMS.join("/")
                ))
                .evidence(Evidence::other("token", header_text.clone()))
                .evidence(configured.evidence())
                .fix(user_fix(ctx, &i)),
        ),
        Verification::OtherAlgorithm { alg: signed, index } => i.diagnosis.push(
            Finding::new(Code::JwtForeign, Severity::Error)
                .title(format!(
                    "The token is signed with {}, but the store now verifies {alg}",
                    signed.as_str()
                ))
                .detail(format!(
                    "The signature is valid for crypt/key index {index} with {}, but Magento builds its verification key for webapi/jwtauth/jwt_alg = {alg} only: the algorithm was changed after the token was issued, so it is refused.",
                    signed.as_str()
                ))
                .evidence(configured.evidence())
                .evidence(Evidence::other("token", header_text.clone()))
                .fix(user_fix(ctx, &i)),
        ),
        Verification::Foreign => i.diagnosis.push(
            Finding::new(Code::JwtForeign, Severity::Error)
                .detail(format!(
                    "The signature matches none of the {} key(s) in crypt/key ({alg}, each padded as Magento pads it): the token was issued by another environment (staging, another node with a different env.php), env.php was copied or its key replaced since, or the token was altered.",
                    keys.len()
                ))
                .evidence(Evidence::other("token", header_text.clone()))
                .evidence(keys_evidence(format!(
                    "crypt/key holds {} key(s); none verifies the token",
                    keys.len()
                )))
                .fix(Fix {
                    summary: "Request a token from this store; if it should be valid here, compare crypt/key in app/etc/env.php with the environment that issued it (every web node must have the same key)".into(),
                    ..user_fix(ctx, &i)
                }),
        ),
        Verification::EarlierKey { index } => i.diagnosis.push(
            Finding::new(Code::JwtOldCryptKey, Severity::Error)
                .detail(format!(
                    "The token verifies with crypt/key index {index}, but Magento verifies JWTs with the last key only (index {}): the key was rotated (bin/magento encryption:key:change, or a key appended in env.php) after the token was issued.",
                    keys.len() - 1
                ))
                .evidence(keys_evidence(format!(
                    "crypt/key holds {} keys; the token verifies with index {index}, Magento uses index {}",
                    keys.len(),
                    keys.len() - 1
                )))
                .fix(user_fix(ctx, &i)),
        ),
        Verification::Current { .. } => {}
    }
    if !matches!(
        verification,
        Verification::Current { .. } | Verification::EarlierKey { .. } | Verification::NoKey
    ) {
        return i;
    }
    let c = match claims {
        Ok(c) => c,
        Err(msg) => {
            i.diagnosis.push(
                Finding::new(Code::TokenMalformed, Severity::Error)
                    .title("The JWT lacks a claim Magento requires")
                    .detail(format!(
                        "Magento's JWT reader refuses it: \"{msg}\". Magento's own tokens carry uid, utypid, iat and exp."
                    ))
                    .evidence(Evidence::other("token", format!("claims: {}", claim_names(payload))))
                    .fix(new_token_fix(ctx, None)),
            );
            return i;
        }
    };
    let now = ctx.now.as_second();
    if jwt::is_expired(c.exp, now) {
        let path = match c.utypid {
            USER_TYPE_CUSTOMER => "webapi/jwtauth/customer_expiration",
            _ => "webapi/jwtauth/admin_expiration",
        };
        let lifetime = ctx.config.get_default(path);
        let minutes = jwt_ttl_minutes(&lifetime);
        i.diagnosis.push(
            Finding::new(Code::JwtExpired, Severity::Error)
                .detail(format!(
                    "The token expired at {} ({}); it was issued at {}, a lifetime of {} minutes. The store's current lifetime for new {} tokens is {minutes} minutes ({path}).",
                    fmt_ts(c.exp),
                    ago(now - c.exp),
                    fmt_ts(c.iat),
                    (c.exp - c.iat) / 60,
                    user_type_name(c.utypid),
                ))
                .evidence(Evidence::other(
                    "token",
                    format!("iat={} exp={} now={now}", c.iat, c.exp),
                ))
                .evidence(lifetime.evidence())
                .fix(user_fix(ctx, &i)),
        );
    }
    let db = match ctx.db_for("jwt-user") {
        Ok(db) => db,
        Err(s) => {
            i.diagnosis.skipped.push(s);
            return i;
        }
    };
    revocation(db, &c, &mut i, ctx);
    user_state(db, &c, &mut i, ctx);
    i
}

/// The user's name (admin username, customer email), for the report and the fix commands.
fn fill_user_name(ctx: &Context, i: &mut Inspection) {
    if let (Some(u), Some(db)) = (i.user.as_mut(), ctx.db.as_deref()) {
        u.name = match u.user_type.as_str() {
            "admin" => admin_row(db, u.id).and_then(|r| r.text("username")),
            "customer" => customer_row(db, u.id).and_then(|r| r.text("email")),
            _ => None,
        };
    }
}

fn claim_names(payload: &serde_json::Value) -> String {
    match payload.as_object() {
        Some(m) if !m.is_empty() => m.keys().cloned().collect::<Vec<_>>().join(", "),
        _ => "(none)".into(),
    }
}

fn revocation(db: &dyn Database, c: &jwt::Claims, i: &mut Inspection, ctx: &Context) {
    match db.has_table("jwt_auth_revoked") {
        Ok(true) => {}
        Ok(false) => {
            i.diagnosis.skip(
                "jwt-revoked",
                "the database has no jwt_auth_revoked table (Magento before 2.4.4, or Magento_JwtUserToken not installed)",
            );
            return;
        }
        Err(e) => {
            i.diagnosis.skip("jwt-revoked", e.to_string());
            return;
        }
    }
    let rows = match db.rows(
        "jwt_auth_revoked",
        &[("user_type_id", c.utypid.into()), ("user_id", c.uid.into())],
    ) {
        Ok(r) => r,
        Err(e) => {
            i.diagnosis.skip("jwt-revoked", e.to_string());
            return;
        }
    };
    let db_before = rows.first().and_then(|r| r.int("revoke_before"));
    // FastStorageRevokedWrapper reads the cache first: a cached revoke_before decides, whatever
    // the table holds now (a deleted row keeps refusing until the entry expires or a flush).
    let cached = super::cache::cached_revocation(ctx, c.utypid, c.uid);
    let Some(before) = cached.as_ref().map(|(b, _)| *b).or(db_before) else {
        return;
    };
    if c.iat <= before {
        i.revoked = true;
        let who = user_type_name(c.utypid);
        let mut f = Finding::new(Code::JwtRevoked, Severity::Error)
            .title(format!("The {who} token was revoked"));
        let db_evidence = |b: i64| {
            Evidence::db(
                "jwt_auth_revoked",
                format!(
                    "user_type_id={} user_id={} revoke_before={b} ({})",
                    c.utypid,
                    c.uid,
                    fmt_ts(b)
                ),
            )
        };
        match &cached {
            Some((b, entry)) => {
                f = f
                    .detail(format!(
                        "Tokens issued at or before {} are refused for {who} {} (this one was issued at {}). The store reads this from its cache entry jwt-user-token:revoked:{}:{} first{}; cleaning a cache type does not remove it (it carries no type tag): only a flush of the cache storage or the entry's expiry does{}.",
                        fmt_ts(*b),
                        c.uid,
                        fmt_ts(c.iat),
                        c.utypid,
                        c.uid,
                        match db_before {
                            None => ", and jwt_auth_revoked has no row for this user any more".to_string(),
                            Some(d) if d != *b => format!(", while jwt_auth_revoked says {}", fmt_ts(d)),
                            Some(_) => String::new(),
                        },
                        entry
                            .expires
                            .map(|e| format!(" (it expires at {})", fmt_ts(e)))
                            .unwrap_or_default()
                    ))
                    .evidence(Evidence::other(
                        format!("cache:{}", entry.id),
                        format!("revoke_before={b} ({})", fmt_ts(*b)),
                    ));
                if let Some(d) = db_before {
                    f = f.evidence(db_evidence(d));
                }
                let mut fix = new_token_fix(ctx, i.user.as_ref());
                if db_before.is_none() {
                    fix.summary = format!(
                        "{} (or flush the cache storage: the revocation lives only in the cache now)",
                        fix.summary
                    );
                    fix.commands.push("m2auth cache:flush".into());
                    fix.commands.push("bin/magento cache:flush".into());
                }
                f = f.fix(fix);
            }
            None => {
                f = f
                    .detail(format!(
                        "Tokens issued at or before {} are refused for {who} {} (this one was issued at {}). Magento revokes on logout/revoke calls and when the user is deactivated; a deleted row keeps working from the cache (jwt-user-token:revoked:{}:{}) until the cache is flushed.",
                        fmt_ts(before),
                        c.uid,
                        fmt_ts(c.iat),
                        c.utypid,
                        c.uid
                    ))
                    .evidence(db_evidence(before))
                    .fix(new_token_fix(ctx, i.user.as_ref()));
            }
        }
        i.diagnosis.push(f);
    }
}

fn admin_row(db: &dyn Database, id: i64) -> Option<Row> {
    db.rows("admin_user", &[("user_id", id.into())])
        .ok()?
        .into_iter()
        .next()
}

fn customer_row(db: &dyn Database, id: i64) -> Option<Row> {
    db.rows("customer_entity", &[("entity_id", id.into())])
        .ok()?
        .into_iter()
        .next()
}

fn user_state(db: &dyn Database, c: &jwt::Claims, i: &mut Inspection, ctx: &Context) {
    let missing = |i: &mut Inspection, table: &str, what: String| {
        i.diagnosis.push(
            Finding::new(Code::JwtUserMissing, Severity::Error)
                .detail(what)
                .evidence(Evidence::db(
                    table,
                    format!("no row for uid={} (utypid={})", c.uid, c.utypid),
                ))
                .fix(if c.utypid == USER_TYPE_CUSTOMER {
                    Fix {
                        summary: "Request a new token from this store".into(),
                        commands: vec![customer_curl(ctx, None)],
                        admin_path: None,
                    }
                } else {
                    new_token_fix(ctx, None)
                }),
        );
    };
    match c.utypid {
        USER_TYPE_ADMIN => match admin_row(db, c.uid) {
            None => missing(
                i,
                "admin_user",
                format!(
                    "The token names admin user {}, which does not exist (deleted, or the database was replaced since the token was issued).",
                    c.uid
                ),
            ),
            Some(row) => {
                let username = row.text("username");
                if let Some(u) = i.user.as_mut() {
                    u.name = username.clone();
                }
                if row.int("is_active") == Some(0) {
                    i.diagnosis
                        .push(admin_inactive(ctx, c.uid, username.as_deref()));
                }
            }
        },
        USER_TYPE_CUSTOMER => match customer_row(db, c.uid) {
            None => missing(
                i,
                "customer_entity",
                format!(
                    "The token names customer {}, which does not exist (deleted, or the database was replaced since the token was issued).",
                    c.uid
                ),
            ),
            Some(row) => {
                if let Some(u) = i.user.as_mut() {
                    u.name = row.text("email");
                }
            }
        },
        other => missing(
            i,
            "admin_user",
            format!(
                "The token names user type {other} (utypid): Magento issues JWTs to admin users (2) and customers (3) only, so no user can be found for it."
            ),
        ),
    }
}

fn admin_inactive(ctx: &Context, id: i64, username: Option<&str>) -> Finding {
    let name = username.unwrap_or("?");
    // A warning, not the cause: TokenUserContext checks a bearer token with the
    // CompositeUserTokenValidator only (ExpirationValidator, JwtUserToken's RevokedValidator), and
    // the web API's role lookup does not read is_active either, so the real 2.4.7-p3 answers 200
    // for this token. Deactivating through the admin also writes jwt_auth_revoked (jwt-revoked).
    Finding::new(Code::AdminUserInactive, Severity::Warning)
        .detail(format!(
            "Admin user {id} ({name}) is inactive (is_active = 0), yet this token still works: Magento checks a bearer token only for expiry and revocation, not the user's status. Its next login is refused (\"The account sign-in was incorrect or your account is disabled temporarily\"). If the user must lose access, revoke its tokens too: deactivating it in the admin does both."
        ))
        .evidence(Evidence::db(
            "admin_user",
            format!("user_id={id} username={name} is_active=0"),
        ))
        .fix(Fix {
            summary: "Activate the user if it should have access; otherwise revoke its tokens (deactivate it in the admin, which revokes them)".into(),
            commands: vec![
                format!(
                    "UPDATE {}admin_user SET is_active = 1 WHERE user_id = {id};",
                    ctx.db
                        .as_deref()
                        .map(|d| d.describe().table_prefix)
                        .unwrap_or_default()
                ),
                admin_curl(ctx, username),
            ],
            admin_path: Some(
                "System > Permissions > All Users > (user) > User Info > This account is Active".into(),
            ),
        })
}

fn opaque(ctx: &Context, raw: &str, store: Option<(i64, String)>) -> Inspection {
    let mut i = Inspection::new("opaque");
    let db = match ctx.db_for("opaque-token") {
        Ok(db) => db,
        Err(s) => {
            i.diagnosis.skipped.push(s);
            return i;
        }
    };
    let rows = match db.rows("oauth_token", &[("token", raw.into())]) {
        Ok(r) => r,
        Err(e) => {
            i.diagnosis.skip("opaque-token", e.to_string());
            return i;
        }
    };
    // MySQL compares case-insensitively; Magento's loadByToken does too, but keep the exact one
    // first when both exist.
    let row = rows
        .iter()
        .find(|r| r.text("token").as_deref() == Some(raw))
        .or_else(|| rows.first());
    let Some(row) = row else {
        i.diagnosis.push(
            Finding::new(Code::OpaqueTokenUnknown, Severity::Error)
                .detail("This 32-character token is in no oauth_token row: it was never issued by this store, or its row was deleted (integration re-created or reset, token regenerated, database replaced). Magento answers as for a guest.")
                .evidence(Evidence::db(
                    "oauth_token",
                    format!("no row with token = {}", mask(raw)),
                ))
                .fix(Fix {
                    summary: "Use a current token: an admin/customer token from the token endpoint (a JWT since 2.4.4), or the integration's access token from its page in the admin".into(),
                    commands: vec![admin_curl(ctx, None)],
                    admin_path: Some("System > Extensions > Integrations > (integration) > Edit > Integration Details".into()),
                }),
        );
        return i;
    };
    let id = row.int("entity_id").unwrap_or(0);
    let ty = row.text("type").unwrap_or_default();
    let revoked = row.int("revoked").unwrap_or(0) != 0;
    let user_type = row.int("user_type");
    let admin_id = row.int("admin_id");
    let customer_id = row.int("customer_id");
    let consumer_id = row.int("consumer_id");
    let created = row.text("created_at");
    i.revoked = revoked;
    i.issued_at = created.as_deref().and_then(crate::store::db::db_time);
    let row_ev = Evidence::db(
        "oauth_token",
        format!(
            "entity_id={id} type={ty} user_type={} admin_id={} customer_id={} consumer_id={} revoked={} created_at={}",
            opt(user_type),
            opt(admin_id),
            opt(customer_id),
            opt(consumer_id),
            i32::from(revoked),
            created.as_deref().unwrap_or("NULL")
        ),
    );
    // Who the row names, as Magento's OpaqueToken\Reader decides: `(int)$token->getUserType()`
    // (NULL is 0), and only 1, 2, 3 with the matching id column set are accepted.
    let effective = user_type.unwrap_or(0);
    let mut integration: Option<Row> = None;
    match effective {
        USER_TYPE_ADMIN => {
            i.kind = "opaque-admin";
            if let Some(a) = admin_id {
                i.user = Some(TokenUser {
                    id: a,
                    name: admin_row(db, a).and_then(|r| r.text("username")),
                    user_type: "admin".into(),
                });
            }
        }
        USER_TYPE_CUSTOMER => {
            i.kind = "opaque-customer";
            if let Some(c) = customer_id {
                i.user = Some(TokenUser {
                    id: c,
                    name: customer_row(db, c).and_then(|r| r.text("email")),
                    user_type: "customer".into(),
                });
            }
        }
        USER_TYPE_INTEGRATION => {
            i.kind = "integration";
            integration = consumer_id.and_then(|c| {
                db.rows("integration", &[("consumer_id", c.into())])
                    .ok()?
                    .into_iter()
                    .next()
            });
            if let Some(r) = &integration {
                i.user = Some(TokenUser {
                    id: r.int("integration_id").unwrap_or(0),
                    name: r.text("name"),
                    user_type: "integration".into(),
                });
            }
        }
        _ => {}
    }
    let label = match effective {
        USER_TYPE_ADMIN => "admin",
        USER_TYPE_CUSTOMER => "customer",
        USER_TYPE_INTEGRATION => "integration",
        _ => "unknown",
    };
    if revoked {
        i.diagnosis.push(
            Finding::new(Code::OpaqueTokenRevoked, Severity::Error)
                .detail(format!(
                    "oauth_token row {id} ({label} token) is marked revoked: Magento's reader refuses it (\"Token was revoked\")."
                ))
                .evidence(row_ev.clone())
                .fix(opaque_fix(ctx, label, i.user.as_ref())),
        );
    }
    if ty != "access" {
        i.diagnosis.push(
            // A warning: the bearer reader (OpaqueToken\Reader, TokenUserContext before 2.4.4)
            // checks that the row exists, is not revoked, and names a user, never its type; the
            // real 2.4.7-p3 answered 200 for a 'request' row sent as Bearer. OAuth-signed
            // requests are refused for it (checks::oauth: "Token is not an access token").
            Finding::new(Code::OpaqueTokenNotAccess, Severity::Warning)
                .title(format!("The token is a {ty} token, not an access token"))
                .detail(format!(
                    "oauth_token row {id} has type '{ty}': a leftover of the OAuth handshake (request token / verifier). Magento still accepts it as a Bearer token (its reader does not look at the type), but an OAuth-signed request with it is refused (\"Token is not an access token\"), and reauthorising the integration replaces it. Use the integration's access token."
                ))
                .evidence(row_ev.clone())
                .fix(opaque_fix(ctx, label, i.user.as_ref())),
        );
    }
    // The reader's last test: a user type it knows, with the id of that user.
    let names_user = match effective {
        USER_TYPE_ADMIN => admin_id.is_some(),
        USER_TYPE_CUSTOMER => customer_id.is_some(),
        USER_TYPE_INTEGRATION => integration.is_some(),
        _ => false,
    };
    if !names_user {
        let why = match effective {
            USER_TYPE_ADMIN => "user_type is 2 (admin) but admin_id is empty".to_string(),
            USER_TYPE_CUSTOMER => "user_type is 3 (customer) but customer_id is empty".to_string(),
            USER_TYPE_INTEGRATION => {
                "user_type is 1 (integration) but no integration has the row's consumer_id"
                    .to_string()
            }
            0 if user_type.is_none() => {
                "user_type is NULL, which Magento reads as 0: no user type".to_string()
            }
            other => format!("user_type is {other}, not 1, 2 or 3"),
        };
        i.kind = "unknown";
        i.diagnosis.push(
            Finding::new(Code::OpaqueTokenInvalid, Severity::Error)
                .detail(format!(
                    "oauth_token row {id}: {why}. Magento's token reader refuses it (\"Invalid token found\") and the request runs as a guest."
                ))
                .evidence(row_ev.clone())
                .fix(opaque_fix(ctx, label, i.user.as_ref())),
        );
        // Refused here: Magento checks no expiry or integration state after this.
        return i;
    }
    match effective {
        USER_TYPE_ADMIN | USER_TYPE_CUSTOMER => {
            let path = if effective == USER_TYPE_ADMIN {
                "oauth/access_token_lifetime/admin"
            } else {
                "oauth/access_token_lifetime/customer"
            };
            let lifetime = ctx.config.get_default(path);
            let hours = lifetime
                .value
                .as_deref()
                .map(crate::magento::php::intval)
                .unwrap_or(0)
                .max(0);
            if let Some(issued) = i.issued_at {
                let expires = issued.as_second() + hours * 3600;
                i.expires_at = Timestamp::from_second(expires).ok();
                if expires <= ctx.now.as_second() {
                    let why = if hours == 0 {
                        format!(
                            "{path} is {}, which Magento reads as 0 hours: legacy {label} tokens expire the moment they are issued",
                            lifetime
                                .value
                                .as_deref()
                                .map(|v| format!("'{v}'"))
                                .unwrap_or_else(|| "empty".into())
                        )
                    } else {
                        format!("the lifetime is {hours} hour(s) ({path})")
                    };
                    i.diagnosis.push(
                        Finding::new(Code::OpaqueTokenExpired, Severity::Error)
                            .detail(format!(
                                "This legacy opaque {label} token was issued at {} and expired at {} ({}): {why}.",
                                fmt_ts(issued.as_second()),
                                fmt_ts(expires),
                                ago(ctx.now.as_second() - expires)
                            ))
                            .evidence(row_ev.clone())
                            .evidence(lifetime.evidence())
                            .fix(Fix {
                                summary: format!(
                                    "Request a new {label} token (a JWT on 2.4.4+){}",
                                    if hours == 0 {
                                        format!("; or give legacy tokens a lifetime: bin/magento config:set {path} <hours>")
                                    } else {
                                        String::new()
                                    }
                                ),
                                ..opaque_fix(ctx, label, i.user.as_ref())
                            }),
                    );
                }
            }
            if effective == USER_TYPE_ADMIN
                && let Some(a) = admin_id
                && let Some(r) = admin_row(db, a)
                && r.int("is_active") == Some(0)
            {
                i.diagnosis
                    .push(admin_inactive(ctx, a, r.text("username").as_deref()));
            }
        }
        USER_TYPE_INTEGRATION => {
            integration_checks(ctx, &mut i, integration.as_ref(), store, &row_ev);
        }
        _ => {}
    }
    i
}

fn integration_checks(
    ctx: &Context,
    i: &mut Inspection,
    integration: Option<&Row>,
    store: Option<(i64, String)>,
    row_ev: &Evidence,
) {
    let (store_id, store_code) = store.unwrap_or((1, "default".into()));
    let flag = ctx.config.get(BEARER_PATH, Scope::Store(store_id));
    if !flag.is_set_flag() {
        i.diagnosis
            .push(bearer_disabled(&flag, &store_code, row_ev));
    }
    // No integration for the consumer: reported as opaque-token-invalid by the caller.
    let Some(r) = integration else {
        return;
    };
    let status = r.int("status").unwrap_or(0);
    if status != 1 {
        let name = r.text("name").unwrap_or_default();
        let id = r.int("integration_id").unwrap_or(0);
        let (state, action) = match status {
            0 => ("inactive", "Activate"),
            2 => (
                "recreated: its configuration changed and it waits to be re-authorised",
                "Reauthorize",
            ),
            _ => ("in an unknown state", "Activate"),
        };
        i.diagnosis.push(
            Finding::new(Code::IntegrationInactive, Severity::Warning)
                .title(format!("The integration '{name}' is not active"))
                .detail(format!(
                    "Integration {id} ({name}) has status {status} ({state}). OAuth-signed requests of an integration that is not active are refused; the bearer reader of the versions read does not check the status, but the token and the role may not match what the admin shows until it is activated."
                ))
                .evidence(Evidence::db(
                    "integration",
                    format!("integration_id={id} name={name} status={status}"),
                ))
                .fix(Fix {
                    summary: format!("{action} the integration in the admin (this issues a fresh access token)"),
                    commands: Vec::new(),
                    admin_path: Some(format!(
                        "System > Extensions > Integrations > {name} > {action}"
                    )),
                }),
        );
    }
}

fn bearer_disabled(flag: &ConfigValue, store_code: &str, row_ev: &Evidence) -> Finding {
    let shown = flag.value.as_deref().unwrap_or("unset");
    let scope_arg = match flag.scope {
        Scope::Default => String::new(),
        _ => match &flag.origin {
            crate::store::config::Origin::Db {
                scope: "stores", ..
            } => {
                format!(" --scope=stores --scope-code={store_code}")
            }
            crate::store::config::Origin::Db {
                scope: "websites", ..
            } => " --scope=websites --scope-code=<website code>".into(),
            _ => String::new(),
        },
    };
    Finding::new(Code::IntegrationBearerDisabled, Severity::Error)
        .detail(format!(
            "The token is an integration access token sent as \"Authorization: Bearer\", but {BEARER_PATH} is {shown} for store '{store_code}' (off, Magento's default since 2.4.4): the reader refuses it (\"Invalid token found\") and the request runs as a guest. Either allow integration tokens as bearer tokens, or sign the requests with OAuth 1.0a (HMAC-SHA256) using the integration's consumer key/secret and access token/secret."
        ))
        .evidence(flag.evidence())
        .evidence(row_ev.clone())
        .fix(Fix {
            summary: "Allow integration access tokens as bearer tokens (or sign with OAuth 1.0a instead: m2auth oauth:sign)".into(),
            commands: vec![
                format!("bin/magento config:set{scope_arg} {BEARER_PATH} 1"),
                "bin/magento cache:clean config".into(),
            ],
            admin_path: Some("Stores > Settings > Configuration > Services > OAuth > Consumer Settings > Allow OAuth Access Tokens to be used as standalone Bearer tokens = Yes".into()),
        })
}

fn opaque_fix(ctx: &Context, label: &str, user: Option<&TokenUser>) -> Fix {
    match label {
        "integration" => Fix {
            summary: "Use the integration's current access token (Reauthorize issues a new one)"
                .into(),
            commands: Vec::new(),
            admin_path: Some(format!(
                "System > Extensions > Integrations > {} > Edit > Integration Details (or Reauthorize)",
                user.and_then(|u| u.name.clone())
                    .unwrap_or_else(|| "(integration)".into())
            )),
        },
        _ => new_token_fix(ctx, user),
    }
}

/// Request a new token: the exact curl for the user's token endpoint.
fn new_token_fix(ctx: &Context, user: Option<&TokenUser>) -> Fix {
    let command = match user {
        Some(u) if u.user_type == "customer" => customer_curl(ctx, u.name.as_deref()),
        Some(u) if u.user_type == "admin" => admin_curl(ctx, u.name.as_deref()),
        _ => admin_curl(ctx, None),
    };
    Fix {
        summary: "Request a new token from this store".into(),
        commands: vec![command],
        admin_path: None,
    }
}

fn base_url(ctx: &Context) -> String {
    if let Some(t) = ctx.request.as_ref().and_then(|r| r.target.as_ref())
        && let Some(host) = &t.host
    {
        let mut s = format!("{}://{host}", t.scheme.as_deref().unwrap_or("https"));
        if let Some(p) = t.port {
            s.push_str(&format!(":{p}"));
        }
        return s;
    }
    ctx.config
        .get_default("web/secure/base_url")
        .value
        .filter(|v| v.starts_with("http") && !v.contains('{'))
        .map(|v| v.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "https://<store>".into())
}

fn admin_curl(ctx: &Context, username: Option<&str>) -> String {
    format!(
        "curl -X POST \"{}/rest/V1/integration/admin/token\" -H \"Content-Type: application/json\" -d '{{\"username\":\"{}\",\"password\":\"<password>\"}}'",
        base_url(ctx),
        username.unwrap_or("<admin username>")
    )
}

fn customer_curl(ctx: &Context, email: Option<&str>) -> String {
    format!(
        "curl -X POST \"{}/rest/V1/integration/customer/token\" -H \"Content-Type: application/json\" -d '{{\"username\":\"{}\",\"password\":\"<password>\"}}'",
        base_url(ctx),
        email.unwrap_or("<customer email>")
    )
}

fn user_type_name(t: i64) -> String {
    match t {
        USER_TYPE_ADMIN => "admin".into(),
        USER_TYPE_CUSTOMER => "customer".into(),
        USER_TYPE_INTEGRATION => "integration".into(),
        n => format!("type {n}"),
    }
}

/// `getCustomerTtl()`/`getAdminTtl()`: `(int)` of the value, 30 when `<= 0`.
fn jwt_ttl_minutes(v: &ConfigValue) -> i64 {
    let m = v
        .value
        .as_deref()
        .map(crate::magento::php::intval)
        .unwrap_or(0);
    if m <= 0 { 30 } else { m }
}

fn fmt_ts(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

fn ago(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        7200..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86400),
    }
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "NULL".into())
}

/// `token:inspect` without a Magento root: the token decoded (shape, kind, user id, issue and
/// expiry, `alg`/`kid`), expiry judged at `now`; the signature, the revocation and the user's
/// state are listed as not checked, with the reason.
pub fn decode(raw: &str, now: Timestamp) -> Inspection {
    const WHY: &str = "no Magento root was found (--root)";
    if let Some(why) = text_problem(raw) {
        let mut i = Inspection::new("malformed");
        malformed(&mut i, raw, &why);
        return i;
    }
    let mut i = match token::parse(raw) {
        TokenShape::Malformed(why) => {
            let mut i = Inspection::new("malformed");
            malformed(&mut i, raw, &why);
            return i;
        }
        TokenShape::Jwe { .. } => Inspection::new("jwe"),
        TokenShape::Opaque => {
            let mut i = Inspection::new("opaque");
            i.diagnosis.skip(
                "token-owner",
                format!(
                    "{WHY}: an opaque token is known only to the store's database (oauth_token)"
                ),
            );
            return i;
        }
        TokenShape::Jws { header, claims } => {
            let mut i = Inspection::new("jws");
            header_fields(&mut i, &header);
            if let Ok(c) = jwt::claims(&claims) {
                claim_fields(&mut i, &c);
                let now = now.as_second();
                if jwt::is_expired(c.exp, now) {
                    i.diagnosis.push(
                        Finding::new(Code::JwtExpired, Severity::Error)
                            .detail(format!(
                                "The token expired at {} ({}); it was issued at {}, a lifetime of {} minutes.",
                                fmt_ts(c.exp),
                                ago(now - c.exp),
                                fmt_ts(c.iat),
                                (c.exp - c.iat) / 60,
                            ))
                            .evidence(Evidence::other(
                                "token",
                                format!("iat={} exp={} now={now}", c.iat, c.exp),
                            )),
                    );
                }
            }
            i
        }
    };
    for (check, what) in [
        (
            "jwt-signature",
            "the signature is verified with the store's crypt key (app/etc/env.php)",
        ),
        (
            "jwt-revocation",
            "revocations are in the store's database (jwt_auth_revoked)",
        ),
        (
            "token-user",
            "the user and its state are in the store's database",
        ),
    ] {
        i.diagnosis.skip(check, format!("{WHY}: {what}"));
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_int_and_times() {
        assert_eq!(crate::magento::php::intval("4"), 4);
        assert_eq!(crate::magento::php::intval(" 12abc"), 12);
        assert_eq!(crate::magento::php::intval(""), 0);
        assert_eq!(crate::magento::php::intval("abc"), 0);
        assert_eq!(crate::magento::php::intval("-3"), -3);
        assert_eq!(
            crate::store::db::db_time("2026-01-02 03:04:05").map(|t| t.as_second()),
            Some(1_767_323_045)
        );
        assert_eq!(fmt_ts(1_767_323_045), "2026-01-02 03:04:05 UTC");
    }

    #[test]
    fn text_problems() {
        assert!(text_problem("Bearer eyJ").is_some());
        assert!(text_problem("\"abc\"").is_some());
        assert!(text_problem("abc\n").unwrap().contains("line break"));
        assert!(text_problem("a b").is_some());
        assert!(text_problem("at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g").is_none());
    }
}
