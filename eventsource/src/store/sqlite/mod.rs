//! The SQLite event store: embedded, in a file or in memory (feature `sqlite`, on by
//! default; SQLite is compiled into the program, no system library is needed).
//!
//! ```
//! use eventsource::prelude::*;
//! use eventsource::SqliteEventStore;
//!
//! #[event]
//! pub struct Deposited { pub cents: u64 }
//!
//! #[derive(Aggregate, Debug, Default)]
//! pub struct Account { pub balance: u64 }
//!
//! #[apply]
//! impl Account {
//!     fn deposited(&mut self, e: &Deposited) { self.balance += e.cents; }
//! }
//!
//! # async fn run() -> eventsource::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("bank.db");
//! let id = Uuid::now_v7();
//! {
//!     let repo = Repository::<Account, _>::new(SqliteEventStore::open(&path).await?);
//!     let mut account = repo.create_new(id);
//!     account.record(Deposited { cents: 250 });
//!     repo.save(&mut account).await?;
//! }
//! // Another store on the same file (or the same program run again) sees the events.
//! let repo = Repository::<Account, _>::new(SqliteEventStore::open(&path).await?);
//! assert_eq!(repo.load(id).await?.balance, 250);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! # Durability
//!
//! The database runs in WAL mode. After any crash (the process killed, the machine losing
//! power) the database is intact and holds every append whole or not at all. Whether the
//! most recent appends survive depends on [`Synchronous`]: with the default,
//! [`Synchronous::Full`], an append that returned `Ok` is on the disk; with
//! [`Synchronous::Normal`] it survives the process being killed but not an
//! operating-system crash or a power loss before the next checkpoint. An in-memory database
//! keeps nothing once the last handle is dropped.
//!
//! # Concurrency
//!
//! Several stores (in one process or many) may open the same file. Each append runs in a
//! `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock before it reads the
//! stream's version, so two writers at one expected version can never both succeed; the
//! unique index on (stream, version) backs this. Readers never block the writer and never
//! see part of an append; feed positions increase in commit order, as SQLite commits one
//! write transaction at a time.
//!
//! # Group commit
//!
//! Appends that reach a store at the same moment (from concurrent tasks) share one
//! transaction and one commit: under [`Synchronous::Full`] one flush to the disk serves
//! them all. Each append keeps its own version check, its own outcome and its own error:
//! it runs under a savepoint of its own, and one that fails is rolled back alone. Callers
//! are answered only after the commit; should it fail, none of the group's appends is
//! stored and each of their callers gets the error. Nothing waits to form a group (it is
//! whatever queued while the previous commit ran), so a single writer pays nothing for
//! it. Appends group on the default [`Threading::DedicatedThread`]; on
//! [`Threading::SpawnBlocking`] each commits alone.
//!
//! An append whose caller stops waiting (its future dropped) once the request reached the
//! connection's queue still runs, and commits whole or not at all: whether it was stored
//! is found by reading the stream, or by appending the same events again (a retry with
//! the same event ids is recognised and not stored twice).
//!
//! # Threads
//!
//! SQLite calls block, so none runs on the async runtime: by default each connection has a
//! thread of its own ([`Threading::DedicatedThread`]) that runs requests in order; a file
//! database has one writing and two reading connections. Waking a sleeping thread costs
//! about as much as an append at [`Synchronous::Normal`], so after each request the
//! thread looks for the next one for 50 µs before it sleeps, and a caller whose request
//! is the only one queued, on a connection whose recent requests took less than 60 µs,
//! looks for its answer for up to 60 µs before it awaits it (on machines of more than one
//! core). [`Threading::SpawnBlocking`] runs
//! them on tokio's blocking pool instead. The dedicated threads measured faster (see the
//! `bench` example), and work on any async runtime.
//!
//! # Schema
//!
//! The store creates its tables on first open and upgrades a database made by an older
//! version of this crate; a database written by a newer version is refused with
//! [`Error::Schema`](crate::Error::Schema). Its tables, all prefixed `eventsource_`:
//!
//! - `eventsource_events`: one row per event: `position` (the global feed position),
//!   `aggregate_type`, `aggregate_id`, `version`, `event_id`, `event_type`,
//!   `schema_version`, `payload` (JSON text), `correlation_id`, `causation_id`, `extra`
//!   (JSON object), `occurred_at` (microseconds since the Unix epoch), `codec` (the
//!   codec that wrote the payload: `json`, or `msgpack` with the bytes in
//!   `payload_binary`); unique on
//!   (stream, version) and on (stream, event id). A stream's current version is one
//!   descent of the (stream, version) index to the stream's last entry, the same cost as a
//!   lookup in a table of streams, without a second table to write on every append. Rows
//!   are never deleted (a trigger refuses it), so a feed position is never reused;
//! - `eventsource_snapshots`: one snapshot per aggregate (see [`SqliteSnapshotStore`]);
//! - `eventsource_checkpoints` and `eventsource_parked`: each subscription's checkpoint and
//!   the events it parked ([`SubscriptionStore`](crate::store::SubscriptionStore));
//! - `eventsource_migrations`: the schema versions applied.

mod config;
mod connection;
mod error;
mod events;
mod group;
mod locks;
mod migrations;
mod rows;
mod snapshots;
mod states;
pub(crate) mod store;
mod subscriptions;
mod transactional;
mod worker;

pub use config::{SqliteConfig, Synchronous, Threading};
pub use locks::{LOCK_FILES, SqliteLocks};
/// The SQLite client this store is built with, for transactional projections
/// ([`SqliteProjection`](crate::subscription::SqliteProjection)).
pub use rusqlite;
pub use snapshots::SqliteSnapshotStore;
pub use states::SqliteStateStore;

pub(crate) use store::SqliteEventStore;
