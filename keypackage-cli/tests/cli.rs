//! Drives the built `kp` binary: every subcommand, every input format, the
//! exit codes, every class of bad input, `generate | validate` for every
//! suite of both backends, and key packages mutated with the library (one
//! field changed, re-signed with the right key) refused with the rule ID
//! that `ValidationError::rule()` gives.
//!
//! Every run uses a key store in a temporary directory, and HOME and
//! XDG_DATA_HOME point into it too: no test touches the real home.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::codec::{VarBytes, VarVec};
use keypackage_core::traits::{
    CipherSuite, CipherSuiteProvider, CredentialType, ExtensionType, HpkePublicKey, OpenMlsCrypto,
    ProposalType, ProtocolVersion, SignaturePublicKey,
};
use keypackage_core::{
    AcceptAnyCredential, Credential, Extension, KeyPackageBuilder, KeyPackageIn, LeafNodeSource,
    Lifetime, Rule, ValidationContext, encode_key_package_message,
};
use serde_json::Value;
use tempfile::TempDir;

const DAY: u64 = 86_400;

/// The result of one `kp` run.
struct Run {
    code: i32,
    raw: Vec<u8>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// No panic, no backtrace: at most one-line `kp:` messages on stderr.
    fn assert_clean_stderr(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("backtrace"),
            "{}",
            self.stderr
        );
        for line in self.stderr.lines() {
            assert!(line.starts_with("kp: "), "stray stderr line: {line:?}");
        }
    }

    /// Exit status 2 with exactly one `kp: error:` line, containing
    /// `needle` (`generate` may have printed the key store path before).
    fn assert_error(&self, needle: &str) {
        assert_eq!(
            self.code, 2,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.assert_clean_stderr();
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("kp: error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{}", self.stderr);
        assert!(
            errors[0].contains(needle),
            "{:?} lacks {needle:?}",
            errors[0]
        );
        for line in self.stderr.lines() {
            assert!(
                line.starts_with("kp: error: ") || line.starts_with("kp: key store: "),
                "{line}"
            );
        }
    }
}

/// A temporary home with its own key store.
struct Env {
    dir: TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn keystore(&self) -> PathBuf {
        self.path("store/keystore.sqlite")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kp"));
        command
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("xdg"))
            .env("KP_KEYSTORE", self.keystore())
            .env_remove("RUST_BACKTRACE");
        command
    }

    /// Runs `kp args` with `stdin` as input.
    fn run(&self, args: &[&str], stdin: &[u8]) -> Run {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut input = child.stdin.take().unwrap();
            // The child may exit before reading (usage errors).
            let _ = input.write_all(stdin);
        }
        finish(child.wait_with_output().unwrap())
    }

    /// `kp generate` into the env's key store; returns the printed lines.
    fn generate(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec!["generate"];
        all.extend_from_slice(args);
        let run = self.run(&all, b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.assert_clean_stderr();
        run.lines().iter().map(|s| s.to_string()).collect()
    }
}

