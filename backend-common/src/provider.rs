//! [`Provider`] and [`Suite`]: `OpenMlsCrypto` and `CipherSuiteProvider`
//! written once, over a [`Backend`]'s primitives. A backend names them
//! (`pub type RustCrypto = Provider<…>`); everything here is the same for
//! every backend: the suite table, the argument checks, HPKE, key
//! generation, the key policies, the scheme checks.

use std::fmt;
use std::marker::PhantomData;

use keypackage_traits::{
    CipherSuite, CipherSuiteProvider, CryptoError, HpkeCiphertext, HpkeKeyPair, HpkePrivateKey,
    HpkePublicKey, OpenMlsCrypto, Secret, SignatureKeyPair, SignaturePrivateKey,
    SignaturePublicKey, SignatureScheme, Signer, SuiteInfo,
};

use crate::backend::{Backend, Signatures};
use crate::signer::MemorySigner;
use crate::{ed448, ed25519, hpke, kem, symmetric};

/// A crypto provider over the backend `B`. It holds no state: every value
/// is as good as [`Provider::new`].
pub struct Provider<B> {
    backend: PhantomData<fn() -> B>,
}

impl<B> Provider<B> {
    /// The provider.
    pub const fn new() -> Self {
        Self {
            backend: PhantomData,
        }
    }
}

impl<B> Default for Provider<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> Clone for Provider<B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Provider<B> {}

impl<B: Backend> fmt::Debug for Provider<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Provider({})", B::NAME)
    }
}

impl<B: Backend> OpenMlsCrypto for Provider<B> {
    type Suite = Suite<B>;

    fn name(&self) -> &'static str {
        B::NAME
    }

    fn supported_cipher_suites(&self) -> &[CipherSuite] {
        B::SUITES
    }

    fn suite(&self, suite: CipherSuite) -> Result<Suite<B>, CryptoError> {
        match suite.info() {
            Some(info) if B::SUITES.contains(&suite) => Ok(Suite {
                info,
                backend: PhantomData,
            }),
            _ => Err(CryptoError::UnsupportedCipherSuite {
                cipher_suite: suite,
            }),
        }
    }

    fn random_bytes(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        B::fill_random(out)
    }
}

/// The operations of one cipher suite over the backend `B`: a reference to
/// the suite's table row, so copying it costs nothing.
pub struct Suite<B> {
    info: &'static SuiteInfo,
    backend: PhantomData<fn() -> B>,
}

impl<B> Clone for Suite<B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Suite<B> {}

impl<B: Backend> fmt::Debug for Suite<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Suite({}, {})", B::NAME, self.info.name)
    }
}

/// A parsed signature public key: the backend's key and its scheme, so a
/// key of another suite's scheme is refused by name
/// ([`CryptoError::SignatureSchemeMismatch`]).
pub struct VerifyingKey<B: Signatures> {
    scheme: SignatureScheme,
    key: B::VerifyingKey,
}

impl<B: Signatures> fmt::Debug for VerifyingKey<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({:?})", self.scheme)
    }
}

impl<B: Backend> Suite<B> {
    /// The shared encoding policies and the scheme check, before the
    /// backend sees a signature: Ed25519 rules 1–3 ([`ed25519`]), the
    /// Ed448 encoding rules ([`ed448`]).
    fn precheck(&self, key: &VerifyingKey<B>, signature: &[u8]) -> Result<(), CryptoError> {
        if key.scheme != self.info.signature {
            return Err(CryptoError::SignatureSchemeMismatch {
                signer: key.scheme,
                suite: self.info.signature,
            });
        }
        let policy = match key.scheme {
            SignatureScheme::Ed25519 => ed25519::check_signature(signature).is_ok(),
            SignatureScheme::Ed448 => ed448::check_signature(signature).is_ok(),
            _ => true,
        };
        if policy {
            Ok(())
        } else {
            Err(CryptoError::InvalidSignature)
        }
    }
}

impl<B: Backend> CipherSuiteProvider for Suite<B> {
    type VerifyingKey = VerifyingKey<B>;
    type Signer = MemorySigner<B>;

