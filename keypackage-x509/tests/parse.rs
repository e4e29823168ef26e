//! The certificate reader: what rcgen writes reads back field by field,
//! names render as RFC 4514 says, and hostile bytes (every truncation and
//! every single-byte change of real certificates) give an error or a
//! result, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::*;
use keypackage_x509::{CertificateInfo, SubjectAltName, X509Error, load_certificates};
use rcgen::{DnType, DnValue, KeyUsagePurpose, SanType};

#[test]
fn names_render_as_rfc_4514_text() {
    let chain = Chain::with(
        SUITE_ED25519,
        |_| {},
        |ee| {
            ee.distinguished_name = rcgen::DistinguishedName::new();
            ee.distinguished_name.push(DnType::CountryName, "FR");
            ee.distinguished_name
                .push(DnType::OrganizationName, "Acme, Inc.");
            ee.distinguished_name.push(
                DnType::CommonName,
                DnValue::BmpString("#1 \"été\" ".try_into().unwrap()),
            );
        },
    );
    let info = CertificateInfo::parse(&chain.ee.der).unwrap();
    assert_eq!(
        info.subject.to_string(),
        r#"CN=\#1 \"été\"\ ,O=Acme\, Inc.,C=FR"#
    );
    assert_eq!(info.subject.common_name(), Some("#1 \"été\" "));
    assert_eq!(info.subject.values("O").collect::<Vec<_>>(), ["Acme, Inc."]);
    assert_eq!(info.issuer.to_string(), "CN=Test Intermediate,O=Example");
}

#[test]
fn extensions_read_back() {
    let chain = Chain::with(
        SUITE_P256,
        |_| {},
        |ee| {
            ee.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
                KeyUsagePurpose::DecipherOnly,
            ];
            ee.subject_alt_names = vec![
                SanType::IpAddress(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
                SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
                SanType::Rfc822Name("bob@example.com".try_into().unwrap()),
            ];
        },
    );
    let ee = CertificateInfo::parse(&chain.ee.der).unwrap();
    assert_eq!(
        ee.key_usage.unwrap().names(),
        ["digitalSignature", "keyEncipherment", "decipherOnly"]
    );
    assert_eq!(
        ee.subject_alt_names,
        [
            SubjectAltName::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
            SubjectAltName::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            SubjectAltName::Email("bob@example.com".into()),
        ]
    );
    assert_eq!(ee.serial, "4242");
    assert_eq!(ee.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(ee.public_key, chain.ee.key.public_key_raw());
    assert_eq!(ee.basic_constraints.map(|b| b.ca), Some(false));
    let ca = CertificateInfo::parse(&chain.intermediate.der).unwrap();
    assert!(ca.is_ca());
    assert_eq!(ca.basic_constraints.unwrap().path_len, Some(0));
    assert_eq!(ca.extended_key_usage, None);
    assert!(ca.subject_alt_names.is_empty());
}

#[test]
fn hostile_bytes_never_panic() {
    let mut certificates = Vec::new();
    for alg in ["ed25519", "p256", "p521", "ed448"] {
        certificates.extend(load_certificates(&fixture(alg, "chain.pem")).unwrap());
    }
    for der in &certificates {
        CertificateInfo::parse(der).unwrap();
        for len in 0..der.len() {
            let err = CertificateInfo::parse(&der[..len]).unwrap_err();
            assert!(matches!(err, X509Error::Malformed { .. }));
        }
        for at in 0..der.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut changed = der.clone();
                changed[at] ^= flip;
                let _ = CertificateInfo::parse(&changed);
            }
        }
        let mut longer = der.clone();
        longer.push(0);
        assert!(
            CertificateInfo::parse(&longer).is_err(),
            "trailing byte accepted"
        );
    }
}
