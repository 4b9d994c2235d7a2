//! How to open a SQLite store: where the database is, how durable a commit is, and how
//! the connections are driven.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Location {
    File(PathBuf),
    Memory,
}

/// SQLite's `synchronous` setting: when a commit is flushed to the disk.
///
/// The database is always in WAL mode (write-ahead log), where SQLite guarantees that a
/// crash never corrupts the database and never leaves part of a transaction: after any
/// crash, every append is there whole or not at all. The level only decides whether the
/// most recent commits can be lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// `synchronous = FULL` (the default): every commit is flushed (`fsync`) to the log
    /// before [`append`](crate::EventStore::append) returns. A saved event survives a
    /// process crash, an operating-system crash and a power loss, provided the disk honours
    /// flushes.
    #[default]
    Full,
    /// `synchronous = NORMAL`: commits are written to the log but flushed only when the log
    /// is checkpointed. A saved event survives the process being killed (the operating
    /// system still holds the write), but an operating-system crash or a power loss can
    /// lose the last commits before a checkpoint. Appends are several times faster.
    Normal,
}

impl Synchronous {
    pub(super) fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// How the store's blocking SQLite calls are kept off the async runtime's threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Threading {
    /// Each connection is owned by a thread of its own that runs the store's requests one
    /// after another (the default: it measured faster, and it needs no tokio runtime).
    #[default]
    DedicatedThread,
    /// Each request runs on tokio's blocking pool (`spawn_blocking`), taking the connection
    /// from a mutex. Needs a tokio runtime.
    SpawnBlocking,
}

/// The settings of a [`SqliteEventStore`](super::SqliteEventStore).
///
/// ```
/// use eventsource::store::sqlite::{SqliteConfig, Synchronous};
/// use std::time::Duration;
///
/// let config = SqliteConfig::file("events.db")
///     .synchronous(Synchronous::Normal)
///     .busy_timeout(Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct SqliteConfig {
    pub(super) location: Location,
    pub(super) synchronous: Synchronous,
    pub(super) busy_timeout: Duration,
    pub(super) threading: Threading,
}

impl SqliteConfig {
    /// A database in the file at `path`, created if missing.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self::at(Location::File(path.as_ref().to_path_buf()))
    }

    /// A private database in memory: it lives as long as the store (and its clones), and
    /// nothing of it is ever written to disk.
    pub fn in_memory() -> Self {
        Self::at(Location::Memory)
    }

    fn at(location: Location) -> Self {
        SqliteConfig {
            location,
            synchronous: Synchronous::default(),
            busy_timeout: Duration::from_secs(5),
            threading: Threading::default(),
        }
    }

    /// When commits are flushed to disk; [`Synchronous::Full`] unless set.
    pub fn synchronous(mut self, level: Synchronous) -> Self {
        self.synchronous = level;
        self
    }

    /// How long a write waits for another process's write to finish before it fails;
    /// 5 seconds unless set.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How blocking calls are driven; [`Threading::DedicatedThread`] unless set.
    pub fn threading(mut self, threading: Threading) -> Self {
        self.threading = threading;
        self
    }

    /// The database file, or `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            Location::File(path) => Some(path),
            Location::Memory => None,
        }
    }
}
