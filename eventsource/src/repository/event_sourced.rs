//! [`Repository`]: loads aggregates from their events, saves new events with optimistic
//! concurrency, and publishes what was saved.

use crate::aggregate::{Aggregate, id_text};
use crate::codec::Codec;
use crate::error::Error;
use crate::publish::EventPublisher;
use crate::retry::RetryPolicy;
use crate::snapshot::snapshotter::Snapshotter;
use crate::snapshot::{SnapshotPolicy, SnapshotStore, Snapshottable};
use crate::store::EventStore;
use crate::stream::StreamId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// Loads and saves aggregates of type `A` in store `S`.
///
/// ```
/// # use eventsource::prelude::*;
/// # #[event] pub struct Opened { pub owner: String }
/// # #[derive(Aggregate, Default)]
/// #
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
    pub(super) store: S,
    pub(super) publisher: Option<Arc<dyn EventPublisher>>,
    pub(super) retry: RetryPolicy,
    pub(super) snapshots: Option<Arc<Snapshotter<A>>>,
    pub(super) codec: Codec,
    pub(super) aggregate: PhantomData<fn() -> A>,
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
    /// #
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
    /// #[aggregate(snapshot(version = 1))]
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
    /// #
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
}

pub(super) fn stream_of<A: Aggregate>(id: &A::Id) -> StreamId {
    StreamId::new(A::TYPE, id_text(id))
}
