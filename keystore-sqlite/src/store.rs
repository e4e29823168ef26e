//! [`SqliteKeyStore`]: the [`KeyStore`] trait over one SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

use keypackage_traits::{
    HpkePublicKey, KeyPackageRef, KeyStore, KeyStoreError, Secret, StoreCounts, StoredKeyPackage,
    StoredSummary,
};

use crate::file::{self, Registration, Registry};
use crate::schema::{self, time_from_sql, time_to_sql};

/// How long a call waits for another process's write lock before it fails
/// with [`KeyStoreError::Storage`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`KeyStore`] in a SQLite database file, durable across crashes and
/// power loss, safe to share between threads and between processes.
///
/// * Before SQLite writes anything, `open` opens the path with `O_NOFOLLOW`
///   (a symbolic link is refused), refuses a file that is not a regular
///   file, belongs to another user, or whose header is not an empty or
///   key-package database of a schema this build knows (such a file is
///   left exactly as it was), and restricts the file to `0600` through the
///   open descriptor. SQLite then opens it with `SQLITE_OPEN_NOFOLLOW`.
/// * Erasure is part of every operation: `journal_mode = TRUNCATE` (a
///   rollback journal, truncated to zero bytes when each transaction
///   commits), `secure_delete = ON` (freed cells and pages are overwritten
///   with zeros in the database file) and `temp_store = MEMORY` (no
///   statement journal or temporary table on disk). When `take`, `confirm`,
///   `delete` or `delete_expired` return `Ok`, no byte of an erased bundle
///   is left in the database file or in its journal; no checkpoint is
///   needed, and no reader can postpone it. A reader of another connection
///   that holds a read transaction open makes a write wait (up to the busy
///   timeout, [`BUSY_TIMEOUT`] by default) and then fail with
///   [`KeyStoreError::Storage`], having changed nothing: the key package is
///   still stored, never lost and never reported erased while it is not.
///   docs/DESIGN.md §8 argues this design and its cost.
/// * `synchronous = FULL`: a call that returned `Ok` has reached the disk
///   (the journal's truncation included, so a power loss cannot roll a
///   committed transaction back).
/// * Every write, `store` and `take` included, runs in one `BEGIN IMMEDIATE`
///   transaction, which takes the database's write lock before it reads; two
///   takers, in this process or another, are serialized and at most one gets
///   a normal key package. A failed call rolls back and changes nothing.
///   [`store_many`](KeyStore::store_many) writes a whole batch in one
///   transaction.
/// * The schema is versioned (`PRAGMA user_version`) and migrated in order
///   on open. A store written in WAL mode by an earlier version is switched
///   to the rollback journal on open (which needs no other connection open).
pub struct SqliteKeyStore {
    // Dropped in this order: the connection, then the registration.
    conn: Mutex<Connection>,
    path: PathBuf,
    registration: Registration,
}

impl fmt::Debug for SqliteKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteKeyStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Maps a SQLite error, with what was being done, to a [`KeyStoreError`]:
/// a damaged file or a value of the wrong type is `Corrupt`, anything else
/// is `Storage`.
pub(crate) fn sql_error(context: &'static str) -> impl Fn(rusqlite::Error) -> KeyStoreError {
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
            KeyStoreError::Corrupt(format!("{context}: {err}"))
        } else {
            KeyStoreError::Storage(format!("{context}: {err}"))
        }
    }
}

/// A row as read, before its values are checked.
struct RawRow {
    reference: Vec<u8>,
    init_key: Vec<u8>,
    not_after: i64,
    last_resort: i64,
    reserved_at: Option<i64>,
    bundle: Secret,
}

const ROW_COLUMNS: &str = "reference, init_key, not_after, last_resort, reserved_at, bundle";

