//! The key-package store trait: where the private keys behind published key
//! packages wait for their Welcome.

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
    /// The encoded `KeyPackageBundle` (versioned; see keypackage-core).
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
}

/// What [`KeyStore::count`] reports.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StoreCounts {
    /// Every stored key package.
    pub total: usize,
    /// Those with `now <= not_after`.
    pub unexpired: usize,
    /// Unexpired last-resort key packages.
    pub last_resort: usize,
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
/// Semantics every implementation keeps, and the generic test suite checks:
///
/// * [`store`](KeyStore::store) is durable when it returns `Ok`: from then on
///   the bundle survives a crash until it is taken or deleted. It refuses a
///   second bundle with the same reference or the same init key.
/// * [`take`](KeyStore::take) is the call for a join: it returns the bundle and,
///   in the same atomic step, removes it, unless it is a last-resort one,
///   which stays. Two concurrent takes of a normal key package never both
///   get it.
/// * [`delete`](KeyStore::delete) erases: the bundle is gone, and its bytes are
///   zeroized in memory (a disk-backed store overwrites where it can).
/// * The clock is an input: expiry uses the `now` given, never the system time.
pub trait KeyStore: Send + Sync {
    /// Stores a bundle under its reference.
    fn store(&self, entry: StoredKeyPackage) -> Result<(), KeyStoreError>;

    /// Looks a bundle up without removing it.
    fn get(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError>;

    /// Takes a bundle for a join: removes it atomically unless it is a
    /// last-resort one. `None` if it is not (or no longer) stored.
    fn take(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError>;

    /// Deletes a bundle, last-resort or not. Returns whether it was stored.
    fn delete(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError>;

    /// Lists every stored key package, ordered by `not_after` then reference.
    fn list(&self) -> Result<Vec<StoredSummary>, KeyStoreError>;

    /// Counts the stored key packages, and those unexpired at `now`.
    fn count(&self, now: u64) -> Result<StoreCounts, KeyStoreError>;

    /// Deletes every bundle with `not_after < now`; returns how many.
    fn delete_expired(&self, now: u64) -> Result<usize, KeyStoreError>;
}
