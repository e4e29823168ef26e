//! [`RingCrypto`], the provider, and [`RingSuite`], its per-suite object.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};

use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, CryptoError, HpkeCiphertext, HpkeKeyPair, HpkePrivateKey,
    HpkePublicKey, OpenMlsCrypto, Secret, SignatureKeyPair, SignaturePrivateKey,
    SignaturePublicKey, Signer, SuiteInfo,
};

use crate::signer::{RingSigner, RingVerifyingKey};
use crate::{hpke, primitives, static_dh};

/// The suites of this backend, ascending: 1, 2, 3 and 7 (RFC 9420 §17.1).
static SUPPORTED: [Ciphersuite; 4] = [
    Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
    Ciphersuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

/// Fills `out` from ring's system random source.
fn fill_random(out: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| CryptoError::RandomnessUnavailable)
}

/// The ring crypto provider: suites 1, 2, 3 and 7.
///
/// It holds no state; every value is as good as [`RingCrypto::new`].
#[derive(Debug, Default, Clone)]
pub struct RingCrypto {
    _private: (),
}

impl RingCrypto {
    /// The provider.
    pub fn new() -> Self {
        Self::default()
    }
}

impl OpenMlsCrypto for RingCrypto {
    type Suite = RingSuite;

    fn name(&self) -> &'static str {
        "ring"
    }

    fn supported_ciphersuites(&self) -> &[Ciphersuite] {
        &SUPPORTED
    }

    fn suite(&self, suite: Ciphersuite) -> Result<RingSuite, CryptoError> {
        if !SUPPORTED.contains(&suite) {
            return Err(CryptoError::UnsupportedCiphersuite(suite));
        }
        let info = suite
            .info()
            .ok_or(CryptoError::UnsupportedCiphersuite(suite))?;
        Ok(RingSuite { info })
    }

    fn random_bytes(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        fill_random(out)
    }
}

/// The operations of one cipher suite under ring. A reference to a static
/// table row: copying it costs nothing.
#[derive(Clone, Copy)]
pub struct RingSuite {
    info: &'static SuiteInfo,
}

impl fmt::Debug for RingSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RingSuite({})", self.info.name)
    }
}

impl RingSuite {
    /// Checks that `signer` uses the suite's scheme.
    fn check_scheme(&self, signer: &impl Signer) -> Result<(), CryptoError> {
        let suite = self.info.signature;
        let signer = signer.signature_scheme();
        if signer == suite {
            Ok(())
        } else {
            Err(CryptoError::SignatureSchemeMismatch { signer, suite })
        }
    }
}

impl CipherSuiteProvider for RingSuite {
    type VerifyingKey = RingVerifyingKey;
    type Signer = RingSigner;

    fn info(&self) -> &'static SuiteInfo {
        self.info
    }

    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(primitives::hash(self.info.hash, data))
    }

    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        Ok(primitives::hkdf_extract(self.info.kdf.hash(), salt, ikm).into())
    }

    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        Ok(primitives::hkdf_expand(self.info.kdf.hash(), prk, info, len)?.into())
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
        Ok(primitives::aead_open(self.info.aead, key, nonce, aad, ciphertext)?.into())
    }

    fn hpke_seal(
        &self,
        public: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        let (enc, ciphertext) = hpke::seal(self.info, public.as_slice(), info, aad, plaintext)?;
        Ok(HpkeCiphertext {
            kem_output: enc.into(),
            ciphertext: ciphertext.into(),
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
        Ok(hpke::open(
            self.info,
            private.expose(),
            kem_output,
            info,
            aad,
            ciphertext,
        )?
        .into())
    }

    fn hpke_generate_key_pair(&self) -> Result<HpkeKeyPair, CryptoError> {
        let group = hpke::suite_group(self.info)?;
        let (private, public) = hpke::generate_key_pair(group, fill_random)?;
        Ok(HpkeKeyPair {
            private: HpkePrivateKey::from(Secret::from(private)),
            public: HpkePublicKey::new(public),
        })
    }

    fn hpke_derive_key_pair(&self, ikm: &[u8]) -> Result<HpkeKeyPair, CryptoError> {
        let group = hpke::suite_group(self.info)?;
        let (private, public) = hpke::derive_key_pair(self.info.kem, group, ikm)?;
        Ok(HpkeKeyPair {
            private: HpkePrivateKey::from(Secret::from(private)),
            public: HpkePublicKey::new(public),
        })
    }

    fn hpke_public_key(&self, private: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        let group = hpke::suite_group(self.info)?;
        Ok(HpkePublicKey::new(static_dh::public_key(
            group,
            private.expose(),
        )?))
    }

    fn validate_hpke_public_key(&self, public: &HpkePublicKey) -> Result<(), CryptoError> {
        let group = hpke::suite_group(self.info)?;
        if matches!(group, static_dh::DhGroup::X25519) {
            // The shared policy: length, canonical encoding, not of small
            // order (the DH itself still refuses an all-zero output).
            return backend_common::montgomery::check_x25519_public(public.as_slice());
        }
        static_dh::validate_public_key(group, public.as_slice())
    }

    fn signature_generate_key_pair(&self) -> Result<SignatureKeyPair, CryptoError> {
        let signer = RingSigner::generate(self.info.signature)?;
        Ok(SignatureKeyPair {
            private: signer.private_key().clone(),
            public: signer.public_key().clone(),
        })
    }

    fn signature_public_key(
        &self,
        private: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        Ok(self.signer(private)?.public_key().clone())
    }

    fn signer(&self, private: &SignaturePrivateKey) -> Result<RingSigner, CryptoError> {
        let signer = RingSigner::from_private(self.info.signature, private)?;
        self.check_scheme(&signer)?;
        Ok(signer)
    }

    fn verifying_key(&self, public: &SignaturePublicKey) -> Result<RingVerifyingKey, CryptoError> {
        RingVerifyingKey::parse(self.info.signature, public.as_slice())
    }

    fn verify_with(
        &self,
        key: &RingVerifyingKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if key.scheme() != self.info.signature {
            return Err(CryptoError::SignatureSchemeMismatch {
                signer: key.scheme(),
                suite: self.info.signature,
            });
        }
        key.verify(message, signature)
    }
}
