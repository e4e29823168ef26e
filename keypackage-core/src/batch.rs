//! Batch validation: many key packages at once, on every core, for a
//! delivery service that validates uploads in bulk.
//!
//! The verdict for each item is exactly the one [`KeyPackageIn::validate`]
//! gives: the batch runs the same steps in the same order per item, with
//! the same code. Results come back in input order.
//!
//! Workers take `chunk_size` items at a time from a shared queue. For each
//! item of a chunk: the rules before the signatures, the signature key
//! (KP-SIG-KEY), the one encoding; then the signatures of all the chunk's
//! key packages of one suite go to the backend in one
//! [`CipherSuiteProvider::verify_each`] call; then, item by item, KP-LEAF-SIG,
//! KP-SIG, the credential and the reference.
//!
//! # What the batch saves besides parallelism
//!
//! * `verify_each` returns one verdict per signature, each exactly
//!   `verify_with`'s. The RustCrypto backend shares the one field inversion
//!   per Ed25519 verification (turning the recomputed `R` into bytes) over
//!   the whole chunk, about a tenth of a verification; ring's verification
//!   is a closed box, so that backend verifies one by one.
//! * Each worker remembers the signature keys it parsed: key packages
//!   uploaded together share their client's key, and parsing an Ed25519
//!   key decompresses a point. Parsing is a pure function of (suite, bytes),
//!   so the memo cannot change a verdict; a key that fails to parse fails
//!   alike for every item that carries it.
//!
//! # Why Ed25519 batch verification is not used
//!
//! Batch verification checks one random linear combination of all the
//! verification equations. Single verification here is cofactorless
//! (`[S]B = R + [k]A`, rule 4 of the backends' shared Ed25519 policy,
//! `backend_common::ED25519_POLICY`, what ring and ed25519-dalek's `verify`
//! compute). When `A` or `R` has a small-order
//! *component* (a mixed-order point, which no blocklist can refuse: the
//! CCTV vectors flag them `low_order_component_*`), the residue of an
//! invalid signature is a small-order point, and the residues of several
//! items can cancel in the combination (with probability at least 1/2 for
//! each choice of weights), so a batch can accept what single verification
//! refuses: ed25519-dalek's `verify_batch` accepts 9 of the 63 CCTV
//! vectors that pass the blocklist but not the cofactorless equation, and
//! 233 of their pairs. Batch and single verdicts agree only when every `A`
//! and `R` is checked to lie in the prime-order subgroup (`[L]P = 0`), a
//! scalar multiplication per point. Measured on the 2-core reference
//! machine (`BENCHMARKS.md`): one verification about 31 µs, batch
//! verification of 64 about 15-17 µs per signature, one torsion check about
//! 23-25 µs, so an agreeing batch costs about 65 µs per signature, twice
//! single verification. The provider therefore has no batch verification:
//! [`CipherSuiteProvider::verify_each`] verifies each signature on its own.
//!
//! # Memory
//!
//! Besides the inputs and the results, a worker holds one chunk's encodings
//! and `SignContent` messages at a time. Validating 10,000 suite-1 key
//! packages from their encodings peaks under 20 MiB resident
//! (`BENCHMARKS.md`, `examples/batch_memory.rs` in the benches crate).

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use keypackage_traits::{
    CipherSuite, CipherSuiteProvider, CryptoError, OpenMlsCrypto, SignaturePublicKey,
};

use crate::key_package::{KeyPackage, KeyPackageIn};
use crate::validate::{SignedContent, ValidationContext, ValidationError};

/// Items a worker takes from the queue at a time (the default).
pub const DEFAULT_CHUNK_SIZE: usize = 64;

/// How a batch is spread over threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchOptions {
    threads: Option<NonZeroUsize>,
    chunk_size: NonZeroUsize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            threads: None,
            chunk_size: NonZeroUsize::MIN.saturating_add(DEFAULT_CHUNK_SIZE - 1),
        }
    }
}

