//! Load time with and without snapshots, for histories of 100 to 100,000 events, on every
//! backend: the in-memory stores, SQLite (a database file in a temporary directory) and
//! PostgreSQL (`DATABASE_URL`, default the local server; skipped when unreachable), the
//! last only with the `postgres` feature.
//!
//! Run with `cargo run --release -p eventsource-examples --bin bench_snapshots` (add
//! `--features postgres` for the PostgreSQL table). With
//! snapshots (taken every 100 events) the load time stays flat; without, it grows with the
//! history. `cargo bench -p eventsource-tests --bench snapshots` measures the same
//! workload under criterion.

use eventsource::{InMemoryEventStore, snapshot::InMemorySnapshotStore};
use eventsource_tests::snapshot_bench::{SIZES, report};
use eventsource_tests::sqlite::TempSqliteStore;
use std::time::Duration;

#[tokio::main]
async fn main() {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; run with --release for meaningful figures");
    }
    let budget = Duration::from_millis(300);
    // One line per backend; each factory yields a fresh pair of stores, or `None` when the
    // backend is unavailable (its table is then skipped).
    let in_memory = || async { Some((InMemoryEventStore::new(), InMemorySnapshotStore::new())) };
    let sqlite = || async { Some(TempSqliteStore::new().await.ok()?.backend()) };
    report("in-memory stores", in_memory, &SIZES, budget).await;
    report("SQLite stores, a database file", sqlite, &SIZES, budget).await;
    #[cfg(feature = "postgres")]
    report(
        "PostgreSQL stores",
        eventsource_tests::postgres::pg_backend,
        &SIZES,
        budget,
    )
    .await;
}
