//! [`SubscriptionStatus`]: where a subscription is and what it is doing.

/// What a subscription is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Reading its checkpoint.
    Starting,
    /// Waiting for its claim: another process runs the subscription of this name (see
    /// [`SubscriptionStore::claim`](crate::store::SubscriptionStore::claim)).
    Standby,
    /// Reading events that were stored before it caught up.
    CatchingUp,
    /// Caught up: waiting for new events and handling them as they come.
    Live,
    /// Stopped on request; its checkpoint is stored.
    Stopped,
    /// Stopped by an event it could not handle ([`OnFailure::Stop`]), or by a failing
    /// checkpoint store.
    ///
    /// [`OnFailure::Stop`]: super::OnFailure::Stop
    Failed(String),
}

/// A subscription's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionStatus {
    /// The subscription's name.
    pub name: String,
    /// The position of the last event it is done with, as of its last batch (the status
    /// moves once a batch, not once an event).
    pub position: u64,
    /// The newest position of the feed it knows of.
    pub head: u64,
    /// What it is doing.
    pub state: SubscriptionState,
}

impl SubscriptionStatus {
    /// How many feed positions it is behind the head it knows of.
    pub fn lag(&self) -> u64 {
        self.head.saturating_sub(self.position)
    }

    /// True once it has caught up and follows the feed live.
    pub fn is_live(&self) -> bool {
        self.state == SubscriptionState::Live
    }
}
