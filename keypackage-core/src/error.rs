//! Decoding errors (rule KP-DECODE). Validation and creation errors live with
//! their operations.

use keypackage_traits::{CryptoError, Fault};

use crate::rules::Rule;

/// Why bytes are not one complete, canonical encoding (KP-DECODE, RFC 9420
/// §2.1.2). Always the fault of whoever produced the bytes.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends inside a field.
    #[error("KP-DECODE: the input ends early")]
    Truncated,
    /// Bytes follow the complete structure.
    #[error("KP-DECODE: {count} trailing bytes after the structure")]
    TrailingBytes {
        /// How many bytes.
        count: usize,
    },
    /// A variable-length prefix is invalid: the `0b11` form, a non-minimal
    /// encoding, or a vector whose elements overrun its length.
    #[error(
        "KP-DECODE: invalid vector length (0b11 prefix, non-minimal varint, or misaligned body)"
    )]
    InvalidLength,
    /// An enumerated field has a value whose body cannot be parsed.
    #[error("KP-DECODE: unknown value {value} in an enumerated field")]
    UnknownValue {
        /// The value found.
        value: u64,
    },
    /// The MLSMessage carries another wire format than the one expected.
    #[error("KP-DECODE: MLSMessage wire format {wire_format:#06x} is not the expected one")]
    UnexpectedWireFormat {
        /// The wire format found.
        wire_format: u16,
    },
    /// The whole encoding is longer than any `opaque<V>` can carry
    /// (2^30 - 1 bytes, RFC 9420 §2.1.2): it could have no `KeyPackageRef`
    /// (§5.2) and no MLSMessage could carry it.
    #[error("KP-DECODE: {len} bytes are longer than the 2^30 - 1 an MLS vector can carry")]
    TooLong {
        /// The length in bytes.
        len: usize,
    },
    /// Any other malformation.
    #[error("KP-DECODE: {detail}")]
    Malformed {
        /// What went wrong, for people.
        detail: String,
    },
}

impl DecodeError {
    /// The rule the error belongs to: always KP-DECODE (the same type as
    /// [`ValidationError::rule`](crate::ValidationError::rule)).
    pub const fn rule(&self) -> Option<Rule> {
        Some(Rule::Decode)
    }

    /// Whose fault the error is: always the producer of the bytes.
    pub const fn fault(&self) -> Fault {
        Fault::Peer
    }
}

impl From<tls_codec::Error> for DecodeError {
    fn from(value: tls_codec::Error) -> Self {
        match value {
            tls_codec::Error::EndOfStream => Self::Truncated,
            tls_codec::Error::TrailingData => Self::TrailingBytes { count: 0 },
            tls_codec::Error::InvalidVectorLength => Self::InvalidLength,
            tls_codec::Error::UnknownValue(v) => Self::UnknownValue { value: v },
            other => Self::Malformed {
                detail: other.to_string(),
            },
        }
    }
}

/// Errors of encoding our own structures (a bug or an oversized field).
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field is longer than 2^30 - 1 bytes, or the codec failed.
    #[error("encoding failed: {detail}")]
    Codec {
        /// What went wrong, for people.
        detail: String,
    },
    /// `LeafNodeTBS` of an update or commit leaf needs the group id and the
    /// leaf index (RFC 9420 §7.2), and none was given (caller).
    #[error("the LeafNodeTBS of an update or commit leaf needs the group id and leaf index")]
    MissingGroupContext,
}

impl EncodeError {
    /// Whose fault the error is: a field too long to encode, or a missing
    /// group context, is the caller's.
    pub const fn fault(&self) -> Fault {
        Fault::Caller
    }
}

impl LabeledError {
    /// Whose fault the error is.
    pub const fn fault(&self) -> Fault {
        match self {
            Self::Crypto(e) => e.fault(),
            Self::Encode(e) => e.fault(),
        }
    }
}

impl From<tls_codec::Error> for EncodeError {
    fn from(value: tls_codec::Error) -> Self {
        Self::Codec {
            detail: value.to_string(),
        }
    }
}

/// Errors of the labeled operations (SignWithLabel, EncryptWithLabel, …).
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabeledError {
    /// The crypto provider failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A labeled structure could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl From<tls_codec::Error> for LabeledError {
    fn from(value: tls_codec::Error) -> Self {
        Self::Encode(value.into())
    }
}

/// Decodes exactly one `T` from `bytes`: no trailing bytes.
pub(crate) fn decode_exact<T: tls_codec::DeserializeBytes>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (value, rest) = T::tls_deserialize_bytes(bytes)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes { count: rest.len() });
    }
    Ok(value)
}
