//! Signature keys: the in-memory [`RustCryptoSigner`] and the parsed
//! [`RustCryptoVerifyingKey`] (RFC 9420 §5.1.2).
//!
//! * Ed25519 (RFC 8032) with ed25519-dalek: keys and signatures first pass
//!   the shared policy pre-check of [`backend_common::ed25519`]
//!   (canonical `S`, `A` and `R`; no small-order `A` or `R`), then dalek's
//!   cofactorless `verify`. This is [`backend_common::ED25519_POLICY`],
//!   the same rule set the ring backend applies.
//! * ECDSA over P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 (FIPS 186-5):
//!   uncompressed public keys only, DER signatures only, produced
//!   deterministically (RFC 6979); see [`crate::nist`].
//! * Ed448 (RFC 8032, empty context) with ed448-goldilocks, behind the
//!   `x448` feature.

use std::fmt;

use ed25519_dalek::Signer as _;
use ed25519_dalek::Verifier as _;
use keypackage_traits::crypto::Signer;
use keypackage_traits::{CryptoError, SignaturePrivateKey, SignaturePublicKey, SignatureScheme};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::nist::{p256_ops, p384_ops, p521_ops};
use crate::primitives;

/// The error for a scheme this build does not implement (Ed448 without the
/// `x448` feature).
#[cfg(not(feature = "x448"))]
fn ed448_unsupported() -> CryptoError {
    CryptoError::UnsupportedSignatureScheme(keypackage_traits::SignatureScheme::Ed448)
}

/// A parsed signing key of one of the supported schemes.
enum SigningKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    #[cfg(feature = "x448")]
    Ed448(Box<ed448_goldilocks::SigningKey>),
}

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

    /// The encoded private key (EdDSA seed, or the fixed-length scalar).
    fn private_key(&self) -> Zeroizing<Vec<u8>> {
        match self {
            Self::Ed25519(key) => Zeroizing::new(key.as_bytes().to_vec()),
            Self::P256(key) => p256_ops::signing_key_bytes(key),
            Self::P384(key) => p384_ops::signing_key_bytes(key),
            Self::P521(key) => p521_ops::signing_key_bytes(key),
            #[cfg(feature = "x448")]
            Self::Ed448(key) => Zeroizing::new(key.as_bytes().to_vec()),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::Ed25519(key) => Ok(key.sign(message).to_bytes().to_vec()),
            Self::P256(key) => p256_ops::sign(key, message),
            Self::P384(key) => p384_ops::sign(key, message),
            Self::P521(key) => p521_ops::sign(key, message),
            #[cfg(feature = "x448")]
            Self::Ed448(key) => Ok(key.sign_raw(message).to_bytes().to_vec()),
        }
    }
}

/// An in-memory signature key, parsed once: signing neither re-parses the
/// private key nor re-derives the public key.
///
/// The key material zeroizes on drop and on [`Zeroize::zeroize`], after
/// which the signer refuses to sign; `Debug` shows the scheme and the public
/// key only.
///
/// ```
/// use backend_rustcrypto::RustCryptoSigner;
/// use keypackage_traits::{Signer, SignatureScheme};
///
/// let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519)?;
/// let stored = signer.private_key();
/// let again = RustCryptoSigner::from_private(SignatureScheme::Ed25519, &stored)?;
/// assert_eq!(signer.public_key(), again.public_key());
/// assert_eq!(signer.sign(b"hello")?, again.sign(b"hello")?); // Ed25519 is deterministic
/// # Ok::<(), keypackage_traits::CryptoError>(())
/// ```
pub struct RustCryptoSigner {
    scheme: SignatureScheme,
    public: SignaturePublicKey,
    /// `None` once zeroized.
    key: Option<SigningKey>,
}

impl RustCryptoSigner {
    fn from_key(scheme: SignatureScheme, key: SigningKey) -> Self {
        Self {
            scheme,
            public: SignaturePublicKey::new(key.public_key()),
            key: Some(key),
        }
    }

    /// A fresh random key for `scheme`, from the OS random source.
    pub fn generate(scheme: SignatureScheme) -> Result<Self, CryptoError> {
        let key = match scheme {
            SignatureScheme::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                primitives::random_bytes(seed.as_mut())?;
                SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
            SignatureScheme::EcdsaSecp256r1Sha256 => {
                SigningKey::P256(p256_ops::generate_signing_key()?)
            }
            SignatureScheme::EcdsaSecp384r1Sha384 => {
                SigningKey::P384(p384_ops::generate_signing_key()?)
            }
            SignatureScheme::EcdsaSecp521r1Sha512 => {
                SigningKey::P521(p521_ops::generate_signing_key()?)
            }
            SignatureScheme::Ed448 => {
                let mut seed = Zeroizing::new(vec![0u8; scheme.private_key_len()]);
                primitives::random_bytes(&mut seed)?;
                ed448_signing_key(&seed)?
            }
        };
        Ok(Self::from_key(scheme, key))
    }

