//! Differential testing (feature `differential`): the same key package bytes
//! go to our validator, to OpenMLS 0.9.2 and to mls-rs 0.57, and their
//! answers are compared (docs/INTEROP.md, "Differential testing").
//!
//! Random bytes almost never carry valid signatures, so the input is not a
//! key package: it is a recipe. It picks a valid seed key package (made by
//! us, by OpenMLS or by mls-rs, in a suite all three share, its signature
//! key replaced by one we hold), a list of edits to the decoded fields, and
//! a signing mode; the edited key package is signed again with the key we
//! hold, so that the verdicts reach every rule and not just the signature
//! check. Last, a few byte-level edits may follow, for the decoders.
//!
//! Each implementation answers three questions: does it decode the
//! `MLSMessage`; does it encode what it decoded to the same bytes; does it
//! accept the key package. Every disagreement must be an entry of the
//! policy table ([`POLICY`]): a difference we chose, or a known peer bug,
//! matched on the verdicts *and* on the shape of the key package. Anything
//! else is a finding: [`check`] panics with a description, which is what
//! the fuzzer reports.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::codec::{VarBytes, VarVec};
use keypackage_core::traits::{
    CipherSuite, CipherSuiteProvider, CredentialType, ExtensionType, HpkePublicKey, OpenMlsCrypto,
    ProposalType, ProtocolVersion, Signer,
};
use keypackage_core::{
    AcceptAnyCredential, Certificate, Credential, Extension, KeyPackageBuilder, KeyPackageIn,
    LeafNodeSource, Lifetime, Rule, ValidationContext, encode_key_package_message,
};
use mls_rs::CryptoProvider as _;
use openmls::prelude as om;
use openmls::prelude::tls_codec::{DeserializeBytes as _, Serialize as _};
use openmls_traits::OpenMlsProvider as _;

use crate::SignerOf;

/// The suites all three implementations have.
pub const SHARED_SUITES: [CipherSuite; 3] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
];

/// Who made a seed key package.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Maker {
    /// Our builder.
    Ours,
    /// OpenMLS 0.9.2's `KeyPackage::builder()`.
    OpenMls,
    /// mls-rs 0.57's `generate_key_package_message`.
    MlsRs,
}

/// A valid key package and the key that signs its edits.
pub struct Seed {
    /// Who made it.
    pub maker: Maker,
    /// The key package, decoded.
    pub key_package: KeyPackageIn,
    /// Our signer for its suite; its public key is the leaf's.
    pub signer: SignerOf<RustCrypto>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The seeds: for every shared suite, ours (plain and last resort), OpenMLS's
/// (defaults and last resort listed) and mls-rs's (defaults), each with its
/// signature key replaced by one of ours and signed again.
pub fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(make_seeds)
}

// Harness setup, not input handling: a seed that cannot be made is a bug
// of the harness (or a peer's API changed), reported at once.
#[allow(clippy::expect_used)]
fn make_seeds() -> Vec<Seed> {
    let crypto = RustCrypto::new();
    let mut seeds = Vec::new();
    for suite in SHARED_SUITES {
        let mut push = |maker: Maker, bytes: Vec<u8>| {
            let signer = crate::fresh_signer(&crypto, suite).expect("signer");
            let (_, mut key_package) =
                keypackage_core::MlsMessageIn::decode_key_package(&bytes).expect("seed decodes");
            key_package.leaf_node.signature_key = signer.public_key().clone();
            key_package.resign(&signer).expect("seed re-signs");
            seeds.push(Seed {
                maker,
                key_package,
                signer,
            });
        };
        for builder in [
            KeyPackageBuilder::new(),
            KeyPackageBuilder::new().last_resort(),
        ] {
            let signer = crate::fresh_signer(&crypto, suite).expect("signer");
            let bundle = builder
                .build(&crypto, suite, Credential::basic("ours"), &signer)
                .expect("our seed");
            push(
                Maker::Ours,
                encode_key_package_message(bundle.key_package()).expect("encodes"),
            );
        }
        for last_resort in [false, true] {
            push(Maker::OpenMls, openmls_key_package(suite, last_resort));
        }
        push(Maker::MlsRs, mls_rs_key_package(suite));
    }
    seeds
}