impl BatchOptions {
    /// Every core ([`std::thread::available_parallelism`]), chunks of
    /// [`DEFAULT_CHUNK_SIZE`].
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `threads` worker threads (0 means every core). One thread
    /// validates on the calling thread, without spawning.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = NonZeroUsize::new(threads);
        self
    }

    /// Items per unit of work (0 is taken as 1).
    pub fn chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = NonZeroUsize::new(chunk_size).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// The number of threads a batch of `items` items runs on.
    pub fn threads_for(&self, items: usize) -> usize {
        let wanted = self
            .threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get);
        let chunks = items.div_ceil(self.chunk_size.get());
        wanted.min(chunks).max(1)
    }
}

/// Validates every key package of `items` with `crypto` under `ctx`, on
/// every core. Element `i` of the result is exactly what
/// `items[i].validate(crypto, ctx)` returns.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use keypackage_core::validate_batch;
/// use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
/// use keypackage_core::traits::{CipherSuite, SignatureScheme};
/// use keypackage_core::{AcceptAnyCredential, Credential, KeyPackageBuilder, Rule, ValidationContext};
///
/// let crypto = RustCrypto::new();
/// let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
/// let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
/// let builder = KeyPackageBuilder::new();
/// let mut items: Vec<_> = (0..4)
///     .map(|_| {
///         let bundle = builder.build(&crypto, suite, Credential::basic("alice"), &signer).unwrap();
///         bundle.key_package().as_untrusted().clone()
///     })
///     .collect();
/// items[2].signature.0[0] ^= 1; // tampered
///
/// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
/// let ctx = ValidationContext::new(now, &AcceptAnyCredential);
/// let verdicts = validate_batch(items, &crypto, &ctx);
/// assert!(verdicts[0].is_ok() && verdicts[1].is_ok() && verdicts[3].is_ok());
/// assert_eq!(verdicts[2].as_ref().unwrap_err().rule(), Some(Rule::Signature));
/// # }
/// ```
pub fn validate_batch<C: OpenMlsCrypto>(
    items: Vec<KeyPackageIn>,
    crypto: &C,
    ctx: &ValidationContext<'_>,
) -> Vec<Result<KeyPackage, ValidationError>> {
    validate_batch_with(items, crypto, ctx, BatchOptions::default())
}

/// [`validate_batch`] with explicit [`BatchOptions`].
pub fn validate_batch_with<C: OpenMlsCrypto>(
    items: Vec<KeyPackageIn>,
    crypto: &C,
    ctx: &ValidationContext<'_>,
    options: BatchOptions,
) -> Vec<Result<KeyPackage, ValidationError>> {
    let threads = options.threads_for(items.len());
    run(
        items.into_iter(),
        threads,
        options.chunk_size.get(),
        |chunk: Vec<KeyPackageIn>, memo: &mut KeyMemo<C::Suite>| {
            validate_chunk(chunk.into_iter().map(Ok).collect(), crypto, ctx, memo)
        },
    )
}

/// Decodes (KP-DECODE) and validates every bare `KeyPackage` encoding of
/// `encoded`, on the workers. Element `i` of the result is exactly what
/// `KeyPackageIn::decode(&encoded[i])` followed by
/// [`KeyPackageIn::validate`] gives.
pub fn validate_encoded_batch<C, B>(
    encoded: &[B],
    crypto: &C,
    ctx: &ValidationContext<'_>,
    options: BatchOptions,
) -> Vec<Result<KeyPackage, ValidationError>>
where
    C: OpenMlsCrypto,
    B: AsRef<[u8]> + Sync,
{
    let threads = options.threads_for(encoded.len());
    run(
        encoded.iter(),
        threads,
        options.chunk_size.get(),
        |chunk: Vec<&B>, memo: &mut KeyMemo<C::Suite>| {
            let decoded = chunk
                .into_iter()
                .map(|bytes| KeyPackageIn::decode(bytes.as_ref()).map_err(ValidationError::from))
                .collect();
            validate_chunk(decoded, crypto, ctx, memo)
        },
    )
}

