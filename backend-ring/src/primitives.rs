//! Randomness, hashing, HMAC/HKDF and AEAD with ring: backend-common's
//! [`Primitives`]. Lengths are checked by backend-common before these run.

use backend_common::{AeadKey, CryptoResult, Primitives, Prk};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{aead, digest, hkdf, hmac};
use zeroize::Zeroizing;

use keypackage_traits::{AeadAlgorithm, CryptoError, HashAlgorithm, Secret};

use crate::provider::RingBackend;

/// ring's digest for one of our hash algorithms.
fn digest_algorithm(hash: HashAlgorithm) -> &'static digest::Algorithm {
    match hash {
        HashAlgorithm::Sha256 => &digest::SHA256,
        HashAlgorithm::Sha384 => &digest::SHA384,
        HashAlgorithm::Sha512 => &digest::SHA512,
    }
}

/// ring's HMAC for one of our hash algorithms.
fn hmac_algorithm(hash: HashAlgorithm) -> hmac::Algorithm {
    match hash {
        HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
        HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
        HashAlgorithm::Sha512 => hmac::HMAC_SHA512,
    }
}

/// ring's HKDF for one of our hash algorithms.
fn hkdf_algorithm(hash: HashAlgorithm) -> hkdf::Algorithm {
    match hash {
        HashAlgorithm::Sha256 => hkdf::HKDF_SHA256,
        HashAlgorithm::Sha384 => hkdf::HKDF_SHA384,
        HashAlgorithm::Sha512 => hkdf::HKDF_SHA512,
    }
}

/// ring's AEAD for one of our AEAD algorithms.
fn aead_algorithm(aead: AeadAlgorithm) -> &'static aead::Algorithm {
    match aead {
        AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
        AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
        AeadAlgorithm::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
    }
}

/// The output length handed to ring's `Prk::expand`.
struct OutputLen(usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// ring's key and nonce for a checked [`AeadKey`].
fn ring_key(key: &AeadKey<'_>) -> Result<(aead::LessSafeKey, aead::Nonce), CryptoError> {
    let nonce = aead::Nonce::try_assume_unique_for_key(key.nonce()).map_err(|_| {
        CryptoError::InvalidLength {
            detail: "AEAD nonce length is not Nn",
        }
    })?;
    let unbound =
        aead::UnboundKey::new(aead_algorithm(key.algorithm()), key.key()).map_err(|_| {
            CryptoError::InvalidLength {
                detail: "AEAD key length is not Nk",
            }
        })?;
    Ok((aead::LessSafeKey::new(unbound), nonce))
}

impl Primitives for RingBackend {
    /// ring's `SystemRandom`: the operating system's random source.
    fn fill_random(out: &mut [u8]) -> CryptoResult<()> {
        SystemRandom::new()
            .fill(out)
            .map_err(|_| CryptoError::RandomnessUnavailable)
    }

    fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        digest::digest(digest_algorithm(alg), data)
            .as_ref()
            .to_vec()
    }

    /// ring's own `Salt::extract` keeps the PRK inside an opaque key, and
    /// the MLS key schedule and HPKE need its bytes, so HKDF-Extract is the
    /// HMAC that RFC 5869 §2.2 defines it as.
    fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Secret {
        let key = hmac::Key::new(hmac_algorithm(alg), key);
        Secret::from_slice(hmac::sign(&key, data).as_ref())
    }

    fn hkdf_expand(prk: &Prk<'_>, info: &[u8], okm: &mut [u8]) -> CryptoResult<()> {
        let info = [info];
        hkdf::Prk::new_less_safe(hkdf_algorithm(prk.hash()), prk.key())
            .expand(&info, OutputLen(okm.len()))
            .map_err(|_| CryptoError::InvalidLength {
                detail: "HKDF output longer than 255 * Nh",
            })?
            .fill(okm)
            .map_err(|_| CryptoError::Internal {
                detail: "ring HKDF-Expand failed",
            })
    }

    fn aead_seal(key: &AeadKey<'_>, aad: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
        let (key, nonce) = ring_key(key)?;
        let mut in_out = Vec::with_capacity(plaintext.len() + aead::MAX_TAG_LEN);
        in_out.extend_from_slice(plaintext);
        key.seal_in_place_append_tag(nonce, aead::Aad::from(aad), &mut in_out)
            .map_err(|_| CryptoError::InvalidLength {
                detail: "AEAD plaintext too long",
            })?;
        Ok(in_out)
    }

    /// Decrypts in place, in a buffer wiped on drop.
    fn aead_open(key: &AeadKey<'_>, aad: &[u8], ciphertext: &[u8]) -> CryptoResult<Secret> {
        let (key, nonce) = ring_key(key)?;
        let mut in_out = Zeroizing::new(ciphertext.to_vec());
        let len = key
            .open_in_place(nonce, aead::Aad::from(aad), &mut in_out)
            .map_err(|_| CryptoError::DecryptionFailed)?
            .len();
        in_out.truncate(len);
        Ok(Secret::from(in_out))
    }
}
