//! Ed25519 and ECDSA signing and verification with ring (keys: RFC 9420
//! §5.1.1; signatures: §5.1.2).
//!
//! * Ed25519 (RFC 8032): the private key is the 32-byte seed; ring verifies
//!   with the cofactorless equation, after the shared pre-check of
//!   [`backend_common::ed25519`] ([`ED25519_POLICY`]).
//! * ECDSA P-256/SHA-256 and P-384/SHA-384: the private key is the
//!   fixed-length big-endian scalar, the public key an uncompressed point,
//!   signatures are DER `Ecdsa-Sig-Value` (ring's `*_ASN1` algorithms).
//!
//! [`ED25519_POLICY`]: backend_common::ED25519_POLICY

use std::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use backend_common::ed25519 as policy;
use keypackage_traits::{
    CryptoError, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, Signer,
};

use crate::static_dh::{self, DhGroup};

/// The error for a scheme ring does not implement here (P-521, Ed448).
fn unsupported(scheme: SignatureScheme) -> CryptoError {
    CryptoError::UnsupportedSignatureScheme(scheme)
}

/// ring's signing algorithm for an ECDSA scheme (DER signatures).
fn ecdsa_signing(scheme: SignatureScheme) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match scheme {
        SignatureScheme::EcdsaSecp256r1Sha256 => Some(&signature::ECDSA_P256_SHA256_ASN1_SIGNING),
        SignatureScheme::EcdsaSecp384r1Sha384 => Some(&signature::ECDSA_P384_SHA384_ASN1_SIGNING),
        _ => None,
    }
}

/// The ring key behind a [`RingSigner`].
enum SigningKey {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair, SystemRandom),
}

/// An in-memory signature key of the ring backend.
///
/// The private key bytes are kept (zeroized on drop, redacted in `Debug`)
/// so that the caller can store them; ring's own key schedule inside the
/// signer is not zeroized by ring.
pub struct RingSigner {
    scheme: SignatureScheme,
    public: SignaturePublicKey,
    private: SignaturePrivateKey,
    key: SigningKey,
}

impl RingSigner {
    /// A fresh key for `scheme` (Ed25519, ECDSA P-256 or P-384) from ring's
    /// system random source.
    pub fn generate(scheme: SignatureScheme) -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        let fill = |out: &mut [u8]| {
            rng.fill(out)
                .map_err(|_| CryptoError::RandomnessUnavailable)
        };
        match scheme {
            SignatureScheme::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                fill(&mut *seed)?;
                Self::from_private(scheme, &SignaturePrivateKey::new(seed.to_vec()))
            }
            SignatureScheme::EcdsaSecp256r1Sha256 | SignatureScheme::EcdsaSecp384r1Sha384 => {
                let group = DhGroup::from_ecdsa(scheme).ok_or_else(|| unsupported(scheme))?;
                let (mut scalar, _) = crate::hpke::generate_key_pair(group, fill)?;
                Self::from_private(
                    scheme,
                    &SignaturePrivateKey::new(std::mem::take(&mut *scalar)),
                )
            }
            _ => Err(unsupported(scheme)),
        }
    }

    /// Loads a private key: the 32-byte Ed25519 seed, or the ECDSA scalar
    /// (exactly 32 or 48 big-endian bytes, in `[1, n)`).
    pub fn from_private(
        scheme: SignatureScheme,
        private: &SignaturePrivateKey,
    ) -> Result<Self, CryptoError> {
        let bytes = private.expose();
        let (key, public) = match scheme {
            SignatureScheme::Ed25519 => {
                if bytes.len() != 32 {
                    return Err(CryptoError::InvalidPrivateKey("Ed25519 seeds are 32 bytes"));
                }
                let pair = Ed25519KeyPair::from_seed_unchecked(bytes)
                    .map_err(|_| CryptoError::InvalidPrivateKey("Ed25519 seed refused"))?;
                let public = pair.public_key().as_ref().to_vec();
                (SigningKey::Ed25519(pair), public)
            }
            SignatureScheme::EcdsaSecp256r1Sha256 | SignatureScheme::EcdsaSecp384r1Sha384 => {
                let group = DhGroup::from_ecdsa(scheme).ok_or_else(|| unsupported(scheme))?;
                let alg = ecdsa_signing(scheme).ok_or_else(|| unsupported(scheme))?;
                // ring loads a scalar only next to its public key, and checks
                // that the two belong together.
                let public = static_dh::public_key(group, bytes)?;
                let rng = SystemRandom::new();
                let pair = EcdsaKeyPair::from_private_key_and_public_key(alg, bytes, &public, &rng)
                    .map_err(|_| CryptoError::InvalidPrivateKey("ECDSA scalar refused by ring"))?;
                (SigningKey::Ecdsa(pair, rng), public)
            }
            _ => return Err(unsupported(scheme)),
        };
        Ok(Self {
            scheme,
            public: SignaturePublicKey::new(public),
            private: private.clone(),
            key,
        })
    }

    /// The private key as it was loaded or generated.
    pub fn private_key(&self) -> &SignaturePrivateKey {
        &self.private
    }
}

