//! The key-package store trait: where the private keys behind published key
//! packages wait for their Welcome.
//!
//! A client publishes key packages (RFC 9420 §10) and must keep the private
//! half of each, the `init_key`'s private key and the leaf's encryption key,
//! until a Welcome (RFC 9420 §12.4.3) that uses it arrives. Then the key
//! package is spent: a normal one is used once and erased, a last-resort one
//! stays for later joins (RFC 9420 §16.8).
//!
//! # Life of a stored key package
//!
//! ```text
//!            store                reserve(now)              confirm
//!   (new) ─────────▶ available ──────────────▶ reserved ─────────────▶ (erased)
//!                      │   ▲                      │
//!                      │   └──────── release ─────┘
//!                      │             release_stale
//!                      └──── take ──────────────────────────────────▶ (erased)
//! ```
//!
//! A last-resort key package never leaves `available`: `take` and `reserve`
//! hand out a copy and keep it, `confirm` leaves it in place, and only
//! [`delete`](KeyStore::delete) or [`delete_expired`](KeyStore::delete_expired)
//! remove it.
//!
//! # A Welcome that later fails
//!
//! Processing a Welcome can fail after the private keys were needed (a bad
//! GroupInfo signature, a missing PSK, a tree that does not validate). The key
//! package must then stay usable for the next, valid Welcome. Two paths:
//!
//! * Two-phase (recommended): [`reserve`](KeyStore::reserve) the key package,
//!   process the Welcome, then [`confirm`](KeyStore::confirm) on success or
//!   [`release`](KeyStore::release) on failure. A reservation is durable, so a
//!   process that crashes mid-join loses nothing: at its next start it calls
//!   [`release_stale`](KeyStore::release_stale) and the key package is
//!   available again. While reserved, no other `take` or `reserve` gets it.
//! * One-step: [`take`](KeyStore::take) removes it at once; on failure the
//!   caller puts the returned entry back with [`store`](KeyStore::store) (its
//!   reference and init key are free again, so this succeeds). A crash between
//!   the two loses the key package, which is why the two-phase path exists.

use std::fmt;

use crate::keys::{HpkePublicKey, KeyPackageRef, Secret};

/// One stored key package: its reference, what the store needs to index it,
/// and the encoded bundle (which holds private keys, hence a [`Secret`]).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKeyPackage {
    /// `KeyPackageRef` of the key package (RFC 9420 §5.2); the primary key.
    pub reference: KeyPackageRef,
    /// The key package's `init_key`; unique among a client's key packages
    /// (RFC 9420 §10).
    pub init_key: HpkePublicKey,
    /// `lifetime.not_after` in seconds since the Unix epoch.
    pub not_after: u64,
    /// Whether the key package is a last-resort one, which may be used for
    /// any number of joins.
    pub last_resort: bool,
    /// The encoded `KeyPackageBundle` (versioned; see keypackage-core). The
    /// store keeps these bytes as they are and returns them byte for byte.
    pub bundle: Secret,
}

impl fmt::Debug for StoredKeyPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKeyPackage")
            .field("reference", &self.reference)
            .field("not_after", &self.not_after)
            .field("last_resort", &self.last_resort)
            .field("bundle", &self.bundle)
            .finish_non_exhaustive()
    }
}

/// What [`KeyStore::list`] reports of a stored key package (no secrets).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredSummary {
    /// The reference.
    pub reference: KeyPackageRef,
    /// `lifetime.not_after`.
    pub not_after: u64,
    /// Whether it is a last-resort key package.
    pub last_resort: bool,
    /// When it was reserved for a join (the `now` given to
    /// [`KeyStore::reserve`]), or `None` when it is available.
    pub reserved_at: Option<u64>,
}

/// What [`KeyStore::count`] reports for a given `now`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StoreCounts {
    /// Every stored key package, expired and reserved ones included.
    pub total: usize,
    /// Those with `now <= not_after` (RFC 9420 §7.2: the lifetime's end is
    /// inclusive), reserved or not, last-resort or not.
    pub unexpired: usize,
    /// Unexpired last-resort key packages.
    pub last_resort: usize,
    /// Unexpired key packages that are reserved for a join in progress.
    pub reserved: usize,
}

impl StoreCounts {
    /// Unexpired, normal (not last-resort), unreserved key packages: the ones
    /// a new join can still spend, and what a pool keeps topped up.
    pub fn available(&self) -> usize {
        self.unexpired
            .saturating_sub(self.last_resort)
            .saturating_sub(self.reserved)
    }
}

