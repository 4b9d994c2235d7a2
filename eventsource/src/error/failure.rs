//! [`Error`]: everything that can go wrong in the repository and the event stores.

use super::chain::Chain;
use super::retryable::passes;
use super::{BoxError, CodecError, ConfigKind, DecodeError, SchemaKind};
use crate::stream::{ExpectedVersion, StreamId};

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the repository and the event stores.
///
/// Every variant names what it is about: the stream (aggregate type and id), the version
/// and, for stored events, the event type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No event is stored for this aggregate.
    #[error("aggregate {aggregate_type} {aggregate_id} not found")]
    NotFound {
        /// The aggregate type, as in `#[aggregate(name = ...)]`.
        aggregate_type: String,
        /// The aggregate id, as text.
        aggregate_id: String,
    },

    /// A command meant to create an aggregate found it stored already
    /// ([`Repository::create`](crate::Repository::create)).
    #[error("aggregate {aggregate_type} {aggregate_id} exists already")]
    AlreadyExists {
        /// The aggregate type, as in `#[aggregate(name = ...)]`.
        aggregate_type: String,
        /// The aggregate id, as text.
        aggregate_id: String,
    },

    /// The stream was not at the version the writer expected: somebody else wrote first.
    #[error(
        "concurrency conflict on {stream}: expected version {expected}, actual version {actual}"
    )]
    Conflict {
        /// The stream written to.
        stream: StreamId,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// The stream's version when the append was refused.
        actual: u64,
    },

    /// Some, but not all, of the batch's event ids are already stored at the positions the
    /// batch would take: it is neither a new batch nor a retry of a stored one.
    #[error(
        "event {event_id} is already stored in {stream}, but the batch does not match the stored events"
    )]
    DuplicateEventId {
        /// The stream written to.
        stream: StreamId,
        /// The first event id of the batch that is already stored.
        event_id: uuid::Uuid,
    },

    /// A stored event could not be turned back into a typed event.
    #[error(
        "cannot decode {stream} version {version} (event type `{event_type}`, schema version {schema_version}): {source}"
    )]
    Decode {
        /// The stream read from.
        stream: StreamId,
        /// The event's version in its stream.
        version: u64,
        /// The stored event type name.
        event_type: String,
        /// The stored schema version.
        schema_version: u32,
        /// What went wrong.
        #[source]
        source: DecodeError,
    },

    /// An event could not be serialised before it was stored; nothing was written.
    #[error("cannot encode event `{event_type}` for {stream}: {source}")]
    Encode {
        /// The stream that would have been written to.
        stream: StreamId,
        /// The event type name.
        event_type: String,
        /// The codec's error.
        #[source]
        source: CodecError,
    },

    /// A save held a retired event (`#[event(retired)]`): it is read from stored streams but
    /// never written. Nothing was written.
    #[error("event `{event_type}` is retired and is never written (save to {stream})")]
    RetiredEvent {
        /// The stream that would have been written to.
        stream: StreamId,
        /// The event type name.
        event_type: String,
    },

    /// The stream's aggregate type or id is outside the rule every store applies (too
    /// long, or holding a NUL character: see [`StreamId`]). Nothing was read or written.
    #[error("invalid stream {}: {reason}", stream.short())]
    InvalidStream {
        /// The stream asked for.
        stream: StreamId,
        /// What breaks the rule, with the limit.
        reason: String,
    },

    /// A stored row names a codec this library does not know (written by a newer
    /// version, or a damaged row): it is not decoded.
    #[error(
        "{stream} version {version} (event type `{event_type}`) was written by the unknown codec `{codec}`"
    )]
    UnknownCodec {
        /// The stream read from.
        stream: StreamId,
        /// The event's version in its stream.
        version: u64,
        /// The stored event type name.
        event_type: String,
        /// The codec id on the row.
        codec: String,
    },

    /// What the store returned breaks the store's own rules (a version gap, an event of
    /// another stream): the aggregate is not built from it.
    #[error("corrupt stream {stream} at version {version}: {reason}")]
    Corrupt {
        /// The stream read from.
        stream: StreamId,
        /// The version at which the problem was found.
        version: u64,
        /// What is wrong.
        reason: String,
    },

    /// A snapshot was asked of a repository that has no snapshot store: see
    /// [`Repository::with_snapshots`](crate::Repository::with_snapshots).
    #[error("no snapshot store is configured for aggregate type {aggregate_type}")]
    NoSnapshotStore {
        /// The aggregate type, as in `#[aggregate(name = ...)]`.
        aggregate_type: String,
    },

    /// A snapshot was asked of an aggregate whose state is not a saved version: it has
    /// unsaved events, or it was never saved. Save it first.
    #[error(
        "cannot snapshot {stream}: version {version} with {pending} unsaved events is not a saved version"
    )]
    UnsavedAggregate {
        /// The aggregate's stream.
        stream: StreamId,
        /// The aggregate's version, pending events included.
        version: u64,
        /// How many events are not saved yet.
        pending: usize,
    },

    /// The aggregate's state could not be serialised as a snapshot.
    #[error("cannot encode the snapshot of {stream}: {source}")]
    SnapshotEncode {
        /// The aggregate's stream.
        stream: StreamId,
        /// The codec's error.
        #[source]
        source: CodecError,
    },

    /// A subscription stopped at an event it could not handle (or a feed row it could not
    /// read), as [`OnFailure::Stop`](crate::subscription::OnFailure::Stop) asks; the event
    /// is parked and the checkpoint stays before it.
    #[error("subscription {subscription} stopped at feed position {position}: {reason}")]
    SubscriptionStopped {
        /// The subscription's name.
        subscription: String,
        /// The position of the event it stopped at.
        position: u64,
        /// The error that stopped it.
        reason: String,
    },

    /// An aggregate's lock was not granted in time
    /// ([`LockingRepository`](crate::LockingRepository)): another holder kept it longer.
    /// Nothing was written.
    #[error("timed out after {waited:?} waiting for the lock of {stream}")]
    LockTimeout {
        /// The aggregate's stream.
        stream: StreamId,
        /// How long the caller waited.
        waited: std::time::Duration,
    },

    /// [`Repository::load_at`](crate::Repository::load_at) asked for a version the stream
    /// does not have: it is shorter, or the version is 0.
    #[error("{stream} has no version {requested}: its current version is {current}")]
    NoSuchVersion {
        /// The aggregate's stream.
        stream: StreamId,
        /// The version asked for.
        requested: u64,
        /// The stream's version when it was read.
        current: u64,
    },

    /// The store's database schema is not one this version of the library can use.
    #[error("incompatible store schema: {reason}")]
    Schema {
        /// What kind of problem it is: match on this.
        kind: SchemaKind,
        /// What was found, for people.
        reason: String,
    },

    /// A setting or a value (a path, a connection string, a name, a limit) is not
    /// acceptable, or the call needs something that is not there (a runtime, a feature,
    /// connection settings).
    #[error("invalid configuration: {reason}")]
    Config {
        /// What the problem is about: match on this.
        kind: ConfigKind,
        /// What was wrong, for people.
        reason: String,
    },

    /// The backend failed (I/O, connection, database error). It displays the whole chain
    /// of causes, so that what the server said is in the message: for PostgreSQL the
    /// severity, the SQLSTATE and the server's message (`ERROR 23505: duplicate key ...`),
    /// led by `connection lost: ` when the session is gone.
    #[error("event store backend error: {}", Chain(.0.as_ref()))]
    Backend(#[source] BoxError),
}

