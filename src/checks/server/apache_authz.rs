//! Apache access control for the local client: `Require` (and `<RequireAll|Any|None>` blocks)
//! evaluated as mod_authz_core does, the variables `Require env` sees on each pass ([`Env`]),
//! the old mod_access_compat `Order`/`Allow`/`Deny`, and which address specs cover 127.0.0.1 /
//! ::1. Used by [`super::apache`] (which re-exports [`Env`]) and by `super::nginx`
//! ([`loopback_matches`]).

use crate::store::server::Node;
use crate::store::server::apache::{self as ap, Level, Scoped};

/// Environment variables for `Require env`: those known to be set for the pass, and those some
/// directive m2auth does not evaluate may set (taken as set).
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub set: std::collections::HashSet<String>,
    pub maybe: std::collections::HashSet<String>,
    /// Judge `Require ip`/`host` for a client whose address is unknown (taken as listed).
    pub any_client: bool,
}

/// The variables `SetEnvIf[NoCase] Request_URI` sets for a pass: server and vhost level ones
/// run once, on the original request (`original`), and an internal redirect sees them renamed
/// `REDIRECT_NAME`; those in sections run on each pass's own URI (`uri`). Variables set in any
/// other way (SetEnv, other attributes, RewriteRule E=) are "maybe" set.
pub(super) fn pass_env(scope: &[Scoped<'_>], original: &str, uri: &str, redirected: bool) -> Env {
    let mut env = Env::default();
    for s in scope {
        let n = s.node;
        let names = |from: usize| -> Vec<String> {
            n.args
                .iter()
                .skip(from)
                .filter(|a| !a.starts_with('!'))
                .map(|a| a.split('=').next().unwrap_or("").to_string())
                .filter(|a| !a.is_empty())
                .collect()
        };
        if n.is("SetEnvIf") || n.is("SetEnvIfNoCase") || n.is("SetEnvIfExpr") {
            let server_level = matches!(s.level, Level::Server | Level::Vhost);
            let request_uri = n.is("SetEnvIf") || n.is("SetEnvIfNoCase");
            let request_uri = request_uri
                && n.arg(0)
                    .is_some_and(|a| a.eq_ignore_ascii_case("Request_URI"));
            if !request_uri {
                for v in names(if n.is("SetEnvIfExpr") { 1 } else { 2 }) {
                    env.maybe.insert(v.clone());
                    env.maybe.insert(format!("REDIRECT_{v}"));
                }
                continue;
            }
            let (text, prefix) = if server_level {
                (original, if redirected { "REDIRECT_" } else { "" })
            } else {
                (uri, "")
            };
            let pat = n.arg(1).unwrap_or("");
            let pat = if n.is("SetEnvIfNoCase") {
                format!("(?i){pat}")
            } else {
                pat.to_string()
            };
            if ap::regex_matches(&pat, text) {
                for v in names(2) {
                    env.set.insert(format!("{prefix}{v}"));
                }
            }
        } else if n.is("SetEnv") {
            if let Some(v) = n.arg(0) {
                env.set.insert(v.to_string());
                env.set.insert(format!("REDIRECT_{v}"));
            }
        } else if n.is("RewriteRule") {
            for a in &n.args {
                for flag in a.trim_matches(['[', ']']).split(',') {
                    if let Some(v) = flag
                        .strip_prefix("E=")
                        .or_else(|| flag.strip_prefix("env="))
                    {
                        let v = v.split(':').next().unwrap_or("");
                        env.maybe.insert(v.to_string());
                        env.maybe.insert(format!("REDIRECT_{v}"));
                    }
                }
            }
        }
    }
    env
}

/// What one `Require` says for the local client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Granted,
    Denied,
    /// Needs a logged-in user (valid-user, user, group).
    Auth,
}

pub(super) fn require_verdict(n: &Node, env: &Env) -> Verdict {
    let args: Vec<String> = n.args.iter().map(|a| a.to_ascii_lowercase()).collect();
    let (neg, args) = match args.split_first() {
        Some((first, rest)) if first == "not" => (true, rest.to_vec()),
        _ => (false, args),
    };
    if env.any_client && matches!(args.first().map(String::as_str), Some("ip" | "host")) {
        return Verdict::Granted;
    }
    let v = match args.first().map(String::as_str) {
        Some("all") => {
            if args.get(1).map(String::as_str) == Some("granted") {
                Verdict::Granted
            } else {
                Verdict::Denied
            }
        }
        Some("ip") => {
            if args[1..].iter().any(|a| loopback_matches(a)) {
                Verdict::Granted
            } else {
                Verdict::Denied
            }
        }
        Some("host") => {
            if args[1..].iter().any(|a| a == "localhost") {
                Verdict::Granted
            } else {
                Verdict::Denied
            }
        }
        Some("local") => Verdict::Granted,
        Some("env") => {
            let names = &n.args[n.args.len() - (args.len() - 1)..];
            if names
                .iter()
                .any(|v| env.set.contains(v) || env.maybe.contains(v))
            {
                Verdict::Granted
            } else {
                Verdict::Denied
            }
        }
        Some("valid-user" | "user" | "group" | "ldap-user" | "ldap-group" | "file-group") => {
            Verdict::Auth
        }
        // env, expr, method…: not evaluated; taken as granting.
        _ => Verdict::Granted,
    };
    match (neg, v) {
        (true, Verdict::Granted) => Verdict::Denied,
        (true, Verdict::Denied) => Verdict::Granted,
        (_, v) => v,
    }
}

