//! Where `kp` keeps private keys: the key store (SQLite) and, next to it,
//! one signature key per (identity, signature scheme).
//!
//! * The key store path is `--keystore PATH`, else `$KP_KEYSTORE`, else
//!   `$XDG_DATA_HOME/keypackage/keystore.sqlite`, else
//!   `$HOME/.local/share/keypackage/keystore.sqlite`. Its directory is
//!   created with mode 0700 when missing.
//! * A client signs all its key packages with one signature key (RFC 9420
//!   §5.3: the leaf's `signature_key` is the client's). `kp generate` keeps
//!   it beside the key store file, in `<key store file>.signature-keys/
//!   <scheme>-<identity in hex>.key` (mode 0600, the private key in hex),
//!   made on first use, so repeated `kp generate --identity alice` share one
//!   signature key. Both backends read the same file (an Ed25519 seed or an
//!   ECDSA scalar). The keys belong to their store: another store file, even
//!   in the same directory, has its own.
//! * A key in that file signs whatever `kp generate` makes, so a key that
//!   someone else planted there must not be used: the directory and the
//!   file are opened without following symbolic links and used only if they
//!   belong to the user and give group and others no access; anything else
//!   is refused with a message that names the path and the fix.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use keypackage_core::traits::{
    CipherSuiteProvider, KeyStore, KeyStoreError, SignaturePrivateKey, SignatureScheme,
};
use keystore_sqlite::SqliteKeyStore;
use zeroize::{Zeroize, Zeroizing};

use crate::error::CliError;

/// The environment variable that overrides the default key store path.
pub(crate) const KEYSTORE_ENV: &str = "KP_KEYSTORE";

/// The key store path: the flag, the environment variable, or the
/// per-user default.
pub(crate) fn resolve_path(flag: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(path) = flag {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = non_empty_env(KEYSTORE_ENV) {
        return Ok(PathBuf::from(path));
    }
    let data_home = match non_empty_env("XDG_DATA_HOME") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        _ => match non_empty_env("HOME") {
            Some(home) => PathBuf::from(home).join(".local").join("share"),
            None => {
                return Err(CliError::usage(format!(
                    "no key store path: set HOME, XDG_DATA_HOME or {KEYSTORE_ENV}, or give --keystore PATH"
                )));
            }
        },
    };
    Ok(data_home.join("keypackage").join("keystore.sqlite"))
}

fn non_empty_env(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The directory that holds the key store file.
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates `dir` and its missing parents with mode 0700.
fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| CliError::io("cannot create directory", Some(dir), &e))
}

/// Opens (creating when missing) the key store for `generate`.
pub(crate) fn open_or_create(path: &Path) -> Result<SqliteKeyStore, CliError> {
    create_private_dir(&directory_of(path))?;
    SqliteKeyStore::open(path).map_err(|e| store_error(path, &e))
}

/// Opens an existing key store for `kp store`: a missing file is an error
/// (most likely a wrong path), not a new empty store.
pub(crate) fn open_existing(path: &Path) -> Result<SqliteKeyStore, CliError> {
    if !path.exists() {
        return Err(CliError::usage(format!(
            "no key store at {} (kp generate creates it; --keystore or {KEYSTORE_ENV} choose another)",
            path.display()
        )));
    }
    SqliteKeyStore::open(path).map_err(|e| store_error(path, &e))
}

/// A key-store error as one line naming the file.
pub(crate) fn store_error(path: &Path, error: &KeyStoreError) -> CliError {
    CliError::store(format!("key store {}: {error}", path.display()))
}

/// Short file-name form of a signature scheme.
fn scheme_tag(scheme: SignatureScheme) -> &'static str {
    match scheme {
        SignatureScheme::Ed25519 => "ed25519",
        SignatureScheme::Ed448 => "ed448",
        SignatureScheme::EcdsaSecp256r1Sha256 => "p256",
        SignatureScheme::EcdsaSecp384r1Sha384 => "p384",
        SignatureScheme::EcdsaSecp521r1Sha512 => "p521",
    }
}

/// Where the signature key of `identity` for `scheme` lives:
/// `<key store file>.signature-keys/<scheme>-<identity in hex>.key`.
pub(crate) fn signature_key_path(
    keystore: &Path,
    identity: &str,
    scheme: SignatureScheme,
) -> PathBuf {
    let mut dir = keystore.as_os_str().to_owned();
    dir.push(".signature-keys");
    PathBuf::from(dir).join(format!(
        "{}-{}.key",
        scheme_tag(scheme),
        hex::encode(identity.as_bytes())
    ))
}

