//! `logs:scan` and `logs:watch` on generated logs with known counts, in every format: combined,
//! common, vhost_combined, an nginx `log_format`, an Apache `LogFormat`, JSON lines; gzip,
//! rotated copies, malformed and binary lines, a truncated gzip, lines over 1 MB and over the
//! 16 MiB limit, mixed line endings, IPv6 clients, request lines with spaces and quotes. The
//! expected counts come from the generated records themselves (never from parsing the output),
//! or, for the truncated gzip, from `gzip -dc`. The watcher is followed through appends, a
//! rename rotation and a copytruncate, and its metrics are scraped over HTTP and read with a
//! real Prometheus text-format parser (Python's prometheus_client; promtool when installed).

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::FixtureStore;
use crate::lab::report::run_json_doc;

/// A deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

/// One generated request.
#[derive(Debug, Clone)]
struct Req {
    client: String,
    time: i64,
    method: &'static str,
    /// The path with its query, as logged.
    target: String,
    status: u16,
    agent: String,
    /// The route pattern the path folds to by shape (no store).
    route: String,
}

const T0: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

fn requests(seed: u64, n: usize) -> Vec<Req> {
    let mut r = Rng(seed);
    let clients = [
        "203.0.113.9",
        "198.51.100.23",
        "2001:db8::1",
        "2001:db8:85a3::8a2e:370:7334",
        "192.0.2.77",
        "::1",
    ];
    let agents = [
        "curl/8.4.0",
        "python-requests/2.31",
        "Mozilla/5.0 (X11; Linux x86_64)",
    ];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let kind = r.below(10);
        let id = r.below(900) + 1;
        let (method, target, route) = match kind {
            0 | 1 => (
                "GET",
                format!("/rest/default/V1/orders/{id}"),
                "GET /V1/orders/:id".to_string(),
            ),
            2 => (
                "POST",
                "/rest/V1/integration/admin/token".to_string(),
                "POST /V1/integration/admin/token".to_string(),
            ),
            3 => (
                "GET",
                "/rest/de/V1/customers/me?x=1".to_string(),
                "GET /V1/customers/me".to_string(),
            ),
            4 => (
                "PUT",
                format!("/index.php/rest/all/V1/carts/{id}/items"),
                "PUT /V1/carts/:id/items".to_string(),
            ),
            5 => ("POST", "/graphql".to_string(), "POST /graphql".to_string()),
            _ => (
                "GET",
                format!("/catalog/product/view/id/{id}"),
                String::new(),
            ),
        };
        let status = *r.pick(&[200u16, 200, 200, 401, 401, 403, 404, 500]);
        out.push(Req {
            client: r.pick(&clients).to_string(),
            time: T0 + i as i64 * 7,
            method,
            target,
            status,
            agent: r.pick(&agents).to_string(),
            route,
        });
    }
    out
}

fn clf_time(t: i64) -> String {
    let ts = jiff::Timestamp::from_second(t).unwrap();
    ts.strftime("%d/%b/%Y:%H:%M:%S +0000").to_string()
}

fn iso_time(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_string()
}

/// A line in a format.
fn line(fmt: &str, q: &Req) -> String {
    let request = format!("{} {} HTTP/1.1", q.method, q.target);
    match fmt {
        "combined" => format!(
            "{} - - [{}] \"{request}\" {} 512 \"-\" \"{}\"",
            q.client,
            clf_time(q.time),
            q.status,
            q.agent
        ),
        "common" => format!(
            "{} - - [{}] \"{request}\" {} 512",
            q.client,
            clf_time(q.time),
            q.status
        ),
        "vhost" => format!(
            "shop.test:443 {} - - [{}] \"{request}\" {} 512 \"-\" \"{}\"",
            q.client,
            clf_time(q.time),
            q.status,
            q.agent
        ),
        "nginx" => format!(
            "{} | {} | \"{request}\" | {} | rt=0.012 | \"{}\" | \"Bearer eyJabc.def.ghi\"",
            q.client,
            iso_time(q.time),
            q.status,
            q.agent
        ),
        "apache" => format!(
            "{} {} [{}] \"{request}\" {} \"{}\"",
            q.client,
            "shop.test",
            clf_time(q.time),
            q.status,
            q.agent
        ),
        "json" => serde_json::json!({
            "remote_addr": q.client,
            "time_iso8601": iso_time(q.time),
            "request": request,
            "status": q.status.to_string(),
            "http_user_agent": q.agent,
        })
        .to_string(),
        _ => unreachable!(),
    }
}

