//! Step 4, the cache: what the running store really decides with. Magento answers from its cache
//! entries, not from the database, for the scoped configuration (`system_default`), the ACL
//! (`authorization_rule_cached_data`, `authorization_role_cached_data`) and cached JWT
//! revocations; this step reads those entries (file or Redis backend, see
//! [`crate::store::cache`]) and compares them with the tables and files.
//!
//! * `config-cache-stale`: an auth-relevant path whose cached value differs from the database,
//!   env.php/config.php or the shipped default;
//! * `acl-cache-stale`: a role whose cached rules differ from `authorization_rule`;
//! * `cache-type-disabled`: `config` or `config_webservice` is disabled (nothing is cached);
//! * `cache-not-writable`: the cache folder or its files cannot be written by the owner of
//!   the store's files, or Redis is unreachable, refuses the password or refuses writes.

use std::collections::{BTreeMap, BTreeSet};

use super::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::acl::eval::{Acl, RuleRow};
use crate::magento::cache::ids;
use crate::magento::phpser::{self, PhpValue};
use crate::store::cache::{self as sc, Entry, Opened};
use crate::store::config::Scope;

/// The configuration paths (prefixes) whose values decide whether a REST call is authenticated.
pub const AUTH_PATHS: &[&str] = &[
    "oauth/",
    "webapi/",
    "twofactorauth/",
    "admin/security/",
    "customer/account_share/",
    "jwt_auth/",
    "web/secure/",
    "web/cookie/",
];

/// The types whose entries the 401 decisions are read from.
const DECISION_TYPES: &[&str] = &["config", "config_webservice"];

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    disabled_types(ctx, d);
    let mut cache = match Opened::open(&ctx.install, "default") {
        Ok(c) => c,
        Err(e @ sc::CacheError::Redis { .. }) => {
            d.push(
                Finding::new(Code::CacheNotWritable, Severity::Warning)
                    .title("The store's Redis cache cannot be used")
                    .detail(format!(
                        "Magento cannot read or write its cache: {e}. Every request then rebuilds the configuration, and saves fail."
                    ))
                    .evidence(Evidence::file(
                        crate::store::root::ENV_PHP,
                        ctx.install
                            .env
                            .as_ref()
                            .and_then(|env| env.line("cache/frontend/default/backend_options")),
                        "cache/frontend/default/backend_options",
                    ))
                    .fix(Fix {
                        summary: "Start Redis or correct the server, port, database and password in app/etc/env.php".into(),
                        commands: vec!["redis-cli -h HOST -p PORT -a PASSWORD ping".into()],
                        admin_path: None,
                    }),
            );
            d.skip("cache", e.to_string());
            return;
        }
        Err(e) => {
            d.skip("cache", e.to_string());
            return;
        }
    };
    writability(ctx, &mut cache, d);
    if !sc::type_enabled(&ctx.install, "config") {
        return;
    }
    let now = ctx.now.as_second();
    config_stale(ctx, &mut cache, now, d);
    acl_stale(ctx, &mut cache, now, None, d);
    if sc::type_enabled(&ctx.install, "config_webservice") {
        webapi_stale(ctx, now, d);
    }
}

