//! `Lifetime` (RFC 9420 §7.2).

use tls_codec::{TlsDeserializeBytes, TlsSerialize, TlsSize};

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
