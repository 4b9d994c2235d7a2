//! `--store postgres`: the PostgreSQL store beside plain tokio-postgres on the same server,
//! in a fresh schema dropped at the end.
//!
//! - raw: the database as a user would use it without eventsource: single-row `INSERT`
//!   commits (autocommit) of the same JSON-encoded event into the simplest table that
//!   enforces the store's rule (`stream, version, event_type, payload`, primary key on
//!   stream and version), on one connection, and from 8 connections at once;
//! - saves: one event to a new aggregate through the `Repository`, the store on one
//!   connection;
//! - commands: `update` (load, decide, save) of one event on existing aggregates of three
//!   events, 1,000 of them in turn, on one connection (target: ≥ 60% of raw), and the
//!   round trips one takes, counted by the server (below);
//! - 8 writers: 8 tasks each saving one event to new aggregates of their own, the store
//!   with 8 connections, against 8 raw connections (target: ≥ 100% of raw), with the
//!   latency each save pays;
//! - load: an aggregate of 10,000 events, against a plain `SELECT event_type, payload`
//!   of the same events in the raw table with serde_json decoding;
//! - memory: the peak memory growth of loading 100,000 events against 10,000.
//!
//! Round trips are counted as the server's committed transactions in a database of their
//! own (`eventsource_bench`, created when missing): outside a transaction each statement
//! is one transaction and one round trip. The store counted has notifications off (the
//! notification is sent by another connection, after the command is answered) and one
//! connection; each reading of the count waits 11 s for the server to flush its statistics
//! (PostgreSQL flushes an idle backend's within 10 s).

use super::rss;
use super::table::{Figures, Row, met, percent_of_raw, progress};
use crate::{Account, Deposited, LOAD_EVENTS, Withdrawn, deposit};
use eventsource::prelude::*;
use eventsource::store::postgres::tokio_postgres::{self, Client, NoTls, Statement};
use eventsource::{PostgresEventStore, store::postgres::PostgresConfig};
use eventsource_tests::postgres::{admin, database_url, pg_store};
use std::time::{Duration, Instant};

/// How much each figure does.
pub struct Settings {
    round: Duration,
    rounds: usize,
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

const WRITERS: usize = 8;
const EXISTING: usize = 1_000;

fn backend(error: impl Into<eventsource::error::BoxError>) -> eventsource::Error {
    eventsource::Error::backend(error)
}

pub fn run(settings: &Settings) -> eventsource::Result<Vec<Row>> {
    let runtime = tokio::runtime::Runtime::new().map_err(backend)?;
    runtime.block_on(measure(settings))
}

/// One raw connection with its statements.
struct Raw {
    client: Client,
    insert: Statement,
    load: Statement,
}

impl Raw {
    async fn connect(config: &tokio_postgres::Config, schema: &str) -> eventsource::Result<Self> {
        let client = admin(config).await.map_err(backend)?;
        let insert = client
            .prepare(&format!(
                "INSERT INTO \"{schema}\".raw_events (stream, version, event_type, payload) \
                 VALUES ($1, $2, 'Deposited', $3)"
            ))
            .await
            .map_err(backend)?;
        let load = client
            .prepare(&format!(
                "SELECT event_type, payload FROM \"{schema}\".raw_events \
                 WHERE stream = $1 ORDER BY version"
            ))
            .await
            .map_err(backend)?;
        Ok(Raw {
            client,
            insert,
            load,
        })
    }

