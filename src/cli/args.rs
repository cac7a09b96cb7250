//! The clap definitions. Nothing below the CLI sees clap types: `Global::db_choice` and
//! `RequestArgs::options` turn them into the library's own.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::help;
use m2auth::request::RequestOptions;
use m2auth::store::db::DbChoice;

#[derive(Debug, Parser)]
#[command(
    name = "m2auth",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("M2AUTH_GIT_COMMIT"), ")"),
    about = "Finds out why a Magento 2 store answers 401 Unauthorized, proves it, and fixes it safely",
    long_about = None,
    after_long_help = help::MAIN,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// The options every command shares, under their own heading in every help.
#[derive(Debug, Args)]
#[command(next_help_heading = "Common options")]
pub struct Global {
    /// The Magento root (the folder holding app/etc/env.php) [default: the nearest one at or above the current folder]; diagnose and audit take several (repeat it) for a fleet: one section per store, or --format jsonl
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Vec<PathBuf>,
    /// Read the database from a mysqldump file (.sql or .sql.gz) instead of connecting
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "db")]
    pub dump: Option<PathBuf>,
    /// Connect to this database instead of the one in env.php (mysql://user:pass@host:port/db or mysql://user@localhost/db?socket=/path)
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,
    /// Evaluate everything time-dependent (token expiry, locks, nonces) at this instant (RFC 3339)
    #[arg(long, global = true, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Write the report to this file instead of stdout
    #[arg(long, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// For commands that change anything: do it (without it they print the plan and change nothing)
    #[arg(long, global = true)]
    pub apply: bool,
    /// Never contact the store over the network: only files and the database are read
    #[arg(long, global = true)]
    pub offline: bool,
    /// Colour: on a terminal only (auto; NO_COLOR set turns it off), always, or never
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// No notes or warnings on stderr (errors are still said)
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// The web server's configuration: a main file (apache2.conf, httpd.conf, nginx.conf), a vhost file, or a directory of them (repeatable) [default: /etc/apache2/apache2.conf, /etc/httpd/conf/httpd.conf, /etc/nginx/nginx.conf, whichever exist]
    #[arg(long = "server-config", global = true, value_name = "PATH")]
    pub server_config: Vec<PathBuf>,
    /// Accept partial results when the database that was named or configured cannot be read (the checks that need it are listed as not checked) instead of exiting 2
    #[arg(long, global = true)]
    pub allow_partial: bool,
}

impl Global {
    pub fn server_sources(&self) -> m2auth::store::server::Sources {
        if self.server_config.is_empty() {
            m2auth::store::server::Sources::Default
        } else {
            m2auth::store::server::Sources::Given(self.server_config.clone())
        }
    }

