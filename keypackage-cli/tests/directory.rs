//! `kp directory` end to end, on SQLite (a temporary file) and, when
//! `KEYPACKAGE_TEST_POSTGRES` is set, on PostgreSQL (required under CI):
//! publish what `kp generate` made, count, claim each once, then the last
//! resort, then nothing; refusals with rule IDs; prune; exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

fn kp(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kp"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("KP_KEYSTORE")
        .env_remove("KP_DIRECTORY")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `kp generate` for `identity`: the hex lines.
fn generate(home: &Path, identity: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["generate", "--identity", identity];
    args.extend_from_slice(extra);
    let out = kp(home, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_owned).collect()
}

/// The reference `kp ref` gives for a hex key package.
fn reference(home: &Path, hex: &str) -> String {
    let file = home.join("one.hex");
    std::fs::write(&file, format!("{hex}\n")).unwrap();
    let out = kp(home, &["ref", file.to_str().unwrap()]);
    assert!(out.status.success());
    text(&out.stdout).trim().to_owned()
}

fn round_trip(database: &str, owner: &str, prune: bool) {
    let home = TempDir::new().unwrap();
    let home = home.path();
    let mut kps = generate(home, owner, &["--count", "3"]);
    let last = generate(home, owner, &["--last-resort"]).remove(0);
    kps.push(last.clone());
    let upload = home.join("upload.txt");
    std::fs::write(
        &upload,
        format!("{}\nnot-a-key-package\n{}\n", kps.join("\n"), kps[0]),
    )
    .unwrap();

    let out = kp(
        home,
        &[
            "directory",
            "--database",
            database,
            "publish",
            "--owner",
            owner,
            upload.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    for (line, kp_hex) in lines.iter().zip(&kps) {
        assert_eq!(*line, format!("stored {}", reference(home, kp_hex)));
    }
    assert!(
        lines[4].starts_with("refused KP-DECODE line 5: "),
        "{}",
        lines[4]
    );
    assert_eq!(
        lines[5],
        format!("already-stored {}", reference(home, &kps[0]))
    );

    // Someone else's key packages: refused by the owner check.
    let other = format!("{owner}-other");
    let out = kp(
        home,
        &[
            "directory",
            "--database",
            database,
            "publish",
            "--owner",
            &other,
            upload.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout)
            .lines()
            .take(4)
            .all(|l| l.starts_with("refused KP-CREDENTIAL line "))
    );

    let count = |who: &str| {
        let out = kp(
            home,
            &["directory", "--database", database, "count", "--owner", who],
        );
        assert!(out.status.success());
        text(&out.stdout)
    };
    assert_eq!(count(owner), "suite 1 available 3 last-resort 1\n");
    assert_eq!(count(&other), "");

    let claim = || {
        kp(
            home,
            &[
                "directory",
                "--database",
                database,
                "claim",
                "--owner",
                owner,
                "--ciphersuite",
                "1",
            ],
        )
    };
    let mut seen = HashSet::new();
    for _ in 0..3 {
        let out = claim();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let hex = text(&out.stdout).trim().to_owned();
        assert!(kps[..3].contains(&hex));
        assert!(seen.insert(hex), "handed out twice");
    }
    for _ in 0..2 {
        let out = claim();
        assert!(out.status.success());
        assert_eq!(text(&out.stdout).trim(), last);
        assert!(text(&out.stderr).contains("last resort"));
    }
    assert_eq!(count(owner), "suite 1 available 0 last-resort 1\n");
    // Another suite: nothing, exit 1, nothing on stdout.
    let out = kp(
        home,
        &[
            "directory",
            "--database",
            database,
            "claim",
            "--owner",
            owner,
            "-c",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());

    if prune {
        let far = (u64::from(u32::MAX) * 2).to_string();
        let out = kp(
            home,
            &["directory", "--database", database, "--now", &far, "prune"],
        );
        assert!(out.status.success());
        assert_eq!(text(&out.stdout), "expired 1\nclaimed 3\nrate-counters 0\n");
        assert_eq!(count(owner), "");
    }
}

#[test]
fn sqlite_publish_count_claim_prune() {
    let dir = TempDir::new().unwrap();
    let database = format!("sqlite:{}", dir.path().join("d.sqlite").display());
    round_trip(&database, "alice", true);
}

#[test]
fn postgres_publish_count_claim() {
    let Some(url) = std::env::var("KEYPACKAGE_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "KEYPACKAGE_TEST_POSTGRES is not set under CI"
        );
        // Straight to stderr: the harness captures eprintln! of passing tests.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: PostgreSQL test, KEYPACKAGE_TEST_POSTGRES is not set \
             (run `eval \"$(bash .ci/postgres.sh start)\"` first)"
        );
        return;
    };
    // A fresh owner in the shared test database (prune is left out: it
    // acts on every owner).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    round_trip(&url, &format!("cli-{}-{nanos}", std::process::id()), false);
}

#[test]
fn default_database_and_errors() {
    let home = TempDir::new().unwrap();
    let home = home.path();
    // The default database is a SQLite file under XDG_DATA_HOME.
    let out = kp(home, &["directory", "count"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(home.join("data/keypackage/directory.sqlite").exists());
    // An empty owner is a usage error; an unknown scheme, a database error.
    let out = kp(home, &["directory", "claim", "--owner", "", "-c", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("kp: error: "));
    let out = kp(home, &["directory", "--database", "mysql://x", "count"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected sqlite:PATH or postgres://"));
}

#[test]
fn publish_reports_the_inputs_before_an_oversized_line() {
    let home = TempDir::new().unwrap();
    let home = home.path();
    let database = format!("sqlite:{}", home.join("d.sqlite").display());
    let kps = generate(home, "alice", &["--count", "2"]);
    let upload = home.join("upload.txt");
    std::fs::write(
        &upload,
        format!("{}\n{}\n{}\n", kps[0], "ab".repeat(4096), kps[1]),
    )
    .unwrap();
    let out = kp(
        home,
        &[
            "directory",
            "--database",
            &database,
            "publish",
            "--owner",
            "alice",
            "--max-input-bytes",
            "4K",
            upload.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("stored {}\n", reference(home, &kps[0]))
    );
    assert!(
        text(&out.stderr).contains("--max-input-bytes"),
        "{}",
        text(&out.stderr)
    );
    let out = kp(
        home,
        &[
            "directory",
            "--database",
            &database,
            "count",
            "--owner",
            "alice",
        ],
    );
    assert_eq!(text(&out.stdout), "suite 1 available 1 last-resort 0\n");
}
