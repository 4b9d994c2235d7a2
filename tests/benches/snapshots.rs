//! Criterion: loading an account of 100 to 100,000 events, with and without its snapshot
//! (taken every 100 events), on every backend: the in-memory stores and SQLite (a database
//! file in a temporary directory).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use eventsource::prelude::*;
use eventsource::snapshot::{InMemorySnapshotStore, SnapshotStore};
use eventsource_tests::fixtures::Account;
use eventsource_tests::snapshot_bench::{SIZES, seed, snapshotting};
use eventsource_tests::sqlite::TempSqliteStore;
use std::time::Duration;
use tokio::runtime::Runtime;

fn loads(c: &mut Criterion) {
    let runtime = Runtime::new().expect("a tokio runtime");
    // One line per backend; each factory yields a fresh pair of stores, or `None` when the
    // backend is unavailable.
    let in_memory = || async { Some((InMemoryEventStore::new(), InMemorySnapshotStore::new())) };
    let sqlite = || async { Some(TempSqliteStore::new().await.ok()?.backend()) };
    backend(c, &runtime, "in_memory", in_memory);
    backend(c, &runtime, "sqlite", sqlite);
}

/// The `load_<name>` group: each size on a fresh pair of stores from `stores`.
fn backend<S, P, F>(c: &mut Criterion, runtime: &Runtime, name: &str, mut stores: impl FnMut() -> F)
where
    S: EventStore + Clone,
    P: SnapshotStore,
    F: Future<Output = Option<(S, P)>>,
{
    let mut group = c.benchmark_group(format!("load_{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for events in SIZES {
        let Some((event_store, snapshot_store)) = runtime.block_on(stores()) else {
            eprintln!("SKIPPED load_{name}: backend unavailable");
            return;
        };
        let with = snapshotting(event_store.clone(), snapshot_store);
        let without = Repository::<Account, _>::new(event_store);
        let id = runtime.block_on(seed(&with, events));
        group.bench_with_input(BenchmarkId::new("with_snapshot", events), &id, |b, &id| {
            b.to_async(runtime).iter(|| with.load(id))
        });
        group.bench_with_input(
            BenchmarkId::new("without_snapshot", events),
            &id,
            |b, &id| b.to_async(runtime).iter(|| without.load(id)),
        );
    }
    group.finish();
}

criterion_group!(benches, loads);
criterion_main!(benches);
