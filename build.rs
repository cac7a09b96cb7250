//! The release's git commit for `m2auth --version`: `git rev-parse --short HEAD` when the source
//! is a git checkout and git is installed, else "unknown" (a tarball, a crates.io package, no git).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=M2AUTH_GIT_COMMIT");
    let commit = std::env::var("M2AUTH_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=M2AUTH_GIT_COMMIT={commit}");
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn git_commit() -> Option<String> {
    // Only this crate's own repository: a tarball unpacked inside another git tree must not
    // take that tree's commit.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let here = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let same = std::fs::canonicalize(&top).ok()? == std::fs::canonicalize(&here).ok()?;
    if !same {
        return None;
    }
    // Rebuild when HEAD moves (a commit, a checkout): HEAD and the ref it names.
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &r])
    {
        println!("cargo:rerun-if-changed={p}");
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}
