//! `kp directory`: the operator's view of a key package directory
//! (keypackage-directory) on SQLite or PostgreSQL: publish key packages for
//! an owner, claim one, count, prune.
//!
//! Output formats and exit codes are documented (and kept stable) in this
//! crate's README. The clock is the system's unless `--now` gives one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use keypackage_core::traits::CipherSuite;
use keypackage_core::traits::OpenMlsCrypto;
use keypackage_directory::{
    BasicIdentityPolicy, Claim, Clock, Directory, DirectoryError, ManualClock, Published,
    SystemClock, open_store,
};

use crate::backend::{Backend, parse_suite};
use crate::cli::InputLimit;
use crate::error::{CliError, EXIT_INVALID};
use crate::input::{self, Item, Reader};
use crate::output::Output;
use crate::with_crypto;

/// Items published per call of the directory: well inside its upload limits
/// (10,000 items, 16 MiB), and the memory `publish` holds at once.
const PUBLISH_BATCH: usize = 1000;

/// The environment variable that names the default directory database.
pub(crate) const DIRECTORY_ENV: &str = "KP_DIRECTORY";

/// Arguments of `kp directory`.
#[derive(Debug, Args)]
pub(crate) struct DirectoryArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DirectoryCommand,
    /// The directory database: `sqlite:PATH` or `postgres://user@host:port/db`
    /// [default: $KP_DIRECTORY, else sqlite:$XDG_DATA_HOME/keypackage/directory.sqlite,
    /// else sqlite:~/.local/share/keypackage/directory.sqlite].
    #[arg(long, value_name = "URL", global = true)]
    pub database: Option<String>,
    /// The time, Unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX", global = true)]
    pub now: Option<u64>,
}

/// `kp directory` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DirectoryCommand {
    /// Validate key packages and store them for OWNER: one line per input,
    /// `stored <ref>`, `already-stored <ref>` or `refused <ID> <location>: <reason>`.
    /// A key package's basic credential must name OWNER.
    Publish {
        /// The owner (the client identity): must be the basic credential's identity.
        #[arg(long, value_name = "O")]
        owner: String,
        /// Input file; `-` or none for stdin. One key package per line (hex
        /// or base64, bare or MLSMessage), or one raw binary key package.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// Crypto backend that validates.
        #[arg(long, short = 'b', value_enum, default_value_t = Backend::Rustcrypto)]
        backend: Backend,
        /// The input size limit.
        #[command(flatten)]
        limit: InputLimit,
    },
    /// Hand out one key package of OWNER in the suite: prints it in hex
    /// (exit 1 if there is none). A normal key package is handed out once;
    /// the last resort only when nothing else is left.
    Claim {
        /// The owner.
        #[arg(long, value_name = "O")]
        owner: String,
        /// Cipher suite: 1-7 (or 0x0001, or the RFC 9420 name).
        #[arg(long = "ciphersuite", short = 'c', value_name = "N", value_parser = parse_suite)]
        cipher_suite: CipherSuite,
        /// Who claims (the unit of rate limiting).
        #[arg(long, value_name = "R", default_value = "kp")]
        requester: String,
    },
    /// Unexpired key packages by suite: `suite <n> available <a> last-resort <l>`.
    Count {
        /// Only this owner's [default: every owner's].
        #[arg(long, value_name = "O")]
        owner: Option<String>,
    },
    /// Remove expired key packages and ended rate-limit windows.
    Prune,
}

fn non_empty_env(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The database URL: the flag, the environment variable, or the per-user
/// default SQLite file (its directory created, mode 0700).
fn database_url(flag: Option<&str>) -> Result<String, CliError> {
    if let Some(url) = flag {
        return Ok(url.to_owned());
    }
    if let Some(url) = non_empty_env(DIRECTORY_ENV) {
        return url
            .into_string()
            .map_err(|_| CliError::usage(format!("{DIRECTORY_ENV} is not UTF-8")));
    }
    let data_home = match non_empty_env("XDG_DATA_HOME") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        _ => match non_empty_env("HOME") {
            Some(home) => PathBuf::from(home).join(".local").join("share"),
            None => {
                return Err(CliError::usage(format!(
                    "no directory database: set HOME, XDG_DATA_HOME or {DIRECTORY_ENV}, or give --database URL"
                )));
            }
        },
    };
    let dir = data_home.join("keypackage");
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| CliError::io("cannot create directory", Some(&dir), &e))?;
    }
    let path = dir.join("directory.sqlite");
    path.to_str()
        .map(|p| format!("sqlite:{p}"))
        .ok_or_else(|| CliError::usage(format!("{} is not UTF-8", path.display())))
}

fn directory_error(error: &DirectoryError) -> CliError {
    match error {
        DirectoryError::InvalidName { .. } | DirectoryError::TooManyOwners { .. } => {
            CliError::usage(error.to_string())
        }
        DirectoryError::Store(_) => CliError::store(format!("directory: {error}")),
        _ => CliError::internal(format!("directory: {error}")),
    }
}

