//! Decoding (and validating) never allocates more than a small multiple of
//! the input size (docs/DESIGN.md §3 P2).
//!
//! No custom global allocator (that needs `unsafe`, forbidden here): each
//! hostile input is decoded in a child process (this test binary, re-run on
//! one test), which measures its own memory from `/proc/self/status`:
//!
//! * touched memory: `VmHWM` (peak resident set) after decoding, minus
//!   `VmRSS` just before, with the peak reset by writing `5` to
//!   `/proc/self/clear_refs` (Linux ≥ 4.0);
//! * address space, touched or not (a reservation such as
//!   `Vec::with_capacity(claimed_length)` counts in full): `VmPeak` after
//!   decoding minus `VmSize` just before, an upper bound since `VmPeak`
//!   cannot be reset.
//!
//! The child reads its input from a file the parent wrote, so its heap holds
//! no freed memory that decoding could reuse unseen, and runs with one
//! glibc arena (`MALLOC_ARENA_MAX=1`), so that no 64 MiB per-thread heap
//! reservation blurs the address-space measure. Two canaries (a decoder that
//! reserves, one that touches, 256 times the input) show that each measure
//! catches what it claims to.
//!
//! The worst families are lists of the smallest elements: an empty
//! `Certificate` is 1 byte on the wire and 24 in memory (a `Vec` header), and
//! a `Vec` grown by doubling holds up to twice its length: 48 bytes of
//! address space per input byte when the count is one more than a power of
//! two, as below. Hence the bound [`K`] = 64 (docs/FUZZING.md lists the
//! measured ratio of every family).

#![cfg(all(target_os = "linux", any(feature = "rustcrypto", feature = "ring")))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::Command;

use keypackage_core::traits::ExtensionType;
use keypackage_core::traits::codec::{VarBytes, VarVec};
use keypackage_core::{
    Certificate, Credential, Extension, KeyPackageIn, MlsMessageIn, Welcome, fuzz,
};
use tls_codec::Serialize;

/// Allowed peak memory per input byte, touched or reserved. The worst
/// measured: 48 (address space) and 24 (touched), for lists of empty
/// certificates and of minimal Welcome entries.
const K: usize = 64;
/// Fixed allowance for touched memory: the decoded structure's small
/// fields, a few pages of stack and allocator bookkeeping.
const RSS_SLACK: usize = 2 << 20;
/// Fixed allowance for address space (the child runs with one glibc arena,
/// which grows by `brk` in small steps).
const VM_SLACK: usize = 4 << 20;
/// Size of each hostile input, about 2 MiB.
const INPUT: usize = 2 << 20;

const CHILD_ENV: &str = "KEYPACKAGE_ALLOCATION_BOUND_CHILD";

/// What a child measured.
#[derive(Debug)]
struct Measured {
    input: usize,
    rss: usize,
    vm: usize,
}

fn status(field: &str) -> usize {
    let text = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} missing from /proc/self/status"));
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

const INPUT_ENV: &str = "KEYPACKAGE_ALLOCATION_BOUND_INPUT";

/// Where the parent writes the input of `family` (unique per parent
/// process: several test runs may share the target directory).
fn input_path(family: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "allocation_bound_{family}_{}.bin",
        std::process::id()
    ))
}

/// A key package made by the builder, valid, with the given changes and
/// re-signed; its encoding.
fn key_package_with(change: impl Fn(&mut KeyPackageIn)) -> Vec<u8> {
    use keypackage_core::traits::{CipherSuiteProvider, OpenMlsCrypto};
    let crypto = keypackage_core::DefaultCrypto::new();
    let suite = keypackage_core::traits::CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    let s = crypto.suite(suite).unwrap();
    let keys = s.signature_generate_key_pair().unwrap();
    let signer = s.signer(&keys.private).unwrap();
    let bundle = keypackage_core::KeyPackageBuilder::new()
        .build(&crypto, suite, Credential::basic("alloc"), &signer)
        .unwrap();
    let mut kp = bundle.key_package().clone().into_untrusted();
    change(&mut kp);
    kp.resign(&signer).unwrap();
    kp.encode().unwrap()
}

