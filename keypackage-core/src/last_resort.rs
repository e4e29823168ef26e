//! The last-resort marker, read in both of its published forms.
//!
//! * draft-ietf-mls-extensions -04/-05: extension `last_resort` (0x000A) with an
//!   empty body in `KeyPackage.extensions` (what OpenMLS and mls-rs write).
//! * -06 on: component 0x0004 inside the `app_data_dictionary` extension
//!   (0x0006). Drafts disagree on the width of `ComponentID` (16 bits in some
//!   revisions, 32 in others), so both layouts are tried.

use keypackage_traits::ExtensionType;
use keypackage_traits::codec::{VarBytes, read_prefixed};
use tls_codec::DeserializeBytes;

use crate::extensions::Extensions;

/// Component id of the last-resort marker in `app_data_dictionary`.
pub const LAST_RESORT_COMPONENT_ID: u32 = 0x0004;

/// Whether `extensions` marks its key package as last resort, in either form.
pub fn is_last_resort(extensions: &Extensions) -> bool {
    extensions.iter().any(|e| match e.extension_type {
        ExtensionType::LAST_RESORT => true,
        ExtensionType::APP_DATA_DICTIONARY => dictionary_has(e.extension_data.as_slice()),
        _ => false,
    })
}

/// Whether an `app_data_dictionary` body holds the last-resort component.
fn dictionary_has(body: &[u8]) -> bool {
    component_ids::<2>(body)
        .or_else(|| component_ids::<4>(body))
        .is_some_and(|ids| ids.contains(&LAST_RESORT_COMPONENT_ID))
}

/// Parses `struct { ComponentID id; opaque data<V>; } entries<V>` with an
/// N-byte `ComponentID`; `None` unless the body is exactly such a list.
fn component_ids<const N: usize>(body: &[u8]) -> Option<Vec<u32>> {
    let (mut list, rest) = read_prefixed(body).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let mut ids = Vec::new();
    while !list.is_empty() {
        let (id_bytes, after_id) = list.split_at_checked(N)?;
        let id = id_bytes
            .iter()
            .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        let (_data, after) = VarBytes::tls_deserialize_bytes(after_id).ok()?;
        ids.push(id);
        list = after;
    }
    Some(ids)
}

/// Encodes an `app_data_dictionary` body holding only the last-resort
/// component (16-bit `ComponentID`), for tests and interop fixtures.
pub fn app_data_dictionary_last_resort() -> Vec<u8> {
    // entries<V> = [ { id: 0x0004, data: <empty> } ] = 3 bytes.
    vec![0x03, 0x00, 0x04, 0x00]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::Extension;

    #[test]
    fn reads_the_extension_form() {
        let exts: Extensions = vec![Extension::last_resort()].into();
        assert!(is_last_resort(&exts));
        assert!(!is_last_resort(&Extensions::new()));
    }

    #[test]
    fn reads_both_dictionary_layouts() {
        let u16_form = app_data_dictionary_last_resort();
        let u32_form = vec![0x05, 0x00, 0x00, 0x00, 0x04, 0x00];
        let other = vec![0x03, 0x00, 0x05, 0x00];
        for (body, expected) in [(u16_form, true), (u32_form, true), (other, false)] {
            let exts: Extensions =
                vec![Extension::new(ExtensionType::APP_DATA_DICTIONARY, body)].into();
            assert_eq!(is_last_resort(&exts), expected);
        }
    }
}
