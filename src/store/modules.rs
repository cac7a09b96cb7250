//! Modules of the installation: which are enabled (app/etc/config.php), where each lives
//! (`vendor/<vendor>/<package>` with `etc/module.xml`, or `app/code/<Vendor>/<Module>`), and the
//! Magento release (composer.lock, `vendor/magento/magento2-base/composer.json`, composer.json).
//!
//! # How a module is found on disk
//!
//! Magento learns where a module lives from `ComponentRegistrar::register(MODULE, 'Name', dir)`
//! in the module's `registration.php`: composer installs load it through the package's
//! `autoload.files`, `app/code` modules through the `app/etc/registration_globlist.php` glob
//! `app/code/*/*/registration.php`. The name Magento then uses is the one in
//! `<dir>/etc/module.xml` (`<module name="Magento_Catalog">`).
//!
//! m2auth reads no PHP, so it looks at the files directly:
//!
//! * `vendor/<vendor>/<package>/etc/module.xml`: the package folder is the module folder.
//! * else `vendor/<vendor>/<package>/registration.php` is scanned for
//!   `ComponentRegistrar::MODULE, 'Name', __DIR__ . '/sub'` (also `dirname(__FILE__)`); the
//!   module folder is the package folder plus the suffix. Packages with neither file (libraries,
//!   themes, language packs, metapackages) cost two `stat`s and are skipped.
//! * `app/code/<Vendor>/<Module>/etc/module.xml`.
//!
//! Only `etc/module.xml` is read (a few hundred bytes each), once per module.
//!
//! # The same module in `vendor/` and `app/code/`
//!
//! Magento cannot run like that: `ComponentRegistrar::register()` throws a `LogicException`
//! ("Module 'X' from '…' has been already defined in '…'") on the second registration of a
//! name. Composer's autoload files run first (vendor), then `app/etc/NonComposerComponentRegistration.php`
//! globs `app/code`, so the `app/code` registration is the one that throws and every request
//! fails before any auth code runs. m2auth keeps the `app/code` copy as the module's folder (it is
//! what a developer is editing, and what a fixed store would keep) and lists the clash in
//! [`ModuleSet::duplicates`] so a check can report it.
//!
//! # No config.php
//!
//! Without `app/etc/config.php` Magento does not know which modules are enabled (it will not
//! run until `setup:install`/`module:enable` writes one). Every module found on disk is then
//! listed with `enabled: false`, in name order, and [`ModuleSet::config_known`] is `false` so
//! callers can tell "disabled" from "unknown".

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::store::envphp::{Document, Key, Value};

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

/// A module found both under `vendor/` and `app/code/`: Magento's `ComponentRegistrar` refuses
/// to register it twice, so such a store fails on every request. The module's `dir` is the
/// `app/code` one.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    pub name: String,
    /// The folder that was kept (`app/code/...`).
    pub kept: PathBuf,
    /// The other folder(s) (`vendor/...`).
    pub others: Vec<PathBuf>,
}

/// Every module named in config.php or found on disk, in config.php order (the order Magento
/// loads and merges their XML in), then the ones found only on disk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleSet {
    pub modules: Vec<Module>,
    /// Modules found in more than one folder (see the module docs).
    pub duplicates: Vec<Duplicate>,
    /// `true` when config.php's `modules` array was read; `false` when there was no config.php
    /// (or no `modules` array in it), in which case every module is listed as disabled because
    /// its state is unknown.
    pub config_known: bool,
}

