//! Text layout shared by the text reports: the width to fit (the terminal's, 100 columns when
//! piped), word wrap with a hanging indent, shortening in the middle of what cannot wrap (a long
//! path or URL), plurals, and how a fix line is marked (a shell command `$`, SQL `sql>`, a
//! configuration line as it is).

use std::io::IsTerminal;

/// The width a report is laid out for when stdout is not a terminal.
pub const PIPED_WIDTH: usize = 100;
/// Never narrower than this, whatever the terminal says (below it nothing reads well anyway).
const MIN_WIDTH: usize = 60;

/// The columns to fit: `COLUMNS` when set, the terminal's width on a terminal, else
/// [`PIPED_WIDTH`]; at least 60.
pub fn width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n.max(MIN_WIDTH);
    }
    if std::io::stdout().is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
    {
        return usize::from(w).max(MIN_WIDTH);
    }
    PIPED_WIDTH
}

/// The number of columns `s` takes (characters; ANSI colour sequences take none).
pub fn columns(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// `text` shortened to `max` columns by cutting its middle (`/var/www/…/pub/.htaccess`).
pub fn shorten_middle(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max || max < 5 {
        return text.to_string();
    }
    let keep = max - 1;
    let head = keep / 2;
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// Greedy word wrap of `text` (paragraphs kept) to `width` columns; a single word longer than
/// the width is shortened in the middle.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap2(text, width, width)
}

/// [`wrap`] with the first line `first` columns wide and the others `rest`.
fn wrap2(text: &str, first: usize, rest: usize) -> Vec<String> {
    let first = first.max(20);
    let rest = rest.max(20);
    let mut lines: Vec<String> = Vec::new();
    let avail = |lines: &Vec<String>| if lines.is_empty() { first } else { rest };
    for para in text.lines() {
        let mut line = String::new();
        for word in words(para) {
            let w = avail(&lines);
            // A `quoted command` is one word: never broken, never shortened.
            let word = if word.chars().count() > rest.min(w) && !word.contains('`') {
                shorten_middle(&word, rest.min(w))
            } else {
                word.to_string()
            };
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > w {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// The words of a paragraph, a span between backticks (a command, a config line) kept as one.
fn words(para: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for w in para.split_whitespace() {
        if open && let Some(last) = out.last_mut() {
            last.push(' ');
            last.push_str(w);
        } else {
            out.push(w.to_string());
        }
        if w.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    out
}

/// `first` then `text` wrapped to `width`, every later line indented by `indent` spaces: a
/// labelled block such as `evidence db:admin_user  user_id=…`.
pub fn hanging(first: &str, text: &str, indent: usize, width: usize) -> Vec<String> {
    let first_avail = width.saturating_sub(columns(first));
    let rest_avail = width.saturating_sub(indent);
    wrap2(text, first_avail, rest_avail)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{first}{l}")
            } else {
                format!("{}{l}", " ".repeat(indent))
            }
        })
        .collect()
}

/// Every line of `text` longer than `width` wrapped at word boundaries, its continuation lines
/// indented to the value column of a `label    value` line (the first run of two or more
/// spaces after the label), else four more than the line's own indent. Lines holding a command
/// to copy (`$ …`, `sql> …`) are left whole.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        if columns(line) <= width
            || trimmed.starts_with("$ ")
            || trimmed.starts_with("sql> ")
            || trimmed.starts_with("config: ")
        {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let lead = line.len() - trimmed.len();
        let value_col = trimmed
            .find("  ")
            .map(|i| {
                let after = &trimmed[i..];
                lead + i + (after.len() - after.trim_start().len())
            })
            .filter(|&c| c < 40 && c > lead);
        let indent = value_col.unwrap_or(lead + 4);
        let (first, rest) = match value_col {
            Some(c) => line.split_at(c),
            None => line.split_at(lead),
        };
        for l in hanging(first, rest, indent, width) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    if !text.ends_with('\n') {
        out.pop();
    }
    out
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How a fix line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixLine {
    /// A command to run in a shell: `$ bin/magento …`.
    Shell,
    /// SQL to run in the store's database client: `sql> UPDATE …`.
    Sql,
    /// A comment or an explanation: shown as it is.
    Note,
    /// A line to put into a configuration file (a vhost directive, a .htaccess rule).
    Config,
}

/// What kind of line a fix command is.
pub fn fix_line_kind(line: &str) -> FixLine {
    let t = line.trim_start();
    let first = t.split_whitespace().next().unwrap_or("");
    let upper = first.to_ascii_uppercase();
    if t.starts_with('#') {
        return FixLine::Note;
    }
    if matches!(
        upper.as_str(),
        "UPDATE" | "DELETE" | "INSERT" | "SELECT" | "REPLACE" | "ALTER" | "CREATE" | "DROP"
    ) {
        return FixLine::Sql;
    }
    const SHELL: &[&str] = &[
        "bin/magento",
        "php",
        "m2auth",
        "curl",
        "sudo",
        "systemctl",
        "service",
        "apachectl",
        "apache2ctl",
        "a2enmod",
        "a2enconf",
        "nginx",
        "find",
        "chmod",
        "chown",
        "chgrp",
        "rm",
        "mv",
        "cp",
        "mysql",
        "redis-cli",
        "crontab",
        "composer",
        "printf",
        "echo",
        "cd",
    ];
    if SHELL.contains(&first) || first.starts_with("./") {
        return FixLine::Shell;
    }
    FixLine::Config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_shortens() {
        let lines = wrap("aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd", 20);
        assert_eq!(lines, vec!["aaaaaaaaa bbbbbbbbb", "ccccccccc ddddddddd"]);
        let long = "/var/www/magento/vendor/magento/module-catalog/etc/webapi.xml";
        let s = shorten_middle(long, 30);
        assert_eq!(s.chars().count(), 30);
        assert!(
            s.starts_with("/var/www") && s.ends_with("webapi.xml"),
            "{s}"
        );
        for l in wrap(&format!("see {long} now"), 30) {
            assert!(l.chars().count() <= 30, "{l}");
        }
    }

    #[test]
    fn quoted_commands_are_never_broken() {
        let lines = wrap(
            "run `bin/magento cache:clean config` and retry, then `m2auth request --canary` now",
            30,
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("`bin/magento cache:clean config`")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("`m2auth request --canary`")),
            "{lines:?}"
        );
    }

    #[test]
    fn fix_lines_are_told_apart() {
        assert_eq!(
            fix_line_kind("bin/magento cache:clean config"),
            FixLine::Shell
        );
        assert_eq!(
            fix_line_kind("m2auth admin:user:unlock jane"),
            FixLine::Shell
        );
        assert_eq!(
            fix_line_kind("UPDATE admin_user SET is_active = 1 WHERE user_id = 3;"),
            FixLine::Sql
        );
        assert_eq!(fix_line_kind("CGIPassAuth On"), FixLine::Config);
        assert_eq!(
            fix_line_kind("RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]"),
            FixLine::Config
        );
        assert_eq!(fix_line_kind("# or use an integration"), FixLine::Note);
        assert_eq!(plural(1, "error", "errors"), "1 error");
        assert_eq!(plural(2, "error", "errors"), "2 errors");
        assert_eq!(columns("\x1b[1mab\x1b[0m"), 2);
        let fitted = fit(
            "auth mods   AdminAdobeIms off, Customer on, Integration on, JwtUserToken on, Security on\n  $ bin/magento cache:clean config and a very long command line that stays whole\n",
            40,
        );
        let lines: Vec<&str> = fitted.lines().collect();
        assert!(
            lines[0].starts_with("auth mods   AdminAdobeIms"),
            "{fitted}"
        );
        assert!(lines[1].starts_with("            "), "{fitted}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("$ bin/magento") && l.len() > 40),
            "{fitted}"
        );
        assert!(
            lines.iter().all(|l| l.len() <= 40 || l.contains('$')),
            "{fitted}"
        );
    }
}
