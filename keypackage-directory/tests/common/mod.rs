//! Shared by the test binaries: the engines under test, the PostgreSQL
//! switch, and the child-process harness.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use keypackage_directory::{PostgresStore, SqliteStore, Store};

/// The environment variable that names the PostgreSQL test database
/// (`bash .ci/postgres.sh start` prints it).
pub(crate) const POSTGRES_ENV: &str = "KEYPACKAGE_TEST_POSTGRES";

/// The PostgreSQL test database's URL. Without it: a printed notice and
/// `None` locally; under CI (`CI` set), a failure, so that the PostgreSQL
/// tests can never be skipped silently there.
pub(crate) fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_ENV} is not set under CI: .ci/run must start PostgreSQL (.ci/postgres.sh)"
            );
            // Once per test binary, straight to stderr: the test harness
            // captures eprintln! of passing tests, and this must be seen.
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: the PostgreSQL tests of this binary, {POSTGRES_ENV} is not set \
                     (run `eval \"$(bash .ci/postgres.sh start)\"` first)"
                );
            });
            None
        }
    }
}

/// `url` with the connection's `search_path` set to `schema`.
pub(crate) fn with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty schema in the test database, for one test: its URL.
pub(crate) async fn fresh_postgres_url() -> Option<String> {
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
pub(crate) async fn postgres_store() -> Option<Arc<dyn Store>> {
    let url = fresh_postgres_url().await?;
    Some(Arc::new(PostgresStore::connect(&url).await.unwrap()))
}

fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::TempDir::new().unwrap())
}

/// A fresh SQLite file's path.
pub(crate) fn fresh_sqlite_path() -> std::path::PathBuf {
    scratch().path().join(format!(
        "directory-{}.sqlite",
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ))
}

/// A fresh SQLite store, in its own file.
pub(crate) async fn sqlite_store() -> Option<Arc<dyn Store>> {
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

/// Marks the lines a child process reports on, among the test harness's.
pub(crate) const MARK: &str = "@@ ";

/// Starts this test binary again as a child running the ignored test
/// `entry`, with `env`; its stdout is piped.
pub(crate) fn spawn_child(entry: &str, env: &[(&str, String)]) -> std::process::Child {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            entry,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().unwrap()
}

/// Writes one report line (after the harness's own text on the same line,
/// hence the leading newline) and flushes it at once.
pub(crate) fn report(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n{MARK}{line}");
    let _ = out.flush();
}

/// The report lines in a child's output.
pub(crate) fn reports(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| line.strip_prefix(MARK).map(str::to_owned))
        .collect()
}

/// Opens a store by URL (`sqlite:PATH` or `postgres://…`), in a child.
pub(crate) async fn open(url: &str) -> Arc<dyn Store> {
    keypackage_directory::open_store(url).await.unwrap()
}

/// The references of `owner`'s key packages in the database: (handed out,
/// still available), read directly, without the crate.
pub(crate) async fn database_state(
    url: &str,
    owner: &str,
) -> (
    std::collections::HashSet<Vec<u8>>,
    std::collections::HashSet<Vec<u8>>,
) {
    let mut claimed = std::collections::HashSet::new();
    let mut available = std::collections::HashSet::new();
    if let Some(path) = url.strip_prefix("sqlite:") {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT ref, claimed_at IS NOT NULL FROM kpd_key_packages WHERE owner = ?1")
            .unwrap();
        let rows = stmt
            .query_map([owner], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, bool>(1)?))
            })
            .unwrap();
        for row in rows {
            let (reference, spent) = row.unwrap();
            if spent {
                claimed.insert(reference);
            } else {
                available.insert(reference);
            }
        }
    } else {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        for row in client
            .query(
                "SELECT ref, claimed_at IS NOT NULL FROM kpd_key_packages WHERE owner = $1",
                &[&owner],
            )
            .await
            .unwrap()
        {
            let reference: Vec<u8> = row.get(0);
            if row.get::<_, bool>(1) {
                claimed.insert(reference);
            } else {
                available.insert(reference);
            }
        }
    }
    (claimed, available)
}

/// Key packages for many owners at once, made on every core: `per_owner`
/// normal ones and, if `last_resort`, one last resort each.
pub(crate) fn make_key_packages(
    fx: &keypackage_directory::conformance::Fixture,
    owners: &[String],
    per_owner: usize,
    last_resort: bool,
) -> Vec<(String, Vec<Vec<u8>>)> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunks: Vec<&[String]> = owners
        .chunks(owners.len().div_ceil(threads).max(1))
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|owner| {
                            let mut kps = fx.key_packages(owner, per_owner);
                            if last_resort {
                                kps.push(fx.last_resort(owner));
                            }
                            (owner.clone(), kps)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}
