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
//! - raw: the database as a user would use it without eventsource, a plain rusqlite loop
//!   doing `BEGIN; INSERT; COMMIT` of the same JSON-encoded event into the simplest table
//!   that enforces the store's rule (`stream, version, event_type, payload`, one unique key
//!   on stream and version), at the same `synchronous` level;
//! - saves: one event to a new aggregate through the `Repository`, per threading mode
//!   (target: ≥ 80% of raw);
//! - commands: `update` (load, decide, save) of one event on existing aggregates of three
//!   events, 1,000 of them in turn (target: ≥ 50% of raw);
//! - for scale: the same raw loop into a table of the store's own columns and its two
//!   unique indexes, (stream, version) and (stream, event id): the cost of the schema
//!   alone, not a baseline;
//! - load: loading an aggregate of 10,000 events through the `Repository`, against a plain
//!   `SELECT event_type, payload ... ORDER BY version` of the same 10,000 events in the raw
//!   table, decoding each payload with serde_json and applying it.
//!
//! The raw connection has SQLite's defaults except WAL, `synchronous` and the store's page
//! cache size. Before the saves are timed, each contender commits enough to have filled its
//! write-ahead log once (a log still growing makes every flush slower). Each figure is
//! measured in interleaved rounds (raw, each threading mode, commands, the schema row), so that a busy moment
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
    /// The target and whether this run met it; empty for rows shown for scale.
    target: String,
}

/// `ratio` against the target `at_least`, as the table prints it.
fn verdict(ratio: f64, at_least: f64) -> String {
    let met = if ratio >= at_least { "met" } else { "missed" };
    format!("≥ {:.0}%: {met}", at_least * 100.0)
}

/// Progress on stderr, so that a long run is seen to move and the table stays clean.
fn progress(what: &str) {
    eprintln!("… {what}");
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
        progress(&format!("synchronous={name}: preparing the databases"));
        let raw = RawSqlite::open(&dir.join(format!("raw-{name}.db")), synchronous)?;
        let ours_schema =
            RawSqlite::open_our_columns(&dir.join(format!("raw-columns-{name}.db")), synchronous)?;
        let mut stores = Vec::new();
        for threading in MODES {
            let path = dir.join(format!("saves-{name}-{}.db", thread_name(threading)));
            let config = SqliteConfig::file(path)
                .synchronous(synchronous)
                .threading(threading);
            stores.push(SqliteEventStore::open_with(config).await?);
        }
        raw.warm_up()?;
        ours_schema.warm_up()?;
        for store in &stores {
            saves_per_second(store, Duration::ZERO, 400).await?;
        }
        let existing = existing_accounts(&stores[0]).await?;
        // Rounds interleave the contenders, so that a busy moment of the machine hits all
        // of them alike; the median round is printed.
        let (mut raw_rounds, mut columns_rounds, mut command_rounds) =
            (Vec::new(), Vec::new(), Vec::new());
        let mut ours = vec![Vec::new(); stores.len()];
        for round in 0..settings.rounds {
            progress(&format!(
                "synchronous={name}: round {} of {}",
                round + 1,
                settings.rounds
            ));
            raw_rounds.push(raw.inserts_per_second(settings.round, 0)?);
            for (store, figures) in stores.iter().zip(&mut ours) {
                figures.push(saves_per_second(store, settings.round, 0).await?);
            }
            command_rounds.push(commands_per_second(&stores[0], &existing, settings.round).await?);
            columns_rounds.push(ours_schema.inserts_per_second(settings.round, 0)?);
        }
        let raw = median(raw_rounds);
        let columns = median(columns_rounds);
        let commands = median(command_rounds);
        let ours: Vec<f64> = ours.into_iter().map(median).collect();
        for (threading, ours) in MODES.into_iter().zip(&ours) {
            rows.push(Row {
                operation: format!(
                    "save of one event to a new aggregate, synchronous={name}, {}",
                    thread_name(threading)
                ),
                ours: format!("{ours:.0} saves/s"),
                raw: format!("{raw:.0} commits/s"),
                ratio: format!("{:.0}% of raw", 100.0 * ours / raw),
                target: verdict(ours / raw, 0.8),
            });
        }
        rows.push(Row {
            operation: format!(
                "command on an existing aggregate (update: load, decide, save), {name}"
            ),
            ours: format!("{commands:.0} commands/s"),
            raw: format!("{raw:.0} commits/s"),
            ratio: format!("{:.0}% of raw", 100.0 * commands / raw),
            target: verdict(commands / raw, 0.5),
        });
        rows.push(Row {
            operation: format!(
                "  for scale: raw inserts into a table of the store's columns and two unique indexes ({name})"
            ),
            ours: String::new(),
            raw: format!("{columns:.0} commits/s"),
            ratio: format!("{:.0}% of raw", 100.0 * columns / raw),
            target: String::new(),
        });
    }

    let path = dir.join("load.db");
    let mut stores = Vec::new();
    for threading in MODES {
        let config = SqliteConfig::file(&path).threading(threading);
        stores.push(SqliteEventStore::open_with(config).await?);
    }
    progress("loads: writing a 10,000-event aggregate");
    let id = fill_account(&stores[0]).await?;
    let raw = RawSqlite::open(&dir.join("raw-load.db"), Synchronous::Full)?;
    raw.fill(&id.to_string())?;
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
            target: String::new(),
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

