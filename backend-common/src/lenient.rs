//! A backend for the shared layer's own tests: it accepts every key and
//! every signature and its DH always yields zeros, so whatever is refused
//! through it, the shared layer refused, whichever library a real backend
//! uses.

use keypackage_traits::{CipherSuite, HashAlgorithm, KemAlgorithm, Secret, SignatureScheme};
use zeroize::Zeroizing;

use crate::backend::{AeadKey, Backend, CryptoResult, Dh, Primitives, Prk, Signatures};

/// Accepts every key and signature; DH yields zeros (module docs).
pub(crate) struct Lenient;

impl Backend for Lenient {
    const NAME: &'static str = "lenient";
    const SUITES: &'static [CipherSuite] = &[
        CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
        CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448,
    ];
}

impl Primitives for Lenient {
    fn fill_random(out: &mut [u8]) -> CryptoResult<()> {
        out.fill(7);
        Ok(())
    }
    fn hash(alg: HashAlgorithm, _data: &[u8]) -> Vec<u8> {
        vec![0; alg.output_len()]
    }
    fn hmac(alg: HashAlgorithm, _key: &[u8], _data: &[u8]) -> Secret {
        Secret::new(vec![1; alg.output_len()])
    }
    fn hkdf_expand(_prk: &Prk<'_>, _info: &[u8], _okm: &mut [u8]) -> CryptoResult<()> {
        Ok(())
    }
    fn aead_seal(_key: &AeadKey<'_>, _aad: &[u8], msg: &[u8]) -> CryptoResult<Vec<u8>> {
        Ok(msg.to_vec())
    }
    fn aead_open(_key: &AeadKey<'_>, _aad: &[u8], msg: &[u8]) -> CryptoResult<Secret> {
        Ok(Secret::from_slice(msg))
    }
}

impl Dh for Lenient {
    fn check_public(_kem: KemAlgorithm, _public: &[u8]) -> CryptoResult<()> {
        Ok(())
    }
    fn public_key(kem: KemAlgorithm, _private: &[u8]) -> CryptoResult<Vec<u8>> {
        Ok(vec![9; kem.public_key_len()])
    }
    fn dh(kem: KemAlgorithm, _sk: &[u8], _pk: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(vec![0; kem.shared_secret_len()]))
    }
}

impl Signatures for Lenient {
    type SigningKey = ();
    type VerifyingKey = ();
    fn signing_key(_scheme: SignatureScheme, _key: &[u8]) -> CryptoResult<()> {
        Ok(())
    }
    fn signing_key_public(_key: &()) -> Vec<u8> {
        vec![5; 32]
    }
    fn sign(_key: &(), _message: &[u8]) -> CryptoResult<Vec<u8>> {
        Ok(Vec::new())
    }
    fn verifying_key(_scheme: SignatureScheme, _key: &[u8]) -> CryptoResult<()> {
        Ok(())
    }
    fn verify(_key: &(), _message: &[u8], _signature: &[u8]) -> CryptoResult<()> {
        Ok(())
    }
}
