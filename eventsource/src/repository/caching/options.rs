//! [`CacheOptions`]: how big the cache is and how long an entry may stay unused.

use std::sync::Arc;
use std::time::Duration;

/// How much an aggregate's state weighs in the cache.
pub(super) type Weigher<A> = Arc<dyn Fn(&A) -> u32 + Send + Sync>;

/// How big the cache of a [`CachingRepository`](super::CachingRepository) is and how long an entry may stay unused.
pub struct CacheOptions<A> {
    pub(super) capacity: u64,
    pub(super) time_to_idle: Option<Duration>,
    pub(super) weigher: Option<Weigher<A>>,
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
    /// (a large aggregate counting for more than a small one). A state is weighed when it
    /// enters the cache, at every save.
    pub fn weigh(mut self, weigh: impl Fn(&A) -> u32 + Send + Sync + 'static) -> Self {
        self.weigher = Some(Arc::new(weigh));
        self
    }
}
