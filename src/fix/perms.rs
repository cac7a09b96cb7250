//! `perms:fix`: change exactly the modes and owners `perms:check` finds wrong, journaled, never
//! through a link.
//!
//! One walk ([`crate::checks::file_perms::scan`]) judges every entry; each wrong one becomes a
//! [`ModeChange`] (the mode it should have; the owner only with `--owner`, as root) streamed into
//! the journal's compressed attachment. Then the entry is written, and only then the changes are
//! made, each with [`DirCache::apply`]: the folder holding the entry is opened from the root one
//! component at a time with `O_DIRECTORY | O_NOFOLLOW`, the entry itself with `O_PATH |
//! O_NOFOLLOW`; it must still be the inode the walk judged (device and inode) in the state the
//! walk saw, else it is skipped and reported. The owner is set with `fchownat(fd, "",
//! AT_EMPTY_PATH)` and the mode through `/proc/self/fd/N` (what glibc's `fchmodat(…,
//! AT_SYMLINK_NOFOLLOW)` does): both act on the opened inode, so an entry swapped for a link (or
//! a folder on the way swapped for a link) after the check is skipped, and what the link points
//! at is never changed.
//!
//! Hard links: a file with several names is changed only when the walk met all of its names
//! inside the store (else its other name is outside, and changing it would change a file
//! outside the store); it is recorded once.

use crate::progress::{Task, Unit};
use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::Mutex;

use rustix::fs::{AtFlags, Gid, Mode, OFlags, Uid};
use rustix::io::Errno;
use serde::Serialize;

use crate::checks::file_perms::{self, Expectations, Scan};
use crate::fix::FixError;
use crate::fix::journal::{AttachmentWriter, EntryMeta, Journal, Listed, ModeChange};
use crate::magento::perms::Verdict;
use crate::store::perms::{EntryKind, Seen, WalkOptions, open_dir};

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Changed,
    /// It already had the mode and owner wanted.
    AlreadyDone,
    /// Not changed: replaced, gone, or changed by someone else since it was judged.
    Skipped(String),
    /// The system refused (EPERM, a read-only file system…).
    Failed(String),
}

/// What the changes did, counted, with up to [`file_perms::EXAMPLES`] paths of each problem.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    pub changed: u64,
    pub already: u64,
    pub skipped: u64,
    pub failed: u64,
    /// (path, why) of skipped and failed entries, the first few.
    pub problems: Vec<(String, String)>,
}

impl Applied {
    pub fn count(&mut self, c: &ModeChange, o: Outcome) {
        match o {
            Outcome::Changed => self.changed += 1,
            Outcome::AlreadyDone => self.already += 1,
            Outcome::Skipped(why) => {
                self.skipped += 1;
                self.note(c, why);
            }
            Outcome::Failed(why) => {
                self.failed += 1;
                self.note(c, why);
            }
        }
    }

    fn note(&mut self, c: &ModeChange, why: String) {
        if self.problems.len() < 20 {
            self.problems.push((c.shown(), why));
        }
    }
}

/// Open folders of the store, from its root, never through a link; the last path's folders are
/// kept open so that the entries of one folder (which the journal holds together) cost one
/// `openat` each.
pub struct DirCache {
    root: OwnedFd,
    /// The components of the open path and their handles.
    open: Vec<(Vec<u8>, OwnedFd)>,
}

fn errno_text(e: Errno) -> String {
    std::io::Error::from(e).to_string()
}

