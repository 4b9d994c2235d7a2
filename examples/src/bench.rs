//! Store benchmarks, each printed beside the raw figure for the same work measured in the
//! same run.
//!
//! Run with `cargo run --release -p eventsource-examples --bin bench -- --store <store>`
//! (add `--quick` for a short run), where `<store>` is `sqlite` (the default) or `memory`
//! (the in-memory store's CPU paths: commands, loads, replay and dispatch, each with its
//! target; see `bench/memory.rs`). PostgreSQL has its own program for now, `bench_postgres`.
//!
//! The SQLite benchmarks write temporary databases under the system's temp directory:
//!
//! - saves: single-event saves to distinct aggregates through the `Repository`, against a
//!   plain rusqlite loop doing `BEGIN; INSERT; COMMIT` of the same JSON-encoded event, on
//!   the same `synchronous` level, into a table of the same columns with the same two
//!   unique indexes (the ratio printed for each threading mode), and into the same table
//!   without indexes (the extra row: the floor no event store with concurrency checks and
//!   idempotent retries can reach, as each commit then writes one B-tree instead of three);
//! - load: loading an aggregate of 10,000 events through the `Repository`, against a plain
//!   `SELECT event_type, payload ... ORDER BY version` of the same stored events (same
//!   file, same table and index), decoding each payload with serde_json and applying it.
//!
//! The raw connection has SQLite's defaults except WAL, `synchronous` and the store's page
//! cache size. Before the saves are timed, each contender commits enough to have filled its
//! write-ahead log once (a log still growing makes every flush slower). Each figure is
//! measured in interleaved rounds (raw, then each threading mode), so that a busy moment
//! of the machine hits all of them: saves print the median round, loads the fastest.

use eventsource::prelude::*;
use eventsource::store::sqlite::{SqliteConfig, Synchronous, Threading};
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "bench/memory.rs"]
mod memory;

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
#[aggregate(name = "Account", events(Deposited, Withdrawn))]
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

fn deposit(n: u64) -> Deposited {
    Deposited {
        cents: 100 + n % 900,
        note: format!("salary for month {n}"),
    }
}

const LOAD_EVENTS: u64 = 10_000;

struct Settings {
    /// How long each timed round of saves runs.
    round: Duration,
    /// Rounds per figure; the median is printed.
    rounds: usize,
    /// Loads per round.
    loads: usize,
}

struct Row {
    operation: String,
    ours: String,
    raw: String,
    ratio: String,
}

fn main() -> eventsource::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let store = args
        .iter()
        .position(|a| a == "--store")
        .and_then(|at| args.get(at + 1))
        .map_or("sqlite", String::as_str);
    match store {
        "sqlite" => sqlite(quick),
        "memory" => {
            let rows = memory::run(&memory::Settings::new(quick))?;
            println!(
                "\nin-memory store, one thread (figures from a shared machine: compare within a run)\n"
            );
            memory::print_table(&rows);
            Ok(())
        }
        "postgres" => {
            eprintln!("the PostgreSQL benchmarks are `--bin bench_postgres --features postgres`");
            std::process::exit(2)
        }
        other => {
            eprintln!("unknown store `{other}`: use --store sqlite or --store memory");
            std::process::exit(2)
        }
    }
}