    /// A signer for a stored private key: the 32-byte Ed25519 or 57-byte
    /// Ed448 seed (RFC 8032 §5.1.5, §5.2.5), or the big-endian ECDSA scalar
    /// of exactly 32, 48 or 66 bytes in `[1, n)`.
    pub fn from_private(
        scheme: SignatureScheme,
        private: &SignaturePrivateKey,
    ) -> Result<Self, CryptoError> {
        let bytes = private.expose();
        let key = match scheme {
            SignatureScheme::Ed25519 => {
                let seed: &[u8; 32] = bytes
                    .try_into()
                    .map_err(|_| CryptoError::InvalidPrivateKey("Ed25519 seed is not 32 bytes"))?;
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
        Ok(Self::from_key(scheme, key))
    }

    /// The private key, for persisting it (empty once zeroized).
    pub fn private_key(&self) -> SignaturePrivateKey {
        match &self.key {
            Some(key) => {
                SignaturePrivateKey::from(keypackage_traits::Secret::from(key.private_key()))
            }
            None => SignaturePrivateKey::new(Vec::new()),
        }
    }
}

#[cfg(feature = "x448")]
fn ed448_signing_key(seed: &[u8]) -> Result<SigningKey, CryptoError> {
    if seed.len() != SignatureScheme::Ed448.private_key_len() {
        return Err(CryptoError::InvalidPrivateKey("Ed448 seed is not 57 bytes"));
    }
    ed448_goldilocks::SigningKey::try_from(seed)
        .map(|key| SigningKey::Ed448(Box::new(key)))
        .map_err(|_| CryptoError::InvalidPrivateKey("Ed448 seed is not 57 bytes"))
}

#[cfg(not(feature = "x448"))]
fn ed448_signing_key(_seed: &[u8]) -> Result<SigningKey, CryptoError> {
    Err(ed448_unsupported())
}

impl Signer for RustCryptoSigner {
    fn signature_scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn public_key(&self) -> &SignaturePublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.key
            .as_ref()
            .ok_or(CryptoError::SignerFailed("the signing key was zeroized"))?
            .sign(message)
    }
}

/// Erases the key: every inner key type zeroizes itself when dropped, and
/// it is dropped in place.
impl Zeroize for RustCryptoSigner {
    fn zeroize(&mut self) {
        self.key = None;
    }
}

impl ZeroizeOnDrop for RustCryptoSigner {}

impl fmt::Debug for RustCryptoSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RustCryptoSigner")
            .field("scheme", &self.scheme)
            .field("public", &self.public)
            .field(
                "private",
                &if self.key.is_some() {
                    "<redacted>"
                } else {
                    "<zeroized>"
                },
            )
            .finish()
    }
}

/// A parsed, validated signature public key; see
/// [`keypackage_traits::CipherSuiteProvider::verifying_key`].
#[derive(Clone)]
pub struct RustCryptoVerifyingKey(VerifyingKey);

#[derive(Clone)]
enum VerifyingKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    #[cfg(feature = "x448")]
    Ed448(ed448_goldilocks::VerifyingKey),
}

