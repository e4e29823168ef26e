//! `Capabilities` (RFC 9420 §7.2).

use keypackage_traits::codec::VarVec;
use keypackage_traits::{
    CipherSuite, CredentialType, ExtensionType, ProposalType, ProtocolVersion,
};
use tls_codec::{TlsDeserializeBytes, TlsSerialize, TlsSize};

/// ```text
/// struct {
///     ProtocolVersion versions<V>;
///     CipherSuite cipher_suites<V>;
///     ExtensionType extensions<V>;
///     ProposalType proposals<V>;
///     CredentialType credentials<V>;
/// } Capabilities;
/// ```
///
/// Values are kept as sent, unknown and GREASE ones included (RFC 9420 §13.5).
#[derive(
    Clone, PartialEq, Eq, Hash, Debug, Default, TlsSize, TlsSerialize, TlsDeserializeBytes,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Capabilities {
    /// Supported protocol versions.
    pub versions: VarVec<ProtocolVersion>,
    /// Supported cipher suites.
    pub cipher_suites: VarVec<CipherSuite>,
    /// Supported non-default extension types.
    pub extensions: VarVec<ExtensionType>,
    /// Supported non-default proposal types.
    pub proposals: VarVec<ProposalType>,
    /// Supported credential types.
    pub credentials: VarVec<CredentialType>,
}
