//! From clap's [`Cli`] to one validated, clap-free `…Config` per command ([`Job`]): every check
//! of options against each other is here (like fd's `construct_config`, ripgrep's LowArgs →
//! HiArgs); the checks that need the store are the application layer's.

use anyhow::Context as _;

use super::args::{
    ChangePasswordArgs, Cli, Command, FailOnArg, FormatArg, Global, MatrixArgs, OauthSignArgs,
    RequestArgs,
};
use m2auth::app::acl::{CheckConfig, GrantConfig, MatrixConfig, MatrixLive};
use m2auth::app::admin::{ChangePasswordConfig, NewPassword, UnlockConfig};
use m2auth::app::diagnose::{AuditConfig, DiagnoseConfig, FailOn, RequestConfig, url_userinfo};
use m2auth::app::fix::{FixConfig, UndoConfig};
use m2auth::app::integration::IntegrationConfig;
use m2auth::app::oauth::SignConfig;
use m2auth::app::token::TokenConfig;
use m2auth::app::{self, Common, Format, Outcome};
use m2auth::checks::caller::CallerSpec;
use m2auth::fix::acl_grant::GrantTarget;
use m2auth::mask::Masker;
use m2auth::report::style::Style;
use m2auth::request::{Login, Password, RequestOptions, RequestSpec};

/// One command, ready to run.
pub enum Job {
    Diagnose(DiagnoseConfig),
    Audit(AuditConfig),
    Request(RequestConfig),
    Info(Common),
    AclCheck(CheckConfig),
    AclMatrix(MatrixConfig),
    AclGrant(GrantConfig),
    Fix(FixConfig),
    Undo(UndoConfig),
    ChangePassword(ChangePasswordConfig),
    Unlock(UnlockConfig),
    IntegrationList(Common),
    IntegrationShow(IntegrationConfig),
    IntegrationActivate(IntegrationConfig),
    TokenInspect(TokenConfig),
    OauthSign(SignConfig),
}

impl Job {
    /// Run the command in the application layer.
    pub fn run(&self) -> app::Result<Outcome> {
        match self {
            Job::Diagnose(c) => app::diagnose::run(c),
            Job::Audit(c) => app::diagnose::audit(c),
            Job::Request(c) => app::diagnose::request(c),
            Job::Info(c) => app::info::run(c),
            Job::AclCheck(c) => app::acl::check(c),
            Job::AclMatrix(c) => app::acl::matrix(c),
            Job::AclGrant(c) => app::acl::grant(c),
            Job::Fix(c) => app::fix::fix(c),
            Job::Undo(c) => app::fix::undo(c),
            Job::ChangePassword(c) => app::admin::change_password(c),
            Job::Unlock(c) => app::admin::unlock(c),
            Job::IntegrationList(c) => app::integration::list(c),
            Job::IntegrationShow(c) => app::integration::show(c),
            Job::IntegrationActivate(c) => app::integration::activate(c),
            Job::TokenInspect(c) => app::token::inspect(c),
            Job::OauthSign(c) => app::oauth::sign(c),
        }
    }
}

/// A warning while the command runs: one line on stderr.
fn warn(line: &str) {
    eprintln!("m2auth: {line}");
}

fn common(g: &Global) -> anyhow::Result<Common> {
    let now = match &g.now {
        Some(s) => Some(
            s.parse::<jiff::Timestamp>()
                .map_err(|e| anyhow::anyhow!("--now {s}: not an RFC 3339 instant ({e})"))?,
        ),
        None => None,
    };
    Ok(Common {
        root: g.root.first().cloned(),
        db: g.db_choice(),
        now,
        server: g.server_sources(),
        format: match g.format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Html => Format::Html,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Jsonl => Format::Jsonl,
        },
        style: Style::detect(),
        secrets: Vec::new(),
        command: std::env::args().collect(),
        warn,
        allow_partial: g.allow_partial,
    })
}

