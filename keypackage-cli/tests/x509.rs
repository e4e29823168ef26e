//! `kp` with X.509 credentials (keypackage-x509's OpenSSL fixtures, valid
//! 2025-01-01 to 2045-01-01): `generate --certificate --private-key`,
//! `validate --trust-anchors [--crl]`, and what `inspect` shows of each
//! certificate. Every run uses a key store in a temporary directory.
//!
//! `generate` dates key packages from the system clock, so `validate` runs
//! at the system time (inside the certificates' validity until 2045) or,
//! for a certificate that is out of its validity, at a fixed `--now` with
//! a key package lifetime long enough to cover it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// 2046-01-01: after every fixture certificate's notAfter.
const AFTER_EXPIRY: &str = "2398291200";

fn fixture(alg: &str, file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../keypackage-x509/tests/fixtures")
        .join(alg)
        .join(file);
    assert!(path.exists(), "{}", path.display());
    path.display().to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit status 2, one `kp: error:` line containing `needle`, nothing on
    /// stdout, no panic.
    fn assert_usage_error(&self, needle: &str) {
        assert_eq!(self.code, 2, "{}", self.stderr);
        assert!(self.stdout.is_empty(), "{}", self.stdout);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
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
    }
}

struct Env {
    dir: TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str], stdin: &[u8]) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kp"))
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env("KP_KEYSTORE", self.dir.path().join("store/keystore.sqlite"))
            .env_remove("RUST_BACKTRACE")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut input = child.stdin.take().unwrap();
            let _ = input.write_all(stdin);
        }
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// One x509 key package of `alg`'s fixture chain, in hex.
    fn generate(&self, alg: &str, suite: &str, backend: &str, extra: &[&str]) -> String {
        let chain = fixture(alg, "chain.pem");
        let key = fixture(alg, "ee.key.pem");
        let mut args = vec![
            "generate",
            "-c",
            suite,
            "-b",
            backend,
            "--certificate",
            &chain,
            "--private-key",
            &key,
        ];
        args.extend_from_slice(extra);
        let run = self.run(&args, b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.lines().count(), 1);
        run.stdout
    }
}

#[test]
fn generate_then_validate_to_the_root_for_every_algorithm_and_backend() {
    let env = Env::new();
    for (alg, suite, backends) in [
        ("ed25519", "1", &["rustcrypto", "ring"][..]),
        ("p256", "2", &["rustcrypto", "ring"][..]),
        ("p384", "7", &["rustcrypto", "ring"][..]),
        ("p521", "5", &["rustcrypto"][..]),
        ("ed448", "4", &["rustcrypto"][..]),
    ] {
        for maker in backends {
            let kp = env.generate(alg, suite, maker, &[]);
            for checker in backends {
                let root = fixture(alg, "root.pem");
                let run = env.run(
                    &["validate", "-b", checker, "--trust-anchors", &root],
                    kp.as_bytes(),
                );
                assert_eq!(run.code, 0, "{alg} {maker}→{checker}: {}", run.stdout);
                assert!(run.stdout.starts_with("ok "), "{}", run.stdout);
            }
        }
    }
}

#[test]
fn validate_names_the_credential_refusal() {
    let env = Env::new();
    let kp = env.generate("p256", "2", "rustcrypto", &[]);
    // Without --trust-anchors, credentials are not checked.
    let run = env.run(&["validate"], kp.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stdout);
    // Another root: no path.
    let other_root = fixture("ed25519", "root.pem");
    let run = env.run(&["validate", "--trust-anchors", &other_root], kp.as_bytes());
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("invalid KP-CREDENTIAL line 1: credential refused: unknown-issuer: "),
        "{}",
        run.stdout
    );
    // Revoked by the intermediate's CRL; the CRL that revokes nothing
    // changes nothing.
    let root = fixture("p256", "root.pem");
    let revoked = fixture("p256", "crl-revoked.pem");
    let empty = fixture("p256", "crl-empty.pem");
    let run = env.run(
        &["validate", "--trust-anchors", &root, "--crl", &empty],
        kp.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = env.run(
        &[
            "validate",
            "--trust-anchors",
            &root,
            "--crl",
            &empty,
            "--crl",
            &revoked,
            "--json",
        ],
        kp.as_bytes(),
    );
    assert_eq!(run.code, 1);
    let verdict: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(verdict["status"], "invalid");
    assert_eq!(verdict["rule"], "KP-CREDENTIAL");
    assert_eq!(verdict["credential_refusal"], "revoked");
    // After the certificates expired (a key package long-lived enough).
    let kp = env.generate("p256", "2", "rustcrypto", &["--lifetime", "10000"]);
    let run = env.run(
        &[
            "validate",
            "--trust-anchors",
            &root,
            "--now",
            AFTER_EXPIRY,
            "--max-lifetime",
            "none",
        ],
        kp.as_bytes(),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with(
            "invalid KP-CREDENTIAL line 1: credential refused: expired: certificate 0 (CN=alice,O=Example) expired at 2045-01-01T00:00:00Z"
        ),
        "{}",
        run.stdout
    );
}

