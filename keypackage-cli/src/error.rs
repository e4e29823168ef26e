//! The errors of `kp` and the exit codes they map to.
//!
//! Every failure is printed as one line, `kp: error: <message>`, on stderr;
//! `main` turns it into an exit status. Invalid key packages are not errors
//! of this kind: `validate` reports them on stdout (exit status 1).

use std::fmt;
use std::io;
use std::path::Path;
use std::process::ExitCode;

/// Exit status: at least one input was invalid or did not decode.
pub(crate) const EXIT_INVALID: u8 = 1;
/// Exit status: usage, I/O, key-store or internal error.
pub(crate) const EXIT_ERROR: u8 = 2;

/// What went wrong, and whose fault it is. All kinds exit with status 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// A bad flag or value, or an input with no key package (the caller's).
    Usage,
    /// A file or stream could not be read or written (the environment's).
    Io,
    /// The key store failed (the environment's, or a damaged file).
    Store,
    /// The crypto backend or the library failed where it should not (a bug,
    /// or a broken random source).
    Internal,
}

/// A failure of a `kp` command: a kind and one line of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CliError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// One line, without the `kp: error: ` prefix.
    pub message: String,
}

impl CliError {
    /// A usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Usage,
            message: message.into(),
        }
    }

    /// An I/O error on `path` (or a stream named by `what`).
    pub(crate) fn io(what: &str, path: Option<&Path>, error: &io::Error) -> Self {
        let message = match path {
            Some(path) => format!("{what} {}: {}", path.display(), describe_io(error)),
            None => format!("{what}: {}", describe_io(error)),
        };
        Self {
            kind: ErrorKind::Io,
            message,
        }
    }

    /// A key-store error.
    pub(crate) fn store(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Store,
            message: message.into(),
        }
    }

    /// An internal error.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }

    /// The exit status for this error.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(EXIT_ERROR)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An `io::Error` as short text, without Rust's "(os error N)" suffix.
fn describe_io(error: &io::Error) -> String {
    let text = match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => error.to_string(),
    };
    match text.find(" (os error") {
        Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// Whether writing to stdout failed because the reader went away (`kp
/// generate | head -1`): the command then stops quietly.
pub(crate) fn is_broken_pipe(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::BrokenPipe
}
