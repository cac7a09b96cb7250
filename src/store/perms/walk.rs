//! One parallel pass over a store's tree, reading every entry's mode and owner without ever
//! following a symbolic link.
//!
//! Hand-written on std threads rather than `ignore`'s `WalkParallel` or `walkdir`: those hand
//! out paths, and a path is looked up again (through any link a concurrent process put in its
//! way) by whatever uses it. Here every directory is opened relative to its parent's open
//! handle with `O_DIRECTORY | O_NOFOLLOW`, checked to be the directory the listing saw (device
//! and inode), read with `getdents64`, and each entry stat'ed with `fstatat(…,
//! AT_SYMLINK_NOFOLLOW)` relative to that handle. The visitor gets the handle and the name, so a
//! fixer changes exactly the entry that was judged (`crate::fix::perms`).
//!
//! Work is a shared LIFO stack of directories (depth first keeps the number of open parent
//! handles near the tree's depth); each worker keeps its own accumulator (no lock per entry).
//! A folder that cannot be opened or read is reported and the walk goes on; an entry that
//! vanishes between the listing and its stat is counted; a folder replaced (by a link or
//! another folder) between the listing and its opening is reported and not entered.

use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, openat, statat};
use rustix::io::Errno;

/// An entry's kind, from its `lstat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    /// FIFO, socket, device.
    Special,
}

/// What the walk read of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub kind: EntryKind,
    /// `st_mode & 0o7777`.
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
}

impl Meta {
    pub fn of(st: &rustix::fs::Stat) -> Meta {
        let kind = match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => EntryKind::File,
            FileType::Directory => EntryKind::Dir,
            FileType::Symlink => EntryKind::Symlink,
            _ => EntryKind::Special,
        };
        Meta {
            kind,
            perm: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            dev: st.st_dev,
            ino: st.st_ino,
            nlink: st.st_nlink,
        }
    }
}

/// One entry as the visitor sees it.
pub struct Seen<'a> {
    /// Relative to the root, `/`-separated; empty for the root itself.
    pub rel: &'a [u8],
    /// The handle of the folder holding it (for the root: the root's own handle).
    pub dir: BorrowedFd<'a>,
    /// Its name in that folder (`.` for the root).
    pub name: &'a CStr,
    pub meta: Meta,
}

/// How to walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Worker threads (0: [`default_threads`]).
    pub threads: usize,
    /// Folders (relative to the root) neither visited nor entered.
    pub skip: Vec<String>,
    /// When set, only these folders (relative) and what they hold are visited.
    pub only: Option<Vec<String>>,
    /// Stop after this many entries (a bounded pass); the report says it was cut short.
    pub limit: Option<u64>,
}

/// What the walk saw besides the entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WalkReport {
    pub files: u64,
    pub dirs: u64,
    pub links: u64,
    pub special: u64,
    /// Folders that could not be opened or read: (relative path, the reason).
    pub unreadable: Vec<(String, String)>,
    /// Entries gone between the listing and their stat, or folders gone before their opening.
    pub vanished: u64,
    /// Folders replaced (by a link, a file or another folder) between the listing and their
    /// opening: not entered.
    pub replaced: Vec<String>,
    /// The pass stopped at [`WalkOptions::limit`].
    pub truncated: bool,
}

impl WalkReport {
    fn merge(&mut self, o: WalkReport) {
        self.files += o.files;
        self.dirs += o.dirs;
        self.links += o.links;
        self.special += o.special;
        self.unreadable.extend(o.unreadable);
        self.vanished += o.vanished;
        self.replaced.extend(o.replaced);
        self.truncated |= o.truncated;
    }

    pub fn entries(&self) -> u64 {
        self.files + self.dirs + self.links + self.special
    }
}

/// The root cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WalkError {
    pub path: std::path::PathBuf,
    #[source]
    pub source: std::io::Error,
}

struct Job {
    parent: Arc<OwnedFd>,
    name: CString,
    rel: Vec<u8>,
    dev: u64,
    ino: u64,
}

