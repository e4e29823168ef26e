//! Crash safety: a child process writes to the store in a loop and is killed
//! with SIGKILL at a pseudo-random moment, 20 times over the same database.
//! After each kill the database must open, pass `PRAGMA integrity_check`,
//! hold every bundle the child reported as stored (byte for byte, unless it
//! reported taking it), hold none that it reported as taken, and hold no
//! partial row: every row's columns agree with each other and with the
//! checksum the writer put inside the bundle.
//!
//! The child is this test binary itself, re-run with `--exact
//! crash_writer_child` and [`CHILD_ENV`] set. It prints a line after each
//! call returned `Ok`, so what it printed is what the store acknowledged.
//! It stores single entries and batches (`store_many`, one transaction):
//! a batch is acknowledged only after its call returned, entry by entry.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use keypackage_traits::conformance::key_store::EntryGen;
use keypackage_traits::{
    BundleHeader, HpkePublicKey, KeyPackageRef, KeyStore, Secret, StoredKeyPackage,
};
use keystore_sqlite::SqliteKeyStore;

/// Set in the child's environment to `"<run>:<database path>"`.
const CHILD_ENV: &str = "KEYSTORE_SQLITE_CRASH_WRITER";
const KILLS: u64 = 20;
const MAGIC: &[u8; 4] = b"CRSH";

/// 64-bit FNV-1a, enough to tell a torn row from a whole one.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for part in parts {
        for byte in *part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    hash
}

fn checksum(body: &[u8], reference: &[u8], init_key: &[u8], not_after: u64, lr: bool) -> u64 {
    fnv1a(&[
        body,
        reference,
        init_key,
        &not_after.to_be_bytes(),
        &[u8::from(lr)],
    ])
}

/// The `seq`-th entry of run `run`, the same in the writer and the checker.
/// Bundle: `header ‖ MAGIC ‖ run ‖ seq ‖ random body ‖ checksum of all
/// columns`; the row's columns are read from the header.
fn entry(run: u64, seq: u64) -> StoredKeyPackage {
    let mut rng = EntryGen::new((run << 32) ^ seq ^ 0x5EED);
    let reference = rng.bytes(32);
    let init_key = rng.bytes(32);
    let not_after = 1_000_000 + rng.below(1_000_000);
    let last_resort = seq % 41 == 40;
    // Mostly small; every 16th spans several overflow pages.
    let body_len = if seq % 16 == 15 {
        20_000 + rng.below(50_000)
    } else {
        16 + rng.below(2_000)
    };
    let mut payload = Vec::new();
    payload.extend_from_slice(MAGIC);
    payload.extend_from_slice(&u32::try_from(run).unwrap().to_be_bytes());
    payload.extend_from_slice(&u32::try_from(seq).unwrap().to_be_bytes());
    payload.extend_from_slice(&rng.bytes(usize::try_from(body_len).unwrap()));
    let sum = checksum(&payload, &reference, &init_key, not_after, last_resort);
    payload.extend_from_slice(&sum.to_be_bytes());
    let mut bundle = Vec::new();
    BundleHeader {
        reference: KeyPackageRef::new(reference),
        init_key: HpkePublicKey::new(init_key),
        not_after,
        last_resort,
    }
    .encode(&mut bundle)
    .unwrap();
    bundle.extend_from_slice(&payload);
    StoredKeyPackage::from_bundle(Secret::new(bundle)).unwrap()
}

/// Checks a row read back on its own terms: the checksum in its bundle
/// covers every column. Returns the (run, seq) it claims.
fn check_row(row: &StoredKeyPackage) -> (u64, u64) {
    let (_, bytes) = BundleHeader::parse(row.bundle().expose())
        .unwrap()
        .expect("a header");
    assert!(bytes.len() >= 20, "short bundle: {} bytes", bytes.len());
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    assert_eq!(&body[..4], MAGIC, "bundle magic");
    let expected = checksum(
        body,
        row.reference().as_slice(),
        row.init_key().as_slice(),
        row.not_after(),
        row.last_resort(),
    );
    assert_eq!(
        sum,
        expected.to_be_bytes(),
        "partial or torn row {:?}",
        row.reference()
    );
    let run = u64::from(u32::from_be_bytes(body[4..8].try_into().unwrap()));
    let seq = u64::from(u32::from_be_bytes(body[8..12].try_into().unwrap()));
    (run, seq)
}

