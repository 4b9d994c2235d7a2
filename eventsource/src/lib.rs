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
//! # Snapshots
//!
//! An aggregate with a long history can be loaded from a snapshot of its state plus the
//! events after it. It opts in with `snapshot(version = N)`, and its state derives serde's
//! `Serialize` and `Deserialize` (the prelude's derives, which need no serde dependency of
//! your own and no `#[serde(crate = ...)]` attribute). The repository takes a
//! [`SnapshotStore`] and a [`SnapshotPolicy`]:
//!
//! ```
//! use eventsource::prelude::*;
//!
//! #[event]
//! pub struct Deposited { pub amount: i64 }
//!
//! #[derive(Aggregate, Debug, Default, Serialize, Deserialize)]
//! #[aggregate(name = "Account", events(Deposited), snapshot(version = 1))]
//! pub struct Account { pub balance: i64 }
//!
//! #[apply]
//! impl Account {
//!     fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; }
//! }
//!
//! # async fn run() -> eventsource::Result<()> {
//! let snapshots = InMemorySnapshotStore::new();
//! let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
//!     .with_snapshots(snapshots.clone(), SnapshotPolicy::every(100));
//!
//! let id = Uuid::now_v7();
//! let mut account = repo.create_new(id);
//! account.record(vec![Deposited { amount: 1 }; 250]);
//! repo.save(&mut account).await?;          // passes 100 and 200: one snapshot, at 250
//! assert_eq!(snapshots.len(), 1);
//!
//! let account = repo.load(id).await?;        // the snapshot, then no event to replay
//! assert_eq!((account.version(), account.balance), (250, 250));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! A save of `k` events that moves the version from `v − k` to `v` takes a snapshot when
//! `v / N > (v − k) / N`. [`SnapshotMode`] says whether it is taken before `save` returns
//! (`Sync`), on a tokio task (`Background`), or only through
//! [`Repository::create_snapshot`] (`Manual`). A snapshot is a cache: one that cannot be
//! used (another schema version, an undecodable state, a failing store) means a full
//! replay and a `tracing` warning, and a failing snapshot store never fails a save.
//! # Stores
//!
//! - [`InMemoryEventStore`] and [`InMemorySnapshotStore`] keep events and snapshots in
//!   memory, for tests and single-process programs.
//! - [`SqliteEventStore`] and [`SqliteSnapshotStore`] (feature `sqlite`, on by default;
//!   SQLite is compiled in) keep them in a file, durable and shared by processes:
//!   `SqliteEventStore::open("events.db").await?` gives a store to hand to
//!   [`Repository::new`].
//! - `PostgresEventStore` and `PostgresSnapshotStore` (feature `postgres`) keep them in a
//!   PostgreSQL schema, for several processes on several machines.
//! - [`store::DynEventStore`] is any of them chosen at run time.
//!
//! Every store passes the same conformance kit, published for the authors of other stores
//! as `eventsource::testkit` (feature `testkit`); the repository's `examples/` hold a
//! file-system store built on it.
//!
//! # Testing
//!
//! [`testing`] checks an aggregate's decisions without a store: given past events, when
//! a command, then expect these events, an error or a state.
//!
//! # The rules the macros check at compile time
//!
//! - every listed event has an `#[apply]` handler, and every handler's event is listed;
//! - no two listed events share a stored name (their aliases included);
//! - an event at schema version `N > 1` reads every older version, through one older shape
//!   per version or a JSON upcaster, and its shapes lead to it ([`evolution`]);
//! - a command cannot return a retired event;
//! - handlers have the signature `fn(&mut self, event: &E)`;
//! - attribute keys are known, given once, and of the right kind;
//! - `snapshot(...)` has a `version` from 1; a snapshot store can only be given to an
//!   aggregate that has `snapshot(...)`.
//! - `#[projection]` handlers are `fn(&mut self, &E)` or `fn(&mut self, &E, &EventEnvelope)`
//!   for an event type `E` (in the `sqlite` and `postgres` modes also the transaction, and
//!   never `async` on SQLite), one handler per event, no two events with one stored name.
//!
//! # Changing events
//!
//! Adding an optional field or removing one needs nothing; other changes take a new
//! schema version and older shapes converted by `From`, or a JSON upcaster; an event can
//! be renamed (`aliases`) or retired. See [`evolution`].
//!
//! # Projections
//!
//! A [`Projection`] declared with [`#[projection]`](macro@projection) is fed the global
//! feed by a [`SubscriptionRunner`](subscription::SubscriptionRunner), with a checkpoint
//! in the same store: see [`subscription`].

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate self as eventsource;

