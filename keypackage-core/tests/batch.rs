//! Batch validation gives exactly the verdicts of single validation: for
//! random mixes of valid and mutated key packages, on any number of threads
//! and any chunk size, `validate_batch(items) == items.map(validate)`, and
//! the same from encodings (with undecodable ones mixed in).
//!
//! The mutations reach every stage of validation, and some target the
//! batch's one difference from single validation, the per-worker memo of
//! the last parsed signature key: runs of items sharing a key, a key that
//! fails to parse shared by several items, and the same key bytes under a
//! suite whose scheme parses them differently (or refuses them).

#![cfg(any(feature = "rustcrypto", feature = "ring"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keypackage_core::traits::{
    CipherSuite, CipherSuiteProvider, CredentialType, ExtensionType, OpenMlsCrypto,
    SignaturePublicKey,
};
use keypackage_core::{BatchOptions, validate_batch_with, validate_encoded_batch};
use keypackage_core::{
    Credential, CredentialInput, CredentialRejected, Extension, KeyPackageBuilder, KeyPackageIn,
    LeafNodeSource, Lifetime, ValidationContext,
};
use proptest::prelude::*;

const SUITE_1: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const SUITE_2: CipherSuite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
const SUITE_3: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519;

/// The validation time of every test: inside the builder's default lifetime.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Refuses the basic identity "mallory" (KP-CREDENTIAL).
fn no_mallory(input: &CredentialInput<'_>) -> Result<(), CredentialRejected> {
    match input.credential {
        Credential::Basic { identity } if identity.as_slice() == b"mallory" => {
            Err(CredentialRejected::other("mallory"))
        }
        _ => Ok(()),
    }
}

/// A signer of a suite, and key packages it made.
struct Source<S> {
    signer: S,
    key_packages: Vec<KeyPackageIn>,
}

struct Pool<C: OpenMlsCrypto> {
    crypto: C,
    sources: Vec<Source<<C::Suite as CipherSuiteProvider>::Signer>>,
}

impl<C: OpenMlsCrypto> Pool<C> {
    /// Two Ed25519 signers used in suites 1 and 3 (the same key bytes under
    /// two suites), one P-256 signer; three key packages each.
    fn new(crypto: C) -> Self {
        let builder = KeyPackageBuilder::new();
        let mut sources = Vec::new();
        for (make_suite, use_suites) in [
            (SUITE_1, vec![SUITE_1, SUITE_3]),
            (SUITE_1, vec![SUITE_1]),
            (SUITE_2, vec![SUITE_2]),
        ] {
            let provider = crypto.suite(make_suite).unwrap();
            let pair = provider.signature_generate_key_pair().unwrap();
            for suite in use_suites {
                let signer = crypto.suite(suite).unwrap().signer(&pair.private).unwrap();
                let key_packages = (0..3)
                    .map(|_| {
                        builder
                            .build(&crypto, suite, Credential::basic("alice"), &signer)
                            .unwrap()
                            .key_package()
                            .as_untrusted()
                            .clone()
                    })
                    .collect();
                sources.push(Source {
                    signer,
                    key_packages,
                });
            }
        }
        Self { crypto, sources }
    }

    /// The Ed25519 signature key of sources 0 and 1.
    fn ed25519_key(&self) -> SignaturePublicKey {
        self.sources[0].key_packages[0]
            .leaf_node
            .signature_key
            .clone()
    }
}

/// What is done to a key package before it is validated.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    None,
    FlipKeyPackageSignature,
    FlipLeafSignature,
    /// Lifetime changed, nothing re-signed: KP-LEAF-SIG.
    LifetimeNotResigned,
    /// Expired, re-signed: KP-LIFETIME.
    ExpiredResigned,
    /// A small-order Ed25519 point (or a 32-byte non-point under P-256):
    /// KP-SIG-KEY, and the same bad key for every item that gets it.
    SmallOrderKey,
    /// Off-curve 32-byte key: KP-SIG-KEY under every suite.
    OffCurveKey,
    /// An Ed25519 key of the pool, not re-signed: KP-LEAF-SIG under
    /// Ed25519 (the memo may hold that key from a valid item), KP-SIG-KEY
    /// under P-256 (same bytes, other scheme).
    PoolEd25519Key,
    /// Suite 1 and 3 swapped, not re-signed: KP-SIG, with key bytes a
    /// neighbour may have parsed under the other suite.
    OtherSuiteNotResigned,
    /// GREASE suite: KP-SUITE, before the key is looked at.
    UnknownSuite,
    /// A duplicated extension, re-signed: KP-DUP-EXT.
    DuplicateExtension,
    /// A refused credential, re-signed: KP-CREDENTIAL.
    RefusedCredential,
    /// The credential type left out of capabilities, re-signed: KP-CRED-CAP.
    UnlistedCredential,
}

