//! The records an [`EventStore`](super::EventStore) works on: events to append, events as
//! stored, and the outcome of an append.

use crate::codec::{Codec, Payload, PayloadRef};
use crate::event::EventMetadata;
use crate::stream::StreamId;

/// An event to append: encoded, not yet stored. Made with [`NewEvent::new`] outside
/// this crate (it may gain fields).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NewEvent {
    /// The stored type name.
    pub event_type: String,
    /// The schema version of the payload.
    pub schema_version: u32,
    /// The JSON payload; empty when [`codec`](Self::codec) is a binary one.
    pub payload: String,
    /// The codec that wrote the payload, recorded with the event.
    pub codec: Codec,
    /// The payload of a binary codec; empty for JSON.
    pub binary: Vec<u8>,
    /// Event id, time, correlation and causation, extra pairs.
    pub metadata: EventMetadata,
}

/// An event as stored: a [`NewEvent`] with its stream, its version in the stream and its
/// position in the global feed. Made with [`RecordedEvent::new`] outside this crate (it
/// may gain fields).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// The JSON payload; empty when [`codec`](Self::codec) is a binary one.
    pub payload: String,
    /// The codec that wrote the payload, recorded with the event.
    pub codec: Codec,
    /// The payload of a binary codec; empty for JSON.
    pub binary: Vec<u8>,
    /// Event id, time, correlation and causation, extra pairs.
    pub metadata: EventMetadata,
}

impl NewEvent {
    /// An event to append: its stored type name, schema version, payload (JSON text, or
    /// any [`Payload`] a [`Codec`] made) and metadata.
    pub fn new(
        event_type: impl Into<String>,
        schema_version: u32,
        payload: impl Into<Payload>,
        metadata: EventMetadata,
    ) -> Self {
        let (codec, payload, binary) = payload.into().into_parts();
        NewEvent {
            event_type: event_type.into(),
            schema_version,
            payload,
            codec,
            binary,
            metadata,
        }
    }

    /// The payload, as its codec wrote it.
    pub fn payload_ref(&self) -> PayloadRef<'_> {
        PayloadRef::from_parts(self.codec, &self.payload, &self.binary)
    }
}

impl RecordedEvent {
    /// `event` as stored in `stream` at `version` and feed `position`.
    pub fn new(event: NewEvent, stream: StreamId, version: u64, position: u64) -> Self {
        RecordedEvent {
            position,
            stream,
            version,
            event_type: event.event_type,
            schema_version: event.schema_version,
            payload: event.payload,
            codec: event.codec,
            binary: event.binary,
            metadata: event.metadata,
        }
    }

    /// The payload, as its codec wrote it.
    pub fn payload_ref(&self) -> PayloadRef<'_> {
        PayloadRef::from_parts(self.codec, &self.payload, &self.binary)
    }
}

/// A stored event as [`EventStore::replay_stream`](super::EventStore::replay_stream) hands it over: what a replay needs,
/// borrowed from the store while it reads, not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// Version in the stream.
    pub version: u64,
    /// The stored type name.
    pub event_type: &'a str,
    /// The schema version of the payload.
    pub schema_version: u32,
    /// The JSON payload; empty when [`codec`](Self::codec) is a binary one.
    pub payload: &'a str,
    /// The codec that wrote the payload.
    pub codec: Codec,
    /// The payload of a binary codec; empty for JSON.
    pub binary: &'a [u8],
}

impl<'a> EventRef<'a> {
    /// The payload, as its codec wrote it.
    pub fn payload_ref(&self) -> PayloadRef<'a> {
        PayloadRef::from_parts(self.codec, self.payload, self.binary)
    }
}

impl<'a> From<&'a RecordedEvent> for EventRef<'a> {
    fn from(record: &'a RecordedEvent) -> Self {
        EventRef {
            version: record.version,
            event_type: &record.event_type,
            schema_version: record.schema_version,
            payload: &record.payload,
            codec: record.codec,
            binary: &record.binary,
        }
    }
}

/// The result of a successful append. Made with [`AppendOutcome::new`] outside this
/// crate (it may gain fields).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AppendOutcome {
    /// The appended events as stored (or, for a retry, as stored before).
    pub records: Vec<RecordedEvent>,
    /// True when every event of the batch was already stored at these positions: the
    /// append was a retry and wrote nothing.
    pub already_stored: bool,
}

impl AppendOutcome {
    /// The outcome of an append that stored `records`, or (`already_stored`) found them
    /// stored by an earlier try.
    pub fn new(records: Vec<RecordedEvent>, already_stored: bool) -> Self {
        AppendOutcome {
            records,
            already_stored,
        }
    }

    /// The stream's version after the append.
    pub fn version(&self) -> Option<u64> {
        self.records.last().map(|r| r.version)
    }
}

/// One entry of the global feed as [`EventStore::read_feed`](super::EventStore::read_feed)
/// hands it over: an event, or a row at that position that cannot be read.
#[derive(Debug)]
pub enum FeedEntry {
    /// A readable event.
    Event(RecordedEvent),
    /// The row at `position` cannot be read (corrupt metadata, a malformed column): the
    /// typed error names what is wrong. The feed goes on after it.
    Unreadable {
        /// The row's position in the feed.
        position: u64,
        /// What is wrong with it.
        error: crate::error::Error,
    },
}

impl FeedEntry {
    /// The entry's position in the feed.
    pub fn position(&self) -> u64 {
        match self {
            FeedEntry::Event(record) => record.position,
            FeedEntry::Unreadable { position, .. } => *position,
        }
    }
}
