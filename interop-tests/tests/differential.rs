//! The differential body (`interop_tests::differential`) outside the
//! fuzzer: the checked-in corpus of fuzz/'s `differential` target replays
//! here (every input agrees, or a policy entry explains it), and a fixed,
//! seeded sweep of recipes exercises every seed and the policy table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use interop_tests::differential::{Maker, Outcome, POLICY, Peer, compare, cook, seeds};
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::{AcceptAnyCredential, ValidationContext, encode_key_package_message};

/// The seeds themselves: every implementation accepts every seed.
#[test]
fn every_seed_is_accepted_by_all_three() {
    let seeds = seeds();
    assert_eq!(seeds.len(), 3 * 5);
    for maker in [Maker::Ours, Maker::OpenMls, Maker::MlsRs] {
        assert!(seeds.iter().any(|s| s.maker == maker), "{maker:?}");
    }
    let ctx = ValidationContext::new(interop_tests::now(), &AcceptAnyCredential);
    for (i, seed) in seeds.iter().enumerate() {
        let valid = seed
            .key_package
            .clone()
            .validate(&RustCrypto::new(), &ctx)
            .unwrap_or_else(|e| panic!("seed {i} ({:?}): {e}", seed.maker));
        let outcome = Outcome::of(&encode_key_package_message(&valid).unwrap());
        assert!(
            outcome.ours.accepted() && outcome.openmls.accepted() && outcome.mls_rs.accepted(),
            "seed {i} ({:?}): ours {:?}, OpenMLS {:?}, mls-rs {:?}",
            seed.maker,
            outcome.ours,
            outcome.openmls,
            outcome.mls_rs
        );
    }
}

/// ECDSA malleability (docs/DESIGN.md §5.7): anyone who relays a suite-2
/// key package can replace its signature `(r, s)` by `(r, n - s)`; all three
/// implementations accept the twin, whose `KeyPackageRef` differs.
#[test]
fn an_ecdsa_twin_is_accepted_by_all_three_under_another_reference() {
    use interop_tests::ecdsa_p256_twin;
    use keypackage_core::traits::CipherSuite;
    let crypto = RustCrypto::new();
    let ctx = ValidationContext::new(interop_tests::now(), &AcceptAnyCredential);
    let seed = seeds()
        .iter()
        .find(|s| {
            s.maker == Maker::Ours
                && s.key_package.cipher_suite
                    == CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256
        })
        .unwrap();
    let original = seed.key_package.clone().validate(&crypto, &ctx).unwrap();
    let mut twin = seed.key_package.clone();
    twin.signature = keypackage_core::traits::codec::VarBytes(
        ecdsa_p256_twin(twin.signature.as_slice()).unwrap(),
    );
    assert_ne!(twin.signature, seed.key_package.signature);
    let validated = twin.clone().validate(&crypto, &ctx).unwrap();
    assert_ne!(validated.reference(), original.reference());
    let outcome = Outcome::of(&encode_key_package_message(&validated).unwrap());
    assert!(outcome.ours.accepted() && outcome.openmls.accepted() && outcome.mls_rs.accepted());
}

/// A deterministic generator of recipes (xorshift64), so the sweep is the
/// same on every run.
fn recipes(count: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count).map(move |_| {
        let len = (next() % 48) as usize;
        (0..len).map(|_| next() as u8).collect()
    })
}

