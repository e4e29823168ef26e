//! Opening a Welcome with a key package bundle (RFC 9420 §12.4.3.1): find
//! the entry addressed to the key package, check that the Welcome is for the
//! key package's suite and protocol version, decrypt the `GroupSecrets` with
//! the init key, and decode them; and [`reserve_for_welcome`], which finds
//! the bundle in a key store, by reference or, for a key package whose
//! reference was changed on the way, by trial decryption.

use keypackage_traits::{
    CipherSuite, CryptoError, KeyPackageRef, KeyStore, KeyStoreError, OpenMlsCrypto,
    ProtocolVersion,
};

use crate::bundle::{BundleError, KeyPackageBundle};
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
    #[error("the Welcome message has protocol version {version:?}, not mls10")]
    Version {
        /// The protocol version.
        version: ProtocolVersion,
    },
    /// The Welcome's cipher suite is not the key package's (sender; RFC 9420
    /// §12.4.3.1: a new member checks that the suite is the one of the key
    /// package it published).
    #[error("the Welcome uses cipher suite {welcome:?}, the key package {key_package:?}")]
    CipherSuiteMismatch {
        /// The Welcome's suite.
        welcome: CipherSuite,
        /// The key package's suite.
        key_package: CipherSuite,
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
    #[error("internal error while opening the Welcome: {detail}")]
    Internal {
        /// What went wrong, for people.
        detail: String,
    },
}

impl WelcomeError {
    /// Whose fault the error is: the Welcome's sender, but for an internal
    /// error.
    pub const fn fault(&self) -> keypackage_traits::Fault {
        match self {
            Self::Internal { .. } => keypackage_traits::Fault::Bug,
            _ => keypackage_traits::Fault::Peer,
        }
    }
}

impl Welcome {
    /// The entry addressed to `key_package`, after checking that the
    /// Welcome is in the key package's cipher suite (§12.4.3.1).
    pub fn find_secrets(
        &self,
        key_package: &KeyPackage,
    ) -> Result<&EncryptedGroupSecrets, WelcomeError> {
        if self.cipher_suite != key_package.cipher_suite() {
            return Err(WelcomeError::CipherSuiteMismatch {
                welcome: self.cipher_suite,
                key_package: key_package.cipher_suite(),
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
                    return Err(WelcomeError::Version { version });
                }
                Ok(welcome)
            }
            Self::KeyPackage { .. } => Err(DecodeError::UnexpectedWireFormat {
                wire_format: WireFormat::KEY_PACKAGE.0,
            }
            .into()),
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
        LabeledError::Encode(e) => WelcomeError::Internal {
            detail: e.to_string(),
        },
    })?;
    GroupSecrets::decode(plaintext.expose()).map_err(WelcomeError::GroupSecrets)
}

/// How far [`reserve_for_welcome`] may search when no entry of the Welcome
/// names a stored key package.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct JoinOptions {
    /// The most HPKE decryptions the trial search may make (stored bundles of
    /// the Welcome's suite × the Welcome's entries). Each costs one `Decap`
    /// and one AEAD open, about 0.1 ms (docs/DESIGN.md §5.7).
    pub max_trial_decryptions: usize,
}

impl Default for JoinOptions {
    fn default() -> Self {
        Self {
            max_trial_decryptions: 256,
        }
    }
}

/// How the bundle of a Welcome was found.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FoundBy {
    /// An entry named its `KeyPackageRef`: the normal case.
    Reference,
    /// No entry named a stored reference, but the entry addressed to
    /// `entry_reference` opened with this bundle's init key: the key package
    /// reached the group under another reference, as a relay can make of an
    /// ECDSA key package by replacing its signature `(r, s)` with
    /// `(r, n - s)` (docs/DESIGN.md §5.7).
    TrialDecryption {
        /// The reference the Welcome used.
        entry_reference: KeyPackageRef,
    },
}

/// A key package reserved for a Welcome, with its group secrets. The caller
/// processes the rest of the Welcome, then `confirm`s the reservation in the
/// store, or `release`s it if the Welcome turns out bad.
#[derive(Debug)]
pub struct Joining {
    /// The bundle (its reference is the one stored).
    pub bundle: KeyPackageBundle,
    /// The decrypted `GroupSecrets`.
    pub group_secrets: GroupSecrets,
    /// How it was found.
    pub found_by: FoundBy,
}

