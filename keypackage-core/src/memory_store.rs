//! [`MemoryKeyStore`]: a thread-safe, in-memory [`KeyStore`].
//!
//! For tests, for short-lived clients, and as the reference implementation of
//! the trait's semantics. Nothing survives the process: "durable" here means
//! "until the store is dropped".
//!
//! ```
//! # #[cfg(feature = "rustcrypto")] {
//! use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
//! use keypackage_core::traits::{CipherSuite, KeyStore, SignatureScheme};
//! use keypackage_core::{Credential, KeyPackageBuilder, MemoryKeyStore};
//!
//! let (crypto, signer) = (RustCrypto::new(), RustCryptoSigner::generate(SignatureScheme::Ed25519)?);
//! let bundle = KeyPackageBuilder::new().build(
//!     &crypto,
//!     CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
//!     Credential::basic("alice"),
//!     &signer,
//! )?;
//! let store = MemoryKeyStore::new();
//! store.store(bundle.to_stored()?)?; // every row field comes from the bundle
//! assert_eq!(store.count(0)?.available(), 1);
//! assert!(store.take(bundle.reference())?.is_some()); // used once…
//! assert!(store.take(bundle.reference())?.is_none()); // …and gone
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use keypackage_traits::{
    HpkePublicKey, KeyPackageRef, KeyStore, KeyStoreError, StoreCounts, StoredKeyPackage,
    StoredSummary,
};

/// A [`KeyStore`] in memory, safe to share between threads.
///
/// One lock guards the whole map, so `take` and `reserve` are atomic with
/// respect to every other call. Bundles are [`Secret`](keypackage_traits::Secret)s:
/// whatever the store drops (on `take`, `confirm`, `delete`,
/// `delete_expired`, or when the store itself is dropped) is zeroized. A
/// poisoned lock is reported as [`KeyStoreError::Storage`], never a panic.
#[derive(Default)]
pub struct MemoryKeyStore {
    inner: RwLock<Inner>,
}

/// The map and the index of init keys, kept consistent under one lock.
#[derive(Default)]
struct Inner {
    entries: BTreeMap<KeyPackageRef, Slot>,
    init_keys: BTreeSet<HpkePublicKey>,
}

/// A stored entry and its reservation.
struct Slot {
    entry: StoredKeyPackage,
    reserved_at: Option<u64>,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Inner>, KeyStoreError> {
        self.inner.read().map_err(|_| poisoned())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Inner>, KeyStoreError> {
        self.inner.write().map_err(|_| poisoned())
    }
}

fn poisoned() -> KeyStoreError {
    KeyStoreError::Storage {
        detail: "memory key store lock poisoned by a panic in another thread".into(),
    }
}

impl Inner {
    /// Removes an entry and its init key; the caller owns (and drops, hence
    /// zeroizes) the entry.
    fn remove(&mut self, reference: &KeyPackageRef) -> Option<StoredKeyPackage> {
        let slot = self.entries.remove(reference)?;
        self.init_keys.remove(slot.entry.init_key());
        Some(slot.entry)
    }
}

impl fmt::Debug for MemoryKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("MemoryKeyStore");
        match self.inner.read() {
            Ok(inner) => out.field("entries", &inner.entries.len()),
            Err(_) => out.field("entries", &"<poisoned>"),
        };
        out.finish_non_exhaustive()
    }
}

impl KeyStore for MemoryKeyStore {
    fn store(&self, entry: StoredKeyPackage) -> Result<(), KeyStoreError> {
        let mut inner = self.write()?;
        if inner.entries.contains_key(entry.reference()) {
            return Err(KeyStoreError::DuplicateReference);
        }
        if inner.init_keys.contains(entry.init_key()) {
            return Err(KeyStoreError::DuplicateInitKey);
        }
        inner.init_keys.insert(entry.init_key().clone());
        inner.entries.insert(
            entry.reference().clone(),
            Slot {
                entry,
                reserved_at: None,
            },
        );
        Ok(())
    }

