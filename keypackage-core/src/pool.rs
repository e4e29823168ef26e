//! Keeping a key store topped up: [`KeyPackagePool`] creates and stores key
//! packages until a target number of usable ones exist, and reports what it
//! published so the application can upload exactly those.
//!
//! A client publishes key packages ahead of time so others can add it to
//! groups while it is offline (RFC 9420 §10, §16.8). Each normal one is
//! spent by one join, and each expires; the pool replaces what was spent or
//! is about to expire. Optionally it also keeps one last-resort key package,
//! for when the delivery service runs out of normal ones.
//!
//! The clock is an input: the pool counts, and sets each new lifetime, from
//! the `now` it is given.

use keypackage_traits::{
    CipherSuite, KeyStore, KeyStoreError, OpenMlsCrypto, Signer, StoreCounts, StoredKeyPackage,
};

use crate::builder::{CreationError, DEFAULT_BACKDATE, DEFAULT_LIFETIME, KeyPackageBuilder};
use crate::bundle::KeyPackageBundle;
use crate::credential::Credential;
use crate::error::EncodeError;
use crate::key_package::KeyPackage;
use crate::lifetime::Lifetime;

/// Creates and stores key packages until `target` usable ones exist.
///
/// "Usable" is [`StoreCounts::available`] at `now + min_remaining`: normal
/// (not last-resort), unreserved, and not expiring within `min_remaining`
/// seconds. Key packages that expired stay in the store until the
/// application calls [`KeyStore::delete_expired`] (a Welcome for one may be
/// under way); the pool neither counts nor deletes them.
///
/// Two top-ups running at once on one store may together publish more than
/// needed, never fewer.
#[derive(Clone, Debug)]
pub struct KeyPackagePool {
    builder: KeyPackageBuilder,
    cipher_suite: CipherSuite,
    credential: Credential,
    target: usize,
    lifetime: u64,
    min_remaining: u64,
    keep_last_resort: bool,
    batch: usize,
}

/// How many key packages [`KeyPackagePool::top_up`] stores per
/// [`KeyStore::store_many`] call (one transaction), unless
/// [`KeyPackagePool::batch_size`] says otherwise.
pub const DEFAULT_POOL_BATCH: usize = 256;

/// What one [`KeyPackagePool::top_up`] did.
#[derive(Clone, Debug)]
pub struct PoolReport {
    /// Every key package created and stored, in order (a last-resort one
    /// first, when one was made): upload exactly these.
    pub published: Vec<KeyPackage>,
    /// The store's counts before, at `now + min_remaining`.
    pub before: StoreCounts,
    /// The store's counts after, at `now + min_remaining`.
    pub after: StoreCounts,
}

/// A top-up that stopped early. The key packages in `published` were stored
/// before the failure and must be uploaded like a successful top-up's.
#[derive(Debug, thiserror::Error)]
#[error("key-package pool: {cause} (after {} published)", .published.len())]
pub struct PoolError {
    /// Key packages created and stored before the failure.
    pub published: Vec<KeyPackage>,
    /// What failed.
    pub cause: PoolFailure,
}

