//! Interop with OpenMLS 0.9.2 (openmls_rust_crypto 0.6), both directions:
//!
//! * ours → OpenMLS: our key packages (suites 1, 2, 3; both backends) pass
//!   OpenMLS `KeyPackageIn::validate` and are added to an OpenMLS group,
//!   except the opt-in GREASE extensions, even listed: OpenMLS 0.9.2
//!   refuses a GREASE type in `KeyPackage.extensions` in `validate`, and one
//!   in `LeafNode.extensions` in `add_members` (both asserted, so that a
//!   change in OpenMLS is noticed);
//! * OpenMLS → ours: OpenMLS key packages (defaults, last resort, GREASE, a
//!   leaf extension) under both of our backends, with the expected verdicts;
//! * the real use: an OpenMLS group adds our key package, and we open the
//!   Welcome with the init key of our bundle;
//! * negative agreement on malformed key packages.
//!
//! Each test prints its verdict table (`cargo test -- --nocapture`);
//! docs/INTEROP.md keeps the matrix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "peers/common.rs"]
mod common;

use common::{
    Malformed, Table, Variant, describe_ours, message, open_welcome, our_verdict, ours, rule_id,
    suite_name, wrap,
};
use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::ExtensionType;
use keypackage_core::traits::{CipherSuite, OpenMlsCrypto};
use keypackage_core::{Rule, ValidationError};
use openmls::prelude as om;
use openmls::prelude::tls_codec::DeserializeBytes as _;
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider as _;

/// The suites both OpenMLS's RustCrypto provider and our two backends have.
const SUITES: [CipherSuite; 3] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
];

const PEER: &str = "OpenMLS 0.9.2";

/// OpenMLS's `add_members` error for a leaf whose extensions it finds
/// missing from the leaf's capabilities.
const LEAF_UNSUPPORTED_EXTENSIONS: &str =
    "CreateCommitError(ProposalValidationError(LeafNodeValidation(UnsupportedExtensions)))";

fn om_suite(suite: CipherSuite) -> om::Ciphersuite {
    om::Ciphersuite::try_from(suite.0).unwrap()
}

/// Why OpenMLS refused a key package.
#[derive(Debug)]
enum Refusal {
    /// `MlsMessageIn` did not decode exactly.
    Decode(om::tls_codec::Error),
    /// `KeyPackageIn::validate` refused it.
    Validate(om::KeyPackageVerifyError),
}

/// OpenMLS's verdict on an `MLSMessage` carrying a key package: exact
/// decoding of `MlsMessageIn`, then `KeyPackageIn::validate` (which checks
/// the lifetime against the system clock).
fn openmls_verdict(
    provider: &OpenMlsRustCrypto,
    message: &[u8],
) -> Result<om::KeyPackage, Refusal> {
    let msg = om::MlsMessageIn::tls_deserialize_exact_bytes(message).map_err(Refusal::Decode)?;
    let om::MlsMessageBodyIn::KeyPackage(kp) = msg.extract() else {
        panic!("not a key package message");
    };
    kp.validate(provider.crypto(), om::ProtocolVersion::Mls10)
        .map_err(Refusal::Validate)
}

fn describe(verdict: &Result<om::KeyPackage, Refusal>) -> String {
    match verdict {
        Ok(_) => "accept".to_string(),
        Err(Refusal::Decode(e)) => format!("refuse (decode: {e:?})"),
        Err(Refusal::Validate(e)) => format!("refuse (`{e:?}`)"),
    }
}

/// A signature key pair and basic credential for an OpenMLS client.
fn om_identity(suite: CipherSuite, name: &str) -> (om::CredentialWithKey, SignatureKeyPair) {
    let signer = SignatureKeyPair::new(om_suite(suite).signature_algorithm()).unwrap();
    let credential = om::CredentialWithKey {
        credential: om::BasicCredential::new(name.as_bytes().to_vec()).into(),
        signature_key: signer.public().into(),
    };
    (credential, signer)
}