/// Runs `kp directory …`.
pub(crate) fn run(args: &DirectoryArgs) -> Result<ExitCode, CliError> {
    // Open the input before touching the database.
    let reader = match &args.command {
        DirectoryCommand::Publish { file, limit, .. } => {
            Some(Reader::open(file.as_deref(), limit.max_input_bytes)?)
        }
        _ => None,
    };
    let url = database_url(args.database.as_deref())?;
    let clock: Arc<dyn Clock> = match args.now {
        Some(now) => Arc::new(ManualClock::new(now)),
        None => Arc::new(SystemClock),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("async runtime: {e}")))?;
    runtime.block_on(async move {
        let store = open_store(&url)
            .await
            .map_err(|e| CliError::store(format!("directory {url}: {e}")))?;
        let directory = Directory::new(store, clock);
        match &args.command {
            DirectoryCommand::Publish { owner, backend, .. } => {
                let Some(reader) = reader else {
                    return Err(CliError::internal("publish without an input"));
                };
                with_crypto!(*backend, crypto => publish(&directory, crypto, owner, reader).await)
            }
            DirectoryCommand::Claim {
                owner,
                cipher_suite,
                requester,
            } => claim(&directory, owner, *cipher_suite, requester).await,
            DirectoryCommand::Count { owner } => count(&directory, owner.as_deref()).await,
            DirectoryCommand::Prune => prune(&directory).await,
        }
    })
}

async fn publish<C: OpenMlsCrypto + 'static>(
    directory: &Directory,
    crypto: C,
    owner: &str,
    mut reader: Reader,
) -> Result<ExitCode, CliError> {
    let policy = Arc::new(BasicIdentityPolicy::new(crypto));
    let mut out = Output::new();
    let mut any_refused = false;
    // The input is read as a stream and published in batches: memory is
    // bounded by a batch, and a slow producer sees its verdicts when the
    // reader would wait. A read error ends the command after the verdicts
    // of the inputs before it.
    loop {
        let mut batch = Vec::new();
        let mut failure = None;
        let mut end = false;
        while batch.len() < PUBLISH_BATCH {
            if !batch.is_empty() && reader.may_wait() {
                break;
            }
            match reader.next_item() {
                Ok(Some(item)) => batch.push(item),
                Ok(None) => {
                    end = true;
                    break;
                }
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        let closed = publish_batch(
            directory,
            &policy,
            owner,
            &batch,
            &mut out,
            &mut any_refused,
        )
        .await?;
        let _ = out.flush()?;
        if let Some(error) = failure {
            return Err(error);
        }
        if end || closed {
            break;
        }
    }
    Ok(if any_refused {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// Publishes one batch and prints its lines; `true` when stdout is closed.
async fn publish_batch<C: OpenMlsCrypto + 'static>(
    directory: &Directory,
    policy: &Arc<BasicIdentityPolicy<C>>,
    owner: &str,
    items: &[Item],
    out: &mut Output,
    any_refused: &mut bool,
) -> Result<bool, CliError> {
    if items.is_empty() {
        return Ok(false);
    }
    // Items that are neither hex nor base64 are refused here (KP-DECODE);
    // the others go to the directory in one upload.
    let mut uploads = Vec::new();
    let mut slots = Vec::with_capacity(items.len());
    for item in items {
        match &item.content {
            Ok((_, bytes)) => {
                slots.push(Ok(uploads.len()));
                uploads.push(bytes.clone());
            }
            Err(reason) => slots.push(Err(reason.clone())),
        }
    }
    let report = directory
        .publish(policy, owner, uploads)
        .await
        .map_err(|e| directory_error(&e))?;
    for (item, slot) in items.iter().zip(slots) {
        let line = match slot.map(|i| report.outcomes.get(i)) {
            Err(reason) => {
                *any_refused = true;
                format!("refused KP-DECODE {}: {reason}", item.location())
            }
            Ok(Some(Published::Stored(reference))) => format!("stored {}", hex::encode(reference)),
            Ok(Some(Published::AlreadyStored(reference))) => {
                format!("already-stored {}", hex::encode(reference))
            }
            Ok(Some(Published::Refused(refusal))) => {
                *any_refused = true;
                let text = refusal.to_string();
                let reason = input::strip_rule(&text, refusal.id());
                format!("refused {} {}: {reason}", refusal.id(), item.location())
            }
            Ok(None) => return Err(CliError::internal("an upload item has no outcome")),
        };
        if out.line(&line)?.is_err() {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn claim(
    directory: &Directory,
    owner: &str,
    suite: CipherSuite,
    requester: &str,
) -> Result<ExitCode, CliError> {
    let claim = directory
        .claim(owner, suite, requester)
        .await
        .map_err(|e| directory_error(&e))?;
    let key_package = match &claim {
        Claim::KeyPackage(kp) => kp,
        Claim::LastResort(kp) => {
            eprintln!("kp: {owner}: no key package left, handing out the last resort");
            kp
        }
        Claim::Empty => {
            eprintln!("kp: {owner}: no key package of suite {}", suite.0);
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        Claim::RateLimited { retry_after } => {
            eprintln!("kp: {owner}: rate limited for {requester}, retry in {retry_after} s");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let mut out = Output::new();
    let _ = out.line(&hex::encode(&key_package.key_package))?;
    let _ = out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn count(directory: &Directory, owner: Option<&str>) -> Result<ExitCode, CliError> {
    let counts = match owner {
        Some(owner) => directory.count(owner).await,
        None => directory.count_all().await,
    }
    .map_err(|e| directory_error(&e))?;
    let lines: Vec<String> = counts
        .iter()
        .map(|c| {
            format!(
                "suite {} available {} last-resort {}",
                c.cipher_suite.0, c.available, c.last_resort
            )
        })
        .collect();
    crate::output::print_lines(&lines)?;
    Ok(ExitCode::SUCCESS)
}

async fn prune(directory: &Directory) -> Result<ExitCode, CliError> {
    let pruned = directory.prune().await.map_err(|e| directory_error(&e))?;
    crate::output::print_lines(&[
        format!("expired {}", pruned.expired),
        format!("claimed {}", pruned.claimed),
        format!("rate-counters {}", pruned.rate_counters),
    ])?;
    Ok(ExitCode::SUCCESS)
}
