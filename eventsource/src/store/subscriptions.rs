//! What subscriptions keep in the store beside the events: each subscription's checkpoint
//! and the events it parked ([`SubscriptionStore`]), and the in-memory store's copy of them.

use crate::error::Result;
use crate::future::BoxFuture;
use crate::stream::StreamId;
use std::time::SystemTime;
use tokio::sync::watch;

/// An event a subscription could not handle (or a feed row it could not read), kept with
/// its error so that nothing is dropped silently. See
/// [`SubscriptionStore::parked`] to list them.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedEvent {
    /// The subscription's name.
    pub subscription: String,
    /// The event's position in the global feed.
    pub position: u64,
    /// The event's stream, when the row could be read that far.
    pub stream: Option<StreamId>,
    /// The event's version in its stream, when known.
    pub version: Option<u64>,
    /// The stored event type name, when known.
    pub event_type: Option<String>,
    /// The last error, as text.
    pub error: String,
    /// How many times the handler was tried.
    pub attempts: u32,
    /// When it was parked, to the microsecond.
    pub parked_at: SystemTime,
}

/// Checkpoints and parked events of subscriptions, kept in the same store as the events.
///
/// The rules (the subscription suite checks them on every backend):
/// - [`checkpoint`](Self::checkpoint) returns the last position stored under the name, or
///   `None`; [`store_checkpoint`](Self::store_checkpoint) replaces it;
///   [`delete_checkpoint`](Self::delete_checkpoint) removes it (a rebuild from the start).
/// - [`park`](Self::park) keeps one entry per (subscription, position), replacing an older
///   one; [`parked`](Self::parked) lists a subscription's entries in position order;
///   [`discard_parked`](Self::discard_parked) removes one and says whether it existed.
pub trait SubscriptionStore: Send + Sync + 'static {
    /// The subscription's checkpoint: the position of the last event it is done with.
    fn checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Option<u64>>>;

    /// Stores the subscription's checkpoint.
    fn store_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<()>>;

    /// Removes the subscription's checkpoint.
    fn delete_checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Keeps `event` as parked.
    fn park<'a>(&'a self, event: &'a ParkedEvent) -> BoxFuture<'a, Result<()>>;

    /// The subscription's parked events, in position order.
    fn parked<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Vec<ParkedEvent>>>;

    /// Removes a parked event; `false` when there was none at that position.
    fn discard_parked<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Claims the right to run the subscription: `Ok(None)` while another holder has it.
    /// The claim is released when the [`SubscriptionClaim`] is dropped, or lost when what
    /// holds it goes (a database connection).
    ///
    /// A store shared by processes makes this exclusive across them (PostgreSQL: an
    /// advisory lock held by a connection of its own). The default grants every claim:
    /// enough for a store that serves one process, where the runner already refuses a
    /// second subscription of one name.
    fn claim<'a>(
        &'a self,
        subscription: &'a str,
    ) -> BoxFuture<'a, Result<Option<SubscriptionClaim>>> {
        let _ = subscription;
        Box::pin(std::future::ready(Ok(
            Some(SubscriptionClaim::in_process()),
        )))
    }
}

/// The right to run one subscription, held while this value lives (see
/// [`SubscriptionStore::claim`]).
pub struct SubscriptionClaim {
    lost: Option<watch::Receiver<bool>>,
    _holder: Box<dyn Send + Sync>,
}

impl std::fmt::Debug for SubscriptionClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionClaim")
            .field("lost", &self.is_lost())
            .finish_non_exhaustive()
    }
}

impl SubscriptionClaim {
    /// A claim that nothing takes away.
    pub fn in_process() -> Self {
        SubscriptionClaim {
            lost: None,
            _holder: Box::new(()),
        }
    }

    /// A claim kept by `holder` (dropped with the claim, which releases it), lost when
    /// `lost` turns `true` or its sender goes.
    pub fn held_by(holder: impl Send + Sync + 'static, lost: watch::Receiver<bool>) -> Self {
        SubscriptionClaim {
            lost: Some(lost),
            _holder: Box::new(holder),
        }
    }

    /// True once the claim is lost: another process may be running the subscription.
    pub fn is_lost(&self) -> bool {
        self.lost
            .as_ref()
            .is_some_and(|lost| *lost.borrow() || lost.has_changed().is_err())
    }

    /// Waits until the claim is lost; never returns for a claim that cannot be lost.
    pub async fn lost(&mut self) {
        match &mut self.lost {
            Some(lost) => {
                let _ = lost.wait_for(|lost| *lost).await;
            }
            None => std::future::pending().await,
        }
    }
}

impl<T: SubscriptionStore> SubscriptionStore for std::sync::Arc<T> {
    fn checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Option<u64>>> {
        (**self).checkpoint(subscription)
    }

    fn store_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<()>> {
        (**self).store_checkpoint(subscription, position)
    }

    fn delete_checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<()>> {
        (**self).delete_checkpoint(subscription)
    }

    fn park<'a>(&'a self, event: &'a ParkedEvent) -> BoxFuture<'a, Result<()>> {
        (**self).park(event)
    }

    fn parked<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Vec<ParkedEvent>>> {
        (**self).parked(subscription)
    }

    fn discard_parked<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<bool>> {
        (**self).discard_parked(subscription, position)
    }

    fn claim<'a>(
        &'a self,
        subscription: &'a str,
    ) -> BoxFuture<'a, Result<Option<SubscriptionClaim>>> {
        (**self).claim(subscription)
    }
}
