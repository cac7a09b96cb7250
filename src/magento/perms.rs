//! What Magento wants of its files' modes and owners, per folder and per deploy mode (pure rules,
//! no I/O): the facts of `../shared/reference/magento-server.md` §6 as a function from one
//! entry (store-relative path, kind, mode, owner, group) to its problems and the mode/owner it
//! should have.
//!
//! * default/developer: var, generated, vendor, pub/static, pub/media and app/etc are written
//!   by both the command-line user and the web server (the classic
//!   `find … -type f -exec chmod g+w` / `-type d -exec chmod g+ws`): files group-writable,
//!   directories group-writable with setgid (new files keep the shared group);
//! * production: the code is read-only (app/code, lib, vendor, app/etc, pub/static,
//!   generated/code, generated/metadata, var/view_preprocessed: no group write), and only what
//!   Magento writes at run time stays group-writable with setgid: var (but
//!   var/view_preprocessed), pub/media, pub/static/_cache, generated (but code and metadata);
//! * every mode: bin/magento executable by its owner, app/etc/env.php closed to others
//!   (`o-rwx`: it holds the database password and the crypt key), nothing writable by everyone;
//! * owners: every entry owned by the file-system owner or the web server's user; in the
//!   folders both write, the group is the shared group (the web server's).

use serde::Serialize;

/// Magento's deploy mode (`MAGE_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployMode {
    Default,
    Developer,
    Production,
}

impl DeployMode {
    /// `MAGE_MODE` as env.php spells it; anything else is Magento's fallback, `default`.
    pub fn parse(s: &str) -> DeployMode {
        match s.trim().to_ascii_lowercase().as_str() {
            "production" => DeployMode::Production,
            "developer" => DeployMode::Developer,
            _ => DeployMode::Default,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeployMode::Default => "default",
            DeployMode::Developer => "developer",
            DeployMode::Production => "production",
        }
    }
}

/// Where an entry is, for what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Written by both users at run time: group-writable (directories also setgid).
    Writable,
    /// Production code: read-only for the group.
    Code,
    /// Anywhere else: only the rules of every mode apply.
    Other,
}

/// Folders both users write in default and developer mode (the classic commands' list).
pub const WRITABLE_DEFAULT: &[&str] = &[
    "var",
    "generated",
    "vendor",
    "pub/static",
    "pub/media",
    "app/etc",
];

/// Folders Magento writes at run time in production.
pub const WRITABLE_PRODUCTION: &[&str] = &["var", "generated", "pub/media", "pub/static/_cache"];

/// Read-only code in production (Adobe's production commands, plus vendor).
pub const CODE_PRODUCTION: &[&str] = &[
    "app/code",
    "lib",
    "vendor",
    "app/etc",
    "pub/static",
    "generated/code",
    "generated/metadata",
    "var/view_preprocessed",
];

/// The folders m2auth never judges: its own journal (private on purpose).
pub const SKIPPED: &[&str] = &["var/m2auth"];

/// `rel` is `folder` or inside it (`/`-separated, no leading slash).
fn under(rel: &[u8], folder: &str) -> bool {
    let f = folder.as_bytes();
    rel.starts_with(f) && (rel.len() == f.len() || rel[f.len()] == b'/')
}

/// The deepest folder of `list` that holds `rel` (its length), if any.
fn deepest(rel: &[u8], list: &[&str]) -> Option<usize> {
    list.iter().filter(|f| under(rel, f)).map(|f| f.len()).max()
}

