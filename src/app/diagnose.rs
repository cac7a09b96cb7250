//! `diagnose` (offline, or joined with the live answer when the request names a host),
//! `audit`, and `request` (send it, the canary, the offline checks, the join): the whole
//! diagnosis, callable from the library.

use crate::app::{Common, Error, Outcome, Output, Result};
use crate::checks::{self, Diagnosis};
use crate::context::Context;
use crate::live::canary::{self, CanaryOutcome};
use crate::live::client::{origin_of, url_of};
use crate::live::{Client, LiveError, Settings, session};
use crate::mask::Masker;
use crate::report;
use crate::request::{RequestOptions, RequestSpec};
use crate::store::cache::staleness_doubt;

/// The user and the password (when there is one) of a URL's user-info.
pub type UserInfo = (String, Option<String>);

/// `diagnose` and `audit`.
#[derive(Debug, Clone)]
pub struct DiagnoseConfig {
    pub common: Common,
    /// The request being diagnosed (its password already read), if one was described.
    pub request: Option<RequestSpec>,
    /// Never contact the store (`--offline`).
    pub offline: bool,
    /// How the live request is sent (a GET/HEAD request URL with a host).
    pub live: Settings,
    /// The user-info of the request's URL ([`url_userinfo`]): never sent, said.
    pub userinfo: Option<UserInfo>,
    /// Leave the prevention (audit) findings out (`--no-audit`).
    pub no_audit: bool,
    /// The stores of a fleet (`--root` repeated): each diagnosed in turn. Empty or one: the
    /// store of `common`.
    pub roots: Vec<std::path::PathBuf>,
}

impl DiagnoseConfig {
    /// The offline diagnosis of `request` with the default live settings (never used offline).
    pub fn offline(common: Common, request: Option<RequestSpec>) -> DiagnoseConfig {
        DiagnoseConfig {
            common,
            request,
            offline: true,
            live: Settings {
                timeout: std::time::Duration::from_secs(15),
                connect_timeout: std::time::Duration::from_secs(5),
                insecure: false,
                cacert: None,
            },
            userinfo: None,
            no_audit: false,
            roots: Vec::new(),
        }
    }
}

/// `request`.
#[derive(Debug, Clone)]
pub struct RequestConfig {
    pub common: Common,
    /// The request to send: its target names a host (its password already read).
    pub request: RequestSpec,
    pub live: Settings,
    /// Prove whether PHP receives the Authorization header (`--canary`).
    pub canary: bool,
    /// Sign with this integration's stored OAuth credentials (`--integration NAME`).
    pub integration: Option<String>,
    pub userinfo: Option<UserInfo>,
}

/// `diagnose`: the offline checks; with a request URL naming a host (and not `offline`), joined
/// with the store's live answer. Exit 1 when a root cause is found (or the store refused).
///
/// Over several stores (`roots`, or `--format jsonl`): each in turn, as [`fleet`] says.
pub fn run(c: &DiagnoseConfig) -> Result<Outcome> {
    if c.roots.len() > 1 || c.common.format == crate::app::Format::Jsonl {
        return fleet(&c.common, &c.roots, |common| {
            run_one(&DiagnoseConfig {
                common,
                roots: Vec::new(),
                ..c.clone()
            })
        });
    }
    run_one(c)
}

fn run_one(c: &DiagnoseConfig) -> Result<Outcome> {
    let ctx = c.common.load(c.request.clone())?;
    let has_host = ctx
        .request
        .as_ref()
        .and_then(|r| r.target.as_ref())
        .is_some_and(|t| t.host.is_some());
    if !c.offline && has_host {
        let spec = ctx.request.clone().expect("checked above");
        return live_diagnose(ctx, spec, c);
    }
    let mut d = checks::diagnose(&ctx);
    if c.no_audit {
        drop_audit(&mut d);
    }
    Ok(offline_report(&c.common, &ctx, d, "diagnose"))
}

