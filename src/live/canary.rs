//! The canary: the one write `m2auth request --canary` makes. A randomly named PHP file in the
//! docroot that reports only booleans (did `HTTP_AUTHORIZATION` / `REDIRECT_HTTP_AUTHORIZATION`
//! arrive, is it the value sent), requested once with a dummy `Authorization: Bearer
//! m2auth-canary-<random>` header, and deleted in every case: by the guard's `Drop` (errors,
//! early returns, panics) and by the Ctrl-C handler.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use crate::live::LiveError;
use crate::live::client::{Client, Exchange, Outgoing};
use crate::request::Header;

/// Canary files not deleted yet (for the Ctrl-C handler).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// On Ctrl-C, SIGTERM or SIGHUP (ctrlc's "termination" feature): delete every pending canary,
/// then exit 130.
fn install_signal_handler() {
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            let mut removed = 0;
            if let Ok(pending) = PENDING.lock() {
                for p in pending.iter() {
                    if std::fs::remove_file(p).is_ok() {
                        removed += 1;
                    }
                }
            }
            if removed > 0 {
                eprintln!("m2auth: interrupted; the canary file was removed");
            } else {
                eprintln!("m2auth: interrupted");
            }
            std::process::exit(130);
        });
    });
}

/// A canary file on disk; deleting it is the guard's whole purpose.
#[derive(Debug)]
pub struct CanaryFile {
    path: PathBuf,
    removed: bool,
}

impl CanaryFile {
    /// Create `dir/name` exclusively (`O_EXCL`: never over an existing file or through a
    /// symlink; `O_NOFOLLOW` as well), mode 0644, holding `contents`.
    pub fn create(dir: &Path, name: &str, contents: &str) -> Result<CanaryFile, LiveError> {
        install_signal_handler();
        let path = dir.join(name);
        // Registered before the file exists: a Ctrl-C between create and register cannot leak it.
        PENDING
            .lock()
            .map_err(|_| LiveError::Canary("internal lock poisoned".into()))?
            .push(path.clone());
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc_o_nofollow())
            .open(&path)
            .map_err(|e| {
                // Nothing was created: forget it without deleting someone else's file.
                forget(&path);
                LiveError::Canary(format!("cannot create {}: {e}", path.display()))
            })?;
        // Ours from here on: the guard deletes it whatever happens next.
        let guard = CanaryFile {
            path: path.clone(),
            removed: false,
        };
        // The umask may have taken bits away; the web server user must be able to read it.
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        f.write_all(contents.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| LiveError::Canary(format!("cannot write {}: {e}", path.display())))?;
        Ok(guard)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Delete now; `Err` when the file could not be deleted (said loudly by the caller).
    pub fn remove(mut self) -> std::io::Result<()> {
        self.removed = true;
        let r = remove(&self.path);
        forget(&self.path);
        r
    }
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

fn forget(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.retain(|x| x != path);
    }
}

impl Drop for CanaryFile {
    fn drop(&mut self) {
        if !self.removed {
            if let Err(e) = remove(&self.path) {
                eprintln!(
                    "m2auth: WARNING: could not delete the canary {}: {e}; delete it by hand",
                    self.path.display()
                );
            }
            forget(&self.path);
        }
    }
}

/// `O_NOFOLLOW` on Linux (and the BSDs' value elsewhere); `create_new` already refuses a
/// symlink as the last component, this says it twice.
const fn libc_o_nofollow() -> i32 {
    if cfg!(target_os = "linux") {
        0o400000
    } else {
        0x0100
    }
}

/// Where the canary goes: `pub/` when the document root is `pub/` (env.php
/// `directories/document_root_is_pub`) or when `pub/` exists; else the Magento root. With the
/// file in `pub/` both URL layouts are tried: `/NAME.php` (docroot pub/) and `/pub/NAME.php`
/// (docroot = the Magento root).
pub fn docroot(root: &Path, docroot_is_pub: bool) -> (PathBuf, Vec<&'static str>) {
    let pub_dir = root.join("pub");
    if docroot_is_pub {
        (pub_dir, vec![""])
    } else if pub_dir.is_dir() {
        (pub_dir, vec!["", "/pub"])
    } else {
        (root.to_path_buf(), vec![""])
    }
}

