//! `kp`: the command-line tool for MLS key packages (RFC 9420 §10).
//!
//! Make key packages and keep their private keys (`generate`), read any key
//! package (`inspect`), judge it rule by rule (`validate`), name it (`ref`),
//! look after the key store (`store`), and measure (`speed`). Built on
//! keypackage-core's public API only, with both backends. Every output
//! format and exit status is documented in this crate's README.
//!
//! Errors are one line on stderr, `kp: error: ...`; nothing panics on bad
//! input.

#![forbid(unsafe_code)]

mod backend;
mod cli;
mod directory;
mod error;
mod generate;
mod input;
mod inspect;
mod output;
mod prefetch;
mod progress;
mod read;
mod speed;
mod store;
mod time;
mod x509;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind as ClapErrorKind;

use crate::cli::{Cli, Command, StoreArgs, StoreCommand};
use crate::error::{CliError, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_exit(&error),
    };
    let result = match &cli.command {
        Command::Generate(args) => generate::run(args),
        Command::Inspect(args) => read::run_inspect(args),
        Command::Validate(args) => read::run_validate(args),
        Command::Ref(args) => read::run_ref(args),
        Command::Store(args) => run_store(args),
        Command::Speed(args) => speed::run(args),
        Command::Directory(args) => directory::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("kp: error: {error}");
            error.exit_code()
        }
    }
}

/// Help and version go to stdout (status 0); a usage error becomes one
/// line on stderr (status 2).
fn clap_exit(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ClapErrorKind::DisplayHelp
        | ClapErrorKind::DisplayVersion
        | ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            if error.kind() == ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            eprintln!(
                "kp: error: {} (see kp --help)",
                one_line(&error.render().to_string())
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// clap's message up to its usage block, on one line.
fn one_line(rendered: &str) -> String {
    let text: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty() && !line.starts_with("tip:"))
        .collect();
    let joined = text.join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

/// Runs `kp store list|count|prune`.
fn run_store(args: &StoreArgs) -> Result<ExitCode, CliError> {
    use keypackage_core::traits::KeyStore;

    let path = store::resolve_path(args.keystore.as_deref())?;
    let key_store = store::open_existing(&path)?;
    let lines = match &args.command {
        StoreCommand::List => store::list(&key_store, &path)?,
        StoreCommand::Count { now } => {
            let counts = key_store
                .count(now.unwrap_or_else(time::now))
                .map_err(|e| store::store_error(&path, &e))?;
            vec![
                format!("total {}", counts.total),
                format!("unexpired {}", counts.unexpired),
                format!("last-resort {}", counts.last_resort),
                format!("reserved {}", counts.reserved),
                format!("available {}", counts.available()),
            ]
        }
        StoreCommand::Prune { now } => {
            let removed = key_store
                .delete_expired(now.unwrap_or_else(time::now))
                .map_err(|e| store::store_error(&path, &e))?;
            vec![format!("pruned {removed}")]
        }
    };
    output::print_lines(&lines)?;
    Ok(ExitCode::SUCCESS)
}
