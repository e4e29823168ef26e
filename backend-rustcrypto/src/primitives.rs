//! Hashing, HKDF, AEAD and randomness: the symmetric primitives of RFC 9420
//! §5.1, each one a thin, length-checked call into a RustCrypto crate.
//!
//! The HPKE provider ([`crate::hpke`]) uses these same functions, so the MLS
//! key schedule and HPKE share one implementation of each primitive.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use keypackage_traits::{AeadAlgorithm, CryptoError, HashAlgorithm, Secret};
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

/// Fills `out` from the operating system's random source.
pub(crate) fn random_bytes(out: &mut [u8]) -> Result<(), CryptoError> {
    SysRng
        .try_fill_bytes(out)
        .map_err(|_| CryptoError::RandomnessUnavailable)
}

/// `Hash(data)` (RFC 9420 §5.1).
pub(crate) fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
        HashAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
    }
}

/// `HKDF-Extract(salt, IKM)` (RFC 5869 §2.2). An empty salt is the same as
/// `HashLen` zero bytes, as RFC 5869 specifies for an absent salt.
pub(crate) fn hkdf_extract(alg: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Secret {
    match alg {
        HashAlgorithm::Sha256 => Secret::from_slice(&Hkdf::<Sha256>::extract(Some(salt), ikm).0),
        HashAlgorithm::Sha384 => Secret::from_slice(&Hkdf::<Sha384>::extract(Some(salt), ikm).0),
        HashAlgorithm::Sha512 => Secret::from_slice(&Hkdf::<Sha512>::extract(Some(salt), ikm).0),
    }
}

/// `HKDF-Expand(PRK, info, L)` (RFC 5869 §2.3).
///
/// `L` must be at most `255 * HashLen`, and `PRK` at least `HashLen` bytes
/// ("a pseudorandom key of at least HashLen octets"); both are
/// [`CryptoError::InvalidLength`] otherwise.
pub(crate) fn hkdf_expand(
    alg: HashAlgorithm,
    prk: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    if len > 255 * alg.output_len() {
        return Err(CryptoError::InvalidLength(
            "HKDF-Expand output longer than 255 * Nh",
        ));
    }
    let mut okm = Zeroizing::new(vec![0u8; len]);
    let short_prk = |_| CryptoError::InvalidLength("HKDF-Expand key shorter than Nh");
    let too_long = |_| CryptoError::InvalidLength("HKDF-Expand output longer than 255 * Nh");
    match alg {
        HashAlgorithm::Sha256 => Hkdf::<Sha256>::from_prk(prk)
            .map_err(short_prk)?
            .expand(info, &mut okm)
            .map_err(too_long)?,
        HashAlgorithm::Sha384 => Hkdf::<Sha384>::from_prk(prk)
            .map_err(short_prk)?
            .expand(info, &mut okm)
            .map_err(too_long)?,
        HashAlgorithm::Sha512 => Hkdf::<Sha512>::from_prk(prk)
            .map_err(short_prk)?
            .expand(info, &mut okm)
            .map_err(too_long)?,
    }
    Ok(Secret::from(okm))
}

/// Checks the key and nonce lengths of an AEAD call (RFC 5116 §4: `Nk`,
/// `Nn`), so that every misuse is [`CryptoError::InvalidLength`].
fn check_aead_lengths(alg: AeadAlgorithm, key: &[u8], nonce: &[u8]) -> Result<(), CryptoError> {
    if key.len() != alg.key_len() {
        return Err(CryptoError::InvalidLength("AEAD key length is not Nk"));
    }
    if nonce.len() != alg.nonce_len() {
        return Err(CryptoError::InvalidLength("AEAD nonce length is not Nn"));
    }
    Ok(())
}

/// Encrypts with one AEAD type; `key` and `nonce` lengths are checked first.
fn seal_with<A: Aead + KeyInit>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher =
        A::new_from_slice(key).map_err(|_| CryptoError::InvalidLength("AEAD key length"))?;
    let nonce = nonce
        .try_into()
        .map_err(|_| CryptoError::InvalidLength("AEAD nonce length"))?;
    cipher
        .encrypt(
            nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::InvalidLength("AEAD plaintext too long"))
}

/// Decrypts with one AEAD type; every failure is
/// [`CryptoError::DecryptionFailed`].
fn open_with<A: Aead + KeyInit>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    let cipher =
        A::new_from_slice(key).map_err(|_| CryptoError::InvalidLength("AEAD key length"))?;
    let nonce = nonce
        .try_into()
        .map_err(|_| CryptoError::InvalidLength("AEAD nonce length"))?;
    cipher
        .decrypt(
            nonce,
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Secret::new)
        .map_err(|_| CryptoError::DecryptionFailed)
}

/// AEAD encryption (RFC 5116 §2.1): ciphertext || tag.
pub(crate) fn aead_seal(
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    check_aead_lengths(alg, key, nonce)?;
    match alg {
        AeadAlgorithm::Aes128Gcm => seal_with::<Aes128Gcm>(key, nonce, aad, plaintext),
        AeadAlgorithm::Aes256Gcm => seal_with::<Aes256Gcm>(key, nonce, aad, plaintext),
        AeadAlgorithm::ChaCha20Poly1305 => {
            seal_with::<ChaCha20Poly1305>(key, nonce, aad, plaintext)
        }
    }
}

/// AEAD decryption (RFC 5116 §2.2). A ciphertext shorter than the tag, a
/// wrong tag, key, nonce or associated data are all
/// [`CryptoError::DecryptionFailed`].
pub(crate) fn aead_open(
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    check_aead_lengths(alg, key, nonce)?;
    if ciphertext.len() < alg.tag_len() {
        return Err(CryptoError::DecryptionFailed);
    }
    match alg {
        AeadAlgorithm::Aes128Gcm => open_with::<Aes128Gcm>(key, nonce, aad, ciphertext),
        AeadAlgorithm::Aes256Gcm => open_with::<Aes256Gcm>(key, nonce, aad, ciphertext),
        AeadAlgorithm::ChaCha20Poly1305 => {
            open_with::<ChaCha20Poly1305>(key, nonce, aad, ciphertext)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_refuses_too_long_output_and_short_keys() {
        let prk = [7u8; 32];
        assert!(hkdf_expand(HashAlgorithm::Sha256, &prk, b"", 255 * 32).is_ok());
        assert_eq!(
            hkdf_expand(HashAlgorithm::Sha256, &prk, b"", 255 * 32 + 1),
            Err(CryptoError::InvalidLength(
                "HKDF-Expand output longer than 255 * Nh"
            ))
        );
        assert!(matches!(
            hkdf_expand(HashAlgorithm::Sha256, &prk[..31], b"", 32),
            Err(CryptoError::InvalidLength(_))
        ));
        assert_eq!(
            hkdf_expand(HashAlgorithm::Sha512, &[1u8; 64], b"", 0)
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn aead_refuses_wrong_lengths_and_short_ciphertexts() {
        let alg = AeadAlgorithm::Aes128Gcm;
        assert!(matches!(
            aead_seal(alg, &[0; 15], &[0; 12], b"", b"x"),
            Err(CryptoError::InvalidLength(_))
        ));
        assert!(matches!(
            aead_seal(alg, &[0; 16], &[0; 11], b"", b"x"),
            Err(CryptoError::InvalidLength(_))
        ));
        assert_eq!(
            aead_open(alg, &[0; 16], &[0; 12], b"", &[0; 15]),
            Err(CryptoError::DecryptionFailed)
        );
    }
}
