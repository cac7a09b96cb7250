//! Who is calling, as Magento's user contexts identify the caller of a REST request
//! (`CompositeUserContext`: token, then OAuth, then guest): a user type and id, from a bearer
//! token, an integration name, an admin user name, or a role id given directly.
//!
//! This only identifies the caller; whether the token is valid (signature, expiry, revocation)
//! is the credential checks' business.

use crate::context::Context;
use crate::findings::Evidence;
use crate::magento::token::{
    self, TokenShape, USER_TYPE_ADMIN, USER_TYPE_CUSTOMER, USER_TYPE_INTEGRATION,
};
use crate::mask::mask;
use crate::store::db::{Database, DbError, SqlValue};

/// How the caller was named on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum CallerSpec {
    Token(String),
    Integration(String),
    AdminUser(String),
    Role(i64),
    /// An OAuth-signed request: the integration whose consumer has this `oauth_consumer.key`
    /// (`OauthUserContext` runs the request as that integration).
    OauthConsumer(String),
    Guest,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    Guest,
    Admin {
        user_id: i64,
        username: Option<String>,
    },
    Customer {
        customer_id: i64,
    },
    Integration {
        integration_id: i64,
        name: String,
        status: i64,
    },
    /// A role given by id (`--role`): no user behind it.
    Role {
        role_id: i64,
    },
}

impl Caller {
    /// `authorization_role.user_type` and `user_id` for Magento's `WebapiRoleLocator`.
    pub fn role_key(&self) -> Option<(i64, i64)> {
        match self {
            Caller::Admin { user_id, .. } => Some((*user_id, USER_TYPE_ADMIN)),
            Caller::Integration { integration_id, .. } => {
                Some((*integration_id, USER_TYPE_INTEGRATION))
            }
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Caller::Guest => "guest",
            Caller::Admin { .. } => "admin",
            Caller::Customer { .. } => "customer",
            Caller::Integration { .. } => "integration",
            Caller::Role { .. } => "role",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Caller::Guest => "a guest (no token)".into(),
            Caller::Admin { user_id, username } => match username {
                Some(u) => format!("admin user {user_id} ({u})"),
                None => format!("admin user {user_id}"),
            },
            Caller::Customer { customer_id } => format!("customer {customer_id}"),
            Caller::Integration {
                integration_id,
                name,
                ..
            } => format!("integration {integration_id} ({name})"),
            Caller::Role { role_id } => format!("role {role_id}"),
        }
    }
}

/// The caller and where each fact was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    pub caller: Caller,
    pub evidence: Vec<Evidence>,
}

/// Why the caller cannot be identified; the message is one line.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    /// No database to look the caller up in: why there is none.
    #[error("{0}")]
    NoDatabase(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Nothing names the caller: no such user, integration or token row, or a token that does
    /// not say whose it is (a finding of the credential checks).
    #[error("{0}")]
    Unknown(String),
}

impl From<String> for CallerError {
    fn from(why: String) -> CallerError {
        CallerError::Unknown(why)
    }
}

impl From<&str> for CallerError {
    fn from(why: &str) -> CallerError {
        CallerError::Unknown(why.to_string())
    }
}

/// Identify the caller. `Err` says why it cannot be identified (a finding of the credential
/// checks, or no database).
pub fn identify(ctx: &Context, spec: &CallerSpec) -> Result<Identified, CallerError> {
    if *spec == CallerSpec::Guest {
        return Ok(Identified {
            caller: Caller::Guest,
            evidence: Vec::new(),
        });
    }
    if let CallerSpec::Role(role_id) = spec {
        return Ok(Identified {
            caller: Caller::Role { role_id: *role_id },
            evidence: Vec::new(),
        });
    }
    let db = ctx
        .db_for("caller")
        .map_err(|s| CallerError::NoDatabase(s.reason))?;
    match spec {
        CallerSpec::Token(t) => from_token(db, t),
        CallerSpec::Integration(name) => integration(db, "name", name.clone().into()),
        CallerSpec::OauthConsumer(key) => {
            let rows = db.rows("oauth_consumer", &[("key", key.as_str().into())])?;
            let id = rows
                .first()
                .and_then(|r| r.int("entity_id"))
                .ok_or_else(|| format!("no OAuth consumer has key {key}"))?;
            let mut who = integration(db, "consumer_id", id.into())?;
            who.evidence.insert(
                0,
                Evidence::db("oauth_consumer", format!("entity_id={id} key={key}")),
            );
            Ok(who)
        }
        CallerSpec::AdminUser(name) => {
            let rows = db.rows("admin_user", &[("username", name.as_str().into())])?;
            let row = rows
                .first()
                .ok_or_else(|| format!("no admin user '{name}' in admin_user"))?;
            let user_id = row.int("user_id").ok_or("admin_user row without user_id")?;
            Ok(Identified {
                caller: Caller::Admin {
                    user_id,
                    username: Some(name.clone()),
                },
                evidence: vec![Evidence::db(
                    "admin_user",
                    format!("user_id={user_id} username={name}"),
                )],
            })
        }
        CallerSpec::Role(_) | CallerSpec::Guest => unreachable!("handled above"),
    }
}

