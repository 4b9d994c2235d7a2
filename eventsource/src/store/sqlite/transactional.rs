//! Transactional projections on SQLite: a batch of a [`SqliteProjection`]'s handlers and
//! the checkpoint, in one `BEGIN IMMEDIATE` transaction on the writing connection.

use super::SqliteEventStore;
use super::error::backend;
use super::subscriptions::{DELETE_CHECKPOINT, UPSERT_CHECKPOINT};
use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::store::RecordedEvent;
use crate::store::backend::{now_micros, to_micros};
use crate::subscription::{BatchFailure, SqliteProjection, TransactionalStore};
use rusqlite::{Connection, TransactionBehavior, params};
use std::sync::{Arc, Mutex};

/// The projection while a job on the database's thread has it: put back whatever
/// happens, so that a failed transaction never loses it.
type Slot<P> = Arc<Mutex<Option<P>>>;

fn take<P>(slot: &Slot<P>) -> Option<P> {
    slot.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
}

fn put_back<P>(slot: &Slot<P>, projection: P) {
    *slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(projection);
}

fn lost() -> Error {
    Error::backend("the projection was lost by an earlier failure")
}

impl<P: SqliteProjection> TransactionalStore<P> for SqliteEventStore {
    fn subscription_name(&self) -> &'static str {
        P::NAME
    }

    fn handled_event_types(&self) -> &'static [&'static str] {
        P::EVENT_TYPES
    }

    fn commit_batch(
        &self,
        projection: P,
        events: Vec<RecordedEvent>,
        checkpoint: u64,
    ) -> BoxFuture<'_, (Option<P>, Result<(), BatchFailure>)> {
        Box::pin(async move {
            let (projection, result) = self
                .with_projection(projection, move |connection, projection| {
                    commit(connection, projection, &events, checkpoint)
                })
                .await;
            let result = match result {
                Ok(outcome) => outcome,
                Err(error) => Err(BatchFailure::Store(error)),
            };
            (projection, result)
        })
    }

    fn rebuild(&self, projection: P) -> BoxFuture<'_, (Option<P>, Result<()>)> {
        Box::pin(self.with_projection(projection, clear))
    }
}

impl SqliteEventStore {
    /// Runs `job` with the projection on the writing connection's thread, and hands the
    /// projection back (`None` only if the job panicked with it).
    async fn with_projection<P, T, F>(&self, projection: P, job: F) -> (Option<P>, Result<T>)
    where
        P: Send + 'static,
        T: Send + 'static,
        F: FnOnce(&mut Connection, &mut P) -> Result<T> + Send + 'static,
    {
        let slot: Slot<P> = Arc::new(Mutex::new(Some(projection)));
        let job_slot = Arc::clone(&slot);
        let result = self
            .db
            .write(move |connection| {
                let Some(mut projection) = take(&job_slot) else {
                    return Err(lost());
                };
                let outcome = job(connection, &mut projection);
                put_back(&job_slot, projection);
                outcome
            })
            .await;
        (take(&slot), result)
    }
}

/// The handlers, the checkpoint and the commit; a failure rolls everything back (the
/// transaction is dropped uncommitted).
fn commit<P: SqliteProjection>(
    connection: &mut Connection,
    projection: &mut P,
    events: &[RecordedEvent],
    checkpoint: u64,
) -> Result<Result<(), BatchFailure>> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    for event in events {
        if let Err(error) = projection.handle_in(event, &tx) {
            return Ok(Err(BatchFailure::Handler {
                position: event.position,
                error,
            }));
        }
    }
    let position = i64::try_from(checkpoint).unwrap_or(i64::MAX);
    tx.prepare_cached(UPSERT_CHECKPOINT)
        .and_then(|mut s| s.execute(params![P::NAME, position, to_micros(now_micros())]))
        .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(Ok(()))
}

fn clear<P: SqliteProjection>(connection: &mut Connection, projection: &mut P) -> Result<()> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    projection
        .clear(&tx)
        .map_err(|error| Error::backend(format!("clearing `{}`: {error}", P::NAME)))?;
    tx.execute(DELETE_CHECKPOINT, params![P::NAME])
        .map_err(backend)?;
    tx.commit().map_err(backend)
}