/// Basic credentials are not checked with --trust-anchors either.
#[test]
fn basic_credentials_pass_as_before() {
    let env = Env::new();
    let run = env.run(&["generate", "--identity", "bob"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let root = fixture("p256", "root.pem");
    let run = env.run(
        &["validate", "--trust-anchors", &root],
        run.stdout.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn generate_refuses_what_cannot_make_a_valid_credential() {
    let env = Env::new();
    let chain = fixture("p256", "chain.pem");
    let other = fixture("p256", "other.key.pem");
    env.run(
        &[
            "generate",
            "-c",
            "2",
            "--certificate",
            &chain,
            "--private-key",
            &other,
        ],
        b"",
    )
    .assert_usage_error("the private key does not match the end-entity certificate's public key");
    // A P-256 certificate in an Ed25519 suite.
    let key = fixture("p256", "ee.key.pem");
    env.run(
        &[
            "generate",
            "-c",
            "1",
            "--certificate",
            &chain,
            "--private-key",
            &key,
        ],
        b"",
    )
    .assert_usage_error("the certificate's key is P-256");
    // The flags go together, and not with --identity.
    env.run(&["generate", "--certificate", &chain], b"")
        .assert_usage_error("--private-key");
    env.run(&["generate", "--private-key", &key], b"")
        .assert_usage_error("--certificate");
    env.run(
        &[
            "generate",
            "--certificate",
            &chain,
            "--private-key",
            &key,
            "--identity",
            "x",
        ],
        b"",
    )
    .assert_usage_error("--identity");
    // Files that are not what they should be.
    env.run(
        &[
            "generate",
            "-c",
            "2",
            "--certificate",
            &key,
            "--private-key",
            &key,
        ],
        b"",
    )
    .assert_usage_error("no certificate found");
    env.run(
        &[
            "generate",
            "-c",
            "2",
            "--certificate",
            &chain,
            "--private-key",
            &chain,
        ],
        b"",
    )
    .assert_usage_error("no private key found");
    env.run(
        &[
            "generate",
            "-c",
            "2",
            "--certificate",
            "/nonexistent.pem",
            "--private-key",
            &key,
        ],
        b"",
    )
    .assert_usage_error("/nonexistent.pem");
    // Nothing was stored.
    assert!(!env.dir.path().join("store/keystore.sqlite").exists());
    // --crl needs --trust-anchors; a trust anchor file without certificates
    // is a usage error.
    let crl = fixture("p256", "crl-empty.pem");
    env.run(&["validate", "--crl", &crl], b"00")
        .assert_usage_error("--trust-anchors");
    env.run(&["validate", "--trust-anchors", &key], b"00")
        .assert_usage_error("no certificate found");
    env.run(
        &[
            "validate",
            "--trust-anchors",
            &fixture("p256", "root.pem"),
            "--crl",
            &key,
        ],
        b"00",
    )
    .assert_usage_error("no CRL found");
}

#[test]
fn inspect_shows_each_certificate() {
    let env = Env::new();
    let kp = env.generate("ed25519", "1", "rustcrypto", &[]);
    let run = env.run(&["inspect"], kp.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.stdout;
    for expected in [
        "    credential: 0x0002 x509\n      certificates: 2\n      - ",
        "\n        subject: CN=alice,O=Example\n        issuer: CN=Example Intermediate CA (ed25519),O=Example\n        not_before: 2025-01-01T00:00:00Z (1735689600)\n        not_after: 2045-01-01T00:00:00Z (2366841600)\n        subject_alt_names: email:alice@example.com, uri:mls://example.com/alice, dns:alice.example.com\n        public_key: Ed25519\n        ca: no\n      - ",
        "\n        subject: CN=Example Intermediate CA (ed25519),O=Example\n        issuer: CN=Example Root CA (ed25519),O=Example\n",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    let run = env.run(&["inspect", "--json"], kp.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let object: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let credential = &object["leaf_node"]["credential"];
    assert_eq!(credential["certificates"].as_array().unwrap().len(), 2);
    let ee = &credential["certificate_details"][0];
    assert_eq!(ee["subject"], "CN=alice,O=Example");
    assert_eq!(ee["not_after"], 2_366_841_600u64);
    assert_eq!(ee["not_after_rfc3339"], "2045-01-01T00:00:00Z");
    assert_eq!(ee["subject_alt_names"][0], "email:alice@example.com");
    assert_eq!(ee["public_key_algorithm"], "Ed25519");
    assert_eq!(ee["ca"], false);
    assert_eq!(ee["key_usage"][0], "digitalSignature");
    assert_eq!(ee["extended_key_usage"][0], "1.3.6.1.5.5.7.3.2");
    assert_eq!(credential["certificate_details"][1]["ca"], true);
}
