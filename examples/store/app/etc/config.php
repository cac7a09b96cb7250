<?php
return [
    'modules' => [
        'Magento_Store' => 1,
        'Magento_Config' => 1,
        'Magento_Directory' => 1,
        'Magento_Eav' => 1,
        'Magento_Backend' => 1,
        'Magento_Authorization' => 1,
        'Magento_Customer' => 1,
        'Magento_Catalog' => 1,
        'Magento_CatalogInventory' => 1,
        'Magento_Cms' => 1,
        'Magento_Quote' => 1,
        'Magento_Sales' => 1,
        'Magento_Checkout' => 1,
        'Magento_SalesRule' => 1,
        'Magento_Tax' => 1,
        'Magento_Security' => 1,
        'Magento_User' => 1,
        'Magento_Integration' => 1,
        'Magento_JwtFrameworkAdapter' => 1,
        'Magento_JwtUserToken' => 1,
        'Magento_Webapi' => 1,
        'Magento_WebapiSecurity' => 1,
        'Magento_AdminAdobeIms' => 0,
        'Magento_TwoFactorAuth' => 0
    ]
];
