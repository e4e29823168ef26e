//! HPKE (RFC 9180) for the ring backend: hpke-rs runs the protocol over
//! [`RingHpke`], our `HpkeCrypto` provider, which takes the KDF, the AEAD and
//! the randomness from ring and the Diffie-Hellman operations from the
//! [`crate::static_dh`] seam.
//!
//! Key generation and `DeriveKeyPair` (RFC 9180 §7.1.3) are done here rather
//! than by hpke-rs, because hpke-rs returns private keys in a type whose bytes
//! it only exposes behind its `hazmat` feature, which would also make that
//! type print its bytes in `Debug`.

use std::fmt;

use hpke_rs::{Hpke, HpkeError, Mode};
use hpke_rs_crypto::error::Error;
use hpke_rs_crypto::types::{
    AeadAlgorithm as HpkeAead, KdfAlgorithm as HpkeKdf, KemAlgorithm as HpkeKem,
    SingleStageKdfAlgorithm, TwoStageKdfAlgorithm,
};
use hpke_rs_crypto::{HpkeCrypto, HpkeDefaultPrng, TryCryptoRng, TryRng};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use keypackage_traits::{
    AeadAlgorithm, CryptoError, HashAlgorithm, KdfAlgorithm, KemAlgorithm, SuiteInfo,
};

use crate::primitives;
use crate::static_dh::{self, DhGroup};

/// The message hpke-rs carries for an all-zero X25519 output, so that
/// [`CryptoError::ZeroSharedSecret`] survives hpke-rs's string errors.
const ZERO_SHARED_SECRET: &str = "keypackage-ring: all-zero Diffie-Hellman output";

/// ring's system random source as the PRNG that hpke-rs draws the
/// ephemeral keys of `Encap` from.
#[derive(Clone, Debug)]
pub struct RingRng(SystemRandom);

impl RingRng {
    /// The operating system's random source, through ring.
    pub fn new() -> Self {
        Self(SystemRandom::new())
    }
}

impl Default for RingRng {
    fn default() -> Self {
        Self::new()
    }
}

/// The random source failed.
#[derive(Clone, Copy, Debug)]
pub struct RngFailure;

impl fmt::Display for RngFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the system random source failed")
    }
}

impl std::error::Error for RngFailure {}

impl TryRng for RingRng {
    type Error = RngFailure;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst).map_err(|_| RngFailure)
    }
}

/// ring's `SystemRandom` is the operating system's CSPRNG.
impl TryCryptoRng for RingRng {}

/// The hpke-rs crypto provider of this backend: ring for HKDF, AEAD and
/// randomness; [`crate::static_dh`] for DH, key generation and key checks.
#[derive(Debug)]
pub struct RingHpke;

fn hash_of(alg: TwoStageKdfAlgorithm) -> HashAlgorithm {
    match alg {
        TwoStageKdfAlgorithm::HkdfSha256 => HashAlgorithm::Sha256,
        TwoStageKdfAlgorithm::HkdfSha384 => HashAlgorithm::Sha384,
        TwoStageKdfAlgorithm::HkdfSha512 => HashAlgorithm::Sha512,
    }
}

fn group_of(alg: HpkeKem) -> Result<DhGroup, Error> {
    match alg {
        HpkeKem::DhKem25519 => Ok(DhGroup::X25519),
        HpkeKem::DhKemP256 => Ok(DhGroup::P256),
        HpkeKem::DhKemP384 => Ok(DhGroup::P384),
        _ => Err(Error::UnknownKemAlgorithm),
    }
}

fn aead_of(alg: HpkeAead) -> Result<AeadAlgorithm, Error> {
    match alg {
        HpkeAead::Aes128Gcm => Ok(AeadAlgorithm::Aes128Gcm),
        HpkeAead::Aes256Gcm => Ok(AeadAlgorithm::Aes256Gcm),
        HpkeAead::ChaCha20Poly1305 => Ok(AeadAlgorithm::ChaCha20Poly1305),
        HpkeAead::HpkeExport => Err(Error::UnknownAeadAlgorithm),
    }
}