    pub fn db_choice(&self) -> DbChoice {
        match (&self.dump, &self.db) {
            (Some(d), _) => DbChoice::Dump(d.clone()),
            (None, Some(u)) => DbChoice::Url(u.clone()),
            (None, None) => DbChoice::Env,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    /// For listings (acl:matrix, logs:scan)
    Csv,
    /// One self-contained HTML report (diagnose, audit, acl:matrix, logs:scan; with --output FILE)
    Html,
    /// Markdown for tickets (diagnose, audit, acl:matrix, logs:scan)
    Markdown,
    /// One JSON object per store and line, with its root and host (diagnose, audit; for many --root)
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every check that applies and print findings, most likely root cause first (read-only; a GET/HEAD --request URL with a host is also sent to the store unless --offline; other methods and logins are `request`'s)
    #[command(after_long_help = help::DIAGNOSE)]
    Diagnose(DiagnoseArgs),
    /// Send the request to the live store, classify the answer (Magento's error, Basic auth, WAF, redirect, no answer…) and explain it with the offline checks
    #[command(
        long_about = "Send the request to the live store, classify the answer (Magento's JSON/XML error, a web server's Basic auth, a WAF or CDN, a redirect, a non-Magento 401/403, no answer) and explain it with the offline checks when the Magento root is found (--root).\n\nRedirects are never followed; TLS certificates are verified (--cacert FILE for a private CA, --insecure to skip, said loudly). --admin-user/--customer with --password-file first obtain a fresh token from POST /rest/V1/integration/{admin,customer}/token.\n\nUnlike diagnose (GET/HEAD only, never a login), request is the explicit command: it sends any method as described (POST, PUT, DELETE: they run in the store if it accepts them) and logs in (a wrong password counts as a failed login for that account).\n\n--canary is the only write this command makes: a randomly named one-off PHP file in the docroot (pub/ or the root) that reports only whether the Authorization header reached PHP, requested once and deleted in every case (errors and Ctrl-C included)."
    )]
    #[command(after_long_help = help::REQUEST)]
    Request(LiveRequestArgs),
    /// What m2auth found: Magento version, mode, auth modules, database and cache backends (no secrets)
    #[command(after_long_help = help::INFO)]
    Info,
    /// The prevention checks (step 9) over the whole store (read-only); --fail-on for CI and cron
    #[command(after_long_help = help::AUDIT)]
    Audit(AuditArgs),
    /// The ACL resources a REST call needs, what the caller's role grants, what is missing
    #[command(name = "acl:check")]
    #[command(after_long_help = help::ACL_CHECK)]
    AclCheck(RequestArgs),
    /// Decode and verify a bearer token: kind, user, issue/expiry, which crypt key verifies it, revocation, findings
    #[command(name = "token:inspect")]
    #[command(after_long_help = help::TOKEN_INSPECT)]
    TokenInspect(TokenArgs),
    /// Every REST route of the enabled modules, allowed or not for a caller (--format text|json|csv|html|markdown); --live also asks the store
    #[command(name = "acl:matrix")]
    #[command(after_long_help = help::ACL_MATRIX)]
    AclMatrix(MatrixArgs),
    /// Grant ACL resources to an integration's or a group role's rules, as the role editor writes them (--apply)
    #[command(name = "acl:grant")]
    #[command(after_long_help = help::ACL_GRANT)]
    AclGrant(GrantArgs),
    /// The fixes for the findings of a diagnosis, one per problem, as a plan; --apply carries them out: file edits (.htaccess rule; vhost lines with --server-config) and m2auth's own steps (acl:grant, admin:user:unlock, integration:activate), each journaled
    #[command(after_long_help = help::FIX)]
    Fix(FixArgs),
    /// What reversing a journal entry (the newest one by default) would do; --apply reverses it
    #[command(after_long_help = help::UNDO)]
    Undo(UndoArgs),
    /// Set an admin user's password as Magento would (policy, hash, password history) and clear its lock; journaled
    #[command(name = "admin:user:change-password")]
    #[command(after_long_help = help::CHANGE_PASSWORD)]
    AdminUserChangePassword(ChangePasswordArgs),
    /// Clear an admin user's lock (lock_expires, failures_num, first_failure) and token-endpoint throttle; journaled
    #[command(name = "admin:user:unlock")]
    #[command(after_long_help = help::UNLOCK)]
    AdminUserUnlock(UnlockArgs),
    /// The integrations: status, consumer key, token (secrets masked), resources
    #[command(name = "integration:list")]
    #[command(after_long_help = help::INTEGRATION_LIST)]
    IntegrationList,
    /// One integration: status, consumer key, secrets masked, token, resources
    #[command(name = "integration:show")]
    #[command(after_long_help = help::INTEGRATION_SHOW)]
    IntegrationShow(IntegrationArgs),
    /// Activate an integration as the admin's Activate does (status, and an access token when it has none); journaled
    #[command(name = "integration:activate")]
    #[command(after_long_help = help::INTEGRATION_ACTIVATE)]
    IntegrationActivate(IntegrationArgs),
    /// Sign a request with OAuth 1.0a HMAC-SHA256: the Authorization header, the base string and a curl command
    #[command(name = "oauth:sign")]
    #[command(after_long_help = help::OAUTH_SIGN)]
    OauthSign(OauthSignArgs),
    /// File modes and owners against what Magento wants for its mode and web-server user: one parallel pass, counts and examples per folder (exit 1 when anything is wrong)
    #[command(name = "perms:check")]
    PermsCheck(PermsArgs),
    /// The plan to repair exactly what perms:check finds; --apply makes those changes (never through a link), journaled for undo
    #[command(name = "perms:fix")]
    PermsFix(PermsArgs),
    /// 401/403s of the REST, GraphQL and SOAP APIs in the access logs (by route, client, user agent, auth scheme, store, over time) and authentication errors in Magento's logs (--format text|json|csv|html|markdown)
    #[command(name = "logs:scan")]
    LogsScan(LogsScanArgs),
    /// Follow the access logs (safe across rotation) and serve Prometheus metrics of the 401/403s
    #[command(name = "logs:watch")]
    LogsWatch(LogsWatchArgs),
    /// Clean cache types by their tags, as bin/magento cache:clean does (file and Redis backends, without PHP; Varnish purged for every type or full_page when it is the full-page cache); all types when none is given
    #[command(name = "cache:clean")]
    CacheClean(CacheArgs),
    /// Flush the whole storage of the cache types' backends, as bin/magento cache:flush does (file: var/cache, var/page_cache; Redis: FLUSHDB; Varnish: the purge of env.php http_cache_hosts)
    #[command(name = "cache:flush")]
    CacheFlush(CacheArgs),
    /// The cache types, enabled or not (env.php cache_types), the backends and how many entries each type holds
    #[command(name = "cache:status")]
    CacheStatus,
    /// Enable cache types in app/etc/env.php (cache_types), cleaning them first as bin/magento does; a plan unless --apply; journaled
    #[command(name = "cache:enable")]
    CacheEnable(CacheTypesArgs),
    /// Disable cache types in app/etc/env.php (cache_types); a plan unless --apply; journaled
    #[command(name = "cache:disable")]
    CacheDisable(CacheTypesArgs),
    /// Print the shell completion script for SHELL (bash, zsh, fish…), generated from these definitions (packaging)
    #[command(hide = true)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), generated from these definitions (packaging)
    #[command(hide = true)]
    Man,
}

/// `perms:check` / `perms:fix`.
#[derive(Debug, Clone, Args)]
pub struct PermsArgs {
    /// Judge for this mode instead of env.php's MAGE_MODE
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<ModeArg>,
    /// The web server's (PHP's) user and group [default: from the php-fpm pool, Apache User/Group or nginx user]
    #[arg(long = "web-user", value_name = "USER[:GROUP]")]
    pub web_user: Option<String>,
    /// The file-system owner and shared group; perms:fix --apply also changes owners to it (as root only)
    #[arg(long, value_name = "USER[:GROUP]")]
    pub owner: Option<String>,
    /// php-fpm pool files or folders to read the web user from (repeatable) [default: /etc/php/*/fpm/pool.d, /etc/php-fpm.d, …]
    #[arg(long = "php-fpm-config", value_name = "PATH")]
    pub php_fpm_config: Vec<PathBuf>,
    /// Walker threads [default: four per CPU, at most 32]
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// No progress bar
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Default,
    Developer,
    Production,
}

/// The logs read by `logs:scan` and `logs:watch`.
#[derive(Debug, Clone, Args)]
pub struct LogSourceArgs {
    /// An access log (repeatable; a glob like 'access.log*' too; .gz read as such) [default: the logs the store's vhost names, with their rotations, else /var/log/{nginx,apache2,httpd}]
    #[arg(long = "access-log", value_name = "FILE")]
    pub access_log: Vec<String>,
    /// The format the access logs are written in, as the nginx log_format string or the Apache LogFormat string [default: the one the vhost names, else combined/common/JSON by their look]
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Failed token requests from one client within --brute-window that count as brute force
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub brute_threshold: u64,
    /// The brute-force window, in minutes
    #[arg(long, value_name = "MINUTES", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..=1440))]
    pub brute_window: i64,
}

/// `logs:scan`.
#[derive(Debug, Clone, Args)]
pub struct LogsScanArgs {
    #[command(flatten)]
    pub source: LogSourceArgs,
    /// Only requests at or after this instant: RFC 3339, or relative to now (--now): 30m, 2h, 1d, 1w
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only requests at or before this instant (as --since)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Rows per table in the text, HTML and Markdown reports
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// The table --format csv prints
    #[arg(long, value_name = "TABLE", default_value = "routes", value_parser = clap::builder::PossibleValuesParser::new(["routes", "clients", "agents", "schemes", "stores", "timeline", "files", "brute-force", "magento"]))]
    pub table: String,
    /// Worker threads [default: the number of CPUs]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: Option<u64>,
    /// No progress bar
    #[arg(long)]
    pub quiet: bool,
}

/// `logs:watch`.
#[derive(Debug, Clone, Args)]
pub struct LogsWatchArgs {
    #[command(flatten)]
    pub source: LogSourceArgs,
    /// Where to serve the metrics (GET /metrics); port 0 picks a free one (said on stderr)
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9401")]
    pub metrics_listen: String,
    /// How often the files are polled, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=60000))]
    pub poll_ms: u64,
    /// Count what the files already hold too (else only what is appended from now on)
    #[arg(long)]
    pub from_start: bool,
    /// Stop after this many seconds and print the metrics (else run until stopped)
    #[arg(long = "for", value_name = "SECONDS")]
    pub duration: Option<u64>,
}

/// `cache:enable` / `cache:disable`: the types.
#[derive(Debug, Clone, Args)]
pub struct CacheTypesArgs {
    /// Cache type ids (config, config_webservice, full_page…)
    #[arg(value_name = "TYPE", required = true)]
    pub types: Vec<String>,
}

/// `cache:clean` / `cache:flush`: the types.
#[derive(Debug, Clone, Args)]
pub struct CacheArgs {
    /// Cache type ids (config, config_webservice, full_page…); none = every type
    #[arg(value_name = "TYPE")]
    pub types: Vec<String>,
    /// cache:flush: flush a Redis database that also holds keys that are not Magento cache entries (sessions, another store)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `audit`: which findings make it exit 1.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Exit 1 when a finding of this severity or worse is found (error: root causes only; warning: any warning too)
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOnArg::Error)]
    pub fail_on: FailOnArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
}