/// An OpenMLS group of one (suite `suite`, ratchet tree in the Welcome).
fn om_group(provider: &OpenMlsRustCrypto, suite: CipherSuite) -> (om::MlsGroup, SignatureKeyPair) {
    let (credential, signer) = om_identity(suite, "alice");
    let group = om::MlsGroup::builder()
        .ciphersuite(om_suite(suite))
        .use_ratchet_tree_extension(true)
        .build(provider, &signer, credential)
        .unwrap();
    (group, signer)
}

/// Adds `key_package` to a fresh OpenMLS group and commits; returns the
/// Welcome message bytes, or OpenMLS's error.
fn om_add(
    provider: &OpenMlsRustCrypto,
    suite: CipherSuite,
    key_package: om::KeyPackage,
) -> Result<Vec<u8>, String> {
    om_add_to(provider, om_group(provider, suite), key_package)
}

/// An OpenMLS group of one whose member (basic credential) lists both
/// basic and x509 credentials in its capabilities: RFC 9420 §7.3 has every
/// member support the new leaf's credential type, and OpenMLS's default
/// capabilities list basic only.
fn om_group_accepting_x509(
    provider: &OpenMlsRustCrypto,
    suite: CipherSuite,
) -> (om::MlsGroup, SignatureKeyPair) {
    let (credential, signer) = om_identity(suite, "alice");
    let group = om::MlsGroup::builder()
        .ciphersuite(om_suite(suite))
        .use_ratchet_tree_extension(true)
        .with_capabilities(
            om::Capabilities::builder()
                .credentials(vec![om::CredentialType::Basic, om::CredentialType::X509])
                .build(),
        )
        .build(provider, &signer, credential)
        .unwrap();
    (group, signer)
}

/// Adds `key_package` to `group` and commits; returns the Welcome message
/// bytes, or OpenMLS's error.
fn om_add_to(
    provider: &OpenMlsRustCrypto,
    (mut group, signer): (om::MlsGroup, SignatureKeyPair),
    key_package: om::KeyPackage,
) -> Result<Vec<u8>, String> {
    let (_commit, welcome, _group_info) = group
        .add_members(provider, &signer, &[key_package])
        .map_err(|e| format!("{e:?}"))?;
    group.merge_pending_commit(provider).unwrap();
    assert_eq!(group.members().count(), 2);
    Ok(welcome.to_bytes().unwrap())
}

/// Ours → OpenMLS, for every suite and variant under one backend: the
/// `MLSMessage` and the bare key package get the same verdict; an accepted
/// key package has our reference and joins an OpenMLS group.
fn ours_to_openmls<C: OpenMlsCrypto>(crypto: &C, table: &mut Table) -> usize {
    let provider = OpenMlsRustCrypto::default();
    let mut checked = 0;
    for suite in SUITES {
        for variant in Variant::ALL {
            let (bundle, _) = ours(crypto, suite, variant);
            let verdict = openmls_verdict(&provider, &message(bundle.key_package()));

            let bare = bundle.key_package().encode().unwrap();
            let bare_verdict = om::KeyPackageIn::tls_deserialize_exact_bytes(&bare)
                .unwrap()
                .validate(provider.crypto(), om::ProtocolVersion::Mls10);
            assert_eq!(verdict.is_ok(), bare_verdict.is_ok(), "{variant:?}");

            let add = match (&verdict, variant) {
                // OpenMLS 0.9.2: `Extension::extension_type()` reports a
                // GREASE value as `ExtensionType::Unknown(v)`, while the
                // capabilities decode it as `ExtensionType::Grease(v)`, so
                // the listed GREASE extension is not found.
                (Err(Refusal::Validate(e)), Variant::GreaseKeyPackageExtension) => {
                    assert_eq!(e, &om::KeyPackageVerifyError::UnsupportedExtension);
                    "—".to_string()
                }
                (Ok(kp), _) => {
                    let reference = kp.hash_ref(provider.crypto()).unwrap();
                    assert_eq!(reference.as_slice(), bundle.reference().as_slice());
                    assert_eq!(kp.last_resort(), variant == Variant::LastResort);
                    match (om_add(&provider, suite, kp.clone()), variant) {
                        (Ok(welcome), _) => {
                            open_welcome(crypto, &bundle, &welcome);
                            "added, Welcome opened".to_string()
                        }
                        // The same GREASE mix-up, in LeafNode::validate_locally
                        // (Capabilities::contains_extensions) when the Add
                        // proposal is validated: `validate` passed, the
                        // group refuses the member.
                        (Err(e), Variant::GreaseLeafExtension) => {
                            assert_eq!(e, LEAF_UNSUPPORTED_EXTENSIONS);
                            format!("refuse (`{e}`)")
                        }
                        (Err(e), _) => panic!("{suite:?} {variant:?}: add_members: {e}"),
                    }
                }
                (Err(e), _) => panic!(
                    "{PEER} refused our {suite:?} {variant:?} key package from {}: {e:?}",
                    crypto.name()
                ),
            };
            table.row(vec![
                suite_name(suite),
                crypto.name().to_string(),
                variant.name().to_string(),
                describe(&verdict),
                add,
            ]);
            checked += 1;
        }
    }
    checked
}

