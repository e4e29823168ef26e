//! Ed25519 and ECDSA signing and verification with ring (keys: RFC 9420
//! §5.1.1; signatures: §5.1.2): backend-common's [`Signatures`], and
//! [`RingSigner`], backend-common's in-memory signer over them.
//!
//! * Ed25519 (RFC 8032): the private key is the 32-byte seed; ring verifies
//!   with the cofactorless equation, after backend-common's policy
//!   pre-check ([`ED25519_POLICY`]).
//! * ECDSA P-256/SHA-256 and P-384/SHA-384: the private key is the
//!   fixed-length big-endian scalar, the public key an uncompressed point,
//!   signatures are DER `Ecdsa-Sig-Value` (ring's `*_ASN1` algorithms).
//!
//! [`ED25519_POLICY`]: backend_common::ED25519_POLICY

use backend_common::{CryptoResult, MemorySigner, Signatures};
use curve25519_dalek::edwards::CompressedEdwardsY;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use keypackage_traits::{CryptoError, SignatureScheme};

use crate::dh::{self, DhGroup};
use crate::provider::RingBackend;

/// An in-memory signature key of the ring backend: Ed25519, ECDSA P-256 or
/// P-384. `RingSigner::generate(scheme)` makes one; a stored key loads with
/// the suite's `signer(&private)`. The private key bytes are kept (zeroized
/// on drop, redacted in `Debug`) so that the caller can store them; ring's
/// own key state inside is not wiped by ring.
pub type RingSigner = MemorySigner<RingBackend>;

/// The error for a scheme ring does not implement here (P-521, Ed448).
fn unsupported(scheme: SignatureScheme) -> CryptoError {
    CryptoError::UnsupportedSignatureScheme { scheme }
}

/// ring's signing algorithm for an ECDSA scheme (DER signatures).
fn ecdsa_signing(scheme: SignatureScheme) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match scheme {
        SignatureScheme::EcdsaSecp256r1Sha256 => Some(&signature::ECDSA_P256_SHA256_ASN1_SIGNING),
        SignatureScheme::EcdsaSecp384r1Sha384 => Some(&signature::ECDSA_P384_SHA384_ASN1_SIGNING),
        _ => None,
    }
}

/// The ring key behind a [`RingSigner`]. Public only because it is the
/// backend's `Signatures::SigningKey`; not exported.
pub enum RingSigningKey {
    /// An Ed25519 key pair.
    Ed25519(Ed25519KeyPair),
    /// An ECDSA key pair, and the random source its signatures draw from.
    Ecdsa(EcdsaKeyPair, SystemRandom),
}

/// A parsed signature public key: ring takes the encoded key in every
/// `verify`, so this keeps the bytes. Public only because it is the
/// backend's `Signatures::VerifyingKey`; not exported.
pub struct RingVerifyingKey {
    scheme: SignatureScheme,
    bytes: Vec<u8>,
}

impl Signatures for RingBackend {
    type SigningKey = RingSigningKey;
    type VerifyingKey = RingVerifyingKey;

    /// The 32-byte Ed25519 seed (`Ed25519KeyPair::from_seed_unchecked`),
    /// or the ECDSA scalar (exactly 32 or 48 big-endian bytes, in `[1, n)`),
    /// which ring loads only next to its public key
    /// (`EcdsaKeyPair::from_private_key_and_public_key`), computed by the
    /// Diffie-Hellman seam; ring checks that the two belong together.
    fn signing_key(scheme: SignatureScheme, bytes: &[u8]) -> CryptoResult<RingSigningKey> {
        match scheme {
            SignatureScheme::Ed25519 => {
                if bytes.len() != 32 {
                    return Err(CryptoError::InvalidPrivateKey {
                        detail: "Ed25519 seeds are 32 bytes",
                    });
                }
                let pair = Ed25519KeyPair::from_seed_unchecked(bytes).map_err(|_| {
                    CryptoError::InvalidPrivateKey {
                        detail: "Ed25519 seed refused",
                    }
                })?;
                Ok(RingSigningKey::Ed25519(pair))
            }
            SignatureScheme::EcdsaSecp256r1Sha256 | SignatureScheme::EcdsaSecp384r1Sha384 => {
                let group = DhGroup::from_ecdsa(scheme).ok_or_else(|| unsupported(scheme))?;
                let alg = ecdsa_signing(scheme).ok_or_else(|| unsupported(scheme))?;
                let public = dh::public_key(group, bytes)?;
                let rng = SystemRandom::new();
                let pair = EcdsaKeyPair::from_private_key_and_public_key(alg, bytes, &public, &rng)
                    .map_err(|_| CryptoError::InvalidPrivateKey {
                        detail: "ECDSA scalar refused by ring",
                    })?;
                Ok(RingSigningKey::Ecdsa(pair, rng))
            }
            _ => Err(unsupported(scheme)),
        }
    }

