//! The cost of hostile lists: a valid key package with `n`
//! entries in each of its five capability lists and `n` extensions (`3n/5`
//! in the key package, `2n/5` in the leaf, all listed), decoded and then
//! validated, at n = 10,000 and n = 100,000. Linear checks cost about 10
//! times as much at 10n; a check that compared every extension with every
//! capability would cost 100 times as much.
//!
//! `cargo bench -p keypackage-benches --bench hostile_lists` (add `-- --quick`
//! for a fast look).

// A benchmark panics on a broken setup: there is nothing to report then.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keypackage_core::traits::CipherSuite;
use keypackage_core::traits::{CipherSuiteProvider, OpenMlsCrypto};
use keypackage_core::{
    AcceptAnyCredential, Credential, KeyPackageBuilder, KeyPackageIn, ValidationContext, fuzz,
};

const SIZES: [usize; 2] = [10_000, 100_000];
const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;

/// A valid, signed key package with `n`-entry lists; its encoding and its
/// `not_before` (the validation time used).
fn hostile<C: OpenMlsCrypto>(crypto: &C, n: usize) -> (Vec<u8>, u64) {
    let suite = crypto.suite(SUITE).unwrap();
    let keys = suite.signature_generate_key_pair().unwrap();
    let signer = suite.signer(&keys.private).unwrap();
    let bundle = KeyPackageBuilder::new()
        .build(crypto, SUITE, Credential::basic("hostile"), &signer)
        .unwrap();
    let mut kp = bundle.key_package().clone().into_untrusted();
    fuzz::hostile_lists(&mut kp, n);
    kp.resign(&signer).unwrap();
    let now = kp.leaf_node.leaf_node_source.lifetime().unwrap().not_before;
    (kp.encode().unwrap(), now)
}

fn backend<C: OpenMlsCrypto>(c: &mut Criterion, crypto: &C) {
    let mut group = c.benchmark_group(format!("hostile_lists/{}", crypto.name()));
    group.sample_size(20);
    for n in SIZES {
        let (bytes, now) = hostile(crypto, n);
        let accept = AcceptAnyCredential;
        let ctx = ValidationContext::new(now, &accept);
        // The bench measures a valid key package: every list is walked.
        assert!(
            KeyPackageIn::decode(&bytes)
                .unwrap()
                .validate(crypto, &ctx)
                .is_ok()
        );
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("decode", n), &bytes, |b, bytes| {
            b.iter(|| KeyPackageIn::decode(black_box(bytes)))
        });
        group.bench_with_input(
            BenchmarkId::new("decode_validate", n),
            &bytes,
            |b, bytes| {
                b.iter(|| {
                    KeyPackageIn::decode(black_box(bytes))
                        .map(|kp| kp.validate(crypto, &ctx).is_ok())
                })
            },
        );
    }
    group.finish();
}

fn hostile_lists(c: &mut Criterion) {
    backend(c, &keypackage_core::rustcrypto::RustCrypto::new());
    backend(c, &keypackage_core::ring::RingCrypto::new());
}

criterion_group!(benches, hostile_lists);
criterion_main!(benches);
