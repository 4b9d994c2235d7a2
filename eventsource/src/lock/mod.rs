//! Exclusive holds on aggregates, for the [locking repository](crate::LockingRepository):
//! [`AggregateLocks`], what a lock provider implements, and [`HeldLock`], what it hands
//! out.
//!
//! [`InProcessLocks`] serialises the tasks of one process. The stores that several
//! processes share bring their own provider, which holds an aggregate against every
//! process: [`SqliteLocks`](crate::store::sqlite::SqliteLocks) (an OS file lock) and
//! `PostgresLocks` (a PostgreSQL advisory lock, feature `postgres`). Each releases the
//! lock when its holder's process dies, so a dead holder never blocks the others for good.

mod keyed;

pub use keyed::InProcessLocks;

use crate::error::Result;
use crate::future::BoxFuture;
use crate::stream::StreamId;
use std::fmt;
use std::time::Duration;

/// A provider of exclusive locks, one per stream.
///
/// The rules (the locking tests check them on every provider):
/// - while a [`HeldLock`] for a stream exists, [`lock`](Self::lock) of that stream (by
///   anyone the provider serves) waits;
/// - dropping the `HeldLock` releases it, and so does the end of the holder's process;
/// - a wait longer than `wait` fails with [`Error::LockTimeout`](crate::Error::LockTimeout)
///   naming the stream.
///
/// Two streams may share a lock (a hash collision): that makes one wait for the other,
/// never lets two holders in at once.
pub trait AggregateLocks: Send + Sync + 'static {
    /// Waits at most `wait` for the lock of `stream` and returns it held.
    fn lock<'a>(&'a self, stream: &'a StreamId, wait: Duration) -> BoxFuture<'a, Result<HeldLock>>;
}

/// A lock being held: dropping it releases the lock.
#[must_use = "the lock is released as soon as this is dropped"]
pub struct HeldLock {
    _release: Box<dyn Send + Sync>,
}

impl HeldLock {
    /// A held lock that `release` gives back when it is dropped (for a provider: a guard,
    /// a file, a connection).
    pub fn new(release: impl Send + Sync + 'static) -> Self {
        HeldLock {
            _release: Box::new(release),
        }
    }
}

impl fmt::Debug for HeldLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldLock").finish_non_exhaustive()
    }
}

/// The key of `stream`'s lock: FNV-1a of `eventsource.aggregate/<type>/<id>` (fixed for
/// good: processes of different versions must agree on it).
#[cfg(feature = "sqlite")]
pub(crate) fn stream_key(stream: &StreamId) -> u64 {
    crate::hash::fnv1a([
        "eventsource.aggregate/",
        stream.aggregate_type.as_str(),
        "/",
        stream.aggregate_id.as_str(),
    ])
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::{StreamId, stream_key};

    #[test]
    fn the_key_of_a_stream_is_fixed() {
        // FNV-1a 64 of `eventsource.aggregate/Account/1`, computed apart from this code.
        // Processes of different versions must agree on it: never change this value.
        assert_eq!(
            stream_key(&StreamId::new("Account", "1")),
            0xc53b_d3bc_76b2_ce4b
        );
        assert_ne!(
            stream_key(&StreamId::new("Account", "1")),
            stream_key(&StreamId::new("Account", "2"))
        );
    }
}
