//! Validation against key packages other implementations made (the MLS
//! working group's vectors in testdata/mlswg), under both backends, and the
//! create → encode → decode → validate matrix across backends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use interop_tests::{fresh_signer, load_json, now, unhex};
use keypackage_core::traits::{CipherSuite, HpkePrivateKey, OpenMlsCrypto};
use keypackage_core::{
    AcceptAnyCredential, Credential, Extension, GroupSecrets, KeyPackageBuilder, KeyPackageIn,
    MlsMessageIn, Rule, ValidationContext, WelcomeError, labeled,
};
use serde_json::Value;

/// 2023-11-14: inside the passive-client key packages' lifetime.
const PASSIVE_NOW: u64 = 1_700_000_000;
/// 2023-03-28: inside the messages.json key packages' lifetime.
const MESSAGES_NOW: u64 = 1_680_000_000;

fn suite_of(case: &Value) -> CipherSuite {
    CipherSuite(case["cipher_suite"].as_u64().unwrap() as u16)
}

fn hex_field(case: &Value, field: &str) -> Vec<u8> {
    unhex(case[field].as_str().unwrap()).unwrap()
}

/// All 56 passive-client key packages (8 per suite) validate at
/// `now = 1700000000` for every suite the backend has; returns how many.
fn passive_client_key_packages_validate<C: OpenMlsCrypto>(crypto: &C) -> usize {
    let cases = load_json("mlswg/passive-client-welcome.json").unwrap();
    let ctx = ValidationContext::new(PASSIVE_NOW, &AcceptAnyCredential);
    let mut validated = 0;
    for (i, case) in cases.as_array().unwrap().iter().enumerate() {
        if !crypto.supports(suite_of(case)) {
            continue;
        }
        let bytes = hex_field(case, "key_package");
        KeyPackageIn::validate_message(&bytes, crypto, &ctx).unwrap_or_else(|e| {
            panic!(
                "case {i} ({:?}) under {}: {e}",
                suite_of(case),
                crypto.name()
            )
        });
        validated += 1;
    }
    validated
}

/// welcome.json: each key package validates once the maximum lifetime is
/// off (its lifetime is 0..2^64-1) and is refused with KP-MAX-LIFETIME by
/// default; case 6 (suite 7) lists only suites 1-6 in its capabilities, so
/// KP-OWN-CAPS refuses it first and it validates only with that rule off
/// too. The Welcome's entry for our reference is found through
/// `Welcome::find_secrets` (which checks the suite) and its group secrets
/// decrypt with `init_priv` and decode.
fn welcome_vectors<C: OpenMlsCrypto>(crypto: &C) -> usize {
    /// The welcome.json case whose key package does not list its own suite.
    const UNLISTED_OWN_SUITE: usize = 6;
    let cases = load_json("mlswg/welcome.json").unwrap();
    let mut opened = 0;
    for (i, case) in cases.as_array().unwrap().iter().enumerate() {
        let suite = suite_of(case);
        if !crypto.supports(suite) {
            continue;
        }
        let bytes = hex_field(case, "key_package");
        let strict = ValidationContext::new(now(), &AcceptAnyCredential);
        let err = KeyPackageIn::validate_message(&bytes, crypto, &strict).unwrap_err();
        let (first, after_switch) = if i == UNLISTED_OWN_SUITE {
            (Rule::OwnCapabilities, Some(Rule::MaxLifetime))
        } else {
            (Rule::MaxLifetime, None)
        };
        assert_eq!(err.rule(), Some(first), "case {i}: {err}");
        let own_off = strict.clone().with_own_capabilities_required(false);
        let second = KeyPackageIn::validate_message(&bytes, crypto, &own_off)
            .err()
            .and_then(|e| e.rule());
        assert_eq!(second, after_switch.or(Some(Rule::MaxLifetime)), "case {i}");
        let lifetime_off = strict.clone().with_max_lifetime(None);
        let lifetime_off_verdict = KeyPackageIn::validate_message(&bytes, crypto, &lifetime_off)
            .err()
            .and_then(|e| e.rule());
        assert_eq!(
            lifetime_off_verdict,
            (i == UNLISTED_OWN_SUITE).then_some(Rule::OwnCapabilities),
            "case {i}"
        );
        let ctx = lifetime_off.with_own_capabilities_required(false);
        let kp = KeyPackageIn::validate_message(&bytes, crypto, &ctx)
            .unwrap_or_else(|e| panic!("case {i} under {}: {e}", crypto.name()));

        let welcome = MlsMessageIn::decode_welcome(&hex_field(case, "welcome")).unwrap();
        assert_eq!(welcome.cipher_suite, suite);
        let entry = welcome
            .find_secrets(&kp)
            .expect("no entry for our KeyPackageRef");
        // The same Welcome claiming another suite is refused before any
        // decryption (RFC 9420 §12.4.3.1).
        let mut other_suite = welcome.clone();
        other_suite.cipher_suite = CipherSuite(if suite.0 == 1 { 3 } else { 1 });
        assert!(matches!(
            other_suite.find_secrets(&kp),
            Err(WelcomeError::CipherSuiteMismatch { .. })
        ));
        let provider = crypto.suite(suite).unwrap();
        let init_priv = HpkePrivateKey::new(hex_field(case, "init_priv"));
        let plaintext = labeled::decrypt_with_label(
            &provider,
            &init_priv,
            labeled::WELCOME_LABEL,
            welcome.encrypted_group_info.as_slice(),
            &entry.encrypted_group_secrets,
        )
        .unwrap_or_else(|e| panic!("case {i}: DecryptWithLabel failed: {e}"));
        let secrets = GroupSecrets::decode(plaintext.expose()).unwrap();
        assert_eq!(
            secrets.joiner_secret.as_slice().len(),
            provider_hash_len(suite)
        );
        opened += 1;
    }
    opened
}

