//! The repository's snapshots: taking one now, and waiting for those taken in the
//! background (the store and policy are among the repository's settings).

use super::Repository;
use crate::aggregate::Aggregate;
use crate::error::{Error, Result};
use crate::root::AggregateRoot;
use crate::snapshot::{Snapshot, Snapshottable};
use crate::store::EventStore;

impl<A: Aggregate, S: EventStore> Repository<A, S> {
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

    /// Waits until every snapshot write that [`SnapshotMode::Background`] scheduled so far
    /// has finished (stored, or failed and logged), and returns how many were scheduled
    /// since the previous call: for tests, and before shutting down.
    ///
    /// Returns 0 at once without snapshots or in the other modes.
    ///
    /// [`SnapshotMode::Background`]: crate::snapshot::SnapshotMode::Background
    pub async fn wait_for_snapshots(&self) -> usize {
        match &self.snapshots {
            Some(snapshots) => snapshots.wait().await,
            None => 0,
        }
    }
}
