//! Batches: all or nothing, and idempotent by event id.

use super::support::*;
use crate::error::Error;
use crate::store::ExpectedVersion;
use crate::testkit::fixtures::{raw_event, raw_events, task_stream};

/// A batch refused for its version leaves the stream and the feed as they were.
pub async fn conflicting_batch_writes_nothing<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(2))
        .await
        .unwrap();
    let feed_before = store.read_all(0, usize::MAX).await.unwrap().len();
    let result = append(&store, &stream, ExpectedVersion::Exact(1), raw_events(3)).await;
    assert!(result.is_err());
    assert_eq!(version(&store, &stream).await, 2);
    assert_eq!(store.read_stream(&stream, 0).await.unwrap().len(), 2);
    assert_eq!(
        store.read_all(0, usize::MAX).await.unwrap().len(),
        feed_before
    );
}

/// An empty batch succeeds without creating the stream.
pub async fn empty_batch_writes_nothing_and_creates_no_stream<S: Store>(store: S) {
    let stream = task_stream();
    let outcome = append(&store, &stream, ExpectedVersion::NoStream, Vec::new())
        .await
        .unwrap();
    assert!(outcome.records.is_empty());
    assert_eq!(version(&store, &stream).await, 0);
    assert!(store.read_stream(&stream, 0).await.unwrap().is_empty());
}

/// An empty batch with a wrong expectation still conflicts.
pub async fn empty_batch_still_checks_the_version<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(2))
        .await
        .unwrap();
    let result = append(&store, &stream, ExpectedVersion::Exact(1), Vec::new()).await;
    assert_conflict(result, &stream, ExpectedVersion::Exact(1), 2);
}

/// Appending a stored batch again at the same expectation writes nothing and succeeds.
pub async fn retried_batch_is_a_no_op<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(2))
        .await
        .unwrap();
    let batch = raw_events(3);
    let first = append(&store, &stream, ExpectedVersion::Exact(2), batch.clone())
        .await
        .unwrap();
    let again = append(&store, &stream, ExpectedVersion::Exact(2), batch)
        .await
        .unwrap();
    assert!(!first.already_stored);
    assert!(again.already_stored);
    assert_eq!(again.records, first.records);
    assert_eq!(version(&store, &stream).await, 5);
    assert_eq!(store.read_all(0, usize::MAX).await.unwrap().len(), 5);
}

/// A retry with `Any` after later appends is still recognised.
pub async fn retried_batch_with_any_is_a_no_op<S: Store>(store: S) {
    let stream = task_stream();
    let batch = raw_events(2);
    append(&store, &stream, ExpectedVersion::Any, batch.clone())
        .await
        .unwrap();
    append(&store, &stream, ExpectedVersion::Any, raw_events(1))
        .await
        .unwrap();
    let again = append(&store, &stream, ExpectedVersion::Any, batch)
        .await
        .unwrap();
    assert!(again.already_stored);
    assert_eq!(
        again.records.iter().map(|r| r.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(version(&store, &stream).await, 3);
}

/// A batch whose ids are only partly stored is refused and writes nothing.
pub async fn partly_overlapping_batch_is_refused_and_writes_nothing<S: Store>(store: S) {
    let stream = task_stream();
    let batch = raw_events(2);
    append(&store, &stream, ExpectedVersion::Any, batch.clone())
        .await
        .unwrap();
    let mut overlapping = vec![batch[1].clone()];
    overlapping.push(raw_event(9));
    let result = append(&store, &stream, ExpectedVersion::Any, overlapping).await;
    match result {
        Err(Error::DuplicateEventId {
            stream: s,
            event_id,
        }) => {
            assert_eq!(s, stream);
            assert_eq!(event_id, batch[1].metadata.event_id);
        }
        other => panic!("expected DuplicateEventId, got {other:?}"),
    }
    assert_eq!(version(&store, &stream).await, 2);
}

/// Two events of one batch with one id are refused.
pub async fn batch_repeating_an_id_is_refused<S: Store>(store: S) {
    let stream = task_stream();
    let event = raw_event(1);
    let result = append(
        &store,
        &stream,
        ExpectedVersion::Any,
        vec![event.clone(), event],
    )
    .await;
    assert!(
        matches!(result, Err(Error::DuplicateEventId { .. })),
        "{result:?}"
    );
    assert_eq!(version(&store, &stream).await, 0);
}

/// Stored ids offered at versions other than where they are stored are refused.
pub async fn stored_id_at_other_versions_is_refused<S: Store>(store: S) {
    let stream = task_stream();
    let batch = raw_events(2);
    append(&store, &stream, ExpectedVersion::Any, batch.clone())
        .await
        .unwrap();
    append(&store, &stream, ExpectedVersion::Any, raw_events(1))
        .await
        .unwrap();
    let result = append(&store, &stream, ExpectedVersion::Exact(3), batch).await;
    assert!(
        matches!(result, Err(Error::DuplicateEventId { .. })),
        "{result:?}"
    );
    assert_eq!(version(&store, &stream).await, 3);
}

/// Event ids are unique within a stream, not across streams.
pub async fn same_event_id_in_two_streams_is_allowed<S: Store>(store: S) {
    let (a, b) = (task_stream(), task_stream());
    let event = raw_event(1);
    append(&store, &a, ExpectedVersion::NoStream, vec![event.clone()])
        .await
        .unwrap();
    let outcome = append(&store, &b, ExpectedVersion::NoStream, vec![event])
        .await
        .unwrap();
    assert!(!outcome.already_stored);
    assert_eq!(version(&store, &b).await, 1);
}

/// An append whose records are not read keeps every rule of `append`: it stores the
/// batch as `append` would, a wrong version is a conflict that writes nothing, a retried
/// batch writes nothing, a partly stored one is refused, and what it stored reads back as
/// what `append` stores.
pub async fn unrecorded_append_keeps_the_append_rules<S: Store>(store: S) {
    let (quiet, loud) = (task_stream(), task_stream());
    let batch = raw_events(3);
    store
        .append_unrecorded(&quiet, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    append(&store, &loud, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    let (read_quiet, read_loud) = (
        store.read_stream(&quiet, 0).await.unwrap(),
        store.read_stream(&loud, 0).await.unwrap(),
    );
    assert_eq!(read_quiet.len(), 3);
    for (q, l) in read_quiet.iter().zip(&read_loud) {
        assert_eq!(
            (q.version, &q.event_type, &q.payload, &q.metadata),
            (l.version, &l.event_type, &l.payload, &l.metadata)
        );
    }

    let feed = store.read_all(0, usize::MAX).await.unwrap().len();
    let conflict = store
        .append_unrecorded(&quiet, ExpectedVersion::Exact(2), raw_events(1))
        .await;
    assert_conflict(conflict, &quiet, ExpectedVersion::Exact(2), 3);
    store
        .append_unrecorded(&quiet, ExpectedVersion::NoStream, batch.clone())
        .await
        .expect("a retried batch succeeds");
    let mut partly = vec![batch[2].clone()];
    partly.extend(raw_events(1));
    let refused = store
        .append_unrecorded(&quiet, ExpectedVersion::Any, partly)
        .await;
    assert!(
        matches!(refused, Err(Error::DuplicateEventId { .. })),
        "{refused:?}"
    );
    assert_eq!(version(&store, &quiet).await, 3);
    assert_eq!(store.read_all(0, usize::MAX).await.unwrap().len(), feed);

    store
        .append_unrecorded(&quiet, ExpectedVersion::Exact(3), raw_events(2))
        .await
        .unwrap();
    assert_eq!(version(&store, &quiet).await, 5);
}