/// The writer. A no-op in a normal test run; the parent test re-runs this
/// binary with [`CHILD_ENV`] set, and then it writes until it is killed.
#[test]
fn crash_writer_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (run, path) = spec.split_once(':').expect("run:path");
    let run: u64 = run.parse().expect("run number");
    let store = SqliteKeyStore::open(path).expect("child opens the store");
    let mut out = std::io::stdout().lock();
    // Each line ends in " ." so a line cut short by the kill is ignored.
    let mut say = |line: String| {
        out.write_all(format!("{line} .\n").as_bytes()).unwrap();
        out.flush().unwrap();
    };
    // Bounded, in case the parent died and nobody kills us.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut sizes = EntryGen::new(run ^ 0xBA7C);
    let mut seq = 0u64;
    while seq < 1_000_000 {
        if Instant::now() > deadline {
            break;
        }
        // One entry with `store`, or a batch of 2 to 40 with `store_many`.
        let batch = match sizes.below(3) {
            0 => 1,
            _ => 2 + sizes.below(39),
        };
        let seqs: Vec<u64> = (seq..seq + batch).collect();
        if batch == 1 {
            store.store(entry(run, seq)).expect("store");
        } else {
            let entries = seqs.iter().map(|&s| entry(run, s)).collect();
            store.store_many(entries).expect("store_many");
        }
        seq += batch;
        for seq in seqs {
            say(format!("S {seq}"));
            // Spend an earlier normal one in one step, now and then.
            if seq % 7 == 6 && (seq - 3) % 41 != 40 {
                let target = entry(run, seq - 3);
                say(format!("T? {}", seq - 3));
                if store.take(target.reference()).expect("take").is_some() {
                    say(format!("T {}", seq - 3));
                }
            }
            // Reserve one for a join that the kill will interrupt, now and then.
            if seq % 11 == 10 && (seq - 5) % 41 != 40 && (seq - 5) % 7 != 3 {
                let target = entry(run, seq - 5);
                if store
                    .reserve(target.reference(), seq)
                    .expect("reserve")
                    .is_some()
                {
                    say(format!("R {}", seq - 5));
                }
            }
        }
    }
}

/// What one child reported, parsed from its complete lines.
#[derive(Default)]
struct Report {
    stored: BTreeSet<u64>,
    taking: BTreeSet<u64>,
    taken: BTreeSet<u64>,
    reserved: BTreeSet<u64>,
}

impl Report {
    fn parse(lines: &[String]) -> Self {
        let mut report = Self::default();
        for line in lines {
            let Some(line) = line.strip_suffix(" .") else {
                continue;
            };
            let Some((kind, seq)) = line.split_once(' ') else {
                continue;
            };
            let Ok(seq) = seq.parse() else { continue };
            let set = match kind {
                "S" => &mut report.stored,
                "T?" => &mut report.taking,
                "T" => &mut report.taken,
                "R" => &mut report.reserved,
                _ => continue,
            };
            set.insert(seq);
        }
        report
    }
}

fn assert_owner_only(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(metadata) = std::fs::metadata(&name) {
            let mode = metadata.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name:?} has mode {mode:o}");
        }
    }
}

/// Runs one child over `path` and kills it after `delay` from its first
/// acknowledged store; returns its complete report.
fn run_child(run: u64, path: &Path, delay: Duration) -> Report {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{run}:{}", path.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(line) => {
                    let _ = tx.send(line);
                }
                Err(_) => break,
            }
        }
    });
    let mut lines = Vec::new();
    // Wait until the child is writing, then let it run for `delay`.
    let started = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => {
                let first_store = line.starts_with("S ");
                lines.push(line);
                if first_store {
                    break;
                }
            }
            Err(err) => {
                let _ = child.kill();
                panic!("run {run}: the child never stored anything: {err}");
            }
        }
        assert!(started.elapsed() < Duration::from_secs(30), "child start");
    }
    thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "run {run}: the child exited on its own");
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    Report::parse(&lines)
}

