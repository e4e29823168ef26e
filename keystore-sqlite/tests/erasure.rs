//! Erasure that holds without help: once `take`, `confirm`, `delete` or
//! `delete_expired` return `Ok`, no byte of the removed private keys (nor
//! any part of the removed bundle) is left in the database file or its
//! journal, in a store that stays open for the whole test, with other
//! connections open beside it, and without ever calling `checkpoint()`.
//! A reader that holds a read transaction open makes an erasing call wait
//! and then fail, having changed nothing; once the reader is gone, the same
//! call erases.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
use keypackage_core::traits::{CipherSuite, SignatureScheme};
use keypackage_core::{Credential, KeyPackageBuilder, KeyPackageBundle, Lifetime};
use keypackage_traits::{KeyStore, KeyStoreError};
use keystore_sqlite::SqliteKeyStore;
use rusqlite::Connection;

const WINDOW: usize = 32;
/// A `now` after the short lifetimes below and before the long ones.
const NOW: u64 = 3_000;

/// Every file the store keeps beside the database (whichever exist).
fn on_disk(path: &Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        all.extend(std::fs::read(&name).unwrap_or_default());
    }
    all
}

/// Every `WINDOW`-byte window of the files, for fast look-ups.
fn windows(bytes: &[u8]) -> HashSet<&[u8]> {
    bytes.windows(WINDOW).collect()
}

/// What must be gone, or must still be there, of one bundle.
struct Secrets {
    init_private: Vec<u8>,
    encryption_private: Vec<u8>,
    bundle: Vec<u8>,
}

impl Secrets {
    fn of(bundle: &KeyPackageBundle) -> Self {
        Self {
            init_private: bundle.init_private_key().expose().to_vec(),
            encryption_private: bundle.encryption_private_key().expose().to_vec(),
            bundle: bundle.encode().unwrap().expose().to_vec(),
        }
    }

    /// Whether both private keys are in the files.
    fn keys_present(&self, disk: &HashSet<&[u8]>) -> bool {
        assert_eq!(self.init_private.len(), WINDOW);
        disk.contains(&self.init_private[..]) && disk.contains(&self.encryption_private[..])
    }

    /// Whether any byte of the private keys, or any window of the bundle
    /// that no kept bundle shares (the credential and signature key are the
    /// same in all of them), is in the files.
    fn any_trace(&self, disk: &HashSet<&[u8]>, shared: &HashSet<Vec<u8>>) -> bool {
        disk.contains(&self.init_private[..])
            || disk.contains(&self.encryption_private[..])
            || self
                .bundle
                .windows(WINDOW)
                .any(|w| !shared.contains(w) && disk.contains(w))
    }
}

struct Fixture {
    _dir: common::TempDir,
    path: std::path::PathBuf,
    bundles: Vec<KeyPackageBundle>,
}

/// `n` real suite-1 bundles, the first `short` of them expired at [`NOW`].
fn fixture(tag: &str, n: usize, short: usize) -> Fixture {
    let crypto = RustCrypto::new();
    let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
    let bundles = (0..n)
        .map(|i| {
            let lifetime = if i < short {
                Lifetime::new(1_000, 2_000)
            } else {
                Lifetime::new(1_000, 1_000_000)
            };
            KeyPackageBuilder::new()
                .lifetime(lifetime)
                .build(
                    &crypto,
                    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
                    Credential::basic("erasure"),
                    &signer,
                )
                .unwrap()
        })
        .collect();
    let dir = common::TempDir::new(tag);
    let path = dir.file("keys.db");
    Fixture {
        _dir: dir,
        path,
        bundles,
    }
}

/// Every window of the bundles in `kept`.
fn shared_windows(kept: &[&Secrets]) -> HashSet<Vec<u8>> {
    kept.iter()
        .flat_map(|s| s.bundle.windows(WINDOW).map(<[u8]>::to_vec))
        .collect()
}

