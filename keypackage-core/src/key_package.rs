//! `KeyPackage` (RFC 9420 §10): the untrusted [`KeyPackageIn`] that decoding
//! yields, and the trusted [`KeyPackage`] that only validation (or our own
//! builder) produces.

use keypackage_traits::codec::{MAX_VARINT_LEN, VarBytes};
use keypackage_traits::{CipherSuite, HpkePublicKey, KeyPackageRef, ProtocolVersion};
use tls_codec::{DeserializeBytes, Error, Serialize, Size};

use crate::error::{DecodeError, EncodeError, decode_exact};
use crate::extensions::Extensions;
use crate::leaf_node::LeafNode;

/// A decoded, not yet validated key package. Its fields are public: it is
/// just data, and nothing trusts it until
/// [`validate`](KeyPackageIn::validate) turns it into a [`KeyPackage`].
///
/// ```text
/// struct {
///     ProtocolVersion version;
///     CipherSuite cipher_suite;
///     HPKEPublicKey init_key;
///     LeafNode leaf_node;
///     Extension extensions<V>;
///     /* SignWithLabel(., "KeyPackageTBS", KeyPackageTBS) */
///     opaque signature<V>;
/// } KeyPackage;
///
/// struct {
///     ProtocolVersion version;
///     CipherSuite cipher_suite;
///     HPKEPublicKey init_key;
///     LeafNode leaf_node;
///     Extension extensions<V>;
/// } KeyPackageTBS;
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KeyPackageIn {
    /// Protocol version.
    pub version: ProtocolVersion,
    /// Cipher suite.
    pub cipher_suite: CipherSuite,
    /// HPKE key a Welcome is encrypted to.
    pub init_key: HpkePublicKey,
    /// The leaf the client will occupy.
    pub leaf_node: LeafNode,
    /// Key package extensions.
    pub extensions: Extensions,
    /// `SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)`.
    pub signature: VarBytes,
}

/// Where the signed parts sit inside a full key-package encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedSpans {
    /// Start of the leaf node (and of `LeafNodeTBS`).
    pub leaf_start: usize,
    /// End of `LeafNodeTBS` (the leaf minus its signature).
    pub leaf_tbs_end: usize,
    /// End of `KeyPackageTBS` (the key package minus its signature).
    pub tbs_end: usize,
}

/// KP-DECODE (RFC 9420 §2.1.2, §5.2): a key package of `len` bytes can
/// have a `KeyPackageRef` (RefHash takes an `opaque<V>`) and travel in an
/// MLSMessage only when an `opaque<V>` can carry it, so at most 2^30 - 1.
pub(crate) fn check_encoded_len(len: usize) -> Result<(), DecodeError> {
    if len > MAX_VARINT_LEN {
        return Err(DecodeError::TooLong { len });
    }
    Ok(())
}

impl KeyPackageIn {
    /// Decodes exactly one bare `KeyPackage` (KP-DECODE): no trailing bytes,
    /// strict varints, every length checked against the input first.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        check_encoded_len(bytes.len())?;
        decode_exact(bytes)
    }

    /// Size of `KeyPackageTBS`.
    pub fn tbs_len(&self) -> usize {
        self.version.tls_serialized_len()
            + self.cipher_suite.tls_serialized_len()
            + self.init_key.tls_serialized_len()
            + self.leaf_node.tls_serialized_len()
            + self.extensions.tls_serialized_len()
    }

    /// Writes `KeyPackageTBS`.
    pub(crate) fn write_tbs<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        Ok(self.version.tls_serialize(writer)?
            + self.cipher_suite.tls_serialize(writer)?
            + self.init_key.tls_serialize(writer)?
            + self.leaf_node.tls_serialize(writer)?
            + self.extensions.tls_serialize(writer)?)
    }

    /// The full encoding and where `LeafNodeTBS` and `KeyPackageTBS` sit in
    /// it: one serialization serves both signature checks and the reference.
    pub(crate) fn encode_spans(&self) -> Result<(Vec<u8>, SignedSpans), EncodeError> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        self.version.tls_serialize(&mut out)?;
        self.cipher_suite.tls_serialize(&mut out)?;
        self.init_key.tls_serialize(&mut out)?;
        let leaf_start = out.len();
        self.leaf_node.serialize_content(&mut out)?;
        let leaf_tbs_end = out.len();
        self.leaf_node.signature.tls_serialize(&mut out)?;
        self.extensions.tls_serialize(&mut out)?;
        let tbs_end = out.len();
        self.signature.tls_serialize(&mut out)?;
        Ok((
            out,
            SignedSpans {
                leaf_start,
                leaf_tbs_end,
                tbs_end,
            },
        ))
    }

    /// Whether the (untrusted) key package marks itself last resort, in
    /// either form (extension 0x000A with an empty body, or component 0x0004
    /// of a well-formed `app_data_dictionary`). Validation decides whether
    /// the marker is valid.
    pub fn is_last_resort(&self) -> bool {
        crate::last_resort::is_last_resort(&self.extensions)
    }

    /// The full encoding.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        Ok(self.tls_serialize_detached()?)
    }
}

