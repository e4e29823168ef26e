//! [`PostgresStore`]: the shared engine. Many stateless directory nodes use
//! one PostgreSQL database; every rule that spans nodes (claim once, init
//! keys unique, rate limits) is kept by the database inside one
//! transaction.
//!
//! Claims never serialize on a row: a claimer locks the key package it takes
//! with `FOR UPDATE SKIP LOCKED`, so concurrent claimers for the same owner
//! each take a different row instead of queueing behind the first. Only
//! when every remaining row is locked by claimers in flight does a claimer
//! wait, for one of them (it may be rolled back), so that a last-resort key
//! package is handed out only when nothing else is left. Multi-owner claims
//! visit owners in sorted order, so two of them cannot deadlock; a deadlock
//! or serialization failure that PostgreSQL reports anyway (two uploads that
//! share init keys in opposite orders) is retried.
//!
//! Connections: a small pool of `tokio-postgres` clients (at most
//! [`DEFAULT_MAX_CONNECTIONS`] by default), each with its statements
//! prepared once. A connection that was in a transaction when its caller
//! went away (a dropped future) is closed, not reused: the server rolls the
//! transaction back.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls, Row, Statement, Transaction};

use keypackage_core::traits::KeyPackageRef;

use crate::store::{
    BoxFuture, Claim, ClaimRequest, ClaimedKeyPackage, InsertOutcome, NewKeyPackage, PruneReport,
    Store, StoreError, SuiteCount, count_from_sql, suite_from_sql, time_from_sql, time_to_sql,
};

/// Connections a store opens at most, by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 32;

/// The advisory lock that serializes migrations between nodes ("KPD1").
const MIGRATION_LOCK: i64 = 0x4B50_4431;

/// How often a transaction is retried after a deadlock or serialization
/// failure.
const RETRIES: u32 = 5;

/// Ordered migrations: entry `i` takes the schema from version `i` to `i + 1`.
/// Never edit a released entry; append a new one. The version lives in
/// `kpd_schema`, changed in the migration's own transaction.
const MIGRATIONS: &[&str] = &[
    // 1. As the SQLite schema (see `sqlite.rs`): one row per key package by
    // reference, `init_key` UNIQUE (RFC 9420 §10), handed-out rows kept
    // with their bytes erased until they expire; times are u64 seconds
    // mapped to order-preserving BIGINTs.
    "CREATE TABLE kpd_key_packages (
         ref          BYTEA   NOT NULL PRIMARY KEY,
         owner        TEXT    NOT NULL,
         suite        INTEGER NOT NULL,
         not_after    BIGINT  NOT NULL,
         last_resort  BOOLEAN NOT NULL,
         init_key     BYTEA   NOT NULL UNIQUE,
         key_package  BYTEA,
         published_at BIGINT  NOT NULL,
         claimed_at   BIGINT,
         CHECK ((claimed_at IS NULL) = (key_package IS NOT NULL)),
         CHECK (claimed_at IS NULL OR NOT last_resort)
     );
     CREATE INDEX kpd_available ON kpd_key_packages (owner, suite, last_resort, not_after)
         WHERE claimed_at IS NULL;
     CREATE INDEX kpd_not_after ON kpd_key_packages (not_after);
     CREATE TABLE kpd_claim_rate (
         requester  TEXT    NOT NULL,
         owner      TEXT    NOT NULL,
         window_end BIGINT  NOT NULL,
         claims     INTEGER NOT NULL,
         PRIMARY KEY (requester, owner)
     );
     CREATE INDEX kpd_claim_rate_owner ON kpd_claim_rate (owner);
     CREATE INDEX kpd_claim_rate_window_end ON kpd_claim_rate (window_end);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn pg(context: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |err| match err.as_db_error() {
        Some(db) => StoreError::Backend {
            detail: format!("{context}: {} ({})", db.message(), db.code().code()),
        },
        None => StoreError::Backend {
            detail: format!("{context}: {err}"),
        },
    }
}

