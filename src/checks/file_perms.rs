//! Step 5: file permissions and owners. One parallel pass over the store
//! ([`crate::store::perms::walk`]) judges every entry with Magento's rules for its deploy mode
//! ([`crate::magento::perms`]) and counts the problems per kind and folder, with up to
//! [`EXAMPLES`] examples each.
//!
//! `perms:check` walks the whole store. `diagnose` makes a bounded pass ([`run`]): the folders
//! Magento writes at run time and that a 401 can depend on (app/etc, var, generated, bin), at
//! most [`DIAGNOSE_LIMIT`] entries; vendor, pub/static and pub/media (the big ones) are left to
//! `perms:check`: each finding's detail says so, and a `skipped` entry when the limit cut the
//! pass short. There the findings are `info` (context for a 401, not its cause); `perms:check`
//! reports them as warnings.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::perms::{self as rules, DeployMode, Kind, Owners, Problem, Rules, Verdict};
use crate::store::perms::users::{self, Named};
use crate::store::perms::webuser::{self, PoolSources, WebUser};
use crate::store::perms::{EntryKind, Seen, WalkError, WalkOptions, WalkReport};

/// Examples kept per problem and folder.
pub const EXAMPLES: usize = 10;
/// The most entries `diagnose`'s bounded pass looks at.
pub const DIAGNOSE_LIMIT: u64 = 200_000;
/// The folders `diagnose`'s bounded pass looks at.
pub const DIAGNOSE_FOLDERS: &[&str] = &["app/etc", "var", "generated", "bin"];

/// How the expectations are chosen.
#[derive(Debug, Clone, Default)]
pub struct PermsOptions {
    /// `--mode`: instead of env.php's `MAGE_MODE`.
    pub mode: Option<DeployMode>,
    /// `--web-user USER[:GROUP]`.
    pub web_user: Option<String>,
    /// `--owner USER[:GROUP]`: the file-system owner and shared group.
    pub owner: Option<String>,
    /// Where php-fpm pools are read.
    pub pools: PoolSources,
    /// Walker threads (0: the walk's default, four per CPU).
    pub threads: usize,
}

/// What the store's files are judged against, and where each part came from.
#[derive(Debug, Clone, Serialize)]
pub struct Expectations {
    pub mode: DeployMode,
    /// `env.php`, `--mode`, or `default` (env.php has no MAGE_MODE).
    pub mode_from: String,
    pub owner: Named,
    /// `--owner` or `the store's root folder`.
    pub owner_from: String,
    pub group: Named,
    pub group_from: String,
    pub web: Option<WebUser>,
}

impl Expectations {
    pub fn rules(&self) -> Rules {
        Rules {
            mode: self.mode,
            owners: Owners {
                owner: Some(self.owner.id),
                group: Some(self.group.id),
                web_user: self
                    .web
                    .as_ref()
                    .and_then(|w| w.user.as_ref())
                    .map(|u| u.id),
            },
        }
    }
}

/// Decide the expectations for the store at `root` (`env_mode`: `MAGE_MODE` of env.php).
/// `Err` for a `--web-user`/`--owner` naming no user or group of this system.
pub fn expectations(
    root: &Path,
    env_mode: Option<&str>,
    server: &crate::store::server::Loaded,
    opts: &PermsOptions,
) -> Result<Expectations, String> {
    let (mode, mode_from) = match (opts.mode, env_mode) {
        (Some(m), _) => (m, "--mode".to_string()),
        (None, Some(m)) if !m.is_empty() => (DeployMode::parse(m), "env.php MAGE_MODE".into()),
        (None, _) => (
            DeployMode::Default,
            "default (env.php sets no MAGE_MODE)".into(),
        ),
    };
    let web = match &opts.web_user {
        Some(spec) => Some(webuser::given(spec).map_err(|e| format!("--web-user {spec}: {e}"))?),
        None => webuser::detect(&opts.pools, server),
    };
    let root_meta = std::fs::metadata(root).map_err(|e| format!("{}: {e}", root.display()))?;
    use std::os::unix::fs::MetadataExt;
    let (owner, owner_from, owner_group) = match &opts.owner {
        Some(spec) => {
            let (u, g) = match spec.split_once(':') {
                Some((u, g)) => (u, Some(g)),
                None => (spec.as_str(), None),
            };
            let user = users::user(u).ok_or_else(|| format!("--owner {spec}: no user `{u}`"))?;
            let group = match g {
                Some(g) => {
                    Some(users::group(g).ok_or_else(|| format!("--owner {spec}: no group `{g}`"))?)
                }
                None => None,
            };
            (user, "--owner".to_string(), group)
        }
        None => (
            users::user_id(root_meta.uid()),
            "the owner of the store's root folder".to_string(),
            None,
        ),
    };
    let (group, group_from) = match (owner_group, web.as_ref().and_then(|w| w.group.clone())) {
        (Some(g), _) => (g, "--owner".to_string()),
        (None, Some(g)) => (g, "the web server's group".to_string()),
        (None, None) => (
            users::group_id(root_meta.gid()),
            "the group of the store's root folder".to_string(),
        ),
    };
    Ok(Expectations {
        mode,
        mode_from,
        owner,
        owner_from,
        group,
        group_from,
        web,
    })
}

