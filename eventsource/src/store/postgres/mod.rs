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
//! the shared event-id rule ([`classify_batch`](super::classify_batch())) and reports the
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

mod config;
mod feed;
mod migrations;
mod notify;
mod schema;
mod snapshots;

pub use config::{DEFAULT_FEED_WAIT, PostgresConfig};
pub use deadpool_postgres;
pub use feed::BATCH_LIMIT;
pub use notify::FeedWakeups;
use notify::Notifier;
pub use schema::{DEFAULT_SCHEMA, SchemaName};
pub use snapshots::PostgresSnapshotStore;
pub use tokio_postgres;

use super::backend::{BatchIdentity, classify_batch};
use super::{
    AppendOutcome, EventRef, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamId,
};
use crate::error::{BoxError, Error, Result};
use crate::event::EventMetadata;
use deadpool_postgres::{Object, Pool};
use futures_core::Stream;
use std::collections::BTreeMap;
use std::fmt;
use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Row, Statement};
use tracing::Instrument;
use uuid::Uuid;

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

/// How many times the careful path re-runs when a concurrent writer created the stream
/// between its check and its write.
const SLOW_PATH_ATTEMPTS: usize = 3;

impl PostgresEventStore {
    /// Connects with a connection string and the default settings (schema
    /// [`DEFAULT_SCHEMA`]); see [`PostgresConfig`] for the others.
    pub async fn connect(url: &str) -> Result<Self> {
        PostgresConfig::from_url(url).connect().await
    }

    pub(crate) fn from_parts(
        pool: Pool,
        schema: SchemaName,
        listen: Option<tokio_postgres::Config>,
        notifications: bool,
        feed_wait: Duration,
        xid_offset: i64,
    ) -> Self {
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

    /// One statement, one round trip: `Ok(None)` when the version did not match.
    async fn try_write(
        &self,
        client: &Object,
        stream: &StreamId,
        expected: ExpectedVersion,
        batch: &Batch<'_>,
    ) -> Result<Option<Written>, tokio_postgres::Error> {
        let exact_version;
        let (check, exact) = match expected {
            ExpectedVersion::Any => (StreamCheck::Any, None),
            ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => (StreamCheck::New, None),
            ExpectedVersion::StreamExists => (StreamCheck::Existing, None),
            ExpectedVersion::Exact(n) => {
                // A version beyond bigint cannot be stored, so it cannot match.
                let Ok(n) = i64::try_from(n) else {
                    return Ok(None);
                };
                exact_version = n;
                (StreamCheck::Exact, Some(&exact_version))
            }
        };
        let statement = client
            .prepare_cached(self.inner.sql.write(check, batch))
            .await?;
        let mut params = batch.params(stream, &self.inner.xid_offset);
        params.extend(exact.map(|v| v as &(dyn ToSql + Sync)));
        let row = client.query_opt(&statement, &params).await?;
        row.map(|row| Written::from_row(&row)).transpose()
    }

    /// The careful path: under the stream's row lock, tell a retry from a duplicate from a
    /// conflict, and write when none of them.
    async fn append_carefully(
        &self,
        client: &mut Object,
        stream: &StreamId,
        expected: ExpectedVersion,
        batch: &Batch<'_>,
    ) -> Result<Result<Written, AppendOutcome>> {
        let sql = &self.inner.sql;
        let batch_ids = batch.ids();
        let mut last_actual = 0;
        for _ in 0..SLOW_PATH_ATTEMPTS {
            let tx = client.transaction().await.map_err(backend)?;
            let lock = tx.prepare_cached(&sql.lock_stream).await.map_err(backend)?;
            let locked: Option<i64> = tx
                .query_opt(&lock, &[&stream.aggregate_type, &stream.aggregate_id])
                .await
                .map_err(backend)?
                .map(|row| row.try_get(0))
                .transpose()
                .map_err(backend)?;
            let actual = match locked {
                Some(v) => stream_version_from(v, stream)?,
                None => 0,
            };
            last_actual = actual;
            let stored_ids = tx.prepare_cached(&sql.stored_ids).await.map_err(backend)?;
            let stored = tx
                .query(
                    &stored_ids,
                    &[&stream.aggregate_type, &stream.aggregate_id, &batch_ids],
                )
                .await
                .map_err(backend)?
                .iter()
                .map(|row| {
                    let id: Uuid = row.try_get(0).map_err(backend)?;
                    let version: i64 = row.try_get(1).map_err(backend)?;
                    Ok((id, stream_version_from(version, stream)?))
                })
                .collect::<Result<Vec<_>>>()?;
            if let BatchIdentity::Retry { first_version } =
                classify_batch(stream, expected, &batch_ids, &stored)?
            {
                let range = tx.prepare_cached(&sql.read_range).await.map_err(backend)?;
                let rows = tx
                    .query(
                        &range,
                        &[
                            &stream.aggregate_type,
                            &stream.aggregate_id,
                            &to_i64(first_version - 1),
                            &to_i64(batch_ids.len() as u64),
                        ],
                    )
                    .await
                    .map_err(backend)?;
                let records = rows
                    .iter()
                    .map(|row| decode_event(row, 0, stream.clone()))
                    .collect::<Result<Vec<_>>>()?;
                tx.commit().await.map_err(backend)?;
                return Ok(Err(AppendOutcome {
                    records,
                    already_stored: true,
                }));
            }
            if !expected.is_satisfied_by(actual) {
                return Err(Error::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual,
                });
            }
            // The row is locked (or absent): write at exactly the version seen.
            let check = match locked {
                Some(_) => StreamCheck::Exact,
                None => StreamCheck::New,
            };
            let statement = tx
                .prepare_cached(sql.write(check, batch))
                .await
                .map_err(backend)?;
            let mut params = batch.params(stream, &self.inner.xid_offset);
            params.extend(locked.as_ref().map(|v| v as &(dyn ToSql + Sync)));
            match tx.query_opt(&statement, &params).await {
                Ok(Some(row)) => {
                    let written = Written::from_row(&row).map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    return Ok(Ok(written));
                }
                // Another writer created the stream meanwhile, or stored one of the ids:
                // look again.
                Ok(None) => {}
                Err(error) if is_unique_violation(&error) => {}
                Err(error) => return Err(backend(error)),
            }
        }
        Err(Error::Conflict {
            stream: stream.clone(),
            expected,
            actual: last_actual,
        })
    }

