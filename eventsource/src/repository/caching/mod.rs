//! [`CachingRepository`]: a bounded cache of loaded aggregates in front of a
//! [`Repository`], safe with optimistic concurrency and with other writers.

mod options;
mod slots;
mod stats;

pub use options::CacheOptions;
pub use stats::CacheStats;

use super::Repository;
use super::UpdateError;
use super::commands::{self, CommandTarget};
use crate::aggregate::{Aggregate, IntoEvents, id_text};
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::root::AggregateRoot;
use crate::store::EventStore;
use quick_cache::sync::{EntryAction, EntryResult};
use slots::{Shared, Slot, SlotRef, replace};
use stats::Counters;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A [`Repository`] that keeps recently used aggregates in memory, so that loading a hot
/// aggregate reads nothing from the store.
///
/// The cache is [quick_cache](https://docs.rs/quick_cache)'s: bounded by count or weight,
/// sharded so that concurrent loads rarely meet on a lock, and with an eviction policy
/// (S3-FIFO) that keeps hot aggregates when a scan of cold ones passes through. A hit costs
/// a hash lookup and a copy of the state; a save from a cached aggregate replaces its
/// entry in place. Entries over the capacity are dropped by the insert that made them too
/// many. An entry idle longer than the [time-to-idle](CacheOptions::time_to_idle) is never
/// served: the load that finds it drops it, and reading [`stats`](Self::stats) or a new
/// entry going in sweeps out the others.
///
/// An entry may be stale: another repository, process or machine may have saved since.
/// That is safe because every save is still an optimistic append at the version the
/// aggregate was loaded at: a stale entry makes the append fail with
/// [`Error::Conflict`], the entry is dropped, and [`update`](Self::update) reloads from
/// the store and decides again. No update is ever lost; what a stale entry can do is make
/// [`load`](Self::load) return an older state (read through
/// [`repository`](Self::repository) for the newest).
///
/// ```
/// # use eventsource::prelude::*;
/// # use eventsource::repository::CacheOptions;
/// # use std::convert::Infallible;
/// # #[event] pub struct Deposited { pub amount: i64 }
/// # #[derive(Aggregate, Default, Clone)]
/// #
/// # pub struct Account { balance: i64 }
/// # #[apply] impl Account { fn deposited(&mut self, e: &Deposited) { self.balance += e.amount; } }
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let repo = Repository::<Account, _>::new(InMemoryEventStore::new())
///     .caching(CacheOptions::new(10_000));
/// let id = Uuid::now_v7();
/// repo.create_or_update(id, |_| Ok::<_, Infallible>(Deposited { amount: 5 })).await?;
/// let account = repo.load(id).await?; // from the cache: the save put it there
/// assert_eq!(account.balance, 5);
/// assert_eq!(repo.stats().hits, 1);
/// # Ok(()) }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
pub struct CachingRepository<A: Aggregate + Clone, S: EventStore> {
    repository: Repository<A, S>,
    shared: Arc<Shared<A>>,
}

impl<A: Aggregate + Clone, S: EventStore + Clone> Clone for CachingRepository<A, S> {
    /// A clone shares the cache and its counters.
    fn clone(&self) -> Self {
        CachingRepository {
            repository: self.repository.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<A: Aggregate + Clone, S: EventStore> fmt::Debug for CachingRepository<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingRepository")
            .field("repository", &self.repository)
            .field("stats", &self.shared.read_stats())
            .finish()
    }
}

impl<A: Aggregate + Clone, S: EventStore> Repository<A, S> {
    /// This repository behind a cache of loaded aggregates (see [`CachingRepository`]).
    pub fn caching(self, options: CacheOptions<A>) -> CachingRepository<A, S> {
        CachingRepository::new(self, options)
    }
}

impl<A: Aggregate + Clone, S: EventStore> CachingRepository<A, S> {
    /// `repository` behind a cache made as `options` say.
    pub fn new(repository: Repository<A, S>, options: CacheOptions<A>) -> Self {
        let shared = Shared::new(
            options.capacity,
            options.weigher,
            options.time_to_idle,
            Arc::new(Counters::default()),
            A::TYPE,
        );
        CachingRepository {
            repository,
            shared: Arc::new(shared),
        }
    }

    /// The repository that reads and writes the store.
    pub fn repository(&self) -> &Repository<A, S> {
        &self.repository
    }

    /// The counters since the repository was made (its clones share them). With a
    /// time-to-idle, idle entries are swept out first.
    pub fn stats(&self) -> CacheStats {
        if let Some(idle) = self.shared.idle {
            self.shared.sweep(idle, idle.now());
        }
        self.shared.read_stats()
    }

    /// Drops the aggregate's entry: its next load reads the store.
    pub fn evict(&self, id: &A::Id) {
        self.shared.cache.remove(id_text(id).as_str());
    }

    /// The aggregate from the cache, or loaded from the store (and cached) on a miss.
    /// The cached state may be older than the store's; a save from it conflicts (see the
    /// type's docs). Errors as [`Repository::load`].
    pub async fn load(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        Ok(CommandTarget::load(self, &id).await?.0)
    }

