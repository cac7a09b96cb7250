//! Store configuration as Magento resolves it.
//!
//! Magento builds the configuration of a store view in layers, default → website → store, and
//! each layer from its sources in rising priority: the shipped `config.xml` defaults, the
//! `core_config_data` rows of that scope, `app/etc/config.php` `system/...`, and `app/etc/env.php`
//! `system/...`. So an env.php value locks its own scope, but a more specific scope set in the
//! database still wins over an env.php value at a wider scope. Files name websites and stores by
//! code (`system/websites/base/...`, `system/stores/default/...`), the database by id.

use std::collections::HashMap;

use crate::findings::Evidence;
use crate::magento::defaults;
use crate::store::db::{Database, DbError};
use crate::store::envphp::{Document, Value};
use crate::store::scopes::Scopes;

/// The scope a value is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Default,
    Website(i64),
    Store(i64),
}

impl Scope {
    /// The `scope` column value of `core_config_data`.
    pub fn table_name(self) -> &'static str {
        match self {
            Scope::Default => "default",
            Scope::Website(_) => "websites",
            Scope::Store(_) => "stores",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Scope::Default => 0,
            Scope::Website(id) | Scope::Store(id) => id,
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// `system/...` in a deployment file (`app/etc/env.php` or `app/etc/config.php`).
    File {
        file: &'static str,
        key: String,
        line: u32,
    },
    /// A `core_config_data` row.
    Db {
        scope: &'static str,
        scope_id: i64,
        config_id: Option<i64>,
    },
    /// Magento's shipped default.
    /// `db_read`: whether the database was read (else its value is unknown).
    Shipped { source: &'static str, db_read: bool },
    /// Set nowhere, and Magento ships no value (`db_read`: as for `Shipped`).
    Unset { db_read: bool },
}

/// A resolved value: `None` when the path is empty/unset.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigValue {
    pub path: String,
    pub value: Option<String>,
    pub scope: Scope,
    pub origin: Origin,
}

impl ConfigValue {
    /// Magento's `isSetFlag()`: PHP's `(bool)` of the stored string, so only NULL, `''` and
    /// `'0'` are false (`'false'` and `' 0'` are true, as in Magento).
    pub fn is_set_flag(&self) -> bool {
        !matches!(self.value.as_deref(), None | Some("") | Some("0"))
    }

    /// The value as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        self.value.as_deref()?.trim().parse().ok()
    }

