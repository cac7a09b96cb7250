//! `logs:scan`'s engine: read access logs in parallel (several files at once, a big plain file
//! in ranges split at line boundaries, gzip on its own thread), parse each line, and count
//! what matters for 401s into an [`Aggregate`] per worker, merged at the end. Memory stays
//! bounded whatever the input: read buffers of 1 MiB per worker, and every table has a cap
//! (past it, new keys go to an `(other)` row).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::magento::routes::RouteIndex;

use super::access::{self, Compiled, Format, Record, Scratch};
use super::read::{self, Range};

/// The key past a table's cap.
pub const OTHER: &str = "(other)";
const CAP_ROUTES: usize = 20_000;
const CAP_CLIENTS: usize = 100_000;
const CAP_SMALL: usize = 10_000;
const CAP_TOKEN: usize = 200_000;
const CAP_ROUTE_CACHE: usize = 100_000;

/// Which API a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Rest,
    Graphql,
    Soap,
}

impl Api {
    /// The API of a path (without its query), or `None` for the storefront, admin, assets.
    pub fn of(path: &[u8]) -> Option<Api> {
        // Most lines are storefront pages and assets: told apart by the second byte before any
        // comparison (each `starts_with` of an odd length is a memcmp call).
        // Fixed-size array comparisons (`first_chunk`) compile to a few integer compares.
        let p = match path.get(1) {
            Some(b'i') if path.first_chunk::<10>() == Some(b"/index.php") => &path[10..],
            Some(b'r' | b'g' | b's') => path,
            _ => return None,
        };
        if p.first_chunk::<6>() == Some(b"/rest/") {
            Some(Api::Rest)
        } else if p.first_chunk::<8>() == Some(b"/graphql") && matches!(p.get(8), None | Some(b'/'))
        {
            Some(Api::Graphql)
        } else if p.first_chunk::<5>() == Some(b"/soap") && matches!(p.get(5), None | Some(b'/')) {
            Some(Api::Soap)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Api::Rest => "rest",
            Api::Graphql => "graphql",
            Api::Soap => "soap",
        }
    }
}

/// How to scan.
#[derive(Clone, Copy)]
pub struct ScanOptions<'a> {
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// The store's REST routes, to fold paths into route patterns.
    pub routes: Option<&'a RouteIndex>,
    pub store_codes: &'a [String],
    /// A `log_format` / `LogFormat` string the files may be written in.
    pub custom: Option<&'a Compiled>,
    /// Worker threads.
    pub threads: usize,
    /// Read only the last this many bytes of each plain file (gzip files are skipped then).
    pub tail_bytes: Option<u64>,
    /// Plain files bigger than this are read in ranges of this size by several workers.
    pub chunk: u64,
    /// Told the bytes read, as they are read (a progress bar).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl Default for ScanOptions<'_> {
    fn default() -> Self {
        ScanOptions {
            since: None,
            until: None,
            routes: None,
            store_codes: &[],
            custom: None,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            tail_bytes: None,
            chunk: 16 << 20,
            progress: None,
        }
    }
}

/// One file read.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FileResult {
    pub path: PathBuf,
    pub format: String,
    pub gzip: bool,
    /// Bytes on disk.
    pub bytes: u64,
    /// Lines read (non-empty).
    pub lines: u64,
    /// Lines that are no record of the format (malformed, binary, longer than 16 MiB, cut).
    pub skipped: u64,
    /// Why the file was not read, or not to the end (a truncated gzip).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A count with first and last time seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Seen {
    pub count: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

