//! [`RecordRef`]: a stored event borrowed, from a [`FeedPage`](super::FeedPage)(super::FeedPage) or a
//! [`RecordedEvent`].

use super::record::RecordedEvent;
use crate::codec::{Codec, PayloadRef};
use crate::event::EventMetadata;
use crate::stream::StreamId;

/// A stored event borrowed from a [`FeedPage`](super::FeedPage) (or from a [`RecordedEvent`]): the same
/// fields, the texts as `&str`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordRef<'a> {
    /// Position in the global feed.
    pub position: u64,
    /// The stream's aggregate type.
    pub aggregate_type: &'a str,
    /// The stream's aggregate id.
    pub aggregate_id: &'a str,
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
    /// Event id, time, correlation and causation, extra pairs.
    pub metadata: &'a EventMetadata,
}

impl<'a> RecordRef<'a> {
    /// The payload, as its codec wrote it.
    pub fn payload_ref(&self) -> PayloadRef<'a> {
        PayloadRef::from_parts(self.codec, self.payload, self.binary)
    }
}

impl RecordRef<'_> {
    /// The event as an owned [`RecordedEvent`].
    pub fn to_record(&self) -> RecordedEvent {
        RecordedEvent {
            position: self.position,
            stream: StreamId::new(self.aggregate_type, self.aggregate_id),
            version: self.version,
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version,
            payload: self.payload.to_owned(),
            codec: self.codec,
            binary: self.binary.to_vec(),
            metadata: self.metadata.clone(),
        }
    }

    /// Overwrites `record` with this event, reusing its strings' buffers: a loop that
    /// hands events over one at a time allocates only when an event is longer than every
    /// one before it.
    pub fn copy_into(&self, record: &mut RecordedEvent) {
        fn set(target: &mut String, text: &str) {
            target.clear();
            target.push_str(text);
        }
        record.position = self.position;
        set(&mut record.stream.aggregate_type, self.aggregate_type);
        set(&mut record.stream.aggregate_id, self.aggregate_id);
        record.version = self.version;
        set(&mut record.event_type, self.event_type);
        record.schema_version = self.schema_version;
        set(&mut record.payload, self.payload);
        record.codec = self.codec;
        record.binary.clear();
        record.binary.extend_from_slice(self.binary);
        record.metadata.clone_from(self.metadata);
    }
}

impl RecordRef<'_> {
    /// This event in `slot`: copied into the record already there (see
    /// [`copy_into`](Self::copy_into)), or made there the first time.
    pub fn copy_into_slot<'s>(&self, slot: &'s mut Option<RecordedEvent>) -> &'s RecordedEvent {
        match slot {
            Some(record) => {
                self.copy_into(record);
                record
            }
            None => slot.insert(self.to_record()),
        }
    }
}

impl<'a> From<&'a RecordedEvent> for RecordRef<'a> {
    fn from(record: &'a RecordedEvent) -> Self {
        RecordRef {
            position: record.position,
            aggregate_type: &record.stream.aggregate_type,
            aggregate_id: &record.stream.aggregate_id,
            version: record.version,
            event_type: &record.event_type,
            schema_version: record.schema_version,
            payload: &record.payload,
            codec: record.codec,
            binary: &record.binary,
            metadata: &record.metadata,
        }
    }
}

/// A stored event's columns as a backend reads them from a row (without its stream),
/// the texts borrowed from the row: turned into a [`RecordRef`] for a feed page, or into
/// an owned [`RecordedEvent`] for a stream read.
#[derive(Debug)]
pub struct EventCells<'r> {
    /// The event's global position.
    pub position: u64,
    /// Its version in its stream.
    pub version: u64,
    /// Its stored type name.
    pub event_type: &'r str,
    /// The schema version it was written with.
    pub schema_version: u32,
    /// The payload as text (a JSON row), or empty for a binary one.
    pub payload: &'r str,
    /// The codec that wrote the payload.
    pub codec: Codec,
    /// The payload as bytes (a binary row), or empty for a text one.
    pub binary: &'r [u8],
    /// Its metadata.
    pub metadata: EventMetadata,
}

impl<'r> EventCells<'r> {
    /// The event of the stream `aggregate_type`/`aggregate_id`, borrowed.
    pub fn record_ref<'a>(
        &'a self,
        aggregate_type: &'a str,
        aggregate_id: &'a str,
    ) -> RecordRef<'a> {
        RecordRef {
            position: self.position,
            aggregate_type,
            aggregate_id,
            version: self.version,
            event_type: self.event_type,
            schema_version: self.schema_version,
            payload: self.payload,
            codec: self.codec,
            binary: self.binary,
            metadata: &self.metadata,
        }
    }

    /// The event of `stream`, owned.
    pub fn into_record(self, stream: StreamId) -> RecordedEvent {
        RecordedEvent {
            position: self.position,
            version: self.version,
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version,
            payload: self.payload.to_owned(),
            codec: self.codec,
            binary: self.binary.to_vec(),
            metadata: self.metadata,
            stream,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(position: u64, id: &str, payload: &str) -> RecordedEvent {
        RecordedEvent {
            position,
            stream: StreamId::new("Tâche", id),
            version: position,
            event_type: "Créée".into(),
            schema_version: 2,
            payload: payload.into(),
            codec: Codec::Json,
            binary: Vec::new(),
            metadata: EventMetadata::new(),
        }
    }

    #[test]
    fn copying_into_a_record_overwrites_every_field() {
        let long = record(1, "a-much-longer-aggregate-id", r#"{"n":123456789}"#);
        let short = record(2, "b", "{}");
        let mut target = long.clone();
        RecordRef::from(&short).copy_into(&mut target);
        assert_eq!(target, short);
        RecordRef::from(&long).copy_into(&mut target);
        assert_eq!(target, long);
        let mut binary = record(3, "c", "");
        (binary.codec, binary.binary) = (Codec::MessagePack, vec![0x81, 0xa1, b'n', 1]);
        RecordRef::from(&binary).copy_into(&mut target);
        assert_eq!(target, binary);
        RecordRef::from(&short).copy_into(&mut target);
        assert_eq!(target, short);
    }
}
