//! The workloads of the criterion bench `tests/benches/postgres.rs`: each eventsource
//! operation beside a raw one on the same server. (The benchmark program,
//! `bench --store postgres`, measures against the raw table its own documentation
//! defines, with one key on stream and version; this one's raw table has only a
//! `bigserial` key.)
//!
//! - Single-event saves, one connection: `Repository::save` of one event, in a loop, vs
//!   plain single-row `INSERT` commits of the same columns into a table with only a
//!   `bigserial` key.
//! - 8 concurrent writers on distinct aggregates vs 8 connections of plain `INSERT`s.
//! - Loading a 10,000-event aggregate (`Repository::load`) vs a plain `SELECT` of the
//!   stream's type names and payloads plus `serde_json` decoding of each payload.
//!
//! For context, the table also shows: the raw SELECT of every column a stored event's
//! record holds (what the record costs before the library does anything); the store with
//! notifications off; and two designs the store does not use, as plain `INSERT`s from 8
//! connections: one behind an ordering lock (`pg_advisory_xact_lock` held until commit),
//! one with `NOTIFY` inside the transaction.
//!
//! # Figures
//!
//! From an earlier program printing these workloads as a table, on the project's
//! 2-core machine (PostgreSQL 15, other builds running; ranges over several runs). They go
//! stale: run the program again before relying on them.
//!
//! | operation | eventsource ÷ raw |
//! | --- | --- |
//! | single-event saves on one connection vs single-row INSERT commits | 74–91% (79–94% without notifications) |
//! | 8 writers on distinct aggregates vs 8 connections of INSERTs | 71–81% (64–83% without) |
//! | loading a 10,000-event aggregate vs SELECT of type and payload + `serde_json` | 1.15–1.22× |
//!
//! What limits the appends: per append the server writes two tables and four index
//! entries (the stream row, the event, its position, version and event-id keys) where the
//! raw INSERT writes one table and one key, and with 8 writers on 2 cores the server's CPU
//! is the bottleneck. A load reads only the four columns an aggregate is built from
//! (version, type, schema version, payload) and applies each row as it arrives
//! (`EventStore::replay_stream`), building no record; `read_stream` returns whole
//! records, and the raw SELECT of all their columns alone takes 1.45–1.60× the
//! two-column SELECT.
//!
//! The designs the store does not use, 8 connections of single-row INSERTs: behind one
//! `pg_advisory_xact_lock` held until commit they commit at 31–36% of the rate without it
//! (every append waits for the previous one's commit flush: no group commit); each with a
//! `NOTIFY` in its transaction, at 35–46% (the notification lock is held until the commit
//! is flushed).
//!
//! The client, `tokio-postgres` 0.7 with a `deadpool-postgres` 0.14 pool, was chosen
//! against `sqlx` 0.8 with a separate program (one connection each, medians of 7
//! alternating rounds, three runs): single-row INSERT commits 1,904–2,260/s against
//! 1,202–1,323/s for `sqlx` with its default pool (which pings every connection it hands
//! out), 2,786–2,953/s against 2,313–2,350/s without that ping; a 10,000-row SELECT with
//! `serde_json` decoding 9.6–12.4 ms against 10.1–13.1 ms (a tie).

use crate::fixtures::{Task, TaskAssigned, TaskCreated};
use crate::postgres::{PgTestStore, admin, pg_store};
use eventsource::PostgresEventStore;
use eventsource::prelude::*;
use eventsource::store::postgres::tokio_postgres::{Client, Statement};
use std::time::{Duration, Instant, SystemTime};

/// Concurrent writers in the concurrent comparisons.
pub const WRITERS: usize = 8;

/// Events in the aggregate of the load comparison.
pub const LOAD_EVENTS: u64 = 10_000;

/// A schema with the store, the raw table, an aggregate of [`LOAD_EVENTS`] events and
/// [`WRITERS`] raw connections.
pub struct BenchEnv {
    /// The store (its schema is dropped with it).
    pub store: PgTestStore,
    single: Repository<Task, PostgresEventStore>,
    shared: Repository<Task, PostgresEventStore>,
    /// The same two without notifications, to show what they cost.
    single_quiet: Repository<Task, PostgresEventStore>,
    shared_quiet: Repository<Task, PostgresEventStore>,
    raw: Vec<RawConnection>,
    loaded_id: Uuid,
}

struct RawConnection {
    client: Client,
    insert: Statement,
    locked_insert: Statement,
    notifying_insert: Statement,
    load: Statement,
    load_every_column: Statement,
}