#[allow(clippy::expect_used)] // harness setup, as make_seeds
fn openmls_key_package(suite: CipherSuite, last_resort: bool) -> Vec<u8> {
    let provider = openmls_rust_crypto::OpenMlsRustCrypto::default();
    let om_suite = om::Ciphersuite::try_from(suite.0).expect("OpenMLS suite");
    let signer = openmls_basic_credential::SignatureKeyPair::new(om_suite.signature_algorithm())
        .expect("OpenMLS key");
    let credential = om::CredentialWithKey {
        credential: om::BasicCredential::new(b"openmls".to_vec()).into(),
        signature_key: signer.public().into(),
    };
    let mut builder = om::KeyPackage::builder();
    if last_resort {
        builder = builder.mark_as_last_resort().leaf_node_capabilities(
            om::Capabilities::builder()
                .extensions(vec![om::ExtensionType::LastResort])
                .build(),
        );
    }
    let bundle = builder
        .build(om_suite, &provider, &signer, credential)
        .expect("OpenMLS key package");
    om::MlsMessageOut::from(bundle.key_package().clone())
        .tls_serialize_detached()
        .expect("OpenMLS encodes")
}

#[allow(clippy::expect_used)] // harness setup, as make_seeds
fn mls_rs_key_package(suite: CipherSuite) -> Vec<u8> {
    use mls_rs::identity::SigningIdentity;
    use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
    let crypto = mls_rs_crypto_rustcrypto::RustCryptoProvider::default();
    let mls_suite = mls_rs::CipherSuite::new(suite.0);
    let provider = crypto
        .cipher_suite_provider(mls_suite)
        .expect("mls-rs suite");
    let (secret, public) =
        mls_rs::CipherSuiteProvider::signature_key_generate(&provider).expect("mls-rs key");
    let credential = BasicCredential::new(b"mls-rs".to_vec()).into_credential();
    let client = mls_rs::Client::builder()
        .identity_provider(BasicIdentityProvider::new())
        .crypto_provider(crypto)
        .signing_identity(SigningIdentity::new(credential, public), secret, mls_suite)
        .build();
    client
        .generate_key_package_message(Default::default(), Default::default(), None)
        .expect("mls-rs key package")
        .to_bytes()
        .expect("mls-rs encodes")
}

/// A reader of the fuzzer's bytes: every read succeeds (zeros once the
/// input is exhausted), so every input is a recipe.
struct Recipe<'a> {
    bytes: &'a [u8],
}

impl Recipe<'_> {
    fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((first, rest)) => {
                self.bytes = rest;
                *first
            }
            None => 0,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    /// One of the `N` code points (`below(N) < N`, so never the fallback).
    fn pick<const N: usize>(&mut self, from: &[u16; N]) -> u16 {
        from.get(self.below(N)).copied().unwrap_or_default()
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn blob(&mut self) -> Vec<u8> {
        let len = self.below(40);
        (0..len).map(|_| self.byte()).collect()
    }
}

const VERSIONS: [u16; 4] = [0x0001, 0x0002, 0x0000, 0x0A0A];
const SUITES: [u16; 7] = [0x0001, 0x0002, 0x0003, 0x0007, 0x0004, 0xFFFF, 0x2A2A];
const EXTENSION_TYPES: [u16; 12] = [
    0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x000A, 0x0A0A, 0x3A3A, 0xF000, 0xFF01, 0x0007,
];
const PROPOSAL_TYPES: [u16; 6] = [0x0001, 0x0004, 0x0007, 0x0008, 0x0A0A, 0xF000];
const CREDENTIAL_TYPES: [u16; 6] = [0x0001, 0x0002, 0x0000, 0x0A0A, 0xF000, 0x0003];

/// Bodies for extensions: empty, one byte, valid `opaque<V>`s, valid and
/// invalid `app_data_dictionary` component lists, random.
fn body(recipe: &mut Recipe<'_>) -> Vec<u8> {
    match recipe.below(7) {
        0 => Vec::new(),
        1 => vec![recipe.byte()],
        2 => vec![0x03, b'a', b'p', b'p'],
        3 => vec![0x03, 0x00, 0x04, 0x00],
        4 => vec![0x06, 0x00, 0x05, 0x00, 0x00, 0x04, 0x00],
        5 => vec![0x00],
        _ => recipe.blob(),
    }
}

/// How the edited key package is signed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Signing {
    /// Both signatures renewed.
    Both,
    /// Only the key package signature renewed: a stale leaf signature.
    KeyPackageOnly,
    /// Neither renewed.
    None,
    /// Both renewed, then the key package's ECDSA signature replaced by its
    /// twin `(r, n - s)`, which verifies as well (RFC 9420 does not require
    /// low-S; docs/DESIGN.md §5.7).
    Twin,
}

