//! The SQLite store under faults only a database file can show: corrupt rows (in a stream
//! and in the feed), a panicking handler or worker, and a crash mid-append.

use eventsource::StreamId;
use eventsource::prelude::*;
use eventsource::store::sqlite::{SqliteConfig, Synchronous, Threading};
use eventsource::{Error, snapshot::SnapshotStore};
use eventsource_tests::fixtures::{Task, task_stream};
use eventsource_tests::sqlite::TempSqliteStore;
use eventsource_tests::sqlite::{raw_connection, saved_task};
use std::path::Path;

mod corrupt_rows {
    use super::*;

    /// Saves a 3-event task, then damages its database with `sql` (`?1` is the task's id).
    async fn damaged(sql: &str) -> (TempSqliteStore, Uuid, StreamId) {
        let store = TempSqliteStore::new().await.unwrap();
        let (id, stream) = saved_task(&store.store).await;
        let connection = raw_connection(&store.dir().join("events.db"));
        connection
            .execute_batch(
                "PRAGMA ignore_check_constraints = ON; \
                 DROP TRIGGER eventsource_events_are_never_deleted;",
            )
            .unwrap();
        let changed = connection.execute(sql, [id.to_string()]).unwrap();
        assert!(changed > 0, "the damage changed nothing: {sql}");
        (store, id, stream)
    }

    async fn load(store: &TempSqliteStore, id: Uuid) -> eventsource::Result<AggregateRoot<Task>> {
        Repository::<Task, _>::new(store.clone()).load(id).await
    }