/// The problems of one kind in one folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub count: u64,
    /// Store-relative paths, at most [`EXAMPLES`], sorted.
    pub examples: Vec<String>,
}

/// Each worker's part of a scan.
#[derive(Default)]
pub struct Part {
    tallies: BTreeMap<(Problem, String), Tally>,
}

impl Part {
    fn add(&mut self, p: Problem, rel: &[u8]) {
        let t = self.tallies.entry((p, rules::folder_of(rel))).or_default();
        t.count += 1;
        if t.examples.len() < EXAMPLES {
            t.examples.push(String::from_utf8_lossy(rel).into_owned());
        }
    }
}

/// What one pass found.
#[derive(Debug, Clone)]
pub struct Scan {
    pub walk: WalkReport,
    pub expect: Expectations,
    /// Per problem and folder.
    pub tallies: BTreeMap<Problem, BTreeMap<String, Tally>>,
}

impl Scan {
    pub fn total(&self, p: Problem) -> u64 {
        self.tallies
            .get(&p)
            .map_or(0, |f| f.values().map(|t| t.count).sum())
    }

    pub fn is_clean(&self) -> bool {
        self.tallies.is_empty()
    }
}

/// The rule-kind of a walked entry (links are never judged).
pub fn kind_of(k: EntryKind) -> Option<Kind> {
    match k {
        EntryKind::File => Some(Kind::File),
        EntryKind::Dir => Some(Kind::Dir),
        EntryKind::Special => Some(Kind::Special),
        EntryKind::Symlink => None,
    }
}

/// Judge one walked entry.
pub fn judge(s: &Seen<'_>, r: &Rules) -> Option<Verdict> {
    let kind = kind_of(s.meta.kind)?;
    let v = rules::judge(s.rel, kind, s.meta.perm, s.meta.uid, s.meta.gid, r);
    (!v.problems.is_empty()).then_some(v)
}