/// Applies one edit chosen by `recipe`.
fn edit(kp: &mut KeyPackageIn, recipe: &mut Recipe<'_>, now: u64, crypto: &RustCrypto) {
    let caps = &mut kp.leaf_node.capabilities;
    match recipe.below(20) {
        0 => kp.version = ProtocolVersion(recipe.pick(&VERSIONS)),
        1 => kp.cipher_suite = CipherSuite(recipe.pick(&SUITES)),
        2 => caps.versions.0.retain(|v| *v != ProtocolVersion::MLS10),
        3 => caps
            .versions
            .0
            .push(ProtocolVersion(recipe.pick(&VERSIONS))),
        4 => {
            let own = kp.cipher_suite;
            caps.cipher_suites.0.retain(|c| *c != own)
        }
        5 => caps.cipher_suites.0.push(CipherSuite(recipe.pick(&SUITES))),
        6 => caps
            .extensions
            .0
            .push(ExtensionType(recipe.pick(&EXTENSION_TYPES))),
        7 => caps.extensions.0.clear(),
        8 => caps
            .proposals
            .0
            .push(ProposalType(recipe.pick(&PROPOSAL_TYPES))),
        9 => caps
            .credentials
            .0
            .push(CredentialType(recipe.pick(&CREDENTIAL_TYPES))),
        10 => caps.credentials.0.retain(|c| *c != CredentialType::BASIC),
        11 => {
            let t = ExtensionType(recipe.pick(&EXTENSION_TYPES));
            let body = body(recipe);
            kp.extensions.push(Extension::new(t, body));
        }
        12 => {
            let t = ExtensionType(recipe.pick(&EXTENSION_TYPES));
            let body = body(recipe);
            kp.leaf_node.extensions.push(Extension::new(t, body));
        }
        13 => {
            kp.extensions.0.0.clear();
        }
        14 => {
            const DAY: u64 = 86_400;
            let (not_before, not_after) = match recipe.below(8) {
                0 => (now - DAY, now - 1),
                1 => (now + 1800, now + DAY),
                2 => (now + 2 * 3600, now + DAY),
                3 => (now + 60, now + 30),
                4 => (0, u64::MAX),
                5 => (now, now),
                6 => (now - 3600, now - 3600 + 365 * DAY + 3601),
                _ => (now - 3600, now + 90 * DAY),
            };
            kp.leaf_node.leaf_node_source =
                LeafNodeSource::KeyPackage(Lifetime::new(not_before, not_after));
        }
        15 => {
            kp.leaf_node.credential = match recipe.below(4) {
                0 => Credential::basic(recipe.blob()),
                1 => Credential::X509 {
                    certificates: VarVec(
                        (0..recipe.below(3))
                            .map(|_| Certificate {
                                cert_data: VarBytes(recipe.blob()),
                            })
                            .collect(),
                    ),
                },
                _ => Credential::Other {
                    credential_type: CredentialType(recipe.pick(&CREDENTIAL_TYPES)),
                    data: VarBytes(recipe.blob()),
                },
            }
        }
        16 => {
            kp.init_key = match recipe.below(4) {
                0 => kp.leaf_node.encryption_key.clone(),
                1 => HpkePublicKey::new(vec![0; kp.init_key.as_slice().len()]),
                2 => HpkePublicKey::new(recipe.blob()),
                _ => crypto
                    .suite(kp.cipher_suite)
                    .and_then(|s| s.hpke_generate_key_pair())
                    .map(|pair| pair.public)
                    .unwrap_or_else(|_| kp.init_key.clone()),
            }
        }
        17 => {
            let mut key = kp.leaf_node.encryption_key.as_slice().to_vec();
            match recipe.below(3) {
                0 => key.truncate(key.len().saturating_sub(1)),
                1 => key = vec![0; key.len()],
                _ => key.iter_mut().for_each(|b| *b ^= recipe.byte()),
            }
            kp.leaf_node.encryption_key = HpkePublicKey::new(key);
        }
        18 => {
            kp.leaf_node.leaf_node_source = if recipe.byte().is_multiple_of(2) {
                LeafNodeSource::Update
            } else {
                LeafNodeSource::Commit(VarBytes(vec![recipe.byte(); 32]))
            }
        }
        _ => {
            // An unknown extension with a random body and type.
            let t = ExtensionType(recipe.u16());
            let body = recipe.blob();
            if recipe.byte().is_multiple_of(2) {
                kp.extensions.push(Extension::new(t, body));
            } else {
                caps.extensions.0.push(t);
                kp.leaf_node.extensions.push(Extension::new(t, body));
            }
        }
    }
}

