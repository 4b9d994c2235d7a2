//! The PostgreSQL store against a real server (`DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own.
//! Unreachable server: skipped with a printed line, or a failure under `CI=true`.

#![cfg(feature = "postgres")]

use eventsource_tests::postgres::pg_store;

eventsource::event_store_conformance!(async { pg_store().await });

mod snapshots {
    eventsource::snapshot_store_conformance!(async {
        eventsource_tests::postgres::pg_snapshot_store().await
    });
}

mod subscriptions {
    eventsource_tests::subscription_suite!(eventsource_tests::postgres::pg_store());
}

mod codecs {
    eventsource_tests::codec_suite!(eventsource_tests::postgres::pg_store());
}

mod evolution {
    eventsource_tests::evolution_suite!(eventsource_tests::postgres::pg_store());
}

mod snapshot_behaviour {
    eventsource::snapshot_behaviour_conformance!(eventsource_tests::postgres::pg_backend());
}

use eventsource::prelude::*;
use eventsource::store::FeedEntry;
use eventsource::store::postgres::{BATCH_LIMIT, PostgresConfig};
use eventsource::{
    Error,
    error::{ConfigKind, SchemaKind},
};
use eventsource_tests::fixtures::{raw_events, task_stream};
use eventsource_tests::postgres::admin_of;
use eventsource_tests::postgres::{SchemaGuard, admin, database_url, fresh_schema_name, pg_config};
use std::time::Duration;

#[tokio::test]
async fn an_unknown_codec_on_a_row_is_an_error_naming_stream_version_and_type() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    let records = store
        .append(&stream, ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap()
        .records;
    let damage = |sql: &'static str| {
        let store = &store;
        async move {
            let sql = sql.replace("{s}", store.schema_name());
            admin_of(store).await.execute(&sql, &[]).await.unwrap();
        }
    };
    damage("UPDATE \"{s}\".events SET codec = 'zstd' WHERE version = 2").await;
    let expected = (
        stream.clone(),
        2,
        "TaskAssigned".to_owned(),
        "zstd".to_owned(),
    );
    let unknown = |result: eventsource::Result<()>| match result {
        Err(Error::UnknownCodec {
            stream,
            version,
            event_type,
            codec,
        }) => (stream, version, event_type, codec),
        other => panic!("expected an unknown codec error, got {other:?}"),
    };
    assert_eq!(
        unknown(store.read_stream(&stream, 0).await.map(drop)),
        expected
    );
    let replayed = store
        .store()
        .replay_stream(&stream, 0, (), |_, _| Ok(()))
        .await;
    assert_eq!(unknown(replayed), expected);
    let entries = store.store().read_feed(0, 10).await.unwrap().into_entries();
    assert!(matches!(
        &entries[1],
        FeedEntry::Unreadable { position, error: Error::UnknownCodec { .. } }
            if *position == records[1].position
    ));

    // A binary row without its bytes is corrupt, naming the event type.
    damage("UPDATE \"{s}\".events SET codec = 'msgpack' WHERE version = 3").await;
    match store
        .store()
        .replay_stream(&stream, 0, (), |_, _| Ok(()))
        .await
    {
        Err(Error::UnknownCodec { .. }) => {}
        other => panic!("version 2 fails first, got {other:?}"),
    }
    match store.read_stream(&stream, 2).await {
        Err(Error::Corrupt {
            version: 3, reason, ..
        }) => assert!(reason.contains("TaskAssigned"), "{reason}"),
        other => panic!("expected a corrupt stream, got {other:?}"),
    }
}

/// The store's public futures can be spawned on a multi-threaded runtime.
#[allow(dead_code)]
fn public_futures_are_send(
    store: &eventsource::PostgresEventStore,
    wakeups: &mut eventsource::store::postgres::FeedWakeups,
) {
    fn send<T: Send>(_: T) {}
    send(PostgresConfig::from_url(database_url()).connect());
    send(eventsource::PostgresEventStore::connect("postgres://x"));
    send(store.subscribe_notifications());
    send(store.append(&task_stream(), ExpectedVersion::Any, Vec::new()));
    send(store.read_all(0, 1));
    send(wakeups.wait());
}

