//! The command line: parse, load the store, run the command, render, write through the masker.
//! Exit codes: 0 nothing wrong / done, 1 problems found, 2 usage error or failure to run.

mod args;

use std::io::Write;

use anyhow::Context as _;
use clap::Parser;

use args::{Cli, Command, FormatArg};
use m2auth::checks::{self, Context, LoadOptions};
use m2auth::mask::Masker;
use m2auth::report::{self, style::Style};
use m2auth::request::RequestSpec;
use m2auth::store::envphp::ProcessEnv;
use m2auth::store::root::find_root;

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("m2auth: {}", msg.join(": ").replace('\n', " "));
            2
        }
    }
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
    let (text, code) = match &cli.command {
        Command::Info => {
            let info = report::info::gather(&ctx, &choice);
            let text = if json {
                pretty(&info)?
            } else {
                report::info::to_text(&info, &style)
            };
            (text, 0)
        }
        Command::Diagnose(_) | Command::Audit => {
            let (d, title) = match &cli.command {
                Command::Audit => (checks::audit(&ctx), "audit"),
                _ => (checks::diagnose(&ctx), "diagnose"),
            };
            let code = if d.root_cause().is_some() { 1 } else { 0 };
            let text = if json {
                pretty(&report::diagnosis::to_json(&ctx, &d))?
            } else {
                report::diagnosis::to_text(&ctx, &d, title, &style)
            };
            (text, code)
        }
    };
    emit(&ctx.masker, &text)?;
    Ok(code)
}

fn pretty<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

/// Write to stdout through the masker; a closed pipe (`| head`) is not an error.
fn emit(masker: &Masker, text: &str) -> anyhow::Result<()> {
    let out = masker.scrub(text);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
