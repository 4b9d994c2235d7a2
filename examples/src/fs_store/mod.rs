//! # Writing your own event store
//!
//! A store for eventsource is a type that implements [`EventStore`]; snapshots are kept by
//! a type that implements [`SnapshotStore`]. This module is a complete one, kept in files
//! of a directory, written as a worked example: read it from the top.
//!
//! ## 1. The trait
//!
//! A store sees type-erased events: a [`NewEvent`](eventsource::store::NewEvent) is a
//! type name, a schema version, a JSON payload and [`EventMetadata`](eventsource::EventMetadata)
//! (event id, time, correlation, causation, extra pairs). Four methods are required:
//!
//! - `append(stream, expected, events)`: store the batch, returning the
//!   [`RecordedEvent`](eventsource::RecordedEvent)s with their version in the stream and
//!   their position in the global feed;
//! - `read_stream(stream, after_version)` and `stream_version(stream)`;
//! - `read_all(after_position, limit)`: the global feed, in position order.
//!
//! The others have defaults: `replay_stream` (loading aggregates) reads the stream,
//! `read_feed` (subscriptions) wraps `read_all`, `head_position` pages through the feed
//! and `append_signal` is `None`, so subscriptions poll. Override them when the store can
//! do better: this one answers `head_position` from its index, hands over an unreadable
//! line as [`FeedEntry::Unreadable`](eventsource::store::FeedEntry::Unreadable) so that it
//! never blocks a subscription, and wakes subscriptions after appends with an
//! [`AppendNotifier`](eventsource::store::AppendNotifier).
//!
//! ## 2. The rules
//!
//! The trait's documentation states them; the ones that take care:
//!
//! - **All or nothing.** A batch is stored whole or not at all, also across a crash.
//! - **Optimistic concurrency.** Append only when the stream's version satisfies the
//!   [`ExpectedVersion`](eventsource::ExpectedVersion); otherwise
//!   [`Error::Conflict`](eventsource::Error::Conflict) with the actual version. Of two
//!   writers at one version exactly one wins: the check and the write are one step.
//! - **Idempotent retries.** A batch whose event ids are all stored, at the versions the
//!   batch would take, succeeds as `already_stored` and writes nothing; a batch that only
//!   partly matches is [`Error::DuplicateEventId`](eventsource::Error::DuplicateEventId).
//! - **A gap-free, ordered feed.** Positions increase strictly in commit order, as readers
//!   see them: a reader never sees position 8 before 7 is readable.
//! - **Bad data is a typed error**, never a panic: a damaged file names itself.
//!
//! [`eventsource::store::backend`] has the version check, the event-id rule
//! (`classify_batch`) and the record building, written once; use them, as every built-in
//! store does, and those rules hold by construction.
//!
//! ## 3. The kit
//!
//! The rules are checked by the conformance kit, [`eventsource::testkit`] (feature
//! `testkit`, a dev-dependency): the cases every built-in store passes. A store is done
//! when it passes all of them unchanged. Its test file is three macro calls, each given an
//! async expression that yields a fresh store (here, in a temporary directory):
//!
//! ```ignore
//! eventsource::event_store_conformance!(async { Some(fresh_store().await) });
//! eventsource::snapshot_store_conformance!(async { Some(fresh_store().await.snapshot_store()) });
//! eventsource::snapshot_behaviour_conformance!(async {
//!     let store = fresh_store().await;
//!     Some((store.clone(), store.snapshot_store()))
//! });
//! ```
//!
//! This module's own run is `examples/tests/fs_store.rs`; a failing case names the rule
//! in its name and its assertion. Its other tests truncate and garble the log, and hold
//! the directory open from a second process.
//!
//! ## 4. This store
//!
//! ```text
//! <dir>/LOCK                 held while the store is open
//! <dir>/events.log           every event, in feed order, one line each
//! <dir>/snapshots/<stream>   the newest snapshot of each stream
//! ```
//!
//! - **The log** (`log.rs`, `line.rs` and `frame.rs` in the source) is append-only. A line
//!   is a checksum, a space and a JSON document of one event, with its stream, version,
//!   position, and its place in its batch ("line 2 of 3"). An append writes the batch's
//!   lines in one write and syncs the file before it returns.
//! - **The index** (`index.rs`, rebuilt by `recovery.rs`) maps feed positions and stream versions to byte offsets in the log.
//!   It lives in memory and is rebuilt by reading the log on open: with the log the only
//!   file written, there is no second file to keep consistent with it after a crash.
//!   Reads go to the file at the offsets, and check each line's checksum again.
//! - **Crash safety.** A crash mid-append leaves a last line without its line feed, with a
//!   wrong checksum, or a batch without its last line. Opening the store detects that
//!   tail and cuts the log back to the last whole batch ([`FsEventStore::recovered_bytes`]
//!   says how much). A damaged line anywhere else, or lines that do not follow each other
//!   (a position or version skipped), is not a torn write: opening fails with
//!   [`FsError::Corrupt`] naming the file and the byte, and the log is left untouched.
//!   (A damaged last line cannot be told from a torn one: it is cut as one.)
//! - **Concurrency.** Within the process one lock orders appends: the version and id
//!   checks and the write happen under it, which gives the one-winner and stored-once
//!   rules. Across processes, the `LOCK` file (an exclusive OS file lock) lets one store
//!   at a time open the directory: a second [`FsEventStore::open`], in another process or
//!   in this one, fails with [`FsError::Locked`] until the first store and its clones are
//!   dropped (or its process ends, also by a crash). So several processes never write or
//!   read one directory at once; share a store between processes through one that owns it,
//!   or use the SQLite or PostgreSQL store.
//! - **Snapshots** ([`FsSnapshotStore`]) are one file per stream, replaced by writing a
//!   new file, syncing it and renaming it over the old one.
//!
//! ```no_run
//! use eventsource::prelude::*;
//! use eventsource_examples::fs_store::FsEventStore;
//! use eventsource_examples::task::Task;
//!
//! # async fn run() -> eventsource::Result<()> {
//! let store = FsEventStore::open("./events").await?;
//! let repo = Repository::<Task, _>::new(store.clone());
//! let mut task = repo.create_new(Uuid::now_v7());
//! task.execute(|t| t.create("Write a store", "on the conformance kit"))
//!     .expect("a new task can be created");
//! repo.save(&mut task).await?;       // on disk when this returns
//! # Ok(()) }
//! ```
//!
//! [`EventStore`]: eventsource::EventStore
//! [`SnapshotStore`]: eventsource::snapshot::SnapshotStore

mod blocking;
mod error;
mod events;
mod frame;
mod index;
mod line;
mod lock;
mod log;
mod recovery;
mod snapshots;

pub use error::FsError;
pub use events::FsEventStore;
pub use snapshots::FsSnapshotStore;
