//! [`EventStore`]: the contract every backend implements.

use super::{
    AppendOutcome, AppendSignal, DecodedCell, EventRef, ExpectedVersion, FeedPage, NewEvent,
    RecordedEvent, StreamId,
};
use crate::error::{Error, Result};
use std::future::Future;
use std::time::SystemTime;

/// A store of event streams with a global feed.
///
/// Every backend runs the same conformance suite, published as `eventsource::testkit`
/// (feature `testkit`), which checks these rules and more, one case each. The rules:
/// - [`append`](Self::append) stores all of the batch or none of it, and only when the
///   stream's version satisfies `expected`; otherwise it fails with [`Error::Conflict`]
///   carrying the actual version.
/// - A batch whose event ids are all stored already, at the versions the batch would take,
///   is a retry: it succeeds with [`AppendOutcome::already_stored`] and writes nothing. A
///   batch that only partly matches stored ids fails with [`Error::DuplicateEventId`].
/// - An empty batch writes nothing (the version is still checked).
/// - An append whose future is dropped before it completes may have been stored or not
///   (the built-in stores hand the batch to their connection when first polled). Nothing
///   is ever stored twice: append the same batch again (the same event ids) to find out,
///   and it either stores it or reports [`AppendOutcome::already_stored`].
/// - Global positions increase strictly in commit order, as readers see them.
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` atomically if its version satisfies `expected`.
    fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<AppendOutcome>> + Send;

    /// [`append`](Self::append) for a caller that reads nothing of the outcome: the same
    /// rules, and the same errors, but no records are handed back, so a store may skip
    /// building them. A retried batch (its ids stored already) succeeds and writes
    /// nothing, as with `append`. The repository saves this way when no publisher waits
    /// for the records.
    ///
    /// The default calls `append` and drops its outcome; the in-memory store, where
    /// building the records is a large part of an append, overrides it.
    fn append_unrecorded(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<()>> + Send {
        let appended = self.append(stream, expected, events);
        async move { appended.await.map(drop) }
    }

    /// The events of `stream` with a version greater than `after_version`, in order.
    fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>>> + Send;

    /// The stream's current version; 0 when it does not exist.
    fn stream_version(&self, stream: &StreamId) -> impl Future<Output = Result<u64>> + Send;

    /// Feeds the events of `stream` with a version greater than `after_version` to
    /// `apply`, in order, without collecting them, and returns the state `apply` built.
    /// The first error (a corrupt row, or one `apply` returns) ends the replay.
    ///
    /// This is how the repository loads aggregates. The default reads the stream with
    /// [`read_stream`](Self::read_stream); a store overrides it to hand over its rows as
    /// it reads them (the SQLite store runs the whole replay on its connection's thread,
    /// so a long replay copies nothing and keeps no async runtime thread busy).
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
        async move {
            let records = self.read_stream(stream, after_version).await?;
            let (mut state, mut apply) = (state, apply);
            for record in &records {
                if record.stream != *stream {
                    return Err(Error::Corrupt {
                        stream: stream.clone(),
                        version: record.version,
                        reason: format!("the store returned an event of stream {}", record.stream),
                    });
                }
                apply(&mut state, EventRef::from(record))?;
            }
            Ok(state)
        }
    }

    /// [`replay_stream`](Self::replay_stream), handing each event over with the
    /// [`DecodedCell`] the store keeps beside it, if it keeps one: a store that lives in
    /// the process (the in-memory store) keeps each event's decoded value there, so that a
    /// load decodes an event once rather than on every load. The same rules hold: the
    /// same events, in the same order, and the first error ends the replay.
    ///
    /// The repository loads aggregates this way. The default hands every event over
    /// without a cell, through `replay_stream`; a store that keeps events in another
    /// process or on disk has no reason to override it. `Box<dyn DynEventStore>` and
    /// `Arc<dyn DynEventStore>` forward the cells of the store inside.
    fn replay_stream_decoded<T, F>(
        &self,
        stream: &StreamId,
        after_version: u64,
        state: T,
        apply: F,
    ) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut T, EventRef<'_>, Option<&DecodedCell>) -> Result<()> + Send + 'static,
    {
        let mut apply = apply;
        self.replay_stream(stream, after_version, state, move |state, event| {
            apply(state, event, None)
        })
    }

    /// At most `limit` events of the global feed with a position greater than
    /// `after_position`, in position order.
    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>>> + Send;

    /// Like [`read_all`](Self::read_all), but a row that cannot be read is handed over in
    /// its place as [`FeedEntry::Unreadable`](super::FeedEntry::Unreadable) instead of failing the whole read, so that
    /// one bad row never blocks the feed. Subscriptions read the feed this way.
    ///
    /// The default wraps `read_all`: a store whose `read_all` fails on a bad row should
    /// override it (the built-in stores do).
    fn read_feed(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = Result<FeedPage>> + Send {
        let read = self.read_all(after_position, limit);
        async move { Ok(FeedPage::from(read.await?)) }
    }

    /// The position of the newest event of the global feed that readers can see; 0 when
    /// there is none.
    ///
    /// The default pages through [`read_all`](Self::read_all); the built-in stores answer
    /// it with one lookup.
    fn head_position(&self) -> impl Future<Output = Result<u64>> + Send {
        async move {
            const PAGE: usize = 1024;
            let mut head = 0;
            loop {
                let page = self.read_all(head, PAGE).await?;
                match page.last() {
                    Some(last) => head = last.position,
                    None => return Ok(head),
                }
                if page.len() < PAGE {
                    return Ok(head);
                }
            }
        }
    }

    /// The feed position just before the first event, in feed order, recorded at or after
    /// `time` (its `metadata.occurred_at`): `read_all(position, …)` reads the feed from that
    /// point in time. The head when no event is that recent. Event times come from the
    /// writers' clocks, so an event after that position may carry an earlier time.
    ///
    /// The default pages through the feed; the built-in stores ask an index.
    fn feed_position_at(&self, time: SystemTime) -> impl Future<Output = Result<u64>> + Send {
        async move {
            const PAGE: usize = 1024;
            let mut after = 0;
            loop {
                let page = self.read_all(after, PAGE).await?;
                if let Some(event) = page.iter().find(|e| e.metadata.occurred_at >= time) {
                    return Ok(event.position - 1);
                }
                match page.last() {
                    Some(last) => after = last.position,
                    None => return Ok(after),
                }
                if page.len() < PAGE {
                    return Ok(after);
                }
            }
        }
    }

    /// The stream's version just before its first event recorded at or after `time`:
    /// `read_stream(stream, version)` reads its events from that point in time. The
    /// stream's version when none is that recent (0 for a stream with no events).
    ///
    /// The default reads the stream.
    fn stream_version_at(
        &self,
        stream: &StreamId,
        time: SystemTime,
    ) -> impl Future<Output = Result<u64>> + Send {
        async move {
            let events = self.read_stream(stream, 0).await?;
            Ok(
                match events.iter().find(|e| e.metadata.occurred_at >= time) {
                    Some(event) => event.version - 1,
                    None => events.last().map_or(0, |e| e.version),
                },
            )
        }
    }

    /// A wake-up after appends, for a subscription that caught up; `None` when the store
    /// has none (the subscription then polls). A signal sees this process's appends; a
    /// store shared by processes may see only its own (SQLite) or every process's
    /// (PostgreSQL, through its notifications).
    fn append_signal(&self) -> impl Future<Output = Result<Option<AppendSignal>>> + Send {
        std::future::ready(Ok(None))
    }
}

impl<S: EventStore> EventStore for std::sync::Arc<S> {
    fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<AppendOutcome>> + Send {
        (**self).append(stream, expected, events)
    }

    fn append_unrecorded(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<()>> + Send {
        (**self).append_unrecorded(stream, expected, events)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>>> + Send {
        (**self).read_stream(stream, after_version)
    }

    fn stream_version(&self, stream: &StreamId) -> impl Future<Output = Result<u64>> + Send {
        (**self).stream_version(stream)
    }

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
        (**self).replay_stream(stream, after_version, state, apply)
    }

    fn replay_stream_decoded<T, F>(
        &self,
        stream: &StreamId,
        after_version: u64,
        state: T,
        apply: F,
    ) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut T, EventRef<'_>, Option<&DecodedCell>) -> Result<()> + Send + 'static,
    {
        (**self).replay_stream_decoded(stream, after_version, state, apply)
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>>> + Send {
        (**self).read_all(after_position, limit)
    }

    fn read_feed(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = Result<FeedPage>> + Send {
        (**self).read_feed(after_position, limit)
    }

    fn head_position(&self) -> impl Future<Output = Result<u64>> + Send {
        (**self).head_position()
    }

    fn append_signal(&self) -> impl Future<Output = Result<Option<AppendSignal>>> + Send {
        (**self).append_signal()
    }

    fn feed_position_at(&self, time: SystemTime) -> impl Future<Output = Result<u64>> + Send {
        (**self).feed_position_at(time)
    }

    fn stream_version_at(
        &self,
        stream: &StreamId,
        time: SystemTime,
    ) -> impl Future<Output = Result<u64>> + Send {
        (**self).stream_version_at(stream, time)
    }
}
