//! The global feed: positions and paging.

use super::support::*;
use crate::store::{ExpectedVersion, StreamId};
use crate::testkit::fixtures::{raw_events, task_stream};
use uuid::Uuid;

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