impl DirCache {
    pub fn open(root: &Path) -> Result<DirCache, FixError> {
        let root_fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| FixError::Io {
            path: root.to_path_buf(),
            source: e.into(),
        })?;
        Ok(DirCache {
            root: root_fd,
            open: Vec::new(),
        })
    }

    /// The handle of the folder holding `rel`, and its name there (`.` for the root).
    fn parent(&mut self, rel: &[u8]) -> Result<(Option<usize>, CString), String> {
        if rel.is_empty() {
            return Ok((None, c".".to_owned()));
        }
        let mut parts: Vec<&[u8]> = rel.split(|b| *b == b'/').collect();
        let name = parts.pop().expect("one component at least");
        let common = self
            .open
            .iter()
            .zip(&parts)
            .take_while(|((have, _), want)| have.as_slice() == **want)
            .count();
        self.open.truncate(common);
        for part in &parts[common..] {
            let c = CString::new(*part).map_err(|_| "a NUL in the path".to_string())?;
            let fd = {
                let at = self
                    .open
                    .last()
                    .map_or(self.root.as_fd(), |(_, fd)| fd.as_fd());
                open_dir(at, &c)
            };
            match fd {
                Ok(fd) => self.open.push((part.to_vec(), fd)),
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    return Err(format!(
                        "{} is no longer a folder (replaced by a link or a file)",
                        String::from_utf8_lossy(&rel[..rel.len() - name.len() - 1])
                    ));
                }
                Err(e) => return Err(errno_text(e)),
            }
        }
        let name = CString::new(name).map_err(|_| "a NUL in the path".to_string())?;
        Ok((self.open.len().checked_sub(1), name))
    }

    fn at(&self, idx: Option<usize>) -> std::os::fd::BorrowedFd<'_> {
        match idx {
            Some(i) => self.open[i].1.as_fd(),
            None => self.root.as_fd(),
        }
    }

    /// Open the entry `c` names (`O_PATH | O_NOFOLLOW`) and check it is the inode recorded:
    /// the handle, or why not.
    fn entry(&mut self, c: &ModeChange) -> Result<(OwnedFd, rustix::fs::Stat), Outcome> {
        let (idx, name) = self.parent(&c.rel).map_err(Outcome::Skipped)?;
        let fd = match rustix::fs::openat(
            self.at(idx),
            &name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Err(Outcome::Skipped("gone".into())),
            Err(e) => return Err(Outcome::Failed(errno_text(e))),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Outcome::Failed(errno_text(e)))?;
        let is_link = rustix::fs::FileType::from_raw_mode(st.st_mode).is_symlink();
        if is_link || st.st_dev != c.dev || st.st_ino != c.ino {
            return Err(Outcome::Skipped(
                "replaced since it was checked (another file or a link)".into(),
            ));
        }
        Ok((fd, st))
    }

    /// Why the entry of `c` is not in the state the change left (undo's conflict check), or
    /// `None` when it is (or is already back as it was).
    pub fn state_problem(&mut self, c: &ModeChange) -> Option<String> {
        match self.entry(c) {
            Err(Outcome::Skipped(why) | Outcome::Failed(why)) => Some(why),
            Err(_) => None,
            Ok((_, st)) => {
                let now = (st.st_mode & 0o7777, st.st_uid, st.st_gid);
                (now != (c.new_mode, c.new_uid, c.new_gid)
                    && now != (c.old_mode, c.old_uid, c.old_gid))
                    .then(|| {
                        format!(
                            "is now mode {:o} owner {}:{}, not the {:o} {}:{} m2auth left",
                            now.0, now.1, now.2, c.new_mode, c.new_uid, c.new_gid
                        )
                    })
            }
        }
    }

    /// Make change `c`: only when the entry is the recorded inode in the recorded old state
    /// (`force`: in any state but replaced).
    pub fn apply(&mut self, c: &ModeChange, force: bool) -> Outcome {
        let (fd, st) = match self.entry(c) {
            Ok(x) => x,
            Err(o) => return o,
        };
        let now = (st.st_mode & 0o7777, st.st_uid, st.st_gid);
        if now == (c.new_mode, c.new_uid, c.new_gid) {
            return Outcome::AlreadyDone;
        }
        if now != (c.old_mode, c.old_uid, c.old_gid) && !force {
            return Outcome::Skipped(format!(
                "changed since it was checked (mode {:o} owner {}:{})",
                now.0, now.1, now.2
            ));
        }
        if (now.1, now.2) != (c.new_uid, c.new_gid) {
            // chown on the opened inode (AT_EMPTY_PATH works on an O_PATH handle).
            if let Err(e) = rustix::fs::chownat(
                &fd,
                c"",
                Some(Uid::from_raw(c.new_uid)),
                Some(Gid::from_raw(c.new_gid)),
                AtFlags::EMPTY_PATH,
            ) {
                return Outcome::Failed(format!("chown: {}", errno_text(e)));
            }
        }
        // chmod of the opened inode: /proc/self/fd/N names exactly it (a chown may have
        // cleared setuid/setgid, so the whole mode is set after it).
        let proc = format!("/proc/self/fd/{}", fd.as_raw_fd());
        match rustix::fs::chmod(proc.as_str(), Mode::from_raw_mode(c.new_mode)) {
            Ok(()) => Outcome::Changed,
            Err(e) => Outcome::Failed(format!("chmod: {}", errno_text(e))),
        }
    }
}

/// How `perms:fix` runs.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// Change owners and groups too (`--owner`; only as root).
    pub chown: bool,
    pub threads: usize,
}

/// The plan (what is wrong; what would change) and, with `--apply`, what was done.
#[derive(Debug, Clone)]
pub struct PermsFix {
    pub scan: Scan,
    /// Entries with a change to make.
    pub planned: u64,
    /// Entries wrong only in their owner, left as they are (no `--owner`, or not root).
    pub owner_not_changed: u64,
    /// Hard-linked files with a name outside the store: not changed.
    pub hard_links_outside: Vec<String>,
    pub applied: Option<(Listed, Applied)>,
}

fn kind_byte(k: EntryKind) -> u8 {
    match k {
        EntryKind::File => b'f',
        EntryKind::Dir => b'd',
        _ => b's',
    }
}

