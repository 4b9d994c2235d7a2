//! [`Repository`]: loads aggregates from their events, saves new events with optimistic
//! concurrency, and publishes what was saved.

use crate::aggregate::{Aggregate, IntoEvents};
use crate::bus::EventPublisher;
use crate::codec::EventSet;
use crate::error::{Error, Result};
use crate::event::EventContext;
use crate::root::AggregateRoot;
use crate::store::{EventStore, ExpectedVersion, NewEvent, StreamId};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use tracing::Instrument;

/// How many times [`Repository::update`] tries by default before a conflict is returned.
pub const DEFAULT_UPDATE_ATTEMPTS: u32 = 3;

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
    update_attempts: u32,
    aggregate: PhantomData<fn() -> A>,
}

impl<A: Aggregate, S: EventStore> fmt::Debug for Repository<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("aggregate_type", &A::TYPE)
            .field("has_publisher", &self.publisher.is_some())
            .field("update_attempts", &self.update_attempts)
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
            update_attempts: DEFAULT_UPDATE_ATTEMPTS,
            aggregate: PhantomData,
        }
    }

    /// Publishes every saved batch to `publisher`, after the commit.
    pub fn with_publisher(mut self, publisher: impl EventPublisher) -> Self {
        self.publisher = Some(Arc::new(publisher));
        self
    }

    /// How many times [`update`](Self::update) tries when it meets a conflict (at least 1).
    pub fn with_update_attempts(mut self, attempts: u32) -> Self {
        self.update_attempts = attempts.max(1);
        self
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

    /// A new, unsaved aggregate at version 0. Does no I/O.
    pub fn create_new(&self, id: A::Id) -> AggregateRoot<A> {
        AggregateRoot::new(id)
    }

    /// Loads an aggregate by replaying its events.
    ///
    /// Fails with [`Error::NotFound`] when it has no events, and with a decode or
    /// corruption error (naming stream, version and event type) when a stored event cannot
    /// be applied; a half-built aggregate is never returned.
    pub async fn load(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        let stream = stream_of::<A>(&id);
        let span = tracing::debug_span!("eventsource.load", stream = %stream);
        async {
            let replay = Replay {
                root: AggregateRoot::<A>::new(id),
                stream: stream.clone(),
            };
            let Replay { root, .. } = self
                .store
                .replay_stream(&stream, 0, replay, |replay, event| {
                    replay.root.replay(&replay.stream, event)
                })
                .await?;
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

    /// Saves the pending events, then publishes them.
    ///
    /// The append expects the stream at the version the aggregate was loaded at; if another
    /// writer got there first it fails with [`Error::Conflict`] and the aggregate keeps its
    /// pending events. With nothing pending it does nothing at all.
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
        let stream = root.stream();
        let expected = ExpectedVersion::Exact(root.committed_version());
        let span = tracing::debug_span!(
            "eventsource.save",
            stream = %stream,
            expected = root.committed_version(),
            events = root.pending_events().len(),
        );
        async {
            let events = encode_pending(&stream, root, context)?;
            let outcome = self.store.append(&stream, expected, events).await?;
            root.mark_committed();
            if let Some(publisher) = &self.publisher
                && let Err(error) = publisher.publish(&outcome.records).await
            {
                tracing::warn!(stream = %stream, error = %error, "publishing saved events failed");
            }
            Ok(())
        }
        .instrument(span)
        .await
    }

    /// Loads the aggregate, runs `command` on it and saves the result; on a conflict it
    /// reloads and runs the command again, up to the configured number of attempts.
    ///
    /// Returns the saved aggregate.
    pub async fn update<R, E>(
        &self,
        id: A::Id,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        let mut attempt = 1;
        loop {
            let mut root = self.load(id.clone()).await?;
            root.execute(&command).map_err(UpdateError::Rejected)?;
            match self.save(&mut root).await {
                Ok(()) => return Ok(root),
                Err(error) if error.is_conflict() && attempt < self.update_attempts => {
                    tracing::debug!(attempt, error = %error, "conflict, retrying update");
                    attempt += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
}

/// What a load carries through [`EventStore::replay_stream`].
struct Replay<A: Aggregate> {
    root: AggregateRoot<A>,
    stream: StreamId,
}

fn stream_of<A: Aggregate>(id: &A::Id) -> StreamId {
    StreamId::new(A::TYPE, id.to_string())
}

/// Encodes every pending event; nothing is written if one fails.
fn encode_pending<A: Aggregate>(
    stream: &StreamId,
    root: &AggregateRoot<A>,
    context: &EventContext,
) -> Result<Vec<NewEvent>> {
    root.pending_events()
        .iter()
        .map(|pending| {
            let payload = pending.event.encode().map_err(|source| Error::Encode {
                stream: stream.clone(),
                event_type: pending.event.event_type().to_owned(),
                source,
            })?;
            let mut metadata = pending.metadata.clone();
            context.apply_to(&mut metadata);
            Ok(NewEvent {
                event_type: pending.event.event_type().to_owned(),
                schema_version: pending.event.schema_version(),
                payload,
                metadata,
            })
        })
        .collect()
}