#[test]
fn our_key_packages_pass_openmls_validate_and_join_its_groups() {
    let mut table = Table::new(&[
        "suite",
        "our backend",
        "our key package",
        "OpenMLS `KeyPackageIn::validate`",
        "OpenMLS `add_members`",
    ]);
    assert_eq!(ours_to_openmls(&RustCrypto::new(), &mut table), 3 * 5);
    assert_eq!(ours_to_openmls(&RingCrypto::new(), &mut table), 3 * 5);
    table.print("ours → OpenMLS 0.9.2");
}

/// The key packages OpenMLS makes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Theirs {
    /// `KeyPackage::builder().build(..)` with every default.
    Default,
    /// `.mark_as_last_resort()` with the default capabilities, which do not
    /// list last_resort.
    LastResort,
    /// `.mark_as_last_resort()` with last_resort listed in capabilities.
    LastResortListed,
    /// `Capabilities::builder().with_grease(rand)`.
    Grease,
    /// An application_id leaf extension (a default type: need not be listed).
    ApplicationId,
}

impl Theirs {
    const ALL: [Theirs; 5] = [
        Theirs::Default,
        Theirs::LastResort,
        Theirs::LastResortListed,
        Theirs::Grease,
        Theirs::ApplicationId,
    ];

    fn name(self) -> &'static str {
        match self {
            Theirs::Default => "defaults",
            Theirs::LastResort => "`mark_as_last_resort()`",
            Theirs::LastResortListed => "`mark_as_last_resort()` + LastResort in capabilities",
            Theirs::Grease => "`Capabilities::with_grease`",
            Theirs::ApplicationId => "application_id leaf extension",
        }
    }

    fn make(self, provider: &OpenMlsRustCrypto, suite: CipherSuite) -> om::KeyPackage {
        let (credential, signer) = om_identity(suite, "bob");
        let builder = om::KeyPackage::builder();
        let builder = match self {
            Theirs::Default => builder,
            Theirs::LastResort => builder.mark_as_last_resort(),
            Theirs::LastResortListed => builder.mark_as_last_resort().leaf_node_capabilities(
                om::Capabilities::builder()
                    .extensions(vec![om::ExtensionType::LastResort])
                    .build(),
            ),
            Theirs::Grease => builder.leaf_node_capabilities(
                om::Capabilities::builder()
                    .with_grease(provider.rand())
                    .build(),
            ),
            Theirs::ApplicationId => builder.leaf_node_extensions(
                om::Extensions::single(om::Extension::ApplicationId(
                    om::ApplicationIdExtension::new(b"bob's device"),
                ))
                .unwrap(),
            ),
        };
        builder
            .build(om_suite(suite), provider, &signer, credential)
            .unwrap()
            .key_package()
            .clone()
    }

    /// Our expected verdict: `None` to accept, else the rule.
    fn expected(self) -> Option<Rule> {
        match self {
            // RFC 9420 §10: last_resort is a KeyPackage extension that must
            // be listed in capabilities.extensions; OpenMLS's default
            // capabilities list no extension type.
            Theirs::LastResort => Some(Rule::Extensions),
            _ => None,
        }
    }
}

