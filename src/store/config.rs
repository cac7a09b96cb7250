//! Store configuration as Magento resolves it: env.php `system` overrides, then
//! `core_config_data` with scope fallback (store → website → default), then the shipped defaults.
