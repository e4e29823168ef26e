//! The crypto provider traits.
//!
//! A provider ([`OpenMlsCrypto`]) hands out one object per cipher suite
//! ([`CipherSuiteProvider`]); every operation on that object uses the suite's
//! algorithms, so no call takes an algorithm argument and "unsupported suite"
//! is decided once, in [`OpenMlsCrypto::suite`]. Signing goes through the
//! separate [`Signer`] trait, so a signature key can live in a platform key
//! store or an HSM.
//!
//! Encoding rules every backend enforces itself (docs/DESIGN.md §3 P7):
//!
//! * P-256/P-384/P-521 public keys (HPKE and ECDSA) only as uncompressed SEC1
//!   points (`0x04 || X || Y`), on the curve, not the identity;
//! * an all-zero X25519/X448 shared secret is [`CryptoError::ZeroSharedSecret`]
//!   (RFC 9180 §7.1.4);
//! * ECDSA signatures are DER `Ecdsa-Sig-Value` (RFC 9420 §5.1.2), produced
//!   and accepted only in that form; high-S signatures are accepted, as by
//!   every peer;
//!

use std::fmt;

use tls_codec::{TlsDeserializeBytes, TlsSerialize, TlsSize};

use crate::codec::VarBytes;
use crate::codepoints::CipherSuite;
use crate::keys::{
    HpkeKeyPair, HpkePrivateKey, HpkePublicKey, Secret, SignatureKeyPair, SignaturePrivateKey,
    SignaturePublicKey,
};
use crate::suite::{SignatureScheme, SuiteInfo};

/// Errors of the crypto layer. Each variant says whose fault it is.
///
/// `Debug` names the variant (`InvalidPublicKey { detail: "..." }`), `Display` says
/// what went wrong in words.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The provider does not implement this cipher suite (the caller's or the
    /// peer's choice, not a bug).
    #[error("cipher suite {cipher_suite:?} is not supported by this crypto provider")]
    UnsupportedCipherSuite {
        /// The cipher suite.
        cipher_suite: CipherSuite,
    },
    /// The provider does not implement this signature scheme (e.g. Ed448 in
    /// a build without it): the caller's choice, not a bug.
    #[error("signature scheme {scheme:?} is not supported by this crypto provider")]
    UnsupportedSignatureScheme {
        /// The signature scheme.
        scheme: SignatureScheme,
    },
    /// A public key is not a valid encoding for its algorithm: wrong length,
    /// compressed or off-curve point, identity, small-order point (peer).
    #[error("invalid public key: {detail}")]
    InvalidPublicKey {
        /// What went wrong, for people.
        detail: &'static str,
    },
    /// A private key has the wrong length or is out of range (caller).
    #[error("invalid private key: {detail}")]
    InvalidPrivateKey {
        /// What went wrong, for people.
        detail: &'static str,
    },
    /// A signature is malformed or does not verify (peer).
    #[error("signature verification failed")]
    InvalidSignature,
    /// AEAD or HPKE decryption failed: wrong key, tampered data (peer).
    #[error("decryption failed")]
    DecryptionFailed,
    /// The Diffie-Hellman output is all zero (RFC 9180 §7.1.4) (peer).
    #[error("Diffie-Hellman shared secret is all zero")]
    ZeroSharedSecret,
    /// An argument has a length the algorithm does not accept (caller).
    #[error("invalid length: {detail}")]
    InvalidLength {
        /// What went wrong, for people.
        detail: &'static str,
    },
    /// The signer's scheme is not the one the suite needs (caller).
    #[error("signer uses {signer:?}, the cipher suite needs {suite:?}")]
    SignatureSchemeMismatch {
        /// The signer's scheme.
        signer: SignatureScheme,
        /// The scheme of the cipher suite.
        suite: SignatureScheme,
    },
    /// The random source failed (environment).
    #[error("the random source failed")]
    RandomnessUnavailable,
    /// An external signer failed (the caller's key store or HSM).
    #[error("signer failed: {detail}")]
    SignerFailed {
        /// What went wrong, for people.
        detail: &'static str,
    },
    /// An operation a backend cannot do; a bug in the library or the backend.
    #[error("internal crypto error: {detail}")]
    Internal {
        /// What went wrong, for people.
        detail: &'static str,
    },
}