/// Our error as an hpke-rs provider error.
fn to_hpke(error: CryptoError) -> Error {
    match error {
        CryptoError::DecryptionFailed => Error::AeadOpenError,
        CryptoError::InvalidPublicKey(_) => Error::KemInvalidPublicKey,
        CryptoError::InvalidPrivateKey(_) => Error::KemInvalidSecretKey,
        CryptoError::RandomnessUnavailable => Error::InsufficientRandomness,
        CryptoError::ZeroSharedSecret => Error::CryptoLibraryError(ZERO_SHARED_SECRET.into()),
        CryptoError::InvalidLength(_) => Error::HpkeInvalidOutputLength,
        _ => Error::CryptoLibraryError("keypackage-ring: internal error".into()),
    }
}

/// An hpke-rs error as ours.
fn from_hpke(error: HpkeError) -> CryptoError {
    match error {
        HpkeError::OpenError | HpkeError::InvalidInput => CryptoError::DecryptionFailed,
        HpkeError::InsufficientRandomness => CryptoError::RandomnessUnavailable,
        HpkeError::CryptoError(message) if message == ZERO_SHARED_SECRET => {
            CryptoError::ZeroSharedSecret
        }
        HpkeError::CryptoError(message) if message.contains("KEM public key") => {
            CryptoError::InvalidPublicKey("HPKE public key refused")
        }
        HpkeError::CryptoError(message) if message.contains("KEM secret key") => {
            CryptoError::InvalidPrivateKey("HPKE private key refused")
        }
        _ => CryptoError::Internal("HPKE operation failed"),
    }
}

/// A fresh private key for `group` from `fill`, and its public key.
///
/// X25519 takes any 32 bytes (RFC 7748 §5). A P-256/P-384 candidate outside
/// `[1, n)` is drawn again; the chance of even one retry is below 2^-32.
pub(crate) fn generate_key_pair(
    group: DhGroup,
    mut fill: impl FnMut(&mut [u8]) -> Result<(), CryptoError>,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), CryptoError> {
    for _ in 0..64 {
        let mut candidate = Zeroizing::new(vec![0u8; group.private_key_len()]);
        fill(&mut candidate)?;
        if let Ok(public) = static_dh::public_key(group, &candidate) {
            return Ok((candidate, public));
        }
    }
    Err(CryptoError::RandomnessUnavailable)
}

impl HpkeCrypto for RingHpke {
    type HpkePrng = RingRng;

    fn name() -> String {
        "keypackage-ring".into()
    }

    fn supports_kdf(alg: HpkeKdf) -> Result<(), Error> {
        match alg {
            HpkeKdf::HkdfSha256 | HpkeKdf::HkdfSha384 | HpkeKdf::HkdfSha512 => Ok(()),
            _ => Err(Error::UnknownKdfAlgorithm),
        }
    }

    fn supports_kem(alg: HpkeKem) -> Result<(), Error> {
        group_of(alg).map(|_| ())
    }

    fn supports_aead(alg: HpkeAead) -> Result<(), Error> {
        aead_of(alg).map(|_| ())
    }

    fn kdf_extract(alg: TwoStageKdfAlgorithm, salt: &[u8], ikm: &[u8]) -> Result<Vec<u8>, Error> {
        let mut prk = primitives::hkdf_extract(hash_of(alg), salt, ikm);
        Ok(std::mem::take(&mut *prk))
    }

    fn kdf_expand(
        alg: TwoStageKdfAlgorithm,
        prk: &[u8],
        info: &[u8],
        output_size: usize,
    ) -> Result<Vec<u8>, Error> {
        let mut okm = primitives::hkdf_expand(hash_of(alg), prk, info, output_size)
            .map_err(|_| Error::HpkeInvalidOutputLength)?;
        Ok(std::mem::take(&mut *okm))
    }

    fn kdf_derive(_alg: SingleStageKdfAlgorithm, _ikm: &[u8], _l: usize) -> Result<Vec<u8>, Error> {
        Err(Error::UnknownKdfAlgorithm)
    }