impl RawRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            reference: row.get(0)?,
            init_key: row.get(1)?,
            not_after: row.get(2)?,
            last_resort: row.get(3)?,
            reserved_at: row.get(4)?,
            // Wrapped at once, so the bytes are zeroized on every path.
            bundle: Secret::new(row.get(5)?),
        })
    }

    /// The entry and its reservation; `Corrupt` for a value this crate
    /// never writes, or a row that does not describe its bundle.
    fn check(self) -> Result<(StoredKeyPackage, Option<u64>), KeyStoreError> {
        let last_resort = flag(self.last_resort)?;
        Ok((
            StoredKeyPackage::from_store_row(
                KeyPackageRef::new(self.reference),
                HpkePublicKey::new(self.init_key),
                time_from_sql(self.not_after),
                last_resort,
                self.bundle,
            )?,
            self.reserved_at.map(time_from_sql),
        ))
    }
}

fn flag(value: i64) -> Result<bool, KeyStoreError> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(KeyStoreError::Corrupt(format!("last_resort is {other}"))),
    }
}

fn count_from_sql(value: i64) -> Result<usize, KeyStoreError> {
    usize::try_from(value).map_err(|_| KeyStoreError::Corrupt(format!("count is {value}")))
}

/// Reads one row by reference inside a transaction.
fn select(
    tx: &Transaction<'_>,
    reference: &KeyPackageRef,
) -> Result<Option<(StoredKeyPackage, Option<u64>)>, KeyStoreError> {
    let sql = format!("SELECT {ROW_COLUMNS} FROM key_packages WHERE reference = ?1");
    tx.prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_row([reference.as_slice()], RawRow::read)
                .optional()
        })
        .map_err(sql_error("select key package"))?
        .map(RawRow::check)
        .transpose()
}