/// The cached REST route map (`webapi_config`, JSON of the merged webapi.xml:
/// `routes[<url>][<METHOD>].resources{<id>: true}`) against the enabled modules' webapi.xml.
fn webapi_stale(ctx: &Context, now: i64, d: &mut Diagnosis) {
    let frontend = sc::type_frontend(&ctx.install, "config_webservice");
    let Ok(mut cache) = Opened::open(&ctx.install, &frontend) else {
        return;
    };
    let entry = match cache.load(ids::WEBAPI_CONFIG, now) {
        Ok(Some(e)) => e,
        Ok(None) => return,
        Err(e) => {
            d.skip("webapi-cache-stale", e.to_string());
            return;
        }
    };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&entry.data) else {
        d.skip(
            "webapi-cache-stale",
            format!("cache entry {} is not JSON", entry.id),
        );
        return;
    };
    let Some(cached_routes) = doc.get("routes").and_then(|r| r.as_object()) else {
        return;
    };
    let mut cached: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (url, methods) in cached_routes {
        for (method, r) in methods.as_object().into_iter().flatten() {
            let res = r
                .get("resources")
                .and_then(|x| x.as_object())
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            cached.insert((url.clone(), method.to_ascii_uppercase()), res);
        }
    }
    let (index, _) = crate::store::webapi::load_routes(&ctx.install.modules);
    let ours: BTreeMap<(String, String), BTreeSet<String>> = index
        .routes()
        .iter()
        .map(|r| {
            (
                (r.url.clone(), r.method.to_ascii_uppercase()),
                r.resources.iter().cloned().collect(),
            )
        })
        .collect();
    let mut changes = Vec::new();
    for (k, res) in &ours {
        match cached.get(k) {
            None => changes.push(format!(
                "{} {} added (not in the cache: the store answers 404)",
                k.1, k.0
            )),
            Some(c) if c != res => changes.push(format!(
                "{} {}: cached resources {}, webapi.xml {}",
                k.1,
                k.0,
                c.iter().cloned().collect::<Vec<_>>().join(","),
                res.iter().cloned().collect::<Vec<_>>().join(",")
            )),
            _ => {}
        }
    }
    for k in cached.keys() {
        if !ours.contains_key(k) {
            changes.push(format!(
                "{} {} removed (still served from the cache)",
                k.1, k.0
            ));
        }
    }
    if changes.is_empty() {
        return;
    }
    let n = changes.len();
    let more = n.saturating_sub(8);
    d.push(
        Finding::new(Code::WebapiCacheStale, Severity::Warning)
            .title("The running store still routes REST calls with the cached route map")
            .detail(format!(
                "The cached web API configuration differs from the enabled modules' webapi.xml on {n} route{}: {}{}. Until config_webservice is cleaned the store matches routes and ACL resources with the cached map.",
                if n == 1 { "" } else { "s" },
                changes.iter().take(8).cloned().collect::<Vec<_>>().join("; "),
                if more > 0 { format!("; and {more} more") } else { String::new() }
            ))
            .evidence(Evidence::other(
                format!("cache:{}", entry.id),
                format!("{} cached routes", cached.len()),
            ))
            .fix(clean_fix("config_webservice")),
    );
}

fn clean_fix(types: &str) -> Fix {
    Fix {
        summary: format!("Clean the {types} cache so that the store reads the database again"),
        commands: vec![
            format!("m2auth cache:clean {types}"),
            format!("bin/magento cache:clean {types}"),
        ],
        admin_path: Some("System > Tools > Cache Management".into()),
    }
}

fn disabled_types(ctx: &Context, d: &mut Diagnosis) {
    let Some(states) = sc::type_states(&ctx.install) else {
        return;
    };
    for t in DECISION_TYPES {
        let on = states.iter().find(|(id, _)| id == t).map(|(_, on)| *on);
        if on != Some(true) {
            d.push(
                Finding::new(Code::CacheTypeDisabled, Severity::Info)
                    .title(format!("The {t} cache type is disabled"))
                    .detail(format!(
                        "app/etc/env.php cache_types has {t} {}: every request rebuilds it from the database and files (nothing cached can be stale, but each request is slower).",
                        if on.is_some() { "= 0" } else { "missing (disabled)" }
                    ))
                    .evidence(Evidence::file(
                        crate::store::root::ENV_PHP,
                        ctx.install
                            .env
                            .as_ref()
                            .and_then(|e| e.line(&format!("cache_types/{t}")).or(e.line("cache_types"))),
                        format!("cache_types/{t}"),
                    ))
                    .fix(Fix {
                        summary: format!("Enable the {t} cache type"),
                        commands: vec![
                            format!("m2auth cache:enable {t} --apply"),
                            format!("bin/magento cache:enable {t}"),
                        ],
                        admin_path: Some("System > Tools > Cache Management".into()),
                    }),
            );
        }
    }
}

