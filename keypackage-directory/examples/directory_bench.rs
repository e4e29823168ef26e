//! Directory throughput: publish (validation included) and claim at 1, 8
//! and 32 concurrent claimers, with p50/p99 claim latency, on one engine.
//!
//! ```sh
//! cargo run --release -p keypackage-directory --example directory_bench               # SQLite, a temp file
//! eval "$(bash .ci/postgres.sh start)"
//! cargo run --release -p keypackage-directory --example directory_bench -- "$KEYPACKAGE_TEST_POSTGRES"
//! ```
//!
//! Optional second and third arguments: owners (default 200) and key
//! packages per owner (default 100). On PostgreSQL the run uses a fresh
//! schema `kpd_bench` (dropped first). Output: one line per measurement.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use keypackage_directory::conformance::{Fixture, SUITE};
use keypackage_directory::{Claim, Directory, open_store};

const CLAIMS_PER_LEVEL: usize = 5000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let database = args.first().cloned();
    let owners: usize = args.get(1).map_or(200, |a| a.parse().unwrap());
    let per_owner: usize = args.get(2).map_or(100, |a| a.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(database, owners, per_owner));
}

async fn run(database: Option<String>, owners: usize, per_owner: usize) {
    let scratch = tempfile::TempDir::new().unwrap();
    let url = match database {
        Some(url) if url.starts_with("postgres") => {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
                .batch_execute("DROP SCHEMA IF EXISTS kpd_bench CASCADE; CREATE SCHEMA kpd_bench")
                .await
                .unwrap();
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}options=-c%20search_path%3Dkpd_bench")
        }
        Some(url) => url,
        None => format!("sqlite:{}", scratch.path().join("bench.sqlite").display()),
    };
    let store = open_store(&url).await.unwrap();
    let engine = store.engine();
    let fx = Fixture::new();
    let dir = fx.directory(store);

    // Key packages (not timed), made on every core.
    let names: Vec<String> = (0..owners).map(|i| format!("owner-{i:04}")).collect();
    let started = Instant::now();
    let made: Vec<(String, Vec<Vec<u8>>)> = std::thread::scope(|scope| {
        let halves: Vec<_> = names
            .chunks(owners.div_ceil(2).max(1))
            .map(|chunk| {
                let fx = &fx;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|o| (o.clone(), fx.key_packages(o, per_owner)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let total = owners * per_owner;
    eprintln!("made {total} key packages in {:.1?}", started.elapsed());

    // Publish: one upload per owner; half the owners by one publisher at a
    // time, the other half by 4 concurrent publishers.
    let mut made = made;
    let second = made.split_off(owners / 2);
    for (publishers, batch) in [(1usize, made), (4, second)] {
        let count: usize = batch.iter().map(|(_, kps)| kps.len()).sum();
        let queue = Arc::new(std::sync::Mutex::new(batch));
        let started = Instant::now();
        let tasks: Vec<_> = (0..publishers)
            .map(|_| {
                let dir = dir.clone();
                let policy = Arc::clone(&fx.policy);
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    loop {
                        let next = queue.lock().unwrap().pop();
                        let Some((owner, uploads)) = next else { break };
                        let expected = uploads.len();
                        let report = dir.publish(&policy, &owner, uploads).await.unwrap();
                        assert_eq!(report.stored(), expected);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = started.elapsed();
        println!(
            "{engine} publish publishers={publishers} uploads_of={per_owner} key_packages={count} seconds={:.2} per_second={:.0}",
            elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64()
        );
    }

    // Claims at 1, 8, 32 concurrent claimers.
    let names = Arc::new(names);
    for claimers in [1usize, 8, 32] {
        let per_claimer = CLAIMS_PER_LEVEL / claimers;
        let started = Instant::now();
        let tasks: Vec<_> = (0..claimers)
            .map(|c| {
                let dir: Directory = dir.clone();
                let names = Arc::clone(&names);
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per_claimer);
                    for j in 0..per_claimer {
                        // Round robin over the owners: each level takes the
                        // same number from every owner.
                        let owner = &names[(c + j * claimers) % names.len()];
                        let t = Instant::now();
                        let claim = dir.claim(owner, SUITE, &format!("c{c}")).await.unwrap();
                        latencies.push(t.elapsed());
                        assert!(matches!(claim, Claim::KeyPackage(_)), "{claim:?}");
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        let elapsed = started.elapsed();
        latencies.sort_unstable();
        println!(
            "{engine} claim claimers={claimers} claims={} per_second={:.0} p50_us={} p99_us={}",
            latencies.len(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.50).as_micros(),
            percentile(&latencies, 0.99).as_micros(),
        );
    }
}