/// `admin:user:change-password`: n98-magerun2's `[username] [password]`, or `--username` /
/// `--password` (`--admin-user` / `--admin-password` as bin/magento names them), or a hidden
/// prompt.
#[derive(Debug, Clone, Args)]
pub struct ChangePasswordArgs {
    /// The admin user (n98-magerun2 form)
    #[arg(value_name = "USERNAME", required_unless_present = "username")]
    pub user: Option<String>,
    /// The new password (n98-magerun2 form; a command line can be seen by other users: prefer the prompt or --password-file)
    #[arg(value_name = "PASSWORD")]
    pub pass: Option<String>,
    /// The admin user
    #[arg(
        long,
        value_name = "NAME",
        alias = "admin-user",
        conflicts_with = "user"
    )]
    pub username: Option<String>,
    /// The new password (without it: --password-file, else a hidden prompt)
    #[arg(long, value_name = "PASSWORD", alias = "admin-password", conflicts_with_all = ["pass", "password_file"])]
    pub password: Option<String>,
    /// Read the new password from this file (minus one trailing newline)
    #[arg(long, value_name = "FILE", conflicts_with = "pass")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct UnlockArgs {
    /// The admin user's username
    #[arg(value_name = "USERNAME")]
    pub username: String,
}

#[derive(Debug, Clone, Args)]
pub struct IntegrationArgs {
    /// The integration's name (integration:show also takes its id)
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// `oauth:sign`: the request and the integration's four credentials.
#[derive(Debug, Clone, Args)]
pub struct OauthSignArgs {
    /// "METHOD TARGET", e.g. "GET https://shop.example.com/rest/default/V1/products?searchCriteria[pageSize]=1"
    #[arg(long, value_name = "METHOD TARGET", required = true)]
    pub request: String,
    /// The integration's credentials
    #[arg(long, value_name = "KEY,SECRET,TOKEN,TOKEN_SECRET", required = true)]
    pub oauth: String,
    /// A header to send as well (repeatable); a form body's Content-Type goes here
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// A request body (signed when the Content-Type is application/x-www-form-urlencoded)
    #[arg(long, value_name = "BODY")]
    pub data: Option<String>,
    /// The nonce to sign with [default: 32 random letters and digits]
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,
    /// The Unix time to sign with [default: --now, else the clock]
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub timestamp: Option<i64>,
}

/// `acl:matrix`: the caller, and the live comparison.
#[derive(Debug, Clone, Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub caller: CallerArgs,
    /// The caller's bearer token (the caller is read from it when no --integration/--admin-user/--role is given); sent by --live
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// With --admin-user and --live: the admin's password, to obtain a fresh token
    #[arg(long, value_name = "FILE", requires = "live")]
    pub password_file: Option<PathBuf>,
    /// Also send every route (GET only unless --all-methods) to the store with the caller's token and show where the answer disagrees (--token as Bearer, --admin-user with --password-file for a fresh admin token, or --integration: OAuth-signed with its credentials from the database)
    #[arg(long)]
    pub live: bool,
    /// The store's base URL for --live [default: web/secure/base_url of the default store view]
    #[arg(long, value_name = "URL", requires = "live")]
    pub base_url: Option<String>,
    /// With --live: send POST and PUT routes too, with a broken JSON body that Magento rejects (400) after its token and ACL check, before anything runs. DELETE routes are never sent
    #[arg(long, requires = "live")]
    pub all_methods: bool,
    /// With --live: requests in flight at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// With --live: at most N requests per second (all together, 0.01 to 10000) [default: no limit]
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub rate: Option<f64>,
    #[command(flatten)]
    pub live_args: LiveArgs,
}

