//! The storage engine trait, the values that cross it, and what the two
//! engines share (the time mapping, the validation of names).
//!
//! An engine stores what the [`Directory`](crate::Directory) has already
//! validated, and guarantees the rules that need the database's atomicity:
//! one key package handed out at most once, init keys unique (RFC 9420
//! §10), rate limits counted in the claim's own transaction.

use std::future::Future;
use std::pin::Pin;

use keypackage_core::traits::{CipherSuite, KeyPackageRef};

/// A boxed future that is `Send`: the engine trait's methods return one, so
/// that the trait can be used as `dyn Store` (one type whatever the engine).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a storage operation failed. None of these is the fault of a key
/// package's maker; a publisher or claimer gets them only as an error of
/// the whole call.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed or could not be reached (the environment's fault);
    /// nothing was changed by the failed call.
    #[error("database error: {detail}")]
    Backend {
        /// What went wrong.
        detail: String,
    },
    /// The database holds a value this crate never writes.
    #[error("database is corrupt: {detail}")]
    Corrupt {
        /// What went wrong.
        detail: String,
    },
    /// The database belongs to another application, or to a newer version of
    /// this crate (its schema version is higher than ours).
    #[error("database schema: {detail}")]
    Schema {
        /// What went wrong.
        detail: String,
    },
    /// The engine has shut down (its writer thread is gone).
    #[error("the storage engine is closed")]
    Closed,
}

impl StoreError {
    /// Whose fault the error is: the environment's (the database, or a
    /// database of another kind), never a key package's maker.
    pub const fn fault(&self) -> keypackage_core::traits::Fault {
        keypackage_core::traits::Fault::Environment
    }
}

/// A validated key package, as an engine stores it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewKeyPackage {
    /// Its `KeyPackageRef` (RFC 9420 §5.2): the primary key.
    pub reference: KeyPackageRef,
    /// Its cipher suite.
    pub cipher_suite: CipherSuite,
    /// `leaf_node.lifetime.not_after`: unexpired while `now <= not_after`.
    pub not_after: u64,
    /// Marked last resort: handed out again, and only when nothing else is left.
    pub last_resort: bool,
    /// Its `init_key`: unique in the directory (RFC 9420 §10).
    pub init_key: Vec<u8>,
    /// The bare `KeyPackage` encoding, as handed out.
    pub key_package: Vec<u8>,
}

/// What an engine did with one [`NewKeyPackage`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InsertOutcome {
    /// Stored now.
    Stored,
    /// The same key package was already stored for this owner: nothing done.
    AlreadyStored,
    /// Its init key is already stored, under another key package or another
    /// owner (RFC 9420 §10): refused.
    InitKeyInUse,
    /// The same key package was stored and has been handed out: refused, so
    /// that it is never handed out twice.
    AlreadyClaimed,
}

/// A rate limit: at most `max_claims` claims per (requester, owner) in each
/// fixed window of `window` seconds (windows start at multiples of
/// `window`). RFC 9420 §16.8: one requester must not drain a client's key
/// packages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RateLimit {
    /// Claims allowed per window (at least 1).
    pub max_claims: u32,
    /// The window, in seconds (at least 1).
    pub window: u64,
}

impl RateLimit {
    /// `max_claims` per `window` seconds; `None` if either is 0.
    pub fn new(max_claims: u32, window: u64) -> Option<Self> {
        (max_claims > 0 && window > 0).then_some(Self { max_claims, window })
    }

    /// The end (exclusive) of the window that contains `now`.
    pub fn window_end(&self, now: u64) -> u64 {
        let window = self.window.max(1);
        (now - now % window).saturating_add(window)
    }
}

/// One claim for one or more owners, in one transaction.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClaimRequest {
    /// The owners, each getting one answer, in this order.
    pub owners: Vec<String>,
    /// The suite wanted.
    pub cipher_suite: CipherSuite,
    /// Who asks (the unit of rate limiting).
    pub requester: String,
    /// The time of the claim.
    pub now: u64,
    /// The rate limit, if any.
    pub rate_limit: Option<RateLimit>,
}

/// A key package handed out by a claim.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClaimedKeyPackage {
    /// Its reference.
    pub reference: KeyPackageRef,
    /// Its cipher suite.
    pub cipher_suite: CipherSuite,
    /// Its expiry.
    pub not_after: u64,
    /// The bare `KeyPackage` encoding.
    pub key_package: Vec<u8>,
}

/// The answer of a claim for one owner.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Claim {
    /// A normal key package, removed from the directory: nobody else gets it.
    KeyPackage(ClaimedKeyPackage),
    /// No normal key package is left: the owner's last-resort key package of
    /// the suite, which stays.
    LastResort(ClaimedKeyPackage),
    /// Nothing unexpired for this owner and suite.
    Empty,
    /// The requester has used up its claims on this owner for the current
    /// window; nothing was handed out.
    RateLimited {
        /// Seconds until the window ends.
        retry_after: u64,
    },
}

