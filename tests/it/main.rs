//! m2auth's integration tests, compiled into one test binary (`it`) that links the crate and the
//! lab once: `cargo test --test it` (or `scripts/test --test it NAME_FILTER`). Each former
//! `tests/<area>.rs` binary is a module here, so `scripts/test --test it tokens::` runs one area.
//!
//! The tests run as threads of one process: none may change process-wide state (environment
//! variables, the current directory); each gets its own lab database, temp store and servers.

mod lab;

mod acl;
mod acl_check;
mod admin_commands;
mod cli;
mod config;
mod diagnose;
mod dump;
mod envphp;
mod example;
mod fix_own;
mod fleet;
mod graphql_soap;
mod headers;
mod info;
mod journal;
mod json_contract;
mod lab_smoke;
mod live;
mod logins;
mod logs;
mod modules;
mod monitoring;
mod oauth;
mod package;
mod perms;
mod progress;
mod props;
mod real_magento;
mod report_files;
mod routes;
mod scenarios;
mod server_config;
mod server_e2e;
mod server_fix;
mod server_hardening;
mod server_rules;
mod tls;
mod tokens;
mod web_lab;
