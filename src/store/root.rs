//! Finding the Magento root: `--root DIR`, else the nearest folder at or above the current one
//! that holds `app/etc/env.php`.

use std::path::{Path, PathBuf};

use super::error::StoreError;

pub const ENV_PHP: &str = "app/etc/env.php";
pub const CONFIG_PHP: &str = "app/etc/config.php";

/// The root to use. With `explicit`, that folder must hold `app/etc/env.php` or `app/etc/config.php`.
pub fn find_root(explicit: Option<&Path>, cwd: &Path) -> Result<PathBuf, StoreError> {
    if let Some(dir) = explicit {
        let dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            cwd.join(dir)
        };
        if !dir.is_dir() {
            return Err(StoreError::Root(format!(
                "{}: no such folder",
                dir.display()
            )));
        }
        // An entry that is there but cannot be read (a symlink loop, a FIFO) still makes this the
        // root: reading it then fails with the OS's reason instead of "no env.php".
        let present = |rel: &str| std::fs::symlink_metadata(dir.join(rel)).is_ok();
        if present(ENV_PHP) || present(CONFIG_PHP) {
            return Ok(dir);
        }
        return Err(StoreError::Root(format!(
            "{}: not a Magento root (no {ENV_PHP})",
            dir.display()
        )));
    }
    cwd.ancestors()
        .find(|d| d.join(ENV_PHP).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            StoreError::Root(format!(
                "no {ENV_PHP} in {} or any folder above it; pass --root DIR",
                cwd.display()
            ))
        })
}
