//! The snapshot load benchmark, generic over the stores so that every backend runs the same
//! workload: an account with `N` events, loaded with and without its snapshot (taken every
//! [`THRESHOLD`] events), beside the raw cost of decoding its `N` payloads.
//!
//! `cargo bench -p eventsource-tests --bench snapshots` runs it under criterion;
//! `cargo run --release -p eventsource-examples --bin bench_snapshots` prints the table.

use crate::fixtures::{Account, Deposited, deposits};
use eventsource::SnapshotStore;
use eventsource::prelude::*;
use std::fmt::Write;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The history lengths the benchmark loads.
pub const SIZES: [u64; 4] = [100, 1_000, 10_000, 100_000];

/// Events between two snapshots.
pub const THRESHOLD: u64 = 100;

/// Events per save while seeding.
const BATCH: u64 = 1_000;

/// A repository over `events` that snapshots every [`THRESHOLD`] events, in sync mode.
pub fn snapshotting<S: EventStore>(
    events: S,
    snapshots: impl SnapshotStore,
) -> Repository<Account, S> {
    Repository::new(events).with_snapshots(snapshots, SnapshotPolicy::every(THRESHOLD))
}

/// Stores a new account with `count` deposits through `repo`, in saves of at most 1,000
/// events, and returns its id.
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

/// The mean time of one `repo.load(id)`, repeated until `budget` is spent (3 times at
/// least).
pub async fn mean_load_time<S: EventStore>(
    repo: &Repository<Account, S>,
    id: Uuid,
    budget: Duration,
) -> Duration {
    let expected = repo.get_version(&id).await.expect("reading the version");
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < budget {
        let account = repo.load(id).await.expect("loading the account");
        assert_eq!(account.version(), expected);
        drop(black_box(account));
        runs += 1;
    }
    start.elapsed() / runs
}

/// The time `serde_json` alone takes to decode `count` stored deposits: the floor of a
/// full replay.
pub fn raw_decode_time(count: u64, budget: Duration) -> Duration {
    let payloads: Vec<String> = (0..count)
        .map(|_| serde_json::to_string(&Deposited { amount: 1 }).expect("encoding"))
        .collect();
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < budget {
        for payload in &payloads {
            let event: Deposited = serde_json::from_str(payload).expect("decoding");
            black_box(event);
        }
        runs += 1;
    }
    start.elapsed() / runs
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct LoadTimes {
    /// Events in the account's stream.
    pub events: u64,
    /// Mean load time replaying every event.
    pub without_snapshot: Duration,
    /// Mean load time from the snapshot.
    pub with_snapshot: Duration,
    /// Mean time to decode the stream's payloads with `serde_json` alone.
    pub raw_decode: Duration,
}

/// Measures each size on a fresh pair of stores from `stores`, spending about `budget` on
/// each timing.
pub async fn measure<S, P>(
    mut stores: impl FnMut() -> (S, P),
    sizes: &[u64],
    budget: Duration,
) -> Vec<LoadTimes>
where
    S: EventStore + Clone,
    P: SnapshotStore,
{
    let mut rows = Vec::new();
    for &events in sizes {
        let (event_store, snapshot_store) = stores();
        let with = snapshotting(event_store.clone(), snapshot_store);
        let without = Repository::<Account, _>::new(event_store);
        let id = seed(&with, events).await;
        rows.push(LoadTimes {
            events,
            without_snapshot: mean_load_time(&without, id, budget).await,
            with_snapshot: mean_load_time(&with, id, budget).await,
            raw_decode: raw_decode_time(events, budget),
        });
    }
    rows
}

/// The rows as a table, each time also as a ratio to the first row's.
pub fn table(title: &str, rows: &[LoadTimes]) -> String {
    let mut out = String::new();
    let Some(first) = rows.first() else {
        return out;
    };
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let _ = writeln!(out, "{title} (snapshot every {THRESHOLD} events)");
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
