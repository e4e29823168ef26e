//! A real bundle, the checked-in format-1 fixture of keypackage-core, goes
//! into the SQLite store, survives closing and reopening, and reads back
//! byte-identically and decodes to the same bundle.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use keypackage_core::KeyPackageBundle;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_traits::KeyStore;
use keystore_sqlite::SqliteKeyStore;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../keypackage-core/tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    hex::decode(text.split_whitespace().collect::<String>()).unwrap()
}

#[test]
fn bundle_v1_fixture_reads_back_byte_identical_after_reopening() {
    let crypto = RustCrypto::new();
    let dir = common::TempDir::new("bundle");
    let path = dir.file("keys.db");
    let names = ["bundle-v1-suite1.hex", "bundle-v1-suite1-last-resort.hex"];
    let mut bundles = Vec::new();
    {
        let store = SqliteKeyStore::open(&path).unwrap();
        for name in names {
            let bytes = fixture(name);
            let bundle = KeyPackageBundle::decode(&bytes, &crypto).unwrap();
            store.store(bundle.to_stored().unwrap()).unwrap();
            bundles.push((bytes, bundle));
        }
    }
    let store = SqliteKeyStore::open(&path).unwrap();
    for (bytes, bundle) in &bundles {
        let stored = store.take(bundle.reference()).unwrap().unwrap();
        assert_eq!(stored.bundle.expose(), &bytes[..]);
        assert_eq!(stored.last_resort, bundle.key_package().is_last_resort());
        let back = KeyPackageBundle::decode(stored.bundle.expose(), &crypto).unwrap();
        assert_eq!(&back, bundle);
    }
    // The normal one was spent by the take; the last-resort one stays.
    assert_eq!(store.count(0).unwrap().total, 1);
}