    async fn current_version(&self, client: &Object, stream: &StreamId) -> Result<u64> {
        let statement = client
            .prepare_cached(&self.inner.sql.stream_version)
            .await
            .map_err(backend)?;
        let row = client
            .query_opt(&statement, &[&stream.aggregate_type, &stream.aggregate_id])
            .await
            .map_err(backend)?;
        match row {
            None => Ok(0),
            Some(row) => stream_version_from(row.try_get(0).map_err(backend)?, stream),
        }
    }
}

impl PostgresEventStore {
    async fn append_on(
        &self,
        client: &mut Object,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        if events.is_empty() {
            let actual = self.current_version(client, stream).await?;
            return if expected.is_satisfied_by(actual) {
                Ok(AppendOutcome {
                    records: Vec::new(),
                    already_stored: false,
                })
            } else {
                Err(Error::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual,
                })
            };
        }
        let batch = Batch::new(&events);
        let written = match self.try_write(client, stream, expected, &batch).await {
            Ok(Some(written)) => written,
            Err(error) if !is_unique_violation(&error) => return Err(backend(error)),
            // The version did not match, or an id is stored already: look closer.
            Ok(None) | Err(_) => {
                match self
                    .append_carefully(client, stream, expected, &batch)
                    .await?
                {
                    Ok(written) => written,
                    Err(retry) => return Ok(retry),
                }
            }
        };
        drop(batch);
        if let Some(notifier) = &self.inner.notifier {
            notifier.appended();
        }
        Ok(AppendOutcome {
            records: written.records(stream, events),
            already_stored: false,
        })
    }

    async fn read_stream_on(
        &self,
        client: &Object,
        stream: &StreamId,
        after: i64,
    ) -> Result<Vec<RecordedEvent>> {
        let statement = client
            .prepare_cached(&self.inner.sql.read_stream)
            .await
            .map_err(backend)?;
        let params: [&(dyn ToSql + Sync); 3] =
            [&stream.aggregate_type, &stream.aggregate_id, &after];
        decode_rows(client, &statement, params, |row| {
            decode_event(row, 0, stream.clone())
        })
        .await
    }

    /// Applies the stream's events after `after` to `state` as their rows arrive, reading
    /// only the columns a load needs and building no record.
    async fn replay_on<T, F>(
        &self,
        client: &Object,
        stream: &StreamId,
        after: i64,
        mut state: T,
        mut apply: F,
    ) -> Result<T>
    where
        F: FnMut(&mut T, EventRef<'_>) -> Result<()>,
    {
        let statement = client
            .prepare_cached(&self.inner.sql.replay_stream)
            .await
            .map_err(backend)?;
        let params: [&(dyn ToSql + Sync); 3] =
            [&stream.aggregate_type, &stream.aggregate_id, &after];
        let rows = client
            .query_raw(&statement, params)
            .await
            .map_err(backend)?;
        let mut rows = pin!(rows);
        while let Some(row) = poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
            let row = row.map_err(backend)?;
            let version = stream_version_from(column(&row, 0, stream, 0, "version")?, stream)?;
            let schema_version: i64 = column(&row, 2, stream, version, "schema_version")?;
            let schema_version = u32::try_from(schema_version).map_err(|_| {
                corrupt(
                    stream,
                    version,
                    format!("schema version {schema_version} out of range"),
                )
            })?;
            let event = EventRef {
                version,
                event_type: column(&row, 1, stream, version, "event_type")?,
                schema_version,
                payload: column(&row, 3, stream, version, "payload")?,
            };
            apply(&mut state, event)?;
        }
        Ok(state)
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
            let result = self.append_on(&mut client, stream, expected, events).await;
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
        let result = self.read_stream_on(&client, stream, after).await;
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
        let result = self.replay_on(&client, stream, after, state, apply).await;
        release(client, result)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        let client = self.client().await?;
        let result = self.current_version(&client, stream).await;
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
            &self.inner.sql,
            self.inner.xid_offset,
            self.inner.feed_wait,
            after,
            limit,
        )
        .await;
        release(client, result)
    }
}