/// OpenMLS → ours under one backend, for every suite and kind.
fn openmls_to_ours<C: OpenMlsCrypto>(crypto: &C, table: &mut Table) -> usize {
    let provider = OpenMlsRustCrypto::default();
    let mut checked = 0;
    for suite in SUITES {
        for theirs in Theirs::ALL {
            let kp = theirs.make(&provider, suite);
            let bytes = om::MlsMessageOut::from(kp.clone()).to_bytes().unwrap();
            let strict = our_verdict(crypto, &bytes, true);
            let lenient = our_verdict(crypto, &bytes, false);
            // OpenMLS 0.9 lists no default type, so KP-NO-DEFAULTS changes
            // nothing (older releases did list them: see messages.json).
            assert_eq!(strict, lenient, "{suite:?} {theirs:?}");
            match (theirs.expected(), &strict) {
                (None, Ok(ours)) => {
                    let reference = kp.hash_ref(provider.crypto()).unwrap();
                    assert_eq!(ours.reference().as_slice(), reference.as_slice());
                    assert_eq!(ours.is_last_resort(), kp.last_resort());
                    let caps = &ours.leaf_node().capabilities;
                    assert!(!caps.extensions.iter().any(|t| t.is_default()));
                    assert!(!caps.proposals.iter().any(|t| t.is_default()));
                }
                (Some(rule), Err(e)) => {
                    assert_eq!(e.rule(), Some(rule), "{suite:?} {theirs:?}: {e}");
                    assert_eq!(
                        e,
                        &ValidationError::UnlistedExtension {
                            extension_type: ExtensionType::LAST_RESORT
                        }
                    );
                }
                (expected, got) => panic!(
                    "{suite:?} {theirs:?} under {}: expected {expected:?}, got {}",
                    crypto.name(),
                    describe_ours(got)
                ),
            }
            // OpenMLS's own verdict on its key package.
            let own = openmls_verdict(&provider, &bytes);
            if theirs == Theirs::LastResort {
                assert!(matches!(
                    own,
                    Err(Refusal::Validate(
                        om::KeyPackageVerifyError::UnsupportedExtension
                    ))
                ));
            } else {
                assert!(own.is_ok(), "{theirs:?}: {own:?}");
            }
            table.row(vec![
                suite_name(suite),
                theirs.name().to_string(),
                crypto.name().to_string(),
                describe_ours(&strict),
                describe(&own),
            ]);
            checked += 1;
        }
    }
    checked
}

#[test]
fn openmls_key_packages_get_the_expected_verdict_under_both_backends() {
    let mut table = Table::new(&[
        "suite",
        "OpenMLS key package",
        "our backend",
        "our verdict",
        "OpenMLS's own `validate`",
    ]);
    assert_eq!(openmls_to_ours(&RustCrypto::new(), &mut table), 3 * 5);
    assert_eq!(openmls_to_ours(&RingCrypto::new(), &mut table), 3 * 5);
    table.print("OpenMLS 0.9.2 → ours");
}

/// The real use, spelled out for one suite: OpenMLS validates our key
/// package from its wire bytes, adds it, commits; we find our entry in the
/// Welcome and open the group secrets with the bundle's init key.
#[test]
fn openmls_welcome_opens_with_our_init_key() {
    let provider = OpenMlsRustCrypto::default();
    let crypto = RustCrypto::new();
    let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    let (bundle, _) = ours(&crypto, suite, Variant::Plain);
    let wire = bundle.key_package().encode().unwrap();
    let kp = om::KeyPackageIn::tls_deserialize_exact_bytes(&wire)
        .unwrap()
        .validate(provider.crypto(), om::ProtocolVersion::Mls10)
        .unwrap();
    let welcome = om_add(&provider, suite, kp).unwrap();
    let secrets = open_welcome(&crypto, &bundle, &welcome);
    assert!(secrets.psks.is_empty());
}

/// Negative agreement: each malformed key package under each of our
/// backends (suite 1); OpenMLS and we refuse, for the reason expected.
/// Where OpenMLS's `validate` does not check a rule (unlisted leaf
/// extension), its `add_members` does.
#[test]
fn malformed_key_packages_are_refused_by_openmls_and_us() {
    let provider = OpenMlsRustCrypto::default();
    let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    let mut table = Table::new(&[
        "malformed key package",
        "our backend",
        "our verdict",
        "OpenMLS `validate`",
        "OpenMLS `add_members`",
    ]);
    malformed_under(&RustCrypto::new(), &provider, suite, &mut table);
    malformed_under(&RingCrypto::new(), &provider, suite, &mut table);
    table.print("malformed key packages: OpenMLS 0.9.2 and ours");
}

