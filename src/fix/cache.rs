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
