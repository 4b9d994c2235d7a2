//! The names most programs need: `use eventsource::prelude::*;`.

#[cfg(feature = "sqlite")]
pub use crate::SqliteEventStore;
pub use crate::{
    Aggregate, AggregateRoot, CachingRepository, DomainEvent, EventContext, EventStore,
    ExpectedVersion, InMemoryEventBus, InMemoryEventStore, InMemorySnapshotStore,
    LockingRepository, Projection, Repository, SnapshotMode, SnapshotPolicy, UpdateError, apply,
    event, projection,
};
/// Derives serde's `Deserialize` through this crate: no serde dependency and no
/// `#[serde(crate = ...)]` attribute needed. `#[serde(...)]` attributes mean what they
/// mean on serde's own derive; types with generic parameters are refused (derive
/// serde's own, `eventsource::serde::Deserialize`, with
/// `#[serde(crate = "eventsource::serde")]`, for those).
pub use eventsource_derive::Deserialize;
/// Derives serde's `Serialize` through this crate: no serde dependency and no
/// `#[serde(crate = ...)]` attribute needed (see [`Deserialize`](macro@Deserialize)).
pub use eventsource_derive::Serialize;
pub use serde::de::Deserialize;
pub use serde::ser::Serialize;
pub use uuid::Uuid;
