//! The `teapot` binary: argument parsing, output and exit codes only.
//!
//! # Layout
//!
//! - `main.rs`: the command line ([`Cli`]) and the exit-code policy.
//! - `registry.rs`: `explain` and `list`, rendered for people or as JSON.
//! - `check.rs`: `check` arguments, report and exit status.
//! - `serve.rs`: `serve` flags, logging, runtime and signals.
//! - `style.rs`: the colour decision and the few escapes used.
//!
//! Exit codes: 0 success, 1 findings (for `check`), 2 bad usage or a query
//! that names nothing. Errors print on one line as `error: …`.

mod check;
mod grade;
mod log;
mod registry;
mod serve;
mod style;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::style::ColorChoice;

/// The status-code server, registry and checker.
#[derive(Debug, Parser)]
#[command(name = "teapot", version, about, max_term_width = 80)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// When to colour the output: auto (on a terminal, unless NO_COLOR is
    /// set or TERM=dumb), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain one status code, a class such as 4xx, or every code whose name
    /// or summary contains the given words.
    Explain {
        /// A code (418), a class (4xx) or words to search for (gateway).
        #[arg(value_name = "CODE|CLASS|WORDS", required = true, num_args = 1..)]
        query: Vec<String>,

        /// Print JSON: an object for a code, an array for a class or search.
        #[arg(long)]
        json: bool,
    },
    /// List every code in the registry, grouped by class.
    List {
        /// Print a JSON array of every entry instead.
        #[arg(long)]
        json: bool,

        /// Only the codes of the supported table (leave out 103, 418, 421,
        /// 425 and 451).
        #[arg(long)]
        table: bool,
    },
    /// Invoke a URL and report every place where the response breaks the
    /// rules for its status. Exit 0 when clean, 1 on MUST findings (any
    /// finding with --strict), 2 when the check could not run.
    Check(check::CheckArgs),
    /// Grade an HTTP client: run it once per scenario (a code that asks
    /// something of the client) and print its report card. Exit 0 when
    /// nothing fails, 1 when something does, 2 when the grade could not run.
    Grade(grade::GradeArgs),
    /// Run the status-code server (until SIGINT or SIGTERM): HTTP/1.1, and
    /// HTTP/2 by prior knowledge or Upgrade: h2c; with TLS, HTTP/2 or
    /// HTTP/1.1 by ALPN.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let color = cli.color.resolve();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Explain { query, json } => {
            let query = query.join(" ");
            registry::explain(&mut out, &query, json, color)?;
        }
        Command::List { json, table } => registry::list(&mut out, json, table, color)?,
        Command::Serve(args) => serve::serve(args)?,
        Command::Check(args) => {
            let code = check::check(&mut out, args, color)?;
            out.flush()?;
            return Ok(ExitCode::from(code));
        }
        Command::Grade(args) => {
            let code = grade::grade(&mut out, args, color)?;
            out.flush()?;
            return Ok(ExitCode::from(code));
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A closed pipe (`teapot list | head`) is not an error worth reporting.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