impl RustCryptoVerifyingKey {
    /// Parses `public` for `scheme`: length, and for ECDSA an uncompressed,
    /// on-curve, non-identity point; for Ed25519 the shared policy (a
    /// canonical encoding of a point not of small order) and a valid point.
    pub fn parse(scheme: SignatureScheme, public: &[u8]) -> Result<Self, CryptoError> {
        let key = match scheme {
            SignatureScheme::Ed25519 => {
                let bytes = backend_common::ed25519::check_public_key(public).map_err(|_| {
                    CryptoError::InvalidPublicKey(
                        "Ed25519 key breaks the policy: wrong length, non-canonical or small order",
                    )
                })?;
                VerifyingKey::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(
                    |_| CryptoError::InvalidPublicKey("Ed25519 key is not a curve point"),
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
        Ok(Self(key))
    }

    /// The Ed25519 key, for [`ed25519_verify_each`].
    pub(crate) fn ed25519(&self) -> Option<&ed25519_dalek::VerifyingKey> {
        match &self.0 {
            VerifyingKey::Ed25519(key) => Some(key),
            _ => None,
        }
    }

    /// The scheme the key belongs to.
    pub fn signature_scheme(&self) -> SignatureScheme {
        match &self.0 {
            VerifyingKey::Ed25519(_) => SignatureScheme::Ed25519,
            VerifyingKey::P256(_) => SignatureScheme::EcdsaSecp256r1Sha256,
            VerifyingKey::P384(_) => SignatureScheme::EcdsaSecp384r1Sha384,
            VerifyingKey::P521(_) => SignatureScheme::EcdsaSecp521r1Sha512,
            #[cfg(feature = "x448")]
            VerifyingKey::Ed448(_) => SignatureScheme::Ed448,
        }
    }

    /// Verifies `signature` on `message`: [`CryptoError::InvalidSignature`]
    /// for any malformed or wrong signature.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        match &self.0 {
            VerifyingKey::Ed25519(key) => {
                // Policy rules 1-3 (S < L, canonical non-small-order R), then
                // dalek's cofactorless check (rule 4).
                backend_common::ed25519::check_signature(signature)
                    .map_err(|_| CryptoError::InvalidSignature)?;
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
                if !signature.get(..57).is_some_and(ed448_point_is_canonical) {
                    return Err(CryptoError::InvalidSignature);
                }
                let signature = ed448_goldilocks::Signature::try_from(signature)
                    .map_err(|_| CryptoError::InvalidSignature)?;
                key.verify_raw(&signature, message)
                    .map_err(|_| CryptoError::InvalidSignature)
            }
        }
    }
}

/// `[S]B - [k]A` for one Ed25519 signature, with `k = SHA-512(R || A || M)`
/// reduced mod L: ed25519-dalek's `RCompute` (the cofactorless check of its
/// `verify`), stopped before the point is compressed. `None` when the
/// signature breaks rules 1-3 of the shared policy (which also makes `S`
/// canonical, as dalek requires). Returns the signature's `R` bytes with it.
fn ed25519_recompute_r(
    key: &ed25519_dalek::VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Option<([u8; 32], curve25519_dalek::EdwardsPoint)> {
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use sha2::{Digest, Sha512};

    backend_common::ed25519::check_signature(signature).ok()?;
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
/// [`RustCryptoVerifyingKey::verify`] (shared policy, then dalek's
/// cofactorless `verify`), for less: each item's `[S]B - [k]A` is computed
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

/// Whether a 57-byte Ed448 point encoding is canonical (RFC 8032 §5.2.2,
/// §5.2.3): the final octet holds only the sign bit of x, and y < p, where
/// p = 2^448 - 2^224 - 1. ed448-goldilocks decodes some non-canonical
/// encodings (bits 448 to 454 set), so this is checked first.
#[cfg(feature = "x448")]
fn ed448_point_is_canonical(encoded: &[u8]) -> bool {
    let Some((last, y)) = encoded.split_last() else {
        return false;
    };
    if encoded.len() != 57 || last & 0x7F != 0 {
        return false;
    }
    // p in little-endian: 0xFF bytes, except byte 28 (bits 224..231), 0xFE.
    let p_byte = |i: usize| if i == 28 { 0xFE } else { 0xFF };
    for (i, byte) in y.iter().enumerate().rev() {
        let limit = p_byte(i);
        if *byte != limit {
            return *byte < limit;
        }
    }
    false // y == p
}

#[cfg(feature = "x448")]
fn ed448_verifying_key(public: &[u8]) -> Result<VerifyingKey, CryptoError> {
    if !ed448_point_is_canonical(public) {
        return Err(CryptoError::InvalidPublicKey(
            "Ed448 key is not a canonical 57-byte point encoding",
        ));
    }
    let bytes: [u8; 57] = public
        .try_into()
        .map_err(|_| CryptoError::InvalidPublicKey("Ed448 key is not 57 bytes"))?;
    ed448_goldilocks::VerifyingKey::from_bytes(&bytes)
        .map(VerifyingKey::Ed448)
        .map_err(|_| CryptoError::InvalidPublicKey("Ed448 key is not a valid point"))
}

#[cfg(not(feature = "x448"))]
fn ed448_verifying_key(_public: &[u8]) -> Result<VerifyingKey, CryptoError> {
    Err(ed448_unsupported())
}

impl fmt::Debug for RustCryptoVerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RustCryptoVerifyingKey")
            .field(&self.signature_scheme())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                Err(CryptoError::SignerFailed("the signing key was zeroized"))
            );
            assert!(format!("{signer:?}").contains("<zeroized>"));
        }
    }

    #[cfg(feature = "x448")]
    #[test]
    fn ed448_point_encodings_must_be_canonical() {
        let mut y = [0u8; 57];
        y[0] = 1;
        assert!(ed448_point_is_canonical(&y));
        y[56] = 0x80;
        assert!(ed448_point_is_canonical(&y));
        y[56] = 0x01;
        assert!(!ed448_point_is_canonical(&y));
        let mut p = [0xFFu8; 57];
        p[28] = 0xFE;
        p[56] = 0;
        assert!(!ed448_point_is_canonical(&p));
        p[0] = 0xFE; // p - 1
        assert!(ed448_point_is_canonical(&p));
        assert!(!ed448_point_is_canonical(&p[..56]));
    }

    #[test]
    fn stored_keys_round_trip() {
        for scheme in ALL_SCHEMES {
            let signer = RustCryptoSigner::generate(scheme).unwrap();
            let again = RustCryptoSigner::from_private(scheme, &signer.private_key()).unwrap();
            assert_eq!(signer.public_key(), again.public_key());
            assert_eq!(
                signer.public_key().as_slice().len(),
                scheme.public_key_len()
            );
            let key =
                RustCryptoVerifyingKey::parse(scheme, signer.public_key().as_slice()).unwrap();
            let signature = again.sign(b"message").unwrap();
            assert!(signature.len() <= scheme.max_signature_len());
            assert_eq!(key.verify(b"message", &signature), Ok(()));
            assert_eq!(
                key.verify(b"massage", &signature),
                Err(CryptoError::InvalidSignature)
            );
        }
    }
}
