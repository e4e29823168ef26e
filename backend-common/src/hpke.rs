//! Single-shot base-mode HPKE (RFC 9180 §6.1): `Encap`/`Decap` are
//! [`crate::kem`]'s; hpke-rs runs the key schedule (§5.1) and the AEAD
//! context (§5.2) over [`Adapter`], an `HpkeCrypto` that hands hpke-rs the
//! backend's HKDF and AEAD and nothing else.
//!
//! hpke-rs is asked for no KEM operation: its KEM functions in the adapter
//! refuse, and its random source ([`NoRandomness`]) always fails. So no
//! Diffie-Hellman error has to travel through hpke-rs's string errors, and
//! hpke-rs 0.8's missing X448 encapsulation does not matter.

use std::fmt;
use std::marker::PhantomData;

use hpke_rs::{Hpke, HpkeError, Mode};
use hpke_rs_crypto::error::Error as HpkeCryptoError;
use hpke_rs_crypto::types::{
    AeadAlgorithm as HpkeAead, KdfAlgorithm as HpkeKdf, KemAlgorithm as HpkeKem,
    SingleStageKdfAlgorithm, TwoStageKdfAlgorithm,
};
use hpke_rs_crypto::{HpkeCrypto, TryCryptoRng, TryRng};
use keypackage_traits::{
    AeadAlgorithm, CryptoError, HashAlgorithm, HpkeCiphertext, KdfAlgorithm, KemAlgorithm, Secret,
    SuiteInfo,
};

use crate::backend::Dh;
use crate::backend::Primitives;
use crate::{kem, symmetric};

/// hpke-rs's identifier of a KEM (it enters the key schedule's suite ID).
fn hpke_kem(kem: KemAlgorithm) -> HpkeKem {
    match kem {
        KemAlgorithm::DhKemP256 => HpkeKem::DhKemP256,
        KemAlgorithm::DhKemP384 => HpkeKem::DhKemP384,
        KemAlgorithm::DhKemP521 => HpkeKem::DhKemP521,
        KemAlgorithm::DhKemX25519 => HpkeKem::DhKem25519,
        KemAlgorithm::DhKemX448 => HpkeKem::DhKem448,
    }
}

/// hpke-rs's identifier of a KDF.
fn hpke_kdf(kdf: KdfAlgorithm) -> HpkeKdf {
    match kdf {
        KdfAlgorithm::HkdfSha256 => HpkeKdf::HkdfSha256,
        KdfAlgorithm::HkdfSha384 => HpkeKdf::HkdfSha384,
        KdfAlgorithm::HkdfSha512 => HpkeKdf::HkdfSha512,
    }
}

/// hpke-rs's identifier of an AEAD.
fn hpke_aead(aead: AeadAlgorithm) -> HpkeAead {
    match aead {
        AeadAlgorithm::Aes128Gcm => HpkeAead::Aes128Gcm,
        AeadAlgorithm::Aes256Gcm => HpkeAead::Aes256Gcm,
        AeadAlgorithm::ChaCha20Poly1305 => HpkeAead::ChaCha20Poly1305,
    }
}

/// Our AEAD for an hpke-rs AEAD; export-only has none.
fn our_aead(aead: HpkeAead) -> Result<AeadAlgorithm, HpkeCryptoError> {
    match aead {
        HpkeAead::Aes128Gcm => Ok(AeadAlgorithm::Aes128Gcm),
        HpkeAead::Aes256Gcm => Ok(AeadAlgorithm::Aes256Gcm),
        HpkeAead::ChaCha20Poly1305 => Ok(AeadAlgorithm::ChaCha20Poly1305),
        HpkeAead::HpkeExport => Err(HpkeCryptoError::UnknownAeadAlgorithm),
    }
}

/// The hash of an hpke-rs two-stage KDF.
fn kdf_hash(kdf: TwoStageKdfAlgorithm) -> HashAlgorithm {
    match kdf {
        TwoStageKdfAlgorithm::HkdfSha256 => HashAlgorithm::Sha256,
        TwoStageKdfAlgorithm::HkdfSha384 => HashAlgorithm::Sha384,
        TwoStageKdfAlgorithm::HkdfSha512 => HashAlgorithm::Sha512,
    }
}

/// An hpke-rs error of the key schedule or the context. The inputs are
/// ours and checked, so what is left is a failed open or a bug.
fn from_hpke(error: HpkeError) -> CryptoError {
    match error {
        HpkeError::OpenError | HpkeError::InvalidInput => CryptoError::DecryptionFailed,
        _ => CryptoError::Internal {
            detail: "hpke-rs key schedule or context failed",
        },
    }
}

