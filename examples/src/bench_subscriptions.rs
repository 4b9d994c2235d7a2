//! Subscription benchmarks on every store: how fast a no-op projection catches up on
//! stored events, beside the raw feed-read rate of the same rows measured in the same run,
//! and how long a live subscription takes to see an event after its append returned.
//!
//! Run with `cargo run --release -p eventsource-examples --bin bench_subscriptions` (add
//! `--features postgres` for the PostgreSQL rows; `-- 20000` for another event count,
//! `-- --quick` for fewer rounds). PostgreSQL is `DATABASE_URL`, default the local
//! server, in a schema of its own dropped afterwards; its rows are skipped with a note
//! when it is unreachable. `cargo bench -p eventsource-tests --bench subscriptions`
//! measures the in-memory and SQLite catch-up under criterion.
//!
//! - catch-up: `N` stored events (`{"n":…}`, streams of 50) read from the beginning by a
//!   projection whose handler only counts, timed from `SubscriptionRunner::start` until
//!   its status is live at the head, with `SubscriptionOptions::batch_size` 500 (the
//!   default) and 5000; the other options are the defaults (a checkpoint every 100
//!   events). The raw figure reads the same rows in position order without the library
//!   and decodes each payload with `serde_json` into the same event type: `read_all`
//!   pages of 500 for in-memory, one plain rusqlite `SELECT position, event_type,
//!   payload` on the same database file for SQLite, the same `SELECT` through a plain
//!   tokio-postgres connection for PostgreSQL. Rounds interleave raw and library reads;
//!   the medians are printed.
//! - live latency: with the subscription live, 500 events appended one at a time with
//!   `EventStore::append`, 2 ms apart; the time from the append returning to the handler
//!   running (the handler sends `Instant::now()` over a channel), median and 99th
//!   percentile.
//!
//! SQLite is a database file in a temporary directory with the store's default settings
//! (`synchronous = FULL`, a dedicated connection thread).
//!
//! # Figures
//!
//! From `cargo run --release -p eventsource-examples --features postgres --bin
//! bench_subscriptions -- --phases` on 2026-12-01: one run on a 2-core machine shared with
//! other work (PostgreSQL 15 on the same machine). The figures go stale and vary between runs
//! (over four runs that day: SQLite catch-up 49,000–142,000 events/s, PostgreSQL
//! 35,000–80,000, in-memory 525,000–776,000); run the program again before relying on them.
//!
//! ```text
//! | figure                                                                 |               eventsource |                                                   raw |            ratio / target |
//! |------------------------------------------------------------------------|---------------------------|-------------------------------------------------------|---------------------------|
//! | in-memory: catch-up of 50,000 events, batch_size 500                   |          775,562 events/s |      1,836,913 events/s (read_all pages + serde_json) | 42% of raw (misses ≥ 70%) |
//! | in-memory: catch-up of 50,000 events, batch_size 5000                  |          721,927 events/s |      1,836,913 events/s (read_all pages + serde_json) | 39% of raw (misses ≥ 70%) |
//! | in-memory: live latency, append → handler (500 events)                 |  p50 0.04 ms, p99 0.34 ms |                                                       |       p50 meets ≤ 5.00 ms |
//! | SQLite (synchronous=FULL): catch-up of 50,000 events, batch_size 500   |           48,882 events/s |     2,584,809 events/s (rusqlite SELECT + serde_json) |  2% of raw (misses ≥ 70%) |
//! | SQLite (synchronous=FULL): catch-up of 50,000 events, batch_size 5000  |           52,790 events/s |     2,584,809 events/s (rusqlite SELECT + serde_json) |  2% of raw (misses ≥ 70%) |
//! | SQLite (synchronous=FULL): live latency, append → handler (500 events) |  p50 0.25 ms, p99 2.27 ms |                                                       |       p50 meets ≤ 5.00 ms |
//! | PostgreSQL: catch-up of 50,000 events, batch_size 500                  |           41,790 events/s | 665,043 events/s (tokio-postgres SELECT + serde_json) |  6% of raw (misses ≥ 70%) |
//! | PostgreSQL: catch-up of 50,000 events, batch_size 5000                 |           55,734 events/s | 665,043 events/s (tokio-postgres SELECT + serde_json) |  8% of raw (misses ≥ 70%) |
//! | PostgreSQL: live latency, append → handler (500 events)                | p50 6.51 ms, p99 10.98 ms |                                                       |      p50 meets ≤ 25.00 ms |
//!
//! where a catch-up's time goes (medians):
//! in-memory, batch_size 500, 50500 events:
//!   read_feed pages only                                        22.28 ms     2,266,749 events/s    21% of the subscription's time
//!   + Projection::handle (decode + no-op handler)               29.43 ms     1,715,891 events/s    28% of the subscription's time
//!   + store_checkpoint every 100 events                         28.73 ms     1,757,569 events/s    28% of the subscription's time
//!   + a watch status update per event, one waiter               86.18 ms       586,014 events/s    83% of the subscription's time
//!   the subscription (start until live at the head)            103.93 ms       485,923 events/s   100% of the subscription's time
//!   the subscription, a checkpoint every 5,000 events          109.12 ms       462,774 events/s   105% of the subscription's time
//! in-memory, batch_size 5000, 50500 events:
//!   read_feed pages only                                        25.97 ms     1,944,694 events/s    25% of the subscription's time
//!   + Projection::handle (decode + no-op handler)               32.19 ms     1,568,733 events/s    31% of the subscription's time
//!   + store_checkpoint every 100 events                         33.91 ms     1,489,137 events/s    33% of the subscription's time
//!   + a watch status update per event, one waiter               82.24 ms       614,078 events/s    79% of the subscription's time
//!   the subscription (start until live at the head)            103.66 ms       487,162 events/s   100% of the subscription's time
//!   the subscription, a checkpoint every 5,000 events          106.66 ms       473,466 events/s   103% of the subscription's time
//! SQLite, batch_size 500, 50500 events:
//!   read_feed pages only                                       142.41 ms       354,616 events/s    20% of the subscription's time
//!   + Projection::handle (decode + no-op handler)              151.79 ms       332,696 events/s    21% of the subscription's time
//!   + store_checkpoint every 100 events                        873.64 ms        57,804 events/s   122% of the subscription's time
//!   + a watch status update per event, one waiter              784.33 ms        64,386 events/s   110% of the subscription's time
//!   the subscription (start until live at the head)            715.00 ms        70,630 events/s   100% of the subscription's time
//!   the subscription, a checkpoint every 5,000 events          200.66 ms       251,674 events/s    28% of the subscription's time
//! SQLite, batch_size 5000, 50500 events:
//!   read_feed pages only                                        82.35 ms       613,238 events/s    12% of the subscription's time
//!   + Projection::handle (decode + no-op handler)              118.19 ms       427,284 events/s    17% of the subscription's time
//!   + store_checkpoint every 100 events                        322.01 ms       156,826 events/s    46% of the subscription's time
//!   + a watch status update per event, one waiter              524.26 ms        96,325 events/s    74% of the subscription's time
//!   the subscription (start until live at the head)            704.94 ms        71,638 events/s   100% of the subscription's time
//!   the subscription, a checkpoint every 5,000 events          176.03 ms       286,880 events/s    25% of the subscription's time
//! PostgreSQL, batch_size 500, 50500 events:
//!   read_feed pages only                                       324.35 ms       155,695 events/s    21% of the subscription's time
//!   + Projection::handle (decode + no-op handler)              365.33 ms       138,233 events/s    24% of the subscription's time
//!   + store_checkpoint every 100 events                        1236.09 ms        40,855 events/s    81% of the subscription's time
//!   + a watch status update per event, one waiter              1231.27 ms        41,015 events/s    81% of the subscription's time
//!   the subscription (start until live at the head)            1517.72 ms        33,274 events/s   100% of the subscription's time
//!   the subscription, a checkpoint every 5,000 events          518.63 ms        97,372 events/s    34% of the subscription's time
//! PostgreSQL, batch_size 5000, 50500 events:
//!   read_feed pages only                                       341.02 ms       148,083 events/s    42% of the subscription's time
//!   + Projection::handle (decode + no-op handler)              272.90 ms       185,050 events/s    34% of the subscription's time
//!   + store_checkpoint every 100 events                        863.05 ms        58,513 events/s   106% of the subscription's time
//!   + a watch status update per event, one waiter              709.50 ms        71,177 events/s    87% of the subscription's time
//!   the subscription (start until live at the head)            812.63 ms        62,144 events/s   100% of the subscription's time
//!   the subscription, a checkpoint every 5,000 events          396.61 ms       127,330 events/s    49% of the subscription's time
//! ```
//!
//! What the phases say: the checkpoint written every 100 events is most of the SQLite and
//! PostgreSQL catch-up (each is a committed write: an fsync at `synchronous = FULL`, a
//! commit flush on PostgreSQL); with a checkpoint every 5,000 events the same catch-up runs
//! 2.5–4× faster. `read_feed` builds whole records (every column, metadata included) and
//! alone takes 4–7× the raw three-column SELECT on SQLite. On in-memory the per-event status
//! update (a `watch` send waking the task that waits on the handle) costs more than
//! reading and decoding. The live latencies meet their targets on every store.