fn retryable(err: &tokio_postgres::Error) -> bool {
    matches!(
        err.code(),
        Some(code) if *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
    )
}

/// Reads a column, mapping a type mismatch to [`StoreError::Corrupt`].
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| StoreError::Corrupt {
        detail: format!("column {index}: {e}"),
    })
}

const RATE: &str = "INSERT INTO kpd_claim_rate AS r (requester, owner, window_end, claims)
    VALUES ($1, $2, $3, 1)
    ON CONFLICT (requester, owner) DO UPDATE SET
        claims = CASE WHEN r.window_end = EXCLUDED.window_end THEN r.claims + 1 ELSE 1 END,
        window_end = EXCLUDED.window_end
    WHERE r.window_end <> EXCLUDED.window_end OR r.claims < $4
    RETURNING claims";

/// Takes the soonest-expiring available key package that no other claimer
/// holds.
const CLAIM_SKIP: &str = "WITH c AS (
        SELECT ref, key_package, not_after FROM kpd_key_packages
        WHERE owner = $1 AND suite = $2 AND NOT last_resort AND claimed_at IS NULL
          AND not_after >= $3
        ORDER BY not_after LIMIT 1 FOR UPDATE SKIP LOCKED)
    UPDATE kpd_key_packages AS k SET claimed_at = $3, key_package = NULL
    FROM c WHERE k.ref = c.ref
    RETURNING c.ref, c.key_package, c.not_after";

/// The same, waiting for a row that other claimers hold (used only when
/// every remaining row is held).
const CLAIM_WAIT: &str = "WITH c AS (
        SELECT ref, key_package, not_after FROM kpd_key_packages
        WHERE owner = $1 AND suite = $2 AND NOT last_resort AND claimed_at IS NULL
          AND not_after >= $3
        ORDER BY not_after LIMIT 1 FOR UPDATE)
    UPDATE kpd_key_packages AS k SET claimed_at = $3, key_package = NULL
    FROM c WHERE k.ref = c.ref
    RETURNING c.ref, c.key_package, c.not_after";

/// Whether normal key packages remain (held by claimers in flight), and the
/// last-resort key package.
const PROBE: &str = "SELECT EXISTS (
        SELECT 1 FROM kpd_key_packages
        WHERE owner = $1 AND suite = $2 AND NOT last_resort AND claimed_at IS NULL
          AND not_after >= $3),
        lr.ref, lr.key_package, lr.not_after
    FROM (SELECT 1) AS one LEFT JOIN LATERAL (
        SELECT ref, key_package, not_after FROM kpd_key_packages
        WHERE owner = $1 AND suite = $2 AND last_resort AND claimed_at IS NULL
          AND not_after >= $3
        ORDER BY not_after DESC LIMIT 1) AS lr ON TRUE";

const INSERT: &str = "INSERT INTO kpd_key_packages
        (ref, owner, suite, not_after, last_resort, init_key, key_package, published_at)
    SELECT r, $2, s, n, l, i, k, $8
    FROM unnest($1::bytea[], $3::integer[], $4::bigint[], $5::boolean[], $6::bytea[], $7::bytea[])
        AS t(r, s, n, l, i, k)
    ON CONFLICT DO NOTHING
    RETURNING ref";

const LOOKUP: &str = "SELECT ref, owner, claimed_at IS NOT NULL FROM kpd_key_packages
    WHERE ref = ANY($1::bytea[])";

const COUNT_OWNER: &str = "SELECT suite, count(*) FILTER (WHERE NOT last_resort),
        count(*) FILTER (WHERE last_resort)
    FROM kpd_key_packages WHERE owner = $1 AND claimed_at IS NULL AND not_after >= $2
    GROUP BY suite ORDER BY suite";

const COUNT_ALL: &str = "SELECT suite, count(*) FILTER (WHERE NOT last_resort),
        count(*) FILTER (WHERE last_resort)
    FROM kpd_key_packages WHERE claimed_at IS NULL AND not_after >= $1
    GROUP BY suite ORDER BY suite";

