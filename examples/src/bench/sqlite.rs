//! `--store sqlite`: the SQLite store beside plain rusqlite, in temporary databases under
//! the system's temp directory.
//!
//! - raw: the database as a user would use it without eventsource, a plain rusqlite loop
//!   doing `BEGIN; INSERT; COMMIT` of the same JSON-encoded event into the simplest table
//!   that enforces the store's rule (`stream, version, event_type, payload`, one unique key
//!   on stream and version), at the same `synchronous` level;
//! - saves: one event to a new aggregate through the `Repository`, per threading mode
//!   (target: ≥ 80% of raw);
//! - commands: `update` (load, decide, save) of one event on existing aggregates of three
//!   events, 1,000 of them in turn (target: ≥ 50% of raw);
//! - 8 writers: 8 tasks each saving one event to new aggregates of their own, at once:
//!   their appends share commits (group commit), against the raw single-writer commit rate
//!   (target at FULL: ≥ 3×), with the latency each save pays;
//! - for scale: the same raw loop into a table of the store's own columns and its two
//!   unique indexes, (stream, version) and (stream, event id): the cost of the schema
//!   alone, not a baseline;
//! - load: an aggregate of 10,000 events through the `Repository`, against a plain
//!   `SELECT event_type, payload ... ORDER BY version` of the same events in the raw table,
//!   decoding each payload with serde_json and applying it;
//! - memory: the peak memory growth of loading 100,000 events against 10,000.
//!
//! The raw connection has SQLite's defaults except WAL, `synchronous` and the store's page
//! cache size. Before the saves are timed, each contender commits enough to have filled its
//! write-ahead log once (a log still growing makes every flush slower). Each figure is
//! measured in interleaved rounds (raw, each threading mode, commands, 8 writers, the schema
//! row), so that a busy moment of the machine hits all of them.

use super::rss;
use super::sqlite_raw::RawSqlite;
use super::table::{Figures, Row, met, percent_of_raw, progress};
use crate::{Account, LOAD_EVENTS, deposit};
use eventsource::prelude::*;
use eventsource::store::sqlite::{SqliteConfig, Synchronous, Threading};
use std::path::Path;
use std::time::{Duration, Instant};

/// How much each figure does.
pub struct Settings {
    /// How long each timed round of saves runs.
    round: Duration,
    /// Rounds per figure.
    rounds: usize,
    /// Loads per round.
    loads: usize,
}

impl Settings {
    pub fn new(quick: bool) -> Self {
        if quick {
            Settings {
                round: Duration::from_millis(200),
                rounds: 3,
                loads: 3,
            }
        } else {
            Settings {
                round: Duration::from_secs(1),
                rounds: 5,
                loads: 10,
            }
        }
    }
}

/// Concurrent writers of the group-commit workload.
const WRITERS: usize = 8;

const MODES: [Threading; 2] = [Threading::DedicatedThread, Threading::SpawnBlocking];

