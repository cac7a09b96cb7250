//! `--format html|markdown --output FILE` for `diagnose` and `audit`: one self-contained file,
//! the verdict first, no secret of the store inside; the HTML rendered by a real headless
//! Chromium (Debian's `chromium`; skipped with a message when it is not installed).

use std::path::Path;
use std::process::Command;

use crate::lab::fixture::MAGENTO_CRYPT_KEY;
use crate::lab::scenario::Scenario;

const TOKEN: &str = "r3p0rtt0k3nx9q8w7e6r5t4y3u2i1o0p";

/// A store with secrets to leak: an integration holding every resource (its token and
/// secrets in the database), bearer tokens on, the crypt key and DB password in env.php.
fn store() -> Option<Scenario> {
    let s = Scenario::new()?;
    s.release("2.4.7-p3")
        .env("backend/frontName", "admin")
        .integration(1, "erp", TOKEN)
        .role(50, 0, "U", 1, "1", "erp")
        .rule(50, "Magento_Backend::all", "allow")
        .bearer();
    Some(s)
}

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

#[test]
fn the_html_report_renders_in_headless_chromium() {
    let Some(s) = store() else { return };
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.html");
    report(&s, &["audit", "--format", "html"], &file);
    let shot = dir.path().join("shot.png");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,1600",
            &format!("--user-data-dir={}", dir.path().join("profile").display()),
            &format!("--screenshot={}", shot.display()),
        ])
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium: {stderr}");
    // Console messages are logged as CONSOLE(...): an error would be one.
    assert!(
        !stderr
            .lines()
            .any(|l| l.contains("CONSOLE") && l.contains("ERROR")),
        "console errors: {stderr}"
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG");
    // A rendered page of text and coloured boxes, not a blank one (a blank 1200x1600 PNG is a
    // few KB).
    assert!(png.len() > 20_000, "screenshot of {} bytes", png.len());
}
