//! `logs:scan` and `logs:watch`: the access logs and Magento's logs, for 401s and 403s.
//!
//! Without `--root` (and no Magento root at or above the current folder) they work on the
//! `--access-log` files alone: routes are folded by the shape of their path, and Magento's own
//! logs are not read.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::app::{Common, Error, Outcome, Result};
use crate::checks::logs::{self as step, BruteForce, BruteWindow, LogsRequest, Metrics};
use crate::context::Context;
use crate::mask::Masker;
use crate::progress::{Task, Unit};
use crate::report::document::Kind;
use crate::report::logs::{self as render, Table};
use crate::report::{Format, Output};
use crate::store::logs::access::{self, Compiled, Format as LineFormat};
use crate::store::logs::follow::Follower;
use crate::store::logs::scan::{LineCounter, LineOutcome, ScanOptions};

/// `logs:scan`.
#[derive(Clone)]
pub struct ScanConfig {
    pub common: Common,
    /// `--access-log` files (globs already expanded).
    pub access_logs: Vec<PathBuf>,
    pub log_format: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Rows per table in the text, HTML and Markdown reports.
    pub top: usize,
    /// The table `--format csv` prints.
    pub table: Table,
    pub threads: Option<usize>,
    pub brute: BruteForce,
}

/// The store, when there is one: the given root (an error when it cannot be read), else the
/// nearest at or above the current folder (none is fine: the given files alone are read).
fn store(common: &Common) -> Result<Option<Context>> {
    if common.root.is_some() {
        return Ok(Some(common.load(None)?));
    }
    match common.find_root() {
        Ok(root) => Ok(Some(common.load_at(root, None)?)),
        Err(_) => Ok(None),
    }
}

fn masker(ctx: Option<&Context>, common: &Common) -> Masker {
    let mut m = ctx.map(|c| c.masker.clone()).unwrap_or_default();
    for s in &common.secrets {
        m.add(s);
    }
    m
}

/// `logs:scan`.
pub fn scan(c: &ScanConfig) -> Result<Outcome> {
    let ctx = store(&c.common)?;
    let mut req = LogsRequest {
        access_logs: c.access_logs.clone(),
        log_format: c.log_format.clone(),
        since: c.since,
        until: c.until,
        usual_places: true,
        threads: c.threads,
        brute: c.brute,
        ..LogsRequest::default()
    };
    let progress = c.common.progress.get();
    let (paths, _, _) = step::access_logs(ctx.as_ref(), &req);
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let task = Task::start(
        progress,
        "reading the access logs",
        Some(total),
        Unit::Bytes,
    );
    let tick = |n: u64| progress.advance(n);
    req.progress = Some(&tick);
    let analysis = step::analyse(ctx.as_ref(), &req).map_err(|e| Error::Usage(e.to_string()))?;
    drop(task);
    let given_unreadable = !c.access_logs.is_empty()
        && analysis
            .access
            .files
            .iter()
            .all(|f| f.problem.is_some() && f.lines == 0);
    if given_unreadable {
        let why: Vec<String> = analysis
            .access
            .files
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.path.display(),
                    f.problem.as_deref().unwrap_or("")
                )
            })
            .collect();
        return Err(Error::Failed(format!(
            "no --access-log could be read ({})",
            why.join("; ")
        )));
    }
    let root = ctx.as_ref().map(|x| x.install.root.clone());
    let output = match c.common.format {
        Format::Json => Output::Json(render::to_json(&analysis, root.as_deref())),
        Format::Csv => Output::Text(render::to_csv(&analysis, c.table)),
        Format::Text => Output::Text(render::to_text(&analysis, c.top, &c.common.style)),
        Format::Html | Format::Markdown => Output::Text(crate::report::logs_doc::render(
            if c.common.format == Format::Html {
                Kind::Html
            } else {
                Kind::Markdown
            },
            render::to_json(&analysis, root.as_deref()),
            &masker(ctx.as_ref(), &c.common),
            c.top,
        )),
        Format::Jsonl => {
            return Err(Error::Usage(
                "logs:scan writes text, json, csv, html or markdown".into(),
            ));
        }
    };
    let code = i32::from(crate::findings::root_cause(&analysis.findings).is_some());
    Ok(Outcome {
        output,
        code,
        masker: masker(ctx.as_ref(), &c.common),
    })
}

/// `logs:watch`.
#[derive(Clone)]
pub struct WatchConfig {
    pub common: Common,
    pub access_logs: Vec<PathBuf>,
    pub log_format: Option<String>,
    /// `--metrics-listen`.
    pub listen: String,
    pub poll: Duration,
    /// Read what the files already hold too (else start at their end).
    pub from_start: bool,
    pub brute: BruteForce,
    /// Stop after this long (tests, one-off runs); `None`: until killed.
    pub duration: Option<Duration>,
}

