//! A store that counts its reads, to prove what a cache saves.

use eventsource::{EventStore, Result};
use eventsource::{
    ExpectedVersion, RecordedEvent, StreamId,
    store::{AppendOutcome, AppendSignal, EventRef, FeedPage, NewEvent},
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// `store`, counting every call that reads a stream or the feed, and every append.
#[derive(Debug, Clone)]
pub struct Counting<S> {
    /// The store.
    pub store: S,
    reads: Arc<AtomicU64>,
    appends: Arc<AtomicU64>,
}

impl<S> Counting<S> {
    /// Counts the calls to `store`.
    pub fn new(store: S) -> Self {
        Counting {
            store,
            reads: Arc::default(),
            appends: Arc::default(),
        }
    }

    /// Reads so far (stream reads, replays, version look-ups, feed reads).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }

    /// Appends so far.
    pub fn appends(&self) -> u64 {
        self.appends.load(Ordering::SeqCst)
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::SeqCst);
    }
}

impl<S: EventStore> EventStore for Counting<S> {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        self.appends.fetch_add(1, Ordering::SeqCst);
        self.store.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>> {
        self.read();
        self.store.read_stream(stream, after_version).await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        self.read();
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
        self.read();
        self.store
            .replay_stream(stream, after_version, state, apply)
            .await
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.read();
        self.store.read_all(after_position, limit).await
    }

    async fn read_feed(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
        self.read();
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
        self.read();
        self.store.head_position().await
    }

    async fn append_signal(&self) -> Result<Option<AppendSignal>> {
        self.store.append_signal().await
    }
}
