//! Reading a stream back, and replaying it.

use super::support::*;
use crate::error::{ConfigKind, Error};
use crate::store::ExpectedVersion;
use crate::testkit::fixtures::{raw_events, task_stream};

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

/// Reading after `u64::MAX` (version or position) is empty, not an error.
///
/// SQL databases keep signed 64-bit integers: the bound must not overflow.
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

/// `replay_stream` hands over what `read_stream` returns, in order, and stops at an error.
///
/// It starts after the given version, and ends at the first error `apply` returns.
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
                return Err(Error::config(ConfigKind::Other, "stop"));
            }
            Ok(())
        })
        .await;
    assert!(matches!(stopped, Err(Error::Config { .. })), "{stopped:?}");
}

/// `feed_position_at(t)` is the position before the first event (in feed order) recorded
/// at or after `t`, the head when none is; `stream_version_at(stream, t)` is the version
/// before the stream's first such event, its version when none is (0 for no stream).
pub async fn the_feed_and_a_stream_are_read_from_a_point_in_time<S: Store>(store: S) {
    use crate::event::EventMetadata;
    // Far in the future, so that no other event of the store is as recent.
    let second = 1_000_000;
    let start = 4_102_444_800 * second; // 2100-01-01, in microseconds
    let at = |seconds: i64| EventMetadata::time_from_micros(start + seconds * second);
    let (a, b) = (task_stream(), task_stream());
    for (stream, seconds) in [(&a, 1), (&a, 2), (&b, 3), (&a, 4)] {
        let mut events = raw_events(1);
        events[0].metadata.occurred_at = at(seconds);
        append(&store, stream, ExpectedVersion::Any, events)
            .await
            .unwrap();
    }
    let feed = store.read_all(0, usize::MAX).await.unwrap();
    let ours: Vec<_> = feed
        .iter()
        .filter(|e| e.metadata.occurred_at >= at(1))
        .collect();
    assert_eq!(ours.len(), 4);

    let from = store.feed_position_at(at(2)).await.unwrap();
    let since = store.read_all(from, usize::MAX).await.unwrap();
    let times: Vec<_> = since.iter().map(|e| e.metadata.occurred_at).collect();
    assert_eq!(times, [at(2), at(3), at(4)]);
    let head = store.head_position().await.unwrap();
    assert_eq!(store.feed_position_at(at(5)).await.unwrap(), head);
    let from_start = store.feed_position_at(at(1)).await.unwrap();
    assert_eq!(
        store.read_all(from_start, usize::MAX).await.unwrap().len(),
        4
    );

    assert_eq!(store.stream_version_at(&a, at(2)).await.unwrap(), 1);
    let a_since = store.read_stream(&a, 1).await.unwrap();
    assert_eq!(
        a_since.iter().map(|e| e.version).collect::<Vec<_>>(),
        [2, 3]
    );
    assert_eq!(store.stream_version_at(&a, at(3)).await.unwrap(), 2);
    assert_eq!(store.stream_version_at(&a, at(9)).await.unwrap(), 3);
    assert_eq!(store.stream_version_at(&b, at(0)).await.unwrap(), 0);
    assert_eq!(
        store
            .stream_version_at(&task_stream(), at(0))
            .await
            .unwrap(),
        0
    );
}
