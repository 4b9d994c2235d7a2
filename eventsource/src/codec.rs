//! Turning typed events into stored payloads and back: the [`EventSet`] an aggregate's
//! derive generates, and decoding with schema versions.

use crate::error::DecodeError;
use crate::event::DomainEvent;
use std::fmt::Debug;

/// The set of events of one aggregate: the enum `#[derive(Aggregate)]` generates, with one
/// variant per listed event. It knows each event's stored name and schema version, and
/// decodes a stored payload by its name.
pub trait EventSet: Debug + Clone + PartialEq + Send + Sync + Sized + 'static {
    /// The stored type names of the listed events, in list order.
    const EVENT_TYPES: &'static [&'static str];

    /// The stored type name of this event.
    fn event_type(&self) -> &'static str;

    /// The schema version this event is written with.
    fn schema_version(&self) -> u32;

    /// Serialises the event (without its variant tag) to JSON.
    fn encode(&self) -> Result<String, serde_json::Error>;

    /// Decodes a stored payload by its type name and schema version.
    fn decode(event_type: &str, schema_version: u32, payload: &str) -> Result<Self, DecodeError>;
}

/// Decodes one stored payload as `E`, upcasting an older schema version first.
pub fn decode_event<E: DomainEvent>(schema_version: u32, payload: &str) -> Result<E, DecodeError> {
    use std::cmp::Ordering;
    match schema_version.cmp(&E::SCHEMA_VERSION) {
        Ordering::Equal => Ok(serde_json::from_str(payload)?),
        Ordering::Greater => Err(DecodeError::NewerSchemaVersion {
            stored: schema_version,
            supported: E::SCHEMA_VERSION,
        }),
        Ordering::Less => {
            let value: serde_json::Value = serde_json::from_str(payload)?;
            let upcast = E::upcast(schema_version, value)?;
            Ok(serde_json::from_value(upcast)?)
        }
    }
}