/// Hands the connection back to the pool, unless `result` says the connection is lost:
/// then it is dropped, so that the next caller does not find it dead (it may not know yet
/// that the server ended it).
pub(crate) fn release<T>(client: Object, result: Result<T>) -> Result<T> {
    if let Err(Error::Backend(source)) = &result
        && source
            .downcast_ref::<tokio_postgres::Error>()
            .is_some_and(connection_lost)
    {
        drop(Object::take(client));
    }
    result
}

/// A closed connection, an I/O error on it, or a server error that ends the session
/// (`FATAL`, shutdown, connection failure classes).
fn connection_lost(error: &tokio_postgres::Error) -> bool {
    let io = std::error::Error::source(error).is_some_and(|cause| cause.is::<std::io::Error>());
    if error.is_closed() || io {
        return true;
    }
    let fatal = error
        .as_db_error()
        .is_some_and(|db| matches!(db.severity(), "FATAL" | "PANIC"));
    let code = error.code().map(SqlState::code).unwrap_or_default();
    fatal || code.starts_with("57P") || code.starts_with("08")
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

/// The statements, written once per store for its schema.
pub(crate) struct Sql {
    stream_version: String,
    lock_stream: String,
    stored_ids: String,
    read_stream: String,
    /// The four columns a load needs (version, type, schema version, payload).
    replay_stream: String,
    read_range: String,
    /// Indexed by [`StreamCheck`]: for one event, and for a batch.
    write_one: [String; 4],
    write_many: [String; 4],
    feed_page: String,
    horizon: String,
}

/// How the write statement checks the stream's version.
#[derive(Debug, Clone, Copy)]
enum StreamCheck {
    /// Creates the stream or moves it on, whatever its version.
    Any = 0,
    /// Creates the stream; writes nothing if it exists.
    New = 1,
    /// Moves an existing stream on.
    Existing = 2,
    /// Moves the stream on from exactly the version in the last parameter.
    Exact = 3,
}

/// The columns [`decode_event`] reads, in its order.
const EVENT_COLUMNS: &str = "position, version, event_id, event_type, schema_version, payload, \
     occurred_at, correlation_id, causation_id, metadata::text";

impl Sql {
    fn new(schema: &SchemaName) -> Self {
        let s = schema.ident();
        let stream_version = format!(
            "SELECT version FROM {s}.streams WHERE aggregate_type = $1 AND aggregate_id = $2"
        );
        let stream_rows = format!(
            "SELECT {EVENT_COLUMNS} FROM {s}.events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND version > $3 ORDER BY version"
        );
        // One event binds scalars; a batch binds one array per column and unnests them.
        let one = (
            "1",
            "(VALUES ($3::uuid, $4::text, $5::bigint, $6::text, $7::timestamptz, $8::uuid, \
               $9::uuid, $10::text, 1::bigint))",
        );
        let many = (
            "cardinality($3::uuid[])",
            "unnest($3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::timestamptz[], \
               $8::uuid[], $9::uuid[], $10::text[]) WITH ORDINALITY",
        );
        let write = |(count, source): (&str, &str)| {
            [
                StreamCheck::Any,
                StreamCheck::New,
                StreamCheck::Existing,
                StreamCheck::Exact,
            ]
            .map(|check| write_sql(&s, check, count, source))
        };
        Sql {
            lock_stream: format!("{stream_version} FOR UPDATE"),
            stored_ids: format!(
                "SELECT event_id, version FROM {s}.events \
                 WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_id = ANY($3)"
            ),
            replay_stream: format!(
                "SELECT version, event_type, schema_version, payload FROM {s}.events \
                 WHERE aggregate_type = $1 AND aggregate_id = $2 AND version > $3 ORDER BY version"
            ),
            read_range: format!("{stream_rows} LIMIT $4"),
            read_stream: stream_rows,
            stream_version,
            write_one: write(one),
            write_many: write(many),
            feed_page: feed::page_sql(&s),
            horizon: feed::horizon_sql(),
        }
    }

    fn write(&self, check: StreamCheck, batch: &Batch<'_>) -> &str {
        let statements = match batch {
            Batch::One { .. } => &self.write_one,
            Batch::Many { .. } => &self.write_many,
        };
        &statements[check as usize]
    }
}

/// The write statement: `$1`, `$2` the stream, `$3` to `$10` the events' columns (scalars
/// or arrays), `$11` the transaction-id offset, `$12` the exact expected version.
///
/// The `streams` statement locks the stream's row and checks its version in one step; the
/// insert sees a row from it (`base`, the version before the batch) only when the check
/// passed, so a failed check writes nothing and returns no row.
fn write_sql(s: &str, check: StreamCheck, count: &str, source: &str) -> String {
    let stream_cte = match check {
        StreamCheck::Any => format!(
            "INSERT INTO {s}.streams AS st (aggregate_type, aggregate_id, version) \
             VALUES ($1, $2, {count}) \
             ON CONFLICT (aggregate_type, aggregate_id) \
             DO UPDATE SET version = st.version + excluded.version \
             RETURNING st.version - {count} AS base"
        ),
        StreamCheck::New => format!(
            "INSERT INTO {s}.streams (aggregate_type, aggregate_id, version) \
             VALUES ($1, $2, {count}) \
             ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING \
             RETURNING 0::bigint AS base"
        ),
        StreamCheck::Existing => format!(
            "UPDATE {s}.streams SET version = version + {count} \
             WHERE aggregate_type = $1 AND aggregate_id = $2 \
             RETURNING version - {count} AS base"
        ),
        StreamCheck::Exact => format!(
            "UPDATE {s}.streams SET version = version + {count} \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND version = $12::bigint \
             RETURNING version - {count} AS base"
        ),
    };
    let insert = format!(
        "INSERT INTO {s}.events (position, aggregate_type, aggregate_id, version, \
           event_id, event_type, schema_version, payload, occurred_at, \
           correlation_id, causation_id, metadata) \
         SELECT ((pg_current_xact_id()::text::bigint + $11::bigint) << {shift}) + u.ord, \
           $1, $2, s.base + u.ord, u.event_id, u.event_type, u.schema_version, \
           u.payload, u.occurred_at, u.correlation_id, u.causation_id, u.metadata::json \
         FROM s, {source} AS u(event_id, event_type, schema_version, payload, \
           occurred_at, correlation_id, causation_id, metadata, ord)",
        shift = feed::POSITION_SHIFT,
    );
    if count == "1" {
        // One row: the insert is the statement and returns what the caller needs.
        return format!("WITH s AS ({stream_cte}) {insert} RETURNING version - 1, position - 1");
    }
    format!(
        "WITH s AS ({stream_cte}), ins AS ({insert} RETURNING 1) \
         SELECT s.base, (pg_current_xact_id()::text::bigint + $11::bigint) << {shift}, \
           (SELECT count(*) FROM ins) \
         FROM s",
        shift = feed::POSITION_SHIFT,
    )
}

/// A batch as the write statement binds it.
enum Batch<'a> {
    One {
        event: &'a NewEvent,
        schema_version: i64,
        metadata: Option<String>,
    },
    Many {
        ids: Vec<Uuid>,
        event_types: Vec<&'a str>,
        schema_versions: Vec<i64>,
        payloads: Vec<&'a str>,
        occurred_at: Vec<SystemTime>,
        correlation_ids: Vec<Option<Uuid>>,
        causation_ids: Vec<Option<Uuid>>,
        metadata: Vec<Option<String>>,
    },
}

