//! Subscriptions' checkpoints and parked events in the `checkpoints` and `parked` tables of
//! the store's schema.

use super::PostgresEventStore;
use super::errors::{backend, release};
use super::schema::SchemaName;
use crate::error::{ConfigKind, Error, Result, SchemaKind};
use crate::future::BoxFuture;
use crate::store::{ParkedEvent, StreamId, SubscriptionClaim, SubscriptionStore};
use std::time::SystemTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The subscription statements of one store, for its schema.
pub(super) struct SubscriptionSql {
    checkpoint: String,
    pub(super) store_checkpoint: String,
    pub(super) delete_checkpoint: String,
    park: String,
    parked: String,
    discard_parked: String,
}

impl SubscriptionSql {
    pub(super) fn new(schema: &SchemaName) -> Self {
        let s = schema.ident();
        SubscriptionSql {
            checkpoint: format!("SELECT position FROM {s}.checkpoints WHERE subscription = $1"),
            store_checkpoint: format!(
                "INSERT INTO {s}.checkpoints (subscription, position, updated_at) \
                 VALUES ($1, $2, now()) \
                 ON CONFLICT (subscription) DO UPDATE SET \
                   position = excluded.position, updated_at = excluded.updated_at"
            ),
            delete_checkpoint: format!("DELETE FROM {s}.checkpoints WHERE subscription = $1"),
            park: format!(
                "INSERT INTO {s}.parked (subscription, position, aggregate_type, aggregate_id, \
                   version, event_type, error, attempts, parked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (subscription, position) DO UPDATE SET \
                   aggregate_type = excluded.aggregate_type, \
                   aggregate_id = excluded.aggregate_id, version = excluded.version, \
                   event_type = excluded.event_type, error = excluded.error, \
                   attempts = excluded.attempts, parked_at = excluded.parked_at"
            ),
            parked: format!(
                "SELECT position, aggregate_type, aggregate_id, version, event_type, error, \
                   attempts, parked_at \
                 FROM {s}.parked WHERE subscription = $1 ORDER BY position"
            ),
            discard_parked: format!(
                "DELETE FROM {s}.parked WHERE subscription = $1 AND position = $2"
            ),
        }
    }
}

/// A position or version to store: PostgreSQL's bigint holds up to `i64::MAX`.
fn to_bigint(subscription: &str, what: &str, n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| {
        Error::config(
            ConfigKind::OutOfRange,
            format!("subscription `{subscription}`: {what} {n} does not fit PostgreSQL's bigint"),
        )
    })
}

/// A stored number that must not be negative (or, for `attempts`, must fit a `u32`).
fn stored<T: TryFrom<i64>>(subscription: &str, column: &str, n: i64) -> Result<T> {
    T::try_from(n).map_err(|_| {
        Error::schema(
            SchemaKind::Damaged,
            format!("subscription `{subscription}`: column `{column}` holds {n}"),
        )
    })
}

fn parked_event(subscription: &str, row: &Row) -> Result<ParkedEvent> {
    let position: i64 = row.try_get(0).map_err(backend)?;
    let aggregate_type: Option<String> = row.try_get(1).map_err(backend)?;
    let aggregate_id: Option<String> = row.try_get(2).map_err(backend)?;
    let version: Option<i64> = row.try_get(3).map_err(backend)?;
    let attempts: i64 = row.try_get(6).map_err(backend)?;
    Ok(ParkedEvent {
        subscription: subscription.to_owned(),
        position: stored(subscription, "position", position)?,
        stream: aggregate_type
            .zip(aggregate_id)
            .map(|(t, i)| StreamId::new(t, i)),
        version: version
            .map(|v| stored(subscription, "version", v))
            .transpose()?,
        event_type: row.try_get(4).map_err(backend)?,
        error: row.try_get(5).map_err(backend)?,
        attempts: stored(subscription, "attempts", attempts)?,
        parked_at: row.try_get::<_, SystemTime>(7).map_err(backend)?,
    })
}

impl PostgresEventStore {
    /// Runs one prepared statement and returns how many rows it changed.
    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let client = self.client().await?;
        let result = async {
            let statement = client.prepare_cached(sql).await?;
            client.execute(&statement, params).await
        }
        .await
        .map_err(backend);
        release(client, result)
    }

    /// Runs one prepared query and returns its rows.
    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let client = self.client().await?;
        let result = async {
            let statement = client.prepare_cached(sql).await?;
            client.query(&statement, params).await
        }
        .await
        .map_err(backend);
        release(client, result)
    }

    async fn read_checkpoint(&self, subscription: &str) -> Result<Option<u64>> {
        let rows = self
            .query(&self.inner.subscription_sql.checkpoint, &[&subscription])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let position: i64 = row.try_get(0).map_err(backend)?;
        stored(subscription, "position", position).map(Some)
    }

    async fn write_checkpoint(&self, subscription: &str, position: u64) -> Result<()> {
        let position = to_bigint(subscription, "checkpoint", position)?;
        self.execute(
            &self.inner.subscription_sql.store_checkpoint,
            &[&subscription, &position],
        )
        .await
        .map(drop)
    }

    async fn write_parked(&self, event: &ParkedEvent) -> Result<()> {
        let name = event.subscription.as_str();
        let position = to_bigint(name, "position", event.position)?;
        let version = event
            .version
            .map(|v| to_bigint(name, "version", v))
            .transpose()?;
        let stream = event.stream.as_ref();
        self.execute(
            &self.inner.subscription_sql.park,
            &[
                &name,
                &position,
                &stream.map(|s| s.aggregate_type.as_str()),
                &stream.map(|s| s.aggregate_id.as_str()),
                &version,
                &event.event_type,
                &event.error,
                &i64::from(event.attempts),
                &event.parked_at,
            ],
        )
        .await
        .map(drop)
    }

    async fn read_parked(&self, subscription: &str) -> Result<Vec<ParkedEvent>> {
        let rows = self
            .query(&self.inner.subscription_sql.parked, &[&subscription])
            .await?;
        rows.iter()
            .map(|row| parked_event(subscription, row))
            .collect()
    }

    async fn remove_parked(&self, subscription: &str, position: u64) -> Result<bool> {
        // No position above bigint's range can be stored.
        let Ok(position) = i64::try_from(position) else {
            return Ok(false);
        };
        let removed = self
            .execute(
                &self.inner.subscription_sql.discard_parked,
                &[&subscription, &position],
            )
            .await?;
        Ok(removed > 0)
    }
}

impl SubscriptionStore for PostgresEventStore {
    fn checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Option<u64>>> {
        Box::pin(self.read_checkpoint(subscription))
    }

    fn store_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.write_checkpoint(subscription, position))
    }

    fn delete_checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.execute(
                &self.inner.subscription_sql.delete_checkpoint,
                &[&subscription],
            )
            .await
            .map(drop)
        })
    }

    fn park<'a>(&'a self, event: &'a ParkedEvent) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.write_parked(event))
    }

    fn parked<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Vec<ParkedEvent>>> {
        Box::pin(self.read_parked(subscription))
    }

    fn discard_parked<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.remove_parked(subscription, position))
    }

    /// An advisory lock held by a connection of the claim's own: see
    /// [`PostgresEventStore::claim_subscription`].
    fn claim<'a>(
        &'a self,
        subscription: &'a str,
    ) -> BoxFuture<'a, Result<Option<SubscriptionClaim>>> {
        Box::pin(self.claim_subscription(subscription))
    }
}
