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
//! - catch-up: `N` stored events (`{"n":…}`, streams of 50; 200,000 unless given) read
//!   from the beginning by a projection whose handler only counts, timed from
//!   `SubscriptionRunner::start` until its status is live at the head, with
//!   `SubscriptionOptions::batch_size` 500 (the default) and 5000; the other options are
//!   the defaults (a checkpoint every 5,000 events). The raw figure reads the same rows in
//!   position order without the library, taking every column of the envelope a handler
//!   sees and decoding each into a plain value (texts borrowed, ids parsed, the payload
//!   decoded with `serde_json` into the same event type): `read_all` pages of 500 for
//!   in-memory, one plain rusqlite `SELECT` on the same database file for SQLite, the same
//!   `SELECT` through a plain tokio-postgres connection for PostgreSQL. The target is
//!   measured against it. The narrow raw read (position, type and payload only) is shown
//!   beside it for scale. Rounds interleave raw and library reads; the medians are
//!   printed.
//! - transactional catch-up (SQLite and PostgreSQL): a projection writing one row per
//!   event (`INSERT`) in the transaction that moves its checkpoint, over the first 20,000
//!   events, median of 3 rounds.
//! - live latency: with the subscription live, 500 events appended one at a time with
//!   `EventStore::append`, 2 ms apart; the time from the append returning to the handler
//!   running (the handler sends `Instant::now()` over a channel), median and 99th
//!   percentile.
//!
//! SQLite is a database file in a temporary directory with the store's default settings
//! (`synchronous = FULL`, a dedicated writing thread, two reading ones).
//!
//! # Figures
//!
//! From `cargo run --release -p eventsource-examples --features postgres --bin
//! bench_subscriptions` on 2026-12-02, on an otherwise idle 2-core machine (PostgreSQL 15
//! on the same machine). Figures vary between runs by 10-20%; run the program again before
//! relying on them.
//!
//! ```text
//! | figure                                                                 |              eventsource |                                                                                    raw |                          ratio / target |
//! |------------------------------------------------------------------------|--------------------------|----------------------------------------------------------------------------------------|-----------------------------------------|
//! | in-memory: catch-up of 200,000 events, batch_size 500                  |       4,197,292 events/s |                4,609,783 events/s (read_all pages + serde_json, every envelope column) |                91% of raw (meets ≥ 70%) |
//! | in-memory: catch-up of 200,000 events, batch_size 5000                 |       4,804,973 events/s |                4,609,783 events/s (read_all pages + serde_json, every envelope column) |               104% of raw (meets ≥ 70%) |
//! | in-memory: live latency, append → handler (500 events)                 | p50 0.03 ms, p99 0.15 ms |                                                                                        |                     p50 meets ≤ 5.00 ms |
//! | SQLite (synchronous=FULL): catch-up of 200,000 events, batch_size 500  |       1,805,444 events/s |               2,154,641 events/s (rusqlite SELECT + serde_json, every envelope column) |                84% of raw (meets ≥ 70%) |
//! | SQLite (synchronous=FULL): catch-up of 200,000 events, batch_size 5000 |       2,102,252 events/s |               2,154,641 events/s (rusqlite SELECT + serde_json, every envelope column) |                98% of raw (meets ≥ 70%) |
//! | SQLite (synchronous=FULL): the narrow raw read, for scale              |                          |       7,136,913 events/s (rusqlite SELECT + serde_json, position, event type, payload) | catch-up at 25% (500), 29% (5000) of it |
//! | SQLite (synchronous=FULL): live latency, append → handler (500 events) | p50 0.20 ms, p99 0.51 ms |                                                                                        |                     p50 meets ≤ 5.00 ms |
//! | PostgreSQL: catch-up of 200,000 events, batch_size 500                 |       1,049,310 events/s |         1,350,390 events/s (tokio-postgres SELECT + serde_json, every envelope column) |                78% of raw (meets ≥ 70%) |
//! | PostgreSQL: catch-up of 200,000 events, batch_size 5000                |       1,165,980 events/s |         1,350,390 events/s (tokio-postgres SELECT + serde_json, every envelope column) |                86% of raw (meets ≥ 70%) |
//! | PostgreSQL: the narrow raw read, for scale                             |                          | 2,649,824 events/s (tokio-postgres SELECT + serde_json, position, event type, payload) | catch-up at 40% (500), 44% (5000) of it |
//! | PostgreSQL: live latency, append → handler (500 events)                | p50 7.56 ms, p99 8.75 ms |                                                                                        |                    p50 meets ≤ 25.00 ms |
//!
//! transactional catch-up, one row per event (batch_size 500):
//!   SQLite (synchronous=FULL): 658,401 events/s over the first 20,000 events
//!   PostgreSQL: 8,940 events/s over the first 20,000 events
//! ```
//!
//! What got the catch-up there, each measured with `-- --phases` and `callgrind`:
//! - a feed read hands over a `FeedPage` (the texts of a page in one buffer) instead of an
//!   owned record per event (four allocations each), and a plain subscription reuses one
//!   record's buffers from event to event;
//! - pages are read at least 4,096 events at a time and delivered in batches of
//!   `batch_size`, with the next page read while one is delivered; the page carries the
//!   feed's head, so no query per batch asks for it;
//! - SQLite splits a large feed read between two reading connections;
//! - PostgreSQL's page query uses scalar subqueries for the horizon instead of a lateral
//!   join and a sort (server time per page about halved), and its rows are decoded as they
//!   arrive;
//! - the default checkpoint interval is 5,000 events: at 1,000, the committed checkpoint
//!   writes took about 30% of a SQLite catch-up.
//!
//! The raw three-column read is out of reach of any reader that hands over whole
//! envelopes: on SQLite, reading twelve columns instead of three costs about 2.5 times as
//! much in SQLite and rusqlite alone.

