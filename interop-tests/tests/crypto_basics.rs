#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `testdata/mlswg/crypto-basics.json` (the MLS working group's vectors, one
//! case per suite 1–7): RefHash (RFC 9420 §5.2), ExpandWithLabel,
//! DeriveSecret (§8), DeriveTreeSecret (§9), SignWithLabel (§5.1.2) and
//! EncryptWithLabel (§5.1.3), through `keypackage_core::labeled`.
//!
//! [`crypto_basics`] is generic over the backend and returns the suites it
//! checked; a backend's test calls it and states how many suites it expects.
//! The RustCrypto backend, built with `x448` here, must pass all seven.

use backend_rustcrypto::RustCrypto;
use interop_tests::{load_json, unhex};
use keypackage_core::labeled;
use keypackage_traits::codec::VarBytes;
use keypackage_traits::{
    CipherSuite, CipherSuiteProvider, HpkeCiphertext, HpkePrivateKey, HpkePublicKey, OpenMlsCrypto,
    SignaturePrivateKey, SignaturePublicKey, SignatureScheme,
};
use serde_json::Value;

fn hex_of(v: &Value, field: &str) -> Vec<u8> {
    unhex(
        v[field]
            .as_str()
            .unwrap_or_else(|| panic!("no hex field {field}")),
    )
    .unwrap()
}

fn label_of(v: &Value) -> Vec<u8> {
    v["label"].as_str().unwrap().as_bytes().to_vec()
}

fn number_of(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no number field {field}"))
}

/// Flips the lowest bit of the last byte.
fn tampered(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    *out.last_mut().unwrap() ^= 1;
    out
}

/// Runs all six sub-tests of every case whose suite `crypto` supports;
/// returns those suites.
fn crypto_basics<C: OpenMlsCrypto>(crypto: &C) -> Vec<CipherSuite> {
    let mut passed = Vec::new();
    for case in load_json("mlswg/crypto-basics.json")
        .unwrap()
        .as_array()
        .unwrap()
    {
        let suite = CipherSuite(u16::try_from(number_of(case, "cipher_suite")).unwrap());
        if !crypto.supports(suite) {
            continue;
        }
        let s = crypto.suite(suite).unwrap();
        let name = format!("{} {suite:?}", crypto.name());

        // RefHash(label, value): the label is used as given.
        let v = &case["ref_hash"];
        assert_eq!(
            labeled::ref_hash(&s, &label_of(v), &hex_of(v, "value")).unwrap(),
            hex_of(v, "out"),
            "{name}: ref_hash"
        );

        let v = &case["expand_with_label"];
        let length = u16::try_from(number_of(v, "length")).unwrap();
        assert_eq!(
            labeled::expand_with_label(
                &s,
                &hex_of(v, "secret"),
                &label_of(v),
                &hex_of(v, "context"),
                length
            )
            .unwrap()
            .expose(),
            hex_of(v, "out").as_slice(),
            "{name}: expand_with_label"
        );

        let v = &case["derive_secret"];
        assert_eq!(
            labeled::derive_secret(&s, &hex_of(v, "secret"), &label_of(v))
                .unwrap()
                .expose(),
            hex_of(v, "out").as_slice(),
            "{name}: derive_secret"
        );

        let v = &case["derive_tree_secret"];
        assert_eq!(
            labeled::derive_tree_secret(
                &s,
                &hex_of(v, "secret"),
                &label_of(v),
                u32::try_from(number_of(v, "generation")).unwrap(),
                u16::try_from(number_of(v, "length")).unwrap(),
            )
            .unwrap()
            .expose(),
            hex_of(v, "out").as_slice(),
            "{name}: derive_tree_secret"
        );

        sign_with_label(&s, &case["sign_with_label"], &name);
        encrypt_with_label(&s, &case["encrypt_with_label"], &name);
        passed.push(suite);
    }
    passed
}

