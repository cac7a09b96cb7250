//! UNDERSTAND: pure Magento knowledge, no I/O.

pub mod acl;
pub mod cryptkey;
pub mod defaults;
pub mod release;
