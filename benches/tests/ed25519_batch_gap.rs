//! The gap behind the Ed25519 batch decision (`BENCHMARKS.md`), on the 914
//! C2SP CCTV vectors, with ed25519-dalek alone:
//!
//! * under the shared policy (`backend_common::ed25519`, then dalek's
//!   cofactorless `verify`), 63 vectors pass the blocklist on `A` and `R`
//!   and are refused only by the equation; ed25519-dalek's `verify_batch`
//!   (a random linear combination, deterministic weights) accepts some of
//!   them, alone or in pairs, so it cannot stand in for single
//!   verification;
//! * a batch restricted to signatures whose `A` and `R` are torsion-free
//!   (`[L]P = 0`), every other item verified alone, gives exactly the
//!   single verdicts: agreement is possible, at the price of one scalar
//!   multiplication per point, which the `ed25519/*` benches measure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use backend_common::ed25519 as policy;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};

struct Vector {
    number: u64,
    key: VerifyingKey,
    msg: Vec<u8>,
    sig: Signature,
    /// The policy's verdict: rules 1-3, then dalek's cofactorless verify.
    single: bool,
}

/// The vectors whose key passes the policy and decompresses (the others
/// are refused before any verification, batch or single).
fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/cctv-ed25519/ed25519vectors.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let all = json.as_array().unwrap();
    assert_eq!(all.len(), 914);
    all.iter()
        .filter_map(|v| {
            let key = hex::decode(v["key"].as_str().unwrap()).unwrap();
            let sig = hex::decode(v["sig"].as_str().unwrap()).unwrap();
            let msg = v["msg"].as_str().unwrap().as_bytes().to_vec();
            let key = policy::check_public_key(&key).ok()?;
            let key = VerifyingKey::from_bytes(&key).ok()?;
            let signature = Signature::from_slice(&sig).ok()?;
            let single =
                policy::check_signature(&sig).is_ok() && key.verify(&msg, &signature).is_ok();
            Some(Vector {
                number: v["number"].as_u64().unwrap(),
                key,
                msg,
                sig: signature,
                single,
            })
        })
        .collect()
}

/// `[L]P = 0`, as `[L - 1]P + P`.
fn torsion_free(point: &EdwardsPoint) -> bool {
    (EdwardsPoint::vartime_double_scalar_mul_basepoint(&-Scalar::ONE, point, &Scalar::ZERO) + point)
        .is_identity()
}

/// dalek's batch over `items`.
fn dalek_batch(items: &[&Vector]) -> bool {
    let messages: Vec<&[u8]> = items.iter().map(|v| v.msg.as_slice()).collect();
    let signatures: Vec<Signature> = items.iter().map(|v| v.sig).collect();
    let keys: Vec<VerifyingKey> = items.iter().map(|v| v.key).collect();
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// A batch that agrees with single verification: the policy's rules 1-3
/// per item, then a batch over the items whose `A` and `R` are torsion-free
/// (there the batch equation and the cofactorless one agree), each other
/// item, and every item of a failed batch, verified alone.
fn exact_batch(items: &[&Vector]) -> Vec<bool> {
    let mut verdicts = vec![false; items.len()];
    let mut batchable = Vec::new();
    for (i, v) in items.iter().enumerate() {
        if policy::check_signature(&v.sig.to_bytes()).is_err() {
            continue;
        }
        let r = CompressedEdwardsY(*v.sig.r_bytes()).decompress();
        let clean = r.is_some_and(|r| torsion_free(&r)) && torsion_free(&v.key.to_edwards());
        if clean {
            batchable.push(i);
        } else {
            verdicts[i] = v.key.verify(&v.msg, &v.sig).is_ok();
        }
    }
    let batch: Vec<&Vector> = batchable.iter().map(|&i| items[i]).collect();
    let all_pass = !batch.is_empty() && dalek_batch(&batch);
    for &i in &batchable {
        verdicts[i] = all_pass || items[i].key.verify(&items[i].msg, &items[i].sig).is_ok();
    }
    verdicts
}

/// Vectors refused by the cofactorless equation alone: key, `R` and `S`
/// pass the policy's rules 1-3.
fn equation_only_refusals(vectors: &[Vector]) -> Vec<&Vector> {
    vectors
        .iter()
        .filter(|v| !v.single && policy::check_signature(&v.sig.to_bytes()).is_ok())
        .collect()
}

#[test]
fn dalek_verify_batch_accepts_signatures_single_verification_refuses() {
    let vectors = vectors();
    let refused = equation_only_refusals(&vectors);
    let alone = refused.iter().filter(|v| dalek_batch(&[v])).count();
    let mut pairs = 0;
    for (i, a) in refused.iter().enumerate() {
        for b in refused.iter().skip(i + 1) {
            pairs += usize::from(dalek_batch(&[a, b]));
        }
    }
    println!(
        "{} vectors pass the key policy; {} are refused by the equation alone; \
         dalek's verify_batch accepts {alone} of those alone and {pairs} pairs of them",
        vectors.len(),
        refused.len()
    );
    assert_eq!(refused.len(), 63);
    assert!(alone + pairs > 0, "no disagreement found");
}

#[test]
fn a_batch_of_torsion_free_points_gives_the_single_verdicts() {
    let vectors = vectors();
    let all: Vec<&Vector> = vectors.iter().collect();
    // Each vector alone, all of them together, and every pair of the
    // equation-only refusals.
    for v in &all {
        assert_eq!(exact_batch(&[v]), vec![v.single], "#{}", v.number);
    }
    let expected: Vec<bool> = all.iter().map(|v| v.single).collect();
    assert_eq!(exact_batch(&all), expected);
    assert_eq!(expected.iter().filter(|x| **x).count(), 43);
    let refused = equation_only_refusals(&vectors);
    for (i, a) in refused.iter().enumerate() {
        for b in refused.iter().skip(i + 1) {
            assert_eq!(exact_batch(&[a, b]), vec![false, false]);
        }
    }
}
