//! `acl:check` (one request against the caller's role), `acl:matrix` (every REST route, and
//! with `--live` the store's own answer for each) and `acl:grant`.

use std::path::PathBuf;

use crate::app::{Common, Error, Outcome, Output, Result};
use crate::checks::caller::{self, CallerSpec};
use crate::checks::roles::{self, AclData};
use crate::checks::tokens;
use crate::context::Context;
use crate::findings;
use crate::fix::acl_grant::{self, GrantRequest, GrantTarget};
use crate::live::{self, matrix};
use crate::magento::routes::Route;
use crate::report::acl::MatrixRow;
use crate::report::document::Kind;
use crate::report::{self, Format};
use crate::request::{Login, RequestSpec};

/// `acl:check`.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub common: Common,
    /// The request: its target is known.
    pub request: RequestSpec,
    pub caller: CallerSpec,
}

/// `acl:matrix`.
#[derive(Debug, Clone)]
pub struct MatrixConfig {
    pub common: Common,
    pub caller: CallerSpec,
    /// `--live`: also ask the store.
    pub live: Option<MatrixLive>,
}

/// How `acl:matrix --live` asks the store.
#[derive(Debug, Clone)]
pub struct MatrixLive {
    /// The store's base URL; `None`: `web/secure/base_url` of the default store view.
    pub base_url: Option<String>,
    pub settings: live::Settings,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// At most this many requests per second; `None`: no limit.
    pub rate: Option<f64>,
    /// POST and PUT routes too (with a body Magento rejects after its ACL check).
    pub all_methods: bool,
    /// The caller's bearer token (sent as is).
    pub token: Option<String>,
    /// An admin user and the file with its password: a fresh admin token.
    pub admin_user: Option<String>,
    pub password_file: Option<PathBuf>,
    /// An integration: OAuth-signed with its stored credentials.
    pub integration: Option<String>,
}

/// `acl:grant`.
#[derive(Debug, Clone)]
pub struct GrantConfig {
    pub common: Common,
    pub target: GrantTarget,
    pub resources: Vec<String>,
    /// Write (journaled); otherwise only the plan.
    pub apply: bool,
    /// Show the plan's SQL statements in the text output.
    pub verbose: bool,
}

/// `acl:check`: the resources the route needs, what the caller's role grants, what is missing.
/// Exit 1 when the call is not allowed or the token is refused.
pub fn check(c: &CheckConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = common.load(Some(c.request.clone()))?;
    let spec = ctx
        .request
        .clone()
        .ok_or_else(|| Error::Usage("acl:check needs --request \"METHOD TARGET\"".into()))?;
    let target = spec
        .target
        .clone()
        .ok_or_else(|| Error::Usage("acl:check needs --request \"METHOD TARGET\"".into()))?;
    if spec.api() == crate::request::Api::Graphql {
        return Err(Error::Usage(
            "acl:check judges REST routes and SOAP operations: GraphQL fields have no ACL route (use diagnose --request \"POST /graphql\" --data …)".into(),
        ));
    }
    let who = caller::identify(&ctx, &c.caller).map_err(|why| caller_error(&ctx, why))?;
    let data = AclData::load(&ctx);
    let mut check = match spec.api() {
        // SOAP: the operation's routes, the same ACL (issue 14).
        crate::request::Api::Soap => {
            crate::checks::soap::check_request(&ctx, &data, &target, spec.body.as_deref(), &who)
        }
        _ => roles::check_request(&ctx, &data, &spec.method, &target, &who),
    };
    // The running store decides with the cached ACL when it differs from the tables (issue 17).
    if let Some(role) = roles::role_of(&ctx, &who.caller)
        && let Ok(role) = u64::try_from(role)
    {
        let resources = check
            .route
            .as_ref()
            .map(|r| r.resources.clone())
            .unwrap_or_default();
        crate::checks::cache::acl_stale_for_role(&ctx, role, &resources, &mut check.diagnosis);
        findings::rank(&mut check.diagnosis.findings);
    }
    // A token Magento refuses makes the request a guest's, whatever its role grants.
    if let CallerSpec::Token(t) = &c.caller {
        let token = tokens::inspect(&ctx, t);
        let refused = token.diagnosis.root_cause().is_some();
        check.diagnosis.findings.extend(token.diagnosis.findings);
        check.diagnosis.skipped.extend(token.diagnosis.skipped);
        findings::rank(&mut check.diagnosis.findings);
        if refused && let Some(v) = check.verdict.as_mut() {
            v.allowed = false;
        }
    }
    let allowed = check.verdict.as_ref().is_some_and(|v| v.allowed);
    let code = if allowed && check.diagnosis.root_cause().is_none() {
        0
    } else {
        1
    };
    let root = &ctx.install.root;
    let out = Output::pick(
        common.format,
        || report::acl::check_json(&check, root, &target.path, Some(&who)),
        || report::acl::check_text(&check, root, &target.path, Some(&who), &common.style),
    );
    Ok(common.outcome(&ctx, out, code))
}

