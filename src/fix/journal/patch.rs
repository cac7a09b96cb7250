//! File patches as the journal keeps them: only the changed lines ([`Hunk`]), never a whole
//! file (a web-server configuration may hold secrets), reversed by undo; and the `sha256:`
//! digest of a file's content that undo compares.

use serde::{Deserialize, Serialize};

/// One changed region of a file: at 1-based `line` (the same in the text before and after, as
/// everything above it is unchanged), the lines `removed` were replaced by the lines `added`
/// (each with its line end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub line: u32,
    #[serde(default)]
    pub removed: Vec<String>,
    #[serde(default)]
    pub added: Vec<String>,
}

/// The patch from `before` to `after`: the region between their common first and last lines.
pub fn make_patch(before: &str, after: &str) -> Vec<Hunk> {
    let b: Vec<&str> = before.split_inclusive('\n').collect();
    let a: Vec<&str> = after.split_inclusive('\n').collect();
    let mut p = 0;
    while p < b.len() && p < a.len() && b[p] == a[p] {
        p += 1;
    }
    if p == b.len() && p == a.len() {
        return Vec::new();
    }
    let mut q = 0;
    while q < b.len() - p && q < a.len() - p && b[b.len() - 1 - q] == a[a.len() - 1 - q] {
        q += 1;
    }
    vec![Hunk {
        line: p as u32 + 1,
        removed: b[p..b.len() - q].iter().map(|l| l.to_string()).collect(),
        added: a[p..a.len() - q].iter().map(|l| l.to_string()).collect(),
    }]
}

/// `current` with the patch reversed: each hunk's added lines (at their line, else found once
/// elsewhere — the file was edited above them) replaced by the removed ones. `None` when the
/// added lines are not there (or not only once).
pub fn reverse_patch(current: &str, patch: &[Hunk]) -> Option<String> {
    let mut lines: Vec<String> = current.split_inclusive('\n').map(str::to_string).collect();
    for h in patch.iter().rev() {
        let n = h.added.len();
        let at = (h.line as usize).checked_sub(1)?;
        let here = |i: usize, lines: &[String]| lines.get(i..i + n).is_some_and(|w| w == h.added);
        let i = if here(at, &lines) {
            at
        } else if n > 0 {
            let found: Vec<usize> = (0..lines.len()).filter(|&i| here(i, &lines)).collect();
            match found.as_slice() {
                [one] => *one,
                _ => return None,
            }
        } else {
            return None;
        };
        lines.splice(i..i + n, h.removed.iter().cloned());
    }
    Some(lines.concat())
}

/// `sha256:<hex>` of a text.
pub fn sha256_text(text: &str) -> String {
    sha256_bytes(text.as_bytes())
}

/// `sha256:<hex>` of bytes.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_hold_only_the_changed_lines_and_reverse() {
        let before =
            "SetEnv DB_PASS s3cret\r\n<Directory /x>\r\n  Require all granted\r\n</Directory>\r\n";
        let after = "SetEnv DB_PASS s3cret\r\n<Directory /x>\r\n    CGIPassAuth On\r\n  Require all granted\r\n</Directory>\r\n";
        let p = make_patch(before, after);
        assert_eq!(
            p,
            vec![Hunk {
                line: 3,
                removed: vec![],
                added: vec!["    CGIPassAuth On\r\n".into()]
            }]
        );
        assert!(!serde_json::to_string(&p).unwrap().contains("s3cret"));
        assert_eq!(reverse_patch(after, &p).as_deref(), Some(before));
        // Edited above and below since: the lines are found and only they are reversed.
        let edited = format!("# new\n{after}# end\n");
        assert_eq!(
            reverse_patch(&edited, &p),
            Some(format!("# new\n{before}# end\n"))
        );
        // Gone: None.
        assert_eq!(reverse_patch(before, &p), None);
        // A changed line (uncommented), no trailing newline.
        let p = make_patch("a\n#x\nb", "a\nx\nb");
        assert_eq!(p[0].removed, vec!["#x\n"]);
        assert_eq!(reverse_patch("a\nx\nb", &p).as_deref(), Some("a\n#x\nb"));
        assert!(make_patch("same", "same").is_empty());
    }
}
