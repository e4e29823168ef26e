//! The Diffie-Hellman groups of the DHKEMs: backend-common's [`Dh`], the
//! static key-agreement seam.
//!
//! ring offers key agreement only with *ephemeral* private keys
//! (`ring::agreement::EphemeralPrivateKey`): a key made inside ring, used
//! once, never exported, never imported. HPKE (RFC 9180) needs more than
//! that:
//!
//! * decapsulation uses the stored private init or encryption key
//!   (`Decap(enc, skR)`, RFC 9180 §4.1);
//! * `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3) turns bytes into a private key,
//!   and the key package's owner must keep that key until a Welcome arrives;
//! * `SerializePrivateKey`/`DeserializePrivateKey` (RFC 9180 §7.1.2).
//!
//! ring has no public API for any of the three, and its hidden test-only
//! constructors are not an option. So everything that touches a static
//! key-agreement key, and only that, goes through this module, filled with
//! [x25519-dalek] (X25519, RFC 7748) and RustCrypto's [p256]/[p384] (ECDH,
//! SEC 1 §3.3.1). The same curve code also computes an ECDSA public key from
//! its scalar, which ring needs next to the scalar to load a signing key.
//!
//! Swapping the implementation (for example, once ring gains static keys)
//! is a change to this file alone. The encoding rules of docs/DESIGN.md §3
//! P7 that need the curve live here:
//!
//! * P-256/P-384 public keys only as uncompressed SEC1 points
//!   (`0x04 || X || Y`), on the curve; the identity has no such encoding;
//! * P-256/P-384 private keys are exactly `Nsk` big-endian bytes in `[1, n)`;
//! * X25519 keys are any 32 bytes (RFC 7748 §5); backend-common refuses an
//!   all-zero shared secret (RFC 9180 §7.1.4).
//!
//! [x25519-dalek]: https://docs.rs/x25519-dalek
//! [p256]: https://docs.rs/p256
//! [p384]: https://docs.rs/p384

use backend_common::{CryptoResult, Dh};
use p256::elliptic_curve::sec1::ToSec1Point;
use zeroize::Zeroizing;

use keypackage_traits::{CryptoError, KemAlgorithm, SignatureScheme};

use crate::provider::RingBackend;

/// A Diffie-Hellman group this seam implements.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DhGroup {
    /// Curve25519 in Montgomery form (RFC 7748).
    X25519,
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
}

impl DhGroup {
    /// The group of an HPKE DHKEM, `None` for KEMs this backend lacks.
    pub(crate) const fn from_kem(kem: KemAlgorithm) -> Option<Self> {
        match kem {
            KemAlgorithm::DhKemX25519 => Some(Self::X25519),
            KemAlgorithm::DhKemP256 => Some(Self::P256),
            KemAlgorithm::DhKemP384 => Some(Self::P384),
            KemAlgorithm::DhKemP521 | KemAlgorithm::DhKemX448 => None,
        }
    }

    /// The curve of an ECDSA scheme, `None` for other schemes.
    pub(crate) const fn from_ecdsa(scheme: SignatureScheme) -> Option<Self> {
        match scheme {
            SignatureScheme::EcdsaSecp256r1Sha256 => Some(Self::P256),
            SignatureScheme::EcdsaSecp384r1Sha384 => Some(Self::P384),
            _ => None,
        }
    }
}

/// The 32 bytes of an X25519 key.
fn x25519_bytes(bytes: &[u8], error: CryptoError) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let array: [u8; 32] = bytes.try_into().map_err(|_| error)?;
    Ok(Zeroizing::new(array))
}

/// Parses an uncompressed SEC1 point of the right length.
macro_rules! parse_nist_public {
    ($curve:ident, $bytes:expr, $len:expr) => {{
        let bytes: &[u8] = $bytes;
        if bytes.len() != $len {
            return Err(CryptoError::InvalidPublicKey {
                detail: "wrong length for the curve",
            });
        }
        if bytes.first() != Some(&0x04) {
            return Err(CryptoError::InvalidPublicKey {
                detail: "not an uncompressed SEC1 point",
            });
        }
        $curve::PublicKey::from_sec1_bytes(bytes).map_err(|_| CryptoError::InvalidPublicKey {
            detail: "point is not on the curve",
        })?
    }};
}

/// Parses a fixed-length big-endian scalar in `[1, n)`.
macro_rules! parse_nist_private {
    ($curve:ident, $bytes:expr, $len:expr) => {{
        let bytes: &[u8] = $bytes;
        if bytes.len() != $len {
            return Err(CryptoError::InvalidPrivateKey {
                detail: "wrong length for the curve",
            });
        }
        $curve::SecretKey::from_slice(bytes).map_err(|_| CryptoError::InvalidPrivateKey {
            detail: "scalar is zero or not below the group order",
        })?
    }};
}

/// Checks an encoded public key: length, and for P-256/P-384 an
/// uncompressed point on the curve (RFC 9180 §7.1.1, SEC 1 §2.3.4).
pub(crate) fn validate_public_key(group: DhGroup, public: &[u8]) -> Result<(), CryptoError> {
    match group {
        DhGroup::X25519 => {
            if public.len() != 32 {
                return Err(CryptoError::InvalidPublicKey {
                    detail: "X25519 keys are 32 bytes",
                });
            }
        }
        DhGroup::P256 => {
            parse_nist_public!(p256, public, 65);
        }
        DhGroup::P384 => {
            parse_nist_public!(p384, public, 97);
        }
    }
    Ok(())
}