/// Signature keys a worker parsed, by suite and bytes: those of the current
/// chunk, and the last one of the previous chunk.
struct KeyMemo<S: CipherSuiteProvider> {
    keys: Vec<(
        CipherSuite,
        SignaturePublicKey,
        Result<S::VerifyingKey, CryptoError>,
    )>,
}

impl<S: CipherSuiteProvider> Default for KeyMemo<S> {
    fn default() -> Self {
        Self { keys: Vec::new() }
    }
}

impl<S: CipherSuiteProvider> KeyMemo<S> {
    /// Keeps only the last key (a client's upload may straddle chunks).
    fn start_chunk(&mut self) {
        if let Some(last) = self.keys.pop() {
            self.keys.clear();
            self.keys.push(last);
        }
    }

    /// KP-SIG-KEY as `validate` decides it, parsing only when the key or
    /// the suite differs from the previous item's. The index of the key.
    fn parse(&mut self, suite: &S, kp: &KeyPackageIn) -> Result<usize, ValidationError> {
        let public = &kp.leaf_node.signature_key;
        let hit = matches!(self.keys.last(), Some((cs, key, _)) if *cs == kp.cipher_suite && key == public);
        if !hit {
            self.keys
                .push((kp.cipher_suite, public.clone(), suite.verifying_key(public)));
        }
        let index = self.keys.len().saturating_sub(1);
        match self.keys.get(index) {
            Some((_, _, Ok(_))) => Ok(index),
            Some((_, _, Err(e))) => Err(ValidationError::SignatureKey(e.clone())),
            None => Err(ValidationError::Internal {
                detail: "key memo is empty".into(),
            }),
        }
    }
}

/// Where an item of a chunk stands.
enum Stage<S: CipherSuiteProvider> {
    /// Decided before its signatures.
    Done(Result<KeyPackage, ValidationError>),
    /// Every rule before the signatures holds; the signatures wait for the
    /// chunk's `verify_each`.
    Signed {
        kp: KeyPackageIn,
        suite: S,
        key: usize,
        content: SignedContent,
    },
}

/// [`KeyPackageIn::validate`] for every item of a chunk, in the same steps:
/// the rules before the signatures and the signature key (through the
/// memo), then the signatures of all the chunk's key packages of one suite
/// in one [`CipherSuiteProvider::verify_each`] call, then, item by item in
/// order, the two signature verdicts, the credential and the reference.
fn validate_chunk<C: OpenMlsCrypto>(
    items: Vec<Result<KeyPackageIn, ValidationError>>,
    crypto: &C,
    ctx: &ValidationContext<'_>,
    memo: &mut KeyMemo<C::Suite>,
) -> Vec<Result<KeyPackage, ValidationError>> {
    memo.start_chunk();
    let stages: Vec<Stage<C::Suite>> = items
        .into_iter()
        .map(|item| {
            let prepared = item.and_then(|kp| {
                let suite = kp.check_before_signatures(crypto, ctx)?;
                let key = memo.parse(&suite, &kp)?;
                let content = kp.signed_content()?;
                Ok((kp, suite, key, content))
            });
            match prepared {
                Ok((kp, suite, key, content)) => Stage::Signed {
                    kp,
                    suite,
                    key,
                    content,
                },
                Err(e) => Stage::Done(Err(e)),
            }
        })
        .collect();

    // The signatures, one verify_each per suite present in the chunk.
    let mut verdicts: Vec<Option<Vec<Result<(), CryptoError>>>> = vec![None; stages.len()];
    let mut suites: Vec<CipherSuite> = Vec::new();
    for stage in &stages {
        if let Stage::Signed { kp, .. } = stage
            && !suites.contains(&kp.cipher_suite)
        {
            suites.push(kp.cipher_suite);
        }
    }
    for cipher_suite in suites {
        let mut items = Vec::new();
        let mut spans = Vec::new();
        let mut provider = None;
        for (i, stage) in stages.iter().enumerate() {
            let Stage::Signed {
                kp,
                suite,
                key,
                content,
            } = stage
            else {
                continue;
            };
            let Some((_, _, Ok(key))) = memo.keys.get(*key) else {
                continue;
            };
            if kp.cipher_suite != cipher_suite {
                continue;
            }
            let start = items.len();
            content.push_items(kp, key, &mut items);
            spans.push((i, start, items.len()));
            provider = Some(suite);
        }
        let Some(provider) = provider else {
            continue;
        };
        let results = provider.verify_each(&items);
        for (i, start, end) in spans {
            if let Some(slot) = verdicts.get_mut(i) {
                *slot = results.get(start..end).map(<[_]>::to_vec);
            }
        }
    }

    stages
        .into_iter()
        .zip(verdicts)
        .map(|(stage, verdicts)| match stage {
            Stage::Done(result) => result,
            Stage::Signed {
                kp, suite, content, ..
            } => {
                content.judge(verdicts.as_deref().unwrap_or(&[]))?;
                kp.finish(&suite, ctx, &content.encoded)
            }
        })
        .collect()
}