// The layers, lowest first; a module's code imports only from lower layers:
// time, stream, error, future, retry; event, codec; store (records, the EventStore trait,
// the backends); aggregate, root; snapshot (the repository side); publish, bus;
// repository; subscription; testing and testkit (over all of them). `__private` (private.rs)
// is what the macros' expansions name.
mod aggregate;
mod bus;
mod codec;
mod error;
mod event;
pub mod evolution;
mod future;
mod hash;
mod id;
pub mod lock;
mod publish;
mod repository;
mod retry;
mod root;
pub mod snapshot;
pub mod state;
pub mod store;
mod stream;
pub mod subscription;
pub mod testing;
#[cfg(feature = "testkit")]
pub mod testkit;
mod time;

pub use aggregate::{Aggregate, AggregateId, ApplyEvent, Emittable, IntoEvents};
pub use bus::{Envelope, InMemoryEventBus};
pub use codec::{EventSet, JsonEvent, OlderPayload, StoredPayload, decode_event, decode_stored};
pub use error::{BoxError, ConfigKind, DecodeError, Error, Result, SchemaKind, UpcastError};
pub use event::{DomainEvent, EventContext, EventMetadata};
pub use future::BoxFuture;
pub use publish::EventPublisher;
pub use repository::caching::{CacheOptions, CacheStats, CachingRepository};
pub use repository::locking::{DEFAULT_LOCK_TIMEOUT, Locked, LockingRepository};
pub use repository::state_stored::StateStoredRepository;
pub use repository::{Repository, UpdateError};
pub use retry::RetryPolicy;
pub use root::{AggregateRoot, PendingEvent};
pub use snapshot::{
    InMemorySnapshotStore, Snapshot, SnapshotMode, SnapshotPolicy, SnapshotStore, Snapshottable,
};
#[cfg(feature = "postgres")]
pub use store::postgres::{PostgresConfig, PostgresEventStore, PostgresSnapshotStore};
#[cfg(feature = "sqlite")]
pub use store::sqlite::{SqliteEventStore, SqliteSnapshotStore};
pub use store::{EventStore, ExpectedVersion, InMemoryEventStore, RecordedEvent, StreamId};
pub use subscription::Projection;

/// Derives [`Aggregate`] for a struct or enum holding an aggregate's state.
///
/// ```text
/// #[derive(Aggregate, Default)]
/// #[aggregate(
///     name = "Task",                 // stored aggregate type; default: the type's name
///     id = Uuid,                     // id type; default: Uuid
///     events(TaskCreated, TaskDone), // required, at least one
///     event_enum = TaskEvent,        // generated enum's name; default: <Type>Event
///     snapshot(version = 1),         // opt in to snapshots; see below
///     crate = "es",                  // the crate's path; see "A renamed dependency" below
/// )]
/// ```
///
/// It generates the event enum, `From` each listed event into it, the stored-name
/// decoding, and the apply dispatch to the `#[apply]` handlers, with compile-time checks.
///
/// `snapshot(version = N)` implements [`Snapshottable`]: the aggregate itself is stored,
/// so it derives `Serialize` and `Deserialize`. `snapshot(version = N, with = T)` stores
/// `T` instead, a compact form of the state, through `From<&Task> for T` and
/// `From<T> for Task`, which you write. Raise `N` whenever the stored form changes: older
/// snapshots are then ignored and aggregates replayed from their events.
///
/// ```
/// use eventsource::prelude::*;
/// # #[event] pub struct Tagged { pub tag: String }
///
/// #[derive(Aggregate, Default)]
/// #[aggregate(events(Tagged), snapshot(version = 2, with = TagsSnapshot))]
/// pub struct Tags { tags: Vec<String>, last: Option<String> }
/// # #[apply] impl Tags { fn tagged(&mut self, e: &Tagged) { self.tags.push(e.tag.clone()); self.last = Some(e.tag.clone()); } }
///
/// /// Only the tags: `last` is derived from them.
/// #[derive(Serialize, Deserialize)]
/// pub struct TagsSnapshot(Vec<String>);
///
/// impl From<&Tags> for TagsSnapshot {
///     fn from(tags: &Tags) -> Self { TagsSnapshot(tags.tags.clone()) }
/// }
///
/// impl From<TagsSnapshot> for Tags {
///     fn from(TagsSnapshot(tags): TagsSnapshot) -> Self {
///         Tags { last: tags.last().cloned(), tags }
///     }
/// }
/// ```
///
/// # A renamed dependency
///
/// The expansions name this crate `::eventsource`. Under another name
/// (`es = { package = "eventsource", ... }` in `Cargo.toml`), give every macro its path
/// as a string, as serde's `crate` attribute takes it: `#[aggregate(crate = "es", ...)]`,
/// `#[event(crate = "es")]`, `#[apply(crate = "es")]`, `#[projection(crate = "es")]`. A
/// plain name is an extern crate (`::es`); a path starting with `crate::`, `self::` or
/// `super::` reaches a re-export in your crate. The prelude's `Serialize` and
/// `Deserialize` derives take no such path: with a renamed dependency derive
/// `es::serde::Serialize` and `es::serde::Deserialize` with `#[serde(crate = "es::serde")]`.
pub use eventsource_derive::Aggregate;

