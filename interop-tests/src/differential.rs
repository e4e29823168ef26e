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
    CipherSuiteProvider, Ciphersuite, CredentialType, ExtensionType, HpkePublicKey,
    OpenMlsCrypto, ProposalType, ProtocolVersion, SignaturePublicKey, Signer,
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
pub const SHARED_SUITES: [Ciphersuite; 3] = [
    Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
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
        for builder in [KeyPackageBuilder::new(), KeyPackageBuilder::new().last_resort()] {
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

fn openmls_key_package(suite: Ciphersuite, last_resort: bool) -> Vec<u8> {
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

fn mls_rs_key_package(suite: Ciphersuite) -> Vec<u8> {
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

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
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
}

/// Applies one edit chosen by `recipe`.
fn edit(kp: &mut KeyPackageIn, recipe: &mut Recipe<'_>, now: u64, crypto: &RustCrypto) {
    let caps = &mut kp.leaf_node.capabilities;
    match recipe.below(20) {
        0 => kp.version = ProtocolVersion(recipe.pick(&VERSIONS)),
        1 => kp.cipher_suite = Ciphersuite(recipe.pick(&SUITES)),
        2 => caps.versions.0.retain(|v| *v != ProtocolVersion::MLS10),
        3 => caps.versions.0.push(ProtocolVersion(recipe.pick(&VERSIONS))),
        4 => {
            let own = kp.cipher_suite;
            caps.cipher_suites.0.retain(|c| *c != own)
        }
        5 => caps
            .cipher_suites
            .0
            .push(Ciphersuite(recipe.pick(&SUITES))),
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
            kp.leaf_node.leaf_node_source = if recipe.byte() % 2 == 0 {
                LeafNodeSource::Update
            } else {
                LeafNodeSource::Commit(VarBytes(vec![recipe.byte(); 32]))
            }
        }
        _ => {
            // An unknown extension with a random body and type.
            let t = ExtensionType(recipe.u16());
            let body = recipe.blob();
            if recipe.byte() % 2 == 0 {
                kp.extensions.push(Extension::new(t, body));
            } else {
                caps.extensions.0.push(t);
                kp.leaf_node.extensions.push(Extension::new(t, body));
            }
        }
    }
}

/// The key package message the recipe describes, and its seed.
pub fn cook(data: &[u8]) -> (Vec<u8>, &'static Seed) {
    let now = now();
    let seeds = seeds();
    let mut recipe = Recipe { bytes: data };
    let seed = &seeds[recipe.below(seeds.len())];
    let crypto = RustCrypto::new();
    let mut kp = seed.key_package.clone();
    for _ in 0..recipe.below(4) {
        edit(&mut kp, &mut recipe, now, &crypto);
    }
    let signing = match recipe.below(8) {
        0 => Signing::KeyPackageOnly,
        1 => Signing::None,
        _ => Signing::Both,
    };
    // Signing fails only for a TBS longer than a vector can carry; the
    // recipe cannot make one.
    let _ = match signing {
        Signing::Both => kp.resign(&seed.signer),
        Signing::KeyPackageOnly => kp.sign_key_package(&seed.signer),
        Signing::None => Ok(()),
    };
    let mut message = vec![0x00, 0x01, 0x00, 0x05];
    message.extend(kp.encode().unwrap_or_default());
    // Byte-level edits for the decoders, rarely.
    if recipe.below(8) == 0 {
        match recipe.below(3) {
            0 => {
                message.pop();
            }
            1 => message.push(recipe.byte()),
            _ => {
                let at = recipe.below(message.len());
                message[at] ^= recipe.byte() | 1;
            }
        }
    }
    (message, seed)
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

/// The three answers on one message, and the key package we decoded (if
/// we did).
pub struct Outcome {
    /// Ours.
    pub ours: Verdict,
    /// OpenMLS's.
    pub openmls: Verdict,
    /// mls-rs's.
    pub mls_rs: Verdict,
    /// The key package, as we decode it.
    pub key_package: Option<KeyPackageIn>,
}

/// An entry of the policy table: a disagreement we expect, why, and how to
/// recognise it.
pub struct Policy {
    /// A short name (docs/INTEROP.md uses it).
    pub id: &'static str,
    /// Whether this entry explains the outcome.
    pub matches: fn(&Outcome) -> bool,
}

fn has_kp_extension(kp: &KeyPackageIn, t: ExtensionType) -> bool {
    kp.extensions.iter().any(|e| e.extension_type == t)
}

fn listed(kp: &KeyPackageIn, t: ExtensionType) -> bool {
    kp.leaf_node.capabilities.extensions.as_slice().contains(&t)
}

/// Whether a KeyPackage extension is not listed in capabilities.
fn unlisted_kp_extension(kp: &KeyPackageIn) -> bool {
    kp.extensions
        .iter()
        .any(|e| !listed(kp, e.extension_type))
}

/// The policy table. docs/INTEROP.md explains each entry: the shape, each
/// implementation's verdict, the RFC text, and our rule ID.
pub const POLICY: &[Policy] = &[
    // KP-NO-DEFAULTS: capabilities list a default type. We refuse (§7.2:
    // "MUST NOT be listed"); OpenMLS does not check.
    Policy {
        id: "no-defaults",
        matches: |o| o.ours.refused_with("KP-NO-DEFAULTS") && !o.openmls.refused_with("Signature"),
    },
    // KP-EXT: an unlisted last-resort extension. We and OpenMLS refuse;
    // mls-rs accepts.
    Policy {
        id: "unlisted-last-resort",
        matches: |o| {
            o.ours.refused_with("KP-EXT")
                && o.key_package.as_ref().is_some_and(|kp| {
                    has_kp_extension(kp, ExtensionType::LAST_RESORT)
                        && !listed(kp, ExtensionType::LAST_RESORT)
                })
        },
    },
    // OpenMLS requires every KeyPackage extension to be listed, unknown
    // ones too; we ignore unknown ones (§13.4; docs/DESIGN.md §5.1).
    Policy {
        id: "openmls-unlisted-unknown-extension",
        matches: |o| {
            o.openmls.refused_with("UnsupportedExtension")
                && o.key_package.as_ref().is_some_and(unlisted_kp_extension)
        },
    },
];

/// Runs the three implementations on `message` and checks that they agree
/// or that a policy entry explains why not; returns the outcome, or the
/// finding.
pub fn compare(message: &[u8]) -> Result<Outcome, String> {
    let outcome = Outcome {
        ours: ours(message),
        openmls: openmls(message),
        mls_rs: mls_rs(message),
        key_package: keypackage_core::MlsMessageIn::decode_key_package(message)
            .ok()
            .map(|(_, kp)| kp),
    };
    let agree_decode = outcome.ours.decoded() == outcome.openmls.decoded()
        && outcome.ours.decoded() == outcome.mls_rs.decoded();
    let agree_verdict = outcome.ours.accepted() == outcome.openmls.accepted()
        && outcome.ours.accepted() == outcome.mls_rs.accepted();
    if agree_decode && agree_verdict {
        return Ok(outcome);
    }
    if POLICY.iter().any(|p| (p.matches)(&outcome)) {
        return Ok(outcome);
    }
    Err(format!(
        "unexplained disagreement on {}:\n  ours:    {:?}\n  OpenMLS: {:?}\n  mls-rs:  {:?}",
        hex::encode(message),
        outcome.ours,
        outcome.openmls,
        outcome.mls_rs
    ))
}

/// The fuzz body: cook the recipe, compare, panic on a finding.
pub fn check(data: &[u8]) {
    let (message, _) = cook(data);
    if let Err(finding) = compare(&message) {
        panic!("{finding}");
    }
}

/// Which policy entry explains an outcome (`None` when all agree).
pub fn explained_by(outcome: &Outcome) -> Option<&'static str> {
    POLICY.iter().find(|p| (p.matches)(outcome)).map(|p| p.id)
}

/// A key package's signature key, for tests.
pub fn signature_key(seed: &Seed) -> &SignaturePublicKey {
    seed.signer.public_key()
}
