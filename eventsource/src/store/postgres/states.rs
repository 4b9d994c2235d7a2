//! [`PostgresStateStore`]: aggregate states in a table of a PostgreSQL store's schema.

use super::PostgresEventStore;
use super::errors::{backend, release};
use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::state::{StateStore, StoredState, conflict};
use crate::stream::StreamId;
use deadpool_postgres::Pool;
use std::fmt;
use std::sync::Arc;

/// Aggregate states in the `states` table of the event store's schema (one row per
/// aggregate: type, id, version, state schema version, state as `text`). Of two saves at
/// one version exactly one wins, across processes and machines: each save is one
/// statement whose `WHERE version = expected` the row lock makes exact.
#[derive(Clone)]
pub struct PostgresStateStore {
    pool: Pool,
    sql: Arc<StateSql>,
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
        })
    }
}

fn to_i64(stream: &StreamId, version: u64) -> Result<i64> {
    i64::try_from(version).map_err(|_| {
        Error::Config(format!(
            "version {version} of {stream} is beyond what the store can keep"
        ))
    })
}

impl PostgresStateStore {
    async fn read(&self, stream: &StreamId) -> Result<Option<StoredState>> {
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

    async fn write(&self, state: &StoredState, expected: u64) -> Result<()> {
        let stream = &state.stream;
        let version = to_i64(stream, state.version)?;
        let expected_at = to_i64(stream, expected)?;
        let schema_version = i32::try_from(state.schema_version).map_err(|_| {
            Error::Config(format!(
                "state schema version {} of {stream} is beyond what the store can keep",
                state.schema_version
            ))
        })?;
        let client = self.pool.get().await.map_err(backend)?;
        let result = async {
            let (kind, key) = (&stream.aggregate_type, &stream.aggregate_id);
            let changed = if expected == 0 {
                let statement = client.prepare_cached(&self.sql.insert).await?;
                client
                    .execute(
                        &statement,
                        &[kind, key, &version, &schema_version, &state.state],
                    )
                    .await?
            } else {
                let statement = client.prepare_cached(&self.sql.update).await?;
                client
                    .execute(
                        &statement,
                        &[
                            kind,
                            key,
                            &version,
                            &schema_version,
                            &state.state,
                            &expected_at,
                        ],
                    )
                    .await?
            };
            if changed == 1 {
                return Ok(None);
            }
            let statement = client.prepare_cached(&self.sql.version).await?;
            let actual = client.query_opt(&statement, &[kind, key]).await?;
            actual
                .map(|row| row.try_get::<_, i64>(0))
                .transpose()
                .map(|v| Some(v.unwrap_or(0)))
        }
        .await
        .map_err(backend);
        match release(client, result)? {
            None => Ok(()),
            Some(actual) => Err(conflict(
                stream,
                expected,
                u64::try_from(actual).unwrap_or(0),
            )),
        }
    }
}

impl StateStore for PostgresStateStore {
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>> {
        Box::pin(self.read(stream))
    }

    fn save<'a>(&'a self, state: &'a StoredState, expected: u64) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.write(state, expected))
    }
}
