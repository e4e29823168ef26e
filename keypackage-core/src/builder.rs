//! Creation: a builder that makes key packages correct by construction
//! (docs/DESIGN.md §3 P8).
//!
//! * `capabilities` list the protocol version, every suite the backend
//!   supports, the credential type in use, and every non-default extension
//!   type the key package or its leaf carries (GREASE and last resort
//!   included); they never list a default type.
//! * By default one random GREASE value (RFC 9420 §13.5) goes into each of
//!   `capabilities.cipher_suites`, `.extensions`, `.proposals` and
//!   `.credentials` (never `versions`). GREASE *extensions* are opt-in:
//!   OpenMLS 0.9.2 refuses a GREASE type in `KeyPackage.extensions` even when
//!   listed (in `KeyPackageIn::validate`), and a listed GREASE type in
//!   `LeafNode.extensions` when it adds the member to a group.
//! * The init key and the leaf encryption key are fresh and distinct; the
//!   leaf is signed (`LeafNodeTBS`), then the key package (`KeyPackageTBS`),
//!   each TBS encoded once, in one buffer that also yields the reference.

use std::time::{SystemTime, UNIX_EPOCH};

use keypackage_traits::codec::{VarBytes, VarVec};
use keypackage_traits::{
    CipherSuite, CipherSuiteProvider, CredentialType, CryptoError, ExtensionType, Fault,
    GREASE_VALUES, OpenMlsCrypto, ProposalType, ProtocolVersion, Signer,
};
use tls_codec::Serialize;

use crate::bundle::KeyPackageBundle;
use crate::capabilities::Capabilities;
use crate::credential::Credential;
use crate::error::EncodeError;
use crate::extensions::{Extension, Extensions};
use crate::extensions::{ListProblem, check_list};
use crate::key_package::{KeyPackage, KeyPackageIn};
use crate::labeled::{self, KEY_PACKAGE_TBS_LABEL, LEAF_NODE_TBS_LABEL};
use crate::leaf_node::{LeafNode, LeafNodeSource};
use crate::lifetime::Lifetime;
use crate::lifetime::{DAY, DEFAULT_MAX_LIFETIME, HOUR};
use crate::validate::{CredentialRejected, check_credential_structure};
use keypackage_traits::ExtensionLocation;

/// The default lifetime: 84 days.
pub const DEFAULT_LIFETIME: u64 = 84 * DAY;
/// How far in the past `not_before` is put by default (one hour, for peers
/// whose clock runs behind; OpenMLS checks against the same hour).
pub const DEFAULT_BACKDATE: u64 = HOUR;

/// Why a key package could not be created. Each variant says whose fault.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreationError {
    /// The backend does not support the suite (caller).
    #[error("cipher suite {cipher_suite:?} is not supported by the crypto provider")]
    UnsupportedCipherSuite {
        /// The cipher suite.
        cipher_suite: CipherSuite,
    },
    /// The signer's scheme is not the suite's (caller).
    #[error("the signer's scheme does not match the cipher suite: {0}")]
    SignerMismatch(CryptoError),
    /// A default type was requested in capabilities (caller; RFC 9420 §7.2).
    #[error("capabilities must not list the default {detail}")]
    DefaultTypeListed {
        /// What went wrong, for people.
        detail: String,
    },
    /// An extension type was given twice in one list (caller; §13.4).
    #[error("extension {extension_type:?} appears twice in {location}")]
    DuplicateExtension {
        /// The extension type.
        extension_type: ExtensionType,
        /// The list.
        location: ExtensionLocation,
    },
    /// A known extension type where the registry forbids it (caller; §17.3).
    #[error("extension {extension_type:?} is not allowed in {location}")]
    MisplacedExtension {
        /// The extension type.
        extension_type: ExtensionType,
        /// Where it was asked for.
        location: ExtensionLocation,
    },
    /// The body of a known extension type does not decode as that type
    /// (caller; KP-EXT-BODY).
    #[error("extension {extension_type:?} in {location}: {reason}")]
    InvalidExtensionBody {
        /// The extension type.
        extension_type: ExtensionType,
        /// Where it was asked for.
        location: ExtensionLocation,
        /// What is wrong with the body.
        reason: &'static str,
    },
    /// The credential is structurally impossible: a reserved or GREASE type,
    /// an empty certificate chain or certificate (caller; KP-CREDENTIAL).
    #[error("invalid credential: {0}")]
    InvalidCredential(CredentialRejected),
    /// `not_after < not_before` (caller).
    #[error("lifetime ends before it starts")]
    InvalidLifetime,
    /// The lifetime is longer than the builder's maximum, which is the
    /// validator's default (KP-MAX-LIFETIME): the key package would be
    /// refused (caller). [`KeyPackageBuilder::max_lifetime`] lifts the cap.
    #[error("a lifetime of {duration} s exceeds the maximum of {max} s (KP-MAX-LIFETIME)")]
    LifetimeTooLong {
        /// `not_after - not_before`.
        duration: u64,
        /// The builder's maximum.
        max: u64,
    },
    /// The crypto provider or the signer failed (environment or signer).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// Encoding failed (a field over 2^30 - 1 bytes; caller).
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl CreationError {
    /// Whose fault the error is: the caller's, unless the crypto provider
    /// or the signer failed.
    pub const fn fault(&self) -> Fault {
        match self {
            Self::UnsupportedCipherSuite { .. } => Fault::Unsupported,
            Self::Crypto(e) => e.fault(),
            Self::Encode(e) => e.fault(),
            _ => Fault::Caller,
        }
    }
}