/// Marks a struct or enum as a domain event: `#[event]` or
/// `#[event(name = "TaskCreated", version = 2, upcast_from(TaskCreatedV1))]`.
///
/// It derives serde's `Serialize` and `Deserialize` (no serde dependency needed), and
/// `Debug`, `Clone` and `PartialEq` unless the type derives them already, and implements
/// [`DomainEvent`] with the stored name (default: the type's name) and schema version
/// (default: 1).
///
/// ```text
/// #[event(
///     name = "TaskCompleted",          // stored name; default: the type's name
///     version = 3,                     // schema version; default: 1
///     upcast_from(V1, V2),             // the older shapes, one per older version
///     upcast_json = fix_old_rows,      // fn(&mut JsonEvent) -> Result<(), BoxError>
///     aliases("TaskDone"),             // names it was stored under before
///     retired,                         // read, never written
///     crate = "es",                    // the crate's path; see `Aggregate`
/// )]
/// #[event(name = "TaskCompleted", version = 1, upcast_to = V2)]   // an older shape
/// ```
///
/// See [`evolution`] for what each does.
pub use eventsource_derive::event;

/// Turns each function of an inherent `impl` block into the handler of the event it
/// borrows: `fn name(&mut self, event: &E)`. Every function in the block must have that
/// signature; put helpers in another `impl` block.
///
/// Its only argument is `#[apply(crate = "es")]`, for a renamed dependency (see
/// [`Aggregate`](macro@Aggregate)).
pub use eventsource_derive::apply;

