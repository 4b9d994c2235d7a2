//! Whole cycles, a raised snapshot schema version, and a custom snapshot type.

use super::probe::SnapshotProbe;
use super::support::*;
use super::warnings::Warnings;
use crate::prelude::*;
use crate::snapshot::SnapshotStore;
use crate::store::StreamId;
use crate::testkit::fixtures::{Account, Deposited, Withdrawn, deposits};

/// Save, load from the snapshot, save again, update: the state always matches a replay.
pub async fn a_full_cycle_continues_correctly_after_loading_from_a_snapshot<E, S>(
    events: E,
    snapshots: S,
) where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let snapshots = SnapshotProbe::new(snapshots);
    let repo = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(5));
    let plain = Repository::<Account, _>::new(events);
    let id = Uuid::now_v7();
    let mut account = repo.create_new(id);
    account.record(deposits(7));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [7]);

    let mut account = repo.load(id).await.unwrap();
    assert_eq!(account.version(), 7);
    account.record((Withdrawn { amount: 2 }, Deposited { amount: 10 }));
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [7]);
    account.record(Withdrawn { amount: 1 });
    repo.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [7, 10]);

    let updated = repo
        .update(id, |_| Ok::<_, std::convert::Infallible>(deposits(2)))
        .await
        .unwrap();
    assert_eq!(updated.version(), 12);

    let from_snapshot = repo.load(id).await.unwrap();
    let replayed = plain.load(id).await.unwrap();
    assert_eq!(from_snapshot.version(), 12);
    assert_eq!(from_snapshot.state(), replayed.state());
    assert_eq!(
        from_snapshot.state(),
        &Account {
            balance: 16,
            deposits: 10,
            withdrawals: 2
        }
    );
}

/// `Account` as a later release declares it: the same stored type and events, a new
/// snapshot schema version.
#[derive(Aggregate, Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
#[aggregate(name = "Account", snapshot(version = 2))]
struct AccountV2 {
    balance: i64,
    movements: u64,
}

#[apply]
impl AccountV2 {
    fn on_deposited(&mut self, e: &Deposited) {
        self.balance += e.amount;
        self.movements += 1;
    }
    fn on_withdrawn(&mut self, e: &Withdrawn) {
        self.balance -= e.amount;
        self.movements += 1;
    }
}

/// A raised snapshot schema version replays in full once, then uses new snapshots.
///
/// The first load warns; the next crossing stores a snapshot of the new version.
pub async fn raising_the_snapshot_version_forces_a_full_replay<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let (warnings, _guard) = Warnings::capture();
    let snapshots = SnapshotProbe::new(snapshots);
    let v1 = repo_with(&events, snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut account = v1.create_new(id);
    account.record((deposits(3), Withdrawn { amount: 1 }));
    v1.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [4]);

    let v2 = Repository::<AccountV2, _>::new(events)
        .with_snapshots(snapshots.clone(), SnapshotPolicy::every(3));
    let mut account = v2.load(id).await.unwrap();
    assert_eq!(account.version(), 4);
    assert_eq!(
        account.state(),
        &AccountV2 {
            balance: 2,
            movements: 4
        }
    );
    warnings.assert_one_containing("another schema version");

    // The next crossing stores a snapshot of the new version, which loads without warning.
    account.record(deposits(2));
    v2.save(&mut account).await.unwrap();
    assert_eq!(snapshots.written(), [4, 6]);
    let stored = snapshots.load(&stream_of(id)).await.unwrap().unwrap();
    assert_eq!(stored.schema_version, 2);
    let before = warnings.messages().len();
    assert_eq!(v2.load(id).await.unwrap().movements, 6);
    assert_eq!(warnings.messages().len(), before);
}

/// Keeps every amount; its snapshot keeps only the amounts, the total is recomputed.
#[derive(Aggregate, Debug, Default, Clone, PartialEq)]
#[aggregate(name = "Tally", snapshot(version = 1, with = TallySnapshot))]
struct Tally {
    amounts: Vec<i64>,
    total: i64,
}

#[apply]
impl Tally {
    fn on_deposited(&mut self, e: &Deposited) {
        self.amounts.push(e.amount);
        self.total += e.amount;
    }
}

#[derive(Serialize, Deserialize)]
#[serde(crate = "eventsource::serde")]
struct TallySnapshot {
    amounts: Vec<i64>,
}

impl From<&Tally> for TallySnapshot {
    fn from(tally: &Tally) -> Self {
        TallySnapshot {
            amounts: tally.amounts.clone(),
        }
    }
}

impl From<TallySnapshot> for Tally {
    fn from(snapshot: TallySnapshot) -> Self {
        Tally {
            total: snapshot.amounts.iter().sum(),
            amounts: snapshot.amounts,
        }
    }
}

/// A snapshot type of the aggregate's own (`with = ...`) is what is stored and restored.
pub async fn a_custom_snapshot_type_is_stored_and_restored<E, S>(events: E, snapshots: S)
where
    E: EventStore + Clone,
    S: SnapshotStore + Clone,
{
    let repo = Repository::<Tally, _>::new(events)
        .with_snapshots(snapshots.clone(), SnapshotPolicy::every(3));
    let id = Uuid::now_v7();
    let mut tally = repo.create_new(id);
    tally.record([1, 2, 3].map(|amount| Deposited { amount }));
    repo.save(&mut tally).await.unwrap();

    let stored = snapshots
        .load(&StreamId::new("Tally", id.to_string()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, r#"{"amounts":[1,2,3]}"#);

    tally.record(Deposited { amount: 4 });
    repo.save(&mut tally).await.unwrap();
    let loaded = repo.load(id).await.unwrap();
    assert_eq!(loaded.version(), 4);
    assert_eq!(
        loaded.state(),
        &Tally {
            amounts: vec![1, 2, 3, 4],
            total: 10
        }
    );
}