impl From<crate::error::LabeledError> for CreationError {
    fn from(value: crate::error::LabeledError) -> Self {
        match value {
            crate::error::LabeledError::Crypto(e) => Self::Crypto(e),
            crate::error::LabeledError::Encode(e) => Self::Encode(e),
        }
    }
}

impl From<tls_codec::Error> for CreationError {
    fn from(value: tls_codec::Error) -> Self {
        Self::Encode(value.into())
    }
}

/// How the lifetime is chosen.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum LifetimeSpec {
    /// From `now - backdate` for `duration` seconds, `now` read at build time.
    Relative { backdate: u64, duration: u64 },
    /// Exactly this range.
    Fixed(Lifetime),
}

/// Builds key packages. Reusable: each [`build`](Self::build) call makes a
/// fresh key package with fresh HPKE keys.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use keypackage_core::{Credential, KeyPackageBuilder, rustcrypto::{RustCrypto, RustCryptoSigner}};
/// use keypackage_core::{AcceptAnyCredential, ValidationContext, KeyPackageIn};
/// use keypackage_core::traits::{CipherSuite, SignatureScheme};
///
/// let crypto = RustCrypto::new();
/// let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
/// let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
/// let bundle = KeyPackageBuilder::new()
///     .build(&crypto, suite, Credential::basic("alice"), &signer)
///     .unwrap();
///
/// // What we make, we accept.
/// let bytes = bundle.key_package().encode().unwrap();
/// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
/// let ctx = ValidationContext::new(now, &AcceptAnyCredential);
/// let kp = KeyPackageIn::decode(&bytes).unwrap().validate(&crypto, &ctx).unwrap();
/// assert_eq!(kp.reference(), bundle.reference());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct KeyPackageBuilder {
    lifetime: LifetimeSpec,
    max_lifetime: Option<u64>,
    extra_extension_types: Vec<ExtensionType>,
    extra_proposal_types: Vec<ProposalType>,
    extra_credential_types: Vec<CredentialType>,
    key_package_extensions: Vec<Extension>,
    leaf_extensions: Vec<Extension>,
    last_resort: bool,
    grease: bool,
    grease_key_package_extension: bool,
    grease_leaf_extension: bool,
}

impl Default for KeyPackageBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyPackageBuilder {
    /// The defaults: 84-day lifetime starting one hour ago, GREASE in the
    /// capability lists, no extensions.
    pub fn new() -> Self {
        Self {
            lifetime: LifetimeSpec::Relative {
                backdate: DEFAULT_BACKDATE,
                duration: DEFAULT_LIFETIME + DEFAULT_BACKDATE,
            },
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
            extra_extension_types: Vec::new(),
            extra_proposal_types: Vec::new(),
            extra_credential_types: Vec::new(),
            key_package_extensions: Vec::new(),
            leaf_extensions: Vec::new(),
            last_resort: false,
            grease: true,
            grease_key_package_extension: false,
            grease_leaf_extension: false,
        }
    }

    /// Valid from one hour ago for `seconds` from now.
    pub fn lifetime_seconds(mut self, seconds: u64) -> Self {
        self.lifetime = LifetimeSpec::Relative {
            backdate: DEFAULT_BACKDATE,
            duration: seconds.saturating_add(DEFAULT_BACKDATE),
        };
        self
    }