/// A sweep of recipes: no unexplained disagreement, and the count per
/// policy entry (printed with `--nocapture`).
#[test]
fn a_sweep_of_recipes_has_no_unexplained_disagreement() {
    let mut findings = Vec::new();
    let mut counts = BTreeMap::<String, usize>::new();
    for recipe in recipes(
        std::env::var("SWEEP")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
    ) {
        let cooked = cook(&recipe);
        match compare(&cooked) {
            Ok((_, explained)) => {
                for (peer, policy) in [Peer::OpenMls, Peer::MlsRs].iter().zip(explained) {
                    let name = policy.map_or("agree", |p| p.id);
                    *counts.entry(format!("{peer:?} {name}")).or_default() += 1;
                }
            }
            Err(finding) => findings.push(format!("recipe {}: {finding}", hex::encode(&recipe))),
        }
    }
    println!("differential sweep: {counts:#?}");
    assert!(
        findings.is_empty(),
        "{} findings, first ones:\n{}",
        findings.len(),
        findings
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The sweep reaches most of the table: a policy entry no recipe ever
    // uses is either dead or a sign that the recipes lost a shape.
    let used = POLICY
        .iter()
        .filter(|p| counts.contains_key(&format!("{:?} {}", p.peer, p.id)))
        .count();
    assert!(
        used * 4 >= POLICY.len() * 3,
        "only {used} of {} entries used",
        POLICY.len()
    );
}

/// The checked-in corpus of fuzz/'s `differential` target.
#[test]
fn the_differential_corpus_replays() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/differential");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(finding) = compare(&cook(&data)) {
            panic!("{}: {finding}", path.display());
        }
        replayed += 1;
    }
    assert!(replayed > 0, "empty corpus at {}", dir.display());
}