/// The PHP of the canary: booleans only, never a header value.
pub fn php_source(id: &str, expected: &str) -> String {
    format!(
        r#"<?php
// m2auth canary {id}: reports only whether the Authorization header reached PHP. Deleted after one request.
header('Content-Type: application/json');
header('Cache-Control: no-store');
$h = isset($_SERVER['HTTP_AUTHORIZATION']) ? (string) $_SERVER['HTTP_AUTHORIZATION'] : '';
$r = isset($_SERVER['REDIRECT_HTTP_AUTHORIZATION']) ? (string) $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] : '';
echo json_encode([
    'm2auth_canary' => '{id}',
    'http_authorization' => $h !== '',
    'redirect_http_authorization' => $r !== '',
    'intact' => hash_equals('{expected}', $h) || hash_equals('{expected}', $r),
]);
"#
    )
}

/// What the canary proved.
#[derive(Debug, Clone, PartialEq)]
pub enum CanaryOutcome {
    /// PHP received the header (under `via`); `intact`: with the value sent.
    Arrived {
        url: String,
        via: &'static str,
        intact: bool,
    },
    /// PHP ran the canary and did not receive the header.
    NotArrived { url: String, status: u16 },
    /// The canary could not prove anything (not served, not run as PHP…): why.
    Unusable { reason: String },
}

/// What the canary run did, for the report.
#[derive(Debug, Clone)]
pub struct CanaryRun {
    pub outcome: CanaryOutcome,
    /// The file was deleted again (false only when deletion failed; said on stderr too).
    pub removed: bool,
    pub file: PathBuf,
}

/// Read the canary's answer (pure).
pub fn read_answer(id: &str, url: &str, exchange: &Exchange) -> CanaryOutcome {
    let r = match exchange {
        Ok(r) => r,
        Err(u) => {
            return CanaryOutcome::Unusable {
                reason: format!("no answer from {} ({})", u.address, u.detail),
            };
        }
    };
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&r.body).ok();
    let ours = parsed
        .as_ref()
        .filter(|v| v.get("m2auth_canary").and_then(|c| c.as_str()) == Some(id));
    let Some(v) = ours else {
        let what = match r.status {
            403 | 404 => format!(
                "{url} answered {}: the server does not run PHP files other than its entry points there (e.g. nginx's sample config runs only index.php, get.php, static.php…)",
                r.status
            ),
            200 if r.body.starts_with(b"<?php") => {
                format!("{url} returned the PHP source: PHP does not run there")
            }
            s => format!("{url} answered {s} without the canary's report"),
        };
        return CanaryOutcome::Unusable { reason: what };
    };
    let flag = |k: &str| v.get(k).and_then(|b| b.as_bool()).unwrap_or(false);
    let intact = flag("intact");
    if flag("http_authorization") {
        CanaryOutcome::Arrived {
            url: url.into(),
            via: "HTTP_AUTHORIZATION",
            intact,
        }
    } else if flag("redirect_http_authorization") {
        CanaryOutcome::Arrived {
            url: url.into(),
            via: "REDIRECT_HTTP_AUTHORIZATION",
            intact,
        }
    } else {
        CanaryOutcome::NotArrived {
            url: url.into(),
            status: r.status,
        }
    }
}

