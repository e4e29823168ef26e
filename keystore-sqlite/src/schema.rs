//! The database schema, its version, and the ordered migrations that bring
//! any older file up to date.
//!
//! The version lives in SQLite's `PRAGMA user_version`, the file's kind in
//! `PRAGMA application_id`; both sit in the database header, change inside
//! the migration's transaction, and so move together with the schema.
//!
//! Times (`not_after`, `reserved_at`) are `u64` seconds stored in SQLite's
//! signed 64-bit integers with the top bit flipped: the mapping is a
//! bijection that keeps the order, so `ORDER BY`, `<` and the index on
//! `not_after` work over the whole `u64` range, `u64::MAX` included.

use rusqlite::{Connection, TransactionBehavior};

use keypackage_traits::KeyStoreError;

use crate::store::sql_error;

/// `PRAGMA application_id` of a key-package store ("KPS1"): a file with
/// another non-zero id is not ours and is refused.
pub const APPLICATION_ID: i32 = 0x4B50_5331;

/// Ordered migrations: entry `i` takes the schema from version `i` to `i + 1`.
/// Never edit a released entry; append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the key-package table. `reference` is the primary key; `init_key`
    // is UNIQUE (RFC 9420 §10); `reserved_at` is NULL while available; the
    // index on `not_after` serves counting and deleting expired entries.
    "CREATE TABLE key_packages (
         reference    BLOB    NOT NULL PRIMARY KEY,
         init_key     BLOB    NOT NULL UNIQUE,
         not_after    INTEGER NOT NULL,
         last_resort  INTEGER NOT NULL CHECK (last_resort IN (0, 1)),
         reserved_at  INTEGER CHECK (reserved_at IS NULL OR last_resort = 0),
         bundle       BLOB    NOT NULL
     );
     CREATE INDEX key_packages_not_after ON key_packages (not_after);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Maps a `u64` time to the order-preserving signed value stored in SQLite.
pub(crate) fn time_to_sql(time: u64) -> i64 {
    i64::from_be_bytes((time ^ (1 << 63)).to_be_bytes())
}

/// Inverse of [`time_to_sql`].
pub(crate) fn time_from_sql(value: i64) -> u64 {
    u64::from_be_bytes(value.to_be_bytes()) ^ (1 << 63)
}

/// Brings the database to [`SCHEMA_VERSION`] in one immediate transaction,
/// so a crash leaves either the old or the new schema. Refuses a file that
/// belongs to another application or to a newer version of this crate.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, KeyStoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error("begin migration"))?;
    let application_id: i32 = tx
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(sql_error("read application_id"))?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sql_error("read user_version"))?;
    let tables: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(sql_error("read schema"))?;

    if application_id != APPLICATION_ID && (application_id != 0 || tables != 0) {
        return Err(KeyStoreError::Corrupt {
            detail: format!(
                "not a key-package store (application_id {application_id:#x}, {tables} schema objects)"
            ),
        });
    }
    let current = usize::try_from(version).map_err(|_| KeyStoreError::Corrupt {
        detail: format!("negative schema version {version}"),
    })?;
    if current > MIGRATIONS.len() {
        return Err(KeyStoreError::Corrupt {
            detail: format!("schema version {current} is newer than this build's {SCHEMA_VERSION}"),
        });
    }
    for migration in MIGRATIONS.iter().skip(current) {
        tx.execute_batch(migration)
            .map_err(sql_error("apply migration"))?;
    }
    if current < MIGRATIONS.len() {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sql_error("write user_version"))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(sql_error("write application_id"))?;
    }
    tx.commit().map_err(sql_error("commit migration"))?;
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_mapping_keeps_order_and_round_trips() {
        let samples = [0, 1, 41, (1 << 63) - 1, 1 << 63, u64::MAX - 1, u64::MAX];
        for pair in samples.windows(2) {
            assert!(time_to_sql(pair[0]) < time_to_sql(pair[1]), "{pair:?}");
        }
        for time in samples {
            assert_eq!(time_from_sql(time_to_sql(time)), time);
        }
        assert_eq!(time_to_sql(0), i64::MIN);
        assert_eq!(time_to_sql(u64::MAX), i64::MAX);
    }
}
