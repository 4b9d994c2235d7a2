//! The SQLite event store: embedded, in a file or in memory (feature `sqlite`, on by
//! default; SQLite is compiled into the program, no system library is needed).
//!
//! ```
//! use eventsource::prelude::*;
//! use eventsource::store::sqlite::SqliteEventStore;
//!
//! #[event]
//! pub struct Deposited { pub cents: u64 }
//!
//! #[derive(Aggregate, Debug, Default)]
//! pub struct Account { pub balance: u64 }
//!
//! #[apply]
//! impl Account {
//!     fn deposited(&mut self, e: &Deposited) { self.balance += e.cents; }
//! }
//!
//! # async fn run() -> eventsource::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("bank.db");
//! let id = Uuid::now_v7();
//! {
//!     let repo = Repository::<Account, _>::new(SqliteEventStore::open(&path).await?);
//!     let mut account = repo.create_new(id);
//!     account.record(Deposited { cents: 250 });
//!     repo.save(&mut account).await?;
//! }
//! // Another store on the same file (or the same program run again) sees the events.
//! let repo = Repository::<Account, _>::new(SqliteEventStore::open(&path).await?);
//! assert_eq!(repo.load(id).await?.balance, 250);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! # Durability
//!
//! The database runs in WAL mode. After any crash (the process killed, the machine losing
//! power) the database is intact and holds every append whole or not at all. Whether the
//! most recent appends survive depends on [`Synchronous`]: with the default,
//! [`Synchronous::Full`], an append that returned `Ok` is on the disk; with
//! [`Synchronous::Normal`] it survives the process being killed but not an
//! operating-system crash or a power loss before the next checkpoint. An in-memory database
//! keeps nothing once the last handle is dropped.
//!
//! # Concurrency
//!
//! Several stores (in one process or many) may open the same file. Each append runs in a
//! `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock before it reads the
//! stream's version, so two writers at one expected version can never both succeed; the
//! unique index on (stream, version) backs this. Readers never block the writer and never
//! see part of an append; feed positions increase in commit order, as SQLite commits one
//! write transaction at a time.
//!
//! # Group commit
//!
//! Appends that reach a store at the same moment (from concurrent tasks) share one
//! transaction and one commit: under [`Synchronous::Full`] one flush to the disk serves
//! them all. Each append keeps its own version check, its own outcome and its own error:
//! it runs under a savepoint of its own, and one that fails is rolled back alone. Callers
//! are answered only after the commit; should it fail, none of the group's appends is
//! stored and each of their callers gets the error. Nothing waits to form a group (it is
//! whatever queued while the previous commit ran), so a single writer pays nothing for
//! it. Appends group on the default [`Threading::DedicatedThread`]; on
//! [`Threading::SpawnBlocking`] each commits alone.
//!
//! An append whose caller stops waiting (its future dropped) once the request reached the
//! connection's queue still runs, and commits whole or not at all: whether it was stored
//! is found by reading the stream, or by appending the same events again (a retry with
//! the same event ids is recognised and not stored twice).
//!
//! # Threads
//!
//! SQLite calls block, so none runs on the async runtime: by default each connection has a
//! thread of its own ([`Threading::DedicatedThread`]) that runs requests in order; a file
//! database has one writing and two reading connections. Waking a sleeping thread costs
//! about as much as an append at [`Synchronous::Normal`], so after each request the
//! thread looks for the next one for 50 µs before it sleeps, and a caller whose request
//! is the only one queued, on a connection whose recent requests took less than 60 µs,
//! looks for its answer for up to 60 µs before it awaits it (on machines of more than one
//! core). [`Threading::SpawnBlocking`] runs
//! them on tokio's blocking pool instead. The dedicated threads measured faster (see the
//! `bench` example), and work on any async runtime.
//!
//! # Schema
//!
//! The store creates its tables on first open and upgrades a database made by an older
//! version of this crate; a database written by a newer version is refused with
//! [`Error::Schema`](crate::Error::Schema). Its tables, all prefixed `eventsource_`:
//!
//! - `eventsource_events`: one row per event: `position` (the global feed position),
//!   `aggregate_type`, `aggregate_id`, `version`, `event_id`, `event_type`,
//!   `schema_version`, `payload` (JSON text), `correlation_id`, `causation_id`, `extra`
//!   (JSON object), `occurred_at` (microseconds since the Unix epoch), `codec` (the
//!   codec that wrote the payload: `json`, or `msgpack` with the bytes in
//!   `payload_binary`); unique on
//!   (stream, version) and on (stream, event id). A stream's current version is one
//!   descent of the (stream, version) index to the stream's last entry, the same cost as a
//!   lookup in a table of streams, without a second table to write on every append. Rows
//!   are never deleted (a trigger refuses it), so a feed position is never reused;
//! - `eventsource_snapshots`: one snapshot per aggregate (see [`SqliteSnapshotStore`]);
//! - `eventsource_checkpoints` and `eventsource_parked`: each subscription's checkpoint and
//!   the events it parked ([`SubscriptionStore`](crate::store::SubscriptionStore));
//! - `eventsource_migrations`: the schema versions applied.

mod config;
mod connection;
mod error;
mod events;
mod group;
mod locks;
mod migrations;
mod rows;
mod snapshots;
mod states;
mod subscriptions;
mod transactional;
mod worker;

pub use config::{SqliteConfig, Synchronous, Threading};
pub use locks::{LOCK_FILES, SqliteLocks};
/// The SQLite client this store is built with, for transactional projections
/// ([`SqliteProjection`](crate::subscription::SqliteProjection)).
pub use rusqlite;
pub use snapshots::SqliteSnapshotStore;
pub use states::SqliteStateStore;

use crate::error::Result;
use crate::store::backend;
use crate::store::{
    AppendNotifier, AppendOutcome, AppendSignal, EventRef, EventStore, ExpectedVersion, FeedPage,
    NewEvent, RecordedEvent, StreamId,
};
use connection::Database;
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
/// in-memory store. See the [module documentation](self) for durability, concurrency and
/// the schema.
#[derive(Clone)]
pub struct SqliteEventStore {
    db: Arc<Database>,
    path: Option<Arc<PathBuf>>,
    /// Wakes this process's subscriptions after appends through this store (and its
    /// clones); other processes' appends are seen by polling.
    appended: Arc<AppendNotifier>,
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
        let micros = crate::time::to_micros(time);
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
        let (stream, micros) = (stream.clone(), crate::time::to_micros(time));
        self.db
            .read(move |connection| events::stream_version_at(connection, &stream, micros))
            .await
    }

    async fn append_signal(&self) -> Result<Option<AppendSignal>> {
        Ok(Some(self.appended.signal()))
    }
}
