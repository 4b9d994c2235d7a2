//! [`Replay`]: what a load carries through [`EventStore::replay_stream`].
//!
//! [`EventStore::replay_stream`]: crate::EventStore::replay_stream

use crate::aggregate::Aggregate;
use crate::error::{Error, Result};
use crate::event::EventMetadata;
use crate::root::AggregateRoot;
use crate::store::{DecodedCell, EventRef, RecordedEvent};

/// An aggregate being rebuilt from the events a store hands over.
pub(super) struct Replay<A: Aggregate> {
    pub(super) root: AggregateRoot<A>,
    /// A snapshot's version: its event is expected first, and checked, not applied.
    pub(super) anchor: Option<u64>,
    pub(super) anchor_seen: bool,
    /// The last version to apply ([`load_at`](super::Repository::load_at)); later events
    /// are passed over.
    pub(super) until: Option<u64>,
}

impl<A: Aggregate> Replay<A> {
    pub(super) fn apply(&mut self, event: EventRef<'_>, cell: Option<&DecodedCell>) -> Result<()> {
        self.apply_with(event, cell, None)
    }

    /// [`apply`](Self::apply) for a whole record, its metadata read too.
    pub(super) fn apply_record(&mut self, record: &RecordedEvent) -> Result<()> {
        if record.stream != *self.root.stream_ref() {
            return Err(Error::Corrupt {
                stream: self.root.stream(),
                version: record.version,
                reason: format!("the store returned an event of stream {}", record.stream),
            });
        }
        self.apply_with(EventRef::from(record), None, Some(&record.metadata))
    }

    fn apply_with(
        &mut self,
        event: EventRef<'_>,
        cell: Option<&DecodedCell>,
        metadata: Option<&EventMetadata>,
    ) -> Result<()> {
        if self.until.is_some_and(|until| event.version > until) {
            return Ok(());
        }
        if !self.anchor_seen && self.anchor == Some(event.version) {
            self.anchor_seen = true;
            return Ok(());
        }
        self.root.replay(event, cell, metadata)
    }
}
