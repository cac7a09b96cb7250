//! `logs:scan` and `logs:watch` output: the JSON document (`../shared/spec/cli.md`: `files`,
//! `totals.{lines,rest_401,rest_403}`, `by_route`, `by_client` with `key`/`count`, `timeline`,
//! `findings`), text with a small chart of the failures over time, one CSV per table, and the
//! Prometheus text exposition of the watcher's counters.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::checks::logs::{Analysis, rfc3339, top};
use crate::findings::step_name;
use crate::report::style::Style;
use crate::store::logs::scan::{Api, Fails};

/// The tables `--format csv` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Table {
    #[default]
    Routes,
    Clients,
    Agents,
    Schemes,
    Stores,
    Timeline,
    Files,
    BruteForce,
    Magento,
}

impl Table {
    pub const NAMES: &[&str] = &[
        "routes",
        "clients",
        "agents",
        "schemes",
        "stores",
        "timeline",
        "files",
        "brute-force",
        "magento",
    ];

    pub fn parse(s: &str) -> Option<Table> {
        Some(match s {
            "routes" => Table::Routes,
            "clients" => Table::Clients,
            "agents" => Table::Agents,
            "schemes" => Table::Schemes,
            "stores" => Table::Stores,
            "timeline" => Table::Timeline,
            "files" => Table::Files,
            "brute-force" => Table::BruteForce,
            "magento" => Table::Magento,
            _ => return None,
        })
    }
}

/// The most rows a JSON table holds.
const JSON_ROWS: usize = 1000;

fn t(s: Option<i64>) -> Value {
    s.map_or(Value::Null, |s| Value::String(rfc3339(s)))
}

/// A timeline bucket size for the failures' time span: minutes up to 3 hours, hours up to 14
/// days, else days.
pub fn bucket_seconds(first: Option<i64>, last: Option<i64>) -> i64 {
    match (first, last) {
        (Some(f), Some(l)) if l - f <= 3 * 3600 => 60,
        (Some(f), Some(l)) if l - f <= 14 * 86_400 => 3600,
        (Some(_), Some(_)) => 86_400,
        _ => 60,
    }
}

/// The failures per bucket, in time order (empty buckets included between the first and last).
pub fn timeline(a: &Analysis) -> (i64, Vec<(i64, Fails)>) {
    let agg = &a.access.agg;
    let size = bucket_seconds(agg.failures.first, agg.failures.last);
    let mut buckets: std::collections::BTreeMap<i64, Fails> = std::collections::BTreeMap::new();
    for (minute, f) in &agg.minutes {
        let b = (minute * 60).div_euclid(size) * size;
        let e = buckets.entry(b).or_default();
        e.s401 += f.s401;
        e.s403 += f.s403;
    }
    let mut out = Vec::new();
    if let (Some(&lo), Some(&hi)) = (buckets.keys().next(), buckets.keys().last()) {
        let mut b = lo;
        while b <= hi && out.len() < 100_000 {
            out.push((b, buckets.get(&b).copied().unwrap_or_default()));
            b += size;
        }
    }
    (size, out)
}

fn rows<'a>(map: impl Iterator<Item = (&'a String, u64)>, n: usize) -> Vec<(&'a str, u64)> {
    top(map.map(|(k, v)| (k.as_str(), v)), n)
}

/// The failing routes, most first: (key, failures).
fn failing_routes(a: &Analysis, n: usize) -> Vec<(&str, u64)> {
    top(
        a.access
            .agg
            .routes
            .iter()
            .map(|(k, r)| (k.as_str(), r.s401.count + r.s403.count))
            .filter(|(_, c)| *c > 0),
        n,
    )
}

fn api_fails(a: &Analysis, api: Api) -> Fails {
    a.access
        .agg
        .api_fails
        .get(&api)
        .copied()
        .unwrap_or_default()
}

