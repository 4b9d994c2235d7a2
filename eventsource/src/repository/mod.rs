//! [`Repository`]: loads aggregates from their events, saves new events with optimistic
//! concurrency, and publishes what was saved.

pub mod caching;
mod commands;
mod history;
pub mod locking;
mod replay;
pub mod state_stored;

use crate::aggregate::{Aggregate, id_text};
use crate::codec::{Codec, EventSet};
use crate::error::{Error, Result};
use crate::event::EventContext;
use crate::publish::EventPublisher;
use crate::retry::RetryPolicy;
use crate::root::AggregateRoot;
use crate::snapshot::snapshotter::Snapshotter;
use crate::snapshot::{Snapshot, SnapshotPolicy, SnapshotStore, Snapshottable};
use crate::store::EventStore;
use crate::stream::{ExpectedVersion, StreamId};
use replay::Replay;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use tracing::Instrument;

/// Loads and saves aggregates of type `A` in store `S`.
///
/// ```
/// # use eventsource::prelude::*;
/// # #[event] pub struct Opened { pub owner: String }
/// # #[derive(Aggregate, Default)]
/// # #[aggregate(events(Opened))]
/// # pub struct Account { owner: String }
/// # #[apply] impl Account { fn opened(&mut self, e: &Opened) { self.owner = e.owner.clone(); } }
/// # async fn demo() -> eventsource::Result<()> {
/// let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
/// let id = Uuid::now_v7();
/// let mut account = repo.create_new(id);
/// account.record(Opened { owner: "alice".into() });
/// repo.save(&mut account).await?;
/// assert_eq!(repo.load(id).await?.owner, "alice");
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub struct Repository<A: Aggregate, S: EventStore> {
    store: S,
    publisher: Option<Arc<dyn EventPublisher>>,
    retry: RetryPolicy,
    snapshots: Option<Arc<Snapshotter<A>>>,
    codec: Codec,
    aggregate: PhantomData<fn() -> A>,
}

/// A clone shares the store handle, the publisher and the snapshot machinery: it is cheap,
/// so a repository can be handed to many tasks without an `Arc` of your own.
impl<A: Aggregate, S: EventStore + Clone> Clone for Repository<A, S> {
    fn clone(&self) -> Self {
        Repository {
            store: self.store.clone(),
            publisher: self.publisher.clone(),
            retry: self.retry,
            snapshots: self.snapshots.clone(),
            codec: self.codec,
            aggregate: PhantomData,
        }
    }
}

impl<A: Aggregate, S: EventStore> fmt::Debug for Repository<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("aggregate_type", &A::TYPE)
            .field("has_publisher", &self.publisher.is_some())
            .field("retry", &self.retry)
            .field("snapshots", &self.snapshots)
            .field("codec", &self.codec)
            .finish()
    }
}

