//! One negative test per way an X.509 credential fails, each under both
//! backends, each on a chain made by rcgen for the test that differs from
//! a valid one only where the test says (the valid one is accepted first,
//! so the refusal is the difference's). The kind of refusal is asserted,
//! and where the detail names a certificate, which one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use keypackage_core::traits::{CipherSuite, CipherSuiteProvider, OpenMlsCrypto};
use keypackage_core::{Credential, CredentialRejected, CredentialRejection as K};
use keypackage_x509::{TrustAnchors, X509CredentialValidator};
use rcgen::{
    CertificateRevocationListParams, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, KeyIdMethod,
    KeyPair, KeyUsagePurpose, NameConstraints, RevokedCertParams, SanType, SerialNumber,
};

fn anchors(root: &Node) -> TrustAnchors {
    TrustAnchors::from_der([&root.der]).unwrap()
}

fn validator<C: OpenMlsCrypto>(crypto: &C, root: &Node) -> X509CredentialValidator
where
    C::Suite: 'static,
{
    X509CredentialValidator::new(crypto, anchors(root))
}

/// The verdict on a key package signed with the chain's end-entity key,
/// whose credential is `credential`.
fn judge<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
    chain: &Chain,
    credential: &[Vec<u8>],
    validator: &X509CredentialValidator,
    now: u64,
) -> Result<(), CredentialRejected> {
    let signer = signer_for(crypto, suite, &chain.credential(), &chain.ee.key);
    verdict(crypto, suite, credential, &signer, validator, now)
}

fn refused(result: Result<(), CredentialRejected>, kind: K) -> CredentialRejected {
    let err = result.expect_err("accepted");
    assert_eq!(err.kind, kind, "{err}");
    err
}

/// The chain's own credential (suite 1) is accepted at `then` and refused
/// with `kind` at `NOW`: only the time differs.
fn accepted_then_refused_now<C: OpenMlsCrypto>(
    crypto: &C,
    chain: &Chain,
    then: u64,
    kind: K,
) -> CredentialRejected
where
    C::Suite: 'static,
{
    let v = validator(crypto, &chain.root);
    judge(crypto, SUITE_ED25519, chain, &chain.credential(), &v, then).unwrap();
    refused(
        judge(crypto, SUITE_ED25519, chain, &chain.credential(), &v, NOW),
        kind,
    )
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod rustcrypto {
            $(
                #[test]
                fn $name() {
                    super::$name(&keypackage_core::rustcrypto::RustCrypto::new());
                }
            )*
        }
        mod ring {
            $(
                #[test]
                fn $name() {
                    super::$name(&keypackage_core::ring::RingCrypto::new());
                }
            )*
        }
    };
}

both_backends!(
    valid_chains_of_three_algorithms,
    anchor_at_the_intermediate_and_root_in_the_chain,
    expired_end_entity,
    expired_intermediate,
    not_yet_valid_end_entity,
    not_yet_valid_intermediate,
    validity_bounds_are_inclusive,
    unknown_root,
    missing_intermediate,
    broken_end_entity_signature,
    broken_intermediate_signature,
    key_mismatch,
    algorithm_mismatch_with_the_same_key_bytes,
    algorithm_mismatch_of_another_curve,
    ca_certificate_as_end_entity,
    key_usage_without_digital_signature,
    required_eku_missing_or_wrong,
    required_eku_refused_by_a_ca,
    revoked_by_crl,
    crl_problems,
    path_length_exceeded,
    name_constraints_violated,
    not_an_x509_credential,
    undecodable_end_entity,
    chain_out_of_order,
);

fn valid_chains_of_three_algorithms<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    for suite in [SUITE_ED25519, SUITE_P256, SUITE_P384] {
        let chain = Chain::new(suite);
        let v = validator(crypto, &chain.root);
        judge(crypto, suite, &chain, &chain.credential(), &v, NOW).unwrap();
    }
}

fn anchor_at_the_intermediate_and_root_in_the_chain<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    // The intermediate itself trusted: the end entity alone is a path.
    let v = validator(crypto, &chain.intermediate);
    judge(
        crypto,
        SUITE_ED25519,
        &chain,
        std::slice::from_ref(&chain.ee.der),
        &v,
        NOW,
    )
    .unwrap();
    // The root sent along: harmless.
    let v = validator(crypto, &chain.root);
    let mut with_root = chain.credential();
    with_root.push(chain.root.der.clone());
    judge(crypto, SUITE_ED25519, &chain, &with_root, &v, NOW).unwrap();
}