/// The JSON document of `logs:scan`.
pub fn to_json(a: &Analysis, root: Option<&std::path::Path>) -> Value {
    let agg = &a.access.agg;
    let files: Vec<Value> = a
        .access
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path.display().to_string(),
                "format": f.format,
                "gzip": f.gzip,
                "bytes": f.bytes,
                "lines": f.lines,
                "skipped": f.skipped,
                "found_by": a.found_by.get(&f.path),
                "problem": f.problem,
            })
        })
        .collect();
    let lines: u64 = a.access.files.iter().map(|f| f.lines).sum();
    let skipped: u64 = a.access.files.iter().map(|f| f.skipped).sum();
    let (rest, gql, soap) = (
        api_fails(a, Api::Rest),
        api_fails(a, Api::Graphql),
        api_fails(a, Api::Soap),
    );
    let by_route: Vec<Value> = failing_routes(a, JSON_ROWS)
        .into_iter()
        .map(|(k, count)| {
            let r = &agg.routes[k];
            let first = [r.s401.first, r.s403.first].into_iter().flatten().min();
            let last = [r.s401.last, r.s403.last].into_iter().flatten().max();
            json!({
                "key": k,
                "count": count,
                "status_401": r.s401.count,
                "status_403": r.s403.count,
                "requests": r.requests,
                "share": if r.requests > 0 { count as f64 / r.requests as f64 } else { 0.0 },
                "api": r.api,
                "known_route": r.known,
                "first_seen": t(first),
                "last_seen": t(last),
            })
        })
        .collect();
    let by_client: Vec<Value> = top(
        agg.clients.iter().map(|(k, s)| (k.as_str(), s.count)),
        JSON_ROWS,
    )
    .into_iter()
    .map(|(k, count)| {
        let s = &agg.clients[k];
        json!({"key": k, "count": count, "first_seen": t(s.first), "last_seen": t(s.last)})
    })
    .collect();
    let kc = |v: Vec<(&str, u64)>| -> Vec<Value> {
        v.into_iter()
            .map(|(k, c)| json!({"key": k, "count": c}))
            .collect()
    };
    let (size, buckets) = timeline(a);
    let timeline: Vec<Value> = buckets
        .iter()
        .map(|(b, f)| json!({"start": rfc3339(*b), "status_401": f.s401, "status_403": f.s403}))
        .collect();
    let token_clients = {
        let mut per: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
        for ((c, _), n) in &agg.token_by_client_minute {
            *per.entry(c.as_str()).or_default() += u64::from(*n);
        }
        kc(top(per.into_iter(), JSON_ROWS))
    };
    let magento_files: Vec<Value> = a
        .magento
        .files
        .iter()
        .map(|f| json!({"path": f.path.display().to_string(), "lines": f.lines, "skipped": f.skipped, "problem": f.problem}))
        .collect();
    let records: Vec<Value> = a
        .magento
        .auth
        .iter()
        .map(|r| {
            json!({
                "file": r.file.display().to_string(),
                "line": r.line,
                "time": t(r.time),
                "level": r.level,
                "kind": r.kind,
                "message": r.message,
                "report_id": r.report_id,
            })
        })
        .collect();
    json!({
        "tool": {"name": super::diagnosis::TOOL_NAME, "version": super::diagnosis::TOOL_VERSION},
        "root": root.map(|r| r.display().to_string()),
        "since": t(a.since),
        "until": t(a.until),
        "route_folding": a.folding,
        "files": files,
        "totals": {
            "lines": lines,
            "skipped": skipped,
            "requests": agg.requests,
            "outside_range": agg.outside,
            "rest_requests": agg.api_requests.get(&Api::Rest).copied().unwrap_or(0),
            "rest_401": rest.s401,
            "rest_403": rest.s403,
            "graphql_requests": agg.api_requests.get(&Api::Graphql).copied().unwrap_or(0),
            "graphql_401": gql.s401,
            "graphql_403": gql.s403,
            "soap_requests": agg.api_requests.get(&Api::Soap).copied().unwrap_or(0),
            "soap_401": soap.s401,
            "soap_403": soap.s403,
            "token_failures": agg.token_failures.count,
            "first_failure": t(agg.failures.first),
            "last_failure": t(agg.failures.last),
        },
        "by_route": by_route,
        "by_client": by_client,
        "by_user_agent": kc(rows(agg.agents.iter().map(|(k, v)| (k, *v)), JSON_ROWS)),
        "by_auth_scheme": kc(rows(agg.schemes.iter().map(|(k, v)| (k, *v)), JSON_ROWS)),
        "by_store": kc(rows(agg.stores.iter().map(|(k, v)| (k, *v)), JSON_ROWS)),
        "timeline": {"bucket_seconds": size, "buckets": timeline},
        "token_endpoint": {
            "failures": agg.token_failures.count,
            "first_seen": t(agg.token_failures.first),
            "last_seen": t(agg.token_failures.last),
            "by_client": token_clients,
        },
        "brute_force": {
            "threshold": a.brute_rule.threshold,
            "window_minutes": a.brute_rule.window_minutes,
            "clients": a.brute.iter().map(|b| json!({
                "key": b.client, "count": b.count, "window_start": rfc3339(b.window_start), "total": b.total,
            })).collect::<Vec<_>>(),
        },
        "magento": {
            "files": magento_files,
            "records": a.magento.records,
            "auth_records": a.magento.auth_count,
            "auth": records,
        },
        "findings": a.findings,
        "skipped": a.skipped,
    })
}

