//! What a state store is ([`StateStore`]) and what it keeps ([`StoredState`]).

use crate::error::Result;
use crate::future::BoxFuture;
use crate::store::{NewEvent, RecordedEvent};
use crate::stream::StreamId;

/// An aggregate's state as stored: the serialised aggregate at a version. Made with
/// [`StoredState::new`] outside this crate (it may gain fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredState {
    /// The aggregate's stream (type and id).
    pub stream: StreamId,
    /// The aggregate's version: how many events made this state.
    pub version: u64,
    /// The aggregate's state schema version (`snapshot(version = N)`).
    pub schema_version: u32,
    /// The state, as JSON.
    pub state: String,
}

impl StoredState {
    /// The `state` (JSON) of `stream` at `version`, of state schema `schema_version`.
    pub fn new(
        stream: StreamId,
        version: u64,
        schema_version: u32,
        state: impl Into<String>,
    ) -> Self {
        StoredState {
            stream,
            version,
            schema_version,
            state: state.into(),
        }
    }
}

/// A store of aggregate states, one per aggregate, with optimistic concurrency on the
/// version.
///
/// The rules (the state-stored repository's tests check them on every backend):
/// - [`load`](Self::load) returns the stored state, or `None`;
/// - [`save`](Self::save) replaces the stored state only if its version is `expected`
///   (0: nothing stored yet); otherwise it writes nothing and fails with
///   [`Error::Conflict`](crate::Error::Conflict) carrying the stored version. Of two
///   saves at one expected version exactly one wins, also across processes.
/// - `save` is given the events that took the state from `expected` to `state.version`.
///   A store without an event log returns them as records at feed position 0. A store
///   with one appends them to the state's stream at versions `expected + 1 ..` in the
///   same transaction as the state and returns them as the event store recorded them;
///   when the stream's version is not `expected` (the log does not hold the aggregate's
///   whole history) it writes nothing and fails with
///   [`Error::Corrupt`](crate::Error::Corrupt) naming the stream. Nothing is ever
///   written half: the state and its events are stored together or not at all.
pub trait StateStore: Send + Sync + 'static {
    /// The stored state of `stream`.
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>>;

    /// Stores `state` if the stored version is `expected`, with the `events` that made it
    /// (appended to the event log when the store keeps one); returns the events as
    /// recorded.
    fn save<'a>(
        &'a self,
        state: &'a StoredState,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<Vec<RecordedEvent>>>;
}

impl<T: StateStore> StateStore for std::sync::Arc<T> {
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>> {
        (**self).load(stream)
    }

    fn save<'a>(
        &'a self,
        state: &'a StoredState,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<Vec<RecordedEvent>>> {
        (**self).save(state, expected, events)
    }
}
