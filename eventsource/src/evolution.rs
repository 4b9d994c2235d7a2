//! Changing events safely: what a stored event's schema can become, and how old rows keep
//! being read.
//!
//! Stored events are facts: they are never rewritten. Every row keeps the name and schema
//! version it was written with, and the code that reads it decides how to turn it into
//! today's type. Decoding goes the same way wherever it happens: on
//! [`Repository::load`](crate::Repository::load), after a snapshot, in a
//! [`Projection`](crate::Projection) fed by a subscription, on the
//! [`InMemoryEventBus`](crate::bus::InMemoryEventBus).
//!
//! # Changes that need nothing
//!
//! serde already tolerates some changes, with no new version and no upcaster:
//!
//! - adding a field that old rows do not have, with `#[serde(default)]` (or an `Option`,
//!   which reads a missing field as `None`);
//! - removing a field: the old rows' value is ignored (unless the event says
//!   `#[serde(deny_unknown_fields)]`).
//!
//! ```
//! use eventsource::prelude::*;
//! use eventsource::aggregate::EventSet;
//!
//! #[event]
//! pub struct TaskCompleted {
//!     pub by: String,
//!     /// Added later: rows written before read as 0.
//!     #[serde(default)]
//!     pub minutes: u32,
//!     // `note` was removed: old rows still carry it, and it is ignored.
//! }
//!
//! # #[derive(Aggregate, Default)]
//! #
//! # pub struct Task { done: bool }
//! # #[apply] impl Task { fn completed(&mut self, _: &TaskCompleted) { self.done = true; } }
//! let old_row = r#"{"by":"ann","note":"finally"}"#;
//! let event = TaskEvent::decode("TaskCompleted", 1, old_row).unwrap();
//! assert_eq!(
//!     event,
//!     TaskEvent::TaskCompleted(TaskCompleted { by: "ann".into(), minutes: 0 })
//! );
//! ```
//!
//! # Changes that need a new version: typed upcasting
//!
//! Renaming a field, changing its type or its meaning needs a new schema version. The
//! current type says its version and lists the shapes of the older ones; each older shape
//! is a plain type with the fields of its version, marked with the version it was and the
//! type it becomes (`upcast_to`), converted by `From` (or `TryFrom`, when the conversion
//! can fail: its error fails the load with [`DecodeError::Upcast`](crate::error::DecodeError::Upcast)).
//! A version 1 row is read as the version 1 shape and converted up, one `upcast_to` link
//! at a time; current rows are read directly.
//!
//! ```
//! use eventsource::prelude::*;
//! use eventsource::aggregate::EventSet;
//!
//! #[event(name = "TaskCompleted", version = 1, upcast_to = TaskCompletedV2)]
//! pub struct TaskCompletedV1 { pub completed_by: Uuid }
//!
//! #[event(name = "TaskCompleted", version = 2, upcast_to = TaskCompleted)]
//! pub struct TaskCompletedV2 { pub completed_by: Uuid, pub minutes: Option<u32> }
//!
//! #[event(name = "TaskCompleted", version = 3, upcast_from(TaskCompletedV1, TaskCompletedV2))]
//! pub struct TaskCompleted { pub completed_by: Uuid, pub minutes: u32 }
//!
//! impl From<TaskCompletedV1> for TaskCompletedV2 {
//!     fn from(v1: TaskCompletedV1) -> Self {
//!         TaskCompletedV2 { completed_by: v1.completed_by, minutes: None }
//!     }
//! }
//!
//! impl From<TaskCompletedV2> for TaskCompleted {
//!     fn from(v2: TaskCompletedV2) -> Self {
//!         TaskCompleted { completed_by: v2.completed_by, minutes: v2.minutes.unwrap_or(0) }
//!     }
//! }
//!
//! # #[derive(Aggregate, Default)]
//! #
//! # pub struct Task { done: bool }
//! # #[apply] impl Task { fn completed(&mut self, _: &TaskCompleted) { self.done = true; } }
//! let v1 = format!(r#"{{"completed_by":"{}"}}"#, Uuid::nil());
//! assert_eq!(
//!     TaskEvent::decode("TaskCompleted", 1, &v1).unwrap(),
//!     TaskEvent::TaskCompleted(TaskCompleted { completed_by: Uuid::nil(), minutes: 0 })
//! );
//! ```
//!
//! The macros check at compile time that the chain is whole: an event at version `N > 1`
//! reads its older versions (`upcast_from(...)` with one shape for each of versions 1 to
//! `N − 1`, or an `upcast_json` function); no two shapes claim one version; every listed
//! shape is stored under the event's name (or an alias), is older than the event, and its
//! `upcast_to` links lead to the event through newer versions, each with its conversion.
//! An older shape is never written and never handled itself: an aggregate's or a
//! projection's handler names the current event, which reads the older rows.
//!
//! A stored version newer than the code knows fails with
//! [`DecodeError::NewerSchemaVersion`](crate::error::DecodeError::NewerSchemaVersion), inside an
//! [`Error::Decode`](crate::Error::Decode) that names the stream, the version and the
//! event type.
//!
//! # What types cannot say: the JSON upcaster
//!
//! A value that was kept in the metadata, a field taken from elsewhere: an
//! `upcast_json = f` function edits an older row as JSON, with the row's stored metadata
//! at hand, and sets the schema version it produced. It runs before the typed chain, so
//! both can be used together: what it leaves at an older version goes through
//! `upcast_from(...)`. Its error fails the load with
//! [`DecodeError::JsonUpcast`](crate::error::DecodeError::JsonUpcast).
//!
//! ```
//! use eventsource::prelude::*;
//! use eventsource::{error::BoxError, evolution::JsonEvent};
//!
//! /// Version 1 kept the author in the metadata, as `extra["user"]`.
//! #[event(version = 2, upcast_json = author_from_metadata)]
//! pub struct NoteWritten { pub text: String, pub author: String }
//!
//! fn author_from_metadata(event: &mut JsonEvent<'_>) -> Result<(), BoxError> {
//!     let author = event.metadata.extra.get("user").ok_or("no `user` in the metadata")?;
//!     event.payload["author"] = author.clone().into();
//!     event.schema_version = 2;
//!     Ok(())
//! }
//! ```
//!
//! An aggregate with such an event is loaded from whole stored records (with their
//! metadata) rather than from payloads only; [`EventSet::decode`](crate::aggregate::EventSet::decode),
//! which has no metadata, fails on its older rows with
//! [`DecodeError::MetadataUnavailable`](crate::error::DecodeError::MetadataUnavailable).
//!
//! # Renaming an event
//!
//! `aliases(...)` lists the names an event was stored under before: those rows are read
//! as the event, new ones are written under its name, and every list of names a
//! subscription filters by ([`EventSet::EVENT_TYPES`](crate::aggregate::EventSet::EVENT_TYPES),
//! [`Projection::EVENT_TYPES`](crate::Projection::EVENT_TYPES)) holds the aliases too.
//!
//! ```
//! use eventsource::prelude::*;
//!
//! #[event(name = "TaskFinished", aliases("TaskCompleted"))]
//! pub struct TaskFinished { pub by: Uuid }
//! ```
//!
//! Two events of one aggregate (or one projection) sharing a name or an alias is a
//! compile-time error.
//!
//! # Retiring an event
//!
//! An event the domain no longer produces is still in old streams. `#[event(retired)]`
//! keeps it readable (applied by its `#[apply]` handler) and never written:
//! a command returning it does not compile, and a save holding it (through the event
//! enum's variant) fails with [`Error::RetiredEvent`](crate::Error::RetiredEvent), writing
//! nothing.
//!
//! ```compile_fail
//! use eventsource::prelude::*;
//!
//! #[event(retired)]
//! pub struct TaskArchived;
//!
//! #[derive(Aggregate, Default)]
//! pub struct Task { archived: bool }
//! #[apply] impl Task { fn archived(&mut self, _: &TaskArchived) { self.archived = true; } }
//!
//! let mut task = AggregateRoot::<Task>::new(Uuid::nil());
//! task.execute(|_| Ok::<_, String>(TaskArchived)); // error: `TaskArchived` is retired
//! ```
//!
//! # One stored event read as several
//!
//! Not supported, on purpose: an aggregate's version counts its stored events, and
//! optimistic concurrency, snapshots and `load_at` all rely on "version `n` is the `n`-th
//! stored event". One row read as two events would give a stream two versions for one
//! row. Split an event by letting the current type carry both facts (an enum, or a struct
//! with both parts) and applying both in its handler; new code then writes the two events
//! it wants.
//!
//! # Codecs
//!
//! Payloads are JSON unless a repository writes with another [`Codec`](crate::Codec)
//! ([`Repository::with_codec`](crate::Repository::with_codec); MessagePack with the
//! `msgpack` feature). Each stored row records its codec and is read by it, so the rules
//! above hold for every row: a MessagePack row of an older version goes through the
//! typed chain by its codec, and a JSON upcaster sees it as a JSON value.

pub use crate::event::{JsonEvent, OlderPayload, decode_event, decode_stored};
