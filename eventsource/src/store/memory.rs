//! The in-memory event store: for tests, examples and single-process programs that need
//! no durability.

use super::EventStore;
use super::backend::{self, BatchIdentity, classify_batch};
use super::feed_page::FeedPage;
use super::record::{AppendOutcome, EventRef, NewEvent, RecordedEvent};
use super::record_ref::RecordRef;
use super::signal::{AppendNotifier, AppendSignal};
use super::subscriptions::InMemorySubscriptionState;
use crate::error::Result;
use crate::stream::{ExpectedVersion, StreamId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;
use uuid::Uuid;

/// An event store kept in memory. Cloning it gives another handle to the same events.
///
/// It follows every rule of [`EventStore`]: atomic appends, optimistic concurrency,
/// event-id idempotency and a gap-free global feed (positions are indexes into one log).
#[derive(Debug, Clone, Default)]
pub struct InMemoryEventStore {
    inner: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    log: Mutex<Log>,
    appended: AppendNotifier,
    subscriptions: InMemorySubscriptionState,
}

#[derive(Debug, Default)]
struct Log {
    /// Every event in commit order; an event's position is its index + 1. Shared, so a
    /// replay takes pointers under the lock and decodes after releasing it.
    events: Vec<Arc<RecordedEvent>>,
    /// For each stream, its events and their ids.
    streams: HashMap<StreamId, StreamIndex>,
}

/// One stream of the log.
#[derive(Debug, Default)]
struct StreamIndex {
    /// The indexes of its events in the log, in version order.
    events: Vec<usize>,
    /// Each stored event id and its version: an append looks up only its own ids.
    ids: HashMap<Uuid, u64>,
}

impl InMemoryEventStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        // A panic while holding the lock cannot leave a half-written batch: a batch is
        // pushed only after every check passed. So a poisoned lock is still consistent.
        self.inner
            .log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The checkpoints and parked events kept beside the events.
    pub(crate) fn subscription_state(&self) -> &InMemorySubscriptionState {
        &self.inner.subscriptions
    }
}

impl Log {
    fn version(&self, stream: &StreamId) -> u64 {
        self.streams
            .get(stream)
            .map_or(0, |s| s.events.len() as u64)
    }

    /// `(event id, version)` of those of `ids` the stream stores.
    fn stored_ids(&self, stream: &StreamId, ids: &[Uuid]) -> Vec<(Uuid, u64)> {
        let Some(index) = self.streams.get(stream) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| index.ids.get(id).map(|version| (*id, *version)))
            .collect()
    }

    /// The stream's events after `after_version`, by slicing its index list: reading the
    /// tail of a long stream (after a snapshot) costs only the events returned.
    fn stream_tail(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> impl Iterator<Item = &Arc<RecordedEvent>> {
        let indexes = self
            .streams
            .get(stream)
            .map_or(&[][..], |s| s.events.as_slice());
        let start = usize::try_from(after_version).map_or(indexes.len(), |v| v.min(indexes.len()));
        indexes[start..].iter().map(|&i| &self.events[i])
    }
}

impl EventStore for InMemoryEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome> {
        backend::check_stream(stream)?;
        let mut log = self.lock();
        let batch_ids: Vec<_> = events.iter().map(|e| e.metadata.event_id).collect();
        let stored = log.stored_ids(stream, &batch_ids);
        if let BatchIdentity::Retry { first_version } =
            classify_batch(stream, expected, &batch_ids, &stored)?
        {
            let records = log
                .stream_tail(stream, first_version - 1)
                .take(events.len())
                .map(|record| RecordedEvent::clone(record))
                .collect();
            return Ok(AppendOutcome {
                records,
                already_stored: true,
            });
        }
        let actual = log.version(stream);
        backend::check_version(stream, expected, actual)?;
        let mut records = Vec::with_capacity(events.len());
        let appends = !events.is_empty();
        if appends {
            let Log {
                events: log_events,
                streams,
            } = &mut *log;
            let entry = streams.entry(stream.clone()).or_default();
            for (event, version) in events.into_iter().zip(actual + 1..) {
                let index = log_events.len();
                let record = backend::record(event, stream.clone(), version, index as u64 + 1);
                entry.ids.insert(record.metadata.event_id, version);
                entry.events.push(index);
                records.push(record.clone());
                log_events.push(Arc::new(record));
            }
        }
        drop(log);
        if appends {
            self.inner.appended.notify();
        }
        Ok(AppendOutcome {
            records,
            already_stored: false,
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>> {
        backend::check_stream(stream)?;
        let log = self.lock();
        Ok(log
            .stream_tail(stream, after_version)
            .map(|record| RecordedEvent::clone(record))
            .collect())
    }

    /// Takes shared pointers to the events under the lock, then applies them after
    /// releasing it: no event is copied, and writers never wait for a replay.
    fn replay_stream<T, F>(
        &self,
        stream: &StreamId,
        after_version: u64,
        state: T,
        apply: F,
    ) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut T, EventRef<'_>) -> Result<()> + Send + 'static,
    {
        let checked = backend::check_stream(stream);
        let tail: Vec<Arc<RecordedEvent>> = self
            .lock()
            .stream_tail(stream, after_version)
            .cloned()
            .collect();
        async move {
            checked?;
            let (mut state, mut apply) = (state, apply);
            for record in &tail {
                apply(&mut state, EventRef::from(&**record))?;
            }
            Ok(state)
        }
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
        backend::check_stream(stream)?;
        Ok(self.lock().version(stream))
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        let log = self.lock();
        let start = usize::try_from(after_position).unwrap_or(usize::MAX);
        Ok(log
            .events
            .iter()
            .skip(start)
            .take(limit)
            .map(|record| RecordedEvent::clone(record))
            .collect())
    }

    async fn read_feed(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
        let log = self.lock();
        let start = usize::try_from(after_position).unwrap_or(usize::MAX);
        let events = log.events.iter().skip(start).take(limit);
        let mut page = FeedPage::with_capacity(events.len(), 0);
        for record in events {
            page.push_event(RecordRef::from(&**record));
        }
        page.set_head(log.events.len() as u64);
        Ok(page)
    }

    async fn head_position(&self) -> Result<u64> {
        Ok(self.lock().events.len() as u64)
    }

    async fn feed_position_at(&self, time: SystemTime) -> Result<u64> {
        let log = self.lock();
        Ok(log
            .events
            .iter()
            .find(|event| event.metadata.occurred_at >= time)
            .map_or(log.events.len() as u64, |event| event.position - 1))
    }

    async fn stream_version_at(&self, stream: &StreamId, time: SystemTime) -> Result<u64> {
        backend::check_stream(stream)?;
        let log = self.lock();
        let first = log
            .stream_tail(stream, 0)
            .find(|event| event.metadata.occurred_at >= time)
            .map(|event| event.version - 1);
        Ok(first.unwrap_or_else(|| log.version(stream)))
    }

    async fn append_signal(&self) -> Result<Option<AppendSignal>> {
        Ok(Some(self.inner.appended.signal()))
    }
}
