//! Interop with mls-rs 0.57 (mls-rs-crypto-rustcrypto 0.23), both
//! directions:
//!
//! * ours → mls-rs: our key packages (suites 1, 2, 3, 7; both backends) pass
//!   `ExternalClient::validate_key_package` and are added to an mls-rs
//!   group, GREASE extensions included;
//! * mls-rs → ours: mls-rs key packages (defaults, and with extensions)
//!   under both of our backends, with the expected verdicts;
//! * the real use: an mls-rs group adds our key package, and we open the
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
use mls_rs::client_builder::MlsConfig;
use mls_rs::error::MlsError;
use mls_rs::external_client::ExternalClient;
use mls_rs::external_client::builder::MlsConfig as ExternalMlsConfig;
use mls_rs::identity::SigningIdentity;
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::{CipherSuiteProvider, Client, CryptoProvider, ExtensionList, MlsMessage};
use mls_rs_crypto_rustcrypto::RustCryptoProvider;

/// The suites mls-rs-crypto-rustcrypto has, all of which both our backends
/// have.
const SUITES: [CipherSuite; 4] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
    CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

const PEER: &str = "mls-rs 0.57";

fn mls_suite(suite: CipherSuite) -> mls_rs::CipherSuite {
    mls_rs::CipherSuite::new(suite.0)
}

/// A delivery service's view: mls-rs's external client.
fn external_client() -> ExternalClient<impl ExternalMlsConfig> {
    ExternalClient::builder()
        .identity_provider(BasicIdentityProvider::new())
        .crypto_provider(RustCryptoProvider::default())
        .build()
}

/// Why mls-rs refused a key package.
#[derive(Debug)]
enum Refusal {
    /// `MlsMessage::from_bytes` failed (exact decoding).
    Decode(MlsError),
    /// `ExternalClient::validate_key_package` refused it.
    Validate(MlsError),
}

/// mls-rs's verdict on an `MLSMessage` carrying a key package, at its own
/// clock.
fn mls_rs_verdict(message: &[u8]) -> Result<mls_rs::KeyPackage, Refusal> {
    let msg = MlsMessage::from_bytes(message).map_err(Refusal::Decode)?;
    external_client()
        .validate_key_package(msg, None)
        .map_err(Refusal::Validate)
}

fn describe(verdict: &Result<mls_rs::KeyPackage, Refusal>) -> String {
    match verdict {
        Ok(_) => "accept".to_string(),
        Err(Refusal::Decode(e)) => format!("refuse (decode: `{e:?}`)"),
        Err(Refusal::Validate(e)) => format!("refuse (`{e:?}`)"),
    }
}

/// An mls-rs client for `suite` with a basic credential; `extension_types`
/// are the extra extension types it lists in capabilities.
fn client(suite: CipherSuite, name: &str, extension_types: &[u16]) -> Client<impl MlsConfig> {
    let crypto = RustCryptoProvider::default();
    let provider = crypto.cipher_suite_provider(mls_suite(suite)).unwrap();
    let (secret, public) = provider.signature_key_generate().unwrap();
    let credential = BasicCredential::new(name.as_bytes().to_vec()).into_credential();
    let identity = SigningIdentity::new(credential, public);
    Client::builder()
        .identity_provider(BasicIdentityProvider::new())
        .crypto_provider(crypto)
        .extension_types(
            extension_types
                .iter()
                .map(|t| mls_rs::extension::ExtensionType::new(*t)),
        )
        .signing_identity(identity, secret, mls_suite(suite))
        .build()
}

/// The reference mls-rs computes for a key package it accepted.
fn mls_rs_reference(kp: &mls_rs::KeyPackage) -> Vec<u8> {
    let provider = RustCryptoProvider::default()
        .cipher_suite_provider(kp.cipher_suite())
        .unwrap();
    kp.to_reference(&provider).unwrap().to_vec()
}

