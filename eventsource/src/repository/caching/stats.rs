//! [`CacheStats`]: what the caching repository's cache did.

use std::sync::atomic::{AtomicU64, Ordering};

/// The counters of a [`CachingRepository`](super::CachingRepository), since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Loads served from the cache, without reading the store.
    pub hits: u64,
    /// Loads that read the store (no entry, or one evicted).
    pub misses: u64,
    /// Entries the cache dropped on its own: over capacity, or idle too long.
    pub evictions: u64,
    /// Saves refused because another writer had saved first; the aggregate's entry was
    /// dropped, so the next load reads the store.
    pub stale_conflicts: u64,
    /// Entries in the cache now.
    pub entries: u64,
}

impl CacheStats {
    /// Hits over all loads; 0 before the first load.
    pub fn hit_ratio(&self) -> f64 {
        let loads = self.hits + self.misses;
        if loads == 0 {
            0.0
        } else {
            self.hits as f64 / loads as f64
        }
    }
}

/// The live counters, shared with the cache's eviction listener.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) hits: AtomicU64,
    pub(super) misses: AtomicU64,
    pub(super) evictions: AtomicU64,
    pub(super) stale_conflicts: AtomicU64,
}

impl Counters {
    pub(super) fn count(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(super) fn read(&self, entries: u64) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            stale_conflicts: self.stale_conflicts.load(Ordering::Relaxed),
            entries,
        }
    }
}
