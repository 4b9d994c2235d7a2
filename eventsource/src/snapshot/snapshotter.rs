//! The repository's side of snapshots: restoring one on load, taking them after a save,
//! and keeping track of the background writes.
//!
//! The repository's `load` and `save` are generic over every [`Aggregate`]; a
//! [`Snapshotter`] can only be made for a [`Snapshottable`] one, and keeps its codec as
//! function pointers so that those generic methods can use it.

use super::policy::{SnapshotMode, SnapshotPolicy};
use super::state::{Snapshottable, decode_state, encode_state};
use crate::aggregate::Aggregate;
use crate::codec::{Codec, Payload, PayloadRef};
use crate::error::{CodecError, Error, Result};
use crate::root::AggregateRoot;
use crate::store::{Snapshot, SnapshotStore};
use crate::stream::StreamId;
use crate::time::now_micros;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::{JoinError, JoinSet};
use tracing::Instrument;

/// A snapshot store, a policy and the codec of `A`'s snapshots.
pub(crate) struct Snapshotter<A> {
    store: Arc<dyn SnapshotStore>,
    policy: SnapshotPolicy,
    schema_version: u32,
    encode: fn(&A, Codec) -> Result<Payload, CodecError>,
    decode: fn(PayloadRef<'_>) -> Result<A, CodecError>,
    background: Arc<Background>,
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
            background: Arc::default(),
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
        match (self.decode)(snapshot.state_ref()) {
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

    /// The snapshot of `root` as it is now, its state encoded by `codec`.
    pub(crate) fn take(
        &self,
        stream: &StreamId,
        root: &AggregateRoot<A>,
        codec: Codec,
    ) -> Result<Snapshot> {
        let state = (self.encode)(root.state(), codec).map_err(|source| Error::SnapshotEncode {
            stream: stream.clone(),
            source,
        })?;
        Ok(Snapshot::new(
            stream.clone(),
            root.version(),
            self.schema_version,
            state,
            now_micros(),
        ))
    }

    /// Takes the snapshot the policy calls for after a save moved `root` from version
    /// `from` to its current version. Never fails: problems are logged.
    pub(crate) async fn after_save(
        &self,
        stream: &StreamId,
        root: &AggregateRoot<A>,
        from: u64,
        codec: Codec,
    ) {
        if !self.policy.should_snapshot(stream, from, root.version()) {
            return;
        }
        let snapshot = match self.take(stream, root, codec) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                tracing::warn!(%stream, version = root.version(), %error, "no snapshot taken");
                return;
            }
        };
        if self.policy.mode() == SnapshotMode::Background {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    return self.background.schedule(&runtime, &self.store, snapshot);
                }
                Err(_) => tracing::debug!(%stream, "no tokio runtime: writing the snapshot now"),
            }
        }
        write(Arc::clone(&self.store), snapshot).await;
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

/// The most background snapshot writes running at once.
const WRITERS: usize = 4;

/// The most snapshots waiting for a writer. Past it a new one is dropped (and logged): a
/// snapshot is a cache, and the stream's next crossing takes another.
const WAITING: usize = 1024;

/// The background snapshot writes: at most [`WRITERS`] tasks take the waiting snapshots
/// one after another, one stream at a time. A stream keeps one waiting snapshot, the
/// newest: a later one replaces it (coalescing), so a hot stream costs one write at a
/// time, never a task per save.
#[derive(Default)]
struct Background {
    tasks: Mutex<Tasks>,
}

#[derive(Default)]
struct Tasks {
    running: Detached,
    writers: usize,
    /// The newest waiting snapshot of each stream, and the streams in the order they came.
    waiting: HashMap<StreamId, Snapshot>,
    order: VecDeque<StreamId>,
    /// Streams a writer is storing a snapshot of now.
    writing: HashSet<StreamId>,
    /// Snapshots scheduled since the last [`wait`](Background::wait).
    scheduled: usize,
}

impl Background {
    fn schedule(
        self: &Arc<Self>,
        runtime: &tokio::runtime::Handle,
        store: &Arc<dyn SnapshotStore>,
        snapshot: Snapshot,
    ) {
        let mut tasks = self.lock();
        // Reap what finished so the set stays as small as the writers alive.
        while let Some(result) = tasks.running.0.try_join_next() {
            report(result, &mut tasks);
        }
        tasks.scheduled += 1;
        if let Some(waiting) = tasks.waiting.get_mut(&snapshot.stream) {
            if snapshot.version > waiting.version {
                *waiting = snapshot;
            }
            return;
        }
        if tasks.waiting.len() >= WAITING {
            tracing::debug!(
                stream = %snapshot.stream,
                version = snapshot.version,
                "too many snapshots waiting to be written; this one is dropped"
            );
            return;
        }
        tasks.order.push_back(snapshot.stream.clone());
        tasks.waiting.insert(snapshot.stream.clone(), snapshot);
        if tasks.writers < WRITERS {
            tasks.writers += 1;
            let writer = Arc::clone(self).write_waiting(Arc::clone(store));
            tasks.running.0.spawn_on(writer, runtime);
        }
    }

    /// One writer: stores waiting snapshots until none is left that no other writer's
    /// stream holds.
    async fn write_waiting(self: Arc<Self>, store: Arc<dyn SnapshotStore>) {
        let mut done: Option<StreamId> = None;
        loop {
            let next = {
                let mut tasks = self.lock();
                if let Some(stream) = done.take() {
                    tasks.writing.remove(&stream);
                }
                let free = tasks
                    .order
                    .iter()
                    .position(|stream| !tasks.writing.contains(stream));
                match free.and_then(|at| tasks.order.remove(at)) {
                    Some(stream) => {
                        let snapshot = tasks.waiting.remove(&stream);
                        tasks.writing.insert(stream);
                        snapshot
                    }
                    None => {
                        tasks.writers -= 1;
                        None
                    }
                }
            };
            let Some(snapshot) = next else { return };
            done = Some(snapshot.stream.clone());
            write(Arc::clone(&store), snapshot).await;
        }
    }

    async fn wait(&self) -> usize {
        loop {
            let mut running = std::mem::take(&mut self.lock().running);
            if running.0.is_empty() {
                break;
            }
            while let Some(result) = running.0.join_next().await {
                report(result, &mut self.lock());
            }
        }
        std::mem::take(&mut self.lock().scheduled)
    }

    fn lock(&self) -> MutexGuard<'_, Tasks> {
        // Each critical section leaves the queue consistent; a poisoned one still is.
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

fn report(result: Result<(), JoinError>, tasks: &mut Tasks) {
    if let Err(error) = result {
        // The writer is gone without counting itself out.
        tasks.writers = tasks.writers.saturating_sub(1);
        tracing::warn!(%error, "a background snapshot write did not finish");
    }
}
