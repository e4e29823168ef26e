//! Fuzz bodies: what each target in `fuzz/fuzz_targets/` runs, kept in the
//! library so that `cargo test` replays the checked-in corpus through exactly
//! the same code (`tests/fuzz_corpus_replay.rs`). Not a public API: hidden
//! from the docs and free to change.
//!
//! Every body takes arbitrary bytes. Decoding and validation must never
//! panic, whatever the input (docs/DESIGN.md §3 P2 and P9). The one
//! deliberate panic is the round-trip assertion: a successful decode that
//! does not re-encode to the same bytes is a bug the fuzzer must report.

use keypackage_traits::{ExtensionType, OpenMlsCrypto};
use tls_codec::{Serialize, Size};

use crate::key_package::{KeyPackage, KeyPackageIn};
use crate::leaf_node::LeafNodeSource;
use crate::message::{GroupSecrets, MlsMessageIn, WireFormat};
use crate::validate::{
    AcceptAnyCredential, GroupParameters, RequiredCapabilities, ValidationContext, ValidationError,
};
use keypackage_traits::ExtensionLocation;

/// The fixed validation time of the validate bodies (2025-06-15T00:00:00Z):
/// the result of a run never depends on the day it runs.
pub const NOW: u64 = 1_749_945_600;

/// Exact decode of a bare `KeyPackage`.
pub fn decode_key_package(data: &[u8]) {
    let _ = KeyPackageIn::decode(data);
}

/// Decode of an `MLSMessage` (key package or Welcome), and of the
/// `GroupSecrets` a Welcome carries once decrypted: both arrive from peers.
pub fn decode_message(data: &[u8]) {
    let _ = MlsMessageIn::decode(data);
    let _ = GroupSecrets::decode(data);
}

/// Decode, then encode: whatever decodes, as a bare key package or as an
/// `MLSMessage`, re-encodes to exactly the input, and the spans that the
/// signatures cover agree with the encoding.
///
/// # Panics
///
/// On purpose, when the round trip is not the identity: that is the bug
/// this body exists to find.
pub fn round_trip(data: &[u8]) {
    if let Ok(kp) = KeyPackageIn::decode(data) {
        check_key_package(&kp, data);
    }
    if let Ok(message) = MlsMessageIn::decode(data) {
        let mut out = Vec::new();
        let written = match &message {
            MlsMessageIn::KeyPackage {
                version,
                key_package,
            } => {
                // The key package body must round-trip on its own too.
                check_key_package(key_package, data.get(4..).unwrap_or_default());
                encode_message(&mut out, *version, WireFormat::KEY_PACKAGE, key_package)
            }
            MlsMessageIn::Welcome { version, welcome } => {
                encode_message(&mut out, *version, WireFormat::WELCOME, welcome)
            }
        };
        // The assertion is the point of this body (see the module docs).
        assert_eq!(
            written.ok(),
            Some(data.len()),
            "MLSMessage re-encoded length"
        );
        assert_eq!(
            out.as_slice(),
            data,
            "MLSMessage did not re-encode to its input"
        );
    }
}

/// Decode, then validate with the RustCrypto backend: never a panic.
#[cfg(feature = "rustcrypto")]
pub fn decode_validate_rustcrypto(data: &[u8]) {
    let _ = decode_validate(&backend_rustcrypto::RustCrypto::new(), data);
}

/// Decode, then validate with the ring backend: never a panic.
#[cfg(feature = "ring")]
pub fn decode_validate_ring(data: &[u8]) {
    let _ = decode_validate(&backend_ring::RingCrypto::new(), data);
}

/// Validates `data` as a bare key package and as an `MLSMessage`, each under
/// the default policy at [`NOW`] and under a lenient policy that lets more
/// inputs reach the later rules: `now` at the key package's `not_before` (a
/// value taken from the input, so runs stay deterministic), no maximum
/// lifetime, listed defaults allowed, own suite and version not required in
/// capabilities, two extra recognised extension types (one with a body check
/// that wants an even length), and, for the bare form, the key package's own suite as the group's and
/// its own first capabilities as the group's required ones.
///
/// Returns the verdicts, in this order: bare under the default policy and
/// bare lenient (both only when `data` decodes as a bare key package), then
/// message under the default policy and message lenient. The corpus replay
/// test reads them; the fuzz targets drop them.
pub fn decode_validate<C: OpenMlsCrypto>(
    crypto: &C,
    data: &[u8],
) -> Vec<Result<KeyPackage, ValidationError>> {
    let accept = AcceptAnyCredential;
    let even = |_: ExtensionType, _: ExtensionLocation, body: &[u8]| {
        if body.len().is_multiple_of(2) {
            Ok(())
        } else {
            Err("odd length".to_owned())
        }
    };
    let strict = ValidationContext::new(NOW, &accept);
    let lenient = |kp: Option<&KeyPackageIn>| {
        let lifetime = kp.and_then(|kp| kp.leaf_node.leaf_node_source.lifetime());
        ValidationContext::new(lifetime.map_or(NOW, |l| l.not_before), &accept)
            .with_max_lifetime(None)
            .with_refuse_listed_defaults(false)
            .with_own_capabilities_required(false)
            .recognise_extension(ExtensionType(0xFF00))
            .recognise_extension_with(ExtensionType(0xFF01), &even)
    };

    let mut verdicts = Vec::with_capacity(4);
    if let Ok(kp) = KeyPackageIn::decode(data) {
        verdicts.push(kp.clone().validate(crypto, &strict));
        let caps = &kp.leaf_node.capabilities;
        let own = lenient(Some(&kp))
            .with_group(GroupParameters {
                cipher_suite: kp.cipher_suite,
                version: kp.version,
            })
            .with_required_capabilities(RequiredCapabilities {
                extension_types: caps.extensions.iter().take(2).copied().collect(),
                proposal_types: caps.proposals.iter().take(2).copied().collect(),
                credential_types: caps.credentials.iter().take(1).copied().collect(),
            });
        verdicts.push(kp.validate(crypto, &own));
    }
    verdicts.push(KeyPackageIn::validate_message(data, crypto, &strict));
    let inner = MlsMessageIn::decode_key_package(data).ok();
    let ctx = lenient(inner.as_ref().map(|(_, kp)| kp));
    verdicts.push(KeyPackageIn::validate_message(data, crypto, &ctx));
    verdicts
}

