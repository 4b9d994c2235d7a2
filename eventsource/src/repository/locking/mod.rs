//! [`LockingRepository`]: pessimistic locking. An aggregate is held exclusively from its
//! load to its save, so writers that go through the lock take turns instead of conflicting.

mod guard;

pub use guard::Locked;

use super::Repository;
use super::UpdateError;
use super::commands::{self, CommandTarget};
use crate::aggregate::{Aggregate, IntoEvents, id_text};
use crate::error::{Error, Result};
use crate::lock::{AggregateLocks, HeldLock, InProcessLocks};
use crate::retry::RetryPolicy;
use crate::root::AggregateRoot;
use crate::store::EventStore;
use crate::stream::StreamId;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// How long [`LockingRepository`] waits for a lock unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// A [`Repository`] that holds each aggregate exclusively across load → decide → save.
///
/// Every lock is taken in two steps: first this process's own [`InProcessLocks`] (its
/// tasks queue in memory, in order), then, when one is configured with
/// [`across_processes`](Self::across_processes), the store's lock that holds off every
/// other process (SQLite: [`SqliteLocks`](crate::store::sqlite::SqliteLocks); PostgreSQL:
/// `PostgresLocks`). Writers that all go through a locking repository never conflict.
/// Writers that bypass the lock (a plain [`Repository`] on the same store) are still
/// caught by the optimistic check on save: [`update`](Self::update) then reloads under the
/// lock and decides again.
///
/// ```
/// # use eventsource::prelude::*;
/// # #[event] pub struct Deposited { pub amount: i64 }
/// # #[derive(Aggregate, Default)]
/// #
/// # pub struct Account { balance: i64 }
/// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; } }
/// # async fn demo() -> eventsource::Result<()> {
/// let repo = Repository::<Account, _>::new(InMemoryEventStore::new()).locking();
/// let id = Uuid::now_v7();
/// let mut account = repo.lock_or_create(id).await?; // other writers of `id` wait here
/// account.record(Deposited { amount: 5 });
/// account.save().await?;
/// drop(account); // released
/// assert_eq!(repo.repository().load(id).await?.balance, 5);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub struct LockingRepository<A: Aggregate, S: EventStore> {
    repository: Repository<A, S>,
    local: InProcessLocks,
    shared: Option<Arc<dyn AggregateLocks>>,
    wait: Duration,
}

impl<A: Aggregate, S: EventStore + Clone> Clone for LockingRepository<A, S> {
    fn clone(&self) -> Self {
        LockingRepository {
            repository: self.repository.clone(),
            local: self.local.clone(),
            shared: self.shared.clone(),
            wait: self.wait,
        }
    }
}

impl<A: Aggregate, S: EventStore> fmt::Debug for LockingRepository<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockingRepository")
            .field("repository", &self.repository)
            .field("local", &self.local)
            .field("across_processes", &self.shared.is_some())
            .field("lock_timeout", &self.wait)
            .finish()
    }
}

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    /// This repository with pessimistic locking, in this process only; add
    /// [`LockingRepository::across_processes`] for a store that other processes write.
    pub fn locking(self) -> LockingRepository<A, S> {
        LockingRepository::new(self)
    }
}

