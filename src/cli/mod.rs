//! The command line: parse ([`args`]), check the options into a command's config ([`config`]),
//! run it in the library's application layer ([`m2auth::app`]), write its output through the
//! run's masker, map errors to exit codes: 0 nothing wrong / done, 1 problems found or refused,
//! 2 usage error or failure to run (one line on stderr).

mod args;
mod config;
mod help;
mod progress;

use std::io::Write;

use clap::Parser;

use args::Cli;
use m2auth::app::{self, Output};
use m2auth::mask::{self, Masker};

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            eprintln!(
                "m2auth: {}",
                mask::redact_error(&clap_error_line(&e), &Masker::new())
            );
            return 2;
        }
    };
    let early = config::early_masker(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let line = match e.downcast_ref::<app::Error>() {
                // Already masked with the run's secrets.
                Some(app::Error::Refused(why)) => why.clone(),
                _ => mask::redact_error(&error_line(&e), &early),
            };
            eprintln!("m2auth: {line}");
            e.downcast_ref::<app::Error>().map_or(2, app::Error::code)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    if let Some(text) = packaging(&cli.command)? {
        std::io::stdout().lock().write_all(&text)?;
        return Ok(0);
    }
    let output = cli.global.output.clone();
    let outcome = config::build(cli)?.run()?;
    emit(&outcome.masker, outcome.output, output.as_deref())?;
    Ok(outcome.code)
}

/// The hidden packaging commands: completions and the man page, generated from the clap
/// definitions (`scripts/package` installs them).
fn packaging(command: &args::Command) -> anyhow::Result<Option<Vec<u8>>> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    match command {
        args::Command::Completions(a) => {
            clap_complete::generate(a.shell, &mut Cli::command(), "m2auth", &mut out);
        }
        args::Command::Man => clap_mangen::Man::new(Cli::command()).render(&mut out)?,
        _ => return Ok(None),
    }
    Ok(Some(out))
}

/// One line, like every other error: clap's first line, without its usage block (with the names
/// clap lists under it, e.g. the missing `<TOKEN>`), then what clap would suggest (the command or
/// option meant, the possible values) and the help to read.
fn clap_error_line(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    if first.ends_with(':')
        && let Some(next) = lines.next()
    {
        first = format!("{first} {next}");
    }
    let values = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::StyledStr(s)) => vec![s.to_string()],
        Some(ContextValue::StyledStrs(v)) => v.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    };
    let meant: Vec<String> = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .flat_map(values)
    .map(|s| format!("`{s}`"))
    .collect();
    if !meant.is_empty() {
        first = format!("{first}: did you mean {}?", meant.join(" or "));
    }
    let valid = values(ContextKind::ValidValue);
    if !valid.is_empty() {
        first = format!("{first} (possible values: {})", valid.join(", "));
    }
    // "Usage: m2auth diagnose [OPTIONS]" → the help of that command.
    let usage = values(ContextKind::Usage).join(" ");
    let command: String = usage
        .trim()
        .trim_start_matches("Usage:")
        .split_whitespace()
        .take_while(|w| !w.starts_with(['[', '<', '-']))
        .collect::<Vec<_>>()
        .join(" ");
    let command = if command.starts_with("m2auth") {
        command
    } else {
        "m2auth".to_string()
    };
    format!("{first} (see {command} --help)")
}

/// The error and its causes on one line; a cause is added only when the message above it does
/// not already say it.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain().map(|c| c.to_string()) {
        if !line.contains(&cause) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&cause);
        }
    }
    line.replace('\n', " ")
}

/// Write to stdout (or `--output FILE`) through the masker; a closed pipe (`| head`) is not an
/// error.
fn emit(masker: &Masker, out: Output, file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let text = match out {
        Output::Json(mut v) => {
            masker.scrub_json(&mut v);
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Output::Text(t) => masker.scrub(&t),
    };
    if let Some(path) = file {
        return std::fs::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("--output {}: {e}", path.display()));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