/// What the raw writers insert: the columns of an event, nothing else.
const RAW_TABLE: &str = "CREATE TABLE {s}.raw_events (
    position       bigserial   PRIMARY KEY,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    version        bigint      NOT NULL,
    event_id       uuid        NOT NULL,
    event_type     text        NOT NULL,
    schema_version bigint      NOT NULL,
    payload        text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    correlation_id uuid,
    causation_id   uuid,
    metadata       json        NOT NULL)";

const RAW_COLUMNS: &str = "aggregate_type, aggregate_id, version, event_id, event_type, \
     schema_version, payload, occurred_at, correlation_id, causation_id, metadata";
const RAW_VALUES: &str = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::json";

impl BenchEnv {
    /// Sets everything up; `None` when the server is unavailable.
    pub async fn new() -> Option<Self> {
        let store = pg_store().await?;
        let s = format!("\"{}\"", store.schema_name());
        let setup = admin(store.config()).await.expect("admin connection");
        setup
            .batch_execute(&RAW_TABLE.replace("{s}", &s))
            .await
            .expect("create the raw table");
        let single: Repository<Task, PostgresEventStore> = Repository::new(
            store
                .reconnect(|c| c.max_connections(1))
                .await
                .expect("single-connection store"),
        );
        let shared: Repository<Task, PostgresEventStore> = Repository::new(
            store
                .reconnect(|c| c.max_connections(WRITERS))
                .await
                .expect("shared store"),
        );
        let single_quiet: Repository<Task, PostgresEventStore> = Repository::new(
            store
                .reconnect(|c| c.max_connections(1).notifications(false))
                .await
                .expect("single-connection store"),
        );
        let shared_quiet: Repository<Task, PostgresEventStore> = Repository::new(
            store
                .reconnect(|c| c.max_connections(WRITERS).notifications(false))
                .await
                .expect("shared store"),
        );
        let mut raw = Vec::new();
        for _ in 0..WRITERS {
            let client = admin(store.config()).await.expect("raw connection");
            let insert =
                format!("INSERT INTO {s}.raw_events ({RAW_COLUMNS}) VALUES ({RAW_VALUES})");
            let locked = format!(
                "WITH l AS (SELECT pg_advisory_xact_lock(hashtext('{}'))) \
                 INSERT INTO {s}.raw_events ({RAW_COLUMNS}) SELECT {RAW_VALUES} FROM l",
                store.schema_name(),
            );
            let notifying = format!(
                "WITH n AS (SELECT pg_notify('{}_raw', '')) \
                 INSERT INTO {s}.raw_events ({RAW_COLUMNS}) SELECT {RAW_VALUES} FROM n",
                store.schema_name()
            );
            let load = format!(
                "SELECT event_type, payload FROM {s}.events \
                 WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY version"
            );
            let load_every_column = format!(
                "SELECT event_type, payload, position, version, event_id, schema_version, \
                   occurred_at, correlation_id, causation_id, metadata::text FROM {s}.events \
                 WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY version"
            );
            raw.push(RawConnection {
                insert: client.prepare(&insert).await.expect("prepare"),
                locked_insert: client.prepare(&locked).await.expect("prepare"),
                notifying_insert: client.prepare(&notifying).await.expect("prepare"),
                load: client.prepare(&load).await.expect("prepare"),
                load_every_column: client.prepare(&load_every_column).await.expect("prepare"),
                client,
            });
        }
        let loaded_id = Uuid::now_v7();
        let mut task = shared.create_new(loaded_id);
        task.execute(|t| t.create("benchmark")).expect("create");
        for _ in 1..LOAD_EVENTS {
            task.record(TaskAssigned {
                assigned_to: Uuid::now_v7(),
            });
        }
        shared
            .save(&mut task)
            .await
            .expect("save the 10,000 events");
        Some(BenchEnv {
            store,
            single,
            shared,
            single_quiet,
            shared_quiet,
            raw,
            loaded_id,
        })
    }

    /// `count` single-event saves of one aggregate on one connection.
    pub async fn store_saves(&self, count: usize) -> Duration {
        timed_saves(&self.single, 1, count).await
    }

    /// [`store_saves`](Self::store_saves) without notifications.
    pub async fn quiet_store_saves(&self, count: usize) -> Duration {
        timed_saves(&self.single_quiet, 1, count).await
    }

    /// [`WRITERS`] tasks, each saving `count` single events to its own aggregate.
    pub async fn store_concurrent_saves(&self, count: usize) -> Duration {
        timed_saves(&self.shared, WRITERS, count).await
    }

    /// [`store_concurrent_saves`](Self::store_concurrent_saves) without notifications.
    pub async fn quiet_store_concurrent_saves(&self, count: usize) -> Duration {
        timed_saves(&self.shared_quiet, WRITERS, count).await
    }

