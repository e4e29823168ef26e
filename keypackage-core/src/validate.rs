//! Validation: the only way from an untrusted [`KeyPackageIn`] to a trusted
//! [`KeyPackage`] (docs/DESIGN.md §3 P1).
//!
//! Every rule of the table in docs/DESIGN.md §4 (and the README) is applied, and the
//! error names the rule. The order reports the most useful reason first and
//! does the cheap work first: structure and policy, then key encodings, then
//! the two signatures, then the application's credential validator (which
//! may be expensive, and should only see authenticated input).
//!
//! Unknown code points, GREASE among them, get no special treatment (RFC
//! 9420 §13.5): they are ignored in capability lists and in
//! `KeyPackage.extensions`, and must be listed when they appear in
//! `LeafNode.extensions`.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, CredentialType, CryptoError, ExtensionType, OpenMlsCrypto,
    ProposalType, ProtocolVersion, SignaturePublicKey,
};

use crate::credential::Credential;
use crate::error::DecodeError;
use crate::extensions::Extensions;
use crate::key_package::{KeyPackage, KeyPackageIn};
use crate::labeled::{self, KEY_PACKAGE_TBS_LABEL, LEAF_NODE_TBS_LABEL};
use crate::leaf_node::LeafNodeSource;
use crate::message::MlsMessageIn;
use crate::rules::Rule;

/// One hour, in seconds.
pub const HOUR: u64 = 3600;
/// One day, in seconds.
pub const DAY: u64 = 24 * HOUR;
/// The default maximum lifetime: 365 days + 1 hour. It admits what OpenMLS
/// and mls-rs produce (a year-long range, sometimes with `not_before` an hour
/// in the past) and refuses the "valid forever" key packages RFC 9420 §7.2
/// warns about.
pub const DEFAULT_MAX_LIFETIME: u64 = 365 * DAY + HOUR;
/// The default allowance for a creator whose clock runs ahead of ours.
pub const DEFAULT_CLOCK_SKEW: u64 = HOUR;

/// The application's judgement of a credential (RFC 9420 §5.3.1: "the
/// application MUST verify the credential"). The choice to accept any
/// credential is explicit: [`AcceptAnyCredential`].
pub trait CredentialValidator: Send + Sync {
    /// Accepts or refuses `credential`, presented with `signature_key`.
    fn validate(
        &self,
        credential: &Credential,
        signature_key: &SignaturePublicKey,
    ) -> Result<(), CredentialRejected>;
}

/// Why a credential validator refused a credential.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CredentialRejected(pub String);

impl fmt::Display for CredentialRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Accepts every credential. Use it only where credentials are checked
/// elsewhere (e.g. a delivery service that authenticates uploads by account).
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAnyCredential;

impl CredentialValidator for AcceptAnyCredential {
    fn validate(&self, _: &Credential, _: &SignaturePublicKey) -> Result<(), CredentialRejected> {
        Ok(())
    }
}

impl<F> CredentialValidator for F
where
    F: Fn(&Credential, &SignaturePublicKey) -> Result<(), CredentialRejected> + Send + Sync,
{
    fn validate(
        &self,
        credential: &Credential,
        signature_key: &SignaturePublicKey,
    ) -> Result<(), CredentialRejected> {
        self(credential, signature_key)
    }
}

/// The group a key package is validated for (RFC 9420 §10.1, §12.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GroupParameters {
    /// The group's cipher suite.
    pub cipher_suite: Ciphersuite,
    /// The group's protocol version.
    pub version: ProtocolVersion,
}

/// The `required_capabilities` of a group (RFC 9420 §11.1).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct RequiredCapabilities {
    /// Extension types every member must support.
    pub extension_types: Vec<ExtensionType>,
    /// Proposal types every member must support.
    pub proposal_types: Vec<ProposalType>,
    /// Credential types every member must support.
    pub credential_types: Vec<CredentialType>,
}

