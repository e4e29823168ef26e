//! [`RingCrypto`], the provider, and [`RingSuite`], its per-suite object:
//! backend-common's provider over this crate's primitives.

use backend_common::{Backend, Provider, Suite};
use keypackage_traits::CipherSuite;

/// This crate's primitives, as backend-common takes them: `Primitives` in
/// `primitives.rs`, `Dh` in `dh.rs`, `Signatures` in `signature.rs`.
/// Public because the type aliases below name it, but not exported.
#[derive(Debug)]
pub struct RingBackend;

impl Backend for RingBackend {
    const NAME: &'static str = "ring";
    /// 1, 2, 3 and 7 (RFC 9420 §17.1): ring has no P-521 ECDSA, X448 or
    /// Ed448.
    const SUITES: &'static [CipherSuite] = &[
        CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
        CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
        CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
        CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
    ];
}

/// The ring crypto provider: suites 1, 2, 3 and 7. It holds no state;
/// `RingCrypto::new()` or `default()`.
pub type RingCrypto = Provider<RingBackend>;

/// The operations of one cipher suite under ring. A reference to a static
/// table row: copying it costs nothing.
pub type RingSuite = Suite<RingBackend>;

#[cfg(test)]
mod tests {
    use keypackage_traits::{CryptoError, OpenMlsCrypto, SignatureScheme};

    use super::*;
    use crate::RingSigner;

    #[test]
    fn only_suites_1_2_3_7_are_offered() {
        let crypto = RingCrypto::new();
        let offered: Vec<u16> = crypto
            .supported_cipher_suites()
            .iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(offered, [1, 2, 3, 7]);
        for value in [0u16, 4, 5, 6, 8, 0x0A0A] {
            assert_eq!(
                crypto.suite(CipherSuite(value)).unwrap_err(),
                CryptoError::UnsupportedCipherSuite {
                    cipher_suite: CipherSuite(value)
                }
            );
        }
        for scheme in [
            SignatureScheme::Ed448,
            SignatureScheme::EcdsaSecp521r1Sha512,
        ] {
            assert_eq!(
                RingSigner::generate(scheme).unwrap_err(),
                CryptoError::UnsupportedSignatureScheme { scheme }
            );
        }
    }
}