#[tokio::test]
async fn schema_name_carrying_sql_is_refused() {
    for schema in [
        "x; drop table",
        "x\"; drop schema public cascade; --",
        "Events",
    ] {
        let result = PostgresConfig::from_url(database_url())
            .schema(schema)
            .connect()
            .await;
        assert!(
            matches!(result, Err(Error::Config { kind: ConfigKind::SchemaName, ref reason }) if reason.contains("schema name")),
            "{schema:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn invalid_connection_string_is_a_config_error() {
    let result = PostgresConfig::from_url("postgres://[not-a-url")
        .schema("fine")
        .connect()
        .await;
    assert!(
        matches!(
            result,
            Err(Error::Config {
                kind: ConfigKind::Connection,
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_migrate_once() {
    let Some(config) = pg_config().await else {
        return;
    };
    let schema = fresh_schema_name();
    let _guard = SchemaGuard::new(config.clone(), schema.clone());
    let starters: Vec<_> = (0..4)
        .map(|_| {
            let (config, schema) = (config.clone(), schema.clone());
            tokio::spawn(async move {
                PostgresConfig::from_pg_config(config)
                    .schema(schema)
                    .max_connections(1)
                    .connect()
                    .await
            })
        })
        .collect();
    for starter in starters {
        starter.await.unwrap().expect("every starter connects");
    }
    let client = admin(&config).await.unwrap();
    let versions: Vec<i32> = client
        .query(
            &format!("SELECT version FROM \"{schema}\".schema_migrations ORDER BY version"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn schema_of_a_newer_library_is_refused() {
    let Some(store) = pg_store().await else {
        return;
    };
    admin_of(&store)
        .await
        .execute(
            &format!(
                "INSERT INTO \"{}\".schema_migrations (version, description) VALUES (999, 'future')",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap();
    let result = store.reconnect(|c| c).await;
    assert!(
        matches!(result, Err(Error::Schema { kind: SchemaKind::Newer { found: 999, .. }, ref reason }) if reason.contains("999")),
        "{result:?}"
    );
}

#[tokio::test]
async fn positions_stay_ahead_of_restored_ones() {
    let Some(store) = pg_store().await else {
        return;
    };
    // A row as a dump from a cluster with a much older transaction counter would bring.
    let restored = store
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap()
        .records[0]
        .position
        + (1 << 40);
    admin_of(&store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".events SET position = $1",
                store.schema_name()
            ),
            &[&(restored as i64)],
        )
        .await
        .unwrap();
    let restarted = store.reconnect(|c| c).await.unwrap();
    let outcome = restarted
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    assert!(outcome.records[0].position > restored);
    let feed = restarted.read_all(0, 10).await.unwrap();
    assert_eq!(feed.len(), 3);
    assert_eq!(feed[0].position, restored);
}

#[tokio::test]
async fn batch_above_the_limit_is_refused_and_writes_nothing() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    let events = raw_events(BATCH_LIMIT as u64 + 1);
    let result = store.append(&stream, ExpectedVersion::Any, events).await;
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
    assert_eq!(store.stream_version(&stream).await.unwrap(), 0);
}

#[tokio::test]
async fn corrupt_row_is_a_typed_error_naming_stream_and_version() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(3))
        .await
        .unwrap();
    admin_of(&store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".events SET metadata = '[1, 2]' WHERE version = 2",
                store.schema_name()
            ),
            &[],
        )
        .await
        .unwrap();
    for result in [
        store.read_stream(&stream, 0).await,
        store.read_all(0, 10).await,
    ] {
        match result {
            Err(Error::Corrupt {
                stream: s, version, ..
            }) => {
                assert_eq!(s, stream);
                assert_eq!(version, 2);
            }
            other => panic!("expected a corrupt-row error, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_wakes_a_listener() {
    let Some(store) = pg_store().await else {
        return;
    };
    let mut wakeups = store.subscribe_notifications().await.unwrap();
    assert!(!wakeups.try_wait().unwrap());
    let writer = store.reconnect(|c| c).await.unwrap();
    writer
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(2))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), wakeups.wait())
        .await
        .expect("woken within 10 s")
        .unwrap();
}

#[tokio::test]
async fn notifications_need_connection_settings_with_a_given_pool() {
    let Some(store) = pg_store().await else {
        return;
    };
    let borrowed = PostgresConfig::from_pool(store.pool().clone())
        .schema(store.schema_name())
        .connect()
        .await
        .unwrap();
    let result = borrowed.subscribe_notifications().await;
    assert!(
        matches!(
            result,
            Err(Error::Config {
                kind: ConfigKind::Connection,
                ..
            })
        ),
        "{result:?}"
    );
    // The given pool works for everything else.
    borrowed
        .append(&task_stream(), ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
}

/// A server error's message reaches the error's `Display`, not only its `source()`.
#[tokio::test]
async fn a_server_error_displays_what_the_server_said() {
    let Some(store) = pg_store().await else {
        return;
    };
    // PostgreSQL's text holds no NUL character; the store passes event types through.
    let mut events = raw_events(1);
    events[0].event_type = "Task\0Created".into();
    let error = store
        .append(&task_stream(), ExpectedVersion::NoStream, events)
        .await
        .expect_err("a NUL in a text column is refused by the server");
    let shown = error.to_string();
    // The severity and SQLSTATE (22021, character not in repertoire) lead the server's
    // message.
    assert!(
        shown.starts_with("event store backend error: ERROR 22021: invalid byte sequence"),
        "{shown}"
    );
}

/// A stored stream with a gap (versions 1, 2, 4) is corrupt, with the same wording as on
/// SQLite, both when read and when replayed for a load: never a shorter aggregate.
#[tokio::test]
async fn a_version_gap_is_a_corrupt_stream_in_the_shared_wording() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(4))
        .await
        .unwrap();
    let deleted = admin_of(&store)
        .await
        .execute(
            &format!(
                "DELETE FROM \"{}\".events WHERE aggregate_id = $1 AND version = 3",
                store.schema_name()
            ),
            &[&stream.aggregate_id],
        )
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let wording = "version 3 is missing: the next stored event is version 4";
    let read = store.read_stream(&stream, 0).await;
    assert!(
        matches!(&read, Err(Error::Corrupt { version: 3, reason, .. }) if reason == wording),
        "{read:?}"
    );
    let replayed = store
        .replay_stream(&stream, 0, 0u64, |count: &mut u64, _| {
            *count += 1;
            Ok(())
        })
        .await;
    assert!(
        matches!(&replayed, Err(Error::Corrupt { version: 3, reason, .. }) if reason == wording),
        "{replayed:?}"
    );
    // After the gap's start, reads still refuse the gap.
    let after_two = store.read_stream(&stream, 2).await;
    assert!(
        matches!(after_two, Err(Error::Corrupt { version: 3, .. })),
        "{after_two:?}"
    );
}

/// A negative stream version in the database (a corrupt row) is a typed error on append,
/// never a version wrapped around to a huge number.
#[tokio::test]
async fn a_negative_stored_stream_version_is_corrupt_on_append() {
    let Some(store) = pg_store().await else {
        return;
    };
    let stream = task_stream();
    store
        .append(&stream, ExpectedVersion::NoStream, raw_events(1))
        .await
        .unwrap();
    let changed = admin_of(&store)
        .await
        .execute(
            &format!(
                "UPDATE \"{}\".streams SET version = -5 WHERE aggregate_id = $1",
                store.schema_name()
            ),
            &[&stream.aggregate_id],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let appended = store
        .append(&stream, ExpectedVersion::Any, raw_events(1))
        .await;
    assert!(
        matches!(&appended, Err(Error::Corrupt { reason, .. }) if reason.contains("the append returned a negative version")),
        "{appended:?}"
    );
}