    /// Exactly this lifetime.
    pub fn lifetime(mut self, lifetime: Lifetime) -> Self {
        self.lifetime = LifetimeSpec::Fixed(lifetime);
        self
    }

    /// The longest lifetime [`build`](Self::build) accepts: by default the
    /// validator's default maximum ([`DEFAULT_MAX_LIFETIME`], KP-MAX-LIFETIME),
    /// so that what the builder makes passes default validation. `None`
    /// lifts the cap, for a deployment whose validators allow longer
    /// lifetimes; such key packages fail default validation.
    pub fn max_lifetime(mut self, max: Option<u64>) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Also list a non-default extension type in capabilities.
    pub fn supports_extension(mut self, extension_type: ExtensionType) -> Self {
        self.extra_extension_types.push(extension_type);
        self
    }

    /// Also list a non-default proposal type in capabilities.
    pub fn supports_proposal(mut self, proposal_type: ProposalType) -> Self {
        self.extra_proposal_types.push(proposal_type);
        self
    }

    /// Also list a credential type in capabilities.
    pub fn supports_credential(mut self, credential_type: CredentialType) -> Self {
        self.extra_credential_types.push(credential_type);
        self
    }

    /// Adds a `KeyPackage.extensions` entry (listed in capabilities).
    pub fn key_package_extension(mut self, extension: Extension) -> Self {
        self.key_package_extensions.push(extension);
        self
    }

    /// Adds a `LeafNode.extensions` entry (listed in capabilities when not a
    /// default type).
    pub fn leaf_extension(mut self, extension: Extension) -> Self {
        self.leaf_extensions.push(extension);
        self
    }

    /// Marks the key package last resort (extension 0x000A, listed).
    pub fn last_resort(mut self) -> Self {
        self.last_resort = true;
        self
    }

    /// Turns the capability GREASE values on or off (on by default).
    pub fn grease(mut self, on: bool) -> Self {
        self.grease = on;
        self
    }

    /// Adds a random GREASE extension (listed) to `KeyPackage.extensions`.
    /// Opt-in: OpenMLS 0.9.2 refuses such key packages.
    pub fn grease_key_package_extension(mut self) -> Self {
        self.grease_key_package_extension = true;
        self
    }

    /// Adds a random GREASE extension (listed) to `LeafNode.extensions`.
    /// Opt-in: OpenMLS 0.9.2 validates such key packages but refuses to add
    /// them to a group (docs/INTEROP.md).
    pub fn grease_leaf_extension(mut self) -> Self {
        self.grease_leaf_extension = true;
        self
    }

