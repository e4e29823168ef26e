//! P-256, P-384 and P-521: strict point and scalar parsing, ECDH and ECDSA.
//!
//! Public keys are accepted only as uncompressed SEC1 points
//! (`0x04 || X || Y`, SEC 1 §2.3.3), on the curve and not the identity
//! (RFC 9180 §7.1.1 `SerializePublicKey`, RFC 9420 §5.1.1); the RustCrypto
//! parsers also accept compressed points, so the encoding is checked here
//! first. Private keys are fixed-length big-endian scalars in `[1, n)`
//! (RFC 9180 §7.1.2). ECDSA signatures are DER `Ecdsa-Sig-Value`
//! (RFC 9420 §5.1.2, RFC 3279 §2.2.3), produced deterministically
//! (RFC 6979) and accepted high-S or low-S.

use keypackage_traits::CryptoError;

/// Checks the SEC1 tag and length of an uncompressed point of `len` bytes.
pub(crate) fn check_uncompressed(bytes: &[u8], len: usize) -> Result<(), CryptoError> {
    match bytes.first() {
        None => Err(CryptoError::InvalidPublicKey {
            detail: "empty point encoding",
        }),
        Some(0x00) => Err(CryptoError::InvalidPublicKey {
            detail: "the identity point",
        }),
        Some(0x02 | 0x03) => Err(CryptoError::InvalidPublicKey {
            detail: "compressed point: only uncompressed points are accepted",
        }),
        Some(0x04) if bytes.len() == len => Ok(()),
        Some(0x04) => Err(CryptoError::InvalidPublicKey {
            detail: "wrong length for an uncompressed point",
        }),
        Some(_) => Err(CryptoError::InvalidPublicKey {
            detail: "not an uncompressed SEC1 point encoding",
        }),
    }
}

/// One module per curve, all with the same functions.
macro_rules! nist_curve {
    ($module:ident, $krate:ident, $scalar_len:expr) => {
        pub(crate) mod $module {
            use keypackage_traits::CryptoError;
            use zeroize::Zeroizing;
            use $krate::ecdsa::signature::{Signer as _, Verifier as _};
            use $krate::ecdsa::{DerSignature, SigningKey, VerifyingKey};
            use $krate::elliptic_curve::sec1::ToSec1Point as _;
            use $krate::{PublicKey, SecretKey};

            /// Length of a scalar (private key) in bytes.
            pub(crate) const SCALAR_LEN: usize = $scalar_len;
            /// Length of an uncompressed point in bytes.
            pub(crate) const POINT_LEN: usize = 1 + 2 * SCALAR_LEN;

            /// Parses an uncompressed, on-curve, non-identity point.
            pub(crate) fn parse_public(bytes: &[u8]) -> Result<PublicKey, CryptoError> {
                super::check_uncompressed(bytes, POINT_LEN)?;
                PublicKey::from_sec1_bytes(bytes).map_err(|_| CryptoError::InvalidPublicKey {
                    detail: "point is not on the curve",
                })
            }

            /// Parses a fixed-length scalar in `[1, n)`.
            pub(crate) fn parse_secret(bytes: &[u8]) -> Result<SecretKey, CryptoError> {
                if bytes.len() != SCALAR_LEN {
                    return Err(CryptoError::InvalidPrivateKey {
                        detail: "wrong scalar length",
                    });
                }
                SecretKey::from_slice(bytes).map_err(|_| CryptoError::InvalidPrivateKey {
                    detail: "scalar is zero or not below the group order",
                })
            }

            /// The uncompressed encoding of a public key.
            pub(crate) fn encode_public(public: &PublicKey) -> Vec<u8> {
                public.to_sec1_point(false).as_bytes().to_vec()
            }

            /// ECDH: the x-coordinate of `secret * public` (SEC 1 §3.3.1,
            /// RFC 9180 §7.1 `DH`). Never the identity: the scalar is
            /// non-zero and the group has prime order.
            pub(crate) fn dh(secret: &SecretKey, public: &PublicKey) -> Zeroizing<Vec<u8>> {
                Zeroizing::new(secret.diffie_hellman(public).raw_secret_bytes().to_vec())
            }

            /// An ECDSA signing key from its scalar.
            pub(crate) fn signing_key(bytes: &[u8]) -> Result<SigningKey, CryptoError> {
                Ok(SigningKey::from(parse_secret(bytes)?))
            }

            /// The uncompressed public key of an ECDSA signing key.
            pub(crate) fn signing_key_public(key: &SigningKey) -> Vec<u8> {
                key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
            }

            /// Parses an ECDSA public key (uncompressed, on curve).
            pub(crate) fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, CryptoError> {
                Ok(VerifyingKey::from(parse_public(bytes)?))
            }

            /// Deterministic ECDSA (RFC 6979) over the curve's hash, DER-encoded.
            pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let signature: DerSignature =
                    key.try_sign(message).map_err(|_| CryptoError::Internal {
                        detail: "ECDSA signing failed",
                    })?;
                Ok(signature.as_bytes().to_vec())
            }

            /// Verifies a DER-encoded ECDSA signature; anything that is not
            /// strict DER with `0 < r, s < n` is refused.
            pub(crate) fn verify(
                key: &VerifyingKey,
                message: &[u8],
                signature: &[u8],
            ) -> Result<(), CryptoError> {
                let signature = DerSignature::from_bytes(signature)
                    .map_err(|_| CryptoError::InvalidSignature)?;
                key.verify(message, &signature)
                    .map_err(|_| CryptoError::InvalidSignature)
            }
        }
    };
}

