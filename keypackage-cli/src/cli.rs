//! The command line (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use keypackage_core::Ciphersuite;

use crate::backend::{Backend, parse_suite};

const AFTER_HELP: &str = "\
Exit status: 0 success (every input valid); 1 some input invalid or not a key package; \
2 usage, I/O or key-store error.
Output formats are stable and documented in keypackage-cli/README.md.";

const VALIDATE_LONG_ABOUT: &str = "\
Validate key packages: every rule of RFC 9420 §10, named by its rule ID. Prints one line per \
input: `ok <reference-hex>` or `invalid <RULE-ID> <location>: <reason>`.

Credentials are NOT checked: kp validates with AcceptAnyCredential, an explicit choice (RFC 9420 \
§5.3.1 leaves the judgement of a credential to the application). An input that is an MLSMessage \
is also checked for its message version (KP-VER).";

/// kp: make, inspect and validate MLS key packages (RFC 9420 §10).
#[derive(Debug, Parser)]
#[command(name = "kp", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `kp`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create key packages, keep their private keys in the key store, print
    /// them one per line.
    Generate(GenerateArgs),
    /// Decode key packages (hex, base64, raw or MLSMessage: detected) and
    /// print every field.
    Inspect(InspectArgs),
    /// Validate key packages: one line per input, `ok <ref>` or `invalid
    /// <RULE-ID> <reason>`. Credentials are not checked (AcceptAnyCredential).
    #[command(long_about = VALIDATE_LONG_ABOUT)]
    Validate(ValidateArgs),
    /// Print the KeyPackageRef (RFC 9420 §5.2) of each key package, in hex.
    Ref(RefArgs),
    /// List, count or prune the key store.
    Store(StoreArgs),
    /// Measure key package creation and validation (µs per key package).
    Speed(SpeedArgs),
    /// A delivery service's key package directory (SQLite or PostgreSQL):
    /// publish, claim, count, prune.
    Directory(crate::directory::DirectoryArgs),
}

/// Output encodings of `kp generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The bare KeyPackage in lowercase hex, one per line.
    Hex,
    /// The bare KeyPackage in padded standard base64, one per line.
    Base64,
    /// The bare KeyPackage as raw bytes (with --count 1 only).
    Binary,
    /// The KeyPackage wrapped in an MLSMessage (mls10, mls_key_package), in
    /// hex, one per line.
    MlsMessage,
}

fn suite_arg(text: &str) -> Result<Ciphersuite, String> {
    parse_suite(text)
}

/// Arguments of `kp generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Cipher suite: 1-7 (or 0x0001, or the RFC 9420 name).
    #[arg(long, short = 'c', value_name = "N", default_value = "1", value_parser = suite_arg)]
    pub ciphersuite: Ciphersuite,
    /// Crypto backend.
    #[arg(long, short = 'b', value_enum, default_value_t = Backend::Rustcrypto)]
    pub backend: Backend,
    /// Identity of the basic credential [default: $USER, else $LOGNAME, else "kp-user"].
    #[arg(long, short = 'i', value_name = "S")]
    pub identity: Option<String>,
    /// How many key packages.
    #[arg(long, short = 'n', value_name = "K", default_value_t = 1)]
    pub count: usize,
    /// Lifetime in days, from now (not_before is set one hour back for
    /// peers whose clock runs behind).
    #[arg(long, value_name = "DAYS", default_value_t = 84)]
    pub lifetime: u64,
    /// Mark the key packages last resort (extension 0x000a).
    #[arg(long)]
    pub last_resort: bool,
    /// Leave GREASE values out of the capabilities.
    #[arg(long)]
    pub no_grease: bool,
    /// Output encoding.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Hex)]
    pub format: OutputFormat,
    /// Key store file [default: $KP_KEYSTORE, else
    /// $XDG_DATA_HOME/keypackage/keystore.sqlite, else
    /// ~/.local/share/keypackage/keystore.sqlite]. The client's signature
    /// key is kept beside it, in the directory PATH.signature-keys/.
    #[arg(long, value_name = "PATH")]
    pub keystore: Option<PathBuf>,
}

/// Arguments of `kp inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Input file; `-` or none for stdin. One key package per line (hex or
    /// base64), or one raw binary key package.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// One JSON object per key package, one per line.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `kp validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Input file; `-` or none for stdin. One key package per line (hex or
    /// base64), or one raw binary key package.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Require this cipher suite (the group's; KP-GROUP-SUITE).
    #[arg(long, short = 'c', value_name = "N", value_parser = suite_arg)]
    pub ciphersuite: Option<Ciphersuite>,
    /// Validation time, Unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX")]
    pub now: Option<u64>,
    /// Longest lifetime accepted, in days, plus one hour for a backdated
    /// not_before (KP-MAX-LIFETIME); `none` switches the rule off.
    #[arg(long, value_name = "DAYS", default_value = "365", value_parser = max_lifetime_arg)]
    pub max_lifetime: MaxLifetime,
    /// Accept capabilities that list default types (older OpenMLS releases
    /// did): switches KP-NO-DEFAULTS off.
    #[arg(long)]
    pub allow_listed_defaults: bool,
    /// Crypto backend.
    #[arg(long, short = 'b', value_enum, default_value_t = Backend::Rustcrypto)]
    pub backend: Backend,
    /// One JSON object per input, one per line.
    #[arg(long)]
    pub json: bool,
}

/// `--max-lifetime`: days, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxLifetime {
    /// At most this many days plus one hour.
    Days(u64),
    /// No maximum.
    Off,
}

fn max_lifetime_arg(text: &str) -> Result<MaxLifetime, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(MaxLifetime::Off);
    }
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1 day (or `none` to switch the rule off)".to_owned()),
        Ok(days) if days <= 1_000_000 => Ok(MaxLifetime::Days(days)),
        _ => Err("expected a number of days (1 to 1000000) or `none`".to_owned()),
    }
}

/// Arguments of `kp ref`.
#[derive(Debug, Args)]
pub struct RefArgs {
    /// Input file; `-` or none for stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Arguments of `kp store`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StoreCommand,
    /// Key store file (as for `kp generate`).
    #[arg(long, value_name = "PATH", global = true)]
    pub keystore: Option<PathBuf>,
}

/// `kp store` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// One line per stored key package: `<ref-hex> <not_after> [last-resort] [reserved]`.
    List,
    /// Counts: total, unexpired, last-resort, reserved, available.
    Count {
        /// Time for "unexpired", Unix seconds [default: the system clock].
        #[arg(long, value_name = "UNIX")]
        now: Option<u64>,
    },
    /// Delete the expired key packages (not_after < now) that no join holds.
    Prune {
        /// Time for "expired", Unix seconds [default: the system clock].
        #[arg(long, value_name = "UNIX")]
        now: Option<u64>,
    },
}

/// Arguments of `kp speed`.
#[derive(Debug, Args)]
pub struct SpeedArgs {
    /// Cipher suite.
    #[arg(long, short = 'c', value_name = "N", default_value = "1", value_parser = suite_arg)]
    pub ciphersuite: Ciphersuite,
    /// Crypto backend.
    #[arg(long, short = 'b', value_enum, default_value_t = Backend::Rustcrypto)]
    pub backend: Backend,
    /// How many key packages to create and validate.
    #[arg(long, short = 'n', value_name = "K", default_value_t = 1000)]
    pub count: usize,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}