/// Everything validation depends on besides the key package. The clock is
/// an input: nothing in validation reads the system time.
#[derive(Clone)]
pub struct ValidationContext<'a> {
    /// The current time, seconds since the Unix epoch.
    pub now: u64,
    /// How far `not_before` may be in the future (a creator whose clock runs
    /// ahead). Expiry (`not_after`) is exact.
    pub clock_skew: u64,
    /// Maximum `not_after - not_before`; `None` turns KP-MAX-LIFETIME off.
    pub max_lifetime: Option<u64>,
    /// KP-NO-DEFAULTS: refuse capabilities that list default types (on by
    /// default; older OpenMLS releases listed them).
    pub refuse_listed_defaults: bool,
    /// The protocol version expected (KP-VER).
    pub expected_version: ProtocolVersion,
    /// The group the key package is for, if any (KP-GROUP-SUITE).
    pub group: Option<GroupParameters>,
    /// The group's required capabilities, if any (KP-REQUIRED-CAPS).
    pub required_capabilities: Option<RequiredCapabilities>,
    /// Key package extension types the application recognises besides
    /// last resort and `app_data_dictionary` (KP-EXT).
    pub recognised_extensions: Vec<ExtensionType>,
    /// The application's credential validator (KP-CREDENTIAL).
    pub credential_validator: &'a dyn CredentialValidator,
}

impl fmt::Debug for ValidationContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidationContext")
            .field("now", &self.now)
            .field("clock_skew", &self.clock_skew)
            .field("max_lifetime", &self.max_lifetime)
            .field("refuse_listed_defaults", &self.refuse_listed_defaults)
            .field("expected_version", &self.expected_version)
            .field("group", &self.group)
            .field("required_capabilities", &self.required_capabilities)
            .field("recognised_extensions", &self.recognised_extensions)
            .finish_non_exhaustive()
    }
}

impl<'a> ValidationContext<'a> {
    /// The default policy at time `now`, with the given credential validator.
    pub fn new(now: u64, credential_validator: &'a dyn CredentialValidator) -> Self {
        Self {
            now,
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
            refuse_listed_defaults: true,
            expected_version: ProtocolVersion::MLS10,
            group: None,
            required_capabilities: None,
            recognised_extensions: Vec::new(),
            credential_validator,
        }
    }

    /// Sets the maximum lifetime (`None`: no maximum).
    pub fn with_max_lifetime(mut self, max: Option<u64>) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Sets the clock-skew allowance for `not_before`.
    pub fn with_clock_skew(mut self, seconds: u64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// Turns KP-NO-DEFAULTS on or off.
    pub fn with_refuse_listed_defaults(mut self, on: bool) -> Self {
        self.refuse_listed_defaults = on;
        self
    }

    /// Names the group the key package is for.
    pub fn with_group(mut self, group: GroupParameters) -> Self {
        self.group = Some(group);
        self
    }

    /// Sets the group's required capabilities.
    pub fn with_required_capabilities(mut self, required: RequiredCapabilities) -> Self {
        self.required_capabilities = Some(required);
        self
    }

    /// Registers a key package extension type the application recognises.
    pub fn recognise_extension(mut self, extension_type: ExtensionType) -> Self {
        self.recognised_extensions.push(extension_type);
        self
    }
}

/// Where an extension sits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExtensionLocation {
    /// `KeyPackage.extensions`.
    KeyPackage,
    /// `LeafNode.extensions`.
    LeafNode,
}

