//! The progress bar (indicatif) the library's long work reports to, on stderr: only when
//! stderr is a terminal and `--quiet` was not given; otherwise the library's silent default,
//! so piped runs, JSON output and tests never see a byte of it.

use std::io::IsTerminal;
use std::sync::RwLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use m2auth::progress::{Progress, Shared, Unit};

/// The run's progress: a bar on a terminal, silent when piped or `quiet`.
pub fn for_run(quiet: bool) -> Shared {
    if quiet || !std::io::stderr().is_terminal() {
        Shared::default()
    } else {
        Shared::new(Bar::default())
    }
}

/// One bar at a time, replaced at each `start`.
#[derive(Default)]
struct Bar(RwLock<Option<ProgressBar>>);

fn style(total: bool, unit: Unit) -> ProgressStyle {
    let template = match (total, unit) {
        (true, Unit::Bytes) => "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        (true, Unit::Items) => "{msg} {bar:30} {pos}/{len} {per_sec} {eta}",
        (false, Unit::Bytes) => "{spinner} {msg} {bytes} ({bytes_per_sec})",
        (false, Unit::Items) => "{spinner} {msg} {pos} ({per_sec})",
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress for Bar {
    fn start(&self, what: &str, total: Option<u64>, unit: Unit) {
        let bar = match total {
            Some(t) => ProgressBar::new(t),
            None => ProgressBar::new_spinner(),
        };
        bar.set_style(style(total.is_some(), unit));
        bar.set_message(what.to_string());
        // Redrawn while nothing advances (a slow request, a big folder).
        bar.enable_steady_tick(Duration::from_millis(150));
        let mut slot = self.0.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = slot.replace(bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, n: u64) {
        if let Some(b) = &*self.0.read().unwrap_or_else(|e| e.into_inner()) {
            b.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(b) = self.0.write().unwrap_or_else(|e| e.into_inner()).take() {
            b.finish_and_clear();
        }
    }
}
