//! `Extension` and extension lists (RFC 9420 §7.2, §13.4).

use keypackage_traits::ExtensionType;
use keypackage_traits::codec::{VarBytes, VarVec};
use tls_codec::{TlsDeserializeBytes, TlsSerialize, TlsSize};

/// ```text
/// struct {
///     ExtensionType extension_type;
///     opaque extension_data<V>;
/// } Extension;
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug, TlsSize, TlsSerialize, TlsDeserializeBytes)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Extension {
    /// The type (an open code point).
    pub extension_type: ExtensionType,
    /// The body, kept as bytes whatever the type.
    pub extension_data: VarBytes,
}

impl Extension {
    /// An extension of `extension_type` with body `data`.
    pub fn new(extension_type: ExtensionType, data: Vec<u8>) -> Self {
        Self {
            extension_type,
            extension_data: VarBytes(data),
        }
    }

    /// The last-resort extension (type 0x000A, empty body), as OpenMLS and
    /// mls-rs write and read it.
    pub fn last_resort() -> Self {
        Self::new(ExtensionType::LAST_RESORT, Vec::new())
    }
}

/// `Extension extensions<V>`: kept in wire order, duplicates included, so
/// that validation can name KP-DUP-EXT.
#[derive(
    Clone, PartialEq, Eq, Hash, Debug, Default, TlsSize, TlsSerialize, TlsDeserializeBytes,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Extensions(pub VarVec<Extension>);

impl Extensions {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// The extensions in wire order.
    pub fn as_slice(&self) -> &[Extension] {
        self.0.as_slice()
    }

    /// Iterates in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, Extension> {
        self.0.iter()
    }

    /// The first extension of type `t`.
    pub fn find(&self, t: ExtensionType) -> Option<&Extension> {
        self.iter().find(|e| e.extension_type == t)
    }

    /// Whether an extension of type `t` is present.
    pub fn contains(&self, t: ExtensionType) -> bool {
        self.find(t).is_some()
    }

    /// Appends an extension.
    pub fn push(&mut self, extension: Extension) {
        self.0.0.push(extension);
    }

    /// Number of extensions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Extension>> for Extensions {
    fn from(value: Vec<Extension>) -> Self {
        Self(VarVec(value))
    }
}

impl<'a> IntoIterator for &'a Extensions {
    type Item = &'a Extension;
    type IntoIter = std::slice::Iter<'a, Extension>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