/// How many aggregates the commands run on, one after the other.
const EXISTING: usize = 1_000;

/// Aggregates of three events each, for the commands.
async fn existing_accounts(store: &SqliteEventStore) -> eventsource::Result<Vec<Uuid>> {
    let repo = Repository::<Account, _>::new(store.clone());
    let mut ids = Vec::with_capacity(EXISTING);
    for n in 0..EXISTING as u64 {
        let id = Uuid::now_v7();
        let mut account = repo.create_new(id);
        account.record((deposit(n), deposit(n + 1), deposit(n + 2)));
        repo.save(&mut account).await?;
        ids.push(id);
    }
    Ok(ids)
}

/// One-event commands (`update`: load, decide, save) on `ids` in turn, for `round`.
async fn commands_per_second(
    store: &SqliteEventStore,
    ids: &[Uuid],
    round: Duration,
) -> eventsource::Result<f64> {
    let repo = Repository::<Account, _>::new(store.clone());
    let start = Instant::now();
    let mut commands = 0u64;
    while start.elapsed() < round {
        let id = ids[commands as usize % ids.len()];
        let n = commands;
        repo.update(id, move |_: &Account| {
            Ok::<_, std::convert::Infallible>(deposit(n))
        })
        .await
        .map_err(|error| match error {
            UpdateError::Failed(error) => error,
            UpdateError::Rejected(never) => match never {},
        })?;
        commands += 1;
    }
    Ok(commands as f64 / start.elapsed().as_secs_f64())
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
    /// One event's insert: `?1` the stream, `?2` the payload, `?3` (when used) an id.
    insert: &'static str,
}

