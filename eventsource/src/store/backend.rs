//! The kit a store author uses: the rules every backend applies the same way, written
//! once. The built-in stores use exactly these functions; a custom [`EventStore`] should
//! too, so that it behaves like them.
//!
//! [`EventStore`]: super::EventStore

pub use super::record_ref::EventCells;
pub use crate::hash::fnv1a;
pub use crate::time::{from_micros, now_micros, to_micros};

use super::record::{FeedEntry, NewEvent, RecordedEvent};
use crate::error::{Error, Result};
use crate::stream::{ExpectedVersion, StreamId};
use uuid::Uuid;

/// The stream rule every store applies before any I/O: [`Error::InvalidStream`] for a
/// stream no store accepts (see [`StreamId`]).
pub fn check_stream(stream: &StreamId) -> Result<()> {
    match stream.invalid_reason() {
        None => Ok(()),
        Some(reason) => Err(Error::InvalidStream {
            stream: stream.clone(),
            reason,
        }),
    }
}

/// The gap rule of stream reads: the event read where version `expected` should come
/// must be that version; otherwise [`Error::Corrupt`] says which version is missing (a row
/// was lost or renumbered). The same check and wording on every store.
pub fn check_next_version(stream: &StreamId, expected: u64, found: u64) -> Result<()> {
    if found == expected {
        return Ok(());
    }
    Err(Error::Corrupt {
        stream: stream.clone(),
        version: expected,
        reason: format!("version {expected} is missing: the next stored event is version {found}"),
    })
}

/// The optimistic-concurrency rule: `Ok` when a stream at version `actual` satisfies
/// `expected`, otherwise [`Error::Conflict`] naming the stream and both versions.
pub fn check_version(stream: &StreamId, expected: ExpectedVersion, actual: u64) -> Result<()> {
    if expected.is_satisfied_by(actual) {
        Ok(())
    } else {
        Err(Error::Conflict {
            stream: stream.clone(),
            expected,
            actual,
        })
    }
}

/// The stored form of `event`: appended to `stream` at `version`, at feed `position`.
pub fn record(event: NewEvent, stream: StreamId, version: u64, position: u64) -> RecordedEvent {
    RecordedEvent::new(event, stream, version, position)
}

/// The events of feed entries, failing on the first unreadable one: `read_all` for a store
/// that implements `read_feed`.
pub fn readable(entries: Vec<FeedEntry>) -> Result<Vec<RecordedEvent>> {
    entries
        .into_iter()
        .map(|entry| match entry {
            FeedEntry::Event(record) => Ok(record),
            FeedEntry::Unreadable { error, .. } => Err(error),
        })
        .collect()
}

/// How a batch relates to what its stream already stores, by event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchIdentity {
    /// None of the batch's ids is stored: append it.
    New,
    /// Every id is stored, in order, from this version: the batch is a retry.
    Retry {
        /// The version of the batch's first event.
        first_version: u64,
    },
}

/// Applies the event-id rule shared by every backend.
///
/// `stored` holds `(event_id, version)` for those ids of `batch_ids` that the stream
/// already stores. The batch is a retry when all its ids are stored at consecutive
/// versions that `expected` allows; it is new when none is; anything else is
/// [`Error::DuplicateEventId`]. Ids repeated inside the batch are refused too.
pub fn classify_batch(
    stream: &StreamId,
    expected: ExpectedVersion,
    batch_ids: &[Uuid],
    stored: &[(Uuid, u64)],
) -> Result<BatchIdentity> {
    let duplicate = |event_id: Uuid| Error::DuplicateEventId {
        stream: stream.clone(),
        event_id,
    };
    // Sorted copies: the checks below cost n log n in the batch, not n². A batch of one
    // event (a command's) holds no repeated id and needs no copy.
    if batch_ids.len() > 1 {
        let mut sorted_ids = batch_ids.to_vec();
        sorted_ids.sort_unstable();
        if let Some(pair) = sorted_ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(duplicate(pair[0]));
        }
    }
    let Some(&first_id) = batch_ids.first() else {
        return Ok(BatchIdentity::New);
    };
    if stored.is_empty() {
        return Ok(BatchIdentity::New);
    }
    let mut by_id = stored.to_vec();
    by_id.sort_unstable();
    let version_of = |id: &Uuid| {
        by_id
            .binary_search_by_key(id, |(stored_id, _)| *stored_id)
            .ok()
            .map(|at| by_id[at].1)
    };
    let Some(first_version) = version_of(&first_id) else {
        return Err(duplicate(stored[0].0));
    };
    let in_place = batch_ids
        .iter()
        .zip(first_version..)
        .all(|(id, version)| version_of(id) == Some(version));
    let allowed = match expected {
        ExpectedVersion::Exact(n) => first_version == n + 1,
        ExpectedVersion::NoStream => first_version == 1,
        ExpectedVersion::Any | ExpectedVersion::StreamExists => true,
    };
    if in_place && allowed {
        Ok(BatchIdentity::Retry { first_version })
    } else {
        Err(duplicate(first_id))
    }
}

/// The state stores' rules, for a [`StateStore`](crate::state::StateStore): the records of
/// `events` saved without an event log: versions `expected + 1 ..`, feed
/// position 0 (they have no place in a feed).
pub fn unlogged_records(
    stream: &StreamId,
    expected: u64,
    events: Vec<NewEvent>,
) -> Vec<RecordedEvent> {
    events
        .into_iter()
        .zip(expected + 1..)
        .map(|(event, version)| record(event, stream.clone(), version, 0))
        .collect()
}

/// The error of a logged save whose event log does not hold the aggregate's history up to
/// the stored state's version.
pub fn log_mismatch(stream: &StreamId, expected: u64, logged: u64) -> Error {
    Error::Corrupt {
        stream: stream.clone(),
        version: expected,
        reason: format!(
            "the event log holds {logged} events of this aggregate but its stored state is at \
             version {expected}: a state store with an event log needs the aggregate's whole \
             history in the log (log from its first save, or append its history first)"
        ),
    }
}

/// The conflict a state store reports for a save refused at `expected` (the stored state
/// is at `actual`).
pub fn state_conflict(stream: &StreamId, expected: u64, actual: u64) -> Error {
    Error::Conflict {
        stream: stream.clone(),
        expected: ExpectedVersion::Exact(expected),
        actual,
    }
}

/// The key of `stream`'s lock, for a lock provider that hashes streams to numbers (the
/// SQLite file locks): FNV-1a of `eventsource.aggregate/<type>/<id>`, fixed for good, so
/// processes of different versions agree on it.
pub fn lock_key(stream: &StreamId) -> u64 {
    fnv1a([
        "eventsource.aggregate/",
        stream.aggregate_type.as_str(),
        "/",
        stream.aggregate_id.as_str(),
    ])
}

#[cfg(test)]
mod tests {
    use super::{StreamId, lock_key};

    #[test]
    fn the_key_of_a_stream_is_fixed() {
        // FNV-1a 64 of `eventsource.aggregate/Account/1`, computed apart from this code.
        // Processes of different versions must agree on it: never change this value.
        assert_eq!(
            lock_key(&StreamId::new("Account", "1")),
            0xc53b_d3bc_76b2_ce4b
        );
        assert_ne!(
            lock_key(&StreamId::new("Account", "1")),
            lock_key(&StreamId::new("Account", "2"))
        );
    }
}