/// A cached scoped configuration (`system_default`, `system_websites_<code>`,
/// `system_stores_<code>`: `Magento\Config\App\Config\Type\System` caches each scope's merged
/// tree, encrypted from 2.4.x), decrypted and unserialized.
pub fn cached_config(
    ctx: &Context,
    cache: &mut Opened,
    id: &str,
    now: i64,
) -> Result<Option<(Entry, PhpValue)>, String> {
    let Some(entry) = cache.load(id, now).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let text = entry.text();
    let plain = if text.starts_with("a:") {
        text.clone()
    } else {
        crate::magento::encryptor::decrypt(&text, &ctx.install.crypt_keys())
            .map_err(|e| format!("cache entry {} cannot be decrypted: {e}", entry.id))?
            .plain
    };
    let tree = phpser::unserialize(plain.as_bytes())
        .map_err(|e| format!("cache entry {}: {e}", entry.id))?;
    Ok(Some((entry, tree)))
}

/// Every leaf of `tree` under `prefix` as (path, value).
fn leaves(tree: &PhpValue, prefix: &str, out: &mut BTreeMap<String, String>) {
    if let PhpValue::Array(items) = tree {
        for (k, v) in items {
            let p = format!("{prefix}{}", k.as_string());
            match v {
                PhpValue::Array(_) => leaves(v, &format!("{p}/"), out),
                _ => {
                    out.insert(p, v.as_php_string().unwrap_or_default());
                }
            }
        }
    }
}

/// The scopes Magento caches a configuration tree for: (label, cache id, scope).
fn cached_scopes(ctx: &Context) -> Vec<(String, String, Scope)> {
    let scopes = &ctx.config.scopes;
    let mut out = vec![(
        "default".to_string(),
        ids::SYSTEM_DEFAULT.to_string(),
        Scope::Default,
    )];
    for w in scopes.websites.iter().filter(|w| w.id != 0) {
        out.push((
            format!("websites/{}", w.code),
            format!("system_websites_{}", w.code),
            Scope::Website(w.id),
        ));
    }
    for v in scopes.stores.iter().filter(|s| s.id != 0) {
        out.push((
            format!("stores/{}", v.code),
            format!("system_stores_{}", v.code),
            Scope::Store(v.id),
        ));
    }
    out
}

/// One stale value: the same path with the same cached and stored values in one or more scopes.
struct Stale {
    /// (scope label, cache entry id).
    scopes: Vec<(String, String)>,
    evidence: Evidence,
}

fn config_stale(ctx: &Context, cache: &mut Opened, now: i64, d: &mut Diagnosis) {
    // Without the database the stored values are unknown: nothing to compare the cache with.
    if ctx.db_for("config-cache-stale").is_err() {
        return;
    }
    let relevant = |p: &str| AUTH_PATHS.iter().any(|a| p.starts_with(a));
    let shown = |v: Option<&String>| match v {
        None => "(not in the cache)".to_string(),
        Some(v) if v.is_empty() => "(empty)".to_string(),
        Some(v) => v.clone(),
    };
    // (path, cached, stored) → where; a default value changed in the database is stale in every
    // scope's tree at once, and is one finding.
    let mut stale: BTreeMap<(String, String, String), Stale> = BTreeMap::new();
    for (label, id, scope) in cached_scopes(ctx) {
        let (entry, tree) = match cached_config(ctx, cache, &id, now) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) => {
                d.skip("config-cache-stale", e);
                continue;
            }
        };
        let mut cached = BTreeMap::new();
        leaves(&tree, "", &mut cached);
        let mut paths: BTreeSet<String> = cached.keys().filter(|p| relevant(p)).cloned().collect();
        paths.extend(
            ctx.config
                .db_paths_for(scope)
                .into_iter()
                .filter(|p| relevant(p)),
        );
        for path in paths {
            let ours = ctx.config.get(&path, scope);
            if matches!(ours.origin, crate::store::config::Origin::Unset { .. })
                && cached.contains_key(&path)
            {
                // Magento's config.xml may ship a default m2auth does not know: not comparable.
                continue;
            }
            let Some(stored) =
                resolve_placeholders(ctx, scope, ours.value.clone().unwrap_or_default())
            else {
                // `{{base_url}}`: Magento fills it from the request's own URL; not comparable.
                continue;
            };
            let in_cache = cached.get(&path);
            if in_cache.map(String::as_str).unwrap_or("") == stored {
                continue;
            }
            stale
                .entry((path.clone(), shown(in_cache), shown(Some(&stored))))
                .or_insert_with(|| Stale {
                    scopes: Vec::new(),
                    evidence: ours.evidence(),
                })
                .scopes
                .push((label.clone(), entry.id.clone()));
        }
    }
    for ((path, cached, stored), s) in stale {
        let labels: Vec<&str> = s.scopes.iter().map(|(l, _)| l.as_str()).collect();
        let scope_note = if labels == ["default"] {
            String::new()
        } else {
            format!(
                " (scope{} {})",
                if labels.len() == 1 { "" } else { "s" },
                labels.join(", ")
            )
        };
        let mut f = Finding::new(Code::ConfigCacheStale, Severity::Warning)
            .title(format!(
                "The running store still uses the cached value of {path}{scope_note}"
            ))
            .detail(format!(
                "The cached configuration holds {path} = {cached}, the database and app/etc say {stored}{}: until the config cache is cleaned the store decides with the cached value.",
                if labels == ["default"] {
                    String::new()
                } else {
                    format!(" (in the cached tree of {})", labels.join(", "))
                }
            ));
        for (label, id) in s.scopes.iter().take(4) {
            f = f.evidence(Evidence::other(
                format!("cache:{id}"),
                format!("{label}/{path} = {cached}"),
            ));
        }
        d.push(f.evidence(s.evidence).fix(clean_fix("config")));
    }
}

