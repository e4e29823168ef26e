//! The primitives a backend supplies: [`Primitives`] (randomness, hash,
//! HMAC/HKDF, AEAD), [`Dh`] (the Diffie-Hellman groups of the KEMs) and
//! [`Signatures`] (its signature keys), tied together by [`Backend`].
//!
//! Every function is an associated function without `self`: hpke-rs's
//! `HpkeCrypto`, which the key schedule runs over, has no `self` either,
//! and a backend holds no state. Arguments are checked before a primitive
//! sees them wherever the rule is the same for every backend (lengths of
//! AEAD keys, nonces, HKDF inputs and outputs; the key policies); what
//! needs the curve (is this point on it, is this scalar below the group
//! order) is the primitive's.

use keypackage_traits::{
    AeadAlgorithm, CipherSuite, CryptoError, HashAlgorithm, KemAlgorithm, Secret, SignatureScheme,
};
use zeroize::Zeroizing;

/// The result of a primitive.
pub type CryptoResult<T> = Result<T, CryptoError>;

/// A crypto backend for [`crate::Provider`]: its name, its suites, and the
/// primitives behind them.
pub trait Backend: Primitives + Dh + Signatures + Sized + 'static {
    /// A short name for diagnostics ("rustcrypto", "ring").
    const NAME: &'static str;
    /// The suites of this build, strictly ascending. The primitives must
    /// implement every algorithm of each (the conformance suite checks).
    const SUITES: &'static [CipherSuite];
}

/// Randomness, hashing, HMAC/HKDF and AEAD.
pub trait Primitives {
    /// Fills `out` from a cryptographically secure random source.
    fn fill_random(out: &mut [u8]) -> CryptoResult<()>;

    /// `Hash(data)`.
    fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8>;

    /// `HMAC-Hash(key, data)` (RFC 2104), which is also
    /// `HKDF-Extract(salt = key, IKM = data)` (RFC 5869 §2.2).
    fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Secret;

    /// `HKDF-Expand(prk, info, okm.len())` (RFC 5869 §2.3) into `okm`, at
    /// most `255 * Nh` bytes (checked by the caller).
    fn hkdf_expand(prk: &Prk<'_>, info: &[u8], okm: &mut [u8]) -> CryptoResult<()>;

    /// AEAD encryption (RFC 5116 §2.1): `ciphertext || tag`.
    fn aead_seal(key: &AeadKey<'_>, aad: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>>;

    /// AEAD decryption (RFC 5116 §2.2) of `ciphertext || tag`, which is at
    /// least `Nt` bytes long; any failure is [`CryptoError::DecryptionFailed`].
    fn aead_open(key: &AeadKey<'_>, aad: &[u8], ciphertext: &[u8]) -> CryptoResult<Secret>;
}

/// An HKDF pseudorandom key of at least `HashLen` bytes (RFC 5869 §2.3: "a
/// pseudorandom key of at least HashLen octets"), checked once here for
/// every backend.
#[derive(Clone, Copy)]
pub struct Prk<'a> {
    hash: HashAlgorithm,
    key: &'a [u8],
}

impl<'a> Prk<'a> {
    /// `key` for `hash`, or [`CryptoError::InvalidLength`].
    pub(crate) fn new(hash: HashAlgorithm, key: &'a [u8]) -> CryptoResult<Self> {
        if key.len() < hash.output_len() {
            return Err(CryptoError::InvalidLength {
                detail: "HKDF-Expand key shorter than Nh",
            });
        }
        Ok(Self { hash, key })
    }

    /// The hash.
    pub fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    /// The key: at least `Nh` bytes.
    pub fn key(&self) -> &'a [u8] {
        self.key
    }
}

/// An AEAD key and nonce whose lengths are `Nk` and `Nn` of the algorithm
/// (RFC 5116 §4), checked once here for every backend.
#[derive(Clone, Copy)]
pub struct AeadKey<'a> {
    alg: AeadAlgorithm,
    key: &'a [u8],
    nonce: &'a [u8],
}

