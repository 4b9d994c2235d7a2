//! [`DynEventStore`]: the object-safe form of [`EventStore`], for a store chosen at run
//! time (`Box<dyn DynEventStore>`).

use super::EventStore;
use super::decoded::DecodedCell;
use super::feed_page::FeedPage;
use super::record::{AppendOutcome, EventRef, NewEvent, RecordedEvent};
use super::signal::AppendSignal;
use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::stream::{ExpectedVersion, StreamId};
use std::any::Any;
use std::sync::Arc;
use std::time::SystemTime;

/// A replay's state, type-erased.
pub type ErasedState = Box<dyn Any + Send>;

/// A replay's apply function over an erased state.
pub type ErasedApply = Box<dyn FnMut(&mut ErasedState, EventRef<'_>) -> Result<()> + Send>;

/// A replay's apply function over an erased state, with the store's decoded cell of each
/// event (see [`EventStore::replay_stream_decoded`]).
pub type ErasedDecodedApply =
    Box<dyn FnMut(&mut ErasedState, EventRef<'_>, Option<&DecodedCell>) -> Result<()> + Send>;

/// An [`EventStore`] behind a trait object.
///
/// Every `EventStore` implements it, and `Box<dyn DynEventStore>` and
/// `Arc<dyn DynEventStore>` implement `EventStore`, so a repository can be wired to a
/// store picked at run time:
///
/// ```
/// use eventsource::prelude::*;
/// use eventsource::store::DynEventStore;
/// # #[event] pub struct Opened;
/// # #[derive(Aggregate, Default)] pub struct Account;
/// # #[apply] impl Account { fn opened(&mut self, _: &Opened) {} }
///
/// # async fn run() -> eventsource::Result<()> {
/// let store: Box<dyn DynEventStore> = if std::env::var_os("EVENTS_DB").is_some() {
///     Box::new(SqliteEventStore::in_memory().await?)
/// } else {
///     Box::new(InMemoryEventStore::new())
/// };
/// let repo = Repository::<Account, _>::new(store);
/// let mut account = repo.create_new(Uuid::now_v7());
/// account.record(Opened);
/// repo.save(&mut account).await?;
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
/// ```
///
/// Each call costs one boxed future, and a replay one boxed state; the methods are named
/// `*_dyn` so that they never shadow [`EventStore`]'s.
pub trait DynEventStore: Send + Sync + 'static {
    /// [`EventStore::append`].
    fn append_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome>>;

    /// [`EventStore::append_unrecorded`]. The default goes through
    /// [`append_dyn`](Self::append_dyn); every `EventStore` forwards its own.
    fn append_unrecorded_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<()>> {
        let appended = self.append_dyn(stream, expected, events);
        Box::pin(async move { appended.await.map(drop) })
    }

    /// [`EventStore::read_stream`].
    fn read_stream_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
    ) -> BoxFuture<'a, Result<Vec<RecordedEvent>>>;

    /// [`EventStore::stream_version`].
    fn stream_version_dyn<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<u64>>;

    /// [`EventStore::replay_stream`] over an erased state.
    fn replay_stream_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
        state: ErasedState,
        apply: ErasedApply,
    ) -> BoxFuture<'a, Result<ErasedState>>;

    /// [`EventStore::replay_stream_decoded`] over an erased state. The default hands over
    /// no cells, through [`replay_stream_dyn`](Self::replay_stream_dyn); every
    /// `EventStore` forwards its own, so a boxed in-memory store still decodes an event
    /// once.
    fn replay_stream_decoded_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
        state: ErasedState,
        mut apply: ErasedDecodedApply,
    ) -> BoxFuture<'a, Result<ErasedState>> {
        self.replay_stream_dyn(
            stream,
            after_version,
            state,
            Box::new(move |state, event| apply(state, event, None)),
        )
    }

    /// [`EventStore::read_all`].
    fn read_all_dyn(
        &self,
        after_position: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<RecordedEvent>>>;

    /// [`EventStore::read_feed`].
    fn read_feed_dyn(&self, after_position: u64, limit: usize) -> BoxFuture<'_, Result<FeedPage>>;

    /// [`EventStore::head_position`].
    fn head_position_dyn(&self) -> BoxFuture<'_, Result<u64>>;

    /// [`EventStore::append_signal`].
    fn append_signal_dyn(&self) -> BoxFuture<'_, Result<Option<AppendSignal>>>;

    /// [`EventStore::feed_position_at`].
    fn feed_position_at_dyn(&self, time: SystemTime) -> BoxFuture<'_, Result<u64>>;

    /// [`EventStore::stream_version_at`].
    fn stream_version_at_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        time: SystemTime,
    ) -> BoxFuture<'a, Result<u64>>;
}

impl<S: EventStore> DynEventStore for S {
    fn append_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<AppendOutcome>> {
        Box::pin(self.append(stream, expected, events))
    }

