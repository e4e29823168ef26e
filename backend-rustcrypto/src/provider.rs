//! [`RustCrypto`], the provider, and [`RustCryptoSuite`], its per-suite
//! object (RFC 9420 §5.1).

use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, CryptoError, HpkeCiphertext, HpkeKeyPair, HpkePrivateKey,
    HpkePublicKey, KemAlgorithm, OpenMlsCrypto, Secret, SignatureKeyPair, SignaturePrivateKey,
    SignaturePublicKey, SignatureScheme, SuiteInfo, codec::VarBytes,
};
use rand::rngs::SysRng;

use crate::hpke;
use crate::primitives;
use crate::signature::{RustCryptoSigner, RustCryptoVerifyingKey};

/// The suites of this build, ascending: 1, 2, 3, 5, 7, and 4 and 6 with the
/// `x448` feature.
#[cfg(not(feature = "x448"))]
const SUPPORTED: &[Ciphersuite] = &[
    Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
    Ciphersuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
    Ciphersuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

/// The suites of this build, ascending: all seven.
#[cfg(feature = "x448")]
const SUPPORTED: &[Ciphersuite] = &[
    Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
    Ciphersuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448,
    Ciphersuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
    Ciphersuite::MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448,
    Ciphersuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

/// The pure-Rust crypto provider: RustCrypto primitives and hpke-rs.
///
/// It holds no state; every call draws randomness from the operating system.
#[derive(Debug, Default, Clone)]
pub struct RustCrypto {
    _private: (),
}

impl RustCrypto {
    /// The provider.
    pub fn new() -> Self {
        Self::default()
    }
}

impl OpenMlsCrypto for RustCrypto {
    type Suite = RustCryptoSuite;

    fn name(&self) -> &'static str {
        "rustcrypto"
    }

    fn supported_ciphersuites(&self) -> &[Ciphersuite] {
        SUPPORTED
    }

    fn suite(&self, suite: Ciphersuite) -> Result<RustCryptoSuite, CryptoError> {
        match suite.info() {
            Some(info) if SUPPORTED.contains(&suite) => Ok(RustCryptoSuite { info }),
            _ => Err(CryptoError::UnsupportedCiphersuite(suite)),
        }
    }

    fn random_bytes(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        primitives::random_bytes(out)
    }
}

/// The operations of one cipher suite; a reference to its table row, so
/// cloning is free.
#[derive(Debug, Clone, Copy)]
pub struct RustCryptoSuite {
    info: &'static SuiteInfo,
}

impl CipherSuiteProvider for RustCryptoSuite {
    type VerifyingKey = RustCryptoVerifyingKey;
    type Signer = RustCryptoSigner;

    fn info(&self) -> &'static SuiteInfo {
        self.info
    }

    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(primitives::hash(self.info.hash, data))
    }

    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        Ok(primitives::hkdf_extract(self.info.kdf.hash(), salt, ikm))
    }

    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        primitives::hkdf_expand(self.info.kdf.hash(), prk, info, len)
    }

    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        primitives::aead_seal(self.info.aead, key, nonce, aad, plaintext)
    }

    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        primitives::aead_open(self.info.aead, key, nonce, aad, ciphertext)
    }

    fn hpke_seal(
        &self,
        public: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        let (kem_output, ciphertext) =
            hpke::seal(self.info, public.as_slice(), info, aad, plaintext)?;
        Ok(HpkeCiphertext {
            kem_output: VarBytes(kem_output),
            ciphertext: VarBytes(ciphertext),
        })
    }

    fn hpke_open(
        &self,
        private: &HpkePrivateKey,
        kem_output: &[u8],
        info: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        hpke::open(
            self.info,
            private.expose(),
            kem_output,
            info,
            aad,
            ciphertext,
        )
    }

    fn hpke_generate_key_pair(&self) -> Result<HpkeKeyPair, CryptoError> {
        let (private, public) = hpke::generate_with(self.info.kem, &mut SysRng)?;
        Ok(HpkeKeyPair {
            private: HpkePrivateKey::from(Secret::from(private)),
            public: HpkePublicKey::new(public),
        })
    }

    fn hpke_derive_key_pair(&self, ikm: &[u8]) -> Result<HpkeKeyPair, CryptoError> {
        let (private, public) = hpke::derive_key_pair(self.info.kem, ikm)?;
        Ok(HpkeKeyPair {
            private: HpkePrivateKey::from(Secret::from(private)),
            public: HpkePublicKey::new(public),
        })
    }

    fn hpke_public_key(&self, private: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        hpke::public_from_private(self.info.kem, private.expose()).map(HpkePublicKey::new)
    }

    fn validate_hpke_public_key(&self, public: &HpkePublicKey) -> Result<(), CryptoError> {
        match self.info.kem {
            // The shared policy: length, canonical encoding, not of small
            // order (the DH itself still refuses an all-zero output).
            KemAlgorithm::DhKemX25519 => {
                backend_common::montgomery::check_x25519_public(public.as_slice())
            }
            KemAlgorithm::DhKemX448 => {
                backend_common::montgomery::check_x448_public(public.as_slice())
            }
            _ => hpke::validate_public(self.info.kem, public.as_slice()),
        }
    }

    fn signature_generate_key_pair(&self) -> Result<SignatureKeyPair, CryptoError> {
        let signer = RustCryptoSigner::generate(self.info.signature)?;
        Ok(SignatureKeyPair {
            private: signer.private_key(),
            public: keypackage_traits::Signer::public_key(&signer).clone(),
        })
    }

    fn signature_public_key(
        &self,
        private: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        let signer = RustCryptoSigner::from_private(self.info.signature, private)?;
        Ok(keypackage_traits::Signer::public_key(&signer).clone())
    }

    fn signer(&self, private: &SignaturePrivateKey) -> Result<RustCryptoSigner, CryptoError> {
        RustCryptoSigner::from_private(self.info.signature, private)
    }

    fn verifying_key(
        &self,
        public: &SignaturePublicKey,
    ) -> Result<RustCryptoVerifyingKey, CryptoError> {
        RustCryptoVerifyingKey::parse(self.info.signature, public.as_slice())
    }

    fn verify_with(
        &self,
        key: &RustCryptoVerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if key.signature_scheme() != self.info.signature {
            return Err(CryptoError::SignatureSchemeMismatch {
                signer: key.signature_scheme(),
                suite: self.info.signature,
            });
        }
        key.verify(message, signature)
    }

    /// Ed25519 keys go through the crate's Ed25519 `verify_each` helper
    /// (one field inversion shared by all items, each verdict exactly
    /// `verify_with`'s); every other item through `verify_with`.
    fn verify_each(
        &self,
        items: &[(&RustCryptoVerifyingKey, &[u8], &[u8])],
    ) -> Vec<Result<(), CryptoError>> {
        let mut verdicts = Vec::with_capacity(items.len());
        let mut ed25519 = Vec::new();
        let mut ed25519_at = Vec::new();
        for (i, (key, message, signature)) in items.iter().enumerate() {
            match key.ed25519() {
                Some(ed) if self.info.signature == SignatureScheme::Ed25519 => {
                    ed25519.push((ed, *message, *signature));
                    ed25519_at.push(i);
                    verdicts.push(Err(CryptoError::InvalidSignature));
                }
                _ => verdicts.push(self.verify_with(key, message, signature)),
            }
        }
        let shared = crate::signature::ed25519_verify_each(&ed25519);
        for (i, verdict) in ed25519_at.into_iter().zip(shared) {
            if let Some(slot) = verdicts.get_mut(i) {
                *slot = verdict;
            }
        }
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use keypackage_traits::SignatureScheme;
    use zeroize::Zeroize;

    use super::*;

    #[test]
    fn x448_suites_follow_the_feature() {
        let crypto = RustCrypto::new();
        for suite in [
            Ciphersuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448,
            Ciphersuite::MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448,
        ] {
            assert_eq!(crypto.supports(suite), cfg!(feature = "x448"));
            assert_eq!(crypto.suite(suite).is_ok(), cfg!(feature = "x448"));
        }
        assert_eq!(
            RustCryptoSigner::generate(SignatureScheme::Ed448).is_ok(),
            cfg!(feature = "x448")
        );
        assert_eq!(
            crypto.supported_ciphersuites().len(),
            if cfg!(feature = "x448") { 7 } else { 5 }
        );
    }

    #[test]
    fn generated_private_keys_are_redacted_and_zeroizable() {
        let crypto = RustCrypto::new();
        for &suite in crypto.supported_ciphersuites() {
            let s = crypto.suite(suite).unwrap();
            let hpke = s.hpke_generate_key_pair().unwrap();
            let signature = s.signature_generate_key_pair().unwrap();
            for (debug, bytes) in [
                (
                    format!("{:?}", hpke.private),
                    hpke.private.expose().to_vec(),
                ),
                (format!("{hpke:?}"), hpke.private.expose().to_vec()),
                (
                    format!("{:?}", signature.private),
                    signature.private.expose().to_vec(),
                ),
                (
                    format!("{signature:?}"),
                    signature.private.expose().to_vec(),
                ),
            ] {
                let hex = hex::encode(&bytes);
                // No 8-byte run of the key appears, in either case.
                for start in (0..hex.len().saturating_sub(16)).step_by(2) {
                    let run = &hex[start..start + 16];
                    assert!(!debug.to_lowercase().contains(run), "{suite:?}: {debug}");
                }
                assert!(debug.contains("redacted"), "{debug}");
            }
        }
        let mut secret = Secret::from_slice(&[0xA5; 66]);
        secret.zeroize();
        assert!(
            secret.expose().is_empty(),
            "zeroize leaves key bytes behind"
        );
    }
}
