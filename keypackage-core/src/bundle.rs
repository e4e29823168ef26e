//! `KeyPackageBundle`: a key package with the private keys it needs, and
//! the versioned encoding a key store keeps.

use std::fmt;

use keypackage_traits::codec::{VarBytes, prefixed_len, write_varint};
use keypackage_traits::{
    BUNDLE_FORMAT_WITH_HEADER, BundleHeader, CipherSuiteProvider, HpkePrivateKey, KeyPackageRef,
    KeyStoreError, OpenMlsCrypto, Secret, StoredKeyPackage,
};
use tls_codec::{DeserializeBytes, Serialize, Size};
use zeroize::Zeroizing;

use crate::error::{DecodeError, EncodeError};
use crate::key_package::{KeyPackage, KeyPackageIn};
use crate::validate::{AcceptAnyCredential, ValidationContext, ValidationError};

/// The format tag of the first bundle encoding (no header); still read.
pub const BUNDLE_FORMAT_V1: u16 = 1;

/// The format tag of the bundle encoding written by this version: format 1
/// behind a [`BundleHeader`] that a key store reads its row from.
pub const BUNDLE_FORMAT_V2: u16 = BUNDLE_FORMAT_WITH_HEADER;

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
    #[error("bundle format {format} is not known to this version")]
    UnknownFormat {
        /// The format tag found.
        format: u16,
    },
    /// The key package inside no longer verifies (storage corruption).
    #[error("bundle: the key package does not verify: {0}")]
    Invalid(ValidationError),
    /// A private key does not belong to its public key (storage corruption).
    #[error("bundle: the {key} private key does not match the key package")]
    KeyMismatch {
        /// Which private key.
        key: &'static str,
    },
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The bundle's header, or the key store's row, says something about
    /// the key package that the key package does not (the named field:
    /// `reference`, `init_key`, `not_after` or `last_resort`). Tampering, or
    /// a caller that paired a bundle with fields of its own.
    #[error("bundle: its {field} does not match the key package")]
    Mismatch {
        /// Which field.
        field: &'static str,
    },
    /// A format-2 bundle whose header does not parse.
    #[error("bundle: {detail}")]
    Header {
        /// What went wrong, for people.
        detail: String,
    },
}

impl BundleError {
    /// Whose fault the error is: stored bytes that do not read back are a
    /// damaged or foreign store (the environment); failing to encode is the
    /// caller's.
    pub const fn fault(&self) -> keypackage_traits::Fault {
        match self {
            Self::Encode(e) => e.fault(),
            _ => keypackage_traits::Fault::Environment,
        }
    }
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

    /// What the bundle's header says: the key package's reference, init
    /// key, `not_after` and last-resort marker.
    pub fn header(&self) -> BundleHeader {
        BundleHeader {
            reference: self.reference().clone(),
            init_key: self.key_package.init_key().clone(),
            not_after: self.not_after(),
            last_resort: self.key_package.is_last_resort(),
        }
    }

    fn not_after(&self) -> u64 {
        self.key_package
            .leaf_node()
            .leaf_node_source
            .lifetime()
            .map_or(0, |l| l.not_after)
    }

    /// The storage encoding (zeroized when dropped), format 2: the header a
    /// key store reads its row from ([`BundleHeader`], derived from the key
    /// package), then format 1's fields.
    ///
    /// ```text
    /// struct {
    ///     uint16 format = 2;
    ///     opaque reference<V>;
    ///     opaque init_key<V>;
    ///     uint64 not_after;
    ///     uint8 last_resort;
    ///     KeyPackage key_package;
    ///     opaque init_private<V>;
    ///     opaque encryption_private<V>;
    /// } KeyPackageBundleV2;
    ///
    /// struct {                      // format 1: still read, no longer written
    ///     uint16 format = 1;
    ///     KeyPackage key_package;
    ///     opaque init_private<V>;
    ///     opaque encryption_private<V>;
    /// } KeyPackageBundleV1;
    /// ```
    pub fn encode(&self) -> Result<Secret, EncodeError> {
        let (init, enc) = (self.init_private.expose(), self.encryption_private.expose());
        let header = self.header();
        let mut out = Zeroizing::new(Vec::with_capacity(
            2 + prefixed_len(header.reference.as_slice().len())
                + prefixed_len(header.init_key.as_slice().len())
                + 9
                + self.key_package.tls_serialized_len()
                + prefixed_len(init.len())
                + prefixed_len(enc.len()),
        ));
        header.encode(&mut out).map_err(|e| EncodeError::Codec {
            detail: e.to_string(),
        })?;
        self.key_package.tls_serialize(&mut *out)?;
        for private in [init, enc] {
            write_varint(private.len(), &mut *out)?;
            out.extend_from_slice(private);
        }
        Ok(Secret::from(out))
    }

