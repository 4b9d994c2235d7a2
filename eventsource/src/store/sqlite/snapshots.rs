//! The snapshot table of a SQLite store.

use super::connection::Database;
use super::error::backend;
use super::rows;
use crate::error::{ConfigKind, Error, Result};
use crate::future::BoxFuture;
use crate::store::StreamId;
use crate::store::backend::check_stream;
use crate::store::backend::to_micros;
use crate::store::{Snapshot, SnapshotStore};
use rusqlite::params;
use std::fmt;
use std::sync::Arc;

/// Snapshots in the `eventsource_snapshots` table of a SQLite event store's database, one
/// row per aggregate. Get it from [`SqliteEventStore::snapshot_store`](super::SqliteEventStore::snapshot_store);
/// it shares the store's connections. Cloning gives another handle.
///
/// The rule that an older snapshot never replaces a newer one is one SQL statement
/// (`INSERT ... ON CONFLICT DO UPDATE ... WHERE excluded.version >= version`), so it also
/// holds between processes.
#[derive(Clone)]
pub struct SqliteSnapshotStore {
    pub(super) db: Arc<Database>,
}

impl fmt::Debug for SqliteSnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteSnapshotStore")
            .finish_non_exhaustive()
    }
}

const UPSERT: &str = "INSERT INTO eventsource_snapshots \
     (aggregate_type, aggregate_id, version, schema_version, state, taken_at, codec, \
      state_binary) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
     ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET \
         version = excluded.version, schema_version = excluded.schema_version, \
         state = excluded.state, taken_at = excluded.taken_at, codec = excluded.codec, \
         state_binary = excluded.state_binary \
     WHERE excluded.version >= eventsource_snapshots.version";

const SELECT: &str = "SELECT version, schema_version, state, taken_at, codec, state_binary \
     FROM eventsource_snapshots \
     WHERE aggregate_type = ?1 AND aggregate_id = ?2";

const DELETE: &str =
    "DELETE FROM eventsource_snapshots WHERE aggregate_type = ?1 AND aggregate_id = ?2";

impl SnapshotStore for SqliteSnapshotStore {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        let snapshot = snapshot.clone();
        Box::pin(self.db.write(move |connection| {
            check_stream(&snapshot.stream)?;
            // Refused, not capped: a capped version would claim a state the stream never had.
            let version = i64::try_from(snapshot.version).map_err(|_| {
                Error::config(
                    ConfigKind::OutOfRange,
                    format!(
                        "snapshot of {} at version {} is beyond what the store can keep ({})",
                        snapshot.stream,
                        snapshot.version,
                        i64::MAX
                    ),
                )
            })?;
            connection
                .prepare_cached(UPSERT)
                .and_then(|mut upsert| {
                    upsert.execute(params![
                        snapshot.stream.aggregate_type,
                        snapshot.stream.aggregate_id,
                        version,
                        snapshot.schema_version,
                        snapshot.state,
                        to_micros(snapshot.taken_at),
                        snapshot.codec.id(),
                        (!snapshot.codec.is_text()).then_some(&snapshot.binary[..]),
                    ])
                })
                .map_err(backend)?;
            Ok(())
        }))
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        let stream = stream.clone();
        Box::pin(self.db.read(move |connection| {
            check_stream(&stream)?;
            let mut select = connection.prepare_cached(SELECT).map_err(backend)?;
            let mut found = select
                .query(params![stream.aggregate_type, stream.aggregate_id])
                .map_err(backend)?;
            let Some(row) = found.next().map_err(backend)? else {
                return Ok(None);
            };
            rows::snapshot(row, stream).map(Some)
        }))
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        let stream = stream.clone();
        Box::pin(self.db.write(move |connection| {
            check_stream(&stream)?;
            connection
                .prepare_cached(DELETE)
                .and_then(|mut delete| {
                    delete.execute(params![stream.aggregate_type, stream.aggregate_id])
                })
                .map_err(backend)?;
            Ok(())
        }))
    }
}
