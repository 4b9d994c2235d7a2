//! The benchmark program: each workload of a store beside the raw figure for the same
//! work measured in the same run, with the ratio, the target and whether this run met it.
//!
//! ```text
//! cargo run --release -p eventsource-examples --bin bench -- --store memory|sqlite|postgres [--quick]
//! ```
//!
//! `--store all` runs the three; `--quick` makes every round short, as a smoke test (its
//! figures are not worth comparing). `--store postgres` needs the `postgres` feature
//! (`--features postgres`) and a server at `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Each store's module says what it measures
//! and what its raw figure is: `bench/memory.rs`, `bench/sqlite.rs`, `bench/postgres.rs`.
//! Progress goes to stderr, the tables to stdout.

#[path = "bench/memory.rs"]
mod memory;
#[cfg(feature = "postgres")]
#[path = "bench/postgres.rs"]
mod postgres;
#[path = "bench/rss.rs"]
mod rss;
#[path = "bench/sqlite.rs"]
mod sqlite;
#[path = "bench/sqlite_raw.rs"]
mod sqlite_raw;
#[path = "bench/table.rs"]
mod table;

use eventsource::prelude::*;
use table::print_table;

#[event]
pub struct Deposited {
    pub cents: u64,
    pub note: String,
}

#[event]
pub struct Withdrawn {
    pub cents: u64,
    pub note: String,
}

#[derive(Aggregate, Debug, Default)]
#[aggregate(name = "Account")]
pub struct Account {
    pub balance: i64,
    pub movements: u64,
}

#[apply]
impl Account {
    fn deposited(&mut self, e: &Deposited) {
        self.balance += e.cents as i64;
        self.movements += 1;
    }
    fn withdrawn(&mut self, e: &Withdrawn) {
        self.balance -= e.cents as i64;
        self.movements += 1;
    }
}

/// The benchmarks' event: a deposit with a short note.
pub fn deposit(n: u64) -> Deposited {
    Deposited {
        cents: 100 + n % 900,
        note: format!("salary for month {n}"),
    }
}

/// Events in the aggregate the loads read.
pub const LOAD_EVENTS: u64 = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(rss::CHILD) {
        if let Err(error) = rss::child(&args[1..]) {
            eprintln!("bench {}: {error}", rss::CHILD);
            std::process::exit(1);
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let store = args
        .iter()
        .position(|a| a == "--store")
        .and_then(|at| args.get(at + 1))
        .map_or("sqlite", String::as_str);
    let stores: &[&str] = match store {
        "all" => &["memory", "sqlite", "postgres"],
        "memory" => &["memory"],
        "sqlite" => &["sqlite"],
        "postgres" => &["postgres"],
        other => {
            eprintln!("unknown store `{other}`: use --store memory, sqlite, postgres or all");
            std::process::exit(2)
        }
    };
    let machine = std::thread::available_parallelism().map_or(0, usize::from);
    for store in stores {
        if let Err(error) = run(store, quick, machine) {
            eprintln!("bench --store {store}: {error}");
            std::process::exit(1);
        }
    }
}

fn run(store: &str, quick: bool, cores: usize) -> eventsource::Result<()> {
    let how = if quick {
        ", --quick (not worth comparing)"
    } else {
        ""
    };
    match store {
        "memory" => {
            let rows = memory::run(&memory::Settings::new(quick))?;
            print_table(
                &format!("in-memory store, one thread, {cores} cores{how}"),
                &rows,
            );
        }
        "sqlite" => {
            let rows = sqlite::run(&sqlite::Settings::new(quick))?;
            print_table(&format!("SQLite store, {cores} cores{how}"), &rows);
        }
        _ => postgres_table(quick, cores, how)?,
    }
    Ok(())
}

#[cfg(feature = "postgres")]
fn postgres_table(quick: bool, cores: usize, how: &str) -> eventsource::Result<()> {
    let rows = postgres::run(&postgres::Settings::new(quick))?;
    print_table(&format!("PostgreSQL store, {cores} cores{how}"), &rows);
    Ok(())
}

#[cfg(not(feature = "postgres"))]
fn postgres_table(_: bool, _: usize, _: &str) -> eventsource::Result<()> {
    Err(eventsource::Error::config(
        eventsource::error::ConfigKind::Other,
        "the PostgreSQL benchmarks need the `postgres` feature: \
         cargo run --release -p eventsource-examples --features postgres --bin bench -- --store postgres",
    ))
}