fn provider_hash_len(suite: CipherSuite) -> usize {
    suite.info().unwrap().hash_len()
}

/// tree-operations.json: the two Add proposals carry GREASE'd key packages
/// (GREASE in capabilities and as unlisted KeyPackage extension types),
/// valid for ever: valid with no maximum lifetime, KP-MAX-LIFETIME otherwise.
fn grease_vectors<C: OpenMlsCrypto>(crypto: &C) -> usize {
    let cases = load_json("mlswg/tree-operations.json").unwrap();
    let mut validated = 0;
    for case in cases.as_array().unwrap() {
        let proposal = hex_field(case, "proposal");
        if proposal[..2] != [0x00, 0x01] {
            continue; // not an Add
        }
        let kp = KeyPackageIn::decode(&proposal[2..]).unwrap();
        let greased = kp.extensions.iter().any(|e| e.extension_type.is_grease())
            || kp
                .leaf_node
                .capabilities
                .cipher_suites
                .iter()
                .any(|c| c.is_grease());
        assert!(greased, "the Add's key package should carry GREASE values");
        let strict = ValidationContext::new(now(), &AcceptAnyCredential);
        let err = kp.clone().validate(crypto, &strict).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::MaxLifetime));
        kp.validate(crypto, &strict.clone().with_max_lifetime(None))
            .unwrap();
        validated += 1;
    }
    assert_eq!(validated, 2);
    validated
}

/// messages.json key packages (made by an older OpenMLS) list default
/// types in their capabilities: KP-NO-DEFAULTS at a time inside their
/// lifetime, valid with the rule off. Both the MLSMessage and the bare
/// (`add_proposal`) forms.
fn messages_vectors<C: OpenMlsCrypto>(crypto: &C) -> usize {
    let cases = load_json("mlswg/messages.json").unwrap();
    let strict = ValidationContext::new(MESSAGES_NOW, &AcceptAnyCredential);
    let lenient = strict.clone().with_refuse_listed_defaults(false);
    let suites = [1u16, 3, 2]; // cases 0-99, 100-199, 200-299
    let mut checked = 0;
    for (i, case) in cases.as_array().unwrap().iter().enumerate() {
        let suite = CipherSuite(suites[i / 100]);
        if !crypto.supports(suite) {
            continue;
        }
        let message = hex_field(case, "mls_key_package");
        let err = KeyPackageIn::validate_message(&message, crypto, &strict).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::NoDefaults), "case {i}: {err}");
        let kp = KeyPackageIn::validate_message(&message, crypto, &lenient)
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(kp.cipher_suite(), suite);

        let bare = KeyPackageIn::decode(&hex_field(case, "add_proposal")).unwrap();
        let err = bare.clone().validate(crypto, &strict).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::NoDefaults), "case {i}: {err}");
        bare.validate(crypto, &lenient)
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        checked += 2;
    }
    checked
}

