//! The values Magento ships in its modules' `etc/config.xml` for the auth-relevant config paths:
//! what a path means when neither env.php nor `core_config_data` sets it.

/// One shipped default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDefault {
    pub path: &'static str,
    /// `None`: Magento ships no value (the path reads as unset/empty).
    pub value: Option<&'static str>,
    /// Where the value was read, e.g. `Magento_Integration etc/config.xml`.
    pub source: &'static str,
    pub since: Option<&'static str>,
    pub note: &'static str,
}

pub static DEFAULTS: &[ConfigDefault] = &[];

pub fn default_for(path: &str) -> Option<&'static ConfigDefault> {
    DEFAULTS.iter().find(|d| d.path == path)
}
