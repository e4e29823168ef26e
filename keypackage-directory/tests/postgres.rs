//! The conformance suite on the PostgreSQL engine (a real server: see the
//! README for `.ci/postgres.sh`), and what is PostgreSQL's own: migrations
//! shared by nodes, and several stores (nodes) on one database.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use keypackage_directory::conformance::{Fixture, SUITE};
use keypackage_directory::{Claim, PostgresStore, Store, StoreError};

conformance_tests!(common::postgres_store);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once_and_share_key_packages() {
    let Some(url) = common::fresh_postgres_url().await else {
        return;
    };
    let connects: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    let mut nodes = Vec::new();
    for connect in connects {
        nodes.push(Arc::new(connect.await.unwrap().unwrap()) as Arc<dyn Store>);
    }
    let fx = Fixture::new();
    let dirs: Vec<_> = nodes.iter().map(|n| fx.directory(n.clone())).collect();
    dirs[0]
        .publish(&fx.policy, "alice", fx.key_packages("alice", 4))
        .await
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    for dir in &dirs {
        let claim = dir.claim("alice", SUITE, "bob").await.unwrap();
        assert!(seen.insert(claim.key_package().unwrap().reference.clone()));
    }
    assert_eq!(
        dirs[3].claim("alice", SUITE, "bob").await.unwrap(),
        Claim::Empty
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let Some(url) = common::fresh_postgres_url().await else {
        return;
    };
    drop(PostgresStore::connect(&url).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("UPDATE kpd_schema SET version = 99")
        .await
        .unwrap();
    let err = PostgresStore::connect(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::Schema { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_not_a_hang() {
    // Nothing listens on port 1 of loopback.
    let err = PostgresStore::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err:?}");
}
