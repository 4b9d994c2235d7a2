//! [`Locked`]: an aggregate held under its lock.

use super::Locks;
use crate::aggregate::Aggregate;
use crate::error::Result;
use crate::event::EventContext;
use crate::repository::Repository;
use crate::root::AggregateRoot;
use crate::store::EventStore;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// An aggregate loaded under its lock, from
/// [`LockingRepository::lock`](super::LockingRepository::lock).
///
/// It derefs to the [`AggregateRoot`] (`execute`, `record`, the state's fields) and saves
/// through itself. The lock is held until it is dropped, across any number of saves;
/// dropping it without saving writes nothing.
#[must_use = "dropping the guard releases the lock and discards unsaved events"]
pub struct Locked<'r, A: Aggregate, S: EventStore> {
    repository: &'r Repository<A, S>,
    root: AggregateRoot<A>,
    _locks: Locks,
}

impl<'r, A: Aggregate, S: EventStore> Locked<'r, A, S> {
    pub(super) fn new(
        repository: &'r Repository<A, S>,
        root: AggregateRoot<A>,
        locks: Locks,
    ) -> Self {
        Locked {
            repository,
            root,
            _locks: locks,
        }
    }

    /// Saves the pending events ([`Repository::save`]); the lock stays held.
    pub async fn save(&mut self) -> Result<()> {
        self.repository.save(&mut self.root).await
    }

    /// Saves with `context` added to every pending event's metadata
    /// ([`Repository::save_with`]); the lock stays held.
    pub async fn save_with(&mut self, context: &EventContext) -> Result<()> {
        self.repository.save_with(&mut self.root, context).await
    }

    /// Releases the lock and returns the aggregate (with whatever is still pending).
    pub fn into_root(self) -> AggregateRoot<A> {
        self.root
    }
}

impl<A: Aggregate, S: EventStore> Deref for Locked<'_, A, S> {
    type Target = AggregateRoot<A>;

    fn deref(&self) -> &AggregateRoot<A> {
        &self.root
    }
}

impl<A: Aggregate, S: EventStore> DerefMut for Locked<'_, A, S> {
    fn deref_mut(&mut self) -> &mut AggregateRoot<A> {
        &mut self.root
    }
}

impl<A: Aggregate + fmt::Debug, S: EventStore> fmt::Debug for Locked<'_, A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locked").field("root", &self.root).finish()
    }
}
