//! Everything the checks look at, loaded once: the installation, the database (if it could be
//! opened), the resolved configuration, the clock, and the request being diagnosed.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::error::Error;
use crate::findings::Skipped;
use crate::mask::Masker;
use crate::request::RequestSpec;
use crate::store::Installation;
use crate::store::config::StoreConfig;
use crate::store::db::{self, Database, DbChoice, DbError};
use crate::store::envphp::Environment;

/// How to load a [`Context`].
pub struct LoadOptions<'a> {
    pub root: PathBuf,
    pub db: DbChoice,
    pub now: Option<Timestamp>,
    pub request: Option<RequestSpec>,
    pub env: &'a dyn Environment,
}

pub struct Context {
    pub install: Installation,
    /// The database, when it could be opened.
    pub db: Option<Box<dyn Database>>,
    /// Why there is no database (unreachable, denied, no env.php…).
    pub db_problem: Option<String>,
    pub config: StoreConfig,
    pub now: Timestamp,
    pub request: Option<RequestSpec>,
    /// The secrets of this run; every output goes through it.
    pub masker: Masker,
}

impl Context {
    /// Read the store. A broken env.php/config.php or a broken `--dump` is an error (exit 2); an
    /// unreachable database is not: the checks that need it are skipped with the reason.
    pub fn load(opts: LoadOptions<'_>) -> Result<Context, Error> {
        let install = Installation::load(&opts.root, opts.env)?;
        let mut config = StoreConfig::from_files(install.env.as_ref(), install.config.as_ref());
        let (db, db_problem) = match db::open(&opts.db, install.env.as_ref()) {
            Ok(db) => (Some(db), None),
            Err(e @ (DbError::DumpParse { .. } | DbError::Io { .. })) => return Err(e.into()),
            Err(e) => (None, Some(e.to_string())),
        };
        let mut db_problem = db_problem;
        if let Some(db) = &db
            && let Err(e) = config.load_db(db.as_ref())
        {
            db_problem = Some(e.to_string());
        }
        let mut masker = Masker::new();
        if let Some(key) = install.env_string("crypt/key") {
            masker.add(key);
        }
        if let Some(env) = &install.env {
            collect_env_secrets(&env.root, "", &mut masker);
        }
        if let DbChoice::Url(url) = &opts.db
            && let Ok(p) = db::ConnParams::from_url(url)
            && let Some(pw) = p.password
        {
            masker.add(pw);
        }
        if let Some(r) = &opts.request {
            for s in r.secrets() {
                masker.add(s);
            }
        }
        Ok(Context {
            install,
            db,
            db_problem,
            config,
            now: opts.now.unwrap_or_else(Timestamp::now),
            request: opts.request,
            masker,
        })
    }

    /// The database, or a `Skipped` naming the check and why it cannot run.
    pub fn db_for(&self, check: &str) -> Result<&dyn Database, Skipped> {
        match &self.db {
            Some(db) => Ok(db.as_ref()),
            None => Err(Skipped {
                check: check.to_string(),
                reason: format!(
                    "no database: {}",
                    self.db_problem.as_deref().unwrap_or("none was given")
                ),
            }),
        }
    }
}

/// Every env.php value under a key that names a secret (`password`, `key`, `secret`, `token`):
/// DB and Redis passwords, the crypt key, AMQP passwords, API keys of extensions.
fn collect_env_secrets(arr: &crate::store::envphp::Array, path: &str, masker: &mut Masker) {
    for e in arr.iter() {
        let seg = e.key.as_segment();
        let p = if path.is_empty() {
            seg.clone()
        } else {
            format!("{path}/{seg}")
        };
        match &e.value {
            crate::store::envphp::Value::Array(a) => collect_env_secrets(a, &p, masker),
            v => {
                let k = seg.to_ascii_lowercase();
                let secret = [
                    "password", "passwd", "pass", "secret", "token", "api_key", "apikey",
                ]
                .iter()
                .any(|s| k == *s || k.ends_with(&format!("_{s}")))
                    || p == "crypt/key";
                if secret && let Some(s) = v.as_string() {
                    masker.add(s);
                }
            }
        }
    }
}