/// The number of `wire`-byte entries that fits in [`INPUT`] and is the
/// worst for memory: one more than a power of two, so that the decoded
/// `Vec`'s capacity is (almost) twice its length.
fn count(wire: usize) -> usize {
    (INPUT / wire).next_power_of_two() / 2 + 1
}

/// The hostile input of `family`, between half and all of [`INPUT`] bytes.
fn hostile(family: &str) -> Vec<u8> {
    match family {
        // Empty certificates: 1 byte each on the wire.
        "x509" => key_package_with(|kp| {
            kp.leaf_node.credential = Credential::X509 {
                certificates: VarVec(vec![
                    Certificate {
                        cert_data: VarBytes::default()
                    };
                    count(1)
                ]),
            }
        }),
        // Empty extensions, 3 bytes each, in the key package.
        "extensions" => key_package_with(|kp| {
            kp.extensions = (0..count(3))
                .map(|i| Extension::new(ExtensionType((i % 0xFF00) as u16 + 0x100), Vec::new()))
                .collect::<Vec<_>>()
                .into();
        }),
        // Extensions with one byte of data (4 bytes; a heap block each).
        "extension_bytes" => key_package_with(|kp| {
            kp.extensions = (0..count(4))
                .map(|i| Extension::new(ExtensionType((i % 0xFF00) as u16 + 0x100), vec![1]))
                .collect::<Vec<_>>()
                .into();
        }),
        // Five capability lists of 2-byte entries.
        "capabilities" => key_package_with(|kp| {
            let n = count(10);
            let caps = &mut kp.leaf_node.capabilities;
            caps.versions = VarVec(vec![keypackage_core::traits::ProtocolVersion::MLS10; n]);
            caps.cipher_suites = VarVec(vec![keypackage_core::traits::CipherSuite(1); n]);
            caps.extensions = VarVec(vec![ExtensionType(0x0A0A); n]);
            caps.proposals = VarVec(vec![keypackage_core::traits::ProposalType(0x0A0A); n]);
            caps.credentials = VarVec(vec![keypackage_core::traits::CredentialType::BASIC; n]);
        }),
        // A valid key package with the largest hostile lists (validates).
        "valid_lists" => key_package_with(|kp| fuzz::hostile_lists(kp, fuzz::MAX_HOSTILE_LIST)),
        // One 2 MiB identity.
        "identity" => {
            key_package_with(|kp| kp.leaf_node.credential = Credential::basic(vec![7u8; INPUT]))
        }
        // An MLSMessage Welcome with minimal (3-byte) secrets entries.
        "welcome" => {
            let entry = keypackage_core::EncryptedGroupSecrets {
                new_member: keypackage_core::traits::KeyPackageRef::new(Vec::new()),
                encrypted_group_secrets: keypackage_core::traits::HpkeCiphertext {
                    kem_output: VarBytes::default(),
                    ciphertext: VarBytes::default(),
                },
            };
            let welcome = Welcome {
                cipher_suite: keypackage_core::traits::CipherSuite(1),
                secrets: VarVec(vec![entry; count(3)]),
                encrypted_group_info: VarBytes::default(),
            };
            let mut out = vec![0x00, 0x01, 0x00, 0x03];
            welcome.tls_serialize(&mut out).unwrap();
            out
        }
        // GroupSecrets with minimal (3-byte) external PSK ids.
        "psks" => {
            let n = count(3);
            let mut out = vec![0x00, 0x00]; // joiner_secret<V> empty, no path_secret
            keypackage_core::traits::codec::write_varint(3 * n, &mut out).unwrap();
            for _ in 0..n {
                out.extend_from_slice(&[0x01, 0x00, 0x00]);
            }
            out
        }
        "canary_reserve" | "canary_touch" => vec![0u8; INPUT],
        other => panic!("unknown family {other}"),
    }
}