fn expired_end_entity<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(SUITE_ED25519, |_| {}, |ee| ee.not_after = ymd(2029, 6, 1));
    let err = accepted_then_refused_now(crypto, &chain, ymd_secs(2029, 5, 1), K::Expired);
    assert!(err.detail.starts_with("certificate 0 ("), "{err}");
    assert!(err.detail.contains("CN=alice"), "{err}");
    assert!(
        err.detail.contains(") expired at 2029-06-01T00:00:00Z"),
        "{err}"
    );
}

fn expired_intermediate<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(SUITE_ED25519, |ca| ca.not_after = ymd(2029, 6, 1), |_| {});
    let err = accepted_then_refused_now(crypto, &chain, ymd_secs(2029, 5, 1), K::Expired);
    assert!(err.detail.starts_with("certificate 1 ("), "{err}");
    assert!(err.detail.contains("CN=Test Intermediate"), "{err}");
}

fn not_yet_valid_end_entity<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(SUITE_ED25519, |_| {}, |ee| ee.not_before = ymd(2031, 1, 1));
    let err = accepted_then_refused_now(crypto, &chain, ymd_secs(2031, 2, 1), K::NotYetValid);
    assert!(err.detail.contains("certificate 0"), "{err}");
}

fn not_yet_valid_intermediate<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(SUITE_ED25519, |ca| ca.not_before = ymd(2031, 1, 1), |_| {});
    let err = accepted_then_refused_now(crypto, &chain, ymd_secs(2031, 2, 1), K::NotYetValid);
    assert!(err.detail.contains("certificate 1"), "{err}");
}

/// RFC 5280 §4.1.2.5: notBefore and notAfter are both inside the period.
fn validity_bounds_are_inclusive<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &chain.root);
    let (from, until) = (ymd_secs(2025, 1, 1), ymd_secs(2035, 1, 1));
    let judge_at = |now| judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, now);
    judge_at(from).unwrap();
    judge_at(until).unwrap();
    refused(judge_at(from - 1), K::NotYetValid);
    refused(judge_at(until + 1), K::Expired);
}

fn unknown_root<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    let stranger = issue(SUITE_ED25519, ca_params("Stranger Root", None), None);
    let v = validator(crypto, &stranger);
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::UnknownIssuer,
    );
    assert!(err.detail.contains("no path to a trust anchor"), "{err}");
    // A root of the same name with another key: the name matches, so the
    // path reaches it, and the intermediate's signature fails.
    let impostor = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &impostor.root);
    refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::BadSignature,
    );
    // No anchor at all.
    let v = X509CredentialValidator::new(crypto, TrustAnchors::new());
    refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::UnknownIssuer,
    );
}

fn missing_intermediate<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &chain.root);
    refused(
        judge(
            crypto,
            SUITE_ED25519,
            &chain,
            std::slice::from_ref(&chain.ee.der),
            &v,
            NOW,
        ),
        K::UnknownIssuer,
    );
}

fn broken_end_entity_signature<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    for suite in [SUITE_ED25519, SUITE_P256] {
        let chain = Chain::new(suite);
        let v = validator(crypto, &chain.root);
        let credential = vec![
            broken_signature(&chain.ee.der),
            chain.intermediate.der.clone(),
        ];
        refused(
            judge(crypto, suite, &chain, &credential, &v, NOW),
            K::BadSignature,
        );
    }
}

fn broken_intermediate_signature<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    for suite in [SUITE_ED25519, SUITE_P384] {
        let chain = Chain::new(suite);
        let v = validator(crypto, &chain.root);
        let credential = vec![
            chain.ee.der.clone(),
            broken_signature(&chain.intermediate.der),
        ];
        refused(
            judge(crypto, suite, &chain, &credential, &v, NOW),
            K::BadSignature,
        );
    }
}

/// The certificate is valid, but for another key than the leaf's.
fn key_mismatch<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_P256);
    let v = validator(crypto, &chain.root);
    let provider = crypto.suite(SUITE_P256).unwrap();
    let other = provider.signature_generate_key_pair().unwrap();
    let other_signer = provider.signer(&other.private).unwrap();
    let err = refused(
        verdict(
            crypto,
            SUITE_P256,
            &chain.credential(),
            &other_signer,
            &v,
            NOW,
        ),
        K::KeyMismatch,
    );
    assert!(err.detail.contains("signature_key"), "{err}");
}