/// Called for each wrong entry with its verdict (from the walker's threads).
pub type OnWrong<'a> = &'a (dyn Fn(&Seen<'_>, &Verdict) + Sync);

/// One pass over the store. `on_wrong` is called (from the walker's threads) for every entry
/// with a problem, with its verdict: what `perms:fix` changes.
pub fn scan(
    root: &Path,
    expect: Expectations,
    walk: &WalkOptions,
    progress: &dyn crate::progress::Progress,
    on_wrong: Option<OnWrong<'_>>,
) -> Result<Scan, WalkError> {
    let r = expect.rules();
    let (parts, report) =
        crate::store::perms::walk::walk(root, walk, progress, |part: &mut Part, s| {
            if let Some(v) = judge(s, &r) {
                for p in v.problems.iter() {
                    part.add(p, s.rel);
                }
                if let Some(f) = on_wrong {
                    f(s, &v);
                }
            }
        })?;
    let mut tallies: BTreeMap<Problem, BTreeMap<String, Tally>> = BTreeMap::new();
    for part in parts {
        for ((p, folder), t) in part.tallies {
            let into = tallies.entry(p).or_default().entry(folder).or_default();
            into.count += t.count;
            into.examples.extend(t.examples);
            into.examples.sort();
            into.examples.truncate(EXAMPLES);
        }
    }
    Ok(Scan {
        walk: report,
        expect,
        tallies,
    })
}

/// The walk options of `perms:check` (the whole store but m2auth's journal).
pub fn full_walk(threads: usize) -> WalkOptions {
    WalkOptions {
        threads,
        skip: rules::SKIPPED.iter().map(|s| s.to_string()).collect(),
        only: None,
        limit: None,
    }
}

/// The finding code of a problem.
pub fn code(p: Problem) -> Code {
    match p {
        Problem::NotGroupWritable => Code::PermsNotGroupWritable,
        Problem::DirMissingSetgid => Code::PermsDirMissingSetgid,
        Problem::BinMagentoNotExecutable => Code::PermsBinMagentoNotExecutable,
        Problem::EnvPhpWorldReadable => Code::PermsEnvPhpWorldReadable,
        Problem::WorldWritable => Code::PermsWorldWritable,
        Problem::OwnerMismatch => Code::PermsOwnerMismatch,
        Problem::CodeWritable => Code::PermsCodeWritable,
    }
}

/// Every permission finding is a warning: by itself a file mode does not make a request fail
/// (it breaks cache writes, generated code, deployments, and so contributes); `perms:check`
/// still exits 1 when it finds any.
pub fn severity(_: Problem) -> Severity {
    Severity::Warning
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One finding per problem kind: the count, the folders, examples as evidence, the fix.
pub fn findings(scan: &Scan) -> Vec<Finding> {
    let e = &scan.expect;
    let mut out = Vec::new();
    for (p, folders) in &scan.tallies {
        let total: u64 = folders.values().map(|t| t.count).sum();
        let where_: Vec<String> = folders
            .iter()
            .map(|(f, t)| format!("{f} {}", t.count))
            .collect();
        let what = match p {
            Problem::NotGroupWritable => format!(
                "{} lack group write where the command-line user and the web server both write ({} mode): {}.",
                plural(total, "file", "files"),
                e.mode.as_str(),
                where_.join(", ")
            ),
            Problem::DirMissingSetgid => format!(
                "{} lack group write or setgid (new files would not keep the shared group {}): {}.",
                plural(total, "folder", "folders"),
                e.group.show("gid"),
                where_.join(", ")
            ),
            Problem::BinMagentoNotExecutable => {
                "bin/magento is not executable by its owner.".to_string()
            }
            Problem::EnvPhpWorldReadable => {
                "app/etc/env.php is open to other users: it holds the database password and the crypt key.".to_string()
            }
            Problem::WorldWritable => format!(
                "{} can be written by any user of the machine: {}.",
                plural(total, "entry", "entries"),
                where_.join(", ")
            ),
            Problem::OwnerMismatch => format!(
                "{} belong to neither the owner {} nor the web server's user{}, or lack the shared group {} where both write: {}.",
                plural(total, "entry", "entries"),
                e.owner.show("uid"),
                e.web
                    .as_ref()
                    .and_then(|w| w.user.as_ref())
                    .map(|u| format!(" {}", u.show("uid")))
                    .unwrap_or_default(),
                e.group.show("gid"),
                where_.join(", ")
            ),
            Problem::CodeWritable => format!(
                "{} of the code are writable by the group in production mode (the code should be read-only): {}.",
                plural(total, "entry", "entries"),
                where_.join(", ")
            ),
        };
        let mut f = Finding::new(code(*p), severity(*p)).detail(what);
        let mut shown = 0;
        for t in folders.values() {
            for ex in &t.examples {
                if shown < EXAMPLES {
                    f = f.evidence(Evidence::file(ex, None, p.change().to_string()));
                    shown += 1;
                }
            }
        }
        let mut commands = vec![
            "m2auth perms:fix".to_string(),
            "m2auth perms:fix --apply".to_string(),
        ];
        if *p == Problem::OwnerMismatch {
            commands[1] = format!(
                "m2auth perms:fix --apply --owner {}:{} (as root)",
                e.owner
                    .name
                    .clone()
                    .unwrap_or_else(|| e.owner.id.to_string()),
                e.group
                    .name
                    .clone()
                    .unwrap_or_else(|| e.group.id.to_string())
            );
        }
        out.push(f.fix(Fix {
            summary: format!(
                "{} exactly the entries found (journaled: m2auth undo reverses it)",
                p.change()
            ),
            commands,
            admin_path: None,
        }));
    }
    out
}

/// `diagnose`: the bounded pass ([`DIAGNOSE_FOLDERS`], at most [`DIAGNOSE_LIMIT`] entries).
pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let env_mode = ctx.install.env_string("MAGE_MODE");
    let expect = match expectations(
        &ctx.install.root,
        env_mode.as_deref(),
        ctx.server(),
        &PermsOptions::default(),
    ) {
        Ok(e) => e,
        Err(why) => {
            d.skip("file-permissions", why);
            return;
        }
    };
    let walk = WalkOptions {
        threads: 0,
        skip: rules::SKIPPED.iter().map(|s| s.to_string()).collect(),
        only: Some(DIAGNOSE_FOLDERS.iter().map(|s| s.to_string()).collect()),
        limit: Some(DIAGNOSE_LIMIT),
    };
    match scan(
        &ctx.install.root,
        expect,
        &walk,
        &crate::progress::Silent,
        None,
    ) {
        Ok(s) => {
            let mut found = findings(&s);
            for f in &mut found {
                // In a 401 diagnosis a file mode is context, not a cause: info, ranked after
                // what explains the request (perms:check reports the same codes as warnings).
                f.severity = Severity::Info;
                f.detail.push_str(&format!(
                    " (A quick pass over {}; m2auth perms:check checks every file.)",
                    DIAGNOSE_FOLDERS.join(", ")
                ));
            }
            d.findings.extend(found);
            if s.walk.truncated {
                d.skip(
                    "file-permissions",
                    format!(
                        "the quick permission pass stopped after {DIAGNOSE_LIMIT} entries; m2auth perms:check checks every file"
                    ),
                );
            }
        }
        Err(e) => d.skip("file-permissions", e.to_string()),
    }
}
