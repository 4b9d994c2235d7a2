//! [`CachingRepository`]: a bounded cache of loaded aggregates in front of a
//! [`Repository`], safe with optimistic concurrency and with other writers.

mod stats;

pub use stats::CacheStats;

use super::{Repository, UpdateError};
use crate::aggregate::{Aggregate, IntoEvents};
use crate::error::{Error, Result};
use crate::root::AggregateRoot;
use crate::store::EventStore;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use moka::sync::Cache;
use stats::Counters;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A cached aggregate: its state as of a saved version.
struct Entry<A> {
    version: u64,
    state: A,
}

/// A cache slot: saves replace its entry in place, which costs a lock where a new cache
/// entry would cost an insert (the cache's most expensive operation).
type Slot<A> = Arc<Mutex<Entry<A>>>;

fn lock<A>(slot: &Mutex<Entry<A>>) -> std::sync::MutexGuard<'_, Entry<A>> {
    // The lock is held only to copy or replace a state; a panic there (in a user's
    // `Clone`) leaves a whole entry behind.
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How much an aggregate's state weighs in the cache.
type Weigher<A> = Arc<dyn Fn(&A) -> u32 + Send + Sync>;

/// How big the cache of a [`CachingRepository`] is and how long an entry may stay unused.
pub struct CacheOptions<A> {
    capacity: u64,
    time_to_idle: Option<Duration>,
    weigher: Option<Weigher<A>>,
}

impl<A> CacheOptions<A> {
    /// At most `capacity` aggregates (or, with [`weigh`](Self::weigh), that much weight).
    pub fn new(capacity: u64) -> Self {
        CacheOptions {
            capacity,
            time_to_idle: None,
            weigher: None,
        }
    }

    /// Drops an entry that was neither loaded nor saved for `idle`.
    pub fn time_to_idle(mut self, idle: Duration) -> Self {
        self.time_to_idle = Some(idle);
        self
    }

    /// Bounds the cache by the sum of `weigh(state)` instead of the number of entries
    /// (a large aggregate counting for more than a small one).
    pub fn weigh(mut self, weigh: impl Fn(&A) -> u32 + Send + Sync + 'static) -> Self {
        self.weigher = Some(Arc::new(weigh));
        self
    }
}

/// A [`Repository`] that keeps recently used aggregates in memory, so that loading a hot
/// aggregate reads nothing from the store.
///
/// The cache is [moka](https://docs.rs/moka)'s: bounded by count or weight, with a
/// time-to-idle, concurrent reads that take no global lock, and an eviction policy
/// (TinyLFU) that keeps hot aggregates when a scan of cold ones passes through.
///
/// The bounds are applied by the cache's housekeeping, which runs as it is used (and when
/// [`stats`](Self::stats) is read): for a moment after a save the cache may hold more than
/// its capacity.
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
/// # use eventsource::CacheOptions;
/// # use std::convert::Infallible;
/// # #[event] pub struct Deposited { pub amount: i64 }
/// # #[derive(Aggregate, Default, Clone)]
/// # #[aggregate(events(Deposited))]
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
    cache: Cache<String, Slot<A>>,
    counters: Arc<Counters>,
    /// A weigher sees a state when it enters the cache: with one, saves insert anew.
    weighs: bool,
}

impl<A: Aggregate + Clone, S: EventStore + Clone> Clone for CachingRepository<A, S> {
    /// A clone shares the cache and its counters.
    fn clone(&self) -> Self {
        CachingRepository {
            repository: self.repository.clone(),
            cache: self.cache.clone(),
            counters: Arc::clone(&self.counters),
            weighs: self.weighs,
        }
    }
}

