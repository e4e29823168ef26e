//! `MLSMessage` (RFC 9420 §6) for the two wire formats a key-package library
//! meets: `mls_key_package` (a published key package) and `mls_welcome` (the
//! message that consumes it), plus `Welcome` and `GroupSecrets` (§12.4.3.1).

use keypackage_traits::codec::{VarBytes, VarVec};
use keypackage_traits::{CipherSuite, HpkeCiphertext, KeyPackageRef, ProtocolVersion};
use tls_codec::{
    DeserializeBytes, Error, Serialize, Size, TlsDeserializeBytes, TlsSerialize, TlsSize,
};

use crate::error::{DecodeError, EncodeError, decode_exact};
use crate::key_package::{KeyPackage, KeyPackageIn};

/// `WireFormat` (RFC 9420 §17.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct WireFormat(pub u16);

impl WireFormat {
    /// `mls_public_message`.
    pub const PUBLIC_MESSAGE: Self = Self(1);
    /// `mls_private_message`.
    pub const PRIVATE_MESSAGE: Self = Self(2);
    /// `mls_welcome`.
    pub const WELCOME: Self = Self(3);
    /// `mls_group_info`.
    pub const GROUP_INFO: Self = Self(4);
    /// `mls_key_package`.
    pub const KEY_PACKAGE: Self = Self(5);
}

/// ```text
/// struct {
///     KeyPackageRef new_member;
///     HPKECiphertext encrypted_group_secrets;
/// } EncryptedGroupSecrets;
/// ```
#[derive(Clone, PartialEq, Eq, Debug, TlsSize, TlsSerialize, TlsDeserializeBytes)]
pub struct EncryptedGroupSecrets {
    /// The reference of the key package this entry is for.
    pub new_member: KeyPackageRef,
    /// `EncryptWithLabel(init_key, "Welcome", encrypted_group_info, group_secrets)`.
    pub encrypted_group_secrets: HpkeCiphertext,
}

/// ```text
/// struct {
///     CipherSuite cipher_suite;
///     EncryptedGroupSecrets secrets<V>;
///     opaque encrypted_group_info<V>;
/// } Welcome;
/// ```
#[derive(Clone, PartialEq, Eq, Debug, TlsSize, TlsSerialize, TlsDeserializeBytes)]
pub struct Welcome {
    /// The group's cipher suite.
    pub cipher_suite: CipherSuite,
    /// One entry per new member.
    pub secrets: VarVec<EncryptedGroupSecrets>,
    /// The encrypted GroupInfo.
    pub encrypted_group_info: VarBytes,
}

impl Welcome {
    /// The entry addressed to `reference`.
    pub fn secrets_for(&self, reference: &KeyPackageRef) -> Option<&EncryptedGroupSecrets> {
        self.secrets.iter().find(|s| &s.new_member == reference)
    }
}

/// ```text
/// struct {
///     PSKType psktype;
///     select (PreSharedKeyID.psktype) {
///         case external:   opaque psk_id<V>;
///         case resumption: ResumptionPSKUsage usage;
///                          opaque psk_group_id<V>;
///                          uint64 psk_epoch;
///     };
///     opaque psk_nonce<V>;
/// } PreSharedKeyID;
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PreSharedKeyId {
    /// `external(1)`.
    External {
        /// `psk_id`.
        psk_id: VarBytes,
        /// `psk_nonce`.
        psk_nonce: VarBytes,
    },
    /// `resumption(2)`.
    Resumption {
        /// `usage`: `application(1)`, `reinit(2)` or `branch(3)` (§8.4);
        /// decoding refuses any other value.
        usage: u8,
        /// `psk_group_id`.
        psk_group_id: VarBytes,
        /// `psk_epoch`.
        psk_epoch: u64,
        /// `psk_nonce`.
        psk_nonce: VarBytes,
    },
}

impl Size for PreSharedKeyId {
    fn tls_serialized_len(&self) -> usize {
        1 + match self {
            Self::External { psk_id, psk_nonce } => {
                psk_id.tls_serialized_len() + psk_nonce.tls_serialized_len()
            }
            Self::Resumption {
                psk_group_id,
                psk_nonce,
                ..
            } => 1 + psk_group_id.tls_serialized_len() + 8 + psk_nonce.tls_serialized_len(),
        }
    }
}

impl Serialize for PreSharedKeyId {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        match self {
            Self::External { psk_id, psk_nonce } => Ok(1u8.tls_serialize(writer)?
                + psk_id.tls_serialize(writer)?
                + psk_nonce.tls_serialize(writer)?),
            Self::Resumption {
                usage,
                psk_group_id,
                psk_epoch,
                psk_nonce,
            } => Ok(2u8.tls_serialize(writer)?
                + usage.tls_serialize(writer)?
                + psk_group_id.tls_serialize(writer)?
                + psk_epoch.tls_serialize(writer)?
                + psk_nonce.tls_serialize(writer)?),
        }
    }
}

