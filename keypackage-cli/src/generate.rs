//! `kp generate`: create key packages, store their private keys, print them.
//!
//! Order per key package: build, `store` (durable when it returns), then
//! print and flush. A crash at any point leaves no printed key package
//! without its private keys; at worst a stored one that was never printed.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keypackage_core::traits::{KeyStore, OpenMlsCrypto, Signer};
use keypackage_core::{Credential, KeyPackage, KeyPackageBuilder, encode_key_package_message};

use crate::backend::{self, Backend};
use crate::cli::{GenerateArgs, OutputFormat};
use crate::error::{CliError, is_broken_pipe};
use crate::progress::Progress;
use crate::store;
use crate::time::DAY;
use crate::with_crypto;
use crate::x509;

/// The longest lifetime validators accept by default (365 days; the
/// library's maximum adds one hour for the backdated `not_before`).
const DEFAULT_MAX_LIFETIME_DAYS: u64 = 365;

/// The default identity: `$USER`, else `$LOGNAME`, else `kp-user`.
fn default_identity() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_else(|| "kp-user".to_owned())
}

/// Runs `kp generate`.
pub fn run(args: &GenerateArgs) -> Result<ExitCode, CliError> {
    if args.count == 0 {
        return Err(CliError::usage("--count must be at least 1"));
    }
    if args.lifetime == 0 {
        return Err(CliError::usage("--lifetime must be at least 1 day"));
    }
    if args.format == OutputFormat::Binary && args.count > 1 {
        return Err(CliError::usage(
            "--format binary writes one key package: raw key packages cannot be told apart in one stream; use hex or base64 with --count",
        ));
    }
    let seconds = args
        .lifetime
        .checked_mul(DAY)
        .ok_or_else(|| CliError::usage("--lifetime is too large"))?;
    if args.lifetime > DEFAULT_MAX_LIFETIME_DAYS {
        eprintln!(
            "kp: warning: a lifetime over {DEFAULT_MAX_LIFETIME_DAYS} days is refused by default validators (KP-MAX-LIFETIME)"
        );
    }
    let identity = args.identity.clone().unwrap_or_else(default_identity);
    if identity.is_empty() {
        return Err(CliError::usage("--identity must not be empty"));
    }
    let path = store::resolve_path(args.keystore.as_deref())?;
    // A lifetime over the default maximum is the user's explicit choice (and
    // warned about above): lift the builder's cap rather than refuse.
    let mut builder = KeyPackageBuilder::new()
        .max_lifetime(None)
        .lifetime_seconds(seconds)
        .grease(!args.no_grease);
    if args.last_resort {
        builder = builder.last_resort();
    }
    with_crypto!(args.backend, crypto => generate(&crypto, args.backend, args, &builder, &identity, &path))
}

fn generate<C: OpenMlsCrypto>(
    crypto: &C,
    backend: Backend,
    args: &GenerateArgs,
    builder: &KeyPackageBuilder,
    identity: &str,
    path: &Path,
) -> Result<ExitCode, CliError> {
    let suite = backend::provider(crypto, backend, args.ciphersuite)?;
    // With --certificate: an x509 credential and the certificate's key,
    // checked against each other and the suite before the store is touched.
    let x509_signer = match (&args.certificate, &args.private_key) {
        (Some(certificate), Some(private_key)) => Some(x509::signer(
            crypto,
            args.ciphersuite,
            certificate,
            private_key,
        )?),
        _ => None,
    };
    let key_store = store::open_or_create(path)?;
    eprintln!("kp: key store: {}", path.display());
    match x509_signer {
        Some(signer) => emit(
            crypto,
            args,
            builder,
            &signer.credential(),
            &signer,
            &key_store,
            path,
        ),
        None => {
            let signer = store::load_or_create_signer(&suite, path, identity)?;
            let credential = Credential::basic(identity.as_bytes());
            emit(
                crypto,
                args,
                builder,
                &credential,
                &signer,
                &key_store,
                path,
            )
        }
    }
}

/// Builds, stores and prints `args.count` key packages.
fn emit<C: OpenMlsCrypto, G: Signer, K: KeyStore>(
    crypto: &C,
    args: &GenerateArgs,
    builder: &KeyPackageBuilder,
    credential: &Credential,
    signer: &G,
    key_store: &K,
    path: &Path,
) -> Result<ExitCode, CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut progress = Progress::new("created", args.count);
    for done in 1..=args.count {
        let bundle = builder
            .build(crypto, args.ciphersuite, credential.clone(), signer)
            .map_err(|e| CliError::internal(format!("cannot create a key package: {e}")))?;
        let output = encode(bundle.key_package(), args.format)?;
        let entry = bundle
            .to_stored()
            .map_err(|e| CliError::internal(format!("cannot encode the bundle: {e}")))?;
        key_store
            .store(entry)
            .map_err(|e| store::store_error(path, &e))?;
        // Stored durably: now, and only now, the key package may be seen.
        let written = out.write_all(&output).and_then(|()| out.flush());
        match written {
            Ok(()) => {}
            Err(e) if is_broken_pipe(&e) => {
                progress.finish();
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => return Err(CliError::io("cannot write", Some(Path::new("stdout")), &e)),
        }
        progress.update(done);
    }
    progress.finish();
    Ok(ExitCode::SUCCESS)
}

/// The bytes printed for one key package (with its newline, except raw).
fn encode(key_package: &KeyPackage, format: OutputFormat) -> Result<Vec<u8>, CliError> {
    let internal =
        |e: keypackage_core::EncodeError| CliError::internal(format!("cannot encode: {e}"));
    let line = |text: String| {
        let mut bytes = text.into_bytes();
        bytes.push(b'\n');
        bytes
    };
    Ok(match format {
        OutputFormat::Hex => line(hex::encode(key_package.encode().map_err(internal)?)),
        OutputFormat::Base64 => line(STANDARD.encode(key_package.encode().map_err(internal)?)),
        OutputFormat::Binary => key_package.encode().map_err(internal)?,
        OutputFormat::MlsMessage => line(hex::encode(
            encode_key_package_message(key_package).map_err(internal)?,
        )),
    })
}
