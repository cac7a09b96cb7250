//! The command line: parse, load the store, run the command, render, write through the masker.
//! Exit codes: 0 nothing wrong / done, 1 problems found, 2 usage error or failure to run.

mod admin_cmds;
mod args;

use std::io::Write;

use anyhow::Context as _;
use clap::Parser;

use args::{
    Cli, Command, DiagnoseArgs, FormatArg, GrantArgs, LiveRequestArgs, MatrixArgs, UndoArgs,
};
use m2auth::checks::caller::{self, CallerSpec};
use m2auth::checks::permissions::{self, AclData};
use m2auth::checks::{self, Context, LoadOptions, tokens};
use m2auth::findings;
use m2auth::fix::acl_grant::{self, GrantRequest, GrantTarget};
use m2auth::fix::integration as integration_fix;
use m2auth::fix::journal::{Journal, UndoOptions};
use m2auth::magento::routes::Route;
use m2auth::mask::{self, Masker};
use m2auth::report::acl::MatrixRow;
use m2auth::report::{self, style::Style};
use m2auth::request::RequestSpec;
use m2auth::store::db::DbChoice;
use m2auth::store::db::write::WriteSession;
use m2auth::store::envphp::ProcessEnv;
use m2auth::store::root::find_root;

/// What the command produced: a JSON document or text, and the exit code.
enum Output {
    Json(serde_json::Value),
    Text(String),
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            // One line, like every other error: clap's first line, without its usage block (with
            // the names clap lists under it, e.g. the missing `<TOKEN>`).
            let rendered = e.render().to_string();
            let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            if first.ends_with(':')
                && let Some(next) = lines.next()
            {
                first = format!("{first} {next}");
            }
            eprintln!(
                "m2auth: {} (see m2auth --help)",
                mask::redact_error(&first, &Masker::new())
            );
            return 2;
        }
    };
    let early = early_masker(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A cause is printed only when the message above it does not already say it.
            let mut line = String::new();
            for cause in e.chain().map(|c| c.to_string()) {
                if !line.contains(&cause) {
                    if !line.is_empty() {
                        line.push_str(": ");
                    }
                    line.push_str(&cause);
                }
            }
            eprintln!(
                "m2auth: {}",
                mask::redact_error(&line.replace('\n', " "), &early)
            );
            2
        }
    }
}

/// The password of a login being diagnosed: from `--password-file` (minus one trailing newline),
/// else a hidden prompt when stdin is a terminal, else none (the password checks are skipped).
fn read_password(spec: &mut RequestSpec, file: Option<&std::path::Path>) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let Some(login) = &spec.login else {
        return Ok(());
    };
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--password-file {}", path.display()))?;
        spec.password = Some(m2auth::request::Password::from_file_contents(&text));
    } else if std::io::stdin().is_terminal() {
        let who = match login {
            m2auth::request::Login::Admin(n) => format!("admin user {n}"),
            m2auth::request::Login::Customer(e) => format!("customer {e}"),
        };
        let pw = rpassword::prompt_password(format!("Password of {who} (not shown): "))
            .context("cannot read the password from the terminal")?;
        spec.password = Some(m2auth::request::Password::new(pw));
    }
    Ok(())
}