/// Whether an address spec (`127.0.0.1`, `127.0`, `127.0.0.0/8`, `::1`, `all`) covers the
/// local client.
pub fn loopback_matches(spec: &str) -> bool {
    let s = spec.trim().to_ascii_lowercase();
    if s == "all" || s == "::1" || s == "localhost" || s == "127.0.0.1" {
        return true;
    }
    if let Some((net, bits)) = s.split_once('/') {
        let (Ok(net), Ok(bits)) = (net.parse::<std::net::Ipv4Addr>(), bits.parse::<u32>()) else {
            return s.starts_with("::1");
        };
        if bits > 32 {
            return false;
        }
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        return u32::from(net) & mask == u32::from(std::net::Ipv4Addr::LOCALHOST) & mask;
    }
    // Partial addresses: `127`, `127.0`, `127.0.0`.
    let parts: Vec<&str> = s.trim_end_matches('.').split('.').collect();
    let local = ["127", "0", "0", "1"];
    parts.len() < 4 && parts.iter().zip(local).all(|(a, b)| *a == b)
}

pub(super) fn block_verdict(n: &Node, env: &Env) -> Verdict {
    let items: Vec<Verdict> = n
        .children()
        .iter()
        .filter(|c| c.is("Require") || ap::is_require_block(c))
        .map(|c| {
            if c.block.is_some() {
                block_verdict(c, env)
            } else {
                require_verdict(c, env)
            }
        })
        .collect();
    combine(&n.name.to_ascii_lowercase(), &items)
}

pub(super) fn combine(kind: &str, items: &[Verdict]) -> Verdict {
    match kind {
        "requireall" => {
            if items.contains(&Verdict::Denied) {
                Verdict::Denied
            } else if items.contains(&Verdict::Auth) {
                Verdict::Auth
            } else {
                Verdict::Granted
            }
        }
        "requirenone" => {
            if items.contains(&Verdict::Granted) {
                Verdict::Denied
            } else {
                Verdict::Granted
            }
        }
        _ => {
            if items.contains(&Verdict::Granted) {
                Verdict::Granted
            } else if items.contains(&Verdict::Auth) {
                Verdict::Auth
            } else {
                Verdict::Denied
            }
        }
    }
}

/// The lines of a `Require` or a `<Require…>` block, indented by `indent`.
pub(super) fn require_lines(n: &Node, indent: &str, out: &mut Vec<String>) {
    if n.block.is_some() {
        out.push(format!("{indent}{}", n.text(true)));
        for c in n.children() {
            if c.is("Require") || ap::is_require_block(c) {
                require_lines(c, &format!("{indent}    "), out);
            }
        }
        out.push(format!("{indent}</{}>", n.name));
    } else {
        out.push(format!("{indent}{}", n.text(true)));
    }
}

/// mod_access_compat: whether Order, Deny from, Allow from of the last section that has them
/// let the local client in, and those directives; `None` when there are none.
pub(super) fn compat_verdict<'a, 'b>(
    scope: &'b [Scoped<'a>],
) -> Option<(bool, Vec<&'b Scoped<'a>>)> {
    let compat: Vec<&Scoped<'_>> = scope
        .iter()
        .filter(|s| s.node.is("Order") || s.node.is("Deny") || s.node.is("Allow"))
        .collect();
    let last = compat.last()?;
    let key = last.section.map(|s| s as *const Node);
    let here: Vec<&Scoped<'_>> = compat
        .into_iter()
        .filter(|s| s.section.map(|s| s as *const Node) == key)
        .collect();
    let order = here
        .iter()
        .rev()
        .find(|s| s.node.is("Order"))
        .map(|s| s.node.args.join("").to_ascii_lowercase().replace(' ', ""))
        .unwrap_or_else(|| "deny,allow".into());
    let matches = |name: &str| {
        here.iter().any(|s| {
            s.node.is(name)
                && s.node
                    .arg(0)
                    .is_some_and(|a| a.eq_ignore_ascii_case("from"))
                && s.node.args[1..].iter().any(|a| loopback_matches(a))
        })
    };
    let (allowed, denied) = (matches("Allow"), matches("Deny"));
    let ok = if order.starts_with("allow") {
        allowed && !denied
    } else {
        allowed || !denied
    };
    Some((ok, here))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback() {
        for yes in [
            "127.0.0.1",
            "127.0.0.0/8",
            "127",
            "127.0",
            "::1",
            "all",
            "localhost",
        ] {
            assert!(loopback_matches(yes), "{yes}");
        }
        for no in ["10.0.0.1", "192.168.0.0/16", "10", "128.0.0.0/8"] {
            assert!(!loopback_matches(no), "{no}");
        }
    }
}
