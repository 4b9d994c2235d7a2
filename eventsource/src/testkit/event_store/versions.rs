//! Versions and expected versions: optimistic concurrency.

use super::support::*;
use crate::store::ExpectedVersion;
use crate::testkit::fixtures::{raw_events, task_stream};

/// A stream nobody wrote to is at version 0.
pub async fn new_stream_is_at_version_zero<S: Store>(store: S) {
    assert_eq!(version(&store, &task_stream()).await, 0);
}

/// The first event of a stream is version 1, then one per event.
pub async fn append_to_new_stream_numbers_versions_from_one<S: Store>(store: S) {
    let stream = task_stream();
    let outcome = append(&store, &stream, ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap();
    assert!(!outcome.already_stored);
    let versions: Vec<_> = outcome.records.iter().map(|r| r.version).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(outcome.version(), Some(3));
    assert_eq!(version(&store, &stream).await, 3);
}

/// `Any` appends whatever the version.
pub async fn expected_any_appends_to_new_and_existing_streams<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(1))
        .await
        .unwrap();
    append(&store, &stream, ExpectedVersion::Any, raw_events(2))
        .await
        .unwrap();
    assert_eq!(version(&store, &stream).await, 3);
}

/// `NoStream` on a new stream appends.
pub async fn expected_no_stream_succeeds_on_new_stream<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
    assert_eq!(version(&store, &stream).await, 1);
}

/// `NoStream` on a stream with events conflicts.
pub async fn expected_no_stream_conflicts_on_existing_stream<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(2))
        .await
        .unwrap();
    let result = append(&store, &stream, ExpectedVersion::NoStream, raw_events(1)).await;
    assert_conflict(result, &stream, ExpectedVersion::NoStream, 2);
}

/// `StreamExists` on a new stream conflicts with actual version 0.
pub async fn expected_stream_exists_conflicts_on_new_stream<S: Store>(store: S) {
    let stream = task_stream();
    let result = append(
        &store,
        &stream,
        ExpectedVersion::StreamExists,
        raw_events(1),
    )
    .await;
    assert_conflict(result, &stream, ExpectedVersion::StreamExists, 0);
    assert_eq!(version(&store, &stream).await, 0);
}

/// `StreamExists` on a stream with events appends.
pub async fn expected_stream_exists_succeeds_on_existing_stream<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(1))
        .await
        .unwrap();
    append(
        &store,
        &stream,
        ExpectedVersion::StreamExists,
        raw_events(1),
    )
    .await
    .unwrap();
    assert_eq!(version(&store, &stream).await, 2);
}

/// `Exact(n)` at version n appends.
pub async fn expected_exact_succeeds_at_the_version<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(3))
        .await
        .unwrap();
    let outcome = append(&store, &stream, ExpectedVersion::Exact(3), raw_events(2))
        .await
        .unwrap();
    assert_eq!(outcome.version(), Some(5));
}

/// `Exact(n - 1)` at version n conflicts.
pub async fn expected_exact_below_the_version_conflicts<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(3))
        .await
        .unwrap();
    let result = append(&store, &stream, ExpectedVersion::Exact(2), raw_events(1)).await;
    assert_conflict(result, &stream, ExpectedVersion::Exact(2), 3);
}

/// `Exact(n + 1)` at version n conflicts.
pub async fn expected_exact_above_the_version_conflicts<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(3))
        .await
        .unwrap();
    let result = append(&store, &stream, ExpectedVersion::Exact(4), raw_events(1)).await;
    assert_conflict(result, &stream, ExpectedVersion::Exact(4), 3);
}

/// `Exact(0)` behaves as `NoStream`.
pub async fn expected_exact_zero_means_no_stream<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Exact(0), raw_events(1))
        .await
        .unwrap();
    let result = append(&store, &stream, ExpectedVersion::Exact(0), raw_events(1)).await;
    assert_conflict(result, &stream, ExpectedVersion::Exact(0), 1);
}

/// The conflict error names the stream, the expectation and the actual version.
pub async fn conflict_carries_stream_expected_and_actual<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(7))
        .await
        .unwrap();
    let error = append(&store, &stream, ExpectedVersion::Exact(5), raw_events(1))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&stream.aggregate_id), "{text}");
    assert!(text.contains("expected version 5"), "{text}");
    assert!(text.contains("actual version 7"), "{text}");
}

/// `Exact(u64::MAX)` is a conflict like any other wrong version.
pub async fn expected_exact_at_the_largest_version_conflicts<S: Store>(store: S) {
    let stream = task_stream();
    let result = append(
        &store,
        &stream,
        ExpectedVersion::Exact(u64::MAX),
        raw_events(1),
    )
    .await;
    assert_conflict(result, &stream, ExpectedVersion::Exact(u64::MAX), 0);
    assert_eq!(version(&store, &stream).await, 0);
}