/// The secrets named on the command line, known before anything is read, for error lines.
fn early_masker(cli: &Cli) -> Masker {
    let mut m = Masker::new();
    if let Command::TokenInspect(t) = &cli.command {
        add_token_secret(&mut m, &t.token);
    }
    if let Command::OauthSign(a) = &cli.command {
        add_oauth_sign_secrets(&mut m, a);
    }
    if let Command::AclMatrix(a) = &cli.command
        && let Some(t) = &a.token
    {
        add_token_secret(&mut m, t);
    }
    let req = match &cli.command {
        Command::Diagnose(d) => Some(&d.req),
        Command::Request(r) => Some(&r.req),
        _ => None,
    };
    if let Some(r) = req {
        let o = r.options();
        let auth_headers = o.headers.iter().filter(|h| {
            h.to_ascii_lowercase()
                .trim_start()
                .starts_with("authorization")
        });
        if let Some((_, Some(pw))) = url_userinfo(&o) {
            m.add(&pw);
        }
        for v in o.token.iter().chain(auth_headers).chain(o.oauth.iter()) {
            m.add(v);
            for part in v.split([' ', ',', ':']) {
                m.add(part);
            }
        }
    }
    m
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let g = &cli.global;
    let now = match &g.now {
        Some(s) => Some(
            s.parse::<jiff::Timestamp>()
                .map_err(|e| anyhow::anyhow!("--now {s}: not an RFC 3339 instant ({e})"))?,
        ),
        None => None,
    };
    let mut request = match &cli.command {
        Command::Diagnose(DiagnoseArgs { req: r, .. })
        | Command::Request(LiveRequestArgs { req: r, .. })
        | Command::AclCheck(r)
        | Command::Fix(r) => RequestSpec::from_options(&r.options())?,
        _ => None,
    };
    if let Command::Request(_) = &cli.command {
        if g.offline {
            anyhow::bail!(
                "request sends the request to the store, which --offline forbids (diagnose --offline explains it from the files and database)"
            );
        }
        let Some(spec) = request.as_ref() else {
            anyhow::bail!(
                "request needs --request \"METHOD URL\" (or --curl) with the store's host"
            );
        };
        match spec.target.as_ref() {
            Some(t) if t.host.is_some() => {}
            Some(t) => anyhow::bail!(
                "request needs a URL with a host: \"{} https://shop.example.com{}\"",
                spec.method,
                t.path
            ),
            None => anyhow::bail!(
                "request needs --request \"METHOD URL\" (or --curl) with the store's host"
            ),
        }
    }
    match (&cli.command, request.as_mut()) {
        (Command::Diagnose(DiagnoseArgs { req: r, .. }), Some(spec))
        | (Command::Request(LiveRequestArgs { req: r, .. }), Some(spec)) => {
            read_password(spec, r.password_file.as_deref())?;
        }
        _ => {}
    }
    if json_only_csv(&cli) {
        anyhow::bail!("--format csv is for listings (acl:matrix)");
    }
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let choice = g.db_choice();
    let root = match (find_root(g.root.as_deref(), &cwd), &cli.command) {
        (Ok(root), _) => root,
        // `request` without a Magento root (not given, none above): the live part alone.
        (Err(e), Command::Request(r)) if g.root.is_none() => {
            let spec = request.expect("checked above");
            return live_request(
                None,
                spec,
                r,
                now,
                g.format == FormatArg::Json,
                &e.to_string(),
            );
        }
        (Err(e), _) => return Err(e.into()),
    };
    admin_cmds::refuse_dump(&cli.command, &choice)?;
    let mut ctx = Context::load(LoadOptions {
        root,
        db: choice.clone(),
        now,
        request: request.clone(),
        env: &ProcessEnv,
        server: g.server_sources(),
    })?;
    if let Command::Request(r) = &cli.command {
        let spec = request.expect("checked above");
        return live_request(Some(ctx), spec, r, now, g.format == FormatArg::Json, "");
    }
    if let Command::TokenInspect(t) = &cli.command {
        add_token_secret(&mut ctx.masker, &t.token);
    }
    if let Command::OauthSign(a) = &cli.command {
        add_oauth_sign_secrets(&mut ctx.masker, a);
    }
    if let Command::AclMatrix(a) = &cli.command
        && let Some(t) = &a.token
    {
        add_token_secret(&mut ctx.masker, t);
    }
    let style = Style::detect();
    let json = g.format == FormatArg::Json;
    let csv = g.format == FormatArg::Csv;
    let (out, code) = match &cli.command {
        Command::Info => {
            let info = report::info::gather(&ctx, &choice);
            let out = if json {
                Output::Json(serde_json::to_value(&info)?)
            } else {
                Output::Text(report::info::to_text(&info, &style))
            };
            (out, 0)
        }
        Command::Diagnose(args)
            if !g.offline
                && ctx
                    .request
                    .as_ref()
                    .and_then(|r| r.target.as_ref())
                    .is_some_and(|t| t.host.is_some()) =>
        {
            let spec = ctx.request.clone().expect("checked by the guard");
            return live_diagnose(ctx, spec, args, json, &style);
        }
        Command::Diagnose(_) | Command::Audit => {
            let (d, title) = match &cli.command {
                Command::Audit => (checks::audit(&ctx), "audit"),
                _ => (checks::diagnose(&ctx), "diagnose"),
            };
            let code = if d.root_cause().is_some() { 1 } else { 0 };
            let out = if json {
                Output::Json(report::diagnosis::to_json(&ctx, &d))
            } else {
                Output::Text(report::diagnosis::to_text(&ctx, &d, title, &style))
            };
            (out, code)
        }
        Command::AclCheck(args) => {
            let spec = ctx
                .request
                .clone()
                .ok_or_else(|| anyhow::anyhow!("acl:check needs --request \"METHOD TARGET\""))?;
            let target = spec
                .target
                .clone()
                .ok_or_else(|| anyhow::anyhow!("acl:check needs --request \"METHOD TARGET\""))?;
            if spec.oauth.is_some()
                || args.customer.is_some()
                || (spec.bearer_token().is_none() && !spec.authorization().is_empty())
            {
                anyhow::bail!(
                    "acl:check takes the caller as a Bearer token (--token or -H), --integration NAME or --admin-user NAME; OAuth-signed requests and customer logins are diagnosed by diagnose"
                );
            }
            let caller_spec = match (spec.bearer_token(), &args.integration, &args.admin_user) {
                (Some(t), None, None) => CallerSpec::Token(t.to_string()),
                (None, Some(i), None) => CallerSpec::Integration(i.clone()),
                (None, None, Some(a)) => CallerSpec::AdminUser(a.clone()),
                (None, None, None) => CallerSpec::Guest,
                _ => anyhow::bail!(
                    "acl:check takes one caller: --token, --integration or --admin-user"
                ),
            };
            let who = match caller::identify(&ctx, &caller_spec) {
                Ok(w) => w,
                Err(why) => return cannot(&ctx, &why),
            };
            let data = AclData::load(&ctx);
            let mut check = permissions::check_request(&ctx, &data, &spec.method, &target, &who);
            // A token Magento refuses makes the request a guest's, whatever its role grants.
            if let CallerSpec::Token(t) = &caller_spec {
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
            let out = if json {
                Output::Json(report::acl::check_json(
                    &check,
                    &ctx.install.root,
                    &target.path,
                    Some(&who),
                ))
            } else {
                Output::Text(report::acl::check_text(
                    &check,
                    &ctx.install.root,
                    &target.path,
                    Some(&who),
                    &style,
                ))
            };
            (out, code)
        }
        Command::TokenInspect(args) => {
            let found = tokens::inspect(&ctx, &args.token);
            let code = if found.diagnosis.root_cause().is_some() {
                1
            } else {
                0
            };
            let out = if json {
                Output::Json(found.to_json())
            } else {
                Output::Text(report::token::to_text(&found, &style))
            };
            (out, code)
        }
        Command::AclMatrix(margs) => {
            let args = &margs.caller;
            let caller_spec = match (&args.integration, &args.admin_user, args.role, &margs.token) {
                (Some(i), _, _, _) => CallerSpec::Integration(i.clone()),
                (_, Some(a), _, _) => CallerSpec::AdminUser(a.clone()),
                (_, _, Some(r), _) => CallerSpec::Role(r),
                (_, _, _, Some(t)) => CallerSpec::Token(t.clone()),
                _ => anyhow::bail!(
                    "acl:matrix needs a caller: --integration NAME, --admin-user NAME, --role ID or --token TOKEN"
                ),
            };
            if margs.live && g.offline {
                anyhow::bail!("acl:matrix --live asks the store, which --offline forbids");
            }
            let who = match caller::identify(&ctx, &caller_spec) {
                Ok(w) => w,
                Err(why) => return cannot(&ctx, &why),
            };
            if ctx.db.is_none() {
                return cannot(
                    &ctx,
                    &format!(
                        "acl:matrix needs the roles from the database: {}",
                        ctx.db_problem.as_deref().unwrap_or("no database")
                    ),
                );
            }
            let data = AclData::load(&ctx);
            let role_id = permissions::role_of(&ctx, &who.caller);
            let mut routes: Vec<&Route> = data.routes.routes().iter().collect();
            routes.sort_by(|a, b| (&a.url, &a.method).cmp(&(&b.url, &b.method)));
            let mut rows: Vec<MatrixRow<'_>> = routes
                .into_iter()
                .map(|route| MatrixRow {
                    route,
                    verdict: permissions::evaluate(&ctx, &data, route, &who.caller, role_id),
                    live: None,
                })
                .collect();
            let mut exit = 0;
            if margs.live {
                match matrix_live(&mut ctx, margs, &mut rows)? {
                    Ok(disagree) => exit = i32::from(disagree > 0),
                    Err(why) => return cannot(&ctx, &why),
                }
            }
            let out = if json {
                Output::Json(report::acl::matrix_json(&rows, &who, role_id))
            } else if csv {
                Output::Text(report::acl::matrix_csv(&rows))
            } else {
                Output::Text(report::acl::matrix_text(&rows, &who, role_id, &style))
            };
            (out, exit)
        }
        Command::AclGrant(args) => match grant(&ctx, args, &choice, g.apply, json)? {
            Ok(done) => done,
            Err(why) => return cannot(&ctx, &why),
        },
        Command::Fix(_) => {
            let plan = m2auth::fix::server::plan(&ctx);
            let applied = if g.apply {
                match m2auth::fix::server::apply(&ctx, &plan, std::env::args().collect()) {
                    Ok(l) => l,
                    Err(e) => return cannot(&ctx, &e.to_string()),
                }
            } else {
                None
            };
            let out = if json {
                Output::Json(plan.to_json(applied.as_ref()))
            } else {
                Output::Text(plan.to_text(applied.as_ref()))
            };
            (out, 0)
        }
        Command::Undo(args) => match undo(&ctx, args, &choice, json)? {
            Ok(done) => done,
            Err(why) => return cannot(&ctx, &why),
        },
        Command::AdminUserChangePassword(args) => {
            match admin_cmds::change_password(&ctx, args, &choice, json)? {
                Ok(done) => done,
                Err(why) => return cannot(&ctx, &why),
            }
        }
        Command::AdminUserUnlock(args) => match admin_cmds::unlock(&ctx, args, &choice, json)? {
            Ok(done) => done,
            Err(why) => return cannot(&ctx, &why),
        },
        Command::IntegrationList => match admin_cmds::integration_list(&ctx, json)? {
            Ok(done) => done,
            Err(why) => return cannot(&ctx, &why),
        },
        Command::IntegrationShow(args) => match admin_cmds::integration_show(&ctx, args, json)? {
            Ok(done) => done,
            Err(why) => return cannot(&ctx, &why),
        },
        Command::IntegrationActivate(args) => {
            match admin_cmds::integration_activate(&ctx, args, &choice, json)? {
                Ok(done) => done,
                Err(why) => return cannot(&ctx, &why),
            }
        }
        Command::OauthSign(args) => match oauth_sign(&ctx, args, json)? {
            Ok(done) => done,
            Err(why) => return cannot(&ctx, &why),
        },
        Command::Request(_) => unreachable!("handled before the store is loaded"),
    };
    emit(&ctx.masker, out)?;
    Ok(code)
}

/// Say loudly that certificates are not verified.
/// `--insecure` said loudly, for an https URL (plain HTTP has no certificate to skip).
fn warn_insecure(settings: &m2auth::live::Settings, url: Option<&str>) {
    if settings.insecure && !url.is_some_and(|u| u.starts_with("http://")) {
        eprintln!(
            "m2auth: WARNING: --insecure: the store's TLS certificate is NOT verified; anyone between here and the store could answer"
        );
    }
}

/// `diagnose` with a host: the offline checks joined with the live answer (no canary).
fn live_diagnose(
    mut ctx: Context,
    spec: RequestSpec,
    args: &DiagnoseArgs,
    json: bool,
    style: &Style,
) -> anyhow::Result<i32> {
    let settings = args.live.settings();
    let userinfo = url_userinfo(&args.req.options());
    if let Some((_, Some(pw))) = &userinfo {
        ctx.masker.add(pw);
    }
    // diagnose is read-only: its live part sends GET/HEAD only and never logs in (a POST to
    // the token endpoint with a wrong password raises the admin's failure count and may lock
    // the account), nor an OAuth-signed request (Magento stores each request's nonce in
    // oauth_nonce: a write to the store's database). Anything else is `m2auth request`'s to send.
    let read_only = matches!(spec.method.as_str(), "GET" | "HEAD")
        && spec.login.is_none()
        && !spec.is_oauth_signed();
    let sent = if read_only {
        let url = spec.target.as_ref().and_then(m2auth::live::client::url_of);
        warn_insecure(&settings, url.as_deref());
        // diagnose still diagnoses when the live part cannot run (a TLS failure, a header no
        // client can send): the reason goes to "Not checked".
        m2auth::live::Client::new(settings)
            .and_then(|client| m2auth::live::session::send(&client, &spec, ctx.now.as_second()))
    } else {
        Err(m2auth::live::LiveError::Request(format!(
            "{} with {}: diagnose sends only unsigned GET requests and never logs in; `m2auth request` sends it",
            spec.method,
            if spec.login.is_some() {
                "a login"
            } else if spec.is_oauth_signed() {
                "an OAuth signature (Magento records its nonce: a write)"
            } else {
                "this method"
            }
        )))
    };
    let outcome = match sent {
        Ok(o) => o,
        Err(e) => {
            let mut d = checks::offline(&ctx);
            note_userinfo(&mut d, userinfo.as_ref());
            d.skip(
                "live-request",
                match e {
                    m2auth::live::LiveError::Request(why) if !read_only => why,
                    e => e.to_string(),
                },
            );
            let code = if d.root_cause().is_some() { 1 } else { 0 };
            let out = if json {
                Output::Json(report::diagnosis::to_json(&ctx, &d))
            } else {
                Output::Text(report::diagnosis::to_text(&ctx, &d, "diagnose", style))
            };
            emit(&ctx.masker, out)?;
            return Ok(code);
        }
    };
    if let Some(t) = &outcome.token {
        ctx.masker.add(t);
    }
    ctx.request = Some(outcome.sent.clone());
    let mut d = checks::offline(&ctx);
    note_userinfo(&mut d, userinfo.as_ref());
    let doubt = stripped_doubt(&ctx, &outcome.url);
    let stale = m2auth::store::cache::staleness_doubt(&ctx.install);
    let offline = m2auth::live::session::join(
        &mut d,
        true,
        &outcome,
        None,
        doubt.as_deref(),
        stale.as_deref(),
    );
    let live = report::live::LiveReport {
        outcome: &outcome,
        offline: &offline,
        canary: None,
    };
    let code = if d.root_cause().is_some() || outcome.login_failed() || outcome.refused().is_some()
    {
        1
    } else {
        0
    };
    let out = if json {
        Output::Json(report::live::to_json(Some(&ctx), &d, &live))
    } else {
        Output::Text(report::live::to_text(
            Some(&ctx),
            &d,
            &live,
            "diagnose",
            style,
        ))
    };
    emit(&ctx.masker, out)?;
    Ok(code)
}

/// The user-info of the request's URL (`https://user:pass@host/…`, in --request or --curl):
/// the user and the password. m2auth never sends it (no client turns it into a header the
/// same way), so it is said, and the password is masked.
fn url_userinfo(o: &m2auth::request::RequestOptions) -> Option<(String, Option<String>)> {
    let words = o
        .request
        .iter()
        .chain(o.curl.iter())
        .flat_map(|s| s.split_whitespace())
        .map(|w| w.trim_matches(['\'', '"']));
    for w in words {
        if !w.contains("://") {
            continue;
        }
        let Ok(u) = url::Url::parse(w) else { continue };
        if u.username().is_empty() && u.password().is_none() {
            continue;
        }
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| s.to_string())
        };
        return Some((dec(u.username()), u.password().map(dec)));
    }
    None
}