/// The value as Magento caches it: the config processor replaces `{{unsecure_base_url}}` and
/// `{{secure_base_url}}` with those settings of the same scope (the real 2.4.7-p3 caches
/// web/secure/base_url = `http://…/` for a stored `{{unsecure_base_url}}`). `None` when the
/// value depends on the request (`{{base_url}}`) or the placeholders do not resolve.
fn resolve_placeholders(ctx: &Context, scope: Scope, mut value: String) -> Option<String> {
    for _ in 0..4 {
        if !value.contains("{{") {
            return Some(value);
        }
        let mut changed = false;
        for (placeholder, path) in [
            ("{{unsecure_base_url}}", "web/unsecure/base_url"),
            ("{{secure_base_url}}", "web/secure/base_url"),
        ] {
            if value.contains(placeholder) {
                let with = ctx.config.get(path, scope).value?;
                value = value.replace(placeholder, &with);
                changed = true;
            }
        }
        if !changed {
            return None;
        }
    }
    None
}

/// One cached or stored rule: (role, resource) → permission.
type Rules = BTreeMap<(u64, String), String>;

fn json_u64(v: &serde_json::Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `acl:check`: `acl-cache-stale` for the caller's role only, naming the route's resources
/// whose cached verdict differs from the database's (the one acl:check computes): the running
/// store answers with the cached one until the config cache is cleaned.
pub fn acl_stale_for_role(ctx: &Context, role: u64, resources: &[String], d: &mut Diagnosis) {
    if !sc::type_enabled(&ctx.install, "config") {
        return;
    }
    let Ok(mut cache) = Opened::open(&ctx.install, "default") else {
        return;
    };
    let now = ctx.now.as_second();
    acl_stale(ctx, &mut cache, now, Some((role, resources)), d);
}

/// The role (and the route's resources) `acl:check` asks about; `None`: every role.
type Only<'a> = Option<(u64, &'a [String])>;

