//! [`SnapshotWorker`]: a subscription that takes snapshots for aggregates whose streams
//! crossed their threshold, so that snapshotting can run beside the writers, or in a
//! process of its own.

use crate::aggregate::Aggregate;
use crate::repository::Repository;
use crate::snapshot::Snapshottable;
use crate::store::EventStore;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// Follows the feed and snapshots each aggregate of type `A` whose stream crossed a
/// multiple of the repository's snapshot threshold
/// ([`SnapshotPolicy::every`](crate::snapshot::SnapshotPolicy::every), jitter included).
///
/// The repository it is given must have a snapshot store
/// ([`Repository::with_snapshots`]); give it a policy in
/// [`SnapshotMode::Manual`](crate::snapshot::SnapshotMode::Manual) with the threshold, e.g.
/// `SnapshotPolicy::every(100).with_mode(SnapshotMode::Manual)`, so that the worker alone
/// writes snapshots. Writers then use `SnapshotPolicy::manual()` with the same snapshot
/// store: they load from the snapshots and never take one.
///
/// After each batch it loads every aggregate that crossed the threshold (from its newest
/// snapshot plus the events after it) and stores its snapshot. A snapshot is a cache:
/// one that cannot be taken is logged and left for the next crossing, never parked.
/// Start it with [`SubscriptionRunner::start_snapshots`](super::SubscriptionRunner::start_snapshots).
pub struct SnapshotWorker<A: Aggregate, S: EventStore> {
    pub(super) name: &'static str,
    pub(super) repository: Repository<A, S>,
    pub(super) crossed: BTreeSet<String>,
    pub(super) taken: u64,
}

impl<A: Aggregate, S: EventStore> fmt::Debug for SnapshotWorker<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotWorker")
            .field("name", &self.name)
            .field("aggregate_type", &A::TYPE)
            .field("taken", &self.taken)
            .finish_non_exhaustive()
    }
}

impl<A, S> SnapshotWorker<A, S>
where
    A: Snapshottable,
    A::Id: FromStr,
    S: EventStore,
{
    /// A worker named `name` (its checkpoint's name) snapshotting through `repository`.
    pub fn new(name: &'static str, repository: Repository<A, S>) -> Self {
        SnapshotWorker {
            name,
            repository,
            crossed: BTreeSet::new(),
            taken: 0,
        }
    }

    /// How many snapshots it has stored.
    pub fn snapshots_taken(&self) -> u64 {
        self.taken
    }

    /// The repository it snapshots through.
    pub fn repository(&self) -> &Repository<A, S> {
        &self.repository
    }

    /// Snapshots the aggregates that crossed the threshold since the last call.
    pub(super) async fn take_snapshots(&mut self) {
        for id_text in std::mem::take(&mut self.crossed) {
            let Ok(id) = A::Id::from_str(&id_text) else {
                tracing::warn!(aggregate_type = A::TYPE, id = %id_text, "cannot parse the aggregate id; no snapshot");
                continue;
            };
            let snapshot = match self.repository.load(id).await {
                Ok(root) => self.repository.create_snapshot(&root).await,
                Err(error) => Err(error),
            };
            match snapshot {
                Ok(_) => self.taken += 1,
                Err(error) => {
                    tracing::warn!(aggregate_type = A::TYPE, id = %id_text, %error, "snapshot not taken")
                }
            }
        }
    }
}