    fn store_many(&self, entries: Vec<StoredKeyPackage>) -> Result<(), KeyStoreError> {
        let mut inner = self.write()?;
        // Check the whole batch in order before inserting any of it.
        let mut references = BTreeSet::new();
        let mut init_keys = BTreeSet::new();
        for entry in &entries {
            if inner.entries.contains_key(entry.reference())
                || !references.insert(entry.reference())
            {
                return Err(KeyStoreError::DuplicateReference);
            }
            if inner.init_keys.contains(entry.init_key()) || !init_keys.insert(entry.init_key()) {
                return Err(KeyStoreError::DuplicateInitKey);
            }
        }
        for entry in entries {
            inner.init_keys.insert(entry.init_key().clone());
            inner.entries.insert(
                entry.reference().clone(),
                Slot {
                    entry,
                    reserved_at: None,
                },
            );
        }
        Ok(())
    }

    fn get(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        Ok(self
            .read()?
            .entries
            .get(reference)
            .map(|slot| slot.entry.clone()))
    }

    fn take(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        let mut inner = self.write()?;
        match inner.entries.get(reference) {
            None => Ok(None),
            Some(slot) if slot.entry.last_resort() => Ok(Some(slot.entry.clone())),
            Some(slot) if slot.reserved_at.is_some() => Ok(None),
            Some(_) => Ok(inner.remove(reference)),
        }
    }

