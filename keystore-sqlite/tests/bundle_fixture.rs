//! Real bundles, the checked-in fixtures of keypackage-core, go into the
//! SQLite store, survive closing and reopening, read back byte-identically
//! and decode to the same bundle: format 2 as `to_stored` makes it, and
//! format 1 as a store written before the header existed holds it.

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
use keypackage_traits::{KeyStore, StoredKeyPackage};
use keystore_sqlite::SqliteKeyStore;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../keypackage-core/tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    hex::decode(text.split_whitespace().collect::<String>()).unwrap()
}

#[test]
fn bundle_fixtures_read_back_byte_identical_after_reopening() {
    let crypto = RustCrypto::new();
    let dir = common::TempDir::new("bundle");
    let names = [
        "bundle-v2-suite1.hex",
        "bundle-v2-suite1-last-resort.hex",
        "bundle-v1-suite1.hex",
        "bundle-v1-suite1-last-resort.hex",
    ];
    let mut bundles = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let store = SqliteKeyStore::open(dir.file(&format!("keys-{i}.db"))).unwrap();
        let bytes = fixture(name);
        let bundle = KeyPackageBundle::decode(&bytes, &crypto).unwrap();
        let entry = if name.contains("-v2-") {
            bundle.to_stored().unwrap()
        } else {
            // The row an earlier version wrote: its columns from to_stored.
            let row = bundle.to_stored().unwrap();
            StoredKeyPackage::from_store_row(
                row.reference().clone(),
                row.init_key().clone(),
                row.not_after(),
                row.last_resort(),
                keypackage_traits::Secret::new(bytes.clone()),
            )
            .unwrap()
        };
        assert_eq!(entry.bundle().expose(), &bytes[..], "{name}");
        store.store(entry).unwrap();
        bundles.push((i, bytes, bundle));
    }
    for (i, bytes, bundle) in &bundles {
        let store = SqliteKeyStore::open(dir.file(&format!("keys-{i}.db"))).unwrap();
        let stored = store.take(bundle.reference()).unwrap().unwrap();
        assert_eq!(stored.bundle().expose(), &bytes[..]);
        assert_eq!(stored.last_resort(), bundle.key_package().is_last_resort());
        let back = KeyPackageBundle::from_stored(&stored, &crypto).unwrap();
        assert_eq!(&back, bundle);
        // The normal one was spent by the take; the last-resort one stays.
        let left = usize::from(bundle.key_package().is_last_resort());
        assert_eq!(store.count(0).unwrap().total, left);
    }
}