use eventsource::InMemoryEventStore;
use eventsource_tests::sqlite::TempSqliteStore;
use eventsource_tests::subscription_bench::{
    DEFAULT_EVENTS, Figures, Settings, Store, format_phases, format_table, measure, phases,
    raw_in_memory, raw_sqlite, raw_sqlite_connection,
};
use std::time::Duration;

#[tokio::main]
async fn main() {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; run with --release for meaningful figures");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let with_phases = args.iter().any(|a| a == "--phases");
    let events = args
        .iter()
        .find_map(|a| a.replace(['_', ','], "").parse::<u64>().ok())
        .unwrap_or(DEFAULT_EVENTS);
    let settings = Settings {
        events,
        rounds: if quick { 3 } else { 5 },
        live_events: if quick { 200 } else { 500 },
        pause: Duration::from_millis(2),
    };
    let mut figures: Vec<Figures> = Vec::new();
    let mut notes = String::new();

    let store = InMemoryEventStore::new();
    figures.push(
        measure(
            "in-memory",
            "read_all pages + serde_json",
            &store,
            || raw_in_memory(&store, 500),
            Duration::from_millis(5),
            settings,
        )
        .await,
    );
    if with_phases {
        notes += &breakdown("in-memory", &store, settings).await;
    }
    drop(store);

    let store = TempSqliteStore::new()
        .await
        .expect("a SQLite database file");
    let path = store.dir().join("events.db");
    let mut connection = None;
    figures.push(
        measure(
            "SQLite (synchronous=FULL)",
            "rusqlite SELECT + serde_json",
            &store,
            || {
                // Opened at the first round, once the seeded table exists.
                let connection = connection.get_or_insert_with(|| raw_sqlite_connection(&path));
                let read = raw_sqlite(connection);
                async move { read }
            },
            Duration::from_millis(5),
            settings,
        )
        .await,
    );
    if with_phases {
        notes += &breakdown("SQLite", &store, settings).await;
    }
    drop(store);

    #[cfg(feature = "postgres")]
    match eventsource_tests::postgres::pg_store().await {
        Some(store) => {
            let client = eventsource_tests::postgres::admin(store.config())
                .await
                .expect("a plain connection");
            let schema = store.schema_name().to_owned();
            figures.push(
                measure(
                    "PostgreSQL",
                    "tokio-postgres SELECT + serde_json",
                    &store,
                    || eventsource_tests::subscription_bench::raw_postgres(&client, &schema),
                    Duration::from_millis(25),
                    settings,
                )
                .await,
            );
            if with_phases {
                notes += &breakdown("PostgreSQL", &store, settings).await;
            }
        }
        None => println!("note: PostgreSQL unreachable; its rows are skipped"),
    }
    #[cfg(not(feature = "postgres"))]
    println!("note: built without the `postgres` feature; no PostgreSQL rows");

    print!("{}", format_table(&figures));
    if with_phases {
        print!("\nwhere a catch-up's time goes (medians):\n{notes}");
    }
}

/// The catch-up's phases on a store the measurement left: its seeded events and the
/// live ones.
async fn breakdown<S: Store>(name: &str, store: &S, settings: Settings) -> String {
    let events = settings.events + settings.live_events;
    let head = store.head_position().await.expect("head_position");
    let mut out = String::new();
    for batch in [500, 5000] {
        let p = phases(store, batch, head, events, settings.rounds).await;
        out += &format_phases(name, batch, events, &p);
    }
    out
}
