//! Web-server configuration the store carries itself: `.htaccess` and `pub/.htaccess`. (Apache
//! vhosts and nginx come with the live-request work.)

use std::path::Path;

/// One `.htaccess` file, as numbered lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Htaccess {
    /// Relative to the Magento root: `pub/.htaccess` or `.htaccess`.
    pub path: String,
    pub lines: Vec<String>,
}

/// The `.htaccess` Apache reads for the store's entry point: `pub/.htaccess` when the document
/// root is `pub/` (env.php `directories/document_root_is_pub`, the 2.4 default setup), else the
/// root `.htaccess`. `None` when that file does not exist (nginx, or a vhost-only setup).
pub fn docroot_htaccess(root: &Path, docroot_is_pub: bool) -> Option<Htaccess> {
    let rel = if docroot_is_pub {
        "pub/.htaccess"
    } else {
        ".htaccess"
    };
    let bytes = std::fs::read(root.join(rel)).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(Htaccess {
        path: rel.to_string(),
        lines: text.lines().map(str::to_string).collect(),
    })
}

/// How an Apache config line passes the Authorization header on to PHP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passthrough {
    /// `RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]` (Magento's stock rule).
    RewriteEnv,
    /// `SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1`.
    SetEnvIf,
    /// `CGIPassAuth On` (Apache 2.4.13+).
    CgiPassAuth,
}

/// Whether a line (comments excluded) passes the header on.
pub fn passthrough(line: &str) -> Option<Passthrough> {
    let l = line.trim();
    if l.starts_with('#') {
        return None;
    }
    let lower = l.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.first().copied() {
        Some("rewriterule") if lower.contains("e=http_authorization:%{http:authorization}") => {
            Some(Passthrough::RewriteEnv)
        }
        Some("setenvif")
            if words.get(1) == Some(&"authorization")
                && lower.contains("http_authorization=$1") =>
        {
            Some(Passthrough::SetEnvIf)
        }
        Some("cgipassauth") if words.get(1) == Some(&"on") => Some(Passthrough::CgiPassAuth),
        _ => None,
    }
}

impl Htaccess {
    /// The 1-based line of the first active passthrough, if any.
    pub fn passthrough_line(&self) -> Option<(u32, Passthrough)> {
        self.lines
            .iter()
            .enumerate()
            .find_map(|(i, l)| passthrough(l).map(|p| (i as u32 + 1, p)))
    }

    /// A commented-out stock rule (`#RewriteRule .* - [E=HTTP_AUTHORIZATION…`): its line.
    pub fn disabled_rule_line(&self) -> Option<u32> {
        self.lines
            .iter()
            .position(|l| {
                let t = l.trim();
                t.starts_with('#')
                    && passthrough(t.trim_start_matches('#')) == Some(Passthrough::RewriteEnv)
            })
            .map(|i| i as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            passthrough("    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]"),
            Some(Passthrough::RewriteEnv)
        );
        assert_eq!(
            passthrough("RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization},L]"),
            Some(Passthrough::RewriteEnv)
        );
        assert_eq!(
            passthrough("##    SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1"),
            None
        );
        assert_eq!(
            passthrough("SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1"),
            Some(Passthrough::SetEnvIf)
        );
        assert_eq!(
            passthrough("CGIPassAuth On"),
            Some(Passthrough::CgiPassAuth)
        );
        assert_eq!(passthrough("RewriteRule .* index.php [L]"), None);
    }
}
