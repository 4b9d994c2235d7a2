//! Criterion: loading an account of 100 to 100,000 events, with and without its snapshot
//! (taken every 100 events), on the in-memory stores.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use eventsource::prelude::*;
use eventsource_tests::fixtures::Account;
use eventsource_tests::snapshot_bench::{SIZES, seed, snapshotting};
use std::time::Duration;

fn loads(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let mut group = c.benchmark_group("load");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for events in SIZES {
        let event_store = InMemoryEventStore::new();
        let with = snapshotting(event_store.clone(), InMemorySnapshotStore::new());
        let without = Repository::<Account, _>::new(event_store);
        let id = runtime.block_on(seed(&with, events));
        group.bench_with_input(BenchmarkId::new("with_snapshot", events), &id, |b, &id| {
            b.to_async(&runtime).iter(|| with.load(id))
        });
        group.bench_with_input(
            BenchmarkId::new("without_snapshot", events),
            &id,
            |b, &id| b.to_async(&runtime).iter(|| without.load(id)),
        );
    }
    group.finish();
}

criterion_group!(benches, loads);
criterion_main!(benches);
