//! The builder is correct by construction (docs/DESIGN.md §3 P8), refuses
//! impossible input with typed errors, and its bundles round-trip through
//! the storage encoding. Under both backends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use interop_tests::{fresh_signer, now};
use keypackage_core::traits::codec::{VarBytes, VarVec};
use keypackage_core::traits::{
    BundleHeader, CipherSuite, CredentialType, ExtensionType, OpenMlsCrypto, ProposalType,
    ProtocolVersion,
};
use keypackage_core::{
    AcceptAnyCredential, BundleError, CreationError, Credential, Extension, KeyPackageBuilder,
    KeyPackageBundle, KeyPackageIn, Lifetime, ValidationContext,
};

const SUITE1: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const SUITE2: CipherSuite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;

fn capabilities_are_correct_by_construction<C: OpenMlsCrypto>(crypto: &C) {
    let signer = fresh_signer(crypto, SUITE1).unwrap();
    let app = ExtensionType(0xFF10);
    let bundle = KeyPackageBuilder::new()
        .last_resort()
        .grease_key_package_extension()
        .grease_leaf_extension()
        .leaf_extension(Extension::new(app, vec![1]))
        .leaf_extension(Extension::application_id(b"id").unwrap())
        .supports_proposal(ProposalType(0x0010))
        .build(crypto, SUITE1, Credential::basic("carol"), &signer)
        .unwrap();
    let kp = bundle.key_package();
    let caps = &kp.leaf_node().capabilities;

    assert_eq!(
        caps.versions.as_slice(),
        &[ProtocolVersion::MLS10],
        "versions never greased"
    );
    for suite in crypto.supported_cipher_suites() {
        assert!(caps.cipher_suites.as_slice().contains(suite));
    }
    assert!(caps.credentials.as_slice().contains(&CredentialType::BASIC));
    // Every non-default extension carried is listed; no default type listed.
    let carried = kp
        .extensions()
        .iter()
        .chain(kp.leaf_node().extensions.iter());
    for e in carried {
        assert_eq!(
            caps.extensions.as_slice().contains(&e.extension_type),
            !e.extension_type.is_default(),
            "{:?}",
            e.extension_type
        );
    }
    assert!(
        caps.extensions
            .as_slice()
            .contains(&ExtensionType::LAST_RESORT)
    );
    assert!(caps.extensions.iter().all(|t| !t.is_default()));
    assert!(caps.proposals.iter().all(|t| !t.is_default()));
    // One GREASE value in each of the four lists.
    assert_eq!(
        caps.cipher_suites.iter().filter(|c| c.is_grease()).count(),
        1
    );
    assert_eq!(caps.proposals.iter().filter(|c| c.is_grease()).count(), 1);
    assert_eq!(caps.credentials.iter().filter(|c| c.is_grease()).count(), 1);
    // The extension list holds the two GREASE extension types in use.
    let greased: Vec<_> = caps.extensions.iter().filter(|t| t.is_grease()).collect();
    assert!(!greased.is_empty());
    assert!(kp.extensions().iter().any(|e| e.extension_type.is_grease()));
    assert!(
        kp.leaf_node()
            .extensions
            .iter()
            .any(|e| e.extension_type.is_grease())
    );
    assert!(kp.is_last_resort());

    // And it validates, after a trip through the codec.
    let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
    let again = KeyPackageIn::decode(&kp.encode().unwrap())
        .unwrap()
        .validate(crypto, &ctx)
        .unwrap();
    assert_eq!(again.reference(), bundle.reference());
}

fn grease_opt_out<C: OpenMlsCrypto>(crypto: &C) {
    let signer = fresh_signer(crypto, SUITE1).unwrap();
    let bundle = KeyPackageBuilder::new()
        .grease(false)
        .build(crypto, SUITE1, Credential::basic("dave"), &signer)
        .unwrap();
    let caps = &bundle.key_package().leaf_node().capabilities;
    assert!(caps.cipher_suites.iter().all(|c| !c.is_grease()));
    assert!(caps.extensions.is_empty());
    assert!(caps.proposals.is_empty());
    assert_eq!(caps.credentials.as_slice(), &[CredentialType::BASIC]);
}

