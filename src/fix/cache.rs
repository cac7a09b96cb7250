//! What Magento caches of the rows m2auth changes, and what to tell the user to clean: shared by
//! the ACL writer ([`super::acl_grant`]) and the journal (an entry's undo names the same cache),
//! kept here, below both, so that the journal need not import the ACL writer (which imports
//! the journal).

/// Where Magento caches the ACL and how to make it reload the rules.
///
/// `Magento\Authorization\Model\Acl\Loader\Role` and `…\Loader\Rule` cache the rows of
/// `authorization_role` and `authorization_rule` under the ids `authorization_role_cached_data`
/// and `authorization_rule_cached_data` through `Magento\Framework\Acl\Data\Cache`, which stores
/// them in the `config` cache type (`Magento\Framework\Config\CacheInterface`) with the tag
/// `acl_cache`; `saveRel()` cleans that tag after saving.
pub fn cache_notice() -> Vec<String> {
    vec![
        "Magento caches the ACL rules (ids authorization_rule_cached_data and authorization_role_cached_data, tag acl_cache, in the config cache type): until that cache is cleaned the store keeps answering with the old permissions".to_string(),
        "run `bin/magento cache:clean config` (or `m2auth cache:clean config`)".to_string(),
    ]
}

/// The tables whose rows Magento caches as the ACL ([`cache_notice`] applies to changes of them).
pub const ACL_TABLES: &[&str] = &["authorization_rule", "authorization_role"];

/// One cache type in a clean, flush or status: its state and how many entries it removed or
/// holds (`None`: disabled and left alone, or the storage could not be read).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TypeResult {
    pub id: String,
    pub enabled: bool,
    pub frontend: String,
    pub entries: Option<usize>,
}

/// The type ids of the store: Magento's core types and any other in env.php `cache_types`.
pub fn known_types(install: &crate::store::Installation) -> Vec<String> {
    let mut v: Vec<String> = crate::magento::cache::TYPES
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    for (t, _) in crate::store::cache::type_states(install).unwrap_or_default() {
        if !v.contains(&t) {
            v.push(t);
        }
    }
    v
}

/// The tag of a type (an extension's type: its id upper-cased, Magento's usual convention).
pub fn tag_of(id: &str) -> String {
    crate::magento::cache::cache_type(id)
        .map(|t| t.tag.to_string())
        .unwrap_or_else(|| id.to_ascii_uppercase())
}

/// `bin/magento cache:clean TYPES` on the storage: per enabled type `matchingTag [TYPE_TAG,
/// MAGE]` on its frontend (disabled types are left alone, as `AccessProxy` does), then
/// `core_cache_invalidate` re-saved without the cleaned types, as `TypeList::cleanType()` does.
/// Not journaled: a clean removes derived data only, which the store rebuilds.
pub fn clean_types(
    install: &crate::store::Installation,
    types: &[String],
    now: i64,
) -> Result<Vec<TypeResult>, crate::store::cache::CacheError> {
    use crate::magento::cache::ids;
    use crate::store::cache::{self as sc, Opened};
    let mut fronts: Vec<Opened> = Vec::new();
    fn get<'a>(
        fronts: &'a mut Vec<Opened>,
        install: &crate::store::Installation,
        name: &str,
    ) -> Result<&'a mut Opened, sc::CacheError> {
        if let Some(i) = fronts.iter().position(|o| o.frontend.name == name) {
            return Ok(&mut fronts[i]);
        }
        fronts.push(Opened::open(install, name)?);
        Ok(fronts.last_mut().expect("just pushed"))
    }
    let mut out = Vec::new();
    let mut cleaned = Vec::new();
    for t in types {
        let enabled = sc::type_enabled(install, t);
        let frontend = sc::type_frontend(install, t);
        let entries = if enabled {
            let n = get(&mut fronts, install, &frontend)?.clean_type(&tag_of(t))?;
            cleaned.push(t.clone());
            Some(n)
        } else {
            None
        };
        out.push(TypeResult {
            id: t.clone(),
            enabled,
            frontend,
            entries,
        });
    }
    if !cleaned.is_empty() {
        let default = get(&mut fronts, install, "default")?;
        let mut map: serde_json::Map<String, serde_json::Value> = default
            .load(ids::INVALIDATED, now)?
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
        default.save(ids::INVALIDATED, data.as_bytes(), &[], None, now)?;
    }
    Ok(out)
}

/// What `cache:status` and `info` show: every type with its state and entries, and each
/// frontend's backend (described) with its entry count.
pub struct Status {
    pub types: Vec<TypeResult>,
    pub backends: Vec<(String, String, usize)>,
    pub notes: Vec<String>,
}

