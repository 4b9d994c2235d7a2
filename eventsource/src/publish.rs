//! [`EventPublisher`]: what the repository calls after a commit.

use crate::error::BoxError;
use crate::future::BoxFuture;
use crate::store::RecordedEvent;

/// Receives events after they were committed.
///
/// The repository calls [`publish`](Self::publish) after a successful save. A failing
/// publisher never fails the save: its error is reported through `tracing`.
pub trait EventPublisher: Send + Sync + 'static {
    /// Delivers committed events, in commit order.
    fn publish<'a>(&'a self, events: &'a [RecordedEvent]) -> BoxFuture<'a, Result<(), BoxError>>;
}
