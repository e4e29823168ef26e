//! The conformance suite on the SQLite engine, and what is SQLite's own:
//! the file's identity and schema version, reopening, several stores on one
//! file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use keypackage_directory::conformance::{Fixture, SUITE};
use keypackage_directory::{Claim, SqliteStore, Store, StoreError};

conformance_tests!(common::sqlite_store);

#[tokio::test]
async fn a_reopened_file_keeps_its_key_packages() {
    let path = common::fresh_sqlite_path();
    let fx = Fixture::new();
    {
        let dir = fx.directory(Arc::new(SqliteStore::open(&path).await.unwrap()));
        let report = dir
            .publish(&fx.policy, "alice", fx.key_packages("alice", 3))
            .await
            .unwrap();
        assert_eq!(report.stored(), 3);
        assert!(
            dir.claim("alice", SUITE, "bob")
                .await
                .unwrap()
                .key_package()
                .is_some()
        );
    }
    let dir = fx.directory(Arc::new(SqliteStore::open(&path).await.unwrap()));
    assert_eq!(dir.count("alice").await.unwrap()[0].available, 2);
}

#[tokio::test]
async fn two_stores_on_one_file_hand_out_each_key_package_once() {
    let path = common::fresh_sqlite_path();
    let fx = Fixture::new();
    let a = fx.directory(Arc::new(SqliteStore::open(&path).await.unwrap()));
    let b = fx.directory(Arc::new(SqliteStore::open(&path).await.unwrap()));
    a.publish(&fx.policy, "alice", fx.key_packages("alice", 4))
        .await
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    for dir in [&a, &b, &a, &b] {
        let claim = dir.claim("alice", SUITE, "bob").await.unwrap();
        assert!(seen.insert(claim.key_package().unwrap().reference.clone()));
    }
    assert_eq!(b.claim("alice", SUITE, "bob").await.unwrap(), Claim::Empty);
}

#[tokio::test]
async fn a_foreign_or_newer_file_is_refused() {
    let foreign = common::fresh_sqlite_path();
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
    }
    let err = SqliteStore::open(&foreign).await.unwrap_err();
    assert!(matches!(err, StoreError::Schema { .. }), "{err:?}");

    let newer = common::fresh_sqlite_path();
    drop(SqliteStore::open(&newer).await.unwrap());
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = SqliteStore::open(&newer).await.unwrap_err();
    assert!(matches!(err, StoreError::Schema { .. }), "{err:?}");

    // Ours, current: opens again.
    let ours = common::fresh_sqlite_path();
    drop(SqliteStore::open(&ours).await.unwrap());
    let store = SqliteStore::open(&ours).await.unwrap();
    assert_eq!(store.engine(), "sqlite");
    let conn = rusqlite::Connection::open(&ours).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let id: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(
        (version, id, mode.as_str()),
        (
            i64::from(keypackage_directory::sqlite::SCHEMA_VERSION),
            0x4B50_4431,
            "wal"
        )
    );
}

#[tokio::test]
async fn open_store_reads_the_url() {
    let path = common::fresh_sqlite_path();
    let store = keypackage_directory::open_store(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    assert_eq!(store.engine(), "sqlite");
    assert!(keypackage_directory::open_store("mysql://x").await.is_err());
    assert!(keypackage_directory::open_store("sqlite:").await.is_err());
}
