//! Batch validation, and the numbers behind the Ed25519 batch decision.
//!
//! ```text
//! cargo bench -p keypackage-benches --bench batch -- ed25519/   # the decision
//! cargo bench -p keypackage-benches --bench batch -- validate/  # 10,000 key packages
//! ```
//!
//! `ed25519/*` measures, per signature: ed25519-dalek's and ring's single
//! (cofactorless) verification, ed25519-dalek's `verify_batch` over 64
//! signatures, and what making a batch agree with single verification would
//! add: a torsion check (`[L]P = 0`) of each `R` and each `A`, constant-time
//! (`is_torsion_free`) or variable-time.
//!
//! `validate/*` validates the same 10,000 suite-1 key packages (distinct
//! signers, 1,000 of them, ten key packages each, as a delivery service
//! sees uploads) one by one on one core, and with
//! `keypackage_core::validate_batch` on one thread and on every core.

// A bench whose fixture cannot be built has nothing to measure: failing
// loudly at setup is the right outcome.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
use keypackage_benches::{decode_all, key_package_set, now};
use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::{CipherSuite, OpenMlsCrypto};
use keypackage_core::{AcceptAnyCredential, KeyPackageIn, ValidationContext, ValidationError};
use keypackage_core::{BatchOptions, validate_batch_with, validate_encoded_batch};
use rand::TryRng as _;

/// 64 signatures of distinct keys over key-package-sized messages.
struct Signatures {
    keys: Vec<ed25519_dalek::VerifyingKey>,
    messages: Vec<Vec<u8>>,
    signatures: Vec<ed25519_dalek::Signature>,
}

fn signatures(n: usize) -> Signatures {
    let mut keys = Vec::new();
    let mut messages = Vec::new();
    let mut signatures = Vec::new();
    for i in 0..n {
        let mut seed = [0u8; 32];
        rand::rngs::SysRng.try_fill_bytes(&mut seed).unwrap();
        let key = SigningKey::from_bytes(&seed);
        // About the size of a suite-1 KeyPackageTBS SignContent.
        let message = vec![u8::try_from(i % 251).unwrap(); 300];
        signatures.push(key.sign(&message));
        keys.push(key.verifying_key());
        messages.push(message);
    }
    Signatures {
        keys,
        messages,
        signatures,
    }
}

/// `[L]P = 0`, variable time: `[L - 1]P + P` with dalek's vartime
/// double-base multiplication (the basepoint scalar is zero).
fn torsion_free_vartime(point: &EdwardsPoint) -> bool {
    let l_minus_one = -Scalar::ONE;
    (EdwardsPoint::vartime_double_scalar_mul_basepoint(&l_minus_one, point, &Scalar::ZERO) + point)
        .is_identity()
}