impl RawSqlite {
    /// The database as a user would use it without eventsource: SQLite's defaults but
    /// for WAL, `synchronous` and the page cache (32 MiB, as the store's connections
    /// have), and the simplest table that enforces the store's rule, one unique key on
    /// stream and version (and the event's type, to decode it).
    fn open(path: &Path, synchronous: Synchronous) -> eventsource::Result<Self> {
        Self::open_with_table(
            path,
            synchronous,
            "CREATE TABLE IF NOT EXISTS raw_events (
                 stream TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL,
                 payload TEXT NOT NULL, PRIMARY KEY (stream, version));",
            "INSERT INTO raw_events (stream, version, event_type, payload) \
             VALUES (?1, 1, 'Deposited', ?2)",
        )
    }

    /// For scale only: a table of the store's columns with its two unique indexes,
    /// (stream, version) and (stream, event id).
    fn open_our_columns(path: &Path, synchronous: Synchronous) -> eventsource::Result<Self> {
        Self::open_with_table(
            path,
            synchronous,
            "CREATE TABLE IF NOT EXISTS raw_appends (
                 position INTEGER PRIMARY KEY, aggregate_type TEXT NOT NULL,
                 aggregate_id TEXT NOT NULL, version INTEGER NOT NULL,
                 event_id TEXT NOT NULL, event_type TEXT NOT NULL,
                 schema_version INTEGER NOT NULL, payload TEXT NOT NULL,
                 correlation_id TEXT, causation_id TEXT, extra TEXT NOT NULL,
                 occurred_at INTEGER NOT NULL) STRICT;
             CREATE UNIQUE INDEX IF NOT EXISTS raw_stream_version
                 ON raw_appends (aggregate_type, aggregate_id, version);
             CREATE UNIQUE INDEX IF NOT EXISTS raw_stream_event_id
                 ON raw_appends (aggregate_type, aggregate_id, event_id);",
            "INSERT INTO raw_appends (aggregate_type, aggregate_id, version, event_id, \
             event_type, schema_version, payload, correlation_id, causation_id, extra, \
             occurred_at) VALUES ('Account', ?1, 1, ?3, 'Deposited', 1, ?2, NULL, NULL, \
             '{}', 1700000000000000)",
        )
    }

    fn open_with_table(
        path: &Path,
        synchronous: Synchronous,
        table: &str,
        insert: &'static str,
    ) -> eventsource::Result<Self> {
        let connection = Connection::open(path).map_err(eventsource::Error::backend)?;
        connection
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA cache_size = -32768;
                 {table}",
                level(synchronous)
            ))
            .map_err(eventsource::Error::backend)?;
        Ok(RawSqlite { connection, insert })
    }

    /// The same 10,000 events as the store's loaded aggregate, in one transaction.
    fn fill(&self, stream: &str) -> eventsource::Result<()> {
        let backend = |error: rusqlite::Error| eventsource::Error::backend(error);
        self.connection.execute_batch("BEGIN").map_err(backend)?;
        let mut insert = self
            .connection
            .prepare_cached(
                "INSERT INTO raw_events (stream, version, event_type, payload) \
                 VALUES (?1, ?2, 'Deposited', ?3)",
            )
            .map_err(backend)?;
        for n in 0..LOAD_EVENTS {
            let payload =
                serde_json::to_string(&deposit(n)).map_err(eventsource::Error::backend)?;
            let version = i64::try_from(n + 1).map_err(eventsource::Error::backend)?;
            insert
                .execute(params![stream, version, payload])
                .map_err(backend)?;
        }
        drop(insert);
        self.connection.execute_batch("COMMIT").map_err(backend)
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
                .prepare_cached(self.insert)
                .and_then(|mut insert| {
                    let (stream, id) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
                    if insert.parameter_count() == 3 {
                        insert.execute(params![stream, payload, id])
                    } else {
                        insert.execute(params![stream, payload])
                    }
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
                    "SELECT event_type, payload FROM raw_events WHERE stream = ?1 \
                     ORDER BY version",
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
        target: "target".into(),
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
        width(|r| &r.target),
    ];
    let line = |r: &Row| {
        println!(
            "| {:<w0$} | {:>w1$} | {:>w2$} | {:>w3$} | {:<w4$} |",
            r.operation,
            r.ours,
            r.raw,
            r.ratio,
            r.target,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4]
        );
    };
    line(&header);
    println!(
        "|{}|{}|{}|{}|{}|",
        "-".repeat(widths[0] + 2),
        "-".repeat(widths[1] + 2),
        "-".repeat(widths[2] + 2),
        "-".repeat(widths[3] + 2),
        "-".repeat(widths[4] + 2)
    );
    for row in rows {
        line(row);
    }
}
