//! [`RustCrypto`], the provider, and [`RustCryptoSuite`], its per-suite
//! object (RFC 9420 §5.1): backend-common's provider over this crate's
//! primitives.

use backend_common::{Backend, Provider, Suite};
use keypackage_traits::CipherSuite;

/// The suites of this build, ascending: 1, 2, 3, 5, 7, and 4 and 6 with the
/// `x448` feature.
#[cfg(not(feature = "x448"))]
const SUPPORTED: &[CipherSuite] = &[
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
    CipherSuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
    CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

/// The suites of this build, ascending: all seven.
#[cfg(feature = "x448")]
const SUPPORTED: &[CipherSuite] = &[
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
    CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448,
    CipherSuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
    CipherSuite::MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448,
    CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

/// This crate's primitives, as backend-common takes them: `Primitives` in
/// `primitives.rs`, `Dh` in `dh.rs`, `Signatures` in `signature.rs`.
/// Public because the type aliases below name it, but not exported.
#[derive(Debug)]
pub struct RustCryptoBackend;

impl Backend for RustCryptoBackend {
    const NAME: &'static str = "rustcrypto";
    const SUITES: &'static [CipherSuite] = SUPPORTED;
}

/// The pure-Rust crypto provider: RustCrypto primitives, with HPKE's key
/// schedule run by hpke-rs. It holds no state; every call draws randomness
/// from the operating system. `RustCrypto::new()` or `default()`.
pub type RustCrypto = Provider<RustCryptoBackend>;

/// The operations of one cipher suite; a reference to its table row, so
/// copying is free.
pub type RustCryptoSuite = Suite<RustCryptoBackend>;

#[cfg(test)]
mod tests {
    use keypackage_traits::{
        CipherSuiteProvider, OpenMlsCrypto, Secret, SignatureScheme, Signer as _,
    };
    use zeroize::Zeroize;

    use super::*;
    use crate::RustCryptoSigner;

    #[test]
    fn x448_suites_follow_the_feature() {
        let crypto = RustCrypto::new();
        for suite in [
            CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448,
            CipherSuite::MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448,
        ] {
            assert_eq!(crypto.supports(suite), cfg!(feature = "x448"));
            assert_eq!(crypto.suite(suite).is_ok(), cfg!(feature = "x448"));
        }
        assert_eq!(
            RustCryptoSigner::generate(SignatureScheme::Ed448).is_ok(),
            cfg!(feature = "x448")
        );
        assert_eq!(
            crypto.supported_cipher_suites().len(),
            if cfg!(feature = "x448") { 7 } else { 5 }
        );
    }

    #[test]
    fn generated_private_keys_are_redacted_and_zeroizable() {
        let crypto = RustCrypto::new();
        for &suite in crypto.supported_cipher_suites() {
            let s = crypto.suite(suite).unwrap();
            let hpke = s.hpke_generate_key_pair().unwrap();
            let signature = s.signature_generate_key_pair().unwrap();
            assert_eq!(
                s.signer(&signature.private).unwrap().public_key(),
                &signature.public
            );
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
