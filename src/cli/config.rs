//! From clap's [`Cli`] to one validated, clap-free `…Config` per command ([`Job`]): every check
//! of options against each other is here (like fd's `construct_config`, ripgrep's LowArgs →
//! HiArgs); the checks that need the store are the application layer's.

use anyhow::Context as _;

use super::args::{
    ChangePasswordArgs, Cli, ColorArg, Command, FailOnArg, FormatArg, Global, MatrixArgs, ModeArg,
    OauthSignArgs, PermsArgs, RequestArgs,
};
use m2auth::app::acl::{CheckConfig, GrantConfig, MatrixConfig, MatrixLive};
use m2auth::app::admin::{ChangePasswordConfig, NewPassword, UnlockConfig};
use m2auth::app::diagnose::{AuditConfig, DiagnoseConfig, FailOn, RequestConfig, url_userinfo};
use m2auth::app::fix::{FixConfig, UndoConfig};
use m2auth::app::integration::IntegrationConfig;
use m2auth::app::logs::{ScanConfig, WatchConfig};
use m2auth::app::oauth::SignConfig;
use m2auth::app::perms::PermsConfig;
use m2auth::app::token::TokenConfig;
use m2auth::app::{self, Common, Format, Outcome};
use m2auth::checks::caller::CallerSpec;
use m2auth::checks::logs::BruteForce;
use m2auth::fix::acl_grant::GrantTarget;
use m2auth::mask::Masker;
use m2auth::report::logs::Table;
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
    LogsScan(ScanConfig),
    LogsWatch(WatchConfig),
    TokenInspect(TokenConfig),
    OauthSign(SignConfig),
    PermsCheck(PermsConfig),
    PermsFix(PermsConfig),
    CacheClean(app::cache::CacheConfig),
    CacheFlush(app::cache::CacheConfig),
    CacheStatus(Common),
    CacheState(app::cache::StateConfig),
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
            Job::PermsCheck(c) => app::perms::check(c),
            Job::PermsFix(c) => app::perms::fix(c),
            Job::LogsScan(c) => app::logs::scan(c),
            Job::LogsWatch(c) => app::logs::watch(c),
            Job::CacheClean(c) => app::cache::clean(c),
            Job::CacheFlush(c) => app::cache::flush(c),
            Job::CacheStatus(c) => app::cache::status(c),
            Job::CacheState(c) => app::cache::set_state(c),
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
        style: match g.color {
            ColorArg::Auto => Style::detect(),
            ColorArg::Always => Style { color: true },
            ColorArg::Never => Style::plain(),
        },
        secrets: Vec::new(),
        command: std::env::args().collect(),
        warn: if g.quiet { |_| {} } else { warn },
        allow_partial: g.allow_partial,
        logs: m2auth::context::LogScope::default(),
        progress: super::progress::for_run(g.quiet),
    })
}

/// What of the common options a command uses: the others are refused (exit 2) rather than
/// silently ignored. Every command takes --root, --format text|json, --color, --quiet,
/// --offline, --now (context that cannot mislead: scripts may pass them to every command) and
/// --dump/--db (every command may read the database; oauth:sign does for a path without its
/// host).
struct Takes {
    /// It changes something (`--apply`).
    apply: bool,
    /// It reads the web server's configuration (`--server-config`).
    server: bool,
    /// A listing: `--format csv`.
    csv: bool,
    /// A report to hand over: `--format html|markdown` (with `--output FILE`).
    documents: bool,
    /// Fleets: several `--root`, `--format jsonl` (one object per store and line).
    fleet: bool,
}

impl Takes {
    const fn new(apply: bool, server: bool) -> Takes {
        Takes {
            apply,
            server,
            csv: false,
            documents: false,
            fleet: false,
        }
    }

    const fn csv(self) -> Takes {
        Takes { csv: true, ..self }
    }