    /// Makes one key package for `cipher_suite`, signed by `signer`.
    pub fn build<C: OpenMlsCrypto, G: Signer + ?Sized>(
        &self,
        crypto: &C,
        cipher_suite: CipherSuite,
        credential: Credential,
        signer: &G,
    ) -> Result<KeyPackageBundle, CreationError> {
        let suite = match crypto.suite(cipher_suite) {
            Ok(suite) => suite,
            Err(CryptoError::UnsupportedCipherSuite { cipher_suite: cs }) => {
                return Err(CreationError::UnsupportedCipherSuite { cipher_suite: cs });
            }
            Err(e) => return Err(e.into()),
        };
        let expected = suite.info().signature;
        if signer.signature_scheme() != expected {
            return Err(CreationError::SignerMismatch(
                CryptoError::SignatureSchemeMismatch {
                    signer: signer.signature_scheme(),
                    suite: expected,
                },
            ));
        }
        let lifetime = self.resolve_lifetime()?;
        let mut grease = GreasePicker::new(crypto)?;

        let mut kp_extensions = self.key_package_extensions.clone();
        if self.last_resort
            && !kp_extensions
                .iter()
                .any(|e| e.extension_type == ExtensionType::LAST_RESORT)
        {
            kp_extensions.push(Extension::last_resort());
        }
        let mut leaf_extensions = self.leaf_extensions.clone();
        if self.grease_key_package_extension {
            let t = grease.fresh_extension(&kp_extensions, &leaf_extensions)?;
            kp_extensions.push(Extension::new(t, Vec::new()));
        }
        if self.grease_leaf_extension {
            let t = grease.fresh_extension(&kp_extensions, &leaf_extensions)?;
            leaf_extensions.push(Extension::new(t, Vec::new()));
        }
        check_extension_list(&kp_extensions, ExtensionLocation::KeyPackage)?;
        check_extension_list(&leaf_extensions, ExtensionLocation::LeafNode)?;
        check_credential_structure(&credential).map_err(CreationError::InvalidCredential)?;

        let capabilities = self.capabilities(
            crypto,
            credential.credential_type(),
            &kp_extensions,
            &leaf_extensions,
            &mut grease,
        )?;

        // Fresh, distinct HPKE keys (§10.1: init_key != encryption_key).
        let init = suite.hpke_generate_key_pair()?;
        let encryption = suite.hpke_generate_key_pair()?;
        if init.public == encryption.public {
            return Err(CryptoError::Internal {
                detail: "the random source repeated an HPKE key",
            }
            .into());
        }

        let mut kp = KeyPackageIn {
            version: ProtocolVersion::MLS10,
            cipher_suite,
            init_key: init.public,
            leaf_node: LeafNode {
                encryption_key: encryption.public,
                signature_key: signer.public_key().clone(),
                credential,
                capabilities,
                leaf_node_source: LeafNodeSource::KeyPackage(lifetime),
                extensions: kp_list(leaf_extensions),
                signature: VarBytes::default(),
            },
            extensions: kp_list(kp_extensions),
            signature: VarBytes::default(),
        };

        // One buffer: version, suite, init_key, then the leaf content, which
        // is LeafNodeTBS; sign it, append the leaf signature and the
        // extensions, which completes KeyPackageTBS; sign that; append the
        // signature, which completes the key package for RefHash.
        let mut out = Vec::with_capacity(kp.tbs_len() + 2 * 140);
        kp.version.tls_serialize(&mut out)?;
        kp.cipher_suite.tls_serialize(&mut out)?;
        kp.init_key.tls_serialize(&mut out)?;
        let leaf_start = out.len();
        kp.leaf_node.serialize_content(&mut out)?;
        let leaf_tbs = out.get(leaf_start..).ok_or(CryptoError::Internal {
            detail: "leaf span",
        })?;
        let leaf_signature = labeled::sign_with_label(signer, LEAF_NODE_TBS_LABEL, leaf_tbs)?;
        kp.leaf_node.signature = VarBytes(leaf_signature);
        kp.leaf_node.signature.tls_serialize(&mut out)?;
        kp.extensions.tls_serialize(&mut out)?;
        let signature = labeled::sign_with_label(signer, KEY_PACKAGE_TBS_LABEL, &out)?;
        kp.signature = VarBytes(signature);
        kp.signature.tls_serialize(&mut out)?;

        let reference = labeled::key_package_ref(&suite, &out)?;
        let key_package = KeyPackage::new_trusted(kp, reference);
        Ok(KeyPackageBundle::new(
            key_package,
            init.private,
            encryption.private,
        ))
    }

    fn resolve_lifetime(&self) -> Result<Lifetime, CreationError> {
        let lifetime = match self.lifetime {
            LifetimeSpec::Fixed(l) => l,
            LifetimeSpec::Relative { backdate, duration } => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let not_before = now.saturating_sub(backdate);
                Lifetime::new(not_before, not_before.saturating_add(duration))
            }
        };
        let Some(duration) = lifetime.duration() else {
            return Err(CreationError::InvalidLifetime);
        };
        if let Some(max) = self.max_lifetime
            && duration > max
        {
            return Err(CreationError::LifetimeTooLong { duration, max });
        }
        Ok(lifetime)
    }

    fn capabilities<C: OpenMlsCrypto>(
        &self,
        crypto: &C,
        credential_type: CredentialType,
        kp_extensions: &[Extension],
        leaf_extensions: &[Extension],
        grease: &mut GreasePicker<'_, C>,
    ) -> Result<Capabilities, CreationError> {
        if let Some(t) = self.extra_extension_types.iter().find(|t| t.is_default()) {
            return Err(CreationError::DefaultTypeListed {
                detail: format!("extension type {t:?}"),
            });
        }
        if let Some(t) = self.extra_proposal_types.iter().find(|t| t.is_default()) {
            return Err(CreationError::DefaultTypeListed {
                detail: format!("proposal type {t:?}"),
            });
        }

        let mut extensions: Vec<ExtensionType> = Vec::new();
        let carried = kp_extensions
            .iter()
            .chain(leaf_extensions)
            .map(|e| e.extension_type);
        for t in carried.chain(self.extra_extension_types.iter().copied()) {
            if !t.is_default() && !extensions.contains(&t) {
                extensions.push(t);
            }
        }
        let mut proposals: Vec<ProposalType> = Vec::new();
        for t in &self.extra_proposal_types {
            if !proposals.contains(t) {
                proposals.push(*t);
            }
        }
        let mut credentials = vec![credential_type];
        for t in &self.extra_credential_types {
            if !credentials.contains(t) {
                credentials.push(*t);
            }
        }
        let mut cipher_suites: Vec<CipherSuite> = crypto.supported_cipher_suites().to_vec();

        if self.grease {
            // One GREASE value per list, unless the list already has one.
            if !cipher_suites.iter().any(|c| c.is_grease()) {
                cipher_suites.push(CipherSuite(grease.pick()?));
            }
            if !extensions.iter().any(|t| t.is_grease()) {
                extensions.push(ExtensionType(grease.pick()?));
            }
            if !proposals.iter().any(|t| t.is_grease()) {
                proposals.push(ProposalType(grease.pick()?));
            }
            if !credentials.iter().any(|t| t.is_grease()) {
                credentials.push(CredentialType(grease.pick()?));
            }
        }

        Ok(Capabilities {
            versions: VarVec(vec![ProtocolVersion::MLS10]),
            cipher_suites: VarVec(cipher_suites),
            extensions: VarVec(extensions),
            proposals: VarVec(proposals),
            credentials: VarVec(credentials),
        })
    }
}