/// `--rate`: a number of requests per second in 0.01..=10000.
fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("\"{s}\" is not a number"))?;
    if (0.01..=10000.0).contains(&r) {
        Ok(r)
    } else {
        Err(format!(
            "{s} is out of range: 0.01 to 10000 requests per second"
        ))
    }
}

/// Whose permissions: an integration, an admin user, or a role id.
#[derive(Debug, Clone, Args)]
#[group(required = false, multiple = false)]
pub struct CallerArgs {
    /// The integration, by name
    #[arg(long, value_name = "NAME")]
    pub integration: Option<String>,
    /// The admin user, by username
    #[arg(long, value_name = "NAME")]
    pub admin_user: Option<String>,
    /// The role, by authorization_role.role_id
    #[arg(long, value_name = "ID")]
    pub role: Option<i64>,
}

#[derive(Debug, Clone, Args)]
pub struct GrantArgs {
    /// The integration, by name (its own role)
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present_any = ["role", "admin_user"],
        conflicts_with_all = ["role", "admin_user"]
    )]
    pub integration: Option<String>,
    /// The group role of this admin user, by username: changes every user of that group
    #[arg(long, value_name = "NAME", conflicts_with = "role")]
    pub admin_user: Option<String>,
    /// The role, by authorization_role.role_id: a group role, or an integration's own role
    #[arg(long, value_name = "ID")]
    pub role: Option<i64>,
    /// An ACL resource id to allow, e.g. Magento_Catalog::products (repeatable)
    #[arg(long = "resource", value_name = "ID", required = true)]
    pub resources: Vec<String>,
    /// Show the SQL statements of the plan too
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// `fix`: the request being diagnosed, and which fixes.
#[derive(Debug, Clone, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub req: RequestArgs,
    /// Where the vhost and the .htaccess could each pass the Authorization header on: both edits, not only the one chosen
    #[arg(long)]
    pub all_server_fixes: bool,
    /// Show the SQL statements of the database changes too
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The token exactly as sent after "Bearer " (a JWT or a 32-character token)
    #[arg(value_name = "TOKEN", allow_hyphen_values = true)]
    pub token: String,
}