    const fn documents(self) -> Takes {
        Takes {
            documents: true,
            ..self
        }
    }

    const fn fleet(self) -> Takes {
        Takes {
            fleet: true,
            ..self
        }
    }
}

/// The command's name as typed, and the common options it takes.
fn takes(command: &Command) -> (&'static str, Takes) {
    match command {
        Command::Diagnose(_) => ("diagnose", Takes::new(false, true).documents().fleet()),
        Command::Request(_) => ("request", Takes::new(false, true)),
        Command::Info => ("info", Takes::new(false, true)),
        Command::Audit(_) => ("audit", Takes::new(false, true).documents().fleet()),
        Command::AclCheck(_) => ("acl:check", Takes::new(false, true)),
        Command::TokenInspect(_) => ("token:inspect", Takes::new(false, false)),
        Command::AclMatrix(_) => ("acl:matrix", Takes::new(false, false).csv().documents()),
        Command::AclGrant(_) => ("acl:grant", Takes::new(true, false)),
        Command::Fix(_) => ("fix", Takes::new(true, true)),
        Command::Undo(_) => ("undo", Takes::new(true, false)),
        Command::AdminUserChangePassword(_) => {
            ("admin:user:change-password", Takes::new(true, false))
        }
        Command::AdminUserUnlock(_) => ("admin:user:unlock", Takes::new(true, false)),
        Command::IntegrationList => ("integration:list", Takes::new(false, false)),
        Command::IntegrationShow(_) => ("integration:show", Takes::new(false, false)),
        Command::IntegrationActivate(_) => ("integration:activate", Takes::new(true, false)),
        Command::OauthSign(_) => ("oauth:sign", Takes::new(false, false)),
        // The database is not read, but a --dump given with every command of a script is
        // harmless here; the server configuration tells the web server's user.
        Command::PermsCheck(_) => ("perms:check", Takes::new(false, true)),
        Command::PermsFix(_) => ("perms:fix", Takes::new(true, true)),
        // The vhost's access_log / CustomLog come from the server configuration.
        Command::LogsScan(_) => ("logs:scan", Takes::new(false, true).csv().documents()),
        Command::LogsWatch(_) => ("logs:watch", Takes::new(false, true)),
        // cache:clean/flush act at once, as bin/magento does (--apply accepted and meaningless);
        // cache:enable/disable print a plan unless --apply.
        Command::CacheClean(_) => ("cache:clean", Takes::new(true, false)),
        Command::CacheFlush(_) => ("cache:flush", Takes::new(true, false)),
        Command::CacheStatus => ("cache:status", Takes::new(false, false)),
        Command::CacheEnable(_) => ("cache:enable", Takes::new(true, false)),
        Command::CacheDisable(_) => ("cache:disable", Takes::new(true, false)),
        Command::Completions(_) => ("completions", Takes::new(false, false)),
        Command::Man => ("man", Takes::new(false, false)),
    }
}

/// Refuse the common options that make no sense for the command (`diagnose --apply`).
fn check_common_options(command: &Command, g: &Global) -> anyhow::Result<()> {
    let (name, t) = takes(command);
    let why = if g.apply && !t.apply {
        Some((
            "--apply",
            match command {
                Command::Diagnose(_) | Command::Audit(_) | Command::AclCheck(_) => {
                    "it never changes anything (`m2auth fix --apply` carries out the fixes)"
                }
                _ => "it never changes anything",
            },
        ))
    } else if !g.server_config.is_empty() && !t.server {
        Some((
            "--server-config",
            "it does not read the web server's configuration",
        ))
    } else if g.format == FormatArg::Csv && !t.csv {
        Some((
            "--format csv",
            "csv is for listings (acl:matrix, logs:scan)",
        ))
    } else if matches!(g.format, FormatArg::Html | FormatArg::Markdown) && !t.documents {
        Some((
            "--format html or markdown",
            "they are for reports (diagnose, audit, acl:matrix, logs:scan)",
        ))
    } else if (g.root.len() > 1 || g.format == FormatArg::Jsonl) && !t.fleet {
        Some((
            "several --root or --format jsonl",
            "they are for fleets of stores (diagnose, audit)",
        ))
    } else {
        None
    };
    match why {
        Some((opt, why)) => anyhow::bail!("{name} does not take {opt}: {why}"),
        None => Ok(()),
    }
}

