//! Aggregates stored as their current state, for the
//! [state-stored repository](crate::StateStoredRepository): [`StoredState`], the
//! [`StateStore`] trait every backend implements, and [`InMemoryStateStore`].
//!
//! The SQLite and PostgreSQL stores keep states in a table of their own
//! ([`SqliteEventStore::state_store`](crate::SqliteEventStore::state_store),
//! `PostgresEventStore::state_store`), beside the events of the same database.
//!
//! A state store may also keep an **event log**: each save then appends the command's
//! events to the aggregate's stream in the event store, in the same transaction as the
//! state (`with_event_log` on each store). Subscriptions and projections see them in the
//! feed, and the event-sourced [`Repository`](crate::Repository) can load the same
//! aggregate from its events.

mod memory;

pub use memory::InMemoryStateStore;

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

/// The records of `events` saved without an event log: versions `expected + 1 ..`, feed
/// position 0 (they have no place in a feed).
pub(crate) fn unlogged(
    stream: &StreamId,
    expected: u64,
    events: Vec<NewEvent>,
) -> Vec<RecordedEvent> {
    events
        .into_iter()
        .zip(expected + 1..)
        .map(|(event, version)| crate::store::backend::record(event, stream.clone(), version, 0))
        .collect()
}

/// The error of a logged save whose event log does not hold the aggregate's history up to
/// the stored state's version.
pub(crate) fn log_mismatch(stream: &StreamId, expected: u64, logged: u64) -> crate::Error {
    crate::Error::Corrupt {
        stream: stream.clone(),
        version: expected,
        reason: format!(
            "the event log holds {logged} events of this aggregate but its stored state is at \
             version {expected}: a state store with an event log needs the aggregate's whole \
             history in the log (log from its first save, or append its history first)"
        ),
    }
}

/// The conflict a refused save reports.
pub(crate) fn conflict(stream: &StreamId, expected: u64, actual: u64) -> crate::Error {
    crate::Error::Conflict {
        stream: stream.clone(),
        expected: crate::ExpectedVersion::Exact(expected),
        actual,
    }
}
