//! The key-store conformance suite: every [`KeyStore`] runs [`run`] with a
//! one-line test, and so keeps the semantics documented on the trait.
//!
//! ```text
//! #[test]
//! fn my_store_passes_the_key_store_conformance_suite() {
//!     keypackage_traits::conformance::key_store::run(MyStore::new);
//! }
//! ```
//!
//! Each check takes a fresh, empty store from the `make` closure. The entries
//! are synthetic: random references, init keys and bundle bytes from a small
//! deterministic generator ([`EntryGen`]), so a failure reproduces exactly.
//! A failing check panics with its name and what differed.

// This module is test code shipped behind a feature: failing loudly is its job.
#![allow(clippy::panic, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Barrier;
use std::thread;

use crate::key_store::{
    BundleHeader, KeyStore, KeyStoreError, StoreCounts, StoredKeyPackage, StoredSummary,
};
use crate::keys::{HpkePublicKey, KeyPackageRef, Secret};

/// Threads in the concurrency checks.
pub const THREADS: usize = 8;
/// Key packages the threads of [`check_concurrent_take`] race over.
pub const RACE_REFS: usize = 1_000;

/// Runs every check of the suite, each on a fresh store from `make`.
pub fn run<S: KeyStore>(make: impl Fn() -> S) {
    check_store_get_round_trip(&make());
    check_duplicate_reference_refused(&make());
    check_duplicate_init_key_refused(&make());
    check_store_many(&make());
    check_store_many_duplicate_in_batch(&make());
    check_store_many_duplicate_of_stored(&make());
    check_take_once(&make());
    check_take_then_put_back(&make());
    check_last_resort_stays(&make());
    check_reserve_confirm(&make());
    check_reserve_release(&make());
    check_confirm_needs_reservation(&make());
    check_last_resort_reserve(&make());
    check_release_stale(&make());
    check_delete(&make());
    check_list_order(&make());
    check_count_with_injected_now(&make());
    check_delete_expired(&make());
    check_concurrent_take(&make());
    check_concurrent_take_and_reserve(&make());
    check_concurrent_duplicates(&make());
}

/// The calls a test store may intercept on its way to a working store;
/// each default passes the call through. A test that needs a store with
/// one fault (to show that the suite, or a caller, notices it) or one that
/// records what it is asked overrides only those calls, and
/// [`Interposed`] forwards the rest.
pub trait Interpose<S: KeyStore>: Send + Sync {
    /// Intercepts [`KeyStore::store`].
    fn store(&self, inner: &S, entry: StoredKeyPackage) -> Result<(), KeyStoreError> {
        inner.store(entry)
    }
    /// Intercepts [`KeyStore::store_many`].
    fn store_many(&self, inner: &S, entries: Vec<StoredKeyPackage>) -> Result<(), KeyStoreError> {
        inner.store_many(entries)
    }
    /// Intercepts [`KeyStore::take`].
    fn take(
        &self,
        inner: &S,
        reference: &KeyPackageRef,
    ) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        inner.take(reference)
    }
    /// Intercepts [`KeyStore::count`].
    fn count(&self, inner: &S, now: u64) -> Result<StoreCounts, KeyStoreError> {
        inner.count(now)
    }
}

/// A [`KeyStore`] that sends the calls [`Interpose`] covers through `hooks`
/// and every other call straight to `inner`.
#[derive(Default)]
pub struct Interposed<S, I> {
    /// The working store.
    pub inner: S,
    /// What intercepts the calls.
    pub hooks: I,
}

impl<S: KeyStore, I: Interpose<S>> KeyStore for Interposed<S, I> {
    fn store(&self, entry: StoredKeyPackage) -> Result<(), KeyStoreError> {
        self.hooks.store(&self.inner, entry)
    }
    fn store_many(&self, entries: Vec<StoredKeyPackage>) -> Result<(), KeyStoreError> {
        self.hooks.store_many(&self.inner, entries)
    }
    fn get(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        self.inner.get(reference)
    }
    fn take(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        self.hooks.take(&self.inner, reference)
    }
    fn reserve(
        &self,
        reference: &KeyPackageRef,
        now: u64,
    ) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        self.inner.reserve(reference, now)
    }
    fn confirm(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        self.inner.confirm(reference)
    }
    fn release(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        self.inner.release(reference)
    }
    fn release_stale(&self, reserved_before: u64) -> Result<usize, KeyStoreError> {
        self.inner.release_stale(reserved_before)
    }
    fn delete(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        self.inner.delete(reference)
    }
    fn list(&self) -> Result<Vec<StoredSummary>, KeyStoreError> {
        self.inner.list()
    }
    fn count(&self, now: u64) -> Result<StoreCounts, KeyStoreError> {
        self.hooks.count(&self.inner, now)
    }
    fn delete_expired(&self, now: u64) -> Result<usize, KeyStoreError> {
        self.inner.delete_expired(now)
    }
}

/// A small deterministic generator of synthetic entries (SplitMix64), so the
/// suite needs no RNG crate and a failure reproduces from its seed.
#[derive(Clone, Debug)]
pub struct EntryGen {
    state: u64,
}