/// `acl:matrix`: every REST route of the enabled modules, allowed or not for the caller; with
/// `--live` exit 1 when the store's answer disagrees somewhere.
pub fn matrix(c: &MatrixConfig) -> Result<Outcome> {
    let common = &c.common;
    let mut ctx = common.load(None)?;
    let who = caller::identify(&ctx, &c.caller).map_err(|why| caller_error(&ctx, why))?;
    if ctx.db.is_none() {
        return Err(Error::no_database(
            &ctx.masker,
            &format!(
                "acl:matrix needs the roles from the database: {}",
                ctx.db_problem.as_deref().unwrap_or("no database")
            ),
        ));
    }
    let data = AclData::load(&ctx);
    let role_id = roles::role_of(&ctx, &who.caller);
    let mut routes: Vec<&Route> = data.routes.routes().iter().collect();
    routes.sort_by(|a, b| (&a.url, &a.method).cmp(&(&b.url, &b.method)));
    let mut rows: Vec<MatrixRow<'_>> = routes
        .into_iter()
        .map(|route| MatrixRow {
            route,
            verdict: roles::evaluate(&ctx, &data, route, &who.caller, role_id),
            live: None,
        })
        .collect();
    let mut exit = 0;
    if let Some(l) = &c.live {
        let disagree = matrix_live(&mut ctx, common, l, &mut rows)?;
        exit = i32::from(disagree > 0);
    }
    let out = match common.format {
        Format::Json => Output::Json(report::acl::matrix_json(&rows, &who, role_id)),
        Format::Csv => Output::Text(report::acl::matrix_csv(&rows)),
        Format::Html | Format::Markdown => Output::Text(report::matrix_doc::render(
            if common.format == Format::Html {
                Kind::Html
            } else {
                Kind::Markdown
            },
            report::acl::matrix_json(&rows, &who, role_id),
            &ctx.masker,
        )),
        Format::Text | Format::Jsonl => Output::Text(report::acl::matrix_text(
            &rows,
            &who,
            role_id,
            &common.style,
        )),
    };
    Ok(common.outcome(&ctx, out, exit))
}

