//! What validation depends on besides the key package: the clock, the
//! policy switches, the group, and the application's judgement of
//! credentials and of the extensions it registers.

use std::fmt;

use keypackage_traits::{
    CipherSuite, CredentialType, ExtensionType, ProposalType, ProtocolVersion, SignaturePublicKey,
    SignatureScheme,
};

use crate::credential::Credential;
use crate::lifetime::{DEFAULT_CLOCK_SKEW, DEFAULT_MAX_LIFETIME};
use keypackage_traits::ExtensionLocation;

/// What a [`CredentialValidator`] is shown: the credential, the key it must
/// bind, and enough of the context to judge it (RFC 9420 §5.3.1, §5.1.2).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct CredentialInput<'a> {
    /// The leaf's credential.
    pub credential: &'a Credential,
    /// The leaf's `signature_key`, which the credential must bind (§5.3.1).
    pub signature_key: &'a SignaturePublicKey,
    /// The key package's cipher suite.
    pub cipher_suite: CipherSuite,
    /// The suite's signature scheme: the credential's key must be of this
    /// algorithm (§5.1.2).
    pub signature_scheme: SignatureScheme,
    /// The validation time ([`ValidationContext::now`]): a certificate's
    /// validity is judged at this instant, never at the system clock's.
    pub now: u64,
}

/// The application's judgement of a credential (RFC 9420 §5.3.1: "the
/// application MUST verify the credential"). It runs last, on a key package
/// whose signatures verified and which passed every other rule. Accepting
/// any credential is an explicit choice: [`AcceptAnyCredential`].
pub trait CredentialValidator: Send + Sync {
    /// Accepts or refuses the credential of `input`.
    fn validate(&self, input: &CredentialInput<'_>) -> Result<(), CredentialRejected>;
}

/// The kind of a credential refusal: the reasons an authentication service
/// commonly gives, so that tools can print and count them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum CredentialRejection {
    /// The credential is not structurally possible: reserved or GREASE type,
    /// an empty certificate chain or certificate, undecodable contents.
    Malformed,
    /// A credential type or algorithm the validator does not handle.
    Unsupported,
    /// Expired at the validation time.
    Expired,
    /// Not yet valid at the validation time.
    NotYetValid,
    /// No path to a trust anchor (unknown issuer, missing intermediate).
    UnknownIssuer,
    /// A signature in the credential does not verify.
    BadSignature,
    /// The credential's key is not the leaf's `signature_key` (§5.3.1).
    KeyMismatch,
    /// The credential's key algorithm is not the suite's signature scheme
    /// (§5.1.2).
    AlgorithmMismatch,
    /// A certificate authority's certificate used as the end entity.
    CaAsEndEntity,
    /// The key usage does not allow signing.
    KeyUsage,
    /// A required extended key usage is missing.
    ExtendedKeyUsage,
    /// Revoked.
    Revoked,
    /// A path length constraint is exceeded.
    PathLength,
    /// A name constraint is violated.
    NameConstraints,
    /// The identity asserted is not acceptable (e.g. not the uploader's).
    Identity,
    /// Any other reason.
    Other,
}

impl CredentialRejection {
    /// Every kind, in declaration order (the order the CLI README lists
    /// their names in).
    pub const ALL: [CredentialRejection; 16] = [
        Self::Malformed,
        Self::Unsupported,
        Self::Expired,
        Self::NotYetValid,
        Self::UnknownIssuer,
        Self::BadSignature,
        Self::KeyMismatch,
        Self::AlgorithmMismatch,
        Self::CaAsEndEntity,
        Self::KeyUsage,
        Self::ExtendedKeyUsage,
        Self::Revoked,
        Self::PathLength,
        Self::NameConstraints,
        Self::Identity,
        Self::Other,
    ];

