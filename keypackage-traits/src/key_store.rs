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

use crate::codec::{read_prefixed, write_varint};
use crate::keys::{HpkePublicKey, KeyPackageRef, Secret};

/// The format tag of a bundle encoding that starts with a [`BundleHeader`]
/// (keypackage-core's bundle format 2). Format 1, written before the header
/// existed, has no header.
pub const BUNDLE_FORMAT_WITH_HEADER: u16 = 2;

/// What a bundle says about itself, in front of its key package: every
/// field a store keeps beside the bundle. keypackage-core writes it
/// (`KeyPackageBundle::encode`) and refuses, when it reads the bundle back, a
/// header that does not describe the key package behind it.
///
/// ```text
/// struct {
///     uint16 format = 2;
///     opaque reference<V>;    // KeyPackageRef (RFC 9420 §5.2)
///     opaque init_key<V>;     // KeyPackage.init_key (RFC 9420 §10)
///     uint64 not_after;       // lifetime.not_after (RFC 9420 §7.2)
///     uint8 last_resort;      // 0 or 1
///     ...                     // the key package and private keys (core)
/// } KeyPackageBundleV2;
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BundleHeader {
    /// `KeyPackageRef` of the key package.
    pub reference: KeyPackageRef,
    /// The key package's `init_key`.
    pub init_key: HpkePublicKey,
    /// `lifetime.not_after`, seconds since the Unix epoch.
    pub not_after: u64,
    /// Whether the key package carries the last-resort marker.
    pub last_resort: bool,
}

impl BundleHeader {
    /// Appends the header, format tag first, to `out`.
    ///
    /// # Errors
    ///
    /// [`KeyStoreError::InvalidEntry`] for a field longer than a varint can
    /// express (2^30 - 1 bytes).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), KeyStoreError> {
        out.extend_from_slice(&BUNDLE_FORMAT_WITH_HEADER.to_be_bytes());
        for field in [self.reference.as_slice(), self.init_key.as_slice()] {
            write_varint(field.len(), out)
                .map_err(|e| KeyStoreError::InvalidEntry(format!("bundle header: {e:?}")))?;
            out.extend_from_slice(field);
        }
        out.extend_from_slice(&self.not_after.to_be_bytes());
        out.push(u8::from(self.last_resort));
        Ok(())
    }

    /// Reads the header at the front of `bytes`; returns it and the rest
    /// (the key package and private keys). `Ok(None)` when the format tag is
    /// not [`BUNDLE_FORMAT_WITH_HEADER`] (a format-1 bundle, or not a bundle).
    ///
    /// # Errors
    ///
    /// [`KeyStoreError::InvalidEntry`] when the tag says format 2 but the
    /// header is cut short, has a non-minimal length, or a flag other than
    /// 0 or 1.
    pub fn parse(bytes: &[u8]) -> Result<Option<(Self, &[u8])>, KeyStoreError> {
        let invalid = |what: &str| KeyStoreError::InvalidEntry(format!("bundle header: {what}"));
        match bytes.get(..2) {
            Some(tag) if tag == BUNDLE_FORMAT_WITH_HEADER.to_be_bytes() => {}
            _ => return Ok(None),
        }
        let rest = bytes.get(2..).unwrap_or_default();
        let (reference, rest) = read_prefixed(rest).map_err(|_| invalid("reference"))?;
        let (init_key, rest) = read_prefixed(rest).map_err(|_| invalid("init_key"))?;
        let (not_after, rest) = rest
            .split_first_chunk::<8>()
            .ok_or_else(|| invalid("not_after"))?;
        let (flag, rest) = rest.split_first().ok_or_else(|| invalid("last_resort"))?;
        let last_resort = match flag {
            0 => false,
            1 => true,
            _ => return Err(invalid("last_resort is neither 0 nor 1")),
        };
        Ok(Some((
            Self {
                reference: KeyPackageRef::new(reference.to_vec()),
                init_key: HpkePublicKey::new(init_key.to_vec()),
                not_after: u64::from_be_bytes(*not_after),
                last_resort,
            },
            rest,
        )))
    }
}

/// One stored key package: its reference, what the store needs to index it,
/// and the encoded bundle (which holds private keys, hence a [`Secret`]).
///
/// The fields are read through getters and cannot be set: a new entry is
/// made from its bundle alone ([`from_bundle`](Self::from_bundle), which
/// `KeyPackageBundle::to_stored` in keypackage-core calls), so the reference,
/// init key, expiry and last-resort flag a store keeps are the ones the
/// bundle carries, and keypackage-core checks those against the key package
/// itself whenever the bundle is read back. A normal key package cannot be
/// stored as a last-resort one, nor under another's reference or init key:
///
/// ```compile_fail,E0451
/// # use keypackage_traits::{HpkePublicKey, KeyPackageRef, Secret, StoredKeyPackage};
/// let entry = StoredKeyPackage {
///     reference: KeyPackageRef::new(vec![1; 32]),
///     init_key: HpkePublicKey::new(vec![2; 32]),
///     not_after: 0,
///     last_resort: true,
///     bundle: Secret::new(vec![]),
/// };
/// ```
///
/// ```compile_fail,E0616
/// # use keypackage_traits::{Secret, StoredKeyPackage};
/// # fn flag(mut entry: StoredKeyPackage) {
/// entry.last_resort = true;
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKeyPackage {
    reference: KeyPackageRef,
    init_key: HpkePublicKey,
    not_after: u64,
    last_resort: bool,
    bundle: Secret,
}

