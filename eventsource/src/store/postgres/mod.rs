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
//!   `metadata` (the extra pairs as a JSON object, `NULL` when there are none), `codec`
//!   (the [`Codec`](crate::Codec) that wrote the payload: `json` or `msgpack`) and
//!   `payload_binary` (a binary codec's bytes; `payload` is then empty). Unique on
//!   (stream, version), which backs the version check, and on (stream, event id), which
//!   backs the event-id rule.
//! - `streams`: each stream's current version, read in O(1); its row serialises the
//!   stream's writers.
//! - `snapshots`: one row per aggregate (see [`PostgresSnapshotStore`]).
//! - `checkpoints` and `parked`: subscriptions' checkpoints and parked events (the store
//!   is a [`SubscriptionStore`](crate::store::SubscriptionStore)).
//! - `settings` and `schema_migrations`: the store's own bookkeeping.
//!
//! `payload` is `text`, not `jsonb`, so that it comes back byte for byte (`jsonb` reorders
//! keys, drops duplicate keys and whitespace, rewrites numbers and refuses `\u0000`); an
//! undecodable payload is a decode error when it is loaded, naming the stream and version.
//! `metadata` is `json`, which keeps its text as given and can still be queried with `->>`.
//!
//! # Appends
//!
//! An append is one statement, so one round trip: it moves the stream's row in `streams`
//! to the new version *only if* the version matches the expectation (a row lock, so the
//! check holds across processes) and inserts the batch. When it writes nothing or hits a
//! stored event id, a second transaction locks the stream row, applies the shared event-id
//! rule ([`classify_batch`](crate::store::backend::classify_batch)) and reports the retry,
//! the duplicate or the [`Error::Conflict`] with the version it saw under the lock. A batch
//! is written whole or not at all; one append holds at most [`BATCH_LIMIT`] (65,535)
//! events.
//!
//! # The global feed never skips
//!
//! An event's position is `(transaction id + offset) × 65,536 + its index in the batch`.
//! Transactions commit in any order, so [`read_all`](crate::EventStore::read_all) returns
//! only events of transactions below the *horizon*, the oldest transaction still running
//! when the read began (`pg_snapshot_xmin(pg_current_snapshot())`). No event can later
//! appear below it, so a reader that follows the feed in position order sees every
//! committed event once and never skips one. When events were committed above the horizon,
//! `read_all` waits, at most [`PostgresConfig::feed_wait`], until the horizon passes the
//! newest of them, so a reader sees its own writes; then it returns what is final.
//!
//! This costs writers nothing; an ordering lock held until commit would make every append
//! wait for the previous one's commit flush, losing PostgreSQL's group commit. What it
//! costs instead:
//! - Readers lag by the longest transaction holding a transaction id anywhere in the
//!   cluster, not only this store's: a long transaction or a forgotten prepared
//!   transaction holds the feed back (each read then waits up to `feed_wait`). Read-only
//!   transactions do not count.
//! - A read that finds events above the horizon polls until it passes them (1 ms, then up
//!   to 20 ms apart): a few milliseconds under ordinary load.
//! - Positions are large and not dense; only their order means anything.
//! - A database restored by `pg_dump` into another cluster may have a younger transaction
//!   counter than its positions: `connect` notices and raises the stored offset so that new
//!   positions still come after the restored ones (start writers only after the restore).
//!
//! # Notifications
//!
//! After appends the store sends `NOTIFY <schema>_events` from a task and connection of
//! its own, at most once every 10 ms and always once after the last append; appends do not
//! wait for it (inside the append, a `NOTIFY` would serialise every appending transaction
//! on PostgreSQL's notification lock). [`PostgresConfig::notifications`] turns them off.
//! [`PostgresEventStore::subscribe_notifications`] listens on a connection of its own and
//! wakes the caller. A notification is a wake-up only: it carries nothing, may be lost (a
//! crash right after the commit) and may be spurious, so a reader re-reads the feed when
//! woken and also now and then without being woken.
//!
//! # Subscriptions
//!
//! Checkpoints and parked events live in the schema's `checkpoints` and `parked` tables.
//! One process at a time runs a subscription name:
//! [`claim`](crate::store::SubscriptionStore::claim) takes a session advisory lock (key:
//! FNV-1a 64 of `eventsource.subscription/<schema>/<name>`, fixed for good) on a
//! connection of the claim's own, made with the store's connection settings (for a pool
//! alone, a connection taken out of the pool for good). The lock lives exactly as long as
//! that connection: dropping the claim closes it, and a claim whose connection ends
//! otherwise reports itself lost. A dead process's sockets are closed by its OS, so the
//! server ends the session and frees the lock at once; a standby's next attempt takes
//! over (measured on one host: 20 to 40 ms after `SIGKILL`, attempts 100 ms apart). A
//! machine that vanishes without closing its sockets holds the lock until the server's TCP
//! keepalives (`tcp_keepalives_*`) end the session.
//!
//! # Client
//!
//! [`tokio_postgres`] 0.7 with a [`deadpool_postgres`] 0.14 pool, both re-exported here;
//! chosen over `sqlx` 0.8 by measurement (faster commits, requests pipelined on one
//! connection; the figures are with the project's benchmarks, `tests/src/postgres_bench.rs`),
//! and it resolves beside `rusqlite`, which `sqlx` 0.8 does not. Connections
//! made from a URL are unencrypted; for TLS, pass a pool ([`PostgresConfig::from_pool`]).
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
mod claims;
mod config;
mod errors;
mod feed;
mod locks;
mod migrations;
mod notify;
mod reads;
mod rows;
mod schema;
mod snapshots;
mod sql;
mod states;
mod subscriptions;
mod tls;
mod transactional;