    fn reserve(
        &self,
        reference: &KeyPackageRef,
        now: u64,
    ) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        let mut inner = self.write()?;
        match inner.entries.get_mut(reference) {
            None => Ok(None),
            Some(slot) if slot.entry.last_resort() => Ok(Some(slot.entry.clone())),
            Some(slot) if slot.reserved_at.is_some() => Ok(None),
            Some(slot) => {
                slot.reserved_at = Some(now);
                Ok(Some(slot.entry.clone()))
            }
        }
    }

    fn confirm(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        let mut inner = self.write()?;
        let reserved = inner
            .entries
            .get(reference)
            .is_some_and(|slot| slot.reserved_at.is_some() && !slot.entry.last_resort());
        Ok(reserved && inner.remove(reference).is_some())
    }

    fn release(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        let mut inner = self.write()?;
        Ok(inner
            .entries
            .get_mut(reference)
            .and_then(|slot| slot.reserved_at.take())
            .is_some())
    }

    fn release_stale(&self, reserved_before: u64) -> Result<usize, KeyStoreError> {
        let mut inner = self.write()?;
        let mut released = 0;
        for slot in inner.entries.values_mut() {
            if slot.reserved_at.is_some_and(|at| at < reserved_before) {
                slot.reserved_at = None;
                released += 1;
            }
        }
        Ok(released)
    }

    fn delete(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        Ok(self.write()?.remove(reference).is_some())
    }

    fn list(&self) -> Result<Vec<StoredSummary>, KeyStoreError> {
        let mut out: Vec<StoredSummary> = self
            .read()?
            .entries
            .values()
            .map(|slot| StoredSummary {
                reference: slot.entry.reference().clone(),
                not_after: slot.entry.not_after(),
                last_resort: slot.entry.last_resort(),
                reserved_at: slot.reserved_at,
            })
            .collect();
        // The map is ordered by reference; a stable sort by time keeps that
        // as the second key.
        out.sort_by_key(|summary| summary.not_after);
        Ok(out)
    }

    fn count(&self, now: u64) -> Result<StoreCounts, KeyStoreError> {
        let inner = self.read()?;
        let mut counts = StoreCounts {
            total: inner.entries.len(),
            ..StoreCounts::default()
        };
        for slot in inner
            .entries
            .values()
            .filter(|s| now <= s.entry.not_after())
        {
            counts.unexpired += 1;
            if slot.entry.last_resort() {
                counts.last_resort += 1;
            }
            if slot.reserved_at.is_some() {
                counts.reserved += 1;
            }
        }
        Ok(counts)
    }

    fn delete_expired(&self, now: u64) -> Result<usize, KeyStoreError> {
        let mut guard = self.write()?;
        let Inner { entries, init_keys } = &mut *guard;
        let before = entries.len();
        entries.retain(|_, slot| {
            let expired = slot.entry.not_after() < now && slot.reserved_at.is_none();
            if expired {
                init_keys.remove(slot.entry.init_key());
            }
            !expired
        });
        Ok(before - entries.len())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;

    use keypackage_traits::conformance::key_store::{
        self as suite, EntryGen, Interpose, Interposed,
    };

    use super::*;

    #[test]
    fn memory_store_passes_the_key_store_conformance_suite() {
        suite::run(MemoryKeyStore::new);
    }

    #[test]
    fn poisoned_lock_is_a_storage_error_not_a_panic() {
        let store = Arc::new(MemoryKeyStore::new());
        let entry = EntryGen::new(1).entry(10, false);
        let reference = entry.reference().clone();
        let poisoner = Arc::clone(&store);
        let joined = thread::spawn(move || {
            let _guard = poisoner.inner.write();
            panic!("poison the lock on purpose");
        })
        .join();
        assert!(joined.is_err());
        assert!(matches!(
            store.store(entry),
            Err(KeyStoreError::Storage { .. })
        ));
        assert!(matches!(
            store.get(&reference),
            Err(KeyStoreError::Storage { .. })
        ));
        assert!(matches!(
            store.take(&reference),
            Err(KeyStoreError::Storage { .. })
        ));
        assert!(matches!(store.count(0), Err(KeyStoreError::Storage { .. })));
        assert!(format!("{store:?}").contains("poisoned"));
    }

    #[test]
    fn debug_shows_no_secret() {
        let store = MemoryKeyStore::new();
        let entry = EntryGen::new(2).entry_with_bundle(10, false, 16);
        let bundle_hex: String = entry
            .bundle()
            .expose()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        store.store(entry).unwrap();
        let text = format!("{store:?}");
        assert_eq!(text, "MemoryKeyStore { entries: 1, .. }");
        assert!(!text.contains(&bundle_hex));
    }

    /// The suite must catch a store that breaks the rules: each fault below
    /// breaks one, and the matching check has to fail.
    #[derive(Clone, Copy, PartialEq)]
    enum Fault {
        /// `take` looks up, lets other threads run, then deletes.
        RacyTake,
        /// `store` does not check init keys.
        NoInitKeyCheck,
        /// `take` removes last-resort key packages too.
        TakeRemovesLastResort,
        /// `count` treats `not_after` as exclusive.
        ExclusiveExpiry,
        /// `store_many` stores entry by entry and keeps what it stored
        /// before a refusal.
        PartialBatch,
    }

    impl Interpose<MemoryKeyStore> for Fault {
        fn store(
            &self,
            inner: &MemoryKeyStore,
            entry: StoredKeyPackage,
        ) -> Result<(), KeyStoreError> {
            if *self != Fault::NoInitKeyCheck {
                return inner.store(entry);
            }
            let mut inner = inner.write()?;
            if inner.entries.contains_key(entry.reference()) {
                return Err(KeyStoreError::DuplicateReference);
            }
            let slot = Slot {
                entry,
                reserved_at: None,
            };
            inner.entries.insert(slot.entry.reference().clone(), slot);
            Ok(())
        }
        fn store_many(
            &self,
            inner: &MemoryKeyStore,
            entries: Vec<StoredKeyPackage>,
        ) -> Result<(), KeyStoreError> {
            if *self == Fault::PartialBatch {
                return entries.into_iter().try_for_each(|e| inner.store(e));
            }
            inner.store_many(entries)
        }
        fn take(
            &self,
            inner: &MemoryKeyStore,
            r: &KeyPackageRef,
        ) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
            match self {
                Fault::RacyTake => {
                    let found = inner.get(r)?;
                    thread::yield_now();
                    inner.delete(r)?;
                    Ok(found)
                }
                Fault::TakeRemovesLastResort => Ok(inner.write()?.remove(r)),
                _ => inner.take(r),
            }
        }
        fn count(&self, inner: &MemoryKeyStore, now: u64) -> Result<StoreCounts, KeyStoreError> {
            match self {
                Fault::ExclusiveExpiry => inner.count(now.saturating_add(1)),
                _ => inner.count(now),
            }
        }
    }

    fn broken(fault: Fault) -> Interposed<MemoryKeyStore, Fault> {
        Interposed {
            inner: MemoryKeyStore::new(),
            hooks: fault,
        }
    }

    #[test]
    #[should_panic(expected = "concurrent_take")]
    fn suite_catches_a_racy_take() {
        // The window between lookup and delete is small; repeat the race so a
        // lucky schedule cannot hide it.
        for _ in 0..20 {
            suite::check_concurrent_take(&broken(Fault::RacyTake));
        }
    }

    #[test]
    #[should_panic(expected = "duplicate_init_key_refused")]
    fn suite_catches_a_missing_init_key_check() {
        suite::check_duplicate_init_key_refused(&broken(Fault::NoInitKeyCheck));
    }

    #[test]
    #[should_panic(expected = "last_resort_stays")]
    fn suite_catches_a_take_that_removes_last_resort() {
        suite::check_last_resort_stays(&broken(Fault::TakeRemovesLastResort));
    }

    #[test]
    #[should_panic(expected = "store_many_duplicate_in_batch")]
    fn suite_catches_a_batch_stored_in_part() {
        suite::check_store_many_duplicate_in_batch(&broken(Fault::PartialBatch));
    }

    #[test]
    #[should_panic(expected = "store_many_duplicate_of_stored")]
    fn suite_catches_a_batch_stored_in_part_before_a_stored_clash() {
        suite::check_store_many_duplicate_of_stored(&broken(Fault::PartialBatch));
    }

    /// The trait's default `store_many` (a store that does not override it)
    /// keeps the same all-or-nothing contract.
    struct DefaultBatch(MemoryKeyStore);

    impl KeyStore for DefaultBatch {
        fn store(&self, e: StoredKeyPackage) -> Result<(), KeyStoreError> {
            self.0.store(e)
        }
        fn get(&self, r: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
            self.0.get(r)
        }
        fn take(&self, r: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
            self.0.take(r)
        }
        fn reserve(
            &self,
            r: &KeyPackageRef,
            now: u64,
        ) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
            self.0.reserve(r, now)
        }
        fn confirm(&self, r: &KeyPackageRef) -> Result<bool, KeyStoreError> {
            self.0.confirm(r)
        }
        fn release(&self, r: &KeyPackageRef) -> Result<bool, KeyStoreError> {
            self.0.release(r)
        }
        fn release_stale(&self, before: u64) -> Result<usize, KeyStoreError> {
            self.0.release_stale(before)
        }
        fn delete(&self, r: &KeyPackageRef) -> Result<bool, KeyStoreError> {
            self.0.delete(r)
        }
        fn list(&self) -> Result<Vec<StoredSummary>, KeyStoreError> {
            self.0.list()
        }
        fn count(&self, now: u64) -> Result<StoreCounts, KeyStoreError> {
            self.0.count(now)
        }
        fn delete_expired(&self, now: u64) -> Result<usize, KeyStoreError> {
            self.0.delete_expired(now)
        }
    }

    #[test]
    fn the_default_store_many_passes_the_conformance_suite() {
        suite::run(|| DefaultBatch(MemoryKeyStore::new()));
    }

    #[test]
    #[should_panic(expected = "count_with_injected_now")]
    fn suite_catches_exclusive_expiry() {
        suite::check_count_with_injected_now(&broken(Fault::ExclusiveExpiry));
    }
}
