//! The conformance suites on the SQLite store (a fresh database file per case, an
//! in-memory database, and the `spawn_blocking` threading), the snapshot behaviour suite
//! on a fresh database file per case, then what only a database file can show: reopening,
//! schema upgrades, corrupt rows and a crash mid-append.

eventsource::event_store_conformance!(async {
    Some(TempSqliteStore::new().await.expect("open a SQLite store"))
});

mod subscriptions {
    eventsource_tests::subscription_suite!(async {
        Some(
            eventsource_tests::sqlite::TempSqliteStore::new()
                .await
                .expect("open a SQLite store"),
        )
    });
}

mod codecs {
    eventsource_tests::codec_suite!(async {
        Some(
            eventsource_tests::sqlite::TempSqliteStore::new()
                .await
                .expect("open a SQLite store"),
        )
    });
}

mod evolution {
    eventsource_tests::evolution_suite!(async {
        Some(
            eventsource_tests::sqlite::TempSqliteStore::new()
                .await
                .expect("open a SQLite store"),
        )
    });
}

mod in_memory {
    eventsource::event_store_conformance!(async {
        Some(
            eventsource::SqliteEventStore::in_memory()
                .await
                .expect("open an in-memory SQLite store"),
        )
    });
}

mod spawn_blocking {
    eventsource::event_store_conformance!(async {
        Some(
            eventsource_tests::sqlite::TempSqliteStore::with(|config| {
                config.threading(eventsource::store::sqlite::Threading::SpawnBlocking)
            })
            .await
            .expect("open a SQLite store"),
        )
    });
}

mod snapshots {
    eventsource::snapshot_store_conformance!(async {
        Some(
            eventsource_tests::sqlite::TempSqliteStore::new()
                .await
                .expect("open a SQLite store")
                .snapshots(),
        )
    });
}

mod snapshot_behaviour {
    eventsource::snapshot_behaviour_conformance!(async {
        Some(
            eventsource_tests::sqlite::TempSqliteStore::new()
                .await
                .expect("open a SQLite store")
                .backend(),
        )
    });
}

use eventsource::StreamId;
use eventsource::prelude::*;
use eventsource::store::sqlite::{SqliteConfig, Synchronous, Threading};
use eventsource::{
    Error,
    error::{ConfigKind, SchemaKind},
    snapshot::SnapshotStore,
};
use eventsource_tests::fixtures::{Task, raw_events, task_stream};
use eventsource_tests::sqlite::TempSqliteStore;
use std::path::Path;

fn raw_connection(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the database file directly")
}

async fn saved_task(store: &SqliteEventStore) -> (Uuid, StreamId) {
    let repo = Repository::<Task, _>::new(store.clone());
    let id = Uuid::now_v7();
    let mut task = repo.create_new(id);
    task.execute(|t| t.create("write tests")).unwrap();
    task.execute(|t| t.complete(Uuid::nil())).unwrap();
    repo.save(&mut task).await.unwrap();
    let mut task = repo.load(id).await.unwrap();
    task.record(eventsource_tests::fixtures::TaskAssigned {
        assigned_to: Uuid::nil(),
    });
    repo.save(&mut task).await.unwrap();
    (id, task.stream())
}

/// Every public future of the SQLite stores is `Send`, so it can be spawned.
#[allow(dead_code, clippy::let_underscore_future)]
fn futures_are_send(
    store: SqliteEventStore,
    stream: StreamId,
    snapshot: eventsource::snapshot::Snapshot,
) {
    fn send<T: Send>(_: T) {}
    send(SqliteEventStore::open("x.db"));
    send(SqliteEventStore::in_memory());
    send(SqliteEventStore::open_with(SqliteConfig::in_memory()));
    send(store.append(&stream, ExpectedVersion::Any, Vec::new()));
    send(store.read_stream(&stream, 0));
    send(store.stream_version(&stream));
    send(store.read_all(0, 1));
    send(store.replay_stream(&stream, 0, (), |_, _| Ok(())));
    let snapshots = store.snapshot_store();
    send(snapshots.save(&snapshot));
    send(snapshots.load(&stream));
    send(snapshots.delete(&stream));
    send(Repository::<Task, _>::new(store.clone()).load(Uuid::nil()));
}

mod reopen {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reopened_file_keeps_history_and_continues_the_feed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let store = SqliteEventStore::open(&path).await.unwrap();
        let (id, stream) = saved_task(&store).await;
        let before = store.read_all(0, usize::MAX).await.unwrap();
        drop(store);