pub use config::{DEFAULT_FEED_WAIT, PostgresConfig};
pub use deadpool_postgres;
pub use feed::BATCH_LIMIT;
pub use locks::{DEFAULT_LOCK_CONNECTIONS, PostgresLocks};
pub use notify::FeedWakeups;
pub use schema::{DEFAULT_SCHEMA, SchemaName};
pub use snapshots::PostgresSnapshotStore;
pub use states::PostgresStateStore;
pub use tokio_postgres;

use super::backend;
use super::{
    AppendOutcome, AppendSignal, EventRef, EventStore, ExpectedVersion, FeedPage, NewEvent,
    RecordedEvent, StreamId,
};
use crate::error::{ConfigKind, Error, Result};
use append::Appender;
use config::StoreParts;
use deadpool_postgres::{Object, Pool};
use errors::{backend, release};
use notify::Notifier;
use sql::Sql;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use subscriptions::SubscriptionSql;
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
    subscription_sql: SubscriptionSql,
    listen: Option<tls::ConnectTo>,
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
        let subscription_sql = SubscriptionSql::new(&schema);
        let notifier = notifications.then(|| Notifier::new(&schema, listen.clone(), pool.clone()));
        PostgresEventStore {
            inner: Arc::new(Inner {
                pool,
                schema,
                sql,
                subscription_sql,
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
            return Err(Error::config(
                ConfigKind::Connection,
                "notifications need connection settings: give `PostgresConfig::listen_config` \
                 along with the pool",
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
        backend::check_stream(stream)?;
        if events.len() > BATCH_LIMIT {
            return Err(Error::config(
                ConfigKind::OutOfRange,
                format!(
                    "a batch of {} events for {stream} exceeds the PostgreSQL store's limit of \
                 {BATCH_LIMIT} events per append",
                    events.len()
                ),
            ));
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
        backend::check_stream(stream)?;
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
        backend::check_stream(stream)?;
        let Ok(after) = i64::try_from(after_version) else {
            return Ok(state);
        };
        let client = self.client().await?;
        let result = reads::replay(&client, &self.inner.sql, stream, after, state, apply).await;
        release(client, result)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        backend::check_stream(stream)?;
        let client = self.client().await?;
        let result = reads::stream_version(&client, &self.inner.sql, stream).await;
        release(client, result)
    }

    async fn feed_position_at(&self, time: std::time::SystemTime) -> Result<u64> {
        let sql = format!(
            "SELECT min(position) FROM {}.events WHERE occurred_at >= $1",
            self.inner.schema.ident()
        );
        let client = self.client().await?;
        let first = reads::optional_number(&client, &sql, &[&time]).await;
        let first = release(client, first)?;
        match first {
            Some(position) => Ok(position.saturating_sub(1)),
            None => self.head_position().await,
        }
    }

    async fn stream_version_at(
        &self,
        stream: &StreamId,
        time: std::time::SystemTime,
    ) -> Result<u64> {
        backend::check_stream(stream)?;
        let sql = format!(
            "SELECT min(version) FROM {}.events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND occurred_at >= $3",
            self.inner.schema.ident()
        );
        let client = self.client().await?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&stream.aggregate_type, &stream.aggregate_id, &time];
        let first = reads::optional_number(&client, &sql, &params).await;
        let first = release(client, first)?;
        match first {
            Some(version) => Ok(version.saturating_sub(1)),
            None => self.stream_version(stream).await,
        }
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        backend::readable(self.read_feed(after_position, limit).await?.into_entries())
    }

    async fn read_feed(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
        let Ok(after) = i64::try_from(after_position) else {
            return Ok(FeedPage::new());
        };
        if limit == 0 {
            return Ok(FeedPage::new());
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

    async fn head_position(&self) -> Result<u64> {
        let client = self.client().await?;
        let result = feed::head_position(&client, &self.inner.sql.feed).await;
        release(client, result)
    }

    /// `None` when notifications are off, or when the store was given a pool without
    /// [`PostgresConfig::listen_config`] (nothing to listen with): the subscription polls.
    async fn append_signal(&self) -> Result<Option<AppendSignal>> {
        if self.inner.notifier.is_none() || self.inner.listen.is_none() {
            return Ok(None);
        }
        let wakeups = self.subscribe_notifications().await?;
        Ok(Some(notify::relay(wakeups)))
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
