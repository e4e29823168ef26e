//! One negative test per validation rule (docs/DESIGN.md §4), under both
//! backends: each test changes one field of a key package our builder made,
//! signs it again with the right key (so that the change, not a broken
//! signature, is judged), and asserts the exact rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use interop_tests::{SignerOf, fresh_signer, now};
use keypackage_core::traits::ExtensionLocation;
use keypackage_core::traits::codec::{VarBytes, VarVec};
use keypackage_core::traits::{
    CipherSuite, CredentialType, ExtensionType, Fault, HpkePublicKey, OpenMlsCrypto, ProposalType,
    ProtocolVersion, SignaturePublicKey,
};
use keypackage_core::{
    AcceptAnyCredential, Certificate, Credential, CredentialInput, CredentialRejected,
    CredentialRejection, Extension, GroupParameters, KeyPackageBuilder, KeyPackageIn,
    LeafNodeSource, Lifetime, RequiredCapabilities, Rule, ValidationContext,
    encode_key_package_message,
};

const DAY: u64 = 86_400;

/// A fresh key package of `suite`, as an untrusted structure, with its signer.
fn fixture<C: OpenMlsCrypto>(crypto: &C, suite: CipherSuite) -> (KeyPackageIn, SignerOf<C>) {
    let signer = fresh_signer(crypto, suite).unwrap();
    let bundle = KeyPackageBuilder::new()
        .last_resort()
        .build(crypto, suite, Credential::basic("alice"), &signer)
        .unwrap();
    (bundle.key_package().clone().into_untrusted(), signer)
}

fn ctx() -> ValidationContext<'static> {
    ValidationContext::new(now(), &AcceptAnyCredential)
}

/// Decodes the encoding (so the codec is in the loop) and returns the rule
/// validation names, or `None` when the key package is valid.
fn verdict<C: OpenMlsCrypto>(
    crypto: &C,
    kp: &KeyPackageIn,
    ctx: &ValidationContext<'_>,
) -> Option<Rule> {
    let bytes = kp.encode().unwrap();
    let decoded = KeyPackageIn::decode(&bytes).unwrap();
    match decoded.validate(crypto, ctx) {
        Ok(_) => None,
        Err(e) => {
            let rule = e.rule().unwrap_or_else(|| panic!("internal error: {e}"));
            // Whose fault: the maker's, but for a suite this provider lacks.
            let expected = if rule == Rule::Suite {
                Fault::Unsupported
            } else {
                Fault::Peer
            };
            assert_eq!(e.fault(), expected, "{e}");
            Some(rule)
        }
    }
}

/// Mutates one field, re-signs both signatures, and checks the rule.
fn expect_rule<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
    rule: Rule,
    ctx: &ValidationContext<'_>,
    mutate: impl FnOnce(&mut KeyPackageIn),
) {
    let (mut kp, signer) = fixture(crypto, suite);
    assert_eq!(
        verdict(crypto, &kp, ctx),
        None,
        "the unmutated fixture must be valid"
    );
    mutate(&mut kp);
    kp.resign(&signer).unwrap();
    assert_eq!(
        verdict(crypto, &kp, ctx),
        Some(rule),
        "{} under {}",
        rule,
        crypto.name()
    );
}

/// The suites every rule is exercised in: one EdDSA and one ECDSA suite.
const SUITES: [CipherSuite; 2] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
];

fn each_suite(mut f: impl FnMut(CipherSuite)) {
    for suite in SUITES {
        f(suite);
    }
}

fn kp_decode<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let (kp, _) = fixture(crypto, suite);
        let mut bytes = kp.encode().unwrap();
        bytes.push(0);
        let err = KeyPackageIn::decode(&bytes).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::Decode));
        // The same through the MLSMessage entry point.
        let mut message = vec![0, 1, 0, 5];
        message.extend_from_slice(&bytes);
        let err = KeyPackageIn::validate_message(&message, crypto, &ctx()).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::Decode));
    });
}

fn kp_ver<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        expect_rule(crypto, suite, Rule::Version, &ctx(), |kp| {
            kp.version = ProtocolVersion(2)
        });
        // Inside an MLSMessage: the message version must be mls10 and equal
        // the key package's.
        let (kp, _) = fixture(crypto, suite);
        let validated = kp.validate(crypto, &ctx()).unwrap();
        let mut message = encode_key_package_message(&validated).unwrap();
        assert!(KeyPackageIn::validate_message(&message, crypto, &ctx()).is_ok());
        message[1] = 2;
        let err = KeyPackageIn::validate_message(&message, crypto, &ctx()).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::Version));
    });
}