impl ModuleSet {
    /// Read `modules` of config.php and find each module's folder.
    pub fn load(root: &Path, config: Option<&Document>) -> ModuleSet {
        let disk = discover(root);
        let mut duplicates = disk.duplicates;
        duplicates.sort_by(|a, b| a.name.cmp(&b.name));

        let mut found: HashMap<String, (PathBuf, Layout)> = disk
            .found
            .into_iter()
            .map(|f| (f.name, (f.dir, f.layout)))
            .collect();
        let mut modules: Vec<Module> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let listed = config
            .and_then(|doc| doc.get("modules"))
            .and_then(Value::as_array);

        if let Some(list) = listed {
            for entry in list.iter() {
                let name = match &entry.key {
                    Key::Str(s) => s.clone(),
                    _ => continue,
                };
                let enabled = entry.value.is_truthy();
                // A repeated key: PHP keeps the first position and the last value.
                if let Some(&i) = index.get(&name) {
                    modules[i].enabled = enabled;
                    continue;
                }
                let (dir, layout) = match found.remove(&name) {
                    Some((d, l)) => (Some(d), Some(l)),
                    None => (None, None),
                };
                index.insert(name.clone(), modules.len());
                modules.push(Module {
                    name,
                    enabled,
                    dir,
                    layout,
                });
            }
        }

        let mut rest: Vec<(String, (PathBuf, Layout))> = found.into_iter().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        modules.extend(rest.into_iter().map(|(name, (dir, layout))| Module {
            name,
            enabled: false,
            dir: Some(dir),
            layout: Some(layout),
        }));

        ModuleSet {
            modules,
            duplicates,
            config_known: listed.is_some(),
        }
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

struct Found {
    name: String,
    dir: PathBuf,
    layout: Layout,
}

#[derive(Default)]
struct Discovered {
    /// One entry per module name, `app/code` winning over `vendor`.
    found: Vec<Found>,
    duplicates: Vec<Duplicate>,
}

/// Every module folder under `vendor/*/*` and `app/code/*/*`.
fn discover(root: &Path) -> Discovered {
    let mut all: Vec<Found> = Vec::new();
    for package in subdirs2(&root.join("vendor")) {
        all.extend(vendor_package_modules(&package));
    }
    for dir in subdirs2(&root.join("app/code")) {
        if let Some(name) = module_xml_name(&dir) {
            all.push(Found {
                name,
                dir,
                layout: Layout::AppCode,
            });
        }
    }

    let mut out = Discovered::default();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for f in all {
        match by_name.get(&f.name) {
            None => {
                by_name.insert(f.name.clone(), out.found.len());
                out.found.push(f);
            }
            Some(&i) => {
                let keep_new = f.layout == Layout::AppCode && out.found[i].layout == Layout::Vendor;
                let (kept, other) = if keep_new {
                    let old = std::mem::replace(&mut out.found[i], f);
                    (out.found[i].dir.clone(), old.dir)
                } else {
                    (out.found[i].dir.clone(), f.dir)
                };
                let name = out.found[i].name.clone();
                match out.duplicates.iter_mut().find(|d| d.name == name) {
                    Some(d) => {
                        if d.kept != kept {
                            let prev = std::mem::replace(&mut d.kept, kept);
                            d.others.push(prev);
                        }
                        d.others.push(other);
                    }
                    None => out.duplicates.push(Duplicate {
                        name,
                        kept,
                        others: vec![other],
                    }),
                }
            }
        }
    }
    out
}

/// The folders two levels below `dir` (`dir/*/*`), sorted for a stable result. Hidden entries
/// and vendor's `bin` and `composer` folders are skipped.
fn subdirs2(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for first in subdirs(dir) {
        let skip = first
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n == "bin" || n == "composer");
        if !skip {
            out.extend(subdirs(&first));
        }
    }
    out
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        // file_type() does not follow symlinks; path-repository packages are often symlinks.
        .filter(|e| {
            e.file_type()
                .is_ok_and(|t| t.is_dir() || (t.is_symlink() && e.path().is_dir()))
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// The modules a composer package holds: itself if it has `etc/module.xml`, else those its
/// `registration.php` registers.
fn vendor_package_modules(package: &Path) -> Vec<Found> {
    if let Some(name) = module_xml_name(package) {
        return vec![Found {
            name,
            dir: package.to_path_buf(),
            layout: Layout::Vendor,
        }];
    }
    let Ok(src) = crate::store::fsread::read_capped(
        &package.join("registration.php"),
        crate::store::fsread::STORE_FILE_BYTES,
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for reg in scan_registrations(&src) {
        let dir = if reg.suffix.is_empty() {
            package.to_path_buf()
        } else {
            package.join(&reg.suffix)
        };
        // The name in module.xml is the one Magento uses; the registered one is the fallback.
        if let Some(name) = module_xml_name(&dir) {
            out.push(Found {
                name,
                dir,
                layout: Layout::Vendor,
            });
        } else if dir.join("etc/module.xml").is_file() {
            out.push(Found {
                name: reg.name,
                dir,
                layout: Layout::Vendor,
            });
        }
    }
    out
}

/// `name` of `<module>` in `<dir>/etc/module.xml`.
fn module_xml_name(dir: &Path) -> Option<String> {
    let text = crate::store::fsread::read_text_capped(
        &dir.join("etc/module.xml"),
        crate::store::fsread::STORE_FILE_BYTES,
    )
    .ok()?;
    parse_module_xml_name(&text)
}

/// `name` of the `<module>` element of a module.xml (`<config><module name="X" .../></config>`).
pub fn parse_module_xml_name(text: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(text).ok()?;
    doc.root_element()
        .children()
        .find(|n| n.has_tag_name("module"))
        .and_then(|n| n.attribute("name"))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// One `ComponentRegistrar::register(ComponentRegistrar::MODULE, 'Name', __DIR__ . '/sub')`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub name: String,
    /// The path after `__DIR__` without the leading `/` (`src`), empty for `__DIR__` alone.
    pub suffix: String,
}

/// The module registrations of a `registration.php`, found by a plain scan (no PHP parsing):
/// after each `ComponentRegistrar::MODULE`, the first quoted string is the name and the
/// following `__DIR__` (or `dirname(__FILE__)`), optionally `. '/sub'`, the folder.
/// Registrations of other component types (themes, languages, libraries) are ignored.
pub fn scan_registrations(src: &[u8]) -> Vec<Registration> {
    const NEEDLE: &[u8] = b"ComponentRegistrar::MODULE";
    let mut out = Vec::new();
    for start in memchr::memmem::find_iter(src, NEEDLE) {
        let mut rest = &src[start + NEEDLE.len()..];
        let Some((name, after)) = next_quoted(rest) else {
            break;
        };
        rest = after;
        // The directory argument ends at the closing parenthesis of register(...).
        let arg_end = find_call_end(rest);
        let arg = &rest[..arg_end];
        let Some(dir_at) = memchr::memmem::find(arg, b"__DIR__")
            .map(|i| i + "__DIR__".len())
            .or_else(|| memchr::memmem::find(arg, b"__FILE__").map(|i| i + "__FILE__)".len()))
        else {
            continue;
        };
        let tail = arg.get(dir_at..).unwrap_or_default();
        let suffix = next_quoted(tail)
            .filter(|_| tail.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'.'))
            .map(|(s, _)| s.trim_matches('/').to_string())
            .unwrap_or_default();
        out.push(Registration { name, suffix });
    }
    out
}

/// The first `'...'` or `"..."` string in `src`, and what follows it.
fn next_quoted(src: &[u8]) -> Option<(String, &[u8])> {
    let open = src.iter().position(|&b| b == b'\'' || b == b'"')?;
    let quote = src[open];
    let body = &src[open + 1..];
    let close = body.iter().position(|&b| b == quote)?;
    Some((
        String::from_utf8_lossy(&body[..close]).into_owned(),
        &body[close + 1..],
    ))
}

/// Offset of the `)` closing the current call (depth 0), or the end of `src`.
fn find_call_end(src: &[u8]) -> usize {
    let mut depth = 0i32;
    for (i, &b) in src.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' if depth == 0 => return i,
            b')' => depth -= 1,
            b';' => return i,
            _ => {}
        }
    }
    src.len()
}

// ---------------------------------------------------------------------------------------------
// Release

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

impl Release {
    fn unknown() -> Release {
        Release {
            version: None,
            edition: Edition::Unknown,
            source: None,
        }
    }
}

/// The product packages, best first: the package whose version is the release, and the edition
/// it means. `magento/extension-b2b` is not here: it is an add-on to Adobe Commerce with its own
/// version line (1.x), so it only turns the edition into [`Edition::B2b`].
const PRODUCT_PACKAGES: &[(&str, Edition)] = &[
    ("magento/product-enterprise-edition", Edition::Enterprise),
    ("magento/product-community-edition", Edition::Community),
    ("mage-os/product-community-edition", Edition::MageOs),
    ("magento/magento2-ee-base", Edition::Enterprise),
    ("magento/magento2-base", Edition::Community),
    ("mage-os/magento2-base", Edition::MageOs),
];

const B2B_PACKAGE: &str = "magento/extension-b2b";

/// The release of the installation at `root`.
///
/// In order: `composer.lock` (the product metapackage, else `magento2-base`), the installed
/// `vendor/{magento,mage-os}/magento2-base/composer.json`, then the root `composer.json` (a source
/// install `magento/magento2ce`/`magento2ee` with a `version`, or a project requiring a product
/// package at an exact version). A broken file is skipped, never an error. For Mage-OS the version
/// is Mage-OS's own (1.x), not the Magento release it is based on.
pub fn detect_release(root: &Path) -> Release {
    if let Some(r) = from_composer_lock(&root.join("composer.lock")) {
        return r;
    }
    for (dir, edition) in [
        ("vendor/magento/magento2-base", Edition::Community),
        ("vendor/mage-os/magento2-base", Edition::MageOs),
    ] {
        let rel = format!("{dir}/composer.json");
        if let Some(version) = read_json(&root.join(&rel)).and_then(|j| {
            j.get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        }) {
            let edition = if edition == Edition::Community {
                vendor_edition(root)
            } else {
                edition
            };
            return Release {
                version: Some(version),
                edition,
                source: Some(rel),
            };
        }
    }
    from_root_composer_json(&root.join("composer.json")).unwrap_or_else(Release::unknown)
}

/// Edition of a composer install without a lock file, from the installed packages.
fn vendor_edition(root: &Path) -> Edition {
    let vendor = root.join("vendor/magento");
    if vendor.join("magento2-ee-base").is_dir() {
        // B2B modules ship as magento/module-company, module-shared-catalog...; the
        // extension-b2b metapackage itself has no folder.
        if vendor.join("module-company").is_dir() {
            Edition::B2b
        } else {
            Edition::Enterprise
        }
    } else {
        Edition::Community
    }
}

#[derive(serde::Deserialize)]
struct Lock<'a> {
    #[serde(default, borrow)]
    packages: Vec<LockPackage<'a>>,
    #[serde(default, rename = "packages-dev", borrow)]
    packages_dev: Vec<LockPackage<'a>>,
}

#[derive(serde::Deserialize)]
struct LockPackage<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    version: Option<std::borrow::Cow<'a, str>>,
}

