//! HKDF and AEAD with their argument checks, over a backend's
//! [`Primitives`]: the provider, the KEM and the HPKE key schedule all call
//! these, so every backend refuses the same inputs the same way.

use keypackage_traits::{AeadAlgorithm, CryptoError, HashAlgorithm, Secret};
use zeroize::Zeroizing;

use crate::backend::{AeadKey, Primitives, Prk};

/// `HKDF-Extract(salt, IKM)` (RFC 5869 §2.2), that is `HMAC-Hash(salt,
/// IKM)`. An empty salt is the HMAC key of no bytes, which HMAC pads with
/// zeros exactly like the RFC's default salt of `HashLen` zero bytes.
pub(crate) fn hkdf_extract<B: Primitives>(hash: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Secret {
    B::hmac(hash, salt, ikm)
}

/// `HKDF-Expand(PRK, info, L)` (RFC 5869 §2.3): a `PRK` shorter than
/// `HashLen` ("a pseudorandom key of at least HashLen octets") and
/// `L > 255 * HashLen` are [`CryptoError::InvalidLength`].
pub(crate) fn hkdf_expand<B: Primitives>(
    hash: HashAlgorithm,
    prk: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let prk = Prk::new(hash, prk)?;
    if len > 255 * hash.output_len() {
        return Err(CryptoError::InvalidLength {
            detail: "HKDF-Expand output longer than 255 * Nh",
        });
    }
    let mut okm = Zeroizing::new(vec![0u8; len]);
    B::hkdf_expand(&prk, info, &mut okm)?;
    Ok(Secret::from(okm))
}

/// AEAD encryption; wrong key or nonce lengths are
/// [`CryptoError::InvalidLength`].
pub(crate) fn aead_seal<B: Primitives>(
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    B::aead_seal(&AeadKey::new(alg, key, nonce)?, aad, plaintext)
}

/// AEAD decryption; wrong key or nonce lengths are
/// [`CryptoError::InvalidLength`], and a ciphertext shorter than the tag,
/// like any other failure, [`CryptoError::DecryptionFailed`].
pub(crate) fn aead_open<B: Primitives>(
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    let key = AeadKey::new(alg, key, nonce)?;
    if ciphertext.len() < alg.tag_len() {
        return Err(CryptoError::DecryptionFailed);
    }
    B::aead_open(&key, aad, ciphertext)
}
