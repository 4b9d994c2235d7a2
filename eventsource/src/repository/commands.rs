//! Commands in one call: load (or start) the aggregate, decide, save, and on a conflict
//! wait with backoff and jitter, reload and decide again ([`RetryPolicy`]).

use super::Repository;
use crate::aggregate::{Aggregate, IntoEvents};
use crate::error::Error;
use crate::repository::UpdateError;
use crate::retry::Attempts;
use crate::root::AggregateRoot;
use crate::store::EventStore;

/// Which aggregates a command runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existence {
    /// Only a stored one: a new id is [`Error::NotFound`].
    Stored,
    /// Only a new one: a stored id is [`Error::AlreadyExists`].
    New,
    /// Either.
    Any,
}

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    /// Loads the aggregate, runs `command` on its state and saves what it decided. On a
    /// conflict (another writer saved first) it waits (backoff with jitter), reloads and
    /// runs the command again on the fresh state, as the [retry policy](Self::with_retry)
    /// allows; the number of retries is reported in a `tracing` event.
    ///
    /// Returns the saved aggregate. A new id is [`Error::NotFound`]; see
    /// [`create`](Self::create) and [`create_or_update`](Self::create_or_update).
    pub async fn update<R, E>(
        &self,
        id: A::Id,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run_sync(id, Existence::Stored, command).await
    }

    /// [`update`](Self::update) with a command that awaits (a price lookup, a uniqueness
    /// check): `repo.update_async(id, async |task| { ... }).await`. After a conflict the
    /// command runs again on the fresh state.
    pub async fn update_async<R, E>(
        &self,
        id: A::Id,
        command: impl AsyncFn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run(id, Existence::Stored, command).await
    }

    /// Runs `command` on a new aggregate and saves it; fails with
    /// [`Error::AlreadyExists`] when the id is stored already (also when another writer
    /// creates it first).
    pub async fn create<R, E>(
        &self,
        id: A::Id,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run_sync(id, Existence::New, command).await
    }

    /// [`create`](Self::create) with a command that awaits.
    pub async fn create_async<R, E>(
        &self,
        id: A::Id,
        command: impl AsyncFn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run(id, Existence::New, command).await
    }

    /// Runs `command` on the stored aggregate, or on a new one when the id has no
    /// events, and saves it; conflicts are retried like [`update`](Self::update)'s.
    pub async fn create_or_update<R, E>(
        &self,
        id: A::Id,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run_sync(id, Existence::Any, command).await
    }

    /// [`create_or_update`](Self::create_or_update) with a command that awaits.
    pub async fn create_or_update_async<R, E>(
        &self,
        id: A::Id,
        command: impl AsyncFn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        self.run(id, Existence::Any, command).await
    }

    async fn run_sync<R, E>(
        &self,
        id: A::Id,
        existence: Existence,
        command: impl Fn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        let mut attempts = self.retry.start_jittered();
        loop {
            let mut root = self.start(&id, existence).await?;
            root.execute(&command).map_err(UpdateError::Rejected)?;
            if let Some(saved) = self.finish(root, &mut attempts).await? {
                return Ok(saved);
            }
        }
    }

    async fn run<R, E>(
        &self,
        id: A::Id,
        existence: Existence,
        command: impl AsyncFn(&A) -> Result<R, E>,
    ) -> Result<AggregateRoot<A>, UpdateError<E>>
    where
        R: IntoEvents<A>,
    {
        let mut attempts = self.retry.start_jittered();
        loop {
            let mut root = self.start(&id, existence).await?;
            let decided = command(root.state()).await.map_err(UpdateError::Rejected)?;
            root.record(decided);
            if let Some(saved) = self.finish(root, &mut attempts).await? {
                return Ok(saved);
            }
        }
    }

    /// The aggregate a command runs on, as `existence` allows.
    async fn start(&self, id: &A::Id, existence: Existence) -> Result<AggregateRoot<A>, Error> {
        let root = match existence {
            Existence::Stored => self.load(id.clone()).await?,
            Existence::New | Existence::Any => self.load_or_create(id.clone()).await?,
        };
        if existence == Existence::New && root.version() > 0 {
            let stream = root.stream();
            return Err(Error::AlreadyExists {
                aggregate_type: stream.aggregate_type,
                aggregate_id: stream.aggregate_id,
            });
        }
        Ok(root)
    }

    /// Saves what the command decided: the saved aggregate, or `None` after a conflict
    /// that the policy retries (once its delay has passed).
    async fn finish(
        &self,
        mut root: AggregateRoot<A>,
        attempts: &mut Attempts,
    ) -> Result<Option<AggregateRoot<A>>, Error> {
        match self.save(&mut root).await {
            Ok(()) => {
                if attempts.made() > 1 {
                    tracing::info!(
                        stream = %root.stream(),
                        retries = attempts.made() - 1,
                        "command saved after conflicts"
                    );
                }
                Ok(Some(root))
            }
            Err(error) => {
                let conflict = error.is_conflict();
                tracing::debug!(attempt = attempts.made(), error = %error, "saving the command failed");
                if attempts.retry(conflict).await {
                    return Ok(None);
                }
                if conflict {
                    tracing::warn!(
                        stream = %root.stream(),
                        attempts = attempts.made(),
                        "command gave up after conflicts"
                    );
                }
                Err(error)
            }
        }
    }
}
