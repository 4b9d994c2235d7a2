//! The set of events of one aggregate: [`EventSet`].

use crate::codec::{Codec, Payload, StoredPayload};
use crate::error::{CodecError, DecodeError};
use std::fmt::Debug;

/// The set of events of one aggregate: the enum its `#[apply]` block generates, with one
/// variant per handled event. It knows each event's stored name and schema version, and
/// decodes a stored payload by its name.
pub trait EventSet: Debug + Clone + PartialEq + Send + Sync + Sized + 'static {
    /// Every stored type name the set reads, in handler order: each event's name
    /// followed by its [aliases](crate::DomainEvent::ALIASES). Subscriptions filter the feed by
    /// these names.
    const EVENT_TYPES: &'static [&'static str];

    /// True when decoding an older payload of one of the events reads its stored metadata
    /// (an event with a JSON upcaster): the repository then reads whole records when it
    /// loads, not just the payloads.
    const READS_METADATA: bool = false;

    /// The stored type name of this event.
    fn event_type(&self) -> &'static str;

    /// The schema version this event is written with.
    fn schema_version(&self) -> u32;

    /// True when this event is [retired](crate::DomainEvent::RETIRED): read, never written.
    fn is_retired(&self) -> bool {
        false
    }

    /// Serialises the event (without its variant tag) to JSON.
    fn encode(&self) -> Result<String, serde_json::Error>;

    /// Serialises the event (without its variant tag) with `codec`.
    ///
    /// The derive serialises each event with the codec directly. This default, for a set
    /// written by hand, goes through [`encode`](Self::encode) and a JSON value for any
    /// codec but JSON.
    fn encode_with(&self, codec: Codec) -> Result<Payload, CodecError> {
        let json = self.encode()?;
        match codec {
            Codec::Json => Ok(Payload::Json(json)),
            other => other.encode(&serde_json::from_str::<serde_json::Value>(&json)?),
        }
    }

    /// Decodes a stored event by its type name (or an alias) and schema version.
    fn decode_stored(stored: StoredPayload<'_>) -> Result<Self, DecodeError>;

    /// Decodes a stored payload by its type name and schema version, without its metadata.
    ///
    /// The same as [`decode_stored`](Self::decode_stored) with no metadata: an older
    /// payload of an event whose JSON upcaster reads metadata fails with
    /// [`DecodeError::MetadataUnavailable`].
    fn decode(event_type: &str, schema_version: u32, payload: &str) -> Result<Self, DecodeError> {
        Self::decode_stored(StoredPayload::new(event_type, schema_version, payload))
    }
}
