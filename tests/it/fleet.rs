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
