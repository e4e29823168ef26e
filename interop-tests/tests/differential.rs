//! The differential body (`interop_tests::differential`) outside the
//! fuzzer: the checked-in corpus of fuzz/'s `differential` target replays
//! here (every input agrees, or a policy entry explains it), and a fixed,
//! seeded sweep of recipes exercises every seed and every policy entry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use interop_tests::differential::{Maker, compare, cook, explained_by, seeds};

/// The seeds themselves: every implementation accepts every seed.
#[test]
fn every_seed_is_accepted_by_all_three() {
    let seeds = seeds();
    assert_eq!(seeds.len(), 3 * 5);
    for maker in [Maker::Ours, Maker::OpenMls, Maker::MlsRs] {
        assert!(seeds.iter().any(|s| s.maker == maker), "{maker:?}");
    }
    for (i, seed) in seeds.iter().enumerate() {
        let message = keypackage_core::encode_key_package_message(
            &seed
                .key_package
                .clone()
                .validate(
                    &keypackage_core::rustcrypto::RustCrypto::new(),
                    &keypackage_core::ValidationContext::new(
                        interop_tests::now(),
                        &keypackage_core::AcceptAnyCredential,
                    ),
                )
                .unwrap_or_else(|e| panic!("seed {i} ({:?}): {e}", seed.maker)),
        )
        .unwrap();
        let outcome = compare(&message).unwrap();
        assert!(
            outcome.ours.accepted()
                && outcome.openmls.accepted()
                && outcome.mls_rs.accepted(),
            "seed {i} ({:?}): ours {:?}, OpenMLS {:?}, mls-rs {:?}",
            seed.maker,
            outcome.ours,
            outcome.openmls,
            outcome.mls_rs
        );
    }
}

/// A deterministic generator of recipes (xorshift), so the sweep is the
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

/// A sweep of recipes: no unexplained disagreement, and the counts per
/// policy entry (printed with `--nocapture`).
#[test]
fn a_sweep_of_recipes_has_no_unexplained_disagreement() {
    let mut findings = Vec::new();
    let mut counts = BTreeMap::<&str, usize>::new();
    for recipe in recipes(1500) {
        let (message, _) = cook(&recipe);
        match compare(&message) {
            Ok(outcome) => {
                *counts.entry(explained_by(&outcome).unwrap_or("agree")).or_default() += 1;
            }
            Err(finding) => findings.push(format!("recipe {}: {finding}", hex::encode(&recipe))),
        }
    }
    println!("differential sweep: {counts:?}");
    assert!(
        findings.is_empty(),
        "{} findings, first ones:\n{}",
        findings.len(),
        findings.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
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
        let (message, _) = cook(&data);
        if let Err(finding) = compare(&message) {
            panic!("{}: {finding}", path.display());
        }
        replayed += 1;
    }
    assert!(replayed > 0, "empty corpus at {}", dir.display());
}

#[test]
#[ignore = "exploration"]
fn explore_classes() {
    let mut classes = BTreeMap::<String, (usize, String)>::new();
    let norm = |v: &interop_tests::differential::Verdict| {
        let s = format!("{v:?}");
        let cut: String = s.chars().take_while(|c| *c != '{' && *c != ',').collect();
        cut.chars().filter(|c| !c.is_ascii_digit()).collect::<String>()
    };
    for recipe in recipes(20000) {
        let (message, _) = cook(&recipe);
        let outcome = interop_tests::differential::Outcome {
            ours: interop_tests::differential::ours(&message),
            openmls: interop_tests::differential::openmls(&message),
            mls_rs: interop_tests::differential::mls_rs(&message),
            key_package: None,
        };
        let agree = outcome.ours.accepted() == outcome.openmls.accepted()
            && outcome.ours.accepted() == outcome.mls_rs.accepted()
            && outcome.ours.decoded() == outcome.openmls.decoded()
            && outcome.ours.decoded() == outcome.mls_rs.decoded();
        if agree {
            continue;
        }
        let key = format!(
            "{} | {} | {}",
            norm(&outcome.ours),
            norm(&outcome.openmls),
            norm(&outcome.mls_rs)
        );
        let e = classes.entry(key).or_insert((0, hex::encode(&recipe)));
        e.0 += 1;
    }
    for (k, (n, r)) in &classes {
        println!("{n:6} {k}   recipe {r}");
    }
}

#[test]
#[ignore = "exploration"]
fn explain_recipe() {
    let recipe = hex::decode(std::env::var("RECIPE").unwrap()).unwrap();
    let (message, seed) = cook(&recipe);
    println!("seed maker {:?}", seed.maker);
    println!("message {}", hex::encode(&message));
    println!("ours decode: {:?}", keypackage_core::MlsMessageIn::decode(&message).map(|m| format!("{m:?}")));
    let outcome = compare(&message);
    match outcome {
        Ok(o) => println!("{:?} | {:?} | {:?}", o.ours, o.openmls, o.mls_rs),
        Err(e) => println!("{e}"),
    }
}
