//! The PostgreSQL store against a real server (`DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own.
//! Unreachable server: skipped with a printed line, or a failure under `CI=true`.
//!
//! The read side: migration 2, checkpoints, parked events, the feed as entries,
//! wake-ups, and unreadable rows in the feed.

#![cfg(feature = "postgres")]

use eventsource::prelude::*;
use eventsource::store::{FeedEntry, ParkedEvent, SubscriptionStore};
use eventsource::{
    Error, EventMetadata,
    error::{ConfigKind, SchemaKind},
};
use eventsource_tests::fixtures::{raw_events, task_stream};
use eventsource_tests::postgres::{PgTestStore, pg_store_with};
use eventsource_tests::postgres::{admin_of, pg_store, store_with_corrupt_metadata_at_version_two};
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// The read side: migration 2, checkpoints, parked events, the feed as entries, wake-ups.
// Called on `store()`, the PostgreSQL store itself: the test holder forwards only the
// methods it knows of, and these must run the store's own implementations.

/// A schema as a version-1 store left it: the later versions' tables and records removed.
async fn downgrade_to_version_one(store: &PgTestStore) {
    let s = store.schema_name();
    admin_of(store)
        .await
        .batch_execute(&format!(
            "DROP TABLE \"{s}\".checkpoints; DROP TABLE \"{s}\".parked; \
             DROP TABLE \"{s}\".states; DROP INDEX \"{s}\".events_occurred_at; \
             ALTER TABLE \"{s}\".events DROP COLUMN codec, DROP COLUMN payload_binary; \
             ALTER TABLE \"{s}\".snapshots DROP COLUMN codec, DROP COLUMN state_binary; \
             DELETE FROM \"{s}\".schema_migrations WHERE version > 1;"
        ))
        .await
        .expect("downgrade the schema to version 1");
}

