//! Signature keys (RFC 9420 §5.1.2): backend-common's [`Signatures`], and
//! [`RustCryptoSigner`], backend-common's in-memory signer over them.
//!
//! * Ed25519 (RFC 8032) with ed25519-dalek: cofactorless `verify`, after
//!   backend-common's policy pre-check
//!   ([`ED25519_POLICY`](backend_common::ED25519_POLICY)); `verify_each`
//!   shares one field inversion between the items.
//! * ECDSA over P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 (FIPS 186-5):
//!   uncompressed public keys only, DER signatures only, produced
//!   deterministically (RFC 6979); see [`crate::nist`].
//! * Ed448 (RFC 8032, empty context) with ed448-goldilocks, behind the
//!   `x448` feature, after backend-common's encoding policy
//!   ([`backend_common::ed448`]).

use backend_common::{CryptoResult, MemorySigner, Signatures};
use ed25519_dalek::Signer as _;
use ed25519_dalek::Verifier as _;
use keypackage_traits::{CryptoError, SignatureScheme};
use zeroize::ZeroizeOnDrop;

use crate::nist::{p256_ops, p384_ops, p521_ops};
use crate::provider::RustCryptoBackend;

/// An in-memory signature key of the RustCrypto backend: Ed25519, ECDSA
/// P-256, P-384, P-521, and Ed448 with the `x448` feature. The key
/// material zeroizes on drop and on `zeroize()`, after which the signer
/// refuses to sign; `Debug` shows the scheme and the public key only.
///
/// ```
/// use backend_rustcrypto::{RustCrypto, RustCryptoSigner};
/// use keypackage_traits::{CipherSuiteProvider, CipherSuite, OpenMlsCrypto, Signer, SignatureScheme};
///
/// let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519)?;
/// let stored = signer.private_key();
/// let suite = RustCrypto::new().suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519)?;
/// let again = suite.signer(&stored)?;
/// assert_eq!(signer.public_key(), again.public_key());
/// assert_eq!(signer.sign(b"hello")?, again.sign(b"hello")?); // Ed25519 is deterministic
/// # Ok::<(), keypackage_traits::CryptoError>(())
/// ```
pub type RustCryptoSigner = MemorySigner<RustCryptoBackend>;

/// The error for a scheme this build does not implement (Ed448 without the
/// `x448` feature).
#[cfg(not(feature = "x448"))]
fn ed448_unsupported() -> CryptoError {
    CryptoError::UnsupportedSignatureScheme {
        scheme: SignatureScheme::Ed448,
    }
}

/// A parsed signing key of one of the supported schemes. Public only
/// because it is the backend's `Signatures::SigningKey`; not exported.
pub struct RustCryptoSigningKey(SigningKey);

enum SigningKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    #[cfg(feature = "x448")]
    Ed448(Box<ed448_goldilocks::SigningKey>),
}

/// Every variant's key wipes itself when dropped (ed25519-dalek's and
/// ed448-goldilocks' `SigningKey`, RustCrypto's ECDSA `SigningKey`).
impl ZeroizeOnDrop for RustCryptoSigningKey {}

impl SigningKey {
    /// The encoded public key (raw EdDSA bytes, or an uncompressed point).
    fn public_key(&self) -> Vec<u8> {
        match self {
            Self::Ed25519(key) => key.verifying_key().to_bytes().to_vec(),
            Self::P256(key) => p256_ops::signing_key_public(key),
            Self::P384(key) => p384_ops::signing_key_public(key),
            Self::P521(key) => p521_ops::signing_key_public(key),
            #[cfg(feature = "x448")]
            Self::Ed448(key) => key.verifying_key().to_bytes().to_vec(),
        }
    }
}

#[cfg(feature = "x448")]
fn ed448_signing_key(seed: &[u8]) -> Result<SigningKey, CryptoError> {
    if seed.len() != SignatureScheme::Ed448.private_key_len() {
        return Err(CryptoError::InvalidPrivateKey {
            detail: "Ed448 seed is not 57 bytes",
        });
    }
    ed448_goldilocks::SigningKey::try_from(seed)
        .map(|key| SigningKey::Ed448(Box::new(key)))
        .map_err(|_| CryptoError::InvalidPrivateKey {
            detail: "Ed448 seed is not 57 bytes",
        })
}

#[cfg(not(feature = "x448"))]
fn ed448_signing_key(_seed: &[u8]) -> Result<SigningKey, CryptoError> {
    Err(ed448_unsupported())
}

/// A parsed signature public key. Public only because it is the
/// backend's `Signatures::VerifyingKey`; not exported.
pub struct RustCryptoVerifyingKey(VerifyingKey);

