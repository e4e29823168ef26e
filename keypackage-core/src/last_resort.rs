//! The last-resort marker, read in both of its published forms
//! (docs/DESIGN.md §5.5).
//!
//! * draft-ietf-mls-extensions -04/-05: extension `last_resort` (0x000A) with an
//!   empty body in `KeyPackage.extensions` (what OpenMLS and mls-rs write).
//! * later revisions: component 0x0004 inside the `app_data_dictionary`
//!   extension (0x0006), whose `ComponentID` is 16 bits.
//!
//! A malformed body marks nothing: validation refuses it (KP-EXT-BODY), and
//! here it simply does not count as a marker.

use keypackage_traits::ExtensionType;

use crate::extensions::{Extensions, dictionary_components};

/// Component id of the last-resort marker in `app_data_dictionary`.
pub const LAST_RESORT_COMPONENT_ID: u16 = 0x0004;

/// Whether `extensions` marks its key package as last resort, in either form.
pub(crate) fn is_last_resort(extensions: &Extensions) -> bool {
    extensions.iter().any(|e| match e.extension_type {
        ExtensionType::LAST_RESORT => e.extension_data.as_slice().is_empty(),
        ExtensionType::APP_DATA_DICTIONARY => dictionary_components(e.extension_data.as_slice())
            .is_ok_and(|ids| ids.contains(&LAST_RESORT_COMPONENT_ID)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::Extension;

    fn marks(extension_type: ExtensionType, body: Vec<u8>) -> bool {
        is_last_resort(&vec![Extension::new(extension_type, body)].into())
    }

    #[test]
    fn reads_the_extension_form() {
        let exts: Extensions = vec![Extension::last_resort()].into();
        assert!(is_last_resort(&exts));
        assert!(!is_last_resort(&Extensions::new()));
        // A body is not struct {}: no marker.
        assert!(!marks(ExtensionType::LAST_RESORT, vec![0]));
    }

    #[test]
    fn reads_the_dictionary_form() {
        let adl = ExtensionType::APP_DATA_DICTIONARY;
        assert!(marks(
            adl,
            crate::test_utils::app_data_dictionary_last_resort()
        ));
        // Another component alone, and the marker after a smaller ID.
        assert!(!marks(adl, vec![0x03, 0x00, 0x05, 0x00]));
        assert!(marks(adl, vec![0x06, 0x00, 0x01, 0x00, 0x00, 0x04, 0x00]));
    }

    #[test]
    fn a_malformed_dictionary_marks_nothing() {
        let adl = ExtensionType::APP_DATA_DICTIONARY;
        // The 32-bit ComponentID layout of some drafts: 0x00000004 read as
        // 16-bit IDs is 0x0000 then a cut-short entry.
        assert!(!marks(adl, vec![0x05, 0x00, 0x00, 0x00, 0x04, 0x00]));
        // Unsorted, and duplicated IDs.
        assert!(!marks(adl, vec![0x06, 0x00, 0x05, 0x00, 0x00, 0x04, 0x00]));
        assert!(!marks(adl, vec![0x06, 0x00, 0x04, 0x00, 0x00, 0x04, 0x00]));
        // A byte after the list.
        assert!(!marks(adl, vec![0x03, 0x00, 0x04, 0x00, 0x00]));
    }
}
