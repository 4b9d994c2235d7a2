//! [`EventPublisher`]: what the repository calls after a commit.

use crate::error::BoxError;
use crate::future::BoxFuture;
use crate::store::RecordedEvent;

/// Receives events after they were committed.
///
/// The repository calls [`publish`](Self::publish) after a successful save. A failing
/// publisher never fails the save: its error is reported through `tracing`.
///
/// Delivery is at least once: a save retried after its events were stored (a lost reply)
/// stores nothing new but publishes the stored events again, with the same event ids, so
/// that a publish the first save never made is not lost. A subscriber that must not act
/// twice keys on [`EventMetadata::event_id`](crate::EventMetadata::event_id).
pub trait EventPublisher: Send + Sync + 'static {
    /// Delivers committed events, in commit order.
    fn publish<'a>(&'a self, events: &'a [RecordedEvent]) -> BoxFuture<'a, Result<(), BoxError>>;
}