    fn dh(alg: HpkeKem, pk: &[u8], sk: &[u8]) -> Result<Vec<u8>, Error> {
        let mut shared = static_dh::diffie_hellman(group_of(alg)?, sk, pk).map_err(to_hpke)?;
        Ok(std::mem::take(&mut *shared))
    }

    fn secret_to_public(alg: HpkeKem, sk: &[u8]) -> Result<Vec<u8>, Error> {
        static_dh::public_key(group_of(alg)?, sk).map_err(to_hpke)
    }

    fn kem_key_gen(alg: HpkeKem, prng: &mut RingRng) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let (mut private, public) = generate_key_pair(group_of(alg)?, |out| {
            prng.try_fill_bytes(out)
                .map_err(|_| CryptoError::RandomnessUnavailable)
        })
        .map_err(to_hpke)?;
        Ok((public, std::mem::take(&mut *private)))
    }

    fn kem_key_gen_derand(_alg: HpkeKem, _seed: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
        Err(Error::UnsupportedKemOperation)
    }

    fn kem_encaps(
        _alg: HpkeKem,
        _pk_r: &[u8],
        _prng: &mut RingRng,
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        Err(Error::UnsupportedKemOperation)
    }

    fn kem_encaps_derand(
        _alg: HpkeKem,
        _pk_r: &[u8],
        _randomness: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        Err(Error::UnsupportedKemOperation)
    }

    fn kem_decaps(_alg: HpkeKem, _ct: &[u8], _sk_r: &[u8]) -> Result<Vec<u8>, Error> {
        Err(Error::UnsupportedKemOperation)
    }

    fn dh_validate_sk(alg: HpkeKem, sk: &[u8]) -> Result<Vec<u8>, Error> {
        static_dh::validate_private_key(group_of(alg)?, sk).map_err(to_hpke)?;
        Ok(sk.to_vec())
    }

    fn aead_seal(
        alg: HpkeAead,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, Error> {
        primitives::aead_seal(aead_of(alg)?, key, nonce, aad, msg).map_err(to_hpke)
    }

    fn aead_open(
        alg: HpkeAead,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let mut plaintext = primitives::aead_open(aead_of(alg)?, key, nonce, aad, msg)
            .map_err(|_| Error::AeadOpenError)?;
        Ok(std::mem::take(&mut *plaintext))
    }
}

impl HpkeDefaultPrng for RingHpke {
    fn try_prng() -> Result<RingRng, Error> {
        Ok(RingRng::new())
    }
}

/// The hpke-rs configuration of a suite (base mode, RFC 9180 §5.1.1).
fn config(info: &SuiteInfo) -> Result<Hpke<RingHpke>, CryptoError> {
    let kem = match info.kem {
        KemAlgorithm::DhKemX25519 => HpkeKem::DhKem25519,
        KemAlgorithm::DhKemP256 => HpkeKem::DhKemP256,
        KemAlgorithm::DhKemP384 => HpkeKem::DhKemP384,
        KemAlgorithm::DhKemP521 | KemAlgorithm::DhKemX448 => {
            return Err(CryptoError::UnsupportedCiphersuite(info.suite));
        }
    };
    let kdf = match info.kdf {
        KdfAlgorithm::HkdfSha256 => HpkeKdf::HkdfSha256,
        KdfAlgorithm::HkdfSha384 => HpkeKdf::HkdfSha384,
        KdfAlgorithm::HkdfSha512 => HpkeKdf::HkdfSha512,
    };
    let aead = match info.aead {
        AeadAlgorithm::Aes128Gcm => HpkeAead::Aes128Gcm,
        AeadAlgorithm::Aes256Gcm => HpkeAead::Aes256Gcm,
        AeadAlgorithm::ChaCha20Poly1305 => HpkeAead::ChaCha20Poly1305,
    };
    Ok(Hpke::new_with_rng(
        Mode::Base,
        kem,
        kdf,
        aead,
        RingRng::new(),
    ))
}

/// The seam's group for a suite's KEM.
pub(crate) fn suite_group(info: &SuiteInfo) -> Result<DhGroup, CryptoError> {
    DhGroup::from_kem(info.kem).ok_or(CryptoError::UnsupportedCiphersuite(info.suite))
}

