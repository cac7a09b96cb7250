//! Logs: web-server access logs and Magento's own logs, read fast and in bounded memory.
//!
//! * [`access`]: one access-log line → a [`access::Record`] (combined/common/vhost_combined,
//!   nginx `log_format` and Apache `LogFormat` strings, JSON lines);
//! * [`read`]: lines from plain files (in byte ranges) and gzip files (decompressed on a thread
//!   of their own);
//! * [`scan`]: the parallel scan and its [`scan::Aggregate`] (by route, client, user agent, auth
//!   scheme, store, minute; token-endpoint failures);
//! * [`magento`]: Monolog records (multi-line) and `var/report` files tied to authentication;
//! * [`discover`]: where the logs are (vhost `CustomLog` / `access_log`, the usual places,
//!   rotated copies);
//! * [`follow`]: following a file across rename and copytruncate rotations (`logs:watch`);
//! * [`time`]: log timestamps to Unix seconds.

pub mod access;
pub mod discover;
pub mod follow;
pub mod magento;
pub mod read;
pub mod scan;
pub mod time;
