//! Criterion benchmarks of the in-memory store's CPU paths, each beside its raw figure:
//! `cargo bench -p eventsource-tests --bench memory`. The workloads are
//! `eventsource_tests::memory_bench`, which the `bench` program (`--store memory`) prints
//! as a table with ratios and targets.
//!
//! - `commands/*`: one one-event command through `Repository::update` on one of 10,000
//!   existing aggregates (each sample starts from a fresh store of them), against a
//!   `HashMap<String, Vec<String>>` append of the same JSON payload under the same
//!   version rule;
//! - `load_10k/*`: loading a 10,000-event aggregate (the store's decoded copies), a load
//!   through a store that keeps none (the replay's decode + apply), and raw serde_json
//!   decoding of the same payloads;
//! - `dispatch_10k/*`: the derive's `EventSet::decode` + `Aggregate::apply` against a
//!   hand-written `match`, over the same 10,000 stored payloads.

use criterion::{Criterion, criterion_group, criterion_main};
use eventsource::StreamId;
use eventsource::prelude::*;
use eventsource_tests::memory_bench::{
    self as work, Account, RawMemory, Uncached, existing_accounts,
};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};

const AGGREGATES: usize = 10_000;

fn runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn commands(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("commands");
    group.bench_function("eventsource_update", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
                let ids = existing_accounts(&repo, AGGREGATES).await;
                let started = Instant::now();
                for n in 0..iters {
                    let id = ids[n as usize % AGGREGATES];
                    let saved = repo
                        .update(id, |account| account.deposit(n))
                        .await
                        .expect("an in-memory update");
                    black_box(saved);
                }
                started.elapsed()
            })
        })
    });
    group.bench_function("raw_hashmap_append", |b| {
        b.iter_custom(|iters| {
            let ids: Vec<Uuid> = (0..AGGREGATES).map(|_| Uuid::now_v7()).collect();
            let (mut raw, keys) = RawMemory::with_streams(&ids);
            let started = Instant::now();
            for n in 0..iters as usize {
                let payload = serde_json::to_string(&work::deposit(n as u64)).expect("encode");
                raw.append(&keys[n % AGGREGATES], 1 + n / AGGREGATES, payload)
                    .expect("the stream is at the version");
            }
            started.elapsed()
        })
    });
    group.finish();
}

fn load_10k(c: &mut Criterion) {
    let runtime = runtime();
    let store = InMemoryEventStore::new();
    let repo = Repository::<Account, _>::new(store.clone());
    let id = runtime.block_on(work::long_account(&repo));
    let uncached = Repository::<Account, _>::new(Uncached(store.clone()));
    let rows = runtime.block_on(work::rows(
        &store,
        &StreamId::new("Account", id.to_string()),
    ));

    let mut group = c.benchmark_group("load_10k");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("eventsource_load_decoded_copies", |b| {
        b.iter(|| black_box(runtime.block_on(repo.load(id)).expect("load")))
    });
    group.bench_function("eventsource_load_decoding", |b| {
        b.iter(|| black_box(runtime.block_on(uncached.load(id)).expect("load")))
    });
    group.bench_function("raw_serde_json_decode", |b| {
        b.iter(|| black_box(work::raw_replay(&rows)))
    });
    group.finish();

    let mut group = c.benchmark_group("dispatch_10k");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("generated", |b| {
        b.iter(|| black_box(work::generated_dispatch(&rows)))
    });
    group.bench_function("hand_written_match", |b| {
        b.iter(|| black_box(work::hand_dispatch(&rows)))
    });
    group.finish();
}

criterion_group!(benches, commands, load_10k);
criterion_main!(benches);
