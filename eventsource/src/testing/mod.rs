//! Given/when/then for aggregates: test a command's decision without a store.
//!
//! Given the events an aggregate has (typed, as its commands return them), when a
//! command runs (the closure [`Repository::update`](crate::Repository::update) or
//! [`AggregateRoot::execute`](crate::AggregateRoot::execute) takes, or the async one of
//! [`update_async`](crate::Repository::update_async)), then expect exactly these events,
//! an error, or a state:
//!
//! ```
//! use eventsource::prelude::*;
//! use eventsource::testing::given;
//!
//! #[event]
//! pub struct TaskCreated { pub title: String }
//! #[event]
//! pub struct TaskCompleted { pub by: Uuid }
//!
//! #[derive(Aggregate, Debug, Default)]
//! #[aggregate(name = "Task")]
//! pub struct Task { pub title: String, pub done: bool }
//!
//! #[apply]
//! impl Task {
//!     fn created(&mut self, e: &TaskCreated) { self.title = e.title.clone(); }
//!     fn completed(&mut self, _: &TaskCompleted) { self.done = true; }
//! }
//!
//! impl Task {
//!     pub fn complete(&self, by: Uuid) -> Result<TaskCompleted, String> {
//!         if self.done { return Err("already completed".into()); }
//!         Ok(TaskCompleted { by })
//!     }
//! }
//!
//! let user = Uuid::now_v7();
//! let created = TaskCreated { title: "Write docs".into() };
//!
//! given::<Task>(created.clone())
//!     .when(|task| task.complete(user))
//!     .then_expect_events(TaskCompleted { by: user })
//!     .then_expect_state(|task| task.done);
//!
//! given::<Task>((created.clone(), TaskCompleted { by: user }))
//!     .when(|task| task.complete(user))
//!     .then_expect_error("already completed".to_owned());
//!
//! // Given events, then a state: the events applied, no command.
//! given::<Task>(created).then_expect_state(|task| task.title == "Write docs" && !task.done);
//! ```
//!
//! A failed expectation panics at the line of the `then_expect_*` call, with the expected
//! and the actual events side by side, one line per event (its stored name and JSON
//! payload) and the differing lines marked `✗`:
//!
//! ```text
//! the command decided other events than expected:
//!        expected                                                    | actual
//!   ✗  1 TaskCompleted {"by":"0190a5d2-0000-7000-8000-000000000001"} | TaskCompleted {"by":"0190a5d2-0000-7000-8000-000000000002"}
//! ```
//!
//! An async command is awaited, in the test's own runtime:
//!
//! ```
//! # use eventsource::prelude::*;
//! # use eventsource::testing::given;
//! # #[event] pub struct Priced { pub cents: u64 }
//! # #[derive(Aggregate, Debug, Default)]
//! #
//! # pub struct Item { cents: u64 }
//! # #[apply] impl Item { fn priced(&mut self, e: &Priced) { self.cents = e.cents; } }
//! async fn price_lookup() -> u64 { 250 }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! given::<Item>(())
//!     .when_async(async |_item| Ok::<_, String>(Priced { cents: price_lookup().await }))
//!     .await
//!     .then_expect_events(Priced { cents: 250 });
//! # });
//! ```
//!
//! [`Given::when_saved`] goes through a [`Repository`] over an [`InMemoryEventStore`]
//! (the given events saved first, then the command's with an [`EventContext`]) to check
//! what is stored with the events, correlation and causation ids first:
//!
//! ```
//! # use eventsource::prelude::*;
//! # use eventsource::testing::given;
//! # use eventsource::EventContext;
//! # #[event] pub struct Priced { pub cents: u64 }
//! # #[derive(Aggregate, Debug, Default)]
//! #
//! # pub struct Item { cents: u64 }
//! # #[apply] impl Item { fn priced(&mut self, e: &Priced) { self.cents = e.cents; } }
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let (request, command) = (Uuid::now_v7(), Uuid::now_v7());
//! let context = EventContext::new().correlation_id(request).causation_id(command);
//! given::<Item>(Priced { cents: 100 })
//!     .when_saved(Uuid::now_v7(), &context, |_| Ok::<_, String>(Priced { cents: 90 }))
//!     .await
//!     .then_expect_events(Priced { cents: 90 })
//!     .then_expect_correlation_id(request)
//!     .then_expect_causation_id(command);
//! # });
//! ```

