#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `testdata/mlswg/passive-client-welcome.json` (56 cases, 8 per suite 1–7):
//! each case's private keys belong to its key package, and both of the key
//! package's signatures verify.
//!
//! * `signature_priv` gives `leaf_node.signature_key`;
//! * `encryption_priv` gives `leaf_node.encryption_key`;
//! * `init_priv` gives `init_key`;
//! * the LeafNode signature verifies over `LeafNodeTBS` (label
//!   "LeafNodeTBS", no group context for a key-package leaf, RFC 9420 §7.2)
//!   and the KeyPackage signature over `KeyPackageTBS` (label
//!   "KeyPackageTBS", §10), and a fresh signature with `signature_priv`
//!   verifies too.
//!
//! The `key_package` field is an MLSMessage (wire format `mls_key_package`),
//! although the format text says bare. Some suite-5 (P-521) private keys
//! are 65 bytes: the leading zero byte was dropped, so they are left-padded
//! to the 66 bytes of RFC 9180 §7.1.2 (the backend itself accepts only the
//! fixed length).

use backend_rustcrypto::RustCrypto;
use interop_tests::{load_json, unhex};
use keypackage_core::labeled::{self, KEY_PACKAGE_TBS_LABEL, LEAF_NODE_TBS_LABEL};
use keypackage_core::traits::ProtocolVersion;
use keypackage_core::{LeafNodeSource, MlsMessageIn};
use keypackage_traits::{
    CipherSuite, CipherSuiteProvider, HpkePrivateKey, OpenMlsCrypto, SignaturePrivateKey,
};
use serde_json::Value;

fn hex_of(case: &Value, field: &str) -> Vec<u8> {
    unhex(
        case[field]
            .as_str()
            .unwrap_or_else(|| panic!("no hex field {field}")),
    )
    .unwrap()
}

/// Left-pads a big-endian scalar that lost its leading zero bytes to `len`.
fn left_pad(bytes: Vec<u8>, len: usize, padded: &mut usize) -> Vec<u8> {
    if bytes.len() >= len {
        return bytes;
    }
    *padded += 1;
    let mut out = vec![0u8; len - bytes.len()];
    out.extend_from_slice(&bytes);
    out
}

/// Checks every case whose suite `crypto` supports; returns the number of
/// cases per suite value (index 1..=7) and how many keys needed padding.
fn passive_client_keys<C: OpenMlsCrypto>(crypto: &C) -> ([usize; 8], usize) {
    let mut per_suite = [0usize; 8];
    let mut padded = 0;
    let cases = load_json("mlswg/passive-client-welcome.json").unwrap();
    for (i, case) in cases.as_array().unwrap().iter().enumerate() {
        let suite = CipherSuite(u16::try_from(case["cipher_suite"].as_u64().unwrap()).unwrap());
        if !crypto.supports(suite) {
            continue;
        }
        let name = format!("case {i} {suite:?} under {}", crypto.name());
        let s = crypto.suite(suite).unwrap();
        let info = s.info();

        let (version, kp) = MlsMessageIn::decode_key_package(&hex_of(case, "key_package")).unwrap();
        assert_eq!(version, ProtocolVersion::MLS10, "{name}");
        assert_eq!(kp.cipher_suite, suite, "{name}: key package suite");
        assert!(
            matches!(kp.leaf_node.leaf_node_source, LeafNodeSource::KeyPackage(_)),
            "{name}: not a key-package leaf"
        );

        let signature_priv = SignaturePrivateKey::new(left_pad(
            hex_of(case, "signature_priv"),
            info.signature.private_key_len(),
            &mut padded,
        ));
        let encryption_priv = HpkePrivateKey::new(left_pad(
            hex_of(case, "encryption_priv"),
            info.kem.private_key_len(),
            &mut padded,
        ));
        let init_priv = HpkePrivateKey::new(left_pad(
            hex_of(case, "init_priv"),
            info.kem.private_key_len(),
            &mut padded,
        ));
        assert_eq!(
            s.signature_public_key(&signature_priv).unwrap(),
            kp.leaf_node.signature_key,
            "{name}: signature_priv does not give the leaf's signature key"
        );
        assert_eq!(
            s.hpke_public_key(&encryption_priv).unwrap(),
            kp.leaf_node.encryption_key,
            "{name}: encryption_priv does not give the leaf's encryption key"
        );
        assert_eq!(
            s.hpke_public_key(&init_priv).unwrap(),
            kp.init_key,
            "{name}: init_priv does not give the init key"
        );

        let key = s.verifying_key(&kp.leaf_node.signature_key).unwrap();
        let leaf_tbs = kp.leaf_node.tbs(None).unwrap();
        labeled::verify_with_label(
            &s,
            &key,
            LEAF_NODE_TBS_LABEL,
            &leaf_tbs,
            kp.leaf_node.signature.as_slice(),
        )
        .unwrap_or_else(|e| panic!("{name}: LeafNode signature: {e}"));
        let mut kp_tbs = Vec::new();
        kp.serialize_tbs(&mut kp_tbs).unwrap();
        labeled::verify_with_label(
            &s,
            &key,
            KEY_PACKAGE_TBS_LABEL,
            &kp_tbs,
            kp.signature.as_slice(),
        )
        .unwrap_or_else(|e| panic!("{name}: KeyPackage signature: {e}"));
        // The two signatures are not interchangeable (different labels and
        // contents), and one changed byte of the TBS breaks the signature.
        assert!(
            labeled::verify_with_label(
                &s,
                &key,
                KEY_PACKAGE_TBS_LABEL,
                &kp_tbs,
                kp.leaf_node.signature.as_slice()
            )
            .is_err(),
            "{name}: the leaf signature verifies as the key package signature"
        );
        let mut altered = kp_tbs.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(
            labeled::verify_with_label(
                &s,
                &key,
                KEY_PACKAGE_TBS_LABEL,
                &altered,
                kp.signature.as_slice()
            )
            .is_err(),
            "{name}: the signature verifies over altered content"
        );

        let signer = s.signer(&signature_priv).unwrap();
        let fresh = labeled::sign_with_label(&signer, KEY_PACKAGE_TBS_LABEL, &kp_tbs).unwrap();
        labeled::verify_with_label(&s, &key, KEY_PACKAGE_TBS_LABEL, &kp_tbs, &fresh)
            .unwrap_or_else(|e| panic!("{name}: fresh signature: {e}"));

        per_suite[usize::from(suite.0)] += 1;
    }
    (per_suite, padded)
}

#[test]
fn passive_client_keys_match_under_rustcrypto_all_56_cases() {
    let (per_suite, padded) = passive_client_keys(&RustCrypto::new());
    let total: usize = per_suite.iter().sum();
    println!(
        "passive-client keys under rustcrypto: {total} cases, per suite 1..7 {:?}, \
         {padded} short P-521 keys left-padded",
        &per_suite[1..]
    );
    assert_eq!(per_suite[1..], [8; 7], "8 cases for each of the 7 suites");
    assert_eq!(total, 56);
}