/// Check the options and build the command's config.
pub fn build(cli: Cli) -> anyhow::Result<Job> {
    let g = &cli.global;
    check_common_options(&cli.command, g)?;
    let mut c = common(g)?;
    // perms:* and logs:scan also take --quiet after the command (no progress bar).
    if matches!(&cli.command, Command::PermsCheck(a) | Command::PermsFix(a) if a.quiet)
        || matches!(&cli.command, Command::LogsScan(a) if a.quiet)
    {
        c.progress = m2auth::progress::Shared::default();
    }
    let request = match &cli.command {
        Command::Diagnose(d) => RequestSpec::from_options(&d.req.options())?,
        Command::Request(r) => RequestSpec::from_options(&r.req.options())?,
        Command::AclCheck(r) => RequestSpec::from_options(&r.options())?,
        Command::Fix(f) => RequestSpec::from_options(&f.req.options())?,
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
    if let Command::Diagnose(d) = &cli.command
        && let Some(w) = &d.logs_since
    {
        c.logs = m2auth::context::LogScope::Since(instant("--logs-since", w, c.now)?);
    }
    if g.root.len() > 1 && c.format == Format::Json {
        anyhow::bail!("several --root: use --format jsonl (one JSON object per store and line)");
    }
    if g.root.len() > 1 && matches!(c.format, Format::Html | Format::Markdown) {
        anyhow::bail!(
            "several --root: one document per store (run once per store with --output FILE), or --format jsonl"
        );
    }
    if g.root.len() > 1
        && !g.offline
        && matches!(cli.command, Command::Diagnose(_))
        && request
            .as_ref()
            .and_then(|r| r.target.as_ref())
            .is_some_and(|t| t.host.is_some())
    {
        anyhow::bail!(
            "several --root: the request would go to one host for every store; add --offline, or give the path without the host"
        );
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
            roots: g.root.clone(),
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
        Command::CacheClean(a) => Job::CacheClean(app::cache::CacheConfig {
            common: c,
            types: a.types,
            force: a.force,
        }),
        Command::CacheFlush(a) => Job::CacheFlush(app::cache::CacheConfig {
            common: c,
            types: a.types,
            force: a.force,
        }),
        Command::CacheStatus => Job::CacheStatus(c),
        Command::CacheEnable(a) => Job::CacheState(app::cache::StateConfig {
            common: c,
            types: a.types,
            enable: true,
            apply: g.apply,
        }),
        Command::CacheDisable(a) => Job::CacheState(app::cache::StateConfig {
            common: c,
            types: a.types,
            enable: false,
            apply: g.apply,
        }),
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
            verbose: a.verbose,
        }),
        Command::Fix(f) => Job::Fix(FixConfig {
            common: c,
            request,
            apply: g.apply,
            all_server_fixes: f.all_server_fixes,
            verbose: f.verbose,
        }),
        Command::Undo(u) => Job::Undo(UndoConfig {
            common: c,
            journal: u.journal,
            list: u.list,
            force: u.force,
            apply: g.apply,
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
        Command::PermsCheck(p) => Job::PermsCheck(perms(c, &p, false)),
        Command::PermsFix(p) => Job::PermsFix(perms(c, &p, g.apply)),
        Command::LogsScan(a) => logs_scan(c, a)?,
        Command::LogsWatch(a) => logs_watch(c, a)?,
        Command::Completions(_) | Command::Man => {
            anyhow::bail!("completions and man are printed by the command line, not run")
        }
    })
}