/// Say (stderr, and the report's "Not checked") that the URL's user-info is not sent.
fn note_userinfo(d: &mut checks::Diagnosis, userinfo: Option<&(String, Option<String>)>) {
    let Some((user, pw)) = userinfo else { return };
    let why = format!(
        "the URL's user-info (user \"{user}\"{}) is not sent: m2auth sends only the headers given; for HTTP Basic auth in front of the store pass -H 'Authorization: Basic …' (which then leaves no room for the token)",
        if pw.is_some() { ", a password" } else { "" }
    );
    eprintln!("m2auth: warning: {why}");
    d.skip("url-credentials", why);
}

/// Why the offline facts may not describe the store that answered `url`: they come from a
/// dump (not the live database), or the host is neither loopback nor one of the store's base
/// URLs (`web/unsecure/base_url`, `web/secure/base_url`, any scope). `None`: no doubt.
fn stripped_doubt(ctx: &Context, url: &str) -> Option<String> {
    use m2auth::store::db::Source;
    let db = ctx.db.as_ref()?;
    if db.describe().source == Source::Dump {
        return Some(
            "the offline facts come from a dump (--dump), which may be older than the live store's database".into(),
        );
    }
    let host = url::Url::parse(url)
        .ok()?
        .host_str()?
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return None;
    }
    let mut hosts: Vec<String> = Vec::new();
    for path in ["web/unsecure/base_url", "web/secure/base_url"] {
        let mut values: Vec<String> = db
            .rows("core_config_data", &[("path", path.into())])
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.text("value"))
            .collect();
        values.extend(
            ctx.config
                .get(path, m2auth::store::config::Scope::Default)
                .value,
        );
        for v in values {
            if let Some(h) = url::Url::parse(v.trim())
                .ok()
                .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
                && !hosts.contains(&h)
            {
                hosts.push(h);
            }
        }
    }
    if hosts.iter().any(|h| h.trim_matches(['[', ']']) == host) {
        return None;
    }
    Some(format!(
        "the request went to {host}, which is none of the store's base URLs ({}): another server or a copy of the store may have answered",
        if hosts.is_empty() {
            "none is set".to_string()
        } else {
            hosts.join(", ")
        }
    ))
}

