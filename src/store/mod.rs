//! READ the installation. All file and database I/O of m2auth lives under here.

pub mod acl;
pub mod cache;
pub mod config;
pub mod db;
pub mod envphp;
pub mod error;
pub mod fsread;
pub mod graphql;
pub mod logs;
pub mod module_xml;
pub mod modules;
pub mod perms;
pub mod root;
pub mod scopes;
pub mod secrets;
pub mod server;
pub mod session;
pub mod webapi;

use std::path::{Path, PathBuf};

use envphp::{Document, Environment};
pub use error::StoreError;
use modules::{ModuleSet, Release};

/// What m2auth read of a Magento installation's files.
#[derive(Debug, Clone)]
pub struct Installation {
    pub root: PathBuf,
    /// `app/etc/env.php`; `None` when the file does not exist.
    pub env: Option<Document>,
    /// `app/etc/config.php`; `None` when the file does not exist.
    pub config: Option<Document>,
    pub modules: ModuleSet,
    pub release: Release,
}

impl Installation {
    /// Read env.php, config.php, the modules and the release. A missing file is a gap the checks
    /// report; a broken one is an error.
    pub fn load(root: &Path, env: &dyn Environment) -> Result<Installation, StoreError> {
        let read = |rel: &str| -> Result<Option<Document>, StoreError> {
            let path = root.join(rel);
            let io = |source| StoreError::Io {
                path: path.clone(),
                source,
            };
            // Absent only when there is no entry at all: a symlink loop or a dangling link is
            // an error with the OS's reason (reported as "missing", the checks would advise a
            // new crypt key, invalidating every token and encrypted value).
            match std::fs::symlink_metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io(e)),
                Ok(_) => {}
            }
            // A regular file only: a FIFO or a device would block or never end.
            let meta = std::fs::metadata(&path).map_err(io)?;
            if !meta.is_file() {
                return Err(io(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a regular file",
                )));
            }
            let bytes = fsread::read_capped(&path, fsread::STORE_FILE_BYTES).map_err(io)?;
            Ok(Some(envphp::parse(&bytes, Path::new(rel), env)?))
        };
        let env_doc = read(root::ENV_PHP)?;
        let config_doc = read(root::CONFIG_PHP)?;
        let modules = ModuleSet::load(root, config_doc.as_ref());
        let release = modules::detect_release(root);
        Ok(Installation {
            root: root.to_path_buf(),
            env: env_doc,
            config: config_doc,
            modules,
            release,
        })
    }

    /// env.php says the web server's document root is pub/ (`directories/document_root_is_pub`).
    pub fn docroot_is_pub(&self) -> bool {
        self.env
            .as_ref()
            .and_then(|e| e.get("directories/document_root_is_pub"))
            .is_some_and(|v| v.is_truthy())
    }

    /// `MAGE_MODE` from env.php, else `default` (Magento's own fallback).
    pub fn mode(&self) -> String {
        self.env_string("MAGE_MODE")
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "default".into())
    }

    pub fn env_string(&self, path: &str) -> Option<String> {
        self.env.as_ref()?.string(path)
    }

    /// The keys of `crypt/key` as Magento splits them (`preg_split('/\s+/s', trim(...))`);
    /// the last one is current. Empty when the key is missing, empty or not a literal.
    pub fn crypt_keys(&self) -> Vec<String> {
        self.env_string("crypt/key")
            .map(|k| {
                crate::magento::cryptkey::split_keys(&k)
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `backend/frontName`, the admin URL path.
    pub fn admin_front_name(&self) -> Option<String> {
        self.env_string("backend/frontName")
    }
}
