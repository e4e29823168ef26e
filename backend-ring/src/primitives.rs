//! Hashing, HMAC/HKDF and AEAD with ring, keyed by the rows of the suite
//! table ([`keypackage_traits::suite`]), so that both [`crate::RingSuite`]
//! and the HPKE provider ([`crate::hpke::RingHpke`]) use one code path.

use ring::{aead, digest, hkdf, hmac};
use zeroize::Zeroizing;

use keypackage_traits::{AeadAlgorithm, CryptoError, HashAlgorithm};

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

/// `Hash(data)`.
pub(crate) fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    digest::digest(digest_algorithm(alg), data)
        .as_ref()
        .to_vec()
}

/// `HMAC(key, data)` (RFC 2104).
pub(crate) fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Zeroizing<Vec<u8>> {
    let key = hmac::Key::new(hmac_algorithm(alg), key);
    Zeroizing::new(hmac::sign(&key, data).as_ref().to_vec())
}

/// `HKDF-Extract(salt, ikm)` (RFC 5869 §2.2) is `HMAC-Hash(salt, IKM)`.
///
/// ring's own `Salt::extract` keeps the PRK inside an opaque key, and the
/// MLS key schedule and HPKE need its bytes, so the extract step is the HMAC
/// that RFC 5869 defines it as. An empty salt is the HMAC key of no bytes,
/// which HMAC pads with zeros exactly like the RFC's default salt of
/// `HashLen` zero bytes.
pub(crate) fn hkdf_extract(alg: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Zeroizing<Vec<u8>> {
    hmac(alg, salt, ikm)
}

/// The output length handed to ring's `Prk::expand`.
struct OutputLen(usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// `HKDF-Expand(prk, info, len)` (RFC 5869 §2.3).
///
/// Refuses a PRK shorter than `HashLen` ("a pseudorandom key of at least
/// HashLen octets") and `len > 255 * HashLen`, as RustCrypto's `hkdf`
/// does, so both backends refuse the same inputs.
pub(crate) fn hkdf_expand(
    alg: HashAlgorithm,
    prk: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if prk.len() < alg.output_len() {
        return Err(CryptoError::InvalidLength(
            "HKDF PRK shorter than the hash output",
        ));
    }
    if len > 255 * alg.output_len() {
        return Err(CryptoError::InvalidLength(
            "HKDF output longer than 255 * Nh",
        ));
    }
    let prk = hkdf::Prk::new_less_safe(hkdf_algorithm(alg), prk);
    let info = [info];
    let okm = prk
        .expand(&info, OutputLen(len))
        .map_err(|_| CryptoError::InvalidLength("HKDF output longer than 255 * Nh"))?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    okm.fill(&mut out)
        .map_err(|_| CryptoError::Internal("ring HKDF-Expand failed"))?;
    Ok(out)
}

/// A ring AEAD key and nonce after the length checks.
fn key_and_nonce(
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8],
) -> Result<(aead::LessSafeKey, aead::Nonce), CryptoError> {
    if key.len() != alg.key_len() {
        return Err(CryptoError::InvalidLength("AEAD key length is not Nk"));
    }
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| CryptoError::InvalidLength("AEAD nonce length is not Nn"))?;
    let key = aead::UnboundKey::new(aead_algorithm(alg), key)
        .map_err(|_| CryptoError::InvalidLength("AEAD key length is not Nk"))?;
    Ok((aead::LessSafeKey::new(key), nonce))
}

/// AEAD encryption; returns `ciphertext || tag` (RFC 5116 §2.1).
pub(crate) fn aead_seal(
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (key, nonce) = key_and_nonce(alg, key, nonce)?;
    let mut in_out = Vec::with_capacity(plaintext.len() + alg.tag_len());
    in_out.extend_from_slice(plaintext);
    key.seal_in_place_append_tag(nonce, aead::Aad::from(aad), &mut in_out)
        .map_err(|_| CryptoError::InvalidLength("AEAD plaintext too long"))?;
    Ok(in_out)
}

/// AEAD decryption of `ciphertext || tag` (RFC 5116 §2.2). Any failure,
/// a ciphertext shorter than the tag included, is
/// [`CryptoError::DecryptionFailed`].
pub(crate) fn aead_open(
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (key, nonce) = key_and_nonce(alg, key, nonce)?;
    let mut in_out = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .open_in_place(nonce, aead::Aad::from(aad), &mut in_out)
        .map_err(|_| CryptoError::DecryptionFailed)?
        .len();
    in_out.truncate(len);
    Ok(in_out)
}
