//! [`Fault`]: whose fault an error is, so that a caller can tell a bad
//! input from its own mistake, a failing environment, or a bug of ours
//! (docs/DESIGN.md §3 P5). Every error type of the workspace answers it
//! through a `fault()` accessor.

use crate::crypto::CryptoError;
use crate::key_store::KeyStoreError;

/// Whose fault an error is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Fault {
    /// The input from the other side is invalid: a key package, a Welcome,
    /// a signature, a public key. Refuse it; retrying will not help.
    Peer,
    /// Valid input that this build cannot handle: a cipher suite or
    /// signature scheme the crypto provider lacks.
    Unsupported,
    /// The caller used the API wrongly: arguments of the wrong length, a
    /// signer of the wrong scheme, a duplicate entry, an impossible setting.
    Caller,
    /// The environment failed: the random source, storage, the file system,
    /// an external signer. Retrying may help.
    Environment,
    /// A bug in this library or a backend.
    Bug,
}

impl CryptoError {
    /// Whose fault the error is.
    pub const fn fault(&self) -> Fault {
        match self {
            Self::UnsupportedCipherSuite { .. } | Self::UnsupportedSignatureScheme { .. } => {
                Fault::Unsupported
            }
            Self::InvalidPublicKey { .. }
            | Self::InvalidSignature
            | Self::DecryptionFailed
            | Self::ZeroSharedSecret => Fault::Peer,
            Self::InvalidPrivateKey { .. }
            | Self::InvalidLength { .. }
            | Self::SignatureSchemeMismatch { .. } => Fault::Caller,
            Self::RandomnessUnavailable | Self::SignerFailed { .. } => Fault::Environment,
            Self::Internal { .. } => Fault::Bug,
        }
    }
}

impl KeyStoreError {
    /// Whose fault the error is: a duplicate or an invalid entry is the
    /// caller's; a failing or damaged store is the environment's.
    pub const fn fault(&self) -> Fault {
        match self {
            Self::DuplicateReference | Self::DuplicateInitKey | Self::InvalidEntry { .. } => {
                Fault::Caller
            }
            Self::Storage { .. } | Self::Corrupt { .. } => Fault::Environment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_errors_name_their_culprit() {
        let cases = [
            (
                CryptoError::UnsupportedCipherSuite {
                    cipher_suite: crate::CipherSuite(0x00FF),
                },
                Fault::Unsupported,
            ),
            (CryptoError::InvalidSignature, Fault::Peer),
            (CryptoError::ZeroSharedSecret, Fault::Peer),
            (CryptoError::DecryptionFailed, Fault::Peer),
            (CryptoError::InvalidPublicKey { detail: "x" }, Fault::Peer),
            (CryptoError::InvalidLength { detail: "x" }, Fault::Caller),
            (CryptoError::RandomnessUnavailable, Fault::Environment),
            (CryptoError::Internal { detail: "x" }, Fault::Bug),
        ];
        for (error, fault) in cases {
            assert_eq!(error.fault(), fault, "{error:?}");
        }
    }

    #[test]
    fn key_store_errors_name_their_culprit() {
        assert_eq!(KeyStoreError::DuplicateInitKey.fault(), Fault::Caller);
        assert_eq!(
            KeyStoreError::Storage {
                detail: "disk full".into()
            }
            .fault(),
            Fault::Environment
        );
    }
}
