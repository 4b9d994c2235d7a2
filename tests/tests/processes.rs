//! Transactional projections in processes of their own (tests/src/bin/board_projector.rs):
//! one killed with SIGKILL in the middle of a catch-up, and two sharing one PostgreSQL
//! schema. The read model ends with every event exactly once (its key is the event's
//! position, so an event applied twice would fail and be parked).

use eventsource::store::SubscriptionStore;
use eventsource::store::sqlite::rusqlite::Connection;
use eventsource::subscription::{SubscriptionOptions, SubscriptionRunner};
use eventsource_tests::board::{CREATE_BOARD, SqliteBoard};
use eventsource_tests::fixtures::append_task_events;
use eventsource_tests::process::ChildProcess;
use eventsource_tests::sqlite::TempSqliteStore;
use std::time::{Duration, Instant};

const PROJECTOR: &str = env!("CARGO_BIN_EXE_board_projector");
const SNAPSHOT_WORKER: &str = env!("CARGO_BIN_EXE_snapshot_worker");

/// Polls `count` until it reaches `at_least`.
async fn until_at_least(what: &str, at_least: usize, count: impl AsyncFn() -> usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = count().await;
        if n >= at_least {
            return n;
        }
        assert!(Instant::now() < deadline, "{what}: {n} of {at_least}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn sqlite_rows(path: &std::path::Path) -> Vec<(u64, u32)> {
    let connection = Connection::open(path).unwrap();
    let mut statement = connection
        .prepare("SELECT position, process FROM board ORDER BY position")
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)))
        .unwrap()
        .map(|row| {
            let (position, process) = row.unwrap();
            (
                u64::try_from(position).unwrap(),
                u32::try_from(process).unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_projection_killed_mid_catch_up_resumes_and_ends_exactly_once() {
    let store = TempSqliteStore::new().await.unwrap();
    let path = store.dir().join("events.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(CREATE_BOARD)
        .unwrap();
    let feed = append_task_events(&store, 2_000, 100).await;

    let mut projector = ChildProcess::start(PROJECTOR, &["sqlite", path.to_str().unwrap(), "1"]);
    projector
        .wait_for_line("running", Duration::from_secs(30))
        .await;
    let before_kill = until_at_least("rows before the kill", 300, async || {
        sqlite_rows(&path).len()
    })
    .await;
    projector.kill();
    let at_kill = sqlite_rows(&path).len();
    assert!(
        at_kill >= before_kill && at_kill < feed.len(),
        "killed mid catch-up: {at_kill}"
    );
    let checkpoint = store.checkpoint("board").await.unwrap().unwrap_or(0);
    assert_eq!(
        Some(&checkpoint),
        feed.get(at_kill.wrapping_sub(1)).or(Some(&0)),
        "the checkpoint is exactly the last committed row"
    );

    let mut runner = SubscriptionRunner::new(store.clone());
    let mut handle = runner
        .start_transactional(SqliteBoard::default(), SubscriptionOptions::new())
        .unwrap();
    let head = *feed.last().unwrap();
    tokio::time::timeout(
        Duration::from_secs(60),
        handle.wait_for(|s| s.is_live() && s.position == head),
    )
    .await
    .unwrap();
    handle.stop().await.unwrap();
    let rows: Vec<u64> = sqlite_rows(&path).into_iter().map(|(p, _)| p).collect();
    assert_eq!(rows, feed, "every event once");
    assert!(store.parked("board").await.unwrap().is_empty());
    runner.shutdown().await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_processes_take_turns_and_the_board_ends_exactly_once() {
    let Some(store) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    let schema = store.schema_name().to_owned();
    let table = format!("\"{schema}\".board");
    let client = store.pool().get().await.unwrap();
    client
        .batch_execute(&CREATE_BOARD.replace("board", &table))
        .await
        .unwrap();
    let feed = append_task_events(&store, 1_500, 100).await;
    let rows = async || -> Vec<(u64, u32)> {
        let sql = format!("SELECT position, process FROM {table} ORDER BY position");
        client
            .query(&sql, &[])
            .await
            .unwrap()
            .iter()
            .map(|row| {
                let position: i64 = row.get(0);
                let process: i64 = row.get(1);
                (
                    u64::try_from(position).unwrap(),
                    u32::try_from(process).unwrap(),
                )
            })
            .collect()
    };

    let mut first = ChildProcess::start(PROJECTOR, &["postgres", &schema, "1"]);
    first
        .wait_for_line("running", Duration::from_secs(30))
        .await;
    let mut second = ChildProcess::start(PROJECTOR, &["postgres", &schema, "1"]);
    second
        .wait_for_line("standby", Duration::from_secs(30))
        .await;
    until_at_least("rows before the kill", 300, async || rows().await.len()).await;
    let first_id = first.id();
    first.kill();
    let killed_at = Instant::now();
    second
        .wait_for_line("running", Duration::from_secs(30))
        .await;
    eprintln!("takeover after SIGKILL: {:?}", killed_at.elapsed());
    second.wait_for_line("live", Duration::from_secs(60)).await;

    let rows = rows().await;
    let positions: Vec<u64> = rows.iter().map(|(p, _)| *p).collect();
    assert_eq!(positions, feed, "every event once");
    let second_id = second.id();
    let by_first = rows.iter().filter(|(_, id)| *id == first_id).count();
    assert!(by_first >= 300, "the first process ran first: {by_first}");
    assert!(
        rows.iter()
            .all(|(_, id)| *id == first_id || *id == second_id),
        "only the two processes wrote"
    );
    // One at a time: every row of the first comes before every row of the second.
    let last_of_first = rows
        .iter()
        .filter(|(_, id)| *id == first_id)
        .map(|(p, _)| *p)
        .max();
    let first_of_second = rows
        .iter()
        .filter(|(_, id)| *id == second_id)
        .map(|(p, _)| *p)
        .min();
    assert!(
        last_of_first < first_of_second,
        "{last_of_first:?} < {first_of_second:?}"
    );
    assert!(store.parked("board").await.unwrap().is_empty());
}

/// A snapshot worker in a process of its own snapshots the aggregates this process's
/// writers save past the threshold; the writers (which take no snapshot) then load from
/// those snapshots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_worker_process_snapshots_what_this_process_writes() {
    use eventsource::prelude::*;
    use eventsource::snapshot::SnapshotStore;
    use eventsource_tests::fixtures::{Account, Deposited};

    let store = TempSqliteStore::new().await.unwrap();
    let path = store.dir().join("events.db");
    let snapshots = store.snapshots();
    let writers = Repository::<Account, _>::new(store.clone())
        .with_snapshots(snapshots.clone(), SnapshotPolicy::manual());
    let mut worker = ChildProcess::start(SNAPSHOT_WORKER, &[path.to_str().unwrap()]);
    worker.wait_for_line("live", Duration::from_secs(30)).await;

    let (crossing, short) = (Uuid::now_v7(), Uuid::now_v7());
    let mut account = writers.create_new(crossing);
    account.record(vec![Deposited { amount: 1 }; 25]);
    writers.save(&mut account).await.unwrap();
    let mut account = writers.create_new(short);
    account.record(vec![Deposited { amount: 1 }; 9]);
    writers.save(&mut account).await.unwrap();

    let stream = eventsource::StreamId::new("Account", crossing.to_string());
    let deadline = Instant::now() + Duration::from_secs(30);
    let snapshot = loop {
        if let Some(snapshot) = snapshots.load(&stream).await.unwrap() {
            break snapshot;
        }
        assert!(
            Instant::now() < deadline,
            "no snapshot from the worker process"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(snapshot.version, 25);
    let short_stream = eventsource::StreamId::new("Account", short.to_string());
    assert_eq!(snapshots.load(&short_stream).await.unwrap(), None);
    let loaded = writers.load(crossing).await.unwrap();
    assert_eq!((loaded.version(), loaded.balance), (25, 25));
    worker.kill();
}