impl<'a> Batch<'a> {
    fn new(events: &'a [NewEvent]) -> Self {
        if let [event] = events {
            return Batch::One {
                event,
                schema_version: i64::from(event.schema_version),
                metadata: encode_extra(&event.metadata),
            };
        }
        Batch::Many {
            ids: events.iter().map(|e| e.metadata.event_id).collect(),
            event_types: events.iter().map(|e| e.event_type.as_str()).collect(),
            schema_versions: events.iter().map(|e| i64::from(e.schema_version)).collect(),
            payloads: events.iter().map(|e| e.payload.as_str()).collect(),
            occurred_at: events.iter().map(|e| e.metadata.occurred_at).collect(),
            correlation_ids: events.iter().map(|e| e.metadata.correlation_id).collect(),
            causation_ids: events.iter().map(|e| e.metadata.causation_id).collect(),
            metadata: events.iter().map(|e| encode_extra(&e.metadata)).collect(),
        }
    }

    /// The batch's event ids.
    fn ids(&self) -> Vec<Uuid> {
        match self {
            Batch::One { event, .. } => vec![event.metadata.event_id],
            Batch::Many { ids, .. } => ids.clone(),
        }
    }

    /// Parameters `$1` to `$11` of the write statements.
    fn params<'p>(
        &'p self,
        stream: &'p StreamId,
        xid_offset: &'p i64,
    ) -> Vec<&'p (dyn ToSql + Sync)> {
        match self {
            Batch::One {
                event,
                schema_version,
                metadata,
            } => vec![
                &stream.aggregate_type,
                &stream.aggregate_id,
                &event.metadata.event_id,
                &event.event_type,
                schema_version,
                &event.payload,
                &event.metadata.occurred_at,
                &event.metadata.correlation_id,
                &event.metadata.causation_id,
                metadata,
                xid_offset,
            ],
            Batch::Many {
                ids,
                event_types,
                schema_versions,
                payloads,
                occurred_at,
                correlation_ids,
                causation_ids,
                metadata,
            } => vec![
                &stream.aggregate_type,
                &stream.aggregate_id,
                ids,
                event_types,
                schema_versions,
                payloads,
                occurred_at,
                correlation_ids,
                causation_ids,
                metadata,
                xid_offset,
            ],
        }
    }
}