#[derive(Debug, Clone, Args)]
pub struct UndoArgs {
    /// The journal entry (its id or file); the newest one when omitted
    pub journal: Option<String>,
    /// List the journal entries instead
    #[arg(long, conflicts_with = "journal")]
    pub list: bool,
    /// Undo even when the rows were changed since
    #[arg(long)]
    pub force: bool,
}

/// How the live request is sent.
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Seconds the whole exchange may take, from connecting to the last body byte (connecting: at most 5)
    #[arg(long, value_name = "SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Do not verify the store's TLS certificate (said on stderr and in the report)
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file besides the system's (a private CA)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
}

impl LiveArgs {
    pub fn settings(&self) -> m2auth::live::Settings {
        m2auth::live::Settings {
            timeout: std::time::Duration::from_secs(self.timeout),
            connect_timeout: std::time::Duration::from_secs(self.timeout.min(5)),
            insecure: self.insecure,
            cacert: self.cacert.clone(),
        }
    }
}

/// `diagnose`: the request and how a live request is sent.
#[derive(Debug, Clone, Args)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub req: RequestArgs,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Leave out the prevention (audit) findings: only what makes requests fail
    #[arg(long)]
    pub no_audit: bool,
    /// Read the logs (access logs with their rotations, var/log, var/report) from this instant: RFC 3339 or relative (2h, 1d) [default: the last 16 MiB of each plain log]
    #[arg(long, value_name = "WHEN")]
    pub logs_since: Option<String>,
}

