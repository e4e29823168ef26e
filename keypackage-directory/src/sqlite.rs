//! [`SqliteStore`]: the embedded engine, one SQLite file.
//!
//! One writer thread owns the write connection and runs every write
//! (publish, claim, prune, delete) in `BEGIN IMMEDIATE` transactions; the
//! async callers hand it jobs and wait on a oneshot reply, so no SQLite call
//! ever runs on the async executor. Jobs that queue up while a transaction
//! commits are run together in the next one (group commit), each inside its
//! own savepoint: a failing job rolls back alone, the others commit, and
//! every reply is sent only after the commit, so a reply means "on disk"
//! (`synchronous = FULL`). Reads (`count`) use a second connection on a
//! blocking thread; WAL lets them run beside the writer.
//!
//! Between processes (several directory nodes on one file, or the crash
//! test's children) SQLite's own write lock serializes the transactions;
//! `busy_timeout` makes a writer wait for it instead of failing.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use keypackage_core::traits::KeyPackageRef;

use crate::store::{
    BoxFuture, Claim, ClaimRequest, ClaimedKeyPackage, InsertOutcome, NewKeyPackage, PruneReport,
    Store, StoreError, SuiteCount, count_from_sql, suite_from_sql, time_from_sql, time_to_sql,
};

/// `PRAGMA application_id` of a directory database ("KPD1"): a file with
/// another non-zero id is not ours and is refused.
pub const APPLICATION_ID: i32 = 0x4B50_4431;

/// How long a transaction waits for another process's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// At most this many queued jobs share one transaction.
const MAX_GROUP: usize = 256;

/// Ordered migrations: entry `i` takes the schema from version `i` to `i + 1`.
/// Never edit a released entry; append a new one.
const MIGRATIONS: &[&str] = &[
    // 1. One row per key package, by reference. `init_key` is UNIQUE (RFC
    // 9420 §10). A handed-out key package keeps its row, with `claimed_at`
    // set and its bytes erased, until it expires: publishing it again is
    // then refused, so it is never handed out twice. Times are u64 seconds
    // mapped to order-preserving signed integers (`store::time_to_sql`).
    // The partial index serves the claim (owner, suite, kind, soonest
    // expiry first) and the count; the one on `not_after` serves prune.
    "CREATE TABLE kpd_key_packages (
         ref          BLOB    NOT NULL PRIMARY KEY,
         owner        TEXT    NOT NULL,
         suite        INTEGER NOT NULL,
         not_after    INTEGER NOT NULL,
         last_resort  INTEGER NOT NULL CHECK (last_resort IN (0, 1)),
         init_key     BLOB    NOT NULL UNIQUE,
         key_package  BLOB,
         published_at INTEGER NOT NULL,
         claimed_at   INTEGER,
         CHECK ((claimed_at IS NULL) = (key_package IS NOT NULL)),
         CHECK (claimed_at IS NULL OR last_resort = 0)
     );
     CREATE INDEX kpd_available ON kpd_key_packages (owner, suite, last_resort, not_after)
         WHERE claimed_at IS NULL;
     CREATE INDEX kpd_not_after ON kpd_key_packages (not_after);
     CREATE TABLE kpd_claim_rate (
         requester  TEXT    NOT NULL,
         owner      TEXT    NOT NULL,
         window_end INTEGER NOT NULL,
         claims     INTEGER NOT NULL,
         PRIMARY KEY (requester, owner)
     ) WITHOUT ROWID;
     CREATE INDEX kpd_claim_rate_owner ON kpd_claim_rate (owner);
     CREATE INDEX kpd_claim_rate_window_end ON kpd_claim_rate (window_end);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Maps a SQLite error, with what was being done, to a [`StoreError`].
fn sql(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |err| {
        let corrupt = matches!(
            err.sqlite_error_code(),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        ) || matches!(
            err,
            rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::IntegralValueOutOfRange(..)
        );
        if corrupt {
            StoreError::Corrupt {
                detail: format!("{context}: {err}"),
            }
        } else {
            StoreError::Backend {
                detail: format!("{context}: {err}"),
            }
        }
    }
}

/// A write the writer thread runs inside the current transaction.
trait Job: Send {
    /// Runs inside a savepoint; the reply waits for the commit. `false` when
    /// the savepoint itself failed, so the transaction must be abandoned.
    fn run(self: Box<Self>, conn: &Connection) -> (Box<dyn Completion>, bool);
    /// Answers without running (the transaction could not start).
    fn fail(self: Box<Self>, error: StoreError);
}

