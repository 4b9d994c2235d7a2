//! [`InProcessLocks`]: a keyed async lock whose table holds only the streams someone holds
//! or waits for.

use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::lock::contract::{AggregateLocks, HeldLock};
use crate::stream::StreamId;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One lock per stream for the tasks of this process, granted in the order they asked
/// (first come, first served).
///
/// An entry lives in the table exactly while a task holds or waits for its lock: the last
/// one to leave removes it, so the table never grows with the number of aggregates ever
/// locked. Clones share the table.
///
/// ```
/// # use eventsource::lock::{AggregateLocks, InProcessLocks};
/// # use eventsource::StreamId;
/// # use std::time::Duration;
/// # async fn demo() -> eventsource::Result<()> {
/// let locks = InProcessLocks::new();
/// let stream = StreamId::new("Account", "1");
/// let held = locks.lock(&stream, Duration::from_secs(1)).await?;
/// assert!(locks.lock(&stream, Duration::from_millis(10)).await.is_err(), "held");
/// drop(held);
/// assert_eq!(locks.entries(), 0, "nobody holds or waits: the entry is gone");
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct InProcessLocks {
    table: Arc<Mutex<HashMap<StreamId, Entry>>>,
}

struct Entry {
    semaphore: Arc<Semaphore>,
    /// Tasks holding or waiting for the lock.
    users: usize,
}

impl InProcessLocks {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many streams someone holds or waits for now.
    pub fn entries(&self) -> usize {
        lock_table(&self.table).len()
    }

    async fn acquire(&self, stream: &StreamId, wait: Duration) -> Result<HeldLock> {
        let (semaphore, ticket) = {
            let mut table = lock_table(&self.table);
            let entry = table.entry(stream.clone()).or_insert_with(|| Entry {
                semaphore: Arc::new(Semaphore::new(1)),
                users: 0,
            });
            entry.users += 1;
            let ticket = Ticket {
                table: Arc::clone(&self.table),
                stream: stream.clone(),
            };
            (Arc::clone(&entry.semaphore), ticket)
        };
        // A timed-out or cancelled wait drops its ticket, which leaves the table tidy.
        let permit = match tokio::time::timeout(wait, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(closed)) => return Err(Error::backend(closed)),
            Err(_) => {
                return Err(Error::LockTimeout {
                    stream: stream.clone(),
                    waited: wait,
                });
            }
        };
        Ok(HeldLock::new(Held {
            _permit: permit,
            _ticket: ticket,
        }))
    }
}

impl AggregateLocks for InProcessLocks {
    fn lock<'a>(&'a self, stream: &'a StreamId, wait: Duration) -> BoxFuture<'a, Result<HeldLock>> {
        Box::pin(self.acquire(stream, wait))
    }
}

impl fmt::Debug for InProcessLocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessLocks")
            .field("entries", &self.entries())
            .finish()
    }
}

/// The lock of one stream, held. The permit is released before the ticket leaves the
/// table (fields drop in order): an entry is never removed while its lock is held.
struct Held {
    _permit: OwnedSemaphorePermit,
    _ticket: Ticket,
}

/// A task's place among the users of a stream's entry.
struct Ticket {
    table: Arc<Mutex<HashMap<StreamId, Entry>>>,
    stream: StreamId,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut table = lock_table(&self.table);
        if let Some(entry) = table.get_mut(&self.stream) {
            entry.users -= 1;
            if entry.users == 0 {
                table.remove(&self.stream);
            }
        }
    }
}

/// The table; a panic elsewhere while it was locked leaves it consistent (every change is
/// one step), so a poisoned lock is taken as it is.
fn lock_table(table: &Mutex<HashMap<StreamId, Entry>>) -> MutexGuard<'_, HashMap<StreamId, Entry>> {
    table.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_are_served_in_order_and_the_table_empties() {
        let locks = InProcessLocks::new();
        let stream = StreamId::new("Account", "1");
        let first = locks.lock(&stream, Duration::from_secs(5)).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for n in 0..3 {
            let (mine, theirs, order) = (locks.clone(), stream.clone(), Arc::clone(&order));
            waiters.push(tokio::spawn(async move {
                let _held = mine.lock(&theirs, Duration::from_secs(5)).await.unwrap();
                order.lock().unwrap().push(n);
            }));
            // Let the waiter queue up before the next one.
            while lock_table(&locks.table)[&stream].users < n + 2 {
                tokio::task::yield_now().await;
            }
        }
        assert_eq!(lock_table(&locks.table)[&stream].users, 4);
        drop(first);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        assert_eq!(locks.entries(), 0);
    }

    #[tokio::test]
    async fn a_timed_out_waiter_names_the_stream_and_leaves_no_entry() {
        let locks = InProcessLocks::new();
        let stream = StreamId::new("Account", "7");
        let held = locks.lock(&stream, Duration::from_secs(5)).await.unwrap();
        match locks.lock(&stream, Duration::from_millis(20)).await {
            Err(Error::LockTimeout { stream: named, .. }) => assert_eq!(named, stream),
            other => panic!("expected a lock timeout, got {other:?}"),
        }
        assert_eq!(lock_table(&locks.table)[&stream].users, 1);
        drop(held);
        assert_eq!(locks.entries(), 0);
        let other = StreamId::new("Account", "8");
        let _a = locks.lock(&stream, Duration::from_secs(1)).await.unwrap();
        let _b = locks.lock(&other, Duration::from_secs(1)).await.unwrap();
        assert_eq!(locks.entries(), 2, "streams do not share a lock");
    }
}
