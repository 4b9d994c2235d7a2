//! The cache behind a [`CachingRepository`](super::CachingRepository): slots holding an
//! aggregate's state at a version, their weights, the evictions counted, and idle time.

use super::options::Weigher;
use super::stats::{CacheStats, Counters};
use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, OptionsBuilder, Weighter};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A cached aggregate: its state as of a saved version.
pub(super) struct Entry<A> {
    pub(super) version: u64,
    pub(super) state: A,
}

/// A cache slot. Without a weigher, saves replace its entry in place, which costs a lock
/// where a new cache entry would cost an insert; with one, every save makes a new slot,
/// weighed once (the cache requires a slot's weight never to change).
pub(crate) struct Slot<A> {
    pub(super) entry: Mutex<Entry<A>>,
    pub(super) weight: u64,
    /// When it was last loaded or saved, in nanoseconds since the cache was made (kept
    /// only with a time-to-idle).
    pub(super) used: AtomicU64,
}

pub(crate) type SlotRef<A> = Arc<Slot<A>>;

impl<A> Slot<A> {
    pub(super) fn new(version: u64, state: A, weight: u64, used: u64) -> SlotRef<A> {
        Arc::new(Slot {
            entry: Mutex::new(Entry { version, state }),
            weight,
            used: AtomicU64::new(used),
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Entry<A>> {
        // The lock is held only to copy or replace a state; a panic there (in a user's
        // `Clone`) leaves a whole entry behind.
        self.entry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Weighs a slot by the weight it was made with.
#[derive(Clone)]
pub(super) struct SlotWeight;

impl<A> Weighter<String, SlotRef<A>> for SlotWeight {
    fn weight(&self, _: &String, slot: &SlotRef<A>) -> u64 {
        slot.weight
    }
}

/// Counts and traces the entries the cache drops to stay within its bounds.
#[derive(Clone)]
pub(super) struct CountEvictions {
    pub(super) counters: Arc<Counters>,
    pub(super) aggregate_type: &'static str,
}

impl<A> Lifecycle<String, SlotRef<A>> for CountEvictions {
    type RequestState = ();

    fn begin_request(&self) {}

    fn on_evict(&self, _: &mut (), id: String, _: SlotRef<A>) {
        let evictions = Counters::count(&self.counters.evictions);
        tracing::debug!(aggregate_type = self.aggregate_type, aggregate_id = %id, evictions, "cache eviction: over capacity");
    }
}

pub(super) type SlotCache<A> =
    Cache<String, SlotRef<A>, SlotWeight, DefaultHashBuilder, CountEvictions>;

/// When entries go idle: the clock the slots' `used` stamps count from.
#[derive(Clone, Copy)]
pub(super) struct Idle {
    pub(super) after: u64,
    pub(super) epoch: Instant,
}

impl Idle {
    pub(super) fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    pub(super) fn expired<A>(&self, slot: &Slot<A>, now: u64) -> bool {
        now.saturating_sub(slot.used.load(Ordering::Relaxed)) > self.after
    }
}

/// What the clones of a caching repository share.
pub(super) struct Shared<A> {
    pub(super) cache: SlotCache<A>,
    pub(super) counters: Arc<Counters>,
    pub(super) weigher: Option<Weigher<A>>,
    pub(super) idle: Option<Idle>,
    /// When the idle entries were last swept out (on the `idle` clock).
    pub(super) swept: AtomicU64,
}

/// A weighed cache is one shard: a shard holds its share of the weight, and an aggregate
/// heavier than that share could never be kept. The estimate of its entry count (which
/// sizes the cache's record of recently dropped keys) is capped.
pub(super) const WEIGHED_ENTRIES_ESTIMATE: u64 = 65_536;

impl<A> Shared<A> {
    pub(super) fn new(
        capacity: u64,
        weigher: Option<Weigher<A>>,
        idle: Option<Duration>,
        counters: Arc<Counters>,
        aggregate_type: &'static str,
    ) -> Self {
        let mut options = OptionsBuilder::new();
        options.weight_capacity(capacity);
        if weigher.is_some() {
            options
                .shards(1)
                .estimated_items_capacity(to_usize(capacity.min(WEIGHED_ENTRIES_ESTIMATE)));
        } else {
            options.estimated_items_capacity(to_usize(capacity));
        }
        let lifecycle = CountEvictions {
            counters: Arc::clone(&counters),
            aggregate_type,
        };
        let cache = match options.build() {
            Ok(options) => Cache::with_options(
                options,
                SlotWeight,
                DefaultHashBuilder::default(),
                lifecycle,
            ),
            // Only a missing capacity or item estimate is refused, and both are set.
            Err(_) => Cache::with(
                to_usize(capacity),
                capacity,
                SlotWeight,
                DefaultHashBuilder::default(),
                lifecycle,
            ),
        };
        Shared {
            cache,
            counters,
            weigher,
            idle: idle.map(|idle| Idle {
                after: u64::try_from(idle.as_nanos()).unwrap_or(u64::MAX),
                epoch: Instant::now(),
            }),
            swept: AtomicU64::new(0),
        }
    }

    pub(super) fn read_stats(&self) -> CacheStats {
        self.counters.read(self.cache.len() as u64)
    }

    /// Now on the idle clock, or 0 without a time-to-idle.
    pub(super) fn stamp(&self) -> u64 {
        self.idle.map_or(0, |idle| idle.now())
    }

    /// Drops every idle entry, counting each as an eviction.
    pub(super) fn sweep(&self, idle: Idle, now: u64) {
        self.swept.store(now, Ordering::Relaxed);
        self.cache.retain(|id, slot| {
            let keep = !idle.expired(slot, now);
            if !keep {
                self.count_idle_eviction(id);
            }
            keep
        });
    }

    pub(super) fn count_idle_eviction(&self, id: &str) {
        let evictions = Counters::count(&self.counters.evictions);
        tracing::debug!(aggregate_id = %id, evictions, "cache eviction: idle");
    }

    /// The live slot of `id`, counting a hit; an idle one is dropped and is a miss.
    pub(super) fn hit(&self, id: &str) -> Option<SlotRef<A>> {
        let slot = self.cache.get(id)?;
        if let Some(idle) = self.idle {
            let now = idle.now();
            if idle.expired(&slot, now) {
                if self
                    .cache
                    .remove_if(id, |cached| Arc::ptr_eq(cached, &slot))
                    .is_some()
                {
                    self.count_idle_eviction(id);
                }
                return None;
            }
            slot.used.store(now, Ordering::Relaxed);
        }
        Some(slot)
    }
}

pub(super) fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Puts `state` at `version` in `slot`, unless it holds a newer version.
pub(super) fn replace<A>(slot: &Slot<A>, version: u64, state: A, now: u64) {
    let mut entry = slot.lock();
    if entry.version < version {
        entry.version = version;
        entry.state = state;
    }
    slot.used.store(now, Ordering::Relaxed);
}
