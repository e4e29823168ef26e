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
    use keypackage_core::traits::Ciphersuite;
    let crypto = RustCrypto::new();
    let ctx = ValidationContext::new(interop_tests::now(), &AcceptAnyCredential);
    let seed = seeds()
        .iter()
        .find(|s| {
            s.maker == Maker::Ours
                && s.key_package.cipher_suite
                    == Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256
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

#[test]
#[ignore = "exploration: RECIPE=hex"]
fn explain_recipe() {
    let recipe = hex::decode(std::env::var("RECIPE").unwrap()).unwrap();
    let cooked = cook(&recipe);
    let mut encoded = vec![0, 1, 0, 5];
    encoded.extend(cooked.key_package.encode().unwrap());
    let at = encoded
        .iter()
        .zip(&cooked.message)
        .position(|(a, b)| a != b);
    println!(
        "lengths {} {} first difference at {at:?}",
        encoded.len(),
        cooked.message.len()
    );
    if let Some(at) = at {
        println!(
            "encoded  {}",
            hex::encode(&encoded[at.saturating_sub(8)..(at + 8).min(encoded.len())])
        );
        println!(
            "message  {}",
            hex::encode(&cooked.message[at.saturating_sub(8)..(at + 8).min(cooked.message.len())])
        );
    }
    println!(
        "ours decode: {:?}",
        keypackage_core::MlsMessageIn::decode(&cooked.message).err()
    );
    println!("kp: {:?}", cooked.key_package.leaf_node.credential);
    println!(
        "kp ext: {:?} leaf ext: {:?}",
        cooked.key_package.extensions, cooked.key_package.leaf_node.extensions
    );
}

#[test]
#[ignore = "exploration: ENTRY=id"]
fn show_entry() {
    let want = std::env::var("ENTRY").unwrap();
    let mut shown = 0;
    for recipe in recipes(30000) {
        let cooked = cook(&recipe);
        let Ok((outcome, explained)) = compare(&cooked) else {
            continue;
        };
        for (peer, policy) in [Peer::OpenMls, Peer::MlsRs].iter().zip(explained) {
            if policy.is_some_and(|p| format!("{peer:?} {}", p.id) == want) && shown < 6 {
                shown += 1;
                let kp = &cooked.key_package;
                println!(
                    "{:?} | {:?} | {:?} suite {:?} init {} enc {}",
                    outcome.ours,
                    outcome.openmls,
                    outcome.mls_rs,
                    kp.cipher_suite,
                    hex::encode(&kp.init_key.as_slice()[..kp.init_key.as_slice().len().min(8)]),
                    hex::encode(
                        &kp.leaf_node.encryption_key.as_slice()
                            [..kp.leaf_node.encryption_key.as_slice().len().min(8)]
                    ),
                );
            }
        }
    }
}
