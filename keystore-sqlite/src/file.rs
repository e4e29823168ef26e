//! Everything `SqliteKeyStore::open` does to the file before SQLite writes
//! to it: no symbolic link, our own regular file, our kind of database (read
//! from the header with plain reads, so a file that is not ours is refused
//! exactly as it was), owner-only permissions set on the open descriptor.
//!
//! POSIX drops every lock a process holds on a file when it closes *any*
//! descriptor of that file, so this module must never open and close the
//! database while a SQLite connection of this process has it open (SQLite
//! documents this as a way to corrupt a database). [`Registry`] counts the
//! stores open per file in this process, and the checks run only while
//! none is: a second store on the same file relies on the first one's.
//!
//! The registry also gives the stores of one file a shared write gate: their
//! writes queue on a mutex instead of polling SQLite's lock with back-off,
//! which under contention lets one connection lose the race for seconds.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

use keypackage_traits::KeyStoreError;

use crate::schema::{APPLICATION_ID, SCHEMA_VERSION};
use crate::store::sql_error;

/// Owner read and write, nothing for anyone else.
pub(crate) const FILE_MODE: u32 = 0o600;

/// The first 16 bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Length of the SQLite database header.
const HEADER_LEN: usize = 100;
/// Offsets of big-endian 4-byte fields in the header.
const USER_VERSION_AT: usize = 60;
const APPLICATION_ID_AT: usize = 68;

fn io_error(context: &'static str) -> impl Fn(std::io::Error) -> KeyStoreError {
    move |err| KeyStoreError::Storage(format!("{context}: {err}"))
}

/// `O_NOFOLLOW` for `OpenOptionsExt::custom_flags`.
fn no_follow() -> i32 {
    i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0)
}

/// (device, inode) of a file: what identifies it across paths.
pub(crate) type FileId = (u64, u64);

fn id_of(metadata: &fs::Metadata) -> FileId {
    (metadata.dev(), metadata.ino())
}

/// The stores of this process that have a file open, and their gate.
struct Open {
    stores: usize,
    gate: Arc<Mutex<()>>,
}

/// The stores open in this process, per file.
static OPEN: Mutex<BTreeMap<FileId, Open>> = Mutex::new(BTreeMap::new());

/// Serializes opening, and counts the open stores of each file.
pub(crate) struct Registry {
    guard: MutexGuard<'static, BTreeMap<FileId, Open>>,
}

/// A store's place in the [`Registry`]; dropped after its connection.
#[derive(Debug)]
pub(crate) struct Registration {
    id: FileId,
    gate: Arc<Mutex<()>>,
}

impl Registration {
    /// The write gate shared by the stores of this file in this process.
    pub(crate) fn gate(&self) -> &Mutex<()> {
        &self.gate
    }
}

impl Registry {
    /// Holds the registry's lock until dropped, so no other store of this
    /// process opens or closes a file meanwhile.
    pub(crate) fn lock() -> Result<Self, KeyStoreError> {
        OPEN.lock()
            .map(|guard| Self { guard })
            .map_err(|_| KeyStoreError::Storage("store registry poisoned".into()))
    }

    /// Whether a store of this process has the file open.
    pub(crate) fn is_open(&self, id: FileId) -> bool {
        self.guard.get(&id).is_some_and(|open| open.stores > 0)
    }

    /// Counts one more open store of `id`.
    pub(crate) fn register(mut self, id: FileId) -> Registration {
        let open = self.guard.entry(id).or_insert_with(|| Open {
            stores: 0,
            gate: Arc::new(Mutex::new(())),
        });
        open.stores += 1;
        Registration {
            id,
            gate: Arc::clone(&open.gate),
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // A poisoned registry only loses the count: the next open then
        // skips its own checks on this file, it never corrupts it.
        if let Ok(mut open) = OPEN.lock()
            && let Some(entry) = open.get_mut(&self.id)
        {
            entry.stores = entry.stores.saturating_sub(1);
            if entry.stores == 0 {
                open.remove(&self.id);
            }
        }
    }
}

/// The effective uid of this process (rustix: a safe `geteuid`).
fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// What the header says the file is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Empty: a new store.
    Empty,
    /// A key-package store of a schema this build can open.
    Ours,
    /// A SQLite database without an application id: ours only if it holds
    /// no schema at all (a store whose first open stopped before its
    /// migration committed).
    Unclaimed,
}