impl fmt::Display for ExtensionLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeyPackage => "KeyPackage.extensions",
            Self::LeafNode => "LeafNode.extensions",
        })
    }
}

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
    #[error("KP-SUITE: cipher suite {0:?} is not supported")]
    UnsupportedCiphersuite(Ciphersuite),
    /// KP-GROUP-SUITE: the suite or version differs from the group's.
    #[error("KP-GROUP-SUITE: key package has {found:?}, the group uses {expected:?}")]
    GroupMismatch {
        /// The key package's (suite, version).
        found: (Ciphersuite, ProtocolVersion),
        /// The group's (suite, version).
        expected: (Ciphersuite, ProtocolVersion),
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
    #[error("KP-LEAF-SOURCE: leaf_node_source is {0}, not key_package (1)")]
    LeafNodeSource(u8),
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
    #[error("KP-LEAF-EXT: leaf extension {0:?} is not listed in capabilities.extensions")]
    UnlistedLeafExtension(ExtensionType),
    /// KP-EXT: a recognised key package extension is not listed in capabilities.
    #[error("KP-EXT: key package extension {0:?} is not listed in capabilities.extensions")]
    UnlistedExtension(ExtensionType),
    /// KP-CRED-CAP: the credential type is not listed in capabilities.
    #[error("KP-CRED-CAP: credential type {0:?} is not listed in capabilities.credentials")]
    UnlistedCredentialType(CredentialType),
    /// KP-NO-DEFAULTS: capabilities list a default extension type.
    #[error("KP-NO-DEFAULTS: capabilities.extensions lists the default type {0:?}")]
    ListedDefaultExtension(ExtensionType),
    /// KP-NO-DEFAULTS: capabilities list a default proposal type.
    #[error("KP-NO-DEFAULTS: capabilities.proposals lists the default type {0:?}")]
    ListedDefaultProposal(ProposalType),
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
    /// KP-REQUIRED-CAPS: a required extension type is not supported.
    #[error("KP-REQUIRED-CAPS: required extension type {0:?} is not supported")]
    MissingRequiredExtension(ExtensionType),
    /// KP-REQUIRED-CAPS: a required proposal type is not supported.
    #[error("KP-REQUIRED-CAPS: required proposal type {0:?} is not supported")]
    MissingRequiredProposal(ProposalType),
    /// KP-REQUIRED-CAPS: a required credential type is not supported.
    #[error("KP-REQUIRED-CAPS: required credential type {0:?} is not supported")]
    MissingRequiredCredential(CredentialType),
    /// KP-CREDENTIAL: the application's validator refused the credential.
    #[error("KP-CREDENTIAL: credential refused: {0}")]
    Credential(String),
    /// Our own failure (encoding or an unexpected backend error): a bug.
    #[error("internal error while validating: {0}")]
    Internal(String),
}

impl ValidationError {
    /// The rule the key package breaks; `None` for an internal error.
    pub fn rule(&self) -> Option<Rule> {
        Some(match self {
            Self::Decode(_) => Rule::Decode,
            Self::Version { .. } => Rule::Version,
            Self::UnsupportedCiphersuite(_) => Rule::Suite,
            Self::GroupMismatch { .. } => Rule::GroupSuite,
            Self::InitKey(_) => Rule::InitKey,
            Self::EncryptionKey(_) => Rule::EncryptionKey,
            Self::SignatureKey(_) => Rule::SignatureKey,
            Self::LeafNodeSource(_) => Rule::LeafSource,
            Self::LeafSignature => Rule::LeafSignature,
            Self::Signature => Rule::Signature,
            Self::InitKeyEqualsEncryptionKey => Rule::Distinct,
            Self::Lifetime { .. } => Rule::Lifetime,
            Self::LifetimeTooLong { .. } => Rule::MaxLifetime,
            Self::UnlistedLeafExtension(_) => Rule::LeafExtensions,
            Self::UnlistedExtension(_) => Rule::Extensions,
            Self::UnlistedCredentialType(_) => Rule::CredentialCapability,
            Self::ListedDefaultExtension(_) | Self::ListedDefaultProposal(_) => Rule::NoDefaults,
            Self::MisplacedExtension { .. } => Rule::ExtensionPlacement,
            Self::DuplicateExtension { .. } => Rule::DuplicateExtension,
            Self::MissingRequiredExtension(_)
            | Self::MissingRequiredProposal(_)
            | Self::MissingRequiredCredential(_) => Rule::RequiredCapabilities,
            Self::Credential(_) => Rule::Credential,
            Self::Internal(_) => return None,
        })
    }
}