impl EntryGen {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len.saturating_add(8));
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// A number in `0..bound` (`0` when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64().checked_rem(bound).unwrap_or(0)
    }

    /// A fresh entry: 32-byte reference and init key, and a bundle of a
    /// header and 1 to 400 random bytes.
    pub fn entry(&mut self, not_after: u64, last_resort: bool) -> StoredKeyPackage {
        let len = usize::try_from(self.below(400)).unwrap_or(0) + 1;
        self.entry_with_bundle(not_after, last_resort, len)
    }

    /// A fresh entry whose bundle is a header followed by exactly `body_len`
    /// random bytes (standing in for the key package and private keys).
    pub fn entry_with_bundle(
        &mut self,
        not_after: u64,
        last_resort: bool,
        body_len: usize,
    ) -> StoredKeyPackage {
        let header = BundleHeader {
            reference: KeyPackageRef::new(self.bytes(32)),
            init_key: HpkePublicKey::new(self.bytes(32)),
            not_after,
            last_resort,
        };
        let body = self.bytes(body_len);
        make_entry(&header, &body)
    }

    /// A fresh entry with the given reference or init key (the others
    /// fresh): for duplicates.
    pub fn entry_sharing(
        &mut self,
        reference: Option<&KeyPackageRef>,
        init_key: Option<&HpkePublicKey>,
        not_after: u64,
        last_resort: bool,
    ) -> StoredKeyPackage {
        let fresh = self.entry(not_after, last_resort);
        let header = BundleHeader {
            reference: reference.unwrap_or(fresh.reference()).clone(),
            init_key: init_key.unwrap_or(fresh.init_key()).clone(),
            not_after,
            last_resort,
        };
        let body = self.bytes(64);
        make_entry(&header, &body)
    }
}

/// The entry of a synthetic bundle: `header` then `body`.
pub fn make_entry(header: &BundleHeader, body: &[u8]) -> StoredKeyPackage {
    let mut bundle = Vec::with_capacity(body.len().saturating_add(80));
    header
        .encode(&mut bundle)
        .expect("a synthetic header encodes");
    bundle.extend_from_slice(body);
    StoredKeyPackage::from_bundle(Secret::new(bundle)).expect("a synthetic bundle has a header")
}

// ---------------------------------------------------------------------------
// Helpers: each names the check and the call that failed.

fn ok<T>(check: &str, what: &str, result: Result<T, KeyStoreError>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{check}: {what} failed: {err}"),
    }
}

fn put<S: KeyStore>(check: &str, store: &S, entry: &StoredKeyPackage) {
    ok(check, "store", store.store(entry.clone()));
}

fn get<S: KeyStore>(check: &str, store: &S, entry: &StoredKeyPackage) -> Option<StoredKeyPackage> {
    ok(check, "get", store.get(entry.reference()))
}

/// Asserts that `found` is exactly `expected`, byte for byte.
fn assert_same(check: &str, found: Option<StoredKeyPackage>, expected: &StoredKeyPackage) {
    match found {
        Some(found) => {
            assert_describes_its_bundle(check, &found);
            assert_eq!(
                found.reference(),
                expected.reference(),
                "{check}: reference"
            );
            assert_eq!(found.init_key(), expected.init_key(), "{check}: init_key");
            assert_eq!(
                found.not_after(),
                expected.not_after(),
                "{check}: not_after"
            );
            assert_eq!(
                found.last_resort(),
                expected.last_resort(),
                "{check}: last_resort"
            );
            assert!(
                found.bundle().expose() == expected.bundle().expose(),
                "{check}: bundle bytes differ ({} vs {} bytes)",
                found.bundle().len(),
                expected.bundle().len()
            );
        }
        None => panic!("{check}: {:?} is missing", expected.reference()),
    }
}

/// Asserts that the store returned an entry whose fields are its bundle's.
fn assert_describes_its_bundle(check: &str, found: &StoredKeyPackage) {
    match StoredKeyPackage::from_bundle(found.bundle().clone()) {
        Ok(described) => assert!(
            described == *found,
            "{check}: the entry's fields differ from its bundle's header"
        ),
        Err(err) => panic!("{check}: the returned bundle lost its header: {err}"),
    }
}

fn assert_refused(check: &str, result: Result<(), KeyStoreError>, want: &str) {
    match (result, want) {
        (Err(KeyStoreError::DuplicateReference), "reference")
        | (Err(KeyStoreError::DuplicateInitKey), "init_key") => {}
        (other, _) => panic!("{check}: expected a duplicate-{want} refusal, got {other:?}"),
    }
}

fn list<S: KeyStore>(check: &str, store: &S) -> Vec<StoredSummary> {
    ok(check, "list", store.list())
}

fn count<S: KeyStore>(check: &str, store: &S, now: u64) -> StoreCounts {
    ok(check, "count", store.count(now))
}

// ---------------------------------------------------------------------------
// The checks.

