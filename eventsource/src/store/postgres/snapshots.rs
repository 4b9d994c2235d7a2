//! The PostgreSQL snapshot store: the `snapshots` table of a
//! [`PostgresEventStore`](super::PostgresEventStore)'s schema.

use super::errors::{backend, release};
use super::schema::SchemaName;
use crate::codec::{Codec, Payload, PayloadRef};
use crate::error::{ConfigKind, Error, Result};
use crate::future::BoxFuture;
use crate::store::backend::check_stream;
use crate::store::{Snapshot, SnapshotStore};
use crate::stream::StreamId;
use deadpool_postgres::{Object, Pool};
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;
use tokio_postgres::Row;

/// One snapshot per aggregate, in the `snapshots` table of an event store's schema. Get
/// one with [`PostgresEventStore::snapshot_store`](super::PostgresEventStore::snapshot_store).
///
/// A save is a single `INSERT ... ON CONFLICT DO UPDATE ... WHERE excluded.version >=
/// snapshots.version`: concurrent savers never let an older snapshot replace a newer one.
#[derive(Clone)]
pub struct PostgresSnapshotStore {
    pool: Pool,
    sql: Arc<SnapshotSql>,
}

struct SnapshotSql {
    save: String,
    load: String,
    delete: String,
}

impl PostgresSnapshotStore {
    pub(crate) fn new(pool: Pool, schema: &SchemaName) -> Self {
        let s = schema.ident();
        let sql = SnapshotSql {
            save: format!(
                "INSERT INTO {s}.snapshots AS old \
                   (aggregate_type, aggregate_id, version, schema_version, state, taken_at, \
                    codec, state_binary) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET \
                   version = excluded.version, schema_version = excluded.schema_version, \
                   state = excluded.state, taken_at = excluded.taken_at, \
                   codec = excluded.codec, state_binary = excluded.state_binary \
                 WHERE excluded.version >= old.version"
            ),
            load: format!(
                "SELECT version, schema_version, state, taken_at, codec, state_binary \
                 FROM {s}.snapshots \
                 WHERE aggregate_type = $1 AND aggregate_id = $2"
            ),
            delete: format!(
                "DELETE FROM {s}.snapshots WHERE aggregate_type = $1 AND aggregate_id = $2"
            ),
        };
        PostgresSnapshotStore {
            pool,
            sql: Arc::new(sql),
        }
    }

    async fn client(&self) -> Result<Object> {
        self.pool.get().await.map_err(backend)
    }

    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        check_stream(&snapshot.stream)?;
        let version = i64::try_from(snapshot.version).map_err(|_| {
            Error::config(
                ConfigKind::OutOfRange,
                format!(
                    "snapshot version {} of {} does not fit PostgreSQL's bigint",
                    snapshot.version, snapshot.stream
                ),
            )
        })?;
        let client = self.client().await?;
        let result = async {
            let statement = client.prepare_cached(&self.sql.save).await?;
            client
                .execute(
                    &statement,
                    &[
                        &snapshot.stream.aggregate_type,
                        &snapshot.stream.aggregate_id,
                        &version,
                        &i64::from(snapshot.schema_version),
                        &snapshot.state,
                        &snapshot.taken_at,
                        &snapshot.codec.id(),
                        &(!snapshot.codec.is_text()).then_some(&snapshot.binary[..]),
                    ],
                )
                .await
        }
        .await
        .map(drop)
        .map_err(backend);
        release(client, result)
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>> {
        check_stream(stream)?;
        let client = self.client().await?;
        let result = async {
            let statement = client.prepare_cached(&self.sql.load).await?;
            client
                .query_opt(&statement, &[&stream.aggregate_type, &stream.aggregate_id])
                .await
        }
        .await
        .map_err(backend)
        .and_then(|row| row.map(|row| decode(&row, stream)).transpose());
        release(client, result)
    }

    async fn delete_snapshot(&self, stream: &StreamId) -> Result<()> {
        check_stream(stream)?;
        let client = self.client().await?;
        let result = async {
            let statement = client.prepare_cached(&self.sql.delete).await?;
            client
                .execute(&statement, &[&stream.aggregate_type, &stream.aggregate_id])
                .await
        }
        .await
        .map(drop)
        .map_err(backend);
        release(client, result)
    }
}

fn decode(row: &Row, stream: &StreamId) -> Result<Snapshot> {
    let corrupt = |version: u64, reason: String| Error::Corrupt {
        stream: stream.clone(),
        version,
        reason: format!("snapshot: {reason}"),
    };
    let version: i64 = row.try_get(0).map_err(|e| corrupt(0, e.to_string()))?;
    let version =
        u64::try_from(version).map_err(|_| corrupt(0, format!("negative version {version}")))?;
    let schema_version: i64 = row
        .try_get(1)
        .map_err(|e| corrupt(version, e.to_string()))?;
    let schema_version = u32::try_from(schema_version).map_err(|_| {
        corrupt(
            version,
            format!("schema version {schema_version} out of range"),
        )
    })?;
    let codec: &str = row
        .try_get(4)
        .map_err(|e| corrupt(version, e.to_string()))?;
    let codec = Codec::from_id(codec)
        .ok_or_else(|| corrupt(version, format!("unknown codec `{codec}`")))?;
    let state = if codec.is_text() {
        let text: String = row
            .try_get(2)
            .map_err(|e| corrupt(version, e.to_string()))?;
        Payload::Json(text)
    } else {
        let bytes: Option<&[u8]> = row
            .try_get(5)
            .map_err(|e| corrupt(version, e.to_string()))?;
        let bytes = bytes.ok_or_else(|| corrupt(version, format!("a `{codec}` state is NULL")))?;
        PayloadRef::from_parts(codec, "", bytes).to_owned()
    };
    let taken_at: SystemTime = row
        .try_get(3)
        .map_err(|e| corrupt(version, e.to_string()))?;
    Ok(Snapshot::new(
        stream.clone(),
        version,
        schema_version,
        state,
        taken_at,
    ))
}

impl SnapshotStore for PostgresSnapshotStore {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.save_snapshot(snapshot))
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        Box::pin(self.load_snapshot(stream))
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.delete_snapshot(stream))
    }
}

impl fmt::Debug for PostgresSnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSnapshotStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}
