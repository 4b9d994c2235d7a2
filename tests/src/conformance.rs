//! The store conformance suite: one async function per rule, generic over the store.
//!
//! A backend runs the whole suite with [`store_conformance_suite!`](crate::store_conformance_suite),
//! given an async expression that yields `Option<store>` (a fresh, empty store; `None`
//! means the backend is unavailable and the case is skipped with a printed line):
//!
//! ```ignore
//! eventsource_tests::store_conformance_suite!(async { Some(InMemoryEventStore::new()) });
//! ```

use crate::fixtures::{Task, TaskCreated, raw, raw_event, raw_events, task_stream};
use eventsource::prelude::*;
use eventsource::store::{NewEvent, StreamId};
use eventsource::{DecodeError, Error, EventMetadata};
use std::collections::BTreeMap;

/// Generates one `#[tokio::test]` per conformance case for the store the factory yields.
#[macro_export]
macro_rules! store_conformance_suite {
    ($factory:expr) => {
        $crate::store_conformance_suite!(@cases $factory;
            new_stream_is_at_version_zero,
            append_to_new_stream_numbers_versions_from_one,
            read_stream_returns_events_in_order_with_their_data,
            read_stream_after_a_version_skips_earlier_events,
            read_stream_of_missing_stream_is_empty,
            expected_any_appends_to_new_and_existing_streams,
            expected_no_stream_succeeds_on_new_stream,
            expected_no_stream_conflicts_on_existing_stream,
            expected_stream_exists_conflicts_on_new_stream,
            expected_stream_exists_succeeds_on_existing_stream,
            expected_exact_succeeds_at_the_version,
            expected_exact_below_the_version_conflicts,
            expected_exact_above_the_version_conflicts,
            expected_exact_zero_means_no_stream,
            conflict_carries_stream_expected_and_actual,
            conflicting_batch_writes_nothing,
            empty_batch_writes_nothing_and_creates_no_stream,
            empty_batch_still_checks_the_version,
            retried_batch_is_a_no_op,
            retried_batch_with_any_is_a_no_op,
            partly_overlapping_batch_is_refused_and_writes_nothing,
            batch_repeating_an_id_is_refused,
            stored_id_at_other_versions_is_refused,
            feed_positions_strictly_increase_across_streams,
            feed_can_be_read_from_the_middle,
            feed_respects_the_limit,
            feed_after_the_end_is_empty,
            metadata_round_trips,
            payload_and_metadata_keep_unicode_and_control_characters,
            same_id_of_two_aggregate_types_are_two_streams,
            many_streams_keep_their_own_versions,
            ten_thousand_events_in_one_stream,
            one_mebibyte_payload_round_trips,
            two_writers_at_one_version_exactly_one_wins,
            concurrent_writers_on_one_stream_lose_nothing,
            concurrent_writers_on_distinct_streams_never_conflict,
            undecodable_payload_is_a_typed_error,
            unknown_event_type_is_a_typed_error,
            newer_schema_version_is_a_typed_error,
            repository_round_trip_through_the_store,
            reads_after_the_largest_version_and_position_are_empty,
            expected_exact_at_the_largest_version_conflicts,
            extreme_times_schema_versions_and_empty_payload_round_trip,
            stream_ids_differing_in_case_or_spaces_are_distinct,
            concurrent_retries_of_one_batch_store_it_once,
            same_event_id_in_two_streams_is_allowed,
            id_of_another_aggregate_type_loads_as_not_found,
            replay_stream_feeds_what_read_stream_returns,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                match $factory.await {
                    Some(store) => $crate::conformance::$case(store).await,
                    None => eprintln!("SKIPPED {}: store backend unavailable", stringify!($case)),
                }
            }
        )*
    };
}

/// What every case needs of a store: it is a cheap handle that can be cloned into tasks.
pub trait Store: EventStore + Clone {}
impl<S: EventStore + Clone> Store for S {}

async fn version<S: Store>(store: &S, stream: &StreamId) -> u64 {
    store.stream_version(stream).await.expect("stream_version")
}