fn sqlite(quick: bool) -> eventsource::Result<()> {
    let settings = if quick {
        Settings {
            round: Duration::from_millis(300),
            rounds: 3,
            loads: 3,
        }
    } else {
        Settings {
            round: Duration::from_secs(1),
            rounds: 5,
            loads: 10,
        }
    };
    let dir = std::env::temp_dir().join(format!("eventsource-bench-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(eventsource::Error::backend)?;
    let runtime = tokio::runtime::Runtime::new().map_err(eventsource::Error::backend)?;
    let result = runtime.block_on(run(&dir, &settings));
    let _ = std::fs::remove_dir_all(&dir);
    let rows = result?;
    print_table(&rows);
    Ok(())
}

async fn run(dir: &Path, settings: &Settings) -> eventsource::Result<Vec<Row>> {
    const MODES: [Threading; 2] = [Threading::DedicatedThread, Threading::SpawnBlocking];
    let mut rows = Vec::new();
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let name = level(synchronous);
        let indexed = RawSqlite::open(&dir.join(format!("raw-indexed-{name}.db")), synchronous)?;
        indexed.add_indexes()?;
        let bare = RawSqlite::open(&dir.join(format!("raw-bare-{name}.db")), synchronous)?;
        let mut stores = Vec::new();
        for threading in MODES {
            let path = dir.join(format!("saves-{name}-{}.db", thread_name(threading)));
            let config = SqliteConfig::file(path)
                .synchronous(synchronous)
                .threading(threading);
            stores.push(SqliteEventStore::open_with(config).await?);
        }
        indexed.warm_up()?;
        bare.warm_up()?;
        for store in &stores {
            saves_per_second(store, Duration::ZERO, 400).await?;
        }
        // Rounds interleave the contenders, so that a busy moment of the machine hits all
        // of them alike; the median round is printed.
        let (mut raw_indexed, mut raw_bare) = (Vec::new(), Vec::new());
        let mut ours = vec![Vec::new(); stores.len()];
        for _ in 0..settings.rounds {
            raw_indexed.push(indexed.inserts_per_second(settings.round, 0)?);
            for (store, figures) in stores.iter().zip(&mut ours) {
                figures.push(saves_per_second(store, settings.round, 0).await?);
            }
            raw_bare.push(bare.inserts_per_second(settings.round, 0)?);
        }
        let (raw_indexed, raw_bare) = (median(raw_indexed), median(raw_bare));
        let ours: Vec<f64> = ours.into_iter().map(median).collect();
        for (threading, ours) in MODES.into_iter().zip(&ours) {
            rows.push(Row {
                operation: format!(
                    "single-event saves, synchronous={name}, {}",
                    thread_name(threading)
                ),
                ours: format!("{ours:.0} saves/s"),
                raw: format!("{raw_indexed:.0} inserts/s"),
                ratio: format!("{:.0}% of raw", 100.0 * ours / raw_indexed),
            });
        }
        rows.push(Row {
            operation: format!(
                "  same saves, against inserts into a table without indexes ({name})"
            ),
            ours: format!("{:.0} saves/s", ours[0]),
            raw: format!("{raw_bare:.0} inserts/s"),
            ratio: format!("{:.0}% of raw", 100.0 * ours[0] / raw_bare),
        });
    }

    let path = dir.join("load.db");
    let mut stores = Vec::new();
    for threading in MODES {
        let config = SqliteConfig::file(&path).threading(threading);
        stores.push(SqliteEventStore::open_with(config).await?);
    }
    let id = fill_account(&stores[0]).await?;
    let raw = RawSqlite::open(&path, Synchronous::Full)?;
    let mut theirs = f64::MAX;
    let mut ours = vec![f64::MAX; stores.len()];
    for _ in 0..settings.rounds {
        theirs = theirs.min(raw.load_time(&id.to_string(), settings.loads)?);
        for (store, best) in stores.iter().zip(&mut ours) {
            *best = best.min(load_time(store, id, settings.loads).await?);
        }
    }
    for (threading, ours) in MODES.into_iter().zip(ours) {
        rows.push(Row {
            operation: format!("load a 10,000-event aggregate, {}", thread_name(threading)),
            ours: format!("{:.2} ms", ours * 1e3),
            raw: format!("{:.2} ms", theirs * 1e3),
            ratio: format!("{:.2}x raw time", ours / theirs),
        });
    }
    Ok(rows)
}

fn level(synchronous: Synchronous) -> &'static str {
    match synchronous {
        Synchronous::Normal => "NORMAL",
        _ => "FULL",
    }
}

