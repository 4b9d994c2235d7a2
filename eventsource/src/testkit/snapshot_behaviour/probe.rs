//! The snapshot probe: a backend's snapshot store, watched or made to fail.

use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::snapshot::{Snapshot, SnapshotStore};
use crate::store::StreamId;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Wraps a backend's snapshot store: records every write that reaches it, and can hold the
/// writes until [`open`](Self::open) ([`gated`](Self::gated)) or fail every call
/// ([`failing`](Self::failing)). Clones share the records, the gate and the store.
#[derive(Clone)]
pub struct SnapshotProbe<S> {
    inner: S,
    written: Arc<Mutex<Vec<(StreamId, u64)>>>,
    gate: Option<Arc<Semaphore>>,
    failing: bool,
}

impl<S: SnapshotStore + Clone> SnapshotProbe<S> {
    /// Passes every call to `inner`, recording the writes.
    pub fn new(inner: S) -> Self {
        SnapshotProbe {
            inner,
            written: Arc::default(),
            gate: None,
            failing: false,
        }
    }

    /// Holds every write until [`open`](Self::open) lets one through.
    pub fn gated(inner: S) -> Self {
        SnapshotProbe {
            gate: Some(Arc::new(Semaphore::new(0))),
            ..Self::new(inner)
        }
    }

    /// Fails every call with a backend error, "snapshot store is down", without reaching
    /// `inner`.
    pub fn failing(inner: S) -> Self {
        SnapshotProbe {
            failing: true,
            ..Self::new(inner)
        }
    }

    /// Lets one held write through.
    pub fn open(&self) {
        if let Some(gate) = &self.gate {
            gate.add_permits(1);
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The versions written so far, in order.
    pub fn written(&self) -> Vec<u64> {
        self.lock().iter().map(|(_, version)| *version).collect()
    }

    /// How many snapshots the wrapped store holds of the streams written through the probe
    /// (the whole store's count, when every write goes through the probe).
    pub async fn stored(&self) -> usize {
        let mut streams: Vec<StreamId> = self.lock().iter().map(|(s, _)| s.clone()).collect();
        streams.sort();
        streams.dedup();
        let mut count = 0;
        for stream in &streams {
            if self.inner.load(stream).await.unwrap().is_some() {
                count += 1;
            }
        }
        count
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(StreamId, u64)>> {
        self.written.lock().unwrap()
    }
}

fn down() -> Error {
    Error::backend("snapshot store is down")
}

impl<S: SnapshotStore + Clone> SnapshotStore for SnapshotProbe<S> {
    fn save<'a>(&'a self, snapshot: &'a Snapshot) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if self.failing {
                return Err(down());
            }
            if let Some(gate) = &self.gate {
                let _pass = gate.acquire().await.expect("the gate is never closed");
            }
            self.lock()
                .push((snapshot.stream.clone(), snapshot.version));
            self.inner.save(snapshot).await
        })
    }

    fn load<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<Option<Snapshot>>> {
        if self.failing {
            return Box::pin(async { Err(down()) });
        }
        self.inner.load(stream)
    }

    fn delete<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<()>> {
        if self.failing {
            return Box::pin(async { Err(down()) });
        }
        self.inner.delete(stream)
    }
}