/// The extra pairs as a JSON object; none (SQL `NULL`) when there are none, which also
/// spares every read a column value.
fn encode_extra(metadata: &EventMetadata) -> Option<String> {
    if metadata.extra.is_empty() {
        return None;
    }
    // A map of strings always serialises.
    serde_json::to_string(&metadata.extra).ok()
}

/// What a successful write statement reports.
struct Written {
    /// The stream's version before the batch.
    base: i64,
    /// The batch's position base: event `i` (from 1) is at `position_base + i`.
    position_base: i64,
}

impl Written {
    fn from_row(row: &Row) -> Result<Self, tokio_postgres::Error> {
        Ok(Written {
            base: row.try_get(0)?,
            position_base: row.try_get(1)?,
        })
    }

    fn records(&self, stream: &StreamId, events: Vec<NewEvent>) -> Vec<RecordedEvent> {
        events
            .into_iter()
            .zip(1u64..)
            .map(|(event, i)| RecordedEvent {
                position: self.position_base as u64 + i,
                stream: stream.clone(),
                version: self.base as u64 + i,
                event_type: event.event_type,
                schema_version: event.schema_version,
                payload: event.payload,
                metadata: event.metadata,
            })
            .collect()
    }
}

/// Runs `statement` and decodes each row as it arrives, while the next ones are still on
/// their way: a 10,000-event load spends its decoding time during the transfer.
pub(crate) async fn decode_rows<T, const N: usize>(
    client: &Object,
    statement: &Statement,
    params: [&(dyn ToSql + Sync); N],
    mut decode: impl FnMut(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let rows = client.query_raw(statement, params).await.map_err(backend)?;
    let mut rows = pin!(rows);
    let mut decoded = Vec::new();
    while let Some(row) = poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        decoded.push(decode(&row.map_err(backend)?)?);
    }
    Ok(decoded)
}