/// Why a top-up stopped. Each variant says whose fault it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolFailure {
    /// The builder could not make a key package (see [`CreationError`]).
    #[error("creating a key package failed: {0}")]
    Creation(#[from] CreationError),
    /// Encoding a bundle for the store failed (library).
    #[error("encoding a bundle failed: {0}")]
    Encode(#[from] EncodeError),
    /// The store failed (environment); nothing it acknowledged is lost.
    #[error("the key store failed: {0}")]
    Store(#[from] KeyStoreError),
    /// The builder given to the pool makes last-resort key packages (caller):
    /// the pool would never reach its target. Use
    /// [`KeyPackagePool::keep_last_resort`] instead.
    #[error("the pool's builder makes last-resort key packages")]
    LastResortBuilder,
}

impl KeyPackagePool {
    /// A pool of `target` key packages for `cipher_suite` and `credential`,
    /// made by `builder`, each valid for [`DEFAULT_LIFETIME`] from `now`
    /// (and back-dated by [`DEFAULT_BACKDATE`]). The pool sets the lifetime
    /// itself, from the `now` given to [`top_up`](Self::top_up); the
    /// builder's own lifetime setting is not used.
    pub fn new(
        builder: KeyPackageBuilder,
        cipher_suite: CipherSuite,
        credential: Credential,
        target: usize,
    ) -> Self {
        Self {
            builder,
            cipher_suite,
            credential,
            target,
            lifetime: DEFAULT_LIFETIME,
            min_remaining: 0,
            keep_last_resort: false,
            batch: DEFAULT_POOL_BATCH,
        }
    }

    /// Each new key package is valid until `now + seconds`.
    pub fn lifetime_seconds(mut self, seconds: u64) -> Self {
        self.lifetime = seconds;
        self
    }

    /// A key package that expires within `seconds` of `now` no longer
    /// counts towards the target, so it is replaced before it runs out.
    pub fn min_remaining(mut self, seconds: u64) -> Self {
        self.min_remaining = seconds;
        self
    }

    /// Also keep one last-resort key package (unexpired at
    /// `now + min_remaining`) in the store.
    pub fn keep_last_resort(mut self, on: bool) -> Self {
        self.keep_last_resort = on;
        self
    }

    /// Store at most `n` key packages per [`KeyStore::store_many`] call
    /// (at least 1; default [`DEFAULT_POOL_BATCH`]). A failed call loses
    /// only the key packages of its own batch, which were never published.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch = n.max(1);
        self
    }

    /// The target number of usable key packages.
    pub fn target(&self) -> usize {
        self.target
    }

    /// Creates and stores key packages until `target` usable ones exist at
    /// `now`, and reports them. They are stored in batches of
    /// [`batch_size`](Self::batch_size), each with one all-or-nothing
    /// [`KeyStore::store_many`] (durable when it returns, for a durable
    /// store); a key package counts as published only once its batch is
    /// stored, so a failure loses none that were published.
    pub fn top_up<S, C, G>(
        &self,
        store: &S,
        crypto: &C,
        signer: &G,
        now: u64,
    ) -> Result<PoolReport, PoolError>
    where
        S: KeyStore + ?Sized,
        C: OpenMlsCrypto,
        G: Signer + ?Sized,
    {
        let horizon = now.saturating_add(self.min_remaining);
        let mut published = Vec::new();
        let fail = |published: Vec<KeyPackage>, cause: PoolFailure| PoolError { published, cause };

        let before = match store.count(horizon) {
            Ok(counts) => counts,
            Err(err) => return Err(fail(published, err.into())),
        };
        let lifetime = Lifetime::new(
            now.saturating_sub(DEFAULT_BACKDATE),
            now.saturating_add(self.lifetime),
        );
        let normal = self.builder.clone().lifetime(lifetime);

        // Which key packages to make: a last-resort one first, when needed.
        let mut kinds = Vec::new();
        if self.keep_last_resort && before.last_resort == 0 {
            kinds.push(true);
        }
        kinds.extend(std::iter::repeat_n(
            false,
            self.target.saturating_sub(before.available()),
        ));
        let last_resort = normal.clone().last_resort();
        for chunk in kinds.chunks(self.batch) {
            let mut bundles = Vec::with_capacity(chunk.len());
            let mut entries = Vec::with_capacity(chunk.len());
            for &kind in chunk {
                let builder = if kind { &last_resort } else { &normal };
                match self.make(crypto, signer, builder, kind) {
                    Ok((bundle, entry)) => {
                        bundles.push(bundle);
                        entries.push(entry);
                    }
                    // Made but not stored: never published, and dropped
                    // (zeroized) here.
                    Err(cause) => return Err(fail(published, cause)),
                }
            }
            if let Err(err) = store.store_many(entries) {
                return Err(fail(published, err.into()));
            }
            // Committed: now, and only now, they count as published.
            published.extend(bundles.iter().map(|b| b.key_package().clone()));
        }
        match store.count(horizon) {
            Ok(after) => Ok(PoolReport {
                published,
                before,
                after,
            }),
            Err(err) => Err(fail(published, err.into())),
        }
    }

    /// Builds one key package, checks it is of the kind wanted, and encodes
    /// its store entry.
    fn make<C, G>(
        &self,
        crypto: &C,
        signer: &G,
        builder: &KeyPackageBuilder,
        last_resort: bool,
    ) -> Result<(KeyPackageBundle, StoredKeyPackage), PoolFailure>
    where
        C: OpenMlsCrypto,
        G: Signer + ?Sized,
    {
        let bundle = builder.build(crypto, self.cipher_suite, self.credential.clone(), signer)?;
        if bundle.key_package().is_last_resort() != last_resort {
            return Err(PoolFailure::LastResortBuilder);
        }
        let entry = bundle.to_stored()?;
        Ok((bundle, entry))
    }
}

#[cfg(test)]
#[cfg(feature = "rustcrypto")]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use backend_rustcrypto::{RustCrypto, RustCryptoSigner};
    use keypackage_traits::conformance::key_store::{Interpose, Interposed};
    use keypackage_traits::{SignatureScheme, StoredKeyPackage};

    use super::*;
    use crate::bundle::KeyPackageBundle;
    use crate::memory_store::MemoryKeyStore;

    const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    /// An injected "now", far from the machine's clock on purpose.
    const NOW: u64 = 2_000_000_000;

    fn setup() -> (RustCrypto, RustCryptoSigner, MemoryKeyStore) {
        (
            RustCrypto::new(),
            RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap(),
            MemoryKeyStore::new(),
        )
    }

    fn pool(target: usize) -> KeyPackagePool {
        KeyPackagePool::new(
            KeyPackageBuilder::new(),
            SUITE,
            Credential::basic("alice"),
            target,
        )
    }

    #[test]
    fn fills_an_empty_store_with_key_packages_that_decode_from_it() {
        let (crypto, signer, store) = setup();
        let report = pool(5)
            .lifetime_seconds(1_000)
            .top_up(&store, &crypto, &signer, NOW)
            .unwrap();
        assert_eq!(report.published.len(), 5);
        assert_eq!(report.before.available(), 0);
        assert_eq!(report.after.available(), 5);
        for kp in &report.published {
            assert!(!kp.is_last_resort());
            // The lifetime follows the injected clock, not the system's.
            let lifetime = kp.leaf_node().leaf_node_source.lifetime().copied().unwrap();
            assert_eq!(lifetime, Lifetime::new(NOW - DEFAULT_BACKDATE, NOW + 1_000));
            let stored = store.get(kp.reference()).unwrap().unwrap();
            assert_eq!(stored.not_after(), NOW + 1_000);
            let bundle = KeyPackageBundle::from_stored(&stored, &crypto).unwrap();
            assert_eq!(bundle.key_package(), kp);
        }
    }

    #[test]
    fn replaces_only_what_was_spent() {
        let (crypto, signer, store) = setup();
        let pool = pool(4);
        let first = pool.top_up(&store, &crypto, &signer, NOW).unwrap();
        let again = pool.top_up(&store, &crypto, &signer, NOW + 1).unwrap();
        assert!(again.published.is_empty());
        store.take(first.published[0].reference()).unwrap().unwrap();
        store.take(first.published[1].reference()).unwrap().unwrap();
        let refill = pool.top_up(&store, &crypto, &signer, NOW + 2).unwrap();
        assert_eq!(refill.published.len(), 2);
        assert_eq!(refill.after.available(), 4);
        assert_eq!(store.count(NOW).unwrap().total, 4);
    }

    #[test]
    fn reserved_key_packages_do_not_count() {
        let (crypto, signer, store) = setup();
        let pool = pool(3);
        let first = pool.top_up(&store, &crypto, &signer, NOW).unwrap();
        store
            .reserve(first.published[0].reference(), NOW)
            .unwrap()
            .unwrap();
        let refill = pool.top_up(&store, &crypto, &signer, NOW).unwrap();
        assert_eq!(refill.published.len(), 1);
        assert_eq!(store.count(NOW).unwrap().total, 4);
    }

    #[test]
    fn expired_and_expiring_key_packages_are_replaced() {
        let (crypto, signer, store) = setup();
        let pool = pool(2).lifetime_seconds(1_000).min_remaining(300);
        pool.top_up(&store, &crypto, &signer, NOW).unwrap();
        // At NOW + 600 they have 400 s left: still enough.
        let later = pool.top_up(&store, &crypto, &signer, NOW + 600).unwrap();
        assert!(later.published.is_empty());
        // At NOW + 800 only 200 s are left: replaced, old ones kept.
        let renewed = pool.top_up(&store, &crypto, &signer, NOW + 800).unwrap();
        assert_eq!(renewed.published.len(), 2);
        assert_eq!(store.count(NOW + 800).unwrap().total, 4);
        // Past their end, the old ones go with delete_expired.
        assert_eq!(store.delete_expired(NOW + 1_001).unwrap(), 2);
    }

    #[test]
    fn keeps_exactly_one_last_resort_key_package() {
        let (crypto, signer, store) = setup();
        let pool = pool(2).keep_last_resort(true).lifetime_seconds(1_000);
        let first = pool.top_up(&store, &crypto, &signer, NOW).unwrap();
        assert_eq!(first.published.len(), 3);
        assert!(first.published[0].is_last_resort());
        assert_eq!(first.after.last_resort, 1);
        let last_resort = first.published[0].reference().clone();
        // Taking it does not use it up; the pool makes no second one.
        store.take(&last_resort).unwrap().unwrap();
        let again = pool.top_up(&store, &crypto, &signer, NOW).unwrap();
        assert!(again.published.is_empty());
        // Once it expires, a new one is made.
        let renewed = pool.top_up(&store, &crypto, &signer, NOW + 1_001).unwrap();
        assert_eq!(
            renewed
                .published
                .iter()
                .filter(|kp| kp.is_last_resort())
                .count(),
            1
        );
    }

    #[test]
    fn a_last_resort_builder_is_refused_before_anything_is_stored() {
        let (crypto, signer, store) = setup();
        let pool = KeyPackagePool::new(
            KeyPackageBuilder::new().last_resort(),
            SUITE,
            Credential::basic("alice"),
            3,
        );
        let err = pool.top_up(&store, &crypto, &signer, NOW).unwrap_err();
        assert!(matches!(err.cause, PoolFailure::LastResortBuilder));
        assert!(err.published.is_empty());
        assert_eq!(store.count(NOW).unwrap().total, 0);
    }

    /// Counts the store calls, and fails them from the `fail_at`-th on.
    struct FailFrom {
        stores: AtomicUsize,
        fail_at: usize,
    }

    impl FailFrom {
        fn count_call(&self) -> Result<(), KeyStoreError> {
            if self.stores.fetch_add(1, Ordering::SeqCst) >= self.fail_at {
                return Err(KeyStoreError::Storage {
                    detail: "disk full".into(),
                });
            }
            Ok(())
        }
    }

    impl Interpose<MemoryKeyStore> for FailFrom {
        fn store(
            &self,
            inner: &MemoryKeyStore,
            entry: StoredKeyPackage,
        ) -> Result<(), KeyStoreError> {
            self.count_call()?;
            inner.store(entry)
        }
        fn store_many(
            &self,
            inner: &MemoryKeyStore,
            entries: Vec<StoredKeyPackage>,
        ) -> Result<(), KeyStoreError> {
            self.count_call()?;
            inner.store_many(entries)
        }
    }

    fn failing_store(fail_at: usize) -> Interposed<MemoryKeyStore, FailFrom> {
        Interposed {
            inner: MemoryKeyStore::new(),
            hooks: FailFrom {
                stores: AtomicUsize::new(0),
                fail_at,
            },
        }
    }

    #[test]
    fn a_store_failure_reports_what_was_already_published() {
        let (crypto, signer, _) = setup();
        let store = failing_store(1);
        // Batches of 2: the first is stored, the second fails whole.
        let err = pool(5)
            .batch_size(2)
            .top_up(&store, &crypto, &signer, NOW)
            .unwrap_err();
        assert!(matches!(
            err.cause,
            PoolFailure::Store(KeyStoreError::Storage { .. })
        ));
        assert_eq!(err.published.len(), 2);
        for kp in &err.published {
            assert!(store.get(kp.reference()).unwrap().is_some());
        }
        assert_eq!(store.count(NOW).unwrap().total, 2);
        assert!(err.to_string().contains("after 2 published"), "{err}");
    }

    #[test]
    fn key_packages_are_stored_in_batches() {
        let (crypto, signer, _) = setup();
        let store = failing_store(usize::MAX);
        let report = pool(300)
            .keep_last_resort(true)
            .top_up(&store, &crypto, &signer, NOW)
            .unwrap();
        assert_eq!(report.published.len(), 301);
        assert!(report.published[0].is_last_resort());
        // 301 key packages, batches of 256: two store calls, not 301.
        assert_eq!(store.hooks.stores.load(Ordering::SeqCst), 2);
        assert_eq!(store.count(NOW).unwrap().total, 301);
        for kp in &report.published {
            let entry = store.get(kp.reference()).unwrap().unwrap();
            assert_eq!(
                KeyPackageBundle::from_stored(&entry, &crypto)
                    .unwrap()
                    .key_package(),
                kp
            );
        }
    }
}
