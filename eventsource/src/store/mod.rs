//! Event stores: the [`EventStore`] trait every backend implements, and the records it
//! works on. Stores see type-erased events (a type name, a schema version and a JSON
//! payload), so one backend serves every aggregate.
//!
//! # Static and dynamic dispatch
//!
//! [`EventStore`] returns `impl Future` and its [`replay_stream`](EventStore::replay_stream)
//! is generic over the state being rebuilt, so a repository over a concrete store pays for
//! no allocation or virtual call on its hot paths. That makes the trait not object-safe.
//! Where an application wants to choose its store at run time, [`DynEventStore`] is the
//! object-safe form: every `EventStore` is one, and `Box<dyn DynEventStore>` and
//! `Arc<dyn DynEventStore>` are `EventStore`s again, so a
//! `Repository<A, Box<dyn DynEventStore>>` works with any backend. The other store-facing
//! traits ([`SnapshotStore`], [`EventPublisher`](crate::bus::EventPublisher))
//! are object-safe from the start ([`BoxFuture`](crate::BoxFuture)): the repository holds
//! them as trait objects, and they are off the hot path.
//!
//! A custom store uses [`backend`]: the rules every built-in store applies, written once.

pub mod backend;
pub(crate) mod contract;
mod decoded;
mod erased;
mod feed_page;
pub(crate) mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
pub(crate) mod record;
pub(crate) mod record_ref;
mod signal;
pub(crate) mod snapshot;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod subscriptions;

pub use crate::stream::{MAX_AGGREGATE_ID_BYTES, MAX_AGGREGATE_TYPE_BYTES};
pub use decoded::{Decoded, DecodedCell};
pub use erased::DynEventStore;
pub use feed_page::{FeedEntryRef, FeedPage};
pub use record::{AppendOutcome, EventRef, FeedEntry, NewEvent};
pub use record_ref::RecordRef;
pub use signal::{AppendNotifier, AppendSignal};
pub use subscriptions::{ParkedEvent, SubscriptionClaim, SubscriptionStore};

// The crate's own paths to what the root and `snapshot` export.
pub(crate) use crate::stream::{ExpectedVersion, StreamId};
pub(crate) use contract::EventStore;
pub(crate) use memory::InMemoryEventStore;
pub(crate) use record::RecordedEvent;
pub(crate) use snapshot::{Snapshot, SnapshotStore};
