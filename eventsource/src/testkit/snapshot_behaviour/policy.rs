//! The policy: when snapshots are taken.

use super::probe::SnapshotProbe;
use super::support::*;
use super::warnings::Warnings;
use crate::snapshot::{SnapshotMode, SnapshotPolicy, SnapshotStore};
use crate::store::EventStore;
use crate::testkit::fixtures::deposits;
use uuid::Uuid;

/// Every 3 events, saved one at a time: the third save takes the snapshot.
pub async fn threshold_3_over_three_saves_takes_one_snapshot_at_version_3<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    save_one_by_one(&repo, &mut account, 2).await;
    assert_eq!(snapshots.written(), Vec::<u64>::new());
    save_one_by_one(&repo, &mut account, 1).await;
    assert_eq!(snapshots.written(), [3]);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 3);
}

/// Nine events under a threshold of ten: no snapshot.
pub async fn no_snapshot_below_the_threshold<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(10));
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(4));
    repo.save(&mut account).await.unwrap();
    save_one_by_one(&repo, &mut account, 5).await;
    assert_eq!(account.version(), 9);
    assert!(snapshots.written().is_empty());
}

/// Manual mode ignores the threshold.
pub async fn manual_mode_takes_no_automatic_snapshot<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let policy = SnapshotPolicy::every(2).with_mode(SnapshotMode::Manual);
    let repo = repo_with(&events, snapshots.clone(), policy);
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(10));
    repo.save(&mut account).await.unwrap();
    save_one_by_one(&repo, &mut account, 5).await;
    assert!(snapshots.written().is_empty());
    assert_eq!(repo.wait_for_snapshots().await, 0);
}

/// A save crossing several multiples of the threshold takes one snapshot, at its version.
pub async fn one_save_across_several_multiples_takes_one_snapshot_at_its_version<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(5));
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(10));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [10]);

    account.record(deposits(12));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [10, 22]);
}

/// Saves that step over the multiples still snapshot when they pass one.
pub async fn saves_that_never_land_on_a_multiple_still_snapshot<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(5));
    let mut account = repo.create_new(Uuid::now_v7());
    for _ in 0..4 {
        account.record(deposits(3));
        repo.save(&mut account).await.unwrap();
    }
    // Versions 3, 6, 9, 12: 6 passes 5 and 12 passes 10.
    assert_eq!(snapshots.written(), [6, 12]);
}

/// A save with nothing pending writes nothing, a snapshot included.
pub async fn a_save_without_changes_takes_no_snapshot<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(1));
    let id = stored_account(&events, 3).await;
    let mut account = repo.load(id).await.unwrap();
    repo.save(&mut account).await.unwrap();
    assert!(snapshots.written().is_empty());
}

/// Each aggregate crosses the threshold on its own.
pub async fn snapshots_are_per_aggregate<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(3));
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let mut first = repo.create_new(a);
    let mut second = repo.create_new(b);
    first.record(deposits(3));
    second.record(deposits(2));
    repo.save(&mut first).await.unwrap();
    repo.save(&mut second).await.unwrap();

    assert_eq!(snapshots.stored().await, 1);
    assert!(snapshots.load(&stream_of(a)).await.unwrap().is_some());
    assert!(snapshots.load(&stream_of(b)).await.unwrap().is_none());
    assert_eq!(repo.load(a).await.unwrap().balance, 3);
    assert_eq!(repo.load(b).await.unwrap().balance, 2);

    second.record(deposits(1));
    repo.save(&mut second).await.unwrap();
    assert_eq!(snapshots.stored().await, 2);
}

/// Jitter moves the first snapshot point, then one snapshot per threshold follows.
pub async fn jitter_shifts_the_snapshot_points_but_keeps_one_per_threshold<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(
        &events,
        snapshots.clone(),
        SnapshotPolicy::every(10).jitter(10),
    );
    let mut account = repo.create_new(Uuid::now_v7());
    save_one_by_one(&repo, &mut account, 30).await;
    let written = snapshots.written();
    assert_eq!(written.len(), 3, "{written:?}");
    assert!((1..=10).contains(&written[0]), "{written:?}");
    assert_eq!(written, [written[0], written[0] + 10, written[0] + 20]);
}

/// A failing snapshot store is logged; the save succeeds, in either automatic mode.
pub async fn a_failing_snapshot_store_never_fails_a_save<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    for mode in [SnapshotMode::Sync, SnapshotMode::Background] {
        let (warnings, _guard) = Warnings::capture();
        let failing = SnapshotProbe::failing(snapshots.clone());
        let repo = repo_with(&events, failing, SnapshotPolicy::every(2).with_mode(mode));
        let id = Uuid::now_v7();
        let mut account = repo.create_new(id);
        account.record(deposits(5));
        repo.save(&mut account).await.unwrap();
        let expected_waits = usize::from(mode == SnapshotMode::Background);
        assert_eq!(repo.wait_for_snapshots().await, expected_waits);

        assert_eq!(events.stream_version(&stream_of(id)).await.unwrap(), 5);
        warnings.assert_one_containing("storing the snapshot failed");
        assert_eq!(repo.load(id).await.unwrap().balance, 5);
        assert_eq!(snapshots.load(&stream_of(id)).await.unwrap(), None);
    }
}