impl SqliteKeyStore {
    /// Opens the store at `path`, creating the file (mode `0600`) and the
    /// schema when missing, and migrating an older schema. The checks listed
    /// on [`SqliteKeyStore`] run first; an existing file of ours that group
    /// or others may access is restricted to `0600` (an error if that is not
    /// permitted). The parent directory must exist, and should be the
    /// user's own: whoever can write to it can replace the file between two
    /// opens.
    ///
    /// # Errors
    ///
    /// [`KeyStoreError::Storage`] when the path is a symbolic link, not a
    /// regular file, owned by another user, cannot be created or opened, or
    /// the database is locked for longer than [`BUSY_TIMEOUT`];
    /// [`KeyStoreError::Corrupt`] for a file that is not a SQLite database,
    /// belongs to another application, or was written by a newer version of
    /// this crate. A refused file is not modified.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, KeyStoreError> {
        let path = path.as_ref().to_path_buf();
        let registry = Registry::lock()?;
        let checked = file::prepare(&path, &registry)?;
        // No SQLITE_OPEN_CREATE: the file checked above is the one SQLite
        // uses. No SQLITE_OPEN_URI: the path is taken literally.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(sql_error("open"))?;
        let id = file::id_at(&path)?;
        if checked.is_some_and(|checked| checked != id) {
            return Err(KeyStoreError::Storage(
                "the database file was replaced while it was being opened".into(),
            ));
        }
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql_error("set busy timeout"))?;
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(sql_error("set secure_delete"))?;
        conn.pragma_update(None, "trusted_schema", "OFF")
            .map_err(sql_error("set trusted_schema"))?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(sql_error("set temp_store"))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "TRUNCATE", |row| row.get(0))
            .map_err(sql_error("set journal_mode"))?;
        if !mode.eq_ignore_ascii_case("truncate") {
            return Err(KeyStoreError::Storage(format!(
                "journal_mode TRUNCATE refused (still {mode}: another connection has the \
                 store open in that mode)"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql_error("set synchronous"))?;
        schema::migrate(&mut conn)?;
        if checked.is_some() {
            file::tighten_companions(&path)?;
        }
        Ok(Self {
            conn: Mutex::new(conn),
            path,
            registration: registry.register(id),
        })
    }

    /// How long a call waits for another connection's lock before it fails
    /// with [`KeyStoreError::Storage`] (default [`BUSY_TIMEOUT`]).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), KeyStoreError> {
        self.lock()?
            .busy_timeout(timeout)
            .map_err(sql_error("set busy timeout"))
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file (equal to
    /// [`SCHEMA_VERSION`](crate::SCHEMA_VERSION) after `open`).
    pub fn schema_version(&self) -> Result<u32, KeyStoreError> {
        let conn = self.lock()?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sql_error("read user_version"))?;
        u32::try_from(version)
            .map_err(|_| KeyStoreError::Corrupt(format!("schema version {version}")))
    }

    /// Runs SQLite's full `PRAGMA integrity_check`; `Corrupt` with SQLite's
    /// first findings unless it reports `ok`.
    pub fn integrity_check(&self) -> Result<(), KeyStoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare("PRAGMA integrity_check")
            .map_err(sql_error("integrity_check"))?;
        let findings: Vec<String> = stmt
            .query_map([], |row| row.get(0))
            .and_then(|rows| rows.take(10).collect())
            .map_err(sql_error("integrity_check"))?;
        if findings.len() == 1 && findings.first().is_some_and(|f| f == "ok") {
            Ok(())
        } else {
            Err(KeyStoreError::Corrupt(findings.join("; ")))
        }
    }

    /// Truncates the rollback journal and the `-wal` file of a store that an
    /// earlier version left in WAL mode. Every operation already erases on
    /// its own (see [`SqliteKeyStore`]); this is kept for callers of the
    /// WAL-era API and does nothing more than SQLite's
    /// `PRAGMA wal_checkpoint(TRUNCATE)`.
    pub fn checkpoint(&self) -> Result<(), KeyStoreError> {
        let conn = self.lock()?;
        let (busy, _, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .map_err(sql_error("checkpoint"))?;
        if busy != 0 {
            return Err(KeyStoreError::Storage(
                "checkpoint blocked by another connection".into(),
            ));
        }
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, KeyStoreError> {
        self.conn.lock().map_err(|_| {
            KeyStoreError::Storage("connection lock poisoned by a panic in another thread".into())
        })
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed when `f`
    /// returns `Ok`, rolled back otherwise (and when the commit fails).
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, KeyStoreError>,
    ) -> Result<T, KeyStoreError> {
        // Writers of this process queue here first (file.rs); SQLite's lock
        // then only arbitrates between processes.
        // The gate guards no data, so a panic elsewhere cannot leave it
        // inconsistent: a poisoned gate is used as it is.
        let _gate = self
            .registration
            .gate()
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error("begin"))?;
        let value = f(&tx)?;
        tx.commit().map_err(sql_error("commit"))?;
        Ok(value)
    }
}

fn execute(
    tx: &Transaction<'_>,
    context: &'static str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize, KeyStoreError> {
    tx.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .map_err(sql_error(context))
}

fn exists(tx: &Transaction<'_>, sql: &str, key: &[u8]) -> Result<bool, KeyStoreError> {
    tx.prepare_cached(sql)
        .and_then(|mut stmt| stmt.exists([key]))
        .map_err(sql_error("check duplicates"))
}

/// Inserts one entry inside a write transaction, refusing a duplicate
/// reference, then a duplicate init key (the rows of this transaction
/// included, so a batch is checked against itself too).
fn insert(tx: &Transaction<'_>, entry: &StoredKeyPackage) -> Result<(), KeyStoreError> {
    if exists(
        tx,
        "SELECT 1 FROM key_packages WHERE reference = ?1",
        entry.reference().as_slice(),
    )? {
        return Err(KeyStoreError::DuplicateReference);
    }
    if exists(
        tx,
        "SELECT 1 FROM key_packages WHERE init_key = ?1",
        entry.init_key().as_slice(),
    )? {
        return Err(KeyStoreError::DuplicateInitKey);
    }
    execute(
        tx,
        "insert key package",
        "INSERT INTO key_packages
             (reference, init_key, not_after, last_resort, reserved_at, bundle)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
        params![
            entry.reference().as_slice(),
            entry.init_key().as_slice(),
            time_to_sql(entry.not_after()),
            i64::from(entry.last_resort()),
            entry.bundle().expose(),
        ],
    )?;
    Ok(())
}

impl KeyStore for SqliteKeyStore {
    fn store(&self, entry: StoredKeyPackage) -> Result<(), KeyStoreError> {
        self.write(|tx| insert(tx, &entry))
    }

    fn store_many(&self, entries: Vec<StoredKeyPackage>) -> Result<(), KeyStoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.write(|tx| entries.iter().try_for_each(|entry| insert(tx, entry)))
    }

    fn get(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        let conn = self.lock()?;
        let sql = format!("SELECT {ROW_COLUMNS} FROM key_packages WHERE reference = ?1");
        conn.prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_row([reference.as_slice()], RawRow::read)
                    .optional()
            })
            .map_err(sql_error("get key package"))?
            .map(|raw| raw.check().map(|(entry, _)| entry))
            .transpose()
    }

    fn take(&self, reference: &KeyPackageRef) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        self.write(|tx| match select(tx, reference)? {
            None => Ok(None),
            Some((entry, _)) if entry.last_resort() => Ok(Some(entry)),
            Some((_, Some(_))) => Ok(None),
            Some((entry, None)) => {
                execute(
                    tx,
                    "delete taken key package",
                    "DELETE FROM key_packages WHERE reference = ?1",
                    [reference.as_slice()],
                )?;
                Ok(Some(entry))
            }
        })
    }

    fn reserve(
        &self,
        reference: &KeyPackageRef,
        now: u64,
    ) -> Result<Option<StoredKeyPackage>, KeyStoreError> {
        self.write(|tx| match select(tx, reference)? {
            None => Ok(None),
            Some((entry, _)) if entry.last_resort() => Ok(Some(entry)),
            Some((_, Some(_))) => Ok(None),
            Some((entry, None)) => {
                execute(
                    tx,
                    "reserve key package",
                    "UPDATE key_packages SET reserved_at = ?2 WHERE reference = ?1",
                    params![reference.as_slice(), time_to_sql(now)],
                )?;
                Ok(Some(entry))
            }
        })
    }

    fn confirm(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        self.write(|tx| {
            let erased = execute(
                tx,
                "confirm key package",
                "DELETE FROM key_packages
                 WHERE reference = ?1 AND reserved_at IS NOT NULL AND last_resort = 0",
                [reference.as_slice()],
            )?;
            Ok(erased == 1)
        })
    }

    fn release(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        self.write(|tx| {
            let released = execute(
                tx,
                "release key package",
                "UPDATE key_packages SET reserved_at = NULL
                 WHERE reference = ?1 AND reserved_at IS NOT NULL",
                [reference.as_slice()],
            )?;
            Ok(released == 1)
        })
    }

    fn release_stale(&self, reserved_before: u64) -> Result<usize, KeyStoreError> {
        self.write(|tx| {
            execute(
                tx,
                "release stale reservations",
                "UPDATE key_packages SET reserved_at = NULL
                 WHERE reserved_at IS NOT NULL AND reserved_at < ?1",
                [time_to_sql(reserved_before)],
            )
        })
    }

    fn delete(&self, reference: &KeyPackageRef) -> Result<bool, KeyStoreError> {
        self.write(|tx| {
            let deleted = execute(
                tx,
                "delete key package",
                "DELETE FROM key_packages WHERE reference = ?1",
                [reference.as_slice()],
            )?;
            Ok(deleted == 1)
        })
    }

    fn list(&self) -> Result<Vec<StoredSummary>, KeyStoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT reference, not_after, last_resort, reserved_at FROM key_packages
                 ORDER BY not_after, reference",
            )
            .map_err(sql_error("list key packages"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                ))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(sql_error("list key packages"))?;
        rows.into_iter()
            .map(|(reference, not_after, last_resort, reserved_at)| {
                Ok(StoredSummary {
                    reference: KeyPackageRef::new(reference),
                    not_after: time_from_sql(not_after),
                    last_resort: flag(last_resort)?,
                    reserved_at: reserved_at.map(time_from_sql),
                })
            })
            .collect()
    }

    fn count(&self, now: u64) -> Result<StoreCounts, KeyStoreError> {
        let conn = self.lock()?;
        let (total, unexpired, last_resort, reserved): (i64, i64, i64, i64) = conn
            .prepare_cached(
                "SELECT count(*),
                        coalesce(sum(not_after >= ?1), 0),
                        coalesce(sum(not_after >= ?1 AND last_resort = 1), 0),
                        coalesce(sum(not_after >= ?1 AND reserved_at IS NOT NULL), 0)
                 FROM key_packages",
            )
            .and_then(|mut stmt| {
                stmt.query_row([time_to_sql(now)], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
            })
            .map_err(sql_error("count key packages"))?;
        Ok(StoreCounts {
            total: count_from_sql(total)?,
            unexpired: count_from_sql(unexpired)?,
            last_resort: count_from_sql(last_resort)?,
            reserved: count_from_sql(reserved)?,
        })
    }

    fn delete_expired(&self, now: u64) -> Result<usize, KeyStoreError> {
        self.write(|tx| {
            execute(
                tx,
                "delete expired key packages",
                "DELETE FROM key_packages WHERE not_after < ?1 AND reserved_at IS NULL",
                [time_to_sql(now)],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    struct Dir(PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn dir(tag: &str) -> Dir {
        let path =
            std::env::temp_dir().join(format!("keystore-sqlite-unit-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    #[test]
    fn connection_runs_truncate_journal_full_sync_and_secure_delete() {
        let dir = dir("pragmas");
        let store = SqliteKeyStore::open(dir.0.join("k.db")).unwrap();
        let conn = store.lock().unwrap();
        let pragma = |name: &str| -> String {
            conn.pragma_query_value(None, name, |row| {
                row.get::<_, rusqlite::types::Value>(0)
                    .map(|v| format!("{v:?}"))
            })
            .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"truncate\")");
        assert_eq!(pragma("temp_store"), "Integer(2)"); // MEMORY
        assert_eq!(pragma("synchronous"), "Integer(2)"); // FULL
        assert_eq!(pragma("secure_delete"), "Integer(1)");
        assert_eq!(pragma("trusted_schema"), "Integer(0)");
        assert_eq!(
            pragma("application_id"),
            format!("Integer({})", schema::APPLICATION_ID)
        );
        assert_eq!(
            pragma("user_version"),
            format!("Integer({})", schema::SCHEMA_VERSION)
        );
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_list('key_packages') ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            indexes.iter().any(|i| i == "key_packages_not_after"),
            "{indexes:?}"
        );
    }

    #[test]
    fn a_failed_write_rolls_back() {
        let dir = dir("rollback");
        let store = SqliteKeyStore::open(dir.0.join("k.db")).unwrap();
        let result: Result<(), KeyStoreError> = store.write(|tx| {
            execute(
                tx,
                "insert",
                "INSERT INTO key_packages VALUES (x'01', x'02', 0, 0, NULL, x'03')",
                [],
            )?;
            Err(KeyStoreError::Storage("injected failure".into()))
        });
        assert!(result.is_err());
        assert_eq!(store.count(0).unwrap().total, 0);
        // The connection is usable afterwards: the transaction was closed.
        assert!(store.delete(&KeyPackageRef::new(vec![1])).is_ok());
    }

    #[test]
    fn poisoned_lock_is_a_storage_error() {
        let dir = dir("poison");
        let store = std::sync::Arc::new(SqliteKeyStore::open(dir.0.join("k.db")).unwrap());
        let poisoner = std::sync::Arc::clone(&store);
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.conn.lock();
            panic!("poison the lock on purpose");
        })
        .join();
        assert!(matches!(store.count(0), Err(KeyStoreError::Storage(_))));
        assert!(matches!(
            store.take(&KeyPackageRef::new(vec![1])),
            Err(KeyStoreError::Storage(_))
        ));
    }
}