#[tokio::test]
async fn a_version_one_schema_upgrades_and_keeps_its_events() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    downgrade_to_version_one(&store).await;
    let upgraded = store.reconnect(|c| c).await.unwrap();
    let versions: Vec<i32> = admin_of(&store)
        .await
        .query(
            &format!(
                "SELECT version FROM \"{}\".schema_migrations ORDER BY version",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    assert_eq!(upgraded.read_stream(&stream, 0).await.unwrap().len(), 2);
    upgraded.store_checkpoint("upgraded", 7).await.unwrap();
    assert_eq!(upgraded.checkpoint("upgraded").await.unwrap(), Some(7));
}

#[tokio::test]
async fn checkpoints_are_stored_replaced_and_deleted() {
    let Some(store) = pg_store().await else {
        return;
    };
    assert_eq!(store.checkpoint("projection").await.unwrap(), None);
    store.store_checkpoint("projection", 5).await.unwrap();
    store.store_checkpoint("other", 9).await.unwrap();
    assert_eq!(store.checkpoint("projection").await.unwrap(), Some(5));
    store.store_checkpoint("projection", 12).await.unwrap();
    assert_eq!(store.checkpoint("projection").await.unwrap(), Some(12));
    store.delete_checkpoint("projection").await.unwrap();
    assert_eq!(store.checkpoint("projection").await.unwrap(), None);
    assert_eq!(store.checkpoint("other").await.unwrap(), Some(9));
    // Names are values, never SQL.
    let odd = "x'); DROP TABLE checkpoints; --";
    store.store_checkpoint(odd, 1).await.unwrap();
    assert_eq!(store.checkpoint(odd).await.unwrap(), Some(1));
    let result = store.store_checkpoint("huge", u64::MAX).await;
    assert!(
        matches!(
            result,
            Err(Error::Config {
                kind: ConfigKind::OutOfRange,
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_negative_stored_checkpoint_is_a_typed_error() {
    let Some(store) = pg_store().await else {
        return;
    };
    store.store_checkpoint("projection", 3).await.unwrap();
    admin_of(&store)
        .await
        .batch_execute(&format!(
            "UPDATE \"{}\".checkpoints SET position = -3",
            store.schema_name()
        ))
        .await
        .unwrap();
    let result = store.checkpoint("projection").await;
    assert!(
        matches!(
            result,
            Err(Error::Schema {
                kind: SchemaKind::Damaged,
                ..
            })
        ),
        "{result:?}"
    );
}

fn parked(subscription: &str, position: u64, error: &str, attempts: u32) -> ParkedEvent {
    ParkedEvent {
        subscription: subscription.to_owned(),
        position,
        stream: Some(task_stream()),
        version: Some(position),
        event_type: Some("TaskAssigned".to_owned()),
        error: error.to_owned(),
        attempts,
        parked_at: EventMetadata::time_from_micros(1_700_000_000_123_456),
    }
}

#[tokio::test]
async fn parked_events_are_upserted_listed_in_order_and_discarded() {
    let Some(store) = pg_store().await else {
        return;
    };
    let late = parked("projection", 30, "boom", 3);
    let early = parked("projection", 10, "bang", 1);
    // A feed row that could not be read: nothing known but its position.
    let unreadable = ParkedEvent {
        stream: None,
        version: None,
        event_type: None,
        ..parked("projection", 20, "corrupt row", 0)
    };
    for event in [&late, &early, &unreadable, &parked("other", 15, "x", 1)] {
        store.park(event).await.unwrap();
    }
    assert_eq!(
        store.parked("projection").await.unwrap(),
        [early.clone(), unreadable.clone(), late.clone()]
    );
    let retried = ParkedEvent {
        error: "boom again".to_owned(),
        attempts: 6,
        ..late.clone()
    };
    store.park(&retried).await.unwrap();
    assert_eq!(
        store.parked("projection").await.unwrap(),
        [early.clone(), unreadable.clone(), retried]
    );
    assert!(store.discard_parked("projection", 20).await.unwrap());
    assert!(!store.discard_parked("projection", 20).await.unwrap());
    assert!(!store.discard_parked("projection", u64::MAX).await.unwrap());
    assert_eq!(store.parked("projection").await.unwrap().len(), 2);
    assert_eq!(store.parked("other").await.unwrap().len(), 1);
    assert!(store.parked("nobody").await.unwrap().is_empty());
}

#[tokio::test]
async fn head_position_is_the_newest_appended_position() {
    let Some(store) = pg_store().await else {
        return;
    };
    assert_eq!(store.store().head_position().await.unwrap(), 0);
    store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    let last = store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap()
        .records[2]
        .position;
    assert_eq!(store.store().head_position().await.unwrap(), last);
    let feed = store.read_all(0, 100).await.unwrap();
    assert_eq!(feed.last().map(|r| r.position), Some(last));
}

#[tokio::test]
async fn read_feed_hands_over_a_corrupt_row_and_read_all_still_fails_on_it() {
    let Some(store) = pg_store().await else {
        return;
    };
    let records = store_with_corrupt_metadata_at_version_two(&store).await;
    let stream = records[0].stream.clone();
    let entries = store.store().read_feed(0, 10).await.unwrap().into_entries();
    assert_eq!(entries.len(), 3, "{entries:?}");
    match &entries[..] {
        [
            FeedEntry::Event(first),
            FeedEntry::Unreadable { position, error },
            FeedEntry::Event(third),
        ] => {
            assert_eq!(first, &records[0]);
            assert_eq!(*position, records[1].position);
            assert!(
                matches!(error, Error::Corrupt { stream: s, version: 2, .. } if *s == stream),
                "{error:?}"
            );
            assert_eq!(third, &records[2]);
        }
        other => panic!("expected event, unreadable, event: {other:?}"),
    }
    // Reading on after the bad row gives only what follows it.
    let after = store
        .store()
        .read_feed(records[1].position, 10)
        .await
        .unwrap()
        .into_entries();
    assert!(matches!(&after[..], [FeedEntry::Event(r)] if *r == records[2]));
    let result = store.read_all(0, 10).await;
    assert!(
        matches!(result, Err(Error::Corrupt { version: 2, .. })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_signal_wakes_after_an_append_from_another_store() {
    let Some(store) = pg_store().await else {
        return;
    };
    let mut signal = store
        .store()
        .append_signal()
        .await
        .unwrap()
        .expect("a signal when notifications are on");
    let writer = store.reconnect(|c| c).await.unwrap();
    writer
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(10), signal.wait())
        .await
        .expect("woken within 10 s");
    assert!(woken);
}

#[tokio::test]
async fn append_signal_is_none_without_notifications() {
    let Some(store) = pg_store_with(|c| c.notifications(false)).await else {
        return;
    };
    assert!(store.store().append_signal().await.unwrap().is_none());
}

/// A feed row that cannot be read is parked by a subscription with its typed error (and
/// skipped), or stops it at the row with the stop policy.
mod corrupt_rows_in_the_feed {
    use super::*;
    use eventsource_tests::subscription_suite;

    /// Three events, the second with corrupt metadata: the store, the three positions.
    async fn store_with_a_corrupt_second_event() -> Option<(PgTestStore, [u64; 3])> {
        let store = pg_store().await?;
        let records = store_with_corrupt_metadata_at_version_two(&store).await;
        let positions = [
            records[0].position,
            records[1].position,
            records[2].position,
        ];
        Some((store, positions))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn is_parked_with_its_error_and_skipped() {
        let Some((store, [_, corrupt, head])) = store_with_a_corrupt_second_event().await else {
            return;
        };
        subscription_suite::unreadable_row_is_parked_and_skipped(store, corrupt, head, "corrupt")
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stops_the_subscription_with_the_stop_policy() {
        let Some((store, [before, corrupt, _])) = store_with_a_corrupt_second_event().await else {
            return;
        };
        subscription_suite::unreadable_row_stops_the_subscription_with_the_stop_policy(
            store, corrupt, before, "corrupt",
        )
        .await;
    }
}
