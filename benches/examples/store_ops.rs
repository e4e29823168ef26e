//! What one key-store call costs on this machine's disk: `n` real suite-1
//! bundles through a fresh `SqliteKeyStore`, each call timed on its own, and
//! the median per call printed (µs) for `store`, `take`, `reserve`,
//! `confirm`, `delete`, and `store_many` of the whole batch (µs per bundle).
//! Every call is a durable transaction (`synchronous = FULL`), so the disk's
//! sync latency dominates; BENCHMARKS.md, "Key store", has the figures.
//!
//! ```text
//! cargo run --release -p keypackage-benches --example store_ops -- 300 [DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
use keypackage_core::traits::{CipherSuite, KeyStore, SignatureScheme, StoredKeyPackage};
use keypackage_core::{Credential, KeyPackageBuilder};
use keystore_sqlite::SqliteKeyStore;

type Error = Box<dyn std::error::Error>;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort_unstable();
    samples
        .get(samples.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
}

fn time<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<Duration, Error> {
    let began = Instant::now();
    f()?;
    Ok(began.elapsed())
}

fn entries(n: usize) -> Result<Vec<StoredKeyPackage>, Error> {
    let crypto = RustCrypto::new();
    let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519)?;
    (0..n)
        .map(|_| {
            let bundle = KeyPackageBuilder::new().build(
                &crypto,
                CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
                Credential::basic("bench"),
                &signer,
            )?;
            Ok(bundle.to_stored()?)
        })
        .collect()
}

fn run(n: usize, dir: PathBuf) -> Result<(), Error> {
    let work = dir.join(format!("store-ops-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let store = SqliteKeyStore::open(work.join("ks.sqlite"))?;
    let (a, b) = (entries(n)?, entries(n)?);

    let mut stores = Vec::new();
    for entry in &a {
        stores.push(time(|| Ok(store.store(entry.clone())?))?);
    }
    let mut takes = Vec::new();
    for entry in &a {
        takes.push(time(|| Ok(store.take(entry.reference())?))?);
    }
    let batch = time(|| Ok(store.store_many(b.clone())?))?;
    let (mut reserves, mut confirms) = (Vec::new(), Vec::new());
    for entry in b.iter().take(n / 2) {
        reserves.push(time(|| Ok(store.reserve(entry.reference(), 1)?))?);
        confirms.push(time(|| Ok(store.confirm(entry.reference())?))?);
    }
    let mut deletes = Vec::new();
    for entry in b.iter().skip(n / 2) {
        deletes.push(time(|| Ok(store.delete(entry.reference())?))?);
    }
    drop(store);
    std::fs::remove_dir_all(&work)?;

    println!("n = {n}, median µs per call");
    println!("store       {:9.1}", median(stores));
    println!("take        {:9.1}", median(takes));
    println!("reserve     {:9.1}", median(reserves));
    println!("confirm     {:9.1}", median(confirms));
    println!("delete      {:9.1}", median(deletes));
    let per_bundle = batch.as_secs_f64() * 1e6 / n.max(1) as f64;
    println!("store_many  {per_bundle:9.1} per bundle ({n} in one call)");
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let dir = args.next().map_or_else(std::env::temp_dir, PathBuf::from);
    match run(n, dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("store_ops: {err}");
            ExitCode::FAILURE
        }
    }
}
