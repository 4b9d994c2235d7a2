//! The repository's side of snapshots: restoring one on load, taking them after a save,
//! and keeping track of the background writes.
//!
//! The repository's `load` and `save` are generic over every [`Aggregate`]; a
//! [`Snapshotter`] can only be made for a [`Snapshottable`] one, and keeps its codec as
//! function pointers so that those generic methods can use it.

use super::policy::{SnapshotMode, SnapshotPolicy};
use super::state::{Snapshottable, decode_state, encode_state};
use crate::aggregate::Aggregate;
use crate::error::{Error, Result};
use crate::root::AggregateRoot;
use crate::store::{Snapshot, SnapshotStore};
use crate::stream::StreamId;
use crate::time::now_micros;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::{JoinError, JoinSet};
use tracing::Instrument;

/// A snapshot store, a policy and the codec of `A`'s snapshots.
pub(crate) struct Snapshotter<A> {
    store: Arc<dyn SnapshotStore>,
    policy: SnapshotPolicy,
    schema_version: u32,
    encode: fn(&A) -> serde_json::Result<String>,
    decode: fn(&str) -> serde_json::Result<A>,
    background: Background,
}

impl<A> fmt::Debug for Snapshotter<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshotter")
            .field("policy", &self.policy)
            .field("schema_version", &self.schema_version)
            .finish_non_exhaustive()
    }
}

impl<A: Snapshottable> Snapshotter<A> {
    pub(crate) fn new(store: Arc<dyn SnapshotStore>, policy: SnapshotPolicy) -> Self {
        Snapshotter {
            store,
            policy,
            schema_version: A::SNAPSHOT_VERSION,
            encode: encode_state::<A>,
            decode: decode_state::<A>,
            background: Background::default(),
        }
    }
}

impl<A: Aggregate> Snapshotter<A> {
    pub(crate) fn store(&self) -> &dyn SnapshotStore {
        &*self.store
    }

    pub(crate) fn policy(&self) -> SnapshotPolicy {
        self.policy
    }

    /// The version and state of the stream's snapshot, when there is a usable one. Every
    /// reason not to use it is logged at WARN level: the caller replays all events instead.
    pub(crate) async fn restore(&self, stream: &StreamId) -> Option<(u64, A)> {
        let snapshot = match self.store.load(stream).await {
            Ok(Some(snapshot)) => snapshot,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%stream, %error, "cannot read the snapshot; replaying all events");
                return None;
            }
        };
        if snapshot.stream != *stream || snapshot.version == 0 {
            tracing::warn!(
                %stream,
                snapshot_stream = %snapshot.stream,
                snapshot_version = snapshot.version,
                "the snapshot store returned a snapshot of another stream or of version 0; replaying all events"
            );
            return None;
        }
        if snapshot.schema_version != self.schema_version {
            tracing::warn!(
                %stream,
                snapshot_version = snapshot.version,
                stored_schema_version = snapshot.schema_version,
                schema_version = self.schema_version,
                "the snapshot has another schema version than the aggregate; replaying all events"
            );
            return None;
        }
        match (self.decode)(&snapshot.state) {
            Ok(state) => Some((snapshot.version, state)),
            Err(error) => {
                tracing::warn!(
                    %stream,
                    snapshot_version = snapshot.version,
                    %error,
                    "cannot decode the snapshot's state; replaying all events"
                );
                None
            }
        }
    }

    /// The snapshot of `root` as it is now.
    pub(crate) fn take(&self, stream: &StreamId, root: &AggregateRoot<A>) -> Result<Snapshot> {
        let state = (self.encode)(root.state()).map_err(|source| Error::SnapshotEncode {
            stream: stream.clone(),
            source,
        })?;
        Ok(Snapshot {
            stream: stream.clone(),
            version: root.version(),
            schema_version: self.schema_version,
            state,
            taken_at: now_micros(),
        })
    }

    /// Takes the snapshot the policy calls for after a save moved `root` from version
    /// `from` to its current version. Never fails: problems are logged.
    pub(crate) async fn after_save(&self, stream: &StreamId, root: &AggregateRoot<A>, from: u64) {
        if !self.policy.should_snapshot(stream, from, root.version()) {
            return;
        }
        let snapshot = match self.take(stream, root) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                tracing::warn!(%stream, version = root.version(), %error, "no snapshot taken");
                return;
            }
        };
        let write = write(Arc::clone(&self.store), snapshot);
        if self.policy.mode() == SnapshotMode::Background {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => return self.background.spawn(&runtime, write),
                Err(_) => tracing::debug!(%stream, "no tokio runtime: writing the snapshot now"),
            }
        }
        write.await;
    }

    /// Waits for the background writes scheduled so far; returns how many there were since
    /// the previous call.
    pub(crate) async fn wait(&self) -> usize {
        self.background.wait().await
    }
}

/// Stores `snapshot`, logging a failure: a snapshot is a cache, never worth failing for.
async fn write(store: Arc<dyn SnapshotStore>, snapshot: Snapshot) {
    let span = tracing::debug_span!(
        "eventsource.snapshot",
        stream = %snapshot.stream,
        version = snapshot.version,
    );
    async {
        if let Err(error) = store.save(&snapshot).await {
            tracing::warn!(
                stream = %snapshot.stream,
                version = snapshot.version,
                %error,
                "storing the snapshot failed; the events are saved, loads replay more of them"
            );
        }
    }
    .instrument(span)
    .await
}

/// The background snapshot writes: those still running, and how many finished since the
/// last [`wait`](Self::wait).
#[derive(Default)]
struct Background {
    tasks: Mutex<Tasks>,
}

#[derive(Default)]
struct Tasks {
    running: Detached,
    finished: usize,
}

impl Background {
    fn spawn(
        &self,
        runtime: &tokio::runtime::Handle,
        write: impl Future<Output = ()> + Send + 'static,
    ) {
        let mut tasks = self.lock();
        // Reap what finished so the set stays as small as the writes in flight.
        while let Some(result) = tasks.running.0.try_join_next() {
            report(result);
            tasks.finished += 1;
        }
        tasks.running.0.spawn_on(write, runtime);
    }

    async fn wait(&self) -> usize {
        let (mut running, mut count) = {
            let mut tasks = self.lock();
            (
                std::mem::take(&mut tasks.running),
                std::mem::take(&mut tasks.finished),
            )
        };
        while let Some(result) = running.0.join_next().await {
            report(result);
            count += 1;
        }
        count
    }

    fn lock(&self) -> MutexGuard<'_, Tasks> {
        // Each critical section is a push or a take; a poisoned set is still consistent.
        self.tasks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A `JoinSet` that lets its tasks run on when dropped (a `JoinSet` aborts them): a
/// dropped repository or a cancelled wait must not cancel a snapshot write.
#[derive(Default)]
struct Detached(JoinSet<()>);

impl Drop for Detached {
    fn drop(&mut self) {
        self.0.detach_all();
    }
}

fn report(result: Result<(), JoinError>) {
    if let Err(error) = result {
        tracing::warn!(%error, "a background snapshot write did not finish");
    }
}