/// `request`: send it (a login first), the canary when asked, the offline checks when the root
/// is known, the join, the report.
fn live_request(
    mut ctx: Option<Context>,
    mut spec: RequestSpec,
    args: &LiveRequestArgs,
    now: Option<jiff::Timestamp>,
    json: bool,
    no_root: &str,
) -> anyhow::Result<i32> {
    let style = Style::detect();
    // --integration NAME: signed with OAuth 1.0a with the integration's stored credentials, as
    // the integration itself (and acl:matrix --live) calls.
    if let Some(name) = &args.req.integration {
        let Some(c) = ctx.as_mut() else {
            anyhow::bail!(
                "--integration reads the integration's credentials from the store's database: it needs the Magento root ({no_root})"
            );
        };
        if spec.oauth.is_some() || !spec.authorization().is_empty() || spec.login.is_some() {
            anyhow::bail!(
                "--integration signs the request with the integration's credentials: drop --token, -H Authorization, --oauth and --admin-user/--customer"
            );
        }
        let creds = integration_credentials(c, name)
            .map_err(|why| anyhow::anyhow!("--integration {name}: {why}"))?;
        for s in [&creds.consumer_secret, &creds.token, &creds.token_secret] {
            c.masker.add(s);
        }
        spec.oauth = Some(creds);
    }
    let settings = args.live.settings();
    let url = spec.target.as_ref().and_then(m2auth::live::client::url_of);
    warn_insecure(&settings, url.as_deref());
    if args.canary && ctx.is_none() {
        anyhow::bail!(
            "--canary writes into the store's docroot: it needs the Magento root ({no_root})"
        );
    }
    let mut masker = match &ctx {
        Some(c) => c.masker.clone(),
        None => {
            let mut m = Masker::new();
            for s in spec.secrets() {
                m.add(s);
            }
            m
        }
    };
    let userinfo = url_userinfo(&args.req.options());
    if let Some((_, Some(pw))) = &userinfo {
        masker.add(pw);
    }
    let client = m2auth::live::Client::new(settings)?;
    let now_secs = now
        .or_else(|| ctx.as_ref().map(|c| c.now))
        .unwrap_or_else(jiff::Timestamp::now)
        .as_second();
    let outcome = m2auth::live::session::send(&client, &spec, now_secs)?;
    if let Some(t) = &outcome.token {
        masker.add(t);
    }
    let mut d = checks::Diagnosis::default();
    let mut canary = None;
    match ctx.as_mut() {
        Some(c) => {
            c.masker = masker.clone();
            c.request = Some(outcome.sent.clone());
            d = checks::offline(c);
            if args.canary {
                let target = outcome.sent.target.as_ref().expect("checked");
                let origin = m2auth::live::client::origin_of(target).unwrap_or_default();
                let prefix = store_prefix(&target.path);
                let docroot_is_pub = c.install.docroot_is_pub();
                // A canary that cannot be written or sent is a check that did not run: the
                // request's own answer is still reported.
                match m2auth::live::canary::run(
                    &client,
                    &c.install.root,
                    docroot_is_pub,
                    &origin,
                    &prefix,
                ) {
                    Ok(run) => {
                        if let m2auth::live::canary::CanaryOutcome::Unusable { reason } =
                            &run.outcome
                        {
                            d.skip("canary", reason.clone());
                        }
                        canary = Some(run);
                    }
                    Err(e) => d.skip("canary", e.to_string()),
                }
            }
        }
        None => d.skip(
            "offline-checks",
            format!("no Magento root, so the files and database were not read: {no_root}"),
        ),
    }
    note_userinfo(&mut d, userinfo.as_ref());
    let doubt = ctx.as_ref().and_then(|c| stripped_doubt(c, &outcome.url));
    let stale = ctx
        .as_ref()
        .and_then(|c| m2auth::store::cache::staleness_doubt(&c.install));
    let offline = m2auth::live::session::join(
        &mut d,
        ctx.is_some(),
        &outcome,
        canary.as_ref(),
        doubt.as_deref(),
        stale.as_deref(),
    );
    let live = report::live::LiveReport {
        outcome: &outcome,
        offline: &offline,
        canary: canary.as_ref(),
    };
    let code = if d.root_cause().is_some() || outcome.login_failed() || outcome.refused().is_some()
    {
        1
    } else {
        0
    };
    let out = if json {
        Output::Json(report::live::to_json(ctx.as_ref(), &d, &live))
    } else {
        Output::Text(report::live::to_text(
            ctx.as_ref(),
            &d,
            &live,
            "request",
            &style,
        ))
    };
    emit(&masker, out)?;
    Ok(code)
}