fn acl_stale(ctx: &Context, cache: &mut Opened, now: i64, only: Only<'_>, d: &mut Diagnosis) {
    let Ok(db) = ctx.db_for("acl-cache-stale") else {
        return;
    };
    let entry = match cache.load(ids::ACL_RULES, now) {
        Ok(Some(e)) => e,
        Ok(None) => return,
        Err(e) => {
            d.skip("acl-cache-stale", e.to_string());
            return;
        }
    };
    let rows: Vec<serde_json::Value> = match serde_json::from_slice(&entry.data) {
        Ok(serde_json::Value::Array(a)) => a,
        _ => {
            d.skip(
                "acl-cache-stale",
                format!("cache entry {} is not a JSON list of rules", entry.id),
            );
            return;
        }
    };
    let mut cached = Rules::new();
    for r in &rows {
        let (Some(role), Some(res)) = (
            r.get("role_id").and_then(json_u64),
            r.get("resource_id").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let perm = r
            .get("permission")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        cached.insert((role, res.to_string()), perm);
    }
    let (roles, rules) = match crate::store::acl::load_roles(db) {
        Ok(x) => x,
        Err(e) => {
            d.skip("acl-cache-stale", e.to_string());
            return;
        }
    };
    let mut stored = Rules::new();
    for r in &rules {
        if let Some(res) = &r.resource_id {
            stored.insert(
                (r.role_id, res.clone()),
                r.permission.clone().unwrap_or_default(),
            );
        }
    }
    // Roles whose rows differ; then what Magento would decide for each resource of the merged
    // acl.xml tree with either set of rules (rows that differ without changing a verdict, such
    // as a missing row against an explicit deny, are not reported).
    let changed: BTreeSet<u64> = cached
        .keys()
        .chain(stored.keys())
        .filter(|k| cached.get(*k) != stored.get(*k))
        .map(|k| k.0)
        .collect();
    if changed.is_empty() {
        return;
    }
    let cached_rules: Vec<RuleRow> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            Some(RuleRow {
                rule_id: r.get("rule_id").and_then(json_u64).unwrap_or(i as u64 + 1),
                role_id: r.get("role_id").and_then(json_u64)?,
                resource_id: r
                    .get("resource_id")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                privileges: r
                    .get("privileges")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                permission: r
                    .get("permission")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            })
        })
        .collect();
    let (tree, _) = crate::store::acl::load_acl_tree(&ctx.install.modules);
    let acl_db = Acl::build(&tree, &roles, &rules);
    let acl_cached = Acl::build(&tree, &roles, &cached_rules);
    let verdict = |b: bool| if b { "allowed" } else { "denied" };
    // role → [(resource, cached, stored)]
    let mut diffs: BTreeMap<u64, Vec<(String, String, String)>> = BTreeMap::new();
    for role in changed {
        if only.is_some_and(|(r, _)| r != role) {
            continue;
        }
        for id in tree.all_ids() {
            let (c, s) = (
                acl_cached.is_allowed(role, id).allowed,
                acl_db.is_allowed(role, id).allowed,
            );
            if c != s {
                diffs.entry(role).or_default().push((
                    id.to_string(),
                    verdict(c).into(),
                    verdict(s).into(),
                ));
            }
        }
    }
    for (role, list) in diffs {
        let name = roles
            .iter()
            .find(|r| r.role_id == role)
            .and_then(|r| r.role_name.clone())
            .map(|n| format!("{n} (role {role})"))
            .unwrap_or_else(|| format!("role {role}"));
        let shown: Vec<String> = list
            .iter()
            .take(8)
            .map(|(res, c, s)| format!("{res}: cached {c}, database {s}"))
            .collect();
        let more = list.len().saturating_sub(8);
        let route_note = match only {
            Some((_, resources)) => {
                let hit: Vec<String> = list
                    .iter()
                    .filter(|(res, _, _)| resources.contains(res))
                    .map(|(res, c, s)| format!("{res} is {c} in the cache but {s} in the database"))
                    .collect();
                if hit.is_empty() {
                    " This route's resources have the same verdict either way.".to_string()
                } else {
                    format!(
                        " For this route, {}: the verdict above is the database's, the running store answers the cached one.",
                        hit.join(", ")
                    )
                }
            }
            None => String::new(),
        };
        d.push(
            Finding::new(Code::AclCacheStale, Severity::Warning)
                .title(format!("The running store still decides {name} with the cached ACL"))
                .detail(format!(
                    "The cached ACL rules differ from authorization_rule for {name} on {} resource{}: {}{}. Until the config cache is cleaned, the store allows and denies by the cached rules.{route_note}",
                    list.len(),
                    if list.len() == 1 { "" } else { "s" },
                    shown.join("; "),
                    if more > 0 { format!("; and {more} more") } else { String::new() }
                ))
                .evidence(Evidence::other(
                    format!("cache:{}", entry.id),
                    format!("{} cached rules", cached.len()),
                ))
                .evidence(Evidence::db(
                    "authorization_rule",
                    format!("{} rows for role {role}", stored.keys().filter(|k| k.0 == role).count()),
                ))
                .fix(clean_fix("config")),
        );
    }
}