/// The child's work: decode (and validate) the input of `family`.
fn decode_all(family: &str, input: &[u8]) -> Box<dyn std::any::Any> {
    match family {
        "welcome" => Box::new(MlsMessageIn::decode(input).unwrap()),
        "psks" => Box::new(keypackage_core::GroupSecrets::decode(input).unwrap()),
        "canary_reserve" => Box::new(Vec::<u8>::with_capacity(256 * input.len())),
        "canary_touch" => Box::new(vec![1u8; 256 * input.len()]),
        _ => {
            // The delivery service's path: decode, then validate (which
            // consumes the key package and, if valid, returns it).
            let kp = KeyPackageIn::decode(input).unwrap();
            let accept = keypackage_core::AcceptAnyCredential;
            let now = kp.leaf_node.leaf_node_source.lifetime().unwrap().not_before;
            let ctx = keypackage_core::ValidationContext::new(now, &accept);
            let verdict = kp.validate(&keypackage_core::DefaultCrypto::new(), &ctx);
            if family == "valid_lists" {
                assert!(verdict.is_ok(), "{verdict:?}");
            }
            Box::new(verdict)
        }
    }
}

fn child(family: &str) {
    // Warm up whatever initialises lazily (randomness, CPU features) with a
    // small valid key package, so it is not counted below.
    drop(decode_all("identity", &key_package_with(|_| {})));

    let input = std::fs::read(std::env::var(INPUT_ENV).unwrap()).unwrap();
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let (rss0, vm0) = (status("VmRSS:"), status("VmSize:"));
    let decoded = std::hint::black_box(decode_all(family, std::hint::black_box(&input)));
    let (hwm, peak) = (status("VmHWM:"), status("VmPeak:"));
    drop(decoded);
    println!(
        "MEASURED input={} rss={} vm={}",
        input.len(),
        hwm.saturating_sub(rss0),
        peak.saturating_sub(vm0)
    );
}

fn measure(family: &str, test: &str) -> Measured {
    let input = hostile(family);
    let path = input_path(family);
    std::fs::write(&path, &input).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, family)
        .env(INPUT_ENV, &path)
        // One glibc arena: no 64 MiB per-thread heap reservations to blur
        // the address-space measure.
        .env("MALLOC_ARENA_MAX", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child {family} failed: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("MEASURED ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no measurement from {family}:\n{stdout}"));
    let field = |name: &str| -> usize {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .unwrap()
            .parse()
            .unwrap()
    };
    let _ = std::fs::remove_file(&path);
    Measured {
        input: field("input"),
        rss: field("rss"),
        vm: field("vm"),
    }
}

fn within_bound(m: &Measured) -> bool {
    m.rss <= K * m.input + RSS_SLACK && m.vm <= K * m.input + VM_SLACK
}

/// In the child, measures; in the parent, runs the child and checks the
/// bound (or, for a canary, that the bound is broken).
fn check(family: &str, test: &str) {
    if let Ok(f) = std::env::var(CHILD_ENV) {
        if f == family {
            child(family);
        }
        return;
    }
    let m = measure(family, test);
    eprintln!(
        "{family}: input {} B, touched {} B ({:.1}x), address space {} B ({:.1}x)",
        m.input,
        m.rss,
        m.rss as f64 / m.input as f64,
        m.vm,
        m.vm as f64 / m.input as f64
    );
    assert!(m.input >= INPUT / 2, "{family}: input too small to measure");
    if family.starts_with("canary") {
        assert!(!within_bound(&m), "{family}: the measure missed it: {m:?}");
    } else {
        assert!(
            within_bound(&m),
            "{family}: more than {K}x the input (+ slack): {m:?}"
        );
    }
}

macro_rules! families {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), stringify!($name));
            }
        )*
    };
}

families!(
    x509,
    extensions,
    extension_bytes,
    capabilities,
    valid_lists,
    identity,
    welcome,
    psks,
    canary_reserve,
    canary_touch,
);
