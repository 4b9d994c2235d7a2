//! [`PostgresStateStore`]: aggregate states in a table of a PostgreSQL store's schema.

use super::batch::Batch;
use super::errors::{backend, is_unique_violation, release};
use super::reads::stream_version;
use super::{BATCH_LIMIT, PostgresEventStore};
use crate::error::{ConfigKind, Error, Result};
use crate::future::BoxFuture;
use crate::state::contract::{StateStore, StoredState};
use crate::store::backend::check_stream;
use crate::store::backend::{log_mismatch, state_conflict, unlogged_records};
use crate::store::{ExpectedVersion, NewEvent, RecordedEvent};
use crate::stream::StreamId;
use deadpool_postgres::{GenericClient, Pool};
use std::fmt;
use std::sync::Arc;

/// Aggregate states in the `states` table of the event store's schema (one row per
/// aggregate: type, id, version, state schema version, state as `text`). Of two saves at
/// one version exactly one wins, across processes and machines: each save is one
/// statement whose `WHERE version = expected` the row lock makes exact.
///
/// With [`with_event_log`](Self::with_event_log), each save also appends its events to
/// the aggregate's stream in the event store of the same schema, in the same transaction.
#[derive(Clone)]
pub struct PostgresStateStore {
    pool: Pool,
    sql: Arc<StateSql>,
    /// The event store of the same schema, which a logging store's saves append to.
    events: PostgresEventStore,
    logged: bool,
}

struct StateSql {
    insert: String,
    update: String,
    select: String,
    version: String,
}

impl fmt::Debug for PostgresStateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStateStore").finish_non_exhaustive()
    }
}

impl PostgresEventStore {
    /// The state store of this schema, for a
    /// [`StateStoredRepository`](crate::StateStoredRepository), on the store's pool. Its
    /// table (`states`) is made by the store's migrations.
    pub async fn state_store(&self) -> Result<PostgresStateStore> {
        let s = self.inner.schema.ident();
        Ok(PostgresStateStore {
            pool: self.inner.pool.clone(),
            sql: Arc::new(StateSql {
                insert: format!(
                    "INSERT INTO {s}.states (aggregate_type, aggregate_id, version, schema_version, state) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING"
                ),
                update: format!(
                    "UPDATE {s}.states SET version = $3, schema_version = $4, state = $5 \
                     WHERE aggregate_type = $1 AND aggregate_id = $2 AND version = $6"
                ),
                select: format!(
                    "SELECT version, schema_version, state FROM {s}.states \
                     WHERE aggregate_type = $1 AND aggregate_id = $2"
                ),
                version: format!(
                    "SELECT version FROM {s}.states WHERE aggregate_type = $1 AND aggregate_id = $2"
                ),
            }),
            events: self.clone(),
            logged: false,
        })
    }
}

fn to_i64(stream: &StreamId, version: u64) -> Result<i64> {
    i64::try_from(version).map_err(|_| {
        Error::config(
            ConfigKind::OutOfRange,
            format!("version {version} of {stream} is beyond what the store can keep"),
        )
    })
}

impl PostgresStateStore {
    async fn read(&self, stream: &StreamId) -> Result<Option<StoredState>> {
        check_stream(stream)?;
        let client = self.pool.get().await.map_err(backend)?;
        let result = async {
            let statement = client.prepare_cached(&self.sql.select).await?;
            let row = client
                .query_opt(&statement, &[&stream.aggregate_type, &stream.aggregate_id])
                .await?;
            row.map(|row| {
                Ok::<_, tokio_postgres::Error>((
                    row.try_get::<_, i64>(0)?,
                    row.try_get::<_, i32>(1)?,
                    row.try_get::<_, String>(2)?,
                ))
            })
            .transpose()
        }
        .await
        .map_err(backend);
        let Some((version, schema_version, state)) = release(client, result)? else {
            return Ok(None);
        };
        let corrupt = |what: &str| Error::Corrupt {
            stream: stream.clone(),
            version: u64::try_from(version).unwrap_or(0),
            reason: format!("the stored state's {what} is out of range"),
        };
        Ok(Some(StoredState {
            stream: stream.clone(),
            version: u64::try_from(version).map_err(|_| corrupt("version"))?,
            schema_version: u32::try_from(schema_version).map_err(|_| corrupt("schema version"))?,
            state,
        }))
    }

    /// This store, appending the events of every save to the aggregate's stream in the
    /// event store of the same schema, at the versions the state reached, in the
    /// transaction that stores the state: a save stores both or neither. The event
    /// store's feed, subscriptions and projections then see them, and the event-sourced
    /// repository can load the aggregate from them.
    pub fn with_event_log(mut self) -> Self {
        self.logged = true;
        self
    }

