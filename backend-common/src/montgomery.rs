//! The shared X25519/X448 public-key policy (KP-INIT-KEY, KP-ENC-KEY).
//!
//! RFC 7748 lets any 32 (56) bytes be an X25519 (X448) public key, and RFC
//! 9180 §7.1.4 only catches a small-order key when a Diffie-Hellman output
//! comes out all zero, at encryption time. A key package whose init key has
//! small order can never receive a Welcome, so every backend refuses, when a
//! public key is validated:
//!
//! * a key of the wrong length;
//! * a non-canonical encoding: for X25519 the unused top bit set, or
//!   `u >= p`; for X448 `u >= p` (honest key generation never produces one);
//! * a point of small order: u = 0, 1, p - 1, and for X25519 the two
//!   u-coordinates of the points of order 8.
//!
//! A table of byte strings, shared by all backends so they cannot disagree.

use keypackage_traits::CryptoError;

/// `2^255 - 19`, little-endian.
const P25519: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// The canonical u-coordinates of the X25519 points of small order: 0, 1,
/// the two of order 8, and p - 1 (order 2), little-endian.
const SMALL_ORDER_25519: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// `2^448 - 2^224 - 1`, little-endian: 28 bytes 0xff, 0xfe, 27 bytes 0xff.
fn p448() -> [u8; 56] {
    let mut p = [0xff; 56];
    p[28] = 0xfe;
    p
}

/// Little-endian `a < b` for equal lengths: compared from the most
/// significant byte.
fn less_than(a: &[u8], b: &[u8]) -> bool {
    a.iter().rev().lt(b.iter().rev())
}

/// Checks an X25519 public key against the policy.
pub fn check_x25519_public(public: &[u8]) -> Result<(), CryptoError> {
    let u: &[u8; 32] = public
        .try_into()
        .map_err(|_| CryptoError::InvalidPublicKey {
            detail: "X25519 keys are 32 bytes",
        })?;
    if u[31] & 0x80 != 0 || !less_than(u, &P25519) {
        return Err(CryptoError::InvalidPublicKey {
            detail: "non-canonical X25519 key",
        });
    }
    if SMALL_ORDER_25519.contains(u) {
        return Err(CryptoError::InvalidPublicKey {
            detail: "X25519 key of small order",
        });
    }
    Ok(())
}

/// Checks an X448 public key against the policy.
pub fn check_x448_public(public: &[u8]) -> Result<(), CryptoError> {
    let u: &[u8; 56] = public
        .try_into()
        .map_err(|_| CryptoError::InvalidPublicKey {
            detail: "X448 keys are 56 bytes",
        })?;
    let p = p448();
    if !less_than(u, &p) {
        return Err(CryptoError::InvalidPublicKey {
            detail: "non-canonical X448 key",
        });
    }
    let mut p_minus_1 = p;
    p_minus_1[0] = 0xfe;
    let mut one = [0u8; 56];
    one[0] = 1;
    if u == &[0u8; 56] || u == &one || u == &p_minus_1 {
        return Err(CryptoError::InvalidPublicKey {
            detail: "X448 key of small order",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x25519_small_order_and_non_canonical_keys_are_refused() {
        for u in SMALL_ORDER_25519 {
            assert!(check_x25519_public(&u).is_err());
        }
        // p and p + 1 (non-canonical 0 and 1), and the top bit.
        let mut p_plus_1 = P25519;
        p_plus_1[0] = 0xee;
        assert!(check_x25519_public(&P25519).is_err());
        assert!(check_x25519_public(&p_plus_1).is_err());
        // The base point u = 9 passes; with the top bit set it does not.
        let mut nine = [0u8; 32];
        nine[0] = 9;
        assert_eq!(check_x25519_public(&nine), Ok(()));
        nine[31] = 0x80;
        assert!(check_x25519_public(&nine).is_err());
        assert!(check_x25519_public(&[9; 31]).is_err());
    }

    /// A little-endian field element from its big-endian hex (RFC 7748
    /// writes p that way), so the tests do not take p from the code.
    fn from_be_hex(hex: &str) -> [u8; 56] {
        let mut out = [0u8; 56];
        for (i, byte) in out.iter_mut().rev().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn x448_small_order_and_non_canonical_keys_are_refused() {
        // p = 2^448 - 2^224 - 1 (RFC 7748 §4.2).
        let p = from_be_hex(
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffe\
             ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        );
        assert_eq!(p, p448());
        let mut p_minus_1 = p;
        p_minus_1[0] = 0xfe;
        let mut p_plus_1 = p;
        p_plus_1[28] = 0xff;
        p_plus_1[..28].fill(0);
        let mut one = [0u8; 56];
        one[0] = 1;
        // 0, 1 and p - 1 have small order; p and p + 1 are non-canonical
        // encodings of 0 and 1; 2^448 - 1 is the largest 56-byte value.
        for u in [[0u8; 56], one, p_minus_1, p, p_plus_1, [0xff; 56]] {
            assert!(check_x448_public(&u).is_err(), "{u:02x?}");
        }
        // The base point u = 5 and p - 2, the largest canonical value not of
        // small order, pass.
        let mut five = [0u8; 56];
        five[0] = 5;
        let mut p_minus_2 = p;
        p_minus_2[0] = 0xfd;
        assert_eq!(check_x448_public(&five), Ok(()));
        assert_eq!(check_x448_public(&p_minus_2), Ok(()));
    }
}
