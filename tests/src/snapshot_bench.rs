//! The snapshot load benchmark, generic over the stores so that every backend runs the same
//! workload: an account with `N` events, loaded with and without its snapshot (taken every
//! [`THRESHOLD`] events), beside the raw cost of decoding its `N` payloads.
//!
//! `cargo bench -p eventsource-tests --bench snapshots` runs it under criterion;
//! `cargo run --release -p eventsource-examples --bin bench_snapshots` prints the tables,
//! one per backend (see [`report`]).

use crate::fixtures::{Account, Deposited, deposits};
use eventsource::prelude::*;
use eventsource::snapshot::SnapshotStore;
use std::fmt::Write;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The history lengths the benchmark loads.
pub const SIZES: [u64; 4] = [100, 1_000, 10_000, 100_000];

/// Events between two snapshots.
pub const THRESHOLD: u64 = 100;

/// Events per save while seeding: big batches, so that a database stores 100,000 events
/// in ten transactions.
const BATCH: u64 = 10_000;

/// A repository over `events` that snapshots every [`THRESHOLD`] events, in sync mode.
pub fn snapshotting<S: EventStore>(
    events: S,
    snapshots: impl SnapshotStore,
) -> Repository<Account, S> {
    Repository::new(events).with_snapshots(snapshots, SnapshotPolicy::every(THRESHOLD))
}

/// Stores a new account with `count` deposits through `repo`, in saves of at most 10,000
/// events, and returns its id. Through a [`snapshotting`] repository the last save, of at
/// least [`THRESHOLD`] events for every size in [`SIZES`], crosses a multiple of it: the
/// snapshot is at `count`, and a load from it reads one event.
pub async fn seed<S: EventStore>(repo: &Repository<Account, S>, count: u64) -> Uuid {
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    let mut left = count;
    while left > 0 {
        let batch = left.min(BATCH);
        account.record(deposits(batch));
        repo.save(&mut account).await.expect("seeding the account");
        left -= batch;
    }
    id
}

/// Runs at least this many times per timing, whatever the budget.
const MIN_RUNS: usize = 5;

/// The median time of one `repo.load(id)`, repeated until `budget` is spent
/// ([`MIN_RUNS`] times at least). The median rather than the mean: on a busy machine a
/// few loads wait for a core, and a load of a few dozen microseconds (a hand-over to the
/// store's thread and back) would be measured by those few.
pub async fn median_load_time<S: EventStore>(
    repo: &Repository<Account, S>,
    id: Uuid,
    budget: Duration,
) -> Duration {
    let expected = repo.get_version(&id).await.expect("reading the version");
    let start = Instant::now();
    let mut runs = Vec::new();
    while runs.len() < MIN_RUNS || start.elapsed() < budget {
        let run = Instant::now();
        let account = repo.load(id).await.expect("loading the account");
        runs.push(run.elapsed());
        assert_eq!(account.version(), expected);
        drop(black_box(account));
    }
    median(runs)
}

