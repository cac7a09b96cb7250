//! `Magento_WebapiSecurity`: with `webapi/webapisecurity/allow_insecure` on, these catalog, CMS and
//! store GET routes lose their ACL resources and become `anonymous`
//! (`app/code/Magento/WebapiSecurity/Model/Plugin/AnonymousResourceSecurity.php::afterConvert`,
//! the list is the plugin's `resources` argument in `app/code/Magento/WebapiSecurity/etc/di.xml`).
//! Off (the default), a guest calling them gets the ACL 401. The converted routes are cached in
//! the `config_webservice` cache type.

pub const CONFIG_PATH: &str = "webapi/webapisecurity/allow_insecure";
pub const MODULE: &str = "Magento_WebapiSecurity";

/// `url::METHOD` keys, as in di.xml.
pub const ANONYMOUS_WHEN_INSECURE: &[&str] = &[
    "/V1/products::GET",
    "/V1/products/:sku::GET",
    "/V1/products/attributes/:attributeCode::GET",
    "/V1/products/types::GET",
    "/V1/products/attribute-sets/sets/list::GET",
    "/V1/products/attribute-sets/:attributeSetId::GET",
    "/V1/products/attribute-sets/:attributeSetId/attributes::GET",
    "/V1/products/attribute-sets/groups/list::GET",
    "/V1/products/attributes/:attributeCode/options::GET",
    "/V1/products/media/types/:attributeSetName::GET",
    "/V1/products/:sku/media/:entryId::GET",
    "/V1/products/:sku/media::GET",
    "/V1/products/:sku/group-prices/:customerGroupId/tiers::GET",
    "/V1/categories/:categoryId::GET",
    "/V1/categories::GET",
    "/V1/products/:sku/options::GET",
    "/V1/products/:sku/options/:optionId::GET",
    "/V1/products/links/types::GET",
    "/V1/products/links/:type/attributes::GET",
    "/V1/products/:sku/links/:type::GET",
    "/V1/categories/:categoryId/products::GET",
    "/V1/stockStatuses/:productSku::GET",
    "/V1/configurable-products/:sku/children::GET",
    "/V1/configurable-products/:sku/options/:id::GET",
    "/V1/configurable-products/:sku/options/all::GET",
    "/V1/cmsPage/:pageId::GET",
    "/V1/cmsBlock/:blockId::GET",
    "/V1/store/storeViews::GET",
    "/V1/store/storeGroups::GET",
    "/V1/store/websites::GET",
    "/V1/store/storeConfigs::GET",
];

/// Whether the route (`url` as declared, `method`) is one the setting opens to guests.
pub fn is_listed(url: &str, method: &str) -> bool {
    ANONYMOUS_WHEN_INSECURE.iter().any(|k| {
        k.rsplit_once("::")
            .is_some_and(|(u, m)| u == url.trim() && m.eq_ignore_ascii_case(method))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed() {
        assert!(is_listed("/V1/products/:sku", "GET"));
        assert!(!is_listed("/V1/products/:sku", "PUT"));
        assert_eq!(ANONYMOUS_WHEN_INSECURE.len(), 31);
    }
}
