//! The PostgreSQL event store, for many processes on many machines (feature `postgres`;
//! PostgreSQL 13 or newer).
//!
//! ```no_run
//! # async fn run() -> eventsource::Result<()> {
//! use eventsource::store::postgres::PostgresEventStore;
//!
//! let store = PostgresEventStore::connect("postgres://postgres@127.0.0.1:5432/app").await?;
//! let snapshots = store.snapshot_store();
//! # Ok(()) }
//! ```
//!
//! [`PostgresConfig`] sets the schema (default `eventsource`), the pool or connection
//! settings, notifications and the feed wait. The store creates its schema and tables on
//! `connect` and upgrades them with numbered migrations, under an advisory lock so that
//! processes starting together are safe; a schema written by a newer eventsource is
//! refused with [`Error::Schema`].
//!
//! # Tables
//!
//! In the configured schema:
//! - `events`: one row per event: `position` (the global feed position, primary key),
//!   `aggregate_type`, `aggregate_id`, `version`, `event_id`, `event_type`,
//!   `schema_version`, `payload`, `occurred_at`, `correlation_id`, `causation_id` and
//!   `metadata` (the extra pairs as a JSON object, `NULL` when there are none).
//!   `UNIQUE (aggregate_type, aggregate_id, version)` backs the version check;
//!   `UNIQUE (aggregate_type, aggregate_id, event_id)` backs the event-id rule.
//! - `streams`: the current version of each stream: read in O(1), and the row that
//!   serialises the writers of one stream.
//! - `snapshots`: one row per aggregate (see
//!   [`PostgresSnapshotStore`]).
//! - `settings` and `schema_migrations`: the store's own bookkeeping.
//!
//! `payload` is `text`, not `jsonb`: `jsonb` reorders keys, drops duplicate keys and
//! whitespace, rewrites numbers and refuses `\u0000`, so the payload would not come back
//! byte for byte; and the store is not the place to reject a payload (an undecodable
//! payload is a decode error when it is loaded, naming the stream and version). `metadata`
//! is `json`, which keeps its text as given and can still be queried with `->>`.
//!
//! # Appends
//!
//! An append is one statement in an implicit transaction, so one round trip (a single
//! event binds plain values, a batch binds one array per column): it moves the
//! stream's row in `streams` to the new version *only if* the version matches the
//! expectation (a row lock that makes the check hold across processes), and inserts the
//! batch in the same statement. When it writes nothing (the version did not match) or
//! hits the `event_id` key, a second, explicit transaction locks the stream row, applies
//! the shared event-id rule ([`classify_batch`](crate::store::backend::classify_batch)) and reports the
//! retry, the duplicate or the [`Error::Conflict`] with the actual version it saw under
//! the lock. A batch is written whole or not at all; a lost connection rolls it back.
//! One append holds at most [`BATCH_LIMIT`] events.
//!
//! # The global feed never skips
//!
//! Positions come from the appending transaction's id: an event's position is
//! `(transaction id + offset) × 65,536 + its index in the batch`. Transaction ids are
//! handed out in order, but transactions commit in any order, so a reader must not read
//! past a transaction that is still running. [`read_all`](crate::EventStore::read_all)
//! therefore returns only events whose transaction id is below the *horizon*: the oldest
//! transaction id still running when the read's snapshot was taken
//! (`pg_snapshot_xmin(pg_current_snapshot())`). Every transaction below the horizon has
//! finished, so no event can later appear below it: a reader that follows the feed in
//! position order sees every committed event once, never a gap it skipped, even when a
//! transaction with a smaller position commits after one with a larger position.
//!
//! When events are committed above the horizon (an older transaction is still running),
//! `read_all` waits — at most [`PostgresConfig::feed_wait`] — until the horizon passes the
//! newest event that was committed when the call began, so a reader sees its own writes.
//! After that wait it returns what is final, possibly less than it could see.
//!
//! Why this and not an ordering lock: a lock taken before positions are assigned and held
//! until commit makes every append in the database wait for the previous one's commit
//! flush, so concurrent writers lose PostgreSQL's group commit. Measured with
//! `bench_postgres` on the project's 2-core machine, 8 connections of single-row INSERTs:
//! behind one `pg_advisory_xact_lock` they commit at 31–36% of the rate without it. The
//! horizon costs writers nothing: no lock, no extra statement.
//!
//! What it costs instead:
//! - Readers lag by the longest transaction that holds a transaction id in the whole
//!   database cluster (not only this store's writers): a long transaction elsewhere, or a
//!   forgotten prepared transaction, holds the feed back until it ends (up to `feed_wait`
//!   per read, which then returns what is final). Read-only transactions hold no id and
//!   do not count. In the tests, where transactions are held open for up to 0.3 s on
//!   purpose, feed reads in parallel tests wait that long.
//! - A read that finds committed events above the horizon polls until it passes them
//!   (1 ms, then up to 20 ms apart): a few milliseconds under ordinary load.
//! - Positions are large and not dense (the first event of a new cluster is around
//!   `700 × 65,536`); only their order means anything. One append holds at most
//!   [`BATCH_LIMIT`] (65,535) events.
//! - A database restored by `pg_dump` into another cluster may have a younger transaction
//!   counter than its positions: `connect` notices and raises the stored offset so that new
//!   positions still come after the restored ones (start writers only after the restore).
//!
//! # Notifications
//!
//! After appends the store sends `NOTIFY <schema>_events`, from a task and connection of
//! its own, at most once every 10 ms and always once after the last append; appends do not
//! wait for it. Not inside the append: a `NOTIFY` in a transaction holds PostgreSQL's
//! database-wide notification lock until the commit is flushed, which serialises every
//! appending transaction (measured: 8 connections of INSERTs each with a `NOTIFY` commit
//! at 35–46% of the plain rate). A process that appends much and has no listener can turn
//! them off with [`PostgresConfig::notifications`]. [`PostgresEventStore::subscribe_notifications`] listens on a
//! connection of its own and wakes the caller. A notification is a wake-up only: it
//! carries nothing, may be lost (a crash right after the commit) and may be spurious; the
//! feed stays the source of truth, so a reader re-reads the feed when woken and also now
//! and then without being woken.
//!
//! # Performance
//!
//! `cargo run --release -p eventsource-examples --bin bench_postgres` prints each figure
//! beside the raw limit measured on the same server in the same run. On the project's
//! 2-core machine (PostgreSQL 15, other builds running; ranges over several runs):
//!
//! | operation | eventsource ÷ raw |
//! | --- | --- |
//! | single-event saves on one connection vs single-row INSERT commits | 74–91% (79–94% without notifications) |
//! | 8 writers on distinct aggregates vs 8 connections of INSERTs | 71–81% (64–83% without) |
//! | loading a 10,000-event aggregate vs SELECT of type and payload + `serde_json` | 1.15–1.22× |
//!
//! What limits the appends: per append the server writes two tables and four index
//! entries (the stream row, the event, its position, version and event-id keys) where the
//! raw INSERT writes one table and one key, and with 8 writers on 2 cores the server's CPU
//! is the bottleneck. A load reads only the four columns an aggregate is built from
//! (version, type, schema version, payload) and applies each row as it arrives
//! ([`EventStore::replay_stream`]), building no record; `read_stream` returns whole
//! records, and the raw SELECT of all their columns alone takes 1.45–1.60× the
//! two-column SELECT.
//!
//! # Client
//!
//! `tokio-postgres` 0.7 with a `deadpool-postgres` 0.14 pool, chosen by measurement on the
//! project's machine against `sqlx` 0.8 (one connection each, a separate program, medians
//! of 7 alternating rounds, three runs): single-row INSERT commits 1,904–2,260/s against
//! 1,202–1,323/s for `sqlx` with its default pool (which pings every connection it hands
//! out), 2,786–2,953/s against 2,313–2,350/s without that ping; a 10,000-row SELECT with
//! `serde_json` decoding 9.6–12.4 ms against 10.1–13.1 ms (a tie). It also pipelines
//! requests on one connection and resolves beside `rusqlite` 0.41, which `sqlx` 0.8 does
//! not (cargo checks the `links = "sqlite3"` key of its unused SQLite driver).
//!
//! # Errors
//!
//! Conflicts are [`Error::Conflict`] with the actual version, like every store. A lost
//! connection, a statement timeout or a server shutdown is [`Error::Backend`] wrapping the
//! [`tokio_postgres::Error`] (its [`code`](tokio_postgres::Error::code) tells which). A
//! connection that failed that way is dropped, not returned to the pool. Retrying an
//! append after such an error is safe: if the first attempt did commit, the event ids make
//! the retry a no-op ([`AppendOutcome::already_stored`]). A row that breaks the store's
//! rules is [`Error::Corrupt`], naming the stream and version.

