//! What the macros' expansions name, as `::eventsource::__private::...`. Not a public API:
//! it changes with the macros.

pub use crate::aggregate::{Emittable, EventSet};
pub use crate::applied::{Applied, Dispatch, EventOf, HandledEvent, NoApplyBlock, assert_applied};
pub use crate::codec::{Payload, StoredPayload};
pub use crate::error::{BoxError, CodecError, DecodeError};
pub use crate::event::names::{
    flatten_names, is_read_as, names_len, names_overlap, reads_name, str_eq,
};
pub use crate::event::upcast::{Link, LinkTo, OlderShape, UpcastChain, UpcastsTo, upcast_step};
pub use crate::event::{JsonEvent, OlderPayload, decode_stored};
pub use crate::snapshot::Snapshottable;
pub use crate::snapshot::state::{SnapshotForm, SnapshotState, serialize_snapshot};
pub use serde;
pub use serde_json;
pub use uuid::Uuid;

/// Everything the expansion of `#[projection]` needs of a handler's event.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has a projection handler but is not an event",
    label = "not an `#[event]` type",
    note = "mark `{Self}` with `#[event]`, or implement `eventsource::DomainEvent` for it"
)]
pub trait ProjectedEvent: Sized {
    /// [`DomainEvent::EVENT_TYPE`](crate::DomainEvent::EVENT_TYPE).
    const EVENT_TYPE: &'static str;
    /// [`DomainEvent::ALIASES`](crate::DomainEvent::ALIASES).
    const ALIASES: &'static [&'static str];
    /// [`DomainEvent::OLDER_SHAPE`](crate::DomainEvent::OLDER_SHAPE).
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

/// Keeps `#[projection(sqlite)]`'s impl: the `sqlite` feature is on.
#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlite_projection {
    ($($impl:tt)*) => { $($impl)* };
}

/// Replaces `#[projection(sqlite)]`'s impl with one error: the `sqlite` feature is off.
#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlite_projection {
    ($($impl:tt)*) => {
        ::core::compile_error!(
            "#[projection(sqlite)] needs the `sqlite` feature of eventsource, which is off in this build: enable it (it is on by default), or choose another mode"
        );
    };
}

/// Keeps `#[projection(postgres)]`'s impl: the `postgres` feature is on.
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __postgres_projection {
    ($($impl:tt)*) => { $($impl)* };
}

/// Replaces `#[projection(postgres)]`'s impl with one error: the `postgres` feature is off.
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __postgres_projection {
    ($($impl:tt)*) => {
        ::core::compile_error!(
            "#[projection(postgres)] needs the `postgres` feature of eventsource: enable it, as in `eventsource = { version = \"0.1\", features = [\"postgres\"] }`, or choose another mode"
        );
    };
}

pub use crate::__postgres_projection as postgres_projection;
pub use crate::__sqlite_projection as sqlite_projection;
