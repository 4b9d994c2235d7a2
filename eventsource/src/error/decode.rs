//! Why a stored payload did not decode: [`DecodeError`] and [`UpcastError`].

use super::{BoxError, CodecError};

/// Why a stored payload could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The stored type name is not one of the aggregate's events.
    #[error("unknown event type")]
    UnknownEventType,

    /// The stored schema version is newer than the code knows: the event was written by a
    /// newer version of the program.
    #[error("stored schema version {stored} is newer than the supported version {supported}")]
    NewerSchemaVersion {
        /// The stored version.
        stored: u32,
        /// The version this code writes and reads.
        supported: u32,
    },

    /// The stored schema version is older and the event declares no upcaster for it.
    #[error("no upcaster from schema version {stored} to {supported}")]
    NoUpcaster {
        /// The stored version.
        stored: u32,
        /// The version this code writes and reads.
        supported: u32,
    },

    /// A typed upcast of the event's chain (`TryFrom` between two of its shapes) failed.
    #[error("upcasting {0}")]
    Upcast(Box<UpcastError>),

    /// The event's JSON upcaster (`#[event(upcast_json = f)]`) failed; `to` is the event's
    /// current schema version.
    #[error("the JSON upcaster failed {0}")]
    JsonUpcast(Box<UpcastError>),

    /// The event's JSON upcaster reads the stored metadata, which this reader did not
    /// read ([`EventSet::decode`](crate::aggregate::EventSet::decode) has none; use
    /// [`EventSet::decode_stored`](crate::aggregate::EventSet::decode_stored)).
    #[error("the event's JSON upcaster needs the stored metadata, which was not read")]
    MetadataUnavailable,

    /// The payload is not valid JSON for the event type.
    #[error("invalid payload: {0}")]
    Payload(#[from] serde_json::Error),

    /// A binary payload (see [`Codec`](crate::Codec)) does not decode as the event type,
    /// or its codec is not built in.
    #[error("invalid payload: {0}")]
    Codec(Box<CodecError>),
}

impl From<CodecError> for DecodeError {
    fn from(error: CodecError) -> Self {
        match error {
            CodecError::Json(json) => DecodeError::Payload(json),
            other => DecodeError::Codec(Box::new(other)),
        }
    }
}

/// What failed in upcasting a payload: the schema versions and the upcaster's error.
#[derive(Debug, thiserror::Error)]
#[error("from schema version {from} to {to}: {source}")]
pub struct UpcastError {
    /// The schema version of the payload being upcast.
    pub from: u32,
    /// The schema version it was being upcast to.
    pub to: u32,
    /// The upcaster's error.
    #[source]
    pub source: BoxError,
}

impl UpcastError {
    pub(crate) fn boxed(from: u32, to: u32, source: BoxError) -> Box<Self> {
        Box::new(UpcastError { from, to, source })
    }
}