impl Claim {
    /// The key package handed out, if any.
    pub fn key_package(&self) -> Option<&ClaimedKeyPackage> {
        match self {
            Self::KeyPackage(kp) | Self::LastResort(kp) => Some(kp),
            Self::Empty | Self::RateLimited { .. } => None,
        }
    }
}

/// Unexpired key packages of one suite (for one owner, or in all).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SuiteCount {
    /// The suite.
    pub cipher_suite: CipherSuite,
    /// Normal key packages that a claim can still hand out.
    pub available: u64,
    /// Last-resort key packages.
    pub last_resort: u64,
}

impl SuiteCount {
    /// Whether a last-resort key package is there.
    pub fn has_last_resort(&self) -> bool {
        self.last_resort > 0
    }
}

/// What a prune removed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PruneReport {
    /// Expired key packages that were never handed out (last resort included).
    pub expired: u64,
    /// Records of handed-out key packages whose lifetime has ended: they can
    /// no longer be published again (validation refuses them), so their
    /// record is no longer needed.
    pub claimed: u64,
    /// Rate-limit counters of windows that have ended.
    pub rate_counters: u64,
}

/// A storage engine. [`SqliteStore`](crate::SqliteStore) and
/// [`PostgresStore`](crate::PostgresStore) implement it and pass one
/// conformance suite (`keypackage_directory::conformance`, feature
/// `conformance`).
///
/// Engines never validate: the [`Directory`](crate::Directory) does, and
/// hands them only validated key packages and checked names. Every method is
/// atomic: it does all of its work or none of it.
pub trait Store: Send + Sync + 'static {
    /// The engine's name (`"sqlite"`, `"postgres"`).
    fn engine(&self) -> &'static str;

    /// Stores `items` for `owner` at time `now`, one outcome per item, in
    /// order. The items have distinct references and distinct init keys.
    fn publish(
        &self,
        owner: String,
        items: Vec<NewKeyPackage>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<InsertOutcome>, StoreError>>;

    /// For each owner of the request, in one transaction: count the claim
    /// against the rate limit; take one unexpired normal key package of the
    /// suite, marking it handed out (it is never handed out again); if there
    /// is none, return the unexpired last-resort one without removing it.
    /// Two concurrent claims never get the same normal key package and never
    /// wait for each other on one key package.
    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>>;

    /// Unexpired, not handed-out key packages by suite, of `owner` or of
    /// everyone; suites with none are left out.
    fn count(
        &self,
        owner: Option<String>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<SuiteCount>, StoreError>>;

    /// Removes what expired before `now` (`not_after < now`) and the
    /// rate-limit counters of ended windows.
    fn prune(&self, now: u64) -> BoxFuture<'_, Result<PruneReport, StoreError>>;

    /// Removes every key package of `owner` that was not handed out (the
    /// records of handed-out ones stay until they expire, so that those can
    /// never be published again), and the owner's rate-limit counters.
    /// Returns how many key packages were removed.
    fn delete_owner(&self, owner: String) -> BoxFuture<'_, Result<u64, StoreError>>;
}

/// Maps a `u64` time to an order-preserving signed 64-bit value (the top
/// bit flipped), so that `<`, `ORDER BY` and the indexes work over the whole
/// `u64` range in SQL's signed integers.
pub(crate) fn time_to_sql(time: u64) -> i64 {
    i64::from_be_bytes((time ^ (1 << 63)).to_be_bytes())
}

/// Inverse of [`time_to_sql`].
pub(crate) fn time_from_sql(value: i64) -> u64 {
    u64::from_be_bytes(value.to_be_bytes()) ^ (1 << 63)
}

/// A count read from SQL.
pub(crate) fn count_from_sql(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        detail: format!("negative count {value}"),
    })
}

/// A suite read from SQL.
pub(crate) fn suite_from_sql(value: i64) -> Result<CipherSuite, StoreError> {
    u16::try_from(value)
        .map(CipherSuite)
        .map_err(|_| StoreError::Corrupt {
            detail: format!("cipher suite {value}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_mapping_keeps_order_and_round_trips() {
        let samples = [0, 1, 41, (1 << 63) - 1, 1 << 63, u64::MAX - 1, u64::MAX];
        for pair in samples.windows(2) {
            assert!(time_to_sql(pair[0]) < time_to_sql(pair[1]), "{pair:?}");
        }
        for time in samples {
            assert_eq!(time_from_sql(time_to_sql(time)), time);
        }
    }

    #[test]
    fn rate_limit_windows_are_fixed() {
        assert_eq!(RateLimit::new(0, 10), None);
        assert_eq!(RateLimit::new(1, 0), None);
        let limit = RateLimit::new(3, 60).unwrap();
        assert_eq!(limit.window_end(0), 60);
        assert_eq!(limit.window_end(59), 60);
        assert_eq!(limit.window_end(60), 120);
        assert_eq!(limit.window_end(u64::MAX), u64::MAX);
    }
}