#[test]
fn killed_writer_never_loses_an_acknowledged_bundle() {
    let dir = common::TempDir::new("crash");
    let path = dir.file("crash.db");
    let mut delays = EntryGen::new(0xDEAD_BEEF);
    // Everything acknowledged and not spent, over all runs: (run, seq).
    let mut must_hold: BTreeMap<(u64, u64), StoredKeyPackage> = BTreeMap::new();
    let mut gone: BTreeSet<(u64, u64)> = BTreeSet::new();
    let (mut acknowledged, mut rows_checked, mut reservations_recovered) = (0, 0, 0);
    let began = Instant::now();
    let mut verifying = Duration::ZERO;

    for run in 0..KILLS {
        let delay = Duration::from_millis(10 + delays.below(300));
        let report = run_child(run, &path, delay);
        assert!(!report.stored.is_empty(), "run {run}: nothing stored");
        acknowledged += report.stored.len();
        for &seq in &report.stored {
            if report.taken.contains(&seq) {
                gone.insert((run, seq));
            } else if !report.taking.contains(&seq) {
                must_hold.insert((run, seq), entry(run, seq));
            }
        }

        // Restart.
        let verify_began = Instant::now();
        let store = SqliteKeyStore::open(&path).unwrap();
        store.integrity_check().unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            keystore_sqlite::SCHEMA_VERSION
        );
        assert_owner_only(&path);

        // No partial row: every row is whole and is one the writer made.
        let summaries = store.list().unwrap();
        let mut present = BTreeMap::new();
        for summary in &summaries {
            let row = store.get(&summary.reference).unwrap().expect("listed row");
            let (row_run, seq) = check_row(&row);
            assert!(row_run <= run, "row from a run that has not happened");
            let same = match must_hold.get(&(row_run, seq)) {
                Some(expected) => row == *expected,
                None => row == entry(row_run, seq),
            };
            assert!(same, "row ({row_run}, {seq}) differs from what was written");
            assert_eq!(summary.not_after, row.not_after());
            present.insert((row_run, seq), row);
            rows_checked += 1;
        }
        // Every acknowledged bundle is there, byte for byte; no acknowledged
        // take came back.
        for (key, expected) in &must_hold {
            let found = present.get(key);
            assert!(
                found.is_some(),
                "acknowledged bundle {key:?} lost after run {run}"
            );
            assert_eq!(found, Some(expected), "bundle {key:?} changed");
        }
        for key in &gone {
            assert!(
                !present.contains_key(key),
                "taken bundle {key:?} is back after run {run}"
            );
        }
        // A join the kill interrupted: still reserved, and recoverable.
        let reserved_now: BTreeSet<_> = summaries
            .iter()
            .filter(|s| s.reserved_at.is_some())
            .map(|s| s.reference.clone())
            .collect();
        for &seq in &report.reserved {
            let reference = entry(run, seq).reference().clone();
            assert!(
                reserved_now.contains(&reference),
                "reservation ({run}, {seq}) lost"
            );
        }
        reservations_recovered += store.release_stale(u64::MAX).unwrap();
        assert_eq!(store.count(0).unwrap().reserved, 0);
        verifying += verify_began.elapsed();
    }

    eprintln!(
        "crash test: {KILLS} kills, {acknowledged} stores acknowledged, {} bundles held at \
         the end, {} acknowledged takes verified gone, {rows_checked} row checks, \
         {reservations_recovered} reservations recovered, {:.1} s ({:.1} s verifying)",
        must_hold.len(),
        gone.len(),
        began.elapsed().as_secs_f64(),
        verifying.as_secs_f64()
    );
    assert!(
        acknowledged >= 2 * KILLS as usize,
        "the children hardly wrote"
    );
}
