//! A claimer killed with SIGKILL mid-claim. A child
//! process claims in a loop with 4 tasks and reports each reference after
//! its transaction committed; the parent kills it at random moments, starts
//! another, and at the end drains what is left itself. Then, read from the
//! database directly:
//!
//! * no reference was reported twice, nor reported and still available;
//! * every reported reference is recorded as handed out (a reply means the
//!   commit is durable);
//! * published = reported + still available + lost, where "lost" are those
//!   whose commit succeeded but whose reply the kill cut off: at most one
//!   per claimer task in flight per kill. A transaction cut before its
//!   commit loses nothing: it rolls back, and the key package is available
//!   again. (Exactly-once delivery across a crash is impossible; the
//!   directory chooses at most once, as RFC 9420 §10 asks.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keypackage_directory::conformance::{Fixture, SUITE, T0};
use keypackage_directory::{Claim, Directory, ManualClock};

const OWNER: &str = "crash";
const KEY_PACKAGES: usize = 1500;
const TASKS: usize = 4;
const KILLS: usize = 8;

/// The child: `TASKS` claimers until the owner has nothing left.
#[test]
#[ignore = "a child process of the crash tests, started by them"]
fn claim_until_empty_child() {
    let Ok(url) = std::env::var("KPD_CRASH_URL") else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = Directory::new(common::open(&url).await, Arc::new(ManualClock::new(T0)));
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let dir = dir.clone();
                tokio::spawn(async move {
                    loop {
                        match dir.claim(OWNER, SUITE, &format!("t{t}")).await.unwrap() {
                            Claim::KeyPackage(kp) => {
                                common::report(&format!("N {}", hex::encode(kp.reference)))
                            }
                            Claim::Empty => break,
                            other => panic!("{other:?}"),
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

/// A small pseudo-random source (xorshift), seeded from the clock: the kill
/// moments differ from run to run; the seed is printed.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

async fn crash_test(url: String) {
    let fx = Fixture::new();
    let dir = fx.directory(common::open(&url).await);
    let report = dir
        .publish(&fx.policy, OWNER, fx.key_packages(OWNER, KEY_PACKAGES))
        .await
        .unwrap();
    let published: HashSet<Vec<u8>> = report
        .outcomes
        .iter()
        .map(|o| match o {
            keypackage_directory::Published::Stored(r) => r.as_slice().to_vec(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(published.len(), KEY_PACKAGES);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill moments seeded with {seed}");
    let mut jitter = Jitter(seed);
    let reported: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let mut kills = 0;
    let started = Instant::now();
    while kills < KILLS && started.elapsed() < Duration::from_secs(60) {
        let mut child =
            common::spawn_child("claim_until_empty_child", &[("KPD_CRASH_URL", url.clone())]);
        let stdout = child.stdout.take().unwrap();
        let sink = Arc::clone(&reported);
        let reader = std::thread::spawn(move || {
            let mut lines = 0;
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                if let Some(reference) = line
                    .strip_prefix(common::MARK)
                    .and_then(|l| l.strip_prefix("N "))
                {
                    sink.lock().unwrap().push(hex::decode(reference).unwrap());
                    lines += 1;
                }
            }
            lines
        });
        // Wait until it claims, let it claim for a random while, kill it.
        let before = reported.lock().unwrap().len();
        let waiting = Instant::now();
        while reported.lock().unwrap().len() == before
            && child.try_wait().unwrap().is_none()
            && waiting.elapsed() < Duration::from_secs(20)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(jitter.next(60)));
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let status = child.wait().unwrap();
        let claimed_by_child = reader.join().unwrap();
        eprintln!("child: {claimed_by_child} claims, then {status}");
        if finished {
            assert!(status.success(), "the child failed on its own: {status}");
            break;
        }
    }
    assert!(
        kills >= 3,
        "only {kills} kills: the children finished too fast"
    );

    // Drain what is left, as a surviving node would.
    loop {
        match dir.claim(OWNER, SUITE, "drain").await.unwrap() {
            Claim::KeyPackage(kp) => reported
                .lock()
                .unwrap()
                .push(kp.reference.as_slice().to_vec()),
            Claim::Empty => break,
            other => panic!("{other:?}"),
        }
    }

    let reported = reported.lock().unwrap().clone();
    let unique: HashSet<Vec<u8>> = reported.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        reported.len(),
        "a key package was handed out twice"
    );
    let (claimed, available) = common::database_state(&url, OWNER).await;
    assert!(
        available.is_empty(),
        "left after the drain: {}",
        available.len()
    );
    assert!(
        unique.is_subset(&claimed),
        "a reported claim is not recorded"
    );
    assert_eq!(
        claimed, published,
        "the database lost or invented key packages"
    );
    let lost = claimed.len() - unique.len();
    eprintln!(
        "{kills} kills, {} reported, {lost} lost in flight",
        unique.len()
    );
    assert!(
        lost <= kills * TASKS,
        "{lost} key packages lost, more than the {} claims that can be in flight at {kills} kills",
        kills * TASKS
    );
}

#[test]
fn sqlite_claimer_killed_mid_claim() {
    let url = format!("sqlite:{}", common::fresh_sqlite_path().display());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(crash_test(url));
}

#[test]
fn postgres_claimer_killed_mid_claim() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(common::fresh_postgres_url()) else {
        return;
    };
    runtime.block_on(crash_test(url));
}