/// `acl:matrix --live`: the caller's token, every route (GET only unless `all_methods`) sent to
/// the store; the live cells go into `rows`. The number of routes where live and offline
/// disagree; refused without a token or a base URL.
fn matrix_live(
    ctx: &mut Context,
    common: &Common,
    l: &MatrixLive,
    rows: &mut [MatrixRow<'_>],
) -> Result<usize> {
    let base = match &l.base_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => match crate::checks::oauth::base_url(ctx) {
            Some((u, _)) => u,
            None => {
                return Err(Error::refused(
                    &ctx.masker,
                    "acl:matrix --live needs the store's URL: --base-url https://shop.example.com (web/secure/base_url is not set)",
                ));
            }
        },
    };
    crate::app::diagnose::warn_insecure(common.warn, &l.settings, None);
    let client = live::Client::with_pool(l.settings.clone(), l.concurrency)?;
    let auth = match (&l.token, &l.admin_user, &l.password_file, &l.integration) {
        (Some(t), _, _, _) => matrix::Auth::Bearer(t.clone()),
        (None, Some(user), Some(file), _) => {
            let pw = crate::app::password_from_file(file)?;
            ctx.masker.add(pw.expose());
            let login = Login::Admin(user.clone());
            let url = format!("{base}/rest/V1/integration/admin/token");
            let attempt = live::login::obtain(&client, &url, &login, &pw)?;
            match attempt.token {
                Some(t) => {
                    ctx.masker.add(&t);
                    matrix::Auth::Bearer(t)
                }
                None => {
                    return Err(Error::refused(
                        &ctx.masker,
                        &format!(
                            "POST {url} handed out no token for {user}: {} (m2auth diagnose --admin-user {user} --password-file … explains why)",
                            attempt.class.summary()
                        ),
                    ));
                }
            }
        }
        // An integration calls as integrations do: OAuth 1.0a signed with its stored credentials
        // (a Bearer integration token works only with enable_integration_as_bearer on).
        (None, _, _, Some(name)) => match crate::app::integration::credentials(ctx, name) {
            Ok(creds) => {
                for s in [&creds.consumer_secret, &creds.token, &creds.token_secret] {
                    ctx.masker.add(s);
                }
                matrix::Auth::OAuth {
                    creds,
                    timestamp: ctx.now.as_second(),
                }
            }
            Err(why) => return Err(Error::refused(&ctx.masker, &why.to_string())),
        },
        _ => {
            return Err(Error::refused(
                &ctx.masker,
                "acl:matrix --live sends the caller's token: give --token, --admin-user with --password-file, or --integration (its access token is read from the database)",
            ));
        }
    };
    if let matrix::Auth::Bearer(t) = &auth {
        ctx.masker.add(t);
    }
    let picked: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            let m = &rows[i].route.method;
            m == "GET" || (l.all_methods && matrix::probe_allowed(m))
        })
        .collect();
    let probes: Vec<matrix::Probe> = picked
        .iter()
        .map(|&i| matrix::Probe {
            method: rows[i].route.method.clone(),
            url: format!(
                "{base}/rest{}",
                matrix::fill_placeholders(&rows[i].route.url)
            ),
        })
        .collect();
    let cells = matrix::run(
        &client,
        &probes,
        &auth,
        matrix::Limits {
            concurrency: l.concurrency,
            rate: l.rate,
        },
        common.progress.get(),
    );
    // No route answered: nothing was compared; the first reason is the run's failure (exit 2).
    let first_error = cells.iter().find_map(|c| c.error.clone());
    if !cells.is_empty() && cells.iter().all(|c| c.status.is_none()) {
        return Err(Error::Failed(format!(
            "acl:matrix --live: none of the {} route(s) sent got an answer: {}",
            cells.len(),
            first_error.as_deref().unwrap_or("no answer")
        )));
    }
    let mut disagree = 0;
    for (i, cell) in picked.into_iter().zip(cells) {
        if cell.allowed.is_some_and(|l| l != rows[i].verdict.allowed) {
            disagree += 1;
        }
        rows[i].live = Some(cell);
    }
    Ok(disagree)
}

/// A caller that cannot be looked up: exit 2 when the database cannot be read, 1 when nothing
/// names the caller.
fn caller_error(ctx: &Context, why: caller::CallerError) -> Error {
    match why {
        caller::CallerError::NoDatabase(_) | caller::CallerError::Db(_) => {
            Error::no_database(&ctx.masker, &why.to_string())
        }
        caller::CallerError::Unknown(_) => Error::refused(&ctx.masker, &why.to_string()),
    }
}

/// `acl:grant`: [`acl_grant::grant`] does the work (a plan, or with `apply` the journaled
/// change); refused when it cannot be done as asked.
pub fn grant(c: &GrantConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = common.load(None)?;
    if ctx.db.is_none() {
        return Err(Error::no_database(
            &ctx.masker,
            &format!(
                "acl:grant needs the database: {}",
                ctx.db_problem.as_deref().unwrap_or("none")
            ),
        ));
    }
    let _lock = if c.apply {
        Some(crate::app::write_lock(&ctx, common)?)
    } else {
        None
    };
    let request = GrantRequest {
        target: c.target.clone(),
        resources: c.resources.clone(),
        apply: c.apply,
        db: common.db.clone(),
        command: common.command.clone(),
    };
    let outcome = acl_grant::grant(&ctx, &request)
        .map_err(|e| Error::refused(&ctx.masker, &e.to_string()))?;
    let out = Output::pick(
        common.format,
        || outcome.to_json(),
        || outcome.to_text(c.verbose),
    );
    Ok(common.outcome(&ctx, out, 0))
}
