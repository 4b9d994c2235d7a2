//! The repository's snapshots: the store and policy it takes them with, taking one now,
//! and waiting for those taken in the background.

use super::Repository;
use crate::aggregate::Aggregate;
use crate::error::{Error, Result};
use crate::root::AggregateRoot;
use crate::snapshot::snapshotter::Snapshotter;
use crate::snapshot::{Snapshot, SnapshotPolicy, SnapshotStore, Snapshottable};
use crate::store::EventStore;
use std::sync::Arc;

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    /// Stores snapshots in `store`, taken as `policy` says; loads start from them.
    ///
    /// Only for aggregates that opted in with `snapshot(version = N)` ([`Snapshottable`]).
    ///
    /// ```
    /// # use eventsource::prelude::*;
    /// # #[event] pub struct Deposited { pub amount: i64 }
    /// #[derive(Aggregate, Default, Serialize, Deserialize)]
    /// #[aggregate(events(Deposited), snapshot(version = 1))]
    /// pub struct Account { balance: i64 }
    /// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; } }
    ///
    /// let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
    ///     .with_snapshots(InMemorySnapshotStore::new(), SnapshotPolicy::every(100));
    /// ```
    ///
    /// An aggregate without `snapshot(...)` cannot be given a snapshot store:
    ///
    /// ```compile_fail
    /// # use eventsource::prelude::*;
    /// # #[event] pub struct Opened;
    /// # #[derive(Aggregate, Default)]
    /// # #[aggregate(events(Opened))]
    /// # pub struct Account;
    /// # #[apply] impl Account { fn opened(&mut self, _: &Opened) {} }
    /// let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
    ///     .with_snapshots(InMemorySnapshotStore::new(), SnapshotPolicy::every(100));
    /// ```
    pub fn with_snapshots(mut self, store: impl SnapshotStore, policy: SnapshotPolicy) -> Self
    where
        A: Snapshottable,
    {
        self.snapshots = Some(Arc::new(Snapshotter::new(Arc::new(store), policy)));
        self
    }

    /// Takes and stores a snapshot of `root` now, whatever the policy and mode, and
    /// returns it.
    ///
    /// Fails with [`Error::NoSnapshotStore`] when the repository has no snapshot store,
    /// with [`Error::UnsavedAggregate`] when `root` has unsaved events or was never saved,
    /// and with the store's error when storing fails. A newer stored snapshot is kept
    /// (the store never lets an older one replace it).
    pub async fn create_snapshot(&self, root: &AggregateRoot<A>) -> Result<Snapshot>
    where
        A: Snapshottable,
    {
        let snapshots = self
            .snapshots
            .as_ref()
            .ok_or_else(|| Error::NoSnapshotStore {
                aggregate_type: A::TYPE.to_owned(),
            })?;
        let stream = root.stream();
        if root.has_pending_events() || root.version() == 0 {
            return Err(Error::UnsavedAggregate {
                stream,
                version: root.version(),
                pending: root.pending_events().len(),
            });
        }
        let snapshot = snapshots.take(&stream, root, self.codec)?;
        snapshots.store().save(&snapshot).await?;
        Ok(snapshot)
    }

    /// The snapshot store, if one is configured.
    pub fn snapshot_store(&self) -> Option<&dyn SnapshotStore> {
        self.snapshots.as_deref().map(Snapshotter::store)
    }

    /// The snapshot policy: [`SnapshotPolicy::default`] (no threshold, sync mode) until
    /// [`with_snapshots`](Self::with_snapshots) sets one.
    pub fn snapshot_policy(&self) -> SnapshotPolicy {
        self.snapshots
            .as_ref()
            .map_or_else(SnapshotPolicy::default, |s| s.policy())
    }

    /// Waits until every snapshot write that [`SnapshotMode::Background`] scheduled so far
    /// has finished (stored, or failed and logged), and returns how many were scheduled
    /// since the previous call: for tests, and before shutting down.
    ///
    /// Returns 0 at once without snapshots or in the other modes.
    ///
    /// [`SnapshotMode::Background`]: crate::SnapshotMode::Background
    pub async fn wait_for_snapshots(&self) -> usize {
        match &self.snapshots {
            Some(snapshots) => snapshots.wait().await,
            None => 0,
        }
    }
}