    async fn write(
        &self,
        state: &StoredState,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> Result<Vec<RecordedEvent>> {
        let stream = &state.stream;
        check_stream(stream)?;
        let row = StateRow::new(state, expected)?;
        if self.logged && events.len() > BATCH_LIMIT {
            return Err(Error::config(
                ConfigKind::OutOfRange,
                format!(
                    "a batch of {} events for {stream} exceeds the PostgreSQL store's limit of \
                 {BATCH_LIMIT} events per append",
                    events.len()
                ),
            ));
        }
        let mut client = self.pool.get().await.map_err(backend)?;
        if !self.logged {
            let result = row.write(&client, &self.sql).await.map_err(backend);
            return match release(client, result)? {
                None => Ok(unlogged_records(stream, expected, events)),
                Some(actual) => Err(state_conflict(stream, expected, actual)),
            };
        }
        let result = self.write_logged(&mut client, &row, expected, events).await;
        let outcome = release(client, result)?;
        if outcome.is_ok()
            && let Some(notifier) = self.events.inner.notifier.as_ref()
        {
            notifier.appended();
        }
        outcome
    }

    /// The state and its events in one transaction: `Ok(Err(_))` when nothing was written
    /// for a reason of the data's (a conflict, a log that does not match).
    async fn write_logged(
        &self,
        client: &mut deadpool_postgres::Object,
        row: &StateRow<'_>,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> Result<Result<Vec<RecordedEvent>>> {
        let stream = &row.state.stream;
        let tx = client.transaction().await.map_err(backend)?;
        if let Some(actual) = row.write(&tx, &self.sql).await.map_err(backend)? {
            return Ok(Err(state_conflict(stream, expected, actual)));
        }
        let batch = Batch::new(&events);
        let appender = self.events.appender();
        let written = match appender
            .try_write(&tx, stream, ExpectedVersion::Exact(expected), &batch)
            .await
        {
            Ok(Some(written)) => written,
            // The stream is not at the state's version (or was written meanwhile by
            // another writer of the log): nothing is written.
            Ok(None) => {
                drop(tx);
                let logged = stream_version(client, &self.events.inner.sql, stream).await?;
                return Ok(Err(log_mismatch(stream, expected, logged)));
            }
            Err(error) if is_unique_violation(&error) => {
                drop(tx);
                let logged = stream_version(client, &self.events.inner.sql, stream).await?;
                return Ok(Err(log_mismatch(stream, expected, logged)));
            }
            Err(error) => return Err(backend(error)),
        };
        tx.commit().await.map_err(backend)?;
        drop(batch);
        Ok(written.records(stream, events))
    }
}

/// A state's row, its values converted for the `states` table.
struct StateRow<'s> {
    state: &'s StoredState,
    version: i64,
    expected: u64,
    expected_at: i64,
    schema_version: i32,
}

impl<'s> StateRow<'s> {
    fn new(state: &'s StoredState, expected: u64) -> Result<Self> {
        let stream = &state.stream;
        Ok(StateRow {
            state,
            version: to_i64(stream, state.version)?,
            expected,
            expected_at: to_i64(stream, expected)?,
            schema_version: i32::try_from(state.schema_version).map_err(|_| {
                Error::config(
                    ConfigKind::OutOfRange,
                    format!(
                        "state schema version {} of {stream} is beyond what the store can keep",
                        state.schema_version
                    ),
                )
            })?,
        })
    }

    /// Replaces the stored state if its version is the expected one: `None` when written,
    /// the stored version (0: none) when not.
    async fn write(
        &self,
        client: &impl GenericClient,
        sql: &StateSql,
    ) -> Result<Option<u64>, tokio_postgres::Error> {
        let stream = &self.state.stream;
        let (kind, key) = (&stream.aggregate_type, &stream.aggregate_id);
        let (version, schema_version, state) =
            (&self.version, &self.schema_version, &self.state.state);
        let changed = if self.expected == 0 {
            let statement = client.prepare_cached(&sql.insert).await?;
            client
                .execute(&statement, &[kind, key, version, schema_version, state])
                .await?
        } else {
            let statement = client.prepare_cached(&sql.update).await?;
            client
                .execute(
                    &statement,
                    &[kind, key, version, schema_version, state, &self.expected_at],
                )
                .await?
        };
        if changed == 1 {
            return Ok(None);
        }
        let statement = client.prepare_cached(&sql.version).await?;
        let actual = client.query_opt(&statement, &[kind, key]).await?;
        let actual = actual.map(|row| row.try_get::<_, i64>(0)).transpose()?;
        Ok(Some(
            actual.and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
        ))
    }
}

impl StateStore for PostgresStateStore {
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>> {
        Box::pin(self.read(stream))
    }

    fn save<'a>(
        &'a self,
        state: &'a StoredState,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<Vec<RecordedEvent>>> {
        Box::pin(self.write(state, expected, events))
    }
}