/// Membership in a list, linear in the list's length whatever its content:
/// a scan for short lists, a hash set for long ones, so that a 100,000-entry
/// hostile list costs no quadratic work.
enum Members<'a, T> {
    Short(&'a [T]),
    Long(HashSet<T>),
}

const SHORT_LIST: usize = 16;

impl<'a, T: Copy + Eq + Hash> Members<'a, T> {
    fn of(list: &'a [T]) -> Self {
        if list.len() <= SHORT_LIST {
            Self::Short(list)
        } else {
            Self::Long(list.iter().copied().collect())
        }
    }

    fn contains(&self, value: &T) -> bool {
        match self {
            Self::Short(list) => list.contains(value),
            Self::Long(set) => set.contains(value),
        }
    }
}

/// The first extension type that appears twice (KP-DUP-EXT), in linear time.
fn first_duplicate(extensions: &Extensions) -> Option<ExtensionType> {
    let list = extensions.as_slice();
    if list.len() <= SHORT_LIST {
        list.iter().enumerate().find_map(|(i, e)| {
            let earlier = list.get(..i)?;
            earlier
                .iter()
                .any(|p| p.extension_type == e.extension_type)
                .then_some(e.extension_type)
        })
    } else {
        let mut seen = HashSet::with_capacity(list.len());
        list.iter()
            .find(|e| !seen.insert(e.extension_type))
            .map(|e| e.extension_type)
    }
}

/// Whether a known extension type may appear in `location` (IANA "MLS
/// Extension Types" registry, "Messages" column, RFC 9420 §17.3, and the
/// extensions draft for last_resort and app_data_dictionary). Unknown types
/// have no placement rule.
pub fn placement_allowed(extension_type: ExtensionType, location: ExtensionLocation) -> bool {
    use ExtensionLocation::{KeyPackage, LeafNode};
    match extension_type {
        // application_id: LN.
        ExtensionType::APPLICATION_ID => location == LeafNode,
        // ratchet_tree, external_pub: GI. required_capabilities,
        // external_senders: GC. Never in a key package or its leaf.
        ExtensionType::RATCHET_TREE
        | ExtensionType::REQUIRED_CAPABILITIES
        | ExtensionType::EXTERNAL_PUB
        | ExtensionType::EXTERNAL_SENDERS => false,
        // last_resort: KP.
        ExtensionType::LAST_RESORT => location == KeyPackage,
        // app_data_dictionary: LN, GC, and KP (for the last-resort component).
        ExtensionType::APP_DATA_DICTIONARY => true,
        _ => true,
    }
}

/// Key package extension types we recognise without registration (KP-EXT).
const RECOGNISED_KP_EXTENSIONS: [ExtensionType; 2] = [
    ExtensionType::LAST_RESORT,
    ExtensionType::APP_DATA_DICTIONARY,
];