nist_curve!(p256_ops, p256, 32);
nist_curve!(p384_ops, p384, 48);
nist_curve!(p521_ops, p521, 66);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_tags_are_checked_before_parsing() {
        assert!(matches!(
            check_uncompressed(&[], 65),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        assert_eq!(
            check_uncompressed(&[0], 65),
            Err(CryptoError::InvalidPublicKey {
                detail: "the identity point"
            })
        );
        let mut compressed = vec![0x02];
        compressed.extend_from_slice(&[1; 32]);
        assert!(matches!(
            check_uncompressed(&compressed, 65),
            Err(CryptoError::InvalidPublicKey { detail: m }) if m.contains("compressed")
        ));
        assert!(check_uncompressed(&[4; 65], 65).is_ok());
        assert!(check_uncompressed(&[4; 64], 65).is_err());
        assert!(check_uncompressed(&[6; 65], 65).is_err());
    }

    #[test]
    fn compressed_form_of_a_valid_key_is_refused() {
        let secret = p256_ops::parse_secret(&[7u8; 32]).unwrap();
        let public = secret.public_key();
        let uncompressed = p256_ops::encode_public(&public);
        assert!(p256_ops::parse_public(&uncompressed).is_ok());
        use p256::elliptic_curve::sec1::ToSec1Point as _;
        let compressed = public.to_sec1_point(true).as_bytes().to_vec();
        assert_eq!(compressed.len(), 33);
        assert!(p256::PublicKey::from_sec1_bytes(&compressed).is_ok());
        assert!(p256_ops::parse_public(&compressed).is_err());
    }

    #[test]
    fn scalars_out_of_range_are_refused() {
        assert!(p256_ops::parse_secret(&[0; 32]).is_err());
        assert!(p256_ops::parse_secret(&[0xff; 32]).is_err());
        assert!(p256_ops::parse_secret(&[1; 31]).is_err());
        assert!(p521_ops::parse_secret(&[0xff; 66]).is_err());
        assert!(p521_ops::parse_secret(&[1; 65]).is_err());
        let mut one = [0u8; 66];
        one[65] = 1;
        assert!(p521_ops::parse_secret(&one).is_ok());
    }
}
