//! Strictness of the key-package decoder (rule KP-DECODE, RFC 9420 §2.1.2):
//! real key packages from the MLS working group's vectors, patched one field
//! at a time, and inputs that claim more than they hold.
//!
//! Offsets inside the vectors come from an independent walk of the wire
//! layout written in this file, not from the decoder under test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use keypackage_core::traits::{CredentialType, ExtensionType, ProtocolVersion};
use keypackage_core::{Credential, DecodeError, Extensions, KeyPackageIn, MlsMessageIn};
use keypackage_traits::codec::{MAX_VARINT_LEN, VarBytes, VarVec};
use serde_json::Value;
use tls_codec::{DeserializeBytes, Error, Size};

// ---------------------------------------------------------------------------
// Vectors

fn vector_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/mlswg")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex_field(case: &Value, key: &str) -> Vec<u8> {
    hex::decode(
        case[key]
            .as_str()
            .unwrap_or_else(|| panic!("no field {key}")),
    )
    .unwrap_or_else(|e| panic!("field {key}: {e}"))
}

/// Every distinct bare key package of the vector files, labelled.
fn vector_key_packages() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut push = |label: String, bare: Vec<u8>| {
        if !out.iter().any(|(_, b)| *b == bare) {
            out.push((label, bare));
        }
    };
    let strip_message = |bytes: Vec<u8>| {
        assert_eq!(
            bytes[..4],
            [0x00, 0x01, 0x00, 0x05],
            "mls_key_package header"
        );
        bytes[4..].to_vec()
    };
    let messages = vector_file("messages.json");
    for (i, case) in messages.as_array().unwrap().iter().enumerate() {
        push(
            format!("messages[{i}].mls_key_package"),
            strip_message(hex_field(case, "mls_key_package")),
        );
        push(
            format!("messages[{i}].add_proposal"),
            hex_field(case, "add_proposal"),
        );
    }
    for file in ["passive-client-welcome.json", "welcome.json"] {
        let v = vector_file(file);
        for (i, case) in v.as_array().unwrap().iter().enumerate() {
            push(
                format!("{file}[{i}].key_package"),
                strip_message(hex_field(case, "key_package")),
            );
        }
    }
    let tree = vector_file("tree-operations.json");
    for (i, case) in tree.as_array().unwrap().iter().enumerate() {
        let proposal = hex_field(case, "proposal");
        if proposal[..2] == [0x00, 0x01] {
            push(format!("tree-operations[{i}]"), proposal[2..].to_vec());
        }
    }
    assert_eq!(out.len(), 665);
    out
}

fn tree_operations_key_packages() -> Vec<Vec<u8>> {
    let tree = vector_file("tree-operations.json");
    tree.as_array()
        .unwrap()
        .iter()
        .map(|case| hex_field(case, "proposal"))
        .filter(|p| p[..2] == [0x00, 0x01])
        .map(|p| p[2..].to_vec())
        .collect()
}

fn welcome_json_key_package(index: usize) -> Vec<u8> {
    let file = vector_file("welcome.json");
    hex_field(&file[index], "key_package")[4..].to_vec()
}

// ---------------------------------------------------------------------------
// An independent walk of the KeyPackage layout (RFC 9420 §5.3, §7.2, §10)

/// A varint length prefix found in an encoding.
#[derive(Clone, Copy, Debug)]
struct Prefix {
    /// Offset of its first byte.
    at: usize,
    /// 1, 2 or 4.
    width: usize,
    /// The length it states.
    value: usize,
    /// What it is the length of.
    field: &'static str,
}

/// Offsets of the parts of one key-package encoding.
#[derive(Debug)]
struct Layout {
    /// Prefixes that sit directly in KeyPackage, LeafNode, Credential or
    /// Capabilities: none of them is inside another length-prefixed vector.
    top_level: Vec<Prefix>,
    credential_type_at: usize,
    leaf_node_source_at: usize,
    /// `KeyPackage.extensions` list prefix.
    extensions: Prefix,
    /// Each extension's `extension_data` prefix inside that list.
    extension_data: Vec<Prefix>,
    leaf_start: usize,
    leaf_tbs_end: usize,
    tbs_end: usize,
}

