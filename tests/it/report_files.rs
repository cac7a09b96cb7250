//! `--format html|markdown --output FILE` for `diagnose`, `audit`, `acl:matrix` and
//! `logs:scan`: one self-contained file, the verdict first, no secret of the store inside; the
//! HTML rendered by a real headless Chromium (Debian's `chromium`; skipped with a message when
//! it is not installed).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lab::fixture::MAGENTO_CRYPT_KEY;
use crate::lab::scenario::Scenario;

const TOKEN: &str = "r3p0rtt0k3nx9q8w7e6r5t4y3u2i1o0p";

/// A store with secrets to leak: an integration holding every resource (its token and
/// secrets in the database), bearer tokens on, the crypt key and DB password in env.php.
fn store() -> Option<Scenario> {
    let s = Scenario::new()?;
    // A module of its own with routes for acl:matrix: one the role grants, two it does not.
    s.store().app_code_module("Acme_Orders");
    s.file("app/code/Acme/Orders/etc/webapi.xml", WEBAPI)
        .module("Acme_Orders", true);
    s.release("2.4.7-p3")
        .env("backend/frontName", "admin")
        .integration(1, "erp", TOKEN)
        .role(50, 0, "U", 1, "1", "erp")
        .rule(50, "Magento_Backend::all", "allow")
        .bearer();
    Some(s)
}

const WEBAPI: &str = r#"<?xml version="1.0"?>
<routes>
    <route url="/V1/acme/orders/:id" method="GET">
        <service class="Acme\Orders\Api\OrderInterface" method="get"/>
        <resources><resource ref="Acme_Orders::read"/></resources>
    </route>
    <route url="/V1/acme/orders" method="POST">
        <service class="Acme\Orders\Api\OrderInterface" method="save"/>
        <resources><resource ref="Acme_Orders::write"/></resources>
    </route>
    <route url="/V1/acme/ping" method="GET">
        <service class="Acme\Orders\Api\PingInterface" method="ping"/>
        <resources><resource ref="anonymous"/></resources>
    </route>
</routes>
"#;

fn secrets(s: &Scenario) -> Vec<String> {
    vec![
        TOKEN.to_string(),
        format!("ts{:030}", 1),
        format!("sec{:029}", 1),
        MAGENTO_CRYPT_KEY.to_string(),
        s.db().password().to_string(),
    ]
}

fn report(s: &Scenario, args: &[&str], file: &Path) -> String {
    let mut all = args.to_vec();
    let f = file.to_str().unwrap();
    all.extend_from_slice(&["--output", f]);
    let (_, stdout, stderr) = s.run_text(&all);
    assert!(stdout.is_empty(), "--output: nothing on stdout: {stdout}");
    std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{f}: {e}; stderr {stderr}"))
}

