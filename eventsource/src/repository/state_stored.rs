//! [`StateStoredRepository`]: the same aggregates, persisted as their current state
//! instead of their events.

use super::UpdateError;
use super::commands::CommandTarget;
use crate::aggregate::{IntoEvents, id_text};
use crate::codec::{Codec, PayloadRef};
use crate::error::{Error, Result};
use crate::event::EventContext;
use crate::publish::EventPublisher;
use crate::retry::RetryPolicy;
use crate::root::AggregateRoot;
use crate::snapshot::Snapshottable;
use crate::snapshot::state::{decode_state, encode_state_json};
use crate::state::{StateStore, StoredState};
use crate::stream::StreamId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use tracing::Instrument;

/// Loads and saves aggregates of type `A` as their current state in state store `T`
/// (Axon's "standard repository"): the same `#[derive(Aggregate)]` and `#[apply]` code as
/// [`Repository`](crate::Repository), with no event log to replay.
///
/// A command's events are applied to the state as usual; `save` stores the new state
/// and its version if the stored version is still the one loaded (optimistic
/// concurrency: otherwise [`Error::Conflict`]), then hands the events to the publisher.
///
/// By default the events are not stored: they reach the publisher only, with position 0
/// (they have no place in a feed), so subscriptions that read a store's feed do not see
/// them. A state store made `with_event_log` (e.g.
/// [`InMemoryStateStore::with_event_log`](crate::state::InMemoryStateStore::with_event_log))
/// also appends them to the aggregate's stream in the same transaction as the state: the
/// feed, subscriptions and projections see them, the publisher gets them with their feed
/// positions, and the event-sourced [`Repository`](crate::Repository) can load the same
/// aggregate from them.
///
/// The aggregate opts in with its serialisable state, as for snapshots
/// (`snapshot(version = N)`); the stored state carries that version, and a state of
/// another version is refused on load ([`Error::Corrupt`]): there are no events to rebuild
/// it from.
///
/// ```
/// # use eventsource::prelude::*;
/// # use eventsource::state::InMemoryStateStore;
/// # use eventsource::StateStoredRepository;
/// #[event] pub struct Deposited { pub amount: i64 }
/// #[derive(Aggregate, Default, Serialize, Deserialize)]
/// #[aggregate(snapshot(version = 1))]
/// pub struct Account { balance: i64 }
/// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; } }
/// # async fn demo() -> eventsource::Result<()> {
/// let repo = StateStoredRepository::<Account, _>::new(InMemoryStateStore::new());
/// let id = Uuid::now_v7();
/// let mut account = repo.create_new(id);
/// account.record(Deposited { amount: 5 });
/// repo.save(&mut account).await?;
/// assert_eq!(repo.load(id).await?.balance, 5);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
///
/// An aggregate without a serialisable state cannot be state-stored:
///
/// ```compile_fail
/// # use eventsource::prelude::*;
/// # use eventsource::state::InMemoryStateStore;
/// # #[event] pub struct Opened;
/// # #[derive(Aggregate, Default)]
/// #
/// # pub struct Account;
/// # #[apply] impl Account { fn opened(&mut self, _: &Opened) {} }
/// let repo = eventsource::StateStoredRepository::<Account, _>::new(InMemoryStateStore::new());
/// ```
pub struct StateStoredRepository<A: Snapshottable, T: StateStore> {
    store: T,
    publisher: Option<Arc<dyn EventPublisher>>,
    retry: RetryPolicy,
    aggregate: PhantomData<fn() -> A>,
}

impl<A: Snapshottable, T: StateStore + Clone> Clone for StateStoredRepository<A, T> {
    fn clone(&self) -> Self {
        StateStoredRepository {
            store: self.store.clone(),
            publisher: self.publisher.clone(),
            retry: self.retry,
            aggregate: PhantomData,
        }
    }
}

impl<A: Snapshottable, T: StateStore> fmt::Debug for StateStoredRepository<A, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateStoredRepository")
            .field("aggregate_type", &A::TYPE)
            .field("has_publisher", &self.publisher.is_some())
            .field("retry", &self.retry)
            .finish()
    }
}

impl<A: Snapshottable, T: StateStore> StateStoredRepository<A, T> {
    /// A repository over `store`, without a publisher.
    pub fn new(store: T) -> Self {
        StateStoredRepository {
            store,
            publisher: None,
            retry: RetryPolicy::for_commands(),
            aggregate: PhantomData,
        }
    }

    /// Publishes the events of every saved command to `publisher`, after the commit.
    pub fn with_publisher(mut self, publisher: impl EventPublisher) -> Self {
        self.publisher = Some(Arc::new(publisher));
        self
    }

    /// How [`update`](Self::update) and the other commands retry a conflict.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The state store.
    pub fn store(&self) -> &T {
        &self.store
    }