impl<A: Aggregate, S: EventStore> LockingRepository<A, S> {
    /// Locks aggregates of `repository` in this process, waiting at most
    /// [`DEFAULT_LOCK_TIMEOUT`] for a lock.
    pub fn new(repository: Repository<A, S>) -> Self {
        LockingRepository {
            repository,
            local: InProcessLocks::new(),
            shared: None,
            wait: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// Also holds each aggregate against other processes with `locks` (taken after this
    /// process's own lock, so a process waits on `locks` with one task per aggregate).
    pub fn across_processes(mut self, locks: impl AggregateLocks) -> Self {
        self.shared = Some(Arc::new(locks));
        self
    }

    /// How long a caller waits for a lock before [`Error::LockTimeout`]; the wait for this
    /// process's lock and the one for other processes' count together.
    pub fn lock_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The lock wait.
    pub fn lock_wait(&self) -> Duration {
        self.wait
    }

    /// The repository that loads and saves.
    pub fn repository(&self) -> &Repository<A, S> {
        &self.repository
    }

    /// This process's lock table.
    pub fn in_process_locks(&self) -> &InProcessLocks {
        &self.local
    }

    /// Waits for the aggregate's lock, then loads it: the guard derefs to the
    /// [`AggregateRoot`] and saves through [`Locked::save`]; dropping it releases the lock
    /// (and writes nothing that was not saved).
    ///
    /// Errors: [`Error::LockTimeout`] when the lock is not granted within the
    /// [lock timeout](Self::lock_timeout); [`Error::NotFound`] when the aggregate has no
    /// events (the lock is released); the store's errors.
    pub async fn lock(&self, id: A::Id) -> Result<Locked<'_, A, S>> {
        let locks = self.acquire(&stream_of::<A>(&id)).await?;
        let root = self.repository.load(id).await?;
        Ok(Locked::new(&self.repository, root, locks))
    }

    /// [`lock`](Self::lock), or a new aggregate at version 0 when the id has no events
    /// (nothing is written until it is saved).
    pub async fn lock_or_create(&self, id: A::Id) -> Result<Locked<'_, A, S>> {
        let locks = self.acquire(&stream_of::<A>(&id)).await?;
        let root = self.repository.load_or_create(id).await?;
        Ok(Locked::new(&self.repository, root, locks))
    }

    /// This process's lock, then the other processes' one, within one timeout.
    async fn acquire(&self, stream: &StreamId) -> Result<Locks> {
        let span = tracing::debug_span!("eventsource.lock", stream = %stream);
        async {
            let started = tokio::time::Instant::now();
            let local = AggregateLocks::lock(&self.local, stream, self.wait).await?;
            let shared = match &self.shared {
                Some(locks) => {
                    let left = self.wait.saturating_sub(started.elapsed());
                    let held = locks
                        .lock(stream, left)
                        .await
                        .map_err(|error| match error {
                            Error::LockTimeout { stream, .. } => Error::LockTimeout {
                                stream,
                                waited: self.wait,
                            },
                            other => other,
                        })?;
                    Some(held)
                }
                None => None,
            };
            tracing::trace!(waited = ?started.elapsed(), "lock granted");
            Ok(Locks {
                _shared: shared,
                _local: local,
            })
        }
        .instrument(span)
        .await
    }
}

/// The locks of one aggregate, held; the other processes' one is released first (fields
/// drop in order), the reverse of how they were taken.
pub(crate) struct Locks {
    _shared: Option<HeldLock>,
    _local: HeldLock,
}

fn stream_of<A: Aggregate>(id: &A::Id) -> StreamId {
    StreamId::new(A::TYPE, id_text(id))
}

/// Commands hold the aggregate's lock from the first load to the last save. Under it no
/// locking writer can conflict; a writer that bypasses the lock can, and then the
/// aggregate is reloaded (the lock still held) and the command runs again.
impl<A: Aggregate, S: EventStore> CommandTarget<A> for LockingRepository<A, S> {
    type Held = Locks;
    type Origin = ();

    fn retry_policy(&self) -> RetryPolicy {
        self.repository.retry_policy()
    }

    async fn hold(&self, id: &A::Id) -> Result<Locks> {
        self.acquire(&stream_of::<A>(id)).await
    }

    async fn load(&self, id: &A::Id) -> Result<(AggregateRoot<A>, ())> {
        Ok((self.repository.load(id.clone()).await?, ()))
    }

    async fn save(&self, root: &mut AggregateRoot<A>, (): ()) -> Result<()> {
        let saved = self.repository.save(root).await;
        if let Err(error) = &saved
            && error.is_conflict()
        {
            tracing::warn!(
                stream = %root.stream_ref(),
                "a writer that bypasses the lock saved first; reloading under the lock"
            );
        }
        saved
    }
}

impl<A: Aggregate, S: EventStore> LockingRepository<A, S> {
    commands::command_methods!();
}