impl Error {
    /// Wraps a backend error.
    pub fn backend(error: impl Into<BoxError>) -> Self {
        Error::Backend(error.into())
    }

    /// An [`Error::Config`] of `kind`, saying `reason`.
    pub fn config(kind: ConfigKind, reason: impl Into<String>) -> Self {
        Error::Config {
            kind,
            reason: reason.into(),
        }
    }

    /// An [`Error::Schema`] of `kind`, saying `reason`.
    pub fn schema(kind: SchemaKind, reason: impl Into<String>) -> Self {
        Error::Schema {
            kind,
            reason: reason.into(),
        }
    }

    /// True for [`Error::Conflict`]: reloading and deciding again may succeed.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }

    /// True when trying the same operation again may succeed: a [conflict](Self::Conflict)
    /// (reload and decide again), or a backend error that passes — a lost or refused
    /// connection, a timeout, a PostgreSQL serialization failure or deadlock, a busy or
    /// locked SQLite database, an exhausted connection pool. False for everything that
    /// fails the same way again (bad input, a corrupt row, a schema or configuration
    /// problem, any other database error).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Conflict { .. } => true,
            Error::Backend(source) => passes(source.as_ref()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn backend(error: impl Into<BoxError>) -> Error {
        Error::backend(error)
    }

    #[test]
    fn conflicts_and_passing_backend_errors_are_retryable() {
        let stream = StreamId::new("Task", "1");
        let conflict = Error::Conflict {
            stream,
            expected: ExpectedVersion::Exact(1),
            actual: 2,
        };
        assert!(conflict.is_retryable());
        let reset = io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer");
        assert!(backend(reset).is_retryable());
        let timeout = io::Error::new(io::ErrorKind::TimedOut, "timed out");
        assert!(backend(timeout).is_retryable());
    }

    #[test]
    fn permanent_errors_are_not_retryable() {
        assert!(!Error::config(ConfigKind::SchemaName, "bad prefix").is_retryable());
        assert!(!Error::schema(SchemaKind::Newer { found: 9, known: 4 }, "newer").is_retryable());
        assert!(!backend("something else").is_retryable());
        let denied = io::Error::new(io::ErrorKind::PermissionDenied, "denied");
        assert!(!backend(denied).is_retryable());
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn a_busy_sqlite_database_is_retryable_and_a_constraint_is_not() {
        let failure = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert!(backend(failure(rusqlite::ffi::SQLITE_BUSY)).is_retryable());
        assert!(backend(failure(rusqlite::ffi::SQLITE_LOCKED)).is_retryable());
        assert!(!backend(failure(rusqlite::ffi::SQLITE_CONSTRAINT)).is_retryable());
    }

    #[test]
    fn a_backend_error_displays_its_causes() {
        #[derive(Debug)]
        struct Outer(io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("db error")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let inner = io::Error::other("relation \"events\" does not exist");
        assert_eq!(
            backend(Outer(inner)).to_string(),
            "event store backend error: db error: relation \"events\" does not exist"
        );
    }
}
