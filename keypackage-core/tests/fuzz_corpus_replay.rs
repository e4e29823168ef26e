//! Replays the checked-in fuzz corpus (`fuzz/corpus/*/`, `fuzz/regressions/`)
//! through every fuzz body of `keypackage_core::fuzz`, so that `cargo test`
//! runs what the fuzzer found without a nightly compiler or cargo-fuzz.
//!
//! Besides "no body panics", it checks that the corpus still holds its seeds
//! (every key package of the MLS working group's vectors, in the forms
//! `fuzz/seed_corpus.py` writes), that the validate bodies reach the
//! signature checks on those seeds, and, with both backends on, that the two
//! backends name the same rule for every input of a suite they share.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use keypackage_core::fuzz;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every corpus file, by content (the same seed sits in several target
/// directories): content -> the paths it was found at.
fn corpus() -> BTreeMap<Vec<u8>, Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let corpus = repo().join("fuzz/corpus");
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            dirs.push(path);
        }
    }
    let regressions = repo().join("fuzz/regressions");
    if regressions.is_dir() {
        dirs.push(regressions);
    }
    let mut out: BTreeMap<Vec<u8>, Vec<PathBuf>> = BTreeMap::new();
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if path.is_file() && !hidden {
                out.entry(std::fs::read(&path).unwrap())
                    .or_default()
                    .push(path);
            }
        }
    }
    out
}

fn files_in(target: &str) -> BTreeSet<Vec<u8>> {
    let dir = repo().join("fuzz/corpus").join(target);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect()
}

