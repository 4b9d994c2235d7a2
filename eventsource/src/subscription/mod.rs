//! The read side: projections fed from the global feed, with checkpoints.
//!
//! A [`Projection`](crate::Projection) (declared with `#[projection]`) handles the events it names. A
//! [`SubscriptionRunner`] feeds it the store's global feed after its checkpoint: first
//! the events stored so far (catching up), then new ones as they are appended (live),
//! woken by the store rather than by a busy poll.
//!
//! # What is guaranteed
//!
//! - **In feed order, at least once.** The checkpoint (kept in the same store as the
//!   events, under the projection's name) moves only after the projection handled the
//!   event. A crash between the two redelivers at most the events of one checkpoint
//!   interval ([`CheckpointEvery`]); an event is never skipped. A projection whose effects
//!   must not repeat makes its handlers idempotent, for example by keeping the last
//!   position it applied ([`RecordedEvent::position`](crate::RecordedEvent::position)).
//! - **Nothing is dropped silently.** A failing handler is retried with backoff
//!   ([`RetryPolicy`](crate::RetryPolicy)); after the last attempt the event is parked with
//!   its error ([`SubscriptionStore::parked`](crate::store::SubscriptionStore::parked)),
//!   and the subscription skips it or stops at it ([`OnFailure`]). A feed row that cannot
//!   be read is parked the same way, with its typed error. [`replay_parked`] hands parked
//!   events to the projection again.
//! - Events the projection has no handler for, or that the options filter out, are passed
//!   over without decoding; the checkpoint moves past them.
//!
//! The repository's publisher ([`InMemoryEventBus`](crate::bus::InMemoryEventBus)) is the other
//! way to react to events: it runs in the saving process right after the commit, fire and
//! forget — nothing retries a handler that failed or that was running when the process
//! died. Use it for in-process notifications; use subscriptions for anything that must see
//! every event (read models, integrations).

mod core;
mod options;
mod parked;
pub(crate) mod projection;
mod runner;
mod snapshots;
mod status;
mod target;
mod transactional;
mod worker;

pub use options::{CheckpointEvery, OnFailure, StartFrom, SubscriptionOptions};
pub use parked::{ReplayedParked, rebuild, replay_parked, reset_checkpoint};
pub use projection::{HandleError, HandlerOutcome};
pub use runner::{SubscriptionHandle, SubscriptionRunner};
pub use snapshots::SnapshotWorker;
pub use status::{SubscriptionState, SubscriptionStatus};
#[cfg(feature = "postgres")]
pub use transactional::PostgresProjection;
#[cfg(feature = "sqlite")]
pub use transactional::SqliteProjection;
pub use transactional::{BatchFailure, TransactionalStore};
