//! File permissions of the store: the parallel, link-safe walk ([`walk`]), user and group
//! names ([`users`]), and who the web server runs as ([`webuser`]). The rules are
//! [`crate::magento::perms`]; the check is `crate::checks::file_perms`; changes are
//! `crate::fix::perms`.

pub mod users;
pub mod walk;
pub mod webuser;

pub use walk::{EntryKind, Meta, Seen, WalkError, WalkOptions, WalkReport, open_dir};
