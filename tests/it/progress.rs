//! Progress bars: on a terminal only. Piped (as every other test runs the binary), no byte of a
//! bar reaches stderr; under a pseudo-terminal (`script` from util-linux, skipped without it)
//! the bar is drawn, and `--quiet` silences it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lab::m2auth;

fn example() -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    (dir.join("store"), dir.join("store.sql"))
}

fn access_log(dir: &Path) -> PathBuf {
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!(
            "203.0.113.9 - - [01/May/2024:10:00:{:02} +0000] \"GET /rest/V1/orders/{i} HTTP/1.1\" 401 80 \"-\" \"curl/8\"\n",
            i % 60
        ));
    }
    let path = dir.join("access.log");
    std::fs::write(&path, text).unwrap();
    path
}

/// Traces of a progress bar: its messages, a carriage return, an escape sequence.
fn has_bar(stderr: &str) -> bool {
    stderr.contains("reading the")
        || stderr.contains("checking the")
        || stderr.contains('\r')
        || stderr.contains('\u{1b}')
}

#[test]
fn piped_runs_write_no_progress_to_stderr() {
    let (store, dump) = example();
    let dir = tempfile::tempdir().unwrap();
    let log = access_log(dir.path());
    let runs: [Vec<&str>; 3] = [
        vec![
            "info",
            "--root",
            store.to_str().unwrap(),
            "--dump",
            dump.to_str().unwrap(),
        ],
        vec!["logs:scan", "--access-log", log.to_str().unwrap()],
        vec!["perms:check", "--root", store.to_str().unwrap()],
    ];
    for args in runs {
        let out = m2auth(&args, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!has_bar(&stderr), "{args:?}: {stderr}");
        assert!(!out.stdout.is_empty(), "{args:?}: a report on stdout");
    }
}

/// `m2auth ARGS` under a pseudo-terminal (stdout to /dev/null): what the terminal showed.
fn on_a_terminal(args: &[&str]) -> Option<String> {
    if !Command::new("sh")
        .args(["-c", "command -v script"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: no `script` (util-linux) for a pseudo-terminal");
        return None;
    }
    let line = std::iter::once(env!("CARGO_BIN_EXE_m2auth"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &format!("{line} >/dev/null"), "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_terminal_shows_the_bar_unless_quiet() {
    let (store, dump) = example();
    let (store, dump) = (store.to_str().unwrap(), dump.to_str().unwrap());
    let Some(shown) = on_a_terminal(&["info", "--root", store, "--dump", dump]) else {
        return;
    };
    assert!(shown.contains("reading the dump"), "{shown:?}");
    let quiet = on_a_terminal(&["info", "--root", store, "--dump", dump, "--quiet"]).unwrap();
    assert!(!has_bar(&quiet), "{quiet:?}");
    let dir = tempfile::tempdir().unwrap();
    let log = access_log(dir.path());
    let shown = on_a_terminal(&["logs:scan", "--access-log", log.to_str().unwrap()]).unwrap();
    assert!(shown.contains("reading the access logs"), "{shown:?}");
    let quiet = on_a_terminal(&[
        "logs:scan",
        "--access-log",
        log.to_str().unwrap(),
        "--quiet",
    ])
    .unwrap();
    assert!(!has_bar(&quiet), "{quiet:?}");
}

/// Counts what the library tells.
#[derive(Default)]
struct Recorder {
    started: std::sync::Mutex<Vec<(String, Option<u64>)>>,
    done: std::sync::atomic::AtomicU64,
    finished: std::sync::atomic::AtomicU64,
}

impl m2auth::progress::Progress for Recorder {
    fn start(&self, what: &str, total: Option<u64>, _unit: m2auth::progress::Unit) {
        self.started.lock().unwrap().push((what.to_string(), total));
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
    fn finish(&self) {
        self.finished
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn the_dump_reader_tells_every_byte_of_the_file() {
    use std::sync::atomic::Ordering;
    let (_, dump) = example();
    let size = std::fs::metadata(&dump).unwrap().len();
    let r = Recorder::default();
    m2auth::store::db::dump::DumpDb::open_with(&dump, "", &r).unwrap();
    assert_eq!(
        *r.started.lock().unwrap(),
        vec![("reading the dump".to_string(), Some(size))]
    );
    assert_eq!(r.done.load(Ordering::Relaxed), size);
    assert_eq!(r.finished.load(Ordering::Relaxed), 1);
}
