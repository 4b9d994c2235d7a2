//! [`Outcome`]: what a command decided, and the expectations checked against it.

use super::diff::{event_line, side_by_side};
use crate::aggregate::{Aggregate, IntoEvents};
use std::fmt::Debug;

/// What a command decided on the given state: the events it returned, applied to that
/// state, or its error. Made by [`Given::when`](super::Given::when) and
/// [`Given::when_async`](super::Given::when_async).
///
/// Each `then_expect_*` panics at the caller's line when the outcome is not as expected,
/// printing both sides, and returns the outcome so that expectations chain.
#[must_use = "an outcome checks nothing until a `then_expect_*` is called on it"]
pub struct Outcome<A: Aggregate, E> {
    pub(super) decided: Result<Vec<A::Event>, E>,
    /// The given state with the decided events applied (the given state on rejection).
    pub(super) state: A,
}

impl<A: Aggregate, E> Outcome<A, E> {
    /// The events the command decided, or its error.
    pub fn result(&self) -> Result<&[A::Event], &E> {
        self.decided.as_deref()
    }

    /// The state after the decided events were applied; the given state when the command
    /// was rejected.
    pub fn state(&self) -> &A {
        &self.state
    }
}

impl<A: Aggregate, E: Debug> Outcome<A, E> {
    /// Expects the command to decide exactly `expected` (one event, a tuple, a `Vec`, ...),
    /// in order.
    #[track_caller]
    pub fn then_expect_events(&self, expected: impl IntoEvents<A>) -> &Self {
        let mut wanted = Vec::new();
        expected.into_events(&mut wanted);
        match &self.decided {
            Ok(actual) if *actual == wanted => self,
            Ok(actual) => panic!(
                "the command decided other events than expected:\n{}",
                side_by_side(&wanted, actual)
            ),
            Err(error) => panic!(
                "the command was rejected, but events were expected\n  error: {error:?}\n{}",
                side_by_side(&wanted, &[])
            ),
        }
    }

    /// Expects the command to succeed without deciding any event.
    #[track_caller]
    pub fn then_expect_no_events(&self) -> &Self {
        self.then_expect_events(())
    }

    /// Expects the command to be rejected with an error `accept` returns true for.
    #[track_caller]
    pub fn then_expect_error_matching(&self, accept: impl FnOnce(&E) -> bool) -> &Self {
        match &self.decided {
            Err(error) => {
                if !accept(error) {
                    panic!(
                        "the command was rejected with an error the predicate refuses: {error:?}"
                    )
                }
                self
            }
            Ok(actual) => panic!(
                "the command decided events, but a rejection was expected:\n{}",
                lines(actual)
            ),
        }
    }

    /// Expects the state after the decided events to satisfy `check`.
    #[track_caller]
    pub fn then_expect_state(&self, check: impl FnOnce(&A) -> bool) -> &Self
    where
        A: Debug,
    {
        match &self.decided {
            Ok(actual) => {
                if !check(&self.state) {
                    panic!(
                        "the state after the command does not satisfy the predicate\n  state: {:?}\n  decided:\n{}",
                        self.state,
                        lines(actual)
                    )
                }
                self
            }
            Err(error) => panic!(
                "the command was rejected, so there is no new state to check\n  error: {error:?}"
            ),
        }
    }
}

impl<A: Aggregate, E: Debug + PartialEq> Outcome<A, E> {
    /// Expects the command to be rejected with an error equal to `expected`.
    #[track_caller]
    pub fn then_expect_error(&self, expected: E) -> &Self {
        match &self.decided {
            Err(error) if *error == expected => self,
            Err(error) => panic!(
                "the command was rejected with another error\n  expected: {expected:?}\n  actual:   {error:?}"
            ),
            Ok(actual) => panic!(
                "the command decided events, but the error {expected:?} was expected:\n{}",
                lines(actual)
            ),
        }
    }
}

/// The events, one per line, numbered; `(no event)` for none.
fn lines<V: crate::event::EventSet>(events: &[V]) -> String {
    if events.is_empty() {
        return "     (no event)\n".to_owned();
    }
    events
        .iter()
        .zip(1..)
        .map(|(event, n)| format!("  {n:>3} {}\n", event_line(event)))
        .collect()
}
