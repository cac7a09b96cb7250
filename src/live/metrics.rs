//! A tiny HTTP/1.1 server for `logs:watch`: `GET /metrics` answers the Prometheus text the
//! callback renders; anything else 404. One thread, one request per connection, a read
//! timeout so a stuck client cannot hold it.
//!
//! Hand-written on `std::net`: Prometheus scrapes one URL every few seconds; an HTTP server
//! crate (hyper, tiny_http) would bring an async runtime or a thread pool for that.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// Bind `addr` (`127.0.0.1:9401`, `[::1]:0`…).
pub fn bind(addr: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
}

/// Serve `render()` at `/metrics` until the process ends (on a thread of its own).
pub fn serve(
    listener: TcpListener,
    render: impl Fn() -> String + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("m2auth-metrics".into())
        .spawn(move || {
            for s in listener.incoming().flatten() {
                let _ = answer(s, &render);
            }
        })
        .map(|_| ())
}

fn answer(mut s: TcpStream, render: &dyn Fn() -> String) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 << 10 {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let first = head.split(|c| *c == b'\n').next().unwrap_or(b"");
    let first = String::from_utf8_lossy(first);
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, ctype, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            render(),
        ),
        ("GET" | "HEAD", "/") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "m2auth logs:watch: metrics at /metrics\n".to_string(),
        ),
        _ => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found\n".to_string(),
        ),
    };
    let mut resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        resp.extend_from_slice(body.as_bytes());
    }
    s.write_all(&resp)?;
    s.flush()
}
