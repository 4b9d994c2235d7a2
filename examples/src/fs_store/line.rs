//! [`LogLine`]: one event as the event log keeps it, with its place in its batch.

use eventsource::prelude::*;
use eventsource::{Codec, EventMetadata, codec::PayloadRef};
use eventsource::{RecordedEvent, StreamId, store::NewEvent};
use std::collections::BTreeMap;

/// One event of the log. A batch of `n` events is `n` consecutive lines numbered
/// `1..=n` in `batch`; it counts as written once its last line is on disk.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LogLine {
    pub position: u64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub version: u64,
    /// This line's number in its batch, from 1, and the batch's size.
    pub batch: (u32, u32),
    pub event_type: String,
    pub schema_version: u32,
    pub payload: String,
    /// The codec that wrote the payload ([`Codec::id`]); lines written before codecs are
    /// JSON.
    #[serde(default = "json_id")]
    pub codec: String,
    /// A binary codec's payload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binary: Vec<u8>,
    pub event_id: Uuid,
    pub occurred_at: i64,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    pub extra: BTreeMap<String, String>,
}

impl LogLine {
    /// `event` appended to `stream` at `version` and feed `position`, line `batch.0` of a
    /// batch of `batch.1`.
    pub fn new(
        event: &NewEvent,
        stream: &StreamId,
        version: u64,
        position: u64,
        batch: (u32, u32),
    ) -> Self {
        LogLine {
            position,
            aggregate_type: stream.aggregate_type.clone(),
            aggregate_id: stream.aggregate_id.clone(),
            version,
            batch,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            payload: event.payload.clone(),
            codec: event.codec.id().to_owned(),
            binary: event.binary.clone(),
            event_id: event.metadata.event_id,
            occurred_at: event.metadata.occurred_at_micros(),
            correlation_id: event.metadata.correlation_id,
            causation_id: event.metadata.causation_id,
            extra: event.metadata.extra.clone(),
        }
    }

    /// The stream the line belongs to.
    pub fn stream(&self) -> StreamId {
        StreamId::new(self.aggregate_type.clone(), self.aggregate_id.clone())
    }

    /// The event as the store hands it over; a codec this library does not know is
    /// [`Error::UnknownCodec`](eventsource::Error::UnknownCodec).
    pub fn into_record(self) -> eventsource::Result<RecordedEvent> {
        let stream = self.stream();
        let Some(codec) = Codec::from_id(&self.codec) else {
            return Err(eventsource::Error::UnknownCodec {
                stream,
                version: self.version,
                event_type: self.event_type,
                codec: self.codec,
            });
        };
        let metadata = EventMetadata::stored(
            self.event_id,
            EventMetadata::time_from_micros(self.occurred_at),
            self.correlation_id,
            self.causation_id,
            self.extra,
        );
        let payload = PayloadRef::from_parts(codec, &self.payload, &self.binary).to_owned();
        let event = NewEvent::new(self.event_type, self.schema_version, payload, metadata);
        Ok(RecordedEvent::new(
            event,
            stream,
            self.version,
            self.position,
        ))
    }
}

/// The codec of a line written before codecs: JSON.
pub(crate) fn json_id() -> String {
    Codec::Json.id().to_owned()
}
