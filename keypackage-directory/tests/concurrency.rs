//! Many claimers at once: 100 owners x 100 key
//! packages plus one last resort each; on PostgreSQL 4 processes x 8 tasks,
//! on SQLite 4 threads x 8 tasks, each thread a directory node of its own
//! (its own store, so its own connection and writer). Each of the 32
//! claimers makes 400 claims, 4 per owner, in an interleaved order: 128
//! claims per owner for 100 key packages. Every key package must come back
//! exactly once, each owner's 28 further claims must get its last resort,
//! and nothing may fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use keypackage_directory::conformance::{Fixture, SUITE, T0};
use keypackage_directory::{Claim, Directory, ManualClock};

const OWNERS: usize = 100;
const PER_OWNER: usize = 100;
const NODES: usize = 4;
const TASKS: usize = 8;
const CLAIMS_PER_TASK: usize = 400;

fn owner_name(i: usize) -> String {
    format!("owner-{i:03}")
}

/// The owner of claimer `g`'s `j`-th claim: 37 is prime to 100, so every
/// claimer visits each owner 4 times, in an order that differs by claimer.
fn owner_of(g: usize, j: usize) -> String {
    owner_name((j * 37 + g * 11) % OWNERS)
}

/// What the directory was given: each owner's normal references and its
/// last resort's.
struct Published {
    normal: HashMap<String, HashSet<Vec<u8>>>,
    last_resort: HashMap<String, Vec<u8>>,
}

async fn publish_all(url: &str) -> Published {
    // Made once per test run, shared by both engines' tests.
    static MADE: OnceLock<Vec<(String, Vec<Vec<u8>>)>> = OnceLock::new();
    let fx = Fixture::new();
    let made = MADE
        .get_or_init(|| {
            let owners: Vec<String> = (0..OWNERS).map(owner_name).collect();
            let started = Instant::now();
            let made = common::make_key_packages(&fx, &owners, PER_OWNER, true);
            eprintln!(
                "made {} key packages in {:?}",
                OWNERS * (PER_OWNER + 1),
                started.elapsed()
            );
            made
        })
        .clone();
    let dir = fx.directory(common::open(url).await);
    let mut published = Published {
        normal: HashMap::new(),
        last_resort: HashMap::new(),
    };
    let started = Instant::now();
    for (owner, kps) in made {
        let report = dir.publish(&fx.policy, &owner, kps).await.unwrap();
        assert_eq!(report.stored(), PER_OWNER + 1);
        let refs: Vec<Vec<u8>> = report
            .outcomes
            .iter()
            .map(|o| match o {
                keypackage_directory::Published::Stored(r) => r.as_slice().to_vec(),
                other => panic!("{other:?}"),
            })
            .collect();
        let (normal, last) = refs.split_at(PER_OWNER);
        published
            .normal
            .insert(owner.clone(), normal.iter().cloned().collect());
        published.last_resort.insert(owner, last[0].clone());
    }
    eprintln!("published in {:?}", started.elapsed());
    published
}

/// One claimer's claims, as report lines: `N owner hex`, `L owner hex`,
/// `E owner`, or `X error`.
async fn claimer(dir: Directory, g: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(CLAIMS_PER_TASK);
    for j in 0..CLAIMS_PER_TASK {
        let owner = owner_of(g, j);
        let line = match dir.claim(&owner, SUITE, &format!("claimer-{g}")).await {
            Ok(Claim::KeyPackage(kp)) => format!("N {owner} {}", hex::encode(kp.reference)),
            Ok(Claim::LastResort(kp)) => format!("L {owner} {}", hex::encode(kp.reference)),
            Ok(other) => format!("E {owner} {other:?}"),
            Err(e) => format!("X {e}"),
        };
        lines.push(line);
    }
    lines
}

/// A node: its own store on `url`, `TASKS` claimers.
async fn node(url: String, node: usize) -> Vec<String> {
    let dir = Directory::new(common::open(&url).await, Arc::new(ManualClock::new(T0)));
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| tokio::spawn(claimer(dir.clone(), node * TASKS + t)))
        .collect();
    let mut lines = Vec::new();
    for task in tasks {
        lines.extend(task.await.unwrap());
    }
    lines
}

