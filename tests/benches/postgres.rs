//! Criterion benchmarks of the PostgreSQL store, each beside its raw limit (see
//! `tests/src/postgres_bench.rs`). Needs a server at `DATABASE_URL`; skipped without one.
//!
//! `cargo bench -p eventsource-tests --bench postgres`

use criterion::{Criterion, criterion_group, criterion_main};
use eventsource_tests::postgres_bench::{BenchEnv, WRITERS};
use std::time::Duration;

fn postgres(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(env) = runtime.block_on(BenchEnv::new()) else {
        eprintln!("SKIPPED postgres benchmarks: PostgreSQL unavailable");
        return;
    };
    let mut group = c.benchmark_group("append_one_connection");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("eventsource_save", |b| {
        b.iter_custom(|n| runtime.block_on(env.store_saves(n as usize)))
    });
    group.bench_function("raw_insert", |b| {
        b.iter_custom(|n| runtime.block_on(env.raw_inserts(n as usize)))
    });
    group.finish();

    // One iteration = one save (insert) by each of the writers.
    let mut group = c.benchmark_group(format!("append_{WRITERS}_writers"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("eventsource_save", |b| {
        b.iter_custom(|n| runtime.block_on(env.store_concurrent_saves(n as usize)))
    });
    group.bench_function("raw_insert", |b| {
        b.iter_custom(|n| runtime.block_on(env.raw_concurrent_inserts(n as usize)))
    });
    group.finish();

    let mut group = c.benchmark_group("load_10000_events");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("eventsource_load", |b| {
        b.iter_custom(|n| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += env.store_load().await;
                }
                total
            })
        })
    });
    group.bench_function("raw_select_decode", |b| {
        b.iter_custom(|n| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += env.raw_load().await;
                }
                total
            })
        })
    });
    group.finish();
    drop(env);
}

criterion_group!(benches, postgres);
criterion_main!(benches);