/// Why [`Repository::update`] failed: the command refused, or loading or saving failed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError<E> {
    /// The command returned an error; nothing was saved.
    #[error("command rejected: {0}")]
    Rejected(E),
    /// Loading or saving failed (after the retries, for a conflict).
    #[error(transparent)]
    Failed(#[from] Error),
}

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    /// A repository over `store`, without a publisher.
    pub fn new(store: S) -> Self {
        Repository {
            store,
            publisher: None,
            retry: RetryPolicy::for_commands(),
            snapshots: None,
            codec: Codec::Json,
            aggregate: PhantomData,
        }
    }

    /// Writes new events and snapshots with `codec` (default [`Codec::Json`]).
    ///
    /// Every stored row records its codec and is read with it, so a store holds rows of
    /// several codecs and changing this never breaks a stored stream.
    ///
    /// ```
    /// # use eventsource::prelude::*;
    /// # #[event] pub struct Opened { pub owner: String }
    /// # #[derive(Aggregate, Default)]
    /// # #[aggregate(events(Opened))]
    /// # pub struct Account { owner: String }
    /// # #[apply] impl Account { fn opened(&mut self, e: &Opened) { self.owner = e.owner.clone(); } }
    /// use eventsource::Codec;
    ///
    /// let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
    ///     .with_codec(Codec::MessagePack);
    /// assert_eq!(repo.codec(), Codec::MessagePack);
    /// ```
    pub fn with_codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// The codec new events and snapshots are written with.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Publishes every saved batch to `publisher`, after the commit.
    pub fn with_publisher(mut self, publisher: impl EventPublisher) -> Self {
        self.publisher = Some(Arc::new(publisher));
        self
    }

    /// How [`update`](Self::update), [`create`](Self::create) and
    /// [`create_or_update`](Self::create_or_update) retry a conflict (default
    /// [`RetryPolicy::for_commands`]). A policy always has at least one attempt:
    /// `RetryPolicy::new(0)` is refused.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy of the commands.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The event store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The aggregate type name, as stored.
    pub fn aggregate_type(&self) -> &'static str {
        A::TYPE
    }

    /// The publisher, if one is configured.
    pub fn publisher(&self) -> Option<&dyn EventPublisher> {
        self.publisher.as_deref()
    }

    /// Stores snapshots in `store`, taken as `policy` says; loads start from them.
    ///
    /// Only for aggregates that opted in with `snapshot(version = N)` ([`Snapshottable`]).
    ///
    /// ```
    /// # use eventsource::prelude::*;
    /// # #[event] pub struct Deposited { pub amount: i64 }
    /// #[derive(Aggregate, Default, Serialize, Deserialize)]
    /// #[aggregate(events(Deposited), snapshot(version = 1))]
    /// pub struct Account { balance: i64 }
    /// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; } }
    ///
    /// let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
    ///     .with_snapshots(InMemorySnapshotStore::new(), SnapshotPolicy::every(100));
    /// ```
    ///
    /// An aggregate without `snapshot(...)` cannot be given a snapshot store:
    ///
    /// ```compile_fail
    /// # use eventsource::prelude::*;
    /// # #[event] pub struct Opened;
    /// # #[derive(Aggregate, Default)]
    /// # #[aggregate(events(Opened))]
    /// # pub struct Account;
    /// # #[apply] impl Account { fn opened(&mut self, _: &Opened) {} }
    /// let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
    ///     .with_snapshots(InMemorySnapshotStore::new(), SnapshotPolicy::every(100));
    /// ```
    pub fn with_snapshots(mut self, store: impl SnapshotStore, policy: SnapshotPolicy) -> Self
    where
        A: Snapshottable,
    {
        self.snapshots = Some(Arc::new(Snapshotter::new(Arc::new(store), policy)));
        self
    }

    /// Takes and stores a snapshot of `root` now, whatever the policy and mode, and
    /// returns it.
    ///
    /// Fails with [`Error::NoSnapshotStore`] when the repository has no snapshot store,
    /// with [`Error::UnsavedAggregate`] when `root` has unsaved events or was never saved,
    /// and with the store's error when storing fails. A newer stored snapshot is kept
    /// (the store never lets an older one replace it).
    pub async fn create_snapshot(&self, root: &AggregateRoot<A>) -> Result<Snapshot>
    where
        A: Snapshottable,
    {
        let snapshots = self
            .snapshots
            .as_ref()
            .ok_or_else(|| Error::NoSnapshotStore {
                aggregate_type: A::TYPE.to_owned(),
            })?;
        let stream = root.stream();
        if root.has_pending_events() || root.version() == 0 {
            return Err(Error::UnsavedAggregate {
                stream,
                version: root.version(),
                pending: root.pending_events().len(),
            });
        }
        let snapshot = snapshots.take(&stream, root, self.codec)?;
        snapshots.store().save(&snapshot).await?;
        Ok(snapshot)
    }

    /// The snapshot store, if one is configured.
    pub fn snapshot_store(&self) -> Option<&dyn SnapshotStore> {
        self.snapshots.as_deref().map(Snapshotter::store)
    }

    /// The snapshot policy: [`SnapshotPolicy::default`] (no threshold, sync mode) until
    /// [`with_snapshots`](Self::with_snapshots) sets one.
    pub fn snapshot_policy(&self) -> SnapshotPolicy {
        self.snapshots
            .as_ref()
            .map_or_else(SnapshotPolicy::default, |s| s.policy())
    }

    /// Waits until every snapshot write that [`SnapshotMode::Background`] scheduled so far
    /// has finished (stored, or failed and logged), and returns how many were scheduled
    /// since the previous call: for tests, and before shutting down.
    ///
    /// Returns 0 at once without snapshots or in the other modes.
    ///
    /// [`SnapshotMode::Background`]: crate::SnapshotMode::Background
    pub async fn wait_for_snapshots(&self) -> usize {
        match &self.snapshots {
            Some(snapshots) => snapshots.wait().await,
            None => 0,
        }
    }

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
    async fn load_from_snapshot(
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
    async fn replay(
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

    /// Saves the pending events, takes the snapshot the policy calls for, then publishes
    /// the events.
    ///
    /// The append expects the stream at the version the aggregate was loaded at; if another
    /// writer got there first it fails with [`Error::Conflict`] and the aggregate keeps its
    /// pending events. With nothing pending it does nothing at all. A snapshot that cannot
    /// be taken or stored is logged, never returned: the events are saved.
    ///
    /// A save of events that are stored already (a retry after a lost reply: the same
    /// event ids at the same versions) writes nothing and publishes them again; see
    /// [`EventPublisher`].
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

fn stream_of<A: Aggregate>(id: &A::Id) -> StreamId {
    StreamId::new(A::TYPE, id_text(id))
}