impl<A: Aggregate + Clone, S: EventStore> fmt::Debug for CachingRepository<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingRepository")
            .field("repository", &self.repository)
            .field("stats", &self.counters.read(self.cache.entry_count()))
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
        let counters = Arc::new(Counters::default());
        let listener = Arc::clone(&counters);
        let mut builder = Cache::builder()
            .max_capacity(options.capacity)
            .eviction_listener(move |id: Arc<String>, _, cause: RemovalCause| {
                if cause.was_evicted() {
                    let evictions = Counters::count(&listener.evictions);
                    tracing::debug!(aggregate_type = A::TYPE, aggregate_id = %id, ?cause, evictions, "cache eviction");
                }
            });
        if let Some(idle) = options.time_to_idle {
            builder = builder.time_to_idle(idle);
        }
        let weighs = options.weigher.is_some();
        if let Some(weigh) = options.weigher {
            builder = builder.weigher(move |_: &String, slot: &Slot<A>| weigh(&lock(slot).state));
        }
        CachingRepository {
            repository,
            cache: builder.build(),
            counters,
            weighs,
        }
    }

    /// The repository that reads and writes the store.
    pub fn repository(&self) -> &Repository<A, S> {
        &self.repository
    }

    /// The counters since the repository was made (its clones share them).
    pub fn stats(&self) -> CacheStats {
        self.cache.run_pending_tasks();
        self.counters.read(self.cache.entry_count())
    }

    /// Drops the aggregate's entry: its next load reads the store.
    pub fn evict(&self, id: &A::Id) {
        self.cache.invalidate(&id.to_string());
    }

    /// The aggregate from the cache, or loaded from the store (and cached) on a miss.
    /// The cached state may be older than the store's; a save from it conflicts (see the
    /// type's docs). Errors as [`Repository::load`].
    pub async fn load(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        Ok(self.load_keyed(id.to_string(), id).await?.0)
    }

    /// The aggregate, and the cache slot it came from on a hit (a save from it then
    /// updates that slot without looking it up again).
    async fn load_keyed(
        &self,
        key: String,
        id: A::Id,
    ) -> Result<(AggregateRoot<A>, Option<Slot<A>>)> {
        if let Some(slot) = self.cache.get(&key) {
            let (version, state) = {
                let entry = lock(&slot);
                (entry.version, entry.state.clone())
            };
            let hits = Counters::count(&self.counters.hits);
            tracing::trace!(aggregate_type = A::TYPE, aggregate_id = %key, version, hits, "cache hit");
            return Ok((AggregateRoot::from_state(id, version, state), Some(slot)));
        }
        let misses = Counters::count(&self.counters.misses);
        tracing::trace!(aggregate_type = A::TYPE, aggregate_id = %key, misses, "cache miss");
        let root = self.repository.load(id).await?;
        self.keep(key, &root, None);
        Ok((root, None))
    }

    /// [`load`](Self::load), or a new aggregate at version 0 (not cached) when the id has
    /// no events.
    pub async fn load_or_create(&self, id: A::Id) -> Result<AggregateRoot<A>> {
        Ok(self.load_or_create_keyed(id.to_string(), id).await?.0)
    }

    async fn load_or_create_keyed(
        &self,
        key: String,
        id: A::Id,
    ) -> Result<(AggregateRoot<A>, Option<Slot<A>>)> {
        match self.load_keyed(key, id.clone()).await {
            Err(Error::NotFound { .. }) => Ok((self.repository.create_new(id), None)),
            other => other,
        }
    }

    /// Saves like [`Repository::save`] and caches the saved aggregate. A conflict (the
    /// aggregate was stale) drops its entry and is returned; so is any other failure
    /// (whether the append committed is then unknown).
    pub async fn save(&self, root: &mut AggregateRoot<A>) -> Result<()> {
        self.save_keyed(root.id().to_string(), root, None).await
    }

    async fn save_keyed(
        &self,
        key: String,
        root: &mut AggregateRoot<A>,
        slot: Option<&Slot<A>>,
    ) -> Result<()> {
        if !root.has_pending_events() {
            return Ok(());
        }
        match self.repository.save(root).await {
            Ok(()) => {
                self.keep(key, root, slot);
                Ok(())
            }
            Err(error) => {
                self.cache.invalidate(&key);
                if error.is_conflict() {
                    let stale_conflicts = Counters::count(&self.counters.stale_conflicts);
                    tracing::debug!(stream = %root.stream(), stale_conflicts, "stale aggregate: its cache entry is dropped");
                }
                Err(error)
            }
        }
    }

    /// Runs `command` on the aggregate (from the cache when it is there) and saves what
    /// it decided; a conflict — a stale entry, or another writer — drops the entry, and
    /// the command runs again on the aggregate reloaded from the store, as the
    /// repository's [retry policy](Repository::with_retry) allows. A new id is
    /// [`Error::NotFound`].
    pub async fn update<R, E>(
        &self,
        id: A::Id,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run(id, false, command).await
    }

    /// [`update`](Self::update), on a new aggregate when the id has no events.
    pub async fn create_or_update<R, E>(
        &self,
        id: A::Id,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run(id, true, command).await
    }

    async fn run<R, E>(
        &self,
        id: A::Id,
        or_create: bool,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        let mut attempts = self.repository.retry.start_jittered();
        let key = id.to_string();
        loop {
            let (mut root, slot) = if or_create {
                self.load_or_create_keyed(key.clone(), id.clone()).await?
            } else {
                self.load_keyed(key.clone(), id.clone()).await?
            };
            root.execute(&command).map_err(UpdateError::Rejected)?;
            match self.save_keyed(key.clone(), &mut root, slot.as_ref()).await {
                Ok(()) => return Ok(root),
                Err(error) => {
                    if !attempts.retry(error.is_conflict()).await {
                        return Err(error.into());
                    }
                }
            }
        }
    }

    /// Caches `root`, unless a newer version of it is cached already (two saves that
    /// finish together may reach the cache in either order). A cached aggregate's entry is
    /// replaced in place; with a weigher, the slot is inserted anew so that its weight is
    /// weighed again. `slot` is where `root` was loaded from, when it came from the cache.
    fn keep(&self, key: String, root: &AggregateRoot<A>, slot: Option<&Slot<A>>) {
        let version = root.version();
        let fresh = || {
            Arc::new(Mutex::new(Entry {
                version,
                state: root.state().clone(),
            }))
        };
        if self.weighs {
            self.cache
                .entry(key)
                .and_compute_with(|cached| match cached {
                    Some(cached) if lock(cached.value()).version >= version => Op::Nop,
                    _ => Op::Put(fresh()),
                });
            return;
        }
        let slot = match slot.cloned().or_else(|| self.cache.get(&key)) {
            Some(slot) => slot,
            None => {
                let entry = self.cache.entry(key).or_insert_with(fresh);
                if entry.is_fresh() {
                    return;
                }
                entry.into_value()
            }
        };
        let mut entry = lock(&slot);
        if entry.version < version {
            entry.version = version;
            entry.state = root.state().clone();
        }
    }
}