/// Reads the event columns of [`EVENT_COLUMNS`] starting at column `at`.
pub(crate) fn decode_event(row: &Row, at: usize, stream: StreamId) -> Result<RecordedEvent> {
    let position: i64 = column(row, at, &stream, 0, "position")?;
    let version: i64 = column(row, at + 1, &stream, 0, "version")?;
    let Ok(version) = u64::try_from(version) else {
        return Err(corrupt(&stream, 0, format!("negative version {version}")));
    };
    let position = u64::try_from(position)
        .map_err(|_| corrupt(&stream, version, format!("negative position {position}")))?;
    let event_id: Uuid = column(row, at + 2, &stream, version, "event_id")?;
    let event_type: String = column(row, at + 3, &stream, version, "event_type")?;
    let schema_version: i64 = column(row, at + 4, &stream, version, "schema_version")?;
    let schema_version = u32::try_from(schema_version).map_err(|_| {
        corrupt(
            &stream,
            version,
            format!("schema version {schema_version} out of range"),
        )
    })?;
    let payload: String = column(row, at + 5, &stream, version, "payload")?;
    let occurred_at: SystemTime = column(row, at + 6, &stream, version, "occurred_at")?;
    let correlation_id: Option<Uuid> = column(row, at + 7, &stream, version, "correlation_id")?;
    let causation_id: Option<Uuid> = column(row, at + 8, &stream, version, "causation_id")?;
    let metadata: Option<&str> = column(row, at + 9, &stream, version, "metadata")?;
    let extra = match metadata {
        None | Some("{}") => BTreeMap::new(),
        Some(metadata) => serde_json::from_str(metadata).map_err(|e| {
            corrupt(
                &stream,
                version,
                format!("metadata is not a JSON object of strings: {e}"),
            )
        })?,
    };
    Ok(RecordedEvent {
        position,
        stream,
        version,
        event_type,
        schema_version,
        payload,
        metadata: EventMetadata {
            event_id,
            occurred_at,
            correlation_id,
            causation_id,
            extra,
        },
    })
}

fn column<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    stream: &StreamId,
    version: u64,
    name: &str,
) -> Result<T> {
    row.try_get(index)
        .map_err(|e| corrupt(stream, version, format!("unreadable column `{name}`: {e}")))
}

fn corrupt(stream: &StreamId, version: u64, reason: String) -> Error {
    Error::Corrupt {
        stream: stream.clone(),
        version,
        reason,
    }
}

fn stream_version_from(version: i64, stream: &StreamId) -> Result<u64> {
    u64::try_from(version).map_err(|_| corrupt(stream, 0, format!("negative version {version}")))
}

/// Versions and counts the store handles fit in bigint: they come from bigint columns.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn is_unique_violation(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Wraps a driver or pool error.
pub(crate) fn backend(error: impl Into<BoxError>) -> Error {
    Error::Backend(error.into())
}