fn kp_suite<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        for unsupported in [CipherSuite(0x00FF), CipherSuite(0x0A0A)] {
            expect_rule(crypto, suite, Rule::Suite, &ctx(), |kp| {
                kp.cipher_suite = unsupported
            });
        }
    });
}

fn kp_group_suite<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let other = CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519;
        let ctx = ctx().with_group(GroupParameters {
            cipher_suite: other,
            version: ProtocolVersion::MLS10,
        });
        let (kp, _) = fixture(crypto, suite);
        assert_eq!(verdict(crypto, &kp, &ctx), Some(Rule::GroupSuite));
        let wrong_version = self::ctx().with_group(GroupParameters {
            cipher_suite: suite,
            version: ProtocolVersion(2),
        });
        assert_eq!(verdict(crypto, &kp, &wrong_version), Some(Rule::GroupSuite));
        let same = self::ctx().with_group(GroupParameters {
            cipher_suite: suite,
            version: ProtocolVersion::MLS10,
        });
        assert_eq!(verdict(crypto, &kp, &same), None);
    });
}

/// Encodings that no suite accepts as an HPKE public key.
fn bad_hpke_keys(good: &HpkePublicKey) -> Vec<HpkePublicKey> {
    let mut short = good.as_slice().to_vec();
    short.pop();
    let mut long = good.as_slice().to_vec();
    long.push(0);
    let mut keys = vec![
        HpkePublicKey::new(Vec::new()),
        HpkePublicKey::new(short),
        HpkePublicKey::new(long),
    ];
    if good.as_slice().len() == 65 {
        // Compressed form of the same P-256 point: refused (docs/DESIGN.md §3 P7).
        let mut compressed = good.as_slice()[..33].to_vec();
        compressed[0] = 0x02 | (good.as_slice()[64] & 1);
        keys.push(HpkePublicKey::new(compressed));
        // Off the curve.
        let mut off = good.as_slice().to_vec();
        off[64] ^= 1;
        keys.push(HpkePublicKey::new(off));
    } else {
        // X25519 keys of small order (u = 0, u = 1), and a non-canonical one
        // (the top bit set): refused by the shared policy.
        keys.push(HpkePublicKey::new(vec![0; 32]));
        let mut one = vec![0; 32];
        one[0] = 1;
        keys.push(HpkePublicKey::new(one));
        let mut top = good.as_slice().to_vec();
        top[31] |= 0x80;
        keys.push(HpkePublicKey::new(top));
    }
    keys
}

fn kp_init_key<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let (kp, _) = fixture(crypto, suite);
        for bad in bad_hpke_keys(&kp.init_key) {
            expect_rule(crypto, suite, Rule::InitKey, &ctx(), |kp| kp.init_key = bad);
        }
    });
}

fn kp_enc_key<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let (kp, _) = fixture(crypto, suite);
        for bad in bad_hpke_keys(&kp.leaf_node.encryption_key) {
            expect_rule(crypto, suite, Rule::EncryptionKey, &ctx(), |kp| {
                kp.leaf_node.encryption_key = bad
            });
        }
    });
}

fn kp_sig_key<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let (kp, _) = fixture(crypto, suite);
        let good = kp.leaf_node.signature_key.as_slice().to_vec();
        let mut short = good.clone();
        short.pop();
        let mut bad = vec![
            SignaturePublicKey::new(Vec::new()),
            SignaturePublicKey::new(short),
        ];
        if good.len() == 32 {
            // Ed25519 identity point: small order, refused by the shared policy.
            let mut identity = vec![0u8; 32];
            identity[0] = 1;
            bad.push(SignaturePublicKey::new(identity));
        } else {
            let mut compressed = good[..33].to_vec();
            compressed[0] = 0x02 | (good[64] & 1);
            bad.push(SignaturePublicKey::new(compressed));
        }
        for key in bad {
            expect_rule(crypto, suite, Rule::SignatureKey, &ctx(), |kp| {
                kp.leaf_node.signature_key = key
            });
        }
    });
}