impl StoredKeyPackage {
    /// The entry for an encoded bundle: every field comes from the bundle's
    /// [`BundleHeader`].
    ///
    /// # Errors
    ///
    /// [`KeyStoreError::InvalidEntry`] when the bundle does not start with a
    /// valid header (format 2).
    pub fn from_bundle(bundle: Secret) -> Result<Self, KeyStoreError> {
        let Some((header, _)) = BundleHeader::parse(bundle.expose())? else {
            return Err(KeyStoreError::InvalidEntry(
                "the bundle has no header (format 2): re-encode it with keypackage-core".into(),
            ));
        };
        Ok(Self {
            reference: header.reference,
            init_key: header.init_key,
            not_after: header.not_after,
            last_resort: header.last_resort,
            bundle,
        })
    }

    /// An entry a store reads back from the columns it wrote from an
    /// entry's getters. For a bundle with a header, every field must equal
    /// the header's, else [`KeyStoreError::Corrupt`]: a row cannot describe
    /// another bundle. A bundle without one (format 1, written before the
    /// header existed) is taken as the store kept it; keypackage-core's
    /// `KeyPackageBundle::from_stored` checks such a row against its key
    /// package before it hands out a private key. Not for new entries: use
    /// [`from_bundle`](Self::from_bundle).
    ///
    /// # Errors
    ///
    /// [`KeyStoreError::Corrupt`] as above, or for a format-2 tag in front of
    /// a header that does not parse.
    pub fn from_store_row(
        reference: KeyPackageRef,
        init_key: HpkePublicKey,
        not_after: u64,
        last_resort: bool,
        bundle: Secret,
    ) -> Result<Self, KeyStoreError> {
        let header = BundleHeader::parse(bundle.expose())
            .map_err(|e| KeyStoreError::Corrupt(format!("stored bundle: {e}")))?;
        if let Some((header, _)) = header {
            let row = BundleHeader {
                reference,
                init_key,
                not_after,
                last_resort,
            };
            if row != header {
                return Err(KeyStoreError::Corrupt(format!(
                    "the row of {:?} does not describe its bundle",
                    row.reference
                )));
            }
            return Self::from_bundle(bundle);
        }
        Ok(Self {
            reference,
            init_key,
            not_after,
            last_resort,
            bundle,
        })
    }

    /// `KeyPackageRef` of the key package (RFC 9420 §5.2); the primary key.
    pub fn reference(&self) -> &KeyPackageRef {
        &self.reference
    }

    /// The key package's `init_key`; unique among a client's key packages
    /// (RFC 9420 §10).
    pub fn init_key(&self) -> &HpkePublicKey {
        &self.init_key
    }

    /// `lifetime.not_after` in seconds since the Unix epoch.
    pub fn not_after(&self) -> u64 {
        self.not_after
    }

    /// Whether the key package is a last-resort one, which may be used for
    /// any number of joins.
    pub fn last_resort(&self) -> bool {
        self.last_resort
    }

    /// The encoded `KeyPackageBundle` (versioned; see keypackage-core). A
    /// store keeps these bytes as they are and returns them byte for byte.
    pub fn bundle(&self) -> &Secret {
        &self.bundle
    }

    /// The encoded bundle, by value.
    pub fn into_bundle(self) -> Secret {
        self.bundle
    }
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
    /// The entry cannot be stored as given: its bundle has no valid header
    /// (caller).
    #[error("invalid key-store entry: {0}")]
    InvalidEntry(String),
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
///   gone when the call returns `Ok`: in-memory copies are zeroized, and a
///   disk-backed store leaves no copy in its files (the SQLite store: neither
///   in the database nor in its journal). A call that cannot erase fails and
///   changes nothing.
/// * [`store_many`](KeyStore::store_many) is all or nothing, like `store`.
/// * The clock is an input: expiry and reservation times use the `now` given,
///   never the system time.
///
/// See the [module documentation](self) for the life of an entry and for
/// handling a Welcome that fails.
pub trait KeyStore: Send + Sync {
    /// Stores a bundle under its reference, available for a join.
    fn store(&self, entry: StoredKeyPackage) -> Result<(), KeyStoreError>;