fn malformed_under<C: OpenMlsCrypto>(
    crypto: &C,
    provider: &OpenMlsRustCrypto,
    suite: CipherSuite,
    table: &mut Table,
) {
    for case in Malformed::ALL {
        let message = wrap(&case.bare_bytes(crypto, suite));
        let ours = our_verdict(crypto, &message, true);
        let err = ours.as_ref().expect_err(case.name());
        assert_eq!(err.rule(), Some(case.our_rule()), "{case:?}: {err}");

        let theirs = openmls_verdict(provider, &message);
        let add = match (case, &theirs) {
            (Malformed::BadKeyPackageSignature, Err(Refusal::Validate(e))) => {
                assert_eq!(e, &om::KeyPackageVerifyError::InvalidSignature);
                "—".to_string()
            }
            (Malformed::BadLeafSignature, Err(Refusal::Validate(e))) => {
                assert_eq!(e, &om::KeyPackageVerifyError::InvalidLeafNodeSignature);
                "—".to_string()
            }
            (Malformed::TrailingByte | Malformed::Truncated, Err(Refusal::Decode(_))) => {
                "—".to_string()
            }
            (Malformed::InitKeyEqualsEncryptionKey, Err(Refusal::Validate(e))) => {
                assert_eq!(e, &om::KeyPackageVerifyError::InitKeyEqualsEncryptionKey);
                "—".to_string()
            }
            (Malformed::Expired, Err(Refusal::Validate(e))) => {
                assert!(
                    matches!(e, om::KeyPackageVerifyError::LifetimeError(_)),
                    "{e:?}"
                );
                "—".to_string()
            }
            (Malformed::UnlistedLastResort, Err(Refusal::Validate(e))) => {
                assert_eq!(e, &om::KeyPackageVerifyError::UnsupportedExtension);
                "—".to_string()
            }
            // OpenMLS's KeyPackageIn::validate does not check the leaf's
            // extensions against its capabilities; LeafNode::validate_locally
            // does, when the key package is added to a group.
            (Malformed::UnlistedLeafExtension, Ok(kp)) => {
                let refused = om_add(provider, suite, kp.clone())
                    .expect_err("OpenMLS added a leaf with an unlisted extension");
                assert_eq!(refused, LEAF_UNSUPPORTED_EXTENSIONS);
                format!("refuse (`{refused}`)")
            }
            (case, theirs) => panic!("{case:?}: unexpected OpenMLS verdict {theirs:?}"),
        };
        table.row(vec![
            case.name().to_string(),
            crypto.name().to_string(),
            format!("refuse {}", rule_id(err)),
            describe(&theirs),
            add,
        ]);
    }
}

/// Ours → OpenMLS with an `x509` credential, under one backend: OpenMLS
/// validates the key package and adds it to a group, and it does so just
/// the same when the end entity's certificate signature is broken, which
/// our X.509 validator refuses: OpenMLS checks the key package's
/// signatures, not the credential (RFC 9420 §5.3.1 leaves that to the
/// application).
fn x509_to_openmls<C: OpenMlsCrypto>(crypto: &C, table: &mut Table)
where
    C::Suite: 'static,
{
    let provider = OpenMlsRustCrypto::default();
    for suite in SUITES {
        let (good, broken) = common::ours_x509(crypto, suite);
        for (name, bundle) in [
            ("x509, valid chain", &good),
            ("x509, broken certificate signature", &broken),
        ] {
            let bytes = message(bundle.key_package());
            let ours = common::our_x509_verdict(crypto, suite, &bytes);
            match (&ours, name) {
                (Ok(_), "x509, valid chain") => {}
                (Err(ValidationError::Credential(r)), "x509, broken certificate signature")
                    if r.kind == keypackage_core::CredentialRejection::BadSignature => {}
                (other, _) => panic!("{suite:?} {name}: our verdict {other:?}"),
            }
            let verdict = openmls_verdict(&provider, &bytes);
            let kp = verdict
                .as_ref()
                .unwrap_or_else(|e| panic!("{PEER} refused our {suite:?} {name}: {e:?}"));
            assert_eq!(
                kp.leaf_node().credential().credential_type(),
                om::CredentialType::X509
            );
            let reference = kp.hash_ref(provider.crypto()).unwrap();
            assert_eq!(reference.as_slice(), bundle.reference().as_slice());
            // A group of basic members that does not list x509: refused
            // (§7.3), as it should be.
            let refused = om_add(&provider, suite, kp.clone()).unwrap_err();
            assert_eq!(
                refused,
                "CreateCommitError(ProposalValidationError(LeafNodeValidation(UnsupportedCredentials)))"
            );
            let welcome = om_add_to(
                &provider,
                om_group_accepting_x509(&provider, suite),
                kp.clone(),
            )
            .unwrap_or_else(|e| panic!("{suite:?} {name}: add_members: {e}"));
            open_welcome(crypto, bundle, &welcome);
            table.row(vec![
                suite_name(suite),
                crypto.name().to_string(),
                name.to_string(),
                describe_ours(&ours),
                describe(&verdict),
                "added (by a member listing x509), Welcome opened".to_string(),
            ]);
        }
    }
}