struct Walker<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Walker<'_> {
    fn varint(&mut self, field: &'static str) -> Prefix {
        let first = self.bytes[self.pos];
        let width = match first >> 6 {
            0b00 => 1,
            0b01 => 2,
            0b10 => 4,
            _ => panic!("0b11 prefix in a vector"),
        };
        let mut value = usize::from(first & 0x3F);
        for b in &self.bytes[self.pos + 1..self.pos + width] {
            value = (value << 8) | usize::from(*b);
        }
        let prefix = Prefix {
            at: self.pos,
            width,
            value,
            field,
        };
        self.pos += width;
        prefix
    }

    fn vector(&mut self, field: &'static str) -> Prefix {
        let prefix = self.varint(field);
        self.pos += prefix.value;
        prefix
    }

    fn u16(&mut self) -> u16 {
        let v = u16::from_be_bytes([self.bytes[self.pos], self.bytes[self.pos + 1]]);
        self.pos += 2;
        v
    }
}

fn walk(bytes: &[u8]) -> Layout {
    let mut w = Walker { bytes, pos: 4 }; // version, cipher_suite
    let mut top = vec![w.vector("init_key")];
    let leaf_start = w.pos;
    top.push(w.vector("encryption_key"));
    top.push(w.vector("signature_key"));
    let credential_type_at = w.pos;
    let credential_type = w.u16();
    top.push(w.vector(match credential_type {
        1 => "credential.identity",
        2 => "credential.certificates",
        _ => "credential.opaque",
    }));
    for field in [
        "capabilities.versions",
        "capabilities.cipher_suites",
        "capabilities.extensions",
        "capabilities.proposals",
        "capabilities.credentials",
    ] {
        top.push(w.vector(field));
    }
    let leaf_node_source_at = w.pos;
    let source = bytes[w.pos];
    w.pos += 1;
    match source {
        1 => w.pos += 16,
        2 => {}
        3 => top.push(w.vector("parent_hash")),
        other => panic!("leaf_node_source {other}"),
    }
    top.push(w.vector("leaf_node.extensions"));
    let leaf_tbs_end = w.pos;
    top.push(w.vector("leaf_node.signature"));
    let extensions = w.varint("extensions");
    let list_end = w.pos + extensions.value;
    let mut extension_data = Vec::new();
    while w.pos < list_end {
        w.u16();
        extension_data.push(w.vector("extension_data"));
    }
    assert_eq!(w.pos, list_end, "extension list misaligned");
    top.push(extensions);
    let tbs_end = w.pos;
    top.push(w.vector("signature"));
    assert_eq!(w.pos, bytes.len(), "walk did not end at the end");
    Layout {
        top_level: top,
        credential_type_at,
        leaf_node_source_at,
        extensions,
        extension_data,
        leaf_start,
        leaf_tbs_end,
        tbs_end,
    }
}

/// Minimal varint, written here from RFC 9420 §2.1.2.
fn varint(value: usize) -> Vec<u8> {
    let v = u32::try_from(value).unwrap();
    match value {
        0..=63 => vec![v as u8],
        64..=16383 => (v as u16 | 0x4000).to_be_bytes().to_vec(),
        _ => {
            assert!(value <= MAX_VARINT_LEN);
            (v | 0x8000_0000).to_be_bytes().to_vec()
        }
    }
}

/// `bytes` with `bytes[at..at + width]` replaced by `with`.
fn splice(bytes: &[u8], at: usize, width: usize, with: &[u8]) -> Vec<u8> {
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(with);
    out.extend_from_slice(&bytes[at + width..]);
    out
}

