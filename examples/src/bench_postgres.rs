//! Prints the PostgreSQL benchmark table: each eventsource figure beside the raw limit
//! measured on the same server in the same run, and their ratio.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo run --release -p eventsource-examples --features postgres --bin bench_postgres [rounds] [saves]
//! ```
//!
//! The workloads are in `tests/src/postgres_bench.rs`; every figure is the median of
//! `rounds` rounds (default 5) that alternate which side runs first.

use eventsource_tests::postgres_bench::{BenchEnv, comparison_table, format_table};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let saves: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(400);
    let Some(env) = BenchEnv::new().await else {
        eprintln!("bench_postgres: PostgreSQL unavailable (set DATABASE_URL)");
        std::process::exit(2);
    };
    println!(
        "PostgreSQL benchmark: {rounds} rounds, {saves} saves per round on one connection, \
         {} per writer with 8 writers (schema {})\n",
        (saves / 2).max(1),
        env.store.schema_name()
    );
    let rows = comparison_table(&env, rounds, saves).await;
    print!("{}", format_table(&rows));
}
