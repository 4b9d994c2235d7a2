//! Subscriptions' checkpoints and parked events in `eventsource_checkpoints` and
//! `eventsource_parked`.

use super::SqliteEventStore;
use super::error::backend;
use crate::error::{Error, Result, SchemaKind};
use crate::future::BoxFuture;
use crate::store::backend::{from_micros, now_micros, to_micros};
use crate::store::{ParkedEvent, StreamId, SubscriptionStore};
use rusqlite::{OptionalExtension, params};

const SELECT_CHECKPOINT: &str =
    "SELECT position FROM eventsource_checkpoints WHERE subscription = ?1";
pub(super) const UPSERT_CHECKPOINT: &str = "INSERT INTO eventsource_checkpoints (subscription, position, updated_at) \
     VALUES (?1, ?2, ?3) \
     ON CONFLICT (subscription) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at";
pub(super) const DELETE_CHECKPOINT: &str =
    "DELETE FROM eventsource_checkpoints WHERE subscription = ?1";
const UPSERT_PARKED: &str = "INSERT OR REPLACE INTO eventsource_parked \
     (subscription, position, aggregate_type, aggregate_id, version, event_type, error, attempts, parked_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const SELECT_PARKED: &str = "SELECT position, aggregate_type, aggregate_id, version, event_type, error, \
     attempts, parked_at FROM eventsource_parked WHERE subscription = ?1 ORDER BY position";
const DELETE_PARKED: &str =
    "DELETE FROM eventsource_parked WHERE subscription = ?1 AND position = ?2";

fn to_sql(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored number that must not be negative.
fn unsigned(subscription: &str, column: &str, n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| {
        Error::schema(
            SchemaKind::Damaged,
            format!("subscription `{subscription}`: column `{column}` holds {n}"),
        )
    })
}

impl SubscriptionStore for SqliteEventStore {
    fn checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Option<u64>>> {
        let name = subscription.to_owned();
        Box::pin(self.db.read(move |connection| {
            let position: Option<i64> = connection
                .prepare_cached(SELECT_CHECKPOINT)
                .and_then(|mut s| s.query_row(params![name], |row| row.get(0)).optional())
                .map_err(backend)?;
            position.map(|p| unsigned(&name, "position", p)).transpose()
        }))
    }

    fn store_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<()>> {
        let name = subscription.to_owned();
        Box::pin(self.db.write(move |connection| {
            connection
                .prepare_cached(UPSERT_CHECKPOINT)
                .and_then(|mut s| {
                    s.execute(params![name, to_sql(position), to_micros(now_micros())])
                })
                .map_err(backend)?;
            Ok(())
        }))
    }

    fn delete_checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<()>> {
        let name = subscription.to_owned();
        Box::pin(self.db.write(move |connection| {
            connection
                .execute(DELETE_CHECKPOINT, params![name])
                .map_err(backend)?;
            Ok(())
        }))
    }

    fn park<'a>(&'a self, event: &'a ParkedEvent) -> BoxFuture<'a, Result<()>> {
        let event = event.clone();
        Box::pin(self.db.write(move |connection| {
            connection
                .prepare_cached(UPSERT_PARKED)
                .and_then(|mut s| {
                    s.execute(params![
                        event.subscription,
                        to_sql(event.position),
                        event.stream.as_ref().map(|s| &s.aggregate_type),
                        event.stream.as_ref().map(|s| &s.aggregate_id),
                        event.version.map(to_sql),
                        event.event_type,
                        event.error,
                        event.attempts,
                        to_micros(event.parked_at),
                    ])
                })
                .map_err(backend)?;
            Ok(())
        }))
    }

    fn parked<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Vec<ParkedEvent>>> {
        let name = subscription.to_owned();
        Box::pin(self.db.read(move |connection| {
            let mut statement = connection.prepare_cached(SELECT_PARKED).map_err(backend)?;
            let rows = statement
                .query_map(params![name], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, Option<i64>>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, u32>(6)?,
                        row.get::<_, i64>(7)?,
                    ))
                })
                .map_err(backend)?;
            let mut parked = Vec::new();
            for row in rows {
                let (
                    position,
                    aggregate_type,
                    aggregate_id,
                    version,
                    event_type,
                    error,
                    attempts,
                    at,
                ) = row.map_err(backend)?;
                parked.push(ParkedEvent {
                    subscription: name.clone(),
                    position: unsigned(&name, "position", position)?,
                    stream: aggregate_type
                        .zip(aggregate_id)
                        .map(|(t, i)| StreamId::new(t, i)),
                    version: version.map(|v| unsigned(&name, "version", v)).transpose()?,
                    event_type,
                    error,
                    attempts,
                    parked_at: from_micros(at),
                });
            }
            Ok(parked)
        }))
    }

    fn discard_parked<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<bool>> {
        let name = subscription.to_owned();
        Box::pin(self.db.write(move |connection| {
            let removed = connection
                .execute(DELETE_PARKED, params![name, to_sql(position)])
                .map_err(backend)?;
            Ok(removed > 0)
        }))
    }
}