/// Check the options and build the command's config.
pub fn build(cli: Cli) -> anyhow::Result<Job> {
    let g = &cli.global;
    let mut c = common(g)?;
    let request = match &cli.command {
        Command::Diagnose(d) => RequestSpec::from_options(&d.req.options())?,
        Command::Request(r) => RequestSpec::from_options(&r.req.options())?,
        Command::AclCheck(r) | Command::Fix(r) => RequestSpec::from_options(&r.options())?,
        _ => None,
    };
    if let Command::Request(_) = &cli.command {
        request_needs_host(g.offline, request.as_ref())?;
    }
    let request = match (&cli.command, request) {
        (Command::Diagnose(d), Some(spec)) => Some(with_password(spec, &d.req)?),
        (Command::Request(r), Some(spec)) => Some(with_password(spec, &r.req)?),
        (_, spec) => spec,
    };
    if c.format == Format::Csv && !matches!(cli.command, Command::AclMatrix(_)) {
        anyhow::bail!("--format csv is for listings (acl:matrix)");
    }
    if matches!(c.format, Format::Html | Format::Markdown)
        && !matches!(cli.command, Command::Diagnose(_) | Command::Audit(_))
    {
        anyhow::bail!("--format html and markdown are for reports (diagnose, audit)");
    }
    if (g.root.len() > 1 || c.format == Format::Jsonl) && !matches!(cli.command, Command::Audit(_))
    {
        anyhow::bail!("several --root and --format jsonl are for audit");
    }
    if g.root.len() > 1 && c.format == Format::Json {
        anyhow::bail!("several --root: use --format jsonl (one JSON object per store and line)");
    }
    c.secrets = command_secrets(&cli.command);
    Ok(match cli.command {
        Command::Diagnose(d) => Job::Diagnose(DiagnoseConfig {
            common: c,
            request,
            offline: g.offline,
            live: d.live.settings(),
            userinfo: url_userinfo(&d.req.options()),
            no_audit: d.no_audit,
        }),
        Command::Request(r) => Job::Request(RequestConfig {
            common: c,
            request: request.expect("checked by request_needs_host"),
            live: r.live.settings(),
            canary: r.canary,
            integration: r.req.integration.clone(),
            userinfo: url_userinfo(&r.req.options()),
        }),
        Command::Audit(a) => Job::Audit(AuditConfig {
            roots: g.root.clone(),
            common: c,
            fail_on: match a.fail_on {
                FailOnArg::Error => FailOn::Error,
                FailOnArg::Warning => FailOn::Warning,
            },
        }),
        Command::Info => Job::Info(c),
        Command::AclCheck(r) => acl_check(c, request, &r)?,
        Command::AclMatrix(m) => acl_matrix(c, &m, g.offline)?,
        Command::AclGrant(a) => Job::AclGrant(GrantConfig {
            common: c,
            target: match (a.integration, a.admin_user, a.role) {
                (Some(name), None, None) => GrantTarget::Integration(name),
                (None, Some(name), None) => GrantTarget::AdminUser(name),
                (None, None, Some(id)) => GrantTarget::Role(id),
                _ => anyhow::bail!(
                    "acl:grant takes one of --integration NAME, --admin-user NAME, --role ID"
                ),
            },
            resources: a.resources,
            apply: g.apply,
        }),
        Command::Fix(_) => Job::Fix(FixConfig {
            common: c,
            request,
            apply: g.apply,
        }),
        Command::Undo(u) => Job::Undo(UndoConfig {
            common: c,
            journal: u.journal,
            list: u.list,
            force: u.force,
        }),
        Command::AdminUserChangePassword(a) => change_password(c, a)?,
        Command::AdminUserUnlock(u) => Job::Unlock(UnlockConfig {
            common: c,
            user: u.username,
        }),
        Command::IntegrationList => Job::IntegrationList(c),
        Command::IntegrationShow(i) => Job::IntegrationShow(IntegrationConfig {
            common: c,
            name: i.name,
        }),
        Command::IntegrationActivate(i) => Job::IntegrationActivate(IntegrationConfig {
            common: c,
            name: i.name,
        }),
        Command::TokenInspect(t) => Job::TokenInspect(TokenConfig {
            common: c,
            token: t.token,
        }),
        Command::OauthSign(a) => oauth_sign(c, &a)?,
        Command::Completions(_) | Command::Man => {
            anyhow::bail!("completions and man are printed by the command line, not run")
        }
    })
}

