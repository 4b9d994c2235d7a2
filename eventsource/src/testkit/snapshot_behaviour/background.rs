//! Background mode: saves that do not wait for their snapshots.

use super::probe::SnapshotProbe;
use super::support::*;
use crate::snapshot::{SnapshotPolicy, SnapshotStore};
use crate::store::EventStore;
use crate::testkit::fixtures::deposits;
use uuid::Uuid;

/// In background mode a save returns while its snapshot write is still held.
pub async fn background_save_returns_before_the_snapshot_is_written<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::gated(snapshots);
    let repo = repo_with(
        &events,
        snapshots.clone(),
        SnapshotPolicy::every(2).background(),
    );
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(2));
    repo.save(&mut account).await.unwrap();
    account.record(deposits(2));
    repo.save(&mut account).await.unwrap();
    tokio::task::yield_now().await;

    // Both writes are held by the gate, yet both saves returned.
    assert!(snapshots.written().is_empty());
    assert!(
        snapshots
            .inner()
            .load(&stream_of(id))
            .await
            .unwrap()
            .is_none()
    );

    snapshots.open();
    assert_eq!(repo.wait_for_snapshots().await, 2);
    // Version 2 is written, or replaced by 4 while it was still waiting.
    let written = snapshots.written();
    assert!(written == [2, 4] || written == [4], "{written:?}");
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 4);
    assert_eq!(repo.wait_for_snapshots().await, 0);
}

/// The wait counts the background snapshots scheduled since the last one, finished or
/// not; a stream's writes run one at a time, oldest first, and the newest is written.
pub async fn waiting_counts_background_snapshots_that_already_finished<E, S>(
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
        SnapshotPolicy::every(1).background(),
    );
    let mut account = repo.create_new(Uuid::now_v7());
    for _ in 0..5 {
        account.record(deposits(1));
        repo.save(&mut account).await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(repo.wait_for_snapshots().await, 5);
    // A snapshot still waiting when a newer one of its stream came was replaced by it.
    let written = snapshots.written();
    assert!((1..=5).contains(&written.len()), "{written:?}");
    assert_eq!(written.last(), Some(&5), "{written:?}");
    assert!(
        written.windows(2).all(|w| w[0] < w[1]),
        "in version order: {written:?}"
    );
}

/// A stream saved faster than its snapshots are written keeps one snapshot waiting, the
/// newest: fifty crossing saves while the writes are held end in at most two writes (the
/// one in flight, then the newest), and the stored snapshot is the newest.
pub async fn a_hot_stream_keeps_one_snapshot_waiting_the_newest<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::gated(snapshots);
    let repo = repo_with(
        &events,
        snapshots.clone(),
        SnapshotPolicy::every(1).background(),
    );
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    for _ in 0..50 {
        account.record(deposits(1));
        repo.save(&mut account).await.unwrap();
        tokio::task::yield_now().await;
    }
    assert!(snapshots.written().is_empty());
    snapshots.open();
    assert_eq!(repo.wait_for_snapshots().await, 50);
    let written = snapshots.written();
    assert!((1..=2).contains(&written.len()), "{written:?}");
    assert_eq!(written.last(), Some(&50), "{written:?}");
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.version, 50);
}