fn kp_leaf_source<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        expect_rule(crypto, suite, Rule::LeafSource, &ctx(), |kp| {
            kp.leaf_node.leaf_node_source = LeafNodeSource::Update
        });
        expect_rule(crypto, suite, Rule::LeafSource, &ctx(), |kp| {
            kp.leaf_node.leaf_node_source = LeafNodeSource::Commit(VarBytes(vec![7; 32]))
        });
    });
}

fn kp_leaf_sig<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let (mut kp, signer) = fixture(crypto, suite);
        // Change a signed leaf field and renew only the key package signature.
        kp.leaf_node.credential = Credential::basic("mallory");
        kp.sign_key_package(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), Some(Rule::LeafSignature));
        // A leaf signature by another key.
        let (mut kp, signer) = fixture(crypto, suite);
        let other = fresh_signer(crypto, suite).unwrap();
        kp.sign_leaf_node(&other).unwrap();
        kp.sign_key_package(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), Some(Rule::LeafSignature));
    });
}

fn kp_sig<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let (mut kp, _) = fixture(crypto, suite);
        kp.extensions
            .push(Extension::new(ExtensionType(0xF0F0), vec![1]));
        assert_eq!(verdict(crypto, &kp, &ctx()), Some(Rule::Signature));
        let (mut kp, _) = fixture(crypto, suite);
        let other = fresh_signer(crypto, suite).unwrap();
        kp.sign_key_package(&other).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), Some(Rule::Signature));
        let (mut kp, _) = fixture(crypto, suite);
        kp.signature = VarBytes(Vec::new());
        assert_eq!(verdict(crypto, &kp, &ctx()), Some(Rule::Signature));
    });
}

fn kp_distinct<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        expect_rule(crypto, suite, Rule::Distinct, &ctx(), |kp| {
            kp.init_key = kp.leaf_node.encryption_key.clone()
        });
    });
}

fn set_lifetime(kp: &mut KeyPackageIn, not_before: u64, not_after: u64) {
    kp.leaf_node.leaf_node_source =
        LeafNodeSource::KeyPackage(Lifetime::new(not_before, not_after));
}

fn kp_lifetime<C: OpenMlsCrypto>(crypto: &C) {
    let now = now();
    each_suite(|suite| {
        // Expired one second ago: expiry is exact.
        expect_rule(crypto, suite, Rule::Lifetime, &ctx(), |kp| {
            set_lifetime(kp, now - DAY, now - 1)
        });
        // Starts beyond the one-hour allowance.
        expect_rule(crypto, suite, Rule::Lifetime, &ctx(), |kp| {
            set_lifetime(kp, now + 3600 + 60, now + 10 * DAY)
        });
        // Inverted.
        expect_rule(crypto, suite, Rule::Lifetime, &ctx(), |kp| {
            set_lifetime(kp, now + 10, now - 10)
        });
        // Inverted and nothing else: not expired, and not_before inside the
        // clock-skew allowance, so only the inversion refuses it.
        expect_rule(crypto, suite, Rule::Lifetime, &ctx(), |kp| {
            set_lifetime(kp, now + 120, now + 60)
        });
        // Boundaries that hold: not_before at the edge of the allowance
        // (the test runs within a minute), now == not_after is still valid.
        let (mut kp, signer) = fixture(crypto, suite);
        set_lifetime(&mut kp, now + 3600, now + 3600 + DAY);
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), None);
        let at = |t: u64| ValidationContext::new(t, &AcceptAnyCredential);
        set_lifetime(&mut kp, now - DAY, now);
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &at(now)), None);
        assert_eq!(verdict(crypto, &kp, &at(now + 1)), Some(Rule::Lifetime));
        // A zero-length lifetime covers exactly its one second.
        set_lifetime(&mut kp, now, now);
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &at(now)), None);
        assert_eq!(verdict(crypto, &kp, &at(now + 1)), Some(Rule::Lifetime));
        // Saturating arithmetic at the top of the range.
        set_lifetime(&mut kp, u64::MAX - 10, u64::MAX);
        kp.resign(&signer).unwrap();
        // now + allowance saturates at u64::MAX instead of wrapping around.
        assert_eq!(verdict(crypto, &kp, &at(u64::MAX - 3000)), None);
        assert_eq!(verdict(crypto, &kp, &at(u64::MAX)), None);
        assert_eq!(
            verdict(crypto, &kp, &at(u64::MAX - 5000)),
            Some(Rule::Lifetime)
        );
    });
}