/// Rules that need neither crypto nor the clock: leaf source, duplicates,
/// placement, capabilities. Called by
/// [`KeyPackageIn::check_before_signatures`], which single and batch
/// validation both run.
pub(crate) fn check_structure(
    kp: &KeyPackageIn,
    ctx: &ValidationContext<'_>,
) -> Result<(), ValidationError> {
    let leaf = &kp.leaf_node;
    let caps = &leaf.capabilities;

    // KP-LEAF-SOURCE (§7.3): a key package's leaf has source key_package.
    if !matches!(leaf.leaf_node_source, LeafNodeSource::KeyPackage(_)) {
        return Err(ValidationError::LeafNodeSource(
            leaf.leaf_node_source.value(),
        ));
    }

    // KP-DUP-EXT (§13.4): no type twice in one list.
    for (list, location) in [
        (&kp.extensions, ExtensionLocation::KeyPackage),
        (&leaf.extensions, ExtensionLocation::LeafNode),
    ] {
        if let Some(extension_type) = first_duplicate(list) {
            return Err(ValidationError::DuplicateExtension {
                extension_type,
                location,
            });
        }
        // KP-EXT-PLACEMENT (§17.3).
        if let Some(e) = list
            .iter()
            .find(|e| !placement_allowed(e.extension_type, location))
        {
            return Err(ValidationError::MisplacedExtension {
                extension_type: e.extension_type,
                location,
            });
        }
    }

    // KP-NO-DEFAULTS (§7.2): "MUST NOT list" the default types.
    if ctx.refuse_listed_defaults {
        if let Some(t) = caps.extensions.iter().find(|t| t.is_default()) {
            return Err(ValidationError::ListedDefaultExtension(*t));
        }
        if let Some(t) = caps.proposals.iter().find(|t| t.is_default()) {
            return Err(ValidationError::ListedDefaultProposal(*t));
        }
    }

    // KP-CRED-CAP (§7.2): the credential's type is among the supported ones.
    let credential_type = leaf.credential.credential_type();
    if !caps.credentials.as_slice().contains(&credential_type) {
        return Err(ValidationError::UnlistedCredentialType(credential_type));
    }

    let listed = Members::of(caps.extensions.as_slice());

    // KP-LEAF-EXT (§7.2, §7.3): every non-default leaf extension, known or
    // unknown (GREASE too), is listed.
    if let Some(e) = leaf
        .extensions
        .iter()
        .find(|e| !e.extension_type.is_default() && !listed.contains(&e.extension_type))
    {
        return Err(ValidationError::UnlistedLeafExtension(e.extension_type));
    }

    // KP-EXT (§10, §13.4): recognised key package extensions are listed;
    // unknown ones (GREASE among them) are ignored.
    let recognised = |t: ExtensionType| {
        RECOGNISED_KP_EXTENSIONS.contains(&t) || ctx.recognised_extensions.contains(&t)
    };
    if let Some(e) = kp
        .extensions
        .iter()
        .find(|e| recognised(e.extension_type) && !listed.contains(&e.extension_type))
    {
        return Err(ValidationError::UnlistedExtension(e.extension_type));
    }

    // KP-REQUIRED-CAPS (§7.3, §11.1): supported means listed, or a default type.
    if let Some(required) = &ctx.required_capabilities {
        if let Some(t) = required
            .extension_types
            .iter()
            .find(|t| !t.is_default() && !listed.contains(t))
        {
            return Err(ValidationError::MissingRequiredExtension(*t));
        }
        let proposals = Members::of(caps.proposals.as_slice());
        if let Some(t) = required
            .proposal_types
            .iter()
            .find(|t| !t.is_default() && !proposals.contains(t))
        {
            return Err(ValidationError::MissingRequiredProposal(*t));
        }
        let credentials = Members::of(caps.credentials.as_slice());
        if let Some(t) = required
            .credential_types
            .iter()
            .find(|t| !credentials.contains(t))
        {
            return Err(ValidationError::MissingRequiredCredential(*t));
        }
    }
    Ok(())
}

/// KP-LIFETIME and KP-MAX-LIFETIME (§7.2, §7.3), with saturating arithmetic.
fn check_lifetime(kp: &KeyPackageIn, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
    let Some(lifetime) = kp.leaf_node.leaf_node_source.lifetime() else {
        return Err(ValidationError::LeafNodeSource(
            kp.leaf_node.leaf_node_source.value(),
        ));
    };
    let (not_before, not_after, now) = (lifetime.not_before, lifetime.not_after, ctx.now);
    let inverted = not_after < not_before;
    let not_yet = not_before > now.saturating_add(ctx.clock_skew);
    let expired = now > not_after;
    if inverted || not_yet || expired {
        return Err(ValidationError::Lifetime {
            not_before,
            not_after,
            now,
        });
    }
    if let Some(max) = ctx.max_lifetime {
        let duration = not_after - not_before;
        if duration > max {
            return Err(ValidationError::LifetimeTooLong { duration, max });
        }
    }
    Ok(())
}

fn internal(e: impl fmt::Display) -> ValidationError {
    ValidationError::Internal(e.to_string())
}