/// A job's reply, held until its transaction ends.
trait Completion: Send {
    fn complete(self: Box<Self>, committed: Result<(), StoreError>);
}

struct Op<T, F> {
    work: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

struct Done<T> {
    result: Result<T, StoreError>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Op<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> (Box<dyn Completion>, bool) {
        let Op { work, reply } = *self;
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            let result = Err(sql("savepoint")(e));
            return (Box::new(Done { result, reply }), false);
        }
        let result = work(conn);
        let end = if result.is_ok() {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        let intact = conn.execute_batch(end).is_ok();
        (Box::new(Done { result, reply }), intact)
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

impl<T: Send> Completion for Done<T> {
    fn complete(self: Box<Self>, committed: Result<(), StoreError>) {
        let answer = committed.and(self.result);
        // The caller may have gone away (its future dropped): nothing to do.
        let _ = self.reply.send(answer);
    }
}

/// The writer thread: takes a job, and every job queued behind it up to
/// [`MAX_GROUP`], runs them in one transaction, commits, then replies.
fn writer(conn: Connection, jobs: mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let error = sql("begin")(e);
            for job in group {
                job.fail(error.clone());
            }
            continue;
        }
        let mut done = Vec::with_capacity(group.len());
        let mut intact = true;
        for job in group {
            let (completion, ok) = job.run(&conn);
            done.push(completion);
            intact &= ok;
        }
        let committed = if intact {
            conn.execute_batch("COMMIT").map_err(sql("commit"))
        } else {
            Err(StoreError::Backend {
                detail: "a savepoint failed".into(),
            })
        };
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for completion in done {
            completion.complete(committed.clone());
        }
    }
}

/// The embedded engine: a directory in one SQLite file (WAL,
/// `synchronous = FULL`, `BEGIN IMMEDIATE` for every write, versioned
/// schema). Cheap to share (`Arc`); several stores, in one process or
/// several, may open the same file.
pub struct SqliteStore {
    jobs: mpsc::Sender<Box<dyn Job>>,
    reader: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(sql("set busy_timeout"))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(sql("set journal_mode"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend {
            detail: format!("journal_mode is {mode}, not wal"),
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql("set synchronous"))?;
    Ok(())
}

/// Brings the file to [`SCHEMA_VERSION`] in one immediate transaction;
/// refuses a file of another application or of a newer version.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql("begin migration"))?;
    let application_id: i32 = tx
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(sql("read application_id"))?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sql("read user_version"))?;
    let objects: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(sql("read schema"))?;
    if application_id != APPLICATION_ID && (application_id != 0 || objects != 0) {
        return Err(StoreError::Schema {
            detail: format!(
                "not a key package directory (application_id {application_id:#x}, {objects} schema objects)"
            ),
        });
    }
    let current = usize::try_from(version).map_err(|_| StoreError::Schema {
        detail: format!("negative schema version {version}"),
    })?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Schema {
            detail: format!("schema version {current} is newer than this build's {SCHEMA_VERSION}"),
        });
    }
    for migration in MIGRATIONS.iter().skip(current) {
        tx.execute_batch(migration)
            .map_err(sql("apply migration"))?;
    }
    if current < MIGRATIONS.len() {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sql("write user_version"))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(sql("write application_id"))?;
    }
    tx.commit().map_err(sql("commit migration"))
}

impl SqliteStore {
    /// Opens (creating it if needed) the directory file at `path` and
    /// migrates its schema. Blocking: call it at start-up, or use
    /// [`SqliteStore::open`] from async code.
    pub fn open_blocking(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path).map_err(sql("open"))?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql("open reader"))?;
        reader
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(sql("set busy_timeout"))?;
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("kpd-sqlite-writer".into())
            .spawn(move || writer(conn, queue))
            .map_err(|e| StoreError::Backend {
                detail: format!("spawn the writer thread: {e}"),
            })?;
        Ok(Self {
            jobs,
            reader: Arc::new(Mutex::new(reader)),
            path,
        })
    }

    /// [`SqliteStore::open_blocking`] on a blocking thread.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(path))
            .await
            .map_err(|e| StoreError::Backend {
                detail: format!("open task: {e}"),
            })?
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues `work` for the writer thread; resolves after its transaction
    /// commits (or fails).
    fn write<T, F>(&self, work: F) -> BoxFuture<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let sent = self.jobs.send(Box::new(Op { work, reply }));
        Box::pin(async move {
            sent.map_err(|_| StoreError::Closed)?;
            answer.await.map_err(|_| StoreError::Closed)?
        })
    }

    /// Runs `work` on the read connection, on a blocking thread.
    fn read<T, F>(&self, work: F) -> BoxFuture<'_, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let reader = Arc::clone(&self.reader);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let conn = reader.lock().unwrap_or_else(PoisonError::into_inner);
                work(&conn)
            })
            .await
            .map_err(|e| StoreError::Backend {
                detail: format!("read task: {e}"),
            })?
        })
    }
}