/// The median time `serde_json` alone takes to decode `count` stored deposits: the floor
/// of a full replay.
pub fn raw_decode_time(count: u64, budget: Duration) -> Duration {
    let payloads: Vec<String> = (0..count)
        .map(|_| serde_json::to_string(&Deposited { amount: 1 }).expect("encoding"))
        .collect();
    let start = Instant::now();
    let mut runs = Vec::new();
    while runs.len() < MIN_RUNS || start.elapsed() < budget {
        let run = Instant::now();
        for payload in &payloads {
            let event: Deposited = serde_json::from_str(payload).expect("decoding");
            black_box(event);
        }
        runs.push(run.elapsed());
    }
    median(runs)
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort_unstable();
    runs[runs.len() / 2]
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct LoadTimes {
    /// Events in the account's stream.
    pub events: u64,
    /// Median load time replaying every event.
    pub without_snapshot: Duration,
    /// Median load time from the snapshot.
    pub with_snapshot: Duration,
    /// Median time to decode the stream's payloads with `serde_json` alone.
    pub raw_decode: Duration,
}

/// Measures each size on a fresh pair of stores (an event store and a snapshot store of
/// one backend) from `stores`, spending about `budget` on each timing; `None` when `stores`
/// yields `None`, the backend being unavailable.
pub async fn measure<S, P, F>(
    mut stores: impl FnMut() -> F,
    sizes: &[u64],
    budget: Duration,
) -> Option<Vec<LoadTimes>>
where
    S: EventStore + Clone,
    P: SnapshotStore,
    F: Future<Output = Option<(S, P)>>,
{
    let mut rows = Vec::new();
    for &events in sizes {
        let (event_store, snapshot_store) = stores().await?;
        let with = snapshotting(event_store.clone(), snapshot_store);
        let without = Repository::<Account, _>::new(event_store);
        let id = seed(&with, events).await;
        rows.push(LoadTimes {
            events,
            without_snapshot: median_load_time(&without, id, budget).await,
            with_snapshot: median_load_time(&with, id, budget).await,
            raw_decode: raw_decode_time(events, budget),
        });
    }
    Some(rows)
}

/// Measures one backend with [`measure`] and prints its table and how flat the loads from
/// a snapshot are; returns the rows, or `None` (after printing `SKIPPED`) when the backend
/// is unavailable.
///
/// `stores` is an async factory of a fresh pair of stores yielding
/// `Option<(event_store, snapshot_store)>`, like the one the snapshot behaviour suite takes:
/// adding a backend to the benchmark is one call.
pub async fn report<S, P, F>(
    name: &str,
    stores: impl FnMut() -> F,
    sizes: &[u64],
    budget: Duration,
) -> Option<Vec<LoadTimes>>
where
    S: EventStore + Clone,
    P: SnapshotStore,
    F: Future<Output = Option<(S, P)>>,
{
    let Some(rows) = measure(stores, sizes, budget).await else {
        println!("SKIPPED {name}: backend unavailable\n");
        return None;
    };
    print!("{}", table(name, &rows));
    if let Some(flat) = flatness(&rows) {
        let (first, last) = (rows[0].events, rows[rows.len() - 1].events);
        println!(
            "with snapshots, the {last}-event load takes {flat:.2}x the {first}-event load \
             (target: within 2x)"
        );
    }
    println!();
    Some(rows)
}

/// The last row's load time from the snapshot over the first row's: the benchmark's
/// target is at most 2.
pub fn flatness(rows: &[LoadTimes]) -> Option<f64> {
    let (first, last) = (rows.first()?, rows.last()?);
    Some(last.with_snapshot.as_secs_f64() / first.with_snapshot.as_secs_f64())
}

/// The rows as a table, each time also as a ratio to the first row's.
pub fn table(title: &str, rows: &[LoadTimes]) -> String {
    let mut out = String::new();
    let Some(first) = rows.first() else {
        return out;
    };
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let _ = writeln!(
        out,
        "{title} (snapshot every {THRESHOLD} events; median load times)"
    );
    let _ = writeln!(
        out,
        "{:>8} | {:>15} | {:>8} | {:>15} | {:>8} | {:>12} | {:>11}",
        "events", "no snapshot", "ratio", "with snapshot", "ratio", "raw decode", "no snap/raw"
    );
    let _ = writeln!(out, "{}", "-".repeat(99));
    for row in rows {
        let _ = writeln!(
            out,
            "{:>8} | {:>15} | {:>7.1}x | {:>15} | {:>7.2}x | {:>12} | {:>10.1}x",
            row.events,
            format!("{:.1?}", row.without_snapshot),
            ratio(row.without_snapshot, first.without_snapshot),
            format!("{:.1?}", row.with_snapshot),
            ratio(row.with_snapshot, first.with_snapshot),
            format!("{:.1?}", row.raw_decode),
            ratio(row.without_snapshot, row.raw_decode),
        );
    }
    out
}