/// The statements of one connection, prepared once.
struct Statements {
    rate: Statement,
    claim_skip: Statement,
    claim_wait: Statement,
    probe: Statement,
    insert: Statement,
    lookup: Statement,
    count_owner: Statement,
    count_all: Statement,
}

struct PgConn {
    client: Client,
    st: Statements,
}

async fn open_connection(config: &Config) -> Result<PgConn, StoreError> {
    let (client, connection) = config.connect(NoTls).await.map_err(pg("connect"))?;
    tokio::spawn(async move {
        // Ends when the client is dropped or the server goes away; the
        // client then reports the error on its next call.
        let _ = connection.await;
    });
    Ok(PgConn {
        st: prepare(&client).await?,
        client,
    })
}

async fn prepare(client: &Client) -> Result<Statements, StoreError> {
    let p = |sql| client.prepare(sql);
    let e = pg("prepare");
    Ok(Statements {
        rate: p(RATE).await.map_err(&e)?,
        claim_skip: p(CLAIM_SKIP).await.map_err(&e)?,
        claim_wait: p(CLAIM_WAIT).await.map_err(&e)?,
        probe: p(PROBE).await.map_err(&e)?,
        insert: p(INSERT).await.map_err(&e)?,
        lookup: p(LOOKUP).await.map_err(&e)?,
        count_owner: p(COUNT_OWNER).await.map_err(&e)?,
        count_all: p(COUNT_ALL).await.map_err(&e)?,
    })
}

/// Brings the database to [`SCHEMA_VERSION`]: one transaction, under an
/// advisory lock so that nodes starting together migrate once.
async fn migrate(config: &Config) -> Result<(), StoreError> {
    let (mut client, connection) = config.connect(NoTls).await.map_err(pg("connect"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let e = pg("migrate");
    let tx = client.transaction().await.map_err(&e)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(&e)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS kpd_schema (
             id      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
             version INTEGER NOT NULL
         )",
    )
    .await
    .map_err(&e)?;
    let current: i32 = match tx
        .query_opt("SELECT version FROM kpd_schema", &[])
        .await
        .map_err(&e)?
    {
        Some(row) => get(&row, 0)?,
        None => 0,
    };
    let current = usize::try_from(current).map_err(|_| StoreError::Schema {
        detail: format!("negative schema version {current}"),
    })?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Schema {
            detail: format!("schema version {current} is newer than this build's {SCHEMA_VERSION}"),
        });
    }
    for migration in MIGRATIONS.iter().skip(current) {
        tx.batch_execute(migration).await.map_err(&e)?;
    }
    if current < MIGRATIONS.len() {
        let version = i32::try_from(SCHEMA_VERSION).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO kpd_schema (id, version) VALUES (TRUE, $1)
             ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version",
            &[&version],
        )
        .await
        .map_err(&e)?;
    }
    tx.commit().await.map_err(&e)
}

/// The shared engine: a directory in a PostgreSQL database, for many
/// directory nodes at once.
pub struct PostgresStore {
    config: Config,
    idle: Mutex<Vec<PgConn>>,
    permits: Semaphore,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

/// A connection on loan from the pool; back to the pool on drop only if the
/// operation finished (no transaction can be left open on it).
struct Lease<'a> {
    store: &'a PostgresStore,
    conn: Option<PgConn>,
    finished: bool,
    _permit: SemaphorePermit<'a>,
}

