//! `LeafNode` and `LeafNodeSource` (RFC 9420 §7.2).

use keypackage_traits::codec::VarBytes;
use keypackage_traits::{HpkePublicKey, SignaturePublicKey};
use tls_codec::{DeserializeBytes, Error, Serialize, Size};

use crate::capabilities::Capabilities;
use crate::credential::Credential;
use crate::error::EncodeError;
use crate::extensions::Extensions;
use crate::lifetime::Lifetime;

/// `LeafNodeSource` with the field that depends on it.
///
/// ```text
/// enum {
///     reserved(0),
///     key_package(1),
///     update(2),
///     commit(3),
///     (255)
/// } LeafNodeSource;
///
///     select (LeafNode.leaf_node_source) {
///         case key_package:
///             Lifetime lifetime;
///         case update:
///             struct{};
///         case commit:
///             opaque parent_hash<V>;
///     };
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum LeafNodeSource {
    /// `key_package(1)`: the leaf of a key package, with its lifetime.
    KeyPackage(Lifetime),
    /// `update(2)`.
    Update,
    /// `commit(3)`, with the parent hash.
    Commit(VarBytes),
}

impl LeafNodeSource {
    /// The wire value of the source.
    pub fn value(&self) -> u8 {
        match self {
            Self::KeyPackage(_) => 1,
            Self::Update => 2,
            Self::Commit(_) => 3,
        }
    }

    /// The lifetime, for a key-package leaf.
    pub fn lifetime(&self) -> Option<&Lifetime> {
        match self {
            Self::KeyPackage(lifetime) => Some(lifetime),
            _ => None,
        }
    }
}

impl Size for LeafNodeSource {
    fn tls_serialized_len(&self) -> usize {
        1 + match self {
            Self::KeyPackage(lifetime) => lifetime.tls_serialized_len(),
            Self::Update => 0,
            Self::Commit(parent_hash) => parent_hash.tls_serialized_len(),
        }
    }
}

impl Serialize for LeafNodeSource {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        let n = self.value().tls_serialize(writer)?;
        Ok(n + match self {
            Self::KeyPackage(lifetime) => lifetime.tls_serialize(writer)?,
            Self::Update => 0,
            Self::Commit(parent_hash) => parent_hash.tls_serialize(writer)?,
        })
    }
}

impl DeserializeBytes for LeafNodeSource {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (source, rest) = u8::tls_deserialize_bytes(bytes)?;
        match source {
            1 => {
                let (lifetime, rest) = Lifetime::tls_deserialize_bytes(rest)?;
                Ok((Self::KeyPackage(lifetime), rest))
            }
            2 => Ok((Self::Update, rest)),
            3 => {
                let (parent_hash, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((Self::Commit(parent_hash), rest))
            }
            // reserved(0) and unassigned values: the body cannot be parsed.
            other => Err(Error::UnknownValue(u64::from(other))),
        }
    }
}

/// ```text
/// struct {
///     HPKEPublicKey encryption_key;
///     SignaturePublicKey signature_key;
///     Credential credential;
///     Capabilities capabilities;
///
///     LeafNodeSource leaf_node_source;
///     select (LeafNode.leaf_node_source) { ... };
///
///     Extension extensions<V>;
///     /* SignWithLabel(., "LeafNodeTBS", LeafNodeTBS) */
///     opaque signature<V>;
/// } LeafNode;
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeafNode {
    /// HPKE key for path secrets sent to this leaf.
    pub encryption_key: HpkePublicKey,
    /// Key that verifies this leaf's signatures.
    pub signature_key: SignaturePublicKey,
    /// Who the leaf claims to be.
    pub credential: Credential,
    /// What the leaf supports.
    pub capabilities: Capabilities,
    /// Why the leaf exists, with the field that depends on it.
    pub leaf_node_source: LeafNodeSource,
    /// Leaf extensions.
    pub extensions: Extensions,
    /// `SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)`.
    pub signature: VarBytes,
}

impl LeafNode {
    /// Size of the fields the signature covers (all but `signature`).
    pub fn content_len(&self) -> usize {
        self.encryption_key.tls_serialized_len()
            + self.signature_key.tls_serialized_len()
            + self.credential.tls_serialized_len()
            + self.capabilities.tls_serialized_len()
            + self.leaf_node_source.tls_serialized_len()
            + self.extensions.tls_serialized_len()
    }

    /// Writes the fields the signature covers (all but `signature`).
    pub fn serialize_content<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        Ok(self.encryption_key.tls_serialize(writer)?
            + self.signature_key.tls_serialize(writer)?
            + self.credential.tls_serialize(writer)?
            + self.capabilities.tls_serialize(writer)?
            + self.leaf_node_source.tls_serialize(writer)?
            + self.extensions.tls_serialize(writer)?)
    }

    /// The `LeafNodeTBS` encoding (RFC 9420 §7.2). For a key-package leaf it
    /// is the content alone (a `group` given is not part of it); update and
    /// commit leaves append the group id and leaf index, so for them `group`
    /// is required: without it the TBS would be silently wrong, and the
    /// result is [`EncodeError::MissingGroupContext`].
    pub fn tbs(&self, group: Option<(&[u8], u32)>) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.content_len() + 16);
        self.serialize_content(&mut out)?;
        match (&self.leaf_node_source, group) {
            (LeafNodeSource::KeyPackage(_), _) => {}
            (LeafNodeSource::Update | LeafNodeSource::Commit(_), Some((group_id, index))) => {
                VarBytes(group_id.to_vec()).tls_serialize(&mut out)?;
                index.tls_serialize(&mut out)?;
            }
            (LeafNodeSource::Update | LeafNodeSource::Commit(_), None) => {
                return Err(EncodeError::MissingGroupContext);
            }
        }
        Ok(out)
    }
}

impl Size for LeafNode {
    fn tls_serialized_len(&self) -> usize {
        self.content_len() + self.signature.tls_serialized_len()
    }
}

impl Serialize for LeafNode {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        Ok(self.serialize_content(writer)? + self.signature.tls_serialize(writer)?)
    }
}

impl DeserializeBytes for LeafNode {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (encryption_key, rest) = HpkePublicKey::tls_deserialize_bytes(bytes)?;
        let (signature_key, rest) = SignaturePublicKey::tls_deserialize_bytes(rest)?;
        let (credential, rest) = Credential::tls_deserialize_bytes(rest)?;
        let (capabilities, rest) = Capabilities::tls_deserialize_bytes(rest)?;
        let (leaf_node_source, rest) = LeafNodeSource::tls_deserialize_bytes(rest)?;
        let (extensions, rest) = Extensions::tls_deserialize_bytes(rest)?;
        let (signature, rest) = VarBytes::tls_deserialize_bytes(rest)?;
        Ok((
            Self {
                encryption_key,
                signature_key,
                credential,
                capabilities,
                leaf_node_source,
                extensions,
                signature,
            },
            rest,
        ))
    }
}