pub fn run(settings: &Settings) -> eventsource::Result<Vec<Row>> {
    let dir = std::env::temp_dir().join(format!("eventsource-bench-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(eventsource::Error::backend)?;
    let runtime = tokio::runtime::Runtime::new().map_err(eventsource::Error::backend)?;
    let result = runtime.block_on(measure(&dir, settings));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub fn level(synchronous: Synchronous) -> &'static str {
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

async fn measure(dir: &Path, settings: &Settings) -> eventsource::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        saves_and_commands(dir, settings, synchronous, &mut rows).await?;
    }
    loads(dir, settings, &mut rows).await?;
    memory(dir, &mut rows).await?;
    Ok(rows)
}

async fn saves_and_commands(
    dir: &Path,
    settings: &Settings,
    synchronous: Synchronous,
    rows: &mut Vec<Row>,
) -> eventsource::Result<()> {
    let name = level(synchronous);
    progress(&format!("sqlite {name}: preparing the databases"));
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
        saves_per_second(store, Duration::ZERO, 1100).await?;
    }
    let existing = existing_accounts(&stores[0]).await?;
    let (mut raw_rounds, mut columns, mut commands, mut writers) = Default::default();
    let (raw_rounds, columns, commands, writers): (
        &mut Figures,
        &mut Figures,
        &mut Figures,
        &mut Figures,
    ) = (&mut raw_rounds, &mut columns, &mut commands, &mut writers);
    let (mut raw_latency, mut writer_latency) = (Vec::new(), Vec::new());
    let mut ours = vec![Figures::default(); stores.len()];
    for round in 1..=settings.rounds {
        progress(&format!(
            "sqlite {name}: round {round} of {}",
            settings.rounds
        ));
        raw_rounds
            .0
            .push(raw.inserts_per_second(settings.round, 0, &mut raw_latency)?);
        for (store, figures) in stores.iter().zip(&mut ours) {
            figures
                .0
                .push(saves_per_second(store, settings.round, 0).await?);
        }
        commands
            .0
            .push(commands_per_second(&stores[0], &existing, settings.round).await?);
        writers
            .0
            .push(concurrent_saves(&stores[0], settings.round, &mut writer_latency).await?);
        columns
            .0
            .push(ours_schema.inserts_per_second(settings.round, 0, &mut Vec::new())?);
    }
    let raw_cell = raw_rounds.spread(1.0, 0, "commits/s");
    for (threading, ours) in MODES.into_iter().zip(&ours) {
        rows.push(Row {
            operation: format!(
                "save: one event to a new aggregate, {name}, {}",
                thread_name(threading)
            ),
            ours: ours.spread(1.0, 0, "saves/s"),
            raw: raw_cell.clone(),
            ratio: percent_of_raw(ours, raw_rounds),
            target: "≥ 80% of raw".into(),
            met: met(ours.median() >= 0.8 * raw_rounds.median()),
        });
    }
    rows.push(Row {
        operation: format!("command: update (load, decide, save) of an existing aggregate, {name}"),
        ours: commands.spread(1.0, 0, "commands/s"),
        raw: raw_cell.clone(),
        ratio: percent_of_raw(commands, raw_rounds),
        target: "≥ 50% of raw".into(),
        met: met(commands.median() >= 0.5 * raw_rounds.median()),
    });
    let times = writers.median() / raw_rounds.median();
    let (target, verdict) = match synchronous {
        Synchronous::Normal => (String::new(), ""),
        _ => ("≥ 3× raw".into(), met(times >= 3.0)),
    };
    rows.push(Row {
        operation: format!(
            "{WRITERS} writers: one event each to new aggregates, {name} (group commit)"
        ),
        ours: writers.spread(1.0, 0, "saves/s"),
        raw: format!("{raw_cell} (1 writer)"),
        ratio: format!("{times:.1}× raw"),
        target,
        met: verdict,
    });
    let (raw_latency, writer_latency) = (Figures(raw_latency), Figures(writer_latency));
    rows.push(Row {
        operation: format!("  latency of one save with {WRITERS} writers, {name}: p50 / p99"),
        ours: format!(
            "{:.2} / {:.2} ms",
            writer_latency.percentile(50.0) * 1e3,
            writer_latency.percentile(99.0) * 1e3
        ),
        raw: format!(
            "{:.2} / {:.2} ms (1 writer)",
            raw_latency.percentile(50.0) * 1e3,
            raw_latency.percentile(99.0) * 1e3
        ),
        ..Row::default()
    });
    rows.push(Row {
        operation: format!(
            "  for scale: raw inserts into the store's columns and two unique indexes, {name}"
        ),
        raw: columns.spread(1.0, 0, "commits/s"),
        ratio: percent_of_raw(columns, raw_rounds),
        ..Row::default()
    });
    Ok(())
}