fn change_of(s: &Seen<'_>, v: &Verdict, chown: bool) -> ModeChange {
    let m = s.meta;
    ModeChange {
        rel: s.rel.to_vec(),
        kind: kind_byte(m.kind),
        dev: m.dev,
        ino: m.ino,
        old_mode: m.perm,
        new_mode: v.mode,
        old_uid: m.uid,
        old_gid: m.gid,
        new_uid: if chown { v.uid.unwrap_or(m.uid) } else { m.uid },
        new_gid: if chown { v.gid.unwrap_or(m.gid) } else { m.gid },
    }
}

struct Collect {
    writer: Option<AttachmentWriter>,
    error: Option<FixError>,
    planned: u64,
    owner_only: u64,
    /// Hard-linked entries: (dev, ino) → (names seen, link count, the change).
    linked: HashMap<(u64, u64), (u64, u64, ModeChange)>,
}

/// Plan (`apply` false) or plan and carry out (`apply` true) the fix of the store at `root`.
pub fn run(
    root: &Path,
    expect: Expectations,
    opts: &FixOptions,
    apply: Option<(&Journal, &EntryMeta)>,
    progress: &dyn crate::progress::Progress,
) -> Result<PermsFix, FixError> {
    let walk: WalkOptions = file_perms::full_walk(opts.threads);
    let writer = match apply {
        Some((journal, meta)) => {
            let name = format!("{}.perms.gz", crate::fix::journal::new_id(meta));
            Some(AttachmentWriter::create(journal, &name)?)
        }
        None => None,
    };
    let collect = Mutex::new(Collect {
        writer,
        error: None,
        planned: 0,
        owner_only: 0,
        linked: HashMap::new(),
    });
    let chown = opts.chown;
    let on_wrong = |s: &Seen<'_>, v: &Verdict| {
        let c = change_of(s, v, chown);
        let mut g = collect.lock().expect("collect");
        if (c.new_mode, c.new_uid, c.new_gid) == (c.old_mode, c.old_uid, c.old_gid) {
            g.owner_only += 1;
            return;
        }
        if s.meta.kind == EntryKind::File && s.meta.nlink > 1 {
            let e = g
                .linked
                .entry((s.meta.dev, s.meta.ino))
                .or_insert((0, s.meta.nlink, c));
            e.0 += 1;
            return;
        }
        g.planned += 1;
        if g.error.is_none()
            && let Some(w) = g.writer.as_mut()
            && let Err(e) = w.push(&c)
        {
            g.error = Some(e);
        }
    };
    let task = Task::start(progress, "checking the store's files", None, Unit::Items);
    let scan = file_perms::scan(root, expect, &walk, progress, Some(&on_wrong)).map_err(|e| {
        FixError::Io {
            path: e.path,
            source: e.source,
        }
    });
    drop(task);
    let mut collect = collect.into_inner().expect("collect");
    let discard = |w: Option<AttachmentWriter>| {
        if let Some(w) = w {
            let _ = std::fs::remove_file(w.path());
        }
    };
    let scan = match scan {
        Ok(s) => s,
        Err(e) => {
            discard(collect.writer.take());
            return Err(e);
        }
    };
    if let Some(e) = collect.error.take() {
        discard(collect.writer.take());
        return Err(e);
    }
    // Hard links: only those whose every name is in the store.
    let mut outside = Vec::new();
    let mut linked: Vec<_> = collect.linked.drain().map(|(_, v)| v).collect();
    linked.sort_by(|a, b| a.2.rel.cmp(&b.2.rel));
    for (seen, nlink, c) in linked {
        if seen < nlink {
            outside.push(c.shown());
            continue;
        }
        collect.planned += 1;
        if let Some(w) = collect.writer.as_mut()
            && let Err(e) = w.push(&c)
        {
            discard(collect.writer.take());
            return Err(e);
        }
    }
    let mut fix = PermsFix {
        scan,
        planned: collect.planned,
        owner_not_changed: collect.owner_only,
        hard_links_outside: outside,
        applied: None,
    };
    let (Some((journal, meta)), Some(writer)) = (apply, collect.writer) else {
        return Ok(fix);
    };
    if writer.count == 0 {
        let _ = std::fs::remove_file(writer.path());
        return Ok(fix);
    }
    let count = writer.count;
    let written = writer.finish()?;
    let att = written.0.clone();
    let listed = journal.write_perms_entry(meta, root, written, count, None)?;
    let mut dirs = DirCache::open(root)?;
    let mut applied = Applied::default();
    let mut reader = crate::fix::journal::AttachmentReader::open(&att)?;
    let task = Task::start(progress, "changing modes", Some(count), Unit::Items);
    while let Some(c) = reader.next_change()? {
        let o = dirs.apply(&c, false);
        applied.count(&c, o);
        task.advance(1);
    }
    drop(task);
    fix.applied = Some((listed, applied));
    Ok(fix)
}
