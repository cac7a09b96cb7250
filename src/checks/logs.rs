//! Step 7: logs. Magento writes no line for a REST 401: the trail is in the web server's access
//! logs (which route, which client, since when, how many), with related errors in
//! `var/log/*.log` and `var/report/`. This module finds the logs, has them scanned
//! ([`crate::store::logs`]), and turns the counts into findings:
//!
//! * `log-auth-failures`: API requests answered 401/403, by route, client, since when;
//! * `log-brute-force`: a client with many failed token requests in a short window;
//! * `log-auth-exception`: Magento log records and reports tied to authentication.
//!
//! `diagnose` reads a bounded tail of each log by default (the context's
//! [`crate::context::LogScope`]); `logs:scan` reads everything it is given.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::checks::Diagnosis;
use crate::context::{Context, LogScope};
use crate::findings::{Code, Evidence, Finding, Fix, Severity, Skipped};
use crate::magento::routes::RouteIndex;
use crate::store::logs::access::{Compiled, FormatError};
use crate::store::logs::discover::{self, Configured};
use crate::store::logs::magento::{self, MagentoScan};
use crate::store::logs::scan::{self, ScanOptions, ScanResult};
use crate::store::server::{Kind, apache as ap, nginx as ng};

/// What counts as brute force: at least `threshold` failed token requests from one client
/// within `window_minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BruteForce {
    pub threshold: u64,
    pub window_minutes: i64,
}

impl Default for BruteForce {
    fn default() -> Self {
        BruteForce {
            threshold: 20,
            window_minutes: 5,
        }
    }
}

/// What to read and how.
#[derive(Clone, Default)]
pub struct LogsRequest<'a> {
    /// Access logs given by the user (none: found through the store's vhost, else the usual
    /// places).
    pub access_logs: Vec<PathBuf>,
    /// A `log_format` / `LogFormat` string (else the one the vhost names, else auto).
    pub log_format: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only the last this many bytes of each plain file.
    pub tail_bytes: Option<u64>,
    /// Read the usual places when nothing else names an access log.
    pub usual_places: bool,
    pub threads: Option<usize>,
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    pub brute: BruteForce,
}

/// A client over the brute-force threshold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BruteClient {
    pub client: String,
    /// Failed token requests in its worst window.
    pub count: u64,
    /// Start of that window (Unix seconds).
    pub window_start: i64,
    /// All its failed token requests.
    pub total: u64,
}

/// Everything `logs:scan` reports.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub access: ScanResult,
    pub magento: MagentoScan,
    /// How each access log was found (`--access-log`, `file:line` of the directive, usual place).
    pub found_by: HashMap<PathBuf, String>,
    /// `store-routes` (folded with the store's route index) or `path-shape`.
    pub folding: &'static str,
    pub brute: Vec<BruteClient>,
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub brute_rule: BruteForce,
}

/// The access logs to read: the given ones, else the store vhost's, else (when allowed) the
/// usual places; each with its rotated copies (given files are read as given). Also the format
/// the configuration names.
pub fn access_logs(
    ctx: Option<&Context>,
    req: &LogsRequest<'_>,
) -> (Vec<PathBuf>, HashMap<PathBuf, String>, Option<String>) {
    let mut found_by = HashMap::new();
    let mut out = Vec::new();
    if !req.access_logs.is_empty() {
        for p in &req.access_logs {
            if found_by
                .insert(p.clone(), "--access-log".to_string())
                .is_none()
            {
                out.push(p.clone());
            }
        }
        return (out, found_by, None);
    }
    let mut format = None;
    if let Some(ctx) = ctx {
        for c in configured(ctx) {
            format = format.or(c.format.clone());
            for p in discover::rotated(&c.path) {
                if !found_by.contains_key(&p) {
                    found_by.insert(p.clone(), c.source.clone());
                    out.push(p);
                }
            }
        }
    }
    if out.is_empty() && req.usual_places {
        for u in discover::USUAL {
            for p in discover::rotated(Path::new(u)) {
                if !found_by.contains_key(&p) {
                    found_by.insert(p.clone(), "usual place".to_string());
                    out.push(p);
                }
            }
        }
    }
    (out, found_by, format)
}

/// The access logs the store's vhosts / server blocks name.
fn configured(ctx: &Context) -> Vec<Configured> {
    let root = &ctx.install.root;
    let mut out = Vec::new();
    for c in &ctx.server().configs {
        match c.kind {
            Kind::Nginx => {
                for s in ng::store_servers(c, root, None, None) {
                    out.extend(discover::nginx(s.node, s.http));
                }
            }
            Kind::Apache => {
                let m = ap::Modules::of(c);
                for v in ap::store_vhosts(c, &m, root, None, None) {
                    out.extend(discover::apache(c, v.node));
                }
            }
        }
    }
    out
}