/// The revocation Magento's `FastStorageRevokedWrapper` reads first: the cached `revoke_before`
/// of a user (`jwt-user-token:revoked:<type>:<id>`), with its backend id and expiry.
pub fn cached_revocation(ctx: &Context, user_type: i64, user_id: i64) -> Option<(i64, Entry)> {
    let mut cache = Opened::open(&ctx.install, "default").ok()?;
    let entry = cache
        .load(&ids::jwt_revoked(user_type, user_id), ctx.now.as_second())
        .ok()??;
    let before = crate::magento::php::intval(entry.text().trim());
    Some((before, entry))
}

/// Whether the default frontend's storage is the file backend and writable; Redis refusing
/// writes.
fn writability(ctx: &Context, cache: &mut Opened, d: &mut Diagnosis) {
    match (cache.file_conf(), cache.storage.redis_mut()) {
        (Some(conf), _) => {
            let problems = unwritable_files(&conf.dir, &ctx.install.root);
            if problems.is_empty() {
                return;
            }
            let shown = conf
                .dir
                .strip_prefix(&ctx.install.root)
                .unwrap_or(&conf.dir)
                .display()
                .to_string();
            let mut f = Finding::new(Code::CacheNotWritable, Severity::Warning)
                .title(format!("{shown} holds cache files the store cannot replace"))
                .detail(format!(
                    "{} path{} under {shown} belong to another user than the store's files and are not writable for it (typical after `sudo bin/magento cache:flush`): Magento cannot rewrite or clean those entries, so stale values stay.",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                ));
            for (p, why) in problems.iter().take(5) {
                f = f.evidence(Evidence::file(&p.display().to_string(), None, why.clone()));
            }
            d.push(f.fix(Fix {
                summary: "Give the cache back to the store's owner".into(),
                commands: vec![format!(
                    "chown -R $(stat -c %U:%G {root}/app/etc/env.php) {dir}",
                    root = ctx.install.root.display(),
                    dir = conf.dir.display()
                )],
                admin_path: None,
            }));
        }
        (_, Some(r)) => match r.write_refusal() {
            Ok(Some(why)) => d.push(
                Finding::new(Code::CacheNotWritable, Severity::Warning)
                    .title("Redis refuses the store's cache writes")
                    .detail(format!(
                        "The cache's Redis server ({}): {why}.",
                        r.conf.describe()
                    ))
                    .evidence(Evidence::other("redis:INFO", why)),
            ),
            Ok(None) => {}
            Err(e) => d.skip("cache-not-writable", e.to_string()),
        },
        _ => {}
    }
}

/// Paths under `dir` (two levels) owned by another user than the owner of `root/app/etc`
/// and not writable by that owner's group or others: the web server cannot replace them.
fn unwritable_files(
    dir: &std::path::Path,
    root: &std::path::Path,
) -> Vec<(std::path::PathBuf, String)> {
    use std::os::unix::fs::MetadataExt;
    let Ok(owner) = std::fs::metadata(root.join("app/etc")).map(|m| m.uid()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut check = |p: &std::path::Path| {
        if let Ok(m) = std::fs::symlink_metadata(p)
            && m.uid() != owner
            && m.mode() & 0o022 == 0
        {
            out.push((
                p.to_path_buf(),
                format!(
                    "owner uid {} (store files: uid {owner}), mode {:o}",
                    m.uid(),
                    m.mode() & 0o7777
                ),
            ));
        }
    };
    check(dir);
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            check(&e.path());
            if e.file_type().is_ok_and(|t| t.is_dir())
                && let Ok(inner) = std::fs::read_dir(e.path())
            {
                for f in inner.flatten().take(1000) {
                    check(&f.path());
                }
            }
        }
    }
    out
}
