//! Working with what a subscription left behind: replaying its parked events into the
//! projection, and resetting it to rebuild from the start.

use super::projection::Projection;
use super::transactional::TransactionalStore;
use crate::error::{Error, Result};
use crate::store::{EventStore, FeedEntry, SubscriptionStore};

/// What [`replay_parked`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayedParked {
    /// Events handled this time: no longer parked.
    pub handled: usize,
    /// Events that failed again (or still cannot be read): parked with the new error.
    pub still_failing: usize,
}

/// Hands each parked event of `projection`'s subscription to it again, in position order;
/// an event it now handles is no longer parked, one that fails again stays parked with
/// the new error.
///
/// Run it on a projection that is not running in a subscription at the same time (stop
/// the subscription first, or replay into a second instance of the read model).
pub async fn replay_parked<S, P>(store: &S, projection: &mut P) -> Result<ReplayedParked>
where
    S: EventStore + SubscriptionStore,
    P: Projection,
{
    let mut outcome = ReplayedParked::default();
    for mut parked in store.parked(P::NAME).await? {
        let entry = store
            .read_feed(parked.position.saturating_sub(1), 1)
            .await?
            .into_entries()
            .into_iter()
            .find(|entry| entry.position() == parked.position);
        let error = match entry {
            Some(FeedEntry::Event(record)) => match projection.handle(&record).await {
                Ok(()) => {
                    store.discard_parked(P::NAME, parked.position).await?;
                    outcome.handled += 1;
                    continue;
                }
                Err(error) => error.to_string(),
            },
            Some(FeedEntry::Unreadable { error, .. }) => error.to_string(),
            None => format!("no event at feed position {}", parked.position),
        };
        parked.error = error;
        parked.attempts += 1;
        store.park(&parked).await?;
        outcome.still_failing += 1;
    }
    Ok(outcome)
}

/// Forgets the subscription's checkpoint, so that it starts again from the first event
/// the next time it runs with [`StartFrom::Checkpoint`](super::StartFrom::Checkpoint): the
/// way to rebuild a read model (clear the read model first). Its parked events stay.
pub async fn reset_checkpoint<S: SubscriptionStore>(store: &S, subscription: &str) -> Result<()> {
    store.delete_checkpoint(subscription).await
}

/// Rebuilds a transactional projection's read model: in one transaction, its `clear` hook
/// empties the read model and its checkpoint is removed, so that it is rebuilt from the
/// first event the next time it runs. Run it while the subscription is stopped.
pub async fn rebuild<S, P>(store: &S, projection: P) -> Result<P>
where
    S: TransactionalStore<P>,
{
    let (projection, result) = store.rebuild(projection).await;
    result?;
    projection.ok_or_else(|| Error::backend("the projection was lost in a failed transaction"))
}
