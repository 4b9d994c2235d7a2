//! `create_snapshot`: a snapshot taken on request.

use super::probe::SnapshotProbe;
use super::support::*;
use crate::error::Error;
use crate::repository::Repository;
use crate::snapshot::{SnapshotPolicy, SnapshotStore};
use crate::store::EventStore;
use crate::testkit::fixtures::{Account, Withdrawn, deposits};
use std::time::SystemTime;
use uuid::Uuid;

/// `create_snapshot` on a repository without a snapshot store: `NoSnapshotStore`.
pub async fn create_snapshot_without_a_snapshot_store_is_a_typed_error<E, S>(
    events: E,
    _snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = Repository::<Account, _>::new(events);
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(1));
    repo.save(&mut account).await.unwrap();
    match repo.create_snapshot(&account).await {
        Err(Error::NoSnapshotStore { aggregate_type }) => assert_eq!(aggregate_type, "Account"),
        other => panic!("expected NoSnapshotStore, got {other:?}"),
    }
}

/// `create_snapshot` works whatever the mode, stores the snapshot and returns it.
pub async fn create_snapshot_works_in_manual_mode_and_returns_the_snapshot<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = stored_account(&events, 4).await;
    let account = repo.load(id).await.unwrap();

    let snapshot = repo.create_snapshot(&account).await.unwrap();
    assert_eq!(snapshot.stream, stream_of(id));
    assert_eq!(snapshot.version, 4);
    assert_eq!(snapshot.schema_version, 1);
    let state: Account = serde_json::from_str(&snapshot.state).unwrap();
    assert_eq!(&state, account.state());
    assert!(snapshot.taken_at <= SystemTime::now());
    assert_eq!(
        snapshots.load(&stream_of(id)).await.unwrap(),
        Some(snapshot)
    );
}

/// A second `create_snapshot` replaces the first.
pub async fn create_snapshot_replaces_the_previous_one<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(3));
    repo.save(&mut account).await.unwrap();
    repo.create_snapshot(&account).await.unwrap();
    account.record(Withdrawn { amount: 1 });
    repo.save(&mut account).await.unwrap();
    repo.create_snapshot(&account).await.unwrap();

    assert_eq!(snapshots.stored().await, 1);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 4);
    assert_eq!(repo.load(id).await.unwrap().balance, 2);
}

/// A snapshot of an older state is returned but never replaces the newer stored one.
pub async fn create_snapshot_of_an_older_version_keeps_the_newer_snapshot<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = stored_account(&events, 2).await;
    let stale = repo.load(id).await.unwrap();
    let mut fresh = repo.load(id).await.unwrap();
    fresh.record(deposits(3));
    repo.save(&mut fresh).await.unwrap();
    repo.create_snapshot(&fresh).await.unwrap();

    let older = repo.create_snapshot(&stale).await.unwrap();
    assert_eq!(older.version, 2);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 5);
}

/// A new aggregate, or one with unsaved events, has no snapshot to take.
pub async fn create_snapshot_refuses_a_state_that_is_not_saved<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::manual());
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    assert!(matches!(
        repo.create_snapshot(&account).await,
        Err(Error::UnsavedAggregate {
            version: 0,
            pending: 0,
            ..
        })
    ));
    account.record(deposits(2));
    assert!(matches!(
        repo.create_snapshot(&account).await,
        Err(Error::UnsavedAggregate {
            version: 2,
            pending: 2,
            ..
        })
    ));
    assert!(snapshots.written().is_empty());
    assert_eq!(snapshots.load(&stream_of(id)).await.unwrap(), None);
}

/// `create_snapshot` returns the store's error.
pub async fn create_snapshot_reports_a_failing_store<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(
        &events,
        SnapshotProbe::failing(snapshots),
        SnapshotPolicy::manual(),
    );
    let id = stored_account(&events, 1).await;
    let account = repo.load(id).await.unwrap();
    assert!(matches!(
        repo.create_snapshot(&account).await,
        Err(Error::Backend(_))
    ));
}
