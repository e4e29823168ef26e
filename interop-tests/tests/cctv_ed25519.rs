#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The 914 C2SP CCTV Ed25519 edge-case vectors
//! (`testdata/cctv-ed25519/ed25519vectors.json`, flags described in its
//! README) under both backends.
//!
//! The shared policy (`backend_common::ED25519_POLICY`): `S < L`;
//! `A` and `R` canonical and not of small order; then the cofactorless
//! equation `[S]B = R + [k]A`. In the vectors' own terms, that refuses
//! every vector flagged
//!
//! * `low_order_A` or `low_order_R` (rule 3),
//! * `non_canonical_A` or `non_canonical_R` (rule 2; these are encodings of
//!   low-order points, so rule 3 refuses them too),
//! * `low_order_residue` (the low-order parts of `R` and `[k]A` do not
//!   cancel, so only a cofactored equation accepts them),
//!
//! and accepts the rest: points with a low-order *component* (flagged
//! `low_order_component_*` only) are not on any blocklist, and the
//! cofactorless equation holds for them. The expected count is computed
//! from the flags, not from either backend.

use backend_ring::RingCrypto;
use backend_rustcrypto::RustCrypto;
use interop_tests::{load_json, unhex};
use keypackage_traits::{CipherSuite, CipherSuiteProvider, OpenMlsCrypto, SignaturePublicKey};

/// The flags whose vectors the policy refuses.
const REFUSED_FLAGS: [&str; 5] = [
    "low_order_A",
    "low_order_R",
    "non_canonical_A",
    "non_canonical_R",
    "low_order_residue",
];

struct Vector {
    number: u64,
    key: Vec<u8>,
    sig: Vec<u8>,
    msg: Vec<u8>,
    flags: Vec<String>,
}

fn vectors() -> Vec<Vector> {
    let json = load_json("cctv-ed25519/ed25519vectors.json").unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            number: v["number"].as_u64().unwrap(),
            key: unhex(v["key"].as_str().unwrap()).unwrap(),
            sig: unhex(v["sig"].as_str().unwrap()).unwrap(),
            msg: v["msg"].as_str().unwrap().as_bytes().to_vec(),
            flags: v["flags"]
                .as_array()
                .map(|f| f.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Parse the key, then verify: the verdict a validator gives.
fn accepts<C: OpenMlsCrypto>(crypto: &C, v: &Vector) -> bool {
    let suite = crypto
        .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519)
        .unwrap();
    suite
        .verifying_key(&SignaturePublicKey::new(v.key.clone()))
        .is_ok_and(|key| suite.verify_with(&key, &v.msg, &v.sig).is_ok())
}

#[test]
fn both_backends_decide_every_cctv_vector_alike_and_by_the_policy() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 914);
    let (ring, rustcrypto) = (RingCrypto::new(), RustCrypto::default());
    let (mut ring_count, mut rustcrypto_count, mut expected_count) = (0usize, 0usize, 0usize);
    let mut disagreements = Vec::new();
    let mut off_policy = Vec::new();
    for v in &vectors {
        let expected = !v.flags.iter().any(|f| REFUSED_FLAGS.contains(&f.as_str()));
        let by_ring = accepts(&ring, v);
        let by_rustcrypto = accepts(&rustcrypto, v);
        expected_count += usize::from(expected);
        ring_count += usize::from(by_ring);
        rustcrypto_count += usize::from(by_rustcrypto);
        if by_ring != by_rustcrypto {
            disagreements.push(format!(
                "#{}: ring {by_ring}, rustcrypto {by_rustcrypto}, flags {:?}",
                v.number, v.flags
            ));
        }
        if by_ring != expected {
            off_policy.push(format!(
                "#{}: accepted {by_ring}, policy says {expected}, flags {:?}",
                v.number, v.flags
            ));
        }
    }
    println!(
        "CCTV Ed25519: {} vectors; accepted by ring {ring_count}, by rustcrypto {rustcrypto_count}; \
         the policy, computed from the flags, accepts {expected_count}",
        vectors.len()
    );
    assert!(
        disagreements.is_empty(),
        "backends disagree:\n{}",
        disagreements.join("\n")
    );
    assert!(
        off_policy.is_empty(),
        "decisions off the policy:\n{}",
        off_policy.join("\n")
    );
    assert_eq!(ring_count, expected_count);
    assert_eq!(rustcrypto_count, expected_count);
    assert_eq!(expected_count, 43);
}

