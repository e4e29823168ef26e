//! HPKE (RFC 9180) for the MLS suites: the DH-based KEMs, `DeriveKeyPair`,
//! and single-shot base-mode `Seal`/`Open` through hpke-rs.
//!
//! hpke-rs runs the protocol (Encap/Decap of RFC 9180 §4.1, the key schedule
//! of §5.1, the AEAD context of §5.2). Its primitives come from
//! [`HpkeProvider`], this crate's implementation of
//! [`hpke_rs_crypto::HpkeCrypto`]: it hands X25519, P-256 and P-384 to
//! hpke-rs-rust-crypto after checking the encodings itself, and implements
//! DHKEM(P-521) and DHKEM(X448), which hpke-rs-rust-crypto lacks.
//!
//! What this layer enforces (docs/DESIGN.md §3 P7), before anything reaches
//! hpke-rs:
//!
//! * NIST-curve public keys (`pkR`, `enc`) are uncompressed, on the curve and
//!   not the identity; hpke-rs-rust-crypto's own parser would also take a
//!   compressed point;
//! * private keys have exactly `Nsk` bytes, and NIST-curve scalars lie in
//!   `[1, n)`;
//! * an all-zero X25519/X448 output is [`CryptoError::ZeroSharedSecret`]
//!   (RFC 9180 §7.1.4).
//!
//! `DeriveKeyPair` (RFC 9180 §7.1.3) is implemented here for every KEM,
//! including the P-521 bitmask and the rejection sampling of the NIST curves.
//! hpke-rs 0.8 cannot encapsulate to X448 (its ephemeral `DeriveKeyPair` has
//! no X448 arm), so for X448 this module runs `Encap` itself and hands the
//! shared secret to hpke-rs's key schedule; `Decap` goes through hpke-rs for
//! every KEM.

use hpke_rs::{Hpke, HpkeError, Mode};
use hpke_rs_crypto::HpkeCrypto;
use hpke_rs_crypto::error::Error as HpkeCryptoError;
use hpke_rs_crypto::types::{
    AeadAlgorithm as HpkeAead, KdfAlgorithm as HpkeKdf, KemAlgorithm as HpkeKem,
    SingleStageKdfAlgorithm, TwoStageKdfAlgorithm,
};
use hpke_rs_rust_crypto::HpkeRustCrypto;
use keypackage_traits::{
    AeadAlgorithm, CryptoError, HashAlgorithm, KdfAlgorithm, KemAlgorithm, Secret, SuiteInfo,
};
use rand::TryCryptoRng;
use rand::rngs::SysRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::nist::{p256_ops, p384_ops, p521_ops};
use crate::primitives;

/// The message that carries "all-zero DH output" through hpke-rs's error
/// type (which turns `CryptoLibraryError(s)` into `HpkeError::CryptoError(s)`
/// unchanged), so that [`map_hpke_error`] can name it exactly.
const ZERO_SHARED_SECRET: &str = "keypackage/backend-rustcrypto: all-zero DH output";

/// `"HPKE-v1"`, the version label of RFC 9180 §4.
const HPKE_VERSION: &[u8] = b"HPKE-v1";

/// An HPKE private key as bytes (zeroized on drop) and its public key.
pub(crate) type KemKeyPair = (Zeroizing<Vec<u8>>, Vec<u8>);

/// The hash under the KEM's HKDF (RFC 9180 §7.1, table 2).
fn kem_hash(kem: KemAlgorithm) -> HashAlgorithm {
    match kem {
        KemAlgorithm::DhKemP256 | KemAlgorithm::DhKemX25519 => HashAlgorithm::Sha256,
        KemAlgorithm::DhKemP384 => HashAlgorithm::Sha384,
        KemAlgorithm::DhKemP521 | KemAlgorithm::DhKemX448 => HashAlgorithm::Sha512,
    }
}

/// `suite_id = concat("KEM", I2OSP(kem_id, 2))` (RFC 9180 §4.1).
fn kem_suite_id(kem: KemAlgorithm) -> [u8; 5] {
    let [hi, lo] = (kem as u16).to_be_bytes();
    [b'K', b'E', b'M', hi, lo]
}

