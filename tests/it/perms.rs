//! `perms:check`, `perms:fix` and their `undo`, as a user runs them, on trees made here: every
//! kind of problem, links pointing outside the store (never followed, never changed), hard
//! links, entries replaced or gone between the check and the change, unreadable folders (as
//! `nobody`, through setpriv, when the tests run as root), production vs developer mode, the web
//! user from a php-fpm pool, Apache and nginx, and a 200,000-file round trip.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use m2auth::fix::journal::ModeChange;
use m2auth::fix::perms::{DirCache, Outcome};

/// A store: app/etc/env.php (MAGE_MODE `mode`), bin/magento, and folders Magento writes.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new(mode: &str) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let t = Tree { dir };
        t.write(
            "app/etc/env.php",
            &format!(
                "<?php\nreturn ['MAGE_MODE' => '{mode}', 'crypt' => ['key' => 'f00dfeedf00dfeedf00dfeedf00dfeed']];\n"
            ),
            0o660,
        );
        t.write(
            "app/etc/config.php",
            "<?php\nreturn ['modules' => []];\n",
            0o664,
        );
        t.write("bin/magento", "#!/usr/bin/env php\n", 0o775);
        for d in [
            "var/cache/mage--a",
            "var/log",
            "generated/code",
            "vendor/magento/module-x",
            "pub/static/frontend",
            "pub/media/catalog",
            "app/code",
        ] {
            t.mkdir(d);
        }
        t.write("var/cache/mage--a/mage---x", "c", 0o664);
        t.write("vendor/magento/module-x/a.php", "<?php", 0o664);
        t.write("pub/media/catalog/a.jpg", "j", 0o664);
        t.write("pub/index.php", "<?php", 0o644);
        // Every folder as a deployed default-mode store has it.
        for d in [
            "",
            "app",
            "app/etc",
            "bin",
            "var",
            "var/cache",
            "var/cache/mage--a",
            "var/log",
            "generated",
            "generated/code",
            "vendor",
            "vendor/magento",
            "vendor/magento/module-x",
            "pub",
            "pub/static",
            "pub/static/frontend",
            "pub/media",
            "pub/media/catalog",
            "app/code",
        ] {
            let ok = if ["", "app", "bin", "pub", "app/code"].contains(&d) {
                0o755
            } else {
                0o2775
            };
            t.chmod(d, ok);
        }
        t
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root().to_path_buf()
        } else {
            self.root().join(rel)
        }
    }

    pub fn mkdir(&self, rel: &str) {
        std::fs::create_dir_all(self.path(rel)).unwrap();
    }

    pub fn write(&self, rel: &str, body: &str, mode: u32) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
        self.chmod(rel, mode);
    }

    pub fn chmod(&self, rel: &str, mode: u32) {
        std::fs::set_permissions(self.path(rel), std::fs::Permissions::from_mode(mode)).unwrap();
    }

    pub fn mode(&self, rel: &str) -> u32 {
        std::fs::symlink_metadata(self.path(rel)).unwrap().mode() & 0o7777
    }

    /// `m2auth ARGS --root R` (JSON when asked): (stdout, stderr, exit).
    pub fn run(&self, args: &[&str]) -> (String, String, i32) {
        let mut all = args.to_vec();
        let root = self.root().to_str().unwrap().to_string();
        all.extend(["--root", &root]);
        let o = crate::lab::m2auth(&all, self.root());
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            o.status.code().unwrap_or(-1),
        )
    }

    /// `perms:check --format json` with `extra`: the document and the exit code.
    pub fn check(&self, extra: &[&str]) -> (Value, i32) {
        let mut args = vec!["perms:check", "--format", "json", "--web-user", me()];
        args.extend_from_slice(extra);
        let (out, err, code) = self.run(&args);
        let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        (doc, code)
    }

    /// Every entry's (mode, uid, gid), by store-relative path, links included (not followed).
    pub fn snapshot(&self) -> BTreeMap<String, (u32, u32, u32)> {
        fn go(base: &Path, dir: &Path, out: &mut BTreeMap<String, (u32, u32, u32)>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                if rel.starts_with("var/m2auth") {
                    continue;
                }
                let m = std::fs::symlink_metadata(&p).unwrap();
                out.insert(rel, (m.mode() & 0o7777, m.uid(), m.gid()));
                if m.is_dir() {
                    go(base, &p, out);
                }
            }
        }
        let mut out = BTreeMap::new();
        go(self.root(), self.root(), &mut out);
        out
    }
}

