//! `KeyPackageBundle`: a key package with the private keys it needs, and
//! the versioned encoding a key store keeps.

use std::fmt;

use keypackage_traits::codec::{VarBytes, prefixed_len, write_varint};
use keypackage_traits::{
    CipherSuiteProvider, HpkePrivateKey, KeyPackageRef, OpenMlsCrypto, Secret, StoredKeyPackage,
};
use tls_codec::{DeserializeBytes, Serialize, Size};
use zeroize::Zeroizing;

use crate::error::{DecodeError, EncodeError};
use crate::key_package::{KeyPackage, KeyPackageIn};
use crate::validate::{AcceptAnyCredential, ValidationContext, ValidationError};

/// The format tag of the bundle encoding written by this version.
pub const BUNDLE_FORMAT_V1: u16 = 1;

/// A key package and its two HPKE private keys: the init key (to open the
/// Welcome) and the leaf encryption key (for path secrets once joined).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPackageBundle {
    key_package: KeyPackage,
    init_private: HpkePrivateKey,
    encryption_private: HpkePrivateKey,
}

impl fmt::Debug for KeyPackageBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPackageBundle")
            .field("reference", self.key_package.reference())
            .field("init_private", &self.init_private)
            .field("encryption_private", &self.encryption_private)
            .finish_non_exhaustive()
    }
}

/// Why stored bundle bytes could not be read back.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bytes are not a bundle encoding.
    #[error("bundle: {0}")]
    Decode(#[from] DecodeError),
    /// A format tag this version does not know (written by a newer version).
    #[error("bundle format {0} is not known to this version")]
    UnknownFormat(u16),
    /// The key package inside no longer verifies (storage corruption).
    #[error("bundle: the key package does not verify: {0}")]
    Invalid(ValidationError),
    /// A private key does not belong to its public key (storage corruption).
    #[error("bundle: the {0} private key does not match the key package")]
    KeyMismatch(&'static str),
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl KeyPackageBundle {
    pub(crate) fn new(
        key_package: KeyPackage,
        init_private: HpkePrivateKey,
        encryption_private: HpkePrivateKey,
    ) -> Self {
        Self {
            key_package,
            init_private,
            encryption_private,
        }
    }

    /// The key package to publish.
    pub fn key_package(&self) -> &KeyPackage {
        &self.key_package
    }

    /// Its reference.
    pub fn reference(&self) -> &KeyPackageRef {
        self.key_package.reference()
    }

    /// The private key of `init_key`, which opens the Welcome.
    pub fn init_private_key(&self) -> &HpkePrivateKey {
        &self.init_private
    }

    /// The private key of the leaf's `encryption_key`.
    pub fn encryption_private_key(&self) -> &HpkePrivateKey {
        &self.encryption_private
    }

    /// The storage encoding (zeroized when dropped):
    ///
    /// ```text
    /// struct {
    ///     uint16 format = 1;
    ///     KeyPackage key_package;
    ///     opaque init_private<V>;
    ///     opaque encryption_private<V>;
    /// } KeyPackageBundleV1;
    /// ```
    pub fn encode(&self) -> Result<Secret, EncodeError> {
        let (init, enc) = (self.init_private.expose(), self.encryption_private.expose());
        let mut out = Zeroizing::new(Vec::with_capacity(
            2 + self.key_package.tls_serialized_len()
                + prefixed_len(init.len())
                + prefixed_len(enc.len()),
        ));
        BUNDLE_FORMAT_V1.tls_serialize(&mut *out)?;
        self.key_package.tls_serialize(&mut *out)?;
        for private in [init, enc] {
            write_varint(private.len(), &mut *out)?;
            out.extend_from_slice(private);
        }
        Ok(Secret::from(out))
    }

    /// Reads a stored bundle back. The key package is verified again (both
    /// signatures and every structural rule; neither the clock nor the
    /// maximum lifetime, since a stored key package may be needed after its
    /// expiry for a Welcome already under way), and each private key must
    /// belong to its public key: a trusted [`KeyPackage`] never comes from
    /// bytes without those checks.
    pub fn decode<C: OpenMlsCrypto>(bytes: &[u8], crypto: &C) -> Result<Self, BundleError> {
        let (format, rest) = u16::tls_deserialize_bytes(bytes).map_err(DecodeError::from)?;
        if format != BUNDLE_FORMAT_V1 {
            return Err(BundleError::UnknownFormat(format));
        }
        let (kp, rest) = KeyPackageIn::tls_deserialize_bytes(rest).map_err(DecodeError::from)?;
        let (init, rest) = VarBytes::tls_deserialize_bytes(rest).map_err(DecodeError::from)?;
        let init = HpkePrivateKey::new(init.0);
        let (enc, rest) = VarBytes::tls_deserialize_bytes(rest).map_err(DecodeError::from)?;
        let enc = HpkePrivateKey::new(enc.0);
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes(rest.len()).into());
        }
        let not_before = kp
            .leaf_node
            .leaf_node_source
            .lifetime()
            .map_or(0, |l| l.not_before);
        let ctx = ValidationContext::new(not_before, &AcceptAnyCredential)
            .with_max_lifetime(None)
            .with_refuse_listed_defaults(false);
        let key_package = kp.validate(crypto, &ctx).map_err(BundleError::Invalid)?;
        let suite = crypto
            .suite(key_package.ciphersuite())
            .map_err(|e| BundleError::Invalid(ValidationError::Internal(e.to_string())))?;
        let matches = |private: &HpkePrivateKey, public| {
            suite
                .hpke_public_key(private)
                .is_ok_and(|derived| &derived == public)
        };
        if !matches(&init, key_package.init_key()) {
            return Err(BundleError::KeyMismatch("init"));
        }
        if !matches(&enc, &key_package.leaf_node().encryption_key) {
            return Err(BundleError::KeyMismatch("encryption"));
        }
        Ok(Self::new(key_package, init, enc))
    }

    /// The entry a [`KeyStore`](keypackage_traits::KeyStore) keeps.
    pub fn to_stored(&self) -> Result<StoredKeyPackage, EncodeError> {
        let not_after = self
            .key_package
            .leaf_node()
            .leaf_node_source
            .lifetime()
            .map_or(0, |l| l.not_after);
        Ok(StoredKeyPackage {
            reference: self.reference().clone(),
            init_key: self.key_package.init_key().clone(),
            not_after,
            last_resort: self.key_package.is_last_resort(),
            bundle: self.encode()?,
        })
    }
}