/// Write the canary under `root`, request it at `origin` + `prefix` (the store's subfolder),
/// delete it. The file is gone when this returns, whatever happened.
pub fn run(
    client: &Client,
    root: &Path,
    docroot_is_pub: bool,
    origin: &str,
    prefix: &str,
) -> Result<CanaryRun, LiveError> {
    let id = random_token(24)?;
    let secret = random_token(24)?;
    let dummy = format!("Bearer m2auth-canary-{secret}");
    let name = format!("m2auth-canary-{id}.php");
    let (dir, layouts) = docroot(root, docroot_is_pub);
    let file = CanaryFile::create(&dir, &name, &php_source(&id, &dummy))?;
    let mut outcome = CanaryOutcome::Unusable {
        reason: "not requested".into(),
    };
    for layout in layouts {
        let url = format!("{origin}{prefix}{layout}/{name}");
        let out = Outgoing {
            method: "GET".into(),
            url: url.clone(),
            headers: vec![Header {
                name: "Authorization".into(),
                value: dummy.clone(),
            }],
            body: None,
        };
        let exchange = match client.send(&out) {
            Ok(x) => x,
            Err(e) => {
                // The guard deletes the file on the way out.
                return Err(e);
            }
        };
        outcome = read_answer(&id, &url, &exchange);
        if !matches!(outcome, CanaryOutcome::Unusable { .. }) {
            break;
        }
    }
    let path = file.path().to_path_buf();
    let removed = match file.remove() {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "m2auth: WARNING: could not delete the canary {}: {e}; delete it by hand",
                path.display()
            );
            false
        }
    };
    Ok(CanaryRun {
        outcome,
        removed,
        file: path,
    })
}

/// `n` letters and digits from the operating system's random source; its failure is an error
/// (no canary with a guessable name is written).
pub fn random_token(n: usize) -> Result<String, LiveError> {
    crate::random::string(n, crate::random::ALPHANUMERIC)
        .map_err(|e| LiveError::Canary(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_is_exclusive_and_drop_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let f = CanaryFile::create(dir.path(), "c.php", "<?php").unwrap();
        let p = f.path().to_path_buf();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        assert!(CanaryFile::create(dir.path(), "c.php", "x").is_err());
        assert!(
            p.exists(),
            "a failed second create must not delete the first file"
        );
        drop(f);
        assert!(!p.exists());
        // A symlink in the way is never followed.
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.path().join("l.php")).unwrap();
        assert!(CanaryFile::create(dir.path(), "l.php", "x").is_err());
        assert!(!target.exists());
    }

    #[test]
    fn a_panic_still_deletes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.php");
        let p2 = path.clone();
        let d = dir.path().to_path_buf();
        let r = std::panic::catch_unwind(move || {
            let _f = CanaryFile::create(&d, "p.php", "<?php").unwrap();
            assert!(p2.exists());
            panic!("boom");
        });
        assert!(r.is_err());
        assert!(!path.exists());
    }

    #[test]
    fn answers_are_read_as_booleans_only() {
        let resp = |status: u16, body: &str| {
            Ok(crate::live::client::Response {
                url: "u".into(),
                status,
                headers: Vec::new(),
                body: body.as_bytes().to_vec(),
                truncated: false,
                incomplete: None,
                elapsed_ms: 0,
            })
        };
        let ok = read_answer(
            "abc",
            "u",
            &resp(
                200,
                r#"{"m2auth_canary":"abc","http_authorization":false,"redirect_http_authorization":true,"intact":true}"#,
            ),
        );
        assert!(matches!(
            ok,
            CanaryOutcome::Arrived {
                via: "REDIRECT_HTTP_AUTHORIZATION",
                intact: true,
                ..
            }
        ));
        let no = read_answer(
            "abc",
            "u",
            &resp(
                200,
                r#"{"m2auth_canary":"abc","http_authorization":false,"redirect_http_authorization":false,"intact":false}"#,
            ),
        );
        assert!(matches!(no, CanaryOutcome::NotArrived { status: 200, .. }));
        assert!(matches!(
            read_answer("abc", "u", &resp(404, "<html>404</html>")),
            CanaryOutcome::Unusable { .. }
        ));
        assert!(matches!(
            read_answer("abc", "u", &resp(200, r#"{"m2auth_canary":"other"}"#)),
            CanaryOutcome::Unusable { .. }
        ));
    }

    #[test]
    fn the_php_never_echoes_a_header_value() {
        let src = php_source("id", "Bearer m2auth-canary-x");
        assert!(!src.contains("echo $"));
        assert!(src.contains("'http_authorization' => $h !== ''"));
    }
}
