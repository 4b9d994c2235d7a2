//! What the macros' expansions name, as `::eventsource::__private::...`. Not a public API:
//! it changes with the macros.

pub use crate::aggregate::ListsEvent;
pub use crate::codec::decode_event;
pub use crate::snapshot::state::serialize_snapshot;
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
    /// The event as `Debug`.
    fn as_debug(&self) -> &dyn ::core::fmt::Debug;
    /// `Clone::clone`.
    fn clone_event(&self) -> Self;
    /// `PartialEq::eq`.
    fn eq_event(&self, other: &Self) -> bool;
    /// The JSON payload.
    fn encode_event(&self) -> Result<String, serde_json::Error>;
    /// [`decode_event`].
    fn decode_event(schema_version: u32, payload: &str) -> Result<Self, crate::error::DecodeError>;
}

impl<E: crate::event::DomainEvent> ListedEvent for E {
    const EVENT_TYPE: &'static str = E::EVENT_TYPE;
    const SCHEMA_VERSION: u32 = E::SCHEMA_VERSION;

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

    fn decode_event(schema_version: u32, payload: &str) -> Result<Self, crate::error::DecodeError> {
        decode_event(schema_version, payload)
    }
}

/// String equality usable in `const` assertions.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
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
    /// Decodes the record's payload, naming stream, version and event type on failure.
    fn decode_projected(record: &crate::store::RecordedEvent) -> Result<Self, HandleError>;
}

impl<E: crate::event::DomainEvent> ProjectedEvent for E {
    const EVENT_TYPE: &'static str = E::EVENT_TYPE;

    fn decode_projected(record: &crate::store::RecordedEvent) -> Result<Self, HandleError> {
        decode_event::<E>(record.schema_version, &record.payload).map_err(|source| {
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
