//! Commands in one call, for every repository kind: load (or start) the aggregate,
//! decide, save, and on a conflict wait with backoff and jitter, reload and decide again
//! ([`RetryPolicy`]).
//!
//! A kind says how it loads and saves ([`CommandTarget`]); [`run_sync`] and [`run`] are
//! the one loop (for a command that returns and one that awaits), and
//! [`command_methods!`] the public methods every kind has.

use super::Repository;
use crate::aggregate::{Aggregate, IntoEvents};
use crate::error::{Error, Result};
use crate::repository::UpdateError;
use crate::retry::{Attempts, RetryPolicy};
use crate::root::AggregateRoot;
use crate::store::EventStore;

/// Which aggregates a command runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existence {
    /// Only a stored one: a new id is [`Error::NotFound`].
    Stored,
    /// Only a new one: a stored id is [`Error::AlreadyExists`].
    New,
    /// Either.
    Any,
}

/// How a repository kind loads the aggregate a command runs on, and saves it.
pub(crate) trait CommandTarget<A: Aggregate> {
    /// What is held for the whole command, its retries included (the aggregate's lock,
    /// for the locking repository).
    type Held;

    /// What a save needs to know about where the aggregate was loaded from (the cache
    /// slot, for the caching repository); the default for a new aggregate.
    type Origin: Default;

    /// How conflicts are retried.
    fn retry_policy(&self) -> RetryPolicy;

    /// Takes what the command holds, before its first attempt.
    fn hold(&self, id: &A::Id) -> impl Future<Output = Result<Self::Held>> + Send;

    /// The stored aggregate: [`Error::NotFound`] when the id has none.
    fn load(
        &self,
        id: &A::Id,
    ) -> impl Future<Output = Result<(AggregateRoot<A>, Self::Origin)>> + Send;