/// The client's signer for `identity` under the suite's scheme: loaded from
/// its file, or made and saved (durably, mode 0600) on first use. The
/// directory and an existing file must be the user's own and private
/// ([`open_private_dir`], [`read_key_file`]).
pub(crate) fn load_or_create_signer<S: CipherSuiteProvider>(
    suite: &S,
    keystore: &Path,
    identity: &str,
) -> Result<S::Signer, CliError> {
    let path = signature_key_path(keystore, identity, suite.info().signature);
    let dir = directory_of(&path);
    let dir_handle = open_private_dir(&dir)?;
    let private = match read_key_file(&path)? {
        Some(private) => private,
        None => {
            let pair = suite
                .signature_generate_key_pair()
                .map_err(|e| CliError::internal(format!("cannot make a signature key: {e}")))?;
            match publish_key_file(&path, &dir_handle, &pair.private)? {
                // Another `kp generate` made the same key at the same time:
                // use the one that won.
                false => read_key_file(&path)?
                    .ok_or_else(|| CliError::internal(format!("{} vanished", path.display())))?,
                true => pair.private,
            }
        }
    };
    suite.signer(&private).map_err(|e| {
        CliError::store(format!(
            "signature key {} is not a valid {:?} key: {e}",
            path.display(),
            suite.info().signature
        ))
    })
}

/// The user id that owns what this process creates (its effective user id;
/// on Linux, precisely its file-system user id, which is what file
/// ownership is compared with). Read as the owner of a pipe the process
/// makes for the purpose: the kernel gives a new pipe the creator's
/// effective (Linux: file-system) uid. `geteuid` itself needs `unsafe`
/// (forbidden here) or a dependency; `/proc/self/status` exists on Linux
/// only.
fn own_uid() -> io::Result<u32> {
    let (reader, _writer) = io::pipe()?;
    Ok(File::from(OwnedFd::from(reader)).metadata()?.uid())
}

/// Whether a path is a signature key file or their directory, for messages.
#[derive(Clone, Copy)]
enum Private {
    Directory,
    KeyFile,
}

impl Private {
    fn what(self) -> &'static str {
        match self {
            Self::Directory => "signature key directory",
            Self::KeyFile => "signature key",
        }
    }

    fn mode(self) -> u32 {
        match self {
            Self::Directory => 0o700,
            Self::KeyFile => 0o600,
        }
    }
}

/// A refusal: names the path, why, and the fix.
fn refuse(kind: Private, path: &Path, why: &str, fix: &str) -> CliError {
    CliError::store(format!(
        "{} {} {why}: refused; to fix: {fix}",
        kind.what(),
        path.display()
    ))
}