fn from_composer_lock(path: &Path) -> Option<Release> {
    let bytes =
        crate::store::fsread::read_capped(path, crate::store::fsread::STORE_FILE_BYTES).ok()?;
    release_from_lock(&bytes)
}

/// The release named by a composer.lock's packages; `None` if it is not JSON or names none.
pub fn release_from_lock(bytes: &[u8]) -> Option<Release> {
    let lock: Lock = serde_json::from_slice(bytes).ok()?;
    let all = || lock.packages.iter().chain(lock.packages_dev.iter());
    let version_of = |name: &str| {
        all()
            .find(|p| p.name == name)
            .map(|p| p.version.as_deref().map(clean_version))
    };
    let b2b = all().any(|p| p.name == B2B_PACKAGE);
    for &(package, edition) in PRODUCT_PACKAGES {
        if let Some(version) = version_of(package) {
            // magento2-base is shared by both editions; ee-base sits beside it in Commerce.
            let edition = match edition {
                Edition::Community if package == "magento/magento2-base" => {
                    if version_of("magento/magento2-ee-base").is_some() {
                        Edition::Enterprise
                    } else {
                        Edition::Community
                    }
                }
                e => e,
            };
            let edition = if b2b && edition == Edition::Enterprise {
                Edition::B2b
            } else {
                edition
            };
            return Some(Release {
                version: version.flatten(),
                edition,
                source: Some(format!("composer.lock ({package})")),
            });
        }
    }
    None
}

