//! Wire-format acceptance tests against the MLS working group's vectors
//! (rule KP-DECODE; RFC 9420 §2.1.2, §6, §10, §12.4.3.1).
//!
//! Expected bytes come from `testdata/mlswg/` (provenance in its README) or
//! from literal tables written here, never from our encoder alone.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use keypackage_core::traits::ProtocolVersion;
use keypackage_core::{Credential, DecodeError, Extension, KeyPackageIn, MlsMessageIn};
use keypackage_traits::codec::{
    MAX_VARINT_LEN, VarBytes, VarVec, prefixed_len, read_varint, varint_len, write_varint,
};
use keypackage_traits::{ExtensionType, is_grease_value};
use serde_json::Value;
use tls_codec::{DeserializeBytes, Error, Serialize, Size};

// ---------------------------------------------------------------------------
// Vector loading

fn vector_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/mlswg")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases(file: &Value) -> &[Value] {
    file.as_array().expect("a vector file is a JSON array")
}

fn hex_field(case: &Value, key: &str) -> Vec<u8> {
    let text = case[key]
        .as_str()
        .unwrap_or_else(|| panic!("field {key} missing or not a string"));
    hex::decode(text).unwrap_or_else(|e| panic!("field {key}: {e}"))
}

/// `MLSMessage` header for `mls_key_package`: version mls10 (0x0001), wire
/// format 5 (RFC 9420 §6, §17.2).
const KEY_PACKAGE_MESSAGE_HEADER: [u8; 4] = [0x00, 0x01, 0x00, 0x05];
/// `MLSMessage` header for `mls_welcome`: version mls10, wire format 3.
const WELCOME_MESSAGE_HEADER: [u8; 4] = [0x00, 0x01, 0x00, 0x03];
/// `uint16 proposal_type` of an Add proposal (RFC 9420 §12.1, §17.4).
const ADD_PROPOSAL_TYPE: [u8; 2] = [0x00, 0x01];

/// Decodes an MLSMessage-wrapped key package and checks that it re-encodes
/// to the same bytes; returns the bare key-package bytes and the decoded value.
fn round_trip_message(bytes: &[u8], what: &str) -> (Vec<u8>, KeyPackageIn) {
    assert_eq!(
        bytes.get(..4),
        Some(&KEY_PACKAGE_MESSAGE_HEADER[..]),
        "{what}: not an mls10 mls_key_package message"
    );
    let (version, kp) = MlsMessageIn::decode_key_package(bytes)
        .unwrap_or_else(|e| panic!("{what}: MLSMessage does not decode: {e:?}"));
    assert_eq!(version, ProtocolVersion::MLS10, "{what}");
    let bare = bytes[4..].to_vec();
    check_bare_round_trip(&bare, &kp, what);
    (bare, kp)
}

/// Decodes a bare key package and checks that it re-encodes identically.
fn round_trip_bare(bytes: &[u8], what: &str) -> KeyPackageIn {
    let kp = KeyPackageIn::decode(bytes)
        .unwrap_or_else(|e| panic!("{what}: KeyPackage does not decode: {e:?}"));
    check_bare_round_trip(bytes, &kp, what);
    kp
}

fn check_bare_round_trip(bare: &[u8], kp: &KeyPackageIn, what: &str) {
    assert_eq!(kp.version, ProtocolVersion::MLS10, "{what}");
    assert_eq!(
        kp.tls_serialized_len(),
        bare.len(),
        "{what}: tls_serialized_len"
    );
    assert_eq!(kp.encode().unwrap(), bare, "{what}: re-encoding differs");
    let (with_spans, _) = kp.encode_with_spans().unwrap();
    assert_eq!(with_spans, bare, "{what}: encode_with_spans differs");
    assert_eq!(
        &KeyPackageIn::decode(bare).unwrap(),
        kp,
        "{what}: decode is not stable"
    );
}

