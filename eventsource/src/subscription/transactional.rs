//! Projections whose read model lives in the store's own SQL database: their writes and
//! the checkpoint commit in one transaction, so every event takes effect exactly once,
//! even across crashes.

use super::projection::HandleError;
use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::store::{EventStore, RecordedEvent, SubscriptionStore};

/// Why a batch of a transactional projection was not committed. Nothing of it was kept:
/// neither the read model's writes nor the checkpoint.
#[derive(Debug)]
pub enum BatchFailure {
    /// The handler of the event at `position` failed.
    Handler {
        /// The event's position in the feed.
        position: u64,
        /// What the handler (or decoding) said.
        error: HandleError,
    },
    /// The database failed (begin, checkpoint write, commit).
    Store(Error),
}

/// A store that runs a transactional projection's handlers and moves its checkpoint in
/// one database transaction. Implemented by the SQLite store for [`SqliteProjection`]s and
/// by the PostgreSQL store for [`PostgresProjection`]s; run one with
/// [`SubscriptionRunner::start_transactional`](super::SubscriptionRunner::start_transactional).
pub trait TransactionalStore<P>: EventStore + SubscriptionStore + Clone {
    /// The projection's subscription name.
    fn subscription_name(&self) -> &'static str;

    /// The stored event type names the projection has handlers for.
    fn handled_event_types(&self) -> &'static [&'static str];

    /// In one transaction: hands `events` to the projection in order, then stores
    /// `checkpoint` (at or after the last event) as the subscription's checkpoint, and
    /// commits. On any failure the transaction rolls back. The projection comes back
    /// either way, unless the database's worker lost it (a panic in a handler).
    fn commit_batch(
        &self,
        projection: P,
        events: Vec<RecordedEvent>,
        checkpoint: u64,
    ) -> BoxFuture<'_, (Option<P>, Result<(), BatchFailure>)>;

    /// In one transaction: the projection's `clear` hook (empties the read model) and the
    /// removal of its checkpoint, so that the next run rebuilds it from the first event.
    fn rebuild(&self, projection: P) -> BoxFuture<'_, (Option<P>, Result<()>)>;
}

/// A projection whose read model is in the SQLite database of the event store: its
/// handlers run on the database's own thread, inside the transaction that also moves the
/// checkpoint. Declare it with `#[projection(name = "...", sqlite)]`; handlers are
/// `fn(&mut self, &E, &RecordedEvent, &Transaction<'_>)` (not `async`), with
/// [`rusqlite`](crate::store::sqlite::rusqlite)'s `Transaction`.
///
/// Keep the read model in the database: state kept in `self` is not rolled back with a
/// failed transaction.
#[cfg(feature = "sqlite")]
pub trait SqliteProjection: Send + 'static {
    /// The name the checkpoint and parked events are kept under.
    const NAME: &'static str;
    /// The stored event type names it has handlers for.
    const EVENT_TYPES: &'static [&'static str];

    /// Handles one event inside `tx`; does nothing for event types without a handler.
    fn handle_in(
        &mut self,
        event: &RecordedEvent,
        tx: &rusqlite::Transaction<'_>,
    ) -> Result<(), HandleError>;

    /// Empties the read model inside `tx`, for a rebuild (`clear = method` in the
    /// attribute; does nothing by default).
    fn clear(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), HandleError>;
}

/// A projection whose read model is in the PostgreSQL database of the event store: its
/// handlers run inside the transaction that also moves the checkpoint. Declare it with
/// `#[projection(name = "...", postgres)]`; handlers are
/// `fn(&mut self, &E, &RecordedEvent, &Transaction<'_>)`, plain or `async`, with
/// [`tokio_postgres`](crate::store::postgres::tokio_postgres)'s `Transaction`.
///
/// Keep the read model in the database: state kept in `self` is not rolled back with a
/// failed transaction.
#[cfg(feature = "postgres")]
pub trait PostgresProjection: Send + 'static {
    /// The name the checkpoint and parked events are kept under.
    const NAME: &'static str;
    /// The stored event type names it has handlers for.
    const EVENT_TYPES: &'static [&'static str];

    /// Handles one event inside `tx`; does nothing for event types without a handler.
    fn handle_in<'a>(
        &'a mut self,
        event: &'a RecordedEvent,
        tx: &'a tokio_postgres::Transaction<'_>,
    ) -> BoxFuture<'a, Result<(), HandleError>>;

    /// Empties the read model inside `tx`, for a rebuild (`clear = method` in the
    /// attribute; does nothing by default).
    fn clear<'a>(
        &'a mut self,
        tx: &'a tokio_postgres::Transaction<'_>,
    ) -> BoxFuture<'a, Result<(), HandleError>>;
}
