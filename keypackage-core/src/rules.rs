//! The validation rule IDs (docs/DESIGN.md §4), each with its RFC 9420 section.

use std::fmt;

/// A validation rule of the table in docs/DESIGN.md §4 and the README.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// One complete, canonical encoding (§2.1.2).
    Decode,
    /// Supported, expected protocol version; equals the MLSMessage's (§10).
    Version,
    /// Cipher suite supported by the crypto provider (a precondition, not an
    /// RFC rule).
    Suite,
    /// Suite and version match the group's (§10.1).
    GroupSuite,
    /// `init_key` is a valid HPKE public key (§10).
    InitKey,
    /// `leaf_node.encryption_key` is a valid HPKE public key.
    EncryptionKey,
    /// `leaf_node.signature_key` is valid for the suite's scheme.
    SignatureKey,
    /// `leaf_node_source` is `key_package` (§7.3).
    LeafSource,
    /// The LeafNode signature verifies (§7.3).
    LeafSignature,
    /// The KeyPackage signature verifies (§10.1).
    Signature,
    /// `init_key != leaf_node.encryption_key` (§10.1).
    Distinct,
    /// The lifetime covers `now` (§7.3).
    Lifetime,
    /// The lifetime is at most the configured maximum (§7.2).
    MaxLifetime,
    /// Non-default leaf extensions are listed in capabilities (§7.2, §7.3).
    LeafExtensions,
    /// Recognised key package extensions are listed in capabilities (§10, §13.4).
    Extensions,
    /// The credential type is listed in capabilities (§7.2).
    CredentialCapability,
    /// The key package's own version and suite are listed in capabilities
    /// (§7.2).
    OwnCapabilities,
    /// Capabilities list no default types (§7.2).
    NoDefaults,
    /// Known extension types appear only where the registry allows (§17.3).
    ExtensionPlacement,
    /// No extension type appears twice in one list (§13.4).
    DuplicateExtension,
    /// The body of every recognised extension decodes exactly as its type
    /// (§13.4, §5.3.3, the extensions draft).
    ExtensionBody,
    /// The leaf supports the group's required capabilities (§7.3, §11.1).
    RequiredCapabilities,
    /// The credential is structurally possible (§5.3, §13.5) and the
    /// application's credential validator accepts it (§5.3.1).
    Credential,
}

impl Rule {
    /// Every rule, in the order of the table.
    pub const ALL: [Rule; 23] = [
        Rule::Decode,
        Rule::Version,
        Rule::Suite,
        Rule::GroupSuite,
        Rule::InitKey,
        Rule::EncryptionKey,
        Rule::SignatureKey,
        Rule::LeafSource,
        Rule::LeafSignature,
        Rule::Signature,
        Rule::Distinct,
        Rule::Lifetime,
        Rule::MaxLifetime,
        Rule::LeafExtensions,
        Rule::Extensions,
        Rule::CredentialCapability,
        Rule::OwnCapabilities,
        Rule::NoDefaults,
        Rule::ExtensionPlacement,
        Rule::DuplicateExtension,
        Rule::ExtensionBody,
        Rule::RequiredCapabilities,
        Rule::Credential,
    ];

    /// The rule ID, e.g. `"KP-SIG"`.
    pub const fn id(self) -> &'static str {
        match self {
            Rule::Decode => "KP-DECODE",
            Rule::Version => "KP-VER",
            Rule::Suite => "KP-SUITE",
            Rule::GroupSuite => "KP-GROUP-SUITE",
            Rule::InitKey => "KP-INIT-KEY",
            Rule::EncryptionKey => "KP-ENC-KEY",
            Rule::SignatureKey => "KP-SIG-KEY",
            Rule::LeafSource => "KP-LEAF-SOURCE",
            Rule::LeafSignature => "KP-LEAF-SIG",
            Rule::Signature => "KP-SIG",
            Rule::Distinct => "KP-DISTINCT",
            Rule::Lifetime => "KP-LIFETIME",
            Rule::MaxLifetime => "KP-MAX-LIFETIME",
            Rule::LeafExtensions => "KP-LEAF-EXT",
            Rule::Extensions => "KP-EXT",
            Rule::CredentialCapability => "KP-CRED-CAP",
            Rule::OwnCapabilities => "KP-OWN-CAPS",
            Rule::NoDefaults => "KP-NO-DEFAULTS",
            Rule::ExtensionPlacement => "KP-EXT-PLACEMENT",
            Rule::DuplicateExtension => "KP-DUP-EXT",
            Rule::ExtensionBody => "KP-EXT-BODY",
            Rule::RequiredCapabilities => "KP-REQUIRED-CAPS",
            Rule::Credential => "KP-CREDENTIAL",
        }
    }

    /// The RFC 9420 section the rule comes from; `None` for KP-SUITE, which
    /// is a precondition of this implementation (the provider must have the
    /// suite's algorithms), not a rule of the RFC.
    pub const fn rfc_section(self) -> Option<&'static str> {
        Some(match self {
            Rule::Suite => return None,
            Rule::Decode => "§2.1.2, §5.2",
            Rule::Version => "§6, §10",
            Rule::InitKey => "§10, §5.1.1",
            Rule::EncryptionKey => "§7.2, §5.1.1",
            Rule::SignatureKey => "§5.1.1",
            Rule::GroupSuite | Rule::Signature | Rule::Distinct => "§10.1",
            Rule::LeafSource | Rule::LeafSignature | Rule::Lifetime => "§7.3",
            Rule::MaxLifetime | Rule::CredentialCapability | Rule::OwnCapabilities => "§7.2",
            Rule::NoDefaults => "§7.2, §17.3, §17.4",
            Rule::LeafExtensions => "§7.2, §7.3",
            Rule::Extensions => "§10, §13.4",
            Rule::ExtensionPlacement => "§17.3",
            Rule::DuplicateExtension => "§13.4",
            Rule::ExtensionBody => "§13.4, §5.3.3",
            Rule::RequiredCapabilities => "§7.3, §11.1",
            Rule::Credential => "§5.3, §5.3.1, §13.5",
        })
    }

    /// Looks a rule up by its ID.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
