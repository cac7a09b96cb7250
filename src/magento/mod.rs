//! UNDERSTAND: pure Magento knowledge, no I/O.

pub mod defaults;