/// Every key package of the vector files, by source, as (label, bare bytes,
/// decoded value); each is checked to round-trip on the way.
struct VectorKeyPackages {
    messages_mls_key_package: Vec<(String, Vec<u8>, KeyPackageIn)>,
    messages_add_proposal: Vec<(String, Vec<u8>, KeyPackageIn)>,
    passive_client_welcome: Vec<(String, Vec<u8>, KeyPackageIn)>,
    welcome: Vec<(String, Vec<u8>, KeyPackageIn)>,
    tree_operations: Vec<(String, Vec<u8>, KeyPackageIn)>,
    /// Occurrences of key-package bytes seen, duplicates included.
    occurrences: usize,
}

fn load_all_key_packages() -> VectorKeyPackages {
    let mut out = VectorKeyPackages {
        messages_mls_key_package: Vec::new(),
        messages_add_proposal: Vec::new(),
        passive_client_welcome: Vec::new(),
        welcome: Vec::new(),
        tree_operations: Vec::new(),
        occurrences: 0,
    };

    let messages = vector_file("messages.json");
    for (i, case) in cases(&messages).iter().enumerate() {
        let what = format!("messages.json[{i}].mls_key_package");
        let (bare, kp) = round_trip_message(&hex_field(case, "mls_key_package"), &what);
        out.messages_mls_key_package.push((what, bare, kp));

        // `add_proposal` is a serialized Add: `struct { KeyPackage key_package; }`.
        let what = format!("messages.json[{i}].add_proposal");
        let bare = hex_field(case, "add_proposal");
        let kp = round_trip_bare(&bare, &what);
        // The same key package travels again inside `public_message_proposal`.
        let public = hex_field(case, "public_message_proposal");
        let again = public.windows(bare.len()).filter(|w| *w == bare).count();
        assert_eq!(
            again, 1,
            "{what}: not found once in public_message_proposal"
        );
        // mls_key_package, add_proposal, and its copy in public_message_proposal.
        out.occurrences += 3;
        out.messages_add_proposal.push((what, bare, kp));
    }

    let passive = vector_file("passive-client-welcome.json");
    for (i, case) in cases(&passive).iter().enumerate() {
        let what = format!("passive-client-welcome.json[{i}].key_package");
        let (bare, kp) = round_trip_message(&hex_field(case, "key_package"), &what);
        assert_eq!(
            Some(u64::from(kp.cipher_suite.0)),
            case["cipher_suite"].as_u64(),
            "{what}"
        );
        out.occurrences += 1;
        out.passive_client_welcome.push((what, bare, kp));
    }

    let welcome = vector_file("welcome.json");
    for (i, case) in cases(&welcome).iter().enumerate() {
        let what = format!("welcome.json[{i}].key_package");
        let (bare, kp) = round_trip_message(&hex_field(case, "key_package"), &what);
        assert_eq!(
            Some(u64::from(kp.cipher_suite.0)),
            case["cipher_suite"].as_u64(),
            "{what}"
        );
        out.occurrences += 1;
        out.welcome.push((what, bare, kp));
    }

    // tree-operations.json: `proposal` is a TLS-serialized Proposal,
    // `uint16 proposal_type` then the body; for add(1) the body is the Add,
    // i.e. a KeyPackage. Remove(3) and update(2) proposals carry none.
    let tree = vector_file("tree-operations.json");
    for (i, case) in cases(&tree).iter().enumerate() {
        let proposal = hex_field(case, "proposal");
        if proposal.get(..2) != Some(&ADD_PROPOSAL_TYPE[..]) {
            continue;
        }
        let what = format!("tree-operations.json[{i}].proposal (add)");
        let bare = proposal[2..].to_vec();
        let kp = round_trip_bare(&bare, &what);
        out.occurrences += 1;
        out.tree_operations.push((what, bare, kp));
    }
    out
}

fn distinct(list: &[(String, Vec<u8>, KeyPackageIn)]) -> BTreeSet<Vec<u8>> {
    list.iter().map(|(_, bare, _)| bare.clone()).collect()
}

// ---------------------------------------------------------------------------
// 1. deserialization.json: varint headers