mod append;
mod batch;
mod config;
mod errors;
mod feed;
mod migrations;
mod notify;
mod reads;
mod rows;
mod schema;
mod snapshots;
mod sql;

pub use config::{DEFAULT_FEED_WAIT, PostgresConfig};
pub use deadpool_postgres;
pub use feed::BATCH_LIMIT;
pub use notify::FeedWakeups;
pub use schema::{DEFAULT_SCHEMA, SchemaName};
pub use snapshots::PostgresSnapshotStore;
pub use tokio_postgres;

use super::{
    AppendOutcome, EventRef, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamId,
};
use crate::error::{Error, Result};
use append::Appender;
use config::StoreParts;
use deadpool_postgres::{Object, Pool};
use errors::{backend, release};
use notify::Notifier;
use sql::Sql;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// An event store in a PostgreSQL schema, shared by any number of processes.
///
/// Cloning gives another handle to the same pool. See the [module docs](self) for the
/// tables, the feed's guarantee and its cost.
#[derive(Clone)]
pub struct PostgresEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    schema: SchemaName,
    sql: Sql,
    listen: Option<tokio_postgres::Config>,
    notifier: Option<Notifier>,
    feed_wait: Duration,
    xid_offset: i64,
}

impl PostgresConfig {
    /// Validates the settings, makes the pool, and creates or upgrades the schema.
    ///
    /// Errors: [`Error::Config`] for an invalid schema name, connection string or pool
    /// size; [`Error::Schema`] when the schema was made by a newer eventsource;
    /// [`Error::Backend`] when the server cannot be reached or refuses.
    pub async fn connect(self) -> Result<PostgresEventStore> {
        self.open().await.map(PostgresEventStore::from_parts)
    }
}

