//! `cache:clean`, `cache:flush`, `cache:status`: Magento's cache commands without PHP, with the
//! same effect on the storage as `bin/magento` (magento-server.md §2.6):
//!
//! * `cache:clean [TYPE…]`: per enabled type, `clean('matchingTag', [<prefix>TYPE_TAG,
//!   <prefix>MAGE])` on the type's frontend (a disabled type is left alone, as `AccessProxy`
//!   does), then `core_cache_invalidate` rewritten without those types, as `TypeList` does;
//! * `cache:flush [TYPE…]`: `clean('all')` once per distinct backend of those types (file: every
//!   `mage--*` under the folder; Redis: FLUSHDB of the database number), disabled types too. A
//!   Redis database that also holds other keys (sessions, another application) is only flushed
//!   with `--force`.
//!
//! The Varnish purge `bin/magento` sends for a full flush is not sent (yet).

use crate::app::{Common, Error, Outcome, Result};
use crate::magento::cache::{self as mc, ids};
use crate::report::cache::{BackendResult, CacheResult, TypeResult};
use crate::report::{self, Output};
use crate::store::cache::{self as sc, Opened};

/// Options of `cache:clean` / `cache:flush`.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub common: Common,
    /// Type ids; empty = every type.
    pub types: Vec<String>,
    /// `cache:flush`: flush a Redis database that holds other keys too.
    pub force: bool,
}

/// The known type ids: Magento's core types and any other in env.php `cache_types`.
fn known_types(install: &crate::store::Installation) -> Vec<String> {
    let mut v: Vec<String> = mc::TYPES.iter().map(|t| t.id.to_string()).collect();
    for (t, _) in sc::type_states(install).unwrap_or_default() {
        if !v.contains(&t) {
            v.push(t);
        }
    }
    v
}

fn chosen(install: &crate::store::Installation, asked: &[String]) -> Result<Vec<String>> {
    let known = known_types(install);
    if asked.is_empty() {
        return Ok(known);
    }
    for t in asked {
        if !known.contains(t) {
            return Err(Error::Usage(format!(
                "the following requested cache types are not supported: '{t}'; supported types: {}",
                known.join(", ")
            )));
        }
    }
    Ok(asked.to_vec())
}

fn tag_of(id: &str) -> String {
    mc::cache_type(id)
        .map(|t| t.tag.to_string())
        .unwrap_or_else(|| id.to_ascii_uppercase())
}

fn cache_err(e: sc::CacheError) -> Error {
    Error::Failed(e.to_string())
}

/// The opened frontends, opened on first use.
struct Frontends(Vec<Opened>);

impl Frontends {
    fn get(&mut self, install: &crate::store::Installation, name: &str) -> Result<&mut Opened> {
        if let Some(i) = self.0.iter().position(|o| o.frontend.name == name) {
            return Ok(&mut self.0[i]);
        }
        self.0.push(Opened::open(install, name).map_err(cache_err)?);
        Ok(self.0.last_mut().expect("just pushed"))
    }
}

/// `cache:clean [TYPE…]`.
pub fn clean(c: &CacheConfig) -> Result<Outcome> {
    let ctx = c.common.load(None)?;
    let install = &ctx.install;
    let types = chosen(install, &c.types)?;
    let now = ctx.now.as_second();
    let mut fronts = Frontends(Vec::new());
    let mut out = CacheResult {
        action: "clean",
        types: Vec::new(),
        backends: Vec::new(),
        notes: Vec::new(),
    };
    let mut cleaned = Vec::new();
    for t in &types {
        let enabled = sc::type_enabled(install, t);
        let frontend = sc::type_frontend(install, t);
        let entries = if enabled {
            let n = fronts
                .get(install, &frontend)?
                .clean_type(&tag_of(t))
                .map_err(cache_err)?;
            cleaned.push(t.clone());
            Some(n)
        } else {
            None
        };
        out.types.push(TypeResult {
            id: t.clone(),
            enabled,
            frontend,
            entries,
        });
    }
    // TypeList::cleanType() re-saves the invalidated-types list after each type.
    if !cleaned.is_empty() {
        let default = fronts.get(install, "default")?;
        let mut map: serde_json::Map<String, serde_json::Value> = default
            .load(ids::INVALIDATED, now)
            .map_err(cache_err)?
            .and_then(|e| serde_json::from_slice(&e.data).ok())
            .unwrap_or_default();
        for t in &cleaned {
            map.remove(t);
        }
        let data = if map.is_empty() {
            "[]".to_string()
        } else {
            serde_json::Value::Object(map).to_string()
        };
        default
            .save(ids::INVALIDATED, data.as_bytes(), &[], None, now)
            .map_err(cache_err)?;
    }
    if types.iter().any(|t| t == "full_page") || c.types.is_empty() {
        out.notes.push(
            "Varnish hosts (env.php http_cache_hosts) are not purged by this version: purge them with `bin/magento cache:clean full_page` or your Varnish tooling if the store uses Varnish".into(),
        );
    }
    let text = report::cache::to_text(&out, &c.common.style);
    let json = serde_json::to_value(&out)?;
    Ok(c.common
        .outcome(&ctx, Output::pick(c.common.format, || json, || text), 0))
}

