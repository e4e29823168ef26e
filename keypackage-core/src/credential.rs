//! `Credential` (RFC 9420 §5.3).

use std::fmt;

use keypackage_traits::CredentialType;
use keypackage_traits::codec::{VarBytes, VarVec};
use tls_codec::{
    DeserializeBytes, Error, Serialize, Size, TlsDeserializeBytes, TlsSerialize, TlsSize,
};

/// ```text
/// struct {
///     opaque cert_data<V>;
/// } Certificate;
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug, TlsSize, TlsSerialize, TlsDeserializeBytes)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Certificate {
    /// One DER certificate.
    pub cert_data: VarBytes,
}

/// ```text
/// struct {
///     CredentialType credential_type;
///     select (Credential.credential_type) {
///         case basic:
///             opaque identity<V>;
///         case x509:
///             Certificate certificates<V>;
///     };
/// } Credential;
/// ```
///
/// A credential of a type this crate does not know keeps its body as one
/// `opaque<V>`, the convention of the MLS implementations; it re-encodes
/// byte for byte, and the application's credential validator decides.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Credential {
    /// `basic`: an application-defined identity.
    Basic {
        /// The identity bytes.
        identity: VarBytes,
    },
    /// `x509`: a certificate chain, leaf first.
    X509 {
        /// The chain.
        certificates: VarVec<Certificate>,
    },
    /// Any other type, body kept as opaque bytes.
    Other {
        /// The type.
        credential_type: CredentialType,
        /// The body.
        data: VarBytes,
    },
}

impl Credential {
    /// A basic credential.
    pub fn basic(identity: impl Into<Vec<u8>>) -> Self {
        Self::Basic {
            identity: VarBytes(identity.into()),
        }
    }

    /// The credential type.
    pub fn credential_type(&self) -> CredentialType {
        match self {
            Self::Basic { .. } => CredentialType::BASIC,
            Self::X509 { .. } => CredentialType::X509,
            Self::Other {
                credential_type, ..
            } => *credential_type,
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { identity } => match std::str::from_utf8(identity.as_slice()) {
                Ok(text) => f.debug_struct("Basic").field("identity", &text).finish(),
                Err(_) => f.debug_struct("Basic").field("identity", identity).finish(),
            },
            Self::X509 { certificates } => f
                .debug_struct("X509")
                .field("certificates", &certificates.len())
                .finish(),
            Self::Other {
                credential_type,
                data,
            } => f
                .debug_struct("Other")
                .field("credential_type", credential_type)
                .field("data", data)
                .finish(),
        }
    }
}

impl Size for Credential {
    fn tls_serialized_len(&self) -> usize {
        2 + match self {
            Self::Basic { identity } => identity.tls_serialized_len(),
            Self::X509 { certificates } => certificates.tls_serialized_len(),
            Self::Other { data, .. } => data.tls_serialized_len(),
        }
    }
}

impl Serialize for Credential {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        let n = self.credential_type().tls_serialize(writer)?;
        Ok(n + match self {
            Self::Basic { identity } => identity.tls_serialize(writer)?,
            Self::X509 { certificates } => certificates.tls_serialize(writer)?,
            Self::Other { data, .. } => data.tls_serialize(writer)?,
        })
    }
}

impl DeserializeBytes for Credential {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (credential_type, rest) = CredentialType::tls_deserialize_bytes(bytes)?;
        match credential_type {
            CredentialType::BASIC => {
                let (identity, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((Self::Basic { identity }, rest))
            }
            CredentialType::X509 => {
                let (certificates, rest) = VarVec::tls_deserialize_bytes(rest)?;
                Ok((Self::X509 { certificates }, rest))
            }
            other => {
                let (data, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((
                    Self::Other {
                        credential_type: other,
                        data,
                    },
                    rest,
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keypackage_traits::codec::VarVec;

    /// `Debug` is what logs and `{:?}` in error reports show: a readable
    /// identity, a certificate count rather than kilobytes of DER.
    #[test]
    fn debug_shows_a_readable_identity_and_counts_certificates() {
        assert_eq!(
            format!("{:?}", Credential::basic("alice@example.org")),
            r#"Basic { identity: "alice@example.org" }"#
        );
        assert_eq!(
            format!("{:?}", Credential::basic(vec![0xff, 0x00])),
            "Basic { identity: ff00 }"
        );
        let der = Certificate {
            cert_data: VarBytes(vec![0x30; 700]),
        };
        assert_eq!(
            format!(
                "{:?}",
                Credential::X509 {
                    certificates: VarVec(vec![der.clone(), der])
                }
            ),
            "X509 { certificates: 2 }"
        );
        assert_eq!(
            format!(
                "{:?}",
                Credential::Other {
                    credential_type: CredentialType(0xF00D),
                    data: VarBytes(vec![1, 2]),
                }
            ),
            "Other { credential_type: CredentialType(0xf00d), data: 0102 }"
        );
    }
}