/// `store` then `get` returns every field byte for byte, for small, empty
/// and large bundles and the extreme `not_after` values; an unknown
/// reference is `None`; an empty store counts and lists nothing.
pub fn check_store_get_round_trip<S: KeyStore>(store: &S) {
    const C: &str = "store_get_round_trip";
    assert!(list(C, store).is_empty(), "{C}: a new store is not empty");
    assert_eq!(count(C, store, 0), StoreCounts::default(), "{C}: new store");

    let mut entries = EntryGen::new(1);
    let samples = [
        entries.entry(1_000, false),
        entries.entry(0, false),
        entries.entry(u64::MAX, true),
        entries.entry(u64::MAX - 1, false),
        entries.entry(1 << 63, false),
        entries.entry((1 << 63) - 1, false),
        entries.entry_with_bundle(5, false, 0),
        entries.entry_with_bundle(5, false, 256 * 1024),
    ];
    for entry in &samples {
        put(C, store, entry);
    }
    for entry in &samples {
        assert_same(C, get(C, store, entry), entry);
        // A lookup is not a use.
        assert_same(C, get(C, store, entry), entry);
    }
    let unknown = entries.entry(1, false);
    assert!(
        get(C, store, &unknown).is_none(),
        "{C}: unknown reference found"
    );
    assert!(
        ok(C, "take", store.take(unknown.reference())).is_none(),
        "{C}: unknown reference taken"
    );
    assert_eq!(list(C, store).len(), samples.len(), "{C}: list length");
    assert_eq!(count(C, store, 0).total, samples.len(), "{C}: total");
}

/// A second bundle under a stored reference is refused, even with another
/// init key, and the stored one is unchanged; reference is checked first.
pub fn check_duplicate_reference_refused<S: KeyStore>(store: &S) {
    const C: &str = "duplicate_reference_refused";
    let mut entries = EntryGen::new(2);
    let first = entries.entry(100, false);
    put(C, store, &first);

    let other = entries.entry_sharing(Some(first.reference()), None, 200, true);
    assert_refused(C, store.store(other.clone()), "reference");
    // Same reference and same init key: the reference is reported.
    assert_refused(C, store.store(first.clone()), "reference");

    assert_same(C, get(C, store, &first), &first);
    assert_eq!(count(C, store, 0).total, 1, "{C}: total after refusals");
    // The refused entry's init key was not claimed.
    let fresh = entries.entry_sharing(None, Some(other.init_key()), 300, false);
    put(C, store, &fresh);
    assert_same(C, get(C, store, &fresh), &fresh);
}

/// A second bundle with a stored init key is refused (RFC 9420 §10); the
/// refused reference is not stored; once the holder is gone, the init key
/// can be used again.
pub fn check_duplicate_init_key_refused<S: KeyStore>(store: &S) {
    const C: &str = "duplicate_init_key_refused";
    let mut entries = EntryGen::new(3);
    let first = entries.entry(100, false);
    let last_resort = entries.entry(100, true);
    put(C, store, &first);
    put(C, store, &last_resort);

    for holder in [&first, &last_resort] {
        let clash = entries.entry_sharing(None, Some(holder.init_key()), 200, false);
        assert_refused(C, store.store(clash.clone()), "init_key");
        assert!(get(C, store, &clash).is_none(), "{C}: refused entry stored");
        assert_same(C, get(C, store, holder), holder);
    }
    assert_eq!(count(C, store, 0).total, 2, "{C}: total after refusals");

    assert!(
        ok(C, "delete", store.delete(first.reference())),
        "{C}: delete"
    );
    let reuse = entries.entry_sharing(None, Some(first.init_key()), 200, false);
    put(C, store, &reuse);
    assert_same(C, get(C, store, &reuse), &reuse);
}

/// `store_many` stores a whole batch, each entry byte for byte, normal and
/// last-resort alike; an empty batch changes nothing.
pub fn check_store_many<S: KeyStore>(store: &S) {
    const C: &str = "store_many";
    let mut entries = EntryGen::new(30);
    let first = entries.entry(500, false);
    put(C, store, &first);
    ok(C, "store_many(empty)", store.store_many(Vec::new()));
    assert_eq!(count(C, store, 0).total, 1, "{C}: empty batch");
    let batch: Vec<_> = (0..300u64)
        .map(|i| entries.entry(1_000 + i % 7, i % 50 == 0))
        .collect();
    ok(C, "store_many", store.store_many(batch.clone()));
    for entry in batch.iter().chain([&first]) {
        assert_same(C, get(C, store, entry), entry);
    }
    let counts = count(C, store, 0);
    assert_eq!((counts.total, counts.last_resort), (301, 6), "{C}: counts");
    // A batch is used like single entries: one take each.
    for entry in batch.iter().filter(|e| !e.last_resort()).take(5) {
        assert_same(C, ok(C, "take", store.take(entry.reference())), entry);
        assert!(
            ok(C, "take", store.take(entry.reference())).is_none(),
            "{C}"
        );
    }
}

/// Asserts that none of `batch` is stored and the store holds `total`.
fn assert_none_stored<S: KeyStore>(
    check: &str,
    store: &S,
    batch: &[StoredKeyPackage],
    total: usize,
) {
    for entry in batch {
        // (A clash's reference may be held by the stored key package it
        // clashes with: that one is not the batch's.)
        assert!(
            get(check, store, entry).as_ref() != Some(entry),
            "{check}: part of a refused batch was stored"
        );
    }
    assert_eq!(count(check, store, 0).total, total, "{check}: total");
}

