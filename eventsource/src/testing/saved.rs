//! [`Saved`]: the events a command saved through an in-memory repository, as stored, and
//! the expectations on their metadata.

use super::diff::{DIFFERS, side_by_side};
use crate::aggregate::{Aggregate, IntoEvents};
use crate::event::EventSet;
use crate::repository::UpdateError;
use crate::store::RecordedEvent;
use std::fmt::{Debug, Write};
use uuid::Uuid;

/// The events one save stored (the given events excluded), or why the command or the
/// save failed. Made by [`Given::when_saved`](super::Given::when_saved).
///
/// Each `then_expect_*` panics at the caller's line when the saved events are not as
/// expected, one line per event with the differing ones marked, and returns `self`.
#[must_use = "a save checks nothing until a `then_expect_*` is called on it"]
pub struct Saved<A: Aggregate, E> {
    pub(super) result: Result<Vec<RecordedEvent>, UpdateError<E>>,
    pub(super) aggregate: std::marker::PhantomData<fn() -> A>,
}

impl<A: Aggregate, E: Debug> Saved<A, E> {
    /// The stored records of the save; panics when the command or the save failed.
    #[track_caller]
    pub fn records(&self) -> &[RecordedEvent] {
        match &self.result {
            Ok(records) => records,
            Err(error) => panic!("the command was not saved: {error:?}"),
        }
    }

    /// Expects the save to have stored exactly `expected`, read back from the store.
    #[track_caller]
    pub fn then_expect_events(&self, expected: impl IntoEvents<A>) -> &Self {
        let mut wanted = Vec::new();
        expected.into_events(&mut wanted);
        let mut stored = Vec::new();
        for record in self.records() {
            match A::Event::decode_stored(record.into()) {
                Ok(event) => stored.push(event),
                Err(error) => panic!(
                    "the stored event at version {} does not decode: {error}",
                    record.version
                ),
            }
        }
        if stored != wanted {
            panic!(
                "the save stored other events than expected:\n{}",
                side_by_side(&wanted, &stored)
            );
        }
        self
    }

    /// Expects every saved event to carry `expected` as its correlation id.
    #[track_caller]
    pub fn then_expect_correlation_id(&self, expected: Uuid) -> &Self {
        self.expect_each("correlation id", Some(expected), |r| {
            r.metadata.correlation_id
        })
    }

    /// Expects every saved event to carry `expected` as its causation id.
    #[track_caller]
    pub fn then_expect_causation_id(&self, expected: Uuid) -> &Self {
        self.expect_each("causation id", Some(expected), |r| r.metadata.causation_id)
    }

    /// Expects every saved event to carry the extra pair `key` = `value`.
    #[track_caller]
    pub fn then_expect_extra(&self, key: &str, value: &str) -> &Self {
        self.expect_each(&format!("extra `{key}`"), Some(value.to_owned()), |r| {
            r.metadata.extra.get(key).cloned()
        })
    }

    /// Checks one metadata field of every saved event against `expected`; on a mismatch
    /// lists every event with its value, marking the wrong ones.
    #[track_caller]
    fn expect_each<T: PartialEq + Debug>(
        &self,
        field: &str,
        expected: Option<T>,
        value: impl Fn(&RecordedEvent) -> Option<T>,
    ) -> &Self {
        let records = self.records();
        if records.is_empty() {
            panic!("the save stored no event, so none carries the {field} {expected:?}");
        }
        if records.iter().all(|r| value(r) == expected) {
            return self;
        }
        let mut table = String::new();
        for record in records {
            let actual = value(record);
            let mark = if actual == expected { " " } else { DIFFERS };
            let _ = writeln!(
                table,
                "  {mark} v{} {}: {actual:?}",
                record.version, record.event_type
            );
        }
        panic!("saved events carry another {field} than {expected:?}:\n{table}");
    }
}