    fn signing_key_public(key: &RingSigningKey) -> Vec<u8> {
        match key {
            RingSigningKey::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
            RingSigningKey::Ecdsa(pair, _) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// Ed25519 (deterministic), or ECDSA with a fresh nonce from ring's
    /// random source, DER-encoded.
    fn sign(key: &RingSigningKey, message: &[u8]) -> CryptoResult<Vec<u8>> {
        match key {
            RingSigningKey::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            RingSigningKey::Ecdsa(pair, rng) => pair
                .sign(rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| CryptoError::RandomnessUnavailable),
        }
    }

    /// Ed25519: a point on the curve (the encoding already passed
    /// backend-common's policy). ring decodes the point only inside
    /// `verify`, so curve25519-dalek decompresses it here, to refuse the
    /// key when it is parsed, as the other backend does. ECDSA: an
    /// uncompressed point on the curve.
    fn verifying_key(scheme: SignatureScheme, public: &[u8]) -> CryptoResult<RingVerifyingKey> {
        match scheme {
            SignatureScheme::Ed25519 => {
                let encoded: [u8; 32] =
                    public
                        .try_into()
                        .map_err(|_| CryptoError::InvalidPublicKey {
                            detail: "Ed25519 keys are 32 bytes",
                        })?;
                if CompressedEdwardsY(encoded).decompress().is_none() {
                    return Err(CryptoError::InvalidPublicKey {
                        detail: "Ed25519 key is not a curve point",
                    });
                }
            }
            SignatureScheme::EcdsaSecp256r1Sha256 | SignatureScheme::EcdsaSecp384r1Sha384 => {
                let group = DhGroup::from_ecdsa(scheme).ok_or_else(|| unsupported(scheme))?;
                dh::validate_public_key(group, public)?;
            }
            _ => return Err(unsupported(scheme)),
        }
        Ok(RingVerifyingKey {
            scheme,
            bytes: public.to_vec(),
        })
    }

    /// ring's verification: for Ed25519 the cofactorless equation (rule 4
    /// of the policy).
    fn verify(key: &RingVerifyingKey, message: &[u8], signature: &[u8]) -> CryptoResult<()> {
        let alg: &'static dyn signature::VerificationAlgorithm = match key.scheme {
            SignatureScheme::Ed25519 => &signature::ED25519,
            SignatureScheme::EcdsaSecp256r1Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            SignatureScheme::EcdsaSecp384r1Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
            _ => return Err(unsupported(key.scheme)),
        };
        UnparsedPublicKey::new(alg, &key.bytes)
            .verify(message, signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }
}

#[cfg(test)]
mod tests {
    use keypackage_traits::{SignaturePrivateKey, Signer};
    use zeroize::Zeroize;

    use super::*;

    #[test]
    fn signers_never_print_their_key_and_zeroize() {
        for scheme in [
            SignatureScheme::Ed25519,
            SignatureScheme::EcdsaSecp256r1Sha256,
            SignatureScheme::EcdsaSecp384r1Sha384,
        ] {
            let mut signer = RingSigner::generate(scheme).unwrap();
            let private = signer.private_key();
            assert_eq!(private.expose().len(), scheme.private_key_len());
            let text = format!("{signer:?}");
            assert!(
                !text.contains(&hex::encode(private.expose())[..16]),
                "{text}"
            );
            assert!(text.contains("<redacted>"));
            assert!(signer.sign(b"m").is_ok());
            signer.zeroize();
            assert!(signer.private_key().expose().is_empty());
            assert!(signer.sign(b"m").is_err());
            assert!(format!("{signer:?}").contains("<zeroized>"));
        }
        let seed = SignaturePrivateKey::new(vec![0xAB; 32]);
        let key = RingBackend::signing_key(SignatureScheme::Ed25519, seed.expose()).unwrap();
        assert_eq!(RingBackend::signing_key_public(&key).len(), 32);
    }
}