/// Reads the header and decides; refuses (changing nothing) a file that
/// is not SQLite, another application's database, or a newer schema.
fn classify(file: &File, len: u64) -> Result<Kind, KeyStoreError> {
    if len == 0 {
        return Ok(Kind::Empty);
    }
    let mut header = [0u8; HEADER_LEN];
    let not_sqlite = || KeyStoreError::Corrupt("not a SQLite database".into());
    file.read_exact_at(&mut header, 0).map_err(|err| {
        if err.kind() == ErrorKind::UnexpectedEof {
            not_sqlite()
        } else {
            io_error("read database header")(err)
        }
    })?;
    let field = |at: usize| -> u32 {
        let bytes = header
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok());
        bytes.map_or(0, u32::from_be_bytes)
    };
    if !header.starts_with(SQLITE_MAGIC) {
        return Err(not_sqlite());
    }
    let application_id = field(APPLICATION_ID_AT);
    let user_version = field(USER_VERSION_AT);
    if application_id == 0 {
        return Ok(Kind::Unclaimed);
    }
    if application_id != APPLICATION_ID.cast_unsigned() {
        return Err(KeyStoreError::Corrupt(format!(
            "not a key-package store (application_id {application_id:#x})"
        )));
    }
    if user_version > SCHEMA_VERSION {
        return Err(KeyStoreError::Corrupt(format!(
            "schema version {user_version} is newer than this build's {SCHEMA_VERSION}"
        )));
    }
    Ok(Kind::Ours)
}

/// An unclaimed database is ours only when it has no schema object; asked
/// through a read-only connection, which writes nothing to the file.
fn check_unclaimed(path: &Path) -> Result<(), KeyStoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = Connection::open_with_flags(path, flags).map_err(sql_error("probe"))?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(sql_error("probe schema"))?;
    if objects != 0 {
        return Err(KeyStoreError::Corrupt(format!(
            "not a key-package store (no application_id, {objects} schema objects)"
        )));
    }
    Ok(())
}

/// Checks and prepares the database file before SQLite opens it for
/// writing: opened with `O_NOFOLLOW` (created `0600` if missing), a regular
/// file owned by the effective user, a SQLite header of ours (or an empty
/// file), and only then restricted to `0600` through the open descriptor.
/// Returns the file's identity, to check that SQLite opened the same file.
///
/// Skipped (returns `None`) when a store of this process already has the
/// file open: its open made the same checks, and closing a descriptor here
/// would drop that connection's locks.
pub(crate) fn prepare(path: &Path, registry: &Registry) -> Result<Option<FileId>, KeyStoreError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if registry.is_open(id_of(&metadata)) => return Ok(None),
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(KeyStoreError::Storage(
                "the database path is a symbolic link".into(),
            ));
        }
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(io_error("stat database file")(err)),
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .custom_flags(no_follow())
        .open(path)
        .map_err(|err| {
            // ELOOP: a symbolic link appeared since the check above.
            if err.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                KeyStoreError::Storage("the database path is a symbolic link".into())
            } else {
                io_error("open database file")(err)
            }
        })?;
    let metadata = file.metadata().map_err(io_error("stat database file"))?;
    if !metadata.is_file() {
        return Err(KeyStoreError::Storage(
            "the database path is not a regular file".into(),
        ));
    }
    let (owner, me) = (metadata.uid(), effective_uid());
    if owner != me {
        return Err(KeyStoreError::Storage(format!(
            "the database file belongs to uid {owner}, not to this user ({me})"
        )));
    }
    if classify(&file, metadata.len())? == Kind::Unclaimed {
        check_unclaimed(path)?;
    }
    if metadata.permissions().mode() & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))
            .map_err(io_error("restrict database file permissions"))?;
    }
    Ok(Some(id_of(&metadata)))
}

/// The identity of the file now at `path` (not following a link).
pub(crate) fn id_at(path: &Path) -> Result<FileId, KeyStoreError> {
    fs::symlink_metadata(path)
        .map(|m| id_of(&m))
        .map_err(io_error("stat database file"))
}

/// The path of a companion file (`-journal`, `-wal`, `-shm`).
pub(crate) fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Restricts the companion files that exist to `0600`, through descriptors
/// opened with `O_NOFOLLOW` (a link is refused). SQLite locks none of them
/// in rollback-journal mode, so opening and closing them here is harmless.
pub(crate) fn tighten_companions(path: &Path) -> Result<(), KeyStoreError> {
    for suffix in ["-journal", "-wal", "-shm"] {
        let companion = companion(path, suffix);
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(no_follow())
            .open(&companion)
        {
            Ok(file) => file,
            Err(err) if err.kind() == ErrorKind::NotFound => continue,
            Err(err) => return Err(io_error("open companion file")(err)),
        };
        let metadata = file.metadata().map_err(io_error("stat companion file"))?;
        if metadata.permissions().mode() & 0o077 != 0 {
            file.set_permissions(fs::Permissions::from_mode(FILE_MODE))
                .map_err(io_error("restrict companion file permissions"))?;
        }
    }
    Ok(())
}
