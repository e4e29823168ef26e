//! DHKEM (RFC 9180 §4.1) over a backend's [`Dh`] and HKDF primitives:
//! `LabeledExtract`/`LabeledExpand` with the KEM's suite ID, key
//! generation, `DeriveKeyPair` (§7.1.3), the all-zero check (§7.1.4),
//! `ExtractAndExpand`, `Encap` and `Decap`. Written once; a backend
//! supplies only the group operations.
//!
//! Every intermediate secret (the DH output, `dkp_prk`, `eae_prk`, each
//! candidate scalar, the shared secret) lives in a [`Secret`] or a
//! [`Zeroizing`] buffer and is wiped when dropped.

use keypackage_traits::{
    CryptoError, HashAlgorithm, HpkeKeyPair, HpkePrivateKey, HpkePublicKey, KemAlgorithm, Secret,
};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::backend::{Dh, Primitives};
use crate::{keygen, montgomery, symmetric};

/// `"HPKE-v1"`, the version label of RFC 9180 §4.
const HPKE_VERSION: &[u8] = b"HPKE-v1";

/// The hash under the KEM's HKDF (RFC 9180 §7.1, table 2).
pub(crate) const fn kem_hash(kem: KemAlgorithm) -> HashAlgorithm {
    match kem {
        KemAlgorithm::DhKemP256 | KemAlgorithm::DhKemX25519 => HashAlgorithm::Sha256,
        KemAlgorithm::DhKemP384 => HashAlgorithm::Sha384,
        KemAlgorithm::DhKemP521 | KemAlgorithm::DhKemX448 => HashAlgorithm::Sha512,
    }
}

/// `suite_id = concat("KEM", I2OSP(kem_id, 2))` (RFC 9180 §4.1).
pub(crate) const fn suite_id(kem: KemAlgorithm) -> [u8; 5] {
    let [hi, lo] = (kem as u16).to_be_bytes();
    [b'K', b'E', b'M', hi, lo]
}

/// Whether the KEM is X25519 or X448, whose private keys are any `Nsk`
/// bytes and whose DH output can be all zero.
const fn is_montgomery(kem: KemAlgorithm) -> bool {
    matches!(kem, KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448)
}