impl PostgresEventStore {
    /// Connects with a connection string and the default settings (schema
    /// [`DEFAULT_SCHEMA`]); see [`PostgresConfig`] for the others.
    pub async fn connect(url: &str) -> Result<Self> {
        PostgresConfig::from_url(url).connect().await
    }

    fn from_parts(parts: StoreParts) -> Self {
        let StoreParts {
            pool,
            schema,
            listen,
            notifications,
            feed_wait,
            xid_offset,
        } = parts;
        let sql = Sql::new(&schema);
        let notifier = notifications.then(|| Notifier::new(&schema, listen.clone(), pool.clone()));
        PostgresEventStore {
            inner: Arc::new(Inner {
                pool,
                schema,
                sql,
                listen,
                notifier,
                feed_wait,
                xid_offset,
            }),
        }
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &SchemaName {
        &self.inner.schema
    }

    /// A snapshot store in the same schema, on the same pool.
    pub fn snapshot_store(&self) -> PostgresSnapshotStore {
        PostgresSnapshotStore::new(self.inner.pool.clone(), &self.inner.schema)
    }

    /// Listens for appends to this store's schema, from this and every other process.
    ///
    /// The listening connection is made (and `LISTEN` has run) before this returns, so a
    /// caller that subscribes first and reads the feed second misses no wake-up.
    ///
    /// Errors: [`Error::Config`] when the store was given a pool without
    /// [`PostgresConfig::listen_config`]; [`Error::Backend`] when the connection fails.
    pub async fn subscribe_notifications(&self) -> Result<FeedWakeups> {
        let Some(config) = &self.inner.listen else {
            return Err(Error::Config(
                "notifications need connection settings: give `PostgresConfig::listen_config` \
                 along with the pool"
                    .into(),
            ));
        };
        FeedWakeups::listen(config, &self.inner.schema).await
    }

    async fn client(&self) -> Result<Object> {
        self.inner.pool.get().await.map_err(backend)
    }

    fn appender(&self) -> Appender<'_> {
        Appender {
            sql: &self.inner.sql,
            xid_offset: self.inner.xid_offset,
            notifier: self.inner.notifier.as_ref(),
        }
    }
}

impl EventStore for PostgresEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        if events.len() > BATCH_LIMIT {
            return Err(Error::Config(format!(
                "a batch of {} events for {stream} exceeds the PostgreSQL store's limit of \
                 {BATCH_LIMIT} events per append",
                events.len()
            )));
        }
        let span = tracing::debug_span!(
            "eventsource.postgres.append",
            stream = %stream,
            expected = %expected,
            events = events.len(),
        );
        async {
            let mut client = self.client().await?;
            let result = self
                .appender()
                .append(&mut client, stream, expected, events)
                .await;
            release(client, result)
        }
        .instrument(span)
        .await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>> {
        let Ok(after) = i64::try_from(after_version) else {
            return Ok(Vec::new());
        };
        let client = self.client().await?;
        let result = reads::read_stream(&client, &self.inner.sql, stream, after).await;
        release(client, result)
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
        let Ok(after) = i64::try_from(after_version) else {
            return Ok(state);
        };
        let client = self.client().await?;
        let result = reads::replay(&client, &self.inner.sql, stream, after, state, apply).await;
        release(client, result)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        let client = self.client().await?;
        let result = reads::stream_version(&client, &self.inner.sql, stream).await;
        release(client, result)
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        let Ok(after) = i64::try_from(after_position) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client().await?;
        let result = feed::read(
            &client,
            &self.inner.sql.feed,
            self.inner.xid_offset,
            self.inner.feed_wait,
            after,
            limit,
        )
        .await;
        release(client, result)
    }
}

impl fmt::Debug for PostgresEventStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresEventStore")
            .field("schema", &self.inner.schema)
            .field("pool", &self.inner.pool.status())
            .field("notifications", &self.inner.notifier.is_some())
            .field("feed_wait", &self.inner.feed_wait)
            .finish_non_exhaustive()
    }
}
