//! Domain events: the trait ([`DomainEvent`]), the metadata stored with each of them
//! ([`metadata`]), the set of an aggregate's events ([`set`]), and reading stored
//! payloads as events ([`decode`]), older ones included ([`older`], [`upcast`]).

mod decode;
mod metadata;
pub(crate) mod names;
mod older;
mod set;
pub(crate) mod upcast;

pub use decode::{decode_event, decode_stored};
pub use metadata::{EventContext, EventMetadata};
pub use older::{JsonEvent, OlderPayload};
pub use set::EventSet;

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

use crate::error::{BoxError, DecodeError};

/// A fact that happened, stored in an aggregate's stream.
///
/// Implemented by [`#[event]`](crate::event); a hand-written impl works the same way.
pub trait DomainEvent:
    Serialize + DeserializeOwned + Debug + Clone + PartialEq + Send + Sync + 'static
{
    /// The name stored with the event, stable across renames of the Rust type.
    const EVENT_TYPE: &'static str;

    /// The version of the event's schema this code writes. Starts at 1.
    const SCHEMA_VERSION: u32;

    /// Older stored names read as this event (`#[event(aliases("TaskCompleted"))]`): rows
    /// stored under them decode as this event, which is written under
    /// [`EVENT_TYPE`](Self::EVENT_TYPE) only.
    const ALIASES: &'static [&'static str] = &[];

    /// True for an event that is read but never written any more (`#[event(retired)]`):
    /// a command cannot return it, and a save refuses it with [`Error::RetiredEvent`].
    ///
    /// [`Error::RetiredEvent`]: crate::Error::RetiredEvent
    const RETIRED: bool = false;

    /// True for an older shape (`#[event(version = N, upcast_to = Next)]`): the fields of
    /// an older schema version, read only through the current event that lists it in
    /// `upcast_from(...)`, never listed by an aggregate or a projection itself.
    const OLDER_SHAPE: bool = false;

    /// True when [`upcast_json`](Self::upcast_json) does something: older payloads are then
    /// parsed as JSON and handed to it, with their metadata, before the typed chain.
    const UPCASTS_JSON: bool = false;

    /// Rewrites an older payload as JSON, with access to the stored metadata
    /// (`#[event(upcast_json = f)]`), setting the schema version it produced. The default
    /// does nothing (and is not called unless [`UPCASTS_JSON`](Self::UPCASTS_JSON)).
    fn upcast_json(event: &mut JsonEvent<'_>) -> Result<(), BoxError> {
        let _ = event;
        Ok(())
    }

    /// Reads a payload stored with an older schema version as the current event: the typed
    /// chain of `#[event(upcast_from(...))]`, which deserialises the payload as the shape
    /// of its version and converts it up, one version at a time.
    ///
    /// The default has no older shapes and refuses every older version with
    /// [`DecodeError::NoUpcaster`].
    fn upcast(older: OlderPayload<'_>) -> Result<Self, DecodeError> {
        Err(older.no_upcaster(Self::SCHEMA_VERSION))
    }
}