#[test]
fn html_and_markdown_reports_put_the_verdict_first_and_mask_every_secret() {
    let Some(s) = store() else { return };
    let dir = tempfile::tempdir().unwrap();
    let html = report(
        &s,
        &["audit", "--format", "html"],
        &dir.path().join("audit.html"),
    );
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    let verdict = html.find("id=\"verdict\"").expect("a verdict");
    let first_finding = html.find("class=\"finding").expect("findings");
    assert!(verdict < first_finding);
    assert!(html.contains("audit-integration-all-resources") && html.contains("Step 9"));
    // Self-contained: no scripts, no external assets.
    for bad in ["<script", "src=\"http", "href=\"http", "<link"] {
        assert!(!html.contains(bad), "{bad} in the report");
    }
    let md = report(
        &s,
        &["diagnose", "--offline", "--format", "markdown"],
        &dir.path().join("diagnose.md"),
    );
    assert!(md.starts_with("# m2auth diagnose: "), "{md}");
    for secret in secrets(&s) {
        assert!(!html.contains(&secret), "a secret in the HTML: {secret}");
        assert!(!md.contains(&secret), "a secret in the Markdown: {secret}");
    }
    // Only reports have these formats.
    let (code, _, _) = s.run_text(&["info", "--format", "html"]);
    assert_eq!(code, 2);
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new("sh")
                .args(["-c", &format!("command -v {c}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// An access log of the store: 401s and 403s over three minutes; the user agent of one line
/// carries the crypt key and the database password, the query of another the integration's
/// token (secrets that must not reach a report).
fn access_log(s: &Scenario, dir: &Path) -> PathBuf {
    let mut text = String::new();
    for i in 0..40u32 {
        let status = match i % 4 {
            0 | 1 => 401,
            2 => 403,
            _ => 200,
        };
        let _ = writeln!(
            text,
            "203.0.113.{} - - [01/May/2024:10:0{}:{:02} +0000] \"GET /rest/default/V1/acme/orders/{} HTTP/1.1\" {status} 120 \"-\" \"curl/8.4.0\"",
            i % 3 + 1,
            i % 3,
            i,
            100 + i
        );
    }
    let _ = writeln!(
        text,
        "198.51.100.7 - - [01/May/2024:10:01:30 +0000] \"GET /rest/V1/customers/5?access_token={TOKEN} HTTP/1.1\" 401 80 \"-\" \"erp-sync {} {}\"",
        MAGENTO_CRYPT_KEY,
        s.db().password()
    );
    let path = dir.join("access.log");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn acl_matrix_and_logs_scan_reports_put_the_summary_first_and_mask_every_secret() {
    let Some(s) = store() else { return };
    let dir = tempfile::tempdir().unwrap();
    let log = access_log(&s, dir.path());
    let log = log.to_str().unwrap();
    let matrix = report(
        &s,
        &["acl:matrix", "--integration", "erp", "--format", "html"],
        &dir.path().join("matrix.html"),
    );
    assert!(matrix.starts_with("<!DOCTYPE html>"), "{matrix}");
    let verdict = matrix.find("id=\"verdict\"").expect("a verdict");
    assert!(verdict < matrix.find("<details open>").expect(&matrix));
    assert!(matrix.contains("routes allowed") && matrix.contains("<tr class=\"allow\">"));
    // Readable without scripts: the rows are in the file; the script only adds a text filter.
    for bad in ["src=\"http", "href=\"http", "<link", "<img"] {
        assert!(!matrix.contains(bad), "{bad} in the matrix");
    }
    let scan = report(
        &s,
        &["logs:scan", "--access-log", log, "--format", "html"],
        &dir.path().join("logs.html"),
    );
    let verdict = scan.find("id=\"verdict\"").expect("a verdict");
    assert!(scan.contains("failed API requests (401: "), "{scan}");
    let svg = scan.find("<svg").expect("the chart");
    assert!(verdict < svg && svg < scan.find("Failing routes").unwrap());
    assert!(scan.contains("GET /V1/acme/orders/:id") && scan.contains("203.0.113.1"));
    for bad in ["<script", "src=\"http", "href=\"http", "<link", "<img"] {
        assert!(!scan.contains(bad), "{bad} in the logs report");
    }
    let md = [
        report(
            &s,
            &["acl:matrix", "--integration", "erp", "--format", "markdown"],
            &dir.path().join("matrix.md"),
        ),
        report(
            &s,
            &["logs:scan", "--access-log", log, "--format", "markdown"],
            &dir.path().join("logs.md"),
        ),
    ];
    assert!(md[0].starts_with("# m2auth acl:matrix: "), "{}", md[0]);
    assert!(md[1].starts_with("# m2auth logs:scan: "), "{}", md[1]);
    assert!(
        md[1].contains("| GET /V1/acme/orders/:id | 30 |"),
        "{}",
        md[1]
    );
    for secret in secrets(&s) {
        for (what, text) in [
            ("matrix", &matrix),
            ("logs", &scan),
            ("md", &md[0]),
            ("md", &md[1]),
        ] {
            assert!(
                !text.contains(&secret),
                "a secret in the {what} report: {secret}"
            );
        }
    }
    // Several --root and jsonl stay with the commands that take them.
    let (code, _, err) = s.run_text(&["logs:scan", "--access-log", log, "--format", "jsonl"]);
    assert_eq!(code, 2, "{err}");
}

/// Renders `file` in headless Chromium: no console error, a screenshot of a page with
/// content; returns the DOM after the page's scripts ran.
fn render_in_chromium(browser: &str, file: &Path, dir: &Path) -> String {
    let tag = file.file_stem().unwrap().to_string_lossy().into_owned();
    let shot = dir.join(format!("{tag}.png"));
    let args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--enable-logging=stderr".into(),
        "--v=0".into(),
        "--window-size=1200,1600".into(),
        format!(
            "--user-data-dir={}",
            dir.join(format!("profile-{tag}")).display()
        ),
    ];
    let url = format!("file://{}", file.display());
    let out = Command::new(browser)
        .args(&args)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium {tag}: {stderr}");
    // Console messages are logged as CONSOLE(...): an error would be one.
    assert!(
        !stderr
            .lines()
            .any(|l| l.contains("CONSOLE") && l.contains("ERROR")),
        "console errors in {tag}: {stderr}"
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG");
    // A rendered page of text and coloured boxes, not a blank one (a blank 1200x1600 PNG is a
    // few KB).
    assert!(
        png.len() > 20_000,
        "{tag}: screenshot of {} bytes",
        png.len()
    );
    let dom = Command::new(browser)
        .args(&args)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

#[test]
fn the_html_reports_render_in_headless_chromium() {
    let Some(s) = store() else { return };
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.html");
    report(&s, &["audit", "--format", "html"], &audit);
    render_in_chromium(browser, &audit, dir.path());
    let matrix = dir.path().join("matrix.html");
    report(
        &s,
        &["acl:matrix", "--integration", "erp", "--format", "html"],
        &matrix,
    );
    // The script only shows the text filter (it ran without an error); the rows are in the
    // file itself (headless Chromium takes no screenshot with scripts turned off).
    let dom = render_in_chromium(browser, &matrix, dir.path());
    assert!(
        dom.contains("id=\"q\"") && !dom.contains("hidden=\"\""),
        "{dom}"
    );
    assert!(dom.contains("<tr class=\"allow\">"), "{dom}");
    let logs = dir.path().join("logs.html");
    let log = access_log(&s, dir.path());
    report(
        &s,
        &[
            "logs:scan",
            "--access-log",
            log.to_str().unwrap(),
            "--format",
            "html",
        ],
        &logs,
    );
    let dom = render_in_chromium(browser, &logs, dir.path());
    assert!(dom.contains("<svg") && dom.contains("<rect"), "{dom}");
    for secret in secrets(&s) {
        assert!(
            !dom.contains(&secret),
            "a secret in the rendered logs report"
        );
    }
}