mod diff;
mod outcome;
mod saved;

pub use outcome::Outcome;
pub use saved::Saved;

use crate::aggregate::{Aggregate, IntoEvents};
use crate::event::EventContext;
use crate::repository::{Repository, UpdateError};
use crate::store::{EventStore, InMemoryEventStore, RecordedEvent};
use std::fmt::Debug;
use std::marker::PhantomData;

/// Starts a test of aggregate `A` from `events`: one event, several (a tuple, a `Vec`,
/// an array), or none (`()`), applied in order to the default state.
pub fn given<A: Aggregate>(events: impl IntoEvents<A>) -> Given<A> {
    let mut past = Vec::new();
    events.into_events(&mut past);
    Given {
        state: replay(&past),
        events: past,
    }
}

/// The aggregate's past: the given events and the state they build.
pub struct Given<A: Aggregate> {
    events: Vec<A::Event>,
    state: A,
}

impl<A: Aggregate> Given<A> {
    /// The given events.
    pub fn events(&self) -> &[A::Event] {
        &self.events
    }

    /// The state the given events build.
    pub fn state(&self) -> &A {
        &self.state
    }

    /// Expects the state the given events build to satisfy `check` (no command runs).
    #[track_caller]
    pub fn then_expect_state(&self, check: impl FnOnce(&A) -> bool) -> &Self
    where
        A: Debug,
    {
        if !check(&self.state) {
            panic!(
                "the state of the given events does not satisfy the predicate\n  state: {:?}",
                self.state
            );
        }
        self
    }

    /// Runs `command` on the given state; what it decided is checked on the [`Outcome`].
    pub fn when<R, E>(&self, command: impl FnOnce(&A) -> Result<R, E>) -> Outcome<A, E>
    where
        R: IntoEvents<A>,
    {
        self.outcome(command(&self.state))
    }

    /// Runs an async `command` on the given state.
    pub async fn when_async<R, E>(
        &self,
        command: impl AsyncFnOnce(&A) -> Result<R, E>,
    ) -> Outcome<A, E>
    where
        R: IntoEvents<A>,
    {
        let decided = command(&self.state).await;
        self.outcome(decided)
    }

    /// Saves the given events as aggregate `id` through a [`Repository`] over a fresh
    /// [`InMemoryEventStore`], loads it, runs `command` on it and saves what it decided
    /// with `context`; the [`Saved`] holds the events of that save as stored.
    pub async fn when_saved<R, E>(
        &self,
        id: A::Id,
        context: &EventContext,
        command: impl FnOnce(&A) -> Result<R, E>,
    ) -> Saved<A, E>
    where
        R: IntoEvents<A>,
    {
        let store = InMemoryEventStore::new();
        let repo = Repository::<A, _>::new(store.clone());
        let result: Result<Vec<RecordedEvent>, UpdateError<E>> = async {
            let mut past = repo.create_new(id.clone());
            past.record(Decided::<A>(self.events.clone()));
            repo.save(&mut past).await?;
            let mut root = repo.load_or_create(id).await?;
            let given = root.version();
            root.execute(command).map_err(UpdateError::Rejected)?;
            repo.save_with(&mut root, context).await?;
            Ok(store.read_stream(&root.stream(), given).await?)
        }
        .await;
        Saved {
            result,
            aggregate: PhantomData,
        }
    }

    fn outcome<R: IntoEvents<A>, E>(&self, decided: Result<R, E>) -> Outcome<A, E> {
        match decided {
            Ok(decided) => {
                let mut events = Vec::new();
                decided.into_events(&mut events);
                let mut state = replay::<A>(&self.events);
                for event in &events {
                    state.apply(event);
                }
                Outcome {
                    decided: Ok(events),
                    state,
                }
            }
            Err(error) => Outcome {
                decided: Err(error),
                state: replay(&self.events),
            },
        }
    }
}

/// Events of the aggregate's enum, recorded as they are.
struct Decided<A: Aggregate>(Vec<A::Event>);

impl<A: Aggregate> IntoEvents<A> for Decided<A> {
    fn into_events(self, out: &mut Vec<A::Event>) {
        out.extend(self.0);
    }
}

/// The default state with `events` applied.
fn replay<A: Aggregate>(events: &[A::Event]) -> A {
    let mut state = A::default();
    for event in events {
        state.apply(event);
    }
    state
}