#[test]
fn openmls_accepts_and_adds_our_x509_key_packages_without_checking_the_chain() {
    let mut table = Table::new(&[
        "suite",
        "our backend",
        "our credential",
        "ours (`X509CredentialValidator`)",
        "OpenMLS `KeyPackageIn::validate`",
        "OpenMLS `add_members`",
    ]);
    x509_to_openmls(&RustCrypto::new(), &mut table);
    x509_to_openmls(&RingCrypto::new(), &mut table);
    table.print("ours (x509) → OpenMLS 0.9.2");
}

/// The peers are dev-dependencies of interop-tests only: in Cargo.lock,
/// nothing the library crates depend on (normal, build or dev, any feature:
/// a superset of `cargo tree -e normal`) reaches openmls or mls-rs, while
/// interop-tests does reach both.
#[test]
fn peers_stay_out_of_the_library_crates_dependency_trees() {
    let lock_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock");
    let lock = std::fs::read_to_string(lock_path).unwrap();
    let graph = lock_graph(&lock);
    let is_peer = |name: &str| name.starts_with("openmls") || name.starts_with("mls-rs");
    for library in [
        "keypackage-traits",
        "backend-common",
        "keypackage-core",
        "backend-rustcrypto",
        "backend-ring",
        "keystore-sqlite",
        "keypackage-cli",
        "keypackage-x509",
    ] {
        let reached = reachable(&graph, library);
        assert!(reached.len() > 1, "{library} not found in Cargo.lock");
        let peers: Vec<_> = reached.iter().filter(|n| is_peer(n)).collect();
        assert!(peers.is_empty(), "{library} reaches {peers:?}");
    }
    let reached = reachable(&graph, "interop-tests");
    for peer in ["openmls", "mls-rs"] {
        assert!(reached.contains(peer), "interop-tests should reach {peer}");
    }
}

/// Package name → names of its dependencies, every version merged.
fn lock_graph(lock: &str) -> std::collections::HashMap<String, Vec<String>> {
    let mut graph: std::collections::HashMap<String, Vec<String>> = Default::default();
    for package in lock.split("[[package]]").skip(1) {
        let mut name = None;
        let mut deps = Vec::new();
        let mut in_deps = false;
        for line in package.lines().map(str::trim) {
            if let Some(value) = line.strip_prefix("name = ") {
                name = Some(value.trim_matches('"').to_string());
            } else if line.starts_with("dependencies = [") {
                in_deps = true;
            } else if in_deps && line.starts_with(']') {
                in_deps = false;
            } else if in_deps {
                // "name", "name version" or "name version (source)".
                let entry = line.trim_end_matches(',').trim_matches('"');
                deps.push(entry.split(' ').next().unwrap().to_string());
            }
        }
        graph.entry(name.unwrap()).or_default().extend(deps);
    }
    graph
}

fn reachable(
    graph: &std::collections::HashMap<String, Vec<String>>,
    root: &str,
) -> std::collections::BTreeSet<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![root.to_string()];
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            stack.extend(graph.get(&name).into_iter().flatten().cloned());
        }
    }
    seen
}