#[test]
fn deserialization_json_varint_headers_decode_and_re_encode_identically() {
    let file = vector_file("deserialization.json");
    let entries = cases(&file);
    assert_eq!(entries.len(), 14, "deserialization.json has 14 headers");
    for entry in entries {
        let header = hex_field(entry, "vlbytes_header");
        let length = usize::try_from(entry["length"].as_u64().unwrap()).unwrap();

        // The header alone decodes to its length and consumes everything.
        let (value, rest) = read_varint(&header).unwrap();
        assert_eq!(value, length, "header {}", hex::encode(&header));
        assert!(rest.is_empty());
        // Any following bytes are left alone.
        let mut longer = header.clone();
        longer.extend_from_slice(&[0xAA, 0xBB]);
        assert_eq!(read_varint(&longer).unwrap(), (length, &[0xAA, 0xBB][..]));

        // Encoding the length gives back the very same header.
        let mut encoded = Vec::new();
        assert_eq!(write_varint(length, &mut encoded).unwrap(), header.len());
        assert_eq!(encoded, header, "length {length}");
        assert_eq!(varint_len(length), Some(header.len()));
        assert_eq!(prefixed_len(length), header.len() + length);

        if length <= 1 << 16 {
            // As an `opaque<V>` with a body of exactly `length` bytes.
            let mut vector = header.clone();
            vector.extend((0..length).map(|i| i as u8));
            let bytes = VarBytes::tls_deserialize_exact_bytes(&vector).unwrap();
            assert_eq!(bytes.0.len(), length);
            assert_eq!(bytes.tls_serialized_len(), vector.len());
            assert_eq!(bytes.tls_serialize_detached().unwrap(), vector);
            // One body byte short: refused.
            vector.pop();
            assert_eq!(
                VarBytes::tls_deserialize_bytes(&vector),
                Err(Error::EndOfStream)
            );
        } else {
            // 2^30 - 1: the header with no body is refused without allocating.
            assert_eq!(length, MAX_VARINT_LEN);
            assert_eq!(
                VarBytes::tls_deserialize_bytes(&header),
                Err(Error::EndOfStream)
            );
        }
    }
}

#[test]
fn varint_negative_cases_0b11_non_minimal_and_truncated() {
    // The 0b11 prefix (RFC 9420 §2.1.2: "invalid"), whatever follows.
    let prefix_0b11: [&[u8]; 5] = [
        &[0xC0],
        &[0xC0, 0, 0, 0, 0, 0, 0, 0],
        &[0xC0, 0, 0, 0, 0, 0, 0, 0x05],
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        &[0xC0, 0, 0, 0, 0x40, 0, 0, 0],
    ];
    // Non-minimal encodings at each width: (bytes, the value they spell).
    let non_minimal: [(&[u8], usize); 8] = [
        (&[0x40, 0x00], 0),
        (&[0x40, 0x05], 5),
        (&[0x40, 0x3F], 63),
        (&[0x80, 0x00, 0x00, 0x00], 0),
        (&[0x80, 0x00, 0x00, 0x3F], 63),
        (&[0x80, 0x00, 0x00, 0x40], 64),
        (&[0x80, 0x00, 0x01, 0x00], 256),
        (&[0x80, 0x00, 0x3F, 0xFF], 16383),
    ];
    // Headers that stop inside the varint.
    let truncated: [&[u8]; 7] = [
        &[],
        &[0x40],
        &[0x7F],
        &[0x80],
        &[0x80, 0x00],
        &[0x80, 0x00, 0x40],
        &[0xBF, 0xFF, 0xFF],
    ];

    for bytes in prefix_0b11 {
        assert_eq!(
            read_varint(bytes),
            Err(Error::InvalidVectorLength),
            "{bytes:02x?}"
        );
        let err = VarBytes::tls_deserialize_bytes(bytes).unwrap_err();
        assert_eq!(DecodeError::from(err), DecodeError::InvalidLength);
    }
    for (bytes, value) in non_minimal {
        // The value is what the bytes spell if minimality were not checked.
        let spelled = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
            & !(0b11 << (8 * bytes.len() - 2));
        assert_eq!(spelled, value);
        assert_eq!(
            read_varint(bytes),
            Err(Error::InvalidVectorLength),
            "{bytes:02x?}"
        );
        // Even with a body of the spelled length behind it.
        let mut vector = bytes.to_vec();
        vector.extend(std::iter::repeat_n(0x5A, value));
        let err = VarBytes::tls_deserialize_bytes(&vector).unwrap_err();
        assert_eq!(DecodeError::from(err), DecodeError::InvalidLength);
        let err = VarVec::<u8>::tls_deserialize_bytes(&vector).unwrap_err();
        assert_eq!(DecodeError::from(err), DecodeError::InvalidLength);
    }
    for bytes in truncated {
        assert_eq!(read_varint(bytes), Err(Error::EndOfStream), "{bytes:02x?}");
        let err = VarBytes::tls_deserialize_bytes(bytes).unwrap_err();
        assert_eq!(DecodeError::from(err), DecodeError::Truncated);
    }
    // The largest minimal encodings of each width are accepted: 63, 16383, 2^30-1.
    assert_eq!(read_varint(&[0x3F]).unwrap().0, 63);
    assert_eq!(read_varint(&[0x7F, 0xFF]).unwrap().0, 16383);
    assert_eq!(
        read_varint(&[0xBF, 0xFF, 0xFF, 0xFF]).unwrap().0,
        MAX_VARINT_LEN
    );
    // 2^30 has no encoding.
    assert!(write_varint(MAX_VARINT_LEN + 1, &mut Vec::new()).is_err());
}