    fn append_unrecorded_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.append_unrecorded(stream, expected, events))
    }

    fn read_stream_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
    ) -> BoxFuture<'a, Result<Vec<RecordedEvent>>> {
        Box::pin(self.read_stream(stream, after_version))
    }

    fn stream_version_dyn<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<u64>> {
        Box::pin(self.stream_version(stream))
    }

    fn replay_stream_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
        state: ErasedState,
        apply: ErasedApply,
    ) -> BoxFuture<'a, Result<ErasedState>> {
        Box::pin(self.replay_stream(stream, after_version, state, apply))
    }

    fn replay_stream_decoded_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
        state: ErasedState,
        apply: ErasedDecodedApply,
    ) -> BoxFuture<'a, Result<ErasedState>> {
        Box::pin(self.replay_stream_decoded(stream, after_version, state, apply))
    }

    fn read_all_dyn(
        &self,
        after_position: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<RecordedEvent>>> {
        Box::pin(self.read_all(after_position, limit))
    }

    fn read_feed_dyn(&self, after_position: u64, limit: usize) -> BoxFuture<'_, Result<FeedPage>> {
        Box::pin(self.read_feed(after_position, limit))
    }

    fn head_position_dyn(&self) -> BoxFuture<'_, Result<u64>> {
        Box::pin(self.head_position())
    }

    fn append_signal_dyn(&self) -> BoxFuture<'_, Result<Option<AppendSignal>>> {
        Box::pin(self.append_signal())
    }

    fn feed_position_at_dyn(&self, time: SystemTime) -> BoxFuture<'_, Result<u64>> {
        Box::pin(self.feed_position_at(time))
    }

    fn stream_version_at_dyn<'a>(
        &'a self,
        stream: &'a StreamId,
        time: SystemTime,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(self.stream_version_at(stream, time))
    }
}

/// Replays through [`DynEventStore::replay_stream_decoded_dyn`] (which hands over the
/// store's decoded cells, if it keeps any), erasing the state and unerasing it afterwards.
/// Both replays of a boxed store go through it.
async fn replay_erased<T, F>(
    store: &dyn DynEventStore,
    stream: &StreamId,
    after_version: u64,
    state: T,
    mut apply: F,
) -> Result<T>
where
    T: Send + 'static,
    F: FnMut(&mut T, EventRef<'_>, Option<&DecodedCell>) -> Result<()> + Send + 'static,
{
    let erased_apply: ErasedDecodedApply =
        Box::new(move |state, event, cell| match state.downcast_mut::<T>() {
            Some(state) => apply(state, event, cell),
            None => Err(state_swapped(stream_name(event))),
        });
    let state = store
        .replay_stream_decoded_dyn(stream, after_version, Box::new(state), erased_apply)
        .await?;
    state
        .downcast::<T>()
        .map(|state| *state)
        .map_err(|_| state_swapped(stream.to_string()))
}

fn stream_name(event: EventRef<'_>) -> String {
    format!("the event at version {}", event.version)
}

/// A store handed back another state than it was given: a broken `DynEventStore` impl.
fn state_swapped(at: String) -> Error {
    Error::backend(format!(
        "the store replaced the replay state it was given ({at})"
    ))
}

macro_rules! forward_to_dyn {
    ($ty:ty) => {
        impl EventStore for $ty {
            async fn append(
                &self,
                stream: &StreamId,
                expected: ExpectedVersion,
                events: Vec<NewEvent>,
            ) -> Result<AppendOutcome> {
                (**self).append_dyn(stream, expected, events).await
            }

            async fn append_unrecorded(
                &self,
                stream: &StreamId,
                expected: ExpectedVersion,
                events: Vec<NewEvent>,
            ) -> Result<()> {
                (**self)
                    .append_unrecorded_dyn(stream, expected, events)
                    .await
            }

            async fn read_stream(
                &self,
                stream: &StreamId,
                after_version: u64,
            ) -> Result<Vec<RecordedEvent>> {
                (**self).read_stream_dyn(stream, after_version).await
            }

            async fn stream_version(&self, stream: &StreamId) -> Result<u64> {
                (**self).stream_version_dyn(stream).await
            }

            async fn replay_stream<T, F>(
                &self,
                stream: &StreamId,
                after_version: u64,
                state: T,
                apply: F,
            ) -> Result<T>
            where
                T: Send + 'static,
                F: FnMut(&mut T, EventRef<'_>) -> Result<()> + Send + 'static,
            {
                let mut apply = apply;
                let apply = move |state: &mut T, event: EventRef<'_>, _: Option<&DecodedCell>| {
                    apply(state, event)
                };
                replay_erased(&**self, stream, after_version, state, apply).await
            }

            async fn replay_stream_decoded<T, F>(
                &self,
                stream: &StreamId,
                after_version: u64,
                state: T,
                apply: F,
            ) -> Result<T>
            where
                T: Send + 'static,
                F: FnMut(&mut T, EventRef<'_>, Option<&DecodedCell>) -> Result<()> + Send + 'static,
            {
                replay_erased(&**self, stream, after_version, state, apply).await
            }

            async fn read_all(
                &self,
                after_position: u64,
                limit: usize,
            ) -> Result<Vec<RecordedEvent>> {
                (**self).read_all_dyn(after_position, limit).await
            }

            async fn read_feed(&self, after_position: u64, limit: usize) -> Result<FeedPage> {
                (**self).read_feed_dyn(after_position, limit).await
            }

            async fn head_position(&self) -> Result<u64> {
                (**self).head_position_dyn().await
            }

            async fn append_signal(&self) -> Result<Option<AppendSignal>> {
                (**self).append_signal_dyn().await
            }

            async fn feed_position_at(&self, time: SystemTime) -> Result<u64> {
                (**self).feed_position_at_dyn(time).await
            }

            async fn stream_version_at(&self, stream: &StreamId, time: SystemTime) -> Result<u64> {
                (**self).stream_version_at_dyn(stream, time).await
            }
        }
    };
}

forward_to_dyn!(Box<dyn DynEventStore>);
forward_to_dyn!(Arc<dyn DynEventStore>);