enum VerifyingKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    #[cfg(feature = "x448")]
    Ed448(ed448_goldilocks::VerifyingKey),
}

impl Signatures for RustCryptoBackend {
    type SigningKey = RustCryptoSigningKey;
    type VerifyingKey = RustCryptoVerifyingKey;

    /// The 32-byte Ed25519 or 57-byte Ed448 seed (RFC 8032 §5.1.5,
    /// §5.2.5), or the big-endian ECDSA scalar of exactly 32, 48 or 66
    /// bytes in `[1, n)`.
    fn signing_key(scheme: SignatureScheme, bytes: &[u8]) -> CryptoResult<RustCryptoSigningKey> {
        let key = match scheme {
            SignatureScheme::Ed25519 => {
                let seed: &[u8; 32] =
                    bytes
                        .try_into()
                        .map_err(|_| CryptoError::InvalidPrivateKey {
                            detail: "Ed25519 seed is not 32 bytes",
                        })?;
                SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed))
            }
            SignatureScheme::EcdsaSecp256r1Sha256 => {
                SigningKey::P256(p256_ops::signing_key(bytes)?)
            }
            SignatureScheme::EcdsaSecp384r1Sha384 => {
                SigningKey::P384(p384_ops::signing_key(bytes)?)
            }
            SignatureScheme::EcdsaSecp521r1Sha512 => {
                SigningKey::P521(p521_ops::signing_key(bytes)?)
            }
            SignatureScheme::Ed448 => ed448_signing_key(bytes)?,
        };
        Ok(RustCryptoSigningKey(key))
    }

    fn signing_key_public(key: &RustCryptoSigningKey) -> Vec<u8> {
        key.0.public_key()
    }

    /// Ed25519 and Ed448 deterministic (RFC 8032); ECDSA deterministic
    /// (RFC 6979), DER-encoded.
    fn sign(key: &RustCryptoSigningKey, message: &[u8]) -> CryptoResult<Vec<u8>> {
        match &key.0 {
            SigningKey::Ed25519(key) => Ok(key.sign(message).to_bytes().to_vec()),
            SigningKey::P256(key) => p256_ops::sign(key, message),
            SigningKey::P384(key) => p384_ops::sign(key, message),
            SigningKey::P521(key) => p521_ops::sign(key, message),
            #[cfg(feature = "x448")]
            SigningKey::Ed448(key) => Ok(key.sign_raw(message).to_bytes().to_vec()),
        }
    }

    /// The point: for ECDSA an uncompressed, on-curve, non-identity point;
    /// for Ed25519 and Ed448 a decodable point (the encodings already
    /// passed backend-common's policy).
    fn verifying_key(
        scheme: SignatureScheme,
        public: &[u8],
    ) -> CryptoResult<RustCryptoVerifyingKey> {
        let key = match scheme {
            SignatureScheme::Ed25519 => {
                let bytes: &[u8; 32] =
                    public
                        .try_into()
                        .map_err(|_| CryptoError::InvalidPublicKey {
                            detail: "Ed25519 keys are 32 bytes",
                        })?;
                VerifyingKey::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(
                    |_| CryptoError::InvalidPublicKey {
                        detail: "Ed25519 key is not a curve point",
                    },
                )?)
            }
            SignatureScheme::EcdsaSecp256r1Sha256 => {
                VerifyingKey::P256(p256_ops::verifying_key(public)?)
            }
            SignatureScheme::EcdsaSecp384r1Sha384 => {
                VerifyingKey::P384(p384_ops::verifying_key(public)?)
            }
            SignatureScheme::EcdsaSecp521r1Sha512 => {
                VerifyingKey::P521(p521_ops::verifying_key(public)?)
            }
            SignatureScheme::Ed448 => ed448_verifying_key(public)?,
        };
        Ok(RustCryptoVerifyingKey(key))
    }

    fn verify(key: &RustCryptoVerifyingKey, message: &[u8], signature: &[u8]) -> CryptoResult<()> {
        match &key.0 {
            VerifyingKey::Ed25519(key) => {
                // Rule 4 of the policy: dalek's cofactorless check.
                let signature = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| CryptoError::InvalidSignature)?;
                key.verify(message, &signature)
                    .map_err(|_| CryptoError::InvalidSignature)
            }
            VerifyingKey::P256(key) => p256_ops::verify(key, message, signature),
            VerifyingKey::P384(key) => p384_ops::verify(key, message, signature),
            VerifyingKey::P521(key) => p521_ops::verify(key, message, signature),
            #[cfg(feature = "x448")]
            VerifyingKey::Ed448(key) => {
                let signature = ed448_goldilocks::Signature::try_from(signature)
                    .map_err(|_| CryptoError::InvalidSignature)?;
                key.verify_raw(&signature, message)
                    .map_err(|_| CryptoError::InvalidSignature)
            }
        }
    }

    /// Ed25519 keys go through [`ed25519_verify_each`] (one field inversion
    /// shared by all items, each verdict exactly `verify`'s); every other
    /// item through `verify`.
    fn verify_each(items: &[(&RustCryptoVerifyingKey, &[u8], &[u8])]) -> Vec<CryptoResult<()>> {
        let mut verdicts = Vec::with_capacity(items.len());
        let mut ed25519 = Vec::new();
        let mut ed25519_at = Vec::new();
        for (i, (key, message, signature)) in items.iter().enumerate() {
            match &key.0 {
                VerifyingKey::Ed25519(ed) => {
                    ed25519.push((ed, *message, *signature));
                    ed25519_at.push(i);
                    verdicts.push(Err(CryptoError::InvalidSignature));
                }
                _ => verdicts.push(Self::verify(key, message, signature)),
            }
        }
        let shared = ed25519_verify_each(&ed25519);
        for (i, verdict) in ed25519_at.into_iter().zip(shared) {
            if let Some(slot) = verdicts.get_mut(i) {
                *slot = verdict;
            }
        }
        verdicts
    }
}

