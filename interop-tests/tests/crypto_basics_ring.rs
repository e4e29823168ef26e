#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `crypto-basics.json` (MLS working group vectors, `testdata/mlswg/`)
//! under the ring backend, for its suites 1, 2, 3 and 7: RefHash,
//! ExpandWithLabel, DeriveSecret, DeriveTreeSecret, SignWithLabel and
//! EncryptWithLabel (RFC 9420 §5.1, §5.2, §8, §9).
//!
//! Labels in the file carry no `"MLS 1.0 "` prefix except RefHash's, which
//! is used as given; `keypackage_core::labeled` adds the prefix.

use backend_ring::RingCrypto;
use interop_tests::{load_json, unhex};
use keypackage_core::labeled;
use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, HpkeCiphertext, HpkePrivateKey, HpkePublicKey, OpenMlsCrypto,
    SignaturePrivateKey, SignaturePublicKey, SignatureScheme, Signer,
};
use serde_json::Value;

fn bytes(v: &Value, field: &str) -> Vec<u8> {
    unhex(
        v[field]
            .as_str()
            .unwrap_or_else(|| panic!("no field {field}")),
    )
    .unwrap()
}

fn text(v: &Value, field: &str) -> Vec<u8> {
    v[field].as_str().unwrap().as_bytes().to_vec()
}

fn number(v: &Value, field: &str) -> u64 {
    v[field].as_u64().unwrap()
}

#[test]
fn crypto_basics_under_ring() {
    let crypto = RingCrypto::new();
    let mut done = Vec::new();
    for case in load_json("mlswg/crypto-basics.json")
        .unwrap()
        .as_array()
        .unwrap()
    {
        let suite = Ciphersuite(u16::try_from(number(case, "cipher_suite")).unwrap());
        if !crypto.supports(suite) {
            continue;
        }
        let s = crypto.suite(suite).unwrap();

        let v = &case["ref_hash"];
        assert_eq!(
            labeled::ref_hash(&s, &text(v, "label"), &bytes(v, "value")).unwrap(),
            bytes(v, "out"),
            "{suite:?} ref_hash"
        );

        let v = &case["expand_with_label"];
        let out = labeled::expand_with_label(
            &s,
            &bytes(v, "secret"),
            &text(v, "label"),
            &bytes(v, "context"),
            u16::try_from(number(v, "length")).unwrap(),
        )
        .unwrap();
        assert_eq!(out.expose(), bytes(v, "out"), "{suite:?} expand_with_label");

        let v = &case["derive_secret"];
        let out = labeled::derive_secret(&s, &bytes(v, "secret"), &text(v, "label")).unwrap();
        assert_eq!(out.expose(), bytes(v, "out"), "{suite:?} derive_secret");

        let v = &case["derive_tree_secret"];
        let out = labeled::derive_tree_secret(
            &s,
            &bytes(v, "secret"),
            &text(v, "label"),
            u32::try_from(number(v, "generation")).unwrap(),
            u16::try_from(number(v, "length")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            out.expose(),
            bytes(v, "out"),
            "{suite:?} derive_tree_secret"
        );

        // SignWithLabel: the vector's signature verifies; the private key
        // gives the vector's public key; our own signature verifies, and is
        // the vector's byte for byte where the scheme is deterministic.
        let v = &case["sign_with_label"];
        let (label, content) = (text(v, "label"), bytes(v, "content"));
        let public = SignaturePublicKey::new(bytes(v, "pub"));
        let key = s.verifying_key(&public).unwrap();
        labeled::verify_with_label(&s, &key, &label, &content, &bytes(v, "signature"))
            .unwrap_or_else(|e| panic!("{suite:?} sign_with_label: {e}"));
        let mut tampered = content.clone();
        tampered.push(0);
        assert!(
            labeled::verify_with_label(&s, &key, &label, &tampered, &bytes(v, "signature"))
                .is_err()
        );
        let signer = s
            .signer(&SignaturePrivateKey::new(bytes(v, "priv")))
            .unwrap();
        assert_eq!(
            signer.public_key(),
            &public,
            "{suite:?} signature public key"
        );
        let ours = labeled::sign_with_label(&signer, &label, &content).unwrap();
        labeled::verify_with_label(&s, &key, &label, &content, &ours).unwrap();
        if s.info().signature == SignatureScheme::Ed25519 {
            assert_eq!(
                ours,
                bytes(v, "signature"),
                "{suite:?} Ed25519 signature bytes"
            );
        }

        // EncryptWithLabel: the vector's ciphertext opens to its plaintext;
        // the private key gives the vector's public key; our own encryption
        // to the vector's key opens again.
        let v = &case["encrypt_with_label"];
        let (label, context) = (text(v, "label"), bytes(v, "context"));
        let private = HpkePrivateKey::new(bytes(v, "priv"));
        let public = HpkePublicKey::new(bytes(v, "pub"));
        assert_eq!(
            s.hpke_public_key(&private).unwrap(),
            public,
            "{suite:?} HPKE public key"
        );
        let ciphertext = HpkeCiphertext {
            kem_output: bytes(v, "kem_output").into(),
            ciphertext: bytes(v, "ciphertext").into(),
        };
        let plaintext = labeled::decrypt_with_label(&s, &private, &label, &context, &ciphertext)
            .unwrap_or_else(|e| panic!("{suite:?} encrypt_with_label: {e}"));
        assert_eq!(
            plaintext.expose(),
            bytes(v, "plaintext"),
            "{suite:?} plaintext"
        );
        let again =
            labeled::encrypt_with_label(&s, &public, &label, &context, &bytes(v, "plaintext"))
                .unwrap();
        let opened = labeled::decrypt_with_label(&s, &private, &label, &context, &again).unwrap();
        assert_eq!(opened.expose(), bytes(v, "plaintext"));

        done.push(suite.0);
    }
    println!("crypto-basics.json under ring: suites {done:?}");
    assert_eq!(done, [1, 2, 3, 7]);
}
