//! Event sourcing for Rust.
//!
//! Declare events with [`#[event]`](macro@event), an aggregate with
//! [`#[derive(Aggregate)]`](derive@Aggregate) and its event handlers with
//! [`#[apply]`](macro@apply). A [`Repository`] loads aggregates by replaying their events,
//! saves new events with optimistic concurrency and publishes them after the commit.
//!
//! ```
//! use eventsource::prelude::*;
//!
//! #[event]
//! pub struct TaskCreated { pub title: String }
//! #[event]
//! pub struct TaskCompleted { pub by: Uuid }
//!
//! #[derive(Aggregate, Debug, Default)]
//! #[aggregate(name = "Task", events(TaskCreated, TaskCompleted))]
//! pub struct Task { pub title: String, pub done: bool }
//!
//! #[apply]
//! impl Task {
//!     fn created(&mut self, e: &TaskCreated) { self.title = e.title.clone(); }
//!     fn completed(&mut self, _: &TaskCompleted) { self.done = true; }
//! }
//!
//! impl Task {
//!     // Commands decide and return events; they never change the state themselves.
//!     pub fn complete(&self, by: Uuid) -> Result<TaskCompleted, String> {
//!         if self.done { return Err("already completed".into()); }
//!         Ok(TaskCompleted { by })
//!     }
//! }
//!
//! # async fn run() -> eventsource::Result<()> {
//! let repo = Repository::<Task, _>::new(InMemoryEventStore::new());
//! let (id, user) = (Uuid::now_v7(), Uuid::now_v7());
//!
//! let mut task = repo.create_new(id);
//! task.record(TaskCreated { title: "Write docs".into() });
//! repo.save(&mut task).await?;
//!
//! let mut task = repo.load(id).await?;
//! task.execute(|t| t.complete(user)).expect("not completed yet");
//! repo.save(&mut task).await?;
//! assert!(task.done);
//! assert_eq!(task.version(), 2);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! # The rules the macros check at compile time
//!
//! - every listed event has an `#[apply]` handler, and every handler's event is listed;
//! - no two listed events share a stored name;
//! - handlers have the signature `fn(&mut self, event: &E)`;
//! - attribute keys are known, given once, and of the right kind.

#![deny(missing_docs)]

extern crate self as eventsource;

mod aggregate;
mod bus;
mod codec;
mod error;
mod event;
mod repository;
mod root;
pub mod snapshot;
pub mod store;

pub use aggregate::{Aggregate, AggregateId, ApplyEvent, IntoEvents};
pub use bus::{BoxFuture, Envelope, EventPublisher, InMemoryEventBus};
pub use codec::{DecodeError, EventSet, decode_event};
pub use error::{BoxError, Error, Result};
pub use event::{DomainEvent, EventContext, EventMetadata};
pub use repository::{DEFAULT_UPDATE_ATTEMPTS, Repository, UpdateError};
pub use root::{AggregateRoot, PendingEvent};
pub use snapshot::{InMemorySnapshotStore, Snapshot, SnapshotStore};
pub use store::{EventStore, ExpectedVersion, InMemoryEventStore, RecordedEvent, StreamId};
#[cfg(feature = "postgres")]
pub use {
    snapshot::PostgresSnapshotStore,
    store::postgres::{PostgresConfig, PostgresEventStore},
};

/// Derives [`Aggregate`] for a struct or enum holding an aggregate's state.
///
/// ```text
/// #[derive(Aggregate, Default)]
/// #[aggregate(
///     name = "Task",                 // stored aggregate type; default: the type's name
///     id = Uuid,                     // id type; default: Uuid
///     events(TaskCreated, TaskDone), // required, at least one
///     event_enum = TaskEvent,        // generated enum's name; default: <Type>Event
/// )]
/// ```
///
/// It generates the event enum, `From` each listed event into it, the stored-name
/// decoding, and the apply dispatch to the `#[apply]` handlers, with compile-time checks.
pub use eventsource_derive::Aggregate;

/// Marks a struct or enum as a domain event: `#[event]` or
/// `#[event(name = "TaskCreated", version = 2)]`.
///
/// It derives serde's `Serialize` and `Deserialize` (no serde dependency needed), and
/// `Debug`, `Clone` and `PartialEq` unless the type derives them already, and implements
/// [`DomainEvent`] with the stored name (default: the type's name) and schema version
/// (default: 1).
pub use eventsource_derive::event;

/// Turns each function of an inherent `impl` block into the handler of the event it
/// borrows: `fn name(&mut self, event: &E)`. Every function in the block must have that
/// signature; put helpers in another `impl` block.
pub use eventsource_derive::apply;

/// The names most programs need.
pub mod prelude {
    pub use crate::{
        Aggregate, AggregateRoot, DomainEvent, EventContext, EventStore, ExpectedVersion,
        InMemoryEventBus, InMemoryEventStore, Repository, UpdateError, apply, event,
    };
    pub use uuid::Uuid;
}

/// What the macros' expansions use. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::codec::decode_event;
    pub use serde;
    pub use serde_json;
    pub use uuid::Uuid;

    /// Implemented by `#[derive(Aggregate)]` for each listed event.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` does not list event `{E}`, but has an #[apply] handler for it",
        label = "not in `#[aggregate(events(...))]` of `{Self}`",
        note = "add `{E}` to `#[aggregate(events(...))]`, or remove the handler"
    )]
    pub trait ListsEvent<E> {}

    /// String equality usable in `const` assertions.
    pub const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}
