//! Batch validation: many key packages at once, on every core, for a
//! delivery service that validates uploads in bulk.
//!
//! The verdict for each item is exactly the one [`KeyPackageIn::validate`]
//! gives: the batch runs the same rule checks in the same order (it shares
//! the code), only spread over threads. Results come back in input order.
//!
//! # Why Ed25519 batch verification is not used
//!
//! Batch verification checks one random linear combination of all the
//! verification equations. Single verification here is cofactorless
//! (`[S]B = R + [k]A`, rule 4 of
//! [`ED25519_POLICY`](keypackage_traits::crypto::ED25519_POLICY), what ring and
//! ed25519-dalek's `verify` compute). When `A` or `R` has a small-order
//! *component* (a mixed-order point, which no blocklist can refuse: the
//! CCTV vectors flag them `low_order_component_*`), the residue of an
//! invalid signature is a small-order point, and the residues of several
//! items can cancel in the combination (with probability at least 1/2 for
//! each choice of weights), so a batch can accept what single verification
//! refuses. Batch and single verdicts agree only when every `A` and `R` is
//! checked to lie in the prime-order subgroup, `[L]P = 0`: a scalar
//! multiplication per point. Measured on the 2-core reference machine
//! (`BENCHMARKS.md`): one Ed25519 verification 30.5 µs, batch verification
//! of 64 16.9 µs per signature, one torsion check 24.6 µs (variable time),
//! so an agreeing batch costs 67.8 µs per signature, more than twice single
//! verification. The batch therefore parallelises single verification
//! instead, and [`CipherSuiteProvider::verify_batch`] keeps its
//! one-by-one default in both backends.
//!
//! # What the batch saves besides parallelism
//!
//! Each worker remembers the last parsed signature key (KP-SIG-KEY): key
//! packages uploaded together usually share their client's signature key,
//! and parsing an Ed25519 key decompresses a point. Parsing is a pure
//! function of the suite and the key bytes, so reusing the result of the
//! same (suite, bytes) cannot change a verdict; a key that fails to parse
//! fails the same way for every item that carries it.
//!
//! # Memory
//!
//! Workers take `chunk_size` items at a time from a shared queue; each item
//! is encoded, verified and dropped (or kept as its result) before the
//! next, so besides the inputs and the results only one encoding per thread
//! is alive. Validating 10,000 suite-1 key packages from their encodings
//! peaks well under 64 MiB (`BENCHMARKS.md`, `examples/batch_memory.rs`).

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, CryptoError, OpenMlsCrypto, SignaturePublicKey,
};

use crate::key_package::{KeyPackage, KeyPackageIn};
use crate::validate::{ValidationContext, ValidationError};

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
/// use keypackage_core::batch::validate_batch;
/// use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
/// use keypackage_core::traits::{Ciphersuite, SignatureScheme};
/// use keypackage_core::{AcceptAnyCredential, Credential, KeyPackageBuilder, Rule, ValidationContext};
///
/// let crypto = RustCrypto::new();
/// let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
/// let suite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
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
        |kp, memo: &mut KeyMemo<C::Suite>| validate_one(kp, crypto, ctx, memo),
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
        |bytes: &B, memo: &mut KeyMemo<C::Suite>| {
            let kp = KeyPackageIn::decode(bytes.as_ref())?;
            validate_one(kp, crypto, ctx, memo)
        },
    )
}

/// The last signature key a worker parsed, by suite and bytes.
struct KeyMemo<S: CipherSuiteProvider> {
    last: Option<(
        Ciphersuite,
        SignaturePublicKey,
        Result<S::VerifyingKey, CryptoError>,
    )>,
}

impl<S: CipherSuiteProvider> Default for KeyMemo<S> {
    fn default() -> Self {
        Self { last: None }
    }
}

/// [`KeyPackageIn::validate`], with the signature key parsed through the
/// worker's memo. The steps and their order are those of `validate`.
fn validate_one<C: OpenMlsCrypto>(
    kp: KeyPackageIn,
    crypto: &C,
    ctx: &ValidationContext<'_>,
    memo: &mut KeyMemo<C::Suite>,
) -> Result<KeyPackage, ValidationError> {
    let suite = kp.check_before_signatures(crypto, ctx)?;
    let public = &kp.leaf_node.signature_key;
    let hit = matches!(&memo.last, Some((cs, key, _)) if *cs == kp.cipher_suite && key == public);
    if !hit {
        memo.last = Some((kp.cipher_suite, public.clone(), suite.verifying_key(public)));
    }
    // KP-SIG-KEY, as `validate` decides it.
    let key = match &memo.last {
        Some((_, _, Ok(key))) => key,
        Some((_, _, Err(e))) => return Err(ValidationError::SignatureKey(e.clone())),
        None => return Err(ValidationError::Internal("key memo is empty".into())),
    };
    kp.check_signatures_and_finish(&suite, key, ctx)
}

/// Runs `work` over `inputs` on `threads` threads, `chunk` items at a time,
/// each thread with its own `M`; returns the outputs in input order.
fn run<I, T, R, M, F>(inputs: I, threads: usize, chunk: usize, work: F) -> Vec<R>
where
    I: Iterator<Item = T> + Send,
    T: Send,
    R: Send,
    M: Default,
    F: Fn(T, &mut M) -> R + Sync,
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
            let outputs = taken
                .into_iter()
                .map(|(_, input)| work(input, &mut memo))
                .collect();
            done.push((first, outputs));
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
                    |x, seen: &mut u32| {
                        *seen += 1;
                        x * 2
                    },
                );
                let expected: Vec<u32> = inputs.iter().map(|x| x * 2).collect();
                assert_eq!(out, expected, "threads {threads}, chunk {chunk}");
            }
        }
        let empty: Vec<u32> = run(std::iter::empty(), 4, 64, |x: u32, _: &mut ()| x);
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
