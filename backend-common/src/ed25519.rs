//! The shared Ed25519 verification policy.
//!
//! ring and ed25519-dalek's `verify` agree with each other on every CCTV
//! edge-case vector, yet both accept small-order keys and non-canonical
//! encodings, which other libraries refuse. Our policy, applied by every
//! backend before its own cofactorless verification:
//!
//! 1. `S` is canonical: `S < L`, the order of the base point;
//! 2. `A` (the public key) and `R` are canonical point encodings: the y
//!    coordinate is below `p = 2^255 - 19`, and the sign bit is clear when
//!    `x = 0` (y = 1 or y = p - 1);
//! 3. neither `A` nor `R` is a point of small order (order 1, 2, 4 or 8);
//! 4. the cofactorless equation `[S]B = R + [k]A` holds (ring's and dalek's
//!    `verify`).
//!
//! Rules 1–3 are byte comparisons, done here once for both backends, so
//! the backends cannot drift apart.

/// The Ed25519 verification policy every backend applies, so that the same
/// input gets the same answer whichever backend runs. Rules 1–3 are checked
/// by this module, shared by all backends; rule 4 is the backend's own
/// cofactorless verification (ring's and ed25519-dalek's `verify` agree on
/// every CCTV edge-case vector).
pub const ED25519_POLICY: &str = "1. S < L; 2. A and R canonical (y < p, no sign bit when x = 0); \
3. A and R not of small order; 4. cofactorless [S]B = R + [k]A";

/// `p = 2^255 - 19`, little-endian.
const P: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// `L = 2^252 + 27742317777372353535851937790883648493`, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// The y coordinates (little-endian, sign bit clear) of the eight points of
/// small order: y = 1 (identity), y = p - 1 (order 2), y = 0 (order 4), and
/// the two y values of the order-8 points.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    // 1
    [
        0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0,
    ],
    // p - 1
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // 0
    [0; 32],
    // order 8
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // order 8, the other y
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// Little-endian `a < b`: compared from the most significant byte.
fn less_than(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().rev().lt(b.iter().rev())
}

/// Why a key or signature fails rules 1–3 of the policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PolicyViolation {
    /// `S >= L`.
    NonCanonicalScalar,
    /// A point encoding is not canonical.
    NonCanonicalPoint,
    /// A point has small order.
    SmallOrderPoint,
}

/// Checks rules 2 and 3 for one encoded point (`A` or `R`).
pub fn check_point(encoded: &[u8; 32]) -> Result<(), PolicyViolation> {
    let mut y = *encoded;
    let sign = y[31] >> 7;
    y[31] &= 0x7f;
    if !less_than(&y, &P) {
        return Err(PolicyViolation::NonCanonicalPoint);
    }
    let x_is_zero = y == SMALL_ORDER_Y[0] || y == SMALL_ORDER_Y[1];
    if x_is_zero && sign == 1 {
        return Err(PolicyViolation::NonCanonicalPoint);
    }
    if SMALL_ORDER_Y.contains(&y) {
        return Err(PolicyViolation::SmallOrderPoint);
    }
    Ok(())
}

/// Checks rules 2 and 3 for a public key, so a key can be refused once,
/// at parse time (KP-SIG-KEY).
pub fn check_public_key(public: &[u8]) -> Result<[u8; 32], PolicyViolation> {
    let a: [u8; 32] = public
        .try_into()
        .map_err(|_| PolicyViolation::NonCanonicalPoint)?;
    check_point(&a)?;
    Ok(a)
}

/// Checks rules 1–3 for the signature part (`R`, `S`); run before the
/// backend's cofactorless verification.
pub fn check_signature(signature: &[u8]) -> Result<(), PolicyViolation> {
    let sig: &[u8; 64] = signature
        .try_into()
        .map_err(|_| PolicyViolation::NonCanonicalScalar)?;
    let (r, s) = sig.split_at(32);
    let r: &[u8; 32] = r
        .try_into()
        .map_err(|_| PolicyViolation::NonCanonicalPoint)?;
    let s: &[u8; 32] = s
        .try_into()
        .map_err(|_| PolicyViolation::NonCanonicalScalar)?;
    if !less_than(s, &L) {
        return Err(PolicyViolation::NonCanonicalScalar);
    }
    check_point(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_point_passes_and_identity_fails() {
        // The base point B: y = 4/5, encoded 0x58666...66.
        let mut b = [0x66u8; 32];
        b[0] = 0x58;
        assert_eq!(check_point(&b), Ok(()));
        assert_eq!(
            check_point(&SMALL_ORDER_Y[0]),
            Err(PolicyViolation::SmallOrderPoint)
        );
    }

    #[test]
    fn non_canonical_encodings_fail() {
        assert_eq!(check_point(&P), Err(PolicyViolation::NonCanonicalPoint));
        let mut identity_with_sign = SMALL_ORDER_Y[0];
        identity_with_sign[31] |= 0x80;
        assert_eq!(
            check_point(&identity_with_sign),
            Err(PolicyViolation::NonCanonicalPoint)
        );
    }

    #[test]
    fn scalar_must_be_below_the_group_order() {
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&{
            let mut b = [0x66u8; 32];
            b[0] = 0x58;
            b
        });
        sig[32..].copy_from_slice(&L);
        assert_eq!(
            check_signature(&sig),
            Err(PolicyViolation::NonCanonicalScalar)
        );
        sig[32] -= 1;
        assert_eq!(check_signature(&sig), Ok(()));
    }
}