impl TryFrom<&[u8]> for KeyPackageIn {
    type Error = DecodeError;
    fn try_from(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode(bytes)
    }
}

impl Size for KeyPackageIn {
    fn tls_serialized_len(&self) -> usize {
        self.tbs_len() + self.signature.tls_serialized_len()
    }
}

impl Serialize for KeyPackageIn {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        Ok(self.write_tbs(writer)? + self.signature.tls_serialize(writer)?)
    }
}

impl DeserializeBytes for KeyPackageIn {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (version, rest) = ProtocolVersion::tls_deserialize_bytes(bytes)?;
        let (cipher_suite, rest) = CipherSuite::tls_deserialize_bytes(rest)?;
        let (init_key, rest) = HpkePublicKey::tls_deserialize_bytes(rest)?;
        let (leaf_node, rest) = LeafNode::tls_deserialize_bytes(rest)?;
        let (extensions, rest) = Extensions::tls_deserialize_bytes(rest)?;
        let (signature, rest) = VarBytes::tls_deserialize_bytes(rest)?;
        Ok((
            Self {
                version,
                cipher_suite,
                init_key,
                leaf_node,
                extensions,
                signature,
            },
            rest,
        ))
    }
}

/// A validated key package: every rule of the validation table held under
/// the context it was validated with. It has no decoder: the only ways to
/// one are [`KeyPackageIn::validate`] and the builder.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct KeyPackage {
    inner: KeyPackageIn,
    reference: KeyPackageRef,
}

impl KeyPackage {
    /// Wraps a key package that has passed validation or was built by us.
    pub(crate) fn new_trusted(inner: KeyPackageIn, reference: KeyPackageRef) -> Self {
        Self { inner, reference }
    }

    /// `KeyPackageRef` (RFC 9420 §5.2).
    pub fn reference(&self) -> &KeyPackageRef {
        &self.reference
    }

    /// Protocol version.
    pub fn version(&self) -> ProtocolVersion {
        self.inner.version
    }

    /// Cipher suite.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.inner.cipher_suite
    }

    /// HPKE init key.
    pub fn init_key(&self) -> &HpkePublicKey {
        &self.inner.init_key
    }

    /// The leaf node.
    pub fn leaf_node(&self) -> &LeafNode {
        &self.inner.leaf_node
    }

    /// Key package extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    /// The signature.
    pub fn signature(&self) -> &[u8] {
        self.inner.signature.as_slice()
    }

    /// Whether the key package is marked last resort, in either form
    /// (extension 0x000A, or component 0x0004 of `app_data_dictionary`).
    pub fn is_last_resort(&self) -> bool {
        crate::last_resort::is_last_resort(&self.inner.extensions)
    }

    /// The untrusted view, e.g. to re-validate under another context.
    pub fn as_untrusted(&self) -> &KeyPackageIn {
        &self.inner
    }

    /// Gives up the trust: the untrusted structure.
    pub fn into_untrusted(self) -> KeyPackageIn {
        self.inner
    }

    /// The full encoding.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        self.inner.encode()
    }
}

impl Size for KeyPackage {
    fn tls_serialized_len(&self) -> usize {
        self.inner.tls_serialized_len()
    }
}

impl Serialize for KeyPackage {
    fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
        self.inner.tls_serialize(writer)
    }
}

impl From<KeyPackage> for KeyPackageIn {
    fn from(value: KeyPackage) -> Self {
        value.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Building a key package takes a backend: this test runs in builds with
    /// RustCrypto (the default), like the pool's.
    #[cfg(feature = "rustcrypto")]
    #[test]
    fn a_key_package_reports_the_size_and_bytes_of_its_encoding() {
        use backend_rustcrypto::{RustCrypto, RustCryptoSigner};
        use keypackage_traits::SignatureScheme;

        use crate::builder::KeyPackageBuilder;
        use crate::credential::Credential;

        let crypto = RustCrypto::new();
        let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
        let bundle = KeyPackageBuilder::new()
            .build(
                &crypto,
                CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
                Credential::basic("alice"),
                &signer,
            )
            .unwrap();
        let kp = bundle.key_package();
        let bytes = kp.encode().unwrap();
        assert_eq!(kp.tls_serialized_len(), bytes.len());
        let mut written = Vec::new();
        assert_eq!(kp.tls_serialize(&mut written).unwrap(), bytes.len());
        assert_eq!(written, bytes);
    }

    #[test]
    fn an_encoding_is_refused_only_past_what_an_opaque_vector_carries() {
        // 2^30 - 1 (RFC 9420 §2.1.2: the largest varint length).
        let max = (1usize << 30) - 1;
        assert_eq!(check_encoded_len(0), Ok(()));
        assert_eq!(check_encoded_len(max), Ok(()));
        assert_eq!(
            check_encoded_len(max + 1),
            Err(DecodeError::TooLong { len: max + 1 })
        );
    }
}
