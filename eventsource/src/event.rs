//! Domain events and the metadata stored with each of them.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::SystemTime;
use uuid::Uuid;

use crate::codec::{JsonEvent, OlderPayload};
use crate::error::{BoxError, DecodeError};
use crate::time;

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

/// What is stored with every event besides its payload. Made with
/// [`EventMetadata::new`] (or [`EventMetadata::stored`]) outside this crate, fields set
/// after (it may gain fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventMetadata {
    /// The event's id: a UUID v7, unique within its stream; a retried append with the same
    /// ids is recognised and not stored twice.
    pub event_id: Uuid,
    /// When the event was recorded, to the microsecond.
    pub occurred_at: SystemTime,
    /// The id of the request or process the event belongs to.
    pub correlation_id: Option<Uuid>,
    /// The id of the message (command or event) that caused this event.
    pub causation_id: Option<Uuid>,
    /// Free-form key-value pairs.
    pub extra: BTreeMap<String, String>,
}

impl EventMetadata {
    /// Fresh metadata: a new UUID v7 and the current time.
    pub fn new() -> Self {
        let occurred_at = time::now_micros();
        EventMetadata {
            event_id: crate::id::new_event_id(occurred_at),
            occurred_at,
            correlation_id: None,
            causation_id: None,
            extra: BTreeMap::new(),
        }
    }

    /// Metadata as a store read it back: every field given.
    pub fn stored(
        event_id: Uuid,
        occurred_at: SystemTime,
        correlation_id: Option<Uuid>,
        causation_id: Option<Uuid>,
        extra: BTreeMap<String, String>,
    ) -> Self {
        EventMetadata {
            event_id,
            occurred_at,
            correlation_id,
            causation_id,
            extra,
        }
    }

    /// Microseconds since the Unix epoch of [`occurred_at`](Self::occurred_at), as stores
    /// keep it.
    pub fn occurred_at_micros(&self) -> i64 {
        time::to_micros(self.occurred_at)
    }

    /// The time `micros` microseconds after (or before, if negative) the Unix epoch.
    pub fn time_from_micros(micros: i64) -> SystemTime {
        time::from_micros(micros)
    }
}

impl Default for EventMetadata {
    fn default() -> Self {
        Self::new()
    }
}

/// Correlation, causation and extra metadata applied to every event of one save.
///
/// ```
/// # use eventsource::EventContext;
/// # let request_id = eventsource::__private::Uuid::now_v7();
/// let context = EventContext::new().correlation_id(request_id).with("user", "alice");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct EventContext {
    pub(crate) correlation_id: Option<Uuid>,
    pub(crate) causation_id: Option<Uuid>,
    pub(crate) extra: BTreeMap<String, String>,
}

impl EventContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the correlation id.
    pub fn correlation_id(mut self, id: Uuid) -> Self {
        self.correlation_id = Some(id);
        self
    }

    /// Sets the causation id.
    pub fn causation_id(mut self, id: Uuid) -> Self {
        self.causation_id = Some(id);
        self
    }

    /// Adds a key-value pair.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    pub(crate) fn apply_to(&self, metadata: &mut EventMetadata) {
        if self.correlation_id.is_some() {
            metadata.correlation_id = self.correlation_id;
        }
        if self.causation_id.is_some() {
            metadata.causation_id = self.causation_id;
        }
        metadata
            .extra
            .extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}