impl Seen {
    fn add(&mut self, t: Option<i64>) {
        self.count += 1;
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    fn merge(&mut self, o: &Seen) {
        self.count += o.count;
        for t in [o.first, o.last].into_iter().flatten() {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
}

/// One route pattern's requests.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RouteStat {
    pub api: Option<Api>,
    /// Whether the store's route index knows the route (`None`: no index, folded by shape).
    pub known: Option<bool>,
    pub requests: u64,
    pub s401: Seen,
    pub s403: Seen,
}

/// 401 and 403 counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Fails {
    pub s401: u64,
    pub s403: u64,
}

impl Fails {
    pub fn total(&self) -> u64 {
        self.s401 + self.s403
    }
    fn add(&mut self, status: u16) {
        if status == 401 {
            self.s401 += 1;
        } else {
            self.s403 += 1;
        }
    }
    fn merge(&mut self, o: &Fails) {
        self.s401 += o.s401;
        self.s403 += o.s403;
    }
}

/// Everything counted.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    /// Records counted (in the time range).
    pub requests: u64,
    /// Records outside `--since`/`--until` (or without a readable time when a range is set).
    pub outside: u64,
    /// Requests per API.
    pub api_requests: HashMap<Api, u64>,
    pub api_fails: HashMap<Api, Fails>,
    /// Route pattern (`GET /V1/products/:sku`) → its requests and failures.
    pub routes: HashMap<String, RouteStat>,
    /// Failing API requests by client.
    pub clients: HashMap<String, Seen>,
    pub agents: HashMap<String, u64>,
    pub schemes: HashMap<String, u64>,
    pub stores: HashMap<String, u64>,
    /// Failing API requests per minute (Unix minute → counts).
    pub minutes: HashMap<i64, Fails>,
    /// Failed token requests (`POST /V1/integration/{admin,customer}/token`).
    pub token_failures: Seen,
    /// (client, minute) → failed token requests.
    pub token_by_client_minute: HashMap<(String, i64), u32>,
    /// All failing API requests.
    pub failures: Seen,
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u64>, key: K, other: K, cap: usize) {
    if let Some(v) = map.get_mut(&key) {
        *v += 1;
    } else if map.len() < cap {
        map.insert(key, 1);
    } else {
        *map.entry(other).or_default() += 1;
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Aggregate {
    pub fn merge(&mut self, o: Aggregate) {
        self.requests += o.requests;
        self.outside += o.outside;
        for (k, v) in o.api_requests {
            *self.api_requests.entry(k).or_default() += v;
        }
        for (k, v) in o.api_fails {
            self.api_fails.entry(k).or_default().merge(&v);
        }
        for (k, v) in o.routes {
            let r = self.routes.entry(k).or_default();
            r.api = r.api.or(v.api);
            r.known = r.known.or(v.known);
            r.requests += v.requests;
            r.s401.merge(&v.s401);
            r.s403.merge(&v.s403);
        }
        for (k, v) in o.clients {
            self.clients.entry(k).or_default().merge(&v);
        }
        for (k, v) in o.agents {
            *self.agents.entry(k).or_default() += v;
        }
        for (k, v) in o.schemes {
            *self.schemes.entry(k).or_default() += v;
        }
        for (k, v) in o.stores {
            *self.stores.entry(k).or_default() += v;
        }
        for (k, v) in o.minutes {
            self.minutes.entry(k).or_default().merge(&v);
        }
        self.token_failures.merge(&o.token_failures);
        for (k, v) in o.token_by_client_minute {
            *self.token_by_client_minute.entry(k).or_default() += v;
        }
        self.failures.merge(&o.failures);
    }

    /// REST requests answered `status`.
    pub fn rest(&self, status: u16) -> u64 {
        let f = self.api_fails.get(&Api::Rest).copied().unwrap_or_default();
        if status == 401 { f.s401 } else { f.s403 }
    }
}

/// What [`scan`] found.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    pub files: Vec<FileResult>,
    pub agg: Aggregate,
}

/// The store code of a REST path (`/rest/default/V1/...` → `default`; none → `default`, the
/// default store view; `all` → `all`).
fn store_code(path: &[u8]) -> &[u8] {
    let p = path.strip_prefix(b"/index.php").unwrap_or(path);
    let Some(rest) = p.strip_prefix(b"/rest/") else {
        return b"";
    };
    let first = rest.split(|c| *c == b'/').next().unwrap_or(b"");
    let is_version =
        first.len() >= 2 && first[0] == b'V' && first[1..].iter().all(u8::is_ascii_digit);
    let next_is_version = rest
        .split(|c| *c == b'/')
        .nth(1)
        .is_some_and(|s| s.len() >= 2 && s[0] == b'V' && s[1..].iter().all(u8::is_ascii_digit));
    if is_version || first == b"async" || (!next_is_version && first != b"all") {
        b"default"
    } else {
        first
    }
}

/// A REST path folded by its shape when no route of the store matches: the store code
/// dropped, numbers as `:id`, long or encoded values as `:value`.
fn fold_by_shape(method: &str, path: &[u8]) -> String {
    let p = path.strip_prefix(b"/index.php").unwrap_or(path);
    let rest = p.strip_prefix(b"/rest").unwrap_or(p);
    let mut segs: Vec<&[u8]> = rest
        .split(|c| *c == b'/')
        .filter(|s| !s.is_empty())
        .collect();
    if segs.len() > 1 {
        let f = segs[0];
        let is_version = f.len() >= 2 && f[0] == b'V' && f[1..].iter().all(u8::is_ascii_digit);
        if !is_version && f != b"async" {
            segs.remove(0);
        }
    }
    let mut out = String::with_capacity(rest.len() + 8);
    out.push_str(method);
    out.push(' ');
    for s in segs.iter().take(12) {
        out.push('/');
        if s.iter().all(u8::is_ascii_digit) {
            out.push_str(":id");
        } else if s.len() > 40 || s.contains(&b'%') || s.contains(&b'@') || s.contains(&b'.') {
            out.push_str(":value");
        } else {
            out.push_str(&String::from_utf8_lossy(s));
        }
    }
    if segs.is_empty() {
        out.push('/');
    }
    out
}

/// The token endpoints.
pub fn is_token_endpoint(method: &[u8], path: &[u8]) -> bool {
    if !method.eq_ignore_ascii_case(b"POST") {
        return false;
    }
    path.ends_with(b"/V1/integration/admin/token")
        || path.ends_with(b"/V1/integration/customer/token")
}

/// A failing API request, as `logs:watch` counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub api: Api,
    pub route: String,
    /// `bearer`, `oauth`, `basic`… or `unknown` when the log does not say.
    pub scheme: String,
    pub status: u16,
    /// The REST store code (`default` when none), empty for GraphQL/SOAP.
    pub store: String,
    pub client: String,
    /// `admin` / `customer` for a failed token request.
    pub token_endpoint: Option<&'static str>,
    pub time: Option<i64>,
}