/// A batch with two entries sharing a reference, or an init key, is refused
/// with the right error and none of it is stored; without the offender the
/// same batch stores (the refused one claimed nothing).
pub fn check_store_many_duplicate_in_batch<S: KeyStore>(store: &S) {
    const C: &str = "store_many_duplicate_in_batch";
    let mut entries = EntryGen::new(31);
    let kept = entries.entry(10, false);
    put(C, store, &kept);
    for same_reference in [true, false] {
        let mut batch: Vec<_> = (0..20).map(|_| entries.entry(10, false)).collect();
        let model = batch.get(3).expect("20 entries").clone();
        let clash = if same_reference {
            entries.entry_sharing(Some(model.reference()), None, 10, false)
        } else {
            entries.entry_sharing(None, Some(model.init_key()), 10, true)
        };
        batch.insert(15, clash);
        let result = store.store_many(batch.clone());
        assert_refused(
            C,
            result,
            if same_reference {
                "reference"
            } else {
                "init_key"
            },
        );
        assert_none_stored(C, store, &batch, 1);
        batch.remove(15);
        ok(
            C,
            "store_many without the clash",
            store.store_many(batch.clone()),
        );
        for entry in &batch {
            assert_same(C, get(C, store, entry), entry);
        }
        for entry in &batch {
            assert!(ok(C, "delete", store.delete(entry.reference())), "{C}");
        }
    }
    assert_same(C, get(C, store, &kept), &kept);
}

/// A batch one of whose entries clashes with a stored key package (by
/// reference, or by init key, even a reserved one's) is refused and none of
/// it is stored; the stored one is unchanged.
pub fn check_store_many_duplicate_of_stored<S: KeyStore>(store: &S) {
    const C: &str = "store_many_duplicate_of_stored";
    let mut entries = EntryGen::new(32);
    let stored = entries.entry(10, false);
    let reserved = entries.entry(10, false);
    put(C, store, &stored);
    put(C, store, &reserved);
    assert!(
        ok(C, "reserve", store.reserve(reserved.reference(), 3)).is_some(),
        "{C}: reserve"
    );
    let clashes = [
        (
            entries.entry_sharing(Some(stored.reference()), None, 10, false),
            "reference",
        ),
        (
            entries.entry_sharing(None, Some(stored.init_key()), 10, false),
            "init_key",
        ),
        (
            entries.entry_sharing(None, Some(reserved.init_key()), 10, true),
            "init_key",
        ),
    ];
    for (clash, want) in clashes {
        for at in [0, 9, 19] {
            let mut batch: Vec<_> = (0..19).map(|_| entries.entry(10, false)).collect();
            batch.insert(at, clash.clone());
            assert_refused(C, store.store_many(batch.clone()), want);
            assert_none_stored(C, store, &batch, 2);
        }
    }
    assert_same(C, get(C, store, &stored), &stored);
    assert_same(C, get(C, store, &reserved), &reserved);
    assert_eq!(count(C, store, 0).reserved, 1, "{C}: reservation kept");
}

/// `take` returns a normal key package once and removes it in the same step;
/// its reference and init key are free afterwards.
pub fn check_take_once<S: KeyStore>(store: &S) {
    const C: &str = "take_once";
    let mut entries = EntryGen::new(4);
    let spent = entries.entry(100, false);
    let kept = entries.entry(100, false);
    put(C, store, &spent);
    put(C, store, &kept);

    assert_same(C, ok(C, "take", store.take(spent.reference())), &spent);
    assert!(
        ok(C, "take", store.take(spent.reference())).is_none(),
        "{C}: second take"
    );
    assert!(
        get(C, store, &spent).is_none(),
        "{C}: taken entry still stored"
    );
    assert!(
        !ok(C, "delete", store.delete(spent.reference())),
        "{C}: delete after take"
    );
    assert_same(C, get(C, store, &kept), &kept);
    assert_eq!(count(C, store, 0).total, 1, "{C}: total");
    assert!(
        list(C, store)
            .iter()
            .all(|s| s.reference != *spent.reference()),
        "{C}: taken entry listed"
    );

    let reuse = entries.entry_sharing(None, Some(spent.init_key()), 100, false);
    put(C, store, &reuse);
}

/// The one-step path's recovery: an entry taken for a Welcome that failed is
/// put back with `store`, byte-identical, and can be taken again.
pub fn check_take_then_put_back<S: KeyStore>(store: &S) {
    const C: &str = "take_then_put_back";
    let mut entries = EntryGen::new(5);
    let entry = entries.entry(100, false);
    put(C, store, &entry);
    let taken = ok(C, "take", store.take(entry.reference())).expect("take_then_put_back: take");
    ok(C, "put back", store.store(taken));
    assert_same(C, get(C, store, &entry), &entry);
    assert_same(C, ok(C, "take", store.take(entry.reference())), &entry);
}