/// The findings of docs/INTEROP.md, each as a minimal key package (one of
/// ours, suite 1 or 2, one field changed, signed again with the right key)
/// in an `MLSMessage`: the peer's answer is asserted, so that a fixed peer
/// fails this test and the write-up gets updated. `--nocapture` prints each
/// message in hex, ready to report upstream.
#[test]
fn the_findings_reproduce() {
    use interop_tests::differential::{Verdict, mls_rs, openmls, ours};
    use keypackage_core::traits::codec::VarBytes;
    use keypackage_core::traits::{CredentialType, HpkePublicKey, ProtocolVersion};
    use keypackage_core::{Credential, Extension, KeyPackageBuilder, KeyPackageIn};

    let crypto = RustCrypto::new();
    let make = |suite: u16, change: &dyn Fn(&mut KeyPackageIn)| -> Vec<u8> {
        let suite = keypackage_core::traits::CipherSuite(suite);
        let signer = interop_tests::fresh_signer(&crypto, suite).unwrap();
        let bundle = KeyPackageBuilder::new()
            .grease(false)
            .build(&crypto, suite, Credential::basic("repro"), &signer)
            .unwrap();
        let mut kp = bundle.key_package().clone().into_untrusted();
        change(&mut kp);
        kp.resign(&signer).unwrap();
        let mut message = vec![0x00, 0x01, 0x00, 0x05];
        message.extend(kp.encode().unwrap());
        message
    };

    // F1: an x509 credential whose certificates<V> is not a list of
    // Certificate (one byte, 0x05: a cert_data of 5 bytes that are not
    // there). We do not decode it; OpenMLS keeps the body opaque and accepts.
    let f1 = make(1, &|kp| {
        kp.leaf_node.credential = Credential::Other {
            credential_type: CredentialType::X509,
            data: VarBytes(vec![0x05]),
        };
        kp.leaf_node
            .capabilities
            .credentials
            .0
            .push(CredentialType::X509);
    });
    assert!(!ours(&f1).decoded());
    assert_eq!(openmls(&f1), Verdict::Accept);
    // The same class through a byte edit (as the fuzzer found it): a basic
    // credential's type turned into x509 after signing. Its identity is
    // not a certificate list: we and mls-rs do not decode, OpenMLS decodes
    // and refuses only the signature. The policy table names it F1.
    let basic = make(1, &|_| {});
    // MLSMessage header (4), version and suite (4), three 32-byte keys
    // with 1-byte prefixes (99): the credential type.
    assert_eq!(basic[107..109], [0x00, 0x01]);
    let mut retyped = basic.clone();
    retyped[108] = 0x02;
    assert!(!ours(&retyped).decoded());
    assert!(!mls_rs(&retyped).decoded());
    assert!(
        matches!(openmls(&retyped), Verdict::Refuse(r) if r.contains("InvalidLeafNodeSignature"))
    );
    let cooked = interop_tests::differential::Cooked {
        key_package: keypackage_core::MlsMessageIn::decode_key_package(&basic)
            .unwrap()
            .1,
        message: retyped,
        byte_edited: true,
        maker: Maker::Ours,
    };
    let (_, explained) = compare(&cooked).unwrap();
    assert_eq!(
        explained.map(|p| p.map(|p| p.id)),
        [Some("F1-openmls-x509-body-opaque"), None]
    );

    // F2: an application_id leaf extension (a default type, RFC 9420 §7.2:
    // not listed). We and OpenMLS accept; mls-rs refuses it as unlisted.
    let f2 = make(1, &|kp| {
        kp.leaf_node
            .extensions
            .push(Extension::application_id(b"device-1").unwrap());
    });
    assert_eq!(ours(&f2), Verdict::Accept);
    assert_eq!(openmls(&f2), Verdict::Accept);
    assert!(matches!(mls_rs(&f2), Verdict::Refuse(r) if r.contains("ExtensionNotInCapabilities")));
    // Listing it does not help: mls-rs then refuses a listed default.
    let f2_listed = make(1, &|kp| {
        kp.leaf_node
            .extensions
            .push(Extension::application_id(b"device-1").unwrap());
        kp.leaf_node
            .capabilities
            .extensions
            .0
            .push(keypackage_core::traits::ExtensionType::APPLICATION_ID);
    });
    assert!(matches!(mls_rs(&f2_listed), Verdict::Refuse(r) if r.contains("DefaultValueListed")));

    // F3: a suite-2 init_key of 65 zero bytes (no P-256 point). OpenMLS
    // accepts; we (KP-INIT-KEY) and mls-rs refuse.
    let f3 = make(2, &|kp| kp.init_key = HpkePublicKey::new(vec![0; 65]));
    assert_eq!(ours(&f3), Verdict::Refuse("KP-INIT-KEY".into()));
    assert_eq!(openmls(&f3), Verdict::Accept);
    assert!(matches!(mls_rs(&f3), Verdict::Refuse(r) if r.contains("InvalidInitKey")));

    // F4: the same for the leaf's encryption_key: OpenMLS and mls-rs accept.
    let f4 = make(2, &|kp| {
        kp.leaf_node.encryption_key = HpkePublicKey::new(vec![0; 65]);
    });
    assert_eq!(ours(&f4), Verdict::Refuse("KP-ENC-KEY".into()));
    assert_eq!(openmls(&f4), Verdict::Accept);
    assert_eq!(mls_rs(&f4), Verdict::Accept);

    // F5: protocol version reserved(0) in both the key package and the
    // MLSMessage. mls-rs accepts; we refuse (KP-VER), OpenMLS does not decode.
    let mut f5 = make(1, &|kp| kp.version = ProtocolVersion(0));
    f5[1] = 0x00;
    assert_eq!(ours(&f5), Verdict::Refuse("KP-VER".into()));
    assert!(!openmls(&f5).decoded());
    assert_eq!(mls_rs(&f5), Verdict::Accept);

    for (id, message) in [
        ("F1", &f1),
        ("F2", &f2),
        ("F3", &f3),
        ("F4", &f4),
        ("F5", &f5),
    ] {
        println!("{id} {}", hex::encode(message));
    }
}

/// Every entry of the policy table is explained in docs/INTEROP.md.
#[test]
fn every_policy_entry_is_documented() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/INTEROP.md"),
    )
    .unwrap();
    for policy in POLICY {
        assert!(
            doc.contains(&format!("| `{}` |", policy.id)),
            "{} is not in docs/INTEROP.md",
            policy.id
        );
    }
}