fn finish(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        raw: output.stdout.clone(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn joined(lines: &[String]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

/// Runs `kp args` with `stdin`; fails the test if it has not ended within
/// a minute (the run is killed).
fn run_bounded(env: &Env, args: &[&str], stdin: Stdio) -> Run {
    let child = env
        .command()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(output) => finish(output.unwrap()),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("kp {args:?} did not end within a minute");
        }
    }
}

// ---------------------------------------------------------------- generate

#[test]
fn generate_prints_one_key_package_per_line_after_storing_it() {
    let env = Env::new();
    let run = env.run(&["generate", "--count", "3", "--identity", "alice"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_clean_stderr();
    assert!(
        run.stderr
            .contains(&format!("kp: key store: {}", env.keystore().display())),
        "{}",
        run.stderr
    );
    let lines = run.lines();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(
            line.starts_with("00010001"),
            "hex of a bare suite-1 key package: {line}"
        );
        assert!(line.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    // Every printed key package is in the store, under its reference.
    let refs = env.run(&["ref"], run.stdout.as_bytes());
    assert_eq!(refs.code, 0, "{}", refs.stderr);
    let mut printed: Vec<&str> = refs.lines();
    let list = env.run(&["store", "list"], b"");
    assert_eq!(list.code, 0, "{}", list.stderr);
    let mut stored: Vec<&str> = list
        .lines()
        .iter()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    printed.sort_unstable();
    stored.sort_unstable();
    assert_eq!(printed, stored);
}

#[test]
fn generate_then_validate_is_ok_for_every_suite_and_backend() {
    let env = Env::new();
    let cases: [(&str, &[u16]); 2] = [
        ("rustcrypto", &[1, 2, 3, 4, 5, 6, 7]),
        ("ring", &[1, 2, 3, 7]),
    ];
    for (backend, suites) in cases {
        for suite in suites {
            let suite = suite.to_string();
            // A real pipe: kp generate | kp validate.
            let mut generate = env
                .command()
                .args(["generate", "-n", "2", "-c", &suite, "-b", backend])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let validate = env
                .command()
                .args(["validate", "-b", backend, "-c", &suite])
                .stdin(generate.stdout.take().unwrap())
                .output()
                .unwrap();
            let generated = generate.wait_with_output().unwrap();
            assert!(generated.status.success(), "{backend} suite {suite}");
            let run = finish(validate);
            assert_eq!(
                run.code, 0,
                "{backend} suite {suite}: {}{}",
                run.stdout, run.stderr
            );
            let lines = run.lines();
            assert_eq!(lines.len(), 2, "{backend} suite {suite}");
            for line in lines {
                let reference = line.strip_prefix("ok ").unwrap();
                assert!(reference.len() >= 64, "{line}");
            }
        }
    }
    // 22 key packages, all stored.
    let count = env.run(&["store", "count"], b"");
    assert_eq!(count.lines()[0], "total 22");
}

#[test]
fn key_packages_made_by_one_backend_validate_under_the_other() {
    let env = Env::new();
    for (made, checked) in [("rustcrypto", "ring"), ("ring", "rustcrypto")] {
        for suite in ["1", "2", "3", "7"] {
            let lines = env.generate(&["-c", suite, "-b", made]);
            let run = env.run(&["validate", "-b", checked], &joined(&lines));
            assert_eq!(
                run.code, 0,
                "{made} -> {checked}, suite {suite}: {}",
                run.stdout
            );
        }
    }
}

#[test]
fn one_signature_key_per_identity_and_scheme_is_kept_and_reused() {
    let env = Env::new();
    let signature_key = |lines: &[String]| -> String {
        let run = env.run(&["inspect", "--json"], &joined(lines));
        let json: Value = serde_json::from_str(run.lines()[0]).unwrap();
        json["leaf_node"]["signature_key"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let alice_1 = env.generate(&["--identity", "alice"]);
    let alice_2 = env.generate(&["--identity", "alice", "-b", "ring"]);
    let bob = env.generate(&["--identity", "bob"]);
    assert_eq!(signature_key(&alice_1), signature_key(&alice_2));
    assert_ne!(signature_key(&alice_1), signature_key(&bob));
    let key_file = env.path("store/keystore.sqlite.signature-keys/ed25519-616c696365.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // Another scheme gets its own key.
    env.generate(&["--identity", "alice", "-c", "2"]);
    assert!(
        env.path("store/keystore.sqlite.signature-keys/p256-616c696365.key")
            .exists()
    );
}

#[test]
fn generate_options_reach_the_key_package() {
    let env = Env::new();
    let lines = env.generate(&[
        "--identity",
        "carol",
        "--lifetime",
        "7",
        "--last-resort",
        "--no-grease",
        "-c",
        "3",
    ]);
    let run = env.run(&["inspect", "--json"], &joined(&lines));
    let json: Value = serde_json::from_str(run.lines()[0]).unwrap();
    assert_eq!(json["cipher_suite"]["value"], 3);
    assert_eq!(json["last_resort"], true);
    assert_eq!(json["leaf_node"]["credential"]["identity_utf8"], "carol");
    let lifetime = &json["leaf_node"]["lifetime"];
    let duration =
        lifetime["not_after"].as_u64().unwrap() - lifetime["not_before"].as_u64().unwrap();
    assert_eq!(duration, 7 * DAY + 3600);
    let caps = &json["leaf_node"]["capabilities"];
    for list in ["cipher_suites", "extensions", "proposals", "credentials"] {
        for value in caps[list].as_array().unwrap() {
            assert_ne!(value["name"], "GREASE", "--no-grease, {list}");
        }
    }
    let listed = env.run(&["store", "list"], b"");
    assert!(
        listed.lines()[0].ends_with(" last-resort"),
        "{}",
        listed.stdout
    );
    // GREASE is on by default.
    let lines = env.generate(&[]);
    let run = env.run(&["inspect"], &joined(&lines));
    assert!(run.stdout.contains("GREASE"));
}

#[test]
fn generate_usage_errors_exit_2() {
    let env = Env::new();
    env.run(&["generate", "-c", "99"], b"")
        .assert_error("cipher suite 0x0063 is not supported by the rustcrypto backend");
    env.run(&["generate", "-c", "4", "-b", "ring"], b"")
        .assert_error("not supported by the ring backend (it supports 1, 2, 3, 7)");
    env.run(&["generate", "-c", "seven"], b"")
        .assert_error("is not a cipher suite");
    env.run(&["generate", "--count", "0"], b"")
        .assert_error("--count must be at least 1");
    env.run(&["generate", "--lifetime", "0"], b"")
        .assert_error("--lifetime must be at least 1 day");
    env.run(&["generate", "-n", "2", "--format", "binary"], b"")
        .assert_error("--format binary writes one key package");
    env.run(&["generate", "--format", "pem"], b"")
        .assert_error("invalid value 'pem'");
    // Nothing was stored by the failed runs.
    assert!(!env.keystore().exists());
}

#[test]
fn key_store_path_defaults_and_overrides() {
    let env = Env::new();
    // No flag, no KP_KEYSTORE: $XDG_DATA_HOME/keypackage/keystore.sqlite.
    let run = finish(
        env.command()
            .env_remove("KP_KEYSTORE")
            .arg("generate")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let xdg = env.path("xdg/keypackage/keystore.sqlite");
    assert!(
        run.stderr.contains(&xdg.display().to_string()),
        "{}",
        run.stderr
    );
    assert!(xdg.exists());
    // Without XDG_DATA_HOME: $HOME/.local/share/keypackage/keystore.sqlite.
    let run = finish(
        env.command()
            .env_remove("KP_KEYSTORE")
            .env_remove("XDG_DATA_HOME")
            .arg("generate")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.path(".local/share/keypackage/keystore.sqlite").exists());
    // --keystore wins over KP_KEYSTORE.
    let flag = env.path("elsewhere/ks.sqlite");
    env.generate(&["--keystore", flag.to_str().unwrap()]);
    assert!(flag.exists());
    assert!(!env.keystore().exists());
}

// ----------------------------------------------------------------- formats

#[test]
fn every_output_format_is_read_back_by_inspect_validate_and_ref() {
    let env = Env::new();
    let cases = [
        ("hex", "hex", "bare"),
        ("base64", "base64", "bare"),
        ("binary", "binary", "bare"),
        ("mls-message", "hex", "mls-message"),
    ];
    for (format, encoding, wrapping) in cases {
        let run = env.run(&["generate", "--format", format], b"");
        assert_eq!(run.code, 0);
        let bytes = run.raw.as_slice();
        if format == "binary" {
            assert_eq!(&bytes[..4], &[0, 1, 0, 1], "raw bare key package");
        }
        let validated = env.run(&["validate"], bytes);
        assert_eq!(validated.code, 0, "{format}: {}", validated.stdout);
        let reference = validated.lines()[0].strip_prefix("ok ").unwrap().to_owned();
        let inspected = env.run(&["inspect", "--json"], bytes);
        assert_eq!(inspected.code, 0, "{format}: {}", inspected.stderr);
        let json: Value = serde_json::from_str(inspected.lines()[0]).unwrap();
        assert_eq!(json["encoding"], encoding, "{format}");
        assert_eq!(json["wrapping"], wrapping, "{format}");
        assert_eq!(json["reference"], reference.as_str(), "{format}");
        // ref works on every form, and the MLSMessage wrapping does not
        // change the reference (it is over the bare KeyPackage).
        let refs = env.run(&["ref"], bytes);
        assert_eq!(refs.lines(), [reference.as_str()], "{format}");
        // The same input from a file.
        let file = env.path(&format!("kp.{format}"));
        std::fs::write(&file, bytes).unwrap();
        let from_file = env.run(&["validate", file.to_str().unwrap()], b"");
        assert_eq!(from_file.lines(), [format!("ok {reference}")]);
    }
}

#[test]
fn mls_message_in_base64_and_unpadded_url_safe_base64_are_detected() {
    let env = Env::new();
    let hex_message = &env.generate(&["--format", "mls-message"])[0];
    let bytes = hex::decode(hex_message).unwrap();
    use base64::Engine;
    let padded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
    for text in [padded, url] {
        let run = env.run(&["inspect"], text.as_bytes());
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout
                .contains("  input: base64, mls-message (MLSMessage version 0x0001 mls10)"),
            "{}",
            run.stdout
        );
        assert_eq!(env.run(&["validate"], text.as_bytes()).code, 0);
    }
}

#[test]
fn inspect_prints_every_field_in_the_documented_layout() {
    let env = Env::new();
    let lines = env.generate(&["--identity", "dave", "--last-resort"]);
    let run = env.run(&["inspect"], &joined(&lines));
    assert_eq!(run.code, 0);
    let text = &run.stdout;
    let keys = [
        "key_package: line 1",
        "  input: hex, bare",
        "  version: 0x0001 mls10",
        "  cipher_suite: 0x0001 MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
        "  reference: ",
        "  init_key: ",
        "  leaf_node:",
        "    encryption_key: ",
        "    signature_key: ",
        "    credential: 0x0001 basic",
        "      identity: 64617665 \"dave\"",
        "    capabilities:",
        "      versions: 0x0001 mls10",
        "      cipher_suites: 0x0001 MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, ",
        "      extensions: 0x000a last_resort",
        "      proposals: ",
        "      credentials: 0x0001 basic",
        "    leaf_node_source: 1 key_package",
        "    lifetime:",
        "      not_before: ",
        "      not_after: ",
        "      duration: 7261200 s (84 d 01:00:00)",
        "    extensions: (none)",
        "    signature: ",
        "  extensions:",
        "    - 0x000a last_resort (0 bytes)",
        "  last_resort: yes",
        "  signature: ",
    ];
    let mut rest = text.as_str();
    for key in keys {
        let at = rest
            .find(key)
            .unwrap_or_else(|| panic!("{key:?} missing or out of order in:\n{text}"));
        rest = &rest[at + key.len()..];
    }
    // Dates are RFC 3339 UTC, followed by the Unix seconds.
    let not_after = text
        .lines()
        .find(|l| l.trim_start().starts_with("not_after: "))
        .unwrap();
    let date = not_after.trim_start().strip_prefix("not_after: ").unwrap();
    assert_eq!(
        date.len(),
        "2027-02-19T03:19:49Z (1803007189)".len(),
        "{date}"
    );
    assert_eq!(&date[4..5], "-");
    assert_eq!(&date[10..11], "T");
    assert_eq!(&date[19..22], "Z (");
    // Two inputs: two blocks separated by one blank line.
    let two = env.run(&["inspect"], &joined(&[lines[0].clone(), lines[0].clone()]));
    assert!(
        two.stdout.contains("\n\nkey_package: line 2\n"),
        "{}",
        two.stdout
    );
}

#[test]
fn inspect_json_has_the_documented_keys() {
    let env = Env::new();
    let lines = env.generate(&["--format", "mls-message"]);
    let run = env.run(&["inspect", "--json"], &joined(&lines));
    assert_eq!(run.code, 0);
    let json: Value = serde_json::from_str(run.lines()[0]).unwrap();
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        [
            "cipher_suite",
            "encoding",
            "extensions",
            "init_key",
            "last_resort",
            "leaf_node",
            "line",
            "message_version",
            "reference",
            "signature",
            "version",
            "wrapping"
        ]
    );
    assert_eq!(
        keys(&json["leaf_node"]),
        [
            "capabilities",
            "credential",
            "encryption_key",
            "extensions",
            "leaf_node_source",
            "lifetime",
            "parent_hash",
            "signature",
            "signature_key"
        ]
    );
    assert_eq!(json["line"], 1);
    assert_eq!(json["message_version"]["name"], "mls10");
    assert_eq!(
        json["cipher_suite"]["name"],
        "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"
    );
    let lifetime = &json["leaf_node"]["lifetime"];
    assert!(
        lifetime["not_after_rfc3339"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert!(lifetime["not_before"].is_u64());
}

// ------------------------------------------------------- validate and exit codes

#[test]
fn validate_exit_status_is_0_all_valid_1_any_invalid_2_usage_or_io() {
    let env = Env::new();
    let lines = env.generate(&["-n", "2"]);
    assert_eq!(env.run(&["validate"], &joined(&lines)).code, 0);
    // One valid, one not hex: 1, and one output line per input.
    let mixed = format!("{}\nnot-a-key-package!\n", lines[0]);
    let run = env.run(&["validate"], mixed.as_bytes());
    assert_eq!(run.code, 1);
    assert_eq!(run.lines().len(), 2);
    assert!(run.lines()[0].starts_with("ok "));
    assert!(
        run.lines()[1].starts_with(
            "invalid KP-DECODE line 2: column 18: '!' is not a hex or base64 character"
        ),
        "{}",
        run.stdout
    );
    // Usage and I/O: 2.
    env.run(&["validate", "--bogus"], b"")
        .assert_error("unexpected argument '--bogus'");
    env.run(&["validate", "--now", "yesterday"], b"")
        .assert_error("invalid value 'yesterday'");
    env.run(&["validate", "--max-lifetime", "0"], b"")
        .assert_error("must be at least 1 day");
    // Help is not an error.
    let help = env.run(&["validate", "--help"], b"");
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("AcceptAnyCredential"),
        "{}",
        help.stdout
    );
}

#[test]
fn validate_json_prints_one_object_per_input() {
    let env = Env::new();
    let lines = env.generate(&[]);
    let input = format!("{}\n\n00\n", lines[0]);
    let run = env.run(&["validate", "--json"], input.as_bytes());
    assert_eq!(run.code, 1);
    let objects: Vec<Value> = run
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0]["status"], "ok");
    assert_eq!(objects[0]["line"], 1);
    assert_eq!(objects[0]["cipher_suite"], 1);
    assert_eq!(objects[0]["reference"].as_str().unwrap().len(), 64);
    assert_eq!(objects[1]["status"], "invalid");
    assert_eq!(objects[1]["line"], 3);
    assert_eq!(objects[1]["rule"], "KP-DECODE");
    assert!(objects[1]["reason"].as_str().unwrap().contains("truncated"));
}

#[test]
fn validate_policy_flags() {
    let env = Env::new();
    let lines = env.generate(&["--lifetime", "30"]);
    let input = joined(&lines);
    let t = now();
    // --now: after expiry, KP-LIFETIME.
    let late = (t + 40 * DAY).to_string();
    let run = env.run(&["validate", "--now", &late], &input);
    assert_eq!(run.code, 1);
    assert!(
        run.lines()[0].starts_with("invalid KP-LIFETIME line 1: "),
        "{}",
        run.stdout
    );
    // --max-lifetime: 30 days + the backdate hour passes at 30, not at 29.
    assert_eq!(
        env.run(&["validate", "--max-lifetime", "30"], &input).code,
        0
    );
    let run = env.run(&["validate", "--max-lifetime", "29"], &input);
    assert!(
        run.lines()[0].starts_with("invalid KP-MAX-LIFETIME "),
        "{}",
        run.stdout
    );
    // --ciphersuite names the group's suite: KP-GROUP-SUITE; an unsupported
    // one is a usage error.
    let run = env.run(&["validate", "-c", "3"], &input);
    assert!(
        run.lines()[0].starts_with("invalid KP-GROUP-SUITE "),
        "{}",
        run.stdout
    );
    assert_eq!(env.run(&["validate", "-c", "1"], &input).code, 0);
    env.run(&["validate", "-c", "99"], &input)
        .assert_error("cipher suite 0x0063 is not supported");
}

// ------------------------------------------------------------ bad input

#[test]
fn empty_input_is_a_usage_error() {
    let env = Env::new();
    for command in ["validate", "inspect", "ref"] {
        env.run(&[command], b"")
            .assert_error("no key package in input: the input is empty");
        env.run(&[command], b"\n  \n# only a comment\n")
            .assert_error("no key package in input: only blank or comment lines");
        let empty = env.path("empty");
        std::fs::write(&empty, b"").unwrap();
        env.run(&[command, empty.to_str().unwrap()], b"")
            .assert_error("no key package in input");
    }
}

#[test]
fn unreadable_files_are_io_errors() {
    let env = Env::new();
    let missing = env.path("missing.hex");
    for command in ["validate", "inspect", "ref"] {
        env.run(&[command, missing.to_str().unwrap()], b"")
            .assert_error(&format!(
                "cannot read {}: no such file or directory",
                missing.display()
            ));
        env.run(&[command, env.dir.path().to_str().unwrap()], b"")
            .assert_error("is a directory");
    }
    env.run(
        &["store", "list", "--keystore", missing.to_str().unwrap()],
        b"",
    )
    .assert_error("no key store at");
}

/// Each bad input class: the rule, the position, no panic.
#[test]
fn bad_inputs_are_kp_decode_with_their_position() {
    let env = Env::new();
    let good = env.generate(&[]).remove(0);
    let bytes = hex::decode(&good).unwrap();
    let n = bytes.len();
    let truncated = hex::encode(&bytes[..n - 10]);
    let trailing = format!("{good}0000");
    let message = env.generate(&["--format", "mls-message"]).remove(0);
    let message_truncated = &message[..message.len() - 2];
    let cases: Vec<(String, String)> = vec![
        (
            "zz!not-hex".into(),
            "column 3: '!' is not a hex or base64 character".into(),
        ),
        ("abc".into(), "not hex: odd number of hex digits (3)".into()),
        ("a=b=".into(), "not hex, and not base64".into()),
        (
            truncated,
            format!(
                "truncated: the input ends inside a field, at byte {}",
                n - 10
            ),
        ),
        (
            trailing,
            format!("2 trailing bytes after the key package, from byte {n}"),
        ),
        (
            message_truncated.into(),
            format!(
                "MLSMessage: truncated: the input ends inside a field, at byte {}",
                n + 3
            ),
        ),
        ("00".into(), "truncated".into()),
    ];
    let input: Vec<String> = cases.iter().map(|(line, _)| line.clone()).collect();
    let run = env.run(&["validate"], &joined(&input));
    assert_eq!(run.code, 1);
    run.assert_clean_stderr();
    assert_eq!(run.lines().len(), cases.len());
    for (i, ((_, reason), line)) in cases.iter().zip(run.lines()).enumerate() {
        let prefix = format!("invalid KP-DECODE line {}: ", i + 1);
        assert!(line.starts_with(&prefix), "{line}");
        assert!(line.contains(reason.as_str()), "{line:?} lacks {reason:?}");
    }
    // inspect and ref: one stderr line per bad input, the good ones printed.
    for command in ["inspect", "ref"] {
        let mut mixed = input.clone();
        mixed.push(good.clone());
        let run = env.run(&[command], &joined(&mixed));
        assert_eq!(run.code, 1, "{command}");
        run.assert_clean_stderr();
        let errors: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(errors.len(), cases.len(), "{command}: {}", run.stderr);
        for (i, line) in errors.iter().enumerate() {
            let prefix = format!("kp: error: line {}: not a key package (KP-DECODE): ", i + 1);
            assert!(line.starts_with(&prefix), "{line}");
        }
        assert!(!run.stdout.is_empty());
    }
    // A binary file with trailing bytes: the position is a byte offset.
    let mut raw = bytes.clone();
    raw.push(7);
    let run = env.run(&["validate"], &raw);
    assert_eq!(
        run.lines(),
        [format!(
            "invalid KP-DECODE input: 1 trailing byte after the key package, from byte {n}"
        )]
    );
    // A Welcome is named as such.
    let welcome = "0001000300010000";
    let run = env.run(&["validate"], welcome.as_bytes());
    assert!(run.lines()[0].contains("a Welcome"), "{}", run.stdout);
}

#[test]
fn unknown_suite_in_a_key_package_is_kp_suite_and_ref_cannot_hash_it() {
    let env = Env::new();
    let crypto = RustCrypto::new();
    let (mut kp, signer) = fixture(&crypto, CipherSuite(1));
    kp.cipher_suite = CipherSuite(0x00FF);
    kp.resign(&signer).unwrap();
    let line = hex::encode(kp.encode().unwrap());
    let run = env.run(&["validate"], line.as_bytes());
    assert_eq!(run.code, 1);
    assert_eq!(
        run.lines(),
        ["invalid KP-SUITE line 1: cipher suite CipherSuite(0x00ff) is not supported"]
    );
    let run = env.run(&["ref"], line.as_bytes());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("line 1: cipher suite 0x00ff is not supported"),
        "{}",
        run.stderr
    );
    let run = env.run(&["inspect"], line.as_bytes());
    assert_eq!(run.code, 0, "inspect decodes what it cannot validate");
    assert!(run.stdout.contains("  cipher_suite: 0x00ff unknown\n"));
    assert!(
        run.stdout
            .contains("  reference: unavailable (cipher suite not supported)\n")
    );
}

// ---------------------------------------------------- mutated key packages

type SignerOf<C> = <<C as OpenMlsCrypto>::Suite as CipherSuiteProvider>::Signer;

/// A fresh last-resort key package of `suite` and its signer.
fn fixture<C: OpenMlsCrypto>(crypto: &C, suite: CipherSuite) -> (KeyPackageIn, SignerOf<C>) {
    let provider = crypto.suite(suite).unwrap();
    let pair = provider.signature_generate_key_pair().unwrap();
    let signer = provider.signer(&pair.private).unwrap();
    let bundle = KeyPackageBuilder::new()
        .last_resort()
        .build(crypto, suite, Credential::basic("alice"), &signer)
        .unwrap();
    (bundle.key_package().clone().into_untrusted(), signer)
}

fn set_lifetime(kp: &mut KeyPackageIn, not_before: u64, not_after: u64) {
    kp.leaf_node.leaf_node_source =
        LeafNodeSource::KeyPackage(Lifetime::new(not_before, not_after));
}

/// One mutation: the rule it must break, whether to re-sign, and the change.
struct Mutation {
    rule: Rule,
    resign: bool,
    change: Box<dyn Fn(&mut KeyPackageIn)>,
}

fn mutation(rule: Rule, change: impl Fn(&mut KeyPackageIn) + 'static) -> Mutation {
    Mutation {
        rule,
        resign: true,
        change: Box::new(change),
    }
}

fn mutations(t: u64) -> Vec<Mutation> {
    let mut list = vec![
        mutation(Rule::Version, |kp| kp.version = ProtocolVersion(2)),
        mutation(Rule::Suite, |kp| kp.cipher_suite = CipherSuite(0x0A0A)),
        mutation(Rule::InitKey, |kp| {
            kp.init_key = HpkePublicKey::new(vec![0; 3])
        }),
        mutation(Rule::EncryptionKey, |kp| {
            kp.leaf_node.encryption_key = HpkePublicKey::new(Vec::new())
        }),
        mutation(Rule::SignatureKey, |kp| {
            kp.leaf_node.signature_key = SignaturePublicKey::new(vec![1; 5])
        }),
        mutation(Rule::LeafSource, |kp| {
            kp.leaf_node.leaf_node_source = LeafNodeSource::Update
        }),
        mutation(Rule::Distinct, |kp| {
            kp.init_key = kp.leaf_node.encryption_key.clone()
        }),
        mutation(Rule::Lifetime, move |kp| {
            set_lifetime(kp, t - 2 * DAY, t - 1)
        }),
        mutation(Rule::Lifetime, move |kp| set_lifetime(kp, t + 10, t - 10)),
        mutation(Rule::MaxLifetime, move |kp| {
            set_lifetime(kp, t - 3600, t + 400 * DAY)
        }),
        mutation(Rule::LeafExtensions, |kp| {
            kp.leaf_node
                .extensions
                .push(Extension::new(ExtensionType(0xF123), vec![]))
        }),
        mutation(Rule::Extensions, |kp| {
            kp.leaf_node
                .capabilities
                .extensions
                .0
                .retain(|x| *x != ExtensionType::LAST_RESORT)
        }),
        mutation(Rule::CredentialCapability, |kp| {
            kp.leaf_node.capabilities.credentials = VarVec(vec![CredentialType::X509])
        }),
        mutation(Rule::NoDefaults, |kp| {
            kp.leaf_node
                .capabilities
                .proposals
                .0
                .push(ProposalType::ADD)
        }),
        mutation(Rule::ExtensionPlacement, |kp| {
            kp.extensions
                .push(Extension::new(ExtensionType::RATCHET_TREE, vec![]))
        }),
        mutation(Rule::DuplicateExtension, |kp| {
            kp.extensions.push(Extension::last_resort())
        }),
    ];
    // Signature rules: change a field and do not re-sign.
    list.push(Mutation {
        rule: Rule::LeafSignature,
        resign: false,
        change: Box::new(|kp| kp.leaf_node.credential = Credential::basic("mallory")),
    });
    list.push(Mutation {
        rule: Rule::Signature,
        resign: false,
        change: Box::new(|kp| {
            kp.extensions
                .push(Extension::new(ExtensionType(0xF0F0), vec![1]))
        }),
    });
    list.push(Mutation {
        rule: Rule::Signature,
        resign: false,
        change: Box::new(|kp| kp.signature = VarBytes(Vec::new())),
    });
    list
}

/// Builds every mutation under `crypto`, runs `kp validate` once over all
/// of them, and checks each line against the library's verdict and the
/// intended rule.
fn mutated_key_packages_are_refused_with_the_library_s_rule<C: OpenMlsCrypto>(
    crypto: &C,
    backend: &str,
    suite: CipherSuite,
) {
    let env = Env::new();
    let t = now();
    let ctx = ValidationContext::new(t, &AcceptAnyCredential);
    let mut lines = Vec::new();
    let mut expected = Vec::new();
    for m in mutations(t) {
        let (mut kp, signer) = fixture(crypto, suite);
        (m.change)(&mut kp);
        if m.resign {
            kp.resign(&signer).unwrap();
        } else if m.rule == Rule::LeafSignature {
            kp.sign_key_package(&signer).unwrap();
        }
        let bytes = kp.encode().unwrap();
        let library = KeyPackageIn::decode(&bytes)
            .unwrap()
            .validate(crypto, &ctx)
            .unwrap_err()
            .rule()
            .unwrap();
        assert_eq!(library, m.rule, "the mutation itself must break {}", m.rule);
        lines.push(hex::encode(&bytes));
        expected.push(library);
    }
    // KP-VER of the MLSMessage: a message version of 2 around a valid key package.
    let (kp, _) = fixture(crypto, suite);
    let valid = kp.validate(crypto, &ctx).unwrap();
    let mut message = encode_key_package_message(&valid).unwrap();
    message[1] = 2;
    let library = KeyPackageIn::validate_message(&message, crypto, &ctx)
        .unwrap_err()
        .rule()
        .unwrap();
    assert_eq!(library, Rule::Version);
    lines.push(hex::encode(&message));
    expected.push(library);
    // KP-DECODE: trailing bytes.
    let mut trailing = valid.encode().unwrap();
    trailing.push(0);
    lines.push(hex::encode(&trailing));
    expected.push(Rule::Decode);

    let now_arg = t.to_string();
    let run = env.run(
        &["validate", "--now", &now_arg, "-b", backend],
        &joined(&lines),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_clean_stderr();
    let output = run.lines();
    assert_eq!(output.len(), expected.len());
    for (i, (line, rule)) in output.iter().zip(&expected).enumerate() {
        let prefix = format!("invalid {} line {}: ", rule.id(), i + 1);
        assert!(
            line.starts_with(&prefix),
            "{backend} {suite:?}: {line:?}, expected {prefix:?}"
        );
    }
    // Every rule of the table that a key package alone can break is covered.
    for rule in [
        Rule::Decode,
        Rule::Version,
        Rule::Suite,
        Rule::InitKey,
        Rule::EncryptionKey,
        Rule::SignatureKey,
        Rule::LeafSource,
        Rule::LeafSignature,
        Rule::Signature,
        Rule::Distinct,
        Rule::Lifetime,
        Rule::MaxLifetime,
        Rule::LeafExtensions,
        Rule::Extensions,
        Rule::CredentialCapability,
        Rule::NoDefaults,
        Rule::ExtensionPlacement,
        Rule::DuplicateExtension,
    ] {
        assert!(expected.contains(&rule), "{rule} has no mutation");
    }
}

#[test]
fn mutated_key_packages_are_refused_under_rustcrypto() {
    let crypto = RustCrypto::new();
    for suite in [1, 2] {
        mutated_key_packages_are_refused_with_the_library_s_rule(
            &crypto,
            "rustcrypto",
            CipherSuite(suite),
        );
    }
}

#[test]
fn mutated_key_packages_are_refused_under_ring() {
    let crypto = RingCrypto::new();
    for suite in [1, 2] {
        mutated_key_packages_are_refused_with_the_library_s_rule(
            &crypto,
            "ring",
            CipherSuite(suite),
        );
    }
}

#[test]
fn policy_switches_admit_what_they_name() {
    let env = Env::new();
    let crypto = RustCrypto::new();
    let t = now();
    let (mut listed, signer) = fixture(&crypto, CipherSuite(1));
    listed
        .leaf_node
        .capabilities
        .proposals
        .0
        .push(ProposalType::ADD);
    listed.resign(&signer).unwrap();
    let (mut forever, signer) = fixture(&crypto, CipherSuite(1));
    set_lifetime(&mut forever, 0, u64::MAX);
    forever.resign(&signer).unwrap();
    let listed = hex::encode(listed.encode().unwrap());
    let forever = hex::encode(forever.encode().unwrap());
    let now_arg = t.to_string();
    let run = env.run(&["validate", "--now", &now_arg], listed.as_bytes());
    assert!(run.lines()[0].starts_with("invalid KP-NO-DEFAULTS "));
    let run = env.run(
        &["validate", "--now", &now_arg, "--allow-listed-defaults"],
        listed.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    // KP-OWN-CAPS, and its switch.
    let (mut unlisted, signer) = fixture(&crypto, CipherSuite(1));
    unlisted
        .leaf_node
        .capabilities
        .cipher_suites
        .0
        .retain(|c| *c != CipherSuite(1));
    unlisted.resign(&signer).unwrap();
    let unlisted = hex::encode(unlisted.encode().unwrap());
    let run = env.run(&["validate", "--now", &now_arg], unlisted.as_bytes());
    assert!(
        run.lines()[0].starts_with("invalid KP-OWN-CAPS "),
        "{}",
        run.stdout
    );
    let run = env.run(
        &[
            "validate",
            "--now",
            &now_arg,
            "--allow-unlisted-own-capabilities",
        ],
        unlisted.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = env.run(&["validate", "--now", &now_arg], forever.as_bytes());
    assert!(run.lines()[0].starts_with("invalid KP-MAX-LIFETIME "));
    let run = env.run(
        &["validate", "--now", &now_arg, "--max-lifetime", "none"],
        forever.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    // A lifetime ending in the year 584554051223 still prints.
    let run = env.run(&["inspect"], forever.as_bytes());
    assert!(
        run.stdout
            .contains("not_after: +584554051223-11-09T07:00:15Z (18446744073709551615)")
    );
}

// ------------------------------------------------------------- vectors

fn passive_client_key_packages() -> Vec<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/mlswg/passive-client-welcome.json");
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["key_package"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn passive_client_vectors_validate_at_their_time() {
    let env = Env::new();
    let lines = passive_client_key_packages();
    assert_eq!(lines.len(), 56);
    let input = joined(&lines);
    let run = env.run(&["validate", "--now", "1700000000"], &input);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.lines().len(), 56);
    assert!(run.lines().iter().all(|l| l.starts_with("ok ")));
    // ring has suites 1, 2, 3, 7: the 24 others are KP-SUITE.
    let run = env.run(&["validate", "--now", "1700000000", "-b", "ring"], &input);
    assert_eq!(run.code, 1);
    let ok = run.lines().iter().filter(|l| l.starts_with("ok ")).count();
    let suite = run
        .lines()
        .iter()
        .filter(|l| l.starts_with("invalid KP-SUITE "))
        .count();
    assert_eq!((ok, suite), (32, 24));
    // The references agree with `kp ref` (vectors are MLSMessages).
    let refs = env.run(&["ref"], &input);
    let from_validate = env.run(&["validate", "--now", "1700000000"], &input);
    let validated: Vec<&str> = from_validate
        .lines()
        .iter()
        .map(|l| l.strip_prefix("ok ").unwrap())
        .collect();
    assert_eq!(refs.lines(), validated);
    // And at today's date they have expired.
    let run = env.run(&["validate"], &input);
    assert!(
        run.lines()
            .iter()
            .all(|l| l.starts_with("invalid KP-LIFETIME "))
    );
}

// ---------------------------------------------------------------- store

#[test]
fn store_list_count_and_prune() {
    let env = Env::new();
    env.generate(&["-n", "2", "--lifetime", "1"]);
    env.generate(&["--last-resort", "--lifetime", "30"]);
    let list = env.run(&["store", "list"], b"");
    assert_eq!(list.code, 0);
    let rows = list.lines();
    assert_eq!(rows.len(), 3);
    // Ordered by not_after: the two one-day ones first.
    for row in &rows[..2] {
        let fields: Vec<&str> = row.split(' ').collect();
        assert_eq!(fields.len(), 2, "{row}");
        assert_eq!(fields[0].len(), 64);
        assert!(fields[1].ends_with('Z'));
    }
    assert!(rows[2].ends_with(" last-resort"));
    let count = env.run(&["store", "count"], b"");
    assert_eq!(
        count.lines(),
        [
            "total 3",
            "unexpired 3",
            "last-resort 1",
            "reserved 0",
            "available 2"
        ]
    );
    let later = (now() + 3 * DAY).to_string();
    let count = env.run(&["store", "count", "--now", &later], b"");
    assert_eq!(count.lines()[1], "unexpired 1");
    let prune = env.run(&["store", "prune", "--now", &later], b"");
    assert_eq!(prune.lines(), ["pruned 2"]);
    let list = env.run(&["store", "list"], b"");
    assert_eq!(list.lines().len(), 1);
}

// ---------------------------------------------------------------- speed

#[test]
fn speed_prints_microseconds_and_the_core_count() {
    let env = Env::new();
    let run = env.run(&["speed", "--count", "1000", "--json"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Piped: no progress on stderr, even for a long run.
    assert_eq!(run.stderr, "");
    let json: Value = serde_json::from_str(run.lines()[0]).unwrap();
    assert!(json["create_us"].as_f64().unwrap() > 0.0);
    assert!(json["validate_us"].as_f64().unwrap() > 0.0);
    assert!(json["cores"].as_u64().unwrap() >= 1);
    assert_eq!(json["count"], 1000);
    assert_eq!(json["statistic"], "median");
    assert!(json["batch_validate_us"].as_f64().unwrap() > 0.0);
    assert!(json["batch_threads"].as_u64().unwrap() >= 1);
    let run = env.run(&["speed", "-n", "3", "-c", "7", "-b", "ring"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.stdout;
    for key in [
        "backend: ring",
        "cipher_suite: 0x0007 ",
        "count: 3",
        "cores: ",
        "create_us: ",
        "validate_us: ",
    ] {
        assert!(text.contains(key), "{key} in {text}");
    }
    env.run(&["speed", "-c", "5", "-b", "ring"], b"")
        .assert_error("not supported by the ring backend");
}

#[test]
fn speed_count_beyond_the_maximum_is_a_usage_error() {
    let env = Env::new();
    for count in ["100001", "1000000000000000000", &usize::MAX.to_string()] {
        env.run(&["speed", "--count", count], b"")
            .assert_error("--count must be at most 100000");
    }
}

#[test]
fn damaged_key_store_and_signature_key_are_one_line_errors() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("store")).unwrap();
    std::fs::write(env.keystore(), b"this is not a SQLite database, just text").unwrap();
    env.run(&["store", "list"], b"")
        .assert_error(&format!("key store {}", env.keystore().display()));
    env.run(&["generate"], b"")
        .assert_error(&format!("key store {}", env.keystore().display()));
    std::fs::remove_file(env.keystore()).unwrap();
    // A signature key file (private, as kp makes them) that is not hex, is
    // too large, or is not a key of its scheme.
    let keys = env.path("store/keystore.sqlite.signature-keys");
    std::fs::create_dir_all(&keys).unwrap();
    set_mode(&keys, 0o700);
    let key = keys.join("ed25519-65766521.key");
    write_private(&key, b"not hex\n");
    env.run(&["generate", "--identity", "eve!"], b"")
        .assert_error("is damaged (not hex");
    write_private(&key, &[b'0'; 5000]);
    env.run(&["generate", "--identity", "eve!"], b"")
        .assert_error("is damaged (larger than 1024 bytes)");
    write_private(&key, b"0102\n");
    env.run(&["generate", "--identity", "eve!"], b"")
        .assert_error("is not a valid Ed25519 key");
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// Writes `path` with mode 0600, as kp writes key files.
fn write_private(path: &Path, content: &[u8]) {
    std::fs::write(path, content).unwrap();
    set_mode(path, 0o600);
}

// ------------------------------------------------------ signature key files

/// The key file and directory of identity "alice" (Ed25519) in `env`.
fn alice_key(env: &Env) -> (PathBuf, PathBuf) {
    let dir = env.path("store/keystore.sqlite.signature-keys");
    (dir.join("ed25519-616c696365.key"), dir)
}

fn signature_key_of(env: &Env, line: &str) -> String {
    let run = env.run(&["inspect", "--json"], format!("{line}\n").as_bytes());
    let json: Value = serde_json::from_str(run.lines()[0]).unwrap();
    json["leaf_node"]["signature_key"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn signature_keys_open_to_others_are_refused_until_made_private() {
    let env = Env::new();
    let first = env.generate(&["--identity", "alice"]).remove(0);
    let (key, dir) = alice_key(&env);
    assert_eq!((mode_of(&dir), mode_of(&key)), (0o700, 0o600));
    // A directory that already existed, open to others.
    for mode in [0o755, 0o710, 0o701] {
        set_mode(&dir, mode);
        let run = env.run(&["generate", "--identity", "alice"], b"");
        run.assert_error(&format!(
            "signature key directory {} has mode {mode:04o}, open to group or others: refused; to fix: chmod 700 {}",
            dir.display(),
            dir.display()
        ));
        assert_eq!(run.stdout, "");
    }
    set_mode(&dir, 0o700);
    // A key file that already existed, readable by others.
    for mode in [0o644, 0o640, 0o604, 0o620] {
        set_mode(&key, mode);
        env.run(&["generate", "--identity", "alice"], b"")
            .assert_error(&format!(
                "signature key {} has mode {mode:04o}, open to group or others: refused; to fix: chmod 600 {}",
                key.display(),
                key.display()
            ));
    }
    // The fix the message names works, and the key is the same one.
    set_mode(&key, 0o600);
    let again = env.generate(&["--identity", "alice"]).remove(0);
    assert_eq!(
        signature_key_of(&env, &first),
        signature_key_of(&env, &again)
    );
    // A directory made by kp where none was, and its missing parents: 0700.
    let other = env.path("elsewhere/deeper/ks.sqlite");
    env.generate(&["--identity", "bob", "--keystore", other.to_str().unwrap()]);
    assert_eq!(
        mode_of(&env.path("elsewhere/deeper/ks.sqlite.signature-keys")),
        0o700
    );
}

#[test]
fn signature_keys_behind_links_or_in_special_files_are_refused() {
    let env = Env::new();
    env.generate(&["--identity", "alice"]);
    let (key, dir) = alice_key(&env);
    // A key file that is a link to a private, valid key elsewhere.
    let planted = env.path("planted.key");
    std::fs::copy(&key, &planted).unwrap();
    set_mode(&planted, 0o600);
    std::fs::remove_file(&key).unwrap();
    std::os::unix::fs::symlink(&planted, &key).unwrap();
    env.run(&["generate", "--identity", "alice"], b"")
        .assert_error(&format!(
            "signature key {} is a symbolic link: refused; to fix:",
            key.display()
        ));
    std::fs::remove_file(&key).unwrap();
    // A FIFO: refused at once, not waited on.
    assert!(Command::new("mkfifo").arg(&key).status().unwrap().success());
    run_bounded(&env, &["generate", "--identity", "alice"], Stdio::null()).assert_error(&format!(
        "signature key {} is a FIFO: refused; to fix: remove it (rm {})",
        key.display(),
        key.display()
    ));
    std::fs::remove_file(&key).unwrap();
    // A directory where the key file should be.
    std::fs::create_dir(&key).unwrap();
    env.run(&["generate", "--identity", "alice"], b"")
        .assert_error("is a directory: refused");
    std::fs::remove_dir(&key).unwrap();
    // The directory itself a link to a private directory.
    let real = env.path("real-keys");
    std::fs::rename(&dir, &real).unwrap();
    std::os::unix::fs::symlink(&real, &dir).unwrap();
    env.run(&["generate", "--identity", "alice"], b"")
        .assert_error(&format!(
            "signature key directory {} is a symbolic link: refused; to fix:",
            dir.display()
        ));
    std::fs::remove_file(&dir).unwrap();
    // A regular file where the directory should be.
    std::fs::write(&dir, b"").unwrap();
    env.run(&["generate", "--identity", "alice"], b"")
        .assert_error(&format!(
            "signature key directory {} is a regular file: refused",
            dir.display()
        ));
}

#[test]
fn signature_keys_of_another_user_are_refused() {
    let env = Env::new();
    env.generate(&["--identity", "alice"]);
    let (key, dir) = alice_key(&env);
    // Only root can give a file away; elsewhere this part cannot run.
    let nobody = "65534";
    if !Command::new("chown")
        .args([nobody, key.to_str().unwrap()])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
    {
        eprintln!("cannot chown (not root): skipped");
        return;
    }
    env.run(&["generate", "--identity", "alice"], b"")
        .assert_error(&format!(
            "signature key {} is owned by uid 65534, not by you",
            key.display()
        ));
    let me = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&dir).unwrap());
    assert!(
        Command::new("chown")
            .args([&me.to_string(), key.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        Command::new("chown")
            .args([nobody, dir.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    env.run(&["generate", "--identity", "alice"], b"")
        .assert_error(&format!(
            "signature key directory {} is owned by uid 65534, not by you (uid {me}): its keys may not be yours: refused; to fix: chown -R {me} {} if they are, else remove it",
            dir.display(),
            dir.display()
        ));
}

#[test]
fn top_level_help_version_and_missing_command() {
    let env = Env::new();
    let run = env.run(&["--version"], b"");
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("kp "));
    let run = env.run(&["--help"], b"");
    assert_eq!(run.code, 0);
    for command in [
        "generate",
        "inspect",
        "validate",
        "ref",
        "store",
        "speed",
        "Exit status",
    ] {
        assert!(run.stdout.contains(command), "{command}");
    }
    let run = env.run(&[], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Usage: kp <COMMAND>"));
    env.run(&["frobnicate"], b"")
        .assert_error("unrecognized subcommand 'frobnicate'");
}

// ------------------------------------------------- streaming and many inputs

/// A `kp` run whose stdin stays open: input is written a piece at a time,
/// and output lines are awaited with a deadline.
struct Live {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Live {
    fn start(env: &Env, args: &[&str]) -> Self {
        let mut child = env
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stdin.as_mut().unwrap().write_all(bytes).unwrap();
        self.stdin.as_mut().unwrap().flush().unwrap();
    }

    /// The next `n` output lines; fails if they do not come within a
    /// minute although the input is still open.
    fn expect_lines(&self, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        (0..n)
            .map(|i| {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                self.lines.recv_timeout(left).unwrap_or_else(|_| {
                    panic!(
                        "output line {} of {n} did not come while the input was open",
                        i + 1
                    )
                })
            })
            .collect()
    }

    /// Ends the input (stdin closed); output can still be read.
    fn close_input(&mut self) {
        drop(self.stdin.take());
    }

    /// Closes stdin; the exit status and stderr.
    fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        let output = self.child.wait_with_output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

#[test]
fn verdicts_are_printed_while_the_input_is_still_open() {
    let env = Env::new();
    let lines = env.generate(&["-n", "3"]);
    let mut live = Live::start(&env, &["validate"]);
    live.write(format!("{}\n{}\nzz!\n", lines[0], lines[1]).as_bytes());
    let got = live.expect_lines(3);
    assert!(
        got[0].starts_with("ok ") && got[1].starts_with("ok "),
        "{got:?}"
    );
    assert!(got[2].starts_with("invalid KP-DECODE line 3: "), "{got:?}");
    live.write(format!("{}\n", lines[2]).as_bytes());
    assert!(live.expect_lines(1)[0].starts_with("ok "));
    let (code, stderr) = live.finish();
    assert_eq!((code, stderr.as_str()), (1, ""));
    // ref and inspect stream too.
    let mut live = Live::start(&env, &["ref"]);
    live.write(format!("{}\n", lines[0]).as_bytes());
    assert_eq!(live.expect_lines(1)[0].len(), 64);
    assert_eq!(live.finish().0, 0);
    let mut live = Live::start(&env, &["inspect"]);
    live.write(format!("{}\n", lines[0]).as_bytes());
    assert_eq!(live.expect_lines(1)[0], "key_package: line 1");
    assert_eq!(live.finish().0, 0);
}

/// Peak resident memory of a running process, in KiB (Linux).
fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn memory_is_bounded_by_the_longest_line_not_the_input() {
    let env = Env::new();
    let good = env.generate(&[]).remove(0);
    for command in ["validate", "ref"] {
        let mut live = Live::start(&env, &[command]);
        // 64 lines of a million bytes each, then a key package.
        let comment = format!("# {}\n", "x".repeat(1_000_000));
        for _ in 0..64 {
            live.write(comment.as_bytes());
        }
        live.write(format!("{good}\n").as_bytes());
        live.expect_lines(1);
        if let Some(peak) = peak_memory_kib(live.pid()) {
            // 64 MB were read; the line buffer holds at most 1 MiB.
            assert!(peak < 32 * 1024, "{command}: peak {peak} KiB");
        }
        assert_eq!(live.finish().0, 0);
    }
}

#[test]
fn an_endless_input_ends_at_the_limit_with_status_2() {
    let env = Env::new();
    let message = "the binary input is longer than 1048576 bytes, the limit for one key package; --max-input-bytes raises it";
    for command in ["validate", "inspect", "ref"] {
        run_bounded(&env, &[command, "/dev/zero"], Stdio::null()).assert_error(message);
        let zero = std::fs::File::open("/dev/zero").unwrap();
        run_bounded(&env, &[command], Stdio::from(zero)).assert_error(message);
    }
    // One endless line of text is stopped the same way: `yes 0a0b | tr -d '\n'`.
    let mut yes = Command::new("yes")
        .arg("0a0b")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut tr = Command::new("tr")
        .args(["-d", "\\n"])
        .stdin(Stdio::from(yes.stdout.take().unwrap()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let endless = Stdio::from(tr.stdout.take().unwrap());
    let run = run_bounded(&env, &["validate", "--max-input-bytes", "64K"], endless);
    for child in [&mut yes, &mut tr] {
        let _ = child.kill();
        let _ = child.wait();
    }
    run.assert_error(
        "line 1 is longer than 65536 bytes, the limit for one key package; --max-input-bytes raises it",
    );
}

#[test]
fn an_input_over_the_limit_stops_the_command_after_the_verdicts_before_it() {
    let env = Env::new();
    let lines = env.generate(&["-n", "2"]);
    let long = "ab".repeat(600);
    let input = joined(&[lines[0].clone(), long, lines[1].clone()]);
    let run = env.run(&["validate", "--max-input-bytes", "1000"], &input);
    run.assert_error(
        "line 2 is longer than 1000 bytes, the limit for one key package; --max-input-bytes raises it",
    );
    assert_eq!(run.lines().len(), 1);
    assert!(run.lines()[0].starts_with("ok "), "{}", run.stdout);
    for command in ["inspect", "ref"] {
        let run = env.run(&[command, "--max-input-bytes", "1K"], &input);
        run.assert_error("line 2 is longer than 1024 bytes");
        assert!(!run.stdout.is_empty());
    }
    // Within the default limit, the long line is merely not a key package.
    let run = env.run(&["validate"], &input);
    assert_eq!(run.code, 1);
    assert_eq!(run.lines().len(), 3);
    assert!(run.lines()[1].starts_with("invalid KP-DECODE line 2: "));
    // A raw binary key package: over a small limit, within the default.
    let raw = hex::decode(&lines[0]).unwrap();
    env.run(&["validate", "--max-input-bytes", "100"], &raw)
        .assert_error("the binary input is longer than 100 bytes");
    assert_eq!(env.run(&["validate"], &raw).code, 0);
    // A line of 2 MiB: refused by default, read when the limit is raised.
    let huge = format!("{}\n", "00".repeat(1 << 20));
    env.run(&["validate"], huge.as_bytes())
        .assert_error("line 1 is longer than 1048576 bytes");
    let run = env.run(&["validate", "--max-input-bytes", "4M"], huge.as_bytes());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.lines()[0].starts_with("invalid KP-DECODE line 1: "));
    // The option's values.
    for bad in ["0", "2G", "12X"] {
        env.run(&["validate", "--max-input-bytes", bad], b"")
            .assert_error(&format!(
                "invalid value '{bad}' for '--max-input-bytes <SIZE>'"
            ));
    }
}

/// The line `kp validate` must print for one input: the library's own
/// single validation (`validate`, or `validate_message` for an MLSMessage).
fn library_verdict<C: OpenMlsCrypto>(
    crypto: &C,
    ctx: &ValidationContext<'_>,
    bytes: &[u8],
    message: bool,
    line: usize,
) -> String {
    let result = if message {
        KeyPackageIn::validate_message(bytes, crypto, ctx)
    } else {
        KeyPackageIn::decode(bytes)
            .map_err(Into::into)
            .and_then(|kp| kp.validate(crypto, ctx))
    };
    match result {
        Ok(kp) => format!("ok {}", hex::encode(kp.reference().as_slice())),
        Err(error) => {
            let rule = error.rule().unwrap().id();
            let text = error.to_string();
            let reason = text
                .strip_prefix(&format!("{rule}: "))
                .unwrap_or(&text)
                .to_owned();
            format!("invalid {rule} line {line}: {reason}")
        }
    }
}

#[test]
fn validate_gives_the_library_s_verdicts_in_input_order_on_any_number_of_threads() {
    let crypto = RustCrypto::new();
    let suite = CipherSuite(1);
    let t = now();
    let ctx = ValidationContext::new(t, &AcceptAnyCredential);
    let provider = crypto.suite(suite).unwrap();
    let pair = provider.signature_generate_key_pair().unwrap();
    let signer = provider.signer(&pair.private).unwrap();
    let builder = KeyPackageBuilder::new().last_resort();
    let mutations = mutations(t);
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 0..700usize {
        let line = input.len() + 1;
        let bundle = builder
            .build(&crypto, suite, Credential::basic("alice"), &signer)
            .unwrap();
        let valid = bundle.key_package();
        let (bytes, message) = match i % 10 {
            // One field changed, signed again as the mutation says.
            3 => {
                let m = &mutations[(i / 10) % mutations.len()];
                let mut kp = valid.clone().into_untrusted();
                (m.change)(&mut kp);
                if m.resign {
                    kp.resign(&signer).unwrap();
                } else if m.rule == Rule::LeafSignature {
                    kp.sign_key_package(&signer).unwrap();
                }
                (kp.encode().unwrap(), false)
            }
            5 => (encode_key_package_message(valid).unwrap(), true),
            // A message of version 2.
            7 => {
                let mut bytes = encode_key_package_message(valid).unwrap();
                bytes[1] = 2;
                (bytes, true)
            }
            // A message of version 1 around a key package of version 2.
            9 if i % 20 == 9 => {
                let mut kp = valid.clone().into_untrusted();
                kp.version = ProtocolVersion(2);
                kp.resign(&signer).unwrap();
                let mut bytes = vec![0, 1, 0, 5];
                bytes.extend(kp.encode().unwrap());
                (bytes, true)
            }
            _ => (valid.encode().unwrap(), false),
        };
        match i % 50 {
            11 => {
                input.push("zz!".to_owned());
                expected.push(format!(
                    "invalid KP-DECODE line {line}: column 3: '!' is not a hex or base64 character"
                ));
            }
            12 => input.push("# a comment".to_owned()),
            13 => input.push(String::new()),
            _ => {
                input.push(if i % 4 == 0 {
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes)
                } else {
                    hex::encode(&bytes)
                });
                expected.push(library_verdict(&crypto, &ctx, &bytes, message, line));
            }
        }
    }
    let env = Env::new();
    let now_arg = t.to_string();
    for threads in [None, Some("1"), Some("3")] {
        let mut args = vec!["validate", "--now", &now_arg];
        if let Some(threads) = threads {
            args.extend(["--threads", threads]);
        }
        let run = env.run(&args, &joined(&input));
        assert_eq!(run.code, 1, "{threads:?}: {}", run.stderr);
        assert_eq!(run.lines(), expected, "{threads:?}");
    }
    assert!(expected.iter().filter(|l| l.starts_with("ok ")).count() > 300);
    assert!(
        expected
            .iter()
            .any(|l| l.starts_with("invalid KP-VER ") && l.contains("line 10:"))
    );
}

/// Threads of a running process (Linux).
fn thread_count(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.count())
}

#[test]
fn validate_spreads_many_inputs_over_threads() {
    if thread_count(std::process::id()).is_none() {
        eprintln!("no /proc: skipped");
        return;
    }
    let crypto = RustCrypto::new();
    let suite = CipherSuite(1);
    let provider = crypto.suite(suite).unwrap();
    let pair = provider.signature_generate_key_pair().unwrap();
    let signer = provider.signer(&pair.private).unwrap();
    let builder = KeyPackageBuilder::new();
    let count = 3000;
    let input: Vec<String> = (0..count)
        .map(|_| {
            let bundle = builder
                .build(&crypto, suite, Credential::basic("alice"), &signer)
                .unwrap();
            hex::encode(bundle.key_package().encode().unwrap())
        })
        .collect();
    // Every core by default; with one core, two threads asked for.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let args: &[&str] = if cores >= 2 {
        &["validate"]
    } else {
        &["validate", "--threads", "2"]
    };
    let env = Env::new();
    let mut live = Live::start(&env, args);
    let pid = live.pid();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = std::sync::Arc::clone(&done);
        std::thread::spawn(move || {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(thread_count(pid).unwrap_or(0));
                std::thread::sleep(std::time::Duration::from_micros(500));
            }
            most
        })
    };
    live.write(&joined(&input));
    live.close_input();
    let verdicts = live.expect_lines(count);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let most = watcher.join().unwrap();
    assert!(verdicts.iter().all(|l| l.starts_with("ok ")));
    assert_eq!(live.finish().0, 0);
    // The main thread, the reader, and at least two validating workers.
    assert!(most >= 4, "at most {most} threads seen");
}