/// VerifyWithLabel of the given signature, and of a fresh SignWithLabel.
fn sign_with_label<S: CipherSuiteProvider>(s: &S, v: &Value, name: &str) {
    let private = SignaturePrivateKey::new(hex_of(v, "priv"));
    let public = SignaturePublicKey::new(hex_of(v, "pub"));
    let label = label_of(v);
    let content = hex_of(v, "content");
    let signature = hex_of(v, "signature");
    assert_eq!(
        s.signature_public_key(&private).unwrap(),
        public,
        "{name}: the vector's private key does not give its public key"
    );
    let key = s.verifying_key(&public).unwrap();
    labeled::verify_with_label(s, &key, &label, &content, &signature)
        .unwrap_or_else(|e| panic!("{name}: the vector's signature does not verify: {e}"));
    assert!(
        labeled::verify_with_label(s, &key, &label, &tampered(&content), &signature).is_err(),
        "{name}: a signature verifies over other content"
    );

    let signer = s.signer(&private).unwrap();
    let fresh = labeled::sign_with_label(&signer, &label, &content).unwrap();
    if matches!(
        s.info().signature,
        SignatureScheme::Ed25519 | SignatureScheme::Ed448
    ) {
        // EdDSA is deterministic (RFC 8032 §5.1.6, §5.2.6): the fresh
        // signature is the vector's, byte for byte.
        assert_eq!(fresh, signature, "{name}: EdDSA signature differs");
    }
    labeled::verify_with_label(s, &key, &label, &content, &fresh)
        .unwrap_or_else(|e| panic!("{name}: a fresh signature does not verify: {e}"));
    assert!(
        labeled::verify_with_label(s, &key, b"OtherLabel", &content, &fresh).is_err(),
        "{name}: a signature verifies under another label"
    );
}

/// DecryptWithLabel of the given ciphertext, and a fresh EncryptWithLabel
/// round trip.
fn encrypt_with_label<S: CipherSuiteProvider>(s: &S, v: &Value, name: &str) {
    let private = HpkePrivateKey::new(hex_of(v, "priv"));
    let public = HpkePublicKey::new(hex_of(v, "pub"));
    let label = label_of(v);
    let context = hex_of(v, "context");
    let plaintext = hex_of(v, "plaintext");
    assert_eq!(
        s.hpke_public_key(&private).unwrap(),
        public,
        "{name}: the vector's HPKE private key does not give its public key"
    );
    let given = HpkeCiphertext {
        kem_output: VarBytes(hex_of(v, "kem_output")),
        ciphertext: VarBytes(hex_of(v, "ciphertext")),
    };
    let opened = labeled::decrypt_with_label(s, &private, &label, &context, &given)
        .unwrap_or_else(|e| panic!("{name}: the vector's ciphertext does not open: {e}"));
    assert_eq!(opened.expose(), plaintext.as_slice(), "{name}: plaintext");
    let mut altered = given.clone();
    altered.ciphertext = VarBytes(tampered(given.ciphertext.as_slice()));
    assert!(
        labeled::decrypt_with_label(s, &private, &label, &context, &altered).is_err(),
        "{name}: a tampered ciphertext opens"
    );
    assert!(
        labeled::decrypt_with_label(s, &private, &label, &tampered(&context), &given).is_err(),
        "{name}: the ciphertext opens under another context"
    );

    let fresh = labeled::encrypt_with_label(s, &public, &label, &context, &plaintext).unwrap();
    assert_ne!(
        fresh.kem_output, given.kem_output,
        "{name}: reused ephemeral"
    );
    let opened = labeled::decrypt_with_label(s, &private, &label, &context, &fresh)
        .unwrap_or_else(|e| panic!("{name}: a fresh ciphertext does not open: {e}"));
    assert_eq!(
        opened.expose(),
        plaintext.as_slice(),
        "{name}: fresh plaintext"
    );
}

#[test]
fn crypto_basics_rustcrypto_all_7_suites() {
    let passed = crypto_basics(&RustCrypto::new());
    println!(
        "crypto-basics under rustcrypto: {} of 7 suites: {passed:?}",
        passed.len()
    );
    assert_eq!(
        passed,
        (1..=7).map(CipherSuite).collect::<Vec<_>>(),
        "the RustCrypto backend (with x448) must pass every suite"
    );
}

#[test]
fn crypto_basics_ring_suites_1_2_3_7() {
    let passed = crypto_basics(&backend_ring::RingCrypto::new());
    println!("crypto-basics under ring: {passed:?}");
    assert_eq!(passed, [1, 2, 3, 7].map(CipherSuite));
}
