//! What a configuration or schema error is about: the kinds a caller matches on.

/// What an [`Error::Config`](super::Error::Config) is about.
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

/// What an [`Error::Schema`](super::Error::Schema) is about.
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