/// For every suite the maker supports: our builder's key packages (plain,
/// last resort, GREASE extensions, a leaf extension) encode, decode and
/// validate under the checker; the checker computes the same reference.
fn create_validate_matrix<M: OpenMlsCrypto, V: OpenMlsCrypto>(maker: &M, checker: &V) -> usize {
    let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
    let builders = [
        KeyPackageBuilder::new(),
        KeyPackageBuilder::new().last_resort(),
        KeyPackageBuilder::new()
            .last_resort()
            .grease_key_package_extension()
            .grease_leaf_extension(),
        KeyPackageBuilder::new()
            .grease(false)
            .leaf_extension(Extension::new(
                keypackage_core::traits::ExtensionType(0xFF01),
                b"app data".to_vec(),
            )),
    ];
    let mut checked = 0;
    for &suite in maker.supported_cipher_suites() {
        if !checker.supports(suite) {
            continue;
        }
        let signer = fresh_signer(maker, suite).unwrap();
        for builder in &builders {
            let bundle = builder
                .build(maker, suite, Credential::basic("matrix"), &signer)
                .unwrap();
            let bytes = bundle.key_package().encode().unwrap();
            let kp = KeyPackageIn::decode(&bytes)
                .unwrap()
                .validate(checker, &ctx)
                .unwrap_or_else(|e| {
                    panic!("{suite:?} {} -> {}: {e}", maker.name(), checker.name())
                });
            assert_eq!(kp.reference(), bundle.reference());
            assert_eq!(kp.is_last_resort(), bundle.key_package().is_last_resort());
            assert_ne!(kp.init_key(), &kp.leaf_node().encryption_key);
            checked += 1;
        }
    }
    checked
}

use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;

#[test]
fn passive_client_key_packages_validate_under_rustcrypto_all_7_suites() {
    assert_eq!(passive_client_key_packages_validate(&RustCrypto::new()), 56);
}

#[test]
fn passive_client_key_packages_validate_under_ring_suites_1_2_3_7() {
    assert_eq!(passive_client_key_packages_validate(&RingCrypto::new()), 32);
}

#[test]
fn welcome_vectors_validate_and_open_under_rustcrypto() {
    assert_eq!(welcome_vectors(&RustCrypto::new()), 7);
}

#[test]
fn welcome_vectors_validate_and_open_under_ring() {
    assert_eq!(welcome_vectors(&RingCrypto::new()), 4);
}

#[test]
fn grease_key_packages_from_tree_operations_validate_under_both() {
    assert_eq!(grease_vectors(&RustCrypto::new()), 2);
    assert_eq!(grease_vectors(&RingCrypto::new()), 2);
}

#[test]
fn messages_key_packages_are_refused_with_kp_no_defaults_under_rustcrypto() {
    assert_eq!(messages_vectors(&RustCrypto::new()), 600);
}

#[test]
fn messages_key_packages_are_refused_with_kp_no_defaults_under_ring() {
    assert_eq!(messages_vectors(&RingCrypto::new()), 600);
}

#[test]
fn create_validate_matrix_rustcrypto_to_rustcrypto() {
    assert_eq!(
        create_validate_matrix(&RustCrypto::new(), &RustCrypto::new()),
        7 * 4
    );
}

#[test]
fn create_validate_matrix_ring_to_ring() {
    assert_eq!(
        create_validate_matrix(&RingCrypto::new(), &RingCrypto::new()),
        4 * 4
    );
}

#[test]
fn create_validate_matrix_rustcrypto_to_ring() {
    assert_eq!(
        create_validate_matrix(&RustCrypto::new(), &RingCrypto::new()),
        4 * 4
    );
}

#[test]
fn create_validate_matrix_ring_to_rustcrypto() {
    assert_eq!(
        create_validate_matrix(&RingCrypto::new(), &RustCrypto::new()),
        4 * 4
    );
}