/// Non-canonical spellings of `value` (RFC 9420 §2.1.2 forbids all of them):
/// every wider width, the 8-byte `0b11` form, and the minimal form with its
/// top bits forced to `0b11`.
fn non_canonical_forms(value: usize, width: usize) -> Vec<(String, Vec<u8>)> {
    let v = u32::try_from(value).unwrap();
    let mut forms = Vec::new();
    if width < 2 {
        forms.push((
            "2-byte".to_string(),
            (v as u16 | 0x4000).to_be_bytes().to_vec(),
        ));
    }
    if width < 4 {
        forms.push((
            "4-byte".to_string(),
            (v | 0x8000_0000).to_be_bytes().to_vec(),
        ));
    }
    forms.push((
        "8-byte 0b11".to_string(),
        (u64::from(v) | 0xC000_0000_0000_0000)
            .to_be_bytes()
            .to_vec(),
    ));
    let mut forced = varint(value);
    forced[0] |= 0xC0;
    forms.push(("minimal with 0b11 top bits".to_string(), forced));
    forms
}

// ---------------------------------------------------------------------------
// Sanity of the walk itself

#[test]
fn independent_walk_agrees_with_the_encoder_s_signed_spans() {
    for (label, bare) in vector_key_packages() {
        let layout = walk(&bare);
        let kp = KeyPackageIn::decode(&bare).unwrap();
        let (bytes, spans) = kp.encode_with_spans().unwrap();
        assert_eq!(bytes, bare, "{label}");
        assert_eq!(spans.leaf_start, layout.leaf_start, "{label}");
        assert_eq!(spans.leaf_tbs_end, layout.leaf_tbs_end, "{label}");
        assert_eq!(spans.tbs_end, layout.tbs_end, "{label}");
        assert_eq!(kp.extensions.len(), layout.extension_data.len(), "{label}");
    }
}

// ---------------------------------------------------------------------------
// 6. Non-canonical lengths inside real key packages

#[test]
fn non_minimal_and_0b11_length_prefixes_in_vector_key_packages_are_invalid_length() {
    let mut patched = 0usize;
    let mut fields = BTreeSet::new();
    let mut widths = BTreeSet::new();
    for (label, bare) in vector_key_packages() {
        let layout = walk(&bare);
        for prefix in &layout.top_level {
            // The walk found the canonical form: re-spelling it minimally
            // changes nothing.
            assert_eq!(
                bare[prefix.at..prefix.at + prefix.width],
                varint(prefix.value)[..],
                "{label} {}",
                prefix.field
            );
            for (form, bytes) in non_canonical_forms(prefix.value, prefix.width) {
                let input = splice(&bare, prefix.at, prefix.width, &bytes);
                assert_eq!(
                    KeyPackageIn::decode(&input),
                    Err(DecodeError::InvalidLength),
                    "{label}: {} = {} as {form}",
                    prefix.field,
                    prefix.value
                );
                let mut message = vec![0x00, 0x01, 0x00, 0x05];
                message.extend_from_slice(&input);
                assert_eq!(
                    MlsMessageIn::decode_key_package(&message),
                    Err(DecodeError::InvalidLength),
                    "{label} in an MLSMessage: {} as {form}",
                    prefix.field
                );
                patched += 1;
            }
            fields.insert(prefix.field);
            widths.insert(prefix.width);
        }
    }
    println!("{patched} patched key packages; fields {fields:?}; widths {widths:?}");
    // Both one- and two-byte prefixes were exercised (e.g. 64-byte Ed25519
    // signatures, 65-byte P-256 keys).
    assert_eq!(widths, BTreeSet::from([1, 2]));
    assert!(fields.contains("capabilities.credentials") && fields.contains("signature"));
}

#[test]
fn non_minimal_extension_data_length_inside_the_extension_list_is_invalid_length() {
    // tree-operations key packages carry one GREASE extension in
    // KeyPackage.extensions; widen its extension_data length and grow the
    // enclosing list length by the bytes added, so only the inner prefix is
    // non-canonical.
    for bare in tree_operations_key_packages() {
        let layout = walk(&bare);
        assert_eq!(layout.extension_data.len(), 1);
        let inner = layout.extension_data[0];
        let outer = layout.extensions;
        assert_eq!((outer.width, inner.width), (1, 1));
        for (form, bytes) in non_canonical_forms(inner.value, inner.width) {
            let grown = bytes.len() - inner.width;
            let new_outer = varint(outer.value + grown);
            assert_eq!(new_outer.len(), 1, "list stays below 64 bytes");
            let input = splice(&bare, inner.at, inner.width, &bytes);
            let input = splice(&input, outer.at, outer.width, &new_outer);
            assert_eq!(
                KeyPackageIn::decode(&input),
                Err(DecodeError::InvalidLength),
                "extension_data as {form}"
            );
        }
        // Control: the same surgery with the canonical spelling decodes and
        // re-encodes to the original.
        let input = splice(&bare, inner.at, inner.width, &varint(inner.value));
        assert_eq!(
            KeyPackageIn::decode(&input).unwrap().encode().unwrap(),
            bare
        );
    }
}

