//! The PostgreSQL event store, for many processes on many machines (feature `postgres`;
//! PostgreSQL 13 or newer).
//!
//! ```no_run
//! # async fn run() -> eventsource::Result<()> {
//! use eventsource::PostgresEventStore;
//!
//! let store = PostgresEventStore::connect("postgres://postgres@127.0.0.1:5432/app").await?;
//! let snapshots = store.snapshot_store();
//! # Ok(()) }
//! ```
//!
//! [`PostgresConfig`] sets the schema (default `eventsource`), the pool or connection
//! settings, notifications and the feed wait. The store creates its schema and tables on
//! `connect` and upgrades them with numbered migrations, under an advisory lock so that
//! processes starting together are safe; a schema written by a newer eventsource is
//! refused with [`Error::Schema`](crate::Error::Schema).
//!
//! # Tables
//!
//! In the configured schema:
//! - `events`: one row per event: `position` (the global feed position, primary key),
//!   `aggregate_type`, `aggregate_id`, `version`, `event_id`, `event_type`,
//!   `schema_version`, `payload`, `occurred_at`, `correlation_id`, `causation_id` and
//!   `metadata` (the extra pairs as a JSON object, `NULL` when there are none), `codec`
//!   (the [`Codec`](crate::Codec) that wrote the payload: `json` or `msgpack`) and
//!   `payload_binary` (a binary codec's bytes; `payload` is then empty). Unique on
//!   (stream, version), which backs the version check, and on (stream, event id), which
//!   backs the event-id rule.
//! - `streams`: each stream's current version, read in O(1); its row serialises the
//!   stream's writers.
//! - `snapshots`: one row per aggregate (see [`PostgresSnapshotStore`]).
//! - `checkpoints` and `parked`: subscriptions' checkpoints and parked events (the store
//!   is a [`SubscriptionStore`](crate::store::SubscriptionStore)).
//! - `settings` and `schema_migrations`: the store's own bookkeeping.
//!
//! `payload` is `text`, not `jsonb`, so that it comes back byte for byte (`jsonb` reorders
//! keys, drops duplicate keys and whitespace, rewrites numbers and refuses `\u0000`); an
//! undecodable payload is a decode error when it is loaded, naming the stream and version.
//! `metadata` is `json`, which keeps its text as given and can still be queried with `->>`.
//!
//! # Appends
//!
//! An append is one statement, so one round trip: it moves the stream's row in `streams`
//! to the new version *only if* the version matches the expectation (a row lock, so the
//! check holds across processes) and inserts the batch. When it writes nothing or hits a
//! stored event id, a second transaction locks the stream row, applies the shared event-id
//! rule ([`classify_batch`](crate::store::backend::classify_batch)) and reports the retry,
//! the duplicate or the [`Error::Conflict`](crate::Error::Conflict) with the version it saw under the lock. A batch
//! is written whole or not at all; one append holds at most [`BATCH_LIMIT`] (65,535)
//! events.
//!
//! # The global feed never skips
//!
//! An event's position is `(transaction id + offset) × 65,536 + its index in the batch`.
//! Transactions commit in any order, so [`read_all`](crate::EventStore::read_all) returns
//! only events of transactions below the *horizon*, the oldest transaction still running
//! when the read began (`pg_snapshot_xmin(pg_current_snapshot())`). No event can later
//! appear below it, so a reader that follows the feed in position order sees every
//! committed event once and never skips one. When events were committed above the horizon,
//! `read_all` waits, at most [`PostgresConfig::feed_wait`], until the horizon passes the
//! newest of them, so a reader sees its own writes; then it returns what is final.
//!
//! This costs writers nothing; an ordering lock held until commit would make every append
//! wait for the previous one's commit flush, losing PostgreSQL's group commit. What it
//! costs instead:
//! - Readers lag by the longest transaction holding a transaction id anywhere in the
//!   cluster, not only this store's: a long transaction or a forgotten prepared
//!   transaction holds the feed back (each read then waits up to `feed_wait`). Read-only
//!   transactions do not count.
//! - A read that finds events above the horizon polls until it passes them (1 ms, then up
//!   to 20 ms apart): a few milliseconds under ordinary load.
//! - Positions are large and not dense; only their order means anything.
//! - A database restored by `pg_dump` into another cluster may have a younger transaction
//!   counter than its positions: `connect` notices and raises the stored offset so that new
//!   positions still come after the restored ones (start writers only after the restore).
//!
//! # Notifications
//!
//! After appends the store sends `NOTIFY <schema>_events` from a task and connection of
//! its own, at most once every 10 ms and always once after the last append; appends do not
//! wait for it (inside the append, a `NOTIFY` would serialise every appending transaction
//! on PostgreSQL's notification lock). [`PostgresConfig::notifications`] turns them off.
//! [`PostgresEventStore::subscribe_notifications`] listens on a connection of its own and
//! wakes the caller. A notification is a wake-up only: it carries nothing, may be lost (a
//! crash right after the commit) and may be spurious, so a reader re-reads the feed when
//! woken and also now and then without being woken.
//!
//! # Subscriptions
//!
//! Checkpoints and parked events live in the schema's `checkpoints` and `parked` tables.
//! One process at a time runs a subscription name:
//! [`claim`](crate::store::SubscriptionStore::claim) takes a session advisory lock (key:
//! FNV-1a 64 of `eventsource.subscription/<schema>/<name>`, fixed for good) on a
//! connection of the claim's own, made with the store's connection settings (for a pool
//! alone, a connection taken out of the pool for good). The lock lives exactly as long as
//! that connection: dropping the claim closes it, and a claim whose connection ends
//! otherwise reports itself lost. A dead process's sockets are closed by its OS, so the
//! server ends the session and frees the lock at once; a standby's next attempt takes
//! over (measured on one host: 20 to 40 ms after `SIGKILL`, attempts 100 ms apart). A
//! machine that vanishes without closing its sockets holds the lock until the server's TCP
//! keepalives (`tcp_keepalives_*`) end the session.
//!
//! # Client
//!
//! [`tokio_postgres`] 0.7 with a [`deadpool_postgres`] 0.14 pool, both re-exported here;
//! chosen over `sqlx` 0.8 by measurement (faster commits, requests pipelined on one
//! connection; the figures are with the project's benchmarks, `tests/src/postgres_bench.rs`),
//! and it resolves beside `rusqlite`, which `sqlx` 0.8 does not. Connections
//! made from a URL are unencrypted; for TLS, pass a pool ([`PostgresConfig::from_pool`]).
//!
//! # Errors
//!
//! Conflicts are [`Error::Conflict`](crate::Error::Conflict) with the actual version, like every store. A lost
//! connection, a statement timeout or a server shutdown is [`Error::Backend`](crate::Error::Backend) wrapping the
//! [`tokio_postgres::Error`] (its [`code`](tokio_postgres::Error::code) tells which). A
//! connection that failed that way is dropped, not returned to the pool. Retrying an
//! append after such an error is safe: if the first attempt did commit, the event ids make
//! the retry a no-op ([`AppendOutcome::already_stored`](crate::store::AppendOutcome::already_stored)). A row that breaks the store's
//! rules is [`Error::Corrupt`](crate::Error::Corrupt), naming the stream and version.

mod append;
mod batch;
mod claims;
mod config;
mod errors;
mod feed;
mod locks;
mod migrations;
mod notify;
mod reads;
mod rows;
mod schema;
mod snapshots;
mod sql;
mod states;
pub(crate) mod store;
mod subscriptions;
mod tls;
mod transactional;

pub use config::{DEFAULT_FEED_WAIT, PostgresConfig};
pub use deadpool_postgres;
pub use feed::BATCH_LIMIT;
pub use locks::{DEFAULT_LOCK_CONNECTIONS, PostgresLocks};
pub use notify::FeedWakeups;
pub use schema::{DEFAULT_SCHEMA, SchemaName};
pub use snapshots::PostgresSnapshotStore;
pub use states::PostgresStateStore;
pub use tokio_postgres;

pub(crate) use store::PostgresEventStore;
