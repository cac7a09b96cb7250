//! `m2auth fix` on the server findings, as a user runs it: the plan changes nothing, `--apply`
//! restores Magento's passthrough rule in the real pub/.htaccess (read in place from
//! ../shared/magento-reference/server, the rule commented out or removed) and, with
//! `--server-config`, adds `CGIPassAuth On` to the vhost; `undo` puts the files back byte for
//! byte, and refuses when a file changed since (unless --force).

use std::path::{Path, PathBuf};

use crate::lab;
use crate::lab::FixtureStore;
use crate::lab::report::{self, RULE, pub_store, root_of, run_at_root as run};
use serde_json::Value;

fn codes(s: &FixtureStore, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["diagnose", "--format", "json"];
    args.extend_from_slice(extra);
    let (out, err, _) = run(s, &args);
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    report::codes(&doc)
}

/// The store's pub/, as the server configurations name it (canonical).
fn docroot(s: &FixtureStore) -> PathBuf {
    root_of(s).join("pub")
}

fn journal_files(s: &FixtureStore) -> Vec<PathBuf> {
    match std::fs::read_dir(s.path("var/m2auth/journal")) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn fix_restores_the_htaccess_rule_and_undo_puts_it_back() {
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    let commented = stock.replace(RULE, &format!("#{RULE}"));
    let s = pub_store(Some(&commented));
    let ht = s.path("pub/.htaccess");
    let line = stock.lines().position(|l| l == RULE).unwrap() + 1;
    assert!(codes(&s, &[]).contains(&"htaccess-auth-passthrough-missing".to_string()));

    // The plan: what and where, nothing changed.
    let (out, err, code) = run(&s, &["fix"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("{line}: {RULE}")), "{out}");
    assert!(out.contains("--apply"), "{out}");
    assert_eq!(std::fs::read_to_string(&ht).unwrap(), commented);
    assert!(journal_files(&s).is_empty());
    // JSON plan.
    let (out, _, _) = run(&s, &["fix", "--format", "json"]);
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["applied"], false);
    assert_eq!(
        plan["edits"][0]["code"],
        "htaccess-auth-passthrough-missing"
    );
    assert_eq!(plan["edits"][0]["path"], ht.display().to_string());

    // --apply: the stock file again, byte for byte; mode kept; journaled.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ht, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let (out, err, code) = run(&s, &["fix", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("applied: 1 file(s) changed"), "{out}");
    assert_eq!(std::fs::read_to_string(&ht).unwrap(), stock);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&ht).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    assert!(!codes(&s, &[]).contains(&"htaccess-auth-passthrough-missing".to_string()));
    let entries = journal_files(&s);
    assert_eq!(entries.len(), 1);
    let entry: Value =
        serde_json::from_str(&std::fs::read_to_string(&entries[0]).unwrap()).unwrap();
    assert!(entry.get("database").is_none(), "{entry:#}");
    // Only the changed line and the hashes, never the whole file.
    assert!(entry["files"][0].get("before").is_none(), "{entry:#}");
    assert_eq!(entry["files"][0]["patch"][0]["line"], line);
    assert_eq!(
        entry["files"][0]["patch"][0]["removed"][0],
        format!("#{RULE}\n")
    );
    assert_eq!(
        entry["files"][0]["patch"][0]["added"][0],
        format!("{RULE}\n")
    );
    assert_eq!(entry["files"][0]["kind"], "store");
    assert!(
        entry["files"][0]["after_sha256"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // Nothing left to do: a second --apply changes nothing.
    let (out, _, _) = run(&s, &["fix", "--apply"]);
    assert!(!out.contains("applied:"), "{out}");

    // undo: the commented file again.
    let (out, err, code) = run(&s, &["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 file(s) put back"), "{out}");
    assert_eq!(std::fs::read_to_string(&ht).unwrap(), commented);
    let (_, err, code) = run(
        &s,
        &[
            "undo",
            "--apply",
            entries[0].file_stem().unwrap().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("already undone"), "{err}");
}

#[test]
fn undo_refuses_a_file_changed_since_unless_forced() {
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    // The rule removed entirely: inserted after `RewriteEngine on`.
    let removed = stock.replace(&format!("{RULE}\n"), "");
    let s = pub_store(Some(&removed));
    let ht = s.path("pub/.htaccess");
    let (out, err, code) = run(&s, &["fix", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    let now = std::fs::read_to_string(&ht).unwrap();
    let engine = now
        .lines()
        .position(|l| l.trim() == "RewriteEngine on")
        .unwrap();
    assert_eq!(now.lines().nth(engine + 1), Some(RULE), "{out}");
    assert!(!codes(&s, &[]).contains(&"htaccess-auth-passthrough-missing".to_string()));

    // Someone edits the file afterwards: undo refuses, nothing changes.
    let edited = format!("{now}# edited by hand\n");
    std::fs::write(&ht, &edited).unwrap();
    let (_, err, code) = run(&s, &["undo", "--apply"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("changed since") && err.contains("--force"),
        "{err}"
    );
    assert!(
        err.contains(".htaccess: changed since") && !err.contains("file row"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&ht).unwrap(), edited);
    // The journal's list names the change once (no "fix: fix: …").
    let (out, _, _) = run(&s, &["undo", "--list"]);
    assert!(
        out.contains("-fix  Insert Magento's Authorization passthrough rule")
            && !out.contains("fix: "),
        "{out}"
    );
    // --force reverses m2auth's own lines and keeps the hand edit.
    let (out, err, code) = run(&s, &["undo", "--apply", "--force"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(&ht).unwrap(),
        format!("{removed}# edited by hand\n")
    );

    // A symlinked .htaccess is never written through.
    #[cfg(unix)]
    {
        let real = s.path("pub/real.htaccess");
        std::fs::write(&real, &removed).unwrap();
        std::fs::remove_file(&ht).unwrap();
        std::os::unix::fs::symlink(&real, &ht).unwrap();
        let (_, err, code) = run(&s, &["fix", "--apply"]);
        assert_eq!(code, 1);
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), removed);
    }
}

fn apache_layout(dir: &Path, docroot: &Path) -> (PathBuf, PathBuf) {
    let a = dir.join("apache2");
    let site = format!(
        "<VirtualHost *:80>\n    ServerName shop.test\n    DocumentRoot {d}\n    <Directory {d}>\n        AllowOverride None\n        FallbackResource /index.php\n        Require all granted\n    </Directory>\n</VirtualHost>\n",
        d = docroot.display()
    );
    report::write_tree(
        &a,
        &[
            (
                "apache2.conf",
                "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\nLoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\nLoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so\n<Directory />\n\tAllowOverride None\n\tRequire all denied\n</Directory>\nIncludeOptional conf-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n",
            ),
            (
                "conf-enabled/php8.2-fpm.conf",
                "<IfModule !mod_php8.c>\n<IfModule proxy_fcgi_module>\n    <FilesMatch \".+\\.ph(?:ar|p|tml)$\">\n        SetHandler \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"\n    </FilesMatch>\n</IfModule>\n</IfModule>\n",
            ),
            ("sites-enabled/magento.conf", &site),
        ],
    );
    (a.join("apache2.conf"), a.join("sites-enabled/magento.conf"))
}

#[test]
fn fix_adds_cgipassauth_to_the_vhost_only_with_server_config() {
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    let s = pub_store(Some(&stock));
    let tmp = tempfile::tempdir().unwrap();
    let (main, site) = apache_layout(tmp.path(), &docroot(&s));
    let before = std::fs::read_to_string(&site).unwrap();
    let cfg = main.to_str().unwrap().to_string();
    assert!(
        codes(&s, &["--server-config", &cfg])
            .contains(&"apache-fcgi-strips-authorization".to_string())
    );

    // Plan: the exact line, where it goes, the reload command.
    let (out, _, code) = run(&s, &["fix", "--server-config", &cfg]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "{}: add `CGIPassAuth On` after line 4",
            site.display()
        )) || out.contains(&site.display().to_string()),
        "{out}"
    );
    assert!(out.contains("5:         CGIPassAuth On"), "{out}");
    assert!(
        out.contains("apachectl configtest && systemctl reload apache2"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&site).unwrap(), before);

    let (out, err, code) = run(&s, &["fix", "--apply", "--server-config", &cfg]);
    assert_eq!(code, 0, "{out}{err}");
    let after = std::fs::read_to_string(&site).unwrap();
    assert_eq!(
        after.lines().nth(4),
        Some("        CGIPassAuth On"),
        "{after}"
    );
    assert!(
        codes(&s, &["--server-config", &cfg])
            .iter()
            .all(|c| c != "apache-fcgi-strips-authorization")
    );
    let (out, err, code) = run(&s, &["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&site).unwrap(), before);
}

#[test]
fn fix_without_server_config_does_not_edit_found_configs() {
    // A vhost m2auth found on its own (not named with --server-config) is never edited: the
    // fix is listed as a manual step with the lines and the reload command. Here: the fix
    // planner on a configuration loaded as the default places would be; simulated through the
    // library, since /etc is not ours to write in a test.
    use m2auth::store::server::Sources;
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    let s = pub_store(Some(&stock));
    let tmp = tempfile::tempdir().unwrap();
    let (main, site) = apache_layout(tmp.path(), &docroot(&s));
    let mut ctx = report::context(&s, Sources::Given(vec![main.clone()]));
    for c in &mut ctx.server_mut().configs {
        c.given = false;
    }
    let plan = m2auth::fix::server::plan(&ctx);
    assert!(plan.edits.is_empty(), "{plan:?}");
    let m = plan
        .manual
        .iter()
        .find(|m| m.code.as_str() == "apache-fcgi-strips-authorization")
        .unwrap();
    assert!(
        m.summary.contains(&format!("{}:4", site.display())),
        "{m:?}"
    );
    assert!(m.commands.contains(&"CGIPassAuth On".to_string()));
    assert!(
        m.commands
            .iter()
            .any(|c| c.contains("systemctl reload apache2"))
    );
}

/// The lab layout with Debian's links: sites-enabled/magento.conf -> ../sites-available/…, and a
/// secret in the vhost (SetEnv, ProxyPass credentials).
fn debian_links(dir: &Path, docroot: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (main, site) = apache_layout(dir, docroot);
    let a = main.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(a.join("sites-available")).unwrap();
    let text = std::fs::read_to_string(&site).unwrap().replace(
        "    ServerName shop.test\n",
        "    ServerName shop.test\n    SetEnv DB_PASS vhost-s3cret\n    ProxyPass /legacy http://user:proxy-s3cret@10.0.0.9/\n",
    );
    let target = a.join("sites-available/magento.conf");
    std::fs::write(&target, text).unwrap();
    std::fs::remove_file(&site).unwrap();
    std::os::unix::fs::symlink("../sites-available/magento.conf", &site).unwrap();
    (main, site, target)
}

#[test]
fn fix_edits_the_target_of_a_sites_enabled_link_and_journals_no_secret() {
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    let commented = stock.replace(RULE, &format!("#{RULE}"));
    let s = pub_store(Some(&commented));
    let tmp = tempfile::tempdir().unwrap();
    let (_, link, target) = debian_links(tmp.path(), &docroot(&s));
    let before = std::fs::read_to_string(&target).unwrap();
    // --server-config relative to the working directory (the parent of apache2/).
    let root = s.root().to_str().unwrap().to_string();
    let m2 = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--root", root.as_str(), "--server-config", "apache2"]);
        let out = lab::m2auth(&all, tmp.path());
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code().unwrap(),
        )
    };
    let (out, err, code) = m2(&["fix"]);
    assert_eq!(code, 0, "{err}");
    // The plan says the link is followed, and to which file.
    assert!(out.contains(&target.display().to_string()), "{out}");
    assert!(
        out.contains(&format!("the link {}", link.display())),
        "{out}"
    );
    // One fix per problem: the server ignores .htaccess here (AllowOverride None, with
    // FallbackResource), so only the vhost line passes the header on, and the plan says why.
    assert!(
        out.contains("the .htaccess rule is not restored: the web server ignores .htaccess"),
        "{out}"
    );
    assert!(
        !out.contains("pub/.htaccess (htaccess-auth-passthrough-missing)"),
        "{out}"
    );
    // --all-server-fixes: both.
    let (out, err, code) = m2(&["fix", "--apply", "--all-server-fixes"]);
    assert_eq!(code, 0, "{out}{err}");
    // Both edits applied: the .htaccess and the link's target; the link is still a link.
    assert!(out.contains("applied: 2 file(s) changed"), "{out}");
    assert_eq!(
        std::fs::read_to_string(s.path("pub/.htaccess")).unwrap(),
        stock
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("        CGIPassAuth On\n")
    );
    // The journal names absolute paths and holds no secret of the vhost.
    let entries = journal_files(&s);
    assert_eq!(entries.len(), 1);
    let text = std::fs::read_to_string(&entries[0]).unwrap();
    assert!(
        !text.contains("s3cret") && !text.contains("ServerName"),
        "{text}"
    );
    let entry: Value = serde_json::from_str(&text).unwrap();
    let paths: Vec<&str> = entry["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().all(|p| p.starts_with('/')), "{paths:?}");
    assert!(
        paths.contains(&target.canonicalize().unwrap().to_str().unwrap()),
        "{paths:?}"
    );
    // undo (from another directory): both files back byte for byte.
    let (out, err, code) = run(&s, &["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), before);
    assert_eq!(
        std::fs::read_to_string(s.path("pub/.htaccess")).unwrap(),
        commented
    );
}

#[test]
fn undo_refuses_untrusted_entries_and_paths() {
    use std::os::unix::fs::PermissionsExt;
    let s = pub_store(Some("Options -Indexes\n"));
    let dir = s.path("var/m2auth/journal");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("victim.txt");
    std::fs::write(&victim, "x\n").unwrap();
    let sha = |t: &str| {
        use sha2::Digest;
        let h = sha2::Sha256::digest(t.as_bytes());
        format!(
            "sha256:{}",
            h.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    let entry = |id: &str, path: &str, kind: &str| {
        let e = serde_json::json!({
            "format": 1, "id": id, "created_at": "2026-11-28T09:14:03.123Z",
            "title": "fix", "command": "m2auth fix --apply",
            "files": [{"path": path, "before": "owned\n", "after_sha256": sha("x\n"),
                       "description": "d", "kind": kind}]
        });
        let p = dir.join(format!("{id}.json"));
        std::fs::write(&p, e.to_string()).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    };
    let victim_s = victim.to_str().unwrap();
    // A store file outside the store, a relative path, a `..` path, a server-config file that
    // does not exist: refused, nothing written.
    for (id, path, kind) in [
        ("20261128T091403.001Z-fix", victim_s, "store"),
        ("20261128T091403.002Z-fix", "victim.txt", "server-config"),
        (
            "20261128T091403.003Z-fix",
            &format!("{}/pub/../../victim.txt", s.root().display()),
            "store",
        ),
        (
            "20261128T091403.004Z-fix",
            &format!("{}/new.conf", victim_dir.path().display()),
            "server-config",
        ),
    ] {
        entry(id, path, kind);
        let (out, err, code) = run(&s, &["undo", "--apply", id]);
        assert_ne!(code, 0, "{id}: {out}{err}");
        assert!(err.contains("does not undo"), "{id}: {err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "x\n");
    }
    assert!(!victim_dir.path().join("new.conf").exists());
    // An entry others may write: refused even for a path under the store.
    let ht = s.path("pub/.htaccess");
    let ht_s = ht.to_str().unwrap().to_string();
    std::fs::write(&ht, "x\n").unwrap();
    let p = entry("20261128T091403.005Z-fix", &ht_s, "store");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (_, err, code) = run(&s, &["undo", "--apply", "20261128T091403.005Z-fix"]);
    assert_ne!(code, 0);
    assert!(err.contains("group or by others"), "{err}");
    // … or a journal directory others may write.
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (_, err, code) = run(&s, &["undo", "--apply", "20261128T091403.005Z-fix"]);
    assert_ne!(code, 0);
    assert!(err.contains("group or by others"), "{err}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    // Owned by another user (when the test can make one: as root).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&p, Some(65534), None).unwrap();
        let (_, err, code) = run(&s, &["undo", "--apply", "20261128T091403.005Z-fix"]);
        assert_ne!(code, 0);
        assert!(err.contains("owned by uid 65534"), "{err}");
        std::os::unix::fs::chown(&p, Some(0), None).unwrap();
    }
    // The same entry, trusted: undone.
    let (out, err, code) = run(&s, &["undo", "--apply", "20261128T091403.005Z-fix"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&ht).unwrap(), "owned\n");
}

#[test]
fn apply_refuses_a_file_changed_since_the_plan() {
    use m2auth::store::server::Sources;
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    let commented = stock.replace(RULE, &format!("#{RULE}"));
    let s = pub_store(Some(&commented));
    let ctx = report::context(&s, Sources::Nothing);
    let plan = m2auth::fix::server::plan(&ctx);
    assert_eq!(plan.edits.len(), 1, "{plan:?}");
    // Someone edits the file between the plan and --apply: nothing is overwritten.
    let edited = format!("{commented}# edited meanwhile\n");
    std::fs::write(s.path("pub/.htaccess"), &edited).unwrap();
    let err = m2auth::fix::server::apply(&ctx, &plan, vec!["m2auth".into()]).unwrap_err();
    assert!(err.to_string().contains("changed since the plan"), "{err}");
    assert_eq!(
        std::fs::read_to_string(s.path("pub/.htaccess")).unwrap(),
        edited
    );
    assert!(journal_files(&s).is_empty());
}

/// One problem, one fix: the header is stripped on its way to PHP-FPM and the .htaccess rule
/// is commented out, on a vhost that honours .htaccess. Restoring Magento's own rule is enough:
/// the vhost is left alone and the plan says why; `--all-server-fixes` changes both (issue 10,
/// item 7).
#[test]
fn one_fix_per_problem_prefers_the_htaccess_rule_where_it_runs() {
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    let commented = stock.replace(RULE, &format!("#{RULE}"));
    let s = pub_store(Some(&commented));
    let tmp = tempfile::tempdir().unwrap();
    let (main, site) = apache_layout(tmp.path(), &docroot(&s));
    let honoured = std::fs::read_to_string(&site).unwrap().replace(
        "AllowOverride None\n        FallbackResource /index.php\n",
        "AllowOverride All\n",
    );
    std::fs::write(&site, &honoured).unwrap();
    let cfg = main.to_str().unwrap().to_string();
    let found = codes(&s, &["--server-config", &cfg]);
    assert!(
        found.contains(&"htaccess-auth-passthrough-missing".to_string())
            && found.contains(&"apache-fcgi-strips-authorization".to_string()),
        "{found:?}"
    );
    let (out, err, code) = run(&s, &["fix", "--server-config", &cfg, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let plan: Value = serde_json::from_str(&out).unwrap();
    let edited: Vec<&str> = plan["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(edited, ["htaccess-auth-passthrough-missing"], "{plan:#}");
    let why = plan["choices"][0].as_str().unwrap();
    assert!(why.contains("the vhost is not changed"), "{why}");
    assert!(why.contains("honours .htaccess"), "{why}");

    let (out, err, code) = run(&s, &["fix", "--apply", "--server-config", &cfg]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("applied: 1 file(s) changed"), "{out}");
    assert_eq!(std::fs::read_to_string(&site).unwrap(), honoured);
    assert_eq!(
        std::fs::read_to_string(s.path("pub/.htaccess")).unwrap(),
        stock
    );
    let after = codes(&s, &["--server-config", &cfg]);
    assert!(
        !after
            .iter()
            .any(|c| c == "apache-fcgi-strips-authorization"
                || c == "htaccess-auth-passthrough-missing"),
        "{after:?}"
    );

    // Asked for both: both files change.
    let (out, err, code) = run(&s, &["undo", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(
        &s,
        &[
            "fix",
            "--apply",
            "--all-server-fixes",
            "--server-config",
            &cfg,
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("applied: 2 file(s) changed"), "{out}");
    assert!(
        std::fs::read_to_string(&site)
            .unwrap()
            .contains("CGIPassAuth On")
    );
}

/// Issue 11, defects 7 and 8: `fix --apply` over two files (the vhost and pub/.htaccess) killed
/// at every point of the write (debug builds: `M2AUTH_TEST_KILL_AT`), then `undo`: the store is
/// back as it was, whatever the point; no temporary file is left in the docroot; no journal
/// entry is cut short. Then `undo` itself killed at every point, and finished by a second
/// `undo`. And the store's write lock: a second writer is refused while the first holds it.
#[test]
fn a_kill_at_any_point_of_a_two_file_fix_is_undone_whole() {
    let Some(stock) = report::magento_pub_htaccess() else {
        return;
    };
    let commented = stock.replace(RULE, &format!("#{RULE}"));
    let points = [
        "entry-written",
        "file-1-start",
        "temp-written",
        "file-1",
        "file-2-start",
        "file-2",
    ];
    for point in points {
        let s = pub_store(Some(&commented));
        let tmp = tempfile::tempdir().unwrap();
        let (main, site) = apache_layout(tmp.path(), &docroot(&s));
        let site_text = std::fs::read_to_string(&site).unwrap().replace(
            "AllowOverride None\n        FallbackResource",
            "AllowOverride All\n        FallbackResource",
        );
        std::fs::write(&site, &site_text).unwrap();
        let cfg = main.to_str().unwrap().to_string();
        let ht = s.path("pub/.htaccess");
        let (plan, _, _) = run(
            &s,
            &[
                "fix",
                "--all-server-fixes",
                "--format",
                "json",
                "--server-config",
                &cfg,
            ],
        );
        let plan: Value = serde_json::from_str(&plan).unwrap();
        let edits = plan["edits"].as_array().map_or(0, Vec::len);
        assert_eq!(edits, 2, "{plan:#}");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_m2auth"))
            .args([
                "fix",
                "--apply",
                "--all-server-fixes",
                "--server-config",
                &cfg,
                "--root",
            ])
            .arg(s.root())
            .env("M2AUTH_TEST_KILL_AT", point)
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(9), "{point}: not killed: {out:?}");
        // Never a temporary copy of .htaccess that the server could serve, never a cut entry.
        let served: Vec<String> = std::fs::read_dir(s.path("pub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("m2auth") && !n.starts_with(".ht"))
            .collect();
        assert!(served.is_empty(), "{point}: {served:?}");
        let (list, err, code) = run(&s, &["undo", "--list"]);
        assert_eq!(code, 0, "{point}: {err}");
        assert!(!list.contains("DAMAGED"), "{point}: {list}");
        // Undo puts back whatever was written (or finds nothing when the kill came first).
        let (out, err, code) = run(&s, &["undo", "--apply"]);
        assert!(
            code == 0 || (code == 1 && err.contains("no journal entry")),
            "{point}: {out}{err}"
        );
        assert_eq!(std::fs::read_to_string(&ht).unwrap(), commented, "{point}");
        assert_eq!(
            std::fs::read_to_string(&site).unwrap(),
            site_text,
            "{point}"
        );
        // A later apply leaves no stale temporary file, and edits once.
        let (out, err, code) = run(
            &s,
            &[
                "fix",
                "--apply",
                "--all-server-fixes",
                "--server-config",
                &cfg,
            ],
        );
        assert_eq!(code, 0, "{point}: {out}{err}");
        let leftovers: Vec<String> = std::fs::read_dir(s.path("pub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("m2auth"))
            .collect();
        assert!(leftovers.is_empty(), "{point}: {leftovers:?}");
        let vhost = std::fs::read_to_string(&site).unwrap();
        assert_eq!(
            vhost.matches("CGIPassAuth On").count(),
            1,
            "{point}: {vhost}"
        );
    }

    // `undo` killed at each of its points, then finished by another `undo`.
    for point in [
        "undo-entry-written",
        "temp-written",
        "undo-file-1",
        "undo-file-2",
    ] {
        let s = pub_store(Some(&commented));
        let tmp = tempfile::tempdir().unwrap();
        let (main, site) = apache_layout(tmp.path(), &docroot(&s));
        let site_text = std::fs::read_to_string(&site).unwrap().replace(
            "AllowOverride None\n        FallbackResource",
            "AllowOverride All\n        FallbackResource",
        );
        std::fs::write(&site, &site_text).unwrap();
        let cfg = main.to_str().unwrap().to_string();
        let ht = s.path("pub/.htaccess");
        let (out, err, code) = run(
            &s,
            &[
                "fix",
                "--apply",
                "--all-server-fixes",
                "--server-config",
                &cfg,
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_m2auth"))
            .args(["undo", "--apply", "--root"])
            .arg(s.root())
            .env("M2AUTH_TEST_KILL_AT", point)
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(9), "{point}: not killed: {out:?}");
        let (out, err, code) = run(&s, &["undo", "--apply"]);
        assert_eq!(code, 0, "{point}: {out}{err}");
        assert_eq!(std::fs::read_to_string(&ht).unwrap(), commented, "{point}");
        assert_eq!(
            std::fs::read_to_string(&site).unwrap(),
            site_text,
            "{point}"
        );
    }

    // One writer at a time: while a lock is held, `fix --apply` is refused (exit 1), naming it.
    let s = pub_store(Some(&commented));
    let held = m2auth::fix::journal::StoreLock::acquire(s.root(), "m2auth fix --apply").unwrap();
    let (out, err, code) = run(&s, &["fix", "--apply"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("another m2auth is changing this store") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(s.path("pub/.htaccess")).unwrap(),
        commented
    );
    drop(held);
    let (out, err, code) = run(&s, &["fix", "--apply"]);
    assert_eq!(code, 0, "{out}{err}");
    // An entry cut short (by an older m2auth, or by hand) is listed as damaged, never skipped.
    let cut = s.path("var/m2auth/journal/20261207T000000.000Z-fix.json");
    std::fs::write(&cut, "{\"format\": 1, \"id\": \"20261207T0").unwrap();
    let (out, err, code) = run(&s, &["undo", "--list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("20261207T000000.000Z-fix.json  DAMAGED"),
        "{out}"
    );
    let (out, _, _) = run(&s, &["undo", "--list", "--format", "json"]);
    assert!(out.contains("\"damaged\""), "{out}");
}
