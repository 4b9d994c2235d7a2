//! Exclusive holds on aggregates, for the [locking repository](crate::LockingRepository):
//! [`AggregateLocks`], what a lock provider implements, and [`HeldLock`], what it hands
//! out.
//!
//! [`InProcessLocks`] serialises the tasks of one process. The stores that several
//! processes share bring their own provider, which holds an aggregate against every
//! process: [`SqliteLocks`](crate::store::sqlite::SqliteLocks) (an OS file lock) and
//! `PostgresLocks` (a PostgreSQL advisory lock, feature `postgres`). Each releases the
//! lock when its holder's process dies, so a dead holder never blocks the others for good.

pub(crate) mod contract;

pub use crate::store::memory::locks::InProcessLocks;
pub use contract::{AggregateLocks, HeldLock};