/// `cache:flush [TYPE…]`.
pub fn flush(c: &CacheConfig) -> Result<Outcome> {
    let ctx = c.common.load(None)?;
    let install = &ctx.install;
    let types = chosen(install, &c.types)?;
    let mut out = CacheResult {
        action: "flush",
        types: Vec::new(),
        backends: Vec::new(),
        notes: Vec::new(),
    };
    let mut names: Vec<String> = Vec::new();
    for t in &types {
        let f = sc::type_frontend(install, t);
        out.types.push(TypeResult {
            id: t.clone(),
            enabled: sc::type_enabled(install, t),
            frontend: f.clone(),
            entries: None,
        });
        if !names.contains(&f) {
            names.push(f);
        }
    }
    // One flush per distinct storage (two frontends on one Redis database are flushed once).
    let mut opened: Vec<Opened> = Vec::new();
    for n in &names {
        let o = Opened::open(install, n).map_err(cache_err)?;
        if opened
            .iter()
            .any(|p| p.frontend.backend.describe() == o.frontend.backend.describe())
        {
            continue;
        }
        opened.push(o);
    }
    if !c.force {
        for o in &mut opened {
            if let sc::Storage::Redis(r) = &mut o.storage {
                let (n, some) = r.foreign_keys(3).map_err(cache_err)?;
                if n > 0 {
                    return Err(Error::refused(
                        &ctx.masker,
                        &format!(
                            "the Redis database of the {} cache ({}) also holds {n} key{} that are not Magento cache entries ({}{}): a flush (FLUSHDB) deletes them too (sessions, another store). Run `m2auth cache:clean` instead, or add --force",
                            o.frontend.name,
                            r.conf.describe(),
                            if n == 1 { "" } else { "s" },
                            some.join(", "),
                            if n > some.len() { ", …" } else { "" }
                        ),
                    ));
                }
            }
        }
    }
    for o in &mut opened {
        let removed = o.storage.flush().map_err(cache_err)?;
        out.backends.push(BackendResult {
            frontend: o.frontend.name.clone(),
            backend: o.frontend.backend.describe(),
            removed,
        });
    }
    out.notes.push(
        "cached JWT revocations (jwt-user-token:revoked:*) of a flushed default cache are gone: revoked tokens whose jwt_auth_revoked row was deleted work again".into(),
    );
    let text = report::cache::to_text(&out, &c.common.style);
    let json = serde_json::to_value(&out)?;
    Ok(c.common
        .outcome(&ctx, Output::pick(c.common.format, || json, || text), 0))
}

/// `cache:status`: every type, enabled or not, and how many entries it holds.
pub fn status(common: &Common) -> Result<Outcome> {
    let ctx = common.load(None)?;
    let out = gather_status(&ctx.install);
    let text = report::cache::to_text(&out, &common.style);
    let json = serde_json::to_value(&out)?;
    Ok(common.outcome(&ctx, Output::pick(common.format, || json, || text), 0))
}

/// The types with their state and entry counts, and the frontends' backends.
pub fn gather_status(install: &crate::store::Installation) -> CacheResult {
    let mut fronts = Frontends(Vec::new());
    let mut out = CacheResult {
        action: "status",
        types: Vec::new(),
        backends: Vec::new(),
        notes: Vec::new(),
    };
    for t in known_types(install) {
        let frontend = sc::type_frontend(install, &t);
        let entries = match fronts.get(install, &frontend) {
            Ok(o) => match o.count_type(&tag_of(&t)) {
                Ok(n) => Some(n),
                Err(e) => {
                    out.notes.push(e.to_string());
                    None
                }
            },
            Err(e) => {
                let m = e.to_string();
                if !out.notes.contains(&m) {
                    out.notes.push(m);
                }
                None
            }
        };
        out.types.push(TypeResult {
            enabled: sc::type_enabled(install, &t),
            id: t,
            frontend,
            entries,
        });
    }
    for name in ["default", "page_cache"] {
        let f = sc::frontend(install, name);
        let removed = fronts
            .get(install, name)
            .ok()
            .and_then(|o| o.storage.count().ok())
            .unwrap_or(0);
        out.backends.push(BackendResult {
            frontend: name.to_string(),
            backend: f.backend.describe(),
            removed,
        });
    }
    out
}