    /// A new, unsaved aggregate at version 0. Does no I/O.
    pub fn create_new(&self, id: A::Id) -> AggregateRoot<A> {
        AggregateRoot::new(id)
    }

    /// Loads the aggregate's stored state.
    ///
    /// Errors: [`Error::NotFound`] when no state is stored; [`Error::Corrupt`] when the
    /// stored state is of another schema version or does not decode.
    pub async fn load(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        let stream = StreamId::new(A::TYPE, id_text(&id));
        let span = tracing::debug_span!("eventsource.load_state", stream = %stream);
        async {
            let Some(stored) = self.store.load(&stream).await? else {
                return Err(Error::NotFound {
                    aggregate_type: stream.aggregate_type,
                    aggregate_id: stream.aggregate_id,
                });
            };
            let corrupt = |reason: String| Error::Corrupt {
                stream: stream.clone(),
                version: stored.version,
                reason,
            };
            if stored.stream != stream {
                return Err(corrupt(format!(
                    "the state store returned the state of {}",
                    stored.stream
                )));
            }
            if stored.schema_version != A::SNAPSHOT_VERSION {
                return Err(corrupt(format!(
                    "the stored state has schema version {}, the aggregate {}",
                    stored.schema_version,
                    A::SNAPSHOT_VERSION
                )));
            }
            let state = decode_state::<A>(PayloadRef::Json(&stored.state))
                .map_err(|error| corrupt(format!("the stored state does not decode: {error}")))?;
            Ok(AggregateRoot::from_state(id, stored.version, state))
        }
        .instrument(span)
        .await
    }

    /// [`load`](Self::load), or a new aggregate at version 0 when no state is stored.
    pub async fn load_or_create(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        match self.load(id.clone()).await {
            Err(Error::NotFound { .. }) => Ok(self.create_new(id)),
            other => other,
        }
    }

    /// The stored version; 0 when no state is stored.
    pub async fn get_version(&self, id: &A::Id) -> Result<u64> {
        let stream = StreamId::new(A::TYPE, id_text(id));
        Ok(self.store.load(&stream).await?.map_or(0, |s| s.version))
    }

    /// True when a state is stored.
    pub async fn exists(&self, id: &A::Id) -> Result<bool> {
        Ok(self.get_version(id).await? > 0)
    }

    /// Stores the state with its pending events applied, if the stored version is the
    /// one the aggregate was loaded at, then publishes the events. A conflict is
    /// [`Error::Conflict`] and keeps the pending events. With nothing pending it does
    /// nothing at all.
    pub async fn save(&self, root: &mut AggregateRoot<A>) -> Result<()> {
        self.save_with(root, &EventContext::new()).await
    }

    /// [`save`](Self::save), adding `context` to the metadata of the published events.
    pub async fn save_with(
        &self,
        root: &mut AggregateRoot<A>,
        context: &EventContext,
    ) -> Result<()> {
        if !root.has_pending_events() {
            return Ok(());
        }
        let stream = root.stream();
        let expected = root.committed_version();
        let span = tracing::debug_span!(
            "eventsource.save_state",
            stream = %stream,
            expected,
            events = root.pending_events().len(),
        );
        async {
            // The state table holds JSON text; the events go with it in JSON too.
            let events = root.encode_pending(&stream, context, Codec::Json)?;
            let state =
                encode_state_json(root.state()).map_err(|source| Error::SnapshotEncode {
                    stream: stream.clone(),
                    source,
                })?;
            let stored = StoredState {
                stream: stream.clone(),
                version: root.version(),
                schema_version: A::SNAPSHOT_VERSION,
                state,
            };
            let records = self.store.save(&stored, expected, events).await?;
            root.mark_committed();
            if let Some(publisher) = &self.publisher
                && let Err(error) = publisher.publish(&records).await
            {
                tracing::warn!(stream = %stream, error = %error, "publishing saved events failed");
            }
            Ok(())
        }
        .instrument(span)
        .await
    }
}

impl<A: Snapshottable, T: StateStore> CommandTarget<A> for StateStoredRepository<A, T> {
    type Held = ();
    type Origin = ();

    fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    async fn hold(&self, _: &A::Id) -> Result<()> {
        Ok(())
    }

    async fn load(&self, id: &A::Id) -> Result<(AggregateRoot<A>, ())> {
        Ok((StateStoredRepository::load(self, id.clone()).await?, ()))
    }

    async fn save(&self, root: &mut AggregateRoot<A>, (): ()) -> Result<()> {
        StateStoredRepository::save(self, root).await
    }
}

impl<A: Snapshottable, T: StateStore> StateStoredRepository<A, T> {
    super::commands::command_methods!();
}
