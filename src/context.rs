//! The shared loader: everything the checks, fixes, live requests and reports look at, loaded
//! once into a [`Context`] (from [`LoadOptions`]): the installation, the database (if it could
//! be opened), the resolved configuration, the clock, the request being diagnosed and the run's
//! secrets. It sits between `store` (which it reads through) and `checks` (its first user).

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
    /// Where to read the web server's configuration (`--server-config`, else the usual places).
    pub server: crate::store::server::Sources,
    /// Told of reading a `--dump` ([`crate::progress::Silent`]: nobody watches).
    pub progress: &'a dyn crate::progress::Progress,
}

pub struct Context {
    pub install: Installation,
    /// The database, when it could be opened.
    pub db: Option<Box<dyn Database>>,
    /// Why there is no database (unreachable, denied, no env.php…).
    pub db_problem: Option<String>,
    /// Whether a database was named (`--db`, `--dump`) or configured in env.php: then one that
    /// cannot be read is a failure to run (exit 2) unless partial results are allowed.
    pub db_expected: bool,
    pub config: StoreConfig,
    pub now: Timestamp,
    pub request: Option<RequestSpec>,
    /// The secrets of this run; every output goes through it.
    pub masker: Masker,
    /// Where the web server's configuration is read from; read on first use ([`Context::server`]).
    server_sources: crate::store::server::Sources,
    server: std::sync::OnceLock<crate::store::server::Loaded>,
    /// Which part of the logs the step 7 checks read.
    pub logs: LogScope,
}

/// Which part of the logs `diagnose` reads (step 7): by default the last [`LogScope::TAIL`]
/// bytes of each plain log (compressed rotations are not read), or everything since an
/// instant (`--logs-since`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogScope {
    Off,
    /// The last this many bytes of each plain log.
    Tail(u64),
    /// Every log, rotations included, from this instant (Unix seconds).
    Since(i64),
}

impl LogScope {
    pub const TAIL: u64 = 16 << 20;
}

impl Default for LogScope {
    fn default() -> Self {
        LogScope::Tail(LogScope::TAIL)
    }
}

impl Context {
    /// Read the store. A broken env.php/config.php or a broken `--dump` is an error (exit 2); an
    /// unreachable database is not: the checks that need it are skipped with the reason.
    pub fn load(opts: LoadOptions<'_>) -> Result<Context, Error> {
        let install = Installation::load(&opts.root, opts.env)?;
        let mut config = StoreConfig::from_files(install.env.as_ref(), install.config.as_ref());
        config.set_disabled_modules(&install.modules);
        if let DbChoice::Url(url) = &opts.db {
            // A URL that does not parse is a usage error, not an unreachable database.
            db::ConnParams::from_url(url).map_err(|e| Error::Usage(e.to_string()))?;
        }
        let (mut db, mut db_problem) = match db::open(&opts.db, install.env.as_ref(), opts.progress)
        {
            Ok(db) => (Some(db), None),
            Err(e @ (DbError::DumpParse { .. } | DbError::Io { .. })) => return Err(e.into()),
            Err(e) => (None, Some(e.to_string())),
        };
        let db_expected = !matches!(opts.db, DbChoice::Env)
            || db::params_for(&opts.db, install.env.as_ref())
                .map_or_else(|e| !matches!(e, DbError::NotConfigured(_)), |_| true);
        if let Some(d) = &db {
            let problem = match magento_tables_missing(d.as_ref()) {
                Err(e) => Some(e.to_string()),
                Ok(Some(p)) => Some(p),
                Ok(None) => config.load_db(d.as_ref()).err().map(|e| e.to_string()),
            };
            if problem.is_some() {
                db = None;
                db_problem = problem;
            }
        }
        // Only a `--server-config` path is checked here (a path that does not exist is the
        // user's error, exit 2); the configuration itself is read when a command asks for it
        // (diagnose, info, fix), so a broken system configuration cannot break the others.
        crate::store::server::check_given(&opts.server)?;
        let masker = build_masker(&install, &opts);
        Ok(Context {
            install,
            db,
            db_problem,
            db_expected,
            config,
            now: opts.now.unwrap_or_else(Timestamp::now),
            request: opts.request,
            masker,
            server_sources: opts.server,
            server: std::sync::OnceLock::new(),
            logs: LogScope::default(),
        })
    }