/// `request` sends the request: not with --offline, and only to a URL with a host.
fn request_needs_host(offline: bool, spec: Option<&RequestSpec>) -> anyhow::Result<()> {
    if offline {
        anyhow::bail!(
            "request sends the request to the store, which --offline forbids (diagnose --offline explains it from the files and database)"
        );
    }
    let no_url = "request needs --request \"METHOD URL\" (or --curl) with the store's host";
    let Some(spec) = spec else {
        anyhow::bail!("{no_url}");
    };
    match spec.target.as_ref() {
        Some(t) if t.host.is_some() => Ok(()),
        Some(t) => anyhow::bail!(
            "request needs a URL with a host: \"{} https://shop.example.com{}\"",
            spec.method,
            t.path
        ),
        None => anyhow::bail!("{no_url}"),
    }
}

/// The password of a login being diagnosed: from `--password-file` (minus one trailing newline),
/// else a hidden prompt when stdin is a terminal, else none (the password checks are skipped).
fn with_password(mut spec: RequestSpec, r: &RequestArgs) -> anyhow::Result<RequestSpec> {
    use std::io::IsTerminal;
    let Some(login) = &spec.login else {
        return Ok(spec);
    };
    if let Some(path) = &r.password_file {
        spec.password = Some(app::password_from_file(path)?);
    } else if std::io::stdin().is_terminal() {
        let who = match login {
            Login::Admin(n) => format!("admin user {n}"),
            Login::Customer(e) => format!("customer {e}"),
        };
        let pw = rpassword::prompt_password(format!("Password of {who} (not shown): "))
            .context("cannot read the password from the terminal")?;
        spec.password = Some(Password::new(pw));
    }
    Ok(spec)
}

/// `acl:check`: the caller is a Bearer token, an integration, an admin user, or a guest.
fn acl_check(c: Common, request: Option<RequestSpec>, r: &RequestArgs) -> anyhow::Result<Job> {
    let Some(spec) = request.filter(|s| s.target.is_some()) else {
        anyhow::bail!("acl:check needs --request \"METHOD TARGET\"");
    };
    if spec.oauth.is_some()
        || r.customer.is_some()
        || (spec.bearer_token().is_none() && !spec.authorization().is_empty())
    {
        anyhow::bail!(
            "acl:check takes the caller as a Bearer token (--token or -H), --integration NAME or --admin-user NAME; OAuth-signed requests and customer logins are diagnosed by diagnose"
        );
    }
    let caller = match (spec.bearer_token(), &r.integration, &r.admin_user) {
        (Some(t), None, None) => CallerSpec::Token(t.to_string()),
        (None, Some(i), None) => CallerSpec::Integration(i.clone()),
        (None, None, Some(a)) => CallerSpec::AdminUser(a.clone()),
        (None, None, None) => CallerSpec::Guest,
        _ => anyhow::bail!("acl:check takes one caller: --token, --integration or --admin-user"),
    };
    Ok(Job::AclCheck(CheckConfig {
        common: c,
        request: spec,
        caller,
    }))
}