/// What a recipe made: the message, the key package before any byte-level
/// edit, and whether bytes were edited after encoding.
pub struct Cooked {
    /// The `MLSMessage` bytes given to the three implementations.
    pub message: Vec<u8>,
    /// The edited key package, as encoded (before byte-level edits).
    pub key_package: KeyPackageIn,
    /// Whether bytes were changed after encoding.
    pub byte_edited: bool,
    /// Who made the seed.
    pub maker: Maker,
}

/// Follows the recipe: a seed, edits, signing, encoding, byte edits.
pub fn cook(data: &[u8]) -> Cooked {
    let now = now();
    let seeds = seeds();
    let mut recipe = Recipe { bytes: data };
    // `seeds()` is never empty (15 seeds), so `below` picks one.
    let Some(seed) = seeds.get(recipe.below(seeds.len())) else {
        unreachable!("no seeds");
    };
    let crypto = RustCrypto::new();
    let mut kp = seed.key_package.clone();
    for _ in 0..recipe.below(4) {
        edit(&mut kp, &mut recipe, now, &crypto);
    }
    let signing = match recipe.below(10) {
        0 => Signing::KeyPackageOnly,
        1 => Signing::None,
        2 | 3 => Signing::Twin,
        _ => Signing::Both,
    };
    // Signing fails only for a TBS longer than a vector can carry; the
    // recipe cannot make one.
    let _ = match signing {
        Signing::Both => kp.resign(&seed.signer),
        Signing::Twin => kp.resign(&seed.signer).map(|()| {
            if let Some(twin) = crate::ecdsa_p256_twin(kp.signature.as_slice()) {
                kp.signature = VarBytes(twin);
            }
        }),
        Signing::KeyPackageOnly => kp.sign_key_package(&seed.signer),
        Signing::None => Ok(()),
    };
    let mut message = vec![0x00, 0x01, 0x00, 0x05];
    message.extend(kp.encode().unwrap_or_default());
    // Byte-level edits for the decoders, rarely.
    let byte_edited = recipe.below(8) == 0;
    if byte_edited {
        match recipe.below(3) {
            0 => {
                message.pop();
            }
            1 => message.push(recipe.byte()),
            _ => {
                let at = recipe.below(message.len());
                let flip = recipe.byte() | 1;
                if let Some(byte) = message.get_mut(at) {
                    *byte ^= flip;
                }
            }
        }
    }
    Cooked {
        message,
        key_package: kp,
        byte_edited,
        maker: seed.maker,
    }
}

/// One implementation's answer.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// The bytes do not decode.
    NoDecode(String),
    /// Decoded, but encoding what was decoded gives other bytes.
    Reencodes,
    /// Decoded and re-encoded exactly, then refused (the reason).
    Refuse(String),
    /// Accepted.
    Accept,
}

impl Verdict {
    /// Whether the key package was accepted.
    pub fn accepted(&self) -> bool {
        matches!(self, Verdict::Accept)
    }

    /// Whether the bytes decoded.
    pub fn decoded(&self) -> bool {
        !matches!(self, Verdict::NoDecode(_))
    }

    fn refused_with(&self, reason: &str) -> bool {
        matches!(self, Verdict::Refuse(r) if r.contains(reason))
    }
}

/// Our answer, under the default policy at the current time.
pub fn ours(message: &[u8]) -> Verdict {
    let Ok((_, kp)) = keypackage_core::MlsMessageIn::decode_key_package(message) else {
        return Verdict::NoDecode(String::new());
    };
    if kp.encode().ok().as_deref() != message.get(4..) {
        return Verdict::Reencodes;
    }
    let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
    match KeyPackageIn::validate_message(message, &RustCrypto::new(), &ctx) {
        Ok(_) => Verdict::Accept,
        Err(e) => Verdict::Refuse(e.rule().map_or("internal", Rule::id).to_owned()),
    }
}

