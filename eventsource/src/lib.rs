#![doc = include_str!("crate-docs.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate self as eventsource;

// The layers, lowest first; a module's code imports only from lower layers:
// time, stream, error, future, retry; event, codec; store (records, the EventStore trait,
// the backends); aggregate, root; snapshot (the repository side); publish, bus;
// repository; subscription; testing and testkit (over all of them). `__private` (private.rs)
// is what the macros' expansions name.
pub mod aggregate;
mod applied;
pub mod bus;
pub mod codec;
pub mod error;
mod event;
pub mod evolution;
mod future;
mod hash;
mod id;
pub mod lock;
mod publish;
pub mod repository;
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

// The root: what a program names. Everything else is in one public module above, at one
// path each (see "Where things are" in the crate docs).
pub use aggregate::into_events::IntoEvents;
pub use aggregate::traits::Aggregate;
pub use codec::format::Codec;
pub use error::failure::{Error, Result};
pub use event::{DomainEvent, EventContext, EventMetadata};
pub use future::BoxFuture;
pub use repository::caching::CachingRepository;
pub use repository::event_sourced::{Repository, UpdateError};
pub use repository::locking::LockingRepository;
pub use repository::state_stored::StateStoredRepository;
pub use retry::RetryPolicy;
pub use root::AggregateRoot;
pub use store::contract::EventStore;
pub use store::memory::InMemoryEventStore;
#[cfg(feature = "postgres")]
pub use store::postgres::store::PostgresEventStore;
pub use store::record::RecordedEvent;
#[cfg(feature = "sqlite")]
pub use store::sqlite::store::SqliteEventStore;
pub use stream::{ExpectedVersion, StreamId};
pub use subscription::projection::Projection;

/// Derives [`Aggregate`] for a struct or enum holding an aggregate's state, with the
/// handlers of its one `#[apply]` block (see [`apply`](macro@apply)): the handlers are the
/// aggregate's events.
///
/// ```text
/// #[derive(Aggregate, Default)]
/// #[aggregate(// optional: every key has a default
///     name = "Task",                 // stored aggregate type; default: the type's name
///     id = Uuid,                     // id type; default: Uuid
///     snapshot(version = 1),         // opt in to snapshots; see below
///     crate = "es",                  // the crate's path; see "A renamed dependency" below
/// )]
/// ```
///
/// A struct that derives `Aggregate` without an `#[apply]` block in its module is a
/// compile error at the derive, which says what to add.
///
/// `snapshot(version = N)` implements [`Snapshottable`](snapshot::Snapshottable): the aggregate itself is stored,
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
/// #[aggregate(snapshot(version = 2, with = TagsSnapshot))]
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
/// as a string, as serde's `crate` attribute takes it: `#[aggregate(crate = "es")]`,
/// `#[event(crate = "es")]`, `#[apply(crate = "es")]`, `#[projection(crate = "es")]`. A
/// plain name is an extern crate (`::es`); a path starting with `crate::`, `self::` or
/// `super::` reaches a re-export in your crate. The prelude's `Serialize` and
/// `Deserialize` derives take serde's own spelling of it: `#[serde(crate = "es::serde")]`.
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