    /// The evidence citing where the value was read.
    pub fn evidence(&self) -> Evidence {
        let shown = self.value.as_deref().unwrap_or("(empty)");
        match &self.origin {
            Origin::File { file, key, line } => {
                Evidence::file(file, Some(*line), format!("{key} = {shown}"))
            }
            Origin::Db {
                scope,
                scope_id,
                config_id,
            } => Evidence::db(
                "core_config_data",
                match config_id {
                    Some(id) => format!(
                        "config_id={id} scope={scope} scope_id={scope_id} path={} value={shown}",
                        self.path
                    ),
                    None => format!(
                        "scope={scope} scope_id={scope_id} path={} value={shown}",
                        self.path
                    ),
                },
            ),
            Origin::Shipped {
                source,
                db_read: true,
            } => Evidence::file(
                &source.replace(" etc/", "/etc/"),
                None,
                format!(
                    "{} = {shown} (Magento's shipped default; not set in the database or app/etc)",
                    self.path
                ),
            ),
            Origin::Shipped {
                source,
                db_read: false,
            } => Evidence::file(
                &source.replace(" etc/", "/etc/"),
                None,
                format!(
                    "{} = {shown} (Magento's shipped default and not set in app/etc; the database was not read, so a value set there is unknown)",
                    self.path
                ),
            ),
            Origin::Unset { db_read: true } => Evidence::db(
                "core_config_data",
                format!(
                    "no row for {} at any scope, nothing in app/etc, and Magento ships no default",
                    self.path
                ),
            ),
            Origin::Unset { db_read: false } => Evidence::db(
                "core_config_data",
                format!(
                    "not read (the database could not be read): {} is set neither in app/etc nor by a Magento default, a value in the database is unknown",
                    self.path
                ),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct DbValue {
    value: Option<String>,
    config_id: Option<i64>,
}

/// The configuration of the installation, ready to answer [`StoreConfig::get`].
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// (scope, scope_id, path) → value.
    db: HashMap<(&'static str, i64, String), DbValue>,
    /// Modules that are disabled: their shipped defaults do not apply.
    disabled_modules: Vec<String>,
    /// (file, document) in rising priority: config.php, then env.php.
    files: Vec<(&'static str, Document)>,
    pub scopes: Scopes,
    /// Whether `core_config_data` was read ([`StoreConfig::load_db`]).
    db_read: bool,
}

impl StoreConfig {
    /// From the deployment files alone (no database).
    pub fn from_files(env: Option<&Document>, config: Option<&Document>) -> StoreConfig {
        let mut files = Vec::new();
        if let Some(c) = config {
            files.push((crate::store::root::CONFIG_PHP, c.clone()));
        }
        if let Some(e) = env {
            files.push((crate::store::root::ENV_PHP, e.clone()));
        }
        let docs: Vec<&Document> = files.iter().map(|(_, d)| d).collect();
        let scopes = Scopes::from_files(&docs).unwrap_or_else(Scopes::empty);
        StoreConfig {
            db: HashMap::new(),
            disabled_modules: Vec::new(),
            files,
            scopes,
            db_read: false,
        }
    }

    /// Forget the shipped defaults of modules that are not enabled (Magento merges only enabled
    /// modules' `config.xml`).
    pub fn set_disabled_modules(&mut self, modules: &crate::store::modules::ModuleSet) {
        self.disabled_modules = modules.disabled().map(|m| m.name.clone()).collect();
    }

    /// Add `core_config_data` and the store tables from the database.
    pub fn load_db(&mut self, db: &dyn Database) -> Result<(), DbError> {
        for row in db.rows("core_config_data", &[])? {
            let Some(path) = row.text("path") else {
                continue;
            };
            let scope: &'static str = match row.text("scope").as_deref() {
                Some("default") => "default",
                Some("websites") => "websites",
                Some("stores") => "stores",
                _ => continue,
            };
            // Magento reads default-scope rows whatever their scope_id (a row with scope_id 3 after
            // a bad import is still the default value); of two rows, the later one wins.
            let scope_id = if scope == "default" {
                0
            } else {
                row.int("scope_id").unwrap_or(0)
            };
            let config_id = row.int("config_id");
            let key = (scope, scope_id, path);
            if let Some(old) = self.db.get(&key)
                && old.config_id > config_id
            {
                continue;
            }
            self.db.insert(
                key,
                DbValue {
                    value: row.text("value"),
                    config_id,
                },
            );
        }
        let scopes = Scopes::from_db(db)?;
        if !scopes.stores.is_empty() || self.scopes.stores.is_empty() {
            self.scopes = scopes;
        }
        self.db_read = true;
        Ok(())
    }

    /// The value of `path` for `scope`, with store → website → default fallback.
    pub fn get(&self, path: &str, scope: Scope) -> ConfigValue {
        for layer in self.chain(scope) {
            if let Some(found) = self.at_layer(path, layer) {
                return found;
            }
        }
        match defaults::default_for(path)
            .filter(|d| !self.disabled_modules.iter().any(|m| m == d.module()))
        {
            Some(d) => ConfigValue {
                path: path.to_string(),
                value: d.value.map(str::to_string),
                scope,
                origin: if d.value.is_some() {
                    Origin::Shipped {
                        source: d.source,
                        db_read: self.db_read,
                    }
                } else {
                    Origin::Unset {
                        db_read: self.db_read,
                    }
                },
            },
            None => ConfigValue {
                path: path.to_string(),
                value: None,
                scope,
                origin: Origin::Unset {
                    db_read: self.db_read,
                },
            },
        }
    }

    /// The paths set at the default scope in `core_config_data`, sorted.
    pub fn default_db_paths(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .db
            .keys()
            .filter(|(s, _, _)| *s == "default")
            .map(|(_, _, p)| p.clone())
            .collect();
        v.sort();
        v
    }

    /// The paths set in `core_config_data` for `scope` or a scope it falls back to, sorted.
    pub fn db_paths_for(&self, scope: Scope) -> Vec<String> {
        let chain = self.chain(scope);
        let mut v: Vec<String> = self
            .db
            .keys()
            .filter(|(s, id, _)| {
                chain
                    .iter()
                    .any(|c| c.table_name() == *s && (*s == "default" || c.id() == *id))
            })
            .map(|(_, _, p)| p.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The value at the default scope.
    pub fn get_default(&self, path: &str) -> ConfigValue {
        self.get(path, Scope::Default)
    }

    fn chain(&self, scope: Scope) -> Vec<Scope> {
        match scope {
            Scope::Default => vec![Scope::Default],
            Scope::Website(w) => vec![Scope::Website(w), Scope::Default],
            Scope::Store(s) => match self.scopes.store(s) {
                Some(view) => vec![
                    Scope::Store(s),
                    Scope::Website(view.website_id),
                    Scope::Default,
                ],
                None => vec![Scope::Store(s), Scope::Default],
            },
        }
    }

    /// The value set at exactly this scope: env.php, then config.php, then the database.
    fn at_layer(&self, path: &str, scope: Scope) -> Option<ConfigValue> {
        let file_prefix = match scope {
            Scope::Default => Some("system/default".to_string()),
            Scope::Website(id) => self
                .scopes
                .website(id)
                .map(|w| format!("system/websites/{}", w.code)),
            Scope::Store(id) => self
                .scopes
                .store(id)
                .map(|s| format!("system/stores/{}", s.code)),
        };
        if let Some(prefix) = file_prefix {
            let key = format!("{prefix}/{path}");
            for (file, doc) in self.files.iter().rev() {
                if let Some(entry) = doc.entry(&key) {
                    let value = match &entry.value {
                        Value::Array(_) => continue,
                        Value::NonLiteral(_) => None,
                        v => v.as_string(),
                    };
                    return Some(ConfigValue {
                        path: path.to_string(),
                        value,
                        scope,
                        origin: Origin::File {
                            file,
                            key,
                            line: entry.line,
                        },
                    });
                }
            }
        }
        let hit = self
            .db
            .get(&(scope.table_name(), scope.id(), path.to_string()))?;
        Some(ConfigValue {
            path: path.to_string(),
            value: hit.value.clone(),
            scope,
            origin: Origin::Db {
                scope: scope.table_name(),
                scope_id: scope.id(),
                config_id: hit.config_id,
            },
        })
    }
}