fn fresh_keys_every_time<C: OpenMlsCrypto>(crypto: &C) {
    let signer = fresh_signer(crypto, SUITE1).unwrap();
    let builder = KeyPackageBuilder::new();
    let a = builder
        .build(crypto, SUITE1, Credential::basic("e"), &signer)
        .unwrap();
    let b = builder
        .build(crypto, SUITE1, Credential::basic("e"), &signer)
        .unwrap();
    assert_ne!(a.key_package().init_key(), b.key_package().init_key());
    assert_ne!(
        a.key_package().init_key(),
        &a.key_package().leaf_node().encryption_key
    );
    assert_ne!(a.reference(), b.reference());
}

fn default_lifetime_is_84_days_from_an_hour_ago<C: OpenMlsCrypto>(crypto: &C) {
    let signer = fresh_signer(crypto, SUITE1).unwrap();
    let before = now();
    let bundle = KeyPackageBuilder::new()
        .build(crypto, SUITE1, Credential::basic("f"), &signer)
        .unwrap();
    let after = now();
    let lifetime = *bundle
        .key_package()
        .leaf_node()
        .leaf_node_source
        .lifetime()
        .unwrap();
    assert!(lifetime.not_before >= before - 3600 && lifetime.not_before <= after - 3600);
    assert_eq!(lifetime.not_after - lifetime.not_before, 84 * 86_400 + 3600);
}

fn impossible_input_is_refused<C: OpenMlsCrypto>(crypto: &C) {
    let ed = fresh_signer(crypto, SUITE1).unwrap();
    let builder = KeyPackageBuilder::new();
    let cred = || Credential::basic("g");
    assert!(matches!(
        builder.build(crypto, SUITE2, cred(), &ed),
        Err(CreationError::SignerMismatch(_))
    ));
    assert!(matches!(
        builder.build(crypto, CipherSuite(0x7777), cred(), &ed),
        Err(CreationError::UnsupportedCipherSuite {
            cipher_suite: CipherSuite(0x7777)
        })
    ));
    let listed_default = KeyPackageBuilder::new().supports_extension(ExtensionType::RATCHET_TREE);
    assert!(matches!(
        listed_default.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::DefaultTypeListed { .. })
    ));
    let listed_default = KeyPackageBuilder::new().supports_proposal(ProposalType::ADD);
    assert!(matches!(
        listed_default.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::DefaultTypeListed { .. })
    ));
    let duplicate = KeyPackageBuilder::new()
        .key_package_extension(Extension::new(ExtensionType(0xFF20), vec![]))
        .key_package_extension(Extension::new(ExtensionType(0xFF20), vec![1]));
    assert!(matches!(
        duplicate.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::DuplicateExtension { .. })
    ));
    let misplaced = KeyPackageBuilder::new().leaf_extension(Extension::last_resort());
    assert!(matches!(
        misplaced.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::MisplacedExtension { .. })
    ));
    // KP-EXT-BODY: the builder refuses a known type with a malformed body
    // (a raw application_id, a last resort with a body).
    let raw_id = KeyPackageBuilder::new().leaf_extension(Extension::new(
        ExtensionType::APPLICATION_ID,
        b"id".to_vec(),
    ));
    assert!(matches!(
        raw_id.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::InvalidExtensionBody {
            extension_type: ExtensionType::APPLICATION_ID,
            ..
        })
    ));
    let bodied = KeyPackageBuilder::new()
        .key_package_extension(Extension::new(ExtensionType::LAST_RESORT, vec![0]));
    assert!(matches!(
        bodied.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::InvalidExtensionBody {
            extension_type: ExtensionType::LAST_RESORT,
            ..
        })
    ));
    // KP-CREDENTIAL, structural: a GREASE type, an empty x509 chain.
    for credential in [
        Credential::Other {
            credential_type: CredentialType(0x1A1A),
            data: VarBytes(b"x".to_vec()),
        },
        Credential::X509 {
            certificates: VarVec(vec![]),
        },
    ] {
        assert!(matches!(
            KeyPackageBuilder::new().build(crypto, SUITE1, credential, &ed),
            Err(CreationError::InvalidCredential(_))
        ));
    }
    let inverted = KeyPackageBuilder::new().lifetime(Lifetime::new(10, 5));
    assert!(matches!(
        inverted.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::InvalidLifetime)
    ));
    // KP-MAX-LIFETIME: the builder refuses what default validation refuses,
    // one second over the maximum, unless the caller lifts the cap.
    let max = keypackage_core::DEFAULT_MAX_LIFETIME;
    let too_long = KeyPackageBuilder::new().lifetime(Lifetime::new(1_000, 1_000 + max + 1));
    assert!(matches!(
        too_long.build(crypto, SUITE1, cred(), &ed),
        Err(CreationError::LifetimeTooLong { duration, max: m }) if duration == max + 1 && m == max
    ));
    let at_max = KeyPackageBuilder::new().lifetime(Lifetime::new(1_000, 1_000 + max));
    assert!(at_max.build(crypto, SUITE1, cred(), &ed).is_ok());
    assert!(
        too_long
            .max_lifetime(None)
            .build(crypto, SUITE1, cred(), &ed)
            .is_ok()
    );
}