#[test]
fn every_accepted_vector_fails_once_its_message_changes() {
    // The accepted vectors are real signatures: one changed message byte
    // makes both backends refuse, so the acceptances above are not vacuous.
    let (ring, rustcrypto) = (RingCrypto::new(), RustCrypto::default());
    let mut checked = 0;
    for mut v in vectors() {
        if accepts(&ring, &v) {
            v.msg.push(b'!');
            assert!(!accepts(&ring, &v), "#{}", v.number);
            assert!(!accepts(&rustcrypto, &v), "#{}", v.number);
            checked += 1;
        }
    }
    assert_eq!(checked, 43);
}

/// One `verify_each` item of a parsed vector.
fn item<'a, K>((v, key, _): &'a (&'a Vector, K, bool)) -> (&'a K, &'a [u8], &'a [u8]) {
    (key, v.msg.as_slice(), v.sig.as_slice())
}

/// `verify_each`'s verdicts, as booleans.
fn verdicts<S: CipherSuiteProvider>(
    suite: &S,
    items: &[(&S::VerifyingKey, &[u8], &[u8])],
) -> Vec<bool> {
    suite.verify_each(items).iter().map(Result::is_ok).collect()
}

/// `verify_each` against `verify_with` for one backend: all parsable
/// vectors in one call, forwards and backwards; each refused vector hidden
/// among the accepted ones; and every pair of the vectors whose `A` and `R`
/// pass the policy's blocklist but whose signature holds only cofactored
/// (flag `low_order_residue`): the residues a batch equation could cancel,
/// and which must not cancel here, since each item keeps its own equation.
fn each_agrees_with_single<C: OpenMlsCrypto>(crypto: &C) -> (usize, usize, usize) {
    let suite = crypto
        .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519)
        .unwrap();
    let vectors = vectors();
    // (vector, parsed key, single verdict) for every vector whose key parses.
    let parsed: Vec<_> = vectors
        .iter()
        .filter_map(|v| {
            let key = suite
                .verifying_key(&SignaturePublicKey::new(v.key.clone()))
                .ok()?;
            let single = suite.verify_with(&key, &v.msg, &v.sig).is_ok();
            Some((v, key, single))
        })
        .collect();
    let verdicts = |items: &[(&_, &[u8], &[u8])]| verdicts(&suite, items);

    let mut all: Vec<_> = parsed.iter().map(item).collect();
    let single: Vec<bool> = parsed.iter().map(|p| p.2).collect();
    assert_eq!(
        verdicts(&all),
        single,
        "verify_each differs from verify_with"
    );
    all.reverse();
    assert!(
        verdicts(&all).iter().eq(single.iter().rev()),
        "verify_each, reversed"
    );

    let accepted: Vec<_> = parsed.iter().filter(|p| p.2).map(item).collect();
    assert_eq!(accepted.len(), 43);
    assert!(verdicts(&accepted).iter().all(|ok| *ok));
    let refused: Vec<_> = parsed.iter().filter(|p| !p.2).collect();
    for r in &refused {
        let mut items = accepted.clone();
        let at = items.len() / 2;
        items.insert(at, item(r));
        let got = verdicts(&items);
        assert!(
            !got[at] && got.iter().filter(|ok| **ok).count() == accepted.len(),
            "#{} hidden among the accepted vectors: {got:?}",
            r.0.number
        );
    }
    let residues: Vec<_> = refused
        .iter()
        .filter(|r| {
            r.0.flags.iter().any(|f| f == "low_order_residue")
                && !r.0.flags.iter().any(|f| {
                    [
                        "low_order_A",
                        "low_order_R",
                        "non_canonical_A",
                        "non_canonical_R",
                    ]
                    .contains(&f.as_str())
                })
        })
        .collect();
    let mut pairs = 0;
    for (i, a) in residues.iter().enumerate() {
        for b in residues.iter().skip(i) {
            assert_eq!(
                verdicts(&[item(a), item(b)]),
                [false, false],
                "#{} and #{} together",
                a.0.number,
                b.0.number
            );
            pairs += 1;
        }
    }
    (parsed.len(), residues.len(), pairs)
}

#[test]
fn verify_each_gives_the_single_verdicts_on_every_vector_under_both_backends() {
    let ring = each_agrees_with_single(&RingCrypto::new());
    let rustcrypto = each_agrees_with_single(&RustCrypto::default());
    println!(
        "verify_each == verify_with: {} parsable keys of 914, {} cofactored-only \
         vectors past the blocklist, {} pairs of them",
        ring.0, ring.1, ring.2
    );
    assert_eq!(ring, rustcrypto);
    // The flags predict 63 vectors whose A and R pass the blocklist while
    // the signature holds only under the cofactored equation.
    assert_eq!(ring.1, 63);
}