fn ed25519_decision(c: &mut Criterion) {
    let set = signatures(64);
    let mut group = c.benchmark_group("ed25519");

    let key = set.keys.first().unwrap();
    let message = set.messages.first().unwrap();
    let signature = set.signatures.first().unwrap();
    let key_bytes = key.to_bytes();
    let signature_bytes = signature.to_bytes();

    group.throughput(Throughput::Elements(1));
    group.bench_function("dalek_verify", |b| {
        b.iter(|| {
            key.verify(black_box(message), black_box(signature))
                .unwrap()
        })
    });
    group.bench_function("ring_verify", |b| {
        let ring_key =
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key_bytes);
        b.iter(|| {
            ring_key
                .verify(black_box(message), black_box(&signature_bytes))
                .unwrap()
        })
    });
    group.bench_function("decompress", |b| {
        b.iter(|| {
            CompressedEdwardsY(black_box(key_bytes))
                .decompress()
                .unwrap()
        })
    });
    let point = CompressedEdwardsY(key_bytes).decompress().unwrap();
    // The last step of a verification: R' back to bytes (one inversion),
    // alone or 64 at a time with one batch inversion.
    group.bench_function("compress", |b| b.iter(|| black_box(&point).compress()));
    let points: Vec<EdwardsPoint> = set.keys.iter().map(|k| k.to_edwards()).collect();
    group.throughput(Throughput::Elements(64));
    group.bench_function("compress_batch_64", |b| {
        b.iter(|| EdwardsPoint::compress_batch_alloc(black_box(&points)))
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("torsion_check_ct", |b| {
        b.iter(|| assert!(black_box(&point).is_torsion_free()))
    });
    group.bench_function("torsion_check_vartime", |b| {
        b.iter(|| assert!(torsion_free_vartime(black_box(&point))))
    });

    let messages: Vec<&[u8]> = set.messages.iter().map(Vec::as_slice).collect();
    group.throughput(Throughput::Elements(64));
    group.bench_function("dalek_verify_batch_64", |b| {
        b.iter(|| ed25519_dalek::verify_batch(&messages, &set.signatures, &set.keys).unwrap())
    });
    group.bench_function("dalek_verify_single_64", |b| {
        b.iter(|| {
            for ((k, m), s) in set.keys.iter().zip(&messages).zip(&set.signatures) {
                k.verify(m, s).unwrap();
            }
        })
    });
    // What agreement would cost: every R and every A checked torsion-free
    // (variable time; all inputs are public), then the batch.
    group.bench_function("dalek_verify_batch_64_with_torsion_checks", |b| {
        b.iter(|| {
            for (k, s) in set.keys.iter().zip(&set.signatures) {
                let r = CompressedEdwardsY(s.r_bytes().to_owned())
                    .decompress()
                    .unwrap();
                assert!(torsion_free_vartime(&r));
                assert!(torsion_free_vartime(&k.to_edwards()));
            }
            ed25519_dalek::verify_batch(&messages, &set.signatures, &set.keys).unwrap()
        })
    });
    group.finish();
}

/// 10,000 suite-1 key packages, validated one by one on one core and with
/// the batch API (one thread, every core), from decoded structures and
/// from encodings (decoding included).
fn validate_set<C: OpenMlsCrypto>(
    c: &mut Criterion,
    name: &str,
    crypto: &C,
    signers: usize,
    per_signer: usize,
) {
    let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    let encoded = key_package_set(crypto, suite, signers, per_signer).expect("key packages");
    let decoded = decode_all(&encoded).expect("decode");
    let n = decoded.len();
    let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
    let all_cores = BatchOptions::new();
    let one_thread = BatchOptions::new().threads(1);

    let mut group = c.benchmark_group(format!("validate/{name}"));
    group.throughput(Throughput::Elements(u64::try_from(n).unwrap()));
    group.bench_function("one_by_one", |b| {
        b.iter_batched(
            || decoded.clone(),
            |items| {
                let verdicts: Vec<_> = items
                    .into_iter()
                    .map(|kp| kp.validate(crypto, &ctx))
                    .collect();
                assert!(verdicts.iter().all(Result::is_ok));
                verdicts
            },
            BatchSize::PerIteration,
        )
    });
    for (label, options) in [
        ("batch_1_thread", one_thread),
        ("batch_all_cores", all_cores),
    ] {
        group.bench_function(label, |b| {
            b.iter_batched(
                || decoded.clone(),
                |items| {
                    let verdicts = validate_batch_with(items, crypto, &ctx, options);
                    assert!(verdicts.iter().all(Result::is_ok));
                    verdicts
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.bench_function("one_by_one_encoded", |b| {
        b.iter(|| {
            let verdicts: Vec<_> = encoded
                .iter()
                .map(|bytes| {
                    KeyPackageIn::decode(bytes)
                        .map_err(ValidationError::from)
                        .and_then(|kp| kp.validate(crypto, &ctx))
                })
                .collect();
            assert!(verdicts.iter().all(Result::is_ok));
            verdicts
        })
    });
    group.bench_function("batch_all_cores_encoded", |b| {
        b.iter(|| {
            let verdicts = validate_encoded_batch(&encoded, crypto, &ctx, all_cores);
            assert!(verdicts.iter().all(Result::is_ok));
            verdicts
        })
    });
    group.finish();
}

fn batch_validation(c: &mut Criterion) {
    // A delivery service's view: 1,000 clients, ten key packages each.
    validate_set(
        c,
        "rustcrypto-10k-1000-signers",
        &RustCrypto::new(),
        1000,
        10,
    );
    validate_set(c, "ring-10k-1000-signers", &RingCrypto::new(), 1000, 10);
    // No two key packages share a signature key: parallelism alone.
    validate_set(
        c,
        "rustcrypto-10k-distinct-signers",
        &RustCrypto::new(),
        10_000,
        1,
    );
}

criterion_group! {
    name = decision;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = ed25519_decision
}
criterion_group! {
    name = batch;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    targets = batch_validation
}
criterion_main!(decision, batch);
