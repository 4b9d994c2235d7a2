//! The in-memory store's checkpoints and parked events: its [`SubscriptionStore`].

use super::InMemoryEventStore;
use crate::error::Result;
use crate::future::BoxFuture;
use crate::store::subscriptions::{ParkedEvent, SubscriptionStore};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// The in-memory store's checkpoints and parked events.
#[derive(Debug, Default)]
pub(crate) struct InMemorySubscriptionState {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    checkpoints: HashMap<String, u64>,
    parked: HashMap<String, BTreeMap<u64, ParkedEvent>>,
}

impl InMemorySubscriptionState {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is one insert or remove: a poisoned lock is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, Result<T>> {
    Box::pin(std::future::ready(Ok(value)))
}

impl SubscriptionStore for InMemoryEventStore {
    fn checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Option<u64>>> {
        let state = self.subscription_state().lock();
        ready(state.checkpoints.get(subscription).copied())
    }

    fn store_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<()>> {
        let mut state = self.subscription_state().lock();
        state.checkpoints.insert(subscription.to_owned(), position);
        ready(())
    }

    fn delete_checkpoint<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<()>> {
        self.subscription_state()
            .lock()
            .checkpoints
            .remove(subscription);
        ready(())
    }

    fn park<'a>(&'a self, event: &'a ParkedEvent) -> BoxFuture<'a, Result<()>> {
        let mut state = self.subscription_state().lock();
        state
            .parked
            .entry(event.subscription.clone())
            .or_default()
            .insert(event.position, event.clone());
        ready(())
    }

    fn parked<'a>(&'a self, subscription: &'a str) -> BoxFuture<'a, Result<Vec<ParkedEvent>>> {
        let state = self.subscription_state().lock();
        let parked = state
            .parked
            .get(subscription)
            .map(|events| events.values().cloned().collect())
            .unwrap_or_default();
        ready(parked)
    }

    fn discard_parked<'a>(
        &'a self,
        subscription: &'a str,
        position: u64,
    ) -> BoxFuture<'a, Result<bool>> {
        let mut state = self.subscription_state().lock();
        let removed = state
            .parked
            .get_mut(subscription)
            .is_some_and(|events| events.remove(&position).is_some());
        ready(removed)
    }
}
