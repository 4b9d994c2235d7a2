//! The raw side of the SQLite benchmarks: the same work done with plain rusqlite, as a
//! user would do it without eventsource.

use super::sqlite::level;
use crate::{Account, Deposited, LOAD_EVENTS, Withdrawn, deposit};
use eventsource::store::sqlite::Synchronous;
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The same work done with plain rusqlite.
pub struct RawSqlite {
    connection: Connection,
    /// One event's insert: `?1` the stream, `?2` the payload, `?3` (when used) an id.
    insert: &'static str,
}

impl RawSqlite {
    /// The database as a user would use it without eventsource: SQLite's defaults but
    /// for WAL, `synchronous` and the page cache (32 MiB, as the store's connections
    /// have), and the simplest table that enforces the store's rule, one unique key on
    /// stream and version (and the event's type, to decode it).
    pub fn open(path: &Path, synchronous: Synchronous) -> eventsource::Result<Self> {
        Self::open_with_table(
            path,
            synchronous,
            "CREATE TABLE IF NOT EXISTS raw_events (
                 stream TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL,
                 payload TEXT NOT NULL, PRIMARY KEY (stream, version));",
            "INSERT INTO raw_events (stream, version, event_type, payload) \
             VALUES (?1, 1, 'Deposited', ?2)",
        )
    }

    /// For scale only: a table of the store's columns with its two unique indexes,
    /// (stream, version) and (stream, event id).
    pub fn open_our_columns(path: &Path, synchronous: Synchronous) -> eventsource::Result<Self> {
        Self::open_with_table(
            path,
            synchronous,
            "CREATE TABLE IF NOT EXISTS raw_appends (
                 position INTEGER PRIMARY KEY, aggregate_type TEXT NOT NULL,
                 aggregate_id TEXT NOT NULL, version INTEGER NOT NULL,
                 event_id TEXT NOT NULL, event_type TEXT NOT NULL,
                 schema_version INTEGER NOT NULL, payload TEXT NOT NULL,
                 correlation_id TEXT, causation_id TEXT, extra TEXT NOT NULL,
                 occurred_at INTEGER NOT NULL) STRICT;
             CREATE UNIQUE INDEX IF NOT EXISTS raw_stream_version
                 ON raw_appends (aggregate_type, aggregate_id, version);
             CREATE UNIQUE INDEX IF NOT EXISTS raw_stream_event_id
                 ON raw_appends (aggregate_type, aggregate_id, event_id);",
            "INSERT INTO raw_appends (aggregate_type, aggregate_id, version, event_id, \
             event_type, schema_version, payload, correlation_id, causation_id, extra, \
             occurred_at) VALUES ('Account', ?1, 1, ?3, 'Deposited', 1, ?2, NULL, NULL, \
             '{}', 1700000000000000)",
        )
    }

    fn open_with_table(
        path: &Path,
        synchronous: Synchronous,
        table: &str,
        insert: &'static str,
    ) -> eventsource::Result<Self> {
        let connection = Connection::open(path).map_err(eventsource::Error::backend)?;
        connection
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA cache_size = -32768;
                 {table}",
                level(synchronous)
            ))
            .map_err(eventsource::Error::backend)?;
        Ok(RawSqlite { connection, insert })
    }

    /// The same 10,000 events as the store's loaded aggregate, in one transaction.
    pub fn fill(&self, stream: &str) -> eventsource::Result<()> {
        let backend = |error: rusqlite::Error| eventsource::Error::backend(error);
        self.connection.execute_batch("BEGIN").map_err(backend)?;
        let mut insert = self
            .connection
            .prepare_cached(
                "INSERT INTO raw_events (stream, version, event_type, payload) \
                 VALUES (?1, ?2, 'Deposited', ?3)",
            )
            .map_err(backend)?;
        for n in 0..LOAD_EVENTS {
            let payload =
                serde_json::to_string(&deposit(n)).map_err(eventsource::Error::backend)?;
            let version = i64::try_from(n + 1).map_err(eventsource::Error::backend)?;
            insert
                .execute(params![stream, version, payload])
                .map_err(backend)?;
        }
        drop(insert);
        self.connection.execute_batch("COMMIT").map_err(backend)
    }

    /// Fills the write-ahead log once (it checkpoints every 1,000 pages).
    pub fn warm_up(&self) -> eventsource::Result<()> {
        self.inserts_per_second(Duration::ZERO, 1100, &mut Vec::new())
            .map(drop)
    }

    /// Single-row commits for `round` (and at least `at_least` of them): commits per
    /// second, and each commit's latency in seconds pushed to `latencies`.
    pub fn inserts_per_second(
        &self,
        round: Duration,
        at_least: u64,
        latencies: &mut Vec<f64>,
    ) -> eventsource::Result<f64> {
        let start = Instant::now();
        let mut inserts = 0u64;
        while start.elapsed() < round || inserts < at_least {
            let began = Instant::now();
            let payload = serde_json::to_string(&deposit(inserts)).expect("encode");
            self.connection
                .execute_batch("BEGIN")
                .map_err(eventsource::Error::backend)?;
            self.connection
                .prepare_cached(self.insert)
                .and_then(|mut insert| {
                    let (stream, id) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
                    if insert.parameter_count() == 3 {
                        insert.execute(params![stream, payload, id])
                    } else {
                        insert.execute(params![stream, payload])
                    }
                })
                .map_err(eventsource::Error::backend)?;
            self.connection
                .execute_batch("COMMIT")
                .map_err(eventsource::Error::backend)?;
            latencies.push(began.elapsed().as_secs_f64());
            inserts += 1;
        }
        Ok(inserts as f64 / start.elapsed().as_secs_f64())
    }

    /// Seconds per select-and-decode, the best of `loads` (after one warm-up).
    pub fn load_time(&self, stream: &str, loads: usize) -> eventsource::Result<f64> {
        let mut best = f64::MAX;
        for _ in 0..=loads {
            let start = Instant::now();
            let mut account = Account::default();
            let mut select = self
                .connection
                .prepare_cached(
                    "SELECT event_type, payload FROM raw_events WHERE stream = ?1 \
                     ORDER BY version",
                )
                .map_err(eventsource::Error::backend)?;
            let mut rows = select
                .query([stream])
                .map_err(eventsource::Error::backend)?;
            while let Some(row) = rows.next().map_err(eventsource::Error::backend)? {
                let event_type: String = row.get(0).map_err(eventsource::Error::backend)?;
                let payload: String = row.get(1).map_err(eventsource::Error::backend)?;
                match event_type.as_str() {
                    "Deposited" => {
                        let e: Deposited = serde_json::from_str(&payload).expect("decode");
                        account.balance += e.cents as i64;
                    }
                    _ => {
                        let e: Withdrawn = serde_json::from_str(&payload).expect("decode");
                        account.balance -= e.cents as i64;
                    }
                }
                account.movements += 1;
            }
            best = best.min(start.elapsed().as_secs_f64());
            assert_eq!(account.movements, LOAD_EVENTS);
        }
        Ok(best)
    }
}
