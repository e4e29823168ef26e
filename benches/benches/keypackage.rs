//! Create, validate, decode, encode and reference, for each backend and
//! supported suite, next to the primitive lower bounds they are made of
//! (`bound_create`, `bound_validate`, and the single primitives), all in
//! one run so that each figure reads as a ratio to its own bound.
//!
//! ```text
//! cargo bench -p keypackage-benches --bench keypackage            # everything
//! cargo bench -p keypackage-benches --bench keypackage -- 'rustcrypto/suite-1/'
//! ```
//!
//! Bench ids: `<backend>/suite-<n>/<operation>`.

// A bench whose fixture cannot be built has nothing to measure: failing
// loudly at setup is the right outcome, so `expect` is allowed here.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keypackage_benches::{BackendKind, Fixture, now, suite_label};
use keypackage_core::labeled;
use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::{CipherSuite, OpenMlsCrypto};
use keypackage_core::{
    AcceptAnyCredential, Credential, KeyPackageBuilder, KeyPackageIn, ValidationContext,
};

fn bench_backend<C: OpenMlsCrypto + Clone>(c: &mut Criterion, crypto: &C, kind: BackendKind) {
    let suites: Vec<CipherSuite> = crypto.supported_cipher_suites().to_vec();
    for suite in suites {
        let fixture = Fixture::new(crypto.clone(), suite).expect("fixture");
        let bound = match fixture.bound(kind) {
            Ok(bound) => Some(bound),
            Err(e) => {
                eprintln!("{}/{}: no primitive bound: {e}", kind.name(), suite.0);
                None
            }
        };
        let provider = crypto.suite(suite).expect("suite");
        let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
        let builder = KeyPackageBuilder::new();
        let credential = Credential::basic("bench");
        let mut group = c.benchmark_group(format!("{}/{}", kind.name(), suite_label(suite)));

        group.bench_function("create", |b| {
            b.iter(|| {
                builder
                    .build(crypto, suite, credential.clone(), &fixture.signer)
                    .expect("create")
            })
        });
        group.bench_function("validate", |b| {
            b.iter_batched(
                || fixture.key_package.clone(),
                |kp| kp.validate(crypto, &ctx).expect("validate"),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("decode", |b| {
            b.iter(|| KeyPackageIn::decode(black_box(&fixture.encoded)).expect("decode"))
        });
        group.bench_function("encode", |b| {
            b.iter(|| black_box(&fixture.key_package).encode().expect("encode"))
        });
        group.bench_function("reference", |b| {
            b.iter(|| {
                labeled::key_package_ref(&provider, black_box(&fixture.encoded)).expect("ref")
            })
        });
        if let Some(bound) = &bound {
            group.bench_function("bound_create", |b| {
                b.iter(|| bound.create().expect("bound create"))
            });
            group.bench_function("bound_validate", |b| b.iter(|| assert!(bound.validate())));
            group.bench_function("prim_hpke_keygen", |b| {
                b.iter(|| bound.hpke_keygen().expect("keygen"))
            });
            group.bench_function("prim_sign", |b| {
                b.iter(|| bound.sign(black_box(bound.leaf_message())).expect("sign"))
            });
            group.bench_function("prim_verify_both", |b| {
                b.iter(|| assert!(bound.verify_both()))
            });
        }
        group.finish();
    }
}

fn benches(c: &mut Criterion) {
    bench_backend(c, &RustCrypto::new(), BackendKind::RustCrypto);
    bench_backend(c, &RingCrypto::new(), BackendKind::Ring);
}

criterion_group! {
    name = keypackage;
    config = Criterion::default()
        .sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(keypackage);