fn kp_max_lifetime<C: OpenMlsCrypto>(crypto: &C) {
    let now = now();
    each_suite(|suite| {
        expect_rule(crypto, suite, Rule::MaxLifetime, &ctx(), |kp| {
            set_lifetime(kp, now - 3600, now - 3600 + 365 * DAY + 3601)
        });
        expect_rule(crypto, suite, Rule::MaxLifetime, &ctx(), |kp| {
            set_lifetime(kp, 0, u64::MAX)
        });
        // Exactly the maximum passes; turning the rule off admits "forever".
        let (mut kp, signer) = fixture(crypto, suite);
        set_lifetime(&mut kp, now - 3600, now - 3600 + 365 * DAY + 3600);
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), None);
        set_lifetime(&mut kp, 0, u64::MAX);
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx().with_max_lifetime(None)), None);
    });
}

fn kp_leaf_ext<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        // Unknown and GREASE leaf extensions must be listed.
        // (The dictionary's body is an empty, well-formed component list.)
        for (t, body) in [
            (ExtensionType(0xF123), vec![]),
            (ExtensionType(0x3A3A), vec![]),
            (ExtensionType::APP_DATA_DICTIONARY, vec![0x00]),
        ] {
            expect_rule(crypto, suite, Rule::LeafExtensions, &ctx(), |kp| {
                kp.leaf_node.capabilities.extensions.0.retain(|x| *x != t);
                kp.leaf_node.extensions.push(Extension::new(t, body));
            });
        }
        // A default type (application_id) needs no listing.
        let (mut kp, signer) = fixture(crypto, suite);
        // application_id is opaque<V>: a 3-byte prefix-1 vector.
        kp.leaf_node.extensions.push(Extension::new(
            ExtensionType::APPLICATION_ID,
            b"\x03app".to_vec(),
        ));
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), None);
    });
}

fn kp_ext<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        // last_resort present (the fixture has it) but no longer listed.
        expect_rule(crypto, suite, Rule::Extensions, &ctx(), |kp| {
            kp.leaf_node
                .capabilities
                .extensions
                .0
                .retain(|t| *t != ExtensionType::LAST_RESORT)
        });
        // An application-registered type must be listed too.
        let registered = ExtensionType(0xF00D);
        let app_ctx = ctx().recognise_extension(registered);
        expect_rule(crypto, suite, Rule::Extensions, &app_ctx, |kp| {
            kp.extensions.push(Extension::new(registered, vec![]))
        });
        // Unknown types, GREASE among them, are ignored (§13.4): valid.
        let (mut kp, signer) = fixture(crypto, suite);
        kp.extensions
            .push(Extension::new(ExtensionType(0x5A5A), vec![]));
        kp.extensions
            .push(Extension::new(ExtensionType(0xF00D), vec![1, 2]));
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), None);
    });
}

fn kp_cred_cap<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        expect_rule(crypto, suite, Rule::CredentialCapability, &ctx(), |kp| {
            kp.leaf_node.capabilities.credentials = VarVec(vec![CredentialType::X509])
        });
    });
}

fn kp_no_defaults<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        expect_rule(crypto, suite, Rule::NoDefaults, &ctx(), |kp| {
            kp.leaf_node
                .capabilities
                .proposals
                .0
                .push(ProposalType::ADD)
        });
        expect_rule(crypto, suite, Rule::NoDefaults, &ctx(), |kp| {
            kp.leaf_node
                .capabilities
                .extensions
                .0
                .push(ExtensionType::EXTERNAL_SENDERS)
        });
        // The reserved value 0x0000, in either list.
        expect_rule(crypto, suite, Rule::NoDefaults, &ctx(), |kp| {
            kp.leaf_node
                .capabilities
                .extensions
                .0
                .push(ExtensionType(0))
        });
        expect_rule(crypto, suite, Rule::NoDefaults, &ctx(), |kp| {
            kp.leaf_node.capabilities.proposals.0.push(ProposalType(0))
        });
        // The policy switch admits them.
        let (mut kp, signer) = fixture(crypto, suite);
        kp.leaf_node
            .capabilities
            .proposals
            .0
            .push(ProposalType::GROUP_CONTEXT_EXTENSIONS);
        kp.resign(&signer).unwrap();
        assert_eq!(
            verdict(crypto, &kp, &ctx().with_refuse_listed_defaults(false)),
            None
        );
    });
}

