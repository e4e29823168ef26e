//! [`ValidationError`]: why a key package is invalid, with the rule it
//! breaks (docs/DESIGN.md §4).

use keypackage_traits::{
    CipherSuite, CredentialType, CryptoError, ExtensionType, Fault, ProposalType, ProtocolVersion,
};

use crate::error::DecodeError;
use crate::rules::Rule;
use crate::validate::context::CredentialRejected;
use keypackage_traits::ExtensionLocation;

/// Why a key package is invalid. Every variant but [`ValidationError::Internal`]
/// is the fault of whoever made the key package (or, for KP-SUITE, a suite
/// this provider lacks); [`ValidationError::rule`] names the rule.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// KP-DECODE: the bytes do not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// KP-VER: unsupported or unexpected protocol version.
    #[error("KP-VER: protocol version {found:?}, expected {expected:?}")]
    Version {
        /// The version found.
        found: ProtocolVersion,
        /// The version expected.
        expected: ProtocolVersion,
    },
    /// KP-SUITE: the crypto provider does not support the cipher suite.
    #[error("KP-SUITE: cipher suite {cipher_suite:?} is not supported")]
    UnsupportedCipherSuite {
        /// The cipher suite.
        cipher_suite: CipherSuite,
    },
    /// KP-GROUP-SUITE: the suite or version differs from the group's.
    #[error("KP-GROUP-SUITE: key package has {found:?}, the group uses {expected:?}")]
    GroupMismatch {
        /// The key package's (suite, version).
        found: (CipherSuite, ProtocolVersion),
        /// The group's (suite, version).
        expected: (CipherSuite, ProtocolVersion),
    },
    /// KP-INIT-KEY: `init_key` is not a valid HPKE public key.
    #[error("KP-INIT-KEY: init_key is invalid: {0}")]
    InitKey(CryptoError),
    /// KP-ENC-KEY: `encryption_key` is not a valid HPKE public key.
    #[error("KP-ENC-KEY: leaf encryption_key is invalid: {0}")]
    EncryptionKey(CryptoError),
    /// KP-SIG-KEY: `signature_key` is not valid for the suite's scheme.
    #[error("KP-SIG-KEY: leaf signature_key is invalid: {0}")]
    SignatureKey(CryptoError),
    /// KP-LEAF-SOURCE: the leaf's source is not `key_package`.
    #[error("KP-LEAF-SOURCE: leaf_node_source is {leaf_node_source}, not key_package (1)")]
    LeafNodeSource {
        /// The `leaf_node_source` value found.
        leaf_node_source: u8,
    },
    /// KP-LEAF-SIG: the LeafNode signature does not verify.
    #[error("KP-LEAF-SIG: the LeafNode signature does not verify")]
    LeafSignature,
    /// KP-SIG: the KeyPackage signature does not verify.
    #[error("KP-SIG: the KeyPackage signature does not verify")]
    Signature,
    /// KP-DISTINCT: `init_key` equals the leaf's `encryption_key`.
    #[error("KP-DISTINCT: init_key equals leaf_node.encryption_key")]
    InitKeyEqualsEncryptionKey,
    /// KP-LIFETIME: `now` is outside the lifetime, or the lifetime is inverted.
    #[error("KP-LIFETIME: lifetime {not_before}..{not_after} does not cover now = {now}")]
    Lifetime {
        /// `not_before`.
        not_before: u64,
        /// `not_after`.
        not_after: u64,
        /// The validation time.
        now: u64,
    },
    /// KP-MAX-LIFETIME: the lifetime is longer than the maximum.
    #[error("KP-MAX-LIFETIME: lifetime of {duration} s exceeds the maximum of {max} s")]
    LifetimeTooLong {
        /// `not_after - not_before`.
        duration: u64,
        /// The configured maximum.
        max: u64,
    },
    /// KP-LEAF-EXT: a non-default leaf extension is not listed in capabilities.
    #[error(
        "KP-LEAF-EXT: leaf extension {extension_type:?} is not listed in capabilities.extensions"
    )]
    UnlistedLeafExtension {
        /// The extension type.
        extension_type: ExtensionType,
    },
    /// KP-EXT: a recognised key package extension is not listed in capabilities.
    #[error(
        "KP-EXT: key package extension {extension_type:?} is not listed in capabilities.extensions"
    )]
    UnlistedExtension {
        /// The extension type.
        extension_type: ExtensionType,
    },
    /// KP-CRED-CAP: the credential type is not listed in capabilities.
    #[error(
        "KP-CRED-CAP: credential type {credential_type:?} is not listed in capabilities.credentials"
    )]
    UnlistedCredentialType {
        /// The credential type.
        credential_type: CredentialType,
    },
    /// KP-OWN-CAPS: the key package's version is not in `capabilities.versions`.
    #[error(
        "KP-OWN-CAPS: the key package's version {version:?} is not listed in capabilities.versions"
    )]
    UnlistedOwnVersion {
        /// The protocol version.
        version: ProtocolVersion,
    },
    /// KP-OWN-CAPS: the key package's suite is not in `capabilities.cipher_suites`.
    #[error(
        "KP-OWN-CAPS: the key package's cipher suite {cipher_suite:?} is not listed in capabilities.cipher_suites"
    )]
    UnlistedOwnCipherSuite {
        /// The cipher suite.
        cipher_suite: CipherSuite,
    },
    /// KP-NO-DEFAULTS: capabilities list a default (or the reserved) extension type.
    #[error(
        "KP-NO-DEFAULTS: capabilities.extensions lists the default or reserved type {extension_type:?}"
    )]
    ListedDefaultExtension {
        /// The extension type.
        extension_type: ExtensionType,
    },
    /// KP-NO-DEFAULTS: capabilities list a default (or the reserved) proposal type.
    #[error(
        "KP-NO-DEFAULTS: capabilities.proposals lists the default or reserved type {proposal_type:?}"
    )]
    ListedDefaultProposal {
        /// The proposal type.
        proposal_type: ProposalType,
    },
    /// KP-EXT-PLACEMENT: a known extension type where the registry forbids it.
    #[error("KP-EXT-PLACEMENT: extension {extension_type:?} is not allowed in {location}")]
    MisplacedExtension {
        /// The type.
        extension_type: ExtensionType,
        /// Where it was found.
        location: ExtensionLocation,
    },
    /// KP-DUP-EXT: an extension type appears twice in one list.
    #[error("KP-DUP-EXT: extension {extension_type:?} appears more than once in {location}")]
    DuplicateExtension {
        /// The type.
        extension_type: ExtensionType,
        /// The list.
        location: ExtensionLocation,
    },
    /// KP-EXT-BODY: the body of a recognised extension does not decode as
    /// its type.
    #[error("KP-EXT-BODY: extension {extension_type:?} in {location}: {reason}")]
    ExtensionBody {
        /// The type.
        extension_type: ExtensionType,
        /// Where it was found.
        location: ExtensionLocation,
        /// What is wrong with the body.
        reason: String,
    },
    /// KP-REQUIRED-CAPS: a required extension type is not supported.
    #[error("KP-REQUIRED-CAPS: required extension type {extension_type:?} is not supported")]
    MissingRequiredExtension {
        /// The extension type.
        extension_type: ExtensionType,
    },
    /// KP-REQUIRED-CAPS: a required proposal type is not supported.
    #[error("KP-REQUIRED-CAPS: required proposal type {proposal_type:?} is not supported")]
    MissingRequiredProposal {
        /// The proposal type.
        proposal_type: ProposalType,
    },
    /// KP-REQUIRED-CAPS: a required credential type is not supported.
    #[error("KP-REQUIRED-CAPS: required credential type {credential_type:?} is not supported")]
    MissingRequiredCredential {
        /// The credential type.
        credential_type: CredentialType,
    },
    /// KP-CREDENTIAL: the credential is structurally impossible, or the
    /// application's validator refused it.
    #[error("KP-CREDENTIAL: credential refused: {0}")]
    Credential(CredentialRejected),
    /// Our own failure (an unexpected backend error): a bug.
    #[error("internal error while validating: {detail}")]
    Internal {
        /// What went wrong, for people.
        detail: String,
    },
}