/// A last-resort key package is handed to every `take` and stays, until it is
/// deleted.
pub fn check_last_resort_stays<S: KeyStore>(store: &S) {
    const C: &str = "last_resort_stays";
    let mut entries = EntryGen::new(6);
    let entry = entries.entry(100, true);
    put(C, store, &entry);
    for _ in 0..5 {
        assert_same(C, ok(C, "take", store.take(entry.reference())), &entry);
    }
    assert_same(C, get(C, store, &entry), &entry);
    let counts = count(C, store, 0);
    assert_eq!((counts.total, counts.last_resort), (1, 1), "{C}: counts");
    assert!(
        ok(C, "delete", store.delete(entry.reference())),
        "{C}: delete"
    );
    assert!(
        ok(C, "take", store.take(entry.reference())).is_none(),
        "{C}: after delete"
    );
}

/// Two-phase join, success: `reserve` hands the key package out once and
/// hides it from `take` and `reserve`; `confirm` erases it.
pub fn check_reserve_confirm<S: KeyStore>(store: &S) {
    const C: &str = "reserve_confirm";
    let mut entries = EntryGen::new(7);
    let entry = entries.entry(100, false);
    put(C, store, &entry);

    assert_same(
        C,
        ok(C, "reserve", store.reserve(entry.reference(), 42)),
        &entry,
    );
    assert!(
        ok(C, "reserve", store.reserve(entry.reference(), 43)).is_none(),
        "{C}: twice"
    );
    assert!(
        ok(C, "take", store.take(entry.reference())).is_none(),
        "{C}: take reserved"
    );
    // Still stored, visible as reserved, and counted as such.
    assert_same(C, get(C, store, &entry), &entry);
    let summaries = list(C, store);
    assert_eq!(summaries.len(), 1, "{C}: list");
    assert_eq!(
        summaries.first().and_then(|s| s.reserved_at),
        Some(42),
        "{C}: reserved_at"
    );
    let counts = count(C, store, 50);
    assert_eq!((counts.unexpired, counts.reserved), (1, 1), "{C}: counts");
    assert_eq!(counts.available(), 0, "{C}: available");
    // A store under the reserved reference or init key is still refused.
    assert_refused(C, store.store(entry.clone()), "reference");

    assert!(
        ok(C, "confirm", store.confirm(entry.reference())),
        "{C}: confirm"
    );
    assert!(
        get(C, store, &entry).is_none(),
        "{C}: confirmed entry still stored"
    );
    assert!(
        !ok(C, "confirm", store.confirm(entry.reference())),
        "{C}: confirm twice"
    );
    assert!(
        !ok(C, "release", store.release(entry.reference())),
        "{C}: release after confirm"
    );
    assert_eq!(count(C, store, 0).total, 0, "{C}: total");
}

/// Two-phase join, the Welcome failed: `release` makes the key package
/// available again, byte-identical.
pub fn check_reserve_release<S: KeyStore>(store: &S) {
    const C: &str = "reserve_release";
    let mut entries = EntryGen::new(8);
    let entry = entries.entry(100, false);
    put(C, store, &entry);

    assert_same(
        C,
        ok(C, "reserve", store.reserve(entry.reference(), 1)),
        &entry,
    );
    assert!(
        ok(C, "release", store.release(entry.reference())),
        "{C}: release"
    );
    assert!(
        !ok(C, "release", store.release(entry.reference())),
        "{C}: release twice"
    );
    let summaries = list(C, store);
    assert_eq!(
        summaries.first().map(|s| s.reserved_at),
        Some(None),
        "{C}: still reserved"
    );
    assert_eq!(count(C, store, 0).available(), 1, "{C}: available");
    assert_same(C, ok(C, "take", store.take(entry.reference())), &entry);
}

/// `confirm` and `release` of an unreserved or unknown key package change
/// nothing.
pub fn check_confirm_needs_reservation<S: KeyStore>(store: &S) {
    const C: &str = "confirm_needs_reservation";
    let mut entries = EntryGen::new(9);
    let entry = entries.entry(100, false);
    let unknown = entries.entry(100, false);
    put(C, store, &entry);
    assert!(
        !ok(C, "confirm", store.confirm(entry.reference())),
        "{C}: confirm"
    );
    assert!(
        !ok(C, "release", store.release(entry.reference())),
        "{C}: release"
    );
    assert!(
        !ok(C, "confirm", store.confirm(unknown.reference())),
        "{C}: unknown"
    );
    assert!(
        !ok(C, "release", store.release(unknown.reference())),
        "{C}: unknown"
    );
    assert_same(C, get(C, store, &entry), &entry);
}