fn vector_file(name: &str) -> Value {
    let path = repo().join("testdata/mlswg").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn hex_field(case: &Value, key: &str) -> Vec<u8> {
    hex::decode(case[key].as_str().unwrap()).unwrap()
}

const KEY_PACKAGE_HEADER: [u8; 4] = [0x00, 0x01, 0x00, 0x05];

/// The seed forms of `fuzz/seed_corpus.py`, computed here independently.
struct Seeds {
    bare: BTreeSet<Vec<u8>>,
    welcome: BTreeSet<Vec<u8>>,
    secrets: BTreeSet<Vec<u8>>,
}

impl Seeds {
    fn load() -> Self {
        let (mut bare, mut welcome, mut secrets) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let strip = |m: Vec<u8>| {
            assert_eq!(m[..4], KEY_PACKAGE_HEADER);
            m[4..].to_vec()
        };
        for case in vector_file("messages.json").as_array().unwrap() {
            bare.insert(strip(hex_field(case, "mls_key_package")));
            bare.insert(hex_field(case, "add_proposal"));
            welcome.insert(hex_field(case, "mls_welcome"));
            secrets.insert(hex_field(case, "group_secrets"));
        }
        for file in ["passive-client-welcome.json", "welcome.json"] {
            for case in vector_file(file).as_array().unwrap() {
                bare.insert(strip(hex_field(case, "key_package")));
                welcome.insert(hex_field(case, "welcome"));
            }
        }
        for case in vector_file("tree-operations.json").as_array().unwrap() {
            let proposal = hex_field(case, "proposal");
            if proposal[..2] == [0x00, 0x01] {
                bare.insert(proposal[2..].to_vec());
            }
        }
        assert_eq!(bare.len(), 665, "distinct key packages in the vectors");
        Self {
            bare,
            welcome,
            secrets,
        }
    }

    fn messages(&self) -> BTreeSet<Vec<u8>> {
        self.bare
            .iter()
            .map(|b| [&KEY_PACKAGE_HEADER[..], b].concat())
            .collect()
    }
}

#[test]
fn corpus_holds_every_seed_of_the_vectors() {
    let seeds = Seeds::load();
    let messages = seeds.messages();
    let expect: [(&str, Vec<&BTreeSet<Vec<u8>>>); 5] = [
        ("decode_key_package", vec![&seeds.bare]),
        (
            "decode_message",
            vec![&messages, &seeds.welcome, &seeds.secrets],
        ),
        ("round_trip", vec![&seeds.bare, &messages, &seeds.welcome]),
        ("decode_validate_rustcrypto", vec![&seeds.bare, &messages]),
        ("decode_validate_ring", vec![&seeds.bare, &messages]),
    ];
    for (target, forms) in expect {
        let present = files_in(target);
        for form in forms {
            let missing = form.difference(&present).count();
            assert_eq!(
                missing, 0,
                "fuzz/corpus/{target} lacks {missing} seeds: run fuzz/seed_corpus.py"
            );
        }
    }
}

#[test]
fn corpus_files_are_small() {
    let corpus = corpus();
    let total: usize = corpus.keys().map(Vec::len).sum();
    assert!(corpus.len() >= 1993, "{} distinct inputs", corpus.len());
    // The checked-in corpus stays modest (at most a few MB: it is in git).
    assert!(total < 4 << 20, "{total} bytes of distinct corpus content");
}

/// Runs `body` over every input, catching panics so that the report names
/// every failing file, not just the first.
fn replay(name: &str, body: fn(&[u8])) {
    let corpus = corpus();
    assert!(!corpus.is_empty());
    let mut failures = Vec::new();
    for (input, paths) in &corpus {
        if catch_unwind(AssertUnwindSafe(|| body(input))).is_err() {
            failures.push(paths[0].clone());
        }
    }
    assert!(
        failures.is_empty(),
        "{name} panicked on {} of {} inputs, e.g. {}",
        failures.len(),
        corpus.len(),
        failures
            .iter()
            .take(5)
            .map(|p| short(p))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn short(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn replay_decode_key_package() {
    replay("decode_key_package", fuzz::decode_key_package);
}

#[test]
fn replay_decode_message() {
    replay("decode_message", fuzz::decode_message);
}

#[test]
fn replay_round_trip() {
    replay("round_trip", fuzz::round_trip);
}

#[cfg(feature = "rustcrypto")]
#[test]
fn replay_decode_validate_rustcrypto() {
    replay(
        "decode_validate_rustcrypto",
        fuzz::decode_validate_rustcrypto,
    );
}

#[cfg(feature = "ring")]
#[test]
fn replay_decode_validate_ring() {
    replay("decode_validate_ring", fuzz::decode_validate_ring);
}

/// Every seed decodes, so the round-trip body's assertions run on all of
/// them (not only on the inputs the fuzzer happened to keep).
#[test]
fn every_seed_decodes_and_round_trips() {
    let seeds = Seeds::load();
    for bare in &seeds.bare {
        assert!(keypackage_core::KeyPackageIn::decode(bare).is_ok());
        fuzz::round_trip(bare);
    }
}

/// The validate bodies are only worth fuzzing if the seeds get past the
/// cheap rules to the signature checks: under the lenient context, every
/// vector key package of a suite the backend supports validates.
#[cfg(any(feature = "rustcrypto", feature = "ring"))]
fn seeds_reach_the_signatures<C: keypackage_core::traits::OpenMlsCrypto>(crypto: &C) {
    let seeds = Seeds::load();
    let mut accepted = 0;
    let mut supported = 0;
    let mut refused = BTreeMap::<String, usize>::new();
    for bare in &seeds.bare {
        let kp = keypackage_core::KeyPackageIn::decode(bare).unwrap();
        if !crypto.supports(kp.cipher_suite) {
            continue;
        }
        supported += 1;
        let verdicts = fuzz::decode_validate(crypto, bare);
        // bare strict, bare lenient, message strict, message lenient.
        assert_eq!(verdicts.len(), 4);
        match &verdicts[1] {
            Ok(_) => accepted += 1,
            Err(e) => *refused.entry(format!("{:?}", e.rule())).or_default() += 1,
        }
        // The message form: its last verdict is the lenient one. (A few
        // messages also happen to decode as a bare key package: the wire
        // format is not self-describing.)
        let message = [&KEY_PACKAGE_HEADER[..], bare].concat();
        let verdicts = fuzz::decode_validate(crypto, &message);
        assert!(
            verdicts.last().unwrap().is_ok(),
            "{}: message form refused: {:?}",
            crypto.name(),
            verdicts.last()
        );
    }
    assert!(supported > 300, "{supported} seeds of supported suites");
    assert_eq!(
        accepted,
        supported,
        "{}: seeds refused under the lenient context: {refused:?}",
        crypto.name()
    );
}

#[cfg(feature = "rustcrypto")]
#[test]
fn rustcrypto_seeds_reach_the_signatures() {
    seeds_reach_the_signatures(&keypackage_core::rustcrypto::RustCrypto::new());
}

#[cfg(feature = "ring")]
#[test]
fn ring_seeds_reach_the_signatures() {
    seeds_reach_the_signatures(&keypackage_core::ring::RingCrypto::new());
}

/// Same input, same verdict (rule) under both backends, for every corpus
/// input whose suite both support (docs/DESIGN.md §3 P11: the
/// backends are interchangeable).
#[cfg(all(feature = "rustcrypto", feature = "ring"))]
#[test]
fn both_backends_name_the_same_rule_for_every_corpus_input() {
    use keypackage_core::traits::OpenMlsCrypto;
    let rc = keypackage_core::rustcrypto::RustCrypto::new();
    let ring = keypackage_core::ring::RingCrypto::new();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for (input, paths) in corpus() {
        let suite = keypackage_core::KeyPackageIn::decode(&input)
            .map(|kp| kp.cipher_suite)
            .or_else(|_| {
                keypackage_core::MlsMessageIn::decode_key_package(&input)
                    .map(|(_, kp)| kp.cipher_suite)
            });
        let Ok(suite) = suite else { continue };
        if !(rc.supports(suite) && ring.supports(suite)) {
            continue;
        }
        compared += 1;
        let rules = |v: Vec<Result<_, keypackage_core::ValidationError>>| {
            v.into_iter()
                .map(|r| r.map(|_| ()).map_err(|e| e.rule()))
                .collect::<Vec<_>>()
        };
        let a = rules(fuzz::decode_validate(&rc, &input));
        let b = rules(fuzz::decode_validate(&ring, &input));
        if a != b {
            disagreements.push(format!(
                "{}: rustcrypto {a:?}, ring {b:?}",
                short(&paths[0])
            ));
        }
    }
    assert!(compared > 1000, "{compared} inputs compared");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Batch validation gives single validation's verdict for every
/// corpus input that decodes as a bare key package, including the fuzzer's
/// near-misses: inputs are grouped by `not_before` (the validation time of
/// the lenient context), so that most reach the signature-key memo.
#[cfg(any(feature = "rustcrypto", feature = "ring"))]
#[test]
fn batch_validation_agrees_with_single_validation_on_the_corpus() {
    use keypackage_core::{AcceptAnyCredential, BatchOptions, KeyPackageIn, ValidationContext};
    let crypto = keypackage_core::DefaultCrypto::new();
    let mut groups = BTreeMap::<u64, Vec<Vec<u8>>>::new();
    for input in corpus().into_keys() {
        if let Ok(kp) = KeyPackageIn::decode(&input) {
            let now = kp
                .leaf_node
                .leaf_node_source
                .lifetime()
                .map_or(fuzz::NOW, |l| l.not_before);
            groups.entry(now).or_default().push(input);
        }
    }
    let accept = AcceptAnyCredential;
    let mut compared = 0;
    let mut accepted = 0;
    for (now, inputs) in groups {
        let ctx = ValidationContext::new(now, &accept)
            .with_max_lifetime(None)
            .with_refuse_listed_defaults(false);
        let single: Vec<_> = inputs
            .iter()
            .map(|b| KeyPackageIn::decode(b).unwrap().validate(&crypto, &ctx))
            .collect();
        for options in [
            BatchOptions::new().threads(1),
            BatchOptions::new().threads(2).chunk_size(1),
        ] {
            let batch = keypackage_core::validate_encoded_batch(&inputs, &crypto, &ctx, options);
            assert_eq!(batch.len(), single.len());
            for (i, (b, s)) in batch.iter().zip(&single).enumerate() {
                let same = match (b, s) {
                    (Ok(b), Ok(s)) => b.reference() == s.reference(),
                    (Err(b), Err(s)) => b.rule() == s.rule(),
                    _ => false,
                };
                assert!(same, "input {i} at now = {now}: batch {b:?}, single {s:?}");
            }
        }
        compared += single.len();
        accepted += single.iter().filter(|r| r.is_ok()).count();
    }
    assert!(compared > 600, "{compared} inputs compared");
    assert!(accepted > 300, "{accepted} inputs reached a valid verdict");
}