/// `[S]B - [k]A` for one Ed25519 signature, with `k = SHA-512(R || A || M)`
/// reduced mod L: ed25519-dalek's `RCompute` (the cofactorless check of its
/// `verify`), stopped before the point is compressed. The signature already
/// passed rules 1-3 of the shared policy; `None` when it is not 64 bytes or
/// `S` is not canonical, as dalek requires. Returns the signature's `R`
/// bytes with it.
fn ed25519_recompute_r(
    key: &ed25519_dalek::VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Option<([u8; 32], curve25519_dalek::EdwardsPoint)> {
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use sha2::{Digest, Sha512};

    let (r, s) = signature.split_at_checked(32)?;
    let r: [u8; 32] = r.try_into().ok()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s.try_into().ok()?))?;
    let mut h = Sha512::new();
    h.update(r);
    h.update(key.as_bytes());
    h.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let minus_a = -key.to_edwards();
    Some((
        r,
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &minus_a, &s),
    ))
}

/// Ed25519 verification of each item on its own, with the verdict of
/// [`Signatures::verify`] (dalek's cofactorless `verify`), for less: each item's `[S]B - [k]A` is computed
/// exactly as dalek does, and all of them are compressed together with one
/// batch field inversion (Montgomery's trick, `compress_batch_alloc`)
/// instead of one inversion each, about a tenth of a verification. Each
/// comparison with the item's own `R` is separate, so no item's verdict
/// depends on another's (an inversion is exact, and the `Z` coordinate of
/// a curve point is never zero).
pub(crate) fn ed25519_verify_each(
    items: &[(&ed25519_dalek::VerifyingKey, &[u8], &[u8])],
) -> Vec<Result<(), CryptoError>> {
    let mut verdicts = vec![Err(CryptoError::InvalidSignature); items.len()];
    let mut pending = Vec::with_capacity(items.len());
    let mut points = Vec::with_capacity(items.len());
    for (i, (key, message, signature)) in items.iter().enumerate() {
        if let Some((r, point)) = ed25519_recompute_r(key, message, signature) {
            pending.push((i, r));
            points.push(point);
        }
    }
    let compressed = curve25519_dalek::EdwardsPoint::compress_batch_alloc(&points);
    for ((i, r), recomputed) in pending.into_iter().zip(compressed) {
        if recomputed.to_bytes() == r
            && let Some(verdict) = verdicts.get_mut(i)
        {
            *verdict = Ok(());
        }
    }
    verdicts
}

#[cfg(feature = "x448")]
fn ed448_verifying_key(public: &[u8]) -> Result<VerifyingKey, CryptoError> {
    let bytes: [u8; 57] = public
        .try_into()
        .map_err(|_| CryptoError::InvalidPublicKey {
            detail: "Ed448 key is not 57 bytes",
        })?;
    ed448_goldilocks::VerifyingKey::from_bytes(&bytes)
        .map(VerifyingKey::Ed448)
        .map_err(|_| CryptoError::InvalidPublicKey {
            detail: "Ed448 key is not a valid point",
        })
}

#[cfg(not(feature = "x448"))]
fn ed448_verifying_key(_public: &[u8]) -> Result<VerifyingKey, CryptoError> {
    Err(ed448_unsupported())
}

#[cfg(test)]
mod tests {
    use keypackage_traits::Signer;
    use zeroize::Zeroize;

    use super::*;

    fn zeroizes_on_drop<T: ZeroizeOnDrop>() {}