impl<'a> AeadKey<'a> {
    /// `key` and `nonce` for `alg`, or [`CryptoError::InvalidLength`].
    pub(crate) fn new(
        alg: AeadAlgorithm,
        key: &'a [u8],
        nonce: &'a [u8],
    ) -> Result<Self, CryptoError> {
        if key.len() != alg.key_len() {
            return Err(CryptoError::InvalidLength {
                detail: "AEAD key length is not Nk",
            });
        }
        if nonce.len() != alg.nonce_len() {
            return Err(CryptoError::InvalidLength {
                detail: "AEAD nonce length is not Nn",
            });
        }
        Ok(Self { alg, key, nonce })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> AeadAlgorithm {
        self.alg
    }

    /// The key: exactly `Nk` bytes.
    pub fn key(&self) -> &'a [u8] {
        self.key
    }

    /// The nonce: exactly `Nn` bytes.
    pub fn nonce(&self) -> &'a [u8] {
        self.nonce
    }
}

/// The Diffie-Hellman group of each DHKEM the backend has (RFC 9180
/// §4.1, §7.1). Key generation, `DeriveKeyPair`, the all-zero check,
/// Encap and Decap are written once over these three (`kem.rs`).
pub trait Dh {
    /// `DeserializePublicKey` (RFC 9180 §7.1.1): `Npk` bytes, and for the
    /// NIST curves an uncompressed SEC1 point on the curve (so not the
    /// identity). X25519/X448 keys of small order pass here; the shared
    /// layer refuses them by policy or by the all-zero check.
    fn check_public(kem: KemAlgorithm, public: &[u8]) -> CryptoResult<()>;

    /// `pk(skX)`, serialized. A private key that is not `Nsk` bytes, or for
    /// the NIST curves not a big-endian scalar in `[1, n)`, is
    /// [`CryptoError::InvalidPrivateKey`] (key generation and
    /// `DeriveKeyPair` rely on that to reject a candidate).
    fn public_key(kem: KemAlgorithm, private: &[u8]) -> CryptoResult<Vec<u8>>;

    /// `DH(skX, pkY)`: the X25519/X448 output or the x-coordinate of the
    /// ECDH point. The private key is checked first, as in
    /// [`Dh::public_key`], then the public key, as in [`Dh::check_public`].
    /// The all-zero check of RFC 9180 §7.1.4 is the caller's.
    fn dh(kem: KemAlgorithm, private: &[u8], public: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>>;
}

/// The backend's signature keys. The shared layer generates private keys
/// (uniformly, by rejection), keeps them ([`crate::MemorySigner`]),
/// applies the Ed25519 and Ed448 encoding policies before
/// [`Signatures::verifying_key`] and [`Signatures::verify`] see a key or a
/// signature, and checks that a key's scheme is the suite's.
pub trait Signatures {
    /// A parsed private key.
    type SigningKey: Send + Sync + 'static;
    /// A parsed public key.
    type VerifyingKey: Send + Sync + 'static;

    /// Parses a private key: the 32- or 57-byte EdDSA seed, or the ECDSA
    /// scalar of exactly `Nsk` big-endian bytes in `[1, n)`
    /// ([`CryptoError::InvalidPrivateKey`] otherwise;
    /// [`CryptoError::UnsupportedSignatureScheme`] for a scheme the backend
    /// lacks).
    fn signing_key(scheme: SignatureScheme, private: &[u8]) -> CryptoResult<Self::SigningKey>;

    /// The encoded public key of a private key: raw EdDSA bytes, or an
    /// uncompressed SEC1 point.
    fn signing_key_public(key: &Self::SigningKey) -> Vec<u8>;

    /// Signs `message` (ECDSA: DER).
    fn sign(key: &Self::SigningKey, message: &[u8]) -> CryptoResult<Vec<u8>>;

    /// Parses a public key that already passed the shared policy of its
    /// scheme: the point must decode (ECDSA: uncompressed, on the curve).
    fn verifying_key(scheme: SignatureScheme, key: &[u8]) -> CryptoResult<Self::VerifyingKey>;

    /// Verifies a signature that already passed the shared policy:
    /// [`CryptoError::InvalidSignature`] for anything else.
    fn verify(key: &Self::VerifyingKey, message: &[u8], signature: &[u8]) -> CryptoResult<()>;

    /// [`Signatures::verify`] for each item: element `i` is exactly what
    /// `verify` gives for item `i`. A backend may share work between items
    /// as long as each item keeps its own equation (no batch verification).
    fn verify_each(items: &[(&Self::VerifyingKey, &[u8], &[u8])]) -> Vec<CryptoResult<()>> {
        items
            .iter()
            .map(|(key, message, signature)| Self::verify(key, message, signature))
            .collect()
    }
}