/// OpenMLS's answer: exact decoding of `MlsMessageIn`, its encoding, then
/// `KeyPackageIn::validate` (at the system clock).
pub fn openmls(message: &[u8]) -> Verdict {
    let Ok(msg) = om::MlsMessageIn::tls_deserialize_exact_bytes(message) else {
        return Verdict::NoDecode(String::new());
    };
    if msg.tls_serialize_detached().ok().as_deref() != Some(message) {
        return Verdict::Reencodes;
    }
    let om::MlsMessageBodyIn::KeyPackage(kp) = msg.extract() else {
        return Verdict::NoDecode("not a key package".into());
    };
    let provider = openmls_rust_crypto::OpenMlsRustCrypto::default();
    match kp.validate(provider.crypto(), om::ProtocolVersion::Mls10) {
        Ok(_) => Verdict::Accept,
        Err(e) => Verdict::Refuse(format!("{e:?}")),
    }
}

/// mls-rs's answer: `MlsMessage::from_bytes`, its encoding, then
/// `ExternalClient::validate_key_package` with the basic identity provider.
pub fn mls_rs(message: &[u8]) -> Verdict {
    use mls_rs::external_client::ExternalClient;
    use mls_rs::identity::basic::BasicIdentityProvider;
    let Ok(msg) = mls_rs::MlsMessage::from_bytes(message) else {
        return Verdict::NoDecode(String::new());
    };
    if msg.to_bytes().ok().as_deref() != Some(message) {
        return Verdict::Reencodes;
    }
    let client = ExternalClient::builder()
        .identity_provider(BasicIdentityProvider::new())
        .crypto_provider(mls_rs_crypto_rustcrypto::RustCryptoProvider::default())
        .build();
    match client.validate_key_package(msg, None) {
        Ok(_) => Verdict::Accept,
        Err(e) => Verdict::Refuse(format!("{e:?}")),
    }
}

/// A peer implementation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Peer {
    /// OpenMLS 0.9.2.
    OpenMls,
    /// mls-rs 0.57.
    MlsRs,
}

/// Our answer and one peer's on the same message, with what the recipe made.
pub struct Pair<'a> {
    /// Ours.
    pub ours: &'a Verdict,
    /// The peer's.
    pub peer: &'a Verdict,
    /// The key package in the message: as we decode it, or, when we do not
    /// and no byte was edited after encoding, as the recipe made it.
    pub key_package: Option<&'a KeyPackageIn>,
    /// The `MLSMessage` version, when we decode the message.
    pub message_version: Option<ProtocolVersion>,
    /// What the recipe made, before any byte-level edit.
    pub cooked: &'a Cooked,
}

impl Pair<'_> {
    fn kp_has(&self, shape: impl Fn(&KeyPackageIn) -> bool) -> bool {
        self.key_package.is_some_and(shape)
    }
}

/// What kind of difference a policy entry is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A rule of ours the peer does not apply (we chose to be stricter).
    OursStricter,
    /// The peer refuses what we accept, by a choice the RFC leaves open.
    PeerStricter,
    /// Both refuse, but the peer already at decoding (typed decoding).
    DecodeStage,
    /// The peer is wrong by the RFC: a finding (docs/INTEROP.md).
    PeerFinding,
    /// A difference of configuration in the harness, not of rules.
    Harness,
}