const INSERT: &str = "INSERT INTO kpd_key_packages
    (ref, owner, suite, not_after, last_resort, init_key, key_package, published_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING";

const LOOKUP: &str = "SELECT owner, claimed_at IS NOT NULL FROM kpd_key_packages WHERE ref = ?1";

fn publish_in(
    conn: &Connection,
    owner: &str,
    items: &[NewKeyPackage],
    now: u64,
) -> Result<Vec<InsertOutcome>, StoreError> {
    let mut insert = conn.prepare_cached(INSERT).map_err(sql("prepare insert"))?;
    let mut lookup = conn.prepare_cached(LOOKUP).map_err(sql("prepare lookup"))?;
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let inserted = insert
            .execute(params![
                item.reference.as_slice(),
                owner,
                i64::from(item.cipher_suite.0),
                time_to_sql(item.not_after),
                i64::from(item.last_resort),
                item.init_key,
                item.key_package,
                time_to_sql(now),
            ])
            .map_err(sql("insert key package"))?;
        let outcome = if inserted == 1 {
            InsertOutcome::Stored
        } else {
            let found: Option<(String, bool)> = lookup
                .query_row([item.reference.as_slice()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
                .map_err(sql("look up key package"))?;
            match found {
                Some((_, true)) => InsertOutcome::AlreadyClaimed,
                Some((stored_owner, false)) if stored_owner == owner => {
                    InsertOutcome::AlreadyStored
                }
                // Another key package with this init key, or this one under
                // another owner.
                _ => InsertOutcome::InitKeyInUse,
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Counts a claim; `None` when the window's claims are used up.
const RATE: &str = "INSERT INTO kpd_claim_rate (requester, owner, window_end, claims)
    VALUES (?1, ?2, ?3, 1)
    ON CONFLICT (requester, owner) DO UPDATE SET
        claims = CASE WHEN window_end = excluded.window_end THEN claims + 1 ELSE 1 END,
        window_end = excluded.window_end
    WHERE window_end <> excluded.window_end OR claims < ?4
    RETURNING claims";

const NEXT: &str = "SELECT ref, key_package, not_after FROM kpd_key_packages
    WHERE owner = ?1 AND suite = ?2 AND last_resort = 0 AND claimed_at IS NULL
      AND not_after >= ?3
    ORDER BY not_after LIMIT 1";

const TAKE: &str = "UPDATE kpd_key_packages SET claimed_at = ?2, key_package = NULL
    WHERE ref = ?1 AND claimed_at IS NULL";

const LAST_RESORT: &str = "SELECT ref, key_package, not_after FROM kpd_key_packages
    WHERE owner = ?1 AND suite = ?2 AND last_resort = 1 AND claimed_at IS NULL
      AND not_after >= ?3
    ORDER BY not_after DESC LIMIT 1";

type Row = (Vec<u8>, Option<Vec<u8>>, i64);

fn claimed(row: Row, request: &ClaimRequest) -> Result<ClaimedKeyPackage, StoreError> {
    let (reference, key_package, not_after) = row;
    Ok(ClaimedKeyPackage {
        reference: KeyPackageRef::new(reference),
        cipher_suite: request.cipher_suite,
        not_after: time_from_sql(not_after),
        key_package: key_package.ok_or_else(|| StoreError::Corrupt {
            detail: "an available key package has no bytes".into(),
        })?,
    })
}

fn claim_in(conn: &Connection, request: &ClaimRequest) -> Result<Vec<Claim>, StoreError> {
    let now = time_to_sql(request.now);
    let suite = i64::from(request.cipher_suite.0);
    let mut answers = Vec::with_capacity(request.owners.len());
    for owner in &request.owners {
        if let Some(limit) = request.rate_limit {
            let end = limit.window_end(request.now);
            let counted: Option<i64> = conn
                .prepare_cached(RATE)
                .and_then(|mut stmt| {
                    stmt.query_row(
                        params![
                            request.requester,
                            owner,
                            time_to_sql(end),
                            i64::from(limit.max_claims)
                        ],
                        |row| row.get(0),
                    )
                    .optional()
                })
                .map_err(sql("count the claim"))?;
            if counted.is_none() {
                answers.push(Claim::RateLimited {
                    retry_after: end.saturating_sub(request.now),
                });
                continue;
            }
        }
        let read = |query: &str| -> Result<Option<Row>, StoreError> {
            conn.prepare_cached(query)
                .and_then(|mut stmt| {
                    stmt.query_row(params![owner, suite, now], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
                    .optional()
                })
                .map_err(sql("select key package"))
        };
        if let Some(row) = read(NEXT)? {
            let taken = conn
                .prepare_cached(TAKE)
                .and_then(|mut stmt| stmt.execute(params![row.0, now]))
                .map_err(sql("take key package"))?;
            if taken != 1 {
                return Err(StoreError::Backend {
                    detail: "a selected key package vanished inside the transaction".into(),
                });
            }
            answers.push(Claim::KeyPackage(claimed(row, request)?));
        } else if let Some(row) = read(LAST_RESORT)? {
            answers.push(Claim::LastResort(claimed(row, request)?));
        } else {
            answers.push(Claim::Empty);
        }
    }
    Ok(answers)
}

fn count_in(
    conn: &Connection,
    owner: Option<&str>,
    now: u64,
) -> Result<Vec<SuiteCount>, StoreError> {
    // Two statements, so that the one for an owner uses the index.
    let (query, owner) = match owner {
        Some(owner) => (
            "SELECT suite, sum(1 - last_resort), sum(last_resort) FROM kpd_key_packages
             WHERE owner = ?1 AND claimed_at IS NULL AND not_after >= ?2
             GROUP BY suite ORDER BY suite",
            owner,
        ),
        None => (
            "SELECT suite, sum(1 - last_resort), sum(last_resort) FROM kpd_key_packages
             WHERE ?1 = '' AND claimed_at IS NULL AND not_after >= ?2
             GROUP BY suite ORDER BY suite",
            "",
        ),
    };
    let mut stmt = conn.prepare_cached(query).map_err(sql("prepare count"))?;
    let rows = stmt
        .query_map(params![owner, time_to_sql(now)], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })
        .map_err(sql("count"))?;
    let mut counts = Vec::new();
    for row in rows {
        let (suite, available, last_resort) = row.map_err(sql("count"))?;
        counts.push(SuiteCount {
            cipher_suite: suite_from_sql(suite)?,
            available: count_from_sql(available)?,
            last_resort: count_from_sql(last_resort)?,
        });
    }
    Ok(counts)
}

fn prune_in(conn: &Connection, now: u64) -> Result<PruneReport, StoreError> {
    let now = time_to_sql(now);
    let delete = |query: &str| -> Result<u64, StoreError> {
        conn.execute(query, [now])
            .map(|n| n as u64)
            .map_err(sql("prune"))
    };
    Ok(PruneReport {
        expired: delete(
            "DELETE FROM kpd_key_packages WHERE not_after < ?1 AND claimed_at IS NULL",
        )?,
        claimed: delete(
            "DELETE FROM kpd_key_packages WHERE not_after < ?1 AND claimed_at IS NOT NULL",
        )?,
        rate_counters: delete("DELETE FROM kpd_claim_rate WHERE window_end <= ?1")?,
    })
}

fn delete_owner_in(conn: &Connection, owner: &str) -> Result<u64, StoreError> {
    let removed = conn
        .execute(
            "DELETE FROM kpd_key_packages WHERE owner = ?1 AND claimed_at IS NULL",
            [owner],
        )
        .map_err(sql("delete owner"))?;
    conn.execute("DELETE FROM kpd_claim_rate WHERE owner = ?1", [owner])
        .map_err(sql("delete owner's counters"))?;
    Ok(removed as u64)
}

impl Store for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    fn publish(
        &self,
        owner: String,
        items: Vec<NewKeyPackage>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<InsertOutcome>, StoreError>> {
        self.write(move |conn| publish_in(conn, &owner, &items, now))
    }

    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        self.write(move |conn| claim_in(conn, &request))
    }

    fn count(
        &self,
        owner: Option<String>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<SuiteCount>, StoreError>> {
        self.read(move |conn| count_in(conn, owner.as_deref(), now))
    }

    fn prune(&self, now: u64) -> BoxFuture<'_, Result<PruneReport, StoreError>> {
        self.write(move |conn| prune_in(conn, now))
    }

    fn delete_owner(&self, owner: String) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.write(move |conn| delete_owner_in(conn, &owner))
    }
}
