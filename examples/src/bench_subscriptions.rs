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
//! bench_subscriptions` on 2026-12-01, on an otherwise idle 2-core machine (PostgreSQL 15 on
//! the same machine), with the status moved once a batch, a checkpoint every 1,000 events
//! and the next page read while a batch is delivered. Figures vary between runs (up to 2x on
//! a busy machine); run the program again before relying on them.
//!
//! ```text
//! | figure                                                                 |              eventsource |                                                   raw |            ratio / target |
//! |------------------------------------------------------------------------|--------------------------|-------------------------------------------------------|---------------------------|
//! | in-memory: catch-up of 50,000 events, batch_size 500                   |       1,432,848 events/s |      1,780,021 events/s (read_all pages + serde_json) |  80% of raw (meets ≥ 70%) |
//! | in-memory: catch-up of 50,000 events, batch_size 5000                  |       1,383,076 events/s |      1,780,021 events/s (read_all pages + serde_json) |  78% of raw (meets ≥ 70%) |
//! | in-memory: live latency, append → handler (500 events)                 | p50 0.06 ms, p99 0.18 ms |                                                       |       p50 meets ≤ 5.00 ms |
//! | SQLite (synchronous=FULL): catch-up of 50,000 events, batch_size 500   |         422,539 events/s |     2,036,960 events/s (rusqlite SELECT + serde_json) | 21% of raw (misses ≥ 70%) |
//! | SQLite (synchronous=FULL): catch-up of 50,000 events, batch_size 5000  |         460,159 events/s |     2,036,960 events/s (rusqlite SELECT + serde_json) | 23% of raw (misses ≥ 70%) |
//! | SQLite (synchronous=FULL): live latency, append → handler (500 events) | p50 0.25 ms, p99 0.68 ms |                                                       |       p50 meets ≤ 5.00 ms |
//! | PostgreSQL: catch-up of 50,000 events, batch_size 500                  |         170,907 events/s | 761,059 events/s (tokio-postgres SELECT + serde_json) | 22% of raw (misses ≥ 70%) |
//! | PostgreSQL: catch-up of 50,000 events, batch_size 5000                 |         207,006 events/s | 761,059 events/s (tokio-postgres SELECT + serde_json) | 27% of raw (misses ≥ 70%) |
//! | PostgreSQL: live latency, append → handler (500 events)                | p50 7.23 ms, p99 9.45 ms |                                                       |      p50 meets ≤ 25.00 ms |
//! ```
//!
//! Earlier the same day (a status update per event, a checkpoint every 100 events, no read
//! ahead) the catch-up figures were 775,562 (in-memory), 48,882 (SQLite) and 41,790
//! (PostgreSQL) events/s. Where the rest of the time goes (`-- --phases`): on SQLite and
//! PostgreSQL the store's own `read_feed` alone reads about a quarter of the raw rate,
//! because it builds whole envelopes (every column, owned strings, parsed ids and
//! metadata) where the raw read borrows three columns; the subscription runs at about
//! the speed of `read_feed`.

use eventsource::InMemoryEventStore;
use eventsource_tests::sqlite::TempSqliteStore;
use eventsource_tests::subscription_bench::{
    DEFAULT_EVENTS, Figures, RawColumns, Settings, Store, format_phases, format_table, measure,
    phases, raw_in_memory, raw_sqlite, raw_sqlite_connection,
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
            |columns| {
                let store = store.clone();
                async move {
                    match columns {
                        RawColumns::Envelope => Some(raw_in_memory(&store, 500).await),
                        RawColumns::Narrow => None,
                    }
                }
            },
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
            |columns| {
                // Opened at the first round, once the seeded table exists.
                let connection = connection.get_or_insert_with(|| raw_sqlite_connection(&path));
                let read = raw_sqlite(connection, columns);
                async move { Some(read) }
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
                    |columns| {
                        let read = eventsource_tests::subscription_bench::raw_postgres(
                            &client, &schema, columns,
                        );
                        async move { Some(read.await) }
                    },
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
