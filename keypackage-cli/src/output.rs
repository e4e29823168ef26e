//! Writing results to stdout without panicking: a closed pipe (`kp
//! generate | head -1`) ends the command quietly, any other write error is
//! an I/O error.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{CliError, is_broken_pipe};

/// Buffered stdout that ends the command quietly when the reader is gone.
pub(crate) struct Output {
    out: BufWriter<std::io::StdoutLock<'static>>,
}

/// Writing stopped because stdout was closed.
pub(crate) struct Closed;

impl Output {
    /// Locks stdout.
    pub(crate) fn new() -> Self {
        Self {
            out: BufWriter::new(std::io::stdout().lock()),
        }
    }

    /// Writes one line; `Err(Closed)` when the reader is gone.
    pub(crate) fn line(&mut self, text: &str) -> Result<Result<(), Closed>, CliError> {
        let written = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        Self::check(written)
    }

    /// Flushes; `Err(Closed)` when the reader is gone.
    pub(crate) fn flush(&mut self) -> Result<Result<(), Closed>, CliError> {
        Self::check(self.out.flush())
    }

    fn check(result: std::io::Result<()>) -> Result<Result<(), Closed>, CliError> {
        match result {
            Ok(()) => Ok(Ok(())),
            Err(e) if is_broken_pipe(&e) => Ok(Err(Closed)),
            Err(e) => Err(CliError::io("cannot write", Some(Path::new("stdout")), &e)),
        }
    }
}

/// Writes `lines` to stdout; stops quietly if the reader is gone.
pub(crate) fn print_lines<S: AsRef<str>>(lines: &[S]) -> Result<(), CliError> {
    let mut out = Output::new();
    for line in lines {
        if out.line(line.as_ref())?.is_err() {
            return Ok(());
        }
    }
    let _ = out.flush()?;
    Ok(())
}