/// The random source hpke-rs is given: it is never asked for randomness
/// (the KEM is ours), and fails if it ever were.
#[derive(Debug)]
pub(crate) struct NoRandomness;

impl fmt::Display for NoRandomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("hpke-rs has no random source here: encapsulation is backend-common's")
    }
}

impl std::error::Error for NoRandomness {}

impl TryRng for NoRandomness {
    type Error = NoRandomness;

    fn try_next_u32(&mut self) -> Result<u32, NoRandomness> {
        Err(NoRandomness)
    }

    fn try_next_u64(&mut self) -> Result<u64, NoRandomness> {
        Err(NoRandomness)
    }

    fn try_fill_bytes(&mut self, _dst: &mut [u8]) -> Result<(), NoRandomness> {
        Err(NoRandomness)
    }
}

/// Never yields a byte, so it cannot yield a predictable one.
impl TryCryptoRng for NoRandomness {}

/// hpke-rs's crypto provider over a backend's primitives: HKDF and AEAD.
pub(crate) struct Adapter<B>(PhantomData<fn() -> B>);

impl<B> fmt::Debug for Adapter<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("backend_common::hpke::Adapter")
    }
}

impl<B: Primitives + 'static> HpkeCrypto for Adapter<B> {
    type HpkePrng = NoRandomness;

    fn name() -> String {
        "keypackage backend-common".into()
    }

    fn supports_kdf(alg: HpkeKdf) -> Result<(), HpkeCryptoError> {
        TwoStageKdfAlgorithm::try_from(alg).map(drop)
    }

    fn supports_kem(_alg: HpkeKem) -> Result<(), HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn supports_aead(alg: HpkeAead) -> Result<(), HpkeCryptoError> {
        our_aead(alg).map(drop)
    }

    /// The key schedule's `secret` leaves here as a plain `Vec`: hpke-rs
    /// drops it unwiped (docs/DESIGN.md §7.4).
    fn kdf_extract(
        alg: TwoStageKdfAlgorithm,
        salt: &[u8],
        ikm: &[u8],
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        Ok(symmetric::hkdf_extract::<B>(kdf_hash(alg), salt, ikm)
            .expose()
            .to_vec())
    }

    /// The key, base nonce and exporter secret go into hpke-rs's `Context`,
    /// which wipes them on drop.
    fn kdf_expand(
        alg: TwoStageKdfAlgorithm,
        prk: &[u8],
        info: &[u8],
        output_size: usize,
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        symmetric::hkdf_expand::<B>(kdf_hash(alg), prk, info, output_size)
            .map(|okm| okm.expose().to_vec())
            .map_err(|_| HpkeCryptoError::HpkeInvalidOutputLength)
    }

    fn kdf_derive(
        _alg: SingleStageKdfAlgorithm,
        _ikm: &[u8],
        _l: usize,
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        Err(HpkeCryptoError::UnknownKdfAlgorithm)
    }

    fn dh(_alg: HpkeKem, _pk: &[u8], _sk: &[u8]) -> Result<Vec<u8>, HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn secret_to_public(_alg: HpkeKem, _sk: &[u8]) -> Result<Vec<u8>, HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn kem_key_gen(
        _alg: HpkeKem,
        _prng: &mut NoRandomness,
    ) -> Result<(Vec<u8>, Vec<u8>), HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn kem_key_gen_derand(
        _alg: HpkeKem,
        _seed: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn kem_encaps(
        _alg: HpkeKem,
        _pk_r: &[u8],
        _prng: &mut NoRandomness,
    ) -> Result<(Vec<u8>, Vec<u8>), HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn kem_encaps_derand(
        _alg: HpkeKem,
        _pk_r: &[u8],
        _randomness: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn kem_decaps(_alg: HpkeKem, _ct: &[u8], _sk_r: &[u8]) -> Result<Vec<u8>, HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn dh_validate_sk(_alg: HpkeKem, _sk: &[u8]) -> Result<Vec<u8>, HpkeCryptoError> {
        Err(HpkeCryptoError::UnsupportedKemOperation)
    }

    fn aead_seal(
        alg: HpkeAead,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        symmetric::aead_seal::<B>(our_aead(alg)?, key, nonce, aad, msg)
            .map_err(|_| HpkeCryptoError::CryptoLibraryError("AEAD seal failed".into()))
    }

    /// The plaintext moves into a [`Secret`] at once (`open` below).
    fn aead_open(
        alg: HpkeAead,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        let plaintext = symmetric::aead_open::<B>(our_aead(alg)?, key, nonce, aad, msg)
            .map_err(|_| HpkeCryptoError::AeadOpenError)?;
        Ok(plaintext.expose().to_vec())
    }
}

/// The key schedule of a suite, base mode (RFC 9180 §5.1): `KeySchedule`
/// with an empty PSK and PSK ID.
fn context<B: Primitives + 'static>(
    suite: &SuiteInfo,
    shared_secret: &Secret,
    info: &[u8],
) -> Result<hpke_rs::Context<Adapter<B>>, CryptoError> {
    Hpke::<Adapter<B>>::new_with_rng(
        Mode::Base,
        hpke_kem(suite.kem),
        hpke_kdf(suite.kdf),
        hpke_aead(suite.aead),
        NoRandomness,
    )
    .key_schedule(shared_secret.expose(), info, b"", b"")
    .map_err(from_hpke)
}

