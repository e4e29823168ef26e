//! The bundle encoding is a storage format: a bundle stored by this version
//! must read back in every later one. Checked-in fixtures (written once,
//! never regenerated to make these tests pass) pin format 1 (read, no longer
//! written: it re-encodes as format 2, the same key package and keys behind
//! a header) and format 2 (read and re-encoded byte for byte; passes
//! through a key store unchanged).

#![cfg(feature = "rustcrypto")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
use keypackage_core::traits::CipherSuite;
use keypackage_core::traits::{KeyStore, SignatureScheme, StoredKeyPackage};
use keypackage_core::{BUNDLE_FORMAT_V1, BUNDLE_FORMAT_V2};
use keypackage_core::{Credential, KeyPackageBuilder, KeyPackageBundle, Lifetime, MemoryKeyStore};

/// (file, last resort?, `KeyPackageRef` in hex).
const FIXTURES: [(&str, bool, &str); 2] = [
    (
        "bundle-v1-suite1.hex",
        false,
        "c28ef59a370b8c4b4241c5ad8df963602fdc103ea3c7d11f9082fe21f6d7e91a",
    ),
    (
        "bundle-v1-suite1-last-resort.hex",
        true,
        "427cf899ec97a56efe65f3aeea962bc7534ade2f57c8c8404fab0ed8b0bcacab",
    ),
];
const LIFETIME: Lifetime = Lifetime::new(1_700_000_000, 1_800_000_000);

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_fixture(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture_path(name)).unwrap();
    hex::decode(text.split_whitespace().collect::<String>()).unwrap()
}

#[test]
#[ignore = "writes the checked-in fixtures; run only to add a new format's fixture"]
fn write_bundle_fixtures() {
    let crypto = RustCrypto::new();
    let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
    for (name, last_resort, _) in FIXTURES {
        let mut builder = KeyPackageBuilder::new().lifetime(LIFETIME);
        if last_resort {
            builder = builder.last_resort();
        }
        let bundle = builder
            .build(
                &crypto,
                CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
                Credential::basic("fixture"),
                &signer,
            )
            .unwrap();
        let bytes = bundle.encode().unwrap();
        let hex = hex::encode(bytes.expose());
        let lines: Vec<&str> = hex
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        std::fs::create_dir_all(fixture_path("")).unwrap();
        std::fs::write(fixture_path(name), lines.join("\n") + "\n").unwrap();
        println!(
            "{name}: reference {}",
            hex::encode(bundle.reference().as_slice())
        );
    }
}

/// The format-2 encoding of a format-1 fixture, by hand from the layout in
/// `KeyPackageBundle::encode`'s documentation: tag 2, the reference, the
/// init key (bytes 7..39 of format 1: tag, version, suite, length 32), the
/// big-endian `not_after`, the flag, then format 1 without its tag.
fn v2_by_hand(v1: &[u8], reference_hex: &str, last_resort: bool) -> Vec<u8> {
    assert_eq!(v1[6], 32, "a 32-byte init key");
    let mut out = vec![0x00, 0x02, 32];
    out.extend_from_slice(&hex::decode(reference_hex).unwrap());
    out.push(32);
    out.extend_from_slice(&v1[7..39]);
    out.extend_from_slice(&LIFETIME.not_after.to_be_bytes());
    out.push(u8::from(last_resort));
    out.extend_from_slice(&v1[2..]);
    out
}

fn v2_name(v1_name: &str) -> String {
    v1_name.replace("bundle-v1-", "bundle-v2-")
}

/// Writes the format-2 fixtures from the format-1 ones. Run by hand once,
/// when format 2 was introduced; never to make a test pass.
#[test]
#[ignore = "writes the checked-in format-2 fixtures"]
fn write_bundle_v2_fixtures() {
    let crypto = RustCrypto::new();
    for (name, _, _) in FIXTURES {
        let bundle = KeyPackageBundle::decode(&read_fixture(name), &crypto).unwrap();
        let hex = hex::encode(bundle.encode().unwrap().expose());
        let lines: Vec<&str> = hex
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        std::fs::write(fixture_path(&v2_name(name)), lines.join("\n") + "\n").unwrap();
    }
}

#[test]
fn bundle_v1_fixtures_decode_and_re_encode_as_format_2() {
    let crypto = RustCrypto::new();
    for (name, last_resort, reference) in FIXTURES {
        let bytes = read_fixture(name);
        assert_eq!(
            bytes[..2],
            BUNDLE_FORMAT_V1.to_be_bytes(),
            "{name}: format tag"
        );
        let bundle = KeyPackageBundle::decode(&bytes, &crypto).unwrap();
        assert_eq!(
            hex::encode(bundle.reference().as_slice()),
            reference,
            "{name}"
        );
        assert_eq!(bundle.key_package().is_last_resort(), last_resort, "{name}");
        assert_eq!(
            bundle
                .key_package()
                .leaf_node()
                .leaf_node_source
                .lifetime()
                .copied(),
            Some(LIFETIME),
            "{name}"
        );
        let v2 = v2_by_hand(&bytes, reference, last_resort);
        assert_eq!(
            bundle.encode().unwrap().expose(),
            &v2[..],
            "{name}: re-encoding"
        );

        let stored = bundle.to_stored().unwrap();
        assert_eq!(stored.bundle().expose(), &v2[..], "{name}: stored bytes");
        assert_eq!(hex::encode(stored.reference().as_slice()), reference);
        assert_eq!(stored.init_key().as_slice(), &bytes[7..39]);
        assert_eq!(stored.not_after(), LIFETIME.not_after);
        assert_eq!(stored.last_resort(), last_resort);
    }
}

#[test]
fn bundle_v2_fixtures_decode_and_re_encode_byte_identically() {
    let crypto = RustCrypto::new();
    for (name, last_resort, reference) in FIXTURES {
        let bytes = read_fixture(&v2_name(name));
        assert_eq!(
            bytes[..2],
            BUNDLE_FORMAT_V2.to_be_bytes(),
            "{name}: format tag"
        );
        assert_eq!(
            bytes,
            v2_by_hand(&read_fixture(name), reference, last_resort)
        );
        let bundle = KeyPackageBundle::decode(&bytes, &crypto).unwrap();
        assert_eq!(
            bundle,
            KeyPackageBundle::decode(&read_fixture(name), &crypto).unwrap()
        );
        assert_eq!(bundle.encode().unwrap().expose(), &bytes[..], "{name}");
        let stored = StoredKeyPackage::from_bundle(bundle.encode().unwrap()).unwrap();
        assert_eq!(stored, bundle.to_stored().unwrap());
    }
}

#[test]
fn bundle_fixtures_pass_through_the_memory_store_unchanged() {
    let crypto = RustCrypto::new();
    let store = MemoryKeyStore::new();
    for (name, _, _) in FIXTURES {
        let bytes = read_fixture(&v2_name(name));
        let bundle = KeyPackageBundle::decode(&bytes, &crypto).unwrap();
        store.store(bundle.to_stored().unwrap()).unwrap();
        let back = store.take(bundle.reference()).unwrap().unwrap();
        assert_eq!(back.bundle().expose(), &bytes[..], "{name}");
        assert_eq!(
            KeyPackageBundle::from_stored(&back, &crypto).unwrap(),
            bundle
        );
    }
}
