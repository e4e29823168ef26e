//! Making X.509 key packages: PKCS#8 keys (PEM, DER; SEC1 for ECDSA)
//! from OpenSSL and from ring (via rcgen) load as the backends' raw keys,
//! and every pairing that cannot make a valid credential is refused
//! before anything is signed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::{CipherSuiteProvider, OpenMlsCrypto, SignatureScheme, Signer};
use keypackage_x509::{BuildX509, PrivateKey, X509Error, X509Signer, load_certificates};

#[test]
fn pem_der_and_sec1_give_the_same_key() {
    let crypto = RustCrypto::new();
    let chain = fixture("p256", "chain.pem");
    let from_pem =
        X509Signer::from_files(&crypto, SUITE_P256, &chain, &fixture("p256", "ee.key.pem"))
            .unwrap();
    let from_der =
        X509Signer::from_files(&crypto, SUITE_P256, &chain, &fixture("p256", "ee.key.der"))
            .unwrap();
    let from_sec1 =
        X509Signer::from_files(&crypto, SUITE_P256, &chain, &fixture("p256", "ee.sec1.pem"))
            .unwrap();
    assert_eq!(from_pem.public_key(), from_der.public_key());
    assert_eq!(from_pem.public_key(), from_sec1.public_key());
    assert_eq!(
        from_pem.public_key().as_slice(),
        from_pem.end_entity().public_key.as_slice()
    );
    // A DER certificate instead of PEM: the chain is then that one.
    let ee_der = load_certificates(&fixture("p256", "ee.pem"))
        .unwrap()
        .remove(0);
    let single =
        X509Signer::from_files(&crypto, SUITE_P256, &ee_der, &fixture("p256", "ee.key.der"))
            .unwrap();
    assert_eq!(single.chain(), [ee_der]);
    assert_eq!(from_pem.chain().len(), 2);
}

#[test]
fn every_fixture_key_has_its_scheme() {
    for (alg, scheme) in [
        ("ed25519", SignatureScheme::Ed25519),
        ("ed448", SignatureScheme::Ed448),
        ("p256", SignatureScheme::EcdsaSecp256r1Sha256),
        ("p384", SignatureScheme::EcdsaSecp384r1Sha384),
        ("p521", SignatureScheme::EcdsaSecp521r1Sha512),
    ] {
        let key = PrivateKey::from_pem(&fixture(alg, "ee.key.pem")).unwrap();
        assert_eq!(key.scheme(), scheme, "{alg}");
        assert_eq!(
            key.secret().expose().len(),
            scheme.private_key_len(),
            "{alg}"
        );
        assert_eq!(
            format!("{key:?}"),
            format!("PrivateKey {{ scheme: {scheme:?}, .. }}")
        );
    }
}

/// ring's PKCS#8 (v2 for Ed25519, with the public key) through rcgen,
/// signed with by both backends: the signatures verify under the other.
#[test]
fn ring_made_pkcs8_keys_sign_in_both_backends() {
    for suite in [SUITE_ED25519, SUITE_P256, SUITE_P384] {
        let chain = Chain::new(suite);
        let rustcrypto = RustCrypto::new();
        let ring = RingCrypto::new();
        let a = signer_for(&rustcrypto, suite, &chain.credential(), &chain.ee.key);
        let b = signer_for(&ring, suite, &chain.credential(), &chain.ee.key);
        assert_eq!(a.public_key(), b.public_key());
        let message = b"x509";
        ring.suite(suite)
            .unwrap()
            .verify(a.public_key(), message, &a.sign(message).unwrap())
            .unwrap();
        rustcrypto
            .suite(suite)
            .unwrap()
            .verify(b.public_key(), message, &b.sign(message).unwrap())
            .unwrap();
    }
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let crypto = RustCrypto::new();
    for (alg, suite) in [
        ("ed25519", SUITE_ED25519),
        ("p256", SUITE_P256),
        ("ed448", SUITE_ED448),
    ] {
        let err = X509Signer::from_files(
            &crypto,
            suite,
            &fixture(alg, "chain.pem"),
            &fixture(alg, "other.key.pem"),
        )
        .unwrap_err();
        assert_eq!(err, X509Error::KeyMismatch, "{alg}");
    }
    // The same check for any signer (an HSM's, say).
    let provider = crypto.suite(SUITE_P256).unwrap();
    let other = provider.signature_generate_key_pair().unwrap();
    let chain = load_certificates(&fixture("p256", "chain.pem")).unwrap();
    let err = X509Signer::new(provider.signer(&other.private).unwrap(), chain).unwrap_err();
    assert_eq!(err, X509Error::KeyMismatch);
}