/// An entry of the policy table: a difference we expect between us and one
/// peer, and how to recognise it.
pub struct Policy {
    /// A short name (docs/INTEROP.md uses it).
    pub id: &'static str,
    /// The peer.
    pub peer: Peer,
    /// What kind of difference.
    pub kind: Kind,
    /// Whether this entry explains the pair.
    pub explains: fn(&Pair<'_>) -> bool,
}

fn listed(kp: &KeyPackageIn, t: ExtensionType) -> bool {
    kp.leaf_node.capabilities.extensions.as_slice().contains(&t)
}

fn own_caps_unlisted(kp: &KeyPackageIn) -> bool {
    let caps = &kp.leaf_node.capabilities;
    !caps.versions.as_slice().contains(&kp.version)
        || !caps.cipher_suites.as_slice().contains(&kp.cipher_suite)
}

fn skewed_not_before(kp: &KeyPackageIn) -> bool {
    kp.leaf_node.leaf_node_source.lifetime().is_some_and(|l| {
        let now = now();
        l.not_before > now.saturating_sub(2) && l.not_before <= now + 3600
    })
}

fn expires_now(kp: &KeyPackageIn) -> bool {
    kp.leaf_node
        .leaf_node_source
        .lifetime()
        .is_some_and(|l| l.not_after.abs_diff(now()) <= 2)
}

fn hpke_key_refused(p: &Pair<'_>) -> bool {
    p.ours.refused_with("KP-INIT-KEY") || p.ours.refused_with("KP-ENC-KEY")
}

fn x25519_suite(kp: &KeyPackageIn) -> bool {
    kp.cipher_suite
        .info()
        .is_some_and(|i| i.kem == keypackage_core::traits::KemAlgorithm::DhKemX25519)
}

fn leaf_has(kp: &KeyPackageIn, t: ExtensionType) -> bool {
    kp.leaf_node
        .extensions
        .iter()
        .any(|e| e.extension_type == t)
}

/// Types OpenMLS 0.9.2 parses into its own structures when decoding.
fn openmls_typed(t: ExtensionType) -> bool {
    matches!(t.0, 0x0001..=0x0006 | 0x000A)
}

fn duplicate_types(list: &keypackage_core::Extensions) -> bool {
    let mut seen = std::collections::HashSet::new();
    list.iter().any(|e| !seen.insert(e.extension_type))
}

/// The message with its leaf credential's body wrapped as a chain of one
/// certificate, when that credential is of type x509: if we decode the result,
/// the body (`certificates<V>`, RFC 9420 §5.3) was the only part we could not
/// decode. Works on the bytes, so it also sees a byte edit that turned a
/// basic credential into an x509 one. `None` when the message is too short
/// to reach the credential or the credential is of another type.
fn x509_body_wrapped(message: &[u8]) -> Option<Vec<u8>> {
    use keypackage_core::traits::codec::{read_prefixed, write_varint};
    // MLSMessage version and wire format, key package version and suite.
    let mut rest = message.get(8..)?;
    // init_key, encryption_key, signature_key.
    for _ in 0..3 {
        rest = read_prefixed(rest).ok()?.1;
    }
    let (credential_type, after_type) = rest.split_first_chunk::<2>()?;
    if u16::from_be_bytes(*credential_type) != CredentialType::X509.0 {
        return None;
    }
    let (body, tail) = read_prefixed(after_type).ok()?;
    let mut certificate = Vec::new();
    write_varint(body.len(), &mut certificate).ok()?;
    certificate.extend_from_slice(body);
    let mut wrapped = message
        .get(..message.len().checked_sub(after_type.len())?)?
        .to_vec();
    write_varint(certificate.len(), &mut wrapped).ok()?;
    wrapped.extend(certificate);
    wrapped.extend_from_slice(tail);
    Some(wrapped)
}

/// The policy table. docs/INTEROP.md explains each entry: the shape, each
/// implementation's verdict, the RFC text, our rule ID.
pub const POLICY: &[Policy] = &[
    // ---- Rules of ours the peers do not apply.
    Policy {
        id: "own-caps",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-OWN-CAPS") && p.kp_has(own_caps_unlisted),
    },
    Policy {
        id: "own-caps",
        peer: Peer::MlsRs,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-OWN-CAPS") && p.kp_has(own_caps_unlisted),
    },
    Policy {
        id: "no-defaults",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-NO-DEFAULTS"),
    },
    Policy {
        id: "credential-type-listed",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-CRED-CAP"),
    },
    Policy {
        id: "credential-type-listed",
        peer: Peer::MlsRs,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-CRED-CAP"),
    },
    Policy {
        id: "max-lifetime",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-MAX-LIFETIME"),
    },
    Policy {
        id: "max-lifetime",
        peer: Peer::MlsRs,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-MAX-LIFETIME"),
    },
    Policy {
        id: "x25519-key-policy",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| hpke_key_refused(p) && p.kp_has(x25519_suite),
    },
    Policy {
        id: "x25519-key-policy",
        peer: Peer::MlsRs,
        kind: Kind::OursStricter,
        explains: |p| hpke_key_refused(p) && p.kp_has(x25519_suite),
    },
    // ---- Findings: the peer is wrong by the RFC (docs/INTEROP.md, F3/F4).
    Policy {
        id: "F3-openmls-hpke-keys-unchecked",
        peer: Peer::OpenMls,
        kind: Kind::PeerFinding,
        explains: |p| hpke_key_refused(p) && p.kp_has(|kp| !x25519_suite(kp)),
    },
    Policy {
        id: "F4-mls-rs-encryption-key-unchecked",
        peer: Peer::MlsRs,
        kind: Kind::PeerFinding,
        explains: |p| p.ours.refused_with("KP-ENC-KEY") && p.kp_has(|kp| !x25519_suite(kp)),
    },
    Policy {
        id: "unlisted-recognised-kp-extension",
        peer: Peer::MlsRs,
        kind: Kind::OursStricter,
        explains: |p| {
            p.ours.refused_with("KP-EXT")
                && p.kp_has(|kp| {
                    kp.extensions.iter().any(|e| {
                        matches!(
                            e.extension_type,
                            ExtensionType::LAST_RESORT | ExtensionType::APP_DATA_DICTIONARY
                        ) && !listed(kp, e.extension_type)
                    })
                })
        },
    },
    Policy {
        id: "extension-placement",
        peer: Peer::MlsRs,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-EXT-PLACEMENT"),
    },
    Policy {
        id: "extension-body",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-EXT-BODY"),
    },
    Policy {
        id: "extension-body",
        peer: Peer::MlsRs,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-EXT-BODY"),
    },
    Policy {
        id: "leaf-extensions-listed",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| p.ours.refused_with("KP-LEAF-EXT"),
    },
    Policy {
        id: "credential-structure",
        peer: Peer::OpenMls,
        kind: Kind::OursStricter,
        explains: |p| {
            p.ours.refused_with("KP-CREDENTIAL")
                && p.kp_has(|kp| {
                    let t = kp.leaf_node.credential.credential_type();
                    t.is_grease()
                        || t == CredentialType(0)
                        || matches!(&kp.leaf_node.credential,
                            Credential::X509 { certificates }
                                if certificates.is_empty()
                                    || certificates.iter().any(|c| c.cert_data.as_slice().is_empty()))
                })
        },
    },
    // ---- The peers refuse what we accept.
    Policy {
        id: "unlisted-unknown-kp-extension",
        peer: Peer::OpenMls,
        kind: Kind::PeerStricter,
        explains: |p| {
            p.peer.refused_with("UnsupportedExtension")
                && p.kp_has(|kp| {
                    kp.extensions
                        .iter()
                        .any(|e| !listed(kp, e.extension_type) || e.extension_type.is_grease())
                })
        },
    },
    Policy {
        id: "clock-skew",
        peer: Peer::OpenMls,
        kind: Kind::PeerStricter,
        explains: |p| p.peer.refused_with("NotValidYet") && p.kp_has(skewed_not_before),
    },
    Policy {
        id: "clock-skew",
        peer: Peer::MlsRs,
        kind: Kind::PeerStricter,
        explains: |p| p.peer.refused_with("InvalidLifetime") && p.kp_has(skewed_not_before),
    },
    Policy {
        id: "expiry-second",
        peer: Peer::OpenMls,
        kind: Kind::PeerStricter,
        explains: |p| p.peer.refused_with("Expired") && p.kp_has(expires_now),
    },
    Policy {
        id: "basic-identity-provider",
        peer: Peer::MlsRs,
        kind: Kind::Harness,
        explains: |p| {
            p.peer.refused_with("BasicIdentityProviderError")
                && p.kp_has(|kp| kp.leaf_node.credential.credential_type() != CredentialType::BASIC)
        },
    },
    // ---- Typed decoding: the peer refuses while decoding what we refuse
    // while validating.
    Policy {
        id: "typed-decoding",
        peer: Peer::OpenMls,
        kind: Kind::DecodeStage,
        explains: |p| {
            !p.peer.decoded()
                && !p.ours.accepted()
                && (p
                    .message_version
                    .is_some_and(|v| v != ProtocolVersion::MLS10)
                    || p.kp_has(|kp| {
                        kp.version != ProtocolVersion::MLS10
                            || om::Ciphersuite::try_from(kp.cipher_suite.0).is_err()
                            || !matches!(
                                kp.leaf_node.leaf_node_source,
                                LeafNodeSource::KeyPackage(_)
                            )
                            || duplicate_types(&kp.extensions)
                            || duplicate_types(&kp.leaf_node.extensions)
                            || kp
                                .extensions
                                .iter()
                                .chain(kp.leaf_node.extensions.iter())
                                .any(|e| openmls_typed(e.extension_type))
                    }))
        },
    },
    Policy {
        id: "typed-decoding",
        peer: Peer::MlsRs,
        kind: Kind::DecodeStage,
        explains: |p| {
            !p.peer.decoded()
                && !p.ours.accepted()
                && p.kp_has(|kp| {
                    duplicate_types(&kp.extensions) || duplicate_types(&kp.leaf_node.extensions)
                })
        },
    },
    // ---- Findings: the peer is wrong by RFC 9420 (docs/INTEROP.md).
    Policy {
        id: "F1-openmls-x509-body-opaque",
        peer: Peer::OpenMls,
        kind: Kind::PeerFinding,
        explains: |p| {
            !p.ours.decoded()
                && p.peer.decoded()
                && x509_body_wrapped(&p.cooked.message).is_some_and(|wrapped| {
                    keypackage_core::MlsMessageIn::decode_key_package(&wrapped).is_ok()
                })
        },
    },
    // mls-rs checks that the key package's version equals the message's,
    // not that it is one it supports: both reserved(0) (or both any other
    // value) pass (RFC 9420 §6, §10.1).
    Policy {
        id: "F5-mls-rs-unsupported-version",
        peer: Peer::MlsRs,
        kind: Kind::PeerFinding,
        explains: |p| {
            p.ours.refused_with("KP-VER")
                && p.peer.accepted()
                && p.kp_has(|kp| {
                    kp.version != ProtocolVersion::MLS10 && p.message_version == Some(kp.version)
                })
        },
    },
    Policy {
        id: "F2-mls-rs-application-id",
        peer: Peer::MlsRs,
        kind: Kind::PeerFinding,
        explains: |p| {
            p.peer
                .refused_with("ExtensionNotInCapabilities(ExtensionType(1))")
                && p.kp_has(|kp| leaf_has(kp, ExtensionType::APPLICATION_ID))
        },
    },
];

/// The three answers on one message.
pub struct Outcome {
    /// Ours.
    pub ours: Verdict,
    /// OpenMLS's.
    pub openmls: Verdict,
    /// mls-rs's.
    pub mls_rs: Verdict,
}

impl Outcome {
    /// Runs the three implementations.
    pub fn of(message: &[u8]) -> Self {
        Self {
            ours: ours(message),
            openmls: openmls(message),
            mls_rs: mls_rs(message),
        }
    }

