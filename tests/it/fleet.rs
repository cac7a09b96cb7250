//! docs/fleet/audit.yml, the Ansible example, run against this machine with
//! `ansible-playbook -c local` over two lab stores (the test build's binary, no package
//! install): fleet.jsonl holds one line per store. Skipped when ansible-core is not installed.

use std::path::Path;
use std::process::Command;

use crate::lab::scenario::Scenario;

fn store(bearer: bool) -> Option<Scenario> {
    let s = Scenario::new()?;
    s.release("2.4.7-p10")
        .env("backend/frontName", "backoffice_q7")
        .file("var/backups/1796000000_db.sql", "-- a dump\n");
    if bearer {
        s.bearer();
    }
    // Writes the store's files.
    s.run(&["audit"]);
    Some(s)
}

#[test]
fn the_ansible_example_audits_every_store_of_localhost() {
    let have = Command::new("sh")
        .args(["-c", "command -v ansible-playbook"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("skipped: ansible-playbook is not installed (apt-get install ansible-core)");
        return;
    }
    let (Some(a), Some(b)) = (store(false), store(true)) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let vars = serde_json::json!({
        "m2auth_install": false,
        "m2auth_bin": env!("CARGO_BIN_EXE_m2auth"),
        "m2auth_roots": [a.root(), b.root()],
        "report_dir": reports,
    });
    let playbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet/audit.yml");
    let out = Command::new("ansible-playbook")
        .args(["-c", "local", "-i", "localhost,"])
        .arg("-e")
        .arg(vars.to_string())
        .arg(&playbook)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .output()
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ansible-playbook: {log}");
    let fleet = std::fs::read_to_string(tmp.path().join("fleet.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = fleet
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{fleet}");
    let has_bearer = |l: &serde_json::Value| {
        l["report"]["findings"]
            .to_string()
            .contains("audit-bearer-enabled")
    };
    assert!(!has_bearer(&lines[0]) && has_bearer(&lines[1]), "{fleet}");
    assert!(log.contains("audit-bearer-enabled"), "{log}");
}

/// `diagnose --root A --root B`: text with one section per store, `--format jsonl` one object
/// per store and line with its root and host; the exit is the worst store's (2 for a root
/// that is no store); html/markdown and a request sent to one host are refused with several.
#[test]
fn diagnose_over_several_roots() {
    let (Some(a), Some(b)) = (store(false), store(false)) else {
        return;
    };
    // b has no crypt key: a root cause (exit 1); a is healthy apart from prevention advice.
    b.env_remove("crypt")
        .config("web/secure/base_url", "https://shop-b.example.test/");
    b.run(&["diagnose", "--offline"])
        .expect_root_cause("crypt-key-missing");
    let b_root = b.root().to_str().unwrap().to_string();
    // run_text adds a's --root last: the stores are b, then a.
    let (code, text, err) = a.run_text(&[
        "diagnose",
        "--offline",
        "--format",
        "jsonl",
        "--root",
        &b_root,
    ]);
    assert_eq!(code, 1, "{text}{err}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["root"], b_root.as_str());
    assert_eq!(lines[0]["host"], "shop-b.example.test");
    assert_eq!(lines[0]["exit"], 1);
    assert_eq!(lines[0]["report"]["root_cause"], "crypt-key-missing");
    assert_eq!(lines[1]["root"], a.root().to_str().unwrap());
    assert_eq!(lines[1]["exit"], 0, "{}", lines[1]);
    // Text: one section per store, in order.
    let (code, text, _) = a.run_text(&["diagnose", "--offline", "--root", &b_root]);
    assert_eq!(code, 1);
    let sections: Vec<&str> = text.lines().filter(|l| l.starts_with("== ")).collect();
    assert_eq!(
        sections,
        [format!("== {b_root}"), format!("== {}", a.root().display())],
        "{text}"
    );
    // A root that is no store: its line says why, exit 2 (the worst).
    let (code, text, _) = a.run_text(&[
        "diagnose",
        "--offline",
        "--format",
        "jsonl",
        "--root",
        "/nonexistent/shop",
    ]);
    assert_eq!(code, 2);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(first["error"].as_str().is_some(), "{first}");
    // Refused with several stores: one document, a request to one host.
    for args in [
        &[
            "diagnose",
            "--offline",
            "--format",
            "html",
            "--root",
            &b_root,
        ][..],
        &[
            "diagnose",
            "--request",
            "GET https://shop.test/rest/V1/products",
            "--root",
            &b_root,
        ],
    ] {
        let (code, _, err) = a.run_text(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("several --root"), "{err}");
    }
}