/// `perms:check` / `perms:fix`.
fn perms(common: Common, a: &PermsArgs, apply: bool) -> PermsConfig {
    use m2auth::checks::file_perms::PermsOptions;
    use m2auth::magento::perms::DeployMode;
    use m2auth::store::perms::webuser::PoolSources;
    PermsConfig {
        common,
        options: PermsOptions {
            mode: a.mode.map(|m| match m {
                ModeArg::Default => DeployMode::Default,
                ModeArg::Developer => DeployMode::Developer,
                ModeArg::Production => DeployMode::Production,
            }),
            web_user: a.web_user.clone(),
            owner: a.owner.clone(),
            pools: if a.php_fpm_config.is_empty() {
                PoolSources::Default
            } else {
                PoolSources::Given(a.php_fpm_config.clone())
            },
            threads: a.threads,
        },
        apply,
    }
}

/// An instant given as RFC 3339 or relative to now (`--now`): `30s`, `15m`, `2h`, `1d`, `1w`.
fn instant(option: &str, s: &str, now: Option<jiff::Timestamp>) -> anyhow::Result<i64> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let unit = t.chars().last().unwrap_or(' ');
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => 0,
    };
    let n: Option<i64> = t[..t.len() - unit.len_utf8().min(t.len())].parse().ok();
    match n {
        Some(n) if secs > 0 && n >= 0 => {
            let now = now.unwrap_or_else(jiff::Timestamp::now).as_second();
            Ok(now - n.saturating_mul(secs))
        }
        _ => anyhow::bail!(
            "{option} {s}: neither an RFC 3339 instant (2024-05-01T10:00:00Z) nor a duration before now (30m, 2h, 1d, 1w)"
        ),
    }
}

/// `--access-log` values: files as given, globs expanded (a pattern matching nothing is kept
/// as given, so its absence is reported).
fn access_logs(given: &[String]) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for g in given {
        if g.contains(['*', '?', '[']) {
            let mut found: Vec<std::path::PathBuf> = glob::glob(g)
                .map_err(|e| anyhow::anyhow!("--access-log {g}: {e}"))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                out.push(g.into());
            }
            out.extend(found);
        } else {
            out.push(g.into());
        }
    }
    Ok(out)
}

fn brute(a: &super::args::LogSourceArgs) -> BruteForce {
    BruteForce {
        threshold: a.brute_threshold,
        window_minutes: a.brute_window,
    }
}

/// `logs:scan`.
fn logs_scan(c: Common, a: super::args::LogsScanArgs) -> anyhow::Result<Job> {
    let since = a
        .since
        .as_deref()
        .map(|s| instant("--since", s, c.now))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| instant("--until", s, c.now))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        anyhow::bail!("--since is after --until");
    }
    Ok(Job::LogsScan(ScanConfig {
        access_logs: access_logs(&a.source.access_log)?,
        log_format: a.source.log_format.clone(),
        since,
        until,
        top: a.top.max(1),
        table: Table::parse(&a.table).unwrap_or_default(),
        threads: a.threads.and_then(|t| usize::try_from(t).ok()),
        brute: brute(&a.source),
        common: c,
    }))
}

/// `logs:watch`.
fn logs_watch(c: Common, a: super::args::LogsWatchArgs) -> anyhow::Result<Job> {
    if c.format != Format::Text {
        anyhow::bail!("logs:watch serves Prometheus metrics; --format does not apply");
    }
    Ok(Job::LogsWatch(WatchConfig {
        access_logs: access_logs(&a.source.access_log)?,
        log_format: a.source.log_format.clone(),
        listen: a.metrics_listen.clone(),
        poll: std::time::Duration::from_millis(a.poll_ms),
        from_start: a.from_start,
        brute: brute(&a.source),
        duration: a.duration.map(std::time::Duration::from_secs),
        common: c,
    }))
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