/// Read the logs and make the findings.
pub fn analyse(ctx: Option<&Context>, req: &LogsRequest<'_>) -> Result<Analysis, FormatError> {
    let (paths, found_by, configured_format) = access_logs(ctx, req);
    let format = req.log_format.clone().or(configured_format);
    let custom = format.as_deref().map(Compiled::new).transpose()?;
    let index: Option<RouteIndex> =
        ctx.map(|c| crate::store::webapi::load_routes(&c.install.modules).0);
    let index = index.filter(|i| !i.is_empty());
    let codes = ctx.map(|c| c.config.scopes.codes()).unwrap_or_default();
    let defaults = ScanOptions::default();
    let opts = ScanOptions {
        since: req.since,
        until: req.until,
        routes: index.as_ref(),
        store_codes: &codes,
        custom: custom.as_ref(),
        threads: req.threads.unwrap_or(defaults.threads),
        tail_bytes: req.tail_bytes,
        chunk: defaults.chunk,
        progress: req.progress,
    };
    let access = scan::scan(&paths, &opts);
    let magento = match ctx {
        Some(c) => {
            let root = &c.install.root;
            let mut logs = Vec::new();
            for l in discover::MAGENTO_LOGS {
                logs.extend(discover::rotated(&root.join(l)));
            }
            let dirs: Vec<PathBuf> = discover::REPORT_DIRS.iter().map(|d| root.join(d)).collect();
            magento::scan(&logs, &dirs, req.since, req.until, req.tail_bytes)
        }
        None => MagentoScan::default(),
    };
    let mut a = Analysis {
        access,
        magento,
        found_by,
        folding: if index.is_some() {
            "store-routes"
        } else {
            "path-shape"
        },
        since: req.since,
        until: req.until,
        brute_rule: req.brute,
        ..Analysis::default()
    };
    a.brute = brute_force(&a.access.agg, req.brute);
    if paths.is_empty() {
        a.skipped.push(Skipped {
            check: "access-logs".into(),
            reason: "no access log found: give one with logs:scan --access-log FILE, or the web server's configuration with --server-config".into(),
        });
    }
    let root = ctx.map(|c| c.install.root.clone());
    a.findings = findings(&a, root.as_deref());
    Ok(a)
}

/// The clients whose failed token requests reach the threshold within the window.
pub fn brute_force(agg: &scan::Aggregate, rule: BruteForce) -> Vec<BruteClient> {
    let mut per: HashMap<&str, Vec<(i64, u32)>> = HashMap::new();
    for ((c, m), n) in &agg.token_by_client_minute {
        per.entry(c.as_str()).or_default().push((*m, *n));
    }
    let w = rule.window_minutes.max(1);
    let mut out = Vec::new();
    for (client, mut mins) in per {
        mins.sort_unstable();
        let total: u64 = mins.iter().map(|(_, n)| u64::from(*n)).sum();
        let (mut best, mut best_start, mut sum, mut lo) = (0u64, 0i64, 0u64, 0usize);
        for hi in 0..mins.len() {
            sum += u64::from(mins[hi].1);
            while mins[hi].0 - mins[lo].0 >= w {
                sum -= u64::from(mins[lo].1);
                lo += 1;
            }
            if sum > best {
                best = sum;
                best_start = mins[lo].0 * 60;
            }
        }
        if best >= rule.threshold {
            out.push(BruteClient {
                client: client.to_string(),
                count: best,
                window_start: best_start,
                total,
            });
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.client.cmp(&b.client)));
    out
}

/// `(key, value)` pairs sorted most first, ties by key.
pub fn top<V: Copy + Ord, K: AsRef<str>>(
    items: impl Iterator<Item = (K, V)>,
    n: usize,
) -> Vec<(K, V)> {
    let mut v: Vec<(K, V)> = items.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_ref().cmp(b.0.as_ref())));
    v.truncate(n);
    v
}

/// RFC 3339 of Unix seconds.
pub fn rfc3339(t: i64) -> String {
    jiff::Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}

