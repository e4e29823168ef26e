//! `Extension` and extension lists (RFC 9420 §7.2, §13.4): where each known
//! type may appear (KP-EXT-PLACEMENT), no type twice in a list (KP-DUP-EXT),
//! and the bodies of the types we know (KP-EXT-BODY). The validator and the
//! builder both check lists here, so what one refuses the other never makes.

use std::collections::HashSet;

use keypackage_traits::codec::{VarBytes, VarVec, read_prefixed};
use keypackage_traits::{ExtensionLocation, ExtensionType};
use tls_codec::{DeserializeBytes, TlsDeserializeBytes, TlsSerialize, TlsSize};

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

    /// An `application_id` extension (0x0001, RFC 9420 §5.3.3) whose body
    /// is `opaque application_id<V>` holding `id`; `None` when `id` is longer
    /// than an MLS vector can carry.
    pub fn application_id(id: &[u8]) -> Option<Self> {
        let mut body = Vec::with_capacity(id.len() + 4);
        keypackage_traits::codec::write_varint(id.len(), &mut body).ok()?;
        body.extend_from_slice(id);
        Some(Self::new(ExtensionType::APPLICATION_ID, body))
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

/// What is wrong with an extension list.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum ListProblem {
    /// KP-DUP-EXT: this type appears twice.
    Duplicate(ExtensionType),
    /// KP-EXT-PLACEMENT: this type may not appear here.
    Misplaced(ExtensionType),
    /// KP-EXT-BODY: this type's body does not decode as the type.
    Body(ExtensionType, &'static str),
}

/// Lists up to this long are checked by scanning; longer ones through a
/// hash set, so that a hostile 100,000-entry list costs linear work.
pub(crate) const SHORT_LIST: usize = 16;

/// Checks one extension list in linear time: no duplicate type (KP-DUP-EXT,
/// RFC 9420 §13.4), then every known type where the registry allows it
/// (KP-EXT-PLACEMENT, §17.3), then every known type's body (KP-EXT-BODY).
pub(crate) fn check_list(
    list: &[Extension],
    location: ExtensionLocation,
) -> Result<(), ListProblem> {
    if let Some(t) = first_duplicate(list) {
        return Err(ListProblem::Duplicate(t));
    }
    if let Some(e) = list.iter().find(|e| !e.extension_type.allowed_in(location)) {
        return Err(ListProblem::Misplaced(e.extension_type));
    }
    for e in list {
        check_known_body(e.extension_type, e.extension_data.as_slice())
            .map_err(|reason| ListProblem::Body(e.extension_type, reason))?;
    }
    Ok(())
}

/// The first extension type that appears twice, in linear time.
fn first_duplicate(list: &[Extension]) -> Option<ExtensionType> {
    if list.len() <= SHORT_LIST {
        list.iter().enumerate().find_map(|(i, e)| {
            let earlier = list.get(..i)?;
            earlier
                .iter()
                .any(|p| p.extension_type == e.extension_type)
                .then_some(e.extension_type)
        })
    } else {
        let mut seen = HashSet::with_capacity(list.len());
        list.iter()
            .find(|e| !seen.insert(e.extension_type))
            .map(|e| e.extension_type)
    }
}

/// KP-EXT-BODY for the types we know: the body decodes exactly as the type,
/// with nothing left over. Unknown types stay opaque (`Ok`).
///
/// * `last_resort` (0x000A) is `struct {}`: zero bytes.
/// * `application_id` (0x0001) is `opaque application_id<V>` (RFC 9420 §5.3.3).
/// * `app_data_dictionary` (0x0006) is `ComponentData component_data<V>`,
///   each entry a 16-bit `ComponentID` and `opaque data<V>`, sorted by ID
///   with no ID twice (extensions draft).
///
/// Group-only types (ratchet_tree, required_capabilities, external_pub,
/// external_senders) never get here in a key package: placement refuses
/// them first.
pub(crate) fn check_known_body(
    extension_type: ExtensionType,
    body: &[u8],
) -> Result<(), &'static str> {
    match extension_type {
        ExtensionType::LAST_RESORT if !body.is_empty() => {
            Err("last_resort is struct {} and must have an empty body")
        }
        ExtensionType::APPLICATION_ID => match VarBytes::tls_deserialize_bytes(body) {
            Ok((_, [])) => Ok(()),
            Ok(_) => Err("bytes after the opaque<V> application_id"),
            Err(_) => Err("not an opaque<V> application_id"),
        },
        ExtensionType::APP_DATA_DICTIONARY => dictionary_components(body).map(|_| ()),
        _ => Ok(()),
    }
}

/// The component IDs of an `app_data_dictionary` body (extensions draft):
///
/// ```text
/// uint16 ComponentID;
/// struct {
///     ComponentID component_id;
///     opaque data<V>;
/// } ComponentData;
/// struct {
///     ComponentData component_data<V>;
/// } AppDataDictionary;
/// ```
///
/// Entries are sorted by `component_id`, with no ID twice; anything else,
/// or bytes left over, is an error.
pub(crate) fn dictionary_components(body: &[u8]) -> Result<Vec<u16>, &'static str> {
    let (mut list, rest) =
        read_prefixed(body).map_err(|_| "app_data_dictionary: not a ComponentData<V> list")?;
    if !rest.is_empty() {
        return Err("app_data_dictionary: bytes after the component list");
    }
    let mut ids: Vec<u16> = Vec::new();
    while !list.is_empty() {
        let (id, after_id) = u16::tls_deserialize_bytes(list)
            .map_err(|_| "app_data_dictionary: a component is cut short")?;
        let (_data, after) = VarBytes::tls_deserialize_bytes(after_id)
            .map_err(|_| "app_data_dictionary: a component's data is cut short")?;
        if ids.last().is_some_and(|last| *last >= id) {
            return Err("app_data_dictionary: component IDs not sorted and unique");
        }
        ids.push(id);
        list = after;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_accessors_answer_for_the_list_they_hold() {
        let mut list = Extensions::new();
        assert!(list.is_empty());
        assert_eq!(list.len(), 0);
        assert!(!list.contains(ExtensionType::LAST_RESORT));
        assert_eq!(list.find(ExtensionType::LAST_RESORT), None);

        list.push(Extension::new(ExtensionType(0xF000), vec![1]));
        list.push(Extension::last_resort());
        list.push(Extension::new(ExtensionType(0xF000), vec![2]));
        assert!(!list.is_empty());
        assert_eq!(list.len(), 3);
        assert!(list.contains(ExtensionType::LAST_RESORT));
        assert!(list.contains(ExtensionType(0xF000)));
        assert!(!list.contains(ExtensionType::APPLICATION_ID));
        // The first of two with the same type, in wire order.
        assert_eq!(
            list.find(ExtensionType(0xF000))
                .map(|e| e.extension_data.as_slice()),
            Some(&[1u8][..])
        );
        let types: Vec<_> = (&list).into_iter().map(|e| e.extension_type).collect();
        assert_eq!(
            types,
            [
                ExtensionType(0xF000),
                ExtensionType::LAST_RESORT,
                ExtensionType(0xF000)
            ]
        );
        assert_eq!(Extensions::from(list.as_slice().to_vec()), list);
    }
}
