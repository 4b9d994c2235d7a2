//! Event stores: the [`EventStore`] trait every backend implements, and the records it
//! works on. Stores see type-erased events (a type name, a schema version and a JSON
//! payload), so one backend serves every aggregate.

mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use memory::InMemoryEventStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteEventStore;

use crate::error::{Error, Result};
use crate::event::EventMetadata;
use std::fmt;
use std::future::Future;
use uuid::Uuid;

/// The stream of one aggregate: its type and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId {
    /// The aggregate type, as in `#[aggregate(name = ...)]`.
    pub aggregate_type: String,
    /// The aggregate id, as text.
    pub aggregate_id: String,
}

impl StreamId {
    /// The stream of aggregate `aggregate_id` of type `aggregate_type`.
    pub fn new(aggregate_type: impl Into<String>, aggregate_id: impl Into<String>) -> Self {
        StreamId {
            aggregate_type: aggregate_type.into(),
            aggregate_id: aggregate_id.into(),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.aggregate_type, self.aggregate_id)
    }
}

/// What a writer expects of a stream's version before its append. Versions count from 1;
/// a stream that does not exist is at version 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectedVersion {
    /// Append whatever the version.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must exist (have at least one event).
    StreamExists,
    /// The stream must be at exactly this version (`Exact(0)` means it must not exist).
    Exact(u64),
}

impl ExpectedVersion {
    /// Does a stream at version `actual` satisfy this expectation?
    pub fn is_satisfied_by(self, actual: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::StreamExists => actual > 0,
            ExpectedVersion::Exact(n) => actual == n,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::StreamExists => f.write_str("stream exists"),
            ExpectedVersion::Exact(n) => write!(f, "{n}"),
        }
    }
}

/// An event to append: encoded, not yet stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The stored type name.
    pub event_type: String,
    /// The schema version of the payload.
    pub schema_version: u32,
    /// The JSON payload.
    pub payload: String,
    /// Event id, time, correlation and causation, extra pairs.
    pub metadata: EventMetadata,
}

/// An event as stored: a [`NewEvent`] with its stream, its version in the stream and its
/// position in the global feed.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Position in the global feed: from 1, strictly increasing in commit order.
    pub position: u64,
    /// The stream the event belongs to.
    pub stream: StreamId,
    /// Version in the stream: from 1, without gaps.
    pub version: u64,
    /// The stored type name.
    pub event_type: String,
    /// The schema version of the payload.
    pub schema_version: u32,
    /// The JSON payload.
    pub payload: String,
    /// Event id, time, correlation and causation, extra pairs.
    pub metadata: EventMetadata,
}

/// A stored event as [`EventStore::replay_stream`] hands it over: what a replay needs,
/// borrowed from the store while it reads, not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// Version in the stream.
    pub version: u64,
    /// The stored type name.
    pub event_type: &'a str,
    /// The schema version of the payload.
    pub schema_version: u32,
    /// The JSON payload.
    pub payload: &'a str,
}

impl<'a> From<&'a RecordedEvent> for EventRef<'a> {
    fn from(record: &'a RecordedEvent) -> Self {
        EventRef {
            version: record.version,
            event_type: &record.event_type,
            schema_version: record.schema_version,
            payload: &record.payload,
        }
    }
}

/// The result of a successful append.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendOutcome {
    /// The appended events as stored (or, for a retry, as stored before).
    pub records: Vec<RecordedEvent>,
    /// True when every event of the batch was already stored at these positions: the
    /// append was a retry and wrote nothing.
    pub already_stored: bool,
}

impl AppendOutcome {
    /// The stream's version after the append.
    pub fn version(&self) -> Option<u64> {
        self.records.last().map(|r| r.version)
    }
}

/// A store of event streams with a global feed.
///
/// Every backend runs the same conformance suite (the `tests` crate). The rules:
/// - [`append`](Self::append) stores all of the batch or none of it, and only when the
///   stream's version satisfies `expected`; otherwise it fails with [`Error::Conflict`]
///   carrying the actual version.
/// - A batch whose event ids are all stored already, at the versions the batch would take,
///   is a retry: it succeeds with [`AppendOutcome::already_stored`] and writes nothing. A
///   batch that only partly matches stored ids fails with [`Error::DuplicateEventId`].
/// - An empty batch writes nothing (the version is still checked).
/// - Global positions increase strictly in commit order, as readers see them.
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` atomically if its version satisfies `expected`.
    fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<AppendOutcome>> + Send;

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

    /// At most `limit` events of the global feed with a position greater than
    /// `after_position`, in position order.
    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>>> + Send;
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

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>>> + Send {
        (**self).read_all(after_position, limit)
    }
}

/// How a batch relates to what its stream already stores, by event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchIdentity {
    /// None of the batch's ids is stored: append it.
    New,
    /// Every id is stored, in order, from this version: the batch is a retry.
    Retry {
        /// The version of the batch's first event.
        first_version: u64,
    },
}

/// Applies the event-id rule shared by every backend.
///
/// `stored` holds `(event_id, version)` for those ids of `batch_ids` that the stream
/// already stores. The batch is a retry when all its ids are stored at consecutive
/// versions that `expected` allows; it is new when none is; anything else is
/// [`Error::DuplicateEventId`]. Ids repeated inside the batch are refused too.
pub fn classify_batch(
    stream: &StreamId,
    expected: ExpectedVersion,
    batch_ids: &[Uuid],
    stored: &[(Uuid, u64)],
) -> Result<BatchIdentity> {
    let duplicate = |event_id: Uuid| Error::DuplicateEventId {
        stream: stream.clone(),
        event_id,
    };
    for (i, id) in batch_ids.iter().enumerate() {
        if batch_ids[..i].contains(id) {
            return Err(duplicate(*id));
        }
    }
    let Some(&first_id) = batch_ids.first() else {
        return Ok(BatchIdentity::New);
    };
    if stored.is_empty() {
        return Ok(BatchIdentity::New);
    }
    let version_of = |id: &Uuid| stored.iter().find(|(s, _)| s == id).map(|(_, v)| *v);
    let Some(first_version) = version_of(&first_id) else {
        return Err(duplicate(stored[0].0));
    };
    let in_place = batch_ids
        .iter()
        .zip(first_version..)
        .all(|(id, version)| version_of(id) == Some(version));
    let allowed = match expected {
        ExpectedVersion::Exact(n) => first_version == n + 1,
        ExpectedVersion::NoStream => first_version == 1,
        ExpectedVersion::Any | ExpectedVersion::StreamExists => true,
    };
    if in_place && allowed {
        Ok(BatchIdentity::Retry { first_version })
    } else {
        Err(duplicate(first_id))
    }
}