/// `SealBase(pkR, info, aad, pt)` (RFC 9180 §6.1).
pub(crate) fn seal<B: Primitives + Dh + 'static>(
    suite: &SuiteInfo,
    public: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<HpkeCiphertext, CryptoError> {
    let (shared_secret, enc) = kem::encap::<B>(suite.kem, public)?;
    let ciphertext = context::<B>(suite, &shared_secret, info)?
        .seal(aad, plaintext)
        .map_err(from_hpke)?;
    Ok(HpkeCiphertext {
        kem_output: enc.into(),
        ciphertext: ciphertext.into(),
    })
}

/// `OpenBase(enc, skR, info, aad, ct)` (RFC 9180 §6.1).
pub(crate) fn open<B: Primitives + Dh + 'static>(
    suite: &SuiteInfo,
    private: &[u8],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    let shared_secret = kem::decap::<B>(suite.kem, enc, private)?;
    context::<B>(suite, &shared_secret, info)?
        .open(aad, ciphertext)
        .map(Secret::new)
        .map_err(from_hpke)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lenient::Lenient;

    #[test]
    fn the_random_source_given_to_hpke_rs_never_yields() {
        let mut rng = NoRandomness;
        assert!(rng.try_next_u32().is_err());
        assert!(rng.try_next_u64().is_err());
        let mut out = [0u8; 8];
        assert!(rng.try_fill_bytes(&mut out).is_err());
        assert_eq!(out, [0; 8]);
        assert!(
            NoRandomness
                .to_string()
                .starts_with("hpke-rs has no random source")
        );
    }

    #[test]
    fn the_adapter_says_what_it_is() {
        assert_eq!(
            format!("{:?}", Adapter::<()>(PhantomData)),
            "backend_common::hpke::Adapter"
        );
        assert_eq!(Adapter::<Lenient>::name(), "keypackage backend-common");
    }

    /// hpke-rs gets the key schedule's KDF and the AEAD from the adapter,
    /// nothing else: its KEM, single-stage KDFs and export-only "AEAD" are
    /// refused, so that a path through hpke-rs's own KEM cannot open.
    #[test]
    fn the_adapter_offers_hpke_rs_only_the_key_schedule_and_the_aead() {
        type A = Adapter<Lenient>;
        for kdf in [
            HpkeKdf::HkdfSha256,
            HpkeKdf::HkdfSha384,
            HpkeKdf::HkdfSha512,
        ] {
            assert!(A::supports_kdf(kdf).is_ok());
        }
        assert!(A::supports_kdf(HpkeKdf::Shake128).is_err());
        for aead in [
            HpkeAead::Aes128Gcm,
            HpkeAead::Aes256Gcm,
            HpkeAead::ChaCha20Poly1305,
        ] {
            assert!(A::supports_aead(aead).is_ok());
        }
        assert!(A::supports_aead(HpkeAead::HpkeExport).is_err());
        let kem = HpkeKem::DhKem25519;
        assert!(A::supports_kem(kem).is_err());
        assert!(A::dh(kem, &[9; 32], &[1; 32]).is_err());
        assert!(A::secret_to_public(kem, &[1; 32]).is_err());
        assert!(A::kem_key_gen(kem, &mut NoRandomness).is_err());
        assert!(A::kem_key_gen_derand(kem, &[1; 32]).is_err());
        assert!(A::kem_encaps(kem, &[9; 32], &mut NoRandomness).is_err());
        assert!(A::kem_encaps_derand(kem, &[9; 32], &[1; 32]).is_err());
        assert!(A::dh_validate_sk(kem, &[1; 32]).is_err());
        assert!(A::kem_decaps(kem, &[9; 32], &[1; 32]).is_err());
        assert!(A::kdf_derive(SingleStageKdfAlgorithm::Shake128, b"ikm", 32).is_err());
    }
}