    /// The web server's configuration, as far as it could be read: read on the first call.
    pub fn server(&self) -> &crate::store::server::Loaded {
        self.server.get_or_init(|| {
            crate::store::server::load(&self.server_sources).unwrap_or_else(|e| {
                crate::store::server::Loaded {
                    configs: Vec::new(),
                    skipped: vec![e.to_string()],
                }
            })
        })
    }

    /// Whether the web server's configuration has been read yet (commands that do not need it
    /// never read it).
    pub fn server_read(&self) -> bool {
        self.server.get().is_some()
    }

    /// [`Context::server`], for changing it (library users, tests).
    pub fn server_mut(&mut self) -> &mut crate::store::server::Loaded {
        self.server();
        self.server
            .get_mut()
            .expect("the server configuration was just read")
    }

    /// Why the database that was named or configured could not be read (`None`: it was read,
    /// or none was expected).
    pub fn db_unreadable(&self) -> Option<&str> {
        if self.db.is_some() || !self.db_expected {
            return None;
        }
        Some(self.db_problem.as_deref().unwrap_or("it could not be read"))
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

/// Whether the database holds Magento's tables: a dump or schema without `core_config_data` and
/// `store` (with the configured prefix) is not a Magento database, or the prefix is wrong.
fn magento_tables_missing(db: &dyn Database) -> Result<Option<String>, DbError> {
    let mut missing = Vec::new();
    for t in ["core_config_data", "store"] {
        if !db.has_table(t)? {
            missing.push(t);
        }
    }
    if missing.is_empty() {
        return Ok(None);
    }
    let d = db.describe();
    let place = match (&d.dump, &d.name) {
        (Some(p), _) => format!("the dump {}", p.display()),
        (None, Some(n)) => format!("database '{n}'"),
        (None, None) => "the database".into(),
    };
    Ok(Some(format!(
        "{place} has no Magento table {} with table prefix '{}': is db/table_prefix right, and is this the store's database?",
        missing
            .iter()
            .map(|t| format!("{}{t}", d.table_prefix))
            .collect::<Vec<_>>()
            .join(" or "),
        d.table_prefix
    )))
}

/// The masker of a run: the crypt keys, every env.php value under a secret-looking key, the
/// `--db` password, and the request's tokens and OAuth secrets. The DB name and user are public.
fn build_masker(install: &Installation, opts: &LoadOptions<'_>) -> Masker {
    let mut masker = Masker::new();
    if let Some(env) = &install.env {
        if let Some(key) = env.string("crypt/key") {
            masker.add_keys(&key);
        }
        collect_env_secrets(&env.root, "", &mut masker);
        for public in [
            "db/connection/default/dbname",
            "db/connection/default/username",
        ] {
            if let Some(v) = env.string(public) {
                masker.public(v);
            }
        }
    }
    if let DbChoice::Url(url) = &opts.db
        && let Ok(p) = db::ConnParams::from_url(url)
    {
        if let Some(pw) = p.password {
            masker.add(pw);
        }
        masker.public(p.user);
        masker.public(p.dbname);
    }
    if let Some(r) = &opts.request {
        for s in r.secrets() {
            masker.add(s);
        }
    }
    masker
}

/// Every env.php value under a key that looks like it names a secret (a segment containing
/// `pass`, `secret`, `token`, `key` or `salt`): DB, Redis and AMQP passwords, the crypt key, S3
/// credentials, API keys of extensions, the GraphQL id salt.
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
                let secret = ["pass", "secret", "token", "key", "salt"]
                    .iter()
                    .any(|s| k.contains(s));
                // A file path (an SSL key file) is where a secret is, not the secret.
                if secret && let Some(s) = v.as_string().filter(|s| !s.starts_with('/')) {
                    masker.add(s);
                }
            }
        }
    }
}