const MUTATIONS: [Mutation; 13] = [
    Mutation::None,
    Mutation::FlipKeyPackageSignature,
    Mutation::FlipLeafSignature,
    Mutation::LifetimeNotResigned,
    Mutation::ExpiredResigned,
    Mutation::SmallOrderKey,
    Mutation::OffCurveKey,
    Mutation::PoolEd25519Key,
    Mutation::OtherSuiteNotResigned,
    Mutation::UnknownSuite,
    Mutation::DuplicateExtension,
    Mutation::RefusedCredential,
    Mutation::UnlistedCredential,
];

/// The Ed25519 identity point (small order).
const IDENTITY: [u8; 32] = {
    let mut y = [0u8; 32];
    y[0] = 1;
    y
};

/// A y coordinate with no point on the curve (y = 2).
const OFF_CURVE: [u8; 32] = {
    let mut y = [0u8; 32];
    y[0] = 2;
    y
};

fn mutate<C: OpenMlsCrypto>(
    pool: &Pool<C>,
    source: usize,
    index: usize,
    m: Mutation,
) -> KeyPackageIn {
    let source = &pool.sources[source];
    let mut kp = source.key_packages[index % source.key_packages.len()].clone();
    let signer = &source.signer;
    match m {
        Mutation::None => {}
        Mutation::FlipKeyPackageSignature => kp.signature.0[5] ^= 0x20,
        Mutation::FlipLeafSignature => kp.leaf_node.signature.0[7] ^= 0x01,
        Mutation::LifetimeNotResigned => {
            kp.leaf_node.leaf_node_source =
                LeafNodeSource::KeyPackage(Lifetime::new(now() - 10, now() + 1000));
        }
        Mutation::ExpiredResigned => {
            kp.leaf_node.leaf_node_source =
                LeafNodeSource::KeyPackage(Lifetime::new(now() - 1000, now() - 10));
            kp.resign(signer).unwrap();
        }
        Mutation::SmallOrderKey => {
            kp.leaf_node.signature_key = SignaturePublicKey::new(IDENTITY.to_vec());
        }
        Mutation::OffCurveKey => {
            kp.leaf_node.signature_key = SignaturePublicKey::new(OFF_CURVE.to_vec());
        }
        Mutation::PoolEd25519Key => kp.leaf_node.signature_key = pool.ed25519_key(),
        Mutation::OtherSuiteNotResigned => {
            kp.cipher_suite = match kp.cipher_suite {
                SUITE_1 => SUITE_3,
                SUITE_3 => SUITE_1,
                other => other,
            };
        }
        Mutation::UnknownSuite => kp.cipher_suite = CipherSuite(0x0A0A),
        Mutation::DuplicateExtension => {
            let duplicate = Extension::new(ExtensionType(0xF0F0), vec![1]);
            kp.extensions.push(duplicate.clone());
            kp.extensions.push(duplicate);
            kp.leaf_node
                .capabilities
                .extensions
                .0
                .push(ExtensionType(0xF0F0));
            kp.resign(signer).unwrap();
        }
        Mutation::RefusedCredential => {
            kp.leaf_node.credential = Credential::basic("mallory");
            kp.resign(signer).unwrap();
        }
        Mutation::UnlistedCredential => {
            kp.leaf_node
                .capabilities
                .credentials
                .0
                .retain(|t| *t != CredentialType::BASIC);
            kp.resign(signer).unwrap();
        }
    }
    kp
}

/// Batch against one-by-one, from structures and from encodings.
fn check_agreement<C: OpenMlsCrypto>(
    pool: &Pool<C>,
    picks: &[(usize, usize, usize, bool)],
    threads: usize,
    chunk: usize,
) {
    let validator = no_mallory;
    let ctx = ValidationContext::new(now(), &validator);
    let items: Vec<KeyPackageIn> = picks
        .iter()
        .map(|&(s, i, m, _)| {
            mutate(
                pool,
                s % pool.sources.len(),
                i,
                MUTATIONS[m % MUTATIONS.len()],
            )
        })
        .collect();
    let options = BatchOptions::new().threads(threads).chunk_size(chunk);

    let single: Vec<_> = items
        .iter()
        .cloned()
        .map(|kp| kp.validate(&pool.crypto, &ctx))
        .collect();
    let batch = validate_batch_with(items.clone(), &pool.crypto, &ctx, options);
    assert_eq!(batch, single, "threads {threads}, chunk {chunk}");

    // From encodings, some of them truncated (KP-DECODE).
    let encoded: Vec<Vec<u8>> = items
        .iter()
        .zip(picks)
        .map(|(kp, &(_, _, _, truncate))| {
            let mut bytes = kp.encode().unwrap();
            if truncate {
                bytes.pop();
            }
            bytes
        })
        .collect();
    let single: Vec<_> = encoded
        .iter()
        .map(|bytes| {
            KeyPackageIn::decode(bytes)
                .map_err(Into::into)
                .and_then(|kp| kp.validate(&pool.crypto, &ctx))
        })
        .collect();
    let batch = validate_encoded_batch(&encoded, &pool.crypto, &ctx, options);
    assert_eq!(batch, single, "encoded: threads {threads}, chunk {chunk}");
}