const NGINX_FORMAT: &str = r#"$remote_addr | $time_iso8601 | "$request" | $status | rt=$request_time | "$http_user_agent" | "$http_authorization""#;
const APACHE_FORMAT: &str = r#"%h %v %t \"%r\" %>s \"%{User-Agent}i\""#;

/// What logs:scan must report for these requests.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    rest_401: u64,
    rest_403: u64,
    graphql_401: u64,
    requests: u64,
    /// route → (401, 403)
    routes: BTreeMap<String, (u64, u64)>,
    /// client → failures
    clients: BTreeMap<String, u64>,
    token_failures: u64,
}

fn expected<'a>(reqs: impl IntoIterator<Item = &'a Req>) -> Expected {
    let mut e = Expected::default();
    for q in reqs {
        e.requests += 1;
        if q.route.is_empty() || !matches!(q.status, 401 | 403) {
            continue;
        }
        let rest = q.target.contains("/rest/");
        match (rest, q.status) {
            (true, 401) => e.rest_401 += 1,
            (true, _) => e.rest_403 += 1,
            (false, 401) => e.graphql_401 += 1,
            _ => {}
        }
        let r = e.routes.entry(q.route.clone()).or_default();
        if q.status == 401 {
            r.0 += 1;
        } else {
            r.1 += 1;
        }
        *e.clients.entry(q.client.clone()).or_default() += 1;
        if q.route == "POST /V1/integration/admin/token" {
            e.token_failures += 1;
        }
    }
    e
}

fn got(doc: &Value) -> Expected {
    let t = &doc["totals"];
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"));
    let mut e = Expected {
        rest_401: n(&t["rest_401"]),
        rest_403: n(&t["rest_403"]),
        graphql_401: n(&t["graphql_401"]),
        requests: n(&t["requests"]),
        token_failures: n(&t["token_failures"]),
        ..Expected::default()
    };
    for r in doc["by_route"].as_array().unwrap() {
        e.routes.insert(
            r["key"].as_str().unwrap().to_string(),
            (n(&r["status_401"]), n(&r["status_403"])),
        );
        assert_eq!(n(&r["count"]), n(&r["status_401"]) + n(&r["status_403"]));
    }
    for c in doc["by_client"].as_array().unwrap() {
        e.clients
            .insert(c["key"].as_str().unwrap().to_string(), n(&c["count"]));
    }
    e
}

fn scan(args: &[&str], cwd: &Path) -> Value {
    let mut all = vec!["logs:scan", "--format", "json", "--quiet"];
    all.extend_from_slice(args);
    let (code, doc, stderr) = run_json_doc(&all, cwd);
    assert_eq!(code, 0, "{stderr}\n{doc:#}");
    doc
}

fn write(path: &Path, lines: &[String], crlf_every: usize) {
    let mut s = String::new();
    for (i, l) in lines.iter().enumerate() {
        s.push_str(l);
        s.push_str(if crlf_every > 0 && i % crlf_every == 0 {
            "\r\n"
        } else {
            "\n"
        });
    }
    std::fs::write(path, s).unwrap();
}

fn gzip(path: &Path, data: &[u8]) {
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    e.write_all(data).unwrap();
    e.finish().unwrap();
}

fn file_entry<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in {:#}", doc["files"]))
}

