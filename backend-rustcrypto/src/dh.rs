//! The Diffie-Hellman groups of the DHKEMs (RFC 9180 §7.1): backend-common's
//! [`Dh`]. X25519 is curve25519-dalek's clamped Montgomery multiplication
//! (the fixed-base one, with its precomputed table, for a public key), X448
//! the RFC 7748 function of x448 (any 32 or 56 bytes are a private key,
//! clamped when used); P-256,
//! P-384 and P-521 are RustCrypto's curves through [`crate::nist`], which
//! accepts only uncompressed points and scalars in `[1, n)`.

use backend_common::{CryptoResult, Dh};
use curve25519_dalek::MontgomeryPoint;
use keypackage_traits::{CryptoError, KemAlgorithm};
use zeroize::Zeroizing;

use crate::nist::{p256_ops, p384_ops, p521_ops};
use crate::provider::RustCryptoBackend;

/// A Montgomery-curve key of `N` bytes, copied into a buffer wiped on drop.
fn montgomery_bytes<const N: usize>(
    bytes: &[u8],
    what: CryptoError,
) -> Result<Zeroizing<[u8; N]>, CryptoError> {
    bytes.try_into().map(Zeroizing::new).map_err(|_| what)
}

/// The X25519 private key of `bytes`.
fn x25519_private(bytes: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    montgomery_bytes(
        bytes,
        CryptoError::InvalidPrivateKey {
            detail: "X25519 keys are 32 bytes",
        },
    )
}

#[cfg(feature = "x448")]
fn x448_private(bytes: &[u8]) -> Result<Zeroizing<[u8; 56]>, CryptoError> {
    montgomery_bytes(
        bytes,
        CryptoError::InvalidPrivateKey {
            detail: "X448 keys are 56 bytes",
        },
    )
}

/// `pk(sk) = X448(sk, 5)` (RFC 7748 §6.2).
#[cfg(feature = "x448")]
fn x448_public(private: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let scalar = x448_private(private)?;
    Ok(x448::x448_unchecked(*scalar, x448::X448_BASEPOINT_BYTES).to_vec())
}

/// `X448(sk, pk)` (RFC 7748 §5).
#[cfg(feature = "x448")]
fn x448_dh(private: &[u8], public: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let scalar = x448_private(private)?;
    let point: [u8; 56] = public
        .try_into()
        .map_err(|_| CryptoError::InvalidPublicKey {
            detail: "X448 keys are 56 bytes",
        })?;
    let shared = Zeroizing::new(x448::x448_unchecked(*scalar, point));
    Ok(Zeroizing::new(shared.to_vec()))
}

#[cfg(not(feature = "x448"))]
fn x448_public(_private: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Err(CryptoError::Internal {
        detail: "X448 needs the x448 feature",
    })
}

#[cfg(not(feature = "x448"))]
fn x448_dh(_private: &[u8], _public: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    Err(CryptoError::Internal {
        detail: "X448 needs the x448 feature",
    })
}

impl Dh for RustCryptoBackend {
    fn check_public(kem: KemAlgorithm, public: &[u8]) -> CryptoResult<()> {
        match kem {
            KemAlgorithm::DhKemP256 => p256_ops::parse_public(public).map(drop),
            KemAlgorithm::DhKemP384 => p384_ops::parse_public(public).map(drop),
            KemAlgorithm::DhKemP521 => p521_ops::parse_public(public).map(drop),
            KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448 => {
                if public.len() == kem.public_key_len() {
                    Ok(())
                } else {
                    Err(CryptoError::InvalidPublicKey {
                        detail: "wrong public key length",
                    })
                }
            }
        }
    }

    fn public_key(kem: KemAlgorithm, private: &[u8]) -> CryptoResult<Vec<u8>> {
        match kem {
            KemAlgorithm::DhKemP256 => Ok(p256_ops::encode_public(
                &p256_ops::parse_secret(private)?.public_key(),
            )),
            KemAlgorithm::DhKemP384 => Ok(p384_ops::encode_public(
                &p384_ops::parse_secret(private)?.public_key(),
            )),
            KemAlgorithm::DhKemP521 => Ok(p521_ops::encode_public(
                &p521_ops::parse_secret(private)?.public_key(),
            )),
            KemAlgorithm::DhKemX25519 => {
                let scalar = x25519_private(private)?;
                Ok(MontgomeryPoint::mul_base_clamped(*scalar)
                    .to_bytes()
                    .to_vec())
            }
            KemAlgorithm::DhKemX448 => x448_public(private),
        }
    }

    fn dh(kem: KemAlgorithm, private: &[u8], public: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
        match kem {
            KemAlgorithm::DhKemP256 => Ok(p256_ops::dh(
                &p256_ops::parse_secret(private)?,
                &p256_ops::parse_public(public)?,
            )),
            KemAlgorithm::DhKemP384 => Ok(p384_ops::dh(
                &p384_ops::parse_secret(private)?,
                &p384_ops::parse_public(public)?,
            )),
            KemAlgorithm::DhKemP521 => Ok(p521_ops::dh(
                &p521_ops::parse_secret(private)?,
                &p521_ops::parse_public(public)?,
            )),
            KemAlgorithm::DhKemX25519 => {
                let scalar = x25519_private(private)?;
                let point: [u8; 32] =
                    public
                        .try_into()
                        .map_err(|_| CryptoError::InvalidPublicKey {
                            detail: "X25519 keys are 32 bytes",
                        })?;
                let shared = Zeroizing::new(MontgomeryPoint(point).mul_clamped(*scalar).to_bytes());
                Ok(Zeroizing::new(shared.to_vec()))
            }
            KemAlgorithm::DhKemX448 => x448_dh(private, public),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x25519_and_the_nist_curves_refuse_what_they_must() {
        // RFC 7748 §6.1: Alice's private key and public key.
        let alice = hex::decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
            .unwrap();
        assert_eq!(
            hex::encode(RustCryptoBackend::public_key(KemAlgorithm::DhKemX25519, &alice).unwrap()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        assert!(matches!(
            RustCryptoBackend::public_key(KemAlgorithm::DhKemX25519, &alice[1..]),
            Err(CryptoError::InvalidPrivateKey { .. })
        ));
        // The private key is checked before the public key.
        assert!(matches!(
            RustCryptoBackend::dh(KemAlgorithm::DhKemP256, &[0u8; 32], &[4u8; 3]),
            Err(CryptoError::InvalidPrivateKey { .. })
        ));
        let public = RustCryptoBackend::public_key(KemAlgorithm::DhKemP256, &[7u8; 32]).unwrap();
        assert!(RustCryptoBackend::check_public(KemAlgorithm::DhKemP256, &public).is_ok());
        let mut compressed = vec![0x02 | (public[64] & 1)];
        compressed.extend_from_slice(&public[1..33]);
        assert!(matches!(
            RustCryptoBackend::dh(KemAlgorithm::DhKemP256, &[7u8; 32], &compressed),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
    }
}
