//! `Lifetime` (RFC 9420 §7.2).

use tls_codec::{TlsDeserializeBytes, TlsSerialize, TlsSize};

/// One hour, in seconds.
pub const HOUR: u64 = 3600;
/// One day, in seconds.
pub const DAY: u64 = 24 * HOUR;
/// The default maximum lifetime (KP-MAX-LIFETIME): 365 days + 1 hour. It
/// admits what OpenMLS and mls-rs produce (a year-long range, sometimes with
/// `not_before` an hour in the past) and refuses the "valid forever" key
/// packages RFC 9420 §7.2 warns about (docs/DESIGN.md §5.3).
pub const DEFAULT_MAX_LIFETIME: u64 = 365 * DAY + HOUR;
/// The default allowance for a creator whose clock runs ahead of ours
/// (KP-LIFETIME, docs/DESIGN.md §5.3).
pub const DEFAULT_CLOCK_SKEW: u64 = HOUR;

/// ```text
/// struct {
///     uint64 not_before;
///     uint64 not_after;
/// } Lifetime;
/// ```
///
/// Times are seconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, TlsSize, TlsSerialize, TlsDeserializeBytes)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Lifetime {
    /// First second at which the leaf is valid.
    pub not_before: u64,
    /// Last second at which the leaf is valid.
    pub not_after: u64,
}

impl Lifetime {
    /// A lifetime from `not_before` to `not_after`, both inclusive.
    pub const fn new(not_before: u64, not_after: u64) -> Self {
        Self {
            not_before,
            not_after,
        }
    }

    /// `not_after - not_before`, or `None` when `not_after < not_before`.
    pub const fn duration(&self) -> Option<u64> {
        self.not_after.checked_sub(self.not_before)
    }
}
