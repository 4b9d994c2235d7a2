//! Load time with and without snapshots, for histories of 100 to 100,000 events.
//!
//! Run with `cargo run --release -p eventsource-examples --bin bench_snapshots`. With
//! snapshots (taken every 100 events) the load time stays flat; without, it grows with the
//! history. `cargo bench -p eventsource-tests --bench snapshots` measures the same
//! workload under criterion.

use eventsource::{InMemoryEventStore, InMemorySnapshotStore};
use eventsource_tests::snapshot_bench::{SIZES, measure, table};
use std::time::Duration;

#[tokio::main]
async fn main() {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; run with --release for meaningful figures");
    }
    let budget = Duration::from_millis(300);
    let rows = measure(
        || (InMemoryEventStore::new(), InMemorySnapshotStore::new()),
        &SIZES,
        budget,
    )
    .await;
    print!("{}", table("in-memory stores", &rows));
    let first = rows.first().expect("at least one size");
    let last = rows.last().expect("at least one size");
    let flat = last.with_snapshot.as_secs_f64() / first.with_snapshot.as_secs_f64();
    println!(
        "\nwith snapshots, the {}-event load takes {flat:.2}x the {}-event load (target: within 2x)",
        last.events, first.events
    );
}
