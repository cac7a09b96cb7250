//! UNDERSTAND: pure Magento knowledge, no I/O.

pub mod acl;
pub mod cache;
pub mod cryptkey;
pub mod defaults;
pub mod encryptor;
pub mod graphql;
pub mod igbinary;
pub mod jwt;
pub mod oauth1;
pub mod password;
pub mod perms;
pub mod php;
pub mod phpser;
pub mod release;
pub mod routes;
pub mod soap;
pub mod token;
pub mod webapi_security;
