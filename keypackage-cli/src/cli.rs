//! The command line (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use keypackage_core::traits::CipherSuite;

use crate::backend::{Backend, parse_suite};
use crate::input::{DEFAULT_MAX_INPUT_BYTES, MAX_INPUT_BYTES_CEILING};

const AFTER_HELP: &str = "\
Exit status: 0 success (every input valid); 1 some input invalid or not a key package; \
2 usage, I/O or key-store error.
Output formats are stable and documented in keypackage-cli/README.md.";

const VALIDATE_LONG_ABOUT: &str = "\
Validate key packages: every rule of RFC 9420 §10, named by its rule ID. Prints one line per \
input: `ok <reference-hex>` or `invalid <RULE-ID> <location>: <reason>`.

Credentials are NOT checked unless --trust-anchors is given: kp validates with \
AcceptAnyCredential, an explicit choice (RFC 9420 §5.3.1 leaves the judgement of a credential to \
the application). With --trust-anchors, x509 credentials are path-validated to those roots at \
--now (and checked against each --crl); a refusal is `invalid KP-CREDENTIAL <location>: \
credential refused: <kind>: <detail>`. An input that is an MLSMessage is also checked for its \
message version (KP-VER).";

/// kp: make, inspect and validate MLS key packages (RFC 9420 §10).
#[derive(Debug, Parser)]
#[command(name = "kp", version, after_help = AFTER_HELP, max_term_width = 100)]
pub(crate) struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `kp`.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create key packages, keep their private keys in the key store, print
    /// them one per line.
    Generate(GenerateArgs),
    /// Decode key packages (hex, base64, raw or MLSMessage: detected) and
    /// print every field.
    Inspect(InspectArgs),
    /// Validate key packages: one line per input, `ok <ref>` or `invalid
    /// <RULE-ID> <reason>`. Credentials are not checked (AcceptAnyCredential)
    /// unless --trust-anchors is given.
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
pub(crate) enum OutputFormat {
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

fn suite_arg(text: &str) -> Result<CipherSuite, String> {
    parse_suite(text)
}

/// Arguments of `kp generate`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Cipher suite: 1-7 (or 0x0001, or the RFC 9420 name).
    #[arg(long = "ciphersuite", short = 'c', value_name = "N", default_value = "1", value_parser = suite_arg)]
    pub cipher_suite: CipherSuite,
    /// Crypto backend.
    #[arg(long, short = 'b', value_enum, default_value_t = Backend::Rustcrypto)]
    pub backend: Backend,
    /// Identity of the basic credential [default: $USER, else $LOGNAME, else "kp-user"].
    #[arg(long, short = 'i', value_name = "S")]
    pub identity: Option<String>,
    /// An X.509 certificate chain (PEM, end entity first, in file order; or
    /// one DER certificate): the key packages get an x509 credential with
    /// it, signed with --private-key.
    #[arg(
        long,
        value_name = "CHAIN",
        requires = "private_key",
        conflicts_with = "identity"
    )]
    pub certificate: Option<PathBuf>,
    /// The end-entity certificate's private key (PKCS#8, or SEC1 for ECDSA;
    /// PEM or DER), with --certificate.
    #[arg(long, value_name = "KEY", requires = "certificate")]
    pub private_key: Option<PathBuf>,
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

/// `--max-input-bytes`: the limit of one input line or binary input.
#[derive(Debug, Args)]
pub(crate) struct InputLimit {
    /// Longest input line, or largest binary input, in bytes (suffixes K, M,
    /// G: KiB, MiB, GiB; at most 1G). A longer one stops the command (exit
    /// status 2).
    #[arg(long, value_name = "SIZE", default_value_t = DEFAULT_MAX_INPUT_BYTES, value_parser = byte_size_arg)]
    pub max_input_bytes: usize,
}