fn bundle_round_trip<C: OpenMlsCrypto>(crypto: &C) {
    for &suite in crypto.supported_cipher_suites() {
        let signer = fresh_signer(crypto, suite).unwrap();
        let bundle = KeyPackageBuilder::new()
            .last_resort()
            .build(crypto, suite, Credential::basic("h"), &signer)
            .unwrap();
        let encoded = bundle.encode().unwrap();
        assert_eq!(&encoded.expose()[..2], &[0, 2], "format tag 2");
        let back = KeyPackageBundle::decode(encoded.expose(), crypto).unwrap();
        assert_eq!(back, bundle);
        assert_eq!(
            back.encode().unwrap(),
            encoded,
            "byte-identical re-encoding"
        );
        // The accessors show the key package's own fields: those of its
        // bytes decoded afresh, the signature last on the wire.
        let kp = bundle.key_package();
        let kp_bytes = kp.encode().unwrap();
        let fresh = KeyPackageIn::decode(&kp_bytes).unwrap();
        assert_eq!(kp.version(), ProtocolVersion::MLS10);
        assert_eq!(kp.version(), fresh.version);
        assert_eq!(kp.cipher_suite(), suite);
        assert_eq!(kp.init_key(), &fresh.init_key);
        assert_eq!(kp.leaf_node(), &fresh.leaf_node);
        assert_eq!(kp.extensions(), &fresh.extensions);
        assert_eq!(kp.signature(), fresh.signature.as_slice());
        assert!(!kp.signature().is_empty() && kp_bytes.ends_with(kp.signature()));
        assert_eq!(kp.as_untrusted(), &fresh);

        let stored = bundle.to_stored().unwrap();
        assert_eq!(stored.reference(), bundle.reference());
        assert_eq!(stored.init_key(), bundle.key_package().init_key());
        assert!(stored.last_resort());

        // Corruption is detected: a flipped private-key byte, a flipped signature byte, a new format.
        let mut bytes = encoded.expose().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(matches!(
            KeyPackageBundle::decode(&bytes, crypto),
            Err(BundleError::KeyMismatch { .. })
        ));
        let mut bytes = encoded.expose().to_vec();
        bytes[0] = 9;
        assert!(matches!(
            KeyPackageBundle::decode(&bytes, crypto),
            Err(BundleError::UnknownFormat { .. })
        ));
        let kp_len = bundle.key_package().encode().unwrap().len();
        let (_, body) = BundleHeader::parse(encoded.expose()).unwrap().unwrap();
        let header_len = encoded.len() - body.len();
        let mut bytes = encoded.expose().to_vec();
        bytes[header_len + kp_len - 1] ^= 1;
        assert!(matches!(
            KeyPackageBundle::decode(&bytes, crypto),
            Err(BundleError::Invalid(_))
        ));
        // Debug never shows the private keys.
        let text = format!("{bundle:?}");
        assert!(!text.contains(&hex::encode(bundle.init_private_key().expose())));
    }
}

macro_rules! creation_under {
    ($backend:ident, $crypto:expr) => {
        mod $backend {
            #[test]
            fn capabilities_are_correct_by_construction() {
                super::capabilities_are_correct_by_construction(&$crypto)
            }
            #[test]
            fn grease_opt_out() {
                super::grease_opt_out(&$crypto)
            }
            #[test]
            fn fresh_keys_every_time() {
                super::fresh_keys_every_time(&$crypto)
            }
            #[test]
            fn default_lifetime_is_84_days_from_an_hour_ago() {
                super::default_lifetime_is_84_days_from_an_hour_ago(&$crypto)
            }
            #[test]
            fn impossible_input_is_refused() {
                super::impossible_input_is_refused(&$crypto)
            }
            #[test]
            fn bundle_round_trip() {
                super::bundle_round_trip(&$crypto)
            }
        }
    };
}

creation_under!(rustcrypto, keypackage_core::rustcrypto::RustCrypto::new());
creation_under!(ring, keypackage_core::ring::RingCrypto::new());
