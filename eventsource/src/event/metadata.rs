//! What is stored with every event besides its payload, and what a command adds to it.

use std::collections::BTreeMap;
use std::time::SystemTime;
use uuid::Uuid;

use crate::time;

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
