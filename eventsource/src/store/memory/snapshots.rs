//! The in-memory snapshot store.

use crate::error::Result;
use crate::future::BoxFuture;
use crate::store::backend::check_stream;
use crate::store::{Snapshot, SnapshotStore};
use crate::stream::StreamId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Snapshots kept in memory. Cloning gives another handle to the same snapshots.
#[derive(Debug, Clone, Default)]
pub struct InMemorySnapshotStore {
    snapshots: Arc<Mutex<HashMap<StreamId, Snapshot>>>,
}

impl InMemorySnapshotStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many snapshots are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no snapshot is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<StreamId, Snapshot>> {
        // Every update is a single insert or remove, so a poisoned map is consistent.
        self.snapshots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SnapshotStore for InMemorySnapshotStore {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        if let Err(error) = check_stream(&snapshot.stream) {
            return Box::pin(std::future::ready(Err(error)));
        }
        let mut snapshots = self.lock();
        let newer_stored = snapshots
            .get(&snapshot.stream)
            .is_some_and(|stored| stored.version > snapshot.version);
        if !newer_stored {
            snapshots.insert(snapshot.stream.clone(), snapshot.clone());
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        let found = check_stream(stream).map(|()| self.lock().get(stream).cloned());
        Box::pin(std::future::ready(found))
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        let removed = check_stream(stream).map(|()| {
            self.lock().remove(stream);
        });
        Box::pin(std::future::ready(removed))
    }
}
