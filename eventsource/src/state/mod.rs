//! Aggregates stored as their current state, for the
//! [state-stored repository](crate::StateStoredRepository): [`StoredState`], the
//! [`StateStore`] trait every backend implements, and [`InMemoryStateStore`].
//!
//! The SQLite and PostgreSQL stores keep states in a table of their own
//! ([`SqliteEventStore::state_store`](crate::SqliteEventStore::state_store),
//! `PostgresEventStore::state_store`), beside the events of the same database.
//!
//! A state store may also keep an **event log**: each save then appends the command's
//! events to the aggregate's stream in the event store, in the same transaction as the
//! state (`with_event_log` on each store). Subscriptions and projections see them in the
//! feed, and the event-sourced [`Repository`](crate::Repository) can load the same
//! aggregate from its events.

pub(crate) mod contract;

pub use crate::store::memory::states::InMemoryStateStore;
pub use contract::{StateStore, StoredState};