#[test]
fn changing_the_last_length_by_one_fails_with_the_exact_error() {
    for (label, bare) in vector_key_packages().into_iter().step_by(7) {
        let layout = walk(&bare);
        let signature = *layout.top_level.last().unwrap();
        assert_eq!(signature.field, "signature");
        // One byte fewer claimed: the last body byte is left over, whatever
        // width the new prefix takes (64 -> 63 shrinks it to one byte).
        let shorter = splice(
            &bare,
            signature.at,
            signature.width,
            &varint(signature.value - 1),
        );
        assert_eq!(
            KeyPackageIn::decode(&shorter),
            Err(DecodeError::TrailingBytes { count: 1 }),
            "{label}"
        );
        // One byte more claimed than the input holds.
        let longer = splice(
            &bare,
            signature.at,
            signature.width,
            &varint(signature.value + 1),
        );
        assert_eq!(
            KeyPackageIn::decode(&longer),
            Err(DecodeError::Truncated),
            "{label}"
        );
    }
}

#[test]
fn a_vector_body_that_splits_an_element_is_refused() {
    // capabilities.versions<V> holds uint16 values; an odd length leaves half
    // an element at the end of the body. The suite-1 key package of
    // welcome.json lists versions = [mls10] (2 bytes).
    let bare = welcome_json_key_package(0);
    let layout = walk(&bare);
    let versions = *layout
        .top_level
        .iter()
        .find(|p| p.field == "capabilities.versions")
        .unwrap();
    assert_eq!((versions.width, versions.value), (1, 2));
    assert_eq!(bare[versions.at + 1..versions.at + 3], [0x00, 0x01]);

    for odd_len in [1u8, 3] {
        let mut odd = bare.clone();
        odd[versions.at] = odd_len;
        let err = KeyPackageIn::decode(&odd).unwrap_err();
        // Refused. The element reader runs out of body bytes, which the
        // codec reports as the end of the input (DecodeError::Truncated);
        // InvalidLength's doc also names "a vector whose elements overrun its
        // length". Either way the key package is not accepted.
        assert!(
            matches!(err, DecodeError::Truncated | DecodeError::InvalidLength),
            "length {odd_len}: {err:?}"
        );
        println!("capabilities.versions of {odd_len} bytes: {err:?}");
    }
}

// ---------------------------------------------------------------------------
// Trailing bytes