        let store = SqliteEventStore::open(&path).await.unwrap();
        assert_eq!(store.path(), Some(path.as_path()));
        assert_eq!(store.read_all(0, usize::MAX).await.unwrap(), before);
        let repo = Repository::<Task, _>::new(store.clone());
        let task = repo.load(id).await.unwrap();
        assert_eq!(task.version(), 3);
        assert!(task.completed);
        let next = store
            .append(&stream, ExpectedVersion::Exact(3), raw_events(1))
            .await
            .unwrap();
        assert_eq!(next.records[0].version, 4);
        assert_eq!(
            next.records[0].position,
            before.last().unwrap().position + 1
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_stores_on_one_file_see_each_other_and_exactly_one_writer_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let a = SqliteEventStore::open(&path).await.unwrap();
        let b =
            SqliteEventStore::open_with(SqliteConfig::file(&path).synchronous(Synchronous::Normal))
                .await
                .unwrap();
        for _ in 0..20 {
            let stream = task_stream();
            a.append(&stream, ExpectedVersion::NoStream, raw_events(1))
                .await
                .unwrap();
            assert_eq!(b.stream_version(&stream).await.unwrap(), 1);
            let (ra, rb) = tokio::join!(
                a.append(&stream, ExpectedVersion::Exact(1), raw_events(2)),
                b.append(&stream, ExpectedVersion::Exact(1), raw_events(2)),
            );
            assert_eq!(
                usize::from(ra.is_ok()) + usize::from(rb.is_ok()),
                1,
                "{ra:?} {rb:?}"
            );
            for result in [ra, rb] {
                if let Err(error) = result {
                    assert!(error.is_conflict(), "{error:?}");
                }
            }
            assert_eq!(a.read_stream(&stream, 0).await.unwrap().len(), 3);
        }
    }

    #[tokio::test]
    async fn stored_events_cannot_be_deleted_so_feed_positions_are_never_reused() {
        let store = TempSqliteStore::new().await.unwrap();
        let stream = task_stream();
        store
            .append(&stream, ExpectedVersion::NoStream, raw_events(2))
            .await
            .unwrap();
        let error = raw_connection(&store.dir().join("events.db"))
            .execute("DELETE FROM eventsource_events WHERE version = 2", [])
            .unwrap_err();
        assert!(error.to_string().contains("never deleted"), "{error}");
        let next = store
            .append(&stream, ExpectedVersion::Exact(2), raw_events(1))
            .await
            .unwrap();
        assert_eq!(next.records[0].position, 3);
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(
            &path,
            "shopping list: milk, eggs, and a lot more text here ".repeat(100),
        )
        .unwrap();
        let error = SqliteEventStore::open(&path).await.unwrap_err();
        assert!(error.to_string().contains("not a database"), "{error}");
    }

    #[tokio::test]
    async fn a_directory_that_does_not_exist_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("events.db");
        let error = SqliteEventStore::open(&path).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Config {
                    kind: ConfigKind::Database,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("missing"), "{error}");
    }
}

mod migrations {
    use super::*;