/// `HPKECiphertext` (RFC 9420 §5.1.3).
///
/// ```text
/// struct {
///     opaque kem_output<V>;
///     opaque ciphertext<V>;
/// } HPKECiphertext;
/// ```
#[derive(Clone, PartialEq, Eq, Debug, TlsSize, TlsSerialize, TlsDeserializeBytes)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HpkeCiphertext {
    /// The KEM encapsulation (`enc`).
    pub kem_output: VarBytes,
    /// The AEAD ciphertext.
    pub ciphertext: VarBytes,
}

/// A crypto backend: which suites it has, and a per-suite provider for each.
///
/// This is keypackage's own provider trait. It is not OpenMLS's trait of
/// the same name (`openmls_traits::crypto::OpenMlsCrypto`), has other
/// methods, and no OpenMLS type implements it; the name is the one the
/// product card gives the provider.
pub trait OpenMlsCrypto: Send + Sync + fmt::Debug {
    /// The per-suite provider.
    type Suite: CipherSuiteProvider;

    /// A short name for diagnostics ("rustcrypto", "ring").
    fn name(&self) -> &'static str;

    /// The suites [`OpenMlsCrypto::suite`] succeeds for, in ascending order.
    /// Must tell the truth: the conformance suite checks it.
    fn supported_cipher_suites(&self) -> &[CipherSuite];

    /// Whether `suite` is supported.
    fn supports(&self, suite: CipherSuite) -> bool {
        self.supported_cipher_suites().contains(&suite)
    }

    /// The provider for `suite`, or [`CryptoError::UnsupportedCipherSuite`].
    fn suite(&self, suite: CipherSuite) -> Result<Self::Suite, CryptoError>;

    /// Fills `out` from a cryptographically secure random source.
    fn random_bytes(&self, out: &mut [u8]) -> Result<(), CryptoError>;
}

/// The operations of one cipher suite (RFC 9420 §5.1).
///
/// Every method uses the algorithms of [`CipherSuiteProvider::info`].
/// Randomness is [`OpenMlsCrypto::random_bytes`]; signing is a [`Signer`]
/// (from [`CipherSuiteProvider::signer`] for a key in memory).
pub trait CipherSuiteProvider: Send + Sync + Clone + fmt::Debug {
    /// A parsed, validated signature public key. Parsing once and verifying
    /// twice (leaf and key package signatures) avoids decoding the point twice.
    type VerifyingKey: Send + Sync;
    /// The backend's own [`Signer`] for keys it holds in memory.
    type Signer: Signer;

    /// The suite's algorithm table row.
    fn info(&self) -> &'static SuiteInfo;

    /// The suite's code point.
    fn cipher_suite(&self) -> CipherSuite {
        self.info().suite
    }

    /// `Hash(data)` with the suite's hash (RFC 9420 §5.1).
    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// `HKDF-Extract(salt, ikm)` with the suite's KDF (RFC 5869 §2.2), which
    /// is `HMAC-Hash(salt, ikm)`: this is also the provider's HMAC.
    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError>;

    /// `HKDF-Expand(prk, info, len)` (RFC 5869 §2.3). `len` at most 255 * Nh;
    /// a `prk` shorter than `Nh` is refused with [`CryptoError::InvalidLength`]
    /// (RFC 5869 §2.3: "at least HashLen octets").
    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError>;

    /// AEAD encryption with the suite's AEAD; returns ciphertext || tag.
    /// `key` must be `Nk` bytes and `nonce` `Nn` bytes.
    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// AEAD decryption; [`CryptoError::DecryptionFailed`] on any tag mismatch,
    /// including a ciphertext shorter than the tag.
    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError>;

