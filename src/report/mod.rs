//! REPORT: renderers for findings and command results. Renderers never decide; checks never
//! print. Every renderer returns a `String`; the CLI scrubs it through the run's
//! [`crate::mask::Masker`] before writing.

pub mod acl;
pub mod diagnosis;
pub mod info;
pub mod live;
pub mod style;
pub mod token;
