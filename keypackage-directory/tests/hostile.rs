//! Hostile publishers: garbage, oversized items,
//! uploads past the limits, 10,000 invalid key packages. Each item is
//! refused with a rule ID, nothing is stored, and a publish of 10,000
//! invalid key packages stays within a fixed memory bound (measured as the
//! peak resident size of a child process that does only that).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use keypackage_core::Rule;
use keypackage_directory::conformance::Fixture;
use keypackage_directory::{Published, SqliteStore};

/// Every ID a refusal may carry.
fn known_id(id: &str) -> bool {
    Rule::from_id(id).is_some()
        || [
            "DIR-SIZE",
            "DIR-UPLOAD-LIMIT",
            "DIR-INIT-KEY",
            "DIR-CLAIMED",
        ]
        .contains(&id)
}

/// 10,000 distinct invalid key packages: 100 valid ones of `owner`, each
/// with one byte flipped at 100 different places (every byte of a key
/// package is covered by a signature or by the decoder, so each is invalid).
fn invalid_key_packages(fx: &Fixture, owner: &str) -> Vec<Vec<u8>> {
    let valid = fx.key_packages(owner, 100);
    let mut out = Vec::with_capacity(10_000);
    for kp in &valid {
        for i in 0..100 {
            let mut bad = kp.clone();
            let at = i * (bad.len() - 1) / 99;
            bad[at] ^= 0x20;
            out.push(bad);
        }
    }
    out
}

fn tally(outcomes: &[Published]) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for outcome in outcomes {
        let id = match outcome {
            Published::Refused(r) => r.id().to_owned(),
            other => panic!("not refused: {other:?}"),
        };
        assert!(known_id(&id), "unknown refusal ID {id}");
        *ids.entry(id).or_insert(0) += 1;
    }
    ids
}

/// Reads a `/proc/self/status` field, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap()
}

/// The child: publish 10,000 invalid key packages, report the refusals and
/// the growth of the peak resident size.
#[test]
#[ignore = "a child process of the hostile publisher test, started by it"]
fn publish_invalid_child() {
    let Ok(path) = std::env::var("KPD_HOSTILE_DB") else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let fx = Fixture::new();
        let dir = fx.directory(Arc::new(SqliteStore::open(&path).await.unwrap()));
        let uploads = invalid_key_packages(&fx, "mallory");
        // Start counting the peak from here: "5" resets VmHWM to VmRSS.
        std::fs::write("/proc/self/clear_refs", "5").unwrap();
        let before = status_kib("VmHWM:");
        let report = dir.publish(&fx.policy, "mallory", uploads).await.unwrap();
        let peak = status_kib("VmHWM:");
        for (id, n) in tally(&report.outcomes) {
            common::report(&format!("ID {id} {n}"));
        }
        common::report(&format!("ITEMS {}", report.outcomes.len()));
        common::report(&format!("GROWTH_KIB {}", peak.saturating_sub(before)));
    });
}

#[test]
fn ten_thousand_invalid_key_packages_are_refused_in_bounded_memory() {
    let path = common::fresh_sqlite_path();
    let child = common::spawn_child(
        "publish_invalid_child",
        &[("KPD_HOSTILE_DB", path.display().to_string())],
    );
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines = common::reports(&String::from_utf8(output.stdout).unwrap());
    eprintln!("{lines:#?}");
    let mut refused = 0;
    let mut growth = None;
    let mut items = None;
    for line in &lines {
        let words: Vec<&str> = line.split(' ').collect();
        match words[..] {
            ["ID", id, n] => {
                assert!(known_id(id));
                refused += n.parse::<usize>().unwrap();
            }
            ["ITEMS", n] => items = Some(n.parse::<usize>().unwrap()),
            ["GROWTH_KIB", n] => growth = Some(n.parse::<u64>().unwrap()),
            _ => panic!("{line}"),
        }
    }
    assert_eq!(items, Some(10_000));
    assert_eq!(refused, 10_000);
    // The input is about 3 MiB; validation works on 1,024 at a time. The
    // bound leaves room for the threads' stacks and the allocator.
    let growth = growth.unwrap();
    assert!(
        growth < 16 * 1024,
        "peak resident size grew by {growth} KiB"
    );
    // Nothing stored.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fx = Fixture::new();
    let dir = fx.directory(
        runtime
            .block_on(SqliteStore::open(&path))
            .map(Arc::new)
            .unwrap(),
    );
    assert!(runtime.block_on(dir.count_all()).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversized_and_over_limit_uploads_are_refused_unstored() {
    let fx = Fixture::new();
    let dir = fx.directory(common::sqlite_store().await.unwrap());

    // 10,001 garbage items: 10,000 read and refused, the last past the
    // item limit, unread.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut garbage: Vec<Vec<u8>> = (0..10_001)
        .map(|i| {
            (0..(i % 700))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect()
        })
        .collect();
    // A few that start like key packages and MLSMessages.
    garbage[1] = vec![0, 1, 0, 1, 0, 0];
    garbage[2] = vec![0, 1, 0, 5, 0, 1, 0, 1];
    let report = dir.publish(&fx.policy, "mallory", garbage).await.unwrap();
    let ids = tally(&report.outcomes);
    assert_eq!(ids.get("DIR-UPLOAD-LIMIT"), Some(&1));
    assert_eq!(ids.values().sum::<usize>(), 10_001);
    assert!(ids["KP-DECODE"] >= 9_990, "{ids:?}");

    // Oversized items are refused unread; the byte budget (16 MiB) stops
    // the rest of a 300 x 64 KiB upload.
    let big = vec![vec![0xAB; 64 * 1024]; 300];
    let mut uploads = vec![vec![0; 64 * 1024 + 1]];
    uploads.extend(big);
    let report = dir.publish(&fx.policy, "mallory", uploads).await.unwrap();
    let ids = tally(&report.outcomes);
    assert_eq!(ids["DIR-SIZE"], 1);
    assert_eq!(ids["KP-DECODE"], 256);
    assert_eq!(ids["DIR-UPLOAD-LIMIT"], 300 - 256);

    assert!(dir.count_all().await.unwrap().is_empty());
}
