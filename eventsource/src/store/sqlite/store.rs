//! [`SqliteEventStore`]: the store itself.

use super::connection::Database;
use super::{SqliteConfig, SqliteSnapshotStore, events, migrations};
use crate::error::Result;
use crate::store::backend;
use crate::store::{
    AppendNotifier, AppendOutcome, AppendSignal, EventRef, EventStore, ExpectedVersion, FeedPage,
    NewEvent, RecordedEvent, StreamId,
};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Feed reads of at least this many events are split between the two reading
/// connections.
const SPLIT_FEED_READS: usize = 1024;

/// An event store in a SQLite database. Cloning gives another handle to the same
/// connections; they close when the last handle is dropped.
///
/// It follows every rule of [`EventStore`] and passes the same conformance suite as the
/// in-memory store. See the [module documentation](crate::store::sqlite) for durability, concurrency and
/// the schema.
#[derive(Clone)]
pub struct SqliteEventStore {
    pub(super) db: Arc<Database>,
    pub(super) path: Option<Arc<PathBuf>>,
    /// Wakes this process's subscriptions after appends through this store (and its
    /// clones); other processes' appends are seen by polling.
    pub(super) appended: Arc<AppendNotifier>,
}

impl fmt::Debug for SqliteEventStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteEventStore")
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

impl SqliteEventStore {
    /// The schema version this version of the crate creates and reads.
    pub const SCHEMA_VERSION: u32 = migrations::LATEST;

    /// Opens (or creates) the database file at `path` with the default settings.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(SqliteConfig::file(path)).await
    }

    /// A new, private in-memory database.
    pub async fn in_memory() -> Result<Self> {
        Self::open_with(SqliteConfig::in_memory()).await
    }

    /// Opens the database `config` describes, creating or upgrading its schema.
    ///
    /// Fails with [`Error::Schema`](crate::Error::Schema) when the database was written by
    /// a newer version of this crate, and with [`Error::Config`](crate::Error::Config) when
    /// the file cannot be opened.
    pub async fn open_with(config: SqliteConfig) -> Result<Self> {
        let path = config.path().map(|p| Arc::new(p.to_path_buf()));
        let db = Database::open(&config).await?;
        Ok(SqliteEventStore {
            db: Arc::new(db),
            path,
            appended: Arc::new(AppendNotifier::new()),
        })
    }

    /// The database file, or `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref().map(PathBuf::as_path)
    }

    /// The snapshot store in the same database, sharing this store's connections.
    pub fn snapshot_store(&self) -> SqliteSnapshotStore {
        SqliteSnapshotStore {
            db: Arc::clone(&self.db),
        }
    }

    /// A feed read in two halves at once: the positions `(after, after + limit / 2]` on
    /// one reading connection, the events after them on the other. Positions are given
    /// in commit order, so once the first half holds the event at its last position, it
    /// holds every event before it, and the second half follows on without a gap. When it
    /// does not (the head is inside the first range, or positions skip), the first half is
    /// the page.
    async fn read_feed_split(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
        let half = limit / 2;
        let middle = after_position.saturating_add(u64::try_from(half).unwrap_or(u64::MAX));
        let first = self.db.read(move |connection| {
            events::read_feed_until(connection, after_position, middle, half)
        });
        let second = self
            .db
            .read_on_second(move |connection| events::read_feed(connection, middle, limit - half));
        let (first, second) = tokio::join!(first, second);
        let mut page = first?;
        if page.last_position() == Some(middle)
            && let Some(second) = second
        {
            page.extend_with(second?);
        }
        Ok(page)
    }
}

impl EventStore for SqliteEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        backend::check_stream(stream)?;
        let stream = stream.clone();
        let outcome = self
            .db
            .append(move |connection| events::append(connection, &stream, expected, events))
            .await?;
        if !outcome.already_stored && !outcome.records.is_empty() {
            self.appended.notify();
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
        self.db
            .read(move |connection| {
                events::read_stream_range(connection, &stream, after_version, None)
            })
            .await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        backend::check_stream(stream)?;
        let stream = stream.clone();
        self.db
            .read(move |connection| events::stream_version(connection, &stream))
            .await
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
        backend::check_stream(stream)?;
        let stream = stream.clone();
        self.db
            .read(move |connection| {
                let mut state = state;
                events::replay_stream(connection, &stream, after_version, &mut state, apply)?;
                Ok(state)
            })
            .await
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        backend::readable(self.read_feed(after_position, limit).await?.into_entries())
    }

    async fn read_feed(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
        if limit >= SPLIT_FEED_READS && self.db.has_second_reader() {
            return self.read_feed_split(after_position, limit).await;
        }
        self.db
            .read(move |connection| events::read_feed(connection, after_position, limit))
            .await
    }

    async fn head_position(&self) -> Result<u64> {
        self.db
            .read(|connection| events::head_position_of(connection))
            .await
    }

    async fn feed_position_at(&self, time: std::time::SystemTime) -> Result<u64> {
        let micros = backend::to_micros(time);
        self.db
            .read(move |connection| events::feed_position_at(connection, micros))
            .await
    }

    async fn stream_version_at(
        &self,
        stream: &StreamId,
        time: std::time::SystemTime,
    ) -> Result<u64> {
        backend::check_stream(stream)?;
        let (stream, micros) = (stream.clone(), backend::to_micros(time));
        self.db
            .read(move |connection| events::stream_version_at(connection, &stream, micros))
            .await
    }

    async fn append_signal(&self) -> Result<Option<AppendSignal>> {
        Ok(Some(self.appended.signal()))
    }
}