/// Follow the logs and serve their counters; returns only with `duration` (or on an error).
pub fn watch(c: &WatchConfig) -> Result<Outcome> {
    let ctx = store(&c.common)?;
    let req = LogsRequest {
        access_logs: c.access_logs.clone(),
        usual_places: true,
        ..LogsRequest::default()
    };
    let (paths, _, configured_format) = step::access_logs(ctx.as_ref(), &req);
    // Follow the live files, not their rotated copies.
    let paths: Vec<PathBuf> = if c.access_logs.is_empty() {
        paths
            .into_iter()
            .filter(|p| {
                let n = p.to_string_lossy();
                let rotated = n.ends_with(".gz")
                    || n.rsplit('.')
                        .next()
                        .is_some_and(|x| x.parse::<u64>().is_ok());
                !rotated
            })
            .collect()
    } else {
        paths
    };
    if paths.is_empty() {
        return Err(Error::Usage(
            "no access log to follow: give one with --access-log FILE".into(),
        ));
    }
    let custom = c
        .log_format
        .clone()
        .or(configured_format)
        .as_deref()
        .map(Compiled::new)
        .transpose()
        .map_err(|e| Error::Usage(e.to_string()))?;
    let index = ctx
        .as_ref()
        .map(|x| crate::store::webapi::load_routes(&x.install.modules).0)
        .filter(|i| !i.is_empty());
    let codes = ctx
        .as_ref()
        .map(|x| x.config.scopes.codes())
        .unwrap_or_default();
    let masker = masker(ctx.as_ref(), &c.common);
    // Positioned before anything is said: what is appended after the message is counted.
    let mut followers: Vec<(Follower, Option<LineFormat>, String)> = paths
        .iter()
        .map(|p| {
            (
                Follower::new(p, c.from_start),
                None,
                p.display().to_string(),
            )
        })
        .collect();
    let listener = crate::live::metrics::bind(&c.listen).map_err(|e| Error::Io {
        what: format!("--metrics-listen {}", c.listen),
        source: e,
    })?;
    let local = listener.local_addr().map_err(|e| Error::Io {
        what: "the metrics socket".into(),
        source: e,
    })?;
    (c.common.warn)(&format!(
        "following {} file(s); metrics at http://{local}/metrics",
        paths.len()
    ));
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    {
        let m = Arc::clone(&metrics);
        let masker = masker.clone();
        crate::live::metrics::serve(listener, move || {
            let text = render::prometheus(&m.lock().unwrap_or_else(|p| p.into_inner()));
            masker.scrub(&text)
        })
        .map_err(|e| Error::Io {
            what: "cannot start the metrics server".into(),
            source: e,
        })?;
    }
    let opts = ScanOptions {
        routes: index.as_ref(),
        store_codes: &codes,
        custom: custom.as_ref(),
        ..ScanOptions::default()
    };
    let mut counter = LineCounter::new(opts);
    let mut brute = BruteWindow::default();
    let started = std::time::Instant::now();
    loop {
        for (f, format, name) in &mut followers {
            let mut lines: Vec<Vec<u8>> = Vec::new();
            let _ = f.poll(&mut |l| lines.push(l.to_vec()));
            if format.is_none() && !lines.is_empty() {
                let sample: Vec<u8> = lines
                    .iter()
                    .take(50)
                    .flat_map(|l| {
                        let mut v = l.clone();
                        v.push(b'\n');
                        v
                    })
                    .collect();
                *format = Some(access::detect(&sample, custom.as_ref()));
            }
            let mut m = metrics.lock().unwrap_or_else(|p| p.into_inner());
            let fm = m.files.entry(name.clone()).or_default();
            fm.open = f.is_open();
            fm.rotations = f.rotations;
            fm.truncations = f.truncations;
            let Some(fmt) = format.as_ref() else { continue };
            let mut skipped = 0;
            let n = lines.len() as u64;
            let mut fails = Vec::new();
            for l in &lines {
                match counter.line(fmt, l) {
                    LineOutcome::Skipped => skipped += 1,
                    LineOutcome::Counted(Some(fail)) => fails.push(fail),
                    LineOutcome::Counted(None) => {}
                }
            }
            let fm = m.files.entry(name.clone()).or_default();
            fm.lines += n + f.oversize;
            fm.skipped += skipped + f.oversize;
            f.oversize = 0;
            let agg = counter.take();
            for (api, k) in agg.api_requests {
                *m.requests.entry(api.as_str().to_string()).or_default() += k;
            }
            let now = jiff::Timestamp::now().as_second();
            for fail in &fails {
                m.failure(fail);
                if fail.token_endpoint.is_some() {
                    // The time it was read: the window is about what happens now.
                    brute.add(&fail.client, now);
                }
            }
        }
        {
            let now = jiff::Timestamp::now().as_second();
            let mut m = metrics.lock().unwrap_or_else(|p| p.into_inner());
            m.brute_force_clients = brute.over(c.brute, now);
        }
        if c.duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        std::thread::sleep(c.poll);
    }
    let text = render::prometheus(&metrics.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(Outcome {
        output: Output::Text(text),
        code: 0,
        masker,
    })
}
