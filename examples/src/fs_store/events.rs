//! [`FsEventStore`]: the [`EventStore`] over the log and its index.

use super::blocking::blocking;
use super::error::FsError;
use super::frame;
use super::index::Index;
use super::line::LogLine;
use super::lock::DirLock;
use super::log::Log;
use super::snapshots::FsSnapshotStore;
use eventsource::store::backend::{self, BatchIdentity};
use eventsource::{Error, EventStore, ExpectedVersion, Result, error::ConfigKind};
use eventsource::{
    RecordedEvent, StreamId,
    store::{AppendNotifier, AppendOutcome, AppendSignal, FeedEntry, FeedPage, NewEvent},
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// An event store in a directory: `events.log`, the append-only log of every event in
/// feed order, and `LOCK`, held while the store is open. Clones share one open store.
///
/// - Appends are atomic and durable: a batch is written in one piece and synced
///   (`fdatasync`) before `append` returns; a batch torn by a crash is cut on the next
///   open.
/// - One open store per directory: [`open`](Self::open) fails with [`FsError::Locked`]
///   while another store holds the directory, in this process or in another. Within the
///   store, one lock orders appends, so versions, ids and positions are checked and given
///   out one batch at a time.
/// - File work runs on tokio's blocking threads: the store needs a tokio runtime.
#[derive(Debug, Clone)]
pub struct FsEventStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    state: Mutex<State>,
    appended: AppendNotifier,
    snapshot_writes: Arc<Mutex<()>>,
    cut: u64,
    /// Last, so the lock is released after the files are closed.
    _lock: DirLock,
}

#[derive(Debug)]
struct State {
    log: Log,
    index: Index,
}

impl FsEventStore {
    /// Opens the store in `dir`, creating the directory and its files when missing: takes
    /// the lock, reads the log, rebuilds the index and cuts a torn last batch.
    pub async fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_owned();
        blocking(move || Self::open_now(dir)).await
    }

    fn open_now(dir: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&dir).map_err(FsError::io(&dir, "create"))?;
        let lock = DirLock::take(&dir)?;
        let (log, recovered) = Log::open(&dir)?;
        // The log's directory entry must be on disk too, or a new log can vanish.
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(FsError::io(&dir, "sync"))?;
        Ok(FsEventStore {
            shared: Arc::new(Shared {
                dir,
                state: Mutex::new(State {
                    log,
                    index: recovered.index,
                }),
                appended: AppendNotifier::new(),
                snapshot_writes: Arc::default(),
                cut: recovered.cut,
                _lock: lock,
            }),
        })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// How many bytes of a torn append opening the store cut from the log; 0 when the
    /// last run ended cleanly.
    pub fn recovered_bytes(&self) -> u64 {
        self.shared.cut
    }

    /// The snapshot store of the same directory (`snapshots/`), kept under the same lock.
    pub fn snapshot_store(&self) -> FsSnapshotStore {
        FsSnapshotStore::new(
            self.shared.dir.join("snapshots"),
            Arc::clone(&self.shared.snapshot_writes),
            Arc::clone(&self.shared) as _,
        )
    }

    async fn with_state<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut State) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let shared = Arc::clone(&self.shared);
        blocking(move || work(&mut shared.lock())).await
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change of the state happens after its write succeeded: a panic elsewhere
        // leaves it consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn append(
        &mut self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        let ids: Vec<_> = events.iter().map(|e| e.metadata.event_id).collect();
        let stored = self.index.stored_ids(stream, &ids);
        if let BatchIdentity::Retry { first_version } =
            backend::classify_batch(stream, expected, &ids, &stored)?
        {
            let records = self.read(stream, first_version - 1, events.len())?;
            return Ok(AppendOutcome::new(records, true));
        }
        let actual = self.index.version(stream);
        backend::check_version(stream, expected, actual)?;
        if events.is_empty() {
            return Ok(AppendOutcome::new(Vec::new(), false));
        }
        let size = u32::try_from(events.len()).map_err(|_| {
            Error::config(
                ConfigKind::OutOfRange,
                "a batch of more than u32::MAX events",
            )
        })?;
        let first_position = self.index.next_position();
        let lines: Vec<Vec<u8>> = events
            .iter()
            .zip(0..)
            .map(|(event, i)| {
                let line = LogLine::new(
                    event,
                    stream,
                    actual + 1 + u64::from(i),
                    first_position + u64::from(i),
                    (i + 1, size),
                );
                frame::encode(&line).map_err(Error::backend)
            })
            .collect::<Result<_>>()?;
        let locations = self.log.append(&lines)?;
        let mut records = Vec::with_capacity(events.len());
        for ((event, location), i) in events.into_iter().zip(locations).zip(0..) {
            self.index.push(stream, event.metadata.event_id, location);
            let (version, position) = (actual + 1 + i, first_position + i);
            records.push(backend::record(event, stream.clone(), version, position));
        }
        Ok(AppendOutcome::new(records, false))
    }

    /// At most `limit` events of `stream` after `after_version`, read from the log.
    fn read(
        &mut self,
        stream: &StreamId,
        after_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let locations = self.index.stream_tail(stream, after_version);
        (locations.into_iter().take(limit))
            .map(|location| self.log.read(location)?.into_record())
            .collect()
    }

    fn read_feed(&mut self, after_position: u64, limit: usize) -> Vec<FeedEntry> {
        let start = usize::try_from(after_position).unwrap_or(usize::MAX);
        let located: Vec<_> = (self.index.feed.iter().enumerate().skip(start).take(limit))
            .map(|(i, location)| (i as u64 + 1, *location))
            .collect();
        located
            .into_iter()
            .map(
                |(position, location)| match self.log.read(location).map_err(Into::into) {
                    Ok(line) => match line.into_record() {
                        Ok(record) => FeedEntry::Event(record),
                        Err(error) => FeedEntry::Unreadable { position, error },
                    },
                    Err(error) => FeedEntry::Unreadable { position, error },
                },
            )
            .collect()
    }
}

impl EventStore for FsEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        backend::check_stream(stream)?;
        let stream = stream.clone();
        let appends = !events.is_empty();
        let outcome = self
            .with_state(move |state| state.append(&stream, expected, events))
            .await?;
        if appends && !outcome.already_stored {
            self.shared.appended.notify();
        }
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>> {
        backend::check_stream(stream)?;
        let stream = stream.clone();
        self.with_state(move |state| state.read(&stream, after_version, usize::MAX))
            .await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        backend::check_stream(stream)?;
        Ok(self.shared.lock().index.version(stream))
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.with_state(move |state| backend::readable(state.read_feed(after_position, limit)))
            .await
    }

    async fn read_feed(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
        self.with_state(move |state| Ok(FeedPage::from(state.read_feed(after_position, limit))))
            .await
    }

    async fn head_position(&self) -> Result<u64> {
        Ok(self.shared.lock().index.feed.len() as u64)
    }

    async fn append_signal(&self) -> Result<Option<AppendSignal>> {
        Ok(Some(self.shared.appended.signal()))
    }
}
