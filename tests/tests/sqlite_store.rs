//! The conformance suites on the SQLite store (a fresh database file per case, an
//! in-memory database, and the `spawn_blocking` threading), the snapshot behaviour suite
//! on a fresh database file per case, then what only a database file can show: reopening,
//! schema upgrades, large feed reads (corrupt rows, panics and crashes are in
//! `sqlite_faults.rs`).

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
use eventsource::store::sqlite::{SqliteConfig, Synchronous};
use eventsource::{
    Error,
    error::{ConfigKind, SchemaKind},
    snapshot::SnapshotStore,
};
use eventsource_tests::fixtures::{Task, raw_events, task_stream};
use eventsource_tests::sqlite::TempSqliteStore;
use eventsource_tests::sqlite::{raw_connection, saved_task};

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
        store::{FeedEntry, FeedEntryRef},
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
            .filter(|item| matches!(item, FeedEntryRef::Unreadable { .. }))
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
