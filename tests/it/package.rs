//! Install: the Debian package scripts/package builds (from the test build's binary, so the
//! test costs no release build), unpacked and installed with dpkg into a clean directory tree;
//! `--version`, the man page and completions generated from the clap definitions.
//!
//! The release build and `cargo deb` itself (`scripts/package` without `--binary`) are left to
//! the `#[ignore]`d test: a thin-LTO release build takes minutes on a shared CI machine
//! (docs/benchmarks.md §7).

use std::path::{Path, PathBuf};
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn m2auth(bin: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin).args(args).output().unwrap()
}

fn package(args: &[&str], compression: &str) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(repo.join("scripts/package"))
        .args(args)
        .env("M2AUTH_DEB_COMPRESSION", compression)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/package: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn version_names_the_release_and_the_commit() {
    let out = m2auth(Path::new(env!("CARGO_BIN_EXE_m2auth")), &["--version"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("m2auth {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn man_page_and_completions_come_from_the_clap_definitions() {
    let bin = Path::new(env!("CARGO_BIN_EXE_m2auth"));
    let man = String::from_utf8(m2auth(bin, &["man"]).stdout).unwrap();
    assert!(
        man.contains(".TH m2auth") && man.contains("diagnose"),
        "{man}"
    );
    for (shell, marker) in [
        ("bash", "_m2auth()"),
        ("zsh", "#compdef m2auth"),
        ("fish", "complete -c m2auth"),
    ] {
        let text = String::from_utf8(m2auth(bin, &["completions", shell]).stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(text.contains("acl:matrix"), "{shell}: no subcommands");
    }
    // Hidden: not in the help users read.
    let help = String::from_utf8(m2auth(bin, &["--help"]).stdout).unwrap();
    assert!(!help.contains("completions"), "{help}");
}

#[test]
fn the_debian_package_installs_into_a_clean_tree() {
    if !have("dpkg-deb") {
        eprintln!("skipped: dpkg-deb is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let deb = package(
        &[
            "--binary",
            env!("CARGO_BIN_EXE_m2auth"),
            "--out",
            out.to_str().unwrap(),
        ],
        "none",
    );
    let info = Command::new("dpkg-deb")
        .arg("-I")
        .arg(&deb)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    assert!(info.contains("Package: m2auth"), "{info}");
    let list = Command::new("dpkg-deb")
        .arg("-c")
        .arg(&deb)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    for f in [
        "./usr/bin/m2auth",
        "./usr/share/man/man1/m2auth.1.gz",
        "./usr/share/bash-completion/completions/m2auth",
        "./usr/share/zsh/vendor-completions/_m2auth",
        "./usr/share/fish/vendor_completions.d/m2auth.fish",
        "./usr/share/doc/m2auth/README.md",
        "./usr/share/doc/m2auth/copyright",
    ] {
        assert!(list.contains(f), "{f} missing from the package:\n{list}");
    }
    // `dpkg -i` into an empty root (its own dpkg database): as root only.
    let root = tmp.path().join("root");
    let installed = if have("dpkg") && unsafe { libc::geteuid() } == 0 {
        for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
        let st = Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .args([
                "--log=/dev/null",
                "--force-depends",
                "--force-script-chrootless",
                "-i",
            ])
            .arg(&deb)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "dpkg -i: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        true
    } else {
        let st = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&root)
            .status()
            .unwrap();
        assert!(st.success());
        false
    };
    let bin = root.join("usr/bin/m2auth");
    let version = String::from_utf8(m2auth(&bin, &["--version"]).stdout).unwrap();
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
    if installed {
        let status = std::fs::read_to_string(root.join("var/lib/dpkg/status")).unwrap();
        assert!(status.contains("Package: m2auth") && status.contains("install ok installed"));
    }
}

/// The release package as shipped: `scripts/package` (release build; `cargo deb` when it is
/// installed). Minutes: run with `--ignored`.
#[test]
#[ignore]
fn release_package_is_under_20_mb() {
    let deb = package(&[], "xz");
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/m2auth");
    let size = std::fs::metadata(&bin).unwrap().len();
    assert!(size < 20 * 1024 * 1024, "{size} bytes");
    assert!(deb.exists());
}