    fn assert_corrupt<T: std::fmt::Debug>(
        result: eventsource::Result<T>,
        stream: &StreamId,
        version: u64,
        words: &[&str],
    ) {
        match result {
            Err(Error::Corrupt {
                stream: s,
                version: v,
                reason,
            }) => {
                assert_eq!(&s, stream);
                assert_eq!(v, version, "{reason}");
                for word in words {
                    assert!(reason.contains(word), "`{word}` not in: {reason}");
                }
            }
            other => panic!("expected a corrupt-stream error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_event_id_that_is_not_a_uuid_names_stream_version_and_type() {
        let (store, id, stream) = damaged(
            "UPDATE eventsource_events SET event_id = 'not-a-uuid' \
             WHERE aggregate_id = ?1 AND version = 2",
        )
        .await;
        let read = store.read_stream(&stream, 0).await;
        assert_corrupt(
            read,
            &stream,
            2,
            &["event_id", "not-a-uuid", "TaskCompleted"],
        );
        let feed = store.read_all(0, usize::MAX).await;
        assert_corrupt(feed, &stream, 2, &["event_id"]);
        // A load reads only what the state is built from, and that is intact.
        assert_eq!(load(&store, id).await.unwrap().version(), 3);
    }

    #[tokio::test]
    async fn a_negative_version_is_a_corrupt_stream() {
        let (store, id, stream) = damaged(
            "UPDATE eventsource_events SET version = -2 WHERE aggregate_id = ?1 AND version = 2",
        )
        .await;
        assert_corrupt(
            load(&store, id).await,
            &stream,
            2,
            &["version 2 is missing"],
        );
    }

    #[tokio::test]
    async fn extra_metadata_that_is_not_a_json_object_is_a_corrupt_stream() {
        let (store, _, stream) = damaged(
            "UPDATE eventsource_events SET extra = '[1, 2' WHERE aggregate_id = ?1 AND version = 3",
        )
        .await;
        let read = store.read_stream(&stream, 0).await;
        assert_corrupt(read, &stream, 3, &["extra", "TaskAssigned"]);
    }

    #[tokio::test]
    async fn a_missing_event_is_a_corrupt_stream_not_a_shorter_aggregate() {
        let (store, id, stream) =
            damaged("DELETE FROM eventsource_events WHERE aggregate_id = ?1 AND version = 2").await;
        assert_corrupt(
            load(&store, id).await,
            &stream,
            2,
            &["version 2 is missing"],
        );
        let read = store.read_stream(&stream, 0).await;
        // The wording every store shares (`backend::check_next_version`).
        assert_corrupt(
            read,
            &stream,
            2,
            &["version 2 is missing: the next stored event is version 3"],
        );
    }

    #[tokio::test]
    async fn a_schema_version_out_of_range_is_a_corrupt_stream() {
        let (store, id, stream) = damaged(
            "UPDATE eventsource_events SET schema_version = -1 \
             WHERE aggregate_id = ?1 AND version = 3",
        )
        .await;
        assert_corrupt(
            load(&store, id).await,
            &stream,
            3,
            &["schema_version", "-1"],
        );
    }

    #[tokio::test]
    async fn a_correlation_id_that_is_not_a_uuid_is_a_corrupt_stream() {
        let (store, _, stream) = damaged(
            "UPDATE eventsource_events SET correlation_id = 'abc' \
             WHERE aggregate_id = ?1 AND version = 1",
        )
        .await;
        let read = store.read_stream(&stream, 0).await;
        assert_corrupt(
            read,
            &stream,
            1,
            &["correlation_id", "`abc`", "TaskCreated"],
        );
    }

    #[tokio::test]
    async fn an_unknown_codec_is_an_error_naming_stream_version_and_type() {
        let (store, id, stream) = damaged(
            "UPDATE eventsource_events SET codec = 'zstd' \
             WHERE aggregate_id = ?1 AND version = 2",
        )
        .await;
        let unknown = |result: eventsource::Result<_>| match result {
            Err(Error::UnknownCodec {
                stream: s,
                version,
                event_type,
                codec,
            }) => (s, version, event_type, codec),
            Ok(()) => panic!("expected an unknown codec error, got a result"),
            Err(other) => panic!("expected an unknown codec error, got {other:?}"),
        };
        let expected = (
            stream.clone(),
            2,
            "TaskCompleted".to_owned(),
            "zstd".to_owned(),
        );
        assert_eq!(unknown(load(&store, id).await.map(drop)), expected);
        assert_eq!(
            unknown(store.read_stream(&stream, 0).await.map(drop)),
            expected
        );
        let page = store.read_feed(0, 10).await.unwrap();
        let items: Vec<bool> = page
            .iter()
            .map(|item| matches!(item, eventsource::store::FeedEntryRef::Event(_)))
            .collect();
        assert_eq!(
            items,
            [true, false, true],
            "the bad row is unreadable in the feed"
        );
    }

    #[tokio::test]
    async fn a_binary_row_without_its_bytes_is_a_corrupt_stream() {
        let (store, id, stream) = damaged(
            "UPDATE eventsource_events SET codec = 'msgpack' \
             WHERE aggregate_id = ?1 AND version = 1",
        )
        .await;
        assert_corrupt(
            load(&store, id).await,
            &stream,
            1,
            &["payload_binary", "msgpack", "TaskCreated"],
        );
    }

    #[tokio::test]
    async fn an_undecodable_payload_is_a_decode_error_naming_stream_version_and_type() {
        let (store, id, stream) = damaged(
            "UPDATE eventsource_events SET payload = '{\"completed_by\": 7}' \
             WHERE aggregate_id = ?1 AND version = 2",
        )
        .await;
        match load(&store, id).await {
            Err(Error::Decode {
                stream: s,
                version,
                event_type,
                ..
            }) => {
                assert_eq!(
                    (s, version, event_type.as_str()),
                    (stream, 2, "TaskCompleted")
                );
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_damaged_snapshot_is_a_corrupt_stream() {
        let store = TempSqliteStore::new().await.unwrap();
        let snapshots = store.snapshots();
        let stream = task_stream();
        snapshots
            .save(&eventsource::snapshot::Snapshot::new(
                stream.clone(),
                4,
                1,
                "{}",
                std::time::SystemTime::UNIX_EPOCH,
            ))
            .await
            .unwrap();
        let connection = raw_connection(&store.dir().join("events.db"));
        connection
            .execute_batch(
                "PRAGMA ignore_check_constraints = ON; \
                 UPDATE eventsource_snapshots SET schema_version = -5",
            )
            .unwrap();
        assert_corrupt(
            snapshots.load(&stream).await,
            &stream,
            4,
            &["schema_version"],
        );
    }
}

/// A feed row that cannot be read never blocks a subscription silently: it is parked with
/// its typed error (and skipped, or the subscription stops at it).
mod corrupt_rows_in_the_feed {
    use super::*;
    use eventsource::store::FeedEntry;
    use eventsource_tests::subscription_suite;

    async fn store_with_a_corrupt_second_event() -> (TempSqliteStore, u64, u64) {
        let store = TempSqliteStore::new().await.unwrap();
        let (id, _) = saved_task(&store.store).await;
        let connection = raw_connection(&store.dir().join("events.db"));
        let changed = connection
            .execute(
                "UPDATE eventsource_events SET event_id = 'not-a-uuid' \
                 WHERE aggregate_id = ?1 AND version = 2",
                [id.to_string()],
            )
            .unwrap();
        assert_eq!(changed, 1);
        let entries = store.read_feed(0, 10).await.unwrap().into_entries();
        let positions: Vec<u64> = entries.iter().map(FeedEntry::position).collect();
        assert_eq!(positions.len(), 3);
        assert!(matches!(entries[0], FeedEntry::Event(_)));
        assert!(
            matches!(&entries[1], FeedEntry::Unreadable { error: Error::Corrupt { reason, .. }, .. } if reason.contains("event_id")),
            "{:?}",
            entries[1]
        );
        assert!(matches!(entries[2], FeedEntry::Event(_)));
        (store, positions[1], positions[2])
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn is_parked_with_its_error_and_skipped() {
        let (store, corrupt, head) = store_with_a_corrupt_second_event().await;
        subscription_suite::unreadable_row_is_parked_and_skipped(store, corrupt, head, "event_id")
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stops_the_subscription_with_the_stop_policy() {
        let (store, corrupt, _) = store_with_a_corrupt_second_event().await;
        subscription_suite::unreadable_row_stops_the_subscription_with_the_stop_policy(
            store,
            corrupt,
            corrupt - 1,
            "event_id",
        )
        .await;
    }
}

mod panics {
    use super::*;

    #[event]
    pub struct Fuse;

    /// An aggregate whose handler panics: a bug in user code.
    #[derive(Aggregate, Debug, Default)]
    pub struct Fragile;

    #[apply]
    impl Fragile {
        fn blow(&mut self, _: &Fuse) {
            panic!("handler bug");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_apply_handler_reaches_the_caller_and_the_store_keeps_working() {
        for threading in [Threading::DedicatedThread, Threading::SpawnBlocking] {
            let store = TempSqliteStore::with(|c| c.threading(threading))
                .await
                .unwrap();
            let id = Uuid::now_v7();
            let stream = StreamId::new("Fragile", id.to_string());
            store
                .append(
                    &stream,
                    ExpectedVersion::NoStream,
                    vec![eventsource_tests::fixtures::raw("Fuse", 1, "null")],
                )
                .await
                .unwrap();
            let repo = Repository::<Fragile, _>::new(store.clone());
            let load = tokio::spawn(async move { repo.load(id).await.map(drop) });
            let panic = load.await.unwrap_err();
            assert!(panic.is_panic(), "{panic:?}");
            let (task, _) = saved_task(&store.store).await;
            let loaded = Repository::<Task, _>::new(store.clone()).load(task).await;
            assert_eq!(loaded.unwrap().version(), 3);
        }
    }
}

mod crash {
    //! A child process (this test binary, re-run with an environment variable that selects
    //! the child's test) appends 5-event batches from several tasks until it is killed
    //! with SIGKILL; the parent reopens the file and checks that only whole batches are
    //! there and that the feed is consistent. Three kills, on the same file.

    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::Duration;

    const CHILD_DB: &str = "EVENTSOURCE_CRASH_TEST_CHILD_DB";
    const BATCH: usize = 5;
    const STREAMS: usize = 8;

    fn streams() -> Vec<StreamId> {
        (0..STREAMS)
            .map(|i| StreamId::new("Crash", format!("stream-{i}")))
            .collect()
    }

    /// The child's work; does nothing unless run as the child.
    #[test]
    fn child_appends_batches_until_killed() {
        let Ok(path) = std::env::var(CHILD_DB) else {
            return;
        };
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let config = SqliteConfig::file(path).synchronous(Synchronous::Normal);
            let store = SqliteEventStore::open_with(config).await.unwrap();
            let writers: Vec<_> = (0..4)
                .map(|writer| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        for n in 0u64.. {
                            let stream = &streams()[(writer + n as usize) % STREAMS];
                            let batch_id = Uuid::now_v7();
                            let events = (0..BATCH)
                                .map(|index| {
                                    let payload = serde_json::json!({
                                        "batch": batch_id, "index": index, "pad": "x".repeat(500)
                                    });
                                    eventsource_tests::fixtures::raw(
                                        "Crashed",
                                        1,
                                        &payload.to_string(),
                                    )
                                })
                                .collect();
                            store
                                .append(stream, ExpectedVersion::Any, events)
                                .await
                                .unwrap();
                            if n == 10 && writer == 0 {
                                println!("ready");
                            }
                        }
                    })
                })
                .collect();
            for writer in writers {
                writer.await.unwrap();
            }
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_mid_appends_leaves_only_whole_batches_and_a_consistent_feed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crash.db");
        let mut previous_total = 0;
        for round in 0..3u64 {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "crash::child_appends_batches_until_killed",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_DB, &path)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            let ready = tokio::task::spawn_blocking(move || {
                BufReader::new(stdout)
                    .lines()
                    .map_while(Result::ok)
                    .any(|line| line.contains("ready"))
            })
            .await
            .unwrap();
            assert!(ready, "the child stopped before it was ready");
            tokio::time::sleep(Duration::from_millis(150 + 70 * round)).await;
            assert!(
                child.try_wait().unwrap().is_none(),
                "the child ended by itself"
            );
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();

            let total = check_whole_batches(&path).await;
            assert!(
                total > previous_total,
                "round {round}: no new events ({total})"
            );
            previous_total = total;
        }
    }

    /// Checks the database and returns how many events it holds.
    async fn check_whole_batches(path: &Path) -> usize {
        let integrity: String = raw_connection(path)
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        let store = SqliteEventStore::open(path).await.unwrap();
        let mut total = 0;
        for stream in streams() {
            let events = store.read_stream(&stream, 0).await.unwrap();
            assert_eq!(
                store.stream_version(&stream).await.unwrap(),
                events.len() as u64
            );
            assert_eq!(events.len() % BATCH, 0, "{stream}: {} events", events.len());
            for (event, version) in events.iter().zip(1..) {
                assert_eq!(event.version, version);
            }
            for batch in events.chunks(BATCH) {
                let payloads: Vec<serde_json::Value> = batch
                    .iter()
                    .map(|e| serde_json::from_str(&e.payload).unwrap())
                    .collect();
                for (index, payload) in payloads.iter().enumerate() {
                    assert_eq!(payload["batch"], payloads[0]["batch"], "{stream}");
                    assert_eq!(payload["index"], index, "{stream}");
                }
            }
            total += events.len();
        }
        let feed = store.read_all(0, usize::MAX).await.unwrap();
        assert_eq!(feed.len(), total);
        assert!(feed.windows(2).all(|w| w[0].position < w[1].position));
        assert_eq!(feed.first().map(|e| e.position), Some(1));
        assert_eq!(
            feed.last().map(|e| e.position),
            Some(total as u64),
            "the feed has gaps"
        );
        total
    }
}