/// The handlers of an aggregate, and so its events: each function of the inherent `impl`
/// block is the handler of the event it borrows, `fn name(&mut self, event: &E)`. Every
/// function in the block must have that signature; put helpers in another `impl` block.
///
/// The block is the one list of the aggregate's events. It generates the event enum
/// (`pub enum TaskEvent`, one variant per handled event, named by the event type), the
/// stored names and their decoding (aliases and older versions included), the apply
/// dispatch, and what a command may return: exactly the handled events, except a retired
/// one (`#[event(retired)]`), which is read from stored streams but never emitted.
///
/// ```
/// use eventsource::prelude::*;
/// # #[event] pub struct TaskCreated { pub title: String }
/// # #[event] pub struct TaskCompleted;
///
/// #[derive(Aggregate, Default)]
/// pub struct Task { title: String, done: bool }
///
/// #[apply]
/// impl Task {
///     fn created(&mut self, event: &TaskCreated) { self.title = event.title.clone(); }
///     fn completed(&mut self, _: &TaskCompleted) { self.done = true; }
/// }
///
/// let event: TaskEvent = TaskCompleted.into();
/// assert!(matches!(event, TaskEvent::TaskCompleted(_)));
/// ```
///
/// One block per aggregate, in the module of the struct. The enum is `pub` whatever the
/// struct's visibility: it is the aggregate's [`Aggregate::Event`], which must be at least
/// as visible as the aggregate, and the block cannot see the struct's visibility.
///
/// ```text
/// #[apply(
///     event_enum = TaskEvent,  // the generated enum's name; default: <Type>Event
///     crate = "es",            // the crate's path, for a renamed dependency (see `Aggregate`)
/// )]
/// ```
pub use eventsource_derive::apply;

/// Implements [`Projection`] for the type of an inherent `impl` block whose functions are
/// its handlers; the block itself stays as written.
///
/// ```
/// use eventsource::prelude::*;
/// use eventsource::RecordedEvent;
/// # #[event] pub struct TaskCreated { pub title: String }
/// # #[event] pub struct TaskCompleted;
/// # #[event] pub struct TaskArchived;
///
/// #[derive(Default)]
/// pub struct TaskBoard { open: usize, titles: Vec<String>, last_position: u64 }
///
/// #[projection(name = "task_board")]
/// impl TaskBoard {
///     fn created(&mut self, event: &TaskCreated, record: &RecordedEvent) {
///         self.open += 1;
///         self.titles.push(event.title.clone());
///         self.last_position = record.position;
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
///   `fn name(&mut self, event: &E, record: &RecordedEvent)`, plain or `async`,
///   returning nothing, `()` or `Result<(), Err>` for any `Err` that converts into
///   [`BoxError`](error::BoxError). `E` is an [`#[event]`](macro@event) type of any aggregate; the
///   [`RecordedEvent`] is the stored record (stream, version,
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
/// the signatures above (`&mut self`, the event and the record borrowed, no type
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
/// `fn name(&mut self, event: &E, record: &RecordedEvent, tx: &Transaction<'_>)`, with
/// [`store::sqlite::rusqlite`]'s `Transaction`, the record and the
/// transaction both required, returning an outcome as above; they run on the database's
/// thread, so they cannot be `async`. `clear = method` names a method of the type, in
/// another `impl` block, `fn(&mut self, tx: &Transaction<'_>)` returning an outcome, that
/// empties the read model for a rebuild; without it, `clear` does nothing.
///
/// ```rust
/// use eventsource::prelude::*;
/// use eventsource::store::sqlite::rusqlite::{self, Transaction};
/// use eventsource::RecordedEvent;
/// # #[event] pub struct TaskCreated { pub title: String }
///
/// pub struct TaskTitles;
///
/// #[projection(name = "task_titles", sqlite, clear = clear_titles)]
/// impl TaskTitles {
///     fn created(
///         &mut self,
///         event: &TaskCreated,
///         record: &RecordedEvent,
///         tx: &Transaction<'_>,
///     ) -> Result<(), rusqlite::Error> {
///         tx.execute(
///             "INSERT INTO task_titles (id, title) VALUES (?1, ?2)",
///             (&record.stream.aggregate_id, &event.title),
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
///         record: &RecordedEvent,
///         tx: &Transaction<'_>,
///     ) -> Result<(), tokio_postgres::Error> {
///         tx.execute(
///             "INSERT INTO task_titles (id, title) VALUES ($1, $2)",
///             &[&record.stream.aggregate_id, &event.title],
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

pub mod prelude;

/// The serde version eventsource is built with. The prelude's `Serialize` and
/// `Deserialize` derives go through it, for plain and generic types alike; serde's own
/// derives are reached through it too: `#[derive(eventsource::serde::Serialize)]` with
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
