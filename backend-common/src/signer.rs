//! [`MemorySigner`]: a backend's signing key in memory, behind the
//! [`Signer`] trait, written once for every backend.

use std::fmt;

use keypackage_traits::{
    CryptoError, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, Signer,
};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::backend::{Backend, CryptoResult, Signatures};
use crate::keygen;

/// A signature key of the backend `B` held in memory, parsed once: signing
/// neither re-parses the private key nor re-derives the public key.
///
/// The private key bytes are kept (in a zeroizing [`SignaturePrivateKey`])
/// so that the caller can store them. [`Zeroize::zeroize`] wipes them and
/// drops the backend's key, after which the signer refuses to sign; `Debug`
/// shows the scheme and the public key only. Whether the backend's own key
/// state is wiped when dropped is the backend's: the RustCrypto keys are,
/// ring's are not (docs/DESIGN.md §7.4).
pub struct MemorySigner<B: Signatures> {
    scheme: SignatureScheme,
    public: SignaturePublicKey,
    private: SignaturePrivateKey,
    /// `None` once zeroized.
    key: Option<B::SigningKey>,
}

impl<B: Backend> MemorySigner<B> {
    /// A fresh random key for `scheme`: an EdDSA seed of random bytes, or
    /// an ECDSA scalar uniformly in `[1, n)` by rejection sampling from the
    /// backend's random source (the rule of RFC 9180 §7.1.3, P-521's bitmask
    /// included).
    pub fn generate(scheme: SignatureScheme) -> CryptoResult<Self> {
        let load = |bytes: &[u8]| Self::load(scheme, &SignaturePrivateKey::new(bytes.to_vec()));
        let (_, signer) = keygen::random::<B, _>(
            scheme.private_key_len(),
            keygen::signature_bitmask(scheme),
            load,
        )?;
        Ok(signer)
    }
}

impl<B: Signatures> MemorySigner<B> {
    /// Loads a stored private key (see [`Signatures::signing_key`]).
    pub(crate) fn load(
        scheme: SignatureScheme,
        private: &SignaturePrivateKey,
    ) -> CryptoResult<Self> {
        let key = B::signing_key(scheme, private.expose())?;
        Ok(Self {
            scheme,
            public: SignaturePublicKey::new(B::signing_key_public(&key)),
            private: private.clone(),
            key: Some(key),
        })
    }

    /// The private key, for persisting it: the EdDSA seed or the ECDSA
    /// scalar (empty once zeroized).
    pub fn private_key(&self) -> SignaturePrivateKey {
        self.private.clone()
    }
}

impl<B: Signatures> Signer for MemorySigner<B> {
    fn signature_scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn public_key(&self) -> &SignaturePublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = self.key.as_ref().ok_or(CryptoError::SignerFailed {
            detail: "the signing key was zeroized",
        })?;
        B::sign(key, message)
    }
}

/// Wipes the private key bytes and drops the backend's key in place.
impl<B: Signatures> Zeroize for MemorySigner<B> {
    fn zeroize(&mut self) {
        self.key = None;
        self.private = SignaturePrivateKey::new(Vec::new());
    }
}

/// Only where the backend's key wipes itself too.
impl<B: Signatures> ZeroizeOnDrop for MemorySigner<B> where B::SigningKey: ZeroizeOnDrop {}

impl<B: Signatures> fmt::Debug for MemorySigner<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySigner")
            .field("scheme", &self.scheme)
            .field("public", &self.public)
            .field(
                "private",
                &if self.key.is_some() {
                    "<redacted>"
                } else {
                    "<zeroized>"
                },
            )
            .finish()
    }
}
