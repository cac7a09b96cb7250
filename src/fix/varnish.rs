//! The Varnish purge `bin/magento cache:clean` / `cache:flush` send (of every type, or with
//! `full_page`) when the full-page cache is Varnish: Magento_CacheInvalidate's
//! `FlushAllCacheObserver` calls `PurgeCache::sendPurgeRequest(['.*'])`, which sends to every
//! env.php `http_cache_hosts` host (port 80 by default)
//!
//! ```text
//! PURGE / HTTP/1.1
//! X-Magento-Tags-Pattern: .*
//! Host: <host>
//! ```
//!
//! through Laminas' socket adapter (10 s timeout), reads the answer, and logs a host that cannot
//! be reached without failing. Tag patterns longer than the header limit (7680 bytes) are sent
//! in batches joined by `|`.
//!
//! Written on a plain TCP stream, not with the project's HTTP client: the request must be the
//! exact bytes Magento sends (no added User-Agent, Accept or Content-Length headers, `Host`
//! without the port), and a Varnish VCL matching on them sees what it sees from Magento.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;

/// `PurgeCache::$maxHeaderSize`: Varnish 6's `http_req_hdr_len` minus a margin.
pub const MAX_HEADER_SIZE: usize = 7680;
/// The socket adapter's timeout.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The pattern of a full purge.
pub const ALL: &str = ".*";

/// What one host answered to one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeResult {
    pub host: String,
    pub port: u16,
    /// The `X-Magento-Tags-Pattern` sent.
    pub pattern: String,
    /// The answer's status line (`HTTP/1.1 200 Purged`).
    pub answer: Option<String>,
    /// Why the host could not be purged (unreachable, timeout).
    pub error: Option<String>,
}

/// `chunkTags`: the tags joined with `|`, split so that no batch exceeds `max` bytes.
pub fn batches(tags: &[String], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut size = 0;
    let mut chunk: Vec<&str> = Vec::new();
    for t in tags {
        if size + t.len() + chunk.len() > max && !chunk.is_empty() {
            out.push(chunk.join("|"));
            chunk.clear();
            size = 0;
        }
        size += t.len();
        chunk.push(t);
    }
    if !chunk.is_empty() {
        out.push(chunk.join("|"));
    }
    out
}

/// The request bytes of one batch to one host.
pub fn request(host: &str, pattern: &str) -> String {
    format!("PURGE / HTTP/1.1\r\nX-Magento-Tags-Pattern: {pattern}\r\nHost: {host}\r\n\r\n")
}

/// Send `tags` to every host; one result per host and batch, errors included (never fatal).
pub fn purge(hosts: &[(String, u16)], tags: &[String]) -> Vec<PurgeResult> {
    let mut out = Vec::new();
    for pattern in batches(tags, MAX_HEADER_SIZE) {
        for (host, port) in hosts {
            let (answer, error) = match send(host, *port, &pattern) {
                Ok(a) => (Some(a), None),
                Err(e) => (None, Some(e)),
            };
            out.push(PurgeResult {
                host: host.clone(),
                port: *port,
                pattern: pattern.clone(),
                answer,
                error,
            });
        }
    }
    out
}

fn send(host: &str, port: u16, pattern: &str) -> Result<String, String> {
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut s = stream.ok_or_else(|| match last {
        Some(e) => format!("cannot connect: {e}"),
        None => format!("{host} has no address"),
    })?;
    let io = |e: std::io::Error| e.to_string();
    s.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    s.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    s.write_all(request(host, pattern).as_bytes()).map_err(io)?;
    // The status line is all that is reported; read until it is complete.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.contains(&b'\n') && buf.len() < 8192 {
        let n = s.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next().unwrap_or("").trim().to_string();
    if line.is_empty() {
        return Err("the connection closed without an answer".into());
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_as_chunk_tags() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(batches(&t(&[ALL]), MAX_HEADER_SIZE), vec![".*"]);
        assert_eq!(batches(&t(&["a", "b", "c"]), 3), vec!["a|b", "c"]);
        assert_eq!(batches(&t(&["aaa", "b"]), 2), vec!["aaa", "b"]);
        assert!(batches(&[], 10).is_empty());
    }

    #[test]
    fn request_bytes() {
        assert_eq!(
            request("varnish", ".*"),
            "PURGE / HTTP/1.1\r\nX-Magento-Tags-Pattern: .*\r\nHost: varnish\r\n\r\n"
        );
    }
}
