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

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use keypackage_core::traits::{
    CipherSuiteProvider, KeyStore, KeyStoreError, SignaturePrivateKey, SignatureScheme,
};
use keystore_sqlite::SqliteKeyStore;

use crate::error::CliError;

/// The environment variable that overrides the default key store path.
pub const KEYSTORE_ENV: &str = "KP_KEYSTORE";

/// The key store path: the flag, the environment variable, or the
/// per-user default.
pub fn resolve_path(flag: Option<&Path>) -> Result<PathBuf, CliError> {
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
pub fn open_or_create(path: &Path) -> Result<SqliteKeyStore, CliError> {
    create_private_dir(&directory_of(path))?;
    SqliteKeyStore::open(path).map_err(|e| store_error(path, &e))
}

/// Opens an existing key store for `kp store`: a missing file is an error
/// (most likely a wrong path), not a new empty store.
pub fn open_existing(path: &Path) -> Result<SqliteKeyStore, CliError> {
    if !path.exists() {
        return Err(CliError::usage(format!(
            "no key store at {} (kp generate creates it; --keystore or {KEYSTORE_ENV} choose another)",
            path.display()
        )));
    }
    SqliteKeyStore::open(path).map_err(|e| store_error(path, &e))
}

/// A key-store error as one line naming the file.
pub fn store_error(path: &Path, error: &KeyStoreError) -> CliError {
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
pub fn signature_key_path(keystore: &Path, identity: &str, scheme: SignatureScheme) -> PathBuf {
    let mut dir = keystore.as_os_str().to_owned();
    dir.push(".signature-keys");
    PathBuf::from(dir).join(format!(
        "{}-{}.key",
        scheme_tag(scheme),
        hex::encode(identity.as_bytes())
    ))
}

/// The client's signer for `identity` under the suite's scheme: loaded from
/// its file, or made and saved (durably, mode 0600) on first use.
pub fn load_or_create_signer<S: CipherSuiteProvider>(
    suite: &S,
    keystore: &Path,
    identity: &str,
) -> Result<S::Signer, CliError> {
    let path = signature_key_path(keystore, identity, suite.info().signature);
    let private = match read_key_file(&path)? {
        Some(private) => private,
        None => {
            let dir = directory_of(&path);
            create_private_dir(&dir)?;
            let pair = suite
                .signature_generate_key_pair()
                .map_err(|e| CliError::internal(format!("cannot make a signature key: {e}")))?;
            match publish_key_file(&path, &pair.private)? {
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

/// Reads a key file; `None` when it does not exist.
fn read_key_file(path: &Path) -> Result<Option<SignaturePrivateKey>, CliError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CliError::io("cannot read signature key", Some(path), &e)),
    };
    let bytes = hex::decode(text.trim()).map_err(|e| {
        CliError::store(format!(
            "signature key {} is damaged (not hex: {e})",
            path.display()
        ))
    })?;
    Ok(Some(SignaturePrivateKey::new(bytes)))
}

/// Writes the key to a temporary file (mode 0600), syncs it, and links it
/// into place only if no key is there yet, then syncs the directory.
/// Returns `false` when another process's key was there first.
fn publish_key_file(path: &Path, private: &SignaturePrivateKey) -> Result<bool, CliError> {
    let dir = directory_of(path);
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let write = |file: &mut File| -> io::Result<()> {
        file.write_all(hex::encode(private.expose()).as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    };
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
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| CliError::io("cannot sync directory", Some(&dir), &e))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(CliError::io("cannot save signature key", Some(path), &e)),
    }
}

/// The rows of `kp store list`.
pub fn list(store: &dyn KeyStore, path: &Path) -> Result<Vec<String>, CliError> {
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