/// `reserve` of a last-resort key package hands it to every caller without a
/// reservation; `confirm` leaves it in place.
pub fn check_last_resort_reserve<S: KeyStore>(store: &S) {
    const C: &str = "last_resort_reserve";
    let mut entries = EntryGen::new(10);
    let entry = entries.entry(100, true);
    put(C, store, &entry);
    for now in 0..3 {
        assert_same(
            C,
            ok(C, "reserve", store.reserve(entry.reference(), now)),
            &entry,
        );
    }
    assert!(
        !ok(C, "confirm", store.confirm(entry.reference())),
        "{C}: confirm"
    );
    assert!(
        !ok(C, "release", store.release(entry.reference())),
        "{C}: release"
    );
    assert_eq!(
        list(C, store).first().map(|s| s.reserved_at),
        Some(None),
        "{C}: reserved"
    );
    let counts = count(C, store, 0);
    assert_eq!((counts.last_resort, counts.reserved), (1, 0), "{C}: counts");
    assert_same(C, ok(C, "take", store.take(entry.reference())), &entry);
}

/// `release_stale` frees the reservations made before the given time (the
/// joins of a process that died), and only those.
pub fn check_release_stale<S: KeyStore>(store: &S) {
    const C: &str = "release_stale";
    let mut entries = EntryGen::new(11);
    let old = entries.entry(1_000, false);
    let recent = entries.entry(1_000, false);
    let free = entries.entry(1_000, false);
    for entry in [&old, &recent, &free] {
        put(C, store, entry);
    }
    assert!(
        ok(C, "reserve", store.reserve(old.reference(), 100)).is_some(),
        "{C}: old"
    );
    assert!(
        ok(C, "reserve", store.reserve(recent.reference(), 200)).is_some(),
        "{C}: recent"
    );

    assert_eq!(
        ok(C, "release_stale", store.release_stale(100)),
        0,
        "{C}: strict bound"
    );
    assert_eq!(
        ok(C, "release_stale", store.release_stale(150)),
        1,
        "{C}: at 150"
    );
    assert_same(C, ok(C, "take", store.take(old.reference())), &old);
    assert!(
        ok(C, "take", store.take(recent.reference())).is_none(),
        "{C}: recent freed"
    );
    assert_eq!(
        ok(C, "release_stale", store.release_stale(u64::MAX)),
        1,
        "{C}: all"
    );
    assert_same(C, ok(C, "take", store.take(recent.reference())), &recent);
    assert_same(C, get(C, store, &free), &free);
}

/// `delete` erases any entry, normal, last-resort or reserved, and reports
/// whether it was stored.
pub fn check_delete<S: KeyStore>(store: &S) {
    const C: &str = "delete";
    let mut entries = EntryGen::new(12);
    let normal = entries.entry(100, false);
    let last_resort = entries.entry(100, true);
    let reserved = entries.entry(100, false);
    let kept = entries.entry(100, false);
    for entry in [&normal, &last_resort, &reserved, &kept] {
        put(C, store, entry);
    }
    assert!(
        ok(C, "reserve", store.reserve(reserved.reference(), 1)).is_some(),
        "{C}: reserve"
    );
    for entry in [&normal, &last_resort, &reserved] {
        assert!(
            ok(C, "delete", store.delete(entry.reference())),
            "{C}: delete"
        );
        assert!(get(C, store, entry).is_none(), "{C}: deleted entry found");
        assert!(
            !ok(C, "delete", store.delete(entry.reference())),
            "{C}: delete twice"
        );
    }
    assert!(
        !ok(C, "confirm", store.confirm(reserved.reference())),
        "{C}: confirm deleted"
    );
    assert_same(C, get(C, store, &kept), &kept);
    assert_eq!(count(C, store, 0).total, 1, "{C}: total");
}

/// `list` reports every entry once, ordered by `not_after` then reference,
/// with the right flags.
pub fn check_list_order<S: KeyStore>(store: &S) {
    const C: &str = "list_order";
    let mut entries = EntryGen::new(13);
    let mut expected = BTreeMap::new();
    for i in 0..60u64 {
        // Few distinct times, so equal `not_after` values are ordered by reference.
        let not_after = match i % 5 {
            0 => 0,
            1 => u64::MAX,
            other => entries.below(4) * 1_000 + other,
        };
        let entry = entries.entry(not_after, i % 7 == 0);
        put(C, store, &entry);
        expected.insert(
            (entry.not_after(), entry.reference().as_slice().to_vec()),
            entry.last_resort(),
        );
    }
    let listed = list(C, store);
    let got: Vec<_> = listed
        .iter()
        .map(|s| {
            (
                (s.not_after, s.reference.as_slice().to_vec()),
                s.last_resort,
            )
        })
        .collect();
    let want: Vec<_> = expected.into_iter().collect();
    assert_eq!(got, want, "{C}: order or flags");
    assert!(
        listed.iter().all(|s| s.reserved_at.is_none()),
        "{C}: reserved"
    );
}