pub fn codes(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(doc: &'a Value, code: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code}: {doc:#}"))
}

/// `--web-user` for the user running the tests (`uid:gid`): the trees are theirs.
pub fn me() -> &'static str {
    static ME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ME.get_or_init(|| {
        format!(
            "{}:{}",
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw()
        )
    })
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn a_healthy_tree_is_clean_and_fix_changes_nothing() {
    let t = Tree::new("default");
    let (doc, code) = t.check(&[]);
    assert_eq!(codes(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(code, 0);
    assert_eq!(doc["mode"], "default");
    assert!(doc["scanned"]["files"].as_u64().unwrap() >= 6, "{doc:#}");
    let before = t.snapshot();
    let (out, err, code) = t.run(&["perms:fix", "--apply", "--web-user", me()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Nothing to change"), "{out}");
    assert_eq!(t.snapshot(), before);
    assert!(
        !t.path("var/m2auth/journal").exists()
            || std::fs::read_dir(t.path("var/m2auth/journal"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn every_problem_is_found_fixed_exactly_and_undone() {
    let t = Tree::new("developer");
    t.chmod("var/cache/mage--a/mage---x", 0o644);
    t.chmod("var/log", 0o755);
    t.chmod("bin/magento", 0o644);
    t.chmod("app/etc/env.php", 0o664);
    t.chmod("pub/index.php", 0o666);
    // Links pointing outside: a folder and a file, both wide open; never followed.
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(outside.path().join("d")).unwrap();
    std::fs::write(outside.path().join("d/secret"), "s").unwrap();
    std::fs::write(outside.path().join("f"), "f").unwrap();
    for (p, m) in [("d", 0o777), ("d/secret", 0o600), ("f", 0o640)] {
        std::fs::set_permissions(outside.path().join(p), std::fs::Permissions::from_mode(m))
            .unwrap();
    }
    symlink(outside.path().join("d"), t.path("var/linked-dir")).unwrap();
    symlink(outside.path().join("f"), t.path("var/linked-file")).unwrap();
    symlink("/etc", t.path("pub/media/etc")).unwrap();
    let etc_mode = std::fs::metadata("/etc").unwrap().mode();

    let (doc, code) = t.check(&[]);
    // Warnings only: reported, exit 0 (the contract's exit 1 is for errors).
    assert_eq!(code, 0);
    let mut got = codes(&doc);
    got.sort();
    assert_eq!(
        got,
        [
            "perms-bin-magento-not-executable",
            "perms-dir-missing-setgid",
            "perms-env-php-world-readable",
            "perms-not-group-writable",
            "perms-world-writable",
        ],
        "{doc:#}"
    );
    let f = finding(&doc, "perms-not-group-writable");
    assert_eq!(f["count"], 1);
    assert_eq!(f["examples"][0], "var/cache/mage--a/mage---x");
    assert_eq!(f["folders"][0]["folder"], "var");
    assert_eq!(
        finding(&doc, "perms-dir-missing-setgid")["examples"][0],
        "var/log"
    );
    assert_eq!(
        finding(&doc, "perms-world-writable")["examples"][0],
        "pub/index.php"
    );
    assert_eq!(doc["scanned"]["links"], 3);

    let before = t.snapshot();
    // The plan changes nothing.
    let (out, _, code) = t.run(&["perms:fix", "--web-user", me()]);
    assert_eq!(code, 0);
    assert!(out.contains("Plan: 5 change(s)"), "{out}");
    assert_eq!(t.snapshot(), before);
    // --apply: exactly the five entries.
    let (out, err, code) = t.run(&[
        "perms:fix",
        "--apply",
        "--web-user",
        me(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let applied: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(applied["applied"]["changed"], 5, "{applied:#}");
    let after = t.snapshot();
    let changed: Vec<&String> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        changed,
        [
            "app/etc/env.php",
            "bin/magento",
            "pub/index.php",
            "var/cache/mage--a/mage---x",
            "var/log"
        ]
    );
    assert_eq!(t.mode("var/cache/mage--a/mage---x"), 0o664);
    assert_eq!(t.mode("var/log"), 0o2775);
    assert_eq!(t.mode("bin/magento"), 0o744);
    assert_eq!(t.mode("app/etc/env.php"), 0o660);
    assert_eq!(t.mode("pub/index.php"), 0o664);
    // Nothing outside changed.
    let om = |p: &str| std::fs::metadata(outside.path().join(p)).unwrap().mode() & 0o7777;
    assert_eq!((om("d"), om("d/secret"), om("f")), (0o777, 0o600, 0o640));
    assert_eq!(std::fs::metadata("/etc").unwrap().mode(), etc_mode);
    let (doc, code) = t.check(&[]);
    assert_eq!((codes(&doc), code), (Vec::<String>::new(), 0), "{doc:#}");

    // undo: every mode back.
    let (out, err, code) = t.run(&["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("5 of 5"), "{out}");
    assert_eq!(t.snapshot(), before);
    // A second undo of the same entry is refused; the undo itself can be undone.
    let id = applied["applied"]["journal"].as_str().unwrap().to_string();
    let (_, err, code) = t.run(&["undo", &id, "--apply"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already undone"), "{err}");
}

#[test]
fn undo_refuses_entries_changed_since_unless_forced() {
    let t = Tree::new("default");
    t.chmod("var/log", 0o755);
    let (_, _, code) = t.run(&["perms:fix", "--apply", "--web-user", me()]);
    assert_eq!(code, 0);
    t.chmod("var/log", 0o700);
    let (_, err, code) = t.run(&["undo", "--apply"]);
    assert_eq!(code, 1);
    assert!(err.contains("var/log"), "{err}");
    assert_eq!(t.mode("var/log"), 0o700);
    let (out, err, code) = t.run(&["undo", "--force", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(t.mode("var/log"), 0o755);
}

#[test]
fn production_wants_read_only_code_developer_writable_folders() {
    let t = Tree::new("production");
    // Deployed default-mode tree judged for production: the code is group-writable.
    let (doc, _) = t.check(&[]);
    assert_eq!(doc["mode"], "production");
    assert!(
        codes(&doc).contains(&"perms-code-writable".to_string()),
        "{doc:#}"
    );
    let f = finding(&doc, "perms-code-writable");
    let ex: Vec<&str> = f["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(ex.contains(&"vendor/magento/module-x/a.php"), "{ex:?}");
    assert!(
        !ex.iter()
            .any(|e| e.starts_with("var/cache") || e.starts_with("pub/media")),
        "{ex:?}"
    );
    // --mode overrides env.php: developer mode wants it all group-writable.
    let (doc, code) = t.check(&["--mode", "developer"]);
    assert_eq!((codes(&doc), code), (Vec::<String>::new(), 0), "{doc:#}");
    // Fixed for production: code read-only, var and pub/media still writable.
    let (_, err, code) = t.run(&["perms:fix", "--apply", "--web-user", me()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(t.mode("vendor/magento/module-x/a.php"), 0o644);
    assert_eq!(t.mode("app/etc/config.php"), 0o644);
    assert_eq!(t.mode("var/cache/mage--a/mage---x"), 0o664);
    assert_eq!(t.mode("pub/media/catalog/a.jpg"), 0o664);
    let (doc, _) = t.check(&[]);
    assert_eq!(codes(&doc), Vec::<String>::new(), "{doc:#}");
}

#[test]
fn hard_links_are_changed_only_when_every_name_is_in_the_store() {
    let t = Tree::new("default");
    // Both names in the store: changed once.
    t.write("var/log/a.log", "a", 0o644);
    std::fs::hard_link(t.path("var/log/a.log"), t.path("var/log/b.log")).unwrap();
    // One name outside the store (same file system: the temp dir's parent).
    let outside = tempfile::tempdir_in(t.root().parent().unwrap()).unwrap();
    std::fs::write(outside.path().join("shadow"), "s").unwrap();
    std::fs::set_permissions(
        outside.path().join("shadow"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::hard_link(outside.path().join("shadow"), t.path("var/cache/linked")).unwrap();
    let (out, err, code) = t.run(&[
        "perms:fix",
        "--apply",
        "--web-user",
        me(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["applied"]["changed"], 1, "{doc:#}");
    assert_eq!(doc["plan"]["hard_links_outside"][0], "var/cache/linked");
    assert_eq!(t.mode("var/log/a.log"), 0o664);
    let outside_mode = std::fs::metadata(outside.path().join("shadow"))
        .unwrap()
        .mode()
        & 0o7777;
    assert_eq!(
        outside_mode, 0o644,
        "the file outside the store must not change"
    );
}

fn change_for(t: &Tree, rel: &str, new_mode: u32) -> ModeChange {
    let m = std::fs::symlink_metadata(t.path(rel)).unwrap();
    ModeChange {
        rel: rel.as_bytes().to_vec(),
        kind: b'f',
        dev: m.dev(),
        ino: m.ino(),
        old_mode: m.mode() & 0o7777,
        new_mode,
        old_uid: m.uid(),
        old_gid: m.gid(),
        new_uid: m.uid(),
        new_gid: m.gid(),
    }
}

#[test]
fn entries_replaced_or_gone_after_the_check_are_skipped() {
    let t = Tree::new("default");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("target"), "t").unwrap();
    std::fs::set_permissions(
        outside.path().join("target"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::create_dir(outside.path().join("dir")).unwrap();
    std::fs::write(outside.path().join("dir/x"), "x").unwrap();
    std::fs::set_permissions(
        outside.path().join("dir/x"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    t.write("var/log/swap.log", "a", 0o644);
    t.write("var/log/gone.log", "a", 0o644);
    t.mkdir("var/report");
    t.write("var/report/x", "a", 0o600);
    let swap = change_for(&t, "var/log/swap.log", 0o664);
    let gone = change_for(&t, "var/log/gone.log", 0o664);
    let inner = change_for(&t, "var/report/x", 0o664);
    let same_name = change_for(&t, "var/cache/mage--a/mage---x", 0o666);
    // A file replaced by a link to a file outside; a file deleted; a folder replaced by a link
    // to a folder outside holding a file of the same name; a file replaced by another file.
    std::fs::remove_file(t.path("var/log/swap.log")).unwrap();
    symlink(outside.path().join("target"), t.path("var/log/swap.log")).unwrap();
    std::fs::remove_file(t.path("var/log/gone.log")).unwrap();
    std::fs::remove_dir_all(t.path("var/report")).unwrap();
    symlink(outside.path().join("dir"), t.path("var/report")).unwrap();
    // (The old file is kept under another name: a freed inode number may be reused at once.)
    std::fs::rename(
        t.path("var/cache/mage--a/mage---x"),
        t.path("var/cache/mage--a/old"),
    )
    .unwrap();
    t.write("var/cache/mage--a/mage---x", "new", 0o664);
    let mut dirs = DirCache::open(t.root()).unwrap();
    assert!(matches!(dirs.apply(&swap, false), Outcome::Skipped(_)));
    assert!(matches!(dirs.apply(&gone, false), Outcome::Skipped(_)));
    assert!(matches!(dirs.apply(&inner, false), Outcome::Skipped(_)));
    assert!(matches!(dirs.apply(&same_name, false), Outcome::Skipped(_)));
    let om = |p: &str| std::fs::metadata(outside.path().join(p)).unwrap().mode() & 0o7777;
    assert_eq!((om("target"), om("dir/x")), (0o600, 0o600));
    assert_eq!(t.mode("var/cache/mage--a/mage---x"), 0o664);
}

#[test]
fn folders_replaced_by_links_during_the_walk_are_never_entered() {
    // A writer swaps a folder for a link to /etc-like content again and again while the check
    // runs: whatever the timing, nothing outside is changed and the run ends.
    let t = Tree::new("default");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("f"), "x").unwrap();
    std::fs::set_permissions(
        outside.path().join("f"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    for i in 0..200 {
        t.write(&format!("var/flip/f{i}"), "a", 0o644);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let stop = stop.clone();
        let root = t.root().to_path_buf();
        let out = outside.path().to_path_buf();
        std::thread::spawn(move || {
            let (a, b) = (root.join("var/flip"), root.join("var/flip.real"));
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::rename(&a, &b);
                let _ = symlink(&out, &a);
                let _ = std::fs::remove_file(&a);
                let _ = std::fs::rename(&b, &a);
            }
        })
    };
    for _ in 0..5 {
        let (_, err, code) = t.run(&["perms:fix", "--apply", "--web-user", me()]);
        assert!(code == 0 || code == 1, "{err}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
    assert_eq!(
        std::fs::metadata(outside.path().join("f")).unwrap().mode() & 0o7777,
        0o600
    );
}

#[test]
fn unreadable_folders_are_reported_and_the_walk_goes_on() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to run m2auth as nobody");
        return;
    }
    let t = Tree::new("default");
    t.write("var/log/a.log", "a", 0o644);
    t.mkdir("var/locked");
    t.write("var/locked/x", "x", 0o664);
    // The tree belongs to nobody; var/locked is closed even to its owner.
    let st = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(t.root())
        .status()
        .unwrap();
    assert!(st.success());
    t.chmod("var/locked", 0o000);
    // nobody must reach the store: its temp dir parent is usually /tmp (world-searchable).
    let o = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_m2auth"))
        .args([
            "perms:check",
            "--format",
            "json",
            "--web-user",
            "nobody:nogroup",
            "--root",
        ])
        .arg(t.root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let doc: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{e}: {out} {}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(doc["unreadable"][0]["path"], "var/locked", "{doc:#}");
    // The rest was checked.
    assert_eq!(
        finding(&doc, "perms-not-group-writable")["examples"][0],
        "var/log/a.log"
    );
    t.chmod("var/locked", 0o2775);
}

#[test]
fn the_web_user_comes_from_php_fpm_apache_or_nginx() {
    let t = Tree::new("default");
    let conf = tempfile::tempdir().unwrap();
    let pool = conf.path().join("www.conf");
    std::fs::write(
        &pool,
        "[global]\n\n[www]\n; user = nobody\nuser = www-data\ngroup = www-data\nlisten.owner = www-data\n",
    )
    .unwrap();
    let apache = conf.path().join("apache2.conf");
    std::fs::write(
        &apache,
        "User nobody\nGroup nogroup\n<Directory /var/www/>\n    AllowOverride All\n</Directory>\n",
    )
    .unwrap();
    let nginx = conf.path().join("nginx.conf");
    std::fs::write(
        &nginx,
        "user www-data www-data;\nevents {}\nhttp {\n    server {\n        listen 80;\n    }\n}\n",
    )
    .unwrap();
    let none = conf.path().join("no-pools");
    std::fs::create_dir(&none).unwrap();
    let web = |extra: &[&str]| -> Value {
        let mut args = vec!["perms:check", "--format", "json"];
        args.extend_from_slice(extra);
        let (out, err, _) = t.run(&args);
        let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        doc["expectations"]["web_user"].clone()
    };
    let pool_s = pool.to_str().unwrap();
    let w = web(&["--php-fpm-config", pool_s]);
    assert_eq!(w["user"]["name"], "www-data", "{w:#}");
    assert_eq!(w["from"], "php-fpm pool [www]");
    assert_eq!(w["source"], format!("{pool_s}:5"));
    let w = web(&[
        "--php-fpm-config",
        none.to_str().unwrap(),
        "--server-config",
        apache.to_str().unwrap(),
    ]);
    assert_eq!(w["user"]["name"], "nobody", "{w:#}");
    assert_eq!(w["group"]["name"], "nogroup");
    assert_eq!(w["from"], "Apache User/Group");
    let w = web(&[
        "--php-fpm-config",
        none.to_str().unwrap(),
        "--server-config",
        nginx.to_str().unwrap(),
    ]);
    assert_eq!(w["user"]["name"], "www-data", "{w:#}");
    assert_eq!(w["from"], "nginx user");
    // --web-user wins; the shared group is the web server's.
    let (doc, _) = {
        let (out, _, code) = t.run(&[
            "perms:check",
            "--format",
            "json",
            "--web-user",
            "nobody:nogroup",
            "--php-fpm-config",
            pool_s,
        ]);
        (serde_json::from_str::<Value>(&out).unwrap(), code)
    };
    assert_eq!(doc["expectations"]["web_user"]["from"], "--web-user");
    assert_eq!(doc["group"], "nogroup");
    // root-owned files in var are then not in the shared group.
    assert!(
        codes(&doc).contains(&"perms-owner-mismatch".to_string()),
        "{doc:#}"
    );
}

/// `n` files over a Magento-like tree, with a spread of wrong modes.
fn big_tree(n: usize) -> Tree {
    let t = Tree::new("default");
    let modes = [0o664, 0o644, 0o600, 0o666, 0o664, 0o664, 0o640, 0o664];
    for d in 0..(n / 100) {
        let dir = match d % 4 {
            0 => format!("vendor/v{}/p{}", d % 30, d),
            1 => format!("pub/media/catalog/{}/{}", d % 36, d),
            2 => format!("var/cache/mage--{}", d),
            _ => format!("generated/code/M{}", d),
        };
        std::fs::create_dir_all(t.path(&dir)).unwrap();
        for i in 0..100 {
            let p = t.path(&format!("{dir}/f{i}"));
            std::fs::write(&p, b"").unwrap();
            std::fs::set_permissions(
                &p,
                std::fs::Permissions::from_mode(modes[(d + i) % modes.len()]),
            )
            .unwrap();
        }
    }
    t
}

fn round_trip(n: usize) {
    let t = big_tree(n);
    let before = t.snapshot();
    assert!(before.len() >= n);
    // As root, the owners change too (to nobody:nogroup): undo must put both back.
    let mut args = vec![
        "perms:fix",
        "--apply",
        "--quiet",
        "--web-user",
        me(),
        "--format",
        "json",
    ];
    if is_root() {
        args.extend(["--owner", "nobody:nogroup"]);
    }
    let (out, err, code) = t.run(&args);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(
        doc["applied"]["changed"].as_u64().unwrap() as usize > n / 2,
        "{}",
        doc["applied"]
    );
    let mut check = vec!["--web-user", me()];
    if is_root() {
        check.extend(["--owner", "nobody:nogroup"]);
    }
    let (doc, code) = t.check(&check[2..]);
    assert_eq!((codes(&doc), code), (Vec::<String>::new(), 0));
    let (out, err, code) = t.run(&["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    let after = t.snapshot();
    assert_eq!(after.len(), before.len());
    for (path, was) in &before {
        assert_eq!(after.get(path), Some(was), "{path}");
    }
}

#[test]
fn undo_round_trip_of_20_000_files() {
    round_trip(20_000);
}

#[test]
#[ignore = "200,000 files: 83 s in a debug build on the shared 2-core machine (passes); run with --ignored"]
fn undo_round_trip_of_200_000_files() {
    round_trip(200_000);
}