// ---------------------------------------------------------------------------
// 2. Every key package of the vector files

#[test]
fn all_665_distinct_vector_key_packages_round_trip_byte_for_byte() {
    let all = load_all_key_packages();
    let messages_kp = distinct(&all.messages_mls_key_package);
    let messages_add = distinct(&all.messages_add_proposal);
    let passive = distinct(&all.passive_client_welcome);
    let welcome = distinct(&all.welcome);
    let tree = distinct(&all.tree_operations);

    let messages: BTreeSet<Vec<u8>> = messages_kp.union(&messages_add).cloned().collect();
    let mut every = messages.clone();
    for set in [&passive, &welcome, &tree] {
        every.extend(set.iter().cloned());
    }

    println!(
        "messages.json: {} mls_key_package + {} add_proposal = {} distinct",
        messages_kp.len(),
        messages_add.len(),
        messages.len()
    );
    println!("passive-client-welcome.json: {} distinct", passive.len());
    println!("welcome.json: {} distinct", welcome.len());
    println!(
        "tree-operations.json (Add proposals): {} distinct",
        tree.len()
    );
    println!(
        "total: {} distinct key packages, {} occurrences",
        every.len(),
        all.occurrences
    );

    assert_eq!(messages_kp.len(), 300);
    assert_eq!(messages_add.len(), 300);
    assert_eq!(messages.len(), 600);
    assert_eq!(passive.len(), 56);
    assert_eq!(welcome.len(), 7);
    assert_eq!(tree.len(), 2);
    assert_eq!(every.len(), 665);
    // testdata/mlswg/README.md: 965 occurrences, 665 distinct.
    assert_eq!(all.occurrences, 965);

    // Suites as the README describes them.
    let suites = |list: &[(String, Vec<u8>, KeyPackageIn)]| -> BTreeSet<u16> {
        list.iter().map(|(_, _, kp)| kp.cipher_suite.0).collect()
    };
    assert_eq!(
        suites(&all.messages_mls_key_package),
        BTreeSet::from([1, 2, 3])
    );
    assert_eq!(suites(&all.passive_client_welcome), (1..=7).collect());
    assert_eq!(suites(&all.welcome), (1..=7).collect());
}