/// `acl:matrix --live`: the caller's token, every route (GET only unless --all-methods) sent to
/// the store; the live cells go into `rows`. `Ok(n)`: n routes where live and offline disagree;
/// `Err`: could not do it (no token, no base URL).
fn matrix_live(
    ctx: &mut Context,
    a: &MatrixArgs,
    rows: &mut [MatrixRow<'_>],
) -> anyhow::Result<Result<usize, String>> {
    let base = match &a.base_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => match checks::oauth::base_url(ctx) {
            Some((u, _)) => u,
            None => {
                return Ok(Err(
                    "acl:matrix --live needs the store's URL: --base-url https://shop.example.com (web/secure/base_url is not set)".into(),
                ));
            }
        },
    };
    let settings = a.live_args.settings();
    warn_insecure(&settings, None);
    let client =
        m2auth::live::Client::with_pool(settings, usize::try_from(a.concurrency).unwrap_or(8))?;
    let auth = match (
        &a.token,
        &a.caller.admin_user,
        &a.password_file,
        &a.caller.integration,
    ) {
        (Some(t), _, _, _) => m2auth::live::matrix::Auth::Bearer(t.clone()),
        (None, Some(user), Some(file), _) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--password-file {}", file.display()))?;
            let pw = m2auth::request::Password::from_file_contents(&text);
            ctx.masker.add(pw.expose());
            let login = m2auth::request::Login::Admin(user.clone());
            let url = format!("{base}/rest/V1/integration/admin/token");
            let attempt = m2auth::live::login::obtain(&client, &url, &login, &pw)?;
            match attempt.token {
                Some(t) => {
                    ctx.masker.add(&t);
                    m2auth::live::matrix::Auth::Bearer(t)
                }
                None => {
                    return Ok(Err(format!(
                        "POST {url} handed out no token for {user}: {} (m2auth diagnose --admin-user {user} --password-file … explains why)",
                        attempt.class.summary()
                    )));
                }
            }
        }
        // An integration calls as integrations do: OAuth 1.0a signed with its stored credentials
        // (a Bearer integration token works only with enable_integration_as_bearer on).
        (None, _, _, Some(name)) => match integration_credentials(ctx, name) {
            Ok(creds) => {
                for s in [&creds.consumer_secret, &creds.token, &creds.token_secret] {
                    ctx.masker.add(s);
                }
                m2auth::live::matrix::Auth::OAuth {
                    creds,
                    timestamp: ctx.now.as_second(),
                }
            }
            Err(why) => return Ok(Err(why)),
        },
        _ => {
            return Ok(Err(
                "acl:matrix --live sends the caller's token: give --token, --admin-user with --password-file, or --integration (its access token is read from the database)".into(),
            ));
        }
    };
    if let m2auth::live::matrix::Auth::Bearer(t) = &auth {
        ctx.masker.add(t);
    }
    let picked: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            let m = &rows[i].route.method;
            m == "GET" || (a.all_methods && m2auth::live::matrix::probe_allowed(m))
        })
        .collect();
    let probes: Vec<m2auth::live::matrix::Probe> = picked
        .iter()
        .map(|&i| m2auth::live::matrix::Probe {
            method: rows[i].route.method.clone(),
            url: format!(
                "{base}/rest{}",
                m2auth::live::matrix::fill_placeholders(&rows[i].route.url)
            ),
        })
        .collect();
    let cells = m2auth::live::matrix::run(
        &client,
        &probes,
        &auth,
        m2auth::live::matrix::Limits {
            concurrency: usize::try_from(a.concurrency).unwrap_or(8),
            rate: a.rate,
        },
    );
    // No route answered: nothing was compared; the first reason is the run's failure (exit 2).
    let first_error = cells.iter().find_map(|c| c.error.clone());
    if !cells.is_empty() && cells.iter().all(|c| c.status.is_none()) {
        anyhow::bail!(
            "acl:matrix --live: none of the {} route(s) sent got an answer: {}",
            cells.len(),
            first_error.as_deref().unwrap_or("no answer")
        );
    }
    let mut disagree = 0;
    for (i, cell) in picked.into_iter().zip(cells) {
        if cell.allowed.is_some_and(|l| l != rows[i].verdict.allowed) {
            disagree += 1;
        }
        rows[i].live = Some(cell);
    }
    Ok(Ok(disagree))
}