struct Shared {
    stack: Mutex<(Vec<Job>, usize)>,
    ready: Condvar,
    seen: AtomicU64,
    stop: AtomicBool,
}

/// Open a directory relative to `dir` without following a link (`O_DIRECTORY | O_NOFOLLOW`).
pub fn open_dir(dir: BorrowedFd<'_>, name: &CStr) -> rustix::io::Result<OwnedFd> {
    openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Walker threads by default: four per CPU (at most 32). The walk is system calls, and a thread
/// waits in the kernel (a directory block not cached, an inode lock, a CPU taken by another
/// process); more threads than cores keep the cores busy (docs/benchmarks.md §7: on 2 shared
/// cores, 8 threads took 2.8 s where 2 took 3.9 s).
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .saturating_mul(4)
        .clamp(1, 32)
}

/// Walk the tree at `root` (the root itself is entered even when it is a link: it is the
/// store the user named). Returns each worker's accumulator and the report.
pub fn walk<A, F>(
    root: &Path,
    opts: &WalkOptions,
    progress: &dyn crate::progress::Progress,
    visit: F,
) -> Result<(Vec<A>, WalkReport), WalkError>
where
    A: Default + Send,
    F: Fn(&mut A, &Seen<'_>) + Sync,
{
    let err = |e: Errno| WalkError {
        path: root.to_path_buf(),
        source: e.into(),
    };
    let fd = openat(
        rustix::fs::CWD,
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(err)?;
    let st = rustix::fs::fstat(&fd).map_err(err)?;
    let root_meta = Meta::of(&st);
    let threads = match opts.threads {
        0 => default_threads(),
        n => n,
    };
    let shared = Shared {
        stack: Mutex::new((Vec::new(), 1)),
        ready: Condvar::new(),
        seen: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    };
    let filter = Filter {
        skip: opts.skip.iter().map(|s| s.as_bytes().to_vec()).collect(),
        only: opts
            .only
            .as_ref()
            .map(|o| o.iter().map(|s| s.as_bytes().to_vec()).collect()),
    };
    let mut first = A::default();
    let mut report = WalkReport::default();
    if filter.visits(b"") {
        visit(
            &mut first,
            &Seen {
                rel: b"",
                dir: fd.as_fd(),
                name: c".",
                meta: root_meta,
            },
        );
        report.dirs += 1;
    }
    // The root's children are listed like any folder's: the root job reuses the open handle.
    let root_fd = Arc::new(fd);
    let mut results = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let shared = &shared;
                let visit = &visit;
                let filter = &filter;
                let root_fd = root_fd.clone();
                s.spawn(move || {
                    let mut acc = A::default();
                    let mut rep = WalkReport::default();
                    if i == 0 {
                        list(
                            root_fd,
                            Vec::new(),
                            shared,
                            filter,
                            opts,
                            progress,
                            visit,
                            &mut acc,
                            &mut rep,
                        );
                    }
                    worker(
                        shared,
                        filter,
                        opts,
                        progress,
                        visit,
                        &mut acc,
                        &mut rep,
                        i == 0,
                    );
                    (acc, rep)
                })
            })
            .collect();
        for h in handles {
            let (acc, rep) = h.join().expect("a walk worker panicked");
            results.push(acc);
            report.merge(rep);
        }
    });
    results.push(first);
    report.unreadable.sort();
    report.replaced.sort();
    Ok((results, report))
}

struct Filter {
    skip: Vec<Vec<u8>>,
    only: Option<Vec<Vec<u8>>>,
}

fn under(rel: &[u8], folder: &[u8]) -> bool {
    rel.starts_with(folder) && (rel.len() == folder.len() || rel[folder.len()] == b'/')
}

