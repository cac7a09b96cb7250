//! The values Magento ships in its modules' `etc/config.xml` for the auth-relevant config paths:
//! what a path means when neither env.php nor `core_config_data` sets it.