/// A one-line chart of `values` (at most `width` columns; buckets merged when more).
pub fn sparkline(values: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() {
        return String::new();
    }
    let per = values.len().div_ceil(width.max(1));
    let merged: Vec<u64> = values.chunks(per).map(|c| c.iter().sum()).collect();
    let max = merged.iter().copied().max().unwrap_or(0).max(1);
    merged
        .iter()
        .map(|&v| {
            if v == 0 {
                ' '
            } else {
                BARS[((v * 7).div_ceil(max)).min(7) as usize]
            }
        })
        .collect()
}

fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The text report.
pub fn to_text(a: &Analysis, top_n: usize, style: &Style) -> String {
    let mut o = String::new();
    let agg = &a.access.agg;
    let _ = writeln!(o, "{}", style.bold("Access logs"));
    if a.access.files.is_empty() {
        let _ = writeln!(o, "  none found");
    }
    for f in &a.access.files {
        let _ = write!(
            o,
            "  {}  {} lines, {} skipped, {}{}",
            cut(&f.path.display().to_string(), 60),
            f.lines,
            f.skipped,
            if f.format.is_empty() { "-" } else { &f.format },
            if f.gzip { ", gzip" } else { "" }
        );
        if let Some(p) = &f.problem {
            let _ = write!(o, "  ({})", style.yellow(p));
        }
        o.push('\n');
    }
    let (rest, gql, soap) = (
        api_fails(a, Api::Rest),
        api_fails(a, Api::Graphql),
        api_fails(a, Api::Soap),
    );
    let _ = writeln!(
        o,
        "\n{}  {} requests; REST {} (401: {}, 403: {})\n  GraphQL 401: {}, 403: {}; SOAP 401: {}, 403: {}",
        style.bold("Totals"),
        agg.requests,
        agg.api_requests.get(&Api::Rest).copied().unwrap_or(0),
        rest.s401,
        rest.s403,
        gql.s401,
        gql.s403,
        soap.s401,
        soap.s403
    );
    if agg.outside > 0 {
        let _ = writeln!(o, "  {} requests outside the time range", agg.outside);
    }
    if let (Some(f), Some(l)) = (agg.failures.first, agg.failures.last) {
        let _ = writeln!(o, "  failures from {} to {}", rfc3339(f), rfc3339(l));
    }
    let routes = failing_routes(a, top_n);
    if !routes.is_empty() {
        let _ = writeln!(
            o,
            "\n{} (routes {})",
            style.bold("Failing routes"),
            if a.folding == "store-routes" {
                "matched with the store's webapi.xml"
            } else {
                "folded by shape"
            }
        );
        let _ = writeln!(
            o,
            "  {:>8} {:>7} {:>7} {:>7}  route",
            "failures", "401", "403", "share"
        );
        for (k, n) in routes {
            let r = &agg.routes[k];
            let share = if r.requests > 0 {
                n as f64 * 100.0 / r.requests as f64
            } else {
                0.0
            };
            let unknown = if r.known == Some(false) {
                "  (no such route)"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "  {n:>8} {:>7} {:>7} {share:>6.1}%  {}{unknown}",
                r.s401.count,
                r.s403.count,
                cut(k, 60)
            );
        }
    }
    let section = |o: &mut String, title: &str, v: Vec<(&str, u64)>| {
        if v.is_empty() {
            return;
        }
        let _ = writeln!(o, "\n{}", style.bold(title));
        for (k, n) in v {
            let _ = writeln!(o, "  {n:>8}  {}", cut(k, 80));
        }
    };
    section(
        &mut o,
        "Failing clients",
        top(
            agg.clients.iter().map(|(k, s)| (k.as_str(), s.count)),
            top_n,
        ),
    );
    section(
        &mut o,
        "User agents of the failures",
        rows(agg.agents.iter().map(|(k, v)| (k, *v)), top_n),
    );
    section(
        &mut o,
        "Auth schemes of the failures",
        rows(agg.schemes.iter().map(|(k, v)| (k, *v)), top_n),
    );
    section(
        &mut o,
        "Store codes of the failures",
        rows(agg.stores.iter().map(|(k, v)| (k, *v)), top_n),
    );
    let (size, buckets) = timeline(a);
    if !buckets.is_empty() {
        let values: Vec<u64> = buckets.iter().map(|(_, f)| f.total()).collect();
        let max = values.iter().max().copied().unwrap_or(0);
        let unit = match size {
            60 => "minute",
            3600 => "hour",
            _ => "day",
        };
        let _ = writeln!(
            o,
            "\n{} (per {unit}, peak {max})",
            style.bold("Failures over time")
        );
        let _ = writeln!(o, "  {}", sparkline(&values, 80));
        let _ = writeln!(
            o,
            "  {} … {}",
            rfc3339(buckets[0].0),
            rfc3339(buckets[buckets.len() - 1].0)
        );
    }
    if agg.token_failures.count > 0 {
        let _ = writeln!(
            o,
            "\n{}  {} failed POST /V1/integration/{{admin,customer}}/token",
            style.bold("Token endpoint"),
            agg.token_failures.count
        );
    }
    if !a.magento.files.is_empty() || a.magento.records > 0 {
        let _ = writeln!(
            o,
            "\n{}  {} records read, {} tied to authentication",
            style.bold("Magento logs"),
            a.magento.records,
            a.magento.auth_count
        );
    }
    if !a.findings.is_empty() {
        let _ = writeln!(
            o,
            "\n{}",
            style.bold(&format!("Findings (step 7, {})", step_name(7)))
        );
        for f in &a.findings {
            super::diagnosis::finding_text(&mut o, f, style);
        }
    } else {
        let _ = writeln!(
            o,
            "\nNo failing API requests and no authentication errors in the logs read."
        );
    }
    for s in &a.skipped {
        let _ = writeln!(o, "{} {}: {}", style.dim("not checked"), s.check, s.reason);
    }
    o
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One table as CSV.
pub fn to_csv(a: &Analysis, table: Table) -> String {
    let agg = &a.access.agg;
    let mut o = String::new();
    let opt = |t: Option<i64>| t.map(rfc3339).unwrap_or_default();
    match table {
        Table::Routes => {
            o.push_str("route,failures,status_401,status_403,requests,share,known_route,first_seen,last_seen\n");
            for (k, n) in failing_routes(a, usize::MAX) {
                let r = &agg.routes[k];
                let first = [r.s401.first, r.s403.first].into_iter().flatten().min();
                let last = [r.s401.last, r.s403.last].into_iter().flatten().max();
                let _ = writeln!(
                    o,
                    "{},{n},{},{},{},{:.4},{},{},{}",
                    csv_field(k),
                    r.s401.count,
                    r.s403.count,
                    r.requests,
                    if r.requests > 0 {
                        n as f64 / r.requests as f64
                    } else {
                        0.0
                    },
                    r.known.map_or(String::new(), |b| b.to_string()),
                    opt(first),
                    opt(last)
                );
            }
        }
        Table::Clients => {
            o.push_str("client,failures,first_seen,last_seen\n");
            for (k, n) in top(
                agg.clients.iter().map(|(k, s)| (k.as_str(), s.count)),
                usize::MAX,
            ) {
                let s = &agg.clients[k];
                let _ = writeln!(o, "{},{n},{},{}", csv_field(k), opt(s.first), opt(s.last));
            }
        }
        Table::Agents | Table::Schemes | Table::Stores => {
            let (head, map) = match table {
                Table::Agents => ("user_agent", &agg.agents),
                Table::Schemes => ("auth_scheme", &agg.schemes),
                _ => ("store", &agg.stores),
            };
            let _ = writeln!(o, "{head},failures");
            for (k, n) in rows(map.iter().map(|(k, v)| (k, *v)), usize::MAX) {
                let _ = writeln!(o, "{},{n}", csv_field(k));
            }
        }
        Table::Timeline => {
            o.push_str("start,status_401,status_403\n");
            for (b, f) in timeline(a).1 {
                let _ = writeln!(o, "{},{},{}", rfc3339(b), f.s401, f.s403);
            }
        }
        Table::Files => {
            o.push_str("path,format,gzip,bytes,lines,skipped,problem\n");
            for f in a.access.files.iter().chain(&a.magento.files) {
                let _ = writeln!(
                    o,
                    "{},{},{},{},{},{},{}",
                    csv_field(&f.path.display().to_string()),
                    f.format,
                    f.gzip,
                    f.bytes,
                    f.lines,
                    f.skipped,
                    csv_field(f.problem.as_deref().unwrap_or(""))
                );
            }
        }
        Table::BruteForce => {
            o.push_str("client,failures_in_window,window_start,total\n");
            for b in &a.brute {
                let _ = writeln!(
                    o,
                    "{},{},{},{}",
                    csv_field(&b.client),
                    b.count,
                    rfc3339(b.window_start),
                    b.total
                );
            }
        }
        Table::Magento => {
            o.push_str("file,line,time,level,kind,report_id,message\n");
            for r in &a.magento.auth {
                let _ = writeln!(
                    o,
                    "{},{},{},{},{},{},{}",
                    csv_field(&r.file.display().to_string()),
                    r.line.map(|l| l.to_string()).unwrap_or_default(),
                    opt(r.time),
                    r.level,
                    serde_json::to_value(r.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    csv_field(r.report_id.as_deref().unwrap_or("")),
                    csv_field(&r.message)
                );
            }
        }
    }
    o
}

/// One Prometheus sample line's label value, escaped (`\`, `"`, newline).
pub fn label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// The watcher's counters in the Prometheus text exposition format (version 0.0.4).
pub fn prometheus(m: &crate::checks::logs::Metrics) -> String {
    let mut o = String::new();
    o.push_str("# HELP m2auth_api_auth_failures_total API requests answered 401 or 403, by API, route pattern, auth scheme, status and store code.\n# TYPE m2auth_api_auth_failures_total counter\n");
    for ((api, route, scheme, status, store), n) in &m.failures {
        let _ = writeln!(
            o,
            "m2auth_api_auth_failures_total{{api=\"{}\",route=\"{}\",scheme=\"{}\",status=\"{status}\",store=\"{}\"}} {n}",
            label(api),
            label(route),
            label(scheme),
            label(store)
        );
    }
    o.push_str("# HELP m2auth_token_failures_total Failed POST /V1/integration/{admin,customer}/token requests.\n# TYPE m2auth_token_failures_total counter\n");
    for endpoint in ["admin", "customer"] {
        let mut any = false;
        for ((e, status), n) in &m.token_failures {
            if e == endpoint {
                any = true;
                let _ = writeln!(
                    o,
                    "m2auth_token_failures_total{{endpoint=\"{e}\",status=\"{status}\"}} {n}"
                );
            }
        }
        if !any {
            let _ = writeln!(
                o,
                "m2auth_token_failures_total{{endpoint=\"{endpoint}\",status=\"401\"}} 0"
            );
        }
    }
    o.push_str("# HELP m2auth_api_requests_total API requests read from the access logs, by API.\n# TYPE m2auth_api_requests_total counter\n");
    for api in ["rest", "graphql", "soap"] {
        let _ = writeln!(
            o,
            "m2auth_api_requests_total{{api=\"{api}\"}} {}",
            m.requests.get(api).copied().unwrap_or(0)
        );
    }
    o.push_str("# HELP m2auth_brute_force_clients Clients over the brute-force threshold of failed token requests in the last window.\n# TYPE m2auth_brute_force_clients gauge\n");
    let _ = writeln!(o, "m2auth_brute_force_clients {}", m.brute_force_clients);
    o.push_str("# HELP m2auth_log_lines_read_total Lines read from each followed log.\n# TYPE m2auth_log_lines_read_total counter\n");
    for (f, s) in &m.files {
        let _ = writeln!(
            o,
            "m2auth_log_lines_read_total{{file=\"{}\"}} {}",
            label(f),
            s.lines
        );
    }
    o.push_str("# HELP m2auth_log_lines_skipped_total Lines of each followed log that are no access-log record.\n# TYPE m2auth_log_lines_skipped_total counter\n");
    for (f, s) in &m.files {
        let _ = writeln!(
            o,
            "m2auth_log_lines_skipped_total{{file=\"{}\"}} {}",
            label(f),
            s.skipped
        );
    }
    o.push_str("# HELP m2auth_log_rotations_total Rotations seen per followed log (rename or copytruncate).\n# TYPE m2auth_log_rotations_total counter\n");
    for (f, s) in &m.files {
        let _ = writeln!(
            o,
            "m2auth_log_rotations_total{{file=\"{}\",kind=\"rename\"}} {}",
            label(f),
            s.rotations
        );
        let _ = writeln!(
            o,
            "m2auth_log_rotations_total{{file=\"{}\",kind=\"truncate\"}} {}",
            label(f),
            s.truncations
        );
    }
    o.push_str("# HELP m2auth_log_files_followed Log files followed and open.\n# TYPE m2auth_log_files_followed gauge\n");
    let _ = writeln!(
        o,
        "m2auth_log_files_followed {}",
        m.files.values().filter(|f| f.open).count()
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_and_labels() {
        let s: Vec<char> = sparkline(&[0, 1, 7], 10).chars().collect();
        assert_eq!((s[0], s[2]), (' ', '█'));
        assert_eq!(sparkline(&[1, 1, 1, 1], 2).chars().count(), 2);
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
