//! SQLite stores on temporary files, for the conformance suites and the SQLite tests.

use eventsource::BoxFuture;
use eventsource::store::sqlite::{SqliteConfig, SqliteEventStore, SqliteSnapshotStore};
use eventsource::store::{
    AppendOutcome, EventRef, ExpectedVersion, NewEvent, RecordedEvent, StreamId,
};
use eventsource::{EventStore, Result, Snapshot, SnapshotStore};
use std::sync::Arc;
use tempfile::TempDir;

/// A SQLite event store on a file in a temporary directory, removed with the last clone.
#[derive(Debug, Clone)]
pub struct TempSqliteStore {
    /// The store.
    pub store: SqliteEventStore,
    dir: Arc<TempDir>,
}

impl TempSqliteStore {
    /// A fresh database file with the default settings.
    pub async fn new() -> Result<Self> {
        Self::with(|config| config).await
    }

    /// A fresh database file with settings adjusted by `configure`.
    pub async fn with(configure: impl FnOnce(SqliteConfig) -> SqliteConfig) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(eventsource::Error::backend)?;
        let config = configure(SqliteConfig::file(dir.path().join("events.db")));
        let store = SqliteEventStore::open_with(config).await?;
        Ok(TempSqliteStore {
            store,
            dir: Arc::new(dir),
        })
    }

    /// The temporary directory holding the database.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The snapshot store of the same database, keeping the directory alive.
    pub fn snapshots(&self) -> TempSqliteSnapshots {
        TempSqliteSnapshots {
            store: self.store.snapshot_store(),
            _dir: Arc::clone(&self.dir),
        }
    }

    /// This event store and the snapshot store of the same database: what the snapshot
    /// behaviour suite and the snapshot benchmark run on.
    pub fn backend(&self) -> (TempSqliteStore, TempSqliteSnapshots) {
        (self.clone(), self.snapshots())
    }
}

impl EventStore for TempSqliteStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        self.store.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>> {
        self.store.read_stream(stream, after_version).await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        self.store.stream_version(stream).await
    }

    async fn replay_stream<T, F>(
        &self,
        stream: &StreamId,
        after_version: u64,
        state: T,
        apply: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut T, EventRef<'_>) -> Result<()> + Send + 'static,
    {
        self.store
            .replay_stream(stream, after_version, state, apply)
            .await
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.store.read_all(after_position, limit).await
    }
}

/// A SQLite snapshot store on a temporary file.
#[derive(Debug, Clone)]
pub struct TempSqliteSnapshots {
    store: SqliteSnapshotStore,
    _dir: Arc<TempDir>,
}

impl SnapshotStore for TempSqliteSnapshots {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        self.store.save(snapshot)
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        self.store.load(stream)
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        self.store.delete(stream)
    }
}