impl DeserializeBytes for PreSharedKeyId {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (psktype, rest) = u8::tls_deserialize_bytes(bytes)?;
        match psktype {
            1 => {
                let (psk_id, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                let (psk_nonce, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((Self::External { psk_id, psk_nonce }, rest))
            }
            2 => {
                let (usage, rest) = u8::tls_deserialize_bytes(rest)?;
                // ResumptionPSKUsage (§8.4): application(1), reinit(2),
                // branch(3); reserved(0) and anything above are not values.
                if !(1..=3).contains(&usage) {
                    return Err(Error::UnknownValue(u64::from(usage)));
                }
                let (psk_group_id, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                let (psk_epoch, rest) = u64::tls_deserialize_bytes(rest)?;
                let (psk_nonce, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((
                    Self::Resumption {
                        usage,
                        psk_group_id,
                        psk_epoch,
                        psk_nonce,
                    },
                    rest,
                ))
            }
            other => Err(Error::UnknownValue(u64::from(other))),
        }
    }
}

/// ```text
/// struct {
///   opaque joiner_secret<V>;
///   optional<PathSecret> path_secret;
///   PreSharedKeyID psks<V>;
/// } GroupSecrets;
/// ```
///
/// Holds secrets: `Debug` is redacted, equality is constant-time in the
/// secrets, and the secrets are zeroized on drop, including when decoding
/// fails half-way.
#[derive(Clone)]
pub struct GroupSecrets {
    /// The joiner secret.
    pub joiner_secret: VarBytes,
    /// The path secret, when the committer's path covers the new member.
    pub path_secret: Option<VarBytes>,
    /// The PSKs of the epoch.
    pub psks: VarVec<PreSharedKeyId>,
}

impl std::fmt::Debug for GroupSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupSecrets")
            .field("joiner_secret", &"<redacted>")
            .field(
                "path_secret",
                &self.path_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("psks", &self.psks.len())
            .finish()
    }
}

impl Drop for GroupSecrets {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.joiner_secret.0.zeroize();
        if let Some(p) = self.path_secret.as_mut() {
            p.0.zeroize();
        }
    }
}

impl PartialEq for GroupSecrets {
    /// Constant time in the contents of the two secrets (their lengths, and
    /// whether a path secret is present, are not secret).
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        let joiner = self
            .joiner_secret
            .as_slice()
            .ct_eq(other.joiner_secret.as_slice());
        let path = match (&self.path_secret, &other.path_secret) {
            (None, None) => subtle::Choice::from(1),
            (Some(a), Some(b)) => a.as_slice().ct_eq(b.as_slice()),
            _ => subtle::Choice::from(0),
        };
        bool::from(joiner & path) && self.psks == other.psks
    }
}

impl Eq for GroupSecrets {}

impl GroupSecrets {
    /// Decodes exactly one `GroupSecrets`. Every secret decoded so far is
    /// held by the value under construction, whose `Drop` zeroizes it, so an
    /// error after the joiner secret leaves no copy behind.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (joiner_secret, rest) = VarBytes::tls_deserialize_bytes(bytes)?;
        let mut secrets = Self {
            joiner_secret,
            path_secret: None,
            psks: VarVec::default(),
        };
        let (present, rest) = u8::tls_deserialize_bytes(rest)?;
        let rest = match present {
            0 => rest,
            1 => {
                let (p, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                secrets.path_secret = Some(p);
                rest
            }
            other => {
                return Err(DecodeError::UnknownValue {
                    value: u64::from(other),
                });
            }
        };
        secrets.psks = decode_exact(rest)?;
        Ok(secrets)
    }
}

/// A decoded `MLSMessage` of one of the two wire formats handled here.
///
/// ```text
/// struct {
///     ProtocolVersion version = mls10;
///     WireFormat wire_format;
///     select (MLSMessage.wire_format) {
///         case mls_welcome:     Welcome welcome;
///         case mls_key_package: KeyPackage key_package;
///         ...
///     };
/// } MLSMessage;
/// ```
///
/// The message version is kept as sent: validation checks it (KP-VER).
#[derive(Clone, PartialEq, Eq, Debug)]
// Both variants are a few hundred bytes; the value is decoded once and moved
// out at once, so boxing would only add an allocation to every validation.
#[allow(clippy::large_enum_variant)]
pub enum MlsMessageIn {
    /// `mls_key_package`.
    KeyPackage {
        /// `MLSMessage.version`.
        version: ProtocolVersion,
        /// The key package, untrusted.
        key_package: KeyPackageIn,
    },
    /// `mls_welcome`.
    Welcome {
        /// `MLSMessage.version`.
        version: ProtocolVersion,
        /// The Welcome.
        welcome: Welcome,
    },
}

impl MlsMessageIn {
    /// Decodes exactly one MLSMessage of wire format `mls_key_package` or
    /// `mls_welcome`; any other wire format is
    /// [`DecodeError::UnexpectedWireFormat`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (version, rest) = ProtocolVersion::tls_deserialize_bytes(bytes)?;
        let (wire_format, rest) = u16::tls_deserialize_bytes(rest)?;
        match WireFormat(wire_format) {
            WireFormat::KEY_PACKAGE => Ok(Self::KeyPackage {
                version,
                key_package: decode_exact(rest)?,
            }),
            WireFormat::WELCOME => Ok(Self::Welcome {
                version,
                welcome: decode_exact(rest)?,
            }),
            WireFormat(other) => Err(DecodeError::UnexpectedWireFormat { wire_format: other }),
        }
    }

    /// Decodes an MLSMessage that must carry a key package; returns the
    /// message version and the key package.
    pub fn decode_key_package(
        bytes: &[u8],
    ) -> Result<(ProtocolVersion, KeyPackageIn), DecodeError> {
        match Self::decode(bytes)? {
            Self::KeyPackage {
                version,
                key_package,
            } => Ok((version, key_package)),
            Self::Welcome { .. } => Err(DecodeError::UnexpectedWireFormat {
                wire_format: WireFormat::WELCOME.0,
            }),
        }
    }
}

/// Wraps a key package in an `MLSMessage` (version mls10, wire format
/// `mls_key_package`), as delivery services and OpenMLS exchange them.
pub fn encode_key_package_message(key_package: &KeyPackage) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(4 + key_package.tls_serialized_len());
    ProtocolVersion::MLS10.tls_serialize(&mut out)?;
    WireFormat::KEY_PACKAGE.0.tls_serialize(&mut out)?;
    key_package.tls_serialize(&mut out)?;
    Ok(out)
}
