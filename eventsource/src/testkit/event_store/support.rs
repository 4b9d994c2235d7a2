//! What the event store cases share: the bound on the store, and the steps and checks
//! most cases repeat.

use crate::error::Error;
use crate::store::{AppendOutcome, EventStore, ExpectedVersion, NewEvent, StreamId};

/// What every case needs of a store: it is a cheap handle that can be cloned into tasks.
pub trait Store: EventStore + Clone {}
impl<S: EventStore + Clone> Store for S {}

pub(super) async fn version<S: Store>(store: &S, stream: &StreamId) -> u64 {
    store.stream_version(stream).await.expect("stream_version")
}

pub(super) async fn append<S: Store>(
    store: &S,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<AppendOutcome, Error> {
    store.append(stream, expected, events).await
}

pub(super) fn assert_conflict<T: std::fmt::Debug>(
    result: Result<T, Error>,
    stream: &StreamId,
    expected: ExpectedVersion,
    actual: u64,
) {
    match result {
        Err(Error::Conflict {
            stream: s,
            expected: e,
            actual: a,
        }) => {
            assert_eq!(&s, stream);
            assert_eq!(e, expected);
            assert_eq!(a, actual);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}