/// What a line was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// No record of the format.
    Skipped,
    /// Counted; a failing API request with its details.
    Counted(Option<Failure>),
}

/// One worker's state.
struct Worker<'a> {
    details: bool,
    opts: ScanOptions<'a>,
    agg: Aggregate,
    /// `METHOD path` → index into `routes`, for REST paths seen before.
    cache: HashMap<Vec<u8>, usize, foldhash::fast::RandomState>,
    /// The route patterns counted so far (moved into `agg.routes` by [`Worker::finish`]).
    routes: Vec<(String, RouteStat)>,
    route_ids: HashMap<String, usize>,
    scratch: Scratch,
    key_buf: Vec<u8>,
}

impl<'a> Worker<'a> {
    fn new(opts: ScanOptions<'a>) -> Self {
        Worker {
            details: false,
            opts,
            agg: Aggregate::default(),
            cache: HashMap::default(),
            routes: Vec::new(),
            route_ids: HashMap::new(),
            scratch: Scratch::default(),
            key_buf: Vec::new(),
        }
    }

    /// The index in `routes` of a route key (a new row; past the cap, the `(other)` row).
    fn route_id(&mut self, key: String, known: Option<bool>) -> usize {
        if let Some(&i) = self.route_ids.get(&key) {
            return i;
        }
        let key = if self.routes.len() >= CAP_ROUTES {
            OTHER.to_string()
        } else {
            key
        };
        if let Some(&i) = self.route_ids.get(&key) {
            return i;
        }
        self.routes.push((
            key.clone(),
            RouteStat {
                known,
                ..RouteStat::default()
            },
        ));
        self.route_ids.insert(key, self.routes.len() - 1);
        self.routes.len() - 1
    }

