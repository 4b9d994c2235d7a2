//! [`PostgresEventStore`]: the store itself.

use super::append::Appender;
use super::config::StoreParts;
use super::errors::{backend, release};
use super::notify::Notifier;
use super::sql::Sql;
use super::subscriptions::SubscriptionSql;
use super::{
    BATCH_LIMIT, FeedWakeups, PostgresConfig, PostgresSnapshotStore, SchemaName, feed, notify,
    reads, tls,
};
use crate::error::{ConfigKind, Error, Result};
use crate::store::backend;
use crate::store::{
    AppendOutcome, AppendSignal, EventRef, EventStore, ExpectedVersion, FeedPage, NewEvent,
    RecordedEvent, StreamId,
};
use deadpool_postgres::{Object, Pool};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// An event store in a PostgreSQL schema, shared by any number of processes.
///
/// Cloning gives another handle to the same pool. See the [module docs](crate::store::postgres) for the
/// tables, the feed's guarantee and its cost.
#[derive(Clone)]
pub struct PostgresEventStore {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) pool: Pool,
    pub(super) schema: SchemaName,
    pub(super) sql: Sql,
    pub(super) subscription_sql: SubscriptionSql,
    pub(super) listen: Option<tls::ConnectTo>,
    pub(super) notifier: Option<Notifier>,
    pub(super) feed_wait: Duration,
    pub(super) xid_offset: i64,
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
    /// [`DEFAULT_SCHEMA`](super::DEFAULT_SCHEMA)); see [`PostgresConfig`] for the others.
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

    pub(super) async fn client(&self) -> Result<Object> {
        self.inner.pool.get().await.map_err(backend)
    }

    pub(super) fn appender(&self) -> Appender<'_> {
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
