//! [`InMemoryStateStore`]: aggregate states kept in memory.

use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::state::contract::{StateStore, StoredState};
use crate::store::backend::check_stream;
use crate::store::backend::{log_mismatch, state_conflict, unlogged_records};
use crate::store::{EventStore, ExpectedVersion, InMemoryEventStore, NewEvent, RecordedEvent};
use crate::stream::StreamId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Aggregate states in memory, for tests and single-process programs. Cloning gives
/// another handle to the same states.
///
/// With [`with_event_log`](Self::with_event_log), every save also appends its events to
/// an [`InMemoryEventStore`], so its feed, subscriptions and projections see them.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStateStore {
    states: Arc<Mutex<HashMap<StreamId, StoredState>>>,
    log: Option<EventLog>,
}

/// The event store a logging state store appends to, and the gate its saves pass one at
/// a time (a state check and its append are then one step).
#[derive(Debug, Clone)]
struct EventLog {
    events: InMemoryEventStore,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl InMemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// This store, appending the events of every save to `events`, at the versions the
    /// state reached, together with the state: a save stores both or neither.
    ///
    /// ```
    /// # use eventsource::prelude::*;
    /// # use eventsource::state::InMemoryStateStore;
    /// # use eventsource::StateStoredRepository;
    /// # #[event] pub struct Deposited { pub amount: i64 }
    /// # #[derive(Aggregate, Default, Serialize, Deserialize)]
    /// # #[aggregate(snapshot(version = 1))]
    /// # pub struct Account { balance: i64 }
    /// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; } }
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let events = InMemoryEventStore::new();
    /// let states = InMemoryStateStore::new().with_event_log(events.clone());
    /// let id = Uuid::now_v7();
    /// let deposit = |_: &Account| Ok::<_, std::convert::Infallible>(Deposited { amount: 5 });
    /// StateStoredRepository::<Account, _>::new(states).create(id, deposit).await?;
    /// // The same aggregate, rebuilt from the logged events.
    /// assert_eq!(Repository::<Account, _>::new(events).load(id).await?.balance, 5);
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn with_event_log(mut self, events: InMemoryEventStore) -> Self {
        self.log = Some(EventLog {
            events,
            gate: Arc::default(),
        });
        self
    }

    fn stored_version(&self, stream: &StreamId) -> u64 {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states.get(stream).map_or(0, |stored| stored.version)
    }

    fn put(&self, state: &StoredState) {
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states.insert(state.stream.clone(), state.clone());
    }

    async fn save_logged(
        &self,
        log: &EventLog,
        state: &StoredState,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> Result<Vec<RecordedEvent>> {
        let _one_at_a_time = log.gate.lock().await;
        let stream = &state.stream;
        let actual = self.stored_version(stream);
        if actual != expected {
            return Err(state_conflict(stream, expected, actual));
        }
        // The in-memory append completes without waiting, and nothing waits between it and
        // storing the state: a dropped save stores both or neither.
        let outcome = log
            .events
            .append(stream, ExpectedVersion::Exact(expected), events)
            .await
            .map_err(|error| match error {
                Error::Conflict { actual, .. } => log_mismatch(stream, expected, actual),
                other => other,
            })?;
        self.put(state);
        Ok(outcome.records)
    }
}

impl StateStore for InMemoryStateStore {
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<StoredState>>> {
        if let Err(error) = check_stream(stream) {
            return Box::pin(std::future::ready(Err(error)));
        }
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        let found = states.get(stream).cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn save<'a>(
        &'a self,
        state: &'a StoredState,
        expected: u64,
        events: Vec<NewEvent>,
    ) -> BoxFuture<'a, Result<Vec<RecordedEvent>>> {
        if let Err(error) = check_stream(&state.stream) {
            return Box::pin(std::future::ready(Err(error)));
        }
        if let Some(log) = &self.log {
            return Box::pin(self.save_logged(log, state, expected, events));
        }
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        let actual = states.get(&state.stream).map_or(0, |stored| stored.version);
        let outcome = if actual == expected {
            states.insert(state.stream.clone(), state.clone());
            Ok(unlogged_records(&state.stream, expected, events))
        } else {
            Err(state_conflict(&state.stream, expected, actual))
        };
        Box::pin(std::future::ready(outcome))
    }
}
