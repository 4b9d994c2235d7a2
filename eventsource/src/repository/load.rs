//! Loading an aggregate: from its snapshot when there is one, then its events.

use super::replay::Replay;
use super::{Repository, stream_of};
use crate::aggregate::Aggregate;
use crate::error::{Error, Result};
use crate::event::EventSet;
use crate::root::AggregateRoot;
use crate::snapshot::snapshotter::Snapshotter;
use crate::store::EventStore;
use crate::stream::StreamId;
use tracing::Instrument;

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    /// A new, unsaved aggregate at version 0. Does no I/O.
    pub fn create_new(&self, id: A::Id) -> AggregateRoot<A> {
        AggregateRoot::new(id)
    }

    /// Loads an aggregate by replaying its events, after its snapshot when there is one.
    ///
    /// Fails with [`Error::NotFound`] when it has no events, and with a decode or
    /// corruption error (naming stream, version and event type) when a stored event cannot
    /// be applied; a half-built aggregate is never returned.
    ///
    /// A snapshot that cannot be used (another schema version, a state that does not
    /// decode, a failing snapshot store, a version the stream does not reach) is logged at
    /// WARN level and the aggregate is replayed from its first event instead.
    pub async fn load(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        // The root makes the stream id; the replay's copy of it is a clone.
        let root = AggregateRoot::<A>::new(id);
        let stream = root.stream();
        let span = tracing::debug_span!("eventsource.load", stream = %stream);
        async {
            if let Some(snapshots) = &self.snapshots
                && let Some(root) = self
                    .load_from_snapshot(snapshots, &stream, root.id())
                    .await?
            {
                return Ok(root);
            }
            let replay = self.replay(&stream, root, None, None).await?;
            let root = replay.root;
            if root.version() == 0 {
                return Err(Error::NotFound {
                    aggregate_type: stream.aggregate_type,
                    aggregate_id: stream.aggregate_id,
                });
            }
            Ok(root)
        }
        .instrument(span)
        .await
    }

    /// The aggregate from its snapshot and the events after it; `None` when there is no
    /// usable snapshot.
    pub(super) async fn load_from_snapshot(
        &self,
        snapshots: &Snapshotter<A>,
        stream: &StreamId,
        id: &A::Id,
    ) -> Result<Option<AggregateRoot<A>>> {
        let Some((version, state)) = snapshots.restore(stream).await else {
            return Ok(None);
        };
        let root = AggregateRoot::from_state(id.clone(), version, state);
        let replay = self.replay(stream, root, Some(version), None).await?;
        if replay.anchor_seen {
            return Ok(Some(replay.root));
        }
        tracing::warn!(
            %stream,
            snapshot_version = version,
            "the stream does not reach the snapshot's version; replaying all events"
        );
        Ok(None)
    }

    /// Applies the stream's events after `root`'s version to `root`, as the store hands
    /// them over. With an `anchor` (a snapshot's version) the event at that version is read
    /// too, and checked rather than applied: finding it proves the stream reaches the
    /// snapshot (a snapshot ahead of its stream is never trusted). Events after `until`
    /// are passed over.
    pub(super) async fn replay(
        &self,
        stream: &StreamId,
        root: AggregateRoot<A>,
        anchor: Option<u64>,
        until: Option<u64>,
    ) -> Result<Replay<A>> {
        let after = anchor.map_or(root.version(), |version| version.saturating_sub(1));
        let replay = Replay {
            root,
            anchor,
            anchor_seen: false,
            until,
        };
        if <A::Event as EventSet>::READS_METADATA {
            // An upcaster reads the stored metadata, which a replay does not hand over.
            let mut replay = replay;
            for record in &self.store.read_stream(stream, after).await? {
                replay.apply_record(record)?;
            }
            return Ok(replay);
        }
        self.store
            .replay_stream_decoded(stream, after, replay, Replay::apply)
            .await
    }

    /// The same as [`load`](Self::load), named for the intent: fail when missing.
    pub async fn get_or_raise(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        self.load(id).await
    }

    /// Loads the aggregate, or returns a new one at version 0 (nothing written) when it has
    /// no events.
    pub async fn load_or_create(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        match self.load(id.clone()).await {
            Err(Error::NotFound { .. }) => Ok(self.create_new(id)),
            other => other,
        }
    }

    /// True when the aggregate has at least one stored event.
    pub async fn exists(&self, id: &A::Id) -> Result<bool> {
        Ok(self.get_version(id).await? > 0)
    }

    /// The aggregate's stored version; 0 when it has no events.
    pub async fn get_version(&self, id: &A::Id) -> Result<u64> {
        self.store.stream_version(&stream_of::<A>(id)).await
    }
}
