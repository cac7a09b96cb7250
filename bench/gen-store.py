#!/usr/bin/env python3
"""Generate a benchmark Magento tree: every core module of a 2.4 install (about 220 folders under
vendor/magento, each with etc/module.xml, registration.php and composer.json), the real webapi.xml
and acl.xml from ../shared/magento-reference where a module has them, 80 third-party packages, a
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
        module(root, f"vendor/vendor{i % 9}/module-extension{i}", f"{vendor}_{mod}")
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
    print(f"{root}: {len(CORE)} core modules, 80 extensions, 120 libraries")


if __name__ == "__main__":
    main()