    /// HPKE single-shot base-mode encryption (RFC 9180 §6.1) to `public`.
    fn hpke_seal(
        &self,
        public: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError>;

    /// HPKE single-shot base-mode decryption (RFC 9180 §6.1).
    fn hpke_open(
        &self,
        private: &HpkePrivateKey,
        kem_output: &[u8],
        info: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError>;

    /// A fresh random HPKE key pair for the suite's KEM.
    fn hpke_generate_key_pair(&self) -> Result<HpkeKeyPair, CryptoError>;

    /// `DeriveKeyPair(ikm)` of RFC 9180 §7.1.3: deterministic.
    fn hpke_derive_key_pair(&self, ikm: &[u8]) -> Result<HpkeKeyPair, CryptoError>;

    /// The public key of an HPKE private key.
    fn hpke_public_key(&self, private: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError>;

    /// Checks that `public` is a valid KEM public key for the suite (KP-INIT-KEY,
    /// KP-ENC-KEY): length; for the NIST curves an uncompressed, on-curve,
    /// non-identity point; for X25519/X448 the backends' shared policy
    /// (`backend_common::montgomery`: canonical, not of small order).
    ///
    /// This is stricter than [`CipherSuiteProvider::hpke_seal`], which follows
    /// RFC 9180: sealing to a small-order X25519/X448 key fails with
    /// [`CryptoError::ZeroSharedSecret`], and a non-canonical one is used as
    /// RFC 7748 says (reduced). Validate a key before trusting it.
    fn validate_hpke_public_key(&self, public: &HpkePublicKey) -> Result<(), CryptoError>;

    /// A fresh signature key pair for the suite's scheme.
    fn signature_generate_key_pair(&self) -> Result<SignatureKeyPair, CryptoError>;

    /// The public key of a signature private key.
    fn signature_public_key(
        &self,
        private: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError>;

    /// An in-memory [`Signer`] for `private`.
    fn signer(&self, private: &SignaturePrivateKey) -> Result<Self::Signer, CryptoError>;

    /// Parses and validates a signature public key (KP-SIG-KEY).
    fn verifying_key(&self, public: &SignaturePublicKey)
    -> Result<Self::VerifyingKey, CryptoError>;

    /// Verifies `signature` on `message` under a parsed key.
    fn verify_with(
        &self,
        key: &Self::VerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;

    /// Verifies `signature` on `message` under an encoded public key.
    fn verify(
        &self,
        public: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let key = self.verifying_key(public)?;
        self.verify_with(&key, message, signature)
    }

    /// Verifies each `(key, message, signature)` on its own: element `i` of
    /// the result is exactly what [`CipherSuiteProvider::verify_with`] gives
    /// for item `i`, whatever the other items are.
    ///
    /// This is not batch verification. A backend may share work between
    /// items only where each item's own equation stays intact (the
    /// RustCrypto backend turns all the recomputed Ed25519 `R` points back
    /// into bytes with one shared field inversion); a random linear
    /// combination of the equations does not qualify, since under a
    /// cofactorless policy it can accept a set with an invalid member.
    fn verify_each(
        &self,
        items: &[(&Self::VerifyingKey, &[u8], &[u8])],
    ) -> Vec<Result<(), CryptoError>> {
        items
            .iter()
            .map(|(key, message, signature)| self.verify_with(key, message, signature))
            .collect()
    }
}

/// Something that signs with one signature key: an in-memory key of a
/// backend, or a key in a platform key store or HSM.
pub trait Signer: Send + Sync {
    /// The scheme the key belongs to.
    fn signature_scheme(&self) -> SignatureScheme;

    /// The public key, as it goes into a LeafNode.
    fn public_key(&self) -> &SignaturePublicKey;

    /// Signs `message` (the full `SignContent` encoding; the signer hashes it
    /// as the scheme requires). ECDSA signatures are DER.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn signature_scheme(&self) -> SignatureScheme {
        (**self).signature_scheme()
    }
    fn public_key(&self) -> &SignaturePublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn signature_scheme(&self) -> SignatureScheme {
        (**self).signature_scheme()
    }
    fn public_key(&self) -> &SignaturePublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).sign(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_variant_and_display_describes_it() {
        assert_eq!(
            format!("{:?}", CryptoError::ZeroSharedSecret),
            "ZeroSharedSecret"
        );
        assert_eq!(
            format!(
                "{:?}",
                CryptoError::InvalidPublicKey {
                    detail: "compressed point"
                }
            ),
            "InvalidPublicKey { detail: \"compressed point\" }"
        );
        assert_eq!(
            CryptoError::InvalidPublicKey {
                detail: "compressed point"
            }
            .to_string(),
            "invalid public key: compressed point"
        );
    }
}
