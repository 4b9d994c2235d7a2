//! The cost of typed upcasting on load: an aggregate of 10,000 events stored at schema
//! version 1, read through a two-step chain (v1 → v2 → v3), against one of 10,000 events
//! stored at the current version 3, on the in-memory store and on SQLite (a database file
//! in a temporary directory). The target is a ratio of at most 1.5.
//!
//! A version 1 row is shorter than a version 3 row (it lacks two fields), so the load
//! ratio also holds the parsing saved; the last line isolates the chain: decoding the
//! version 1 payloads through the event set (parse as v1, then v1 → v2 → v3) against
//! `serde_json` parsing them as the version 1 shape alone.
//!
//! Run with `cargo run --release -p eventsource-examples --bin bench_upcast`. The two
//! sides alternate within one run, so a busy machine slows both alike; each figure is the
//! median of the runs.

use eventsource::aggregate::EventSet;
use eventsource::prelude::*;
use eventsource::store::NewEvent;
use eventsource_tests::evolution::{EVOLVING_TASK, EvolvingTask, TaskCompletedV1, row, stream_of};
use eventsource_tests::sqlite::TempSqliteStore;
use std::hint::black_box;
use std::time::{Duration, Instant};

const EVENTS: u64 = 10_000;
const RUNS: usize = 41;

/// `EVENTS` completions, every one at `schema_version`.
fn completions(schema_version: u32) -> Vec<NewEvent> {
    (0..EVENTS)
        .map(|n| match schema_version {
            1 => row("TaskCompleted", 1, &format!(r#"{{"by":"user {n}"}}"#)),
            _ => row(
                "TaskCompleted",
                3,
                &format!(r#"{{"by":"user {n}","minutes":0,"note":""}}"#),
            ),
        })
        .collect()
}

async fn stored<S: EventStore>(store: &S, schema_version: u32) -> Uuid {
    let (id, stream) = stream_of(EVOLVING_TASK);
    let mut rows = completions(schema_version).into_iter().peekable();
    let mut version = 0;
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(1_000).collect();
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        version += batch.len() as u64;
        store
            .append(&stream, expected, batch)
            .await
            .expect("storing the rows");
    }
    id
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort_unstable();
    runs[runs.len() / 2]
}

/// Median load times of the current-version stream and of the version 1 stream.
async fn measure<S: EventStore + Clone>(store: S) -> (Duration, Duration) {
    let current = stored(&store, 3).await;
    let old = stored(&store, 1).await;
    let repo = Repository::<EvolvingTask, _>::new(store);
    let (mut current_runs, mut old_runs) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        for (id, runs) in [(current, &mut current_runs), (old, &mut old_runs)] {
            let start = Instant::now();
            let task = repo.load(id).await.expect("loading");
            runs.push(start.elapsed());
            assert_eq!(task.version(), EVENTS);
            black_box(task);
        }
    }
    (median(current_runs), median(old_runs))
}

/// Median times to decode the version 1 payloads through the chain, and as the version 1
/// shape with `serde_json` alone.
fn measure_decoding() -> (Duration, Duration) {
    let rows = completions(1);
    let (mut raw_runs, mut chain_runs) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start = Instant::now();
        for row in &rows {
            let shape: TaskCompletedV1 = serde_json::from_str(&row.payload).expect("decoding");
            black_box(shape);
        }
        raw_runs.push(start.elapsed());
        let start = Instant::now();
        for row in &rows {
            let event = <EvolvingTask as Aggregate>::Event::decode(
                &row.event_type,
                row.schema_version,
                &row.payload,
            )
            .expect("upcasting");
            black_box(event);
        }
        chain_runs.push(start.elapsed());
    }
    (median(raw_runs), median(chain_runs))
}

fn print(backend: &str, (current, old): (Duration, Duration)) {
    let ratio = old.as_secs_f64() / current.as_secs_f64();
    println!(
        "{backend:<28} {:>12.2} ms {:>14.2} ms {ratio:>8.2}×",
        current.as_secs_f64() * 1e3,
        old.as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; run with --release for meaningful figures");
    }
    println!("Loading {EVENTS} events (median of {RUNS} loads each)");
    println!(
        "{:<28} {:>15} {:>17} {:>9}",
        "store", "current (v3)", "v1 via v2 → v3", "ratio"
    );
    print("in-memory", measure(InMemoryEventStore::new()).await);
    let sqlite = TempSqliteStore::new()
        .await
        .expect("opening a SQLite store");
    print("SQLite, a database file", measure(sqlite).await);
    println!(
        "\n{:<28} {:>15} {:>17} {:>9}",
        "decoding the v1 payloads", "as v1 (serde)", "v1 via v2 → v3", "ratio"
    );
    print("decode only", measure_decoding());
}
