//! Key newtypes: public keys as plain bytes, private keys as [`Secret`]s.

use std::fmt;

use subtle::ConstantTimeEq;
use tls_codec::{DeserializeBytes, Error, Serialize, Size};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codec::{VarBytes, write_hex};

/// Secret bytes: zeroized on drop, redacted in `Debug`, compared in constant time.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps `bytes`; the caller's buffer is moved, not copied.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Copies `bytes` into a new secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The secret bytes. Handle with care: do not log or copy them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Zeroizing<Vec<u8>>> for Secret {
    fn from(mut value: Zeroizing<Vec<u8>>) -> Self {
        Self(std::mem::take(&mut *value))
    }
}

/// Constant-time in the contents; the lengths are not secret. Two empty
/// secrets are equal, and an empty secret never equals a non-empty one.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && bool::from(self.0.ct_eq(&other.0))
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.0.len())
    }
}

macro_rules! public_bytes {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name(VarBytes);

        impl $name {
            /// Wraps encoded bytes. Nothing is checked here: validity is a
            /// question for the crypto provider and the suite.
            pub fn new(bytes: Vec<u8>) -> Self {
                Self(VarBytes(bytes))
            }

            /// The encoded bytes.
            pub fn as_slice(&self) -> &[u8] {
                &self.0 .0
            }

            /// The encoded bytes, owned.
            pub fn into_vec(self) -> Vec<u8> {
                self.0 .0
            }
        }

        impl From<Vec<u8>> for $name {
            fn from(value: Vec<u8>) -> Self {
                Self::new(value)
            }
        }

        impl From<&[u8]> for $name {
            fn from(value: &[u8]) -> Self {
                Self::new(value.to_vec())
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                self.as_slice()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                write_hex(f, self.as_slice())?;
                f.write_str(")")
            }
        }

        impl Size for $name {
            fn tls_serialized_len(&self) -> usize {
                self.0.tls_serialized_len()
            }
        }

        impl Serialize for $name {
            fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, Error> {
                self.0.tls_serialize(writer)
            }
        }

        impl DeserializeBytes for $name {
            fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
                VarBytes::tls_deserialize_bytes(bytes).map(|(v, rest)| (Self(v), rest))
            }
        }
    };
}

public_bytes! {
    /// `HPKEPublicKey` (RFC 9420 §5.1.1): an encoded KEM public key
    /// (`SerializePublicKey` of RFC 9180 §7.1.1).
    HpkePublicKey
}

public_bytes! {
    /// `SignaturePublicKey` (RFC 9420 §5.1.1): raw Ed25519/Ed448 bytes or an
    /// uncompressed SEC1 point for ECDSA.
    SignaturePublicKey
}

public_bytes! {
    /// `KeyPackageRef` (RFC 9420 §5.2): `RefHash("MLS 1.0 KeyPackage Reference", KeyPackage)`.
    KeyPackageRef
}

/// An HPKE private key (`SerializePrivateKey`, RFC 9180 §7.1.2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HpkePrivateKey(Secret);

impl HpkePrivateKey {
    /// Wraps the encoded private key.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Secret::new(bytes))
    }

    /// The private key bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }
}

impl From<Secret> for HpkePrivateKey {
    fn from(value: Secret) -> Self {
        Self(value)
    }
}

/// A signature private key: the ECDSA scalar (big-endian, fixed length) or the
/// EdDSA seed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignaturePrivateKey(Secret);

impl SignaturePrivateKey {
    /// Wraps the encoded private key.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Secret::new(bytes))
    }

    /// The private key bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }
}

impl From<Secret> for SignaturePrivateKey {
    fn from(value: Secret) -> Self {
        Self(value)
    }
}

/// An HPKE key pair.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HpkeKeyPair {
    /// The private key.
    pub private: HpkePrivateKey,
    /// The public key.
    pub public: HpkePublicKey,
}

/// A signature key pair as raw bytes, for callers that keep their own keys.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignatureKeyPair {
    /// The private key.
    pub private: SignaturePrivateKey,
    /// The public key.
    pub public: SignaturePublicKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_their_bytes() {
        let key = HpkePrivateKey::new(vec![0xAB; 32]);
        let text = format!("{key:?}");
        assert!(!text.to_lowercase().contains("ab"), "{text}");
        assert!(text.contains("redacted"));
        let sig = SignaturePrivateKey::new(vec![0x5C; 32]);
        assert!(!format!("{sig:?}").contains("5c"));
    }

    #[test]
    fn secret_equality_is_by_content_and_length() {
        assert_eq!(Secret::from_slice(b"abc"), Secret::from_slice(b"abc"));
        assert_ne!(Secret::from_slice(b"abc"), Secret::from_slice(b"abd"));
        assert_ne!(Secret::from_slice(b""), Secret::from_slice(b"a"));
        assert_ne!(Secret::from_slice(b"ab"), Secret::from_slice(b"abc"));
    }

    #[test]
    fn public_keys_encode_as_opaque_vectors() {
        let pk = HpkePublicKey::new(vec![1, 2, 3]);
        assert_eq!(pk.tls_serialize_detached().unwrap(), [3, 1, 2, 3]);
        assert_eq!(
            HpkePublicKey::tls_deserialize_exact_bytes(&[3, 1, 2, 3]).unwrap(),
            pk
        );
        assert!(HpkePublicKey::tls_deserialize_exact_bytes(&[4, 1, 2, 3]).is_err());
    }
}
