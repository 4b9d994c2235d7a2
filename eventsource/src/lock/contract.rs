//! What a lock provider implements ([`AggregateLocks`]) and hands out ([`HeldLock`]).

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
