//! Loading from a snapshot, and every fallback to a full replay.

use super::probe::SnapshotProbe;
use super::support::*;
use super::warnings::Warnings;
use crate::error::Error;
use crate::snapshot::{Snapshot, SnapshotPolicy, SnapshotStore, Snapshottable};
use crate::store::EventStore;
use crate::testkit::fixtures::{Account, Withdrawn, deposits};
use std::sync::Arc;
use uuid::Uuid;

/// A load starts from the snapshot's state and applies only the events after it.
pub async fn load_restores_the_snapshot_and_applies_the_events_after_it<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (repo, id) =
        account_with_snapshot(&events, &snapshots, 6, |id| forged(id, 5, &rich(5))).await;

    let account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 6);
    assert_eq!(account.balance, 1_000_001);
    assert_eq!(account.deposits, 6);
}

/// A snapshot of the stream's last event loads as it is, at its version.
pub async fn a_snapshot_with_no_later_events_loads_at_its_version<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (repo, id) =
        account_with_snapshot(&events, &snapshots, 5, |id| forged(id, 5, &rich(5))).await;

    let account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 5);
    assert_eq!(account.state(), &rich(5));
}

/// A snapshot stored under another schema version is ignored, with a warning.
pub async fn a_snapshot_of_another_schema_version_falls_back_to_a_full_replay<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let (repo, id) = account_with_snapshot(&events, &snapshots, 6, |id| Snapshot {
        schema_version: Account::SNAPSHOT_VERSION + 1,
        ..forged(id, 5, &rich(5))
    })
    .await;

    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (6, 6));
    warnings.assert_one_containing("another schema version");
}

/// A failing snapshot store is logged, and the aggregate replayed from its first event.
///
/// Even when the backend holds a usable snapshot.
pub async fn a_failing_snapshot_store_falls_back_to_a_full_replay<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let failing = SnapshotProbe::failing(snapshots.clone());
    let repo = repo_with(&events, failing, SnapshotPolicy::every(2));
    let id = stored_account(&events, 6).await;
    snapshots.save(&forged(id, 5, &rich(5))).await.unwrap();

    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (6, 6));
    warnings.assert_one_containing("cannot read the snapshot");
    warnings.assert_one_containing("snapshot store is down");
}

/// A stored state that does not decode as the aggregate is logged and ignored.
pub async fn an_undecodable_snapshot_state_falls_back_to_a_full_replay<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    for state in ["not json", r#"{"balance":"lots"}"#, "[]", ""] {
        let (warnings, _guard) = Warnings::capture();
        let (repo, id) = account_with_snapshot(&events, &snapshots, 6, |id| Snapshot {
            state: state.to_owned(),
            ..forged(id, 5, &rich(5))
        })
        .await;

        let account = repo.load(id).await.unwrap();
        assert_eq!((account.version(), account.balance), (6, 6), "{state:?}");
        warnings.assert_one_containing("cannot decode the snapshot");
    }
}

/// A snapshot of a version its stream does not reach is ignored.
///
/// It never makes an aggregate without events exist.
pub async fn a_snapshot_ahead_of_its_stream_is_not_trusted<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let (repo, id) =
        account_with_snapshot(&events, &snapshots, 3, |id| forged(id, 5, &rich(5))).await;
    let account = repo.load(id).await.unwrap();
    assert_eq!((account.version(), account.balance), (3, 3));
    warnings.assert_one_containing("does not reach the snapshot's version");

    // A snapshot of an aggregate without events does not make it exist.
    let (repo, ghost) =
        account_with_snapshot(&events, &snapshots, 0, |id| forged(id, 5, &rich(5))).await;
    assert!(matches!(
        repo.load(ghost).await,
        Err(Error::NotFound { .. })
    ));
}

/// Neither a snapshot nor events: `NotFound`, naming the aggregate.
pub async fn no_snapshot_and_no_events_is_not_found<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = repo_with(&events, snapshots, SnapshotPolicy::every(1));
    let id = Uuid::now_v7();
    match repo.load(id).await {
        Err(Error::NotFound {
            aggregate_type,
            aggregate_id,
        }) => assert_eq!(
            (aggregate_type.as_str(), aggregate_id),
            ("Account", id.to_string())
        ),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Sixteen loads at once, from the snapshot, all see the saved state.
pub async fn concurrent_loads_agree<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = Arc::new(repo_with(&events, snapshots, SnapshotPolicy::every(10)));
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    for _ in 0..5 {
        account.record(deposits(9));
        account.record(Withdrawn { amount: 2 });
        repo.save(&mut account).await.unwrap();
    }
    let expected = account.state().clone();

    let loads: Vec<_> = (0..16)
        .map(|_| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move { repo.load(id).await.unwrap() })
        })
        .collect();
    for load in loads {
        let loaded = load.await.unwrap();
        assert_eq!(loaded.version(), 50);
        assert_eq!(loaded.state(), &expected);
    }
}
