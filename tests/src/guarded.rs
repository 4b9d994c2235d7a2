//! A store held together with what must outlive it: a temporary directory, a test schema.

use eventsource::subscription::{BatchFailure, TransactionalStore};
use eventsource::{
    BoxFuture, EventStore, Result,
    snapshot::{Snapshot, SnapshotStore},
};
use eventsource::{
    ExpectedVersion, RecordedEvent, StreamId,
    store::{
        AppendOutcome, AppendSignal, EventRef, FeedPage, NewEvent, ParkedEvent, SubscriptionClaim,
        SubscriptionStore,
    },
};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A store and a resource `G` kept alive as long as any clone of the store.
///
/// Every store trait is forwarded here, once and in full (the provided methods too), so
/// every test runs the backend's own implementation of each method, never a default.
pub struct Guarded<S, G> {
    /// The store.
    pub store: S,
    guard: Arc<G>,
}

impl<S, G> Guarded<S, G> {
    /// `store`, keeping `guard` alive with it.
    pub fn keeping(store: S, guard: Arc<G>) -> Self {
        Guarded { store, guard }
    }

    /// What is kept alive.
    pub fn guard(&self) -> &G {
        &self.guard
    }

    /// Another store kept alive by the same guard (the snapshot store of the same
    /// database, say).
    pub fn with_store<T>(&self, store: T) -> Guarded<T, G> {
        Guarded::keeping(store, Arc::clone(&self.guard))
    }
}

impl<S: Clone, G> Clone for Guarded<S, G> {
    fn clone(&self) -> Self {
        self.with_store(self.store.clone())
    }
}

impl<S: fmt::Debug, G> fmt::Debug for Guarded<S, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.store.fmt(f)
    }
}

impl<S, G> Deref for Guarded<S, G> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.store
    }
}

impl<S: EventStore, G: Send + Sync + 'static> EventStore for Guarded<S, G> {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        self.store.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>> {
        self.store.read_stream(stream, after_version).await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        self.store.stream_version(stream).await
    }

    async fn replay_stream<T, F>(
        &self,
        stream: &StreamId,
        after_version: u64,
        state: T,
        apply: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut T, EventRef<'_>) -> Result<()> + Send + 'static,
    {
        self.store
            .replay_stream(stream, after_version, state, apply)
            .await
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.store.read_all(after_position, limit).await
    }

    async fn read_feed(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
        self.store.read_feed(after_position, limit).await
    }

    async fn feed_position_at(&self, time: std::time::SystemTime) -> Result<u64> {
        self.store.feed_position_at(time).await
    }

    async fn stream_version_at(
        &self,
        stream: &StreamId,
        time: std::time::SystemTime,
    ) -> Result<u64> {
        self.store.stream_version_at(stream, time).await
    }

    async fn head_position(&self) -> Result<u64> {
        self.store.head_position().await
    }

    async fn append_signal(&self) -> Result<Option<AppendSignal>> {
        self.store.append_signal().await
    }
}

impl<S: SubscriptionStore, G: Send + Sync + 'static> SubscriptionStore for Guarded<S, G> {
    fn checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Option<u64>>> {
        self.store.checkpoint(subscription)
    }

    fn store_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<()>> {
        self.store.store_checkpoint(subscription, position)
    }

    fn delete_checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<()>> {
        self.store.delete_checkpoint(subscription)
    }

    fn park<'a>(&'a self, event: &'a ParkedEvent) -> BoxFuture<'a, Result<()>> {
        self.store.park(event)
    }

    fn parked<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Vec<ParkedEvent>>> {
        self.store.parked(subscription)
    }

    fn discard_parked<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<bool>> {
        self.store.discard_parked(subscription, position)
    }

    fn claim<'a>(
        &'a self,
        subscription: &'a str,
    ) -> BoxFuture<'a, Result<Option<SubscriptionClaim>>> {
        self.store.claim(subscription)
    }
}

impl<S: SnapshotStore, G: Send + Sync + 'static> SnapshotStore for Guarded<S, G> {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        self.store.save(snapshot)
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        self.store.load(stream)
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        self.store.delete(stream)
    }
}

impl<P, S, G> TransactionalStore<P> for Guarded<S, G>
where
    S: TransactionalStore<P>,
    G: Send + Sync + 'static,
{
    fn subscription_name(&self) -> &'static str {
        self.store.subscription_name()
    }

    fn handled_event_types(&self) -> &'static [&'static str] {
        self.store.handled_event_types()
    }

    fn commit_batch(
        &self,
        projection: P,
        events: Vec<RecordedEvent>,
        checkpoint: u64,
    ) -> BoxFuture<'_, (Option<P>, Result<(), BatchFailure>)> {
        self.store.commit_batch(projection, events, checkpoint)
    }

    fn rebuild(&self, projection: P) -> BoxFuture<'_, (Option<P>, Result<()>)> {
        self.store.rebuild(projection)
    }
}
