//! Rows describe their bundles: a key store keeps, beside each bundle, the
//! reference, init key, expiry and last-resort flag that the bundle's own
//! header carries (`StoredKeyPackage::from_bundle`), and a header, or a
//! store's row, that says anything the key package does not is refused
//! before a private key is handed out. So a caller cannot make a store keep
//! a normal key package as a last-resort one (to be handed out again and
//! again), nor file it under another key package's reference or init key.

#![cfg(feature = "rustcrypto")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::{BundleHeader, KeyStore, Secret, StoredKeyPackage};
use keypackage_core::{BundleError, KeyPackageBundle, MemoryKeyStore};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    hex::decode(text.split_whitespace().collect::<String>()).unwrap()
}

/// The normal and the last-resort fixture, format 2.
fn bundles() -> (Vec<u8>, Vec<u8>) {
    (
        fixture("bundle-v2-suite1.hex"),
        fixture("bundle-v2-suite1-last-resort.hex"),
    )
}

/// `bytes` with its header replaced by `header`.
fn reheader(bytes: &[u8], header: &BundleHeader) -> Vec<u8> {
    let (_, body) = BundleHeader::parse(bytes).unwrap().unwrap();
    let mut out = Vec::new();
    header.encode(&mut out).unwrap();
    out.extend_from_slice(body);
    out
}

fn header_of(bytes: &[u8]) -> BundleHeader {
    BundleHeader::parse(bytes).unwrap().unwrap().0
}

#[test]
fn a_normal_key_package_cannot_pass_for_a_last_resort_one() {
    let crypto = RustCrypto::new();
    let (normal, _) = bundles();
    let lie = BundleHeader {
        last_resort: true,
        ..header_of(&normal)
    };
    let forged = reheader(&normal, &lie);
    assert!(matches!(
        KeyPackageBundle::decode(&forged, &crypto),
        Err(BundleError::Mismatch("last_resort"))
    ));
    // Even kept by a store, it never yields its private keys.
    let store = MemoryKeyStore::new();
    let entry = StoredKeyPackage::from_bundle(Secret::new(forged)).unwrap();
    assert!(entry.last_resort());
    store.store(entry).unwrap();
    let taken = store.take(&lie.reference).unwrap().unwrap();
    assert!(matches!(
        KeyPackageBundle::from_stored(&taken, &crypto),
        Err(BundleError::Mismatch("last_resort"))
    ));
}

#[test]
fn a_bundle_cannot_be_filed_under_another_key_packages_reference_or_init_key() {
    let crypto = RustCrypto::new();
    let (normal, other) = bundles();
    let (mine, theirs) = (header_of(&normal), header_of(&other));
    let cases = [
        (
            BundleHeader {
                reference: theirs.reference.clone(),
                ..mine.clone()
            },
            "reference",
        ),
        (
            BundleHeader {
                init_key: theirs.init_key.clone(),
                ..mine.clone()
            },
            "init_key",
        ),
        (
            BundleHeader {
                not_after: mine.not_after + 1,
                ..mine.clone()
            },
            "not_after",
        ),
    ];
    for (lie, field) in cases {
        let forged = reheader(&normal, &lie);
        match KeyPackageBundle::decode(&forged, &crypto) {
            Err(BundleError::Mismatch(f)) => assert_eq!(f, field),
            other => panic!("{field}: expected a mismatch, got {other:?}"),
        }
    }
    // The true headers decode.
    KeyPackageBundle::decode(&normal, &crypto).unwrap();
    KeyPackageBundle::decode(&other, &crypto).unwrap();
}

#[test]
fn a_store_row_for_a_format_1_bundle_is_checked_when_read_back() {
    let crypto = RustCrypto::new();
    let v1 = fixture("bundle-v1-suite1.hex");
    let truth = header_of(&fixture("bundle-v2-suite1.hex"));
    let (_, other) = bundles();
    let theirs = header_of(&other);
    let row = |h: &BundleHeader| {
        StoredKeyPackage::from_store_row(
            h.reference.clone(),
            h.init_key.clone(),
            h.not_after,
            h.last_resort,
            Secret::new(v1.clone()),
        )
        .unwrap()
    };
    // The row the store wrote from to_stored: fine.
    let good = KeyPackageBundle::from_stored(&row(&truth), &crypto).unwrap();
    assert_eq!(good.reference(), &truth.reference);
    for (lie, field) in [
        (
            BundleHeader {
                last_resort: true,
                ..truth.clone()
            },
            "last_resort",
        ),
        (
            BundleHeader {
                reference: theirs.reference.clone(),
                ..truth.clone()
            },
            "reference",
        ),
        (
            BundleHeader {
                init_key: theirs.init_key.clone(),
                ..truth.clone()
            },
            "init_key",
        ),
    ] {
        match KeyPackageBundle::from_stored(&row(&lie), &crypto) {
            Err(BundleError::Mismatch(f)) => assert_eq!(f, field),
            other => panic!("{field}: expected a mismatch, got {other:?}"),
        }
    }
}

#[test]
fn a_damaged_header_is_an_error_not_a_panic() {
    let crypto = RustCrypto::new();
    let (normal, _) = bundles();
    for cut in [3, 20, 35, 40, 70, 75] {
        assert!(
            KeyPackageBundle::decode(&normal[..cut], &crypto).is_err(),
            "{cut}"
        );
    }
    let mut flag = normal.clone();
    flag[2 + 33 + 33 + 8] = 7;
    assert!(matches!(
        KeyPackageBundle::decode(&flag, &crypto),
        Err(BundleError::Header(_))
    ));
}