/// The encoded public key of an encoded private key (`pk(sk)`); an
/// uncompressed point for P-256/P-384.
pub(crate) fn public_key(group: DhGroup, private: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Ok(match group {
        DhGroup::X25519 => {
            let secret = x25519_dalek::StaticSecret::from(*x25519_bytes(
                private,
                CryptoError::InvalidPrivateKey {
                    detail: "X25519 keys are 32 bytes",
                },
            )?);
            x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec()
        }
        DhGroup::P256 => parse_nist_private!(p256, private, 32)
            .public_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec(),
        DhGroup::P384 => parse_nist_private!(p384, private, 48)
            .public_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec(),
    })
}

/// `DH(skX, pkY)` (RFC 9180 §4.1): the X25519 output, or the x-coordinate of
/// the ECDH point for P-256/P-384 (SEC 1 §3.3.1).
pub(crate) fn diffie_hellman(
    group: DhGroup,
    private: &[u8],
    public: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    match group {
        DhGroup::X25519 => {
            let secret = x25519_dalek::StaticSecret::from(*x25519_bytes(
                private,
                CryptoError::InvalidPrivateKey {
                    detail: "X25519 keys are 32 bytes",
                },
            )?);
            let public: [u8; 32] =
                public
                    .try_into()
                    .map_err(|_| CryptoError::InvalidPublicKey {
                        detail: "X25519 keys are 32 bytes",
                    })?;
            let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(public));
            Ok(Zeroizing::new(shared.as_bytes().to_vec()))
        }
        DhGroup::P256 => {
            let secret = parse_nist_private!(p256, private, 32);
            let public = parse_nist_public!(p256, public, 65);
            let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
            Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
        }
        DhGroup::P384 => {
            let secret = parse_nist_private!(p384, private, 48);
            let public = parse_nist_public!(p384, public, 97);
            let shared = p384::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
            Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
        }
    }
}

/// The group of a KEM; the suite list admits no other.
fn group(kem: KemAlgorithm) -> Result<DhGroup, CryptoError> {
    DhGroup::from_kem(kem).ok_or(CryptoError::Internal {
        detail: "the ring backend has no such KEM",
    })
}

impl Dh for RingBackend {
    fn check_public(kem: KemAlgorithm, public: &[u8]) -> CryptoResult<()> {
        validate_public_key(group(kem)?, public)
    }

    fn public_key(kem: KemAlgorithm, private: &[u8]) -> CryptoResult<Vec<u8>> {
        public_key(group(kem)?, private)
    }

    fn dh(kem: KemAlgorithm, private: &[u8], public: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
        diffie_hellman(group(kem)?, private, public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_and_short_points_are_refused() {
        let public = public_key(DhGroup::P256, &[7u8; 32]).unwrap();
        assert_eq!(public.len(), 65);
        validate_public_key(DhGroup::P256, &public).unwrap();
        // The same point compressed: 0x02/0x03 || X.
        let mut compressed = vec![0x02 | (public[64] & 1)];
        compressed.extend_from_slice(&public[1..33]);
        assert!(matches!(
            validate_public_key(DhGroup::P256, &compressed),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        // Off the curve: flip a bit of Y.
        let mut off = public.clone();
        off[64] ^= 1;
        assert!(validate_public_key(DhGroup::P256, &off).is_err());
        assert!(validate_public_key(DhGroup::P256, &[0u8]).is_err());
        assert!(validate_public_key(DhGroup::P384, &public).is_err());
    }

    #[test]
    fn out_of_range_scalars_are_refused() {
        for (group, bad) in [
            (DhGroup::P256, vec![0u8; 32]),
            (DhGroup::P256, vec![0xFF; 32]),
            (DhGroup::P384, vec![0xFF; 48]),
            (DhGroup::P256, vec![1u8; 31]),
        ] {
            assert!(matches!(
                public_key(group, &bad),
                Err(CryptoError::InvalidPrivateKey { .. })
            ));
        }
        public_key(DhGroup::X25519, &[0xFF; 32]).unwrap();
    }

    fn zeroizes_on_drop<T: zeroize::ZeroizeOnDrop>() {}

    /// The static secrets of the seam wipe themselves: x25519-dalek with
    /// its `zeroize` feature, elliptic-curve's `SecretKey` always.
    #[test]
    fn static_secrets_zeroize_on_drop() {
        zeroizes_on_drop::<x25519_dalek::StaticSecret>();
        zeroizes_on_drop::<x25519_dalek::SharedSecret>();
        zeroizes_on_drop::<p256::SecretKey>();
        zeroizes_on_drop::<p384::SecretKey>();
    }

    #[test]
    fn the_private_key_is_checked_before_the_public_key() {
        assert!(matches!(
            RingBackend::dh(KemAlgorithm::DhKemP256, &[0u8; 32], &[4u8; 3]),
            Err(CryptoError::InvalidPrivateKey { .. })
        ));
        assert!(matches!(
            RingBackend::dh(KemAlgorithm::DhKemX25519, &[9u8; 31], &[9u8; 32]),
            Err(CryptoError::InvalidPrivateKey { .. })
        ));
        assert!(matches!(
            RingBackend::dh(KemAlgorithm::DhKemX25519, &[9u8; 32], &[9u8; 31]),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
    }
}