/// Adds the key package message to a fresh mls-rs group and commits;
/// returns the Welcome message bytes, or mls-rs's error.
fn mls_rs_add(suite: CipherSuite, key_package_message: &[u8]) -> Result<Vec<u8>, MlsError> {
    let alice = client(suite, "alice", &[]);
    let mut group = alice.create_group(ExtensionList::default(), ExtensionList::default(), None)?;
    let output = group
        .commit_builder()
        .add_member(MlsMessage::from_bytes(key_package_message)?)?
        .build()?;
    group.apply_pending_commit()?;
    assert_eq!(group.roster().members().len(), 2);
    assert_eq!(output.welcome_messages.len(), 1);
    output.welcome_messages[0].to_bytes()
}

/// Ours → mls-rs, for every suite and variant under one backend: accepted,
/// with our reference, and added to an mls-rs group whose Welcome we open.
fn ours_to_mls_rs<C: OpenMlsCrypto>(crypto: &C, table: &mut Table) -> usize {
    let mut checked = 0;
    for suite in SUITES {
        for variant in Variant::ALL {
            let (bundle, _) = ours(crypto, suite, variant);
            let message = message(bundle.key_package());
            let verdict = mls_rs_verdict(&message);
            let kp = verdict.as_ref().unwrap_or_else(|e| {
                panic!(
                    "{PEER} refused our {suite:?} {variant:?} key package from {}: {e:?}",
                    crypto.name()
                )
            });
            assert_eq!(mls_rs_reference(kp), bundle.reference().as_slice());
            let welcome = mls_rs_add(suite, &message)
                .unwrap_or_else(|e| panic!("{suite:?} {variant:?}: add_member: {e:?}"));
            open_welcome(crypto, &bundle, &welcome);
            table.row(vec![
                suite_name(suite),
                crypto.name().to_string(),
                variant.name().to_string(),
                describe(&verdict),
                "added, Welcome opened".to_string(),
            ]);
            checked += 1;
        }
    }
    checked
}

#[test]
fn our_key_packages_pass_mls_rs_validate_and_join_its_groups() {
    let mut table = Table::new(&[
        "suite",
        "our backend",
        "our key package",
        "mls-rs `validate_key_package`",
        "mls-rs `add_member`",
    ]);
    assert_eq!(ours_to_mls_rs(&RustCrypto::new(), &mut table), 4 * 5);
    assert_eq!(ours_to_mls_rs(&RingCrypto::new(), &mut table), 4 * 5);
    table.print("ours → mls-rs 0.57");
}

/// Ours → mls-rs with an `x509` credential: mls-rs decodes it, and its
/// `BasicIdentityProvider` (the identity provider of the pure-Rust build;
/// mls-rs's X.509 provider, mls-rs-identity-x509, needs a certificate
/// reader and validator that mls-rs ships only for OpenSSL) refuses any
/// credential that is not `basic`, in `validate_key_package` and in
/// `add_member`. Asserted, so that a change in mls-rs is noticed.
fn x509_to_mls_rs<C: OpenMlsCrypto>(crypto: &C, table: &mut Table)
where
    C::Suite: 'static,
{
    for suite in SUITES {
        let (bundle, _) = common::ours_x509(crypto, suite);
        let bytes = message(bundle.key_package());
        let ours = common::our_x509_verdict(crypto, suite, &bytes);
        assert!(ours.is_ok(), "{suite:?}: {ours:?}");
        let verdict = mls_rs_verdict(&bytes);
        let Err(Refusal::Validate(e)) = &verdict else {
            panic!("{PEER} did not refuse our {suite:?} x509 key package: {verdict:?}");
        };
        let e = format!("{e:?}");
        assert!(e.starts_with("IdentityProviderError"), "{e}");
        let add = mls_rs_add(suite, &bytes).expect_err("mls-rs added an x509 member");
        let add = format!("{add:?}");
        assert!(add.starts_with("IdentityProviderError"), "{add}");
        table.row(vec![
            suite_name(suite),
            crypto.name().to_string(),
            describe_ours(&ours),
            describe(&verdict),
            format!("refuse (`{add}`)"),
        ]);
    }
}

