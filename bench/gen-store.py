#!/usr/bin/env python3
"""Generate a benchmark Magento tree: every core module of a 2.4 install (about 220 folders under
vendor/magento, each with etc/module.xml, registration.php and composer.json), the real webapi.xml
and acl.xml from ../shared/magento-reference where a module has them, 80 third-party packages (the
first 12 with a REST API of their own: etc/webapi.xml and etc/acl.xml, see extension_api), a
2.4-sized env.php and config.php, and a composer.lock of realistic size (~4 MB).

usage: bench/gen-store.py OUT_DIR
"""
import json, os, shutil, sys

CORE = """AdminAdobeIms AdminAnalytics AdminNotification AdobeIms AdobeImsApi AdvancedPricingImportExport
AdvancedSearch Amqp AmqpStore Analytics AsyncConfig AsynchronousOperations Authorization AwsS3
AwsS3PageBuilder Backend Backup Bundle BundleGraphQl BundleImportExport CacheInvalidate Captcha
CardinalCommerce Catalog CatalogAnalytics CatalogCmsGraphQl CatalogCustomerGraphQl CatalogGraphQl
CatalogImportExport CatalogInventory CatalogInventoryGraphQl CatalogPageBuilderAnalytics CatalogRule
CatalogRuleConfigurable CatalogRuleGraphQl CatalogSearch CatalogUrlRewrite CatalogUrlRewriteGraphQl
CatalogWidget Checkout CheckoutAgreements CheckoutAgreementsGraphQl Cms CmsGraphQl CmsPageBuilderAnalytics
CmsUrlRewrite CmsUrlRewriteGraphQl CompareListGraphQl Config ConfigurableImportExport ConfigurableProduct
ConfigurableProductGraphQl ConfigurableProductSales Contact ContactGraphQl Cookie CookieGraphQl Cron
Csp CurrencySymbol Customer CustomerAnalytics CustomerDownloadableGraphQl CustomerGraphQl
CustomerImportExport Deploy Developer Dhl Directory DirectoryGraphQl Downloadable DownloadableGraphQl
DownloadableImportExport Eav EavGraphQl Elasticsearch Email EncryptionKey Fedex GiftMessage
GiftMessageGraphQl GoogleAdwords GoogleAnalytics GoogleGtag GoogleOptimizer GraphQl GraphQlCache
GraphQlNewRelic GraphQlResolverCache GraphQlServer GroupedCatalogInventory GroupedImportExport
GroupedProduct GroupedProductGraphQl ImportExport Indexer InstantPurchase Integration
IntegrationGraphQl JwtFrameworkAdapter JwtUserToken LayeredNavigation LoginAsCustomer
LoginAsCustomerAdminUi LoginAsCustomerApi LoginAsCustomerAssistance LoginAsCustomerFrontendUi
LoginAsCustomerGraphQl LoginAsCustomerLog LoginAsCustomerPageCache LoginAsCustomerQuote
LoginAsCustomerSales Marketplace MediaContent MediaContentApi MediaContentCatalog MediaContentCms
MediaContentSynchronization MediaContentSynchronizationApi MediaGallery MediaGalleryApi
MediaGalleryCatalog MediaGalleryCatalogUi MediaGalleryIntegration MediaGalleryMetadata
MediaGalleryRenditions MediaGallerySynchronization MediaGalleryUi MediaStorage MessageQueue Msrp
MsrpConfigurableProduct MsrpGroupedProduct Multishipping MysqlMq NewRelicReporting Newsletter
NewsletterGraphQl OfflinePayments OfflineShipping OpenSearch OrderCancellation OrderCancellationGraphQl
PageBuilder PageBuilderAnalytics PageCache Payment PaymentGraphQl Paypal PaypalCaptcha PaypalGraphQl
Persistent ProductAlert ProductVideo Quote QuoteAnalytics QuoteBundleOptions QuoteConfigurableOptions
QuoteDownloadableLinks QuoteGraphQl RelatedProductGraphQl ReleaseNotification RemoteStorage Reports
RequireJs Review ReviewAnalytics ReviewGraphQl Robots Rss Rule Sales SalesAnalytics SalesGraphQl
SalesInventory SalesRule SalesRuleGraphQl SalesSequence SampleData Search Security SendFriend
SendFriendGraphQl Shipping Sitemap Store StoreGraphQl Swagger SwaggerWebapi SwaggerWebapiAsync
Swatches SwatchesGraphQl SwatchesLayeredNavigation Tax TaxGraphQl TaxImportExport Theme ThemeGraphQl
Translation TwoFactorAuth Ui UrlRewrite UrlRewriteGraphQl User Usps Variable Vault VaultGraphQl
Version Webapi WebapiAsync WebapiSecurity Weee WeeeGraphQl Widget Wishlist WishlistAnalytics
WishlistGraphQl""".split()


