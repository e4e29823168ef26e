//! The OpenSSL-made chains (tests/fixtures, `generate.sh`): Ed25519,
//! Ed448, P-256, P-384, P-521, each signed into a key package and
//! path-validated under every backend that has the scheme, the key package
//! made by one backend and validated by the other where both have it.
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
use keypackage_core::traits::{CipherSuite, OpenMlsCrypto, SignatureScheme};
use keypackage_core::{
    CredentialInput, CredentialRejection, KeyPackageIn, ValidationContext, ValidationError,
};
use keypackage_x509::{
    BuildX509, CertificateInfo, PublicKeyAlgorithm, SubjectAltName, TrustAnchors,
    X509CredentialValidator, X509Error, X509Identity, X509Signer, format_time,
};

const ALGORITHMS: [(&str, CipherSuite, PublicKeyAlgorithm); 5] = [
    ("ed25519", SUITE_ED25519, PublicKeyAlgorithm::Ed25519),
    ("p256", SUITE_P256, PublicKeyAlgorithm::EcP256),
    ("p384", SUITE_P384, PublicKeyAlgorithm::EcP384),
    ("p521", SUITE_P521, PublicKeyAlgorithm::EcP521),
    ("ed448", SUITE_ED448, PublicKeyAlgorithm::Ed448),
];

fn validator<C: OpenMlsCrypto>(crypto: &C, alg: &str) -> X509CredentialValidator
where
    C::Suite: 'static,
{
    X509CredentialValidator::new(
        crypto,
        TrustAnchors::from_pem(&fixture(alg, "root.pem")).unwrap(),
    )
}

/// Made by `maker`, validated by `checker`: the signer comes from the
/// PEM chain and PKCS#8 key; the path is validated to the root.
fn made_and_validated<M: OpenMlsCrypto, V: OpenMlsCrypto>(
    maker: &M,
    checker: &V,
    alg: &str,
    suite: CipherSuite,
) where
    V::Suite: 'static,
{
    let signer = X509Signer::from_files(
        maker,
        suite,
        &fixture(alg, "chain.pem"),
        &fixture(alg, "ee.key.pem"),
    )
    .unwrap();
    let bundle = builder().build_x509(maker, suite, &signer).unwrap();
    let bytes = bundle.key_package().encode().unwrap();
    let validator = validator(checker, alg);
    // The identity rule sees what the end entity asserts.
    let alice = |id: &X509Identity, _: &CredentialInput<'_>| {
        let seen = (
            id.subject.to_string(),
            id.emails().collect::<Vec<_>>(),
            id.uris().collect::<Vec<_>>(),
            id.dns_names().collect::<Vec<_>>(),
        );
        let expected = (
            "CN=alice,O=Example".to_owned(),
            vec!["alice@example.com"],
            vec!["mls://example.com/alice"],
            vec!["alice.example.com"],
        );
        if seen == expected {
            Ok(())
        } else {
            Err(format!("{seen:?}"))
        }
    };
    let per_upload = validator.with_rule(&alice);
    let ctx = ValidationContext::new(NOW, &per_upload).with_max_lifetime(None);
    let kp = KeyPackageIn::decode(&bytes)
        .unwrap()
        .validate(checker, &ctx)
        .unwrap_or_else(|e| panic!("{alg}: {} → {}: {e}", maker.name(), checker.name()));
    assert_eq!(kp.reference(), bundle.reference());
    assert_eq!(kp.leaf_node().credential, signer.credential());

    // Another uploader: the same key package is refused for its identity.
    let bob = |id: &X509Identity, _: &CredentialInput<'_>| {
        if id.emails().any(|e| e == "bob@example.com") {
            Ok(())
        } else {
            Err("not bob".to_owned())
        }
    };
    let for_bob = validator.with_rule(&bob);
    let ctx = ValidationContext::new(NOW, &for_bob).with_max_lifetime(None);
    let err = KeyPackageIn::decode(&bytes)
        .unwrap()
        .validate(checker, &ctx)
        .unwrap_err();
    let ValidationError::Credential(rejected) = err else {
        panic!("{err}")
    };
    assert_eq!(rejected.kind, CredentialRejection::Identity);
    assert_eq!(rejected.detail, "not bob");
}

#[test]
fn every_algorithm_validates_under_rustcrypto() {
    let crypto = RustCrypto::new();
    for (alg, suite, _) in ALGORITHMS {
        made_and_validated(&crypto, &crypto, alg, suite);
    }
}

#[test]
fn the_ring_algorithms_validate_under_ring_and_across_backends() {
    let ring = RingCrypto::new();
    let rustcrypto = RustCrypto::new();
    for (alg, suite, _) in ALGORITHMS {
        if !ring.supports(suite) {
            continue;
        }
        made_and_validated(&ring, &ring, alg, suite);
        made_and_validated(&ring, &rustcrypto, alg, suite);
        made_and_validated(&rustcrypto, &ring, alg, suite);
    }
}

/// ring has no P-521 or Ed448: its validator leaves those schemes out, and
/// its signer refuses the suite (a typed error, not a panic).
#[test]
fn ring_lacks_p521_and_ed448_and_says_so() {
    let ring = RingCrypto::new();
    let v = validator(&ring, "p256");
    assert_eq!(
        v.schemes(),
        [
            SignatureScheme::Ed25519,
            SignatureScheme::EcdsaSecp256r1Sha256,
            SignatureScheme::EcdsaSecp384r1Sha384
        ]
    );
    let all = validator(&RustCrypto::new(), "p256");
    assert_eq!(all.schemes().len(), 5);
    for (alg, suite) in [("p521", SUITE_P521), ("ed448", SUITE_ED448)] {
        let err = X509Signer::from_files(
            &ring,
            suite,
            &fixture(alg, "chain.pem"),
            &fixture(alg, "ee.key.pem"),
        )
        .unwrap_err();
        assert!(matches!(err, X509Error::Crypto(_)), "{err:?}");
    }
}