fn integration(
    db: &dyn Database,
    column: &str,
    value: SqlValue,
) -> Result<Identified, CallerError> {
    let rows = db.rows("integration", &[(column, value.clone())])?;
    let row = rows
        .first()
        .ok_or_else(|| no_such_integration(db, column, &value.as_text().unwrap_or_default()))?;
    let integration_id = row
        .int("integration_id")
        .ok_or("integration row without integration_id")?;
    let name = row.text("name").unwrap_or_default();
    let status = row.int("status").unwrap_or(0);
    Ok(Identified {
        caller: Caller::Integration {
            integration_id,
            name: name.clone(),
            status,
        },
        evidence: vec![Evidence::db(
            "integration",
            format!("integration_id={integration_id} name={name} status={status}"),
        )],
    })
}

/// "No integration is named 'ERP'": the integrations that exist, and the closest name.
pub fn no_such_integration(db: &dyn Database, column: &str, value: &str) -> String {
    let names: Vec<String> = db
        .rows("integration", &[])
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.text("name"))
        .collect();
    let what = match column {
        "name" => format!("No integration is named '{value}'"),
        "consumer_id" => format!("No integration uses the OAuth consumer {value}"),
        _ => format!("No integration has {column} {value}"),
    };
    if names.is_empty() {
        return format!("{what}: the store has no integration");
    }
    let shown: Vec<String> = names.iter().take(10).map(|n| format!("'{n}'")).collect();
    let more = names.len().saturating_sub(10);
    let list = if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    };
    match closest(value, &names).filter(|_| column == "name") {
        Some(best) => format!("{what}; did you mean '{best}'? (integrations: {list})"),
        None => format!("{what} (integrations: {list})"),
    }
}

/// The candidate closest to `wanted`: the same but for case, one that contains it (or that it
/// contains), else the smallest edit distance if it is at most a third of the length.
pub fn closest<'a>(wanted: &str, candidates: &'a [String]) -> Option<&'a str> {
    let w = wanted.to_lowercase();
    if let Some(c) = candidates.iter().find(|c| c.to_lowercase() == w) {
        return Some(c);
    }
    if !w.is_empty()
        && let Some(c) = candidates.iter().find(|c| {
            let l = c.to_lowercase();
            l.contains(&w) || w.contains(&l)
        })
    {
        return Some(c);
    }
    let (best, d) = candidates
        .iter()
        .map(|c| (c, edit_distance(&w, &c.to_lowercase())))
        .min_by_key(|(_, d)| *d)?;
    (d <= w.chars().count().max(3) / 3).then_some(best.as_str())
}

/// Levenshtein distance (names are short: the plain two-row table).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn from_token(db: &dyn Database, t: &str) -> Result<Identified, CallerError> {
    match token::parse(t) {
        TokenShape::Jws { .. } => {
            let shape = token::parse(t);
            let (uid, utypid) = shape.jwt_user().ok_or("the JWT has no uid/utypid claims")?;
            let evidence = vec![Evidence::other(
                "token",
                format!("JWT claims uid={uid} utypid={utypid}"),
            )];
            match utypid {
                USER_TYPE_ADMIN => {
                    let username = db
                        .rows("admin_user", &[("user_id", uid.into())])
                        .ok()
                        .and_then(|r| r.first().and_then(|r| r.text("username")));
                    Ok(Identified {
                        caller: Caller::Admin {
                            user_id: uid,
                            username,
                        },
                        evidence,
                    })
                }
                USER_TYPE_CUSTOMER => Ok(Identified {
                    caller: Caller::Customer { customer_id: uid },
                    evidence,
                }),
                other => Err(format!(
                    "the JWT names user type {other}: Magento issues JWTs to admins (2) and customers (3) only"
                )
                .into()),
            }
        }
        TokenShape::Jwe { .. } => {
            Err("the token is a JWE (encrypted): its user cannot be read without the key".into())
        }
        TokenShape::Malformed(why) => Err(format!("the token is malformed: {why}").into()),
        TokenShape::Opaque => {
            let rows = db.rows("oauth_token", &[("token", t.into())])?;
            let row = rows
                .first()
                .ok_or_else(|| format!("the token {} is in no oauth_token row", mask(t)))?;
            let id = row.int("entity_id").unwrap_or(0);
            let user_type = row.int("user_type");
            let ev = Evidence::db(
                "oauth_token",
                format!(
                    "entity_id={id} type={} user_type={} revoked={}",
                    row.text("type").unwrap_or_default(),
                    user_type
                        .map(|u| u.to_string())
                        .unwrap_or_else(|| "NULL".into()),
                    row.int("revoked").unwrap_or(0)
                ),
            );
            let mut found = match (
                user_type,
                row.int("admin_id"),
                row.int("customer_id"),
                row.int("consumer_id"),
            ) {
                (Some(USER_TYPE_ADMIN), Some(admin), _, _) | (None, Some(admin), _, _) => {
                    Identified {
                        caller: Caller::Admin {
                            user_id: admin,
                            username: None,
                        },
                        evidence: Vec::new(),
                    }
                }
                (Some(USER_TYPE_CUSTOMER), _, Some(c), _) | (None, None, Some(c), _) => {
                    Identified {
                        caller: Caller::Customer { customer_id: c },
                        evidence: Vec::new(),
                    }
                }
                (_, _, _, Some(consumer)) => integration(db, "consumer_id", consumer.into())?,
                _ => return Err(format!("oauth_token row {id} names no user").into()),
            };
            found.evidence.insert(0, ev);
            Ok(found)
        }
    }
}
