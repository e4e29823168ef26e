//! The shared Ed448 encoding policy (RFC 8032 §5.2.2, §5.2.3), applied to
//! the public key `A` when it is parsed and to `R` before each
//! verification, whichever library then decodes the point:
//!
//! 1. the encoding is 57 bytes: `y` in the first 56, little-endian, and in
//!    the last byte only the sign bit of `x` (bits 448 to 454 clear);
//! 2. `y < p = 2^448 - 2^224 - 1`;
//! 3. when `x = 0` (`y = 1` or `y = p - 1`), the sign bit is clear: RFC
//!    8032 §5.2.3 step 4, "if x = 0 and x_0 = 1, decoding fails";
//! 4. the point is not of small order: `y` is not 1 (the identity),
//!    `p - 1` (order 2) or 0 (order 4).
//!
//! The Ed448 library (ed448-goldilocks, a pinned pre-release) decodes some
//! encodings that break rule 1, and its decoder takes rule 3's `x = 0` with
//! the sign bit set for the point with it clear. It refuses small-order
//! keys by its own torsion check today; rules written here keep holding if
//! a later release of it decodes more leniently.

/// Why an encoding breaks the policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PolicyViolation {
    /// Rules 1–3: not a canonical encoding.
    NonCanonicalPoint,
    /// Rule 4: a point of small order.
    SmallOrderPoint,
}

/// Length of an encoded point (and of `S`).
const POINT_LEN: usize = 57;

/// Byte `i` of `p = 2^448 - 2^224 - 1`, little-endian: 0xFF except byte
/// 28 (bits 224 to 231), 0xFE.
const fn p_byte(i: usize) -> u8 {
    if i == 28 { 0xFE } else { 0xFF }
}

/// Little-endian `y < p` for the 56 bytes of `y`: compared from the most
/// significant byte.
fn below_p(y: &[u8]) -> bool {
    y.iter().copied().rev().lt((0..y.len()).rev().map(p_byte))
}

/// `y` equals `small` (0 or 1) in its lowest byte and zero above.
fn is_small(y: &[u8], small: u8) -> bool {
    y.split_first()
        .is_some_and(|(first, rest)| *first == small && rest.iter().all(|b| *b == 0))
}

/// `y = p - 1`.
fn is_p_minus_1(y: &[u8]) -> bool {
    y.iter()
        .enumerate()
        .all(|(i, byte)| *byte == if i == 0 { p_byte(0) - 1 } else { p_byte(i) })
}

/// Checks rules 1–4 for one encoded point (`A`, or the `R` of a signature).
pub fn check_point(encoded: &[u8]) -> Result<(), PolicyViolation> {
    if encoded.len() != POINT_LEN {
        return Err(PolicyViolation::NonCanonicalPoint);
    }
    let Some((last, y)) = encoded.split_last() else {
        return Err(PolicyViolation::NonCanonicalPoint);
    };
    if last & 0x7F != 0 || !below_p(y) {
        return Err(PolicyViolation::NonCanonicalPoint);
    }
    let x_is_zero = is_small(y, 1) || is_p_minus_1(y);
    if x_is_zero && last & 0x80 != 0 {
        return Err(PolicyViolation::NonCanonicalPoint);
    }
    if x_is_zero || is_small(y, 0) {
        return Err(PolicyViolation::SmallOrderPoint);
    }
    Ok(())
}

/// Checks rules 1–4 for the `R` of a signature (`R || S`, 114 bytes).
pub fn check_signature(signature: &[u8]) -> Result<(), PolicyViolation> {
    if signature.len() != 2 * POINT_LEN {
        return Err(PolicyViolation::NonCanonicalPoint);
    }
    check_point(signature.get(..POINT_LEN).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoding(y_low: u8, last: u8) -> [u8; 57] {
        let mut e = [0u8; 57];
        e[0] = y_low;
        e[56] = last;
        e
    }

    fn p_minus_1(last: u8) -> [u8; 57] {
        let mut e = [0xFFu8; 57];
        e[28] = 0xFE;
        e[0] = 0xFE;
        e[56] = last;
        e
    }

    #[test]
    fn x_zero_with_the_sign_bit_set_is_not_canonical() {
        // RFC 8032 §5.2.3 step 4: y = 1 or y = p - 1 (x = 0) with x_0 = 1.
        assert_eq!(
            check_point(&encoding(1, 0x80)),
            Err(PolicyViolation::NonCanonicalPoint)
        );
        assert_eq!(
            check_point(&p_minus_1(0x80)),
            Err(PolicyViolation::NonCanonicalPoint)
        );
        // The same points with the sign bit clear are canonical, and of
        // small order.
        assert_eq!(
            check_point(&encoding(1, 0)),
            Err(PolicyViolation::SmallOrderPoint)
        );
        assert_eq!(
            check_point(&p_minus_1(0)),
            Err(PolicyViolation::SmallOrderPoint)
        );
        let mut signature = [0u8; 114];
        signature[..57].copy_from_slice(&encoding(1, 0x80));
        assert_eq!(
            check_signature(&signature),
            Err(PolicyViolation::NonCanonicalPoint)
        );
    }

    #[test]
    fn other_encodings_follow_rules_1_2_and_4() {
        // Any y other than 0, 1, p - 1 below p passes, either sign.
        assert_eq!(check_point(&encoding(5, 0)), Ok(()));
        assert_eq!(check_point(&encoding(5, 0x80)), Ok(()));
        // Bits 448 to 454 set.
        assert_eq!(
            check_point(&encoding(5, 0x01)),
            Err(PolicyViolation::NonCanonicalPoint)
        );
        // y = p, and y = p - 2 (canonical, not small).
        let mut p = p_minus_1(0);
        p[0] = 0xFF;
        assert_eq!(check_point(&p), Err(PolicyViolation::NonCanonicalPoint));
        p[0] = 0xFD;
        assert_eq!(check_point(&p), Ok(()));
        // y = 0: the points of order 4.
        assert_eq!(
            check_point(&encoding(0, 0x80)),
            Err(PolicyViolation::SmallOrderPoint)
        );
        assert_eq!(
            check_point(&encoding(5, 0)[..56]),
            Err(PolicyViolation::NonCanonicalPoint)
        );
        assert!(check_signature(&[0u8; 113]).is_err());
    }
}
