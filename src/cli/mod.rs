//! The command line: parse, load the store, run the command, render, write through the masker.
//! Exit codes: 0 nothing wrong / done, 1 problems found, 2 usage error or failure to run.

mod args;

use std::io::Write;

use anyhow::Context as _;
use clap::Parser;

use args::{Cli, Command, FormatArg};
use m2auth::checks::{self, Context, LoadOptions};
use m2auth::mask::{self, Masker};
use m2auth::report::{self, style::Style};
use m2auth::request::RequestSpec;
use m2auth::store::envphp::ProcessEnv;
use m2auth::store::root::find_root;

/// What the command produced: a JSON document or text, and the exit code.
enum Output {
    Json(serde_json::Value),
    Text(String),
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            // One line, like every other error: clap's first line, without its usage block.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            let first = first.trim().trim_start_matches("error: ");
            eprintln!(
                "m2auth: {} (see m2auth --help)",
                mask::redact_error(first, &Masker::new())
            );
            return 2;
        }
    };
    let early = early_masker(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A cause is printed only when the message above it does not already say it.
            let mut line = String::new();
            for cause in e.chain().map(|c| c.to_string()) {
                if !line.contains(&cause) {
                    if !line.is_empty() {
                        line.push_str(": ");
                    }
                    line.push_str(&cause);
                }
            }
            eprintln!(
                "m2auth: {}",
                mask::redact_error(&line.replace('\n', " "), &early)
            );
            2
        }
    }
}

/// The secrets named on the command line, known before anything is read, for error lines.
fn early_masker(cli: &Cli) -> Masker {
    let mut m = Masker::new();
    if let Command::Diagnose(r) = &cli.command {
        let o = r.options();
        let auth_headers = o.headers.iter().filter(|h| {
            h.to_ascii_lowercase()
                .trim_start()
                .starts_with("authorization")
        });
        for v in o.token.iter().chain(auth_headers).chain(o.oauth.iter()) {
            m.add(v);
            for part in v.split([' ', ',', ':']) {
                m.add(part);
            }
        }
    }
    m
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let g = &cli.global;
    let now = match &g.now {
        Some(s) => Some(
            s.parse::<jiff::Timestamp>()
                .map_err(|e| anyhow::anyhow!("--now {s}: not an RFC 3339 instant ({e})"))?,
        ),
        None => None,
    };
    let request = match &cli.command {
        Command::Diagnose(r) => RequestSpec::from_options(&r.options())?,
        _ => None,
    };
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let root = find_root(g.root.as_deref(), &cwd)?;
    let choice = g.db_choice();
    let ctx = Context::load(LoadOptions {
        root,
        db: choice.clone(),
        now,
        request,
        env: &ProcessEnv,
    })?;
    let style = Style::detect();
    let json = g.format == FormatArg::Json;
    let (out, code) = match &cli.command {
        Command::Info => {
            let info = report::info::gather(&ctx, &choice);
            let out = if json {
                Output::Json(serde_json::to_value(&info)?)
            } else {
                Output::Text(report::info::to_text(&info, &style))
            };
            (out, 0)
        }
        Command::Diagnose(_) | Command::Audit => {
            let (d, title) = match &cli.command {
                Command::Audit => (checks::audit(&ctx), "audit"),
                _ => (checks::diagnose(&ctx), "diagnose"),
            };
            let code = if d.root_cause().is_some() { 1 } else { 0 };
            let out = if json {
                Output::Json(report::diagnosis::to_json(&ctx, &d))
            } else {
                Output::Text(report::diagnosis::to_text(&ctx, &d, title, &style))
            };
            (out, code)
        }
    };
    emit(&ctx.masker, out)?;
    Ok(code)
}

/// Write to stdout through the masker; a closed pipe (`| head`) is not an error.
fn emit(masker: &Masker, out: Output) -> anyhow::Result<()> {
    let text = match out {
        Output::Json(mut v) => {
            masker.scrub_json(&mut v);
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Output::Text(t) => masker.scrub(&t),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