/// GREASE code points (RFC 9420 §13.5) of a key package, with where they sit.
fn grease_in(kp: &KeyPackageIn) -> Vec<(&'static str, u16)> {
    let caps = &kp.leaf_node.capabilities;
    let mut found = Vec::new();
    found.extend(caps.versions.iter().map(|v| ("capabilities.versions", v.0)));
    found.extend(
        caps.cipher_suites
            .iter()
            .map(|v| ("capabilities.cipher_suites", v.0)),
    );
    found.extend(
        caps.extensions
            .iter()
            .map(|v| ("capabilities.extensions", v.0)),
    );
    found.extend(
        caps.proposals
            .iter()
            .map(|v| ("capabilities.proposals", v.0)),
    );
    found.extend(
        caps.credentials
            .iter()
            .map(|v| ("capabilities.credentials", v.0)),
    );
    found.extend(
        kp.leaf_node
            .extensions
            .iter()
            .map(|e| ("leaf_node.extensions", e.extension_type.0)),
    );
    found.extend(
        kp.extensions
            .iter()
            .map(|e| ("extensions", e.extension_type.0)),
    );
    found.retain(|(_, v)| is_grease_value(*v));
    found
}

#[test]
fn tree_operations_grease_values_are_decoded_and_survive_the_round_trip() {
    let tree = vector_file("tree-operations.json");
    let mut checked = 0;
    for (i, case) in cases(&tree).iter().enumerate() {
        let proposal = hex_field(case, "proposal");
        if proposal.get(..2) != Some(&ADD_PROPOSAL_TYPE[..]) {
            continue;
        }
        let bare = &proposal[2..];
        let kp = round_trip_bare(bare, &format!("tree-operations.json[{i}]"));
        let grease = grease_in(&kp);
        println!("tree-operations.json[{i}]: {grease:04x?}");

        // GREASE sits in capabilities and as extension types, in the leaf
        // and in KeyPackage.extensions (the latter unlisted, see docs/DESIGN.md §5.1).
        for place in [
            "capabilities.cipher_suites",
            "capabilities.extensions",
            "capabilities.proposals",
            "capabilities.credentials",
            "leaf_node.extensions",
            "extensions",
        ] {
            assert!(
                grease.iter().any(|(p, _)| *p == place),
                "tree-operations.json[{i}]: no GREASE in {place}"
            );
        }
        // Every GREASE value is found, as two identical bytes, in the vector
        // bytes themselves, and the re-encoding carries the same values.
        for (_, value) in &grease {
            let pair = value.to_be_bytes();
            assert!(bare.windows(2).any(|w| w == pair));
        }
        let again = KeyPackageIn::decode(&kp.encode().unwrap()).unwrap();
        assert_eq!(grease_in(&again), grease);
        assert!(
            again
                .extensions
                .iter()
                .all(|e| e.extension_type.is_grease())
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "two Add proposals in tree-operations.json");
}

fn welcome_round_trip(bytes: &[u8], what: &str) -> keypackage_core::Welcome {
    assert_eq!(bytes.get(..4), Some(&WELCOME_MESSAGE_HEADER[..]), "{what}");
    let MlsMessageIn::Welcome { version, welcome } = MlsMessageIn::decode(bytes)
        .unwrap_or_else(|e| panic!("{what}: Welcome does not decode: {e:?}"))
    else {
        panic!("{what}: decoded as another wire format");
    };
    assert_eq!(version, ProtocolVersion::MLS10, "{what}");
    let mut again = Vec::new();
    version.tls_serialize(&mut again).unwrap();
    0x0003u16.tls_serialize(&mut again).unwrap();
    welcome.tls_serialize(&mut again).unwrap();
    assert_eq!(again, bytes, "{what}: re-encoding differs");
    assert_eq!(welcome.tls_serialized_len(), bytes.len() - 4, "{what}");
    assert!(
        !welcome.secrets.is_empty(),
        "{what}: no EncryptedGroupSecrets"
    );
    // `decode_key_package` refuses a Welcome by its wire format.
    assert_eq!(
        MlsMessageIn::decode_key_package(bytes),
        Err(DecodeError::UnexpectedWireFormat { wire_format: 3 }),
        "{what}"
    );
    welcome
}

#[test]
fn welcome_messages_decode_and_re_encode_identically() {
    // welcome.json names its MLSMessage(Welcome) `welcome`.
    let file = vector_file("welcome.json");
    for (i, case) in cases(&file).iter().enumerate() {
        let what = format!("welcome.json[{i}].welcome");
        let welcome = welcome_round_trip(&hex_field(case, "welcome"), &what);
        assert_eq!(
            Some(u64::from(welcome.cipher_suite.0)),
            case["cipher_suite"].as_u64(),
            "{what}"
        );
        // One entry, and its reference has the suite's hash length.
        assert_eq!(welcome.secrets.len(), 1, "{what}");
        let hash_len = welcome.cipher_suite.info().unwrap().hash_len();
        assert_eq!(
            welcome.secrets.as_slice()[0].new_member.as_slice().len(),
            hash_len
        );
    }
    // messages.json names it `mls_welcome`.
    let file = vector_file("messages.json");
    for (i, case) in cases(&file).iter().enumerate() {
        welcome_round_trip(
            &hex_field(case, "mls_welcome"),
            &format!("messages.json[{i}].mls_welcome"),
        );
    }
}

// ---------------------------------------------------------------------------
// 4. Lengths at the varint boundaries inside a real key package

/// Minimal varint headers written out by hand (RFC 9420 §2.1.2), the same
/// ones deserialization.json lists.
fn boundary_header(len: usize) -> &'static [u8] {
    match len {
        0 => &[0x00],
        63 => &[0x3F],
        64 => &[0x40, 0x40],
        16383 => &[0x7F, 0xFF],
        16384 => &[0x80, 0x00, 0x40, 0x00],
        _ => panic!("no literal header for {len}"),
    }
}