/// The type of a file, for messages.
fn type_name(file_type: fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_file() {
        "a regular file"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Checks the metadata of an open signature key file or directory (taken
/// from the open descriptor, so it is the object that will be read): of the
/// right type, owned by this user, no permission bit for group or others.
fn check_private(kind: Private, path: &Path, metadata: &fs::Metadata) -> Result<(), CliError> {
    let file_type = metadata.file_type();
    let right_type = match kind {
        Private::Directory => file_type.is_dir(),
        Private::KeyFile => file_type.is_file(),
    };
    if !right_type {
        let fix = match kind {
            Private::Directory => format!(
                "move it away (mv {0} {0}.old); kp generate then makes the directory",
                path.display()
            ),
            Private::KeyFile => format!(
                "remove it (rm {}); kp generate then makes a new key",
                path.display()
            ),
        };
        return Err(refuse(
            kind,
            path,
            &format!("is {}", type_name(file_type)),
            &fix,
        ));
    }
    let me = own_uid().map_err(|e| CliError::io("cannot learn the user id for", Some(path), &e))?;
    if metadata.uid() != me {
        let recursive = match kind {
            Private::Directory => "-R ",
            Private::KeyFile => "",
        };
        return Err(refuse(
            kind,
            path,
            &format!(
                "is owned by uid {}, not by you (uid {me}): its keys may not be yours",
                metadata.uid()
            ),
            &format!(
                "chown {recursive}{me} {} if they are, else remove it",
                path.display()
            ),
        ));
    }
    let mode = metadata.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(refuse(
            kind,
            path,
            &format!("has mode {mode:04o}, open to group or others"),
            &format!("chmod {:o} {}", kind.mode(), path.display()),
        ));
    }
    Ok(())
}

/// Opens the signature key directory, creating it (mode 0700, with missing
/// parents) when it does not exist. A symbolic link is refused, and the
/// directory is opened without following one (`O_NOFOLLOW`), then checked on
/// the open descriptor ([`check_private`]).
fn open_private_dir(dir: &Path) -> Result<File, CliError> {
    match fs::symlink_metadata(dir) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(refuse(
                Private::Directory,
                dir,
                "is a symbolic link",
                &format!(
                    "replace the link with a directory of your own (rm {0}; mkdir -m 700 {0}) and move the keys into it",
                    dir.display()
                ),
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => create_private_dir(dir)?,
        Err(e) => return Err(CliError::io("cannot read", Some(dir), &e)),
    }
    let handle = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
        .open(dir)
        .map_err(|e| {
            // Replaced between the two looks: by a link, or by something
            // that is not a directory.
            match fs::symlink_metadata(dir) {
                Ok(metadata) if !metadata.is_dir() => refuse(
                    Private::Directory,
                    dir,
                    &format!("is {}", type_name(metadata.file_type())),
                    &format!(
                        "move it away (mv {0} {0}.old); kp generate then makes the directory",
                        dir.display()
                    ),
                ),
                _ => CliError::io("cannot open directory", Some(dir), &e),
            }
        })?;
    let metadata = handle
        .metadata()
        .map_err(|e| CliError::io("cannot read", Some(dir), &e))?;
    check_private(Private::Directory, dir, &metadata)?;
    Ok(handle)
}

/// The largest key file read: the longest key, a P-521 scalar of 66 bytes,
/// is 132 hex digits.
const KEY_FILE_MAX: usize = 1024;

/// Reads a key file; `None` when it does not exist. It is opened without
/// following a symbolic link (`O_NOFOLLOW`) and without waiting for a
/// writer (`O_NONBLOCK`: a FIFO is refused, not waited on), then checked on
/// the open descriptor ([`check_private`]). The text and the decoded bytes
/// are held in buffers that are wiped after use.
fn read_key_file(path: &Path) -> Result<Option<SignaturePrivateKey>, CliError> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(match fs::symlink_metadata(path) {
                Ok(metadata) if metadata.file_type().is_symlink() => refuse(
                    Private::KeyFile,
                    path,
                    "is a symbolic link",
                    &format!(
                        "if the key it points to is yours, put that file itself there (mode 0600); else remove the link (rm {})",
                        path.display()
                    ),
                ),
                _ => CliError::io("cannot read signature key", Some(path), &e),
            });
        }
    };
    let metadata = file
        .metadata()
        .map_err(|e| CliError::io("cannot read signature key", Some(path), &e))?;
    check_private(Private::KeyFile, path, &metadata)?;
    let mut text = Zeroizing::new(vec![0u8; KEY_FILE_MAX + 1]);
    let length = read_into(&file, &mut text)
        .map_err(|e| CliError::io("cannot read signature key", Some(path), &e))?;
    let damaged = |why: String| {
        CliError::store(format!(
            "signature key {} is damaged ({why})",
            path.display()
        ))
    };
    if length > KEY_FILE_MAX {
        return Err(damaged(format!("larger than {KEY_FILE_MAX} bytes")));
    }
    let bytes = decode_key_text(&mut text, length).map_err(|e| damaged(format!("not hex: {e}")))?;
    Ok(Some(bytes))
}