/// `--no-audit`: only what makes requests fail.
fn drop_audit(d: &mut Diagnosis) {
    d.findings.retain(|f| f.step != 9);
}

/// `audit`: the whole store, and which findings make it exit 1.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    pub common: Common,
    pub fail_on: FailOn,
    /// The stores of a fleet (`--root` repeated): each audited in turn. Empty or one: the
    /// store of `common`.
    pub roots: Vec<std::path::PathBuf>,
}

/// The least severity that makes `audit` exit 1 (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// A finding of severity error (a root cause): the contract's exit 1.
    #[default]
    Error,
    /// Any warning too: for CI and cron.
    Warning,
}

/// `audit`: the prevention checks over the whole store. Exit 1 on an error, or on a warning
/// with `FailOn::Warning`.
pub fn audit(c: &AuditConfig) -> Result<Outcome> {
    if c.roots.len() > 1 || c.common.format == crate::app::Format::Jsonl {
        return fleet(&c.common, &c.roots, |common| {
            audit_one(&AuditConfig {
                common,
                fail_on: c.fail_on,
                roots: Vec::new(),
            })
        });
    }
    audit_one(c)
}

fn audit_one(c: &AuditConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = common.load(None)?;
    let d = checks::audit(&ctx);
    let mut out = offline_report(common, &ctx, d.clone(), "audit");
    if out.code == 0
        && c.fail_on == FailOn::Warning
        && d.findings
            .iter()
            .any(|f| f.severity == crate::findings::Severity::Warning)
    {
        out.code = 1;
    }
    Ok(out)
}

fn offline_report(common: &Common, ctx: &Context, d: Diagnosis, title: &str) -> Outcome {
    let code = if d.root_cause().is_some() { 1 } else { 0 };
    let out = render(
        common,
        &ctx.masker,
        title,
        || report::diagnosis::to_json(ctx, &d),
        || report::diagnosis::to_text(ctx, &d, title, &common.style),
    );
    common.outcome(ctx, out, code)
}

/// `diagnose` or `audit` (`one`) over several stores: one report each, in order (text, a
/// `== ROOT` line before each), or one JSON object per store and line with its `root` and
/// `host` (`--format jsonl`; a store that cannot be read is a line with `error`). Each store's
/// secrets are masked with its own masker. Exit: the worst of the stores' (2 when one could not
/// be read).
fn fleet(
    common: &Common,
    roots: &[std::path::PathBuf],
    one: impl Fn(Common) -> Result<Outcome>,
) -> Result<Outcome> {
    let roots: Vec<Option<std::path::PathBuf>> = if roots.is_empty() {
        vec![common.root.clone()]
    } else {
        roots.iter().cloned().map(Some).collect()
    };
    let jsonl = common.format == crate::app::Format::Jsonl;
    let mut text = String::new();
    let mut code = 0;
    for root in roots {
        let store = Common {
            root: root.clone(),
            format: if jsonl {
                crate::app::Format::Json
            } else {
                common.format
            },
            ..common.clone()
        };
        let shown = root
            .as_ref()
            .map(|r| r.display().to_string())
            .unwrap_or_else(|| ".".into());
        match one(store) {
            Ok(out) => {
                code = code.max(out.code);
                match out.output {
                    Output::Json(mut v) => {
                        out.masker.scrub_json(&mut v);
                        let host = v["target"]["host"].clone();
                        let line = serde_json::json!({
                            "root": v["target"]["root"].clone(),
                            "host": host,
                            "exit": out.code,
                            "report": v,
                        });
                        text.push_str(&serde_json::to_string(&line)?);
                        text.push('\n');
                    }
                    Output::Text(t) => {
                        text.push_str(&format!("== {shown}\n"));
                        text.push_str(&out.masker.scrub(&t));
                        text.push('\n');
                    }
                }
            }
            Err(e) => {
                code = 2;
                (common.warn)(&format!("{shown}: {e}"));
                if jsonl {
                    let line = serde_json::json!({"root": shown, "host": null, "exit": 2, "error": e.to_string()});
                    text.push_str(&serde_json::to_string(&line)?);
                    text.push('\n');
                }
            }
        }
    }
    Ok(Outcome {
        output: Output::Text(text),
        code,
        masker: Masker::new(),
    })
}