/// An integration's OAuth credentials (consumer key and secret, access token and secret), from
/// the database, the secrets decrypted as Magento does.
fn integration_credentials(
    ctx: &Context,
    name: &str,
) -> Result<m2auth::request::OauthCredentials, String> {
    let db = ctx.db_for("integration").map_err(|s| s.reason)?;
    let secrets = m2auth::store::secrets::OauthSecrets::for_store(&ctx.install, Some(db));
    integration_fix::credentials(db, &secrets, name)
}

/// The store's subfolder: the path before `/rest/` or `/index.php/rest/` (`/shop/rest/V1/x` →
/// `/shop`).
fn store_prefix(path: &str) -> String {
    for marker in ["/index.php/rest/", "/rest/"] {
        if let Some(i) = path.find(marker) {
            return path[..i].to_string();
        }
    }
    String::new()
}

/// `acl:grant`: [`acl_grant::grant`] does the work; this picks the target and renders.
/// `Err` is "could not do what was asked" (exit 1).
fn grant(
    ctx: &Context,
    args: &GrantArgs,
    choice: &DbChoice,
    apply: bool,
    json: bool,
) -> anyhow::Result<Result<(Output, i32), String>> {
    let target = match (&args.integration, &args.admin_user, args.role) {
        (Some(name), None, None) => GrantTarget::Integration(name.clone()),
        (None, Some(name), None) => GrantTarget::AdminUser(name.clone()),
        (None, None, Some(id)) => GrantTarget::Role(id),
        _ => {
            anyhow::bail!("acl:grant takes one of --integration NAME, --admin-user NAME, --role ID")
        }
    };
    let request = GrantRequest {
        target,
        resources: args.resources.clone(),
        apply,
        db: choice.clone(),
        command: std::env::args().collect(),
    };
    let outcome = match acl_grant::grant(ctx, &request) {
        Ok(o) => o,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let out = if json {
        Output::Json(outcome.to_json())
    } else {
        Output::Text(outcome.to_text())
    };
    Ok(Ok((out, 0)))
}

/// `undo [JOURNAL]`: reverse a journal entry in one transaction (or list the entries).
fn undo(
    ctx: &Context,
    args: &UndoArgs,
    choice: &DbChoice,
    json: bool,
) -> anyhow::Result<Result<(Output, i32), String>> {
    let journal = Journal::for_root(&ctx.install.root);
    if args.list {
        let entries = match journal.list() {
            Ok(l) => l,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let out = if json {
            Output::Json(serde_json::json!(entries.iter().map(|l| serde_json::json!({
                "id": l.entry.id, "created_at": l.entry.created_at, "title": l.entry.title,
                "changes": l.entry.changes.len(), "files": l.entry.files.len(), "undone": l.entry.undone.is_some(), "undoes": l.entry.undoes,
            })).collect::<Vec<_>>()))
        } else {
            let mut t = String::new();
            for l in &entries {
                let state = if l.entry.undone.is_some() {
                    " (undone)"
                } else {
                    ""
                };
                t.push_str(&format!("{}  {}{state}\n", l.entry.id, l.entry.title));
            }
            if entries.is_empty() {
                t.push_str("the journal is empty\n");
            }
            Output::Text(t)
        };
        return Ok(Ok((out, 0)));
    }
    let target = match journal.find(args.journal.as_deref()) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let opts = UndoOptions {
        force: args.force,
        command: std::env::args().collect(),
        masker: ctx.masker.clone(),
        sealer: Some(m2auth::store::secrets::Sealer::new(
            ctx.install.crypt_keys(),
        )),
    };
    let outcome = if target.entry.database.is_none() {
        // A file-only entry (fix): no database session needed.
        match journal.undo_files(&target, &opts) {
            Ok(o) => o,
            Err(e) => return Ok(Err(e.to_string())),
        }
    } else {
        let session = match WriteSession::open(choice, ctx.install.env.as_ref()) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e.to_string())),
        };
        match journal.undo(session, &target, &opts) {
            Ok(o) => o,
            Err(e) => return Ok(Err(e.to_string())),
        }
    };
    let out = if json {
        Output::Json(serde_json::json!({
            "undone": outcome.original.entry.id,
            "title": outcome.original.entry.title,
            "journal": outcome.undo.entry.id,
            "changes": outcome.undo.entry.changes.len(),
            "files": outcome.undo.entry.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
            "overridden": outcome.overridden.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            "cache_notice": outcome.cache_notice,
        }))
    } else {
        let mut t = if outcome.undo.entry.database.is_none() {
            format!(
                "undid {} ({}): {} file(s) put back as they were; recorded as {}\n",
                outcome.original.entry.id,
                outcome.original.entry.title,
                outcome.undo.entry.files.len(),
                outcome.undo.entry.id
            )
        } else {
            format!(
                "undid {} ({}): {} change(s) reversed in one transaction; recorded as {}\n",
                outcome.original.entry.id,
                outcome.original.entry.title,
                outcome.undo.entry.changes.len(),
                outcome.undo.entry.id
            )
        };
        if !outcome.cache_notice.is_empty() {
            t.push_str("Afterwards:\n");
            for n in &outcome.cache_notice {
                t.push_str(&format!("  - {n}\n"));
            }
        }
        Output::Text(t)
    };
    Ok(Ok((out, 0)))
}

