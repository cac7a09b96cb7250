//! docs/monitoring: the Prometheus alerting rules parse (`promtool check rules`), their unit
//! tests pass (`promtool test rules`: among them "an integration started failing"), and every
//! m2auth metric they name is one `logs:watch` exports. promtool comes with Debian's
//! `prometheus` package (an optional package of scripts/test); without it only the metric
//! names are checked, and the test says so.

use std::path::Path;
use std::process::Command;

fn docs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/monitoring")
}

#[test]
fn the_alert_rules_use_exported_metrics_and_pass_promtool() {
    let rules = std::fs::read_to_string(docs().join("m2auth-alerts.yml")).unwrap();
    let exported = m2auth::report::logs::prometheus(&m2auth::checks::logs::Metrics::default());
    let mut named = 0;
    for word in rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("m2auth_") {
            named += 1;
            assert!(
                exported.contains(&format!("# TYPE {word} ")),
                "{word} is not a metric of logs:watch"
            );
        }
    }
    assert!(named >= 8, "the rules name the watcher's metrics");
    assert!(rules.contains("alert: MagentoIntegrationStartedFailing"));
    let have = Command::new("sh")
        .args(["-c", "command -v promtool"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("skipped promtool: not installed (apt-get install prometheus)");
        return;
    }
    for args in [
        ["check", "rules", "m2auth-alerts.yml"],
        ["test", "rules", "m2auth-alerts.test.yml"],
    ] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(docs())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