#[test]
fn every_format_counts_exactly_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests(42, 3000);
    let bad = [
        "garbage".to_string(),
        "\u{16}\u{3}\u{1}\u{0}binary TLS hello".to_string(),
        "1.2.3.4 - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" abc 5".to_string(),
    ];
    for (fmt, extra) in [
        ("combined", vec![]),
        ("common", vec![]),
        ("vhost", vec![]),
        ("json", vec![]),
        ("nginx", vec!["--log-format", NGINX_FORMAT]),
        ("apache", vec!["--log-format", APACHE_FORMAT]),
    ] {
        let mut lines: Vec<String> = reqs.iter().map(|q| line(fmt, q)).collect();
        // Malformed and binary lines spread through the file.
        for (i, b) in bad.iter().enumerate() {
            lines.insert(100 + i * 997, b.clone());
        }
        let p = dir.path().join(format!("{fmt}.log"));
        write(&p, &lines, 3);
        let mut args = vec!["--access-log", p.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let doc = scan(&args, dir.path());
        let want = expected(&reqs);
        assert_eq!(got(&doc), want, "{fmt}");
        let f = file_entry(&doc, &format!("{fmt}.log"));
        assert_eq!(f["lines"], lines.len() as u64, "{fmt}");
        assert_eq!(f["skipped"], bad.len() as u64, "{fmt}");
        assert_eq!(doc["totals"]["lines"], lines.len() as u64);
        // The timeline holds every failure once.
        let sum: u64 = doc["timeline"]["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["status_401"].as_u64().unwrap() + b["status_403"].as_u64().unwrap())
            .sum();
        let failures: u64 = want.clients.values().sum();
        assert_eq!(sum, failures, "{fmt}");
        // A scheme only where the format logs the Authorization header.
        let schemes = doc["by_auth_scheme"].as_array().unwrap();
        if fmt == "nginx" {
            assert_eq!(schemes[0]["key"], "Bearer");
            assert_eq!(schemes[0]["count"].as_u64().unwrap(), failures);
        } else {
            assert!(schemes.is_empty(), "{fmt}: {schemes:?}");
        }
        // The token is never printed, only its scheme.
        assert!(!doc.to_string().contains("eyJabc"));
    }
}

#[test]
fn gzip_rotations_and_one_file_split_across_workers() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests(7, 30_000);
    let (a, rest) = reqs.split_at(10_000);
    let (b, c) = rest.split_at(10_000);
    let text = |rs: &[Req]| -> String { rs.iter().map(|q| line("combined", q) + "\n").collect() };
    std::fs::write(dir.path().join("access.log"), text(a)).unwrap();
    std::fs::write(dir.path().join("access.log.1"), text(b)).unwrap();
    gzip(&dir.path().join("access.log.2.gz"), text(c).as_bytes());
    // Concatenated gzip members (as `cat a.gz b.gz`) are read whole, like zcat does.
    let mut two = Vec::new();
    for part in [a, b] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text(part).as_bytes()).unwrap();
        two.extend(e.finish().unwrap());
    }
    std::fs::write(dir.path().join("members.gz"), two).unwrap();
    let glob = format!("{}/access.log*", dir.path().display());
    for threads in ["1", "2", "3"] {
        let doc = scan(&["--access-log", &glob, "--threads", threads], dir.path());
        assert_eq!(got(&doc), expected(&reqs), "threads {threads}");
        assert_eq!(doc["files"].as_array().unwrap().len(), 3);
        assert_eq!(file_entry(&doc, "access.log.2.gz")["gzip"], true);
    }
    let m = dir.path().join("members.gz");
    let doc = scan(&["--access-log", m.to_str().unwrap()], dir.path());
    assert_eq!(got(&doc), expected(a.iter().chain(b)));
}

#[test]
fn since_and_until_count_only_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests(9, 2000);
    let p = dir.path().join("access.log");
    write(
        &p,
        &reqs.iter().map(|q| line("combined", q)).collect::<Vec<_>>(),
        0,
    );
    let (lo, hi) = (T0 + 3000, T0 + 9000);
    let doc = scan(
        &[
            "--access-log",
            p.to_str().unwrap(),
            "--since",
            &iso_time(lo),
            "--until",
            &iso_time(hi),
        ],
        dir.path(),
    );
    let inside: Vec<&Req> = reqs
        .iter()
        .filter(|q| q.time >= lo && q.time <= hi)
        .collect();
    assert_eq!(got(&doc), expected(inside.iter().copied()));
    assert_eq!(
        doc["totals"]["outside_range"],
        (reqs.len() - inside.len()) as u64
    );
    // Relative to --now.
    let now = iso_time(T0 + 2000 * 7);
    let doc = scan(
        &[
            "--access-log",
            p.to_str().unwrap(),
            "--since",
            "1h",
            "--now",
            &now,
        ],
        dir.path(),
    );
    let inside: Vec<&Req> = reqs
        .iter()
        .filter(|q| q.time >= T0 + 2000 * 7 - 3600)
        .collect();
    assert_eq!(got(&doc), expected(inside.iter().copied()));
}