async fn append<S: Store>(
    store: &S,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<eventsource::store::AppendOutcome, Error> {
    store.append(stream, expected, events).await
}

fn assert_conflict<T: std::fmt::Debug>(
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

/// Reading gives back every field that was appended, in version order.
pub async fn read_stream_returns_events_in_order_with_their_data<S: Store>(store: S) {
    let stream = task_stream();
    let events = raw_events(3);
    let outcome = append(&store, &stream, ExpectedVersion::Any, events.clone())
        .await
        .unwrap();
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read, outcome.records);
    for ((record, event), v) in read.iter().zip(&events).zip(1..) {
        assert_eq!(record.stream, stream);
        assert_eq!(record.version, v);
        assert_eq!(record.event_type, event.event_type);
        assert_eq!(record.schema_version, event.schema_version);
        assert_eq!(record.payload, event.payload);
        assert_eq!(record.metadata, event.metadata);
    }
}

/// `read_stream(after)` returns only versions greater than `after`.
pub async fn read_stream_after_a_version_skips_earlier_events<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(5))
        .await
        .unwrap();
    let read = store.read_stream(&stream, 3).await.unwrap();
    assert_eq!(read.iter().map(|r| r.version).collect::<Vec<_>>(), [4, 5]);
    assert!(store.read_stream(&stream, 5).await.unwrap().is_empty());
    assert!(store.read_stream(&stream, 99).await.unwrap().is_empty());
}

/// A stream without events reads as empty, not as an error.
pub async fn read_stream_of_missing_stream_is_empty<S: Store>(store: S) {
    assert!(
        store
            .read_stream(&task_stream(), 0)
            .await
            .unwrap()
            .is_empty()
    );
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

/// Every event gets a feed position, strictly increasing in append order across streams.
pub async fn feed_positions_strictly_increase_across_streams<S: Store>(store: S) {
    let (a, b) = (
        task_stream(),
        StreamId::new("Order", Uuid::now_v7().to_string()),
    );
    let mut appended = Vec::new();
    for round in 0..3 {
        for stream in [&a, &b] {
            let outcome = append(&store, stream, ExpectedVersion::Exact(round), raw_events(1))
                .await
                .unwrap();
            appended.extend(outcome.records);
        }
    }
    let positions: Vec<_> = appended.iter().map(|r| r.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let feed = store.read_all(0, usize::MAX).await.unwrap();
    let ours: Vec<_> = feed
        .into_iter()
        .filter(|r| r.stream == a || r.stream == b)
        .collect();
    assert_eq!(ours, appended);
}

/// Reading the feed after a position returns exactly the later events.
pub async fn feed_can_be_read_from_the_middle<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(6))
        .await
        .unwrap();
    let all = store.read_all(0, usize::MAX).await.unwrap();
    let middle = all[2].position;
    let rest = store.read_all(middle, usize::MAX).await.unwrap();
    assert_eq!(rest, all[3..].to_vec());
}

/// The feed returns at most `limit` events, the earliest first.
pub async fn feed_respects_the_limit<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(5))
        .await
        .unwrap();
    let all = store.read_all(0, usize::MAX).await.unwrap();
    let page = store.read_all(0, 2).await.unwrap();
    assert_eq!(page, all[..2].to_vec());
    assert!(store.read_all(0, 0).await.unwrap().is_empty());
}

/// Reading after the last position returns nothing.
pub async fn feed_after_the_end_is_empty<S: Store>(store: S) {
    let stream = task_stream();
    let outcome = append(&store, &stream, ExpectedVersion::Any, raw_events(2))
        .await
        .unwrap();
    let last = outcome.records.last().unwrap().position;
    assert!(store.read_all(last, 10).await.unwrap().is_empty());
    assert!(store.read_all(last + 1000, 10).await.unwrap().is_empty());
}

/// Event id, time, correlation, causation and extra pairs come back as stored.
pub async fn metadata_round_trips<S: Store>(store: S) {
    let stream = task_stream();
    let mut event = raw_event(1);
    event.metadata.correlation_id = Some(Uuid::now_v7());
    event.metadata.causation_id = Some(Uuid::now_v7());
    event.metadata.extra =
        BTreeMap::from([("user".into(), "alice".into()), ("ip".into(), "::1".into())]);
    event.metadata.occurred_at = EventMetadata::time_from_micros(1_700_000_000_123_456);
    append(&store, &stream, ExpectedVersion::Any, vec![event.clone()])
        .await
        .unwrap();
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read[0].metadata, event.metadata);
}

/// Non-ASCII text and control characters survive in payload and metadata.
pub async fn payload_and_metadata_keep_unicode_and_control_characters<S: Store>(store: S) {
    let stream = StreamId::new("Task", "id with ünïcödé ✓ and 'quotes'");
    let text = "héllo \u{1F600} \u{0007}\u{001b}[0m tab\t nl\n nul-escaped \\u0000 \"q\" 'q' ;--";
    let payload = serde_json::json!({ "title": text, "description": text }).to_string();
    let mut event = raw("TaskCreated", 1, &payload);
    event.metadata.extra.insert("note ✓".into(), text.into());
    append(&store, &stream, ExpectedVersion::Any, vec![event.clone()])
        .await
        .unwrap();
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read[0].payload, payload);
    assert_eq!(read[0].metadata, event.metadata);
    assert_eq!(read[0].stream, stream);
}