/// Sequences written to hit the memo: a valid key, then the same bytes
/// bad in another suite, a bad key repeated, valid again.
fn check_memo_sequences<C: OpenMlsCrypto>(pool: &Pool<C>) {
    use Mutation as M;
    // (source, mutation): sources 0 and 1 are one Ed25519 key under suites 1
    // and 3, source 2 another Ed25519 key (suite 1), source 3 a P-256 key.
    let sequences: [&[(usize, Mutation)]; 4] = [
        &[
            (0, M::None),
            (3, M::PoolEd25519Key),
            (0, M::None),
            (1, M::None),
        ],
        &[
            (0, M::SmallOrderKey),
            (1, M::SmallOrderKey),
            (3, M::SmallOrderKey),
            (0, M::None),
            (0, M::SmallOrderKey),
        ],
        &[
            (2, M::PoolEd25519Key),
            (0, M::None),
            (2, M::PoolEd25519Key),
            (2, M::None),
        ],
        &[
            (0, M::OtherSuiteNotResigned),
            (1, M::None),
            (1, M::OtherSuiteNotResigned),
            (0, M::None),
        ],
    ];
    for sequence in sequences {
        let picks: Vec<(usize, usize, usize, bool)> = sequence
            .iter()
            .enumerate()
            .map(|(i, (source, m))| {
                let m = MUTATIONS
                    .iter()
                    .position(|x| std::mem::discriminant(x) == std::mem::discriminant(m))
                    .unwrap();
                (*source, i, m, false)
            })
            .collect();
        for (threads, chunk) in [(1, 1), (1, 64), (2, 1), (2, 2), (3, 64)] {
            check_agreement(pool, &picks, threads, chunk);
        }
    }
}

fn picks() -> impl Strategy<Value = Vec<(usize, usize, usize, bool)>> {
    proptest::collection::vec(
        (
            0usize..8,
            0usize..3,
            0usize..(2 * MUTATIONS.len()),
            proptest::bool::weighted(0.1),
        ),
        0..48,
    )
}

#[cfg(feature = "rustcrypto")]
mod rustcrypto {
    use super::*;
    use keypackage_core::rustcrypto::RustCrypto;
    use std::sync::OnceLock;

    fn pool() -> &'static Pool<RustCrypto> {
        static POOL: OnceLock<Pool<RustCrypto>> = OnceLock::new();
        POOL.get_or_init(|| Pool::new(RustCrypto::new()))
    }

    #[test]
    fn memo_sequences_agree_with_single_validation() {
        check_memo_sequences(pool());
    }

    #[test]
    fn every_mutation_is_refused_by_its_rule_alone() {
        // The mutations do what they claim: each (but None) is refused, on
        // source 2 (whose key is not the pool's shared Ed25519 key).
        let ctx = ValidationContext::new(now(), &no_mallory);
        for (i, m) in MUTATIONS.iter().enumerate() {
            let kp = mutate(pool(), 2, i, *m);
            let verdict = kp.validate(&pool().crypto, &ctx);
            assert_eq!(
                verdict.is_ok(),
                matches!(m, Mutation::None),
                "{m:?}: {verdict:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn batch_verdicts_equal_single_verdicts(
            picks in picks(),
            threads in 1usize..5,
            chunk in 1usize..10,
        ) {
            check_agreement(pool(), &picks, threads, chunk);
        }
    }
}

#[cfg(feature = "ring")]
mod ring {
    use super::*;
    use keypackage_core::ring::RingCrypto;
    use std::sync::OnceLock;

    fn pool() -> &'static Pool<RingCrypto> {
        static POOL: OnceLock<Pool<RingCrypto>> = OnceLock::new();
        POOL.get_or_init(|| Pool::new(RingCrypto::new()))
    }

    #[test]
    fn memo_sequences_agree_with_single_validation() {
        check_memo_sequences(pool());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn batch_verdicts_equal_single_verdicts(
            picks in picks(),
            threads in 1usize..5,
            chunk in 1usize..10,
        ) {
            check_agreement(pool(), &picks, threads, chunk);
        }
    }
}
