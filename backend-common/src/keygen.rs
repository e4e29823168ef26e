//! Private keys by rejection sampling, the rule of RFC 9180 §7.1.3: take a
//! candidate of `Nsk` bytes, clear the bits above the group order's top
//! bit (the bitmask: `0x01` for P-521, whose 66 bytes hold 521 bits), and
//! keep the first candidate the curve accepts as a scalar in `[1, n)`.
//!
//! `DeriveKeyPair` draws its candidates from `LabeledExpand`
//! ([`crate::kem`]); fresh HPKE and ECDSA keys draw them from the backend's
//! random source, which makes them uniform in `[1, n)` too. X25519, X448 and
//! EdDSA take any `Nsk` bytes, so their first candidate always stands.

use keypackage_traits::{CryptoError, KemAlgorithm, SignatureScheme};
use zeroize::Zeroizing;

use crate::backend::Primitives;

/// How many random candidates a fresh key may take. For P-256, the curve
/// most likely to refuse one, a refusal has probability below 2^-32; 64 in
/// a row mean the random source is broken.
const RANDOM_TRIES: usize = 64;

/// The bitmask of RFC 9180 §7.1.3 for a KEM's private keys.
pub(crate) const fn kem_bitmask(kem: KemAlgorithm) -> u8 {
    match kem {
        KemAlgorithm::DhKemP521 => 0x01,
        _ => 0xFF,
    }
}

/// The same bitmask for an ECDSA scalar of the scheme's curve.
pub(crate) const fn signature_bitmask(scheme: SignatureScheme) -> u8 {
    match scheme {
        SignatureScheme::EcdsaSecp521r1Sha512 => 0x01,
        _ => 0xFF,
    }
}

/// A private key and what `accept` made of it.
pub(crate) type Accepted<T> = (Zeroizing<Vec<u8>>, T);

/// The first of `tries` candidates (`candidate(counter)`, counter from 0)
/// that `accept` takes once masked; `None` when all are refused. `accept`
/// refuses a candidate with [`CryptoError::InvalidPrivateKey`]; any other
/// error ends the search.
pub(crate) fn first_valid<T>(
    tries: usize,
    bitmask: u8,
    mut candidate: impl FnMut(u8) -> Result<Zeroizing<Vec<u8>>, CryptoError>,
    mut accept: impl FnMut(&[u8]) -> Result<T, CryptoError>,
) -> Result<Option<Accepted<T>>, CryptoError> {
    for counter in (0..=u8::MAX).take(tries) {
        let mut bytes = candidate(counter)?;
        if let Some(first) = bytes.first_mut() {
            *first &= bitmask;
        }
        match accept(&bytes) {
            Ok(accepted) => return Ok(Some((bytes, accepted))),
            Err(CryptoError::InvalidPrivateKey { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(None)
}

/// A uniformly random private key of `len` bytes from the backend's random
/// source, and what `accept` made of it.
pub(crate) fn random<B: Primitives, T>(
    len: usize,
    bitmask: u8,
    accept: impl FnMut(&[u8]) -> Result<T, CryptoError>,
) -> Result<Accepted<T>, CryptoError> {
    let fresh = |_| {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        B::fill_random(&mut bytes)?;
        Ok(bytes)
    };
    first_valid(RANDOM_TRIES, bitmask, fresh, accept)?.ok_or(CryptoError::RandomnessUnavailable)
}
