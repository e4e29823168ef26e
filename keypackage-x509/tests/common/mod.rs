//! Shared by the keypackage-x509 tests: fixed times, the OpenSSL fixtures,
//! certificate chains made with rcgen, and a key package made and
//! validated around a credential.
#![allow(dead_code)]

use std::path::PathBuf;

use keypackage_core::traits::{CipherSuite, OpenMlsCrypto, Signer};
use keypackage_core::{
    CredentialRejected, CredentialValidator, KeyPackageBuilder, KeyPackageIn, Lifetime,
    ValidationContext, ValidationError,
};
use keypackage_x509::{PrivateKey, X509Signer, x509_credential};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};

/// 2030-01-01T00:00:00Z: inside every fixture's and every default chain's
/// validity. Tests never read the clock.
pub(crate) const NOW: u64 = 1_893_456_000;
/// 2024-01-01 and 2046-01-01: a key package lifetime around every `now`
/// the tests use (the maximum-lifetime rule is switched off for it).
const KP_FROM: u64 = 1_704_067_200;
const KP_UNTIL: u64 = 2_398_377_600;

pub(crate) const SUITE_ED25519: CipherSuite =
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
pub(crate) const SUITE_P256: CipherSuite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
pub(crate) const SUITE_P384: CipherSuite = CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384;
pub(crate) const SUITE_P521: CipherSuite = CipherSuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521;
pub(crate) const SUITE_ED448: CipherSuite = CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448;

/// `keypackage-x509/tests/fixtures/<name>` (made by `generate.sh`).
pub(crate) fn fixture(alg: &str, file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(alg)
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The builder the tests use: a fixed lifetime around every `now`.
pub(crate) fn builder() -> KeyPackageBuilder {
    KeyPackageBuilder::new()
        .max_lifetime(None)
        .lifetime(Lifetime::new(KP_FROM, KP_UNTIL))
}

/// Makes a key package whose credential is `chain` and whose signature
/// key is `signer`'s (whether or not they match), then validates it at
/// `now` with `validator`. Any refusal other than KP-CREDENTIAL panics.
pub(crate) fn verdict<C: OpenMlsCrypto, S: Signer>(
    crypto: &C,
    suite: CipherSuite,
    chain: &[Vec<u8>],
    signer: &S,
    validator: &dyn CredentialValidator,
    now: u64,
) -> Result<(), CredentialRejected> {
    let bundle = builder()
        .build(
            crypto,
            suite,
            x509_credential(chain.iter().cloned()),
            signer,
        )
        .expect("build");
    let bytes = bundle.key_package().encode().expect("encode");
    let ctx = ValidationContext::new(now, validator).with_max_lifetime(None);
    match KeyPackageIn::decode(&bytes)
        .expect("decode")
        .validate(crypto, &ctx)
    {
        Ok(kp) => {
            assert_eq!(kp.reference(), bundle.reference());
            Ok(())
        }
        Err(ValidationError::Credential(rejected)) => Err(rejected),
        Err(other) => panic!("refused by another rule: {other}"),
    }
}

/// The backend signer of an rcgen key, through our PKCS#8 loader.
pub(crate) fn signer_for<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
    chain: &[Vec<u8>],
    key: &KeyPair,
) -> X509Signer<<C::Suite as keypackage_core::traits::CipherSuiteProvider>::Signer> {
    let key = PrivateKey::from_pkcs8_der(&key.serialize_der()).expect("PKCS#8 of rcgen");
    X509Signer::from_private_key(crypto, suite, chain.to_vec(), &key).expect("signer")
}

/// rcgen's signature algorithm for a suite's scheme (the ones ring signs).
pub(crate) fn rcgen_alg(suite: CipherSuite) -> &'static rcgen::SignatureAlgorithm {
    match suite {
        SUITE_ED25519 => &rcgen::PKCS_ED25519,
        SUITE_P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        SUITE_P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        other => panic!("no rcgen algorithm for {other:?}"),
    }
}

pub(crate) use rcgen::date_time_ymd as ymd;

/// A CA: `path_len` None = unconstrained.
pub(crate) fn ca_params(cn: &str, path_len: Option<u8>) -> CertificateParams {
    let mut params = CertificateParams::default();
    // Not rcgen's default name, whose CN would come first.
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Example");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = ymd(2025, 1, 1);
    params.not_after = ymd(2040, 1, 1);
    params
}

