//! The runtime's error types: [`Error`] for the repository and the stores, and
//! [`DecodeError`] for a stored payload that does not decode.

use crate::stream::{ExpectedVersion, StreamId};

/// A boxed error from a backend, a handler or a user command.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
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
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
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

/// What an [`Error::Config`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigKind {
    /// A database file or its directory: it cannot be opened or created, or it cannot do
    /// what the store needs (write-ahead logging, locks across processes).
    Database,
    /// How to reach a server: a connection string, its TLS settings (`sslmode`,
    /// `sslrootcert`, the `postgres-tls` feature), or connection settings a call needs
    /// and the store was not given.
    Connection,
    /// A pool's or a lock set's number of connections.
    Connections,
    /// A PostgreSQL schema name.
    SchemaName,
    /// A subscription's name (e.g. one already running under it).
    SubscriptionName,
    /// A value beyond what the store can keep: a version, a position, a checkpoint, a
    /// batch of events.
    OutOfRange,
    /// The call needs a runtime it is not running on (a tokio runtime).
    Runtime,
    /// Anything else: a store or handler of the application's own.
    Other,
}

/// What an [`Error::Schema`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaKind {
    /// The schema was made by a newer version of this library: upgrade the library
    /// (the database is not changed).
    Newer {
        /// The schema's version.
        found: u32,
        /// The newest version this library knows.
        known: u32,
    },
    /// The database server is older than the store needs.
    ServerTooOld,
    /// A migration failed to apply; nothing of it was kept.
    MigrationFailed {
        /// The migration's version.
        version: u32,
    },
    /// Something the store's schema guarantees is not so: a row or a setting is missing,
    /// a stored number is out of range.
    Damaged,
}

/// Does a backend error (or one of its causes) pass when tried again?
fn passes(error: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::ConnectionRefused
                    | ErrorKind::BrokenPipe
                    | ErrorKind::TimedOut
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::Interrupted
            )
        {
            return true;
        }
        #[cfg(feature = "sqlite")]
        if let Some(sqlite) = error.downcast_ref::<rusqlite::Error>()
            && matches!(
                sqlite.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        {
            return true;
        }
        #[cfg(feature = "postgres")]
        if let Some(postgres) = error.downcast_ref::<tokio_postgres::Error>() {
            let code = postgres.code().map(|c| c.code()).unwrap_or_default();
            // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available,
            // 57014 statement timeout; classes 08 (connection) and 57P (shutdown).
            if postgres.is_closed()
                || matches!(code, "40001" | "40P01" | "55P03" | "57014")
                || code.starts_with("08")
                || code.starts_with("57P")
            {
                return true;
            }
        }
        #[cfg(feature = "postgres")]
        if let Some(deadpool_postgres::PoolError::Timeout(_)) =
            error.downcast_ref::<deadpool_postgres::PoolError>()
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// An error and its sources, joined by `: ` (a source whose text its parent already
/// shows is left out).
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = String::new();
        let mut cause = Some(self.0);
        while let Some(error) = cause {
            #[cfg(feature = "postgres")]
            if let Some(postgres) = error.downcast_ref::<tokio_postgres::Error>() {
                if !shown.is_empty() {
                    f.write_str(": ")?;
                }
                return show_postgres(postgres, f);
            }
            let text = error.to_string();
            if shown.is_empty() {
                f.write_str(&text)?;
            } else if !shown.contains(&text) {
                write!(f, ": {text}")?;
            }
            shown = text;
            cause = error.source();
        }
        Ok(())
    }
}

/// A PostgreSQL driver error as a reader needs it: the server's severity, SQLSTATE and
/// message (with its detail and hint) in place of the driver's bare "db error", and
/// "connection lost" first when the session is gone.
#[cfg(feature = "postgres")]
fn show_postgres(
    error: &tokio_postgres::Error,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    let code = error.code().map(|c| c.code()).unwrap_or_default();
    let fatal = error
        .as_db_error()
        .is_some_and(|db| matches!(db.severity(), "FATAL" | "PANIC"));
    let io = std::error::Error::source(error).is_some_and(|c| c.is::<std::io::Error>());
    if error.is_closed() || io || fatal || code.starts_with("08") || code.starts_with("57P") {
        f.write_str("connection lost: ")?;
    }
    match error.as_db_error() {
        Some(db) => {
            write!(f, "{} {}: {}", db.severity(), code, db.message())?;
            if let Some(detail) = db.detail() {
                write!(f, " (detail: {detail})")?;
            }
            if let Some(hint) = db.hint() {
                write!(f, " (hint: {hint})")?;
            }
            Ok(())
        }
        None => {
            write!(f, "{error}")?;
            match std::error::Error::source(error) {
                Some(cause) => write!(f, ": {cause}"),
                None => Ok(()),
            }
        }
    }
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

/// Why a stored payload could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The stored type name is not one of the aggregate's events.
    #[error("unknown event type")]
    UnknownEventType,

    /// The stored schema version is newer than the code knows: the event was written by a
    /// newer version of the program.
    #[error("stored schema version {stored} is newer than the supported version {supported}")]
    NewerSchemaVersion {
        /// The stored version.
        stored: u32,
        /// The version this code writes and reads.
        supported: u32,
    },

    /// The stored schema version is older and the event declares no upcaster for it.
    #[error("no upcaster from schema version {stored} to {supported}")]
    NoUpcaster {
        /// The stored version.
        stored: u32,
        /// The version this code writes and reads.
        supported: u32,
    },

    /// A typed upcast of the event's chain (`TryFrom` between two of its shapes) failed.
    #[error("upcasting {0}")]
    Upcast(Box<UpcastError>),

    /// The event's JSON upcaster (`#[event(upcast_json = f)]`) failed; `to` is the event's
    /// current schema version.
    #[error("the JSON upcaster failed {0}")]
    JsonUpcast(Box<UpcastError>),

    /// The event's JSON upcaster reads the stored metadata, which this reader did not
    /// read ([`EventSet::decode`](crate::EventSet::decode) has none; use
    /// [`EventSet::decode_stored`](crate::EventSet::decode_stored)).
    #[error("the event's JSON upcaster needs the stored metadata, which was not read")]
    MetadataUnavailable,

    /// The payload is not valid JSON for the event type.
    #[error("invalid payload: {0}")]
    Payload(#[from] serde_json::Error),
}

/// What failed in upcasting a payload: the schema versions and the upcaster's error.
#[derive(Debug, thiserror::Error)]
#[error("from schema version {from} to {to}: {source}")]
pub struct UpcastError {
    /// The schema version of the payload being upcast.
    pub from: u32,
    /// The schema version it was being upcast to.
    pub to: u32,
    /// The upcaster's error.
    #[source]
    pub source: BoxError,
}

impl UpcastError {
    pub(crate) fn boxed(from: u32, to: u32, source: BoxError) -> Box<Self> {
        Box::new(UpcastError { from, to, source })
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
