//! `m2auth info`: what m2auth found, never a secret. The JSON field names are a contract
//! (`../shared/spec/cli.md`).

use std::fmt::Write;

use serde::Serialize;

use crate::context::Context;
use crate::report::style::Style;
use crate::store::db::{self, DbChoice, DbDescription, Source};

/// Modules whose state matters for authentication, shown by `info`.
pub const AUTH_MODULES: &[&str] = &[
    "Magento_Integration",
    "Magento_JwtUserToken",
    "Magento_JwtFrameworkAdapter",
    "Magento_Webapi",
    "Magento_WebapiSecurity",
    "Magento_TwoFactorAuth",
    "Magento_AdminAdobeIms",
    "Magento_Security",
    "Magento_User",
    "Magento_Customer",
];

#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub root: String,
    pub magento: MagentoInfo,
    pub modules: ModulesInfo,
    pub db: DbInfo,
    pub crypt: CryptInfo,
    pub cache: CacheInfo,
    pub session: SessionInfo,
    pub admin: AdminInfo,
    pub stores: Vec<String>,
    /// The web server's configuration: what was read, which vhost/server serves the store.
    pub web_server: WebServerInfo,
    /// env.php/config.php values m2auth could not evaluate.
    pub unresolved: Vec<UnresolvedInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MagentoInfo {
    pub version: Option<String>,
    pub edition: String,
    pub mode: String,
    /// Where the version was read.
    pub version_source: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModulesInfo {
    /// The enabled modules, by name (the same type as `disabled`; the text shows a count).
    pub enabled: Vec<String>,
    /// The disabled modules, by name.
    pub disabled: Vec<String>,
    /// The auth-relevant modules and whether each is enabled (`null`: not installed).
    pub auth: std::collections::BTreeMap<String, Option<bool>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DbInfo {
    pub source: Source,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<String>,
    pub name: Option<String>,
    pub table_prefix: String,
    pub reachable: bool,
    /// Why it is not reachable.
    pub error: Option<String>,
    pub dump: Option<String>,
    /// Connection settings Magento itself would refuse although m2auth could use them.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebServerInfo {
    /// The configurations read: `{kind, main, files}`.
    pub configs: Vec<ServerConfigInfo>,
    /// The vhosts / server blocks whose document root is the store.
    pub serving: Vec<crate::checks::server::Serving>,
    /// Places not read and files not understood, with the reason.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerConfigInfo {
    pub kind: crate::store::server::Kind,
    pub main: String,
    pub files: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CryptInfo {
    /// How many keys `crypt/key` holds (never a key).
    pub keys: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheInfo {
    pub default: Backend,
    pub page_cache: Backend,
    /// Every cache type: enabled in env.php or not, its frontend and how many entries it holds.
    pub types: Vec<crate::fix::cache::TypeResult>,
    /// Why a storage could not be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backend {
    /// `file`, `redis`, `database`, `remote-synchronized`, or the backend class as written.
    pub backend: String,
    /// Where it keeps its entries (`file /var/www/var/cache`, `redis 127.0.0.1:6379 db 1`).
    pub storage: String,
    /// How many entries the storage holds.
    pub entries: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub save: String,
    /// Where: the files folder or the Redis server (`None` for the database or another handler).
    pub location: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdminInfo {
    pub front_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnresolvedInfo {
    pub file: String,
    pub path: String,
    pub line: u32,
}

/// The name of a cache backend as configured (Magento's Frontend\Factory defaults to
/// `Cm_Cache_Backend_File` when none is set).
pub fn backend_name(configured: Option<&str>) -> String {
    let Some(b) = configured.map(str::trim).filter(|b| !b.is_empty()) else {
        return "file".into();
    };
    let lower = b.trim_start_matches('\\').to_ascii_lowercase();
    if lower.ends_with("redis") || lower == "cm_cache_backend_redis" || lower.ends_with("valkey") {
        "redis".into()
    } else if lower.ends_with("cm_cache_backend_file") || lower == "file" {
        "file".into()
    } else if lower.ends_with("remotesynchronizedcache") || lower == "remote_synchronized_cache" {
        "remote-synchronized".into()
    } else if lower == "database" {
        "database".into()
    } else {
        b.to_string()
    }
}

pub fn gather(ctx: &Context, choice: &DbChoice) -> Info {
    let install = &ctx.install;
    let env = install.env.as_ref();
    let params = db::params_for(choice, env).ok();
    let warnings = params
        .as_ref()
        .map(|p| p.warnings.clone())
        .unwrap_or_default();
    let describe = match &ctx.db {
        Some(db) => Some(db.describe()),
        None => match params {
            Some(p) => Some(DbDescription {
                source: Source::Live,
                host: p.host.clone(),
                port: p.port,
                socket: p.socket.clone(),
                name: Some(p.dbname.clone()),
                table_prefix: p.table_prefix.clone(),
                dump: None,
            }),
            None => None,
        },
    };
    let db = match describe {
        Some(d) => DbInfo {
            source: d.source,
            host: d.host,
            port: d.port,
            socket: d.socket.map(|s| s.display().to_string()),
            name: d.name,
            table_prefix: d.table_prefix,
            reachable: ctx.db.is_some(),
            error: ctx.db_problem.clone(),
            dump: d.dump.map(|p| p.display().to_string()),
            warnings,
        },
        None => DbInfo {
            source: if matches!(choice, DbChoice::Dump(_)) {
                Source::Dump
            } else {
                Source::Live
            },
            host: None,
            port: None,
            socket: None,
            name: None,
            table_prefix: env
                .and_then(|e| e.string("db/table_prefix"))
                .unwrap_or_default(),
            reachable: false,
            error: ctx.db_problem.clone(),
            dump: None,
            warnings,
        },
    };
    let mut unresolved = Vec::new();
    for (file, doc) in [
        (crate::store::root::ENV_PHP, env),
        (crate::store::root::CONFIG_PHP, install.config.as_ref()),
    ] {
        if let Some(doc) = doc {
            for u in &doc.unresolved {
                unresolved.push(UnresolvedInfo {
                    file: file.into(),
                    path: u.path.clone(),
                    line: u.line,
                });
            }
        }
    }
    Info {
        root: install.root.display().to_string(),
        magento: MagentoInfo {
            version: install.release.version.clone(),
            edition: serde_json::to_value(install.release.edition)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "unknown".into()),
            mode: install.mode(),
            version_source: install.release.source.clone(),
        },
        modules: ModulesInfo {
            enabled: install.modules.enabled().map(|m| m.name.clone()).collect(),
            disabled: install.modules.disabled().map(|m| m.name.clone()).collect(),
            auth: AUTH_MODULES
                .iter()
                .map(|m| (m.to_string(), install.modules.is_enabled(m)))
                .collect(),
        },
        db,
        crypt: CryptInfo {
            keys: install.crypt_keys().len(),
        },
        cache: {
            let st = crate::fix::cache::status(install);
            let storage = |name: &str| {
                st.backends
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .map(|(_, d, c)| (d.clone(), *c))
                    .unwrap_or_default()
            };
            let (ds, dn) = storage("default");
            let (ps, pn) = storage("page_cache");
            CacheInfo {
                default: Backend {
                    backend: backend_name(
                        install
                            .env_string("cache/frontend/default/backend")
                            .as_deref(),
                    ),
                    storage: ds,
                    entries: dn,
                },
                page_cache: Backend {
                    backend: backend_name(
                        install
                            .env_string("cache/frontend/page_cache/backend")
                            .as_deref(),
                    ),
                    storage: ps,
                    entries: pn,
                },
                types: st.types,
                problems: st.notes,
            }
        },
        session: SessionInfo {
            save: install
                .env_string("session/save")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "files".into()),
            location: match crate::store::session::storage(install) {
                crate::store::session::SessionStorage::Files { dir, configured } => Some(format!(
                    "{}{}",
                    dir.display(),
                    if configured {
                        ""
                    } else {
                        " (when PHP sets no session.save_path)"
                    }
                )),
                crate::store::session::SessionStorage::Redis(r) => Some(r.describe()),
                _ => None,
            },
        },
        admin: AdminInfo {
            front_name: install.admin_front_name(),
        },
        stores: ctx.config.scopes.codes(),
        web_server: WebServerInfo {
            configs: ctx
                .server()
                .configs
                .iter()
                .map(|c| ServerConfigInfo {
                    kind: c.kind,
                    main: c.main.display().to_string(),
                    files: c.files.len(),
                })
                .collect(),
            serving: crate::checks::server::serving(ctx),
            skipped: ctx
                .server()
                .skipped
                .iter()
                .chain(ctx.server().configs.iter().flat_map(|c| c.problems.iter()))
                .cloned()
                .collect(),
        },
        unresolved,
    }
}

pub fn to_text(info: &Info, style: &Style) -> String {
    let mut o = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(o, "{}  {}", style.bold("root      "), info.root);
    let _ = writeln!(
        o,
        "{}  {} ({}, {} mode){}",
        style.bold("magento   "),
        opt(&info.magento.version),
        info.magento.edition,
        info.magento.mode,
        info.magento
            .version_source
            .as_ref()
            .map(|s| format!(" from {s}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "{}  {} enabled, {} disabled{}",
        style.bold("modules   "),
        info.modules.enabled.len(),
        info.modules.disabled.len(),
        if info.modules.disabled.is_empty() {
            String::new()
        } else {
            format!(": {}", info.modules.disabled.join(", "))
        }
    );
    let auth: Vec<String> = info
        .modules
        .auth
        .iter()
        .map(|(m, s)| {
            format!(
                "{} {}",
                m.trim_start_matches("Magento_"),
                match s {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "absent",
                }
            )
        })
        .collect();
    let _ = writeln!(o, "{}  {}", style.bold("auth mods "), auth.join(", "));
    let d = &info.db;
    let place = match (&d.dump, &d.socket, &d.host) {
        (Some(p), _, _) => p.clone(),
        (None, Some(s), _) => format!("socket {s}"),
        (None, None, Some(h)) => format!("{h}:{}", d.port.unwrap_or(3306)),
        _ => "-".into(),
    };
    let state = if d.reachable {
        style.green("reachable")
    } else {
        style.red(&format!(
            "not reachable: {}",
            d.error.as_deref().unwrap_or("unknown")
        ))
    };
    let _ = writeln!(
        o,
        "{}  {} {} db={} prefix='{}' ({})",
        style.bold("database  "),
        d.source,
        place,
        opt(&d.name),
        d.table_prefix,
        state
    );
    let _ = writeln!(
        o,
        "{}  {} key(s)",
        style.bold("crypt     "),
        info.crypt.keys
    );
    let w = &info.web_server;
    let web = if w.configs.is_empty() {
        "no configuration found (give it with --server-config)".to_string()
    } else if w.serving.is_empty() {
        format!(
            "{}: no vhost/server has the store as its document root",
            w.configs
                .iter()
                .map(|c| format!("{} {}", c.kind, c.main))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        w.serving
            .iter()
            .map(|s| {
                format!(
                    "{} {} (root {}{})",
                    s.kind,
                    s.at,
                    s.document_root,
                    s.php
                        .as_ref()
                        .map(|p| format!(", PHP: {p}"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let _ = writeln!(o, "{}  {}", style.bold("web server"), web);
    let _ = writeln!(
        o,
        "{}  default: {}, page_cache: {}",
        style.bold("cache     "),
        info.cache.default.backend,
        info.cache.page_cache.backend
    );
    for (name, b) in [
        ("default", &info.cache.default),
        ("page_cache", &info.cache.page_cache),
    ] {
        let _ = writeln!(
            o,
            "            {name}: {} ({} entries)",
            b.storage, b.entries
        );
    }
    let counts: Vec<String> = info
        .cache
        .types
        .iter()
        .filter(|t| t.entries.is_some_and(|n| n > 0) || !t.enabled)
        .map(|t| match (t.enabled, t.entries) {
            (false, _) => format!("{} off", t.id),
            (true, Some(n)) => format!("{} {n}", t.id),
            (true, None) => format!("{} ?", t.id),
        })
        .collect();
    // Wrapped to stay within 100 columns.
    let mut line = String::new();
    for c in counts {
        if !line.is_empty() && 19 + line.len() + c.len() > 98 {
            let _ = writeln!(o, "            types: {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(&c);
    }
    if !line.is_empty() {
        let _ = writeln!(o, "            types: {line}");
    }
    for p in &info.cache.problems {
        let _ = writeln!(o, "            not read: {p}");
    }
    let _ = writeln!(
        o,
        "{}  {}{}",
        style.bold("session   "),
        info.session.save,
        info.session
            .location
            .as_deref()
            .map(|l| format!(" {l}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "{}  /{}",
        style.bold("admin     "),
        opt(&info.admin.front_name)
    );
    let _ = writeln!(
        o,
        "{}  {}",
        style.bold("stores    "),
        if info.stores.is_empty() {
            "-".into()
        } else {
            info.stores.join(", ")
        }
    );
    for u in &info.unresolved {
        let _ = writeln!(
            o,
            "{}  {}:{} {} is not a literal",
            style.yellow("unresolved"),
            u.file,
            u.line,
            u.path
        );
    }
    crate::report::layout::fit(&o, crate::report::layout::width())
}