/// The area of a store-relative path in `mode`: the deepest listed folder holding it decides
/// (production: `pub/static/_cache` is writable inside read-only `pub/static`,
/// `var/view_preprocessed` read-only inside writable `var`).
pub fn area(rel: &[u8], mode: DeployMode) -> Area {
    match mode {
        DeployMode::Default | DeployMode::Developer => match deepest(rel, WRITABLE_DEFAULT) {
            Some(_) => Area::Writable,
            None => Area::Other,
        },
        DeployMode::Production => {
            match (
                deepest(rel, WRITABLE_PRODUCTION),
                deepest(rel, CODE_PRODUCTION),
            ) {
                (Some(w), Some(c)) if w > c => Area::Writable,
                (_, Some(_)) => Area::Code,
                (Some(_), None) => Area::Writable,
                (None, None) => Area::Other,
            }
        }
    }
}

/// The folder an entry is counted under in reports: its top-level folder, or the two-level one
/// under pub/, app/ and generated/ (`vendor`, `pub/media`, `app/etc`); `.` for the root itself.
pub fn folder_of(rel: &[u8]) -> String {
    let s = String::from_utf8_lossy(rel);
    let mut parts = s.split('/');
    let first = parts.next().unwrap_or("");
    if first.is_empty() {
        return ".".into();
    }
    match (first, parts.next()) {
        ("pub" | "app" | "generated", Some(second)) => format!("{first}/{second}"),
        _ => first.to_string(),
    }
}

/// What kind of entry (symbolic links are never judged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
    /// FIFOs, sockets, devices: judged like files for world-write and owner only.
    Special,
}

/// One problem kind, as a bit of [`Verdict::problems`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    NotGroupWritable,
    DirMissingSetgid,
    BinMagentoNotExecutable,
    EnvPhpWorldReadable,
    WorldWritable,
    OwnerMismatch,
    CodeWritable,
}

impl Problem {
    pub const ALL: [Problem; 7] = [
        Problem::NotGroupWritable,
        Problem::DirMissingSetgid,
        Problem::BinMagentoNotExecutable,
        Problem::EnvPhpWorldReadable,
        Problem::WorldWritable,
        Problem::OwnerMismatch,
        Problem::CodeWritable,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The finding code of the contract.
    pub fn code(self) -> &'static str {
        match self {
            Problem::NotGroupWritable => "perms-not-group-writable",
            Problem::DirMissingSetgid => "perms-dir-missing-setgid",
            Problem::BinMagentoNotExecutable => "perms-bin-magento-not-executable",
            Problem::EnvPhpWorldReadable => "perms-env-php-world-readable",
            Problem::WorldWritable => "perms-world-writable",
            Problem::OwnerMismatch => "perms-owner-mismatch",
            Problem::CodeWritable => "perms-code-writable",
        }
    }

    /// The `chmod`/`chown` that repairs it, as a user would type it (`g+w`).
    pub fn change(self) -> &'static str {
        match self {
            Problem::NotGroupWritable => "chmod g+w",
            Problem::DirMissingSetgid => "chmod g+ws",
            Problem::BinMagentoNotExecutable => "chmod u+x",
            Problem::EnvPhpWorldReadable => "chmod o-rwx",
            Problem::WorldWritable => "chmod o-w",
            Problem::OwnerMismatch => "chown",
            Problem::CodeWritable => "chmod g-w",
        }
    }
}

/// The set of problems of one entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Problems(u8);

impl Problems {
    pub fn has(self, p: Problem) -> bool {
        self.0 & p.bit() != 0
    }
    pub fn add(&mut self, p: Problem) {
        self.0 |= p.bit();
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Problem> {
        Problem::ALL.into_iter().filter(move |p| self.has(*p))
    }
}

/// Whose files these should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Owners {
    /// The file-system owner (the command-line user).
    pub owner: Option<u32>,
    /// The shared group.
    pub group: Option<u32>,
    /// The web server's (PHP's) user.
    pub web_user: Option<u32>,
}

/// What the rules are judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub mode: DeployMode,
    pub owners: Owners,
}

/// One entry's problems and what it should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub problems: Problems,
    /// The mode it should have (permission bits and setuid/setgid/sticky).
    pub mode: u32,
    /// The owner and group it should have (`None`: as it is).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

