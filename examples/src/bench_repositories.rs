//! Repository kinds compared on the same work, printed as tables.
//!
//! Run with `cargo run --release -p eventsource-examples --bin bench_repositories`
//! (`--features postgres` adds the PostgreSQL rows, on the server at `DATABASE_URL`).
//!
//! - contention: 8 tasks, each running 200 one-event commands on ONE aggregate, through
//!   optimistic `update` (conflicts retried with backoff) and through the locking
//!   repository (the writers take turns): commands per second, and conflicts (command
//!   runs beyond one per saved command).
//! - hot aggregate: `update` of an aggregate of 10,000 events without a snapshot, through
//!   the plain repository (every update replays the stream) and through the caching
//!   repository (every update after the first is served from the cache), beside the raw
//!   limit measured in the same run: a plain append of one event to the same stream, as a
//!   user writes it without the repository (the event encoded with serde_json, then the
//!   store's `append` at the version the stream is known to be at). Mean time per
//!   operation, the median of 5 interleaved rounds.

use eventsource::prelude::*;
use eventsource::store::NewEvent;
use eventsource::{EventMetadata, StreamId, repository::CacheOptions};
use eventsource_tests::fixtures::{Account, Deposited, deposits};
use eventsource_tests::locking::{Contended, deposit_optimistically, deposit_under_locks};
use eventsource_tests::sqlite::TempSqliteStore;
use std::convert::Infallible;
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

const HISTORY: u64 = 10_000;
const ROUNDS: usize = 5;
/// Cached updates and appends per round: enough that the first few, which find the
/// processor caches cold after the round before, weigh little in the mean.
const HOT_OPS: u32 = 1_000;

fn median(mut figures: Vec<Duration>) -> Duration {
    figures.sort();
    figures[figures.len() / 2]
}

/// Mean time of `n` runs of `op`.
async fn mean(n: u32, mut op: impl AsyncFnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        op().await;
    }
    started.elapsed() / n
}

async fn hot_aggregate<S: EventStore + Clone>(name: &str, store: S) {
    let repo = Repository::<Account, _>::new(store.clone());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    for _ in 0..HISTORY / 1_000 {
        account.record(deposits(1_000));
        repo.save(&mut account).await.expect("history");
    }
    let command = |_: &Account| Ok::<_, Infallible>(Deposited { amount: 1 });
    let cached_repo = repo.clone().caching(CacheOptions::new(1_000));
    let stream = StreamId::new("Account", id.to_string());
    // Interleaved rounds, so that a busy moment of the machine hits all three; the
    // median round of each is printed.
    let (mut uncached, mut cached, mut append) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        uncached.push(
            mean(4, async || {
                repo.update(id, command).await.expect("update");
            })
            .await,
        );
        // The uncached updates made the entry stale: drop it and load the aggregate
        // afresh, so that the round times hits (a stale entry's conflict, reload and
        // backoff would be timed otherwise).
        cached_repo.evict(&id);
        cached_repo.load(id).await.expect("warm the cache");
        cached.push(
            mean(HOT_OPS, async || {
                cached_repo
                    .update(id, command)
                    .await
                    .expect("cached update");
            })
            .await,
        );
        let mut version = store.stream_version(&stream).await.expect("version");
        append.push(
            mean(HOT_OPS, async || {
                // What a user appending one event without the repository writes: encode
                // it, and append it at the version the stream is known to be at.
                let payload = serde_json::to_string(&Deposited { amount: 1 }).expect("encode");
                let event = NewEvent::new("Deposited", 1, payload, EventMetadata::new());
                store
                    .append(&stream, ExpectedVersion::Exact(version), vec![event])
                    .await
                    .expect("append");
                version += 1;
            })
            .await,
        );
    }
    let (uncached, cached, append) = (median(uncached), median(cached), median(append));
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "| {name:<10} | {:>12.1} | {:>10.2} | {:>10.2} | {:>17.1}x | {:>15.2}x |",
        us(uncached),
        us(cached),
        us(append),
        uncached.as_secs_f64() / cached.as_secs_f64(),
        cached.as_secs_f64() / append.as_secs_f64(),
    );
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
            Repository::new(pg.clone())
                .locking()
                .across_processes(locks),
        )
        .await;
    }

    println!(
        "\nhot aggregate: update of an aggregate of {HISTORY} events, no snapshot (µs per operation)\n"
    );
    println!(
        "| store      | uncached µs  | cached µs  | append µs  | cached vs uncached | cached / append |"
    );
    println!(
        "|------------|--------------|------------|------------|--------------------|-----------------|"
    );
    hot_aggregate("in-memory", InMemoryEventStore::new()).await;
    hot_aggregate("SQLite", TempSqliteStore::new().await?).await;
    #[cfg(feature = "postgres")]
    if let Some(pg) = eventsource_tests::postgres::pg_store().await {
        hot_aggregate("PostgreSQL", pg).await;
    }
    Ok(())
}