/// Runs `work` over `inputs` on `threads` threads, `chunk` items at a time,
/// each thread with its own `M`; returns the outputs in input order. `work`
/// returns one output per input of its chunk.
fn run<I, T, R, M, F>(inputs: I, threads: usize, chunk: usize, work: F) -> Vec<R>
where
    I: Iterator<Item = T> + Send,
    T: Send,
    R: Send,
    M: Default,
    F: Fn(Vec<T>, &mut M) -> Vec<R> + Sync,
{
    let queue = Mutex::new(inputs.enumerate());
    // One worker: take chunks until the queue is empty; the chunks it did,
    // each with the index of its first item.
    let worker = || {
        let mut memo = M::default();
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let taken: Vec<(usize, T)> = {
                let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
                queue.by_ref().take(chunk).collect()
            };
            let Some(&(first, _)) = taken.first() else {
                break;
            };
            let inputs = taken.into_iter().map(|(_, input)| input).collect();
            done.push((first, work(inputs, &mut memo)));
        }
        done
    };

    let mut chunks: Vec<(usize, Vec<R>)> = if threads <= 1 {
        worker()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
            let mut all = Vec::new();
            for handle in handles {
                match handle.join() {
                    Ok(done) => all.extend(done),
                    // A panic in a worker is a bug; let it surface as it
                    // would have on the calling thread.
                    Err(payload) => std::panic::resume_unwind(payload),
                }
            }
            all
        })
    };
    chunks.sort_unstable_by_key(|(first, _)| *first);
    let total = chunks.iter().map(|(_, outputs)| outputs.len()).sum();
    let mut results = Vec::with_capacity(total);
    for (_, outputs) in chunks {
        results.extend(outputs);
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_keeps_input_order_on_any_threads_and_chunks() {
        let inputs: Vec<u32> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            for chunk in [1, 7, 64, 5000] {
                let out = run(
                    inputs.iter().copied(),
                    threads,
                    chunk,
                    |xs: Vec<u32>, seen: &mut u32| {
                        *seen += 1;
                        xs.into_iter().map(|x| x * 2).collect()
                    },
                );
                let expected: Vec<u32> = inputs.iter().map(|x| x * 2).collect();
                assert_eq!(out, expected, "threads {threads}, chunk {chunk}");
            }
        }
        let empty: Vec<u32> = run(std::iter::empty(), 4, 64, |xs: Vec<u32>, _: &mut ()| xs);
        assert!(empty.is_empty());
    }

    #[test]
    fn threads_are_capped_by_the_number_of_chunks() {
        let options = BatchOptions::new().threads(8).chunk_size(10);
        assert_eq!(options.threads_for(0), 1);
        assert_eq!(options.threads_for(10), 1);
        assert_eq!(options.threads_for(11), 2);
        assert_eq!(options.threads_for(1000), 8);
        assert_eq!(BatchOptions::new().threads(1).threads_for(1000), 1);
        assert_eq!(BatchOptions::new().chunk_size(0).chunk_size.get(), 1);
    }
}
