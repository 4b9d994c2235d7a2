//! Repositories: the settings and results of the four kinds at the crate root
//! ([`Repository`], [`CachingRepository`](crate::CachingRepository),
//! [`LockingRepository`](crate::LockingRepository) and
//! [`StateStoredRepository`](crate::StateStoredRepository)): the cache's options and
//! statistics, the locking kind's guard and default timeout.

pub(crate) mod caching;
mod commands;
pub(crate) mod event_sourced;
mod history;
mod load;
pub(crate) mod locking;
mod replay;
mod save;
mod snapshots;
pub(crate) mod state_stored;

pub use caching::{CacheOptions, CacheStats};
pub use locking::{DEFAULT_LOCK_TIMEOUT, Locked};

use event_sourced::stream_of;
pub(crate) use event_sourced::{Repository, UpdateError};