/// Why [`reserve_for_welcome`] found nothing to join with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The Welcome named our key package but cannot be opened with it.
    #[error(transparent)]
    Welcome(#[from] WelcomeError),
    /// The key store failed (environment).
    #[error("key store: {0}")]
    Store(#[from] KeyStoreError),
    /// A stored bundle does not read back (storage corruption).
    #[error("stored bundle: {0}")]
    Bundle(#[from] BundleError),
    /// No stored key package opens any entry of the Welcome.
    #[error("no stored key package opens this Welcome ({tried} trial decryptions)")]
    NotFound {
        /// Trial decryptions made.
        tried: usize,
    },
    /// The trial search stopped at its limit before trying every bundle.
    #[error("stopped after {tried} trial decryptions (JoinOptions::max_trial_decryptions)")]
    TrialLimit {
        /// Trial decryptions made.
        tried: usize,
    },
}

impl JoinError {
    /// Whose fault the error is.
    pub const fn fault(&self) -> keypackage_traits::Fault {
        match self {
            Self::Welcome(e) => e.fault(),
            Self::Store(e) => e.fault(),
            Self::Bundle(e) => e.fault(),
            Self::NotFound { .. } | Self::TrialLimit { .. } => keypackage_traits::Fault::Peer,
        }
    }
}

/// Finds, reserves and opens the stored key package a Welcome is for.
///
/// First by reference: each entry whose `new_member` is stored is reserved
/// ([`KeyStore::reserve`]) and opened ([`KeyPackageBundle::open_welcome`]).
/// If no entry names a stored key package, each unreserved stored bundle of
/// the Welcome's suite is tried against each entry, at most
/// `options.max_trial_decryptions` decryptions in all; AEAD authentication
/// makes a wrong key fail, so a success identifies the bundle. This recovers
/// a join whose key package reached the group under another reference (an
/// ECDSA signature replaced by its twin `(r, n - s)`, which RFC 9420 does not
/// forbid and the peers accept; docs/DESIGN.md §5.7).
///
/// On success the key package is reserved: `confirm` it once the rest of
/// the Welcome is processed, or `release` it. On an error after a
/// reservation, the reservation is released before returning.
pub fn reserve_for_welcome<S, C>(
    store: &S,
    crypto: &C,
    welcome: &Welcome,
    now: u64,
    options: JoinOptions,
) -> Result<Joining, JoinError>
where
    S: KeyStore + ?Sized,
    C: OpenMlsCrypto,
{
    for entry in welcome.secrets.iter() {
        let Some(stored) = store.reserve(&entry.new_member, now)? else {
            continue;
        };
        let opened = KeyPackageBundle::from_stored(&stored, crypto)
            .map_err(JoinError::from)
            .and_then(|bundle| {
                let secrets = bundle.open_welcome(crypto, welcome)?;
                Ok((bundle, secrets))
            });
        return match opened {
            Ok((bundle, group_secrets)) => Ok(Joining {
                bundle,
                group_secrets,
                found_by: FoundBy::Reference,
            }),
            Err(error) => {
                store.release(&entry.new_member)?;
                Err(error)
            }
        };
    }
    trial_decryption(store, crypto, welcome, now, options)
}

/// The fallback of [`reserve_for_welcome`]: every unreserved stored bundle
/// of the Welcome's suite against every entry, within the limit.
fn trial_decryption<S, C>(
    store: &S,
    crypto: &C,
    welcome: &Welcome,
    now: u64,
    options: JoinOptions,
) -> Result<Joining, JoinError>
where
    S: KeyStore + ?Sized,
    C: OpenMlsCrypto,
{
    let mut tried = 0;
    for summary in store.list()? {
        if summary.reserved_at.is_some() {
            continue;
        }
        let Some(stored) = store.get(&summary.reference)? else {
            continue;
        };
        let bundle = KeyPackageBundle::from_stored(&stored, crypto)?;
        if bundle.key_package().cipher_suite() != welcome.cipher_suite {
            continue;
        }
        for entry in welcome.secrets.iter() {
            if tried == options.max_trial_decryptions {
                return Err(JoinError::TrialLimit { tried });
            }
            tried += 1;
            let Ok(group_secrets) = open_entry(crypto, &bundle, welcome, entry) else {
                continue;
            };
            // Found: reserve it as the reference path would have.
            if store.reserve(&summary.reference, now)?.is_none() {
                // Taken meanwhile by another join.
                continue;
            }
            return Ok(Joining {
                bundle,
                group_secrets,
                found_by: FoundBy::TrialDecryption {
                    entry_reference: entry.new_member.clone(),
                },
            });
        }
    }
    Err(JoinError::NotFound { tried })
}