/// A key package's one encoding and what its two signatures cover.
pub(crate) struct SignedContent {
    /// The full encoding, for the reference.
    pub(crate) encoded: Vec<u8>,
    /// `SignContent("LeafNodeTBS", LeafNodeTBS)`.
    leaf: Vec<u8>,
    /// `SignContent("KeyPackageTBS", KeyPackageTBS)`, `None` when the TBS is
    /// too long to be signed.
    key_package: Option<Vec<u8>>,
}

impl SignedContent {
    /// Appends the [`CipherSuiteProvider::verify_each`] items of `kp`'s
    /// signatures under `key`: the leaf's, then the key package's.
    pub(crate) fn push_items<'a, K>(
        &'a self,
        kp: &'a KeyPackageIn,
        key: &'a K,
        items: &mut Vec<(&'a K, &'a [u8], &'a [u8])>,
    ) {
        items.push((key, &self.leaf, kp.leaf_node.signature.as_slice()));
        if let Some(content) = &self.key_package {
            items.push((key, content, kp.signature.as_slice()));
        }
    }

    /// KP-LEAF-SIG (§7.3), then KP-SIG (§10.1), from the verdicts of the
    /// items [`SignedContent::push_items`] appended, in that order.
    pub(crate) fn judge(
        &self,
        verdicts: &[Result<(), CryptoError>],
    ) -> Result<(), ValidationError> {
        // VerifyWithLabel(signature_key, "LeafNodeTBS", LeafNodeTBS).
        if !matches!(verdicts.first(), Some(Ok(()))) {
            return Err(ValidationError::LeafSignature);
        }
        // VerifyWithLabel(signature_key, "KeyPackageTBS", KeyPackageTBS).
        if self.key_package.is_none() || !matches!(verdicts.get(1), Some(Ok(()))) {
            return Err(ValidationError::Signature);
        }
        Ok(())
    }
}

impl KeyPackageIn {
    /// Validates the key package under `ctx` with `crypto`, yielding the
    /// trusted [`KeyPackage`] and its reference. See the module docs for
    /// the order of the rules.
    pub fn validate<C: OpenMlsCrypto>(
        self,
        crypto: &C,
        ctx: &ValidationContext<'_>,
    ) -> Result<KeyPackage, ValidationError> {
        let suite = self.check_before_signatures(crypto, ctx)?;
        // KP-SIG-KEY: parsed once, used for both signatures.
        let key = suite
            .verifying_key(&self.leaf_node.signature_key)
            .map_err(ValidationError::SignatureKey)?;
        self.check_signatures_and_finish(&suite, &key, ctx)
    }

    /// The rest of [`KeyPackageIn::validate`] once the suite is known, every
    /// rule before the signatures holds and `key` is the parsed
    /// `leaf_node.signature_key`: both signatures, the credential, the
    /// reference. Batch validation runs the same three steps
    /// ([`KeyPackageIn::signed_content`], [`SignedContent::judge`],
    /// `finish`), with the signatures of many key packages in one
    /// [`CipherSuiteProvider::verify_each`] call.
    pub(crate) fn check_signatures_and_finish<S: CipherSuiteProvider>(
        self,
        suite: &S,
        key: &S::VerifyingKey,
        ctx: &ValidationContext<'_>,
    ) -> Result<KeyPackage, ValidationError> {
        let signed = self.signed_content()?;
        let mut items = Vec::with_capacity(2);
        signed.push_items(&self, key, &mut items);
        let verdicts = suite.verify_each(&items);
        signed.judge(&verdicts)?;
        self.finish(suite, ctx, &signed.encoded)
    }