/// Composer writes `v2.4.7` for tags with a `v`; Magento's tags have none but be lenient.
fn clean_version(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v
        .strip_prefix('v')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(v);
    (!v.is_empty()).then(|| v.to_string())
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    let bytes =
        crate::store::fsread::read_capped(path, crate::store::fsread::STORE_FILE_BYTES).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn from_root_composer_json(path: &Path) -> Option<Release> {
    let json = read_json(path)?;
    let name = json
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let version = json
        .get("version")
        .and_then(|v| v.as_str())
        .and_then(clean_version);
    let source_edition = match name {
        "magento/magento2ce" => Some(Edition::Community),
        "magento/magento2ee" => Some(Edition::Enterprise),
        "magento/magento2b2b" => Some(Edition::B2b),
        "mage-os/magento2" | "mage-os/mageos" => Some(Edition::MageOs),
        _ => None,
    };
    if let Some(edition) = source_edition {
        return Some(Release {
            version,
            edition,
            source: Some(format!("composer.json ({name})")),
        });
    }
    // A project (magento/project-community-edition or a renamed one) requiring a product package.
    let require = json.get("require").and_then(|v| v.as_object())?;
    let b2b = require.contains_key(B2B_PACKAGE);
    for &(package, edition) in PRODUCT_PACKAGES {
        if let Some(constraint) = require.get(package).and_then(|v| v.as_str()) {
            let edition = if b2b && edition == Edition::Enterprise {
                Edition::B2b
            } else {
                edition
            };
            return Some(Release {
                version: exact_version(constraint),
                edition,
                source: Some(format!("composer.json (requires {package} {constraint})")),
            });
        }
    }
    None
}

/// `2.4.7`, `2.4.7-p3`, `=2.4.7`, `v2.4.7` are exact; `^2.4`, `2.4.*`, `>=2.4.7`, `2.4.7 || 2.4.8`
/// are not.
fn exact_version(constraint: &str) -> Option<String> {
    let c = constraint.trim();
    let c = c
        .strip_prefix("==")
        .or_else(|| c.strip_prefix('='))
        .unwrap_or(c)
        .trim();
    let v = clean_version(c)?;
    let (core, pre) = match v.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (v.as_str(), None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = (2..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let pre_ok = pre
        .is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'));
    (numeric && pre_ok).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_xml_name_is_read() {
        let xml = r#"<?xml version="1.0"?>
<!-- comment -->
<config xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="urn:magento:framework:Module/etc/module.xsd">
    <module name="Magento_Catalog" >
        <sequence><module name="Magento_Store"/></sequence>
    </module>
</config>"#;
        assert_eq!(
            parse_module_xml_name(xml).as_deref(),
            Some("Magento_Catalog")
        );
        assert_eq!(parse_module_xml_name("<config/>"), None);
        assert_eq!(
            parse_module_xml_name("<config><module name=''/></config>"),
            None
        );
        assert_eq!(parse_module_xml_name("not xml"), None);
    }

    #[test]
    fn registrations_are_scanned() {
        let php = br#"<?php
use Magento\Framework\Component\ComponentRegistrar;
ComponentRegistrar::register(ComponentRegistrar::MODULE, 'Vendor_Mod', __DIR__ . '/src');
"#;
        assert_eq!(
            scan_registrations(php),
            vec![Registration {
                name: "Vendor_Mod".into(),
                suffix: "src".into()
            }]
        );
        let php = br#"<?php
\Magento\Framework\Component\ComponentRegistrar::register(
    \Magento\Framework\Component\ComponentRegistrar::MODULE,
    "Magento_TwoFactorAuth",
    __DIR__
);"#;
        assert_eq!(
            scan_registrations(php),
            vec![Registration {
                name: "Magento_TwoFactorAuth".into(),
                suffix: String::new()
            }]
        );
        let php = b"<?php ComponentRegistrar::register(ComponentRegistrar::MODULE, 'A_B', dirname(__FILE__) . \"/module/\");";
        assert_eq!(scan_registrations(php)[0].suffix, "module");
        // themes, libraries and languages are not modules
        let php = b"<?php ComponentRegistrar::register(ComponentRegistrar::THEME, 'frontend/Magento/luma', __DIR__);\nComponentRegistrar::register(ComponentRegistrar::LIBRARY, 'magento/framework', __DIR__);";
        assert!(scan_registrations(php).is_empty());
        // unterminated: no panic
        assert!(scan_registrations(b"ComponentRegistrar::MODULE, 'X").is_empty());
        assert!(scan_registrations(b"ComponentRegistrar::MODULE").is_empty());
    }

    #[test]
    fn exact_versions() {
        assert_eq!(exact_version("2.4.7").as_deref(), Some("2.4.7"));
        assert_eq!(exact_version("2.4.7-p3").as_deref(), Some("2.4.7-p3"));
        assert_eq!(exact_version("=2.4.6").as_deref(), Some("2.4.6"));
        assert_eq!(
            exact_version("v2.4.8-beta1").as_deref(),
            Some("2.4.8-beta1")
        );
        for c in [
            "^2.4.7",
            "~2.4",
            "2.4.*",
            ">=2.4.7",
            "2.4.7 || 2.4.8",
            "dev-main",
            "*",
            "",
        ] {
            assert_eq!(exact_version(c), None, "{c}");
        }
    }

    #[test]
    fn lock_editions() {
        let lock = |pkgs: &[(&str, &str)]| {
            let p: Vec<String> = pkgs
                .iter()
                .map(|(n, v)| {
                    format!(r#"{{"name":"{n}","version":"{v}","require":{{"x/y":"1"}}}}"#)
                })
                .collect();
            format!(
                r#"{{"_readme":["x"],"packages":[{}],"packages-dev":[]}}"#,
                p.join(",")
            )
        };
        let r = release_from_lock(
            lock(&[
                ("magento/magento2-base", "2.4.7-p3"),
                ("magento/product-community-edition", "2.4.7-p3"),
            ])
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (r.version.as_deref(), r.edition),
            (Some("2.4.7-p3"), Edition::Community)
        );
        assert_eq!(
            r.source.as_deref(),
            Some("composer.lock (magento/product-community-edition)")
        );

        let r = release_from_lock(
            lock(&[
                ("magento/product-enterprise-edition", "2.4.6-p8"),
                ("magento/extension-b2b", "1.4.2-p3"),
            ])
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (r.version.as_deref(), r.edition),
            (Some("2.4.6-p8"), Edition::B2b)
        );

        let r = release_from_lock(
            lock(&[
                ("magento/magento2-base", "2.4.5"),
                ("magento/magento2-ee-base", "2.4.5"),
            ])
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (r.version.as_deref(), r.edition),
            (Some("2.4.5"), Edition::Enterprise)
        );

        assert!(release_from_lock(lock(&[("symfony/console", "v6.4.1")]).as_bytes()).is_none());
        assert!(release_from_lock(b"{\"packages\": [").is_none());
        assert!(release_from_lock(b"").is_none());
        assert!(release_from_lock(b"[]").is_none());
    }
}
