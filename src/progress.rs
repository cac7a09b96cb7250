//! Progress of long work (reading a big `--dump`, the access logs of `logs:scan`, the walk of
//! `perms:*`, the requests of `acl:matrix --live`), told to a [`Progress`] the caller gives.
//! The library only tells; whether and how it is shown (a bar on a terminal, nothing when
//! piped or `--quiet`) is the caller's decision: the CLI passes its bar, everything else the
//! silent default ([`Silent`]).

use std::io::Read;
use std::sync::Arc;

/// What the work counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    /// Files and folders, requests: things.
    Items,
}

/// Told of one piece of work at a time: [`Progress::start`], any number of
/// [`Progress::advance`] (from any thread), [`Progress::finish`]. Every method does nothing by
/// default.
pub trait Progress: Send + Sync {
    /// Work named `what` begins: `total` units when known.
    fn start(&self, what: &str, total: Option<u64>, unit: Unit) {
        let _ = (what, total, unit);
    }

    /// `n` more units done.
    fn advance(&self, n: u64) {
        let _ = n;
    }

    /// The work is over (done or failed).
    fn finish(&self) {}
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// The progress of a run, shared by its steps (`app::Common::progress`): silent by default.
#[derive(Clone)]
pub struct Shared(pub Arc<dyn Progress>);

impl Shared {
    pub fn new(p: impl Progress + 'static) -> Shared {
        Shared(Arc::new(p))
    }

    pub fn get(&self) -> &dyn Progress {
        &*self.0
    }
}

impl Default for Shared {
    fn default() -> Shared {
        Shared::new(Silent)
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// One piece of work, finished when dropped (on every path out, errors included).
pub struct Task<'a>(&'a dyn Progress);

impl<'a> Task<'a> {
    pub fn start(p: &'a dyn Progress, what: &str, total: Option<u64>, unit: Unit) -> Task<'a> {
        p.start(what, total, unit);
        Task(p)
    }

    pub fn advance(&self, n: u64) {
        self.0.advance(n);
    }
}

impl Drop for Task<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// A reader that tells `progress` of every byte read through it.
pub struct Counting<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
}

impl<'a, R: Read> Counting<'a, R> {
    pub fn new(inner: R, progress: &'a dyn Progress) -> Self {
        Counting { inner, progress }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what it is told.
    #[derive(Default)]
    pub struct Recorder(pub Mutex<Vec<String>>);

    impl Progress for Recorder {
        fn start(&self, what: &str, total: Option<u64>, unit: Unit) {
            self.0
                .lock()
                .unwrap()
                .push(format!("start {what} {total:?} {unit:?}"));
        }
        fn advance(&self, n: u64) {
            self.0.lock().unwrap().push(format!("advance {n}"));
        }
        fn finish(&self) {
            self.0.lock().unwrap().push("finish".into());
        }
    }

    #[test]
    fn a_task_tells_start_advances_and_finish_even_on_early_return() {
        let r = Recorder::default();
        let read = |fail: bool| -> std::io::Result<Vec<u8>> {
            let _task = Task::start(&r, "reading", Some(5), Unit::Bytes);
            let mut out = Vec::new();
            Counting::new(&b"hello"[..], &r).read_to_end(&mut out)?;
            if fail {
                return Err(std::io::Error::other("stop"));
            }
            Ok(out)
        };
        assert_eq!(read(false).unwrap(), b"hello");
        assert!(read(true).is_err());
        let told = r.0.lock().unwrap().clone();
        let once = [
            "start reading Some(5) Bytes",
            "advance 5",
            "advance 0",
            "finish",
        ];
        assert_eq!(told, [once, once].concat());
        // The silent default takes anything.
        let s = Shared::default();
        s.get().start("x", None, Unit::Items);
        s.get().advance(1);
        s.get().finish();
    }
}