    /// A short, stable name for tools (`"expired"`, `"unknown-issuer"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Unsupported => "unsupported",
            Self::Expired => "expired",
            Self::NotYetValid => "not-yet-valid",
            Self::UnknownIssuer => "unknown-issuer",
            Self::BadSignature => "bad-signature",
            Self::KeyMismatch => "key-mismatch",
            Self::AlgorithmMismatch => "algorithm-mismatch",
            Self::CaAsEndEntity => "ca-as-end-entity",
            Self::KeyUsage => "key-usage",
            Self::ExtendedKeyUsage => "extended-key-usage",
            Self::Revoked => "revoked",
            Self::PathLength => "path-length",
            Self::NameConstraints => "name-constraints",
            Self::Identity => "identity",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for CredentialRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a credential was refused: a kind and a human-readable detail.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct CredentialRejected {
    /// What kind of refusal.
    pub kind: CredentialRejection,
    /// The detail, for people.
    pub detail: String,
}

impl CredentialRejected {
    /// A refusal of `kind` with `detail`.
    pub fn new(kind: CredentialRejection, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// A refusal of kind [`CredentialRejection::Other`].
    pub fn other(detail: impl Into<String>) -> Self {
        Self::new(CredentialRejection::Other, detail)
    }
}

/// Accepts every credential. Use it only where credentials are checked
/// elsewhere (e.g. a delivery service that authenticates uploads by
/// account). The structural part of KP-CREDENTIAL still applies.
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAnyCredential;

impl CredentialValidator for AcceptAnyCredential {
    fn validate(&self, _: &CredentialInput<'_>) -> Result<(), CredentialRejected> {
        Ok(())
    }
}

impl<F> CredentialValidator for F
where
    F: Fn(&CredentialInput<'_>) -> Result<(), CredentialRejected> + Send + Sync,
{
    fn validate(&self, input: &CredentialInput<'_>) -> Result<(), CredentialRejected> {
        self(input)
    }
}

/// The application's check of the body of an extension type it registers
/// (KP-EXT-BODY), for [`ValidationContext::recognise_extension_with`]. Like
/// the credential validator, it runs after both signatures verified.
pub trait ExtensionBodyValidator: Send + Sync {
    /// Accepts or refuses `body`, the `extension_data` of an extension of
    /// `extension_type` found in `location`; the error is the reason.
    fn validate(
        &self,
        extension_type: ExtensionType,
        location: ExtensionLocation,
        body: &[u8],
    ) -> Result<(), String>;
}

impl<F> ExtensionBodyValidator for F
where
    F: Fn(ExtensionType, ExtensionLocation, &[u8]) -> Result<(), String> + Send + Sync,
{
    fn validate(
        &self,
        extension_type: ExtensionType,
        location: ExtensionLocation,
        body: &[u8],
    ) -> Result<(), String> {
        self(extension_type, location, body)
    }
}

/// An extension type the application recognises (KP-EXT), with the check
/// of its body, if any (KP-EXT-BODY).
#[derive(Clone, Copy)]
pub struct RecognisedExtension<'a> {
    /// The type.
    pub extension_type: ExtensionType,
    /// The body check.
    pub body: Option<&'a dyn ExtensionBodyValidator>,
}

impl fmt::Debug for RecognisedExtension<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecognisedExtension")
            .field("extension_type", &self.extension_type)
            .field("body_check", &self.body.is_some())
            .finish()
    }
}

/// The group a key package is validated for (RFC 9420 §10.1, §12.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GroupParameters {
    /// The group's cipher suite.
    pub cipher_suite: CipherSuite,
    /// The group's protocol version.
    pub version: ProtocolVersion,
}

/// The `required_capabilities` of a group (RFC 9420 §11.1), or any types the
/// caller needs the new member to support (docs/DESIGN.md §6).
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
    /// KP-OWN-CAPS: the key package's own version and cipher suite must be
    /// listed in its capabilities (on by default; docs/DESIGN.md §5.8).
    pub require_own_capabilities: bool,
    /// The protocol version expected (KP-VER).
    pub expected_version: ProtocolVersion,
    /// The group the key package is for, if any (KP-GROUP-SUITE).
    pub group: Option<GroupParameters>,
    /// The group's required capabilities, if any (KP-REQUIRED-CAPS).
    pub required_capabilities: Option<RequiredCapabilities>,
    /// Extension types the application recognises besides last resort and
    /// `app_data_dictionary` (KP-EXT), with their body checks (KP-EXT-BODY).
    pub recognised_extensions: Vec<RecognisedExtension<'a>>,
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
            .field("require_own_capabilities", &self.require_own_capabilities)
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
            require_own_capabilities: true,
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

    /// Turns KP-OWN-CAPS on or off.
    pub fn with_own_capabilities_required(mut self, on: bool) -> Self {
        self.require_own_capabilities = on;
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

    /// Registers an extension type the application recognises, with no body
    /// check: in `KeyPackage.extensions` it must then be listed (KP-EXT).
    pub fn recognise_extension(mut self, extension_type: ExtensionType) -> Self {
        self.recognised_extensions.push(RecognisedExtension {
            extension_type,
            body: None,
        });
        self
    }

    /// Registers an extension type the application recognises, with a check
    /// of its body wherever it appears (KP-EXT, KP-EXT-BODY).
    pub fn recognise_extension_with(
        mut self,
        extension_type: ExtensionType,
        body: &'a dyn ExtensionBodyValidator,
    ) -> Self {
        self.recognised_extensions.push(RecognisedExtension {
            extension_type,
            body: Some(body),
        });
        self
    }

    /// Whether the application registered `extension_type`.
    pub(crate) fn recognises(&self, extension_type: ExtensionType) -> bool {
        self.recognised_extensions
            .iter()
            .any(|r| r.extension_type == extension_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_policy_and_which_extensions_have_a_body_check() {
        let check = |_: ExtensionType, _: ExtensionLocation, _: &[u8]| Ok(());
        let ctx = ValidationContext::new(1_234, &AcceptAnyCredential)
            .with_max_lifetime(None)
            .recognise_extension(ExtensionType(0xFF01))
            .recognise_extension_with(ExtensionType(0xFF02), &check);
        let text = format!("{ctx:?}");
        for field in [
            "ValidationContext { now: 1234, clock_skew: ",
            "max_lifetime: None, refuse_listed_defaults: true, require_own_capabilities: true",
            "group: None, required_capabilities: None",
            "RecognisedExtension { extension_type: ",
            "body_check: false }",
            "body_check: true }",
        ] {
            assert!(text.contains(field), "{field:?} not in {text}");
        }
        // The credential validator is a trait object: left out, and said so.
        assert!(text.ends_with(", .. }"), "{text}");
    }
}
