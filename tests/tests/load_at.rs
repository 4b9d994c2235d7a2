//! `Repository::load_at` on every store: the aggregate as after a version, from a snapshot
//! only when it is at or before that version, and a typed error for a version the stream
//! does not have.

use eventsource::prelude::*;
use eventsource::{AggregateRoot, Error, StreamId, snapshot::SnapshotStore};
use eventsource_tests::fixtures::{Account, Deposited};
use eventsource_tests::sqlite::TempSqliteStore;

/// The balance after version `v` when event `n` deposits `n` cents.
fn sum_to(v: u64) -> i64 {
    (v * (v + 1) / 2) as i64
}

async fn load_at_rebuilds_any_version<S: EventStore + Clone>(
    store: S,
    snapshots: impl SnapshotStore,
) {
    let repo =
        Repository::<Account, _>::new(store).with_snapshots(snapshots, SnapshotPolicy::manual());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(
        (1..=20)
            .map(|n| Deposited { amount: n })
            .collect::<Vec<_>>(),
    );
    repo.save(&mut account).await.unwrap();
    account.record(
        (21..=30)
            .map(|n| Deposited { amount: n })
            .collect::<Vec<_>>(),
    );
    repo.save(&mut account).await.unwrap();

    for version in [1, 15, 20, 30] {
        let then = repo.load_at(id, version).await.unwrap();
        assert_eq!((then.version(), then.balance), (version, sum_to(version)));
        assert!(!then.has_pending_events());
    }

    // A snapshot at version 20 whose state says otherwise shows when it is used.
    let marked = Account {
        balance: 1_000_000,
        ..Account::default()
    };
    repo.create_snapshot(&AggregateRoot::from_state(id, 20, marked))
        .await
        .unwrap();
    let at_20 = repo.load_at(id, 20).await.unwrap();
    assert_eq!(
        at_20.balance, 1_000_000,
        "the snapshot at the version is used"
    );
    let at_25 = repo.load_at(id, 25).await.unwrap();
    assert_eq!(
        (at_25.version(), at_25.balance),
        (25, 1_000_000 + sum_to(25) - sum_to(20)),
        "the snapshot before the version is used"
    );
    let at_15 = repo.load_at(id, 15).await.unwrap();
    assert_eq!(
        (at_15.version(), at_15.balance),
        (15, sum_to(15)),
        "a newer snapshot is not"
    );

    let stream = StreamId::new("Account", id.to_string());
    for (requested, current) in [(31, 30), (0, 30)] {
        match repo.load_at(id, requested).await {
            Err(Error::NoSuchVersion {
                stream: named,
                requested: asked,
                current: found,
            }) => {
                assert_eq!((named, asked, found), (stream.clone(), requested, current));
            }
            other => panic!("expected NoSuchVersion for {requested}, got {other:?}"),
        }
    }
    match repo.load_at(Uuid::now_v7(), 1).await {
        Err(Error::NotFound { aggregate_type, .. }) => assert_eq!(aggregate_type, "Account"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn in_memory() {
    load_at_rebuilds_any_version(InMemoryEventStore::new(), InMemorySnapshotStore::new()).await;
}

#[tokio::test]
async fn sqlite() {
    let store = TempSqliteStore::new().await.unwrap();
    let snapshots = store.snapshots();
    load_at_rebuilds_any_version(store, snapshots).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres() {
    let Some((store, snapshots)) = eventsource_tests::postgres::pg_backend().await else {
        return;
    };
    load_at_rebuilds_any_version(store, snapshots).await;
}
