//! SQLite stores on temporary files, for the conformance kit and the SQLite tests.

use crate::fixtures::{Task, TaskAssigned};
use crate::guarded::Guarded;
use eventsource::Result;
use eventsource::prelude::Uuid;
use eventsource::store::sqlite::rusqlite;
use eventsource::{Repository, StreamId};
use eventsource::{
    SqliteEventStore,
    store::sqlite::{SqliteConfig, SqliteSnapshotStore},
};
use std::path::Path;
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
    pub fn dir(&self) -> &Path {
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

/// A plain connection to the database file at `path`, around the store.
pub fn raw_connection(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the database file directly")
}

/// A task saved in `store` in two saves: created and completed, then assigned.
pub async fn saved_task(store: &SqliteEventStore) -> (Uuid, StreamId) {
    let repo = Repository::<Task, _>::new(store.clone());
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.execute(|t| t.create("write tests")).unwrap();
    task.execute(|t| t.complete(Uuid::nil())).unwrap();
    repo.save(&mut task).await.unwrap();
    let mut task = repo.load(id).await.unwrap();
    task.record(TaskAssigned {
        assigned_to: Uuid::nil(),
    });
    repo.save(&mut task).await.unwrap();
    (id, task.stream())
}
