//! What the snapshot behaviour cases share: accounts stored and snapshots forged.

use crate::repository::Repository;
use crate::root::AggregateRoot;
use crate::snapshot::{Snapshot, SnapshotPolicy, SnapshotStore, Snapshottable};
use crate::store::{EventStore, StreamId};
use crate::testkit::fixtures::{Account, Deposited, deposits};
use std::time::SystemTime;
use uuid::Uuid;

pub(super) type Repo<E> = Repository<Account, E>;

/// A repository of accounts over `events`, snapshotting into `snapshots` as `policy` says.
pub(super) fn repo_with<E: EventStore + Clone>(
    events: &E,
    snapshots: impl SnapshotStore,
    policy: SnapshotPolicy,
) -> Repo<E> {
    Repository::new(events.clone()).with_snapshots(snapshots, policy)
}

pub(super) fn stream_of(id: Uuid) -> StreamId {
    StreamId::new("Account", id.to_string())
}

/// Saves `count` deposits of 1 for a new account through a repository without snapshots.
pub(super) async fn stored_account<E: EventStore + Clone>(events: &E, count: u64) -> Uuid {
    let plain = Repository::<Account, _>::new(events.clone());
    let id = Uuid::now_v7();
    let mut account = plain.create_new(id);
    account.record(deposits(count));
    plain.save(&mut account).await.unwrap();
    id
}

/// A new account of `count` deposits with `snapshot(id)` stored for it through the
/// backend's own snapshot store, and a repository that takes no automatic snapshot.
pub(super) async fn account_with_snapshot<E: EventStore + Clone, S: SnapshotStore + Clone>(
    events: &E,
    snapshots: &S,
    count: u64,
    snapshot: impl FnOnce(Uuid) -> Snapshot,
) -> (Repo<E>, Uuid) {
    let repo = repo_with(events, snapshots.clone(), SnapshotPolicy::manual());
    let id = stored_account(events, count).await;
    snapshots.save(&snapshot(id)).await.unwrap();
    (repo, id)
}

/// A snapshot written by hand, with a state that replaying the events could not give:
/// loading it back proves the snapshot was used.
pub(super) fn forged(id: Uuid, version: u64, state: &Account) -> Snapshot {
    Snapshot::new(
        stream_of(id),
        version,
        Account::SNAPSHOT_VERSION,
        serde_json::to_string(state).unwrap(),
        SystemTime::now(),
    )
}

pub(super) fn rich(deposits: u64) -> Account {
    Account {
        balance: 1_000_000,
        deposits,
        withdrawals: 0,
    }
}

/// One save per event, `count` times.
pub(super) async fn save_one_by_one<E: EventStore>(
    repo: &Repo<E>,
    account: &mut AggregateRoot<Account>,
    count: u64,
) {
    for _ in 0..count {
        account.record(Deposited { amount: 1 });
        repo.save(account).await.unwrap();
    }
}