    /// The schema exactly as version 1 of the store created it. Frozen: never edit it to
    /// follow later migrations, it is what old databases out there look like.
    const SCHEMA_V1: &str = "
        CREATE TABLE eventsource_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE eventsource_events (
            position       INTEGER PRIMARY KEY,
            aggregate_type TEXT    NOT NULL,
            aggregate_id   TEXT    NOT NULL,
            version        INTEGER NOT NULL CHECK (version >= 1),
            event_id       TEXT    NOT NULL,
            event_type     TEXT    NOT NULL,
            schema_version INTEGER NOT NULL CHECK (schema_version >= 0),
            payload        TEXT    NOT NULL,
            correlation_id TEXT,
            causation_id   TEXT,
            extra          TEXT    NOT NULL,
            occurred_at    INTEGER NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX eventsource_events_stream_version
            ON eventsource_events (aggregate_type, aggregate_id, version);
        CREATE UNIQUE INDEX eventsource_events_stream_event_id
            ON eventsource_events (aggregate_type, aggregate_id, event_id);
        CREATE TRIGGER eventsource_events_are_never_deleted
            BEFORE DELETE ON eventsource_events
        BEGIN
            SELECT RAISE(ABORT, 'eventsource: stored events are never deleted');
        END;
        INSERT INTO eventsource_migrations VALUES (1, 'events', 1700000000000000);
        PRAGMA journal_mode = WAL;
    ";

    #[tokio::test]
    async fn a_database_of_schema_version_1_is_upgraded_and_keeps_its_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let id = Uuid::now_v7();
        {
            let old = raw_connection(&path);
            old.execute_batch(SCHEMA_V1).unwrap();
            old.execute(
                "INSERT INTO eventsource_events VALUES (1, 'Task', ?1, 1, ?2, 'TaskCreated', 1, \
                 '{\"title\":\"from v1\",\"description\":\"\"}', NULL, NULL, '{}', 1700000000000000)",
                [id.to_string(), Uuid::now_v7().to_string()],
            )
            .unwrap();
        }

        let store = SqliteEventStore::open(&path).await.unwrap();
        let task = Repository::<Task, _>::new(store.clone())
            .load(id)
            .await
            .unwrap();
        assert_eq!(task.title, "from v1");
        let stream = task.stream();
        let snapshots = store.snapshot_store();
        let snapshot = eventsource::snapshot::Snapshot::new(
            stream.clone(),
            1,
            1,
            "{}",
            std::time::SystemTime::UNIX_EPOCH,
        );
        snapshots.save(&snapshot).await.unwrap();
        assert_eq!(snapshots.load(&stream).await.unwrap(), Some(snapshot));
        drop((store, snapshots));

        let recorded: Vec<(i64, String)> = raw_connection(&path)
            .prepare("SELECT version, name FROM eventsource_migrations ORDER BY version")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            recorded,
            [
                (1, "events".into()),
                (2, "snapshots".into()),
                (3, "subscriptions".into()),
                (4, "aggregate states".into()),
                (5, "events by time".into()),
                (6, "codecs".into())
            ]
        );
        assert_eq!(SqliteEventStore::SCHEMA_VERSION, 6);
    }

    #[tokio::test]
    async fn a_database_from_a_newer_version_is_refused_with_a_schema_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        drop(SqliteEventStore::open(&path).await.unwrap());
        raw_connection(&path)
            .execute(
                "INSERT INTO eventsource_migrations VALUES (?1, 'from the future', 0)",
                [SqliteEventStore::SCHEMA_VERSION + 1],
            )
            .unwrap();
        match SqliteEventStore::open(&path).await {
            Err(Error::Schema {
                kind: SchemaKind::Newer { found, known },
                reason: message,
            }) => {
                assert_eq!(
                    (found, known),
                    (
                        SqliteEventStore::SCHEMA_VERSION + 1,
                        SqliteEventStore::SCHEMA_VERSION
                    )
                );
                let newer = (SqliteEventStore::SCHEMA_VERSION + 1).to_string();
                assert!(message.contains(&newer), "{message}");
                assert!(
                    message.contains("newer version of eventsource"),
                    "{message}"
                );
            }
            other => panic!("expected a schema error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_migration_record_of_another_program_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        drop(SqliteEventStore::open(&path).await.unwrap());
        raw_connection(&path)
            .execute(
                "UPDATE eventsource_migrations SET name = 'something else' WHERE version = 1",
                [],
            )
            .unwrap();
        let error = SqliteEventStore::open(&path).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Schema {
                    kind: SchemaKind::Damaged,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("something else"), "{error}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stores_opened_together_on_a_new_file_migrate_it_once() {
        let dir = tempfile::tempdir().unwrap();
        for attempt in 0..5 {
            let path = dir.path().join(format!("race-{attempt}.db"));
            let opens: Vec<_> = (0..8)
                .map(|_| tokio::spawn(SqliteEventStore::open(path.clone())))
                .collect();
            for open in opens {
                open.await.unwrap().unwrap();
            }
            let count: i64 = raw_connection(&path)
                .query_row("SELECT count(*) FROM eventsource_migrations", [], |row| {
                    row.get(0)
                })
                .unwrap();
            assert_eq!(count, i64::from(SqliteEventStore::SCHEMA_VERSION));
        }
    }
}

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
            .map(|item| matches!(item, eventsource::store::FeedItem::Event(_)))
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

/// A snapshot version the database cannot hold is refused, never capped to another
/// version.
#[tokio::test]
async fn a_snapshot_version_beyond_the_databases_integers_is_refused() {
    let store = TempSqliteStore::new().await.unwrap();
    let snapshots = store.snapshots();
    let stream = StreamId::new("Account", Uuid::now_v7().to_string());
    let snapshot = eventsource::snapshot::Snapshot::new(
        stream.clone(),
        u64::MAX,
        1,
        "{}",
        std::time::SystemTime::UNIX_EPOCH,
    );
    match snapshots.save(&snapshot).await {
        Err(Error::Config {
            kind: ConfigKind::OutOfRange,
            reason: message,
        }) => {
            assert!(message.contains(&u64::MAX.to_string()), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(snapshots.load(&stream).await.unwrap(), None);
}

/// A large feed read is split between the two reading connections; the halves make one
/// page, the same as reading in small pages.
mod large_feed_reads {
    use super::*;
    use eventsource::{
        RecordedEvent,
        store::{FeedEntry, FeedItem},
    };

    async fn store_with_events(count: u64) -> TempSqliteStore {
        let store = TempSqliteStore::new().await.unwrap();
        let mut stored = 0;
        while stored < count {
            let batch = (count - stored).min(50);
            store
                .append(&task_stream(), ExpectedVersion::NoStream, raw_events(batch))
                .await
                .unwrap();
            stored += batch;
        }
        store
    }

    async fn in_small_pages(
        store: &TempSqliteStore,
        after: u64,
        limit: usize,
    ) -> Vec<RecordedEvent> {
        let mut records = Vec::new();
        let mut position = after;
        while records.len() < limit {
            let page = store.read_all(position, 100).await.unwrap();
            let Some(last) = page.last() else { break };
            position = last.position;
            records.extend(page);
        }
        records.truncate(limit);
        records
    }

    fn events(entries: Vec<FeedEntry>) -> Vec<RecordedEvent> {
        entries
            .into_iter()
            .map(|entry| match entry {
                FeedEntry::Event(record) => record,
                FeedEntry::Unreadable { position, error } => {
                    panic!("unreadable at {position}: {error}")
                }
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_split_read_equals_reading_in_small_pages() {
        let store = store_with_events(3_000).await;
        for (after, limit) in [(0, 2_500), (0, 4_096), (1_234, 1_024), (2_990, 4_096)] {
            let page = store.read_feed(after, limit).await.unwrap();
            assert_eq!(page.head(), Some(3_000));
            let expected = in_small_pages(&store, after, limit).await;
            assert_eq!(page.len(), expected.len(), "after {after}, limit {limit}");
            assert_eq!(
                events(page.into_entries()),
                expected,
                "after {after}, limit {limit}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreadable_row_in_the_second_half_keeps_its_place() {
        let store = store_with_events(3_000).await;
        let connection = raw_connection(&store.dir().join("events.db"));
        let changed = connection
            .execute(
                "UPDATE eventsource_events SET event_id = 'not-a-uuid' WHERE position = 2000",
                [],
            )
            .unwrap();
        assert_eq!(changed, 1);
        let page = store.read_feed(0, 4_096).await.unwrap();
        assert_eq!(page.len(), 3_000);
        let unreadable: Vec<u64> = page
            .iter()
            .filter(|item| matches!(item, FeedItem::Unreadable { .. }))
            .map(|item| item.position())
            .collect();
        assert_eq!(unreadable, [2000]);
        let positions: Vec<u64> = page.iter().map(|item| item.position()).collect();
        assert_eq!(positions, (1..=3_000).collect::<Vec<u64>>());
    }
}

/// A dropped append is stored or not, never half and never twice: the same batch appended
/// again either stores it or finds it stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_append_is_stored_at_most_once() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    let store = TempSqliteStore::new().await.unwrap();
    let events = raw_events(3);
    for _ in 0..20 {
        let stream = task_stream();
        {
            let append = store.append(&stream, ExpectedVersion::NoStream, events.clone());
            let mut append = pin!(append);
            let mut context = Context::from_waker(Waker::noop());
            // Polled once (the batch goes to the connection), then dropped unfinished.
            if let Poll::Ready(result) = append.as_mut().poll(&mut context) {
                result.unwrap();
            }
        }
        let again = store
            .append(&stream, ExpectedVersion::NoStream, events.clone())
            .await;
        // The connection runs jobs in order: the dropped batch is stored first, and the
        // same batch again is recognised as a retry.
        let outcome = again.unwrap();
        assert_eq!(outcome.version(), Some(3));
        assert!(outcome.already_stored);
        let stored = store.read_stream(&stream, 0).await.unwrap();
        assert_eq!(stored.len(), 3);
    }
}