    /// [`load`](Self::load), or a new aggregate at version 0 (not cached) when the id has
    /// no events.
    pub async fn load_or_create(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        match CommandTarget::load(self, &id).await {
            Err(Error::NotFound { .. }) => Ok(self.repository.create_new(id)),
            other => Ok(other?.0),
        }
    }

    /// Saves like [`Repository::save`] and caches the saved aggregate. A conflict (the
    /// aggregate was stale) drops its entry and is returned; so is any other failure
    /// (whether the append committed is then unknown).
    pub async fn save(&self, root: &mut AggregateRoot<A>) -> Result<()> {
        CommandTarget::save(self, root, None).await
    }

    /// Caches `root`, unless a newer version of it is cached already (two saves that
    /// finish together may reach the cache in either order). `slot` is where `root` was
    /// loaded from, when it came from the cache: without a weigher, that slot's entry is
    /// replaced in place, with no cache lookup. With a weigher, every save puts a new
    /// slot, weighed anew.
    fn keep(&self, root: &AggregateRoot<A>, slot: Option<&SlotRef<A>>) {
        let shared = &*self.shared;
        let version = root.version();
        let now = shared.stamp();
        if shared.weigher.is_none()
            && let Some(slot) = slot
        {
            replace(slot, version, root.state().clone(), now);
            return;
        }
        let weight = shared
            .weigher
            .as_ref()
            .map_or(1, |weigh| u64::from(weigh(root.state())));
        // The state is copied once, before the cache's lock is taken; it goes into the
        // cached slot or into a new one.
        let mut state = Some(root.state().clone());
        let mut take = || state.take().unwrap_or_default();
        let id = root.stream_ref().aggregate_id.as_str();
        let outcome = shared.cache.entry(id, None, |_, cached| {
            if cached.lock().version >= version {
                EntryAction::Retain(())
            } else if shared.weigher.is_some() {
                // Inserted anew, so that the cache weighs it and drops what no longer fits.
                EntryAction::ReplaceWithGuard
            } else {
                replace(cached, version, take(), now);
                EntryAction::Retain(())
            }
        });
        if let EntryResult::Vacant(guard) | EntryResult::Replaced(guard, _) = outcome {
            // Another insert of the key in between is as new, or newer.
            let _ = guard.insert(Slot::new(version, take(), weight, now));
            if let Some(idle) = shared.idle
                && now.saturating_sub(shared.swept.load(Ordering::Relaxed)) > idle.after
            {
                shared.sweep(idle, now);
            }
        }
    }
}

/// Commands run on the cached aggregate when it is there; a conflict (a stale entry, or
/// another writer) drops the entry, so the command runs again on the aggregate reloaded
/// from the store.
impl<A: Aggregate + Clone, S: EventStore> CommandTarget<A> for CachingRepository<A, S> {
    type Held = ();
    type Origin = Option<SlotRef<A>>;

    async fn hold(&self, _: &A::Id) -> Result<()> {
        Ok(())
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.repository.retry_policy()
    }

    /// The aggregate, and the cache slot it came from on a hit (a save from it then
    /// updates that slot without looking it up again).
    async fn load(&self, id: &A::Id) -> Result<(AggregateRoot<A>, Self::Origin)> {
        let key = id_text(id);
        if let Some(slot) = self.shared.hit(&key) {
            let (version, state) = {
                let entry = slot.lock();
                (entry.version, entry.state.clone())
            };
            let hits = Counters::count(&self.shared.counters.hits);
            tracing::trace!(aggregate_type = A::TYPE, aggregate_id = %key, version, hits, "cache hit");
            let root = AggregateRoot::from_state_named(id.clone(), key, version, state);
            return Ok((root, Some(slot)));
        }
        let misses = Counters::count(&self.shared.counters.misses);
        tracing::trace!(aggregate_type = A::TYPE, aggregate_id = %key, misses, "cache miss");
        let root = self.repository.load(id.clone()).await?;
        self.keep(&root, None);
        Ok((root, None))
    }

    /// Saves like [`Repository::save`] and caches the saved aggregate; `slot` is where it
    /// was loaded from, when it came from the cache.
    async fn save(&self, root: &mut AggregateRoot<A>, slot: Self::Origin) -> Result<()> {
        if !root.has_pending_events() {
            return Ok(());
        }
        match self.repository.save(root).await {
            Ok(()) => {
                self.keep(root, slot.as_ref());
                Ok(())
            }
            Err(error) => {
                self.shared
                    .cache
                    .remove(root.stream_ref().aggregate_id.as_str());
                if error.is_conflict() {
                    let stale_conflicts = Counters::count(&self.shared.counters.stale_conflicts);
                    tracing::debug!(stream = %root.stream(), stale_conflicts, "stale aggregate: its cache entry is dropped");
                }
                Err(error)
            }
        }
    }
}

impl<A: Aggregate + Clone, S: EventStore> CachingRepository<A, S> {
    commands::command_methods!();
}
