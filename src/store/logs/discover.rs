//! Where the logs are: the access logs a store's vhost / server block names (`CustomLog`,
//! `access_log`, with the format it names: `LogFormat`, `log_format`), the usual places
//! (/var/log/nginx, /var/log/apache2, /var/log/httpd), Magento's `var/log` and `var/report`, and
//! the rotated copies of each file (`access.log.1`, `access.log.2.gz`, `access.log-20240501`).

use std::path::{Path, PathBuf};

use crate::store::server::{Config, Node, walk};

/// An access log named by the server configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configured {
    pub path: PathBuf,
    /// The format string, when not a built-in `combined`/`common`.
    pub format: Option<String>,
    /// `file:line` of the directive.
    pub source: String,
}

/// The usual access logs, when no configuration names one.
pub const USUAL: &[&str] = &[
    "/var/log/nginx/access.log",
    "/var/log/apache2/access.log",
    "/var/log/apache2/other_vhosts_access.log",
    "/var/log/httpd/access_log",
];

/// Magento's Monolog files.
pub const MAGENTO_LOGS: &[&str] = &[
    "var/log/system.log",
    "var/log/exception.log",
    "var/log/debug.log",
];

/// `var/report` and `var/report/api`.
pub const REPORT_DIRS: &[&str] = &["var/report", "var/report/api"];

fn usable(path: &str) -> bool {
    !(path.is_empty()
        || path == "off"
        || path.starts_with('|')
        || path.starts_with("syslog:")
        || path.contains('$')
        || path == "/dev/null"
        || path.starts_with("/dev/std"))
}

/// nginx: the `access_log` directives in force in the server block (its own, else the http
/// block's), with the `log_format` they name.
pub fn nginx(server: &Node, http: Option<&Node>) -> Vec<Configured> {
    let direct: Vec<&Node> = server
        .children()
        .iter()
        .filter(|n| n.name == "access_log")
        .collect();
    let chosen: Vec<&Node> = if direct.is_empty() {
        http.map(|h| {
            h.children()
                .iter()
                .filter(|n| n.name == "access_log")
                .collect()
        })
        .unwrap_or_default()
    } else {
        direct
    };
    let formats: Vec<&Node> = http
        .map(|h| {
            walk(h.children())
                .into_iter()
                .filter(|n| n.name == "log_format")
                .collect()
        })
        .unwrap_or_default();
    chosen
        .into_iter()
        .filter_map(|n| {
            let path = n.arg(0)?;
            if !usable(path) {
                return None;
            }
            let format = n.arg(1).filter(|f| *f != "combined").and_then(|name| {
                let f = formats.iter().find(|f| f.arg(0) == Some(name))?;
                let parts: Vec<&str> = f
                    .args
                    .iter()
                    .skip(1)
                    .map(String::as_str)
                    .filter(|a| !a.starts_with("escape="))
                    .collect();
                Some(parts.concat())
            });
            Some(Configured {
                path: PathBuf::from(path),
                format,
                source: n.place(),
            })
        })
        .collect()
}

/// Apache: the `CustomLog` directives of the vhost section (or of the main server when the
/// store is served there), with the `LogFormat` nickname resolved. `${APACHE_LOG_DIR}` is
/// Debian's /var/log/apache2.
pub fn apache(config: &Config, vhost: Option<&Node>) -> Vec<Configured> {
    let scope: Vec<&Node> = match vhost {
        Some(v) => v.children().iter().collect(),
        None => config.nodes.iter().collect(),
    };
    let all = walk(&config.nodes);
    let nick = |name: &str| -> Option<String> {
        all.iter()
            .rev()
            .find(|n| n.is("LogFormat") && n.arg(1) == Some(name))
            .and_then(|n| n.arg(0).map(str::to_string))
    };
    scope
        .into_iter()
        .filter(|n| n.is("CustomLog") || n.is("TransferLog"))
        .filter_map(|n| {
            let raw = n.arg(0)?.replace("${APACHE_LOG_DIR}", "/var/log/apache2");
            if !usable(&raw) {
                return None;
            }
            let mut path = PathBuf::from(&raw);
            if path.is_relative()
                && let Some(sr) = &config.server_root
            {
                path = sr.join(path);
            }
            let format = match n.arg(1) {
                None | Some("combined" | "common") => None,
                Some(f) if f.contains('%') => Some(f.to_string()),
                Some(name) => nick(name).filter(|f| {
                    // Apache's own definitions of the built-in nicknames are read as combined.
                    !f.starts_with("%h %l %u %t \\\"%r\\\" %>s %b")
                        && !f.starts_with("%h %l %u %t \"%r\" %>s %b")
                        && !f.starts_with("%h %l %u %t \\\"%r\\\" %>s %O")
                        && !f.starts_with("%h %l %u %t \"%r\" %>s %O")
                        && !f.starts_with("%v:%p %h")
                }),
            };
            Some(Configured {
                path,
                format,
                source: n.place(),
            })
        })
        .collect()
}

/// `path` and its rotated copies that exist: `path`, `path.1`, `path.2.gz`…, `path-20240501`,
/// `path-20240501.gz`, newest first (the live file, then by number, then by name descending).
pub fn rotated(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_path_buf());
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return out;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut numbered: Vec<(u64, PathBuf)> = Vec::new();
    let mut dated: Vec<PathBuf> = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let fname = e.file_name();
        let Some(f) = fname.to_str() else { continue };
        let Some(rest) = f.strip_prefix(name) else {
            continue;
        };
        let core = rest.strip_suffix(".gz").unwrap_or(rest);
        let p = e.path();
        if !p.is_file() {
            continue;
        }
        if let Some(n) = core.strip_prefix('.').and_then(|n| n.parse::<u64>().ok()) {
            numbered.push((n, p));
        } else if let Some(d) = core.strip_prefix('-')
            && !d.is_empty()
            && d.bytes().all(|c| c.is_ascii_digit())
        {
            dated.push(p);
        }
    }
    numbered.sort();
    dated.sort();
    dated.reverse();
    out.extend(numbered.into_iter().map(|(_, p)| p));
    out.extend(dated);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_copies_in_order() {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "access.log",
            "access.log.1",
            "access.log.2.gz",
            "access.log.10.gz",
            "access.log-20240501",
            "access.logx",
            "error.log",
        ] {
            std::fs::write(d.path().join(f), "").unwrap();
        }
        let names: Vec<String> = rotated(&d.path().join("access.log"))
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "access.log",
                "access.log.1",
                "access.log.2.gz",
                "access.log.10.gz",
                "access.log-20240501"
            ]
        );
    }
}