/// Read the storage for [`Status`] (read-only).
pub fn status(install: &crate::store::Installation) -> Status {
    use crate::store::cache::{self as sc, Opened};
    let mut opened: Vec<(String, Result<Opened, String>)> = Vec::new();
    for name in ["default", "page_cache"] {
        opened.push((
            name.to_string(),
            Opened::open(install, name).map_err(|e| e.to_string()),
        ));
    }
    let mut notes = Vec::new();
    let mut types = Vec::new();
    for t in known_types(install) {
        let frontend = sc::type_frontend(install, &t);
        let entries = match opened.iter_mut().find(|(n, _)| *n == frontend) {
            Some((_, Ok(o))) => o.count_type(&tag_of(&t)).ok(),
            Some((_, Err(e))) => {
                if !notes.contains(e) {
                    notes.push(e.clone());
                }
                None
            }
            None => None,
        };
        types.push(TypeResult {
            enabled: sc::type_enabled(install, &t),
            id: t,
            frontend,
            entries,
        });
    }
    let backends = opened
        .iter_mut()
        .map(|(name, o)| {
            let described = sc::frontend(install, name).backend.describe();
            let n = match o {
                Ok(o) => o.storage.count().unwrap_or(0),
                Err(_) => 0,
            };
            (name.clone(), described, n)
        })
        .collect();
    Status {
        types,
        backends,
        notes,
    }
}

/// The env.php edit of `cache:enable` / `cache:disable`: each type's `cache_types` entry set to
/// 1 or 0 in place (a missing type is added after the last entry, with its indentation), the
/// rest of the file byte for byte. Magento's `Cache\State::persist()` writes the same values
/// through the deployment-config writer (which re-exports the whole file); m2auth changes only
/// those lines, so the journal holds only them. `(path, new text, changed lines)`, or why not.
pub fn set_types_edit(
    install: &crate::store::Installation,
    types: &[String],
    enabled: bool,
) -> Result<(std::path::PathBuf, String, Vec<String>), String> {
    let path = install.root.join(crate::store::root::ENV_PHP);
    let env = install
        .env
        .as_ref()
        .ok_or_else(|| "app/etc/env.php does not exist".to_string())?;
    let states = crate::store::cache::type_states(install).ok_or_else(|| {
        "app/etc/env.php has no cache_types array: run `bin/magento cache:enable` once".to_string()
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let value = if enabled { "1" } else { "0" };
    let mut preview = Vec::new();
    let mut missing = Vec::new();
    for t in types {
        let known = states.iter().any(|(id, _)| id == t);
        let line = env.line(&format!("cache_types/{t}"));
        match (known, line) {
            (true, Some(n)) => {
                let i = n as usize - 1;
                let re = fancy_regex::Regex::new(&format!(
                    r#"(['"]{}['"]\s*=>\s*)([^,\]\)\s]+)"#,
                    fancy_regex::escape(t)
                ))
                .expect("a valid pattern");
                let old = lines.get(i).cloned().unwrap_or_default();
                let new = re.replace(&old, format!("${{1}}{value}")).into_owned();
                if new == old && !re.is_match(&old).unwrap_or(false) {
                    return Err(format!(
                        "app/etc/env.php:{n}: the cache_types entry of {t} is not a plain value m2auth can change"
                    ));
                }
                if new != old {
                    preview.push(format!("{n}: {}", new.trim_end()));
                    lines[i] = new;
                }
            }
            _ => missing.push(t.clone()),
        }
    }
    if !missing.is_empty() {
        let last = states
            .last()
            .and_then(|(id, _)| env.line(&format!("cache_types/{id}")))
            .ok_or_else(|| {
                "app/etc/env.php cache_types is empty or not one entry per line".to_string()
            })?;
        let i = last as usize - 1;
        let prev = lines[i].trim_end_matches(['\r', '\n']).to_string();
        let indent: String = prev.chars().take_while(|c| c.is_whitespace()).collect();
        if !prev.trim_end().ends_with(',') {
            lines[i] = format!("{},{nl}", prev.trim_end());
        }
        for (k, t) in missing.iter().enumerate() {
            let add = format!("{indent}'{t}' => {value},{nl}");
            preview.push(format!("{}: {}", last as usize + 1 + k, add.trim_end()));
            lines.insert(i + 1 + k, add);
        }
    }
    Ok((path, lines.concat(), preview))
}

/// `matchingTag [TYPE_TAG, MAGE]` for `types` whatever their state (`cache:enable` cleans the
/// types it turns on, as `Console\Command\CacheEnableCommand` does).
pub fn clean_types_unchecked(
    install: &crate::store::Installation,
    types: &[String],
) -> Result<usize, crate::store::cache::CacheError> {
    let mut n = 0;
    for t in types {
        let front = crate::store::cache::type_frontend(install, t);
        n += crate::store::cache::Opened::open(install, &front)?.clean_type(&tag_of(t))?;
    }
    Ok(n)
}