/// Implements [`Projection`] for the type of an inherent `impl` block whose functions are
/// its handlers; the block itself stays as written.
///
/// ```
/// use eventsource::prelude::*;
/// use eventsource::subscription::EventEnvelope;
/// # #[event] pub struct TaskCreated { pub title: String }
/// # #[event] pub struct TaskCompleted;
/// # #[event] pub struct TaskArchived;
///
/// #[derive(Default)]
/// pub struct TaskBoard { open: usize, titles: Vec<String>, last_position: u64 }
///
/// #[projection(name = "task_board")]
/// impl TaskBoard {
///     fn created(&mut self, event: &TaskCreated, envelope: &EventEnvelope) {
///         self.open += 1;
///         self.titles.push(event.title.clone());
///         self.last_position = envelope.position;
///     }
///
///     async fn completed(&mut self, _: &TaskCompleted) -> Result<(), std::io::Error> {
///         self.open = self.open.checked_sub(1).ok_or(std::io::ErrorKind::InvalidData)?;
///         Ok(())
///     }
/// }
///
/// assert_eq!(TaskBoard::NAME, "task_board");
/// assert_eq!(TaskBoard::EVENT_TYPES, ["TaskCreated", "TaskCompleted"]);
/// ```
///
/// - Each function of the block is a handler: `fn name(&mut self, event: &E)` or
///   `fn name(&mut self, event: &E, envelope: &EventEnvelope)`, plain or `async`,
///   returning nothing, `()` or `Result<(), Err>` for any `Err` that converts into
///   [`BoxError`]. `E` is an [`#[event]`](macro@event) type of any aggregate; the
///   [`EventEnvelope`](subscription::EventEnvelope) is the stored record (stream, version,
///   position, metadata). Put helper functions in another `impl` block.
/// - `handle` runs the handler whose event's stored name is the record's event type, after
///   decoding the payload; an event without a handler is passed over, its payload not
///   even decoded. A payload that does not decode is
///   [`HandleError::Decode`](subscription::HandleError::Decode), a handler's error
///   [`HandleError::Handler`](subscription::HandleError::Handler).
/// - `name = "..."` is [`Projection::NAME`], the name its checkpoint is kept under; by
///   default the type's name as written in `impl` (`TaskBoard`, without a module path).
///   [`Projection::EVENT_TYPES`] lists the handlers' events in block order.
///
/// Checked at compile time, each reported at the token at fault: every handler has one of
/// the signatures above (`&mut self`, the event and the envelope borrowed, no type
/// parameters, no further parameters); its event is an `#[event]` type and its return type
/// one of the above; no two handlers are for the same event, or for events with the same
/// stored name; the block has at least one handler, is inherent and not generic; the
/// attribute takes only `name`, once, as a non-empty string, and the keys below.
///
/// # Read models in the store's database: `sqlite` and `postgres`
///
/// With the flag `sqlite`, the macro implements
/// [`SqliteProjection`](subscription::SqliteProjection) instead: the read model is in the
/// SQLite database of the event store, and each handler writes it inside the transaction
/// that also moves the checkpoint, so an event takes effect exactly once. Handlers are
/// `fn name(&mut self, event: &E, envelope: &EventEnvelope, tx: &Transaction<'_>)`, with
/// [`store::sqlite::rusqlite`]'s `Transaction`, the envelope and the
/// transaction both required, returning an outcome as above; they run on the database's
/// thread, so they cannot be `async`. `clear = method` names a method of the type, in
/// another `impl` block, `fn(&mut self, tx: &Transaction<'_>)` returning an outcome, that
/// empties the read model for a rebuild; without it, `clear` does nothing.
///
/// ```rust
/// use eventsource::prelude::*;
/// use eventsource::store::sqlite::rusqlite::{self, Transaction};
/// use eventsource::subscription::EventEnvelope;
/// # #[event] pub struct TaskCreated { pub title: String }
///
/// pub struct TaskTitles;
///
/// #[projection(name = "task_titles", sqlite, clear = clear_titles)]
/// impl TaskTitles {
///     fn created(
///         &mut self,
///         event: &TaskCreated,
///         envelope: &EventEnvelope,
///         tx: &Transaction<'_>,
///     ) -> Result<(), rusqlite::Error> {
///         tx.execute(
///             "INSERT INTO task_titles (id, title) VALUES (?1, ?2)",
///             (&envelope.stream.aggregate_id, &event.title),
///         )?;
///         Ok(())
///     }
/// }
///
/// impl TaskTitles {
///     fn clear_titles(&mut self, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
///         tx.execute("DELETE FROM task_titles", [])?;
///         Ok(())
///     }
/// }
///
/// use eventsource::subscription::SqliteProjection;
/// assert_eq!(<TaskTitles as SqliteProjection>::NAME, "task_titles");
/// ```
///
/// With the flag `postgres` (feature `postgres`), the macro implements
/// [`PostgresProjection`](subscription::PostgresProjection) the same way, with
/// [`store::postgres::tokio_postgres`]'s `Transaction`; handlers and the
/// `clear` method may be plain or `async`.
///
/// ```rust,ignore
/// use eventsource::store::postgres::tokio_postgres::{self, Transaction};
///
/// #[projection(name = "task_titles", postgres, clear = clear_titles)]
/// impl TaskTitles {
///     async fn created(
///         &mut self,
///         event: &TaskCreated,
///         envelope: &EventEnvelope,
///         tx: &Transaction<'_>,
///     ) -> Result<(), tokio_postgres::Error> {
///         tx.execute(
///             "INSERT INTO task_titles (id, title) VALUES ($1, $2)",
///             &[&envelope.stream.aggregate_id, &event.title],
///         )
///         .await?;
///         Ok(())
///     }
/// }
///
/// impl TaskTitles {
///     async fn clear_titles(&mut self, tx: &Transaction<'_>) -> Result<(), tokio_postgres::Error> {
///         tx.execute("DELETE FROM task_titles", &[]).await?;
///         Ok(())
///     }
/// }
/// ```
///
/// Checked at compile time besides the above: at most one flag, once; `clear` only with a
/// flag, naming a method of the type outside the block (a missing one is reported at the
/// name); every handler takes the transaction; no `async` handler in `sqlite` mode.
///
/// `#[projection(crate = "es")]` is for a renamed dependency (see
/// [`Aggregate`](macro@Aggregate)).
pub use eventsource_derive::projection;

/// The names most programs need.
pub mod prelude {
    #[cfg(feature = "sqlite")]
    pub use crate::SqliteEventStore;
    pub use crate::{
        Aggregate, AggregateRoot, CachingRepository, DomainEvent, EventContext, EventStore,
        ExpectedVersion, InMemoryEventBus, InMemoryEventStore, InMemorySnapshotStore,
        LockingRepository, Projection, Repository, SnapshotMode, SnapshotPolicy, UpdateError,
        apply, event, projection,
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
}

/// The serde version eventsource is built with. The prelude's `Serialize` and
/// `Deserialize` derives go through it; a generic type, which they refuse, derives
/// serde's own through it: `#[derive(eventsource::serde::Serialize)]` with
/// `#[serde(crate = "eventsource::serde")]`.
pub use serde;

/// The serde_json version eventsource is built with: a JSON upcaster
/// (`#[event(upcast_json = f)]`) edits a [`serde_json::Value`] without a serde_json
/// dependency of its own.
pub use serde_json;

/// What the macros' expansions use. Not a public API.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