#[test]
fn mls_rs_with_its_basic_identity_provider_refuses_x509_credentials() {
    let mut table = Table::new(&[
        "suite",
        "our backend",
        "ours (`X509CredentialValidator`)",
        "mls-rs `validate_key_package`",
        "mls-rs `add_member`",
    ]);
    x509_to_mls_rs(&RustCrypto::new(), &mut table);
    x509_to_mls_rs(&RingCrypto::new(), &mut table);
    table.print("ours (x509) → mls-rs 0.57 (BasicIdentityProvider)");
}

/// The key packages mls-rs makes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Theirs {
    /// `generate_key_package_message` with every default.
    Default,
    /// A private-use leaf extension 0xFF02, listed through
    /// `ClientBuilder::extension_type`.
    LeafExtension,
    /// A private-use KeyPackage extension 0xFF03, not listed (mls-rs does
    /// not ask): an unknown type, which RFC 9420 §13.4 has us ignore.
    UnknownKeyPackageExtension,
    /// A raw last_resort extension (0x000A) in `KeyPackage.extensions`,
    /// listed through `ClientBuilder::extension_type`.
    LastResortListed,
    /// The same, not listed.
    LastResortUnlisted,
}

impl Theirs {
    const ALL: [Theirs; 5] = [
        Theirs::Default,
        Theirs::LeafExtension,
        Theirs::UnknownKeyPackageExtension,
        Theirs::LastResortListed,
        Theirs::LastResortUnlisted,
    ];

    fn name(self) -> &'static str {
        match self {
            Theirs::Default => "defaults",
            Theirs::LeafExtension => "leaf extension 0xFF02, listed",
            Theirs::UnknownKeyPackageExtension => "KeyPackage extension 0xFF03, unlisted",
            Theirs::LastResortListed => "last_resort 0x000A, listed",
            Theirs::LastResortUnlisted => "last_resort 0x000A, unlisted",
        }
    }

    fn make(self, suite: CipherSuite) -> Vec<u8> {
        let ext = |t: u16| {
            ExtensionList::from(vec![mls_rs::Extension::new(
                mls_rs::extension::ExtensionType::new(t),
                b"data".to_vec(),
            )])
        };
        let last_resort = || {
            ExtensionList::from(vec![mls_rs::Extension::new(
                mls_rs::extension::ExtensionType::new(0x000A),
                Vec::new(),
            )])
        };
        let (listed, kp_ext, leaf_ext): (&[u16], _, _) = match self {
            Theirs::Default => (&[], ExtensionList::new(), ExtensionList::new()),
            Theirs::LeafExtension => (&[0xFF02], ExtensionList::new(), ext(0xFF02)),
            Theirs::UnknownKeyPackageExtension => (&[], ext(0xFF03), ExtensionList::new()),
            Theirs::LastResortListed => (&[0x000A], last_resort(), ExtensionList::new()),
            Theirs::LastResortUnlisted => (&[], last_resort(), ExtensionList::new()),
        };
        client(suite, "bob", listed)
            .generate_key_package_message(kp_ext, leaf_ext, None)
            .unwrap()
            .to_bytes()
            .unwrap()
    }

    /// Our expected verdict: `None` to accept, else the rule.
    fn expected(self) -> Option<Rule> {
        match self {
            // RFC 9420 §10: a recognised KeyPackage extension must be listed.
            Theirs::LastResortUnlisted => Some(Rule::Extensions),
            _ => None,
        }
    }
}

