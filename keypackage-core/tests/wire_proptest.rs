//! Property tests of the KeyPackage codec (rule KP-DECODE, RFC 9420 §2.1.2,
//! §7.2, §10): arbitrary `KeyPackageIn` values, unknown and GREASE code
//! points, every credential and leaf-node-source shape, duplicate
//! extensions, and lengths around the varint boundaries.
//!
//! The encoder is compared with a reference encoder written in this file
//! from the RFC's struct definitions, so the round trip is not checked
//! against itself alone.
//!
//! Case count: 256 by default, or `PROPTEST_CASES`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keypackage_core::traits::{
    CipherSuite, CredentialType, ExtensionType, ProposalType, ProtocolVersion,
};
use keypackage_core::{
    Capabilities, Certificate, Credential, DecodeError, Extension, Extensions, KeyPackageIn,
    LeafNode, LeafNodeSource, Lifetime, MlsMessageIn,
};
use keypackage_traits::codec::{VarBytes, VarVec};
use keypackage_traits::{GREASE_VALUES, HpkePublicKey, SignaturePublicKey};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use tls_codec::{DeserializeBytes, Serialize, Size};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Reference encoder, from the RFC 9420 struct definitions

fn put_varint(out: &mut Vec<u8>, n: usize) {
    // RFC 9420 §2.1.2: 1, 2 or 4 bytes, top two bits 00, 01, 10.
    if n < 0x40 {
        out.push(n as u8);
    } else if n < 0x4000 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else {
        assert!(n < 0x4000_0000);
        out.extend_from_slice(&[
            0x80 | (n >> 24) as u8,
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
        ]);
    }
}

fn put_opaque(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_u16_list(out: &mut Vec<u8>, values: impl Iterator<Item = u16>) {
    let body: Vec<u8> = values.flat_map(u16::to_be_bytes).collect();
    put_opaque(out, &body);
}

fn put_extensions(out: &mut Vec<u8>, extensions: &Extensions) {
    let mut body = Vec::new();
    for e in extensions {
        body.extend_from_slice(&e.extension_type.0.to_be_bytes());
        put_opaque(&mut body, e.extension_data.as_slice());
    }
    put_opaque(out, &body);
}

/// The reference encoding of a key package, and the offsets of the leaf
/// start, the end of LeafNodeTBS and the end of KeyPackageTBS.
fn reference_encoding(kp: &KeyPackageIn) -> (Vec<u8>, [usize; 3]) {
    let mut out = Vec::new();
    out.extend_from_slice(&kp.version.0.to_be_bytes());
    out.extend_from_slice(&kp.cipher_suite.0.to_be_bytes());
    put_opaque(&mut out, kp.init_key.as_slice());
    let leaf_start = out.len();
    let leaf = &kp.leaf_node;
    put_opaque(&mut out, leaf.encryption_key.as_slice());
    put_opaque(&mut out, leaf.signature_key.as_slice());
    match &leaf.credential {
        Credential::Basic { identity } => {
            out.extend_from_slice(&[0x00, 0x01]);
            put_opaque(&mut out, identity.as_slice());
        }
        Credential::X509 { certificates } => {
            out.extend_from_slice(&[0x00, 0x02]);
            let mut body = Vec::new();
            for c in certificates {
                put_opaque(&mut body, c.cert_data.as_slice());
            }
            put_opaque(&mut out, &body);
        }
        Credential::Other {
            credential_type,
            data,
        } => {
            out.extend_from_slice(&credential_type.0.to_be_bytes());
            put_opaque(&mut out, data.as_slice());
        }
    }
    let caps = &leaf.capabilities;
    put_u16_list(&mut out, caps.versions.iter().map(|v| v.0));
    put_u16_list(&mut out, caps.cipher_suites.iter().map(|v| v.0));
    put_u16_list(&mut out, caps.extensions.iter().map(|v| v.0));
    put_u16_list(&mut out, caps.proposals.iter().map(|v| v.0));
    put_u16_list(&mut out, caps.credentials.iter().map(|v| v.0));
    match &leaf.leaf_node_source {
        LeafNodeSource::KeyPackage(lifetime) => {
            out.push(1);
            out.extend_from_slice(&lifetime.not_before.to_be_bytes());
            out.extend_from_slice(&lifetime.not_after.to_be_bytes());
        }
        LeafNodeSource::Update => out.push(2),
        LeafNodeSource::Commit(parent_hash) => {
            out.push(3);
            put_opaque(&mut out, parent_hash.as_slice());
        }
    }
    put_extensions(&mut out, &leaf.extensions);
    let leaf_tbs_end = out.len();
    put_opaque(&mut out, leaf.signature.as_slice());
    put_extensions(&mut out, &kp.extensions);
    let tbs_end = out.len();
    put_opaque(&mut out, kp.signature.as_slice());
    (out, [leaf_start, leaf_tbs_end, tbs_end])
}

// ---------------------------------------------------------------------------
// Strategies

/// Byte strings: mostly short, some around the 1/2-byte boundary (63/64),
/// a few around the 2/4-byte boundary (16383/16384).
fn opaque() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        40 => vec(any::<u8>(), 0..=8),
        12 => vec(any::<u8>(), 61..=66),
        1 => (select(vec![16382usize, 16383, 16384, 16385]), any::<u8>())
            .prop_map(|(len, byte)| vec![byte; len]),
    ]
}

