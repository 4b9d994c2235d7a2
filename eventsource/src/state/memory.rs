//! [`InMemoryStateStore`]: aggregate states kept in memory.

use super::{StateStore, StoredState, conflict};
use crate::error::Result;
use crate::future::BoxFuture;
use crate::stream::StreamId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Aggregate states in memory, for tests and single-process programs. Cloning gives
/// another handle to the same states.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStateStore {
    states: Arc<Mutex<HashMap<StreamId, StoredState>>>,
}

impl InMemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl StateStore for InMemoryStateStore {
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>> {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        let found = states.get(stream).cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn save<'a>(&'a self, state: &'a StoredState, expected: u64) -> BoxFuture<'a, Result<()>> {
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        let actual = states.get(&state.stream).map_or(0, |stored| stored.version);
        let outcome = if actual == expected {
            states.insert(state.stream.clone(), state.clone());
            Ok(())
        } else {
            Err(conflict(&state.stream, expected, actual))
        };
        Box::pin(std::future::ready(outcome))
    }
}