/// Errors of a key store. Each variant says whose fault it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// A key package with this reference is already stored (caller).
    #[error("a key package with this reference is already stored")]
    DuplicateReference,
    /// Another stored key package has the same init key (caller; RFC 9420 §10
    /// requires init keys to be unique among a client's key packages).
    #[error("another stored key package has the same init_key")]
    DuplicateInitKey,
    /// The storage layer failed (environment: disk, permissions, lock).
    #[error("storage failed: {0}")]
    Storage(String),
    /// Stored data is not what this version wrote (environment or tampering).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// A store for key-package bundles.
///
/// Semantics every implementation keeps, and the generic test suite
/// (`conformance::key_store`, feature `conformance`) checks:
///
/// * Atomic and durable: every method that changes the store does so
///   completely or not at all, and when it returns `Ok` the change survives a
///   crash (a disk-backed store: a power loss too). A method that returns an
///   error has changed nothing; in particular a store error never loses a key
///   package the store had acknowledged.
/// * [`store`](KeyStore::store) refuses a second bundle with the same
///   reference ([`KeyStoreError::DuplicateReference`]) or the same init key
///   ([`KeyStoreError::DuplicateInitKey`], RFC 9420 §10), checked in that order.
/// * [`take`](KeyStore::take) and [`reserve`](KeyStore::reserve) are the calls
///   for a join. For a normal key package they are exclusive: of any number
///   of concurrent calls, across threads and (for a shared database)
///   processes, at most one gets it. A last-resort key package is handed to
///   every caller and stays. Neither looks at the lifetime: a Welcome may
///   legitimately arrive after `not_after` for a key package fetched before.
/// * Erasure: what `take`, `confirm`, `delete` and `delete_expired` remove is
///   gone; in-memory copies are zeroized, a disk-backed store overwrites the
///   bytes where it can.
/// * The clock is an input: expiry and reservation times use the `now` given,
///   never the system time.
///
/// See the [module documentation](self) for the life of an entry and for
/// handling a Welcome that fails.
pub trait KeyStore: Send + Sync {
    /// Stores a bundle under its reference, available for a join.
    fn store(&self, entry: StoredKeyPackage) -> Result<(), KeyStoreError>;

    /// Looks a bundle up without removing or reserving it; a reserved one is
    /// returned too.
    fn get(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError>;

    /// Takes a bundle for a join, in one step: a normal key package is
    /// removed in the same atomic step, a last-resort one stays. `None` if it
    /// is not stored, or is reserved by a join in progress.
    fn take(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError>;

    /// First phase of a two-phase join: marks a normal key package as
    /// reserved at `now` and returns it; from then on `take` and `reserve`
    /// return `None` for it until it is released. A last-resort one is
    /// returned without a reservation. `None` if it is not stored or already
    /// reserved.
    fn reserve(
        &self,
        reference: &KeyPackageRef,
        now: u64,
    ) -> Result<Option<StoredKeyPackage>, KeyStoreError>;

    /// Second phase, the Welcome was processed: erases a reserved key
    /// package. Returns whether one was erased; an unreserved or last-resort
    /// key package is left as it is (`false`).
    fn confirm(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError>;

    /// Second phase, the Welcome failed: makes a reserved key package
    /// available again. Returns whether it was reserved.
    fn release(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError>;

    /// Releases every reservation made before `reserved_before` (`u64::MAX`:
    /// all), for joins that will never finish because their process died.
    /// Call it when no join of that age can still be in progress, e.g. at
    /// start-up. Returns how many were released.
    fn release_stale(&self, reserved_before: u64) -> Result<usize, KeyStoreError>;

    /// Deletes a bundle, last-resort or reserved or not. Returns whether it
    /// was stored.
    fn delete(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError>;

    /// Lists every stored key package, ordered by `not_after`, then by
    /// reference (bytewise).
    fn list(&self) -> Result<Vec<StoredSummary>, KeyStoreError>;

    /// Counts the stored key packages, and those unexpired at `now`.
    fn count(&self, now: u64) -> Result<StoreCounts, KeyStoreError>;

    /// Deletes every bundle with `not_after < now` that is not reserved (a
    /// join in progress finishes first); returns how many.
    fn delete_expired(&self, now: u64) -> Result<usize, KeyStoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_excludes_last_resort_and_reserved() {
        let counts = StoreCounts {
            total: 10,
            unexpired: 8,
            last_resort: 1,
            reserved: 2,
        };
        assert_eq!(counts.available(), 5);
        assert_eq!(StoreCounts::default().available(), 0);
    }

    #[test]
    fn debug_redacts_the_bundle() {
        let entry = StoredKeyPackage {
            reference: KeyPackageRef::new(vec![1]),
            init_key: HpkePublicKey::new(vec![2]),
            not_after: 3,
            last_resort: false,
            bundle: Secret::new(vec![0xAB; 8]),
        };
        let text = format!("{entry:?}");
        assert!(text.contains("redacted"), "{text}");
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(!text.contains("171"), "{text}");
    }
}
