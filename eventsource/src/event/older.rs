//! A payload stored with an older schema version than its event's, as the event's
//! upcasters see it: [`OlderPayload`] for the typed chain, [`JsonEvent`] for a JSON
//! upcaster.

use crate::codec::PayloadRef;
use crate::error::DecodeError;
use crate::event::EventMetadata;
use serde::de::DeserializeOwned;

/// A payload of an older schema version than its event's, handed to the event's typed
/// upcaster ([`DomainEvent::upcast`](super::DomainEvent::upcast)).
#[derive(Debug)]
pub struct OlderPayload<'a> {
    schema_version: u32,
    body: Body<'a>,
}

#[derive(Debug)]
enum Body<'a> {
    /// As stored, by its codec.
    Stored(PayloadRef<'a>),
    /// As a JSON upcaster left it.
    Json(serde_json::Value),
}

impl<'a> OlderPayload<'a> {
    pub(crate) fn stored(schema_version: u32, payload: PayloadRef<'a>) -> Self {
        OlderPayload {
            schema_version,
            body: Body::Stored(payload),
        }
    }

    pub(crate) fn json(schema_version: u32, payload: serde_json::Value) -> Self {
        OlderPayload {
            schema_version,
            body: Body::Json(payload),
        }
    }

    /// The schema version the payload has.
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// The payload deserialised as `T`, the shape of its schema version.
    pub fn deserialize<T: DeserializeOwned>(self) -> Result<T, DecodeError> {
        Ok(match self.body {
            Body::Stored(payload) => payload.decode()?,
            Body::Json(value) => serde_json::from_value(value)?,
        })
    }

    /// The error for a version that no upcaster reads: [`DecodeError::NoUpcaster`].
    pub fn no_upcaster(&self, supported: u32) -> DecodeError {
        DecodeError::NoUpcaster {
            stored: self.schema_version,
            supported,
        }
    }
}

/// A stored event of an older schema version, as a JSON upcaster
/// (`#[event(upcast_json = f)]`) sees it: `f(&mut JsonEvent) -> Result<(), BoxError>`
/// rewrites the payload and sets the schema version it now has.
///
/// After it, the payload is read as the event when it has the event's schema version, and
/// through the typed chain of older shapes (`upcast_from`) when it is still older.
#[derive(Debug)]
#[non_exhaustive]
pub struct JsonEvent<'a> {
    /// The stored type name (the event's name or one of its aliases).
    pub event_type: &'a str,
    /// The payload's schema version: the stored one on entry; set it to the version the
    /// upcaster produced.
    pub schema_version: u32,
    /// The payload.
    pub payload: serde_json::Value,
    /// The metadata stored with the event.
    pub metadata: &'a EventMetadata,
}