/// Checks every claim's answer against what was published.
async fn check(url: &str, published: &Published, lines: &[String]) {
    assert_eq!(lines.len(), NODES * TASKS * CLAIMS_PER_TASK);
    let mut normal_seen: HashMap<String, HashSet<Vec<u8>>> = HashMap::new();
    let mut last_resorts: HashMap<String, usize> = HashMap::new();
    for line in lines {
        let mut words = line.split(' ');
        let (kind, owner, reference) = (words.next(), words.next(), words.next());
        match (kind, owner, reference) {
            (Some("N"), Some(owner), Some(reference)) => {
                let reference = hex::decode(reference).unwrap();
                assert!(
                    published.normal[owner].contains(&reference),
                    "{owner} got a key package not its own"
                );
                assert!(
                    normal_seen
                        .entry(owner.to_owned())
                        .or_default()
                        .insert(reference),
                    "a key package of {owner} was handed out twice"
                );
            }
            (Some("L"), Some(owner), Some(reference)) => {
                assert_eq!(
                    hex::decode(reference).unwrap(),
                    published.last_resort[owner]
                );
                *last_resorts.entry(owner.to_owned()).or_default() += 1;
            }
            _ => panic!("unexpected answer: {line}"),
        }
    }
    let claims_per_owner = NODES * TASKS * CLAIMS_PER_TASK / OWNERS;
    for i in 0..OWNERS {
        let owner = owner_name(i);
        assert_eq!(normal_seen[&owner], published.normal[&owner], "{owner}");
        assert_eq!(
            last_resorts[&owner],
            claims_per_owner - PER_OWNER,
            "{owner}"
        );
    }
    // Afterwards: nothing normal is left, and every owner's next claim gets
    // its last resort.
    let dir = Directory::new(common::open(url).await, Arc::new(ManualClock::new(T0)));
    let owners: Vec<String> = (0..OWNERS).map(owner_name).collect();
    let names: Vec<&str> = owners.iter().map(String::as_str).collect();
    for (i, claim) in dir
        .claim_many(&names, SUITE, "after")
        .await
        .unwrap()
        .into_iter()
        .enumerate()
    {
        match claim {
            Claim::LastResort(kp) => {
                assert_eq!(kp.reference.as_slice(), published.last_resort[&owners[i]])
            }
            other => panic!("{}: {other:?}", owners[i]),
        }
    }
    let totals = dir.count_all().await.unwrap();
    assert_eq!(
        (totals[0].available, totals[0].last_resort),
        (0, OWNERS as u64)
    );
}

/// The child process of the PostgreSQL test: one node.
#[test]
#[ignore = "a child process of the concurrency tests, started by them"]
fn claim_child() {
    let (Ok(url), Ok(index)) = (
        std::env::var("KPD_CHILD_URL"),
        std::env::var("KPD_CHILD_NODE"),
    ) else {
        return;
    };
    let index: usize = index.parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for line in runtime.block_on(node(url, index)) {
        common::report(&line);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_4_processes_x_8_tasks() {
    let Some(url) = common::fresh_postgres_url().await else {
        return;
    };
    let published = publish_all(&url).await;
    let started = Instant::now();
    let children: Vec<_> = (0..NODES)
        .map(|i| {
            common::spawn_child(
                "claim_child",
                &[
                    ("KPD_CHILD_URL", url.clone()),
                    ("KPD_CHILD_NODE", i.to_string()),
                ],
            )
        })
        .collect();
    let mut lines = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "a child failed: {:?}",
            output.status
        );
        lines.extend(common::reports(&String::from_utf8(output.stdout).unwrap()));
    }
    eprintln!("{} claims in {:?}", lines.len(), started.elapsed());
    check(&url, &published, &lines).await;
}

#[test]
fn sqlite_4_threads_x_8_tasks() {
    let url = format!("sqlite:{}", common::fresh_sqlite_path().display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let published = runtime.block_on(publish_all(&url));
    let started = Instant::now();
    let threads: Vec<_> = (0..NODES)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(node(url, i))
            })
        })
        .collect();
    let mut lines = Vec::new();
    for thread in threads {
        lines.extend(thread.join().unwrap());
    }
    eprintln!("{} claims in {:?}", lines.len(), started.elapsed());
    runtime.block_on(check(&url, &published, &lines));
}