    fn peer(&self, peer: Peer) -> &Verdict {
        match peer {
            Peer::OpenMls => &self.openmls,
            Peer::MlsRs => &self.mls_rs,
        }
    }
}

/// Whether two answers agree on the three questions (decodes, re-encodes,
/// accepts).
fn agree(a: &Verdict, b: &Verdict) -> bool {
    a.decoded() == b.decoded()
        && matches!(a, Verdict::Reencodes) == matches!(b, Verdict::Reencodes)
        && a.accepted() == b.accepted()
}

/// For each peer: `None` when it agrees with us, else the policy entry that
/// explains the difference; `Err` with a description for an unexplained one.
pub fn compare(cooked: &Cooked) -> Result<(Outcome, [Option<&'static Policy>; 2]), String> {
    let outcome = Outcome::of(&cooked.message);
    let decoded = keypackage_core::MlsMessageIn::decode_key_package(&cooked.message).ok();
    let message_version = decoded.as_ref().map(|(version, _)| *version);
    let key_package = decoded
        .as_ref()
        .map(|(_, kp)| kp)
        .or((!cooked.byte_edited).then_some(&cooked.key_package));
    let mut explained = [None, None];
    for (slot, peer) in explained.iter_mut().zip([Peer::OpenMls, Peer::MlsRs]) {
        let theirs = outcome.peer(peer);
        if agree(&outcome.ours, theirs) {
            continue;
        }
        let pair = Pair {
            ours: &outcome.ours,
            peer: theirs,
            key_package,
            message_version,
            cooked,
        };
        match POLICY
            .iter()
            .find(|p| p.peer == peer && (p.explains)(&pair))
        {
            Some(policy) => *slot = Some(policy),
            None => {
                return Err(format!(
                    "unexplained disagreement with {peer:?} (seed by {:?}{}) on {}:\n  ours:    {:?}\n  OpenMLS: {:?}\n  mls-rs:  {:?}",
                    cooked.maker,
                    if cooked.byte_edited {
                        ", bytes edited"
                    } else {
                        ""
                    },
                    hex::encode(&cooked.message),
                    outcome.ours,
                    outcome.openmls,
                    outcome.mls_rs
                ));
            }
        }
    }
    Ok((outcome, explained))
}

/// The fuzz body: follow the recipe, compare, panic on a finding.
#[allow(clippy::panic)] // the panic is how the fuzzer reports a finding
pub fn check(data: &[u8]) {
    let cooked = cook(data);
    if let Err(finding) = compare(&cooked) {
        panic!("{finding}");
    }
}
