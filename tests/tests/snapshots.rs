//! Snapshots through the repository, where no backend is involved: the configuration, the
//! futures being `Send`, and background mode without a tokio runtime.
//!
//! Every behaviour that goes through a backend (the policy and its modes, loading from a
//! snapshot, every fallback to a full replay, `create_snapshot`) is in the snapshot
//! behaviour suite, `eventsource::testkit::snapshot_behaviour`, which every backend runs (see
//! `memory_store.rs` and `sqlite_store.rs`).

use eventsource::prelude::*;
use eventsource::testkit::snapshot_behaviour::SnapshotProbe;
use eventsource_tests::fixtures::{Account, deposits};

#[test]
fn a_new_repository_has_no_snapshot_store_no_threshold_and_sync_mode() {
    let repo = Repository::<Account, _>::new(InMemoryEventStore::new());
    assert!(repo.snapshot_store().is_none());
    assert_eq!(repo.snapshot_policy(), SnapshotPolicy::default());
    assert_eq!(repo.snapshot_policy().threshold(), None);
    assert_eq!(repo.snapshot_policy().mode(), SnapshotMode::Sync);

    let repo = repo.with_snapshots(
        InMemorySnapshotStore::new(),
        SnapshotPolicy::every(10).background().jitter(3),
    );
    assert!(repo.snapshot_store().is_some());
    assert_eq!(repo.snapshot_policy().threshold(), Some(10));
    assert_eq!(repo.snapshot_policy().mode(), SnapshotMode::Background);
    assert_eq!(repo.snapshot_policy().max_jitter(), 3);
}

#[test]
fn repository_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
        .with_snapshots(InMemorySnapshotStore::new(), SnapshotPolicy::every(1));
    let mut root = repo.create_new(Uuid::now_v7());
    assert_send(&repo.load(Uuid::now_v7()));
    assert_send(&repo.create_snapshot(&root));
    assert_send(&repo.wait_for_snapshots());
    assert_send(&repo.save(&mut root));
}

/// On the in-memory stores only: a backend's futures may need a runtime of their own.
#[test]
fn background_mode_without_a_tokio_runtime_writes_the_snapshot_in_place() {
    let snapshots = SnapshotProbe::new(InMemorySnapshotStore::new());
    let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
        .with_snapshots(snapshots.clone(), SnapshotPolicy::every(1).background());
    let mut account = repo.create_new(Uuid::now_v7());
    account.record(deposits(1));
    block_on(repo.save(&mut account)).unwrap();
    assert_eq!(snapshots.written(), [1]);
}

/// Polls a future that needs no runtime (the in-memory stores are always ready).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}