/// The same id under two aggregate types names two independent streams.
pub async fn same_id_of_two_aggregate_types_are_two_streams<S: Store>(store: S) {
    let id = Uuid::now_v7().to_string();
    let (task, order) = (
        StreamId::new("Task", id.clone()),
        StreamId::new("Order", id),
    );
    append(&store, &task, ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    append(&store, &order, ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
    assert_eq!(version(&store, &task).await, 2);
    assert_eq!(version(&store, &order).await, 1);
    assert!(
        store
            .read_stream(&order, 0)
            .await
            .unwrap()
            .iter()
            .all(|r| r.stream == order)
    );
}

/// Many streams of many types, interleaved, each keep their own versions.
pub async fn many_streams_keep_their_own_versions<S: Store>(store: S) {
    let streams: Vec<_> = (0..20)
        .map(|i| StreamId::new(format!("Type{}", i % 4), Uuid::now_v7().to_string()))
        .collect();
    for round in 0..5 {
        for stream in &streams {
            append(&store, stream, ExpectedVersion::Exact(round), raw_events(1))
                .await
                .unwrap();
        }
    }
    for stream in &streams {
        let read = store.read_stream(stream, 0).await.unwrap();
        assert_eq!(
            read.iter().map(|r| r.version).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
    }
}

/// A stream of 10,000 events appends and reads back whole.
pub async fn ten_thousand_events_in_one_stream<S: Store>(store: S) {
    let stream = task_stream();
    for chunk in 0..10 {
        append(
            &store,
            &stream,
            ExpectedVersion::Exact(chunk * 1000),
            raw_events(1000),
        )
        .await
        .unwrap();
    }
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read.len(), 10_000);
    assert!(read.iter().zip(1..).all(|(r, v)| r.version == v));
    assert_eq!(version(&store, &stream).await, 10_000);
}

/// A 1 MiB payload is stored and read back byte for byte.
pub async fn one_mebibyte_payload_round_trips<S: Store>(store: S) {
    let stream = task_stream();
    let big = "x".repeat(1024 * 1024);
    let payload = serde_json::json!({ "title": big, "description": "" }).to_string();
    append(
        &store,
        &stream,
        ExpectedVersion::Any,
        vec![raw("TaskCreated", 1, &payload)],
    )
    .await
    .unwrap();
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read[0].payload, payload);
}

/// Two writers at the same expected version: one wins, the other conflicts.
pub async fn two_writers_at_one_version_exactly_one_wins<S: Store>(store: S) {
    for _ in 0..20 {
        let stream = task_stream();
        append(&store, &stream, ExpectedVersion::Any, raw_events(1))
            .await
            .unwrap();
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (store, stream) = (store.clone(), stream.clone());
                tokio::spawn(async move {
                    store
                        .append(&stream, ExpectedVersion::Exact(1), raw_events(2))
                        .await
                })
            })
            .collect();
        let mut wins = 0;
        for writer in writers {
            match writer.await.unwrap() {
                Ok(_) => wins += 1,
                Err(error) => assert!(error.is_conflict(), "{error:?}"),
            }
        }
        assert_eq!(wins, 1);
        assert_eq!(version(&store, &stream).await, 3);
    }
}