    /// Reads a stored bundle back, format 2 or 1. The key package is
    /// verified again (both signatures and every structural rule; neither
    /// the clock nor the maximum lifetime, since a stored key package may be
    /// needed after its expiry for a Welcome already under way), each
    /// private key must belong to its public key, and a format-2 header must
    /// describe the key package (reference recomputed, init key, `not_after`,
    /// last-resort marker): a trusted [`KeyPackage`] never comes from bytes
    /// without those checks.
    pub fn decode<C: OpenMlsCrypto>(bytes: &[u8], crypto: &C) -> Result<Self, BundleError> {
        let (format, _) = u16::tls_deserialize_bytes(bytes).map_err(DecodeError::from)?;
        let (header, body) = match format {
            BUNDLE_FORMAT_V1 => (None, bytes.get(2..).unwrap_or_default()),
            BUNDLE_FORMAT_V2 => match BundleHeader::parse(bytes) {
                Ok(Some((header, body))) => (Some(header), body),
                Ok(None) => return Err(BundleError::UnknownFormat { format }),
                Err(err) => {
                    return Err(BundleError::Header {
                        detail: err.to_string(),
                    });
                }
            },
            other => return Err(BundleError::UnknownFormat { format: other }),
        };
        let bundle = Self::decode_body(body, crypto)?;
        if let Some(header) = header {
            bundle.check_describes(&header)?;
        }
        Ok(bundle)
    }

    /// Reads a key store's entry back: [`decode`](Self::decode), and the
    /// entry's reference, init key, `not_after` and last-resort flag must be
    /// the key package's ([`BundleError::Mismatch`] otherwise). The way to
    /// the private keys of a stored key package: it also checks rows whose
    /// bundle predates the header (format 1).
    pub fn from_stored<C: OpenMlsCrypto>(
        entry: &StoredKeyPackage,
        crypto: &C,
    ) -> Result<Self, BundleError> {
        let bundle = Self::decode(entry.bundle().expose(), crypto)?;
        bundle.check_describes(&BundleHeader {
            reference: entry.reference().clone(),
            init_key: entry.init_key().clone(),
            not_after: entry.not_after(),
            last_resort: entry.last_resort(),
        })?;
        Ok(bundle)
    }

    /// `Mismatch` naming the first field of `claim` that is not the key
    /// package's. The reference was recomputed by validation (RFC 9420 §5.2).
    fn check_describes(&self, claim: &BundleHeader) -> Result<(), BundleError> {
        let truth = self.header();
        if claim.reference != truth.reference {
            return Err(BundleError::Mismatch { field: "reference" });
        }
        if claim.init_key != truth.init_key {
            return Err(BundleError::Mismatch { field: "init_key" });
        }
        if claim.not_after != truth.not_after {
            return Err(BundleError::Mismatch { field: "not_after" });
        }
        if claim.last_resort != truth.last_resort {
            return Err(BundleError::Mismatch {
                field: "last_resort",
            });
        }
        Ok(())
    }

    /// Format 1's fields after the tag (and format 2's after the header).
    fn decode_body<C: OpenMlsCrypto>(body: &[u8], crypto: &C) -> Result<Self, BundleError> {
        let (kp, rest) = KeyPackageIn::tls_deserialize_bytes(body).map_err(DecodeError::from)?;
        let (init, rest) = VarBytes::tls_deserialize_bytes(rest).map_err(DecodeError::from)?;
        let init = HpkePrivateKey::new(init.0);
        let (enc, rest) = VarBytes::tls_deserialize_bytes(rest).map_err(DecodeError::from)?;
        let enc = HpkePrivateKey::new(enc.0);
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes { count: rest.len() }.into());
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
        let suite = crypto.suite(key_package.cipher_suite()).map_err(|e| {
            BundleError::Invalid(ValidationError::Internal {
                detail: e.to_string(),
            })
        })?;
        let matches = |private: &HpkePrivateKey, public| {
            suite
                .hpke_public_key(private)
                .is_ok_and(|derived| &derived == public)
        };
        if !matches(&init, key_package.init_key()) {
            return Err(BundleError::KeyMismatch { key: "init" });
        }
        if !matches(&enc, &key_package.leaf_node().encryption_key) {
            return Err(BundleError::KeyMismatch { key: "encryption" });
        }
        Ok(Self::new(key_package, init, enc))
    }

    /// The entry a [`KeyStore`](keypackage_traits::KeyStore) keeps: the
    /// format-2 encoding, every row field read from its header
    /// ([`StoredKeyPackage::from_bundle`]).
    pub fn to_stored(&self) -> Result<StoredKeyPackage, EncodeError> {
        StoredKeyPackage::from_bundle(self.encode()?).map_err(|e: KeyStoreError| {
            EncodeError::Codec {
                detail: e.to_string(),
            }
        })
    }
}