/// An X25519 end-entity key with exactly the leaf's Ed25519 key bytes,
/// properly signed by the intermediate: a key-agreement key, not the
/// suite's signature key (RFC 9420 §5.1.2).
fn algorithm_mismatch_with_the_same_key_bytes<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &chain.root);
    // id-Ed25519 (1.3.101.112) → id-X25519 (1.3.101.110) in the SPKI only.
    let x25519 = resign(&chain.ee.der, &chain.intermediate.key, |tbs| {
        let ed25519_spki_prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
        let x25519_spki_prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e];
        replace_once(tbs, &ed25519_spki_prefix, &x25519_spki_prefix);
    });
    let info = keypackage_x509::CertificateInfo::parse(&x25519).unwrap();
    assert_eq!(
        info.public_key_algorithm,
        keypackage_x509::PublicKeyAlgorithm::X25519
    );
    assert_eq!(info.public_key, chain.ee.key.public_key_raw());
    let credential = vec![x25519.clone(), chain.intermediate.der.clone()];
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &credential, &v, NOW),
        K::AlgorithmMismatch,
    );
    assert!(err.detail.contains("X25519"), "{err}");
    // The re-signed certificate is otherwise sound: with the Ed25519 OID
    // restored by the same re-signing, it validates.
    let restored = resign(&x25519, &chain.intermediate.key, |tbs| {
        replace_once(
            tbs,
            &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e],
            &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70],
        );
    });
    let credential = vec![restored, chain.intermediate.der.clone()];
    judge(crypto, SUITE_ED25519, &chain, &credential, &v, NOW).unwrap();
}

/// A P-384 certificate in a P-256 suite.
fn algorithm_mismatch_of_another_curve<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let p384 = Chain::new(SUITE_P384);
    let v = validator(crypto, &p384.root);
    let provider = crypto.suite(SUITE_P256).unwrap();
    let key = provider.signature_generate_key_pair().unwrap();
    let signer = provider.signer(&key.private).unwrap();
    refused(
        verdict(crypto, SUITE_P256, &p384.credential(), &signer, &v, NOW),
        K::AlgorithmMismatch,
    );
}

fn ca_certificate_as_end_entity<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(
        SUITE_ED25519,
        |ca| ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Constrained(1)),
        |ee| {
            ee.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            ee.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
            ];
        },
    );
    let v = validator(crypto, &chain.root);
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::CaAsEndEntity,
    );
    assert!(err.detail.contains("certificate 0"), "{err}");
}

fn key_usage_without_digital_signature<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(
        SUITE_ED25519,
        |_| {},
        |ee| {
            ee.key_usages = vec![KeyUsagePurpose::KeyAgreement];
        },
    );
    let v = validator(crypto, &chain.root);
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::KeyUsage,
    );
    assert!(err.detail.contains("keyAgreement"), "{err}");
    // Without the extension, any use is allowed (RFC 5280 §4.2.1.3).
    let chain = Chain::with(SUITE_ED25519, |_| {}, |ee| ee.key_usages = Vec::new());
    let v = validator(crypto, &chain.root);
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
}

const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";

fn required_eku_missing_or_wrong<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    // The default end entity lists clientAuth: accepted when required.
    let chain = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &chain.root)
        .require_extended_key_usage(CLIENT_AUTH)
        .unwrap();
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();

    // serverAuth only: wrong purpose.
    let chain = Chain::with(
        SUITE_ED25519,
        |_| {},
        |ee| {
            ee.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        },
    );
    let v = validator(crypto, &chain.root);
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
    let v = v.require_extended_key_usage(CLIENT_AUTH).unwrap();
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::ExtendedKeyUsage,
    );
    assert!(err.detail.contains("1.3.6.1.5.5.7.3.1"), "{err}");

    // No EKU extension, or anyExtendedKeyUsage alone: a required purpose
    // is not listed.
    for ekus in [vec![], vec![ExtendedKeyUsagePurpose::Any]] {
        let chain = Chain::with(SUITE_ED25519, |_| {}, |ee| ee.extended_key_usages = ekus);
        let v = validator(crypto, &chain.root)
            .require_extended_key_usage(CLIENT_AUTH)
            .unwrap();
        refused(
            judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
            K::ExtendedKeyUsage,
        );
    }
}

