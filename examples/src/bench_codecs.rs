//! JSON against the binary codec (MessagePack, structs as maps): encoding and decoding one
//! event, the stored payload's size, and loading an aggregate of 10,000 events stored by
//! each codec, on SQLite (a database file in a temporary directory) and, built with the
//! `postgres` feature and a server at `DATABASE_URL`, on PostgreSQL.
//!
//! Run with `cargo run --release -p eventsource-examples --features postgres --bin
//! bench_codecs` (without `--features postgres`: SQLite only). The two codecs alternate
//! within one run, so a busy machine slows both alike; each figure is the median of the
//! runs.

use eventsource::prelude::*;
use eventsource::store::NewEvent;
use eventsource::{Codec, EventMetadata, aggregate::EventSet, codec::StoredPayload};
use eventsource_tests::evolution::{EVOLVING_TASK, EvolvingTask, TaskCompleted, stream_of};
use eventsource_tests::sqlite::TempSqliteStore;
use std::hint::black_box;
use std::time::{Duration, Instant};

type TaskEvent = <EvolvingTask as Aggregate>::Event;

const EVENTS: u64 = 10_000;
const RUNS: usize = 21;
const CODECS: [Codec; 2] = [Codec::Json, Codec::MessagePack];

/// `EVENTS` completions, each with a name, a number and a short note.
fn events() -> Vec<TaskEvent> {
    (0..EVENTS)
        .map(|n| {
            TaskEvent::from(TaskCompleted {
                by: format!("user {n}"),
                minutes: (n % 90) as u32,
                note: "closed after review".into(),
            })
        })
        .collect()
}

fn encoded(events: &[TaskEvent], codec: Codec) -> Vec<NewEvent> {
    events
        .iter()
        .map(|event| {
            let payload = event.encode_with(codec).expect("encoding");
            NewEvent::new(
                event.event_type(),
                event.schema_version(),
                payload,
                EventMetadata::new(),
            )
        })
        .collect()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort_unstable();
    runs[runs.len() / 2]
}

fn per_event(total: Duration) -> f64 {
    total.as_secs_f64() * 1e9 / EVENTS as f64
}

/// Median encode and decode times per event and the mean payload size, per codec.
fn measure_codecs(events: &[TaskEvent]) -> Vec<(Codec, f64, f64, f64)> {
    let rows: Vec<Vec<NewEvent>> = CODECS.iter().map(|&c| encoded(events, c)).collect();
    let mut encode_runs = vec![Vec::new(); CODECS.len()];
    let mut decode_runs = vec![Vec::new(); CODECS.len()];
    for _ in 0..RUNS {
        for (i, &codec) in CODECS.iter().enumerate() {
            let start = Instant::now();
            for event in events {
                black_box(event.encode_with(codec).expect("encoding"));
            }
            encode_runs[i].push(start.elapsed());
            let start = Instant::now();
            for row in &rows[i] {
                let stored =
                    StoredPayload::encoded(&row.event_type, row.schema_version, row.payload_ref());
                black_box(TaskEvent::decode_stored(stored).expect("decoding"));
            }
            decode_runs[i].push(start.elapsed());
        }
    }
    CODECS
        .iter()
        .enumerate()
        .map(|(i, &codec)| {
            let bytes: usize = rows[i].iter().map(|r| r.payload_ref().len()).sum();
            (
                codec,
                per_event(median(std::mem::take(&mut encode_runs[i]))),
                per_event(median(std::mem::take(&mut decode_runs[i]))),
                bytes as f64 / EVENTS as f64,
            )
        })
        .collect()
}

/// Stores the events in a new stream, in batches of 1,000, by `codec`.
async fn stored<S: EventStore>(store: &S, events: &[TaskEvent], codec: Codec) -> Uuid {
    let (id, stream) = stream_of(EVOLVING_TASK);
    let mut version = 0;
    for batch in events.chunks(1_000) {
        let expected = match version {
            0 => ExpectedVersion::NoStream,
            n => ExpectedVersion::Exact(n),
        };
        store
            .append(&stream, expected, encoded(batch, codec))
            .await
            .expect("storing the events");
        version += batch.len() as u64;
    }
    id
}

/// Median load times of the stream each codec wrote.
async fn measure_loads<S: EventStore + Clone>(store: S, events: &[TaskEvent]) -> Vec<Duration> {
    let mut ids = Vec::new();
    for codec in CODECS {
        ids.push(stored(&store, events, codec).await);
    }
    let repo = Repository::<EvolvingTask, _>::new(store);
    let mut runs = vec![Vec::new(); CODECS.len()];
    for _ in 0..RUNS {
        for (i, id) in ids.iter().enumerate() {
            let start = Instant::now();
            let task = repo.load(*id).await.expect("loading");
            runs[i].push(start.elapsed());
            assert_eq!(task.version(), EVENTS);
            black_box(task);
        }
    }
    runs.into_iter().map(median).collect()
}

fn print_loads(backend: &str, loads: &[Duration]) {
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    println!(
        "{backend:<12} {:>12.2} ms {:>12.2} ms {:>8.2}×",
        ms(&loads[0]),
        ms(&loads[1]),
        loads[1].as_secs_f64() / loads[0].as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; run with --release for meaningful figures");
    }
    let events = events();
    println!("One event (median of {RUNS} runs over {EVENTS} events)");
    println!(
        "{:<12} {:>12} {:>12} {:>15}",
        "codec", "encode", "decode", "payload bytes"
    );
    for (codec, encode, decode, bytes) in measure_codecs(&events) {
        println!(
            "{:<12} {encode:>9.0} ns {decode:>9.0} ns {bytes:>15.1}",
            codec.id()
        );
    }

    println!("\nLoading {EVENTS} events (median of {RUNS} loads each)");
    println!(
        "{:<12} {:>15} {:>15} {:>9}",
        "store", "json", "msgpack", "ratio"
    );
    let sqlite = TempSqliteStore::new()
        .await
        .expect("opening a SQLite store");
    print_loads("SQLite", &measure_loads(sqlite, &events).await);
    postgres(&events).await;
}

#[cfg(feature = "postgres")]
async fn postgres(events: &[TaskEvent]) {
    match eventsource_tests::postgres::pg_store().await {
        Some(store) => print_loads("PostgreSQL", &measure_loads(store, events).await),
        None => println!("PostgreSQL   skipped: no server at DATABASE_URL"),
    }
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_: &[TaskEvent]) {
    println!("PostgreSQL   not built (run with --features postgres)");
}