    /// Stores many bundles, all or nothing: the entries are taken in order,
    /// each checked like [`store`](Self::store) against the stored ones and
    /// the earlier entries of the batch; the first refusal is returned and
    /// then none of the batch is stored. When it returns `Ok`, every entry
    /// is stored durably. An empty batch does nothing.
    ///
    /// The default stores the entries one by one and, on a refusal or error,
    /// deletes the ones it stored: all or nothing as far as errors go, but
    /// not across a crash, and not atomic to a concurrent reader. A store
    /// that can write the batch in one transaction overrides it (both stores
    /// of this workspace do); that is what makes it fast.
    fn store_many(&self, entries: Vec<StoredKeyPackage>) -> Result<(), KeyStoreError> {
        let mut stored: Vec<KeyPackageRef> = Vec::with_capacity(entries.len());
        for entry in entries {
            let reference = entry.reference().clone();
            if let Err(err) = self.store(entry) {
                for reference in stored.iter().rev() {
                    // Best effort: the error being reported is the refusal.
                    let _ = self.delete(reference);
                }
                return Err(err);
            }
            stored.push(reference);
        }
        Ok(())
    }

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

    fn header(not_after: u64, last_resort: bool) -> BundleHeader {
        BundleHeader {
            reference: KeyPackageRef::new(vec![1; 32]),
            init_key: HpkePublicKey::new(vec![2; 32]),
            not_after,
            last_resort,
        }
    }

    #[test]
    fn header_layout_is_the_documented_one() {
        let mut bytes = Vec::new();
        header(0x0102_0304_0506_0708, true)
            .encode(&mut bytes)
            .unwrap();
        bytes.extend_from_slice(b"rest");
        // Written out by hand from the struct in BundleHeader's docs.
        let mut want = vec![0x00, 0x02, 32];
        want.extend_from_slice(&[1; 32]);
        want.push(32);
        want.extend_from_slice(&[2; 32]);
        want.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 1]);
        want.extend_from_slice(b"rest");
        assert_eq!(bytes, want);
        let (parsed, rest) = BundleHeader::parse(&bytes).unwrap().unwrap();
        assert_eq!(parsed, header(0x0102_0304_0506_0708, true));
        assert_eq!(rest, b"rest");
    }

    #[test]
    fn every_field_comes_from_the_bundle() {
        let mut bytes = Vec::new();
        header(77, true).encode(&mut bytes).unwrap();
        bytes.extend_from_slice(b"key package and keys");
        let entry = StoredKeyPackage::from_bundle(Secret::new(bytes.clone())).unwrap();
        assert_eq!(entry.reference(), &KeyPackageRef::new(vec![1; 32]));
        assert_eq!(entry.init_key(), &HpkePublicKey::new(vec![2; 32]));
        assert_eq!(entry.not_after(), 77);
        assert!(entry.last_resort());
        assert_eq!(entry.bundle().expose(), &bytes[..]);
        assert_eq!(entry.into_bundle().expose(), &bytes[..]);
    }

    #[test]
    fn bundles_without_a_valid_header_are_refused() {
        let format_1 = [0x00, 0x01, 0x00, 0x01, 0x00, 0x03];
        let mut bad_flag = Vec::new();
        header(1, false).encode(&mut bad_flag).unwrap();
        *bad_flag.last_mut().unwrap() = 2;
        let mut cut = Vec::new();
        header(1, false).encode(&mut cut).unwrap();
        cut.truncate(cut.len() - 3);
        for bytes in [&format_1[..], &[], &[0x00, 0x02], &bad_flag, &cut] {
            assert!(
                matches!(
                    StoredKeyPackage::from_bundle(Secret::from_slice(bytes)),
                    Err(KeyStoreError::InvalidEntry(_))
                ),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn a_store_row_must_describe_its_bundle() {
        let mut bytes = Vec::new();
        header(50, false).encode(&mut bytes).unwrap();
        let row = |reference: u8, init_key: u8, not_after, last_resort| {
            StoredKeyPackage::from_store_row(
                KeyPackageRef::new(vec![reference; 32]),
                HpkePublicKey::new(vec![init_key; 32]),
                not_after,
                last_resort,
                Secret::new(bytes.clone()),
            )
        };
        assert_eq!(
            row(1, 2, 50, false).unwrap(),
            StoredKeyPackage::from_bundle(Secret::new(bytes.clone())).unwrap()
        );
        for lie in [
            row(1, 2, 50, true),
            row(9, 2, 50, false),
            row(1, 9, 50, false),
            row(1, 2, 51, false),
        ] {
            assert!(matches!(lie, Err(KeyStoreError::Corrupt(_))), "{lie:?}");
        }
        // A format-1 bundle (no header) is the store's word alone.
        let legacy = StoredKeyPackage::from_store_row(
            KeyPackageRef::new(vec![5]),
            HpkePublicKey::new(vec![6]),
            7,
            true,
            Secret::new(vec![0, 1, 0xAA]),
        )
        .unwrap();
        assert!(legacy.last_resort());
    }

    #[test]
    fn debug_redacts_the_bundle() {
        let mut bundle = Vec::new();
        header(3, false).encode(&mut bundle).unwrap();
        bundle.extend_from_slice(&[0xAB; 8]);
        let entry = StoredKeyPackage::from_bundle(Secret::new(bundle)).unwrap();
        let text = format!("{entry:?}");
        assert!(text.contains("redacted"), "{text}");
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(!text.contains("171"), "{text}");
    }
}
