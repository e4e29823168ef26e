//! Randomness, hashing, HKDF and AEAD: backend-common's [`Primitives`],
//! each a thin call into a RustCrypto crate (sha2, hkdf over hmac, aes-gcm,
//! chacha20poly1305) or the operating system's random source. Lengths are
//! checked by backend-common before these run.
//!
//! The crates' `zeroize` features are on (the workspace's Cargo.toml): an
//! AES-GCM or ChaCha20-Poly1305 cipher wipes its key schedule when dropped,
//! the SHA-2 states (HMAC's two keyed states among them) wipe themselves,
//! and so do HMAC's input buffers. The PRK array hkdf returns is wiped
//! here.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use backend_common::{AeadKey, CryptoResult, Primitives, Prk};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use keypackage_traits::{AeadAlgorithm, CryptoError, HashAlgorithm, Secret};
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroize;

use crate::provider::RustCryptoBackend;

/// `HKDF-Extract(salt, ikm)` with one hash: the PRK is copied into a
/// [`Secret`] and the library's array wiped.
fn extract_with<H>(salt: &[u8], ikm: &[u8]) -> Secret
where
    H: hkdf::hmac::EagerHash,
{
    let (mut prk, _) = Hkdf::<H>::extract(Some(salt), ikm);
    let secret = Secret::from_slice(&prk);
    prk.as_mut_slice().zeroize();
    secret
}

/// `HKDF-Expand` with one hash; the caller checked the lengths.
fn expand_with<H>(prk: &[u8], info: &[u8], okm: &mut [u8]) -> CryptoResult<()>
where
    H: hkdf::hmac::EagerHash,
{
    Hkdf::<H>::from_prk(prk)
        .map_err(|_| CryptoError::InvalidLength {
            detail: "HKDF-Expand key shorter than Nh",
        })?
        .expand(info, okm)
        .map_err(|_| CryptoError::InvalidLength {
            detail: "HKDF-Expand output longer than 255 * Nh",
        })
}

/// A cipher of one AEAD type for the checked key.
fn cipher<A: KeyInit>(key: &AeadKey<'_>) -> Result<A, CryptoError> {
    A::new_from_slice(key.key()).map_err(|_| CryptoError::InvalidLength {
        detail: "AEAD key length",
    })
}

/// Encrypts with one AEAD type.
fn seal_with<A: Aead + KeyInit>(
    key: &AeadKey<'_>,
    aad: &[u8],
    msg: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let nonce = key
        .nonce()
        .try_into()
        .map_err(|_| CryptoError::InvalidLength {
            detail: "AEAD nonce length",
        })?;
    cipher::<A>(key)?
        .encrypt(nonce, Payload { msg, aad })
        .map_err(|_| CryptoError::InvalidLength {
            detail: "AEAD plaintext too long",
        })
}

/// Decrypts with one AEAD type; every failure is
/// [`CryptoError::DecryptionFailed`].
fn open_with<A: Aead + KeyInit>(
    key: &AeadKey<'_>,
    aad: &[u8],
    msg: &[u8],
) -> Result<Secret, CryptoError> {
    let nonce = key
        .nonce()
        .try_into()
        .map_err(|_| CryptoError::InvalidLength {
            detail: "AEAD nonce length",
        })?;
    cipher::<A>(key)?
        .decrypt(nonce, Payload { msg, aad })
        .map(Secret::new)
        .map_err(|_| CryptoError::DecryptionFailed)
}

impl Primitives for RustCryptoBackend {
    /// The operating system's random source (`getrandom`), nothing else.
    fn fill_random(out: &mut [u8]) -> CryptoResult<()> {
        SysRng
            .try_fill_bytes(out)
            .map_err(|_| CryptoError::RandomnessUnavailable)
    }

    fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        match alg {
            HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Secret {
        match alg {
            HashAlgorithm::Sha256 => extract_with::<Sha256>(key, data),
            HashAlgorithm::Sha384 => extract_with::<Sha384>(key, data),
            HashAlgorithm::Sha512 => extract_with::<Sha512>(key, data),
        }
    }

    fn hkdf_expand(prk: &Prk<'_>, info: &[u8], okm: &mut [u8]) -> CryptoResult<()> {
        match prk.hash() {
            HashAlgorithm::Sha256 => expand_with::<Sha256>(prk.key(), info, okm),
            HashAlgorithm::Sha384 => expand_with::<Sha384>(prk.key(), info, okm),
            HashAlgorithm::Sha512 => expand_with::<Sha512>(prk.key(), info, okm),
        }
    }

    fn aead_seal(key: &AeadKey<'_>, aad: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
        match key.algorithm() {
            AeadAlgorithm::Aes128Gcm => seal_with::<Aes128Gcm>(key, aad, plaintext),
            AeadAlgorithm::Aes256Gcm => seal_with::<Aes256Gcm>(key, aad, plaintext),
            AeadAlgorithm::ChaCha20Poly1305 => seal_with::<ChaCha20Poly1305>(key, aad, plaintext),
        }
    }

    fn aead_open(key: &AeadKey<'_>, aad: &[u8], ciphertext: &[u8]) -> CryptoResult<Secret> {
        match key.algorithm() {
            AeadAlgorithm::Aes128Gcm => open_with::<Aes128Gcm>(key, aad, ciphertext),
            AeadAlgorithm::Aes256Gcm => open_with::<Aes256Gcm>(key, aad, ciphertext),
            AeadAlgorithm::ChaCha20Poly1305 => open_with::<ChaCha20Poly1305>(key, aad, ciphertext),
        }
    }
}

#[cfg(test)]
mod tests {
    use hkdf::hmac::EagerHash;
    use hkdf::hmac::block_api::HmacCore;
    use hkdf::hmac::digest::block_api::Buffer;
    use zeroize::ZeroizeOnDrop;

    use super::*;

    fn zeroizes_on_drop<T: ZeroizeOnDrop>() {}

    /// Compiles only with the crates' `zeroize` features: each of these
    /// types implements `ZeroizeOnDrop` only then.
    #[test]
    fn key_schedules_and_mac_states_zeroize_on_drop() {
        // aes-gcm (with aes), chacha20poly1305: the AEAD key schedules.
        zeroizes_on_drop::<Aes128Gcm>();
        zeroizes_on_drop::<Aes256Gcm>();
        zeroizes_on_drop::<ChaCha20Poly1305>();
        // sha2: the states HMAC keys with ipad and opad (HmacCore holds
        // two of these), for each hash.
        zeroizes_on_drop::<<Sha256 as EagerHash>::Core>();
        zeroizes_on_drop::<<Sha384 as EagerHash>::Core>();
        zeroizes_on_drop::<<Sha512 as EagerHash>::Core>();
        // hmac (digest): the buffer of not yet absorbed input, which for
        // HKDF-Extract is the IKM (a DH output), and the MAC output.
        zeroizes_on_drop::<Buffer<HmacCore<Sha256>>>();
        zeroizes_on_drop::<hkdf::hmac::digest::CtOutput<hkdf::hmac::Hmac<Sha512>>>();
    }
}