    /// `count` single-row INSERT commits on one connection.
    pub async fn raw_inserts(&self, count: usize) -> Duration {
        let started = Instant::now();
        insert_many(&self.raw[0], &self.raw[0].insert, count).await;
        started.elapsed()
    }

    /// [`WRITERS`] connections, each committing `count` single-row INSERTs.
    pub async fn raw_concurrent_inserts(&self, count: usize) -> Duration {
        self.raw_concurrent(count, |raw| &raw.insert).await
    }

    /// As [`raw_concurrent_inserts`](Self::raw_concurrent_inserts), each INSERT behind
    /// one advisory lock held until commit: an ordering lock.
    pub async fn raw_concurrent_locked_inserts(&self, count: usize) -> Duration {
        self.raw_concurrent(count, |raw| &raw.locked_insert).await
    }

    /// As [`raw_concurrent_inserts`](Self::raw_concurrent_inserts), with a `NOTIFY` in
    /// each INSERT's transaction.
    pub async fn raw_concurrent_notifying_inserts(&self, count: usize) -> Duration {
        self.raw_concurrent(count, |raw| &raw.notifying_insert)
            .await
    }

    async fn raw_concurrent(
        &self,
        count: usize,
        statement: impl Fn(&RawConnection) -> &Statement,
    ) -> Duration {
        let started = Instant::now();
        join_all(
            self.raw
                .iter()
                .map(|raw| insert_many(raw, statement(raw), count)),
        )
        .await;
        started.elapsed()
    }

    /// One `Repository::load` of the 10,000-event aggregate.
    pub async fn store_load(&self) -> Duration {
        let started = Instant::now();
        let task = self.shared.load(self.loaded_id).await.expect("load");
        assert_eq!(task.version(), LOAD_EVENTS);
        started.elapsed()
    }

    /// One plain SELECT of the same stream's types and payloads, each payload decoded.
    pub async fn raw_load(&self) -> Duration {
        self.raw_select_decode(false).await
    }

    /// As [`raw_load`](Self::raw_load), selecting every column a stored event's record
    /// holds (only the payloads are decoded): what the server and the driver cost for the
    /// record alone.
    pub async fn raw_load_every_column(&self) -> Duration {
        self.raw_select_decode(true).await
    }

    async fn raw_select_decode(&self, every_column: bool) -> Duration {
        let started = Instant::now();
        let raw = &self.raw[0];
        let id = self.loaded_id.to_string();
        let statement = if every_column {
            &raw.load_every_column
        } else {
            &raw.load
        };
        let rows = raw
            .client
            .query(statement, &[&"Task", &id])
            .await
            .expect("select");
        let mut decoded = 0u64;
        for row in &rows {
            let (event_type, payload): (&str, &str) = (row.get(0), row.get(1));
            match event_type {
                "TaskCreated" => {
                    drop(serde_json::from_str::<TaskCreated>(payload).expect("decode"))
                }
                _ => drop(serde_json::from_str::<TaskAssigned>(payload).expect("decode")),
            }
            decoded += 1;
        }
        assert_eq!(decoded, LOAD_EVENTS);
        started.elapsed()
    }
}

/// `writers` concurrent writers, each saving `count` single events to an aggregate of its
/// own.
async fn timed_saves(
    repo: &Repository<Task, PostgresEventStore>,
    writers: usize,
    count: usize,
) -> Duration {
    let started = Instant::now();
    join_all((0..writers).map(|_| save_many(repo, Uuid::now_v7(), count))).await;
    started.elapsed()
}

async fn save_many(repo: &Repository<Task, PostgresEventStore>, id: Uuid, count: usize) {
    let mut task = repo.create_new(id);
    for _ in 0..count {
        task.record(TaskAssigned {
            assigned_to: Uuid::now_v7(),
        });
        repo.save(&mut task).await.expect("save");
    }
}

async fn insert_many(raw: &RawConnection, statement: &Statement, count: usize) {
    let id = Uuid::now_v7().to_string();
    for version in 1..=count as i64 {
        let payload = serde_json::to_string(&TaskAssigned {
            assigned_to: Uuid::now_v7(),
        })
        .expect("encode");
        raw.client
            .execute(
                statement,
                &[
                    &"Task",
                    &id,
                    &version,
                    &Uuid::now_v7(),
                    &"TaskAssigned",
                    &1i64,
                    &payload,
                    &SystemTime::now(),
                    &None::<Uuid>,
                    &None::<Uuid>,
                    &"{}",
                ],
            )
            .await
            .expect("insert");
    }
}

/// Runs the futures concurrently on the current task (no spawning, no extra crate).
async fn join_all<F: Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut futures: Vec<_> = futures.map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        futures.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futures.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