    /// Saves what the command decided.
    fn save(
        &self,
        root: &mut AggregateRoot<A>,
        origin: Self::Origin,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Runs `command` on the aggregate `existence` allows and saves what it decided; after a
/// conflict, as the target's retry policy allows, on the reloaded aggregate.
pub(crate) async fn run_sync<A, T, R, E>(
    target: &T,
    id: A::Id,
    existence: Existence,
    command: impl Fn(&A) -> std::result::Result<R, E>,
) -> std::result::Result<AggregateRoot<A>, UpdateError<E>>
where
    A: Aggregate,
    T: CommandTarget<A>,
    R: IntoEvents<A>,
{
    let _held = target.hold(&id).await?;
    let mut attempts = target.retry_policy().start_jittered();
    loop {
        let (mut root, origin) = existence.start(target.load(&id).await, &id)?;
        root.execute(&command).map_err(UpdateError::Rejected)?;
        match target.save(&mut root, origin).await {
            Ok(()) => return Ok(saved(root, &attempts)),
            Err(error) => retry_or_give_up(error, &root, &mut attempts).await?,
        }
    }
}

/// [`run_sync`] with a command that awaits. (The two loops are not one with the plain
/// closure wrapped in an async closure: that future is then not `Send` when the closure
/// borrows, a limit of rustc's checking of higher-ranked lifetimes.)
pub(crate) async fn run<A, T, R, E>(
    target: &T,
    id: A::Id,
    existence: Existence,
    command: impl AsyncFn(&A) -> std::result::Result<R, E>,
) -> std::result::Result<AggregateRoot<A>, UpdateError<E>>
where
    A: Aggregate,
    T: CommandTarget<A>,
    R: IntoEvents<A>,
{
    let _held = target.hold(&id).await?;
    let mut attempts = target.retry_policy().start_jittered();
    loop {
        let (mut root, origin) = existence.start(target.load(&id).await, &id)?;
        let decided = command(root.state()).await.map_err(UpdateError::Rejected)?;
        root.record(decided);
        match target.save(&mut root, origin).await {
            Ok(()) => return Ok(saved(root, &attempts)),
            Err(error) => retry_or_give_up(error, &root, &mut attempts).await?,
        }
    }
}

impl Existence {
    /// The aggregate a command runs on, from what a load found: a new one when the id has
    /// none (unless only a stored one is allowed); a stored one refused when only a new
    /// one is.
    #[inline(always)]
    fn start<A: Aggregate, O: Default>(
        self,
        loaded: Result<(AggregateRoot<A>, O)>,
        id: &A::Id,
    ) -> Result<(AggregateRoot<A>, O)> {
        match loaded {
            Err(Error::NotFound { .. }) if self != Existence::Stored => {
                Ok((AggregateRoot::new(id.clone()), O::default()))
            }
            Ok((root, _)) if self == Existence::New && root.version() > 0 => {
                let stream = root.stream();
                Err(Error::AlreadyExists {
                    aggregate_type: stream.aggregate_type,
                    aggregate_id: stream.aggregate_id,
                })
            }
            other => other,
        }
    }
}

/// The saved aggregate, its retries reported in a `tracing` event.
fn saved<A: Aggregate>(root: AggregateRoot<A>, attempts: &Attempts) -> AggregateRoot<A> {
    if attempts.made() > 1 {
        tracing::info!(
            stream = %root.stream_ref(),
            retries = attempts.made() - 1,
            "command saved after conflicts"
        );
    }
    root
}

/// After a failed save: waits out the backoff when the policy retries the failure (a
/// conflict, while attempts are left), or gives `error` back.
async fn retry_or_give_up<A: Aggregate>(
    error: Error,
    root: &AggregateRoot<A>,
    attempts: &mut Attempts,
) -> Result<()> {
    let conflict = error.is_conflict();
    tracing::debug!(attempt = attempts.made(), error = %error, "saving the command failed");
    if attempts.retry(conflict).await {
        return Ok(());
    }
    if conflict {
        tracing::warn!(
            stream = %root.stream_ref(),
            attempts = attempts.made(),
            "command gave up after conflicts"
        );
    }
    Err(error)
}

/// The command methods of a repository kind that implements [`CommandTarget`]: `update`,
/// `create` and `create_or_update`, each also with a command that awaits. `IntoEvents`,
/// `AggregateRoot` and `UpdateError` are named as the invoking module imports them, so
/// that an unmet bound reads as it is written.
macro_rules! command_methods {
    () => {
        $crate::repository::commands::command_methods! {
            /// Loads the stored aggregate, runs `command` on its state and saves what it
            /// decided. On a conflict (another writer saved first) it waits (backoff with
            /// jitter), reloads and runs the command again on the fresh state, as the
            /// [retry policy](crate::RetryPolicy) allows; the number of retries is reported
            /// in a `tracing` event.
            ///
            /// Returns the saved aggregate. A new id is
            /// [`Error::NotFound`](crate::Error::NotFound); see [`create`](Self::create) and
            /// [`create_or_update`](Self::create_or_update).
            update,
            /// [`update`](Self::update) with a command that awaits (a price lookup, a
            /// uniqueness check): `repo.update_async(id, async |task| { ... }).await`. After
            /// a conflict the command runs again on the fresh state.
            update_async,
            Stored
        }
        $crate::repository::commands::command_methods! {
            /// Runs `command` on a new aggregate and saves it; fails with
            /// [`Error::AlreadyExists`](crate::Error::AlreadyExists) when the id is stored
            /// already (also when another writer creates it first).
            create,
            /// [`create`](Self::create) with a command that awaits.
            create_async,
            New
        }
        $crate::repository::commands::command_methods! {
            /// Runs `command` on the stored aggregate, or on a new one when the id has none,
            /// and saves it; conflicts are retried like [`update`](Self::update)'s.
            create_or_update,
            /// [`create_or_update`](Self::create_or_update) with a command that awaits.
            create_or_update_async,
            Any
        }
    };
    // One pair: the form that takes a closure, and the form whose command awaits.
    ($(#[$plain_doc:meta])* $plain:ident, $(#[$awaiting_doc:meta])* $awaiting:ident, $existence:ident) => {
        $(#[$plain_doc])*
        pub async fn $plain<R, E>(
            &self,
            id: A::Id,
            command: impl Fn(&A) -> ::std::result::Result<R, E>,
        ) -> ::std::result::Result<AggregateRoot<A>, UpdateError<E>>
        where
            R: IntoEvents<A>,
        {
            use $crate::repository::commands::{run_sync, Existence};
            run_sync(self, id, Existence::$existence, command).await
        }

        $(#[$awaiting_doc])*
        pub async fn $awaiting<R, E>(
            &self,
            id: A::Id,
            command: impl AsyncFn(&A) -> ::std::result::Result<R, E>,
        ) -> ::std::result::Result<AggregateRoot<A>, UpdateError<E>>
        where
            R: IntoEvents<A>,
        {
            use $crate::repository::commands::{run, Existence};
            run(self, id, Existence::$existence, command).await
        }
    };
}

pub(crate) use command_methods;

impl<A: Aggregate, S: EventStore> CommandTarget<A> for Repository<A, S> {
    type Held = ();
    type Origin = ();

    async fn hold(&self, _: &A::Id) -> Result<()> {
        Ok(())
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    async fn load(&self, id: &A::Id) -> Result<(AggregateRoot<A>, ())> {
        Ok((Repository::load(self, id.clone()).await?, ()))
    }

    async fn save(&self, root: &mut AggregateRoot<A>, (): ()) -> Result<()> {
        Repository::save(self, root).await
    }
}

impl<A: Aggregate, S: EventStore> Repository<A, S> {
    command_methods!();
}
