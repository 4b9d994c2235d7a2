//! [`StoredPayload`]: what decoding one stored event reads.

use crate::event::EventMetadata;
use crate::store::record_ref::RecordRef;
use crate::store::{EventRef, RecordedEvent};

/// One stored event as a decoder sees it: its stored type name, schema version and JSON
/// payload, and its metadata when the reader has it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredPayload<'a> {
    /// The stored type name (the event's name or one of its aliases).
    pub event_type: &'a str,
    /// The schema version the payload was written with.
    pub schema_version: u32,
    /// The JSON payload.
    pub payload: &'a str,
    /// The stored metadata; `None` where the reader did not read it (a stream replay).
    pub metadata: Option<&'a EventMetadata>,
}

impl<'a> StoredPayload<'a> {
    /// A payload without metadata.
    pub fn new(event_type: &'a str, schema_version: u32, payload: &'a str) -> Self {
        StoredPayload {
            event_type,
            schema_version,
            payload,
            metadata: None,
        }
    }

    /// The same payload with its stored metadata.
    pub fn with_metadata(mut self, metadata: &'a EventMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

impl<'a> From<&'a RecordedEvent> for StoredPayload<'a> {
    fn from(record: &'a RecordedEvent) -> Self {
        StoredPayload::new(&record.event_type, record.schema_version, &record.payload)
            .with_metadata(&record.metadata)
    }
}

impl<'a> From<RecordRef<'a>> for StoredPayload<'a> {
    fn from(record: RecordRef<'a>) -> Self {
        StoredPayload::new(record.event_type, record.schema_version, record.payload)
            .with_metadata(record.metadata)
    }
}

impl<'a> From<EventRef<'a>> for StoredPayload<'a> {
    fn from(event: EventRef<'a>) -> Self {
        StoredPayload::new(event.event_type, event.schema_version, event.payload)
    }
}