async fn loads(dir: &Path, settings: &Settings, rows: &mut Vec<Row>) -> eventsource::Result<()> {
    let path = dir.join("load.db");
    let mut stores = Vec::new();
    for threading in MODES {
        let config = SqliteConfig::file(&path).threading(threading);
        stores.push(SqliteEventStore::open_with(config).await?);
    }
    progress("sqlite: writing a 10,000-event aggregate");
    let id = rss::fill(&Repository::new(stores[0].clone()), LOAD_EVENTS).await?;
    let raw = RawSqlite::open(&dir.join("raw-load.db"), Synchronous::Full)?;
    raw.fill(&id.to_string())?;
    let mut theirs = Figures::default();
    let mut ours = vec![Figures::default(); stores.len()];
    for round in 1..=settings.rounds {
        progress(&format!(
            "sqlite: loads, round {round} of {}",
            settings.rounds
        ));
        theirs
            .0
            .push(raw.load_time(&id.to_string(), settings.loads)?);
        for (store, figures) in stores.iter().zip(&mut ours) {
            figures.0.push(load_time(store, id, settings.loads).await?);
        }
    }
    for (threading, ours) in MODES.into_iter().zip(&ours) {
        rows.push(Row {
            operation: format!(
                "load: an aggregate of 10,000 events, {}",
                thread_name(threading)
            ),
            ours: ours.spread(1e3, 2, "ms"),
            raw: theirs.spread(1e3, 2, "ms"),
            ratio: format!("{:.2}× raw time", ours.median() / theirs.median()),
            ..Row::default()
        });
    }
    Ok(())
}

/// The SQLite store's page cache per connection, the buffer a streaming load may fill.
const PAGE_CACHE: u64 = 32 * 1024 * 1024;

async fn memory(dir: &Path, rows: &mut Vec<Row>) -> eventsource::Result<()> {
    let store = SqliteEventStore::open(dir.join("memory.db")).await?;
    let repo = Repository::<Account, _>::new(store);
    progress("sqlite: writing aggregates of 10,000 and 100,000 events");
    let short = rss::fill(&repo, rss::SHORT).await?;
    let long = rss::fill(&repo, rss::LONG).await?;
    drop(repo);
    let path = dir.join("memory.db");
    let path = path.to_string_lossy();
    let (Some(short), Some(long)) = (
        rss::load_growth("sqlite", &path, short, rss::SHORT)?,
        rss::load_growth("sqlite", &path, long, rss::LONG)?,
    ) else {
        return Ok(());
    };
    rows.push(memory_row("SQLite", short, long, PAGE_CACHE));
    Ok(())
}

/// The memory row: a load that streams grows by at most the short load's growth plus the
/// store's bounded buffer.
pub fn memory_row(store: &str, short: u64, long: u64, buffer: u64) -> Row {
    Row {
        operation: format!(
            "memory: peak growth loading {} events ({store}, no snapshot)",
            rss::LONG
        ),
        ours: rss::mib(long),
        raw: format!("{} for {} events", rss::mib(short), rss::SHORT),
        ratio: format!(
            "{:.1}× for 10× the events",
            long as f64 / short.max(1) as f64
        ),
        target: format!("≤ short + {} buffer", rss::mib(buffer)),
        met: met(long <= short + buffer),
    }
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

/// [`WRITERS`] tasks saving one event to new aggregates for `round`: saves per second in
/// all, each save's latency pushed to `latencies`.
async fn concurrent_saves(
    store: &SqliteEventStore,
    round: Duration,
    latencies: &mut Vec<f64>,
) -> eventsource::Result<f64> {
    let repo = Repository::<Account, _>::new(store.clone());
    let start = Instant::now();
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let repo = repo.clone();
        writers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while start.elapsed() < round {
                let began = Instant::now();
                let mut account = repo.create_new(Uuid::now_v7());
                account.record(deposit(times.len() as u64));
                repo.save(&mut account).await?;
                times.push(began.elapsed().as_secs_f64());
            }
            Ok::<_, eventsource::Error>(times)
        }));
    }
    let mut saves = 0;
    for writer in writers {
        let times = writer.await.map_err(eventsource::Error::backend)??;
        saves += times.len();
        latencies.extend(times);
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
pub async fn commands_per_second<S: EventStore + Clone>(
    store: &S,
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