/// `count` follows the injected `now`: `not_after` is inclusive, last-resort
/// and reserved key packages are counted apart, the system clock plays no
/// part.
pub fn check_count_with_injected_now<S: KeyStore>(store: &S) {
    const C: &str = "count_with_injected_now";
    let mut entries = EntryGen::new(14);
    let normal_10 = entries.entry(10, false);
    let normal_20 = entries.entry(20, false);
    let last_resort_20 = entries.entry(20, true);
    let reserved_30 = entries.entry(30, false);
    let forever = entries.entry(u64::MAX, false);
    for entry in [
        &normal_10,
        &normal_20,
        &last_resort_20,
        &reserved_30,
        &forever,
    ] {
        put(C, store, entry);
    }
    assert!(
        ok(C, "reserve", store.reserve(reserved_30.reference(), 5)).is_some(),
        "{C}"
    );

    let at = |now| count(C, store, now);
    let counts = |total, unexpired, last_resort, reserved| StoreCounts {
        total,
        unexpired,
        last_resort,
        reserved,
    };
    assert_eq!(at(0), counts(5, 5, 1, 1), "{C}: now = 0");
    assert_eq!(
        at(10),
        counts(5, 5, 1, 1),
        "{C}: now = not_after is unexpired"
    );
    assert_eq!(at(11), counts(5, 4, 1, 1), "{C}: now = 11");
    assert_eq!(at(20), counts(5, 4, 1, 1), "{C}: now = 20");
    assert_eq!(at(21), counts(5, 2, 0, 1), "{C}: now = 21");
    assert_eq!(at(31), counts(5, 1, 0, 0), "{C}: now = 31");
    assert_eq!(at(u64::MAX), counts(5, 1, 0, 0), "{C}: now = max");
    assert_eq!(at(0).available(), 3, "{C}: available at 0");
    assert_eq!(at(21).available(), 1, "{C}: available at 21");
}

/// `delete_expired` removes exactly the unreserved entries with
/// `not_after < now`, last-resort ones included, and reports how many.
pub fn check_delete_expired<S: KeyStore>(store: &S) {
    const C: &str = "delete_expired";
    let mut entries = EntryGen::new(15);
    let at_10 = entries.entry(10, false);
    let at_20 = entries.entry(20, false);
    let last_resort_15 = entries.entry(15, true);
    let reserved_5 = entries.entry(5, false);
    let forever = entries.entry(u64::MAX, false);
    for entry in [&at_10, &at_20, &last_resort_15, &reserved_5, &forever] {
        put(C, store, entry);
    }
    assert!(
        ok(C, "reserve", store.reserve(reserved_5.reference(), 1)).is_some(),
        "{C}"
    );

    assert_eq!(
        ok(C, "delete_expired", store.delete_expired(0)),
        0,
        "{C}: at 0"
    );
    assert_eq!(
        ok(C, "delete_expired", store.delete_expired(10)),
        0,
        "{C}: inclusive"
    );
    assert_eq!(
        ok(C, "delete_expired", store.delete_expired(11)),
        1,
        "{C}: at 11"
    );
    assert!(get(C, store, &at_10).is_none(), "{C}: expired entry kept");
    assert_same(C, get(C, store, &reserved_5), &reserved_5);
    assert_eq!(
        ok(C, "delete_expired", store.delete_expired(21)),
        2,
        "{C}: at 21"
    );
    assert_eq!(
        ok(C, "delete_expired", store.delete_expired(21)),
        0,
        "{C}: again"
    );
    // The reserved one goes once its join gave it back.
    assert!(
        ok(C, "release", store.release(reserved_5.reference())),
        "{C}: release"
    );
    assert_eq!(
        ok(C, "delete_expired", store.delete_expired(u64::MAX)),
        1,
        "{C}: max"
    );
    let left = list(C, store);
    assert_eq!(left.len(), 1, "{C}: left");
    assert_same(C, get(C, store, &forever), &forever);
}

/// [`THREADS`] threads race to take the same [`RACE_REFS`] key packages: each
/// is taken exactly once, byte-identical; a last-resort key package taken
/// along the way is returned to every taker every time.
pub fn check_concurrent_take<S: KeyStore>(store: &S) {
    const C: &str = "concurrent_take";
    let mut entries = EntryGen::new(16);
    let race: Vec<StoredKeyPackage> = (0..RACE_REFS).map(|_| entries.entry(100, false)).collect();
    let last_resort = entries.entry(100, true);
    for entry in race.iter().chain([&last_resort]) {
        put(C, store, entry);
    }

    let barrier = Barrier::new(THREADS);
    let results: Vec<(Vec<usize>, usize)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (barrier, race, last_resort) = (&barrier, &race, &last_resort);
                scope.spawn(move || {
                    barrier.wait();
                    let mut won = Vec::new();
                    let mut last_resort_takes = 0;
                    for step in 0..RACE_REFS {
                        // Half the threads walk forwards, half backwards, so
                        // every reference is contended from both sides.
                        let i = if t % 2 == 0 {
                            step
                        } else {
                            RACE_REFS - 1 - step
                        };
                        let entry = race.get(i).expect("index in range");
                        if let Some(taken) = ok(C, "take", store.take(entry.reference())) {
                            assert_same(C, Some(taken), entry);
                            won.push(i);
                        }
                        if step % 50 == t {
                            let again =
                                ok(C, "take last resort", store.take(last_resort.reference()));
                            assert_same(C, again, last_resort);
                            last_resort_takes += 1;
                        }
                    }
                    (won, last_resort_takes)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| panic!("{C}: a thread panicked"))
            })
            .collect()
    });

    let mut times_taken = vec![0usize; RACE_REFS];
    for (won, last_resort_takes) in &results {
        assert_eq!(*last_resort_takes, RACE_REFS / 50, "{C}: last-resort takes");
        for &i in won {
            if let Some(n) = times_taken.get_mut(i) {
                *n += 1;
            }
        }
    }
    let wrong: Vec<_> = times_taken
        .iter()
        .enumerate()
        .filter(|(_, n)| **n != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "{C}: (index, times taken) not exactly once: {wrong:?}"
    );
    let counts = count(C, store, 0);
    assert_eq!(
        (counts.total, counts.last_resort),
        (1, 1),
        "{C}: what is left"
    );
    assert_same(C, get(C, store, &last_resort), &last_resort);
}

