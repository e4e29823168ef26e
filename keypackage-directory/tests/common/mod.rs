//! Shared by the test binaries: the engines under test, the PostgreSQL
//! switch, and the child-process harness.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use keypackage_directory::{PostgresStore, SqliteStore, Store};

/// The environment variable that names the PostgreSQL test database
/// (`bash .ci/postgres.sh start` prints it).
pub const POSTGRES_ENV: &str = "KEYPACKAGE_TEST_POSTGRES";

/// The PostgreSQL test database's URL. Without it: a printed notice and
/// `None` locally; under CI (`CI` set), a failure, so that the PostgreSQL
/// tests can never be skipped silently there.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_ENV} is not set under CI: .ci/run must start PostgreSQL (.ci/postgres.sh)"
            );
            eprintln!(
                "SKIPPED: PostgreSQL test, {POSTGRES_ENV} is not set \
                 (run `eval \"$(bash .ci/postgres.sh start)\"` first)"
            );
            None
        }
    }
}

/// `url` with the connection's `search_path` set to `schema`.
pub fn with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty schema in the test database, for one test: its URL.
pub async fn fresh_postgres_url() -> Option<String> {
    let url = postgres_url()?;
    let schema = format!(
        "kpd_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to the PostgreSQL test database");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    Some(with_schema(&url, &schema))
}

/// A fresh PostgreSQL store, or `None` when PostgreSQL is not configured
/// (locally).
pub async fn postgres_store() -> Option<Arc<dyn Store>> {
    let url = fresh_postgres_url().await?;
    Some(Arc::new(PostgresStore::connect(&url).await.unwrap()))
}

fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::TempDir::new().unwrap())
}

/// A fresh SQLite file's path.
pub fn fresh_sqlite_path() -> std::path::PathBuf {
    scratch().path().join(format!(
        "directory-{}.sqlite",
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ))
}

/// A fresh SQLite store, in its own file.
pub async fn sqlite_store() -> Option<Arc<dyn Store>> {
    Some(Arc::new(
        SqliteStore::open(fresh_sqlite_path()).await.unwrap(),
    ))
}

/// One test per conformance check, on the engine `$make` opens
/// (an async fn returning `Option<Arc<dyn Store>>`; `None` skips).
#[macro_export]
macro_rules! conformance_tests {
    ($make:path) => {
        $crate::conformance_tests!(@each $make,
            claim_once, last_resort_fallback, expiry_with_injected_clock,
            idempotent_publish, duplicate_init_key_refused, claimed_stays_claimed,
            invalid_items_are_refused_alone, rate_limit, prune, delete_owner,
            claim_many, concurrent_claims);
    };
    (@each $make:path, $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                if let Some(store) = $make().await {
                    keypackage_directory::conformance::$check(store).await;
                }
            }
        )*
    };
}
