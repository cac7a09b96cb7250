//! m2auth: finds out why a Magento 2 store answers 401 Unauthorized, proves it, and fixes it.
//!
//! The modules follow one diagnosis: [`store`] reads the installation (files, database),
//! [`magento`] understands it the way Magento does (pure knowledge, no I/O), [`context`] loads
//! what every later layer looks at once (installation, database, configuration, request),
//! [`checks`] diagnose, [`report`] renders, [`fix`] repairs (journaled). [`app`] is the front
//! door: one function per
//! command that runs that flow from a validated config and returns the rendered result and exit
//! status. [`findings`] is the catalogue every check reports in.

pub mod app;
pub mod checks;
pub mod context;
pub mod error;
pub mod findings;
pub mod fix;
mod layering;
pub mod live;
pub mod magento;
pub mod mask;
pub mod progress;
pub mod random;
pub mod report;
pub mod request;
pub mod store;

pub use error::{Error, Result};
