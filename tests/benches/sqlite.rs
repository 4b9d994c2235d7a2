//! Criterion benchmarks of the SQLite store, each beside the raw rusqlite figure for the
//! same work: `cargo bench -p eventsource-tests --bench sqlite`.
//!
//! - `save/*`: one single-event save to a new aggregate through the `Repository`, against
//!   `BEGIN; INSERT; COMMIT` of the same JSON event into the simplest table with one unique
//!   key on stream and version, on the same `synchronous` level (both levels);
//! - `load_10k/*`: loading a 10,000-event aggregate through the `Repository`, against a
//!   plain `SELECT event_type, payload` of the same events from that table, decoded with
//!   serde_json.
//!
//! The `bench` example prints the same comparison as a table with ratios.

use criterion::{Criterion, criterion_group, criterion_main};
use eventsource::prelude::*;
use eventsource::store::sqlite::{SqliteConfig, Synchronous};
use rusqlite::{Connection, params};
use std::hint::black_box;
use std::path::Path;
use tempfile::TempDir;

#[event]
pub struct Deposited {
    pub cents: u64,
    pub note: String,
}

#[derive(Aggregate, Debug, Default)]
#[aggregate(name = "Account")]
pub struct Account {
    pub balance: u64,
    pub movements: u64,
}

#[apply]
impl Account {
    fn deposited(&mut self, e: &Deposited) {
        self.balance += e.cents;
        self.movements += 1;
    }
}

fn deposit(n: u64) -> Deposited {
    Deposited {
        cents: 100 + n % 900,
        note: format!("salary for month {n}"),
    }
}

/// The database as a user would use it without eventsource: the simplest table that
/// enforces the store's rule, one unique key on stream and version (as `bench --store
/// sqlite` defines raw).
const RAW_SCHEMA: &str = "
    CREATE TABLE raw_events (
        stream TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL,
        payload TEXT NOT NULL, PRIMARY KEY (stream, version));";

fn raw_connection(path: &Path, synchronous: &str) -> Connection {
    let connection = Connection::open(path).expect("open");
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA cache_size = -32768;"
        ))
        .expect("configure");
    connection
}

fn raw_insert(connection: &Connection, stream: &str, version: u64, n: u64) {
    let payload = serde_json::to_string(&deposit(n)).expect("encode");
    connection.execute_batch("BEGIN").expect("begin");
    connection
        .prepare_cached(
            "INSERT INTO raw_events (stream, version, event_type, payload) \
             VALUES (?1, ?2, 'Deposited', ?3)",
        )
        .expect("prepare")
        .execute(params![stream, version as i64, payload])
        .expect("insert");
    connection.execute_batch("COMMIT").expect("commit");
}

/// One row inside the caller's transaction.
fn raw_insert_in(connection: &Connection, stream: &str, version: u64, n: u64) {
    let payload = serde_json::to_string(&deposit(n)).expect("encode");
    connection
        .prepare_cached(
            "INSERT INTO raw_events (stream, version, event_type, payload) \
             VALUES (?1, ?2, 'Deposited', ?3)",
        )
        .expect("prepare")
        .execute(params![stream, version as i64, payload])
        .expect("insert");
}

fn saves(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = TempDir::new().expect("temp dir");
    let mut group = c.benchmark_group("save");
    for (level, name) in [(Synchronous::Full, "FULL"), (Synchronous::Normal, "NORMAL")] {
        let config =
            SqliteConfig::file(dir.path().join(format!("store-{name}.db"))).synchronous(level);
        let store = runtime
            .block_on(SqliteEventStore::open_with(config))
            .expect("open");
        let repo = Repository::<Account, _>::new(store);
        let mut n = 0;
        group.bench_function(format!("eventsource_repository/{name}"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let mut account = repo.create_new(Uuid::now_v7());
                    account.record(deposit(n));
                    n += 1;
                    repo.save(&mut account).await.expect("save");
                })
            })
        });
        let raw = raw_connection(&dir.path().join(format!("raw-{name}.db")), name);
        raw.execute_batch(RAW_SCHEMA).expect("schema");
        let mut n = 0;
        group.bench_function(format!("raw_rusqlite_insert/{name}"), |b| {
            b.iter(|| {
                raw_insert(&raw, &Uuid::now_v7().to_string(), 1, n);
                n += 1;
            })
        });
    }
    group.finish();
}

fn loads(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("load.db");
    let store = runtime
        .block_on(SqliteEventStore::open(&path))
        .expect("open");
    let repo = Repository::<Account, _>::new(store);
    let id = Uuid::now_v7();
    runtime.block_on(async {
        let mut account = repo.create_new(id);
        for n in 0..10_000 {
            account.record(deposit(n));
            if (n + 1) % 1000 == 0 {
                repo.save(&mut account).await.expect("save");
            }
        }
    });
    let raw = raw_connection(&dir.path().join("raw-load.db"), "NORMAL");
    raw.execute_batch(RAW_SCHEMA).expect("schema");
    let aggregate_id = id.to_string();
    raw.execute_batch("BEGIN").expect("begin");
    for n in 0..10_000 {
        raw_insert_in(&raw, &aggregate_id, n + 1, n);
    }
    raw.execute_batch("COMMIT").expect("commit");

    let mut group = c.benchmark_group("load_10k");
    group.sample_size(30);
    group.bench_function("eventsource_repository", |b| {
        b.iter(|| {
            let account = runtime.block_on(repo.load(id)).expect("load");
            assert_eq!(black_box(account).movements, 10_000);
        })
    });
    group.bench_function("raw_rusqlite_select_and_decode", |b| {
        b.iter(|| {
            let mut select = raw
                .prepare_cached(
                    "SELECT event_type, payload FROM raw_events WHERE stream = ?1 ORDER BY version",
                )
                .expect("prepare");
            let mut rows = select.query([&aggregate_id]).expect("select");
            let mut account = Account::default();
            while let Some(row) = rows.next().expect("row") {
                let event_type: String = row.get(0).expect("event_type");
                let payload: String = row.get(1).expect("payload");
                if event_type == "Deposited" {
                    let e: Deposited = serde_json::from_str(&payload).expect("decode");
                    account.balance += e.cents;
                    account.movements += 1;
                }
            }
            assert_eq!(black_box(account).movements, 10_000);
        })
    });
    group.finish();
}

criterion_group!(benches, saves, loads);
criterion_main!(benches);