/// The report in the format asked for: the JSON, the text, or a document (HTML, Markdown)
/// rendered from the JSON once `masker` has scrubbed it.
fn render(
    common: &Common,
    masker: &Masker,
    command: &str,
    json: impl FnOnce() -> serde_json::Value,
    text: impl FnOnce() -> String,
) -> Output {
    use crate::report::document::{self, Kind};
    match common.format {
        crate::app::Format::Html => {
            Output::Text(document::render(Kind::Html, json(), masker, command))
        }
        crate::app::Format::Markdown => {
            Output::Text(document::render(Kind::Markdown, json(), masker, command))
        }
        f => Output::pick(f, json, text),
    }
}

/// `--insecure` said loudly, for an https URL (plain HTTP has no certificate to skip).
pub fn warn_insecure(warn: fn(&str), settings: &Settings, url: Option<&str>) {
    if settings.insecure && !url.is_some_and(|u| u.starts_with("http://")) {
        warn(
            "WARNING: --insecure: the store's TLS certificate is NOT verified; anyone between here and the store could answer",
        );
    }
}

/// `diagnose` with a host: the offline checks joined with the live answer (no canary).
fn live_diagnose(mut ctx: Context, spec: RequestSpec, c: &DiagnoseConfig) -> Result<Outcome> {
    let common = &c.common;
    let settings = c.live.clone();
    let userinfo = c.userinfo.as_ref();
    if let Some((_, Some(pw))) = userinfo {
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
        let url = spec.target.as_ref().and_then(url_of);
        warn_insecure(common.warn, &settings, url.as_deref());
        // diagnose still diagnoses when the live part cannot run (a TLS failure, a header no
        // client can send): the reason goes to "Not checked".
        Client::new(settings).and_then(|client| session::send(&client, &spec, ctx.now.as_second()))
    } else {
        Err(LiveError::Request(format!(
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
            if c.no_audit {
                drop_audit(&mut d);
            }
            note_userinfo(common.warn, &mut d, userinfo);
            d.skip(
                "live-request",
                match e {
                    LiveError::Request(why) if !read_only => why,
                    e => e.to_string(),
                },
            );
            return Ok(offline_report(common, &ctx, d, "diagnose"));
        }
    };
    if let Some(t) = &outcome.token {
        ctx.masker.add(t);
    }
    let mut outcome = outcome;
    outcome.mask_body(&ctx.masker);
    ctx.request = Some(outcome.sent.clone());
    let mut d = checks::offline(&ctx);
    if c.no_audit {
        drop_audit(&mut d);
    }
    note_userinfo(common.warn, &mut d, userinfo);
    let doubt = stripped_doubt(&ctx, &outcome.url);
    let stale = stale_cache_doubt(&ctx, &d);
    let offline = session::join(
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
    let code = live_code(&d, &outcome);
    let out = render(
        common,
        &ctx.masker,
        "diagnose",
        || report::live::to_json(Some(&ctx), &d, &live),
        || report::live::to_text(Some(&ctx), &d, &live, "diagnose", &common.style),
    );
    Ok(common.outcome(&ctx, out, code))
}

/// 1 when a root cause is found, the login failed or the store refused the request.
fn live_code(d: &Diagnosis, outcome: &session::LiveOutcome) -> i32 {
    if d.root_cause().is_some() || outcome.login_failed() || outcome.refused().is_some() {
        1
    } else {
        0
    }
}

/// `request`: send it (a login first), the canary when asked, the offline checks when the root
/// is known, the join, the report. Without a root (none given, none above the current folder)
/// only the live part runs.
pub fn request(c: &RequestConfig) -> Result<Outcome> {
    let common = &c.common;
    let ctx = match common.find_root() {
        Ok(root) => Some(common.load_at(root, Some(c.request.clone()))?),
        Err(Error::Store(e)) if common.root.is_none() => {
            return live_request(None, c, &e.to_string());
        }
        Err(e) => return Err(e),
    };
    live_request(ctx, c, "")
}

fn live_request(mut ctx: Option<Context>, c: &RequestConfig, no_root: &str) -> Result<Outcome> {
    let common = &c.common;
    let mut spec = c.request.clone();
    // --integration NAME: signed with OAuth 1.0a with the integration's stored credentials, as
    // the integration itself (and acl:matrix --live) calls.
    if let Some(name) = &c.integration {
        let Some(cx) = ctx.as_mut() else {
            return Err(Error::Usage(format!(
                "--integration reads the integration's credentials from the store's database: it needs the Magento root ({no_root})"
            )));
        };
        let creds = crate::app::integration::credentials(cx, name)
            .map_err(|why| Error::Failed(format!("--integration {name}: {why}")))?;
        for s in [&creds.consumer_secret, &creds.token, &creds.token_secret] {
            cx.masker.add(s);
        }
        spec.oauth = Some(creds);
    }
    let settings = c.live.clone();
    let url = spec.target.as_ref().and_then(url_of);
    warn_insecure(common.warn, &settings, url.as_deref());
    if c.canary && ctx.is_none() {
        return Err(Error::Usage(format!(
            "--canary writes into the store's docroot: it needs the Magento root ({no_root})"
        )));
    }
    let mut masker = match &ctx {
        Some(cx) => cx.masker.clone(),
        None => {
            let mut m = Masker::new();
            for s in spec.secrets() {
                m.add(s);
            }
            m
        }
    };
    let userinfo = c.userinfo.as_ref();
    if let Some((_, Some(pw))) = userinfo {
        masker.add(pw);
    }
    let client = Client::new(settings)?;
    let now_secs = common
        .now
        .or_else(|| ctx.as_ref().map(|cx| cx.now))
        .unwrap_or_else(jiff::Timestamp::now)
        .as_second();
    let mut outcome = session::send(&client, &spec, now_secs)?;
    if let Some(t) = &outcome.token {
        masker.add(t);
    }
    outcome.mask_body(&masker);
    let mut d = Diagnosis::default();
    let mut canary_run = None;
    match ctx.as_mut() {
        Some(cx) => {
            cx.masker = masker.clone();
            cx.request = Some(outcome.sent.clone());
            d = checks::offline(cx);
            if c.canary {
                let target = outcome.sent.target.as_ref().expect("checked");
                let origin = origin_of(target).unwrap_or_default();
                let prefix = store_prefix(&target.path);
                let docroot_is_pub = cx.install.docroot_is_pub();
                // A canary that cannot be written or sent is a check that did not run: the
                // request's own answer is still reported.
                match canary::run(&client, &cx.install.root, docroot_is_pub, &origin, &prefix) {
                    Ok(run) => {
                        if let CanaryOutcome::Unusable { reason } = &run.outcome {
                            d.skip("canary", reason.clone());
                        }
                        canary_run = Some(run);
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
    note_userinfo(common.warn, &mut d, userinfo);
    let doubt = ctx.as_ref().and_then(|cx| stripped_doubt(cx, &outcome.url));
    let stale = ctx.as_ref().and_then(|cx| stale_cache_doubt(cx, &d));
    let offline = session::join(
        &mut d,
        ctx.is_some(),
        &outcome,
        canary_run.as_ref(),
        doubt.as_deref(),
        stale.as_deref(),
    );
    let live = report::live::LiveReport {
        outcome: &outcome,
        offline: &offline,
        canary: canary_run.as_ref(),
    };
    let code = live_code(&d, &outcome);
    let out = Output::pick(
        common.format,
        || report::live::to_json(ctx.as_ref(), &d, &live),
        || report::live::to_text(ctx.as_ref(), &d, &live, "request", &common.style),
    );
    Ok(Outcome {
        output: out,
        code,
        masker,
    })
}

/// The user-info of the request's URL (`https://user:pass@host/…`, in --request or --curl):
/// the user and the password. m2auth never sends it (no client turns it into a header the
/// same way), so it is said, and the password is masked.
pub fn url_userinfo(o: &RequestOptions) -> Option<(String, Option<String>)> {
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

/// Say (a warning, and the report's "Not checked") that the URL's user-info is not sent.
fn note_userinfo(warn: fn(&str), d: &mut Diagnosis, userinfo: Option<&UserInfo>) {
    let Some((user, pw)) = userinfo else { return };
    let why = format!(
        "the URL's user-info (user \"{user}\"{}) is not sent: m2auth sends only the headers given; for HTTP Basic auth in front of the store pass -H 'Authorization: Basic …' (which then leaves no room for the token)",
        if pw.is_some() { ", a password" } else { "" }
    );
    warn(&format!("warning: {why}"));
    d.skip("url-credentials", why);
}

/// Why the offline facts may not describe the store that answered `url`: they come from a
/// dump (not the live database), or the host is neither loopback nor one of the store's base
/// URLs (`web/unsecure/base_url`, `web/secure/base_url`, any scope). `None`: no doubt.
fn stripped_doubt(ctx: &Context, url: &str) -> Option<String> {
    use crate::store::db::Source;
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
                .get(path, crate::store::config::Scope::Default)
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

/// Why the running store may decide with a stale cached copy: step 4 found stale entries
/// (the cached configuration, ACL or route map differs from the database and files), or the
/// cache holds entries m2auth could not compare ([`staleness_doubt`]).
fn stale_cache_doubt(ctx: &Context, d: &Diagnosis) -> Option<String> {
    use crate::findings::Code;
    let stale: Vec<&str> = d
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.code,
                Code::ConfigCacheStale | Code::AclCacheStale | Code::WebapiCacheStale
            )
        })
        .map(|f| f.title.as_str())
        .collect();
    if stale.is_empty() {
        return staleness_doubt(&ctx.install);
    }
    Some(format!(
        "the cache holds stale entries the running store decides with ({}; see step 4)",
        stale.join("; ")
    ))
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::app::Format;
    use crate::store::db::DbChoice;

    fn example() -> Common {
        let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        Common {
            root: Some(dir.join("store")),
            db: DbChoice::Dump(dir.join("store.sql")),
            now: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            format: Format::Json,
            ..Common::default()
        }
    }

    #[test]
    fn the_example_store_is_diagnosed_from_the_library() {
        let spec = RequestSpec::from_options(&RequestOptions {
            request: Some("GET /V1/products".into()),
            token: Some("at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g".into()),
            ..Default::default()
        })
        .unwrap();
        let out = run(&DiagnoseConfig::offline(example(), spec)).unwrap();
        assert_eq!(out.code, 1);
        let Output::Json(doc) = out.output else {
            panic!("asked for JSON")
        };
        assert_eq!(doc["root_cause"], "integration-bearer-disabled", "{doc:#}");
        // The token is a secret of the run: the masker that goes with the output knows it.
        assert!(
            !out.masker
                .scrub("at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g")
                .contains("at7q1w9e3r5t7y9u1i3o5p7a9s1d3f5g")
        );
    }

    #[test]
    fn what_cannot_be_done_is_refused_and_a_missing_root_is_a_store_error() {
        let c = crate::app::integration::IntegrationConfig {
            common: example(),
            name: "nope".into(),
        };
        let e = crate::app::integration::show(&c).unwrap_err();
        assert!(matches!(e, Error::Refused(_)), "{e:?}");
        assert_eq!(e.code(), 1);
        let common = Common {
            root: Some("/nonexistent/m2auth-root".into()),
            ..example()
        };
        let e = audit(&AuditConfig {
            common,
            fail_on: FailOn::Error,
            roots: Vec::new(),
        })
        .unwrap_err();
        assert!(matches!(e, Error::Store(_)), "{e:?}");
        assert_eq!(e.code(), 2);
    }
}