/// `LabeledExtract(salt, label, ikm)` (RFC 9180 §4).
fn labeled_extract(
    hash: HashAlgorithm,
    salt: &[u8],
    suite_id: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Secret {
    let mut labeled_ikm = Zeroizing::new(Vec::with_capacity(
        HPKE_VERSION.len() + suite_id.len() + label.len() + ikm.len(),
    ));
    for part in [HPKE_VERSION, suite_id, label, ikm] {
        labeled_ikm.extend_from_slice(part);
    }
    primitives::hkdf_extract(hash, salt, &labeled_ikm)
}

/// `LabeledExpand(prk, label, info, L)` (RFC 9180 §4).
fn labeled_expand(
    hash: HashAlgorithm,
    prk: &[u8],
    suite_id: &[u8],
    label: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let len_bytes = u16::try_from(len)
        .map_err(|_| CryptoError::InvalidLength("LabeledExpand length exceeds 2^16 - 1"))?
        .to_be_bytes();
    let mut labeled_info =
        Vec::with_capacity(2 + HPKE_VERSION.len() + suite_id.len() + label.len() + info.len());
    for part in [&len_bytes[..], HPKE_VERSION, suite_id, label, info] {
        labeled_info.extend_from_slice(part);
    }
    primitives::hkdf_expand(hash, prk, &labeled_info, len)
}

/// Checks a serialized private key: `Nsk` bytes, and for the NIST curves a
/// scalar in `[1, n)` (RFC 9180 §7.1.2). Any `Nsk` bytes are an X25519 or
/// X448 private key (they are clamped when used, RFC 7748 §5).
pub(crate) fn check_private(kem: KemAlgorithm, private: &[u8]) -> Result<(), CryptoError> {
    match kem {
        KemAlgorithm::DhKemP256 => p256_ops::parse_secret(private).map(drop),
        KemAlgorithm::DhKemP384 => p384_ops::parse_secret(private).map(drop),
        KemAlgorithm::DhKemP521 => p521_ops::parse_secret(private).map(drop),
        KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448 => {
            if private.len() == kem.private_key_len() {
                Ok(())
            } else {
                Err(CryptoError::InvalidPrivateKey("wrong private key length"))
            }
        }
    }
}

/// Checks a serialized public key (RFC 9180 §7.1.1): `Npk` bytes, and for
/// the NIST curves an uncompressed, on-curve, non-identity point. X25519
/// and X448 keys of small order pass here and fail at `DH` time with
/// [`CryptoError::ZeroSharedSecret`] (RFC 9180 §7.1.4).
pub(crate) fn validate_public(kem: KemAlgorithm, public: &[u8]) -> Result<(), CryptoError> {
    match kem {
        KemAlgorithm::DhKemP256 => p256_ops::parse_public(public).map(drop),
        KemAlgorithm::DhKemP384 => p384_ops::parse_public(public).map(drop),
        KemAlgorithm::DhKemP521 => p521_ops::parse_public(public).map(drop),
        KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448 => {
            if public.len() == kem.public_key_len() {
                Ok(())
            } else {
                Err(CryptoError::InvalidPublicKey("wrong public key length"))
            }
        }
    }
}

/// The hpke-rs identifier of a KEM.
fn hpke_kem(kem: KemAlgorithm) -> HpkeKem {
    match kem {
        KemAlgorithm::DhKemP256 => HpkeKem::DhKemP256,
        KemAlgorithm::DhKemP384 => HpkeKem::DhKemP384,
        KemAlgorithm::DhKemP521 => HpkeKem::DhKemP521,
        KemAlgorithm::DhKemX25519 => HpkeKem::DhKem25519,
        KemAlgorithm::DhKemX448 => HpkeKem::DhKem448,
    }
}

/// Our identifier of an hpke-rs KEM, for the KEMs this crate implements.
fn our_kem(kem: HpkeKem) -> Result<KemAlgorithm, HpkeCryptoError> {
    match kem {
        HpkeKem::DhKemP256 => Ok(KemAlgorithm::DhKemP256),
        HpkeKem::DhKemP384 => Ok(KemAlgorithm::DhKemP384),
        HpkeKem::DhKemP521 => Ok(KemAlgorithm::DhKemP521),
        HpkeKem::DhKem25519 => Ok(KemAlgorithm::DhKemX25519),
        #[cfg(feature = "x448")]
        HpkeKem::DhKem448 => Ok(KemAlgorithm::DhKemX448),
        _ => Err(HpkeCryptoError::UnknownKemAlgorithm),
    }
}

/// The hpke-rs identifier of a KDF.
fn hpke_kdf(kdf: KdfAlgorithm) -> HpkeKdf {
    match kdf {
        KdfAlgorithm::HkdfSha256 => HpkeKdf::HkdfSha256,
        KdfAlgorithm::HkdfSha384 => HpkeKdf::HkdfSha384,
        KdfAlgorithm::HkdfSha512 => HpkeKdf::HkdfSha512,
    }
}

/// The hpke-rs identifier of an AEAD.
fn hpke_aead(aead: AeadAlgorithm) -> HpkeAead {
    match aead {
        AeadAlgorithm::Aes128Gcm => HpkeAead::Aes128Gcm,
        AeadAlgorithm::Aes256Gcm => HpkeAead::Aes256Gcm,
        AeadAlgorithm::ChaCha20Poly1305 => HpkeAead::ChaCha20Poly1305,
    }
}

/// Our identifier of an hpke-rs AEAD.
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

/// Converts an error of this crate into the error type of the
/// `HpkeCrypto` trait, keeping "all-zero DH output" recognisable.
fn to_hpke_error(error: CryptoError) -> HpkeCryptoError {
    match error {
        CryptoError::ZeroSharedSecret => {
            HpkeCryptoError::CryptoLibraryError(ZERO_SHARED_SECRET.into())
        }
        CryptoError::InvalidPublicKey(_) => HpkeCryptoError::KemInvalidPublicKey,
        CryptoError::InvalidPrivateKey(_) => HpkeCryptoError::KemInvalidSecretKey,
        CryptoError::RandomnessUnavailable => HpkeCryptoError::InsufficientRandomness,
        CryptoError::DecryptionFailed => HpkeCryptoError::AeadOpenError,
        other => HpkeCryptoError::CryptoLibraryError(other.to_string()),
    }
}

/// Converts an hpke-rs error back. Inputs are validated before hpke-rs
/// sees them, so what remains is a zero DH output, a failed AEAD open, the
/// random source, or a bug.
fn map_hpke_error(error: HpkeError) -> CryptoError {
    match error {
        HpkeError::CryptoError(message) if message == ZERO_SHARED_SECRET => {
            CryptoError::ZeroSharedSecret
        }
        HpkeError::OpenError | HpkeError::InvalidInput => CryptoError::DecryptionFailed,
        HpkeError::InsufficientRandomness => CryptoError::RandomnessUnavailable,
        _ => CryptoError::Internal("hpke-rs failed on validated input"),
    }
}

/// Converts an error of hpke-rs-rust-crypto, called on inputs this crate
/// has already validated.
fn from_rust_crypto(error: HpkeCryptoError) -> CryptoError {
    match error {
        HpkeCryptoError::KemInvalidPublicKey => {
            CryptoError::InvalidPublicKey("refused by hpke-rs-rust-crypto")
        }
        HpkeCryptoError::KemInvalidSecretKey => {
            CryptoError::InvalidPrivateKey("refused by hpke-rs-rust-crypto")
        }
        _ => CryptoError::Internal("hpke-rs-rust-crypto failed on validated input"),
    }
}

/// `pk(skX)`: the public key of a private key.
pub(crate) fn public_from_private(
    kem: KemAlgorithm,
    private: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    check_private(kem, private)?;
    match kem {
        KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemP256 | KemAlgorithm::DhKemP384 => {
            HpkeRustCrypto::secret_to_public(hpke_kem(kem), private).map_err(from_rust_crypto)
        }
        KemAlgorithm::DhKemP521 => Ok(p521_ops::encode_public(
            &p521_ops::parse_secret(private)?.public_key(),
        )),
        KemAlgorithm::DhKemX448 => x448_public(private),
    }
}

/// `DH(skX, pkY)` (RFC 9180 §4.1) with both inputs checked, and the
/// all-zero check of RFC 9180 §7.1.4 for X25519 and X448.
pub(crate) fn dh(
    kem: KemAlgorithm,
    private: &[u8],
    public: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    check_private(kem, private)?;
    validate_public(kem, public)?;
    match kem {
        KemAlgorithm::DhKemX25519 => {
            // hpke-rs-rust-crypto refuses an all-zero output as an "invalid
            // public key"; the lengths are already checked, so that is the
            // only way it can fail here.
            let shared = HpkeRustCrypto::dh(HpkeKem::DhKem25519, public, private)
                .map(Zeroizing::new)
                .map_err(|_| CryptoError::ZeroSharedSecret)?;
            if bool::from(shared.ct_eq(&[0u8; 32][..])) {
                return Err(CryptoError::ZeroSharedSecret);
            }
            Ok(shared)
        }
        KemAlgorithm::DhKemP256 | KemAlgorithm::DhKemP384 => {
            HpkeRustCrypto::dh(hpke_kem(kem), public, private)
                .map(Zeroizing::new)
                .map_err(from_rust_crypto)
        }
        KemAlgorithm::DhKemP521 => Ok(p521_ops::dh(
            &p521_ops::parse_secret(private)?,
            &p521_ops::parse_public(public)?,
        )),
        KemAlgorithm::DhKemX448 => x448_dh(private, public),
    }
}

/// `GenerateKeyPair()` (RFC 9180 §4): a uniformly random private key.
pub(crate) fn generate_with<R: TryCryptoRng + ?Sized>(
    kem: KemAlgorithm,
    rng: &mut R,
) -> Result<KemKeyPair, CryptoError> {
    let private = match kem {
        KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448 => {
            let mut bytes = Zeroizing::new(vec![0u8; kem.private_key_len()]);
            rng.try_fill_bytes(&mut bytes)
                .map_err(|_| CryptoError::RandomnessUnavailable)?;
            bytes
        }
        KemAlgorithm::DhKemP256 => p256_ops::encode_secret(&p256_ops::generate_with(rng)?),
        KemAlgorithm::DhKemP384 => p384_ops::encode_secret(&p384_ops::generate_with(rng)?),
        KemAlgorithm::DhKemP521 => p521_ops::encode_secret(&p521_ops::generate_with(rng)?),
    };
    let public = public_from_private(kem, &private)?;
    Ok((private, public))
}

/// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3).
///
/// X25519 and X448: `sk = LabeledExpand(dkp_prk, "sk", "", Nsk)`.
/// NIST curves: the first `LabeledExpand(dkp_prk, "candidate", counter,
/// Nsk)`, its first byte masked with `0x01` for P-521 and `0xFF` otherwise,
/// that is a scalar in `[1, n)`; after 256 failed candidates,
/// `DeriveKeyPairError`.
pub(crate) fn derive_key_pair(kem: KemAlgorithm, ikm: &[u8]) -> Result<KemKeyPair, CryptoError> {
    let hash = kem_hash(kem);
    let suite_id = kem_suite_id(kem);
    let dkp_prk = labeled_extract(hash, b"", &suite_id, b"dkp_prk", ikm);
    let private = match kem {
        KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448 => {
            let sk = labeled_expand(
                hash,
                dkp_prk.expose(),
                &suite_id,
                b"sk",
                b"",
                kem.private_key_len(),
            )?;
            Zeroizing::new(sk.expose().to_vec())
        }
        KemAlgorithm::DhKemP256 | KemAlgorithm::DhKemP384 | KemAlgorithm::DhKemP521 => {
            let bitmask = if kem == KemAlgorithm::DhKemP521 {
                0x01
            } else {
                0xFF
            };
            let mut found = None;
            for counter in 0..=u8::MAX {
                let candidate = labeled_expand(
                    hash,
                    dkp_prk.expose(),
                    &suite_id,
                    b"candidate",
                    &[counter],
                    kem.private_key_len(),
                )?;
                let mut bytes = Zeroizing::new(candidate.expose().to_vec());
                if let Some(first) = bytes.first_mut() {
                    *first &= bitmask;
                }
                if check_private(kem, &bytes).is_ok() {
                    found = Some(bytes);
                    break;
                }
            }
            found.ok_or(CryptoError::Internal(
                "DeriveKeyPairError: no valid candidate in 256 tries",
            ))?
        }
    };
    let public = public_from_private(kem, &private)?;
    Ok((private, public))
}

/// The hpke-rs configuration of a suite, base mode, with the OS random source.
fn hpke_config(suite: &SuiteInfo) -> Hpke<HpkeProvider> {
    Hpke::new_with_rng(
        Mode::Base,
        hpke_kem(suite.kem),
        hpke_kdf(suite.kdf),
        hpke_aead(suite.aead),
        SysRng,
    )
}

/// Single-shot base-mode `Seal` (RFC 9180 §6.1) to `public`; returns
/// `(enc, ciphertext)`.
pub(crate) fn seal(
    suite: &SuiteInfo,
    public: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    validate_public(suite.kem, public)?;
    if suite.kem == KemAlgorithm::DhKemX448 {
        return seal_with_own_encap(suite, public, info, aad, plaintext);
    }
    hpke_config(suite)
        .seal(
            &hpke_rs::HpkePublicKey::new(public.to_vec()),
            info,
            aad,
            plaintext,
            None,
            None,
            None,
        )
        .map_err(map_hpke_error)
}

/// `Seal` with `Encap` (RFC 9180 §4.1) run here, for the KEMs whose
/// encapsulation hpke-rs cannot do (X448); the key schedule and the AEAD
/// are hpke-rs's.
fn seal_with_own_encap(
    suite: &SuiteInfo,
    public: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    let kem = suite.kem;
    let hash = kem_hash(kem);
    let suite_id = kem_suite_id(kem);
    // skE, pkE = GenerateKeyPair(); dh = DH(skE, pkR); enc = pkE
    let (ephemeral, enc) = generate_with(kem, &mut SysRng)?;
    let dh = dh(kem, &ephemeral, public)?;
    drop(ephemeral);
    // kem_context = concat(enc, pkRm); shared_secret = ExtractAndExpand(dh, kem_context)
    let mut kem_context = Vec::with_capacity(enc.len() + public.len());
    kem_context.extend_from_slice(&enc);
    kem_context.extend_from_slice(public);
    let eae_prk = labeled_extract(hash, b"", &suite_id, b"eae_prk", &dh);
    let shared_secret = labeled_expand(
        hash,
        eae_prk.expose(),
        &suite_id,
        b"shared_secret",
        &kem_context,
        kem.shared_secret_len(),
    )?;
    let mut context = hpke_config(suite)
        .key_schedule(shared_secret.expose(), info, b"", b"")
        .map_err(map_hpke_error)?;
    let ciphertext = context.seal(aad, plaintext).map_err(map_hpke_error)?;
    Ok((enc, ciphertext))
}

/// Single-shot base-mode `Open` (RFC 9180 §6.1).
pub(crate) fn open(
    suite: &SuiteInfo,
    private: &[u8],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    check_private(suite.kem, private)?;
    validate_public(suite.kem, enc)?;
    let private = hpke_rs::HpkePrivateKey::new(private.to_vec());
    hpke_config(suite)
        .open(enc, &private, info, aad, ciphertext, None, None, None)
        .map(Secret::new)
        .map_err(map_hpke_error)
}

#[cfg(feature = "x448")]
fn x448_array(bytes: &[u8], what: CryptoError) -> Result<Zeroizing<[u8; 56]>, CryptoError> {
    let array: [u8; 56] = bytes.try_into().map_err(|_| what)?;
    Ok(Zeroizing::new(array))
}

/// `pk(sk) = X448(sk, 5)` (RFC 7748 §6.2).
#[cfg(feature = "x448")]
fn x448_public(private: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let scalar = x448_array(
        private,
        CryptoError::InvalidPrivateKey("wrong private key length"),
    )?;
    Ok(x448::x448_unchecked(*scalar, x448::X448_BASEPOINT_BYTES).to_vec())
}

/// `X448(sk, pk)` (RFC 7748 §5), refusing the all-zero output
/// (RFC 7748 §6.2, RFC 9180 §7.1.4).
#[cfg(feature = "x448")]
fn x448_dh(private: &[u8], public: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let scalar = x448_array(
        private,
        CryptoError::InvalidPrivateKey("wrong private key length"),
    )?;
    let point: [u8; 56] = public
        .try_into()
        .map_err(|_| CryptoError::InvalidPublicKey("wrong public key length"))?;
    let shared = Zeroizing::new(x448::x448_unchecked(*scalar, point));
    if bool::from(shared.ct_eq(&[0u8; 56])) {
        return Err(CryptoError::ZeroSharedSecret);
    }
    Ok(Zeroizing::new(shared.to_vec()))
}

#[cfg(not(feature = "x448"))]
fn x448_public(_private: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Err(CryptoError::Internal("X448 needs the x448 feature"))
}

#[cfg(not(feature = "x448"))]
fn x448_dh(_private: &[u8], _public: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    Err(CryptoError::Internal("X448 needs the x448 feature"))
}

/// This crate's [`HpkeCrypto`] provider for hpke-rs: the KEMs of the MLS
/// suites with this crate's checks, HKDF-SHA2 and the three AEADs.
#[derive(Debug)]
pub(crate) struct HpkeProvider;

impl HpkeCrypto for HpkeProvider {
    type HpkePrng = SysRng;

    fn name() -> String {
        "keypackage backend-rustcrypto".into()
    }

    fn supports_kdf(alg: HpkeKdf) -> Result<(), HpkeCryptoError> {
        TwoStageKdfAlgorithm::try_from(alg).map(drop)
    }

    fn supports_kem(alg: HpkeKem) -> Result<(), HpkeCryptoError> {
        our_kem(alg).map(drop)
    }

    fn supports_aead(alg: HpkeAead) -> Result<(), HpkeCryptoError> {
        our_aead(alg).map(drop)
    }

    fn kdf_extract(
        alg: TwoStageKdfAlgorithm,
        salt: &[u8],
        ikm: &[u8],
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        Ok(primitives::hkdf_extract(kdf_hash(alg), salt, ikm)
            .expose()
            .to_vec())
    }

    fn kdf_expand(
        alg: TwoStageKdfAlgorithm,
        prk: &[u8],
        info: &[u8],
        output_size: usize,
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        primitives::hkdf_expand(kdf_hash(alg), prk, info, output_size)
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

    fn dh(alg: HpkeKem, pk: &[u8], sk: &[u8]) -> Result<Vec<u8>, HpkeCryptoError> {
        dh(our_kem(alg)?, sk, pk)
            .map(|shared| shared.to_vec())
            .map_err(to_hpke_error)
    }

    fn secret_to_public(alg: HpkeKem, sk: &[u8]) -> Result<Vec<u8>, HpkeCryptoError> {
        public_from_private(our_kem(alg)?, sk).map_err(to_hpke_error)
    }

    fn kem_key_gen(
        alg: HpkeKem,
        prng: &mut Self::HpkePrng,
    ) -> Result<(Vec<u8>, Vec<u8>), HpkeCryptoError> {
        let (private, public) = generate_with(our_kem(alg)?, prng).map_err(to_hpke_error)?;
        Ok((public, private.to_vec()))
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
        _prng: &mut Self::HpkePrng,
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

    fn dh_validate_sk(alg: HpkeKem, sk: &[u8]) -> Result<Vec<u8>, HpkeCryptoError> {
        check_private(our_kem(alg)?, sk)
            .map(|()| sk.to_vec())
            .map_err(to_hpke_error)
    }

    fn aead_seal(
        alg: HpkeAead,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        primitives::aead_seal(our_aead(alg)?, key, nonce, aad, msg)
            .map_err(|e| HpkeCryptoError::CryptoLibraryError(e.to_string()))
    }

    fn aead_open(
        alg: HpkeAead,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, HpkeCryptoError> {
        primitives::aead_open(our_aead(alg)?, key, nonce, aad, msg)
            .map(|plaintext| plaintext.expose().to_vec())
            .map_err(|_| HpkeCryptoError::AeadOpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_ids_follow_rfc_9180() {
        assert_eq!(kem_suite_id(KemAlgorithm::DhKemX25519), *b"KEM\x00\x20");
        assert_eq!(kem_suite_id(KemAlgorithm::DhKemP521), *b"KEM\x00\x12");
    }

    #[test]
    fn zero_x25519_output_is_named() {
        let (private, _) = generate_with(KemAlgorithm::DhKemX25519, &mut SysRng).unwrap();
        assert_eq!(
            dh(KemAlgorithm::DhKemX25519, &private, &[0u8; 32]),
            Err(CryptoError::ZeroSharedSecret)
        );
        // Through hpke-rs, the marker survives the error conversion.
        let suite = keypackage_traits::Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519
            .info()
            .unwrap();
        assert_eq!(
            open(suite, &private, &[0u8; 32], b"", b"", &[0u8; 32]),
            Err(CryptoError::ZeroSharedSecret)
        );
        assert_eq!(
            seal(suite, &[0u8; 32], b"", b"", b"x"),
            Err(CryptoError::ZeroSharedSecret)
        );
    }

    #[test]
    fn provider_refuses_compressed_points_that_rust_crypto_would_take() {
        let (private, public) = generate_with(KemAlgorithm::DhKemP256, &mut SysRng).unwrap();
        let public_key = p256::PublicKey::from_sec1_bytes(&public).unwrap();
        use p256::elliptic_curve::sec1::ToSec1Point as _;
        let compressed = public_key.to_sec1_point(true).as_bytes().to_vec();
        assert!(HpkeRustCrypto::dh(HpkeKem::DhKemP256, &compressed, &private).is_ok());
        assert!(matches!(
            HpkeProvider::dh(HpkeKem::DhKemP256, &compressed, &private),
            Err(HpkeCryptoError::KemInvalidPublicKey)
        ));
    }
}