/// Threads racing with `take` and `reserve` over the same key packages: each
/// is handed out exactly once across both calls; confirming the reserved
/// ones empties the store.
pub fn check_concurrent_take_and_reserve<S: KeyStore>(store: &S) {
    const C: &str = "concurrent_take_and_reserve";
    const REFS: usize = 200;
    let mut entries = EntryGen::new(17);
    let race: Vec<StoredKeyPackage> = (0..REFS).map(|_| entries.entry(100, false)).collect();
    for entry in &race {
        put(C, store, entry);
    }
    let barrier = Barrier::new(THREADS);
    let results: Vec<Vec<(usize, bool)>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (barrier, race) = (&barrier, &race);
                scope.spawn(move || {
                    barrier.wait();
                    let mut won = Vec::new();
                    for (i, entry) in race.iter().enumerate() {
                        let reserving = t % 2 == 1;
                        let got = if reserving {
                            ok(C, "reserve", store.reserve(entry.reference(), 7))
                        } else {
                            ok(C, "take", store.take(entry.reference()))
                        };
                        if let Some(got) = got {
                            assert_same(C, Some(got), entry);
                            won.push((i, reserving));
                        }
                    }
                    won
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| panic!("{C}: a thread panicked"))
            })
            .collect()
    });

    let mut times = vec![0usize; REFS];
    let mut reserved = Vec::new();
    for (i, was_reserve) in results.into_iter().flatten() {
        if let Some(n) = times.get_mut(i) {
            *n += 1;
        }
        if was_reserve {
            reserved.push(i);
        }
    }
    assert!(
        times.iter().all(|n| *n == 1),
        "{C}: not exactly once: {times:?}"
    );
    assert_eq!(
        count(C, store, 0).reserved,
        reserved.len(),
        "{C}: reserved count"
    );
    for i in reserved {
        let entry = race.get(i).expect("index in range");
        assert!(
            ok(C, "confirm", store.confirm(entry.reference())),
            "{C}: confirm"
        );
    }
    assert_eq!(count(C, store, 0).total, 0, "{C}: store not empty");
}

/// Threads racing to store entries that share a reference, or an init key:
/// exactly one of each group is stored, the others are refused with the
/// right error.
pub fn check_concurrent_duplicates<S: KeyStore>(store: &S) {
    const C: &str = "concurrent_duplicates";
    let mut entries = EntryGen::new(18);
    let rounds = 20;
    for round in 0..rounds {
        let base = entries.entry(100, false);
        // Even rounds: same reference, distinct init keys; odd: the reverse.
        let same_reference = round % 2 == 0;
        let group: Vec<StoredKeyPackage> = (0..THREADS)
            .map(|_| {
                if same_reference {
                    entries.entry_sharing(Some(base.reference()), None, 100, false)
                } else {
                    entries.entry_sharing(None, Some(base.init_key()), 100, false)
                }
            })
            .collect();
        let barrier = Barrier::new(THREADS);
        let outcomes: Vec<(usize, Result<(), KeyStoreError>)> = thread::scope(|scope| {
            let handles: Vec<_> = group
                .iter()
                .enumerate()
                .map(|(i, entry)| {
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        (i, store.store(entry.clone()))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| panic!("{C}: a thread panicked"))
                })
                .collect()
        });
        let mut winners = Vec::new();
        for (i, outcome) in outcomes {
            match outcome {
                Ok(()) => winners.push(i),
                Err(KeyStoreError::DuplicateReference) if same_reference => {}
                Err(KeyStoreError::DuplicateInitKey) if !same_reference => {}
                Err(other) => panic!("{C}: round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "{C}: round {round}: winners {winners:?}");
        let winner = winners
            .first()
            .and_then(|i| group.get(*i))
            .expect("one winner");
        assert_same(C, get(C, store, winner), winner);
    }
    assert_eq!(count(C, store, 0).total, rounds, "{C}: total");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_gen_is_deterministic_and_varied() {
        let (mut a, mut b) = (EntryGen::new(9), EntryGen::new(9));
        let (x, y) = (a.entry(1, false), b.entry(1, false));
        assert_eq!(x, y);
        let z = a.entry(1, false);
        assert_ne!(x.reference(), z.reference());
        assert_ne!(x.init_key(), z.init_key());
        assert_eq!(a.bytes(13).len(), 13);
        assert_eq!(a.below(0), 0);
        assert!(a.below(3) < 3);
    }
}