use eventsource::InMemoryEventStore;
use eventsource_tests::sqlite::TempSqliteStore;
use eventsource_tests::subscription_bench::{
    DEFAULT_EVENTS, Figures, RawColumns, Settings, Store, format_phases, format_table, measure,
    phases, raw_in_memory, raw_sqlite, raw_sqlite_connection,
};
use eventsource_tests::subscription_bench::{median, rate, thousands};
use eventsource_tests::transactional_bench::{
    CREATE_TICKS, SqliteTicks, catch_up_in_transaction, nth_position,
};
use std::time::Duration;

/// Events in the transactional catch-up (at most): one row is written per event.
const TRANSACTIONAL_EVENTS: u64 = 20_000;

/// The events of the transactional catch-up and the position of the last of them.
async fn transactional_span<S: eventsource::EventStore>(store: &S, stored: u64) -> (u64, u64) {
    let events = stored.min(TRANSACTIONAL_EVENTS);
    let until = nth_position(store, usize::try_from(events).unwrap_or(usize::MAX)).await;
    (events, until)
}

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
    let mut transactional: Vec<(&str, u64, f64)> = Vec::new();

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
    {
        let connection = raw_sqlite_connection(&path);
        connection.execute(CREATE_TICKS, []).expect("the table");
        let (events, until) = transactional_span(&store, settings.events).await;
        let mut times = Vec::new();
        for _ in 0..settings.rounds.min(3) {
            connection
                .execute("DELETE FROM bench_ticks", [])
                .expect("emptying the table");
            times.push(catch_up_in_transaction(&store, SqliteTicks, until).await);
        }
        transactional.push((
            "SQLite (synchronous=FULL)",
            events,
            rate(events, median(&times)),
        ));
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
            let table = format!("\"{schema}\".bench_ticks");
            client
                .batch_execute(&CREATE_TICKS.replace("bench_ticks", &table))
                .await
                .expect("the table");
            let (events, until) = transactional_span(&store, settings.events).await;
            let mut times = Vec::new();
            for _ in 0..settings.rounds.min(3) {
                client
                    .batch_execute(&format!("DELETE FROM {table}"))
                    .await
                    .expect("emptying the table");
                let projection =
                    eventsource_tests::transactional_bench::PostgresTicks::in_schema(&schema);
                times.push(catch_up_in_transaction(&store, projection, until).await);
            }
            transactional.push(("PostgreSQL", events, rate(events, median(&times))));
        }
        None => println!("note: PostgreSQL unreachable; its rows are skipped"),
    }
    #[cfg(not(feature = "postgres"))]
    println!("note: built without the `postgres` feature; no PostgreSQL rows");

    print!("{}", format_table(&figures));
    println!(
        "\ntransactional catch-up: a projection writing one row per event in the transaction \
         that moves its checkpoint (batch_size 500), from the beginning of the feed:"
    );
    for (store, events, rate) in &transactional {
        println!(
            "  {store}: {} events/s over the first {} events",
            thousands(*rate),
            thousands(*events as f64)
        );
    }
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