    /// The route of an API request, as an index in `routes`.
    fn route(&mut self, api: Api, method: &[u8], path: &[u8], target: &[u8]) -> usize {
        if api == Api::Rest {
            self.key_buf.clear();
            self.key_buf.extend_from_slice(method);
            self.key_buf.push(b' ');
            self.key_buf.extend_from_slice(path);
            if let Some(&i) = self.cache.get(&self.key_buf) {
                return i;
            }
        }
        let (key, known) = self.route_key(api, method, path, target);
        let id = self.route_id(key, known);
        if api == Api::Rest {
            if self.cache.len() >= CAP_ROUTE_CACHE {
                self.cache.clear();
            }
            self.cache.insert(self.key_buf.clone(), id);
        }
        id
    }

    /// Move the routes counted into the aggregate.
    fn finish(&mut self) {
        self.cache.clear();
        self.route_ids.clear();
        for (k, v) in self.routes.drain(..) {
            let r = self.agg.routes.entry(k).or_default();
            r.api = r.api.or(v.api);
            r.known = r.known.or(v.known);
            r.requests += v.requests;
            r.s401.merge(&v.s401);
            r.s403.merge(&v.s403);
        }
    }

    fn route_key(
        &self,
        api: Api,
        method: &[u8],
        path: &[u8],
        target: &[u8],
    ) -> (String, Option<bool>) {
        let m = String::from_utf8_lossy(method).to_ascii_uppercase();
        match api {
            Api::Graphql => return (format!("{m} /graphql"), None),
            Api::Soap => {
                // The services asked for: `?services=catalogProductRepositoryV1`.
                let q = target.split(|c| *c == b'?').nth(1).unwrap_or(b"");
                let services = q
                    .split(|c| *c == b'&')
                    .find_map(|kv| kv.strip_prefix(b"services="))
                    .map(|s| String::from_utf8_lossy(s).into_owned());
                return match services {
                    Some(s) if s.len() <= 200 => (format!("{m} /soap?services={s}"), None),
                    _ => (format!("{m} /soap"), None),
                };
            }
            Api::Rest => {}
        }
        match self.opts.routes {
            Some(index) => {
                let p = String::from_utf8_lossy(path);
                // A store code the store's scopes do not list (no database read) is taken
                // as one when the rest of the path matches a route.
                let found = index.match_path(&m, &p, self.opts.store_codes).or_else(|| {
                    let code = std::str::from_utf8(store_code(path)).ok()?;
                    let prefix = if p.starts_with("/index.php/") {
                        "/index.php/rest/"
                    } else {
                        "/rest/"
                    };
                    let rest = p.strip_prefix(prefix)?.strip_prefix(code)?;
                    (rest.starts_with('/') && !code.is_empty())
                        .then(|| index.match_path(&m, &format!("/rest{rest}"), &[]))
                        .flatten()
                });
                match found {
                    Some(i) => (format!("{m} {}", index.routes()[i].url), Some(true)),
                    None => (fold_by_shape(&m, path), Some(false)),
                }
            }
            None => (fold_by_shape(&m, path), None),
        }
    }

    /// Count one line; `false` when it is no record of the format.
    fn line(&mut self, format: &Format, line: &[u8]) -> bool {
        self.line_outcome(format, line) != LineOutcome::Skipped
    }

    fn line_outcome(&mut self, format: &Format, line: &[u8]) -> LineOutcome {
        let record = match format {
            // No scratch strings: moving them out and back for every line was a tenth of the
            // time of a combined log.
            Format::Combined => access::combined(line),
            Format::Custom(c) => c.parse(line),
            Format::Json => {
                let mut scratch = std::mem::take(&mut self.scratch);
                let out = match access::json(line, &mut scratch) {
                    Some(r) => LineOutcome::Counted(self.record(&r)),
                    None => LineOutcome::Skipped,
                };
                self.scratch = scratch;
                return out;
            }
        };
        match record {
            Some(r) => LineOutcome::Counted(self.record(&r)),
            None => LineOutcome::Skipped,
        }
    }

