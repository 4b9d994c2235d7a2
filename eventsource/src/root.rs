//! [`AggregateRoot`]: an aggregate's id, version, state and the events not yet saved.

use crate::aggregate::{Aggregate, IntoEvents, PendingEvent, id_text};
use crate::codec::{Codec, StoredPayload};
use crate::error::DecodeError;
use crate::error::{Error, Result};
use crate::event::EventSet;
use crate::event::{EventContext, EventMetadata};
use crate::store::{DecodedCell, EventRef, NewEvent};
use crate::stream::StreamId;
use std::ops::Deref;

/// One aggregate instance: its id, its version, its state and its pending events.
///
/// It dereferences to the state, so `task.title` reads the state's field. Commands are
/// methods on the state that decide and return events; [`execute`](Self::execute) applies
/// and records what they return. Nothing is stored until the repository saves it.
#[derive(Debug, Clone)]
pub struct AggregateRoot<A: Aggregate> {
    id: A::Id,
    /// The stream, made once: loads and saves name it for every store call.
    stream: StreamId,
    version: u64,
    state: A,
    pending: Vec<PendingEvent<A::Event>>,
}

impl<A: Aggregate> AggregateRoot<A> {
    /// A new aggregate: version 0, default state, nothing pending.
    pub fn new(id: A::Id) -> Self {
        AggregateRoot {
            stream: StreamId::new(A::TYPE, id_text(&id)),
            id,
            version: 0,
            state: A::default(),
            pending: Vec::new(),
        }
    }

    /// Rebuilds an aggregate from a state at `version` (a snapshot, say).
    pub fn from_state(id: A::Id, version: u64, state: A) -> Self {
        let id_text = id_text(&id);
        Self::from_state_named(id, id_text, version, state)
    }

    /// [`from_state`](Self::from_state) with the id's text already made (`id_text` is
    /// `id.to_string()`), so that it is not formatted again.
    pub(crate) fn from_state_named(id: A::Id, id_text: String, version: u64, state: A) -> Self {
        AggregateRoot {
            stream: StreamId::new(A::TYPE, id_text),
            id,
            version,
            state,
            pending: Vec::new(),
        }
    }

    /// The aggregate's id.
    pub fn id(&self) -> &A::Id {
        &self.id
    }

    /// The aggregate's stream.
    pub fn stream(&self) -> StreamId {
        self.stream.clone()
    }

    /// The aggregate's stream, borrowed.
    pub(crate) fn stream_ref(&self) -> &StreamId {
        &self.stream
    }

    /// The version including pending events: 0 for a new aggregate, then one per event.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The version of the last saved (or loaded) event.
    pub fn committed_version(&self) -> u64 {
        self.version - self.pending.len() as u64
    }

    /// The current state, pending events applied.
    pub fn state(&self) -> &A {
        &self.state
    }

    /// Consumes the root, returning its state.
    pub fn into_state(self) -> A {
        self.state
    }

    /// The events recorded since the last save, in order.
    pub fn pending_events(&self) -> &[PendingEvent<A::Event>] {
        &self.pending
    }

    /// True when there are events to save.
    pub fn has_pending_events(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Runs a command against the state and records the events it returns.
    ///
    /// The command sees the current state and returns zero, one or several events (see
    /// [`IntoEvents`]), or an error; on error nothing is recorded.
    pub fn execute<R, E>(&mut self, command: impl FnOnce(&A) -> Result<R, E>) -> Result<(), E>
    where
        R: IntoEvents<A>,
    {
        let decided = command(&self.state)?;
        self.record(decided);
        Ok(())
    }

    /// Applies and records events directly, without a command.
    pub fn record(&mut self, events: impl IntoEvents<A>) {
        events.each_event(&mut |event| {
            self.state.apply(&event);
            self.version += 1;
            self.pending.push(PendingEvent {
                event,
                metadata: EventMetadata::new(),
            });
        });
    }

    /// The pending events encoded by `codec` for `stream`, with `context` added to their
    /// metadata; nothing is written if one fails to encode.
    pub(crate) fn encode_pending(
        &self,
        stream: &StreamId,
        context: &EventContext,
        codec: Codec,
    ) -> Result<Vec<NewEvent>> {
        self.pending
            .iter()
            .map(|pending| {
                if pending.event.is_retired() {
                    return Err(Error::RetiredEvent {
                        stream: stream.clone(),
                        event_type: pending.event.event_type().to_owned(),
                    });
                }
                let payload = pending
                    .event
                    .encode_with(codec)
                    .map_err(|source| Error::Encode {
                        stream: stream.clone(),
                        event_type: pending.event.event_type().to_owned(),
                        source,
                    })?;
                let mut metadata = pending.metadata.clone();
                context.apply_to(&mut metadata);
                Ok(NewEvent::new(
                    pending.event.event_type(),
                    pending.event.schema_version(),
                    payload,
                    metadata,
                ))
            })
            .collect()
    }

    /// Marks the pending events as saved.
    pub(crate) fn mark_committed(&mut self) {
        self.pending.clear();
    }

    /// Applies one stored event of its stream (with its metadata, when read), checking
    /// that it follows the previous version. With the store's `cell` for the event, the
    /// value a previous replay decoded into this aggregate's event type is applied, or the
    /// payload is decoded and kept there. On error the aggregate must be dropped: it is
    /// half-built.
    pub(crate) fn replay(
        &mut self,
        event: EventRef<'_>,
        cell: Option<&DecodedCell>,
        metadata: Option<&EventMetadata>,
    ) -> Result<()> {
        let expected = self.version + 1;
        if event.version != expected {
            return Err(Error::Corrupt {
                stream: self.stream.clone(),
                version: event.version,
                reason: format!("expected version {expected}"),
            });
        }
        let stream = &self.stream;
        match cell {
            // A decoded copy is kept only for a decode that needs no metadata: it is a
            // function of the stored event alone.
            Some(cell) if metadata.is_none() => {
                let decoded = cell.get_or_decode(|| decode::<A::Event>(stream, event, None))?;
                self.state.apply(&decoded);
            }
            _ => {
                let decoded = decode::<A::Event>(stream, event, metadata)?;
                self.state.apply(&decoded);
            }
        }
        self.version = event.version;
        Ok(())
    }
}

impl<A: Aggregate> Deref for AggregateRoot<A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.state
    }
}

/// Decodes one stored event into the aggregate's event enum, naming the stream, version
/// and event type on failure.
pub(crate) fn decode<E: EventSet>(
    stream: &StreamId,
    event: EventRef<'_>,
    metadata: Option<&EventMetadata>,
) -> Result<E> {
    let mut stored = StoredPayload::from(event);
    stored.metadata = metadata;
    E::decode_stored(stored).map_err(|source: DecodeError| Error::Decode {
        stream: stream.clone(),
        version: event.version,
        event_type: event.event_type.to_owned(),
        schema_version: event.schema_version,
        source,
    })
}