#[test]
fn trailing_bytes_are_refused_with_their_count() {
    for (label, bare) in vector_key_packages().into_iter().step_by(11) {
        for extra in [&[0x00][..], &[0xFF], &[0x00, 0x01, 0x02]] {
            let mut input = bare.clone();
            input.extend_from_slice(extra);
            assert_eq!(
                KeyPackageIn::decode(&input),
                Err(DecodeError::TrailingBytes { count: extra.len() }),
                "{label}"
            );
            let mut message = vec![0x00, 0x01, 0x00, 0x05];
            message.extend_from_slice(&input);
            assert_eq!(
                MlsMessageIn::decode_key_package(&message),
                Err(DecodeError::TrailingBytes { count: extra.len() }),
                "{label} as MLSMessage"
            );
        }
    }
    // A Welcome too.
    let welcome = vector_file("welcome.json");
    let mut message = hex_field(&welcome[0], "welcome");
    assert!(MlsMessageIn::decode(&message).is_ok());
    message.push(0);
    assert_eq!(
        MlsMessageIn::decode(&message),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
}

// ---------------------------------------------------------------------------
// Enumerated and open fields

#[test]
fn unknown_leaf_node_source_values_are_refused() {
    let bare = welcome_json_key_package(0);
    let layout = walk(&bare);
    assert_eq!(bare[layout.leaf_node_source_at], 1, "key_package(1)");
    // reserved(0) and unassigned values: the body's shape is unknown.
    for value in [0u8, 4, 5, 0x7F, 0xFF] {
        let mut input = bare.clone();
        input[layout.leaf_node_source_at] = value;
        assert_eq!(
            KeyPackageIn::decode(&input),
            Err(DecodeError::UnknownValue {
                value: u64::from(value)
            }),
            "leaf_node_source {value}"
        );
    }
}

#[test]
fn leaf_node_source_update_and_commit_decode_with_their_own_bodies() {
    // Decoding accepts any defined source; KP-LEAF-SOURCE is validation's.
    let bare = welcome_json_key_package(0);
    let layout = walk(&bare);
    let at = layout.leaf_node_source_at;
    let lifetime = at + 1..at + 17;

    // update(2): no body; drop the 16 lifetime bytes.
    let mut update = bare[..at].to_vec();
    update.push(2);
    update.extend_from_slice(&bare[lifetime.end..]);
    let kp = KeyPackageIn::decode(&update).unwrap();
    assert_eq!(
        kp.leaf_node.leaf_node_source,
        keypackage_core::LeafNodeSource::Update
    );
    assert_eq!(kp.encode().unwrap(), update);

    // commit(3): parent_hash<V>; 32 bytes in place of the lifetime.
    let mut commit = bare[..at].to_vec();
    commit.push(3);
    commit.push(32);
    commit.extend_from_slice(&[0xAB; 32]);
    commit.extend_from_slice(&bare[lifetime.end..]);
    let kp = KeyPackageIn::decode(&commit).unwrap();
    assert_eq!(
        kp.leaf_node.leaf_node_source,
        keypackage_core::LeafNodeSource::Commit(VarBytes(vec![0xAB; 32]))
    );
    assert_eq!(kp.encode().unwrap(), commit);
    assert_eq!(kp.tls_serialized_len(), commit.len());

    // The lifetime left in place after update(2) does not parse as the rest.
    let mut stale = bare.clone();
    stale[at] = 2;
    assert!(KeyPackageIn::decode(&stale).is_err());
}

#[test]
fn unknown_credential_types_are_kept_opaque_and_re_encoded_byte_for_byte() {
    for bare in [welcome_json_key_package(0), welcome_json_key_package(1)] {
        let layout = walk(&bare);
        let at = layout.credential_type_at;
        assert_eq!(bare[at..at + 2], [0x00, 0x01], "basic");
        let original = KeyPackageIn::decode(&bare).unwrap();
        let Credential::Basic { identity } = &original.leaf_node.credential else {
            panic!("basic credential expected");
        };
        // GREASE, private use, the top value, and reserved(0).
        for value in [0x3A3Au16, 0xF000, 0xFFFF, 0x0000, 0x0003] {
            let mut input = bare.clone();
            input[at..at + 2].copy_from_slice(&value.to_be_bytes());
            let kp = KeyPackageIn::decode(&input).unwrap();
            assert_eq!(
                kp.leaf_node.credential,
                Credential::Other {
                    credential_type: CredentialType(value),
                    data: identity.clone(),
                }
            );
            assert_eq!(
                kp.leaf_node.credential.credential_type(),
                CredentialType(value)
            );
            assert_eq!(kp.encode().unwrap(), input, "type {value:#06x}");
            assert_eq!(kp.tls_serialized_len(), input.len());
        }
    }
}

#[test]
fn other_wire_formats_are_unexpected_wire_format() {
    let welcome = vector_file("welcome.json");
    let message = hex_field(&welcome[0], "key_package");
    assert!(MlsMessageIn::decode_key_package(&message).is_ok());
    // public_message(1), private_message(2), group_info(4), reserved(0),
    // and unassigned values.
    for wire_format in [0u16, 1, 2, 4, 6, 0x0A0A, 0xFFFF] {
        let mut input = message.clone();
        input[2..4].copy_from_slice(&wire_format.to_be_bytes());
        assert_eq!(
            MlsMessageIn::decode(&input),
            Err(DecodeError::UnexpectedWireFormat { wire_format })
        );
        assert_eq!(
            MlsMessageIn::decode_key_package(&input),
            Err(DecodeError::UnexpectedWireFormat { wire_format })
        );
    }
    // A key package where a Welcome is expected fails as a Welcome body.
    let mut as_welcome = message.clone();
    as_welcome[2..4].copy_from_slice(&[0x00, 0x03]);
    assert!(MlsMessageIn::decode(&as_welcome).is_err());
    // The message version is kept as sent; validation checks it (KP-VER).
    let mut version_2 = message.clone();
    version_2[..2].copy_from_slice(&[0x00, 0x02]);
    let (version, _) = MlsMessageIn::decode_key_package(&version_2).unwrap();
    assert_eq!(version, ProtocolVersion(2));
    // Shorter than the MLSMessage header.
    for cut in 0..4 {
        assert_eq!(
            MlsMessageIn::decode(&message[..cut]),
            Err(DecodeError::Truncated)
        );
    }
}

#[test]
fn duplicate_extension_types_are_decoded_and_kept_for_kp_dup_ext() {
    for bare in tree_operations_key_packages() {
        let layout = walk(&bare);
        let list = layout.extensions;
        // Repeat the list's single element: same type, same body.
        let body = &bare[list.at + list.width..list.at + list.width + list.value];
        let mut doubled = body.to_vec();
        doubled.extend_from_slice(body);
        let mut input = bare[..list.at].to_vec();
        input.extend_from_slice(&varint(doubled.len()));
        input.extend_from_slice(&doubled);
        input.extend_from_slice(&bare[list.at + list.width + list.value..]);

        let kp = KeyPackageIn::decode(&input).unwrap();
        assert_eq!(kp.extensions.len(), 2);
        let [a, b] = kp.extensions.as_slice() else {
            panic!("two extensions expected");
        };
        assert_eq!(a, b, "kept as sent, duplicates included");
        assert!(a.extension_type.is_grease());
        assert_eq!(kp.encode().unwrap(), input);

        // The same in LeafNode.extensions, built from the decoded value and
        // checked against the bytes: one more copy of the leaf extension.
        let original = KeyPackageIn::decode(&bare).unwrap();
        let leaf_ext = original.leaf_node.extensions.as_slice()[0].clone();
        let mut changed = original.clone();
        changed.leaf_node.extensions =
            Extensions::from(vec![leaf_ext.clone(), leaf_ext.clone(), leaf_ext]);
        let bytes = changed.encode().unwrap();
        let decoded = KeyPackageIn::decode(&bytes).unwrap();
        assert_eq!(decoded.leaf_node.extensions.len(), 3);
        assert_eq!(decoded, changed);
    }
    // Two distinct types, one of them twice, order kept.
    let bare = welcome_json_key_package(0);
    let mut kp = KeyPackageIn::decode(&bare).unwrap();
    for t in [0x0A0Au16, 0xF000, 0x0A0A] {
        kp.extensions.push(keypackage_core::Extension::new(
            ExtensionType(t),
            vec![t as u8],
        ));
    }
    let again = KeyPackageIn::decode(&kp.encode().unwrap()).unwrap();
    let types: Vec<u16> = again
        .extensions
        .iter()
        .map(|e| e.extension_type.0)
        .collect();
    assert_eq!(types, [0x0A0A, 0xF000, 0x0A0A]);
}

// ---------------------------------------------------------------------------
// 5. A length prefix never makes the decoder allocate more than the input holds

/// 5 bytes: a vector claiming 2^30 - 1 bytes, and one byte of body.
const GIGABYTE_CLAIM: [u8; 5] = [0xBF, 0xFF, 0xFF, 0xFF, 0x00];

/// Inputs that each claim a ~1 GiB vector somewhere, and what decoding them
/// must report.
fn gigabyte_claims() {
    assert_eq!(
        VarBytes::tls_deserialize_bytes(&GIGABYTE_CLAIM),
        Err(Error::EndOfStream)
    );
    assert_eq!(
        VarVec::<u8>::tls_deserialize_bytes(&GIGABYTE_CLAIM),
        Err(Error::EndOfStream)
    );
    assert_eq!(
        Extensions::tls_deserialize_bytes(&GIGABYTE_CLAIM),
        Err(Error::EndOfStream)
    );

    // KeyPackage: version, suite, then init_key<V> claims a gigabyte.
    let mut kp = vec![0x00, 0x01, 0x00, 0x01];
    kp.extend_from_slice(&GIGABYTE_CLAIM);
    assert_eq!(KeyPackageIn::decode(&kp), Err(DecodeError::Truncated));

    // The same inside an MLSMessage, and a Welcome whose secrets<V> claims it.
    let mut message = vec![0x00, 0x01, 0x00, 0x05];
    message.extend_from_slice(&kp);
    assert_eq!(MlsMessageIn::decode(&message), Err(DecodeError::Truncated));
    let mut welcome = vec![0x00, 0x01, 0x00, 0x03, 0x00, 0x01];
    welcome.extend_from_slice(&GIGABYTE_CLAIM);
    assert_eq!(MlsMessageIn::decode(&welcome), Err(DecodeError::Truncated));

    // Deeper: a real key package whose KeyPackage.extensions list claims a
    // gigabyte and holds what the vector holds.
    let bare = welcome_json_key_package(0);
    let layout = walk(&bare);
    let list = layout.extensions;
    let input = splice(&bare, list.at, list.width, &GIGABYTE_CLAIM[..4]);
    assert_eq!(KeyPackageIn::decode(&input), Err(DecodeError::Truncated));
}

#[test]
fn gigabyte_claims_with_one_byte_of_input_are_truncated() {
    gigabyte_claims();
}

/// Address-space limit of the child process: far below the 1 GiB that a
/// decoder reserving the claimed length would map.
#[cfg(unix)]
const CHILD_ADDRESS_SPACE_KIB: u32 = 512 * 1024;
#[cfg(unix)]
const CHILD_MODE: &str = "KEYPACKAGE_WIRE_STRICTNESS_CHILD";
#[cfg(unix)]
const CHILD_TEST: &str = "gigabyte_claims_are_refused_under_a_512_mib_address_space_limit";

#[cfg(unix)]
fn run_child(mode: &str) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {CHILD_ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args(["--exact", CHILD_TEST, "--test-threads=1", "--nocapture"])
        .env(CHILD_MODE, mode)
        .output()
        .unwrap()
}

/// Runs the decoders in a child process whose address space is capped at
/// 512 MiB (RLIMIT_AS through the shell's `ulimit -v`). A decoder that
/// reserved the claimed 2^30 - 1 bytes (`Vec::with_capacity`, `vec![0; n]`)
/// would map 1 GiB whether or not it touches it; the mapping fails and the
/// process aborts with "memory allocation of … failed". The canary child
/// does exactly that reservation, proving the limit bites.
#[cfg(unix)]
#[test]
fn gigabyte_claims_are_refused_under_a_512_mib_address_space_limit() {
    match std::env::var(CHILD_MODE).as_deref() {
        Ok("decode") => {
            gigabyte_claims();
            return;
        }
        Ok("canary") => {
            let reserved: Vec<u8> = Vec::with_capacity(std::hint::black_box(MAX_VARINT_LEN));
            std::hint::black_box(&reserved);
            return;
        }
        _ => {}
    }

    let decode = run_child("decode");
    let stdout = String::from_utf8_lossy(&decode.stdout);
    let stderr = String::from_utf8_lossy(&decode.stderr);
    assert!(
        decode.status.success() && stdout.contains("1 passed"),
        "decoding under the limit failed: {:?}\n{stdout}\n{stderr}",
        decode.status
    );

    let canary = run_child("canary");
    let stderr = String::from_utf8_lossy(&canary.stderr);
    assert!(
        !canary.status.success() && stderr.contains("memory allocation of"),
        "a 1 GiB reservation was not stopped by the limit: {:?}\n{stderr}",
        canary.status
    );
}
