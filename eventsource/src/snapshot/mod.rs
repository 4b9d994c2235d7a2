//! Snapshots: an aggregate's state at a version, stored so that loading replays only the
//! events after it.
//!
//! A [`SnapshotStore`] keeps one snapshot per aggregate (stream) and never lets an older
//! snapshot replace a newer one. An aggregate opts in with `snapshot(version = N)` in its
//! `#[aggregate(...)]` ([`Snapshottable`]); a [`SnapshotPolicy`] given to
//! [`Repository::with_snapshots`](crate::Repository::with_snapshots) says when snapshots
//! are taken.

mod policy;
pub(crate) mod snapshotter;
pub(crate) mod state;

pub use crate::store::memory::snapshots::InMemorySnapshotStore;
pub use policy::{SnapshotMode, SnapshotPolicy};
pub use state::Snapshottable;

pub use crate::store::snapshot::{Snapshot, SnapshotStore};