def kebab(name):
    out = ""
    for i, c in enumerate(name):
        if c.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out += "-"
        out += c.lower()
    return out


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def module(root, base, name):
    write(f"{root}/{base}/etc/module.xml",
          '<?xml version="1.0"?>\n<config xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          'xsi:noNamespaceSchemaLocation="urn:magento:framework:Module/etc/module.xsd">\n'
          f'    <module name="{name}"/>\n</config>\n')
    write(f"{root}/{base}/registration.php",
          "<?php\nuse Magento\\Framework\\Component\\ComponentRegistrar;\n\n"
          f"ComponentRegistrar::register(ComponentRegistrar::MODULE, '{name}', __DIR__);\n")
    write(f"{root}/{base}/composer.json", json.dumps({"name": base[len("vendor/"):], "type": "magento2-module"}, indent=4))


# The REST API of a third-party module (extension_api): per entity a list, a get, a search and a
# summary GET, so 16 GET routes per module, plus create (POST), update (PUT) and delete (DELETE)
# for the first two entities: 22 routes, 5 ACL resources (a parent and one per entity).
API_MODULES = 12
ENTITIES = (("items", "Item"), ("rules", "Rule"), ("logs", "Log"), ("settings", "Setting"))


def extension_api(vendor, mod):
    """webapi.xml and acl.xml of `vendor`_`mod`; bench/gen-dump.py grants role 2 some of the
    resources (names must stay in step with it: <Vendor>_<Module>::<entity>)."""
    name, prefix = f"{vendor}_{mod}", f"/V1/{vendor.lower()}/{mod.lower()}"
    routes = []

    def route(url, method, iface, svc_method, resource):
        routes.append(f'    <route url="{prefix}{url}" method="{method}">\n'
                      f'        <service class="{vendor}\\{mod}\\Api\\{iface}" method="{svc_method}"/>\n'
                      f'        <resources>\n            <resource ref="{name}::{resource}"/>\n        </resources>\n'
                      '    </route>')

    for i, (entity, cls) in enumerate(ENTITIES):
        repo = f"{cls}RepositoryInterface"
        route(f"/{entity}", "GET", repo, "getList", entity)
        route(f"/{entity}/:id", "GET", repo, "get", entity)
        route(f"/{entity}/search/:searchTerm", "GET", repo, "search", entity)
        route(f"/{entity}/:id/summary", "GET", f"{cls}SummaryInterface", "get", entity)
        if i < 2:
            route(f"/{entity}", "POST", repo, "save", entity)
            route(f"/{entity}/:id", "PUT", repo, "save", entity)
            route(f"/{entity}/:id", "DELETE", repo, "deleteById", entity)
    webapi = ('<?xml version="1.0"?>\n<routes xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:noNamespaceSchemaLocation="urn:magento:module:Magento_Webapi:etc/webapi.xsd">\n'
              + "\n".join(routes) + "\n</routes>\n")
    children = "\n".join(f'                    <resource id="{name}::{e}" title="{c}s" sortOrder="{10 * (i + 1)}"/>'
                          for i, (e, c) in enumerate(ENTITIES))
    acl = ('<?xml version="1.0"?>\n<config xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:noNamespaceSchemaLocation="urn:magento:framework:Acl/etc/acl.xsd">\n'
           '    <acl>\n        <resources>\n            <resource id="Magento_Backend::admin">\n'
           f'                <resource id="{name}::extension" title="{mod}" sortOrder="100">\n'
           f'{children}\n                </resource>\n'
           '            </resource>\n        </resources>\n    </acl>\n</config>\n')
    return webapi, acl


