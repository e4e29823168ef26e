//! Reading ahead for `kp validate`: a thread of its own reads the input
//! (lines, hex or base64, [`input::classify`]) while the batch validator
//! decodes and validates the chunk before on its workers.
//!
//! The reader thread queues items, at most [`CHUNK_ITEMS`] items and
//! [`CHUNK_BYTES`] bytes of input (one item over the byte budget is taken
//! when the queue is empty, so any item within `--max-input-bytes` passes).
//! The validating thread waits for a first item, then gathers more for at
//! most [`GATHER`], and takes everything queued as its next chunk (at once
//! when the queue is full or the input has ended). So a fast input gives
//! full chunks, which the batch spreads over every core; a slow one (a
//! producer that writes now and then) gives small chunks whose verdicts are
//! printed within a few milliseconds; and memory holds at most two chunks
//! and one line, whatever the size of the input.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::error::CliError;
use crate::input::{self, Classified, Item, Reader};

/// The most items in one chunk.
pub(crate) const CHUNK_ITEMS: usize = 4096;

/// The most bytes of input (decoded from hex or base64) in one chunk (4 MiB:
/// about 14,000 suite-1 key packages, so [`CHUNK_ITEMS`] usually ends a
/// chunk first).
pub(crate) const CHUNK_BYTES: usize = 4 << 20;

/// How long a chunk is gathered after its first item: a full chunk of
/// suite-1 key packages is read in well under this, and a producer that
/// writes now and then sees its verdicts this much later at most.
pub(crate) const GATHER: Duration = Duration::from_millis(20);

/// One input item and what its bytes are.
pub(crate) struct Prefetched {
    /// The item as read.
    pub item: Item,
    /// What [`input::decode`] makes of it.
    pub classified: Classified,
}

/// What the two threads share.
struct State {
    queue: VecDeque<Prefetched>,
    /// Bytes of input held by `queue`.
    bytes: usize,
    /// Set by the reader thread when it stops: `Ok` at the end of the input.
    end: Option<Result<(), CliError>>,
    /// Set when the validating side is gone: the reader thread stops.
    closed: bool,
    /// Set while the reader thread waits for room in the queue.
    full: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_until<'a>(
        &self,
        guard: MutexGuard<'a, State>,
        deadline: Instant,
    ) -> MutexGuard<'a, State> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.changed.wait_timeout(guard, left) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }
}

/// The reading side of the pipeline.
pub(crate) struct Prefetch {
    shared: Arc<Shared>,
}

impl Prefetch {
    /// Starts the reader thread on `reader`.
    pub(crate) fn start(reader: Reader) -> Result<Self, CliError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                bytes: 0,
                end: None,
                closed: false,
                full: false,
            }),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        // Not scoped: if the validating side stops early (stdout closed),
        // `main` returns and the process ends, even while this thread waits
        // in a read on a pipe that never ends.
        std::thread::Builder::new()
            .name("kp-reader".to_owned())
            .spawn(move || read_ahead(reader, &theirs))
            .map_err(|e| CliError::internal(format!("cannot start the reader thread: {e}")))?;
        Ok(Self { shared })
    }

    /// The next chunk: every item queued, after waiting for at least one
    /// and gathering for at most [`GATHER`]. `None` at the end of the
    /// input; the reader's error once every item before it has been taken.
    pub(crate) fn next_chunk(&self) -> Result<Option<Vec<Prefetched>>, CliError> {
        let mut state = self.shared.lock();
        let mut deadline = None;
        loop {
            let ready = state.full || state.end.is_some() || state.queue.len() >= CHUNK_ITEMS;
            if !state.queue.is_empty() && !ready {
                let until = *deadline.get_or_insert_with(|| Instant::now() + GATHER);
                if Instant::now() < until {
                    state = self.shared.wait_until(state, until);
                    continue;
                }
            }
            if !state.queue.is_empty() {
                let chunk: Vec<Prefetched> = state.queue.drain(..).collect();
                state.bytes = 0;
                drop(state);
                self.shared.changed.notify_all();
                return Ok(Some(chunk));
            }
            match state.end.take() {
                Some(Ok(())) => {
                    state.end = Some(Ok(()));
                    return Ok(None);
                }
                Some(Err(error)) => {
                    state.end = Some(Ok(()));
                    return Err(error);
                }
                None => state = self.shared.wait(state),
            }
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }
}

/// The reader thread: read, classify, queue; wait while the queue is full.
fn read_ahead(mut reader: Reader, shared: &Shared) {
    loop {
        let next = reader.next_item();
        let item = match next {
            Ok(Some(item)) => item,
            Ok(None) => return finish(shared, Ok(())),
            Err(error) => return finish(shared, Err(error)),
        };
        let classified = match &item.content {
            Ok((_, bytes)) => input::classify(bytes),
            Err(reason) => Classified::Refused(reason.clone()),
        };
        let size = item.size();
        let mut state = shared.lock();
        while !state.closed
            && !state.queue.is_empty()
            && (state.queue.len() >= CHUNK_ITEMS || state.bytes.saturating_add(size) > CHUNK_BYTES)
        {
            state.full = true;
            shared.changed.notify_all();
            state = shared.wait(state);
        }
        state.full = false;
        if state.closed {
            return;
        }
        state.queue.push_back(Prefetched { item, classified });
        state.bytes = state.bytes.saturating_add(size);
        // The validating side waits for a first item, or gathers until the
        // queue is full or its time is up: no need to wake it for others.
        let wake = state.queue.len() == 1 || state.queue.len() >= CHUNK_ITEMS;
        drop(state);
        if wake {
            shared.changed.notify_all();
        }
    }
}

fn finish(shared: &Shared, end: Result<(), CliError>) {
    shared.lock().end = Some(end);
    shared.changed.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn reader(data: Vec<u8>) -> Reader {
        Reader::new(
            Box::new(std::io::Cursor::new(data)),
            Path::new("test"),
            1 << 20,
        )
    }

    #[test]
    fn chunks_keep_input_order_and_end_with_the_reader_s_error() {
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str(&format!("{:04x}\n", i % 0x10000));
        }
        // A line over the limit at the end.
        text.push_str(&"ab".repeat(1 << 20));
        let prefetch = Prefetch::start(reader(text.into_bytes())).unwrap();
        let mut lines = Vec::new();
        let error = loop {
            match prefetch.next_chunk() {
                Ok(Some(chunk)) => {
                    assert!(chunk.len() <= CHUNK_ITEMS);
                    lines.extend(chunk.into_iter().map(|p| p.item.line.unwrap()));
                }
                Ok(None) => panic!("the over-long line must be an error"),
                Err(error) => break error,
            }
        };
        assert_eq!(lines, (1..=10_000).collect::<Vec<_>>());
        assert!(error.message.starts_with("line 10001 is longer than"));
        assert!(matches!(prefetch.next_chunk(), Ok(None)));
    }

    #[test]
    fn an_input_without_key_packages_is_the_reader_s_error() {
        let prefetch = Prefetch::start(reader(b"# nothing\n".to_vec())).unwrap();
        let error = prefetch.next_chunk().err().unwrap();
        assert!(error.message.contains("only blank or comment lines"));
    }
}