const G_W: u32 = 0o020;
const S_GID: u32 = 0o2000;
const O_W: u32 = 0o002;
const O_RWX: u32 = 0o007;
const U_X: u32 = 0o100;

/// Judge one entry. `perm` is `st_mode & 0o7777`.
pub fn judge(rel: &[u8], kind: Kind, perm: u32, uid: u32, gid: u32, rules: &Rules) -> Verdict {
    let mut problems = Problems::default();
    let mut want = perm;
    let area = area(rel, rules.mode);
    match (area, kind) {
        (Area::Writable, Kind::File) if perm & G_W == 0 => {
            problems.add(Problem::NotGroupWritable);
            want |= G_W;
        }
        (Area::Writable, Kind::Dir) if perm & (G_W | S_GID) != G_W | S_GID => {
            problems.add(Problem::DirMissingSetgid);
            want |= G_W | S_GID;
        }
        (Area::Code, Kind::File | Kind::Dir) if perm & G_W != 0 => {
            problems.add(Problem::CodeWritable);
            want &= !G_W;
        }
        _ => {}
    }
    if kind == Kind::File && rel == b"bin/magento" && perm & U_X == 0 {
        problems.add(Problem::BinMagentoNotExecutable);
        want |= U_X;
    }
    if kind == Kind::File && rel == b"app/etc/env.php" && perm & O_RWX != 0 {
        problems.add(Problem::EnvPhpWorldReadable);
        want &= !O_RWX;
    }
    if perm & O_W != 0 && !(kind == Kind::Dir && perm & 0o1000 != 0 && area == Area::Other) {
        problems.add(Problem::WorldWritable);
        want &= !O_W;
    }
    let o = rules.owners;
    let mut want_uid = None;
    let mut want_gid = None;
    let uid_ok = o.owner.is_none_or(|u| u == uid) || o.web_user == Some(uid);
    if !uid_ok {
        problems.add(Problem::OwnerMismatch);
        want_uid = o.owner;
    }
    if area == Area::Writable
        && let Some(g) = o.group
        && g != gid
    {
        problems.add(Problem::OwnerMismatch);
        want_gid = Some(g);
    }
    Verdict {
        problems,
        mode: want,
        uid: want_uid,
        gid: want_gid,
    }
}

