//! What the macros' expansions name, as `::eventsource::__private::...`. Not a public API:
//! it changes with the macros.

pub use crate::aggregate::ListsEvent;
pub use crate::codec::names::{
    flatten_names, is_read_as, names_len, names_overlap, reads_name, str_eq,
};
pub use crate::codec::upcast::{Link, LinkTo, OlderShape, UpcastChain, UpcastsTo, upcast_step};
pub use crate::codec::{OlderPayload, StoredPayload, decode_stored};
pub use crate::snapshot::state::{SnapshotForm, SnapshotState, serialize_snapshot};
pub use serde;
pub use serde_json;
pub use uuid::Uuid;

/// Everything the expansion of `#[derive(Aggregate)]` needs of a listed event, behind
/// one bound. A listed type that is not an event is then reported once, as not
/// implementing [`DomainEvent`](crate::event::DomainEvent), rather than once for each trait
/// the expansion uses (`Debug`, `Clone`, `PartialEq`, `Serialize`, ...).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is listed in `events(...)` but is not an event",
    label = "not an `#[event]` type",
    note = "mark `{Self}` with `#[event]`, or implement `eventsource::DomainEvent` for it"
)]
pub trait ListedEvent: Sized {
    /// [`DomainEvent::EVENT_TYPE`](crate::event::DomainEvent::EVENT_TYPE).
    const EVENT_TYPE: &'static str;
    /// [`DomainEvent::SCHEMA_VERSION`](crate::event::DomainEvent::SCHEMA_VERSION).
    const SCHEMA_VERSION: u32;
    /// [`DomainEvent::ALIASES`](crate::event::DomainEvent::ALIASES).
    const ALIASES: &'static [&'static str];
    /// [`DomainEvent::RETIRED`](crate::event::DomainEvent::RETIRED).
    const RETIRED: bool;
    /// [`DomainEvent::UPCASTS_JSON`](crate::event::DomainEvent::UPCASTS_JSON).
    const UPCASTS_JSON: bool;
    /// [`DomainEvent::OLDER_SHAPE`](crate::event::DomainEvent::OLDER_SHAPE).
    const OLDER_SHAPE: bool;
    /// True when `event_type` is the event's stored name or one of its aliases.
    fn reads(event_type: &str) -> bool {
        is_read_as(event_type, Self::EVENT_TYPE, Self::ALIASES)
    }
    /// The event as `Debug`.
    fn as_debug(&self) -> &dyn ::core::fmt::Debug;
    /// `Clone::clone`.
    fn clone_event(&self) -> Self;
    /// `PartialEq::eq`.
    fn eq_event(&self, other: &Self) -> bool;
    /// The JSON payload.
    fn encode_event(&self) -> Result<String, serde_json::Error>;
    /// The payload written by `codec`.
    fn encode_event_with(
        &self,
        codec: crate::codec::Codec,
    ) -> Result<crate::codec::Payload, crate::error::CodecError>;
    /// [`decode_stored`].
    fn decode_event(stored: StoredPayload<'_>) -> Result<Self, crate::error::DecodeError>;
}

impl<E: crate::event::DomainEvent> ListedEvent for E {
    const EVENT_TYPE: &'static str = E::EVENT_TYPE;
    const SCHEMA_VERSION: u32 = E::SCHEMA_VERSION;
    const ALIASES: &'static [&'static str] = E::ALIASES;
    const RETIRED: bool = E::RETIRED;
    const UPCASTS_JSON: bool = E::UPCASTS_JSON;
    const OLDER_SHAPE: bool = E::OLDER_SHAPE;

    fn as_debug(&self) -> &dyn ::core::fmt::Debug {
        self
    }

    fn clone_event(&self) -> Self {
        self.clone()
    }

    fn eq_event(&self, other: &Self) -> bool {
        self == other
    }

    fn encode_event(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    fn encode_event_with(
        &self,
        codec: crate::codec::Codec,
    ) -> Result<crate::codec::Payload, crate::error::CodecError> {
        codec.encode(self)
    }

    fn decode_event(stored: StoredPayload<'_>) -> Result<Self, crate::error::DecodeError> {
        decode_stored(stored)
    }
}

/// Everything the expansion of `#[projection]` needs of a handler's event.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has a projection handler but is not an event",
    label = "not an `#[event]` type",
    note = "mark `{Self}` with `#[event]`, or implement `eventsource::DomainEvent` for it"
)]
pub trait ProjectedEvent: Sized {
    /// [`DomainEvent::EVENT_TYPE`](crate::event::DomainEvent::EVENT_TYPE).
    const EVENT_TYPE: &'static str;
    /// [`DomainEvent::ALIASES`](crate::event::DomainEvent::ALIASES).
    const ALIASES: &'static [&'static str];
    /// [`DomainEvent::OLDER_SHAPE`](crate::event::DomainEvent::OLDER_SHAPE).
    const OLDER_SHAPE: bool;
    /// True when `event_type` is the event's stored name or one of its aliases.
    fn reads(event_type: &str) -> bool {
        is_read_as(event_type, Self::EVENT_TYPE, Self::ALIASES)
    }
    /// Decodes the record's payload, naming stream, version and event type on failure.
    fn decode_projected(record: &crate::store::RecordedEvent) -> Result<Self, HandleError>;
}

impl<E: crate::event::DomainEvent> ProjectedEvent for E {
    const EVENT_TYPE: &'static str = E::EVENT_TYPE;
    const ALIASES: &'static [&'static str] = E::ALIASES;
    const OLDER_SHAPE: bool = E::OLDER_SHAPE;

    fn decode_projected(record: &crate::store::RecordedEvent) -> Result<Self, HandleError> {
        decode_stored::<E>(StoredPayload::from(record)).map_err(|source| {
            HandleError::Decode(crate::error::Error::Decode {
                stream: record.stream.clone(),
                version: record.version,
                event_type: record.event_type.clone(),
                schema_version: record.schema_version,
                source,
            })
        })
    }
}

pub use crate::future::BoxFuture;
#[cfg(feature = "postgres")]
pub use crate::subscription::PostgresProjection;
#[cfg(feature = "sqlite")]
pub use crate::subscription::SqliteProjection;
pub use crate::subscription::{HandleError, HandlerOutcome};
#[cfg(feature = "sqlite")]
pub use rusqlite;
#[cfg(feature = "postgres")]
pub use tokio_postgres;