def main():
    root = sys.argv[1]
    ref = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/magento-reference")
    shutil.rmtree(root, ignore_errors=True)
    modules = []
    for m in CORE:
        base = f"vendor/magento/module-{kebab(m)}"
        module(root, base, f"Magento_{m}")
        for f in ("webapi.xml", "acl.xml", "di.xml", "config.xml"):
            src = os.path.join(ref, m, "etc", f)
            if os.path.isfile(src):
                shutil.copy(src, f"{root}/{base}/etc/{f}")
        modules.append(f"Magento_{m}")
    for i in range(80):
        vendor, mod = f"Vendor{i % 9}", f"Extension{i}"
        base = f"vendor/vendor{i % 9}/module-extension{i}"
        module(root, base, f"{vendor}_{mod}")
        if i < API_MODULES:
            webapi, acl = extension_api(vendor, mod)
            write(f"{root}/{base}/etc/webapi.xml", webapi)
            write(f"{root}/{base}/etc/acl.xml", acl)
        modules.append(f"{vendor}_{mod}")
    for i in range(120):  # plain libraries: not modules, must be skipped quickly
        write(f"{root}/vendor/lib{i % 20}/library{i}/composer.json", json.dumps({"name": f"lib{i % 20}/library{i}"}))
        write(f"{root}/vendor/lib{i % 20}/library{i}/src/Lib.php", "<?php\nclass Lib {}\n")
    cfg = "<?php\nreturn [\n    'modules' => [\n" + ",\n".join(
        f"        '{m}' => {0 if m.endswith('TwoFactorAuth') else 1}" for m in modules) + "\n    ]\n];\n"
    write(f"{root}/app/etc/config.php", cfg)
    env = """<?php
return [
    'backend' => ['frontName' => 'admin_k3x9'],
    'crypt' => ['key' => 'base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g='],
    'db' => [
        'table_prefix' => '',
        'connection' => [
            'default' => [
                'host' => '127.0.0.1:1',
                'dbname' => 'magento',
                'username' => 'magento',
                'password' => 'bench-password',
                'model' => 'mysql4',
                'engine' => 'innodb',
                'initStatements' => 'SET NAMES utf8;',
                'active' => '1',
                'driver_options' => [1014 => false]
            ]
        ]
    ],
    'resource' => ['default_setup' => ['connection' => 'default']],
    'x-frame-options' => 'SAMEORIGIN',
    'MAGE_MODE' => 'production',
    'session' => ['save' => 'files'],
    'cache' => ['frontend' => ['default' => ['id_prefix' => '69d_'], 'page_cache' => ['id_prefix' => '69d_']]],
    'cache_types' => ['config' => 1, 'layout' => 1, 'block_html' => 1, 'collections' => 1, 'reflection' => 1,
        'db_ddl' => 1, 'compiled_config' => 1, 'eav' => 1, 'customer_notification' => 1,
        'config_integration' => 1, 'config_integration_api' => 1, 'full_page' => 1,
        'config_webservice' => 1, 'translate' => 1],
    'install' => ['date' => 'Wed, 19 Apr 2023 15:45:39 +0000']
];
"""
    write(f"{root}/app/etc/env.php", env)
    packages = [{"name": "magento/product-community-edition", "version": "2.4.7-p3", "type": "metapackage"},
                {"name": "magento/magento2-base", "version": "2.4.7-p3", "type": "magento2-component"}]
    filler = "x" * 9000  # real lock entries carry long descriptions, autoload maps, dist urls
    for m in CORE:
        packages.append({"name": f"magento/module-{kebab(m)}", "version": "100.4.7-p3", "type": "magento2-module",
                         "description": "N/A", "notification-url": filler[:200], "extra": {"blob": filler}})
    for i in range(200):
        packages.append({"name": f"lib{i}/package{i}", "version": "1.2.3", "type": "library", "extra": {"blob": filler}})
    write(f"{root}/composer.lock", json.dumps({"_readme": [], "content-hash": "0" * 32, "packages": packages,
                                               "packages-dev": []}, indent=4))
    write(f"{root}/composer.json", json.dumps({"name": "magento/project-community-edition",
                                               "require": {"magento/product-community-edition": "2.4.7-p3"}}, indent=4))
    print(f"{root}: {len(CORE)} core modules, 80 extensions ({API_MODULES} with a REST API), 120 libraries")


if __name__ == "__main__":
    main()
