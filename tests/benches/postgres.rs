//! Criterion benchmarks of the PostgreSQL store, each beside its raw limit (see
//! `tests/src/postgres_bench.rs`). Needs a server at `DATABASE_URL`; skipped without one.
//!
//! `cargo bench -p eventsource-tests --bench postgres`

use criterion::{Criterion, criterion_group, criterion_main};
use eventsource_tests::postgres_bench::{BenchEnv, WRITERS};
use std::future::Future;
use std::time::Duration;
use tokio::runtime::Runtime;

/// One group: eventsource's operation and the raw one, each timed by `iter_custom` (the
/// functions take the iteration count and return the time it took).
fn compare<O, R>(
    c: &mut Criterion,
    runtime: &Runtime,
    group: &str,
    (ours_name, ours): (&str, impl Fn(u64) -> O),
    (raw_name, raw): (&str, impl Fn(u64) -> R),
) where
    O: Future<Output = Duration>,
    R: Future<Output = Duration>,
{
    let mut group = c.benchmark_group(group);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function(ours_name, |b| b.iter_custom(|n| runtime.block_on(ours(n))));
    group.bench_function(raw_name, |b| b.iter_custom(|n| runtime.block_on(raw(n))));
    group.finish();
}

/// `n` loads, one after the other.
async fn loads<F: Future<Output = Duration>>(n: u64, load: impl Fn() -> F) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..n {
        total += load().await;
    }
    total
}

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
    let env = &env;
    compare(
        c,
        &runtime,
        "append_one_connection",
        ("eventsource_save", |n| env.store_saves(n as usize)),
        ("raw_insert", |n| env.raw_inserts(n as usize)),
    );
    // One iteration: one save (insert) by each of the writers.
    compare(
        c,
        &runtime,
        &format!("append_{WRITERS}_writers"),
        ("eventsource_save", |n| {
            env.store_concurrent_saves(n as usize)
        }),
        ("raw_insert", |n| env.raw_concurrent_inserts(n as usize)),
    );
    compare(
        c,
        &runtime,
        "load_10000_events",
        ("eventsource_load", |n| loads(n, || env.store_load())),
        ("raw_select_decode", |n| loads(n, || env.raw_load())),
    );
}

criterion_group!(benches, postgres);
criterion_main!(benches);
