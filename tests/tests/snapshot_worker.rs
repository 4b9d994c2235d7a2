//! The snapshot worker: a subscription that snapshots the aggregates whose streams crossed
//! the threshold while writers save, on stores opened separately as a second process
//! would open them (SQLite: a second store on the same file; PostgreSQL: a second store
//! on the same schema with its own pool). Writers take no snapshot themselves; their
//! loads then start from the worker's snapshots.

use eventsource::prelude::*;
use eventsource::snapshot::SnapshotStore;
use eventsource::store::SubscriptionStore;
use eventsource::subscription::{SnapshotWorker, SubscriptionOptions, SubscriptionRunner};
use eventsource_tests::fixtures::{Account, Deposited};
use std::time::Duration;

async fn snapshot_worker_snapshots_what_writers_cross<W, K, WS, KS>(
    writer_store: W,
    writer_snapshots: WS,
    worker_store: K,
    worker_snapshots: KS,
) where
    W: EventStore,
    K: EventStore + SubscriptionStore + Clone,
    WS: SnapshotStore + Clone,
    KS: SnapshotStore,
{
    let writers = Repository::<Account, _>::new(writer_store)
        .with_snapshots(writer_snapshots.clone(), SnapshotPolicy::manual());
    let worker_repo = Repository::<Account, _>::new(worker_store.clone()).with_snapshots(
        worker_snapshots,
        SnapshotPolicy::every(10).with_mode(SnapshotMode::Manual),
    );
    let mut runner = SubscriptionRunner::new(worker_store.clone());
    let mut handle = runner
        .start_snapshots(
            SnapshotWorker::new("account_snapshots", worker_repo),
            SubscriptionOptions::new().poll_interval(Duration::from_millis(50)),
        )
        .unwrap();

    let (one_by_one, short, in_one_save) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for id in [one_by_one, short, in_one_save] {
        let mut account = writers.create_new(id);
        account.record(Deposited { amount: 1 });
        writers.save(&mut account).await.unwrap();
    }
    for _ in 1..25 {
        let mut account = writers.load(one_by_one).await.unwrap();
        account.record(Deposited { amount: 1 });
        writers.save(&mut account).await.unwrap();
    }
    for _ in 1..9 {
        let mut account = writers.load(short).await.unwrap();
        account.record(Deposited { amount: 1 });
        writers.save(&mut account).await.unwrap();
    }
    let mut account = writers.load(in_one_save).await.unwrap();
    account.record(vec![Deposited { amount: 1 }; 29]);
    writers.save(&mut account).await.unwrap();

    let head = worker_store.head_position().await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(30),
        handle.wait_for(|s| s.is_live() && s.position == head),
    )
    .await
    .expect("the worker caught up");
    let worker = handle.stop().await.unwrap();
    assert!(worker.snapshots_taken() >= 2, "{worker:?}");

    let stream = |id: Uuid| eventsource::StreamId::new("Account", id.to_string());
    let crossed_twice = writer_snapshots.load(&stream(one_by_one)).await.unwrap();
    let crossed_twice = crossed_twice.expect("a snapshot after crossing 10 and 20");
    assert!(
        (20..=25).contains(&crossed_twice.version),
        "{crossed_twice:?}"
    );
    assert_eq!(
        writer_snapshots.load(&stream(short)).await.unwrap(),
        None,
        "9 events cross nothing"
    );
    let crossed_in_one_save = writer_snapshots.load(&stream(in_one_save)).await.unwrap();
    assert_eq!(crossed_in_one_save.expect("crossed 10, 20").version, 30);

    // The writers' loads start from those snapshots and give the same state.
    let loaded = writers.load(one_by_one).await.unwrap();
    assert_eq!((loaded.version(), loaded.balance), (25, 25));
    let loaded = writers.load(in_one_save).await.unwrap();
    assert_eq!((loaded.version(), loaded.balance), (30, 30));
    runner.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory() {
    let store = InMemoryEventStore::new();
    let snapshots = InMemorySnapshotStore::new();
    snapshot_worker_snapshots_what_writers_cross(
        store.clone(),
        snapshots.clone(),
        store,
        snapshots,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_second_store_on_the_same_file() {
    let writer = eventsource_tests::sqlite::TempSqliteStore::new()
        .await
        .unwrap();
    let worker = SqliteEventStore::open(writer.dir().join("events.db"))
        .await
        .unwrap();
    let worker_snapshots = worker.snapshot_store();
    snapshot_worker_snapshots_what_writers_cross(
        writer.clone(),
        writer.snapshots(),
        worker,
        worker_snapshots,
    )
    .await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_second_store_on_the_same_schema() {
    let Some(writer) = eventsource_tests::postgres::pg_store().await else {
        return;
    };
    let worker = writer.reconnect(|config| config).await.unwrap();
    let worker_snapshots = worker.snapshot_store();
    let writer_snapshots = writer.store().snapshot_store();
    snapshot_worker_snapshots_what_writers_cross(
        writer.clone(),
        writer_snapshots,
        worker,
        worker_snapshots,
    )
    .await;
}