impl fmt::Debug for RingSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingSigner")
            .field("scheme", &self.scheme)
            .field("public", &self.public)
            .field("private", &"<redacted>")
            .finish()
    }
}

impl Signer for RingSigner {
    fn signature_scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn public_key(&self) -> &SignaturePublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.key {
            SigningKey::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            SigningKey::Ecdsa(pair, rng) => pair
                .sign(rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| CryptoError::RandomnessUnavailable),
        }
    }
}

/// A parsed, validated signature public key (KP-SIG-KEY).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RingVerifyingKey {
    scheme: SignatureScheme,
    bytes: Vec<u8>,
}

impl RingVerifyingKey {
    /// Parses `public` for `scheme`.
    ///
    /// Ed25519: 32 bytes, rules 2 and 3 of the shared policy (canonical, not
    /// of small order), and a point on the curve: ring decodes the point only
    /// inside `verify`, so curve25519-dalek decompresses it here, to refuse
    /// the key when it is parsed, as the other backend does.
    /// ECDSA: an uncompressed point on the curve.
    pub fn parse(scheme: SignatureScheme, public: &[u8]) -> Result<Self, CryptoError> {
        match scheme {
            SignatureScheme::Ed25519 => {
                let encoded = policy::check_public_key(public).map_err(|_| {
                    CryptoError::InvalidPublicKey("Ed25519 key breaks the shared policy")
                })?;
                if CompressedEdwardsY(encoded).decompress().is_none() {
                    return Err(CryptoError::InvalidPublicKey(
                        "Ed25519 key is not a curve point",
                    ));
                }
            }
            SignatureScheme::EcdsaSecp256r1Sha256 | SignatureScheme::EcdsaSecp384r1Sha384 => {
                let group = DhGroup::from_ecdsa(scheme).ok_or_else(|| unsupported(scheme))?;
                static_dh::validate_public_key(group, public)?;
            }
            _ => return Err(unsupported(scheme)),
        }
        Ok(Self {
            scheme,
            bytes: public.to_vec(),
        })
    }

    /// The scheme the key belongs to.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// Verifies `signature` on `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let alg: &'static dyn signature::VerificationAlgorithm = match self.scheme {
            SignatureScheme::Ed25519 => {
                // Rules 1–3 for R and S; ring then checks rule 4.
                policy::check_signature(signature).map_err(|_| CryptoError::InvalidSignature)?;
                &signature::ED25519
            }
            SignatureScheme::EcdsaSecp256r1Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            SignatureScheme::EcdsaSecp384r1Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
            _ => return Err(unsupported(self.scheme)),
        };
        UnparsedPublicKey::new(alg, &self.bytes)
            .verify(message, signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }
}
