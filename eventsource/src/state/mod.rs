//! Aggregates stored as their current state, for the
//! [state-stored repository](crate::StateStoredRepository): [`StoredState`], the
//! [`StateStore`] trait every backend implements, and [`InMemoryStateStore`].
//!
//! The SQLite and PostgreSQL stores keep states in a table of their own
//! ([`SqliteEventStore::state_store`](crate::SqliteEventStore::state_store),
//! `PostgresEventStore::state_store`), beside the events of the same database.

mod memory;

pub use memory::InMemoryStateStore;

use crate::error::Result;
use crate::future::BoxFuture;
use crate::stream::StreamId;

/// An aggregate's state as stored: the serialised aggregate at a version.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A store of aggregate states, one per aggregate, with optimistic concurrency on the
/// version.
///
/// The rules (the state-stored repository's tests check them on every backend):
/// - [`load`](Self::load) returns the stored state, or `None`;
/// - [`save`](Self::save) replaces the stored state only if its version is `expected`
///   (0: nothing stored yet); otherwise it writes nothing and fails with
///   [`Error::Conflict`](crate::Error::Conflict) carrying the stored version. Of two
///   saves at one expected version exactly one wins, also across processes.
pub trait StateStore: Send + Sync + 'static {
    /// The stored state of `stream`.
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>>;

    /// Stores `state` if the stored version is `expected`.
    fn save<'a>(&'a self, state: &'a StoredState, expected: u64) -> BoxFuture<'a, Result<()>>;
}

impl<T: StateStore> StateStore for std::sync::Arc<T> {
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>> {
        (**self).load(stream)
    }

    fn save<'a>(&'a self, state: &'a StoredState, expected: u64) -> BoxFuture<'a, Result<()>> {
        (**self).save(state, expected)
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