/// 8 tasks append 200 events each to one stream, retrying on conflict: 1,600 events,
/// versions 1..=1,600, every event exactly once.
pub async fn concurrent_writers_on_one_stream_lose_nothing<S: Store>(store: S) {
    let stream = task_stream();
    let writers: Vec<_> = (0..8u64)
        .map(|w| {
            let (store, stream) = (store.clone(), stream.clone());
            tokio::spawn(async move {
                for n in 0..200u64 {
                    let event = raw_event(w * 1000 + n);
                    loop {
                        let current = store.stream_version(&stream).await.unwrap();
                        match store
                            .append(
                                &stream,
                                ExpectedVersion::Exact(current),
                                vec![event.clone()],
                            )
                            .await
                        {
                            Ok(_) => break,
                            Err(error) if error.is_conflict() => tokio::task::yield_now().await,
                            Err(error) => panic!("append failed: {error}"),
                        }
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read.len(), 1600);
    assert!(read.iter().zip(1..).all(|(r, v)| r.version == v));
    let mut ids: Vec<_> = read.iter().map(|r| r.metadata.event_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1600);
}

/// 8 tasks on 8 streams never see a conflict.
pub async fn concurrent_writers_on_distinct_streams_never_conflict<S: Store>(store: S) {
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let stream = task_stream();
                for n in 0..50u64 {
                    store
                        .append(&stream, ExpectedVersion::Exact(n), raw_events(1))
                        .await
                        .unwrap();
                }
                stream
            })
        })
        .collect();
    for writer in writers {
        let stream = writer.await.unwrap();
        assert_eq!(version(&store, &stream).await, 50);
    }
}

async fn load_task<S: Store>(store: &S, id: Uuid) -> Result<AggregateRoot<Task>, Error> {
    Repository::<Task, _>::new(store.clone()).load(id).await
}

async fn task_with_bad_third_event<S: Store>(store: &S, bad: NewEvent) -> (Uuid, StreamId) {
    let id = Uuid::now_v7();
    let stream = StreamId::new("Task", id.to_string());
    let good = serde_json::json!({ "title": "t", "description": "d" }).to_string();
    let assigned = serde_json::json!({ "assigned_to": Uuid::nil() }).to_string();
    let events = vec![
        raw("TaskCreated", 1, &good),
        raw("TaskAssigned", 1, &assigned),
        bad,
    ];
    append(store, &stream, ExpectedVersion::NoStream, events)
        .await
        .unwrap();
    (id, stream)
}

fn assert_decode_error(
    result: Result<AggregateRoot<Task>, Error>,
    stream: &StreamId,
    event_type: &str,
    check: impl Fn(&DecodeError) -> bool,
) {
    match result {
        Err(Error::Decode {
            stream: s,
            version,
            event_type: t,
            source,
            ..
        }) => {
            assert_eq!(&s, stream);
            assert_eq!(version, 3);
            assert_eq!(t, event_type);
            assert!(check(&source), "unexpected cause: {source:?}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// A payload that is not valid JSON for its type fails the load with the stream, version
/// and type named; no aggregate is returned.
pub async fn undecodable_payload_is_a_typed_error<S: Store>(store: S) {
    let (id, stream) =
        task_with_bad_third_event(&store, raw("TaskCompleted", 1, "{not json")).await;
    assert_decode_error(load_task(&store, id).await, &stream, "TaskCompleted", |e| {
        matches!(e, DecodeError::Payload(_))
    });
}

/// A stored type name the aggregate does not list fails the load.
pub async fn unknown_event_type_is_a_typed_error<S: Store>(store: S) {
    let (id, stream) = task_with_bad_third_event(&store, raw("OrderShipped", 1, "{}")).await;
    assert_decode_error(load_task(&store, id).await, &stream, "OrderShipped", |e| {
        matches!(e, DecodeError::UnknownEventType)
    });
}

/// A schema version newer than the code knows fails the load.
pub async fn newer_schema_version_is_a_typed_error<S: Store>(store: S) {
    let payload = serde_json::json!({ "completed_by": Uuid::nil() }).to_string();
    let (id, stream) = task_with_bad_third_event(&store, raw("TaskCompleted", 2, &payload)).await;
    assert_decode_error(load_task(&store, id).await, &stream, "TaskCompleted", |e| {
        matches!(
            e,
            DecodeError::NewerSchemaVersion {
                stored: 2,
                supported: 1
            }
        )
    });
}

/// The repository saves and loads through the store.
pub async fn repository_round_trip_through_the_store<S: Store>(store: S) {
    let repo = Repository::<Task, _>::new(store.clone());
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.execute(|t| t.create("conformance")).unwrap();
    task.execute(|t| t.complete(Uuid::nil())).unwrap();
    repo.save(&mut task).await.unwrap();
    let loaded = repo.load(id).await.unwrap();
    assert_eq!(loaded.version(), 2);
    assert_eq!(loaded.state(), task.state());
    let stored = store.read_stream(&loaded.stream(), 0).await.unwrap();
    let types: Vec<_> = stored.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(types, ["TaskCreated", "TaskCompleted"]);
    assert_eq!(TaskCreated::EVENT_TYPE, "TaskCreated");
}

/// `u64::MAX` as a version or a position reads as "after everything", not as an error
/// (SQL databases keep signed 64-bit integers).
pub async fn reads_after_the_largest_version_and_position_are_empty<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::Any, raw_events(2))
        .await
        .unwrap();
    assert!(
        store
            .read_stream(&stream, u64::MAX)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .read_all(u64::MAX, usize::MAX)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.read_all(u64::MAX - 1, 1).await.unwrap().is_empty());
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

/// A time before 1970, schema versions 0 and `u32::MAX`, and an empty payload are kept.
pub async fn extreme_times_schema_versions_and_empty_payload_round_trip<S: Store>(store: S) {
    let stream = task_stream();
    let mut early = raw("TaskCreated", 0, "");
    early.metadata.occurred_at = EventMetadata::time_from_micros(-1_234_567_890_123);
    let mut late = raw("TaskCreated", u32::MAX, "{}");
    late.metadata.occurred_at = EventMetadata::time_from_micros(i64::from(i32::MAX) * 1_000_000);
    let events = vec![early, late];
    append(&store, &stream, ExpectedVersion::Any, events.clone())
        .await
        .unwrap();
    let read = store.read_stream(&stream, 0).await.unwrap();
    for (record, event) in read.iter().zip(&events) {
        assert_eq!(record.schema_version, event.schema_version);
        assert_eq!(record.payload, event.payload);
        assert_eq!(record.metadata, event.metadata);
    }
}

/// Stream identity is exact text: case, spaces and look-alike characters all count.
pub async fn stream_ids_differing_in_case_or_spaces_are_distinct<S: Store>(store: S) {
    let id = Uuid::now_v7().to_string();
    let streams = [
        StreamId::new("Task", id.clone()),
        StreamId::new("task", id.clone()),
        StreamId::new("Task ", id.clone()),
        StreamId::new("Task", id.to_uppercase()),
        StreamId::new("Task", format!("{id} ")),
        StreamId::new("Task", format!("{id}\u{2060}")),
    ];
    for stream in &streams {
        append(&store, stream, ExpectedVersion::NoStream, raw_events(1))
            .await
            .unwrap();
    }
    for stream in &streams {
        let read = store.read_stream(stream, 0).await.unwrap();
        assert_eq!(read.len(), 1, "{stream:?}");
        assert_eq!(&read[0].stream, stream);
    }
}

/// Two clients retrying the same batch at the same time: it is stored once, and both
/// succeed (one wrote it, the other is told it was already stored).
pub async fn concurrent_retries_of_one_batch_store_it_once<S: Store>(store: S) {
    for _ in 0..10 {
        let stream = task_stream();
        let batch = raw_events(3);
        let clients: Vec<_> = (0..2)
            .map(|_| {
                let (store, stream, batch) = (store.clone(), stream.clone(), batch.clone());
                tokio::spawn(async move {
                    store
                        .append(&stream, ExpectedVersion::NoStream, batch)
                        .await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for client in clients {
            outcomes.push(client.await.unwrap().unwrap());
        }
        let stored_once: Vec<_> = outcomes.iter().map(|o| o.already_stored).collect();
        assert!(stored_once.contains(&true) && stored_once.contains(&false));
        assert_eq!(outcomes[0].records, outcomes[1].records);
        assert_eq!(version(&store, &stream).await, 3);
    }
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

/// Loading an id that only another aggregate type has events for finds nothing: the
/// stream is (type, id), and the error names the type asked for.
pub async fn id_of_another_aggregate_type_loads_as_not_found<S: Store>(store: S) {
    let id = Uuid::now_v7();
    let order = StreamId::new("Order", id.to_string());
    let item = serde_json::json!({ "sku": "a", "quantity": 1, "price_cents": 5 }).to_string();
    append(
        &store,
        &order,
        ExpectedVersion::NoStream,
        vec![raw("ItemAdded", 1, &item)],
    )
    .await
    .unwrap();
    match load_task(&store, id).await {
        Err(Error::NotFound {
            aggregate_type,
            aggregate_id,
        }) => {
            assert_eq!(aggregate_type, "Task");
            assert_eq!(aggregate_id, id.to_string());
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// `replay_stream` hands over the same events as `read_stream`, in order, after the given
/// version, and stops at the first error `apply` returns.
pub async fn replay_stream_feeds_what_read_stream_returns<S: Store>(store: S) {
    let stream = task_stream();
    append(&store, &stream, ExpectedVersion::NoStream, raw_events(5))
        .await
        .unwrap();
    let expected: Vec<_> = store
        .read_stream(&stream, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.version, r.event_type, r.schema_version, r.payload))
        .collect();
    let replayed = store
        .replay_stream(&stream, 2, Vec::new(), |seen, e| {
            seen.push((
                e.version,
                e.event_type.to_owned(),
                e.schema_version,
                e.payload.to_owned(),
            ));
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(replayed, expected);
    let missing = store
        .replay_stream(&task_stream(), 0, 0u32, |n, _| {
            *n += 1;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(missing, 0);
    let stopped = store
        .replay_stream(&stream, 0, 0u64, |n, e| {
            *n += 1;
            if e.version == 2 {
                return Err(Error::Config("stop".into()));
            }
            Ok(())
        })
        .await;
    assert!(matches!(stopped, Err(Error::Config(_))), "{stopped:?}");
}