/// mls-rs → ours under one backend, for every suite and kind.
fn mls_rs_to_ours<C: OpenMlsCrypto>(crypto: &C, table: &mut Table) -> usize {
    let mut checked = 0;
    for suite in SUITES {
        for theirs in Theirs::ALL {
            let bytes = theirs.make(suite);
            let strict = our_verdict(crypto, &bytes, true);
            let lenient = our_verdict(crypto, &bytes, false);
            // mls-rs refuses to list default types itself (KP-NO-DEFAULTS
            // follows it), so the policy switch changes nothing.
            assert_eq!(strict, lenient, "{suite:?} {theirs:?}");
            // mls-rs accepts all of them, the unlisted last_resort too: it
            // does not check KeyPackage.extensions against capabilities.
            let own = mls_rs_verdict(&bytes);
            let theirs_kp = own
                .as_ref()
                .unwrap_or_else(|e| panic!("{theirs:?}: mls-rs refused its own: {e:?}"));
            match (theirs.expected(), &strict) {
                (None, Ok(ours)) => {
                    assert_eq!(ours.reference().as_slice(), mls_rs_reference(theirs_kp));
                    assert_eq!(ours.is_last_resort(), theirs == Theirs::LastResortListed);
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
fn mls_rs_key_packages_get_the_expected_verdict_under_both_backends() {
    let mut table = Table::new(&[
        "suite",
        "mls-rs key package",
        "our backend",
        "our verdict",
        "mls-rs's own `validate_key_package`",
    ]);
    assert_eq!(mls_rs_to_ours(&RustCrypto::new(), &mut table), 4 * 5);
    assert_eq!(mls_rs_to_ours(&RingCrypto::new(), &mut table), 4 * 5);
    table.print("mls-rs 0.57 → ours");
}

/// The real use, spelled out for one suite: an mls-rs group adds our key
/// package message and commits; we find our entry in the Welcome and open
/// the group secrets with the bundle's init key.
#[test]
fn mls_rs_welcome_opens_with_our_init_key() {
    let crypto = RingCrypto::new();
    let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    let (bundle, _) = ours(&crypto, suite, Variant::LastResort);
    let welcome = mls_rs_add(suite, &message(bundle.key_package())).unwrap();
    let secrets = open_welcome(&crypto, &bundle, &welcome);
    assert!(secrets.psks.is_empty());
}

/// Negative agreement: each malformed key package under each of our
/// backends (suite 1); mls-rs and we refuse, for the reason expected —
/// except an unlisted last_resort, which mls-rs does not check.
#[test]
fn malformed_key_packages_are_refused_by_mls_rs_and_us() {
    let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    let mut table = Table::new(&[
        "malformed key package",
        "our backend",
        "our verdict",
        "mls-rs `validate_key_package`",
    ]);
    malformed_under(&RustCrypto::new(), suite, &mut table);
    malformed_under(&RingCrypto::new(), suite, &mut table);
    table.print("malformed key packages: mls-rs 0.57 and ours");
}

fn malformed_under<C: OpenMlsCrypto>(crypto: &C, suite: CipherSuite, table: &mut Table) {
    for case in Malformed::ALL {
        let message = wrap(&case.bare_bytes(crypto, suite));
        let ours = our_verdict(crypto, &message, true);
        let err = ours.as_ref().expect_err(case.name());
        assert_eq!(err.rule(), Some(case.our_rule()), "{case:?}: {err}");

        let theirs = mls_rs_verdict(&message);
        let agrees = match (case, &theirs) {
            // mls-rs checks the leaf first, with one error for both signatures.
            (
                Malformed::BadKeyPackageSignature | Malformed::BadLeafSignature,
                Err(Refusal::Validate(MlsError::InvalidSignature)),
            )
            | (Malformed::TrailingByte | Malformed::Truncated, Err(Refusal::Decode(_)))
            | (
                Malformed::InitKeyEqualsEncryptionKey,
                Err(Refusal::Validate(MlsError::InitLeafKeyEquality)),
            )
            | (Malformed::Expired, Err(Refusal::Validate(MlsError::InvalidLifetime { .. })))
            | (
                Malformed::UnlistedLeafExtension,
                Err(Refusal::Validate(MlsError::ExtensionNotInCapabilities(_))),
            ) => true,
            // mls-rs does not check KeyPackage.extensions against
            // capabilities (RFC 9420 §10 asks for it): a disagreement,
            // recorded so that a change in mls-rs is noticed.
            (Malformed::UnlistedLastResort, Ok(_)) => false,
            (case, theirs) => panic!("{case:?}: unexpected mls-rs verdict {theirs:?}"),
        };
        assert_eq!(agrees, case != Malformed::UnlistedLastResort);
        table.row(vec![
            case.name().to_string(),
            crypto.name().to_string(),
            format!("refuse {}", rule_id(err)),
            describe(&theirs),
        ]);
    }
}