#[test]
fn erased_key_packages_leave_no_trace_with_other_connections_open() {
    let f = fixture("erasure", 12, 4);
    let secrets: Vec<Secrets> = f.bundles.iter().map(Secrets::of).collect();
    // One store for the life of the test, a second store on the same file,
    // and a plain SQLite connection that reads now and then, as another
    // process's tool would.
    let store = SqliteKeyStore::open(&f.path).unwrap();
    let second = SqliteKeyStore::open(&f.path).unwrap();
    let reader = Connection::open(&f.path).unwrap();
    let rows = || -> i64 {
        reader
            .query_row("SELECT count(*) FROM key_packages", [], |r| r.get(0))
            .unwrap()
    };

    let entries = f.bundles.iter().map(|b| b.to_stored().unwrap()).collect();
    store.store_many(entries).unwrap();
    assert_eq!(rows(), 12);
    // The control: stored private keys are on disk in the clear, so the
    // scan below would see them.
    let disk = on_disk(&f.path);
    let all = windows(&disk);
    assert!(secrets.iter().all(|s| s.keys_present(&all)));

    let r = |i: usize| f.bundles[i].reference();
    assert!(store.take(r(4)).unwrap().is_some()); // one step
    assert!(second.reserve(r(5), NOW).unwrap().is_some()); // two phases,
    assert_eq!(second.count(NOW).unwrap().reserved, 1);
    assert!(store.confirm(r(5)).unwrap()); // across connections
    assert!(second.delete(r(6)).unwrap());
    assert_eq!(rows(), 9);
    assert_eq!(store.delete_expired(NOW).unwrap(), 4); // bundles 0..4
    assert_eq!(second.list().unwrap().len(), 5);
    assert_eq!(rows(), 5);

    // No checkpoint, every connection still open.
    let disk = on_disk(&f.path);
    let now_on_disk = windows(&disk);
    let kept: Vec<&Secrets> = secrets[7..].iter().collect();
    let shared = shared_windows(&kept);
    for (i, s) in secrets.iter().enumerate().take(7) {
        assert!(
            !s.any_trace(&now_on_disk, &shared),
            "bundle {i}: erased, but some of it is still on disk"
        );
    }
    for (i, s) in kept.iter().enumerate() {
        assert!(s.keys_present(&now_on_disk), "kept bundle {} lost", i + 7);
    }
    drop((store, second, reader));
}

#[test]
fn a_reader_holding_a_read_transaction_delays_erasure_and_loses_nothing() {
    let f = fixture("erasure-reader", 3, 1);
    let secrets: Vec<Secrets> = f.bundles.iter().map(Secrets::of).collect();
    let store = SqliteKeyStore::open(&f.path).unwrap();
    let entries = f.bundles.iter().map(|b| b.to_stored().unwrap()).collect();
    store.store_many(entries).unwrap();
    store.set_busy_timeout(Duration::from_millis(300)).unwrap();

    // Another connection opens a read transaction and keeps it.
    let reader = Connection::open(&f.path).unwrap();
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM key_packages;")
        .unwrap();
    let target = f.bundles[1].reference();
    let began = Instant::now();
    match store.take(target) {
        Err(KeyStoreError::Storage { detail: message }) => {
            assert!(message.contains("lock"), "{message}")
        }
        other => panic!("expected the take to wait and fail, got {other:?}"),
    }
    assert!(began.elapsed() >= Duration::from_millis(300));
    assert!(matches!(
        store.delete_expired(NOW),
        Err(KeyStoreError::Storage { .. })
    ));
    // Nothing changed: the key package is still there to be taken, whole.
    let kept = store.get(target).unwrap().expect("not lost");
    assert_eq!(kept, f.bundles[1].to_stored().unwrap());
    assert_eq!(store.count(0).unwrap().total, 3);

    // The reader finishes; the same calls now erase.
    reader.execute_batch("COMMIT;").unwrap();
    assert_eq!(store.take(target).unwrap().as_ref(), Some(&kept));
    assert_eq!(store.delete_expired(NOW).unwrap(), 1);
    let disk = on_disk(&f.path);
    let now_on_disk = windows(&disk);
    let shared = shared_windows(&[&secrets[2]]);
    for i in [0, 1] {
        assert!(!secrets[i].any_trace(&now_on_disk, &shared), "bundle {i}");
    }
    assert!(secrets[2].keys_present(&now_on_disk));
}