#[test]
fn long_lines_are_read_and_too_long_ones_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut reqs = requests(11, 200);
    // A 1.5 MB query string on a failing REST request: still a request.
    reqs[50].target = format!("/rest/V1/orders/5?q={}", "x".repeat(1_500_000));
    reqs[50].status = 401;
    reqs[50].route = "GET /V1/orders/:id".into();
    reqs[50].method = "GET";
    let mut lines: Vec<String> = reqs.iter().map(|q| line("combined", q)).collect();
    // Over the 16 MiB limit: counted as read and skipped, never buffered whole.
    let huge = format!(
        "1.2.3.4 - - [01/May/2024:10:00:00 +0000] \"GET /rest/V1/orders/1?{} HTTP/1.1\" 401 5",
        "y".repeat(17 << 20)
    );
    lines.insert(120, huge);
    let p = dir.path().join("access.log");
    write(&p, &lines, 2);
    let doc = scan(&["--access-log", p.to_str().unwrap()], dir.path());
    assert_eq!(got(&doc), expected(&reqs));
    assert_eq!(file_entry(&doc, "access.log")["lines"], lines.len() as u64);
    assert_eq!(file_entry(&doc, "access.log")["skipped"], 1);
}

#[test]
fn a_truncated_gzip_is_read_up_to_where_it_ends() {
    if Command::new("gzip").arg("--version").output().is_err() {
        eprintln!("skipped: gzip is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests(13, 20_000);
    let text: String = reqs.iter().map(|q| line("combined", q) + "\n").collect();
    let full = dir.path().join("full.gz");
    gzip(&full, text.as_bytes());
    let bytes = std::fs::read(&full).unwrap();
    let cut = dir.path().join("access.log.3.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10]).unwrap();
    // The independent count: what gzip itself gets out of the truncated file.
    let out = Command::new("gzip")
        .args(["-dc", cut.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "gzip should refuse the truncated file"
    );
    let complete = out.stdout.iter().filter(|b| **b == b'\n').count();
    let partial = usize::from(!out.stdout.ends_with(b"\n") && !out.stdout.is_empty());
    let doc = scan(&["--access-log", cut.to_str().unwrap()], dir.path());
    assert_eq!(got(&doc), expected(&reqs[..complete]));
    let f = file_entry(&doc, "access.log.3.gz");
    assert_eq!(f["lines"], (complete + partial) as u64);
    assert_eq!(f["skipped"], partial as u64);
    assert!(f["problem"].as_str().unwrap().contains("truncated"), "{f}");
}

#[test]
fn routes_fold_with_the_stores_route_index() {
    if crate::lab::reference_dir().is_none() {
        eprintln!("skipped: ../shared/magento-reference is not there");
        return;
    }
    let store = FixtureStore::new();
    store
        .env_php("<?php\nreturn ['crypt' => ['key' => '0123456789abcdef0123456789abcdef']];\n")
        .config_php(&[
            ("Magento_Store", true),
            ("Magento_Catalog", true),
            ("Magento_Integration", true),
        ])
        .vendor_module("Magento_Store", "magento/module-store")
        .vendor_module("Magento_Catalog", "magento/module-catalog")
        .vendor_module("Magento_Integration", "magento/module-integration");
    let lines = [
        r#"203.0.113.9 - - [01/May/2024:10:00:00 +0000] "GET /rest/default/V1/products/24-MB01 HTTP/1.1" 401 1 "-" "ua""#,
        r#"203.0.113.9 - - [01/May/2024:10:00:01 +0000] "GET /rest/V1/products/WS12-M-Orange HTTP/1.1" 401 1 "-" "ua""#,
        r#"203.0.113.9 - - [01/May/2024:10:00:02 +0000] "GET /rest/default/V1/products/abc HTTP/1.1" 200 1 "-" "ua""#,
        r#"203.0.113.9 - - [01/May/2024:10:00:03 +0000] "GET /rest/default/V1/no/such/thing HTTP/1.1" 401 1 "-" "ua""#,
        r#"2001:db8::5 - - [01/May/2024:10:00:04 +0000] "POST /rest/V1/integration/customer/token HTTP/1.1" 401 1 "-" "ua""#,
    ];
    store.file("var/log/access.log", lines.join("\n") + "\n");
    let p = store.path("var/log/access.log");
    let root = store.root().to_str().unwrap().to_string();
    let doc = scan(
        &["--access-log", p.to_str().unwrap(), "--root", &root],
        store.root(),
    );
    assert_eq!(doc["route_folding"], "store-routes");
    let routes = doc["by_route"].as_array().unwrap();
    let get = |k: &str| {
        routes
            .iter()
            .find(|r| r["key"] == k)
            .unwrap_or_else(|| panic!("{k} not in {routes:#?}"))
    };
    let p = get("GET /V1/products/:sku");
    assert_eq!(
        (p["count"].as_u64(), p["requests"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(p["known_route"], true);
    assert_eq!(get("GET /V1/no/such/thing")["known_route"], false);
    assert_eq!(get("POST /V1/integration/customer/token")["count"], 1);
    assert_eq!(doc["totals"]["token_failures"], 1);
}

#[test]
fn csv_tables_and_text_chart() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests(5, 500);
    let p = dir.path().join("access.log");
    write(
        &p,
        &reqs.iter().map(|q| line("combined", q)).collect::<Vec<_>>(),
        0,
    );
    let want = expected(&reqs);
    let out = crate::lab::m2auth(
        &[
            "logs:scan",
            "--access-log",
            p.to_str().unwrap(),
            "--format",
            "csv",
            "--table",
            "clients",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();
    for l in csv.lines().skip(1) {
        let mut f = l.split(',');
        rows.insert(
            f.next().unwrap().to_string(),
            f.next().unwrap().parse().unwrap(),
        );
    }
    assert_eq!(rows, want.clients);
    let out = crate::lab::m2auth(
        &["logs:scan", "--access-log", p.to_str().unwrap()],
        dir.path(),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Failures over time"), "{text}");
    assert!(text.contains("log-auth-failures"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}

// --- logs:watch -------------------------------------------------------------------------------

struct Watcher {
    child: std::process::Child,
    url_host: String,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_watch(log: &Path) -> Watcher {
    let mut child = Command::new(env!("CARGO_BIN_EXE_m2auth"))
        .args([
            "logs:watch",
            "--access-log",
            log.to_str().unwrap(),
            "--metrics-listen",
            "127.0.0.1:0",
            "--poll-ms",
            "20",
            "--brute-threshold",
            "3",
        ])
        .current_dir(log.parent().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let host = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = err.read_to_string(&mut sink);
    });
    Watcher {
        child,
        url_host: host,
    }
}

fn scrape(host: &str) -> String {
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.write_all(format!("GET /metrics HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    body.to_string()
}

/// The samples of an exposition, read by a real parser: `name{labels}` → value.
fn parse_metrics(body: &str) -> Option<BTreeMap<String, f64>> {
    let script = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        out[f"{s.name}{{{labels}}}"] = s.value
print(json.dumps(out))
"#;
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named") {
            return None;
        }
        panic!("prometheus_client refused the exposition: {err}\n{body}");
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn promtool_check(body: &str) {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Scrape until `key` has `want` (the watcher polls every 20 ms).
fn wait_for(host: &str, key: &str, want: f64, parser: bool) -> BTreeMap<String, f64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = scrape(host);
        let samples = if parser {
            parse_metrics(&body).expect("prometheus_client was there a moment ago")
        } else {
            naive_parse(&body)
        };
        if samples.get(key) == Some(&want) {
            promtool_check(&body);
            return samples;
        }
        assert!(
            Instant::now() < deadline,
            "{key} never reached {want}: {:?}\n{body}",
            samples.get(key)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Without prometheus_client: the sample lines as written (labels in the order m2auth writes them
/// sorted here the same way the parser-based key is).
fn naive_parse(body: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for l in body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = l.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => {
                let mut ls: Vec<&str> = rest
                    .trim_end_matches('}')
                    .split("\",")
                    .map(|s| s.trim_end_matches('"'))
                    .filter(|s| !s.is_empty())
                    .collect();
                ls.sort();
                (
                    n,
                    ls.iter()
                        .map(|s| format!("{s}\""))
                        .collect::<Vec<_>>()
                        .join(","),
                )
            }
            None => (series, String::new()),
        };
        out.insert(format!("{name}{{{labels}}}"), value.parse().unwrap());
    }
    out
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

fn failing(n: usize, route: &str, client: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                r#"{client} - - [01/May/2024:10:00:{:02} +0000] "{route} HTTP/1.1" 401 5 "-" "ua""#,
                i % 60
            )
        })
        .collect()
}

#[test]
fn watch_follows_appends_and_both_rotations() {
    let parser = parse_metrics("# TYPE x counter\nx 1\n").is_some();
    if !parser {
        eprintln!(
            "prometheus_client is not installed (apt install python3-prometheus-client): the metrics are read without a real parser"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    // What is there before the watcher starts is not counted.
    append(&log, &failing(5, "GET /rest/V1/orders/1", "10.0.0.1"));
    let w = start_watch(&log);
    let h = w.url_host.clone();
    let key = r#"m2auth_api_auth_failures_total{api="rest",route="GET /V1/orders/:id",scheme="unknown",status="401",store="default"}"#;
    let lines_key = format!("m2auth_log_lines_read_total{{file=\"{}\"}}", log.display());
    // 1. appends (and a malformed line).
    append(&log, &failing(4, "GET /rest/V1/orders/7", "10.0.0.2"));
    append(&log, &["not a log line".to_string()]);
    let m = wait_for(&h, &lines_key, 5.0, parser);
    assert_eq!(m[key], 4.0);
    assert_eq!(
        m[&format!(
            "m2auth_log_lines_skipped_total{{file=\"{}\"}}",
            log.display()
        )],
        1.0
    );
    assert_eq!(m["m2auth_log_files_followed{}"], 1.0);
    // 2. rename rotation: a line still written to the old file, then the new file.
    let old = dir.path().join("access.log.1");
    std::fs::rename(&log, &old).unwrap();
    append(&old, &failing(1, "GET /rest/V1/orders/8", "10.0.0.2"));
    append(
        &log,
        &failing(3, "POST /rest/V1/integration/admin/token", "10.0.0.3"),
    );
    let m = wait_for(&h, &lines_key, 9.0, parser);
    assert_eq!(m[key], 5.0);
    assert_eq!(
        m[r#"m2auth_token_failures_total{endpoint="admin",status="401"}"#],
        3.0
    );
    assert_eq!(
        m[&format!(
            "m2auth_log_rotations_total{{file=\"{}\",kind=\"rename\"}}",
            log.display()
        )],
        1.0
    );
    // Three failed token requests from one client within the window: the gauge says so.
    assert_eq!(m["m2auth_brute_force_clients{}"], 1.0);
    // 3. copytruncate: copied away, cut to zero, written again.
    std::fs::copy(&log, dir.path().join("access.log.2")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    // Let the watcher see the truncation before the file grows again.
    wait_for(
        &h,
        &format!(
            "m2auth_log_rotations_total{{file=\"{}\",kind=\"truncate\"}}",
            log.display()
        ),
        1.0,
        parser,
    );
    append(&log, &failing(2, "GET /rest/V1/orders/9", "10.0.0.4"));
    let m = wait_for(&h, &lines_key, 11.0, parser);
    assert_eq!(m[key], 7.0);
    drop(w);
}

#[test]
fn watch_needs_a_log_and_a_free_address() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let log: PathBuf = dir.path().join("access.log");
    std::fs::write(&log, "").unwrap();
    let out = crate::lab::m2auth(
        &[
            "logs:watch",
            "--access-log",
            log.to_str().unwrap(),
            "--metrics-listen",
            &addr,
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--metrics-listen"));
}