/// An end entity: alice, with e-mail, URI and DNS SANs, keyUsage
/// digitalSignature, EKU clientAuth, valid 2025–2035.
pub(crate) fn ee_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    // Not rcgen's default name, whose CN would come first.
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Example");
    params.distinguished_name.push(DnType::CommonName, "alice");
    params.subject_alt_names = vec![
        SanType::Rfc822Name("alice@example.com".try_into().unwrap()),
        SanType::URI("mls://example.com/alice".try_into().unwrap()),
        SanType::DnsName("alice.example.com".try_into().unwrap()),
    ];
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.serial_number = Some(SerialNumber::from(0x4242u64));
    params.not_before = ymd(2025, 1, 1);
    params.not_after = ymd(2035, 1, 1);
    params
}

/// A certificate with its parameters and key, usable as an issuer.
pub(crate) struct Node {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub der: Vec<u8>,
}

impl Node {
    pub(crate) fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

/// Issues `params` with a fresh key of `suite`'s algorithm, signed by
/// `issuer` (self-signed when `None`).
pub(crate) fn issue(suite: CipherSuite, params: CertificateParams, issuer: Option<&Node>) -> Node {
    let key = KeyPair::generate_for(rcgen_alg(suite)).unwrap();
    issue_with_key(params, key, issuer)
}

pub(crate) fn issue_with_key(
    params: CertificateParams,
    key: KeyPair,
    issuer: Option<&Node>,
) -> Node {
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, &issuer.issuer()).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    Node {
        der: cert.der().to_vec(),
        params,
        key,
    }
}

/// root → intermediate → end entity, all of `suite`'s algorithm.
pub(crate) struct Chain {
    pub root: Node,
    pub intermediate: Node,
    pub ee: Node,
}

impl Chain {
    /// The default chain, with `tweak` applied to the end entity's and
    /// `tweak_ca` to the intermediate's parameters.
    pub(crate) fn with(
        suite: CipherSuite,
        tweak_ca: impl FnOnce(&mut CertificateParams),
        tweak: impl FnOnce(&mut CertificateParams),
    ) -> Self {
        let root = issue(suite, ca_params("Test Root", None), None);
        let mut ca = ca_params("Test Intermediate", Some(0));
        tweak_ca(&mut ca);
        let intermediate = issue(suite, ca, Some(&root));
        let mut ee = ee_params();
        tweak(&mut ee);
        let ee = issue(suite, ee, Some(&intermediate));
        Self {
            root,
            intermediate,
            ee,
        }
    }

    pub(crate) fn new(suite: CipherSuite) -> Self {
        Self::with(suite, |_| {}, |_| {})
    }

    /// The credential: end entity, intermediate.
    pub(crate) fn credential(&self) -> Vec<Vec<u8>> {
        vec![self.ee.der.clone(), self.intermediate.der.clone()]
    }
}

/// DER: tag, definite length, content.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The (header length, total length) of the TLV at the start of `der`.
fn tlv_span(der: &[u8]) -> (usize, usize) {
    let first = der[1];
    if first < 0x80 {
        (2, 2 + first as usize)
    } else {
        let n = (first & 0x7f) as usize;
        let len = der[2..2 + n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (2 + n, 2 + n + len)
    }
}

/// Re-signs `certificate` after `edit` changed its TBS bytes, with
/// `issuer_key`: a certificate that differs only where the test wants.
pub(crate) fn resign(
    certificate: &[u8],
    issuer_key: &KeyPair,
    edit: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    use rcgen::SigningKey as _;
    let (header, total) = tlv_span(certificate);
    assert_eq!(total, certificate.len());
    let body = &certificate[header..];
    let (_, tbs_len) = tlv_span(body);
    let mut tbs = body[..tbs_len].to_vec();
    let rest = &body[tbs_len..];
    let (_, alg_len) = tlv_span(rest);
    let algorithm = &rest[..alg_len];
    edit(&mut tbs);
    let signature = issuer_key.sign(&tbs).unwrap();
    let mut bits = vec![0u8];
    bits.extend(signature);
    let mut content = tbs;
    content.extend_from_slice(algorithm);
    content.extend(tlv(0x03, &bits));
    tlv(0x30, &content)
}

/// Replaces the first occurrence of `from` in `bytes` with `to` (same
/// length).
pub(crate) fn replace_once(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    bytes[at..at + from.len()].copy_from_slice(to);
}

/// The certificate with the last byte of its signature flipped.
pub(crate) fn broken_signature(certificate: &[u8]) -> Vec<u8> {
    let mut out = certificate.to_vec();
    *out.last_mut().unwrap() ^= 0x01;
    out
}