/// Reads `file` into `buffer` until the end or until the buffer is full;
/// the number of bytes read. The buffer never grows, so no copy of its
/// content is left behind in memory freed by a reallocation.
fn read_into(mut file: &File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(free) = buffer.get_mut(filled..).filter(|free| !free.is_empty()) {
        match file.read(free) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Decodes the hex key in the first `length` bytes of `text` (surrounding
/// whitespace ignored), then wipes `text`, on success or failure.
fn decode_key_text(
    text: &mut Zeroizing<Vec<u8>>,
    length: usize,
) -> Result<SignaturePrivateKey, hex::FromHexError> {
    let content = text.get(..length).unwrap_or_default().trim_ascii();
    let mut bytes = Zeroizing::new(vec![0u8; content.len() / 2]);
    let decoded = hex::decode_to_slice(content, &mut bytes);
    text.zeroize();
    decoded?;
    Ok(SignaturePrivateKey::new(std::mem::take(&mut *bytes)))
}

/// The content of a key file: the key in hex and a newline, in a buffer
/// that is wiped when dropped.
fn encode_key_text(private: &SignaturePrivateKey) -> Zeroizing<Vec<u8>> {
    let key = private.expose();
    let mut text = Zeroizing::new(vec![b'\n'; key.len() * 2 + 1]);
    if let Some(digits) = text.get_mut(..key.len() * 2) {
        // The lengths match by construction, so this cannot fail.
        let _ = hex::encode_to_slice(key, digits);
    }
    text
}

/// Writes the key to a temporary file (mode 0600), syncs it, and links it
/// into place only if no key is there yet, then syncs the directory.
/// Returns `false` when another process's key was there first.
fn publish_key_file(
    path: &Path,
    dir: &File,
    private: &SignaturePrivateKey,
) -> Result<bool, CliError> {
    let dir_path = directory_of(path);
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let text = encode_key_text(private);
    let write = |file: &mut File| -> io::Result<()> {
        file.write_all(&text)?;
        file.sync_all()
    };
    // `create_new` (O_EXCL) neither follows nor reuses what is there.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(|e| CliError::io("cannot create signature key", Some(&temporary), &e))?;
    if let Err(e) = write(&mut file) {
        let _ = fs::remove_file(&temporary);
        return Err(CliError::io(
            "cannot write signature key",
            Some(&temporary),
            &e,
        ));
    }
    drop(file);
    // A hard link never replaces an existing file: of two racing
    // processes, exactly one publishes its key.
    let linked = fs::hard_link(&temporary, path);
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            dir.sync_all()
                .map_err(|e| CliError::io("cannot sync directory", Some(&dir_path), &e))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(CliError::io("cannot save signature key", Some(path), &e)),
    }
}

/// The rows of `kp store list`.
pub(crate) fn list(store: &dyn KeyStore, path: &Path) -> Result<Vec<String>, CliError> {
    let entries = store.list().map_err(|e| store_error(path, &e))?;
    Ok(entries
        .iter()
        .map(|entry| {
            let mut line = format!(
                "{} {}",
                hex::encode(entry.reference.as_slice()),
                crate::time::rfc3339(entry.not_after)
            );
            if entry.last_resort {
                line.push_str(" last-resort");
            }
            if entry.reserved_at.is_some() {
                line.push_str(" reserved");
            }
            line
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_uid_is_the_owner_of_new_files_and_the_effective_uid() {
        let me = own_uid().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new");
        fs::write(&file, b"").unwrap();
        assert_eq!(fs::metadata(&file).unwrap().uid(), me);
        // Linux: the effective uid, second of the four on the Uid: line.
        if let Ok(status) = fs::read_to_string("/proc/self/status") {
            let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
            let effective: u32 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
            assert_eq!(effective, me);
        }
    }

    #[test]
    fn key_text_is_wiped_after_decoding_whatever_the_outcome() {
        let mut text = Zeroizing::new(b"  00ff10\n\0\0".to_vec());
        let key = decode_key_text(&mut text, 9).unwrap();
        assert_eq!(key.expose(), [0x00, 0xff, 0x10]);
        assert!(text.iter().all(|b| *b == 0), "{text:?}");
        let mut text = Zeroizing::new(b"00fz10\n".to_vec());
        assert!(decode_key_text(&mut text, 7).is_err());
        assert!(text.iter().all(|b| *b == 0), "{text:?}");
    }

    #[test]
    fn key_files_are_read_in_place_and_written_from_a_wiping_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        fs::write(&path, vec![b'a'; KEY_FILE_MAX + 50]).unwrap();
        let mut buffer = Zeroizing::new(vec![0u8; KEY_FILE_MAX + 1]);
        let (address, capacity) = (buffer.as_ptr(), buffer.capacity());
        let file = File::open(&path).unwrap();
        // Never more than the buffer, and never a new allocation (which
        // would leave an unwiped copy behind).
        assert_eq!(read_into(&file, &mut buffer).unwrap(), KEY_FILE_MAX + 1);
        assert_eq!((buffer.as_ptr(), buffer.capacity()), (address, capacity));

        let text: Zeroizing<Vec<u8>> = encode_key_text(&SignaturePrivateKey::new(vec![1, 0xab]));
        assert_eq!(text.as_slice(), b"01ab\n");
    }
}