#[test]
fn a_certificate_or_key_of_another_algorithm_is_refused() {
    let crypto = RustCrypto::new();
    // A P-384 certificate and key in a P-256 suite.
    let err = X509Signer::from_files(
        &crypto,
        SUITE_P256,
        &fixture("p384", "chain.pem"),
        &fixture("p384", "ee.key.pem"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        X509Error::CertificateAlgorithmMismatch {
            certificate: "P-384".into(),
            suite: SignatureScheme::EcdsaSecp256r1Sha256
        }
    );
    // The right certificate, an Ed25519 key.
    let err = X509Signer::from_files(
        &crypto,
        SUITE_P256,
        &fixture("p256", "chain.pem"),
        &fixture("ed25519", "ee.key.pem"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        X509Error::KeyAlgorithmMismatch {
            key: SignatureScheme::Ed25519,
            suite: SignatureScheme::EcdsaSecp256r1Sha256
        }
    );
}

#[test]
fn keys_we_cannot_use_are_refused_with_a_reason() {
    // Encrypted PKCS#8.
    let encrypted =
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_eq!(
        PrivateKey::from_pem(encrypted).unwrap_err(),
        X509Error::EncryptedKey
    );
    // RSA (PKCS#1).
    let rsa = b"-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(
        PrivateKey::from_pem(rsa).unwrap_err(),
        X509Error::UnsupportedKey {
            algorithm: "RSA".into()
        }
    );
    // An X25519 PKCS#8 key (RFC 8410 §10.3 layout).
    let mut x25519 = hex::decode("302e020100300506032b656e04220420").unwrap();
    x25519.extend([7u8; 32]);
    let err = PrivateKey::from_der(&x25519).unwrap_err();
    assert!(
        matches!(&err, X509Error::UnsupportedKey { algorithm: name } if name.contains("key-agreement")),
        "{err:?}"
    );
    // No key at all, or not PEM.
    assert_eq!(
        PrivateKey::from_pem(&fixture("p256", "ee.pem")).unwrap_err(),
        X509Error::Missing {
            what: "private key"
        }
    );
    assert!(matches!(
        PrivateKey::from_der(b"not a key").unwrap_err(),
        X509Error::Malformed { .. }
    ));
    // An Ed25519 seed of the wrong length.
    let mut short = hex::decode("302d020100300506032b65700421041f").unwrap();
    short.extend([7u8; 31]);
    let err = PrivateKey::from_der(&short).unwrap_err();
    assert!(
        matches!(&err, X509Error::Malformed { detail, .. } if detail.contains("31 bytes")),
        "{err:?}"
    );
}

/// PKCS#8 v2 carries the public key: one that is not the private key's is
/// refused (a corrupted or spliced key file).
#[test]
fn an_inconsistent_key_file_is_refused() {
    let chain = Chain::new(SUITE_ED25519);
    let mut der = chain.ee.key.serialize_der();
    assert!(
        der.ends_with(chain.ee.key.public_key_raw()),
        "ring's PKCS#8 v2"
    );
    *der.last_mut().unwrap() ^= 1;
    let key = PrivateKey::from_pkcs8_der(&der).unwrap();
    let err =
        X509Signer::from_private_key(&RustCrypto::new(), SUITE_ED25519, chain.credential(), &key)
            .unwrap_err();
    assert_eq!(err, X509Error::InconsistentKey);
}

#[test]
fn certificate_files_we_cannot_read_are_refused() {
    assert_eq!(
        load_certificates(b"").unwrap_err(),
        X509Error::Missing {
            what: "certificate"
        }
    );
    assert_eq!(
        load_certificates(&fixture("p256", "ee.key.pem")).unwrap_err(),
        X509Error::Missing {
            what: "certificate"
        }
    );
    assert!(matches!(
        load_certificates(b"garbage").unwrap_err(),
        X509Error::Malformed { .. }
    ));
    let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        load_certificates(broken).unwrap_err(),
        X509Error::Pem { .. }
    ));
}

/// The builder lists the credential type it uses: x509.
#[test]
fn x509_key_packages_list_x509_in_their_capabilities() {
    let crypto = RustCrypto::new();
    let signer = X509Signer::from_files(
        &crypto,
        SUITE_ED448,
        &fixture("ed448", "chain.pem"),
        &fixture("ed448", "ee.key.pem"),
    )
    .unwrap();
    let bundle = builder().build_x509(&crypto, SUITE_ED448, &signer).unwrap();
    let leaf = bundle.key_package().leaf_node();
    assert!(
        leaf.capabilities
            .credentials
            .iter()
            .any(|t| *t == keypackage_core::traits::CredentialType::X509)
    );
    assert_eq!(leaf.credential, signer.credential());
    assert_eq!(&leaf.signature_key, signer.public_key());
}

/// The chain must be in RFC 9420 §5.3 order, end entity first.
#[test]
fn a_chain_out_of_order_is_refused() {
    let crypto = RustCrypto::new();
    let mut chain = load_certificates(&fixture("p256", "chain.pem")).unwrap();
    chain.reverse();
    let key = PrivateKey::from_pem(&fixture("p256", "ee.key.pem")).unwrap();
    let err = X509Signer::from_private_key(&crypto, SUITE_P256, chain, &key).unwrap_err();
    assert!(
        matches!(
            &err,
            X509Error::Malformed {
                what: "certificate chain",
                ..
            }
        ),
        "{err:?}"
    );
}