/// A `u16` code point: a named value, a GREASE value, or anything.
fn code_point(named: Vec<u16>) -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => select(named),
        3 => select(GREASE_VALUES.to_vec()),
        3 => any::<u16>(),
    ]
}

fn named<T: Copy + Into<u16>>(values: &[T]) -> Vec<u16> {
    values.iter().map(|v| (*v).into()).collect()
}

/// A capability list: usually short, sometimes 31–33 entries (62–66 bytes).
fn code_point_list<T: From<u16> + std::fmt::Debug>(
    named: Vec<u16>,
) -> impl Strategy<Value = VarVec<T>> {
    prop_oneof![
        8 => vec(code_point(named.clone()), 0..=4),
        1 => vec(code_point(named), 31..=33),
    ]
    .prop_map(|values| VarVec(values.into_iter().map(T::from).collect()))
}

fn capabilities() -> impl Strategy<Value = Capabilities> {
    (
        code_point_list(named(ProtocolVersion::NAMED)),
        code_point_list(named(CipherSuite::NAMED)),
        code_point_list(named(ExtensionType::NAMED)),
        code_point_list(named(ProposalType::NAMED)),
        code_point_list(named(CredentialType::NAMED)),
    )
        .prop_map(
            |(versions, cipher_suites, extensions, proposals, credentials)| Capabilities {
                versions,
                cipher_suites,
                extensions,
                proposals,
                credentials,
            },
        )
}

fn extension() -> impl Strategy<Value = Extension> {
    (code_point(named(ExtensionType::NAMED)), opaque())
        .prop_map(|(t, data)| Extension::new(ExtensionType(t), data))
}

/// Extension lists: empty, short, with a duplicated entry (KP-DUP-EXT is
/// validation's, decoding keeps it), or 20–22 bodiless entries (60–66 bytes).
fn extensions() -> impl Strategy<Value = Extensions> {
    prop_oneof![
        8 => (vec(extension(), 0..=3), any::<bool>()).prop_map(|(mut list, duplicate)| {
            if duplicate && let Some(first) = list.first().cloned() {
                list.push(first);
            }
            Extensions::from(list)
        }),
        1 => vec(code_point(named(ExtensionType::NAMED)), 20..=22).prop_map(|types| {
            Extensions::from(
                types
                    .into_iter()
                    .map(|t| Extension::new(ExtensionType(t), Vec::new()))
                    .collect::<Vec<_>>(),
            )
        }),
    ]
}

fn credential() -> impl Strategy<Value = Credential> {
    // Types with a body of their own (basic, x509) are not `Other`.
    let unknown_type = code_point(vec![0x0000, 0x0003, 0xF000, 0xFFFF])
        .prop_filter("basic and x509 have their own variants", |t| {
            *t > 2 || *t == 0
        });
    prop_oneof![
        opaque().prop_map(|identity| Credential::Basic {
            identity: VarBytes(identity)
        }),
        vec(opaque(), 0..=3).prop_map(|chain| Credential::X509 {
            certificates: VarVec(
                chain
                    .into_iter()
                    .map(|cert| Certificate {
                        cert_data: VarBytes(cert)
                    })
                    .collect()
            ),
        }),
        (unknown_type, opaque()).prop_map(|(t, data)| Credential::Other {
            credential_type: CredentialType(t),
            data: VarBytes(data),
        }),
    ]
}

