//! [`StoredPayload`]: what decoding one stored event reads.

use super::format::{Codec, PayloadRef};
use crate::event::EventMetadata;
use crate::store::record_ref::RecordRef;
use crate::store::{EventRef, RecordedEvent};

/// One stored event as a decoder sees it: its stored type name, schema version and
/// payload (with the codec that wrote it), and its metadata when the reader has it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredPayload<'a> {
    /// The stored type name (the event's name or one of its aliases).
    pub event_type: &'a str,
    /// The schema version the payload was written with.
    pub schema_version: u32,
    /// The JSON payload; empty when [`codec`](Self::codec) is a binary one.
    pub payload: &'a str,
    /// The codec that wrote the payload.
    pub codec: Codec,
    /// The payload of a binary codec; empty for JSON.
    pub binary: &'a [u8],
    /// The stored metadata; `None` where the reader did not read it (a stream replay).
    pub metadata: Option<&'a EventMetadata>,
}

impl<'a> StoredPayload<'a> {
    /// A JSON payload without metadata.
    pub fn new(event_type: &'a str, schema_version: u32, payload: &'a str) -> Self {
        StoredPayload {
            event_type,
            schema_version,
            payload,
            codec: Codec::Json,
            binary: &[],
            metadata: None,
        }
    }

    /// A payload of any codec, without metadata.
    pub fn encoded(event_type: &'a str, schema_version: u32, payload: PayloadRef<'a>) -> Self {
        let (text, binary) = match payload {
            PayloadRef::Json(text) => (text, &[][..]),
            PayloadRef::MessagePack(bytes) => ("", bytes),
        };
        StoredPayload {
            event_type,
            schema_version,
            payload: text,
            codec: payload.codec(),
            binary,
            metadata: None,
        }
    }

    /// The payload, as its codec wrote it.
    pub fn payload_ref(&self) -> PayloadRef<'a> {
        PayloadRef::from_parts(self.codec, self.payload, self.binary)
    }

    /// The same payload with its stored metadata.
    pub fn with_metadata(mut self, metadata: &'a EventMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

impl<'a> From<&'a RecordedEvent> for StoredPayload<'a> {
    fn from(record: &'a RecordedEvent) -> Self {
        StoredPayload::encoded(
            &record.event_type,
            record.schema_version,
            record.payload_ref(),
        )
        .with_metadata(&record.metadata)
    }
}

impl<'a> From<RecordRef<'a>> for StoredPayload<'a> {
    fn from(record: RecordRef<'a>) -> Self {
        StoredPayload::encoded(
            record.event_type,
            record.schema_version,
            record.payload_ref(),
        )
        .with_metadata(record.metadata)
    }
}

impl<'a> From<EventRef<'a>> for StoredPayload<'a> {
    fn from(event: EventRef<'a>) -> Self {
        StoredPayload::encoded(event.event_type, event.schema_version, event.payload_ref())
    }
}
