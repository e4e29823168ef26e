//! Progress for long runs: on a terminal only, never into a pipe or file.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Runs of at least this many items show progress (on a terminal).
pub(crate) const THRESHOLD: usize = 1000;

/// How often the line is redrawn.
const INTERVAL: Duration = Duration::from_millis(200);

/// A `\r`-redrawn counter on stderr, off unless stderr is a terminal and
/// the run is long.
pub(crate) struct Progress {
    label: &'static str,
    total: usize,
    enabled: bool,
    last: Option<Instant>,
}

impl Progress {
    /// A counter for `total` items of `label` (e.g. "created").
    pub(crate) fn new(label: &'static str, total: usize) -> Self {
        Self {
            label,
            total,
            enabled: total >= THRESHOLD && std::io::stderr().is_terminal(),
            last: None,
        }
    }

    /// Reports that `done` items are finished.
    pub(crate) fn update(&mut self, done: usize) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < INTERVAL) && done < self.total {
            return;
        }
        self.last = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\rkp: {} {done}/{}", self.label, self.total);
        let _ = err.flush();
    }

    /// Clears the line.
    pub(crate) fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
        self.last = None;
    }
}