    async fn insert(&self, stream: &str, version: i64, n: u64) -> eventsource::Result<()> {
        let payload = serde_json::to_string(&deposit(n)).map_err(backend)?;
        self.client
            .execute(&self.insert, &[&stream, &version, &payload])
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Single-row commits to new streams for `round`: commits per second, each commit's
    /// latency pushed to `latencies`.
    async fn commits(&self, round: Duration, latencies: &mut Vec<f64>) -> eventsource::Result<f64> {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < round {
            let began = Instant::now();
            self.insert(&Uuid::now_v7().to_string(), 1, n).await?;
            latencies.push(began.elapsed().as_secs_f64());
            n += 1;
        }
        Ok(n as f64 / start.elapsed().as_secs_f64())
    }

    /// Seconds per select-and-decode of `stream`, the best of `loads`.
    async fn load_time(&self, stream: &str, loads: usize) -> eventsource::Result<f64> {
        let mut best = f64::MAX;
        for _ in 0..=loads {
            let start = Instant::now();
            let mut account = Account::default();
            for row in self
                .client
                .query(&self.load, &[&stream])
                .await
                .map_err(backend)?
            {
                let event_type: &str = row.try_get(0).map_err(backend)?;
                let payload: &str = row.try_get(1).map_err(backend)?;
                if event_type == "Deposited" {
                    let e: Deposited = serde_json::from_str(payload).map_err(backend)?;
                    account.balance += e.cents as i64;
                } else {
                    let e: Withdrawn = serde_json::from_str(payload).map_err(backend)?;
                    account.balance -= e.cents as i64;
                }
                account.movements += 1;
            }
            assert_eq!(account.movements, LOAD_EVENTS);
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    }
}

async fn measure(settings: &Settings) -> eventsource::Result<Vec<Row>> {
    let Some(store) = pg_store().await else {
        return Err(eventsource::Error::config(
            eventsource::error::ConfigKind::Connection,
            "PostgreSQL is unavailable at DATABASE_URL",
        ));
    };
    let schema = store.schema_name().to_owned();
    let config = store.config().clone();
    let setup = admin(&config).await.map_err(backend)?;
    setup
        .batch_execute(&format!(
            "CREATE TABLE \"{schema}\".raw_events (stream text NOT NULL, version bigint NOT NULL, \
             event_type text NOT NULL, payload text NOT NULL, PRIMARY KEY (stream, version))"
        ))
        .await
        .map_err(backend)?;
    let mut raws = Vec::new();
    for _ in 0..WRITERS {
        raws.push(Raw::connect(&config, &schema).await?);
    }
    let single = store.reconnect(|c| c.max_connections(1)).await?;
    let shared = store.reconnect(|c| c.max_connections(WRITERS)).await?;
    let mut rows = Vec::new();

    progress("postgres: preparing aggregates");
    let existing = existing_accounts(&single).await?;
    saves_per_second(&single, Duration::from_millis(300)).await?;
    raws[0]
        .commits(Duration::from_millis(300), &mut Vec::new())
        .await?;

    let (mut raw, mut saves, mut commands, mut raw8, mut ours8) = Default::default();
    let (raw, saves, commands, raw8, ours8): (
        &mut Figures,
        &mut Figures,
        &mut Figures,
        &mut Figures,
        &mut Figures,
    ) = (&mut raw, &mut saves, &mut commands, &mut raw8, &mut ours8);
    let (mut raw_latency, mut raw8_latency, mut ours8_latency) =
        (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=settings.rounds {
        progress(&format!("postgres: round {round} of {}", settings.rounds));
        raw.0
            .push(raws[0].commits(settings.round, &mut raw_latency).await?);
        saves
            .0
            .push(saves_per_second(&single, settings.round).await?);
        commands
            .0
            .push(super::sqlite::commands_per_second(&single, &existing, settings.round).await?);
        raw8.0
            .push(raw_writers(&raws, settings.round, &mut raw8_latency).await?);
        ours8
            .0
            .push(concurrent_saves(&shared, settings.round, &mut ours8_latency).await?);
    }
    let raw_cell = raw.spread(1.0, 0, "commits/s");
    rows.push(Row {
        operation: "save: one event to a new aggregate, 1 connection".into(),
        ours: saves.spread(1.0, 0, "saves/s"),
        raw: raw_cell.clone(),
        ratio: percent_of_raw(saves, raw),
        ..Row::default()
    });
    rows.push(Row {
        operation: "command: update (load, decide, save) of an existing aggregate, 1 connection"
            .into(),
        ours: commands.spread(1.0, 0, "commands/s"),
        raw: raw_cell,
        ratio: percent_of_raw(commands, raw),
        target: "≥ 60% of raw".into(),
        met: met(commands.median() >= 0.6 * raw.median()),
    });
    if let Some(trips) = round_trips_per_command(&config).await? {
        rows.push(Row {
            operation: "  round trips of one command (server's count)".into(),
            ours: format!("{trips:.2}"),
            target: "≤ 2".into(),
            met: met(trips <= 2.05),
            ..Row::default()
        });
    }
    rows.push(Row {
        operation: format!(
            "{WRITERS} writers: one event each to new aggregates, {WRITERS} connections"
        ),
        ours: ours8.spread(1.0, 0, "saves/s"),
        raw: raw8.spread(1.0, 0, "commits/s"),
        ratio: percent_of_raw(ours8, raw8),
        target: "≥ 100% of raw".into(),
        met: met(ours8.median() >= raw8.median()),
    });
    let (raw8_latency, ours8_latency) = (Figures(raw8_latency), Figures(ours8_latency));
    rows.push(Row {
        operation: format!("  latency of one save with {WRITERS} writers: p50 / p99"),
        ours: format!(
            "{:.2} / {:.2} ms",
            ours8_latency.percentile(50.0) * 1e3,
            ours8_latency.percentile(99.0) * 1e3
        ),
        raw: format!(
            "{:.2} / {:.2} ms",
            raw8_latency.percentile(50.0) * 1e3,
            raw8_latency.percentile(99.0) * 1e3
        ),
        ..Row::default()
    });

    progress("postgres: writing a 10,000-event aggregate");
    let repo = Repository::<Account, _>::new(single.clone());
    let id = rss::fill(&repo, LOAD_EVENTS).await?;
    for version in 1..=LOAD_EVENTS {
        let version_i64 = i64::try_from(version).map_err(backend)?;
        raws[0]
            .insert(&id.to_string(), version_i64, version - 1)
            .await?;
    }
    let (mut ours, mut theirs) = (Figures::default(), Figures::default());
    for round in 1..=settings.rounds {
        progress(&format!(
            "postgres: loads, round {round} of {}",
            settings.rounds
        ));
        theirs
            .0
            .push(raws[0].load_time(&id.to_string(), settings.loads).await?);
        ours.0.push(load_time(&repo, id, settings.loads).await?);
    }
    rows.push(Row {
        operation: "load: an aggregate of 10,000 events".into(),
        ours: ours.spread(1e3, 2, "ms"),
        raw: theirs.spread(1e3, 2, "ms"),
        ratio: format!("{:.2}× raw time", ours.median() / theirs.median()),
        ..Row::default()
    });

    progress("postgres: writing an aggregate of 100,000 events");
    let long = rss::fill(&repo, rss::LONG).await?;
    if let (Some(short), Some(long)) = (
        rss::load_growth("postgres", &schema, id, rss::SHORT)?,
        rss::load_growth("postgres", &schema, long, rss::LONG)?,
    ) {
        rows.push(super::sqlite::memory_row(
            "PostgreSQL",
            short,
            long,
            4 << 20,
        ));
    }
    drop((single, shared, store));
    Ok(rows)
}

async fn saves_per_second(store: &PostgresEventStore, round: Duration) -> eventsource::Result<f64> {
    let repo = Repository::<Account, _>::new(store.clone());
    let start = Instant::now();
    let mut saves = 0u64;
    while start.elapsed() < round {
        let mut account = repo.create_new(Uuid::now_v7());
        account.record(deposit(saves));
        repo.save(&mut account).await?;
        saves += 1;
    }
    Ok(saves as f64 / start.elapsed().as_secs_f64())
}

async fn concurrent_saves(
    store: &PostgresEventStore,
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
        let times = writer.await.map_err(backend)??;
        saves += times.len();
        latencies.extend(times);
    }
    Ok(saves as f64 / start.elapsed().as_secs_f64())
}

/// [`WRITERS`] raw connections inserting at once for `round`: commits per second in all.
async fn raw_writers(
    raws: &[Raw],
    round: Duration,
    latencies: &mut Vec<f64>,
) -> eventsource::Result<f64> {
    let start = Instant::now();
    let mut each = Vec::new();
    let runs = raws.iter().map(|raw| async move {
        let mut times = Vec::new();
        let mut n = 0;
        while start.elapsed() < round {
            let began = Instant::now();
            raw.insert(&Uuid::now_v7().to_string(), 1, n).await?;
            times.push(began.elapsed().as_secs_f64());
            n += 1;
        }
        Ok::<_, eventsource::Error>(times)
    });
    for times in join_all(runs).await {
        each.push(times?);
    }
    let commits: usize = each.iter().map(Vec::len).sum();
    latencies.extend(each.into_iter().flatten());
    Ok(commits as f64 / start.elapsed().as_secs_f64())
}

/// Runs the futures concurrently on the current task; their outputs in order.
async fn join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

async fn existing_accounts(store: &PostgresEventStore) -> eventsource::Result<Vec<Uuid>> {
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

async fn load_time<S: EventStore + Clone>(
    repo: &Repository<Account, S>,
    id: Uuid,
    loads: usize,
) -> eventsource::Result<f64> {
    let mut best = f64::MAX;
    for _ in 0..=loads {
        let start = Instant::now();
        let account = repo.load(id).await?;
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(account.movements, LOAD_EVENTS);
    }
    Ok(best)
}

/// The database whose transactions count the round trips.
const COUNTING_DATABASE: &str = "eventsource_bench";

/// How long the server may take to flush an idle backend's statistics (PostgreSQL's
/// `PGSTAT_IDLE_INTERVAL` is 10 s).
const STATISTICS_FLUSH: Duration = Duration::from_secs(11);

/// Commands of the round-trip count.
const COUNTED: u64 = 200;

/// The server's committed transactions per command, in a database where nothing else
/// runs; `None` when that database cannot be made.
async fn round_trips_per_command(
    config: &tokio_postgres::Config,
) -> eventsource::Result<Option<f64>> {
    let setup = admin(config).await.map_err(backend)?;
    let exists = setup
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            &[&COUNTING_DATABASE],
        )
        .await
        .map_err(backend)?
        .is_some();
    if !exists
        && let Err(error) = setup
            .batch_execute(&format!("CREATE DATABASE {COUNTING_DATABASE}"))
            .await
    {
        progress(&format!("postgres: no round-trip count ({error})"));
        return Ok(None);
    }
    let mut counting = config.clone();
    counting.dbname(COUNTING_DATABASE);
    let url = database_url();
    let url = match url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{COUNTING_DATABASE}"),
        None => return Ok(None),
    };
    let schema = format!("bench_{}", Uuid::new_v4().simple());
    let store = PostgresConfig::from_url(url)
        .schema(schema.clone())
        .max_connections(1)
        .notifications(false)
        .connect()
        .await?;
    let ids = existing_accounts(&store).await?;
    let (observer, connection) = counting.connect(NoTls).await.map_err(backend)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let committed = async || -> eventsource::Result<i64> {
        // The server flushes an idle backend's statistics within 10 seconds.
        tokio::time::sleep(STATISTICS_FLUSH).await;
        let row = observer
            .query_one(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = $1",
                &[&COUNTING_DATABASE],
            )
            .await
            .map_err(backend)?;
        row.try_get(0).map_err(backend)
    };
    let repo = Repository::<Account, _>::new(store.clone());
    // Warm: the statements are prepared on the first command.
    for id in &ids[..10] {
        command(&repo, *id).await?;
    }
    let before = committed().await?;
    for n in 0..COUNTED {
        command(&repo, ids[(n as usize) % ids.len()]).await?;
    }
    let after = committed().await?;
    // The observer's own query between the two readings is one transaction.
    let trips = (after - before - 1) as f64 / COUNTED as f64;
    observer
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await
        .map_err(backend)?;
    Ok(Some(trips))
}

async fn command(
    repo: &Repository<Account, PostgresEventStore>,
    id: Uuid,
) -> eventsource::Result<()> {
    repo.update(id, |_: &Account| {
        Ok::<_, std::convert::Infallible>(deposit(1))
    })
    .await
    .map_err(|error| match error {
        UpdateError::Failed(error) => error,
        UpdateError::Rejected(never) => match never {},
    })
    .map(drop)
}