fn short(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn shown(p: &Path, root: Option<&Path>) -> String {
    match root.and_then(|r| p.strip_prefix(r).ok()) {
        Some(rel) => rel.display().to_string(),
        None => p.display().to_string(),
    }
}

fn findings(a: &Analysis, root: Option<&Path>) -> Vec<Finding> {
    let mut out = Vec::new();
    let agg = &a.access.agg;
    if agg.failures.count > 0 {
        let rest = agg
            .api_fails
            .get(&scan::Api::Rest)
            .copied()
            .unwrap_or_default();
        let other = agg.failures.count - rest.total();
        let mut title = format!(
            "Access logs: {} REST 401s, {} REST 403s",
            rest.s401, rest.s403
        );
        if other > 0 {
            title.push_str(&format!(" (+{other} GraphQL/SOAP)"));
        }
        let routes = top(
            agg.routes
                .iter()
                .map(|(k, r)| (k.as_str(), r.s401.count + r.s403.count))
                .filter(|(_, n)| *n > 0),
            5,
        );
        let clients = top(agg.clients.iter().map(|(k, s)| (k.as_str(), s.count)), 5);
        let mut detail = String::new();
        if let (Some(f), Some(l)) = (agg.failures.first, agg.failures.last) {
            detail.push_str(&format!("From {} to {}. ", rfc3339(f), rfc3339(l)));
        }
        let list = |v: &[(&str, u64)]| {
            v.iter()
                .map(|(k, n)| format!("{k} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        detail.push_str(&format!("Top failing routes: {}. ", list(&routes)));
        detail.push_str(&format!("Top failing clients: {}.", list(&clients)));
        if let Some((scheme, n)) = top(agg.schemes.iter().map(|(k, v)| (k.as_str(), *v)), 1).first()
        {
            detail.push_str(&format!(
                " Most failing requests carried {scheme} credentials ({n})."
            ));
        }
        let mut f = Finding::new(Code::LogAuthFailures, Severity::Warning)
            .title(title)
            .detail(detail)
            .fix(Fix {
                summary: "Diagnose the top failing route with the caller's credentials".into(),
                commands: routes
                    .first()
                    .map(|(k, _)| {
                        vec![format!(
                            "m2auth diagnose --request \"{k}\" --token <the caller's token>"
                        )]
                    })
                    .unwrap_or_default(),
                admin_path: None,
            });
        for (k, _) in &routes {
            if let Some(r) = agg.routes.get(*k) {
                let share = if r.requests > 0 {
                    (r.s401.count + r.s403.count) as f64 * 100.0 / r.requests as f64
                } else {
                    0.0
                };
                f = f.evidence(Evidence::other(
                    "log:access",
                    format!(
                        "{}: 401×{} 403×{} of {} ({share:.0}%)",
                        short(k, 40),
                        r.s401.count,
                        r.s403.count,
                        r.requests
                    ),
                ));
            }
        }
        for file in a.access.files.iter().filter(|f| f.lines > 0).take(5) {
            f = f.evidence(Evidence::other(
                format!("log:{}", shown(&file.path, root)),
                format!(
                    "{} lines, {} skipped ({})",
                    file.lines, file.skipped, file.format
                ),
            ));
        }
        out.push(f);
    }
    if !a.brute.is_empty() {
        let b = &a.brute[0];
        let mut f = Finding::new(Code::LogBruteForce, Severity::Warning)
            .title(format!(
                "{} failed token requests from {} within {} minutes",
                b.count, b.client, a.brute_rule.window_minutes
            ))
            .detail(format!(
                "{} client(s) sent at least {} failed POST /V1/integration/{{admin,customer}}/token requests within {} minutes: password guessing, or a script retrying with a wrong password (which also locks the account).",
                a.brute.len(),
                a.brute_rule.threshold,
                a.brute_rule.window_minutes
            ))
            .fix(Fix {
                summary: "Block the client at the firewall or web server, and unlock the accounts it locked".into(),
                commands: vec!["m2auth admin:user:unlock <username>".into()],
                admin_path: Some(
                    "Stores > Settings > Configuration > Advanced > Admin > Security (lockout); Customers > Customer Configuration > Password Options".into(),
                ),
            });
        for c in a.brute.iter().take(5) {
            f = f.evidence(Evidence::other(
                "log:access",
                format!(
                    "{}: {} failed token requests from {} ({} in all)",
                    c.client,
                    c.count,
                    rfc3339(c.window_start),
                    c.total
                ),
            ));
        }
        out.push(f);
    }
    let m = &a.magento;
    if m.auth_count > 0 {
        let near =
            |t: Option<i64>| match (t, a.access.agg.failures.first, a.access.agg.failures.last) {
                (Some(t), Some(f), Some(l)) => t >= f - 900 && t <= l + 900,
                _ => false,
            };
        let mut kinds: HashMap<magento::AuthKind, u64> = HashMap::new();
        for r in &m.auth {
            *kinds.entry(r.kind).or_default() += 1;
        }
        let mut kinds: Vec<_> = kinds.into_iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let near_n = m.auth.iter().filter(|r| near(r.time)).count();
        let ids: Vec<&str> = m
            .auth
            .iter()
            .filter_map(|r| r.report_id.as_deref())
            .take(5)
            .collect();
        let mut detail = format!(
            "{} record(s): {}.",
            m.auth_count,
            kinds
                .iter()
                .map(|(k, n)| format!("{} ({n})", k.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if a.access.agg.failures.count > 0 {
            detail.push_str(&format!(
                " {near_n} of them within 15 minutes of the access-log failures."
            ));
        }
        if !ids.is_empty() {
            detail.push_str(&format!(" Report ids: {}.", ids.join(", ")));
        }
        let mut f = Finding::new(Code::LogAuthException, Severity::Warning)
            .detail(detail)
            .fix(Fix {
                summary: "Read the records named below; a database error or a token reader error is fixed where it starts".into(),
                commands: vec!["tail -n 200 var/log/exception.log".into()],
                admin_path: None,
            });
        let mut shown_records: Vec<&magento::AuthRecord> = m.auth.iter().rev().collect();
        shown_records.sort_by_key(|r| !near(r.time));
        for r in shown_records.into_iter().take(5) {
            let source = match r.line {
                Some(l) => format!("log:{}:{l}", shown(&r.file, root)),
                None => format!("log:{}", shown(&r.file, root)),
            };
            f = f.evidence(Evidence::other(source, r.message.clone()));
        }
        out.push(f);
    }
    out
}

/// Step 7 in `diagnose`: the store's logs within the context's scope.
pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let (since, tail) = match ctx.logs {
        LogScope::Off => return,
        LogScope::Tail(bytes) => (None, Some(bytes)),
        LogScope::Since(t) => (Some(t), None),
    };
    let req = LogsRequest {
        since,
        tail_bytes: tail,
        ..LogsRequest::default()
    };
    match analyse(Some(ctx), &req) {
        Ok(a) => {
            if a.access.files.is_empty() {
                d.skip(
                    "access-logs",
                    "no access log named by the store's vhost was found (logs:scan --access-log FILE reads one)",
                );
            }
            d.findings.extend(a.findings);
        }
        Err(e) => d.skip("access-logs", e.to_string()),
    }
}

/// The watcher's counters (`logs:watch`), rendered as Prometheus metrics by
/// [`crate::report::logs::prometheus`].
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// (api, route, scheme, status, store) → failing requests.
    pub failures: std::collections::BTreeMap<(String, String, String, u16, String), u64>,
    /// (endpoint `admin`/`customer`, status) → failed token requests.
    pub token_failures: std::collections::BTreeMap<(String, u16), u64>,
    /// API requests by API.
    pub requests: std::collections::BTreeMap<String, u64>,
    /// Clients over the brute-force threshold in the last window.
    pub brute_force_clients: u64,
    /// Per followed file.
    pub files: std::collections::BTreeMap<String, FileMetrics>,
}

/// One followed file's health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileMetrics {
    pub lines: u64,
    pub skipped: u64,
    pub rotations: u64,
    pub truncations: u64,
    pub open: bool,
}

/// The most failure series a watcher keeps (past it, routes are counted as `(other)`).
pub const MAX_SERIES: usize = 5000;

impl Metrics {
    /// Count a failing request.
    pub fn failure(&mut self, f: &scan::Failure) {
        let mut key = (
            f.api.as_str().to_string(),
            f.route.clone(),
            f.scheme.clone(),
            f.status,
            f.store.clone(),
        );
        if !self.failures.contains_key(&key) && self.failures.len() >= MAX_SERIES {
            key.1 = scan::OTHER.to_string();
        }
        *self.failures.entry(key).or_default() += 1;
        if let Some(e) = f.token_endpoint {
            *self
                .token_failures
                .entry((e.to_string(), f.status))
                .or_default() += 1;
        }
    }
}

/// Failed token requests per client over a sliding window: how many clients are over the
/// brute-force threshold now.
#[derive(Debug, Default)]
pub struct BruteWindow {
    seen: HashMap<String, std::collections::VecDeque<i64>>,
}

impl BruteWindow {
    /// Record a failed token request of `client` at `t`; returns the clients over the rule's
    /// threshold within the window ending at `now`.
    pub fn add(&mut self, client: &str, t: i64) {
        let q = self.seen.entry(client.to_string()).or_default();
        q.push_back(t);
        if q.len() > 100_000 {
            q.pop_front();
        }
    }

    pub fn over(&mut self, rule: BruteForce, now: i64) -> u64 {
        let from = now - rule.window_minutes * 60;
        self.seen.retain(|_, q| {
            while q.front().is_some_and(|t| *t < from) {
                q.pop_front();
            }
            !q.is_empty()
        });
        self.seen
            .values()
            .filter(|q| q.len() as u64 >= rule.threshold)
            .count() as u64
    }
}