const BOUNDARY_LENGTHS: [usize; 5] = [0, 63, 64, 16383, 16384];

/// The suite-1 key package of welcome.json (bare), whose layout is fixed by
/// its suite: 32-byte X25519 and Ed25519 keys, a basic credential.
fn suite_1_key_package() -> Vec<u8> {
    let file = vector_file("welcome.json");
    let case = &cases(&file)[0];
    assert_eq!(case["cipher_suite"].as_u64(), Some(1));
    hex_field(case, "key_package")[4..].to_vec()
}

fn check_encoding(kp: &KeyPackageIn, expected: &[u8], what: &str) {
    let encoded = kp.encode().unwrap();
    assert_eq!(encoded.len(), expected.len(), "{what}: length");
    assert!(
        encoded == expected,
        "{what}: bytes differ from the expected layout"
    );
    assert_eq!(
        kp.tls_serialized_len(),
        expected.len(),
        "{what}: tls_serialized_len"
    );
    let decoded = KeyPackageIn::decode(expected).unwrap();
    assert_eq!(&decoded, kp, "{what}: decode");
    assert_eq!(decoded.encode().unwrap(), expected, "{what}: re-encode");
}

#[test]
fn varint_boundary_lengths_inside_a_key_package_round_trip() {
    let base = suite_1_key_package();
    let kp = KeyPackageIn::decode(&base).unwrap();

    // Layout of a suite-1 key package: version(2) suite(2) init_key(1+32)
    // encryption_key(1+32) signature_key(1+32) credential_type(2), then the
    // basic identity<V>.
    let identity_at = 2 + 2 + 33 + 33 + 33 + 2;
    assert_eq!(
        base[identity_at - 2..identity_at],
        [0x00, 0x01],
        "basic credential"
    );
    let Credential::Basic { identity } = &kp.leaf_node.credential else {
        panic!("expected a basic credential");
    };
    let old_identity_len = identity.0.len();
    assert!(old_identity_len < 64);
    assert_eq!(usize::from(base[identity_at]), old_identity_len);
    let after_identity = identity_at + 1 + old_identity_len;

    // The key package signature is the last field: 64 Ed25519 bytes behind
    // the header 0x40 0x40. KeyPackage.extensions (empty, 0x00) precedes it.
    let signature_at = base.len() - 66;
    assert_eq!(base[signature_at..signature_at + 2], [0x40, 0x40]);
    assert_eq!(base[signature_at - 1], 0x00, "empty KeyPackage.extensions");

    for len in BOUNDARY_LENGTHS {
        // identity<V> of `len` bytes.
        let mut changed = kp.clone();
        changed.leaf_node.credential = Credential::basic(vec![0x69; len]);
        let mut expected = base[..identity_at].to_vec();
        expected.extend_from_slice(boundary_header(len));
        expected.extend(std::iter::repeat_n(0x69, len));
        expected.extend_from_slice(&base[after_identity..]);
        check_encoding(&changed, &expected, &format!("identity of {len} bytes"));

        // signature<V> of `len` bytes.
        let mut changed = kp.clone();
        changed.signature = VarBytes(vec![0x53; len]);
        let mut expected = base[..signature_at].to_vec();
        expected.extend_from_slice(boundary_header(len));
        expected.extend(std::iter::repeat_n(0x53, len));
        check_encoding(&changed, &expected, &format!("signature of {len} bytes"));

        // An extension body of `len` bytes inside KeyPackage.extensions: two
        // nested lengths. The list body is type(2) + header + body; for the
        // sizes here that list length is written out as well.
        let list_body_len = 2 + boundary_header(len).len() + len;
        let list_header: &[u8] = match list_body_len {
            3 => &[0x03],
            66 => &[0x40, 0x42],
            68 => &[0x40, 0x44],
            16387 => &[0x80, 0x00, 0x40, 0x03],
            16390 => &[0x80, 0x00, 0x40, 0x06],
            other => panic!("unexpected list length {other}"),
        };
        let mut changed = kp.clone();
        changed
            .extensions
            .push(Extension::new(ExtensionType(0x7A7A), vec![0x45; len]));
        let mut expected = base[..signature_at - 1].to_vec();
        expected.extend_from_slice(list_header);
        expected.extend_from_slice(&[0x7A, 0x7A]);
        expected.extend_from_slice(boundary_header(len));
        expected.extend(std::iter::repeat_n(0x45, len));
        expected.extend_from_slice(&base[signature_at..]);
        check_encoding(
            &changed,
            &expected,
            &format!("extension body of {len} bytes"),
        );
    }

    // Every strict prefix of the largest of these encodings fails to decode.
    let mut big = kp.clone();
    big.leaf_node.credential = Credential::basic(vec![0x69; 16384]);
    let bytes = big.encode().unwrap();
    for cut in 0..bytes.len() {
        assert_eq!(
            KeyPackageIn::decode(&bytes[..cut]),
            Err(DecodeError::Truncated),
            "prefix of {cut} bytes"
        );
    }
}

// ---------------------------------------------------------------------------
// 7. serde

#[cfg(feature = "serde")]
#[test]
fn decoded_key_packages_survive_a_json_round_trip() {
    let all = load_all_key_packages();
    let lists = [
        &all.messages_mls_key_package,
        &all.messages_add_proposal,
        &all.passive_client_welcome,
        &all.welcome,
        &all.tree_operations,
    ];
    let mut count = 0;
    for list in lists {
        for (what, bare, kp) in list {
            let json = serde_json::to_string(kp).unwrap();
            let back: KeyPackageIn = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{what}: JSON does not read back: {e}"));
            assert_eq!(&back, kp, "{what}");
            assert_eq!(&back.encode().unwrap(), bare, "{what}");
            count += 1;
        }
    }
    assert_eq!(count, 665);

    // Lifetimes up to 2^64 - 1 (welcome.json) survive JSON as integers.
    let forever = &all.welcome[0].2;
    let json = serde_json::to_value(forever).unwrap();
    let back: KeyPackageIn = serde_json::from_value(json).unwrap();
    assert_eq!(
        back.leaf_node
            .leaf_node_source
            .lifetime()
            .unwrap()
            .not_after,
        u64::MAX
    );
}