/// An intermediate restricted to serverAuth may not issue for clientAuth
/// when clientAuth is required; one that lists anyExtendedKeyUsage may.
fn required_eku_refused_by_a_ca<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(
        SUITE_ED25519,
        |ca| ca.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth],
        |_| {},
    );
    let v = validator(crypto, &chain.root);
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
    let v = v.require_extended_key_usage(CLIENT_AUTH).unwrap();
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::ExtendedKeyUsage,
    );
    assert!(err.detail.contains("a CA on the path"), "{err}");

    let chain = Chain::with(
        SUITE_ED25519,
        |ca| ca.extended_key_usages = vec![ExtendedKeyUsagePurpose::Any],
        |_| {},
    );
    let v = validator(crypto, &chain.root)
        .require_extended_key_usage(CLIENT_AUTH)
        .unwrap();
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
}

fn crl(issuer: &Node, revoked: &[u64], next_update: (i32, u8, u8)) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update: ymd(2029, 1, 1),
        next_update: ymd(next_update.0, next_update.1, next_update.2),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from(*serial),
                revocation_time: ymd(2029, 1, 1),
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer.issuer())
    .unwrap()
    .der()
    .to_vec()
}

fn revoked_by_crl<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::with(
        SUITE_ED25519,
        |ca| ca.serial_number = Some(SerialNumber::from(0x77u64)),
        |_| {},
    );
    // The intermediate's CRL revokes another serial: accepted.
    let v = validator(crypto, &chain.root)
        .with_crls(&crl(&chain.intermediate, &[7], (2031, 1, 1)))
        .unwrap();
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
    // It revokes the end entity (serial 0x4242).
    let v = validator(crypto, &chain.root)
        .with_crls(&crl(&chain.intermediate, &[7, 0x4242], (2031, 1, 1)))
        .unwrap();
    refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::Revoked,
    );
    // The root's CRL revokes the intermediate.
    let v = validator(crypto, &chain.root)
        .with_crls(&crl(&chain.root, &[0x77], (2031, 1, 1)))
        .unwrap();
    refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::Revoked,
    );
    // Several CRLs of one issuer, in either order: each is consulted.
    let none = crl(&chain.intermediate, &[7], (2031, 1, 1));
    let ee = crl(&chain.intermediate, &[0x4242], (2031, 1, 1));
    for (first, second) in [(&none, &ee), (&ee, &none)] {
        let v = validator(crypto, &chain.root)
            .with_crls(first)
            .unwrap()
            .with_crls(second)
            .unwrap();
        refused(
            judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
            K::Revoked,
        );
    }
}

fn crl_problems<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    // Stale: nextUpdate before now. Refused unless allowed.
    let stale = crl(&chain.intermediate, &[7], (2029, 6, 1));
    let v = validator(crypto, &chain.root).with_crls(&stale).unwrap();
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::Other,
    );
    assert!(err.detail.contains("CRL expired at 2029-06-01"), "{err}");
    let v = validator(crypto, &chain.root)
        .with_crls(&stale)
        .unwrap()
        .allow_expired_crls(true);
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
    // Forged: the intermediate's name, another key.
    let forger = Node {
        params: chain.intermediate.params.clone(),
        key: KeyPair::generate_for(rcgen_alg(SUITE_ED25519)).unwrap(),
        der: Vec::new(),
    };
    let forged = crl(&forger, &[7], (2031, 1, 1));
    let v = validator(crypto, &chain.root).with_crls(&forged).unwrap();
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::Other,
    );
    assert!(err.detail.contains("CRL's signature"), "{err}");
    // Status required: the intermediate's CRL alone leaves the
    // intermediate (judged by the root) unknown.
    let v = validator(crypto, &chain.root)
        .with_crls(&crl(&chain.intermediate, &[7], (2031, 1, 1)))
        .unwrap()
        .require_revocation_status(true);
    refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::Other,
    );
    let v = v.with_crls(&crl(&chain.root, &[7], (2031, 1, 1))).unwrap();
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
}