    fn record(&mut self, r: &Record<'_>) -> Option<Failure> {
        let ranged = self.opts.since.is_some() || self.opts.until.is_some();
        let mut time = None;
        if ranged {
            time = r.unix_time();
            match time {
                Some(t)
                    if self.opts.since.is_none_or(|s| t >= s)
                        && self.opts.until.is_none_or(|u| t <= u) => {}
                _ => {
                    self.agg.outside += 1;
                    return None;
                }
            }
        }
        self.agg.requests += 1;
        let path = r.path();
        let api = Api::of(path)?;
        *self.agg.api_requests.entry(api).or_default() += 1;
        let id = self.route(api, r.method, path, r.target);
        let failed = matches!(r.status, 401 | 403);
        let detail_key = (self.details && failed).then(|| self.routes[id].0.clone());
        let t = if failed && !ranged {
            r.unix_time()
        } else {
            time
        };
        let stat = &mut self.routes[id].1;
        stat.api = Some(api);
        stat.requests += 1;
        if !failed {
            return None;
        }
        if r.status == 401 {
            stat.s401.add(t);
        } else {
            stat.s403.add(t);
        }
        let agg = &mut self.agg;
        agg.api_fails.entry(api).or_default().add(r.status);
        agg.failures.add(t);
        let client = lossy(r.client);
        let token = (api == Api::Rest && is_token_endpoint(r.method, path)).then(|| {
            if path.ends_with(b"/admin/token") {
                "admin"
            } else {
                "customer"
            }
        });
        let failure = detail_key.map(|route| Failure {
            api,
            route,
            scheme: r
                .auth_scheme()
                .map_or_else(|| "unknown".to_string(), |s| lossy(s).to_ascii_lowercase()),
            status: r.status,
            store: if api == Api::Rest {
                lossy(store_code(path))
            } else {
                String::new()
            },
            client: client.clone(),
            token_endpoint: token,
            time: t,
        });
        let n = agg.clients.len();
        match agg.clients.get_mut(&client) {
            Some(s) => s.add(t),
            None if n < CAP_CLIENTS => agg.clients.entry(client.clone()).or_default().add(t),
            None => agg.clients.entry(OTHER.to_string()).or_default().add(t),
        }
        let ua = match r.user_agent() {
            b"" => b"-".as_slice(),
            ua => ua,
        };
        bump(
            &mut agg.agents,
            lossy(&ua[..ua.len().min(300)]),
            OTHER.into(),
            CAP_SMALL,
        );
        if let Some(s) = r.auth_scheme() {
            bump(&mut agg.schemes, lossy(s), OTHER.into(), CAP_SMALL);
        }
        if api == Api::Rest {
            bump(
                &mut agg.stores,
                lossy(store_code(path)),
                OTHER.into(),
                CAP_SMALL,
            );
        }
        if let Some(t) = t {
            agg.minutes
                .entry(t.div_euclid(60))
                .or_default()
                .add(r.status);
        }
        if token.is_some() {
            agg.token_failures.add(t);
            if let Some(t) = t {
                let k = (client, t.div_euclid(60));
                let n = agg.token_by_client_minute.len();
                if let Some(v) = agg.token_by_client_minute.get_mut(&k) {
                    *v += 1;
                } else if n < CAP_TOKEN {
                    agg.token_by_client_minute.insert(k, 1);
                }
            }
        }
        failure
    }
}

/// One piece of work.
#[derive(Debug, Clone)]
enum Task {
    Plain { file: usize, range: Range },
    Gzip { file: usize },
}

/// Per-file counters of one worker.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    lines: u64,
    skipped: u64,
}