/// `request`: the request, how it is sent, and the canary.
#[derive(Debug, Clone, Args)]
pub struct LiveRequestArgs {
    #[command(flatten)]
    pub req: RequestArgs,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Prove whether PHP receives the Authorization header: write a one-off PHP file into the docroot, request it, delete it (the only write of this command)
    #[arg(long)]
    pub canary: bool,
}

/// The request being diagnosed, described like curl does.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// "METHOD TARGET", e.g. "GET /V1/products" or "GET https://shop.example.com/rest/all/V1/customers/me"
    #[arg(long, value_name = "METHOD TARGET")]
    pub request: Option<String>,
    /// A header exactly as the client sends it (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Shorthand for -H "Authorization: Bearer TOKEN"
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Sign the request with OAuth 1.0a HMAC-SHA256 as an integration would
    #[arg(long, value_name = "KEY,SECRET,TOKEN,TOKEN_SECRET")]
    pub oauth: Option<String>,
    /// Diagnose an admin login (POST /V1/integration/admin/token)
    #[arg(long, value_name = "NAME", conflicts_with = "customer")]
    pub admin_user: Option<String>,
    /// Diagnose a customer login (POST /V1/integration/customer/token)
    #[arg(long, value_name = "EMAIL")]
    pub customer: Option<String>,
    /// The caller is this integration: acl:check judges its role; request signs with its stored OAuth credentials (needs the root)
    #[arg(long, value_name = "NAME")]
    pub integration: Option<String>,
    /// Read the login password from this file (else a hidden prompt)
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Take method, URL and headers from a pasted curl command
    #[arg(long, value_name = "'curl …'")]
    pub curl: Option<String>,
    /// The request body as sent: a GraphQL document with variables as JSON, a SOAP envelope, a REST payload
    #[arg(long, value_name = "BODY", conflicts_with = "data_file")]
    pub data: Option<String>,
    /// Read the request body from this file
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Take the request from a HAR recording (browser DevTools, a proxy): the first /rest, /graphql or /soap call refused, or --har-entry
    #[arg(long, value_name = "FILE", conflicts_with = "curl")]
    pub har: Option<PathBuf>,
    /// Which entry of the HAR file (1 is the first)
    #[arg(long, value_name = "N", requires = "har", value_parser = clap::value_parser!(u32).range(1..))]
    pub har_entry: Option<u32>,
    /// The SOAP operation called, e.g. catalogProductRepositoryV1Get (no envelope needed; without --request, POST /soap/default?services=<its service>)
    #[arg(long, value_name = "NAME")]
    pub soap_operation: Option<String>,
}

impl RequestArgs {
    pub fn options(&self) -> RequestOptions {
        RequestOptions {
            request: self.request.clone(),
            headers: self.headers.clone(),
            token: self.token.clone(),
            oauth: self.oauth.clone(),
            admin_user: self.admin_user.clone(),
            customer: self.customer.clone(),
            password_file: self.password_file.clone(),
            curl: self.curl.clone(),
            data: self.data.clone(),
            data_file: self.data_file.clone(),
            har: self.har.clone(),
            har_entry: self.har_entry.map(|n| n as usize),
            soap_operation: self.soap_operation.clone(),
        }
    }
}