/// `LabeledExtract(salt, label, ikm)` (RFC 9180 §4) with the KEM's suite ID.
fn labeled_extract<B: Primitives>(
    kem: KemAlgorithm,
    salt: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Secret {
    let id = suite_id(kem);
    let mut labeled_ikm = Zeroizing::new(Vec::with_capacity(
        HPKE_VERSION.len() + id.len() + label.len() + ikm.len(),
    ));
    for part in [HPKE_VERSION, &id, label, ikm] {
        labeled_ikm.extend_from_slice(part);
    }
    symmetric::hkdf_extract::<B>(kem_hash(kem), salt, &labeled_ikm)
}

/// `LabeledExpand(prk, label, info, L)` (RFC 9180 §4) with the KEM's
/// suite ID.
fn labeled_expand<B: Primitives>(
    kem: KemAlgorithm,
    prk: &Secret,
    label: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let id = suite_id(kem);
    let len_bytes = u16::try_from(len)
        .map_err(|_| CryptoError::InvalidLength {
            detail: "LabeledExpand length exceeds 2^16 - 1",
        })?
        .to_be_bytes();
    let mut labeled_info = Vec::with_capacity(
        len_bytes.len() + HPKE_VERSION.len() + id.len() + label.len() + info.len(),
    );
    for part in [&len_bytes[..], HPKE_VERSION, &id, label, info] {
        labeled_info.extend_from_slice(part);
    }
    symmetric::hkdf_expand::<B>(kem_hash(kem), prk.expose(), &labeled_info, len)
}

/// `DH(skX, pkY)` with the check of RFC 9180 §7.1.4: an all-zero X25519 or
/// X448 output (a public key of small order) is
/// [`CryptoError::ZeroSharedSecret`], compared in constant time.
pub(crate) fn dh<B: Dh>(
    kem: KemAlgorithm,
    private: &[u8],
    public: &[u8],
) -> Result<Secret, CryptoError> {
    let shared = B::dh(kem, private, public)?;
    let zero = Zeroizing::new(vec![0u8; shared.len()]);
    if is_montgomery(kem) && bool::from(shared.ct_eq(&zero)) {
        return Err(CryptoError::ZeroSharedSecret);
    }
    Ok(Secret::from(shared))
}

/// Checks a public key against the shared policy (KP-INIT-KEY,
/// KP-ENC-KEY): X25519/X448 canonical and not of small order
/// ([`montgomery`]); NIST points uncompressed and on the curve.
pub(crate) fn validate_public<B: Dh>(kem: KemAlgorithm, public: &[u8]) -> Result<(), CryptoError> {
    match kem {
        KemAlgorithm::DhKemX25519 => montgomery::check_x25519_public(public),
        KemAlgorithm::DhKemX448 => montgomery::check_x448_public(public),
        _ => B::check_public(kem, public),
    }
}

/// A key pair from a private key that `public_key` accepted.
fn key_pair(private: Zeroizing<Vec<u8>>, public: Vec<u8>) -> HpkeKeyPair {
    HpkeKeyPair {
        private: HpkePrivateKey::from(Secret::from(private)),
        public: HpkePublicKey::new(public),
    }
}

/// `GenerateKeyPair()` (RFC 9180 §4): a uniformly random private key (see
/// [`keygen`]) and its public key.
pub(crate) fn generate_key_pair<B: Primitives + Dh>(
    kem: KemAlgorithm,
) -> Result<HpkeKeyPair, CryptoError> {
    let (private, public) =
        keygen::random::<B, _>(kem.private_key_len(), keygen::kem_bitmask(kem), |sk| {
            B::public_key(kem, sk)
        })?;
    Ok(key_pair(private, public))
}

/// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3).
///
/// X25519 and X448: `sk = LabeledExpand(dkp_prk, "sk", "", Nsk)`. NIST
/// curves: the first `LabeledExpand(dkp_prk, "candidate", counter, Nsk)`,
/// masked with the bitmask, that is a scalar in `[1, n)`; after 256 failed
/// candidates, `DeriveKeyPairError`.
pub(crate) fn derive_key_pair<B: Primitives + Dh>(
    kem: KemAlgorithm,
    ikm: &[u8],
) -> Result<HpkeKeyPair, CryptoError> {
    let dkp_prk = labeled_extract::<B>(kem, b"", b"dkp_prk", ikm);
    let nsk = kem.private_key_len();
    if is_montgomery(kem) {
        let sk = labeled_expand::<B>(kem, &dkp_prk, b"sk", b"", nsk)?;
        let private = Zeroizing::new(sk.expose().to_vec());
        let public = B::public_key(kem, &private)?;
        return Ok(key_pair(private, public));
    }
    let candidate = |counter: u8| {
        let bytes = labeled_expand::<B>(kem, &dkp_prk, b"candidate", &[counter], nsk)?;
        Ok(Zeroizing::new(bytes.expose().to_vec()))
    };
    let accept = |sk: &[u8]| B::public_key(kem, sk);
    match keygen::first_valid(256, keygen::kem_bitmask(kem), candidate, accept)? {
        Some((private, public)) => Ok(key_pair(private, public)),
        None => Err(CryptoError::Internal {
            detail: "DeriveKeyPairError: no valid candidate in 256 tries",
        }),
    }
}

/// `ExtractAndExpand(dh, kem_context)` (RFC 9180 §4.1).
fn extract_and_expand<B: Primitives>(
    kem: KemAlgorithm,
    dh: &Secret,
    kem_context: &[u8],
) -> Result<Secret, CryptoError> {
    let eae_prk = labeled_extract::<B>(kem, b"", b"eae_prk", dh.expose());
    labeled_expand::<B>(
        kem,
        &eae_prk,
        b"shared_secret",
        kem_context,
        kem.shared_secret_len(),
    )
}

/// `Encap(pkR)` (RFC 9180 §4.1): `(shared_secret, enc)`. `pkR` is checked
/// before the ephemeral key is made; a small-order X25519/X448 `pkR` fails
/// with [`CryptoError::ZeroSharedSecret`].
pub(crate) fn encap<B: Primitives + Dh>(
    kem: KemAlgorithm,
    public: &[u8],
) -> Result<(Secret, Vec<u8>), CryptoError> {
    B::check_public(kem, public)?;
    let ephemeral = generate_key_pair::<B>(kem)?;
    let dh = dh::<B>(kem, ephemeral.private.expose(), public)?;
    let enc = ephemeral.public.into_vec();
    let kem_context = [enc.as_slice(), public].concat();
    Ok((extract_and_expand::<B>(kem, &dh, &kem_context)?, enc))
}

/// `Decap(enc, skR)` (RFC 9180 §4.1): the private key is checked first (the
/// caller's), then `enc` (the peer's).
pub(crate) fn decap<B: Primitives + Dh>(
    kem: KemAlgorithm,
    enc: &[u8],
    private: &[u8],
) -> Result<Secret, CryptoError> {
    let public = B::public_key(kem, private)?;
    let dh = dh::<B>(kem, private, enc)?;
    let kem_context = [enc, public.as_slice()].concat();
    extract_and_expand::<B>(kem, &dh, &kem_context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_ids_follow_rfc_9180() {
        assert_eq!(suite_id(KemAlgorithm::DhKemX25519), *b"KEM\x00\x20");
        assert_eq!(suite_id(KemAlgorithm::DhKemP521), *b"KEM\x00\x12");
        assert_eq!(kem_hash(KemAlgorithm::DhKemX448), HashAlgorithm::Sha512);
        assert_eq!(keygen::kem_bitmask(KemAlgorithm::DhKemP521), 0x01);
        assert_eq!(keygen::kem_bitmask(KemAlgorithm::DhKemP384), 0xFF);
    }
}
