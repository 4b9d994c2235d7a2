//! Transactional projections on PostgreSQL: a batch of a [`PostgresProjection`]'s
//! handlers and the checkpoint, in one transaction on a pooled connection.

use super::PostgresEventStore;
use super::errors::{backend, release};
use crate::error::{ConfigKind, Error, Result};
use crate::future::BoxFuture;
use crate::store::RecordedEvent;
use crate::subscription::{BatchFailure, PostgresProjection, TransactionalStore};
use deadpool_postgres::Object;

impl<P: PostgresProjection> TransactionalStore<P> for PostgresEventStore {
    fn subscription_name(&self) -> &'static str {
        P::NAME
    }

    fn handled_event_types(&self) -> &'static [&'static str] {
        P::EVENT_TYPES
    }

    fn commit_batch(
        &self,
        mut projection: P,
        events: Vec<RecordedEvent>,
        checkpoint: u64,
    ) -> BoxFuture<'_, (Option<P>, Result<(), BatchFailure>)> {
        Box::pin(async move {
            let mut client = match self.client().await {
                Ok(client) => client,
                Err(error) => return (Some(projection), Err(BatchFailure::Store(error))),
            };
            let outcome = self
                .commit(&mut client, &mut projection, &events, checkpoint)
                .await;
            // A lost connection goes back to the pool as unusable; the outcome is kept.
            let outcome = match outcome {
                Ok(handled) => release(client, Ok(())).map(|()| handled),
                Err(error) => release(client, Err(error)),
            };
            let result = match outcome {
                Ok(handled) => handled,
                Err(error) => Err(BatchFailure::Store(error)),
            };
            (Some(projection), result)
        })
    }

    fn rebuild(&self, mut projection: P) -> BoxFuture<'_, (Option<P>, Result<()>)> {
        Box::pin(async move {
            let result = async {
                let mut client = self.client().await?;
                let cleared = self.clear(&mut client, &mut projection).await;
                release(client, cleared)
            }
            .await;
            (Some(projection), result)
        })
    }
}

impl PostgresEventStore {
    /// The handlers, the checkpoint and the commit; on a handler's failure the
    /// transaction is dropped uncommitted, which rolls it back.
    async fn commit<P: PostgresProjection>(
        &self,
        client: &mut Object,
        projection: &mut P,
        events: &[RecordedEvent],
        checkpoint: u64,
    ) -> Result<Result<(), BatchFailure>> {
        let position = i64::try_from(checkpoint).map_err(|_| {
            Error::config(
                ConfigKind::OutOfRange,
                format!("checkpoint {checkpoint} is out of range"),
            )
        })?;
        let tx = client.transaction().await.map_err(backend)?;
        for event in events {
            if let Err(error) = projection.handle_in(event, &tx).await {
                return Ok(Err(BatchFailure::Handler {
                    position: event.position,
                    error,
                }));
            }
        }
        let statement = tx
            .prepare_cached(&self.inner.subscription_sql.store_checkpoint)
            .await
            .map_err(backend)?;
        tx.execute(&statement, &[&P::NAME, &position])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Ok(()))
    }

    async fn clear<P: PostgresProjection>(
        &self,
        client: &mut Object,
        projection: &mut P,
    ) -> Result<()> {
        let tx = client.transaction().await.map_err(backend)?;
        projection
            .clear(&tx)
            .await
            .map_err(|error| Error::backend(format!("clearing `{}`: {error}", P::NAME)))?;
        let statement = tx
            .prepare_cached(&self.inner.subscription_sql.delete_checkpoint)
            .await
            .map_err(backend)?;
        tx.execute(&statement, &[&P::NAME]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}