    fn info(&self) -> &'static SuiteInfo {
        self.info
    }

    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(B::hash(self.info.hash, data))
    }

    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        Ok(symmetric::hkdf_extract::<B>(
            self.info.kdf.hash(),
            salt,
            ikm,
        ))
    }

    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        symmetric::hkdf_expand::<B>(self.info.kdf.hash(), prk, info, len)
    }

    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        symmetric::aead_seal::<B>(self.info.aead, key, nonce, aad, plaintext)
    }

    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        symmetric::aead_open::<B>(self.info.aead, key, nonce, aad, ciphertext)
    }

    fn hpke_seal(
        &self,
        public: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        hpke::seal::<B>(self.info, public.as_slice(), info, aad, plaintext)
    }

    fn hpke_open(
        &self,
        private: &HpkePrivateKey,
        kem_output: &[u8],
        info: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        hpke::open::<B>(
            self.info,
            private.expose(),
            kem_output,
            info,
            aad,
            ciphertext,
        )
    }

    fn hpke_generate_key_pair(&self) -> Result<HpkeKeyPair, CryptoError> {
        kem::generate_key_pair::<B>(self.info.kem)
    }

    fn hpke_derive_key_pair(&self, ikm: &[u8]) -> Result<HpkeKeyPair, CryptoError> {
        kem::derive_key_pair::<B>(self.info.kem, ikm)
    }

    fn hpke_public_key(&self, private: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        B::public_key(self.info.kem, private.expose()).map(HpkePublicKey::new)
    }

    fn validate_hpke_public_key(&self, public: &HpkePublicKey) -> Result<(), CryptoError> {
        kem::validate_public::<B>(self.info.kem, public.as_slice())
    }

    fn signature_generate_key_pair(&self) -> Result<SignatureKeyPair, CryptoError> {
        let signer = MemorySigner::<B>::generate(self.info.signature)?;
        Ok(SignatureKeyPair {
            private: signer.private_key(),
            public: signer.public_key().clone(),
        })
    }

    fn signature_public_key(
        &self,
        private: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        Ok(self.signer(private)?.public_key().clone())
    }

    fn signer(&self, private: &SignaturePrivateKey) -> Result<MemorySigner<B>, CryptoError> {
        MemorySigner::load(self.info.signature, private)
    }

    /// The shared policy first (Ed25519: canonical, not of small order;
    /// Ed448: [`ed448`]), so a key is refused when it is parsed
    /// (KP-SIG-KEY), then the backend's decoding of the point.
    fn verifying_key(&self, public: &SignaturePublicKey) -> Result<VerifyingKey<B>, CryptoError> {
        let scheme = self.info.signature;
        let bytes = public.as_slice();
        match scheme {
            SignatureScheme::Ed25519 => {
                ed25519::check_public_key(bytes).map(drop).map_err(|_| {
                    CryptoError::InvalidPublicKey { detail: "Ed25519 key breaks the policy: wrong length, non-canonical or small order" }
                })?
            }
            SignatureScheme::Ed448 => ed448::check_point(bytes).map_err(|_| {
                CryptoError::InvalidPublicKey { detail: "Ed448 key breaks the policy: wrong length, non-canonical or small order" }
            })?,
            _ => {}
        }
        Ok(VerifyingKey {
            scheme,
            key: B::verifying_key(scheme, bytes)?,
        })
    }

    fn verify_with(
        &self,
        key: &VerifyingKey<B>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.precheck(key, signature)?;
        B::verify(&key.key, message, signature)
    }

    /// The items that pass the shared checks (scheme, encoding policy) go
    /// to the backend's `verify_each` in one call; each verdict is
    /// `verify_with`'s.
    fn verify_each(
        &self,
        items: &[(&VerifyingKey<B>, &[u8], &[u8])],
    ) -> Vec<Result<(), CryptoError>> {
        let mut verdicts = Vec::with_capacity(items.len());
        let mut passed = Vec::with_capacity(items.len());
        let mut at = Vec::with_capacity(items.len());
        for (i, (key, message, signature)) in items.iter().enumerate() {
            match self.precheck(key, signature) {
                Ok(()) => {
                    passed.push((&key.key, *message, *signature));
                    at.push(i);
                    // Until the backend's verdict replaces it.
                    verdicts.push(Err(CryptoError::InvalidSignature));
                }
                Err(refused) => verdicts.push(Err(refused)),
            }
        }
        for (i, verdict) in at.into_iter().zip(B::verify_each(&passed)) {
            if let Some(slot) = verdicts.get_mut(i) {
                *slot = verdict;
            }
        }
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lenient::Lenient;

    fn suite(value: u16) -> Suite<Lenient> {
        Provider::<Lenient>::new()
            .suite(CipherSuite(value))
            .unwrap()
    }

    fn public(bytes: Vec<u8>) -> SignaturePublicKey {
        SignaturePublicKey::new(bytes)
    }

    #[test]
    fn the_ed448_policy_is_ours_whatever_the_library_accepts() {
        let s = suite(4);
        // RFC 8032 §5.2.3: x = 0 (y = 1) with the sign bit set.
        let mut x_zero = vec![0u8; 57];
        x_zero[0] = 1;
        x_zero[56] = 0x80;
        assert!(matches!(
            s.verifying_key(&public(x_zero.clone())),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        let mut fine = vec![0u8; 57];
        fine[0] = 5;
        let key = s.verifying_key(&public(fine.clone())).unwrap();
        let mut signature = [fine.as_slice(), &[0u8; 57]].concat();
        assert_eq!(s.verify_with(&key, b"m", &signature), Ok(()));
        signature[..57].copy_from_slice(&x_zero);
        assert_eq!(
            s.verify_with(&key, b"m", &signature),
            Err(CryptoError::InvalidSignature)
        );
        assert_eq!(
            s.verify_each(&[(&key, b"m", &signature)]),
            [Err(CryptoError::InvalidSignature)]
        );
    }

    #[test]
    fn the_ed25519_policy_and_the_scheme_check_are_ours() {
        let s = suite(1);
        // The identity (y = 1): small order.
        let mut identity = vec![0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            s.verifying_key(&public(identity)),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        let mut base = vec![0x66u8; 32];
        base[0] = 0x58;
        let key = s.verifying_key(&public(base.clone())).unwrap();
        let good = [base.as_slice(), &[0u8; 32]].concat();
        assert_eq!(s.verify_with(&key, b"m", &good), Ok(()));
        // S = 2^255 - 1 >= L.
        let high_s = [base.as_slice(), &[0xFF; 32]].concat();
        assert_eq!(
            s.verify_with(&key, b"m", &high_s),
            Err(CryptoError::InvalidSignature)
        );
        let mut fine = vec![0u8; 57];
        fine[0] = 5;
        let ed448_key = suite(4).verifying_key(&public(fine)).unwrap();
        assert!(matches!(
            s.verify_with(&ed448_key, b"m", &good),
            Err(CryptoError::SignatureSchemeMismatch { .. })
        ));
        let verdicts = s.verify_each(&[(&key, b"m", &good), (&ed448_key, b"m", &good)]);
        assert_eq!(verdicts[0], Ok(()));
        assert!(matches!(
            verdicts[1],
            Err(CryptoError::SignatureSchemeMismatch { .. })
        ));
    }

    #[test]
    fn the_zero_check_and_the_length_checks_are_ours() {
        let s = suite(1);
        let any_key = HpkePublicKey::new(vec![9; 32]);
        assert_eq!(
            s.hpke_seal(&any_key, b"", b"", b"x"),
            Err(CryptoError::ZeroSharedSecret)
        );
        assert_eq!(
            s.hpke_open(
                &HpkePrivateKey::new(vec![1; 32]),
                &[9; 32],
                b"",
                b"",
                &[0; 16]
            ),
            Err(CryptoError::ZeroSharedSecret)
        );
        // The policy refuses u = 0; the lenient DH would not. Likewise
        // for X448 (suite 4), and both accept a key of full order.
        assert!(matches!(
            s.validate_hpke_public_key(&HpkePublicKey::new(vec![0; 32])),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        assert_eq!(
            s.validate_hpke_public_key(&HpkePublicKey::new(vec![9; 32])),
            Ok(())
        );
        let x448 = suite(4);
        assert!(matches!(
            x448.validate_hpke_public_key(&HpkePublicKey::new(vec![0; 56])),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        let mut u5 = vec![0; 56];
        u5[0] = 5;
        assert_eq!(
            x448.validate_hpke_public_key(&HpkePublicKey::new(u5)),
            Ok(())
        );
        assert!(matches!(
            s.aead_seal(&[0; 15], &[0; 12], b"", b"x"),
            Err(CryptoError::InvalidLength { .. })
        ));
        assert!(matches!(
            s.aead_open(&[0; 16], &[0; 13], b"", &[0; 16]),
            Err(CryptoError::InvalidLength { .. })
        ));
        assert_eq!(
            s.aead_open(&[0; 16], &[0; 12], b"", &[0; 15]),
            Err(CryptoError::DecryptionFailed)
        );
        assert!(matches!(
            s.kdf_expand(&[0; 31], b"", 1),
            Err(CryptoError::InvalidLength { .. })
        ));
        assert!(matches!(
            s.kdf_expand(&[0; 32], b"", 255 * 32 + 1),
            Err(CryptoError::InvalidLength { .. })
        ));
    }
}
