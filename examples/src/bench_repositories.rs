//! Repository kinds compared on the same work, printed as tables.
//!
//! Run with `cargo run --release -p eventsource-examples --bin bench_repositories`
//! (`--features postgres` adds the PostgreSQL rows, on the server at `DATABASE_URL`).
//!
//! - contention: 8 tasks, each running 200 one-event commands on ONE aggregate, through
//!   optimistic `update` (conflicts retried with backoff) and through the locking
//!   repository (the writers take turns): commands per second, and conflicts (command
//!   runs beyond one per saved command).

use eventsource::prelude::*;
use eventsource_tests::fixtures::Account;
use eventsource_tests::locking::{Contended, deposit_optimistically, deposit_under_locks};
use eventsource_tests::sqlite::TempSqliteStore;
use std::time::{Duration, Instant};

const TASKS: u64 = 8;
const COMMANDS: u64 = 200;

fn row(store: &str, kind: &str, run: Contended, elapsed: Duration) {
    println!(
        "| {store:<10} | {kind:<11} | {:>10.0} | {:>9} | {:>6} |",
        run.saved as f64 / elapsed.as_secs_f64(),
        run.conflicts(),
        run.failed
    );
}

async fn contention<S: EventStore + Clone>(
    name: &str,
    repo: Repository<Account, S>,
    locking: LockingRepository<Account, S>,
) {
    let started = Instant::now();
    let run = deposit_optimistically(&repo, Uuid::now_v7(), TASKS, COMMANDS).await;
    row(name, "optimistic", run, started.elapsed());
    let started = Instant::now();
    let run = deposit_under_locks(&locking, Uuid::now_v7(), TASKS, COMMANDS).await;
    row(name, "locking", run, started.elapsed());
}

#[tokio::main]
async fn main() -> eventsource::Result<()> {
    println!("\ncontention: {TASKS} tasks x {COMMANDS} commands on one aggregate\n");
    println!("| store      | repository  | commands/s | conflicts | failed |");
    println!("|------------|-------------|------------|-----------|--------|");
    let memory = InMemoryEventStore::new();
    contention(
        "in-memory",
        Repository::new(memory.clone()),
        Repository::new(memory).locking(),
    )
    .await;
    let sqlite = TempSqliteStore::new().await?;
    let locks = sqlite.aggregate_locks()?;
    contention(
        "SQLite",
        Repository::new(sqlite.clone()),
        Repository::new(sqlite.clone())
            .locking()
            .across_processes(locks),
    )
    .await;
    #[cfg(feature = "postgres")]
    if let Some(pg) = eventsource_tests::postgres::pg_store().await {
        let locks = pg.store().aggregate_locks()?;
        contention(
            "PostgreSQL",
            Repository::new(pg.clone()),
            Repository::new(pg.clone()).locking().across_processes(locks),
        )
        .await;
    }
    Ok(())
}
