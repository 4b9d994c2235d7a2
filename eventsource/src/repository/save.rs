//! Saving an aggregate's pending events: the append, the snapshot the policy calls for,
//! and publishing.

use super::Repository;
use crate::aggregate::Aggregate;
use crate::error::Result;
use crate::event::EventContext;
use crate::root::AggregateRoot;
use crate::store::EventStore;
use crate::stream::ExpectedVersion;
use tracing::Instrument;

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    /// Saves the pending events, takes the snapshot the policy calls for, then publishes
    /// the events.
    ///
    /// The append expects the stream at the version the aggregate was loaded at; if another
    /// writer got there first it fails with [`Error::Conflict`](crate::Error::Conflict) and the aggregate keeps its
    /// pending events. With nothing pending it does nothing at all. A snapshot that cannot
    /// be taken or stored is logged, never returned: the events are saved.
    ///
    /// A save of events that are stored already (a retry after a lost reply: the same
    /// event ids at the same versions) writes nothing and publishes them again; see
    /// [`EventPublisher`](crate::bus::EventPublisher).
    pub async fn save(&self, root: &mut AggregateRoot<A>) -> Result<()> {
        self.save_with(root, &EventContext::new()).await
    }

    /// [`save`](Self::save), adding `context` (correlation, causation, extra pairs) to the
    /// metadata of every pending event.
    pub async fn save_with(
        &self,
        root: &mut AggregateRoot<A>,
        context: &EventContext,
    ) -> Result<()> {
        if !root.has_pending_events() {
            return Ok(());
        }
        let from = root.committed_version();
        let expected = ExpectedVersion::Exact(from);
        let span = tracing::debug_span!(
            "eventsource.save",
            stream = %root.stream_ref(),
            expected = root.committed_version(),
            events = root.pending_events().len(),
        );
        async {
            let events = root.encode_pending(root.stream_ref(), context, self.codec)?;
            let append_span =
                tracing::debug_span!("eventsource.append", stream = %root.stream_ref(), %expected);
            // Without a publisher nobody reads the records, and a store may skip them.
            let records = match &self.publisher {
                Some(_) => {
                    self.store
                        .append(root.stream_ref(), expected, events)
                        .instrument(append_span)
                        .await?
                        .records
                }
                None => {
                    self.store
                        .append_unrecorded(root.stream_ref(), expected, events)
                        .instrument(append_span)
                        .await?;
                    Vec::new()
                }
            };
            root.mark_committed();
            if let Some(snapshots) = &self.snapshots {
                let stream = root.stream();
                snapshots.after_save(&stream, root, from, self.codec).await;
            }
            if let Some(publisher) = &self.publisher
                && let Err(error) = publisher.publish(&records).await
            {
                tracing::warn!(stream = %root.stream_ref(), error = %error, "publishing saved events failed");
            }
            Ok(())
        }
        .instrument(span)
        .await
    }
}