impl Filter {
    fn skipped(&self, rel: &[u8]) -> bool {
        self.skip.iter().any(|s| under(rel, s))
    }
    /// Whether the entry is reported to the visitor.
    fn visits(&self, rel: &[u8]) -> bool {
        match &self.only {
            None => true,
            Some(only) => only.iter().any(|o| under(rel, o)),
        }
    }
    /// Whether a folder is entered (it holds, or is under, an `only` folder).
    fn enters(&self, rel: &[u8]) -> bool {
        if self.skipped(rel) {
            return false;
        }
        match &self.only {
            None => true,
            Some(only) => only.iter().any(|o| under(rel, o) || under(o, rel)),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn worker<A, F>(
    shared: &Shared,
    filter: &Filter,
    opts: &WalkOptions,
    progress: &dyn crate::progress::Progress,
    visit: &F,
    acc: &mut A,
    rep: &mut WalkReport,
    listed_root: bool,
) where
    F: Fn(&mut A, &Seen<'_>) + Sync,
{
    // The first worker listed the root before coming here: it was "active" until now.
    if listed_root {
        let mut g = shared.stack.lock().expect("walk stack");
        g.1 -= 1;
        shared.ready.notify_all();
    }
    loop {
        let job = {
            let mut g = shared.stack.lock().expect("walk stack");
            loop {
                if let Some(j) = g.0.pop() {
                    g.1 += 1;
                    break Some(j);
                }
                if g.1 == 0 {
                    shared.ready.notify_all();
                    break None;
                }
                g = shared.ready.wait(g).expect("walk stack");
            }
        };
        let Some(job) = job else { return };
        enter(job, shared, filter, opts, progress, visit, acc, rep);
        let mut g = shared.stack.lock().expect("walk stack");
        g.1 -= 1;
        if g.1 == 0 && g.0.is_empty() {
            shared.ready.notify_all();
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn enter<A, F>(
    job: Job,
    shared: &Shared,
    filter: &Filter,
    opts: &WalkOptions,
    progress: &dyn crate::progress::Progress,
    visit: &F,
    acc: &mut A,
    rep: &mut WalkReport,
) where
    F: Fn(&mut A, &Seen<'_>) + Sync,
{
    let shown = || String::from_utf8_lossy(&job.rel).into_owned();
    let fd = match open_dir(job.parent.as_fd(), &job.name) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => {
            rep.vanished += 1;
            return;
        }
        // A link (ELOOP) or a file (ENOTDIR) where the folder was.
        Err(Errno::LOOP | Errno::NOTDIR) => {
            rep.replaced.push(shown());
            return;
        }
        Err(e) => {
            rep.unreadable
                .push((shown(), std::io::Error::from(e).to_string()));
            return;
        }
    };
    match rustix::fs::fstat(&fd) {
        Ok(st) if st.st_dev == job.dev && st.st_ino == job.ino => {}
        Ok(_) => {
            rep.replaced.push(shown());
            return;
        }
        Err(e) => {
            rep.unreadable
                .push((shown(), std::io::Error::from(e).to_string()));
            return;
        }
    }
    drop(job.parent);
    list(
        Arc::new(fd),
        job.rel,
        shared,
        filter,
        opts,
        progress,
        visit,
        acc,
        rep,
    );
}

/// List one opened folder: visit its entries, push its sub-folders.
#[allow(clippy::too_many_arguments)]
fn list<A, F>(
    fd: Arc<OwnedFd>,
    rel: Vec<u8>,
    shared: &Shared,
    filter: &Filter,
    opts: &WalkOptions,
    progress: &dyn crate::progress::Progress,
    visit: &F,
    acc: &mut A,
    rep: &mut WalkReport,
) where
    F: Fn(&mut A, &Seen<'_>) + Sync,
{
    if shared.stop.load(Ordering::Relaxed) {
        rep.truncated = true;
        return;
    }
    let shown = || String::from_utf8_lossy(&rel).into_owned();
    let mut dir = match Dir::read_from(&*fd) {
        Ok(d) => d,
        Err(e) => {
            rep.unreadable
                .push((shown(), std::io::Error::from(e).to_string()));
            return;
        }
    };
    let mut subdirs = Vec::new();
    let mut count = 0u64;
    let mut child = rel.clone();
    if !child.is_empty() {
        child.push(b'/');
    }
    let base = child.len();
    while let Some(item) = dir.read() {
        let item = match item {
            Ok(i) => i,
            Err(e) => {
                rep.unreadable
                    .push((shown(), std::io::Error::from(e).to_string()));
                break;
            }
        };
        let name = item.file_name();
        let bytes = name.to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        child.truncate(base);
        child.extend_from_slice(bytes);
        let st = match statat(&*fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => {
                rep.vanished += 1;
                continue;
            }
            Err(e) => {
                rep.unreadable.push((
                    String::from_utf8_lossy(&child).into_owned(),
                    std::io::Error::from(e).to_string(),
                ));
                continue;
            }
        };
        let meta = Meta::of(&st);
        if meta.kind == EntryKind::Dir && !filter.enters(&child) {
            continue;
        }
        count += 1;
        if filter.visits(&child) {
            match meta.kind {
                EntryKind::File => rep.files += 1,
                EntryKind::Dir => rep.dirs += 1,
                EntryKind::Symlink => rep.links += 1,
                EntryKind::Special => rep.special += 1,
            }
            visit(
                acc,
                &Seen {
                    rel: &child,
                    dir: fd.as_fd(),
                    name,
                    meta,
                },
            );
        }
        if meta.kind == EntryKind::Dir {
            subdirs.push(Job {
                parent: fd.clone(),
                name: name.to_owned(),
                rel: child.clone(),
                dev: meta.dev,
                ino: meta.ino,
            });
        }
    }
    progress.advance(count);
    let total = shared.seen.fetch_add(count, Ordering::Relaxed) + count;
    if opts.limit.is_some_and(|l| total >= l) {
        shared.stop.store(true, Ordering::Relaxed);
        if !subdirs.is_empty() {
            rep.truncated = true;
        }
        return;
    }
    if !subdirs.is_empty() {
        let mut g = shared.stack.lock().expect("walk stack");
        g.0.extend(subdirs);
        shared.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[derive(Default)]
    struct Acc(Vec<(String, EntryKind)>);

    #[test]
    fn walks_without_following_links() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("a/b/c")).unwrap();
        std::fs::create_dir_all(r.join("var/m2auth/journal")).unwrap();
        std::fs::write(r.join("a/b/c/f"), "x").unwrap();
        std::fs::write(r.join("top"), "x").unwrap();
        symlink("/etc", r.join("a/etc")).unwrap();
        let opts = WalkOptions {
            threads: 3,
            skip: vec!["var/m2auth".into()],
            ..Default::default()
        };
        let (accs, rep) = walk(r, &opts, &crate::progress::Silent, |a: &mut Acc, s| {
            a.0.push((String::from_utf8_lossy(s.rel).into_owned(), s.meta.kind))
        })
        .unwrap();
        let mut all: Vec<_> = accs.into_iter().flat_map(|a| a.0).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<&str> = all.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(
            names,
            ["", "a", "a/b", "a/b/c", "a/b/c/f", "a/etc", "top", "var"]
        );
        assert_eq!(all[5].1, EntryKind::Symlink);
        assert_eq!((rep.files, rep.dirs, rep.links), (2, 5, 1));
        // Only some folders.
        let opts = WalkOptions {
            only: Some(vec!["a/b".into()]),
            ..Default::default()
        };
        let (accs, _) = walk(r, &opts, &crate::progress::Silent, |a: &mut Acc, s| {
            a.0.push((String::from_utf8_lossy(s.rel).into_owned(), s.meta.kind))
        })
        .unwrap();
        let mut names: Vec<String> = accs.into_iter().flat_map(|a| a.0).map(|a| a.0).collect();
        names.sort();
        assert_eq!(names, ["a/b", "a/b/c", "a/b/c/f"]);
    }
}
