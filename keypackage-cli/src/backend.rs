//! The two crypto backends, chosen by name at run time, and cipher suites
//! given on the command line.

use clap::ValueEnum;
use keypackage_core::traits::CipherSuite;
use keypackage_core::traits::{CryptoError, OpenMlsCrypto};

use crate::error::CliError;

/// A crypto backend of keypackage-core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    /// Pure Rust (RustCrypto, hpke-rs): suites 1–7.
    Rustcrypto,
    /// ring (with a static-DH seam): suites 1, 2, 3, 7.
    Ring,
}

impl Backend {
    /// The name on the command line and in output.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Rustcrypto => "rustcrypto",
            Self::Ring => "ring",
        }
    }
}

/// Runs `$body` with `$crypto` bound to the chosen backend's provider. The
/// body is compiled once per backend, so it may be generic code.
#[macro_export]
macro_rules! with_crypto {
    ($backend:expr, $crypto:ident => $body:expr) => {
        match $backend {
            $crate::backend::Backend::Rustcrypto => {
                let $crypto = keypackage_core::rustcrypto::RustCrypto::new();
                $body
            }
            $crate::backend::Backend::Ring => {
                let $crypto = keypackage_core::ring::RingCrypto::new();
                $body
            }
        }
    };
}

/// Parses a cipher suite: a decimal or `0x` hexadecimal code point, or a
/// registry name (any case). Whether a backend supports it is checked later.
pub(crate) fn parse_suite(text: &str) -> Result<CipherSuite, String> {
    let text = text.trim();
    let number = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None => text.parse::<u16>().ok(),
    };
    if let Some(value) = number {
        return Ok(CipherSuite(value));
    }
    CipherSuite::NAMED
        .iter()
        .copied()
        .find(|cs| cs.name().is_some_and(|name| name.eq_ignore_ascii_case(text)))
        .ok_or_else(|| {
            format!("{text:?} is not a cipher suite: give a number (1-7, or 0x0001) or an RFC 9420 suite name")
        })
}

/// `0x0001 MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`, or just `0x00ff`
/// for a value without a name.
pub(crate) fn suite_label(suite: CipherSuite) -> String {
    match suite.name() {
        Some(name) => format!("{:#06x} {name}", suite.0),
        None => format!("{:#06x}", suite.0),
    }
}

/// The backend's provider for `suite`, or a usage error listing the suites
/// the backend has.
pub(crate) fn provider<C: OpenMlsCrypto>(
    crypto: &C,
    backend: Backend,
    suite: CipherSuite,
) -> Result<C::Suite, CliError> {
    match crypto.suite(suite) {
        Ok(provider) => Ok(provider),
        Err(CryptoError::UnsupportedCipherSuite { .. }) => {
            let supported: Vec<String> = crypto
                .supported_cipher_suites()
                .iter()
                .map(|cs| cs.0.to_string())
                .collect();
            Err(CliError::usage(format!(
                "cipher suite {} is not supported by the {} backend (it supports {})",
                suite_label(suite),
                backend.name(),
                supported.join(", ")
            )))
        }
        Err(e) => Err(CliError::internal(format!(
            "the {} backend failed for cipher suite {}: {e}",
            backend.name(),
            suite_label(suite)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_parse_as_numbers_and_names() {
        assert_eq!(parse_suite("1"), Ok(CipherSuite(1)));
        assert_eq!(parse_suite("0x0007"), Ok(CipherSuite(7)));
        assert_eq!(parse_suite("300"), Ok(CipherSuite(300)));
        assert_eq!(
            parse_suite("mls_128_dhkemp256_aes128gcm_sha256_p256"),
            Ok(CipherSuite(2))
        );
        assert!(parse_suite("seven").is_err());
        assert!(parse_suite("70000").is_err());
        assert_eq!(suite_label(CipherSuite(0xff)), "0x00ff");
    }
}
