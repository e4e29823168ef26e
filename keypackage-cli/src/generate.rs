//! `kp generate`: create key packages, store their private keys, print them.
//!
//! Order per batch of key packages: build them, `store_many` (one
//! transaction, durable when it returns), then print and flush them. A crash
//! at any point leaves no printed key package without its private keys; at
//! worst a stored batch that was never printed. Batches grow 1, 4, 16, … up
//! to [`MAX_BATCH`], so the first key package appears at once and a long run
//! pays one commit (a few disk syncs) per [`MAX_BATCH`] key packages instead
//! of one per key package: 2,000 key packages take 7 transactions.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keypackage_core::traits::{KeyStore, OpenMlsCrypto, Signer, StoredKeyPackage};
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

/// The most key packages stored in one transaction (about 60 ms of
/// creation work for suite 1).
pub(crate) const MAX_BATCH: usize = 1024;

/// Each batch is this many times the one before, up to [`MAX_BATCH`].
const BATCH_GROWTH: usize = 4;

/// The default identity: `$USER`, else `$LOGNAME`, else `kp-user`.
fn default_identity() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_else(|| "kp-user".to_owned())
}

/// Runs `kp generate`.
pub(crate) fn run(args: &GenerateArgs) -> Result<ExitCode, CliError> {
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
    let suite = backend::provider(crypto, backend, args.cipher_suite)?;
    // With --certificate: an x509 credential and the certificate's key,
    // checked against each other and the suite before the store is touched.
    let x509_signer = match (&args.certificate, &args.private_key) {
        (Some(certificate), Some(private_key)) => Some(x509::signer(
            crypto,
            args.cipher_suite,
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
    let make = || {
        let bundle = builder
            .build(crypto, args.cipher_suite, credential.clone(), signer)
            .map_err(|e| CliError::internal(format!("cannot create a key package: {e}")))?;
        let output = encode(bundle.key_package(), args.format)?;
        let entry = bundle
            .to_stored()
            .map_err(|e| CliError::internal(format!("cannot encode the bundle: {e}")))?;
        Ok((output, entry))
    };
    let result = store_then_print(args.count, make, key_store, path, &mut out, |done| {
        progress.update(done);
    });
    progress.finish();
    result.map(|()| ExitCode::SUCCESS)
}

/// Batch sizes for `count` key packages: 1, 4, 16, … [`MAX_BATCH`], then
/// [`MAX_BATCH`] each, the last one what is left.
fn batches(count: usize) -> impl Iterator<Item = usize> {
    let mut left = count;
    let mut next = 1;
    std::iter::from_fn(move || {
        let size = next.min(left);
        if size == 0 {
            return None;
        }
        left -= size;
        next = next.saturating_mul(BATCH_GROWTH).min(MAX_BATCH);
        Some(size)
    })
}

/// Makes `count` key packages with `make` (the printed bytes and the store
/// entry of each), and per batch: stores the batch in one `store_many`,
/// then, and only then, writes and flushes its output. Stops quietly when
/// the reader of `out` has gone (a closed pipe); `progress` hears the
/// number printed so far.
fn store_then_print<K, W>(
    count: usize,
    mut make: impl FnMut() -> Result<(Vec<u8>, StoredKeyPackage), CliError>,
    key_store: &K,
    path: &Path,
    out: &mut W,
    mut progress: impl FnMut(usize),
) -> Result<(), CliError>
where
    K: KeyStore + ?Sized,
    W: Write,
{
    let mut done = 0;
    for size in batches(count) {
        let mut output = Vec::new();
        let mut entries = Vec::with_capacity(size);
        for _ in 0..size {
            let (printed, entry) = make()?;
            output.extend_from_slice(&printed);
            entries.push(entry);
        }
        key_store
            .store_many(entries)
            .map_err(|e| store::store_error(path, &e))?;
        // Stored durably: now, and only now, the key packages may be seen.
        match out.write_all(&output).and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if is_broken_pipe(&e) => return Ok(()),
            Err(e) => return Err(CliError::io("cannot write", Some(Path::new("stdout")), &e)),
        }
        done += size;
        progress(done);
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::cell::RefCell;

    use keypackage_core::MemoryKeyStore;
    use keypackage_core::traits::{
        BundleHeader, HpkePublicKey, KeyPackageRef, KeyStoreError, Secret,
    };
    use keypackage_traits::conformance::key_store::{Interpose, Interposed};

    use super::*;

    #[test]
    fn batches_grow_to_the_maximum_and_cover_the_count() {
        assert_eq!(batches(0).count(), 0);
        assert_eq!(batches(1).collect::<Vec<_>>(), [1]);
        assert_eq!(batches(10).collect::<Vec<_>>(), [1, 4, 5]);
        assert_eq!(
            batches(2000).collect::<Vec<_>>(),
            [1, 4, 16, 64, 256, 1024, 635]
        );
        let big: Vec<usize> = batches(5000).collect();
        assert_eq!(big.iter().sum::<usize>(), 5000);
        assert_eq!(&big[..7], [1, 4, 16, 64, 256, 1024, 1024]);
        assert!(big.iter().all(|&n| n <= MAX_BATCH));
    }

    /// Records the size of each batch a store is given.
    #[derive(Default)]
    struct Batches(std::sync::Mutex<Vec<usize>>);

    impl Interpose<MemoryKeyStore> for Batches {
        fn store(&self, inner: &MemoryKeyStore, e: StoredKeyPackage) -> Result<(), KeyStoreError> {
            self.0.lock().unwrap().push(1);
            inner.store(e)
        }
        fn store_many(
            &self,
            inner: &MemoryKeyStore,
            entries: Vec<StoredKeyPackage>,
        ) -> Result<(), KeyStoreError> {
            self.0.lock().unwrap().push(entries.len());
            inner.store_many(entries)
        }
    }

    /// A memory store that records each batch it is given.
    type Recording = Interposed<MemoryKeyStore, Batches>;

    /// The `i`-th synthetic entry, and its line: the reference in hex.
    fn item(i: u32) -> (Vec<u8>, StoredKeyPackage) {
        let mut reference = vec![0; 28];
        reference.extend_from_slice(&i.to_be_bytes());
        let mut bundle = Vec::new();
        BundleHeader {
            reference: KeyPackageRef::new(reference.clone()),
            init_key: HpkePublicKey::new(reference.iter().map(|b| !b).collect()),
            not_after: 1,
            last_resort: false,
        }
        .encode(&mut bundle)
        .unwrap();
        let line = format!("{}\n", hex::encode(&reference)).into_bytes();
        (
            line,
            StoredKeyPackage::from_bundle(Secret::new(bundle)).unwrap(),
        )
    }

    /// Checks, at every write, that each key package printed is already in
    /// the store: what a SIGKILL at that moment would leave.
    struct Witness<'a> {
        store: &'a Recording,
        printed: RefCell<Vec<u8>>,
        fail_after: Option<usize>,
    }

    impl Write for Witness<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut printed = self.printed.borrow_mut();
            printed.extend_from_slice(buf);
            for line in printed.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let reference = KeyPackageRef::new(hex::decode(line).unwrap());
                assert!(
                    self.store.get(&reference).unwrap().is_some(),
                    "printed before it was stored"
                );
            }
            if self
                .fail_after
                .is_some_and(|n| printed.split(|b| *b == b'\n').count() > n)
            {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn key_packages_are_stored_in_batches_before_they_are_printed() {
        let store = Recording::default();
        let mut out = Witness {
            store: &store,
            printed: RefCell::new(Vec::new()),
            fail_after: None,
        };
        let mut next = 0;
        let mut seen = Vec::new();
        store_then_print(
            600,
            || {
                next += 1;
                Ok(item(next))
            },
            &store,
            Path::new("test.db"),
            &mut out,
            |done| seen.push(done),
        )
        .unwrap();
        // Printed in order, byte for byte what `make` gave, all of them.
        let want: Vec<u8> = (1..=600).flat_map(|i| item(i).0).collect();
        assert_eq!(*out.printed.borrow(), want);
        assert_eq!(store.count(0).unwrap().total, 600);
        // 600 key packages in 5 transactions, not 600.
        let batches = store.hooks.0.lock().unwrap().clone();
        assert_eq!(batches, [1, 4, 16, 64, 256, 259]);
        assert_eq!(seen.last(), Some(&600));
    }

    #[test]
    fn a_closed_pipe_stops_quietly_after_a_stored_batch() {
        let store = Recording::default();
        let mut out = Witness {
            store: &store,
            printed: RefCell::new(Vec::new()),
            fail_after: Some(5),
        };
        let mut next = 0;
        store_then_print(
            100,
            || {
                next += 1;
                Ok(item(next))
            },
            &store,
            Path::new("test.db"),
            &mut out,
            |_| {},
        )
        .unwrap();
        // The second batch (key packages 2..=5) hit the closed pipe: it was
        // stored, and no further batch was made.
        assert_eq!(store.count(0).unwrap().total, 5);
    }

    #[test]
    fn a_refused_batch_prints_nothing_of_it() {
        let store = Recording::default();
        let mut out = Witness {
            store: &store,
            printed: RefCell::new(Vec::new()),
            fail_after: None,
        };
        let mut next = 0;
        // The 5th key package repeats the 2nd: its batch (2..=5) is refused.
        let err = store_then_print(
            20,
            || {
                next += 1;
                Ok(item(if next == 5 { 2 } else { next }))
            },
            &store,
            Path::new("test.db"),
            &mut out,
            |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("reference"), "{err}");
        let want: Vec<u8> = item(1).0;
        assert_eq!(*out.printed.borrow(), want);
        assert_eq!(store.count(0).unwrap().total, 1);
    }
}