fn leaf_node_source() -> impl Strategy<Value = LeafNodeSource> {
    prop_oneof![
        3 => (any::<u64>(), any::<u64>())
            .prop_map(|(a, b)| LeafNodeSource::KeyPackage(Lifetime::new(a, b))),
        1 => Just(LeafNodeSource::Update),
        1 => opaque().prop_map(|h| LeafNodeSource::Commit(VarBytes(h))),
    ]
}

fn leaf_node() -> impl Strategy<Value = LeafNode> {
    (
        opaque(),
        opaque(),
        credential(),
        capabilities(),
        leaf_node_source(),
        extensions(),
        opaque(),
    )
        .prop_map(
            |(enc, sig_key, credential, capabilities, source, extensions, signature)| LeafNode {
                encryption_key: HpkePublicKey::new(enc),
                signature_key: SignaturePublicKey::new(sig_key),
                credential,
                capabilities,
                leaf_node_source: source,
                extensions,
                signature: VarBytes(signature),
            },
        )
}

fn key_package() -> impl Strategy<Value = KeyPackageIn> {
    (
        code_point(named(ProtocolVersion::NAMED)),
        code_point(named(CipherSuite::NAMED)),
        opaque(),
        leaf_node(),
        extensions(),
        opaque(),
    )
        .prop_map(
            |(version, suite, init_key, leaf_node, extensions, signature)| KeyPackageIn {
                version: ProtocolVersion(version),
                cipher_suite: CipherSuite(suite),
                init_key: HpkePublicKey::new(init_key),
                leaf_node,
                extensions,
                signature: VarBytes(signature),
            },
        )
}

/// The prefix lengths to try: all of them for encodings up to 4 KiB; for
/// the 16 KiB ones, the first and last 512 and every 64th in between.
fn prefix_lengths(len: usize) -> Vec<usize> {
    if len <= 4096 {
        (0..len).collect()
    } else {
        (0..512)
            .chain((512..len - 512).step_by(64))
            .chain(len - 512..len)
            .collect()
    }
}

fn mls_message(kp_bytes: &[u8]) -> Vec<u8> {
    let mut message = vec![0x00, 0x01, 0x00, 0x05];
    message.extend_from_slice(kp_bytes);
    message
}