fn kp_list(list: Vec<Extension>) -> Extensions {
    Extensions(VarVec(list))
}

/// The validator's own list checks (KP-DUP-EXT, KP-EXT-PLACEMENT,
/// KP-EXT-BODY), so that the builder never makes what validation refuses.
fn check_extension_list(
    list: &[Extension],
    location: ExtensionLocation,
) -> Result<(), CreationError> {
    check_list(list, location).map_err(|problem| match problem {
        ListProblem::Duplicate(extension_type) => CreationError::DuplicateExtension {
            extension_type,
            location,
        },
        ListProblem::Misplaced(extension_type) => CreationError::MisplacedExtension {
            extension_type,
            location,
        },
        ListProblem::Body(extension_type, reason) => CreationError::InvalidExtensionBody {
            extension_type,
            location,
            reason,
        },
    })
}

/// Draws GREASE values from the provider's random source.
struct GreasePicker<'a, C> {
    crypto: &'a C,
    random: [u8; 16],
    used: usize,
}

impl<'a, C: OpenMlsCrypto> GreasePicker<'a, C> {
    fn new(crypto: &'a C) -> Result<Self, CryptoError> {
        let mut random = [0u8; 16];
        crypto.random_bytes(&mut random)?;
        Ok(Self {
            crypto,
            random,
            used: 0,
        })
    }

    fn byte(&mut self) -> Result<u8, CryptoError> {
        if self.used == self.random.len() {
            self.crypto.random_bytes(&mut self.random)?;
            self.used = 0;
        }
        let byte = self
            .random
            .get(self.used)
            .copied()
            .ok_or(CryptoError::Internal { detail: "grease" })?;
        self.used += 1;
        Ok(byte)
    }

    /// One of the 15 GREASE values, uniformly (bytes of 255 are rejected).
    fn pick(&mut self) -> Result<u16, CryptoError> {
        loop {
            let byte = self.byte()?;
            if byte < 255 {
                let value = GREASE_VALUES.get(usize::from(byte) % GREASE_VALUES.len());
                return value
                    .copied()
                    .ok_or(CryptoError::Internal { detail: "grease" });
            }
        }
    }

    /// A GREASE extension type used in neither list.
    fn fresh_extension(
        &mut self,
        a: &[Extension],
        b: &[Extension],
    ) -> Result<ExtensionType, CreationError> {
        let free: Vec<u16> = GREASE_VALUES
            .iter()
            .copied()
            .filter(|v| !a.iter().chain(b).any(|e| e.extension_type.0 == *v))
            .collect();
        if free.is_empty() {
            return Err(CreationError::DuplicateExtension {
                extension_type: ExtensionType(0x0A0A),
                location: ExtensionLocation::KeyPackage,
            });
        }
        let index = usize::from(self.byte()?) % free.len();
        free.get(index)
            .copied()
            .map(ExtensionType)
            .ok_or(CryptoError::Internal { detail: "grease" }.into())
    }
}