    /// The claim of `impl ZeroizeOnDrop for RustCryptoSigningKey`, checked
    /// by the compiler for every variant, and so for the signer.
    #[test]
    fn signing_keys_zeroize_on_drop() {
        zeroizes_on_drop::<ed25519_dalek::SigningKey>();
        zeroizes_on_drop::<p256::ecdsa::SigningKey>();
        zeroizes_on_drop::<p384::ecdsa::SigningKey>();
        zeroizes_on_drop::<p521::ecdsa::SigningKey>();
        #[cfg(feature = "x448")]
        zeroizes_on_drop::<ed448_goldilocks::SigningKey>();
        zeroizes_on_drop::<RustCryptoSigner>();
    }

    const ALL_SCHEMES: [SignatureScheme; 4] = [
        SignatureScheme::Ed25519,
        SignatureScheme::EcdsaSecp256r1Sha256,
        SignatureScheme::EcdsaSecp384r1Sha384,
        SignatureScheme::EcdsaSecp521r1Sha512,
    ];

    #[test]
    fn debug_never_shows_the_private_key() {
        for scheme in ALL_SCHEMES {
            let signer = RustCryptoSigner::generate(scheme).unwrap();
            let private = hex::encode(signer.private_key().expose());
            let text = format!("{signer:?}");
            assert!(!text.contains(&private), "{text}");
            // No 8-byte window of the private key shows up either.
            for window in private.as_bytes().chunks(16) {
                let window = std::str::from_utf8(window).unwrap();
                if window.len() == 16 {
                    assert!(!text.to_lowercase().contains(window), "{text}");
                }
            }
            assert!(text.contains("<redacted>"));
            let key = signer.private_key();
            assert!(!format!("{key:?}").contains(&private));
        }
    }

    #[test]
    fn zeroize_erases_the_key_and_stops_signing() {
        for scheme in ALL_SCHEMES {
            let mut signer = RustCryptoSigner::generate(scheme).unwrap();
            assert_eq!(
                signer.private_key().expose().len(),
                scheme.private_key_len()
            );
            assert!(signer.sign(b"m").is_ok());
            signer.zeroize();
            assert!(signer.private_key().expose().is_empty());
            assert_eq!(
                signer.sign(b"m"),
                Err(CryptoError::SignerFailed {
                    detail: "the signing key was zeroized"
                })
            );
            assert!(format!("{signer:?}").contains("<zeroized>"));
        }
    }

    /// RFC 8032 §5.2.3: an encoding with x = 0 (y = 1 here, the identity)
    /// and the sign bit set does not decode; through the provider, the
    /// shared policy refuses it as a key and as a signature's `R`.
    #[cfg(feature = "x448")]
    #[test]
    fn ed448_x_zero_with_the_sign_bit_is_refused() {
        use keypackage_traits::{
            CipherSuite, CipherSuiteProvider, OpenMlsCrypto, SignaturePublicKey,
        };
        let suite = crate::RustCrypto::new()
            .suite(CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448)
            .unwrap();
        let mut x_zero = [0u8; 57];
        x_zero[0] = 1;
        x_zero[56] = 0x80;
        assert!(matches!(
            suite.verifying_key(&SignaturePublicKey::new(x_zero.to_vec())),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        let signer = RustCryptoSigner::generate(SignatureScheme::Ed448).unwrap();
        let key = suite.verifying_key(signer.public_key()).unwrap();
        let mut signature = signer.sign(b"message").unwrap();
        assert_eq!(suite.verify_with(&key, b"message", &signature), Ok(()));
        signature[..57].copy_from_slice(&x_zero);
        assert_eq!(
            suite.verify_with(&key, b"message", &signature),
            Err(CryptoError::InvalidSignature)
        );
    }

    #[test]
    fn stored_keys_round_trip() {
        for scheme in ALL_SCHEMES {
            let signer = RustCryptoSigner::generate(scheme).unwrap();
            let again =
                RustCryptoBackend::signing_key(scheme, signer.private_key().expose()).unwrap();
            assert_eq!(
                signer.public_key().as_slice(),
                RustCryptoBackend::signing_key_public(&again)
            );
            assert_eq!(
                signer.public_key().as_slice().len(),
                scheme.public_key_len()
            );
            let key =
                RustCryptoBackend::verifying_key(scheme, signer.public_key().as_slice()).unwrap();
            let signature = RustCryptoBackend::sign(&again, b"message").unwrap();
            assert!(signature.len() <= scheme.max_signature_len());
            assert_eq!(
                RustCryptoBackend::verify(&key, b"message", &signature),
                Ok(())
            );
            assert_eq!(
                RustCryptoBackend::verify(&key, b"massage", &signature),
                Err(CryptoError::InvalidSignature)
            );
        }
    }
}
