//! Errors of loading certificates, keys, trust anchors and CRLs, and of
//! pairing a key with a certificate. (A credential refused by validation
//! is a [`keypackage_core::CredentialRejected`] instead.)

use keypackage_core::traits::{CryptoError, SignatureScheme};

/// Why certificates, a key, trust anchors or CRLs could not be loaded or
/// paired. Each variant says what was wrong with the caller's input.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// The PEM text does not decode.
    #[error("PEM: {0}")]
    Pem(String),
    /// The input holds no item of the kind wanted ("certificate",
    /// "private key", "CRL").
    #[error("no {0} found")]
    Missing(&'static str),
    /// An item does not decode (strict DER).
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// Why it failed.
        detail: String,
    },
    /// An encrypted private key: decrypt it first (`openssl pkcs8`).
    #[error("the private key is encrypted; decrypt it first")]
    EncryptedKey,
    /// A private key of an algorithm MLS does not sign with.
    #[error("unsupported private key algorithm: {0}")]
    UnsupportedKey(String),
    /// The end-entity certificate's key is not of the suite's signature
    /// scheme (RFC 9420 §5.1.2).
    #[error("the certificate's key is {certificate}, the cipher suite signs with {suite:?}")]
    CertificateAlgorithmMismatch {
        /// The certificate's key algorithm.
        certificate: String,
        /// The suite's signature scheme.
        suite: SignatureScheme,
    },
    /// The private key is not of the suite's signature scheme.
    #[error("the private key is {key:?}, the cipher suite signs with {suite:?}")]
    KeyAlgorithmMismatch {
        /// The private key's scheme.
        key: SignatureScheme,
        /// The suite's signature scheme.
        suite: SignatureScheme,
    },
    /// The private key (or the signer's public key) is not the end-entity
    /// certificate's public key (RFC 9420 §5.3.1: the credential must bind
    /// the signature key).
    #[error("the private key does not match the end-entity certificate's public key")]
    KeyMismatch,
    /// The key file's own public key is not the one its private key gives.
    #[error("the private key file is inconsistent: its public key is not its private key's")]
    InconsistentKey,
    /// The backend refused the key or the suite.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}
