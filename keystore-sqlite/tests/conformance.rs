//! The key-store conformance suite, run against the SQLite store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use keypackage_traits::conformance::key_store as suite;
use keystore_sqlite::SqliteKeyStore;

#[test]
fn sqlite_store_passes_the_key_store_conformance_suite() {
    let dir = common::TempDir::new("conformance");
    let n = std::cell::Cell::new(0);
    suite::run(|| {
        n.set(n.get() + 1);
        SqliteKeyStore::open(dir.file(&format!("store-{}.db", n.get()))).unwrap()
    });
}
