//! The stored side of snapshots: [`Snapshot`] records and the [`SnapshotStore`] trait
//! every backend implements. When and how snapshots are taken is the repository's
//! ([`crate::snapshot`]).

use crate::codec::{Codec, Payload, PayloadRef};
use crate::error::Result;
use crate::future::BoxFuture;
use crate::stream::StreamId;
use std::time::SystemTime;

/// An aggregate's state at a version. Made with [`Snapshot::new`] outside this crate (it
/// may gain fields).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Snapshot {
    /// The aggregate's stream (type and id).
    pub stream: StreamId,
    /// The version of the last event the state includes.
    pub version: u64,
    /// The aggregate's snapshot schema version when the snapshot was taken; a snapshot of
    /// another schema version is ignored on load.
    pub schema_version: u32,
    /// The serialised state as JSON; empty when [`codec`](Self::codec) is a binary one.
    pub state: String,
    /// The codec that wrote the state.
    pub codec: Codec,
    /// The state written by a binary codec; empty for JSON.
    pub binary: Vec<u8>,
    /// When the snapshot was taken, to the microsecond.
    pub taken_at: SystemTime,
}

impl Snapshot {
    /// The `state` (JSON text, or any [`Payload`] a [`Codec`] made) of `stream` after
    /// `version`, of the aggregate's snapshot `schema_version`, taken at `taken_at`.
    pub fn new(
        stream: StreamId,
        version: u64,
        schema_version: u32,
        state: impl Into<Payload>,
        taken_at: SystemTime,
    ) -> Self {
        let (codec, state, binary) = state.into().into_parts();
        Snapshot {
            stream,
            version,
            schema_version,
            state,
            codec,
            binary,
            taken_at,
        }
    }

    /// The state, as its codec wrote it.
    pub fn state_ref(&self) -> PayloadRef<'_> {
        PayloadRef::from_parts(self.codec, &self.state, &self.binary)
    }
}

/// Stores one snapshot per aggregate.
///
/// Rules every backend follows (the snapshot store cases of `eventsource::testkit` check them):
/// - [`save`](Self::save) replaces the stream's snapshot only when the new one's version is
///   greater than or equal to the stored one's; an older snapshot is silently dropped.
/// - [`load`](Self::load) returns the stored snapshot, or `None`.
/// - [`delete`](Self::delete) removes it; deleting a missing snapshot is not an error.
pub trait SnapshotStore: Send + Sync + 'static {
    /// Stores `snapshot` unless a newer one is stored for its stream.
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>>;

    /// The stream's snapshot, if any.
    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>>;

    /// Removes the stream's snapshot.
    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>>;
}

impl<T: SnapshotStore> SnapshotStore for std::sync::Arc<T> {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        (**self).save(snapshot)
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        (**self).load(stream)
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        (**self).delete(stream)
    }
}