/// `oauth:sign` prints the consumer key, the access token and the signature (the header must be
/// usable); the consumer secret and the token secret are never printed.
fn add_oauth_sign_secrets(m: &mut Masker, a: &args::OauthSignArgs) {
    let parts: Vec<&str> = a.oauth.split(',').collect();
    if parts.len() == 4 {
        m.add(parts[1]);
        m.add(parts[3]);
    }
}

/// `oauth:sign`: sign the request as a standard OAuth 1.0a client (RFC 5849, HMAC-SHA256) for the
/// URL it is sent to; print the header, the base string and a curl command.
fn oauth_sign(
    ctx: &Context,
    a: &args::OauthSignArgs,
    json: bool,
) -> anyhow::Result<Result<(Output, i32), String>> {
    use m2auth::magento::oauth1;
    let mut spec = RequestSpec::from_options(&m2auth::request::RequestOptions {
        request: Some(a.request.clone()),
        headers: a.headers.clone(),
        oauth: Some(a.oauth.clone()),
        ..Default::default()
    })?
    .ok_or_else(|| anyhow::anyhow!("oauth:sign needs --request"))?;
    spec.body = a.data.clone();
    let creds = spec.oauth.clone().expect("--oauth is required");
    let urls = match checks::oauth::urls(ctx, &spec) {
        Ok(u) => u,
        Err(why) => return Ok(Err(why)),
    };
    let form_body = spec.body.as_deref().filter(|_| {
        spec.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("content-type")
                && h.value.starts_with("application/x-www-form-urlencoded")
        })
    });
    let nonce = a.nonce.clone().unwrap_or_else(oauth1::random_nonce);
    let timestamp = a.timestamp.unwrap_or_else(|| ctx.now.as_second());
    let signed = oauth1::sign_request(
        &oauth1::Credentials {
            consumer_key: &creds.consumer_key,
            consumer_secret: &creds.consumer_secret,
            token: &creds.token,
            token_secret: &creds.token_secret,
        },
        &spec.method,
        &urls.client,
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
        urls.client.clone(),
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
    let curl = shell_words::join(&curl);
    let out = if json {
        Output::Json(serde_json::json!({
            "method": spec.method,
            "url": urls.client,
            "signature_method": oauth1::HMAC_SHA256,
            "nonce": nonce,
            "timestamp": timestamp,
            "signature": signed.signature,
            "authorization": signed.header,
            "base_string": signed.base_string,
            "curl": curl,
        }))
    } else {
        Output::Text(format!(
            "Authorization: {}\n\nbase string:\n{}\n\ncurl:\n{curl}\n",
            signed.header, signed.base_string
        ))
    };
    Ok(Ok((out, 0)))
}

/// A token given on the command line: whole, trimmed, and each piece between whitespace and
/// quotes (a malformed token is still a secret).
fn add_token_secret(m: &mut Masker, token: &str) {
    m.add(token);
    m.add(token.trim());
    for part in token.split(|c: char| c.is_whitespace() || "\"'`".contains(c)) {
        m.add(part);
    }
}

/// `--format csv` given to a command that has no listing.
fn json_only_csv(cli: &Cli) -> bool {
    cli.global.format == FormatArg::Csv && !matches!(cli.command, Command::AclMatrix(_))
}

/// The command could not do what was asked (a user or integration not found…): one line on
/// stderr, exit 1.
fn cannot(ctx: &Context, why: &str) -> anyhow::Result<i32> {
    eprintln!("m2auth: {}", mask::redact_error(why, &ctx.masker));
    Ok(1)
}

/// Write to stdout through the masker; a closed pipe (`| head`) is not an error.
fn emit(masker: &Masker, out: Output) -> anyhow::Result<()> {
    let text = match out {
        Output::Json(mut v) => {
            masker.scrub_json(&mut v);
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Output::Text(t) => masker.scrub(&t),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
