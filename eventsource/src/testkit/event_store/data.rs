//! What goes in comes back: payloads, metadata, stream identities and sizes.

use super::support::*;
use crate::event::EventMetadata;
use crate::store::{ExpectedVersion, MAX_AGGREGATE_ID_BYTES, MAX_AGGREGATE_TYPE_BYTES, StreamId};
use crate::testkit::fixtures::{
    assert_refused, raw, raw_event, raw_events, streams_outside_the_rule, task_stream,
};
use std::collections::BTreeMap;
use uuid::Uuid;

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

/// A stream whose aggregate type and id are as long as the rule allows
/// ([`MAX_AGGREGATE_TYPE_BYTES`], [`MAX_AGGREGATE_ID_BYTES`]) is stored and read like any
/// other, even when the id does not compress (random hex).
pub async fn streams_up_to_the_id_limits_round_trip<S: Store>(store: S) {
    let mut id = String::new();
    while id.len() < MAX_AGGREGATE_ID_BYTES {
        id.push_str(&Uuid::new_v4().simple().to_string());
    }
    id.truncate(MAX_AGGREGATE_ID_BYTES);
    let aggregate_type = "T".repeat(MAX_AGGREGATE_TYPE_BYTES);
    let stream = StreamId::new(aggregate_type, id);
    let outcome = append(&store, &stream, ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    assert_eq!(outcome.version(), Some(2));
    assert_eq!(version(&store, &stream).await, 2);
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read.len(), 2);
    assert!(read.iter().all(|event| event.stream == stream));
}

/// An aggregate id over [`MAX_AGGREGATE_ID_BYTES`], a type over
/// [`MAX_AGGREGATE_TYPE_BYTES`], or a NUL character in either, is refused by every
/// operation with [`Error::InvalidStream`](crate::Error::InvalidStream) naming the limit, and nothing is written.
pub async fn streams_outside_the_id_rule_are_refused_before_any_write<S: Store>(store: S) {
    let feed_before = store.read_all(0, usize::MAX).await.unwrap().len();
    for (stream, named) in streams_outside_the_rule() {
        let refused = |result, operation: &str| assert_refused(result, &stream, named, operation);
        let appended = append(&store, &stream, ExpectedVersion::Any, raw_events(1)).await;
        refused(appended.map(drop), "append");
        refused(store.read_stream(&stream, 0).await.map(drop), "read_stream");
        refused(
            store.stream_version(&stream).await.map(drop),
            "stream_version",
        );
    }
    assert_eq!(
        store.read_all(0, usize::MAX).await.unwrap().len(),
        feed_before
    );
}