/// A size in bytes: digits, then optionally K, M or G (KiB, MiB, GiB), from
/// 1 byte to [`MAX_INPUT_BYTES_CEILING`].
fn byte_size_arg(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let unit_bytes: usize = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return Err(format!("unknown unit {unit:?}: use K, M or G")),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit_bytes))
        .filter(|bytes| (1..=MAX_INPUT_BYTES_CEILING).contains(bytes))
        .ok_or_else(|| "expected a size from 1 byte to 1G (e.g. 4M)".to_owned())
}

/// Arguments of `kp inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Input file; `-` or none for stdin. One key package per line (hex or
    /// base64), or one raw binary key package.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The input size limit.
    #[command(flatten)]
    pub limit: InputLimit,
    /// One JSON object per key package, one per line.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `kp validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Input file; `-` or none for stdin. One key package per line (hex or
    /// base64), or one raw binary key package.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Require this cipher suite (the group's; KP-GROUP-SUITE).
    #[arg(long = "ciphersuite", short = 'c', value_name = "N", value_parser = suite_arg)]
    pub cipher_suite: Option<CipherSuite>,
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
    /// Accept a key package whose capabilities do not list its own version
    /// or cipher suite (the working group's welcome.json has one): switches
    /// KP-OWN-CAPS off.
    #[arg(long)]
    pub allow_unlisted_own_capabilities: bool,
    /// Crypto backend.
    #[arg(long, short = 'b', value_enum, default_value_t = Backend::Rustcrypto)]
    pub backend: Backend,
    /// One JSON object per input, one per line.
    #[arg(long)]
    pub json: bool,
    /// Trust anchors (PEM certificates, or one DER certificate): x509
    /// credentials are then path-validated to them at --now (KP-CREDENTIAL).
    /// Without it, credentials are not checked.
    #[arg(long, value_name = "ROOTS")]
    pub trust_anchors: Option<PathBuf>,
    /// A CRL (PEM, possibly several, or one DER) to check x509 credentials
    /// against, with --trust-anchors; repeatable.
    #[arg(long, value_name = "FILE", requires = "trust_anchors")]
    pub crl: Vec<PathBuf>,
    /// Validate on at most N threads; 0 (the default) is one per core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// The input size limit.
    #[command(flatten)]
    pub limit: InputLimit,
}

/// `--max-lifetime`: days, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MaxLifetime {
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
pub(crate) struct RefArgs {
    /// Input file; `-` or none for stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The input size limit.
    #[command(flatten)]
    pub limit: InputLimit,
}

/// Arguments of `kp store`.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StoreCommand,
    /// Key store file (as for `kp generate`).
    #[arg(long, value_name = "PATH", global = true)]
    pub keystore: Option<PathBuf>,
}

/// `kp store` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
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
pub(crate) struct SpeedArgs {
    /// Cipher suite.
    #[arg(long = "ciphersuite", short = 'c', value_name = "N", default_value = "1", value_parser = suite_arg)]
    pub cipher_suite: CipherSuite,
    /// Crypto backend.
    #[arg(long, short = 'b', value_enum, default_value_t = Backend::Rustcrypto)]
    pub backend: Backend,
    /// How many key packages to create and validate (1 to 100000).
    #[arg(long, short = 'n', value_name = "K", default_value_t = 1000)]
    pub count: usize,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_within_bounds() {
        assert_eq!(byte_size_arg("1"), Ok(1));
        assert_eq!(byte_size_arg("4096"), Ok(4096));
        assert_eq!(byte_size_arg("64K"), Ok(64 << 10));
        assert_eq!(byte_size_arg("1M"), Ok(DEFAULT_MAX_INPUT_BYTES));
        assert_eq!(byte_size_arg("16mib"), Ok(16 << 20));
        assert_eq!(byte_size_arg("1G"), Ok(MAX_INPUT_BYTES_CEILING));
        for bad in [
            "0",
            "",
            "2G",
            "1T",
            "M",
            "-1",
            "1.5M",
            "99999999999999999999",
        ] {
            assert!(byte_size_arg(bad).is_err(), "{bad}");
        }
    }
}
