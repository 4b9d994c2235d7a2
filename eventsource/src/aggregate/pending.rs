//! [`PendingEvent`]: an event a command recorded, not saved yet.

use crate::event::EventMetadata;

/// An event recorded on an aggregate and not saved yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent<E> {
    /// The event.
    pub event: E,
    /// Its metadata, fixed when it was recorded (so a retried save keeps its event ids).
    pub metadata: EventMetadata,
}