    /// Encodes the key package once and builds from that encoding the
    /// `SignContent` of both signatures.
    pub(crate) fn signed_content(&self) -> Result<SignedContent, ValidationError> {
        let (encoded, spans) = self.encode_with_spans().map_err(internal)?;
        let leaf_tbs = encoded
            .get(spans.leaf_start..spans.leaf_tbs_end)
            .ok_or_else(|| internal("span"))?;
        let tbs = encoded
            .get(..spans.tbs_end)
            .ok_or_else(|| internal("span"))?;
        // A TBS too long for a SignContent cannot be signed: its signature
        // does not verify (KP-LEAF-SIG, or KP-SIG after the leaf verdict).
        let leaf = labeled::sign_content(LEAF_NODE_TBS_LABEL, leaf_tbs)
            .map_err(|_| ValidationError::LeafSignature)?;
        let key_package = labeled::sign_content(KEY_PACKAGE_TBS_LABEL, tbs).ok();
        Ok(SignedContent {
            encoded,
            leaf,
            key_package,
        })
    }

    /// Validates an `MLSMessage` carrying a key package: decoding (KP-DECODE),
    /// the message version (KP-VER: mls10, and equal to the key package's),
    /// then [`KeyPackageIn::validate`].
    pub fn validate_message<C: OpenMlsCrypto>(
        bytes: &[u8],
        crypto: &C,
        ctx: &ValidationContext<'_>,
    ) -> Result<KeyPackage, ValidationError> {
        let (version, kp) = MlsMessageIn::decode_key_package(bytes)?;
        // KP-VER (§6, §10): the message's version is the expected one and
        // the key package's version equals it.
        if version != ctx.expected_version {
            return Err(ValidationError::Version {
                found: version,
                expected: ctx.expected_version,
            });
        }
        if kp.version != version {
            return Err(ValidationError::Version {
                found: kp.version,
                expected: version,
            });
        }
        kp.validate(crypto, ctx)
    }

    /// Every rule before the signatures; returns the suite provider.
    pub(crate) fn check_before_signatures<C: OpenMlsCrypto>(
        &self,
        crypto: &C,
        ctx: &ValidationContext<'_>,
    ) -> Result<C::Suite, ValidationError> {
        // KP-VER (§10): a supported version, the one expected.
        if self.version != ctx.expected_version {
            return Err(ValidationError::Version {
                found: self.version,
                expected: ctx.expected_version,
            });
        }
        // KP-SUITE: decided before any signature work.
        let suite = match crypto.suite(self.cipher_suite) {
            Ok(suite) => suite,
            Err(CryptoError::UnsupportedCiphersuite(cs)) => {
                return Err(ValidationError::UnsupportedCiphersuite(cs));
            }
            Err(e) => return Err(internal(e)),
        };
        // KP-GROUP-SUITE (§10.1).
        if let Some(group) = ctx.group
            && (self.cipher_suite, self.version) != (group.cipher_suite, group.version)
        {
            return Err(ValidationError::GroupMismatch {
                found: (self.cipher_suite, self.version),
                expected: (group.cipher_suite, group.version),
            });
        }
        check_structure(self, ctx)?;
        check_lifetime(self, ctx)?;
        // KP-DISTINCT (§10.1).
        if self.init_key == self.leaf_node.encryption_key {
            return Err(ValidationError::InitKeyEqualsEncryptionKey);
        }
        // KP-INIT-KEY, KP-ENC-KEY (§10): valid HPKE public keys for the suite.
        suite
            .validate_hpke_public_key(&self.init_key)
            .map_err(ValidationError::InitKey)?;
        suite
            .validate_hpke_public_key(&self.leaf_node.encryption_key)
            .map_err(ValidationError::EncryptionKey)?;
        Ok(suite)
    }

    /// After the signatures: the credential validator (KP-CREDENTIAL), then
    /// the reference.
    pub(crate) fn finish<S: CipherSuiteProvider>(
        self,
        suite: &S,
        ctx: &ValidationContext<'_>,
        encoded: &[u8],
    ) -> Result<KeyPackage, ValidationError> {
        // KP-CREDENTIAL (§5.3.1): the application vouches for the identity.
        ctx.credential_validator
            .validate(&self.leaf_node.credential, &self.leaf_node.signature_key)
            .map_err(|e| ValidationError::Credential(e.0))?;
        let reference = labeled::key_package_ref(suite, encoded).map_err(internal)?;
        Ok(KeyPackage::new_trusted(self, reference))
    }
}
