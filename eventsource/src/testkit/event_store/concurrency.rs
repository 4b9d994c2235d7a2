//! Writers at the same time: one winner per version, nothing lost, retries stored once.

use super::support::*;
use crate::store::ExpectedVersion;
use crate::testkit::fixtures::{raw_event, raw_events, task_stream};

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

/// Writers racing on one stream, retrying on conflict, lose no event and store none twice.
///
/// 8 tasks append 200 events each: 1,600 events, versions 1..=1,600, each id once.
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

/// One batch retried by two clients at once is stored once, and both succeed.
///
/// One of them wrote it; the other is told it was already stored.
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