/// The first bytes of a file (decompressed for gzip), for format detection.
fn sample(path: &Path, gz: bool, from: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut out = vec![0u8; 64 << 10];
    let mut n = 0;
    if gz {
        let mut r = read::GzReader::open(path)?;
        while n < out.len() {
            match r.read(&mut out[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
    } else {
        let mut f = std::fs::File::open(path)?;
        f.seek(SeekFrom::Start(from))?;
        while n < out.len() {
            match f.read(&mut out[n..])? {
                0 => break,
                k => n += k,
            }
        }
    }
    out.truncate(n);
    // From the first full line when reading from the middle.
    if from > 0
        && let Some(i) = memchr::memchr(b'\n', &out)
    {
        out.drain(..=i);
    }
    Ok(out)
}

/// Scan access logs (plain or gzip, any of the formats of [`access`]).
pub fn scan(paths: &[PathBuf], opts: &ScanOptions<'_>) -> ScanResult {
    let mut files: Vec<FileResult> = Vec::new();
    let mut formats: Vec<Format> = Vec::new();
    let mut tasks: Vec<(u64, Task)> = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let mut fr = FileResult {
            path: p.clone(),
            ..FileResult::default()
        };
        let meta = std::fs::metadata(p);
        let gz = read::is_gzip(p);
        let (meta, gz) = match (meta, gz) {
            (Ok(m), Ok(g)) if m.is_file() => (m, g),
            (Ok(_), Ok(_)) => {
                fr.problem = Some("not a regular file".into());
                files.push(fr);
                formats.push(Format::Combined);
                continue;
            }
            (Err(e), _) | (_, Err(e)) => {
                fr.problem = Some(e.to_string());
                files.push(fr);
                formats.push(Format::Combined);
                continue;
            }
        };
        fr.bytes = meta.len();
        fr.gzip = gz;
        let start = match opts.tail_bytes {
            Some(t) if !gz => fr.bytes.saturating_sub(t),
            _ => 0,
        };
        let format = match sample(p, gz, start) {
            Ok(s) => access::detect(&s, opts.custom),
            Err(e) => {
                fr.problem = Some(e.to_string());
                files.push(fr);
                formats.push(Format::Combined);
                continue;
            }
        };
        fr.format = format.name().to_string();
        formats.push(format);
        if gz {
            if opts.tail_bytes.is_some() {
                fr.problem =
                    Some("compressed: not read in the bounded tail (use --logs-since)".into());
            } else {
                tasks.push((fr.bytes * 4, Task::Gzip { file: i }));
            }
        } else {
            let mut s = start;
            while s < fr.bytes || (s == 0 && fr.bytes == 0) {
                let e = (s + opts.chunk).min(fr.bytes);
                tasks.push((
                    e - s,
                    Task::Plain {
                        file: i,
                        range: Range {
                            start: s,
                            end: (e < fr.bytes).then_some(e),
                        },
                    },
                ));
                if fr.bytes == 0 {
                    break;
                }
                s = e;
            }
        }
        files.push(fr);
    }
    // Biggest first, so the last tasks are small and the workers finish together.
    tasks.sort_by_key(|t| std::cmp::Reverse(t.0));
    let next = AtomicUsize::new(0);
    let problems: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let threads = opts.threads.max(1).min(tasks.len().max(1));
    let results: Vec<(Aggregate, Vec<Counts>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut w = Worker::new(*opts);
                    let mut counts = vec![Counts::default(); paths.len()];
                    let noop = |_: u64| {};
                    let progress: &dyn Fn(u64) = match opts.progress {
                        Some(p) => p,
                        None => &noop,
                    };
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some((_, task)) = tasks.get(k) else { break };
                        let (file, opened) = match task {
                            Task::Plain { file, range } => (
                                *file,
                                read::open_range(&paths[*file], *range).map(
                                    |(f, partial, limit)| {
                                        (Box::new(f) as Box<dyn std::io::Read>, partial, limit)
                                    },
                                ),
                            ),
                            Task::Gzip { file } => (
                                *file,
                                read::GzReader::open(&paths[*file])
                                    .map(|g| (Box::new(g) as Box<dyn std::io::Read>, false, None)),
                            ),
                        };
                        let (mut reader, partial, limit) = match opened {
                            Ok(o) => o,
                            Err(e) => {
                                problems
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .push((file, e.to_string()));
                                continue;
                            }
                        };
                        let format = &formats[file];
                        let mut bad = 0u64;
                        let (stats, err) = read::for_each_line(
                            &mut reader,
                            partial,
                            limit,
                            progress,
                            &mut |line| {
                                if !w.line(format, line) {
                                    bad += 1;
                                }
                            },
                        );
                        let c = &mut counts[file];
                        c.lines += stats.lines + stats.oversize + stats.cut;
                        c.skipped += bad + stats.oversize + stats.cut;
                        if let Some(e) = err {
                            let why = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                                "the compressed file ends early (truncated): read up to there"
                                    .to_string()
                            } else {
                                e.to_string()
                            };
                            problems
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push((file, why));
                        }
                    }
                    w.finish();
                    (w.agg, counts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut agg = Aggregate::default();
    for (a, counts) in results {
        agg.merge(a);
        for (i, c) in counts.into_iter().enumerate() {
            files[i].lines += c.lines;
            files[i].skipped += c.skipped;
        }
    }
    for (i, why) in problems.into_inner().unwrap_or_else(|p| p.into_inner()) {
        files[i].problem.get_or_insert(why);
    }
    ScanResult { files, agg }
}

/// Count lines of one file into a fresh worker (for `logs:watch`, which reads appended lines).
pub struct LineCounter<'a> {
    worker: Worker<'a>,
}

impl<'a> LineCounter<'a> {
    pub fn new(opts: ScanOptions<'a>) -> Self {
        let mut worker = Worker::new(opts);
        worker.details = true;
        LineCounter { worker }
    }

    /// Count one line: skipped, or counted with the details of a failing API request.
    pub fn line(&mut self, format: &Format, line: &[u8]) -> LineOutcome {
        self.worker.line_outcome(format, line)
    }

    /// What was counted since the last call (and start afresh).
    pub fn take(&mut self) -> Aggregate {
        self.worker.finish();
        std::mem::take(&mut self.worker.agg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_of_a_path() {
        for (path, api) in [
            (&b"/rest/V1/products"[..], Some(Api::Rest)),
            (b"/index.php/rest/default/V1/x", Some(Api::Rest)),
            (b"/graphql", Some(Api::Graphql)),
            (b"/index.php/graphql", Some(Api::Graphql)),
            (b"/soap/default", Some(Api::Soap)),
            (b"/soap", Some(Api::Soap)),
            (b"/static/version1/x.js", None),
            (b"/restaurant", None),
            (b"/graphqlx", None),
            (b"/index.php", None),
            (b"/", None),
            (b"", None),
        ] {
            assert_eq!(Api::of(path), api, "{}", String::from_utf8_lossy(path));
        }
    }

    #[test]
    fn store_codes_and_shapes() {
        assert_eq!(store_code(b"/rest/default/V1/x"), b"default");
        assert_eq!(store_code(b"/rest/V1/x"), b"default");
        assert_eq!(store_code(b"/rest/fr/V1/x"), b"fr");
        assert_eq!(store_code(b"/index.php/rest/all/V1/x"), b"all");
        assert_eq!(
            fold_by_shape("GET", b"/rest/de/V1/orders/123"),
            "GET /V1/orders/:id"
        );
        assert_eq!(
            fold_by_shape("GET", b"/rest/V1/customers/a@b.c"),
            "GET /V1/customers/:value"
        );
        assert!(is_token_endpoint(
            b"POST",
            b"/rest/default/V1/integration/admin/token"
        ));
        assert!(!is_token_endpoint(
            b"GET",
            b"/rest/V1/integration/admin/token"
        ));
    }
}
