//! SQLite stores on temporary files, for the conformance kit and the SQLite tests.

use crate::guarded::Guarded;
use eventsource::Result;
use eventsource::{
    SqliteEventStore,
    store::sqlite::{SqliteConfig, SqliteSnapshotStore},
};
use std::sync::Arc;
use tempfile::TempDir;

/// A SQLite event store on a file in a temporary directory, removed with the last clone.
pub type TempSqliteStore = Guarded<SqliteEventStore, TempDir>;

/// A SQLite snapshot store on a temporary file.
pub type TempSqliteSnapshots = Guarded<SqliteSnapshotStore, TempDir>;

impl TempSqliteStore {
    /// A fresh database file with the default settings.
    pub async fn new() -> Result<Self> {
        Self::with(|config| config).await
    }

    /// A fresh database file with settings adjusted by `configure`.
    pub async fn with(configure: impl FnOnce(SqliteConfig) -> SqliteConfig) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(eventsource::Error::backend)?;
        let config = configure(SqliteConfig::file(dir.path().join("events.db")));
        let store = SqliteEventStore::open_with(config).await?;
        Ok(Guarded::keeping(store, Arc::new(dir)))
    }

    /// The temporary directory holding the database.
    pub fn dir(&self) -> &std::path::Path {
        self.guard().path()
    }

    /// The snapshot store of the same database, keeping the directory alive.
    pub fn snapshots(&self) -> TempSqliteSnapshots {
        self.with_store(self.store.snapshot_store())
    }

    /// This event store and the snapshot store of the same database: what the snapshot
    /// behaviour suite and the snapshot benchmark run on.
    pub fn backend(&self) -> (TempSqliteStore, TempSqliteSnapshots) {
        (self.clone(), self.snapshots())
    }
}