/// Certificate signatures are verified by the backend: a P-256 end entity
/// under a P-521 root (`fixtures/mixed`) validates with RustCrypto, and
/// ring, which has P-256 but no P-521, cannot verify the root's signature
/// on the intermediate.
#[test]
fn the_backend_verifies_every_certificate_signature() {
    let chain = keypackage_x509::load_certificates(&fixture("mixed", "chain.pem")).unwrap();
    let key = fixture("mixed", "ee.key.pem");
    let rustcrypto = RustCrypto::new();
    let signer = X509Signer::from_files(
        &rustcrypto,
        SUITE_P256,
        &fixture("mixed", "chain.pem"),
        &key,
    )
    .unwrap();
    verdict(
        &rustcrypto,
        SUITE_P256,
        &chain,
        &signer,
        &validator(&rustcrypto, "mixed"),
        NOW,
    )
    .unwrap();

    let ring = RingCrypto::new();
    let signer =
        X509Signer::from_files(&ring, SUITE_P256, &fixture("mixed", "chain.pem"), &key).unwrap();
    let err = verdict(
        &ring,
        SUITE_P256,
        &chain,
        &signer,
        &validator(&ring, "mixed"),
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.kind, CredentialRejection::Unsupported, "{err}");
}

/// The same chain, anchored at another algorithm's root: no path.
#[test]
fn another_root_is_no_anchor() {
    let crypto = RustCrypto::new();
    let chain = keypackage_x509::load_certificates(&fixture("p256", "chain.pem")).unwrap();
    let signer = X509Signer::from_files(
        &crypto,
        SUITE_P256,
        &fixture("p256", "chain.pem"),
        &fixture("p256", "ee.key.pem"),
    )
    .unwrap();
    let err = verdict(
        &crypto,
        SUITE_P256,
        &chain,
        &signer,
        &validator(&crypto, "p521"),
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.kind, CredentialRejection::UnknownIssuer, "{err}");
}

#[test]
fn the_fixture_certificates_read_as_openssl_wrote_them() {
    for (alg, _, key_algorithm) in ALGORITHMS {
        let ee = CertificateInfo::parse(
            &keypackage_x509::load_certificates(&fixture(alg, "ee.pem")).unwrap()[0],
        )
        .unwrap();
        assert_eq!(ee.public_key_algorithm, key_algorithm, "{alg}");
        assert_eq!(ee.subject.to_string(), "CN=alice,O=Example");
        assert_eq!(ee.subject.common_name(), Some("alice"));
        assert_eq!(
            ee.issuer.to_string(),
            format!("CN=Example Intermediate CA ({alg}),O=Example")
        );
        assert_eq!(format_time(ee.not_before), "2025-01-01T00:00:00Z");
        assert_eq!(format_time(ee.not_after), "2045-01-01T00:00:00Z");
        assert_eq!(
            ee.subject_alt_names,
            [
                SubjectAltName::Email("alice@example.com".into()),
                SubjectAltName::Uri("mls://example.com/alice".into()),
                SubjectAltName::Dns("alice.example.com".into()),
            ]
        );
        assert!(!ee.is_ca());
        assert_eq!(ee.key_usage.unwrap().names(), ["digitalSignature"]);
        assert_eq!(
            ee.extended_key_usage.as_deref(),
            Some(&["1.3.6.1.5.5.7.3.2".to_owned()][..])
        );
        let ca = CertificateInfo::parse(
            &keypackage_x509::load_certificates(&fixture(alg, "intermediate.pem")).unwrap()[0],
        )
        .unwrap();
        assert!(ca.is_ca());
        assert_eq!(ca.basic_constraints.unwrap().path_len, Some(0));
        assert_eq!(ca.key_usage.unwrap().names(), ["keyCertSign", "cRLSign"]);
    }
}

/// OpenSSL's CRLs (v2, signed by the intermediate), verified by our
/// backends: one revokes the end entity, one revokes nothing.
#[test]
fn openssl_crls_are_honoured_under_both_backends() {
    let rustcrypto = RustCrypto::new();
    let ring = RingCrypto::new();
    for (alg, suite, _) in ALGORITHMS {
        let chain = keypackage_x509::load_certificates(&fixture(alg, "chain.pem")).unwrap();
        let key = fixture(alg, "ee.key.pem");
        let check = |crypto: &dyn Fn(&str) -> Result<(), keypackage_core::CredentialRejected>| {
            crypto("crl-empty.pem").unwrap();
            let err = crypto("crl-revoked.pem").unwrap_err();
            assert_eq!(err.kind, CredentialRejection::Revoked, "{alg}: {err}");
        };
        check(&|crl| {
            let signer =
                X509Signer::from_files(&rustcrypto, suite, &fixture(alg, "chain.pem"), &key)
                    .unwrap();
            let v = validator(&rustcrypto, alg)
                .with_crls(&fixture(alg, crl))
                .unwrap();
            verdict(&rustcrypto, suite, &chain, &signer, &v, NOW)
        });
        if ring.supports(suite) {
            check(&|crl| {
                let signer =
                    X509Signer::from_files(&ring, suite, &fixture(alg, "chain.pem"), &key).unwrap();
                let v = validator(&ring, alg).with_crls(&fixture(alg, crl)).unwrap();
                verdict(&ring, suite, &chain, &signer, &v, NOW)
            });
        }
    }
}