/// `acl:matrix`: one caller; `--live` not with `--offline`.
fn acl_matrix(c: Common, m: &MatrixArgs, offline: bool) -> anyhow::Result<Job> {
    let a = &m.caller;
    let caller = match (&a.integration, &a.admin_user, a.role, &m.token) {
        (Some(i), _, _, _) => CallerSpec::Integration(i.clone()),
        (_, Some(u), _, _) => CallerSpec::AdminUser(u.clone()),
        (_, _, Some(r), _) => CallerSpec::Role(r),
        (_, _, _, Some(t)) => CallerSpec::Token(t.clone()),
        _ => anyhow::bail!(
            "acl:matrix needs a caller: --integration NAME, --admin-user NAME, --role ID or --token TOKEN"
        ),
    };
    if m.live && offline {
        anyhow::bail!("acl:matrix --live asks the store, which --offline forbids");
    }
    let live = m.live.then(|| MatrixLive {
        base_url: m.base_url.clone(),
        settings: m.live_args.settings(),
        concurrency: usize::try_from(m.concurrency).unwrap_or(8),
        rate: m.rate,
        all_methods: m.all_methods,
        token: m.token.clone(),
        admin_user: a.admin_user.clone(),
        password_file: m.password_file.clone(),
        integration: a.integration.clone(),
    });
    Ok(Job::AclMatrix(MatrixConfig {
        common: c,
        caller,
        live,
    }))
}

/// `admin:user:change-password`: the user, and where the new password comes from.
fn change_password(c: Common, a: ChangePasswordArgs) -> anyhow::Result<Job> {
    use std::io::IsTerminal;
    let Some(user) = a.username.or(a.user) else {
        anyhow::bail!("admin:user:change-password needs a username (USERNAME or --username NAME)");
    };
    let password = match (a.password.or(a.pass), a.password_file) {
        (Some(p), _) => NewPassword::Given(Password::new(p)),
        (None, Some(path)) => NewPassword::File(path),
        (None, None) if std::io::stdin().is_terminal() => {
            NewPassword::Prompt(|prompt| rpassword::prompt_password(prompt))
        }
        (None, None) => NewPassword::Missing,
    };
    Ok(Job::ChangePassword(ChangePasswordConfig {
        common: c,
        user,
        password,
    }))
}

/// `oauth:sign`: the request with its credentials and body.
fn oauth_sign(c: Common, a: &OauthSignArgs) -> anyhow::Result<Job> {
    let mut spec = RequestSpec::from_options(&RequestOptions {
        request: Some(a.request.clone()),
        headers: a.headers.clone(),
        oauth: Some(a.oauth.clone()),
        ..Default::default()
    })?
    .ok_or_else(|| anyhow::anyhow!("oauth:sign needs --request"))?;
    spec.body = a.data.clone();
    Ok(Job::OauthSign(SignConfig {
        common: c,
        request: spec,
        nonce: a.nonce.clone(),
        timestamp: a.timestamp,
    }))
}

/// The secrets named on the command line that the run's masker gets once the store is loaded:
/// the token of `token:inspect` and `acl:matrix --token`, the secrets of `oauth:sign`.
fn command_secrets(command: &Command) -> Vec<String> {
    let mut out = Vec::new();
    match command {
        Command::TokenInspect(t) => token_secret(&mut out, &t.token),
        Command::OauthSign(a) => {
            // The consumer key, the access token and the signature are printed (the header must
            // be usable); the consumer secret and the token secret never.
            let parts: Vec<&str> = a.oauth.split(',').collect();
            if parts.len() == 4 {
                out.push(parts[1].to_string());
                out.push(parts[3].to_string());
            }
        }
        Command::AclMatrix(MatrixArgs { token: Some(t), .. }) => token_secret(&mut out, t),
        _ => {}
    }
    out
}

/// A token given on the command line: whole, trimmed, and each piece between whitespace and
/// quotes (a malformed token is still a secret).
fn token_secret(out: &mut Vec<String>, token: &str) {
    out.push(token.to_string());
    out.push(token.trim().to_string());
    for part in token.split(|c: char| c.is_whitespace() || "\"'`".contains(c)) {
        out.push(part.to_string());
    }
}

/// The secrets named on the command line, known before anything is read, for error lines.
pub fn early_masker(cli: &Cli) -> Masker {
    let mut m = Masker::new();
    for s in command_secrets(&cli.command) {
        m.add(s);
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