fn kp_ext_placement<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        for t in [
            ExtensionType::RATCHET_TREE,
            ExtensionType::APPLICATION_ID,
            ExtensionType::EXTERNAL_SENDERS,
        ] {
            expect_rule(crypto, suite, Rule::ExtensionPlacement, &ctx(), |kp| {
                kp.extensions.push(Extension::new(t, vec![]))
            });
        }
        expect_rule(crypto, suite, Rule::ExtensionPlacement, &ctx(), |kp| {
            kp.leaf_node.extensions.push(Extension::last_resort())
        });
        // app_data_dictionary may appear in both lists (listed, well formed).
        let (mut kp, signer) = fixture(crypto, suite);
        let adl = ExtensionType::APP_DATA_DICTIONARY;
        kp.leaf_node.capabilities.extensions.0.push(adl);
        kp.extensions
            .push(Extension::new(adl, vec![0x03, 0x00, 0x07, 0x00]));
        kp.leaf_node
            .extensions
            .push(Extension::new(adl, vec![0x03, 0x00, 0x07, 0x00]));
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &ctx()), None);
    });
}

fn kp_dup_ext<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        expect_rule(crypto, suite, Rule::DuplicateExtension, &ctx(), |kp| {
            kp.extensions.push(Extension::last_resort())
        });
        expect_rule(crypto, suite, Rule::DuplicateExtension, &ctx(), |kp| {
            let t = ExtensionType(0xF0F1);
            kp.leaf_node.capabilities.extensions.0.push(t);
            kp.leaf_node.extensions.push(Extension::new(t, vec![1]));
            kp.leaf_node.extensions.push(Extension::new(t, vec![2]));
        });
    });
}

fn kp_required_caps<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        let (kp, _) = fixture(crypto, suite);
        let cases = [
            RequiredCapabilities {
                extension_types: vec![ExtensionType(0xF0F2)],
                ..Default::default()
            },
            RequiredCapabilities {
                proposal_types: vec![ProposalType(0x0010)],
                ..Default::default()
            },
            RequiredCapabilities {
                credential_types: vec![CredentialType::X509],
                ..Default::default()
            },
        ];
        for required in cases {
            let ctx = ctx().with_required_capabilities(required);
            assert_eq!(verdict(crypto, &kp, &ctx), Some(Rule::RequiredCapabilities));
        }
        // Default types and listed ones are supported.
        let ok = RequiredCapabilities {
            extension_types: vec![ExtensionType::EXTERNAL_SENDERS, ExtensionType::LAST_RESORT],
            proposal_types: vec![ProposalType::REMOVE],
            credential_types: vec![CredentialType::BASIC],
        };
        assert_eq!(
            verdict(crypto, &kp, &ctx().with_required_capabilities(ok)),
            None
        );
    });
}

