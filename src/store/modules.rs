//! Modules of the installation: which are enabled (app/etc/config.php), where each lives
//! (`vendor/<vendor>/<package>` with `etc/module.xml`, or `app/code/<Vendor>/<Module>`), and the
//! Magento release (composer.lock, `vendor/magento/magento2-base/composer.json`, composer.json).

use std::path::{Path, PathBuf};

use crate::store::envphp::Document;

/// Where a module's code was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `vendor/<vendor>/<package>` (a composer install)
    Vendor,
    /// `app/code/<Vendor>/<Module>` (a source install or a local module)
    AppCode,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// `Magento_Catalog`
    pub name: String,
    /// From app/etc/config.php; a module on disk but not listed there is disabled.
    pub enabled: bool,
    /// The module's folder (holding `etc/module.xml`), if found on disk.
    pub dir: Option<PathBuf>,
    pub layout: Option<Layout>,
}

/// Every module named in config.php or found on disk, in config.php order (the order Magento
/// loads and merges their XML in), then the ones found only on disk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleSet {
    pub modules: Vec<Module>,
}

impl ModuleSet {
    /// Read `modules` of config.php and find each module's folder.
    pub fn load(root: &Path, config: Option<&Document>) -> ModuleSet {
        let _ = (root, config);
        ModuleSet::default()
    }

    pub fn get(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// `Some(true)` enabled, `Some(false)` disabled or not listed in config.php, `None` unknown
    /// to the installation.
    pub fn is_enabled(&self, name: &str) -> Option<bool> {
        self.get(name).map(|m| m.enabled)
    }

    pub fn enabled(&self) -> impl Iterator<Item = &Module> {
        self.modules.iter().filter(|m| m.enabled)
    }

    pub fn disabled(&self) -> impl Iterator<Item = &Module> {
        self.modules.iter().filter(|m| !m.enabled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edition {
    /// Magento Open Source (`magento/product-community-edition`)
    Community,
    /// Adobe Commerce (`magento/product-enterprise-edition`)
    Enterprise,
    /// Adobe Commerce B2B
    B2b,
    /// Mage-OS (`mage-os/product-community-edition`)
    MageOs,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// `2.4.7-p3`, when found.
    pub version: Option<String>,
    pub edition: Edition,
    /// Where it was read: `composer.lock`, `vendor/magento/magento2-base/composer.json`…
    pub source: Option<String>,
}

/// The release of the installation at `root`.
pub fn detect_release(root: &Path) -> Release {
    let _ = root;
    Release {
        version: None,
        edition: Edition::Unknown,
        source: None,
    }
}
