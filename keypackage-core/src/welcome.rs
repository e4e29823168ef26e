//! Opening a Welcome with a key package bundle (RFC 9420 §12.4.3.1): find
//! the entry addressed to the key package, check that the Welcome is for the
//! key package's suite and protocol version, decrypt the `GroupSecrets` with
//! the init key, and decode them.

use keypackage_traits::{Ciphersuite, CryptoError, OpenMlsCrypto, ProtocolVersion};

use crate::bundle::KeyPackageBundle;
use crate::error::{DecodeError, LabeledError};
use crate::key_package::KeyPackage;
use crate::labeled;
use crate::message::{EncryptedGroupSecrets, GroupSecrets, MlsMessageIn, Welcome, WireFormat};

/// Why a Welcome could not be opened. Each variant says whose fault it is.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WelcomeError {
    /// The bytes are not an `MLSMessage` carrying a Welcome (sender).
    #[error("not a Welcome message: {0}")]
    Decode(#[from] DecodeError),
    /// The message's protocol version is not mls10 (sender; RFC 9420 §6).
    #[error("the Welcome message has protocol version {0:?}, not mls10")]
    Version(ProtocolVersion),
    /// The Welcome's cipher suite is not the key package's (sender; RFC 9420
    /// §12.4.3.1: a new member checks that the suite is the one of the key
    /// package it published).
    #[error("the Welcome uses cipher suite {welcome:?}, the key package {key_package:?}")]
    CiphersuiteMismatch {
        /// The Welcome's suite.
        welcome: Ciphersuite,
        /// The key package's suite.
        key_package: Ciphersuite,
    },
    /// No entry of the Welcome is addressed to this key package (sender, or
    /// a Welcome for someone else).
    #[error("no entry of the Welcome is addressed to this key package")]
    NotAddressed,
    /// The entry does not decrypt with the init key (sender, or tampering).
    #[error("the group secrets do not decrypt: {0}")]
    Decrypt(CryptoError),
    /// The decrypted `GroupSecrets` do not decode (sender).
    #[error("the group secrets do not decode: {0}")]
    GroupSecrets(DecodeError),
    /// A local failure (encoding our own labels; a bug).
    #[error("internal error while opening the Welcome: {0}")]
    Internal(String),
}

impl Welcome {
    /// The entry addressed to `key_package`, after checking that the
    /// Welcome is in the key package's cipher suite (§12.4.3.1).
    pub fn find_secrets(
        &self,
        key_package: &KeyPackage,
    ) -> Result<&EncryptedGroupSecrets, WelcomeError> {
        if self.cipher_suite != key_package.ciphersuite() {
            return Err(WelcomeError::CiphersuiteMismatch {
                welcome: self.cipher_suite,
                key_package: key_package.ciphersuite(),
            });
        }
        self.secrets_for(key_package.reference())
            .ok_or(WelcomeError::NotAddressed)
    }
}

impl MlsMessageIn {
    /// Decodes an `MLSMessage` that must carry a Welcome of protocol version
    /// mls10 (RFC 9420 §6).
    pub fn decode_welcome(bytes: &[u8]) -> Result<Welcome, WelcomeError> {
        match Self::decode(bytes)? {
            Self::Welcome { version, welcome } => {
                if version != ProtocolVersion::MLS10 {
                    return Err(WelcomeError::Version(version));
                }
                Ok(welcome)
            }
            Self::KeyPackage { .. } => {
                Err(DecodeError::UnexpectedWireFormat(WireFormat::KEY_PACKAGE.0).into())
            }
        }
    }
}

impl KeyPackageBundle {
    /// Opens the `GroupSecrets` that `welcome` carries for this bundle's key
    /// package: the suite check and the entry ([`Welcome::find_secrets`]),
    /// `DecryptWithLabel(init_key, "Welcome", encrypted_group_info, ...)`
    /// (§12.4.3.1), then an exact decode. The secrets zeroize on drop.
    pub fn open_welcome<C: OpenMlsCrypto>(
        &self,
        crypto: &C,
        welcome: &Welcome,
    ) -> Result<GroupSecrets, WelcomeError> {
        let entry = welcome.find_secrets(self.key_package())?;
        open_entry(crypto, self, welcome, entry)
    }
}

/// Decrypts and decodes one entry with `bundle`'s init key.
pub(crate) fn open_entry<C: OpenMlsCrypto>(
    crypto: &C,
    bundle: &KeyPackageBundle,
    welcome: &Welcome,
    entry: &EncryptedGroupSecrets,
) -> Result<GroupSecrets, WelcomeError> {
    let suite = crypto
        .suite(welcome.cipher_suite)
        .map_err(WelcomeError::Decrypt)?;
    let plaintext = labeled::decrypt_with_label(
        &suite,
        bundle.init_private_key(),
        labeled::WELCOME_LABEL,
        welcome.encrypted_group_info.as_slice(),
        &entry.encrypted_group_secrets,
    )
    .map_err(|e| match e {
        LabeledError::Crypto(e) => WelcomeError::Decrypt(e),
        LabeledError::Encode(e) => WelcomeError::Internal(e.to_string()),
    })?;
    GroupSecrets::decode(plaintext.expose()).map_err(WelcomeError::GroupSecrets)
}