// ---------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config())]

    /// Encoding equals the reference encoding; `tls_serialized_len` is its
    /// length; decoding gives back the value; re-encoding the same bytes.
    #[test]
    fn encode_matches_the_reference_and_round_trips(kp in key_package()) {
        let (reference, [leaf_start, leaf_tbs_end, tbs_end]) = reference_encoding(&kp);
        let encoded = kp.encode().unwrap();
        prop_assert!(encoded == reference, "encoding differs from the reference");
        prop_assert_eq!(kp.tls_serialized_len(), reference.len());
        prop_assert_eq!(kp.tbs_len(), tbs_end);
        prop_assert_eq!(kp.leaf_node.tls_serialized_len(), tbs_end - leaf_start - kp.extensions.tls_serialized_len());
        prop_assert_eq!(kp.leaf_node.content_len(), leaf_tbs_end - leaf_start);

        // The count `tls_serialize` returns is what it wrote.
        let mut written = Vec::new();
        prop_assert_eq!(kp.tls_serialize(&mut written).unwrap(), reference.len());
        prop_assert!(written == reference);
        let mut leaf = Vec::new();
        prop_assert_eq!(kp.leaf_node.tls_serialize(&mut leaf).unwrap(), leaf.len());
        prop_assert!(leaf[..] == reference[leaf_start..leaf_start + leaf.len()]);

        let (with_spans, spans) = kp.encode_with_spans().unwrap();
        prop_assert!(with_spans == reference);
        prop_assert_eq!(
            (spans.leaf_start, spans.leaf_tbs_end, spans.tbs_end),
            (leaf_start, leaf_tbs_end, tbs_end)
        );

        let decoded = KeyPackageIn::decode(&reference).unwrap();
        prop_assert_eq!(&decoded, &kp);
        prop_assert!(decoded.encode().unwrap() == reference, "re-encoding differs");

        // Wrapped in an MLSMessage (mls10, mls_key_package).
        let message = mls_message(&reference);
        let (version, from_message) = MlsMessageIn::decode_key_package(&message).unwrap();
        prop_assert_eq!(version, ProtocolVersion::MLS10);
        prop_assert_eq!(from_message, kp);
    }

    /// Every strict prefix fails with `Truncated`, bare or in an MLSMessage.
    #[test]
    fn every_strict_prefix_is_truncated(kp in key_package()) {
        let bytes = kp.encode().unwrap();
        for cut in prefix_lengths(bytes.len()) {
            prop_assert_eq!(
                KeyPackageIn::decode(&bytes[..cut]),
                Err(DecodeError::Truncated),
                "prefix of {} of {} bytes", cut, bytes.len()
            );
        }
        let message = mls_message(&bytes);
        for cut in prefix_lengths(message.len()) {
            prop_assert_eq!(
                MlsMessageIn::decode_key_package(&message[..cut]),
                Err(DecodeError::Truncated),
                "message prefix of {} of {} bytes", cut, message.len()
            );
        }
    }

    /// One extra byte, whatever its value, is `TrailingBytes(1)`.
    #[test]
    fn one_trailing_byte_is_refused(kp in key_package(), extra in any::<u8>()) {
        let mut bytes = kp.encode().unwrap();
        bytes.push(extra);
        prop_assert_eq!(KeyPackageIn::decode(&bytes), Err(DecodeError::TrailingBytes { count: 1 }));
        prop_assert_eq!(
            MlsMessageIn::decode_key_package(&mls_message(&bytes)),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
    }

    /// Canonicality: whatever a damaged encoding decodes to re-encodes to
    /// exactly the damaged bytes; a decoder that accepted a non-minimal or
    /// `0b11` length would fail this.
    #[test]
    fn any_accepted_mutation_is_canonical(
        kp in key_package(),
        at in any::<Index>(),
        mask in 1u8..=255,
    ) {
        let mut bytes = kp.encode().unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= mask;
        if let Ok(decoded) = KeyPackageIn::decode(&bytes) {
            prop_assert!(decoded.encode().unwrap() == bytes, "accepted a non-canonical input");
            prop_assert_eq!(decoded.tls_serialized_len(), bytes.len());
        }
    }

    /// LeafNode alone, every source (key_package, update, commit).
    #[test]
    fn leaf_nodes_of_every_source_round_trip(leaf in leaf_node()) {
        let bytes = leaf.tls_serialize_detached().unwrap();
        prop_assert_eq!(leaf.tls_serialized_len(), bytes.len());
        let (decoded, rest) = LeafNode::tls_deserialize_bytes(&bytes).unwrap();
        prop_assert!(rest.is_empty());
        prop_assert_eq!(&decoded, &leaf);
        prop_assert!(decoded.tls_serialize_detached().unwrap() == bytes);
        prop_assert!(LeafNode::tls_deserialize_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}

/// The strategies reach what they are meant to: without this, a strategy
/// bug could make the properties above vacuous.
#[test]
fn strategies_cover_the_intended_shapes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = key_package();
    let (mut update, mut commit, mut other_cred, mut x509, mut dup, mut grease) =
        (false, false, false, false, false, false);
    let (mut len_64, mut len_16384, mut len_63, mut len_16383) = (false, false, false, false);
    for _ in 0..2000 {
        let kp = strategy.new_tree(&mut runner).unwrap().current();
        match kp.leaf_node.leaf_node_source {
            LeafNodeSource::Update => update = true,
            LeafNodeSource::Commit(_) => commit = true,
            LeafNodeSource::KeyPackage(_) => {}
        }
        match kp.leaf_node.credential {
            Credential::Other { .. } => other_cred = true,
            Credential::X509 { .. } => x509 = true,
            Credential::Basic { .. } => {}
        }
        let types: Vec<u16> = kp.extensions.iter().map(|e| e.extension_type.0).collect();
        dup |= (1..types.len()).any(|i| types[..i].contains(&types[i]));
        grease |= kp
            .leaf_node
            .capabilities
            .cipher_suites
            .iter()
            .any(|s| s.is_grease());
        for field in [kp.init_key.as_slice(), kp.signature.as_slice()] {
            len_63 |= field.len() == 63;
            len_64 |= field.len() == 64;
            len_16383 |= field.len() == 16383;
            len_16384 |= field.len() == 16384;
        }
    }
    assert!(update && commit && other_cred && x509 && dup && grease);
    assert!(len_63 && len_64 && len_16383 && len_16384);
}