/// `rwxr-sr-x`-style text of a mode (permission bits only, with setuid/setgid/sticky).
pub fn symbolic(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    let bit = |m: u32, c: char| if mode & m != 0 { c } else { '-' };
    let special = |x: bool, s: bool, lower: char, upper: char| match (x, s) {
        (true, true) => lower,
        (false, true) => upper,
        (true, false) => 'x',
        (false, false) => '-',
    };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(mode & 0o100 != 0, mode & 0o4000 != 0, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(mode & 0o010 != 0, mode & 0o2000 != 0, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(mode & 0o001 != 0, mode & 0o1000 != 0, 't', 'T'));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(mode: DeployMode) -> Rules {
        Rules {
            mode,
            owners: Owners {
                owner: Some(1000),
                group: Some(33),
                web_user: Some(33),
            },
        }
    }

    #[test]
    fn areas_per_mode() {
        let d = DeployMode::Default;
        let p = DeployMode::Production;
        assert_eq!(area(b"var", d), Area::Writable);
        assert_eq!(area(b"var/cache/mage--a/x", d), Area::Writable);
        assert_eq!(area(b"vendor/magento/x.php", d), Area::Writable);
        assert_eq!(area(b"variable", d), Area::Other);
        assert_eq!(area(b"app/code/X", d), Area::Other);
        assert_eq!(area(b"vendor/magento/x.php", p), Area::Code);
        assert_eq!(area(b"pub/static/frontend/x.css", p), Area::Code);
        assert_eq!(area(b"pub/static/_cache/merged/x.js", p), Area::Writable);
        assert_eq!(area(b"var/view_preprocessed/a", p), Area::Code);
        assert_eq!(area(b"var/log/system.log", p), Area::Writable);
        assert_eq!(area(b"generated/code/A.php", p), Area::Code);
        assert_eq!(area(b"generated", p), Area::Writable);
        assert_eq!(area(b"pub/media/catalog/a.jpg", p), Area::Writable);
        assert_eq!(area(b"index.php", p), Area::Other);
    }

    #[test]
    fn default_mode_wants_group_write_and_setgid() {
        let r = rules(DeployMode::Default);
        let v = judge(b"var/log/a.log", Kind::File, 0o644, 1000, 33, &r);
        assert!(v.problems.has(Problem::NotGroupWritable));
        assert_eq!(v.mode, 0o664);
        let v = judge(b"var/log", Kind::Dir, 0o775, 1000, 33, &r);
        assert!(v.problems.has(Problem::DirMissingSetgid));
        assert_eq!(v.mode, 0o2775);
        let v = judge(b"var/log", Kind::Dir, 0o2775, 1000, 33, &r);
        assert!(v.problems.is_empty());
        let v = judge(b"index.php", Kind::File, 0o644, 1000, 1000, &r);
        assert!(
            v.problems.is_empty(),
            "outside the writable folders the group is free"
        );
    }

    #[test]
    fn production_wants_read_only_code() {
        let r = rules(DeployMode::Production);
        let v = judge(b"vendor/a.php", Kind::File, 0o664, 1000, 33, &r);
        assert!(v.problems.has(Problem::CodeWritable));
        assert_eq!(v.mode, 0o644);
        let v = judge(b"vendor/a.php", Kind::File, 0o644, 1000, 33, &r);
        assert!(v.problems.is_empty());
        let v = judge(b"var/cache/x", Kind::File, 0o644, 1000, 33, &r);
        assert!(v.problems.has(Problem::NotGroupWritable));
    }

    #[test]
    fn every_mode() {
        let r = rules(DeployMode::Developer);
        let v = judge(b"bin/magento", Kind::File, 0o644, 1000, 1000, &r);
        assert!(v.problems.has(Problem::BinMagentoNotExecutable));
        assert_eq!(v.mode, 0o744);
        let v = judge(b"app/etc/env.php", Kind::File, 0o666, 1000, 33, &r);
        assert!(v.problems.has(Problem::EnvPhpWorldReadable));
        assert!(v.problems.has(Problem::WorldWritable));
        assert_eq!(v.mode, 0o660);
        let v = judge(b"pub/index.php", Kind::File, 0o777, 1000, 1000, &r);
        assert!(v.problems.has(Problem::WorldWritable));
        assert_eq!(v.mode, 0o775);
        let v = judge(b"var/cache/x", Kind::File, 0o664, 0, 0, &r);
        assert!(v.problems.has(Problem::OwnerMismatch));
        assert_eq!((v.uid, v.gid), (Some(1000), Some(33)));
        let v = judge(b"var/cache/x", Kind::File, 0o664, 33, 33, &r);
        assert!(v.problems.is_empty(), "the web user may own what it wrote");
    }

    #[test]
    fn folders_and_text() {
        assert_eq!(folder_of(b"vendor/magento/a.php"), "vendor");
        assert_eq!(folder_of(b"pub/media/catalog/a.jpg"), "pub/media");
        assert_eq!(folder_of(b"pub/media"), "pub/media");
        assert_eq!(folder_of(b"app/etc/env.php"), "app/etc");
        assert_eq!(folder_of(b"var"), "var");
        assert_eq!(folder_of(b""), ".");
        assert_eq!(symbolic(0o2775), "rwxrwsr-x");
        assert_eq!(symbolic(0o644), "rw-r--r--");
        assert_eq!(DeployMode::parse("production"), DeployMode::Production);
        assert_eq!(DeployMode::parse("x"), DeployMode::Default);
    }
}