fn thread_name(threading: Threading) -> &'static str {
    match threading {
        Threading::SpawnBlocking => "spawn_blocking",
        _ => "dedicated thread",
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Saves one event to a new aggregate, again and again, for `round` and at least
/// `at_least` times.
async fn saves_per_second(
    store: &SqliteEventStore,
    round: Duration,
    at_least: u64,
) -> eventsource::Result<f64> {
    let repo = Repository::<Account, _>::new(store.clone());
    let start = Instant::now();
    let mut saves = 0u64;
    while start.elapsed() < round || saves < at_least {
        let mut account = repo.create_new(Uuid::now_v7());
        account.record(deposit(saves));
        repo.save(&mut account).await?;
        saves += 1;
    }
    Ok(saves as f64 / start.elapsed().as_secs_f64())
}

async fn fill_account(store: &SqliteEventStore) -> eventsource::Result<Uuid> {
    let repo = Repository::<Account, _>::new(store.clone());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    for n in 0..LOAD_EVENTS {
        account.record(deposit(n));
        if (n + 1) % 1000 == 0 {
            repo.save(&mut account).await?;
        }
    }
    Ok(id)
}

/// Seconds per load, the best of `loads` (after one warm-up).
async fn load_time(store: &SqliteEventStore, id: Uuid, loads: usize) -> eventsource::Result<f64> {
    let repo = Repository::<Account, _>::new(store.clone());
    let mut best = f64::MAX;
    for _ in 0..=loads {
        let start = Instant::now();
        let account = repo.load(id).await?;
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(account.movements, LOAD_EVENTS);
    }
    Ok(best)
}

/// The same work done with plain rusqlite.
struct RawSqlite {
    connection: Connection,
}

impl RawSqlite {
    /// A connection with SQLite's defaults but for WAL, `synchronous` and the page cache
    /// (32 MiB, as the store's connections have). It creates its own table for the inserts; the
    /// loads read the store's table in the same file.
    fn open(path: &Path, synchronous: Synchronous) -> eventsource::Result<Self> {
        let connection = Connection::open(path).map_err(eventsource::Error::backend)?;
        connection
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA cache_size = -32768;
                 CREATE TABLE IF NOT EXISTS raw_appends (
                     position INTEGER PRIMARY KEY, aggregate_type TEXT NOT NULL,
                     aggregate_id TEXT NOT NULL, version INTEGER NOT NULL,
                     event_id TEXT NOT NULL, event_type TEXT NOT NULL,
                     schema_version INTEGER NOT NULL, payload TEXT NOT NULL,
                     correlation_id TEXT, causation_id TEXT, extra TEXT NOT NULL,
                     occurred_at INTEGER NOT NULL) STRICT;",
                level(synchronous)
            ))
            .map_err(eventsource::Error::backend)?;
        Ok(RawSqlite { connection })
    }

    /// Gives the inserts' table the store's two unique indexes: (stream, version), which
    /// backs optimistic concurrency, and (stream, event id), which makes retries safe.
    fn add_indexes(&self) -> eventsource::Result<()> {
        self.connection
            .execute_batch(
                "CREATE UNIQUE INDEX raw_stream_version
                     ON raw_appends (aggregate_type, aggregate_id, version);
                 CREATE UNIQUE INDEX raw_stream_event_id
                     ON raw_appends (aggregate_type, aggregate_id, event_id);",
            )
            .map_err(eventsource::Error::backend)
    }

    /// Fills the write-ahead log once (it checkpoints every 1,000 pages).
    fn warm_up(&self) -> eventsource::Result<()> {
        self.inserts_per_second(Duration::ZERO, 1100).map(drop)
    }

    fn inserts_per_second(&self, round: Duration, at_least: u64) -> eventsource::Result<f64> {
        let start = Instant::now();
        let mut inserts = 0u64;
        while start.elapsed() < round || inserts < at_least {
            let payload = serde_json::to_string(&deposit(inserts)).expect("encode");
            self.connection
                .execute_batch("BEGIN")
                .map_err(eventsource::Error::backend)?;
            self.connection
                .prepare_cached(
                    "INSERT INTO raw_appends (aggregate_type, aggregate_id, version, event_id, \
                     event_type, schema_version, payload, correlation_id, causation_id, extra, \
                     occurred_at) VALUES ('Account', ?1, 1, ?2, 'Deposited', 1, ?3, NULL, NULL, \
                     '{}', ?4)",
                )
                .and_then(|mut insert| {
                    insert.execute(params![
                        Uuid::now_v7().to_string(),
                        Uuid::now_v7().to_string(),
                        payload,
                        1_700_000_000_000_000i64
                    ])
                })
                .map_err(eventsource::Error::backend)?;
            self.connection
                .execute_batch("COMMIT")
                .map_err(eventsource::Error::backend)?;
            inserts += 1;
        }
        Ok(inserts as f64 / start.elapsed().as_secs_f64())
    }

    /// Seconds per select-and-decode, the best of `loads` (after one warm-up).
    fn load_time(&self, stream: &str, loads: usize) -> eventsource::Result<f64> {
        let mut best = f64::MAX;
        for _ in 0..=loads {
            let start = Instant::now();
            let mut account = Account::default();
            let mut select = self
                .connection
                .prepare_cached(
                    "SELECT event_type, payload FROM eventsource_events \
                     WHERE aggregate_type = 'Account' AND aggregate_id = ?1 ORDER BY version",
                )
                .map_err(eventsource::Error::backend)?;
            let mut rows = select
                .query([stream])
                .map_err(eventsource::Error::backend)?;
            while let Some(row) = rows.next().map_err(eventsource::Error::backend)? {
                let event_type: String = row.get(0).map_err(eventsource::Error::backend)?;
                let payload: String = row.get(1).map_err(eventsource::Error::backend)?;
                match event_type.as_str() {
                    "Deposited" => {
                        let e: Deposited = serde_json::from_str(&payload).expect("decode");
                        account.balance += e.cents as i64;
                    }
                    _ => {
                        let e: Withdrawn = serde_json::from_str(&payload).expect("decode");
                        account.balance -= e.cents as i64;
                    }
                }
                account.movements += 1;
            }
            best = best.min(start.elapsed().as_secs_f64());
            assert_eq!(account.movements, LOAD_EVENTS);
        }
        Ok(best)
    }
}

fn print_table(rows: &[Row]) {
    let header = Row {
        operation: "operation".into(),
        ours: "eventsource".into(),
        raw: "raw rusqlite".into(),
        ratio: "ratio".into(),
    };
    let width = |f: fn(&Row) -> &String| {
        rows.iter()
            .chain([&header])
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [
        width(|r| &r.operation),
        width(|r| &r.ours),
        width(|r| &r.raw),
        width(|r| &r.ratio),
    ];
    let line = |r: &Row| {
        println!(
            "| {:<w0$} | {:>w1$} | {:>w2$} | {:>w3$} |",
            r.operation,
            r.ours,
            r.raw,
            r.ratio,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    };
    line(&header);
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(widths[0] + 2),
        "-".repeat(widths[1] + 2),
        "-".repeat(widths[2] + 2),
        "-".repeat(widths[3] + 2)
    );
    for row in rows {
        line(row);
    }
}
