//! Criterion: a no-op projection catching up on 10,000 stored events from the beginning of
//! the feed until it is live at the head, with `batch_size` 500 and 5000, on the in-memory
//! store and SQLite (a database file in a temporary directory, default settings). The
//! `bench_subscriptions` program prints the same workload beside the raw feed-read rate,
//! and the live latency.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use eventsource::InMemoryEventStore;
use eventsource_tests::sqlite::TempSqliteStore;
use eventsource_tests::subscription_bench::{BATCH_SIZES, Store, catch_up, seed};
use std::time::Duration;
use tokio::runtime::Runtime;

/// Stored events per catch-up.
const EVENTS: u64 = 10_000;

fn catch_ups(c: &mut Criterion) {
    let runtime = Runtime::new().expect("a tokio runtime");
    backend(c, &runtime, "in_memory", InMemoryEventStore::new());
    let sqlite = runtime
        .block_on(TempSqliteStore::new())
        .expect("a SQLite database file");
    backend(c, &runtime, "sqlite", sqlite);
}

/// The `catch_up_<name>` group: each batch size on `store`, seeded once.
fn backend<S: Store>(c: &mut Criterion, runtime: &Runtime, name: &str, store: S) {
    let head = runtime.block_on(seed(&store, EVENTS));
    let mut group = c.benchmark_group(format!("catch_up_{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(EVENTS));
    for batch in BATCH_SIZES {
        group.bench_with_input(
            BenchmarkId::new("batch_size", batch),
            &batch,
            |b, &batch| {
                b.to_async(runtime)
                    .iter(|| catch_up(&store, batch, head, EVENTS))
            },
        );
    }
    group.finish();
}

criterion_group!(benches, catch_ups);
criterion_main!(benches);