/// Asserts that `kp`, decoded from `data`, re-encodes to `data` by every
/// encoding path, and that the signed spans are where the TBS encoders put
/// them.
fn check_key_package(kp: &KeyPackageIn, data: &[u8]) {
    // The assertions are the point of this body (see the module docs).
    assert_eq!(
        kp.tls_serialized_len(),
        data.len(),
        "Size disagrees with the input"
    );
    assert_eq!(kp.encode().ok().as_deref(), Some(data), "encode() differs");
    let with_spans = kp.encode_spans();
    assert!(with_spans.is_ok(), "encode_with_spans() failed");
    let Ok((encoded, spans)) = with_spans else {
        return;
    };
    assert_eq!(encoded.as_slice(), data, "encode_with_spans() differs");

    let mut tbs = Vec::new();
    assert!(kp.serialize_tbs(&mut tbs).is_ok(), "KeyPackageTBS encodes");
    assert_eq!(tbs.len(), kp.tbs_len(), "tbs_len() disagrees");
    assert_eq!(
        data.get(..spans.tbs_end),
        Some(tbs.as_slice()),
        "KeyPackageTBS span"
    );

    // Inside a key package the leaf is signed without group context, as its
    // content alone, whatever its source says.
    let mut leaf_content = Vec::new();
    assert!(
        kp.leaf_node.serialize_content(&mut leaf_content).is_ok(),
        "leaf content encodes"
    );
    assert_eq!(
        data.get(spans.leaf_start..spans.leaf_tbs_end),
        Some(leaf_content.as_slice()),
        "LeafNodeTBS span"
    );
    if matches!(kp.leaf_node.leaf_node_source, LeafNodeSource::KeyPackage(_)) {
        let leaf_tbs = kp.leaf_node.tbs(None).ok();
        assert_eq!(
            leaf_tbs.as_deref(),
            Some(leaf_content.as_slice()),
            "LeafNodeTBS"
        );
    }
}

fn encode_message<T: Serialize>(
    out: &mut Vec<u8>,
    version: keypackage_traits::ProtocolVersion,
    wire_format: WireFormat,
    body: &T,
) -> Result<usize, tls_codec::Error> {
    Ok(
        version.tls_serialize(out)?
            + wire_format.0.tls_serialize(out)?
            + body.tls_serialize(out)?,
    )
}

/// The largest `n` for [`hostile_lists`]: `3n/5` distinct extension types
/// at or above 0x0100 must exist.
pub const MAX_HOSTILE_LIST: usize = 5 * 0xFF00 / 3;

/// The `i`-th code point at or above 0x0100: never a default or known type.
fn code(i: usize) -> u16 {
    // `i % 0xFF00` is below 0xFF00, so the sum fits in a u16.
    0x0100 + u16::try_from(i % 0xFF00).unwrap_or_default()
}

/// Makes `kp` hostile for the resource-bound tests and the `hostile_lists`
/// bench: `n` entries in each of the five capability lists and `n`
/// extensions (`3n/5` distinct unknown types in `KeyPackage.extensions`,
/// `2n/5` distinct types in `LeafNode.extensions`, all of them listed in
/// capabilities), keeping the key package valid once re-signed. `n` is
/// capped at [`MAX_HOSTILE_LIST`].
pub fn hostile_lists(kp: &mut KeyPackageIn, n: usize) {
    use crate::extensions::Extension;
    use keypackage_traits::codec::VarVec;
    use keypackage_traits::{CipherSuite, ProtocolVersion};

    let n = n.min(MAX_HOSTILE_LIST);
    let leaf = n * 2 / 5;
    let credential_type = kp.leaf_node.credential.credential_type();
    let caps = &mut kp.leaf_node.capabilities;
    caps.versions = VarVec(
        std::iter::once(ProtocolVersion::MLS10)
            .chain((1..n).map(|i| ProtocolVersion(code(i))))
            .collect(),
    );
    caps.cipher_suites = VarVec(
        std::iter::once(kp.cipher_suite)
            .chain((1..n).map(|i| CipherSuite(code(i))))
            .collect(),
    );
    caps.extensions = VarVec((0..n).map(|i| ExtensionType(code(i))).collect());
    caps.proposals = VarVec(
        (0..n)
            .map(|i| keypackage_traits::ProposalType(code(i)))
            .collect(),
    );
    caps.credentials = VarVec(
        std::iter::once(credential_type)
            .chain((1..n).map(|i| keypackage_traits::CredentialType(code(i))))
            .collect(),
    );
    kp.leaf_node.extensions = (0..leaf)
        .map(|i| Extension::new(ExtensionType(code(i)), Vec::new()))
        .collect::<Vec<_>>()
        .into();
    kp.extensions = (0..n - leaf)
        .map(|i| Extension::new(ExtensionType(code(i)), Vec::new()))
        .collect::<Vec<_>>()
        .into();
}