/// `SealBase(pkR, info, aad, pt)` (RFC 9180 §6.1): returns `(enc, ct)`.
pub(crate) fn seal(
    suite: &SuiteInfo,
    public: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    static_dh::validate_public_key(suite_group(suite)?, public)?;
    let mut hpke = config(suite)?;
    hpke.seal(
        &hpke_rs::HpkePublicKey::new(public.to_vec()),
        info,
        aad,
        plaintext,
        None,
        None,
        None,
    )
    .map_err(from_hpke)
}

/// `OpenBase(enc, skR, info, aad, ct)` (RFC 9180 §6.1).
pub(crate) fn open(
    suite: &SuiteInfo,
    private: &[u8],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let group = suite_group(suite)?;
    // The caller's key first, then the peer's encapsulation: each refusal
    // names the right party.
    static_dh::validate_private_key(group, private)?;
    static_dh::validate_public_key(group, enc)?;
    let hpke = config(suite)?;
    let private = hpke_rs::HpkePrivateKey::new(private.to_vec());
    hpke.open(enc, &private, info, aad, ciphertext, None, None, None)
        .map(Zeroizing::new)
        .map_err(from_hpke)
}

/// `LabeledExtract` of RFC 9180 §4 with the KEM's suite ID.
fn labeled_extract(
    hash: HashAlgorithm,
    suite_id: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Zeroizing<Vec<u8>> {
    let mut labeled = Zeroizing::new(Vec::with_capacity(
        7 + suite_id.len() + label.len() + ikm.len(),
    ));
    labeled.extend_from_slice(b"HPKE-v1");
    labeled.extend_from_slice(suite_id);
    labeled.extend_from_slice(label);
    labeled.extend_from_slice(ikm);
    primitives::hkdf_extract(hash, &[], &labeled)
}

/// `LabeledExpand` of RFC 9180 §4 with the KEM's suite ID.
fn labeled_expand(
    hash: HashAlgorithm,
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[u8],
    len: u16,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut labeled = Vec::with_capacity(9 + suite_id.len() + label.len() + info.len());
    labeled.extend_from_slice(&len.to_be_bytes());
    labeled.extend_from_slice(b"HPKE-v1");
    labeled.extend_from_slice(suite_id);
    labeled.extend_from_slice(label);
    labeled.extend_from_slice(info);
    primitives::hkdf_expand(hash, prk, &labeled, usize::from(len))
}

/// `DeriveKeyPair(ikm)` of RFC 9180 §7.1.3, with the KEM's own KDF
/// (HKDF-SHA256 for X25519 and P-256, HKDF-SHA384 for P-384).
pub(crate) fn derive_key_pair(
    kem: KemAlgorithm,
    group: DhGroup,
    ikm: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), CryptoError> {
    let hash = match group {
        DhGroup::X25519 | DhGroup::P256 => HashAlgorithm::Sha256,
        DhGroup::P384 => HashAlgorithm::Sha384,
    };
    let mut suite_id = b"KEM".to_vec();
    suite_id.extend_from_slice(&(kem as u16).to_be_bytes());
    let nsk = u16::try_from(group.private_key_len())
        .map_err(|_| CryptoError::Internal("private key length exceeds u16"))?;
    let dkp_prk = labeled_extract(hash, &suite_id, b"dkp_prk", ikm);
    match group {
        DhGroup::X25519 => {
            let private = labeled_expand(hash, &suite_id, &dkp_prk, b"sk", &[], nsk)?;
            let public = static_dh::public_key(group, &private)?;
            Ok((private, public))
        }
        DhGroup::P256 | DhGroup::P384 => {
            // Rejection sampling; the bitmask is 0xFF for both curves, so the
            // candidate is used as it comes.
            for counter in 0..=u8::MAX {
                let candidate =
                    labeled_expand(hash, &suite_id, &dkp_prk, b"candidate", &[counter], nsk)?;
                if let Ok(public) = static_dh::public_key(group, &candidate) {
                    return Ok((candidate, public));
                }
            }
            Err(CryptoError::Internal("DeriveKeyPair found no valid scalar"))
        }
    }
}