/// root → intermediate 1 (pathLen 0) → intermediate 2 → end entity.
fn path_length_exceeded<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let suite = SUITE_ED25519;
    let build = |first_path_len| {
        let root = issue(suite, ca_params("Test Root", None), None);
        let first = issue(
            suite,
            ca_params("Intermediate 1", first_path_len),
            Some(&root),
        );
        let second = issue(suite, ca_params("Intermediate 2", Some(0)), Some(&first));
        let ee = issue(suite, ee_params(), Some(&second));
        let credential = vec![ee.der.clone(), second.der.clone(), first.der.clone()];
        let signer = signer_for(crypto, suite, &credential, &ee.key);
        (validator(crypto, &root), credential, signer)
    };
    let (v, credential, signer) = build(Some(1));
    verdict(crypto, suite, &credential, &signer, &v, NOW).unwrap();
    let (v, credential, signer) = build(Some(0));
    refused(
        verdict(crypto, suite, &credential, &signer, &v, NOW),
        K::PathLength,
    );
}

fn name_constraints_violated<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let constrained = |ca: &mut rcgen::CertificateParams| {
        ca.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("example.com".to_owned())],
            excluded_subtrees: Vec::new(),
        });
    };
    // alice.example.com is inside example.com.
    let chain = Chain::with(SUITE_ED25519, constrained, |_| {});
    let v = validator(crypto, &chain.root);
    judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW).unwrap();
    // alice.example.org is not.
    let chain = Chain::with(SUITE_ED25519, constrained, |ee| {
        ee.subject_alt_names = vec![SanType::DnsName("alice.example.org".try_into().unwrap())];
    });
    let v = validator(crypto, &chain.root);
    refused(
        judge(crypto, SUITE_ED25519, &chain, &chain.credential(), &v, NOW),
        K::NameConstraints,
    );
}

fn not_an_x509_credential<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &chain.root);
    let provider = crypto.suite(SUITE_ED25519).unwrap();
    let key = provider.signature_generate_key_pair().unwrap();
    let signer = provider.signer(&key.private).unwrap();
    let bundle = builder()
        .build(crypto, SUITE_ED25519, Credential::basic("alice"), &signer)
        .unwrap();
    let bytes = bundle.key_package().encode().unwrap();
    let ctx = keypackage_core::ValidationContext::new(NOW, &v).with_max_lifetime(None);
    let err = keypackage_core::KeyPackageIn::decode(&bytes)
        .unwrap()
        .validate(crypto, &ctx)
        .unwrap_err();
    let keypackage_core::ValidationError::Credential(rejected) = err else {
        panic!("{err}")
    };
    assert_eq!(rejected.kind, K::Unsupported, "{rejected}");
}

fn undecodable_end_entity<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &chain.root);
    let mut truncated = chain.ee.der.clone();
    truncated.pop();
    let credential = vec![truncated, chain.intermediate.der.clone()];
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &credential, &v, NOW),
        K::Malformed,
    );
    assert!(err.detail.starts_with("certificate 0"), "{err}");
}

/// Seconds since the epoch of a date, via rcgen's calendar.
fn ymd_secs(year: i32, month: u8, day: u8) -> u64 {
    u64::try_from(ymd(year, month, day).unix_timestamp()).unwrap()
}

/// RFC 9420 §5.3: each certificate is the issuer of the one before it.
fn chain_out_of_order<C: OpenMlsCrypto>(crypto: &C)
where
    C::Suite: 'static,
{
    let chain = Chain::new(SUITE_ED25519);
    let v = validator(crypto, &chain.root);
    let stranger = issue(SUITE_ED25519, ca_params("Stranger", None), None);
    for credential in [
        vec![
            chain.ee.der.clone(),
            stranger.der.clone(),
            chain.intermediate.der.clone(),
        ],
        vec![
            chain.ee.der.clone(),
            chain.root.der.clone(),
            chain.intermediate.der.clone(),
        ],
    ] {
        let err = refused(
            judge(crypto, SUITE_ED25519, &chain, &credential, &v, NOW),
            K::Malformed,
        );
        assert!(
            err.detail.contains("is not the issuer of certificate 0"),
            "{err}"
        );
    }
    // A broken certificate after the end entity is named.
    let credential = vec![chain.ee.der.clone(), b"junk".to_vec()];
    let err = refused(
        judge(crypto, SUITE_ED25519, &chain, &credential, &v, NOW),
        K::Malformed,
    );
    assert!(err.detail.starts_with("certificate 1:"), "{err}");
}
