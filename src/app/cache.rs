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
//! Both, for every type or with `full_page`, purge Varnish as `bin/magento` does when the store's
//! full-page cache is Varnish (`system/full_page_cache/caching_application` = 2) and the
//! `full_page` type is enabled: `PURGE /` with `X-Magento-Tags-Pattern: .*` to every env.php
//! `http_cache_hosts` host ([`crate::fix::varnish`]); a host that cannot be reached is reported,
//! not fatal.

use crate::app::{Common, Error, Outcome, Result};
use crate::fix::cache::TypeResult;
use crate::fix::cache::known_types;
use crate::report::cache::{BackendResult, CacheResult};
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

fn cache_err(e: sc::CacheError) -> Error {
    Error::Failed(e.to_string())
}

/// `cache:clean [TYPE…]`.
pub fn clean(c: &CacheConfig) -> Result<Outcome> {
    let ctx = c.common.load(None)?;
    let _lock = crate::app::write_lock(&ctx, &c.common)?;
    let install = &ctx.install;
    let types = chosen(install, &c.types)?;
    let mut out = CacheResult {
        action: "clean",
        types: crate::fix::cache::clean_types(install, &types, ctx.now.as_second())
            .map_err(cache_err)?,
        backends: Vec::new(),
        purges: Vec::new(),
        notes: Vec::new(),
    };
    varnish(&ctx, &c.types, &mut out);
    let text = report::cache::to_text(&out, &c.common.style);
    let json = serde_json::to_value(&out)?;
    Ok(c.common
        .outcome(&ctx, Output::pick(c.common.format, || json, || text), 0))
}

/// `cache:flush [TYPE…]`.
pub fn flush(c: &CacheConfig) -> Result<Outcome> {
    let ctx = c.common.load(None)?;
    let _lock = crate::app::write_lock(&ctx, &c.common)?;
    let install = &ctx.install;
    let types = chosen(install, &c.types)?;
    let mut out = CacheResult {
        action: "flush",
        types: Vec::new(),
        backends: Vec::new(),
        purges: Vec::new(),
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
    varnish(&ctx, &c.types, &mut out);
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
    let st = crate::fix::cache::status(install);
    CacheResult {
        action: "status",
        types: st.types,
        backends: st
            .backends
            .into_iter()
            .map(|(frontend, backend, removed)| BackendResult {
                frontend,
                backend,
                removed,
            })
            .collect(),
        purges: Vec::new(),
        notes: st.notes,
    }
}

/// Magento's `FlushAllCacheObserver` after `cache:clean`/`cache:flush` of every type or with
/// `full_page`: when the full-page cache is Varnish and enabled, `PURGE .*` to every
/// `http_cache_hosts` host (without any, the store's base URL host and port, 80 by default, as
/// `Cache\Server::getUris()` falls back to). Nothing about Varnish otherwise.
fn varnish(ctx: &crate::context::Context, asked: &[String], out: &mut CacheResult) {
    let install = &ctx.install;
    if !(asked.is_empty() || asked.iter().any(|t| t == "full_page")) {
        return;
    }
    let application = ctx
        .config
        .get_default("system/full_page_cache/caching_application")
        .value
        .map(|v| crate::magento::php::intval(&v));
    if application != Some(2)
        || !sc::type_enabled(install, "full_page")
        || install.modules.is_enabled("Magento_CacheInvalidate") == Some(false)
    {
        return;
    }
    let mut hosts = sc::http_cache_hosts(install);
    if hosts.is_empty() {
        let base = ctx.config.get_default("web/unsecure/base_url").value;
        match base
            .as_deref()
            .and_then(|b| url::Url::parse(b.trim()).ok())
            .and_then(|u| Some((u.host_str()?.to_string(), u.port().unwrap_or(80))))
        {
            Some((h, port)) => {
                out.notes.push(format!(
                    "app/etc/env.php lists no http_cache_hosts: the purge went to the store's own host {h}:{port}, as Magento sends it"
                ));
                hosts.push((h, port));
            }
            None => {
                out.notes.push(
                    "the full-page cache is Varnish but app/etc/env.php lists no http_cache_hosts and the base URL has no host: Varnish was not purged".into(),
                );
                return;
            }
        }
    }
    out.purges = crate::fix::varnish::purge(&hosts, &[crate::fix::varnish::ALL.to_string()]);
    for p in &out.purges {
        if let Some(e) = &p.error {
            out.notes.push(format!(
                "Varnish {}:{} was not purged: {e}; purge it by hand: curl -X PURGE -H 'X-Magento-Tags-Pattern: .*' http://{}:{}/",
                p.host, p.port, p.host, p.port
            ));
        }
    }
}

/// Options of `cache:enable` / `cache:disable`.
#[derive(Debug, Clone)]
pub struct StateConfig {
    pub common: Common,
    pub types: Vec<String>,
    pub enable: bool,
    /// Write env.php (otherwise the plan only).
    pub apply: bool,
}

/// `cache:enable TYPE…` / `cache:disable TYPE…`: env.php `cache_types`, journaled. As
/// `bin/magento cache:enable` does, newly enabled types are cleaned first (their entries may be
/// older than the data).
pub fn set_state(c: &StateConfig) -> Result<Outcome> {
    let ctx = c.common.load(None)?;
    let install = &ctx.install;
    if c.types.is_empty() {
        return Err(Error::Usage("name at least one cache type".into()));
    }
    let types = chosen(install, &c.types)?;
    let _lock = if c.apply {
        Some(crate::app::write_lock(&ctx, &c.common)?)
    } else {
        None
    };
    let (path, after, preview) = crate::fix::cache::set_types_edit(install, &types, c.enable)
        .map_err(|e| Error::refused(&ctx.masker, &e))?;
    let verb = if c.enable { "enable" } else { "disable" };
    let mut notes = Vec::new();
    let mut journal_id = None;
    if preview.is_empty() {
        notes.push(format!("already {verb}d: nothing to change"));
    } else if c.apply {
        if c.enable {
            let newly: Vec<String> = types
                .iter()
                .filter(|t| !crate::store::cache::type_enabled(install, t))
                .cloned()
                .collect();
            if !newly.is_empty() {
                // The clean runs on the types as enabled (AccessProxy would skip them disabled).
                crate::fix::cache::clean_types_unchecked(install, &newly).map_err(cache_err)?;
            }
        }
        let meta = crate::fix::journal::EntryMeta {
            title: format!("cache:{verb} {}", types.join(" ")),
            slug: format!("cache-{verb}"),
            command: c.common.command.clone(),
            masker: ctx.masker.clone(),
        };
        let listed = crate::fix::journal::Journal::for_root(&install.root)
            .apply_files(
                &meta,
                &[(
                    path.clone(),
                    after,
                    format!("cache_types: {verb} {}", types.join(", ")),
                )],
            )
            .map_err(|e| Error::refused(&ctx.masker, &e.to_string()))?;
        journal_id = listed.map(|l| l.entry.id);
    } else {
        notes.push("nothing was changed: run with --apply to write app/etc/env.php".into());
    }
    let doc = serde_json::json!({
        "action": verb,
        "types": types,
        "file": path.display().to_string(),
        "changes": preview,
        "applied": journal_id.is_some(),
        "journal": journal_id,
        "notes": notes,
    });
    let text = report::cache::state_text(&doc);
    Ok(c.common
        .outcome(&ctx, Output::pick(c.common.format, || doc, || text), 0))
}