impl Lease<'_> {
    fn conn(&mut self) -> Result<&mut PgConn, StoreError> {
        self.conn.as_mut().ok_or(StoreError::Closed)
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.finished
            && !conn.client.is_closed()
        {
            self.store
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`, or
    /// libpq's `key=value` form), migrates its schema, and keeps at most
    /// [`DEFAULT_MAX_CONNECTIONS`] connections.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// [`PostgresStore::connect`] with at most `max_connections` connections
    /// (at least 1).
    pub async fn connect_with(url: &str, max_connections: usize) -> Result<Self, StoreError> {
        let mut config: Config = url.parse().map_err(|e| StoreError::Backend {
            detail: format!("database URL: {e}"),
        })?;
        if config.get_application_name().is_none() {
            config.application_name("keypackage-directory");
        }
        migrate(&config).await?;
        Ok(Self {
            config,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max_connections.clamp(1, Semaphore::MAX_PERMITS)),
        })
    }

    async fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_connection(&self.config).await?,
        };
        Ok(Lease {
            store: self,
            conn: Some(conn),
            finished: false,
            _permit: permit,
        })
    }
}

fn claimed(
    reference: Vec<u8>,
    key_package: Option<Vec<u8>>,
    not_after: i64,
    request: &ClaimRequest,
) -> Result<ClaimedKeyPackage, StoreError> {
    Ok(ClaimedKeyPackage {
        reference: KeyPackageRef::new(reference),
        cipher_suite: request.cipher_suite,
        not_after: time_from_sql(not_after),
        key_package: key_package.ok_or_else(|| StoreError::Corrupt {
            detail: "an available key package has no bytes".into(),
        })?,
    })
}

fn taken(row: &Row, request: &ClaimRequest) -> Result<Claim, StoreError> {
    Ok(Claim::KeyPackage(claimed(
        get(row, 0)?,
        get(row, 1)?,
        get(row, 2)?,
        request,
    )?))
}

/// Errors of one attempt: PostgreSQL's (maybe retryable) or ours.
enum Failure {
    Pg(&'static str, tokio_postgres::Error),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

fn at(context: &'static str) -> impl Fn(tokio_postgres::Error) -> Failure {
    move |e| Failure::Pg(context, e)
}

/// One owner's claim inside the transaction.
async fn claim_owner(
    tx: &Transaction<'_>,
    st: &Statements,
    owner: &String,
    request: &ClaimRequest,
) -> Result<Claim, Failure> {
    let suite = i32::from(request.cipher_suite.0);
    let now = time_to_sql(request.now);
    loop {
        if let Some(row) = tx
            .query_opt(&st.claim_skip, &[owner, &suite, &now])
            .await
            .map_err(at("claim"))?
        {
            return Ok(taken(&row, request)?);
        }
        let probe = tx
            .query_one(&st.probe, &[owner, &suite, &now])
            .await
            .map_err(at("claim"))?;
        let pending: bool = get(&probe, 0)?;
        if !pending {
            let reference: Option<Vec<u8>> = get(&probe, 1)?;
            return Ok(match reference {
                Some(reference) => Claim::LastResort(claimed(
                    reference,
                    get(&probe, 2)?,
                    get(&probe, 3)?,
                    request,
                )?),
                None => Claim::Empty,
            });
        }
        // Every remaining key package is held by a claimer in flight: wait
        // for one (it may roll back). If they all commit, the probe finds
        // nothing pending next time round.
        if let Some(row) = tx
            .query_opt(&st.claim_wait, &[owner, &suite, &now])
            .await
            .map_err(at("claim"))?
        {
            return Ok(taken(&row, request)?);
        }
    }
}

async fn claim_once(conn: &mut PgConn, request: &ClaimRequest) -> Result<Vec<Claim>, Failure> {
    let PgConn { client, st } = conn;
    // The common case, one owner and no rate limit, in one round trip: the
    // claim is one statement, atomic on its own. Only when it finds nothing
    // free does the transaction below decide between waiting, the last
    // resort and nothing.
    if let (None, [owner]) = (request.rate_limit, request.owners.as_slice()) {
        let suite = i32::from(request.cipher_suite.0);
        let now = time_to_sql(request.now);
        if let Some(row) = client
            .query_opt(&st.claim_skip, &[owner, &suite, &now])
            .await
            .map_err(at("claim"))?
        {
            return Ok(vec![taken(&row, request)?]);
        }
    }
    let tx = client.transaction().await.map_err(at("begin"))?;
    // Owners in sorted order: every transaction takes its locks in the same
    // order, so multi-owner claims cannot deadlock.
    let mut order: Vec<(usize, &String)> = request.owners.iter().enumerate().collect();
    order.sort_by(|a, b| a.1.cmp(b.1));
    let mut answers = vec![Claim::Empty; request.owners.len()];
    for (index, owner) in order {
        let answer = match request.rate_limit {
            Some(limit) => {
                let end = limit.window_end(request.now);
                let max = i32::try_from(limit.max_claims).unwrap_or(i32::MAX);
                let counted = tx
                    .query_opt(
                        &st.rate,
                        &[&request.requester, owner, &time_to_sql(end), &max],
                    )
                    .await
                    .map_err(at("count the claim"))?;
                match counted {
                    None => Claim::RateLimited {
                        retry_after: end.saturating_sub(request.now),
                    },
                    Some(_) => claim_owner(&tx, st, owner, request).await?,
                }
            }
            None => claim_owner(&tx, st, owner, request).await?,
        };
        if let Some(slot) = answers.get_mut(index) {
            *slot = answer;
        }
    }
    tx.commit().await.map_err(at("commit"))?;
    Ok(answers)
}

async fn publish_once(
    conn: &mut PgConn,
    owner: &str,
    items: &[NewKeyPackage],
    now: u64,
) -> Result<Vec<InsertOutcome>, Failure> {
    let PgConn { client, st } = conn;
    let tx = client.transaction().await.map_err(at("begin"))?;
    let refs: Vec<&[u8]> = items.iter().map(|i| i.reference.as_slice()).collect();
    let suites: Vec<i32> = items.iter().map(|i| i32::from(i.cipher_suite.0)).collect();
    let not_after: Vec<i64> = items.iter().map(|i| time_to_sql(i.not_after)).collect();
    let last_resort: Vec<bool> = items.iter().map(|i| i.last_resort).collect();
    let init_keys: Vec<&[u8]> = items.iter().map(|i| i.init_key.as_slice()).collect();
    let encoded: Vec<&[u8]> = items.iter().map(|i| i.key_package.as_slice()).collect();
    let inserted = tx
        .query(
            &st.insert,
            &[
                &refs,
                &owner,
                &suites,
                &not_after,
                &last_resort,
                &init_keys,
                &encoded,
                &time_to_sql(now),
            ],
        )
        .await
        .map_err(at("insert key packages"))?;
    let inserted: std::collections::HashSet<Vec<u8>> = inserted
        .iter()
        .map(|row| get::<Vec<u8>>(row, 0))
        .collect::<Result<_, _>>()?;
    let missing: Vec<&[u8]> = refs
        .iter()
        .copied()
        .filter(|r| !inserted.contains(*r))
        .collect();
    let mut found = std::collections::HashMap::new();
    if !missing.is_empty() {
        for row in tx
            .query(&st.lookup, &[&missing])
            .await
            .map_err(at("look up key packages"))?
        {
            let reference: Vec<u8> = get(&row, 0)?;
            let stored_owner: String = get(&row, 1)?;
            let spent: bool = get(&row, 2)?;
            found.insert(reference, (stored_owner, spent));
        }
    }
    tx.commit().await.map_err(at("commit"))?;
    Ok(refs
        .iter()
        .map(|r| {
            if inserted.contains(*r) {
                return InsertOutcome::Stored;
            }
            match found.get(*r) {
                Some((_, true)) => InsertOutcome::AlreadyClaimed,
                Some((stored_owner, false)) if stored_owner == owner => {
                    InsertOutcome::AlreadyStored
                }
                _ => InsertOutcome::InitKeyInUse,
            }
        })
        .collect())
}

async fn prune_once(conn: &mut PgConn, now: u64) -> Result<PruneReport, Failure> {
    let tx = conn.client.transaction().await.map_err(at("begin"))?;
    let now = time_to_sql(now);
    let expired = tx
        .execute(
            "DELETE FROM kpd_key_packages WHERE not_after < $1 AND claimed_at IS NULL",
            &[&now],
        )
        .await
        .map_err(at("prune"))?;
    let claimed = tx
        .execute(
            "DELETE FROM kpd_key_packages WHERE not_after < $1 AND claimed_at IS NOT NULL",
            &[&now],
        )
        .await
        .map_err(at("prune"))?;
    let rate_counters = tx
        .execute("DELETE FROM kpd_claim_rate WHERE window_end <= $1", &[&now])
        .await
        .map_err(at("prune"))?;
    tx.commit().await.map_err(at("commit"))?;
    Ok(PruneReport {
        expired,
        claimed,
        rate_counters,
    })
}

async fn delete_owner_once(conn: &mut PgConn, owner: &str) -> Result<u64, Failure> {
    let tx = conn.client.transaction().await.map_err(at("begin"))?;
    let removed = tx
        .execute(
            "DELETE FROM kpd_key_packages WHERE owner = $1 AND claimed_at IS NULL",
            &[&owner],
        )
        .await
        .map_err(at("delete owner"))?;
    tx.execute("DELETE FROM kpd_claim_rate WHERE owner = $1", &[&owner])
        .await
        .map_err(at("delete owner's counters"))?;
    tx.commit().await.map_err(at("commit"))?;
    Ok(removed)
}

async fn count_once(
    conn: &mut PgConn,
    owner: Option<&str>,
    now: u64,
) -> Result<Vec<SuiteCount>, Failure> {
    let now = time_to_sql(now);
    let rows = match owner {
        Some(owner) => {
            conn.client
                .query(&conn.st.count_owner, &[&owner, &now])
                .await
        }
        None => conn.client.query(&conn.st.count_all, &[&now]).await,
    }
    .map_err(at("count"))?;
    let mut counts = Vec::with_capacity(rows.len());
    for row in rows {
        counts.push(SuiteCount {
            cipher_suite: suite_from_sql(i64::from(get::<i32>(&row, 0)?))?,
            available: count_from_sql(get(&row, 1)?)?,
            last_resort: count_from_sql(get(&row, 2)?)?,
        });
    }
    Ok(counts)
}

/// Runs `$op` (an expression over `conn: &mut PgConn`) on a leased
/// connection, retrying deadlocks and serialization failures.
macro_rules! with_retry {
    ($store:expr, |$conn:ident| $op:expr) => {{
        let mut lease = $store.lease().await?;
        let mut attempt = 0;
        loop {
            let $conn = lease.conn()?;
            match $op.await {
                Ok(value) => {
                    lease.finished = true;
                    break Ok(value);
                }
                Err(Failure::Pg(_, e)) if retryable(&e) && attempt < RETRIES => attempt += 1,
                Err(Failure::Pg(context, e)) => break Err(pg(context)(e)),
                Err(Failure::Store(e)) => break Err(e),
            }
        }
    }};
}

impl Store for PostgresStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn publish(
        &self,
        owner: String,
        items: Vec<NewKeyPackage>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<InsertOutcome>, StoreError>> {
        Box::pin(async move {
            if items.is_empty() {
                return Ok(Vec::new());
            }
            with_retry!(self, |conn| publish_once(conn, &owner, &items, now))
        })
    }

    fn claim(&self, request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        Box::pin(async move { with_retry!(self, |conn| claim_once(conn, &request)) })
    }

    fn count(
        &self,
        owner: Option<String>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<SuiteCount>, StoreError>> {
        Box::pin(async move { with_retry!(self, |conn| count_once(conn, owner.as_deref(), now)) })
    }

    fn prune(&self, now: u64) -> BoxFuture<'_, Result<PruneReport, StoreError>> {
        Box::pin(async move { with_retry!(self, |conn| prune_once(conn, now)) })
    }

    fn delete_owner(&self, owner: String) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move { with_retry!(self, |conn| delete_owner_once(conn, &owner)) })
    }
}