fn kp_credential<C: OpenMlsCrypto>(crypto: &C) {
    let refuse_mallory = |input: &CredentialInput<'_>| match input.credential {
        Credential::Basic { identity } if identity.as_slice() == b"mallory" => Err(
            CredentialRejected::new(CredentialRejection::Identity, "mallory is banned"),
        ),
        _ => Ok(()),
    };
    let ctx = ValidationContext::new(now(), &refuse_mallory);
    each_suite(|suite| {
        let (kp, _) = fixture(crypto, suite);
        assert_eq!(verdict(crypto, &kp, &ctx), None);
        expect_rule(crypto, suite, Rule::Credential, &ctx, |kp| {
            kp.leaf_node.credential = Credential::basic("mallory")
        });
        // The refusal keeps its kind.
        let (mut kp, signer) = fixture(crypto, suite);
        kp.leaf_node.credential = Credential::basic("mallory");
        kp.resign(&signer).unwrap();
        let err = kp.validate(crypto, &ctx).unwrap_err();
        assert!(
            matches!(&err, keypackage_core::ValidationError::Credential(r) if r.kind == CredentialRejection::Identity),
            "{err:?}"
        );

        // Structural part, before any validator: reserved and GREASE types,
        // an x509 credential without a certificate or with an empty one.
        // Each type is listed in capabilities, so KP-CRED-CAP is not what
        // refuses them.
        let other = |t: u16| Credential::Other {
            credential_type: CredentialType(t),
            data: VarBytes(b"id".to_vec()),
        };
        let x509 = |certs: Vec<Vec<u8>>| Credential::X509 {
            certificates: VarVec(
                certs
                    .into_iter()
                    .map(|c| Certificate {
                        cert_data: VarBytes(c),
                    })
                    .collect(),
            ),
        };
        for bad in [
            other(0x0000),
            other(0x0A0A),
            other(0xEAEA),
            x509(vec![]),
            x509(vec![vec![0x30, 0x00], vec![]]),
        ] {
            let listed = bad.credential_type();
            expect_rule(crypto, suite, Rule::Credential, &self::ctx(), |kp| {
                kp.leaf_node.credential = bad;
                kp.leaf_node.capabilities.credentials.0.push(listed);
            });
        }
        // What must still pass under an accepting validator: an unknown,
        // non-GREASE type, and a non-empty x509 chain (not parsed here).
        for good in [other(0xF00F), x509(vec![vec![0x30, 0x00]])] {
            let (mut kp, signer) = fixture(crypto, suite);
            let listed = good.credential_type();
            kp.leaf_node.credential = good;
            kp.leaf_node.capabilities.credentials.0.push(listed);
            kp.resign(&signer).unwrap();
            assert_eq!(verdict(crypto, &kp, &self::ctx()), None);
        }

        // The validator is shown the suite, its signature scheme and the
        // validation time (RFC 9420 §5.1.2, §5.3.1).
        let expected_scheme = suite.info().unwrap().signature;
        let at = now();
        let checks_context = move |input: &CredentialInput<'_>| {
            if input.cipher_suite == suite
                && input.signature_scheme == expected_scheme
                && input.now == at
            {
                Ok(())
            } else {
                Err(CredentialRejected::other("wrong context"))
            }
        };
        let (kp, _) = fixture(crypto, suite);
        let ctx = ValidationContext::new(at, &checks_context);
        assert_eq!(verdict(crypto, &kp, &ctx), None);
        let later = ValidationContext::new(at + 1, &checks_context);
        assert_eq!(verdict(crypto, &kp, &later), Some(Rule::Credential));
    });
}

fn kp_own_caps<C: OpenMlsCrypto>(crypto: &C) {
    each_suite(|suite| {
        // Its own suite missing from capabilities.cipher_suites.
        expect_rule(crypto, suite, Rule::OwnCapabilities, &ctx(), |kp| {
            kp.leaf_node
                .capabilities
                .cipher_suites
                .0
                .retain(|c| *c != suite)
        });
        // Its own version missing from capabilities.versions.
        expect_rule(crypto, suite, Rule::OwnCapabilities, &ctx(), |kp| {
            kp.leaf_node.capabilities.versions = VarVec(vec![ProtocolVersion(0x0002)])
        });
        // The policy switch admits it (welcome.json has such a key package).
        let (mut kp, signer) = fixture(crypto, suite);
        kp.leaf_node
            .capabilities
            .cipher_suites
            .0
            .retain(|c| *c != suite);
        kp.resign(&signer).unwrap();
        let off = ctx().with_own_capabilities_required(false);
        assert_eq!(verdict(crypto, &kp, &off), None);
        // Our builder lists its own suite and version under every suite.
        for &other in crypto.supported_cipher_suites() {
            let (kp, _) = fixture(crypto, other);
            let caps = &kp.leaf_node.capabilities;
            assert!(caps.cipher_suites.as_slice().contains(&other));
            assert!(caps.versions.as_slice().contains(&ProtocolVersion::MLS10));
            assert_eq!(verdict(crypto, &kp, &ctx()), None, "{other:?}");
        }
    });
}

