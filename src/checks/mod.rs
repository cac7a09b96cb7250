//! CHECK: one module per troubleshooting step. Each reads facts through the [`Context`] (loaded by
//! [`crate::context`]) and adds
//! findings (or a reason it could not run) to a [`Diagnosis`]; none of them prints or writes.

pub mod audit;
pub mod cache;
pub mod caller;
pub mod credentials;
pub mod file_perms;
pub mod graphql;
pub mod headers;
pub mod logins;
pub mod logs;
pub mod module_xml;
pub mod oauth;
pub mod roles;
pub mod server;
pub mod session;
pub mod soap;
pub mod store_wide;
pub mod tokens;

use crate::context::Context;
use crate::findings::{self, Code, Finding, Skipped};

/// What the checks found, ranked (most likely root cause first), and what they could not check.
#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// A WAF module the server configuration turns on for the request (ModSecurity): what a
    /// live non-Magento 403 is then joined with ([`crate::live::session::join`]).
    pub waf: Option<server::WafEngine>,
    /// Store-wide (no request): who is refused, one line per problem, for the headline.
    pub summary: Vec<String>,
    /// Store-wide: facts worth knowing that are not problems (token lifetimes).
    pub facts: Vec<String>,
}

impl Diagnosis {
    pub fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    pub fn skip(&mut self, check: &str, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            check: check.to_string(),
            reason: reason.into(),
        });
    }

    pub fn root_cause(&self) -> Option<Code> {
        findings::root_cause(&self.findings)
    }

    pub fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }

    fn finish(mut self) -> Diagnosis {
        findings::rank(&mut self.findings);
        self
    }
}

/// The store view a REST request runs on, as Magento's PathProcessor decides: the store code
/// after `/rest/` (also under `/index.php/` or a subfolder), `all` = the admin store (0), else the
/// default store view. The admin store is never addressed by its own code.
pub fn request_store(ctx: &Context) -> Option<&crate::store::scopes::StoreView> {
    let scopes = &ctx.config.scopes;
    if let Some(t) = ctx.request.as_ref().and_then(|r| r.target.as_ref()) {
        let path = roles::rest_path(&t.path);
        let rest = path
            .trim_start_matches("/index.php")
            .strip_prefix("/rest/")
            .unwrap_or("");
        let first = rest.split('/').next().unwrap_or("");
        if first == "all" {
            return scopes.store(0);
        }
        if first != "admin"
            && let Some(s) = scopes.store_by_code(first)
        {
            return Some(s);
        }
    }
    scopes.default_store()
}

/// Every check that applies, for `diagnose`, without contacting the store: the live request is
/// skipped (`--offline`, or no host). `diagnose` with a host sends it through
/// [`crate::live::session`] and joins its answer with [`offline`].
pub fn diagnose(ctx: &Context) -> Diagnosis {
    let mut d = offline(ctx);
    match ctx.request.as_ref().and_then(|r| r.target.as_ref()) {
        Some(t) if t.host.is_some() => {
            d.skip("live-request", "--offline: the store was not contacted")
        }
        Some(_) => d.skip("live-request", "no --request URL with a host was given"),
        None => {}
    }
    d
}

/// Every offline check that applies (files and database), ranked; no `live-request` entry.
pub fn offline(ctx: &Context) -> Diagnosis {
    let mut d = Diagnosis::default();
    credentials::run(ctx, &mut d);
    headers::run(ctx, &mut d);
    tokens::run(ctx, &mut d);
    oauth::run(ctx, &mut d);
    logins::run(ctx, &mut d);
    module_xml::run(ctx, &mut d);
    // GraphQL: the caller and the document's fields (issue 14).
    graphql::run(ctx, &mut d);
    cache::run(ctx, &mut d);
    session::run(ctx, &mut d);
    role_permissions(ctx, &mut d);
    let before: Vec<Code> = d.findings.iter().map(|f| f.code).collect();
    store_wide::run(ctx, &mut d);
    let from_survey: Vec<Code> = d
        .findings
        .iter()
        .map(|f| f.code)
        .filter(|c| !before.contains(c))
        .collect();
    server::run(ctx, &mut d);
    file_perms::run(ctx, &mut d);
    logs::run(ctx, &mut d);
    audit::run(ctx, &mut d);
    store_wide::complete_headline(ctx, &mut d, &from_survey);
    if ctx.db.is_none() {
        d.skip(
            "database",
            format!(
                "the database could not be read ({}): credential, role and configuration checks that need it did not run",
                ctx.db_problem.as_deref().unwrap_or("none given")
            ),
        );
    }
    d.finish()
}

/// Step 2 for the request being diagnosed: its route, the caller's role, what is missing.
fn role_permissions(ctx: &Context, d: &mut Diagnosis) {
    let Some(request) = &ctx.request else { return };
    let Some(target) = &request.target else {
        return;
    };
    let api = target.api();
    // GraphQL has no routes: its fields are judged by `graphql::run` (issue 14).
    if api == crate::request::Api::Graphql {
        return;
    }
    if request.login.is_some() {
        d.skip(
            "role-permissions",
            "a login is not analysed for role permissions: diagnose the request made with the token it returns",
        );
        return;
    }
    let consumer_key = request
        .oauth
        .as_ref()
        .map(|o| o.consumer_key.clone())
        .or_else(|| {
            request
                .authorization()
                .iter()
                .find_map(|a| crate::magento::oauth1::parse_authorization(a))
                .and_then(|p| p.get("oauth_consumer_key").map(str::to_string))
        });
    let spec = match (consumer_key, request.bearer_token()) {
        // Magento looks at the role only once the OAuth request is accepted; refused, it runs
        // as a guest and the OAuth finding is the cause.
        (Some(_), _)
            if d.findings.iter().any(|f| {
                f.severity == crate::findings::Severity::Error
                    && (f.code.as_str().starts_with("oauth-")
                        || f.code == crate::findings::Code::IntegrationInactive
                        || f.code == crate::findings::Code::AuthHeaderMalformed
                        || f.code == crate::findings::Code::OpaqueTokenNotAccess)
            }) =>
        {
            d.skip(
                "role-permissions",
                "the OAuth request is refused before Magento looks at the integration's role",
            );
            return;
        }
        (Some(key), _) => caller::CallerSpec::OauthConsumer(key),
        (None, token) => match token {
            Some(t) => caller::CallerSpec::Token(t.to_string()),
            None if request.authorization().is_empty() => caller::CallerSpec::Guest,
            None => {
                d.skip(
                    "role-permissions",
                    "the Authorization header is not a Bearer token",
                );
                return;
            }
        },
    };
    let who = match caller::identify(ctx, &spec) {
        Ok(w) => w,
        Err(why) => {
            d.skip(
                "role-permissions",
                format!("the caller could not be identified: {why}"),
            );
            return;
        }
    };
    let data = roles::AclData::load(ctx);
    let check = match request.api() {
        // SOAP: the operation's routes and ACL (issue 14).
        crate::request::Api::Soap => {
            soap::check_request(ctx, &data, target, request.body.as_deref(), &who)
        }
        _ => roles::check_request(ctx, &data, &request.method, target, &who),
    };
    d.findings.extend(check.diagnosis.findings);
    d.skipped.extend(check.diagnosis.skipped);
}

/// The prevention checks (step 9) over the whole store, for `audit`.
pub fn audit(ctx: &Context) -> Diagnosis {
    let mut d = Diagnosis::default();
    audit::run_full(ctx, &mut d);
    d.finish()
}