impl ValidationError {
    /// Whose fault the error is: the key package's maker for every rule,
    /// except KP-SUITE (a suite this provider lacks) and an internal error.
    pub const fn fault(&self) -> Fault {
        match self {
            Self::UnsupportedCipherSuite { .. } => Fault::Unsupported,
            Self::Internal { .. } => Fault::Bug,
            _ => Fault::Peer,
        }
    }

    /// The rule the key package breaks; `None` for an internal error.
    pub fn rule(&self) -> Option<Rule> {
        Some(match self {
            Self::Decode(_) => Rule::Decode,
            Self::Version { .. } => Rule::Version,
            Self::UnsupportedCipherSuite { .. } => Rule::Suite,
            Self::GroupMismatch { .. } => Rule::GroupSuite,
            Self::InitKey(_) => Rule::InitKey,
            Self::EncryptionKey(_) => Rule::EncryptionKey,
            Self::SignatureKey(_) => Rule::SignatureKey,
            Self::LeafNodeSource { .. } => Rule::LeafSource,
            Self::LeafSignature => Rule::LeafSignature,
            Self::Signature => Rule::Signature,
            Self::InitKeyEqualsEncryptionKey => Rule::Distinct,
            Self::Lifetime { .. } => Rule::Lifetime,
            Self::LifetimeTooLong { .. } => Rule::MaxLifetime,
            Self::UnlistedLeafExtension { .. } => Rule::LeafExtensions,
            Self::UnlistedExtension { .. } => Rule::Extensions,
            Self::UnlistedCredentialType { .. } => Rule::CredentialCapability,
            Self::UnlistedOwnVersion { .. } | Self::UnlistedOwnCipherSuite { .. } => {
                Rule::OwnCapabilities
            }
            Self::ListedDefaultExtension { .. } | Self::ListedDefaultProposal { .. } => {
                Rule::NoDefaults
            }
            Self::MisplacedExtension { .. } => Rule::ExtensionPlacement,
            Self::DuplicateExtension { .. } => Rule::DuplicateExtension,
            Self::ExtensionBody { .. } => Rule::ExtensionBody,
            Self::MissingRequiredExtension { .. }
            | Self::MissingRequiredProposal { .. }
            | Self::MissingRequiredCredential { .. } => Rule::RequiredCapabilities,
            Self::Credential(_) => Rule::Credential,
            Self::Internal { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_blames_the_maker_except_for_a_missing_suite_and_our_bugs() {
        let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
        let cases = [
            (
                ValidationError::UnsupportedCipherSuite {
                    cipher_suite: suite,
                },
                Fault::Unsupported,
                Some(Rule::Suite),
            ),
            (
                ValidationError::Internal {
                    detail: "backend".into(),
                },
                Fault::Bug,
                None,
            ),
            (
                ValidationError::Version {
                    found: ProtocolVersion(0),
                    expected: ProtocolVersion::MLS10,
                },
                Fault::Peer,
                Some(Rule::Version),
            ),
        ];
        for (error, fault, rule) in cases {
            assert_eq!(error.fault(), fault, "{error}");
            assert_eq!(error.rule(), rule, "{error}");
        }
    }
}