fn kp_ext_body<C: OpenMlsCrypto>(crypto: &C) {
    let adl = ExtensionType::APP_DATA_DICTIONARY;
    each_suite(|suite| {
        // last_resort is struct {}: one byte of body is refused.
        expect_rule(crypto, suite, Rule::ExtensionBody, &ctx(), |kp| {
            kp.extensions
                .0
                .0
                .retain(|e| e.extension_type != ExtensionType::LAST_RESORT);
            kp.extensions
                .push(Extension::new(ExtensionType::LAST_RESORT, vec![0]));
        });
        // application_id is opaque<V>: cut short, and with a byte left over.
        for body in [vec![0x05, 1, 2], vec![0x01, 0xAA, 0xBB], vec![]] {
            expect_rule(crypto, suite, Rule::ExtensionBody, &ctx(), |kp| {
                kp.leaf_node
                    .extensions
                    .push(Extension::new(ExtensionType::APPLICATION_ID, body))
            });
        }
        // app_data_dictionary: 16-bit IDs, sorted, unique, nothing left
        // over. The 32-bit layout of some drafts no longer marks a key
        // package as last resort; it is refused.
        for body in [
            vec![0x05, 0x00, 0x00, 0x00, 0x04, 0x00],
            vec![0x06, 0x00, 0x05, 0x00, 0x00, 0x04, 0x00],
            vec![0x06, 0x00, 0x04, 0x00, 0x00, 0x04, 0x00],
            vec![0x03, 0x00, 0x04, 0x00, 0x00],
            vec![0x00, 0x00],
        ] {
            expect_rule(crypto, suite, Rule::ExtensionBody, &ctx(), |kp| {
                kp.leaf_node.capabilities.extensions.0.push(adl);
                kp.extensions.push(Extension::new(adl, body));
            });
        }
        // A type the application registers with a body check: its verdict,
        // after the signatures, wherever the type appears.
        let registered = ExtensionType(0xF00D);
        let want_two = |_: ExtensionType, _: ExtensionLocation, body: &[u8]| {
            if body.len() == 2 {
                Ok(())
            } else {
                Err(format!("{} bytes, want 2", body.len()))
            }
        };
        let app = ctx().recognise_extension_with(registered, &want_two);
        expect_rule(crypto, suite, Rule::ExtensionBody, &app, |kp| {
            kp.leaf_node.capabilities.extensions.0.push(registered);
            kp.extensions.push(Extension::new(registered, vec![1]));
        });
        expect_rule(crypto, suite, Rule::ExtensionBody, &app, |kp| {
            kp.leaf_node.capabilities.extensions.0.push(registered);
            kp.leaf_node
                .extensions
                .push(Extension::new(registered, vec![1, 2, 3]));
        });

        // What must still pass: the fixture's empty-bodied last resort, a
        // well-formed dictionary carrying the last-resort component, unknown
        // types with any body, and the registered type with a good body.
        let (mut kp, signer) = fixture(crypto, suite);
        kp.leaf_node.capabilities.extensions.0.push(adl);
        kp.leaf_node.capabilities.extensions.0.push(registered);
        kp.extensions.push(Extension::new(
            adl,
            vec![0x06, 0x00, 0x01, 0x00, 0x00, 0x04, 0x00],
        ));
        kp.extensions
            .push(Extension::new(ExtensionType(0x7A7A), vec![0xFF; 5]));
        kp.extensions.push(Extension::new(registered, vec![1, 2]));
        kp.resign(&signer).unwrap();
        assert_eq!(verdict(crypto, &kp, &app), None);
        let validated = kp.validate(crypto, &app).unwrap();
        assert!(validated.is_last_resort());
    });
}

/// One list of (rule, negative test): the test wrappers for both backends
/// are generated from it, and a test checks that it names every rule of
/// `Rule::ALL`, in order, so a new rule cannot lack its test.
macro_rules! negative_tests {
    ($($rule:ident => $test:ident),* $(,)?) => {
        const COVERED: &[Rule] = &[$(Rule::$rule),*];

        mod rustcrypto {
            $(
                #[test]
                fn $test() {
                    super::$test(&keypackage_core::rustcrypto::RustCrypto::new())
                }
            )*
        }

        mod ring {
            $(
                #[test]
                fn $test() {
                    super::$test(&keypackage_core::ring::RingCrypto::new())
                }
            )*
        }
    };
}

negative_tests! {
    Decode => kp_decode,
    Version => kp_ver,
    Suite => kp_suite,
    GroupSuite => kp_group_suite,
    InitKey => kp_init_key,
    EncryptionKey => kp_enc_key,
    SignatureKey => kp_sig_key,
    LeafSource => kp_leaf_source,
    LeafSignature => kp_leaf_sig,
    Signature => kp_sig,
    Distinct => kp_distinct,
    Lifetime => kp_lifetime,
    MaxLifetime => kp_max_lifetime,
    LeafExtensions => kp_leaf_ext,
    Extensions => kp_ext,
    CredentialCapability => kp_cred_cap,
    OwnCapabilities => kp_own_caps,
    NoDefaults => kp_no_defaults,
    ExtensionPlacement => kp_ext_placement,
    DuplicateExtension => kp_dup_ext,
    ExtensionBody => kp_ext_body,
    RequiredCapabilities => kp_required_caps,
    Credential => kp_credential,
}

#[test]
fn every_rule_has_a_negative_test() {
    assert_eq!(COVERED.to_vec(), Rule::ALL.to_vec());
}
